/* Tests of core/ppo_model.c's initializer: orthogonal matrices like PyTorch's orthogonal_ (rows
 * or columns orthonormal times the gain, for tall, wide and square shapes), deterministic per
 * seed. */
#include "config.h"

#include <math.h>

#include "ppo_model_private.h"
#include "ppo_test.h"

static void check_orthogonal(uint32_t rows, uint32_t cols, double gain)
{
    float *w = g_new(float, (size_t)rows * cols);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 5, "init", 0);
    ppo_init_orthogonal(w, rows, cols, gain, &rng);
    /* the shorter dimension is orthonormal: W W^T = g^2 I (wide) or W^T W = g^2 I (tall) */
    const bool wide = rows < cols;
    const uint32_t k = wide ? rows : cols, len = wide ? cols : rows;
    for (uint32_t a = 0; a < k; a++) {
        for (uint32_t b = 0; b < k; b++) {
            double dot = 0;
            for (uint32_t i = 0; i < len; i++) {
                const double x = wide ? w[a * cols + i] : w[i * cols + a];
                const double y = wide ? w[b * cols + i] : w[i * cols + b];
                dot += x * y;
            }
            ck_assert_double_eq_tol(dot, a == b ? gain * gain : 0.0, 1e-5 * gain * gain);
        }
    }
    g_free(w);
}

START_TEST(test_orthogonal_init_square_tall_and_wide)
{
    check_orthogonal(64, 64, sqrt(2.0));
    check_orthogonal(64, 4, sqrt(2.0));
    check_orthogonal(2, 64, 0.01);
    check_orthogonal(1, 64, 1.0);
}
END_TEST

START_TEST(test_orthogonal_init_is_deterministic_per_seed)
{
    float a[12], b[12], c[12];
    ppo_rng_t r1, r2, r3;
    ppo_rng_seed(&r1, 5, "init", 0);
    ppo_rng_seed(&r2, 5, "init", 0);
    ppo_rng_seed(&r3, 6, "init", 0);
    ppo_init_orthogonal(a, 3, 4, 1.0, &r1);
    ppo_init_orthogonal(b, 3, 4, 1.0, &r2);
    ppo_init_orthogonal(c, 3, 4, 1.0, &r3);
    ck_assert_mem_eq(a, b, sizeof(a));
    ck_assert(memcmp(a, c, sizeof(a)) != 0);
}
END_TEST

START_TEST(test_rng_streams_differ_by_tag_and_index)
{
    ppo_rng_t a, b, c;
    ppo_rng_seed(&a, 1, "env", 0);
    ppo_rng_seed(&b, 1, "env", 1);
    ppo_rng_seed(&c, 1, "act", 0);
    const uint64_t xa = ppo_rng_next_u64(&a), xb = ppo_rng_next_u64(&b), xc = ppo_rng_next_u64(&c);
    ck_assert(xa != xb && xa != xc && xb != xc);
    /* uniform mean and normal moments are plausible */
    double s = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        const double z = ppo_rng_normal(&a);
        s += z;
        s2 += z * z;
    }
    ck_assert_double_eq_tol(s / 100000, 0.0, 0.02);
    ck_assert_double_eq_tol(s2 / 100000, 1.0, 0.02);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ppo_model");
    TCase *tc = tcase_create("init");
    tcase_add_test(tc, test_orthogonal_init_square_tall_and_wide);
    tcase_add_test(tc, test_orthogonal_init_is_deterministic_per_seed);
    tcase_add_test(tc, test_rng_streams_differ_by_tag_and_index);
    suite_add_tcase(s, tc);
    return ppo_test_run(s);
}
