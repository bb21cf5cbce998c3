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
 *
 * Observations (ABI 1.2): an observation is `dim` elements of the observation space's dtype,
 * row-major in its shape. The callbacks below keep their `float *obs_out` parameter for every
 * dtype: for a float32 space it holds dim floats; for a uint8 space it points at dim bytes,
 * written through PPO_OBS_U8(obs_out). The core aligns every observation row it hands an env to
 * at least 4 bytes, and reads nothing past dim elements.
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
    /* (required) Fill the observation space (always a box; since ABI 1.2 with a shape and a
     * dtype) and the action space (discrete, box, or since 1.2 multi-discrete). The core zeroes
     * both structs first. The arrays must stay valid as long as the instance. Return 0, or < 0
     * after host->error(). */
    int (*spaces)(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space);
    /* (required) Start an episode: draw the initial state from `rng` and write the observation,
     * (obs_dim) elements, to obs_out. Return 0, or < 0 after host->error(). */
    int (*reset)(void *inst, ppo_rng_t *rng, float *obs_out);
    /* (required) Advance one step with `action` (box: (act_dim) floats already clipped to the
     * action space by the core; discrete: one float holding the index; multi-discrete: act_dim
     * floats holding the indices). Write the next
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

    /* (optional, ABI 1.2; both or none) Draw the current state as an RGB image, for recorded
     * episodes (`ppofw eval --record`, eval.record). render_size gives the image's size, which
     * may depend on the params but never changes during the instance's life (1..4096 each).
     * render_rgb writes height x width x 3 bytes (row-major from the top-left pixel, R, G, B) to
     * rgb_out, a buffer the core owns, and nothing else: it is a pure function of the state that
     * get_state/set_state save (the same state gives the same pixels), changes no state, draws no
     * random number and keeps nothing allocated per frame (scratch memory a drawing library takes
     * and returns within the call is fine; make the canvas on the first call, not in create).
     * Return 0, or < 0 after host->error(). */
    int (*render_size)(void *inst, uint32_t *width_out, uint32_t *height_out);
    int (*render_rgb)(void *inst, uint8_t *rgb_out);

    void *reserved[6]; /* NULL */
} ppo_env_vtable_t;

/* The integer index a discrete action holds; component k of a multi-discrete action is
 * PPO_DISCRETE_ACTION(action + k). */
#define PPO_DISCRETE_ACTION(action) ((int32_t)(action)[0])

/* The bytes of a uint8 observation row handed to reset, step or set_state as `float *obs_out`
 * (ABI 1.2). */
#define PPO_OBS_U8(obs_out) ((uint8_t *)(void *)(obs_out))

PPO_END_DECLS

#endif /* PPOFW_ENV_H */
