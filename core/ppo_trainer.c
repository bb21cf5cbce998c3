/* ppofw core — building and tearing down a trainer, and one iteration's bookkeeping.
 *
 * What happens in an iteration lives next door: ppo_collect.c (rollouts), ppo_update.c
 * (estimate and the clipped update). This file allocates everything up front (an iteration
 * allocates nothing), seeds the streams, and turns an iteration's results into a metrics row.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int num_threads);
#endif

#include "ppo_collect_private.h"
#include "ppo_trainer_private.h"

static void *alloc_aligned(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes > 0 ? bytes : 64) != 0)
        return NULL;
    memset(p, 0, bytes > 0 ? bytes : 64);
    return p;
}

static size_t round64(size_t bytes)
{
    return (bytes + 63) & ~(size_t)63;
}

/* Bytes of the rollout of a trainer whose sizes are set. */
static size_t rollout_bytes(const ppo_trainer_t *tr)
{
    const size_t OF = tr->store_rb / sizeof(float);
    size_t bytes = 0;
#define PPO_ROLLOUT_SIZE(name, count) bytes += round64((count) * sizeof(float));
    PPO_ROLLOUT_FIELDS(PPO_ROLLOUT_SIZE, tr->T, tr->N, OF, tr->A, tr->P, tr->K, tr->S)
#undef PPO_ROLLOUT_SIZE
    return bytes;
}

static bool rollout_alloc(ppo_trainer_t *tr)
{
    ppo_rollout_t *ro = &tr->ro;
    const size_t OF = tr->store_rb / sizeof(float);
    ro->bytes = rollout_bytes(tr);
    ro->block = alloc_aligned(ro->bytes);
    if (ro->block == NULL)
        return false;
    char *at = ro->block;
#define PPO_ROLLOUT_POINT(name, count)                                                           \
    ro->name = (float *)(void *)at;                                                              \
    at += round64((count) * sizeof(float));
    PPO_ROLLOUT_FIELDS(PPO_ROLLOUT_POINT, tr->T, tr->N, OF, tr->A, tr->P, tr->K, tr->S)
#undef PPO_ROLLOUT_POINT
    return true;
}

const float *ppo_trainer_rows_as_float(const ppo_trainer_t *tr, const void *rows, uint32_t n,
                                       float *scratch)
{
    if (!tr->store_u8)
        return rows;
    ppo_obs_convert_rows(&tr->obs_cv, rows, tr->store_rb, n, scratch);
    return scratch;
}

static uint64_t physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
}

/* Chunking of a minibatch: at most PPO_GRAD_CHUNKS_MAX chunks of at least `min_rows` samples,
 * fixed by the minibatch size and the policy alone. */
static void plan_grad_chunks(uint32_t mb, uint32_t min_rows, uint32_t *n_chunks, uint32_t *chunk)
{
    uint32_t n = (mb + min_rows - 1) / min_rows;
    if (n > PPO_GRAD_CHUNKS_MAX)
        n = PPO_GRAD_CHUNKS_MAX;
    if (n == 0)
        n = 1;
    *chunk = (mb + n - 1) / n;
    *n_chunks = (mb + *chunk - 1) / *chunk;
}

/* Chunking of a recurrent minibatch of `seqs` sequences of L steps: whole sequences, at most
 * PPO_GRAD_CHUNKS_MAX chunks of at least PPO_GRAD_CHUNK_MIN rows where the minibatch allows. */
static void plan_seq_chunks(uint32_t seqs, uint32_t L, uint32_t *n_chunks, uint32_t *chunk_rows)
{
    const uint64_t rows = (uint64_t)seqs * L;
    uint64_t n = (rows + PPO_GRAD_CHUNK_MIN - 1) / PPO_GRAD_CHUNK_MIN;
    n = MIN(n, (uint64_t)PPO_GRAD_CHUNKS_MAX);
    n = MIN(n, (uint64_t)seqs);
    n = MAX(n, (uint64_t)1);
    const uint32_t per = (uint32_t)((seqs + n - 1) / n);
    *chunk_rows = per * L;
    *n_chunks = (seqs + per - 1) / per;
}

static bool grad_chunk_alloc(ppo_trainer_t *tr, ppo_grad_chunk_t *c, uint32_t G, GError **error)
{
    const size_t np = tr->model->n_params;
    const ppo_policy_vtable_t *vt = &tr->model->plugin->vt.policy;
    for (uint32_t p = 0; p < tr->n_parts; p++) {
        c->ws[p] = vt->ws_create(tr->model->inst, G);
        if (c->ws[p] == NULL) {
            *error = ppo_plugin_error(tr->model->plugin, "ws_create", -1);
            return false;
        }
        c->obs[p] = alloc_aligned((size_t)G * tr->D * sizeof(float));
    }
    if (tr->S > 0) {
        c->starts = alloc_aligned((size_t)G * sizeof(float));
        c->start_state = alloc_aligned((size_t)(G / tr->L) * tr->S * sizeof(float));
        if (c->starts == NULL || c->start_state == NULL) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "out of memory for gradient buffers");
            return false;
        }
    }
    c->grads = alloc_aligned(np * sizeof(float));
    c->actions = alloc_aligned((size_t)G * tr->A * sizeof(float));
    c->old_dist = alloc_aligned((size_t)G * tr->P * sizeof(float));
    float **vecs[] = {&c->old_logp, &c->adv,      &c->ret,  &c->old_value, &c->logp,
                      &c->entropy,  &c->kl,       &c->value, &c->dlogp,    &c->dentropy,
                      &c->dkl,      &c->dvalue};
    for (size_t i = 0; i < G_N_ELEMENTS(vecs); i++)
        *vecs[i] = alloc_aligned((size_t)G * sizeof(float));
    bool ok = c->grads != NULL && c->actions != NULL && c->old_dist != NULL;
    for (uint32_t p = 0; p < tr->n_parts; p++)
        ok = ok && c->obs[p] != NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(vecs); i++)
        ok = ok && *vecs[i] != NULL;
    if (!ok)
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "out of memory for gradient buffers");
    return ok;
}

static void grad_chunk_free(ppo_trainer_t *tr, ppo_grad_chunk_t *c)
{
    for (uint32_t p = 0; p < 2; p++) {
        if (c->ws[p] != NULL) {
            ppo_plugin_enter(tr->model->plugin, "ws_destroy");
            tr->model->plugin->vt.policy.ws_destroy(tr->model->inst, c->ws[p]);
            ppo_plugin_leave();
        }
        free(c->obs[p]);
        g_free(c->error[p]);
    }
    float *bufs[] = {c->grads,   c->actions,   c->old_dist, c->old_logp, c->adv,
                     c->ret,     c->old_value, c->logp,     c->entropy,  c->kl,
                     c->value,   c->dlogp,     c->dentropy, c->dkl,      c->dvalue,
                     c->starts,  c->start_state};
    for (size_t i = 0; i < G_N_ELEMENTS(bufs); i++)
        free(bufs[i]);
}

/* Whether the policy runs as two parts (segment_part, evaluate_part, backward_part), and the
 * float ranges of each part's segments (adjacent segments merged). */
static bool plan_parts(ppo_trainer_t *tr, GError **error)
{
    const ppo_model_t *m = tr->model;
    const ppo_plugin_t *pp = m->plugin;
    tr->n_parts = 1;
    if (pp->vt.policy.segment_part == NULL)
        return true;
    int *part = g_new(int, MAX(m->n_segments, 1u));
    uint32_t count[2] = {0, 0}, none = 0;
    for (uint32_t s = 0; s < m->n_segments; s++) {
        ppo_plugin_enter(pp, "segment_part");
        part[s] = pp->vt.policy.segment_part(m->inst, s);
        ppo_plugin_leave();
        if (part[s] == 0 || part[s] == 1)
            count[part[s]]++;
        else if (part[s] == -1)
            none++;
    }
    if (none < m->n_segments && count[0] + count[1] < m->n_segments) {
        /* the first segment that is not in part 0 or 1: -1 among parts, or no part at all */
        uint32_t s = 0;
        while (part[s] == 0 || part[s] == 1)
            s++;
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: policy plugin \"%s\": segment_part gave %d for segment \"%s\"; it must "
                    "give 0 or 1 for every segment, or -1 for every one when the parts share "
                    "parameters",
                    pp->path, pp->name, part[s], m->segments[s].name);
        g_free(part);
        return false;
    }
    if (none == 0 && count[0] > 0 && count[1] > 0) {
        tr->n_parts = 2;
        for (uint32_t p = 0; p < 2; p++) {
            tr->part_off[p] = g_new(size_t, count[p]);
            tr->part_len[p] = g_new(size_t, count[p]);
            uint32_t n = 0;
            for (uint32_t s = 0; s < m->n_segments; s++) {
                if (part[s] != (int)p)
                    continue;
                const size_t off = m->offsets[s],
                             len = (size_t)m->segments[s].rows * m->segments[s].cols;
                if (n > 0 && tr->part_off[p][n - 1] + tr->part_len[p][n - 1] == off) {
                    tr->part_len[p][n - 1] += len;
                } else {
                    tr->part_off[p][n] = off;
                    tr->part_len[p][n] = len;
                    n++;
                }
            }
            tr->n_part_ranges[p] = n;
        }
    }
    g_free(part);
    return true;
}

/* A recurrent policy's sequences: L steps (ppo.seq_len, default T), K = ceil(T / L) per env per
 * rollout, and ppo.minibatches must divide the N K sequences. */
static bool plan_sequences(ppo_trainer_t *tr, GError **error)
{
    const ppo_pipeline_t *pl = tr->pl;
    tr->S = tr->model->state_size;
    if (tr->S == 0) {
        const uint64_t batch = (uint64_t)tr->N * tr->T;
        if (batch % pl->ppo.minibatches == 0 && pl->ppo.minibatches <= batch)
            return true;
        /* ppo.seq_len set: the pipeline left the minibatch rule to us */
        char *where = ppo_pipeline_where(pl, "ppo.minibatches");
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%s%u does not divide the batch of %" G_GUINT64_FORMAT " samples (env.num_envs "
                    "%u x ppo.rollout_steps %u); ppo.seq_len does not apply to policy \"%s\", which "
                    "has no memory",
                    where, pl->ppo.minibatches, batch, tr->N, tr->T, tr->model->plugin->name);
        g_free(where);
        return false;
    }
    tr->L = pl->ppo.seq_len > 0 ? pl->ppo.seq_len : tr->T;
    tr->K = (tr->T + tr->L - 1) / tr->L;
    const uint64_t seqs = (uint64_t)tr->N * tr->K;
    if (seqs % pl->ppo.minibatches != 0 || pl->ppo.minibatches > seqs) {
        char *where = ppo_pipeline_where(pl, "ppo.minibatches");
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%s%u does not divide the %" G_GUINT64_FORMAT " training sequences of the "
                    "recurrent policy \"%s\" (env.num_envs %u x %u sequences of ppo.seq_len %u "
                    "steps per rollout of %u); minibatches are made of whole sequences: use a "
                    "divisor of %" G_GUINT64_FORMAT,
                    where, pl->ppo.minibatches, seqs, tr->model->plugin->name, tr->N, tr->K,
                    tr->L, tr->T, seqs);
        g_free(where);
        return false;
    }
    tr->mb_seqs = (uint32_t)(seqs / pl->ppo.minibatches);
    return true;
}

/* Refuse sizes the machine cannot hold, before allocating anything large. */
static bool check_memory(const ppo_trainer_t *tr, GError **error)
{
    const uint64_t need = rollout_bytes(tr);
    const uint64_t have = physical_memory();
    if (need > have / 10 * 9) {
        char *where = ppo_pipeline_where(tr->pl, "ppo.rollout_steps");
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%sthe rollout needs %" G_GUINT64_FORMAT " bytes (T=%u x N=%u envs x obs "
                    "%u elements and more), more than this machine's %" G_GUINT64_FORMAT
                    " bytes of memory; lower ppo.rollout_steps or env.num_envs",
                    where, need, tr->T, tr->N, tr->D, have);
        g_free(where);
        return false;
    }
    return true;
}

ppo_guard_row_t *ppo_trainer_env_row(ppo_trainer_t *tr, uint32_t worker)
{
    return worker < tr->n_env_rows ? &tr->env_rows[worker] : NULL;
}

void ppo_trainer_free(ppo_trainer_t *tr)
{
    if (tr == NULL)
        return;
    ppo_pool_free(tr->pool);
    ppo_evaluator_free(tr->eval);
    if (tr->chunks != NULL)
        for (uint32_t k = 0; k < tr->n_grad_chunks; k++)
            grad_chunk_free(tr, &tr->chunks[k]);
    g_free(tr->chunks);
    for (uint32_t p = 0; p < 2; p++) {
        g_free(tr->part_off[p]);
        g_free(tr->part_len[p]);
    }
    if (tr->model != NULL) {
        const ppo_policy_vtable_t *vt = &tr->model->plugin->vt.policy;
        ppo_plugin_enter(tr->model->plugin, "ws_destroy");
        for (uint32_t c = 0; tr->collect_ws != NULL && c < tr->n_env_chunks; c++)
            if (tr->collect_ws[c] != NULL)
                vt->ws_destroy(tr->model->inst, tr->collect_ws[c]);
        if (tr->main_ws != NULL)
            vt->ws_destroy(tr->model->inst, tr->main_ws);
        for (uint32_t w = 0; tr->value_ws != NULL && w < tr->n_value_ws; w++)
            if (tr->value_ws[w] != NULL)
                vt->ws_destroy(tr->model->inst, tr->value_ws[w]);
        ppo_plugin_leave();
    }
    for (uint32_t w = 0; tr->env_rows != NULL && w < tr->n_env_rows; w++)
        ppo_guard_row_clear(&tr->env_rows[w]);
    g_free(tr->env_rows);
    g_free(tr->collect_ws);
    g_free(tr->chunk_status);
    g_free(tr->chunk_message);
    g_free(tr->value_ws);
    g_free(tr->value_status);
    for (uint32_t k = 0; tr->value_error != NULL && k < tr->n_value_tasks; k++)
        g_free(tr->value_error[k]);
    g_free(tr->value_error);
    if (tr->adv_inst != NULL) {
        ppo_plugin_enter(tr->session->advantage, "destroy");
        tr->session->advantage->vt.advantage.destroy(tr->adv_inst);
        ppo_plugin_leave();
    }
    if (tr->opt_inst != NULL) {
        ppo_plugin_enter(tr->session->optimizer, "destroy");
        tr->session->optimizer->vt.optimizer.destroy(tr->opt_inst);
        ppo_plugin_leave();
    }
    ppo_model_free(tr->model);
    /* env 0 owns the space arrays, so it goes last */
    for (uint32_t i = tr->N; tr->slots != NULL && i-- > 0;)
        if (tr->slots[i].inst != NULL) {
            ppo_plugin_enter(tr->session->env, "destroy");
            tr->session->env->vt.env.destroy(tr->slots[i].inst);
            ppo_plugin_leave();
        }
    g_free(tr->slots);
    free(tr->ro.block);
    free(tr->env_actions);
    free(tr->chunk_obs);
    free(tr->stage);
    free(tr->rstate);
    free(tr->final_state);
    free(tr->trunc_state);
    free(tr->value_obs);
    g_free(tr->rowmap);
    free(tr->final_obs);
    free(tr->trunc_obs);
    free(tr->trunc_values);
    g_free(tr->trunc_index);
    g_free(tr->perm);
    free(tr->adv_batch);
    g_free(tr->reduce_sq);
    g_free(tr->slice_status);
    for (uint32_t s = 0; tr->slice_error != NULL && s < tr->n_reduce_tasks; s++)
        g_free(tr->slice_error[s]);
    g_free(tr->slice_error);
    g_free(tr->slice_finite);
    g_free(tr->reports);
    g_free(tr->all_ret);
    free(tr->all_obs);
    free(tr->all_obs_f);
    ppo_obs_convert_clear(&tr->obs_cv);
    g_free(tr->exch_send);
    g_free(tr->exch_recv);
    ppo_rms_clear(&tr->obs_rms);
    ppo_rms_clear(&tr->ret_rms);
    for (uint32_t i = 0; tr->env_obs_rms != NULL && i < tr->N; i++) {
        ppo_rms_clear(&tr->env_obs_rms[i]);
        ppo_rms_clear(&tr->env_ret_rms[i]);
    }
    g_free(tr->env_obs_rms);
    g_free(tr->env_ret_rms);
    g_free(tr);
}

ppo_trainer_t *ppo_trainer_new(ppo_session_t *session, GError **error)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    /* threads are ours: BLAS runs single-threaded inside each task */
    openblas_set_num_threads(1);
#endif
    const ppo_pipeline_t *pl = session->pipeline;
    ppo_trainer_t *tr = g_new0(ppo_trainer_t, 1);
    tr->session = session;
    tr->pl = pl;
    tr->N = pl->num_envs;
    tr->T = pl->ppo.rollout_steps;
    /* with MPI, this process is one rank of `world`; its envs have global indices
     * rank * N .. rank * N + N - 1, so their streams do not depend on how envs are spread */
    tr->comm = ppo_comm_current();
    tr->rank = tr->comm->rank;
    tr->world = tr->comm->size;
    tr->max_steps = session->max_episode_steps;
    tr->kl_beta = pl->ppo.kl_penalty_beta;

    /* envs: the first fixes the spaces, the others must agree */
    tr->slots = g_new0(ppo_env_slot_t, tr->N);
    for (uint32_t i = 0; i < tr->N; i++) {
        tr->slots[i].inst = ppo_session_env_new(session, &tr->obs_space, &tr->act_space, error);
        if (tr->slots[i].inst == NULL)
            goto fail;
        const uint64_t global = (uint64_t)tr->rank * tr->N + i;
        ppo_rng_seed(&tr->slots[i].env_rng, pl->seed, "env", global);
        ppo_rng_seed(&tr->slots[i].act_rng, pl->seed, "act", global);
    }
    tr->D = tr->obs_space.dim;
    tr->A = ppo_space_action_floats(&tr->act_space);
    tr->clip_actions = tr->act_space.kind == PPO_SPACE_BOX;
    tr->obs_dtype = tr->obs_space.dtype;
    tr->env_rb = ppo_space_row_bytes(&tr->obs_space);
    /* uint8 rows are stored as they are, unless running statistics normalize them (which change
     * during a rollout, so the normalized floats are stored) */
    tr->store_u8 = tr->obs_dtype == PPO_DTYPE_UINT8 && !pl->normalize.obs;
    tr->store_rb = tr->store_u8 ? tr->env_rb : (size_t)tr->D * sizeof(float);
    if (tr->obs_dtype == PPO_DTYPE_UINT8)
        ppo_obs_convert_init(&tr->obs_cv, &tr->obs_space);

    /* policy and its parameter store */
    const ppo_plugin_t *opt = session->optimizer;
    void *opt_inst = opt->vt.optimizer.create(&opt->host, session->optimizer_params);
    if (opt_inst == NULL) {
        *error = ppo_plugin_error(opt, "create", -1);
        goto fail;
    }
    tr->opt_inst = opt_inst;
    const uint32_t state_floats = opt->vt.optimizer.state_floats_per_param(opt_inst);
    if (state_floats > 64) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" (%s): state_floats_per_param() = %u is not plausible",
                    opt->name, opt->path, state_floats);
        goto fail;
    }
    tr->model = ppo_model_new(session->policy, session->policy_params, &tr->obs_space,
                              &tr->act_space, tr->N, state_floats, error);
    if (tr->model == NULL)
        goto fail;
    tr->P = tr->model->dist_size;
    tr->has_reset_noise = tr->model->plugin->vt.policy.reset_noise != NULL;
    /* ABI 1.0 and 1.1 documented reset_noise as called at every episode start; a policy built
     * for them keeps that timing, so it trains as it did, bit for bit */
    const ppo_plugin_t *pol = tr->model->plugin;
    tr->noise_per_episode = tr->has_reset_noise && pol->abi_major == 1 && pol->abi_minor < 2;
    if (tr->noise_per_episode && tr->rank == 0)
        ppo_log(PPO_LOG_INFO,
                "policy \"%s\" was built for plugin ABI %u.%u: its exploration noise is redrawn at "
                "episode starts, as that ABI documented; rebuilt for ABI 1.2 it is redrawn at "
                "every rollout start, as Stable-Baselines3 does",
                pol->name, pol->abi_major, pol->abi_minor);
    if (tr->P == 0 || tr->P > (1u << 20)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" (%s): dist_size() = %u is not valid", session->policy->name,
                    session->policy->path, tr->P);
        goto fail;
    }
    if (!plan_sequences(tr, error))
        goto fail;
    ppo_model_init(tr->model, pl->seed);
    /* every rank starts from rank 0's parameters and optimizer state */
    ppo_comm_broadcast(tr->comm, tr->model->params, tr->model->n_params * sizeof(float));
    if (tr->model->opt_state != NULL)
        ppo_comm_broadcast(tr->comm, tr->model->opt_state,
                           tr->model->n_params * tr->model->state_floats * sizeof(float));

    const ppo_plugin_t *adv = session->advantage;
    tr->adv_inst = adv->vt.advantage.create(&adv->host, session->advantage_params);
    if (tr->adv_inst == NULL) {
        *error = ppo_plugin_error(adv, "create", -1);
        goto fail;
    }

    /* buffers */
    if (!check_memory(tr, error))
        goto fail;
    if (!rollout_alloc(tr)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "out of memory for the rollout (%zu bytes)",
                    rollout_bytes(tr));
        goto fail;
    }
    const size_t N = tr->N, D = tr->D, S = tr->S;
    tr->env_actions = alloc_aligned(N * tr->A * sizeof(float));
    tr->final_obs = alloc_aligned(N * tr->env_rb);
    tr->trunc_obs = alloc_aligned(N * D * sizeof(float));
    tr->trunc_values = alloc_aligned(N * sizeof(float));
    tr->trunc_index = g_new0(uint32_t, tr->N);
    bool ok = tr->env_actions != NULL && tr->final_obs != NULL && tr->trunc_obs != NULL &&
              tr->trunc_values != NULL;
    tr->n_env_chunks = (tr->N + PPO_COLLECT_CHUNK - 1) / PPO_COLLECT_CHUNK;
    if (tr->store_u8) {
        tr->chunk_obs = alloc_aligned((size_t)tr->n_env_chunks * PPO_COLLECT_CHUNK * D *
                                      sizeof(float));
        ok = ok && tr->chunk_obs != NULL;
    } else if (tr->obs_dtype == PPO_DTYPE_UINT8) {
        tr->stage = alloc_aligned(N * tr->env_rb);
        ok = ok && tr->stage != NULL;
    }
    if (S > 0) {
        tr->rstate = alloc_aligned(N * S * sizeof(float));
        tr->final_state = alloc_aligned(N * S * sizeof(float));
        tr->trunc_state = alloc_aligned(N * S * sizeof(float));
        ok = ok && tr->rstate != NULL && tr->final_state != NULL && tr->trunc_state != NULL;
    }
    const size_t all = N * tr->world;
    tr->reports = g_new0(ppo_env_report_t, all);
    tr->all_ret = g_new0(double, all);
    if (tr->world > 1) {
        tr->exch_size = N * (sizeof(ppo_env_report_t) + tr->env_rb);
        tr->all_obs = alloc_aligned(all * tr->env_rb);
        tr->exch_send = g_malloc(tr->exch_size);
        tr->exch_recv = g_malloc(tr->exch_size * tr->world);
        ok = ok && tr->all_obs != NULL;
        if (tr->obs_dtype == PPO_DTYPE_UINT8 && pl->normalize.obs) {
            tr->all_obs_f = alloc_aligned(all * D * sizeof(float));
            ok = ok && tr->all_obs_f != NULL;
        }
    }
    const size_t B = (size_t)tr->T * tr->N;
    tr->perm = g_new(uint32_t, B);
    tr->adv_batch = alloc_aligned(B * sizeof(float));
    if (!ok || tr->adv_batch == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "out of memory");
        goto fail;
    }

    /* workspaces: one per collection chunk, one for the main thread, one per gradient chunk */
    const ppo_policy_vtable_t *pvt = &tr->model->plugin->vt.policy;
    tr->collect_ws = g_new0(void *, tr->n_env_chunks);
    tr->chunk_status = g_new0(int, tr->n_env_chunks);
    tr->chunk_message = g_new0(char *, tr->n_env_chunks);
    for (uint32_t c = 0; c < tr->n_env_chunks; c++) {
        tr->collect_ws[c] = pvt->ws_create(tr->model->inst, MIN(PPO_COLLECT_CHUNK, tr->N));
        if (tr->collect_ws[c] == NULL) {
            *error = ppo_plugin_error(tr->model->plugin, "ws_create", -1);
            goto fail;
        }
    }
    tr->main_ws = pvt->ws_create(tr->model->inst, tr->N);
    if (tr->main_ws == NULL) {
        *error = ppo_plugin_error(tr->model->plugin, "ws_create", -1);
        goto fail;
    }
    if (tr->S > 0) {
        /* whole sequences, one part (recurrent policies run evaluate/backward over sequences) */
        tr->n_parts = 1;
        tr->mb_size = tr->mb_seqs * tr->L;
        tr->rowmap = g_new(uint32_t, tr->mb_size);
        plan_seq_chunks(tr->mb_seqs, tr->L, &tr->n_grad_chunks, &tr->grad_chunk);
    } else {
        tr->mb_size = (uint32_t)(B / pl->ppo.minibatches);
        if (!plan_parts(tr, error))
            goto fail;
        plan_grad_chunks(tr->mb_size,
                         tr->n_parts == 2 ? PPO_GRAD_CHUNK_MIN_PARTS : PPO_GRAD_CHUNK_MIN,
                         &tr->n_grad_chunks, &tr->grad_chunk);
    }
    tr->chunks = g_new0(ppo_grad_chunk_t, tr->n_grad_chunks);
    for (uint32_t k = 0; k < tr->n_grad_chunks; k++)
        if (!grad_chunk_alloc(tr, &tr->chunks[k], tr->grad_chunk, error))
            goto fail;
    tr->n_reduce_tasks = (uint32_t)MIN((size_t)16, MAX((size_t)1, tr->model->n_params / 4096));
    tr->reduce_sq = g_new0(double, tr->n_reduce_tasks);
    tr->slice_status = g_new0(int, tr->n_reduce_tasks);
    tr->slice_error = g_new0(char *, tr->n_reduce_tasks);
    tr->slice_finite = g_new0(bool, tr->n_reduce_tasks);
    ppo_rng_seed(&tr->shuffle_rng, pl->seed, "shuffle", tr->rank);

    /* normalization */
    ppo_rms_init(&tr->obs_rms, tr->D);
    ppo_rms_init(&tr->ret_rms, 1);
    if (pl->normalize.mode == PPO_NORM_GYMNASIUM) {
        tr->env_obs_rms = g_new0(ppo_rms_t, tr->N);
        tr->env_ret_rms = g_new0(ppo_rms_t, tr->N);
        for (uint32_t i = 0; i < tr->N; i++) {
            ppo_rms_init(&tr->env_obs_rms[i], tr->D);
            ppo_rms_init(&tr->env_ret_rms[i], 1);
        }
    }
    tr->norm_gamma = isnan(pl->normalize.gamma) ? session->gamma : pl->normalize.gamma;

    tr->best_eval = -INFINITY;
    /* evaluation is rank 0's alone; it never changes training */
    if (pl->eval.every_steps > 0 && tr->rank == 0) {
        tr->eval = ppo_evaluator_new(session, tr->model, MIN(pl->eval.episodes, 16u), pl->seed,
                                     error);
        if (tr->eval == NULL)
            goto fail;
    }

    tr->pool = ppo_pool_new(pl->ppo.threads);
    /* each worker hands envs a guarded row: a write past it is caught, not spread into the
     * rollout (ppo_guard_private.h) */
    tr->n_env_rows = ppo_pool_threads(tr->pool);
    tr->env_rows = g_new0(ppo_guard_row_t, tr->n_env_rows);
    for (uint32_t w = 0; w < tr->n_env_rows; w++) {
        char *what = g_strdup_printf("its observation row (%zu bytes) in training", tr->env_rb);
        const bool guarded = ppo_guard_row_init(&tr->env_rows[w], tr->env_rb, what, error);
        g_free(what);
        if (!guarded)
            goto fail;
    }
    /* a policy with parts acts without its value function; the values come batched after */
    tr->batched_values = tr->n_parts == 2;
    if (tr->batched_values) {
        const uint32_t per = PPO_VALUE_ROWS;
        tr->n_value_tasks = (uint32_t)(((uint64_t)tr->T * tr->N + per - 1) / per) +
                            (tr->N + per - 1) / per;
        tr->value_status = g_new0(int, tr->n_value_tasks);
        tr->value_error = g_new0(char *, tr->n_value_tasks);
        tr->n_value_ws = ppo_pool_threads(tr->pool);
        tr->value_ws = g_new0(void *, tr->n_value_ws);
        if (tr->store_u8) {
            tr->value_obs = alloc_aligned((size_t)tr->n_value_ws * per * D * sizeof(float));
            if (tr->value_obs == NULL) {
                g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "out of memory");
                goto fail;
            }
        }
        for (uint32_t w = 0; w < tr->n_value_ws; w++) {
            tr->value_ws[w] = pvt->ws_create(tr->model->inst, per);
            if (tr->value_ws[w] == NULL) {
                *error = ppo_plugin_error(tr->model->plugin, "ws_create", -1);
                goto fail;
            }
        }
    }
    const uint64_t per_iter = (uint64_t)tr->T * tr->N * tr->world;
    tr->n_iterations = pl->ppo.round_down ? pl->ppo.total_steps / per_iter
                                          : (pl->ppo.total_steps + per_iter - 1) / per_iter;
    if (tr->n_iterations == 0) {
        char *where = ppo_pipeline_where(pl, "ppo.total_steps");
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%s%" G_GUINT64_FORMAT " is less than one iteration of %" G_GUINT64_FORMAT
                    " steps (ppo.rollout_steps %u x env.num_envs %u x %u rank(s)), and "
                    "ppo.round_iterations: down rounds that to no iteration; raise "
                    "ppo.total_steps or set ppo.round_iterations: up",
                    where, pl->ppo.total_steps, per_iter, tr->T, tr->N, tr->world);
        g_free(where);
        goto fail;
    }

    /* first observations */
    if (!ppo_collect_reset_all(tr, true, error))
        goto fail;
    return tr;
fail:
    ppo_trainer_free(tr);
    return NULL;
}

void ppo_trainer_carry_observations(ppo_trainer_t *tr)
{
    memcpy(tr->ro.obs, ppo_trainer_obs_row(tr, (size_t)tr->T * tr->N), tr->N * tr->store_rb);
}

const ppo_model_t *ppo_trainer_model(const ppo_trainer_t *tr)
{
    return tr->model;
}

uint64_t ppo_trainer_global_step(const ppo_trainer_t *tr)
{
    return tr->global_step;
}

const ppo_rms_t *ppo_trainer_obs_stats(const ppo_trainer_t *tr)
{
    return tr->env_obs_rms != NULL ? &tr->env_obs_rms[0] : &tr->obs_rms;
}

const ppo_rms_t *ppo_trainer_ret_stats(const ppo_trainer_t *tr)
{
    return tr->env_ret_rms != NULL ? &tr->env_ret_rms[0] : &tr->ret_rms;
}

/* 1 - (iteration - 1) / n_iterations for the iteration about to run (CleanRL's annealing) */
static double schedule(ppo_schedule_t kind, const ppo_trainer_t *tr)
{
    if (kind == PPO_SCHEDULE_CONSTANT)
        return 1.0;
    return 1.0 - (double)tr->iteration / (double)tr->n_iterations;
}

/* 1 - Var(R - V) / Var(R) over the rollouts of every rank (NaN when Var(R) is 0) */
static double explained_variance(const ppo_trainer_t *tr, const float *pred, const float *target,
                                 size_t n)
{
    double a[3] = {0.0, 0.0, (double)n};
    for (size_t i = 0; i < n; i++) {
        a[0] += target[i];
        a[1] += (double)target[i] - pred[i];
    }
    ppo_comm_allreduce_f64(tr->comm, a, 3);
    const double my = a[0] / a[2], md = a[1] / a[2];
    double v[2] = {0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        const double y = target[i] - my, d = ((double)target[i] - pred[i]) - md;
        v[0] += y * y;
        v[1] += d * d;
    }
    ppo_comm_allreduce_f64(tr->comm, v, 2);
    return v[0] == 0.0 ? NAN : 1.0 - v[1] / v[0];
}

bool ppo_trainer_iterate(ppo_trainer_t *tr, ppo_metrics_row_t *row, GError **error)
{
    const ppo_pipeline_t *pl = tr->pl;
    if (tr->t_start == 0) {
        tr->t_start = g_get_monotonic_time();
        tr->step_at_start = tr->global_step;
    }
    const double lr = tr->session->base_lr * schedule(pl->ppo.lr_schedule, tr);
    const double clip = pl->ppo.clip * schedule(pl->ppo.clip_schedule, tr);

    if (!ppo_collect_rollout(tr, error) || !ppo_update_estimate(tr, error))
        return false;
    const size_t B = (size_t)tr->T * tr->N;
    const double ev = explained_variance(tr, tr->ro.values, tr->ro.returns, B);

    ppo_update_stats_t st;
    if (!ppo_update_run(tr, lr, clip, &st, error))
        return false;
    const double beta_used = tr->kl_beta;
    if (pl->ppo.objective == PPO_OBJECTIVE_KL_PENALTY) {
        double d;
        if (!ppo_update_mean_kl(tr, &d, error))
            return false;
        tr->kl_beta = ppo_kl_beta_update(tr->kl_beta, d, pl->ppo.kl_penalty_target);
    }

    /* the next rollout starts from the last observations */
    ppo_trainer_carry_observations(tr);
    tr->iteration++;

    memset(row, 0, sizeof(*row));
    row->global_step = tr->global_step;
    row->iteration = tr->iteration;
    row->episodes = tr->episodes;
    row->ep_return_mean = row->ep_len_mean = NAN;
    if (tr->win_count > 0) {
        double sr = 0, sl = 0;
        for (uint32_t k = 0; k < tr->win_count; k++) {
            sr += tr->win_return[k];
            sl += tr->win_len[k];
        }
        row->ep_return_mean = sr / tr->win_count;
        row->ep_len_mean = sl / tr->win_count;
    }
    const double elapsed = (double)(g_get_monotonic_time() - tr->t_start) / 1e6;
    row->time_s = tr->time_offset + elapsed;
    row->sps = elapsed > 0 ? (double)(tr->global_step - tr->step_at_start) / elapsed : 0.0;
    row->policy_loss = st.policy_loss;
    row->value_loss = st.value_loss;
    row->entropy = st.entropy;
    row->approx_kl = st.approx_kl;
    row->clip_fraction = st.clip_fraction;
    row->explained_variance = ev;
    row->lr = lr;
    row->clip_range = clip;
    row->std = ppo_model_std(tr->model);
    row->eval_return_mean = NAN;
    row->loss = st.loss;
    row->kl_beta = (pl->ppo.objective == PPO_OBJECTIVE_KL_PENALTY ||
                    pl->ppo.objective == PPO_OBJECTIVE_KL_FIXED)
                       ? beta_used
                       : NAN;
    tr->n_updates += st.epochs;
    row->n_updates = tr->n_updates;
    row->optimizer_steps = tr->opt_steps;
    tr->skipped_updates += st.skipped;
    row->skipped_updates = st.skipped;
    row->skipped_total = tr->skipped_updates;
    return true;
}

bool ppo_trainer_done(const ppo_trainer_t *tr)
{
    return tr->iteration >= tr->n_iterations;
}
