/* Tests of plugins/envs/mujoco/ant.c and models/ant.xml.
 *
 * The model tests pin what MuJoCo 2.2.2 computes from the shipped file to the figures of
 * shared/reference/mujoco-models.md §6 (Ant) and the description of §4, including the actuator
 * (= action) order; the env tests recompute Ant-v4's observation, reward and health rule (§7.4)
 * from the states around each step, with and without the contact-force terms.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "mj_test.h"

/* ---- pinned figures (§6, §4) ---- */

/* the tables are laid out as the reference lays them out */
/* clang-format off */

#define UPPER_MASS 0.039157753728466707
#define UPPER_INERTIA {0.000567966, 0.000567966, 0.000118442}
#define LOWER_MASS 0.067592204532680264
#define LOWER_INERTIA {0.00267479, 0.00267479, 0.000209432}
#define Q1 {0.707107, 0.5, -0.5, 0}
#define Q2 {0.707107, 0.5, 0.5, 0}
#define Q3 {0.707107, -0.5, 0.5, 0}
#define Q4 {0.707107, -0.5, -0.5, 0}

static const mjt_body_pin_t bodies[] = {
    {"world", 0, {0, 0, 0}, 0, {0, 0, 0}, {0, 0, 0}, {1, 0, 0, 0}},
    {"torso", 0, {0, 0, 0.75}, 0.32724923474893675, {0.00818123, 0.00818123, 0.00818123},
     {0, 0, 0}, {1, 0, 0, 0}},
    {"front_left_leg", 1, {0, 0, 0}, UPPER_MASS, UPPER_INERTIA, {0.1, 0.1, 0}, Q1},
    {"aux_1", 2, {0.2, 0.2, 0}, UPPER_MASS, UPPER_INERTIA, {0.1, 0.1, 0}, Q1},
    {NULL, 3, {0.2, 0.2, 0}, LOWER_MASS, LOWER_INERTIA, {0.2, 0.2, 0}, Q1},
    {"front_right_leg", 1, {0, 0, 0}, UPPER_MASS, UPPER_INERTIA, {-0.1, 0.1, 0}, Q2},
    {"aux_2", 5, {-0.2, 0.2, 0}, UPPER_MASS, UPPER_INERTIA, {-0.1, 0.1, 0}, Q2},
    {NULL, 6, {-0.2, 0.2, 0}, LOWER_MASS, LOWER_INERTIA, {-0.2, 0.2, 0}, Q2},
    {"back_leg", 1, {0, 0, 0}, UPPER_MASS, UPPER_INERTIA, {-0.1, -0.1, 0}, Q3},
    {"aux_3", 8, {-0.2, -0.2, 0}, UPPER_MASS, UPPER_INERTIA, {-0.1, -0.1, 0}, Q3},
    {NULL, 9, {-0.2, -0.2, 0}, LOWER_MASS, LOWER_INERTIA, {-0.2, -0.2, 0}, Q3},
    {"right_back_leg", 1, {0, 0, 0}, UPPER_MASS, UPPER_INERTIA, {0.1, -0.1, 0}, Q4},
    {"aux_4", 11, {0.2, -0.2, 0}, UPPER_MASS, UPPER_INERTIA, {0.1, -0.1, 0}, Q4},
    {NULL, 12, {0.2, -0.2, 0}, LOWER_MASS, LOWER_INERTIA, {0.2, -0.2, 0}, Q4},
};

#define DEG30 0.52359877559829882
#define DEG70 1.2217304763960306
#define HIP(NAME, BODY, QPOS)                                                                    \
    {NAME, BODY, mjJNT_HINGE, QPOS, QPOS - 1, 1, {-DEG30, DEG30}, 0, 1, 1, {0, 0, 0}, {0, 0, 1}}
#define ANKLE(NAME, BODY, QPOS, LO, HI, AX, AY)                                                  \
    {NAME, BODY, mjJNT_HINGE, QPOS, QPOS - 1, 1, {LO, HI}, 0, 1, 1, {0, 0, 0}, {AX, AY, 0}}

static const mjt_joint_pin_t joints[] = {
    {"root", 1, mjJNT_FREE, 0, 0, 0, {0, 0}, 0, 0, 0, {0, 0, 0}, {0, 0, 1}},
    HIP("hip_1", 3, 7),
    ANKLE("ankle_1", 4, 8, DEG30, DEG70, -1, 1),
    HIP("hip_2", 6, 9),
    ANKLE("ankle_2", 7, 10, -DEG70, -DEG30, 1, 1),
    HIP("hip_3", 9, 11),
    ANKLE("ankle_3", 10, 12, -DEG70, -DEG30, -1, 1),
    HIP("hip_4", 12, 13),
    ANKLE("ankle_4", 13, 14, DEG30, DEG70, 1, 1),
};

#define SHORT 0.1414213562373095 /* half of |(0.2, 0.2)| */
#define LONG 0.282842712474619   /* half of |(0.4, 0.4)| */
#define LEG_GEOM(NAME, BODY, HALF, PX, PY, AX, AY)                                               \
    {NAME, BODY, mjGEOM_CAPSULE, {0.08, HALF}, {PX, PY, 0}, MJT_AXIS_VEC, {AX, AY, 0}, 0,        \
     {1, 0.5, 0.5}, 1, 0, 3}

static const mjt_geom_pin_t geoms[] = {
    {"floor", 0, mjGEOM_PLANE, {40, 40}, {0, 0, 0}, MJT_AXIS_VEC, {0, 0, 1}, 0, {1, 0.5, 0.5}, 1,
     1, 3},
    {"torso_geom", 1, mjGEOM_SPHERE, {0.25, 0}, {0, 0, 0}, MJT_AXIS_NONE, {0, 0, 0}, 0,
     {1, 0.5, 0.5}, 1, 0, 3},
    LEG_GEOM("aux_1_geom", 2, SHORT, 0.1, 0.1, 1, 1),
    LEG_GEOM("left_leg_geom", 3, SHORT, 0.1, 0.1, 1, 1),
    LEG_GEOM("left_ankle_geom", 4, LONG, 0.2, 0.2, 1, 1),
    LEG_GEOM("aux_2_geom", 5, SHORT, -0.1, 0.1, -1, 1),
    LEG_GEOM("right_leg_geom", 6, SHORT, -0.1, 0.1, -1, 1),
    LEG_GEOM("right_ankle_geom", 7, LONG, -0.2, 0.2, -1, 1),
    LEG_GEOM("aux_3_geom", 8, SHORT, -0.1, -0.1, -1, -1),
    LEG_GEOM("back_leg_geom", 9, SHORT, -0.1, -0.1, -1, -1),
    LEG_GEOM("third_ankle_geom", 10, LONG, -0.2, -0.2, -1, -1),
    LEG_GEOM("aux_4_geom", 11, SHORT, 0.1, -0.1, 1, -1),
    LEG_GEOM("rightback_leg_geom", 12, SHORT, 0.1, -0.1, 1, -1),
    LEG_GEOM("fourth_ankle_geom", 13, LONG, 0.2, -0.2, 1, -1),
};

static const mjt_actuator_pin_t actuators[] = {
    {"hip_4", 150, {-1, 1}, 1}, {"ankle_4", 150, {-1, 1}, 1}, {"hip_1", 150, {-1, 1}, 1},
    {"ankle_1", 150, {-1, 1}, 1}, {"hip_2", 150, {-1, 1}, 1}, {"ankle_2", 150, {-1, 1}, 1},
    {"hip_3", 150, {-1, 1}, 1}, {"ankle_3", 150, {-1, 1}, 1},
};

static const double qpos0[] = {0, 0, 0.75, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const double dof_damping[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
static const double dof_armature[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
static const double fp_qpos[] = {
    -0.048068778798372451, -0.5097432651376993,  0.93847031689723337, 0.92652327888309638,
    -0.27367687035548982,  0.18153628827257079,  0.18357603427560681, -0.59267831143812721,
    0.53206002627436977,   -0.20588248251472724, -0.48129305754317919, 0.51834519191613493,
    -0.74566703767250853,  0.49774359464011303,  0.83605552580546083,
};
static const double fp_qvel[] = {
    -0.11963461091512925, -1.2184313149859505, -0.56377338757622231, 1.0530616362274576,
    0.67201528887191841,  1.201487065687574,   0.92205106541157034,  0.6427818043700273,
    5.9975416852942471,   -1.2156850152506544, -0.55990499216840384, -4.8982704301163729,
    -1.1871730424602929,  -6.803785563668221,
};

static const mjt_model_pin_t pin = {
    .file = "ant.xml",
    .nq = 15, .nv = 14, .nu = 8, .nbody = 14, .njnt = 9, .ngeom = 14,
    .timestep = 0.01,
    .integrator = mjINT_RK4,
    .total_mass_6 = 0.91088,
    .total_mass_17 = 0.91088008270739151,
    .bodies = bodies,
    .joints = joints,
    .geoms = geoms,
    .actuators = actuators,
    .qpos0 = qpos0,
    .dof_damping = dof_damping,
    .dof_armature = dof_armature,
    .fp_time = 1.0000000000000007,
    .fp_ncon = 0,
    .fp_qpos = fp_qpos,
    .fp_qvel = fp_qvel,
};
/* clang-format on */

START_TEST(test_ant_model_has_pinned_sizes_and_options)
{
    mjt_check_sizes(&pin);
}
END_TEST

START_TEST(test_ant_model_bodies_have_pinned_masses_and_inertias)
{
    mjt_check_bodies(&pin);
}
END_TEST

START_TEST(test_ant_model_joints_have_pinned_ranges_and_dynamics)
{
    mjt_check_joints(&pin);
}
END_TEST

START_TEST(test_ant_model_geoms_are_placed_as_described)
{
    mjt_check_geoms(&pin);
}
END_TEST

START_TEST(test_ant_model_actuators_are_in_action_order_with_pinned_gears)
{
    mjt_check_actuators(&pin);
}
END_TEST

START_TEST(test_ant_model_has_margins_and_violated_ankle_limits_at_qpos0)
{
    mjModel *m = mjt_load_model(pin.file);
    const double solimp[5] = {0.9, 0.95, 0.001, 0.5, 2};
    for (int g = 0; g < m->ngeom; g++) {
        mjt_assert_close(m->geom_margin[g], 0.01, 1e-15, "geom margin");
        for (int i = 0; i < mjNIMP; i++)
            mjt_assert_close(m->geom_solimp[mjNIMP * g + i], solimp[i], 1e-15, "geom solimp");
    }
    /* qpos0 puts every ankle at 0, outside its range: four limit rows from the start */
    mjData *d = mj_makeData(m);
    mj_resetData(m, d);
    mj_forward(m, d);
    int limits = 0;
    for (int r = 0; r < d->nefc; r++)
        if (d->efc_type[r] == mjCNSTR_LIMIT_JOINT)
            limits++;
    ck_assert_int_eq(limits, 4);
    mj_deleteData(d);
    mj_deleteModel(m);
}
END_TEST

START_TEST(test_ant_model_matches_100_step_fingerprint)
{
    mjt_check_fingerprint(&pin);
}
END_TEST

/* ---- Ant-v4 as the test computes it (§7.4) ---- */

#define N_CONTACT (14 * 6)

/* The task's constants as a parameter set makes them (field names follow the parameters). */
typedef struct task {
    double ctrl_cost_weight;
    int use_contact_forces;
    double contact_cost_weight;
    double healthy_reward;
    int terminate_when_unhealthy;
    double z_range[2];
    double force_range[2];
    int exclude_xy;
} task_t;

static double clip(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The state's extra doubles: x of the torso as MuJoCo last computed it, then cfrc_ext. */
static const double *extra(const mjModel *m, const double *state)
{
    return state + mjt_extra_at(m);
}

static void observe(const mjt_env_t *env, const mjModel *m, const double *state, double *obs)
{
    const task_t *task = env->task;
    int k = 0;
    for (int i = task->exclude_xy ? 2 : 0; i < m->nq; i++)
        obs[k++] = state[i];
    for (int i = 0; i < m->nv; i++)
        obs[k++] = state[mjt_qvel_at(m) + i];
    if (task->use_contact_forces)
        for (int i = 0; i < N_CONTACT; i++)
            obs[k++] = clip(extra(m, state)[1 + i], task->force_range[0], task->force_range[1]);
}

static void reward(const mjt_env_t *env, const mjModel *m, const double *before,
                   const double *after, const float *action, double *reward_out, int *terminated)
{
    const task_t *task = env->task;
    const double dt = m->opt.timestep * 5;
    const double x_velocity = (extra(m, after)[0] - extra(m, before)[0]) / dt;
    int ok = task->z_range[0] <= after[2] && after[2] <= task->z_range[1];
    for (int i = 0; i < m->nq + m->nv; i++)
        ok = ok && isfinite(after[i]);
    const double healthy_reward =
        (ok || task->terminate_when_unhealthy ? 1.0 : 0.0) * task->healthy_reward;
    double ctrl = 0.0;
    for (int i = 0; i < m->nu; i++)
        ctrl += (double)action[i] * (double)action[i];
    double costs = task->ctrl_cost_weight * ctrl;
    if (task->use_contact_forces) {
        double contact = 0.0;
        for (int i = 0; i < N_CONTACT; i++) {
            const double f =
                clip(extra(m, after)[1 + i], task->force_range[0], task->force_range[1]);
            contact += f * f;
        }
        costs += task->contact_cost_weight * contact;
    }
    *reward_out = (x_velocity + healthy_reward) - costs;
    *terminated = task->terminate_when_unhealthy && !ok;
}

static const task_t defaults = {0.5, 0, 5e-4, 1.0, 1, {0.2, 1.0}, {-1.0, 1.0}, 1};
static const mjt_env_t env = {
    .plugin = "ant",
    .model_file = "ant.xml",
    .params = "",
    .frame_skip = 5,
    .obs_dim = 27,
    .act_dim = 8,
    .n_extra = 1,
    .task = &defaults,
    .observe = observe,
    .reward = reward,
};

static const task_t contact = {0.25, 1, 1e-3, 0.5, 1, {0.2, 1.0}, {-0.5, 0.5}, 0};
static const mjt_env_t env_contact = {
    .plugin = "ant",
    .model_file = "ant.xml",
    .params = "{use_contact_forces: true, exclude_current_positions_from_observation: false, "
              "ctrl_cost_weight: 0.25, contact_cost_weight: 0.001, healthy_reward: 0.5, "
              "contact_force_range: [-0.5, 0.5]}",
    .frame_skip = 5,
    .obs_dim = 113,
    .act_dim = 8,
    .n_extra = 1 + N_CONTACT,
    .task = &contact,
    .observe = observe,
    .reward = reward,
};

static const task_t contact_only = {0.5, 1, 5e-4, 1.0, 1, {0.2, 1.0}, {-1.0, 1.0}, 1};
static const mjt_env_t env_contact_default = {
    .plugin = "ant",
    .model_file = "ant.xml",
    .params = "{use_contact_forces: true}",
    .frame_skip = 5,
    .obs_dim = 111,
    .act_dim = 8,
    .n_extra = 1 + N_CONTACT,
    .task = &contact_only,
    .observe = observe,
    .reward = reward,
};

START_TEST(test_ant_has_v4_spaces_time_limit_and_render)
{
    mjt_check_spaces(&env);
    mjt_check_spaces(&env_contact);
    mjt_check_spaces(&env_contact_default);
}
END_TEST

START_TEST(test_ant_random_steps_follow_v4_reward_and_termination)
{
    mjt_check_random_steps(&env, 400);
}
END_TEST

START_TEST(test_ant_contact_forces_enter_observation_and_cost)
{
    mjt_check_random_steps(&env_contact, 300);
    mjt_check_random_steps(&env_contact_default, 300);
}
END_TEST

START_TEST(test_ant_forward_reward_uses_torso_xpos_as_mujoco_left_it)
{
    enum { N_STEPS = 40 };
    mjModel *m = mjt_load_model("ant.xml");
    mjData *d = mj_makeData(m);
    mjt_inst_t t;
    mjt_inst_open(&t, &env, NULL);
    ppo_rng_t rng, act_rng;
    ppo_rng_seed(&rng, 71, "env", 0);
    ppo_rng_seed(&act_rng, 71, "act", 0);
    float obs[256], action[16];
    double reward;
    int terminated, stale = 0;
    double *state = g_new(double, t.state_size);

    /* the plugin beside MuJoCo driven by hand from the same start */
    mjt_reset(&t, &rng, obs);
    mjt_get_state(&t, state);
    mj_resetData(m, d);
    memcpy(d->qpos, state, sizeof(double) * (size_t)m->nq);
    memcpy(d->qvel, state + mjt_qvel_at(m), sizeof(double) * (size_t)m->nv);
    mj_forward(m, d);
    ck_assert(extra(m, state)[0] == d->xpos[3]);
    memcpy(d->qpos, state, sizeof(double) * (size_t)m->nq);
    memcpy(d->qacc_warmstart, state + mjt_time_at(m) + 1, sizeof(double) * (size_t)m->nv);
    for (int k = 0; k < N_STEPS; k++) {
        mjt_random_action(&t, &act_rng, action);
        mjt_step(&t, action, &rng, obs, &reward, &terminated);
        for (int i = 0; i < m->nu; i++)
            d->ctrl[i] = action[i];
        for (int j = 0; j < 5; j++)
            mj_step(m, d);
        mjt_get_state(&t, state);
        ck_assert_msg(extra(m, state)[0] == d->xpos[3], "step %d: x %.17g, data.xpos %.17g", k,
                      extra(m, state)[0], d->xpos[3]);
        stale += d->xpos[3] != d->qpos[0];
    }
    /* after an RK4 step data.xpos is not qpos: it comes from the last kinematics pass */
    ck_assert_int_gt(stale, 0);
    printf("ant: torso x from data.xpos differed from qpos[0] after %d of %d steps\n", stale,
           N_STEPS);
    g_free(state);
    mjt_inst_close(&t);
    mj_deleteData(d);
    mj_deleteModel(m);
}
END_TEST

START_TEST(test_ant_terminates_outside_the_closed_height_range)
{
    size_t n;
    double reward, reward_off;
    double *start = mjt_reset_state(&env, NULL, &n);
    double *state = g_new(double, n);
    double *after = g_new(double, n);
    char params[160];

    /* the reset state is healthy */
    ck_assert_int_eq(mjt_step_from(&env, NULL, start, &reward, after), 0);

    /* too low (the floor pushes a sunken torso back above 0.2 within a step, so the test
     * raises the bound instead) or too high */
    memcpy(state, start, sizeof(double) * n);
    state[2] = 0.5;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 0);
    ck_assert_int_eq(mjt_step_from(&env, "{healthy_z_range: [0.6, 1.0]}", state, &reward, NULL), 1);
    ck_assert_int_eq(mjt_step_from(&env,
                                   "{healthy_z_range: [0.6, 1.0], terminate_when_unhealthy: false}",
                                   state, &reward_off, NULL),
                     0);
    mjt_assert_close(reward - reward_off, 1.0, 1e-12, "healthy reward paid on the last step");
    memcpy(state, start, sizeof(double) * n);
    state[2] = 1.1;
    ck_assert_int_eq(mjt_step_from(&env, NULL, state, &reward, NULL), 1);

    /* both bounds belong to the healthy range */
    snprintf(params, sizeof(params), "{healthy_z_range: [%.17g, 1.0]}", after[2]);
    ck_assert_int_eq(mjt_step_from(&env, params, start, &reward, NULL), 0);
    snprintf(params, sizeof(params), "{healthy_z_range: [0.2, %.17g]}", after[2]);
    ck_assert_int_eq(mjt_step_from(&env, params, start, &reward, NULL), 0);
    snprintf(params, sizeof(params), "{healthy_z_range: [%.17g, 1.0]}", nextafter(after[2], 2.0));
    ck_assert_int_eq(mjt_step_from(&env, params, start, &reward, NULL), 1);
    g_free(after);
    g_free(state);
    g_free(start);
}
END_TEST

START_TEST(test_ant_rejects_malformed_ranges)
{
    char *why = mjt_create_fails(&env, "{contact_force_range: [1.0, -1.0]}");
    ck_assert_msg(strstr(why, "contact_force_range") && strstr(why, "below"), "message: %s", why);
    g_free(why);
    why = mjt_create_fails(&env, "{healthy_z_range: []}");
    ck_assert_msg(strstr(why, "healthy_z_range") && strstr(why, "0 numbers"), "message: %s", why);
    g_free(why);
}
END_TEST

START_TEST(test_ant_resume_from_state_is_bit_exact)
{
    mjt_check_resume_bitwise(&env);
    mjt_check_resume_bitwise(&env_contact);
}
END_TEST

START_TEST(test_ant_steps_like_the_model_file)
{
    mjt_check_matches_model_file(&env);
}
END_TEST

START_TEST(test_ant_reset_is_uniform_on_qpos_and_normal_on_qvel)
{
    mjt_check_reset_distribution(&env, 1000, 0.1, 0.1, true);
}
END_TEST

START_TEST(test_ant_threads_match_sequential_runs)
{
    mjt_check_threads_match_sequential(&env);
    mjt_check_threads_match_sequential(&env_contact);
}
END_TEST

START_TEST(test_ant_unstable_step_fails_naming_env_and_warning)
{
    mjt_check_unstable_step_fails(&env);
}
END_TEST

START_TEST(test_ant_mujoco_error_fails_the_step_not_the_process)
{
    mjt_check_mujoco_error_fails_step(&env);
}
END_TEST

static Suite *ant_suite(void)
{
    Suite *s = suite_create("ant");
    TCase *model = tcase_create("model");
    tcase_add_test(model, test_ant_model_has_pinned_sizes_and_options);
    tcase_add_test(model, test_ant_model_bodies_have_pinned_masses_and_inertias);
    tcase_add_test(model, test_ant_model_joints_have_pinned_ranges_and_dynamics);
    tcase_add_test(model, test_ant_model_geoms_are_placed_as_described);
    tcase_add_test(model, test_ant_model_actuators_are_in_action_order_with_pinned_gears);
    tcase_add_test(model, test_ant_model_has_margins_and_violated_ankle_limits_at_qpos0);
    tcase_add_test(model, test_ant_model_matches_100_step_fingerprint);
    suite_add_tcase(s, model);
    TCase *task = tcase_create("env");
    tcase_add_test(task, test_ant_has_v4_spaces_time_limit_and_render);
    tcase_add_test(task, test_ant_random_steps_follow_v4_reward_and_termination);
    tcase_add_test(task, test_ant_contact_forces_enter_observation_and_cost);
    tcase_add_test(task, test_ant_forward_reward_uses_torso_xpos_as_mujoco_left_it);
    tcase_add_test(task, test_ant_terminates_outside_the_closed_height_range);
    tcase_add_test(task, test_ant_rejects_malformed_ranges);
    tcase_add_test(task, test_ant_resume_from_state_is_bit_exact);
    tcase_add_test(task, test_ant_steps_like_the_model_file);
    tcase_add_test(task, test_ant_reset_is_uniform_on_qpos_and_normal_on_qvel);
    tcase_add_test(task, test_ant_threads_match_sequential_runs);
    tcase_add_test(task, test_ant_unstable_step_fails_naming_env_and_warning);
    tcase_add_test(task, test_ant_mujoco_error_fails_the_step_not_the_process);
    suite_add_tcase(s, task);
    return s;
}

int main(void)
{
    return ppo_test_run(ant_suite());
}
