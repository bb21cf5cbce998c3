/* ppofw core — the PPO objective on a chunk of samples: losses, statistics and the derivatives
 * the policy's backward() needs.
 *
 * For each sample: ratio r = exp(logp - old_logp); the policy term is
 *   clip:        -min(A r, A clip(r, 1 - eps, 1 + eps))
 *   none:        -A r
 *   kl_penalty,
 *   kl_fixed:    -A r + beta KL(old || new)     (the analytic KL from the policy)
 * the value term k (V - R)^2, or ppo2's k max((V - R)^2, (V_old + clip(V - V_old, +-e) - R)^2)
 * with vf_clip, where k is 1/2 (ppo.value_loss: half_mse, CleanRL's) or 1 (mse, SB3's); the
 * entropy bonus -ent_coef H. The minibatch loss is the mean over the minibatch
 * of policy + vf_coef value + entropy terms, so each derivative carries 1/B with B the MINIBATCH
 * size (a chunk is part of a minibatch). Ties of min/max split the gradient as PyTorch does,
 * which gives the same total. Statistics: approx_kl with the k3 estimator (r - 1) - log r, and
 * the clip fraction |r - 1| > eps.
 */
#ifndef PPO_OBJECTIVE_PRIVATE_H
#define PPO_OBJECTIVE_PRIVATE_H

#include <stdint.h>

#include "ppo_pipeline_private.h"

typedef struct ppo_objective_cfg {
    ppo_objective_t kind;
    double clip;        /* policy clip range (clip objective) */
    double vf_clip;     /* NaN: unclipped value loss */
    double vf_coef;
    double vf_half;     /* k of the value term: 0.5 (half_mse) or 1.0 (mse) */
    double ent_coef;
    double beta;        /* KL weight (kl_penalty, kl_fixed) */
    double inv_batch;   /* 1 / minibatch size */
} ppo_objective_cfg_t;

/* Sums over the samples of one call (add them up across chunks, in chunk order). */
typedef struct ppo_objective_sums {
    double policy_loss; /* sum of the policy terms (without the KL term) */
    double value_loss;  /* sum of (V - R)^2, no 1/2 whatever k is (clipped form with vf_clip) */
    double entropy;     /* sum of H */
    double kl;          /* sum of the analytic KL (0 when kl is NULL) */
    double approx_kl;   /* sum of (r - 1) - log r */
    double clipped;     /* count of |r - 1| > clip */
    double n;           /* samples */
} ppo_objective_sums_t;

/* Losses and derivatives for n samples. Inputs are (n) arrays; kl may be NULL (then the KL term
 * and dkl are zero). Outputs dlogp, dentropy, dvalue (n) and dkl (n, when not NULL) are
 * overwritten; `sums` is overwritten. With logp NULL the policy, entropy and KL terms are left
 * out (their inputs, outputs and sums untouched, n counted 0); with value NULL the value term
 * is: a policy of two parts evaluates each on its own. */
PPO_INTERNAL void ppo_objective_eval(const ppo_objective_cfg_t *cfg, uint32_t n,
                                     const float *logp, const float *old_logp, const float *adv,
                                     const float *entropy, const float *kl, const float *value,
                                     const float *old_value, const float *ret, float *dlogp,
                                     float *dentropy, float *dkl, float *dvalue,
                                     ppo_objective_sums_t *sums);

/* The scalar minibatch loss those sums stand for (policy + vf_coef k value - ent_coef entropy +
 * beta kl, each divided by the minibatch size). */
PPO_INTERNAL double ppo_objective_loss(const ppo_objective_cfg_t *cfg,
                                       const ppo_objective_sums_t *sums);

/* The paper's adaptive-beta rule: d < target/1.5: beta/2; d > 1.5 target: 2 beta. */
PPO_INTERNAL double ppo_kl_beta_update(double beta, double mean_kl, double target);

#endif /* PPO_OBJECTIVE_PRIVATE_H */
