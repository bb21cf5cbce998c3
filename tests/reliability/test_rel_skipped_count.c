/* ppofw reliability tests — with on_nan: skip_update, a run that skips minibatch updates for a
 * NaN loss or gradient says so on stderr with the count, so a run that skipped half its updates
 * does not look healthy (test_rel_numeric proves training goes on). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rel_util.h"

START_TEST(test_skip_update_reports_how_many_updates_were_skipped)
{
    char *dir = ppo_test_tmpdir();
    char *run_dir = g_build_filename(dir, "run", NULL);
    /* backward calls 3 and 4 (both epochs of iteration 2) are NaN: 2 updates skipped */
    char *pl = rel_write(dir, "skip.yaml",
                         "name: rel-skip\n"
                         "env: {plugin: rel_env_fault, num_envs: 2}\n"
                         "policy: {plugin: rel_nan_policy, params: {nan_from: 3, nan_count: 2}}\n"
                         "advantage: {plugin: gae}\n"
                         "optimizer: {plugin: adam}\n"
                         "ppo: {total_steps: 160, rollout_steps: 16, epochs: 2, minibatches: 1}\n"
                         "on_nan: skip_update\n");
    rel_opts_t o = {0};
    rel_proc_t p;
    rel_run(&p, &o, "run", pl, "--run-dir", run_dir, NULL);
    rel_expect(&p, 0, NULL);
    bool told = false;
    char **lines = g_strsplit(p.err, "\n", -1);
    for (char **l = lines; *l != NULL; l++)
        told = told || (strstr(*l, "skipped") != NULL && strstr(*l, "2") != NULL);
    g_strfreev(lines);
    char *err = g_strdup(p.err);
    rel_proc_clear(&p);
    /* clean up before asserting */
    ppo_test_rm_tree(dir);
    g_free(pl);
    g_free(run_dir);
    g_free(dir);
    ck_assert_msg(told, "no line of stderr says that 2 updates were skipped:\n%s", err);
    g_free(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_skipped_count");
    TCase *tc = tcase_create("skip_update");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_skip_update_reports_how_many_updates_were_skipped);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
