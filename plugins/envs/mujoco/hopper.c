/* ppofw env plugin "hopper" — Gymnasium's Hopper-v4 on MuJoCo 2.2.2.
 *
 * A planar one-legged hopper (models/hopper.xml: 6 joints, 3 motors, RK4 at 0.002 s) is rewarded
 * for hopping forward without falling. One step holds the action as ctrl for 4 MuJoCo steps
 * (dt = 0.008 s).
 *
 *     observation  qpos[1:6] (torso height, torso angle, three joint angles), then
 *                  clip(qvel[0:6], -10, 10): 11 numbers, or 12 with qpos[0] first when
 *                  exclude_current_positions_from_observation is false
 *     healthy      every element of (qpos[2:6], qvel[0:6]) strictly inside healthy_state_range,
 *                  z = qpos[1] strictly inside healthy_z_range, angle = qpos[2] strictly inside
 *                  healthy_angle_range (all checked after the step)
 *     reward       forward_reward_weight * (x_after - x_before) / dt
 *                  + healthy_reward * (healthy or terminate_when_unhealthy)
 *                  - ctrl_cost_weight * sum(action^2),   x = qpos[0]
 *     terminated   not healthy, when terminate_when_unhealthy
 *     reset        qpos = qpos0 + U(-s, s), qvel = U(-s, s), s = reset_noise_scale
 *
 * healthy_z_range has no upper bound by default: Gymnasium's (0.7, inf) is written [0.7] here,
 * because parameters are finite numbers. The control cost is summed in double from the float
 * action. State for resume: qpos, qvel, act, time, qacc_warmstart (mj_common.h).
 *
 * Left out: Gymnasium's info dict (x_position, x_velocity) and its camera presets. render_text
 * prints one line; render_rgb draws through MuJoCo's renderer (mj_render.c).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "mj_common.h"

#include "hopper_xml.h" /* generated from models/hopper.xml: ppo_mj_xml */

#define HOPPER_FRAME_SKIP 4
#define HOPPER_VELOCITY_CLIP 10.0

/* One Hopper instance. */
typedef struct hopper {
    ppo_mj_env_t env;              /* model, data, spaces (first member) */
    double forward_reward_weight;  /* weight of the forward velocity */
    double ctrl_cost_weight;       /* weight of the sum of squared actions */
    double healthy_reward;         /* paid per step while healthy (or always, see header) */
    bool terminate_when_unhealthy; /* end the episode when unhealthy */
    double state_range[2];         /* healthy_state_range (open interval) */
    double z_range[2];             /* healthy_z_range (open interval) */
    double angle_range[2];         /* healthy_angle_range (open interval) */
    double reset_noise_scale;      /* half-width of the uniform reset noise */
    bool exclude_x;                /* leave qpos[0] out of the observation */
} hopper_t;

static ppo_mj_model_t hopper_model = PPO_MJ_MODEL_INIT("hopper", ppo_mj_xml);

static const ppo_param_spec_t hopper_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "forward_reward_weight",
        .default_value = "1.0",
        .doc = "weight of the forward velocity (m/s) in the reward",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_DOUBLE,
        .name = "ctrl_cost_weight",
        .default_value = "0.001",
        .min = 0.0,
        .doc = "weight of the control cost, the sum of squared actions",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "healthy_reward",
        .default_value = "1.0",
        .doc = "reward per step for staying healthy (paid on every step while "
               "terminate_when_unhealthy is true)",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "terminate_when_unhealthy",
        .default_value = "true",
        .doc = "end the episode as soon as the hopper is unhealthy",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE_LIST,
        .name = "healthy_state_range",
        .default_value = "[-100.0, 100.0]",
        .doc = "[low, high]: open interval for qpos[2:] and every qvel to stay healthy",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE_LIST,
        .name = "healthy_z_range",
        .default_value = "[0.7]",
        .doc = "[low, high] or [low] (no upper bound): open interval for the torso height",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE_LIST,
        .name = "healthy_angle_range",
        .default_value = "[-0.2, 0.2]",
        .doc = "[low, high]: open interval for the torso angle in radians",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_DOUBLE,
        .name = "reset_noise_scale",
        .default_value = "0.005",
        .min = 0.0,
        .doc = "reset noise: U(-scale, scale) added to every position and velocity",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "exclude_current_positions_from_observation",
        .default_value = "true",
        .doc = "leave the x position out of the observation (11 numbers instead of 12)",
    },
};

static double clip(double v, double low, double high)
{
    return v < low ? low : v > high ? high : v;
}

/* Write the observation of the current state to obs_out (obs_dim floats). */
static void hopper_observe(const void *inst, float *obs_out)
{
    const hopper_t *h = inst;
    const mjModel *m = h->env.m;
    const mjData *d = h->env.d;
    uint32_t k = 0;
    for (int i = h->exclude_x ? 1 : 0; i < m->nq; i++)
        obs_out[k++] = (float)d->qpos[i];
    for (int i = 0; i < m->nv; i++)
        obs_out[k++] = (float)clip(d->qvel[i], -HOPPER_VELOCITY_CLIP, HOPPER_VELOCITY_CLIP);
}

/* Gymnasium's is_healthy, on the current state. */
static bool hopper_is_healthy(const hopper_t *h)
{
    const mjModel *m = h->env.m;
    const mjData *d = h->env.d;
    const double z = d->qpos[1];
    const double angle = d->qpos[2];
    for (int i = 2; i < m->nq; i++)
        if (!(h->state_range[0] < d->qpos[i] && d->qpos[i] < h->state_range[1]))
            return false;
    for (int i = 0; i < m->nv; i++)
        if (!(h->state_range[0] < d->qvel[i] && d->qvel[i] < h->state_range[1]))
            return false;
    return h->z_range[0] < z && z < h->z_range[1] && h->angle_range[0] < angle &&
           angle < h->angle_range[1];
}

/* Read and check the parameters and set up the simulation; free with ppo_mj_vt_destroy. */
static void *hopper_create(const ppo_host_t *host, const ppo_params_t *params)
{
    hopper_t *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        host->error(host, "hopper: out of memory for an instance");
        return NULL;
    }
    h->forward_reward_weight = ppo_params_get_double(params, "forward_reward_weight");
    h->ctrl_cost_weight = ppo_params_get_double(params, "ctrl_cost_weight");
    h->healthy_reward = ppo_params_get_double(params, "healthy_reward");
    h->terminate_when_unhealthy = ppo_params_get_bool(params, "terminate_when_unhealthy");
    h->reset_noise_scale = ppo_params_get_double(params, "reset_noise_scale");
    h->exclude_x = ppo_params_get_bool(params, "exclude_current_positions_from_observation");
    if (ppo_mj_range_param(host, params, "healthy_state_range", 2, h->state_range) < 0)
        goto out_free;
    if (ppo_mj_range_param(host, params, "healthy_z_range", 1, h->z_range) < 0)
        goto out_free;
    if (ppo_mj_range_param(host, params, "healthy_angle_range", 2, h->angle_range) < 0)
        goto out_free;
    const uint32_t obs_dim = h->exclude_x ? 11 : 12;
    if (ppo_mj_env_init(&h->env, host, &hopper_model, HOPPER_FRAME_SKIP, obs_dim, false,
                        hopper_observe) < 0)
        goto out_free;
    return h;

out_free:
    free(h);
    return NULL;
}

static int hopper_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    const hopper_t *h = inst;
    ppo_mj_spaces(&h->env, obs_space, act_space);
    return 0;
}

static int hopper_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    hopper_t *h = inst;
    const mjModel *m = h->env.m;
    mjData *d = h->env.d;
    const double s = h->reset_noise_scale;

    /* uniform noise on every position, then on every velocity */
    ppo_mj_reset_data(&h->env);
    for (int i = 0; i < m->nq; i++)
        d->qpos[i] = m->qpos0[i] + ppo_rng_uniform_range(rng, -s, s);
    for (int i = 0; i < m->nv; i++)
        d->qvel[i] = 0.0 + ppo_rng_uniform_range(rng, -s, s);
    if (ppo_mj_forward(&h->env) < 0)
        return -1;
    hopper_observe(h, obs_out);
    return 0;
}

static int hopper_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                       double *reward_out, int *terminated_out)
{
    hopper_t *h = inst;
    const mjData *d = h->env.d;
    if (ppo_mj_require_state(&h->env) < 0)
        return -1;

    /* simulate, then reward the x displacement and staying healthy, minus the control cost */
    const double x_before = d->qpos[0];
    if (ppo_mj_simulate(&h->env, action) < 0)
        return -1;
    const double x_after = d->qpos[0];
    const double x_velocity = (x_after - x_before) / h->env.dt;
    const double ctrl_cost = h->ctrl_cost_weight * ppo_mj_sum_squares(action, h->env.m->nu);
    const double forward_reward = h->forward_reward_weight * x_velocity;
    const bool healthy = hopper_is_healthy(h);
    const double healthy_reward =
        (healthy || h->terminate_when_unhealthy ? 1.0 : 0.0) * h->healthy_reward;

    hopper_observe(h, obs_out);
    *reward_out = (forward_reward + healthy_reward) - ctrl_cost;
    *terminated_out = h->terminate_when_unhealthy && !healthy ? 1 : 0;
    return 0;
}

static int hopper_render_text(void *inst, FILE *out)
{
    const hopper_t *h = inst;
    const mjData *d = h->env.d;
    char coords[160];
    snprintf(coords, sizeof(coords), "x=%+.3f z=%.3f angle=%+.3f vx=%+.3f %s", d->qpos[0],
             d->qpos[1], d->qpos[2], d->qvel[0], hopper_is_healthy(h) ? "healthy" : "unhealthy");
    return ppo_mj_render_line(&h->env, out, coords);
}

static const ppo_env_vtable_t hopper_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 1000,
    .create = hopper_create,
    .destroy = ppo_mj_vt_destroy,
    .spaces = hopper_spaces,
    .reset = hopper_reset,
    .step = hopper_step,
    .state_size = ppo_mj_vt_state_size,
    .get_state = ppo_mj_vt_get_state,
    .set_state = ppo_mj_vt_set_state,
    .render_text = hopper_render_text,
    .render_size = ppo_mj_vt_render_size,
    .render_rgb = ppo_mj_vt_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "hopper", "1.0.0", "Gymnasium Hopper-v4 (MuJoCo)", hopper_params,
                  PPO_ARRAY_LEN(hopper_params), &hopper_vtable)
