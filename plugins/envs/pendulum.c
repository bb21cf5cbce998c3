/* ppofw env plugin "pendulum" — Gymnasium's Pendulum-v1, step for step.
 *
 * Swing a pendulum up and hold it upright. The state (theta, theta_dot) is double precision and
 * theta is never wrapped, as in Gymnasium; a reset draws theta uniform in [-pi, pi) and theta_dot
 * in [-1, 1). The torque u is the action clipped to [-2, 2]. The cost, computed from the state
 * before the update and the clipped u, is angle_normalize(theta)^2 + 0.1 theta_dot^2
 * + 0.001 u^2 with a floored modulo (Python's %), and the reward is its negative. Semi-implicit
 * Euler at dt = 0.05: theta_dot += (3 g / (2 l) sin theta + 3 / (m l^2) u) dt, clipped to +-8,
 * then theta += theta_dot dt with the new velocity. The observation is (cos theta, sin theta,
 * theta_dot) as float32. It never terminates. Parameter: `g`, Gymnasium's constructor option.
 *
 * Left out: the time limit (the core applies max_episode_steps = 200), custom reset bounds, and
 * the torque arrow of Gymnasium's picture (it shows the last action, which is not part of the
 * state a picture is drawn from). render_text draws the angle on a line; render_rgb draws the rod
 * at 500x500 as Gymnasium's renderer does.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

#include "cc_draw.h"
#include "mask_velocity.h"

#define PENDULUM_MAX_SPEED 8.0
#define PENDULUM_MAX_TORQUE 2.0
#define PENDULUM_DT 0.05
#define PENDULUM_M 1.0
#define PENDULUM_L 1.0

/* Gymnasium's observation box, declared as float32 (these values are exact). */
static const double pendulum_obs_high[3] = {1.0, 1.0, PENDULUM_MAX_SPEED};
static const double pendulum_obs_low[3] = {-1.0, -1.0, -PENDULUM_MAX_SPEED};
static const double pendulum_act_low[1] = {-PENDULUM_MAX_TORQUE};
static const double pendulum_act_high[1] = {PENDULUM_MAX_TORQUE};

/* One Pendulum instance. */
typedef struct pendulum {
    const ppo_host_t *host; /* services (borrowed, valid until destroy) */
    double g;               /* gravity */
    bool mask_velocity;     /* theta_dot observed as 0 */
    double state[2];        /* theta (unwrapped), theta_dot */
    bool has_state;         /* reset or set_state has run */
    ppo_cc_canvas_t canvas; /* made by the first render call */
} pendulum_t;

static const ppo_param_spec_t pendulum_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "g",
        .default_value = "10.0",
        .doc = "acceleration of gravity (Gymnasium's Pendulum-v1 default is 10.0)",
    },
    MASK_VELOCITY_PARAM("the angular velocity (entry 2)"),
};

static void *pendulum_create(const ppo_host_t *host, const ppo_params_t *params)
{
    pendulum_t *pd = calloc(1, sizeof(*pd));
    if (pd == NULL) {
        host->error(host, "out of memory allocating a Pendulum instance");
        return NULL;
    }
    pd->host = host;
    pd->g = ppo_params_get_double(params, "g");
    pd->mask_velocity = ppo_params_get_bool(params, "mask_velocity");
    return pd;
}

static void pendulum_destroy(void *inst)
{
    pendulum_t *pd = inst;
    if (pd != NULL)
        ppo_cc_canvas_fini(&pd->canvas);
    free(pd);
}

static int pendulum_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .n = 0,
        .dim = 3,
        .low = pendulum_obs_low,
        .high = pendulum_obs_high,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .n = 0,
        .dim = 1,
        .low = pendulum_act_low,
        .high = pendulum_act_high,
    };
    return 0;
}

static void pendulum_observe(const pendulum_t *pd, float *obs_out)
{
    obs_out[0] = (float)cos(pd->state[0]);
    obs_out[1] = (float)sin(pd->state[0]);
    obs_out[2] = pd->mask_velocity ? 0.0f : (float)pd->state[1];
}

static int pendulum_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    pendulum_t *pd = inst;
    /* theta uniform in [-pi, pi), then theta_dot uniform in [-1, 1) */
    pd->state[0] = ppo_rng_uniform_range(rng, -M_PI, M_PI);
    pd->state[1] = ppo_rng_uniform_range(rng, -1.0, 1.0);
    pd->has_state = true;
    pendulum_observe(pd, obs_out);
    return 0;
}

/* ((x + pi) mod 2 pi) - pi with Python's floored modulo, so the result lies in [-pi, pi). */
static double pendulum_angle_normalize(double x)
{
    const double a = x + M_PI;
    const double b = 2 * M_PI;
    double mod = fmod(a, b);
    if (mod != 0.0) {
        if ((b < 0) != (mod < 0))
            mod += b;
    } else {
        mod = copysign(0.0, b);
    }
    return mod - M_PI;
}

static int pendulum_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                         double *reward_out, int *terminated_out)
{
    pendulum_t *pd = inst;
    if (!pd->has_state) {
        pd->host->error(pd->host, "step called before reset");
        return -1;
    }
    const double th = pd->state[0];
    const double thdot = pd->state[1];
    const double g = pd->g, m = PENDULUM_M, l = PENDULUM_L, dt = PENDULUM_DT;

    /* numpy's clip keeps float32 (a NaN passes through); the arithmetic below is double */
    float uf = action[0];
    if (uf < (float)-PENDULUM_MAX_TORQUE)
        uf = (float)-PENDULUM_MAX_TORQUE;
    if (uf > (float)PENDULUM_MAX_TORQUE)
        uf = (float)PENDULUM_MAX_TORQUE;
    const double u = (double)uf;

    /* the cost of the state before the update and of the clipped torque */
    const double thn = pendulum_angle_normalize(th);
    const double costs = thn * thn + 0.1 * (thdot * thdot) + 0.001 * (u * u);

    /* semi-implicit Euler: the angle moves with the new, clipped velocity */
    double newthdot = thdot + (3 * g / (2 * l) * sin(th) + 3.0 / (m * (l * l)) * u) * dt;
    if (newthdot < -PENDULUM_MAX_SPEED)
        newthdot = -PENDULUM_MAX_SPEED;
    if (newthdot > PENDULUM_MAX_SPEED)
        newthdot = PENDULUM_MAX_SPEED;
    const double newth = th + newthdot * dt;

    pd->state[0] = newth;
    pd->state[1] = newthdot;
    pendulum_observe(pd, obs_out);
    *reward_out = -costs;
    *terminated_out = 0;
    return 0;
}

static size_t pendulum_state_size(void *inst)
{
    return 2;
}

static int pendulum_get_state(void *inst, double *state_out)
{
    const pendulum_t *pd = inst;
    state_out[0] = pd->state[0];
    state_out[1] = pd->state[1];
    return 0;
}

static int pendulum_set_state(void *inst, const double *state, float *obs_out)
{
    pendulum_t *pd = inst;
    for (int i = 0; i < 2; i++) {
        if (!isfinite(state[i])) {
            pd->host->error(pd->host, "state component %d is %g; a Pendulum state is finite", i,
                            state[i]);
            return -1;
        }
    }
    pd->state[0] = state[0];
    pd->state[1] = state[1];
    pd->has_state = true;
    if (obs_out != NULL)
        pendulum_observe(pd, obs_out);
    return 0;
}

static int pendulum_render_text(void *inst, FILE *out)
{
    const pendulum_t *pd = inst;
    enum { WIDTH = 37 };
    char dial[WIDTH + 1];
    const double angle = pendulum_angle_normalize(pd->state[0]);

    /* the angle from -180 to +180 degrees; '^' marks upright (0), 'o' the pendulum */
    for (int i = 0; i < WIDTH; i++)
        dial[i] = '.';
    dial[WIDTH] = '\0';
    dial[WIDTH / 2] = '^';
    long col = lround((angle + M_PI) / (2 * M_PI) * (WIDTH - 1));
    if (!(col >= 0))
        col = 0;
    if (col > WIDTH - 1)
        col = WIDTH - 1;
    dial[col] = 'o';
    if (fprintf(out, "[%s] %+.1f deg from upright\ntheta=%+.4f rad theta_dot=%+.4f rad/s\n", dial,
                angle * 180.0 / M_PI, pd->state[0], pd->state[1]) < 0) {
        pd->host->error(pd->host, "cannot write the rendered state");
        return -1;
    }
    return 0;
}

/* Gymnasium's picture: 500x500, the world [-2.2, 2.2] across it, the pivot in the middle */
#define PENDULUM_SCREEN 500

static int pendulum_render_size(void *inst, uint32_t *width_out, uint32_t *height_out)
{
    pendulum_t *pd = inst;
    return ppo_cc_canvas_size(&pd->canvas, pd->host, PENDULUM_SCREEN, PENDULUM_SCREEN, width_out,
                              height_out);
}

static int pendulum_render_rgb(void *inst, uint8_t *rgb_out)
{
    pendulum_t *pd = inst;
    cairo_t *cr = ppo_cc_canvas_begin(&pd->canvas, pd->host, PENDULUM_SCREEN, PENDULUM_SCREEN);
    if (cr == NULL)
        return -1;
    const double scale = PENDULUM_SCREEN / (2 * 2.2);
    const int offset = PENDULUM_SCREEN / 2;
    const double rod_length = PENDULUM_L * scale, rod_width = 0.2 * scale;
    const double angle = pd->state[0] + M_PI / 2, c = cos(angle), s = sin(angle);

    /* the rod from the pivot, rounded at both ends */
    const double corners[4][2] = {{0, -rod_width / 2},
                                  {0, rod_width / 2},
                                  {rod_length, rod_width / 2},
                                  {rod_length, -rod_width / 2}};
    double rod[4][2];
    for (int i = 0; i < 4; i++) {
        rod[i][0] = corners[i][0] * c - corners[i][1] * s + offset;
        rod[i][1] = corners[i][0] * s + corners[i][1] * c + offset;
    }
    ppo_cc_polygon(cr, rod, 4, 204, 77, 77);
    ppo_cc_disc(cr, offset, offset, (int)(rod_width / 2), 204, 77, 77);
    ppo_cc_disc(cr, (int)(rod_length * c + offset), (int)(rod_length * s + offset),
                (int)(rod_width / 2), 204, 77, 77);

    /* the axle */
    ppo_cc_disc(cr, offset, offset, (int)(0.05 * scale), 0, 0, 0);
    return ppo_cc_canvas_end(&pd->canvas, pd->host, rgb_out);
}

static const ppo_env_vtable_t pendulum_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 200,
    .create = pendulum_create,
    .destroy = pendulum_destroy,
    .spaces = pendulum_spaces,
    .reset = pendulum_reset,
    .step = pendulum_step,
    .state_size = pendulum_state_size,
    .get_state = pendulum_get_state,
    .set_state = pendulum_set_state,
    .render_text = pendulum_render_text,
    .render_size = pendulum_render_size,
    .render_rgb = pendulum_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "pendulum", "1.0.0", "Gymnasium Pendulum-v1", pendulum_params,
                  PPO_ARRAY_LEN(pendulum_params), &pendulum_vtable)
