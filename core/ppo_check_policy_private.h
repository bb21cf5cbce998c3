/* ppofw core — what the files of the policy checker share (core/ppo_check_policy.c and the
 * batteries it runs: ppo_check_grad.c, ppo_check_workspaces.c, ppo_check_recurrent.c,
 * ppo_check_export.c).
 *
 * One pol_ctx_t is one policy instance made for one pair of spaces, bound to a copy of its
 * parameters followed by a guard of NaNs, with a random batch the batteries share. For a
 * recurrent instance (state_size() > 0) the batch is n_seq sequences of L steps, sequence-major,
 * with start states and episode-start flags, and every evaluate/backward goes through the
 * recurrent callbacks; pol_evaluate and pol_backward hide the difference.
 */
#ifndef PPO_CHECK_POLICY_PRIVATE_H
#define PPO_CHECK_POLICY_PRIVATE_H

#include <stdbool.h>

#include "ppo_check_private.h"
#include "ppo_model_private.h"
#include "ppo_space_private.h"

#define POL_GUARD 256 /* floats after the parameters and the gradients */
#define POL_N_PATHS 4 /* logp, entropy, KL, value */

extern const char *const pol_path_names[POL_N_PATHS];

typedef struct pol_ctx {
    const ppo_plugin_t *p;
    const ppo_policy_vtable_t *vt;
    const ppo_recurrent_vtable_t
        *rvt; /* the recurrent callbacks when state_size() > 0, else NULL */
    const ppo_check_policy_options_t *opt;
    ppo_check_report_t *report;
    const char *space;         /* prefixes item ids: "discrete", "box", "image-discrete", ... */
    ppo_space_t obs_space;     /* a box, rank >= 1 */
    ppo_space_t act_space;     /* discrete, box or multi-discrete */
    bool obs_u8;               /* uint8 observations: the policy sees them converted */
    ppo_obs_convert_t convert; /* the core's uint8 -> float conversion (obs_u8) */
    ppo_model_t *model;        /* the policy in the core's parameter store */
    void *inst;                /* model->inst */
    uint32_t D, A, P, B;       /* sizes; B rows per evaluate (n_seq * L when recurrent) */
    uint32_t S;                /* floats of recurrent state per env; 0 for a plain policy */
    uint32_t n_seq, L;         /* recurrent: sequences per evaluate and their length */
    uint32_t n_envs;           /* env indices the policy was made for */
    size_t n;                  /* parameters */
    float *theta;              /* (n + POL_GUARD) bound parameters, NaN guard after them */
    void *ws;                  /* the main workspace (B rows) */
    uint8_t *obs_raw;          /* (B, D) the batch's bytes when obs_u8, else NULL */
    float *obs;                /* (B, D) the batch as the policy sees it */
    uint32_t *env_index;       /* (B) */
    float *actions;            /* (B, A) sampled by act */
    float *old_dist;           /* (B, P) from act at perturbed parameters */
    float *coef[POL_N_PATHS];  /* (B) each: the loss's weights of logp, entropy, KL, value */
    float *init_state;         /* recurrent: (S) initial_state(), or zeros */
    float *start_state;        /* recurrent: (n_seq, S) the sequences' start states */
    float *starts;             /* recurrent: (B) 1 where a step starts an episode */
} pol_ctx_t;

/* The outputs of one act of `rows` rows. */
typedef struct pol_act_out {
    uint32_t rows;
    float *actions; /* (rows, A) */
    float *logp;    /* (rows) */
    float *value;   /* (rows) */
    float *dist;    /* (rows, P) */
} pol_act_out_t;

/* Add the item "<space>/<what>". */
void pol_add(pol_ctx_t *c, ppo_check_status_t status, const char *what, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* This thread's pending plugin error, or a sentence about the bare return code (transfer full). */
char *pol_take_reason(int rc);

/* A zeroed, 64-byte aligned array of n floats (free with free()), NULL when out of memory. */
float *pol_alloc_floats(size_t n);

bool pol_all_finite(const float *x, size_t n);
bool pol_close_to(double a, double b, double tol);

void pol_act_out_init(const pol_ctx_t *c, pol_act_out_t *o, uint32_t rows);
void pol_act_out_clear(pol_act_out_t *o);
bool pol_act_out_equal(const pol_ctx_t *c, const pol_act_out_t *a, const pol_act_out_t *b);

/* A new workspace for c->B rows, or NULL after the plugin's error (left pending). */
void *pol_ws_new(const pol_ctx_t *c);
void pol_ws_free(const pol_ctx_t *c, void *ws);

/* The plain act on `rows` rows with streams (seed, tag, first + b), or deterministically without
 * streams when tag is NULL. */
int pol_act(const pol_ctx_t *c, void *ws, uint32_t rows, const float *obs,
            const uint32_t *env_index, const char *tag, uint64_t first, int deterministic,
            pol_act_out_t *o);

/* The recurrent act on `rows` rows with states (rows, S), read and overwritten. */
int pol_act_rec(const pol_ctx_t *c, void *ws, uint32_t rows, const float *obs,
                const uint32_t *env_index, const char *tag, uint64_t first, int deterministic,
                float *state, pol_act_out_t *o);

/* evaluate (the recurrent one over c's sequences, start states and flags) of the c->B rows. */
int pol_evaluate(const pol_ctx_t *c, void *ws, const float *obs, const float *actions,
                 const float *old, float *out[POL_N_PATHS]);

/* backward of the last pol_evaluate on ws, adding into grad. */
int pol_backward(const pol_ctx_t *c, void *ws, const float *const d[POL_N_PATHS], float *grad);

/* The policy's per-env doubles (exploration noise), or NULL when it keeps none. */
double *pol_save_state(const pol_ctx_t *c, size_t *n);
void pol_restore_state(const pol_ctx_t *c, const double *s, size_t n);

/* The batteries. Each adds its items to c->report. */
void pol_check_backward(pol_ctx_t *c);   /* ppo_check_grad.c */
void pol_check_workspaces(pol_ctx_t *c); /* ppo_check_workspaces.c */
void pol_check_parts(pol_ctx_t *c);      /* ppo_check_workspaces.c */
bool pol_check_recurrent(pol_ctx_t *c);  /* ppo_check_recurrent.c: false stops the checks */
void pol_check_export(pol_ctx_t *c);     /* ppo_check_export.c */

#endif /* PPO_CHECK_POLICY_PRIVATE_H */
