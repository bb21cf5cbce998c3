/* mlp_export — the C99 writer of the mlp policy's export_c (plugins/policies/mlp_export.c).
 *
 * Private to the mlp plugin: the two files of the plugin share this declaration.
 */
#ifndef MLP_EXPORT_H
#define MLP_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include <ppofw/ppofw.h>

#include "net.h"

/* Write the C file for a chain of n_layers Linear layers (the hidden ones, then the head) of a
 * policy for the observation space obs (its dtype and, for bytes, its bounds) and the action
 * distribution dist: widths (n_layers + 1) are the input size then each layer's output size,
 * weights and biases (n_layers) point into the parameters. 0, or -1 after host->error. */
int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_obs_norm_t *norm,
                     const ppo_space_t *obs, const net_dist_t *dist, int relu, uint32_t n_layers,
                     const uint32_t *widths, const float *const *weights,
                     const float *const *biases);

#endif /* MLP_EXPORT_H */
