/* ppofw — convolution building blocks any policy can reuse (libppofw helpers, ABI 1.2).
 *
 * 2-D convolutions over (B, C, H, W) tensors with PyTorch's conventions, forward and backward,
 * for image observations. Declarations follow.
 */
#ifndef PPOFW_CONV_H
#define PPOFW_CONV_H

#include <stddef.h>
#include <stdint.h>

#include <ppofw/export.h>

PPO_BEGIN_DECLS

PPO_END_DECLS

#endif /* PPOFW_CONV_H */
