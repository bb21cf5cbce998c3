/* ppofw core — observation and action spaces: checking what an env reports, reading the ABI 1.2
 * fields only when the plugin's struct_size covers them, describing a space in messages, and the
 * conversion of uint8 observations to the floats policies see (docs/design.md §9.1).
 *
 * Every command that asks an env for its spaces (run, eval, validate, check-env, plugins info)
 * judges them here, so they agree on what is valid and say it the same way.
 */
#ifndef PPO_SPACE_PRIVATE_H
#define PPO_SPACE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include <ppofw/plugin.h>
#include <ppofw/rng.h>

#include "ppo_error_private.h"

/* Largest number of elements of an observation box and of an action box. */
#define PPO_SPACE_MAX_DIM (1u << 20)
/* Discrete actions and multi-discrete components have fewer than this many choices (a float
 * holds the index exactly). */
#define PPO_SPACE_MAX_CHOICES (1u << 24)

/* Make a space a plugin filled readable at the host's size: fields its struct_size does not cover
 * are zeroed (a plugin built before ABI 1.2 fills 32 bytes); an observation box of rank 0 gets
 * rank 1 and shape (dim). Call it right after the plugin filled the space, before judging it
 * with ppo_space_problems (a struct_size below PPO_SPACE_SIZE_1_0 is then reported there). */
PPO_INTERNAL void ppo_space_normalize(ppo_space_t *sp, bool is_obs);

/* Append every problem of a space, each as "; <which>: <what is wrong and how to fix it>", to
 * `why` (nothing when the space is valid). `sp` must have been normalized unless its struct_size
 * is too small, which is itself a problem reported here. */
PPO_INTERNAL void ppo_space_problems(const ppo_space_t *sp, bool is_obs, GString *why);

/* The same space, bounds compared bit for bit. */
PPO_INTERNAL bool ppo_space_same(const ppo_space_t *a, const ppo_space_t *b);

/* "discrete (3)", "box (4)", "box uint8 (4, 10, 10)", "multi-discrete [3, 2]" (transfer full). */
PPO_INTERNAL char *ppo_space_describe(const ppo_space_t *sp);

/* Floats an action of this space takes: 1 for discrete, dim otherwise. */
PPO_INTERNAL uint32_t ppo_space_action_floats(const ppo_space_t *sp);

/* A uniformly random action of a valid action space into `action` (ppo_space_action_floats
 * floats): an index per discrete component, a point of the box otherwise. */
PPO_INTERNAL void ppo_space_random_action(const ppo_space_t *sp, ppo_rng_t *rng, float *action);

/* Bytes of one stored observation row: dim floats, or dim bytes rounded up to a multiple of 4 for
 * uint8 (so every row handed to an env as `float *` is 4-byte aligned). */
PPO_INTERNAL size_t ppo_space_row_bytes(const ppo_space_t *sp);

/* The uint8 -> float conversion of an observation space: element i becomes
 * (x - low[i]) / (high[i] - low[i]), computed in double and rounded to float, read from a
 * 256-entry table per distinct bound pair. */
typedef struct ppo_obs_convert {
    uint32_t dim;
    uint32_t n_tables;  /* distinct (low, high) pairs; 0: too many, computed per element */
    float *tables;      /* (n_tables, 256) */
    uint32_t *table_of; /* (dim) table of each element; NULL when n_tables <= 1 */
    const double *low, *high; /* (dim) the space's bounds (borrowed from its env) */
} ppo_obs_convert_t;

/* Set up the conversion of a uint8 space, whose bound arrays must outlive it (clear with
 * ppo_obs_convert_clear). */
PPO_INTERNAL void ppo_obs_convert_init(ppo_obs_convert_t *cv, const ppo_space_t *sp);
PPO_INTERNAL void ppo_obs_convert_clear(ppo_obs_convert_t *cv);

/* out (n, dim) floats from n rows of `src`, rows `src_stride` bytes apart. */
PPO_INTERNAL void ppo_obs_convert_rows(const ppo_obs_convert_t *cv, const uint8_t *src,
                                       size_t src_stride, uint32_t n, float *out);

#endif /* PPO_SPACE_PRIVATE_H */
