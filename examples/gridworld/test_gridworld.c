/* test_gridworld — the gridworld env's own tests, written against the installed testing API
 * (<ppofw-check/check.h>, `pkg-config --cflags --libs ppofw-check check`) with Check.
 *
 * `ppofw check-env` checks what every env owes the core (seeding, bounds, state, threads); these
 * tests check what this env promises: the goal ends the episode with +1, walls keep the agent
 * on the grid, every start is a cell other than the goal, slips come from the core's stream, and
 * the state round-trips. The harness calls the plugin exactly as the core would: with the core's
 * random stream, validated params and the core's host services.
 *
 * Build and run: make check (after make).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw-check/check.h>

enum { UP, RIGHT, DOWN, LEFT };

/* A harness around ./gridworld.so with these params; the test fails with the reason if it cannot
 * be made. Free it with ppo_harness_free. */
static ppo_harness_t *grid(const char *params)
{
    char *error = NULL;
    ppo_harness_t *h = ppo_harness_new("./gridworld.so", params, &error);
    ck_assert_msg(h != NULL, "%s", error);
    return h;
}

/* Put the agent on (x, y) through the env's own set_state (a callback the API does not wrap). */
static void place(ppo_harness_t *h, int x, int y, float *obs)
{
    const ppo_env_vtable_t *vt = ppo_harness_vtable(h);
    const double state[2] = {x, y};
    ck_assert_int_eq(vt->set_state(ppo_harness_instance(h), state, obs), 0);
}

/* One step with a discrete action; fails the test if the env fails. */
static void step(ppo_harness_t *h, int action, float *obs, double *reward, int *terminated)
{
    const float a = (float)action;
    ck_assert_msg(ppo_harness_env_step(h, &a, obs, reward, terminated) == 0, "%s",
                  ppo_harness_error(h));
}

START_TEST(test_reaching_the_goal_pays_one_and_terminates)
{
    ppo_harness_t *h = grid("{width: 3, height: 2, slip: 0, step_cost: 0.1}");
    float obs[2];
    double reward = 0.0;
    int terminated = -1;
    place(h, 1, 1, obs);
    step(h, RIGHT, obs, &reward, &terminated);
    ck_assert_float_eq(obs[0], 1.0f);
    ck_assert_float_eq(obs[1], 1.0f);
    ck_assert(reward == 1.0);
    ck_assert_int_eq(terminated, 1);
    /* any other step costs step_cost and goes on */
    place(h, 0, 0, obs);
    step(h, DOWN, obs, &reward, &terminated);
    ck_assert(reward == -0.1);
    ck_assert_int_eq(terminated, 0);
    ppo_harness_free(h);
}
END_TEST

START_TEST(test_walls_keep_the_agent_on_the_grid)
{
    ppo_harness_t *h = grid("{width: 4, height: 4, slip: 0}");
    float obs[2];
    double reward;
    int terminated;
    place(h, 0, 0, obs);
    step(h, UP, obs, &reward, &terminated);
    step(h, LEFT, obs, &reward, &terminated);
    ck_assert_float_eq(obs[0], 0.0f);
    ck_assert_float_eq(obs[1], 0.0f);
    place(h, 3, 0, obs);
    step(h, RIGHT, obs, &reward, &terminated);
    ck_assert_float_eq(obs[0], 1.0f);
    ck_assert_float_eq(obs[1], 0.0f);
    ppo_harness_free(h);
}
END_TEST

START_TEST(test_episodes_start_anywhere_but_on_the_goal)
{
    ppo_harness_t *h = grid("{width: 2, height: 2}");
    int seen[2][2] = {{0, 0}, {0, 0}};
    float obs[2];
    for (int i = 0; i < 300; i++) {
        ck_assert_int_eq(ppo_harness_env_reset(h, obs), 0);
        seen[(int)obs[1]][(int)obs[0]]++;
    }
    ck_assert_int_eq(seen[1][1], 0);
    /* the other three cells, each about a third of the time */
    ck_assert_int_gt(seen[0][0], 60);
    ck_assert_int_gt(seen[0][1], 60);
    ck_assert_int_gt(seen[1][0], 60);
    ppo_harness_free(h);
}
END_TEST

/* With slip 0.5, the walk repeats exactly under the same seed and differs under another: the
 * slips are drawn from the stream the core hands the env. */
START_TEST(test_slips_come_from_the_cores_stream)
{
    float walks[3][40];
    const uint64_t seeds[3] = {7, 7, 8};
    for (int w = 0; w < 3; w++) {
        ppo_harness_t *h = grid("{width: 8, height: 8, slip: 0.5}");
        ck_assert_int_eq(ppo_harness_seed(h, seeds[w]), 0);
        float obs[2];
        ck_assert_int_eq(ppo_harness_env_reset(h, obs), 0);
        for (int t = 0; t < 20; t++) {
            double reward;
            int terminated;
            step(h, RIGHT, obs, &reward, &terminated);
            walks[w][2 * t] = obs[0];
            walks[w][2 * t + 1] = obs[1];
        }
        ppo_harness_free(h);
    }
    ck_assert_mem_eq(walks[0], walks[1], sizeof(walks[0]));
    ck_assert_msg(memcmp(walks[0], walks[2], sizeof(walks[0])) != 0, "seeds 7 and 8 walk alike");
}
END_TEST

START_TEST(test_bad_params_are_refused_with_the_fix)
{
    char *error = NULL;
    ck_assert_ptr_null(ppo_harness_new("./gridworld.so", "{width: 1}", &error));
    ck_assert_msg(strstr(error, "width") != NULL && strstr(error, "2") != NULL, "%s", error);
    free(error);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gridworld");
    TCase *tc = tcase_create("env");
    tcase_add_test(tc, test_reaching_the_goal_pays_one_and_terminates);
    tcase_add_test(tc, test_walls_keep_the_agent_on_the_grid);
    tcase_add_test(tc, test_episodes_start_anywhere_but_on_the_goal);
    tcase_add_test(tc, test_slips_come_from_the_cores_stream);
    tcase_add_test(tc, test_bad_params_are_refused_with_the_fix);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
