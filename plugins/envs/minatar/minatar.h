/* ppofw MinAtar envs — what the five games share (compiled into each plugin).
 *
 * The games are MinAtar 1.0.15's (Young & Tian 2019), built from the description in the reference
 * data's README (MinAtar's own code is GPL and is not used). Each game file holds its rules: a
 * state struct of small integers, reset, step, the observation, and a table of its state fields.
 * This module holds the rest, once for all five:
 *
 * - The random source. The games draw through minatar_rand_t, which mirrors the two calls MinAtar
 *   makes: uniform() (a double in [0, 1), numpy's rand()) and randint(lo, hi) (an integer in
 *   [lo, hi), numpy's randint). The plugins back it with the core's per-env stream:
 *   uniform = ppo_rng_uniform, randint(lo, hi) = lo + ppo_rng_below(hi - lo), which draws nothing
 *   when hi - lo == 1, as numpy does. Tests install a scripted source instead.
 * - The wrapper MinAtar's Environment class adds: before every step it draws one uniform() and,
 *   when that is below sticky_action_prob, repeats the previous action instead of the given one.
 *   The draw is made whatever the probability (MinAtar's order of draws). The previous action is
 *   kept as an index of the full action set and is no-op (0) after reset (the reference leaves
 *   the starting value unsaid; no-op is the choice that changes nothing).
 * - Action sets: the full six (n l u r d f) or the game's minimal set, mapped to the full index.
 * - The state as doubles for exact resume: every field of the game's table in order (integers as
 *   doubles, a 10x10 map as 100 cells of 0/1, a list as its length and MINATAR_LIST_CAP records
 *   with the unused ones 0), then the previous action. set_state accepts only integers in each
 *   field's range, and states the game could never reach and cannot step are refused.
 * - Rendering: render_text (one title line, then the 10x10 grid as characters) and RGB images,
 *   each cell a MINATAR_CELL_PX square coloured by the highest-numbered channel set in it
 *   (black when none), from a cubehelix palette of C colours (minatar_palette).
 *
 * Observations are uint8 boxes of shape (C, 10, 10), channel-major: element 100·c + 10·y + x is
 * 1 when channel c is set at row y (from the top), column x (from the left), bounds [0, 1].
 *
 * Left out: MinAtar's own generator (randomness is the core's; the tests replay numpy's stream
 * themselves) and its matplotlib display.
 */
#ifndef PPO_MINATAR_H
#define PPO_MINATAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ppofw/ppofw.h>

#define MINATAR_SIZE 10         /* the board is MINATAR_SIZE x MINATAR_SIZE cells */
#define MINATAR_CELLS 100       /* cells of the board */
#define MINATAR_MAX_CHANNELS 10 /* Seaquest has the most */
#define MINATAR_N_ACTIONS 6     /* the full action set */
#define MINATAR_LIST_CAP 64     /* records a list can hold; more is an error from step */
#define MINATAR_RECORD_INTS 5   /* the widest record (a Seaquest enemy sub) */
#define MINATAR_CELL_PX 16      /* side of one cell in rendered images */
#define MINATAR_N_PARAMS 3      /* entries of minatar_params */

/* The full action set, in MinAtar's order. */
enum {
    MINATAR_NOOP = 0,
    MINATAR_LEFT = 1,
    MINATAR_UP = 2,
    MINATAR_RIGHT = 3,
    MINATAR_DOWN = 4,
    MINATAR_FIRE = 5,
};

/* ---- randomness ---- */

/* Where a game's random numbers come from. Both calls must be given; ctx is theirs. */
typedef struct minatar_rand {
    double (*uniform)(void *ctx);                          /* a double in [0, 1) */
    int32_t (*randint)(void *ctx, int32_t lo, int32_t hi); /* an integer in [lo, hi), lo < hi */
    void *ctx;
} minatar_rand_t;

/* The source the plugins use: the core's stream `rng` (borrowed for the source's life). */
minatar_rand_t minatar_rand_from_rng(ppo_rng_t *rng);

/* ---- state layout ---- */

/* A variable-length list of records (Seaquest's bullets, enemies and divers), in list order. */
typedef struct minatar_list {
    int32_t n;                                           /* records in use, 0..CAP */
    int32_t item[MINATAR_LIST_CAP][MINATAR_RECORD_INTS]; /* (n, record ints) */
} minatar_list_t;

/* One integer of the state: its name (the reference data's column) and its valid range. */
typedef struct minatar_int_spec {
    const char *name;
    int32_t lo, hi; /* inclusive */
} minatar_int_spec_t;

typedef enum minatar_field_kind {
    MINATAR_INTS,  /* `count` consecutive int32_t, one spec each */
    MINATAR_MAP,   /* a uint8_t[100] map of 0/1, cell 10·y + x */
    MINATAR_SLOTS, /* `count` records of `width` int32_t (columns "<name><i>_<spec name>") */
    MINATAR_LIST,  /* a minatar_list_t of records of `width` ints (specs give their ranges) */
} minatar_field_kind_t;

/* One entry of a game's state table. */
typedef struct minatar_field {
    minatar_field_kind_t kind;
    const char *name;               /* MAP, LIST: the column; SLOTS: the columns' prefix */
    size_t offset;                  /* of the field in the game's state struct */
    uint32_t count;                 /* INTS: integers; SLOTS: records; otherwise 1 */
    uint32_t width;                 /* SLOTS, LIST: ints per record (<= MINATAR_RECORD_INTS) */
    const minatar_int_spec_t *ints; /* INTS: (count); SLOTS, LIST: (width); MAP: NULL */
} minatar_field_t;

/* ---- games ---- */

/* One game's rules and layout. Each game file defines one (minatar_<game>). */
typedef struct minatar_game {
    const char *name;               /* "breakout" */
    uint32_t n_channels;            /* C */
    const char *symbols;            /* (C) render_text's character for each channel */
    const uint8_t *minimal_actions; /* (n_minimal) full-set index of each minimal action */
    uint32_t n_minimal;
    size_t state_bytes;            /* sizeof of the game's state struct */
    size_t terminal_offset;        /* of its int32_t terminal flag */
    const minatar_field_t *fields; /* (n_fields) the state, in the order it is saved */
    uint32_t n_fields;
    /* Start an episode: the whole state, drawing from `rand`. */
    void (*reset)(void *state, const minatar_rand_t *rand);
    /* One step with `action` (full-set index). Adds this step's reward to *reward (which starts
     * at 0). Returns 0, or < 0 with *why set (a static string) when a list overflowed. */
    int (*step)(void *state, int action, bool ramping, const minatar_rand_t *rand, int32_t *reward,
                const char **why);
    /* Write the (C, 10, 10) observation of `state`: every byte 0 or 1. */
    void (*observe)(const void *state, uint8_t *obs);
    /* (optional) Why a state whose fields are each in range cannot be stepped, or NULL. */
    const char *(*check)(const void *state);
} minatar_game_t;

extern const minatar_game_t minatar_asterix;
extern const minatar_game_t minatar_breakout;
extern const minatar_game_t minatar_freeway;
extern const minatar_game_t minatar_seaquest;
extern const minatar_game_t minatar_space_invaders;

/* Set cell (y, x) of channel c in an observation. */
static inline void minatar_set(uint8_t *obs, int c, int y, int x)
{
    obs[c * MINATAR_CELLS + y * MINATAR_SIZE + x] = 1;
}

/* Whether (x, y) is on the board. */
static inline bool minatar_on_board(int32_t x, int32_t y)
{
    return x >= 0 && x < MINATAR_SIZE && y >= 0 && y < MINATAR_SIZE;
}

/* ---- the state as doubles ---- */

/* Doubles of a game's state (the table's fields, without the wrapper's previous action). */
size_t minatar_state_doubles(const minatar_game_t *game);

/* Write minatar_state_doubles() doubles of `state`. */
void minatar_pack(const minatar_game_t *game, const void *state, double *out);

/* Read a state written by minatar_pack into `state` (state_bytes). Returns 0, or < 0 with the
 * reason in why (naming the field) when a value is not an integer in its field's range or the
 * game refuses the state; `state` is then undefined. */
int minatar_unpack(const minatar_game_t *game, const double *in, void *state, char *why,
                   size_t why_len);

/* ---- the env: the game with MinAtar's wrapper ---- */

typedef struct minatar_env {
    const ppo_host_t *host;     /* services (borrowed, valid until destroy) */
    const minatar_game_t *game; /* the rules (static) */
    double sticky_prob;         /* probability of repeating the previous action */
    bool ramping;               /* difficulty ramping */
    bool minimal;               /* actions index game->minimal_actions */
    bool has_state;             /* reset or set_state has run */
    int32_t last_action;        /* full-set index of the action the last step applied */
    uint32_t dim;               /* observation elements: C·100 */
    double *bounds;             /* (2, dim) the observation box: dim zeros, then dim ones */
    void *state;                /* (state_bytes) the game's state */
    void *scratch;              /* (state_bytes) where set_state decodes before accepting */
    /* (C, RGB) the rendered colour of each channel */
    uint8_t palette[MINATAR_MAX_CHANNELS][3];
} minatar_env_t;

/* The parameter schema every MinAtar plugin declares. */
extern const ppo_param_spec_t minatar_params[MINATAR_N_PARAMS];

/* Set up `env` for `game` with the wrapper's settings; allocates the state and the bounds.
 * Returns 0, or < 0 after host->error(). Undo with minatar_env_fini (also after a failure). */
int minatar_env_init(minatar_env_t *env, const ppo_host_t *host, const minatar_game_t *game,
                     double sticky_prob, bool ramping, bool minimal);
void minatar_env_fini(minatar_env_t *env);

/* Number of actions: 6, or the game's minimal set. */
uint32_t minatar_env_n_actions(const minatar_env_t *env);

/* Reset from `rand` and write the observation (dim bytes). */
void minatar_env_reset(minatar_env_t *env, const minatar_rand_t *rand, uint8_t *obs);

/* One step of the wrapper: validate `action` (an index of the env's action set), map it to the
 * full set, draw the sticky uniform and repeat the previous action when it is below
 * sticky_prob, step the game, write the observation. Returns 0, or < 0 after host->error(). */
int minatar_env_step(minatar_env_t *env, int32_t action, const minatar_rand_t *rand, uint8_t *obs,
                     double *reward, int *terminated);

/* Doubles of the env's state: the game's, then the previous action. */
size_t minatar_env_state_size(const minatar_env_t *env);
void minatar_env_get_state(const minatar_env_t *env, double *out);
/* Returns 0 (and writes the observation when obs is not NULL), or < 0 after host->error(). */
int minatar_env_set_state(minatar_env_t *env, const double *in, uint8_t *obs);

/* Draw the state: a height x width x 3 image (minatar_render_size) / text. Both only read it. */
void minatar_env_render_rgb(const minatar_env_t *env, uint8_t *rgb);
int minatar_env_render_text(const minatar_env_t *env, FILE *out);

/* Colour `c` of a cubehelix palette of n colours (see minatar.c for the parameters). */
void minatar_palette(uint32_t n, uint32_t c, uint8_t rgb[3]);

/* ---- the plugin ---- */

/* Make an instance of `game` from validated params (the create of every MinAtar plugin). */
void *minatar_create(const ppo_host_t *host, const ppo_params_t *params,
                     const minatar_game_t *game);

/* Env vtable callbacks shared by the five plugins. */
void minatar_vt_destroy(void *inst);
int minatar_vt_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space);
int minatar_vt_reset(void *inst, ppo_rng_t *rng, float *obs_out);
int minatar_vt_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                    double *reward_out, int *terminated_out);
size_t minatar_vt_state_size(void *inst);
int minatar_vt_get_state(void *inst, double *state_out);
int minatar_vt_set_state(void *inst, const double *state, float *obs_out);
int minatar_vt_render_text(void *inst, FILE *out);
int minatar_vt_render_size(void *inst, uint32_t *width_out, uint32_t *height_out);
int minatar_vt_render_rgb(void *inst, uint8_t *rgb_out);

/* Define a MinAtar plugin for GAME (a minatar_game_t): its create, its vtable (the shared
 * callbacks, no registered time limit) and its descriptor with the shared parameter schema. Use
 * once per game file. */
#define MINATAR_PLUGIN(NAME, DESCRIPTION, GAME)                                                    \
    static void *minatar_create_(const ppo_host_t *host, const ppo_params_t *params)               \
    {                                                                                              \
        return minatar_create(host, params, &(GAME));                                              \
    }                                                                                              \
    static const ppo_env_vtable_t minatar_vtable_ = {                                              \
        .struct_size = sizeof(ppo_env_vtable_t),                                                   \
        .max_episode_steps = 0,                                                                    \
        .create = minatar_create_,                                                                 \
        .destroy = minatar_vt_destroy,                                                             \
        .spaces = minatar_vt_spaces,                                                               \
        .reset = minatar_vt_reset,                                                                 \
        .step = minatar_vt_step,                                                                   \
        .state_size = minatar_vt_state_size,                                                       \
        .get_state = minatar_vt_get_state,                                                         \
        .set_state = minatar_vt_set_state,                                                         \
        .render_text = minatar_vt_render_text,                                                     \
        .render_size = minatar_vt_render_size,                                                     \
        .render_rgb = minatar_vt_render_rgb,                                                       \
    };                                                                                             \
    PPO_PLUGIN_DEFINE(PPO_KIND_ENV, NAME, "1.0.0", DESCRIPTION, minatar_params, MINATAR_N_PARAMS,  \
                      &minatar_vtable_)

#endif /* PPO_MINATAR_H */
