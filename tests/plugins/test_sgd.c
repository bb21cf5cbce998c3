/* tests for plugins/optimizers/sgd.c — SGD steps against reference values, and its refusal of
 * Nesterov without momentum.
 *
 * Every expected number below was printed by tests/plugins/optimizer_reference.py (plain Python,
 * same directory), which writes torch.optim.SGD's update (dampening 0) out for a float32 array
 * without calling the plugin; rerun it to regenerate the blocks marked "from
 * optimizer_reference.py". Each case takes three steps (t = 1, 2, 3) with different gradients and
 * checks every parameter, and the momentum buffer when there is one, after every step.
 * Tolerance: 1e-6 relative (float rounding is 6e-8) plus 1e-9 absolute for references at zero.
 *
 * Left out: the core's side (lr schedule, gradient clipping, checkpointing the state).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_test.h"

#define REL_TOL 1e-6
#define ABS_TOL 1e-9
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
/* sgd_plain: lr 0.1, momentum 0.0, nesterov False, weight_decay 0.0;
 * rows t = 1, 2, 3 */
static const double sgd_plain_params[3][N_PARAMS] = {
    {0.49000001, -1.23000002, 1.97000003, 0, 3.1500001},
    {0.485000014, -1.26999998, 2.02999997, -0.0250000004, 3.25},
    {0.514999986, -1.27999997, 2.00999999, -0.0125000002, 3.04999995},
};

/* sgd_momentum: lr 0.1, momentum 0.9, nesterov False, weight_decay 0.0;
 * rows t = 1, 2, 3 */
static const double sgd_momentum_params[3][N_PARAMS] = {
    {0.49000001, -1.23000002, 1.97000003, 0, 3.1500001},
    {0.476000011, -1.25199997, 2.00300002, -0.0250000004, 3.38499999},
    {0.493400007, -1.28180003, 2.01270008, -0.0350000001, 3.39649987},
};
static const double sgd_momentum_buf[3][N_PARAMS] = {
    {0.100000001, -0.200000003, 0.300000012, 0, -1.5},
    {0.140000001, 0.219999999, -0.330000013, 0.25, -2.3499999},
    {-0.17400001, 0.298000008, -0.0970000103, 0.100000001, -0.114999913},
};

/* sgd_nesterov: lr 0.1, momentum 0.9, nesterov True, weight_decay 0.0;
 * rows t = 1, 2, 3 */
static const double sgd_nesterov_params[3][N_PARAMS] = {
    {0.481000006, -1.21200001, 1.94299996, 0, 3.28500009},
    {0.463400006, -1.27180004, 2.03270006, -0.0474999994, 3.59650016},
    {0.509060025, -1.3086201, 2.02143002, -0.0439999998, 3.4068501},
};
static const double sgd_nesterov_buf[3][N_PARAMS] = {
    {0.100000001, -0.200000003, 0.300000012, 0, -1.5},
    {0.140000001, 0.219999999, -0.330000013, 0.25, -2.3499999},
    {-0.17400001, 0.298000008, -0.0970000103, 0.100000001, -0.114999913},
};

/* sgd_weight_decay: lr 0.1, momentum 0.0, nesterov False, weight_decay 0.01;
 * rows t = 1, 2, 3 */
static const double sgd_weight_decay_params[3][N_PARAMS] = {
    {0.489499986, -1.22874999, 1.96800005, 0, 3.14700007},
    {0.484010488, -1.26752126, 2.02603197, -0.0250000004, 3.24385309},
    {0.513526499, -1.2762537, 2.00400591, -0.0124750007, 3.04060912},
};

/* sgd_momentum_weight_decay: lr 0.1, momentum 0.5, nesterov False, weight_decay 0.2;
 * rows t = 1, 2, 3 */
static const double sgd_momentum_weight_decay_params[3][N_PARAMS] = {
    {0.479999989, -1.20500004, 1.92999995, 0, 3.08999991},
    {0.45539999, -1.19840002, 1.91639996, -0.0250000004, 3.17319989},
    {0.463992, -1.18113208, 1.85127199, -0.0245000012, 2.95133591},
};
static const double sgd_momentum_weight_decay_buf[3][N_PARAMS] = {
    {0.200000003, -0.449999988, 0.699999988, 0, -0.899999976},
    {0.246000007, -0.0659999996, 0.135999963, 0.25, -0.832000017},
    {-0.0859200135, -0.172680005, 0.651279986, -0.00499999989, 2.21863985},
};

/* clang-format on */

/* ---- helpers ---- */

/* A fresh sgd instance with params `flow`; free with sgd_free. */
static void *sgd_new(const char *flow, ppo_params_t **params)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("sgd");
    ck_assert_int_eq(plugin->kind, PPO_KIND_OPTIMIZER);
    *params = ppo_test_params(plugin, flow);
    void *inst = plugin->vt.optimizer.create(&plugin->host, *params);
    char *why = inst == NULL ? ppo_host_take_error() : NULL;
    ck_assert_msg(inst != NULL, "sgd create failed: %s", why != NULL ? why : "no reason");
    return inst;
}

static void sgd_free(void *inst, ppo_params_t *params)
{
    ppo_test_plugin("sgd")->vt.optimizer.destroy(inst);
    ppo_params_free(params);
}

/* Compare every element of `got` (N_PARAMS) with the reference row of step t. */
static void check_row(const char *what, uint64_t t, const float *got, const double *want)
{
    for (size_t j = 0; j < N_PARAMS; j++)
        ck_assert_msg(fabs((double)got[j] - want[j]) <= REL_TOL * fabs(want[j]) + ABS_TOL,
                      "after step t=%u: %s[%zu] = %.9g, reference %.9g", (unsigned)t, what, j,
                      (double)got[j], want[j]);
}

/* Start from params0, step with grads[0..2] at learning rate `lr`, and after each step check
 * the parameters and, when buf_want is not NULL, the momentum buffer. The state starts filled
 * with `state0` (the core zeroes it; any value must do, since the buffer starts from the first
 * gradient). With buf_want NULL the optimizer must keep no state and is given none (NULL). */
static void check_three_steps(const char *flow, double lr, float state0,
                              const double (*params_want)[N_PARAMS],
                              const double (*buf_want)[N_PARAMS])
{
    ppo_params_t *params;
    void *inst = sgd_new(flow, &params);
    const ppo_optimizer_vtable_t *vt = &ppo_test_plugin("sgd")->vt.optimizer;
    const uint32_t state_floats = buf_want != NULL ? 1 : 0;
    ck_assert_uint_eq(vt->state_floats_per_param(inst), state_floats);

    float p[N_PARAMS + 1];
    float buf[N_PARAMS + 1];
    memcpy(p, params0, sizeof(params0));
    for (size_t j = 0; j < N_PARAMS; j++)
        buf[j] = state0;
    p[N_PARAMS] = buf[N_PARAMS] = SENTINEL;
    float *state = buf_want != NULL ? buf : NULL;
    for (uint64_t t = 1; t <= 3; t++) {
        ck_assert_int_eq(vt->step(inst, p, grads[t - 1], state, N_PARAMS, lr, t), 0);
        check_row("params", t, p, params_want[t - 1]);
        if (buf_want != NULL)
            check_row("momentum buffer", t, buf, buf_want[t - 1]);
    }
    ck_assert_msg(p[N_PARAMS] == SENTINEL && buf[N_PARAMS] == SENTINEL,
                  "sgd wrote past the parameters or the state");
    sgd_free(inst, params);
}

/* Whether the sgd schema accepts the params block `flow`. */
static bool schema_accepts(const char *flow)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("sgd");
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

START_TEST(test_sgd_plain_matches_reference_and_keeps_no_state)
{
    check_three_steps("", 0.1, 0.0f, sgd_plain_params, NULL);
}
END_TEST

START_TEST(test_sgd_momentum_matches_reference_for_steps_1_2_3)
{
    check_three_steps("{momentum: 0.9}", 0.1, 0.0f, sgd_momentum_params, sgd_momentum_buf);
}
END_TEST

START_TEST(test_sgd_momentum_buffer_starts_from_the_first_gradient)
{
    /* whatever the state holds before t = 1, the first buffer is the first gradient */
    check_three_steps("{momentum: 0.9}", 0.1, 7.0f, sgd_momentum_params, sgd_momentum_buf);
}
END_TEST

START_TEST(test_sgd_nesterov_matches_reference_for_steps_1_2_3)
{
    check_three_steps("{momentum: 0.9, nesterov: true}", 0.1, 0.0f, sgd_nesterov_params,
                      sgd_nesterov_buf);
}
END_TEST

START_TEST(test_sgd_weight_decay_matches_reference_with_and_without_momentum)
{
    check_three_steps("{weight_decay: 0.01}", 0.1, 0.0f, sgd_weight_decay_params, NULL);
    check_three_steps("{momentum: 0.5, weight_decay: 0.2}", 0.1, 0.0f,
                      sgd_momentum_weight_decay_params, sgd_momentum_weight_decay_buf);
}
END_TEST

START_TEST(test_sgd_steps_with_the_lr_it_is_given_not_its_lr_parameter)
{
    /* the core passes the scheduled rate; the lr parameter is the core's to read */
    check_three_steps("{lr: 5.0}", 0.1, 0.0f, sgd_plain_params, NULL);
}
END_TEST

START_TEST(test_sgd_refuses_nesterov_without_momentum_naming_both_and_the_fix)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("sgd");
    ppo_params_t *params = ppo_test_params(plugin, "{nesterov: true}");
    void *inst = plugin->vt.optimizer.create(&plugin->host, params);
    ck_assert_ptr_null(inst);
    char *why = ppo_host_take_error();
    ck_assert_msg(why != NULL, "create failed without a reason");
    /* where nesterov was set, both parameter names, where momentum came from, and the fix */
    ck_assert_msg(strstr(why, "test-params:1:") != NULL, "no position: %s", why);
    ck_assert_msg(strstr(why, "nesterov") != NULL, "nesterov not named: %s", why);
    ck_assert_msg(strstr(why, "momentum is 0 (default)") != NULL, "momentum not named: %s", why);
    ck_assert_msg(strstr(why, "set momentum to a value in (0, 1)") != NULL, "no fix: %s", why);
    ck_assert_msg(strstr(why, "or set nesterov to false") != NULL, "no fix: %s", why);
    g_free(why);
    ppo_params_free(params);

    /* an explicit momentum: 0 is refused the same way, and momentum > 0 is accepted */
    params = ppo_test_params(plugin, "{momentum: 0, nesterov: true}");
    ck_assert_ptr_null(plugin->vt.optimizer.create(&plugin->host, params));
    g_free(ppo_host_take_error());
    ppo_params_free(params);
    void *ok = sgd_new("{momentum: 0.1, nesterov: true}", &params);
    sgd_free(ok, params);
}
END_TEST

START_TEST(test_sgd_step_range_on_slices_equals_one_step)
{
    ppo_test_step_range_matches_step("sgd", "");
    ppo_test_step_range_matches_step("sgd", "{momentum: 0.9, weight_decay: 0.01}");
    ppo_test_step_range_matches_step("sgd", "{momentum: 0.9, nesterov: true}");
}
END_TEST

START_TEST(test_sgd_refuses_step_count_zero)
{
    ppo_params_t *params;
    void *inst = sgd_new("", &params);
    float p[N_PARAMS];
    memcpy(p, params0, sizeof(params0));
    const int rc =
        ppo_test_plugin("sgd")->vt.optimizer.step(inst, p, grads[0], NULL, N_PARAMS, 0.1, 0);
    ck_assert_int_lt(rc, 0);
    char *why = ppo_host_take_error();
    ck_assert_msg(why != NULL && strstr(why, "t must start at 1") != NULL, "message: %s",
                  why != NULL ? why : "(none)");
    ck_assert_msg(memcmp(p, params0, sizeof(params0)) == 0, "a refused step changed parameters");
    g_free(why);
    sgd_free(inst, params);
}
END_TEST

START_TEST(test_sgd_schema_bounds_lr_momentum_and_weight_decay)
{
    ck_assert(schema_accepts("{lr: 1e-3, momentum: 0, nesterov: false, weight_decay: 0}"));
    ck_assert(schema_accepts("{momentum: 0.99}"));
    ck_assert(!schema_accepts("{lr: 0}"));
    ck_assert(!schema_accepts("{momentum: 1}"));
    ck_assert(!schema_accepts("{momentum: -0.5}"));
    ck_assert(!schema_accepts("{weight_decay: -0.01}"));
    ck_assert(!schema_accepts("{nesterov: 1.5}"));
    ck_assert(!schema_accepts("{dampening: 0.1}"));
}
END_TEST

START_TEST(test_sgd_documents_itself_and_every_parameter)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("sgd");
    ck_assert(plugin->description != NULL && plugin->description[0] != '\0');
    ck_assert_uint_eq(plugin->n_specs, 4);
    for (uint32_t i = 0; i < plugin->n_specs; i++)
        ck_assert_msg(plugin->specs[i].doc != NULL && plugin->specs[i].doc[0] != '\0',
                      "parameter %s has no doc string", plugin->specs[i].name);
}
END_TEST

static Suite *sgd_suite(void)
{
    Suite *s = suite_create("sgd");
    TCase *tc = tcase_create("step");
    tcase_add_test(tc, test_sgd_plain_matches_reference_and_keeps_no_state);
    tcase_add_test(tc, test_sgd_momentum_matches_reference_for_steps_1_2_3);
    tcase_add_test(tc, test_sgd_momentum_buffer_starts_from_the_first_gradient);
    tcase_add_test(tc, test_sgd_nesterov_matches_reference_for_steps_1_2_3);
    tcase_add_test(tc, test_sgd_weight_decay_matches_reference_with_and_without_momentum);
    tcase_add_test(tc, test_sgd_steps_with_the_lr_it_is_given_not_its_lr_parameter);
    tcase_add_test(tc, test_sgd_step_range_on_slices_equals_one_step);
    tcase_add_test(tc, test_sgd_refuses_step_count_zero);
    suite_add_tcase(s, tc);
    TCase *tc_create = tcase_create("create");
    tcase_add_test(tc_create, test_sgd_refuses_nesterov_without_momentum_naming_both_and_the_fix);
    tcase_add_test(tc_create, test_sgd_schema_bounds_lr_momentum_and_weight_decay);
    tcase_add_test(tc_create, test_sgd_documents_itself_and_every_parameter);
    suite_add_tcase(s, tc_create);
    return s;
}

int main(void)
{
    return ppo_test_run(sgd_suite());
}
