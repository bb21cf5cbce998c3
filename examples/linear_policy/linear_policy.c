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
 * evaluate keeping what backward needs, backward ADDING into the gradient array, and export_c
 * writing the trained policy as standalone C (PPO_EXPORT_CONTRACT in <ppofw/policy.h>). Left out:
 * hidden layers (see the shipped mlp), gSDE, multi-discrete actions (refused by name).
 *
 * Build: make (see the Makefile); check: ppofw check-policy ./linear_policy.so; test, train and
 * export: make check.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
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
    const ppo_space_t *obs_space;   /* the core's, valid until destroy (export_c reads it) */
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
        host->error(host, "the action space is multi-discrete; linear_policy handles discrete "
                          "and box actions (use the shipped mlp)");
        return NULL;
    }
    linear_t *pol = calloc(1, sizeof(*pol));
    if (pol == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    pol->host = host;
    pol->obs_space = setup->obs_space;
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

/* ---- export_c: the deterministic action as standalone C ---- */

/* `static const double NAME[n] = {...};` with every value exact (17 significant digits). */
static void write_array(FILE *out, const char *name, const double *v, size_t n)
{
    fprintf(out, "static const double %s[%zu] = {", name, n);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%.17g,", i % 4 == 0 ? "\n    " : " ", v[i]);
    fprintf(out, "\n};\n");
}

/* The file PPO_EXPORT_CONTRACT (policy.h) describes: ppo_policy_act() takes the raw observation,
 * applies what the core applied in training (the uint8 scaling, the observation normalization)
 * and returns the first largest logit, or writes the means. */
static int linear_export_c(void *inst, const float *params, const ppo_obs_norm_t *norm, FILE *out)
{
    const linear_t *pol = inst;
    const uint32_t D = pol->D, H = pol->H;
    const ppo_space_t *obs = pol->obs_space;
#if PPO_ABI_MINOR >= 2
    const int u8 = obs->dtype == PPO_DTYPE_UINT8;
#else
    const int u8 = 0; /* built against the ABI 1.1 headers: float observations only */
#endif
    const int normalize = norm != NULL && norm->enabled;
    const size_t n_w = (size_t)H * D;
    double *v = calloc(n_w > D ? n_w : D, sizeof(double));
    if (v == NULL) {
        pol->host->error(pol->host, "out of memory");
        return -1;
    }
    fprintf(out,
            "/* linear_policy exported by ppofw: the %s of a linear policy, from the raw\n"
            " * observation. Standalone C99 that needs only <math.h>. */\n"
            "#include <math.h>\n\n#define PPO_POLICY_OBS_DIM %" PRIu32 "\n"
            "#define PPO_POLICY_ACT_DIM %" PRIu32 "\n",
            pol->gaussian ? "mean action" : "most likely action", D, pol->A);
    if (!pol->gaussian)
        fprintf(out, "#define PPO_POLICY_N_ACTIONS %" PRIu32 "\n", H);
    if (u8)
        fprintf(out, "#define PPO_POLICY_OBS_UINT8 1\n");
    fprintf(out, "\n");
    for (size_t j = 0; j < n_w; j++)
        v[j] = params[pol->offset[SEG_PI_W] + j];
    write_array(out, "pi_weight", v, n_w);
    for (uint32_t k = 0; k < H; k++)
        v[k] = params[pol->offset[SEG_PI_B] + k];
    write_array(out, "pi_bias", v, H);
    if (u8) {
        write_array(out, "obs_low", obs->low, D);
        for (uint32_t i = 0; i < D; i++)
            v[i] = obs->high[i] - obs->low[i];
        write_array(out, "obs_range", v, D);
    }
    if (normalize) {
        write_array(out, "norm_mean", norm->mean, D);
        for (uint32_t i = 0; i < D; i++)
            v[i] = 1.0 / sqrt(norm->var[i] + norm->epsilon);
        write_array(out, "norm_scale", v, D);
    }
    free(v);

    /* the observation as the policy saw it in training, then W x + b */
    fprintf(out,
            "\n%s ppo_policy_act(const %s *obs%s)\n{\n    double x[%" PRIu32 "];\n"
            "    for (int i = 0; i < %" PRIu32 "; i++) {\n        double v = %s;\n",
            pol->gaussian ? "void" : "int", u8 ? "unsigned char" : "double",
            pol->gaussian ? ", double *action" : "", D, D,
            u8 ? "((double)obs[i] - obs_low[i]) / obs_range[i]" : "obs[i]");
    if (normalize)
        fprintf(out,
                "        v = (v - norm_mean[i]) * norm_scale[i];\n"
                "        v = v < -%.17g ? -%.17g : v > %.17g ? %.17g : v;\n",
                norm->clip, norm->clip, norm->clip, norm->clip);
    fprintf(out, "        x[i] = v;\n    }\n");
    if (!pol->gaussian)
        fprintf(out, "    int best = 0;\n    double best_value = 0.0;\n");
    fprintf(out,
            "    for (int k = 0; k < %" PRIu32 "; k++) {\n        double s = pi_bias[k];\n"
            "        for (int i = 0; i < %" PRIu32 "; i++)\n"
            "            s += pi_weight[k * %" PRIu32 " + i] * x[i];\n",
            H, D, D);
    if (pol->gaussian)
        fprintf(out, "        action[k] = s;\n    }\n}\n");
    else
        fprintf(out, "        if (k == 0 || s > best_value) {\n            best = k;\n"
                     "            best_value = s;\n        }\n    }\n    return best;\n}\n");
    if (ferror(out)) {
        pol->host->error(pol->host, "cannot write the exported policy");
        return -1;
    }
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
    .export_c = linear_export_c,
};

PPO_PLUGIN_DEFINE(PPO_KIND_POLICY, "linear_policy", "1.0.0",
                  "linear actor-critic: categorical or Gaussian head on W obs + b (example plugin)",
                  linear_params, PPO_ARRAY_LEN(linear_params), &linear_vtable)
