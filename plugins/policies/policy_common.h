/* policy_common — what the policy plugins of this tree (mlp, cnn) share: the segment table they
 * declare their parameters in, and the action head of an actor-critic (categorical, diagonal
 * Gaussian with a state-independent log-std, multi-categorical) on top of a linear layer.
 *
 * Compiled into each plugin (policy_common.c); every name is hidden by -fvisibility=hidden, so
 * each plugin exports its entry alone. Not part of the SDK: a third party writes its own or
 * copies these.
 *
 * Left out: networks (each plugin builds its own), gSDE (mlp's alone).
 */
#ifndef PPOFW_POLICY_COMMON_H
#define PPOFW_POLICY_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <ppofw/ppofw.h>

/* room for "pi.dense.4294967295.weight" */
#define PC_NAME_LEN 40

/* A segment table under construction: PyTorch-style names, offsets in declaration order. */
typedef struct pc_table {
    ppo_segment_t *segs; /* (cap) */
    char *names;         /* (cap, PC_NAME_LEN) */
    size_t *offset;      /* (cap) first float of each segment */
    uint32_t n;          /* segments declared */
    uint32_t cap;        /* room */
} pc_table_t;

/* Room for `cap` segments; 0, or -1 when out of memory. Free with pc_table_free. */
int pc_table_init(pc_table_t *t, uint32_t cap);
void pc_table_free(pc_table_t *t);

/* Append a segment (at most cap); returns its index. */
uint32_t pc_table_add(pc_table_t *t, const char *name, uint32_t rows, uint32_t cols,
                      ppo_init_kind_t init, double value, double gain);

/* Append a layer's weight `<prefix>.weight` (out, in) and bias `<prefix>.bias` (out): orthogonal
 * with `gain` and a zero bias, or PyTorch's default uniform(+-1/sqrt(fan_in)) for both (Linear
 * and Conv2d alike, fan_in = in). Returns the weight's index; the bias is the next. */
uint32_t pc_table_add_layer(pc_table_t *t, const char *prefix, uint32_t in, uint32_t out, int ortho,
                            double gain);

/* Total floats of the table's segments. */
size_t pc_table_floats(const pc_table_t *t);

/* A workspace's block of `floats` floats, 64-byte aligned and zeroed, from host->aligned_alloc
 * (free it with host->aligned_free); NULL after host->error naming `policy` and max_batch. */
void *pc_ws_alloc(const ppo_host_t *host, size_t floats, const char *policy, uint32_t max_batch);

/* "discrete", "box", "multi_discrete", ... for messages. */
const char *pc_space_kind_name(ppo_space_kind_t kind);

/* n floats rounded up to a whole number of 64-byte lines. */
size_t pc_line_floats(uint64_t n);

/* The parts of an evaluate: the distribution (part 0), the value function (part 1). */
#define PC_PART_DIST 1u
#define PC_PART_VALUE 2u

/* Common checks of a computing call: parameters bound, a workspace (ws, made for max_batch rows)
 * for B rows. 0, or -1 after host->error naming `what`. */
int pc_check_call(const ppo_host_t *host, const float *params, const void *ws, uint32_t max_batch,
                  uint32_t B, const char *what);

/* A backward of B rows needs the last call on its workspace to have been an evaluate of B rows
 * (last_B; 0 when it was not an evaluate) that computed the parts wanted (last_parts covers
 * parts). 0, or -1 after host->error. */
int pc_check_backward(const ppo_host_t *host, uint32_t last_B, uint32_t last_parts, uint32_t B,
                      uint32_t parts);

/* PC_PART_DIST or PC_PART_VALUE for part 0 or 1 of a policy with separate networks; 0 after
 * host->error naming `what` when the policy is one part (shared) or the part is not 0 or 1. */
uint32_t pc_part_bits(const ppo_host_t *host, int shared, uint32_t part, const char *what);

/* What the policy head is. */
typedef enum pc_head_kind {
    PC_HEAD_CATEGORICAL, /* logits (n) */
    PC_HEAD_GAUSSIAN,    /* means (A) and a state-independent log_std (A) */
    PC_HEAD_MULTI,       /* the logits of each component in turn (sum of nvec) */
} pc_head_kind_t;

/* An action head: a linear layer's outputs (B, n_out) become the distribution (B, P). */
typedef struct pc_head {
    pc_head_kind_t kind;
    uint32_t A;         /* action floats per row: 1, the box's dim, or the components */
    uint32_t P;         /* distribution floats per row */
    uint32_t n_out;     /* outputs of the head layer: n, A, or the sum of nvec */
    uint32_t n_actions; /* categorical: n */
    uint32_t *nvec;     /* multi: (A) choices per component (owned) */
} pc_head_t;

/* The head for an action space: discrete (n >= 2), box (dim >= 1) or multi-discrete (every
 * nvec[k] >= 2). A space the head cannot take is refused through host->error, naming `policy`
 * and what it accepts: -1; 0 otherwise. Free with pc_head_free. */
int pc_head_init(pc_head_t *h, const ppo_host_t *host, const char *policy, const ppo_space_t *act);
void pc_head_free(pc_head_t *h);

/* dist (B, P) from the head layer's outputs out (B, n_out): the logits themselves, or each row's
 * means followed by log_std (A). */
void pc_head_dist(const pc_head_t *h, uint32_t B, const float *out, const float *log_std,
                  float *dist);

/* Sample (or take the mode when deterministic) actions_out (B, A) and logp_out (B) from dist. */
void pc_head_act(const pc_head_t *h, uint32_t B, const float *dist, ppo_rng_t *const *rngs,
                 int deterministic, float *actions_out, float *logp_out);

/* logp, entropy and KL(old || new) of actions under dist (any output may be NULL; KL needs old). */
void pc_head_evaluate(const pc_head_t *h, uint32_t B, const float *dist, const float *actions,
                      const float *old, float *logp_out, float *entropy_out, float *kl_out);

/* Back through the head given dlogp, dentropy, dkl (B each, NULL = zero; dkl needs old): ddist
 * (B, P) is scratch, dout (B, n_out) gets d loss / d (head layer outputs) (for the Gaussian,
 * dout must not be ddist), and the Gaussian ADDS d loss / d log_std into log_std_grad (A). */
void pc_head_backward(const pc_head_t *h, uint32_t B, const float *dist, const float *actions,
                      const float *old, const float *dlogp, const float *dentropy, const float *dkl,
                      float *ddist, float *dout, float *log_std_grad);

#endif /* PPOFW_POLICY_COMMON_H */
