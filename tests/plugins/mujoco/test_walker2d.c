/* Tests of plugins/envs/mujoco/walker2d.c and models/walker2d.xml.
 *
 * The model tests pin what MuJoCo 2.2.2 computes from the shipped file to the figures of
 * shared/reference/mujoco-models.md §6 (Walker2d) and the description of §3, including the v4
 * feet's different frictions; the env tests recompute Walker2d-v4's observation, reward and
 * health rule (§7.3) from the states around each step, and drive the state out of each healthy
 * range with set_state.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "mj_test.h"

/* ---- pinned figures (§6, §3) ---- */

/* the tables are laid out as the reference lays them out */
/* clang-format off */

#define THIGH_MASS 4.0578905108868177
#define THIGH_INERTIA {0.0932988, 0.0932988, 0.00494146}
#define LEG_MASS 2.7813566959781637
#define LEG_INERTIA {0.0723025, 0.0723025, 0.00218219}
#define FOOT_MASS 3.1667253948185117
#define FOOT_INERTIA {0.0239977, 0.0239977, 0.00537439}
#define FOOT_IQUAT {0.707107, 0, -0.707107, 0}

static const mjt_body_pin_t bodies[] = {
    {"world", 0, {0, 0, 0}, 0, {0, 0, 0}, {0, 0, 0}, {1, 0, 0, 0}},
    {"torso", 0, {0, 0, 1.25}, 3.6651914291880923, {0.0692459, 0.0692459, 0.00445059},
     {0, 0, 0}, {1, 0, 0, 0}},
    {"thigh", 1, {0, 0, -0.2}, THIGH_MASS, THIGH_INERTIA, {0, 0, -0.225}, {1, 0, 0, 0}},
    {"leg", 2, {0, 0, -0.7}, LEG_MASS, LEG_INERTIA, {0, 0, 0}, {1, 0, 0, 0}},
    {"foot", 3, {0.2, 0, -0.35}, FOOT_MASS, FOOT_INERTIA, {-0.1, 0, 0.1}, FOOT_IQUAT},
    {"thigh_left", 1, {0, 0, -0.2}, THIGH_MASS, THIGH_INERTIA, {0, 0, -0.225}, {1, 0, 0, 0}},
    {"leg_left", 5, {0, 0, -0.7}, LEG_MASS, LEG_INERTIA, {0, 0, 0}, {1, 0, 0, 0}},
    {"foot_left", 6, {0.2, 0, -0.35}, FOOT_MASS, FOOT_INERTIA, {-0.1, 0, 0.1}, FOOT_IQUAT},
};

#define DEG150 2.6179938779914944
#define DEG45 0.78539816339744828

static const mjt_joint_pin_t joints[] = {
    {"rootx", 1, mjJNT_SLIDE, 0, 0, 0, {0, 0}, 0, 0, 0, {0, 0, -1.25}, {1, 0, 0}},
    {"rootz", 1, mjJNT_SLIDE, 1, 1, 0, {0, 0}, 0, 0, 0, {0, 0, -1.25}, {0, 0, 1}},
    {"rooty", 1, mjJNT_HINGE, 2, 2, 0, {0, 0}, 0, 0, 0, {0, 0, 0}, {0, 1, 0}},
    {"thigh_joint", 2, mjJNT_HINGE, 3, 3, 1, {-DEG150, 0}, 0, 0.1, 0.01, {0, 0, 0}, {0, -1, 0}},
    {"leg_joint", 3, mjJNT_HINGE, 4, 4, 1, {-DEG150, 0}, 0, 0.1, 0.01, {0, 0, 0.25},
     {0, -1, 0}},
    {"foot_joint", 4, mjJNT_HINGE, 5, 5, 1, {-DEG45, DEG45}, 0, 0.1, 0.01, {-0.2, 0, 0.1},
     {0, -1, 0}},
    {"thigh_left_joint", 5, mjJNT_HINGE, 6, 6, 1, {-DEG150, 0}, 0, 0.1, 0.01, {0, 0, 0},
     {0, -1, 0}},
    {"leg_left_joint", 6, mjJNT_HINGE, 7, 7, 1, {-DEG150, 0}, 0, 0.1, 0.01, {0, 0, 0.25},
     {0, -1, 0}},
    {"foot_left_joint", 7, mjJNT_HINGE, 8, 8, 1, {-DEG45, DEG45}, 0, 0.1, 0.01, {-0.2, 0, 0.1},
     {0, -1, 0}},
};

/* a capsule at (PX, 0, PZ) along (AX, 0, AZ) */
#define BODY_GEOM(NAME, BODY, R, HALF, PX, PZ, AX, AZ, MU)                                       \
    {NAME, BODY, mjGEOM_CAPSULE, {R, HALF}, {PX, 0, PZ}, MJT_AXIS_VEC, {AX, 0, AZ}, 0,           \
     {MU, 0.1, 0.1}, 1, 0, 3}

static const mjt_geom_pin_t geoms[] = {
    {"floor", 0, mjGEOM_PLANE, {40, 40}, {0, 0, 0}, MJT_AXIS_VEC, {0, 0, 1}, 0, {0.7, 0.1, 0.1},
     1, 1, 3},
    BODY_GEOM("torso_geom", 1, 0.05, 0.2, 0, 0, 0, 1, 0.9),
    BODY_GEOM("thigh_geom", 2, 0.05, 0.225, 0, -0.225, 0, 1, 0.9),
    BODY_GEOM("leg_geom", 3, 0.04, 0.25, 0, 0, 0, 1, 0.9),
    BODY_GEOM("foot_geom", 4, 0.06, 0.1, -0.1, 0.1, 1, 0, 0.9),
    BODY_GEOM("thigh_left_geom", 5, 0.05, 0.225, 0, -0.225, 0, 1, 0.9),
    BODY_GEOM("leg_left_geom", 6, 0.04, 0.25, 0, 0, 0, 1, 0.9),
    BODY_GEOM("foot_left_geom", 7, 0.06, 0.1, -0.1, 0.1, 1, 0, 1.9),
};

static const mjt_actuator_pin_t actuators[] = {
    {"thigh_joint", 100, {-1, 1}, 1},      {"leg_joint", 100, {-1, 1}, 1},
    {"foot_joint", 100, {-1, 1}, 1},       {"thigh_left_joint", 100, {-1, 1}, 1},
    {"leg_left_joint", 100, {-1, 1}, 1},   {"foot_left_joint", 100, {-1, 1}, 1},
};

static const double qpos0[] = {0, 1.25, 0, 0, 0, 0, 0, 0, 0};
static const double dof_damping[] = {0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
static const double dof_armature[] = {0, 0, 0, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01};
static const double fp_qpos[] = {
    -0.091432564769282881, 1.1824636796765087,   -0.5200654518129818,
    -0.4262995670303466,   -0.24195614957409903, 0.59179962534976238,
    -0.37578369355065588,  -0.1743552063641835,  0.42432307377180145,
};
static const double fp_qvel[] = {
    -0.67087117811290087, -0.43420289605658885, -3.8638407150885459,
    -2.4907031825265822,  -5.1161840207752709,  -21.420212362683042,
    -3.1229188038915305,  0.65744033714487549,  9.7973317263685527,
};

static const mjt_model_pin_t pin = {
    .file = "walker2d.xml",
    .nq = 9, .nv = 9, .nu = 6, .nbody = 8, .njnt = 9, .ngeom = 8,
    .timestep = 0.002,
    .integrator = mjINT_RK4,
    .total_mass_6 = 23.6771,
    .total_mass_17 = 23.677136632555076,
    .bodies = bodies,
    .joints = joints,
    .geoms = geoms,
    .actuators = actuators,
    .qpos0 = qpos0,
    .dof_damping = dof_damping,
    .dof_armature = dof_armature,
    .fp_time = 0.20000000000000015,
    .fp_ncon = 0,
    .fp_qpos = fp_qpos,
    .fp_qvel = fp_qvel,
};
/* clang-format on */

START_TEST(test_walker2d_model_has_pinned_sizes_and_options)
{
    mjt_check_sizes(&pin);
}
END_TEST

START_TEST(test_walker2d_model_bodies_have_pinned_masses_and_inertias)
{
    mjt_check_bodies(&pin);
}
END_TEST

START_TEST(test_walker2d_model_joints_have_pinned_ranges_and_dynamics)
{
    mjt_check_joints(&pin);
}
END_TEST

START_TEST(test_walker2d_model_geoms_are_placed_as_described)
{
    mjt_check_geoms(&pin);
}
END_TEST

START_TEST(test_walker2d_model_actuators_have_pinned_gears_and_ranges)
{
    mjt_check_actuators(&pin);
}
END_TEST

START_TEST(test_walker2d_model_has_default_contact_softness_and_only_floor_contacts)
{
    mjModel *m = mjt_load_model(pin.file);
    const double solimp[5] = {0.9, 0.95, 0.001, 0.5, 2};
    for (int g = 0; g < m->ngeom; g++) {
        for (int i = 0; i < mjNIMP; i++)
            mjt_assert_close(m->geom_solimp[mjNIMP * g + i], solimp[i], 1e-15, "geom solimp");
        mjt_assert_close(m->geom_solref[mjNREF * g], 0.02, 1e-15, "geom solref[0]");
        mjt_assert_close(m->geom_solref[mjNREF * g + 1], 1, 1e-15, "geom solref[1]");
        ck_assert(m->geom_margin[g] == 0);
    }
    /* the legs pass through each other: with the left leg swung onto the right one, every
     * contact involves the floor */
    mjData *d = mj_makeData(m);
    mj_resetData(m, d);
    d->qpos[1] = 0.6;
    d->qpos[6] = -1.0;
    mj_forward(m, d);
    ck_assert_int_gt(d->ncon, 0);
    for (int c = 0; c < d->ncon; c++)
        ck_assert(m->geom_bodyid[d->contact[c].geom1] == 0 ||
                  m->geom_bodyid[d->contact[c].geom2] == 0);
    mj_deleteData(d);
    mj_deleteModel(m);
}
END_TEST

START_TEST(test_walker2d_model_matches_100_step_fingerprint)
{
    mjt_check_fingerprint(&pin);
}
END_TEST

/* ---- Walker2d-v4 as the test computes it (§7.3) ---- */

/* The task's constants as a parameter set makes them (field names follow the parameters). */
typedef struct task {
    double forward_reward_weight;
    double ctrl_cost_weight;
    double healthy_reward;
    int terminate_when_unhealthy;
    double z_range[2];
    double angle_range[2];
    int exclude_x;
} task_t;

static double clip(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void observe(const mjt_env_t *env, const mjModel *m, const double *state, double *obs)
{
    const task_t *task = env->task;
    int k = 0;
    for (int i = task->exclude_x ? 1 : 0; i < m->nq; i++)
        obs[k++] = state[i];
    for (int i = 0; i < m->nv; i++)
        obs[k++] = clip(state[mjt_qvel_at(m) + i], -10, 10);
}

static int healthy(const task_t *task, const mjModel *m, const double *state)
{
    /* height and angle only: no state-range check */
    return task->z_range[0] < state[1] && state[1] < task->z_range[1] &&
           task->angle_range[0] < state[2] && state[2] < task->angle_range[1];
}

static void reward(const mjt_env_t *env, const mjModel *m, const double *before,
                   const double *after, const float *action, double *reward_out, int *terminated)
{
    const task_t *task = env->task;
    const double dt = m->opt.timestep * 4;
    const double x_velocity = (after[0] - before[0]) / dt;
    double ctrl = 0.0;
    for (int i = 0; i < m->nu; i++)
        ctrl += (double)action[i] * (double)action[i];
    const int ok = healthy(task, m, after);
    const double healthy_reward =
        (ok || task->terminate_when_unhealthy ? 1.0 : 0.0) * task->healthy_reward;
    *reward_out =
        (task->forward_reward_weight * x_velocity + healthy_reward) - task->ctrl_cost_weight * ctrl;
    *terminated = task->terminate_when_unhealthy && !ok;
}

static const task_t defaults = {1.0, 1e-3, 1.0, 1, {0.8, 2.0}, {-1.0, 1.0}, 1};
static const mjt_env_t env = {
    .plugin = "walker2d",
    .model_file = "walker2d.xml",
    .params = "",
    .frame_skip = 4,
    .obs_dim = 17,
    .act_dim = 6,
    .n_extra = 0,
    .task = &defaults,
    .observe = observe,
    .reward = reward,
};

static const task_t custom = {0.5, 0.01, 2.0, 0, {0.9, HUGE_VAL}, {-0.1, 0.3}, 0};
static const mjt_env_t env_custom = {
    .plugin = "walker2d",
    .model_file = "walker2d.xml",
    .params = "{forward_reward_weight: 0.5, ctrl_cost_weight: 0.01, healthy_reward: 2.0, "
              "terminate_when_unhealthy: false, healthy_z_range: [0.9], "
              "healthy_angle_range: [-0.1, 0.3], "
              "exclude_current_positions_from_observation: false}",
    .frame_skip = 4,
    .obs_dim = 18,
    .act_dim = 6,
    .n_extra = 0,
    .task = &custom,
    .observe = observe,
    .reward = reward,
};

START_TEST(test_walker2d_has_v4_spaces_time_limit_and_render)
{
    mjt_check_spaces(&env);
    mjt_check_spaces(&env_custom);
}
END_TEST

START_TEST(test_walker2d_random_steps_follow_v4_reward_and_termination)
{
    /* random actions topple the walker within a few dozen steps */
    ck_assert_int_gt(mjt_check_random_steps(&env, 400), 0);
}
END_TEST

START_TEST(test_walker2d_parameters_set_weights_ranges_and_observed_x)
{
    ck_assert_int_eq(mjt_check_random_steps(&env_custom, 300), 0);
}
END_TEST

START_TEST(test_walker2d_terminates_when_out_of_each_healthy_range)
{
    size_t n;
    double reward, reward_off;
    double *start = mjt_reset_state(&env, NULL, &n);
    double *state = g_new(double, n);

    /* the reset state is healthy and earns the healthy reward */
    ck_assert_int_eq(mjt_step_from(&env, NULL, start, &reward, NULL), 0);
    ck_assert(reward > 0.5 && reward < 1.5);

    /* too low, too high, tilted too far either way: each alone ends the episode */
    memcpy(state, start, sizeof(double) * n);
    state[1] = 0.7;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);
    ck_assert_int_eq(
        mjt_step_from(&env, "{terminate_when_unhealthy: false}", state, &reward_off, NULL), 0);
    mjt_assert_close(reward - reward_off, 1.0, 1e-12, "healthy reward paid on the last step");
    memcpy(state, start, sizeof(double) * n);
    state[1] = 2.1;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);
    memcpy(state, start, sizeof(double) * n);
    state[2] = 1.2;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);
    memcpy(state, start, sizeof(double) * n);
    state[2] = -1.2;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);

    /* unlike the walker2d, speed alone is healthy */
    memcpy(state, start, sizeof(double) * n);
    state[9] = 150.0; /* qvel[0], the sliding x velocity */
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 0);
    g_free(state);
    g_free(start);
}
END_TEST

START_TEST(test_walker2d_healthy_bounds_are_strict)
{
    size_t n;
    double reward;
    double *start = mjt_reset_state(&env, NULL, &n);
    double *after = g_new(double, n);
    char params[160];

    /* the height after one step, used as the lower bound itself and just below it */
    ck_assert_int_eq(mjt_step_from(&env, NULL, start, &reward, after), 0);
    snprintf(params, sizeof(params), "{healthy_z_range: [%.17g]}", after[1]);
    ck_assert_int_eq(mjt_step_from(&env, params, start, &reward, NULL), 1);
    snprintf(params, sizeof(params), "{healthy_z_range: [%.17g, 2.0]}", nextafter(after[1], 0.0));
    ck_assert_int_eq(mjt_step_from(&env, params, start, &reward, NULL), 0);
    snprintf(params, sizeof(params), "{healthy_z_range: [0.7, %.17g]}", after[1]);
    ck_assert_int_eq(mjt_step_from(&env, params, start, &reward, NULL), 1);
    g_free(after);
    g_free(start);
}
END_TEST

START_TEST(test_walker2d_rejects_malformed_ranges)
{
    char *why = mjt_create_fails(&env, "{healthy_z_range: [1.0, 0.5]}");
    ck_assert_msg(strstr(why, "healthy_z_range") && strstr(why, "below"), "message: %s", why);
    g_free(why);
    why = mjt_create_fails(&env, "{healthy_angle_range: [-0.2]}");
    ck_assert_msg(strstr(why, "healthy_angle_range") && strstr(why, "[low, high]"), "message: %s",
                  why);
    g_free(why);
    why = mjt_create_fails(&env, "{healthy_z_range: [1, 2, 3]}");
    ck_assert_msg(strstr(why, "healthy_z_range") && strstr(why, "3 numbers"), "message: %s", why);
    g_free(why);
}
END_TEST

START_TEST(test_walker2d_resume_from_state_is_bit_exact)
{
    mjt_check_resume_bitwise(&env);
}
END_TEST

START_TEST(test_walker2d_steps_like_the_model_file)
{
    mjt_check_matches_model_file(&env);
}
END_TEST

START_TEST(test_walker2d_reset_is_uniform_on_qpos_and_qvel)
{
    mjt_check_reset_distribution(&env, 1000, 5e-3, 5e-3, false);
}
END_TEST

START_TEST(test_walker2d_threads_match_sequential_runs)
{
    mjt_check_threads_match_sequential(&env);
}
END_TEST

START_TEST(test_walker2d_unstable_step_fails_naming_env_and_warning)
{
    mjt_check_unstable_step_fails(&env);
}
END_TEST

START_TEST(test_walker2d_mujoco_error_fails_the_step_not_the_process)
{
    mjt_check_mujoco_error_fails_step(&env);
}
END_TEST

static Suite *walker2d_suite(void)
{
    Suite *s = suite_create("walker2d");
    TCase *model = tcase_create("model");
    tcase_add_test(model, test_walker2d_model_has_pinned_sizes_and_options);
    tcase_add_test(model, test_walker2d_model_bodies_have_pinned_masses_and_inertias);
    tcase_add_test(model, test_walker2d_model_joints_have_pinned_ranges_and_dynamics);
    tcase_add_test(model, test_walker2d_model_geoms_are_placed_as_described);
    tcase_add_test(model, test_walker2d_model_actuators_have_pinned_gears_and_ranges);
    tcase_add_test(model, test_walker2d_model_has_default_contact_softness_and_only_floor_contacts);
    tcase_add_test(model, test_walker2d_model_matches_100_step_fingerprint);
    suite_add_tcase(s, model);
    TCase *task = tcase_create("env");
    tcase_add_test(task, test_walker2d_has_v4_spaces_time_limit_and_render);
    tcase_add_test(task, test_walker2d_random_steps_follow_v4_reward_and_termination);
    tcase_add_test(task, test_walker2d_parameters_set_weights_ranges_and_observed_x);
    tcase_add_test(task, test_walker2d_terminates_when_out_of_each_healthy_range);
    tcase_add_test(task, test_walker2d_healthy_bounds_are_strict);
    tcase_add_test(task, test_walker2d_rejects_malformed_ranges);
    tcase_add_test(task, test_walker2d_resume_from_state_is_bit_exact);
    tcase_add_test(task, test_walker2d_steps_like_the_model_file);
    tcase_add_test(task, test_walker2d_reset_is_uniform_on_qpos_and_qvel);
    tcase_add_test(task, test_walker2d_threads_match_sequential_runs);
    tcase_add_test(task, test_walker2d_unstable_step_fails_naming_env_and_warning);
    tcase_add_test(task, test_walker2d_mujoco_error_fails_the_step_not_the_process);
    suite_add_tcase(s, task);
    return s;
}

int main(void)
{
    return ppo_test_run(walker2d_suite());
}
