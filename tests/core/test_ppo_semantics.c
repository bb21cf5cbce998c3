/* Tests of the semantics that make a run comparable with Stable-Baselines3's or CleanRL's: gSDE
 * noise drawn at every rollout start (and an ABI 1.1 policy keeping its episode-start timing),
 * time-limit ends treated as terminations without ppo.bootstrap_truncation (on the recurrent
 * path too), Gymnasium's per-env normalization next to VecNormalize's, SB3's value loss, the update statistics under
 * SB3's names, the iteration count rounded down as CleanRL does, the episode log, and resuming
 * a run whose env has no state without counting its reset observations twice. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_checkpoint_private.h"
#include "ppo_collect_private.h"
#include "ppo_crc32c_private.h"
#include "ppo_test.h"
#include "ppo_session_private.h"
#include "ppo_trainer_private.h"

/* Pendulum with gSDE; the 40-step limit ends episodes inside the 64-step rollouts, and the high
 * learning rate moves the log-std between rollouts. */
static const char pendulum_sde[] =
    "name: sde\n"
    "seed: 5\n"
    "env: { plugin: pendulum, num_envs: 3, max_episode_steps: 40 }\n"
    "policy: { plugin: mlp, params: { pi_hidden: [16], vf_hidden: [16], sde: true,\n"
    "                                 log_std_init: -0.5 } }\n"
    "advantage: { plugin: gae, params: { gamma: 0.9 } }\n"
    "optimizer: { plugin: adam, params: { lr: 3.0e-2 } }\n"
    "ppo: { total_steps: 100000, rollout_steps: 64, epochs: 2, minibatches: 2,\n"
    "       lr_schedule: constant }\n";

/* CartPole with a 7-step limit: truncations every few steps, terminations now and then. */
static const char cartpole7[] =
    "name: c7\n"
    "seed: 3\n"
    "env: { plugin: cartpole, num_envs: 2, max_episode_steps: 7 }\n"
    "policy: { plugin: mlp, params: { pi_hidden: [16], vf_hidden: [16] } }\n"
    "advantage: { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }\n"
    "optimizer: { plugin: adam, params: { lr: 1.0e-3 } }\n"
    "ppo: { total_steps: 100000, rollout_steps: 16, epochs: 2, minibatches: 1 }\n";

static ppo_trainer_t *tr_of(ppo_test_trainer_t *f)
{
    return f->trainer;
}

/* ---- gSDE ---- */

/* Replay a rollout of `tr` with a fresh instance of its policy bound to `params` (the parameters
 * the rollout was collected with), drawing every env's noise at the rollout start from `rngs`
 * (the sampler streams as they were before the rollout), as SB3 does: the replay's noise is
 * drawn with exactly these parameters, so its actions are samples of the distribution act()
 * reports. The rollout's actions, log-probabilities and distributions must be the replay's, bit
 * for bit. obs0 is the rollout's first observation row (the trainer moved row T there since). */
static void assert_rollout_replays(ppo_trainer_t *tr, const float *params, ppo_rng_t *rngs,
                                   const float *obs0, int iteration)
{
    GError *error = NULL;
    const ppo_plugin_t *pp = tr->model->plugin;
    const ppo_policy_vtable_t *vt = &pp->vt.policy;
    ppo_model_t *m = ppo_model_new(pp, tr->session->policy_params, &tr->obs_space,
                                   &tr->act_space, tr->N, 0, &error);
    ck_assert_msg(m != NULL, "%s", error != NULL ? error->message : "");
    memcpy(m->params, params, m->n_params * sizeof(float));
    void *ws = vt->ws_create(m->inst, tr->N);
    const uint32_t N = tr->N, D = tr->D, A = tr->A, P = tr->P;
    uint32_t env_index[8];
    ppo_rng_t *rp[8];
    for (uint32_t i = 0; i < N; i++) {
        env_index[i] = i;
        rp[i] = &rngs[i];
        ck_assert_int_eq(vt->reset_noise(m->inst, i, &rngs[i]), 0);
    }
    float actions[8 * 4], logp[8], value[8], dist[8 * 8];
    for (uint32_t t = 0; t < tr->T; t++) {
        const float *obs = t == 0 ? obs0 : tr->ro.obs + (size_t)t * N * D;
        ck_assert_int_eq(vt->act(m->inst, ws, N, obs, env_index, rp, 0, actions, logp, value, dist),
                         0);
        const size_t r = (size_t)t * N;
        ck_assert_msg(memcmp(actions, tr->ro.actions + r * A, (size_t)N * A * sizeof(float)) == 0,
                      "iteration %d step %u: the actions were not sampled with noise drawn from "
                      "the rollout's parameters",
                      iteration, t);
        ck_assert_msg(memcmp(logp, tr->ro.logp + r, N * sizeof(float)) == 0,
                      "iteration %d step %u: log-probabilities differ", iteration, t);
        ck_assert_msg(memcmp(dist, tr->ro.dist + r * P, (size_t)N * P * sizeof(float)) == 0,
                      "iteration %d step %u: distributions differ", iteration, t);
    }
    vt->ws_destroy(m->inst, ws);
    ppo_model_free(m);
}

START_TEST(test_gsde_every_logprob_is_that_of_the_distribution_actually_sampled)
{
    /* once per rollout (SB3's sde_sample_freq -1), and every 4 steps within it */
    const char *const freq[] = {"policy.params.sde_sample_freq=-1",
                                "policy.params.sde_sample_freq=4"};
    const char *ov[] = {freq[_i], NULL};
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, pendulum_sde, ov);
    ppo_trainer_t *tr = tr_of(&f);
    const size_t np = tr->model->n_params;
    float *params = g_new(float, np);
    float *obs0 = g_new(float, (size_t)tr->N * tr->D);
    ppo_rng_t rngs[8];
    int ended = 0;
    for (int it = 1; it <= 3; it++) {
        memcpy(params, tr->model->params, np * sizeof(float));
        memcpy(obs0, tr->ro.obs, (size_t)tr->N * tr->D * sizeof(float));
        for (uint32_t i = 0; i < tr->N; i++)
            rngs[i] = tr->slots[i].act_rng;
        ppo_metrics_row_t row;
        ppo_test_trainer_iterate(&f, &row);
        for (size_t r = 0; r < (size_t)tr->T * tr->N; r++)
            ended += tr->ro.terminated[r] != 0.0f || tr->ro.truncated[r] != 0.0f;
        assert_rollout_replays(tr, params, rngs, obs0, it);
    }
    /* episodes ended inside the rollouts, and the updates moved the log-std */
    ck_assert_int_gt(ended, 0);
    const float *ls = tr->model->params + tr->model->offsets[tr->model->log_std_segment];
    ck_assert_float_ne(ls[0], -0.5f);
    g_free(params);
    g_free(obs0);
    ppo_test_trainer_close(&f);
}
END_TEST

/* Each env's count of acts since its noise was drawn, from mlp's saved state (per env: the count,
 * the drawn flag, the matrix). */
static void noise_steps(ppo_trainer_t *tr, uint64_t *out)
{
    const ppo_policy_vtable_t *vt = &tr->model->plugin->vt.policy;
    const size_t n = vt->state_size(tr->model->inst);
    double *st = g_new(double, n);
    ck_assert_int_eq(vt->get_state(tr->model->inst, st), 0);
    for (uint32_t i = 0; i < tr->N; i++)
        out[i] = (uint64_t)st[(size_t)i * (n / tr->N)];
    g_free(st);
}

START_TEST(test_gsde_noise_is_drawn_at_rollout_starts_and_not_at_episode_starts)
{
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, pendulum_sde, NULL);
    ppo_trainer_t *tr = tr_of(&f);
    GError *error = NULL;
    for (int k = 0; k < 3; k++) {
        ck_assert(ppo_collect_rollout(tr, &error));
        /* drawn once, at the start: every env has acted T times on it, whatever episodes ended */
        uint64_t steps[8];
        noise_steps(tr, steps);
        for (uint32_t i = 0; i < tr->N; i++)
            ck_assert_uint_eq(steps[i], tr->T);
        memcpy(tr->ro.obs, tr->ro.obs + (size_t)tr->T * tr->N * tr->D,
               (size_t)tr->N * tr->D * sizeof(float));
    }
    ppo_test_trainer_close(&f);
}
END_TEST

START_TEST(test_policy_built_for_abi_1_1_keeps_drawing_noise_at_episode_starts)
{
    /* ABI 1.1 documented reset_noise as called at every episode start; such a policy keeps that
     * timing (mlp stands in for one here, its recorded ABI lowered) */
    GError *error = NULL;
    ppo_test_trainer_t f;
    f.search = ppo_search_new(NULL);
    f.pipeline = ppo_pipeline_parse("t.yaml", ".", pendulum_sde, strlen(pendulum_sde), NULL, &error);
    ck_assert(f.pipeline != NULL);
    f.session = ppo_session_open(f.pipeline, f.search, &error);
    ck_assert(f.session != NULL);
    ppo_plugin_t *pol = f.session->policy;
    const uint32_t minor = pol->abi_minor;
    pol->abi_minor = 1;
    f.trainer = ppo_trainer_new(f.session, &error);
    pol->abi_minor = minor;
    ck_assert_msg(f.trainer != NULL, "%s", error != NULL ? error->message : "");
    ppo_trainer_t *tr = f.trainer;
    ck_assert(tr->noise_per_episode);
    int restarted = 0;
    for (int k = 0; k < 3; k++) {
        ck_assert(ppo_collect_rollout(tr, &error));
        /* drawn at each env's episode start: the count is the env's steps since its reset */
        uint64_t steps[8];
        noise_steps(tr, steps);
        for (uint32_t i = 0; i < tr->N; i++) {
            ck_assert_uint_eq(steps[i], tr->slots[i].ep_len);
            restarted += steps[i] != tr->T;
        }
        memcpy(tr->ro.obs, tr->ro.obs + (size_t)tr->T * tr->N * tr->D,
               (size_t)tr->N * tr->D * sizeof(float));
    }
    ck_assert_int_gt(restarted, 0);
    ppo_test_trainer_close(&f);
}
END_TEST

/* ---- time-limit truncation ---- */

START_TEST(test_without_bootstrap_truncation_a_time_limit_end_is_a_termination)
{
    const char *off[] = {"ppo.bootstrap_truncation=false", NULL};
    ppo_test_trainer_t a, b;
    ppo_test_trainer_open(&a, cartpole7, off);
    ppo_test_trainer_open(&b, cartpole7, NULL);
    GError *error = NULL;
    ppo_trainer_t *ta = tr_of(&a), *tb = tr_of(&b);
    ck_assert(ppo_collect_rollout(ta, &error) && ppo_update_estimate(ta, &error));
    ck_assert(ppo_collect_rollout(tb, &error) && ppo_update_estimate(tb, &error));
    int truncations = 0;
    for (size_t r = 0; r < (size_t)ta->T * ta->N; r++) {
        /* the same rollout: same seed, same parameters */
        ck_assert_float_eq(ta->ro.actions[r], tb->ro.actions[r]);
        const bool ended = tb->ro.terminated[r] != 0.0f || tb->ro.truncated[r] != 0.0f;
        ck_assert_float_eq(ta->ro.terminated[r], ended ? 1.0f : 0.0f);
        ck_assert_float_eq(ta->ro.truncated[r], 0.0f);
        ck_assert_float_eq(ta->ro.bootstrap[r], 0.0f);
        if (tb->ro.truncated[r] == 0.0f)
            continue;
        truncations++;
        /* GAE cut with no next value: A = r - V */
        ck_assert_float_eq_tol(ta->ro.advantages[r], ta->ro.rewards[r] - ta->ro.values[r], 1e-6f);
        /* bootstrapped, the same step adds gamma V(final observation) */
        ck_assert_float_eq_tol(tb->ro.advantages[r],
                               tb->ro.rewards[r] + 0.99f * tb->ro.bootstrap[r] - tb->ro.values[r],
                               1e-5f);
        ck_assert(tb->ro.bootstrap[r] != 0.0f);
    }
    ck_assert_int_gt(truncations, 0);
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
}
END_TEST

/* A recurrent policy (fx_recurrent, whose memory counts the episode's steps) whose value is its
 * state: V(obs, s) = s. */
static void value_is_state(ppo_trainer_t *tr)
{
    ppo_model_t *m = tr->model;
    for (uint32_t k = 0; k < m->n_segments; k++) {
        float *seg = m->params + m->offsets[k];
        const size_t n = (size_t)m->segments[k].rows * m->segments[k].cols;
        if (strcmp(m->segments[k].name, "vf.state") == 0)
            seg[0] = 1.0f;
        else if (g_str_has_prefix(m->segments[k].name, "vf."))
            memset(seg, 0, n * sizeof(float));
    }
}

START_TEST(test_recurrent_truncation_bootstraps_with_the_state_before_the_reset)
{
    /* under both normalizations (the per-env one gathers the final observations itself), and
     * without the bootstrap */
    static const char rec[] = "name: r\n"
                              "seed: 4\n"
                              "env: { plugin: cartpole, num_envs: 3, max_episode_steps: 7 }\n"
                              "policy: { plugin: fx_recurrent }\n"
                              "advantage: { plugin: gae }\n"
                              "optimizer: { plugin: adam }\n"
                              "ppo: { total_steps: 100000, rollout_steps: 20, epochs: 2,\n"
                              "       minibatches: 3, seq_len: 5 }\n"
                              "normalize: { obs: true, reward: true }\n";
    const char *const modes[][3] = {
        {"normalize.mode=vecnormalize", "ppo.bootstrap_truncation=true", NULL},
        {"normalize.mode=gymnasium", "ppo.bootstrap_truncation=true", NULL},
        {"normalize.mode=gymnasium", "ppo.bootstrap_truncation=false", NULL},
    };
    const bool boot = _i < 2;
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, rec, modes[_i]);
    ppo_trainer_t *tr = tr_of(&f);
    ck_assert_uint_eq(tr->S, 1);
    value_is_state(tr);
    GError *error = NULL;
    ck_assert(ppo_collect_rollout(tr, &error));
    /* the state before each step is the number of steps of the episode so far */
    float s[8] = {0};
    int truncations = 0;
    for (uint32_t t = 0; t < tr->T; t++) {
        for (uint32_t i = 0; i < tr->N; i++) {
            const size_t r = (size_t)t * tr->N + i;
            ck_assert_float_eq(tr->ro.values[r], s[i]);
            s[i] += 1.0f;
            const bool trunc = s[i] == 7.0f && tr->ro.terminated[r] == (boot ? 0.0f : 1.0f);
            if (trunc) {
                truncations++;
                /* V(final observation) with the state of the step that truncated: 7 */
                ck_assert_float_eq(tr->ro.truncated[r], boot ? 1.0f : 0.0f);
                ck_assert_float_eq(tr->ro.bootstrap[r], boot ? 7.0f : 0.0f);
            } else {
                ck_assert_float_eq(tr->ro.bootstrap[r], 0.0f);
            }
            if (tr->ro.terminated[r] != 0.0f || tr->ro.truncated[r] != 0.0f)
                s[i] = 0.0f;
        }
    }
    ck_assert_int_gt(truncations, 0);
    /* V after the rollout uses the live states */
    for (uint32_t i = 0; i < tr->N; i++)
        ck_assert_float_eq(tr->ro.last_values[i], s[i]);
    ppo_test_trainer_close(&f);

    /* and such a run trains */
    ppo_test_trainer_open(&f, rec, modes[_i]);
    ppo_metrics_row_t row;
    for (int k = 0; k < 2; k++)
        ppo_test_trainer_iterate(&f, &row);
    ck_assert(isfinite(row.value_loss) && isfinite(row.approx_kl) && row.episodes > 0);
    ppo_test_trainer_close(&f);
}
END_TEST

/* ---- normalization ---- */

/* Running moments as Gymnasium's and SB3's RunningMeanStd keep them, one sample at a time. */
typedef struct {
    double count, mean[4], var[4];
} moments_t;

static void moments_init(moments_t *m)
{
    m->count = 1e-4;
    for (int k = 0; k < 4; k++) {
        m->mean[k] = 0.0;
        m->var[k] = 1.0;
    }
}

static void moments_add(moments_t *m, const double *x, int dim)
{
    const double tot = m->count + 1.0;
    for (int k = 0; k < dim; k++) {
        const double delta = x[k] - m->mean[k];
        const double m2 = m->var[k] * m->count + delta * delta * m->count / tot;
        m->mean[k] += delta / tot;
        m->var[k] = m2 / tot;
    }
    m->count = tot;
}

START_TEST(test_gymnasium_normalization_counts_final_observations_per_env_and_keeps_returns)
{
    const char *gym[] = {"normalize.obs=true", "normalize.reward=true", "normalize.mode=gymnasium",
                         NULL};
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, cartpole7, gym);
    ppo_trainer_t *tr = tr_of(&f);
    GError *error = NULL;
    ck_assert(ppo_collect_rollout(tr, &error));

    /* env 0 replayed by hand: a second instance on the same reset/step stream, stepped with the
     * rollout's actions, auto-reset as the core does */
    const ppo_plugin_t *envp = tr->session->env;
    void *env = envp->vt.env.create(&envp->host, tr->session->env_params);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, tr->pl->seed, "env", 0);
    float o[4];
    double x[4];
    ck_assert_int_eq(envp->vt.env.reset(env, &rng, o), 0);
    moments_t obs, ret;
    moments_init(&obs);
    moments_init(&ret);
    for (int k = 0; k < 4; k++)
        x[k] = o[k];
    moments_add(&obs, x, 4);
    double g = 0.0;
    uint32_t len = 0, ended = 0;
    for (uint32_t t = 0; t < tr->T; t++) {
        const float a = tr->ro.actions[(size_t)t * tr->N];
        double reward;
        int term;
        ck_assert_int_eq(envp->vt.env.step(env, &a, &rng, o, &reward, &term), 0);
        len++;
        const bool trunc = !term && len >= 7;
        /* the step's observation is counted, the final one of an episode too */
        for (int k = 0; k < 4; k++)
            x[k] = o[k];
        moments_add(&obs, x, 4);
        if (term || trunc) {
            ended++;
            len = 0;
            ck_assert_int_eq(envp->vt.env.reset(env, &rng, o), 0);
            for (int k = 0; k < 4; k++)
                x[k] = o[k];
            moments_add(&obs, x, 4);
        }
        /* Gymnasium's NormalizeReward: G = gamma G (1 - terminated) + r, truncation keeps G */
        g = g * 0.99 * (term ? 0.0 : 1.0) + reward;
        moments_add(&ret, &g, 1);
        double scaled = reward / sqrt(ret.var[0] + 1e-8);
        scaled = scaled > 10.0 ? 10.0 : scaled < -10.0 ? -10.0 : scaled;
        ck_assert_float_eq_tol(tr->ro.rewards[(size_t)t * tr->N], (float)scaled, 1e-5f);
        /* the row the policy sees next: the reset observation, normalized with env 0's
         * statistics after counting it */
        for (int k = 0; k < 4; k++) {
            double v = (o[k] - obs.mean[k]) / sqrt(obs.var[k] + 1e-8);
            v = v > 10.0 ? 10.0 : v < -10.0 ? -10.0 : v;
            ck_assert_float_eq_tol(tr->ro.obs[((size_t)(t + 1) * tr->N) * tr->D + k], (float)v,
                                   1e-5f);
        }
    }
    ck_assert_uint_gt(ended, 1);
    /* env 0's statistics are its own: one reset, T steps and each ended episode's reset */
    const ppo_rms_t *s0 = &tr->env_obs_rms[0];
    ck_assert_double_eq_tol(s0->count, 1e-4 + 1 + tr->T + ended, 1e-9);
    for (int k = 0; k < 4; k++) {
        ck_assert_double_eq_tol(s0->mean[k], obs.mean[k], 1e-9);
        ck_assert_double_eq_tol(s0->var[k], obs.var[k], 1e-9);
    }
    ck_assert_double_eq_tol(tr->env_ret_rms[0].var[0], ret.var[0], 1e-9);
    ck_assert(tr->env_obs_rms[1].count != s0->count || tr->env_obs_rms[1].mean[0] != s0->mean[0]);
    envp->vt.env.destroy(env);
    ppo_test_trainer_close(&f);

    /* VecNormalize's statistics, by contrast, are shared and count the rows the policy sees:
     * the first observations and every step's (the reset one after an episode end) */
    const char *vec[] = {"normalize.obs=true", NULL};
    ppo_test_trainer_open(&f, cartpole7, vec);
    tr = tr_of(&f);
    ck_assert(ppo_collect_rollout(tr, &error));
    ck_assert_ptr_null(tr->env_obs_rms);
    ck_assert_double_eq_tol(tr->obs_rms.count, 1e-4 + (double)tr->N * (1 + tr->T), 1e-9);
    ppo_test_trainer_close(&f);
}
END_TEST

/* ---- the value loss and the update's statistics ---- */

START_TEST(test_sb3_mse_value_loss_with_vf_coef_c_trains_as_half_mse_with_2c)
{
    const char *mse[] = {"ppo.value_loss=mse", "ppo.vf_coef=0.4", NULL};
    const char *half2[] = {"ppo.value_loss=half_mse", "ppo.vf_coef=0.8", NULL};
    const char *half[] = {"ppo.vf_coef=0.4", NULL};
    ppo_test_trainer_t a, b, c;
    ppo_test_trainer_open(&a, cartpole7, mse);
    ppo_test_trainer_open(&b, cartpole7, half2);
    ppo_test_trainer_open(&c, cartpole7, half);
    ppo_metrics_row_t ra, rb, rc;
    for (int i = 0; i < 3; i++) {
        ppo_test_trainer_iterate(&a, &ra);
        ppo_test_trainer_iterate(&b, &rb);
        ppo_test_trainer_iterate(&c, &rc);
        ck_assert_msg(memcmp(&ra, &rb, sizeof(ra)) == 0, "iteration %d differs", i + 1);
    }
    const ppo_model_t *ma = ppo_trainer_model(a.trainer), *mb = ppo_trainer_model(b.trainer);
    const ppo_model_t *mc = ppo_trainer_model(c.trainer);
    ck_assert_mem_eq(ma->params, mb->params, ma->n_params * sizeof(float));
    ck_assert(memcmp(ma->params, mc->params, ma->n_params * sizeof(float)) != 0);
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
    ppo_test_trainer_close(&c);
}
END_TEST

/* Policy outputs for the rollout of tr under `params`: logp, entropy and value per sample. */
static void evaluate_rollout(ppo_trainer_t *tr, const float *params, const float *obs0,
                             double *logp, double *ent, double *value)
{
    GError *error = NULL;
    const ppo_plugin_t *pp = tr->model->plugin;
    const ppo_policy_vtable_t *vt = &pp->vt.policy;
    ppo_model_t *m = ppo_model_new(pp, tr->session->policy_params, &tr->obs_space,
                                   &tr->act_space, tr->N, 0, &error);
    ck_assert(m != NULL);
    memcpy(m->params, params, m->n_params * sizeof(float));
    const uint32_t N = tr->N, D = tr->D;
    void *ws = vt->ws_create(m->inst, N);
    float lp[8], en[8], v[8];
    for (uint32_t t = 0; t < tr->T; t++) {
        const float *obs = t == 0 ? obs0 : tr->ro.obs + (size_t)t * N * D;
        const size_t r = (size_t)t * N;
        ck_assert_int_eq(vt->evaluate(m->inst, ws, N, obs, tr->ro.actions + r * tr->A, NULL, lp,
                                      en, NULL, v),
                         0);
        for (uint32_t i = 0; i < N; i++) {
            logp[r + i] = lp[i];
            ent[r + i] = en[i];
            value[r + i] = v[i];
        }
    }
    vt->ws_destroy(m->inst, ws);
    ppo_model_free(m);
}

START_TEST(test_update_statistics_mean_what_sb3s_of_the_same_name_mean)
{
    /* two epochs of one minibatch: the second epoch sees the parameters after the first, which
     * a run of one epoch (same seed, same shuffle) ends with */
    const char *two[] = {"ppo.epochs=2", "ppo.vf_coef=0.5", "ppo.ent_coef=0.01", NULL};
    const char *one[] = {"ppo.epochs=1", "ppo.vf_coef=0.5", "ppo.ent_coef=0.01", NULL};
    ppo_test_trainer_t a, b;
    ppo_test_trainer_open(&a, cartpole7, two);
    ppo_test_trainer_open(&b, cartpole7, one);
    ppo_trainer_t *ta = tr_of(&a), *tb = tr_of(&b);
    const size_t np = ta->model->n_params, B = (size_t)ta->T * ta->N;
    float *p0 = g_memdup2(ta->model->params, np * sizeof(float));
    float *obs0 = g_memdup2(ta->ro.obs, (size_t)ta->N * ta->D * sizeof(float));
    ppo_metrics_row_t ra, rb;
    ppo_test_trainer_iterate(&a, &ra);
    ppo_test_trainer_iterate(&b, &rb);
    double *lp1 = g_new(double, B), *ent1 = g_new(double, B), *v1 = g_new(double, B);
    double *lp0 = g_new(double, B), *ent0 = g_new(double, B), *v0 = g_new(double, B);
    evaluate_rollout(ta, p0, obs0, lp0, ent0, v0);
    evaluate_rollout(ta, tb->model->params, obs0, lp1, ent1, v1);

    /* advantages normalized over the minibatch (the whole batch) */
    double am = 0.0, av = 0.0;
    for (size_t k = 0; k < B; k++)
        am += ta->ro.advantages[k];
    am /= (double)B;
    for (size_t k = 0; k < B; k++)
        av += (ta->ro.advantages[k] - am) * (ta->ro.advantages[k] - am);
    const double as = sqrt(av / (double)(B - 1)) + 1e-8;
    double kl = 0.0, pg = 0.0, h = 0.0, mse0 = 0.0, mse1 = 0.0;
    for (size_t k = 0; k < B; k++) {
        const double lr = lp1[k] - ta->ro.logp[k], r = exp(lr);
        const double adv = (ta->ro.advantages[k] - am) / as;
        const double rc = r < 0.8 ? 0.8 : r > 1.2 ? 1.2 : r;
        kl += (r - 1.0) - lr;
        pg += -fmin(adv * r, adv * rc);
        h += ent1[k];
        mse0 += (v0[k] - ta->ro.returns[k]) * (v0[k] - ta->ro.returns[k]);
        mse1 += (v1[k] - ta->ro.returns[k]) * (v1[k] - ta->ro.returns[k]);
    }
    kl /= (double)B;
    pg /= (double)B;
    h /= (double)B;
    mse0 /= (double)B;
    mse1 /= (double)B;
    /* approx_kl: the mean over the last epoch's minibatches (not over every epoch's) */
    ck_assert_double_gt(kl, 1e-7);
    ck_assert_msg(fabs(ra.approx_kl - kl) <= 1e-3 * kl, "approx_kl %.9g, last epoch's %.9g",
                  ra.approx_kl, kl);
    /* value_loss: F.mse_loss averaged over every minibatch, without the 1/2 */
    const double vl = 0.5 * (mse0 + mse1);
    ck_assert_msg(fabs(ra.value_loss - vl) <= 1e-4 * vl, "value_loss %.9g, SB3's %.9g",
                  ra.value_loss, vl);
    /* loss: the last minibatch's, pg + vf_coef k mse - ent_coef H with k = 1/2 (half_mse) */
    const double loss = pg + 0.5 * 0.5 * mse1 - 0.01 * h;
    ck_assert_msg(fabs(ra.loss - loss) <= 1e-4 * fabs(loss) + 1e-6, "loss %.9g, last %.9g",
                  ra.loss, loss);
    /* n_updates counts epochs, over every iteration; the optimizer steps have their own name */
    ck_assert_uint_eq(ra.n_updates, 2);
    ck_assert_uint_eq(rb.n_updates, 1);
    ppo_test_trainer_iterate(&a, &ra);
    ppo_test_trainer_iterate(&a, &ra);
    ck_assert_uint_eq(ra.n_updates, 3 * 2);
    ck_assert_uint_eq(ra.optimizer_steps, 3 * 2 * 1);
    g_free(lp0);
    g_free(ent0);
    g_free(v0);
    g_free(lp1);
    g_free(ent1);
    g_free(v1);
    g_free(p0);
    g_free(obs0);
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
}
END_TEST

/* ---- iteration count ---- */

START_TEST(test_round_iterations_down_runs_at_most_total_steps_as_cleanrl_does)
{
    const char *up[] = {"ppo.total_steps=1000", "env.num_envs=1", "ppo.rollout_steps=64", NULL};
    const char *down[] = {"ppo.total_steps=1000", "env.num_envs=1", "ppo.rollout_steps=64",
                          "ppo.round_iterations=down", NULL};
    const char *const *cases[] = {up, down};
    const uint64_t want[] = {1024, 960}; /* 16 and 15 iterations of 64 steps */
    for (int k = 0; k < 2; k++) {
        ppo_test_trainer_t f;
        ppo_test_trainer_open(&f, cartpole7, cases[k]);
        ppo_metrics_row_t row;
        while (!ppo_trainer_done(f.trainer))
            ppo_test_trainer_iterate(&f, &row);
        ck_assert_uint_eq(row.global_step, want[k]);
        ppo_test_trainer_close(&f);
    }
    /* fewer steps than one iteration, rounded down: no run at all, said so */
    const char *none[] = {"ppo.total_steps=50", "env.num_envs=1", "ppo.rollout_steps=64",
                          "ppo.round_iterations=down", NULL};
    GError *error = NULL;
    ppo_test_trainer_t f;
    f.search = ppo_search_new(NULL);
    f.pipeline = ppo_pipeline_parse("t.yaml", ".", cartpole7, strlen(cartpole7), none, &error);
    f.session = ppo_session_open(f.pipeline, f.search, &error);
    ck_assert_ptr_null(ppo_trainer_new(f.session, &error));
    ck_assert_int_eq(error->code, PPO_ERROR_PIPELINE);
    ck_assert_msg(strstr(error->message, "ppo.total_steps") != NULL &&
                      strstr(error->message, "round_iterations") != NULL,
                  "%s", error->message);
    g_clear_error(&error);
    f.trainer = NULL;
    ppo_test_trainer_close(&f);
}
END_TEST

/* ---- the episode log ---- */

typedef struct {
    GArray *episodes;
} episode_log_t;

static bool collect_episode(void *ctx, const ppo_episode_t *ep, GError **error)
{
    g_array_append_val(((episode_log_t *)ctx)->episodes, *ep);
    (void)error;
    return true;
}

START_TEST(test_every_finished_episode_reaches_the_episode_log_once_in_order)
{
    /* a 25-step limit: both terminations and truncations */
    const char *ov[] = {"env.max_episode_steps=25", NULL};
    ppo_test_trainer_t f;
    ppo_test_trainer_open(&f, cartpole7, ov);
    episode_log_t log = {g_array_new(FALSE, FALSE, sizeof(ppo_episode_t))};
    f.trainer->on_episode = collect_episode;
    f.trainer->on_episode_ctx = &log;
    ppo_metrics_row_t row;
    for (int i = 0; i < 12; i++)
        ppo_test_trainer_iterate(&f, &row);
    ck_assert_uint_eq(log.episodes->len, row.episodes);
    /* the last 100 are the episode window: their mean is ep_return_mean */
    const guint from = log.episodes->len > 100 ? log.episodes->len - 100 : 0;
    double sum = 0.0;
    int trunc = 0, term = 0;
    for (guint k = 0; k < log.episodes->len; k++) {
        const ppo_episode_t *ep = &g_array_index(log.episodes, ppo_episode_t, k);
        if (k >= from)
            sum += ep->ret;
        ck_assert(ep->terminated != ep->truncated);
        ck_assert(ep->truncated == (ep->length == 25));
        ck_assert_uint_lt(ep->env, f.trainer->N);
        ck_assert(ep->global_step % f.trainer->N == 0 && ep->global_step <= row.global_step);
        if (k > 0) {
            const ppo_episode_t *prev = &g_array_index(log.episodes, ppo_episode_t, k - 1);
            ck_assert(prev->global_step < ep->global_step ||
                      (prev->global_step == ep->global_step && prev->env < ep->env));
        }
        trunc += ep->truncated;
        term += ep->terminated;
        /* CartPole pays 1 per step */
        ck_assert_double_eq(ep->ret, (double)ep->length);
    }
    ck_assert_int_gt(trunc, 0);
    ck_assert_int_gt(term, 0);
    ck_assert_double_eq_tol(sum / (log.episodes->len - from), row.ep_return_mean, 1e-9);
    g_array_free(log.episodes, TRUE);
    ppo_test_trainer_close(&f);
}
END_TEST

/* ---- checkpoints ---- */

static char *write_ckpt(ppo_test_trainer_t *f, const char *dir)
{
    char *path = g_build_filename(dir, "c.ckpt", NULL);
    GError *error = NULL;
    ppo_ckpt_files_t files = {0};
    ck_assert_msg(ppo_checkpoint_write(f->trainer, &files, path, &error), "%s",
                  error != NULL ? error->message : "");
    return path;
}

static void restore(ppo_test_trainer_t *f, const char *path)
{
    GError *error = NULL;
    ppo_ckpt_t *c = ppo_checkpoint_read(path, &error);
    ck_assert_msg(c != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_msg(ppo_checkpoint_restore(f->trainer, c, NULL, &error), "%s",
                  error != NULL ? error->message : "");
    ppo_checkpoint_free(c);
}

/* Open `a` from `text` and run two iterations, checkpoint it, and open `b` from the same text
 * restored from that checkpoint. */
static void run_then_resume(ppo_test_trainer_t *a, ppo_test_trainer_t *b, const char *text,
                            const char *const *overrides)
{
    char *dir = ppo_test_tmpdir();
    ppo_test_trainer_open(a, text, overrides);
    ppo_metrics_row_t row;
    ppo_test_trainer_iterate(a, &row);
    ppo_test_trainer_iterate(a, &row);
    char *path = write_ckpt(a, dir);
    ppo_test_trainer_open(b, text, overrides);
    restore(b, path);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
}

static void assert_same_rms(const ppo_rms_t *a, const ppo_rms_t *b)
{
    ck_assert_uint_eq(a->dim, b->dim);
    ck_assert_msg(a->count == b->count, "count %.17g, restored %.17g", a->count, b->count);
    ck_assert_mem_eq(a->mean, b->mean, a->dim * sizeof(double));
    ck_assert_mem_eq(a->var, b->var, a->dim * sizeof(double));
}

START_TEST(test_resuming_an_env_without_state_counts_no_observation_twice)
{
    /* fx_env has no get_state: on resume its episodes restart from a reset, and those reset
     * observations are new to the run but must not enter the restored statistics */
    static const char walk[] = "name: w\n"
                               "seed: 2\n"
                               "env: { plugin: fx_env, num_envs: 3 }\n"
                               "policy: { plugin: mlp, params: { pi_hidden: [8], vf_hidden: [8] } }\n"
                               "advantage: { plugin: gae }\n"
                               "optimizer: { plugin: adam }\n"
                               "ppo: { total_steps: 10000, rollout_steps: 16, epochs: 1,\n"
                               "       minibatches: 1 }\n"
                               "normalize: { obs: true }\n";
    const char *modes[] = {"normalize.mode=vecnormalize", "normalize.mode=gymnasium"};
    const char *ov[] = {modes[_i], NULL};
    ppo_test_trainer_t a, b;
    run_then_resume(&a, &b, walk, ov);
    assert_same_rms(&a.trainer->obs_rms, &b.trainer->obs_rms);
    for (uint32_t i = 0; a.trainer->env_obs_rms != NULL && i < a.trainer->N; i++)
        assert_same_rms(&a.trainer->env_obs_rms[i], &b.trainer->env_obs_rms[i]);
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
}
END_TEST

START_TEST(test_gymnasium_normalization_resumes_exactly)
{
    static const char pend[] = "name: p\n"
                               "seed: 1\n"
                               "env: { plugin: pendulum, num_envs: 2 }\n"
                               "policy: { plugin: mlp, params: { pi_hidden: [16], vf_hidden: [16] } }\n"
                               "advantage: { plugin: gae, params: { gamma: 0.9 } }\n"
                               "optimizer: { plugin: adam, params: { lr: 1.0e-3 } }\n"
                               "ppo: { total_steps: 100000, rollout_steps: 128, epochs: 2,\n"
                               "       minibatches: 4, bootstrap_truncation: false }\n"
                               "normalize: { obs: true, reward: true, mode: gymnasium }\n";
    ppo_test_trainer_t a, b;
    run_then_resume(&a, &b, pend, NULL);
    ppo_metrics_row_t ra, rb;
    for (int i = 0; i < 3; i++) {
        ppo_test_trainer_iterate(&a, &ra);
        ppo_test_trainer_iterate(&b, &rb);
        ck_assert_msg(memcmp(&ra, &rb, sizeof(ra)) == 0, "iteration %d after restore differs",
                      i + 1);
    }
    for (uint32_t i = 0; i < a.trainer->N; i++) {
        assert_same_rms(&a.trainer->env_obs_rms[i], &b.trainer->env_obs_rms[i]);
        assert_same_rms(&a.trainer->env_ret_rms[i], &b.trainer->env_ret_rms[i]);
    }
    ck_assert_mem_eq(a.trainer->model->params, b.trainer->model->params,
                     a.trainer->model->n_params * sizeof(float));
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
}
END_TEST

/* Rewrite a checkpoint file with its PIPE section's text passed through `edit`, as a ppofw
 * that did not know some keys would have written it (the CRC made again). */
static void rewrite_pipe(const char *path, char *(*edit)(const char *))
{
    char *data;
    gsize len;
    ck_assert(g_file_get_contents(path, &data, &len, NULL));
    GByteArray *out = g_byte_array_new();
    g_byte_array_append(out, (const guint8 *)data, 24);
    gsize at = 24;
    while (at < len - 4) {
        uint64_t n;
        memcpy(&n, data + at + 4, 8);
        if (memcmp(data + at, "PIPE", 4) == 0) {
            char *text = g_strndup(data + at + 12, n);
            char *now = edit(text);
            const uint64_t m = strlen(now);
            g_byte_array_append(out, (const guint8 *)"PIPE", 4);
            g_byte_array_append(out, (const guint8 *)&m, 8);
            g_byte_array_append(out, (const guint8 *)now, (guint)m);
            g_free(text);
            g_free(now);
        } else {
            g_byte_array_append(out, (const guint8 *)data + at, (guint)(12 + n));
        }
        at += 12 + n;
    }
    const uint32_t crc = ppo_crc32c_update(0, out->data, out->len);
    g_byte_array_append(out, (const guint8 *)&crc, 4);
    ck_assert(g_file_set_contents(path, (const char *)out->data, out->len, NULL));
    g_byte_array_free(out, TRUE);
    g_free(data);
}

/* the pipeline keys this change added, as an older ppofw wrote nothing of them */
static char *drop_new_keys(const char *text)
{
    static const char *const keys[] = {"  value_loss:", "  bootstrap_truncation:",
                                       "  round_iterations:", "  mode:", NULL};
    char **lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    for (char **l = lines; *l != NULL; l++) {
        bool skip = false;
        for (const char *const *k = keys; *k != NULL; k++)
            skip = skip || g_str_has_prefix(*l, *k);
        if (!skip)
            g_string_append_printf(out, "%s%s", *l, l[1] != NULL ? "\n" : "");
    }
    g_strfreev(lines);
    return g_string_free(out, FALSE);
}

START_TEST(test_a_checkpoint_from_before_new_keys_resumes_when_they_keep_their_defaults)
{
    char *dir = ppo_test_tmpdir();
    ppo_test_trainer_t a, b, c;
    ppo_test_trainer_open(&a, cartpole7, NULL);
    char *path = write_ckpt(&a, dir);
    rewrite_pipe(path, drop_new_keys);
    ppo_test_trainer_open(&b, cartpole7, NULL);
    restore(&b, path);
    /* a new key set away from its default changes the run: refused, named */
    const char *mse[] = {"ppo.value_loss=mse", NULL};
    ppo_test_trainer_open(&c, cartpole7, mse);
    GError *error = NULL;
    ppo_ckpt_t *ck = ppo_checkpoint_read(path, &error);
    ck_assert(ck != NULL);
    ck_assert(!ppo_checkpoint_restore(c.trainer, ck, NULL, &error));
    ck_assert_msg(strstr(error->message, "value_loss") != NULL, "%s", error->message);
    g_clear_error(&error);
    ppo_checkpoint_free(ck);
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
    ppo_test_trainer_close(&c);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ppo_semantics");
    TCase *tc = tcase_create("semantics");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_gsde_every_logprob_is_that_of_the_distribution_actually_sampled,
                        0, 2);
    tcase_add_test(tc, test_gsde_noise_is_drawn_at_rollout_starts_and_not_at_episode_starts);
    tcase_add_test(tc, test_policy_built_for_abi_1_1_keeps_drawing_noise_at_episode_starts);
    tcase_add_test(tc, test_without_bootstrap_truncation_a_time_limit_end_is_a_termination);
    tcase_add_loop_test(tc, test_recurrent_truncation_bootstraps_with_the_state_before_the_reset,
                        0, 3);
    tcase_add_test(tc,
                   test_gymnasium_normalization_counts_final_observations_per_env_and_keeps_returns);
    tcase_add_test(tc, test_sb3_mse_value_loss_with_vf_coef_c_trains_as_half_mse_with_2c);
    tcase_add_test(tc, test_update_statistics_mean_what_sb3s_of_the_same_name_mean);
    tcase_add_test(tc, test_round_iterations_down_runs_at_most_total_steps_as_cleanrl_does);
    tcase_add_test(tc, test_every_finished_episode_reaches_the_episode_log_once_in_order);
    tcase_add_loop_test(tc, test_resuming_an_env_without_state_counts_no_observation_twice, 0, 2);
    tcase_add_test(tc, test_gymnasium_normalization_resumes_exactly);
    tcase_add_test(tc, test_a_checkpoint_from_before_new_keys_resumes_when_they_keep_their_defaults);
    suite_add_tcase(s, tc);
    return ppo_test_run(s);
}
