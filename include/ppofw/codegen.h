/* ppofw — code generation for export_c (libppofw helpers, ABI 1.2).
 *
 * A policy's export_c writes one C99 file with the contract PPO_EXPORT_CONTRACT of policy.h. These
 * helpers write the pieces most exports share, as C text, to the FILE * export_c was given, so an
 * export is the policy's weights and a few calls. In the order they appear in a file:
 *
 *   ppo_codegen_preamble       the header comment, #include <math.h>, the contract's macros, and
 *                              the constants of the observation scaling and normalization
 *   ppo_codegen_floats         one weight as a static const float array
 *   ppo_codegen_linear_fn      static void ppo_policy_linear(n_in, n_out, x, w, b, y)
 *   ppo_codegen_activation_fn  static void ppo_policy_tanh(n, x) / ppo_policy_relu(n, x)
 *   ppo_codegen_layernorm_fn   static void ppo_policy_layernorm(n, x, gain, bias, eps, y)
 *   ppo_codegen_reset          recurrent policies: void ppo_policy_reset(float *state)
 *   ppo_codegen_act_begin      the contract's ppo_policy_act signature for the spaces, and "{"
 *   ppo_codegen_obs_input      the raw observation into a float buffer, as the core feeds policies
 *   ppo_codegen_dense          a Linear layer and its activation (calls of the functions above)
 *   ppo_codegen_activation     an activation in place
 *   ppo_codegen_layernorm      a layer normalization (a call of ppo_policy_layernorm)
 *   ppo_codegen_argmax         discrete head: return the index of the first largest logit
 *   ppo_codegen_gaussian_mean  box head: the action is the Gaussian's mean
 *   ppo_codegen_multi_argmax   multi-discrete head: each component's first largest logit
 *   ppo_codegen_act_end        "}"
 *
 * and ppo_codegen_header, the header `ppofw export --header` writes. A whole export of a policy
 * with one hidden layer reads:
 *
 *     ppo_codegen_policy_t pol = {sizeof(pol), 0, obs_space, act_space, norm, {NULL, NULL}};
 *     if (ppo_codegen_preamble(out, &pol, "Network: D -> 64 (tanh) -> n logits.") != 0 ||
 *         ppo_codegen_floats(out, "w0", params + off_w0, 64, D) != 0 || ... (b0, w1, b1) ||
 *         ppo_codegen_linear_fn(out) != 0 || ppo_codegen_activation_fn(out, PPO_ACTIVATION_TANH))
 *         ... host->error(host, "export_c: ..."), return -1
 *     ppo_codegen_act_begin(out, &pol);
 *     fprintf(out, "    float x[%u], h[64], logits[%u];\n", D, n);
 *     ppo_codegen_obs_input(out, &pol, "x");
 *     ppo_codegen_dense(out, D, 64, "x", "w0", "b0", "h", PPO_ACTIVATION_TANH);
 *     ppo_codegen_dense(out, 64, n, "h", "w1", "b1", "logits", PPO_ACTIVATION_IDENTITY);
 *     ppo_codegen_argmax(out, n, "logits");
 *     ppo_codegen_act_end(out);
 *
 * The generated code computes what libppofw computes, in float: ppo_policy_linear sums each output
 * as eight lane sums over the inputs (i mod 8), the lanes added pairwise, the remaining inputs, the
 * bias, which is ppo_linear_forward's small-batch result to float rounding (bit for bit only where
 * neither side contracts multiply-adds); ppo_policy_tanh is ppo_tanh operation for operation;
 * ppo_policy_layernorm is ppo_layernorm_forward's arithmetic; the observation input is the core's
 * (uint8 scaling, then the running normalization, in double). `ppofw check-policy` compiles what
 * export_c writes and compares its actions with act's.
 *
 * Names: the generated file's own functions and arrays start with ppo_policy_; name weights so
 * (ppo_codegen_floats takes the full name). Statements are written with four spaces of indent and
 * are blocks of their own ({ ... } whose own variables are named ppo_*: name yours otherwise), so
 * they can follow each other after the declarations a function needs.
 *
 * Every function returns 0, or -1 when writing to `out` failed or an argument breaks its contract
 * (said per function); an export then reports through host->error and returns < 0. All functions
 * are thread-safe and allocate nothing.
 */
#ifndef PPOFW_CODEGEN_H
#define PPOFW_CODEGEN_H

#include <stdint.h>
#include <stdio.h>

#include <ppofw/export.h>
#include <ppofw/nn.h>
#include <ppofw/plugin.h>
#include <ppofw/policy.h>

PPO_BEGIN_DECLS

/* What the generated file is for (ABI 1.2): the spaces and normalization export_c knows. */
typedef struct ppo_codegen_policy {
    uint32_t struct_size;         /* sizeof(ppo_codegen_policy_t) the plugin was built with */
    uint32_t state_size;          /* S: floats of recurrent state; 0 for a policy without memory */
    const ppo_space_t *obs_space; /* the observation box (setup->obs_space): D, dtype, bounds */
    const ppo_space_t *act_space; /* the action space (setup->act_space): kind, n, dim, nvec */
    const ppo_obs_norm_t *norm;   /* the normalization export_c was handed; NULL or disabled for
                                     none */
    void *reserved[2];            /* NULL */
} ppo_codegen_policy_t;

/* The header comment (the lines of `summary`, which may be NULL, then what the input, the output
 * and, for a recurrent policy, the state are), #include <math.h>, the macros of the contract, and
 * the constants ppo_codegen_obs_input reads (the uint8 bounds when they differ between elements,
 * the normalization's means and variances). -1 also when the spaces are not ones the contract
 * covers (an observation box, a discrete, box or multi-discrete action space) or the normalizer
 * does not fit the observations (its dim differs from D, a value is not finite, var + epsilon is
 * not positive, clip is not positive). */
PPO_API int ppo_codegen_preamble(FILE *out, const ppo_codegen_policy_t *pol, const char *summary);

/* static const float NAME[rows * cols] (or [rows] when cols is 1) holding `values`, row-major,
 * each printed so that it reads back as the same float. -1 also when a value is not finite. */
PPO_API int ppo_codegen_floats(FILE *out, const char *name, const float *values, uint32_t rows,
                               uint32_t cols);

/* static void ppo_policy_linear(int n_in, int n_out, const float *x, const float *w,
 * const float *b, float *y): y (n_out) = w (n_out, n_in) x (n_in) + b, b may be a null pointer. */
PPO_API int ppo_codegen_linear_fn(FILE *out);

/* The activation's function, in place on n floats: static void ppo_policy_tanh(int n, float *x)
 * (with its scalar helper ppo_policy_tanh1) or ppo_policy_relu(int n, float *x); nothing for the
 * identity. Write each activation a file uses once. */
PPO_API int ppo_codegen_activation_fn(FILE *out, ppo_activation_t act);

/* static void ppo_policy_layernorm(int n, const float *x, const float *gain, const float *bias,
 * float eps, float *y): ppo_layernorm_forward of one row (gain and bias may be null pointers). */
PPO_API int ppo_codegen_layernorm_fn(FILE *out);

/* A recurrent policy's void ppo_policy_reset(float *state): writes the state an episode starts
 * from, `initial` (S floats, emitted as a constant array) or zeros when `initial` is NULL. -1 also
 * when pol->state_size is 0 or a value is not finite. */
PPO_API int ppo_codegen_reset(FILE *out, const ppo_codegen_policy_t *pol, const float *initial);

/* The contract's prototype of ppo_policy_act for these spaces, then its definition's first line
 * and "{": int ppo_policy_act(OBS) for discrete actions, void ppo_policy_act(OBS, double *action)
 * for a box, void ppo_policy_act(OBS, int *action) for multi-discrete, each with a last parameter
 * float *state for a recurrent policy; OBS is const double *obs, or const unsigned char *obs for
 * a uint8 observation space. */
PPO_API int ppo_codegen_act_begin(FILE *out, const ppo_codegen_policy_t *pol);

/* Fill `buf` (a float array of at least D elements the function declared) from obs as the core
 * fills the rows it hands a policy: a uint8 element x becomes (float)((x - low) / (high - low)),
 * then, when normalization is enabled, every element becomes
 * (float)clip((x - mean) / sqrt(var + epsilon), -clip, clip), in double. */
PPO_API int ppo_codegen_obs_input(FILE *out, const ppo_codegen_policy_t *pol, const char *buf);

/* ppo_policy_linear(n_in, n_out, x, w, b, y), then the activation on y (nothing for the identity).
 * `b` may be NULL (no bias). y must not be x. */
PPO_API int ppo_codegen_dense(FILE *out, uint32_t n_in, uint32_t n_out, const char *x,
                              const char *w, const char *b, const char *y, ppo_activation_t act);

/* The activation on the n floats of buf, in place: ppo_policy_tanh(n, buf) or
 * ppo_policy_relu(n, buf); nothing for the identity. */
PPO_API int ppo_codegen_activation(FILE *out, ppo_activation_t act, uint32_t n, const char *buf);

/* ppo_policy_layernorm(n, x, gain, bias, eps, y); gain and bias may be NULL. */
PPO_API int ppo_codegen_layernorm(FILE *out, uint32_t n, const char *x, const char *gain,
                                  const char *bias, float eps, const char *y);

/* Discrete head: return the index of the first largest of the n floats of `logits` (ends the
 * function's work: write a recurrent policy's state before it). */
PPO_API int ppo_codegen_argmax(FILE *out, uint32_t n, const char *logits);

/* Box head: action[i] = mean[i] for the A components, as doubles (not clipped). */
PPO_API int ppo_codegen_gaussian_mean(FILE *out, uint32_t A, const char *mean);

/* Multi-discrete head: action[k] = the index of the first largest logit of component k, the
 * components' logits laid out one after another in `logits` (sum of nvec floats). -1 also when
 * the action space is not multi-discrete. */
PPO_API int ppo_codegen_multi_argmax(FILE *out, const ppo_codegen_policy_t *pol,
                                     const char *logits);

/* "}": the end of ppo_policy_act. */
PPO_API int ppo_codegen_act_end(FILE *out);

/* The header `ppofw export --header` writes: an include guard named `guard` (a C identifier), the
 * contract's macros and the prototypes (ppo_policy_act, and ppo_policy_reset for a recurrent
 * policy). pol->norm is not read. -1 as ppo_codegen_preamble for spaces the contract does not
 * cover. */
PPO_API int ppo_codegen_header(FILE *out, const ppo_codegen_policy_t *pol, const char *guard);

PPO_END_DECLS

#endif /* PPOFW_CODEGEN_H */
