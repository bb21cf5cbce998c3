/* Tests of what plugin ABI 1.2 added to the training loop (docs/design.md §9): uint8 image
 * observations stored as bytes and seen as floats, multi-discrete actions, recurrent policies
 * with core-managed state trained on (padded) sequences, and the refusals of malformed spaces
 * and recurrent setups. The fixtures are tests/fixtures/fx_grid.c (an image env), fx_recall.c (a
 * task that needs memory) and fx_rnn.c (an Elman recurrent policy).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_checkpoint_private.h"
#include "ppo_collect_private.h"
#include "ppo_test.h"
#include "ppo_trainer_private.h"

static const char grid[] = "name: g\n"
                           "seed: 5\n"
                           "env: { plugin: fx_grid, num_envs: 8 }\n"
                           "policy: { plugin: mlp, params: { pi_hidden: [32], vf_hidden: [32] } }\n"
                           "advantage: { plugin: gae, params: { gamma: 0.95 } }\n"
                           "optimizer: { plugin: adam, params: { lr: 3.0e-3 } }\n"
                           "ppo: { total_steps: 60000, rollout_steps: 32, epochs: 4,\n"
                           "       minibatches: 4, lr_schedule: constant }\n";

static const char recall[] = "name: r\n"
                             "seed: 2\n"
                             "env: { plugin: fx_recall, num_envs: 16 }\n"
                             "policy: { plugin: fx_rnn, params: { hidden: 8 } }\n"
                             "advantage: { plugin: gae, params: { gamma: 0.99 } }\n"
                             "optimizer: { plugin: adam, params: { lr: 1.0e-2 } }\n"
                             "ppo: { total_steps: 40000, rollout_steps: 12, epochs: 4,\n"
                             "       minibatches: 4, lr_schedule: constant, ent_coef: 0.0 }\n";

/* ep_return_mean after n iterations of a pipeline */
static double return_after(const char *text, const char *const *overrides, int n)
{
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, text, overrides);
    ppo_metrics_row_t row;
    for (int i = 0; i < n; i++)
        ppo_test_trainer_iterate(&f, &row);
    ppo_test_trainer_close(&f);
    return row.ep_return_mean;
}

/* ---- uint8 observations ---- */

START_TEST(test_uint8_rollout_keeps_one_byte_per_element_as_the_env_wrote_it)
{
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, grid, NULL);
    const ppo_trainer_t *tr = f.trainer;
    ck_assert(tr->store_u8);
    ck_assert_uint_eq(tr->D, 2 * 4 * 4);
    ck_assert_uint_eq(tr->store_rb, 32);
    /* the first observations: one agent cell and one goal cell per env, as bytes */
    for (uint32_t i = 0; i < tr->N; i++) {
        const uint8_t *row = ppo_trainer_obs_row(tr, i);
        uint32_t ones[2] = {0, 0};
        for (uint32_t k = 0; k < tr->D; k++) {
            ck_assert_uint_le(row[k], 1);
            ones[k / 16] += row[k];
        }
        ck_assert_uint_eq(ones[0], 1);
        ck_assert_uint_eq(ones[1], 1);
    }
    /* the float run of the same task stores four times the bytes */
    ppo_test_trainer_t g;
    const char *f32[] = {"env.params.dtype=float32", NULL};
    ppo_test_trainer_open(&g, grid, f32);
    ck_assert(!g.trainer->store_u8);
    ck_assert_uint_eq(g.trainer->store_rb, 4 * tr->store_rb);
    ppo_test_trainer_close(&f);
    ppo_test_trainer_close(&g);
}
END_TEST

START_TEST(test_uint8_observations_train_to_the_bits_of_the_same_values_as_floats)
{
    /* the policy sees x / (1 - 0) = x either way: the same run, bit for bit */
    const char *u8[] = {"env.params.dtype=uint8", NULL};
    const char *f32[] = {"env.params.dtype=float32", NULL};
    ppo_test_assert_same_runs(grid, u8, f32, 4);
}
END_TEST

START_TEST(test_uint8_runs_do_not_depend_on_threads_and_resume_exactly)
{
    const char *one[] = {"ppo.threads=1", "env.num_envs=20", "ppo.minibatches=2", NULL};
    const char *two[] = {"ppo.threads=2", "env.num_envs=20", "ppo.minibatches=2", NULL};
    ppo_test_assert_same_runs(grid, one, two, 3);
    ppo_test_assert_resume_exact(grid, two, 2, 2);
    /* running normalization asked for on a uint8 space: stored as normalized floats */
    const char *norm1[] = {"ppo.threads=1", "normalize.obs=true", NULL};
    const char *norm2[] = {"ppo.threads=2", "normalize.obs=true", NULL};
    ppo_test_assert_same_runs(grid, norm1, norm2, 3);
    ppo_test_assert_resume_exact(grid, norm2, 2, 2);
}
END_TEST

START_TEST(test_uint8_with_running_normalization_stores_normalized_floats)
{
    ppo_test_trainer_t f;
    const char *norm[] = {"normalize.obs=true", NULL};
    ppo_test_trainer_open(&f, grid, norm);
    const ppo_trainer_t *tr = f.trainer;
    ck_assert(!tr->store_u8);
    ck_assert_uint_eq(tr->store_rb, (size_t)tr->D * sizeof(float));
    /* statistics of the [0, 1] values of the first observations: 2 of 32 cells are 1 */
    double mean = 0.0;
    for (uint32_t k = 0; k < tr->D; k++)
        mean += tr->obs_rms.mean[k];
    ck_assert_double_eq_tol(mean / tr->D, 2.0 / 32.0, 1e-3);
    const float *row = ppo_trainer_obs_row(tr, 0);
    for (uint32_t k = 0; k < tr->D; k++)
        ck_assert(isfinite(row[k]) && fabsf(row[k]) <= 10.0f);
    ppo_test_trainer_close(&f);
}
END_TEST

START_TEST(test_mlp_learns_the_image_task_with_discrete_and_multi_discrete_actions)
{
    const char *multi[] = {"env.params.actions=multi", NULL};
    const double first = return_after(grid, NULL, 1);
    const double discrete = return_after(grid, NULL, 60);
    const double md = return_after(grid, multi, 60);
    printf("image grid: return %.3f at the start, %.3f after 60 iterations (discrete), %.3f "
           "(multi-discrete [3, 3])\n",
           first, discrete, md);
    /* random play rarely reaches the goal in 16 steps; a learnt policy walks straight to it */
    ck_assert_msg(discrete > 0.6 && md > 0.6, "discrete %.3f, multi-discrete %.3f", discrete, md);
}
END_TEST

START_TEST(test_multi_discrete_runs_do_not_depend_on_threads)
{
    const char *one[] = {"ppo.threads=1", "env.params.actions=multi", NULL};
    const char *two[] = {"ppo.threads=2", "env.params.actions=multi", NULL};
    ppo_test_assert_same_runs(grid, one, two, 3);
}
END_TEST

/* ---- malformed spaces ---- */

START_TEST(test_malformed_spaces_are_refused_naming_the_plugin_and_the_fix)
{
    static const struct {
        const char *defect, *words[2];
    } cases[] = {
        {"shape_product", {"elements but dim", "product of the shape"}},
        {"rank4", {"rank 4", "flatten"}},
        {"zero_axis", {"axis 1", "size 0"}},
        {"nvec_one", {"component 1", "nvec = 1"}},
        {"u8_bounds", {"uint8", "[0, 255]"}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *ov = g_strdup_printf("env.params.defect=%s", cases[i].defect);
        const char *overrides[] = {ov, "env.params.actions=multi", NULL};
        GError *error = ppo_test_trainer_error(grid, overrides);
        ck_assert_msg(error != NULL, "defect %s was accepted", cases[i].defect);
        ck_assert_int_eq(error->code, PPO_ERROR_PLUGIN);
        ck_assert_msg(strstr(error->message, "fx_grid") != NULL, "%s", error->message);
        for (int w = 0; w < 2; w++)
            ck_assert_msg(strstr(error->message, cases[i].words[w]) != NULL, "%s: %s",
                          cases[i].defect, error->message);
        g_error_free(error);
        g_free(ov);
    }
}
END_TEST

/* ---- recurrent policies ---- */

START_TEST(test_recurrent_policy_learns_what_a_memoryless_one_cannot)
{
    /* the cue is gone when the answer is due: memory earns 1, guessing 0.5 */
    const double with_memory = return_after(recall, NULL, 120);
    static const char recall_mlp[] = "name: r\n"
                                     "seed: 2\n"
                                     "env: { plugin: fx_recall, num_envs: 16 }\n"
                                     "policy: { plugin: mlp }\n"
                                     "advantage: { plugin: gae, params: { gamma: 0.99 } }\n"
                                     "optimizer: { plugin: adam, params: { lr: 1.0e-2 } }\n"
                                     "ppo: { total_steps: 40000, rollout_steps: 12, epochs: 4,\n"
                                     "       minibatches: 4, lr_schedule: constant }\n";
    const double without = return_after(recall_mlp, NULL, 120);
    printf("recall: recurrent %.3f, memoryless %.3f after 120 iterations\n", with_memory, without);
    ck_assert_msg(with_memory > 0.9, "the recurrent policy reached only %.3f", with_memory);
    ck_assert_msg(without < 0.7, "the memoryless policy reached %.3f", without);
}
END_TEST

START_TEST(test_recurrent_runs_do_not_depend_on_threads_and_resume_exactly)
{
    /* whole-rollout sequences, and sequences of 5 of 12 steps (the third padded to 5) */
    const char *one[] = {"ppo.threads=1", NULL}, *two[] = {"ppo.threads=2", NULL};
    ppo_test_assert_same_runs(recall, one, two, 4);
    const char *one5[] = {"ppo.threads=1", "ppo.seq_len=5", "ppo.minibatches=6", NULL};
    const char *three5[] = {"ppo.threads=3", "ppo.seq_len=5", "ppo.minibatches=6", NULL};
    ppo_test_assert_same_runs(recall, one5, three5, 4);
    ppo_test_assert_resume_exact(recall, three5, 3, 3);
    ppo_test_assert_resume_exact(recall, one, 2, 2);
}
END_TEST

START_TEST(test_padding_counts_in_no_loss_term_or_statistic)
{
    /* one epoch of one minibatch: the policy is evaluated before any step, so every ratio is 1
     * and the policy loss is minus the mean of the normalized advantages, 0 exactly when the
     * normalization and the mean run over the same samples; approx_kl and the clip fraction
     * are 0 */
    const char *ov[] = {"ppo.seq_len=5", "ppo.minibatches=1", "ppo.epochs=1", NULL};
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, recall, ov);
    ck_assert_uint_eq(f.trainer->K, 3);
    ck_assert_uint_eq(f.trainer->mb_size, 16 * 3 * 5);
    ppo_metrics_row_t row;
    for (int i = 0; i < 3; i++) {
        ppo_test_trainer_iterate(&f, &row);
        ck_assert_msg(fabs(row.policy_loss) < 1e-6, "policy loss %g with padding",
                      row.policy_loss);
        ck_assert_double_eq(row.approx_kl, 0.0);
        ck_assert_double_eq(row.clip_fraction, 0.0);
        ck_assert(isfinite(row.value_loss) && isfinite(row.entropy));
    }
    ppo_test_trainer_close(&f);
}
END_TEST

START_TEST(test_recurrent_state_is_reset_at_episode_starts_and_stored_per_sequence)
{
    const char *ov[] = {"ppo.seq_len=4", "ppo.minibatches=4", NULL};
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, recall, ov);
    ppo_trainer_t *tr = f.trainer;
    ck_assert_uint_eq(tr->S, 8);
    ppo_metrics_row_t row;
    ppo_test_trainer_iterate(&f, &row);
    ppo_test_trainer_iterate(&f, &row);
    /* episodes last 3 steps: in every rollout of 12 an env starts one at rows t0, t0 + 3, ... */
    for (uint32_t i = 0; i < tr->N; i++) {
        uint32_t starts = 0;
        for (uint32_t t = 0; t < tr->T; t++) {
            const float s = tr->ro.starts[(size_t)t * tr->N + i];
            ck_assert(s == 0.0f || s == 1.0f);
            starts += s == 1.0f;
            /* a sequence that begins an episode begins from zeros */
            if (t % tr->L == 0 && s == 1.0f)
                for (uint32_t k = 0; k < tr->S; k++)
                    ck_assert_float_eq(
                        tr->ro.seq_state[((size_t)(t / tr->L) * tr->N + i) * tr->S + k], 0.0f);
        }
        ck_assert_uint_eq(starts, 4);
    }
    ppo_test_trainer_close(&f);
}
END_TEST

START_TEST(test_recurrent_setups_that_cannot_work_are_refused)
{
    static const struct {
        const char *ov[3];
        int code;
        const char *words[2];
    } cases[] = {
        {{"ppo.seq_len=13", NULL}, PPO_ERROR_PIPELINE, {"ppo.seq_len", "longer than the rollout"}},
        {{"ppo.seq_len=0", NULL}, PPO_ERROR_PIPELINE, {"ppo.seq_len", "0"}},
        {{"ppo.seq_len=5", "ppo.minibatches=5", NULL},
         PPO_ERROR_PIPELINE,
         {"ppo.minibatches", "48 training sequences"}},
        {{"ppo.minibatches=3", NULL}, PPO_ERROR_PIPELINE, {"ppo.minibatches", "whole sequences"}},
        {{"policy.params.fake_state=zero", NULL},
         PPO_ERROR_PLUGIN,
         {"state_size() of 0", "plain act"}},
        {{"policy.params.fake_state=huge", NULL}, PPO_ERROR_PLUGIN, {"2^20", "smaller"}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GError *error = ppo_test_trainer_error(recall, cases[i].ov);
        ck_assert_msg(error != NULL, "case %zu was accepted", i);
        ck_assert_msg(error->code == cases[i].code, "case %zu: code %d: %s", i, error->code,
                      error->message);
        for (int w = 0; w < 2; w++)
            ck_assert_msg(strstr(error->message, cases[i].words[w]) != NULL, "case %zu: %s", i,
                          error->message);
        g_error_free(error);
    }
}
END_TEST

START_TEST(test_checkpoint_of_another_recurrent_state_size_is_refused)
{
    char *dir = ppo_test_tmpdir();
    char *path = g_build_filename(dir, "c.ckpt", NULL);
    ppo_test_trainer_t a, b;
    ppo_test_trainer_open(&a, recall, NULL);
    GError *error = NULL;
    ppo_ckpt_files_t files = {0};
    ck_assert(ppo_checkpoint_write(a.trainer, &files, path, &error));
    const char *pad[] = {"policy.params.state_pad=2", NULL};
    ppo_test_trainer_open(&b, recall, pad);
    ppo_ckpt_t *c = ppo_checkpoint_read(path, &error);
    ck_assert(c != NULL);
    ck_assert(!ppo_checkpoint_restore(b.trainer, c, NULL, &error));
    ck_assert_int_eq(error->code, PPO_ERROR_CHECKPOINT);
    ck_assert_msg(strstr(error->message, "recurrent state") != NULL &&
                      strstr(error->message, "10") != NULL,
                  "%s", error->message);
    g_error_free(error);
    ppo_checkpoint_free(c);
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_evaluation_carries_the_recurrent_state_through_episodes)
{
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, recall, NULL);
    ppo_metrics_row_t row;
    for (int i = 0; i < 120; i++)
        ppo_test_trainer_iterate(&f, &row);
    GError *error = NULL;
    ppo_evaluator_t *ev = ppo_evaluator_new(f.session, f.trainer->model, 4, 9, &error);
    ck_assert_msg(ev != NULL, "%s", error != NULL ? error->message : "");
    double returns[40];
    ck_assert_msg(ppo_evaluator_run(ev, 40, true, NULL, 0.0, 0.0, returns, NULL, NULL, &error),
                  "%s", error != NULL ? error->message : "");
    double sum = 0.0;
    for (int e = 0; e < 40; e++)
        sum += returns[e];
    printf("recall: deterministic evaluation %.3f over 40 episodes\n", sum / 40);
    ck_assert_msg(sum / 40 > 0.9, "evaluation returned %.3f", sum / 40);
    ppo_evaluator_free(ev);
    ppo_test_trainer_close(&f);
}
END_TEST

static Suite *abi12_suite(void)
{
    Suite *s = suite_create("abi12");
    TCase *tc = tcase_create("training");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_uint8_rollout_keeps_one_byte_per_element_as_the_env_wrote_it);
    tcase_add_test(tc, test_uint8_observations_train_to_the_bits_of_the_same_values_as_floats);
    tcase_add_test(tc, test_uint8_runs_do_not_depend_on_threads_and_resume_exactly);
    tcase_add_test(tc, test_uint8_with_running_normalization_stores_normalized_floats);
    tcase_add_test(tc, test_mlp_learns_the_image_task_with_discrete_and_multi_discrete_actions);
    tcase_add_test(tc, test_multi_discrete_runs_do_not_depend_on_threads);
    tcase_add_test(tc, test_malformed_spaces_are_refused_naming_the_plugin_and_the_fix);
    tcase_add_test(tc, test_recurrent_policy_learns_what_a_memoryless_one_cannot);
    tcase_add_test(tc, test_recurrent_runs_do_not_depend_on_threads_and_resume_exactly);
    tcase_add_test(tc, test_padding_counts_in_no_loss_term_or_statistic);
    tcase_add_test(tc, test_recurrent_state_is_reset_at_episode_starts_and_stored_per_sequence);
    tcase_add_test(tc, test_recurrent_setups_that_cannot_work_are_refused);
    tcase_add_test(tc, test_checkpoint_of_another_recurrent_state_size_is_refused);
    tcase_add_test(tc, test_evaluation_carries_the_recurrent_state_through_episodes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(abi12_suite());
}
