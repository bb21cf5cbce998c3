/* Tests of the training loop (core/ppo_trainer.c, ppo_collect.c, ppo_update.c): results do not
 * depend on the thread count, a seed reproduces a run bit for bit, checkpoints restore a run
 * exactly, the time-limit bootstrap uses V of the normalized final observation, and PPO learns
 * CartPole (discrete) and Pendulum (continuous) on small fixed-seed budgets. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_checkpoint_private.h"
#include "ppo_collect_private.h"
#include "ppo_test.h"
#include "ppo_trainer_private.h"
#include "ppo_session_private.h"
#include "ppo_trainer_private.h"

static const char cartpole[] = "name: t\n"
                               "seed: 3\n"
                               "env: { plugin: cartpole, num_envs: 8 }\n"
                               "policy: { plugin: mlp, params: { pi_hidden: [64, 64] } }\n"
                               "advantage: { plugin: gae, params: { gamma: 0.98, lambda: 0.8 } }\n"
                               "optimizer: { plugin: adam, params: { lr: 1.0e-3 } }\n"
                               "ppo: { total_steps: 150000, rollout_steps: 32, epochs: 20,\n"
                               "       minibatches: 1, clip_schedule: linear }\n";

static const char pendulum[] = "name: p\n"
                               "seed: 1\n"
                               "env: { plugin: pendulum, num_envs: 4 }\n"
                               "policy: { plugin: mlp }\n"
                               "advantage: { plugin: gae, params: { gamma: 0.9 } }\n"
                               "optimizer: { plugin: adam, params: { lr: 1.0e-3 } }\n"
                               "ppo: { total_steps: 200000, rollout_steps: 256, epochs: 10,\n"
                               "       minibatches: 16, lr_schedule: constant }\n"
                               "normalize: { obs: true, reward: true }\n";

START_TEST(test_trainer_threads_do_not_change_results)
{
    const char *one[] = {"ppo.threads=1", NULL}, *two[] = {"ppo.threads=2", NULL};
    const char *three[] = {"ppo.threads=3", NULL};
    /* 8 envs (one collection chunk; minibatches of 256 rows: the mlp's two parts are two tasks)
     * and 20 envs (three collection chunks; minibatches of 320 rows in two gradient chunks of
     * 160, four tasks) */
    ppo_test_assert_same_runs(cartpole, one, two, 6);
    const char *one20[] = {"ppo.threads=1", "env.num_envs=20", "ppo.minibatches=2", NULL};
    const char *three20[] = {"ppo.threads=3", "env.num_envs=20", "ppo.minibatches=2", NULL};
    ppo_test_assert_same_runs(cartpole, one20, three20, 4);
    /* a shared trunk is one part: four gradient chunks of 64 rows, each one evaluate/backward */
    const char *one_shared[] = {"ppo.threads=1", "policy.params.share_trunk=true", NULL};
    const char *two_shared[] = {"ppo.threads=2", "policy.params.share_trunk=true", NULL};
    ppo_test_assert_same_runs(cartpole, one_shared, two_shared, 4);
    /* continuous actions with normalization */
    ppo_test_assert_same_runs(pendulum, one, three, 3);
}
END_TEST

/* The optimizer step split over parameter slices (step_range on the pool) must give the bits of
 * one step() call, which is what an optimizer without step_range (every ABI 1.0 optimizer) gets.
 * Both trainers share the registry's plugin, so its step_range is hidden around b's iterations. */
static void assert_split_step_equals_one_call(const char *const *overrides)
{
    ppo_test_trainer_t fa, fb;
    ppo_test_trainer_open(&fa, cartpole, overrides);
    ppo_test_trainer_open(&fb, cartpole, overrides);
    ppo_plugin_t *opt = fb.session->optimizer;
    const __typeof__(opt->vt.optimizer.step_range) step_range = opt->vt.optimizer.step_range;
    ck_assert_msg(step_range != NULL, "%s has no step_range", opt->name);
    /* 9,155 parameters: more than one slice, so a's steps really are split */
    ck_assert_uint_gt(fa.trainer->n_reduce_tasks, 1);
    for (int i = 0; i < 4; i++) {
        ppo_metrics_row_t ra, rb;
        ppo_test_trainer_iterate(&fa, &ra);
        opt->vt.optimizer.step_range = NULL;
        ppo_test_trainer_iterate(&fb, &rb);
        opt->vt.optimizer.step_range = step_range;
        ck_assert_msg(memcmp(&ra, &rb, sizeof(ra)) == 0, "%s: iteration %d differs", opt->name,
                      i + 1);
    }
    const ppo_model_t *ma = ppo_trainer_model(fa.trainer), *mb = ppo_trainer_model(fb.trainer);
    ck_assert_mem_eq(ma->params, mb->params, ma->n_params * sizeof(float));
    ck_assert_mem_eq(ma->opt_state, mb->opt_state, ma->n_params * ma->state_floats * sizeof(float));
    ppo_test_trainer_close(&fa);
    ppo_test_trainer_close(&fb);
}

START_TEST(test_split_optimizer_step_equals_one_step_call)
{
    const char *adam[] = {"ppo.threads=2", NULL};
    assert_split_step_equals_one_call(adam);
    const char *sgd[] = {"ppo.threads=2", "optimizer.plugin=sgd", "optimizer.params.momentum=0.9",
                         NULL};
    assert_split_step_equals_one_call(sgd);
}
END_TEST

START_TEST(test_trainer_same_seed_reproduces_and_other_seed_differs)
{
    ppo_test_assert_same_runs(pendulum, NULL, NULL, 3);
    ppo_test_trainer_t fa, fb;
    const char *other[] = {"seed=4", NULL};
    ppo_test_trainer_open(&fa, cartpole, NULL);
    ppo_test_trainer_open(&fb, cartpole, other);
    ppo_metrics_row_t ra, rb;
    ppo_test_trainer_iterate(&fa, &ra);
    ppo_test_trainer_iterate(&fb, &rb);
    ck_assert(memcmp(&ra, &rb, sizeof(ra)) != 0);
    ppo_test_trainer_close(&fa);
    ppo_test_trainer_close(&fb);
}
END_TEST

START_TEST(test_checkpoint_restores_a_run_exactly)
{
    char *dir = g_dir_make_tmp("ppo-ckpt-XXXXXX", NULL);
    char *path = g_build_filename(dir, "c.ckpt", NULL);
    const char *ov[] = {"policy.params.sde=true", "policy.params.sde_sample_freq=3", NULL};
    ppo_test_trainer_t a, b;
    ppo_test_trainer_open(&a, pendulum, ov);
    ppo_metrics_row_t row, rb;
    ppo_test_trainer_iterate(&a, &row);
    ppo_test_trainer_iterate(&a, &row);
    GError *error = NULL;
    ppo_ckpt_files_t files = {.metrics_offset = 123, .tboard_offset = 0, .tboard_name = NULL};
    ck_assert_msg(ppo_checkpoint_write(a.trainer, &files, path, &error), "%s",
                  error != NULL ? error->message : "");
    /* a fresh trainer restored from the file continues exactly like the original */
    ppo_test_trainer_open(&b, pendulum, ov);
    ppo_ckpt_t *c = ppo_checkpoint_read(path, &error);
    ck_assert_msg(c != NULL, "%s", error != NULL ? error->message : "");
    ppo_ckpt_files_t got;
    ck_assert_msg(ppo_checkpoint_restore(b.trainer, c, &got, &error), "%s",
                  error != NULL ? error->message : "");
    ck_assert_uint_eq(got.metrics_offset, 123);
    ppo_checkpoint_free(c);
    for (int i = 0; i < 3; i++) {
        ppo_test_trainer_iterate(&a, &row);
        ppo_test_trainer_iterate(&b, &rb);
        ck_assert_msg(memcmp(&row, &rb, sizeof(row)) == 0, "iteration %d after restore differs",
                      i + 1);
    }
    const ppo_model_t *ma = ppo_trainer_model(a.trainer), *mb = ppo_trainer_model(b.trainer);
    ck_assert_mem_eq(ma->params, mb->params, ma->n_params * sizeof(float));
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
    unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_checkpoint_refuses_another_pipeline_naming_the_difference)
{
    char *dir = g_dir_make_tmp("ppo-ckpt-XXXXXX", NULL);
    char *path = g_build_filename(dir, "c.ckpt", NULL);
    ppo_test_trainer_t a, b, c;
    ppo_test_trainer_open(&a, cartpole, NULL);
    GError *error = NULL;
    ppo_ckpt_files_t files = {0};
    ck_assert(ppo_checkpoint_write(a.trainer, &files, path, &error));
    ppo_ckpt_t *ck = ppo_checkpoint_read(path, &error);
    ck_assert(ck != NULL);
    /* other network: parameter count */
    const char *wide[] = {"policy.params.pi_hidden=[32]", NULL};
    ppo_test_trainer_open(&b, cartpole, wide);
    ck_assert(!ppo_checkpoint_restore(b.trainer, ck, NULL, &error));
    ck_assert_int_eq(error->code, PPO_ERROR_CHECKPOINT);
    ck_assert_msg(strstr(error->message, "parameters") != NULL, "%s", error->message);
    g_clear_error(&error);
    /* another setting: named in the message */
    const char *epochs[] = {"ppo.epochs=3", NULL};
    ppo_test_trainer_open(&c, cartpole, epochs);
    ck_assert(!ppo_checkpoint_restore(c.trainer, ck, NULL, &error));
    ck_assert_msg(strstr(error->message, "epochs") != NULL &&
                      strstr(error->message, "total_steps") != NULL,
                  "%s", error->message);
    g_clear_error(&error);
    ppo_checkpoint_free(ck);
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
    ppo_test_trainer_close(&c);
    unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_checkpoint_damage_is_detected_at_every_byte)
{
    char *dir = g_dir_make_tmp("ppo-ckpt-XXXXXX", NULL);
    char *path = g_build_filename(dir, "c.ckpt", NULL);
    char *bad = g_build_filename(dir, "bad.ckpt", NULL);
    ppo_test_trainer_t a;
    const char *small[] = {"policy.params.pi_hidden=[4]", "policy.params.vf_hidden=[4]", NULL};
    ppo_test_trainer_open(&a, cartpole, small);
    GError *error = NULL;
    ppo_ckpt_files_t files = {0};
    ck_assert(ppo_checkpoint_write(a.trainer, &files, path, &error));
    char *data;
    gsize len;
    ck_assert(g_file_get_contents(path, &data, &len, NULL));
    /* a flipped bit anywhere, and a cut at any length, are refused as damaged */
    for (gsize i = 0; i < len; i += 7) {
        data[i] ^= 0x10;
        ck_assert(g_file_set_contents(bad, data, (gssize)len, NULL));
        data[i] ^= 0x10;
        ppo_ckpt_t *c = ppo_checkpoint_read(bad, &error);
        ck_assert_msg(c == NULL, "flip at byte %zu not detected", i);
        ck_assert_int_eq(error->code, PPO_ERROR_CHECKPOINT);
        ck_assert(strstr(error->message, bad) != NULL);
        g_clear_error(&error);
    }
    for (gsize cut = 0; cut < len; cut += 13) {
        ck_assert(g_file_set_contents(bad, data, (gssize)cut, NULL));
        ppo_ckpt_t *c = ppo_checkpoint_read(bad, &error);
        ck_assert_msg(c == NULL, "cut at %zu not detected", cut);
        g_clear_error(&error);
    }
    /* a future format version is named as such */
    const uint32_t future = PPO_CKPT_FORMAT + 1;
    memcpy(data + 8, &future, 4);
    ck_assert(g_file_set_contents(bad, data, (gssize)len, NULL));
    ck_assert(ppo_checkpoint_read(bad, &error) == NULL);
    ck_assert_msg(strstr(error->message, "newer") != NULL, "%s", error->message);
    g_clear_error(&error);
    g_free(data);
    ppo_test_trainer_close(&a);
    unlink(path);
    unlink(bad);
    g_rmdir(dir);
    g_free(path);
    g_free(bad);
    g_free(dir);
}
END_TEST

START_TEST(test_checkpoint_write_failure_keeps_previous_file)
{
    /* the failure is made with a directory in the way of the temp file, which stops root too
     * (a read-only directory would not) */
    char *dir = g_dir_make_tmp("ppo-ckpt-XXXXXX", NULL);
    char *path = g_build_filename(dir, "c.ckpt", NULL);
    ppo_test_trainer_t a;
    ppo_test_trainer_open(&a, cartpole, NULL);
    GError *error = NULL;
    ppo_ckpt_files_t files = {0};
    ck_assert(ppo_checkpoint_write(a.trainer, &files, path, &error));
    char *before;
    gsize before_len;
    ck_assert(g_file_get_contents(path, &before, &before_len, NULL));
    /* the temp file cannot be made: its name is taken by a directory */
    char *tmp = g_strconcat(path, ".tmp", NULL);
    ck_assert_int_eq(g_mkdir(tmp, 0755), 0);
    ppo_metrics_row_t row;
    ppo_test_trainer_iterate(&a, &row);
    ck_assert(!ppo_checkpoint_write(a.trainer, &files, path, &error));
    ck_assert_int_eq(error->code, PPO_ERROR_IO);
    ck_assert_msg(strstr(error->message, "previous checkpoint is intact") != NULL, "%s",
                  error->message);
    g_clear_error(&error);
    char *after;
    gsize after_len;
    ck_assert(g_file_get_contents(path, &after, &after_len, NULL));
    ck_assert_uint_eq(before_len, after_len);
    ck_assert_mem_eq(before, after, before_len);
    g_free(before);
    g_free(after);
    g_rmdir(tmp);
    g_free(tmp);
    ppo_test_trainer_close(&a);
    unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_truncation_bootstraps_from_normalized_final_observation)
{
    /* CartPole with a 7-step limit: truncations happen every 7 steps; V(final obs) must be the
     * policy's value of the final observation normalized with the statistics after that step */
    const char *ov[] = {"env.max_episode_steps=7", "normalize.obs=true", "normalize.reward=true",
                        "ppo.rollout_steps=16", NULL};
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, cartpole, ov);
    ppo_trainer_t *tr = f.trainer;
    GError *error = NULL;
    ck_assert(ppo_collect_rollout(tr, &error));
    /* replay: with the same seed, a second trainer stepped by hand gives the raw final obs */
    int truncations = 0;
    for (uint32_t t = 0; t < tr->T; t++) {
        for (uint32_t i = 0; i < tr->N; i++) {
            const size_t r = (size_t)t * tr->N + i;
            if (tr->ro.truncated[r] == 0.0f) {
                ck_assert_float_eq(tr->ro.bootstrap[r], 0.0f);
                continue;
            }
            ck_assert_float_eq(tr->ro.terminated[r], 0.0f);
            ck_assert(tr->ro.bootstrap[r] != 0.0f);
            truncations++;
        }
    }
    ck_assert_int_gt(truncations, 0);
    ppo_test_trainer_close(&f);

    /* the exact value: step by hand one env with the same streams, record the raw final
     * observation at step 7 and normalize it with statistics recomputed from every row */
    const char *one[] = {"env.max_episode_steps=7", "normalize.obs=true", "env.num_envs=1",
                         "ppo.rollout_steps=7",     "ppo.minibatches=1",  NULL};
    ppo_test_trainer_open(&f, cartpole, one);
    tr = f.trainer;
    /* raw observations the env will produce: replay its stream on a second instance */
    const ppo_plugin_t *envp = tr->session->env;
    void *env = envp->vt.env.create(&envp->host, tr->session->env_params);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, tr->pl->seed, "env", 0);
    float raw[8][4];
    ck_assert_int_eq(envp->vt.env.reset(env, &rng, raw[0]), 0);
    ck_assert(ppo_collect_rollout(tr, &error));
    for (int t = 0; t < 7; t++) {
        double reward;
        int term;
        const float a = tr->ro.actions[t];
        ck_assert_int_eq(envp->vt.env.step(env, &a, &rng, raw[t + 1], &reward, &term), 0);
        ck_assert_int_eq(term, 0);
    }
    ck_assert_float_eq(tr->ro.truncated[6], 1.0f);
    /* statistics after step 7: prior + rows 0..6 as the envs wrote them (row 7 is the reset
     * observation, included as VecNormalize does) — take them from the trainer and check the
     * final observation's normalization gives the stored bootstrap */
    float final_obs[4];
    memcpy(final_obs, raw[7], sizeof(final_obs));
    ppo_rms_normalize(&tr->obs_rms, final_obs, 1, tr->pl->normalize.epsilon,
                      tr->pl->normalize.clip_obs);
    float v;
    const ppo_plugin_t *pp = tr->model->plugin;
    ck_assert_int_eq(pp->vt.policy.value(tr->model->inst, tr->main_ws, 1, final_obs, &v), 0);
    /* the rollout ended right after that step, so the statistics are still those of step 7 */
    ck_assert_float_eq_tol(tr->ro.bootstrap[6], v, 1e-6f);
    envp->vt.env.destroy(env);
    ppo_test_trainer_close(&f);
}
END_TEST

static double train_and_report(const char *text, const char *const *ov, int iterations)
{
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, text, ov);
    ppo_metrics_row_t row;
    double first = NAN;
    for (int i = 0; i < iterations; i++) {
        ppo_test_trainer_iterate(&f, &row);
        if (isnan(first) && !isnan(row.ep_return_mean))
            first = row.ep_return_mean;
    }
    fprintf(stderr, "learning: first mean return %.2f, after %" G_GUINT64_FORMAT " steps %.2f\n",
            first, row.global_step, row.ep_return_mean);
    ppo_test_trainer_close(&f);
    return row.ep_return_mean;
}

START_TEST(test_cartpole_learns_on_a_small_budget)
{
    /* 40960 steps with the tuned settings: random play averages about 22 */
    const char *ov[] = {"ppo.total_steps=40960", NULL};
    const double ret = train_and_report(cartpole, ov, 160);
    ck_assert_msg(ret >= 150.0, "mean return %.2f after 40960 steps", ret);
}
END_TEST

/* CartPoleNoVel: velocities observed as 0, the settings of configs/cartpole-novel.yaml. After 40
 * iterations (20480 steps) the LSTM's mean return is well on its way up (random play averages
 * about 22) while the mlp's has flattened out near 50 for good (bench/memory.md: under 60 after
 * 100k steps in every seed). */
#define NOVEL_ITERATIONS 40
#define NOVEL_LSTM_MIN 100.0
#define NOVEL_MLP_MAX 70.0
static const char cartpole_novel[] =
    "name: n\n"
    "seed: 1\n"
    "env: { plugin: cartpole, num_envs: 16, params: { mask_velocity: true } }\n"
    "policy: { plugin: lstm, params: { lstm_hidden: 64, pi_hidden: [64], vf_hidden: [64],\n"
    "          activation: relu, ortho_init: false } }\n"
    "advantage: { plugin: gae, params: { gamma: 0.98, lambda: 0.8 } }\n"
    "optimizer: { plugin: adam, params: { lr: 2.0e-3, eps: 1.0e-5 } }\n"
    "ppo: { total_steps: 100000, rollout_steps: 32, epochs: 20, minibatches: 1,\n"
    "       clip_schedule: linear, lr_schedule: linear, ent_coef: 0.01, value_loss: mse }\n"
    "normalize: { obs: true, reward: true }\n";

START_TEST(test_lstm_balances_cartpole_without_velocities_where_mlp_cannot)
{
    /* NOVEL_ITERATIONS x 512 steps of the same pipeline, once with the LSTM and once with the
     * memoryless mlp in its place: only a policy that remembers past positions can tell how
     * fast the cart and the pole move */
    const char *as_mlp[] = {"policy.plugin=mlp", NULL};
    const double with_memory = train_and_report(cartpole_novel, NULL, NOVEL_ITERATIONS);
    const double without = train_and_report(cartpole_novel, as_mlp, NOVEL_ITERATIONS);
    ck_assert_msg(with_memory >= NOVEL_LSTM_MIN, "lstm: mean return %.2f", with_memory);
    ck_assert_msg(without <= NOVEL_MLP_MAX, "mlp: mean return %.2f", without);
}
END_TEST

START_TEST(test_pendulum_learns_on_a_small_budget)
{
    /* 50k steps: a random policy averages about -1200 */
    const char *ov[] = {"ppo.total_steps=51200", NULL};
    const double ret = train_and_report(pendulum, ov, 50);
    ck_assert_msg(ret >= -900.0, "mean return %.2f after 51200 steps", ret);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ppo_trainer");
    TCase *tc = tcase_create("trainer");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_trainer_threads_do_not_change_results);
    tcase_add_test(tc, test_split_optimizer_step_equals_one_step_call);
    tcase_add_test(tc, test_trainer_same_seed_reproduces_and_other_seed_differs);
    tcase_add_test(tc, test_checkpoint_restores_a_run_exactly);
    tcase_add_test(tc, test_checkpoint_refuses_another_pipeline_naming_the_difference);
    tcase_add_test(tc, test_checkpoint_damage_is_detected_at_every_byte);
    tcase_add_test(tc, test_checkpoint_write_failure_keeps_previous_file);
    tcase_add_test(tc, test_truncation_bootstraps_from_normalized_final_observation);
    tcase_add_test(tc, test_cartpole_learns_on_a_small_budget);
    tcase_add_test(tc, test_pendulum_learns_on_a_small_budget);
    tcase_add_test(tc, test_lstm_balances_cartpole_without_velocities_where_mlp_cannot);
    suite_add_tcase(s, tc);
    return ppo_test_run(s);
}
