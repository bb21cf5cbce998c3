/* ppofw env plugin "half_cheetah" — Gymnasium's HalfCheetah-v4 on MuJoCo 2.2.2.
 *
 * A planar cheetah (models/half_cheetah.xml: 9 joints, 6 motors, Euler at 0.01 s) is rewarded
 * for running forward. One step holds the action as ctrl for 5 MuJoCo steps (dt = 0.05 s).
 *
 *     observation  qpos[1:9] (rootz, rooty, six joint angles), then qvel[0:9]: 17 numbers,
 *                  or 18 with qpos[0] first when exclude_current_positions_from_observation
 *                  is false; velocities are not clipped
 *     reward       forward_reward_weight * (x_after - x_before) / dt
 *                  - ctrl_cost_weight * sum(action^2),   x = qpos[0]
 *     terminated   never (the core's time limit of 1000 steps ends every episode)
 *     reset        qpos = qpos0 + U(-s, s), qvel = s * N(0, 1), s = reset_noise_scale
 *
 * The control cost is summed in double from the float action. State for resume: qpos, qvel,
 * act, time, qacc_warmstart (mj_common.h).
 *
 * Left out: Gymnasium's info dict (x_position, x_velocity, reward_run, reward_ctrl) and its
 * camera presets. render_text prints one line; render_rgb draws through MuJoCo's renderer
 * (mj_render.c).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "mj_common.h"

#include "half_cheetah_xml.h" /* generated from models/half_cheetah.xml: ppo_mj_xml */

#define HALF_CHEETAH_FRAME_SKIP 5

/* One HalfCheetah instance. */
typedef struct half_cheetah {
    ppo_mj_env_t env;             /* model, data, spaces (first member) */
    double forward_reward_weight; /* weight of the forward velocity */
    double ctrl_cost_weight;      /* weight of the sum of squared actions */
    double reset_noise_scale;     /* half-width of the qpos noise, std of the qvel noise */
    bool exclude_x;               /* leave qpos[0] out of the observation */
} half_cheetah_t;

static ppo_mj_model_t half_cheetah_model = PPO_MJ_MODEL_INIT("half_cheetah", ppo_mj_xml);

static const ppo_param_spec_t half_cheetah_params[] = {
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
        .default_value = "0.1",
        .min = 0.0,
        .doc = "weight of the control cost, the sum of squared actions",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_DOUBLE,
        .name = "reset_noise_scale",
        .default_value = "0.1",
        .min = 0.0,
        .doc = "reset noise: qpos0 + U(-scale, scale) on positions, scale * N(0, 1) on "
               "velocities",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "exclude_current_positions_from_observation",
        .default_value = "true",
        .doc = "leave the x position out of the observation (17 numbers instead of 18)",
    },
};

/* Write the observation of the current state to obs_out (obs_dim floats). */
static void half_cheetah_observe(const void *inst, float *obs_out)
{
    const half_cheetah_t *hc = inst;
    const mjModel *m = hc->env.m;
    const mjData *d = hc->env.d;
    uint32_t k = 0;
    for (int i = hc->exclude_x ? 1 : 0; i < m->nq; i++)
        obs_out[k++] = (float)d->qpos[i];
    for (int i = 0; i < m->nv; i++)
        obs_out[k++] = (float)d->qvel[i];
}

/* Read the parameters and set up the simulation; free with ppo_mj_vt_destroy. */
static void *half_cheetah_create(const ppo_host_t *host, const ppo_params_t *params)
{
    half_cheetah_t *hc = calloc(1, sizeof(*hc));
    if (hc == NULL) {
        host->error(host, "half_cheetah: out of memory for an instance");
        return NULL;
    }
    hc->forward_reward_weight = ppo_params_get_double(params, "forward_reward_weight");
    hc->ctrl_cost_weight = ppo_params_get_double(params, "ctrl_cost_weight");
    hc->reset_noise_scale = ppo_params_get_double(params, "reset_noise_scale");
    hc->exclude_x = ppo_params_get_bool(params, "exclude_current_positions_from_observation");
    const uint32_t obs_dim = hc->exclude_x ? 17 : 18;
    if (ppo_mj_env_init(&hc->env, host, &half_cheetah_model, HALF_CHEETAH_FRAME_SKIP, obs_dim,
                        false, half_cheetah_observe) < 0) {
        free(hc);
        return NULL;
    }
    return hc;
}

static int half_cheetah_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    const half_cheetah_t *hc = inst;
    ppo_mj_spaces(&hc->env, obs_space, act_space);
    return 0;
}

static int half_cheetah_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    half_cheetah_t *hc = inst;
    const mjModel *m = hc->env.m;
    mjData *d = hc->env.d;
    const double s = hc->reset_noise_scale;

    /* uniform noise on every position, then normal noise on every velocity */
    ppo_mj_reset_data(&hc->env);
    for (int i = 0; i < m->nq; i++)
        d->qpos[i] = m->qpos0[i] + ppo_rng_uniform_range(rng, -s, s);
    for (int i = 0; i < m->nv; i++)
        d->qvel[i] = 0.0 + s * ppo_rng_normal(rng);
    if (ppo_mj_forward(&hc->env) < 0)
        return -1;
    half_cheetah_observe(hc, obs_out);
    return 0;
}

static int half_cheetah_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                             double *reward_out, int *terminated_out)
{
    half_cheetah_t *hc = inst;
    const mjData *d = hc->env.d;
    if (ppo_mj_require_state(&hc->env) < 0)
        return -1;

    /* simulate, then reward the x displacement over the whole step */
    const double x_before = d->qpos[0];
    if (ppo_mj_simulate(&hc->env, action) < 0)
        return -1;
    const double x_after = d->qpos[0];
    const double x_velocity = (x_after - x_before) / hc->env.dt;
    const double ctrl_cost = hc->ctrl_cost_weight * ppo_mj_sum_squares(action, hc->env.m->nu);
    const double forward_reward = hc->forward_reward_weight * x_velocity;

    half_cheetah_observe(hc, obs_out);
    *reward_out = forward_reward - ctrl_cost;
    *terminated_out = 0;
    return 0;
}

static int half_cheetah_render_text(void *inst, FILE *out)
{
    const half_cheetah_t *hc = inst;
    const mjData *d = hc->env.d;
    char coords[160];
    snprintf(coords, sizeof(coords), "x=%+.3f torso_z=%.3f pitch=%+.3f vx=%+.3f", d->qpos[0],
             d->xpos[3 * 1 + 2], d->qpos[2], d->qvel[0]);
    return ppo_mj_render_line(&hc->env, out, coords);
}

static const ppo_env_vtable_t half_cheetah_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 1000,
    .create = half_cheetah_create,
    .destroy = ppo_mj_vt_destroy,
    .spaces = half_cheetah_spaces,
    .reset = half_cheetah_reset,
    .step = half_cheetah_step,
    .state_size = ppo_mj_vt_state_size,
    .get_state = ppo_mj_vt_get_state,
    .set_state = ppo_mj_vt_set_state,
    .render_text = half_cheetah_render_text,
    .render_size = ppo_mj_vt_render_size,
    .render_rgb = ppo_mj_vt_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "half_cheetah", "1.0.0", "Gymnasium HalfCheetah-v4 (MuJoCo)",
                  half_cheetah_params, PPO_ARRAY_LEN(half_cheetah_params), &half_cheetah_vtable)
