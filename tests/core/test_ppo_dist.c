/* Tests of core/ppo_dist.c: the categorical and diagonal-Gaussian helpers against closed forms
 * computed in double, their backward passes against central finite differences of a double
 * reference loss, sampling frequencies over many draws of one fixed stream, and the
 * deterministic modes.
 *
 * The multi-categorical helpers are checked against the sum of their components' references and
 * the categorical helper itself; the state-independent log-std head against finite differences of
 * the Gaussian reference with the log-std shared by every row.
 *
 * Left out: the policies that use these helpers (tests/plugins/test_mlp.c).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_test.h"

#define LOG_2PI 1.8378770664093454836

/* ---- double references ---- */

/* log softmax of a row, computed directly (no helper code shared with the library) */
static void ref_log_softmax(uint32_t n, const double *l, double *out)
{
    double m = -INFINITY;
    for (uint32_t k = 0; k < n; k++)
        m = fmax(m, l[k]);
    double s = 0.0;
    for (uint32_t k = 0; k < n; k++)
        s += exp(l[k] - m);
    for (uint32_t k = 0; k < n; k++)
        out[k] = l[k] - m - log(s);
}

/* c1 logp(a) + c2 H + c3 KL(old || new) of one categorical row */
static double ref_cat_loss(uint32_t n, const double *l, const double *lo, uint32_t a, double c1,
                           double c2, double c3)
{
    double lp[16], lq[16];
    ref_log_softmax(n, l, lp);
    ref_log_softmax(n, lo, lq);
    double h = 0.0, kl = 0.0;
    for (uint32_t k = 0; k < n; k++) {
        h -= exp(lp[k]) * lp[k];
        kl += exp(lq[k]) * (lq[k] - lp[k]);
    }
    return c1 * lp[a] + c2 * h + c3 * kl;
}

/* one Gaussian row: logp of x, entropy, KL(old || new), from sigma = exp(log_std) */
static void ref_gauss(uint32_t A, const double *d, const double *old, const double *x, double *logp,
                      double *ent, double *kl)
{
    *logp = *ent = *kl = 0.0;
    for (uint32_t i = 0; i < A; i++) {
        const double mu = d[i], sd = exp(d[A + i]);
        const double mo = old[i], so = exp(old[A + i]);
        *logp += -(x[i] - mu) * (x[i] - mu) / (2.0 * sd * sd) - log(sd) - 0.5 * LOG_2PI;
        *ent += 0.5 * log(2.0 * M_PI * M_E * sd * sd);
        *kl += log(sd / so) + (so * so + (mo - mu) * (mo - mu)) / (2.0 * sd * sd) - 0.5;
    }
}

static double ref_gauss_loss(uint32_t A, const double *d, const double *old, const double *x,
                             double c1, double c2, double c3)
{
    double lp, h, kl;
    ref_gauss(A, d, old, x, &lp, &h, &kl);
    return c1 * lp + c2 * h + c3 * kl;
}

/* ---- categorical ---- */

START_TEST(test_dist_categorical_evaluate_matches_closed_forms)
{
    GRand *r = g_rand_new_with_seed(21);
    const uint32_t ns[] = {2, 3, 7, 16};
    for (size_t t = 0; t < G_N_ELEMENTS(ns); t++) {
        const uint32_t n = ns[t], B = 9;
        float l[9 * 16], lo[9 * 16], act[9], logp[9], ent[9], kl[9];
        for (uint32_t i = 0; i < B * n; i++) {
            l[i] = (float)g_rand_double_range(r, -4.0, 4.0);
            lo[i] = (float)g_rand_double_range(r, -4.0, 4.0);
        }
        /* a row of huge logits tests the shift by the maximum */
        l[0] = 500.0f;
        l[1] = 498.0f;
        for (uint32_t b = 0; b < B; b++)
            act[b] = (float)g_rand_int_range(r, 0, (gint32)n);
        ppo_categorical_evaluate(B, n, l, act, lo, logp, ent, kl);
        for (uint32_t b = 0; b < B; b++) {
            double ld[16], lod[16], lp[16], lq[16];
            for (uint32_t k = 0; k < n; k++) {
                ld[k] = l[b * n + k];
                lod[k] = lo[b * n + k];
            }
            ref_log_softmax(n, ld, lp);
            ref_log_softmax(n, lod, lq);
            double h = 0.0, d = 0.0;
            for (uint32_t k = 0; k < n; k++) {
                h -= exp(lp[k]) * lp[k];
                d += exp(lq[k]) * (lq[k] - lp[k]);
            }
            ck_assert_double_eq_tol(logp[b], lp[(uint32_t)act[b]], 1e-6 * (1 + fabs(logp[b])));
            ck_assert_double_eq_tol(ent[b], h, 1e-6 * (1 + fabs(h)));
            ck_assert_double_eq_tol(kl[b], d, 1e-6 * (1 + fabs(d)));
        }
    }
    /* two equal huge logits: log 2 and entropy log 2; KL of a row with itself is 0 */
    const float big[2] = {1000.0f, 1000.0f}, a0 = 0.0f;
    float lp, h, k;
    ppo_categorical_evaluate(1, 2, big, &a0, big, &lp, &h, &k);
    ck_assert_double_eq_tol(lp, -log(2.0), 1e-7);
    ck_assert_double_eq_tol(h, log(2.0), 1e-7);
    ck_assert_double_eq_tol(k, 0.0, 1e-7);
    g_rand_free(r);
}
END_TEST

START_TEST(test_dist_categorical_skips_kl_without_old_and_rejects_bad_actions)
{
    const float l[3] = {0.1f, 0.2f, 0.3f};
    float kl = 123.0f, lp = 0.0f;
    const float bad[1] = {3.0f};
    ppo_categorical_evaluate(1, 3, l, bad, NULL, &lp, NULL, &kl);
    ck_assert_float_eq(kl, 123.0f);
    ck_assert(isinf(lp) && lp < 0.0f);
    const float neg[1] = {-1.0f};
    ppo_categorical_evaluate(1, 3, l, neg, NULL, &lp, NULL, NULL);
    ck_assert(isinf(lp) && lp < 0.0f);
}
END_TEST

START_TEST(test_dist_categorical_backward_matches_finite_differences)
{
    GRand *r = g_rand_new_with_seed(22);
    const uint32_t ns[] = {2, 3, 6};
    double worst = 0.0;
    for (size_t t = 0; t < G_N_ELEMENTS(ns); t++) {
        const uint32_t n = ns[t], B = 5;
        float l[5 * 6], lo[5 * 6], act[5], c1[5], c2[5], c3[5], dl[5 * 6];
        for (uint32_t i = 0; i < B * n; i++) {
            l[i] = (float)g_rand_double_range(r, -3.0, 3.0);
            lo[i] = (float)g_rand_double_range(r, -3.0, 3.0);
        }
        for (uint32_t b = 0; b < B; b++) {
            act[b] = (float)g_rand_int_range(r, 0, (gint32)n);
            c1[b] = (float)g_rand_double_range(r, -1.0, 1.0);
            c2[b] = (float)g_rand_double_range(r, -1.0, 1.0);
            c3[b] = (float)g_rand_double_range(r, -1.0, 1.0);
        }
        ppo_categorical_backward(B, n, l, act, lo, c1, c2, c3, dl);
        for (uint32_t b = 0; b < B; b++)
            for (uint32_t k = 0; k < n; k++) {
                double ld[6], lod[6];
                for (uint32_t j = 0; j < n; j++) {
                    ld[j] = l[b * n + j];
                    lod[j] = lo[b * n + j];
                }
                const double h = 1e-6;
                ld[k] += h;
                const double up = ref_cat_loss(n, ld, lod, (uint32_t)act[b], c1[b], c2[b], c3[b]);
                ld[k] -= 2 * h;
                const double dn = ref_cat_loss(n, ld, lod, (uint32_t)act[b], c1[b], c2[b], c3[b]);
                const double fd = (up - dn) / (2 * h);
                const double err = fabs(dl[b * n + k] - fd) / fmax(1.0, fabs(fd));
                worst = fmax(worst, err);
                ck_assert_msg(err < 1e-6, "n=%u row %u logit %u: backward %.9g, FD %.9g", n, b, k,
                              (double)dl[b * n + k], fd);
            }
    }
    printf("categorical backward: max error vs finite differences %.3g\n", worst);

    /* NULL derivatives count as zero */
    const float l2[2] = {0.3f, -0.2f}, a2 = 1.0f, one = 1.0f;
    float d2[2] = {NAN, NAN};
    ppo_categorical_backward(1, 2, l2, &a2, NULL, NULL, NULL, &one, d2);
    ck_assert(d2[0] == 0.0f && d2[1] == 0.0f);
    g_rand_free(r);
}
END_TEST

START_TEST(test_dist_categorical_sampling_frequencies_match_probabilities)
{
    const double p[4] = {0.1, 0.2, 0.3, 0.4};
    float l[4];
    for (int k = 0; k < 4; k++)
        l[k] = (float)log(p[k]) + 3.0f;
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 7, "act", 0);
    enum { N = 200000 };
    int counts[4] = {0, 0, 0, 0};
    ppo_rng_t *rngs[1] = {&rng};
    for (int i = 0; i < N; i++) {
        float a, lp, ref;
        ppo_categorical_act(1, 4, l, rngs, 0, &a, &lp);
        counts[(int)a]++;
        /* the log-probability act reports is the one evaluate computes */
        ppo_categorical_evaluate(1, 4, l, &a, NULL, &ref, NULL, NULL);
        ck_assert(lp == ref);
    }
    for (int k = 0; k < 4; k++) {
        const double f = (double)counts[k] / N, sigma = sqrt(p[k] * (1 - p[k]) / N);
        ck_assert_msg(fabs(f - p[k]) < 5 * sigma, "action %d: frequency %.4f, probability %.2f", k,
                      f, p[k]);
    }
}
END_TEST

START_TEST(test_dist_categorical_rows_use_their_own_streams)
{
    const float l[2 * 3] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    ppo_rng_t r0, r1, s0, s1;
    ppo_rng_seed(&r0, 1, "act", 0);
    ppo_rng_seed(&r1, 1, "act", 1);
    s0 = r0;
    s1 = r1;
    ppo_rng_t *rows[2] = {&r0, &r1};
    ppo_rng_t *swapped[2] = {&s1, &s0};
    float a[2], b[2], lp[2];
    for (int i = 0; i < 50; i++) {
        ppo_categorical_act(2, 3, l, rows, 0, a, lp);
        ppo_categorical_act(2, 3, l, swapped, 0, b, lp);
        ck_assert(a[0] == b[1] && a[1] == b[0]);
    }
}
END_TEST

START_TEST(test_dist_categorical_deterministic_takes_first_argmax)
{
    const float l[2 * 4] = {1.0f, 3.0f, 3.0f, 2.0f, -1.0f, -1.0f, -1.0f, -1.0f};
    float a[2], lp[2];
    ppo_categorical_act(2, 4, l, NULL, 1, a, lp);
    ck_assert_float_eq(a[0], 1.0f);
    ck_assert_float_eq(a[1], 0.0f);
    ck_assert_double_eq_tol(lp[1], -log(4.0), 1e-7);
}
END_TEST

/* ---- Gaussian ---- */

START_TEST(test_dist_gaussian_evaluate_matches_closed_forms)
{
    GRand *r = g_rand_new_with_seed(23);
    for (uint32_t A = 1; A <= 4; A++) {
        const uint32_t B = 7;
        float d[7 * 8], o[7 * 8], x[7 * 4], lp[7], h[7], kl[7];
        for (uint32_t b = 0; b < B; b++)
            for (uint32_t i = 0; i < A; i++) {
                d[b * 2 * A + i] = (float)g_rand_double_range(r, -2, 2);
                d[b * 2 * A + A + i] = (float)g_rand_double_range(r, -2, 1);
                o[b * 2 * A + i] = (float)g_rand_double_range(r, -2, 2);
                o[b * 2 * A + A + i] = (float)g_rand_double_range(r, -2, 1);
                x[b * A + i] = (float)g_rand_double_range(r, -3, 3);
            }
        ppo_gaussian_evaluate(B, A, d, x, o, lp, h, kl);
        for (uint32_t b = 0; b < B; b++) {
            double dd[8], od[8], xd[4], rlp, rh, rkl;
            for (uint32_t i = 0; i < 2 * A; i++) {
                dd[i] = d[b * 2 * A + i];
                od[i] = o[b * 2 * A + i];
            }
            for (uint32_t i = 0; i < A; i++)
                xd[i] = x[b * A + i];
            ref_gauss(A, dd, od, xd, &rlp, &rh, &rkl);
            ck_assert_double_eq_tol(lp[b], rlp, 1e-6 * (1 + fabs(rlp)));
            ck_assert_double_eq_tol(h[b], rh, 1e-6 * (1 + fabs(rh)));
            ck_assert_double_eq_tol(kl[b], rkl, 1e-6 * (1 + fabs(rkl)));
        }
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_dist_gaussian_backward_matches_finite_differences)
{
    GRand *r = g_rand_new_with_seed(24);
    double worst = 0.0;
    for (uint32_t A = 1; A <= 3; A++) {
        const uint32_t B = 5;
        float d[5 * 6], o[5 * 6], x[5 * 3], c1[5], c2[5], c3[5], g[5 * 6];
        for (uint32_t b = 0; b < B; b++) {
            for (uint32_t i = 0; i < A; i++) {
                d[b * 2 * A + i] = (float)g_rand_double_range(r, -1, 1);
                d[b * 2 * A + A + i] = (float)g_rand_double_range(r, -1, 0.5);
                o[b * 2 * A + i] = (float)g_rand_double_range(r, -1, 1);
                o[b * 2 * A + A + i] = (float)g_rand_double_range(r, -1, 0.5);
                x[b * A + i] = (float)g_rand_double_range(r, -2, 2);
            }
            c1[b] = (float)g_rand_double_range(r, -1, 1);
            c2[b] = (float)g_rand_double_range(r, -1, 1);
            c3[b] = (float)g_rand_double_range(r, -1, 1);
        }
        ppo_gaussian_backward(B, A, d, x, o, c1, c2, c3, g);
        for (uint32_t b = 0; b < B; b++)
            for (uint32_t j = 0; j < 2 * A; j++) {
                double dd[6], od[6], xd[3];
                for (uint32_t i = 0; i < 2 * A; i++) {
                    dd[i] = d[b * 2 * A + i];
                    od[i] = o[b * 2 * A + i];
                }
                for (uint32_t i = 0; i < A; i++)
                    xd[i] = x[b * A + i];
                const double h = 1e-6;
                dd[j] += h;
                const double up = ref_gauss_loss(A, dd, od, xd, c1[b], c2[b], c3[b]);
                dd[j] -= 2 * h;
                const double dn = ref_gauss_loss(A, dd, od, xd, c1[b], c2[b], c3[b]);
                const double fd = (up - dn) / (2 * h);
                const double err = fabs(g[b * 2 * A + j] - fd) / fmax(1.0, fabs(fd));
                worst = fmax(worst, err);
                ck_assert_msg(err < 1e-6, "A=%u row %u param %u: backward %.9g, FD %.9g", A, b, j,
                              (double)g[b * 2 * A + j], fd);
            }
    }
    printf("gaussian backward: max error vs finite differences %.3g\n", worst);
    g_rand_free(r);
}
END_TEST

/* the loss summed over rows of means (B, A) with one shared log_std (A), in double */
static double ref_head_loss(uint32_t B, uint32_t A, const double *mean, const double *log_std,
                            const float *o, const float *x, const float *c1, const float *c2,
                            const float *c3)
{
    double loss = 0.0;
    for (uint32_t b = 0; b < B; b++) {
        double d[6], od[6], xd[3];
        for (uint32_t i = 0; i < A; i++) {
            d[i] = mean[b * A + i];
            d[A + i] = log_std[i];
            od[i] = o[b * 2 * A + i];
            od[A + i] = o[b * 2 * A + A + i];
            xd[i] = x[b * A + i];
        }
        loss += ref_gauss_loss(A, d, od, xd, c1[b], c2[b], c3[b]);
    }
    return loss;
}

START_TEST(test_dist_gaussian_head_backward_matches_finite_differences)
{
    GRand *r = g_rand_new_with_seed(25);
    enum { B = 5, A = 3 };
    float mean[B * A], log_std[A], o[B * 2 * A], x[B * A], c1[B], c2[B], c3[B];
    for (uint32_t i = 0; i < A; i++)
        log_std[i] = (float)g_rand_double_range(r, -1, 0.5);
    for (uint32_t b = 0; b < B; b++) {
        for (uint32_t i = 0; i < A; i++) {
            mean[b * A + i] = (float)g_rand_double_range(r, -1, 1);
            o[b * 2 * A + i] = (float)g_rand_double_range(r, -1, 1);
            o[b * 2 * A + A + i] = (float)g_rand_double_range(r, -1, 0.5);
            x[b * A + i] = (float)g_rand_double_range(r, -2, 2);
        }
        c1[b] = (float)g_rand_double_range(r, -1, 1);
        c2[b] = (float)g_rand_double_range(r, -1, 1);
        c3[b] = (float)g_rand_double_range(r, -1, 1);
    }
    /* forward: each row is its means then the shared log-std */
    float dist[B * 2 * A], ddist[B * 2 * A], dmean[B * A], dls[A] = {0.5f, 0.5f, 0.5f};
    ppo_gaussian_head_forward(B, A, mean, log_std, dist);
    for (uint32_t b = 0; b < B; b++) {
        ck_assert(memcmp(dist + b * 2 * A, mean + b * A, sizeof(float) * A) == 0);
        ck_assert(memcmp(dist + b * 2 * A + A, log_std, sizeof(float) * A) == 0);
    }
    ppo_gaussian_backward(B, A, dist, x, o, c1, c2, c3, ddist);
    ppo_gaussian_head_backward(B, A, ddist, dmean, dls);
    double md[B * A], ld[A];
    for (uint32_t i = 0; i < B * A; i++)
        md[i] = mean[i];
    for (uint32_t i = 0; i < A; i++)
        ld[i] = log_std[i];
    const double h = 1e-6;
    for (uint32_t i = 0; i < B * A + A; i++) {
        double *v = i < B * A ? &md[i] : &ld[i - B * A];
        const double keep = *v;
        *v = keep + h;
        const double up = ref_head_loss(B, A, md, ld, o, x, c1, c2, c3);
        *v = keep - h;
        const double dn = ref_head_loss(B, A, md, ld, o, x, c1, c2, c3);
        *v = keep;
        const double f = (up - dn) / (2 * h);
        /* the log-std gradient was ADDED to 0.5 */
        const double an = i < B * A ? dmean[i] : dls[i - B * A] - 0.5;
        ck_assert_msg(fabs(an - f) < 1e-5 * fmax(1.0, fabs(f)), "%s %u: backward %.9g, FD %.9g",
                      i < B * A ? "mean" : "log_std", i < B * A ? i : i - B * A, an, f);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_dist_gaussian_samples_have_the_right_moments)
{
    const float d[4] = {0.5f, -1.0f, (float)log(2.0), (float)log(0.25)};
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 9, "act", 3);
    ppo_rng_t *rngs[1] = {&rng};
    enum { N = 200000 };
    double s[2] = {0, 0}, s2[2] = {0, 0};
    for (int i = 0; i < N; i++) {
        float x[2], lp, ref;
        ppo_gaussian_act(1, 2, d, rngs, 0, x, &lp);
        for (int k = 0; k < 2; k++) {
            s[k] += x[k];
            s2[k] += (double)x[k] * x[k];
        }
        ppo_gaussian_evaluate(1, 2, d, x, NULL, &ref, NULL, NULL);
        ck_assert(lp == ref);
    }
    const double sd[2] = {2.0, 0.25};
    for (int k = 0; k < 2; k++) {
        const double mean = s[k] / N, var = s2[k] / N - mean * mean;
        ck_assert_msg(fabs(mean - d[k]) < 5 * sd[k] / sqrt(N), "mean %d: %.5f", k, mean);
        ck_assert_msg(fabs(sqrt(var) / sd[k] - 1) < 5 * sqrt(0.5 / N), "std %d: %.5f", k,
                      sqrt(var));
    }
}
END_TEST

START_TEST(test_dist_gaussian_deterministic_returns_the_mean)
{
    const float d[2 * 4] = {0.5f, -1.0f, 0.0f, -0.5f, 2.0f, 3.0f, -1.0f, 1.0f};
    float x[4], lp[2];
    ppo_gaussian_act(2, 2, d, NULL, 1, x, lp);
    ck_assert(x[0] == 0.5f && x[1] == -1.0f && x[2] == 2.0f && x[3] == 3.0f);
    ck_assert_double_eq_tol(lp[0], -(0.0 - 0.5) - LOG_2PI, 1e-6);
    ck_assert_double_eq_tol(lp[1], -(-1.0 + 1.0) - LOG_2PI, 1e-6);
    /* equal streams give equal samples */
    ppo_rng_t a, b;
    ppo_rng_seed(&a, 4, "act", 2);
    b = a;
    ppo_rng_t *ra[2] = {&a, &a}, *rb[2] = {&b, &b};
    float xa[4], xb[4];
    ppo_gaussian_act(2, 2, d, ra, 0, xa, lp);
    ppo_gaussian_act(2, 2, d, rb, 0, xb, lp);
    ck_assert(memcmp(xa, xb, sizeof(xa)) == 0);
}
END_TEST

/* ---- multi-categorical ---- */

/* nvec {3, 2, 5}: the components' logits are consecutive slices of a row of 10 */
static const uint32_t MC_NVEC[3] = {3, 2, 5};
#define MC_K 3
#define MC_P 10

/* c1 logp + c2 H + c3 KL of one multi-categorical row: the sum of the components' */
static double ref_multi_loss(const double *l, const double *lo, const float *a, double c1,
                             double c2, double c3)
{
    double total = 0.0;
    uint32_t off = 0;
    for (uint32_t c = 0; c < MC_K; c++) {
        total += ref_cat_loss(MC_NVEC[c], l + off, lo + off, (uint32_t)a[c], c1, c2, c3);
        off += MC_NVEC[c];
    }
    return total;
}

START_TEST(test_dist_multi_categorical_is_the_sum_of_its_components)
{
    GRand *r = g_rand_new_with_seed(31);
    enum { B = 6 };
    float l[B * MC_P], lo[B * MC_P], act[B * MC_K];
    for (uint32_t i = 0; i < B * MC_P; i++) {
        l[i] = (float)g_rand_double_range(r, -3.0, 3.0);
        lo[i] = (float)g_rand_double_range(r, -3.0, 3.0);
    }
    for (uint32_t b = 0; b < B; b++)
        for (uint32_t c = 0; c < MC_K; c++)
            act[b * MC_K + c] = (float)g_rand_int_range(r, 0, (gint32)MC_NVEC[c]);
    float lp[B], h[B], kl[B];
    ppo_multi_categorical_evaluate(B, MC_K, MC_NVEC, l, act, lo, lp, h, kl);
    for (uint32_t b = 0; b < B; b++) {
        double ld[MC_P], lod[MC_P];
        for (uint32_t j = 0; j < MC_P; j++) {
            ld[j] = l[b * MC_P + j];
            lod[j] = lo[b * MC_P + j];
        }
        const double want_lp = ref_multi_loss(ld, lod, act + b * MC_K, 1, 0, 0);
        const double want_h = ref_multi_loss(ld, lod, act + b * MC_K, 0, 1, 0);
        const double want_kl = ref_multi_loss(ld, lod, act + b * MC_K, 0, 0, 1);
        ck_assert_double_eq_tol(lp[b], want_lp, 1e-6 * fmax(1.0, fabs(want_lp)));
        ck_assert_double_eq_tol(h[b], want_h, 1e-6 * fmax(1.0, fabs(want_h)));
        ck_assert_double_eq_tol(kl[b], want_kl, 1e-6 * fmax(1.0, fabs(want_kl)));
        /* and it equals the categorical helper's components added up */
        double sum_lp = 0.0;
        uint32_t off = 0;
        for (uint32_t c = 0; c < MC_K; c++) {
            float one;
            ppo_categorical_evaluate(1, MC_NVEC[c], l + b * MC_P + off, act + b * MC_K + c, NULL,
                                     &one, NULL, NULL);
            sum_lp += one;
            off += MC_NVEC[c];
        }
        ck_assert_double_eq_tol(lp[b], sum_lp, 1e-5);
    }
    /* an index outside its component's range has probability zero */
    float bad[MC_K] = {0.0f, 2.0f, 0.0f}, one;
    ppo_multi_categorical_evaluate(1, MC_K, MC_NVEC, l, bad, NULL, &one, NULL, NULL);
    ck_assert(isinf(one) && one < 0.0f);
    g_rand_free(r);
}
END_TEST

START_TEST(test_dist_multi_categorical_backward_matches_finite_differences)
{
    GRand *r = g_rand_new_with_seed(32);
    enum { B = 4 };
    float l[B * MC_P], lo[B * MC_P], act[B * MC_K], c1[B], c2[B], c3[B], dl[B * MC_P];
    for (uint32_t i = 0; i < B * MC_P; i++) {
        l[i] = (float)g_rand_double_range(r, -3.0, 3.0);
        lo[i] = (float)g_rand_double_range(r, -3.0, 3.0);
    }
    for (uint32_t b = 0; b < B; b++) {
        for (uint32_t c = 0; c < MC_K; c++)
            act[b * MC_K + c] = (float)g_rand_int_range(r, 0, (gint32)MC_NVEC[c]);
        c1[b] = (float)g_rand_double_range(r, -1.0, 1.0);
        c2[b] = (float)g_rand_double_range(r, -1.0, 1.0);
        c3[b] = (float)g_rand_double_range(r, -1.0, 1.0);
    }
    ppo_multi_categorical_backward(B, MC_K, MC_NVEC, l, act, lo, c1, c2, c3, dl);
    for (uint32_t b = 0; b < B; b++)
        for (uint32_t k = 0; k < MC_P; k++) {
            double ld[MC_P], lod[MC_P];
            for (uint32_t j = 0; j < MC_P; j++) {
                ld[j] = l[b * MC_P + j];
                lod[j] = lo[b * MC_P + j];
            }
            const double eps = 1e-6;
            ld[k] += eps;
            const double up = ref_multi_loss(ld, lod, act + b * MC_K, c1[b], c2[b], c3[b]);
            ld[k] -= 2 * eps;
            const double dn = ref_multi_loss(ld, lod, act + b * MC_K, c1[b], c2[b], c3[b]);
            const double fd = (up - dn) / (2 * eps);
            ck_assert_msg(fabs(dl[b * MC_P + k] - fd) < 1e-6 * fmax(1.0, fabs(fd)),
                          "row %u logit %u: backward %.9g, FD %.9g", b, k, (double)dl[b * MC_P + k],
                          fd);
        }
    g_rand_free(r);
}
END_TEST

START_TEST(test_dist_multi_categorical_samples_each_component_from_the_row_stream_in_order)
{
    GRand *r = g_rand_new_with_seed(33);
    enum { B = 3 };
    float l[B * MC_P];
    for (uint32_t i = 0; i < B * MC_P; i++)
        l[i] = (float)g_rand_double_range(r, -2.0, 2.0);
    ppo_rng_t s[B], t[B];
    ppo_rng_t *ps[B], *pt[B];
    for (uint32_t b = 0; b < B; b++) {
        ppo_rng_seed(&s[b], 7, "act", b);
        t[b] = s[b];
        ps[b] = &s[b];
        pt[b] = &t[b];
    }
    float act[B * MC_K], lp[B];
    ppo_multi_categorical_act(B, MC_K, MC_NVEC, l, ps, 0, act, lp);
    for (uint32_t b = 0; b < B; b++) {
        /* the same draws as sampling each component with the categorical helper, in order */
        uint32_t off = 0;
        double sum = 0.0;
        for (uint32_t c = 0; c < MC_K; c++) {
            float a, one;
            ppo_categorical_act(1, MC_NVEC[c], l + b * MC_P + off, &pt[b], 0, &a, &one);
            ck_assert_float_eq(a, act[b * MC_K + c]);
            sum += one;
            off += MC_NVEC[c];
        }
        ck_assert_double_eq_tol(lp[b], sum, 1e-5);
        ck_assert_mem_eq(&s[b], &t[b], sizeof(ppo_rng_t));
    }
    /* deterministic: each component's first largest logit, no stream needed */
    const float tie[MC_P] = {1, 3, 3, 0, 0, -1, 2, 2, 5, 5};
    float mode[MC_K];
    ppo_multi_categorical_act(1, MC_K, MC_NVEC, tie, NULL, 1, mode, NULL);
    ck_assert_float_eq(mode[0], 1.0f);
    ck_assert_float_eq(mode[1], 0.0f);
    ck_assert_float_eq(mode[2], 3.0f);
    g_rand_free(r);
}
END_TEST

/* ---- registration ---- */

static Suite *dist_suite(void)
{
    Suite *s = suite_create("ppo_dist");
    TCase *tc = tcase_create("dist");
    tcase_add_test(tc, test_dist_categorical_evaluate_matches_closed_forms);
    tcase_add_test(tc, test_dist_categorical_skips_kl_without_old_and_rejects_bad_actions);
    tcase_add_test(tc, test_dist_categorical_backward_matches_finite_differences);
    tcase_add_test(tc, test_dist_categorical_sampling_frequencies_match_probabilities);
    tcase_add_test(tc, test_dist_categorical_rows_use_their_own_streams);
    tcase_add_test(tc, test_dist_categorical_deterministic_takes_first_argmax);
    tcase_add_test(tc, test_dist_gaussian_evaluate_matches_closed_forms);
    tcase_add_test(tc, test_dist_gaussian_backward_matches_finite_differences);
    tcase_add_test(tc, test_dist_gaussian_head_backward_matches_finite_differences);
    tcase_add_test(tc, test_dist_gaussian_samples_have_the_right_moments);
    tcase_add_test(tc, test_dist_gaussian_deterministic_returns_the_mean);
    tcase_add_test(tc, test_dist_multi_categorical_is_the_sum_of_its_components);
    tcase_add_test(tc, test_dist_multi_categorical_backward_matches_finite_differences);
    tcase_add_test(tc, test_dist_multi_categorical_samples_each_component_from_the_row_stream_in_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(dist_suite());
}
