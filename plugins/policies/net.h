/* net — what the shipped policy plugins (mlp, lstm, cnn) share: the segment table a policy
 * declares (over <ppofw/policy.h>'s builder), stacks of dense layers, the action distributions of
 * their heads (the Gaussian's through <ppofw/dist.h>'s head), the checks of a computing call, and
 * workspace layout. Their export_c files are written with <ppofw/codegen.h>.
 *
 * Compiled into each policy plugin (a convenience library), not part of the SDK: plugins never
 * link each other, and everything here stays hidden inside each plugin's .so. Everything is
 * computed with libppofw's helpers (nn.h, dist.h), so it obeys their rules: no allocation after
 * creation, a row's result independent of the other rows' values.
 *
 * Left out: anything one plugin alone needs (mlp's gSDE, lstm's recurrence, cnn's convolutions).
 */
#ifndef PPO_PLUGINS_POLICIES_NET_H
#define PPO_PLUGINS_POLICIES_NET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ppofw/ppofw.h>

#define NET_NAME_LEN 32 /* room for "vf_lstm.4294967295.weight_ih", "pi.dense.4294967295.weight"   \
                         */
#define NET_MAX_WIDTH 65536.0 /* largest layer width the schemas accept */

/* ---- parameters the policies share ---- */

extern const char *const net_activation_choices[]; /* "tanh", "relu" (ppo_activation_t 1, 2) */

/* An int list `pname` of layer widths in [1, NET_MAX_WIDTH]. */
#define NET_PARAM_WIDTHS(pname, def, text)                                                         \
    {                                                                                              \
        PPO_PARAM_SPEC_INIT, .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,                       \
                             .type = PPO_PARAM_INT_LIST, .name = pname, .default_value = def,      \
                             .min = 1, .max = NET_MAX_WIDTH, .doc = text,                          \
    }

/* "activation": tanh or relu; read it with net_param_activation. */
#define NET_PARAM_ACTIVATION(text)                                                                 \
    {                                                                                              \
        PPO_PARAM_SPEC_INIT, .type = PPO_PARAM_ENUM, .name = "activation",                         \
                             .default_value = "tanh", .choices = net_activation_choices,           \
                             .doc = text,                                                          \
    }

/* "ortho_init": orthogonal weights or PyTorch's defaults. */
#define NET_PARAM_ORTHO_INIT(text)                                                                 \
    {                                                                                              \
        PPO_PARAM_SPEC_INIT, .type = PPO_PARAM_BOOL, .name = "ortho_init",                         \
                             .default_value = "true", .doc = text,                                 \
    }

/* "log_std_init": a Gaussian head's initial log-std. */
#define NET_PARAM_LOG_STD_INIT                                                                     \
    {                                                                                              \
        PPO_PARAM_SPEC_INIT,                                                                       \
            .type = PPO_PARAM_DOUBLE, .name = "log_std_init",                                      \
            .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX, .min = -20.0, .max = 20.0,             \
            .default_value = "0.0",                                                                \
            .doc = "initial log standard deviation of a Gaussian head (box actions)",              \
    }

/* The activation a NET_PARAM_ACTIVATION parameter names. */
ppo_activation_t net_param_activation(const ppo_params_t *params);

/* ---- the segment table ---- */

/* A policy's segment table: libppofw's builder over arrays this table owns, and room for the
 * segments' names. */
typedef struct net_table {
    ppo_segment_table_t tab; /* the segments (tab.segments, tab.n_segments), their offsets
                                (tab.offsets) and the parameter count (tab.n_params) */
    char *names;             /* (tab.capacity, NET_NAME_LEN) the segments' names */
} net_table_t;

/* Room for cap segments; 0, or -1 when out of memory. Free with net_table_free. */
int net_table_init(net_table_t *t, uint32_t cap);
void net_table_free(net_table_t *t);

/* Append a segment (its name is copied); returns its index, or UINT32_MAX once the table is full
 * (tab.failed is set then: a policy sizes its table and checks tab.failed after building it). */
uint32_t net_table_add(net_table_t *t, const char *name, uint32_t rows, uint32_t cols,
                       ppo_init_kind_t init, double value, double gain);

/* 0 when every add fit, else -1 after host->error naming `who` (a policy sizing its table wrong
 * is a bug in the policy). */
int net_table_check(const net_table_t *t, const ppo_host_t *host, const char *who);

/* Floats of all segments. */
static inline size_t net_table_floats(const net_table_t *t)
{
    return t->tab.n_params;
}

/* Segment `seg` of a parameter (or gradient) array laid out as the table says. */
static inline const float *net_seg(const net_table_t *t, const float *base, uint32_t seg)
{
    return base + t->tab.offsets[seg];
}

static inline float *net_grad(const net_table_t *t, float *base, uint32_t seg)
{
    return base + t->tab.offsets[seg];
}

/* ---- dense layers ---- */

/* One Linear layer: its sizes and where its parameters are. */
typedef struct net_layer {
    uint32_t in;     /* I: input features */
    uint32_t out;    /* O: output features */
    uint32_t weight; /* segment index of W (O, I); the bias (O) is the next segment */
} net_layer_t;

/* Declare a Linear layer's "PREFIX.weight" (out, in) and "PREFIX.bias" (out): orthogonal with
 * `gain` and a zero bias when ortho (ppo_segment_table_add_linear), else PyTorch's default
 * uniform(+-1/sqrt(in)) for both. A Conv2d layer is declared the same way, with in = C KH KW. */
void net_add_linear(net_table_t *t, net_layer_t *layer, const char *prefix, uint32_t in,
                    uint32_t out, int ortho, double gain);

/* Hidden layers (n) with activation `act` from x (B, layers[0].in) into outs[k] (B, out);
 * returns the last output, or x when n is 0. */
const float *net_dense_forward(const net_table_t *t, const float *params, ppo_activation_t act,
                               uint32_t B, const net_layer_t *layers, uint32_t n, const float *x,
                               float *const *outs);

/* Back through hidden layers (n) whose forward read x and wrote outs, given d (B, out of the last
 * layer) = d loss / d (its activated output); d and `other` are scratch of B rows of the widest
 * layer. ADDS the weight and bias gradients into grad. Returns the buffer (d or other) holding
 * d loss / d x when want_dx (d itself when n is 0), else NULL. */
float *net_dense_backward(const net_table_t *t, const float *params, ppo_activation_t act,
                          uint32_t B, const net_layer_t *layers, uint32_t n, float *const *outs,
                          const float *x, float *d, float *other, int want_dx, float *grad);

/* ---- action distributions ---- */

typedef enum net_dist_kind {
    NET_DIST_CATEGORICAL, /* logits (n) */
    NET_DIST_GAUSSIAN,    /* means (A) from the head, a state-independent log_std (A) */
    NET_DIST_MULTI,       /* logits (sum of nvec), one categorical per component */
} net_dist_kind_t;

/* The distribution of an action space and the head that feeds it. */
typedef struct net_dist {
    net_dist_kind_t kind;
    uint32_t A;           /* action floats per row: 1, the box's dim, or the components */
    uint32_t P;           /* distribution floats per row */
    uint32_t n_out;       /* outputs of the head layer: n, A (the means), or sum of nvec */
    const uint32_t *nvec; /* multi-discrete: (A) choices per component (the space's) */
} net_dist_t;

/* Check the spaces a policy was made for and describe its distribution: a box observation of at
 * least one element; a discrete action space of at least 2 actions, a box of at least one
 * component, or (when allow_multi) a multi-discrete space. 0, or -1 after host->error naming the
 * space and what `who` handles. */
int net_dist_init(net_dist_t *d, const ppo_host_t *host, const ppo_policy_setup_t *setup,
                  const char *who, int allow_multi);

/* The name of a space kind, for messages. */
const char *net_space_kind_name(ppo_space_kind_t kind);

/* dist (B, P) from the head's output y (B, n_out) and, for a Gaussian, log_std (A). For the
 * categorical kinds dist is y; y may be dist (then nothing is copied). */
void net_dist_forward(const net_dist_t *d, uint32_t B, const float *y, const float *log_std,
                      float *dist);

/* Actions (B, A) and their log-probabilities (B) from dist: samples from the rows' streams, or
 * the mode when deterministic. */
void net_dist_act(const net_dist_t *d, uint32_t B, const float *dist, ppo_rng_t *const *rngs,
                  int deterministic, float *actions_out, float *logp_out);

/* logp_out, entropy_out and (with old_dist) kl_out, (B) each, any may be NULL. */
void net_dist_evaluate(const net_dist_t *d, uint32_t B, const float *dist, const float *actions,
                       const float *old_dist, float *logp_out, float *entropy_out, float *kl_out);

/* d loss / d (head output), given the loss's derivatives with respect to logp, entropy and KL
 * (B each, NULL = zero): ddist (B, P) is scratch and, for the categorical kinds, the result;
 * a Gaussian's means go to dmean (B, A) and its log_std's gradient (summed over the rows in
 * double) is ADDED into dlog_std (A) unless that is NULL (ddist keeps each row's). Returns the
 * (B, n_out) result: ddist or dmean. */
const float *net_dist_backward(const net_dist_t *d, uint32_t B, const float *dist,
                               const float *actions, const float *old_dist, const float *dlogp,
                               const float *dentropy, const float *dkl, float *ddist, float *dmean,
                               float *dlog_std);

/* ---- computing calls ---- */

/* The parts of an evaluate of a policy with separate networks (ABI 1.1): the distribution (part
 * 0), the value function (part 1). */
#define NET_PART_DIST 1u
#define NET_PART_VALUE 2u

/* Common checks of a computing call: parameters bound, a workspace (ws, made for max_batch rows)
 * for `rows` rows. 0, or -1 after host->error naming `what`. */
int net_check_call(const ppo_host_t *host, const float *params, const void *ws, uint32_t max_batch,
                   uint64_t rows, const char *what);

/* A backward of B rows needs the last call on its workspace to have been an evaluate of B rows
 * (last_B; 0 when it was not an evaluate) that computed the parts wanted (last_parts covers
 * parts). 0, or -1 after host->error. */
int net_check_backward(const ppo_host_t *host, uint32_t last_B, uint32_t last_parts, uint32_t B,
                       uint32_t parts);

/* NET_PART_DIST or NET_PART_VALUE for part 0 or 1 of a policy with separate networks; 0 after
 * host->error naming `what` when the policy is one part (shared, share_trunk: true) or the part
 * is not 0 or 1. */
uint32_t net_part_bits(const ppo_host_t *host, int shared, uint32_t part, const char *what);

/* What an evaluate keeps for backward, in a policy's workspace. */
typedef struct net_kept {
    uint32_t B;      /* rows of the last evaluate(); 0 when backward has nothing to use */
    uint32_t parts;  /* what it computed: NET_PART_DIST | NET_PART_VALUE */
    int has_old;     /* it had old_dist */
    float *obs;      /* (B, D) its observations */
    float *actions;  /* (B, A) its actions (the distribution part) */
    float *old_dist; /* (B, P) its old distribution (the distribution part, has_old) */
} net_kept_t;

/* Keep an evaluate's inputs: obs (B, D), and for the distribution part the actions and old_dist
 * (may be NULL). k->B is set to 0 (an evaluate in progress); set B and parts when it is done. */
void net_keep_inputs(net_kept_t *k, const net_dist_t *d, uint32_t parts, uint32_t B, uint32_t D,
                     const float *obs, const float *actions, const float *old_dist);

/* net_dist_evaluate of the kept actions (and old distribution) under dist. */
void net_kept_evaluate(const net_kept_t *k, const net_dist_t *d, uint32_t B, const float *dist,
                       float *logp_out, float *entropy_out, float *kl_out);

/* The loss's derivatives a backward is given (B each, NULL = zero). */
typedef struct net_dloss {
    const float *dlogp, *dentropy, *dkl, *dvalue;
} net_dloss_t;

/* The start of a backward of the parts `parts` over B rows: net_check_backward, then the
 * derivatives of the parts not wanted dropped from *dl (and dkl when the evaluate had no old
 * distribution). 0, or -1 after host->error. */
int net_backward_begin(const ppo_host_t *host, const net_kept_t *k, uint32_t parts, uint32_t B,
                       net_dloss_t *dl);

/* Back through the action distribution and the head layer `head` that read z (B, head->in): ADDS
 * the head's (and log_std's, into dlog_std unless NULL) gradients into grad and writes
 * d loss / d z into dz unless NULL; ddist (B, P) and dhead (B, n_out) are scratch. Returns 1, or 0
 * (nothing done) when no derivative of the distribution's outputs is given. */
int net_backward_head(const net_table_t *t, const float *params, const net_dist_t *d,
                      const net_kept_t *k, uint32_t B, const net_layer_t *head, const float *z,
                      const float *dist, const net_dloss_t *dl, float *ddist, float *dhead,
                      float *dlog_std, float *dz, float *grad);

/* Back through a value head `vf` (vf->in -> 1) on a shared trunk's output z: ADDS its gradients
 * into grad and d loss / d z into dz (when have_dz: through scratch, B rows of vf->in, else
 * written), nothing into a NULL dz. Returns 1 when dz holds d loss / d z. */
int net_backward_value_head(const net_table_t *t, const float *params, uint32_t B,
                            const net_layer_t *vf, const float *z, const float *dvalue, float *dz,
                            int have_dz, float *scratch, float *grad);

/* ---- workspaces ---- */

/* Lays out buffers in one block: run the same sequence of net_take calls twice, first with
 * base NULL (sizes only), then with the allocated block. */
typedef struct net_arena {
    float *base; /* the block, or NULL while sizing */
    size_t at;   /* floats taken so far */
} net_arena_t;

/* n floats, rounded up to whole 64-byte lines; NULL while sizing. */
float *net_take(net_arena_t *a, uint64_t n);

/* Allocate the block for what a sizing pass took (64-byte aligned, zeroed) and rewind the arena
 * for the second pass. 0, or -1 after host->error (out of memory or too large; `what` names the
 * workspace). Free the block with host->aligned_free. */
int net_arena_alloc(net_arena_t *a, const ppo_host_t *host, const char *what, uint32_t max_batch);

/* ---- export_c (the file's pieces come from <ppofw/codegen.h>) ---- */

/* The file's opening (ppo_codegen_preamble with `summary`). 0, or -1 after host->error (no file,
 * or a normalizer that does not fit the observations). */
int net_export_begin(FILE *out, const ppo_host_t *host, const ppo_codegen_policy_t *pol,
                     const char *summary);

/* Segment `seg` of params as `static const float NAME[rows * cols]`. 0, or -1 after host->error
 * when a value is not finite. */
int net_export_segment(FILE *out, const ppo_host_t *host, const net_table_t *t, const float *params,
                       uint32_t seg, const char *name);

/* A layer's weight (segment `weight`) and bias (the next segment) as ppo_policy_NAME_weight and
 * ppo_policy_NAME_bias; 0, or -1 after host->error. */
int net_export_layer(FILE *out, const ppo_host_t *host, const net_table_t *t, const float *params,
                     uint32_t weight, const char *name);

/* The arrays of n dense layers, named PREFIX_0 ... PREFIX_{n-1} as net_export_layer names them;
 * 0, or -1 after host->error. */
int net_export_layers(FILE *out, const ppo_host_t *host, const net_table_t *t, const float *params,
                      const net_layer_t *layers, uint32_t n, const char *prefix);

/* Code for n dense layers (the arrays of net_export_layers(..., prefix)) from the C expression
 * `in`, each activated with `act`, writing into bufs[*next], bufs[1 - *next], ... and flipping
 * *next each layer. Returns the C expression of the output (`in` when n is 0). */
const char *net_export_dense(FILE *out, const net_layer_t *layers, uint32_t n, const char *prefix,
                             const char *in, ppo_activation_t act, const char *const bufs[2],
                             int *next);

/* The action from the head's n_out outputs in `y` (the first largest logit, each component's, or
 * the Gaussian's mean, as pol's action space says), the end of ppo_policy_act, and the check that
 * the whole file was written. 0, or -1 after host->error. */
int net_export_end(FILE *out, const ppo_host_t *host, const ppo_codegen_policy_t *pol,
                   uint32_t n_out, const char *y);

#endif /* PPO_PLUGINS_POLICIES_NET_H */
