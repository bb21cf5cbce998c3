/* ppofw reliability tests — KNOWN BUG, expected to fail (XFAIL_TESTS in local.mk).
 *
 * With on_nan: skip_update a minibatch whose loss or gradient is NaN is skipped and training
 * goes on (test_rel_numeric proves that); the user must also be told how many updates were
 * skipped, or a run that skipped half its updates looks healthy. core/ppo_update.c counts them
 * in ppo_update_stats_t.skipped, but ppo_trainer_iterate (core/ppo_trainer.c) drops the count:
 * no metrics row field, no progress line, no TensorBoard scalar carries it. This test fails
 * until the count reaches stderr; once it passes, `make check` reports XPASS: move it into
 * test_rel_numeric.c and drop it from XFAIL_TESTS.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rel_util.h"

START_TEST(test_skip_update_reports_how_many_updates_were_skipped)
{
    char *dir = rel_tmpdir();
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
    /* clean up first: this test is expected to fail */
    rel_rm_tree(dir);
    g_free(pl);
    g_free(run_dir);
    g_free(dir);
    ck_assert_msg(told, "no line of stderr says that 2 updates were skipped:\n%s", err);
    g_free(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_bug_skipped_count");
    TCase *tc = tcase_create("known_bug");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_skip_update_reports_how_many_updates_were_skipped);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
