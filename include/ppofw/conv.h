/* ppofw — convolution building blocks any policy can reuse (libppofw helpers, ABI 1.2).
 *
 * 2-D convolutions and average pooling over batches of images with PyTorch's conventions:
 * tensors are row-major (B, C, H, W) (channels first, as PyTorch's Conv2d and MinAtar's
 * observations), a convolution from C to O channels has the weight (O, C, KH, KW) and the bias
 * (O), zero padding adds pad_h rows above and below and pad_w columns left and right, and the
 * output (B, O, Ho, Wo) has Ho = (H + 2 pad_h - KH) / stride_h + 1 (rounded down), Wo likewise.
 * Flattening one sample's output row-major gives PyTorch's flatten order (o, h, w), so a dense
 * layer can read it directly.
 *
 * A layer's geometry is a ppo_conv_shape_t, checked once with ppo_conv_shape_check, which refuses
 * what does not fit and computes the output size. The forward and backward calls take a
 * caller-owned workspace of ppo_conv_workspace_floats() floats, the same for every batch size, and
 * allocate nothing. They are thread-safe: calls on different workspaces may run at once.
 *
 * Determinism. The forward computes each output as the sum of x[c][ih][iw] W[o][c][kh][kw] over
 * (c, kh, kw) in that order, started from zero, plus the bias: a sample's output depends on that
 * sample alone, bit for bit, whatever other samples share the call and whatever B is (a stronger
 * rule than nn.h's Linear layer). The backward's dx is likewise the sample's own. dW and db sum
 * over the batch in an order fixed by the shape and B, so the same call always repeats exactly;
 * callers that need reproducible results use fixed batch sizes, as with nn.h. The kernels are
 * picked for the CPU at run time (AVX-512, AVX2 with FMA, or the baseline); a given machine
 * always runs the same ones, and the baseline's last bits differ because it does not fuse
 * multiply-adds.
 */
#ifndef PPOFW_CONV_H
#define PPOFW_CONV_H

#include <stddef.h>
#include <stdint.h>

#include <ppofw/export.h>

PPO_BEGIN_DECLS

/* The geometry of one convolution or pooling layer (ABI 1.2). Fill the input fields (a
 * designated initializer leaves the rest zero), then call ppo_conv_shape_check, which sets
 * out_height and out_width. The reserved fields must be zero: a later minor may give them a
 * meaning (dilation, groups) whose zero value is what this version does. */
typedef struct ppo_conv_shape {
    uint32_t in_channels;  /* C, >= 1 */
    uint32_t in_height;    /* H, >= 1 */
    uint32_t in_width;     /* W, >= 1 */
    uint32_t out_channels; /* O, >= 1 (pooling: equal to C) */
    uint32_t kernel_h;     /* KH, >= 1 */
    uint32_t kernel_w;     /* KW, >= 1 */
    uint32_t stride_h;     /* >= 1 */
    uint32_t stride_w;     /* >= 1 */
    uint32_t pad_h;        /* zero rows added above and below, < KH */
    uint32_t pad_w;        /* zero columns added left and right, < KW */
    uint32_t out_height;   /* Ho, set by ppo_conv_shape_check */
    uint32_t out_width;    /* Wo, set by ppo_conv_shape_check */
    uint32_t reserved[4];  /* zero */
} ppo_conv_shape_t;

/* Check a shape and compute its out_height and out_width. Returns 0, or -1 when a size is zero,
 * a padding is not smaller than its kernel, the kernel does not fit the padded image, a
 * reserved field is not zero, or a tensor would have 2^31 elements or more per sample; then
 * `why` (why_size bytes, may be NULL) holds a sentence saying which and what would fit, e.g.
 * "the 3x3 kernel does not fit the 2x2 image (padded by 0)", and out_height and out_width are 0.
 * The other calls of this header need a checked shape. */
PPO_API int ppo_conv_shape_check(ppo_conv_shape_t *shape, char *why, size_t why_size);

/* Floating-point operations of one sample's forward convolution, counting a multiply-add as 2:
 * 2 C KH KW O Ho Wo (the bias and the padding are not counted). */
PPO_API double ppo_conv_flops(const ppo_conv_shape_t *shape);

/* Floats of workspace ppo_conv_forward and ppo_conv_backward need for this shape, whatever the
 * batch size. Give them at least that many floats, 64-byte aligned for speed (any float alignment
 * is correct). The contents need no initialization and are garbage afterwards. */
PPO_API size_t ppo_conv_workspace_floats(const ppo_conv_shape_t *shape);

/* y (B, O, Ho, Wo) = the convolution of x (B, C, H, W) with W (O, C, KH, KW) plus b (O) (may be
 * NULL: no bias). ws: see ppo_conv_workspace_floats. y must not alias x, W or ws. */
PPO_API void ppo_conv_forward(const ppo_conv_shape_t *shape, uint32_t B, const float *x,
                              const float *W, const float *b, float *y, float *ws);

/* Backward of ppo_conv_forward given dy (B, O, Ho, Wo): ADDS d loss / d W into dW (O, C, KH, KW)
 * and d loss / d b into db (O) (may be NULL), and OVERWRITES dx (B, C, H, W) = d loss / d x (may
 * be NULL, as for a network's first layer, which saves the work). x and W are the forward's
 * inputs. ws: see ppo_conv_workspace_floats. No output may alias an input or ws. As
 * ppo_linear_backward, so a caller can accumulate several batches into one gradient. */
PPO_API void ppo_conv_backward(const ppo_conv_shape_t *shape, uint32_t B, const float *x,
                               const float *W, const float *dy, float *dx, float *dW, float *db,
                               float *ws);

/* Average pooling (PyTorch's AvgPool2d with count_include_pad): y (B, C, Ho, Wo) is the mean of
 * each KH x KW window of x (B, C, H, W), zero padding counted, so every window divides by
 * KH KW. The shape's out_channels must equal in_channels. y must not alias x. */
PPO_API void ppo_avg_pool_forward(const ppo_conv_shape_t *shape, uint32_t B, const float *x,
                                  float *y);

/* Backward of ppo_avg_pool_forward given dy (B, C, Ho, Wo): OVERWRITES dx (B, C, H, W). */
PPO_API void ppo_avg_pool_backward(const ppo_conv_shape_t *shape, uint32_t B, const float *dy,
                                   float *dx);

PPO_END_DECLS

#endif /* PPOFW_CONV_H */
