/* ppofw core — advantage estimation and the minibatch epochs of the PPO update.
 *
 * Per minibatch: the samples are cut into fixed gradient chunks (evaluate → objective →
 * backward into the chunk's own gradient array) run on the pool, each chunk as two tasks when
 * the policy has two parts (distribution and value function); the chunk gradients are summed
 * in chunk order (each pool task sums one slice of the parameters), the global norm is clipped,
 * and the optimizer steps (over the same slices on the pool when it has step_range). SB3's target_kl rule stops the update before a step whose minibatch
 * already drifted too far. Allocates nothing.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_collect_private.h"

/* The loops over all parameters run once per minibatch; they are compiled twice, for x86-64-v3
 * (AVX2 and FMA) and for the baseline, and the loader picks one (GCC's target_clones). A machine
 * always runs the same clone, so results repeat; the two clones may round the sum of squares
 * differently. */
#if defined(__x86_64__) && defined(__gnu_linux__) && defined(__GNUC__) && !defined(__clang__) &&   \
    __GNUC__ >= 11
#define PPO_UPDATE_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define PPO_UPDATE_CLONES
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
/* the same type for unaligned loads and stores through a float pointer */
typedef float v8f_mem __attribute__((vector_size(32), aligned(4), may_alias));
#define LOAD8(p) (*(const v8f_mem *)(p))
#define STORE8(p, v) (*(v8f_mem *)(p) = (v))

bool ppo_update_estimate(ppo_trainer_t *tr, GError **error)
{
    const ppo_rollout_view_t view = {
        .struct_size = sizeof(ppo_rollout_view_t),
        .T = tr->T,
        .N = tr->N,
        .rewards = tr->ro.rewards,
        .values = tr->ro.values,
        .terminated = tr->ro.terminated,
        .truncated = tr->ro.truncated,
        .bootstrap_values = tr->ro.bootstrap,
        .last_values = tr->ro.last_values,
    };
    const ppo_plugin_t *ap = tr->session->advantage;
    ppo_plugin_enter(ap, "estimate");
    int rc = ap->vt.advantage.estimate(tr->adv_inst, &view, tr->ro.advantages, tr->ro.returns);
    ppo_plugin_leave();
    if (rc != 0) {
        *error = ppo_plugin_error(ap, "estimate", rc);
        return false;
    }
    const size_t B = (size_t)tr->T * tr->N;
    for (size_t b = 0; b < B; b++) {
        if (!isfinite(tr->ro.advantages[b]) || !isfinite(tr->ro.returns[b])) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_NUMERIC,
                        "plugin \"%s\" (%s): estimate wrote a NaN or Inf %s at step %zu of env %zu "
                        "(iteration %" G_GUINT64_FORMAT "); check the rewards and values",
                        ap->name, ap->path,
                        isfinite(tr->ro.advantages[b]) ? "return" : "advantage", b / tr->N,
                        b % tr->N, tr->iteration + 1);
            return false;
        }
    }
    return true;
}

/* The samples idx[0..n) (padded rows, PPO_PAD_ROW, skipped; all of x when idx is NULL): their
 * sum into *sum, and how many there are. */
static size_t sum_samples(const float *x, const uint32_t *idx, size_t n, double *sum)
{
    double s = 0.0;
    size_t valid = 0;
    for (size_t i = 0; i < n; i++) {
        if (idx != NULL && idx[i] == PPO_PAD_ROW)
            continue;
        s += x[idx != NULL ? idx[i] : i];
        valid++;
    }
    *sum = s;
    return valid;
}

/* The sum of the squared deviations from m of the samples idx[0..n) (pads skipped). */
static double sum_squared_deviations(const float *x, const uint32_t *idx, size_t n, double m)
{
    double v = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (idx != NULL && idx[i] == PPO_PAD_ROW)
            continue;
        const double d = x[idx != NULL ? idx[i] : i] - m;
        v += d * d;
    }
    return v;
}

/* mean and 1/(std + 1e-8) with PyTorch's unbiased std; no scaling for a single sample */
static void mean_scale(const float *x, const uint32_t *idx, size_t n, double *mean, double *scale)
{
    double s;
    const size_t valid = sum_samples(x, idx, n, &s);
    if (valid <= 1) {
        *mean = 0.0;
        *scale = 1.0;
        return;
    }
    const double m = s / (double)valid;
    const double v = sum_squared_deviations(x, idx, n, m);
    *mean = m;
    *scale = 1.0 / (sqrt(v / (double)(valid - 1)) + 1e-8);
}

/* mean_scale over the samples of every rank: the global mean, then the global unbiased std */
static void global_mean_scale(const ppo_trainer_t *tr, const float *x, const uint32_t *idx,
                              size_t n, double *mean, double *scale)
{
    if (tr->world == 1) {
        mean_scale(x, idx, n, mean, scale);
        return;
    }
    double acc[2];
    acc[1] = (double)sum_samples(x, idx, n, &acc[0]);
    ppo_comm_allreduce_f64(tr->comm, acc, 2);
    const double total = acc[1];
    if (total <= 1.0) {
        *mean = 0.0;
        *scale = 1.0;
        return;
    }
    const double m = acc[0] / total;
    double v = sum_squared_deviations(x, idx, n, m);
    ppo_comm_allreduce_f64(tr->comm, &v, 1);
    *mean = m;
    *scale = 1.0 / (sqrt(v / (total - 1.0)) + 1e-8);
}

/* The sums of every rank's minibatch (one collective for the seven numbers). */
static void global_sums(const ppo_trainer_t *tr, ppo_objective_sums_t *s)
{
    if (tr->world == 1)
        return;
    double v[7] = {s->policy_loss, s->value_loss, s->entropy, s->kl, s->approx_kl, s->clipped,
                   s->n};
    ppo_comm_allreduce_f64(tr->comm, v, 7);
    s->policy_loss = v[0];
    s->value_loss = v[1];
    s->entropy = v[2];
    s->kl = v[3];
    s->approx_kl = v[4];
    s->clipped = v[5];
    s->n = v[6];
}

typedef struct {
    ppo_trainer_t *tr;
    const uint32_t *idx;      /* (mb) sample indices of this minibatch (PPO_PAD_ROW: padding) */
    const uint32_t *seqs;     /* recurrent: (mb / L) the minibatch's sequences, k N + i */
    uint32_t mb;
    ppo_objective_cfg_t cfg;
    bool backward;            /* false: evaluate only (mean KL) */
} grad_ctx_t;

/* Record a failed callback of a grad task. */
static void chunk_fail(ppo_grad_chunk_t *c, uint32_t slot, const ppo_plugin_t *pp,
                       const char *callback, int rc)
{
    ppo_plugin_error_keep(pp, callback, rc, &c->error[slot]);
    c->status[slot] = rc != 0 ? rc : -1;
}

/* The part a grad task runs (0 the distribution, 1 the value function, PART_BOTH one
 * evaluate/backward) and its chunk. With two parts the tasks run part-major: the first
 * n_grad_chunks are part 0's, so with as many tasks as threads each thread keeps one part (and
 * its parameters in its cache) run after run; the mean-KL pass runs part 0 only. */
#define PART_BOTH 2u
static void task_part(const ppo_trainer_t *tr, const grad_ctx_t *ctx, uint32_t k, uint32_t *part,
                      uint32_t *chunk)
{
    if (tr->n_parts == 1) {
        *part = PART_BOTH;
        *chunk = k;
    } else if (!ctx->backward) {
        *part = 0;
        *chunk = k;
    } else {
        *part = k / tr->n_grad_chunks;
        *chunk = k % tr->n_grad_chunks;
    }
}

/* Rows [c->first, c->first + count) of the minibatch into the chunk's buffers: observations as
 * the policy sees them, and what part 0 (dist) and part 1 (value) read. A padded row of a
 * recurrent sequence is zeros; its sequence's start state and episode-start flags are gathered
 * too. */
static void gather_rows(const ppo_trainer_t *tr, const grad_ctx_t *ctx, ppo_grad_chunk_t *c,
                        uint32_t slot, bool dist, bool value)
{
    const uint32_t D = tr->D, A = tr->A, P = tr->P, S = tr->S;
    float *obs = c->obs[slot];
    for (uint32_t j = 0; j < c->count; j++) {
        const uint32_t b = ctx->idx[c->first + j];
        float *o = obs + (size_t)j * D;
        if (b == PPO_PAD_ROW) {
            memset(o, 0, (size_t)D * sizeof(float));
            if (dist) {
                memset(c->actions + (size_t)j * A, 0, (size_t)A * sizeof(float));
                memset(c->old_dist + (size_t)j * P, 0, (size_t)P * sizeof(float));
                c->old_logp[j] = c->adv[j] = 0.0f;
            }
            if (value)
                c->old_value[j] = c->ret[j] = 0.0f;
            if (S > 0)
                c->starts[j] = 0.0f;
            continue;
        }
        if (tr->store_u8)
            ppo_obs_convert_rows(&tr->obs_cv, ppo_trainer_obs_row(tr, b), tr->store_rb, 1, o);
        else
            memcpy(o, ppo_trainer_obs_row(tr, b), (size_t)D * sizeof(float));
        if (dist) {
            memcpy(c->actions + (size_t)j * A, tr->ro.actions + (size_t)b * A,
                   (size_t)A * sizeof(float));
            memcpy(c->old_dist + (size_t)j * P, tr->ro.dist + (size_t)b * P,
                   (size_t)P * sizeof(float));
            c->old_logp[j] = tr->ro.logp[b];
            c->adv[j] = (float)(((double)tr->adv_src[b] - tr->adv_mean) * tr->adv_scale);
        }
        if (value) {
            c->old_value[j] = tr->ro.values[b];
            c->ret[j] = tr->ro.returns[b];
        }
        if (S > 0)
            c->starts[j] = tr->ro.starts[b];
    }
    for (uint32_t q = 0; S > 0 && q < c->count / tr->L; q++)
        memcpy(c->start_state + (size_t)q * S,
               tr->ro.seq_state + (size_t)ctx->seqs[c->first / tr->L + q] * S,
               (size_t)S * sizeof(float));
}

/* Rows of sequence q of a chunk that hold samples (padding comes last in a sequence). */
static uint32_t valid_rows(const grad_ctx_t *ctx, const ppo_grad_chunk_t *c, uint32_t L,
                           uint32_t q)
{
    const uint32_t *rows = ctx->idx + c->first + (size_t)q * L;
    uint32_t n = 0;
    while (n < L && rows[n] != PPO_PAD_ROW)
        n++;
    return n;
}

/* The objective of a recurrent chunk, sequence by sequence over its samples: padded rows get
 * zero derivatives and count in no sum. */
static void sequence_objective(const ppo_trainer_t *tr, const grad_ctx_t *ctx,
                               ppo_grad_chunk_t *c, uint32_t slot, bool dist, bool value,
                               float *kl)
{
    const uint32_t L = tr->L;
    ppo_objective_sums_t *total = &c->sums[slot];
    memset(total, 0, sizeof(*total));
    for (uint32_t q = 0; q < c->count / L; q++) {
        const size_t o = (size_t)q * L;
        const uint32_t n = valid_rows(ctx, c, L, q);
        ppo_objective_sums_t s;
        ppo_objective_eval(&ctx->cfg, n, dist ? c->logp + o : NULL, c->old_logp + o, c->adv + o,
                           c->entropy + o, kl != NULL ? kl + o : NULL,
                           value ? c->value + o : NULL, c->old_value + o, c->ret + o,
                           c->dlogp + o, c->dentropy + o, c->dkl + o, c->dvalue + o, &s);
        for (uint32_t j = n; j < L; j++)
            c->dlogp[o + j] = c->dentropy[o + j] = c->dkl[o + j] = c->dvalue[o + j] = 0.0f;
        total->policy_loss += s.policy_loss;
        total->value_loss += s.value_loss;
        total->entropy += s.entropy;
        total->kl += s.kl;
        total->approx_kl += s.approx_kl;
        total->clipped += s.clipped;
        total->n += s.n;
    }
}

static void grad_task(void *vctx, uint32_t k, uint32_t worker)
{
    grad_ctx_t *ctx = vctx;
    ppo_trainer_t *tr = ctx->tr;
    uint32_t part, ci;
    task_part(tr, ctx, k, &part, &ci);
    ppo_grad_chunk_t *c = &tr->chunks[ci];
    const uint32_t slot = part == 1 ? 1 : 0;
    const bool dist = part != 1, value = part != 0;
    c->status[slot] = 0;
    memset(&c->sums[slot], 0, sizeof(c->sums[slot]));
    if (c->count == 0)
        return;

    /* gather the chunk's samples into contiguous rows (what this part reads) */
    gather_rows(tr, ctx, c, slot, dist, value);
    /* the analytic KL is read by the KL objectives and by the mean-KL pass only */
    const bool use_kl = ctx->cfg.kind == PPO_OBJECTIVE_KL_PENALTY ||
                        ctx->cfg.kind == PPO_OBJECTIVE_KL_FIXED;
    float *kl = dist && (use_kl || !ctx->backward) ? c->kl : NULL;
    const ppo_plugin_t *pp = tr->model->plugin;
    const ppo_policy_vtable_t *vt = &pp->vt.policy;
    const ppo_recurrent_vtable_t *rec = tr->model->rec;
    const float *obs = c->obs[slot];
    ppo_plugin_enter(pp, "evaluate");
    int rc = rec != NULL
                 ? rec->evaluate(tr->model->inst, c->ws[0], c->count / tr->L, tr->L, obs,
                                 c->actions, c->old_dist, c->start_state, c->starts, c->logp,
                                 c->entropy, kl, c->value)
             : part == PART_BOTH
                 ? vt->evaluate(tr->model->inst, c->ws[0], c->count, obs, c->actions, c->old_dist,
                                c->logp, c->entropy, kl, c->value)
             : dist ? vt->evaluate_part(tr->model->inst, c->ws[0], 0, c->count, obs, c->actions,
                                        c->old_dist, c->logp, c->entropy, kl, NULL)
                    : vt->evaluate_part(tr->model->inst, c->ws[1], 1, c->count, obs, NULL, NULL,
                                        NULL, NULL, NULL, c->value);
    ppo_plugin_leave();
    if (rc != 0) {
        chunk_fail(c, slot, pp, part == PART_BOTH ? "evaluate" : "evaluate_part", rc);
        return;
    }
    if (rec != NULL)
        sequence_objective(tr, ctx, c, slot, dist, value, kl);
    else
        ppo_objective_eval(&ctx->cfg, c->count, dist ? c->logp : NULL, c->old_logp, c->adv,
                           c->entropy, kl, value ? c->value : NULL, c->old_value, c->ret,
                           c->dlogp, c->dentropy, c->dkl, c->dvalue, &c->sums[slot]);
    if (!ctx->backward)
        return;
    if (part == PART_BOTH) {
        memset(c->grads, 0, tr->model->n_params * sizeof(float));
    } else {
        for (uint32_t r = 0; r < tr->n_part_ranges[part]; r++)
            memset(c->grads + tr->part_off[part][r], 0, tr->part_len[part][r] * sizeof(float));
    }
    float *dkl = use_kl ? c->dkl : NULL;
    ppo_plugin_enter(pp, "backward");
    rc = rec != NULL
             ? rec->backward(tr->model->inst, c->ws[0], c->count / tr->L, tr->L, c->dlogp,
                             c->dentropy, dkl, c->dvalue, c->grads)
         : part == PART_BOTH
             ? vt->backward(tr->model->inst, c->ws[0], c->count, c->dlogp, c->dentropy, dkl,
                            c->dvalue, c->grads)
         : dist ? vt->backward_part(tr->model->inst, c->ws[0], 0, c->count, c->dlogp, c->dentropy,
                                    dkl, NULL, c->grads)
                : vt->backward_part(tr->model->inst, c->ws[1], 1, c->count, NULL, NULL, NULL,
                                    c->dvalue, c->grads);
    ppo_plugin_leave();
    if (rc != 0)
        chunk_fail(c, slot, pp, part == PART_BOTH ? "backward" : "backward_part", rc);
    (void)worker;
}

/* The rows of each chunk of the minibatch (before the grad tasks, which only read them). */
static void place_chunks(ppo_trainer_t *tr, uint32_t mb)
{
    for (uint32_t k = 0; k < tr->n_grad_chunks; k++) {
        ppo_grad_chunk_t *c = &tr->chunks[k];
        c->first = k * tr->grad_chunk;
        c->count = c->first < mb ? MIN(tr->grad_chunk, mb - c->first) : 0;
    }
}

/* Tasks of one grad run: every (part, chunk), or part 0's chunks alone for the mean KL. */
static uint32_t grad_tasks(const ppo_trainer_t *tr, bool backward)
{
    return tr->n_grad_chunks * (backward ? tr->n_parts : 1);
}

/* g[j0, j1) = the sum of the n_src arrays in order, element by element; returns the sum of the
 * squares of the result: element j0 + m adds to partial sum m mod 16 (in double), the 16
 * partials are added pairwise ((p0 + p1) + (p2 + p3)) + ... in a fixed tree, then the last
 * (j1 - j0) mod 16 elements one by one. */
PPO_UPDATE_CLONES
static double sum_slice(float *g, const float *const *src, uint32_t n_src, size_t j0, size_t j1)
{
    v4d p0 = {0.0, 0.0, 0.0, 0.0}, p1 = p0, p2 = p0, p3 = p0;
    size_t j = j0;
    for (; j + 16 <= j1; j += 16) {
        v8f s = LOAD8(src[0] + j), t = LOAD8(src[0] + j + 8);
        for (uint32_t k = 1; k < n_src; k++) {
            s += LOAD8(src[k] + j);
            t += LOAD8(src[k] + j + 8);
        }
        STORE8(g + j, s);
        STORE8(g + j + 8, t);
        const v4d d0 = __builtin_convertvector(__builtin_shufflevector(s, s, 0, 1, 2, 3), v4d);
        const v4d d1 = __builtin_convertvector(__builtin_shufflevector(s, s, 4, 5, 6, 7), v4d);
        const v4d d2 = __builtin_convertvector(__builtin_shufflevector(t, t, 0, 1, 2, 3), v4d);
        const v4d d3 = __builtin_convertvector(__builtin_shufflevector(t, t, 4, 5, 6, 7), v4d);
        p0 += d0 * d0;
        p1 += d1 * d1;
        p2 += d2 * d2;
        p3 += d3 * d3;
    }
    const v4d q = (p0 + p1) + (p2 + p3);
    double sq = (q[0] + q[1]) + (q[2] + q[3]);
    for (; j < j1; j++) {
        float s = src[0][j];
        for (uint32_t k = 1; k < n_src; k++)
            s += src[k][j];
        g[j] = s;
        sq += (double)s * s;
    }
    return sq;
}


/* Parameter slice s of the reduce and step runs: [j0, j1), starting at a multiple of 16
 * elements (a 64-byte line, and a whole vector of the widest kernels). Fixed by the parameter
 * count alone. */
static void slice_bounds(const ppo_trainer_t *tr, uint32_t s, size_t *j0, size_t *j1)
{
    const size_t n = tr->model->n_params, tasks = tr->n_reduce_tasks;
    *j0 = s == 0 ? 0 : MIN(n, (n * s / tasks) & ~(size_t)15);
    *j1 = s + 1 == tasks ? n : MIN(n, (n * (s + 1) / tasks) & ~(size_t)15);
}

/* Sum the chunk gradients into model->grads, one parameter slice per task, and the squares. */
static void reduce_task(void *vctx, uint32_t s, uint32_t worker)
{
    grad_ctx_t *ctx = vctx;
    ppo_trainer_t *tr = ctx->tr;
    size_t j0, j1;
    slice_bounds(tr, s, &j0, &j1);
    const float *src[PPO_GRAD_CHUNKS_MAX];
    uint32_t used = 0;
    for (uint32_t k = 0; k < tr->n_grad_chunks; k++)
        if (tr->chunks[k].count > 0)
            used = k + 1;
    for (uint32_t k = 0; k < MAX(used, 1u); k++)
        src[k] = tr->chunks[k].grads;
    tr->reduce_sq[s] = sum_slice(tr->model->grads, src, MAX(used, 1u), j0, j1);
    (void)worker;
}

static bool chunk_failure(ppo_trainer_t *tr, GError **error)
{
    for (uint32_t k = 0; k < tr->n_grad_chunks; k++) {
        for (uint32_t p = 0; p < tr->n_parts; p++) {
            if (tr->chunks[k].status[p] != 0) {
                g_set_error_literal(error, PPO_ERROR, PPO_ERROR_PLUGIN, tr->chunks[k].error[p]);
                for (uint32_t j = 0; j < tr->n_grad_chunks; j++)
                    tr->chunks[j].status[0] = tr->chunks[j].status[1] = 0;
                return true;
            }
        }
    }
    return false;
}

/* The sums of the last grad run (`backward` as it was run), chunk by chunk, part 0 then part 1;
 * a part's sums hold zeros for the other part's terms. */
static void sum_chunks(const ppo_trainer_t *tr, bool backward, ppo_objective_sums_t *total)
{
    memset(total, 0, sizeof(*total));
    const uint32_t parts = backward ? tr->n_parts : 1;
    for (uint32_t i = 0; i < tr->n_grad_chunks * parts; i++) {
        const ppo_objective_sums_t *s = &tr->chunks[i / parts].sums[i % parts];
        total->policy_loss += s->policy_loss;
        total->value_loss += s->value_loss;
        total->entropy += s->entropy;
        total->kl += s->kl;
        total->approx_kl += s->approx_kl;
        total->clipped += s->clipped;
        total->n += s->n;
    }
}

/* true when no element is NaN or infinite: x * 0 is 0 for finite x and NaN otherwise */
PPO_UPDATE_CLONES
static bool all_finite(const float *x, size_t n)
{
    v8f a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;
    size_t j = 0;
    for (; j + 32 <= n; j += 32) {
        a0 += LOAD8(x + j) * 0.0f;
        a1 += LOAD8(x + j + 8) * 0.0f;
        a2 += LOAD8(x + j + 16) * 0.0f;
        a3 += LOAD8(x + j + 24) * 0.0f;
    }
    float tail = 0.0f;
    for (; j < n; j++)
        tail += x[j] * 0.0f;
    const v8f acc = (a0 + a1) + (a2 + a3);
    const v4f a = __builtin_shufflevector(acc, acc, 0, 1, 2, 3) +
                  __builtin_shufflevector(acc, acc, 4, 5, 6, 7);
    return !isnan(((a[0] + a[1]) + (a[2] + a[3])) + tail);
}

/* x (n) *= f */
PPO_UPDATE_CLONES
static void scale(float *x, size_t n, float f)
{
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        STORE8(x + j, LOAD8(x + j) * f);
    for (; j < n; j++)
        x[j] *= f;
}

typedef struct {
    ppo_trainer_t *tr;
    double lr;
    float clip_coef; /* the gradient-norm clipping factor, 1 when not clipping */
} step_ctx_t;

/* One parameter slice of the optimizer step: clip the slice's gradient, step_range, and check
 * the slice's new parameters. */
static void step_task(void *vctx, uint32_t s, uint32_t worker)
{
    const step_ctx_t *ctx = vctx;
    ppo_trainer_t *tr = ctx->tr;
    ppo_model_t *m = tr->model;
    size_t j0, j1;
    slice_bounds(tr, s, &j0, &j1);
    if (ctx->clip_coef != 1.0f)
        scale(m->grads + j0, j1 - j0, ctx->clip_coef);
    const ppo_plugin_t *op = tr->session->optimizer;
    ppo_plugin_enter(op, "step_range");
    const int rc = op->vt.optimizer.step_range(tr->opt_inst, m->params, m->grads, m->opt_state,
                                               m->n_params, j0, j1, ctx->lr, tr->opt_steps);
    ppo_plugin_leave();
    tr->slice_status[s] = rc;
    if (rc != 0)
        ppo_plugin_error_keep(op, "step_range", rc, &tr->slice_error[s]);
    tr->slice_finite[s] = all_finite(m->params + j0, j1 - j0);
    (void)worker;
}

/* Clip the gradient by `coef` and step the optimizer: split across the pool when the optimizer
 * has step_range and the parameters make more than one slice, else one step() call. Sets
 * *finite to whether every parameter is finite afterwards. */
static bool optimizer_step(ppo_trainer_t *tr, double lr, float coef, bool *finite, GError **error)
{
    ppo_model_t *m = tr->model;
    const ppo_plugin_t *op = tr->session->optimizer;
    if (op->vt.optimizer.step_range != NULL && tr->n_reduce_tasks > 1) {
        step_ctx_t ctx = {.tr = tr, .lr = lr, .clip_coef = coef};
        ppo_pool_run(tr->pool, tr->n_reduce_tasks, step_task, &ctx);
        *finite = true;
        for (uint32_t s = 0; s < tr->n_reduce_tasks; s++) {
            if (tr->slice_status[s] != 0) {
                g_set_error_literal(error, PPO_ERROR, PPO_ERROR_PLUGIN, tr->slice_error[s]);
                return false;
            }
            *finite = *finite && tr->slice_finite[s];
        }
        return true;
    }
    if (coef != 1.0f)
        scale(m->grads, m->n_params, coef);
    ppo_plugin_enter(op, "step");
    const int rc = op->vt.optimizer.step(tr->opt_inst, m->params, m->grads, m->opt_state,
                                         m->n_params, lr, tr->opt_steps);
    ppo_plugin_leave();
    if (rc != 0) {
        *error = ppo_plugin_error(op, "step", rc);
        return false;
    }
    *finite = all_finite(m->params, m->n_params);
    return true;
}

/* sum of squares in double, elements in order (used on the reduced gradient under MPI) */
static double sum_squares(const float *x, size_t n)
{
    double sq = 0.0;
    for (size_t j = 0; j < n; j++)
        sq += (double)x[j] * x[j];
    return sq;
}

/* mpi.check_sync_every: every rank must hold bit for bit the same parameters */
static bool check_sync(ppo_trainer_t *tr, GError **error)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    const unsigned char *p = (const unsigned char *)tr->model->params;
    for (size_t i = 0; i < tr->model->n_params * sizeof(float); i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    /* every rank's hash, on every rank (no allocation: the exchange buffer is large enough) */
    uint64_t *all = tr->exch_recv;
    ppo_comm_allgather(tr->comm, &h, all, sizeof(h));
    for (uint32_t r = 1; r < tr->world; r++) {
        if (all[r] != all[0]) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL,
                        "rank %u holds different parameters from rank 0 after update %" G_GUINT64_FORMAT
                        " (mpi.check_sync_every); the ranks diverged, which is a bug: please "
                        "report it with the pipeline",
                        r, tr->opt_steps);
            return false;
        }
    }
    return true;
}

static void objective_config(const ppo_trainer_t *tr, double clip, ppo_objective_cfg_t *cfg)
{
    const ppo_pipeline_t *pl = tr->pl;
    cfg->kind = pl->ppo.objective;
    cfg->clip = clip;
    cfg->vf_clip = pl->ppo.vf_clip;
    cfg->vf_coef = pl->ppo.vf_coef;
    cfg->vf_half = pl->ppo.value_loss == PPO_VALUE_LOSS_MSE ? 1.0 : 0.5;
    cfg->ent_coef = pl->ppo.ent_coef;
    cfg->beta = tr->kl_beta;
    cfg->inv_batch = 1.0 / tr->mb_size;
}

/* Recurrent: the rows of the minibatch made of sequences seqs[0..mb_seqs) into tr->rowmap
 * (sample t N + i for step t < T of sequence q = k N + i, t = k L + j; PPO_PAD_ROW past the
 * rollout's end). Returns the number of samples. */
static uint32_t build_rowmap(ppo_trainer_t *tr, const uint32_t *seqs)
{
    const uint32_t N = tr->N, L = tr->L;
    uint32_t valid = 0;
    for (uint32_t s = 0; s < tr->mb_seqs; s++) {
        const uint32_t k = seqs[s] / N, i = seqs[s] % N;
        for (uint32_t j = 0; j < L; j++) {
            const uint32_t t = k * L + j;
            const bool in = t < tr->T;
            tr->rowmap[(size_t)s * L + j] = in ? t * N + i : PPO_PAD_ROW;
            valid += in;
        }
    }
    return valid;
}

/* Point the grad tasks at minibatch m of this epoch's order: samples (perm) or, for a recurrent
 * policy, the rows of its sequences. Returns the minibatch's samples. */
static uint32_t select_minibatch(ppo_trainer_t *tr, grad_ctx_t *ctx, uint32_t m)
{
    if (tr->S == 0) {
        ctx->idx = tr->perm + (size_t)m * tr->mb_size;
        return tr->mb_size;
    }
    ctx->seqs = tr->perm + (size_t)m * tr->mb_seqs;
    ctx->idx = tr->rowmap;
    const uint32_t valid = build_rowmap(tr, ctx->seqs);
    /* the minibatch loss is a mean over its samples */
    ctx->cfg.inv_batch = 1.0 / valid;
    return valid;
}

bool ppo_update_run(ppo_trainer_t *tr, double lr, double clip, ppo_update_stats_t *stats,
                    GError **error)
{
    const ppo_pipeline_t *pl = tr->pl;
    const uint32_t B = tr->T * tr->N, mb = tr->mb_size;
    memset(stats, 0, sizeof(*stats));
    grad_ctx_t ctx = {.tr = tr, .mb = mb, .backward = true};
    objective_config(tr, clip, &ctx.cfg);

    /* advantages: normalized over the whole batch once, or per minibatch below */
    tr->adv_src = tr->ro.advantages;
    tr->adv_mean = 0.0;
    tr->adv_scale = 1.0;
    if (pl->ppo.normalize_advantages == PPO_ADVNORM_BATCH) {
        double mean, scale;
        global_mean_scale(tr, tr->ro.advantages, NULL, B, &mean, &scale);
        for (uint32_t b = 0; b < B; b++)
            tr->adv_batch[b] = (float)((tr->ro.advantages[b] - mean) * scale);
        tr->adv_src = tr->adv_batch;
    }

    place_chunks(tr, mb);
    /* SB3's statistics: policy, value, entropy and clip fraction averaged over every minibatch
     * evaluated (the one that stopped the update included), approx_kl over those of the last
     * epoch, the loss of the last one */
    double sum_pg = 0, sum_v = 0, sum_ent = 0, sum_clip = 0, epoch_kl = 0, last_loss = NAN;
    uint64_t n_mb = 0, epoch_mb = 0;
    bool stop = false;
    /* what is shuffled: samples, or a recurrent policy's whole sequences */
    const uint32_t n_units = tr->S > 0 ? tr->N * tr->K : B;
    for (uint32_t epoch = 0; epoch < pl->ppo.epochs && !stop; epoch++) {
        stats->epochs++;
        epoch_kl = 0.0;
        epoch_mb = 0;
        /* a fresh permutation each epoch (Fisher-Yates on the shuffle stream) */
        for (uint32_t b = 0; b < n_units; b++)
            tr->perm[b] = b;
        for (uint32_t b = n_units; b-- > 1;) {
            const uint32_t j = (uint32_t)ppo_rng_below(&tr->shuffle_rng, (uint64_t)b + 1);
            const uint32_t tmp = tr->perm[b];
            tr->perm[b] = tr->perm[j];
            tr->perm[j] = tmp;
        }
        for (uint32_t m = 0; m < pl->ppo.minibatches && !stop; m++) {
            select_minibatch(tr, &ctx, m);
            if (pl->ppo.normalize_advantages == PPO_ADVNORM_MINIBATCH)
                global_mean_scale(tr, tr->ro.advantages, ctx.idx, mb, &tr->adv_mean,
                                  &tr->adv_scale);
            ppo_pool_run(tr->pool, grad_tasks(tr, true), grad_task, &ctx);
            if (chunk_failure(tr, error))
                return false;
            ppo_objective_sums_t s;
            sum_chunks(tr, true, &s);
            /* every rank sees the same sums, so all take the same decisions below */
            global_sums(tr, &s);
            /* the samples of this minibatch over every rank (recurrent minibatches leave out
             * their padding) */
            const double gmb = tr->S > 0 ? s.n : (double)mb * tr->world;
            double loss;
            if (tr->S > 0) {
                ppo_objective_cfg_t global = ctx.cfg;
                global.inv_batch = 1.0 / gmb;
                loss = ppo_objective_loss(&global, &s);
            } else {
                loss = ppo_objective_loss(&ctx.cfg, &s) / tr->world;
            }
            const double approx_kl = s.approx_kl / gmb;
            sum_pg += s.policy_loss / gmb;
            sum_v += s.value_loss / gmb;
            sum_ent += s.entropy / gmb;
            sum_clip += s.clipped / gmb;
            epoch_kl += approx_kl;
            last_loss = loss;
            n_mb++;
            epoch_mb++;
            /* SB3's rule: stop before stepping once this minibatch drifted too far */
            if (!isnan(pl->ppo.target_kl) && approx_kl > 1.5 * pl->ppo.target_kl) {
                stats->early_stopped = true;
                stop = true;
                break;
            }
            ppo_pool_run(tr->pool, tr->n_reduce_tasks, reduce_task, &ctx);
            double sq = 0.0;
            if (tr->world > 1) {
                /* the mean over ranks of their minibatch gradients, identical on every rank */
                ppo_comm_allreduce_f32(tr->comm, tr->model->grads, tr->model->n_params);
                scale(tr->model->grads, tr->model->n_params, 1.0f / (float)tr->world);
                sq = sum_squares(tr->model->grads, tr->model->n_params);
            } else {
                for (uint32_t k = 0; k < tr->n_reduce_tasks; k++)
                    sq += tr->reduce_sq[k];
            }
            const double norm = sqrt(sq);
            if (!isfinite(loss) || !isfinite(norm)) {
                if (pl->on_nan == PPO_ON_NAN_SKIP_UPDATE) {
                    stats->skipped++;
                    continue;
                }
                /* before the first optimizer step the learning rate had no part in it */
                const bool initial = tr->opt_steps == 0;
                g_set_error(error, PPO_ERROR, PPO_ERROR_NUMERIC,
                            "the %s is %s at iteration %" G_GUINT64_FORMAT ", epoch %u, "
                            "minibatch %u (policy loss %g, value loss %g, gradient norm %g); %s",
                            isfinite(loss) ? "gradient" : "loss",
                            isnan(isfinite(loss) ? norm : loss) ? "NaN" : "infinite",
                            tr->iteration + 1, epoch + 1, m + 1, s.policy_loss / mb,
                            s.value_loss / mb, norm,
                            initial ? "no optimizer step has run yet, so it comes from the "
                                      "initial policy or the data, not the learning rate: check "
                                      "policy.params (an initial log-std or gain far out of "
                                      "range?) and the env's observations and rewards"
                                    : "lower the learning rate, turn on "
                                      "normalize.obs/normalize.reward, or set on_nan: "
                                      "skip_update");
                return false;
            }
            float coef = 1.0f;
            if (!isnan(pl->ppo.max_grad_norm) && pl->ppo.max_grad_norm / (norm + 1e-6) < 1.0)
                coef = (float)(pl->ppo.max_grad_norm / (norm + 1e-6));
            tr->opt_steps++;
            bool finite;
            if (!optimizer_step(tr, lr, coef, &finite, error))
                return false;
            stats->minibatches++;
            if (tr->world > 1 && pl->mpi.check_sync_every > 0 &&
                tr->opt_steps % pl->mpi.check_sync_every == 0 && !check_sync(tr, error))
                return false;
            if (!finite) {
                g_set_error(error, PPO_ERROR, PPO_ERROR_NUMERIC,
                            "the parameters became NaN or infinite after optimizer step %" G_GUINT64_FORMAT
                            " (iteration %" G_GUINT64_FORMAT ", epoch %u, minibatch %u; gradient "
                            "norm %g); lower the learning rate or check the optimizer's params",
                            tr->opt_steps, tr->iteration + 1, epoch + 1, m + 1, norm);
                return false;
            }
        }
    }
    const double k = n_mb > 0 ? (double)n_mb : 1.0;
    stats->policy_loss = sum_pg / k;
    stats->value_loss = sum_v / k;
    stats->entropy = sum_ent / k;
    stats->approx_kl = epoch_mb > 0 ? epoch_kl / (double)epoch_mb : 0.0;
    stats->clip_fraction = sum_clip / k;
    stats->loss = last_loss;
    return true;
}

bool ppo_update_mean_kl(ppo_trainer_t *tr, double *mean_kl, GError **error)
{
    const uint32_t B = tr->T * tr->N, mb = tr->mb_size;
    grad_ctx_t ctx = {.tr = tr, .mb = mb, .backward = false};
    objective_config(tr, tr->pl->ppo.clip, &ctx.cfg);
    const uint32_t n_units = tr->S > 0 ? tr->N * tr->K : B;
    for (uint32_t b = 0; b < n_units; b++)
        tr->perm[b] = b;
    place_chunks(tr, mb);
    double sum = 0.0;
    for (uint32_t m = 0; m < tr->pl->ppo.minibatches; m++) {
        select_minibatch(tr, &ctx, m);
        ppo_pool_run(tr->pool, grad_tasks(tr, false), grad_task, &ctx);
        if (chunk_failure(tr, error))
            return false;
        ppo_objective_sums_t s;
        sum_chunks(tr, false, &s);
        sum += s.kl;
    }
    double acc[2] = {sum, (double)B};
    ppo_comm_allreduce_f64(tr->comm, acc, 2);
    *mean_kl = acc[0] / acc[1];
    return true;
}
