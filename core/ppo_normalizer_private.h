/* ppofw core — running mean and variance (VecNormalize's RunningMeanStd), in float64.
 *
 * A batch's moments are computed in two passes and merged into the running moments with the
 * parallel formula (Chan et al.), so merging two halves equals one pass over the whole. Like
 * Stable-Baselines3, the statistics start at mean 0, variance 1 and a count of 1e-4. Updates
 * allocate nothing.
 */
#ifndef PPO_NORMALIZER_PRIVATE_H
#define PPO_NORMALIZER_PRIVATE_H

#include <stdint.h>

#include "ppo_error_private.h"

typedef struct ppo_rms {
    uint32_t dim;      /* components */
    double count;      /* samples seen (starts at 1e-4) */
    double *mean;      /* (dim) */
    double *var;       /* (dim) population variance */
    double *scratch;   /* (2 * dim) batch moments */
} ppo_rms_t;

/* Set up for `dim` components (mean 0, var 1, count 1e-4). Free with ppo_rms_clear. */
PPO_INTERNAL void ppo_rms_init(ppo_rms_t *rms, uint32_t dim);
PPO_INTERNAL void ppo_rms_clear(ppo_rms_t *rms);

/* Merge n rows of x (n, dim) as floats, rows `stride` floats apart. */
PPO_INTERNAL void ppo_rms_update(ppo_rms_t *rms, const float *x, uint32_t n, uint32_t stride);

/* Merge n values of a 1-component statistic given as doubles. */
PPO_INTERNAL void ppo_rms_update_scalar(ppo_rms_t *rms, const double *x, uint32_t n);

/* Merge moments (count, mean (dim), population var (dim)) of another sample. */
PPO_INTERNAL void ppo_rms_merge(ppo_rms_t *rms, double count, const double *mean,
                                const double *var);

/* x (n, dim) = clip((x - mean) / sqrt(var + eps), -clip, clip) in place. */
PPO_INTERNAL void ppo_rms_normalize(const ppo_rms_t *rms, float *x, uint32_t n, double eps,
                                    double clip);

#endif /* PPO_NORMALIZER_PRIVATE_H */
