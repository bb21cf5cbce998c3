/* ppofw core — layer normalization for policies (include/ppofw/nn.h): forward and backward over
 * the features of each row, as PyTorch's nn.LayerNorm with an elementwise gain and bias.
 *
 * Plain loops, one row at a time: a row's result depends on that row alone, never on the other
 * rows of the call or on B. The row's mean and variance are summed in double and rounded to float
 * once (mean, and rstd = 1 / sqrt(var + eps)); every normalized value is then the float
 * (x - mean) * rstd, computed the same way in the forward and the backward pass, so the backward
 * differentiates exactly the function the forward computed. Gain and bias gradients are summed
 * over the rows in row order from zero and then added, as ppo_linear_backward does for a bias.
 *
 * Left out: normalization over other axes (batch or group norm), running statistics. Nothing
 * here allocates.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>

#include <ppofw/nn.h>

void ppo_layernorm_forward(uint32_t B, uint32_t N, const float *x, const float *gain,
                           const float *bias, float eps, float *y, float *stats_out)
{
    for (uint32_t r = 0; r < B; r++) {
        const float *xr = x + (size_t)r * N;
        float *yr = y + (size_t)r * N;
        /* the row's statistics, in double */
        double sum = 0.0;
        for (uint32_t i = 0; i < N; i++)
            sum += xr[i];
        const double mean = N > 0 ? sum / N : 0.0;
        double sq = 0.0;
        for (uint32_t i = 0; i < N; i++) {
            const double d = xr[i] - mean;
            sq += d * d;
        }
        const double var = N > 0 ? sq / N : 0.0;
        const float mf = (float)mean, rf = (float)(1.0 / sqrt(var + (double)eps));
        if (stats_out != NULL) {
            stats_out[2 * (size_t)r] = mf;
            stats_out[2 * (size_t)r + 1] = rf;
        }
        /* normalize, scale, shift */
        for (uint32_t i = 0; i < N; i++) {
            const float h = (xr[i] - mf) * rf;
            const float g = gain != NULL ? gain[i] : 1.0f;
            yr[i] = bias != NULL ? h * g + bias[i] : h * g;
        }
    }
}

/* Both backward entry points: dx overwritten, or added into when add_dx. */
static void layernorm_backward(uint32_t B, uint32_t N, const float *x, const float *gain,
                               const float *stats, const float *dy, float *dx, float *dgain,
                               float *dbias, int add_dx)
{
    /* gain and bias: sums over the rows, from zero, then added */
    for (uint32_t i = 0; i < N && (dgain != NULL || dbias != NULL); i++) {
        float sg = 0.0f, sb = 0.0f;
        for (uint32_t r = 0; r < B; r++) {
            const float d = dy[(size_t)r * N + i];
            const float h =
                (x[(size_t)r * N + i] - stats[2 * (size_t)r]) * stats[2 * (size_t)r + 1];
            sg += d * h;
            sb += d;
        }
        if (dgain != NULL)
            dgain[i] += sg;
        if (dbias != NULL)
            dbias[i] += sb;
    }
    if (dx == NULL)
        return;

    /* x: rstd * (g - mean(g) - h * mean(g h)) with g = dy * gain, row by row */
    for (uint32_t r = 0; r < B; r++) {
        const float *xr = x + (size_t)r * N, *dyr = dy + (size_t)r * N;
        const float mf = stats[2 * (size_t)r], rf = stats[2 * (size_t)r + 1];
        double sum_g = 0.0, sum_gh = 0.0;
        for (uint32_t i = 0; i < N; i++) {
            const float h = (xr[i] - mf) * rf;
            const double g = (double)dyr[i] * (gain != NULL ? gain[i] : 1.0f);
            sum_g += g;
            sum_gh += g * h;
        }
        const double mean_g = N > 0 ? sum_g / N : 0.0, mean_gh = N > 0 ? sum_gh / N : 0.0;
        float *dxr = dx + (size_t)r * N;
        for (uint32_t i = 0; i < N; i++) {
            const float h = (xr[i] - mf) * rf;
            const double g = (double)dyr[i] * (gain != NULL ? gain[i] : 1.0f);
            const float d = (float)((double)rf * (g - mean_g - h * mean_gh));
            dxr[i] = add_dx ? dxr[i] + d : d;
        }
    }
}

void ppo_layernorm_backward(uint32_t B, uint32_t N, const float *x, const float *gain,
                            const float *stats, const float *dy, float *dx, float *dgain,
                            float *dbias)
{
    layernorm_backward(B, N, x, gain, stats, dy, dx, dgain, dbias, 0);
}

void ppo_layernorm_backward_add(uint32_t B, uint32_t N, const float *x, const float *gain,
                                const float *stats, const float *dy, float *dx, float *dgain,
                                float *dbias)
{
    layernorm_backward(B, N, x, gain, stats, dy, dx, dgain, dbias, 1);
}
