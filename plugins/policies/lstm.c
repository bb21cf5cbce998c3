/* lstm — a recurrent actor-critic policy (plugin ABI 1.2): an optional dense encoder, a stack of
 * LSTM layers, and dense actor and critic heads, as sb3-contrib's RecurrentPPO and CleanRL's
 * ppo_atari_lstm build them, with categorical, diagonal-Gaussian and multi-discrete heads.
 *
 *   obs -> [encoder_hidden dense] -> E -> lstm (lstm_layers x lstm_hidden) -> [pi_hidden] ->
 * pi_head critic: separate  -> vf_lstm (its own stack on E) -> [vf_hidden] -> vf_head shared    ->
 * the actor's LSTM output     -> [vf_hidden] -> vf_head mlp       -> E (no memory)               ->
 * [vf_hidden] -> vf_head
 *
 * sb3-contrib's enable_critic_lstm=True is `separate` (its default and the zoo's), shared_lstm=True
 * is `shared`, and enable_critic_lstm=False is `mlp` (sb3-contrib puts one more Linear layer
 * without activation there; vf_hidden covers it). The encoder feeds both stacks, as sb3-contrib's
 * shared features extractor does.
 *
 * State. S = 2 lstm_hidden floats per LSTM layer (its h, then its c), the actor's layers first,
 * then the critic's: S = 2 H lstm_layers, twice that with a separate critic. The initial state is
 * zeros (initial_state is NULL). Memory lives in the core's state rows only; the instance holds
 * nothing per env, so act, value and evaluate are pure functions of their arguments and the
 * parameters.
 *
 * Parameters are the core's: the segment table names them PyTorch-style in declaration order
 * (enc.K.weight/bias, lstm.K.weight_ih/weight_hh/bias_ih/bias_hh with the gates in PyTorch's
 * order i, f, g, o, pi.K.*, pi_head.*, vf_lstm.K.*, vf.K.*, vf_head.*, log_std). With ortho_init,
 * LSTM weights are orthogonal with gain 1 and its biases 0 (CleanRL), dense layers as mlp's
 * (sqrt(2) hidden, 0.01 policy head, 1 value head); without it, PyTorch's defaults (uniform in
 * +-1/sqrt(H) for every LSTM parameter, +-1/sqrt(fan_in) for Linear layers).
 *
 * The LSTM is the SDK's (rnn.h), the dense layers and distributions are shared with mlp (net.h),
 * export_c's writer is lstm_export.c. Every call computes in the workspace it is given; nothing
 * allocates after ws_create.
 *
 * Left out: a CNN trunk, a learnt initial state, gSDE, layer normalization, squashed actions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw/ppofw.h>

#include "lstm.h"

static const char *const critic_choices[] = {"separate", "shared", "mlp", NULL};

static const ppo_param_spec_t lstm_params[] = {
    NET_PARAM_WIDTHS("encoder_hidden", "[]",
                     "widths of dense layers between the observation and the LSTM, shared by the "
                     "actor and the critic; [] feeds the observation to the LSTM"),
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .type = PPO_PARAM_INT,
        .name = "lstm_hidden",
        .default_value = "64",
        .min = 1,
        .max = NET_MAX_WIDTH,
        .doc = "hidden units of each LSTM layer (H)",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .type = PPO_PARAM_INT,
        .name = "lstm_layers",
        .default_value = "1",
        .min = 1,
        .max = LSTM_MAX_LAYERS,
        .doc = "stacked LSTM layers",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_ENUM,
        .name = "critic",
        .default_value = "separate",
        .choices = critic_choices,
        .doc = "what the value head reads: its own LSTM stack on the encoder's output (separate, "
               "sb3-contrib's enable_critic_lstm), the actor's LSTM (shared, shared_lstm), or the "
               "encoder's output without memory (mlp)",
    },
    NET_PARAM_WIDTHS("pi_hidden", "[64]",
                     "widths of the dense layers between the LSTM and the policy head"),
    NET_PARAM_WIDTHS("vf_hidden", "[64]", "widths of the dense layers before the value head"),
    NET_PARAM_ACTIVATION("activation of every dense hidden layer (the LSTM's gates are its own)"),
    NET_PARAM_ORTHO_INIT("orthogonal weights (LSTM gain 1 with zero biases, as CleanRL; dense "
                         "sqrt(2) hidden, 0.01 policy head, 1 value head); false: PyTorch's "
                         "defaults, uniform in +-1/sqrt(H) for the LSTM and +-1/sqrt(fan_in) for "
                         "Linear layers"),
    NET_PARAM_LOG_STD_INIT,
};

/* ---- create / destroy ---- */

static void lstm_destroy(void *inst)
{
    lstm_t *m = inst;
    if (m == NULL)
        return;
    free(m->enc);
    free(m->pi);
    free(m->vf);
    net_table_free(&m->table);
    free(m);
}

/* Declare a stack of n LSTM layers over `in` inputs named PREFIX.K.*, their states from state_off
 * on in a state row. */
static void add_stack(lstm_t *m, lstm_stack_t *st, const char *prefix, uint32_t n, uint32_t in,
                      uint32_t state_off, int ortho)
{
    static const char *const kinds[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    const uint32_t H = m->H;
    const double bound = 1.0 / sqrt((double)H);
    st->n = n;
    st->in = in;
    st->state_off = state_off;
    st->seg = m->table.tab.n_segments;
    for (uint32_t k = 0; k < n; k++)
        for (int j = 0; j < 4; j++) {
            char name[NET_NAME_LEN];
            snprintf(name, sizeof(name), "%s.%u.%s", prefix, k, kinds[j]);
            const uint32_t cols = j == 0 ? (k == 0 ? in : H) : j == 1 ? H : 1;
            if (!ortho)
                net_table_add(&m->table, name, 4 * H, cols, PPO_INIT_UNIFORM, bound, 0.0);
            else if (j < 2)
                net_table_add(&m->table, name, 4 * H, cols, PPO_INIT_ORTHOGONAL, 0.0, 1.0);
            else
                net_table_add(&m->table, name, 4 * H, cols, PPO_INIT_CONSTANT, 0.0, 0.0);
        }
}

/* Declare dense hidden layers PREFIX.K from `in` with the widths w (n); returns the last width. */
static uint32_t add_dense(lstm_t *m, net_layer_t *layers, const char *prefix, uint32_t n,
                          const int64_t *w, uint32_t in, int ortho)
{
    char name[NET_NAME_LEN];
    for (uint32_t k = 0; k < n; k++) {
        snprintf(name, sizeof(name), "%s.%u", prefix, k);
        net_add_linear(&m->table, &layers[k], name, in, (uint32_t)w[k], ortho, sqrt(2.0));
        in = (uint32_t)w[k];
        m->max_width = in > m->max_width ? in : m->max_width;
    }
    return in;
}

static void *lstm_create(const ppo_host_t *host, const ppo_params_t *params,
                         const ppo_policy_setup_t *setup)
{
    net_dist_t dist;
    if (net_dist_init(&dist, host, setup, "lstm", 1) != 0)
        return NULL;
    lstm_t *m = calloc(1, sizeof(*m));
    if (m == NULL)
        goto out_oom;
    m->host = host;
    m->obs = setup->obs_space;
    m->act = setup->act_space;
    m->D = setup->obs_space->dim;
    m->dist = dist;
    m->activation = net_param_activation(params);
    m->critic = (lstm_critic_t)ppo_params_get_enum_index(params, "critic");
    m->H = (uint32_t)ppo_params_get_int(params, "lstm_hidden");
    m->n_layers = (uint32_t)ppo_params_get_int(params, "lstm_layers");
    const int ortho = ppo_params_get_bool(params, "ortho_init");
    const double log_std_init = ppo_params_get_double(params, "log_std_init");
    const int64_t *enc_w = NULL, *pi_w = NULL, *vf_w = NULL;
    m->n_enc = (uint32_t)ppo_params_get_int_list(params, "encoder_hidden", &enc_w);
    m->n_pi = (uint32_t)ppo_params_get_int_list(params, "pi_hidden", &pi_w);
    m->n_vf = (uint32_t)ppo_params_get_int_list(params, "vf_hidden", &vf_w);

    /* the state: (h, c) per layer, the actor's then the critic's */
    const uint32_t n_stacks = m->critic == LSTM_CRITIC_SEPARATE ? 2 : 1;
    const uint64_t S = (uint64_t)n_stacks * m->n_layers * 2 * m->H;
    if (S > LSTM_MAX_STATE) {
        host->error(host,
                    "lstm_hidden %u x lstm_layers %u%s makes %llu floats of state per env; the "
                    "contract allows at most 2^20: make the LSTM smaller",
                    m->H, m->n_layers, n_stacks == 2 ? " x 2 (critic: separate)" : "",
                    (unsigned long long)S);
        goto out_free_quiet;
    }
    m->S = (uint32_t)S;

    /* the segment table: 2 per Linear layer, 4 per LSTM layer, log_std */
    const uint32_t max_segs = 2 * (m->n_enc + m->n_pi + m->n_vf + 2) + 4 * 2 * m->n_layers + 1;
    m->enc = calloc(m->n_enc > 0 ? m->n_enc : 1, sizeof(*m->enc));
    m->pi = calloc(m->n_pi > 0 ? m->n_pi : 1, sizeof(*m->pi));
    m->vf = calloc(m->n_vf > 0 ? m->n_vf : 1, sizeof(*m->vf));
    if (m->enc == NULL || m->pi == NULL || m->vf == NULL ||
        net_table_init(&m->table, max_segs) != 0)
        goto out_free;

    m->max_width = m->D > m->H ? m->D : m->H;
    m->E = add_dense(m, m->enc, "enc", m->n_enc, enc_w, m->D, ortho);
    add_stack(m, &m->actor, "lstm", m->n_layers, m->E, 0, ortho);
    const uint32_t latent = add_dense(m, m->pi, "pi", m->n_pi, pi_w, m->H, ortho);
    net_add_linear(&m->table, &m->pi_head, "pi_head", latent, dist.n_out, ortho, 0.01);
    if (m->critic == LSTM_CRITIC_SEPARATE)
        add_stack(m, &m->vf_stack, "vf_lstm", m->n_layers, m->E, m->n_layers * 2 * m->H, ortho);
    const uint32_t vf_in = m->critic == LSTM_CRITIC_MLP ? m->E : m->H;
    const uint32_t vf_latent = add_dense(m, m->vf, "vf", m->n_vf, vf_w, vf_in, ortho);
    net_add_linear(&m->table, &m->vf_head, "vf_head", vf_latent, 1, ortho, 1.0);
    m->max_width = dist.n_out > m->max_width ? dist.n_out : m->max_width;
    m->log_std = LSTM_NO_SEGMENT;
    if (dist.kind == NET_DIST_GAUSSIAN)
        m->log_std =
            net_table_add(&m->table, "log_std", dist.A, 1, PPO_INIT_CONSTANT, log_std_init, 0.0);
    if (net_table_check(&m->table, host, "lstm") != 0) {
        lstm_destroy(m);
        return NULL;
    }
    return m;

out_free:
    lstm_destroy(m);
out_oom:
    host->error(host, "out of memory creating the lstm policy");
    return NULL;
out_free_quiet:
    lstm_destroy(m);
    return NULL;
}

static const ppo_segment_t *lstm_segments(void *inst, uint32_t *n_segments)
{
    lstm_t *m = inst;
    *n_segments = m->table.tab.n_segments;
    return m->table.tab.segments;
}

static uint32_t lstm_dist_size(void *inst)
{
    return ((lstm_t *)inst)->dist.P;
}

static void lstm_bind(void *inst, const float *params)
{
    ((lstm_t *)inst)->params = params;
}

static uint32_t lstm_state_size(void *inst)
{
    return ((lstm_t *)inst)->S;
}

/* 2 x rows x cols per dense layer; 8 H (in + H) per LSTM layer and step. */
static double lstm_forward_flops(void *inst)
{
    const lstm_t *m = inst;
    double flops = 0.0;
    const net_layer_t *dense[3] = {m->enc, m->pi, m->vf};
    const uint32_t n_dense[3] = {m->n_enc, m->n_pi, m->n_vf};
    for (int b = 0; b < 3; b++)
        for (uint32_t k = 0; k < n_dense[b]; k++)
            flops += 2.0 * dense[b][k].in * dense[b][k].out;
    flops += 2.0 * m->pi_head.in * m->pi_head.out + 2.0 * m->vf_head.in * m->vf_head.out;
    const uint32_t n_stacks = m->critic == LSTM_CRITIC_SEPARATE ? 2 : 1;
    for (uint32_t k = 0; k < m->n_layers; k++)
        flops += n_stacks * 8.0 * m->H * ((k == 0 ? m->E : m->H) + (double)m->H);
    return flops;
}

/* ---- workspaces ---- */

static void lstm_ws_destroy(void *inst, void *wsp)
{
    lstm_t *m = inst;
    lstm_ws_t *ws = wsp;
    if (ws == NULL)
        return;
    if (ws->block != NULL)
        m->host->aligned_free(ws->block);
    free(ws->ptrs);
    free(ws);
}

/* Point the buffers into the arena (sizes only while it has no block). */
static void ws_layout(const lstm_t *m, lstm_ws_t *ws, net_arena_t *a, uint64_t B)
{
    const uint64_t W = m->max_width, H = m->H;
    ws->obs = net_take(a, B * m->D);
    for (uint32_t k = 0; k < m->n_enc; k++)
        ws->enc_h[k] = net_take(a, B * m->enc[k].out);
    for (uint32_t k = 0; k < m->n_pi; k++)
        ws->pi_h[k] = net_take(a, B * m->pi[k].out);
    for (uint32_t k = 0; k < m->n_vf; k++)
        ws->vf_h[k] = net_take(a, B * m->vf[k].out);
    const lstm_stack_t *stacks[2] = {&m->actor, &m->vf_stack};
    for (int s = 0; s < 2; s++)
        for (uint32_t k = 0; k < stacks[s]->n; k++) {
            ws->lstm_h[s][k] = net_take(a, B * H);
            ws->lstm_ws[s][k] = net_take(
                a, ppo_lstm_ws_floats((uint32_t)B, 1, k == 0 ? stacks[s]->in : m->H, m->H));
        }
    ws->state = net_take(a, B * 2 * H);
    ws->mean = net_take(a, B * m->dist.A);
    ws->dist = net_take(a, B * m->dist.P);
    ws->value = net_take(a, B);
    ws->actions = net_take(a, B * m->dist.A);
    ws->old_dist = net_take(a, B * m->dist.P);
    ws->ddist = net_take(a, B * m->dist.P);
    ws->dmean = net_take(a, B * m->dist.A);
    ws->d0 = net_take(a, B * W);
    ws->d1 = net_take(a, B * W);
    for (int s = 0; s < 2; s++)
        ws->dtop[s] = net_take(a, B * H);
    ws->denc = net_take(a, B * W);
}

static void *lstm_ws_create(void *inst, uint32_t max_batch)
{
    lstm_t *m = inst;
    const uint64_t B = max_batch > 0 ? max_batch : 1;
    /* every layer's SDK workspace must be sizeable for B rows */
    for (uint32_t k = 0; k < m->n_layers; k++)
        if (ppo_lstm_ws_floats((uint32_t)B, 1, k == 0 ? m->E : m->H, m->H) == 0) {
            m->host->error(m->host, "an lstm workspace for %u rows is too large", max_batch);
            return NULL;
        }
    lstm_ws_t *ws = calloc(1, sizeof(*ws));
    const size_t n_ptrs = m->n_enc + m->n_pi + m->n_vf + 4 * (size_t)m->n_layers + 1;
    if (ws == NULL || (ws->ptrs = calloc(n_ptrs, sizeof(float *))) == NULL) {
        free(ws);
        m->host->error(m->host, "out of memory allocating an lstm workspace for %u rows",
                       max_batch);
        return NULL;
    }
    ws->max_batch = max_batch;
    ws->enc_h = ws->ptrs;
    ws->pi_h = ws->enc_h + m->n_enc;
    ws->vf_h = ws->pi_h + m->n_pi;
    ws->lstm_h[0] = ws->vf_h + m->n_vf;
    ws->lstm_h[1] = ws->lstm_h[0] + m->n_layers;
    ws->lstm_ws[0] = ws->lstm_h[1] + m->n_layers;
    ws->lstm_ws[1] = ws->lstm_ws[0] + m->n_layers;

    /* lay the buffers out once to size the block, then again to point into it */
    net_arena_t arena = {0};
    ws_layout(m, ws, &arena, B);
    if (net_arena_alloc(&arena, m->host, "an lstm", max_batch) != 0) {
        lstm_ws_destroy(m, ws);
        return NULL;
    }
    ws->block = arena.base;
    ws_layout(m, ws, &arena, B);
    return ws;
}

/* ---- forward ---- */

/* Common checks of a computing call over `rows` rows; 0 or -1 after host->error. */
static int check_call(const lstm_t *m, const lstm_ws_t *ws, uint64_t rows, const char *what)
{
    return net_check_call(m->host, m->params, ws, ws != NULL ? ws->max_batch : 0, rows, what);
}

/* Gather layer `off`'s (h, c) of n rows of states (stride S) into ws->state (n, 2H), or scatter
 * ws->state back when back is set. */
static void move_states(const lstm_t *m, lstm_ws_t *ws, uint32_t n, const float *from, float *to,
                        uint32_t off, int back)
{
    const size_t w = (size_t)2 * m->H;
    for (uint32_t r = 0; r < n; r++) {
        if (back)
            memcpy(to + (size_t)r * m->S + off, ws->state + r * w, w * sizeof(float));
        else
            memcpy(ws->state + r * w, from + (size_t)r * m->S + off, w * sizeof(float));
    }
}

/* Stack `s` (0 actor, 1 critic) over n_seq sequences of L steps of x, each starting from its row
 * of `state` (n_seq, S), with the episode starts `starts` (or NULL). When state_out is not NULL
 * (act: L = 1; it may be `state`), the stack's part of each row of state_out is overwritten with
 * the state after the step. Returns the top layer's output (n_seq L, H). */
static const float *forward_stack(const lstm_t *m, lstm_ws_t *ws, int s, uint32_t n_seq, uint32_t L,
                                  const float *x, const float *state, const float *starts,
                                  float *state_out)
{
    const lstm_stack_t *st = s == 0 ? &m->actor : &m->vf_stack;
    const uint32_t H = m->H;
    for (uint32_t k = 0; k < st->n; k++) {
        const uint32_t seg = st->seg + 4 * k, off = st->state_off + k * 2 * H;
        const float *W_ih = net_seg(&m->table, m->params, seg);
        move_states(m, ws, n_seq, state, NULL, off, 0);
        ppo_lstm_forward(n_seq, L, k == 0 ? st->in : H, H, x, W_ih,
                         net_seg(&m->table, m->params, seg + 1),
                         net_seg(&m->table, m->params, seg + 2),
                         net_seg(&m->table, m->params, seg + 3), ws->state, starts, NULL,
                         ws->lstm_h[s][k], state_out != NULL ? ws->state : NULL, ws->lstm_ws[s][k]);
        if (state_out != NULL)
            move_states(m, ws, n_seq, NULL, state_out, off, 1);
        x = ws->lstm_h[s][k];
    }
    return x;
}

/* The distribution ws->dist (rows) from the actor's top LSTM output. */
static void forward_dist(const lstm_t *m, lstm_ws_t *ws, uint32_t rows, const float *top)
{
    const float *z =
        net_dense_forward(&m->table, m->params, m->activation, rows, m->pi, m->n_pi, top, ws->pi_h);
    const net_layer_t *PH = &m->pi_head;
    float *y = m->dist.kind == NET_DIST_GAUSSIAN ? ws->mean : ws->dist;
    ppo_linear_forward(rows, PH->in, PH->out, z, net_seg(&m->table, m->params, PH->weight),
                       net_seg(&m->table, m->params, PH->weight + 1), y);
    const float *ls =
        m->log_std != LSTM_NO_SEGMENT ? net_seg(&m->table, m->params, m->log_std) : NULL;
    net_dist_forward(&m->dist, rows, y, ls, ws->dist);
}

/* Values (rows) into value_out from what the value branch reads. */
static void forward_value(const lstm_t *m, lstm_ws_t *ws, uint32_t rows, const float *x,
                          float *value_out)
{
    const float *z =
        net_dense_forward(&m->table, m->params, m->activation, rows, m->vf, m->n_vf, x, ws->vf_h);
    const net_layer_t *VH = &m->vf_head;
    ppo_linear_forward(rows, VH->in, 1, z, net_seg(&m->table, m->params, VH->weight),
                       net_seg(&m->table, m->params, VH->weight + 1), value_out);
}

/* What the value branch reads: the critic's stack, the actor's, or the encoder's output. */
static const float *value_input(const lstm_t *m, const float *enc, const float *actor_top,
                                const float *critic_top)
{
    switch (m->critic) {
    case LSTM_CRITIC_SEPARATE:
        return critic_top;
    case LSTM_CRITIC_SHARED:
        return actor_top;
    case LSTM_CRITIC_MLP:
    default:
        return enc;
    }
}

static int lstm_act(void *inst, void *wsp, uint32_t B, const float *obs, const uint32_t *env_index,
                    ppo_rng_t *const *rngs, int deterministic, float *state, float *actions_out,
                    float *logp_out, float *value_out, float *dist_out)
{
    lstm_t *m = inst;
    lstm_ws_t *ws = wsp;
    (void)env_index; /* no per-env noise: the memory is in the state rows */
    if (check_call(m, ws, B, "act") != 0)
        return -1;
    if (B == 0)
        return 0;
    if (state == NULL || (!deterministic && rngs == NULL)) {
        m->host->error(m->host, "act: %s",
                       state == NULL ? "a recurrent act needs the rows' state"
                                     : "sampling needs the rows' streams "
                                       "(rngs is NULL)");
        return -1;
    }
    ws->n_seq = 0; /* the activations no longer belong to an evaluate() */

    /* both stacks step (the critic's state advances even when no value is asked for) */
    const float *enc =
        net_dense_forward(&m->table, m->params, m->activation, B, m->enc, m->n_enc, obs, ws->enc_h);
    const float *za = forward_stack(m, ws, 0, B, 1, enc, state, NULL, state);
    const float *zc = m->critic == LSTM_CRITIC_SEPARATE
                          ? forward_stack(m, ws, 1, B, 1, enc, state, NULL, state)
                          : NULL;
    forward_dist(m, ws, B, za);
    if (value_out != NULL)
        forward_value(m, ws, B, value_input(m, enc, za, zc), value_out);
    if (dist_out != NULL)
        memcpy(dist_out, ws->dist, (size_t)B * m->dist.P * sizeof(float));
    net_dist_act(&m->dist, B, ws->dist, rngs, deterministic, actions_out, logp_out);
    return 0;
}

static int lstm_value(void *inst, void *wsp, uint32_t B, const float *obs, const float *state,
                      float *value_out)
{
    lstm_t *m = inst;
    lstm_ws_t *ws = wsp;
    if (check_call(m, ws, B, "value") != 0)
        return -1;
    if (B == 0)
        return 0;
    if (state == NULL) {
        m->host->error(m->host, "value: a recurrent value needs the rows' state");
        return -1;
    }
    ws->n_seq = 0;
    /* the stack the value reads steps from the rows' states into the workspace only */
    const float *enc =
        net_dense_forward(&m->table, m->params, m->activation, B, m->enc, m->n_enc, obs, ws->enc_h);
    const float *top = NULL;
    if (m->critic == LSTM_CRITIC_SEPARATE)
        top = forward_stack(m, ws, 1, B, 1, enc, state, NULL, NULL);
    else if (m->critic == LSTM_CRITIC_SHARED)
        top = forward_stack(m, ws, 0, B, 1, enc, state, NULL, NULL);
    forward_value(m, ws, B, top != NULL ? top : enc, value_out);
    return 0;
}

static int lstm_evaluate(void *inst, void *wsp, uint32_t n_seq, uint32_t L, const float *obs,
                         const float *actions, const float *old_dist, const float *start_state,
                         const float *starts, float *logp_out, float *entropy_out, float *kl_out,
                         float *value_out)
{
    lstm_t *m = inst;
    lstm_ws_t *ws = wsp;
    const uint64_t rows64 = (uint64_t)n_seq * L;
    if (check_call(m, ws, rows64, "evaluate") != 0)
        return -1;
    ws->n_seq = 0;
    if (rows64 == 0)
        return 0;
    if (start_state == NULL) {
        m->host->error(m->host, "evaluate: the sequences' start states are missing");
        return -1;
    }
    const uint32_t rows = (uint32_t)rows64;

    /* keep the inputs backward needs */
    memcpy(ws->obs, obs, (size_t)rows * m->D * sizeof(float));
    memcpy(ws->actions, actions, (size_t)rows * m->dist.A * sizeof(float));
    ws->has_old = old_dist != NULL;
    if (old_dist != NULL)
        memcpy(ws->old_dist, old_dist, (size_t)rows * m->dist.P * sizeof(float));

    const float *enc = net_dense_forward(&m->table, m->params, m->activation, rows, m->enc,
                                         m->n_enc, ws->obs, ws->enc_h);
    const float *za = forward_stack(m, ws, 0, n_seq, L, enc, start_state, starts, NULL);
    const float *zc = m->critic == LSTM_CRITIC_SEPARATE
                          ? forward_stack(m, ws, 1, n_seq, L, enc, start_state, starts, NULL)
                          : NULL;
    forward_dist(m, ws, rows, za);
    forward_value(m, ws, rows, value_input(m, enc, za, zc), ws->value);
    if (value_out != NULL)
        memcpy(value_out, ws->value, (size_t)rows * sizeof(float));
    net_dist_evaluate(&m->dist, rows, ws->dist, ws->actions, ws->has_old ? ws->old_dist : NULL,
                      logp_out, entropy_out, kl_out);
    ws->n_seq = n_seq;
    ws->L = L;
    return 0;
}

/* ---- backward ---- */

/* dst (n) += src (n) */
static void add_into(float *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] += src[i];
}

/* Back through stack `s` given ws->dtop[s] = d loss / d (its top output); ADDS the parameters'
 * gradients into grad and, when the encoder needs it, d loss / d (encoder output) into
 * ws->denc. */
static void backward_stack(const lstm_t *m, lstm_ws_t *ws, int s, const float *enc, float *grad)
{
    const lstm_stack_t *st = s == 0 ? &m->actor : &m->vf_stack;
    const uint32_t H = m->H, n_seq = ws->n_seq, L = ws->L, rows = n_seq * L;
    const float *dh = ws->dtop[s];
    float *bufs[2] = {ws->d0, ws->d1};
    for (uint32_t k = st->n; k-- > 0;) {
        const uint32_t seg = st->seg + 4 * k, in = k == 0 ? st->in : H;
        float *dx = k > 0 || m->n_enc > 0 ? bufs[k % 2] : NULL;
        ppo_lstm_backward(n_seq, L, in, H, k == 0 ? enc : ws->lstm_h[s][k - 1],
                          net_seg(&m->table, m->params, seg),
                          net_seg(&m->table, m->params, seg + 1), dh, NULL, dx, NULL, NULL,
                          net_grad(&m->table, grad, seg), net_grad(&m->table, grad, seg + 1),
                          net_grad(&m->table, grad, seg + 2), net_grad(&m->table, grad, seg + 3),
                          ws->lstm_ws[s][k]);
        dh = dx;
    }
    if (m->n_enc > 0)
        add_into(ws->denc, dh, (size_t)rows * st->in);
}

static int lstm_backward(void *inst, void *wsp, uint32_t n_seq, uint32_t L, const float *dlogp,
                         const float *dentropy, const float *dkl, const float *dvalue,
                         float *grad_out)
{
    lstm_t *m = inst;
    lstm_ws_t *ws = wsp;
    const uint64_t rows64 = (uint64_t)n_seq * L;
    if (check_call(m, ws, rows64, "backward") != 0)
        return -1;
    if (rows64 == 0)
        return 0;
    if (ws->n_seq != n_seq || ws->L != L) {
        m->host->error(m->host,
                       "backward of %u sequences of %u steps, but the last call on this "
                       "workspace was %s; call evaluate on the same sequences first",
                       n_seq, L,
                       ws->n_seq == 0 ? "not an evaluate" : "an evaluate of another size");
        return -1;
    }
    const uint32_t rows = (uint32_t)rows64, H = m->H;
    const float *old = ws->has_old ? ws->old_dist : NULL;
    const float *dkl_used = ws->has_old ? dkl : NULL;
    const float *enc = m->n_enc > 0 ? ws->enc_h[m->n_enc - 1] : ws->obs;
    const float *za = ws->lstm_h[0][m->n_layers - 1];
    memset(ws->dtop[0], 0, (size_t)rows * H * sizeof(float));
    memset(ws->dtop[1], 0, (size_t)rows * H * sizeof(float));
    if (m->n_enc > 0)
        memset(ws->denc, 0, (size_t)rows * m->E * sizeof(float));

    /* the policy branch: head, dense layers, into d loss / d (actor's top output) */
    if (dlogp != NULL || dentropy != NULL || dkl_used != NULL) {
        float *dlog_std =
            m->log_std != LSTM_NO_SEGMENT ? net_grad(&m->table, grad_out, m->log_std) : NULL;
        const float *dy = net_dist_backward(&m->dist, rows, ws->dist, ws->actions, old, dlogp,
                                            dentropy, dkl_used, ws->ddist, ws->dmean, dlog_std);
        const net_layer_t *PH = &m->pi_head;
        const float *z = m->n_pi > 0 ? ws->pi_h[m->n_pi - 1] : za;
        ppo_linear_backward(rows, PH->in, PH->out, z, net_seg(&m->table, m->params, PH->weight), dy,
                            ws->d0, net_grad(&m->table, grad_out, PH->weight),
                            net_grad(&m->table, grad_out, PH->weight + 1));
        const float *dz = net_dense_backward(&m->table, m->params, m->activation, rows, m->pi,
                                             m->n_pi, ws->pi_h, za, ws->d0, ws->d1, 1, grad_out);
        add_into(ws->dtop[0], dz, (size_t)rows * H);
    }

    /* the value branch, into the top of what it reads */
    if (dvalue != NULL) {
        const float *zc = m->critic == LSTM_CRITIC_SEPARATE ? ws->lstm_h[1][m->n_layers - 1] : NULL;
        const float *x = value_input(m, enc, za, zc);
        const net_layer_t *VH = &m->vf_head;
        const float *z = m->n_vf > 0 ? ws->vf_h[m->n_vf - 1] : x;
        const int want = m->critic != LSTM_CRITIC_MLP || m->n_enc > 0;
        ppo_linear_backward(rows, VH->in, 1, z, net_seg(&m->table, m->params, VH->weight), dvalue,
                            want || m->n_vf > 0 ? ws->d0 : NULL,
                            net_grad(&m->table, grad_out, VH->weight),
                            net_grad(&m->table, grad_out, VH->weight + 1));
        const float *dx = net_dense_backward(&m->table, m->params, m->activation, rows, m->vf,
                                             m->n_vf, ws->vf_h, x, ws->d0, ws->d1, want, grad_out);
        if (m->critic == LSTM_CRITIC_MLP && m->n_enc > 0)
            add_into(ws->denc, dx, (size_t)rows * m->E);
        else if (m->critic != LSTM_CRITIC_MLP)
            add_into(ws->dtop[m->critic == LSTM_CRITIC_SEPARATE ? 1 : 0], dx, (size_t)rows * H);
    }

    /* through time, then the encoder */
    backward_stack(m, ws, 0, enc, grad_out);
    if (m->critic == LSTM_CRITIC_SEPARATE)
        backward_stack(m, ws, 1, enc, grad_out);
    if (m->n_enc > 0)
        net_dense_backward(&m->table, m->params, m->activation, rows, m->enc, m->n_enc, ws->enc_h,
                           ws->obs, ws->denc, ws->d0, 0, grad_out);
    return 0;
}

/* ---- the tables ---- */

static const ppo_recurrent_vtable_t lstm_recurrent = {
    .struct_size = sizeof(ppo_recurrent_vtable_t),
    .state_size = lstm_state_size,
    .initial_state = NULL,
    .act = lstm_act,
    .value = lstm_value,
    .evaluate = lstm_evaluate,
    .backward = lstm_backward,
};

static const ppo_policy_vtable_t lstm_vtable = {
    .struct_size = sizeof(ppo_policy_vtable_t),
    .create = lstm_create,
    .destroy = lstm_destroy,
    .segments = lstm_segments,
    .dist_size = lstm_dist_size,
    .bind = lstm_bind,
    .ws_create = lstm_ws_create,
    .ws_destroy = lstm_ws_destroy,
    .export_c = lstm_export_c,
    .recurrent = &lstm_recurrent,
    .forward_flops = lstm_forward_flops,
};

PPO_PLUGIN_DEFINE(PPO_KIND_POLICY, "lstm", "1.0.0",
                  "Recurrent actor-critic: dense encoder, LSTM, dense heads; categorical, "
                  "Gaussian or multi-discrete actions; separate, shared or memoryless critic",
                  lstm_params, PPO_ARRAY_LEN(lstm_params), &lstm_vtable)
