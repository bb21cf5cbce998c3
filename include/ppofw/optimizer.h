/* ppofw — the optimizer plugin contract (plugin ABI 1).
 *
 * An optimizer updates the flat parameter array from the flat gradient array. Its per-parameter
 * state (moments, momentum buffers) lives in an array the core owns, state_floats_per_param()
 * floats per parameter laid out as that many consecutive (n) blocks, so the core checkpoints and
 * broadcasts it like the parameters. The core zeroes it before the first step. The learning
 * rate of each step comes from the core's schedule (ppo.lr_schedule scales the optimizer's
 * `lr` parameter, which every optimizer declares).
 */
#ifndef PPOFW_OPTIMIZER_H
#define PPOFW_OPTIMIZER_H

#include <ppofw/plugin.h>

PPO_BEGIN_DECLS

/* The optimizer vtable (ABI 1.0; step_range since 1.1). */
typedef struct ppo_optimizer_vtable {
    uint32_t struct_size; /* sizeof(ppo_optimizer_vtable_t) the plugin was built with */
    uint32_t reserved0;
    /* (required) Make an instance. Return NULL after host->error() on failure. */
    void *(*create)(const ppo_host_t *host, const ppo_params_t *params);
    /* (required) Free the instance. Accepts NULL. */
    void (*destroy)(void *inst);
    /* (required) Floats of state per parameter (0 for plain SGD, 2 for Adam). */
    uint32_t (*state_floats_per_param)(void *inst);
    /* (required) One step: params (n) -= update(grads (n), state (k * n)) at learning rate lr.
     * `t` counts steps from 1 (for bias corrections). Return 0, or < 0 after host->error(). */
    int (*step)(void *inst, float *params, const float *grads, float *state, size_t n, double lr,
                uint64_t t);
    /* (optional, ABI 1.1) The same step for the elements [j0, j1) only: the arrays are the whole
     * ones (n elements; state block i at state + i * n) and only those elements are read and
     * written. Set it when every element's update depends on that element alone (Adam, SGD);
     * the core then splits one step across its threads, calling this concurrently on disjoint
     * ranges that cover [0, n) with the same lr and t, and the result must equal one step()
     * call bit for bit. Must not write inst. NULL (as in ABI 1.0 plugins): step() runs alone. */
    int (*step_range)(void *inst, float *params, const float *grads, float *state, size_t n,
                      size_t j0, size_t j1, double lr, uint64_t t);
    void *reserved[7]; /* NULL */
} ppo_optimizer_vtable_t;

PPO_END_DECLS

#endif /* PPOFW_OPTIMIZER_H */
