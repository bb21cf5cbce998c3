/* ppofw tests — plugins/envs/mountain_car_continuous.c against Gymnasium's
 * MountainCarContinuous-v0 reference data.
 *
 * The shared checks of env_reference.h on every row of MountainCarContinuous-v0.csv, .edge.csv
 * and .reset.csv, bit for bit (the only libm call is cos, glibc's in Gymnasium too; the state is
 * rounded to float32 after each step as Gymnasium stores it), plus the action handling: the
 * force is clipped to [-1, 1] inside the env for any float, while the reward charges the
 * unclipped action.
 */
#include "config.h"

#include <math.h>

#include "env_reference.h"

static const int mcc_obs_source[2] = {0, 1};
static const double mcc_obs_low[2] = {(double)-1.2f, (double)-0.07f};
static const double mcc_obs_high[2] = {(double)0.6f, (double)0.07f};
static const double mcc_act_low[1] = {-1.0};
static const double mcc_act_high[1] = {1.0};
static const double mcc_reset_low[2] = {-0.6, 0.0};
static const double mcc_reset_high[2] = {-0.4, 0.0};

static void mcc_observe(const double *s, float *obs)
{
    obs[0] = (float)s[0];
    obs[1] = (float)s[1];
}

static const ppo_envref_spec_t mountain_car_continuous_spec = {
    .plugin = "mountain_car_continuous",
    .env_id = "MountainCarContinuous-v0",
    .max_episode_steps = 999,
    .state_dim = 2,
    .obs_dim = 2,
    .obs_source = mcc_obs_source,
    .obs_low = mcc_obs_low,
    .obs_high = mcc_obs_high,
    .n_actions = 0,
    .act_low = mcc_act_low,
    .act_high = mcc_act_high,
    .reset_low = mcc_reset_low,
    .reset_high = mcc_reset_high,
    .observe = mcc_observe,
    .bit_exact = true,
    .replay_tol = 0.0,
    .replay_steps = 0,
};

START_TEST(test_mountain_car_continuous_matches_reference_one_step_every_row)
{
    ppo_envref_check_one_step(&mountain_car_continuous_spec, ".csv");
}
END_TEST

START_TEST(test_mountain_car_continuous_matches_reference_one_step_every_edge_case)
{
    ppo_envref_check_one_step(&mountain_car_continuous_spec, ".edge.csv");
}
END_TEST

START_TEST(test_mountain_car_continuous_matches_reference_open_loop_bit_for_bit)
{
    ppo_envref_check_open_loop(&mountain_car_continuous_spec);
}
END_TEST

START_TEST(test_mountain_car_continuous_declares_gymnasium_spaces_and_time_limit)
{
    ppo_envref_check_descriptor(&mountain_car_continuous_spec);
}
END_TEST

START_TEST(test_mountain_car_continuous_reset_lies_in_bounds_and_observes_its_state)
{
    ppo_envref_check_reset_bounds(&mountain_car_continuous_spec);
}
END_TEST

START_TEST(test_mountain_car_continuous_reset_depends_only_on_the_stream)
{
    ppo_envref_check_reset_seeds(&mountain_car_continuous_spec);
}
END_TEST

START_TEST(test_mountain_car_continuous_reset_is_uniform_over_many_draws)
{
    ppo_envref_check_reset_statistics(&mountain_car_continuous_spec);
}
END_TEST

START_TEST(test_mountain_car_continuous_state_round_trips_and_resumes_exactly)
{
    ppo_envref_check_state_round_trip(&mountain_car_continuous_spec);
}
END_TEST

START_TEST(test_mountain_car_continuous_refuses_non_finite_state_and_step_before_reset)
{
    ppo_envref_check_refuses_bad_state(&mountain_car_continuous_spec);
}
END_TEST

START_TEST(test_mountain_car_continuous_instances_run_concurrently_on_threads)
{
    ppo_envref_check_threads(&mountain_car_continuous_spec);
}
END_TEST

START_TEST(test_mountain_car_continuous_renders_state_as_text)
{
    ppo_envref_check_render(&mountain_car_continuous_spec);
}
END_TEST

/* From every recorded state, an action beyond [-1, 1] moves the car exactly as the bound does,
 * while its reward charges 0.1 a0^2 of the action as given: compared with the bound's reward
 * the difference is 0.1 (clip(a0)^2 - a0^2). Each recorded out-of-range action and a sweep of
 * larger ones (up to 1e30) are tried. */
START_TEST(test_mountain_car_continuous_clips_force_but_charges_unclipped_action)
{
    const char *suffixes[] = {".csv", ".edge.csv"};
    ppo_envref_env_t *env = ppo_envref_open(&mountain_car_continuous_spec, "");
    guint recorded = 0;
    for (size_t f = 0; f < G_N_ELEMENTS(suffixes); f++) {
        ppo_envref_data_t *data = ppo_envref_data_load(&mountain_car_continuous_spec, suffixes[f]);
        for (guint r = 0; r < data->n_rows; r++) {
            const float rec = ppo_envref_row_action(data, r);
            const float actions[] = {rec, 1.5f, -2.0f, 3.0f, -1e30f};
            double s[2];
            ppo_envref_row_state(data, r, s);
            for (size_t i = 0; i < G_N_ELEMENTS(actions); i++) {
                const float a = actions[i];
                if (fabsf(a) <= 1.0f)
                    continue;
                const float clipped = a > 0 ? 1.0f : -1.0f;
                double sa[2], sc[2], ra, rc;
                float oa[2], oc[2];
                int ta, tc;
                ppo_envref_set_state(env, s, NULL);
                ppo_envref_step(env, a, oa, &ra, &ta);
                ppo_envref_get_state(env, sa);
                ppo_envref_set_state(env, s, NULL);
                ppo_envref_step(env, clipped, oc, &rc, &tc);
                ppo_envref_get_state(env, sc);
                ck_assert_msg(memcmp(sa, sc, sizeof(sa)) == 0 && memcmp(oa, oc, sizeof(oa)) == 0 &&
                                  ta == tc,
                              "%s row %u: action %g moves differently from %g", data->name, r + 2,
                              (double)a, (double)clipped);
                const double expect = 0.1 * ((double)clipped * clipped - (double)a * a);
                ck_assert_msg(fabs((ra - rc) - expect) <= 1e-12 * (1.0 + fabs(expect)),
                              "%s row %u: action %g pays %.17g, its bound %.17g", data->name, r + 2,
                              (double)a, ra, rc);
                recorded += i == 0;
            }
        }
        ppo_envref_data_free(data);
    }
    ck_assert_uint_gt(recorded, 0);
    printf("MountainCarContinuous-v0: %u recorded actions beyond [-1, 1]\n", recorded);
    ppo_envref_close(env);
}
END_TEST

START_TEST(test_mountain_car_continuous_mask_velocity_hides_the_velocity_only)
{
    static const uint32_t masked[] = {1};
    ppo_envref_check_mask_velocity(&mountain_car_continuous_spec, masked, G_N_ELEMENTS(masked));
}
END_TEST

static Suite *mountain_car_continuous_suite(void)
{
    Suite *s = suite_create("mountain_car_continuous");
    TCase *tc = tcase_create("mountain_car_continuous");
    tcase_add_test(tc, test_mountain_car_continuous_matches_reference_one_step_every_row);
    tcase_add_test(tc, test_mountain_car_continuous_matches_reference_one_step_every_edge_case);
    tcase_add_test(tc, test_mountain_car_continuous_matches_reference_open_loop_bit_for_bit);
    tcase_add_test(tc, test_mountain_car_continuous_declares_gymnasium_spaces_and_time_limit);
    tcase_add_test(tc, test_mountain_car_continuous_reset_lies_in_bounds_and_observes_its_state);
    tcase_add_test(tc, test_mountain_car_continuous_reset_depends_only_on_the_stream);
    tcase_add_test(tc, test_mountain_car_continuous_reset_is_uniform_over_many_draws);
    tcase_add_test(tc, test_mountain_car_continuous_state_round_trips_and_resumes_exactly);
    tcase_add_test(tc, test_mountain_car_continuous_refuses_non_finite_state_and_step_before_reset);
    tcase_add_test(tc, test_mountain_car_continuous_instances_run_concurrently_on_threads);
    tcase_add_test(tc, test_mountain_car_continuous_renders_state_as_text);
    tcase_add_test(tc, test_mountain_car_continuous_clips_force_but_charges_unclipped_action);
    tcase_add_test(tc, test_mountain_car_continuous_mask_velocity_hides_the_velocity_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(mountain_car_continuous_suite());
}
