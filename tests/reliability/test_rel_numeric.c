/* ppofw reliability tests — NaN and Inf: from an env, in the gradients, in the parameters.
 *
 * Each test first trains a healthy stretch of a run (`ppofw run` with a fault that does not fire
 * yet), snapshots the run directory, then resumes so that the fault fires: the program must exit
 * 4 (never a signal) with a message that names what went wrong and where (the env plugin, the
 * env instance and the step; or the tensor and the iteration) and what to do, must leave every
 * file written before intact, and the newest checkpoint must hold finite parameters and resume.
 * With on_nan: skip_update, a NaN gradient skips the minibatch and training goes on.
 *
 * Fixtures: rel_env_fault (tests/reliability/rel_env_fault.c), rel_nan_policy, rel_nan_optimizer.
 * Counts below: 2 envs x 16 rollout steps = 32 env steps and 16 step calls per env instance per
 * iteration; 1 minibatch of 32 (one gradient chunk) x 2 epochs = 2 backward calls and 2 optimizer
 * steps per iteration.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rel_util.h"

/* The walk pipeline with an env fault, a policy and an optimizer section, and on_nan. */
static char *walk_pipeline(const char *dir, const char *env_params, const char *policy,
                           const char *optimizer, const char *on_nan)
{
    char *text = g_strdup_printf("name: rel-walk\n"
                                 "seed: 1\n"
                                 "env:\n"
                                 "  plugin: rel_env_fault\n"
                                 "  num_envs: 2\n"
                                 "  params: %s\n"
                                 "policy: %s\n"
                                 "advantage: {plugin: gae}\n"
                                 "optimizer: %s\n"
                                 "ppo:\n"
                                 "  total_steps: 96\n"
                                 "  rollout_steps: 16\n"
                                 "  epochs: 2\n"
                                 "  minibatches: 1\n"
                                 "checkpoint: {every_seconds: null, every_steps: 32, keep: 100}\n"
                                 "log: {tensorboard: true}\n"
                                 "on_nan: %s\n",
                                 env_params, policy, optimizer, on_nan);
    char *path = rel_write(dir, "walk.yaml", text);
    g_free(text);
    return path;
}

#define MLP "{plugin: mlp, params: {pi_hidden: [8], vf_hidden: [8]}}"
#define ADAM "{plugin: adam, params: {lr: 0.001}}"

/* Phase 1: three healthy iterations (96 steps, checkpoints at 32, 64, 96). */
static void healthy_start(const char *pipeline, const char *run_dir)
{
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pipeline, "--run-dir", run_dir, "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    char *latest = rel_latest_checkpoint(run_dir);
    ck_assert_msg(latest != NULL && g_str_has_suffix(latest, "ckpt-000000000096.ckpt"),
                  "the healthy start left %s", latest != NULL ? latest : "no checkpoint");
    g_free(latest);
}

/* Resume to `total` steps in a new process; returns the finished process. */
static void resume_to(rel_proc_t *p, const char *pipeline, const char *run_dir, int total)
{
    rel_opts_t o = {0};
    char *set = g_strdup_printf("ppo.total_steps=%d", total);
    rel_run(p, &o, "run", pipeline, "--resume", run_dir, "--set", set, "-q", NULL);
    g_free(set);
}

/* The newest checkpoint is whole, finite, at `step`, and a run resumes from it to `total`. */
static void assert_last_good_checkpoint(const char *pipeline, const char *run_dir, int step,
                                        int total)
{
    char *latest = rel_latest_checkpoint(run_dir);
    char *want = g_strdup_printf("ckpt-%012d.ckpt", step);
    ck_assert_msg(latest != NULL && g_str_has_suffix(latest, want), "newest checkpoint %s, want %s",
                  latest, want);
    rel_assert_params_finite(latest);
    char *tmp = g_strconcat(latest, ".tmp", NULL);
    ck_assert_msg(!g_file_test(tmp, G_FILE_TEST_EXISTS), "%s was left behind", tmp);
    rel_proc_t p;
    resume_to(&p, pipeline, run_dir, total);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    g_free(tmp);
    g_free(want);
    g_free(latest);
}

/* ---- the env writes NaN/Inf ---- */

static const struct {
    const char *fault;
    const char *what;
} env_faults[] = {
    {"nan_obs", "NaN or Inf observation"},
    {"nan_reward", "NaN or Inf reward"},
    {"inf_reward", "NaN or Inf reward"},
};

START_TEST(test_env_nan_stops_with_exit_4_naming_env_instance_and_step_keeping_checkpoints)
{
    char *dir = ppo_test_tmpdir();
    char *run_dir = g_build_filename(dir, "run", NULL);
    /* instance 1 faults at its 60th step call of the resumed process: iteration 4 of that
     * process (calls 49..64), rollout step 11, so global step 96 + 3*32 + 11*2 = 214 */
    char *env = g_strdup_printf("{fault: %s, fault_at: 60, instance: 1}", env_faults[_i].fault);
    char *pl = walk_pipeline(dir, env, MLP, ADAM, "stop");
    healthy_start(pl, run_dir);
    rel_snapshot_t *before = rel_snapshot(run_dir);

    rel_proc_t p;
    resume_to(&p, pl, run_dir, 320);
    rel_expect(&p, 4, "plugin \"rel_env_fault\"", "rel_env_fault.so", env_faults[_i].what, "env 1",
               "global step 214", "fix the env or check its params", NULL);
    rel_proc_clear(&p);
    rel_assert_preserved(before);
    /* the three iterations before the fault were checkpointed; the failing one was not */
    assert_last_good_checkpoint(pl, run_dir, 192, 256);

    rel_snapshot_free(before);
    ppo_test_rm_tree(dir);
    g_free(pl);
    g_free(env);
    g_free(run_dir);
    g_free(dir);
}
END_TEST

/* ---- NaN gradients ---- */

START_TEST(test_nan_gradient_with_on_nan_stop_exits_4_naming_tensor_and_iteration)
{
    char *dir = ppo_test_tmpdir();
    char *run_dir = g_build_filename(dir, "run", NULL);
    /* backward call 9 of the resumed process: its 5th iteration, global iteration 8 */
    char *pl =
        walk_pipeline(dir, "{}", "{plugin: rel_nan_policy, params: {nan_from: 9}}", ADAM, "stop");
    healthy_start(pl, run_dir);
    rel_snapshot_t *before = rel_snapshot(run_dir);

    rel_proc_t p;
    resume_to(&p, pl, run_dir, 320);
    rel_expect(&p, 4, "the gradient is NaN at iteration 8, epoch 1, minibatch 1",
               "on_nan: skip_update", "lower the learning rate", NULL);
    rel_proc_clear(&p);
    rel_assert_preserved(before);
    assert_last_good_checkpoint(pl, run_dir, 224, 256);

    rel_snapshot_free(before);
    ppo_test_rm_tree(dir);
    g_free(pl);
    g_free(run_dir);
    g_free(dir);
}
END_TEST

START_TEST(test_nan_gradient_with_skip_update_skips_the_minibatch_and_trains_on)
{
    char *dir = ppo_test_tmpdir();
    char *run_dir = g_build_filename(dir, "run", NULL);
    /* backward calls 3 and 4 (both epochs of iteration 2) are NaN */
    char *pl = walk_pipeline(dir, "{}",
                             "{plugin: rel_nan_policy, params: {nan_from: 3, "
                             "nan_count: 2}}",
                             ADAM, "skip_update");
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pl, "--run-dir", run_dir, "--set", "ppo.total_steps=160", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    ck_assert_uint_eq(rel_metrics_rows(run_dir), 5);
    char *latest = rel_latest_checkpoint(run_dir);
    ck_assert_ptr_nonnull(latest);
    ck_assert_msg(g_str_has_suffix(latest, "ckpt-000000000160.ckpt"), "%s", latest);
    rel_assert_params_finite(latest);
    /* 5 iterations x 2 minibatch steps, 2 of them skipped: Adam's step counter is 8 */
    char *steps = rel_ckpt_info(latest, "opt_steps");
    ck_assert_str_eq(steps, "8");
    g_free(steps);
    g_free(latest);
    ppo_test_rm_tree(dir);
    g_free(pl);
    g_free(run_dir);
    g_free(dir);
}
END_TEST

/* ---- NaN parameters from the optimizer ---- */

START_TEST(test_nan_parameters_from_the_optimizer_exit_4_and_are_never_checkpointed)
{
    char *dir = ppo_test_tmpdir();
    char *run_dir = g_build_filename(dir, "run", NULL);
    /* optimizer step 9 (the counter is saved: steps 7, 8 in iteration 4, 9 in iteration 5) */
    char *pl = walk_pipeline(dir, "{}", MLP, "{plugin: rel_nan_optimizer, params: {nan_at: 9}}",
                             "skip_update");
    healthy_start(pl, run_dir);
    rel_snapshot_t *before = rel_snapshot(run_dir);

    rel_proc_t p;
    resume_to(&p, pl, run_dir, 320);
    rel_expect(&p, 4, "the parameters became NaN or infinite after optimizer step 9",
               "iteration 5, epoch 1, minibatch 1", "lower the learning rate", NULL);
    rel_proc_clear(&p);
    rel_assert_preserved(before);
    char *latest = rel_latest_checkpoint(run_dir);
    ck_assert_msg(g_str_has_suffix(latest, "ckpt-000000000128.ckpt"), "%s", latest);
    rel_snapshot_t *after = rel_snapshot(run_dir);
    ck_assert_uint_eq(rel_snapshot_count(after, ".ckpt"), 4);
    rel_snapshot_free(after);
    rel_assert_params_finite(latest);
    g_free(latest);

    rel_snapshot_free(before);
    ppo_test_rm_tree(dir);
    g_free(pl);
    g_free(run_dir);
    g_free(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_numeric");
    TCase *tc = tcase_create("numeric");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(
        tc, test_env_nan_stops_with_exit_4_naming_env_instance_and_step_keeping_checkpoints, 0,
        G_N_ELEMENTS(env_faults));
    tcase_add_test(tc, test_nan_gradient_with_on_nan_stop_exits_4_naming_tensor_and_iteration);
    tcase_add_test(tc, test_nan_gradient_with_skip_update_skips_the_minibatch_and_trains_on);
    tcase_add_test(tc, test_nan_parameters_from_the_optimizer_exit_4_and_are_never_checkpointed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
