/* ppofw env plugin "inverted_pendulum" — Gymnasium's InvertedPendulum-v4 on MuJoCo 2.2.2.
 *
 * A cart on a 2 m rail balances a hinged pole (models/inverted_pendulum.xml: a slide and a
 * hinge, one motor with gear 100, RK4 at 0.02 s). One step holds the action, a force command in
 * [-3, 3], as ctrl for 2 MuJoCo steps (dt = 0.04 s).
 *
 *     observation  qpos[0:2] (cart position, pole angle in radians), then qvel[0:2]
 *     reward       1 on every step, the terminating one included
 *     terminated   an observation entry is not finite, or |pole angle| > 0.2
 *     reset        qpos = qpos0 + U(-0.01, 0.01), qvel = U(-0.01, 0.01)
 *
 * The reset noise is fixed, as in v4, so the plugin has no parameters. State for resume: qpos,
 * qvel, act, time, qacc_warmstart (mj_common.h).
 *
 * Left out: Gymnasium's camera presets. render_text prints one line; render_rgb draws through
 * MuJoCo's renderer (mj_render.c).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "mj_common.h"

#include "inverted_pendulum_xml.h" /* generated from models/inverted_pendulum.xml: ppo_mj_xml */

#define INVERTED_PENDULUM_FRAME_SKIP 2
#define INVERTED_PENDULUM_OBS_DIM 4
#define INVERTED_PENDULUM_NOISE 0.01
#define INVERTED_PENDULUM_MAX_ANGLE 0.2

/* One InvertedPendulum instance. */
typedef struct inverted_pendulum {
    ppo_mj_env_t env; /* model, data, spaces (first member) */
} inverted_pendulum_t;

static ppo_mj_model_t inverted_pendulum_model = PPO_MJ_MODEL_INIT("inverted_pendulum", ppo_mj_xml);

/* Write the observation (qpos, qvel) to obs (4 doubles). */
static void inverted_pendulum_observation(const inverted_pendulum_t *ip, double *obs)
{
    const mjData *d = ip->env.d;
    obs[0] = d->qpos[0];
    obs[1] = d->qpos[1];
    obs[2] = d->qvel[0];
    obs[3] = d->qvel[1];
}

static void inverted_pendulum_observe(const void *inst, float *obs_out)
{
    const inverted_pendulum_t *ip = inst;
    double obs[INVERTED_PENDULUM_OBS_DIM];
    inverted_pendulum_observation(ip, obs);
    for (int i = 0; i < INVERTED_PENDULUM_OBS_DIM; i++)
        obs_out[i] = (float)obs[i];
}

/* Set up the simulation; free with ppo_mj_vt_destroy. */
static void *inverted_pendulum_create(const ppo_host_t *host, const ppo_params_t *params)
{
    inverted_pendulum_t *ip = calloc(1, sizeof(*ip));
    if (ip == NULL) {
        host->error(host, "inverted_pendulum: out of memory for an instance");
        return NULL;
    }
    if (ppo_mj_env_init(&ip->env, host, &inverted_pendulum_model, INVERTED_PENDULUM_FRAME_SKIP,
                        INVERTED_PENDULUM_OBS_DIM, false, inverted_pendulum_observe) < 0) {
        free(ip);
        return NULL;
    }
    return ip;
}

static int inverted_pendulum_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    const inverted_pendulum_t *ip = inst;
    ppo_mj_spaces(&ip->env, obs_space, act_space);
    return 0;
}

static int inverted_pendulum_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    inverted_pendulum_t *ip = inst;
    const mjModel *m = ip->env.m;
    mjData *d = ip->env.d;
    const double s = INVERTED_PENDULUM_NOISE;

    /* uniform noise on both positions, then on both velocities */
    ppo_mj_reset_data(&ip->env);
    for (int i = 0; i < m->nq; i++)
        d->qpos[i] = m->qpos0[i] + ppo_rng_uniform_range(rng, -s, s);
    for (int i = 0; i < m->nv; i++)
        d->qvel[i] = 0.0 + ppo_rng_uniform_range(rng, -s, s);
    if (ppo_mj_forward(&ip->env) < 0)
        return -1;
    inverted_pendulum_observe(ip, obs_out);
    return 0;
}

static int inverted_pendulum_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                                  double *reward_out, int *terminated_out)
{
    inverted_pendulum_t *ip = inst;
    if (ppo_mj_require_state(&ip->env) < 0)
        return -1;
    if (ppo_mj_simulate(&ip->env, action) < 0)
        return -1;

    /* the pole must stay within 0.2 rad of upright */
    double obs[INVERTED_PENDULUM_OBS_DIM];
    bool finite = true;
    inverted_pendulum_observation(ip, obs);
    for (int i = 0; i < INVERTED_PENDULUM_OBS_DIM; i++)
        finite = finite && isfinite(obs[i]);
    inverted_pendulum_observe(ip, obs_out);
    *reward_out = 1.0;
    *terminated_out = !finite || fabs(obs[1]) > INVERTED_PENDULUM_MAX_ANGLE ? 1 : 0;
    return 0;
}

static int inverted_pendulum_render_text(void *inst, FILE *out)
{
    const inverted_pendulum_t *ip = inst;
    const mjData *d = ip->env.d;
    char coords[160];
    snprintf(coords, sizeof(coords), "cart=%+.3f pole=%+.3f rad cart_v=%+.3f pole_v=%+.3f",
             d->qpos[0], d->qpos[1], d->qvel[0], d->qvel[1]);
    return ppo_mj_render_line(&ip->env, out, coords);
}

static const ppo_env_vtable_t inverted_pendulum_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 1000,
    .create = inverted_pendulum_create,
    .destroy = ppo_mj_vt_destroy,
    .spaces = inverted_pendulum_spaces,
    .reset = inverted_pendulum_reset,
    .step = inverted_pendulum_step,
    .state_size = ppo_mj_vt_state_size,
    .get_state = ppo_mj_vt_get_state,
    .set_state = ppo_mj_vt_set_state,
    .render_text = inverted_pendulum_render_text,
    .render_size = ppo_mj_vt_render_size,
    .render_rgb = ppo_mj_vt_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "inverted_pendulum", "1.0.0",
                  "Gymnasium InvertedPendulum-v4 (MuJoCo)", NULL, 0, &inverted_pendulum_vtable)
