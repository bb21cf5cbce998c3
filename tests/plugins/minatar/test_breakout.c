/* ppofw tests — plugins/envs/minatar/breakout.c: MinAtar's Breakout against the reference data
 * (every row, minatar_test.c) and the one random outcome, the ball's starting side. */
#include "config.h"

#include "minatar_test.h"

enum { RESETS = 20000 };

START_TEST(test_breakout_ball_starts_on_either_side_with_probability_one_half)
{
    mt_plugin_t p;
    mt_plugin_open(&p, "breakout", "");
    const size_t ix = mt_state_index(&minatar_breakout, "ball_x");
    const size_t idir = mt_state_index(&minatar_breakout, "ball_dir");
    double *state = g_new(double, p.n_state);
    uint8_t obs[4 * MINATAR_CELLS];
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 3, "env", 0);
    uint64_t left = 0;
    for (int i = 0; i < RESETS; i++) {
        ck_assert_int_eq(p.vt->reset(p.inst, &rng, (float *)(void *)obs), 0);
        ck_assert_int_eq(p.vt->get_state(p.inst, state), 0);
        /* from the left it heads down-right, from the right down-left */
        ck_assert_msg((state[ix] == 0 && state[idir] == 2) || (state[ix] == 9 && state[idir] == 3),
                      "the ball starts at x %g with direction %g", state[ix], state[idir]);
        left += state[ix] == 0;
    }
    mt_assert_binomial("resets starting on the left", left, RESETS, 0.5);
    g_free(state);
    mt_plugin_close(&p);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("outcomes");
    tcase_add_test(tc, test_breakout_ball_starts_on_either_side_with_probability_one_half);
    return mt_run(&minatar_breakout, tc);
}
