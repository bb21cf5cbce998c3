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
    const size_t room = cap > 0 ? cap : 1;
    ppo_segment_t *segs = calloc(room, sizeof(*segs));
    size_t *offsets = calloc(room, sizeof(*offsets));
    *t = (net_table_t){.tab = PPO_SEGMENT_TABLE(segs, offsets, cap),
                       .names = calloc(room, NET_NAME_LEN)};
    if (segs == NULL || offsets == NULL || t->names == NULL) {
        net_table_free(t);
        return -1;
    }
    return 0;
}

void net_table_free(net_table_t *t)
{
    free(t->tab.segments);
    free(t->tab.offsets);
    free(t->names);
    *t = (net_table_t){.tab = PPO_SEGMENT_TABLE(NULL, NULL, 0)};
}

/* Room for the name of segment k (a copy of `name`), or `name` itself past the table's end (the
 * add then fails without keeping it). */
static const char *keep_name(net_table_t *t, uint32_t k, const char *name)
{
    if (k >= t->tab.capacity)
        return name;
    char *dst = t->names + (size_t)k * NET_NAME_LEN;
    snprintf(dst, NET_NAME_LEN, "%s", name);
    return dst;
}

uint32_t net_table_add(net_table_t *t, const char *name, uint32_t rows, uint32_t cols,
                       ppo_init_kind_t init, double value, double gain)
{
    return ppo_segment_table_add(&t->tab, keep_name(t, t->tab.n_segments, name), rows, cols, init,
                                 value, gain);
}

int net_table_check(const net_table_t *t, const ppo_host_t *host, const char *who)
{
    if (!t->tab.failed)
        return 0;
    host->error(host,
                "%s: its segment table of %u entries did not hold every segment (a bug in "
                "the policy)",
                who, t->tab.capacity);
    return -1;
}

/* ---- dense layers ---- */

void net_add_linear(net_table_t *t, net_layer_t *layer, const char *prefix, uint32_t in,
                    uint32_t out, int ortho, double gain)
{
    char weight[NET_NAME_LEN], bias[NET_NAME_LEN];
    const double bound = 1.0 / sqrt((double)in);
    snprintf(weight, sizeof(weight), "%s.weight", prefix);
    snprintf(bias, sizeof(bias), "%s.bias", prefix);
    layer->in = in;
    layer->out = out;
    if (ortho) {
        const uint32_t k = t->tab.n_segments;
        layer->weight = ppo_segment_table_add_linear(&t->tab, keep_name(t, k, weight),
                                                     keep_name(t, k + 1, bias), in, out, gain);
        return;
    }
    layer->weight = net_table_add(t, weight, out, in, PPO_INIT_UNIFORM, bound, 0.0);
    net_table_add(t, bias, out, 1, PPO_INIT_UNIFORM, bound, 0.0);
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
                    allow_multi ? ", multi_discrete (one categorical per component)" : "");
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
    ppo_gaussian_head_forward(B, A, y, log_std, dist);
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
    ppo_gaussian_head_backward(B, A, ddist, dmean, dlog_std);
    return dmean;
}

/* ---- computing calls ---- */

int net_check_call(const ppo_host_t *host, const float *params, const void *ws, uint32_t max_batch,
                   uint64_t rows, const char *what)
{
    if (params == NULL) {
        host->error(host, "%s before bind(): the policy has no parameters", what);
        return -1;
    }
    if (ws == NULL || rows > max_batch) {
        host->error(host, "%s of %llu rows on a workspace made for %u", what,
                    (unsigned long long)rows, ws != NULL ? max_batch : 0);
        return -1;
    }
    return 0;
}

int net_check_backward(const ppo_host_t *host, uint32_t last_B, uint32_t last_parts, uint32_t B,
                       uint32_t parts)
{
    if (last_B == B && (last_parts & parts) == parts)
        return 0;
    host->error(host,
                "backward of %u rows, but the last call on this workspace was %s; call evaluate "
                "on the same rows first",
                B,
                last_B == 0   ? "not an evaluate"
                : last_B != B ? "an evaluate of another size"
                              : "an evaluate of the other part");
    return -1;
}

uint32_t net_part_bits(const ppo_host_t *host, int shared, uint32_t part, const char *what)
{
    if (shared || part > 1) {
        host->error(host, "%s(%u) on a policy that is %s", what, part,
                    shared ? "one part (share_trunk: true)" : "two parts, 0 and 1");
        return 0;
    }
    return part == 0 ? NET_PART_DIST : NET_PART_VALUE;
}

void net_keep_inputs(net_kept_t *k, const net_dist_t *d, uint32_t parts, uint32_t B, uint32_t D,
                     const float *obs, const float *actions, const float *old_dist)
{
    k->B = 0;
    memcpy(k->obs, obs, (size_t)B * D * sizeof(float));
    if (!(parts & NET_PART_DIST))
        return;
    memcpy(k->actions, actions, (size_t)B * d->A * sizeof(float));
    k->has_old = old_dist != NULL;
    if (old_dist != NULL)
        memcpy(k->old_dist, old_dist, (size_t)B * d->P * sizeof(float));
}

void net_kept_evaluate(const net_kept_t *k, const net_dist_t *d, uint32_t B, const float *dist,
                       float *logp_out, float *entropy_out, float *kl_out)
{
    net_dist_evaluate(d, B, dist, k->actions, k->has_old ? k->old_dist : NULL, logp_out,
                      entropy_out, kl_out);
}

int net_backward_begin(const ppo_host_t *host, const net_kept_t *k, uint32_t parts, uint32_t B,
                       net_dloss_t *dl)
{
    if (net_check_backward(host, k->B, k->parts, B, parts) != 0)
        return -1;
    if (!(parts & NET_PART_DIST))
        dl->dlogp = dl->dentropy = dl->dkl = NULL;
    if (!(parts & NET_PART_VALUE))
        dl->dvalue = NULL;
    if (!k->has_old)
        dl->dkl = NULL;
    return 0;
}

int net_backward_head(const net_table_t *t, const float *params, const net_dist_t *d,
                      const net_kept_t *k, uint32_t B, const net_layer_t *head, const float *z,
                      const float *dist, const net_dloss_t *dl, float *ddist, float *dhead,
                      float *dlog_std, float *dz, float *grad)
{
    if (dl->dlogp == NULL && dl->dentropy == NULL && dl->dkl == NULL)
        return 0;
    const float *dy = net_dist_backward(d, B, dist, k->actions, k->has_old ? k->old_dist : NULL,
                                        dl->dlogp, dl->dentropy, dl->dkl, ddist, dhead, dlog_std);
    ppo_linear_backward(B, head->in, head->out, z, net_seg(t, params, head->weight), dy, dz,
                        net_grad(t, grad, head->weight), net_grad(t, grad, head->weight + 1));
    return 1;
}

int net_backward_value_head(const net_table_t *t, const float *params, uint32_t B,
                            const net_layer_t *vf, const float *z, const float *dvalue, float *dz,
                            int have_dz, float *scratch, float *grad)
{
    float *dv = dz == NULL ? NULL : have_dz ? scratch : dz;
    ppo_linear_backward(B, vf->in, 1, z, net_seg(t, params, vf->weight), dvalue, dv,
                        net_grad(t, grad, vf->weight), net_grad(t, grad, vf->weight + 1));
    if (dv == scratch)
        for (size_t i = 0; i < (size_t)B * vf->in; i++)
            dz[i] += scratch[i];
    return dz != NULL;
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

/* ---- export_c ---- */

int net_export_begin(FILE *out, const ppo_host_t *host, const ppo_codegen_policy_t *pol,
                     const char *summary)
{
    if (out == NULL) {
        host->error(host, "export_c needs an output file");
        return -1;
    }
    if (ppo_codegen_preamble(out, pol, summary) != 0) {
        host->error(host,
                    "export_c: the observation normalizer does not fit the policy (dimension %u "
                    "for %u observations, or a value that is not finite)",
                    pol->norm != NULL ? pol->norm->dim : 0, pol->obs_space->dim);
        return -1;
    }
    return 0;
}

int net_export_segment(FILE *out, const ppo_host_t *host, const net_table_t *t, const float *params,
                       uint32_t seg, const char *name)
{
    const ppo_segment_t *s = &t->tab.segments[seg];
    if (ppo_codegen_floats(out, name, net_seg(t, params, seg), s->rows, s->cols) != 0) {
        host->error(host, "export_c: the parameters hold a NaN or Inf; nothing to export");
        return -1;
    }
    return 0;
}

int net_export_layer(FILE *out, const ppo_host_t *host, const net_table_t *t, const float *params,
                     uint32_t weight, const char *name)
{
    char full[96];
    snprintf(full, sizeof(full), "ppo_policy_%s_weight", name);
    if (net_export_segment(out, host, t, params, weight, full) != 0)
        return -1;
    snprintf(full, sizeof(full), "ppo_policy_%s_bias", name);
    return net_export_segment(out, host, t, params, weight + 1, full);
}

int net_export_layers(FILE *out, const ppo_host_t *host, const net_table_t *t, const float *params,
                      const net_layer_t *layers, uint32_t n, const char *prefix)
{
    char name[64];
    for (uint32_t k = 0; k < n; k++) {
        snprintf(name, sizeof(name), "%s_%u", prefix, k);
        if (net_export_layer(out, host, t, params, layers[k].weight, name) != 0)
            return -1;
    }
    return 0;
}

const char *net_export_dense(FILE *out, const net_layer_t *layers, uint32_t n, const char *prefix,
                             const char *in, ppo_activation_t act, const char *const bufs[2],
                             int *next)
{
    char w[96], b[96];
    for (uint32_t k = 0; k < n; k++) {
        snprintf(w, sizeof(w), "ppo_policy_%s_%u_weight", prefix, k);
        snprintf(b, sizeof(b), "ppo_policy_%s_%u_bias", prefix, k);
        ppo_codegen_dense(out, layers[k].in, layers[k].out, in, w, b, bufs[*next], act);
        in = bufs[*next];
        *next = 1 - *next;
    }
    return in;
}

int net_export_end(FILE *out, const ppo_host_t *host, const ppo_codegen_policy_t *pol,
                   uint32_t n_out, const char *y)
{
    int rc;
    switch (pol->act_space->kind) {
    case PPO_SPACE_DISCRETE:
        rc = ppo_codegen_argmax(out, n_out, y);
        break;
    case PPO_SPACE_MULTI_DISCRETE:
        rc = ppo_codegen_multi_argmax(out, pol, y);
        break;
    default:
        rc = ppo_codegen_gaussian_mean(out, n_out, y);
        break;
    }
    if (rc != 0 || ppo_codegen_act_end(out) != 0) {
        host->error(host, "export_c: writing the C file failed");
        return -1;
    }
    return 0;
}
