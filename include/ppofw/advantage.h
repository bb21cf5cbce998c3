/* ppofw — the advantage-estimator plugin contract (plugin ABI 1).
 *
 * An advantage plugin turns one rollout (T steps of N envs) into advantages and returns. Index
 * [t * N + i] is step t of env i. The rewards are the ones the update sees (after reward
 * normalization, when it is on).
 *
 * Episode boundaries: terminated[t, i] = 1 means the step ended the episode by the task's rule:
 * nothing follows, no bootstrap. truncated[t, i] = 1 (and terminated 0) means the time limit cut
 * the episode: bootstrap with bootstrap_values[t, i] = V(final observation). Terminated wins over
 * truncated. After a boundary the next row of the same env starts a new episode. The rollout cut
 * (after step T-1 with neither flag) bootstraps with last_values[i].
 */
#ifndef PPOFW_ADVANTAGE_H
#define PPOFW_ADVANTAGE_H

#include <ppofw/plugin.h>

PPO_BEGIN_DECLS

/* A read-only view of one rollout. All arrays are owned by the core. */
typedef struct ppo_rollout_view {
    uint32_t struct_size;           /* sizeof(ppo_rollout_view_t) of the host */
    uint32_t T;                     /* steps */
    uint32_t N;                     /* envs */
    uint32_t reserved0;
    const float *rewards;           /* (T, N) */
    const float *values;            /* (T, N) V(obs[t]) from collection */
    const float *terminated;        /* (T, N) 0 or 1 */
    const float *truncated;         /* (T, N) 0 or 1 */
    const float *bootstrap_values;  /* (T, N) V(final observation) where truncated, else 0 */
    const float *last_values;       /* (N) V(obs[T]), the observation after the last step */
} ppo_rollout_view_t;

/* The advantage vtable (ABI 1.0). */
typedef struct ppo_advantage_vtable {
    uint32_t struct_size; /* sizeof(ppo_advantage_vtable_t) the plugin was built with */
    uint32_t reserved0;
    /* (required) Make an instance. Return NULL after host->error() on failure. */
    void *(*create)(const ppo_host_t *host, const ppo_params_t *params);
    /* (required) Free the instance. Accepts NULL. */
    void (*destroy)(void *inst);
    /* (required) Write adv_out (T, N) and ret_out (T, N), the value targets. Return 0, or < 0
     * after host->error(). */
    int (*estimate)(void *inst, const ppo_rollout_view_t *view, float *adv_out, float *ret_out);
    void *reserved[8]; /* NULL */
} ppo_advantage_vtable_t;

PPO_END_DECLS

#endif /* PPOFW_ADVANTAGE_H */
