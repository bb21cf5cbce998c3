/* ppofw tests — core/ppo_svg.c: learning-curve figures are well-formed SVG, deterministic, with
 * nice ticks, escaped labels, gaps at missing points and a legend entry per series.
 *
 * Well-formedness is checked with GLib's GMarkup parser (which also collects the elements the
 * checks count) and, when xmllint is installed, with xmllint too. What it leaves out: how the
 * figure looks (docs/ablations.md shows real ones) and where the curves come from
 * (test_ppo_curves.c).
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_svg_private.h"
#include "ppo_test.h"

/* ---- parsing the output ---- */

typedef struct {
    guint n_elements;
    guint n_panels;
    guint n_legend;
    guint n_mean;
    guint n_band;
    GPtrArray *mean_d; /* the d attribute of each mean line */
    GString *text;     /* all text content */
    bool svg_root;
} scan_t;

static void on_start(GMarkupParseContext *ctx, const char *name, const char **attr_names,
                     const char **attr_values, gpointer data, GError **error)
{
    (void)ctx;
    (void)error;
    scan_t *s = data;
    if (s->n_elements++ == 0)
        s->svg_root = strcmp(name, "svg") == 0;
    const char *cls = NULL, *d = NULL;
    for (guint i = 0; attr_names[i] != NULL; i++) {
        if (strcmp(attr_names[i], "class") == 0)
            cls = attr_values[i];
        if (strcmp(attr_names[i], "d") == 0)
            d = attr_values[i];
    }
    if (cls == NULL)
        return;
    if (strcmp(cls, "panel") == 0)
        s->n_panels++;
    else if (strcmp(cls, "legend-entry") == 0)
        s->n_legend++;
    else if (strcmp(cls, "band") == 0)
        s->n_band++;
    else if (strcmp(cls, "mean") == 0) {
        s->n_mean++;
        g_ptr_array_add(s->mean_d, g_strdup(d));
    }
}

static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
                    GError **error)
{
    (void)ctx;
    (void)error;
    g_string_append_len(((scan_t *)data)->text, text, (gssize)len);
}

/* Parse an SVG document; fails the test when it is not well-formed. */
static void scan(const char *svg, scan_t *s)
{
    memset(s, 0, sizeof(*s));
    s->mean_d = g_ptr_array_new_with_free_func(g_free);
    s->text = g_string_new(NULL);
    const GMarkupParser parser = {on_start, NULL, on_text, NULL, NULL};
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, s, NULL);
    GError *error = NULL;
    const gboolean ok = g_markup_parse_context_parse(ctx, svg, -1, &error) &&
                        g_markup_parse_context_end_parse(ctx, &error);
    ck_assert_msg(ok, "not well-formed XML: %s", ok ? "" : error->message);
    g_markup_parse_context_free(ctx);
    ck_assert_msg(s->svg_root, "the root element is not <svg>");
}

static void scan_clear(scan_t *s)
{
    g_ptr_array_free(s->mean_d, TRUE);
    g_string_free(s->text, TRUE);
}

/* xmllint, when installed, must accept the file too */
static void xmllint_accepts(const char *svg)
{
    char *lint = g_find_program_in_path("xmllint");
    if (lint == NULL)
        return;
    char *path = NULL;
    const int fd = g_file_open_tmp("ppo-svg-XXXXXX.svg", &path, NULL);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert(g_file_set_contents(path, svg, -1, NULL));
    char *argv[] = {lint, "--noout", path, NULL};
    int status = 0;
    char *err = NULL;
    ck_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                           &status, NULL));
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "xmllint rejects the SVG: %s", err);
    g_unlink(path);
    g_free(err);
    g_free(path);
    g_free(lint);
}

/* ---- a figure to draw ---- */

static const double xs[] = {0, 1000, 2000, 3000, 4000, 5000};
static const double ys[] = {10, 20, NAN, 40, 50, 60};
static const double lo[] = {8, 18, NAN, 35, 45, NAN};
static const double hi[] = {12, 22, NAN, 45, 55, NAN};
static const double ys2[] = {-5, 0, 5, 10, 15, 20};

static char *render_sample(const char *label)
{
    const ppo_svg_series_t a[] = {
        {.label = label, .n = 6, .x = xs, .y = ys, .lo = lo, .hi = hi},
        {.label = "second", .n = 6, .x = xs, .y = ys2, .lo = NULL, .hi = NULL},
    };
    const ppo_svg_series_t b[] = {
        {.label = "alone", .n = 6, .x = xs, .y = ys2, .lo = lo, .hi = hi},
    };
    const ppo_svg_panel_t panels[] = {
        {.title = "base: cartpole.yaml", .series = a, .n_series = 2},
        {.title = "base: acrobot.yaml", .series = b, .n_series = 1},
    };
    const ppo_svg_figure_t fig = {
        .title = "sweep <ablation> & \"friends\"",
        .subtitle = "mean with a ±1 standard error band",
        .x_label = "environment steps",
        .y_label = "episode return",
        .panels = panels,
        .n_panels = 2,
    };
    return ppo_svg_render(&fig);
}

START_TEST(test_svg_is_well_formed_with_a_panel_per_group_and_a_legend_entry_per_series)
{
    char *svg = render_sample("first & <best> 'one' \"quoted\"");
    scan_t s;
    scan(svg, &s);
    ck_assert_uint_eq(s.n_panels, 2);
    ck_assert_uint_eq(s.n_legend, 3);
    ck_assert_uint_eq(s.n_mean, 3);
    /* series 1 and 3 have bands; series 2 has none */
    ck_assert_uint_eq(s.n_band, 2);
    /* the labels come back unescaped, so they were escaped in the file */
    ck_assert_ptr_nonnull(strstr(s.text->str, "first & <best> 'one' \"quoted\""));
    ck_assert_ptr_nonnull(strstr(s.text->str, "sweep <ablation> & \"friends\""));
    ck_assert_ptr_nonnull(strstr(s.text->str, "environment steps"));
    ck_assert_ptr_nonnull(strstr(s.text->str, "episode return"));
    xmllint_accepts(svg);
    scan_clear(&s);
    g_free(svg);
}
END_TEST

START_TEST(test_svg_survives_control_characters_and_invalid_utf8_in_labels)
{
    char *svg = render_sample("bad \x01\x1f byte \xff\xfe end");
    scan_t s;
    scan(svg, &s);
    ck_assert(g_utf8_validate(svg, -1, NULL));
    xmllint_accepts(svg);
    scan_clear(&s);
    g_free(svg);
}
END_TEST

START_TEST(test_svg_output_is_the_same_bytes_every_time)
{
    char *a = render_sample("x");
    char *b = render_sample("x");
    ck_assert_str_eq(a, b);
    /* numbers use a decimal point whatever the locale */
    ck_assert_ptr_null(strstr(a, "0,0"));
    g_free(a);
    g_free(b);
}
END_TEST

START_TEST(test_svg_mean_line_breaks_where_a_point_is_missing)
{
    char *svg = render_sample("x");
    scan_t s;
    scan(svg, &s);
    /* the first series has a NaN at index 2: two stretches, two move-to commands */
    const char *d = g_ptr_array_index(s.mean_d, 0);
    guint moves = 0;
    for (const char *p = d; *p != '\0'; p++)
        moves += *p == 'M';
    ck_assert_uint_eq(moves, 2);
    /* the second has none */
    d = g_ptr_array_index(s.mean_d, 1);
    moves = 0;
    for (const char *p = d; *p != '\0'; p++)
        moves += *p == 'M';
    ck_assert_uint_eq(moves, 1);
    scan_clear(&s);
    g_free(svg);
}
END_TEST

START_TEST(test_svg_panel_without_points_says_so)
{
    const double x[] = {0, 1};
    const double y[] = {NAN, NAN};
    const ppo_svg_series_t a[] = {{.label = "empty", .n = 2, .x = x, .y = y}};
    const ppo_svg_panel_t p = {.title = NULL, .series = a, .n_series = 1};
    const ppo_svg_figure_t fig = {
        .title = "t", .x_label = "x", .y_label = "y", .panels = &p, .n_panels = 1};
    char *svg = ppo_svg_render(&fig);
    scan_t s;
    scan(svg, &s);
    ck_assert_ptr_nonnull(strstr(s.text->str, "no finished episodes to plot"));
    ck_assert_uint_eq(s.n_mean, 0);
    scan_clear(&s);
    g_free(svg);
}
END_TEST

/* the step is 1, 2 or 5 times a power of ten */
static bool is_nice_step(double step)
{
    const double mag = pow(10.0, floor(log10(step) + 1e-9));
    const double m = step / mag;
    return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9;
}

START_TEST(test_svg_ticks_are_nice_steps_that_enclose_the_range)
{
    const double ranges[][2] = {{0, 1},     {0, 150000}, {-1500, -120}, {0.3, 0.31},
                                {-85, 500}, {7, 7},      {0, 1e6},      {-0.02, 0.05}};
    for (size_t r = 0; r < G_N_ELEMENTS(ranges); r++) {
        double ticks[64], step;
        const size_t n = ppo_svg_ticks(ranges[r][0], ranges[r][1], 6, ticks, 64, &step);
        ck_assert_msg(n >= 2 && n <= 13, "range %g..%g: %zu ticks", ranges[r][0], ranges[r][1], n);
        ck_assert_msg(is_nice_step(step), "range %g..%g: step %g", ranges[r][0], ranges[r][1],
                      step);
        ck_assert(ticks[0] <= ranges[r][0] + 1e-12);
        ck_assert(ticks[n - 1] >= ranges[r][1] - 1e-12);
        for (size_t i = 1; i < n; i++)
            ck_assert(fabs(ticks[i] - ticks[i - 1] - step) < 1e-9 * fmax(1.0, fabs(step)));
    }
}
END_TEST

START_TEST(test_svg_tick_labels_print_what_the_step_needs)
{
    const struct {
        double v, step;
        bool si;
        const char *want;
    } cases[] = {
        {0, 50000, true, "0"},         {50000, 50000, true, "50k"},
        {150000, 50000, true, "150k"}, {1500000, 500000, true, "1.5M"},
        {1000000, 200000, true, "1M"}, {2500, 500, true, "2.5k"},
        {500, 100, true, "500"},       {0.25, 0.05, false, "0.25"},
        {-1500, 500, false, "-1500"},  {0.0, 0.1, false, "0.0"},
        {-1e-17, 0.1, false, "0.0"},   {-85, 5, false, "-85"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char buf[64];
        ppo_svg_tick_label(buf, sizeof(buf), cases[i].v, cases[i].step, cases[i].si);
        ck_assert_msg(strcmp(buf, cases[i].want) == 0, "%g (step %g): got \"%s\", want \"%s\"",
                      cases[i].v, cases[i].step, buf, cases[i].want);
    }
}
END_TEST

static Suite *svg_suite(void)
{
    Suite *s = suite_create("ppo_svg");
    TCase *tc = tcase_create("svg");
    tcase_add_test(tc,
                   test_svg_is_well_formed_with_a_panel_per_group_and_a_legend_entry_per_series);
    tcase_add_test(tc, test_svg_survives_control_characters_and_invalid_utf8_in_labels);
    tcase_add_test(tc, test_svg_output_is_the_same_bytes_every_time);
    tcase_add_test(tc, test_svg_mean_line_breaks_where_a_point_is_missing);
    tcase_add_test(tc, test_svg_panel_without_points_says_so);
    tcase_add_test(tc, test_svg_ticks_are_nice_steps_that_enclose_the_range);
    tcase_add_test(tc, test_svg_tick_labels_print_what_the_step_needs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(svg_suite());
}
