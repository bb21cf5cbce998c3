/* ppofw — dense-layer building blocks any policy can reuse (libppofw helpers).
 *
 * Layers come in forward/backward pairs with explicit dimensions, row-major, with PyTorch's
 * weight convention: a Linear layer from I to O features has W (O, I) and b (O), y = x W^T + b.
 * A handful of rows use loops written for that size, tens to hundreds of rows use hand-written
 * vector kernels chosen for the CPU at run time, and very large batches go through the BLAS the
 * library was built with (single-threaded: threads are the core's). A row's result never
 * depends on the values in other rows, and the same call always repeats exactly. For a handful
 * of rows a row's result does not depend on which rows share the call at all; for larger
 * batches the last bits may depend on the number of rows, so callers that need reproducible
 * results (the core does) use fixed batch sizes. All functions are thread-safe and allocate
 * nothing.
 */
#ifndef PPOFW_NN_H
#define PPOFW_NN_H

#include <stdint.h>

#include <ppofw/export.h>

PPO_BEGIN_DECLS

/* Element-wise activations (ABI 1.0). */
typedef enum ppo_activation {
    PPO_ACTIVATION_IDENTITY = 0,
    PPO_ACTIVATION_TANH = 1,
    PPO_ACTIVATION_RELU = 2,
} ppo_activation_t;

/* y (B, O) = x (B, I) W^T + b. W is (O, I); b (O) may be NULL. y must not alias x. */
PPO_API void ppo_linear_forward(uint32_t B, uint32_t I, uint32_t O, const float *x,
                                const float *W, const float *b, float *y);

/* Backward of ppo_linear_forward given dy (B, O): ADDS dy^T x into dW (O, I) and the column sums
 * of dy into db (O) (may be NULL), and OVERWRITES dx (B, I) = dy W (may be NULL). */
PPO_API void ppo_linear_backward(uint32_t B, uint32_t I, uint32_t O, const float *x,
                                 const float *W, const float *dy, float *dx, float *dW,
                                 float *db);

/* x (n) = act(x) in place. */
PPO_API void ppo_activation_forward(ppo_activation_t act, uint32_t n, float *x);

/* Backward of an activation given its OUTPUT y (n): d (n) *= act'(.) in place. */
PPO_API void ppo_activation_backward(ppo_activation_t act, uint32_t n, const float *y, float *d);

/* tanh of n floats in place, accurate to about 2e-7 absolute, vectorized. */
PPO_API void ppo_tanh(uint32_t n, float *x);

PPO_END_DECLS

#endif /* PPOFW_NN_H */
