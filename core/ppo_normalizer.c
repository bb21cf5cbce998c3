/* ppofw core — running mean/variance for observation and reward normalization. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_normalizer_private.h"

void ppo_rms_init(ppo_rms_t *rms, uint32_t dim)
{
    rms->dim = dim;
    rms->count = 1e-4;
    rms->mean = g_new0(double, dim);
    rms->var = g_new(double, dim);
    rms->scratch = g_new0(double, 2 * (size_t)dim);
    for (uint32_t i = 0; i < dim; i++)
        rms->var[i] = 1.0;
}

void ppo_rms_clear(ppo_rms_t *rms)
{
    g_free(rms->mean);
    g_free(rms->var);
    g_free(rms->scratch);
    memset(rms, 0, sizeof(*rms));
}

void ppo_rms_merge(ppo_rms_t *rms, double count, const double *mean, const double *var)
{
    if (count <= 0.0)
        return;
    const double tot = rms->count + count;
    for (uint32_t i = 0; i < rms->dim; i++) {
        const double delta = mean[i] - rms->mean[i];
        const double m2 = rms->var[i] * rms->count + var[i] * count +
                          delta * delta * rms->count * count / tot;
        rms->mean[i] += delta * count / tot;
        rms->var[i] = m2 / tot;
    }
    rms->count = tot;
}

void ppo_rms_update(ppo_rms_t *rms, const float *x, uint32_t n, uint32_t stride)
{
    if (n == 0)
        return;
    double *bmean = rms->scratch, *bvar = rms->scratch + rms->dim;
    for (uint32_t i = 0; i < rms->dim; i++) {
        double s = 0.0;
        for (uint32_t r = 0; r < n; r++)
            s += x[(size_t)r * stride + i];
        bmean[i] = s / n;
        double v = 0.0;
        for (uint32_t r = 0; r < n; r++) {
            const double d = x[(size_t)r * stride + i] - bmean[i];
            v += d * d;
        }
        bvar[i] = v / n;
    }
    ppo_rms_merge(rms, n, bmean, bvar);
}

void ppo_rms_update_scalar(ppo_rms_t *rms, const double *x, uint32_t n)
{
    if (n == 0)
        return;
    double s = 0.0;
    for (uint32_t r = 0; r < n; r++)
        s += x[r];
    const double mean = s / n;
    double v = 0.0;
    for (uint32_t r = 0; r < n; r++)
        v += (x[r] - mean) * (x[r] - mean);
    const double var = v / n;
    ppo_rms_merge(rms, n, &mean, &var);
}

void ppo_rms_normalize(const ppo_rms_t *rms, float *x, uint32_t n, double eps, double clip)
{
    for (uint32_t i = 0; i < rms->dim; i++) {
        const double m = rms->mean[i];
        const double inv = 1.0 / sqrt(rms->var[i] + eps);
        for (uint32_t r = 0; r < n; r++) {
            double v = ((double)x[(size_t)r * rms->dim + i] - m) * inv;
            v = v < -clip ? -clip : v > clip ? clip : v;
            x[(size_t)r * rms->dim + i] = (float)v;
        }
    }
}
