/* mlp_export — the C99 writer of the mlp policy's export_c (plugins/policies/mlp_export.c).
 *
 * Private to the mlp plugin: the two files of the plugin share this declaration.
 */
#ifndef MLP_EXPORT_H
#define MLP_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include <ppofw/ppofw.h>

/* What the exported function takes and returns. */
typedef enum mlp_export_action {
    MLP_EXPORT_BOX = 0,            /* the Gaussian's mean, ACT_DIM doubles */
    MLP_EXPORT_DISCRETE = 1,       /* the first largest logit, an int */
    MLP_EXPORT_MULTI_DISCRETE = 2, /* each component's first largest logit, ACT_DIM ints */
} mlp_export_action_t;

typedef struct mlp_export_io {
    mlp_export_action_t action;
    uint32_t n_comp;           /* multi-discrete: components */
    const uint32_t *nvec;      /* multi-discrete: (n_comp) choices per component */
    int obs_u8;                /* 1: the observation is D bytes, scaled with obs_low/obs_high */
    const double *obs_low;     /* uint8: (D) the observation space's bounds */
    const double *obs_high;
} mlp_export_io_t;

/* Write the C file for a chain of n_layers Linear layers (the hidden ones, then the head):
 * widths (n_layers + 1) are the input size then each layer's output size, weights and biases
 * (n_layers) point into the parameters. 0, or -1 after host->error. */
int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_obs_norm_t *norm,
                     const mlp_export_io_t *io, int relu, uint32_t n_layers,
                     const uint32_t *widths, const float *const *weights,
                     const float *const *biases);

#endif /* MLP_EXPORT_H */
