/* ppofw MinAtar envs — the random source, MinAtar's wrapper (sticky actions, action sets), the
 * state as doubles, rendering and the plugin callbacks the five games share (see minatar.h).
 *
 * Left out: the rules of each game (asterix.c, breakout.c, freeway.c, seaquest.c,
 * space_invaders.c).
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "minatar.h"

static const char minatar_action_letters[MINATAR_N_ACTIONS] = {'n', 'l', 'u', 'r', 'd', 'f'};

/* ---- randomness: the core's stream ---- */

static double rng_uniform(void *ctx)
{
    return ppo_rng_uniform(ctx);
}

static int32_t rng_randint(void *ctx, int32_t lo, int32_t hi)
{
    /* ppo_rng_below(1) returns 0 without drawing, as numpy's randint with one choice */
    return lo + (int32_t)ppo_rng_below(ctx, (uint64_t)(hi - lo));
}

minatar_rand_t minatar_rand_from_rng(ppo_rng_t *rng)
{
    return (minatar_rand_t){.uniform = rng_uniform, .randint = rng_randint, .ctx = rng};
}

/* ---- the state as doubles ---- */

/* Doubles one field takes. */
static size_t field_doubles(const minatar_field_t *f)
{
    switch (f->kind) {
    case MINATAR_INTS:
        return f->count;
    case MINATAR_MAP:
        return MINATAR_CELLS;
    case MINATAR_SLOTS:
        return (size_t)f->count * f->width;
    default:
        return 1 + (size_t)MINATAR_LIST_CAP * f->width;
    }
}

size_t minatar_state_doubles(const minatar_game_t *game)
{
    size_t n = 0;
    for (uint32_t i = 0; i < game->n_fields; i++)
        n += field_doubles(&game->fields[i]);
    return n;
}

void minatar_pack(const minatar_game_t *game, const void *state, double *out)
{
    const char *base = state;
    for (uint32_t i = 0; i < game->n_fields; i++) {
        const minatar_field_t *f = &game->fields[i];
        if (f->kind == MINATAR_MAP) {
            const uint8_t *map = (const uint8_t *)(base + f->offset);
            for (int k = 0; k < MINATAR_CELLS; k++)
                *out++ = map[k];
        } else if (f->kind == MINATAR_LIST) {
            const minatar_list_t *list = (const minatar_list_t *)(base + f->offset);
            *out++ = list->n;
            for (int r = 0; r < MINATAR_LIST_CAP; r++)
                for (uint32_t k = 0; k < f->width; k++)
                    *out++ = r < list->n ? list->item[r][k] : 0;
        } else {
            /* INTS and SLOTS are consecutive int32_t */
            const int32_t *v = (const int32_t *)(base + f->offset);
            const size_t n = field_doubles(f);
            for (size_t k = 0; k < n; k++)
                *out++ = v[k];
        }
    }
}

/* Whether x is an integer in [lo, hi]. */
static bool is_int_in(double x, int32_t lo, int32_t hi)
{
    return x >= lo && x <= hi && x == floor(x);
}

/* The reason a value is refused (its name is formatted only then). */
static int refuse(char *why, size_t why_len, double x, int32_t lo, int32_t hi, const char *fmt, ...)
    PPO_PRINTF(6, 7);
static int refuse(char *why, size_t why_len, double x, int32_t lo, int32_t hi, const char *fmt, ...)
{
    char what[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(why, why_len, "%s is %.17g; expected an integer from %d to %d", what, x, lo, hi);
    return -1;
}

int minatar_unpack(const minatar_game_t *game, const double *in, void *state, char *why,
                   size_t why_len)
{
    char *base = state;
    memset(state, 0, game->state_bytes);
    for (uint32_t i = 0; i < game->n_fields; i++) {
        const minatar_field_t *f = &game->fields[i];
        if (f->kind == MINATAR_INTS) {
            int32_t *v = (int32_t *)(base + f->offset);
            for (uint32_t k = 0; k < f->count; k++, in++) {
                const minatar_int_spec_t *s = &f->ints[k];
                if (!is_int_in(*in, s->lo, s->hi))
                    return refuse(why, why_len, *in, s->lo, s->hi, "%s", s->name);
                v[k] = (int32_t)*in;
            }
        } else if (f->kind == MINATAR_MAP) {
            uint8_t *map = (uint8_t *)(base + f->offset);
            for (int k = 0; k < MINATAR_CELLS; k++, in++) {
                if (!is_int_in(*in, 0, 1))
                    return refuse(why, why_len, *in, 0, 1, "%s cell (y %d, x %d)", f->name,
                                  k / MINATAR_SIZE, k % MINATAR_SIZE);
                map[k] = (uint8_t)*in;
            }
        } else if (f->kind == MINATAR_SLOTS) {
            int32_t *v = (int32_t *)(base + f->offset);
            for (uint32_t r = 0; r < f->count; r++)
                for (uint32_t k = 0; k < f->width; k++, in++) {
                    const minatar_int_spec_t *s = &f->ints[k];
                    if (!is_int_in(*in, s->lo, s->hi))
                        return refuse(why, why_len, *in, s->lo, s->hi, "%s%u_%s", f->name, r,
                                      s->name);
                    v[r * f->width + k] = (int32_t)*in;
                }
        } else {
            minatar_list_t *list = (minatar_list_t *)(base + f->offset);
            if (!is_int_in(*in, 0, MINATAR_LIST_CAP))
                return refuse(why, why_len, *in, 0, MINATAR_LIST_CAP, "the length of %s", f->name);
            list->n = (int32_t)*in++;
            /* records past the length are ignored (get_state writes them as 0) */
            for (int r = 0; r < MINATAR_LIST_CAP; r++)
                for (uint32_t k = 0; k < f->width; k++, in++) {
                    const minatar_int_spec_t *s = &f->ints[k];
                    if (r >= list->n)
                        continue;
                    if (!is_int_in(*in, s->lo, s->hi))
                        return refuse(why, why_len, *in, s->lo, s->hi, "%s[%d].%s", f->name, r,
                                      s->name);
                    list->item[r][k] = (int32_t)*in;
                }
        }
    }
    const char *refused = game->check != NULL ? game->check(state) : NULL;
    if (refused != NULL) {
        snprintf(why, why_len, "%s", refused);
        return -1;
    }
    return 0;
}

/* ---- rendering ---- */

/* The game's terminal flag. */
static int32_t env_terminal(const minatar_env_t *env)
{
    int32_t terminal;
    memcpy(&terminal, (const char *)env->state + env->game->terminal_offset, sizeof(terminal));
    return terminal;
}

/* Cubehelix (Green 2011, "A colour scheme for the display of astronomical intensity images"):
 * the colour at intensity l is l^g + a (cos/sin of the helix angle) through Green's matrix, with
 * angle 2 pi (start/3 + rot l) and amplitude hue l^g (1 - l^g) / 2, clipped to [0, 1]. The
 * parameters are seaborn's cubehelix_palette defaults (start 0, rot 0.4, gamma 1, hue 0.8), and
 * the n colours sit at intensities evenly spaced from 0.85 (channel 0) down to 0.15 (the last
 * channel), as that function spaces them: a lightest-to-darkest palette, all of it visible on
 * the black of empty cells. */
#define CUBEHELIX_START 0.0
#define CUBEHELIX_ROT 0.4
#define CUBEHELIX_GAMMA 1.0
#define CUBEHELIX_HUE 0.8
#define CUBEHELIX_LIGHT 0.85
#define CUBEHELIX_DARK 0.15

static uint8_t unit_to_byte(double v)
{
    v = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    return (uint8_t)lround(255.0 * v);
}

void minatar_palette(uint32_t n, uint32_t c, uint8_t rgb[3])
{
    const double l = n > 1 ? CUBEHELIX_LIGHT + (CUBEHELIX_DARK - CUBEHELIX_LIGHT) * c / (n - 1)
                           : CUBEHELIX_LIGHT;
    const double lg = pow(l, CUBEHELIX_GAMMA);
    const double amp = CUBEHELIX_HUE * lg * (1.0 - lg) / 2.0;
    const double phi = 2.0 * M_PI * (CUBEHELIX_START / 3.0 + CUBEHELIX_ROT * l);
    const double cp = cos(phi), sp = sin(phi);
    rgb[0] = unit_to_byte(lg + amp * (-0.14861 * cp + 1.78277 * sp));
    rgb[1] = unit_to_byte(lg + amp * (-0.29227 * cp - 0.90649 * sp));
    rgb[2] = unit_to_byte(lg + amp * (1.97294 * cp));
}

/* The highest channel set in each cell of an observation, or -1. */
static void top_channels(const minatar_game_t *game, const uint8_t *obs, int8_t top[MINATAR_CELLS])
{
    for (int k = 0; k < MINATAR_CELLS; k++) {
        top[k] = -1;
        for (int c = (int)game->n_channels - 1; c >= 0; c--)
            if (obs[c * MINATAR_CELLS + k]) {
                top[k] = (int8_t)c;
                break;
            }
    }
}

void minatar_env_render_rgb(const minatar_env_t *env, uint8_t *rgb)
{
    uint8_t obs[MINATAR_MAX_CHANNELS * MINATAR_CELLS] = {0};
    int8_t top[MINATAR_CELLS];
    static const uint8_t black[3] = {0, 0, 0};
    const size_t row_bytes = (size_t)MINATAR_SIZE * MINATAR_CELL_PX * 3;
    env->game->observe(env->state, obs);
    top_channels(env->game, obs, top);
    for (int y = 0; y < MINATAR_SIZE; y++) {
        /* the first pixel row of this board row, then copies of it */
        uint8_t *line = rgb + (size_t)y * MINATAR_CELL_PX * row_bytes;
        for (int x = 0; x < MINATAR_SIZE; x++) {
            const int c = top[y * MINATAR_SIZE + x];
            const uint8_t *colour = c >= 0 ? env->palette[c] : black;
            for (int p = 0; p < MINATAR_CELL_PX; p++)
                memcpy(line + ((size_t)x * MINATAR_CELL_PX + p) * 3, colour, 3);
        }
        for (int p = 1; p < MINATAR_CELL_PX; p++)
            memcpy(line + p * row_bytes, line, row_bytes);
    }
}

int minatar_env_render_text(const minatar_env_t *env, FILE *out)
{
    uint8_t obs[MINATAR_MAX_CHANNELS * MINATAR_CELLS] = {0};
    int8_t top[MINATAR_CELLS];
    env->game->observe(env->state, obs);
    top_channels(env->game, obs, top);
    int rc = fprintf(out, "minatar_%s terminal=%d last_action=%c\n", env->game->name,
                     env_terminal(env), minatar_action_letters[env->last_action]);
    for (int y = 0; y < MINATAR_SIZE && rc >= 0; y++) {
        char line[MINATAR_SIZE + 2];
        for (int x = 0; x < MINATAR_SIZE; x++) {
            const int c = top[y * MINATAR_SIZE + x];
            line[x] = c >= 0 ? env->game->symbols[c] : '.';
        }
        line[MINATAR_SIZE] = '\n';
        line[MINATAR_SIZE + 1] = '\0';
        rc = fputs(line, out);
    }
    if (rc < 0) {
        env->host->error(env->host, "cannot write the rendered state");
        return -1;
    }
    return 0;
}

/* ---- the env ---- */

int minatar_env_init(minatar_env_t *env, const ppo_host_t *host, const minatar_game_t *game,
                     double sticky_prob, bool ramping, bool minimal)
{
    *env = (minatar_env_t){
        .host = host,
        .game = game,
        .sticky_prob = sticky_prob,
        .ramping = ramping,
        .minimal = minimal,
        .dim = game->n_channels * MINATAR_CELLS,
    };
    env->state = calloc(1, game->state_bytes);
    env->scratch = calloc(1, game->state_bytes);
    env->bounds = malloc(2 * sizeof(double) * env->dim);
    if (env->state == NULL || env->scratch == NULL || env->bounds == NULL) {
        host->error(host, "out of memory allocating a MinAtar %s instance", game->name);
        return -1;
    }
    for (uint32_t i = 0; i < env->dim; i++) {
        env->bounds[i] = 0.0;
        env->bounds[env->dim + i] = 1.0;
    }
    for (uint32_t c = 0; c < game->n_channels; c++)
        minatar_palette(game->n_channels, c, env->palette[c]);
    return 0;
}

void minatar_env_fini(minatar_env_t *env)
{
    free(env->state);
    free(env->scratch);
    free(env->bounds);
    env->state = NULL;
    env->scratch = NULL;
    env->bounds = NULL;
}

uint32_t minatar_env_n_actions(const minatar_env_t *env)
{
    return env->minimal ? env->game->n_minimal : MINATAR_N_ACTIONS;
}

/* Refuse an action that is not an index of the env's action set (after host->error()). */
static int bad_action(const minatar_env_t *env, double action)
{
    const uint32_t n = minatar_env_n_actions(env);
    env->host->error(env->host,
                     "action %g is out of range: expected an integer from 0 to %u "
                     "(Discrete(%u)%s)",
                     action, n - 1, n, env->minimal ? ", the minimal action set" : "");
    return -1;
}

static void env_observe(const minatar_env_t *env, uint8_t *obs)
{
    memset(obs, 0, env->dim);
    env->game->observe(env->state, obs);
}

void minatar_env_reset(minatar_env_t *env, const minatar_rand_t *rand, uint8_t *obs)
{
    memset(env->state, 0, env->game->state_bytes);
    env->game->reset(env->state, rand);
    env->last_action = MINATAR_NOOP;
    env->has_state = true;
    env_observe(env, obs);
}

int minatar_env_step(minatar_env_t *env, int32_t action, const minatar_rand_t *rand, uint8_t *obs,
                     double *reward, int *terminated)
{
    if (action < 0 || (uint32_t)action >= minatar_env_n_actions(env))
        return bad_action(env, action);
    if (!env->has_state) {
        env->host->error(env->host, "step called before reset");
        return -1;
    }

    /* MinAtar's wrapper: one draw before every step; below the probability, the last action */
    int full = env->minimal ? env->game->minimal_actions[action] : action;
    if (rand->uniform(rand->ctx) < env->sticky_prob)
        full = env->last_action;
    env->last_action = full;

    int32_t r = 0;
    const char *why = NULL;
    if (env->game->step(env->state, full, env->ramping, rand, &r, &why) < 0) {
        env->host->error(env->host, "%s", why);
        return -1;
    }
    env_observe(env, obs);
    *reward = r;
    *terminated = env_terminal(env) != 0;
    return 0;
}

size_t minatar_env_state_size(const minatar_env_t *env)
{
    return minatar_state_doubles(env->game) + 1;
}

void minatar_env_get_state(const minatar_env_t *env, double *out)
{
    minatar_pack(env->game, env->state, out);
    out[minatar_state_doubles(env->game)] = env->last_action;
}

int minatar_env_set_state(minatar_env_t *env, const double *in, uint8_t *obs)
{
    char why[256];
    const size_t n = minatar_state_doubles(env->game);
    /* decode into the scratch state so that a refused state leaves the instance as it was */
    if (minatar_unpack(env->game, in, env->scratch, why, sizeof(why)) < 0 ||
        (!is_int_in(in[n], 0, MINATAR_N_ACTIONS - 1) &&
         refuse(why, sizeof(why), in[n], 0, MINATAR_N_ACTIONS - 1, "the previous action") < 0)) {
        env->host->error(env->host, "set_state: not a MinAtar %s state: %s", env->game->name, why);
        return -1;
    }
    memcpy(env->state, env->scratch, env->game->state_bytes);
    env->last_action = (int32_t)in[n];
    env->has_state = true;
    if (obs != NULL)
        env_observe(env, obs);
    return 0;
}

/* ---- the plugin ---- */

const ppo_param_spec_t minatar_params[MINATAR_N_PARAMS] = {
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .type = PPO_PARAM_DOUBLE,
        .name = "sticky_action_prob",
        .default_value = "0.1",
        .min = 0.0,
        .max = 1.0,
        .doc = "probability that a step repeats the previous action instead of the given one "
               "(MinAtar's sticky actions; the draw is made at every step)",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "difficulty_ramping",
        .default_value = "true",
        .doc = "the game speeds up as it goes (MinAtar's difficulty ramping)",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "minimal_action_set",
        .default_value = "false",
        .doc = "actions index the game's minimal action set (Gymnasium's MinAtar/<Game>-v1) "
               "instead of all six: n, l, u, r, d, f (-v0)",
    },
};

void *minatar_create(const ppo_host_t *host, const ppo_params_t *params, const minatar_game_t *game)
{
    minatar_env_t *env = calloc(1, sizeof(*env));
    if (env == NULL) {
        host->error(host, "out of memory allocating a MinAtar %s instance", game->name);
        return NULL;
    }
    if (minatar_env_init(env, host, game, ppo_params_get_double(params, "sticky_action_prob"),
                         ppo_params_get_bool(params, "difficulty_ramping"),
                         ppo_params_get_bool(params, "minimal_action_set")) < 0) {
        minatar_vt_destroy(env);
        return NULL;
    }
    return env;
}

void minatar_vt_destroy(void *inst)
{
    if (inst == NULL)
        return;
    minatar_env_fini(inst);
    free(inst);
}

int minatar_vt_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    const minatar_env_t *env = inst;
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .dim = env->dim,
        .low = env->bounds,
        .high = env->bounds + env->dim,
        .rank = 3,
        .shape = {env->game->n_channels, MINATAR_SIZE, MINATAR_SIZE},
        .dtype = PPO_DTYPE_UINT8,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_DISCRETE,
        .n = minatar_env_n_actions(env),
        .dim = 1,
    };
    return 0;
}

int minatar_vt_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    const minatar_rand_t rand = minatar_rand_from_rng(rng);
    minatar_env_reset(inst, &rand, PPO_OBS_U8(obs_out));
    return 0;
}

int minatar_vt_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                    double *reward_out, int *terminated_out)
{
    minatar_env_t *env = inst;
    const float a = action[0];
    if (!(a >= 0.0f && a < (float)minatar_env_n_actions(env) && a == floorf(a)))
        return bad_action(env, a);
    const minatar_rand_t rand = minatar_rand_from_rng(rng);
    return minatar_env_step(env, (int32_t)a, &rand, PPO_OBS_U8(obs_out), reward_out,
                            terminated_out);
}

size_t minatar_vt_state_size(void *inst)
{
    return minatar_env_state_size(inst);
}

int minatar_vt_get_state(void *inst, double *state_out)
{
    minatar_env_t *env = inst;
    if (!env->has_state) {
        env->host->error(env->host, "get_state called before reset or set_state");
        return -1;
    }
    minatar_env_get_state(env, state_out);
    return 0;
}

int minatar_vt_set_state(void *inst, const double *state, float *obs_out)
{
    return minatar_env_set_state(inst, state, obs_out != NULL ? PPO_OBS_U8(obs_out) : NULL);
}

int minatar_vt_render_text(void *inst, FILE *out)
{
    return minatar_env_render_text(inst, out);
}

int minatar_vt_render_size(void *inst, uint32_t *width_out, uint32_t *height_out)
{
    *width_out = MINATAR_SIZE * MINATAR_CELL_PX;
    *height_out = MINATAR_SIZE * MINATAR_CELL_PX;
    return 0;
}

int minatar_vt_render_rgb(void *inst, uint8_t *rgb_out)
{
    minatar_env_render_rgb(inst, rgb_out);
    return 0;
}
