/* ppofw CLI — `ppofw new-plugin KIND NAME`: write a plugin skeleton that builds against the
 * installed SDK.
 *
 * Writes DIR/NAME/NAME.c (a small, complete plugin of the kind: an env, a linear policy, a
 * one-step TD advantage, an SGD-with-momentum optimizer), a Makefile using only
 * `pkg-config --cflags --libs ppofw` (targets: build, check, train, install) and NAME.yaml, a
 * pipeline that trains with the new plugin and shipped ones. The templates below are the files
 * with @NAME@ (and, in the Makefile and pipeline, the kind's parts) to fill in; tests build all
 * four against a staged install and validate their pipelines. Refuses to overwrite files
 * unless --force.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cli_private.h"

/* ---- templates ---- */

static const char tpl_env_c[] =
    "/* @NAME@ — a ppofw env plugin.\n"
    " *\n"
    " * The guide to writing and testing plugins: @DOCDIR@/plugin-guide.md;\n"
    " * the API in brief: man ppofw-plugin.\n"
    " *\n"
    " * The task, as written by `ppofw new-plugin env @NAME@`: a walker on a line of `length` "
    "cells\n"
    " * starts on a random cell, moves one cell left or right per step, and earns +1 (and the "
    "episode\n"
    " * terminates) when it reaches the rightmost cell; every other step costs 0.01. Replace "
    "the\n"
    " * state, spaces, reset and step with your task's; keep the shape.\n"
    " *\n"
    " * Rules this file follows (the guide has the rest): everything is static except "
    "what\n"
    " * PPO_PLUGIN_DEFINE exports; randomness comes only from the ppo_rng_t the core hands reset "
    "and\n"
    " * step; the env signals termination and never counts steps for a time limit (the core "
    "does,\n"
    " * with max_episode_steps); an instance is used by one thread at a time, different "
    "instances by\n"
    " * different threads at once, so keep no mutable globals.\n"
    " */\n"
    "#include <math.h>\n"
    "#include <stdlib.h>\n"
    "\n"
    "#include <ppofw/ppofw.h>\n"
    "\n"
    "/* One instance: everything that changes lives here. */\n"
    "typedef struct @NAME@ {\n"
    "    const ppo_host_t *host; /* services, valid until destroy */\n"
    "    int64_t length;         /* cells on the line */\n"
    "    int64_t pos;            /* the walker's cell, 0..length-1 */\n"
    "    double obs_low[1];      /* observation bounds (live as long as the instance) */\n"
    "    double obs_high[1];\n"
    "} @NAME@_t;\n"
    "\n"
    "static const ppo_param_spec_t @NAME@_params[] = {\n"
    "    {\n"
    "        PPO_PARAM_SPEC_INIT,\n"
    "        .type = PPO_PARAM_INT,\n"
    "        .name = \"length\",\n"
    "        .default_value = \"10\",\n"
    "        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,\n"
    "        .min = 2,\n"
    "        .max = 1000,\n"
    "        .doc = \"cells on the line; the goal is the last one\",\n"
    "    },\n"
    "};\n"
    "\n"
    "static void *@NAME@_create(const ppo_host_t *host, const ppo_params_t *params)\n"
    "{\n"
    "    @NAME@_t *env = calloc(1, sizeof(*env));\n"
    "    if (env == NULL) {\n"
    "        host->error(host, \"out of memory\");\n"
    "        return NULL;\n"
    "    }\n"
    "    env->host = host;\n"
    "    env->length = ppo_params_get_int(params, \"length\");\n"
    "    env->obs_low[0] = 0.0;\n"
    "    env->obs_high[0] = 1.0;\n"
    "    return env;\n"
    "}\n"
    "\n"
    "static void @NAME@_destroy(void *inst)\n"
    "{\n"
    "    free(inst);\n"
    "}\n"
    "\n"
    "static int @NAME@_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)\n"
    "{\n"
    "    @NAME@_t *env = inst;\n"
    "    *obs_space = (ppo_space_t){\n"
    "        .struct_size = sizeof(ppo_space_t),\n"
    "        .kind = PPO_SPACE_BOX,\n"
    "        .dim = 1,\n"
    "        .low = env->obs_low,\n"
    "        .high = env->obs_high,\n"
    "    };\n"
    "    *act_space = (ppo_space_t){\n"
    "        .struct_size = sizeof(ppo_space_t),\n"
    "        .kind = PPO_SPACE_DISCRETE,\n"
    "        .n = 2,\n"
    "        .dim = 1,\n"
    "    };\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static void @NAME@_observe(const @NAME@_t *env, float *obs_out)\n"
    "{\n"
    "    obs_out[0] = (float)((double)env->pos / (double)(env->length - 1));\n"
    "}\n"
    "\n"
    "static int @NAME@_reset(void *inst, ppo_rng_t *rng, float *obs_out)\n"
    "{\n"
    "    @NAME@_t *env = inst;\n"
    "    /* any cell but the goal */\n"
    "    env->pos = (int64_t)ppo_rng_below(rng, (uint64_t)(env->length - 1));\n"
    "    @NAME@_observe(env, obs_out);\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static int @NAME@_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,\n"
    "                       double *reward_out, int *terminated_out)\n"
    "{\n"
    "    @NAME@_t *env = inst;\n"
    "    const int32_t a = PPO_DISCRETE_ACTION(action);\n"
    "    if (a < 0 || a > 1) {\n"
    "        env->host->error(env->host, \"action %d is not 0 (left) or 1 (right)\", (int)a);\n"
    "        return -1;\n"
    "    }\n"
    "    env->pos += a == 1 ? 1 : -1;\n"
    "    if (env->pos < 0)\n"
    "        env->pos = 0;\n"
    "    const int at_goal = env->pos == env->length - 1;\n"
    "    @NAME@_observe(env, obs_out);\n"
    "    *reward_out = at_goal ? 1.0 : -0.01;\n"
    "    *terminated_out = at_goal;\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "/* Optional: the whole state as doubles, for exact resume from checkpoints. */\n"
    "static size_t @NAME@_state_size(void *inst)\n"
    "{\n"
    "    return 1;\n"
    "}\n"
    "\n"
    "static int @NAME@_get_state(void *inst, double *state_out)\n"
    "{\n"
    "    const @NAME@_t *env = inst;\n"
    "    state_out[0] = (double)env->pos;\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static int @NAME@_set_state(void *inst, const double *state, float *obs_out)\n"
    "{\n"
    "    @NAME@_t *env = inst;\n"
    "    if (!(state[0] >= 0 && state[0] < (double)env->length && state[0] == floor(state[0]))) "
    "{\n"
    "        env->host->error(env->host, \"state %g is not a cell of a line of %lld\", "
    "state[0],\n"
    "                         (long long)env->length);\n"
    "        return -1;\n"
    "    }\n"
    "    env->pos = (int64_t)state[0];\n"
    "    if (obs_out != NULL)\n"
    "        @NAME@_observe(env, obs_out);\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static const ppo_env_vtable_t @NAME@_vtable = {\n"
    "    .struct_size = sizeof(ppo_env_vtable_t),\n"
    "    .max_episode_steps = 100,\n"
    "    .create = @NAME@_create,\n"
    "    .destroy = @NAME@_destroy,\n"
    "    .spaces = @NAME@_spaces,\n"
    "    .reset = @NAME@_reset,\n"
    "    .step = @NAME@_step,\n"
    "    .state_size = @NAME@_state_size,\n"
    "    .get_state = @NAME@_get_state,\n"
    "    .set_state = @NAME@_set_state,\n"
    "};\n"
    "\n"
    "PPO_PLUGIN_DEFINE(PPO_KIND_ENV, \"@NAME@\", \"0.1.0\", \"walk right along a line to the "
    "goal\",\n"
    "                  @NAME@_params, PPO_ARRAY_LEN(@NAME@_params), &@NAME@_vtable)\n";

static const char tpl_policy_c[] =
    "/* @NAME@ — a ppofw policy plugin.\n"
    " *\n"
    " * The guide to writing and testing plugins: @DOCDIR@/plugin-guide.md;\n"
    " * the API in brief: man ppofw-plugin.\n"
    " *\n"
    " * The network, as written by `ppofw new-plugin policy @NAME@`: linear logits W obs + b for "
    "a\n"
    " * categorical distribution over discrete actions, and a linear value w . obs + c. It "
    "refuses box\n"
    " * action spaces (by name, in host->error). Replace the layers with yours; keep the shape.\n"
    " *\n"
    " * Rules this file follows (the guide has the rest): the core owns the "
    "parameters,\n"
    " * gradients and optimizer state; the policy declares them as named segments, laid out back "
    "to\n"
    " * back in declaration order, and reads them from the array bind() hands it. Everything a "
    "call\n"
    " * writes lives in the workspace it is given, so calls on different workspaces run at once "
    "on\n"
    " * different threads; backward uses what the last evaluate on the same workspace left there "
    "and\n"
    " * ADDS into grad_out. Sampling uses only the rows' ppo_rng_t streams.\n"
    " */\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "\n"
    "#include <ppofw/ppofw.h>\n"
    "\n"
    "enum { SEG_PI_W, SEG_PI_B, SEG_VF_W, SEG_VF_B, N_SEGS };\n"
    "\n"
    "/* One instance: sizes, the segment table and the bound parameters; read-only after bind. "
    "*/\n"
    "typedef struct @NAME@ {\n"
    "    const ppo_host_t *host;      /* services, valid until destroy */\n"
    "    uint32_t D;                  /* observation size */\n"
    "    uint32_t n;                  /* actions */\n"
    "    ppo_segment_t segs[N_SEGS];  /* the segment table */\n"
    "    size_t offset[N_SEGS];       /* first float of each segment */\n"
    "    const float *params;         /* the core's array, bound by bind() */\n"
    "} @NAME@_t;\n"
    "\n"
    "/* Everything one call writes, for up to max_batch rows. */\n"
    "typedef struct @NAME@_ws {\n"
    "    uint32_t max_batch;\n"
    "    uint32_t B;       /* rows of the last evaluate */\n"
    "    int has_old;      /* the last evaluate had old_dist */\n"
    "    float *obs;       /* (B, D) */\n"
    "    float *actions;   /* (B) */\n"
    "    float *logits;    /* (B, n) */\n"
    "    float *old;       /* (B, n) */\n"
    "    float *dlogits;   /* (B, n) */\n"
    "} @NAME@_ws_t;\n"
    "\n"
    "static const ppo_param_spec_t @NAME@_params[] = {\n"
    "    {\n"
    "        PPO_PARAM_SPEC_INIT,\n"
    "        .type = PPO_PARAM_DOUBLE,\n"
    "        .name = \"logit_gain\",\n"
    "        .default_value = \"0.01\",\n"
    "        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE,\n"
    "        .min = 0,\n"
    "        .doc = \"gain of the orthogonal initialization of the logit weights\",\n"
    "    },\n"
    "};\n"
    "\n"
    "static void *@NAME@_create(const ppo_host_t *host, const ppo_params_t *params,\n"
    "                           const ppo_policy_setup_t *setup)\n"
    "{\n"
    "    if (setup->act_space->kind != PPO_SPACE_DISCRETE) {\n"
    "        host->error(host, \"@NAME@ handles discrete actions only, got a box action space of "
    "dim \"\n"
    "                          \"%u\",\n"
    "                    setup->act_space->dim);\n"
    "        return NULL;\n"
    "    }\n"
    "    @NAME@_t *pol = calloc(1, sizeof(*pol));\n"
    "    if (pol == NULL) {\n"
    "        host->error(host, \"out of memory\");\n"
    "        return NULL;\n"
    "    }\n"
    "    pol->host = host;\n"
    "    pol->D = setup->obs_space->dim;\n"
    "    pol->n = setup->act_space->n;\n"
    "    const double gain = ppo_params_get_double(params, \"logit_gain\");\n"
    "    const ppo_segment_t segs[N_SEGS] = {\n"
    "        {sizeof(ppo_segment_t), PPO_INIT_ORTHOGONAL, \"pi.weight\", pol->n, pol->D, 0.0, "
    "gain},\n"
    "        {sizeof(ppo_segment_t), PPO_INIT_CONSTANT, \"pi.bias\", pol->n, 1, 0.0, 0.0},\n"
    "        {sizeof(ppo_segment_t), PPO_INIT_ORTHOGONAL, \"vf.weight\", 1, pol->D, 0.0, 1.0},\n"
    "        {sizeof(ppo_segment_t), PPO_INIT_CONSTANT, \"vf.bias\", 1, 1, 0.0, 0.0},\n"
    "    };\n"
    "    size_t at = 0;\n"
    "    for (int k = 0; k < N_SEGS; k++) {\n"
    "        pol->segs[k] = segs[k];\n"
    "        pol->offset[k] = at;\n"
    "        at += (size_t)segs[k].rows * segs[k].cols;\n"
    "    }\n"
    "    return pol;\n"
    "}\n"
    "\n"
    "static void @NAME@_destroy(void *inst)\n"
    "{\n"
    "    free(inst);\n"
    "}\n"
    "\n"
    "static const ppo_segment_t *@NAME@_segments(void *inst, uint32_t *n_segments)\n"
    "{\n"
    "    @NAME@_t *pol = inst;\n"
    "    *n_segments = N_SEGS;\n"
    "    return pol->segs;\n"
    "}\n"
    "\n"
    "static uint32_t @NAME@_dist_size(void *inst)\n"
    "{\n"
    "    const @NAME@_t *pol = inst;\n"
    "    return pol->n;\n"
    "}\n"
    "\n"
    "static void @NAME@_bind(void *inst, const float *params)\n"
    "{\n"
    "    @NAME@_t *pol = inst;\n"
    "    pol->params = params;\n"
    "}\n"
    "\n"
    "static void *@NAME@_ws_create(void *inst, uint32_t max_batch)\n"
    "{\n"
    "    const @NAME@_t *pol = inst;\n"
    "    @NAME@_ws_t *ws = calloc(1, sizeof(*ws));\n"
    "    if (ws == NULL) {\n"
    "        pol->host->error(pol->host, \"out of memory\");\n"
    "        return NULL;\n"
    "    }\n"
    "    ws->max_batch = max_batch;\n"
    "    ws->obs = calloc((size_t)max_batch * pol->D, sizeof(float));\n"
    "    ws->actions = calloc(max_batch, sizeof(float));\n"
    "    ws->logits = calloc((size_t)max_batch * pol->n, sizeof(float));\n"
    "    ws->old = calloc((size_t)max_batch * pol->n, sizeof(float));\n"
    "    ws->dlogits = calloc((size_t)max_batch * pol->n, sizeof(float));\n"
    "    if (ws->obs == NULL || ws->actions == NULL || ws->logits == NULL || ws->old == NULL ||\n"
    "        ws->dlogits == NULL) {\n"
    "        pol->host->error(pol->host, \"out of memory for a workspace of %u rows\", "
    "max_batch);\n"
    "        free(ws->obs);\n"
    "        free(ws->actions);\n"
    "        free(ws->logits);\n"
    "        free(ws->old);\n"
    "        free(ws->dlogits);\n"
    "        free(ws);\n"
    "        return NULL;\n"
    "    }\n"
    "    return ws;\n"
    "}\n"
    "\n"
    "static void @NAME@_ws_destroy(void *inst, void *wsp)\n"
    "{\n"
    "    @NAME@_ws_t *ws = wsp;\n"
    "    if (ws == NULL)\n"
    "        return;\n"
    "    free(ws->obs);\n"
    "    free(ws->actions);\n"
    "    free(ws->logits);\n"
    "    free(ws->old);\n"
    "    free(ws->dlogits);\n"
    "    free(ws);\n"
    "}\n"
    "\n"
    "/* logits (B, n) and values (B) of obs (B, D) */\n"
    "static void @NAME@_forward(const @NAME@_t *pol, uint32_t B, const float *obs, float "
    "*logits,\n"
    "                           float *value_out)\n"
    "{\n"
    "    const float *p = pol->params;\n"
    "    ppo_linear_forward(B, pol->D, pol->n, obs, p + pol->offset[SEG_PI_W],\n"
    "                       p + pol->offset[SEG_PI_B], logits);\n"
    "    ppo_linear_forward(B, pol->D, 1, obs, p + pol->offset[SEG_VF_W], p + "
    "pol->offset[SEG_VF_B],\n"
    "                       value_out);\n"
    "}\n"
    "\n"
    "static int @NAME@_check_batch(const @NAME@_t *pol, const @NAME@_ws_t *ws, uint32_t B)\n"
    "{\n"
    "    if (B > ws->max_batch) {\n"
    "        pol->host->error(pol->host, \"a call of %u rows on a workspace made for %u\", B,\n"
    "                         ws->max_batch);\n"
    "        return -1;\n"
    "    }\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static int @NAME@_act(void *inst, void *wsp, uint32_t B, const float *obs,\n"
    "                      const uint32_t *env_index, ppo_rng_t *const *rngs, int "
    "deterministic,\n"
    "                      float *actions_out, float *logp_out, float *value_out, float "
    "*dist_out)\n"
    "{\n"
    "    const @NAME@_t *pol = inst;\n"
    "    if (@NAME@_check_batch(pol, wsp, B) != 0)\n"
    "        return -1;\n"
    "    @NAME@_forward(pol, B, obs, dist_out, value_out);\n"
    "    ppo_categorical_act(B, pol->n, dist_out, rngs, deterministic, actions_out, logp_out);\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static int @NAME@_value(void *inst, void *wsp, uint32_t B, const float *obs, float "
    "*value_out)\n"
    "{\n"
    "    const @NAME@_t *pol = inst;\n"
    "    @NAME@_ws_t *ws = wsp;\n"
    "    if (@NAME@_check_batch(pol, ws, B) != 0)\n"
    "        return -1;\n"
    "    @NAME@_forward(pol, B, obs, ws->logits, value_out);\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static int @NAME@_evaluate(void *inst, void *wsp, uint32_t B, const float *obs,\n"
    "                           const float *actions, const float *old_dist, float *logp_out,\n"
    "                           float *entropy_out, float *kl_out, float *value_out)\n"
    "{\n"
    "    const @NAME@_t *pol = inst;\n"
    "    @NAME@_ws_t *ws = wsp;\n"
    "    if (@NAME@_check_batch(pol, ws, B) != 0)\n"
    "        return -1;\n"
    "    /* keep what backward needs */\n"
    "    ws->B = B;\n"
    "    ws->has_old = old_dist != NULL;\n"
    "    memcpy(ws->obs, obs, sizeof(float) * B * pol->D);\n"
    "    memcpy(ws->actions, actions, sizeof(float) * B);\n"
    "    if (old_dist != NULL)\n"
    "        memcpy(ws->old, old_dist, sizeof(float) * B * pol->n);\n"
    "    @NAME@_forward(pol, B, obs, ws->logits, value_out);\n"
    "    ppo_categorical_evaluate(B, pol->n, ws->logits, actions, old_dist, logp_out, "
    "entropy_out,\n"
    "                             old_dist != NULL ? kl_out : NULL);\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static int @NAME@_backward(void *inst, void *wsp, uint32_t B, const float *dlogp,\n"
    "                           const float *dentropy, const float *dkl, const float *dvalue,\n"
    "                           float *grad_out)\n"
    "{\n"
    "    const @NAME@_t *pol = inst;\n"
    "    @NAME@_ws_t *ws = wsp;\n"
    "    if (B != ws->B) {\n"
    "        pol->host->error(pol->host, \"backward of %u rows after an evaluate of %u\", B, "
    "ws->B);\n"
    "        return -1;\n"
    "    }\n"
    "    const float *p = pol->params;\n"
    "    ppo_categorical_backward(B, pol->n, ws->logits, ws->actions, ws->has_old ? ws->old : "
    "NULL,\n"
    "                             dlogp, dentropy, ws->has_old ? dkl : NULL, ws->dlogits);\n"
    "    ppo_linear_backward(B, pol->D, pol->n, ws->obs, p + pol->offset[SEG_PI_W], ws->dlogits, "
    "NULL,\n"
    "                        grad_out + pol->offset[SEG_PI_W], grad_out + "
    "pol->offset[SEG_PI_B]);\n"
    "    if (dvalue != NULL)\n"
    "        ppo_linear_backward(B, pol->D, 1, ws->obs, p + pol->offset[SEG_VF_W], dvalue, "
    "NULL,\n"
    "                            grad_out + pol->offset[SEG_VF_W], grad_out + "
    "pol->offset[SEG_VF_B]);\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static const ppo_policy_vtable_t @NAME@_vtable = {\n"
    "    .struct_size = sizeof(ppo_policy_vtable_t),\n"
    "    .create = @NAME@_create,\n"
    "    .destroy = @NAME@_destroy,\n"
    "    .segments = @NAME@_segments,\n"
    "    .dist_size = @NAME@_dist_size,\n"
    "    .bind = @NAME@_bind,\n"
    "    .ws_create = @NAME@_ws_create,\n"
    "    .ws_destroy = @NAME@_ws_destroy,\n"
    "    .act = @NAME@_act,\n"
    "    .value = @NAME@_value,\n"
    "    .evaluate = @NAME@_evaluate,\n"
    "    .backward = @NAME@_backward,\n"
    "};\n"
    "\n"
    "PPO_PLUGIN_DEFINE(PPO_KIND_POLICY, \"@NAME@\", \"0.1.0\", \"linear categorical policy and "
    "value\",\n"
    "                  @NAME@_params, PPO_ARRAY_LEN(@NAME@_params), &@NAME@_vtable)\n";

static const char tpl_advantage_c[] =
    "/* @NAME@ — a ppofw advantage plugin.\n"
    " *\n"
    " * The guide to writing and testing plugins: @DOCDIR@/plugin-guide.md;\n"
    " * the API in brief: man ppofw-plugin.\n"
    " *\n"
    " * The estimator, as written by `ppofw new-plugin advantage @NAME@`: one-step temporal\n"
    " * differences, A = r + gamma V(next) - V, and value targets A + V. V(next) is the next "
    "row's\n"
    " * value within an episode, the bootstrap value where the time limit cut the episode, V of "
    "the\n"
    " * observation after the rollout at its cut, and 0 after a terminated step. Replace the\n"
    " * arithmetic with yours; keep the boundary rules.\n"
    " *\n"
    " * Index [t * N + i] is step t of env i. Terminated wins over truncated. The core reads "
    "the\n"
    " * plugin's `gamma` parameter, when it declares one, for reward normalization.\n"
    " */\n"
    "#include <stdlib.h>\n"
    "\n"
    "#include <ppofw/ppofw.h>\n"
    "\n"
    "typedef struct @NAME@ {\n"
    "    const ppo_host_t *host;\n"
    "    double gamma; /* discount */\n"
    "} @NAME@_t;\n"
    "\n"
    "static const ppo_param_spec_t @NAME@_params[] = {\n"
    "    {\n"
    "        PPO_PARAM_SPEC_INIT,\n"
    "        .type = PPO_PARAM_DOUBLE,\n"
    "        .name = \"gamma\",\n"
    "        .default_value = \"0.99\",\n"
    "        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_MIN_EXCLUSIVE,\n"
    "        .min = 0,\n"
    "        .max = 1,\n"
    "        .doc = \"discount factor\",\n"
    "    },\n"
    "};\n"
    "\n"
    "static void *@NAME@_create(const ppo_host_t *host, const ppo_params_t *params)\n"
    "{\n"
    "    @NAME@_t *est = calloc(1, sizeof(*est));\n"
    "    if (est == NULL) {\n"
    "        host->error(host, \"out of memory\");\n"
    "        return NULL;\n"
    "    }\n"
    "    est->host = host;\n"
    "    est->gamma = ppo_params_get_double(params, \"gamma\");\n"
    "    return est;\n"
    "}\n"
    "\n"
    "static void @NAME@_destroy(void *inst)\n"
    "{\n"
    "    free(inst);\n"
    "}\n"
    "\n"
    "static int @NAME@_estimate(void *inst, const ppo_rollout_view_t *view, float *adv_out,\n"
    "                           float *ret_out)\n"
    "{\n"
    "    const @NAME@_t *est = inst;\n"
    "    const uint32_t T = view->T, N = view->N;\n"
    "    for (uint32_t t = 0; t < T; t++) {\n"
    "        for (uint32_t i = 0; i < N; i++) {\n"
    "            const size_t r = (size_t)t * N + i;\n"
    "            double next;\n"
    "            if (view->terminated[r] != 0.0f)\n"
    "                next = 0.0;\n"
    "            else if (view->truncated[r] != 0.0f)\n"
    "                next = view->bootstrap_values[r];\n"
    "            else if (t + 1 < T)\n"
    "                next = view->values[r + N];\n"
    "            else\n"
    "                next = view->last_values[i];\n"
    "            const double adv = view->rewards[r] + est->gamma * next - view->values[r];\n"
    "            adv_out[r] = (float)adv;\n"
    "            ret_out[r] = (float)(adv + view->values[r]);\n"
    "        }\n"
    "    }\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static const ppo_advantage_vtable_t @NAME@_vtable = {\n"
    "    .struct_size = sizeof(ppo_advantage_vtable_t),\n"
    "    .create = @NAME@_create,\n"
    "    .destroy = @NAME@_destroy,\n"
    "    .estimate = @NAME@_estimate,\n"
    "};\n"
    "\n"
    "PPO_PLUGIN_DEFINE(PPO_KIND_ADVANTAGE, \"@NAME@\", \"0.1.0\", \"one-step temporal-difference "
    "advantage\",\n"
    "                  @NAME@_params, PPO_ARRAY_LEN(@NAME@_params), &@NAME@_vtable)\n";

static const char tpl_optimizer_c[] =
    "/* @NAME@ — a ppofw optimizer plugin.\n"
    " *\n"
    " * The guide to writing and testing plugins: @DOCDIR@/plugin-guide.md;\n"
    " * the API in brief: man ppofw-plugin.\n"
    " *\n"
    " * The update, as written by `ppofw new-plugin optimizer @NAME@`: SGD with momentum,\n"
    " * v = momentum v + g, p -= lr v. The velocity v is the optimizer's state: one float per\n"
    " * parameter in an array the core owns, zeroes before the first step, checkpoints and "
    "(under MPI)\n"
    " * broadcasts. Replace the update with yours; keep the state in that array.\n"
    " *\n"
    " * Every optimizer declares a double parameter `lr`; the core's schedule (ppo.lr_schedule) "
    "scales\n"
    " * it and passes the result to step().\n"
    " */\n"
    "#include <stdlib.h>\n"
    "\n"
    "#include <ppofw/ppofw.h>\n"
    "\n"
    "typedef struct @NAME@ {\n"
    "    const ppo_host_t *host;\n"
    "    double momentum;\n"
    "} @NAME@_t;\n"
    "\n"
    "static const ppo_param_spec_t @NAME@_params[] = {\n"
    "    {\n"
    "        PPO_PARAM_SPEC_INIT,\n"
    "        .type = PPO_PARAM_DOUBLE,\n"
    "        .name = \"lr\",\n"
    "        .default_value = \"1e-3\",\n"
    "        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE,\n"
    "        .min = 0,\n"
    "        .doc = \"learning rate (scaled by ppo.lr_schedule)\",\n"
    "    },\n"
    "    {\n"
    "        PPO_PARAM_SPEC_INIT,\n"
    "        .type = PPO_PARAM_DOUBLE,\n"
    "        .name = \"momentum\",\n"
    "        .default_value = \"0.9\",\n"
    "        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_MAX_EXCLUSIVE,\n"
    "        .min = 0,\n"
    "        .max = 1,\n"
    "        .doc = \"momentum of the velocity\",\n"
    "    },\n"
    "};\n"
    "\n"
    "static void *@NAME@_create(const ppo_host_t *host, const ppo_params_t *params)\n"
    "{\n"
    "    @NAME@_t *opt = calloc(1, sizeof(*opt));\n"
    "    if (opt == NULL) {\n"
    "        host->error(host, \"out of memory\");\n"
    "        return NULL;\n"
    "    }\n"
    "    opt->host = host;\n"
    "    opt->momentum = ppo_params_get_double(params, \"momentum\");\n"
    "    return opt;\n"
    "}\n"
    "\n"
    "static void @NAME@_destroy(void *inst)\n"
    "{\n"
    "    free(inst);\n"
    "}\n"
    "\n"
    "static uint32_t @NAME@_state_floats_per_param(void *inst)\n"
    "{\n"
    "    return 1;\n"
    "}\n"
    "\n"
    "/* The update of elements [j0, j1). Each element's update reads that element alone, so the\n"
    " * core may run disjoint ranges on its threads at once (step_range); drop step_range from "
    "the\n"
    " * vtable if yours ever reads across elements (a global norm, per-layer statistics). */\n"
    "static int @NAME@_step_range(void *inst, float *params, const float *grads, float *state,\n"
    "                             size_t n, size_t j0, size_t j1, double lr, uint64_t t)\n"
    "{\n"
    "    const @NAME@_t *opt = inst;\n"
    "    const float mu = (float)opt->momentum, rate = (float)lr;\n"
    "    for (size_t i = j0; i < j1; i++) {\n"
    "        state[i] = mu * state[i] + grads[i];\n"
    "        params[i] -= rate * state[i];\n"
    "    }\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "static int @NAME@_step(void *inst, float *params, const float *grads, float *state, size_t "
    "n,\n"
    "                       double lr, uint64_t t)\n"
    "{\n"
    "    return @NAME@_step_range(inst, params, grads, state, n, 0, n, lr, t);\n"
    "}\n"
    "\n"
    "static const ppo_optimizer_vtable_t @NAME@_vtable = {\n"
    "    .struct_size = sizeof(ppo_optimizer_vtable_t),\n"
    "    .create = @NAME@_create,\n"
    "    .destroy = @NAME@_destroy,\n"
    "    .state_floats_per_param = @NAME@_state_floats_per_param,\n"
    "    .step = @NAME@_step,\n"
    "    .step_range = @NAME@_step_range,\n"
    "};\n"
    "\n"
    "PPO_PLUGIN_DEFINE(PPO_KIND_OPTIMIZER, \"@NAME@\", \"0.1.0\", \"SGD with momentum\", "
    "@NAME@_params,\n"
    "                  PPO_ARRAY_LEN(@NAME@_params), &@NAME@_vtable)\n";

static const char tpl_makefile[] =
    "# Builds the ppofw @KIND@ plugin @NAME@ against the installed SDK: a C compiler and\n"
    "# `pkg-config --cflags --libs ppofw` are all it needs (set PKG_CONFIG_PATH when ppofw.pc is "
    "not\n"
    "# in pkg-config's default path, e.g. PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig).\n"
    "#\n"
    "#   make          build @NAME@.so\n"
    "#   make check    validate @NAME@.yaml@CHECK_DOC@\n"
    "#   make train    train @NAME@.yaml with ppofw run\n"
    "#   make install  copy @NAME@.so into ppofw's plugin directory, where every pipeline finds "
    "it\n"
    "#\n"
    "# The guide: @DOCDIR@/plugin-guide.md\n"
    "# Examples with tests against ppofw's testing API (ppofw-check): @DOCDIR@/examples\n"
    "\n"
    "PKG_CONFIG ?= pkg-config\n"
    "PPOFW ?= ppofw\n"
    "CFLAGS ?= -O2 -g -Wall -Wextra -Wno-unused-parameter\n"
    "PPOFW_FLAGS := $(shell $(PKG_CONFIG) --cflags --libs ppofw)\n"
    "NO_PPOFW = pkg-config does not know ppofw: install ppofw or set PKG_CONFIG_PATH\n"
    "ifeq ($(strip $(PPOFW_FLAGS)),)\n"
    "$(error $(NO_PPOFW) to the directory of ppofw.pc)\n"
    "endif\n"
    "\n"
    "@NAME@.so: @NAME@.c\n"
    "\t$(CC) $(CFLAGS) -std=gnu11 -fPIC -fvisibility=hidden -shared -Wl,--no-undefined \\\n"
    "\t\t-o $@ @NAME@.c $(PPOFW_FLAGS) -lm\n"
    "\n"
    "check: @NAME@.so\n"
    "\t$(PPOFW) validate --plugin-path . @NAME@.yaml\n"
    "@CHECK_RULE@\n"
    "train: @NAME@.so\n"
    "\t$(PPOFW) run --plugin-path . @NAME@.yaml\n"
    "\n"
    "install: @NAME@.so\n"
    "\tinstall -d $(DESTDIR)$$($(PKG_CONFIG) --variable=plugindir ppofw)\n"
    "\tinstall -m 644 @NAME@.so $(DESTDIR)$$($(PKG_CONFIG) --variable=plugindir ppofw)\n"
    "\n"
    "clean:\n"
    "\trm -f @NAME@.so\n"
    "\n"
    ".PHONY: check train install clean\n";

static const char tpl_pipeline[] =
    "# A pipeline that trains with the @KIND@ plugin @NAME@ (`make train`, or\n"
    "# `ppofw run --plugin-path . @NAME@.yaml`). The other plugins are ppofw's shipped ones.\n"
    "name: @NAME@\n"
    "seed: 1\n"
    "env:\n"
    "  plugin: @ENV@\n"
    "  num_envs: 8\n"
    "policy:\n"
    "  plugin: @POLICY@\n"
    "@POLICY_PARAMS@advantage:\n"
    "  plugin: @ADVANTAGE@\n"
    "  params: { gamma: 0.99 }\n"
    "optimizer:\n"
    "  plugin: @OPTIMIZER@\n"
    "  params: { lr: @LR@ }\n"
    "ppo:\n"
    "  total_steps: @STEPS@\n"
    "  rollout_steps: 64\n"
    "  epochs: 4\n"
    "  minibatches: 4\n";

/* What differs between the four kinds outside NAME.c. */
typedef struct kind_parts {
    const char *kind;       /* "env", ... */
    const char *source;     /* the NAME.c template */
    const char *check_doc;  /* Makefile comment: what `make check` runs besides validate */
    const char *check_rule; /* Makefile recipe lines for the checker, or "" */
    const char *env;        /* the pipeline's plugins */
    const char *policy;
    const char *policy_params; /* the policy's params line, or "" */
    const char *advantage;
    const char *optimizer;
    const char *lr;
    const char *steps; /* ppo.total_steps */
} kind_parts_t;

#define MLP_PARAMS "  params: { pi_hidden: [64, 64], vf_hidden: [64, 64] }\n"

static const kind_parts_t kinds[] = {
    {"env", tpl_env_c, " and run ppofw check-env on the plugin",
     "\t$(PPOFW) check-env ./@NAME@.so\n", "@NAME@", "mlp", MLP_PARAMS, "gae", "adam", "3.0e-4",
     "20000"},
    {"policy", tpl_policy_c, " and run ppofw check-policy on the plugin",
     "\t$(PPOFW) check-policy ./@NAME@.so\n", "cartpole", "@NAME@", "", "gae", "adam", "1.0e-2",
     "20000"},
    {"advantage", tpl_advantage_c, "", "", "cartpole", "mlp", MLP_PARAMS, "@NAME@", "adam",
     "3.0e-4", "20000"},
    {"optimizer", tpl_optimizer_c, "", "", "cartpole", "mlp", MLP_PARAMS, "gae", "@NAME@", "1.0e-3",
     "20000"},
};

static char *dir_option;
static gboolean force;

static GOptionEntry new_plugin_entries[] = {
    {"dir", 'd', 0, G_OPTION_ARG_FILENAME, &dir_option,
     "create the plugin's directory NAME inside DIR (default: the current directory)", "DIR"},
    {"force", 0, 0, G_OPTION_ARG_NONE, &force, "overwrite files that exist", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *new_plugin_context(void)
{
    GOptionContext *ctx =
        g_option_context_new("env|policy|advantage|optimizer NAME - write a plugin skeleton");
    g_option_context_set_summary(
        ctx, "Writes NAME/NAME.c, NAME/Makefile and NAME/NAME.yaml: a small working plugin of\n"
             "the kind, a Makefile that builds it with `pkg-config --cflags --libs ppofw`\n"
             "(make, make check, make train, make install) and a pipeline that trains with it.\n"
             "NAME is the plugin's name and C prefix: [a-z][a-z0-9_]*.");
    g_option_context_add_main_entries(ctx, new_plugin_entries, NULL);
    return ctx;
}

/* `text` with every "@KEY@" of the NULL-terminated (key, value) pairs replaced (transfer
 * full). */
static char *fill(const char *text, const char *const *pairs)
{
    GString *out = g_string_new(NULL);
    const char *c = text;
    while (*c != '\0') {
        const char *at = strchr(c, '@');
        if (at == NULL) {
            g_string_append(out, c);
            break;
        }
        g_string_append_len(out, c, at - c);
        const char *value = NULL;
        size_t key_len = 0;
        for (const char *const *p = pairs; *p != NULL && value == NULL; p += 2) {
            key_len = strlen(p[0]);
            if (strncmp(at + 1, p[0], key_len) == 0 && at[1 + key_len] == '@')
                value = p[1];
        }
        if (value != NULL) {
            g_string_append(out, value);
            c = at + key_len + 2;
        } else {
            g_string_append_c(out, '@');
            c = at + 1;
        }
    }
    return g_string_free(out, FALSE);
}

static bool name_ok(const char *name)
{
    if (!g_ascii_islower(name[0]) || strlen(name) > 64)
        return false;
    for (const char *c = name; *c != '\0'; c++)
        if (!(g_ascii_islower(*c) || g_ascii_isdigit(*c) || *c == '_'))
            return false;
    return true;
}

static bool write_file(const char *path, const char *text, GError **error)
{
    if (!force && g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s exists; choose another NAME or --dir, or pass --force to overwrite it",
                    path);
        return false;
    }
    if (!g_file_set_contents(path, text, -1, error)) {
        g_prefix_error(error, "%s: ", path);
        return false;
    }
    return true;
}

static int new_plugin_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    char *dir = NULL;
    char *paths[3] = {NULL, NULL, NULL};
    char *texts[3] = {NULL, NULL, NULL};
    GOptionContext *ctx = new_plugin_context();
    if (!ppo_cli_parse(ctx, &argc, &argv, &code))
        goto out;
    const kind_parts_t *k = NULL;
    for (size_t i = 0; argc == 3 && i < G_N_ELEMENTS(kinds); i++)
        if (strcmp(argv[1], kinds[i].kind) == 0)
            k = &kinds[i];
    if (argc != 3 || k == NULL) {
        fprintf(stderr, "ppofw: new-plugin takes a KIND (env, policy, advantage or optimizer) and "
                        "a NAME, e.g. ppofw new-plugin env gridworld\n");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    const char *name = argv[2];
    if (!name_ok(name)) {
        fprintf(stderr,
                "ppofw: new-plugin: \"%s\" cannot name a plugin: use a lowercase letter "
                "then lowercase letters, digits and '_' (it prefixes C names), e.g. "
                "my_env\n",
                name);
        code = PPO_EXIT_USAGE;
        goto out;
    }

    /* fill the templates: the kind's parts first, since they contain @NAME@ */
    const char *const parts[] = {
        "KIND",       k->kind,       "CHECK_DOC",     k->check_doc,
        "CHECK_RULE", k->check_rule, "ENV",           k->env,
        "POLICY",     k->policy,     "POLICY_PARAMS", k->policy_params,
        "ADVANTAGE",  k->advantage,  "OPTIMIZER",     k->optimizer,
        "LR",         k->lr,         "STEPS",         k->steps,
        NULL,
    };
    /* the guide is named at its installed place */
    const char *const names[] = {"NAME", name, "DOCDIR", PPO_DOCDIR, NULL};
    const char *const templates[3] = {k->source, tpl_makefile, tpl_pipeline};
    for (int i = 0; i < 3; i++) {
        char *partly = fill(templates[i], parts);
        texts[i] = fill(partly, names);
        g_free(partly);
    }
    dir = g_build_filename(dir_option != NULL ? dir_option : ".", name, NULL);
    char *c_file = g_strconcat(name, ".c", NULL), *yaml_file = g_strconcat(name, ".yaml", NULL);
    paths[0] = g_build_filename(dir, c_file, NULL);
    paths[1] = g_build_filename(dir, "Makefile", NULL);
    paths[2] = g_build_filename(dir, yaml_file, NULL);
    g_free(c_file);
    g_free(yaml_file);

    GError *error = NULL;
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        fprintf(stderr, "ppofw: new-plugin: cannot create %s: %s\n", dir, g_strerror(errno));
        code = PPO_EXIT_IO;
        goto out;
    }
    for (int i = 0; i < 3; i++) {
        if (!write_file(paths[i], texts[i], &error)) {
            code = ppo_cli_fail(error);
            goto out;
        }
    }
    fprintf(stderr,
            "ppofw: wrote the %s plugin %s: %s, %s and %s\n"
            "  next: cd %s && make && make check && make train\n",
            k->kind, name, paths[0], paths[1], paths[2], dir);
out:
    for (int i = 0; i < 3; i++) {
        g_free(paths[i]);
        g_free(texts[i]);
    }
    g_free(dir);
    g_option_context_free(ctx);
    g_free(dir_option);
    dir_option = NULL;
    force = FALSE;
    return code;
}

const ppo_cli_command_t ppo_cli_new_plugin_command = {
    "new-plugin",
    "KIND NAME",
    "write a plugin skeleton with a Makefile and a test pipeline",
    new_plugin_main,
    new_plugin_context,
    new_plugin_entries,
};
