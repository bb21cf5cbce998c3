/* test_linear_policy — the linear policy's own tests, written against the installed testing API
 * (<ppofw-check/check.h>, `pkg-config --cflags --libs ppofw-check check`) with Check.
 *
 * `ppofw check-policy` checks what every policy owes the core (gradients against finite
 * differences, determinism, workspaces, threads); these tests check what this policy is: its
 * logits and means are W obs + b of its segments, its value w . obs + c, a Gaussian row carries
 * the log_std segment, and it refuses the action spaces it does not handle. The harness gives the
 * policy the core's parameter store, initialized as a run with seed 1 initializes it.
 *
 * Build and run: make check (after make).
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw-check/check.h>

enum { D = 3, N_ACTIONS = 4, A = 2, ROWS = 5 };

static const double obs_low[D] = {-1, -1, -1}, obs_high[D] = {1, 1, 1};
static const double act_low[A] = {-2, -2}, act_high[A] = {2, 2};

static const ppo_space_t obs_space = {.struct_size = sizeof(ppo_space_t),
                                      .kind = PPO_SPACE_BOX,
                                      .dim = D,
                                      .low = obs_low,
                                      .high = obs_high};
static const ppo_space_t discrete = {
    .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = N_ACTIONS, .dim = 1};
static const ppo_space_t box = {.struct_size = sizeof(ppo_space_t),
                                .kind = PPO_SPACE_BOX,
                                .dim = A,
                                .low = act_low,
                                .high = act_high};

/* A harness around ./linear_policy.so for these action spaces. */
static ppo_harness_t *policy(const char *params, const ppo_space_t *act)
{
    char *error = NULL;
    ppo_harness_t *h =
        ppo_harness_new_policy("./linear_policy.so", params, &obs_space, act, ROWS, &error);
    ck_assert_msg(h != NULL, "%s", error);
    return h;
}

/* The segment `name` of the parameter store (borrowed). */
static const float *segment(ppo_harness_t *h, const char *name, size_t expect_size)
{
    size_t offset = 0, size = 0;
    ck_assert_msg(ppo_harness_policy_segment(h, name, &offset, &size) == 0, "no segment %s", name);
    ck_assert_uint_eq(size, expect_size);
    return ppo_harness_policy_params(h, NULL) + offset;
}

static void observations(float *obs)
{
    for (int i = 0; i < ROWS * D; i++)
        obs[i] = (float)sin(1.3 * i + 0.2);
}

START_TEST(test_logits_are_w_obs_plus_b_and_the_mode_is_the_largest)
{
    ppo_harness_t *h = policy("{pi_gain: 1.0}", &discrete);
    const float *W = segment(h, "pi.weight", N_ACTIONS * D);
    const float *b = segment(h, "pi.bias", N_ACTIONS);
    float obs[ROWS * D], actions[ROWS], dist[ROWS * N_ACTIONS];
    observations(obs);
    ck_assert_msg(ppo_harness_policy_act(h, ROWS, obs, 1, actions, NULL, NULL, dist) == 0, "%s",
                  ppo_harness_error(h));
    for (int r = 0; r < ROWS; r++) {
        int best = 0;
        for (int k = 0; k < N_ACTIONS; k++) {
            double logit = b[k];
            for (int i = 0; i < D; i++)
                logit += (double)W[k * D + i] * obs[r * D + i];
            ck_assert_double_eq_tol(dist[r * N_ACTIONS + k], logit, 1e-5);
            if (dist[r * N_ACTIONS + k] > dist[r * N_ACTIONS + best])
                best = k;
        }
        ck_assert_int_eq((int)actions[r], best);
    }
    ppo_harness_free(h);
}
END_TEST

START_TEST(test_value_is_w_dot_obs_plus_c)
{
    ppo_harness_t *h = policy(NULL, &discrete);
    float *c = (float *)segment(h, "vf.bias", 1);
    *c = 0.5f; /* the store is writable: the policy reads it at its next call */
    const float *w = segment(h, "vf.weight", D);
    float obs[ROWS * D], value[ROWS];
    observations(obs);
    ck_assert_int_eq(ppo_harness_policy_value(h, ROWS, obs, value), 0);
    for (int r = 0; r < ROWS; r++) {
        double v = 0.5;
        for (int i = 0; i < D; i++)
            v += (double)w[i] * obs[r * D + i];
        ck_assert_double_eq_tol(value[r], v, 1e-5);
    }
    ppo_harness_free(h);
}
END_TEST

START_TEST(test_a_gaussian_row_is_the_means_then_the_log_std_segment)
{
    ppo_harness_t *h = policy("{log_std_init: -0.5}", &box);
    const float *log_std = segment(h, "log_std", A);
    ck_assert_float_eq(log_std[0], -0.5f);
    ck_assert_uint_eq(ppo_harness_policy_dist_size(h), 2 * A);
    float obs[ROWS * D], actions[ROWS * A], dist[ROWS * 2 * A];
    observations(obs);
    ck_assert_int_eq(ppo_harness_policy_act(h, ROWS, obs, 1, actions, NULL, NULL, dist), 0);
    for (int r = 0; r < ROWS; r++)
        for (int k = 0; k < A; k++) {
            ck_assert_float_eq(actions[r * A + k], dist[r * 2 * A + k]); /* the mean */
            ck_assert_float_eq(dist[r * 2 * A + A + k], -0.5f);
        }
    ppo_harness_free(h);
}
END_TEST

/* d (sum of logp + 0.1 entropy + value) / d params from backward, against central differences
 * of evaluate, for every parameter and both heads. */
static void check_gradient(const ppo_space_t *act, int n_act_floats)
{
    ppo_harness_t *h = policy("{pi_gain: 1.0, log_std_init: -0.3}", act);
    float obs[ROWS * D], actions[ROWS * A], logp[ROWS], ent[ROWS], value[ROWS];
    float dlogp[ROWS], dent[ROWS], dvalue[ROWS];
    observations(obs);
    for (int i = 0; i < ROWS * n_act_floats; i++)
        actions[i] = act->kind == PPO_SPACE_BOX ? (float)cos(0.9 * i) : (float)(i % N_ACTIONS);
    for (int r = 0; r < ROWS; r++) {
        dlogp[r] = 1.0f;
        dent[r] = 0.1f;
        dvalue[r] = 1.0f;
    }
    size_t n = 0;
    float *params = ppo_harness_policy_params(h, &n);
    const float *grads = ppo_harness_policy_grads(h, NULL);
    ck_assert_int_eq(
        ppo_harness_policy_evaluate(h, ROWS, obs, actions, NULL, logp, ent, NULL, value), 0);
    ck_assert_int_eq(ppo_harness_policy_backward(h, ROWS, dlogp, dent, NULL, dvalue), 0);
    for (size_t j = 0; j < n; j++) {
        const float keep = params[j], eps = 1e-2f;
        double loss[2];
        for (int s = 0; s < 2; s++) {
            params[j] = keep + (s == 0 ? eps : -eps);
            ck_assert_int_eq(
                ppo_harness_policy_evaluate(h, ROWS, obs, actions, NULL, logp, ent, NULL, value),
                0);
            loss[s] = 0.0;
            for (int r = 0; r < ROWS; r++)
                loss[s] += logp[r] + 0.1 * ent[r] + value[r];
        }
        params[j] = keep;
        const double fd = (loss[0] - loss[1]) / (2.0 * eps);
        ck_assert_msg(fabs(fd - grads[j]) <= 2e-2 * fmax(1.0, fabs(fd)),
                      "parameter %zu: backward %g, finite differences %g", j, grads[j], fd);
    }
    ppo_harness_free(h);
}

START_TEST(test_backward_matches_finite_differences_for_both_heads)
{
    check_gradient(&discrete, 1);
    check_gradient(&box, A);
}
END_TEST

START_TEST(test_multi_discrete_actions_are_refused_by_name)
{
    const uint32_t nvec[2] = {3, 2};
    const ppo_space_t multi = {.struct_size = sizeof(ppo_space_t),
                               .kind = PPO_SPACE_MULTI_DISCRETE,
                               .dim = 2,
                               .nvec = nvec};
    char *error = NULL;
    ck_assert_ptr_null(
        ppo_harness_new_policy("./linear_policy.so", NULL, &obs_space, &multi, ROWS, &error));
    ck_assert_msg(strstr(error, "multi-discrete") != NULL, "%s", error);
    free(error);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linear_policy");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, test_logits_are_w_obs_plus_b_and_the_mode_is_the_largest);
    tcase_add_test(tc, test_value_is_w_dot_obs_plus_c);
    tcase_add_test(tc, test_a_gaussian_row_is_the_means_then_the_log_std_segment);
    tcase_add_test(tc, test_backward_matches_finite_differences_for_both_heads);
    tcase_add_test(tc, test_multi_discrete_actions_are_refused_by_name);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
