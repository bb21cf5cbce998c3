/* Tests of core/ppo_normalizer.c: running statistics equal a two-pass computation, merging two
 * halves equals one pass, and normalization clips. */
#include "config.h"

#include <math.h>

#include "ppo_normalizer_private.h"
#include "ppo_test.h"

#define ROWS 1000
#define DIM 3

static void data(float *x)
{
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 11, "normalizer-test", 0);
    for (int r = 0; r < ROWS; r++)
        for (int i = 0; i < DIM; i++)
            x[r * DIM + i] = (float)(ppo_rng_normal(&rng) * (i + 1) * 3.0 + 10.0 * i);
}

START_TEST(test_normalizer_matches_two_pass_statistics)
{
    static float x[ROWS * DIM];
    data(x);
    ppo_rms_t rms;
    ppo_rms_init(&rms, DIM);
    /* in batches of 7 rows, as a vector env would feed it */
    for (int r = 0; r < ROWS; r += 7)
        ppo_rms_update(&rms, x + r * DIM, (uint32_t)MIN(7, ROWS - r), DIM);
    for (int i = 0; i < DIM; i++) {
        /* two-pass reference including the 1e-4 prior of mean 0, variance 1 */
        double s = 0;
        for (int r = 0; r < ROWS; r++)
            s += x[r * DIM + i];
        const double m = s / ROWS;
        double v = 0;
        for (int r = 0; r < ROWS; r++)
            v += (x[r * DIM + i] - m) * (x[r * DIM + i] - m);
        const double c0 = 1e-4, tot = c0 + ROWS;
        const double mean = (0.0 * c0 + m * ROWS) / tot;
        const double var = (1.0 * c0 + v + (m - 0.0) * (m - 0.0) * c0 * ROWS / tot) / tot;
        ck_assert_double_eq_tol(rms.mean[i], mean, 1e-9 * (1 + fabs(mean)));
        ck_assert_double_eq_tol(rms.var[i], var, 1e-9 * var);
    }
    ck_assert_double_eq_tol(rms.count, ROWS + 1e-4, 1e-9);
    ppo_rms_clear(&rms);
}
END_TEST

START_TEST(test_normalizer_merge_of_two_halves_equals_whole)
{
    static float x[ROWS * DIM];
    data(x);
    ppo_rms_t whole, a, b;
    ppo_rms_init(&whole, DIM);
    ppo_rms_init(&a, DIM);
    ppo_rms_init(&b, DIM);
    ppo_rms_update(&whole, x, ROWS, DIM);
    ppo_rms_update(&a, x, ROWS / 2, DIM);
    ppo_rms_update(&b, x + (ROWS / 2) * DIM, ROWS / 2, DIM);
    /* b's prior (count 1e-4) is part of its moments; merge them into a */
    ppo_rms_merge(&a, b.count, b.mean, b.var);
    ppo_rms_t whole2;
    ppo_rms_init(&whole2, DIM);
    ppo_rms_merge(&whole2, 1e-4, (double[DIM]){0, 0, 0}, (double[DIM]){1, 1, 1});
    ppo_rms_update(&whole2, x, ROWS, DIM);
    for (int i = 0; i < DIM; i++) {
        ck_assert_double_eq_tol(a.mean[i], whole2.mean[i], 1e-9 * (1 + fabs(whole2.mean[i])));
        ck_assert_double_eq_tol(a.var[i], whole2.var[i], 1e-9 * whole2.var[i]);
        /* and one extra prior barely moves the whole */
        ck_assert_double_eq_tol(a.mean[i], whole.mean[i], 1e-5 * (1 + fabs(whole.mean[i])));
    }
    ppo_rms_clear(&whole);
    ppo_rms_clear(&whole2);
    ppo_rms_clear(&a);
    ppo_rms_clear(&b);
}
END_TEST

START_TEST(test_normalizer_normalizes_and_clips)
{
    ppo_rms_t rms;
    ppo_rms_init(&rms, 1);
    const double mean = 2.0, var = 4.0;
    rms.count = 10;
    rms.mean[0] = mean;
    rms.var[0] = var;
    float x[3] = {2.0f, 4.0f, 1000.0f};
    ppo_rms_normalize(&rms, x, 3, 1e-8, 5.0);
    ck_assert_float_eq_tol(x[0], 0.0f, 1e-6f);
    ck_assert_float_eq_tol(x[1], (float)(2.0 / sqrt(4.0 + 1e-8)), 1e-6f);
    ck_assert_float_eq(x[2], 5.0f);
    ppo_rms_clear(&rms);
}
END_TEST

START_TEST(test_normalizer_scalar_update_matches_vector_update)
{
    const double v[5] = {1.0, -2.0, 3.5, 0.25, 8.0};
    const float f[5] = {1.0f, -2.0f, 3.5f, 0.25f, 8.0f};
    ppo_rms_t a, b;
    ppo_rms_init(&a, 1);
    ppo_rms_init(&b, 1);
    ppo_rms_update_scalar(&a, v, 5);
    ppo_rms_update(&b, f, 5, 1);
    ck_assert_double_eq_tol(a.mean[0], b.mean[0], 1e-12);
    ck_assert_double_eq_tol(a.var[0], b.var[0], 1e-12);
    ppo_rms_clear(&a);
    ppo_rms_clear(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ppo_normalizer");
    TCase *tc = tcase_create("normalizer");
    tcase_add_test(tc, test_normalizer_matches_two_pass_statistics);
    tcase_add_test(tc, test_normalizer_merge_of_two_halves_equals_whole);
    tcase_add_test(tc, test_normalizer_normalizes_and_clips);
    tcase_add_test(tc, test_normalizer_scalar_update_matches_vector_update);
    suite_add_tcase(s, tc);
    return ppo_test_run(s);
}
