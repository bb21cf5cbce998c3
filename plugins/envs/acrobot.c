/* ppofw env plugin "acrobot" — Gymnasium's Acrobot-v1, step for step.
 *
 * Two links hang from a fixed joint; the torque acts on the joint between them. The state is
 * (theta1, theta2, dtheta1, dtheta2) in double precision, as in Gymnasium; a reset draws each
 * component uniformly in [-0.1, 0.1) and rounds it to float32, as Gymnasium's reset does. The
 * dynamics are the "book" variant (Sutton & Barto), integrated with one classical RK4 step of
 * 0.2 s over the state augmented with the torque, every expression in Gymnasium's order; then the
 * angles are wrapped into [-pi, pi] by repeated subtraction and the velocities clipped to 4 pi
 * and 9 pi. The episode terminates when the tip rises above the height of one link
 * (-cos theta1 - cos(theta1 + theta2) > 1). Reward -1 per step, 0 on the terminating step.
 *
 * Left out: the time limit (the core applies max_episode_steps = 500), torque noise (zero in
 * Acrobot-v1), the "nips" dynamics variant and custom reset bounds. render_text draws the tip
 * height as a bar; render_rgb draws the two links at 500x500 as Gymnasium's renderer does.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

#include "cc_draw.h"

#define ACROBOT_DT 0.2
#define ACROBOT_MAX_VEL_1 (4 * M_PI)
#define ACROBOT_MAX_VEL_2 (9 * M_PI)
#define ACROBOT_N_ACTIONS 3

/* Gymnasium's observation box (cos, sin of both angles, both velocities), float32 widened. */
static const double acrobot_obs_high[6] = {
    1.0, 1.0, 1.0, 1.0, (double)(float)ACROBOT_MAX_VEL_1, (double)(float)ACROBOT_MAX_VEL_2,
};
static const double acrobot_obs_low[6] = {
    -1.0, -1.0, -1.0, -1.0, -(double)(float)ACROBOT_MAX_VEL_1, -(double)(float)ACROBOT_MAX_VEL_2,
};

/* Torque on the second joint for actions 0, 1, 2. */
static const double acrobot_torque[ACROBOT_N_ACTIONS] = {-1.0, 0.0, 1.0};

/* One Acrobot instance. */
typedef struct acrobot {
    const ppo_host_t *host; /* services (borrowed, valid until destroy) */
    double state[4];        /* theta1, theta2, dtheta1, dtheta2 */
    bool has_state;         /* reset or set_state has run */
    ppo_cc_canvas_t canvas; /* made by the first render call */
} acrobot_t;

static void *acrobot_create(const ppo_host_t *host, const ppo_params_t *params)
{
    acrobot_t *ac = calloc(1, sizeof(*ac));
    if (ac == NULL) {
        host->error(host, "out of memory allocating an Acrobot instance");
        return NULL;
    }
    ac->host = host;
    return ac;
}

static void acrobot_destroy(void *inst)
{
    acrobot_t *ac = inst;
    if (ac != NULL)
        ppo_cc_canvas_fini(&ac->canvas);
    free(ac);
}

static int acrobot_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .n = 0,
        .dim = 6,
        .low = acrobot_obs_low,
        .high = acrobot_obs_high,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_DISCRETE,
        .n = ACROBOT_N_ACTIONS,
        .dim = 1,
    };
    return 0;
}

static void acrobot_observe(const acrobot_t *ac, float *obs_out)
{
    const double *s = ac->state;
    obs_out[0] = (float)cos(s[0]);
    obs_out[1] = (float)sin(s[0]);
    obs_out[2] = (float)cos(s[1]);
    obs_out[3] = (float)sin(s[1]);
    obs_out[4] = (float)s[2];
    obs_out[5] = (float)s[3];
}

static int acrobot_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    acrobot_t *ac = inst;
    /* uniform in [-0.1, 0.1), then stored as float32 values like Gymnasium's reset */
    for (int i = 0; i < 4; i++)
        ac->state[i] = (double)(float)ppo_rng_uniform_range(rng, -0.1, 0.1);
    ac->has_state = true;
    acrobot_observe(ac, obs_out);
    return 0;
}

/* Time derivative of the augmented state y = (theta1, theta2, dtheta1, dtheta2, torque). */
static void acrobot_dsdt(const double y[5], double dy[5])
{
    const double m1 = 1.0, m2 = 1.0;   /* link masses */
    const double l1 = 1.0;             /* length of link 1 */
    const double lc1 = 0.5, lc2 = 0.5; /* positions of the centres of mass */
    const double I1 = 1.0, I2 = 1.0;   /* moments of inertia */
    const double g = 9.8;
    const double a = y[4];
    const double theta1 = y[0];
    const double theta2 = y[1];
    const double dtheta1 = y[2];
    const double dtheta2 = y[3];

    const double d1 =
        m1 * (lc1 * lc1) + m2 * ((l1 * l1) + (lc2 * lc2) + 2 * l1 * lc2 * cos(theta2)) + I1 + I2;
    const double d2 = m2 * ((lc2 * lc2) + l1 * lc2 * cos(theta2)) + I2;
    const double phi2 = m2 * lc2 * g * cos(theta1 + theta2 - M_PI / 2.0);
    const double phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin(theta2) -
                        2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2) +
                        (m1 * lc1 + m2 * l1) * g * cos(theta1 - M_PI / 2) + phi2;
    /* the "book" variant keeps the dtheta1^2 term */
    const double ddtheta2 =
        (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin(theta2) - phi2) /
        (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
    const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;

    dy[0] = dtheta1;
    dy[1] = dtheta2;
    dy[2] = ddtheta1;
    dy[3] = ddtheta2;
    dy[4] = 0.0;
}

/* Wrap into [-pi, pi] by repeated subtraction, as Gymnasium does. Values far outside (which no
 * step of a valid state reaches) are first brought near the interval so the loop ends. */
static double acrobot_wrap(double x)
{
    const double m = -M_PI, M = M_PI;
    const double diff = M - m;
    if (!isfinite(x))
        return x;
    if (fabs(x) > 1024 * M_PI)
        x = fmod(x, diff);
    while (x > M)
        x = x - diff;
    while (x < m)
        x = x + diff;
    return x;
}

/* Python's min(max(x, m), M). */
static double acrobot_bound(double x, double m, double M)
{
    const double lo = m > x ? m : x;
    return M < lo ? M : lo;
}

static bool acrobot_terminal(const double *s)
{
    return -cos(s[0]) - cos(s[1] + s[0]) > 1.0;
}

static int acrobot_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                        double *reward_out, int *terminated_out)
{
    acrobot_t *ac = inst;
    const float a = action[0];
    if (!(a >= 0.0f && a <= (float)(ACROBOT_N_ACTIONS - 1) && a == (float)(int32_t)a)) {
        ac->host->error(ac->host,
                        "action %g is out of range: expected an integer from 0 to %d "
                        "(Discrete(%d))",
                        (double)a, ACROBOT_N_ACTIONS - 1, ACROBOT_N_ACTIONS);
        return -1;
    }
    if (!ac->has_state) {
        ac->host->error(ac->host, "step called before reset");
        return -1;
    }

    /* one RK4 step of dt over the state augmented with the torque */
    const double dt = ACROBOT_DT;
    const double dt2 = dt / 2.0;
    double y0[5], y[5], k1[5], k2[5], k3[5], k4[5];
    for (int i = 0; i < 4; i++)
        y0[i] = ac->state[i];
    y0[4] = acrobot_torque[PPO_DISCRETE_ACTION(action)];
    acrobot_dsdt(y0, k1);
    for (int i = 0; i < 5; i++)
        y[i] = y0[i] + dt2 * k1[i];
    acrobot_dsdt(y, k2);
    for (int i = 0; i < 5; i++)
        y[i] = y0[i] + dt2 * k2[i];
    acrobot_dsdt(y, k3);
    for (int i = 0; i < 5; i++)
        y[i] = y0[i] + dt * k3[i];
    acrobot_dsdt(y, k4);
    const double dt6 = dt / 6.0;
    double ns[4];
    for (int i = 0; i < 4; i++)
        ns[i] = y0[i] + dt6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);

    /* wrap the angles, clip the velocities */
    ac->state[0] = acrobot_wrap(ns[0]);
    ac->state[1] = acrobot_wrap(ns[1]);
    ac->state[2] = acrobot_bound(ns[2], -ACROBOT_MAX_VEL_1, ACROBOT_MAX_VEL_1);
    ac->state[3] = acrobot_bound(ns[3], -ACROBOT_MAX_VEL_2, ACROBOT_MAX_VEL_2);

    const bool terminated = acrobot_terminal(ac->state);
    acrobot_observe(ac, obs_out);
    *reward_out = terminated ? 0.0 : -1.0;
    *terminated_out = terminated ? 1 : 0;
    return 0;
}

static size_t acrobot_state_size(void *inst)
{
    return 4;
}

static int acrobot_get_state(void *inst, double *state_out)
{
    const acrobot_t *ac = inst;
    for (int i = 0; i < 4; i++)
        state_out[i] = ac->state[i];
    return 0;
}

static int acrobot_set_state(void *inst, const double *state, float *obs_out)
{
    acrobot_t *ac = inst;
    for (int i = 0; i < 4; i++) {
        if (!isfinite(state[i])) {
            ac->host->error(ac->host, "state component %d is %g; an Acrobot state is finite", i,
                            state[i]);
            return -1;
        }
    }
    for (int i = 0; i < 4; i++)
        ac->state[i] = state[i];
    ac->has_state = true;
    if (obs_out != NULL)
        acrobot_observe(ac, obs_out);
    return 0;
}

static int acrobot_render_text(void *inst, FILE *out)
{
    const acrobot_t *ac = inst;
    enum { WIDTH = 41 };
    char bar[WIDTH + 1];
    const double *s = ac->state;
    const double height = -cos(s[0]) - cos(s[1] + s[0]);

    /* the tip height on a bar from -2 (hanging) to +2 (upright); '|' marks the goal at +1 */
    const double filled = (height + 2.0) / 4.0 * (WIDTH - 1);
    const int goal = (int)lround(3.0 / 4.0 * (WIDTH - 1));
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i <= filled ? '#' : '.';
    bar[goal] = '|';
    bar[WIDTH] = '\0';
    if (fprintf(out,
                "tip [%s] %+.3f (goal > 1)\ntheta1=%+.4f theta2=%+.4f dtheta1=%+.4f "
                "dtheta2=%+.4f\n",
                bar, height, s[0], s[1], s[2], s[3]) < 0) {
        ac->host->error(ac->host, "cannot write the rendered state");
        return -1;
    }
    return 0;
}

/* Gymnasium's picture: 500x500, the world [-2.2, 2.2] across it, the fixed joint in the middle */
#define ACROBOT_SCREEN 500

static int acrobot_render_size(void *inst, uint32_t *width_out, uint32_t *height_out)
{
    acrobot_t *ac = inst;
    return ppo_cc_canvas_size(&ac->canvas, ac->host, ACROBOT_SCREEN, ACROBOT_SCREEN, width_out,
                              height_out);
}

static int acrobot_render_rgb(void *inst, uint8_t *rgb_out)
{
    acrobot_t *ac = inst;
    cairo_t *cr = ppo_cc_canvas_begin(&ac->canvas, ac->host, ACROBOT_SCREEN, ACROBOT_SCREEN);
    if (cr == NULL)
        return -1;
    const double scale = ACROBOT_SCREEN / (2 * 2.2), offset = ACROBOT_SCREEN / 2.0;
    const double s0 = ac->state[0], s1 = ac->state[1];

    /* the joints (x, y): the fixed one, then the end of the first link (links are 1 long) */
    const double joints[2][2] = {
        {offset, offset},
        {sin(s0) * scale + offset, -cos(s0) * scale + offset},
    };
    const double thetas[2] = {s0 - M_PI / 2, s0 + s1 - M_PI / 2};

    /* the line the tip must rise above: one link above the fixed joint */
    ppo_cc_pixels(cr, (int)(-2.2 * scale + offset), (int)(scale + offset), (int)(4.4 * scale), 1, 0,
                  0, 0);

    /* each link from its joint, 0.2 wide, then the joint */
    for (int k = 0; k < 2; k++) {
        const double l = 0.0, r = scale, t = 0.1 * scale, b = -0.1 * scale;
        const double corners[4][2] = {{l, b}, {l, t}, {r, t}, {r, b}};
        const double c = cos(thetas[k]), s = sin(thetas[k]);
        double link[4][2];
        for (int i = 0; i < 4; i++) {
            link[i][0] = corners[i][0] * c - corners[i][1] * s + joints[k][0];
            link[i][1] = corners[i][0] * s + corners[i][1] * c + joints[k][1];
        }
        ppo_cc_polygon(cr, link, 4, 0, 204, 204);
        ppo_cc_disc(cr, (int)joints[k][0], (int)joints[k][1], (int)(0.1 * scale), 204, 204, 0);
    }
    return ppo_cc_canvas_end(&ac->canvas, ac->host, rgb_out);
}

static const ppo_env_vtable_t acrobot_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 500,
    .create = acrobot_create,
    .destroy = acrobot_destroy,
    .spaces = acrobot_spaces,
    .reset = acrobot_reset,
    .step = acrobot_step,
    .state_size = acrobot_state_size,
    .get_state = acrobot_get_state,
    .set_state = acrobot_set_state,
    .render_text = acrobot_render_text,
    .render_size = acrobot_render_size,
    .render_rgb = acrobot_render_rgb,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "acrobot", "1.0.0", "Gymnasium Acrobot-v1", NULL, 0,
                  &acrobot_vtable)
