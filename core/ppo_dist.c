/* ppofw core — action distributions for policies (include/ppofw/dist.h): categorical over
 * logits and diagonal Gaussian over (means, log-stds), each with sampling, log-probability,
 * entropy, KL(old || new) and the backward pass of those three.
 *
 * Inputs and outputs are float; every per-row sum (log-sum-exp, entropy, KL, the Gaussian's
 * sums over components) is carried in double and rounded once at the end. A row's result
 * depends only on that row. Sampling draws from the row's own stream: one ppo_rng_uniform per
 * categorical row, one ppo_rng_normal per Gaussian component, in component order.
 *
 * The multi-categorical distribution (independent categorical components over consecutive
 * slices of the logits) sums the components' log-probabilities, entropies and KLs in double and
 * rounds once per row; sampling draws one ppo_rng_uniform per component, in component order.
 *
 * Left out: masking of invalid actions, squashed (tanh) Gaussians. Nothing here allocates.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include <ppofw/dist.h>

#define HALF_LOG_2PI 0.91893853320467274178

/* ---- categorical ---- */

/* Rows with at most this many actions keep their exp(l_k - max) in a stack array, so each is
 * computed once per call; longer rows compute them again where needed (the same values). */
#define CAT_CACHE 64

/* max of a row of logits (NaN only when every entry is NaN) and s = sum_k exp(l_k - max); with
 * e not NULL, e[k] = exp(l_k - max) */
static double row_lse(uint32_t n, const float *l, double *max_out, double *e)
{
    double m = l[0];
    for (uint32_t k = 1; k < n; k++)
        if (l[k] > m || m != m)
            m = l[k];
    double s = 0.0;
    for (uint32_t k = 0; k < n; k++) {
        /* exp(0) is exactly 1: a finite maximum's term needs no call */
        const double ek = (double)l[k] == m && isfinite(m) ? 1.0 : exp((double)l[k] - m);
        if (e != NULL)
            e[k] = ek;
        s += ek;
    }
    *max_out = m;
    return s;
}

/* exp(l_k - m), from the cache when there is one */
static inline double row_exp(const double *e, const float *l, uint32_t k, double m)
{
    return e != NULL ? e[k] : exp((double)l[k] - m);
}

/* the action index a float holds, or -1 when it is not an index in [0, n) */
static inline int64_t action_index(float action, uint32_t n)
{
    if (!(action >= 0.0f && action < (float)n))
        return -1;
    return (int64_t)action;
}

void ppo_categorical_act(uint32_t B, uint32_t n, const float *logits, ppo_rng_t *const *rngs,
                         int deterministic, float *actions_out, float *logp_out)
{
    if (n == 0)
        return;
    double cache[CAT_CACHE];
    double *e = n <= CAT_CACHE ? cache : NULL;
    for (uint32_t b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * n;
        double m;
        const double s = row_lse(n, l, &m, e);
        uint32_t a = 0;
        if (deterministic) {
            /* argmax, the first one on ties */
            for (uint32_t k = 1; k < n; k++)
                if (l[k] > l[a])
                    a = k;
        } else {
            /* inverse CDF; rounding can leave u at the total, then the last possible action */
            const double u = ppo_rng_uniform(rngs[b]) * s;
            double c = 0.0;
            uint32_t last = 0;
            a = n;
            for (uint32_t k = 0; k < n; k++) {
                const double ek = row_exp(e, l, k, m);
                if (ek > 0.0)
                    last = k;
                c += ek;
                if (u < c) {
                    a = k;
                    break;
                }
            }
            if (a == n)
                a = last;
        }
        actions_out[b] = (float)a;
        if (logp_out != NULL)
            logp_out[b] = (float)((double)l[a] - m - log(s));
    }
}

void ppo_categorical_evaluate(uint32_t B, uint32_t n, const float *logits, const float *actions,
                              const float *old_logits, float *logp_out, float *entropy_out,
                              float *kl_out)
{
    if (n == 0)
        return;
    const int want_kl = old_logits != NULL && kl_out != NULL;
    double cache[CAT_CACHE], cache_old[CAT_CACHE];
    double *e = n <= CAT_CACHE ? cache : NULL, *eo = n <= CAT_CACHE ? cache_old : NULL;
    for (uint32_t b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * n;
        double m;
        const double s = row_lse(n, l, &m, e);
        const double log_s = log(s);
        if (logp_out != NULL) {
            const int64_t a = action_index(actions[b], n);
            logp_out[b] = a < 0 ? -INFINITY : (float)((double)l[a] - m - log_s);
        }
        /* H = sum_k p_k (log s - (l_k - m)); every term is >= 0 */
        if (entropy_out != NULL) {
            double h = 0.0;
            for (uint32_t k = 0; k < n; k++) {
                const double z = (double)l[k] - m;
                const double p = row_exp(e, l, k, m) / s;
                if (p > 0.0)
                    h += p * (log_s - z);
            }
            entropy_out[b] = (float)h;
        }
        /* KL(old || new) = sum_k q_k (log q_k - log p_k) */
        if (want_kl) {
            const float *lo = old_logits + (size_t)b * n;
            double mo;
            const double so = row_lse(n, lo, &mo, eo);
            const double log_so = log(so);
            double kl = 0.0;
            for (uint32_t k = 0; k < n; k++) {
                const double zo = (double)lo[k] - mo;
                const double q = row_exp(eo, lo, k, mo) / so;
                if (q > 0.0)
                    kl += q * ((zo - log_so) - ((double)l[k] - m - log_s));
            }
            kl_out[b] = (float)kl;
        }
    }
}

void ppo_categorical_backward(uint32_t B, uint32_t n, const float *logits, const float *actions,
                              const float *old_logits, const float *dlogp, const float *dentropy,
                              const float *dkl, float *dlogits_out)
{
    if (n == 0)
        return;
    const int want_kl = dkl != NULL && old_logits != NULL;
    double cache[CAT_CACHE], cache_old[CAT_CACHE];
    double *e = n <= CAT_CACHE ? cache : NULL, *eo = n <= CAT_CACHE ? cache_old : NULL;
    for (uint32_t b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * n;
        const float *lo = want_kl ? old_logits + (size_t)b * n : NULL;
        float *d = dlogits_out + (size_t)b * n;
        double m;
        const double s = row_lse(n, l, &m, e);
        const double log_s = log(s);
        const double gl = dlogp != NULL ? dlogp[b] : 0.0;
        const double gh = dentropy != NULL ? dentropy[b] : 0.0;
        const double gk = want_kl ? dkl[b] : 0.0;

        /* the entropy is needed by its own derivative */
        double h = 0.0;
        if (gh != 0.0)
            for (uint32_t k = 0; k < n; k++) {
                const double z = (double)l[k] - m;
                const double p = row_exp(e, l, k, m) / s;
                if (p > 0.0)
                    h += p * (log_s - z);
            }
        double mo = 0.0, so = 1.0;
        if (gk != 0.0)
            so = row_lse(n, lo, &mo, eo);
        const int64_t a = gl != 0.0 ? action_index(actions[b], n) : -1;

        /* d logp_a/dl_k = [k==a] - p_k; dH/dl_k = -p_k (log p_k + H); dKL/dl_k = p_k - q_k */
        for (uint32_t k = 0; k < n; k++) {
            const double z = (double)l[k] - m;
            const double p = row_exp(e, l, k, m) / s;
            double g = 0.0;
            if (a >= 0)
                g += gl * (((int64_t)k == a ? 1.0 : 0.0) - p);
            if (gh != 0.0 && p > 0.0)
                g -= gh * p * ((z - log_s) + h);
            if (gk != 0.0)
                g += gk * (p - row_exp(eo, lo, k, mo) / so);
            d[k] = (float)g;
        }
    }
}

/* ---- multi-categorical ---- */

/* One component of a row: sample (or the mode) into *a and return its log-probability. */
static double component_act(uint32_t n, const float *l, ppo_rng_t *rng, int deterministic,
                            double *e, uint32_t *a_out)
{
    double m;
    const double s = row_lse(n, l, &m, e);
    uint32_t a = 0;
    if (deterministic) {
        for (uint32_t k = 1; k < n; k++)
            if (l[k] > l[a])
                a = k;
    } else {
        const double u = ppo_rng_uniform(rng) * s;
        double c = 0.0;
        uint32_t last = 0;
        a = n;
        for (uint32_t k = 0; k < n; k++) {
            const double ek = row_exp(e, l, k, m);
            if (ek > 0.0)
                last = k;
            c += ek;
            if (u < c) {
                a = k;
                break;
            }
        }
        if (a == n)
            a = last;
    }
    *a_out = a;
    return (double)l[a] - m - log(s);
}

void ppo_multi_categorical_act(uint32_t B, uint32_t n_comp, const uint32_t *nvec,
                               const float *logits, ppo_rng_t *const *rngs, int deterministic,
                               float *actions_out, float *logp_out)
{
    uint32_t P = 0;
    for (uint32_t c = 0; c < n_comp; c++)
        P += nvec[c];
    double cache[CAT_CACHE];
    for (uint32_t b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * P;
        double lp = 0.0;
        for (uint32_t c = 0; c < n_comp; c++) {
            uint32_t a;
            lp += component_act(nvec[c], l, rngs != NULL ? rngs[b] : NULL, deterministic,
                                nvec[c] <= CAT_CACHE ? cache : NULL, &a);
            actions_out[(size_t)b * n_comp + c] = (float)a;
            l += nvec[c];
        }
        if (logp_out != NULL)
            logp_out[b] = (float)lp;
    }
}

void ppo_multi_categorical_evaluate(uint32_t B, uint32_t n_comp, const uint32_t *nvec,
                                    const float *logits, const float *actions,
                                    const float *old_logits, float *logp_out, float *entropy_out,
                                    float *kl_out)
{
    uint32_t P = 0;
    for (uint32_t c = 0; c < n_comp; c++)
        P += nvec[c];
    const int want_kl = old_logits != NULL && kl_out != NULL;
    double cache[CAT_CACHE], cache_old[CAT_CACHE];
    for (uint32_t b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * P;
        const float *lo = want_kl ? old_logits + (size_t)b * P : NULL;
        double lp = 0.0, h = 0.0, kl = 0.0;
        for (uint32_t c = 0; c < n_comp; c++) {
            const uint32_t n = nvec[c];
            double *e = n <= CAT_CACHE ? cache : NULL, *eo = n <= CAT_CACHE ? cache_old : NULL;
            double m;
            const double s = row_lse(n, l, &m, e);
            const double log_s = log(s);
            if (logp_out != NULL) {
                const int64_t a = action_index(actions[(size_t)b * n_comp + c], n);
                lp += a < 0 ? -INFINITY : (double)l[a] - m - log_s;
            }
            if (entropy_out != NULL)
                for (uint32_t k = 0; k < n; k++) {
                    const double p = row_exp(e, l, k, m) / s;
                    if (p > 0.0)
                        h += p * (log_s - ((double)l[k] - m));
                }
            if (want_kl) {
                double mo;
                const double so = row_lse(n, lo, &mo, eo);
                const double log_so = log(so);
                for (uint32_t k = 0; k < n; k++) {
                    const double q = row_exp(eo, lo, k, mo) / so;
                    if (q > 0.0)
                        kl += q * (((double)lo[k] - mo - log_so) - ((double)l[k] - m - log_s));
                }
                lo += n;
            }
            l += n;
        }
        if (logp_out != NULL)
            logp_out[b] = (float)lp;
        if (entropy_out != NULL)
            entropy_out[b] = (float)h;
        if (want_kl)
            kl_out[b] = (float)kl;
    }
}

void ppo_multi_categorical_backward(uint32_t B, uint32_t n_comp, const uint32_t *nvec,
                                    const float *logits, const float *actions,
                                    const float *old_logits, const float *dlogp,
                                    const float *dentropy, const float *dkl, float *dlogits_out)
{
    uint32_t P = 0;
    for (uint32_t c = 0; c < n_comp; c++)
        P += nvec[c];
    const int want_kl = dkl != NULL && old_logits != NULL;
    double cache[CAT_CACHE], cache_old[CAT_CACHE];
    for (uint32_t b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * P;
        const float *lo = want_kl ? old_logits + (size_t)b * P : NULL;
        float *d = dlogits_out + (size_t)b * P;
        const double gl = dlogp != NULL ? dlogp[b] : 0.0;
        const double gh = dentropy != NULL ? dentropy[b] : 0.0;
        const double gk = want_kl ? dkl[b] : 0.0;
        for (uint32_t c = 0; c < n_comp; c++) {
            const uint32_t n = nvec[c];
            double *e = n <= CAT_CACHE ? cache : NULL, *eo = n <= CAT_CACHE ? cache_old : NULL;
            double m;
            const double s = row_lse(n, l, &m, e);
            const double log_s = log(s);
            /* each component's terms depend on its own logits alone */
            double h = 0.0;
            if (gh != 0.0)
                for (uint32_t k = 0; k < n; k++) {
                    const double p = row_exp(e, l, k, m) / s;
                    if (p > 0.0)
                        h += p * (log_s - ((double)l[k] - m));
                }
            double mo = 0.0, so = 1.0;
            if (gk != 0.0)
                so = row_lse(n, lo, &mo, eo);
            const int64_t a =
                gl != 0.0 ? action_index(actions[(size_t)b * n_comp + c], n) : -1;
            for (uint32_t k = 0; k < n; k++) {
                const double z = (double)l[k] - m;
                const double p = row_exp(e, l, k, m) / s;
                double g = 0.0;
                if (a >= 0)
                    g += gl * (((int64_t)k == a ? 1.0 : 0.0) - p);
                if (gh != 0.0 && p > 0.0)
                    g -= gh * p * ((z - log_s) + h);
                if (gk != 0.0)
                    g += gk * (p - row_exp(eo, lo, k, mo) / so);
                d[k] = (float)g;
            }
            l += n;
            d += n;
            if (lo != NULL)
                lo += n;
        }
    }
}

/* ---- diagonal Gaussian ---- */

/* log N(x; mean, exp(log_std)) summed over the A components of one row */
static double gaussian_row_logp(uint32_t A, const float *dist, const float *x)
{
    double lp = 0.0;
    for (uint32_t i = 0; i < A; i++) {
        const double ls = dist[A + i];
        const double z = ((double)x[i] - (double)dist[i]) * exp(-ls);
        lp += -0.5 * z * z - ls - HALF_LOG_2PI;
    }
    return lp;
}

void ppo_gaussian_act(uint32_t B, uint32_t A, const float *dist, ppo_rng_t *const *rngs,
                      int deterministic, float *actions_out, float *logp_out)
{
    for (uint32_t b = 0; b < B; b++) {
        const float *row = dist + (size_t)b * 2 * A;
        float *x = actions_out + (size_t)b * A;
        for (uint32_t i = 0; i < A; i++)
            x[i] =
                deterministic
                    ? row[i]
                    : (float)((double)row[i] + exp((double)row[A + i]) * ppo_rng_normal(rngs[b]));
        /* the log-probability of the stored (float) action, as evaluate will see it */
        if (logp_out != NULL)
            logp_out[b] = (float)gaussian_row_logp(A, row, x);
    }
}

void ppo_gaussian_evaluate(uint32_t B, uint32_t A, const float *dist, const float *actions,
                           const float *old_dist, float *logp_out, float *entropy_out,
                           float *kl_out)
{
    const int want_kl = old_dist != NULL && kl_out != NULL;
    for (uint32_t b = 0; b < B; b++) {
        const float *row = dist + (size_t)b * 2 * A;
        if (logp_out != NULL)
            logp_out[b] = (float)gaussian_row_logp(A, row, actions + (size_t)b * A);
        if (entropy_out != NULL) {
            double h = 0.0;
            for (uint32_t i = 0; i < A; i++)
                h += 0.5 + HALF_LOG_2PI + (double)row[A + i];
            entropy_out[b] = (float)h;
        }
        /* per component: log(sn/so) + (so^2 + (mo - mn)^2) / (2 sn^2) - 1/2 */
        if (want_kl) {
            const float *old = old_dist + (size_t)b * 2 * A;
            double kl = 0.0;
            for (uint32_t i = 0; i < A; i++) {
                const double ln = row[A + i], lo = old[A + i];
                const double dm = (double)old[i] - (double)row[i];
                kl += (ln - lo) + 0.5 * (exp(2.0 * (lo - ln)) + dm * dm * exp(-2.0 * ln)) - 0.5;
            }
            kl_out[b] = (float)kl;
        }
    }
}

void ppo_gaussian_backward(uint32_t B, uint32_t A, const float *dist, const float *actions,
                           const float *old_dist, const float *dlogp, const float *dentropy,
                           const float *dkl, float *ddist_out)
{
    const int want_kl = dkl != NULL && old_dist != NULL;
    for (uint32_t b = 0; b < B; b++) {
        const float *row = dist + (size_t)b * 2 * A;
        float *d = ddist_out + (size_t)b * 2 * A;
        const double gl = dlogp != NULL ? dlogp[b] : 0.0;
        const double gh = dentropy != NULL ? dentropy[b] : 0.0;
        const double gk = want_kl ? dkl[b] : 0.0;
        for (uint32_t i = 0; i < A; i++) {
            const double mn = row[i], ln = row[A + i];
            const double inv_var = exp(-2.0 * ln);
            double dmean = 0.0;
            double dls = gh;
            /* logp: d/dmean = (x - mean) / var, d/dlog_std = z^2 - 1 */
            if (gl != 0.0) {
                const double diff = (double)actions[(size_t)b * A + i] - mn;
                dmean += gl * diff * inv_var;
                dls += gl * (diff * diff * inv_var - 1.0);
            }
            /* KL: d/dmean = (mn - mo) / var_n, d/dlog_std_n = 1 - (var_o + (mo - mn)^2) / var_n */
            if (gk != 0.0) {
                const double mo = old_dist[(size_t)b * 2 * A + i];
                const double lo = old_dist[(size_t)b * 2 * A + A + i];
                const double dm = mo - mn;
                dmean += gk * (mn - mo) * inv_var;
                dls += gk * (1.0 - (exp(2.0 * lo) + dm * dm) * inv_var);
            }
            d[i] = (float)dmean;
            d[A + i] = (float)dls;
        }
    }
}

void ppo_gaussian_head_forward(uint32_t B, uint32_t A, const float *mean, const float *log_std,
                               float *dist_out)
{
    for (uint32_t b = 0; b < B; b++) {
        float *row = dist_out + (size_t)b * 2 * A;
        memcpy(row, mean + (size_t)b * A, (size_t)A * sizeof(float));
        memcpy(row + A, log_std, (size_t)A * sizeof(float));
    }
}

void ppo_gaussian_head_backward(uint32_t B, uint32_t A, const float *ddist, float *dmean_out,
                                float *dlog_std)
{
    if (dmean_out != NULL)
        for (uint32_t b = 0; b < B; b++)
            memcpy(dmean_out + (size_t)b * A, ddist + (size_t)b * 2 * A, (size_t)A * sizeof(float));
    if (dlog_std != NULL) {
        for (uint32_t i = 0; i < A; i++) {
            double sum = 0.0;
            for (uint32_t b = 0; b < B; b++)
                sum += ddist[(size_t)b * 2 * A + A + i];
            dlog_std[i] += (float)sum;
        }
    }
}
