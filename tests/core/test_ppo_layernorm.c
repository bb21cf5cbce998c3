/* Tests of core/ppo_layernorm.c: layer normalization's forward pass against a double reference,
 * its backward pass against central finite differences of the forward (through x, gain and bias,
 * with and without gain and bias), the variant that adds into dx, and the row rule.
 *
 * Left out: speed.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ppo_test.h"

#define LN_EPS 1e-5f

static float *random_floats(GRand *r, size_t n, double lo, double hi)
{
    float *v = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)g_rand_double_range(r, lo, hi);
    return v;
}

/* sum of coef * y over a forward pass, in double: the loss the finite differences take */
static double ln_loss(uint32_t B, uint32_t N, const float *x, const float *gain, const float *bias,
                      const float *coef)
{
    float *y = g_new(float, (size_t)B *N);
    ppo_layernorm_forward(B, N, x, gain, bias, LN_EPS, y, NULL);
    double loss = 0.0;
    for (size_t i = 0; i < (size_t)B * N; i++)
        loss += (double)coef[i] * y[i];
    g_free(y);
    return loss;
}

/* Central difference of ln_loss in element i of v (x, gain or bias), step h (the float step
 * actually taken is the denominator). */
static double fd(uint32_t B, uint32_t N, float *x, float *gain, float *bias, const float *coef,
                 float *v, size_t i, float h)
{
    const float keep = v[i];
    v[i] = keep + h;
    const double up_step = (double)v[i] - keep;
    const double up = ln_loss(B, N, x, gain, bias, coef);
    v[i] = keep - h;
    const double dn_step = (double)keep - v[i];
    const double dn = ln_loss(B, N, x, gain, bias, coef);
    v[i] = keep;
    return (up - dn) / (up_step + dn_step);
}

START_TEST(test_layernorm_forward_matches_a_double_reference)
{
    GRand *r = g_rand_new_with_seed(5);
    const uint32_t B = 7, N = 37;
    float *x = random_floats(r, (size_t)B * N, -3.0, 5.0);
    float *gain = random_floats(r, N, 0.5, 1.5), *bias = random_floats(r, N, -1.0, 1.0);
    float *y = g_new(float, (size_t)B *N), *stats = g_new(float, 2 * (size_t)B);
    ppo_layernorm_forward(B, N, x, gain, bias, LN_EPS, y, stats);
    for (uint32_t b = 0; b < B; b++) {
        double mean = 0.0, var = 0.0;
        for (uint32_t i = 0; i < N; i++)
            mean += x[b * N + i];
        mean /= N;
        for (uint32_t i = 0; i < N; i++)
            var += (x[b * N + i] - mean) * (x[b * N + i] - mean);
        var /= N;
        const double rstd = 1.0 / sqrt(var + LN_EPS);
        ck_assert_float_eq(stats[2 * b], (float)mean);
        ck_assert_float_eq(stats[2 * b + 1], (float)rstd);
        for (uint32_t i = 0; i < N; i++) {
            const double ref = (x[b * N + i] - mean) * rstd * gain[i] + bias[i];
            ck_assert_msg(fabs(y[b * N + i] - ref) <= 1e-6 * (1.0 + fabs(ref)),
                          "row %u feature %u: %.9g, reference %.9g", b, i, (double)y[b * N + i],
                          ref);
        }
    }
    /* without gain and bias: zero mean and unit variance per row */
    ppo_layernorm_forward(B, N, x, NULL, NULL, LN_EPS, y, NULL);
    for (uint32_t b = 0; b < B; b++) {
        double m = 0.0, v = 0.0;
        for (uint32_t i = 0; i < N; i++)
            m += y[b * N + i];
        for (uint32_t i = 0; i < N; i++)
            v += (y[b * N + i] - m / N) * (y[b * N + i] - m / N);
        ck_assert(fabs(m / N) < 1e-6);
        ck_assert(fabs(v / N - 1.0) < 1e-3);
    }
    g_free(x);
    g_free(gain);
    g_free(bias);
    g_free(y);
    g_free(stats);
    g_rand_free(r);
}
END_TEST

/* Backward of sum(coef * y) against finite differences in every element of x, gain and bias. */
static void check_backward_by_fd(int with_affine)
{
    GRand *r = g_rand_new_with_seed(with_affine ? 8 : 9);
    const uint32_t B = 4, N = 9;
    float *x = random_floats(r, (size_t)B * N, -2.0, 2.0);
    float *gain = with_affine ? random_floats(r, N, 0.5, 1.5) : NULL;
    float *bias = with_affine ? random_floats(r, N, -1.0, 1.0) : NULL;
    float *coef = random_floats(r, (size_t)B * N, -1.0, 1.0);
    float *y = g_new(float, (size_t)B *N), *stats = g_new(float, 2 * (size_t)B);
    float *dx = g_new(float, (size_t)B *N);
    float *dgain = g_new0(float, N), *dbias = g_new0(float, N);
    ppo_layernorm_forward(B, N, x, gain, bias, LN_EPS, y, stats);
    ppo_layernorm_backward(B, N, x, gain, stats, coef, dx, with_affine ? dgain : NULL,
                           with_affine ? dbias : NULL);
    double worst = 0.0;
    for (size_t i = 0; i < (size_t)B * N; i++) {
        const double f = fd(B, N, x, gain, bias, coef, x, i, 0x1p-8f);
        worst = fmax(worst, fabs(f - dx[i]) / (1.0 + fabs(f)));
    }
    ck_assert_msg(worst < 2e-3, "dx: worst relative difference to finite differences %.3g", worst);
    if (with_affine) {
        for (uint32_t i = 0; i < N; i++) {
            const double fg = fd(B, N, x, gain, bias, coef, gain, i, 0x1p-8f);
            const double fb = fd(B, N, x, gain, bias, coef, bias, i, 0x1p-8f);
            ck_assert_msg(fabs(fg - dgain[i]) < 2e-3 * (1.0 + fabs(fg)), "dgain[%u] %.9g, FD %.9g",
                          i, (double)dgain[i], fg);
            ck_assert_msg(fabs(fb - dbias[i]) < 2e-3 * (1.0 + fabs(fb)), "dbias[%u] %.9g, FD %.9g",
                          i, (double)dbias[i], fb);
        }
    }
    g_free(x);
    g_free(gain);
    g_free(bias);
    g_free(coef);
    g_free(y);
    g_free(stats);
    g_free(dx);
    g_free(dgain);
    g_free(dbias);
    g_rand_free(r);
}

START_TEST(test_layernorm_backward_matches_finite_differences_with_gain_and_bias)
{
    check_backward_by_fd(1);
}
END_TEST

START_TEST(test_layernorm_backward_matches_finite_differences_without_gain_and_bias)
{
    check_backward_by_fd(0);
}
END_TEST

START_TEST(test_layernorm_backward_adds_into_gain_and_bias_and_add_variant_into_dx)
{
    GRand *r = g_rand_new_with_seed(11);
    const uint32_t B = 5, N = 6;
    float *x = random_floats(r, (size_t)B * N, -2.0, 2.0), *gain = random_floats(r, N, 0.5, 1.5);
    float *dy = random_floats(r, (size_t)B * N, -1.0, 1.0);
    float *stats = g_new(float, 2 * (size_t)B), *y = g_new(float, (size_t)B *N);
    ppo_layernorm_forward(B, N, x, gain, NULL, LN_EPS, y, stats);
    float *dx = g_new(float, (size_t)B *N), *dx_add = random_floats(r, (size_t)B * N, -1.0, 1.0);
    float *before = g_memdup2(dx_add, sizeof(float) * B * N);
    float *dg0 = g_new0(float, N), *db0 = g_new0(float, N);
    float *dg1 = g_new(float, N), *db1 = g_new(float, N);
    for (uint32_t i = 0; i < N; i++)
        dg1[i] = db1[i] = 1.0f;
    ppo_layernorm_backward(B, N, x, gain, stats, dy, dx, dg0, db0);
    ppo_layernorm_backward_add(B, N, x, gain, stats, dy, dx_add, dg1, db1);
    for (uint32_t i = 0; i < N; i++) {
        ck_assert_float_eq(dg1[i], 1.0f + dg0[i]);
        ck_assert_float_eq(db1[i], 1.0f + db0[i]);
    }
    for (size_t i = 0; i < (size_t)B * N; i++)
        ck_assert_float_eq(dx_add[i], before[i] + dx[i]);
    g_free(x);
    g_free(gain);
    g_free(dy);
    g_free(stats);
    g_free(y);
    g_free(dx);
    g_free(dx_add);
    g_free(before);
    g_free(dg0);
    g_free(db0);
    g_free(dg1);
    g_free(db1);
    g_rand_free(r);
}
END_TEST

START_TEST(test_layernorm_row_is_independent_of_other_rows_bit_for_bit)
{
    GRand *r = g_rand_new_with_seed(13);
    const uint32_t B = 9, N = 21;
    float *x = random_floats(r, (size_t)B * N, -2.0, 2.0), *gain = random_floats(r, N, 0.5, 1.5);
    float *bias = random_floats(r, N, -1.0, 1.0), *dy = random_floats(r, (size_t)B * N, -1.0, 1.0);
    float *y = g_new(float, (size_t)B *N), *stats = g_new(float, 2 * (size_t)B);
    float *dx = g_new(float, (size_t)B *N);
    ppo_layernorm_forward(B, N, x, gain, bias, LN_EPS, y, stats);
    ppo_layernorm_backward(B, N, x, gain, stats, dy, dx, NULL, NULL);
    for (uint32_t b = 0; b < B; b++) {
        float y1[21], s1[2], dx1[21];
        ppo_layernorm_forward(1, N, x + b * N, gain, bias, LN_EPS, y1, s1);
        ppo_layernorm_backward(1, N, x + b * N, gain, s1, dy + b * N, dx1, NULL, NULL);
        ck_assert(memcmp(y1, y + b * N, sizeof(y1)) == 0);
        ck_assert(memcmp(s1, stats + 2 * b, sizeof(s1)) == 0);
        ck_assert(memcmp(dx1, dx + b * N, sizeof(dx1)) == 0);
    }
    g_free(x);
    g_free(gain);
    g_free(bias);
    g_free(dy);
    g_free(y);
    g_free(stats);
    g_free(dx);
    g_rand_free(r);
}
END_TEST

static Suite *layernorm_suite(void)
{
    Suite *s = suite_create("ppo_layernorm");
    TCase *tc = tcase_create("layernorm");
    tcase_add_test(tc, test_layernorm_forward_matches_a_double_reference);
    tcase_add_test(tc, test_layernorm_backward_matches_finite_differences_with_gain_and_bias);
    tcase_add_test(tc, test_layernorm_backward_matches_finite_differences_without_gain_and_bias);
    tcase_add_test(tc, test_layernorm_backward_adds_into_gain_and_bias_and_add_variant_into_dx);
    tcase_add_test(tc, test_layernorm_row_is_independent_of_other_rows_bit_for_bit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(layernorm_suite());
}
