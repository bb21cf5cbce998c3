/* tests for plugins/advantage/mc.c — discounted Monte-Carlo returns against reference values.
 *
 * Every expected number below was printed by tests/plugins/advantage_reference.py (plain
 * Python, same directory), which writes the recursion out from DESIGN.md §3 without calling the
 * plugin; rerun it to regenerate the blocks marked "from advantage_reference.py". Each case checks
 * every element of both outputs. Tolerance: a float result may differ from the double reference
 * by 1e-6 relative (float rounding alone is 6e-8) plus 1e-9 absolute for references at zero.
 * The equivalence with gae at lambda = 1 is tested in test_gae.c.
 *
 * Left out: the core's side (building the view, normalizing advantages); the schema's own
 * messages (tests/core covers them) beyond the range mc declares.
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
/* mc on SINGLE, gamma 0.99 */
static const double single_defaults_adv[] = {
    0.9950000000000001, -0.5, 3.93025, 4.975,
    0.9700749999999996, 1.4924999999999997,
};
static const double single_defaults_ret[] = {
    1.495, 0.5, 4.18025, 4.475,
    2.2200749999999996, 2.2424999999999997,
};

/* mc on BOTH_FLAGS, gamma 0.9 */
static const double both_flags_adv[] = {
    2.55, 1.5, 3.3,
};
static const double both_flags_ret[] = {
    2.8, 2.0, 2.3,
};

/* mc on MULTI, gamma 0.9 */
static const double multi_adv[] = {
    0.31999999999999995, -0.41500000000000004, -0.59403,
    -1.2, -0.10000000000000009, -0.3267,
    -0.25, -0.4624999999999999, -1.363,
    3.235, 1.875, -2.82,
    0.1499999999999999, 0.75, -1.5499999999999998,
};
static const double multi_ret[] = {
    0.82, 1.085, -0.84403,
    -0.2, 0.6499999999999999, 0.1733,
    -0.5, 1.7875, -0.363,
    3.485, 0.875, -2.07,
    1.65, 1.25, -2.3,
};

/* mc on MULTI, gamma 1.0 */
static const double multi_gamma1_adv[] = {
    0.25, -0.5, -1.25,
    -1.25, -0.25, -1.0,
    -0.25, -0.25, -2.0,
    3.5, 2.0, -3.25,
    0.25, 0.75, -1.75,
};
static const double multi_gamma1_ret[] = {
    0.75, 1.0, -1.5,
    -0.25, 0.5, -0.5,
    -0.5, 2.0, -1.0,
    3.75, 1.0, -2.5,
    1.75, 1.25, -2.5,
};

/* mc on ONE_STEP, gamma 0.99 */
static const double one_step_adv[] = {
    1.7349999999999999,
};
static const double one_step_ret[] = {
    1.9849999999999999,
};

/* clang-format on */

/* ---- helpers ---- */

/* Run mc with params `flow` on `c`. *adv and *ret are (T, N) arrays (free with g_free). The
 * outputs start as NaN, so an element the plugin skips fails the comparison, and one float past
 * each end holds a sentinel that must survive. */
static void run_mc(const char *flow, const adv_case_t *c, float **adv, float **ret)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("mc");
    ck_assert_int_eq(plugin->kind, PPO_KIND_ADVANTAGE);
    ppo_params_t *params = ppo_test_params(plugin, flow);
    void *inst = plugin->vt.advantage.create(&plugin->host, params);
    char *why = inst == NULL ? ppo_host_take_error() : NULL;
    ck_assert_msg(inst != NULL, "mc create failed: %s", why != NULL ? why : "no reason");

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
    ck_assert_msg(a[n] == SENTINEL && r[n] == SENTINEL, "mc wrote past the (T, N) outputs");

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

/* Run mc, check both outputs against the reference, and check advantage = return - value. */
static void check_mc(const char *flow, const adv_case_t *c, const double *adv_want,
                     const double *ret_want)
{
    float *adv, *ret;
    run_mc(flow, c, &adv, &ret);
    check_all("advantages", adv, adv_want, c);
    check_all("returns", ret, ret_want, c);
    const size_t n = (size_t)c->T * c->N;
    for (size_t k = 0; k < n; k++) {
        const double v = (double)ret[k] - (double)adv[k];
        ck_assert_msg(fabs(v - c->values[k]) <= REL_TOL * fabs(ret[k]) + ABS_TOL,
                      "returns - advantages at %zu is %.9g, the value is %.9g", k, v,
                      (double)c->values[k]);
    }
    g_free(adv);
    g_free(ret);
}

/* Whether the mc schema accepts the params block `flow`. */
static bool schema_accepts(const char *flow)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("mc");
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

START_TEST(test_mc_defaults_match_reference_with_termination_truncation_and_cut)
{
    /* gamma 0.99 comes from the schema's default */
    check_mc("", &case_single, single_defaults_adv, single_defaults_ret);
}
END_TEST

START_TEST(test_mc_terminated_wins_over_truncated_on_the_same_step)
{
    /* the bootstrap value 8 of the doubly flagged step must not be used */
    check_mc("{gamma: 0.9}", &case_both_flags, both_flags_adv, both_flags_ret);
}
END_TEST

START_TEST(test_mc_keeps_three_envs_apart_with_different_boundaries)
{
    check_mc("{gamma: 0.9}", &case_multi, multi_adv, multi_ret);
}
END_TEST

START_TEST(test_mc_gamma_one_sums_rewards_up_to_the_boundary)
{
    check_mc("{gamma: 1}", &case_multi, multi_gamma1_adv, multi_gamma1_ret);
}
END_TEST

START_TEST(test_mc_one_step_rollout_bootstraps_with_last_value)
{
    check_mc("", &case_one_step, one_step_adv, one_step_ret);
}
END_TEST

START_TEST(test_mc_schema_takes_gamma_in_0_1)
{
    ck_assert(schema_accepts("{gamma: 1}"));
    ck_assert(schema_accepts("{gamma: 0.5}"));
    ck_assert(!schema_accepts("{gamma: 0}"));
    ck_assert(!schema_accepts("{gamma: 1.01}"));
    ck_assert(!schema_accepts("{lambda: 0.95}"));
}
END_TEST

START_TEST(test_mc_documents_itself_and_every_parameter)
{
    const ppo_plugin_t *plugin = ppo_test_plugin("mc");
    ck_assert(plugin->description != NULL && plugin->description[0] != '\0');
    ck_assert_uint_eq(plugin->n_specs, 1);
    for (uint32_t i = 0; i < plugin->n_specs; i++)
        ck_assert_msg(plugin->specs[i].doc != NULL && plugin->specs[i].doc[0] != '\0',
                      "parameter %s has no doc string", plugin->specs[i].name);
}
END_TEST

static Suite *mc_suite(void)
{
    Suite *s = suite_create("mc");
    TCase *tc = tcase_create("estimate");
    tcase_add_test(tc, test_mc_defaults_match_reference_with_termination_truncation_and_cut);
    tcase_add_test(tc, test_mc_terminated_wins_over_truncated_on_the_same_step);
    tcase_add_test(tc, test_mc_keeps_three_envs_apart_with_different_boundaries);
    tcase_add_test(tc, test_mc_gamma_one_sums_rewards_up_to_the_boundary);
    tcase_add_test(tc, test_mc_one_step_rollout_bootstraps_with_last_value);
    suite_add_tcase(s, tc);
    TCase *tc_desc = tcase_create("descriptor");
    tcase_add_test(tc_desc, test_mc_schema_takes_gamma_in_0_1);
    tcase_add_test(tc_desc, test_mc_documents_itself_and_every_parameter);
    suite_add_tcase(s, tc_desc);
    return s;
}

int main(void)
{
    return ppo_test_run(mc_suite());
}
