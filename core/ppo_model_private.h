/* ppofw core — a policy instance with the parameter, gradient and optimizer-state arrays the core
 * owns for it.
 *
 * The policy declares named segments; this module lays them out back to back in one 64-byte
 * aligned float array (segment k right after segment k-1), allocates the gradient array and the
 * optimizer state in the same layout, initializes each segment as declared (orthogonal with
 * gain, constant, uniform) from the "init" stream, and binds the array to the policy. Training,
 * checkpoints, export and MPI all work on these arrays.
 */
#ifndef PPO_MODEL_PRIVATE_H
#define PPO_MODEL_PRIVATE_H

#include "ppo_plugin_private.h"

typedef struct ppo_model {
    const ppo_plugin_t *plugin;   /* the policy plugin (registry-owned) */
    void *inst;                   /* the policy instance (owned) */
    const ppo_segment_t *segments;/* (n_segments) the policy's table (policy-owned) */
    uint32_t n_segments;
    size_t *offsets;              /* (n_segments) first float of each segment */
    size_t n_params;              /* floats of parameters */
    uint32_t dist_size;           /* P */
    float *params;                /* (n_params) 64-byte aligned */
    float *grads;                 /* (n_params) */
    float *opt_state;             /* (state_floats * n_params), may be NULL */
    uint32_t state_floats;        /* optimizer state floats per parameter */
    int log_std_segment;          /* index of the "log_std" segment, or -1 */
    const ppo_recurrent_vtable_t *rec; /* the recurrent callbacks when this instance has memory
                                        * (state_size > 0), else NULL (plugin-owned copy) */
    uint32_t state_size;          /* S: recurrent state floats per env; 0 without memory */
} ppo_model_t;

/* The largest recurrent state per env, in floats. */
#define PPO_MODEL_MAX_STATE (1u << 20)

/* Create a policy instance for these spaces and allocate its arrays (parameters zero until
 * ppo_model_init). `state_floats` is the optimizer's state per parameter (0 for none). Refuses a
 * multi-discrete action space for a policy built before ABI 1.2, and a recurrent state size above
 * PPO_MODEL_MAX_STATE. (transfer full: ppo_model_free) */
PPO_INTERNAL ppo_model_t *ppo_model_new(const ppo_plugin_t *plugin, const ppo_params_t *params,
                                        const ppo_space_t *obs_space, const ppo_space_t *act_space,
                                        uint32_t n_envs, uint32_t state_floats, GError **error);

PPO_INTERNAL void ppo_model_free(ppo_model_t *model);

/* Initialize every segment as the policy declared, from the stream (seed, "init", 0). */
PPO_INTERNAL void ppo_model_init(ppo_model_t *model, uint64_t seed);

/* Another instance of the same policy bound to the same parameter array (for evaluation, which
 * keeps its own exploration-noise state). Destroy with the plugin's destroy. */
PPO_INTERNAL void *ppo_model_new_view(const ppo_model_t *model, const ppo_params_t *params,
                                      const ppo_space_t *obs_space, const ppo_space_t *act_space,
                                      uint32_t n_envs, GError **error);

/* Fill `out` (rows x cols, row-major) with an orthogonal matrix times gain, exactly as PyTorch's
 * nn.init.orthogonal_ defines it (QR of a standard normal matrix, signs fixed by diag(R) > 0),
 * drawing normals from `rng`. Exposed for tests. */
PPO_INTERNAL void ppo_init_orthogonal(float *out, uint32_t rows, uint32_t cols, double gain,
                                      ppo_rng_t *rng);

/* Mean of exp(log_std) over the "log_std" segment, or NaN without one (train/std). */
PPO_INTERNAL double ppo_model_std(const ppo_model_t *model);

#endif /* PPO_MODEL_PRIVATE_H */
