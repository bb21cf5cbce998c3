/* ppofw tests — plugins/envs/acrobot.c against Gymnasium's Acrobot-v1 reference data.
 *
 * The shared checks of env_reference.h on every row of Acrobot-v1.csv, .edge.csv and
 * .reset.csv, plus Acrobot's own: angles far outside [-pi, pi] wrap back into it and the
 * velocities stay clipped. Open-loop replays cover the first 200 steps: the README measured one
 * episode drifting chaotically to 2.9e-6 by t = 482 with glibc sin/cos.
 */
#include "config.h"

#include <math.h>

#include "env_reference.h"

static const int acrobot_obs_source[6] = {-1, -1, -1, -1, 2, 3};
static const double acrobot_obs_high[6] = {
    1.0, 1.0, 1.0, 1.0, (double)(float)(4 * M_PI), (double)(float)(9 * M_PI)};
static const double acrobot_obs_low[6] = {
    -1.0, -1.0, -1.0, -1.0, -(double)(float)(4 * M_PI), -(double)(float)(9 * M_PI)};
static const double acrobot_reset_low[4] = {-0.1, -0.1, -0.1, -0.1};
static const double acrobot_reset_high[4] = {0.1, 0.1, 0.1, 0.1};

static void acrobot_observe(const double *s, float *obs)
{
    obs[0] = (float)cos(s[0]);
    obs[1] = (float)sin(s[0]);
    obs[2] = (float)cos(s[1]);
    obs[3] = (float)sin(s[1]);
    obs[4] = (float)s[2];
    obs[5] = (float)s[3];
}

static const ppo_envref_spec_t acrobot_spec = {
    .plugin = "acrobot",
    .env_id = "Acrobot-v1",
    .max_episode_steps = 500,
    .state_dim = 4,
    .obs_dim = 6,
    .obs_source = acrobot_obs_source,
    .obs_low = acrobot_obs_low,
    .obs_high = acrobot_obs_high,
    .n_actions = 3,
    .reset_low = acrobot_reset_low,
    .reset_high = acrobot_reset_high,
    .reset_float32 = true,
    .observe = acrobot_observe,
    .replay_tol = 1e-9,
    .replay_steps = 200,
};

START_TEST(test_acrobot_matches_reference_one_step_every_row)
{
    ppo_envref_check_one_step(&acrobot_spec, ".csv");
}
END_TEST

START_TEST(test_acrobot_matches_reference_one_step_every_edge_case)
{
    ppo_envref_check_one_step(&acrobot_spec, ".edge.csv");
}
END_TEST

START_TEST(test_acrobot_matches_reference_open_loop_first_200_steps)
{
    ppo_envref_check_open_loop(&acrobot_spec);
}
END_TEST

START_TEST(test_acrobot_declares_gymnasium_spaces_and_time_limit)
{
    ppo_envref_check_descriptor(&acrobot_spec);
}
END_TEST

START_TEST(test_acrobot_reset_lies_in_bounds_and_observes_its_state)
{
    ppo_envref_check_reset_bounds(&acrobot_spec);
}
END_TEST

START_TEST(test_acrobot_reset_depends_only_on_the_stream)
{
    ppo_envref_check_reset_seeds(&acrobot_spec);
}
END_TEST

START_TEST(test_acrobot_reset_is_uniform_over_many_draws)
{
    ppo_envref_check_reset_statistics(&acrobot_spec);
}
END_TEST

START_TEST(test_acrobot_state_round_trips_and_resumes_exactly)
{
    ppo_envref_check_state_round_trip(&acrobot_spec);
}
END_TEST

START_TEST(test_acrobot_refuses_non_finite_state_and_step_before_reset)
{
    ppo_envref_check_refuses_bad_state(&acrobot_spec);
}
END_TEST

START_TEST(test_acrobot_refuses_out_of_range_action_with_message)
{
    ppo_envref_check_refuses_bad_action(&acrobot_spec);
}
END_TEST

START_TEST(test_acrobot_instances_run_concurrently_on_threads)
{
    ppo_envref_check_threads(&acrobot_spec);
}
END_TEST

START_TEST(test_acrobot_renders_state_as_text)
{
    ppo_envref_check_render(&acrobot_spec);
}
END_TEST

/* From angles many turns away, in both directions and with every action, one step lands in
 * [-pi, pi] with the velocities inside their limits, as Gymnasium's wrap and bound leave them. */
START_TEST(test_acrobot_wraps_far_angles_and_clips_velocities)
{
    ppo_envref_env_t *env = ppo_envref_open(&acrobot_spec, "");
    for (int turns = -200; turns <= 200; turns += 7) {
        for (int a = 0; a < 3; a++) {
            const double s[4] = {turns * M_PI + 0.3, -turns * M_PI - 0.2, 50.0 * (a - 1),
                                 -80.0 * (a - 1)};
            double ns[4], reward;
            float obs[6];
            int terminated;
            ppo_envref_set_state(env, s, NULL);
            ppo_envref_step(env, (float)a, obs, &reward, &terminated);
            ppo_envref_get_state(env, ns);
            ck_assert_msg(ns[0] >= -M_PI && ns[0] <= M_PI && ns[1] >= -M_PI && ns[1] <= M_PI,
                          "from %d turns: angles %.17g, %.17g not wrapped", turns, ns[0], ns[1]);
            ck_assert_msg(fabs(ns[2]) <= 4 * M_PI && fabs(ns[3]) <= 9 * M_PI,
                          "velocities %.17g, %.17g beyond 4 pi, 9 pi", ns[2], ns[3]);
            ck_assert_msg(reward == (terminated ? 0.0 : -1.0), "reward %g, terminated %d", reward,
                          terminated);
        }
    }
    ppo_envref_close(env);
}
END_TEST

/* terminated is exactly "the new tip height -cos theta1 - cos(theta1 + theta2) exceeds 1": a
 * fine sweep of states released near the threshold height crosses it, and each step's flag and
 * reward must agree with the height of the state the step left. */
START_TEST(test_acrobot_terminates_exactly_above_the_threshold_height)
{
    enum { N = 20001 };
    ppo_envref_env_t *env = ppo_envref_open(&acrobot_spec, "");
    double closest_in = HUGE_VAL, closest_out = HUGE_VAL;
    guint n_terminated = 0;
    for (int i = 0; i < N; i++) {
        const double theta1 = 2 * M_PI / 3 + 0.3 * (2.0 * i / (N - 1) - 1.0);
        const int a = i % 3;
        const double s[4] = {theta1, 0.1 * (i % 5 - 2), 0.0, 0.0};
        double ns[4], reward;
        float obs[6];
        int terminated;
        ppo_envref_set_state(env, s, NULL);
        ppo_envref_step(env, (float)a, obs, &reward, &terminated);
        ppo_envref_get_state(env, ns);
        const double height = -cos(ns[0]) - cos(ns[1] + ns[0]);
        ck_assert_msg(terminated == (height > 1.0), "theta1 %.17g: new height %.17g, terminated %d",
                      theta1, height, terminated);
        ck_assert_msg(reward == (terminated ? 0.0 : -1.0), "reward %g, terminated %d", reward,
                      terminated);
        if (terminated)
            closest_in = fmin(closest_in, height - 1.0);
        else
            closest_out = fmin(closest_out, 1.0 - height);
        n_terminated += (guint)terminated;
    }
    /* the sweep came within 1e-4 of the threshold from both sides */
    ck_assert_msg(closest_in < 1e-4 && closest_out < 1e-4, "closest heights above %.3g, below %.3g",
                  closest_in, closest_out);
    printf("Acrobot-v1 threshold sweep: %u of %d steps terminated, closest %.3g above and %.3g "
           "below 1\n",
           n_terminated, N, closest_in, closest_out);
    ppo_envref_close(env);
}
END_TEST

static Suite *acrobot_suite(void)
{
    Suite *s = suite_create("acrobot");
    TCase *tc = tcase_create("acrobot");
    tcase_add_test(tc, test_acrobot_matches_reference_one_step_every_row);
    tcase_add_test(tc, test_acrobot_matches_reference_one_step_every_edge_case);
    tcase_add_test(tc, test_acrobot_matches_reference_open_loop_first_200_steps);
    tcase_add_test(tc, test_acrobot_declares_gymnasium_spaces_and_time_limit);
    tcase_add_test(tc, test_acrobot_reset_lies_in_bounds_and_observes_its_state);
    tcase_add_test(tc, test_acrobot_reset_depends_only_on_the_stream);
    tcase_add_test(tc, test_acrobot_reset_is_uniform_over_many_draws);
    tcase_add_test(tc, test_acrobot_state_round_trips_and_resumes_exactly);
    tcase_add_test(tc, test_acrobot_refuses_non_finite_state_and_step_before_reset);
    tcase_add_test(tc, test_acrobot_refuses_out_of_range_action_with_message);
    tcase_add_test(tc, test_acrobot_instances_run_concurrently_on_threads);
    tcase_add_test(tc, test_acrobot_renders_state_as_text);
    tcase_add_test(tc, test_acrobot_wraps_far_angles_and_clips_velocities);
    tcase_add_test(tc, test_acrobot_terminates_exactly_above_the_threshold_height);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(acrobot_suite());
}
