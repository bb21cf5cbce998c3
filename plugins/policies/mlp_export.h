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

/* Write the C file for the policy branch of `pol` (its spaces and observation normalization):
 * the hidden layers pi (n_pi, each activated with `act`) then the head, their parameters in
 * params as the table t lays them out. 0, or -1 after host->error. */
int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_codegen_policy_t *pol,
                     ppo_activation_t act, const net_table_t *t, const float *params,
                     const net_layer_t *pi, uint32_t n_pi, const net_layer_t *head);

#endif /* MLP_EXPORT_H */
