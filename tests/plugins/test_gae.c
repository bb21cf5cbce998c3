/* tests for plugins/advantage/gae.c — GAE(gamma, lambda) against reference values.
 *
 * Every expected number below was printed by tests/plugins/advantage_reference.py (plain
 * Python, same directory), which writes the recursion out from DESIGN.md §3 without calling the
 * plugin; rerun it to regenerate the blocks marked "from advantage_reference.py". Each case checks
 * every element of both outputs. Tolerance: a float result may differ from the double reference
 * by 1e-6 relative (float rounding alone is 6e-8) plus 1e-9 absolute for references at zero.
 *
 * Left out: the core's side (building the view, normalizing advantages); the schema's own
 * messages (tests/core covers them) beyond the ranges gae declares.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_test.h"

#define REL_TOL 1e-6
#define ABS_TOL 1e-9
#define SENTINEL 12345.5f

/* One rollout, as the reference script lays it out. */
typedef struct adv_case {
    uint32_t T;              /* steps */
    uint32_t N;              /* envs */
    const float *rewards;    /* (T, N) */
    const float *values;     /* (T, N) */
    const float *terminated; /* (T, N) 0 or 1 */
    const float *truncated;  /* (T, N) 0 or 1 */
    const float *bootstrap;  /* (T, N) V(final observation) where truncated */
    const float *last;       /* (N) V(obs[T]) */
} adv_case_t;

/* ---- inputs, from advantage_reference.py ---- */
/* clang-format off */
static const adv_case_t case_single = {
    .T = 6,
    .N = 1,
    .rewards = (const float[]){1.0f, 0.5f, -0.25f, 2.0f, 0.0f, 1.5f},
    .values = (const float[]){0.5f, 1.0f, 0.25f, -0.5f, 1.25f, 0.75f},
    .terminated = (const float[]){0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f},
    .truncated = (const float[]){0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f},
    .bootstrap = (const float[]){0.0f, 0.0f, 0.0f, 2.5f, 0.0f, 0.0f},
    .last = (const float[]){0.75f},
};

static const adv_case_t case_both_flags = {
    .T = 3,
    .N = 1,
    .rewards = (const float[]){1.0f, 2.0f, 0.5f},
    .values = (const float[]){0.25f, 0.5f, -1.0f},
    .terminated = (const float[]){0.0f, 1.0f, 0.0f},
    .truncated = (const float[]){0.0f, 1.0f, 0.0f},
    .bootstrap = (const float[]){0.0f, 8.0f, 0.0f},
    .last = (const float[]){2.0f},
};

static const adv_case_t case_multi = {
    .T = 5,
    .N = 3,
    .rewards =
        (const float[]){
            1.0f, 0.5f, -1.0f,
            0.25f, 2.0f, 0.5f,
            -0.5f, 1.0f, 1.5f,
            2.0f, -0.25f, 0.0f,
            0.75f, 1.25f, -0.5f,
        },
    .values =
        (const float[]){
            0.5f, 1.5f, -0.25f,
            1.0f, 0.75f, 0.5f,
            -0.25f, 2.25f, 1.0f,
            0.25f, -1.0f, 0.75f,
            1.5f, 0.5f, -0.75f,
        },
    .terminated =
        (const float[]){
            0.0f, 0.0f, 0.0f,
            0.0f, 0.0f, 0.0f,
            1.0f, 0.0f, 0.0f,
            0.0f, 0.0f, 0.0f,
            0.0f, 1.0f, 0.0f,
        },
    .truncated =
        (const float[]){
            0.0f, 0.0f, 0.0f,
            0.0f, 1.0f, 0.0f,
            0.0f, 0.0f, 0.0f,
            0.0f, 0.0f, 0.0f,
            0.0f, 0.0f, 0.0f,
        },
    .bootstrap =
        (const float[]){
            0.0f, 0.0f, 0.0f,
            0.0f, -1.5f, 0.0f,
            0.0f, 0.0f, 0.0f,
            0.0f, 0.0f, 0.0f,
            0.0f, 0.0f, 0.0f,
        },
    .last = (const float[]){1.0f, 3.0f, -2.0f},
};

static const adv_case_t case_one_step = {
    .T = 1,
    .N = 1,
    .rewards = (const float[]){0.5f},
    .values = (const float[]){0.25f},
    .terminated = (const float[]){0.0f},
    .truncated = (const float[]){0.0f},
    .bootstrap = (const float[]){0.0f},
    .last = (const float[]){1.5f},
};

/* ---- expected values, from advantage_reference.py ---- */
/* gae on SINGLE, gamma 0.99, lambda 0.95 */
static const double single_defaults_adv[] = {
    1.01975, -0.5, 3.6839874999999997, 4.975,
    0.8961962499999996, 1.4924999999999997,
};
static const double single_defaults_ret[] = {
    1.51975, 0.5, 3.9339874999999997, 4.475,
    2.1461962499999996, 2.2424999999999997,
};

/* gae on BOTH_FLAGS, gamma 0.9, lambda 0.8 */
static const double both_flags_adv[] = {
    2.2800000000000002, 1.5, 3.3,
};
static const double both_flags_ret[] = {
    2.5300000000000002, 2.0, 2.3,
};

/* gae on MULTI, gamma 0.9, lambda 0.8 */
static const double multi_adv[] = {
    0.5683999999999998, -0.397, 0.008696831999999544,
    -1.155, -0.10000000000000009, 0.4287455999999994,
    -0.25, -0.8971999999999998, -0.6545200000000007,
    3.208, 1.74, -2.5410000000000004,
    0.1499999999999999, 0.75, -1.5499999999999998,
};
static const double multi_ret[] = {
    1.0683999999999998, 1.103, -0.24130316800000046,
    -0.15500000000000003, 0.6499999999999999, 0.9287455999999994,
    -0.5, 1.3528000000000002, 0.34547999999999934,
    3.458, 0.74, -1.7910000000000004,
    1.65, 1.25, -2.3,
};

/* gae on MULTI, gamma 0.9, lambda 0.0 */
static const double multi_lambda0_adv[] = {
    1.4, -0.32499999999999996, -0.30000000000000004,
    -0.975, -0.10000000000000009, 0.8999999999999999,
    -0.25, -2.15, 1.1749999999999998,
    3.1, 1.2, -1.425,
    0.1499999999999999, 0.75, -1.5499999999999998,
};
static const double multi_lambda0_ret[] = {
    1.9, 1.175, -0.55,
    0.025000000000000022, 0.6499999999999999, 1.4,
    -0.5, 0.10000000000000009, 2.175,
    3.35, 0.19999999999999996, -0.675,
    1.65, 1.25, -2.3,
};

/* gae on MULTI, gamma 0.9, lambda 1.0 */
static const double multi_lambda1_adv[] = {
    0.31999999999999984, -0.41500000000000004, -0.5940300000000003,
    -1.2, -0.10000000000000009, -0.3267000000000002,
    -0.25, -0.4624999999999999, -1.363,
    3.235, 1.875, -2.82,
    0.1499999999999999, 0.75, -1.5499999999999998,
};
static const double multi_lambda1_ret[] = {
    0.8199999999999998, 1.085, -0.8440300000000003,
    -0.19999999999999996, 0.6499999999999999, 0.1732999999999998,
    -0.5, 1.7875, -0.363,
    3.485, 0.875, -2.07,
    1.65, 1.25, -2.3,
};

/* gae on MULTI, gamma 1.0, lambda 0.95 */
static const double multi_gamma1_adv[] = {
    0.3243750000000001, -0.4875, -0.8833234374999995,
    -1.2375, -0.25, -0.6666562499999995,
    -0.25, -0.3856250000000001, -1.7543749999999996,
    3.4875, 1.9625, -3.1624999999999996,
    0.25, 0.75, -1.75,
};
static const double multi_gamma1_ret[] = {
    0.8243750000000001, 1.0125, -1.1333234374999996,
    -0.23750000000000004, 0.5, -0.1666562499999995,
    -0.5, 1.864375, -0.7543749999999996,
    3.7375, 0.9624999999999999, -2.4124999999999996,
    1.75, 1.25, -2.5,
};

/* gae on ONE_STEP, gamma 0.99, lambda 0.95 */
static const double one_step_adv[] = {
    1.7349999999999999,
};
static const double one_step_ret[] = {
    1.9849999999999999,
};

/* clang-format on */

/* ---- helpers ---- */

/* Run the advantage plugin `name` with params `flow` on `c`. *adv and *ret are (T, N) arrays
 * (free with g_free). The outputs start as NaN, so an element the plugin skips fails the
 * comparison, and one float past each end holds a sentinel that must survive. */
static void run_estimator(const char *name, const char *flow, const adv_case_t *c, float **adv,
                          float **ret)
{
    const ppo_plugin_t *plugin = ppo_test_plugin(name);
    ck_assert_int_eq(plugin->kind, PPO_KIND_ADVANTAGE);
    ppo_params_t *params = ppo_test_params(plugin, flow);
    void *inst = plugin->vt.advantage.create(&plugin->host, params);
    char *why = inst == NULL ? ppo_host_take_error() : NULL;
    ck_assert_msg(inst != NULL, "%s create failed: %s", name, why != NULL ? why : "no reason");

    const size_t n = (size_t)c->T * c->N;
    float *a = g_new(float, n + 1);
    float *r = g_new(float, n + 1);
    for (size_t k = 0; k < n; k++)
        a[k] = r[k] = NAN;
    a[n] = r[n] = SENTINEL;
    const ppo_rollout_view_t view = {
        .struct_size = sizeof(ppo_rollout_view_t),
        .T = c->T,
        .N = c->N,
        .rewards = c->rewards,
        .values = c->values,
        .terminated = c->terminated,
        .truncated = c->truncated,
        .bootstrap_values = c->bootstrap,
        .last_values = c->last,
    };
    ck_assert_int_eq(plugin->vt.advantage.estimate(inst, &view, a, r), 0);
    ck_assert_msg(a[n] == SENTINEL && r[n] == SENTINEL, "%s wrote past the (T, N) outputs", name);

    plugin->vt.advantage.destroy(inst);
    ppo_params_free(params);
    *adv = a;
    *ret = r;
}

/* Compare every element of `got` (T, N) with the reference. */
static void check_all(const char *what, const float *got, const double *want, const adv_case_t *c)
{
    const size_t n = (size_t)c->T * c->N;
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(fabs((double)got[k] - want[k]) <= REL_TOL * fabs(want[k]) + ABS_TOL,
                      "%s[t=%zu, env=%zu] = %.9g, reference %.17g", what, k / c->N, k % c->N,
                      (double)got[k], want[k]);
}

/* Run gae and check both outputs against the reference. */
static void check_gae(const char *flow, const adv_case_t *c, const double *adv_want,
                      const double *ret_want)
{
    float *adv, *ret;
    run_estimator("gae", flow, c, &adv, &ret);
    check_all("advantages", adv, adv_want, c);
    check_all("returns", ret, ret_want, c);
    g_free(adv);
    g_free(ret);
}

/* Whether the gae schema accepts the params block `flow`. */
static bool schema_accepts(const char *flow)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("gae");
    GError *error = NULL;
    ppo_ydoc_t *doc = ppo_ydoc_parse("test-params", flow, strlen(flow), &error);
    ck_assert_msg(doc != NULL, "bad test YAML %s", flow);
    ppo_params_t *params = ppo_params_build(plugin->specs, plugin->n_specs, ppo_ydoc_root(doc),
                                            "advantage.params", NULL, NULL, &error);
    ppo_ydoc_free(doc);
    const bool ok = params != NULL;
    ppo_params_free(params);
    g_clear_error(&error);
    return ok;
}

/* ---- tests ---- */

START_TEST(test_gae_defaults_match_reference_with_termination_truncation_and_cut)
{
    /* gamma 0.99 and lambda 0.95 come from the schema's defaults */
    check_gae("", &case_single, single_defaults_adv, single_defaults_ret);
}
END_TEST

START_TEST(test_gae_terminated_wins_over_truncated_on_the_same_step)
{
    /* the bootstrap value 8 of the doubly flagged step must not be used */
    check_gae("{gamma: 0.9, lambda: 0.8}", &case_both_flags, both_flags_adv, both_flags_ret);
}
END_TEST

START_TEST(test_gae_keeps_three_envs_apart_with_different_boundaries)
{
    check_gae("{gamma: 0.9, lambda: 0.8}", &case_multi, multi_adv, multi_ret);
}
END_TEST

START_TEST(test_gae_lambda_zero_gives_one_step_td_error)
{
    check_gae("{gamma: 0.9, lambda: 0}", &case_multi, multi_lambda0_adv, multi_lambda0_ret);

    /* and the TD error written out here directly, for every element */
    const adv_case_t *c = &case_multi;
    float *adv, *ret;
    run_estimator("gae", "{gamma: 0.9, lambda: 0}", c, &adv, &ret);
    for (uint32_t t = 0; t < c->T; t++) {
        for (uint32_t i = 0; i < c->N; i++) {
            const size_t k = (size_t)t * c->N + i;
            double next = t + 1 == c->T ? c->last[i] : c->values[k + c->N];
            if (c->terminated[k] != 0.0f)
                next = 0.0;
            else if (c->truncated[k] != 0.0f)
                next = c->bootstrap[k];
            const double delta = c->rewards[k] + 0.9 * next - c->values[k];
            ck_assert_msg(fabs(adv[k] - delta) <= REL_TOL * fabs(delta) + ABS_TOL,
                          "advantages[t=%u, env=%u] = %.9g, TD error %.17g", t, i, (double)adv[k],
                          delta);
        }
    }
    g_free(adv);
    g_free(ret);
}
END_TEST

START_TEST(test_gae_lambda_one_equals_mc_with_the_same_bootstrap_rule)
{
    check_gae("{gamma: 0.9, lambda: 1}", &case_multi, multi_lambda1_adv, multi_lambda1_ret);

    /* the mc plugin on the same rollout gives the same numbers */
    float *gae_adv, *gae_ret, *mc_adv, *mc_ret;
    run_estimator("gae", "{gamma: 0.9, lambda: 1}", &case_multi, &gae_adv, &gae_ret);
    run_estimator("mc", "{gamma: 0.9}", &case_multi, &mc_adv, &mc_ret);
    const size_t n = (size_t)case_multi.T * case_multi.N;
    for (size_t k = 0; k < n; k++) {
        ck_assert_msg(fabs(gae_adv[k] - mc_adv[k]) <= REL_TOL * fabs(mc_adv[k]) + ABS_TOL,
                      "advantages[%zu]: gae %.9g, mc %.9g", k, (double)gae_adv[k],
                      (double)mc_adv[k]);
        ck_assert_msg(fabs(gae_ret[k] - mc_ret[k]) <= REL_TOL * fabs(mc_ret[k]) + ABS_TOL,
                      "returns[%zu]: gae %.9g, mc %.9g", k, (double)gae_ret[k], (double)mc_ret[k]);
    }
    g_free(gae_adv);
    g_free(gae_ret);
    g_free(mc_adv);
    g_free(mc_ret);
}
END_TEST

START_TEST(test_gae_gamma_one_matches_reference)
{
    check_gae("{gamma: 1, lambda: 0.95}", &case_multi, multi_gamma1_adv, multi_gamma1_ret);
}
END_TEST

START_TEST(test_gae_one_step_rollout_bootstraps_with_last_value)
{
    check_gae("", &case_one_step, one_step_adv, one_step_ret);
}
END_TEST

START_TEST(test_gae_schema_takes_gamma_in_0_1_and_lambda_in_closed_0_1)
{
    ck_assert(schema_accepts("{gamma: 1, lambda: 0}"));
    ck_assert(schema_accepts("{gamma: 0.5, lambda: 1}"));
    ck_assert(!schema_accepts("{gamma: 0}"));
    ck_assert(!schema_accepts("{gamma: 1.01}"));
    ck_assert(!schema_accepts("{lambda: -0.1}"));
    ck_assert(!schema_accepts("{lambda: 1.5}"));
    ck_assert(!schema_accepts("{lamda: 0.9}"));
}
END_TEST

START_TEST(test_gae_documents_itself_and_every_parameter)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("gae");
    ck_assert(plugin->description != NULL && plugin->description[0] != '\0');
    ck_assert_uint_eq(plugin->n_specs, 2);
    for (uint32_t i = 0; i < plugin->n_specs; i++)
        ck_assert_msg(plugin->specs[i].doc != NULL && plugin->specs[i].doc[0] != '\0',
                      "parameter %s has no doc string", plugin->specs[i].name);
}
END_TEST

static Suite *gae_suite(void)
{
    Suite *s = suite_create("gae");
    TCase *tc = tcase_create("estimate");
    tcase_add_test(tc, test_gae_defaults_match_reference_with_termination_truncation_and_cut);
    tcase_add_test(tc, test_gae_terminated_wins_over_truncated_on_the_same_step);
    tcase_add_test(tc, test_gae_keeps_three_envs_apart_with_different_boundaries);
    tcase_add_test(tc, test_gae_lambda_zero_gives_one_step_td_error);
    tcase_add_test(tc, test_gae_lambda_one_equals_mc_with_the_same_bootstrap_rule);
    tcase_add_test(tc, test_gae_gamma_one_matches_reference);
    tcase_add_test(tc, test_gae_one_step_rollout_bootstraps_with_last_value);
    suite_add_tcase(s, tc);
    TCase *tc_desc = tcase_create("descriptor");
    tcase_add_test(tc_desc, test_gae_schema_takes_gamma_in_0_1_and_lambda_in_closed_0_1);
    tcase_add_test(tc_desc, test_gae_documents_itself_and_every_parameter);
    suite_add_tcase(s, tc_desc);
    return s;
}

int main(void)
{
    return ppo_test_run(gae_suite());
}
