/* mlp_export — export_c of the mlp policy: one dependency-free C99 file that computes the
 * deterministic action from a raw observation (the contract PPO_EXPORT_CONTRACT of policy.h),
 * written with libppofw's code-generation helpers (<ppofw/codegen.h>) through libpolicynet's
 * (net.h).
 *
 * The file holds the weights of the policy branch (hidden layers and head) as static const float
 * arrays, the observation scaling and normalization the core applied in training, and
 * ppo_policy_act: the index of the first largest logit for discrete actions (of each component's
 * logits for multi-discrete ones), the Gaussian's mean for box actions (unclipped). The helpers
 * repeat ppo_tanh and the small-batch path of ppo_linear_forward with the same constants, so the
 * file computes what the plugin computes: bit for bit where neither uses fused multiply-adds, to
 * float rounding otherwise.
 *
 * Left out: the value branch, sampling, and any allocation or global state in the output.
 */
#include <stdio.h>

#include <ppofw/ppofw.h>

#include "mlp_export.h"

/* "Network: 4 observations -> 64 (tanh) -> 3 logits." and the arithmetic's promise */
static void summary(char *buf, size_t size, const char *act_name, uint32_t D, const net_layer_t *pi,
                    uint32_t n_pi, uint32_t n_out, int discrete)
{
    int len = snprintf(buf, size, "Network: %u observations", D);
    for (uint32_t k = 0; k < n_pi && len >= 0 && (size_t)len < size; k++)
        len += snprintf(buf + len, size - (size_t)len, " -> %u (%s)", pi[k].out, act_name);
    if (len >= 0 && (size_t)len < size)
        snprintf(buf + len, size - (size_t)len,
                 " -> %u %s.\nArithmetic is float, in the order the ppofw plugin uses, so the "
                 "actions match\nits deterministic act.",
                 n_out, discrete ? "logits" : "means");
}

int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_codegen_policy_t *pol,
                     ppo_activation_t act, const net_table_t *t, const float *params,
                     const net_layer_t *pi, uint32_t n_pi, const net_layer_t *head)
{
    const uint32_t D = pol->obs_space->dim;
    char text[1024];
    summary(text, sizeof(text), act == PPO_ACTIVATION_RELU ? "relu" : "tanh", D, pi, n_pi,
            head->out, pol->act_space->kind != PPO_SPACE_BOX);
    if (net_export_begin(out, host, pol, text) != 0 ||
        net_export_layers(out, host, t, params, pi, n_pi, "pi") != 0 ||
        net_export_layer(out, host, t, params, head->weight, "pi_head") != 0)
        return -1;
    ppo_codegen_linear_fn(out);
    if (n_pi > 0)
        ppo_codegen_activation_fn(out, act);

    /* ppo_policy_act: the layers alternate between two buffers, all but the head activated */
    uint32_t width = D > head->out ? D : head->out;
    for (uint32_t k = 0; k < n_pi; k++)
        width = pi[k].out > width ? pi[k].out : width;
    ppo_codegen_act_begin(out, pol);
    fprintf(out, "    float buf0[%u], buf1[%u];\n", width, width);
    ppo_codegen_obs_input(out, pol, "buf0");
    static const char *const bufs[2] = {"buf0", "buf1"};
    int next = 1;
    const char *x = net_export_dense(out, pi, n_pi, "pi", "buf0", act, bufs, &next);
    ppo_codegen_dense(out, head->in, head->out, x, "ppo_policy_pi_head_weight",
                      "ppo_policy_pi_head_bias", bufs[next], PPO_ACTIVATION_IDENTITY);
    return net_export_end(out, host, pol, head->out, bufs[next]);
}
