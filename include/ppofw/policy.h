/* ppofw — the policy plugin contract (plugin ABI 1).
 *
 * A policy maps observations to an action distribution and a value estimate. It does not own its
 * trainable parameters: it declares them as a table of named segments, and the core allocates one
 * contiguous, 64-byte aligned float array for them (and the same layout for the gradients and the
 * optimizer state), initializes each segment as the table says, and binds the array to the
 * policy. Segment k starts at the sum of the sizes of segments 0..k-1, in declaration order.
 *
 * Every call that computes writes only into a workspace made by ws_create, so calls on
 * different workspaces may run in parallel on different threads. backward() uses what the last
 * evaluate() on the same workspace left there.
 *
 * Shapes in comments: B rows in a call, D observation size, A action size (1 for discrete),
 * P distribution parameters per row (dist_size()).
 */
#ifndef PPOFW_POLICY_H
#define PPOFW_POLICY_H

#include <stdio.h>

#include <ppofw/plugin.h>
#include <ppofw/rng.h>

PPO_BEGIN_DECLS

/* How the core initializes a segment (ABI 1.0). */
typedef enum ppo_init_kind {
    PPO_INIT_CONSTANT = 1,   /* every element = value */
    PPO_INIT_ORTHOGONAL = 2, /* a (rows, cols) orthogonal matrix times gain, like PyTorch's
                                nn.init.orthogonal_ on a (out, in) weight */
    PPO_INIT_UNIFORM = 3,    /* uniform in [-value, value] (PyTorch's default Linear init uses
                                value = 1/sqrt(fan_in) for both weight and bias) */
} ppo_init_kind_t;

/* One named block of trainable parameters. */
typedef struct ppo_segment {
    uint32_t struct_size; /* sizeof(ppo_segment_t) the plugin was built with */
    ppo_init_kind_t init; /* initializer */
    const char *name;     /* e.g. "pi.0.weight", "pi.0.bias", "log_std"; unique in the table.
                             A segment named "log_std" is reported as train/std */
    uint32_t rows;        /* matrix rows (out features), or the vector length */
    uint32_t cols;        /* matrix columns (in features), or 1 for a vector */
    double value;         /* PPO_INIT_CONSTANT: the value; PPO_INIT_UNIFORM: the bound */
    double gain;          /* PPO_INIT_ORTHOGONAL: the gain */
} ppo_segment_t;

/* What the core tells a policy when creating it. */
typedef struct ppo_policy_setup {
    uint32_t struct_size;         /* sizeof(ppo_policy_setup_t) of the host */
    uint32_t n_envs;              /* env indices act() and reset_noise() may see: 0..n_envs-1 */
    const ppo_space_t *obs_space; /* always a box; valid until destroy */
    const ppo_space_t *act_space; /* discrete or box; valid until destroy */
} ppo_policy_setup_t;

/* Observation normalization as the core applies it, for export_c: each observation component
 * becomes clip((x - mean) / sqrt(var + epsilon), -clip, clip) when enabled. */
typedef struct ppo_obs_norm {
    uint32_t struct_size; /* sizeof(ppo_obs_norm_t) of the host */
    uint32_t enabled;     /* 0: observations are used raw */
    uint32_t dim;         /* D */
    uint32_t reserved0;
    const double *mean; /* (D) */
    const double *var;  /* (D) */
    double epsilon;
    double clip;
} ppo_obs_norm_t;

/* The policy vtable (ABI 1.0; segment_part, evaluate_part and backward_part since 1.1). */
typedef struct ppo_policy_vtable {
    uint32_t struct_size; /* sizeof(ppo_policy_vtable_t) the plugin was built with */
    uint32_t reserved0;

    /* (required) Make an instance for these spaces. Refuse a space the policy cannot handle by
     * naming it in host->error() and returning NULL. */
    void *(*create)(const ppo_host_t *host, const ppo_params_t *params,
                    const ppo_policy_setup_t *setup);
    /* (required) Free the instance. Accepts NULL. */
    void (*destroy)(void *inst);
    /* (required) The segment table, (*n_segments) entries, owned by the instance. */
    const ppo_segment_t *(*segments)(void *inst, uint32_t *n_segments);
    /* (required) P: floats of distribution parameters per row (logits: n; Gaussian: 2A, the
     * means then the log-stds). */
    uint32_t (*dist_size)(void *inst);
    /* (required) Use `params` (laid out as the segment table says) from now on. The array is
     * owned by the core and outlives the instance; the policy reads it, never writes it. */
    void (*bind)(void *inst, const float *params);

    /* (required) A workspace for calls of at most max_batch rows, or NULL after host->error().
     * Free it with ws_destroy. */
    void *(*ws_create)(void *inst, uint32_t max_batch);
    /* (required) Free a workspace. Accepts NULL. */
    void (*ws_destroy)(void *inst, void *ws);

    /* (required) Act on B rows: obs (B, D); env_index (B) names each row's env (for per-env
     * exploration noise); rngs (B) are the rows' sampler streams (unused, and may be NULL, when
     * deterministic). Writes actions_out (B, A) (a sample, or the mode when deterministic;
     * box actions unclipped), logp_out (B), value_out (B) and dist_out (B, P). A policy with
     * parts (segment_part, ABI 1.1) may get value_out NULL: then it skips the value function
     * (the core computes the rollout's values afterwards, batched). */
    int (*act)(void *inst, void *ws, uint32_t B, const float *obs, const uint32_t *env_index,
               ppo_rng_t *const *rngs, int deterministic, float *actions_out, float *logp_out,
               float *value_out, float *dist_out);
    /* (required) Values only: obs (B, D) -> value_out (B). No sampling. */
    int (*value)(void *inst, void *ws, uint32_t B, const float *obs, float *value_out);
    /* (required) Re-evaluate stored samples: obs (B, D), actions (B, A), old_dist (B, P) or NULL.
     * Writes logp_out (B), entropy_out (B), value_out (B), and kl_out (B) = KL(old || new)
     * computed analytically from the distribution parameters (skipped when old_dist or kl_out
     * is NULL). Keeps what backward needs in `ws`. */
    int (*evaluate)(void *inst, void *ws, uint32_t B, const float *obs, const float *actions,
                    const float *old_dist, float *logp_out, float *entropy_out, float *kl_out,
                    float *value_out);
    /* (required) Gradients of a loss whose derivatives with respect to the last evaluate()'s
     * outputs on this workspace are dlogp, dentropy, dkl, dvalue (each (B), NULL = zero). ADDS
     * d loss / d params into grad_out (laid out like the params). */
    int (*backward)(void *inst, void *ws, uint32_t B, const float *dlogp, const float *dentropy,
                    const float *dkl, const float *dvalue, float *grad_out);

    /* (optional) Resample the exploration noise of env `env_index` (gSDE). The core calls it at
     * the start of every episode of that env. A policy that resamples on a schedule of its own
     * does so inside act(), from the row's stream. */
    int (*reset_noise)(void *inst, uint32_t env_index, ppo_rng_t *rng);
    /* (optional, all three or none) Per-env state such as exploration noise, saved with
     * checkpoints: state_size() doubles. */
    size_t (*state_size)(void *inst);
    int (*get_state)(void *inst, double *state_out);
    int (*set_state)(void *inst, const double *state);

    /* (optional) Write one dependency-free C99 file that computes the deterministic action from a
     * raw observation with these parameters and this normalization. */
    int (*export_c)(void *inst, const float *params, const ppo_obs_norm_t *norm, FILE *out);

    /* (optional, ABI 1.1; all three or none) The policy as two independent parts, the action
     * distribution (part 0) and the value function (part 1), for a policy in which they share no
     * parameter (separate networks). The core then evaluates and back-propagates the parts at
     * once on different threads, each on its own workspace.
     * segment_part: the part segment `segment` belongs to (0 or 1), or -1 for every segment when
     * this instance's parts share parameters (a shared trunk); the core then calls evaluate and
     * backward. */
    int (*segment_part)(void *inst, uint32_t segment);
    /* evaluate() of one part: part 0 writes logp_out, entropy_out and kl_out, part 1 writes
     * value_out; each ignores the other's outputs (which may be NULL) and writes them equal to
     * evaluate()'s bit for bit. Keeps what backward_part needs in ws. */
    int (*evaluate_part)(void *inst, void *ws, uint32_t part, uint32_t B, const float *obs,
                         const float *actions, const float *old_dist, float *logp_out,
                         float *entropy_out, float *kl_out, float *value_out);
    /* backward() of the part last evaluated on ws: part 0 reads dlogp, dentropy and dkl, part 1
     * reads dvalue. ADDS into grad_out only at the part's segments, the same values backward()
     * adds there; the other part may be writing its segments of the same array meanwhile. */
    int (*backward_part)(void *inst, void *ws, uint32_t part, uint32_t B, const float *dlogp,
                         const float *dentropy, const float *dkl, const float *dvalue,
                         float *grad_out);

    void *reserved[5]; /* NULL */
} ppo_policy_vtable_t;

PPO_END_DECLS

#endif /* PPOFW_POLICY_H */
