/* mlp_export — the C99 writer of the mlp policy's export_c (plugins/policies/mlp_export.c).
 *
 * Private to the mlp plugin: the two files of the plugin share this declaration.
 */
#ifndef MLP_EXPORT_H
#define MLP_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include <ppofw/ppofw.h>

/* Write the C file for a chain of n_layers Linear layers (the hidden ones, each activated with
 * `act`, then the head) of the policy `pol` (its spaces and observation normalization): widths
 * (n_layers + 1) are the input size then each layer's output size, weights and biases (n_layers)
 * point into the parameters. 0, or -1 after host->error. */
int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_codegen_policy_t *pol,
                     ppo_activation_t act, uint32_t n_layers, const uint32_t *widths,
                     const float *const *weights, const float *const *biases);

#endif /* MLP_EXPORT_H */
