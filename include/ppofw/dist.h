/* ppofw — action distributions any policy can reuse (libppofw helpers).
 *
 * Three distributions, each working on a batch of B rows of distribution parameters laid out the
 * way a policy writes its dist_out:
 *   categorical:        logits (B, n)
 *   diag Gaussian:      dist (B, 2A) = the A means, then the A log-stds, of each row
 *   multi-categorical:  logits (B, sum of nvec) = the nvec[0] logits of component 0, then the
 *                       nvec[1] of component 1, ... (ABI 1.2); independent components, so the
 *                       log-probability, entropy and KL are sums over components (as SB3's
 *                       MultiCategoricalDistribution and RLlib's MultiCategorical)
 * The forward helpers write log-probabilities, entropies and KL(old || new); the backward helpers
 * turn derivatives of a loss with respect to those outputs into derivatives with respect to the
 * distribution parameters. All arithmetic is float32 with float64 where sums need it. All
 * functions are thread-safe and allocate nothing.
 */
#ifndef PPOFW_DIST_H
#define PPOFW_DIST_H

#include <stdint.h>

#include <ppofw/export.h>
#include <ppofw/rng.h>

PPO_BEGIN_DECLS

/* Sample (or take the argmax when deterministic) one action per row: actions_out (B) holds the
 * index as a float; logp_out (B) its log-probability. rngs (B) may be NULL when deterministic. */
PPO_API void ppo_categorical_act(uint32_t B, uint32_t n, const float *logits,
                                 ppo_rng_t *const *rngs, int deterministic, float *actions_out,
                                 float *logp_out);

/* logp_out (B) of actions (B), entropy_out (B), and kl_out (B) = KL(old || new) when old_logits
 * (B, n) and kl_out are not NULL. Any output may be NULL. */
PPO_API void ppo_categorical_evaluate(uint32_t B, uint32_t n, const float *logits,
                                      const float *actions, const float *old_logits,
                                      float *logp_out, float *entropy_out, float *kl_out);

/* dlogits_out (B, n) = d loss / d logits, given dlogp, dentropy, dkl (B each, NULL = zero).
 * Overwrites dlogits_out. old_logits is needed only when dkl is not NULL. */
PPO_API void ppo_categorical_backward(uint32_t B, uint32_t n, const float *logits,
                                      const float *actions, const float *old_logits,
                                      const float *dlogp, const float *dentropy, const float *dkl,
                                      float *dlogits_out);

/* Sample mean + exp(log_std) * N(0, 1) per component (the mean when deterministic) into
 * actions_out (B, A) and its log-probability into logp_out (B). */
PPO_API void ppo_gaussian_act(uint32_t B, uint32_t A, const float *dist, ppo_rng_t *const *rngs,
                              int deterministic, float *actions_out, float *logp_out);

/* Log-probability of actions (B, A) under dist (B, 2A) summed over components, entropy, and
 * KL(old || new) when old_dist and kl_out are not NULL. Any output may be NULL. */
PPO_API void ppo_gaussian_evaluate(uint32_t B, uint32_t A, const float *dist, const float *actions,
                                   const float *old_dist, float *logp_out, float *entropy_out,
                                   float *kl_out);

/* ddist_out (B, 2A) = d loss / d dist given dlogp, dentropy, dkl (B each, NULL = zero).
 * Overwrites ddist_out. old_dist is needed only when dkl is not NULL. */
PPO_API void ppo_gaussian_backward(uint32_t B, uint32_t A, const float *dist, const float *actions,
                                   const float *old_dist, const float *dlogp,
                                   const float *dentropy, const float *dkl, float *ddist_out);

/* The state-independent log-std head (ABI 1.2), as SB3's DiagGaussianDistribution and CleanRL's
 * continuous agent build it: a layer gives each row's means, and one learned log_std vector (a
 * parameter segment, A floats, usually named "log_std") is shared by every row.
 *
 * dist_out (B, 2A) = each row's means (B, A) followed by log_std (A): the layout the Gaussian
 * helpers above read. */
PPO_API void ppo_gaussian_head_forward(uint32_t B, uint32_t A, const float *mean,
                                       const float *log_std, float *dist_out);

/* Backward of ppo_gaussian_head_forward given ddist (B, 2A) (what ppo_gaussian_backward wrote):
 * OVERWRITES dmean_out (B, A) with the mean columns (may be NULL) and ADDS the sum over the rows
 * of the log-std columns into dlog_std (A) (the log_std segment of the gradient; may be NULL),
 * summed in double in row order and rounded to float before it is added. */
PPO_API void ppo_gaussian_head_backward(uint32_t B, uint32_t A, const float *ddist,
                                        float *dmean_out, float *dlog_std);

/* Multi-categorical (ABI 1.2): K = n_comp components, component k with nvec[k] >= 1 choices;
 * actions (B, K) hold one index per component as floats.
 *
 * Sample each component (or take its first largest logit when deterministic: the mode) into
 * actions_out (B, K), with one ppo_rng_uniform per component in component order; logp_out (B) the
 * summed log-probability (may be NULL). rngs (B) may be NULL when deterministic. */
PPO_API void ppo_multi_categorical_act(uint32_t B, uint32_t n_comp, const uint32_t *nvec,
                                       const float *logits, ppo_rng_t *const *rngs,
                                       int deterministic, float *actions_out, float *logp_out);

/* Summed logp_out (B) of actions (B, K), summed entropy_out (B), and summed kl_out (B) =
 * KL(old || new) when old_logits and kl_out are not NULL. Any output may be NULL. */
PPO_API void ppo_multi_categorical_evaluate(uint32_t B, uint32_t n_comp, const uint32_t *nvec,
                                            const float *logits, const float *actions,
                                            const float *old_logits, float *logp_out,
                                            float *entropy_out, float *kl_out);

/* dlogits_out (B, sum of nvec) = d loss / d logits given dlogp, dentropy, dkl (B each, NULL =
 * zero). Overwrites dlogits_out. old_logits is needed only when dkl is not NULL. */
PPO_API void ppo_multi_categorical_backward(uint32_t B, uint32_t n_comp, const uint32_t *nvec,
                                            const float *logits, const float *actions,
                                            const float *old_logits, const float *dlogp,
                                            const float *dentropy, const float *dkl,
                                            float *dlogits_out);

PPO_END_DECLS

#endif /* PPOFW_DIST_H */
