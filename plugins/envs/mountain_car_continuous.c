/* ppofw env plugin "mountain_car_continuous" — Gymnasium's MountainCarContinuous-v0, bit for bit.
 *
 * The continuous-force MountainCar: the action a0 in [-1, 1] is the engine force. A reset puts
 * the car at rest at a position uniform in [-0.6, -0.4) (double precision, as in Gymnasium).
 * A step computes in double, the way numpy 1.x promotes Gymnasium's float32 state and action:
 * force = a0 clipped to [-1, 1]; the velocity gains force * 0.0015 - 0.0025 cos(3 position) and
 * is clipped to +-0.07; the position moves, is clipped to [-1.2, 0.6], and the car stops at the
 * left wall. Termination (position >= 0.45 with velocity >= 0) is decided on those doubles; then
 * the state is stored rounded to float32, as Gymnasium stores it. Reward: 100 on termination,
 * minus 0.1 a0^2 of the UNCLIPPED action (an action of 3 costs 0.9 though it pushes with 1).
 * The observation is the stored state itself.
 *
 * Left out: the time limit (the core applies max_episode_steps = 999), the goal_velocity
 * constructor option (0 in MountainCarContinuous-v0) and custom reset bounds. render_text draws
 * the car on a line; render_rgb draws the hill, car and flag at 600x400 as Gymnasium's renderer
 * does.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

#include "cc_draw.h"
#include "mask_velocity.h"

#define MCC_MIN_ACTION (-1.0)
#define MCC_MAX_ACTION 1.0
#define MCC_MIN_POSITION (-1.2)
#define MCC_MAX_POSITION 0.6
#define MCC_MAX_SPEED 0.07
#define MCC_GOAL_POSITION 0.45
#define MCC_GOAL_VELOCITY 0.0
#define MCC_POWER 0.0015

/* Gymnasium's observation box, declared as float32 and widened here. */
static const double mcc_obs_low[2] = {(double)(float)MCC_MIN_POSITION,
                                      (double)(float)-MCC_MAX_SPEED};
static const double mcc_obs_high[2] = {(double)(float)MCC_MAX_POSITION,
                                       (double)(float)MCC_MAX_SPEED};
static const double mcc_act_low[1] = {MCC_MIN_ACTION};
static const double mcc_act_high[1] = {MCC_MAX_ACTION};

/* One MountainCarContinuous instance. */
typedef struct mountain_car_continuous {
    const ppo_host_t *host; /* services (borrowed, valid until destroy) */
    double state[2];        /* position, velocity; float32 values after a step */
    bool has_state;         /* reset or set_state has run */
    ppo_cc_canvas_t canvas; /* made by the first render call */
    bool mask_velocity;     /* the velocity observed as 0 */
} mountain_car_continuous_t;

static const ppo_param_spec_t mcc_params[] = {
    MASK_VELOCITY_PARAM("the velocity (entry 1)"),
};

static void *mcc_create(const ppo_host_t *host, const ppo_params_t *params)
{
    mountain_car_continuous_t *mcc = calloc(1, sizeof(*mcc));
    if (mcc == NULL) {
        host->error(host, "out of memory allocating a MountainCarContinuous instance");
        return NULL;
    }
    mcc->host = host;
    mcc->mask_velocity = ppo_params_get_bool(params, "mask_velocity");
    return mcc;
}

static void mcc_destroy(void *inst)
{
    mountain_car_continuous_t *mcc = inst;
    if (mcc != NULL)
        ppo_cc_canvas_fini(&mcc->canvas);
    free(mcc);
}

static int mcc_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .n = 0,
        .dim = 2,
        .low = mcc_obs_low,
        .high = mcc_obs_high,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .n = 0,
        .dim = 1,
        .low = mcc_act_low,
        .high = mcc_act_high,
    };
    return 0;
}

static void mcc_observe(const mountain_car_continuous_t *mcc, float *obs_out)
{
    obs_out[0] = (float)mcc->state[0];
    obs_out[1] = mcc->mask_velocity ? 0.0f : (float)mcc->state[1];
}

static int mcc_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    mountain_car_continuous_t *mcc = inst;
    /* at rest, position uniform in [-0.6, -0.4), kept in double until the first step */
    mcc->state[0] = ppo_rng_uniform_range(rng, -0.6, -0.4);
    mcc->state[1] = 0.0;
    mcc->has_state = true;
    mcc_observe(mcc, obs_out);
    return 0;
}

static int mcc_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                    double *reward_out, int *terminated_out)
{
    mountain_car_continuous_t *mcc = inst;
    if (!mcc->has_state) {
        mcc->host->error(mcc->host, "step called before reset");
        return -1;
    }
    const double a0 = (double)action[0];
    double position = mcc->state[0];
    double velocity = mcc->state[1];

    /* Python's min(max(a0, -1), 1): a NaN passes through, as in Gymnasium */
    double force = MCC_MIN_ACTION > a0 ? MCC_MIN_ACTION : a0;
    force = MCC_MAX_ACTION < force ? MCC_MAX_ACTION : force;

    /* engine plus gravity, then the speed limit */
    velocity += force * MCC_POWER - 0.0025 * cos(3 * position);
    if (velocity > MCC_MAX_SPEED)
        velocity = MCC_MAX_SPEED;
    if (velocity < -MCC_MAX_SPEED)
        velocity = -MCC_MAX_SPEED;

    /* move, clip to the track, and stop at the left wall */
    position += velocity;
    if (position > MCC_MAX_POSITION)
        position = MCC_MAX_POSITION;
    if (position < MCC_MIN_POSITION)
        position = MCC_MIN_POSITION;
    if (position == MCC_MIN_POSITION && velocity < 0)
        velocity = 0.0;

    /* termination on the doubles; the reward charges the unclipped action */
    const bool terminated = position >= MCC_GOAL_POSITION && velocity >= MCC_GOAL_VELOCITY;
    double reward = terminated ? 100.0 : 0.0;
    reward -= (a0 * a0) * 0.1;

    /* the state is stored as float32 */
    mcc->state[0] = (double)(float)position;
    mcc->state[1] = (double)(float)velocity;
    mcc_observe(mcc, obs_out);
    *reward_out = reward;
    *terminated_out = terminated ? 1 : 0;
    return 0;
}

static size_t mcc_state_size(void *inst)
{
    return 2;
}

static int mcc_get_state(void *inst, double *state_out)
{
    const mountain_car_continuous_t *mcc = inst;
    state_out[0] = mcc->state[0];
    state_out[1] = mcc->state[1];
    return 0;
}

static int mcc_set_state(void *inst, const double *state, float *obs_out)
{
    mountain_car_continuous_t *mcc = inst;
    for (int i = 0; i < 2; i++) {
        if (!isfinite(state[i])) {
            mcc->host->error(mcc->host,
                             "state component %d is %g; a MountainCarContinuous state is finite", i,
                             state[i]);
            return -1;
        }
    }
    mcc->state[0] = state[0];
    mcc->state[1] = state[1];
    mcc->has_state = true;
    if (obs_out != NULL)
        mcc_observe(mcc, obs_out);
    return 0;
}

static int mcc_render_text(void *inst, FILE *out)
{
    const mountain_car_continuous_t *mcc = inst;
    enum { WIDTH = 46 };
    const double span = MCC_MAX_POSITION - MCC_MIN_POSITION;
    char track[WIDTH + 1];

    /* the track from -1.2 to 0.6; F is the flag, the car points the way it moves */
    for (int i = 0; i < WIDTH; i++)
        track[i] = '_';
    track[WIDTH] = '\0';
    track[lround((MCC_GOAL_POSITION - MCC_MIN_POSITION) / span * (WIDTH - 1))] = 'F';
    long col = lround((mcc->state[0] - MCC_MIN_POSITION) / span * (WIDTH - 1));
    if (!(col >= 0))
        col = 0;
    if (col > WIDTH - 1)
        col = WIDTH - 1;
    track[col] = mcc->state[1] > 0 ? '>' : mcc->state[1] < 0 ? '<' : 'o';
    if (fprintf(out, "[%s]\nposition=%+.5f velocity=%+.6f\n", track, mcc->state[0], mcc->state[1]) <
        0) {
        mcc->host->error(mcc->host, "cannot write the rendered state");
        return -1;
    }
    return 0;
}

static int mcc_render_size(void *inst, uint32_t *width_out, uint32_t *height_out)
{
    mountain_car_continuous_t *mc = inst;
    return ppo_cc_canvas_size(&mc->canvas, mc->host, PPO_CC_MOUNTAIN_CAR_W, PPO_CC_MOUNTAIN_CAR_H,
                              width_out, height_out);
}

static int mcc_render_rgb(void *inst, uint8_t *rgb_out)
{
    mountain_car_continuous_t *mc = inst;
    cairo_t *cr =
        ppo_cc_canvas_begin(&mc->canvas, mc->host, PPO_CC_MOUNTAIN_CAR_W, PPO_CC_MOUNTAIN_CAR_H);
    if (cr == NULL)
        return -1;
    ppo_cc_mountain_car(cr, mc->state[0], MCC_GOAL_POSITION);
    return ppo_cc_canvas_end(&mc->canvas, mc->host, rgb_out);
}

static const ppo_env_vtable_t mcc_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 999,
    .create = mcc_create,
    .destroy = mcc_destroy,
    .spaces = mcc_spaces,
    .reset = mcc_reset,
    .step = mcc_step,
    .state_size = mcc_state_size,
    .get_state = mcc_get_state,
    .set_state = mcc_set_state,
    .render_text = mcc_render_text,
    .render_size = mcc_render_size,
    .render_rgb = mcc_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "mountain_car_continuous", "1.0.0",
                  "Gymnasium MountainCarContinuous-v0", mcc_params, PPO_ARRAY_LEN(mcc_params),
                  &mcc_vtable)
