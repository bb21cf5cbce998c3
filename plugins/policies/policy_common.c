/* policy_common — the segment table and the action head shared by the policy plugins (see
 * policy_common.h). Left out: anything a single plugin needs alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_common.h"

/* ---- the segment table ---- */

int pc_table_init(pc_table_t *t, uint32_t cap)
{
    memset(t, 0, sizeof(*t));
    t->segs = calloc(cap > 0 ? cap : 1, sizeof(*t->segs));
    t->names = calloc(cap > 0 ? cap : 1, PC_NAME_LEN);
    t->offset = calloc(cap > 0 ? cap : 1, sizeof(*t->offset));
    t->cap = cap;
    if (t->segs == NULL || t->names == NULL || t->offset == NULL) {
        pc_table_free(t);
        return -1;
    }
    return 0;
}

void pc_table_free(pc_table_t *t)
{
    free(t->segs);
    free(t->names);
    free(t->offset);
    memset(t, 0, sizeof(*t));
}

uint32_t pc_table_add(pc_table_t *t, const char *name, uint32_t rows, uint32_t cols,
                      ppo_init_kind_t init, double value, double gain)
{
    const uint32_t k = t->n++;
    char *dst = t->names + (size_t)k * PC_NAME_LEN;
    snprintf(dst, PC_NAME_LEN, "%s", name);
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

uint32_t pc_table_add_layer(pc_table_t *t, const char *prefix, uint32_t in, uint32_t out, int ortho,
                            double gain)
{
    char name[PC_NAME_LEN];
    const double bound = 1.0 / sqrt((double)in);
    snprintf(name, sizeof(name), "%s.weight", prefix);
    const uint32_t w = ortho ? pc_table_add(t, name, out, in, PPO_INIT_ORTHOGONAL, 0.0, gain)
                             : pc_table_add(t, name, out, in, PPO_INIT_UNIFORM, bound, 0.0);
    snprintf(name, sizeof(name), "%s.bias", prefix);
    if (ortho)
        pc_table_add(t, name, out, 1, PPO_INIT_CONSTANT, 0.0, 0.0);
    else
        pc_table_add(t, name, out, 1, PPO_INIT_UNIFORM, bound, 0.0);
    return w;
}

size_t pc_table_floats(const pc_table_t *t)
{
    if (t->n == 0)
        return 0;
    const ppo_segment_t *last = &t->segs[t->n - 1];
    return t->offset[t->n - 1] + (size_t)last->rows * last->cols;
}

void *pc_ws_alloc(const ppo_host_t *host, size_t floats, const char *policy, uint32_t max_batch)
{
    if (floats > SIZE_MAX / sizeof(float)) {
        host->error(host, "a %s workspace for %u rows is too large", policy, max_batch);
        return NULL;
    }
    void *block = host->aligned_alloc(64, (floats > 0 ? floats : 1) * sizeof(float));
    if (block == NULL) {
        host->error(host, "out of memory allocating a %s workspace for %u rows", policy, max_batch);
        return NULL;
    }
    memset(block, 0, (floats > 0 ? floats : 1) * sizeof(float));
    return block;
}

const char *pc_space_kind_name(ppo_space_kind_t kind)
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

size_t pc_line_floats(uint64_t n)
{
    return (size_t)((n + 15) & ~(uint64_t)15);
}

/* ---- calls ---- */

int pc_check_call(const ppo_host_t *host, const float *params, const void *ws, uint32_t max_batch,
                  uint32_t B, const char *what)
{
    if (params == NULL) {
        host->error(host, "%s before bind(): the policy has no parameters", what);
        return -1;
    }
    if (ws == NULL || B > max_batch) {
        host->error(host, "%s of %u rows on a workspace made for %u", what, B,
                    ws != NULL ? max_batch : 0);
        return -1;
    }
    return 0;
}

int pc_check_backward(const ppo_host_t *host, uint32_t last_B, uint32_t last_parts, uint32_t B,
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

uint32_t pc_part_bits(const ppo_host_t *host, int shared, uint32_t part, const char *what)
{
    if (shared || part > 1) {
        host->error(host, "%s(%u) on a policy that is %s", what, part,
                    shared ? "one part (share_trunk: true)" : "two parts, 0 and 1");
        return 0;
    }
    return part == 0 ? PC_PART_DIST : PC_PART_VALUE;
}

/* ---- the action head ---- */

int pc_head_init(pc_head_t *h, const ppo_host_t *host, const char *policy, const ppo_space_t *act)
{
    memset(h, 0, sizeof(*h));
    if (act == NULL || (act->kind != PPO_SPACE_DISCRETE && act->kind != PPO_SPACE_BOX &&
                        act->kind != PPO_SPACE_MULTI_DISCRETE)) {
        host->error(host,
                    "the action space is %s; %s handles discrete (categorical head), box "
                    "(Gaussian head) and multi_discrete (one categorical per component) action "
                    "spaces",
                    act == NULL ? "missing" : pc_space_kind_name(act->kind), policy);
        return -1;
    }
    switch (act->kind) {
    case PPO_SPACE_DISCRETE:
        if (act->n < 2) {
            host->error(host, "the discrete action space has %u actions; %s needs at least 2",
                        act->n, policy);
            return -1;
        }
        h->kind = PC_HEAD_CATEGORICAL;
        h->A = 1;
        h->n_actions = act->n;
        h->P = h->n_out = act->n;
        return 0;
    case PPO_SPACE_BOX:
        if (act->dim < 1) {
            host->error(host, "the box action space has no components");
            return -1;
        }
        h->kind = PC_HEAD_GAUSSIAN;
        h->A = h->n_out = act->dim;
        h->P = 2 * act->dim;
        return 0;
    default:
        break;
    }
    /* multi-discrete: one categorical per component */
    const uint32_t K = act->dim;
    if (K < 1 || act->nvec == NULL) {
        host->error(host, "the multi_discrete action space has no components (dim %u%s)", K,
                    act->nvec == NULL ? ", nvec NULL" : "");
        return -1;
    }
    uint64_t total = 0;
    for (uint32_t k = 0; k < K; k++) {
        if (act->nvec[k] < 2) {
            host->error(host,
                        "component %u of the multi_discrete action space has %u choices; %s "
                        "needs at least 2",
                        k, act->nvec[k], policy);
            return -1;
        }
        total += act->nvec[k];
    }
    if (total > UINT32_MAX / 2) {
        host->error(host, "the multi_discrete action space has %llu choices in all; too many",
                    (unsigned long long)total);
        return -1;
    }
    h->nvec = malloc(sizeof(uint32_t) * K);
    if (h->nvec == NULL) {
        host->error(host, "out of memory creating the %s policy", policy);
        return -1;
    }
    memcpy(h->nvec, act->nvec, sizeof(uint32_t) * K);
    h->kind = PC_HEAD_MULTI;
    h->A = K;
    h->P = h->n_out = (uint32_t)total;
    return 0;
}

void pc_head_free(pc_head_t *h)
{
    free(h->nvec);
    h->nvec = NULL;
}

void pc_head_dist(const pc_head_t *h, uint32_t B, const float *out, const float *log_std,
                  float *dist)
{
    if (h->kind != PC_HEAD_GAUSSIAN) {
        if (dist != out)
            memcpy(dist, out, sizeof(float) * B * h->P);
        return;
    }
    const uint32_t A = h->A;
    for (uint32_t r = 0; r < B; r++) {
        float *row = dist + (size_t)r * 2 * A;
        memcpy(row, out + (size_t)r * A, A * sizeof(float));
        memcpy(row + A, log_std, A * sizeof(float));
    }
}

void pc_head_act(const pc_head_t *h, uint32_t B, const float *dist, ppo_rng_t *const *rngs,
                 int deterministic, float *actions_out, float *logp_out)
{
    switch (h->kind) {
    case PC_HEAD_CATEGORICAL:
        ppo_categorical_act(B, h->n_actions, dist, rngs, deterministic, actions_out, logp_out);
        break;
    case PC_HEAD_MULTI:
        ppo_multi_categorical_act(B, h->A, h->nvec, dist, rngs, deterministic, actions_out,
                                  logp_out);
        break;
    case PC_HEAD_GAUSSIAN:
    default:
        ppo_gaussian_act(B, h->A, dist, rngs, deterministic, actions_out, logp_out);
        break;
    }
}

void pc_head_evaluate(const pc_head_t *h, uint32_t B, const float *dist, const float *actions,
                      const float *old, float *logp_out, float *entropy_out, float *kl_out)
{
    switch (h->kind) {
    case PC_HEAD_CATEGORICAL:
        ppo_categorical_evaluate(B, h->n_actions, dist, actions, old, logp_out, entropy_out,
                                 kl_out);
        break;
    case PC_HEAD_MULTI:
        ppo_multi_categorical_evaluate(B, h->A, h->nvec, dist, actions, old, logp_out, entropy_out,
                                       kl_out);
        break;
    case PC_HEAD_GAUSSIAN:
    default:
        ppo_gaussian_evaluate(B, h->A, dist, actions, old, logp_out, entropy_out, kl_out);
        break;
    }
}

void pc_head_backward(const pc_head_t *h, uint32_t B, const float *dist, const float *actions,
                      const float *old, const float *dlogp, const float *dentropy, const float *dkl,
                      float *ddist, float *dout, float *log_std_grad)
{
    switch (h->kind) {
    case PC_HEAD_CATEGORICAL:
        ppo_categorical_backward(B, h->n_actions, dist, actions, old, dlogp, dentropy, dkl, dout);
        return;
    case PC_HEAD_MULTI:
        ppo_multi_categorical_backward(B, h->A, h->nvec, dist, actions, old, dlogp, dentropy, dkl,
                                       dout);
        return;
    case PC_HEAD_GAUSSIAN:
    default:
        break;
    }
    /* the means' part goes to the head layer, the log-stds' part (summed over rows in double)
     * to the shared log_std */
    const uint32_t A = h->A;
    ppo_gaussian_backward(B, A, dist, actions, old, dlogp, dentropy, dkl, ddist);
    for (uint32_t r = 0; r < B; r++)
        memcpy(dout + (size_t)r * A, ddist + (size_t)r * 2 * A, A * sizeof(float));
    for (uint32_t a = 0; a < A; a++) {
        double s = 0.0;
        for (uint32_t r = 0; r < B; r++)
            s += ddist[(size_t)r * 2 * A + A + a];
        log_std_grad[a] += (float)s;
    }
}
