/* ppofw reliability tests — SIGTERM and SIGINT during a run.
 *
 * - One SIGTERM (or SIGINT) mid-run: the program finishes the iteration, writes a checkpoint,
 *   says how to continue and exits 143 (130); resuming then ends in exactly the state of an
 *   uninterrupted run with the same seed: every checkpoint section equal, metrics.csv equal
 *   except time_s and sps.
 * - A second SIGINT while the first is still being honoured exits 130 at once, without waiting
 *   for the iteration and without writing a checkpoint (rel_env_fault with step_delay_us makes
 *   an iteration last over a second).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "rel_util.h"

static char *cartpole(const char *dir)
{
    return rel_write(dir, "cartpole.yaml",
                     "name: rel-signal\n"
                     "seed: 6\n"
                     "env: {plugin: cartpole, num_envs: 8}\n"
                     "policy: {plugin: mlp}\n"
                     "advantage: {plugin: gae, params: {gamma: 0.98, lambda: 0.8}}\n"
                     "optimizer: {plugin: adam, params: {lr: 0.001}}\n"
                     "ppo: {total_steps: 10240, rollout_steps: 32, epochs: 20, minibatches: 1}\n"
                     "checkpoint: {every_seconds: null, every_steps: null, keep: 100}\n");
}

static const struct {
    int signo;
    int code;
    const char *name;
} stops[] = {{SIGTERM, 143, "SIGTERM"}, {SIGINT, 130, "SIGINT"}};

START_TEST(test_one_signal_checkpoints_exits_and_resumes_to_the_uninterrupted_result)
{
    char *dir = ppo_test_tmpdir();
    char *pl = cartpole(dir);
    char *whole = g_build_filename(dir, "whole", NULL);
    char *cut = g_build_filename(dir, "cut", NULL);
    rel_opts_t o = {0};
    rel_proc_t p;
    rel_run(&p, &o, "run", pl, "--run-dir", whole, "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);

    const char *const args[] = {"run", pl, "--run-dir", cut, "-q", NULL};
    rel_start(&p, &o, args);
    ck_assert_msg(rel_wait_rows(&p, cut, 5, 60), "the run ended before it could be signalled");
    kill(p.pid, stops[_i].signo);
    rel_wait(&p, &o);
    char *latest = rel_latest_checkpoint(cut);
    ck_assert_ptr_nonnull(latest);
    char *step = rel_ckpt_info(latest, "global_step");
    char *said = g_strdup_printf("ppofw: interrupted by %s at step %s; a checkpoint is in %s/"
                                 "checkpoints — continue with: ppofw run --resume %s",
                                 stops[_i].name, step, cut, cut);
    rel_expect(&p, stops[_i].code, said, NULL);
    rel_proc_clear(&p);
    ck_assert_uint_eq(rel_metrics_rows(cut), g_ascii_strtoull(step, NULL, 10) / 256);

    rel_run(&p, &o, "run", pl, "--resume", cut, "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    char *a = rel_latest_checkpoint(whole), *b = rel_latest_checkpoint(cut);
    ck_assert_msg(g_str_has_suffix(a, "ckpt-000000010240.ckpt"), "%s", a);
    ck_assert_msg(g_str_has_suffix(b, "ckpt-000000010240.ckpt"), "%s", b);
    rel_assert_same_state(a, b);
    char *ma = g_build_filename(whole, "metrics.csv", NULL);
    char *mb = g_build_filename(cut, "metrics.csv", NULL);
    rel_assert_same_metrics(ma, mb);

    g_free(ma);
    g_free(mb);
    g_free(a);
    g_free(b);
    g_free(said);
    g_free(step);
    g_free(latest);
    ppo_test_rm_tree(dir);
    g_free(cut);
    g_free(whole);
    g_free(pl);
    g_free(dir);
}
END_TEST

START_TEST(test_second_sigint_exits_130_at_once_without_a_checkpoint)
{
    char *dir = ppo_test_tmpdir();
    /* 2 envs x 64 steps x 10 ms: an iteration takes 1.3 s */
    char *pl = rel_write(dir, "slow.yaml",
                         "name: rel-slow\n"
                         "env: {plugin: rel_env_fault, num_envs: 2, params: {step_delay_us: "
                         "10000}}\n"
                         "policy: {plugin: mlp, params: {pi_hidden: [8], vf_hidden: [8]}}\n"
                         "advantage: {plugin: gae}\n"
                         "optimizer: {plugin: adam}\n"
                         "ppo: {total_steps: 12800, rollout_steps: 64, epochs: 1, "
                         "minibatches: 1}\n"
                         "checkpoint: {every_seconds: null, every_steps: 128, keep: 100}\n");
    char *run_dir = g_build_filename(dir, "run", NULL);
    rel_opts_t o = {0};
    rel_proc_t p;
    const char *const args[] = {"run", pl, "--run-dir", run_dir, "-q", NULL};
    rel_start(&p, &o, args);
    ck_assert_msg(rel_wait_rows(&p, run_dir, 1, 60), "the run ended before it could be signalled");
    /* the first iteration's checkpoint follows its metrics row */
    char *first = g_build_filename(run_dir, "checkpoints", "ckpt-000000000128.ckpt", NULL);
    for (int k = 0; k < 2000 && !g_file_test(first, G_FILE_TEST_EXISTS); k++)
        g_usleep(1000);
    ck_assert(g_file_test(first, G_FILE_TEST_EXISTS));
    /* well inside the second iteration, past the first one's checkpoint and stop check */
    g_usleep(300000);
    rel_snapshot_t *snap = rel_snapshot(run_dir);
    kill(p.pid, SIGINT);
    g_usleep(100000);
    const gint64 second = g_get_monotonic_time();
    kill(p.pid, SIGINT);
    rel_wait(&p, &o);
    const double took = (double)(g_get_monotonic_time() - second) / 1e6;
    rel_expect(&p, 130, "ppofw: stopping after this iteration",
               "ppofw: second signal, exiting now without a checkpoint", NULL);
    ck_assert_msg(took < 0.5, "exiting took %.3f s after the second SIGINT", took);
    rel_proc_clear(&p);
    rel_assert_preserved(snap);
    rel_snapshot_t *after = rel_snapshot(run_dir);
    ck_assert_uint_eq(rel_snapshot_count(after, ".ckpt"), 1);
    ck_assert_uint_eq(rel_snapshot_count(after, ".tmp"), 0);
    rel_snapshot_free(after);
    rel_snapshot_free(snap);
    g_free(first);
    ppo_test_rm_tree(dir);
    g_free(run_dir);
    g_free(pl);
    g_free(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_signals");
    TCase *tc = tcase_create("signals");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc,
                        test_one_signal_checkpoints_exits_and_resumes_to_the_uninterrupted_result,
                        0, G_N_ELEMENTS(stops));
    tcase_add_test(tc, test_second_sigint_exits_130_at_once_without_a_checkpoint);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
