/* ppofw env plugin "walker2d" — Gymnasium's Walker2d-v4 on MuJoCo 2.2.2.
 *
 * A planar biped (models/walker2d.xml: 9 joints, 6 motors, RK4 at 0.002 s; the right foot has
 * friction 0.9, the left 1.9, as in the v4 model) is rewarded for walking forward without
 * falling. One step holds the action as ctrl for 4 MuJoCo steps (dt = 0.008 s).
 *
 *     observation  qpos[1:9] (torso height, torso angle, six joint angles), then
 *                  clip(qvel[0:9], -10, 10): 17 numbers, or 18 with qpos[0] first when
 *                  exclude_current_positions_from_observation is false
 *     healthy      z = qpos[1] strictly inside healthy_z_range and angle = qpos[2] strictly
 *                  inside healthy_angle_range (checked after the step; no state-range check)
 *     reward       forward_reward_weight * (x_after - x_before) / dt
 *                  + healthy_reward * (healthy or terminate_when_unhealthy)
 *                  - ctrl_cost_weight * sum(action^2),   x = qpos[0]
 *     terminated   not healthy, when terminate_when_unhealthy
 *     reset        qpos = qpos0 + U(-s, s), qvel = U(-s, s), s = reset_noise_scale
 *
 * The control cost is summed in double from the float action. State for resume: qpos, qvel,
 * act, time, qacc_warmstart (mj_common.h).
 *
 * Left out: Gymnasium's info dict (x_position, x_velocity) and its camera presets. render_text
 * prints one line; render_rgb draws through MuJoCo's renderer (mj_render.c).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "mj_common.h"

#include "walker2d_xml.h" /* generated from models/walker2d.xml: ppo_mj_xml */

#define WALKER2D_FRAME_SKIP 4
#define WALKER2D_VELOCITY_CLIP 10.0

/* One Walker2d instance. */
typedef struct walker2d {
    ppo_mj_env_t env;              /* model, data, spaces (first member) */
    double forward_reward_weight;  /* weight of the forward velocity */
    double ctrl_cost_weight;       /* weight of the sum of squared actions */
    double healthy_reward;         /* paid per step while healthy (or always, see header) */
    bool terminate_when_unhealthy; /* end the episode when unhealthy */
    double z_range[2];             /* healthy_z_range (open interval) */
    double angle_range[2];         /* healthy_angle_range (open interval) */
    double reset_noise_scale;      /* half-width of the uniform reset noise */
    bool exclude_x;                /* leave qpos[0] out of the observation */
} walker2d_t;

static ppo_mj_model_t walker2d_model = PPO_MJ_MODEL_INIT("walker2d", ppo_mj_xml);

static const ppo_param_spec_t walker2d_params[] = {
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
        .doc = "end the episode as soon as the walker is unhealthy",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE_LIST,
        .name = "healthy_z_range",
        .default_value = "[0.8, 2.0]",
        .doc = "[low, high] or [low] (no upper bound): open interval for the torso height",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE_LIST,
        .name = "healthy_angle_range",
        .default_value = "[-1.0, 1.0]",
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
        .doc = "leave the x position out of the observation (17 numbers instead of 18)",
    },
};

static double clip(double v, double low, double high)
{
    return v < low ? low : v > high ? high : v;
}

/* Write the observation of the current state to obs_out (obs_dim floats). */
static void walker2d_observe(const void *inst, float *obs_out)
{
    const walker2d_t *w = inst;
    const mjModel *m = w->env.m;
    const mjData *d = w->env.d;
    uint32_t k = 0;
    for (int i = w->exclude_x ? 1 : 0; i < m->nq; i++)
        obs_out[k++] = (float)d->qpos[i];
    for (int i = 0; i < m->nv; i++)
        obs_out[k++] = (float)clip(d->qvel[i], -WALKER2D_VELOCITY_CLIP, WALKER2D_VELOCITY_CLIP);
}

/* Gymnasium's is_healthy, on the current state. */
static bool walker2d_is_healthy(const walker2d_t *w)
{
    const mjData *d = w->env.d;
    const double z = d->qpos[1];
    const double angle = d->qpos[2];
    return w->z_range[0] < z && z < w->z_range[1] && w->angle_range[0] < angle &&
           angle < w->angle_range[1];
}

/* Read and check the parameters and set up the simulation; free with ppo_mj_vt_destroy. */
static void *walker2d_create(const ppo_host_t *host, const ppo_params_t *params)
{
    walker2d_t *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        host->error(host, "walker2d: out of memory for an instance");
        return NULL;
    }
    w->forward_reward_weight = ppo_params_get_double(params, "forward_reward_weight");
    w->ctrl_cost_weight = ppo_params_get_double(params, "ctrl_cost_weight");
    w->healthy_reward = ppo_params_get_double(params, "healthy_reward");
    w->terminate_when_unhealthy = ppo_params_get_bool(params, "terminate_when_unhealthy");
    w->reset_noise_scale = ppo_params_get_double(params, "reset_noise_scale");
    w->exclude_x = ppo_params_get_bool(params, "exclude_current_positions_from_observation");
    if (ppo_mj_range_param(host, params, "healthy_z_range", 1, w->z_range) < 0)
        goto out_free;
    if (ppo_mj_range_param(host, params, "healthy_angle_range", 2, w->angle_range) < 0)
        goto out_free;
    const uint32_t obs_dim = w->exclude_x ? 17 : 18;
    if (ppo_mj_env_init(&w->env, host, &walker2d_model, WALKER2D_FRAME_SKIP, obs_dim, false,
                        walker2d_observe) < 0)
        goto out_free;
    return w;

out_free:
    free(w);
    return NULL;
}

static int walker2d_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    const walker2d_t *w = inst;
    ppo_mj_spaces(&w->env, obs_space, act_space);
    return 0;
}

static int walker2d_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    walker2d_t *w = inst;
    const mjModel *m = w->env.m;
    mjData *d = w->env.d;
    const double s = w->reset_noise_scale;

    /* uniform noise on every position, then on every velocity */
    ppo_mj_reset_data(&w->env);
    for (int i = 0; i < m->nq; i++)
        d->qpos[i] = m->qpos0[i] + ppo_rng_uniform_range(rng, -s, s);
    for (int i = 0; i < m->nv; i++)
        d->qvel[i] = 0.0 + ppo_rng_uniform_range(rng, -s, s);
    if (ppo_mj_forward(&w->env) < 0)
        return -1;
    walker2d_observe(w, obs_out);
    return 0;
}

static int walker2d_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                         double *reward_out, int *terminated_out)
{
    walker2d_t *w = inst;
    const mjData *d = w->env.d;
    if (ppo_mj_require_state(&w->env) < 0)
        return -1;

    /* simulate, then reward the x displacement and staying healthy, minus the control cost */
    const double x_before = d->qpos[0];
    if (ppo_mj_simulate(&w->env, action) < 0)
        return -1;
    const double x_after = d->qpos[0];
    const double x_velocity = (x_after - x_before) / w->env.dt;
    const double ctrl_cost = w->ctrl_cost_weight * ppo_mj_sum_squares(action, w->env.m->nu);
    const double forward_reward = w->forward_reward_weight * x_velocity;
    const bool healthy = walker2d_is_healthy(w);
    const double healthy_reward =
        (healthy || w->terminate_when_unhealthy ? 1.0 : 0.0) * w->healthy_reward;

    walker2d_observe(w, obs_out);
    *reward_out = (forward_reward + healthy_reward) - ctrl_cost;
    *terminated_out = w->terminate_when_unhealthy && !healthy ? 1 : 0;
    return 0;
}

static int walker2d_render_text(void *inst, FILE *out)
{
    const walker2d_t *w = inst;
    const mjData *d = w->env.d;
    char coords[160];
    snprintf(coords, sizeof(coords), "x=%+.3f z=%.3f angle=%+.3f vx=%+.3f %s", d->qpos[0],
             d->qpos[1], d->qpos[2], d->qvel[0], walker2d_is_healthy(w) ? "healthy" : "unhealthy");
    return ppo_mj_render_line(&w->env, out, coords);
}

static const ppo_env_vtable_t walker2d_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 1000,
    .create = walker2d_create,
    .destroy = ppo_mj_vt_destroy,
    .spaces = walker2d_spaces,
    .reset = walker2d_reset,
    .step = walker2d_step,
    .state_size = ppo_mj_vt_state_size,
    .get_state = ppo_mj_vt_get_state,
    .set_state = ppo_mj_vt_set_state,
    .render_text = walker2d_render_text,
    .render_size = ppo_mj_vt_render_size,
    .render_rgb = ppo_mj_vt_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "walker2d", "1.0.0", "Gymnasium Walker2d-v4 (MuJoCo)",
                  walker2d_params, PPO_ARRAY_LEN(walker2d_params), &walker2d_vtable)
