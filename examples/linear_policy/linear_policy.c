/* linear_policy — an example policy plugin built outside the ppofw tree, against the installed
 * SDK: a linear actor-critic.
 *
 * The action distribution's parameters are a linear function of the observation: logits
 * W obs + b for discrete actions (categorical), means W obs + b with a state-independent
 * log-std for box actions (diagonal Gaussian). The value is w . obs + c. The layers and the two
 * distributions are libppofw's helpers (nn.h, dist.h), so the plugin only wires them up.
 *
 * What it shows: the segment table (the core owns, initializes and binds the parameters),
 * workspaces allocated with the host's aligned allocator that hold everything a call writes,
 * evaluate keeping what backward needs, and backward ADDING into the gradient array. Left out:
 * hidden layers (see the shipped mlp), gSDE, export_c.
 *
 * Build: make (see the Makefile); check: ppofw check-policy ./linear_policy.so.
 */
#include <stdlib.h>
#include <string.h>

#include <ppofw/ppofw.h>

enum { SEG_PI_W, SEG_PI_B, SEG_VF_W, SEG_VF_B, SEG_LOG_STD, N_SEGS_MAX };

/* One instance: sizes, the segment table and the bound parameters; read-only after bind. */
typedef struct linear {
    const ppo_host_t *host;         /* services, valid until destroy */
    int gaussian;                   /* box actions: 1; discrete: 0 */
    uint32_t D;                     /* observation size */
    uint32_t A;                     /* action floats per row: 1 for discrete */
    uint32_t H;                     /* head outputs: n logits, or A means */
    uint32_t P;                     /* distribution floats per row: n, or 2A */
    uint32_t n_segs;                /* 4, or 5 with log_std */
    ppo_segment_t segs[N_SEGS_MAX]; /* the segment table */
    size_t offset[N_SEGS_MAX];      /* first float of each segment in the parameter array */
    const float *params;            /* the core's array, bound by bind() */
} linear_t;

/* Everything one call writes, for up to max_batch rows, in one aligned block. */
typedef struct linear_ws {
    uint32_t max_batch; /* rows a call may have */
    uint32_t B;         /* rows of the last evaluate */
    int has_old;        /* the last evaluate had old_dist */
    float *obs;         /* (B, D) evaluate's observations */
    float *actions;     /* (B, A) evaluate's actions */
    float *head;        /* (B, H) logits or means */
    float *dist;        /* (B, P) distribution parameters */
    float *old;         /* (B, P) evaluate's old distribution */
    float *ddist;       /* (B, P) d loss / d dist */
    float *dhead;       /* (B, H) d loss / d head */
    void *block;        /* the allocation behind the arrays */
} linear_ws_t;

static const ppo_param_spec_t linear_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "pi_gain",
        .default_value = "0.01",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE,
        .min = 0,
        .doc = "gain of the orthogonal initialization of the policy weights",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "log_std_init",
        .default_value = "0.0",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .min = -10,
        .max = 5,
        .doc = "initial log standard deviation (box actions)",
    },
};

static void *linear_create(const ppo_host_t *host, const ppo_params_t *params,
                           const ppo_policy_setup_t *setup)
{
    const ppo_space_t *act = setup->act_space;
    if (act->kind != PPO_SPACE_DISCRETE && act->kind != PPO_SPACE_BOX) {
        /* refuse, by name, what the policy cannot handle (multi-discrete, since ABI 1.2) */
        host->error(host, "linear_policy handles discrete and box action spaces, not kind %d",
                    (int)act->kind);
        return NULL;
    }
    linear_t *pol = calloc(1, sizeof(*pol));
    if (pol == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    pol->host = host;
    pol->gaussian = act->kind == PPO_SPACE_BOX;
    pol->D = setup->obs_space->dim;
    pol->A = pol->gaussian ? act->dim : 1;
    pol->H = pol->gaussian ? act->dim : act->n;
    pol->P = pol->gaussian ? 2 * act->dim : act->n;
    const double gain = ppo_params_get_double(params, "pi_gain");
    const double log_std = ppo_params_get_double(params, "log_std_init");

    /* the table: W (H, D), b (H), w (1, D), c (1), and for box actions log_std (A) */
    const ppo_segment_t segs[N_SEGS_MAX] = {
        {sizeof(ppo_segment_t), PPO_INIT_ORTHOGONAL, "pi.weight", pol->H, pol->D, 0.0, gain},
        {sizeof(ppo_segment_t), PPO_INIT_CONSTANT, "pi.bias", pol->H, 1, 0.0, 0.0},
        {sizeof(ppo_segment_t), PPO_INIT_ORTHOGONAL, "vf.weight", 1, pol->D, 0.0, 1.0},
        {sizeof(ppo_segment_t), PPO_INIT_CONSTANT, "vf.bias", 1, 1, 0.0, 0.0},
        {sizeof(ppo_segment_t), PPO_INIT_CONSTANT, "log_std", pol->A, 1, log_std, 0.0},
    };
    pol->n_segs = pol->gaussian ? 5 : 4;
    size_t at = 0;
    for (uint32_t k = 0; k < pol->n_segs; k++) {
        pol->segs[k] = segs[k];
        pol->offset[k] = at;
        at += (size_t)segs[k].rows * segs[k].cols;
    }
    return pol;
}

static void linear_destroy(void *inst)
{
    free(inst);
}

static const ppo_segment_t *linear_segments(void *inst, uint32_t *n_segments)
{
    linear_t *pol = inst;
    *n_segments = pol->n_segs;
    return pol->segs;
}

static uint32_t linear_dist_size(void *inst)
{
    const linear_t *pol = inst;
    return pol->P;
}

static void linear_bind(void *inst, const float *params)
{
    linear_t *pol = inst;
    pol->params = params;
}

static void *linear_ws_create(void *inst, uint32_t max_batch)
{
    const linear_t *pol = inst;
    const size_t B = max_batch;
    const size_t floats = B * pol->D + B * pol->A + 2 * B * pol->H + 3 * B * pol->P;
    linear_ws_t *ws = calloc(1, sizeof(*ws));
    void *block = pol->host->aligned_alloc(64, floats * sizeof(float));
    if (ws == NULL || block == NULL) {
        pol->host->error(pol->host, "out of memory for a workspace of %u rows", max_batch);
        free(ws);
        pol->host->aligned_free(block);
        return NULL;
    }
    memset(block, 0, floats * sizeof(float));
    ws->max_batch = max_batch;
    ws->block = block;
    float *f = block;
    ws->obs = f;
    f += B * pol->D;
    ws->actions = f;
    f += B * pol->A;
    ws->head = f;
    f += B * pol->H;
    ws->dhead = f;
    f += B * pol->H;
    ws->dist = f;
    f += B * pol->P;
    ws->old = f;
    f += B * pol->P;
    ws->ddist = f;
    return ws;
}

static void linear_ws_destroy(void *inst, void *wsp)
{
    const linear_t *pol = inst;
    linear_ws_t *ws = wsp;
    if (ws == NULL)
        return;
    pol->host->aligned_free(ws->block);
    free(ws);
}

/* dist (B, P) and value (B) of obs (B, D); head (B, H) is scratch. */
static void linear_forward(const linear_t *pol, uint32_t B, const float *obs, float *head,
                           float *dist, float *value)
{
    const float *p = pol->params;
    ppo_linear_forward(B, pol->D, pol->H, obs, p + pol->offset[SEG_PI_W], p + pol->offset[SEG_PI_B],
                       head);
    ppo_linear_forward(B, pol->D, 1, obs, p + pol->offset[SEG_VF_W], p + pol->offset[SEG_VF_B],
                       value);
    if (!pol->gaussian) {
        memcpy(dist, head, sizeof(float) * B * pol->H);
        return;
    }
    /* each Gaussian row: the A means, then the A log-stds */
    const float *log_std = p + pol->offset[SEG_LOG_STD];
    for (uint32_t b = 0; b < B; b++) {
        memcpy(dist + (size_t)b * pol->P, head + (size_t)b * pol->A, sizeof(float) * pol->A);
        memcpy(dist + (size_t)b * pol->P + pol->A, log_std, sizeof(float) * pol->A);
    }
}

static int linear_rows_fit(const linear_t *pol, const linear_ws_t *ws, uint32_t B)
{
    if (B > ws->max_batch) {
        pol->host->error(pol->host, "a call of %u rows on a workspace made for %u", B,
                         ws->max_batch);
        return 0;
    }
    return 1;
}

static int linear_act(void *inst, void *wsp, uint32_t B, const float *obs,
                      const uint32_t *env_index, ppo_rng_t *const *rngs, int deterministic,
                      float *actions_out, float *logp_out, float *value_out, float *dist_out)
{
    const linear_t *pol = inst;
    linear_ws_t *ws = wsp;
    if (!linear_rows_fit(pol, ws, B))
        return -1;
    linear_forward(pol, B, obs, ws->head, dist_out, value_out);
    if (pol->gaussian)
        ppo_gaussian_act(B, pol->A, dist_out, rngs, deterministic, actions_out, logp_out);
    else
        ppo_categorical_act(B, pol->H, dist_out, rngs, deterministic, actions_out, logp_out);
    return 0;
}

static int linear_value(void *inst, void *wsp, uint32_t B, const float *obs, float *value_out)
{
    const linear_t *pol = inst;
    linear_ws_t *ws = wsp;
    if (!linear_rows_fit(pol, ws, B))
        return -1;
    const float *p = pol->params;
    ppo_linear_forward(B, pol->D, 1, obs, p + pol->offset[SEG_VF_W], p + pol->offset[SEG_VF_B],
                       value_out);
    return 0;
}

static int linear_evaluate(void *inst, void *wsp, uint32_t B, const float *obs,
                           const float *actions, const float *old_dist, float *logp_out,
                           float *entropy_out, float *kl_out, float *value_out)
{
    const linear_t *pol = inst;
    linear_ws_t *ws = wsp;
    if (!linear_rows_fit(pol, ws, B))
        return -1;
    /* keep what backward needs in the workspace */
    ws->B = B;
    ws->has_old = old_dist != NULL;
    memcpy(ws->obs, obs, sizeof(float) * B * pol->D);
    memcpy(ws->actions, actions, sizeof(float) * B * pol->A);
    if (old_dist != NULL)
        memcpy(ws->old, old_dist, sizeof(float) * B * pol->P);
    linear_forward(pol, B, obs, ws->head, ws->dist, value_out);
    const float *old = old_dist != NULL ? ws->old : NULL;
    float *kl = old_dist != NULL ? kl_out : NULL;
    if (pol->gaussian)
        ppo_gaussian_evaluate(B, pol->A, ws->dist, actions, old, logp_out, entropy_out, kl);
    else
        ppo_categorical_evaluate(B, pol->H, ws->dist, actions, old, logp_out, entropy_out, kl);
    return 0;
}

static int linear_backward(void *inst, void *wsp, uint32_t B, const float *dlogp,
                           const float *dentropy, const float *dkl, const float *dvalue,
                           float *grad_out)
{
    const linear_t *pol = inst;
    linear_ws_t *ws = wsp;
    if (B != ws->B) {
        pol->host->error(pol->host, "backward of %u rows after an evaluate of %u rows", B, ws->B);
        return -1;
    }
    const float *p = pol->params;
    const float *old = ws->has_old ? ws->old : NULL;
    const float *d_kl = ws->has_old ? dkl : NULL;

    /* d loss / d dist, then split it into the head and (Gaussian) the log-stds */
    if (pol->gaussian) {
        ppo_gaussian_backward(B, pol->A, ws->dist, ws->actions, old, dlogp, dentropy, d_kl,
                              ws->ddist);
        float *glog_std = grad_out + pol->offset[SEG_LOG_STD];
        for (uint32_t b = 0; b < B; b++) {
            const float *row = ws->ddist + (size_t)b * pol->P;
            memcpy(ws->dhead + (size_t)b * pol->A, row, sizeof(float) * pol->A);
            for (uint32_t k = 0; k < pol->A; k++)
                glog_std[k] += row[pol->A + k];
        }
    } else {
        ppo_categorical_backward(B, pol->H, ws->dist, ws->actions, old, dlogp, dentropy, d_kl,
                                 ws->dhead);
    }

    /* the layers ADD their weight and bias gradients */
    ppo_linear_backward(B, pol->D, pol->H, ws->obs, p + pol->offset[SEG_PI_W], ws->dhead, NULL,
                        grad_out + pol->offset[SEG_PI_W], grad_out + pol->offset[SEG_PI_B]);
    if (dvalue != NULL)
        ppo_linear_backward(B, pol->D, 1, ws->obs, p + pol->offset[SEG_VF_W], dvalue, NULL,
                            grad_out + pol->offset[SEG_VF_W], grad_out + pol->offset[SEG_VF_B]);
    return 0;
}

static const ppo_policy_vtable_t linear_vtable = {
    .struct_size = sizeof(ppo_policy_vtable_t),
    .create = linear_create,
    .destroy = linear_destroy,
    .segments = linear_segments,
    .dist_size = linear_dist_size,
    .bind = linear_bind,
    .ws_create = linear_ws_create,
    .ws_destroy = linear_ws_destroy,
    .act = linear_act,
    .value = linear_value,
    .evaluate = linear_evaluate,
    .backward = linear_backward,
};

PPO_PLUGIN_DEFINE(PPO_KIND_POLICY, "linear_policy", "1.0.0",
                  "linear actor-critic: categorical or Gaussian head on W obs + b (example plugin)",
                  linear_params, PPO_ARRAY_LEN(linear_params), &linear_vtable)
