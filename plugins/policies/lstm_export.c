/* lstm_export — export_c of the lstm policy: one dependency-free C99 file that computes the
 * deterministic action from a raw observation and carries the recurrent state, as policy.h's
 * PPO_EXPORT_CONTRACT says for recurrent policies: ppo_policy_reset(state) and
 * ppo_policy_act(obs, [action,] state).
 *
 * The state is the plugin's, laid out the same way (per LSTM layer its h then its c, the actor's
 * layers first, then a separate critic's), so a state the core kept for an env can be handed to
 * the file and the file's state after each step is the plugin's to float rounding. That is why
 * the file also steps a separate critic's LSTM, whose value it never computes. The LSTM step
 * repeats ppo_lstm_forward's arithmetic: gates = (W_ih x + b_ih) + (W_hh h + b_hh), sigmoid as
 * 0.5 tanh(x/2) + 0.5, c' = f c + i g, h' = o tanh(c').
 *
 * Left out: the value branch, sampling, and any allocation or global state in the output.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cwriter.h"
#include "lstm.h"

static const char helper_lstm[] =
    "/* one step of an LSTM layer from n_in inputs to H units (gates in PyTorch's order i, f,\n"
    " * g, o): hc = (h (H), c (H)) is read and overwritten; g and g2 hold 4H floats each */\n"
    "static void ppo_policy_lstm(int n_in, int H, const float *x, const float *w_ih,\n"
    "                            const float *w_hh, const float *b_ih, const float *b_hh,\n"
    "                            float *hc, float *g, float *g2)\n"
    "{\n"
    "    int j;\n"
    "    ppo_policy_linear(n_in, 4 * H, x, w_ih, b_ih, g);\n"
    "    ppo_policy_linear(H, 4 * H, hc, w_hh, b_hh, g2);\n"
    "    for (j = 0; j < 4 * H; j++)\n"
    "        g[j] = g[j] + g2[j];\n"
    "    for (j = 0; j < H; j++) {\n"
    "        const float i = ppo_policy_sigmoid1(g[j]);\n"
    "        const float f = ppo_policy_sigmoid1(g[H + j]);\n"
    "        const float z = ppo_policy_tanh1(g[2 * H + j]);\n"
    "        const float o = ppo_policy_sigmoid1(g[3 * H + j]);\n"
    "        const float c = f * hc[H + j] + i * z;\n"
    "        hc[H + j] = c;\n"
    "        hc[j] = o * ppo_policy_tanh1(c);\n"
    "    }\n"
    "}\n"
    "\n";

/* The arrays of dense layers named PREFIX_K (and the head's `head` name when not NULL) into
 * names (n + 1 entries of 24 characters). 0, or -1 after host->error. */
static int dense_arrays(const cw_file_t *f, const lstm_t *m, const float *params,
                        const net_layer_t *layers, uint32_t n, const net_layer_t *head,
                        const char *prefix, char (*names)[24])
{
    for (uint32_t k = 0; k <= n; k++) {
        const net_layer_t *Lk = k < n ? &layers[k] : head;
        if (Lk == NULL)
            break;
        char name[64];
        if (k < n)
            snprintf(names[k], 24, "%s_%u", prefix, k);
        else
            snprintf(names[k], 24, "%s_head", prefix);
        snprintf(name, sizeof(name), "ppo_policy_%s_weight", names[k]);
        if (cw_array(f, name, net_seg(&m->table, params, Lk->weight), Lk->out, Lk->in) != 0)
            return -1;
        snprintf(name, sizeof(name), "ppo_policy_%s_bias", names[k]);
        if (cw_array(f, name, net_seg(&m->table, params, Lk->weight + 1), Lk->out, 1) != 0)
            return -1;
    }
    return 0;
}

/* The four arrays of each layer of a stack, ppo_policy_PREFIX_K_weight_ih etc. */
static int stack_arrays(const cw_file_t *f, const lstm_t *m, const float *params,
                        const lstm_stack_t *st, const char *prefix)
{
    static const char *const kinds[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    for (uint32_t k = 0; k < st->n; k++)
        for (uint32_t j = 0; j < 4; j++) {
            const ppo_segment_t *seg = &m->table.tab.segments[st->seg + 4 * k + j];
            char name[64];
            snprintf(name, sizeof(name), "ppo_policy_%s_%u_%s", prefix, k, kinds[j]);
            if (cw_array(f, name, net_seg(&m->table, params, st->seg + 4 * k + j), seg->rows,
                         seg->cols) != 0)
                return -1;
        }
    return 0;
}

/* The calls stepping a stack from the C expression x (its layer 0's input). */
static void stack_calls(const cw_file_t *f, const lstm_t *m, const lstm_stack_t *st,
                        const char *prefix, const char *x)
{
    for (uint32_t k = 0; k < st->n; k++) {
        const uint32_t off = st->state_off + 2 * m->H * k;
        fprintf(f->out, "    ppo_policy_lstm(%u, %u, ", k == 0 ? st->in : m->H, m->H);
        if (k == 0)
            fprintf(f->out, "%s", x);
        else
            fprintf(f->out, "state + %u", off - 2 * m->H);
        fprintf(f->out,
                ", ppo_policy_%s_%u_weight_ih,\n"
                "                    ppo_policy_%s_%u_weight_hh, ppo_policy_%s_%u_bias_ih,\n"
                "                    ppo_policy_%s_%u_bias_hh, state + %u, gates, gates2);\n",
                prefix, k, prefix, k, prefix, k, prefix, k, off);
    }
}

/* The opening comment's description of the network. */
static void describe(const lstm_t *m, FILE *out)
{
    const char *act = m->activation == PPO_ACTIVATION_RELU ? "relu" : "tanh";
    fprintf(out, "/* ppo_policy: the deterministic action of a ppofw lstm policy, as C99.\n *\n");
    fprintf(out, " * Network: %u observations", m->D);
    for (uint32_t k = 0; k < m->n_enc; k++)
        fprintf(out, " -> %u (%s)", m->enc[k].out, act);
    fprintf(out, " -> LSTM %u x %u", m->n_layers, m->H);
    for (uint32_t k = 0; k < m->n_pi; k++)
        fprintf(out, " -> %u (%s)", m->pi[k].out, act);
    fprintf(out, " -> %u %s.\n", m->pi_head.out,
            m->dist.kind == NET_DIST_GAUSSIAN ? "means" : "logits");
    fprintf(out,
            " * The state holds, per LSTM layer, its h then its c (%u floats each), the actor's\n"
            " * layers first%s, as the plugin keeps it.\n",
            m->H,
            m->critic == LSTM_CRITIC_SEPARATE
                ? ", then the critic's (stepped too, so the state stays the\n * plugin's; the "
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
    cw_file_t f;
    if (cw_begin(&f, out, m->host, norm, m->obs, &m->dist, m->S) != 0)
        return -1;
    describe(m, out);
    cw_about(&f);

    /* the constants */
    int rc = -1;
    const uint32_t chain = (m->n_enc > m->n_pi ? m->n_enc : m->n_pi) + 1;
    char(*enc_names)[24] = calloc(m->n_enc + 1, sizeof(*enc_names));
    char(*pi_names)[24] = calloc(m->n_pi + 1, sizeof(*pi_names));
    const char **names = calloc(chain, sizeof(*names));
    uint32_t *widths = calloc(chain + 1, sizeof(*widths));
    if (enc_names == NULL || pi_names == NULL || names == NULL || widths == NULL) {
        m->host->error(m->host, "out of memory exporting the policy");
        goto out_free;
    }
    if (dense_arrays(&f, m, params, m->enc, m->n_enc, NULL, "enc", enc_names) != 0 ||
        stack_arrays(&f, m, params, &m->actor, "lstm") != 0 ||
        stack_arrays(&f, m, params, &m->vf_stack, "vf_lstm") != 0 ||
        dense_arrays(&f, m, params, m->pi, m->n_pi, &m->pi_head, "pi", pi_names) != 0)
        goto out_free;
    cw_constants(&f);

    /* the code: observation, encoder, the stacks (critic's too), policy layers, head */
    cw_helpers(&f, m->n_enc + m->n_pi > 0, m->activation == PPO_ACTIVATION_RELU, 1);
    fputs(helper_lstm, out);
    cw_act_open(&f);
    fprintf(out, "    float buf0[%u], buf1[%u], gates[%u], gates2[%u];\n", m->max_width,
            m->max_width, 4 * m->H, 4 * m->H);
    cw_obs(&f, "buf0");
    static const char *const bufs[2] = {"buf0", "buf1"};
    int next = 1;

    widths[0] = m->D;
    for (uint32_t k = 0; k < m->n_enc; k++) {
        names[k] = enc_names[k];
        widths[k + 1] = m->enc[k].out;
    }
    const char *e = cw_chain(&f, m->n_enc, names, widths, "buf0", 1, bufs, &next);
    stack_calls(&f, m, &m->actor, "lstm", e);
    stack_calls(&f, m, &m->vf_stack, "vf_lstm", e);

    char top[32];
    snprintf(top, sizeof(top), "state + %u", 2 * m->H * (m->n_layers - 1));
    widths[0] = m->H;
    for (uint32_t k = 0; k <= m->n_pi; k++) {
        names[k] = pi_names[k];
        widths[k + 1] = k < m->n_pi ? m->pi[k].out : m->pi_head.out;
    }
    const char *y = cw_chain(&f, m->n_pi + 1, names, widths, top, 0, bufs, &next);
    rc = cw_act_close(&f, y);
out_free:
    free(enc_names);
    free(pi_names);
    free(names);
    free(widths);
    return rc;
}
