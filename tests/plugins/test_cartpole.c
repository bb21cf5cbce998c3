/* ppofw tests — plugins/envs/cartpole.c against Gymnasium's CartPole-v1 reference data.
 *
 * The shared checks of env_reference.h on every row of CartPole-v1.csv, .edge.csv and
 * .reset.csv, plus what only CartPole has: the sutton_barto_reward option and Gymnasium's
 * reward for steps after termination. Open-loop replays cover the first 200 steps only: the
 * 500-step episodes are chaotic, and even two Gymnasium versions drift apart after ~300 steps.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "env_reference.h"

static const int cartpole_obs_source[4] = {0, 1, 2, 3};
static const double cartpole_obs_high[4] = {
    (double)4.8f, (double)FLT_MAX, (double)(float)(12 * 2 * M_PI / 360 * 2), (double)FLT_MAX};
static const double cartpole_obs_low[4] = {
    -(double)4.8f, -(double)FLT_MAX, -(double)(float)(12 * 2 * M_PI / 360 * 2), -(double)FLT_MAX};
static const double cartpole_reset_low[4] = {-0.05, -0.05, -0.05, -0.05};
static const double cartpole_reset_high[4] = {0.05, 0.05, 0.05, 0.05};

static void cartpole_observe(const double *s, float *obs)
{
    for (int i = 0; i < 4; i++)
        obs[i] = (float)s[i];
}

static const ppo_envref_spec_t cartpole_spec = {
    .plugin = "cartpole",
    .env_id = "CartPole-v1",
    .max_episode_steps = 500,
    .state_dim = 4,
    .obs_dim = 4,
    .obs_source = cartpole_obs_source,
    .obs_low = cartpole_obs_low,
    .obs_high = cartpole_obs_high,
    .n_actions = 2,
    .reset_low = cartpole_reset_low,
    .reset_high = cartpole_reset_high,
    .observe = cartpole_observe,
    .replay_tol = 1e-9,
    .replay_steps = 200,
};

START_TEST(test_cartpole_matches_reference_one_step_every_row)
{
    ppo_envref_check_one_step(&cartpole_spec, ".csv");
}
END_TEST

START_TEST(test_cartpole_matches_reference_one_step_every_edge_case)
{
    ppo_envref_check_one_step(&cartpole_spec, ".edge.csv");
}
END_TEST

START_TEST(test_cartpole_matches_reference_open_loop_first_200_steps)
{
    ppo_envref_check_open_loop(&cartpole_spec);
}
END_TEST

START_TEST(test_cartpole_declares_gymnasium_spaces_and_time_limit)
{
    ppo_envref_check_descriptor(&cartpole_spec);
}
END_TEST

START_TEST(test_cartpole_reset_lies_in_bounds_and_observes_its_state)
{
    ppo_envref_check_reset_bounds(&cartpole_spec);
}
END_TEST

START_TEST(test_cartpole_reset_depends_only_on_the_stream)
{
    ppo_envref_check_reset_seeds(&cartpole_spec);
}
END_TEST

START_TEST(test_cartpole_reset_is_uniform_over_many_draws)
{
    ppo_envref_check_reset_statistics(&cartpole_spec);
}
END_TEST

START_TEST(test_cartpole_state_round_trips_and_resumes_exactly)
{
    ppo_envref_check_state_round_trip(&cartpole_spec);
}
END_TEST

START_TEST(test_cartpole_refuses_non_finite_state_and_step_before_reset)
{
    ppo_envref_check_refuses_bad_state(&cartpole_spec);
}
END_TEST

START_TEST(test_cartpole_refuses_out_of_range_action_with_message)
{
    ppo_envref_check_refuses_bad_action(&cartpole_spec);
}
END_TEST

START_TEST(test_cartpole_instances_run_concurrently_on_threads)
{
    ppo_envref_check_threads(&cartpole_spec);
}
END_TEST

START_TEST(test_cartpole_renders_state_as_text)
{
    ppo_envref_check_render(&cartpole_spec);
}
END_TEST

/* Every row of both files with sutton_barto_reward: the same dynamics, reward 0 per step and -1
 * on termination. */
START_TEST(test_cartpole_sutton_barto_reward_pays_zero_then_minus_one)
{
    const char *suffixes[] = {".csv", ".edge.csv"};
    ppo_envref_env_t *plain = ppo_envref_open(&cartpole_spec, "");
    ppo_envref_env_t *sb = ppo_envref_open(&cartpole_spec, "{sutton_barto_reward: true}");
    guint rows = 0, terminating = 0;
    for (size_t f = 0; f < G_N_ELEMENTS(suffixes); f++) {
        ppo_envref_data_t *data = ppo_envref_data_load(&cartpole_spec, suffixes[f]);
        for (guint r = 0; r < data->n_rows; r++) {
            double s[4], sa[4], sbs[4], ra, rb;
            float oa[4], ob[4];
            int ta, tb;
            ppo_envref_row_state(data, r, s);
            const float a = ppo_envref_row_action(data, r);
            ppo_envref_set_state(plain, s, NULL);
            ppo_envref_set_state(sb, s, NULL);
            ppo_envref_step(plain, a, oa, &ra, &ta);
            ppo_envref_step(sb, a, ob, &rb, &tb);
            ppo_envref_get_state(plain, sa);
            ppo_envref_get_state(sb, sbs);
            ck_assert_msg(memcmp(sa, sbs, sizeof(sa)) == 0 && memcmp(oa, ob, sizeof(oa)) == 0 &&
                              ta == tb,
                          "%s row %u: the reward option changed the dynamics", data->name, r + 2);
            ck_assert_msg(ra == 1.0, "%s row %u: default reward %g", data->name, r + 2, ra);
            ck_assert_msg(rb == (tb ? -1.0 : 0.0), "%s row %u: reward %g with terminated %d",
                          data->name, r + 2, rb, tb);
            rows++;
            terminating += (guint)tb;
        }
        ppo_envref_data_free(data);
    }
    ck_assert_uint_gt(terminating, 0);
    printf("sutton_barto_reward: %u rows, %u terminating\n", rows, terminating);
    ppo_envref_close(sb);
    ppo_envref_close(plain);
}
END_TEST

/* Gymnasium's steps_beyond_terminated: the terminating step pays 1 (or -1), later steps without
 * a reset pay 0 (or -1) while still terminated, and the first of them logs one warning;
 * set_state starts a new episode. Checked from every terminating row of both files. */
START_TEST(test_cartpole_steps_after_termination_pay_gymnasium_reward)
{
    const char *suffixes[] = {".csv", ".edge.csv"};
    const char *params[] = {"", "{sutton_barto_reward: true}"};
    guint cases = 0, warnings_expected = 0;

    /* catch the host's log on stderr to count the warnings */
    FILE *log = tmpfile();
    ck_assert_ptr_nonnull(log);
    fflush(stderr);
    const int saved_stderr = dup(STDERR_FILENO);
    ck_assert_int_ge(dup2(fileno(log), STDERR_FILENO), 0);

    for (size_t p = 0; p < G_N_ELEMENTS(params); p++) {
        ppo_envref_env_t *env = ppo_envref_open(&cartpole_spec, params[p]);
        const double first = p == 0 ? 1.0 : -1.0, beyond = p == 0 ? 0.0 : -1.0;
        const double alive = p == 0 ? 1.0 : 0.0;
        for (size_t f = 0; f < G_N_ELEMENTS(suffixes); f++) {
            ppo_envref_data_t *data = ppo_envref_data_load(&cartpole_spec, suffixes[f]);
            for (guint r = 0; r < data->n_rows; r++) {
                if (ppo_csv_num(data->csv, r, data->col_terminated) != 1.0)
                    continue;
                double s[4], reward;
                float obs[4];
                int terminated;
                ppo_envref_row_state(data, r, s);
                const float a = ppo_envref_row_action(data, r);
                for (int again = 0; again < 2; again++) {
                    ppo_envref_set_state(env, s, NULL);
                    ppo_envref_step(env, a, obs, &reward, &terminated);
                    ck_assert_int_eq(terminated, 1);
                    ck_assert_msg(reward == first, "%s row %u: terminating reward %g", data->name,
                                  r + 2, reward);
                    bool warned = false;
                    for (int k = 0; k < 3; k++) {
                        ppo_envref_step(env, a, obs, &reward, &terminated);
                        ck_assert_msg(reward == (terminated ? beyond : alive),
                                      "%s row %u: step %d after termination pays %g", data->name,
                                      r + 2, k + 1, reward);
                        warned = warned || terminated;
                    }
                    warnings_expected += warned;
                }
                cases++;
            }
            ppo_envref_data_free(data);
        }
        ppo_envref_close(env);
    }

    /* one warning per episode stepped on while terminated */
    fflush(stderr);
    ck_assert_int_ge(dup2(saved_stderr, STDERR_FILENO), 0);
    close(saved_stderr);
    guint warnings = 0;
    char line[512];
    rewind(log);
    while (fgets(line, sizeof(line), log) != NULL)
        warnings +=
            strstr(line, "cartpole: warning: step called after the episode terminated") != NULL;
    fclose(log);
    ck_assert_uint_gt(cases, 0);
    ck_assert_uint_gt(warnings_expected, 0);
    ck_assert_uint_eq(warnings, warnings_expected);
    printf("steps after termination: %u terminating rows, %u warnings\n", cases, warnings);
}
END_TEST

/* Termination uses strict inequalities on the new state: with zero velocities a step keeps x
 * and theta exactly, so a state on a threshold survives and the next double beyond it ends the
 * episode, on both sides of both thresholds. */
START_TEST(test_cartpole_terminates_strictly_beyond_thresholds)
{
    const double x_max = 2.4, theta_max = 12 * 2 * M_PI / 360;
    const struct {
        double x, theta;
        int terminated;
    } cases[] = {
        {x_max, 0.0, 0},      {nextafter(x_max, HUGE_VAL), 0.0, 1},
        {-x_max, 0.0, 0},     {nextafter(-x_max, -HUGE_VAL), 0.0, 1},
        {0.0, theta_max, 0},  {0.0, nextafter(theta_max, HUGE_VAL), 1},
        {0.0, -theta_max, 0}, {0.0, nextafter(-theta_max, -HUGE_VAL), 1},
    };
    ppo_envref_env_t *env = ppo_envref_open(&cartpole_spec, "");
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (int a = 0; a < 2; a++) {
            const double s[4] = {cases[i].x, 0.0, cases[i].theta, 0.0};
            double ns[4], reward;
            float obs[4];
            int terminated;
            ppo_envref_set_state(env, s, NULL);
            ppo_envref_step(env, (float)a, obs, &reward, &terminated);
            ppo_envref_get_state(env, ns);
            ck_assert_msg(ns[0] == s[0] && ns[2] == s[2], "case %zu: x or theta moved", i);
            ck_assert_msg(terminated == cases[i].terminated,
                          "x = %.17g, theta = %.17g: terminated %d, expected %d", s[0], s[2],
                          terminated, cases[i].terminated);
            ck_assert_msg(reward == 1.0, "case %zu: reward %g", i, reward);
        }
    }
    ppo_envref_close(env);
}
END_TEST

START_TEST(test_cartpole_mask_velocity_hides_velocities_only)
{
    static const uint32_t masked[] = {1, 3};
    ppo_envref_check_mask_velocity(&cartpole_spec, masked, G_N_ELEMENTS(masked));
}
END_TEST

static Suite *cartpole_suite(void)
{
    Suite *s = suite_create("cartpole");
    TCase *tc = tcase_create("cartpole");
    tcase_add_test(tc, test_cartpole_matches_reference_one_step_every_row);
    tcase_add_test(tc, test_cartpole_matches_reference_one_step_every_edge_case);
    tcase_add_test(tc, test_cartpole_matches_reference_open_loop_first_200_steps);
    tcase_add_test(tc, test_cartpole_declares_gymnasium_spaces_and_time_limit);
    tcase_add_test(tc, test_cartpole_reset_lies_in_bounds_and_observes_its_state);
    tcase_add_test(tc, test_cartpole_reset_depends_only_on_the_stream);
    tcase_add_test(tc, test_cartpole_reset_is_uniform_over_many_draws);
    tcase_add_test(tc, test_cartpole_state_round_trips_and_resumes_exactly);
    tcase_add_test(tc, test_cartpole_refuses_non_finite_state_and_step_before_reset);
    tcase_add_test(tc, test_cartpole_refuses_out_of_range_action_with_message);
    tcase_add_test(tc, test_cartpole_instances_run_concurrently_on_threads);
    tcase_add_test(tc, test_cartpole_renders_state_as_text);
    tcase_add_test(tc, test_cartpole_terminates_strictly_beyond_thresholds);
    tcase_add_test(tc, test_cartpole_sutton_barto_reward_pays_zero_then_minus_one);
    tcase_add_test(tc, test_cartpole_steps_after_termination_pay_gymnasium_reward);
    tcase_add_test(tc, test_cartpole_mask_velocity_hides_velocities_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(cartpole_suite());
}
