/* Tests of plugins/envs/mujoco/inverted_pendulum.c and models/inverted_pendulum.xml.
 *
 * The model tests pin what MuJoCo 2.2.2 computes from the shipped file to the figures of
 * shared/reference/mujoco-models.md §6 (InvertedPendulum) and the description of §5; the env
 * tests recompute InvertedPendulum-v4's observation, reward and termination (§7.5) from the
 * states around each step.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "mj_test.h"

/* ---- pinned figures (§6, §5) ---- */

/* the tables are laid out as the reference lays them out */
/* clang-format off */

static const mjt_body_pin_t bodies[] = {
    {"world", 0, {0, 0, 0}, 0, {0, 0, 0}, {0, 0, 0}, {1, 0, 0, 0}},
    {"cart", 0, {0, 0, 0}, 10.471975511965979, {0.126711, 0.126711, 0.0481711}, {0, 0, 0},
     {0.707107, 0, 0.707107, 0}},
    {"pole", 1, {0, 0, 0}, 5.0185916413633063, {0.18875, 0.18875, 0.0059065}, {0.0005, 0, 0.3},
     {0.000833332, 0, -1, 0}},
};

static const mjt_joint_pin_t joints[] = {
    {"slider", 1, mjJNT_SLIDE, 0, 0, 1, {-1, 1}, 0, 1, 0, {0, 0, 0}, {1, 0, 0}},
    {"hinge", 2, mjJNT_HINGE, 1, 1, 1, {-1.5707963267948966, 1.5707963267948966}, 0, 1, 0,
     {0, 0, 0}, {0, 1, 0}},
};

static const mjt_geom_pin_t geoms[] = {
    {"rail", 0, mjGEOM_CAPSULE, {0.02, 1}, {0, 0, 0}, MJT_AXIS_VEC, {1, 0, 0}, 0, {1, 0.1, 0.1},
     0, 1, 3},
    {"cart", 1, mjGEOM_CAPSULE, {0.1, 0.1}, {0, 0, 0}, MJT_AXIS_VEC, {1, 0, 0}, 0, {1, 0.1, 0.1},
     0, 1, 3},
    /* fromto (0,0,0)-(0.001,0,0.6): half of its length, its midpoint, its direction */
    {"cpole", 2, mjGEOM_CAPSULE, {0.049, 0.3000004166663773}, {0.0005, 0, 0.3}, MJT_AXIS_VEC,
     {0.001, 0, 0.6}, 0, {1, 0.1, 0.1}, 0, 1, 3},
};

static const mjt_actuator_pin_t actuators[] = {
    {"slider", 100, {-3, 3}, 1},
};

static const double qpos0[] = {0, 0};
static const double dof_damping[] = {1, 1};
static const double dof_armature[] = {0, 0};
static const double fp_qpos[] = {0.99438107543001653, -1.5731878400422004};
static const double fp_qvel[] = {-0.11891757957863952, -1.9886131961289154e-06};

static const mjt_model_pin_t pin = {
    .file = "inverted_pendulum.xml",
    .nq = 2, .nv = 2, .nu = 1, .nbody = 3, .njnt = 2, .ngeom = 3,
    .timestep = 0.02,
    .integrator = mjINT_RK4,
    .total_mass_6 = 15.4906,
    .total_mass_17 = 15.490567153329286,
    .bodies = bodies,
    .joints = joints,
    .geoms = geoms,
    .actuators = actuators,
    .qpos0 = qpos0,
    .dof_damping = dof_damping,
    .dof_armature = dof_armature,
    .fp_time = 2.0000000000000013,
    .fp_ncon = 0,
    .fp_qpos = fp_qpos,
    .fp_qvel = fp_qvel,
};
/* clang-format on */

START_TEST(test_inverted_pendulum_model_has_pinned_sizes_and_options)
{
    mjt_check_sizes(&pin);
}
END_TEST

START_TEST(test_inverted_pendulum_model_bodies_have_pinned_masses_and_inertias)
{
    mjt_check_bodies(&pin);
}
END_TEST

START_TEST(test_inverted_pendulum_model_joints_have_pinned_ranges_and_dynamics)
{
    mjt_check_joints(&pin);
}
END_TEST

START_TEST(test_inverted_pendulum_model_geoms_are_placed_as_described)
{
    mjt_check_geoms(&pin);
}
END_TEST

START_TEST(test_inverted_pendulum_model_actuator_has_pinned_gear_and_range)
{
    mjt_check_actuators(&pin);
}
END_TEST

START_TEST(test_inverted_pendulum_model_never_collides)
{
    mjModel *m = mjt_load_model(pin.file);
    mjData *d = mj_makeData(m);
    /* the pole swung down through the rail and the cart at its stop: still no contact */
    mj_resetData(m, d);
    d->qpos[0] = 1.0;
    d->qpos[1] = 1.5;
    mj_forward(m, d);
    ck_assert_int_eq(d->ncon, 0);
    mj_deleteData(d);
    mj_deleteModel(m);
}
END_TEST

START_TEST(test_inverted_pendulum_model_matches_100_step_fingerprint)
{
    mjt_check_fingerprint(&pin);
}
END_TEST

/* ---- InvertedPendulum-v4 as the test computes it (§7.5) ---- */

static void observe(const mjt_env_t *env, const mjModel *m, const double *state, double *obs)
{
    obs[0] = state[0];
    obs[1] = state[1];
    obs[2] = state[mjt_qvel_at(m)];
    obs[3] = state[mjt_qvel_at(m) + 1];
}

static void reward(const mjt_env_t *env, const mjModel *m, const double *before,
                   const double *after, const float *action, double *reward_out, int *terminated)
{
    double obs[4];
    int finite = 1;
    observe(env, m, after, obs);
    for (int i = 0; i < 4; i++)
        finite = finite && isfinite(obs[i]);
    *reward_out = 1.0;
    *terminated = !finite || fabs(obs[1]) > 0.2;
}

static const mjt_env_t env = {
    .plugin = "inverted_pendulum",
    .model_file = "inverted_pendulum.xml",
    .params = "",
    .frame_skip = 2,
    .obs_dim = 4,
    .act_dim = 1,
    .n_extra = 0,
    .task = NULL,
    .observe = observe,
    .reward = reward,
};

START_TEST(test_inverted_pendulum_has_v4_spaces_time_limit_and_render)
{
    mjt_check_spaces(&env);
}
END_TEST

START_TEST(test_inverted_pendulum_random_steps_pay_one_and_end_when_the_pole_falls)
{
    ck_assert_int_gt(mjt_check_random_steps(&env, 400), 0);
}
END_TEST

START_TEST(test_inverted_pendulum_terminates_beyond_0_2_rad)
{
    size_t n;
    double reward;
    double *start = mjt_reset_state(&env, NULL, &n);
    double *state = g_new(double, n);
    ck_assert_int_eq(mjt_step_from(&env, NULL, start, &reward, NULL), 0);
    ck_assert(reward == 1.0);
    const double angles[] = {0.25, -0.25, 1.2};
    for (size_t i = 0; i < PPO_ARRAY_LEN(angles); i++) {
        memcpy(state, start, sizeof(double) * n);
        state[1] = angles[i];
        ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);
        ck_assert(reward == 1.0); /* the terminating step pays too */
    }
    memcpy(state, start, sizeof(double) * n);
    state[1] = 0.15;
    state[3] = 0.0;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 0);
    /* the cart at its stop is no reason to end */
    memcpy(state, start, sizeof(double) * n);
    state[0] = 1.0;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 0);
    g_free(state);
    g_free(start);
}
END_TEST

START_TEST(test_inverted_pendulum_resume_from_state_is_bit_exact)
{
    mjt_check_resume_bitwise(&env);
}
END_TEST

START_TEST(test_inverted_pendulum_steps_like_the_model_file)
{
    mjt_check_matches_model_file(&env);
}
END_TEST

START_TEST(test_inverted_pendulum_reset_is_uniform_on_qpos_and_qvel)
{
    mjt_check_reset_distribution(&env, 2000, 0.01, 0.01, false);
}
END_TEST

START_TEST(test_inverted_pendulum_threads_match_sequential_runs)
{
    mjt_check_threads_match_sequential(&env);
}
END_TEST

START_TEST(test_inverted_pendulum_unstable_step_fails_naming_env_and_warning)
{
    mjt_check_unstable_step_fails(&env);
}
END_TEST

START_TEST(test_inverted_pendulum_mujoco_error_fails_the_step_not_the_process)
{
    mjt_check_mujoco_error_fails_step(&env);
}
END_TEST

static Suite *inverted_pendulum_suite(void)
{
    Suite *s = suite_create("inverted_pendulum");
    TCase *model = tcase_create("model");
    tcase_add_test(model, test_inverted_pendulum_model_has_pinned_sizes_and_options);
    tcase_add_test(model, test_inverted_pendulum_model_bodies_have_pinned_masses_and_inertias);
    tcase_add_test(model, test_inverted_pendulum_model_joints_have_pinned_ranges_and_dynamics);
    tcase_add_test(model, test_inverted_pendulum_model_geoms_are_placed_as_described);
    tcase_add_test(model, test_inverted_pendulum_model_actuator_has_pinned_gear_and_range);
    tcase_add_test(model, test_inverted_pendulum_model_never_collides);
    tcase_add_test(model, test_inverted_pendulum_model_matches_100_step_fingerprint);
    suite_add_tcase(s, model);
    TCase *task = tcase_create("env");
    tcase_add_test(task, test_inverted_pendulum_has_v4_spaces_time_limit_and_render);
    tcase_add_test(task, test_inverted_pendulum_random_steps_pay_one_and_end_when_the_pole_falls);
    tcase_add_test(task, test_inverted_pendulum_terminates_beyond_0_2_rad);
    tcase_add_test(task, test_inverted_pendulum_resume_from_state_is_bit_exact);
    tcase_add_test(task, test_inverted_pendulum_steps_like_the_model_file);
    tcase_add_test(task, test_inverted_pendulum_reset_is_uniform_on_qpos_and_qvel);
    tcase_add_test(task, test_inverted_pendulum_threads_match_sequential_runs);
    tcase_add_test(task, test_inverted_pendulum_unstable_step_fails_naming_env_and_warning);
    tcase_add_test(task, test_inverted_pendulum_mujoco_error_fails_the_step_not_the_process);
    suite_add_tcase(s, task);
    return s;
}

int main(void)
{
    return ppo_test_run(inverted_pendulum_suite());
}
