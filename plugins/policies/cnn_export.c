/* cnn_export — export_c of the cnn policy: one dependency-free C99 file that computes the
 * deterministic action from a raw observation (the contract is PPO_EXPORT_CONTRACT in
 * <ppofw/policy.h>).
 *
 * The file holds the policy trunk's conv and dense layers and the policy head as static const
 * float arrays and a function ppo_policy_act that runs them on the observation (the env's bytes
 * for a uint8 space, scaled inside as ppofw scales them): the first largest logit, each
 * component's, or the Gaussian's mean. Each convolution output is summed over (channel, kernel
 * row, kernel column) in that order from zero, then the bias, as libppofw's conv kernels sum it;
 * the shared pieces (preamble, observation loading, Linear, activations, the action) come from
 * policy_export.c. The two activation buffers live on the stack (the file's comment says how
 * much).
 *
 * Left out: the value trunk and head, sampling, any allocation or global state in the output.
 */
#include <stdio.h>

#include <ppofw/ppofw.h>

#include "cnn_private.h"
#include "policy_export.h"

static const char export_conv[] =
    "/* y (O, Ho, Wo) = the convolution of x (C, H, W) with w (O, C, KH, KW) plus b (O), zero\n"
    " * padding PH, PW: each output summed over (c, kh, kw) in order from zero, then the bias */\n"
    "static void ppo_policy_conv(int C, int H, int W, int O, int KH, int KW, int SH, int SW,\n"
    "                            int PH, int PW, int Ho, int Wo, const float *x, const float *w,\n"
    "                            const float *b, float *y)\n"
    "{\n"
    "    int o, h, v, c, kh, kw;\n"
    "    for (o = 0; o < O; o++)\n"
    "        for (h = 0; h < Ho; h++)\n"
    "            for (v = 0; v < Wo; v++) {\n"
    "                float s = 0.0f;\n"
    "                for (c = 0; c < C; c++)\n"
    "                    for (kh = 0; kh < KH; kh++) {\n"
    "                        const int ih = h * SH + kh - PH;\n"
    "                        if (ih < 0 || ih >= H)\n"
    "                            continue;\n"
    "                        for (kw = 0; kw < KW; kw++) {\n"
    "                            const int iw = v * SW + kw - PW;\n"
    "                            if (iw >= 0 && iw < W) {\n"
    "                                const float p = x[((long)c * H + ih) * W + iw] *\n"
    "                                                w[(((long)o * C + c) * KH + kh) * KW + kw];\n"
    "                                s = s + p;\n"
    "                            }\n"
    "                        }\n"
    "                    }\n"
    "                y[((long)o * Ho + h) * Wo + v] = s + b[o];\n"
    "            }\n"
    "}\n"
    "\n";

/* One layer's weight and bias arrays, ppo_policy_<layer>_weight/_bias; 0, or -1 when not
 * finite. */
static int layer_arrays(FILE *out, const cnn_t *m, const float *params, const char *layer,
                        uint32_t weight, uint32_t rows, uint32_t cols)
{
    char name[64];
    snprintf(name, sizeof(name), "ppo_policy_%s_weight", layer);
    if (pe_array(out, name, params + m->tab.offset[weight], rows, cols) != 0)
        return -1;
    snprintf(name, sizeof(name), "ppo_policy_%s_bias", layer);
    return pe_array(out, name, params + m->tab.offset[weight + 1], rows, 1);
}

int cnn_export_write(const cnn_t *m, const float *params, const ppo_obs_norm_t *norm, FILE *out)
{
    if (params == NULL || out == NULL) {
        m->host->error(m->host, "export_c needs the parameters and an output file");
        return -1;
    }
    const cnn_trunk_t *tr = &m->trunk[0];
    const ppo_space_kind_t act = m->head.kind == PC_HEAD_CATEGORICAL ? PPO_SPACE_DISCRETE
                                 : m->head.kind == PC_HEAD_MULTI     ? PPO_SPACE_MULTI_DISCRETE
                                                                     : PPO_SPACE_BOX;
    pe_spec_t spec = {
        .policy = "cnn",
        .D = m->D,
        .obs_u8 = m->obs_u8,
        .obs_low = m->obs_low,
        .obs_high = m->obs_high,
        .act = act,
        .n_out = m->head.n_out,
        .A = m->head.A,
        .nvec = m->head.nvec,
        .norm = norm,
    };
    if (pe_check(m->host, &spec) != 0)
        return -1;

    /* the network in one line, and the widest buffer */
    char network[1024];
    size_t at = (size_t)snprintf(network, sizeof(network), "%ux%ux%u image", m->C, m->H, m->W);
    const char *act_name = m->activation == PPO_ACTIVATION_RELU ? "relu" : "tanh";
    uint32_t width = m->D > m->head.n_out ? m->D : m->head.n_out;
    for (uint32_t l = 0; l < m->n_conv && at < sizeof(network); l++) {
        const ppo_conv_shape_t *s = &tr->conv[l].shape;
        at += (size_t)snprintf(network + at, sizeof(network) - at,
                               " -> conv %u %ux%u/%u pad %u = %ux%ux%u (%s)", s->out_channels,
                               s->kernel_h, s->kernel_w, s->stride_h, s->pad_h, s->out_channels,
                               s->out_height, s->out_width, act_name);
        width = tr->conv[l].out_size > width ? tr->conv[l].out_size : width;
    }
    for (uint32_t l = 0; l < m->n_dense && at < sizeof(network); l++) {
        at += (size_t)snprintf(network + at, sizeof(network) - at, " -> dense %u (%s)",
                               tr->dense[l].out, act_name);
        width = tr->dense[l].out > width ? tr->dense[l].out : width;
    }
    if (at < sizeof(network))
        snprintf(network + at, sizeof(network) - at,
                 " -> %u %s.\n * ppo_policy_act keeps two buffers of %u floats on the stack",
                 m->head.n_out, act == PPO_SPACE_BOX ? "means" : "logits", width);
    pe_preamble(out, &spec, network);

    /* the constants */
    pe_obs_constants(out, &spec);
    char layer[32];
    for (uint32_t l = 0; l < m->n_conv; l++) {
        const cnn_conv_t *cv = &tr->conv[l];
        snprintf(layer, sizeof(layer), "conv_%u", l);
        if (layer_arrays(out, m, params, layer, cv->weight, cv->shape.out_channels,
                         cv->shape.in_channels * cv->shape.kernel_h * cv->shape.kernel_w) != 0)
            return pe_not_finite(m->host);
    }
    for (uint32_t l = 0; l < m->n_dense; l++) {
        snprintf(layer, sizeof(layer), "dense_%u", l);
        if (layer_arrays(out, m, params, layer, tr->dense[l].weight, tr->dense[l].out,
                         tr->dense[l].in) != 0)
            return pe_not_finite(m->host);
    }
    if (layer_arrays(out, m, params, "pi_head", m->pi_head.weight, m->pi_head.out, m->pi_head.in) !=
        0)
        return pe_not_finite(m->host);

    /* the code: the layers alternate between the two buffers, each activated but the head */
    pe_helpers(out, m->activation == PPO_ACTIVATION_RELU, 1);
    fputs(export_conv, out);
    pe_act_begin(out, &spec, width);
    static const char *const bufs[2] = {"buf0", "buf1"};
    int cur = 0;
    for (uint32_t l = 0; l < m->n_conv; l++) {
        const ppo_conv_shape_t *s = &tr->conv[l].shape;
        fprintf(out,
                "    ppo_policy_conv(%u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %s,\n"
                "                    ppo_policy_conv_%u_weight, ppo_policy_conv_%u_bias, %s);\n",
                s->in_channels, s->in_height, s->in_width, s->out_channels, s->kernel_h,
                s->kernel_w, s->stride_h, s->stride_w, s->pad_h, s->pad_w, s->out_height,
                s->out_width, bufs[cur], l, l, bufs[1 - cur]);
        cur = 1 - cur;
        fprintf(out, "    ppo_policy_activate(%u, %s);\n", tr->conv[l].out_size, bufs[cur]);
    }
    for (uint32_t l = 0; l < m->n_dense; l++) {
        fprintf(out,
                "    ppo_policy_linear(%u, %u, %s, ppo_policy_dense_%u_weight, "
                "ppo_policy_dense_%u_bias, %s);\n",
                tr->dense[l].in, tr->dense[l].out, bufs[cur], l, l, bufs[1 - cur]);
        cur = 1 - cur;
        fprintf(out, "    ppo_policy_activate(%u, %s);\n", tr->dense[l].out, bufs[cur]);
    }
    fprintf(out,
            "    ppo_policy_linear(%u, %u, %s, ppo_policy_pi_head_weight, ppo_policy_pi_head_bias, "
            "%s);\n",
            m->pi_head.in, m->pi_head.out, bufs[cur], bufs[1 - cur]);
    pe_act_end(out, &spec, bufs[1 - cur]);
    return pe_finish(out, m->host);
}
