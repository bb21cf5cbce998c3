/* @NAME@ — a ppofw env plugin with image observations.
 *
 * The guide to writing and testing plugins: @DOCDIR@/plugin-guide.md;
 * the API in brief: man ppofw-plugin.
 *
 * The task, as written by `ppofw new-plugin env @NAME@ --image`: on a `size` x `size` grid an
 * agent starts on a random cell and a goal on another; each step the agent moves one cell up,
 * down, left or right (a wall stops it), and earns +1 (and the episode terminates) on the goal;
 * every other step costs 0.01. The observation is a uint8 image of 2 channels, channels first
 * (C, H, W) = (2, size, size) as MinAtar and PyTorch lay them out: channel 0 has a 1 on the
 * agent's cell, channel 1 on the goal's, 0 elsewhere. Replace the state, spaces, reset and step
 * with your task's; keep the shape.
 *
 * uint8 observations (plugin ABI 1.2): the space says dtype PPO_DTYPE_UINT8 with bounds in
 * [0, 255] (here [0, 1]: a binary grid) and its shape; reset, step and set_state write dim bytes
 * through PPO_OBS_U8(obs_out). The core stores the bytes (one per element in the rollout and in
 * checkpoints) and hands policies floats scaled to [0, 1] as (x - low) / (high - low).
 *
 * Rules this file follows (the guide has the rest): everything is static except what
 * PPO_PLUGIN_DEFINE exports; randomness comes only from the ppo_rng_t the core hands reset and
 * step; the env signals termination and never counts steps for a time limit (the core does,
 * with max_episode_steps); an instance is used by one thread at a time, different instances by
 * different threads at once, so keep no mutable globals.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw/ppofw.h>

#define GRID_CHANNELS 2

/* One instance: everything that changes lives here. */
typedef struct @NAME@ {
    const ppo_host_t *host; /* services, valid until destroy */
    int64_t size;           /* cells along each side */
    int64_t x, y;           /* the agent's cell */
    int64_t gx, gy;         /* the goal's cell */
    uint32_t dim;           /* bytes of an observation: channels x size x size */
    double *obs_low;        /* (dim) observation bounds (live as long as the instance) */
    double *obs_high;       /* (dim) */
} @NAME@_t;

static const ppo_param_spec_t @NAME@_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_INT,
        .name = "size",
        .default_value = "5",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .min = 2,
        .max = 64,
        .doc = "cells along each side of the grid (the image is 2 x size x size)",
    },
};

static void @NAME@_destroy(void *inst)
{
    @NAME@_t *env = inst;
    if (env == NULL)
        return;
    free(env->obs_low);
    free(env->obs_high);
    free(env);
}

static void *@NAME@_create(const ppo_host_t *host, const ppo_params_t *params)
{
    @NAME@_t *env = calloc(1, sizeof(*env));
    if (env == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    env->host = host;
    env->size = ppo_params_get_int(params, "size");
    env->dim = (uint32_t)(GRID_CHANNELS * env->size * env->size);
    env->obs_low = calloc(env->dim, sizeof(double));
    env->obs_high = calloc(env->dim, sizeof(double));
    if (env->obs_low == NULL || env->obs_high == NULL) {
        host->error(host, "out of memory");
        @NAME@_destroy(env);
        return NULL;
    }
    for (uint32_t i = 0; i < env->dim; i++)
        env->obs_high[i] = 1.0;
    return env;
}

static int @NAME@_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    @NAME@_t *env = inst;
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .dim = env->dim,
        .low = env->obs_low,
        .high = env->obs_high,
        .rank = 3,
        .shape = {GRID_CHANNELS, (uint32_t)env->size, (uint32_t)env->size},
        .dtype = PPO_DTYPE_UINT8,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_DISCRETE,
        .n = 4,
        .dim = 1,
    };
    return 0;
}

/* The image: channel 0 marks the agent, channel 1 the goal. */
static void @NAME@_observe(const @NAME@_t *env, float *obs_out)
{
    uint8_t *o = PPO_OBS_U8(obs_out);
    const size_t plane = (size_t)env->size * (size_t)env->size;
    memset(o, 0, env->dim);
    o[(size_t)env->y * env->size + env->x] = 1;
    o[plane + (size_t)env->gy * env->size + env->gx] = 1;
}

static int @NAME@_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    @NAME@_t *env = inst;
    const uint64_t cells = (uint64_t)(env->size * env->size);
    const uint64_t goal = ppo_rng_below(rng, cells);
    /* any other cell for the agent */
    uint64_t agent = ppo_rng_below(rng, cells - 1);
    if (agent >= goal)
        agent++;
    env->gx = (int64_t)(goal % (uint64_t)env->size);
    env->gy = (int64_t)(goal / (uint64_t)env->size);
    env->x = (int64_t)(agent % (uint64_t)env->size);
    env->y = (int64_t)(agent / (uint64_t)env->size);
    @NAME@_observe(env, obs_out);
    return 0;
}

static int @NAME@_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                       double *reward_out, int *terminated_out)
{
    @NAME@_t *env = inst;
    static const int dx[4] = {0, 0, -1, 1}, dy[4] = {-1, 1, 0, 0};
    const int32_t a = PPO_DISCRETE_ACTION(action);
    if (a < 0 || a > 3) {
        env->host->error(env->host, "action %d is not 0 (up), 1 (down), 2 (left) or 3 (right)",
                         (int)a);
        return -1;
    }
    const int64_t nx = env->x + dx[a], ny = env->y + dy[a];
    if (nx >= 0 && nx < env->size && ny >= 0 && ny < env->size) {
        env->x = nx;
        env->y = ny;
    }
    const int at_goal = env->x == env->gx && env->y == env->gy;
    @NAME@_observe(env, obs_out);
    *reward_out = at_goal ? 1.0 : -0.01;
    *terminated_out = at_goal;
    return 0;
}

/* Optional: the whole state as doubles (agent x, y, goal x, y), for exact resume. */
static size_t @NAME@_state_size(void *inst)
{
    return 4;
}

static int @NAME@_get_state(void *inst, double *state_out)
{
    const @NAME@_t *env = inst;
    state_out[0] = (double)env->x;
    state_out[1] = (double)env->y;
    state_out[2] = (double)env->gx;
    state_out[3] = (double)env->gy;
    return 0;
}

static int @NAME@_set_state(void *inst, const double *state, float *obs_out)
{
    @NAME@_t *env = inst;
    for (int k = 0; k < 4; k++) {
        if (!(state[k] >= 0 && state[k] < (double)env->size && state[k] == floor(state[k]))) {
            env->host->error(env->host, "state element %d (%g) is not a coordinate of a %lld "
                                        "grid",
                             k, state[k], (long long)env->size);
            return -1;
        }
    }
    env->x = (int64_t)state[0];
    env->y = (int64_t)state[1];
    env->gx = (int64_t)state[2];
    env->gy = (int64_t)state[3];
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

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "@NAME@", "0.1.0", "walk a grid seen as an image to the goal",
                  @NAME@_params, PPO_ARRAY_LEN(@NAME@_params), &@NAME@_vtable)
