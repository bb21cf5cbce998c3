/* Tests of core/ppo_nn.c: Linear forward/backward against plain double loops on both code paths
 * (a few rows: the hand-written loops; many rows: sgemm), the backward that adds into dx against
 * the one that overwrites it, the row rule of each path, tanh's accuracy over a sweep of the
 * whole float range, and the activations.
 *
 * Left out: speed (the thresholds' timings are recorded in core/ppo_nn.c).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ppo_test.h"

#define SMALL_B 3u   /* the few-row loops */
#define MID_B 200u   /* the panel kernels */
#define LARGE_B 1100u /* sgemm (from PPO_NN_BLAS_MIN_ROWS = 1024 rows) */

static const uint32_t shapes[][2] = {{4, 64}, {17, 64}, {64, 64}, {64, 2}, {64, 1},
                                     {9, 13}, {1, 1},   {8, 8},   {33, 7}, {70, 19}};

static float *random_floats(GRand *r, size_t n, double scale)
{
    float *v = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)g_rand_double_range(r, -scale, scale);
    return v;
}

/* the worst-case error of a float sum of n terms, relative to the sum of their magnitudes */
static double sum_bound(uint32_t n)
{
    return (n + 1) * 0x1p-24;
}

/* max over outputs of |y - ref| / (sum_i |x_i w_i| + |b| + tiny): error relative to the terms */
static void check_forward(uint32_t B, uint32_t I, uint32_t O, int with_bias, GRand *r)
{
    float *x = random_floats(r, (size_t)B * I, 1.0);
    float *W = random_floats(r, (size_t)O * I, 1.0);
    float *b = with_bias ? random_floats(r, O, 1.0) : NULL;
    float *y = g_new(float, (size_t)B *O);
    for (size_t i = 0; i < (size_t)B * O; i++)
        y[i] = NAN;
    ppo_linear_forward(B, I, O, x, W, b, y);
    double worst = 0.0;
    for (uint32_t n = 0; n < B; n++)
        for (uint32_t o = 0; o < O; o++) {
            double ref = b != NULL ? b[o] : 0.0, mag = b != NULL ? fabs(b[o]) : 0.0;
            for (uint32_t i = 0; i < I; i++) {
                ref += (double)x[n * I + i] * W[o * I + i];
                mag += fabs((double)x[n * I + i] * W[o * I + i]);
            }
            const double err = fabs(y[n * O + o] - ref) / (mag + 1e-30);
            worst = err > worst ? err : worst;
        }
    ck_assert_msg(worst <= sum_bound(I + 1), "forward B=%u I=%u O=%u bias=%d: relative error %.3g",
                  B, I, O, with_bias, worst);
    g_free(x);
    g_free(W);
    g_free(b);
    g_free(y);
}

START_TEST(test_nn_linear_forward_matches_double_loops_both_paths)
{
    GRand *r = g_rand_new_with_seed(11);
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++)
        for (int bias = 0; bias <= 1; bias++) {
            check_forward(SMALL_B, shapes[s][0], shapes[s][1], bias, r);
            check_forward(1, shapes[s][0], shapes[s][1], bias, r);
            check_forward(15, shapes[s][0], shapes[s][1], bias, r);
            check_forward(16, shapes[s][0], shapes[s][1], bias, r);
            check_forward(MID_B, shapes[s][0], shapes[s][1], bias, r);
            check_forward(LARGE_B, shapes[s][0], shapes[s][1], bias, r);
        }
    g_rand_free(r);
}
END_TEST

static void check_backward(uint32_t B, uint32_t I, uint32_t O, int with_db, int with_dx, GRand *r)
{
    float *x = random_floats(r, (size_t)B * I, 1.0);
    float *W = random_floats(r, (size_t)O * I, 1.0);
    float *dy = random_floats(r, (size_t)B * O, 1.0);
    float *dW = random_floats(r, (size_t)O * I, 1.0);
    float *db = random_floats(r, O, 1.0);
    float *dW0 = g_memdup2(dW, sizeof(float) * O * I);
    float *db0 = g_memdup2(db, sizeof(float) * O);
    float *dx = g_new(float, (size_t)B *I);
    for (size_t i = 0; i < (size_t)B * I; i++)
        dx[i] = NAN; /* must be overwritten */
    ppo_linear_backward(B, I, O, x, W, dy, with_dx ? dx : NULL, dW, with_db ? db : NULL);

    double worst = 0.0;
    /* dW = dW0 + dy^T x */
    for (uint32_t o = 0; o < O; o++)
        for (uint32_t i = 0; i < I; i++) {
            double ref = dW0[o * I + i], mag = fabs(dW0[o * I + i]);
            for (uint32_t n = 0; n < B; n++) {
                ref += (double)dy[n * O + o] * x[n * I + i];
                mag += fabs((double)dy[n * O + o] * x[n * I + i]);
            }
            worst = fmax(worst, fabs(dW[o * I + i] - ref) / mag);
        }
    /* db = db0 + column sums of dy, or untouched */
    for (uint32_t o = 0; o < O; o++) {
        double ref = db0[o], mag = fabs(db0[o]);
        for (uint32_t n = 0; n < B && with_db; n++) {
            ref += dy[n * O + o];
            mag += fabs(dy[n * O + o]);
        }
        worst = fmax(worst, fabs(db[o] - ref) / mag);
    }
    /* dx = dy W */
    for (uint32_t n = 0; n < B && with_dx; n++)
        for (uint32_t i = 0; i < I; i++) {
            double ref = 0.0, mag = 1e-30;
            for (uint32_t o = 0; o < O; o++) {
                ref += (double)dy[n * O + o] * W[o * I + i];
                mag += fabs((double)dy[n * O + o] * W[o * I + i]);
            }
            worst = fmax(worst, fabs(dx[n * I + i] - ref) / mag);
        }
    ck_assert_msg(worst <= sum_bound((B > O ? B : O) + 1),
                  "backward B=%u I=%u O=%u db=%d dx=%d: relative error %.3g", B, I, O, with_db,
                  with_dx, worst);
    g_free(x);
    g_free(W);
    g_free(dy);
    g_free(dW);
    g_free(db);
    g_free(dW0);
    g_free(db0);
    g_free(dx);
}

START_TEST(test_nn_linear_backward_matches_double_loops_both_paths)
{
    GRand *r = g_rand_new_with_seed(12);
    const uint32_t batches[] = {1, SMALL_B, 4, 16, MID_B, LARGE_B};
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++)
        for (size_t k = 0; k < G_N_ELEMENTS(batches); k++) {
            check_backward(batches[k], shapes[s][0], shapes[s][1], 1, 1, r);
            check_backward(batches[k], shapes[s][0], shapes[s][1], 0, 0, r);
        }
    g_rand_free(r);
}
END_TEST

START_TEST(test_nn_linear_backward_add_adds_into_dx_what_backward_writes)
{
    GRand *r = g_rand_new_with_seed(21);
    const uint32_t batches[] = {1, SMALL_B, 4, 16, MID_B, LARGE_B};
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
        for (size_t k = 0; k < G_N_ELEMENTS(batches); k++) {
            const uint32_t B = batches[k], I = shapes[s][0], O = shapes[s][1];
            float *x = random_floats(r, (size_t)B * I, 1.0), *W = random_floats(r, (size_t)O * I, 1.0);
            float *dy = random_floats(r, (size_t)B * O, 1.0);
            float *before = random_floats(r, (size_t)B * I, 1.0);
            float *written = g_new(float, (size_t)B * I), *added = g_new(float, (size_t)B * I);
            float *zeroed = g_new0(float, (size_t)B * I);
            float *dW1 = g_new0(float, (size_t)O * I), *dW2 = g_new0(float, (size_t)O * I);
            float *db1 = g_new0(float, O), *db2 = g_new0(float, O);
            memcpy(added, before, sizeof(float) * B * I);
            ppo_linear_backward(B, I, O, x, W, dy, written, dW1, db1);
            ppo_linear_backward_add(B, I, O, x, W, dy, added, dW2, db2);
            ppo_linear_backward_add(B, I, O, x, W, dy, zeroed, NULL, NULL);
            /* the parameter gradients are the same either way */
            ck_assert(memcmp(dW1, dW2, sizeof(float) * O * I) == 0);
            ck_assert(memcmp(db1, db2, sizeof(float) * O) == 0);
            /* into zeros: the same bits as overwriting */
            ck_assert_msg(memcmp(zeroed, written, sizeof(float) * B * I) == 0,
                          "B=%u I=%u O=%u: adding into zeros differs from overwriting", B, I, O);
            /* into values: each element is its old value plus the written sum (sgemm's
             * accumulation may round once more) */
            for (size_t i = 0; i < (size_t)B * I; i++) {
                const float expect = before[i] + written[i];
                if (B < 1024)
                    ck_assert_msg(added[i] == expect, "B=%u I=%u O=%u element %zu: %.9g, expected %.9g",
                                  B, I, O, i, (double)added[i], (double)expect);
                else
                    ck_assert_msg(fabsf(added[i] - expect) <= 1e-5f * (1.0f + fabsf(expect)),
                                  "B=%u I=%u O=%u element %zu: %.9g, expected %.9g", B, I, O, i,
                                  (double)added[i], (double)expect);
            }
            g_free(x);
            g_free(W);
            g_free(dy);
            g_free(before);
            g_free(written);
            g_free(added);
            g_free(zeroed);
            g_free(dW1);
            g_free(dW2);
            g_free(db1);
            g_free(db2);
        }
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_nn_small_path_row_is_independent_of_other_rows_bit_for_bit)
{
    GRand *r = g_rand_new_with_seed(13);
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
        const uint32_t I = shapes[s][0], O = shapes[s][1], B = 15;
        float *x = random_floats(r, (size_t)B * I, 1.0);
        float *W = random_floats(r, (size_t)O * I, 1.0);
        float *b = random_floats(r, O, 1.0);
        float *y = g_new(float, (size_t)B *O);
        float *y1 = g_new(float, O);
        ppo_linear_forward(B, I, O, x, W, b, y);
        /* each row alone, and each row among the rows after it */
        for (uint32_t n = 0; n < B; n++) {
            ppo_linear_forward(1, I, O, x + (size_t)n * I, W, b, y1);
            ck_assert_msg(memcmp(y1, y + (size_t)n * O, sizeof(float) * O) == 0,
                          "I=%u O=%u: row %u alone differs from the row in a call of %u", I, O, n,
                          B);
            float *yt = g_new(float, (size_t)(B - n) * O);
            ppo_linear_forward(B - n, I, O, x + (size_t)n * I, W, b, yt);
            ck_assert(memcmp(yt, y + (size_t)n * O, sizeof(float) * (B - n) * O) == 0);
            g_free(yt);
        }
        g_free(x);
        g_free(W);
        g_free(b);
        g_free(y);
        g_free(y1);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_nn_blas_path_repeats_and_ignores_values_of_other_rows)
{
    GRand *r = g_rand_new_with_seed(14);
    const uint32_t I = 64, O = 64, B = 100;
    float *x = random_floats(r, (size_t)B * I, 1.0);
    float *W = random_floats(r, (size_t)O * I, 1.0);
    float *b = random_floats(r, O, 1.0);
    float *y = g_new(float, (size_t)B *O);
    float *y2 = g_new(float, (size_t)B *O);
    ppo_linear_forward(B, I, O, x, W, b, y);
    ppo_linear_forward(B, I, O, x, W, b, y2);
    ck_assert(memcmp(y, y2, sizeof(float) * B * O) == 0);
    /* change every row but row 7: row 7's result stays the same bit for bit */
    for (uint32_t n = 0; n < B; n++)
        if (n != 7)
            for (uint32_t i = 0; i < I; i++)
                x[n * I + i] = (float)g_rand_double_range(r, -3.0, 3.0);
    ppo_linear_forward(B, I, O, x, W, b, y2);
    ck_assert(memcmp(y + 7 * O, y2 + 7 * O, sizeof(float) * O) == 0);
    /* and it agrees with the small path to rounding */
    float y1[64];
    ppo_linear_forward(1, I, O, x + 7 * I, W, b, y1);
    for (uint32_t o = 0; o < O; o++)
        ck_assert_float_eq_tol(y1[o], y[7 * O + o], 1e-5f * (1.0f + fabsf(y1[o])));
    g_free(x);
    g_free(W);
    g_free(b);
    g_free(y);
    g_free(y2);
    g_rand_free(r);
}
END_TEST

START_TEST(test_nn_tanh_is_within_2e7_over_a_sweep_of_all_floats)
{
    /* every 61st bit pattern of the 2^32 (about 70 million floats, every exponent) */
    enum { CHUNK = 1 << 16 };
    float *in = g_new(float, CHUNK);
    float *out = g_new(float, CHUNK);
    double worst = 0.0, worst_rel = 0.0;
    float worst_x = 0.0f;
    uint64_t n_checked = 0;
    uint64_t bits = 0;
    while (bits < (UINT64_C(1) << 32)) {
        uint32_t n = 0;
        for (; n < CHUNK && bits < (UINT64_C(1) << 32); n++, bits += 61) {
            const uint32_t b32 = (uint32_t)bits;
            memcpy(&in[n], &b32, sizeof(float));
        }
        memcpy(out, in, sizeof(float) * n);
        ppo_tanh(n, out);
        for (uint32_t i = 0; i < n; i++) {
            if (isnan(in[i])) {
                ck_assert_msg(isnan(out[i]), "tanh(NaN) is not NaN");
                continue;
            }
            const double ref = tanh((double)in[i]);
            const double err = fabs(out[i] - ref);
            if (err > worst) {
                worst = err;
                worst_x = in[i];
            }
            if (ref != 0.0)
                worst_rel = fmax(worst_rel, err / fabs(ref));
            n_checked++;
        }
    }
    /* and every float in [-1, 1) with a step of 2^-20 around the polynomial's seam */
    for (int i = 0; i < (1 << 21); i += CHUNK) {
        for (int j = 0; j < CHUNK; j++)
            in[j] = (float)(-1.0 + (i + j) * 0x1p-20);
        memcpy(out, in, sizeof(float) * CHUNK);
        ppo_tanh(CHUNK, out);
        for (int j = 0; j < CHUNK; j++) {
            const double err = fabs(out[j] - tanh((double)in[j]));
            if (err > worst) {
                worst = err;
                worst_x = in[j];
            }
        }
    }
    printf("tanh: %" G_GUINT64_FORMAT " floats, max abs error %.3g at x = %.9g, max relative "
           "error %.3g\n",
           n_checked, worst, (double)worst_x, worst_rel);
    ck_assert_msg(worst <= 2e-7, "tanh max abs error %.3g at %.9g", worst, (double)worst_x);
    ck_assert_msg(worst_rel <= 4e-7, "tanh max relative error %.3g", worst_rel);
    g_free(in);
    g_free(out);
}
END_TEST

START_TEST(test_nn_tanh_special_values_and_any_length)
{
    float v[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-40f, -1e-40f, 100.0f, -9.0f, 0.625f};
    ppo_tanh(G_N_ELEMENTS(v), v);
    ck_assert(v[0] == 0.0f && !signbit(v[0]));
    ck_assert(v[1] == 0.0f && signbit(v[1]));
    ck_assert(v[2] == 1.0f && v[3] == -1.0f);
    ck_assert(isnan(v[4]));
    ck_assert(v[5] == 1e-40f && v[6] == -1e-40f);
    ck_assert(v[7] == 1.0f);
    ck_assert(fabs(v[8] - tanh(-9.0)) < 2e-7);
    ck_assert(fabs(v[9] - tanh(0.625)) < 2e-7);

    /* a value's result does not depend on the length of the array or its place in it */
    float ref[40], buf[40];
    for (int i = 0; i < 40; i++)
        ref[i] = (float)(i - 20) * 0.17f;
    memcpy(buf, ref, sizeof(ref));
    ppo_tanh(40, ref);
    for (uint32_t n = 0; n <= 17; n++) {
        float part[17];
        memcpy(part, buf + 3, sizeof(float) * n);
        ppo_tanh(n, part);
        ck_assert(memcmp(part, ref + 3, sizeof(float) * n) == 0);
    }
}
END_TEST

START_TEST(test_nn_activations_forward_and_backward)
{
    float x[11] = {-2.0f, -0.5f, -0.0f, 0.0f, 0.3f, 1.5f, NAN, -1e-30f, 4.0f, -4.0f, 0.001f};
    float y[11], d[11], ref_d[11];
    /* relu: max(x, 0), NaN stays NaN */
    memcpy(y, x, sizeof(x));
    ppo_activation_forward(PPO_ACTIVATION_RELU, 11, y);
    for (int i = 0; i < 11; i++) {
        if (isnan(x[i]))
            ck_assert(isnan(y[i]));
        else
            ck_assert_float_eq(y[i], x[i] < 0.0f ? 0.0f : x[i]);
    }
    /* relu backward: gradient passes where the output is positive */
    for (int i = 0; i < 11; i++)
        d[i] = ref_d[i] = (float)(i + 1);
    ppo_activation_backward(PPO_ACTIVATION_RELU, 11, y, d);
    for (int i = 0; i < 11; i++)
        ck_assert_float_eq(d[i], y[i] > 0.0f ? ref_d[i] : 0.0f);
    /* tanh forward is ppo_tanh; backward multiplies by 1 - y^2 */
    memcpy(y, x, sizeof(x));
    ppo_activation_forward(PPO_ACTIVATION_TANH, 11, y);
    for (int i = 0; i < 11; i++)
        if (!isnan(x[i]))
            ck_assert(fabs(y[i] - tanh(x[i])) < 2e-7);
    for (int i = 0; i < 11; i++)
        d[i] = (float)(i + 1);
    ppo_activation_backward(PPO_ACTIVATION_TANH, 11, y, d);
    for (int i = 0; i < 11; i++)
        if (!isnan(x[i]))
            ck_assert_float_eq_tol(d[i], (float)(i + 1) * (1.0f - y[i] * y[i]), 1e-6f);
    /* identity leaves both alone */
    memcpy(y, x, sizeof(x));
    ppo_activation_forward(PPO_ACTIVATION_IDENTITY, 11, y);
    ck_assert(memcmp(x, y, sizeof(x)) == 0);
    for (int i = 0; i < 11; i++)
        d[i] = ref_d[i];
    ppo_activation_backward(PPO_ACTIVATION_IDENTITY, 11, y, d);
    ck_assert(memcmp(d, ref_d, sizeof(d)) == 0);
}
END_TEST

static Suite *nn_suite(void)
{
    Suite *s = suite_create("ppo_nn");
    TCase *tc = tcase_create("nn");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_nn_linear_forward_matches_double_loops_both_paths);
    tcase_add_test(tc, test_nn_linear_backward_matches_double_loops_both_paths);
    tcase_add_test(tc, test_nn_linear_backward_add_adds_into_dx_what_backward_writes);
    tcase_add_test(tc, test_nn_small_path_row_is_independent_of_other_rows_bit_for_bit);
    tcase_add_test(tc, test_nn_blas_path_repeats_and_ignores_values_of_other_rows);
    tcase_add_test(tc, test_nn_tanh_is_within_2e7_over_a_sweep_of_all_floats);
    tcase_add_test(tc, test_nn_tanh_special_values_and_any_length);
    tcase_add_test(tc, test_nn_activations_forward_and_backward);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(nn_suite());
}
