/* ppofw env plugin "mountain_car" — Gymnasium's MountainCar-v0, bit for bit.
 *
 * A car in a valley between two hills must reach the flag at position 0.5 on the right. The
 * state (position, velocity) is double precision, as in Gymnasium; a reset puts the car at rest
 * at a position uniform in [-0.6, -0.4). Action 0/1/2 pushes left / not at all / right. A step
 * adds the push and gravity to the velocity, clips it to +-0.07, moves, clips the position to
 * [-1.2, 0.6], and stops the car at the left wall. The episode terminates at position >= 0.5
 * with velocity >= 0. Reward -1 on every step. The only transcendental call is cos, which
 * Gymnasium takes from the C library too, so the trajectories match Gymnasium's exactly.
 *
 * Left out: the time limit (the core applies max_episode_steps = 200), the goal_velocity
 * constructor option (0 in MountainCar-v0) and custom reset bounds. render_text draws the car on a
 * line; render_rgb draws the hill, car and flag at 600x400 as Gymnasium's renderer does.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

#include "cc_draw.h"
#include "mask_velocity.h"

#define MC_MIN_POSITION (-1.2)
#define MC_MAX_POSITION 0.6
#define MC_MAX_SPEED 0.07
#define MC_GOAL_POSITION 0.5
#define MC_GOAL_VELOCITY 0.0
#define MC_FORCE 0.001
#define MC_GRAVITY 0.0025
#define MC_N_ACTIONS 3

/* Gymnasium's observation box, declared as float32 and widened here. */
static const double mc_obs_low[2] = {(double)(float)MC_MIN_POSITION, (double)(float)-MC_MAX_SPEED};
static const double mc_obs_high[2] = {(double)(float)MC_MAX_POSITION, (double)(float)MC_MAX_SPEED};

/* One MountainCar instance. */
typedef struct mountain_car {
    const ppo_host_t *host; /* services (borrowed, valid until destroy) */
    double state[2];        /* position, velocity */
    bool has_state;         /* reset or set_state has run */
    ppo_cc_canvas_t canvas; /* made by the first render call */
    bool mask_velocity;     /* the velocity observed as 0 */
} mountain_car_t;

static const ppo_param_spec_t mc_params[] = {
    MASK_VELOCITY_PARAM("the velocity (entry 1)"),
};

static void *mc_create(const ppo_host_t *host, const ppo_params_t *params)
{
    mountain_car_t *mc = calloc(1, sizeof(*mc));
    if (mc == NULL) {
        host->error(host, "out of memory allocating a MountainCar instance");
        return NULL;
    }
    mc->host = host;
    mc->mask_velocity = ppo_params_get_bool(params, "mask_velocity");
    return mc;
}

static void mc_destroy(void *inst)
{
    mountain_car_t *mc = inst;
    if (mc != NULL)
        ppo_cc_canvas_fini(&mc->canvas);
    free(mc);
}

static int mc_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .n = 0,
        .dim = 2,
        .low = mc_obs_low,
        .high = mc_obs_high,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_DISCRETE,
        .n = MC_N_ACTIONS,
        .dim = 1,
    };
    return 0;
}

static void mc_observe(const mountain_car_t *mc, float *obs_out)
{
    obs_out[0] = (float)mc->state[0];
    obs_out[1] = mc->mask_velocity ? 0.0f : (float)mc->state[1];
}

static int mc_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    mountain_car_t *mc = inst;
    /* at rest, position uniform in [-0.6, -0.4) */
    mc->state[0] = ppo_rng_uniform_range(rng, -0.6, -0.4);
    mc->state[1] = 0.0;
    mc->has_state = true;
    mc_observe(mc, obs_out);
    return 0;
}

static int mc_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                   double *reward_out, int *terminated_out)
{
    mountain_car_t *mc = inst;
    const float a = action[0];
    if (!(a >= 0.0f && a <= (float)(MC_N_ACTIONS - 1) && a == (float)(int32_t)a)) {
        mc->host->error(mc->host,
                        "action %g is out of range: expected an integer from 0 to %d "
                        "(Discrete(%d))",
                        (double)a, MC_N_ACTIONS - 1, MC_N_ACTIONS);
        return -1;
    }
    if (!mc->has_state) {
        mc->host->error(mc->host, "step called before reset");
        return -1;
    }

    double position = mc->state[0];
    double velocity = mc->state[1];

    /* push plus gravity, then the speed limit */
    velocity += (PPO_DISCRETE_ACTION(action) - 1) * MC_FORCE + cos(3 * position) * (-MC_GRAVITY);
    if (velocity < -MC_MAX_SPEED)
        velocity = -MC_MAX_SPEED;
    if (velocity > MC_MAX_SPEED)
        velocity = MC_MAX_SPEED;

    /* move, clip to the track, and stop at the left wall */
    position += velocity;
    if (position < MC_MIN_POSITION)
        position = MC_MIN_POSITION;
    if (position > MC_MAX_POSITION)
        position = MC_MAX_POSITION;
    if (position == MC_MIN_POSITION && velocity < 0)
        velocity = 0.0;

    const bool terminated = position >= MC_GOAL_POSITION && velocity >= MC_GOAL_VELOCITY;
    mc->state[0] = position;
    mc->state[1] = velocity;
    mc_observe(mc, obs_out);
    *reward_out = -1.0;
    *terminated_out = terminated ? 1 : 0;
    return 0;
}

static size_t mc_state_size(void *inst)
{
    return 2;
}

static int mc_get_state(void *inst, double *state_out)
{
    const mountain_car_t *mc = inst;
    state_out[0] = mc->state[0];
    state_out[1] = mc->state[1];
    return 0;
}

static int mc_set_state(void *inst, const double *state, float *obs_out)
{
    mountain_car_t *mc = inst;
    for (int i = 0; i < 2; i++) {
        if (!isfinite(state[i])) {
            mc->host->error(mc->host, "state component %d is %g; a MountainCar state is finite", i,
                            state[i]);
            return -1;
        }
    }
    mc->state[0] = state[0];
    mc->state[1] = state[1];
    mc->has_state = true;
    if (obs_out != NULL)
        mc_observe(mc, obs_out);
    return 0;
}

static int mc_render_text(void *inst, FILE *out)
{
    const mountain_car_t *mc = inst;
    enum { WIDTH = 46 };
    const double span = MC_MAX_POSITION - MC_MIN_POSITION;
    char track[WIDTH + 1];

    /* the track from -1.2 to 0.6; F is the flag, the car points the way it moves */
    for (int i = 0; i < WIDTH; i++)
        track[i] = '_';
    track[WIDTH] = '\0';
    track[lround((MC_GOAL_POSITION - MC_MIN_POSITION) / span * (WIDTH - 1))] = 'F';
    long col = lround((mc->state[0] - MC_MIN_POSITION) / span * (WIDTH - 1));
    if (!(col >= 0))
        col = 0;
    if (col > WIDTH - 1)
        col = WIDTH - 1;
    track[col] = mc->state[1] > 0 ? '>' : mc->state[1] < 0 ? '<' : 'o';
    if (fprintf(out, "[%s]\nposition=%+.5f velocity=%+.6f\n", track, mc->state[0], mc->state[1]) <
        0) {
        mc->host->error(mc->host, "cannot write the rendered state");
        return -1;
    }
    return 0;
}

static int mc_render_size(void *inst, uint32_t *width_out, uint32_t *height_out)
{
    mountain_car_t *mc = inst;
    return ppo_cc_canvas_size(&mc->canvas, mc->host, PPO_CC_MOUNTAIN_CAR_W, PPO_CC_MOUNTAIN_CAR_H,
                              width_out, height_out);
}

static int mc_render_rgb(void *inst, uint8_t *rgb_out)
{
    mountain_car_t *mc = inst;
    cairo_t *cr =
        ppo_cc_canvas_begin(&mc->canvas, mc->host, PPO_CC_MOUNTAIN_CAR_W, PPO_CC_MOUNTAIN_CAR_H);
    if (cr == NULL)
        return -1;
    ppo_cc_mountain_car(cr, mc->state[0], MC_GOAL_POSITION);
    return ppo_cc_canvas_end(&mc->canvas, mc->host, rgb_out);
}

static const ppo_env_vtable_t mc_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 200,
    .create = mc_create,
    .destroy = mc_destroy,
    .spaces = mc_spaces,
    .reset = mc_reset,
    .step = mc_step,
    .state_size = mc_state_size,
    .get_state = mc_get_state,
    .set_state = mc_set_state,
    .render_text = mc_render_text,
    .render_size = mc_render_size,
    .render_rgb = mc_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "mountain_car", "1.0.0", "Gymnasium MountainCar-v0", mc_params,
                  PPO_ARRAY_LEN(mc_params), &mc_vtable)
