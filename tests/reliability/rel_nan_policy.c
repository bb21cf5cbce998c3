/* ppofw reliability fixture "rel_nan_policy" — a linear policy whose gradients turn NaN on cue.
 *
 * A categorical policy for discrete actions: logits = W obs + b, value = v . obs + c, all
 * parameters starting at 0. Its backward is exact, except that backward calls number
 * nan_from .. nan_from + nan_count - 1 of an instance (counted from 1 in this process; nan_count
 * -1: every call from nan_from on) write NaN into the first gradient element, as an overflowing
 * network would. With nan_from 0 it never does. The core's numerical guard must then stop the run
 * (on_nan: stop) or skip those minibatches (on_nan: skip_update).
 *
 * What it leaves out: box action spaces, hidden layers, per-env state and export.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw/ppofw.h>

static const ppo_param_spec_t rel_nan_policy_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_INT,
        .name = "nan_from",
        .default_value = "0",
        .min = 0,
        .doc = "the first backward call (from 1) whose gradient is NaN; 0 for never",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_INT,
        .name = "nan_count",
        .default_value = "-1",
        .min = -1,
        .doc = "how many backward calls from nan_from on are NaN; -1 for all",
    },
};

typedef struct {
    const ppo_host_t *host;
    uint32_t D, n; /* observation size, number of actions */
    int64_t nan_from, nan_count;
    atomic_llong calls;  /* backward calls so far */
    const float *params; /* bound: W (n, D), b (n), v (D), c (1) */
    ppo_segment_t segs[4];
} rel_policy_t;

/* One workspace: what the last evaluate saw, for backward. */
typedef struct {
    uint32_t max_batch;
    float *logits;     /* (max_batch, n) */
    float *obs;        /* (max_batch, D) */
    float *actions;    /* (max_batch) */
    float *old_logits; /* (max_batch, n) */
    float *dlogits;    /* (max_batch, n) */
    int has_old;
} rel_ws_t;

static void *rel_create(const ppo_host_t *host, const ppo_params_t *params,
                        const ppo_policy_setup_t *setup)
{
    if (setup->act_space->kind != PPO_SPACE_DISCRETE) {
        host->error(host, "handles discrete action spaces only; use mlp for a box");
        return NULL;
    }
    rel_policy_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    p->host = host;
    p->D = setup->obs_space->dim;
    p->n = setup->act_space->n;
    p->nan_from = ppo_params_get_int(params, "nan_from");
    p->nan_count = ppo_params_get_int(params, "nan_count");
    atomic_init(&p->calls, 0);
    static const char *const names[4] = {"pi.weight", "pi.bias", "vf.weight", "vf.bias"};
    const uint32_t rows[4] = {p->n, p->n, 1, 1}, cols[4] = {p->D, 1, p->D, 1};
    for (int k = 0; k < 4; k++) {
        p->segs[k].struct_size = sizeof(ppo_segment_t);
        p->segs[k].init = PPO_INIT_CONSTANT;
        p->segs[k].name = names[k];
        p->segs[k].rows = rows[k];
        p->segs[k].cols = cols[k];
        p->segs[k].value = 0.0;
    }
    return p;
}

static void rel_destroy(void *inst)
{
    free(inst);
}

static const ppo_segment_t *rel_segments(void *inst, uint32_t *n_segments)
{
    *n_segments = 4;
    return ((rel_policy_t *)inst)->segs;
}

static uint32_t rel_dist_size(void *inst)
{
    return ((rel_policy_t *)inst)->n;
}

static void rel_bind(void *inst, const float *params)
{
    ((rel_policy_t *)inst)->params = params;
}

static void *rel_ws_create(void *inst, uint32_t max_batch)
{
    rel_policy_t *p = inst;
    rel_ws_t *w = calloc(1, sizeof(*w));
    if (w == NULL)
        goto fail;
    w->max_batch = max_batch;
    w->logits = calloc((size_t)max_batch * p->n, sizeof(float));
    w->obs = calloc((size_t)max_batch * p->D, sizeof(float));
    w->actions = calloc(max_batch, sizeof(float));
    w->old_logits = calloc((size_t)max_batch * p->n, sizeof(float));
    w->dlogits = calloc((size_t)max_batch * p->n, sizeof(float));
    if (w->logits != NULL && w->obs != NULL && w->actions != NULL && w->old_logits != NULL &&
        w->dlogits != NULL)
        return w;
fail:
    if (w != NULL) {
        free(w->logits);
        free(w->obs);
        free(w->actions);
        free(w->old_logits);
        free(w->dlogits);
        free(w);
    }
    p->host->error(p->host, "out of memory for a workspace of %u rows", max_batch);
    return NULL;
}

static void rel_ws_destroy(void *inst, void *ws)
{
    (void)inst;
    rel_ws_t *w = ws;
    if (w == NULL)
        return;
    free(w->logits);
    free(w->obs);
    free(w->actions);
    free(w->old_logits);
    free(w->dlogits);
    free(w);
}

/* logits (B, n) and values (B) of obs (B, D) */
static void rel_forward(const rel_policy_t *p, uint32_t B, const float *obs, float *logits,
                        float *values)
{
    const float *W = p->params, *b = W + (size_t)p->n * p->D, *v = b + p->n, *c = v + p->D;
    for (uint32_t r = 0; r < B; r++) {
        const float *o = obs + (size_t)r * p->D;
        for (uint32_t k = 0; k < p->n; k++) {
            double s = b[k];
            for (uint32_t j = 0; j < p->D; j++)
                s += (double)W[(size_t)k * p->D + j] * o[j];
            logits[(size_t)r * p->n + k] = (float)s;
        }
        if (values != NULL) {
            double s = c[0];
            for (uint32_t j = 0; j < p->D; j++)
                s += (double)v[j] * o[j];
            values[r] = (float)s;
        }
    }
}

static int rel_act(void *inst, void *ws, uint32_t B, const float *obs, const uint32_t *env_index,
                   ppo_rng_t *const *rngs, int deterministic, float *actions_out, float *logp_out,
                   float *value_out, float *dist_out)
{
    rel_policy_t *p = inst;
    (void)ws;
    (void)env_index;
    rel_forward(p, B, obs, dist_out, value_out);
    ppo_categorical_act(B, p->n, dist_out, rngs, deterministic, actions_out, logp_out);
    return 0;
}

static int rel_value(void *inst, void *ws, uint32_t B, const float *obs, float *value_out)
{
    rel_policy_t *p = inst;
    rel_ws_t *w = ws;
    rel_forward(p, B, obs, w->logits, value_out);
    return 0;
}

static int rel_evaluate(void *inst, void *ws, uint32_t B, const float *obs, const float *actions,
                        const float *old_dist, float *logp_out, float *entropy_out, float *kl_out,
                        float *value_out)
{
    rel_policy_t *p = inst;
    rel_ws_t *w = ws;
    rel_forward(p, B, obs, w->logits, value_out);
    memcpy(w->obs, obs, (size_t)B * p->D * sizeof(float));
    memcpy(w->actions, actions, (size_t)B * sizeof(float));
    w->has_old = old_dist != NULL;
    if (old_dist != NULL)
        memcpy(w->old_logits, old_dist, (size_t)B * p->n * sizeof(float));
    ppo_categorical_evaluate(B, p->n, w->logits, actions, old_dist, logp_out, entropy_out,
                             old_dist != NULL ? kl_out : NULL);
    return 0;
}

static int rel_backward(void *inst, void *ws, uint32_t B, const float *dlogp, const float *dentropy,
                        const float *dkl, const float *dvalue, float *grad_out)
{
    rel_policy_t *p = inst;
    rel_ws_t *w = ws;
    ppo_categorical_backward(B, p->n, w->logits, w->actions, w->has_old ? w->old_logits : NULL,
                             dlogp, dentropy, w->has_old ? dkl : NULL, w->dlogits);
    float *gW = grad_out, *gb = gW + (size_t)p->n * p->D, *gv = gb + p->n, *gc = gv + p->D;
    for (uint32_t r = 0; r < B; r++) {
        const float *o = w->obs + (size_t)r * p->D;
        for (uint32_t k = 0; k < p->n; k++) {
            const float d = w->dlogits[(size_t)r * p->n + k];
            gb[k] += d;
            for (uint32_t j = 0; j < p->D; j++)
                gW[(size_t)k * p->D + j] += d * o[j];
        }
        if (dvalue != NULL) {
            gc[0] += dvalue[r];
            for (uint32_t j = 0; j < p->D; j++)
                gv[j] += dvalue[r] * o[j];
        }
    }
    const long long call = atomic_fetch_add(&p->calls, 1) + 1;
    if (p->nan_from > 0 && call >= p->nan_from &&
        (p->nan_count < 0 || call < p->nan_from + p->nan_count))
        grad_out[0] = NAN;
    return 0;
}

static const ppo_policy_vtable_t rel_nan_policy_vtable = {
    .struct_size = sizeof(ppo_policy_vtable_t),
    .create = rel_create,
    .destroy = rel_destroy,
    .segments = rel_segments,
    .dist_size = rel_dist_size,
    .bind = rel_bind,
    .ws_create = rel_ws_create,
    .ws_destroy = rel_ws_destroy,
    .act = rel_act,
    .value = rel_value,
    .evaluate = rel_evaluate,
    .backward = rel_backward,
};

PPO_PLUGIN_DEFINE(PPO_KIND_POLICY, "rel_nan_policy", "1.0.0",
                  "reliability fixture: a linear policy whose gradients turn NaN on cue",
                  rel_nan_policy_params, PPO_ARRAY_LEN(rel_nan_policy_params),
                  &rel_nan_policy_vtable)
