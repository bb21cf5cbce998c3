/* ppofw env plugin "ant" — Gymnasium's Ant-v4 on MuJoCo 2.2.2.
 *
 * A four-legged ant (models/ant.xml: a free joint and 8 hinges, 8 motors, RK4 at 0.01 s) is
 * rewarded for walking in +x without flipping or jumping. One step holds the action as ctrl for
 * 5 MuJoCo steps (dt = 0.05 s). Action order: hip_4, ankle_4, hip_1, ankle_1, hip_2, ankle_2,
 * hip_3, ankle_3.
 *
 *     observation  qpos[2:15] (torso z, torso quaternion, 8 hinge angles), then qvel[0:14],
 *                  unclipped: 27 numbers (29 with qpos[0:2] when
 *                  exclude_current_positions_from_observation is false), then with
 *                  use_contact_forces the 14 x 6 entries of cfrc_ext clipped to
 *                  contact_force_range, row-major by body id (world body included)
 *     healthy      qpos and qvel finite and healthy_z_range[0] <= qpos[2] <= healthy_z_range[1]
 *                  (closed interval, unlike hopper and walker2d)
 *     reward       (x_after - x_before) / dt + healthy_reward * (healthy or
 *                  terminate_when_unhealthy) - ctrl_cost_weight * sum(action^2)
 *                  [- contact_cost_weight * sum(clipped cfrc_ext^2) with use_contact_forces]
 *     terminated   not healthy, when terminate_when_unhealthy
 *     reset        qpos = qpos0 + U(-s, s) on all 15 entries (the quaternion too, not
 *                  renormalized), qvel = s * N(0, 1), s = reset_noise_scale
 *
 * x is the torso's body-frame origin as MuJoCo last computed it (data.xpos, what Gymnasium's
 * get_body_com reads). After mj_step that is the position of the last kinematics pass, which
 * for RK4 is an intermediate stage of the last substep, not qpos[0]; the two differ by about
 * 1e-4 m. To resume such a step exactly, the state carries that x after the simulator state:
 * qpos, qvel, act, time, qacc_warmstart (mj_common.h), x, and with use_contact_forces the 84
 * raw cfrc_ext values the last observation was made from. mj_rnePostConstraint runs after each
 * step only when use_contact_forces is on; nothing else reads its results.
 *
 * Left out: Gymnasium's info dict (positions, velocities, distance_from_origin, reward terms;
 * also its quirk of overwriting info["reward_ctrl"] with the contact cost), the xml_file option
 * (the model is embedded) and Gymnasium's camera presets. render_text prints one line;
 * render_rgb draws through MuJoCo's renderer (mj_render.c).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mj_common.h"

#include "ant_xml.h" /* generated from models/ant.xml: ppo_mj_xml */

#define ANT_FRAME_SKIP 5
#define ANT_NQ 15
#define ANT_NV 14
#define ANT_NBODY 14
#define ANT_N_CONTACT (ANT_NBODY * 6)

/* One Ant instance. */
typedef struct ant {
    ppo_mj_env_t env;              /* model, data, spaces (first member) */
    double ctrl_cost_weight;       /* weight of the sum of squared actions */
    bool use_contact_forces;       /* observe and penalize the external contact forces */
    double contact_cost_weight;    /* weight of the sum of squared clipped forces */
    double healthy_reward;         /* paid per step while healthy (or always, see header) */
    bool terminate_when_unhealthy; /* end the episode when unhealthy */
    double z_range[2];             /* healthy_z_range (closed interval) */
    double force_range[2];         /* contact_force_range: clip of each cfrc_ext entry */
    double reset_noise_scale;      /* half-width of the qpos noise, std of the qvel noise */
    bool exclude_xy;               /* leave qpos[0:2] out of the observation */
    int torso;                     /* body id of the torso */
    double x_torso;                /* torso x from data.xpos at the end of the last step */
} ant_t;

static ppo_mj_model_t ant_model = PPO_MJ_MODEL_INIT("ant", ppo_mj_xml);

static const ppo_param_spec_t ant_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_DOUBLE,
        .name = "ctrl_cost_weight",
        .default_value = "0.5",
        .min = 0.0,
        .doc = "weight of the control cost, the sum of squared actions",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "use_contact_forces",
        .default_value = "false",
        .doc = "add the clipped external contact forces (84 numbers) to the observation and "
               "their squared sum to the cost",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_DOUBLE,
        .name = "contact_cost_weight",
        .default_value = "0.0005",
        .min = 0.0,
        .doc = "weight of the contact cost (only with use_contact_forces)",
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
        .doc = "end the episode as soon as the ant is unhealthy",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE_LIST,
        .name = "healthy_z_range",
        .default_value = "[0.2, 1.0]",
        .doc = "[low, high] or [low] (no upper bound): closed interval for the torso height",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE_LIST,
        .name = "contact_force_range",
        .default_value = "[-1.0, 1.0]",
        .doc = "[low, high]: each contact force entry is clipped to this range",
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
        .doc = "leave the x and y position out of the observation (2 numbers fewer)",
    },
};

static double clip(double v, double low, double high)
{
    return v < low ? low : v > high ? high : v;
}

/* Write the observation of the current state to obs_out (obs_dim floats). */
static void ant_observe(const void *inst, float *obs_out)
{
    const ant_t *a = inst;
    const mjModel *m = a->env.m;
    const mjData *d = a->env.d;
    uint32_t k = 0;
    for (int i = a->exclude_xy ? 2 : 0; i < m->nq; i++)
        obs_out[k++] = (float)d->qpos[i];
    for (int i = 0; i < m->nv; i++)
        obs_out[k++] = (float)d->qvel[i];
    if (a->use_contact_forces)
        for (int i = 0; i < ANT_N_CONTACT; i++)
            obs_out[k++] = (float)clip(d->cfrc_ext[i], a->force_range[0], a->force_range[1]);
}

/* Gymnasium's is_healthy, on the current state. */
static bool ant_is_healthy(const ant_t *a)
{
    const mjModel *m = a->env.m;
    const mjData *d = a->env.d;
    for (int i = 0; i < m->nq; i++)
        if (!isfinite(d->qpos[i]))
            return false;
    for (int i = 0; i < m->nv; i++)
        if (!isfinite(d->qvel[i]))
            return false;
    return a->z_range[0] <= d->qpos[2] && d->qpos[2] <= a->z_range[1];
}

/* Sum of squares of the clipped contact forces. */
static double ant_contact_squares(const ant_t *a)
{
    double sum = 0.0;
    for (int i = 0; i < ANT_N_CONTACT; i++) {
        const double f = clip(a->env.d->cfrc_ext[i], a->force_range[0], a->force_range[1]);
        sum += f * f;
    }
    return sum;
}

/* Read and check the parameters and set up the simulation; free with ppo_mj_vt_destroy. */
static void *ant_create(const ppo_host_t *host, const ppo_params_t *params)
{
    ant_t *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        host->error(host, "ant: out of memory for an instance");
        return NULL;
    }
    a->ctrl_cost_weight = ppo_params_get_double(params, "ctrl_cost_weight");
    a->use_contact_forces = ppo_params_get_bool(params, "use_contact_forces");
    a->contact_cost_weight = ppo_params_get_double(params, "contact_cost_weight");
    a->healthy_reward = ppo_params_get_double(params, "healthy_reward");
    a->terminate_when_unhealthy = ppo_params_get_bool(params, "terminate_when_unhealthy");
    a->reset_noise_scale = ppo_params_get_double(params, "reset_noise_scale");
    a->exclude_xy = ppo_params_get_bool(params, "exclude_current_positions_from_observation");
    if (ppo_mj_range_param(host, params, "healthy_z_range", 1, a->z_range) < 0)
        goto out_free;
    if (ppo_mj_range_param(host, params, "contact_force_range", 2, a->force_range) < 0)
        goto out_free;
    const uint32_t obs_dim = (a->exclude_xy ? ANT_NQ - 2 : ANT_NQ) + ANT_NV +
                             (a->use_contact_forces ? ANT_N_CONTACT : 0);
    const bool post_constraint = a->use_contact_forces; /* cfrc_ext is read only then */
    if (ppo_mj_env_init(&a->env, host, &ant_model, ANT_FRAME_SKIP, obs_dim, post_constraint,
                        ant_observe) < 0)
        goto out_free;
    a->torso = mj_name2id(a->env.m, mjOBJ_BODY, "torso");
    if (a->env.m->nq != ANT_NQ || a->env.m->nv != ANT_NV || a->env.m->nbody != ANT_NBODY ||
        a->torso < 0) {
        host->error(host, "ant: the embedded model does not have the Ant's joints and bodies");
        goto out_fini;
    }
    return a;

out_fini:
    ppo_mj_env_fini(&a->env);
out_free:
    free(a);
    return NULL;
}

static int ant_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    const ant_t *a = inst;
    ppo_mj_spaces(&a->env, obs_space, act_space);
    return 0;
}

static int ant_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    ant_t *a = inst;
    const mjModel *m = a->env.m;
    mjData *d = a->env.d;
    const double s = a->reset_noise_scale;

    /* uniform noise on every position, then normal noise on every velocity */
    ppo_mj_reset_data(&a->env);
    for (int i = 0; i < m->nq; i++)
        d->qpos[i] = m->qpos0[i] + ppo_rng_uniform_range(rng, -s, s);
    for (int i = 0; i < m->nv; i++)
        d->qvel[i] = 0.0 + s * ppo_rng_normal(rng);
    if (ppo_mj_forward(&a->env) < 0)
        return -1;
    a->x_torso = d->xpos[3 * a->torso];
    ant_observe(a, obs_out);
    return 0;
}

static int ant_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                    double *reward_out, int *terminated_out)
{
    ant_t *a = inst;
    const mjData *d = a->env.d;
    if (ppo_mj_require_state(&a->env) < 0)
        return -1;

    /* simulate, then reward the torso's x displacement and staying healthy, minus the costs */
    const double x_before = a->x_torso;
    if (ppo_mj_simulate(&a->env, action) < 0)
        return -1;
    const double x_after = d->xpos[3 * a->torso];
    a->x_torso = x_after;
    const double x_velocity = (x_after - x_before) / a->env.dt;
    const bool healthy = ant_is_healthy(a);
    const double healthy_reward =
        (healthy || a->terminate_when_unhealthy ? 1.0 : 0.0) * a->healthy_reward;
    const double rewards = x_velocity + healthy_reward;
    double costs = a->ctrl_cost_weight * ppo_mj_sum_squares(action, a->env.m->nu);
    if (a->use_contact_forces)
        costs += a->contact_cost_weight * ant_contact_squares(a);

    ant_observe(a, obs_out);
    *reward_out = rewards - costs;
    *terminated_out = a->terminate_when_unhealthy && !healthy ? 1 : 0;
    return 0;
}

/* The simulator state, then x_torso, then (with contact forces) the raw cfrc_ext. */
static size_t ant_state_size(void *inst)
{
    const ant_t *a = inst;
    return ppo_mj_state_size(&a->env) + 1 + (a->use_contact_forces ? ANT_N_CONTACT : 0);
}

static int ant_get_state(void *inst, double *state_out)
{
    const ant_t *a = inst;
    double *extra = state_out + ppo_mj_state_size(&a->env);
    ppo_mj_get_state(&a->env, state_out);
    extra[0] = a->x_torso;
    if (a->use_contact_forces)
        memcpy(extra + 1, a->env.d->cfrc_ext, sizeof(double) * ANT_N_CONTACT);
    return 0;
}

static int ant_set_state(void *inst, const double *state, float *obs_out)
{
    ant_t *a = inst;
    const double *extra = state + ppo_mj_state_size(&a->env);
    if (ppo_mj_set_state(&a->env, state) < 0)
        return -1;
    a->x_torso = extra[0];
    if (a->use_contact_forces)
        memcpy(a->env.d->cfrc_ext, extra + 1, sizeof(double) * ANT_N_CONTACT);
    if (obs_out != NULL)
        ant_observe(a, obs_out);
    return 0;
}

static int ant_render_text(void *inst, FILE *out)
{
    const ant_t *a = inst;
    const mjData *d = a->env.d;
    char coords[160];
    snprintf(coords, sizeof(coords), "x=%+.3f y=%+.3f z=%.3f vx=%+.3f vy=%+.3f %s", d->qpos[0],
             d->qpos[1], d->qpos[2], d->qvel[0], d->qvel[1],
             ant_is_healthy(a) ? "healthy" : "unhealthy");
    return ppo_mj_render_line(&a->env, out, coords);
}

static const ppo_env_vtable_t ant_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 1000,
    .create = ant_create,
    .destroy = ppo_mj_vt_destroy,
    .spaces = ant_spaces,
    .reset = ant_reset,
    .step = ant_step,
    .state_size = ant_state_size,
    .get_state = ant_get_state,
    .set_state = ant_set_state,
    .render_text = ant_render_text,
    .render_size = ppo_mj_vt_render_size,
    .render_rgb = ppo_mj_vt_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "ant", "1.0.0", "Gymnasium Ant-v4 (MuJoCo)", ant_params,
                  PPO_ARRAY_LEN(ant_params), &ant_vtable)
