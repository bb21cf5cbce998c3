/* ppofw — recurrent building blocks any policy can reuse (libppofw helpers, ABI 1.2).
 *
 * An LSTM cell with PyTorch's gate order and layout, forward and backward through time, for
 * recurrent policies (policy.h, ppo_recurrent_vtable_t). Declarations follow.
 */
#ifndef PPOFW_RNN_H
#define PPOFW_RNN_H

#include <stddef.h>
#include <stdint.h>

#include <ppofw/export.h>

PPO_BEGIN_DECLS

PPO_END_DECLS

#endif /* PPOFW_RNN_H */
