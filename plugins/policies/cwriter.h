/* cwriter — writing the C99 file of a policy's export_c (policy.h's PPO_EXPORT_CONTRACT), shared
 * by the shipped policy plugins (compiled into each with net.h, hidden).
 *
 * A plugin writes its file in this order: cw_begin (checks), its own opening comment lines,
 * cw_about (the rest of the comment, the include and the macros), its weights with cw_array, the
 * normalization constants with cw_constants, the helpers it needs with cw_helpers, then the act
 * function: cw_act_open, cw_obs (the observation, scaled and normalized, into a float buffer),
 * its layers (cw_chain for dense ones), cw_act_close (the action from the head's output).
 *
 * The helpers repeat ppo_tanh (core/ppo_nn.c) operation for operation with the same constants,
 * and a sum order close to ppo_linear_forward's small path, so the file computes what the plugin
 * computes to float rounding (bit for bit where neither uses fused multiply-adds). The
 * normalization is the core's formula; a uint8 element is scaled as the core does before
 * handing rows to a policy.
 *
 * Left out: anything the deterministic action does not need (values, sampling).
 */
#ifndef PPO_PLUGINS_POLICIES_CWRITER_H
#define PPO_PLUGINS_POLICIES_CWRITER_H

#include <stdio.h>

#include <ppofw/ppofw.h>

#include "net.h"

/* What every part of one file needs to know. */
typedef struct cw_file {
    FILE *out;                  /* the file being written */
    const ppo_host_t *host;     /* for errors */
    const ppo_obs_norm_t *norm; /* the normalization, or NULL when off */
    const ppo_space_t *obs;     /* the observation space (dim, dtype, bounds) */
    const net_dist_t *dist;     /* the action distribution */
    uint32_t state_size;        /* S of a recurrent policy, 0 otherwise */
} cw_file_t;

/* Start a file: check that the normalizer (NULL or disabled: none) fits the observations and that
 * a uint8 space has finite bounds with low < high. 0, or -1 after host->error. */
int cw_begin(cw_file_t *f, FILE *out, const ppo_host_t *host, const ppo_obs_norm_t *norm,
             const ppo_space_t *obs, const net_dist_t *dist, uint32_t state_size);

/* The end of the opening comment (what the action is, the observation's scaling and
 * normalization, the state of a recurrent policy, the arithmetic), #include <math.h> and the
 * contract's macros. The caller has opened the comment with "/" "* ppo_policy: ..." lines. */
void cw_about(const cw_file_t *f);

/* One static const float array `name` of rows x cols; 0, or -1 after host->error when a value is
 * not finite. */
int cw_array(const cw_file_t *f, const char *name, const float *v, uint32_t rows, uint32_t cols);

/* The normalization's means and variances and a uint8 space's bounds, as needed. */
void cw_constants(const cw_file_t *f);

/* The helper functions: ppo_policy_linear always; ppo_policy_activate (tanh or relu) when
 * `activation` is set; ppo_policy_tanh1 and ppo_policy_sigmoid1 (0.5 tanh(x/2) + 0.5) when `cell`
 * is set (an LSTM's gates). */
void cw_helpers(const cw_file_t *f, int activation, int relu, int cell);

/* The prototypes and the opening of ppo_policy_act, declaring `int i;`. */
void cw_act_open(const cw_file_t *f);

/* Code that fills the float buffer `buf` (of at least D) with the observation as the policy saw
 * it in training. */
void cw_obs(const cw_file_t *f, const char *buf);

/* Code for a chain of n Linear layers: layer k's arrays are ppo_policy_<names[k]>_weight and
 * _bias, widths (n + 1) are the input size then each output size; the chain reads the C
 * expression `in` and writes into bufs[*next], bufs[1 - *next], ... alternately, flipping *next
 * each layer; every layer but the last is activated, the last too when activate_last. Returns
 * the C expression of the output (`in` when n is 0). */
const char *cw_chain(const cw_file_t *f, uint32_t n, const char *const *names,
                     const uint32_t *widths, const char *in, int activate_last,
                     const char *const bufs[2], int *next);

/* The action from the head's output `y` and the end of ppo_policy_act. 0, or -1 after host->error
 * when writing failed. */
int cw_act_close(const cw_file_t *f, const char *y);

#endif /* PPO_PLUGINS_POLICIES_CWRITER_H */
