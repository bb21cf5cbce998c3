/* ppofw core — dense-layer helpers for policies (include/ppofw/nn.h): Linear forward/backward,
 * element-wise activations and a vectorized tanh.
 *
 * Three code paths compute a Linear layer, chosen by the shapes alone:
 *   - forward with fewer than PPO_NN_SMALL_ROWS rows, or fewer than 8 outputs (policy heads): the
 *     "small" loops, one dot product per output (what collection runs, a handful of envs per
 *     chunk);
 *   - up to PPO_NN_BLAS_MIN_ROWS rows (and inputs that fit the stack panel): the "panel" kernels
 *     below, register-blocked multiply-adds with no packing and no call overhead, which is what
 *     the update's gradient chunks run;
 *   - more rows, or wider inputs: OpenBLAS's sgemm, run single-threaded because the threads are
 *     the core's.
 * Backward uses the panel kernels for every batch below PPO_NN_BLAS_MIN_ROWS rows.
 *
 * The rule for a row's result. Small path: each output is one dot product in a fixed order over
 * that row alone (see forward_small). Panel path: each output is the bias plus the sum of
 * x[i] W[o][i] accumulated one input after another in input order from zero; dx[i] sums
 * dy[o] W[o][i] in output order (ppo_linear_backward_add then adds that sum to dx[i]); dW[o][i]
 * adds the sum over the rows in row order, started from zero, to dW; db likewise. None of these
 * depends on the blocking, the vector width or the other rows, so below PPO_NN_SMALL_ROWS rows,
 * and again from there up to PPO_NN_BLAS_MIN_ROWS, a row's result is the same bit for bit
 * whatever other rows share the call and whatever B is. Across
 * the thresholds the last bits (about 1e-7 relative) change; on the sgemm path OpenBLAS's
 * blocking depends on the sizes. The core cuts its work into chunks of fixed sizes, so a run
 * still repeats bit for bit.
 *
 * Kernels are compiled for x86-64-v4 (AVX-512), x86-64-v3 (AVX2 and FMA) and the baseline, and
 * the one for this CPU is picked once at run time. v4 and v3 compute the same fused multiply-adds
 * in the same order and give identical results; the baseline rounds products separately, so its
 * last bits differ. A given machine always runs the same kernels.
 *
 * Left out: convolutions (core/ppo_conv.c), normalization layers (core/ppo_layernorm.c),
 * anything stateful. Nothing here allocates.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <ppofw/nn.h>

#include "ppo_simd_private.h"

#include <cblas.h>
/* OpenBLAS's cblas.h pulls in <complex.h>, whose macro I would shadow the input count */
#undef I

/* Forward calls with fewer rows than this take the small loops: the panel kernels transpose the
 * layer's weights on every call, which a handful of rows cannot pay for. Measured with OpenBLAS
 * 0.3.21 (one thread, its AVX-512 kernels) on a 2-core AVX-512 Xeon, a 64x64 layer: 4 rows take
 * 0.36 us in the small loops against 0.38 us in sgemm, 8 rows 0.71 against 0.69 us. The core's
 * collection chunks (8 envs) stay on the loops. */
#define PPO_NN_SMALL_ROWS 16u
/* Calls with at least this many rows use sgemm. Measured as above (one thread, AVX-512 kernels on
 * both sides): for 64x64 layers the panel kernels run the forward at 150 to 190 GFLOP/s from 32
 * to 511 rows against sgemm's 85 to 140, and the backward (dW, dx, db) at 183 to 196 against 135
 * to 204; for 256x256 at 511 rows 193 against 169 (forward) and even (backward). OpenBLAS's
 * packing and dispatch cost dominate at these sizes; its larger blocking pays off only for
 * bigger calls. */
#define PPO_NN_BLAS_MIN_ROWS 1024u
/* widest input the panel forward packs on the stack (16 outputs x this many floats per panel) */
#define PPO_NN_PANEL_MAX_IN 256u

/* The Linear kernels are instantiated per instruction set and picked at run time (below);
 * tanh and the element-wise helpers are compiled for x86-64-v4, x86-64-v3 and the baseline by
 * GCC's target_clones (core/ppo_simd_private.h). */

/* ---- BLAS setup ---- */

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_init(void)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    /* the core runs its own worker threads; BLAS must not start more */
    openblas_set_num_threads(1);
#endif
}

static inline void blas_ready(void)
{
    pthread_once(&blas_once, blas_init);
}

/* ---- Linear: the small loops ---- */

/* The small path computes each output y[r][o] as one dot product in a fixed order: sixteen lane
 * sums, lane m summing x[i] w[i] over i = m (mod 16), i < I16 = I & ~15, in order of i; lanes m
 * and m + 8 added, giving eight lane sums l0..l7 that are added as
 * ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)); then the remaining inputs i = I16 .. I-1 one
 * by one; then the bias. Several outputs (or rows) at a time run as independent accumulators
 * whose lane sums are reduced together with shuffles, in that same tree; sixteen lanes are one
 * AVX-512 register or two AVX2 registers, with the same arithmetic lane for lane. */

/* pairwise sums within each half: (a0+a1, a2+a3, b0+b1, b2+b3, a4+a5, a6+a7, b4+b5, b6+b7) */
#define HADD8(a, b)                                                                                \
    (__builtin_shufflevector((a), (b), 0, 2, 8, 10, 4, 6, 12, 14) +                                \
     __builtin_shufflevector((a), (b), 1, 3, 9, 11, 5, 7, 13, 15))
/* the tree of one accumulator, for a single output */
#define HSUM8(a) ((((a)[0] + (a)[1]) + ((a)[2] + (a)[3])) + (((a)[4] + (a)[5]) + ((a)[6] + (a)[7])))
/* two 16-lane sums folded (lanes m and m + 8 added) side by side: (fold(a), fold(b)) */
#define PAIRFOLD16(a, b)                                                                           \
    (__builtin_shufflevector((a), (b), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +    \
     __builtin_shufflevector((a), (b), 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30,   \
                             31))
/* HADD8 in each 8-lane half */
#define HADD16(a, b)                                                                               \
    (__builtin_shufflevector((a), (b), 0, 2, 16, 18, 4, 6, 20, 22, 8, 10, 24, 26, 12, 14, 28,      \
                             30) +                                                                 \
     __builtin_shufflevector((a), (b), 1, 3, 17, 19, 5, 7, 21, 23, 9, 11, 25, 27, 13, 15, 29, 31))
/* lanes m and m + 8 of a 16-lane sum */
#define FOLD16(v)                                                                                  \
    (__builtin_shufflevector((v), (v), 0, 1, 2, 3, 4, 5, 6, 7) +                                   \
     __builtin_shufflevector((v), (v), 8, 9, 10, 11, 12, 13, 14, 15))

/* OB (4 or 8) outputs from o of every row; wt holds the tail columns of those outputs */
NN_INLINE void small_outputs(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                             const float *b, float *y, uint32_t o, const uint32_t OB)
{
    const uint32_t I16 = I & ~15u;
    const float *w = W + (size_t)o * I;
    /* the tail columns, gathered once for all rows */
    float wt[15][8];
    for (uint32_t i = I16; i < I; i++)
        for (uint32_t k = 0; k < OB; k++)
            wt[i - I16][k] = w[(size_t)k * I + i];
    for (uint32_t r = 0; r < B; r++) {
        const float *xr = x + (size_t)r * I;
        v16f a[8];
#pragma GCC unroll 8
        for (uint32_t k = 0; k < OB; k++)
            a[k] = SPLAT16(0.0f);
        for (uint32_t i = 0; i < I16; i += 16) {
            const v16f xv = LOAD16(xr + i);
#pragma GCC unroll 8
            for (uint32_t k = 0; k < OB; k++)
                a[k] += xv * LOAD16(w + (size_t)k * I + i);
        }
        if (OB == 8) {
            /* the tree on pairs of outputs, one per half: w = (tree halves of outputs 0, 2, 4,
             * 6 | of 1, 3, 5, 7) */
            v8f s = SPLAT8(0.0f);
            if (I16 > 0) {
                const v16f u0 = PAIRFOLD16(a[0], a[1]), u1 = PAIRFOLD16(a[2], a[3]);
                const v16f u2 = PAIRFOLD16(a[4], a[5]), u3 = PAIRFOLD16(a[6], a[7]);
                const v16f w2 = HADD16(HADD16(u0, u1), HADD16(u2, u3));
                s = __builtin_shufflevector(w2, w2, 0, 8, 1, 9, 2, 10, 3, 11) +
                    __builtin_shufflevector(w2, w2, 4, 12, 5, 13, 6, 14, 7, 15);
            }
            /* the tail inputs, the outputs side by side */
            for (uint32_t i = I16; i < I; i++)
                s += xr[i] * LOAD8(wt[i - I16]);
            if (b != NULL)
                s += LOAD8(b + o);
            STORE8(y + (size_t)r * O + o, s);
        } else {
            const v8f t = HADD8(HADD8(FOLD16(a[0]), FOLD16(a[1])), HADD8(FOLD16(a[2]), FOLD16(a[3])));
            float s[4];
            for (uint32_t k = 0; k < 4; k++) {
                s[k] = t[k] + t[k + 4];
                for (uint32_t i = I16; i < I; i++)
                    s[k] += xr[i] * wt[i - I16][k];
                if (b != NULL)
                    s[k] += b[o + k];
                y[(size_t)r * O + o + k] = s[k];
            }
        }
    }
}

/* one output o for RB (4 or 8) rows from r, the rows side by side */
NN_INLINE void small_rows(uint32_t I, uint32_t O, const float *x, const float *W, const float *b,
                          float *y, uint32_t r, uint32_t o, const uint32_t RB)
{
    const uint32_t I16 = I & ~15u;
    const float *w0 = W + (size_t)o * I;
    const float *xr = x + (size_t)r * I;
    v16f a[8];
#pragma GCC unroll 8
    for (uint32_t k = 0; k < RB; k++)
        a[k] = SPLAT16(0.0f);
    for (uint32_t i = 0; i < I16; i += 16) {
        const v16f wv = LOAD16(w0 + i);
#pragma GCC unroll 8
        for (uint32_t k = 0; k < RB; k++)
            a[k] += LOAD16(xr + (size_t)k * I + i) * wv;
    }
    float s[8];
    if (RB == 8) {
        const v8f t0 = HADD8(HADD8(FOLD16(a[0]), FOLD16(a[1])), HADD8(FOLD16(a[2]), FOLD16(a[3])));
        const v8f t1 = HADD8(HADD8(FOLD16(a[4]), FOLD16(a[5])), HADD8(FOLD16(a[6]), FOLD16(a[7])));
        STORE8(s, __builtin_shufflevector(t0, t1, 0, 1, 2, 3, 8, 9, 10, 11) +
                      __builtin_shufflevector(t0, t1, 4, 5, 6, 7, 12, 13, 14, 15));
    } else {
        const v8f t = HADD8(HADD8(FOLD16(a[0]), FOLD16(a[1])), HADD8(FOLD16(a[2]), FOLD16(a[3])));
        for (uint32_t k = 0; k < 4; k++)
            s[k] = t[k] + t[k + 4];
    }
    for (uint32_t k = 0; k < RB; k++) {
        for (uint32_t i = I16; i < I; i++)
            s[k] += xr[(size_t)k * I + i] * w0[i];
        if (b != NULL)
            s[k] += b[o];
        y[(size_t)(r + k) * O + o] = s[k];
    }
}

/* one output of one row */
NN_INLINE void small_one(uint32_t I, uint32_t O, const float *x, const float *W, const float *b,
                         float *y, uint32_t r, uint32_t o)
{
    const uint32_t I16 = I & ~15u;
    const float *w0 = W + (size_t)o * I;
    const float *xr = x + (size_t)r * I;
    v16f a0 = SPLAT16(0.0f);
    for (uint32_t i = 0; i < I16; i += 16)
        a0 += LOAD16(xr + i) * LOAD16(w0 + i);
    const v8f f = FOLD16(a0);
    float s0 = HSUM8(f);
    for (uint32_t i = I16; i < I; i++)
        s0 += xr[i] * w0[i];
    if (b != NULL)
        s0 += b[o];
    y[(size_t)r * O + o] = s0;
}

/* The small path: blocks of OB outputs for all rows, then the outputs left over RB rows at a
 * time. */
NN_INLINE void forward_small(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                             const float *b, float *y, const uint32_t OB, const uint32_t RB)
{
    uint32_t o = 0;
    for (; o + OB <= O; o += OB)
        small_outputs(B, I, O, x, W, b, y, o, OB);
    for (; o < O; o++) {
        uint32_t r = 0;
        for (; r + RB <= B; r += RB)
            small_rows(I, O, x, W, b, y, r, o, RB);
        for (; r < B; r++)
            small_one(I, O, x, W, b, y, r, o);
    }
}

/* the small path's instantiations: as many accumulators as the registers hold */
#if PPO_NN_X86_DISPATCH
PPO_NN_TARGET_V4 static void small_v4(uint32_t B, uint32_t I, uint32_t O, const float *x,
                                      const float *W, const float *b, float *y)
{
    forward_small(B, I, O, x, W, b, y, 8, 8);
}

PPO_NN_TARGET_V3 static void small_v3(uint32_t B, uint32_t I, uint32_t O, const float *x,
                                      const float *W, const float *b, float *y)
{
    forward_small(B, I, O, x, W, b, y, 4, 4);
}
#endif

static void small_base(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                       const float *b, float *y)
{
    forward_small(B, I, O, x, W, b, y, 4, 4);
}

/* ---- Linear: the panel kernels ----
 *
 * Written once as always-inline templates whose block sizes are constants, then instantiated per
 * instruction set with the blocking that fits its registers (16 lanes are one AVX-512 register,
 * two AVX2 registers, four SSE registers). Every output element is a running sum in a fixed
 * order, so the blocking never changes a result.
 */

/* Transpose the 8x8 block whose rows are r[0..7] (8 floats each) into c[0..7] = its columns. */
NN_INLINE void transpose8(const v8f r[8], v8f c[8])
{
    v8f t[8], u[8];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        t[2 * k] = __builtin_shufflevector(r[2 * k], r[2 * k + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[2 * k + 1] = __builtin_shufflevector(r[2 * k], r[2 * k + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
#pragma GCC unroll 2
    for (int k = 0; k < 2; k++) {
        u[4 * k] = __builtin_shufflevector(t[4 * k], t[4 * k + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[4 * k + 1] = __builtin_shufflevector(t[4 * k], t[4 * k + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[4 * k + 2] = __builtin_shufflevector(t[4 * k + 1], t[4 * k + 3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[4 * k + 3] =
            __builtin_shufflevector(t[4 * k + 1], t[4 * k + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        c[k] = __builtin_shufflevector(u[k], u[k + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        c[k + 4] = __builtin_shufflevector(u[k], u[k + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

/* Panels of 16 outputs, input-major: panel[i][j] = W[o0 + j][i], zero beyond O. Whole 8x8 blocks
 * go through register transposes, the edges element by element. */
NN_INLINE void pack_panels(uint32_t I, uint32_t O, uint32_t o0, uint32_t n_panels, const float *W,
                           float *panel)
{
    const uint32_t I8 = I & ~7u;
    for (uint32_t p = 0; p < n_panels; p++) {
        float *dst = panel + (size_t)p * I * 16;
        for (uint32_t h = 0; h < 2; h++) {
            const uint32_t ob = o0 + 16 * p + 8 * h; /* first output of this half */
            if (ob + 8 <= O) {
                for (uint32_t i = 0; i < I8; i += 8) {
                    v8f r[8], c[8];
#pragma GCC unroll 8
                    for (uint32_t j = 0; j < 8; j++)
                        r[j] = LOAD8(W + (size_t)(ob + j) * I + i);
                    transpose8(r, c);
#pragma GCC unroll 8
                    for (uint32_t k = 0; k < 8; k++)
                        STORE8(dst + (size_t)(i + k) * 16 + 8 * h, c[k]);
                }
                for (uint32_t j = 0; j < 8; j++)
                    for (uint32_t i = I8; i < I; i++)
                        dst[(size_t)i * 16 + 8 * h + j] = W[(size_t)(ob + j) * I + i];
            } else {
                for (uint32_t j = 0; j < 8; j++)
                    for (uint32_t i = 0; i < I; i++)
                        dst[(size_t)i * 16 + 8 * h + j] =
                            ob + j < O ? W[(size_t)(ob + j) * I + i] : 0.0f;
            }
        }
    }
}

/* RB rows from r0 times PB panels from o0: y = (sum over i in order of x[i] W[o][i]) + b. */
NN_INLINE void forward_block(uint32_t I, uint32_t O, const float *x, const float *panel,
                             const float *b, float *y, uint32_t r0, uint32_t o0, const uint32_t RB,
                             const uint32_t PB)
{
    v16f acc[8][2];
#pragma GCC unroll 8
    for (uint32_t r = 0; r < RB; r++)
#pragma GCC unroll 2
        for (uint32_t p = 0; p < PB; p++)
            acc[r][p] = SPLAT16(0.0f);
    const float *xr = x + (size_t)r0 * I;
    for (uint32_t i = 0; i < I; i++) {
        v16f w[2];
#pragma GCC unroll 2
        for (uint32_t p = 0; p < PB; p++)
            w[p] = LOAD16(panel + ((size_t)p * I + i) * 16);
#pragma GCC unroll 8
        for (uint32_t r = 0; r < RB; r++) {
            const v16f xs = SPLAT16(xr[(size_t)r * I + i]);
#pragma GCC unroll 2
            for (uint32_t p = 0; p < PB; p++)
                acc[r][p] += xs * w[p];
        }
    }
#pragma GCC unroll 8
    for (uint32_t r = 0; r < RB; r++) {
        float *yr = y + (size_t)(r0 + r) * O;
#pragma GCC unroll 2
        for (uint32_t p = 0; p < PB; p++) {
            const uint32_t o = o0 + 16 * p;
            if (o + 16 <= O) {
                STORE16(yr + o, b != NULL ? acc[r][p] + LOAD16(b + o) : acc[r][p]);
            } else {
                for (uint32_t j = 0; o + j < O; j++)
                    yr[o + j] = b != NULL ? acc[r][p][j] + b[o + j] : acc[r][p][j];
            }
        }
    }
}

/* The panel forward: PB panels at a time (one at the end), RB rows at a time (one at the end).
 * `panel` holds PB * 16 * I floats. */
NN_INLINE void forward_panels(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                              const float *b, float *y, float *panel, const uint32_t RB,
                              const uint32_t PB)
{
    uint32_t o0 = 0;
    for (; o0 + 16 * PB <= O; o0 += 16 * PB) {
        pack_panels(I, O, o0, PB, W, panel);
        uint32_t r = 0;
        for (; r + RB <= B; r += RB)
            forward_block(I, O, x, panel, b, y, r, o0, RB, PB);
        for (; r < B; r++)
            forward_block(I, O, x, panel, b, y, r, o0, 1, PB);
    }
    for (; o0 < O; o0 += 16) {
        pack_panels(I, O, o0, 1, W, panel);
        uint32_t r = 0;
        for (; r + RB <= B; r += RB)
            forward_block(I, O, x, panel, b, y, r, o0, RB, 1);
        for (; r < B; r++)
            forward_block(I, O, x, panel, b, y, r, o0, 1, 1);
    }
}

/* dW[o][i] += sum over rows in order of dy[r][o] x[r][i], OB outputs from o0 times IV vectors of
 * 16 inputs from i0. */
NN_INLINE void dw_block(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *dy,
                        float *dW, uint32_t o0, uint32_t i0, const uint32_t OB, const uint32_t IV)
{
    v16f acc[8][2];
#pragma GCC unroll 8
    for (uint32_t o = 0; o < OB; o++)
#pragma GCC unroll 2
        for (uint32_t v = 0; v < IV; v++)
            acc[o][v] = SPLAT16(0.0f);
    for (uint32_t r = 0; r < B; r++) {
        v16f xv[2];
#pragma GCC unroll 2
        for (uint32_t v = 0; v < IV; v++)
            xv[v] = LOAD16(x + (size_t)r * I + i0 + 16 * v);
#pragma GCC unroll 8
        for (uint32_t o = 0; o < OB; o++) {
            const v16f g = SPLAT16(dy[(size_t)r * O + o0 + o]);
#pragma GCC unroll 2
            for (uint32_t v = 0; v < IV; v++)
                acc[o][v] += g * xv[v];
        }
    }
#pragma GCC unroll 8
    for (uint32_t o = 0; o < OB; o++)
#pragma GCC unroll 2
        for (uint32_t v = 0; v < IV; v++) {
            float *d = dW + (size_t)(o0 + o) * I + i0 + 16 * v;
            STORE16(d, LOAD16(d) + acc[o][v]);
        }
}

/* dW for NC input columns from i, NP panels of 16 outputs from o0, outputs side by side (the
 * same sums in the same order as dw_block) */
NN_INLINE void dw_tail_block(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *dy,
                             float *dW, uint32_t o0, uint32_t i, const uint32_t NC,
                             const uint32_t NP)
{
    v16f acc[2][4];
#pragma GCC unroll 2
    for (uint32_t c = 0; c < NC; c++)
#pragma GCC unroll 4
        for (uint32_t p = 0; p < NP; p++)
            acc[c][p] = SPLAT16(0.0f);
    for (uint32_t r = 0; r < B; r++) {
        v16f g[4];
#pragma GCC unroll 4
        for (uint32_t p = 0; p < NP; p++)
            g[p] = LOAD16(dy + (size_t)r * O + o0 + 16 * p);
#pragma GCC unroll 2
        for (uint32_t c = 0; c < NC; c++) {
            const v16f xs = SPLAT16(x[(size_t)r * I + i + c]);
#pragma GCC unroll 4
            for (uint32_t p = 0; p < NP; p++)
                acc[c][p] += xs * g[p];
        }
    }
#pragma GCC unroll 2
    for (uint32_t c = 0; c < NC; c++)
#pragma GCC unroll 4
        for (uint32_t p = 0; p < NP; p++)
            for (uint32_t j = 0; j < 16; j++)
                dW[(size_t)(o0 + 16 * p + j) * I + i + c] += acc[c][p][j];
}

/* dW for the inputs i0 .. I-1 that do not fill a vector: 16 outputs side by side (up to four
 * panels and two columns at a time, for independent sums), then the last outputs one by one. */
NN_INLINE void dw_tail(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *dy,
                       float *dW, uint32_t i0)
{
    uint32_t o0 = 0;
    for (; o0 + 64 <= O; o0 += 64) {
        uint32_t i = i0;
        for (; i + 2 <= I; i += 2)
            dw_tail_block(B, I, O, x, dy, dW, o0, i, 2, 4);
        if (i < I)
            dw_tail_block(B, I, O, x, dy, dW, o0, i, 1, 4);
    }
    for (; o0 + 16 <= O; o0 += 16) {
        uint32_t i = i0;
        for (; i + 2 <= I; i += 2)
            dw_tail_block(B, I, O, x, dy, dW, o0, i, 2, 1);
        if (i < I)
            dw_tail_block(B, I, O, x, dy, dW, o0, i, 1, 1);
    }
    for (; o0 < O; o0++)
        for (uint32_t i = i0; i < I; i++) {
            float acc = 0.0f;
            for (uint32_t r = 0; r < B; r++)
                acc += dy[(size_t)r * O + o0] * x[(size_t)r * I + i];
            dW[(size_t)o0 * I + i] += acc;
        }
}

NN_INLINE void backward_dw(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *dy,
                           float *dW, const uint32_t OB, const uint32_t IV)
{
    const uint32_t I16 = I & ~15u;
    uint32_t i0 = 0;
    for (; i0 + 16 * IV <= I16; i0 += 16 * IV) {
        uint32_t o = 0;
        for (; o + OB <= O; o += OB)
            dw_block(B, I, O, x, dy, dW, o, i0, OB, IV);
        for (; o < O; o++)
            dw_block(B, I, O, x, dy, dW, o, i0, 1, IV);
    }
    for (; i0 < I16; i0 += 16) {
        uint32_t o = 0;
        for (; o + OB <= O; o += OB)
            dw_block(B, I, O, x, dy, dW, o, i0, OB, 1);
        for (; o < O; o++)
            dw_block(B, I, O, x, dy, dW, o, i0, 1, 1);
    }
    if (I16 < I)
        dw_tail(B, I, O, x, dy, dW, I16);
}

/* dx[r][i] = sum over outputs in order of dy[r][o] W[o][i] (or dx[r][i] plus that sum, when add),
 * RB rows from r0 times IV vectors of 16 inputs from i0. */
NN_INLINE void dx_block(uint32_t I, uint32_t O, const float *W, const float *dy, float *dx,
                        uint32_t r0, uint32_t i0, const uint32_t RB, const uint32_t IV, int add)
{
    v16f acc[8][2];
#pragma GCC unroll 8
    for (uint32_t r = 0; r < RB; r++)
#pragma GCC unroll 2
        for (uint32_t v = 0; v < IV; v++)
            acc[r][v] = SPLAT16(0.0f);
    for (uint32_t o = 0; o < O; o++) {
        v16f w[2];
#pragma GCC unroll 2
        for (uint32_t v = 0; v < IV; v++)
            w[v] = LOAD16(W + (size_t)o * I + i0 + 16 * v);
#pragma GCC unroll 8
        for (uint32_t r = 0; r < RB; r++) {
            const v16f g = SPLAT16(dy[(size_t)(r0 + r) * O + o]);
#pragma GCC unroll 2
            for (uint32_t v = 0; v < IV; v++)
                acc[r][v] += g * w[v];
        }
    }
#pragma GCC unroll 8
    for (uint32_t r = 0; r < RB; r++)
#pragma GCC unroll 2
        for (uint32_t v = 0; v < IV; v++) {
            float *p = dx + (size_t)(r0 + r) * I + i0 + 16 * v;
            if (add)
                STORE16(p, LOAD16(p) + acc[r][v]);
            else
                STORE16(p, acc[r][v]);
        }
}

NN_INLINE void backward_dx(uint32_t B, uint32_t I, uint32_t O, const float *W, const float *dy,
                           float *dx, const uint32_t RB, const uint32_t IV, int add)
{
    const uint32_t I16 = I & ~15u;
    uint32_t r = 0;
    for (; r + RB <= B; r += RB) {
        uint32_t i0 = 0;
        for (; i0 + 16 * IV <= I16; i0 += 16 * IV)
            dx_block(I, O, W, dy, dx, r, i0, RB, IV, add);
        for (; i0 < I16; i0 += 16)
            dx_block(I, O, W, dy, dx, r, i0, RB, 1, add);
    }
    for (; r < B; r++) {
        uint32_t i0 = 0;
        for (; i0 + 16 * IV <= I16; i0 += 16 * IV)
            dx_block(I, O, W, dy, dx, r, i0, 1, IV, add);
        for (; i0 < I16; i0 += 16)
            dx_block(I, O, W, dy, dx, r, i0, 1, 1, add);
    }
    /* inputs that do not fill a vector, element by element, four rows side by side */
    for (uint32_t i = I16; i < I; i++) {
        uint32_t rr = 0;
        for (; rr + 4 <= B; rr += 4) {
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
            const float *g = dy + (size_t)rr * O;
            for (uint32_t o = 0; o < O; o++) {
                const float w = W[(size_t)o * I + i];
                a0 += g[o] * w;
                a1 += g[O + o] * w;
                a2 += g[2 * (size_t)O + o] * w;
                a3 += g[3 * (size_t)O + o] * w;
            }
            float *d = dx + (size_t)rr * I + i;
            d[0] = add ? d[0] + a0 : a0;
            d[I] = add ? d[I] + a1 : a1;
            d[2 * (size_t)I] = add ? d[2 * (size_t)I] + a2 : a2;
            d[3 * (size_t)I] = add ? d[3 * (size_t)I] + a3 : a3;
        }
        for (; rr < B; rr++) {
            float acc = 0.0f;
            for (uint32_t o = 0; o < O; o++)
                acc += dy[(size_t)rr * O + o] * W[(size_t)o * I + i];
            float *d = dx + (size_t)rr * I + i;
            *d = add ? *d + acc : acc;
        }
    }
}

/* db[o] += sum over rows in order of dy[r][o] */
NN_INLINE void backward_db(uint32_t B, uint32_t O, const float *dy, float *db)
{
    uint32_t o = 0;
    for (; o + 16 <= O; o += 16) {
        v16f acc = SPLAT16(0.0f);
        for (uint32_t r = 0; r < B; r++)
            acc += LOAD16(dy + (size_t)r * O + o);
        STORE16(db + o, LOAD16(db + o) + acc);
    }
    for (; o < O; o++) {
        float acc = 0.0f;
        for (uint32_t r = 0; r < B; r++)
            acc += dy[(size_t)r * O + o];
        db[o] += acc;
    }
}

NN_INLINE void backward_panels(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                               const float *dy, float *dx, float *dW, float *db, int add_dx,
                               const uint32_t OB, const uint32_t IV, const uint32_t RB)
{
    if (dW != NULL)
        backward_dw(B, I, O, x, dy, dW, OB, IV);
    if (db != NULL)
        backward_db(B, O, dy, db);
    if (dx != NULL)
        backward_dx(B, I, O, W, dy, dx, RB, IV, add_dx);
}

/* The instantiations: (forward rows, forward panels), (dW outputs, vectors, dx rows). */
typedef void (*forward_fn)(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                           const float *b, float *y);
typedef void (*backward_fn)(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                            const float *dy, float *dx, float *dW, float *db, int add_dx);

#define PPO_NN_INSTANCE(NAME, TARGET, F_RB, F_PB, B_OB, B_IV, B_RB)                                \
    TARGET static void forward_##NAME(uint32_t B, uint32_t I, uint32_t O, const float *x,          \
                                      const float *W, const float *b, float *y)                    \
    {                                                                                              \
        float panel[F_PB * 16 * PPO_NN_PANEL_MAX_IN] __attribute__((aligned(64)));                 \
        forward_panels(B, I, O, x, W, b, y, panel, F_RB, F_PB);                                    \
    }                                                                                              \
    TARGET static void backward_##NAME(uint32_t B, uint32_t I, uint32_t O, const float *x,         \
                                       const float *W, const float *dy, float *dx, float *dW,      \
                                       float *db, int add_dx)                                      \
    {                                                                                              \
        backward_panels(B, I, O, x, W, dy, dx, dW, db, add_dx, B_OB, B_IV, B_RB);                  \
    }

#if PPO_NN_X86_DISPATCH
PPO_NN_INSTANCE(v4, PPO_NN_TARGET_V4, 8, 2, 8, 2, 8)
PPO_NN_INSTANCE(v3, PPO_NN_TARGET_V3, 4, 1, 4, 1, 4)
#endif
PPO_NN_INSTANCE(base, , 2, 1, 2, 1, 2)

static forward_fn small_forward = small_base;
static forward_fn panel_forward = forward_base;
static backward_fn panel_backward = backward_base;
static pthread_once_t kernels_once = PTHREAD_ONCE_INIT;

static void kernels_init(void)
{
#if PPO_NN_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) {
        small_forward = small_v4;
        panel_forward = forward_v4;
        panel_backward = backward_v4;
    } else if (__builtin_cpu_supports("x86-64-v3")) {
        small_forward = small_v3;
        panel_forward = forward_v3;
        panel_backward = backward_v3;
    }
#endif
}

static inline void kernels_ready(void)
{
    pthread_once(&kernels_once, kernels_init);
}

/* ---- Linear: the entry points ---- */

void ppo_linear_forward(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                        const float *b, float *y)
{
    if (B == 0 || O == 0)
        return;
    kernels_ready();
    if (B < PPO_NN_SMALL_ROWS || O < 8 || I == 0) {
        small_forward(B, I, O, x, W, b, y);
        return;
    }
    if (B < PPO_NN_BLAS_MIN_ROWS && I <= PPO_NN_PANEL_MAX_IN) {
        panel_forward(B, I, O, x, W, b, y);
        return;
    }
    blas_ready();
    /* y = b broadcast, then y += x W^T */
    float beta = 0.0f;
    if (b != NULL) {
        for (uint32_t r = 0; r < B; r++)
            memcpy(y + (size_t)r * O, b, (size_t)O * sizeof(float));
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)O, (int)I, 1.0f, x, (int)I, W,
                (int)I, beta, y, (int)O);
}

/* Both backward entry points: dx overwritten, or added into when add_dx. */
static void linear_backward(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                            const float *dy, float *dx, float *dW, float *db, int add_dx)
{
    if (B == 0)
        return;
    if (B < PPO_NN_BLAS_MIN_ROWS || I == 0 || O == 0) {
        kernels_ready();
        panel_backward(B, I, O, x, W, dy, dx, dW, db, add_dx);
        return;
    }
    blas_ready();
    if (dW != NULL)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)O, (int)I, (int)B, 1.0f, dy,
                    (int)O, x, (int)I, 1.0f, dW, (int)I);
    if (db != NULL)
        backward_db(B, O, dy, db);
    if (dx != NULL)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)I, (int)O, 1.0f, dy,
                    (int)O, W, (int)I, add_dx ? 1.0f : 0.0f, dx, (int)I);
}

void ppo_linear_backward(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                         const float *dy, float *dx, float *dW, float *db)
{
    linear_backward(B, I, O, x, W, dy, dx, dW, db, 0);
}

void ppo_linear_backward_add(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                             const float *dy, float *dx, float *dW, float *db)
{
    linear_backward(B, I, O, x, W, dy, dx, dW, db, 1);
}

/* ---- tanh ----
 *
 * With a = |x| clamped to 9.1 (where tanh already rounds to 1) and m = expm1(-2a):
 * tanh(a) = -m / (2 + m). m comes from a Cody-Waite reduction -2a = k ln2 + r, |r| <= ln2/2:
 * m = 2^k e + (2^k - 1) and 2 + m = 2^k e + (2^k + 1) with e = expm1(r) = r + r^2 p(r), p of
 * degree 5 (relative error 2e-10). expm1 keeps small |x| accurate without a second branch, and
 * forming 2 + m on its own keeps m's rounding out of the denominator. The sign is copied back
 * from x, so tanh(-0) = -0 and NaN stays NaN. tests/core/test_ppo_nn.c measures the error.
 */

#define TANH_CLAMP 9.1f
#define EXP_LOG2E 1.44269504089f
#define EXP_LN2_HI 0.693145751953125f
#define EXP_LN2_LO 1.42860682030941723e-6f
#define EXP_ROUND 12582912.0f /* 1.5 * 2^23: adding it rounds to an integer */
#define EXP_P0 0.500000001346f
#define EXP_P1 0.166666666816f
#define EXP_P2 0.0416664650060f
#define EXP_P3 0.00833331093445f
#define EXP_P4 0.00139336410320f
#define EXP_P5 0.000198909808697f

PPO_NN_CLONES3
void ppo_tanh(uint32_t n, float *x)
{
    for (uint32_t i = 0; i < n; i += 16) {
        /* a short last block goes through a zero-padded copy */
        float pad[16];
        float *p = x + i;
        const uint32_t m = n - i < 16 ? n - i : 16;
        if (m < 16) {
            memset(pad, 0, sizeof(pad));
            memcpy(pad, p, (size_t)m * sizeof(float));
            p = pad;
        }
        const v16f xv = LOAD16(p);
        const v16u sign = (v16u)xv & 0x80000000u;
        const v16f a = (v16f)((v16u)xv & 0x7fffffffu);

        /* -2a = k ln2 + r; NaN passes the clamp */
        const v16f ac = SELECT16(a > TANH_CLAMP, SPLAT16(TANH_CLAMP), a);
        const v16f v = ac * -2.0f;
        const v16f sum = v * EXP_LOG2E + EXP_ROUND;
        const v16f k = sum - EXP_ROUND;
        const v16f r = (v - k * EXP_LN2_HI) - k * EXP_LN2_LO;

        /* e = expm1(r), s = 2^k */
        v16f e = SPLAT16(EXP_P5);
        e = e * r + EXP_P4;
        e = e * r + EXP_P3;
        e = e * r + EXP_P2;
        e = e * r + EXP_P1;
        e = e * r + EXP_P0;
        e = (r * r) * e + r;
        const v16u kbits = (v16u)sum - (v16u)SPLAT16(EXP_ROUND);
        const v16f s = (v16f)((kbits + 127u) << 23);

        /* tanh(a) = |m / (2 + m)|, m = expm1(-2a) */
        const v16f em = s * e + (s - 1.0f);
        const v16f den = s * e + (s + 1.0f);
        const v16f res = (v16f)((v16u)(em / den) & 0x7fffffffu);
        STORE16(p, (v16f)((v16u)res | sign));
        if (m < 16)
            memcpy(x + i, pad, (size_t)m * sizeof(float));
    }
}

/* ---- activations ---- */

PPO_NN_CLONES
static void relu_forward(uint32_t n, float *x)
{
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const v8f v = LOAD8(x + i);
        STORE8(x + i, SELECT8(v < 0.0f, SPLAT8(0.0f), v)); /* NaN stays NaN */
    }
    for (; i < n; i++)
        x[i] = x[i] < 0.0f ? 0.0f : x[i];
}

PPO_NN_CLONES3
static void tanh_backward(uint32_t n, const float *y, float *d)
{
    /* tanh' = 1 - y^2 */
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const v16f yv = LOAD16(y + i);
        STORE16(d + i, LOAD16(d + i) * (1.0f - yv * yv));
    }
    for (; i < n; i++)
        d[i] *= 1.0f - y[i] * y[i];
}

PPO_NN_CLONES
static void relu_backward(uint32_t n, const float *y, float *d)
{
    /* relu' = [y > 0] */
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8)
        STORE8(d + i, SELECT8(LOAD8(y + i) > 0.0f, LOAD8(d + i), SPLAT8(0.0f)));
    for (; i < n; i++)
        d[i] = y[i] > 0.0f ? d[i] : 0.0f;
}

void ppo_activation_forward(ppo_activation_t act, uint32_t n, float *x)
{
    switch (act) {
    case PPO_ACTIVATION_TANH:
        ppo_tanh(n, x);
        break;
    case PPO_ACTIVATION_RELU:
        relu_forward(n, x);
        break;
    case PPO_ACTIVATION_IDENTITY:
    default:
        break;
    }
}

void ppo_activation_backward(ppo_activation_t act, uint32_t n, const float *y, float *d)
{
    switch (act) {
    case PPO_ACTIVATION_TANH:
        tanh_backward(n, y, d);
        break;
    case PPO_ACTIVATION_RELU:
        relu_backward(n, y, d);
        break;
    case PPO_ACTIVATION_IDENTITY:
    default:
        break;
    }
}
