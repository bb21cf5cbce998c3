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

/* Bytes of the rollout for these sizes. */
static size_t rollout_bytes(size_t T, size_t N, size_t D, size_t A, size_t P)
{
    size_t bytes = 0;
#define PPO_ROLLOUT_SIZE(name, count) bytes += round64((count) * sizeof(float));
    PPO_ROLLOUT_FIELDS(PPO_ROLLOUT_SIZE, T, N, D, A, P)
#undef PPO_ROLLOUT_SIZE
    return bytes;
}

static bool rollout_alloc(ppo_rollout_t *ro, size_t T, size_t N, size_t D, size_t A, size_t P)
{
    ro->bytes = rollout_bytes(T, N, D, A, P);
    ro->block = alloc_aligned(ro->bytes);
    if (ro->block == NULL)
        return false;
    char *at = ro->block;
#define PPO_ROLLOUT_POINT(name, count)                                                           \
    ro->name = (float *)(void *)at;                                                              \
    at += round64((count) * sizeof(float));
    PPO_ROLLOUT_FIELDS(PPO_ROLLOUT_POINT, T, N, D, A, P)
#undef PPO_ROLLOUT_POINT
    return true;
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
    float *bufs[] = {c->grads,   c->actions, c->old_dist, c->old_logp, c->adv,
                     c->ret,     c->old_value, c->logp, c->entropy, c->kl,   c->value,
                     c->dlogp,   c->dentropy,  c->dkl,  c->dvalue};
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
        part[s] = pp->vt.policy.segment_part(m->inst, s);
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

/* Refuse sizes the machine cannot hold, before allocating anything large. */
static bool check_memory(const ppo_trainer_t *tr, GError **error)
{
    const uint64_t need = rollout_bytes(tr->T, tr->N, tr->D, tr->A, tr->P);
    const uint64_t have = physical_memory();
    if (need > have / 10 * 9) {
        char *where = ppo_pipeline_where(tr->pl, "ppo.rollout_steps");
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%sthe rollout needs %" G_GUINT64_FORMAT " bytes (T=%u x N=%u envs x obs "
                    "%u floats and more), more than this machine's %" G_GUINT64_FORMAT
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
    g_free(tr->exch_send);
    g_free(tr->exch_recv);
    ppo_rms_clear(&tr->obs_rms);
    ppo_rms_clear(&tr->ret_rms);
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
    tr->discrete = tr->act_space.kind == PPO_SPACE_DISCRETE;
    tr->A = tr->discrete ? 1 : tr->act_space.dim;

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
    if (tr->P == 0 || tr->P > (1u << 20)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" (%s): dist_size() = %u is not valid", session->policy->name,
                    session->policy->path, tr->P);
        goto fail;
    }
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
    if (!rollout_alloc(&tr->ro, tr->T, tr->N, tr->D, tr->A, tr->P)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "out of memory for the rollout (%zu bytes)",
                    rollout_bytes(tr->T, tr->N, tr->D, tr->A, tr->P));
        goto fail;
    }
    tr->env_actions = alloc_aligned((size_t)tr->N * tr->A * sizeof(float));
    tr->final_obs = alloc_aligned((size_t)tr->N * tr->D * sizeof(float));
    tr->trunc_obs = alloc_aligned((size_t)tr->N * tr->D * sizeof(float));
    tr->trunc_values = alloc_aligned((size_t)tr->N * sizeof(float));
    tr->trunc_index = g_new0(uint32_t, tr->N);
    const size_t all = (size_t)tr->N * tr->world;
    tr->reports = g_new0(ppo_env_report_t, all);
    tr->all_ret = g_new0(double, all);
    if (tr->world > 1) {
        tr->exch_size = (size_t)tr->N * (sizeof(ppo_env_report_t) + (size_t)tr->D * sizeof(float));
        tr->all_obs = alloc_aligned(all * tr->D * sizeof(float));
        tr->exch_send = g_malloc(tr->exch_size);
        tr->exch_recv = g_malloc(tr->exch_size * tr->world);
    }
    const size_t B = (size_t)tr->T * tr->N;
    tr->perm = g_new(uint32_t, B);
    tr->adv_batch = alloc_aligned(B * sizeof(float));
    if (tr->env_actions == NULL || tr->final_obs == NULL || tr->trunc_obs == NULL ||
        tr->trunc_values == NULL || tr->adv_batch == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "out of memory");
        goto fail;
    }

    /* workspaces: one per collection chunk, one for the main thread, one per gradient chunk */
    const ppo_policy_vtable_t *pvt = &tr->model->plugin->vt.policy;
    tr->n_env_chunks = (tr->N + PPO_COLLECT_CHUNK - 1) / PPO_COLLECT_CHUNK;
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
    tr->mb_size = (uint32_t)(B / pl->ppo.minibatches);
    if (!plan_parts(tr, error))
        goto fail;
    plan_grad_chunks(tr->mb_size, tr->n_parts == 2 ? PPO_GRAD_CHUNK_MIN_PARTS : PPO_GRAD_CHUNK_MIN,
                     &tr->n_grad_chunks, &tr->grad_chunk);
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
        char *what = g_strdup_printf("its observation row (%u floats) in training", tr->D);
        const bool ok = ppo_guard_row_init(&tr->env_rows[w], (size_t)tr->D * sizeof(float), what,
                                           error);
        g_free(what);
        if (!ok)
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
        for (uint32_t w = 0; w < tr->n_value_ws; w++) {
            tr->value_ws[w] = pvt->ws_create(tr->model->inst, per);
            if (tr->value_ws[w] == NULL) {
                *error = ppo_plugin_error(tr->model->plugin, "ws_create", -1);
                goto fail;
            }
        }
    }
    const uint64_t per_iter = (uint64_t)tr->T * tr->N * tr->world;
    tr->n_iterations = (pl->ppo.total_steps + per_iter - 1) / per_iter;

    /* first observations */
    if (!ppo_collect_reset_all(tr, error))
        goto fail;
    return tr;
fail:
    ppo_trainer_free(tr);
    return NULL;
}

const ppo_model_t *ppo_trainer_model(const ppo_trainer_t *tr)
{
    return tr->model;
}

uint64_t ppo_trainer_global_step(const ppo_trainer_t *tr)
{
    return tr->global_step;
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
    memcpy(tr->ro.obs, tr->ro.obs + (size_t)tr->T * tr->N * tr->D,
           (size_t)tr->N * tr->D * sizeof(float));
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
    row->n_updates = tr->opt_steps;
    tr->skipped_updates += st.skipped;
    row->skipped_updates = st.skipped;
    row->skipped_total = tr->skipped_updates;
    return true;
}

bool ppo_trainer_done(const ppo_trainer_t *tr)
{
    return tr->iteration >= tr->n_iterations;
}
