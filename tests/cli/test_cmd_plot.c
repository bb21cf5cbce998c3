/* ppofw tests — `ppofw plot` run as a user runs it: runs whose resolved pipelines differ only
 * in the seed become one curve (two seeds of one setting and one of another give two legend
 * entries, n=2 and n=1), a sweep directory stands for its runs, --episodes N smooths each run's
 * episodes.csv instead, the SVG is well-formed, and bad arguments exit 2.
 *
 * Runs are made with `ppofw run` on a tiny CartPole pipeline (shipped plugins). What it leaves
 * out: the statistics and drawing details (test_ppo_curves.c, test_ppo_svg.c).
 */
#include "config.h"

#include <math.h>

#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "image_read.h"
#include "ppo_test.h"

static char *tmp_root;

static void setup(void)
{
    tmp_root = ppo_test_tmpdir();
    ck_assert_ptr_nonnull(tmp_root);
    char *path = g_build_filename(tmp_root, "base.yaml", NULL);
    ck_assert(g_file_set_contents(
        path,
        "name: tiny\nseed: 1\nenv: { plugin: cartpole, num_envs: 2 }\n"
        "policy: { plugin: mlp, params: { pi_hidden: [8], vf_hidden: [8] } }\n"
        "advantage: { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }\n"
        "optimizer: { plugin: adam, params: { lr: 1.0e-3 } }\n"
        "ppo: { total_steps: 256, rollout_steps: 16, epochs: 1, minibatches: 2 }\n"
        "log: { tensorboard: false }\n",
        -1, NULL));
    g_free(path);
}

static void teardown(void)
{
    ppo_test_rm_tree(tmp_root);
    g_free(tmp_root);
}

/* Run ppofw with the arguments (NULL-terminated) in tmp_root; the exit code, stderr in *err. */
static int run_ppofw(char **err, ...)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    const char *b = g_getenv("PPO_TEST_BUILDDIR");
    g_ptr_array_add(argv, g_build_filename(b != NULL ? b : PPO_ABS_BUILDDIR, "ppofw", NULL));
    va_list ap;
    va_start(ap, err);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL)
        g_ptr_array_add(argv, g_strdup(a));
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    int status = 0;
    char *e = NULL;
    ck_assert(g_spawn_sync(tmp_root, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                           NULL, NULL, &e, &status, NULL));
    ck_assert_msg(WIFEXITED(status), "ppofw died by signal; stderr:\n%s", e);
    g_ptr_array_free(argv, TRUE);
    if (err != NULL)
        *err = e;
    else
        g_free(e);
    return WEXITSTATUS(status);
}

static void make_run(const char *dir, const char *seed, const char *clip)
{
    char *s = g_strdup_printf("seed=%s", seed);
    char *c = g_strdup_printf("ppo.clip=%s", clip);
    char *err = NULL;
    const int code =
        run_ppofw(&err, "run", "base.yaml", "--set", s, "--set", c, "--run-dir", dir, "-q", NULL);
    ck_assert_msg(code == 0, "run %s: exit %d:\n%s", dir, code, err);
    g_free(err);
    g_free(s);
    g_free(c);
}

/* legend texts of an SVG, collected with GMarkup (which also checks well-formedness) */
typedef struct {
    bool in_legend;
    bool in_text;
    GPtrArray *legend;
} legend_t;

static void on_start(GMarkupParseContext *ctx, const char *name, const char **an, const char **av,
                     gpointer data, GError **error)
{
    (void)ctx;
    (void)error;
    legend_t *l = data;
    for (guint i = 0; an[i] != NULL; i++)
        if (strcmp(an[i], "class") == 0 && strcmp(av[i], "legend-entry") == 0)
            l->in_legend = true;
    if (l->in_legend && strcmp(name, "text") == 0)
        l->in_text = true;
}

static void on_end(GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
    (void)ctx;
    (void)error;
    legend_t *l = data;
    if (strcmp(name, "text") == 0)
        l->in_text = false;
    if (strcmp(name, "g") == 0)
        l->in_legend = false;
}

static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
                    GError **error)
{
    (void)ctx;
    (void)error;
    legend_t *l = data;
    if (l->in_text)
        g_ptr_array_add(l->legend, g_strndup(text, len));
}

static GPtrArray *legend_of(const char *file)
{
    char *path = g_build_filename(tmp_root, file, NULL);
    char *svg = NULL;
    ck_assert_msg(g_file_get_contents(path, &svg, NULL, NULL), "no %s", path);
    legend_t l = {.legend = g_ptr_array_new_with_free_func(g_free)};
    const GMarkupParser parser = {on_start, on_end, on_text, NULL, NULL};
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &l, NULL);
    GError *error = NULL;
    const gboolean ok = g_markup_parse_context_parse(ctx, svg, -1, &error) &&
                        g_markup_parse_context_end_parse(ctx, &error);
    ck_assert_msg(ok, "%s is not well-formed: %s", file, ok ? "" : error->message);
    g_markup_parse_context_free(ctx);
    g_free(svg);
    g_free(path);
    return l.legend;
}

START_TEST(test_plot_groups_runs_that_differ_only_in_the_seed)
{
    make_run("a1", "1", "0.2");
    make_run("a2", "2", "0.2");
    make_run("b1", "1", "0.1");
    char *err = NULL;
    const int code = run_ppofw(&err, "plot", "a1", "b1", "a2", "-o", "fig.svg", NULL);
    ck_assert_msg(code == 0, "exit %d:\n%s", code, err);
    ck_assert_msg(strstr(err, "3 runs in 2 curves") != NULL, "%s", err);
    g_free(err);
    GPtrArray *legend = legend_of("fig.svg");
    ck_assert_uint_eq(legend->len, 2);
    ck_assert_str_eq(g_ptr_array_index(legend, 0), "ppo.clip=0.2 (n=2)");
    ck_assert_str_eq(g_ptr_array_index(legend, 1), "ppo.clip=0.1 (n=1)");
    g_ptr_array_free(legend, TRUE);

    /* the same runs with a std band and a title */
    ck_assert_int_eq(run_ppofw(NULL, "plot", "a1", "a2", "--band", "std", "--title", "two seeds",
                               "-o", "std.svg", NULL),
                     0);
    legend = legend_of("std.svg");
    ck_assert_uint_eq(legend->len, 1);
    ck_assert_str_eq(g_ptr_array_index(legend, 0), "tiny (n=2)");
    g_ptr_array_free(legend, TRUE);
}
END_TEST

START_TEST(test_plot_smooths_episodes_csv_over_the_last_n_episodes)
{
    make_run("a1", "1", "0.2");
    make_run("a2", "2", "0.2");
    char *err = NULL;
    ck_assert_int_eq(run_ppofw(&err, "plot", "a1", "a2", "--episodes", "5", "-o", "ep.svg", NULL),
                     0);
    ck_assert_msg(strstr(err, "2 runs in 1 curves") != NULL, "%s", err);
    g_free(err);
    char *svg = NULL;
    char *path = g_build_filename(tmp_root, "ep.svg", NULL);
    ck_assert(g_file_get_contents(path, &svg, NULL, NULL));
    ck_assert_msg(strstr(svg, "last 5 episodes") != NULL, "the subtitle names the smoothing");
    g_free(svg);
    g_free(path);
    ck_assert_int_eq(run_ppofw(&err, "plot", "a1", "--episodes", "-3", "-o", "x.svg", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "--episodes"));
    g_free(err);
}
END_TEST

START_TEST(test_plot_takes_a_sweep_directory_for_its_runs)
{
    char *path = g_build_filename(tmp_root, "sweep.yaml", NULL);
    ck_assert(g_file_set_contents(
        path, "base: base.yaml\ngrid: { ppo.epochs: [1, 2] }\nseeds: [1, 2]\n", -1, NULL));
    g_free(path);
    ck_assert_int_eq(run_ppofw(NULL, "sweep", "sweep.yaml", "--out", "sw", "-q", NULL), 0);
    char *err = NULL;
    ck_assert_int_eq(run_ppofw(&err, "plot", "sw", "-o", "sw.svg", NULL), 0);
    ck_assert_msg(strstr(err, "4 runs in 2 curves") != NULL, "%s", err);
    g_free(err);
    GPtrArray *legend = legend_of("sw.svg");
    ck_assert_uint_eq(legend->len, 2);
    ck_assert_str_eq(g_ptr_array_index(legend, 0), "ppo.epochs=1 (n=2)");
    g_ptr_array_free(legend, TRUE);
}
END_TEST

/* width and height attributes of an SVG's root */
static void svg_size(const char *file, double *width, double *height)
{
    char *path = g_build_filename(tmp_root, file, NULL);
    char *svg = NULL;
    ck_assert(g_file_get_contents(path, &svg, NULL, NULL));
    const char *root = strstr(svg, "<svg ");
    ck_assert_ptr_nonnull(root);
    *width = g_ascii_strtod(strstr(root, " width=\"") + 8, NULL);
    *height = g_ascii_strtod(strstr(root, " height=\"") + 9, NULL);
    g_free(svg);
    g_free(path);
}

START_TEST(test_plot_writes_a_png_of_the_svgs_size_for_a_png_output)
{
    make_run("a1", "1", "0.2");
    make_run("b1", "1", "0.1");
    char *err = NULL;
    ck_assert_int_eq(run_ppofw(&err, "plot", "a1", "b1", "-o", "fig.png", NULL), 0);
    ck_assert_msg(strstr(err, "wrote fig.png") != NULL, "%s", err);
    g_free(err);
    ck_assert_int_eq(run_ppofw(NULL, "plot", "a1", "b1", "-o", "fig.svg", NULL), 0);
    double w, h;
    svg_size("fig.svg", &w, &h);

    /* libpng reads it back: the SVG's size, a white page with the curves' colours on it */
    char *path = g_build_filename(tmp_root, "fig.png", NULL);
    test_image_t *png = test_png_read(path);
    ck_assert_uint_eq(png->width, (uint32_t)ceil(w));
    ck_assert_uint_eq(png->height, (uint32_t)ceil(h));
    const uint8_t *px = png->frames[0];
    ck_assert(px[0] == 255 && px[1] == 255 && px[2] == 255);
    size_t first_colour = 0, second_colour = 0;
    for (size_t i = 0; i < (size_t)png->width * png->height; i++) {
        first_colour += px[3 * i] == 0x00 && px[3 * i + 1] == 0x72 && px[3 * i + 2] == 0xB2;
        second_colour += px[3 * i] == 0xD5 && px[3 * i + 1] == 0x5E && px[3 * i + 2] == 0x00;
    }
    ck_assert_msg(first_colour > 50 && second_colour > 50,
                  "the two curves' colours cover %zu and %zu pixels", first_colour, second_colour);
    test_image_free(png);
    g_free(path);
}
END_TEST

START_TEST(test_plot_bad_arguments_exit_2)
{
    make_run("a1", "1", "0.2");
    char *err = NULL;
    ck_assert_int_eq(run_ppofw(&err, "plot", "a1", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "-o FILE.svg"));
    g_free(err);
    ck_assert_int_eq(run_ppofw(&err, "plot", "a1", "--band", "iqr", "-o", "x.svg", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "expected std or stderr"));
    g_free(err);
    ck_assert_int_eq(run_ppofw(&err, "plot", "nothere", "-o", "x.svg", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "nothere/pipeline.yaml"));
    g_free(err);
}
END_TEST

static Suite *cmd_plot_suite(void)
{
    Suite *s = suite_create("cmd_plot");
    TCase *tc = tcase_create("plot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_plot_groups_runs_that_differ_only_in_the_seed);
    tcase_add_test(tc, test_plot_smooths_episodes_csv_over_the_last_n_episodes);
    tcase_add_test(tc, test_plot_takes_a_sweep_directory_for_its_runs);
    tcase_add_test(tc, test_plot_writes_a_png_of_the_svgs_size_for_a_png_output);
    tcase_add_test(tc, test_plot_bad_arguments_exit_2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(cmd_plot_suite());
}
