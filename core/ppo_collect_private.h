/* ppofw core — collecting rollouts and updating the policy: the two halves of an iteration.
 *
 * ppo_collect.c runs T vector steps: the policy acts and the envs step in fixed chunks on the
 * worker pool; then the main thread, in env order, records finished episodes, normalizes
 * observations and rewards, and bootstraps truncated episodes from V(final observation) computed
 * with the statistics of that moment. ppo_update.c estimates advantages and runs the epochs of
 * minibatch updates.
 */
#ifndef PPO_COLLECT_PRIVATE_H
#define PPO_COLLECT_PRIVATE_H

#include "ppo_trainer_private.h"

/* Reset every env, write obs row 0 (normalized when on; after counting the rows in the
 * statistics when `count`, which resuming a run whose envs restart does not). */
PPO_INTERNAL bool ppo_collect_reset_all(ppo_trainer_t *tr, bool count, GError **error);

/* Collect T steps into the rollout (row 0 holds the current observations; row T the next). */
PPO_INTERNAL bool ppo_collect_rollout(ppo_trainer_t *tr, GError **error);

/* Advantages and returns for the collected rollout. */
PPO_INTERNAL bool ppo_update_estimate(ppo_trainer_t *tr, GError **error);

/* Statistics of one update, as SB3's PPO.train logs them: policy_loss, value_loss (the mean
 * squared error, no 1/2), entropy and clip_fraction averaged over every minibatch evaluated,
 * approx_kl averaged over the minibatches of the last epoch, loss of the last minibatch. */
typedef struct ppo_update_stats {
    double policy_loss, value_loss, entropy, approx_kl, clip_fraction, loss;
    uint64_t epochs;          /* epochs begun (SB3's n_updates counts them) */
    uint64_t minibatches;     /* optimizer steps taken */
    bool early_stopped;       /* target_kl stopped it */
    uint64_t skipped;         /* updates skipped for NaN (on_nan: skip_update) */
} ppo_update_stats_t;

/* The epochs of minibatch updates at learning rate lr and clip range clip. */
PPO_INTERNAL bool ppo_update_run(ppo_trainer_t *tr, double lr, double clip,
                                 ppo_update_stats_t *stats, GError **error);

/* Mean analytic KL(old || current) over the rollout (for the adaptive KL penalty). */
PPO_INTERNAL bool ppo_update_mean_kl(ppo_trainer_t *tr, double *mean_kl, GError **error);

#endif /* PPO_COLLECT_PRIVATE_H */
