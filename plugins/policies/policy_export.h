/* policy_export — the pieces of an export_c file (PPO_EXPORT_CONTRACT in <ppofw/policy.h>) that
 * every policy plugin of this tree writes the same way: the opening comment and macros, the
 * observation's loading (uint8 scaling, the core's normalization), weight arrays, the Linear and
 * activation helpers (ppofw's small-batch order and tanh), and the action from the head's outputs
 * (first largest logit, the mean, or each component's mode). A plugin writes its network's body
 * between pe_act_begin and pe_act_end.
 *
 * Compiled into each plugin (policy_export.c), hidden like policy_common. Left out: networks,
 * recurrent state.
 */
#ifndef PPOFW_POLICY_EXPORT_H
#define PPOFW_POLICY_EXPORT_H

#include <stdio.h>

#include <ppofw/ppofw.h>

/* What the file computes, beyond the network. */
typedef struct pe_spec {
    const char *policy;     /* "mlp", "cnn": named in the file's comment */
    uint32_t D;             /* observation elements */
    int obs_u8;             /* the env writes bytes: the file takes `const unsigned char *obs` */
    const double *obs_low;  /* (D) bounds of a uint8 space (its scaling); else unused */
    const double *obs_high; /* (D) */
    ppo_space_kind_t act;   /* PPO_SPACE_DISCRETE, _BOX or _MULTI_DISCRETE */
    uint32_t n_out;         /* the head layer's outputs: n, A, or the sum of nvec */
    uint32_t A;             /* action components: 1, A, or the number of components */
    const uint32_t *nvec;   /* multi-discrete: (A) */
    const ppo_obs_norm_t *norm; /* the core's normalization, or NULL when off */
} pe_spec_t;

/* Check the normalizer against D and drop it when it is off (spec->norm becomes NULL); 0, or -1
 * after host->error. */
int pe_check(const ppo_host_t *host, pe_spec_t *spec);

/* The opening comment (`network` is one line describing the layers), <math.h> and the macros. */
void pe_preamble(FILE *out, const pe_spec_t *spec, const char *network);

/* The observation constants: the normalizer's mean and var, a uint8 space's bounds when they
 * differ between elements. */
void pe_obs_constants(FILE *out, const pe_spec_t *spec);

/* One `static const float NAME[rows * cols]`; 0, or -1 when a value is not finite (nothing
 * meaningful is written then: the caller fails the export). */
int pe_array(FILE *out, const char *name, const float *v, uint32_t rows, uint32_t cols);

/* ppo_policy_linear (and ppo_policy_activate, relu or ppofw's tanh, when `activate`). */
void pe_helpers(FILE *out, int relu, int activate);

/* The act function's opening: its signature for the action kind, `float buf0[n], buf1[n]` and
 * the observation loaded (scaled, normalized) into buf0. */
void pe_act_begin(FILE *out, const pe_spec_t *spec, uint32_t buf_floats);

/* The action from the head's outputs in `result` (a buffer's name), and the closing brace. */
void pe_act_end(FILE *out, const pe_spec_t *spec, const char *result);

/* 0, or -1 after host->error when writing failed. */
int pe_finish(FILE *out, const ppo_host_t *host);

/* The message for a non-finite parameter; always -1. */
int pe_not_finite(const ppo_host_t *host);

#endif /* PPOFW_POLICY_EXPORT_H */
