/* mlp_export — export_c of the mlp policy: one dependency-free C99 file that computes the
 * deterministic action from a raw observation, written with the shared pieces of cwriter.h.
 *
 * The file holds the weights of the policy branch (hidden layers and head) as static const float
 * arrays, the observation normalization the core applied in training (when enabled), and a
 * function ppo_policy_act: the index of the first largest logit for discrete actions, each
 * component's for multi-discrete ones, the Gaussian's mean for box actions (unclipped). A uint8
 * observation is scaled as the core scales it before the normalization.
 *
 * Left out: the value branch, sampling, and any allocation or global state in the output.
 */
#include <stdio.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

#include "cwriter.h"
#include "mlp_export.h"

int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_obs_norm_t *norm,
                     const ppo_space_t *obs, const net_dist_t *dist, int relu, uint32_t n_layers,
                     const uint32_t *widths, const float *const *weights,
                     const float *const *biases)
{
    cw_file_t f;
    if (cw_begin(&f, out, host, norm, obs, dist, 0) != 0)
        return -1;

    /* the opening comment: the network */
    fprintf(out, "/* ppo_policy: the deterministic action of a ppofw mlp policy, as C99.\n *\n");
    fprintf(out, " * Network: %u observations", widths[0]);
    for (uint32_t k = 1; k < n_layers; k++)
        fprintf(out, " -> %u (%s)", widths[k], relu ? "relu" : "tanh");
    fprintf(out, " -> %u %s.\n", widths[n_layers],
            dist->kind == NET_DIST_GAUSSIAN ? "means" : "logits");
    cw_about(&f);

    /* the constants: "pi_K" for hidden layer K, "pi_head" for the last layer */
    char(*names)[16] = NULL;
    const char **name_ptrs = NULL;
    int rc = -1;
    names = calloc(n_layers, sizeof(*names));
    name_ptrs = calloc(n_layers, sizeof(*name_ptrs));
    if (names == NULL || name_ptrs == NULL) {
        host->error(host, "out of memory exporting the policy");
        goto out_free;
    }
    for (uint32_t k = 0; k < n_layers; k++) {
        char name[64];
        if (k + 1 < n_layers)
            snprintf(names[k], sizeof(names[k]), "pi_%u", k);
        else
            snprintf(names[k], sizeof(names[k]), "pi_head");
        name_ptrs[k] = names[k];
        snprintf(name, sizeof(name), "ppo_policy_%s_weight", names[k]);
        if (cw_array(&f, name, weights[k], widths[k + 1], widths[k]) != 0)
            goto out_free;
        snprintf(name, sizeof(name), "ppo_policy_%s_bias", names[k]);
        if (cw_array(&f, name, biases[k], widths[k + 1], 1) != 0)
            goto out_free;
    }
    cw_constants(&f);

    /* the code: the layers alternate between two buffers; all but the head are activated */
    cw_helpers(&f, n_layers > 1, relu, 0);
    cw_act_open(&f);
    uint32_t width = 0;
    for (uint32_t k = 0; k <= n_layers; k++)
        width = widths[k] > width ? widths[k] : width;
    fprintf(out, "    float buf0[%u], buf1[%u];\n", width, width);
    cw_obs(&f, "buf0");
    static const char *const bufs[2] = {"buf0", "buf1"};
    int next = 1;
    const char *y = cw_chain(&f, n_layers, name_ptrs, widths, "buf0", 0, bufs, &next);
    rc = cw_act_close(&f, y);
out_free:
    free(names);
    free(name_ptrs);
    return rc;
}
