/* ppofw — dense-layer building blocks any policy can reuse (libppofw helpers): Linear layers,
 * activations, layer normalization.
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
 * of dy into db (O) (may be NULL), and OVERWRITES dx (B, I) = dy W (may be NULL). dW and db
 * accumulate over calls (gradients of the parameters of a whole batch); dx is the gradient of
 * this layer's input alone. Use ppo_linear_backward_add when the input also feeds something else.
 */
PPO_API void ppo_linear_backward(uint32_t B, uint32_t I, uint32_t O, const float *x,
                                 const float *W, const float *dy, float *dx, float *dW,
                                 float *db);

/* ppo_linear_backward, except that it ADDS dy W into dx (B, I) instead of overwriting it (ABI
 * 1.2): for an input that several layers read (a trunk shared by the distribution and the value
 * heads, a residual connection), whose gradient is the sum of theirs. Each dx element gets the sum
 * ppo_linear_backward would write added to it, so overwriting a zeroed dx and adding into it
 * give the same bits. */
PPO_API void ppo_linear_backward_add(uint32_t B, uint32_t I, uint32_t O, const float *x,
                                     const float *W, const float *dy, float *dx, float *dW,
                                     float *db);

/* Layer normalization (ABI 1.2), PyTorch's nn.LayerNorm over the N features of each row:
 * y (B, N) = (x - mean) * rstd * gain + bias, with mean and rstd = 1 / sqrt(var + eps) of the
 * row's N values (var the biased variance; both computed in double, then rounded to float). gain
 * (N) and bias (N) may be NULL (1 and 0). stats_out (B, 2) receives each row's mean and rstd for
 * the backward pass (may be NULL). y must not alias x. PyTorch's default eps is 1e-5. */
PPO_API void ppo_layernorm_forward(uint32_t B, uint32_t N, const float *x, const float *gain,
                                   const float *bias, float eps, float *y, float *stats_out);

/* Backward of ppo_layernorm_forward given dy (B, N), the same x and gain, and the stats it wrote:
 * ADDS the gradients of gain and bias (sums over the rows) into dgain (N) and dbias (N) (either may
 * be NULL), and OVERWRITES dx (B, N) (may be NULL) with the gradient of x, including the paths
 * through the mean and the variance. */
PPO_API void ppo_layernorm_backward(uint32_t B, uint32_t N, const float *x, const float *gain,
                                    const float *stats, const float *dy, float *dx, float *dgain,
                                    float *dbias);

/* ppo_layernorm_backward, except that it ADDS the gradient of x into dx (ABI 1.2), as
 * ppo_linear_backward_add does: for a residual block y = x + f(layernorm(x)). */
PPO_API void ppo_layernorm_backward_add(uint32_t B, uint32_t N, const float *x, const float *gain,
                                        const float *stats, const float *dy, float *dx,
                                        float *dgain, float *dbias);

/* x (n) = act(x) in place. */
PPO_API void ppo_activation_forward(ppo_activation_t act, uint32_t n, float *x);

/* Backward of an activation given its OUTPUT y (n): d (n) *= act'(.) in place. */
PPO_API void ppo_activation_backward(ppo_activation_t act, uint32_t n, const float *y, float *d);

/* tanh of n floats in place, accurate to about 2e-7 absolute, vectorized. */
PPO_API void ppo_tanh(uint32_t n, float *x);

PPO_END_DECLS

#endif /* PPOFW_NN_H */
