/* ppofw — the env plugin contract (plugin ABI 1).
 *
 * An env plugin simulates one instance of a task. The core creates one instance per env slot
 * (N per process), steps them from worker threads (each instance from one thread at a time,
 * different instances at once), applies the time limit as truncation, and auto-resets finished
 * instances. The env writes observations straight into the rollout row the core hands it.
 *
 * The env signals termination only. It never counts steps for a time limit: the core does,
 * using max_episode_steps below (or the pipeline's env.max_episode_steps).
 *
 * Randomness comes from the ppo_rng_t the core passes to reset and step; an env keeps no
 * generator of its own.
 */
#ifndef PPOFW_ENV_H
#define PPOFW_ENV_H

#include <stdio.h>

#include <ppofw/plugin.h>
#include <ppofw/rng.h>

PPO_BEGIN_DECLS

/* The env vtable (ABI 1.0). Define one static const instance and name it in PPO_PLUGIN_DEFINE. */
typedef struct ppo_env_vtable {
    uint32_t struct_size; /* sizeof(ppo_env_vtable_t) the plugin was built with */
    /* The registered time limit in steps (Gymnasium's max_episode_steps); 0 for none. */
    uint32_t max_episode_steps;

    /* (required) Make an instance from validated params. Return NULL after host->error() on
     * failure. `host` and `params` stay valid until destroy. */
    void *(*create)(const ppo_host_t *host, const ppo_params_t *params);
    /* (required) Free the instance. Accepts NULL. */
    void (*destroy)(void *inst);
    /* (required) Fill the observation space (always a box) and the action space. The bound
     * arrays must stay valid as long as the instance. Return 0, or < 0 after host->error(). */
    int (*spaces)(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space);
    /* (required) Start an episode: draw the initial state from `rng` and write the observation,
     * (obs_dim) floats, to obs_out. Return 0, or < 0 after host->error(). */
    int (*reset)(void *inst, ppo_rng_t *rng, float *obs_out);
    /* (required) Advance one step with `action` (box: (act_dim) floats already clipped to the
     * action space by the core; discrete: one float holding the index). Write the next
     * observation to obs_out, the reward to *reward_out and 1 to *terminated_out when the
     * episode ended by the task's own rule (0 otherwise). Return 0, or < 0 after host->error(). */
    int (*step)(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                double *reward_out, int *terminated_out);

    /* (optional, all three or none) The full simulator state as doubles, for exact resume and for
     * reference tests. The classic-control envs expose exactly Gymnasium's `state`. */
    size_t (*state_size)(void *inst);
    /* Write state_size() doubles to state_out. Return 0 or < 0 after host->error(). */
    int (*get_state)(void *inst, double *state_out);
    /* Restore a state written by get_state; the next observation is the state's observation, which
     * the env writes to obs_out (may be NULL). Return 0 or < 0 after host->error(). */
    int (*set_state)(void *inst, const double *state, float *obs_out);

    /* (optional) Draw the current state as text (one or more lines) to `out`. */
    int (*render_text)(void *inst, FILE *out);

    void *reserved[8]; /* NULL */
} ppo_env_vtable_t;

/* The integer index a discrete action holds. */
#define PPO_DISCRETE_ACTION(action) ((int32_t)(action)[0])

PPO_END_DECLS

#endif /* PPOFW_ENV_H */
