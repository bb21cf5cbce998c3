/* ppofw — recurrent building blocks any policy can reuse (libppofw helpers, ABI 1.2).
 *
 * An LSTM layer with PyTorch's conventions, forward over a batch of sequences and backward
 * through time, for recurrent policies (policy.h, ppo_recurrent_vtable_t). Stack layers by feeding
 * one layer's h_out to the next as its x; put dense layers (nn.h) before or after.
 *
 * The cell. A layer from I inputs to H hidden units has W_ih (4H, I), W_hh (4H, H), b_ih (4H) and
 * b_hh (4H), the four gates stacked in PyTorch's order i, f, g, o (so PyTorch's weight_ih_l0,
 * weight_hh_l0, bias_ih_l0 and bias_hh_l0 load unchanged). At each step, from the input x and the
 * state (h, c):
 *
 *   (i, f, g, o) = split(x W_ih^T + b_ih + h W_hh^T + b_hh)
 *   i, f, o = sigmoid(.), g = tanh(.)
 *   c' = f * c + i * g,  h' = o * tanh(c')
 *
 * with sigmoid(z) computed as 0.5 tanh(z / 2) + 0.5 and tanh as ppo_tanh (nn.h). Either bias may
 * be NULL (zero).
 *
 * Layouts. A state is H floats of h followed by H floats of c: a row of 2H floats. A call runs
 * n_seq sequences of L steps laid out sequence-major, as policy.h's recurrent evaluate gets them:
 * row s * L + t of x (n_seq L, I), of h_out (n_seq L, H) and of starts (n_seq L) is step t of
 * sequence s. Sequence s starts from row s of state0 (n_seq, 2H). When starts[s * L + t] is not
 * zero, the state is reset before step t: to state_init (2H) when given, else to zeros (which is
 * what multiplying the carried state by (1 - start) does, as sb3-contrib's RecurrentPPO and
 * CleanRL do). One call with L = 1 is one step of n_seq independent rows (a policy's act).
 *
 * Workspaces. Each call works in a caller-owned workspace of ppo_lstm_ws_floats() floats;
 * forward keeps there what backward needs, so backward must get the workspace of the last
 * forward of the same layer and shapes, untouched in between. The size grows with n_seq L and
 * with n_seq, so ppo_lstm_ws_floats(R, 1, I, H) serves every call with n_seq L <= R.
 *
 * Determinism. The matrix products are ppo_linear_forward/ppo_linear_backward (nn.h) calls: the
 * input projection over all n_seq L rows at once, the recurrent one per step over n_seq rows.
 * So nn.h's rule carries over: a sequence's results never depend on the values in the other
 * sequences of the call, the same call repeats exactly, and the last bits may depend on n_seq and
 * L (callers that need reproducible results use fixed shapes, as the core does). Nothing here
 * allocates; the functions are thread-safe on distinct workspaces and outputs.
 */
#ifndef PPOFW_RNN_H
#define PPOFW_RNN_H

#include <stddef.h>
#include <stdint.h>

#include <ppofw/export.h>

PPO_BEGIN_DECLS

/* Floats of the workspace that ppo_lstm_forward and ppo_lstm_backward need for n_seq sequences of
 * L steps of a layer from I inputs to H hidden units (ABI 1.2). It is at most
 * ppo_lstm_ws_floats(n_seq L, 1, I, H). Returns 0 for shapes the layer cannot run: n_seq L or 4H
 * above 2^32 - 1, or a size that does not fit in a size_t. */
PPO_API size_t ppo_lstm_ws_floats(uint32_t n_seq, uint32_t L, uint32_t I, uint32_t H);

/* Run an LSTM layer over n_seq sequences of L steps (ABI 1.2); shapes and layouts above.
 * x (n_seq L, I); W_ih (4H, I), W_hh (4H, H), b_ih and b_hh (4H) or NULL; state0 (n_seq, 2H) the
 * state each sequence starts from, or NULL for zeros; starts (n_seq L) episode-start flags or NULL
 * for none; state_init (2H) the state a start resets to, or NULL for zeros. Writes h_out
 * (n_seq L, H), the hidden output of every step, and state_out (n_seq, 2H), each sequence's state
 * after its last step, when not NULL (it may be the same array as state0). ws: a workspace of
 * ppo_lstm_ws_floats(n_seq, L, I, H) floats, overwritten. x and h_out must not overlap. */
PPO_API void ppo_lstm_forward(uint32_t n_seq, uint32_t L, uint32_t I, uint32_t H, const float *x,
                              const float *W_ih, const float *W_hh, const float *b_ih,
                              const float *b_hh, const float *state0, const float *starts,
                              const float *state_init, float *h_out, float *state_out, float *ws);

/* Back-propagation through time of the last ppo_lstm_forward on ws, with the same n_seq, L, I, H,
 * x and weights (ABI 1.2). Given dh_out (n_seq L, H) = d loss / d h_out and dstate_out
 * (n_seq, 2H) = d loss / d state_out (either NULL = zero):
 *   OVERWRITES dx (n_seq L, I) = d loss / d x and dstate0 (n_seq, 2H) = d loss / d state0;
 *   ADDS d loss / d W_ih into dW_ih (4H, I), d loss / d W_hh into dW_hh (4H, H), d loss / d b_ih
 *   into db_ih (4H), d loss / d b_hh into db_hh (4H) and d loss / d state_init into dstate_init
 *   (2H; the sum over the steps a start reset), as ppo_linear_backward adds into its dW.
 * Every output may be NULL (not computed). x is needed only for dW_ih. A start cuts the
 * gradient: nothing flows from a reset step into the state before it. ws is left as forward
 * left it, apart from its scratch, so backward may run again on it. */
PPO_API void ppo_lstm_backward(uint32_t n_seq, uint32_t L, uint32_t I, uint32_t H, const float *x,
                               const float *W_ih, const float *W_hh, const float *dh_out,
                               const float *dstate_out, float *dx, float *dstate0,
                               float *dstate_init, float *dW_ih, float *dW_hh, float *db_ih,
                               float *db_hh, float *ws);

PPO_END_DECLS

#endif /* PPOFW_RNN_H */
