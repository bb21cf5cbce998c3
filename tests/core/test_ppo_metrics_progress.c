/* ppofw tests — the progress bar of core/ppo_metrics.c (ppo_metrics_progress_bar): it fits the
 * terminal width it is given, fills in proportion to the steps done, shows steps, %, SPS, ETA
 * and the current return, drops the name and then the bar when the line is narrow, and keeps its
 * width while the numbers grow. The plain line printed when stderr is not a terminal is checked
 * for its percentage cap. The sparkline of the return (ppo_metrics_sparkline) maps the lowest
 * value to the lowest block and the highest to the full one, leaves gaps for missing values, and
 * takes one column per value after the bar. What it leaves out: the terminal itself (the run loop
 * only chooses between the two lines).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_metrics_private.h"
#include "ppo_test.h"

static ppo_metrics_row_t row_at(uint64_t step, double sps, double ret)
{
    ppo_metrics_row_t r;
    memset(&r, 0, sizeof(r));
    r.global_step = step;
    r.sps = sps;
    r.ep_return_mean = ret;
    r.ep_len_mean = ret;
    r.eval_return_mean = NAN;
    return r;
}

static int count(const char *s, char c)
{
    int n = 0;
    for (; *s != '\0'; s++)
        n += *s == c;
    return n;
}

START_TEST(test_progress_bar_fits_the_width_and_fills_in_proportion)
{
    const int widths[] = {80, 100, 120, 200};
    for (size_t w = 0; w < G_N_ELEMENTS(widths); w++) {
        char line[512];
        const ppo_metrics_row_t r = row_at(25000, 12345, 154.66);
        ppo_metrics_progress_bar(line, sizeof(line), "cartpole-ppo", &r, 100000, widths[w]);
        ck_assert_msg((int)strlen(line) == widths[w] - 1, "width %d: %zu: %s", widths[w],
                      strlen(line), line);
        ck_assert_ptr_nonnull(strstr(line, " 25% ["));
        ck_assert_ptr_nonnull(strstr(line, "25k/100k"));
        ck_assert_ptr_nonnull(strstr(line, "12k sps"));
        ck_assert_ptr_nonnull(strstr(line, "eta 0:00:06"));
        ck_assert_ptr_nonnull(strstr(line, "return    154.66"));
        const int filled = count(line, '#'), empty = count(line, '.') - 1; /* one in the return */
        ck_assert_msg(abs(filled * 3 - empty) <= 3, "%s", line);
        /* the name when there is room for it next to a bar of 10 */
        ck_assert(g_str_has_prefix(line, "cartpole-ppo ") == (widths[w] >= 100));
    }
}
END_TEST

START_TEST(test_progress_bar_keeps_its_width_as_numbers_grow)
{
    char a[512], b[512];
    const ppo_metrics_row_t r1 = row_at(512, 900, -1500.5);
    const ppo_metrics_row_t r2 = row_at(99840, 15000, 12.25);
    ppo_metrics_progress_bar(a, sizeof(a), "x", &r1, 100000, 100);
    ppo_metrics_progress_bar(b, sizeof(b), "x", &r2, 100000, 100);
    ck_assert_uint_eq(strlen(a), strlen(b));
    ck_assert_int_eq(count(a, '#') + count(a, '.'), count(b, '#') + count(b, '.'));
}
END_TEST

START_TEST(test_progress_bar_drops_name_then_bar_when_narrow)
{
    char line[512];
    const ppo_metrics_row_t r = row_at(1000, 100, NAN);
    ppo_metrics_progress_bar(line, sizeof(line), "a-rather-long-pipeline-name", &r, 2000, 76);
    ck_assert(!g_str_has_prefix(line, "a-rather"));
    ck_assert_ptr_nonnull(strstr(line, "["));
    ck_assert_ptr_nonnull(strstr(line, "return -"));
    ppo_metrics_progress_bar(line, sizeof(line), "a-rather-long-pipeline-name", &r, 2000, 20);
    ck_assert_ptr_null(strstr(line, "["));
    ck_assert(g_str_has_prefix(line, " 50% "));
    /* too narrow even for the numbers: cut, never wrapped */
    ck_assert_uint_eq(strlen(line), 19);
}
END_TEST

START_TEST(test_progress_line_caps_the_percentage_at_100)
{
    char line[512];
    const ppo_metrics_row_t r = row_at(20224, 16000, 154.66);
    ppo_metrics_progress(line, sizeof(line), "cartpole", &r, 20000);
    ck_assert_msg(strstr(line, "step 20224/20000 (100%)") != NULL, "%s", line);
    ppo_metrics_progress_bar(line, sizeof(line), "cartpole", &r, 20000, 80);
    ck_assert_msg(strstr(line, "100% [") != NULL, "%s", line);
    ck_assert_int_eq(count(line, '.'), 1);
}
END_TEST

START_TEST(test_sparkline_scales_values_from_lowest_to_full_block)
{
    char buf[128];
    const double rising[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    ppo_metrics_sparkline(buf, sizeof(buf), rising, 8);
    ck_assert_str_eq(buf, "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588");
    /* negative returns, a gap for a missing value, a flat line in the middle */
    const double mixed[4] = {-500, NAN, -100, -300};
    ppo_metrics_sparkline(buf, sizeof(buf), mixed, 4);
    ck_assert_str_eq(buf, "\u2581 \u2588\u2585");
    const double flat[3] = {20, 20, 20};
    ppo_metrics_sparkline(buf, sizeof(buf), flat, 3);
    ck_assert_str_eq(buf, "\u2584\u2584\u2584");
    /* a short buffer holds whole blocks only */
    char tiny[8];
    ppo_metrics_sparkline(tiny, sizeof(tiny), rising, 8);
    ck_assert_str_eq(tiny, "\u2581\u2582");
}
END_TEST

START_TEST(test_progress_spark_appends_the_sparkline_within_the_width)
{
    const ppo_metrics_row_t row = row_at(45000, 16000, 154.66);
    const double history[30] = {10,  20,  30,  40,  50,  60,  70,  80,  90,  100,
                                110, 120, 130, 140, 150, 160, 170, 180, 190, 200,
                                210, 220, 230, 240, 250, 260, 270, 280, 290, 300};
    char line[512];
    ppo_metrics_progress_spark(line, sizeof(line), "cartpole", &row, 100000, 120, history, 30);
    /* the last 24 values after the bar; the line one column short of the width */
    const char *spark = strstr(line, " \u2581");
    ck_assert_msg(spark != NULL, "%s", line);
    ck_assert_int_eq(g_utf8_strlen(spark + 1, -1), PPO_SPARK_MAX);
    ck_assert(g_str_has_suffix(line, "\u2588"));
    ck_assert_int_le(g_utf8_strlen(line, -1), 119);
    ck_assert_ptr_nonnull(strstr(line, "return    154.66"));
    /* too narrow for both: the bar alone, as without history */
    char plain[512];
    ppo_metrics_progress_spark(line, sizeof(line), "cartpole", &row, 100000, 60, history, 30);
    ppo_metrics_progress_bar(plain, sizeof(plain), "cartpole", &row, 100000, 60);
    ck_assert_str_eq(line, plain);
    ppo_metrics_progress_spark(line, sizeof(line), "cartpole", &row, 100000, 120, history, 0);
    ppo_metrics_progress_bar(plain, sizeof(plain), "cartpole", &row, 100000, 120);
    ck_assert_str_eq(line, plain);
}
END_TEST

static Suite *progress_suite(void)
{
    Suite *s = suite_create("ppo_metrics_progress");
    TCase *tc = tcase_create("progress");
    tcase_add_test(tc, test_progress_bar_fits_the_width_and_fills_in_proportion);
    tcase_add_test(tc, test_progress_bar_keeps_its_width_as_numbers_grow);
    tcase_add_test(tc, test_progress_bar_drops_name_then_bar_when_narrow);
    tcase_add_test(tc, test_progress_line_caps_the_percentage_at_100);
    tcase_add_test(tc, test_sparkline_scales_values_from_lowest_to_full_block);
    tcase_add_test(tc, test_progress_spark_appends_the_sparkline_within_the_width);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(progress_suite());
}
