/* ppofw reliability tests — kill -9 at a random iteration, then `ppofw run --resume RUN_DIR`.
 *
 * The resumed run must end exactly where an uninterrupted run with the same seed ends: every
 * section of the final checkpoint equal byte for byte (parameters, optimizer state, normalizer
 * statistics, every random stream, env states, observations, episode window; INFO except
 * time_s), metrics.csv equal except the time_s and sps columns, and episodes.csv equal except
 * its time_s column. For CartPole, and for
 * Pendulum with observation and reward normalization on (so the normalizer statistics and the
 * running return must survive too). Checkpoints are written every iteration, so the kill may
 * land in the middle of writing one: the .tmp file it leaves must be ignored. The iteration to
 * kill at is drawn at random; the message of a failure prints it.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "rel_util.h"

static const struct {
    const char *name;
    const char *text;
    unsigned iterations;
} runs[] = {
    {"cartpole",
     "name: rel-kill-cartpole\n"
     "seed: 7\n"
     "env: {plugin: cartpole, num_envs: 8}\n"
     "policy: {plugin: mlp}\n"
     "advantage: {plugin: gae, params: {gamma: 0.98, lambda: 0.8}}\n"
     "optimizer: {plugin: adam, params: {lr: 0.001}}\n"
     "ppo: {total_steps: 10240, rollout_steps: 32, epochs: 20, minibatches: 1}\n"
     "checkpoint: {every_seconds: null, every_steps: 256, keep: 3}\n",
     40},
    {"pendulum",
     "name: rel-kill-pendulum\n"
     "seed: 8\n"
     "env: {plugin: pendulum, num_envs: 4}\n"
     "policy: {plugin: mlp}\n"
     "advantage: {plugin: gae, params: {gamma: 0.9, lambda: 0.95}}\n"
     "optimizer: {plugin: adam, params: {lr: 0.001}}\n"
     "ppo: {total_steps: 10240, rollout_steps: 64, epochs: 10, minibatches: 4}\n"
     "normalize: {obs: true, reward: true}\n"
     "checkpoint: {every_seconds: null, every_steps: 256, keep: 3}\n",
     40},
};

START_TEST(test_kill_9_at_a_random_iteration_then_resume_equals_the_uninterrupted_run)
{
    char *dir = ppo_test_tmpdir();
    char *pl = rel_write(dir, "pipeline.yaml", runs[_i].text);
    char *whole = g_build_filename(dir, "whole", NULL);
    char *cut = g_build_filename(dir, "cut", NULL);
    rel_opts_t o = {0};
    rel_proc_t p;
    rel_run(&p, &o, "run", pl, "--run-dir", whole, "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);

    const guint32 seed = (guint32)g_get_real_time();
    GRand *rng = g_rand_new_with_seed(seed);
    const guint at = (guint)g_rand_int_range(rng, 2, (gint32)runs[_i].iterations - 4);
    g_rand_free(rng);
    const char *const args[] = {"run", pl, "--run-dir", cut, "-q", NULL};
    rel_start(&p, &o, args);
    ck_assert_msg(rel_wait_rows(&p, cut, at, 60), "%s: the run ended before iteration %u (seed %u)",
                  runs[_i].name, at, seed);
    kill(p.pid, SIGKILL);
    rel_wait(&p, &o);
    ck_assert_msg(WIFSIGNALED(p.status) && WTERMSIG(p.status) == SIGKILL, "not killed");
    const guint rows_at_kill = rel_metrics_rows(cut);
    rel_proc_clear(&p);

    rel_run(&p, &o, "run", pl, "--resume", cut, "-q", NULL);
    ck_assert_msg(WEXITSTATUS(p.status) == 0,
                  "%s: resume after kill at iteration %u (seed %u) "
                  "exited %d:\n%s",
                  runs[_i].name, rows_at_kill, seed, WEXITSTATUS(p.status), p.err);
    rel_proc_clear(&p);
    char *a = rel_latest_checkpoint(whole), *b = rel_latest_checkpoint(cut);
    ck_assert_msg(g_str_has_suffix(a, "ckpt-000000010240.ckpt"), "%s", a);
    ck_assert_msg(g_str_has_suffix(b, "ckpt-000000010240.ckpt"), "%s (seed %u)", b, seed);
    rel_assert_same_state(a, b);
    char *ma = g_build_filename(whole, "metrics.csv", NULL);
    char *mb = g_build_filename(cut, "metrics.csv", NULL);
    rel_assert_same_metrics(ma, mb);
    char *ea = g_build_filename(whole, "episodes.csv", NULL);
    char *eb = g_build_filename(cut, "episodes.csv", NULL);
    rel_assert_same_episodes(ea, eb);
    g_free(ea);
    g_free(eb);
    rel_snapshot_t *after = rel_snapshot(cut);
    ck_assert_uint_eq(rel_snapshot_count(after, ".tmp"), 0);
    rel_snapshot_free(after);

    g_free(ma);
    g_free(mb);
    g_free(a);
    g_free(b);
    ppo_test_rm_tree(dir);
    g_free(cut);
    g_free(whole);
    g_free(pl);
    g_free(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_resume");
    TCase *tc = tcase_create("kill9");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc,
                        test_kill_9_at_a_random_iteration_then_resume_equals_the_uninterrupted_run,
                        0, G_N_ELEMENTS(runs));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
