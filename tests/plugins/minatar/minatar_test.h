/* ppofw tests — the MinAtar reference checks every game shares (tests/plugins/minatar/).
 *
 * Each game's test program compiles its game file and minatar.c next to this file, so the game
 * can be stepped with random sources the plugin never sees:
 *
 * - a scripted source that hands out the draws a reference row recorded (rng_draws), checking
 *   that every call has the recorded kind and bounds and that none is left over (an `i0_1`
 *   token is consumed too, although numpy draws nothing for it);
 * - numpy's legacy RandomState (MT19937, rand() and masked randint) as the reference README
 *   describes it, so whole episodes can be reproduced from their seeds.
 *
 * mt_reference_suite() returns the suite of reference checks of one game (reading
 * tests/data/<game>.csv, .edge.csv and .reset.csv, every row); each game adds the statistical
 * checks of its own random outcomes, which run the real plugin through the core's loader.
 */
#ifndef MINATAR_TEST_H
#define MINATAR_TEST_H

#include <check.h>

#include "minatar.h"
#include "ppo_test.h"

/* Run the suite "minatar_<game>": the reference checks of `game` (a static object), then the
 * game's own test case `own` (may be NULL). Returns the exit status. */
int mt_run(const minatar_game_t *game, TCase *own);

/* The real plugin minatar_<game> with params `flow` (YAML flow, "" for the defaults): an
 * instance, its vtable and the params, for tests that go through the core's loader. */
typedef struct mt_plugin {
    const ppo_plugin_t *plugin;
    const ppo_env_vtable_t *vt;
    ppo_params_t *params;
    void *inst;
    size_t n_state; /* state_size() */
} mt_plugin_t;

void mt_plugin_open(mt_plugin_t *p, const char *game, const char *flow);
void mt_plugin_close(mt_plugin_t *p);

/* The game of the plugin's instance (its rules and state layout, read through minatar.h's
 * instance layout, which the plugin and this test share). */
const minatar_game_t *mt_plugin_game(const mt_plugin_t *p);

/* The full state (state_size() doubles) of the game's reset state with every state field set by
 * `assign` pairs "name=value" (a field name of the game's table, or "eN_alive"-style slot
 * fields), e.g. {"spawn_timer=0", NULL}; the previous action is last_action. Aborts the test on
 * an unknown name. (transfer full; g_free) */
double *mt_state_with(const mt_plugin_t *p, const char *const *assign, int32_t last_action);

/* One step of the plugin from `start` (set_state) with `action` and the stream `rng`: the
 * state after it into `after` (state_size() doubles); returns the reward. */
double mt_step_from(const mt_plugin_t *p, const double *start, int action, ppo_rng_t *rng,
                    double *after);

/* The index of a named field ("player_x", "e3_lr", "f_bullets" for a list's length) in the
 * state doubles of `game`. Aborts the test when there is none. */
size_t mt_state_index(const minatar_game_t *game, const char *name);

/* Whether `count` successes out of `n` trials fit probability p: within 6 standard deviations
 * (two-sided tail below 2e-9 by the normal approximation, so a correct implementation fails
 * with probability far below 1e-6). */
void mt_assert_binomial(const char *what, uint64_t count, uint64_t n, double p);

/* Whether counts[0..k) of n draws fit the uniform distribution: Pearson's chi-square below its
 * 1 - 1e-7 quantile for k - 1 degrees of freedom (Wilson-Hilferty). */
void mt_assert_uniform(const char *what, const uint64_t *counts, int k);

#endif /* MINATAR_TEST_H */
