/* Tests of plugins/envs/mujoco/hopper.c and models/hopper.xml.
 *
 * The model tests pin what MuJoCo 2.2.2 computes from the shipped file to the figures of
 * shared/reference/mujoco-models.md §6 (Hopper) and the description of §2; the env tests
 * recompute Hopper-v4's observation, reward and health rule (§7.2) from the states around each
 * step, and drive the state out of each healthy range with set_state.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "mj_test.h"

/* ---- pinned figures (§6, §2) ---- */

/* the tables are laid out as the reference lays them out */
/* clang-format off */

static const mjt_body_pin_t bodies[] = {
    {"world", 0, {0, 0, 0}, 0, {0, 0, 0}, {0, 0, 0}, {1, 0, 0, 0}},
    {"torso", 0, {0, 0, 1.25}, 3.6651914291880923, {0.0692459, 0.0692459, 0.00445059},
     {0, 0, 0}, {1, 0, 0, 0}},
    {"thigh", 1, {0, 0, -0.2}, 4.0578905108868177, {0.0932988, 0.0932988, 0.00494146},
     {0, 0, -0.225}, {1, 0, 0, 0}},
    {"leg", 2, {0, 0, -0.7}, 2.7813566959781637, {0.0723025, 0.0723025, 0.00218219}, {0, 0, 0},
     {1, 0, 0, 0}},
    {"foot", 3, {0.13, 0, -0.35}, 5.3155747698739306, {0.103523, 0.103523, 0.00924231},
     {-0.065, 0, 0.1}, {0.707107, 0, -0.707107, 0}},
};

#define DEG150 2.6179938779914944
#define DEG45 0.78539816339744828

static const mjt_joint_pin_t joints[] = {
    {"rootx", 1, mjJNT_SLIDE, 0, 0, 0, {0, 0}, 0, 0, 0, {0, 0, -1.25}, {1, 0, 0}},
    {"rootz", 1, mjJNT_SLIDE, 1, 1, 0, {0, 0}, 0, 0, 0, {0, 0, -1.25}, {0, 0, 1}},
    {"rooty", 1, mjJNT_HINGE, 2, 2, 0, {0, 0}, 0, 0, 0, {0, 0, 0}, {0, 1, 0}},
    {"thigh_joint", 2, mjJNT_HINGE, 3, 3, 1, {-DEG150, 0}, 0, 1, 1, {0, 0, 0}, {0, -1, 0}},
    {"leg_joint", 3, mjJNT_HINGE, 4, 4, 1, {-DEG150, 0}, 0, 1, 1, {0, 0, 0.25}, {0, -1, 0}},
    {"foot_joint", 4, mjJNT_HINGE, 5, 5, 1, {-DEG45, DEG45}, 0, 1, 1, {-0.13, 0, 0.1},
     {0, -1, 0}},
};

static const mjt_geom_pin_t geoms[] = {
    {"floor", 0, mjGEOM_PLANE, {20, 20}, {0, 0, 0}, MJT_AXIS_VEC, {0, 0, 1}, 0,
     {1, 0.005, 0.0001}, 1, 1, 3},
    {"torso_geom", 1, mjGEOM_CAPSULE, {0.05, 0.2}, {0, 0, 0}, MJT_AXIS_VEC, {0, 0, 1}, 0,
     {0.9, 0.005, 0.0001}, 1, 1, 1},
    {"thigh_geom", 2, mjGEOM_CAPSULE, {0.05, 0.225}, {0, 0, -0.225}, MJT_AXIS_VEC, {0, 0, 1}, 0,
     {0.9, 0.005, 0.0001}, 1, 1, 1},
    {"leg_geom", 3, mjGEOM_CAPSULE, {0.04, 0.25}, {0, 0, 0}, MJT_AXIS_VEC, {0, 0, 1}, 0,
     {0.9, 0.005, 0.0001}, 1, 1, 1},
    {"foot_geom", 4, mjGEOM_CAPSULE, {0.06, 0.195}, {-0.065, 0, 0.1}, MJT_AXIS_VEC, {1, 0, 0},
     0, {2.0, 0.005, 0.0001}, 1, 1, 1},
};

static const mjt_actuator_pin_t actuators[] = {
    {"thigh_joint", 200, {-1, 1}, 1},
    {"leg_joint", 200, {-1, 1}, 1},
    {"foot_joint", 200, {-1, 1}, 1},
};

static const double qpos0[] = {0, 1.25, 0, 0, 0, 0};
static const double dof_damping[] = {0, 0, 0, 1, 1, 1};
static const double dof_armature[] = {0, 0, 0, 1, 1, 1};
static const double fp_qpos[] = {
    -0.056033258693807701, 1.2013223179436201,   -0.26788372934089022,
    -0.20301871503857113,  -0.13350381490069407, 0.120719981200618,
};
static const double fp_qvel[] = {
    -0.3225010832661343,  -0.0077198195503434264, -0.93659622977296031,
    -0.07419709791257198, -1.3256150776317022,    -1.2744434298132956,
};

static const mjt_model_pin_t pin = {
    .file = "hopper.xml",
    .nq = 6, .nv = 6, .nu = 3, .nbody = 5, .njnt = 6, .ngeom = 5,
    .timestep = 0.002,
    .integrator = mjINT_RK4,
    .total_mass_6 = 15.82,
    .total_mass_17 = 15.820013405927003,
    .bodies = bodies,
    .joints = joints,
    .geoms = geoms,
    .actuators = actuators,
    .qpos0 = qpos0,
    .dof_damping = dof_damping,
    .dof_armature = dof_armature,
    .fp_time = 0.20000000000000015,
    .fp_ncon = 1,
    .fp_qpos = fp_qpos,
    .fp_qvel = fp_qvel,
};
/* clang-format on */

START_TEST(test_hopper_model_has_pinned_sizes_and_options)
{
    mjt_check_sizes(&pin);
}
END_TEST

START_TEST(test_hopper_model_bodies_have_pinned_masses_and_inertias)
{
    mjt_check_bodies(&pin);
}
END_TEST

START_TEST(test_hopper_model_joints_have_pinned_ranges_and_dynamics)
{
    mjt_check_joints(&pin);
}
END_TEST

START_TEST(test_hopper_model_geoms_are_placed_as_described)
{
    mjt_check_geoms(&pin);
}
END_TEST

START_TEST(test_hopper_model_actuators_have_pinned_gears_and_ranges)
{
    mjt_check_actuators(&pin);
}
END_TEST

START_TEST(test_hopper_model_has_the_reference_contact_settings_and_self_collides)
{
    mjModel *m = mjt_load_model(pin.file);
    const double solimp[5] = {0.8, 0.8, 0.01, 0.5, 2};
    for (int g = 0; g < m->ngeom; g++) {
        for (int i = 0; i < mjNIMP; i++)
            mjt_assert_close(m->geom_solimp[mjNIMP * g + i], solimp[i], 1e-15, "geom solimp");
        mjt_assert_close(m->geom_solref[mjNREF * g], 0.02, 1e-15, "geom solref[0]");
        mjt_assert_close(m->geom_solref[mjNREF * g + 1], 1, 1e-15, "geom solref[1]");
        mjt_assert_close(m->geom_margin[g], 0.001, 1e-15, "geom margin");
    }
    /* rootz has ref 1.25: qpos0[1] is the torso's modelled height, so qpos[1] is absolute */
    ck_assert(m->qpos0[1] == 1.25 && m->body_pos[3 * 1 + 2] == 1.25);

    /* body parts that are not parent and child collide with each other */
    mjData *d = mj_makeData(m);
    mj_resetData(m, d);
    d->qpos[3] = -2.5; /* thigh folded back onto the torso */
    d->qpos[4] = -2.5;
    mj_forward(m, d);
    int self = 0;
    for (int c = 0; c < d->ncon; c++)
        if (m->geom_bodyid[d->contact[c].geom1] != 0 && m->geom_bodyid[d->contact[c].geom2] != 0)
            self++;
    ck_assert_msg(self > 0, "no self-contact with the leg folded (%d contacts)", d->ncon);
    mj_deleteData(d);
    mj_deleteModel(m);
}
END_TEST

START_TEST(test_hopper_model_matches_100_step_fingerprint)
{
    mjt_check_fingerprint(&pin);
}
END_TEST

/* ---- Hopper-v4 as the test computes it (§7.2) ---- */

/* The task's constants as a parameter set makes them (field names follow the parameters). */
typedef struct task {
    double forward_reward_weight;
    double ctrl_cost_weight;
    double healthy_reward;
    int terminate_when_unhealthy;
    double state_range[2];
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
    /* state_vector()[2:] = qpos[2:] and qvel, all inside the open state range */
    for (int i = 2; i < m->nq + m->nv; i++)
        if (!(task->state_range[0] < state[i] && state[i] < task->state_range[1]))
            return 0;
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

static const task_t defaults = {1.0, 1e-3, 1.0, 1, {-100, 100}, {0.7, HUGE_VAL}, {-0.2, 0.2}, 1};
static const mjt_env_t env = {
    .plugin = "hopper",
    .model_file = "hopper.xml",
    .params = "",
    .frame_skip = 4,
    .obs_dim = 11,
    .act_dim = 3,
    .n_extra = 0,
    .task = &defaults,
    .observe = observe,
    .reward = reward,
};

static const task_t custom = {0.5, 0.01, 2.0, 0, {-50, 50}, {0.9, 1.3}, {-0.1, 0.3}, 0};
static const mjt_env_t env_custom = {
    .plugin = "hopper",
    .model_file = "hopper.xml",
    .params = "{forward_reward_weight: 0.5, ctrl_cost_weight: 0.01, healthy_reward: 2.0, "
              "terminate_when_unhealthy: false, healthy_state_range: [-50, 50], "
              "healthy_z_range: [0.9, 1.3], healthy_angle_range: [-0.1, 0.3], "
              "exclude_current_positions_from_observation: false}",
    .frame_skip = 4,
    .obs_dim = 12,
    .act_dim = 3,
    .n_extra = 0,
    .task = &custom,
    .observe = observe,
    .reward = reward,
};

START_TEST(test_hopper_has_v4_spaces_time_limit_and_render)
{
    mjt_check_spaces(&env);
    mjt_check_spaces(&env_custom);
}
END_TEST

START_TEST(test_hopper_random_steps_follow_v4_reward_and_termination)
{
    /* random actions topple the hopper within a few dozen steps */
    ck_assert_int_gt(mjt_check_random_steps(&env, 400), 0);
}
END_TEST

START_TEST(test_hopper_parameters_set_weights_ranges_and_observed_x)
{
    ck_assert_int_eq(mjt_check_random_steps(&env_custom, 300), 0);
}
END_TEST

START_TEST(test_hopper_terminates_when_out_of_each_healthy_range)
{
    size_t n;
    double reward, reward_off;
    double *start = mjt_reset_state(&env, NULL, &n);
    double *state = g_new(double, n);

    /* the reset state is healthy and earns the healthy reward */
    ck_assert_int_eq(mjt_step_from(&env, NULL, start, &reward, NULL), 0);
    ck_assert(reward > 0.5 && reward < 1.5);

    /* too low, tilted too far, too fast: each alone ends the episode */
    memcpy(state, start, sizeof(double) * n);
    state[1] = 0.6;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);
    ck_assert_int_eq(
        mjt_step_from(&env, "{terminate_when_unhealthy: false}", state, &reward_off, NULL), 0);
    mjt_assert_close(reward - reward_off, 1.0, 1e-12, "healthy reward paid on the last step");
    memcpy(state, start, sizeof(double) * n);
    state[2] = 0.3;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);
    memcpy(state, start, sizeof(double) * n);
    state[2] = -0.3;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);
    memcpy(state, start, sizeof(double) * n);
    state[6] = 150.0; /* qvel[0], the sliding x velocity */
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);
    memcpy(state, start, sizeof(double) * n);
    state[3] = -1.0; /* a joint angle alone stays healthy */
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 0);
    g_free(state);
    g_free(start);
}
END_TEST

START_TEST(test_hopper_healthy_bounds_are_strict)
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

START_TEST(test_hopper_rejects_malformed_ranges)
{
    char *why = mjt_create_fails(&env, "{healthy_z_range: [1.0, 0.5]}");
    ck_assert_msg(strstr(why, "healthy_z_range") && strstr(why, "below"), "message: %s", why);
    g_free(why);
    why = mjt_create_fails(&env, "{healthy_angle_range: [-0.2]}");
    ck_assert_msg(strstr(why, "healthy_angle_range") && strstr(why, "[low, high]"), "message: %s",
                  why);
    g_free(why);
    why = mjt_create_fails(&env, "{healthy_state_range: [1, 2, 3]}");
    ck_assert_msg(strstr(why, "healthy_state_range") && strstr(why, "3 numbers"), "message: %s",
                  why);
    g_free(why);
}
END_TEST

START_TEST(test_hopper_resume_from_state_is_bit_exact)
{
    mjt_check_resume_bitwise(&env);
}
END_TEST

START_TEST(test_hopper_steps_like_the_model_file)
{
    mjt_check_matches_model_file(&env);
}
END_TEST

START_TEST(test_hopper_reset_is_uniform_on_qpos_and_qvel)
{
    mjt_check_reset_distribution(&env, 1000, 5e-3, 5e-3, false);
}
END_TEST

START_TEST(test_hopper_threads_match_sequential_runs)
{
    mjt_check_threads_match_sequential(&env);
}
END_TEST

START_TEST(test_hopper_unstable_step_fails_naming_env_and_warning)
{
    mjt_check_unstable_step_fails(&env);
}
END_TEST

START_TEST(test_hopper_mujoco_error_fails_the_step_not_the_process)
{
    mjt_check_mujoco_error_fails_step(&env);
}
END_TEST

static Suite *hopper_suite(void)
{
    Suite *s = suite_create("hopper");
    TCase *model = tcase_create("model");
    tcase_add_test(model, test_hopper_model_has_pinned_sizes_and_options);
    tcase_add_test(model, test_hopper_model_bodies_have_pinned_masses_and_inertias);
    tcase_add_test(model, test_hopper_model_joints_have_pinned_ranges_and_dynamics);
    tcase_add_test(model, test_hopper_model_geoms_are_placed_as_described);
    tcase_add_test(model, test_hopper_model_actuators_have_pinned_gears_and_ranges);
    tcase_add_test(model, test_hopper_model_has_the_reference_contact_settings_and_self_collides);
    tcase_add_test(model, test_hopper_model_matches_100_step_fingerprint);
    suite_add_tcase(s, model);
    TCase *task = tcase_create("env");
    tcase_add_test(task, test_hopper_has_v4_spaces_time_limit_and_render);
    tcase_add_test(task, test_hopper_random_steps_follow_v4_reward_and_termination);
    tcase_add_test(task, test_hopper_parameters_set_weights_ranges_and_observed_x);
    tcase_add_test(task, test_hopper_terminates_when_out_of_each_healthy_range);
    tcase_add_test(task, test_hopper_healthy_bounds_are_strict);
    tcase_add_test(task, test_hopper_rejects_malformed_ranges);
    tcase_add_test(task, test_hopper_resume_from_state_is_bit_exact);
    tcase_add_test(task, test_hopper_steps_like_the_model_file);
    tcase_add_test(task, test_hopper_reset_is_uniform_on_qpos_and_qvel);
    tcase_add_test(task, test_hopper_threads_match_sequential_runs);
    tcase_add_test(task, test_hopper_unstable_step_fails_naming_env_and_warning);
    tcase_add_test(task, test_hopper_mujoco_error_fails_the_step_not_the_process);
    suite_add_tcase(s, task);
    return s;
}

int main(void)
{
    return ppo_test_run(hopper_suite());
}
