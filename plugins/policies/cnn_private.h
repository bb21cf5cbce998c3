/* cnn_private — the cnn policy's instance, shared by cnn.c (the policy) and cnn_export.c (its
 * export_c writer); both build on libpolicynet (net.h). Left out: the workspace (cnn.c's alone).
 */
#ifndef PPOFW_CNN_PRIVATE_H
#define PPOFW_CNN_PRIVATE_H

#include <stdio.h>

#include <ppofw/ppofw.h>

#include "net.h"

/* One conv layer: its geometry and where its parameters are. */
typedef struct cnn_conv {
    ppo_conv_shape_t shape; /* checked: input (C, H, W), O filters, output (O, Ho, Wo) */
    uint32_t in_size;       /* C H W */
    uint32_t out_size;      /* O Ho Wo */
    uint32_t weight;        /* segment index of W (O, C KH KW); the bias (O) is the next */
} cnn_conv_t;

/* The layers of one trunk. */
typedef struct cnn_trunk {
    cnn_conv_t *conv;   /* (n_conv) */
    net_layer_t *dense; /* (n_dense) */
} cnn_trunk_t;

/* One policy instance. Read-only after create and bind. */
typedef struct cnn {
    const ppo_host_t *host;       /* host services, valid until destroy */
    uint32_t D;                   /* observation elements, C H W */
    uint32_t C, H, W;             /* the observation image */
    const ppo_space_t *obs_space; /* the spaces (setup's, valid until destroy), for export_c */
    const ppo_space_t *act_space;
    net_dist_t dist;             /* the action distribution and its head */
    ppo_activation_t activation; /* after every conv and dense layer */
    int share;                   /* 1: one trunk feeds both heads */
    uint32_t n_conv;             /* conv layers per trunk (>= 1) */
    uint32_t n_dense;            /* dense layers per trunk */
    uint32_t n_trunks;           /* 1 (shared) or 2 (trunk 1 is the value function's) */
    cnn_trunk_t trunk[2];        /* trunk 0: the policy's (the shared one); 1: the value's */
    uint32_t latent;             /* width of a trunk's output */
    net_layer_t pi_head;         /* latent -> the head's n_out */
    net_layer_t vf_head;         /* latent -> 1 */
    uint32_t log_std;            /* segment index of log_std, or UINT32_MAX */
    uint32_t max_width;          /* widest layer output or head, floats per row */
    size_t conv_ws;              /* floats of the conv helpers' workspace, the largest layer's */
    net_table_t table;           /* the segment table */
    const float *params;         /* the bound array (the core's), or NULL before bind */
} cnn_t;

/* export_c: the deterministic policy as one C99 file (cnn_export.c). 0, or -1 after
 * host->error. */
int cnn_export_write(const cnn_t *m, const float *params, const ppo_obs_norm_t *norm, FILE *out);

#endif /* PPOFW_CNN_PRIVATE_H */
