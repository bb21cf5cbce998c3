/* ppofw tests — core/ppo_curves.c: learning curves read from metrics.csv, the statistics across
 * seeds (Student t quantiles against published table values, mean/std/95% CI, steps to a
 * threshold, normalized AUC), mean curves with bands, summary.csv/summary.md, and grouping run
 * directories whose pipelines differ only in the seed.
 *
 * Run directories are written here by hand (pipeline.yaml and metrics.csv only), so the numbers
 * are known exactly. What it leaves out: running anything (tests/cli/test_cmd_sweep.c) and
 * the SVG itself (test_ppo_svg.c).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ppo_curves_private.h"
#include "ppo_metrics_private.h"
#include "ppo_test.h"

static char *tmp_root;

static void setup(void)
{
    tmp_root = ppo_test_tmpdir();
    ck_assert_ptr_nonnull(tmp_root);
}

static void teardown(void)
{
    ppo_test_rm_tree(tmp_root);
    g_free(tmp_root);
}

/* A run directory with metrics rows "step,return,time" (return may be empty) and a pipeline. */
static char *make_run(const char *name, const char *pipeline, const char *const *rows,
                      const char *tail)
{
    char *dir = g_build_filename(tmp_root, name, NULL);
    ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
    GString *csv = g_string_new(PPO_METRICS_HEADER "\n");
    for (guint i = 0; rows[i] != NULL; i++) {
        char **f = g_strsplit(rows[i], ",", 3);
        /* global_step,iteration,episodes,ep_return_mean,ep_len_mean,time_s,... */
        g_string_append_printf(csv, "%s,%u,%u,%s,%s,%s,1000,,,,,,,,,,\n", f[0], i + 1, i, f[1],
                               f[1], f[2]);
        g_strfreev(f);
    }
    if (tail != NULL)
        g_string_append(csv, tail);
    char *path = g_build_filename(dir, "metrics.csv", NULL);
    ck_assert(g_file_set_contents(path, csv->str, -1, NULL));
    g_free(path);
    g_string_free(csv, TRUE);
    if (pipeline != NULL) {
        path = g_build_filename(dir, "pipeline.yaml", NULL);
        ck_assert(g_file_set_contents(path, pipeline, -1, NULL));
        g_free(path);
    }
    return dir;
}

#define CLOSE(a, b, tol)                                                                           \
    ck_assert_msg(fabs((double)(a) - (double)(b)) <= (tol), "%.12g vs %.12g", (double)(a),         \
                  (double)(b))

START_TEST(test_student_t_quantiles_match_the_tables)
{
    /* two-sided 95% (p = 0.975) and one-sided 95% values from standard t tables */
    const struct {
        double p, df, t;
    } table[] = {
        {0.975, 1, 12.7062047362},    {0.975, 2, 4.30265272975}, {0.975, 3, 3.18244630528},
        {0.975, 4, 2.7764451052},     {0.975, 9, 2.26215716280}, {0.975, 29, 2.04522964213},
        {0.975, 1000, 1.96233908082}, {0.95, 5, 2.01504837333},  {0.995, 10, 3.16927266718},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
        CLOSE(ppo_student_t_quantile(table[i].p, table[i].df), table[i].t, 1e-8);
        CLOSE(ppo_student_t_quantile(1 - table[i].p, table[i].df), -table[i].t, 1e-8);
    }
    ck_assert(ppo_student_t_quantile(0.5, 3) == 0.0);
}
END_TEST

START_TEST(test_sample_stats_give_mean_std_and_t_interval)
{
    const double v[] = {1, 2, NAN, 3, 4};
    ppo_sample_stats_t s;
    ppo_sample_stats(v, G_N_ELEMENTS(v), &s);
    ck_assert_uint_eq(s.n, 4);
    CLOSE(s.mean, 2.5, 1e-12);
    CLOSE(s.std, sqrt(5.0 / 3.0), 1e-12);
    CLOSE(s.sem, sqrt(5.0 / 3.0) / 2.0, 1e-12);
    CLOSE(s.ci_lo, 2.5 - 3.18244630528 * sqrt(5.0 / 3.0) / 2.0, 1e-8);
    CLOSE(s.ci_hi, 2.5 + 3.18244630528 * sqrt(5.0 / 3.0) / 2.0, 1e-8);
    const double one[] = {7};
    ppo_sample_stats(one, 1, &s);
    ck_assert(s.n == 1 && s.mean == 7 && isnan(s.std) && isnan(s.ci_lo) && isnan(s.ci_hi));
    ppo_sample_stats(NULL, 0, &s);
    ck_assert(s.n == 0 && isnan(s.mean));
}
END_TEST

/* Welch's interval: with equal sizes and variances it is the pooled t interval (df = 2n - 2); with
 * unequal ones df follows Welch-Satterthwaite, here 2646/803 exactly. */
START_TEST(test_welch_difference_has_the_welch_satterthwaite_interval)
{
    const double a[] = {1, 2, 3}, b[] = {5, 6, 7}, c[] = {0, 4, 8, 12};
    ppo_sample_stats_t sa, sb, sc;
    ppo_sample_stats(a, 3, &sa);
    ppo_sample_stats(b, 3, &sb);
    ppo_sample_stats(c, 4, &sc);
    ppo_mean_diff_t d;
    ppo_welch_diff(&sa, &sb, &d);
    CLOSE(d.diff, -4, 1e-12);
    CLOSE(d.df, 4, 1e-12);
    CLOSE(d.ci_lo, -4 - 2.7764451052 * sqrt(2.0 / 3.0), 1e-8);
    CLOSE(d.ci_hi, -4 + 2.7764451052 * sqrt(2.0 / 3.0), 1e-8);
    /* variances 1 and 80/3: se^2 = 1/3 + 20/3 = 7 */
    ppo_welch_diff(&sa, &sc, &d);
    CLOSE(d.diff, -4, 1e-12);
    CLOSE(d.df, 2646.0 / 803.0, 1e-12);
    const double t = ppo_student_t_quantile(0.975, 2646.0 / 803.0);
    ck_assert(t > 2.7764451052 && t < 3.18244630528); /* between df 4 and df 3 */
    CLOSE(d.ci_hi - d.diff, t * sqrt(7.0), 1e-9);
    CLOSE(d.diff - d.ci_lo, t * sqrt(7.0), 1e-9);
    /* constant samples: the point; fewer than two values: nothing */
    const double two[] = {2, 2}, one_each[] = {1, 1};
    ppo_sample_stats(two, 2, &sa);
    ppo_sample_stats(one_each, 2, &sb);
    ppo_welch_diff(&sa, &sb, &d);
    ck_assert(d.diff == 1 && d.ci_lo == 1 && d.ci_hi == 1);
    ppo_sample_stats(a, 1, &sa);
    ppo_welch_diff(&sa, &sb, &d);
    ck_assert(isnan(d.diff) && isnan(d.ci_lo) && isnan(d.ci_hi));
}
END_TEST

START_TEST(test_curve_reads_returns_and_ignores_a_cut_last_line)
{
    const char *rows[] = {"100,,0.1", "200,10,0.2", "300,30,0.3", "400,20,0.4", NULL};
    char *dir = make_run("r", NULL, rows, "500,99,0.5,1000,");
    GError *error = NULL;
    ppo_curve_t *c = ppo_curve_load(dir, &error);
    ck_assert_msg(c != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_uint_eq(c->n, 3);
    CLOSE(c->steps[0], 200, 0);
    CLOSE(c->returns[0], 10, 0);
    CLOSE(c->returns[2], 20, 0);
    ck_assert_uint_eq(c->last_step, 400);
    CLOSE(c->time_s, 0.4, 1e-12);
    CLOSE(ppo_curve_final(c), 20, 0);
    CLOSE(ppo_curve_steps_to(c, 25), 300, 0);
    ck_assert(isnan(ppo_curve_steps_to(c, 31)));
    /* trapezoids: (10+30)/2*100 + (30+20)/2*100 = 4500 over 200 steps */
    CLOSE(ppo_curve_auc(c), 22.5, 1e-12);
    ppo_curve_free(c);
    g_free(dir);
}
END_TEST

START_TEST(test_episode_curve_is_the_mean_of_the_last_n_episodes_at_each_step)
{
    char *dir = g_build_filename(tmp_root, "episodes", NULL);
    g_mkdir_with_parents(dir, 0755);
    char *path = g_build_filename(dir, "episodes.csv", NULL);
    /* two envs end episodes at step 40; the last line was cut by a killed run */
    g_file_set_contents(path,
                        "global_step,env,return,length,terminated,truncated,time_s\n"
                        "10,0,1,10,1,0,0.1\n"
                        "20,1,3,20,1,0,0.2\n"
                        "40,0,5,30,0,1,0.3\n"
                        "40,1,7,20,1,0,0.3\n"
                        "50,0,9,10,1,0,0.4\n"
                        "60,1,1000,20",
                        -1, NULL);
    GError *error = NULL;
    ppo_curve_t *c = ppo_curve_load_episodes(dir, 2, &error);
    ck_assert_msg(c != NULL, "%s", error != NULL ? error->message : "");
    /* last-2 means: 1 (one episode so far), 2, then at step 40 after both episodes 6, then 8 */
    ck_assert_uint_eq(c->n, 4);
    const double steps[] = {10, 20, 40, 50}, means[] = {1, 2, 6, 8};
    for (int k = 0; k < 4; k++) {
        CLOSE(c->steps[k], steps[k], 0);
        CLOSE(c->returns[k], means[k], 1e-12);
    }
    ck_assert_uint_eq(c->last_step, 50);
    CLOSE(c->time_s, 0.4, 1e-12);
    ppo_curve_free(c);
    /* a window of one is the episodes themselves (the last of a step) */
    c = ppo_curve_load_episodes(dir, 1, &error);
    CLOSE(c->returns[2], 7, 0);
    ppo_curve_free(c);
    g_file_set_contents(path, "global_step,env\n", -1, NULL);
    ck_assert_ptr_null(ppo_curve_load_episodes(dir, 20, &error));
    ck_assert_int_eq(error->code, PPO_ERROR_IO);
    ck_assert_ptr_nonnull(strstr(error->message, "return"));
    g_clear_error(&error);
    g_unlink(path);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_curve_of_a_non_metrics_file_is_an_io_error)
{
    char *dir = g_build_filename(tmp_root, "bad", NULL);
    g_mkdir_with_parents(dir, 0755);
    char *path = g_build_filename(dir, "metrics.csv", NULL);
    g_file_set_contents(path, "a,b\n1,2\n", -1, NULL);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_curve_load(dir, &error));
    ck_assert_int_eq(error->code, PPO_ERROR_IO);
    ck_assert_ptr_nonnull(strstr(error->message, "global_step"));
    g_clear_error(&error);
    g_unlink(path);
    ck_assert_ptr_null(ppo_curve_load(dir, &error));
    ck_assert_ptr_nonnull(strstr(error->message, "metrics.csv"));
    g_error_free(error);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_band_counts_only_runs_that_cover_a_step)
{
    const char *ra[] = {"100,10,1", "200,20,2", "300,30,3", NULL};
    const char *rb[] = {"200,40,1", "400,60,2", NULL};
    char *da = make_run("a", NULL, ra, NULL);
    char *db = make_run("b", NULL, rb, NULL);
    ppo_curve_t *c[2] = {ppo_curve_load(da, NULL), ppo_curve_load(db, NULL)};
    ppo_band_t *b = ppo_band_new((const ppo_curve_t *const *)c, 2, PPO_BAND_STDERR, 100);
    /* steps: the union 100, 200, 300, 400 */
    ck_assert_uint_eq(b->n, 4);
    const double want_x[] = {100, 200, 300, 400};
    const uint32_t want_n[] = {1, 2, 2, 1};
    /* at 300, b is interpolated to 50 */
    const double want_mean[] = {10, 30, 40, 60};
    for (size_t i = 0; i < 4; i++) {
        CLOSE(b->x[i], want_x[i], 0);
        ck_assert_uint_eq(b->count[i], want_n[i]);
        CLOSE(b->mean[i], want_mean[i], 1e-12);
    }
    /* two values 20 and 40: std = 14.142..., standard error 10 */
    ck_assert(isnan(b->lo[0]) && isnan(b->hi[3]));
    CLOSE(b->hi[1] - b->mean[1], 10.0, 1e-9);
    ppo_band_free(b);
    b = ppo_band_new((const ppo_curve_t *const *)c, 2, PPO_BAND_STD, 100);
    CLOSE(b->hi[1] - b->mean[1], sqrt(200.0), 1e-9);
    ppo_band_free(b);
    /* fewer points than steps: evenly chosen, the last kept */
    b = ppo_band_new((const ppo_curve_t *const *)c, 2, PPO_BAND_STD, 2);
    ck_assert_uint_eq(b->n, 2);
    CLOSE(b->x[0], 100, 0);
    CLOSE(b->x[1], 400, 0);
    ppo_band_free(b);
    ppo_curve_free(c[0]);
    ppo_curve_free(c[1]);
    g_free(da);
    g_free(db);
}
END_TEST

/* a report with two groups of known curves */
static ppo_report_t *known_report(void)
{
    ppo_report_t *r = g_new0(ppo_report_t, 1);
    r->title = "known";
    r->groups = g_ptr_array_new_with_free_func((GDestroyNotify)ppo_report_group_free);
    r->axes = g_strsplit("ppo.clip", ",", -1);
    const char *rows[3][4] = {{"100,10,1", "200,50,2", NULL, NULL},
                              {"100,20,1", "200,40,3", NULL, NULL},
                              {"100,5,1", "200,6,2", NULL, NULL}};
    for (int g = 0; g < 2; g++) {
        ppo_report_group_t *grp =
            ppo_report_group_new(g == 0 ? "ppo.clip=0.1" : "ppo.clip=0.2", NULL);
        grp->axis_values = g_strsplit(g == 0 ? "0.1" : "0.2", ",", -1);
        grp->threshold = 45;
        const int first = g == 0 ? 0 : 2, last = g == 0 ? 1 : 2;
        for (int k = first; k <= last; k++) {
            char *name = g_strdup_printf("run%d", k);
            char *dir = make_run(name, NULL, rows[k], NULL);
            g_ptr_array_add(grp->curves, ppo_curve_load(dir, NULL));
            g_ptr_array_add(grp->run_names, name);
            g_free(dir);
        }
        grp->n_runs = 3;
        grp->n_failed = g == 0 ? 1 : 2;
        g_ptr_array_add(r->groups, grp);
    }
    return r;
}

START_TEST(test_summary_csv_has_one_parsable_row_per_group_with_the_statistics)
{
    ppo_report_t *r = known_report();
    ppo_report_group_t *g0 = g_ptr_array_index(r->groups, 0);
    ppo_group_summary_t s;
    ppo_group_summarize(g0, &s);
    CLOSE(s.final.mean, 45, 1e-12);
    CLOSE(s.final.std, sqrt(50.0), 1e-12);
    ck_assert_uint_eq(s.reached, 1);
    CLOSE(s.to_threshold.mean, 200, 0);
    CLOSE(s.auc.mean, 30, 1e-12);
    CLOSE(s.wall.mean, 2.5, 1e-12);

    char *csv = ppo_report_csv(r);
    char *path = g_build_filename(tmp_root, "summary.csv", NULL);
    g_file_set_contents(path, csv, -1, NULL);
    ppo_csv_t *t = ppo_csv_load(path);
    ck_assert_uint_eq(t->rows->len, 2);
    ck_assert_str_eq(ppo_csv_str(t, 0, ppo_csv_col(t, "cell")), "ppo.clip=0.1");
    ck_assert_str_eq(ppo_csv_str(t, 1, ppo_csv_col(t, "ppo.clip")), "0.2");
    CLOSE(ppo_csv_num(t, 0, ppo_csv_col(t, "final_return_mean")), 45, 1e-9);
    CLOSE(ppo_csv_num(t, 0, ppo_csv_col(t, "final_return_ci95_high")), 45 + 12.7062047362 * 5.0,
          1e-3);
    CLOSE(ppo_csv_num(t, 0, ppo_csv_col(t, "done")), 2, 0);
    CLOSE(ppo_csv_num(t, 0, ppo_csv_col(t, "failed")), 1, 0);
    CLOSE(ppo_csv_num(t, 0, ppo_csv_col(t, "threshold_reached")), 1, 0);
    CLOSE(ppo_csv_num(t, 0, ppo_csv_col(t, "auc_mean")), 30, 1e-9);
    /* one run: no std and no interval, but a mean */
    ck_assert_str_eq(ppo_csv_str(t, 1, ppo_csv_col(t, "final_return_std")), "");
    ck_assert_str_eq(ppo_csv_str(t, 1, ppo_csv_col(t, "steps_to_threshold_mean")), "");
    CLOSE(ppo_csv_num(t, 1, ppo_csv_col(t, "threshold_reached")), 0, 0);
    ppo_csv_free(t);
    g_free(path);
    g_free(csv);

    char *md = ppo_report_markdown(r, "pre", "curves.svg", "- `x`: exit 3: boom\n");
    ck_assert_ptr_nonnull(strstr(md, "# known"));
    ck_assert_ptr_nonnull(strstr(md, "| ppo.clip=0.1 | 2/3 (1 failed) | 45.00 ± 7.07 | "));
    ck_assert_ptr_nonnull(strstr(md, "≥ 45: 200 (1/2)"));
    ck_assert_ptr_nonnull(strstr(md, "![learning curves](curves.svg)"));
    ck_assert_ptr_nonnull(strstr(md, "## Failed runs"));
    g_free(md);
    ppo_report_free(r);
}
END_TEST

/* Each cell against the first of its panel (Welch on the final returns), and each seed's steps
 * to the threshold: cells A and B share a panel, C has one of its own. */
START_TEST(test_summary_compares_each_cell_with_the_first_of_its_panel_and_lists_steps_by_seed)
{
    ppo_report_t *r = g_new0(ppo_report_t, 1);
    r->title = "cmp";
    r->groups = g_ptr_array_new_with_free_func((GDestroyNotify)ppo_report_group_free);
    const struct {
        const char *name, *panel;
        const char *runs[2][3]; /* per seed (1, 2): metrics rows */
    } cells[] = {
        {"A", "p1", {{"100,5,1", "200,10,2", NULL}, {"100,16,1", "200,20,2", NULL}}},
        {"B", "p1", {{"100,10,1", "200,30,2", NULL}, {"100,50,1", "200,50,2", NULL}}},
        {"C", "p2", {{"100,4,1", "200,5,2", NULL}, {"100,6,1", "200,7,2", NULL}}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cells); i++) {
        ppo_report_group_t *g = ppo_report_group_new(cells[i].name, cells[i].panel);
        g->threshold = 15;
        for (uint64_t seed = 1; seed <= 2; seed++) {
            char *name = g_strdup_printf("%s-s%" G_GUINT64_FORMAT, cells[i].name, seed);
            char *dir = make_run(name, NULL, cells[i].runs[seed - 1], NULL);
            g_ptr_array_add(g->curves, ppo_curve_load(dir, NULL));
            g_ptr_array_add(g->run_names, name);
            g_array_append_val(g->seeds, seed);
            g_free(dir);
        }
        g->n_runs = 2;
        g_ptr_array_add(r->groups, g);
    }
    ck_assert_ptr_eq(ppo_report_reference(r, g_ptr_array_index(r->groups, 1)),
                     g_ptr_array_index(r->groups, 0));
    ck_assert_ptr_eq(ppo_report_reference(r, g_ptr_array_index(r->groups, 2)),
                     g_ptr_array_index(r->groups, 2));

    /* B - A = 40 - 15; variances 200 and 50 over 2 runs each: se^2 = 125, df = 125^2 / 10625 */
    char *csv = ppo_report_csv(r);
    char *path = g_build_filename(tmp_root, "cmp.csv", NULL);
    g_file_set_contents(path, csv, -1, NULL);
    ppo_csv_t *t = ppo_csv_load(path);
    const int to = ppo_csv_col(t, "compared_to"), diff = ppo_csv_col(t, "final_return_diff");
    const int lo = ppo_csv_col(t, "final_return_diff_ci95_low");
    const int hi = ppo_csv_col(t, "final_return_diff_ci95_high");
    ck_assert_str_eq(ppo_csv_str(t, 0, to), "");
    ck_assert_str_eq(ppo_csv_str(t, 0, diff), "");
    ck_assert_str_eq(ppo_csv_str(t, 1, to), "A");
    CLOSE(ppo_csv_num(t, 1, diff), 25, 1e-9);
    const double half = ppo_student_t_quantile(0.975, 15625.0 / 10625.0) * sqrt(125.0);
    CLOSE(ppo_csv_num(t, 1, lo), 25 - half, 1e-3);
    CLOSE(ppo_csv_num(t, 1, hi), 25 + half, 1e-3);
    ck_assert_str_eq(ppo_csv_str(t, 2, to), "");
    ppo_csv_free(t);

    char *md = ppo_report_markdown(r, NULL, NULL, NULL);
    ck_assert_msg(strstr(md, "| A | 2 | 15.00 ± 7.07 | ") != NULL && strstr(md, "(first)") != NULL,
                  "%s", md);
    ck_assert_msg(strstr(md, "| +25.00 [") != NULL, "%s", md);
    ck_assert_msg(strstr(md, "| cell | seed 1 | seed 2 |") != NULL, "%s", md);
    ck_assert_msg(strstr(md, "| A | not reached | 100 |") != NULL, "%s", md);
    ck_assert_msg(strstr(md, "| B | 200 | 100 |") != NULL, "%s", md);
    ck_assert_msg(strstr(md, "| C | not reached | not reached |") != NULL, "%s", md);
    g_free(md);
    g_free(path);
    g_free(csv);
    ppo_report_free(r);
}
END_TEST

static char *pipeline_text(const char *env, double clip, int seed, int threads)
{
    return g_strdup_printf("# ppofw 0.1.0\nname: p\nseed: %d\nenv:\n  plugin: %s\n  num_envs: 8\n"
                           "  params: {}\nadvantage:\n  plugin: gae\n  params:\n    gamma: 0.99\n"
                           "    lambda: 0.95\nppo:\n  total_steps: 400\n  clip: %g\n"
                           "  threads: %d\n",
                           seed, env, clip, threads);
}

START_TEST(test_runs_differing_only_in_seed_and_threads_form_one_group)
{
    const char *rows[] = {"100,10,1", "200,20,2", NULL};
    struct {
        const char *name, *env;
        double clip;
        int seed, threads;
    } runs[] = {
        {"a1", "cartpole", 0.2, 1, 0},
        {"b1", "cartpole", 0.1, 1, 0},
        {"a2", "cartpole", 0.2, 2, 4},
        {"c1", "acrobot", 0.2, 1, 0},
    };
    char *dirs[G_N_ELEMENTS(runs)];
    for (size_t i = 0; i < G_N_ELEMENTS(runs); i++) {
        char *p = pipeline_text(runs[i].env, runs[i].clip, runs[i].seed, runs[i].threads);
        dirs[i] = make_run(runs[i].name, p, rows, NULL);
        g_free(p);
    }
    GError *error = NULL;
    ppo_report_t *r = ppo_report_from_runs((const char *const *)dirs, G_N_ELEMENTS(runs), 0, &error);
    ck_assert_msg(r != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_uint_eq(r->groups->len, 3);
    const ppo_report_group_t *g0 = g_ptr_array_index(r->groups, 0);
    const ppo_report_group_t *g1 = g_ptr_array_index(r->groups, 1);
    const ppo_report_group_t *g2 = g_ptr_array_index(r->groups, 2);
    ck_assert_uint_eq(g0->curves->len, 2);
    ck_assert_str_eq(g0->run_names->pdata[1], "a2");
    ck_assert_uint_eq(g1->curves->len, 1);
    ck_assert_uint_eq(g2->curves->len, 1);
    /* labels name what differs within the env's panel */
    ck_assert_str_eq(g0->name, "ppo.clip=0.2");
    ck_assert_str_eq(g1->name, "ppo.clip=0.1");
    ck_assert_str_eq(g0->panel, "env: cartpole");
    ck_assert_str_eq(g2->panel, "env: acrobot");
    ck_assert_str_eq(g2->name, "p");
    ppo_report_free(r);

    /* a directory without pipeline.yaml is an error naming the file */
    char *lone = make_run("lone", NULL, rows, NULL);
    const char *two[] = {dirs[0], lone};
    ck_assert_ptr_null(ppo_report_from_runs(two, 2, 0, &error));
    ck_assert_ptr_nonnull(strstr(error->message, "pipeline.yaml"));
    g_error_free(error);
    g_free(lone);
    for (size_t i = 0; i < G_N_ELEMENTS(runs); i++)
        g_free(dirs[i]);
}
END_TEST

START_TEST(test_swapped_plugin_is_labelled_by_plugin_not_by_its_params)
{
    const char *rows[] = {"100,10,1", NULL};
    const char *pa = "name: p\nseed: 1\nenv: {plugin: cartpole}\nadvantage:\n  plugin: gae\n"
                     "  params: {gamma: 0.99, lambda: 0.95}\n";
    const char *pb = "name: p\nseed: 1\nenv: {plugin: cartpole}\nadvantage:\n  plugin: mc\n"
                     "  params: {gamma: 0.99}\n";
    char *dirs[2] = {make_run("gae", pa, rows, NULL), make_run("mc", pb, rows, NULL)};
    ppo_report_t *r = ppo_report_from_runs((const char *const *)dirs, 2, 0, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(((ppo_report_group_t *)g_ptr_array_index(r->groups, 0))->name,
                     "advantage=gae");
    ck_assert_str_eq(((ppo_report_group_t *)g_ptr_array_index(r->groups, 1))->name, "advantage=mc");
    char *svg = ppo_report_svg(r, "sub", PPO_BAND_STDERR);
    ck_assert_ptr_nonnull(strstr(svg, "advantage=gae (n=1)"));
    g_free(svg);
    ppo_report_free(r);
    g_free(dirs[0]);
    g_free(dirs[1]);
}
END_TEST

static Suite *curves_suite(void)
{
    Suite *s = suite_create("ppo_curves");
    TCase *tc = tcase_create("curves");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_student_t_quantiles_match_the_tables);
    tcase_add_test(tc, test_sample_stats_give_mean_std_and_t_interval);
    tcase_add_test(tc, test_welch_difference_has_the_welch_satterthwaite_interval);
    tcase_add_test(tc, test_curve_reads_returns_and_ignores_a_cut_last_line);
    tcase_add_test(tc, test_episode_curve_is_the_mean_of_the_last_n_episodes_at_each_step);
    tcase_add_test(tc, test_curve_of_a_non_metrics_file_is_an_io_error);
    tcase_add_test(tc, test_band_counts_only_runs_that_cover_a_step);
    tcase_add_test(tc, test_summary_csv_has_one_parsable_row_per_group_with_the_statistics);
    tcase_add_test(
        tc, test_summary_compares_each_cell_with_the_first_of_its_panel_and_lists_steps_by_seed);
    tcase_add_test(tc, test_runs_differing_only_in_seed_and_threads_form_one_group);
    tcase_add_test(tc, test_swapped_plugin_is_labelled_by_plugin_not_by_its_params);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(curves_suite());
}
