/* ppofw core — advantage estimation and the minibatch epochs of the PPO update.
 *
 * Per minibatch: the samples are cut into fixed gradient chunks (evaluate → objective →
 * backward into the chunk's own gradient array) run on the pool; the chunk gradients are summed
 * in chunk order (each pool task sums one slice of the parameters), the global norm is clipped,
 * and the optimizer steps. SB3's target_kl rule stops the update before a step whose minibatch
 * already drifted too far. Allocates nothing.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_collect_private.h"

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
    ppo_plugin_set_current(ap);
    int rc = ap->vt.advantage.estimate(tr->adv_inst, &view, tr->ro.advantages, tr->ro.returns);
    ppo_plugin_set_current(NULL);
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

/* mean and 1/(std + 1e-8) with PyTorch's unbiased std; no scaling for a single sample */
static void mean_scale(const float *x, const uint32_t *idx, size_t n, double *mean, double *scale)
{
    if (n <= 1) {
        *mean = 0.0;
        *scale = 1.0;
        return;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[idx != NULL ? idx[i] : i];
    const double m = s / (double)n;
    double v = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = x[idx != NULL ? idx[i] : i] - m;
        v += d * d;
    }
    *mean = m;
    *scale = 1.0 / (sqrt(v / (double)(n - 1)) + 1e-8);
}

typedef struct {
    ppo_trainer_t *tr;
    const uint32_t *idx;      /* (mb) sample indices of this minibatch */
    uint32_t mb;
    ppo_objective_cfg_t cfg;
    bool backward;            /* false: evaluate only (mean KL) */
} grad_ctx_t;

/* Record a failed callback; the plugin's message lives in this (worker) thread, so take it now. */
static void chunk_fail(ppo_grad_chunk_t *c, const ppo_plugin_t *pp, const char *callback, int rc)
{
    GError *e = ppo_plugin_error(pp, callback, rc);
    g_free(c->error);
    c->error = g_strdup(e->message);
    c->status = rc != 0 ? rc : -1;
    g_error_free(e);
}

static void grad_task(void *vctx, uint32_t k, uint32_t worker)
{
    grad_ctx_t *ctx = vctx;
    ppo_trainer_t *tr = ctx->tr;
    ppo_grad_chunk_t *c = &tr->chunks[k];
    const uint32_t D = tr->D, A = tr->A, P = tr->P;
    c->first = k * tr->grad_chunk;
    c->count = c->first < ctx->mb ? MIN(tr->grad_chunk, ctx->mb - c->first) : 0;
    c->status = 0;
    memset(&c->sums, 0, sizeof(c->sums));
    if (c->count == 0)
        return;

    /* gather the chunk's samples into contiguous rows */
    for (uint32_t j = 0; j < c->count; j++) {
        const size_t b = ctx->idx[c->first + j];
        memcpy(c->obs + (size_t)j * D, tr->ro.obs + b * D, (size_t)D * sizeof(float));
        memcpy(c->actions + (size_t)j * A, tr->ro.actions + b * A, (size_t)A * sizeof(float));
        memcpy(c->old_dist + (size_t)j * P, tr->ro.dist + b * P, (size_t)P * sizeof(float));
        c->old_logp[j] = tr->ro.logp[b];
        c->old_value[j] = tr->ro.values[b];
        c->ret[j] = tr->ro.returns[b];
        c->adv[j] = (float)(((double)tr->adv_src[b] - tr->adv_mean) * tr->adv_scale);
    }

    const ppo_plugin_t *pp = tr->model->plugin;
    ppo_plugin_set_current(pp);
    int rc = pp->vt.policy.evaluate(tr->model->inst, c->ws, c->count, c->obs, c->actions,
                                    c->old_dist, c->logp, c->entropy, c->kl, c->value);
    ppo_plugin_set_current(NULL);
    if (rc != 0) {
        chunk_fail(c, pp, "evaluate", rc);
        return;
    }
    ppo_objective_eval(&ctx->cfg, c->count, c->logp, c->old_logp, c->adv, c->entropy, c->kl,
                       c->value, c->old_value, c->ret, c->dlogp, c->dentropy, c->dkl, c->dvalue,
                       &c->sums);
    if (!ctx->backward)
        return;
    memset(c->grads, 0, tr->model->n_params * sizeof(float));
    const bool use_kl = ctx->cfg.kind == PPO_OBJECTIVE_KL_PENALTY ||
                        ctx->cfg.kind == PPO_OBJECTIVE_KL_FIXED;
    ppo_plugin_set_current(pp);
    rc = pp->vt.policy.backward(tr->model->inst, c->ws, c->count, c->dlogp, c->dentropy,
                                use_kl ? c->dkl : NULL, c->dvalue, c->grads);
    ppo_plugin_set_current(NULL);
    if (rc != 0)
        chunk_fail(c, pp, "backward", rc);
    (void)worker;
}

/* Sum the chunk gradients into model->grads, one parameter slice per task, and the squares. */
static void reduce_task(void *vctx, uint32_t s, uint32_t worker)
{
    grad_ctx_t *ctx = vctx;
    ppo_trainer_t *tr = ctx->tr;
    const size_t n = tr->model->n_params;
    const size_t j0 = n * s / tr->n_reduce_tasks, j1 = n * (s + 1) / tr->n_reduce_tasks;
    float *g = tr->model->grads;
    uint32_t used = 0;
    for (uint32_t k = 0; k < tr->n_grad_chunks; k++)
        if (tr->chunks[k].count > 0)
            used = k + 1;
    memcpy(g + j0, tr->chunks[0].grads + j0, (j1 - j0) * sizeof(float));
    for (uint32_t k = 1; k < used; k++) {
        const float *src = tr->chunks[k].grads;
        for (size_t j = j0; j < j1; j++)
            g[j] += src[j];
    }
    double sq = 0.0;
    for (size_t j = j0; j < j1; j++)
        sq += (double)g[j] * g[j];
    tr->reduce_sq[s] = sq;
    (void)worker;
}

static bool chunk_failure(ppo_trainer_t *tr, GError **error)
{
    for (uint32_t k = 0; k < tr->n_grad_chunks; k++) {
        if (tr->chunks[k].status != 0) {
            g_set_error_literal(error, PPO_ERROR, PPO_ERROR_PLUGIN, tr->chunks[k].error);
            for (uint32_t j = 0; j < tr->n_grad_chunks; j++)
                tr->chunks[j].status = 0;
            return true;
        }
    }
    return false;
}

static void sum_chunks(const ppo_trainer_t *tr, ppo_objective_sums_t *total)
{
    memset(total, 0, sizeof(*total));
    for (uint32_t k = 0; k < tr->n_grad_chunks; k++) {
        const ppo_objective_sums_t *s = &tr->chunks[k].sums;
        total->policy_loss += s->policy_loss;
        total->value_loss += s->value_loss;
        total->entropy += s->entropy;
        total->kl += s->kl;
        total->approx_kl += s->approx_kl;
        total->clipped += s->clipped;
        total->n += s->n;
    }
}

static bool params_finite(const ppo_model_t *m)
{
    for (size_t j = 0; j < m->n_params; j++)
        if (!isfinite(m->params[j]))
            return false;
    return true;
}

static void objective_config(const ppo_trainer_t *tr, double clip, ppo_objective_cfg_t *cfg)
{
    const ppo_pipeline_t *pl = tr->pl;
    cfg->kind = pl->ppo.objective;
    cfg->clip = clip;
    cfg->vf_clip = pl->ppo.vf_clip;
    cfg->vf_coef = pl->ppo.vf_coef;
    cfg->ent_coef = pl->ppo.ent_coef;
    cfg->beta = tr->kl_beta;
    cfg->inv_batch = 1.0 / tr->mb_size;
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
        mean_scale(tr->ro.advantages, NULL, B, &mean, &scale);
        for (uint32_t b = 0; b < B; b++)
            tr->adv_batch[b] = (float)((tr->ro.advantages[b] - mean) * scale);
        tr->adv_src = tr->adv_batch;
    }

    double sum_pg = 0, sum_v = 0, sum_ent = 0, sum_kl = 0, sum_clip = 0, sum_loss = 0;
    uint64_t n_mb = 0;
    bool stop = false;
    const ppo_optimizer_vtable_t *ovt = &tr->session->optimizer->vt.optimizer;
    for (uint32_t epoch = 0; epoch < pl->ppo.epochs && !stop; epoch++) {
        /* a fresh permutation each epoch (Fisher-Yates on the shuffle stream) */
        for (uint32_t b = 0; b < B; b++)
            tr->perm[b] = b;
        for (uint32_t b = B; b-- > 1;) {
            const uint32_t j = (uint32_t)ppo_rng_below(&tr->shuffle_rng, (uint64_t)b + 1);
            const uint32_t tmp = tr->perm[b];
            tr->perm[b] = tr->perm[j];
            tr->perm[j] = tmp;
        }
        for (uint32_t m = 0; m < pl->ppo.minibatches && !stop; m++) {
            ctx.idx = tr->perm + (size_t)m * mb;
            if (pl->ppo.normalize_advantages == PPO_ADVNORM_MINIBATCH)
                mean_scale(tr->ro.advantages, ctx.idx, mb, &tr->adv_mean, &tr->adv_scale);
            ppo_pool_run(tr->pool, tr->n_grad_chunks, grad_task, &ctx);
            if (chunk_failure(tr, error))
                return false;
            ppo_objective_sums_t s;
            sum_chunks(tr, &s);
            const double loss = ppo_objective_loss(&ctx.cfg, &s);
            const double approx_kl = s.approx_kl / mb;
            sum_pg += s.policy_loss / mb;
            sum_v += s.value_loss / mb;
            sum_ent += s.entropy / mb;
            sum_kl += approx_kl;
            sum_clip += s.clipped / mb;
            sum_loss += loss;
            n_mb++;
            /* SB3's rule: stop before stepping once this minibatch drifted too far */
            if (!isnan(pl->ppo.target_kl) && approx_kl > 1.5 * pl->ppo.target_kl) {
                stats->early_stopped = true;
                stop = true;
                break;
            }
            ppo_pool_run(tr->pool, tr->n_reduce_tasks, reduce_task, &ctx);
            double sq = 0.0;
            for (uint32_t k = 0; k < tr->n_reduce_tasks; k++)
                sq += tr->reduce_sq[k];
            const double norm = sqrt(sq);
            if (!isfinite(loss) || !isfinite(norm)) {
                if (pl->on_nan == PPO_ON_NAN_SKIP_UPDATE) {
                    stats->skipped++;
                    continue;
                }
                g_set_error(error, PPO_ERROR, PPO_ERROR_NUMERIC,
                            "the %s is %s at iteration %" G_GUINT64_FORMAT ", epoch %u, "
                            "minibatch %u (policy loss %g, value loss %g, gradient norm %g); "
                            "lower the learning rate, turn on normalize.obs/normalize.reward, or "
                            "set on_nan: skip_update",
                            isfinite(loss) ? "gradient" : "loss",
                            isnan(isfinite(loss) ? norm : loss) ? "NaN" : "infinite",
                            tr->iteration + 1, epoch + 1, m + 1, s.policy_loss / mb,
                            s.value_loss / mb, norm);
                return false;
            }
            if (!isnan(pl->ppo.max_grad_norm)) {
                const double coef = pl->ppo.max_grad_norm / (norm + 1e-6);
                if (coef < 1.0) {
                    const float f = (float)coef;
                    for (size_t j = 0; j < tr->model->n_params; j++)
                        tr->model->grads[j] *= f;
                }
            }
            tr->opt_steps++;
            const ppo_plugin_t *op = tr->session->optimizer;
            ppo_plugin_set_current(op);
            int rc = ovt->step(tr->opt_inst, tr->model->params, tr->model->grads,
                               tr->model->opt_state, tr->model->n_params, lr, tr->opt_steps);
            ppo_plugin_set_current(NULL);
            if (rc != 0) {
                *error = ppo_plugin_error(op, "step", rc);
                return false;
            }
            stats->minibatches++;
            if (!params_finite(tr->model)) {
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
    stats->approx_kl = sum_kl / k;
    stats->clip_fraction = sum_clip / k;
    stats->loss = sum_loss / k;
    return true;
}

bool ppo_update_mean_kl(ppo_trainer_t *tr, double *mean_kl, GError **error)
{
    const uint32_t B = tr->T * tr->N, mb = tr->mb_size;
    grad_ctx_t ctx = {.tr = tr, .mb = mb, .backward = false};
    objective_config(tr, tr->pl->ppo.clip, &ctx.cfg);
    for (uint32_t b = 0; b < B; b++)
        tr->perm[b] = b;
    double sum = 0.0;
    for (uint32_t start = 0; start < B; start += mb) {
        ctx.idx = tr->perm + start;
        ppo_pool_run(tr->pool, tr->n_grad_chunks, grad_task, &ctx);
        if (chunk_failure(tr, error))
            return false;
        ppo_objective_sums_t s;
        sum_chunks(tr, &s);
        sum += s.kl;
    }
    *mean_kl = sum / B;
    return true;
}
