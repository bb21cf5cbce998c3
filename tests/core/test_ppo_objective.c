/* Tests of core/ppo_objective.c: the PPO losses' derivatives against finite differences for
 * every objective and value-loss form, the statistics, and the adaptive-beta rule. */
#include "config.h"

#include <math.h>

#include "ppo_objective_private.h"
#include "ppo_test.h"

#define N 64

typedef struct {
    float logp[N], old_logp[N], adv[N], ent[N], kl[N], value[N], old_value[N], ret[N];
} batch_t;

static void make_batch(batch_t *b, uint64_t seed)
{
    ppo_rng_t rng;
    ppo_rng_seed(&rng, seed, "objective-test", 0);
    for (int i = 0; i < N; i++) {
        b->old_logp[i] = (float)ppo_rng_uniform_range(&rng, -3.0, -0.1);
        /* ratios spread over [0.5, 1.6] so both clip branches and the inside are exercised */
        b->logp[i] = b->old_logp[i] + (float)log(ppo_rng_uniform_range(&rng, 0.5, 1.6));
        b->adv[i] = (float)ppo_rng_uniform_range(&rng, -2.0, 2.0);
        b->ent[i] = (float)ppo_rng_uniform_range(&rng, 0.1, 1.5);
        b->kl[i] = (float)ppo_rng_uniform_range(&rng, 0.0, 0.2);
        b->old_value[i] = (float)ppo_rng_uniform_range(&rng, -1.0, 1.0);
        b->value[i] = b->old_value[i] + (float)ppo_rng_uniform_range(&rng, -0.6, 0.6);
        b->ret[i] = (float)ppo_rng_uniform_range(&rng, -2.0, 2.0);
    }
}

static double loss_of(const ppo_objective_cfg_t *cfg, const batch_t *b)
{
    float d1[N], d2[N], d3[N], d4[N];
    ppo_objective_sums_t s;
    ppo_objective_eval(cfg, N, b->logp, b->old_logp, b->adv, b->ent, b->kl, b->value,
                       b->old_value, b->ret, d1, d2, d3, d4, &s);
    return ppo_objective_loss(cfg, &s);
}

/* central differences of the scalar loss in each input vs the analytic derivative; samples at a
 * kink of min/max (within h of a clip boundary) are skipped */
static void check_gradient(const ppo_objective_cfg_t *cfg)
{
    batch_t b;
    make_batch(&b, (uint64_t)cfg->kind * 7 + (isnan(cfg->vf_clip) ? 0 : 1));
    float dlogp[N], dent[N], dkl[N], dv[N];
    ppo_objective_sums_t s;
    ppo_objective_eval(cfg, N, b.logp, b.old_logp, b.adv, b.ent, b.kl, b.value, b.old_value, b.ret,
                       dlogp, dent, dkl, dv, &s);
    const float h = 1e-3f;
    int checked = 0;
    for (int i = 0; i < N; i++) {
        float *inputs[] = {&b.logp[i], &b.ent[i], &b.kl[i], &b.value[i]};
        const float analytic[] = {dlogp[i], dent[i], dkl[i], dv[i]};
        for (int k = 0; k < 4; k++) {
            const double r = exp((double)b.logp[i] - b.old_logp[i]);
            if (k == 0 && cfg->kind == PPO_OBJECTIVE_CLIP &&
                (fabs(r - (1 + cfg->clip)) < 0.01 || fabs(r - (1 - cfg->clip)) < 0.01))
                continue;
            if (k == 3 && !isnan(cfg->vf_clip) &&
                fabs(fabs((double)b.value[i] - b.old_value[i]) - cfg->vf_clip) < 0.01)
                continue;
            const float keep = *inputs[k];
            *inputs[k] = keep + h;
            const double up = loss_of(cfg, &b);
            *inputs[k] = keep - h;
            const double down = loss_of(cfg, &b);
            *inputs[k] = keep;
            const double numeric = (up - down) / (2.0 * h);
            ck_assert_msg(fabs(numeric - analytic[k]) <= 2e-4 + 1e-2 * fabs(numeric),
                          "objective %d input %d sample %d: analytic %.8g numeric %.8g",
                          (int)cfg->kind, k, i, analytic[k], numeric);
            checked++;
        }
    }
    ck_assert_int_gt(checked, 3 * N);
}

static ppo_objective_cfg_t config(ppo_objective_t kind, double vf_clip)
{
    ppo_objective_cfg_t c = {.kind = kind, .clip = 0.2, .vf_clip = vf_clip, .vf_coef = 0.5,
                             .vf_half = 0.5, .ent_coef = 0.01, .beta = 0.7, .inv_batch = 1.0 / N};
    return c;
}

START_TEST(test_objective_clip_gradient_matches_finite_differences)
{
    ppo_objective_cfg_t c = config(PPO_OBJECTIVE_CLIP, NAN);
    check_gradient(&c);
}
END_TEST

START_TEST(test_objective_clip_with_value_clipping_gradient_matches_finite_differences)
{
    ppo_objective_cfg_t c = config(PPO_OBJECTIVE_CLIP, 0.2);
    check_gradient(&c);
}
END_TEST

START_TEST(test_objective_sb3_mse_value_loss_gradient_matches_finite_differences)
{
    /* ppo.value_loss: mse, with and without value clipping */
    ppo_objective_cfg_t c = config(PPO_OBJECTIVE_CLIP, NAN);
    c.vf_half = 1.0;
    check_gradient(&c);
    c.vf_clip = 0.2;
    check_gradient(&c);
}
END_TEST

START_TEST(test_objective_none_gradient_matches_finite_differences)
{
    ppo_objective_cfg_t c = config(PPO_OBJECTIVE_NONE, NAN);
    check_gradient(&c);
}
END_TEST

START_TEST(test_objective_kl_penalty_gradient_matches_finite_differences)
{
    ppo_objective_cfg_t c = config(PPO_OBJECTIVE_KL_PENALTY, NAN);
    check_gradient(&c);
}
END_TEST

START_TEST(test_objective_kl_fixed_gradient_matches_finite_differences)
{
    ppo_objective_cfg_t c = config(PPO_OBJECTIVE_KL_FIXED, 0.3);
    check_gradient(&c);
}
END_TEST

START_TEST(test_objective_clip_values_match_hand_computation)
{
    /* ratio 1.5 with A > 0 is clipped to 1.2; ratio 0.5 with A > 0 is not */
    ppo_objective_cfg_t c = {.kind = PPO_OBJECTIVE_CLIP, .clip = 0.2, .vf_clip = NAN,
                             .vf_coef = 0.5, .vf_half = 0.5, .ent_coef = 0.0, .beta = 0.0,
                             .inv_batch = 0.5};
    const float logp[2] = {(float)log(1.5), (float)log(0.5)}, old_logp[2] = {0, 0};
    const float adv[2] = {2.0f, 2.0f}, ent[2] = {0.3f, 0.5f};
    const float value[2] = {1.0f, -1.0f}, old_value[2] = {0, 0}, ret[2] = {0.0f, 1.0f};
    float d1[2], d2[2], d3[2], d4[2];
    ppo_objective_sums_t s;
    ppo_objective_eval(&c, 2, logp, old_logp, adv, ent, NULL, value, old_value, ret, d1, d2, d3, d4,
                       &s);
    ck_assert_double_eq_tol(s.policy_loss, -(2.0 * 1.2) - (2.0 * 0.5), 1e-6);
    /* the reported value loss is the squared error, without the 1/2 of the half_mse form */
    ck_assert_double_eq_tol(s.value_loss, 1.0 + 4.0, 1e-6);
    ck_assert_double_eq(s.clipped, 2.0);
    /* half_mse: d/dV of vf_coef 0.5 (V - R)^2 / B */
    ck_assert_float_eq_tol(d4[0], (float)(0.5 * (1.0 - 0.0) * 0.5), 1e-6f);
    /* clipped sample has no policy gradient; the other has -A r / B */
    ck_assert_float_eq(d1[0], 0.0f);
    ck_assert_float_eq_tol(d1[1], (float)(-2.0 * 0.5 * 0.5), 1e-6f);
    /* k3 estimator */
    ck_assert_double_eq_tol(s.approx_kl, (0.5 - log(1.5)) + (-0.5 - log(0.5)), 1e-6);
    ck_assert_double_eq_tol(ppo_objective_loss(&c, &s),
                            0.5 * (-(2.4) - 1.0) + 0.5 * 0.5 * 2.5, 1e-6);
    /* SB3's loss: vf_coef F.mse_loss(R, V), the mean of (V - R)^2 with no 1/2 */
    c.vf_half = 1.0;
    ppo_objective_eval(&c, 2, logp, old_logp, adv, ent, NULL, value, old_value, ret, d1, d2, d3, d4,
                       &s);
    ck_assert_double_eq_tol(ppo_objective_loss(&c, &s), 0.5 * (-(2.4) - 1.0) + 0.5 * 2.5, 1e-6);
    ck_assert_float_eq_tol(d4[0], (float)(0.5 * 2.0 * (1.0 - 0.0) * 0.5), 1e-6f);
    ck_assert_float_eq_tol(d4[1], (float)(0.5 * 2.0 * (-1.0 - 1.0) * 0.5), 1e-6f);
}
END_TEST

START_TEST(test_objective_ratio_is_one_when_policy_unchanged)
{
    batch_t b;
    make_batch(&b, 3);
    for (int i = 0; i < N; i++)
        b.logp[i] = b.old_logp[i];
    ppo_objective_cfg_t c = config(PPO_OBJECTIVE_CLIP, NAN);
    float d1[N], d2[N], d3[N], d4[N];
    ppo_objective_sums_t s;
    ppo_objective_eval(&c, N, b.logp, b.old_logp, b.adv, b.ent, b.kl, b.value, b.old_value, b.ret,
                       d1, d2, d3, d4, &s);
    ck_assert_double_eq_tol(s.approx_kl, 0.0, 1e-12);
    ck_assert_double_eq(s.clipped, 0.0);
}
END_TEST

START_TEST(test_kl_beta_follows_the_papers_rule)
{
    ck_assert_double_eq(ppo_kl_beta_update(1.0, 0.001, 0.01), 0.5);
    ck_assert_double_eq(ppo_kl_beta_update(1.0, 0.02, 0.01), 2.0);
    ck_assert_double_eq(ppo_kl_beta_update(1.0, 0.01, 0.01), 1.0);
    /* the thresholds themselves keep beta */
    ck_assert_double_eq(ppo_kl_beta_update(1.0, 0.015, 0.01), 1.0);
    ck_assert_double_eq(ppo_kl_beta_update(1.0, 0.01 / 1.5, 0.01), 1.0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ppo_objective");
    TCase *tc = tcase_create("objective");
    tcase_add_test(tc, test_objective_clip_gradient_matches_finite_differences);
    tcase_add_test(tc, test_objective_clip_with_value_clipping_gradient_matches_finite_differences);
    tcase_add_test(tc, test_objective_sb3_mse_value_loss_gradient_matches_finite_differences);
    tcase_add_test(tc, test_objective_none_gradient_matches_finite_differences);
    tcase_add_test(tc, test_objective_kl_penalty_gradient_matches_finite_differences);
    tcase_add_test(tc, test_objective_kl_fixed_gradient_matches_finite_differences);
    tcase_add_test(tc, test_objective_clip_values_match_hand_computation);
    tcase_add_test(tc, test_objective_ratio_is_one_when_policy_unchanged);
    tcase_add_test(tc, test_kl_beta_follows_the_papers_rule);
    suite_add_tcase(s, tc);
    return ppo_test_run(s);
}
