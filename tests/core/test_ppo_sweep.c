/* ppofw tests — core/ppo_sweep.c: sweep files become cells (the product of the axes, first axis
 * slowest, with readable, safe, unique names and the right --set overrides), every mistake in a
 * sweep file is reported at its file:line:col, and validation builds every cell so an error in
 * one grid value points back at that value and names the cell.
 *
 * Sweep files and base pipelines are written into a temporary directory; validation loads the
 * shipped plugins cartpole, mlp, gae, mc and adam from the build tree. What it leaves out:
 * running cells (tests/cli/test_cmd_sweep.c).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ppo_sweep_private.h"
#include "ppo_test.h"

static char *tmp_root;

static const char *const base_text =
    "name: tiny\n"
    "seed: 1\n"
    "env: { plugin: cartpole, num_envs: 2 }\n"
    "policy: { plugin: mlp, params: { pi_hidden: [8], vf_hidden: [8] } }\n"
    "advantage: { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }\n"
    "optimizer: { plugin: adam, params: { lr: 1.0e-3 } }\n"
    "ppo: { total_steps: 64, rollout_steps: 16, epochs: 1, minibatches: 2 }\n";

static void write_file(const char *name, const char *text)
{
    char *path = g_build_filename(tmp_root, name, NULL);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    g_free(path);
}

static void setup(void)
{
    tmp_root = ppo_test_tmpdir();
    ck_assert_ptr_nonnull(tmp_root);
    write_file("base.yaml", base_text);
    write_file("other.yaml", base_text);
}

static void teardown(void)
{
    ppo_test_rm_tree(tmp_root);
    g_free(tmp_root);
}

/* Load sweep text written as sweep.yaml; NULL with *error on failure. */
static ppo_sweep_t *load(const char *text, GError **error)
{
    write_file("sweep.yaml", text);
    char *path = g_build_filename(tmp_root, "sweep.yaml", NULL);
    ppo_sweep_t *sw = ppo_sweep_load(path, error);
    g_free(path);
    return sw;
}

static const ppo_sweep_cell_t *cell(const ppo_sweep_t *sw, guint i)
{
    return g_ptr_array_index(sw->cells, i);
}

static const char *ov(const ppo_sweep_cell_t *c, guint i)
{
    return g_ptr_array_index(c->overrides, i);
}

START_TEST(test_sweep_cells_are_the_product_with_the_first_axis_slowest)
{
    GError *error = NULL;
    ppo_sweep_t *sw = load("name: abl\n"
                           "base: [base.yaml, other.yaml]\n"
                           "grid:\n"
                           "  advantage:\n"
                           "    - { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }\n"
                           "    - { plugin: mc, params: { gamma: 0.99 } }\n"
                           "  ppo.clip: [0.1, 0.2]\n"
                           "set: { ppo.total_steps: 128, policy.params.pi_hidden: [4, 4] }\n"
                           "seeds: [3, 1]\n"
                           "threshold: 20\n",
                           &error);
    ck_assert_msg(sw != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_str_eq(sw->name, "abl");
    ck_assert_uint_eq(sw->axes->len, 3);
    ck_assert_uint_eq(sw->cells->len, 8);
    ck_assert_str_eq(cell(sw, 0)->name, "base=base,advantage=gae,ppo.clip=0.1");
    ck_assert_str_eq(cell(sw, 1)->name, "base=base,advantage=gae,ppo.clip=0.2");
    ck_assert_str_eq(cell(sw, 2)->name, "base=base,advantage=mc,ppo.clip=0.1");
    ck_assert_str_eq(cell(sw, 7)->name, "base=other,advantage=mc,ppo.clip=0.2");
    ck_assert(g_str_has_suffix(cell(sw, 0)->base, "/base.yaml"));
    ck_assert(g_path_is_absolute(cell(sw, 0)->base));
    ck_assert(g_str_has_suffix(cell(sw, 4)->base, "/other.yaml"));
    /* grid values first, then set, each as flow YAML */
    const ppo_sweep_cell_t *c = cell(sw, 2);
    ck_assert_uint_eq(c->overrides->len, 4);
    ck_assert_str_eq(ov(c, 0), "advantage={plugin: mc, params: {gamma: 0.99}}");
    ck_assert_str_eq(ov(c, 1), "ppo.clip=0.1");
    ck_assert_str_eq(ov(c, 2), "ppo.total_steps=128");
    ck_assert_str_eq(ov(c, 3), "policy.params.pi_hidden=[4, 4]");
    /* the override's mark is the value's place in the sweep file */
    const ppo_mark_t m = g_array_index(c->override_marks, ppo_mark_t, 0);
    ck_assert_uint_eq(m.line, 6);
    ck_assert_uint_eq(m.col, 7);
    ck_assert_uint_eq(sw->seeds->len, 2);
    ck_assert_uint_eq(g_array_index(sw->seeds, uint64_t, 0), 3);
    ck_assert(cell(sw, 0)->threshold == 20.0);
    char *run = ppo_sweep_run_name(c, 3);
    ck_assert_str_eq(run, "base=base,advantage=mc,ppo.clip=0.1-s3");
    g_free(run);
    ppo_sweep_free(sw);
}
END_TEST

START_TEST(test_sweep_labels_are_safe_and_unique_within_an_axis)
{
    ppo_sweep_t *sw = load("base: base.yaml\n"
                           "grid:\n"
                           "  advantage:\n"
                           "    - { plugin: gae, params: { gamma: 0.99, lambda: 0.8 } }\n"
                           "    - { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }\n"
                           "    - { plugin: mc, params: { gamma: 0.99 } }\n"
                           "  policy.params.pi_hidden: [[64, 64], [8]]\n"
                           "  name: ['a/b', 'a:b']\n"
                           "seeds: [1]\n",
                           NULL);
    ck_assert_ptr_nonnull(sw);
    ck_assert_str_eq(sw->name, "sweep");
    ck_assert_str_eq(cell(sw, 0)->name,
                     "advantage=gae-lambda0.8,policy.params.pi_hidden=64_64,name=a_b-1");
    ck_assert_str_eq(cell(sw, 1)->name,
                     "advantage=gae-lambda0.8,policy.params.pi_hidden=64_64,name=a_b-2");
    ck_assert_str_eq(cell(sw, 2)->name,
                     "advantage=gae-lambda0.8,policy.params.pi_hidden=8,name=a_b-1");
    ck_assert_str_eq(cell(sw, 4)->name,
                     "advantage=gae-lambda0.95,policy.params.pi_hidden=64_64,name=a_b-1");
    ck_assert_str_eq(cell(sw, 8)->name, "advantage=mc,policy.params.pi_hidden=64_64,name=a_b-1");
    for (guint i = 0; i < sw->cells->len; i++) {
        const char *n = cell(sw, i)->name;
        ck_assert_ptr_null(strchr(n, '/'));
        ck_assert_ptr_null(strchr(n, ' '));
        for (guint j = 0; j < i; j++)
            ck_assert_str_ne(n, cell(sw, j)->name);
    }
    ppo_sweep_free(sw);

    char *s = ppo_sweep_slug("../x y/[1, 2]");
    ck_assert_str_eq(s, "x.._x_y_1_2");
    g_free(s);
    s = ppo_sweep_slug("{}");
    ck_assert_str_eq(s, "x");
    g_free(s);
}
END_TEST

START_TEST(test_sweep_variant_axis_sets_several_keys_together)
{
    ppo_sweep_t *sw = load("base: base.yaml\n"
                           "grid:\n"
                           "  objective:\n"
                           "    - { ppo.objective: clip, ppo.clip: 0.1 }\n"
                           "    - { ppo.objective: kl_penalty, ppo.kl_penalty_target: 0.003 }\n"
                           "    - { ppo.objective: none }\n"
                           "seeds: [1, 2, 3]\n"
                           "threshold: { base: -85 }\n",
                           NULL);
    ck_assert_ptr_nonnull(sw);
    ck_assert_uint_eq(sw->cells->len, 3);
    ck_assert_str_eq(cell(sw, 0)->name, "objective=clip-0.1");
    ck_assert_str_eq(cell(sw, 1)->name, "objective=kl_penalty-0.003");
    ck_assert_str_eq(cell(sw, 2)->name, "objective=none");
    ck_assert_uint_eq(cell(sw, 1)->overrides->len, 2);
    ck_assert_str_eq(ov(cell(sw, 1), 0), "ppo.objective=kl_penalty");
    ck_assert_str_eq(ov(cell(sw, 1), 1), "ppo.kl_penalty_target=0.003");
    ck_assert(cell(sw, 2)->threshold == -85.0);
    ppo_search_t *search = ppo_search_new(NULL);
    GError *error = NULL;
    ck_assert_msg(ppo_sweep_validate(sw, search, &error), "%s", error->message);
    ppo_search_free(search);
    ppo_sweep_free(sw);
}
END_TEST

START_TEST(test_sweep_flow_text_parses_back_to_the_same_value)
{
    const char *texts[] = {"{plugin: gae, params: {gamma: 0.99, lambda: 0.95}}",
                           "[64, 64]",
                           "\"0.1\"",
                           "null",
                           "~",
                           "{a: [1, {b: \"x: y\"}], c: ''}",
                           "true",
                           "'it''s'"};
    for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
        ppo_ydoc_t *d1 = ppo_ydoc_parse("t", texts[i], strlen(texts[i]), NULL);
        ck_assert_ptr_nonnull(d1);
        char *f1 = ppo_sweep_flow(ppo_ydoc_root(d1));
        ppo_ydoc_t *d2 = ppo_ydoc_parse("t", f1, strlen(f1), NULL);
        ck_assert_msg(d2 != NULL, "%s -> %s does not parse", texts[i], f1);
        char *f2 = ppo_sweep_flow(ppo_ydoc_root(d2));
        ck_assert_str_eq(f1, f2);
        ck_assert(ppo_ydoc_root(d2)->kind == ppo_ydoc_root(d1)->kind);
        if (ppo_ydoc_root(d1)->kind == PPO_YNODE_SCALAR) {
            ck_assert_str_eq(ppo_ydoc_root(d1)->text, ppo_ydoc_root(d2)->text);
            /* a quoted number stays a string; other quotes may go where YAML does not need them */
            if (!ppo_ydoc_root(d1)->plain && g_ascii_isdigit(ppo_ydoc_root(d1)->text[0]))
                ck_assert(!ppo_ydoc_root(d2)->plain);
        }
        g_free(f1);
        g_free(f2);
        ppo_ydoc_free(d1);
        ppo_ydoc_free(d2);
    }
}
END_TEST

/* each bad sweep file, and what its error must say (the position first) */
static const struct {
    const char *text;
    const char *want;
} bad_files[] = {
    {"base: base.yaml\nseeds: [1]\ngrids: {}\n",
     ":3:1: unknown key \"grids\" in the sweep; did you mean \"grid\"?"},
    {"base: nothere.yaml\nseeds: [1]\n", ":1:7: base: no pipeline file \"nothere.yaml\""},
    {"base: [base.yaml, 3]\nseeds: [1]\n", ":1:19: base: no pipeline file \"3\""},
    {"seeds: [1]\n", ":1:1: base: missing"},
    {"base: base.yaml\n", ":1:1: seeds: missing"},
    {"base: base.yaml\nseeds: []\n", ":2:8: seeds: expected a non-empty list"},
    {"base: base.yaml\nseeds: [1, x]\n", ":2:12: seeds: expected an integer"},
    {"base: base.yaml\nseeds: [1, -2]\n", ":2:12: seeds: expected an integer"},
    {"base: base.yaml\nseeds: [4, 4]\n", ":2:12: seeds: 4 is listed twice"},
    {"base: base.yaml\nseeds: [1]\ngrid:\n  ppo.clipp: [0.1]\n",
     ":4:3: grid: unknown pipeline key \"ppo.clipp\"; did you mean \"ppo.clip\"?"},
    {"base: base.yaml\nseeds: [1]\ngrid:\n  advantag:\n    - { plugin: mc }\n",
     ":4:3: grid: unknown pipeline key \"advantag\"; did you mean \"advantage\"?"},
    {"base: base.yaml\nseeds: [1]\ngrid:\n  ppo.clip: 0.1\n",
     ":4:13: grid.ppo.clip: expected a non-empty list of values, got \"0.1\""},
    {"base: base.yaml\nseeds: [1]\ngrid:\n  seed: [1, 2]\n",
     ":4:3: grid: seed is set by the sweep's seeds"},
    {"base: base.yaml\nseeds: [1]\ngrid: { ppo.clip: [0.1] }\nset: { ppo.clip: 0.2 }\n",
     ":4:8: set.ppo.clip: the grid axis ppo.clip"},
    {"base: base.yaml\nseeds: [1]\ngrid:\n  o:\n    - { ppo.objective: none, ppo.clip: 0.1 }\n"
     "set: { ppo.clip: 0.2 }\n",
     ":6:8: set.ppo.clip: the grid axis o"},
    {"base: base.yaml\nseeds: [1]\nset: [1]\n", ":3:6: set: expected a mapping"},
    {"base: base.yaml\nseeds: [1]\nthreshold: lots\n",
     ":3:12: threshold: expected a finite number"},
    {"base: base.yaml\nseeds: [1]\nthreshold: { bse: 3 }\n",
     ":3:14: threshold: \"bse\" is not a base of this sweep (base); did you mean \"base\"?"},
    {"base: base.yaml\nseeds: [1]\nname: [x]\n", ":3:7: name: expected a string"},
    {"- base.yaml\n", ":1:1: expected a sweep"},
    {"base: base.yaml\nseeds: [1]\nbase: other.yaml\n", ":3:1: duplicate key"},
};

START_TEST(test_sweep_file_errors_point_at_the_line_and_column)
{
    GError *error = NULL;
    ppo_sweep_t *sw = load(bad_files[_i].text, &error);
    ck_assert_msg(sw == NULL, "case %d loaded", _i);
    ck_assert_int_eq(error->code, PPO_ERROR_PIPELINE);
    ck_assert_msg(strstr(error->message, bad_files[_i].want) != NULL,
                  "case %d: got \"%s\", want \"%s\"", _i, error->message, bad_files[_i].want);
    ck_assert_msg(strstr(error->message, "sweep.yaml:") != NULL, "no file in \"%s\"",
                  error->message);
    g_error_free(error);
}
END_TEST

START_TEST(test_sweep_validation_points_at_the_grid_value_and_names_the_cell)
{
    GError *error = NULL;
    ppo_search_t *search = ppo_search_new(NULL);
    ppo_sweep_t *sw = load("base: base.yaml\n"
                           "grid:\n"
                           "  ppo.clip: [0.1, 1.5]\n"
                           "seeds: [1]\n",
                           NULL);
    ck_assert_ptr_nonnull(sw);
    ck_assert(!ppo_sweep_validate(sw, search, &error));
    ck_assert_int_eq(error->code, PPO_ERROR_PIPELINE);
    ck_assert_msg(strstr(error->message, "sweep.yaml:3:19: ") != NULL &&
                      strstr(error->message, "ppo.clip") != NULL &&
                      strstr(error->message, "(sweep cell \"ppo.clip=1.5\")") != NULL &&
                      strstr(error->message, "--set") == NULL,
                  "%s", error->message);
    g_clear_error(&error);
    ppo_sweep_free(sw);

    /* a plugin parameter inside a swapped section: the plugin's schema finds it */
    sw = load("base: base.yaml\n"
              "grid:\n"
              "  advantage:\n"
              "    - { plugin: gae, params: { gamma: 0.99 } }\n"
              "    - { plugin: mc, params: { gama: 0.99 } }\n"
              "    - { plugin: mc, params: { lambda: 0.9 } }\n"
              "seeds: [1]\n",
              NULL);
    ck_assert_ptr_nonnull(sw);
    ck_assert(!ppo_sweep_validate(sw, search, &error));
    ck_assert_msg(strstr(error->message, "sweep.yaml:5:7: ") != NULL &&
                      strstr(error->message, "\"gama\"") != NULL &&
                      strstr(error->message, "gamma") != NULL &&
                      strstr(error->message, "1 more of the 3 cells fail") != NULL,
                  "%s", error->message);
    g_clear_error(&error);
    ppo_sweep_free(sw);

    /* a missing plugin is a plugin error, still at the sweep file's line */
    sw = load("base: base.yaml\ngrid:\n  optimizer:\n    - { plugin: adamw }\nseeds: [1]\n", NULL);
    ck_assert(!ppo_sweep_validate(sw, search, &error));
    ck_assert_int_eq(error->code, PPO_ERROR_PLUGIN);
    ck_assert_msg(strstr(error->message, "sweep.yaml:4:7: ") != NULL, "%s", error->message);
    g_clear_error(&error);
    ppo_sweep_free(sw);

    /* a good sweep validates and learns each cell's budget */
    sw = load("base: base.yaml\ngrid:\n  ppo.clip: [0.1, 0.3]\nset: { ppo.total_steps: 96 }\n"
              "seeds: [1, 2]\n",
              NULL);
    ck_assert(ppo_sweep_validate(sw, search, &error));
    ck_assert_uint_eq(cell(sw, 1)->total_steps, 96);
    ck_assert(!sw->threads_fixed);
    char *csv = ppo_sweep_cells_csv(sw);
    ck_assert_ptr_nonnull(strstr(csv, "cell,base,overrides\nppo.clip=0.1,"));
    ck_assert_ptr_nonnull(strstr(csv, ",--set ppo.clip=0.3 --set ppo.total_steps=96\n"));
    g_free(csv);
    ppo_sweep_free(sw);
    ppo_search_free(search);
}
END_TEST

/* A grid over `advantage.plugin` alone: the mc cell would inherit gae's lambda, which mc does not
 * take; the pipeline's override rule drops a swapped plugin's params in a cell as on the command
 * line, so every cell validates. */
START_TEST(test_sweep_cell_that_swaps_a_plugin_key_drops_the_old_plugins_params)
{
    GError *error = NULL;
    ppo_search_t *search = ppo_search_new(NULL);
    ppo_sweep_t *sw =
        load("base: base.yaml\ngrid:\n  advantage.plugin: [gae, mc]\nseeds: [1]\n", &error);
    ck_assert_msg(sw != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_uint_eq(sw->cells->len, 2);
    ck_assert_str_eq(ov(cell(sw, 1), 0), "advantage.plugin=mc");
    ck_assert_msg(ppo_sweep_validate(sw, search, &error), "%s", error->message);
    ppo_sweep_free(sw);
    ppo_search_free(search);
}
END_TEST

/* ---- the time-left estimate ---- */

#define RUN_DONE_TIMED(c, steps, secs)                                                             \
    {                                                                                              \
        (c), true, false, 0, (steps), (secs)                                                       \
    }
#define RUN_PENDING(c, steps)                                                                      \
    {                                                                                              \
        (c), false, false, (steps), 0, 0                                                           \
    }

/* A cheap cell (1 s per 1000 steps) and a dear one (10 s per 1000): each run left is priced by
 * its own cell. One cheap and three dear runs left cost 1 + 3 x 10 = 31 s; the sweep's average
 * rate (5.5 s per 1000 steps) would say 22 s. */
START_TEST(test_sweep_eta_prices_each_run_by_the_finished_runs_of_its_cell)
{
    const ppo_sweep_eta_run_t runs[] = {
        RUN_DONE_TIMED(0, 1000, 1.0), RUN_PENDING(0, 1000), RUN_DONE_TIMED(1, 1000, 10.0),
        RUN_PENDING(1, 1000),         RUN_PENDING(1, 1000), RUN_PENDING(1, 1000),
    };
    ck_assert_double_eq_tol(ppo_sweep_eta(runs, G_N_ELEMENTS(runs), 1), 31.0, 1e-9);
    /* two at a time, in start order on the slot that frees first: 1 + 10 on one, 10 + 10 on the
     * other */
    ck_assert_double_eq_tol(ppo_sweep_eta(runs, G_N_ELEMENTS(runs), 2), 20.0, 1e-9);
}
END_TEST

START_TEST(test_sweep_eta_falls_back_to_running_runs_then_to_every_finished_run)
{
    /* cell 1 has a run going at 5 s per 1000 steps and nothing finished: its rate */
    const ppo_sweep_eta_run_t running[] = {
        RUN_DONE_TIMED(0, 1000, 1.0),
        {1, false, true, 500, 500, 2.5},
        RUN_PENDING(1, 1000),
    };
    /* the running run's 500 steps (2.5 s) hold a slot; the pending 1000 follow: 7.5 s */
    ck_assert_double_eq_tol(ppo_sweep_eta(running, G_N_ELEMENTS(running), 1), 7.5, 1e-9);
    /* cell 2 was never timed: the finished runs' rate, (1 + 10) s over 2000 steps */
    const ppo_sweep_eta_run_t untimed[] = {
        RUN_DONE_TIMED(0, 1000, 1.0),
        RUN_DONE_TIMED(1, 1000, 10.0),
        RUN_PENDING(2, 2000),
    };
    ck_assert_double_eq_tol(ppo_sweep_eta(untimed, G_N_ELEMENTS(untimed), 4), 11.0, 1e-9);
    /* nothing timed yet: no estimate */
    const ppo_sweep_eta_run_t none[] = {RUN_PENDING(0, 1000), RUN_PENDING(1, 1000)};
    ck_assert(isnan(ppo_sweep_eta(none, G_N_ELEMENTS(none), 2)));
    /* nothing left: done */
    const ppo_sweep_eta_run_t all_done[] = {RUN_DONE_TIMED(0, 1000, 1.0)};
    ck_assert_double_eq(ppo_sweep_eta(all_done, 1, 2), 0.0);
}
END_TEST

static Suite *sweep_suite(void)
{
    Suite *s = suite_create("ppo_sweep");
    TCase *tc = tcase_create("sweep");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_sweep_cells_are_the_product_with_the_first_axis_slowest);
    tcase_add_test(tc, test_sweep_labels_are_safe_and_unique_within_an_axis);
    tcase_add_test(tc, test_sweep_variant_axis_sets_several_keys_together);
    tcase_add_test(tc, test_sweep_flow_text_parses_back_to_the_same_value);
    tcase_add_loop_test(tc, test_sweep_file_errors_point_at_the_line_and_column, 0,
                        G_N_ELEMENTS(bad_files));
    tcase_add_test(tc, test_sweep_validation_points_at_the_grid_value_and_names_the_cell);
    tcase_add_test(tc, test_sweep_cell_that_swaps_a_plugin_key_drops_the_old_plugins_params);
    tcase_add_test(tc, test_sweep_eta_prices_each_run_by_the_finished_runs_of_its_cell);
    tcase_add_test(tc, test_sweep_eta_falls_back_to_running_runs_then_to_every_finished_run);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(sweep_suite());
}
