/* ppofw reliability tests — bad pipelines through `ppofw sweep` files.
 *
 * The classes of bad pipeline input (YAML syntax, an unknown key, a wrong type, a value out of
 * range, a bad choice, a batch that does not divide, an unknown plugin parameter) written as a
 * sweep's grid over a good base pipeline: `ppofw sweep FILE --check` and `ppofw sweep FILE -o
 * DIR` must exit 2 with "FILE:line:col:" pointing into the sweep file, naming the key and what
 * was expected, and must not start any run. Sweep files that are missing or a directory exit 2
 * naming the file.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rel_util.h"

/* One grid (the text under "grid:") and what the message must say after "FILE:". */
static const struct {
    const char *grid;
    const char *where; /* line:col in the sweep file */
    const char *parts[3];
} bad_grids[] = {
    {"  ppo.clip: [0.1, [0.2]\n", "5:1: ", {"did not find expected ',' or ']'", NULL}},
    {"  ppo.epochs: [abc]\n",
     "4:16: ",
     {"ppo.epochs: expected an integer in [1, 10000], got \"abc\"", NULL}},
    {"  ppo.epochs: [1.5]\n", "4:16: ", {"ppo.epochs: expected an integer", "got \"1.5\"", NULL}},
    {"  env.num_envs: [0]\n",
     "4:18: ",
     {"env.num_envs: expected an integer in [1, 65536]", "(out of range)", NULL}},
    {"  ppo.clip: [2.5]\n", "4:14: ", {"ppo.clip: expected a number in (0, 1], got \"2.5\"", NULL}},
    {"  ppo.objective: [clipp]\n",
     "4:19: ",
     {"ppo.objective: expected one of clip,", "did you mean \"clip\"?", NULL}},
    {"  ppo.minibatches: [3]\n",
     "4:21: ",
     {"ppo.minibatches: 3 does not divide the batch of 32", "use a divisor such as", NULL}},
    {"  x:\n    - { env.params: {bogus: 1} }\n",
     "5:21: ",
     {"unknown key \"bogus\" in env.params", NULL}},
    {"  ppo.learnig_rate: [1]\n", "4:3: ", {"unknown pipeline key \"ppo.learnig_rate\"", NULL}},
};

START_TEST(test_sweep_with_a_bad_cell_exits_2_with_file_line_col_and_runs_nothing)
{
    char *dir = ppo_test_tmpdir();
    char *good = ppo_test_data_path("pipelines/good.yaml");
    char *text = g_strdup_printf("name: rel-sweep\n"
                                 "base: [%s]\n"
                                 "grid:\n"
                                 "%s"
                                 "seeds: [1]\n",
                                 good, bad_grids[_i].grid);
    char *sweep = rel_write(dir, "bad-sweep.yaml", text);
    char *out = g_build_filename(dir, "out", NULL);
    char *head = g_strdup_printf("ppofw: %s:%s", sweep, bad_grids[_i].where);
    rel_opts_t o = {0};
    rel_proc_t p;
    for (int k = 0; k < 2; k++) {
        if (k == 0)
            rel_run(&p, &o, "sweep", sweep, "--check", "-q", NULL);
        else
            rel_run(&p, &o, "sweep", sweep, "-o", out, "-j", "1", "-q", NULL);
        rel_expect(&p, 2, head, NULL);
        for (guint j = 0; j < G_N_ELEMENTS(bad_grids[_i].parts) && bad_grids[_i].parts[j] != NULL;
             j++)
            ck_assert_msg(strstr(p.err, bad_grids[_i].parts[j]) != NULL, "stderr lacks \"%s\":\n%s",
                          bad_grids[_i].parts[j], p.err);
        rel_proc_clear(&p);
    }
    char *runs = g_build_filename(out, "runs", NULL);
    ck_assert_msg(!g_file_test(runs, G_FILE_TEST_EXISTS), "a run was started in %s", runs);
    g_free(runs);
    g_free(head);
    g_free(out);
    g_free(sweep);
    g_free(text);
    g_free(good);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_sweep_file_missing_or_a_directory_exits_2_naming_it)
{
    char *dir = ppo_test_tmpdir();
    char *missing = g_build_filename(dir, "missing.yaml", NULL);
    rel_opts_t o = {0};
    rel_proc_t p;
    rel_run(&p, &o, "sweep", missing, "--check", NULL);
    char *head = g_strdup_printf("ppofw: %s: ", missing);
    rel_expect(&p, 2, head, "No such file or directory", NULL);
    rel_proc_clear(&p);
    g_free(head);
    rel_run(&p, &o, "sweep", dir, "--check", NULL);
    head = g_strdup_printf("ppofw: %s: ", dir);
    rel_expect(&p, 2, head, "directory", NULL);
    rel_proc_clear(&p);
    g_free(head);
    g_free(missing);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_sweep_with_a_bad_cell_exits_2_with_file_line_col_and_runs_nothing,
                        0, G_N_ELEMENTS(bad_grids));
    tcase_add_test(tc, test_sweep_file_missing_or_a_directory_exits_2_naming_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
