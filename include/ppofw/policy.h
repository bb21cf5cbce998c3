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
 * evaluate() on the same workspace left there. act() and value() may use any part of a workspace
 * as scratch, what evaluate() left for backward() included: the core never calls anything on a
 * workspace between an evaluate() and the backward() that uses it (`ppofw check-policy` keeps the
 * same order when it interleaves two workspaces' calls, and training with a policy whose backward
 * refuses any other order is tested). A call must leave nothing a later call reads outside its
 * workspace (in the instance, or in static storage).
 *
 * Shapes in comments: B rows in a call, D observation size, A action size (1 for discrete, the
 * number of components for multi-discrete), P distribution parameters per row (dist_size()).
 *
 * Observations reach a policy as float32, whatever the env's dtype (ABI 1.2): a float32 element
 * as the env wrote it; a uint8 element x scaled to [0, 1] as (x - low) / (high - low) (so x / 255
 * for pixels, x for a 0/1 grid), computed in double and rounded to float. With the pipeline's
 * normalize.obs on, the core's running normalization is applied after that. setup->obs_space
 * gives the shape and dtype.
 *
 * A recurrent policy (ABI 1.2, ppo_recurrent_vtable_t below) keeps S floats of state per env that
 * the core owns, resets, stores and checkpoints, and trains on sequences.
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

/* A segment table being built (ABI 1.2). ppo_segment_table_add appends a segment and computes its
 * offset in the parameter array the way the core lays segments out (back to back in declaration
 * order), so a policy never adds sizes up by hand:
 *
 *     ppo_segment_t segs[8];
 *     size_t offsets[8];
 *     ppo_segment_table_t t = PPO_SEGMENT_TABLE(segs, offsets, 8);
 *     uint32_t pi = ppo_segment_table_add_linear(&t, "pi.weight", "pi.bias", D, n, 0.01);
 *     uint32_t ls = ppo_segment_table_add(&t, "log_std", A, 1, PPO_INIT_CONSTANT, 0.0, 0.0);
 *     if (t.failed) ... (too many segments or a zero dimension: nothing was added from then on)
 *     ... params + offsets[pi] is pi.weight once bound; t.n_params floats in all.
 *
 * The caller owns the arrays and the names, which must stay valid as long as the table is used
 * (segments() hands the same array to the core). Not thread-safe; build the table in create. */
typedef struct ppo_segment_table {
    uint32_t struct_size;    /* sizeof(ppo_segment_table_t) the plugin was built with */
    uint32_t capacity;       /* entries of segments and offsets */
    uint32_t n_segments;     /* segments added so far */
    uint32_t failed;         /* 1 once an add did not fit or had a zero dimension */
    ppo_segment_t *segments; /* (capacity) the table, filled in order */
    size_t *offsets;         /* (capacity) the first float of each segment in the parameters */
    size_t n_params;         /* floats of all segments added: the parameter count */
    void *reserved[2];       /* NULL */
} ppo_segment_table_t;

/* An empty table over caller-owned arrays of CAPACITY entries (ABI 1.2). */
#define PPO_SEGMENT_TABLE(SEGMENTS, OFFSETS, CAPACITY)                                             \
    ((ppo_segment_table_t){.struct_size = sizeof(ppo_segment_table_t),                           \
                           .capacity = (uint32_t)(CAPACITY),                                       \
                           .segments = (SEGMENTS),                                                 \
                           .offsets = (OFFSETS)})

/* Append one segment (the fields of ppo_segment_t; struct_size is filled in) and record its
 * offset (ABI 1.2). Returns its index, or UINT32_MAX when the table is full, rows or cols is 0,
 * or an earlier add failed; then `failed` is set and nothing is added. */
PPO_API uint32_t ppo_segment_table_add(ppo_segment_table_t *table, const char *name,
                                       uint32_t rows, uint32_t cols, ppo_init_kind_t init,
                                       double value, double gain);

/* Append a Linear layer from `in` to `out` features (ABI 1.2): the weight (out, in), orthogonal
 * with `gain`, then the bias (out), zero, as CleanRL's layer_init and SB3's ortho_init make them.
 * Returns the weight's index (the bias is the next one), or UINT32_MAX as ppo_segment_table_add.
 */
PPO_API uint32_t ppo_segment_table_add_linear(ppo_segment_table_t *table, const char *weight_name,
                                              const char *bias_name, uint32_t in, uint32_t out,
                                              double gain);

/* What the core tells a policy when creating it. */
typedef struct ppo_policy_setup {
    uint32_t struct_size;         /* sizeof(ppo_policy_setup_t) of the host */
    uint32_t n_envs;              /* env indices act() and reset_noise() may see: 0..n_envs-1 */
    const ppo_space_t *obs_space; /* always a box (rank >= 1 filled in); valid until destroy */
    const ppo_space_t *act_space; /* discrete, box or multi-discrete; valid until destroy */
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

/* A recurrent policy (ABI 1.2): the callbacks a policy with memory implements, in a table of
 * their own that the policy vtable points at.
 *
 * State. An instance whose state_size() is S > 0 keeps S floats of state per env (an LSTM's h
 * and c, for instance), which the core owns: it allocates the state of every env, hands a chunk
 * of rows to act() (read, then overwritten with the state after the step), sets an env's state
 * to initial_state() (zeros when that callback is NULL) whenever the env starts an episode,
 * stores the state at the start of every training sequence, saves it in checkpoints, and gives
 * evaluation and export what they need. Under MPI each rank keeps its own envs' states; nothing
 * is reduced over them.
 *
 * Sequences. The update cuts each env's rollout of T steps into sequences of L = ppo.seq_len
 * steps (the last one padded to L when L does not divide T), shuffles whole sequences into
 * minibatches and calls evaluate()/backward() on n_seq sequences of L steps, laid out
 * sequence-major: row s * L + j is step j of sequence s, so obs is (n_seq * L, D). Each sequence
 * starts from the state stored at its first step; starts[s * L + j] is 1.0 when that step's
 * observation is the first of an episode, and then the policy sets the state to its initial
 * state before the step (the stored start state of a sequence that begins an episode already is
 * the initial state). Padded steps come last in a sequence, hold zero observations and actions,
 * get zero loss derivatives and count in no statistic; the policy computes them like any other
 * step. backward() back-propagates through time within each sequence and never into the stored
 * start state.
 *
 * For such an instance the core calls these callbacks instead of the plain act, value, evaluate
 * and backward (which may then be NULL) and never the parts callbacks. An instance whose
 * state_size() is 0 is not recurrent: the core uses the plain callbacks, which it then requires. */
typedef struct ppo_recurrent_vtable {
    uint32_t struct_size; /* sizeof(ppo_recurrent_vtable_t) the plugin was built with */
    uint32_t reserved0;

    /* (required) S: floats of state per env for this instance (fixed for its life), or 0 when
     * this instance (these params) has no memory. At most 2^20. */
    uint32_t (*state_size)(void *inst);
    /* (optional) Write the state an episode starts from, (S) floats. NULL: zeros. The core calls
     * it at every episode start, possibly on worker threads, after every parameter update as
     * well, so it may depend on the parameters; it writes only state_out. */
    int (*initial_state)(void *inst, float *state_out);
    /* (required) Act on B rows as the plain act() does, each row with its env's state: state
     * (B, S) holds the state before this step and is overwritten with the state after it. */
    int (*act)(void *inst, void *ws, uint32_t B, const float *obs, const uint32_t *env_index,
               ppo_rng_t *const *rngs, int deterministic, float *state, float *actions_out,
               float *logp_out, float *value_out, float *dist_out);
    /* (required) Values of obs (B, D), each row from the state (B, S) it would be acted on with,
     * without changing the state. The core uses it for V(final observation) of a truncated
     * episode (with the state before the reset) and for V of the observation after a rollout. */
    int (*value)(void *inst, void *ws, uint32_t B, const float *obs, const float *state,
                 float *value_out);
    /* (required) evaluate() over n_seq sequences of L steps (layout above): obs (n_seq L, D),
     * actions (n_seq L, A), old_dist (n_seq L, P) or NULL, start_state (n_seq, S), starts
     * (n_seq L). Writes logp_out, entropy_out, kl_out (when old_dist and kl_out are not NULL)
     * and value_out, (n_seq L) each, and keeps what backward needs in ws (which ws_create sized
     * for max_batch >= n_seq L rows). */
    int (*evaluate)(void *inst, void *ws, uint32_t n_seq, uint32_t L, const float *obs,
                    const float *actions, const float *old_dist, const float *start_state,
                    const float *starts, float *logp_out, float *entropy_out, float *kl_out,
                    float *value_out);
    /* (required) Back-propagation through time of the last evaluate() on ws: given dlogp,
     * dentropy, dkl, dvalue ((n_seq L) each, NULL = zero), ADDS d loss / d params into grad_out. */
    int (*backward)(void *inst, void *ws, uint32_t n_seq, uint32_t L, const float *dlogp,
                    const float *dentropy, const float *dkl, const float *dvalue,
                    float *grad_out);

    void *reserved[6]; /* NULL */
} ppo_recurrent_vtable_t;

/* The policy vtable (ABI 1.0; segment_part, evaluate_part and backward_part since 1.1; recurrent
 * since 1.2). */
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
     * means then the log-stds; multi-discrete: the logits of each component in turn, sum of
     * nvec). */
    uint32_t (*dist_size)(void *inst);
    /* (required) Use `params` (laid out as the segment table says) from now on. The array is
     * owned by the core and outlives the instance; the policy reads it, never writes it. */
    void (*bind)(void *inst, const float *params);

    /* (required) A workspace for calls of at most max_batch rows, or NULL after host->error().
     * Free it with ws_destroy. */
    void *(*ws_create)(void *inst, uint32_t max_batch);
    /* (required) Free a workspace. Accepts NULL. */
    void (*ws_destroy)(void *inst, void *ws);

    /* (required; may be NULL when `recurrent` is set, see ppo_recurrent_vtable_t) Act on B rows:
     * obs (B, D); env_index (B) names each row's env (for per-env
     * exploration noise); rngs (B) are the rows' sampler streams (unused, and may be NULL, when
     * deterministic). Writes actions_out (B, A) (a sample, or the mode when deterministic;
     * box actions unclipped), logp_out (B), value_out (B) and dist_out (B, P). A policy with
     * parts (segment_part, ABI 1.1) may get value_out NULL: then it skips the value function
     * (the core computes the rollout's values afterwards, batched). */
    int (*act)(void *inst, void *ws, uint32_t B, const float *obs, const uint32_t *env_index,
               ppo_rng_t *const *rngs, int deterministic, float *actions_out, float *logp_out,
               float *value_out, float *dist_out);
    /* (required unless recurrent) Values only: obs (B, D) -> value_out (B). No sampling. */
    int (*value)(void *inst, void *ws, uint32_t B, const float *obs, float *value_out);
    /* (required unless recurrent) Re-evaluate stored samples: obs (B, D), actions (B, A), old_dist (B, P) or NULL.
     * Writes logp_out (B), entropy_out (B), value_out (B), and kl_out (B) = KL(old || new)
     * computed analytically from the distribution parameters (skipped when old_dist or kl_out
     * is NULL). Keeps what backward needs in `ws`. */
    int (*evaluate)(void *inst, void *ws, uint32_t B, const float *obs, const float *actions,
                    const float *old_dist, float *logp_out, float *entropy_out, float *kl_out,
                    float *value_out);
    /* (required unless recurrent) Gradients of a loss whose derivatives with respect to the last evaluate()'s
     * outputs on this workspace are dlogp, dentropy, dkl, dvalue (each (B), NULL = zero). ADDS
     * d loss / d params into grad_out (laid out like the params). */
    int (*backward)(void *inst, void *ws, uint32_t B, const float *dlogp, const float *dentropy,
                    const float *dkl, const float *dvalue, float *grad_out);

    /* (optional) Resample the exploration noise of env `env_index` (gSDE). In training the core
     * calls it for every env at the start of every rollout, before the first act() of the
     * rollout and after the update that changed the parameters, as Stable-Baselines3 does; so
     * noise drawn from the parameters (gSDE's std) always matches the distribution act() reports
     * for the rollout. Evaluation calls it at the start of each of its episodes. A policy that
     * also resamples within a rollout (SB3's sde_sample_freq) does so inside act(), from the
     * row's stream. A policy built for ABI 1.0 or 1.1 keeps the timing those documented: the
     * core calls it at the start of every episode of that env, and not at rollout starts. */
    int (*reset_noise)(void *inst, uint32_t env_index, ppo_rng_t *rng);
    /* (optional, all three or none) Per-env state such as exploration noise, saved with
     * checkpoints: state_size() doubles. */
    size_t (*state_size)(void *inst);
    int (*get_state)(void *inst, double *state_out);
    int (*set_state)(void *inst, const double *state);

    /* (optional) Write one dependency-free C99 file that computes the deterministic action from a
     * raw observation with these parameters and this normalization; the contract of that file
     * is PPO_EXPORT_CONTRACT below. Return 0, or < 0 after host->error(). */
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

    /* (optional, ABI 1.2) The recurrent callbacks (ppo_recurrent_vtable_t above), a pointer to a
     * static table, or NULL for a policy without memory. */
    const struct ppo_recurrent_vtable *recurrent;
    /* (optional, ABI 1.2) Floating-point operations of one forward pass of one row through the
     * whole policy (distribution and value function; one step of a recurrent policy), counting a
     * multiply-add as 2. `ppofw bench` reports throughput against the machine's peak with it
     * (counting a backward pass as twice the forward). NULL: the core counts 2 x rows x cols for
     * every segment that is a matrix (rows > 1 and cols > 1) whose name ends in "weight", which
     * is right for dense layers only. */
    double (*forward_flops)(void *inst);

    void *reserved[3]; /* NULL */
} ppo_policy_vtable_t;

/* PPO_EXPORT_CONTRACT — what the file export_c writes must define (`ppofw export` and
 * `ppofw check-policy` compile it with the system's C compiler and compare its actions with the
 * plugin's deterministic act() on many observations).
 *
 * The file is C99 that needs nothing but <math.h> (and libm), allocates nothing, keeps no mutable
 * global state (so its functions are thread-safe) and defines:
 *
 *   #define PPO_POLICY_OBS_DIM  D          elements of an observation
 *   #define PPO_POLICY_ACT_DIM  A          1 for discrete, dim for box and multi-discrete
 *   #define PPO_POLICY_N_ACTIONS n         discrete only: the action is in [0, n)
 *   #define PPO_POLICY_NVEC {n0, n1, ...}  multi-discrete only: component k is in [0, n_k)
 *   #define PPO_POLICY_OBS_UINT8 1         uint8 observation spaces only
 *   #define PPO_POLICY_STATE_SIZE S        recurrent policies only
 *
 * and one function, ppo_policy_act, taking the RAW observation as the env writes it (OBS is
 * `const double *obs` of D values, or `const unsigned char *obs` of D bytes for a uint8 space;
 * the file applies the uint8 scaling and the observation normalization itself):
 *
 *   discrete:        int  ppo_policy_act(OBS);                  the mode: the first largest logit
 *   box:             void ppo_policy_act(OBS, double *action);  the mean, A values, not clipped
 *   multi-discrete:  void ppo_policy_act(OBS, int *action);     each component's mode, A ints
 *
 * A recurrent policy's function takes its state as a last parameter, `float *state` (S floats,
 * read and overwritten with the state after the step), and the file also defines
 *
 *   void ppo_policy_reset(float *state);   the state at an episode start (what initial_state,
 *                                          or zeros, gives)
 *
 * to be called before the first step of every episode. `ppofw export --header FILE.h` writes a
 * header with the same macros and the prototypes (ppo_codegen_header). Everything else in the
 * file is static.
 *
 * How it is checked (`ppofw check-policy`, and `ppofw export --verify` on a checkpoint): the file
 * is compiled alone with the system's C compiler ($CC, or cc; -std=c99 -pedantic -Wall -Wextra:
 * an error fails, a warning warns), then included into a driver that declares the prototypes
 * above for the policy's spaces and checks the macros; the program runs on observations drawn
 * inside the observation box and on its edges (all low, all high, alternating, zero), with and
 * without normalization, a recurrent policy's over whole episodes with ppo_policy_reset at their
 * starts; its actions are compared with the plugin's deterministic act on the same observations
 * as the core hands them to the policy. Discrete and multi-discrete actions must be equal (a
 * row where the plugin's own logits of the two actions tie to 1e-4 (1 + |logit|) is accepted and
 * counted); box actions must agree to 1e-4 (1 + |act's action|). <ppofw/codegen.h> writes every
 * piece a file needs in the arithmetic libppofw uses. */

PPO_END_DECLS

#endif /* PPOFW_POLICY_H */
