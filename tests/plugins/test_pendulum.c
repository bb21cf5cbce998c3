/* ppofw tests — plugins/envs/pendulum.c against Gymnasium's Pendulum-v1 reference data.
 *
 * The shared checks of env_reference.h on every row of Pendulum-v1.csv, .edge.csv and
 * .reset.csv (open loop within 1e-12 over the whole 200-step episodes), plus Pendulum's own: the
 * torque is clipped to [-2, 2] inside the env for the dynamics and the cost alike, and the `g`
 * parameter changes the swing and nothing else.
 */
#include "config.h"

#include <math.h>

#include "env_reference.h"

static const int pendulum_obs_source[3] = {-1, -1, 1};
static const double pendulum_obs_low[3] = {-1.0, -1.0, -8.0};
static const double pendulum_obs_high[3] = {1.0, 1.0, 8.0};
static const double pendulum_act_low[1] = {-2.0};
static const double pendulum_act_high[1] = {2.0};
static const double pendulum_reset_low[2] = {-M_PI, -1.0};
static const double pendulum_reset_high[2] = {M_PI, 1.0};

static void pendulum_observe(const double *s, float *obs)
{
    obs[0] = (float)cos(s[0]);
    obs[1] = (float)sin(s[0]);
    obs[2] = (float)s[1];
}

static const ppo_envref_spec_t pendulum_spec = {
    .plugin = "pendulum",
    .env_id = "Pendulum-v1",
    .max_episode_steps = 200,
    .state_dim = 2,
    .obs_dim = 3,
    .obs_source = pendulum_obs_source,
    .obs_low = pendulum_obs_low,
    .obs_high = pendulum_obs_high,
    .n_actions = 0,
    .act_low = pendulum_act_low,
    .act_high = pendulum_act_high,
    .reset_low = pendulum_reset_low,
    .reset_high = pendulum_reset_high,
    .observe = pendulum_observe,
    .replay_tol = 1e-12,
    .replay_steps = 0,
};

START_TEST(test_pendulum_matches_reference_one_step_every_row)
{
    ppo_envref_check_one_step(&pendulum_spec, ".csv");
}
END_TEST

START_TEST(test_pendulum_matches_reference_one_step_every_edge_case)
{
    ppo_envref_check_one_step(&pendulum_spec, ".edge.csv");
}
END_TEST

START_TEST(test_pendulum_matches_reference_open_loop_within_1e_12)
{
    ppo_envref_check_open_loop(&pendulum_spec);
}
END_TEST

START_TEST(test_pendulum_declares_gymnasium_spaces_and_time_limit)
{
    ppo_envref_check_descriptor(&pendulum_spec);
}
END_TEST

START_TEST(test_pendulum_reset_lies_in_bounds_and_observes_its_state)
{
    ppo_envref_check_reset_bounds(&pendulum_spec);
}
END_TEST

START_TEST(test_pendulum_reset_depends_only_on_the_stream)
{
    ppo_envref_check_reset_seeds(&pendulum_spec);
}
END_TEST

START_TEST(test_pendulum_reset_is_uniform_over_many_draws)
{
    ppo_envref_check_reset_statistics(&pendulum_spec);
}
END_TEST

START_TEST(test_pendulum_state_round_trips_and_resumes_exactly)
{
    ppo_envref_check_state_round_trip(&pendulum_spec);
}
END_TEST

START_TEST(test_pendulum_refuses_non_finite_state_and_step_before_reset)
{
    ppo_envref_check_refuses_bad_state(&pendulum_spec);
}
END_TEST

START_TEST(test_pendulum_instances_run_concurrently_on_threads)
{
    ppo_envref_check_threads(&pendulum_spec);
}
END_TEST

START_TEST(test_pendulum_renders_state_as_text)
{
    ppo_envref_check_render(&pendulum_spec);
}
END_TEST

/* From every recorded state, a torque beyond [-2, 2] (each recorded one, and larger ones up to
 * infinity) gives exactly the bound's next state and reward: the cost charges the clipped u. */
START_TEST(test_pendulum_clips_torque_for_dynamics_and_cost)
{
    const char *suffixes[] = {".csv", ".edge.csv"};
    ppo_envref_env_t *env = ppo_envref_open(&pendulum_spec, "");
    guint recorded = 0;
    for (size_t f = 0; f < G_N_ELEMENTS(suffixes); f++) {
        ppo_envref_data_t *data = ppo_envref_data_load(&pendulum_spec, suffixes[f]);
        for (guint r = 0; r < data->n_rows; r++) {
            const float rec = ppo_envref_row_action(data, r);
            const float actions[] = {rec, 2.5f, -3.0f, 1e30f, INFINITY, -INFINITY};
            double s[2];
            ppo_envref_row_state(data, r, s);
            for (size_t i = 0; i < G_N_ELEMENTS(actions); i++) {
                const float a = actions[i];
                if (fabsf(a) <= 2.0f)
                    continue;
                const float clipped = a > 0 ? 2.0f : -2.0f;
                double sa[2], sc[2], ra, rc;
                float oa[3], oc[3];
                int ta, tc;
                ppo_envref_set_state(env, s, NULL);
                ppo_envref_step(env, a, oa, &ra, &ta);
                ppo_envref_get_state(env, sa);
                ppo_envref_set_state(env, s, NULL);
                ppo_envref_step(env, clipped, oc, &rc, &tc);
                ppo_envref_get_state(env, sc);
                ck_assert_msg(memcmp(sa, sc, sizeof(sa)) == 0 && memcmp(oa, oc, sizeof(oa)) == 0 &&
                                  ra == rc && ta == 0 && tc == 0,
                              "%s row %u: torque %g acts differently from %g", data->name, r + 2,
                              (double)a, (double)clipped);
                recorded += i == 0;
            }
        }
        ppo_envref_data_free(data);
    }
    ck_assert_uint_gt(recorded, 0);
    printf("Pendulum-v1: %u recorded torques beyond [-2, 2]\n", recorded);
    ppo_envref_close(env);
}
END_TEST

/* With g = 9.81 instead of 10, from every recorded state and action: the reward (the cost of
 * the state before the step) is unchanged; where the speed limit does not bind, the velocity
 * changes by 3 (g' - g) / 2 sin(theta) dt and the angle by that times dt. */
START_TEST(test_pendulum_g_changes_only_the_gravity_term)
{
    const char *suffixes[] = {".csv", ".edge.csv"};
    const double g0 = 10.0, g1 = 9.81, dt = 0.05;
    ppo_envref_env_t *e0 = ppo_envref_open(&pendulum_spec, "");
    ppo_envref_env_t *e1 = ppo_envref_open(&pendulum_spec, "{g: 9.81}");
    guint free_rows = 0;
    for (size_t f = 0; f < G_N_ELEMENTS(suffixes); f++) {
        ppo_envref_data_t *data = ppo_envref_data_load(&pendulum_spec, suffixes[f]);
        for (guint r = 0; r < data->n_rows; r++) {
            double s[2], n0[2], n1[2], r0, r1;
            float obs[3];
            int t0, t1;
            ppo_envref_row_state(data, r, s);
            const float a = ppo_envref_row_action(data, r);
            ppo_envref_set_state(e0, s, NULL);
            ppo_envref_set_state(e1, s, NULL);
            ppo_envref_step(e0, a, obs, &r0, &t0);
            ppo_envref_step(e1, a, obs, &r1, &t1);
            ppo_envref_get_state(e0, n0);
            ppo_envref_get_state(e1, n1);
            ck_assert_msg(r0 == r1, "%s row %u: reward %.17g with g = 9.81, %.17g with 10",
                          data->name, r + 2, r1, r0);
            if (fabs(n0[1]) >= 8.0 || fabs(n1[1]) >= 8.0)
                continue;
            const double dv = 3.0 * (g1 - g0) / 2.0 * sin(s[0]) * dt;
            ck_assert_msg(fabs((n1[1] - n0[1]) - dv) <= 1e-12,
                          "%s row %u: velocity change %.17g, expected %.17g", data->name, r + 2,
                          n1[1] - n0[1], dv);
            ck_assert_msg(fabs((n1[0] - n0[0]) - dv * dt) <= 1e-12,
                          "%s row %u: angle change %.17g, expected %.17g", data->name, r + 2,
                          n1[0] - n0[0], dv * dt);
            free_rows++;
        }
        ppo_envref_data_free(data);
    }
    ck_assert_uint_gt(free_rows, 0);
    ppo_envref_close(e1);
    ppo_envref_close(e0);
}
END_TEST

START_TEST(test_pendulum_mask_velocity_hides_the_velocity_only)
{
    static const uint32_t masked[] = {2};
    ppo_envref_check_mask_velocity(&pendulum_spec, masked, G_N_ELEMENTS(masked));
}
END_TEST

static Suite *pendulum_suite(void)
{
    Suite *s = suite_create("pendulum");
    TCase *tc = tcase_create("pendulum");
    tcase_add_test(tc, test_pendulum_matches_reference_one_step_every_row);
    tcase_add_test(tc, test_pendulum_matches_reference_one_step_every_edge_case);
    tcase_add_test(tc, test_pendulum_matches_reference_open_loop_within_1e_12);
    tcase_add_test(tc, test_pendulum_declares_gymnasium_spaces_and_time_limit);
    tcase_add_test(tc, test_pendulum_reset_lies_in_bounds_and_observes_its_state);
    tcase_add_test(tc, test_pendulum_reset_depends_only_on_the_stream);
    tcase_add_test(tc, test_pendulum_reset_is_uniform_over_many_draws);
    tcase_add_test(tc, test_pendulum_state_round_trips_and_resumes_exactly);
    tcase_add_test(tc, test_pendulum_refuses_non_finite_state_and_step_before_reset);
    tcase_add_test(tc, test_pendulum_instances_run_concurrently_on_threads);
    tcase_add_test(tc, test_pendulum_renders_state_as_text);
    tcase_add_test(tc, test_pendulum_clips_torque_for_dynamics_and_cost);
    tcase_add_test(tc, test_pendulum_g_changes_only_the_gravity_term);
    tcase_add_test(tc, test_pendulum_mask_velocity_hides_the_velocity_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(pendulum_suite());
}
