/* cnn_export — export_c of the cnn policy: one dependency-free C99 file that computes the
 * deterministic action from a raw observation (the contract is PPO_EXPORT_CONTRACT in
 * <ppofw/policy.h>), written with libppofw's code-generation helpers (<ppofw/codegen.h>) through
 * libpolicynet's (net.h).
 *
 * The file holds the policy trunk's conv and dense layers and the policy head as static const
 * float arrays and a function ppo_policy_act that runs them on the observation (the env's bytes
 * for a uint8 space, scaled inside as ppofw scales them): the first largest logit, each
 * component's, or the Gaussian's mean. Each convolution output is summed over (channel, kernel
 * row, kernel column) in that order from zero, then the bias, as libppofw's conv kernels sum it;
 * the convolution is the one function written here, the rest is codegen.h's. The two activation
 * buffers live on the stack (the file's comment says how much).
 *
 * Left out: the value trunk and head, sampling, any allocation or global state in the output.
 */
#include <stdio.h>

#include <ppofw/ppofw.h>

#include "cnn_private.h"
#include "net.h"

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

/* The file's summary: the network in one line and the stack it needs; *width gets the widest
 * buffer (floats). */
static void summary(const cnn_t *m, char *buf, size_t size, uint32_t *width)
{
    const cnn_trunk_t *tr = &m->trunk[0];
    const char *act_name = m->activation == PPO_ACTIVATION_RELU ? "relu" : "tanh";
    *width = m->D > m->dist.n_out ? m->D : m->dist.n_out;
    size_t at = (size_t)snprintf(buf, size, "Network: %ux%ux%u image", m->C, m->H, m->W);
    for (uint32_t l = 0; l < m->n_conv && at < size; l++) {
        const ppo_conv_shape_t *s = &tr->conv[l].shape;
        at += (size_t)snprintf(buf + at, size - at, " -> conv %u %ux%u/%u pad %u = %ux%ux%u (%s)",
                               s->out_channels, s->kernel_h, s->kernel_w, s->stride_h, s->pad_h,
                               s->out_channels, s->out_height, s->out_width, act_name);
        *width = tr->conv[l].out_size > *width ? tr->conv[l].out_size : *width;
    }
    for (uint32_t l = 0; l < m->n_dense && at < size; l++) {
        at +=
            (size_t)snprintf(buf + at, size - at, " -> dense %u (%s)", tr->dense[l].out, act_name);
        *width = tr->dense[l].out > *width ? tr->dense[l].out : *width;
    }
    if (at < size)
        snprintf(buf + at, size - at,
                 " -> %u %s.\nppo_policy_act keeps two buffers of %u floats on the stack.\n"
                 "Arithmetic is float, in the order the ppofw plugin uses, so the actions match\n"
                 "its deterministic act.",
                 m->dist.n_out, m->dist.kind == NET_DIST_GAUSSIAN ? "means" : "logits", *width);
}

int cnn_export_write(const cnn_t *m, const float *params, const ppo_obs_norm_t *norm, FILE *out)
{
    if (params == NULL || out == NULL) {
        m->host->error(m->host, "export_c needs the parameters and an output file");
        return -1;
    }
    const cnn_trunk_t *tr = &m->trunk[0];
    const ppo_codegen_policy_t pol = {
        .struct_size = sizeof(pol),
        .obs_space = m->obs_space,
        .act_space = m->act_space,
        .norm = norm,
    };
    char text[2048];
    uint32_t width = 0;
    summary(m, text, sizeof(text), &width);
    if (net_export_begin(out, m->host, &pol, text) != 0)
        return -1;

    /* the weights, then the functions */
    char layer[32];
    for (uint32_t l = 0; l < m->n_conv; l++) {
        snprintf(layer, sizeof(layer), "conv_%u", l);
        if (net_export_layer(out, m->host, &m->table, params, tr->conv[l].weight, layer) != 0)
            return -1;
    }
    if (net_export_layers(out, m->host, &m->table, params, tr->dense, m->n_dense, "dense") != 0 ||
        net_export_layer(out, m->host, &m->table, params, m->pi_head.weight, "pi_head") != 0)
        return -1;
    ppo_codegen_linear_fn(out);
    ppo_codegen_activation_fn(out, m->activation);
    fputs(export_conv, out);

    /* ppo_policy_act: the layers alternate between the two buffers, each activated but the head */
    ppo_codegen_act_begin(out, &pol);
    fprintf(out, "    float buf0[%u], buf1[%u];\n", width, width);
    ppo_codegen_obs_input(out, &pol, "buf0");
    static const char *const bufs[2] = {"buf0", "buf1"};
    int next = 1;
    for (uint32_t l = 0; l < m->n_conv; l++) {
        const ppo_conv_shape_t *s = &tr->conv[l].shape;
        fprintf(out,
                "    ppo_policy_conv(%u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %s,\n"
                "                    ppo_policy_conv_%u_weight, ppo_policy_conv_%u_bias, %s);\n",
                s->in_channels, s->in_height, s->in_width, s->out_channels, s->kernel_h,
                s->kernel_w, s->stride_h, s->stride_w, s->pad_h, s->pad_w, s->out_height,
                s->out_width, bufs[1 - next], l, l, bufs[next]);
        ppo_codegen_activation(out, m->activation, tr->conv[l].out_size, bufs[next]);
        next = 1 - next;
    }
    const char *x = net_export_dense(out, tr->dense, m->n_dense, "dense", bufs[1 - next],
                                     m->activation, bufs, &next);
    ppo_codegen_dense(out, m->pi_head.in, m->pi_head.out, x, "ppo_policy_pi_head_weight",
                      "ppo_policy_pi_head_bias", bufs[next], PPO_ACTIVATION_IDENTITY);
    return net_export_end(out, m->host, &pol, m->pi_head.out, bufs[next]);
}
