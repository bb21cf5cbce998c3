/* ppofw core — dense-layer helpers for policies (include/ppofw/nn.h): Linear forward/backward,
 * element-wise activations and a vectorized tanh.
 *
 * Two code paths compute a Linear layer. Calls with at least PPO_NN_BLAS_MIN_ROWS rows (forward)
 * or PPO_NN_BLAS_MIN_ROWS_BACKWARD rows (backward) go through OpenBLAS's sgemm, run
 * single-threaded because the threads are the core's; smaller calls, which is what collection
 * does with a handful of envs per chunk, use the hand-written loops below.
 *
 * The rule for a row's result: on the small path each output is one dot product in a fixed
 * order over that row alone (see linear_forward_small), so a row's result is the same bit for
 * bit whatever other rows share the call and whatever B is. On the sgemm path the arithmetic
 * never looks at the values of other rows, so the same rows in the same call repeat bit for
 * bit, but OpenBLAS's blocking and edge kernels depend on the matrix sizes and, with some
 * kernels, on a row's position, so a row's last bits (about 1e-7 relative) can change with B
 * and position. The two paths agree to the same rounding level. The core cuts its work into
 * chunks of fixed sizes, so a run still repeats bit for bit.
 *
 * Left out: convolutions, normalization layers, anything stateful. Nothing here allocates.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <ppofw/nn.h>

#include <cblas.h>
/* OpenBLAS's cblas.h pulls in <complex.h>, whose macro I would shadow the input count */
#undef I

/* Calls with at least this many rows use sgemm. Measured with OpenBLAS 0.3.21 (one thread) on a
 * 2-core AVX-512 Xeon, forward of both branches of a 4-64-64 network, the loops in their AVX2
 * clone: against OpenBLAS's AVX2 (Haswell) kernels (OPENBLAS_CORETYPE=Haswell) the loops are 1.5
 * to 2.5 times faster up to 16 rows (B = 8: 2.9 us against 6.6 us) and slower from 32 rows on;
 * against its AVX-512 kernels the loops win only below 3 rows and sgemm is up to 1.75 times
 * faster from 4 to 15 rows (B = 8: 2.9 us against 1.9 us), while for 256-wide layers the loops
 * win from 5 to 15 rows. 16 is the compromise; the core's collection chunks (8 envs) stay on the
 * loops. Backward runs on minibatches; sgemm wins there from 4 rows on with either kernel set. */
#define PPO_NN_BLAS_MIN_ROWS 16u
#define PPO_NN_BLAS_MIN_ROWS_BACKWARD 4u

/* The hot loops are compiled twice, for x86-64-v3 (AVX2 and FMA) and for the baseline, and the
 * loader picks one at start-up (GCC's target_clones). The x86-64-v3 clone fuses multiply-adds,
 * so its results differ from the baseline's in the last bits; a given machine always runs the
 * same clone. Vector values live only inside these functions: passing 32-byte vectors between
 * functions would change the ABI on the baseline. */
#if defined(__x86_64__) && defined(__gnu_linux__) && defined(__GNUC__) && !defined(__clang__) &&   \
    __GNUC__ >= 11
#define PPO_NN_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define PPO_NN_CLONES
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef uint32_t v8u __attribute__((vector_size(32)));
/* the same type for unaligned loads and stores through a float pointer */
typedef float v8f_mem __attribute__((vector_size(32), aligned(4), may_alias));

#define LOAD8(p) (*(const v8f_mem *)(p))
#define STORE8(p, v) (*(v8f_mem *)(p) = (v))
#define SPLAT8(s) ((v8f){(s), (s), (s), (s), (s), (s), (s), (s)})
/* mask ? a : b, lane by lane, for a comparison mask */
#define SELECT8(mask, a, b) ((v8f)(((v8u)(mask) & (v8u)(a)) | (~(v8u)(mask) & (v8u)(b))))

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

/* ---- Linear ---- */

/* The small path computes each output y[r][o] as one dot product in a fixed order: eight lane
 * sums, lane l summing x[i] w[i] over i = l (mod 8), i < I8 = I & ~7, in order of i; the lanes
 * added as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)); then the remaining inputs
 * i = I8 .. I-1 one by one; then the bias. Eight outputs at a time run as eight independent
 * accumulators whose lane sums are reduced together with shuffles, in that same tree. */

/* pairwise sums within each half: (a0+a1, a2+a3, b0+b1, b2+b3, a4+a5, a6+a7, b4+b5, b6+b7) */
#define HADD8(a, b)                                                                                \
    (__builtin_shuffle((a), (b), (v8i){0, 2, 8, 10, 4, 6, 12, 14}) +                               \
     __builtin_shuffle((a), (b), (v8i){1, 3, 9, 11, 5, 7, 13, 15}))
/* the tree of one accumulator, for a single output */
#define HSUM8(a) ((((a)[0] + (a)[1]) + ((a)[2] + (a)[3])) + (((a)[4] + (a)[5]) + ((a)[6] + (a)[7])))

PPO_NN_CLONES
static void linear_forward_small(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                                 const float *b, float *y)
{
    const uint32_t I8 = I & ~7u;
    for (uint32_t r = 0; r < B; r++) {
        const float *xr = x + (size_t)r * I;
        float *yr = y + (size_t)r * O;
        uint32_t o = 0;
        /* eight outputs at a time share the loads of x */
        for (; o + 8 <= O; o += 8) {
            const float *w = W + (size_t)o * I;
            v8f a0 = SPLAT8(0.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (uint32_t i = 0; i < I8; i += 8) {
                const v8f xv = LOAD8(xr + i);
                a0 += xv * LOAD8(w + i);
                a1 += xv * LOAD8(w + I + i);
                a2 += xv * LOAD8(w + 2 * (size_t)I + i);
                a3 += xv * LOAD8(w + 3 * (size_t)I + i);
                a4 += xv * LOAD8(w + 4 * (size_t)I + i);
                a5 += xv * LOAD8(w + 5 * (size_t)I + i);
                a6 += xv * LOAD8(w + 6 * (size_t)I + i);
                a7 += xv * LOAD8(w + 7 * (size_t)I + i);
            }
            const v8f t0 = HADD8(HADD8(a0, a1), HADD8(a2, a3));
            const v8f t1 = HADD8(HADD8(a4, a5), HADD8(a6, a7));
            v8f s = __builtin_shuffle(t0, t1, (v8i){0, 1, 2, 3, 8, 9, 10, 11}) +
                    __builtin_shuffle(t0, t1, (v8i){4, 5, 6, 7, 12, 13, 14, 15});
            /* the tail inputs, the eight outputs side by side */
            for (uint32_t i = I8; i < I; i++) {
                const v8f wv = {w[i],
                                w[I + i],
                                w[2 * (size_t)I + i],
                                w[3 * (size_t)I + i],
                                w[4 * (size_t)I + i],
                                w[5 * (size_t)I + i],
                                w[6 * (size_t)I + i],
                                w[7 * (size_t)I + i]};
                s += xr[i] * wv;
            }
            if (b != NULL)
                s += LOAD8(b + o);
            STORE8(yr + o, s);
        }
        /* the remaining outputs one by one, with the same arithmetic */
        for (; o < O; o++) {
            const float *w0 = W + (size_t)o * I;
            v8f a0 = SPLAT8(0.0f);
            for (uint32_t i = 0; i < I8; i += 8)
                a0 += LOAD8(xr + i) * LOAD8(w0 + i);
            float s0 = HSUM8(a0);
            for (uint32_t i = I8; i < I; i++)
                s0 += xr[i] * w0[i];
            if (b != NULL)
                s0 += b[o];
            yr[o] = s0;
        }
    }
}

void ppo_linear_forward(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                        const float *b, float *y)
{
    if (B == 0 || O == 0)
        return;
    if (B < PPO_NN_BLAS_MIN_ROWS || I == 0) {
        linear_forward_small(B, I, O, x, W, b, y);
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

/* d[0..n) += s * v[0..n) */
static inline __attribute__((always_inline)) void axpy(uint32_t n, float s, const float *v,
                                                       float *d)
{
    const v8f sv = SPLAT8(s);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8)
        STORE8(d + i, LOAD8(d + i) + sv * LOAD8(v + i));
    for (; i < n; i++)
        d[i] += s * v[i];
}

PPO_NN_CLONES
static void linear_backward_small(uint32_t B, uint32_t I, uint32_t O, const float *x,
                                  const float *W, const float *dy, float *dx, float *dW, float *db)
{
    for (uint32_t r = 0; r < B; r++) {
        const float *xr = x + (size_t)r * I;
        const float *dyr = dy + (size_t)r * O;
        /* dW += dy_r^T x_r, one row of dW at a time */
        if (dW != NULL)
            for (uint32_t o = 0; o < O; o++)
                axpy(I, dyr[o], xr, dW + (size_t)o * I);
        if (db != NULL)
            axpy(O, 1.0f, dyr, db);
        if (dx == NULL)
            continue;
        /* dx_r = dy_r W, 32 columns at a time held in registers over the sum on o */
        float *dxr = dx + (size_t)r * I;
        uint32_t i = 0;
        for (; i + 32 <= I; i += 32) {
            v8f c0 = SPLAT8(0.0f), c1 = c0, c2 = c0, c3 = c0;
            for (uint32_t o = 0; o < O; o++) {
                const v8f g = SPLAT8(dyr[o]);
                const float *w = W + (size_t)o * I + i;
                c0 += g * LOAD8(w);
                c1 += g * LOAD8(w + 8);
                c2 += g * LOAD8(w + 16);
                c3 += g * LOAD8(w + 24);
            }
            STORE8(dxr + i, c0);
            STORE8(dxr + i + 8, c1);
            STORE8(dxr + i + 16, c2);
            STORE8(dxr + i + 24, c3);
        }
        for (; i + 8 <= I; i += 8) {
            v8f c0 = SPLAT8(0.0f);
            for (uint32_t o = 0; o < O; o++)
                c0 += SPLAT8(dyr[o]) * LOAD8(W + (size_t)o * I + i);
            STORE8(dxr + i, c0);
        }
        for (; i < I; i++) {
            float c = 0.0f;
            for (uint32_t o = 0; o < O; o++)
                c += dyr[o] * W[(size_t)o * I + i];
            dxr[i] = c;
        }
    }
}

PPO_NN_CLONES
static void add_rows(uint32_t B, uint32_t O, const float *dy, float *db)
{
    for (uint32_t r = 0; r < B; r++)
        axpy(O, 1.0f, dy + (size_t)r * O, db);
}

void ppo_linear_backward(uint32_t B, uint32_t I, uint32_t O, const float *x, const float *W,
                         const float *dy, float *dx, float *dW, float *db)
{
    if (B == 0)
        return;
    if (B < PPO_NN_BLAS_MIN_ROWS_BACKWARD || I == 0 || O == 0) {
        linear_backward_small(B, I, O, x, W, dy, dx, dW, db);
        return;
    }
    blas_ready();
    if (dW != NULL)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)O, (int)I, (int)B, 1.0f, dy,
                    (int)O, x, (int)I, 1.0f, dW, (int)I);
    if (db != NULL)
        add_rows(B, O, dy, db);
    if (dx != NULL)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)I, (int)O, 1.0f, dy,
                    (int)O, W, (int)I, 0.0f, dx, (int)I);
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

PPO_NN_CLONES
void ppo_tanh(uint32_t n, float *x)
{
    for (uint32_t i = 0; i < n; i += 8) {
        /* a short last block goes through a zero-padded copy */
        float pad[8];
        float *p = x + i;
        const uint32_t m = n - i < 8 ? n - i : 8;
        if (m < 8) {
            memset(pad, 0, sizeof(pad));
            memcpy(pad, p, (size_t)m * sizeof(float));
            p = pad;
        }
        const v8f xv = LOAD8(p);
        const v8u sign = (v8u)xv & 0x80000000u;
        const v8f a = (v8f)((v8u)xv & 0x7fffffffu);

        /* -2a = k ln2 + r; NaN passes the clamp */
        const v8f ac = SELECT8(a > TANH_CLAMP, SPLAT8(TANH_CLAMP), a);
        const v8f v = ac * -2.0f;
        const v8f sum = v * EXP_LOG2E + EXP_ROUND;
        const v8f k = sum - EXP_ROUND;
        const v8f r = (v - k * EXP_LN2_HI) - k * EXP_LN2_LO;

        /* e = expm1(r), s = 2^k */
        v8f e = SPLAT8(EXP_P5);
        e = e * r + EXP_P4;
        e = e * r + EXP_P3;
        e = e * r + EXP_P2;
        e = e * r + EXP_P1;
        e = e * r + EXP_P0;
        e = (r * r) * e + r;
        const v8u kbits = (v8u)sum - (v8u)SPLAT8(EXP_ROUND);
        const v8f s = (v8f)((kbits + 127u) << 23);

        /* tanh(a) = |m / (2 + m)|, m = expm1(-2a) */
        const v8f em = s * e + (s - 1.0f);
        const v8f den = s * e + (s + 1.0f);
        const v8f res = (v8f)((v8u)(em / den) & 0x7fffffffu);
        STORE8(p, (v8f)((v8u)res | sign));
        if (m < 8)
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

PPO_NN_CLONES
static void tanh_backward(uint32_t n, const float *y, float *d)
{
    /* tanh' = 1 - y^2 */
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const v8f yv = LOAD8(y + i);
        STORE8(d + i, LOAD8(d + i) * (1.0f - yv * yv));
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
