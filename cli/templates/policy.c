/* @NAME@ — a ppofw policy plugin.
 *
 * The guide to writing and testing plugins: @DOCDIR@/plugin-guide.md;
 * the API in brief: man ppofw-plugin.
 *
 * The network, as written by `ppofw new-plugin policy @NAME@`: linear logits W obs + b for a
 * categorical distribution over discrete actions, and a linear value w . obs + c. It refuses box
 * action spaces (by name, in host->error). Replace the layers with yours; keep the shape.
 *
 * Rules this file follows (the guide has the rest): the core owns the parameters,
 * gradients and optimizer state; the policy declares them as named segments, laid out back to
 * back in declaration order (ppo_segment_table_add computes where each starts), and reads them
 * from the array bind() hands it. Everything a call writes lives in the workspace it is given,
 * so calls on different workspaces run at once on different threads; backward uses what the
 * last evaluate on the same workspace left there (act and value may use the same memory: the
 * core never calls anything on a workspace between an evaluate and its backward) and ADDS into
 * grad_out. Sampling uses only the rows' ppo_rng_t streams. export_c writes the deterministic
 * policy as one C file with libppofw's code-generation helpers (<ppofw/codegen.h>);
 * `ppofw check-policy` compiles it and compares its actions with act's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw/ppofw.h>

enum { SEG_PI_W, SEG_PI_B, SEG_VF_W, SEG_VF_B, N_SEGS };

/* One instance: sizes, the segment table and the bound parameters; read-only after bind. */
typedef struct @NAME@ {
    const ppo_host_t *host;        /* services, valid until destroy */
    const ppo_space_t *obs_space;  /* setup's spaces, valid until destroy (export_c reads them) */
    const ppo_space_t *act_space;
    uint32_t D;                    /* observation size */
    uint32_t n;                    /* actions */
    ppo_segment_t segs[N_SEGS];    /* the segment table */
    size_t offset[N_SEGS];         /* first float of each segment */
    const float *params;           /* the core's array, bound by bind() */
} @NAME@_t;

/* Everything one call writes, for up to max_batch rows. */
typedef struct @NAME@_ws {
    uint32_t max_batch;
    uint32_t B;       /* rows of the last evaluate */
    int has_old;      /* the last evaluate had old_dist */
    float *obs;       /* (B, D) */
    float *actions;   /* (B) */
    float *logits;    /* (B, n) */
    float *old;       /* (B, n) */
    float *dlogits;   /* (B, n) */
} @NAME@_ws_t;

static const ppo_param_spec_t @NAME@_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "logit_gain",
        .default_value = "0.01",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE,
        .min = 0,
        .doc = "gain of the orthogonal initialization of the logit weights",
    },
};

static void *@NAME@_create(const ppo_host_t *host, const ppo_params_t *params,
                           const ppo_policy_setup_t *setup)
{
    if (setup->act_space->kind != PPO_SPACE_DISCRETE) {
        host->error(host, "@NAME@ handles discrete action spaces only, not %s ones",
                    setup->act_space->kind == PPO_SPACE_BOX ? "box" : "multi-discrete");
        return NULL;
    }
    @NAME@_t *pol = calloc(1, sizeof(*pol));
    if (pol == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    pol->host = host;
    pol->obs_space = setup->obs_space;
    pol->act_space = setup->act_space;
    pol->D = setup->obs_space->dim;
    pol->n = setup->act_space->n;
    /* the segments in order: each Linear layer's weight (out, in), orthogonal, then its bias */
    ppo_segment_table_t table = PPO_SEGMENT_TABLE(pol->segs, pol->offset, N_SEGS);
    ppo_segment_table_add_linear(&table, "pi.weight", "pi.bias", pol->D, pol->n,
                                 ppo_params_get_double(params, "logit_gain"));
    ppo_segment_table_add_linear(&table, "vf.weight", "vf.bias", pol->D, 1, 1.0);
    return pol;
}

static void @NAME@_destroy(void *inst)
{
    free(inst);
}

static const ppo_segment_t *@NAME@_segments(void *inst, uint32_t *n_segments)
{
    @NAME@_t *pol = inst;
    *n_segments = N_SEGS;
    return pol->segs;
}

static uint32_t @NAME@_dist_size(void *inst)
{
    const @NAME@_t *pol = inst;
    return pol->n;
}

static void @NAME@_bind(void *inst, const float *params)
{
    @NAME@_t *pol = inst;
    pol->params = params;
}

static void *@NAME@_ws_create(void *inst, uint32_t max_batch)
{
    const @NAME@_t *pol = inst;
    @NAME@_ws_t *ws = calloc(1, sizeof(*ws));
    if (ws == NULL) {
        pol->host->error(pol->host, "out of memory");
        return NULL;
    }
    ws->max_batch = max_batch;
    ws->obs = calloc((size_t)max_batch * pol->D, sizeof(float));
    ws->actions = calloc(max_batch, sizeof(float));
    ws->logits = calloc((size_t)max_batch * pol->n, sizeof(float));
    ws->old = calloc((size_t)max_batch * pol->n, sizeof(float));
    ws->dlogits = calloc((size_t)max_batch * pol->n, sizeof(float));
    if (ws->obs == NULL || ws->actions == NULL || ws->logits == NULL || ws->old == NULL ||
        ws->dlogits == NULL) {
        pol->host->error(pol->host, "out of memory for a workspace of %u rows", max_batch);
        free(ws->obs);
        free(ws->actions);
        free(ws->logits);
        free(ws->old);
        free(ws->dlogits);
        free(ws);
        return NULL;
    }
    return ws;
}

static void @NAME@_ws_destroy(void *inst, void *wsp)
{
    @NAME@_ws_t *ws = wsp;
    if (ws == NULL)
        return;
    free(ws->obs);
    free(ws->actions);
    free(ws->logits);
    free(ws->old);
    free(ws->dlogits);
    free(ws);
}

/* logits (B, n) and values (B) of obs (B, D) */
static void @NAME@_forward(const @NAME@_t *pol, uint32_t B, const float *obs, float *logits,
                           float *value_out)
{
    const float *p = pol->params;
    ppo_linear_forward(B, pol->D, pol->n, obs, p + pol->offset[SEG_PI_W],
                       p + pol->offset[SEG_PI_B], logits);
    ppo_linear_forward(B, pol->D, 1, obs, p + pol->offset[SEG_VF_W], p + pol->offset[SEG_VF_B],
                       value_out);
}

static int @NAME@_check_batch(const @NAME@_t *pol, const @NAME@_ws_t *ws, uint32_t B)
{
    if (B > ws->max_batch) {
        pol->host->error(pol->host, "a call of %u rows on a workspace made for %u", B,
                         ws->max_batch);
        return -1;
    }
    return 0;
}

static int @NAME@_act(void *inst, void *wsp, uint32_t B, const float *obs,
                      const uint32_t *env_index, ppo_rng_t *const *rngs, int deterministic,
                      float *actions_out, float *logp_out, float *value_out, float *dist_out)
{
    const @NAME@_t *pol = inst;
    if (@NAME@_check_batch(pol, wsp, B) != 0)
        return -1;
    @NAME@_forward(pol, B, obs, dist_out, value_out);
    ppo_categorical_act(B, pol->n, dist_out, rngs, deterministic, actions_out, logp_out);
    return 0;
}

static int @NAME@_value(void *inst, void *wsp, uint32_t B, const float *obs, float *value_out)
{
    const @NAME@_t *pol = inst;
    @NAME@_ws_t *ws = wsp;
    if (@NAME@_check_batch(pol, ws, B) != 0)
        return -1;
    @NAME@_forward(pol, B, obs, ws->logits, value_out);
    return 0;
}

static int @NAME@_evaluate(void *inst, void *wsp, uint32_t B, const float *obs,
                           const float *actions, const float *old_dist, float *logp_out,
                           float *entropy_out, float *kl_out, float *value_out)
{
    const @NAME@_t *pol = inst;
    @NAME@_ws_t *ws = wsp;
    if (@NAME@_check_batch(pol, ws, B) != 0)
        return -1;
    /* keep what backward needs */
    ws->B = B;
    ws->has_old = old_dist != NULL;
    memcpy(ws->obs, obs, sizeof(float) * B * pol->D);
    memcpy(ws->actions, actions, sizeof(float) * B);
    if (old_dist != NULL)
        memcpy(ws->old, old_dist, sizeof(float) * B * pol->n);
    @NAME@_forward(pol, B, obs, ws->logits, value_out);
    ppo_categorical_evaluate(B, pol->n, ws->logits, actions, old_dist, logp_out, entropy_out,
                             old_dist != NULL ? kl_out : NULL);
    return 0;
}

static int @NAME@_backward(void *inst, void *wsp, uint32_t B, const float *dlogp,
                           const float *dentropy, const float *dkl, const float *dvalue,
                           float *grad_out)
{
    const @NAME@_t *pol = inst;
    @NAME@_ws_t *ws = wsp;
    if (B != ws->B) {
        pol->host->error(pol->host, "backward of %u rows after an evaluate of %u", B, ws->B);
        return -1;
    }
    const float *p = pol->params;
    ppo_categorical_backward(B, pol->n, ws->logits, ws->actions, ws->has_old ? ws->old : NULL,
                             dlogp, dentropy, ws->has_old ? dkl : NULL, ws->dlogits);
    ppo_linear_backward(B, pol->D, pol->n, ws->obs, p + pol->offset[SEG_PI_W], ws->dlogits, NULL,
                        grad_out + pol->offset[SEG_PI_W], grad_out + pol->offset[SEG_PI_B]);
    if (dvalue != NULL)
        ppo_linear_backward(B, pol->D, 1, ws->obs, p + pol->offset[SEG_VF_W], dvalue, NULL,
                            grad_out + pol->offset[SEG_VF_W], grad_out + pol->offset[SEG_VF_B]);
    return 0;
}

/* The deterministic policy as one C file (PPO_EXPORT_CONTRACT in <ppofw/policy.h>): the logit
 * weights, the observation as the core feeds it (uint8 scaling, normalization), the layer, the
 * index of the first largest logit. */
static int @NAME@_export_c(void *inst, const float *params, const ppo_obs_norm_t *norm, FILE *out)
{
    const @NAME@_t *pol = inst;
    const ppo_codegen_policy_t gen = {
        .struct_size = sizeof(gen),
        .obs_space = pol->obs_space,
        .act_space = pol->act_space,
        .norm = norm,
    };
    if (ppo_codegen_preamble(out, &gen, "@NAME@: logits = W obs + b.") != 0 ||
        ppo_codegen_floats(out, "ppo_policy_w", params + pol->offset[SEG_PI_W], pol->n,
                           pol->D) != 0 ||
        ppo_codegen_floats(out, "ppo_policy_b", params + pol->offset[SEG_PI_B], pol->n, 1) != 0 ||
        ppo_codegen_linear_fn(out) != 0) {
        pol->host->error(pol->host, "export_c: the normalizer does not fit, a parameter is not "
                                    "finite, or writing failed");
        return -1;
    }
    ppo_codegen_act_begin(out, &gen);
    fprintf(out, "    float x[%u], logits[%u];\n", pol->D, pol->n);
    ppo_codegen_obs_input(out, &gen, "x");
    ppo_codegen_dense(out, pol->D, pol->n, "x", "ppo_policy_w", "ppo_policy_b", "logits",
                      PPO_ACTIVATION_IDENTITY);
    ppo_codegen_argmax(out, pol->n, "logits");
    if (ppo_codegen_act_end(out) != 0) {
        pol->host->error(pol->host, "export_c: writing the C file failed");
        return -1;
    }
    return 0;
}

static const ppo_policy_vtable_t @NAME@_vtable = {
    .struct_size = sizeof(ppo_policy_vtable_t),
    .create = @NAME@_create,
    .destroy = @NAME@_destroy,
    .segments = @NAME@_segments,
    .dist_size = @NAME@_dist_size,
    .bind = @NAME@_bind,
    .ws_create = @NAME@_ws_create,
    .ws_destroy = @NAME@_ws_destroy,
    .act = @NAME@_act,
    .value = @NAME@_value,
    .evaluate = @NAME@_evaluate,
    .backward = @NAME@_backward,
    .export_c = @NAME@_export_c,
};

PPO_PLUGIN_DEFINE(PPO_KIND_POLICY, "@NAME@", "0.1.0", "linear categorical policy and value",
                  @NAME@_params, PPO_ARRAY_LEN(@NAME@_params), &@NAME@_vtable)
