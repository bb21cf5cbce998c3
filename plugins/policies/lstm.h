/* lstm — the recurrent policy plugin's instance and workspace, shared by lstm.c (the network)
 * and lstm_export.c (its export_c). Private to the plugin. */
#ifndef PPO_PLUGINS_POLICIES_LSTM_H
#define PPO_PLUGINS_POLICIES_LSTM_H

#include <stdint.h>
#include <stdio.h>

#include <ppofw/ppofw.h>

#include "net.h"

#define LSTM_MAX_WIDTH 65536.0    /* largest layer width the schema accepts */
#define LSTM_MAX_LAYERS 16.0      /* most stacked LSTM layers the schema accepts */
#define LSTM_MAX_STATE (1u << 20) /* most state floats per env (policy.h) */
#define LSTM_NO_SEGMENT UINT32_MAX

/* What the value head reads (the `critic` parameter's choices, in order). */
typedef enum lstm_critic {
    LSTM_CRITIC_SEPARATE = 0, /* its own LSTM stack on the encoder's output */
    LSTM_CRITIC_SHARED = 1,   /* the actor's LSTM stack */
    LSTM_CRITIC_MLP = 2,      /* the encoder's output, no memory */
} lstm_critic_t;

/* A stack of LSTM layers (H hidden each). */
typedef struct lstm_stack {
    uint32_t n;         /* layers; 0 for the critic's stack unless separate */
    uint32_t in;        /* input features of layer 0 (E); later layers read H */
    uint32_t seg;       /* segment of layer 0's weight_ih; layer k's weight_ih, weight_hh,
                           bias_ih, bias_hh are segments seg + 4k .. seg + 4k + 3 */
    uint32_t state_off; /* first float of layer 0's (h, c) in a state row; layer k's is
                           state_off + 2Hk */
} lstm_stack_t;

/* One policy instance. Read-only after create and bind. */
typedef struct lstm {
    const ppo_host_t *host;      /* host services, valid until destroy */
    const ppo_space_t *obs;      /* observation space (the core's, valid until destroy) */
    const ppo_space_t *act;      /* action space (the core's, valid until destroy) */
    uint32_t D;                  /* observation size */
    net_dist_t dist;             /* the action distribution */
    ppo_activation_t activation; /* of every dense hidden layer */
    lstm_critic_t critic;        /* what the value head reads */
    uint32_t H;                  /* hidden units per LSTM layer */
    uint32_t n_layers;           /* LSTM layers per stack */
    uint32_t S;                  /* state floats per env */
    uint32_t E;                  /* encoder output width (D without an encoder) */
    uint32_t n_enc;              /* encoder layers */
    uint32_t n_pi;               /* dense layers of the policy branch */
    uint32_t n_vf;               /* dense layers of the value branch */
    net_layer_t *enc;            /* (n_enc) */
    net_layer_t *pi;             /* (n_pi) */
    net_layer_t *vf;             /* (n_vf) */
    net_layer_t pi_head;         /* -> logits or means */
    net_layer_t vf_head;         /* -> value */
    lstm_stack_t actor;          /* the actor's LSTM stack (shared with the critic when shared) */
    lstm_stack_t vf_stack;       /* the critic's (separate only) */
    uint32_t log_std;            /* segment of log_std (Gaussian), or LSTM_NO_SEGMENT */
    uint32_t max_width;          /* widest layer input or output (at least D and H) */
    net_table_t table;           /* the segment table */
    const float *params;         /* the bound array (the core's), or NULL before bind */
} lstm_t;

/* Everything one call writes, for up to max_batch rows; one aligned block backs the floats.
 * Arrays indexed [s] are per stack: 0 the actor's, 1 the critic's. */
typedef struct lstm_ws {
    uint32_t max_batch; /* rows a call may have (n_seq L for evaluate) */
    uint32_t n_seq;     /* sequences of the last evaluate(); 0 when backward has nothing */
    uint32_t L;         /* their steps */
    int has_old;        /* the last evaluate() had old_dist */
    float **ptrs;       /* the pointer arrays below, one allocation */
    float **enc_h;      /* (n_enc) each (B, width): encoder layer outputs */
    float **pi_h;       /* (n_pi) each (B, width) */
    float **vf_h;       /* (n_vf) each (B, width) */
    float **lstm_h[2];  /* (n_layers) each (B, H): LSTM layer outputs */
    float **lstm_ws[2]; /* (n_layers) each the SDK workspace of that layer for B rows */
    float *obs;         /* (B, D) evaluate's observations */
    float *state;       /* (B, 2H) one layer's states, gathered from the state rows */
    float *mean;        /* (B, A) Gaussian means */
    float *dist;        /* (B, P) distribution parameters */
    float *value;       /* (B) values */
    float *actions;     /* (B, A) evaluate's actions */
    float *old_dist;    /* (B, P) evaluate's old distribution */
    float *ddist;       /* (B, P) d loss / d dist */
    float *dmean;       /* (B, A) d loss / d means */
    float *d0;          /* (B, max_width) scratch for the dense and LSTM stacks */
    float *d1;          /* (B, max_width) */
    float *dtop[2];     /* (B, H) d loss / d (each stack's top output) */
    float *denc;        /* (B, max_width) d loss / d (encoder output) */
    void *block;        /* the aligned allocation behind the floats */
} lstm_ws_t;

/* export_c (lstm_export.c): the deterministic policy with its state as one C99 file. */
int lstm_export_c(void *inst, const float *params, const ppo_obs_norm_t *norm, FILE *out);

#endif /* PPO_PLUGINS_POLICIES_LSTM_H */
