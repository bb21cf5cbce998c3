/* ppofw core — evaluating a policy on its own env instances and streams.
 *
 * Used for periodic evaluation during training (so it never changes training: separate envs,
 * separate streams, a separate policy instance bound to the same parameters) and by `ppofw eval`.
 * Observations are normalized with frozen statistics when given. Episodes are spread over the
 * envs as Stable-Baselines3's evaluate_policy does (env i runs (n + i) / E of them), so short
 * episodes are not over-counted.
 */
#ifndef PPO_EVAL_PRIVATE_H
#define PPO_EVAL_PRIVATE_H

#include <stdio.h>

#include "ppo_model_private.h"
#include "ppo_normalizer_private.h"
#include "ppo_record_private.h"
#include "ppo_session_private.h"
#include "ppo_space_private.h"

typedef struct ppo_evaluator ppo_evaluator_t;

/* E env instances and a policy view of `model` (transfer full: ppo_evaluator_free). Streams are
 * seeded from (seed, "eval-env", i) and (seed, "eval-act", i). */
PPO_INTERNAL ppo_evaluator_t *ppo_evaluator_new(const ppo_session_t *session,
                                                const ppo_model_t *model, uint32_t n_envs,
                                                uint64_t seed, GError **error);
PPO_INTERNAL void ppo_evaluator_free(ppo_evaluator_t *ev);

/* Run `episodes` episodes; returns_out/lengths_out (episodes) may be NULL. obs_rms: frozen
 * statistics to normalize with (NULL: raw observations). render: draw each step of env 0 as text
 * (NULL: no drawing). */
PPO_INTERNAL bool ppo_evaluator_run(ppo_evaluator_t *ev, uint32_t episodes, bool deterministic,
                                    const ppo_rms_t *obs_rms, double obs_eps, double obs_clip,
                                    double *returns_out, uint32_t *lengths_out, FILE *render,
                                    GError **error);

/* Draw env 0's episodes into `recorder` (borrowed; NULL: stop drawing): its first frame after
 * each reset, one after each step, and the episode's end with its return. A recorder's failure
 * never fails the evaluation. */
PPO_INTERNAL void ppo_evaluator_set_recorder(ppo_evaluator_t *ev, ppo_recorder_t *recorder);

/* The evaluator's streams (2 per env: reset, sampler), for checkpoints. */
PPO_INTERNAL uint32_t ppo_evaluator_n_envs(const ppo_evaluator_t *ev);
PPO_INTERNAL ppo_rng_t *ppo_evaluator_rngs(ppo_evaluator_t *ev);

#endif /* PPO_EVAL_PRIVATE_H */
