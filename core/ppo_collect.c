/* ppofw core — collecting a rollout: act, step, time limit, auto-reset, normalization,
 * truncation bootstrap, episode statistics.
 *
 * Worker tasks touch only their chunk's envs and rows; everything that combines envs (episode
 * window, normalizer statistics) runs afterwards on the main thread in env order, so results do
 * not depend on the number of threads. Allocates nothing.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_collect_private.h"
#include "ppo_guard_private.h"

/* What a collection task reports back. */
typedef struct {
    ppo_trainer_t *tr;
    uint32_t t;              /* the step being collected */
    int *status;             /* (n_env_chunks) 0 ok, PPO_ERROR_PLUGIN or PPO_ERROR_NUMERIC */
    char **message;          /* (n_env_chunks) the failure (transfer full) */
} collect_ctx_t;

static inline float clampf(float v, double lo, double hi)
{
    return v < lo ? (float)lo : v > hi ? (float)hi : v;
}

static bool all_finite(const float *x, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

static char *plugin_failure(const ppo_plugin_t *p, const char *callback, uint32_t env, int rc)
{
    GError *e = ppo_plugin_error(p, callback, rc);
    char *msg = g_strdup_printf("%s (env %u)", e->message, env);
    g_error_free(e);
    return msg;
}

/* Where env i writes the observation of vector step t + 1 (the rollout's row, or the staging row
 * of uint8 envs whose rows are stored normalized). */
static void *env_row(const ppo_trainer_t *tr, uint32_t t, uint32_t i)
{
    if (tr->stage != NULL)
        return tr->stage + (size_t)i * tr->env_rb;
    return ppo_trainer_obs_row(tr, (size_t)t * tr->N + i);
}

/* A float observation row has no NaN or Inf (a uint8 row always is finite). */
static bool row_finite(const ppo_trainer_t *tr, const void *row)
{
    return tr->obs_dtype == PPO_DTYPE_UINT8 || all_finite(row, tr->D);
}

/* Redraw env i's exploration noise (gSDE) from its sampler stream; on failure fills *msg. */
static int reset_noise(ppo_trainer_t *tr, uint32_t i, char **msg)
{
    const ppo_plugin_t *pp = tr->model->plugin;
    ppo_plugin_enter(pp, "reset_noise");
    const int rc = pp->vt.policy.reset_noise(tr->model->inst, i, &tr->slots[i].act_rng);
    ppo_plugin_leave();
    if (rc != 0) {
        *msg = plugin_failure(pp, "reset_noise", i, rc);
        return PPO_ERROR_PLUGIN;
    }
    return 0;
}

/* Env i's recurrent state back to the state an episode starts from. */
static int reset_state(ppo_trainer_t *tr, uint32_t i, char **msg)
{
    float *st = tr->rstate + (size_t)i * tr->S;
    const ppo_recurrent_vtable_t *rec = tr->model->rec;
    tr->slots[i].ep_start = 1;
    if (rec->initial_state == NULL) {
        memset(st, 0, (size_t)tr->S * sizeof(float));
        return 0;
    }
    const ppo_plugin_t *pp = tr->model->plugin;
    ppo_plugin_enter(pp, "initial_state");
    const int rc = rec->initial_state(tr->model->inst, st);
    ppo_plugin_leave();
    if (rc != 0) {
        *msg = plugin_failure(pp, "initial_state", i, rc);
        return PPO_ERROR_PLUGIN;
    }
    return 0;
}

/* Reset env i into `obs_out` (through worker's guarded row; its recurrent state too); on failure
 * fills *msg. */
static int reset_env(ppo_trainer_t *tr, uint32_t i, uint32_t worker, void *obs_out, char **msg)
{
    const ppo_plugin_t *envp = tr->session->env;
    ppo_env_slot_t *slot = &tr->slots[i];
    int rc = ppo_env_call_reset(envp, slot->inst, &slot->env_rng, obs_out, tr->env_rb,
                                ppo_trainer_env_row(tr, worker));
    if (rc != 0) {
        *msg = plugin_failure(envp, "reset", i, rc);
        return PPO_ERROR_PLUGIN;
    }
    if (!row_finite(tr, obs_out)) {
        *msg = g_strdup_printf("plugin \"%s\" (%s): reset wrote a NaN or Inf observation "
                               "(env %u, global step %" G_GUINT64_FORMAT "); fix the env",
                               envp->name, envp->path, i, tr->global_step);
        return PPO_ERROR_NUMERIC;
    }
    slot->ep_len = 0;
    slot->ep_return = 0.0;
    if (tr->S > 0 && (rc = reset_state(tr, i, msg)) != 0)
        return rc;
    return tr->noise_per_episode ? reset_noise(tr, i, msg) : 0;
}

/* One collection chunk: act for its envs, then step them. */
static void collect_task(void *vctx, uint32_t c, uint32_t worker)
{
    collect_ctx_t *ctx = vctx;
    ppo_trainer_t *tr = ctx->tr;
    const uint32_t N = tr->N, A = tr->A, P = tr->P, S = tr->S, t = ctx->t;
    const uint32_t i0 = c * PPO_COLLECT_CHUNK, i1 = MIN(N, i0 + PPO_COLLECT_CHUNK);
    const uint32_t B = i1 - i0;
    const size_t row = (size_t)t * N + i0;
    const ppo_plugin_t *pp = tr->model->plugin;
    const ppo_plugin_t *envp = tr->session->env;
    ppo_rng_t *rngs[PPO_COLLECT_CHUNK];
    uint32_t env_index[PPO_COLLECT_CHUNK];
    for (uint32_t k = 0; k < B; k++) {
        rngs[k] = &tr->slots[i0 + k].act_rng;
        env_index[k] = i0 + k;
    }
    const float *obs = ppo_trainer_rows_as_float(
        tr, ppo_trainer_obs_row(tr, row), B,
        tr->chunk_obs != NULL ? tr->chunk_obs + (size_t)c * PPO_COLLECT_CHUNK * tr->D : NULL);

    /* act on the chunk's rows; a recurrent policy with its envs' states, which are stored at the
     * first step of each training sequence */
    int rc;
    ppo_plugin_enter(pp, "act");
    if (S > 0) {
        float *state = tr->rstate + (size_t)i0 * S;
        if (t % tr->L == 0)
            memcpy(tr->ro.seq_state + ((size_t)(t / tr->L) * N + i0) * S, state,
                   (size_t)B * S * sizeof(float));
        for (uint32_t i = i0; i < i1; i++)
            tr->ro.starts[(size_t)t * N + i] = tr->slots[i].ep_start ? 1.0f : 0.0f;
        rc = tr->model->rec->act(tr->model->inst, tr->collect_ws[c], B, obs, env_index, rngs, 0,
                                 state, tr->ro.actions + row * A, tr->ro.logp + row,
                                 tr->ro.values + row, tr->ro.dist + row * P);
    } else {
        rc = pp->vt.policy.act(tr->model->inst, tr->collect_ws[c], B, obs, env_index, rngs, 0,
                               tr->ro.actions + row * A, tr->ro.logp + row,
                               tr->batched_values ? NULL : tr->ro.values + row,
                               tr->ro.dist + row * P);
    }
    ppo_plugin_leave();
    if (rc != 0) {
        ctx->status[c] = PPO_ERROR_PLUGIN;
        ctx->message[c] = plugin_failure(pp, "act", i0, rc);
        return;
    }

    /* step each env; the time limit and auto-reset are ours */
    for (uint32_t i = i0; i < i1; i++) {
        ppo_env_slot_t *slot = &tr->slots[i];
        const float *a = tr->ro.actions + ((size_t)t * N + i) * A;
        float *env_a = tr->env_actions + (size_t)i * A;
        if (tr->clip_actions) {
            for (uint32_t k = 0; k < A; k++)
                env_a[k] = clampf(a[k], tr->act_space.low[k], tr->act_space.high[k]);
        } else {
            memcpy(env_a, a, (size_t)A * sizeof(float));
        }
        double reward = 0.0;
        int terminated = 0;
        void *obs_i = env_row(tr, t + 1, i);
        /* through this worker's guarded row: an env writing past its row is caught */
        rc = ppo_env_call_step(envp, slot->inst, env_a, &slot->env_rng, obs_i, tr->env_rb,
                               ppo_trainer_env_row(tr, worker), &reward, &terminated);
        if (rc != 0) {
            ctx->status[c] = PPO_ERROR_PLUGIN;
            ctx->message[c] = plugin_failure(envp, "step", i, rc);
            return;
        }
        if (!isfinite(reward) || !row_finite(tr, obs_i)) {
            ctx->status[c] = PPO_ERROR_NUMERIC;
            ctx->message[c] = g_strdup_printf(
                "plugin \"%s\" (%s): step returned a NaN or Inf %s (env %u, global step "
                "%" G_GUINT64_FORMAT ", episode step %u); fix the env or check its params",
                envp->name, envp->path, isfinite(reward) ? "observation" : "reward", i,
                tr->global_step + (uint64_t)t * N * tr->world, slot->ep_len + 1);
            return;
        }
        slot->ep_len++;
        slot->ep_return += reward;
        slot->raw_reward = reward;
        slot->ep_start = 0;
        const bool truncated = !terminated && tr->max_steps > 0 && slot->ep_len >= tr->max_steps;
        const size_t r = (size_t)t * N + i;
        /* without ppo.bootstrap_truncation a time-limit end reaches the advantage estimator as
         * a termination (CleanRL's next_done = terminated or truncated) */
        const bool boot = tr->pl->ppo.bootstrap_truncation;
        tr->ro.terminated[r] = terminated || (truncated && !boot) ? 1.0f : 0.0f;
        tr->ro.truncated[r] = truncated && boot ? 1.0f : 0.0f;
        slot->finished = terminated || truncated;
        slot->truncated = truncated;
        if (slot->finished) {
            slot->fin_return = slot->ep_return;
            slot->fin_len = slot->ep_len;
            /* the final observation: for the bootstrap, and counted by per-env statistics */
            memcpy((char *)tr->final_obs + (size_t)i * tr->env_rb, obs_i, tr->env_rb);
            /* V(final observation) is taken with the state the policy had at this step */
            if (truncated && S > 0)
                memcpy(tr->final_state + (size_t)i * S, tr->rstate + (size_t)i * S,
                       (size_t)S * sizeof(float));
            int err = reset_env(tr, i, worker, obs_i, &ctx->message[c]);
            if (err != 0) {
                ctx->status[c] = err;
                return;
            }
        }
    }
    (void)worker;
}

/* Raise the first failing chunk's error (chunks in order), freeing the messages. */
static bool chunk_errors(collect_ctx_t *ctx, uint32_t n_chunks, GError **error)
{
    bool ok = true;
    for (uint32_t c = 0; c < n_chunks; c++) {
        if (ctx->status[c] != 0 && ok) {
            g_set_error_literal(error, PPO_ERROR, ctx->status[c], ctx->message[c]);
            ok = false;
        }
        g_free(ctx->message[c]);
        ctx->message[c] = NULL;
        ctx->status[c] = 0;
    }
    return ok;
}

static void normalize_rows(ppo_trainer_t *tr, float *rows, uint32_t n)
{
    if (tr->pl->normalize.obs && n > 0)
        ppo_rms_normalize(&tr->obs_rms, rows, n, tr->pl->normalize.epsilon,
                          tr->pl->normalize.clip_obs);
}

/* Share this step's reports and the new observation rows (as the envs wrote them, env_rb bytes
 * each) with every rank: afterwards tr->reports (world N) and `*all_rows` (world N rows) hold
 * every env's, in global env order. With one process they are this process's own (no copy). */
static void exchange(ppo_trainer_t *tr, const void *rows, const void **all_rows)
{
    const uint32_t N = tr->N;
    if (tr->world == 1) {
        *all_rows = rows;
        return;
    }
    const size_t rep_bytes = (size_t)N * sizeof(ppo_env_report_t);
    const size_t row_bytes = (size_t)N * tr->env_rb;
    memcpy(tr->exch_send, tr->reports + (size_t)tr->rank * N, rep_bytes);
    memcpy((char *)tr->exch_send + rep_bytes, rows, row_bytes);
    ppo_comm_allgather(tr->comm, tr->exch_send, tr->exch_recv, tr->exch_size);
    for (uint32_t r = 0; r < tr->world; r++) {
        const char *block = (const char *)tr->exch_recv + (size_t)r * tr->exch_size;
        memcpy(tr->reports + (size_t)r * N, block, rep_bytes);
        memcpy((char *)tr->all_obs + (size_t)r * row_bytes, block + rep_bytes, row_bytes);
    }
    *all_rows = tr->all_obs;
}

/* The new observations of a vector step, written by this rank's envs at `written` (env_rb bytes
 * per row): shared with the other ranks, counted in the shared observation statistics when
 * `count` (every rank's, in global env order, as the envs wrote them), and stored as the policy
 * will read them at `stored` (normalized in place when on). Collective when `count`. */
static void absorb_rows(ppo_trainer_t *tr, const void *written, void *stored, bool count)
{
    const uint32_t N = tr->N, all = N * tr->world;
    const void *all_rows = written;
    if (count)
        exchange(tr, written, &all_rows);
    if (tr->stage != NULL) {
        /* uint8 rows stored as normalized floats: statistics over the [0, 1] values */
        ppo_obs_convert_rows(&tr->obs_cv, written, tr->env_rb, N, stored);
        const float *all_f = stored;
        if (tr->world > 1 && count) {
            ppo_obs_convert_rows(&tr->obs_cv, all_rows, tr->env_rb, all, tr->all_obs_f);
            all_f = tr->all_obs_f;
        }
        if (count)
            ppo_rms_update(&tr->obs_rms, all_f, all, tr->D);
    } else if (tr->pl->normalize.obs && count) {
        ppo_rms_update(&tr->obs_rms, all_rows, all, tr->D);
    }
    if (!tr->store_u8)
        normalize_rows(tr, stored, N);
}

/* Env i's float observation row `row`, counted first when `count` in its own statistics
 * (normalize.mode gymnasium), then normalized in place with them. */
static void normalize_env_row(ppo_trainer_t *tr, uint32_t i, float *row, bool count)
{
    if (count)
        ppo_rms_update(&tr->env_obs_rms[i], row, 1, tr->D);
    ppo_rms_normalize(&tr->env_obs_rms[i], row, 1, tr->pl->normalize.epsilon,
                      tr->pl->normalize.clip_obs);
}

/* A stored float row of the rollout: the rows of a rank's N envs at one step are contiguous. */
static float *stored_floats(void *stored, uint32_t i, uint32_t D)
{
    return (float *)stored + (size_t)i * D;
}

/* The per-env counterpart of absorb_rows (normalize.mode gymnasium, as Gymnasium's
 * NormalizeObservation on each env of a SyncVectorEnv sees them): for every env of this rank, an
 * episode's final observation when `finals` says it ended (counted, and kept normalized in
 * trunc_obs when it is bootstrapped), then the row the policy sees next (counted when `count`,
 * normalized). Returns the number of final observations gathered for the bootstrap. Shares the
 * step's reports with the other ranks when `finals` (collective then). */
static uint32_t absorb_rows_per_env(ppo_trainer_t *tr, const void *written, void *stored,
                                    bool finals, bool count)
{
    const uint32_t N = tr->N, D = tr->D, S = tr->S;
    const bool boot = tr->pl->ppo.bootstrap_truncation;
    if (finals) {
        const void *all_rows;
        exchange(tr, written, &all_rows);
    }
    if (tr->stage != NULL)
        ppo_obs_convert_rows(&tr->obs_cv, written, tr->env_rb, N, stored);
    uint32_t n_trunc = 0;
    for (uint32_t i = 0; i < N; i++) {
        const ppo_env_slot_t *slot = &tr->slots[i];
        if (finals && slot->finished) {
            /* gathered in trunc_obs (the next free row: a scratch row unless bootstrapped) */
            float *f = tr->trunc_obs + (size_t)n_trunc * D;
            const void *fin = (const char *)tr->final_obs + (size_t)i * tr->env_rb;
            if (tr->obs_dtype == PPO_DTYPE_UINT8)
                ppo_obs_convert_rows(&tr->obs_cv, fin, tr->env_rb, 1, f);
            else
                memcpy(f, fin, (size_t)D * sizeof(float));
            if (tr->pl->normalize.obs)
                normalize_env_row(tr, i, f, true);
            if (slot->truncated && boot) {
                if (S > 0)
                    memcpy(tr->trunc_state + (size_t)n_trunc * S, tr->final_state + (size_t)i * S,
                           (size_t)S * sizeof(float));
                tr->trunc_index[n_trunc++] = i;
            }
        }
        if (tr->pl->normalize.obs)
            normalize_env_row(tr, i, stored_floats(stored, i, D), count);
    }
    return n_trunc;
}

bool ppo_collect_reset_all(ppo_trainer_t *tr, bool count, GError **error)
{
    for (uint32_t i = 0; i < tr->N; i++) {
        char *msg = NULL;
        int err = reset_env(tr, i, 0, env_row(tr, 0, i), &msg);
        if (err != 0) {
            g_set_error_literal(error, PPO_ERROR, err, msg);
            g_free(msg);
            return false;
        }
        tr->slots[i].ret_acc = 0.0;
    }
    if (tr->env_obs_rms != NULL) {
        absorb_rows_per_env(tr, env_row(tr, 0, 0), tr->ro.obs, false, count);
        return true;
    }
    /* the statistics count every rank's first observations, in global env order */
    memset(tr->reports + (size_t)tr->rank * tr->N, 0, (size_t)tr->N * sizeof(ppo_env_report_t));
    absorb_rows(tr, env_row(tr, 0, 0), tr->ro.obs, count);
    return true;
}

/* Final observations of this rank's truncated episodes gathered for the bootstrap, as the policy
 * sees them (with the shared statistics of this moment, not counted in them), with the recurrent
 * states they go with. Returns how many. */
static uint32_t gather_truncated(ppo_trainer_t *tr)
{
    const uint32_t N = tr->N, D = tr->D, S = tr->S;
    uint32_t n_trunc = 0;
    for (uint32_t i = 0; tr->pl->ppo.bootstrap_truncation && i < N; i++) {
        if (!tr->slots[i].finished || !tr->slots[i].truncated)
            continue;
        const void *fin = (const char *)tr->final_obs + (size_t)i * tr->env_rb;
        float *dst = tr->trunc_obs + (size_t)n_trunc * D;
        if (tr->obs_dtype == PPO_DTYPE_UINT8)
            ppo_obs_convert_rows(&tr->obs_cv, fin, tr->env_rb, 1, dst);
        else
            memcpy(dst, fin, (size_t)D * sizeof(float));
        if (S > 0)
            memcpy(tr->trunc_state + (size_t)n_trunc * S, tr->final_state + (size_t)i * S,
                   (size_t)S * sizeof(float));
        tr->trunc_index[n_trunc++] = i;
    }
    normalize_rows(tr, tr->trunc_obs, n_trunc);
    return n_trunc;
}

/* The reward the update sees: raw, scaled by the running std of a discounted return, clipped. */
static float scaled_reward(const ppo_trainer_t *tr, const ppo_rms_t *ret_rms, double raw)
{
    const double clip = tr->pl->normalize.clip_reward;
    const double r = raw / sqrt(ret_rms->var[0] + tr->pl->normalize.epsilon);
    return (float)(r < -clip ? -clip : r > clip ? clip : r);
}

/* Main-thread part of step t. Statistics over envs (episode window, normalizers) take every
 * rank's envs in global order, so K ranks of N envs compute what one process of K N envs does.
 * With normalize.mode gymnasium each env has its own statistics, as Gymnasium's wrappers on each
 * env of a vector env keep them. */
static bool finish_step(ppo_trainer_t *tr, uint32_t t, GError **error)
{
    const uint32_t N = tr->N, S = tr->S, all = N * tr->world;
    const bool norm_reward = tr->pl->normalize.reward;
    const bool per_env = tr->env_obs_rms != NULL;

    /* this rank's reports: rewards, running returns, finished episodes */
    ppo_env_report_t *mine = tr->reports + (size_t)tr->rank * N;
    for (uint32_t i = 0; i < N; i++) {
        ppo_env_slot_t *slot = &tr->slots[i];
        if (norm_reward && !per_env)
            slot->ret_acc = slot->ret_acc * tr->norm_gamma + slot->raw_reward;
        mine[i].raw_reward = slot->raw_reward;
        mine[i].ret_acc = slot->ret_acc;
        mine[i].finished = slot->finished;
        mine[i].truncated = slot->truncated;
        mine[i].fin_return = slot->fin_return;
        mine[i].fin_len = slot->fin_len;
    }
    /* observations: shared, counted in the statistics, stored (normalized when on); the final
     * observations of truncated episodes gathered for the bootstrap */
    const void *written = env_row(tr, t + 1, 0);
    void *stored = ppo_trainer_obs_row(tr, (size_t)(t + 1) * N);
    uint32_t n_trunc;
    if (per_env) {
        n_trunc = absorb_rows_per_env(tr, written, stored, true, true);
    } else {
        absorb_rows(tr, written, stored, true);
        n_trunc = gather_truncated(tr);
    }

    /* episode statistics on raw rewards, and the episode log */
    const uint64_t step_end = tr->global_step + (uint64_t)(t + 1) * all;
    for (uint32_t i = 0; i < all; i++) {
        const ppo_env_report_t *rep = &tr->reports[i];
        if (!rep->finished)
            continue;
        tr->win_return[tr->win_next] = rep->fin_return;
        tr->win_len[tr->win_next] = rep->fin_len;
        tr->win_next = (tr->win_next + 1) % PPO_EPISODE_WINDOW;
        if (tr->win_count < PPO_EPISODE_WINDOW)
            tr->win_count++;
        tr->episodes++;
        if (tr->on_episode != NULL) {
            const ppo_episode_t ep = {
                .global_step = step_end,
                .env = i,
                .length = rep->fin_len,
                .ret = rep->fin_return,
                .terminated = !rep->truncated,
                .truncated = rep->truncated != 0,
                .time_s = tr->time_offset +
                          (double)(g_get_monotonic_time() - tr->t_start) / 1e6,
            };
            if (!tr->on_episode(tr->on_episode_ctx, &ep, error))
                return false;
        }
    }

    /* rewards: scale by the std of the discounted return (no mean shift), then clip. Shared
     * (VecNormalize): G = gamma G + r over every env, restarted at every episode end. Per env
     * (Gymnasium's NormalizeReward): G = gamma G (1 - terminated) + r, never restarted by a
     * truncation. */
    float *rewards = tr->ro.rewards + (size_t)t * N;
    if (norm_reward && per_env) {
        for (uint32_t i = 0; i < N; i++) {
            ppo_env_slot_t *slot = &tr->slots[i];
            const bool terminated = slot->finished && !slot->truncated;
            slot->ret_acc = slot->ret_acc * tr->norm_gamma * (terminated ? 0.0 : 1.0) +
                            slot->raw_reward;
            ppo_rms_update_scalar(&tr->env_ret_rms[i], &slot->ret_acc, 1);
            rewards[i] = scaled_reward(tr, &tr->env_ret_rms[i], slot->raw_reward);
        }
    } else if (norm_reward) {
        for (uint32_t i = 0; i < all; i++)
            tr->all_ret[i] = tr->reports[i].ret_acc;
        ppo_rms_update_scalar(&tr->ret_rms, tr->all_ret, all);
        for (uint32_t i = 0; i < N; i++) {
            rewards[i] = scaled_reward(tr, &tr->ret_rms, tr->slots[i].raw_reward);
            if (tr->slots[i].finished)
                tr->slots[i].ret_acc = 0.0;
        }
    } else {
        for (uint32_t i = 0; i < N; i++)
            rewards[i] = (float)tr->slots[i].raw_reward;
    }

    /* truncation: bootstrap from V(final observation) */
    float *boot = tr->ro.bootstrap + (size_t)t * N;
    memset(boot, 0, (size_t)N * sizeof(float));
    if (n_trunc > 0) {
        const ppo_plugin_t *pp = tr->model->plugin;
        ppo_plugin_enter(pp, "value");
        int rc = S > 0 ? tr->model->rec->value(tr->model->inst, tr->main_ws, n_trunc,
                                               tr->trunc_obs, tr->trunc_state, tr->trunc_values)
                       : pp->vt.policy.value(tr->model->inst, tr->main_ws, n_trunc, tr->trunc_obs,
                                             tr->trunc_values);
        ppo_plugin_leave();
        if (rc != 0) {
            *error = ppo_plugin_error(pp, "value", rc);
            return false;
        }
        for (uint32_t k = 0; k < n_trunc; k++)
            boot[tr->trunc_index[k]] = tr->trunc_values[k];
    }
    return true;
}

/* Task k of the batched value pass: PPO_VALUE_ROWS rows of the T N rollout observations into
 * ro.values, then of the N observations after the last step into ro.last_values. The rows of a
 * task are fixed by T and N alone; the workspace is the running thread's. */
static void value_task(void *vctx, uint32_t k, uint32_t worker)
{
    ppo_trainer_t *tr = vctx;
    const uint64_t TN = (uint64_t)tr->T * tr->N;
    const uint32_t per = PPO_VALUE_ROWS, main_tasks = (uint32_t)((TN + per - 1) / per);
    uint64_t first, count;
    float *out;
    if (k < main_tasks) {
        first = (uint64_t)k * per;
        count = MIN((uint64_t)per, TN - first);
        out = tr->ro.values + first;
    } else {
        const uint64_t j = (uint64_t)(k - main_tasks) * per;
        first = TN + j;
        count = MIN((uint64_t)per, tr->N - j);
        out = tr->ro.last_values + j;
    }
    const ppo_plugin_t *pp = tr->model->plugin;
    const float *obs = ppo_trainer_rows_as_float(
        tr, ppo_trainer_obs_row(tr, first), (uint32_t)count,
        tr->value_obs != NULL ? tr->value_obs + (size_t)worker * PPO_VALUE_ROWS * tr->D : NULL);
    ppo_plugin_enter(pp, "value");
    const int rc = pp->vt.policy.value(tr->model->inst, tr->value_ws[worker], (uint32_t)count,
                                       obs, out);
    ppo_plugin_leave();
    tr->value_status[k] = rc;
    if (rc != 0)
        ppo_plugin_error_keep(pp, "value", rc, &tr->value_error[k]);
}

/* V of every observation of the rollout and of the one after it, when act skipped them. */
static bool batched_values(ppo_trainer_t *tr, GError **error)
{
    ppo_pool_run(tr->pool, tr->n_value_tasks, value_task, tr);
    for (uint32_t k = 0; k < tr->n_value_tasks; k++) {
        if (tr->value_status[k] != 0) {
            g_set_error_literal(error, PPO_ERROR, PPO_ERROR_PLUGIN, tr->value_error[k]);
            return false;
        }
    }
    return true;
}

bool ppo_collect_rollout(ppo_trainer_t *tr, GError **error)
{
    const uint32_t N = tr->N;
    collect_ctx_t ctx = {.tr = tr, .status = tr->chunk_status, .message = tr->chunk_message};

    /* gSDE: every env's exploration noise is redrawn at the start of every rollout, with the
     * parameters of this rollout (Stable-Baselines3's collect_rollouts); a policy redraws on its
     * own schedule within the rollout */
    for (uint32_t i = 0; tr->has_reset_noise && !tr->noise_per_episode && i < N; i++) {
        char *msg = NULL;
        const int err = reset_noise(tr, i, &msg);
        if (err != 0) {
            g_set_error_literal(error, PPO_ERROR, err, msg);
            g_free(msg);
            return false;
        }
    }
    for (uint32_t t = 0; t < tr->T; t++) {
        ctx.t = t;
        tr->cur_t = t;
        ppo_pool_run(tr->pool, tr->n_env_chunks, collect_task, &ctx);
        if (!chunk_errors(&ctx, tr->n_env_chunks, error))
            return false;
        if (!finish_step(tr, t, error))
            return false;
    }

    if (tr->batched_values) {
        if (!batched_values(tr, error))
            return false;
    } else {
        /* V of the observation after the last step, for the rollout cut (with the live
         * recurrent states, already reset for envs that just started an episode) */
        const ppo_plugin_t *pp = tr->model->plugin;
        const float *obs = ppo_trainer_rows_as_float(
            tr, ppo_trainer_obs_row(tr, (size_t)tr->T * N), N, tr->trunc_obs);
        ppo_plugin_enter(pp, "value");
        int rc = tr->S > 0 ? tr->model->rec->value(tr->model->inst, tr->main_ws, N, obs,
                                                   tr->rstate, tr->ro.last_values)
                           : pp->vt.policy.value(tr->model->inst, tr->main_ws, N, obs,
                                                 tr->ro.last_values);
        ppo_plugin_leave();
        if (rc != 0) {
            *error = ppo_plugin_error(pp, "value", rc);
            return false;
        }
    }
    tr->global_step += (uint64_t)tr->T * N * tr->world;
    return true;
}
