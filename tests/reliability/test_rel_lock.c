/* ppofw reliability tests — one writer per run directory (issue 18, root cause 3).
 *
 * Two `run --resume D` at once, and two `run --run-dir D --overwrite` at once: the second is
 * refused with exit 5 and a message while the first runs, and the first finishes with every row
 * once (global steps strictly increasing, the count the steps call for). A sibling: a resume
 * while a fresh run is writing D. Readers (eval of a checkpoint) are not writers: they run while
 * the lock is held.
 */
#include "config.h"

#include <string.h>

#include "rel_util.h"

/* A walk slowed to about 130 ms per iteration: a run of 2048 steps lasts a few seconds. */
static char *pipeline(const char *dir)
{
    return rel_write(dir, "lock.yaml",
                     "name: rel-lock\n"
                     "seed: 2\n"
                     "env: {plugin: rel_env_fault, num_envs: 2, params: {step_delay_us: 2000}}\n"
                     "policy: {plugin: mlp, params: {pi_hidden: [8], vf_hidden: [8]}}\n"
                     "advantage: {plugin: gae}\n"
                     "optimizer: {plugin: adam}\n"
                     "ppo: {total_steps: 2048, rollout_steps: 32, epochs: 1, minibatches: 1}\n"
                     "checkpoint: {every_seconds: null, every_steps: 64, keep: 3}\n");
}

/* Every data row's global_step is larger than the one before. */
static void assert_rows_once(const char *run_dir, guint expected)
{
    char *csv = g_build_filename(run_dir, "metrics.csv", NULL);
    char *text = rel_read(csv, NULL);
    char **lines = g_strsplit(text, "\n", -1);
    guint64 last = 0;
    guint rows = 0;
    for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++, rows++) {
        const guint64 step = g_ascii_strtoull(lines[i], NULL, 10);
        ck_assert_msg(step > last, "%s: row %u repeats or goes back (step %" G_GUINT64_FORMAT
                      " after %" G_GUINT64_FORMAT ")", csv, i, step, last);
        last = step;
    }
    ck_assert_uint_eq(rows, expected);
    g_strfreev(lines);
    g_free(text);
    g_free(csv);
}

START_TEST(test_a_second_writer_of_a_run_dir_is_refused_while_the_first_runs)
{
    /* 0: two resumes (the example); 1: two overwrites (the example); 2: a resume while a new
     * run writes (a sibling) */
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *run = g_build_filename(dir, "run", NULL);
    rel_opts_t o = {0};
    rel_proc_t first, second;
    if (_i != 2) {
        /* a short first part to resume or overwrite */
        rel_run(&first, &o, "run", pl, "--run-dir", run, "--set", "ppo.total_steps=128", "-q",
                NULL);
        rel_expect(&first, 0, NULL);
        rel_proc_clear(&first);
    }
    const char *resume[] = {"run", pl, "--resume", run, "-q", NULL};
    const char *overwrite[] = {"run", pl, "--run-dir", run, "--overwrite", "-q", NULL};
    const char *fresh[] = {"run", pl, "--run-dir", run, "-q", NULL};
    rel_start(&first, &o, _i == 0 ? resume : _i == 1 ? overwrite : fresh);
    /* rows beyond the first part's two: the first writer is under way */
    ck_assert_msg(rel_wait_rows(&first, run, 4, 60), "the first run ended early");
    rel_start(&second, &o, _i == 1 ? overwrite : resume);
    rel_wait(&second, &o);
    rel_expect(&second, 5, "is in use by another ppofw process", "one process writes a run "
               "directory at a time", NULL);
    rel_proc_clear(&second);

    /* a reader meanwhile is not refused */
    char *ckpt = rel_latest_checkpoint(run);
    ck_assert_ptr_nonnull(ckpt);
    rel_run(&second, &o, "eval", "--checkpoint", ckpt, "-n", "1", NULL);
    rel_expect(&second, 0, NULL);
    rel_proc_clear(&second);

    rel_wait(&first, &o);
    rel_expect(&first, 0, NULL);
    rel_proc_clear(&first);
    assert_rows_once(run, 2048 / 64);
    g_free(ckpt);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

static Suite *lock_suite(void)
{
    Suite *s = suite_create("lock");
    TCase *tc = tcase_create("lock");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_a_second_writer_of_a_run_dir_is_refused_while_the_first_runs, 0,
                        3);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(lock_suite());
}
