/* @NAME@ — a ppofw env plugin.
 *
 * The guide to writing and testing plugins: @DOCDIR@/plugin-guide.md;
 * the API in brief: man ppofw-plugin.
 *
 * The task, as written by `ppofw new-plugin env @NAME@`: a walker on a line of `length` cells
 * starts on a random cell, moves one cell left or right per step, and earns +1 (and the episode
 * terminates) when it reaches the rightmost cell; every other step costs 0.01. Replace the
 * state, spaces, reset and step with your task's; keep the shape.
 *
 * Rules this file follows (the guide has the rest): everything is static except what
 * PPO_PLUGIN_DEFINE exports; randomness comes only from the ppo_rng_t the core hands reset and
 * step; the env signals termination and never counts steps for a time limit (the core does,
 * with max_episode_steps); an instance is used by one thread at a time, different instances by
 * different threads at once, so keep no mutable globals.
 */
#include <math.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

/* One instance: everything that changes lives here. */
typedef struct @NAME@ {
    const ppo_host_t *host; /* services, valid until destroy */
    int64_t length;         /* cells on the line */
    int64_t pos;            /* the walker's cell, 0..length-1 */
    double obs_low[1];      /* observation bounds (live as long as the instance) */
    double obs_high[1];
} @NAME@_t;

static const ppo_param_spec_t @NAME@_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_INT,
        .name = "length",
        .default_value = "10",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .min = 2,
        .max = 1000,
        .doc = "cells on the line; the goal is the last one",
    },
};

static void *@NAME@_create(const ppo_host_t *host, const ppo_params_t *params)
{
    @NAME@_t *env = calloc(1, sizeof(*env));
    if (env == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    env->host = host;
    env->length = ppo_params_get_int(params, "length");
    env->obs_low[0] = 0.0;
    env->obs_high[0] = 1.0;
    return env;
}

static void @NAME@_destroy(void *inst)
{
    free(inst);
}

static int @NAME@_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    @NAME@_t *env = inst;
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .dim = 1,
        .low = env->obs_low,
        .high = env->obs_high,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_DISCRETE,
        .n = 2,
        .dim = 1,
    };
    return 0;
}

static void @NAME@_observe(const @NAME@_t *env, float *obs_out)
{
    obs_out[0] = (float)((double)env->pos / (double)(env->length - 1));
}

static int @NAME@_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    @NAME@_t *env = inst;
    /* any cell but the goal */
    env->pos = (int64_t)ppo_rng_below(rng, (uint64_t)(env->length - 1));
    @NAME@_observe(env, obs_out);
    return 0;
}

static int @NAME@_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                       double *reward_out, int *terminated_out)
{
    @NAME@_t *env = inst;
    const int32_t a = PPO_DISCRETE_ACTION(action);
    if (a < 0 || a > 1) {
        env->host->error(env->host, "action %d is not 0 (left) or 1 (right)", (int)a);
        return -1;
    }
    env->pos += a == 1 ? 1 : -1;
    if (env->pos < 0)
        env->pos = 0;
    const int at_goal = env->pos == env->length - 1;
    @NAME@_observe(env, obs_out);
    *reward_out = at_goal ? 1.0 : -0.01;
    *terminated_out = at_goal;
    return 0;
}

/* Optional: the whole state as doubles, for exact resume from checkpoints. */
static size_t @NAME@_state_size(void *inst)
{
    return 1;
}

static int @NAME@_get_state(void *inst, double *state_out)
{
    const @NAME@_t *env = inst;
    state_out[0] = (double)env->pos;
    return 0;
}

static int @NAME@_set_state(void *inst, const double *state, float *obs_out)
{
    @NAME@_t *env = inst;
    if (!(state[0] >= 0 && state[0] < (double)env->length && state[0] == floor(state[0]))) {
        env->host->error(env->host, "state %g is not a cell of a line of %lld", state[0],
                         (long long)env->length);
        return -1;
    }
    env->pos = (int64_t)state[0];
    if (obs_out != NULL)
        @NAME@_observe(env, obs_out);
    return 0;
}

static const ppo_env_vtable_t @NAME@_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 100,
    .create = @NAME@_create,
    .destroy = @NAME@_destroy,
    .spaces = @NAME@_spaces,
    .reset = @NAME@_reset,
    .step = @NAME@_step,
    .state_size = @NAME@_state_size,
    .get_state = @NAME@_get_state,
    .set_state = @NAME@_set_state,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "@NAME@", "0.1.0", "walk right along a line to the goal",
                  @NAME@_params, PPO_ARRAY_LEN(@NAME@_params), &@NAME@_vtable)
