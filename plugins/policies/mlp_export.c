/* mlp_export — export_c of the mlp policy: one dependency-free C99 file that computes the
 * deterministic action from a raw observation (the contract PPO_EXPORT_CONTRACT of policy.h),
 * written with libppofw's code-generation helpers (<ppofw/codegen.h>).
 *
 * The file holds the weights of the policy branch (hidden layers and head) as static const float
 * arrays, the observation scaling and normalization the core applied in training, and
 * ppo_policy_act: the index of the first largest logit for discrete actions (of each component's
 * logits for multi-discrete ones), the Gaussian's mean for box actions (unclipped). The helpers repeat ppo_tanh and the small-batch path of
 * ppo_linear_forward with the same constants, so the file computes what the plugin computes: bit
 * for bit where neither uses fused multiply-adds, to float rounding otherwise.
 *
 * Left out: the value branch, sampling, and any allocation or global state in the output.
 */
#include <stdio.h>

#include <ppofw/ppofw.h>

#include "mlp_export.h"

/* "ppo_policy_pi_K_weight" for hidden layer K, "ppo_policy_pi_head_weight" for the last layer */
static void layer_name(char *buf, size_t size, uint32_t k, uint32_t n_layers, const char *what)
{
    if (k + 1 < n_layers)
        snprintf(buf, size, "ppo_policy_pi_%u_%s", k, what);
    else
        snprintf(buf, size, "ppo_policy_pi_head_%s", what);
}

/* "Network: 4 observations -> 64 (tanh) -> 3 logits." and the arithmetic's promise */
static void summary(char *buf, size_t size, const char *act_name, uint32_t n_layers,
                    const uint32_t *widths, int discrete)
{
    int len = snprintf(buf, size, "Network: %u observations", widths[0]);
    for (uint32_t k = 1; k < n_layers && len >= 0 && (size_t)len < size; k++)
        len += snprintf(buf + len, size - (size_t)len, " -> %u (%s)", widths[k], act_name);
    if (len >= 0 && (size_t)len < size)
        snprintf(buf + len, size - (size_t)len,
                 " -> %u %s.\nArithmetic is float, in the order the ppofw plugin uses, so the "
                 "actions match\nits deterministic act.",
                 widths[n_layers], discrete ? "logits" : "means");
}

int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_codegen_policy_t *pol,
                     ppo_activation_t act, uint32_t n_layers, const uint32_t *widths,
                     const float *const *weights, const float *const *biases)
{
    const int discrete = pol->act_space->kind == PPO_SPACE_DISCRETE;
    const uint32_t n_out = widths[n_layers];
    char text[1024], w_name[64], b_name[64];
    summary(text, sizeof(text), act == PPO_ACTIVATION_RELU ? "relu" : "tanh", n_layers, widths,
            pol->act_space->kind != PPO_SPACE_BOX);
    if (ppo_codegen_preamble(out, pol, text) != 0) {
        host->error(host,
                    "export_c: the observation normalizer does not fit the policy (dimension %u "
                    "for %u observations, or a value that is not finite)",
                    pol->norm != NULL ? pol->norm->dim : 0, widths[0]);
        return -1;
    }

    /* the weights, then the functions */
    for (uint32_t k = 0; k < n_layers; k++) {
        layer_name(w_name, sizeof(w_name), k, n_layers, "weight");
        layer_name(b_name, sizeof(b_name), k, n_layers, "bias");
        if (ppo_codegen_floats(out, w_name, weights[k], widths[k + 1], widths[k]) != 0 ||
            ppo_codegen_floats(out, b_name, biases[k], widths[k + 1], 1) != 0) {
            host->error(host, "export_c: the parameters hold a NaN or Inf; nothing to export");
            return -1;
        }
    }
    ppo_codegen_linear_fn(out);
    if (n_layers > 1)
        ppo_codegen_activation_fn(out, act);

    /* ppo_policy_act: the layers alternate between two buffers, all but the head activated */
    uint32_t width = 0;
    for (uint32_t k = 0; k <= n_layers; k++)
        width = widths[k] > width ? widths[k] : width;
    ppo_codegen_act_begin(out, pol);
    fprintf(out, "    float buf0[%u], buf1[%u];\n", width, width);
    ppo_codegen_obs_input(out, pol, "buf0");
    static const char *const bufs[2] = {"buf0", "buf1"};
    int cur = 0;
    for (uint32_t k = 0; k < n_layers; k++) {
        layer_name(w_name, sizeof(w_name), k, n_layers, "weight");
        layer_name(b_name, sizeof(b_name), k, n_layers, "bias");
        ppo_codegen_dense(out, widths[k], widths[k + 1], bufs[cur], w_name, b_name, bufs[1 - cur],
                          k + 1 < n_layers ? act : PPO_ACTIVATION_IDENTITY);
        cur = 1 - cur;
    }
    if (discrete)
        ppo_codegen_argmax(out, n_out, bufs[cur]);
    else if (pol->act_space->kind == PPO_SPACE_MULTI_DISCRETE)
        ppo_codegen_multi_argmax(out, pol, bufs[cur]);
    else
        ppo_codegen_gaussian_mean(out, n_out, bufs[cur]);
    if (ppo_codegen_act_end(out) != 0) {
        host->error(host, "export_c: writing the C file failed");
        return -1;
    }
    return 0;
}
