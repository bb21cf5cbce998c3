/* Tests of plugins/envs/mujoco/half_cheetah.c and models/half_cheetah.xml.
 *
 * The model tests pin what MuJoCo 2.2.2 computes from the shipped file to the figures of
 * shared/reference/mujoco-models.md §6 (HalfCheetah) and the description of §1; the env tests
 * recompute HalfCheetah-v4's observation and reward (§7.1) from the states around each step.
 */
#include "config.h"

#include <math.h>

#include "mj_test.h"

/* ---- pinned figures (§6, §1) ---- */

/* the tables are laid out as the reference lays them out */
/* clang-format off */

static const mjt_body_pin_t bodies[] = {
    {"world", 0, {0, 0, 0}, 0, {0, 0, 0}, {0, 0, 0}, {1, 0, 0, 0}},
    {"torso", 0, {0, 0, 0.7}, 6.2502092050209201, {0.897118, 0.885655, 0.0179609},
     {0.15239, 0, 0.0253983}, {0.52243, 0.476516, 0.476516, 0.52243}},
    {"bthigh", 1, {-0.5, 0, 0}, 1.5435146443514645, {0.0168443, 0.0168443, 0.00157602},
     {0.1, 0, -0.13}, {-0.32329, 0, -0.9463, 0}},
    {"bshin", 2, {0.16, 0, -0.25}, 1.5874476987447697, {0.0182674, 0.0182674, 0.0016225},
     {-0.14, 0, -0.07}, {0.52762, 0, -0.849481, 0}},
    {"bfoot", 3, {-0.28, 0, -0.14}, 1.0953974895397491, {0.00635242, 0.00635242, 0.00110191},
     {0.03, 0, -0.097}, {0.990901, 0, -0.13459, 0}},
    {"fthigh", 1, {0.5, 0, 0}, 1.4380753138075317, {0.0137396, 0.0137396, 0.00146447},
     {-0.07, 0, -0.12}, {0.96639, 0, 0.257081, 0}},
    {"fshin", 5, {-0.14, 0, -0.24}, 1.2008368200836821, {0.00822211, 0.00822211, 0.00121347},
     {0.065, 0, -0.09}, {0.955336, 0, -0.29552, 0}},
    {"ffoot", 6, {0.13, 0, -0.18}, 0.8845188284518829, {0.00352911, 0.00352911, 0.000878804},
     {0.045, 0, -0.07}, {0.955336, 0, -0.29552, 0}},
};

static const mjt_joint_pin_t joints[] = {
    {"rootx", 1, mjJNT_SLIDE, 0, 0, 0, {0, 0}, 0, 0, 0, {0, 0, 0}, {1, 0, 0}},
    {"rootz", 1, mjJNT_SLIDE, 1, 1, 0, {0, 0}, 0, 0, 0, {0, 0, 0}, {0, 0, 1}},
    {"rooty", 1, mjJNT_HINGE, 2, 2, 0, {0, 0}, 0, 0, 0, {0, 0, 0}, {0, 1, 0}},
    {"bthigh", 2, mjJNT_HINGE, 3, 3, 1, {-0.52000000000000002, 1.05}, 240, 6, 0.1, {0, 0, 0},
     {0, 1, 0}},
    {"bshin", 3, mjJNT_HINGE, 4, 4, 1, {-0.78500000000000003, 0.78500000000000003}, 180, 4.5,
     0.1, {0, 0, 0}, {0, 1, 0}},
    {"bfoot", 4, mjJNT_HINGE, 5, 5, 1, {-0.40000000000000002, 0.78500000000000003}, 120, 3, 0.1,
     {0, 0, 0}, {0, 1, 0}},
    {"fthigh", 5, mjJNT_HINGE, 6, 6, 1, {-1, 0.69999999999999996}, 180, 4.5, 0.1, {0, 0, 0},
     {0, 1, 0}},
    {"fshin", 6, mjJNT_HINGE, 7, 7, 1, {-1.2, 0.87}, 120, 3, 0.1, {0, 0, 0}, {0, 1, 0}},
    {"ffoot", 7, mjJNT_HINGE, 8, 8, 1, {-0.5, 0.5}, 60, 1.5, 0.1, {0, 0, 0}, {0, 1, 0}},
};

#define HC_FRICTION {0.4, 0.1, 0.1}
#define HC_CAPSULE(NAME, BODY, HALF, X, Z, YROT)                                                 \
    {NAME, BODY, mjGEOM_CAPSULE, {0.046, HALF}, {X, 0, Z}, MJT_AXIS_YROT, {0, 0, 0}, YROT,        \
     HC_FRICTION, 1, 0, 3}

static const mjt_geom_pin_t geoms[] = {
    {"floor", 0, mjGEOM_PLANE, {40, 40}, {0, 0, 0}, MJT_AXIS_VEC, {0, 0, 1}, 0, HC_FRICTION, 1,
     1, 3},
    {"torso", 1, mjGEOM_CAPSULE, {0.046, 0.5}, {0, 0, 0}, MJT_AXIS_VEC, {1, 0, 0}, 0, HC_FRICTION,
     1, 0, 3},
    HC_CAPSULE("head", 1, 0.15, 0.6, 0.1, 0.87),
    HC_CAPSULE("bthigh", 2, 0.145, 0.1, -0.13, -3.8),
    HC_CAPSULE("bshin", 3, 0.15, -0.14, -0.07, -2.03),
    HC_CAPSULE("bfoot", 4, 0.094, 0.03, -0.097, -0.27),
    HC_CAPSULE("fthigh", 5, 0.133, -0.07, -0.12, 0.52),
    HC_CAPSULE("fshin", 6, 0.106, 0.065, -0.09, -0.6),
    HC_CAPSULE("ffoot", 7, 0.07, 0.045, -0.07, -0.6),
};

static const mjt_actuator_pin_t actuators[] = {
    {"bthigh", 120, {-1, 1}, 1}, {"bshin", 90, {-1, 1}, 1}, {"bfoot", 60, {-1, 1}, 1},
    {"fthigh", 120, {-1, 1}, 1}, {"fshin", 60, {-1, 1}, 1}, {"ffoot", 30, {-1, 1}, 1},
};

static const double qpos0[] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
static const double dof_damping[] = {0, 0, 0, 6, 4.5, 3, 4.5, 3, 1.5};
static const double dof_armature[] = {0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
static const double fp_qpos[] = {
    0.10695180350189193,  -0.170570445794652,   0.17706981855605211,
    0.072470701002256943, -0.13522232358420078, -0.1662262061194936,
    -0.32280054608746861, -0.30604671798058042, -0.29838818392452116,
};
static const double fp_qvel[] = {
    -0.1396873818807022, 0.5734521699683186, 0.41823563510205891,
    -3.3538236523336469, -1.4309208445207715, 0.3777350682531751,
    1.4789206951075686,  1.4084250251360497, -4.0427442537651519,
};

static const mjt_model_pin_t pin = {
    .file = "half_cheetah.xml",
    .nq = 9, .nv = 9, .nu = 6, .nbody = 8, .njnt = 9, .ngeom = 9,
    .timestep = 0.01,
    .integrator = mjINT_EULER,
    .total_mass_6 = 14,
    .total_mass_17 = 14.000000000000002,
    .bodies = bodies,
    .joints = joints,
    .geoms = geoms,
    .actuators = actuators,
    .qpos0 = qpos0,
    .dof_damping = dof_damping,
    .dof_armature = dof_armature,
    .fp_time = 1.0000000000000007,
    .fp_ncon = 2,
    .fp_qpos = fp_qpos,
    .fp_qvel = fp_qvel,
};
/* clang-format on */

START_TEST(test_half_cheetah_model_has_pinned_sizes_and_options)
{
    mjt_check_sizes(&pin);
}
END_TEST

START_TEST(test_half_cheetah_model_bodies_have_pinned_masses_and_inertias)
{
    mjt_check_bodies(&pin);
}
END_TEST

START_TEST(test_half_cheetah_model_joints_have_pinned_ranges_and_dynamics)
{
    mjt_check_joints(&pin);
}
END_TEST

START_TEST(test_half_cheetah_model_geoms_are_placed_as_described)
{
    mjt_check_geoms(&pin);
}
END_TEST

START_TEST(test_half_cheetah_model_actuators_have_pinned_gears_and_ranges)
{
    mjt_check_actuators(&pin);
}
END_TEST

START_TEST(test_half_cheetah_model_has_the_reference_contact_and_limit_softness)
{
    mjModel *m = mjt_load_model(pin.file);
    const double solimp[5] = {0.0, 0.8, 0.01, 0.5, 2};
    const double solimplimit[5] = {0.0, 0.8, 0.03, 0.5, 2};
    for (int g = 0; g < m->ngeom; g++) {
        for (int i = 0; i < mjNIMP; i++)
            mjt_assert_close(m->geom_solimp[mjNIMP * g + i], solimp[i], 1e-15, "geom solimp");
        mjt_assert_close(m->geom_solref[mjNREF * g], 0.02, 1e-15, "geom solref[0]");
        mjt_assert_close(m->geom_solref[mjNREF * g + 1], 1, 1e-15, "geom solref[1]");
        ck_assert(m->geom_margin[g] == 0 && m->geom_gap[g] == 0);
    }
    for (int j = 3; j < m->njnt; j++) {
        for (int i = 0; i < mjNIMP; i++)
            mjt_assert_close(m->jnt_solimp[mjNIMP * j + i], solimplimit[i], 1e-15,
                             "joint solimplimit");
        mjt_assert_close(m->jnt_solref[mjNREF * j], 0.02, 1e-15, "joint solreflimit[0]");
        mjt_assert_close(m->jnt_solref[mjNREF * j + 1], 1, 1e-15, "joint solreflimit[1]");
    }
    /* every leg joint springs toward 0 */
    for (int i = 0; i < m->nq; i++)
        ck_assert(m->qpos_spring[i] == 0);
    mj_deleteModel(m);
}
END_TEST

START_TEST(test_half_cheetah_model_matches_100_step_fingerprint)
{
    mjt_check_fingerprint(&pin);
}
END_TEST

/* ---- HalfCheetah-v4 as the test computes it (§7.1) ---- */

/* The task's constants as a parameter set makes them (field names follow the parameters). */
typedef struct task {
    double forward_reward_weight;
    double ctrl_cost_weight;
    int exclude_x;
} task_t;

static void observe(const mjt_env_t *env, const mjModel *m, const double *state, double *obs)
{
    const task_t *task = env->task;
    int k = 0;
    for (int i = task->exclude_x ? 1 : 0; i < m->nq; i++)
        obs[k++] = state[i];
    for (int i = 0; i < m->nv; i++)
        obs[k++] = state[mjt_qvel_at(m) + i];
}

static void reward(const mjt_env_t *env, const mjModel *m, const double *before,
                   const double *after, const float *action, double *reward_out, int *terminated)
{
    const task_t *task = env->task;
    const double dt = m->opt.timestep * 5;
    const double x_velocity = (after[0] - before[0]) / dt;
    double ctrl = 0.0;
    for (int i = 0; i < m->nu; i++)
        ctrl += (double)action[i] * (double)action[i];
    *reward_out = task->forward_reward_weight * x_velocity - task->ctrl_cost_weight * ctrl;
    *terminated = 0;
}

static const task_t defaults = {1.0, 0.1, 1};
static const mjt_env_t env = {
    .plugin = "half_cheetah",
    .model_file = "half_cheetah.xml",
    .params = "",
    .frame_skip = 5,
    .obs_dim = 17,
    .act_dim = 6,
    .n_extra = 0,
    .task = &defaults,
    .observe = observe,
    .reward = reward,
};

static const task_t custom = {2.5, 0.3, 0};
static const mjt_env_t env_custom = {
    .plugin = "half_cheetah",
    .model_file = "half_cheetah.xml",
    .params = "{forward_reward_weight: 2.5, ctrl_cost_weight: 0.3, "
              "exclude_current_positions_from_observation: false}",
    .frame_skip = 5,
    .obs_dim = 18,
    .act_dim = 6,
    .n_extra = 0,
    .task = &custom,
    .observe = observe,
    .reward = reward,
};

START_TEST(test_half_cheetah_has_v4_spaces_time_limit_and_render)
{
    mjt_check_spaces(&env);
    mjt_check_spaces(&env_custom);
}
END_TEST

START_TEST(test_half_cheetah_random_steps_follow_v4_reward_and_never_terminate)
{
    ck_assert_int_eq(mjt_check_random_steps(&env, 400), 0);
}
END_TEST

START_TEST(test_half_cheetah_parameters_set_weights_and_observed_x)
{
    ck_assert_int_eq(mjt_check_random_steps(&env_custom, 200), 0);
}
END_TEST

START_TEST(test_half_cheetah_never_terminates_upside_down)
{
    size_t n;
    double reward;
    double *state = mjt_reset_state(&env, NULL, &n);
    state[1] = -0.5; /* torso dropped */
    state[2] = M_PI; /* and flipped */
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 0);
    ck_assert(isfinite(reward));
    g_free(state);
}
END_TEST

START_TEST(test_half_cheetah_resume_from_state_is_bit_exact)
{
    mjt_check_resume_bitwise(&env);
}
END_TEST

START_TEST(test_half_cheetah_steps_like_the_model_file)
{
    mjt_check_matches_model_file(&env);
}
END_TEST

START_TEST(test_half_cheetah_reset_is_uniform_on_qpos_and_normal_on_qvel)
{
    mjt_check_reset_distribution(&env, 1000, 0.1, 0.1, true);
}
END_TEST

START_TEST(test_half_cheetah_threads_match_sequential_runs)
{
    mjt_check_threads_match_sequential(&env);
}
END_TEST

START_TEST(test_half_cheetah_unstable_step_fails_naming_env_and_warning)
{
    mjt_check_unstable_step_fails(&env);
}
END_TEST

START_TEST(test_half_cheetah_mujoco_error_fails_the_step_not_the_process)
{
    mjt_check_mujoco_error_fails_step(&env);
}
END_TEST

static Suite *half_cheetah_suite(void)
{
    Suite *s = suite_create("half_cheetah");
    TCase *model = tcase_create("model");
    tcase_add_test(model, test_half_cheetah_model_has_pinned_sizes_and_options);
    tcase_add_test(model, test_half_cheetah_model_bodies_have_pinned_masses_and_inertias);
    tcase_add_test(model, test_half_cheetah_model_joints_have_pinned_ranges_and_dynamics);
    tcase_add_test(model, test_half_cheetah_model_geoms_are_placed_as_described);
    tcase_add_test(model, test_half_cheetah_model_actuators_have_pinned_gears_and_ranges);
    tcase_add_test(model, test_half_cheetah_model_has_the_reference_contact_and_limit_softness);
    tcase_add_test(model, test_half_cheetah_model_matches_100_step_fingerprint);
    suite_add_tcase(s, model);
    TCase *task = tcase_create("env");
    tcase_add_test(task, test_half_cheetah_has_v4_spaces_time_limit_and_render);
    tcase_add_test(task, test_half_cheetah_random_steps_follow_v4_reward_and_never_terminate);
    tcase_add_test(task, test_half_cheetah_parameters_set_weights_and_observed_x);
    tcase_add_test(task, test_half_cheetah_never_terminates_upside_down);
    tcase_add_test(task, test_half_cheetah_resume_from_state_is_bit_exact);
    tcase_add_test(task, test_half_cheetah_steps_like_the_model_file);
    tcase_add_test(task, test_half_cheetah_reset_is_uniform_on_qpos_and_normal_on_qvel);
    tcase_add_test(task, test_half_cheetah_threads_match_sequential_runs);
    tcase_add_test(task, test_half_cheetah_unstable_step_fails_naming_env_and_warning);
    tcase_add_test(task, test_half_cheetah_mujoco_error_fails_the_step_not_the_process);
    suite_add_tcase(s, task);
    return s;
}

int main(void)
{
    return ppo_test_run(half_cheetah_suite());
}
