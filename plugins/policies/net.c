/* net — the pieces the shipped policy plugins share (net.h): segment tables, dense stacks,
 * action distributions, workspace layout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* ---- parameters ---- */

const char *const net_activation_choices[] = {"tanh", "relu", NULL};

ppo_activation_t net_param_activation(const ppo_params_t *params)
{
    return ppo_params_get_enum_index(params, "activation") == 1 ? PPO_ACTIVATION_RELU
                                                                : PPO_ACTIVATION_TANH;
}

/* ---- the segment table ---- */

int net_table_init(net_table_t *t, uint32_t cap)
{
    *t = (net_table_t){.cap = cap};
    t->segs = calloc(cap > 0 ? cap : 1, sizeof(*t->segs));
    t->names = calloc(cap > 0 ? cap : 1, NET_NAME_LEN);
    t->offset = calloc(cap > 0 ? cap : 1, sizeof(*t->offset));
    if (t->segs == NULL || t->names == NULL || t->offset == NULL) {
        net_table_free(t);
        return -1;
    }
    return 0;
}

void net_table_free(net_table_t *t)
{
    free(t->segs);
    free(t->names);
    free(t->offset);
    *t = (net_table_t){0};
}

uint32_t net_table_add(net_table_t *t, const char *name, uint32_t rows, uint32_t cols,
                       ppo_init_kind_t init, double value, double gain)
{
    const uint32_t k = t->n_segs++;
    char *dst = t->names + (size_t)k * NET_NAME_LEN;
    snprintf(dst, NET_NAME_LEN, "%s", name);
    t->segs[k] = (ppo_segment_t){
        .struct_size = sizeof(ppo_segment_t),
        .init = init,
        .name = dst,
        .rows = rows,
        .cols = cols,
        .value = value,
        .gain = gain,
    };
    t->offset[k] =
        k == 0 ? 0 : t->offset[k - 1] + (size_t)t->segs[k - 1].rows * t->segs[k - 1].cols;
    return k;
}

size_t net_table_floats(const net_table_t *t)
{
    if (t->n_segs == 0)
        return 0;
    const ppo_segment_t *last = &t->segs[t->n_segs - 1];
    return t->offset[t->n_segs - 1] + (size_t)last->rows * last->cols;
}

/* ---- dense layers ---- */

void net_add_linear(net_table_t *t, net_layer_t *layer, const char *prefix, uint32_t in,
                    uint32_t out, int ortho, double gain)
{
    char name[NET_NAME_LEN];
    const double bound = 1.0 / sqrt((double)in);
    layer->in = in;
    layer->out = out;
    snprintf(name, sizeof(name), "%s.weight", prefix);
    layer->weight = ortho ? net_table_add(t, name, out, in, PPO_INIT_ORTHOGONAL, 0.0, gain)
                          : net_table_add(t, name, out, in, PPO_INIT_UNIFORM, bound, 0.0);
    snprintf(name, sizeof(name), "%s.bias", prefix);
    if (ortho)
        net_table_add(t, name, out, 1, PPO_INIT_CONSTANT, 0.0, 0.0);
    else
        net_table_add(t, name, out, 1, PPO_INIT_UNIFORM, bound, 0.0);
}

const float *net_dense_forward(const net_table_t *t, const float *params, ppo_activation_t act,
                               uint32_t B, const net_layer_t *layers, uint32_t n, const float *x,
                               float *const *outs)
{
    for (uint32_t k = 0; k < n; k++) {
        const net_layer_t *L = &layers[k];
        ppo_linear_forward(B, L->in, L->out, x, net_seg(t, params, L->weight),
                           net_seg(t, params, L->weight + 1), outs[k]);
        ppo_activation_forward(act, B * L->out, outs[k]);
        x = outs[k];
    }
    return x;
}

float *net_dense_backward(const net_table_t *t, const float *params, ppo_activation_t act,
                          uint32_t B, const net_layer_t *layers, uint32_t n, float *const *outs,
                          const float *x, float *d, float *other, int want_dx, float *grad)
{
    for (uint32_t k = n; k-- > 0;) {
        const net_layer_t *L = &layers[k];
        ppo_activation_backward(act, B * L->out, outs[k], d);
        float *dx = k > 0 || want_dx ? other : NULL;
        ppo_linear_backward(B, L->in, L->out, k > 0 ? outs[k - 1] : x,
                            net_seg(t, params, L->weight), d, dx, net_grad(t, grad, L->weight),
                            net_grad(t, grad, L->weight + 1));
        other = d;
        d = dx;
    }
    return want_dx ? d : NULL;
}

/* ---- action distributions ---- */

const char *net_space_kind_name(ppo_space_kind_t kind)
{
    switch (kind) {
    case PPO_SPACE_DISCRETE:
        return "discrete";
    case PPO_SPACE_BOX:
        return "box";
    case PPO_SPACE_MULTI_DISCRETE:
        return "multi_discrete";
    case PPO_SPACE_DICT:
        return "dict";
    default:
        return "unknown";
    }
}

int net_dist_init(net_dist_t *d, const ppo_host_t *host, const ppo_policy_setup_t *setup,
                  const char *who, int allow_multi)
{
    const ppo_space_t *obs = setup->obs_space, *act = setup->act_space;
    if (obs == NULL || obs->kind != PPO_SPACE_BOX || obs->dim < 1) {
        host->error(host,
                    "the observation space is %s; %s needs a box observation space with at "
                    "least one component",
                    obs == NULL ? "missing" : net_space_kind_name(obs->kind), who);
        return -1;
    }
    if (act == NULL || (act->kind != PPO_SPACE_DISCRETE && act->kind != PPO_SPACE_BOX &&
                        (act->kind != PPO_SPACE_MULTI_DISCRETE || !allow_multi))) {
        host->error(host,
                    "the action space is %s; %s handles discrete (categorical head)%s and box "
                    "(Gaussian head) action spaces",
                    act == NULL ? "missing" : net_space_kind_name(act->kind), who,
                    allow_multi ? ", multi-discrete (a categorical per component)" : "");
        return -1;
    }
    switch (act->kind) {
    case PPO_SPACE_DISCRETE:
        if (act->n < 2) {
            host->error(host, "the discrete action space has %u actions; %s needs at least 2",
                        act->n, who);
            return -1;
        }
        *d = (net_dist_t){NET_DIST_CATEGORICAL, 1, act->n, act->n, NULL};
        return 0;
    case PPO_SPACE_BOX:
        if (act->dim < 1) {
            host->error(host, "the box action space has no components");
            return -1;
        }
        *d = (net_dist_t){NET_DIST_GAUSSIAN, act->dim, 2 * act->dim, act->dim, NULL};
        return 0;
    default: {
        /* multi-discrete */
        uint64_t P = 0;
        for (uint32_t k = 0; k < act->dim && act->nvec != NULL; k++) {
            if (act->nvec[k] < 2) {
                host->error(host,
                            "component %u of the multi-discrete action space has %u choices; %s "
                            "needs at least 2",
                            k, act->nvec[k], who);
                return -1;
            }
            P += act->nvec[k];
        }
        if (act->dim < 1 || act->nvec == NULL || P > UINT32_MAX) {
            host->error(host, "the multi-discrete action space has %s",
                        act->dim < 1 || act->nvec == NULL ? "no components"
                                                          : "more than 2^32 - 1 choices in all");
            return -1;
        }
        *d = (net_dist_t){NET_DIST_MULTI, act->dim, (uint32_t)P, (uint32_t)P, act->nvec};
        return 0;
    }
    }
}

void net_dist_forward(const net_dist_t *d, uint32_t B, const float *y, const float *log_std,
                      float *dist)
{
    const uint32_t A = d->A;
    if (d->kind != NET_DIST_GAUSSIAN) {
        if (y != dist)
            memcpy(dist, y, (size_t)B * d->P * sizeof(float));
        return;
    }
    for (uint32_t r = 0; r < B; r++) {
        float *row = dist + (size_t)r * 2 * A;
        memcpy(row, y + (size_t)r * A, A * sizeof(float));
        memcpy(row + A, log_std, A * sizeof(float));
    }
}

void net_dist_act(const net_dist_t *d, uint32_t B, const float *dist, ppo_rng_t *const *rngs,
                  int deterministic, float *actions_out, float *logp_out)
{
    switch (d->kind) {
    case NET_DIST_CATEGORICAL:
        ppo_categorical_act(B, d->P, dist, rngs, deterministic, actions_out, logp_out);
        break;
    case NET_DIST_GAUSSIAN:
        ppo_gaussian_act(B, d->A, dist, rngs, deterministic, actions_out, logp_out);
        break;
    case NET_DIST_MULTI:
        ppo_multi_categorical_act(B, d->A, d->nvec, dist, rngs, deterministic, actions_out,
                                  logp_out);
        break;
    }
}

void net_dist_evaluate(const net_dist_t *d, uint32_t B, const float *dist, const float *actions,
                       const float *old_dist, float *logp_out, float *entropy_out, float *kl_out)
{
    switch (d->kind) {
    case NET_DIST_CATEGORICAL:
        ppo_categorical_evaluate(B, d->P, dist, actions, old_dist, logp_out, entropy_out, kl_out);
        break;
    case NET_DIST_GAUSSIAN:
        ppo_gaussian_evaluate(B, d->A, dist, actions, old_dist, logp_out, entropy_out, kl_out);
        break;
    case NET_DIST_MULTI:
        ppo_multi_categorical_evaluate(B, d->A, d->nvec, dist, actions, old_dist, logp_out,
                                       entropy_out, kl_out);
        break;
    }
}

const float *net_dist_backward(const net_dist_t *d, uint32_t B, const float *dist,
                               const float *actions, const float *old_dist, const float *dlogp,
                               const float *dentropy, const float *dkl, float *ddist, float *dmean,
                               float *dlog_std)
{
    const uint32_t A = d->A;
    switch (d->kind) {
    case NET_DIST_CATEGORICAL:
        ppo_categorical_backward(B, d->P, dist, actions, old_dist, dlogp, dentropy, dkl, ddist);
        return ddist;
    case NET_DIST_MULTI:
        ppo_multi_categorical_backward(B, A, d->nvec, dist, actions, old_dist, dlogp, dentropy, dkl,
                                       ddist);
        return ddist;
    case NET_DIST_GAUSSIAN:
    default:
        break;
    }
    ppo_gaussian_backward(B, A, dist, actions, old_dist, dlogp, dentropy, dkl, ddist);
    for (uint32_t r = 0; r < B; r++)
        memcpy(dmean + (size_t)r * A, ddist + (size_t)r * 2 * A, A * sizeof(float));
    for (uint32_t a = 0; a < A && dlog_std != NULL; a++) {
        double s = 0.0;
        for (uint32_t r = 0; r < B; r++)
            s += ddist[(size_t)r * 2 * A + A + a];
        dlog_std[a] += (float)s;
    }
    return dmean;
}

/* ---- workspaces ---- */

float *net_take(net_arena_t *a, uint64_t n)
{
    float *p = a->base != NULL ? a->base + a->at : NULL;
    a->at += (size_t)((n + 15) & ~(uint64_t)15);
    return p;
}

int net_arena_alloc(net_arena_t *a, const ppo_host_t *host, const char *what, uint32_t max_batch)
{
    const size_t total = a->at;
    if (total > SIZE_MAX / sizeof(float)) {
        host->error(host, "%s workspace for %u rows is too large", what, max_batch);
        return -1;
    }
    a->base = host->aligned_alloc(64, total > 0 ? total * sizeof(float) : 64);
    if (a->base == NULL) {
        host->error(host, "out of memory allocating %s workspace for %u rows", what, max_batch);
        return -1;
    }
    memset(a->base, 0, total * sizeof(float));
    a->at = 0;
    return 0;
}
