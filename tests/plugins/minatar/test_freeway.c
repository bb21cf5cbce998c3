/* ppofw tests — plugins/envs/minatar/freeway.c: MinAtar's Freeway against the reference data
 * (every row, minatar_test.c) and the frequencies of its random outcomes when the plugin draws
 * from the core's stream: every car's speed uniform in 1..5 and its direction either way with
 * probability 1/2, at reset and again after each crossing. */
#include "config.h"

#include <math.h>

#include "minatar_test.h"

enum { TRIALS = 10000, CARS = 8, SPEEDS = 5 };

/* The state double of car i's x; its y, timer and speed follow. */
static size_t car_x(int i)
{
    return mt_state_index(&minatar_freeway, "c0_x") + 4 * (size_t)i;
}

/* Count the speeds and directions of the cars of `state`; check timer = |speed|. */
static void count_cars(const double *state, uint64_t speeds[SPEEDS], uint64_t *right)
{
    const size_t c0 = car_x(0);
    for (int i = 0; i < CARS; i++) {
        const size_t k = c0 + 4 * (size_t)i + 3;
        const double speed = state[k];
        ck_assert_msg(fabs(speed) >= 1 && fabs(speed) <= SPEEDS, "car %d has speed %g", i, speed);
        ck_assert_msg(state[k - 1] == fabs(speed), "car %d: timer %g, speed %g", i, state[k - 1],
                      speed);
        speeds[(int)fabs(speed) - 1]++;
        *right += speed > 0;
    }
}

START_TEST(test_freeway_resets_cars_with_uniform_speeds_and_directions)
{
    mt_plugin_t p;
    mt_plugin_open(&p, "freeway", "");
    double *state = g_new(double, p.n_state);
    uint8_t obs[7 * MINATAR_CELLS];
    uint64_t speeds[SPEEDS] = {0}, right = 0;
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 5, "env", 0);
    for (int n = 0; n < TRIALS; n++) {
        ck_assert_int_eq(p.vt->reset(p.inst, &rng, (float *)(void *)obs), 0);
        ck_assert_int_eq(p.vt->get_state(p.inst, state), 0);
        for (int i = 0; i < CARS; i++)
            ck_assert(state[car_x(i)] == 0);
        count_cars(state, speeds, &right);
    }
    mt_assert_uniform("car speeds after reset", speeds, SPEEDS);
    mt_assert_binomial("cars moving right after reset", right, (uint64_t)TRIALS * CARS, 0.5);
    g_free(state);
    mt_plugin_close(&p);
}
END_TEST

START_TEST(test_freeway_crossing_rerandomizes_speeds_and_directions_and_keeps_positions)
{
    mt_plugin_t p;
    mt_plugin_open(&p, "freeway", "{sticky_action_prob: 0}");
    /* one row from the top, free to move; cars spread over the lanes, away from column 4 */
    const char *const assign[] = {"pos=1",  "move_timer=0", "c0_x=7", "c1_x=2", "c2_x=9",
                                  "c3_x=1", "c5_x=6",       "c7_x=8", NULL};
    double *start = mt_state_with(&p, assign, 0), *after = g_new(double, p.n_state);
    uint64_t speeds[SPEEDS] = {0}, right = 0;
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 6, "env", 0);
    for (int n = 0; n < TRIALS; n++) {
        ck_assert(mt_step_from(&p, start, MINATAR_UP, &rng, after) == 1.0);
        ck_assert(after[mt_state_index(&minatar_freeway, "pos")] == 9);
        /* the cars keep their cells and then step as usual: a new timer counts down once */
        for (int i = 0; i < CARS; i++) {
            const size_t kx = car_x(i);
            ck_assert_msg(after[kx] == start[kx], "car %d moved from %g to %g", i, start[kx],
                          after[kx]);
            after[kx + 2] += 1;
        }
        count_cars(after, speeds, &right);
    }
    mt_assert_uniform("car speeds after a crossing", speeds, SPEEDS);
    mt_assert_binomial("cars moving right after a crossing", right, (uint64_t)TRIALS * CARS, 0.5);
    g_free(start);
    g_free(after);
    mt_plugin_close(&p);
}
END_TEST

/* the layout the index arithmetic above relies on */
START_TEST(test_freeway_state_keeps_each_cars_fields_together)
{
    ck_assert_uint_eq(mt_state_index(&minatar_freeway, "c7_speed"), car_x(0) + 4 * 7 + 3);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("outcomes");
    tcase_add_test(tc, test_freeway_state_keeps_each_cars_fields_together);
    tcase_add_test(tc, test_freeway_resets_cars_with_uniform_speeds_and_directions);
    tcase_add_test(tc,
                   test_freeway_crossing_rerandomizes_speeds_and_directions_and_keeps_positions);
    return mt_run(&minatar_freeway, tc);
}
