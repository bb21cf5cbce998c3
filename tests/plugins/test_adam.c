/* tests for plugins/optimizers/adam.c — Adam steps against reference values.
 *
 * Every expected number below was printed by tests/plugins/optimizer_reference.py (plain Python,
 * same directory), which writes torch.optim.Adam's update out for a float32 array without calling
 * the plugin; rerun it to regenerate the blocks marked "from optimizer_reference.py". Each case
 * takes three steps (t = 1, 2, 3) with different gradients and checks every parameter and both
 * moment blocks after every step. The plugin computes each element in float32 as PyTorch does,
 * the reference in double between the float32 stores. Tolerance: 1e-6 relative (float rounding
 * is 6e-8 per operation) plus 1e-8 absolute: the terms of these updates reach 0.07, whose float32
 * rounding (4e-9) stays in a result that cancels to near zero (m[1] after step 2 of the
 * weight-decay case is 0.07 - 0.065).
 *
 * Left out: the core's side (lr schedule, gradient clipping, checkpointing the state).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_test.h"

#define REL_TOL 1e-6
#define ABS_TOL 1e-8
#define SENTINEL 12345.5f

/* ---- inputs, from optimizer_reference.py ---- */
/* clang-format off */
#define N_PARAMS 5
static const float params0[N_PARAMS] = {0.5f, -1.25f, 2.0f, 0.0f, 3.0f};
static const float grads[3][N_PARAMS] = {
    {0.1f, -0.2f, 0.3f, 0.0f, -1.5f},
    {0.05f, 0.4f, -0.6f, 0.25f, -1.0f},
    {-0.3f, 0.1f, 0.2f, -0.125f, 2.0f},
};

/* ---- expected values, from optimizer_reference.py ---- */
/* adam_defaults: lr 0.05, beta1 0.9, beta2 0.999, eps 1e-05, weight_decay 0.0;
 * rows t = 1, 2, 3 */
static const double adam_defaults_params[3][N_PARAMS] = {
    {0.450004995, -1.20000255, 1.95000172, 0, 3.04999971},
    {0.403401911, -1.21830714, 1.96830654, -0.037204735, 3.09851694},
    {0.420762151, -1.23908889, 1.97273493, -0.0486360453, 3.09988165},
};
static const double adam_defaults_m[3][N_PARAMS] = {
    {0.00999999978, -0.0199999996, 0.0300000012, 0, -0.150000006},
    {0.0139999995, 0.0220000017, -0.0329999998, 0.0250000004, -0.234999999},
    {-0.0174000021, 0.0298000015, -0.00969999935, 0.0100000007, -0.0114999991},
};
static const double adam_defaults_v[3][N_PARAMS] = {
    {1.00000007e-05, 4.00000026e-05, 9.00000086e-05, 0, 0.0022499999},
    {1.24900007e-05, 0.000199960006, 0.000449910032, 6.2500003e-05, 0.00324774999},
    {0.000102477519, 0.000209760052, 0.00048946013, 7.80625051e-05, 0.00724450219},
};

/* adam_weight_decay: lr 0.1, beta1 0.8, beta2 0.99, eps 1e-08, weight_decay 0.1;
 * rows t = 1, 2, 3 */
static const double adam_weight_decay_params[3][N_PARAMS] = {
    {0.400000006, -1.14999998, 1.89999998, 0, 3.0999999},
    {0.305568874, -1.15454543, 1.90121567, -0.07837075, 3.19377065},
    {0.327930063, -1.15529358, 1.86526585, -0.0951930434, 3.16757727},
};
static const double adam_weight_decay_m[3][N_PARAMS] = {
    {0.0300000012, -0.0649999976, 0.100000001, 0, -0.239999995},
    {0.0419999994, 0.00500000361, -0.00200000405, 0.0500000007, -0.329999983},
    {-0.0202886257, 0.000909094641, 0.0764243081, 0.0134325856, 0.199875429},
};
static const double adam_weight_decay_v[3][N_PARAMS] = {
    {0.000225000011, 0.00105625007, 0.00250000018, 0, 0.0143999998},
    {0.000303750014, 0.00185793766, 0.00415600045, 0.000624999986, 0.0190169998},
    {0.00102670852, 0.00184174674, 0.0056363889, 0.00079520687, 0.0726219267},
};

/* clang-format on */

/* ---- helpers ---- */

/* A fresh adam instance with params `flow`; free with adam_free. */
static void *adam_new(const char *flow, ppo_params_t **params)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("adam");
    ck_assert_int_eq(plugin->kind, PPO_KIND_OPTIMIZER);
    *params = ppo_test_params(plugin, flow);
    void *inst = plugin->vt.optimizer.create(&plugin->host, *params);
    char *why = inst == NULL ? ppo_host_take_error() : NULL;
    ck_assert_msg(inst != NULL, "adam create failed: %s", why != NULL ? why : "no reason");
    return inst;
}

static void adam_free(void *inst, ppo_params_t *params)
{
    ppo_test_plugin("adam")->vt.optimizer.destroy(inst);
    ppo_params_free(params);
}

/* Compare every element of `got` (n) with the reference row of step t (element j with
 * want[j % N_PARAMS]). */
static void check_row_n(const char *what, uint64_t t, const float *got, const double *want,
                        size_t n)
{
    for (size_t j = 0; j < n; j++)
        ck_assert_msg(fabs((double)got[j] - want[j % N_PARAMS]) <=
                          REL_TOL * fabs(want[j % N_PARAMS]) + ABS_TOL,
                      "after step t=%u: %s[%zu] = %.9g, reference %.9g", (unsigned)t, what, j,
                      (double)got[j], want[j % N_PARAMS]);
}

static void check_row(const char *what, uint64_t t, const float *got, const double *want)
{
    check_row_n(what, t, got, want, N_PARAMS);
}

/* Start from params0 with zeroed state, step with grads[0..2] at learning rate `lr`, and after
 * each step check the parameters and the m and v blocks. A sentinel follows each array. */
static void check_three_steps(const char *flow, double lr, const double (*params_want)[N_PARAMS],
                              const double (*m_want)[N_PARAMS], const double (*v_want)[N_PARAMS])
{
    ppo_params_t *params;
    void *inst = adam_new(flow, &params);
    const ppo_optimizer_vtable_t *vt = &ppo_test_plugin("adam")->vt.optimizer;
    ck_assert_uint_eq(vt->state_floats_per_param(inst), 2);

    float p[N_PARAMS + 1];
    float state[2 * N_PARAMS + 1];
    memcpy(p, params0, sizeof(params0));
    memset(state, 0, sizeof(state));
    p[N_PARAMS] = state[2 * N_PARAMS] = SENTINEL;
    for (uint64_t t = 1; t <= 3; t++) {
        ck_assert_int_eq(vt->step(inst, p, grads[t - 1], state, N_PARAMS, lr, t), 0);
        check_row("params", t, p, params_want[t - 1]);
        check_row("m", t, state, m_want[t - 1]);
        check_row("v", t, state + N_PARAMS, v_want[t - 1]);
    }
    ck_assert_msg(p[N_PARAMS] == SENTINEL && state[2 * N_PARAMS] == SENTINEL,
                  "adam wrote past the parameters or the state");
    adam_free(inst, params);
}

/* Whether the adam schema accepts the params block `flow`. */
static bool schema_accepts(const char *flow)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("adam");
    GError *error = NULL;
    ppo_ydoc_t *doc = ppo_ydoc_parse("test-params", flow, strlen(flow), &error);
    ck_assert_msg(doc != NULL, "bad test YAML %s", flow);
    ppo_params_t *params = ppo_params_build(plugin->specs, plugin->n_specs, ppo_ydoc_root(doc),
                                            "optimizer.params", NULL, NULL, &error);
    ppo_ydoc_free(doc);
    const bool ok = params != NULL;
    ppo_params_free(params);
    g_clear_error(&error);
    return ok;
}

/* ---- tests ---- */

START_TEST(test_adam_defaults_match_reference_for_steps_1_2_3)
{
    /* beta1 0.9, beta2 0.999, eps 1e-5, no weight decay: the schema's defaults */
    check_three_steps("", 0.05, adam_defaults_params, adam_defaults_m, adam_defaults_v);
}
END_TEST

START_TEST(test_adam_weight_decay_and_other_betas_match_reference)
{
    check_three_steps("{beta1: 0.8, beta2: 0.99, eps: 1e-8, weight_decay: 0.1}", 0.1,
                      adam_weight_decay_params, adam_weight_decay_m, adam_weight_decay_v);
}
END_TEST

START_TEST(test_adam_steps_with_the_lr_it_is_given_not_its_lr_parameter)
{
    /* the core passes the scheduled rate; the lr parameter is the core's to read */
    check_three_steps("{lr: 1.0}", 0.05, adam_defaults_params, adam_defaults_m, adam_defaults_v);
}
END_TEST

START_TEST(test_adam_long_arrays_match_reference_in_vector_body_and_tail)
{
    /* 8 copies of the reference case, 40 elements: the 16- and 8-wide loop bodies and the scalar
     * tail all run, and every element must still follow its reference */
    enum { COPIES = 8, N = COPIES * N_PARAMS };
    ppo_params_t *params;
    void *inst = adam_new("", &params);
    const ppo_optimizer_vtable_t *vt = &ppo_test_plugin("adam")->vt.optimizer;
    float p[N], g[N], state[2 * N];
    for (size_t j = 0; j < N; j++)
        p[j] = params0[j % N_PARAMS];
    memset(state, 0, sizeof(state));
    for (uint64_t t = 1; t <= 3; t++) {
        for (size_t j = 0; j < N; j++)
            g[j] = grads[t - 1][j % N_PARAMS];
        ck_assert_int_eq(vt->step(inst, p, g, state, N, 0.05, t), 0);
        check_row_n("params", t, p, adam_defaults_params[t - 1], N);
        check_row_n("m", t, state, adam_defaults_m[t - 1], N);
        check_row_n("v", t, state + N, adam_defaults_v[t - 1], N);
    }
    adam_free(inst, params);
}
END_TEST

START_TEST(test_adam_step_range_on_slices_equals_one_step)
{
    ppo_test_step_range_matches_step("adam", "");
    ppo_test_step_range_matches_step("adam", "{beta1: 0.8, beta2: 0.99, weight_decay: 0.1}");
}
END_TEST

START_TEST(test_adam_refuses_step_count_zero)
{
    ppo_params_t *params;
    void *inst = adam_new("", &params);
    float p[N_PARAMS], state[2 * N_PARAMS] = {0};
    memcpy(p, params0, sizeof(params0));
    const int rc =
        ppo_test_plugin("adam")->vt.optimizer.step(inst, p, grads[0], state, N_PARAMS, 0.05, 0);
    ck_assert_int_lt(rc, 0);
    char *why = ppo_host_take_error();
    ck_assert_msg(why != NULL && strstr(why, "t must start at 1") != NULL, "message: %s",
                  why != NULL ? why : "(none)");
    ck_assert_msg(memcmp(p, params0, sizeof(params0)) == 0, "a refused step changed parameters");
    g_free(why);
    adam_free(inst, params);
}
END_TEST

START_TEST(test_adam_schema_bounds_lr_betas_eps_and_weight_decay)
{
    ck_assert(schema_accepts("{lr: 1e-3, beta1: 0, beta2: 0, eps: 1e-12, weight_decay: 0}"));
    ck_assert(!schema_accepts("{lr: 0}"));
    ck_assert(!schema_accepts("{beta1: 1}"));
    ck_assert(!schema_accepts("{beta2: 1}"));
    ck_assert(!schema_accepts("{beta1: -0.1}"));
    ck_assert(!schema_accepts("{eps: 0}"));
    ck_assert(!schema_accepts("{weight_decay: -0.01}"));
}
END_TEST

START_TEST(test_adam_documents_itself_and_every_parameter)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("adam");
    ck_assert(plugin->description != NULL && plugin->description[0] != '\0');
    ck_assert_uint_eq(plugin->n_specs, 5);
    for (uint32_t i = 0; i < plugin->n_specs; i++)
        ck_assert_msg(plugin->specs[i].doc != NULL && plugin->specs[i].doc[0] != '\0',
                      "parameter %s has no doc string", plugin->specs[i].name);
}
END_TEST

static Suite *adam_suite(void)
{
    Suite *s = suite_create("adam");
    TCase *tc = tcase_create("step");
    tcase_add_test(tc, test_adam_defaults_match_reference_for_steps_1_2_3);
    tcase_add_test(tc, test_adam_weight_decay_and_other_betas_match_reference);
    tcase_add_test(tc, test_adam_steps_with_the_lr_it_is_given_not_its_lr_parameter);
    tcase_add_test(tc, test_adam_long_arrays_match_reference_in_vector_body_and_tail);
    tcase_add_test(tc, test_adam_step_range_on_slices_equals_one_step);
    tcase_add_test(tc, test_adam_refuses_step_count_zero);
    suite_add_tcase(s, tc);
    TCase *tc_desc = tcase_create("descriptor");
    tcase_add_test(tc_desc, test_adam_schema_bounds_lr_betas_eps_and_weight_decay);
    tcase_add_test(tc_desc, test_adam_documents_itself_and_every_parameter);
    suite_add_tcase(s, tc_desc);
    return s;
}

int main(void)
{
    return ppo_test_run(adam_suite());
}
