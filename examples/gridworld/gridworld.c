/* gridworld — an example env plugin built outside the ppofw tree, against the installed SDK.
 *
 * An agent walks on a width x height grid to the goal in the far corner (width-1, height-1).
 * Each episode starts on a random cell other than the goal. Actions: 0 up, 1 right, 2 down,
 * 3 left; a move into the border leaves the agent where it is. With probability `slip` the
 * move is replaced by a uniformly random one. Reaching the goal gives +1 and ends the episode
 * (terminated); every other step costs `step_cost`. The observation is the agent's cell scaled
 * to [0, 1] in each axis. The time limit (100 steps) is the core's to apply.
 *
 * What it shows: a parameter schema, spaces whose bound arrays live in the instance, all
 * randomness drawn from the ppo_rng_t the core hands reset and step, the optional
 * state/set_state pair for exact resume, and render_text. Left out: obstacles and pixels.
 *
 * Build: make (see the Makefile); check: ppofw check-env ./gridworld.so; train: make train.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

#define GRID_MAX 64

/* One instance; everything that changes during an episode lives here. */
typedef struct grid {
    const ppo_host_t *host; /* services, valid until destroy */
    int32_t width;          /* cells along x */
    int32_t height;         /* cells along y */
    double slip;            /* probability of a random move */
    double step_cost;       /* reward -step_cost per step that does not reach the goal */
    int32_t x, y;           /* the agent's cell */
    double obs_low[2];      /* observation bounds: (2) */
    double obs_high[2];
} grid_t;

static const ppo_param_spec_t grid_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_INT,
        .name = "width",
        .default_value = "8",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .min = 2,
        .max = GRID_MAX,
        .doc = "cells along x",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_INT,
        .name = "height",
        .default_value = "8",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .min = 2,
        .max = GRID_MAX,
        .doc = "cells along y",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "slip",
        .default_value = "0.1",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_MAX_EXCLUSIVE,
        .min = 0,
        .max = 1,
        .doc = "probability that a move is replaced by a uniformly random one",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "step_cost",
        .default_value = "0.02",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .min = 0,
        .max = 1,
        .doc = "cost of each step that does not reach the goal",
    },
};

static void *grid_create(const ppo_host_t *host, const ppo_params_t *params)
{
    grid_t *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        host->error(host, "out of memory allocating a gridworld");
        return NULL;
    }
    g->host = host;
    g->width = (int32_t)ppo_params_get_int(params, "width");
    g->height = (int32_t)ppo_params_get_int(params, "height");
    g->slip = ppo_params_get_double(params, "slip");
    g->step_cost = ppo_params_get_double(params, "step_cost");
    for (int i = 0; i < 2; i++) {
        g->obs_low[i] = 0.0;
        g->obs_high[i] = 1.0;
    }
    return g;
}

static void grid_destroy(void *inst)
{
    free(inst);
}

static int grid_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    grid_t *g = inst;
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .dim = 2,
        .low = g->obs_low,
        .high = g->obs_high,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_DISCRETE,
        .n = 4,
        .dim = 1,
    };
    return 0;
}

static void grid_observe(const grid_t *g, float *obs_out)
{
    obs_out[0] = (float)((double)g->x / (g->width - 1));
    obs_out[1] = (float)((double)g->y / (g->height - 1));
}

static int grid_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    grid_t *g = inst;
    /* a uniform cell other than the goal, which is the last cell in row-major order */
    const uint64_t cells = (uint64_t)g->width * (uint64_t)g->height;
    const uint64_t c = ppo_rng_below(rng, cells - 1);
    g->x = (int32_t)(c % (uint64_t)g->width);
    g->y = (int32_t)(c / (uint64_t)g->width);
    grid_observe(g, obs_out);
    return 0;
}

static int grid_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                     double *reward_out, int *terminated_out)
{
    grid_t *g = inst;
    int32_t a = PPO_DISCRETE_ACTION(action);
    if (a < 0 || a > 3) {
        g->host->error(g->host, "action %d is not one of 0 (up), 1 (right), 2 (down), 3 (left)",
                       (int)a);
        return -1;
    }
    /* slip: the draw happens on every step, so the stream advances the same way either way */
    const double u = ppo_rng_uniform(rng);
    const int32_t random_move = (int32_t)ppo_rng_below(rng, 4);
    if (u < g->slip)
        a = random_move;
    static const int32_t dx[4] = {0, 1, 0, -1};
    static const int32_t dy[4] = {-1, 0, 1, 0};
    const int32_t nx = g->x + dx[a], ny = g->y + dy[a];
    if (nx >= 0 && nx < g->width)
        g->x = nx;
    if (ny >= 0 && ny < g->height)
        g->y = ny;
    const int at_goal = g->x == g->width - 1 && g->y == g->height - 1;
    grid_observe(g, obs_out);
    *reward_out = at_goal ? 1.0 : -g->step_cost;
    *terminated_out = at_goal;
    return 0;
}

static size_t grid_state_size(void *inst)
{
    return 2;
}

static int grid_get_state(void *inst, double *state_out)
{
    const grid_t *g = inst;
    state_out[0] = g->x;
    state_out[1] = g->y;
    return 0;
}

static int grid_set_state(void *inst, const double *state, float *obs_out)
{
    grid_t *g = inst;
    const double x = state[0], y = state[1];
    if (!(x >= 0 && x < g->width && y >= 0 && y < g->height && x == floor(x) && y == floor(y))) {
        g->host->error(g->host, "state (%g, %g) is not a cell of the %d x %d grid", x, y,
                       (int)g->width, (int)g->height);
        return -1;
    }
    g->x = (int32_t)x;
    g->y = (int32_t)y;
    if (obs_out != NULL)
        grid_observe(g, obs_out);
    return 0;
}

static int grid_render_text(void *inst, FILE *out)
{
    const grid_t *g = inst;
    for (int32_t y = 0; y < g->height; y++) {
        for (int32_t x = 0; x < g->width; x++) {
            const int goal = x == g->width - 1 && y == g->height - 1;
            const int agent = x == g->x && y == g->y;
            if (fputc(agent ? 'A' : goal ? 'G' : '.', out) == EOF) {
                g->host->error(g->host, "cannot write the grid");
                return -1;
            }
        }
        fputc('\n', out);
    }
    return 0;
}

static const ppo_env_vtable_t grid_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 100,
    .create = grid_create,
    .destroy = grid_destroy,
    .spaces = grid_spaces,
    .reset = grid_reset,
    .step = grid_step,
    .state_size = grid_state_size,
    .get_state = grid_get_state,
    .set_state = grid_set_state,
    .render_text = grid_render_text,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "gridworld", "1.0.0",
                  "walk a grid to the goal in the far corner (example plugin)", grid_params,
                  PPO_ARRAY_LEN(grid_params), &grid_vtable)
