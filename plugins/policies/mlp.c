/* mlp — the multilayer-perceptron actor-critic policy: separate (or shared) fully connected
 * branches for the action distribution and the value, as Stable-Baselines3's ActorCriticPolicy
 * builds them, with a categorical head for discrete actions, one categorical per component for
 * multi-discrete actions, and a diagonal Gaussian head for box actions (a state-independent
 * log-std, or generalized state-dependent exploration, gSDE). Image observations are flattened.
 *
 * Parameters are the core's: the segment table below names them PyTorch-style in declaration
 * order (pi.K.weight/bias, pi_head.*, vf.K.*, vf_head.*, log_std) and says how to initialize
 * them; bind() hands over the array. Every call computes in the workspace it is given, so
 * calls on different workspaces run in parallel; nothing allocates after ws_create. The only
 * instance state that changes after create is gSDE's per-env noise, touched only for the env
 * indices of a call's rows (and saved with checkpoints through get_state/set_state).
 *
 * gSDE follows SB3's StateDependentNoiseDistribution with full_std, no expln, no learned
 * features, no squashing: the latent z is the last hidden layer of the pi branch (the
 * observation when there is none), std = exp(log_std) is (latent, A), the action distribution
 * is Normal(mean, sqrt(z^2 std^2 + 1e-6)) with z held constant on that path, and a stochastic
 * action is mean + z E_env with E_env ~ N(0, std) drawn per env: by reset_noise (the core calls
 * it for every env at the start of every rollout, as SB3's collect_rollouts does, so the noise
 * always has the std the rollout's log-probabilities are computed with), inside act from the
 * row's stream every sde_sample_freq acts of that env since the last draw when positive (SB3's
 * sde_sample_freq: steps counted within the rollout), and at an env's first stochastic act if it
 * was never drawn (evaluation calls reset_noise at each of its episodes instead).
 *
 * Left out: convolutional or recurrent trunks, squashed (tanh) actions, action masks, learned
 * gSDE features. Box actions leave unclipped; the core clips them for the env. export_c (the
 * writer is mlp_export.c) writes the deterministic policy as one dependency-free C99 file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw/ppofw.h>

#include "mlp_export.h"
#include "net.h"

#define MLP_SDE_EPS 1e-6f /* added to the gSDE variance, as SB3 does */
#define MLP_NO_SEGMENT UINT32_MAX

/* What the policy head is. */
typedef enum mlp_head {
    MLP_HEAD_CATEGORICAL, /* logits (n) */
    MLP_HEAD_MULTI,       /* the logits of each multi-discrete component in turn (sum of nvec) */
    MLP_HEAD_GAUSSIAN,    /* means (A) and a state-independent log_std (A) */
    MLP_HEAD_GSDE,        /* means (A) and log_std (latent, A) of the gSDE weights */
} mlp_head_t;

/* One policy instance. Read-only after create and bind, except the gSDE noise arrays. */
typedef struct mlp {
    const ppo_host_t *host;      /* host services, valid until destroy */
    uint32_t n_envs;             /* env indices act and reset_noise may see */
    const ppo_space_t *obs_space; /* setup's, valid until destroy (export_c reads them) */
    const ppo_space_t *act_space;
    uint32_t D;                  /* observation size */
    uint32_t A;                  /* action floats per row: 1 for discrete */
    uint32_t n_actions;          /* logits: discrete n, multi-discrete the sum of nvec; box: 0 */
    uint32_t P;                  /* distribution floats per row */
    mlp_head_t head;             /* kind of head */
    net_dist_t dist;             /* its distribution (gSDE's: a Gaussian) */
    ppo_activation_t activation; /* of every hidden layer */
    int share;                   /* 1: the value head reads the pi trunk */
    uint32_t n_pi;               /* hidden layers of the pi branch (the trunk when shared) */
    uint32_t n_vf;               /* hidden layers of the value branch (0 when shared) */
    net_layer_t *pi;             /* (n_pi) */
    net_layer_t *vf;             /* (n_vf) */
    net_layer_t pi_head;         /* latent -> logits or means */
    net_layer_t vf_head;         /* value latent -> 1 */
    uint32_t log_std;            /* segment index of log_std, or MLP_NO_SEGMENT */
    uint32_t latent;             /* width of what pi_head reads (gSDE's latent size) */
    uint32_t max_width;          /* widest layer input or output */
    int64_t sde_sample_freq;     /* gSDE: redraw every this many acts of an env since its last
                                  * draw; <= 0: only when reset_noise is called */
    net_table_t table;           /* the segment table */
    const float *params;         /* the bound array (the core's), or NULL before bind */
    float *noise;                /* gSDE: (n_envs, latent, A) exploration matrices */
    uint64_t *noise_steps;       /* gSDE: (n_envs) act() steps since the env's noise was drawn */
    uint8_t *noise_drawn;        /* gSDE: (n_envs) 1 once the env's noise has been drawn */
} mlp_t;

/* Everything one call writes, for up to max_batch rows; one aligned block backs the floats. */
typedef struct mlp_ws {
    uint32_t max_batch; /* rows a call may have */
    net_kept_t kept;    /* what the last evaluate() keeps for backward */
    float **pi_h;       /* (n_pi) each (B, width): outputs of the pi hidden layers */
    float **vf_h;       /* (n_vf) each (B, width): outputs of the value hidden layers */
    float *mean;        /* (B, A) Gaussian means */
    float *dist;        /* (B, P) distribution parameters */
    float *value;       /* (B) values */
    float *z2;          /* gSDE: (B, latent) squared latent */
    float *sig2t;       /* gSDE: (A, latent) exp(2 log_std), transposed */
    float *var;         /* gSDE: (B, A) action variance + MLP_SDE_EPS */
    float *coef;        /* gSDE backward: (B, A) d loss / d variance, halved */
    float *gacc;        /* gSDE backward: (latent, A) */
    float *ddist;       /* (B, P) d loss / d dist */
    float *dhead;       /* (B, A) d loss / d means */
    float *d0;          /* (B, max_width) layer deltas */
    float *d1;          /* (B, max_width) */
    float *d2;          /* (B, max_width) */
    void *block;        /* the aligned allocation behind the floats */
} mlp_ws_t;

static const ppo_param_spec_t mlp_params[] = {
    NET_PARAM_WIDTHS("pi_hidden", "[64, 64]",
                     "widths of the hidden layers of the policy branch (the shared trunk with "
                     "share_trunk); [] puts the policy head on the observation"),
    NET_PARAM_WIDTHS("vf_hidden", "[64, 64]",
                     "widths of the hidden layers of the value branch; [] puts the value head on "
                     "the observation; ignored with share_trunk"),
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "share_trunk",
        .default_value = "false",
        .doc = "one trunk with the layers of pi_hidden feeds both heads",
    },
    NET_PARAM_ACTIVATION("activation of every hidden layer"),
    NET_PARAM_ORTHO_INIT("orthogonal weights (gain sqrt(2) hidden, 0.01 policy head, 1 value "
                         "head) and zero biases; false: PyTorch's default "
                         "uniform(+-1/sqrt(fan_in)) Linear init"),
    NET_PARAM_LOG_STD_INIT,
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "sde",
        .default_value = "false",
        .doc = "generalized state-dependent exploration (gSDE) for box actions",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_INT,
        .name = "sde_sample_freq",
        .default_value = "-1",
        .min = -1,
        .doc = "with sde: redraw an env's exploration noise every this many of its steps within a "
               "rollout (SB3's sde_sample_freq); -1 or 0: once per rollout, at its start",
    },
};

/* ---- helpers ---- */

static inline const float *seg_ptr(const mlp_t *m, const float *base, uint32_t seg)
{
    return net_seg(&m->table, base, seg);
}

static inline float *grad_ptr(const mlp_t *m, float *base, uint32_t seg)
{
    return net_grad(&m->table, base, seg);
}

/* ---- create / destroy ---- */

static void mlp_destroy(void *inst)
{
    mlp_t *m = inst;
    if (m == NULL)
        return;
    free(m->pi);
    free(m->vf);
    net_table_free(&m->table);
    free(m->noise);
    free(m->noise_steps);
    free(m->noise_drawn);
    free(m);
}

static void *mlp_create(const ppo_host_t *host, const ppo_params_t *params,
                        const ppo_policy_setup_t *setup)
{
    const int sde = ppo_params_get_bool(params, "sde");
    net_dist_t dist;
    if (net_dist_init(&dist, host, setup, "mlp", 1) != 0)
        return NULL;
    if (sde && dist.kind != NET_DIST_GAUSSIAN) {
        host->error(host,
                    "sde: true needs a box action space, but the action space is %s; set sde: "
                    "false for discrete actions",
                    net_space_kind_name(setup->act_space->kind));
        return NULL;
    }

    mlp_t *m = calloc(1, sizeof(*m));
    if (m == NULL)
        goto out_oom;
    m->host = host;
    m->n_envs = setup->n_envs;
    m->obs_space = setup->obs_space;
    m->act_space = setup->act_space;
    m->D = setup->obs_space->dim;
    m->dist = dist;
    m->head = dist.kind == NET_DIST_CATEGORICAL ? MLP_HEAD_CATEGORICAL
              : dist.kind == NET_DIST_MULTI     ? MLP_HEAD_MULTI
              : sde                             ? MLP_HEAD_GSDE
                                                : MLP_HEAD_GAUSSIAN;
    m->A = dist.A;
    m->n_actions = dist.kind != NET_DIST_GAUSSIAN ? dist.P : 0;
    m->P = dist.P;
    m->activation = net_param_activation(params);
    m->share = ppo_params_get_bool(params, "share_trunk");
    m->sde_sample_freq = ppo_params_get_int(params, "sde_sample_freq");
    const int ortho = ppo_params_get_bool(params, "ortho_init");
    const double log_std_init = ppo_params_get_double(params, "log_std_init");

    const int64_t *pi_w = NULL, *vf_w = NULL;
    m->n_pi = (uint32_t)ppo_params_get_int_list(params, "pi_hidden", &pi_w);
    m->n_vf = (uint32_t)ppo_params_get_int_list(params, "vf_hidden", &vf_w);
    if (m->share) {
        if (strcmp(ppo_params_where(params, "vf_hidden"), "default") != 0)
            host->log(host, PPO_LOG_WARNING,
                      "%s: vf_hidden is ignored with share_trunk: true (the value head reads the "
                      "trunk built from pi_hidden)",
                      ppo_params_where(params, "vf_hidden"));
        m->n_vf = 0;
    }

    /* the segment table: 2 per Linear layer, plus log_std */
    const uint32_t max_segs = 2 * (m->n_pi + m->n_vf + 2) + 1;
    m->pi = calloc(m->n_pi > 0 ? m->n_pi : 1, sizeof(*m->pi));
    m->vf = calloc(m->n_vf > 0 ? m->n_vf : 1, sizeof(*m->vf));
    if (m->pi == NULL || m->vf == NULL || net_table_init(&m->table, max_segs) != 0)
        goto out_free;

    const double hidden_gain = sqrt(2.0);
    char prefix[NET_NAME_LEN];
    uint32_t width = m->D;
    m->max_width = m->D;
    for (uint32_t k = 0; k < m->n_pi; k++) {
        snprintf(prefix, sizeof(prefix), "pi.%u", k);
        net_add_linear(&m->table, &m->pi[k], prefix, width, (uint32_t)pi_w[k], ortho, hidden_gain);
        width = (uint32_t)pi_w[k];
        m->max_width = width > m->max_width ? width : m->max_width;
    }
    m->latent = width;
    net_add_linear(&m->table, &m->pi_head, "pi_head", m->latent, m->dist.n_out, ortho, 0.01);
    width = m->share ? m->latent : m->D;
    for (uint32_t k = 0; k < m->n_vf; k++) {
        snprintf(prefix, sizeof(prefix), "vf.%u", k);
        net_add_linear(&m->table, &m->vf[k], prefix, width, (uint32_t)vf_w[k], ortho, hidden_gain);
        width = (uint32_t)vf_w[k];
        m->max_width = width > m->max_width ? width : m->max_width;
    }
    net_add_linear(&m->table, &m->vf_head, "vf_head", width, 1, ortho, 1.0);
    m->log_std = MLP_NO_SEGMENT;
    if (m->head == MLP_HEAD_GAUSSIAN)
        m->log_std =
            net_table_add(&m->table, "log_std", m->A, 1, PPO_INIT_CONSTANT, log_std_init, 0.0);
    else if (m->head == MLP_HEAD_GSDE)
        m->log_std = net_table_add(&m->table, "log_std", m->latent, m->A, PPO_INIT_CONSTANT,
                                   log_std_init, 0.0);
    if (net_table_check(&m->table, host, "mlp") != 0) {
        mlp_destroy(m);
        return NULL;
    }

    /* gSDE: one exploration matrix and step counter per env */
    if (m->head == MLP_HEAD_GSDE && m->n_envs > 0) {
        m->noise = calloc((size_t)m->n_envs * m->latent * m->A, sizeof(float));
        m->noise_steps = calloc(m->n_envs, sizeof(uint64_t));
        m->noise_drawn = calloc(m->n_envs, 1);
        if (m->noise == NULL || m->noise_steps == NULL || m->noise_drawn == NULL)
            goto out_free;
    }
    return m;

out_free:
    mlp_destroy(m);
out_oom:
    host->error(host, "out of memory creating the mlp policy");
    return NULL;
}

static const ppo_segment_t *mlp_segments(void *inst, uint32_t *n_segments)
{
    mlp_t *m = inst;
    *n_segments = m->table.tab.n_segments;
    return m->table.tab.segments;
}

static uint32_t mlp_dist_size(void *inst)
{
    return ((mlp_t *)inst)->P;
}

static void mlp_bind(void *inst, const float *params)
{
    ((mlp_t *)inst)->params = params;
}

/* ---- workspaces ---- */

static void mlp_ws_destroy(void *inst, void *wsp)
{
    mlp_t *m = inst;
    mlp_ws_t *ws = wsp;
    if (ws == NULL)
        return;
    if (ws->block != NULL)
        m->host->aligned_free(ws->block);
    free(ws->pi_h);
    free(ws->vf_h);
    free(ws);
}

/* Point the buffers into the arena (sizes only while it has no block). */
static void ws_layout(const mlp_t *m, mlp_ws_t *ws, net_arena_t *a, uint64_t B)
{
    ws->kept.obs = net_take(a, B * m->D);
    for (uint32_t k = 0; k < m->n_pi; k++)
        ws->pi_h[k] = net_take(a, B * m->pi[k].out);
    for (uint32_t k = 0; k < m->n_vf; k++)
        ws->vf_h[k] = net_take(a, B * m->vf[k].out);
    ws->mean = net_take(a, B * m->A);
    ws->dist = net_take(a, B * m->P);
    ws->value = net_take(a, B);
    ws->kept.actions = net_take(a, B * m->A);
    ws->kept.old_dist = net_take(a, B * m->P);
    if (m->head == MLP_HEAD_GSDE) {
        ws->z2 = net_take(a, B * m->latent);
        ws->sig2t = net_take(a, (uint64_t)m->A * m->latent);
        ws->var = net_take(a, B * m->A);
        ws->coef = net_take(a, B * m->A);
        ws->gacc = net_take(a, (uint64_t)m->latent * m->A);
    }
    ws->ddist = net_take(a, B * m->P);
    ws->dhead = net_take(a, B * m->A);
    ws->d0 = net_take(a, B * m->max_width);
    ws->d1 = net_take(a, B * m->max_width);
    ws->d2 = net_take(a, B * m->max_width);
}

static void *mlp_ws_create(void *inst, uint32_t max_batch)
{
    mlp_t *m = inst;
    const uint64_t B = max_batch > 0 ? max_batch : 1;
    mlp_ws_t *ws = calloc(1, sizeof(*ws));
    if (ws == NULL)
        goto out_oom;
    ws->max_batch = max_batch;
    ws->pi_h = calloc(m->n_pi > 0 ? m->n_pi : 1, sizeof(float *));
    ws->vf_h = calloc(m->n_vf > 0 ? m->n_vf : 1, sizeof(float *));
    if (ws->pi_h == NULL || ws->vf_h == NULL)
        goto out_free;

    /* lay the buffers out once to size the block, then again to point into it */
    net_arena_t arena = {0};
    ws_layout(m, ws, &arena, B);
    if (net_arena_alloc(&arena, m->host, "an mlp", max_batch) != 0)
        goto out_free_quiet;
    ws->block = arena.base;
    ws_layout(m, ws, &arena, B);
    return ws;

out_free:
    m->host->error(m->host, "out of memory allocating an mlp workspace for %u rows", max_batch);
out_free_quiet:
    mlp_ws_destroy(m, ws);
    return NULL;
out_oom:
    m->host->error(m->host, "out of memory allocating an mlp workspace for %u rows", max_batch);
    return NULL;
}

/* ---- forward ---- */

/* Hidden layers `layers` (n) from x (B, in) into outs[k]; returns the last output (or x). */
static const float *forward_layers(const mlp_t *m, uint32_t B, const net_layer_t *layers,
                                   uint32_t n, const float *x, float *const *outs)
{
    return net_dense_forward(&m->table, m->params, m->activation, B, layers, n, x, outs);
}

/* The distribution parameters ws->dist (B, P) from the latent z (B, latent). */
static void forward_dist(const mlp_t *m, mlp_ws_t *ws, uint32_t B, const float *z)
{
    const net_layer_t *H = &m->pi_head;
    const float *W = seg_ptr(m, m->params, H->weight), *b = seg_ptr(m, m->params, H->weight + 1);
    float *y = m->dist.kind == NET_DIST_GAUSSIAN ? ws->mean : ws->dist;
    ppo_linear_forward(B, H->in, H->out, z, W, b, y);
    const float *ls = m->log_std != MLP_NO_SEGMENT ? seg_ptr(m, m->params, m->log_std) : NULL;
    if (m->head != MLP_HEAD_GSDE) {
        net_dist_forward(&m->dist, B, y, ls, ws->dist);
        return;
    }
    const uint32_t A = m->A;
    /* gSDE: variance_a = sum_j z_j^2 std_ja^2, as a (B, latent) x (latent, A) product */
    const uint32_t Z = m->latent;
    for (uint32_t j = 0; j < Z; j++)
        for (uint32_t a = 0; a < A; a++)
            ws->sig2t[(size_t)a * Z + j] = (float)exp(2.0 * ls[(size_t)j * A + a]);
    for (size_t i = 0; i < (size_t)B * Z; i++)
        ws->z2[i] = z[i] * z[i];
    ppo_linear_forward(B, Z, A, ws->z2, ws->sig2t, NULL, ws->var);
    for (uint32_t r = 0; r < B; r++) {
        float *row = ws->dist + (size_t)r * 2 * A;
        for (uint32_t a = 0; a < A; a++) {
            float *v = &ws->var[(size_t)r * A + a];
            *v += MLP_SDE_EPS;
            row[a] = ws->mean[(size_t)r * A + a];
            row[A + a] = (float)(0.5 * log((double)*v));
        }
    }
}

/* Values (B) from the observations, or from the trunk's output when shared. */
static void forward_value(const mlp_t *m, mlp_ws_t *ws, uint32_t B, const float *obs,
                          const float *trunk, float *value_out)
{
    const float *x = m->share ? trunk : forward_layers(m, B, m->vf, m->n_vf, obs, ws->vf_h);
    const net_layer_t *H = &m->vf_head;
    ppo_linear_forward(B, H->in, 1, x, seg_ptr(m, m->params, H->weight),
                       seg_ptr(m, m->params, H->weight + 1), value_out);
}

/* Common checks of a computing call; 0 or -1 after host->error. */
static int check_call(const mlp_t *m, const mlp_ws_t *ws, uint32_t B, const char *what)
{
    return net_check_call(m->host, m->params, ws, ws != NULL ? ws->max_batch : 0, B, what);
}

/* ---- gSDE noise ---- */

/* Draw env e's exploration matrix E (latent, A) ~ N(0, exp(log_std)) from `rng`. */
static void draw_noise(mlp_t *m, uint32_t e, ppo_rng_t *rng)
{
    const size_t n = (size_t)m->latent * m->A;
    const float *ls = seg_ptr(m, m->params, m->log_std);
    float *E = m->noise + (size_t)e * n;
    for (size_t i = 0; i < n; i++)
        E[i] = (float)(ppo_rng_normal(rng) * exp((double)ls[i]));
    m->noise_steps[e] = 0;
    m->noise_drawn[e] = 1;
}

static int mlp_reset_noise(void *inst, uint32_t env_index, ppo_rng_t *rng)
{
    mlp_t *m = inst;
    if (m->head != MLP_HEAD_GSDE)
        return 0;
    if (env_index >= m->n_envs || rng == NULL || m->params == NULL) {
        m->host->error(m->host, "reset_noise for env %u of %u%s", env_index, m->n_envs,
                       m->params == NULL ? " before bind()" : "");
        return -1;
    }
    draw_noise(m, env_index, rng);
    return 0;
}

/* Stochastic gSDE actions: mean + z E_env, redrawing E on the env's schedule. */
static int sde_sample(mlp_t *m, mlp_ws_t *ws, uint32_t B, const float *z, const uint32_t *env_index,
                      ppo_rng_t *const *rngs, float *actions_out, float *logp_out)
{
    const uint32_t A = m->A, Z = m->latent;
    for (uint32_t r = 0; r < B; r++)
        if (env_index[r] >= m->n_envs) {
            m->host->error(m->host, "act: row %u names env %u, but the policy was made for %u envs",
                           r, env_index[r], m->n_envs);
            return -1;
        }
    for (uint32_t r = 0; r < B; r++) {
        const uint32_t e = env_index[r];
        if (!m->noise_drawn[e] ||
            (m->sde_sample_freq > 0 && m->noise_steps[e] >= (uint64_t)m->sde_sample_freq))
            draw_noise(m, e, rngs[r]);
        m->noise_steps[e]++;
        const float *E = m->noise + (size_t)e * Z * A;
        const float *zr = z + (size_t)r * Z;
        float *x = actions_out + (size_t)r * A;
        for (uint32_t a = 0; a < A; a++) {
            double s = ws->dist[(size_t)r * 2 * A + a];
            for (uint32_t j = 0; j < Z; j++)
                s += (double)zr[j] * E[(size_t)j * A + a];
            x[a] = (float)s;
        }
    }
    /* the log-probability of the stored actions, as evaluate will see them */
    if (logp_out != NULL)
        ppo_gaussian_evaluate(B, A, ws->dist, actions_out, NULL, logp_out, NULL, NULL);
    return 0;
}

/* ---- act / value / evaluate ---- */

static int mlp_act(void *inst, void *wsp, uint32_t B, const float *obs, const uint32_t *env_index,
                   ppo_rng_t *const *rngs, int deterministic, float *actions_out, float *logp_out,
                   float *value_out, float *dist_out)
{
    mlp_t *m = inst;
    mlp_ws_t *ws = wsp;
    if (check_call(m, ws, B, "act") != 0)
        return -1;
    if (B == 0)
        return 0;
    if (!deterministic && rngs == NULL) {
        m->host->error(m->host, "act: sampling needs the rows' streams (rngs is NULL)");
        return -1;
    }
    if (!deterministic && m->head == MLP_HEAD_GSDE && env_index == NULL) {
        m->host->error(m->host, "act: gSDE needs each row's env index (env_index is NULL)");
        return -1;
    }
    ws->kept.B = 0; /* the activations no longer belong to an evaluate() */

    const float *z = forward_layers(m, B, m->pi, m->n_pi, obs, ws->pi_h);
    forward_dist(m, ws, B, z);
    /* value_out NULL (allowed because the policy has parts): no value function */
    if (value_out != NULL) {
        forward_value(m, ws, B, obs, z, ws->value);
        memcpy(value_out, ws->value, (size_t)B * sizeof(float));
    }
    if (dist_out != NULL)
        memcpy(dist_out, ws->dist, (size_t)B * m->P * sizeof(float));

    if (m->head == MLP_HEAD_GSDE && !deterministic)
        return sde_sample(m, ws, B, z, env_index, rngs, actions_out, logp_out);
    /* gSDE's mode is the mean, as for the plain Gaussian */
    net_dist_act(&m->dist, B, ws->dist, rngs, deterministic, actions_out, logp_out);
    return 0;
}

static int mlp_value(void *inst, void *wsp, uint32_t B, const float *obs, float *value_out)
{
    mlp_t *m = inst;
    mlp_ws_t *ws = wsp;
    if (check_call(m, ws, B, "value") != 0)
        return -1;
    if (B == 0)
        return 0;
    ws->kept.B = 0;
    const float *trunk = m->share ? forward_layers(m, B, m->pi, m->n_pi, obs, ws->pi_h) : NULL;
    forward_value(m, ws, B, obs, trunk, value_out);
    return 0;
}

/* evaluate() of the parts in `parts` (NET_PART_*): the distribution's outputs, the values, or
 * both; the same arithmetic either way. */
static int evaluate_parts(mlp_t *m, mlp_ws_t *ws, uint32_t parts, uint32_t B, const float *obs,
                          const float *actions, const float *old_dist, float *logp_out,
                          float *entropy_out, float *kl_out, float *value_out)
{
    if (check_call(m, ws, B, "evaluate") != 0)
        return -1;
    ws->kept.B = 0;
    if (B == 0)
        return 0;

    /* keep the inputs backward needs */
    net_keep_inputs(&ws->kept, &m->dist, parts, B, m->D, obs, actions, old_dist);
    const float *z = NULL;
    if (parts & NET_PART_DIST) {
        z = forward_layers(m, B, m->pi, m->n_pi, ws->kept.obs, ws->pi_h);
        forward_dist(m, ws, B, z);
    }
    if (parts & NET_PART_VALUE) {
        forward_value(m, ws, B, ws->kept.obs, z, ws->value);
        if (value_out != NULL)
            memcpy(value_out, ws->value, (size_t)B * sizeof(float));
    }
    if (parts & NET_PART_DIST)
        net_kept_evaluate(&ws->kept, &m->dist, B, ws->dist, logp_out, entropy_out, kl_out);
    ws->kept.B = B;
    ws->kept.parts = parts;
    return 0;
}

static int mlp_evaluate(void *inst, void *wsp, uint32_t B, const float *obs, const float *actions,
                        const float *old_dist, float *logp_out, float *entropy_out, float *kl_out,
                        float *value_out)
{
    return evaluate_parts(inst, wsp, NET_PART_DIST | NET_PART_VALUE, B, obs, actions, old_dist,
                          logp_out, entropy_out, kl_out, value_out);
}

/* Separate networks make two parts; a shared trunk makes one (-1 for every segment). */
static int mlp_segment_part(void *inst, uint32_t segment)
{
    const mlp_t *m = inst;
    if (m->share || segment >= m->table.tab.n_segments)
        return -1;
    const net_layer_t *VH = &m->vf_head;
    /* the value branch's segments: its hidden layers' and its head's weights and biases */
    for (uint32_t k = 0; k < m->n_vf; k++)
        if (segment == m->vf[k].weight || segment == m->vf[k].weight + 1)
            return 1;
    return segment == VH->weight || segment == VH->weight + 1 ? 1 : 0;
}

static int mlp_evaluate_part(void *inst, void *wsp, uint32_t part, uint32_t B, const float *obs,
                             const float *actions, const float *old_dist, float *logp_out,
                             float *entropy_out, float *kl_out, float *value_out)
{
    mlp_t *m = inst;
    const uint32_t parts = net_part_bits(m->host, m->share, part, "evaluate_part");
    if (parts == 0)
        return -1;
    return evaluate_parts(m, wsp, parts, B, obs, actions, old_dist, logp_out, entropy_out, kl_out,
                          value_out);
}

/* ---- backward ---- */

/* gSDE: d loss / d log_std (latent, A) from the rows' d loss / d (per-row log-std) in
 * ws->ddist. */
static void backward_sde_log_std(const mlp_t *m, mlp_ws_t *ws, uint32_t B, float *grad)
{
    const uint32_t A = m->A;
    float *g = grad_ptr(m, grad, m->log_std);
    /* row log-std = log(var)/2 with var = sum_j z_j^2 exp(2 L_ja) + eps, so
     * dL_ja = sum_r d_ra / var_ra * z_rj^2 * exp(2 L_ja) */
    const uint32_t Z = m->latent;
    for (uint32_t r = 0; r < B; r++)
        for (uint32_t a = 0; a < A; a++)
            ws->coef[(size_t)r * A + a] =
                ws->ddist[(size_t)r * 2 * A + A + a] / ws->var[(size_t)r * A + a];
    memset(ws->gacc, 0, (size_t)Z * A * sizeof(float));
    /* gacc (latent, A) += z2^T coef */
    ppo_linear_backward(B, A, Z, ws->coef, NULL, ws->z2, NULL, ws->gacc, NULL);
    for (uint32_t j = 0; j < Z; j++)
        for (uint32_t a = 0; a < A; a++)
            g[(size_t)j * A + a] += ws->sig2t[(size_t)a * Z + j] * ws->gacc[(size_t)j * A + a];
}

/* backward() of the parts in `parts` (those the last evaluate computed); the same arithmetic
 * either way: part 0 adds only into the distribution's segments, part 1 only into the value
 * branch's (with a shared trunk, only both together are possible). */
static int backward_parts(mlp_t *m, mlp_ws_t *ws, uint32_t parts, uint32_t B, const float *dlogp,
                          const float *dentropy, const float *dkl, const float *dvalue,
                          float *grad_out)
{
    if (check_call(m, ws, B, "backward") != 0)
        return -1;
    if (B == 0)
        return 0;
    net_dloss_t dl = {dlogp, dentropy, dkl, dvalue};
    if (net_backward_begin(m->host, &ws->kept, parts, B, &dl) != 0)
        return -1;
    const float *z = m->n_pi > 0 ? ws->pi_h[m->n_pi - 1] : ws->kept.obs;
    float *dz = m->n_pi > 0 ? ws->d0 : NULL; /* d loss / d z, when z is a hidden layer */

    /* the distribution head (gSDE's log_std: through the rows' log-stds in ws->ddist) */
    float *dlog_std = m->head == MLP_HEAD_GAUSSIAN ? grad_ptr(m, grad_out, m->log_std) : NULL;
    int have_dz = net_backward_head(&m->table, m->params, &m->dist, &ws->kept, B, &m->pi_head, z,
                                    ws->dist, &dl, ws->ddist, ws->dhead, dlog_std, dz, grad_out);
    if (have_dz && m->head == MLP_HEAD_GSDE)
        backward_sde_log_std(m, ws, B, grad_out);
    have_dz = have_dz && dz != NULL;

    /* a shared trunk also carries the value head's gradient */
    if (dl.dvalue != NULL && m->share)
        have_dz = net_backward_value_head(&m->table, m->params, B, &m->vf_head, z, dl.dvalue, dz,
                                          have_dz, ws->d2, grad_out);
    if (have_dz)
        net_dense_backward(&m->table, m->params, m->activation, B, m->pi, m->n_pi, ws->pi_h,
                           ws->kept.obs, dz, dz == ws->d0 ? ws->d1 : ws->d0, 0, grad_out);

    /* the separate value branch */
    if (dl.dvalue != NULL && !m->share) {
        const net_layer_t *VH = &m->vf_head;
        const float *xv = m->n_vf > 0 ? ws->vf_h[m->n_vf - 1] : ws->kept.obs;
        float *dv = m->n_vf > 0 ? ws->d0 : NULL;
        ppo_linear_backward(B, VH->in, 1, xv, seg_ptr(m, m->params, VH->weight), dl.dvalue, dv,
                            grad_ptr(m, grad_out, VH->weight),
                            grad_ptr(m, grad_out, VH->weight + 1));
        if (dv != NULL)
            net_dense_backward(&m->table, m->params, m->activation, B, m->vf, m->n_vf, ws->vf_h,
                               ws->kept.obs, dv, dv == ws->d0 ? ws->d1 : ws->d0, 0, grad_out);
    }
    return 0;
}

static int mlp_backward(void *inst, void *wsp, uint32_t B, const float *dlogp,
                        const float *dentropy, const float *dkl, const float *dvalue,
                        float *grad_out)
{
    return backward_parts(inst, wsp, NET_PART_DIST | NET_PART_VALUE, B, dlogp, dentropy, dkl,
                          dvalue, grad_out);
}

static int mlp_backward_part(void *inst, void *wsp, uint32_t part, uint32_t B, const float *dlogp,
                             const float *dentropy, const float *dkl, const float *dvalue,
                             float *grad_out)
{
    mlp_t *m = inst;
    const uint32_t parts = net_part_bits(m->host, m->share, part, "backward_part");
    if (parts == 0)
        return -1;
    return backward_parts(m, wsp, parts, B, dlogp, dentropy, dkl, dvalue, grad_out);
}

/* ---- gSDE state for checkpoints: per env [steps, drawn, E (latent, A)] ---- */

static size_t mlp_state_size(void *inst)
{
    const mlp_t *m = inst;
    if (m->head != MLP_HEAD_GSDE)
        return 0;
    return (size_t)m->n_envs * (2 + (size_t)m->latent * m->A);
}

static int mlp_get_state(void *inst, double *state_out)
{
    const mlp_t *m = inst;
    if (m->head != MLP_HEAD_GSDE)
        return 0;
    const size_t n = (size_t)m->latent * m->A;
    for (uint32_t e = 0; e < m->n_envs; e++) {
        double *s = state_out + (size_t)e * (2 + n);
        s[0] = (double)m->noise_steps[e];
        s[1] = m->noise_drawn[e];
        for (size_t i = 0; i < n; i++)
            s[2 + i] = m->noise[(size_t)e * n + i];
    }
    return 0;
}

static int mlp_set_state(void *inst, const double *state)
{
    mlp_t *m = inst;
    if (m->head != MLP_HEAD_GSDE)
        return 0;
    const size_t n = (size_t)m->latent * m->A;
    /* check everything before changing anything */
    for (uint32_t e = 0; e < m->n_envs; e++) {
        const double *s = state + (size_t)e * (2 + n);
        int ok =
            s[0] >= 0.0 && s[0] < 0x1p53 && s[0] == floor(s[0]) && (s[1] == 0.0 || s[1] == 1.0);
        for (size_t i = 0; ok && i < n; i++)
            ok = isfinite(s[2 + i]);
        if (!ok) {
            m->host->error(m->host,
                           "the saved gSDE state of env %u is damaged (step count, "
                           "drawn flag or a noise value out of range)",
                           e);
            return -1;
        }
    }
    for (uint32_t e = 0; e < m->n_envs; e++) {
        const double *s = state + (size_t)e * (2 + n);
        m->noise_steps[e] = (uint64_t)s[0];
        m->noise_drawn[e] = (uint8_t)s[1];
        for (size_t i = 0; i < n; i++)
            m->noise[(size_t)e * n + i] = (float)s[2 + i];
    }
    return 0;
}

/* ---- export_c (the writer is plugins/policies/mlp_export.c) ---- */

static int mlp_export_c(void *inst, const float *params, const ppo_obs_norm_t *norm, FILE *out)
{
    const mlp_t *m = inst;
    if (params == NULL || out == NULL) {
        m->host->error(m->host, "export_c needs the parameters and an output file");
        return -1;
    }
    /* the deterministic action needs only the pi branch: hidden layers, then the head */
    const ppo_codegen_policy_t pol = {
        .struct_size = sizeof(pol),
        .obs_space = m->obs_space,
        .act_space = m->act_space,
        .norm = norm,
    };
    return mlp_export_write(out, m->host, &pol, m->activation, &m->table, params, m->pi, m->n_pi,
                            &m->pi_head);
}

static const ppo_policy_vtable_t mlp_vtable = {
    .struct_size = sizeof(ppo_policy_vtable_t),
    .create = mlp_create,
    .destroy = mlp_destroy,
    .segments = mlp_segments,
    .dist_size = mlp_dist_size,
    .bind = mlp_bind,
    .ws_create = mlp_ws_create,
    .ws_destroy = mlp_ws_destroy,
    .act = mlp_act,
    .value = mlp_value,
    .evaluate = mlp_evaluate,
    .backward = mlp_backward,
    .reset_noise = mlp_reset_noise,
    .state_size = mlp_state_size,
    .get_state = mlp_get_state,
    .set_state = mlp_set_state,
    .export_c = mlp_export_c,
    .segment_part = mlp_segment_part,
    .evaluate_part = mlp_evaluate_part,
    .backward_part = mlp_backward_part,
};

PPO_PLUGIN_DEFINE(PPO_KIND_POLICY, "mlp", "1.0.0",
                  "Multilayer-perceptron actor-critic: categorical or Gaussian (optionally gSDE) "
                  "head, separate or shared trunk",
                  mlp_params, PPO_ARRAY_LEN(mlp_params), &mlp_vtable)
