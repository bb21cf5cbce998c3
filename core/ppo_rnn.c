/* ppofw core — the LSTM layer of the SDK (include/ppofw/rnn.h): forward over a batch of
 * sequences, back-propagation through time.
 *
 * Internally every step-indexed buffer is time-major, (L, n_seq, .), so that one step's rows of
 * all sequences are contiguous for the recurrent product; the caller's sequence-major rows are
 * gathered and scattered at the edges (a no-op when L or n_seq is 1, where both layouts agree).
 * The matrix products go through ppo_linear_forward/ppo_linear_backward: the input projection
 * and the weight gradients as one call over all n_seq L rows, the recurrent product one call per
 * step. The element-wise work is plain loops, each element computed from its own row alone.
 *
 * The workspace holds a record that backward reads (the activated gates, the state each step
 * started from after any reset, tanh of each new cell state, the reset flags) and scratch that
 * either pass overwrites (the input projection or the sequence-major gate gradients, the
 * time-major gate gradients, one step's product, the running state or its gradient).
 *
 * Left out: peepholes, projections (PyTorch's proj_size), dropout, bidirectional layers, GRU.
 */
#include "config.h"

#include <string.h>

#include <ppofw/nn.h>
#include <ppofw/rnn.h>

/* Floats rounded up to a whole number of 64-byte lines. */
static size_t lstm_line(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* The workspace's regions, in floats from its start. */
typedef struct lstm_ws {
    float *gates; /* record (L, n_seq, 4H): i, f, g, o after their activations */
    float *hp;    /* record (L, n_seq, H): h each step started from (after a reset) */
    float *cp;    /* record (L, n_seq, H): c each step started from (after a reset) */
    float *tc;    /* record (L, n_seq, H): tanh of each step's new c */
    float *reset; /* record (L, n_seq): 1 where the state was reset before the step */
    float *dgt;   /* scratch (L, n_seq, 4H): d loss / d gate pre-activations, time-major */
    float *seq;   /* scratch (n_seq L, 4H): forward's input projection, backward's gate
                     gradients, both sequence-major (unused when L or n_seq is 1) */
    float *step;  /* scratch (n_seq, 4H): one step's recurrent product, or d loss / d h */
    float *hcur;  /* scratch (n_seq, H): the running h, or d loss / d h */
    float *ccur;  /* scratch (n_seq, H): the running c, or d loss / d c */
    float *dinit; /* scratch (2H): d loss / d state_init, summed before it is added */
    size_t R;     /* n_seq L rows */
    size_t H4;    /* 4H gate pre-activations per row */
    size_t NH;    /* n_seq H: one step's h of all sequences */
    int same;     /* 1 when the sequence-major and time-major layouts agree (L or n_seq is 1) */
} lstm_ws_t;

/* Region sizes in floats for R = n_seq L rows; returns the total, or 0 when a size does not fit
 * the 32-bit counts the nn.h calls take or a size_t. With base not NULL, also points the regions
 * into base. */
static size_t lstm_layout(uint32_t n_seq, uint32_t L, uint32_t H, float *base, lstm_ws_t *w)
{
    const uint64_t R = (uint64_t)n_seq * L, H4 = (uint64_t)4 * H;
    const uint64_t per_row = 15 * (uint64_t)H + 1, per_seq = 6 * (uint64_t)H;
    const uint64_t limit = (uint64_t)(SIZE_MAX / sizeof(float)) - 176 - 2 * (uint64_t)H;
    if (R > UINT32_MAX || H4 > UINT32_MAX || R > limit / per_row ||
        (per_seq > 0 && n_seq > (limit - R * per_row) / per_seq))
        return 0;
    const size_t sizes[11] = {R * H4,
                              R * H,
                              R * H,
                              R * H,
                              R,
                              R * H4,
                              R * H4,
                              (size_t)n_seq * H4,
                              (size_t)n_seq * H,
                              (size_t)n_seq * H,
                              (size_t)2 * H};
    float **slots[11] = {&w->gates, &w->hp,   &w->cp,   &w->tc,   &w->reset, &w->dgt,
                         &w->seq,   &w->step, &w->hcur, &w->ccur, &w->dinit};
    w->R = R;
    w->H4 = H4;
    w->NH = (size_t)n_seq * H;
    w->same = L == 1 || n_seq == 1;
    size_t at = 0;
    for (int k = 0; k < 11; k++) {
        if (base != NULL)
            *slots[k] = base + at;
        at += lstm_line(sizes[k]);
    }
    return at;
}

size_t ppo_lstm_ws_floats(uint32_t n_seq, uint32_t L, uint32_t I, uint32_t H)
{
    (void)I; /* the workspace keeps no copy of the input */
    lstm_ws_t w;
    return lstm_layout(n_seq, L, H, NULL, &w);
}

/* ppo_tanh over n floats, in calls that fit its 32-bit count (it works element by element, so the
 * cut changes nothing). */
static void lstm_tanh(size_t n, float *x)
{
    const size_t chunk = (size_t)1 << 30;
    for (size_t i = 0; i < n; i += chunk)
        ppo_tanh((uint32_t)(n - i < chunk ? n - i : chunk), x + i);
}

/* Copy rows between the sequence-major (n_seq L, width) and time-major (L, n_seq, width)
 * layouts; to_time selects the direction. */
static void lstm_permute(uint32_t n_seq, uint32_t L, size_t width, const float *src, float *dst,
                         int to_time)
{
    for (uint32_t s = 0; s < n_seq; s++)
        for (uint32_t t = 0; t < L; t++) {
            const size_t seq_row = (size_t)s * L + t, time_row = (size_t)t * n_seq + s;
            const size_t from = to_time ? seq_row : time_row, to = to_time ? time_row : seq_row;
            memcpy(dst + to * width, src + from * width, width * sizeof(float));
        }
}

/* Split states (n_seq, 2H) into h and c (n_seq, H) each; NULL states are zeros. */
static void lstm_split(uint32_t n_seq, uint32_t H, const float *state, float *h, float *c)
{
    for (uint32_t s = 0; s < n_seq; s++) {
        if (state != NULL) {
            memcpy(h + (size_t)s * H, state + (size_t)s * 2 * H, H * sizeof(float));
            memcpy(c + (size_t)s * H, state + (size_t)s * 2 * H + H, H * sizeof(float));
        } else {
            memset(h + (size_t)s * H, 0, H * sizeof(float));
            memset(c + (size_t)s * H, 0, H * sizeof(float));
        }
    }
}

/* Join h and c (n_seq, H) each into states (n_seq, 2H). */
static void lstm_join(uint32_t n_seq, uint32_t H, const float *h, const float *c, float *state)
{
    for (uint32_t s = 0; s < n_seq; s++) {
        memcpy(state + (size_t)s * 2 * H, h + (size_t)s * H, H * sizeof(float));
        memcpy(state + (size_t)s * 2 * H + H, c + (size_t)s * H, H * sizeof(float));
    }
}

/* The state step t of every sequence starts from: a reset where starts says so, else the running
 * state (hcur, ccur). Records it in hp/cp and the flags in reset. */
static void lstm_enter_step(uint32_t n_seq, uint32_t L, uint32_t H, uint32_t t, const float *starts,
                            const float *state_init, lstm_ws_t *w)
{
    float *hp = w->hp + (size_t)t * n_seq * H, *cp = w->cp + (size_t)t * n_seq * H;
    float *reset = w->reset + (size_t)t * n_seq;
    for (uint32_t s = 0; s < n_seq; s++) {
        const int r = starts != NULL && starts[(size_t)s * L + t] != 0.0f;
        reset[s] = r ? 1.0f : 0.0f;
        float *h = hp + (size_t)s * H, *c = cp + (size_t)s * H;
        if (!r) {
            memcpy(h, w->hcur + (size_t)s * H, H * sizeof(float));
            memcpy(c, w->ccur + (size_t)s * H, H * sizeof(float));
        } else if (state_init != NULL) {
            memcpy(h, state_init, H * sizeof(float));
            memcpy(c, state_init + H, H * sizeof(float));
        } else {
            memset(h, 0, H * sizeof(float));
            memset(c, 0, H * sizeof(float));
        }
    }
}

/* Activate one step's gate pre-activations G (n_seq, 4H) in place: sigmoid on i, f and o as
 * 0.5 tanh(z / 2) + 0.5, tanh on g, all through one ppo_tanh call. */
static void lstm_activate(uint32_t n_seq, uint32_t H, float *G)
{
    const size_t H4 = (size_t)4 * H;
    for (uint32_t s = 0; s < n_seq; s++) {
        float *row = G + s * H4;
        for (size_t j = 0; j < 2 * (size_t)H; j++)
            row[j] *= 0.5f;
        for (size_t j = 3 * (size_t)H; j < H4; j++)
            row[j] *= 0.5f;
    }
    lstm_tanh(n_seq * H4, G);
    for (uint32_t s = 0; s < n_seq; s++) {
        float *row = G + s * H4;
        for (size_t j = 0; j < 2 * (size_t)H; j++)
            row[j] = 0.5f * row[j] + 0.5f;
        for (size_t j = 3 * (size_t)H; j < H4; j++)
            row[j] = 0.5f * row[j] + 0.5f;
    }
}

void ppo_lstm_forward(uint32_t n_seq, uint32_t L, uint32_t I, uint32_t H, const float *x,
                      const float *W_ih, const float *W_hh, const float *b_ih, const float *b_hh,
                      const float *state0, const float *starts, const float *state_init,
                      float *h_out, float *state_out, float *ws)
{
    if (n_seq == 0 || L == 0 || H == 0)
        return;
    lstm_ws_t w;
    lstm_layout(n_seq, L, H, ws, &w);
    const size_t R = w.R, H4 = w.H4, NH = w.NH;

    /* the input projection of every step at once, then time-major into the gates */
    ppo_linear_forward((uint32_t)R, I, (uint32_t)H4, x, W_ih, b_ih, w.same ? w.gates : w.seq);
    if (!w.same)
        lstm_permute(n_seq, L, H4, w.seq, w.gates, 1);

    /* the running state starts from state0 (read before state_out, which may alias it) */
    lstm_split(n_seq, H, state0, w.hcur, w.ccur);

    for (uint32_t t = 0; t < L; t++) {
        lstm_enter_step(n_seq, L, H, t, starts, state_init, &w);
        const float *hp = w.hp + (size_t)t * NH, *cp = w.cp + (size_t)t * NH;
        float *G = w.gates + (size_t)t * n_seq * H4, *tc = w.tc + (size_t)t * NH;

        /* gates: the input part plus h W_hh^T + b_hh, then their activations */
        ppo_linear_forward(n_seq, H, (uint32_t)H4, hp, W_hh, b_hh, w.step);
        for (size_t k = 0; k < n_seq * H4; k++)
            G[k] += w.step[k];
        lstm_activate(n_seq, H, G);

        /* c' = f c + i g, kept in ccur and (to be tanh'ed) in tc; h' = o tanh(c') */
        for (uint32_t s = 0; s < n_seq; s++) {
            const float *gi = G + s * H4, *gf = gi + H, *gg = gf + H;
            for (uint32_t j = 0; j < H; j++) {
                const float c = gf[j] * cp[(size_t)s * H + j] + gi[j] * gg[j];
                w.ccur[(size_t)s * H + j] = c;
                tc[(size_t)s * H + j] = c;
            }
        }
        lstm_tanh(NH, tc);
        for (uint32_t s = 0; s < n_seq; s++) {
            const float *go = G + s * H4 + 3 * (size_t)H;
            float *h = h_out + ((size_t)s * L + t) * H;
            for (uint32_t j = 0; j < H; j++) {
                const float v = go[j] * tc[(size_t)s * H + j];
                w.hcur[(size_t)s * H + j] = v;
                h[j] = v;
            }
        }
    }

    if (state_out != NULL)
        lstm_join(n_seq, H, w.hcur, w.ccur, state_out);
}

void ppo_lstm_backward(uint32_t n_seq, uint32_t L, uint32_t I, uint32_t H, const float *x,
                       const float *W_ih, const float *W_hh, const float *dh_out,
                       const float *dstate_out, float *dx, float *dstate0, float *dstate_init,
                       float *dW_ih, float *dW_hh, float *db_ih, float *db_hh, float *ws)
{
    if (n_seq == 0 || L == 0 || H == 0)
        return;
    lstm_ws_t w;
    lstm_layout(n_seq, L, H, ws, &w);
    const size_t R = w.R, H4 = w.H4, NH = w.NH;
    float *dh = w.hcur, *dc = w.ccur; /* the gradient carried back into the running state */
    memset(w.dinit, 0, (size_t)2 * H * sizeof(float));

    lstm_split(n_seq, H, dstate_out, dh, dc);

    for (uint32_t t = L; t-- > 0;) {
        const float *G = w.gates + (size_t)t * n_seq * H4, *tc = w.tc + (size_t)t * NH;
        const float *cp = w.cp + (size_t)t * NH, *reset = w.reset + (size_t)t * n_seq;
        float *dG = w.dgt + (size_t)t * n_seq * H4;

        /* through h' = o tanh(c') and c' = f c + i g to the gates' pre-activations */
        for (uint32_t s = 0; s < n_seq; s++) {
            const float *gi = G + s * H4, *gf = gi + H, *gg = gf + H, *go = gg + H;
            float *di = dG + s * H4, *df = di + H, *dg = df + H, *dout = dg + H;
            const float *dho = dh_out != NULL ? dh_out + ((size_t)s * L + t) * H : NULL;
            for (uint32_t j = 0; j < H; j++) {
                const size_t k = (size_t)s * H + j;
                const float dhk = dho != NULL ? dh[k] + dho[j] : dh[k];
                const float tck = tc[k];
                const float dct = dc[k] + dhk * go[j] * (1.0f - tck * tck);
                dout[j] = dhk * tck * go[j] * (1.0f - go[j]);
                di[j] = dct * gg[j] * gi[j] * (1.0f - gi[j]);
                df[j] = dct * cp[k] * gf[j] * (1.0f - gf[j]);
                dg[j] = dct * gi[j] * (1.0f - gg[j] * gg[j]);
                dc[k] = dct * gf[j];
            }
        }

        /* into the state the step started from: d h = dG W_hh; a reset sends it to state_init */
        ppo_linear_backward(n_seq, H, (uint32_t)H4, NULL, W_hh, dG, w.step, NULL, NULL);
        for (uint32_t s = 0; s < n_seq; s++) {
            float *dhs = dh + (size_t)s * H, *dcs = dc + (size_t)s * H;
            const float *dhp = w.step + (size_t)s * H;
            if (reset[s] == 0.0f) {
                memcpy(dhs, dhp, H * sizeof(float));
                continue;
            }
            for (uint32_t j = 0; j < H; j++) {
                w.dinit[j] += dhp[j];
                w.dinit[H + j] += dcs[j];
            }
            memset(dhs, 0, H * sizeof(float));
            memset(dcs, 0, H * sizeof(float));
        }
    }
    if (dstate_init != NULL)
        for (uint32_t j = 0; j < 2 * H; j++)
            dstate_init[j] += w.dinit[j];
    if (dstate0 != NULL)
        lstm_join(n_seq, H, dh, dc, dstate0);

    /* the weight gradients over all steps at once: W_hh against the states steps started from
     * (both time-major), W_ih and the input against x (both sequence-major) */
    if (dW_hh != NULL)
        ppo_linear_backward((uint32_t)R, H, (uint32_t)H4, w.hp, W_hh, w.dgt, NULL, dW_hh, NULL);
    const float *dseq = w.dgt;
    if (!w.same) {
        lstm_permute(n_seq, L, H4, w.dgt, w.seq, 0);
        dseq = w.seq;
    }
    if (dx != NULL || dW_ih != NULL || db_ih != NULL)
        ppo_linear_backward((uint32_t)R, I, (uint32_t)H4, x, W_ih, dseq, dx, dW_ih, db_ih);
    /* b_hh's gradient is b_ih's: the same column sums in the same row order */
    if (db_hh != NULL)
        for (size_t o = 0; o < H4; o++) {
            float acc = 0.0f;
            for (size_t r = 0; r < R; r++)
                acc += dseq[r * H4 + o];
            db_hh[o] += acc;
        }
}
