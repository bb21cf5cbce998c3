/* lstm_export — export_c of the lstm policy: one dependency-free C99 file that computes the
 * deterministic action from a raw observation and carries the recurrent state, as policy.h's
 * PPO_EXPORT_CONTRACT says for recurrent policies: ppo_policy_reset(state) and
 * ppo_policy_act(obs, [action,] state). Written with libppofw's code-generation helpers
 * (<ppofw/codegen.h>) through libpolicynet's (net.h).
 *
 * The state is the plugin's, laid out the same way (per LSTM layer its h then its c, the actor's
 * layers first, then a separate critic's), so a state the core kept for an env can be handed to
 * the file and the file's state after each step is the plugin's to float rounding. That is why
 * the file also steps a separate critic's LSTM, whose value it never computes. The LSTM step, the
 * one function written here, repeats ppo_lstm_forward's arithmetic: gates = (W_ih x + b_ih) +
 * (W_hh h + b_hh), sigmoid as 0.5 tanh(x/2) + 0.5, c' = f c + i g, h' = o tanh(c'), with
 * codegen.h's Linear and tanh.
 *
 * Left out: the value branch, sampling, and any allocation or global state in the output.
 */
#include <stdio.h>

#include "lstm.h"
#include "net.h"

static const char helper_lstm[] =
    "/* one step of an LSTM layer from n_in inputs to H units (gates in PyTorch's order i, f,\n"
    " * g, o; sigmoid(x) = 0.5 tanh(x / 2) + 0.5): hc = (h (H), c (H)) is read and overwritten;\n"
    " * g and g2 hold 4H floats each */\n"
    "static void ppo_policy_lstm(int n_in, int H, const float *x, const float *w_ih,\n"
    "                            const float *w_hh, const float *b_ih, const float *b_hh,\n"
    "                            float *hc, float *g, float *g2)\n"
    "{\n"
    "    int j;\n"
    "    ppo_policy_linear(n_in, 4 * H, x, w_ih, b_ih, g);\n"
    "    ppo_policy_linear(H, 4 * H, hc, w_hh, b_hh, g2);\n"
    "    for (j = 0; j < 4 * H; j++) {\n"
    "        g[j] = g[j] + g2[j];\n"
    "        if (j < 2 * H || j >= 3 * H)\n"
    "            g[j] = 0.5f * g[j];\n"
    "    }\n"
    "    ppo_policy_tanh(4 * H, g);\n"
    "    for (j = 0; j < H; j++) {\n"
    "        const float i = 0.5f * g[j] + 0.5f;\n"
    "        const float f = 0.5f * g[H + j] + 0.5f;\n"
    "        const float c = f * hc[H + j] + i * g[2 * H + j];\n"
    "        hc[H + j] = c;\n"
    "        g2[j] = c;\n"
    "    }\n"
    "    ppo_policy_tanh(H, g2);\n"
    "    for (j = 0; j < H; j++)\n"
    "        hc[j] = (0.5f * g[3 * H + j] + 0.5f) * g2[j];\n"
    "}\n"
    "\n";

/* The four arrays of each layer of a stack, ppo_policy_PREFIX_K_weight_ih etc.; 0, or -1 after
 * host->error. */
static int stack_arrays(FILE *out, const lstm_t *m, const float *params, const lstm_stack_t *st,
                        const char *prefix)
{
    static const char *const kinds[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    for (uint32_t k = 0; k < st->n; k++)
        for (uint32_t j = 0; j < 4; j++) {
            char name[64];
            snprintf(name, sizeof(name), "ppo_policy_%s_%u_%s", prefix, k, kinds[j]);
            if (net_export_segment(out, m->host, &m->table, params, st->seg + 4 * k + j, name) != 0)
                return -1;
        }
    return 0;
}

/* The calls stepping a stack from the C expression x (its layer 0's input). */
static void stack_calls(FILE *out, const lstm_t *m, const lstm_stack_t *st, const char *prefix,
                        const char *x)
{
    for (uint32_t k = 0; k < st->n; k++) {
        const uint32_t off = st->state_off + 2 * m->H * k;
        fprintf(out, "    ppo_policy_lstm(%u, %u, ", k == 0 ? st->in : m->H, m->H);
        if (k == 0)
            fprintf(out, "%s", x);
        else
            fprintf(out, "state + %u", off - 2 * m->H);
        fprintf(out,
                ", ppo_policy_%s_%u_weight_ih,\n"
                "                    ppo_policy_%s_%u_weight_hh, ppo_policy_%s_%u_bias_ih,\n"
                "                    ppo_policy_%s_%u_bias_hh, state + %u, gates, gates2);\n",
                prefix, k, prefix, k, prefix, k, prefix, k, off);
    }
}

/* The file's summary: the network and the state's layout. */
static void summary(const lstm_t *m, char *buf, size_t size)
{
    const char *act = m->activation == PPO_ACTIVATION_RELU ? "relu" : "tanh";
    size_t at = (size_t)snprintf(buf, size, "Network: %u observations", m->D);
    for (uint32_t k = 0; k < m->n_enc && at < size; k++)
        at += (size_t)snprintf(buf + at, size - at, " -> %u (%s)", m->enc[k].out, act);
    if (at < size)
        at += (size_t)snprintf(buf + at, size - at, " -> LSTM %u x %u", m->n_layers, m->H);
    for (uint32_t k = 0; k < m->n_pi && at < size; k++)
        at += (size_t)snprintf(buf + at, size - at, " -> %u (%s)", m->pi[k].out, act);
    if (at < size)
        snprintf(buf + at, size - at,
                 " -> %u %s.\nThe state holds, per LSTM layer, its h then its c (%u floats each), "
                 "the actor's\nlayers first%s, as the plugin keeps it.\nArithmetic is float, in "
                 "the order the ppofw plugin uses, so the actions match\nits deterministic act.",
                 m->pi_head.out, m->dist.kind == NET_DIST_GAUSSIAN ? "means" : "logits", m->H,
                 m->critic == LSTM_CRITIC_SEPARATE
                     ? ", then the critic's (stepped too, so the state stays the\nplugin's; the "
                       "value itself is not computed)"
                     : "");
}

int lstm_export_c(void *inst, const float *params, const ppo_obs_norm_t *norm, FILE *out)
{
    const lstm_t *m = inst;
    if (params == NULL) {
        m->host->error(m->host, "export_c needs the parameters");
        return -1;
    }
    const ppo_codegen_policy_t pol = {
        .struct_size = sizeof(pol),
        .state_size = m->S,
        .obs_space = m->obs,
        .act_space = m->act,
        .norm = norm,
    };
    char text[2048];
    summary(m, text, sizeof(text));
    if (net_export_begin(out, m->host, &pol, text) != 0 ||
        net_export_layers(out, m->host, &m->table, params, m->enc, m->n_enc, "enc") != 0 ||
        stack_arrays(out, m, params, &m->actor, "lstm") != 0 ||
        stack_arrays(out, m, params, &m->vf_stack, "vf_lstm") != 0 ||
        net_export_layers(out, m->host, &m->table, params, m->pi, m->n_pi, "pi") != 0 ||
        net_export_layer(out, m->host, &m->table, params, m->pi_head.weight, "pi_head") != 0)
        return -1;

    /* the functions: Linear, tanh (the cell's), the dense layers' activation, the cell */
    ppo_codegen_linear_fn(out);
    ppo_codegen_activation_fn(out, PPO_ACTIVATION_TANH);
    if (m->activation != PPO_ACTIVATION_TANH && m->n_enc + m->n_pi > 0)
        ppo_codegen_activation_fn(out, m->activation);
    fputs(helper_lstm, out);
    ppo_codegen_reset(out, &pol, NULL);

    /* ppo_policy_act: observation, encoder, the stacks (critic's too), policy layers, head */
    ppo_codegen_act_begin(out, &pol);
    fprintf(out, "    float buf0[%u], buf1[%u], gates[%u], gates2[%u];\n", m->max_width,
            m->max_width, 4 * m->H, 4 * m->H);
    ppo_codegen_obs_input(out, &pol, "buf0");
    static const char *const bufs[2] = {"buf0", "buf1"};
    int next = 1;
    const char *e =
        net_export_dense(out, m->enc, m->n_enc, "enc", "buf0", m->activation, bufs, &next);
    stack_calls(out, m, &m->actor, "lstm", e);
    stack_calls(out, m, &m->vf_stack, "vf_lstm", e);
    char top[32];
    snprintf(top, sizeof(top), "state + %u", 2 * m->H * (m->n_layers - 1));
    const char *y = net_export_dense(out, m->pi, m->n_pi, "pi", top, m->activation, bufs, &next);
    ppo_codegen_dense(out, m->pi_head.in, m->pi_head.out, y, "ppo_policy_pi_head_weight",
                      "ppo_policy_pi_head_bias", bufs[next], PPO_ACTIVATION_IDENTITY);
    return net_export_end(out, m->host, &pol, m->pi_head.out, bufs[next]);
}
