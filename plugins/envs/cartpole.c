/* ppofw env plugin "cartpole" — Gymnasium's CartPole-v1, step for step.
 *
 * The state (x, x_dot, theta, theta_dot) is kept in double precision exactly as Gymnasium keeps
 * it; the observation is its float cast. The dynamics are the Florian (2005) equations integrated
 * with explicit Euler at tau = 0.02 s, every expression evaluated in Gymnasium's order so that
 * only the last bits of sin/cos (glibc here, numpy's SIMD routines there) can differ. Action 1
 * pushes with +10 N, action 0 with -10 N. Reward is +1 on every step including the terminating
 * one, or with `sutton_barto_reward` 0 per step and -1 on termination (Gymnasium 1.x option).
 * Stepping on after termination gives Gymnasium's reward for that case (0, or -1) and one
 * warning.
 *
 * Left out: the time limit (the core applies max_episode_steps = 500), custom reset bounds, the
 * semi-implicit integrator option. render_text draws one text line; render_rgb draws the cart
 * and pole at 600x400 as Gymnasium's renderer does.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

#include "cc_draw.h"
#include "mask_velocity.h"

#define CARTPOLE_GRAVITY 9.8
#define CARTPOLE_MASSCART 1.0
#define CARTPOLE_MASSPOLE 0.1
#define CARTPOLE_LENGTH 0.5 /* half the pole's length */
#define CARTPOLE_FORCE_MAG 10.0
#define CARTPOLE_TAU 0.02
#define CARTPOLE_X_THRESHOLD 2.4
#define CARTPOLE_THETA_THRESHOLD (12 * 2 * M_PI / 360)
#define CARTPOLE_N_ACTIONS 2

/* Gymnasium's observation box, declared as float32 and widened here. */
static const double cartpole_obs_high[4] = {
    (double)(float)(CARTPOLE_X_THRESHOLD * 2),
    (double)FLT_MAX,
    (double)(float)(CARTPOLE_THETA_THRESHOLD * 2),
    (double)FLT_MAX,
};
static const double cartpole_obs_low[4] = {
    -(double)(float)(CARTPOLE_X_THRESHOLD * 2),
    -(double)FLT_MAX,
    -(double)(float)(CARTPOLE_THETA_THRESHOLD * 2),
    -(double)FLT_MAX,
};

/* One CartPole instance. */
typedef struct cartpole {
    const ppo_host_t *host;      /* services (borrowed, valid until destroy) */
    double state[4];             /* x, x_dot, theta, theta_dot */
    bool has_state;              /* reset or set_state has run */
    bool sutton_barto_reward;    /* 0 per step, -1 on termination */
    bool mask_velocity;          /* x_dot and theta_dot observed as 0 */
    int steps_beyond_terminated; /* Gymnasium's counter: -1 until a step terminates */
    ppo_cc_canvas_t canvas;      /* made by the first render call */
} cartpole_t;

static const ppo_param_spec_t cartpole_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "sutton_barto_reward",
        .default_value = "false",
        .doc = "reward 0 per step and -1 on termination instead of +1 per step (Gymnasium 1.x)",
    },
    MASK_VELOCITY_PARAM("the cart velocity and the pole's angular velocity (entries 1 and 3)"),
};

static void *cartpole_create(const ppo_host_t *host, const ppo_params_t *params)
{
    cartpole_t *cp = calloc(1, sizeof(*cp));
    if (cp == NULL) {
        host->error(host, "out of memory allocating a CartPole instance");
        return NULL;
    }
    cp->host = host;
    cp->sutton_barto_reward = ppo_params_get_bool(params, "sutton_barto_reward");
    cp->mask_velocity = ppo_params_get_bool(params, "mask_velocity");
    cp->steps_beyond_terminated = -1;
    return cp;
}

static void cartpole_destroy(void *inst)
{
    cartpole_t *cp = inst;
    if (cp != NULL)
        ppo_cc_canvas_fini(&cp->canvas);
    free(cp);
}

static int cartpole_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .n = 0,
        .dim = 4,
        .low = cartpole_obs_low,
        .high = cartpole_obs_high,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_DISCRETE,
        .n = CARTPOLE_N_ACTIONS,
        .dim = 1,
    };
    return 0;
}

static void cartpole_observe(const cartpole_t *cp, float *obs_out)
{
    for (int i = 0; i < 4; i++)
        obs_out[i] = (float)cp->state[i];
    if (cp->mask_velocity)
        obs_out[1] = obs_out[3] = 0.0f;
}

static int cartpole_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    cartpole_t *cp = inst;
    /* each component uniform in [-0.05, 0.05), drawn in order */
    for (int i = 0; i < 4; i++)
        cp->state[i] = ppo_rng_uniform_range(rng, -0.05, 0.05);
    cp->has_state = true;
    cp->steps_beyond_terminated = -1;
    cartpole_observe(cp, obs_out);
    return 0;
}

static int cartpole_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                         double *reward_out, int *terminated_out)
{
    cartpole_t *cp = inst;
    const float a = action[0];
    if (!(a >= 0.0f && a <= (float)(CARTPOLE_N_ACTIONS - 1) && a == (float)(int32_t)a)) {
        cp->host->error(cp->host,
                        "action %g is out of range: expected an integer from 0 to %d "
                        "(Discrete(%d))",
                        (double)a, CARTPOLE_N_ACTIONS - 1, CARTPOLE_N_ACTIONS);
        return -1;
    }
    if (!cp->has_state) {
        cp->host->error(cp->host, "step called before reset");
        return -1;
    }

    const double total_mass = CARTPOLE_MASSPOLE + CARTPOLE_MASSCART;
    const double polemass_length = CARTPOLE_MASSPOLE * CARTPOLE_LENGTH;
    double x = cp->state[0];
    double x_dot = cp->state[1];
    double theta = cp->state[2];
    double theta_dot = cp->state[3];

    /* accelerations from the old state (Florian 2005) */
    const double force =
        PPO_DISCRETE_ACTION(action) == 1 ? CARTPOLE_FORCE_MAG : -CARTPOLE_FORCE_MAG;
    const double costheta = cos(theta);
    const double sintheta = sin(theta);
    const double temp = (force + polemass_length * (theta_dot * theta_dot) * sintheta) / total_mass;
    const double thetaacc =
        (CARTPOLE_GRAVITY * sintheta - costheta * temp) /
        (CARTPOLE_LENGTH * (4.0 / 3.0 - CARTPOLE_MASSPOLE * (costheta * costheta) / total_mass));
    const double xacc = temp - polemass_length * thetaacc * costheta / total_mass;

    /* explicit Euler: every update uses the old values */
    x = x + CARTPOLE_TAU * x_dot;
    x_dot = x_dot + CARTPOLE_TAU * xacc;
    theta = theta + CARTPOLE_TAU * theta_dot;
    theta_dot = theta_dot + CARTPOLE_TAU * thetaacc;
    cp->state[0] = x;
    cp->state[1] = x_dot;
    cp->state[2] = theta;
    cp->state[3] = theta_dot;

    const bool terminated = x < -CARTPOLE_X_THRESHOLD || x > CARTPOLE_X_THRESHOLD ||
                            theta < -CARTPOLE_THETA_THRESHOLD || theta > CARTPOLE_THETA_THRESHOLD;

    /* Gymnasium's reward, including its answer for steps after termination */
    double reward;
    if (!terminated) {
        reward = cp->sutton_barto_reward ? 0.0 : 1.0;
    } else if (cp->steps_beyond_terminated < 0) {
        cp->steps_beyond_terminated = 0;
        reward = cp->sutton_barto_reward ? -1.0 : 1.0;
    } else {
        if (cp->steps_beyond_terminated == 0)
            cp->host->log(cp->host, PPO_LOG_WARNING,
                          "step called after the episode terminated; call reset first "
                          "(further steps are undefined)");
        cp->steps_beyond_terminated++;
        reward = cp->sutton_barto_reward ? -1.0 : 0.0;
    }

    cartpole_observe(cp, obs_out);
    *reward_out = reward;
    *terminated_out = terminated ? 1 : 0;
    return 0;
}

static size_t cartpole_state_size(void *inst)
{
    return 4;
}

static int cartpole_get_state(void *inst, double *state_out)
{
    const cartpole_t *cp = inst;
    for (int i = 0; i < 4; i++)
        state_out[i] = cp->state[i];
    return 0;
}

static int cartpole_set_state(void *inst, const double *state, float *obs_out)
{
    cartpole_t *cp = inst;
    for (int i = 0; i < 4; i++) {
        if (!isfinite(state[i])) {
            cp->host->error(cp->host, "state component %d is %g; a CartPole state is finite", i,
                            state[i]);
            return -1;
        }
    }
    for (int i = 0; i < 4; i++)
        cp->state[i] = state[i];
    cp->has_state = true;
    cp->steps_beyond_terminated = -1;
    if (obs_out != NULL)
        cartpole_observe(cp, obs_out);
    return 0;
}

static int cartpole_render_text(void *inst, FILE *out)
{
    const cartpole_t *cp = inst;
    enum { WIDTH = 49 };
    char track[WIDTH + 1];
    const double x = cp->state[0];
    const double theta = cp->state[2];

    /* the track spans the termination bounds [-2.4, 2.4]; the pole leans with theta */
    for (int i = 0; i < WIDTH; i++)
        track[i] = '-';
    track[WIDTH] = '\0';
    long col = lround((x + CARTPOLE_X_THRESHOLD) / (2 * CARTPOLE_X_THRESHOLD) * (WIDTH - 1));
    if (!(col >= 0))
        col = 0;
    if (col > WIDTH - 1)
        col = WIDTH - 1;
    track[col] = theta > 0.05 ? '/' : theta < -0.05 ? '\\' : '|';
    if (fprintf(out, "[%s]\nx=%+.4f x_dot=%+.4f theta=%+.4f rad (%+.1f deg) theta_dot=%+.4f\n",
                track, x, cp->state[1], theta, theta * 180.0 / M_PI, cp->state[3]) < 0) {
        cp->host->error(cp->host, "cannot write the rendered state");
        return -1;
    }
    return 0;
}

/* Gymnasium's picture: 600x400, the world [-2.4, 2.4] across the width */
#define CARTPOLE_SCREEN_W 600
#define CARTPOLE_SCREEN_H 400

static int cartpole_render_size(void *inst, uint32_t *width_out, uint32_t *height_out)
{
    cartpole_t *cp = inst;
    return ppo_cc_canvas_size(&cp->canvas, cp->host, CARTPOLE_SCREEN_W, CARTPOLE_SCREEN_H,
                              width_out, height_out);
}

static int cartpole_render_rgb(void *inst, uint8_t *rgb_out)
{
    cartpole_t *cp = inst;
    cairo_t *cr = ppo_cc_canvas_begin(&cp->canvas, cp->host, CARTPOLE_SCREEN_W, CARTPOLE_SCREEN_H);
    if (cr == NULL)
        return -1;
    const double scale = CARTPOLE_SCREEN_W / (2 * CARTPOLE_X_THRESHOLD);
    const double polewidth = 10.0, polelen = scale * (2 * CARTPOLE_LENGTH);
    const double cartwidth = 50.0, cartheight = 30.0, axleoffset = cartheight / 4.0;
    const double cartx = cp->state[0] * scale + CARTPOLE_SCREEN_W / 2.0;
    const int carty = 100;

    /* the cart, black, centred on carty */
    const double cart[4][2] = {
        {cartx - cartwidth / 2, carty - cartheight / 2},
        {cartx - cartwidth / 2, carty + cartheight / 2},
        {cartx + cartwidth / 2, carty + cartheight / 2},
        {cartx + cartwidth / 2, carty - cartheight / 2},
    };
    ppo_cc_polygon(cr, cart, 4, 0, 0, 0);

    /* the pole, rotated by -theta about the axle */
    const double l = -polewidth / 2, r = polewidth / 2, t = polelen - polewidth / 2;
    const double b = -polewidth / 2;
    const double corners[4][2] = {{l, b}, {l, t}, {r, t}, {r, b}};
    const double c = cos(-cp->state[2]), s = sin(-cp->state[2]);
    double pole[4][2];
    for (int i = 0; i < 4; i++) {
        pole[i][0] = corners[i][0] * c - corners[i][1] * s + cartx;
        pole[i][1] = corners[i][0] * s + corners[i][1] * c + carty + axleoffset;
    }
    ppo_cc_polygon(cr, pole, 4, 202, 152, 101);

    /* the axle, then the track */
    ppo_cc_disc(cr, (int)cartx, (int)(carty + axleoffset), (int)(polewidth / 2), 129, 132, 203);
    ppo_cc_pixels(cr, 0, carty, CARTPOLE_SCREEN_W, 1, 0, 0, 0);
    return ppo_cc_canvas_end(&cp->canvas, cp->host, rgb_out);
}

static const ppo_env_vtable_t cartpole_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 500,
    .create = cartpole_create,
    .destroy = cartpole_destroy,
    .spaces = cartpole_spaces,
    .reset = cartpole_reset,
    .step = cartpole_step,
    .state_size = cartpole_state_size,
    .get_state = cartpole_get_state,
    .set_state = cartpole_set_state,
    .render_text = cartpole_render_text,
    .render_size = cartpole_render_size,
    .render_rgb = cartpole_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "cartpole", "1.0.0", "Gymnasium CartPole-v1", cartpole_params,
                  PPO_ARRAY_LEN(cartpole_params), &cartpole_vtable)
