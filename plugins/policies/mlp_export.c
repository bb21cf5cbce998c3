/* mlp_export — export_c of the mlp policy: one dependency-free C99 file that computes the
 * deterministic action from a raw observation.
 *
 * The file holds the weights of the policy branch (hidden layers and head) as static const float
 * arrays, the observation normalization the core applied in training (when enabled), and a
 * function ppo_policy_act: the index of the first largest logit for discrete actions, the
 * Gaussian's mean for box actions (unclipped). The pieces every policy's file shares (the
 * preamble, the observation's loading, the Linear and activation helpers that repeat ppofw's
 * arithmetic, the action) come from policy_export.c; this file writes the chain of layers.
 *
 * Left out: the value branch, sampling, and any allocation or global state in the output.
 */
#include <stdio.h>

#include <ppofw/ppofw.h>

#include "policy_export.h"

int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_obs_norm_t *norm, int discrete,
                     int relu, uint32_t n_layers, const uint32_t *widths,
                     const float *const *weights, const float *const *biases);

/* "pi_K" for hidden layer K, "pi_head" for the last layer */
static void layer_name(char *buf, size_t size, uint32_t k, uint32_t n_layers)
{
    if (k + 1 < n_layers)
        snprintf(buf, size, "pi_%u", k);
    else
        snprintf(buf, size, "pi_head");
}

int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_obs_norm_t *norm, int discrete,
                     int relu, uint32_t n_layers, const uint32_t *widths,
                     const float *const *weights, const float *const *biases)
{
    const uint32_t n_out = widths[n_layers];
    pe_spec_t spec = {
        .policy = "mlp",
        .D = widths[0],
        .act = discrete ? PPO_SPACE_DISCRETE : PPO_SPACE_BOX,
        .n_out = n_out,
        .A = discrete ? 1 : n_out,
        .norm = norm,
    };
    if (pe_check(host, &spec) != 0)
        return -1;

    /* the network in one line: observations, hidden widths, the head */
    char network[512];
    int at = snprintf(network, sizeof(network), "%u observations", widths[0]);
    for (uint32_t k = 1; k < n_layers && at > 0 && (size_t)at < sizeof(network); k++)
        at += snprintf(network + at, sizeof(network) - (size_t)at, " -> %u (%s)", widths[k],
                       relu ? "relu" : "tanh");
    if (at > 0 && (size_t)at < sizeof(network))
        snprintf(network + at, sizeof(network) - (size_t)at, " -> %u %s", n_out,
                 discrete ? "logits" : "means");
    pe_preamble(out, &spec, network);

    /* the constants */
    pe_obs_constants(out, &spec);
    for (uint32_t k = 0; k < n_layers; k++) {
        char layer[16], name[64];
        layer_name(layer, sizeof(layer), k, n_layers);
        snprintf(name, sizeof(name), "ppo_policy_%s_weight", layer);
        if (pe_array(out, name, weights[k], widths[k + 1], widths[k]) != 0)
            return pe_not_finite(host);
        snprintf(name, sizeof(name), "ppo_policy_%s_bias", layer);
        if (pe_array(out, name, biases[k], widths[k + 1], 1) != 0)
            return pe_not_finite(host);
    }

    /* the code: the layers alternate between the two buffers; all but the head are activated */
    pe_helpers(out, relu, n_layers > 1);
    uint32_t width = 0;
    for (uint32_t k = 0; k <= n_layers; k++)
        width = widths[k] > width ? widths[k] : width;
    pe_act_begin(out, &spec, width);
    static const char *const bufs[2] = {"buf0", "buf1"};
    int cur = 0;
    for (uint32_t k = 0; k < n_layers; k++) {
        char name[16];
        layer_name(name, sizeof(name), k, n_layers);
        fprintf(out,
                "    ppo_policy_linear(%u, %u, %s, ppo_policy_%s_weight, ppo_policy_%s_bias, "
                "%s);\n",
                widths[k], widths[k + 1], bufs[cur], name, name, bufs[1 - cur]);
        cur = 1 - cur;
        if (k + 1 < n_layers)
            fprintf(out, "    ppo_policy_activate(%u, %s);\n", widths[k + 1], bufs[cur]);
    }
    pe_act_end(out, &spec, bufs[cur]);
    return pe_finish(out, host);
}
