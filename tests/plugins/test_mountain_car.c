/* ppofw tests — plugins/envs/mountain_car.c against Gymnasium's MountainCar-v0 reference data.
 *
 * The shared checks of env_reference.h on every row of MountainCar-v0.csv, .edge.csv and
 * .reset.csv. MountainCar's only libm call is cos, which Gymnasium takes from glibc as well, so
 * every step, observation and whole replayed episode must match bit for bit.
 */
#include "config.h"

#include "env_reference.h"

static const int mountain_car_obs_source[2] = {0, 1};
static const double mountain_car_obs_low[2] = {(double)-1.2f, (double)-0.07f};
static const double mountain_car_obs_high[2] = {(double)0.6f, (double)0.07f};
static const double mountain_car_reset_low[2] = {-0.6, 0.0};
static const double mountain_car_reset_high[2] = {-0.4, 0.0};

static void mountain_car_observe(const double *s, float *obs)
{
    obs[0] = (float)s[0];
    obs[1] = (float)s[1];
}

static const ppo_envref_spec_t mountain_car_spec = {
    .plugin = "mountain_car",
    .env_id = "MountainCar-v0",
    .max_episode_steps = 200,
    .state_dim = 2,
    .obs_dim = 2,
    .obs_source = mountain_car_obs_source,
    .obs_low = mountain_car_obs_low,
    .obs_high = mountain_car_obs_high,
    .n_actions = 3,
    .reset_low = mountain_car_reset_low,
    .reset_high = mountain_car_reset_high,
    .observe = mountain_car_observe,
    .bit_exact = true,
    .replay_tol = 0.0,
    .replay_steps = 0,
};

START_TEST(test_mountain_car_matches_reference_one_step_every_row)
{
    ppo_envref_check_one_step(&mountain_car_spec, ".csv");
}
END_TEST

START_TEST(test_mountain_car_matches_reference_one_step_every_edge_case)
{
    ppo_envref_check_one_step(&mountain_car_spec, ".edge.csv");
}
END_TEST

START_TEST(test_mountain_car_matches_reference_open_loop_bit_for_bit)
{
    ppo_envref_check_open_loop(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_declares_gymnasium_spaces_and_time_limit)
{
    ppo_envref_check_descriptor(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_reset_lies_in_bounds_and_observes_its_state)
{
    ppo_envref_check_reset_bounds(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_reset_depends_only_on_the_stream)
{
    ppo_envref_check_reset_seeds(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_reset_is_uniform_over_many_draws)
{
    ppo_envref_check_reset_statistics(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_state_round_trips_and_resumes_exactly)
{
    ppo_envref_check_state_round_trip(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_refuses_non_finite_state_and_step_before_reset)
{
    ppo_envref_check_refuses_bad_state(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_refuses_out_of_range_action_with_message)
{
    ppo_envref_check_refuses_bad_action(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_instances_run_concurrently_on_threads)
{
    ppo_envref_check_threads(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_renders_state_as_text)
{
    ppo_envref_check_render(&mountain_car_spec);
}
END_TEST

START_TEST(test_mountain_car_mask_velocity_hides_the_velocity_only)
{
    static const uint32_t masked[] = {1};
    ppo_envref_check_mask_velocity(&mountain_car_spec, masked, G_N_ELEMENTS(masked));
}
END_TEST

static Suite *mountain_car_suite(void)
{
    Suite *s = suite_create("mountain_car");
    TCase *tc = tcase_create("mountain_car");
    tcase_add_test(tc, test_mountain_car_matches_reference_one_step_every_row);
    tcase_add_test(tc, test_mountain_car_matches_reference_one_step_every_edge_case);
    tcase_add_test(tc, test_mountain_car_matches_reference_open_loop_bit_for_bit);
    tcase_add_test(tc, test_mountain_car_declares_gymnasium_spaces_and_time_limit);
    tcase_add_test(tc, test_mountain_car_reset_lies_in_bounds_and_observes_its_state);
    tcase_add_test(tc, test_mountain_car_reset_depends_only_on_the_stream);
    tcase_add_test(tc, test_mountain_car_reset_is_uniform_over_many_draws);
    tcase_add_test(tc, test_mountain_car_state_round_trips_and_resumes_exactly);
    tcase_add_test(tc, test_mountain_car_refuses_non_finite_state_and_step_before_reset);
    tcase_add_test(tc, test_mountain_car_refuses_out_of_range_action_with_message);
    tcase_add_test(tc, test_mountain_car_instances_run_concurrently_on_threads);
    tcase_add_test(tc, test_mountain_car_renders_state_as_text);
    tcase_add_test(tc, test_mountain_car_mask_velocity_hides_the_velocity_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(mountain_car_suite());
}
