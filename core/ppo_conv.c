/* ppofw core — convolution and average-pooling helpers for policies (include/ppofw/conv.h).
 *
 * A convolution is a matrix product over an operand X (K, N) per sample, K = C KH KW: row k =
 * (c, kh, kw) holds, for each of N output columns, the input element that kernel tap meets
 * there. Then, per sample:
 *   forward   Y (O, N)     = W (O, K) X (K, N) + b, Y's columns then copied into y (O, Ho, Wo)
 *   dx        dX (K, N)    = W^T (K, O) dY (O, N), folded back onto dx
 *   dW        dW (O, K)   += dY (O, N) X^T (N, K), summed over the samples
 * with dY = dy spread over the same N columns (zero in the others). X has one of two layouts:
 *   - wide (stride 1): the input is copied once into a zero-padded (C, Hp, Wp) plane with a zero
 *     tail, and output column q = h Wp + w reads row k at offset c Hp Wp + kh Wp + kw + q, so X
 *     is the padded input itself, read in place: nothing is unfolded. The Wp - Wo columns of each
 *     output row past Wo are computed and dropped (a 10x10 MinAtar frame: 80 columns for 64
 *     outputs);
 *   - unfolded (any stride, im2col): X is written out as colT (K, P) with P = Ho Wo columns.
 * N is the column count rounded up to 16 (zero beyond), so every row is whole vectors.
 * The forward and dX are one kernel, C (M, N) = sum over j of At[j][m] X[j][.], register-blocked
 * with rows of X as vectors of 16 columns and At's elements broadcast: the output comes out
 * channel-major, PyTorch's layout, with no transpose. Each output element is a running sum over
 * j in order from zero (then the bias), so the blocking and the batch never change a result.
 * dW sums products of two column vectors: lane-wise over a group of samples and their columns,
 * then each lane sum is reduced in a fixed tree and added to dW once per group. The group (G
 * samples, the operands and spread dy of all of them in the workspace) is fixed by the shape,
 * so the order of dW's sums depends only on the shape and B.
 *
 * Kernels are instantiated for x86-64-v4, x86-64-v3 and the baseline (core/ppo_simd_private.h)
 * and the one for this CPU is picked once at run time.
 *
 * Left out: dilation, groups, asymmetric padding, other layouts, max pooling. Nothing here
 * allocates; nothing uses the BLAS (a sample's product is too small for sgemm's call overhead,
 * and the batch-independent rule above needs fixed summation orders). bench/conv_bench measures
 * the kernels (bench/conv.md).
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ppofw/conv.h>

#include "ppo_simd_private.h"

/* floats of operands the backward keeps per group of samples, at most (the group is one sample
 * when a single one needs more): 128 KiB, so the group stays in the L2 cache */
#define CONV_GROUP_FLOATS 32768u
/* samples per group at most */
#define CONV_GROUP_MAX 64u
/* largest element count of one sample's tensors (keeps every index within 32 bits) */
#define CONV_MAX_ELEMENTS ((uint64_t)1 << 31)
/* the wide layout's row offsets live on the stack: layers with more taps are unfolded */
#define CONV_WIDE_MAX_K 2048u
/* vectors of 16 columns per product block at most (the v4 instance's) */
#define CONV_MAX_NV 5

/* The sizes every kernel uses, derived once per call from a checked shape. */
typedef struct conv_dims {
    uint32_t C, H, W, O, KH, KW, SH, SW, PH, PW, Ho, Wo;
    uint32_t K;    /* C KH KW: the reduction length */
    uint32_t P;    /* Ho Wo: output positions */
    int wide;      /* 1: the padded input is the operand; 0: unfolded */
    uint32_t Hp;   /* padded input height (wide) */
    uint32_t Wp;   /* padded input width (wide) */
    uint32_t ncol; /* operand columns per output row: Wp (wide) or Wo */
    uint32_t N;    /* operand columns: Ho ncol rounded up to 16 */
    size_t S;      /* floats of one sample's operand: the padded input and its tail, or K N */
    uint32_t G;    /* samples per backward group */
} conv_dims_t;

static uint32_t round16(uint32_t n)
{
    return (n + 15u) & ~15u;
}

static conv_dims_t conv_dims(const ppo_conv_shape_t *s)
{
    conv_dims_t d = {
        .C = s->in_channels,
        .H = s->in_height,
        .W = s->in_width,
        .O = s->out_channels,
        .KH = s->kernel_h,
        .KW = s->kernel_w,
        .SH = s->stride_h,
        .SW = s->stride_w,
        .PH = s->pad_h,
        .PW = s->pad_w,
        .Ho = s->out_height,
        .Wo = s->out_width,
    };
    d.K = d.C * d.KH * d.KW;
    d.P = d.Ho * d.Wo;
    d.Hp = d.H + 2 * d.PH;
    d.Wp = d.W + 2 * d.PW;
    /* wide when the stride is 1, the offsets fit the stack and at most twice the columns */
    d.wide = d.SH == 1 && d.SW == 1 && d.K <= CONV_WIDE_MAX_K &&
             (uint64_t)d.Hp * d.Wp * d.C < CONV_MAX_ELEMENTS &&
             round16(d.Ho * d.Wp) <= 2 * round16(d.P);
    d.ncol = d.wide ? d.Wp : d.Wo;
    d.N = round16(d.Ho * d.ncol);
    /* wide: the last row's reads end at (C-1) Hp Wp + (KH-1) Wp + KW - 1 + N */
    d.S = d.wide ? round16((d.C - 1) * d.Hp * d.Wp + (d.KH - 1) * d.Wp + d.KW - 1 + d.N)
                 : (size_t)d.K * d.N;
    d.G = d.S == 0 || d.S >= CONV_GROUP_FLOATS ? 1u : (uint32_t)(CONV_GROUP_FLOATS / d.S);
    if (d.G > CONV_GROUP_MAX)
        d.G = CONV_GROUP_MAX;
    return d;
}

/* ---- shapes ---- */

static int refuse(ppo_conv_shape_t *s, char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int refuse(ppo_conv_shape_t *s, char *why, size_t why_size, const char *fmt, ...)
{
    if (why != NULL && why_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    s->out_height = 0;
    s->out_width = 0;
    return -1;
}

int ppo_conv_shape_check(ppo_conv_shape_t *s, char *why, size_t why_size)
{
    if (why != NULL && why_size > 0)
        why[0] = '\0';
    if (s->in_channels == 0 || s->in_height == 0 || s->in_width == 0)
        return refuse(s, why, why_size,
                      "the input is %ux%ux%u (channels x height x width); every size must be at "
                      "least 1",
                      s->in_channels, s->in_height, s->in_width);
    if (s->out_channels == 0)
        return refuse(s, why, why_size, "the layer has 0 output channels; it needs at least 1");
    if (s->kernel_h == 0 || s->kernel_w == 0)
        return refuse(s, why, why_size, "the kernel is %ux%u; both sizes must be at least 1",
                      s->kernel_h, s->kernel_w);
    if (s->stride_h == 0 || s->stride_w == 0)
        return refuse(s, why, why_size, "the stride is %ux%u; both must be at least 1", s->stride_h,
                      s->stride_w);
    if (s->pad_h >= s->kernel_h || s->pad_w >= s->kernel_w)
        return refuse(s, why, why_size,
                      "the padding %ux%u is not smaller than the %ux%u kernel (outputs would see "
                      "only zeros); use at most %ux%u",
                      s->pad_h, s->pad_w, s->kernel_h, s->kernel_w, s->kernel_h - 1,
                      s->kernel_w - 1);
    for (size_t i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
        if (s->reserved[i] != 0)
            return refuse(s, why, why_size,
                          "reserved field %zu is %u; reserved fields must be zero", i,
                          s->reserved[i]);
    const uint64_t hp = (uint64_t)s->in_height + 2u * (uint64_t)s->pad_h;
    const uint64_t wp = (uint64_t)s->in_width + 2u * (uint64_t)s->pad_w;
    if (s->kernel_h > hp || s->kernel_w > wp)
        return refuse(s, why, why_size,
                      "the %ux%u kernel does not fit the %ux%u image (padded by %ux%u to "
                      "%llux%llu); use a kernel of at most %llux%llu or pad more",
                      s->kernel_h, s->kernel_w, s->in_height, s->in_width, s->pad_h, s->pad_w,
                      (unsigned long long)hp, (unsigned long long)wp,
                      (unsigned long long)(hp < s->kernel_h ? hp : s->kernel_h),
                      (unsigned long long)(wp < s->kernel_w ? wp : s->kernel_w));
    const uint64_t ho = (hp - s->kernel_h) / s->stride_h + 1;
    const uint64_t wo = (wp - s->kernel_w) / s->stride_w + 1;
    const uint64_t k = (uint64_t)s->in_channels * s->kernel_h * s->kernel_w;
    const uint64_t in = (uint64_t)s->in_channels * hp * wp;
    const uint64_t out = (uint64_t)s->out_channels * ho * wo;
    const uint64_t unfolded = k * (((ho * wo) + 15u) & ~(uint64_t)15u);
    if (in >= CONV_MAX_ELEMENTS || out >= CONV_MAX_ELEMENTS || unfolded >= CONV_MAX_ELEMENTS ||
        (uint64_t)s->out_channels * k >= CONV_MAX_ELEMENTS)
        return refuse(s, why, why_size,
                      "the layer is too large: a sample's padded input (%llu), output (%llu), "
                      "weight or unfolded input (%llu elements) reaches 2^31 elements",
                      (unsigned long long)in, (unsigned long long)out,
                      (unsigned long long)unfolded);
    s->out_height = (uint32_t)ho;
    s->out_width = (uint32_t)wo;
    return 0;
}

double ppo_conv_flops(const ppo_conv_shape_t *s)
{
    return 2.0 * s->in_channels * s->kernel_h * s->kernel_w * s->out_channels * s->out_height *
           s->out_width;
}

/* Where the workspace's buffers start, in floats from its beginning, each on a 64-byte line. */
typedef struct conv_layout {
    size_t wt;    /* forward: W^T (K, O) */
    size_t x;     /* the operands: forward one sample's, backward G of them (S each) */
    size_t out;   /* forward, wide: the product (O, N); backward: dY (G, O, N) */
    size_t dx;    /* backward: dX (K, N) */
    size_t dxpad; /* backward, wide: the padded input's gradient (S) */
    size_t total; /* floats in all */
} conv_layout_t;

static conv_layout_t conv_layout(const conv_dims_t *d, int backward)
{
    conv_layout_t l = {0};
    if (!backward) {
        l.x = round16(d->K * d->O);
        l.out = l.x + d->S;
        l.total = l.out + (d->wide ? (size_t)d->O * d->N : 0);
    } else {
        l.out = (size_t)d->G * d->S;
        l.dx = l.out + (size_t)d->G * d->O * d->N;
        l.dxpad = l.dx + (size_t)d->K * d->N;
        l.total = l.dxpad + (d->wide ? d->S : 0);
    }
    return l;
}

size_t ppo_conv_workspace_floats(const ppo_conv_shape_t *s)
{
    const conv_dims_t d = conv_dims(s);
    const size_t f = conv_layout(&d, 0).total, b = conv_layout(&d, 1).total;
    return f > b ? f : b;
}

/* ---- the operand ---- */

/* dst (n) = src (n), whole vectors first */
NN_INLINE void copy_floats(float *dst, const float *src, uint32_t n)
{
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16)
        STORE16(dst + i, LOAD16(src + i));
    if (i + 8 <= n) {
        STORE8(dst + i, LOAD8(src + i));
        i += 8;
    }
    for (; i < n; i++)
        dst[i] = src[i];
}

/* dst (n) += src (n), whole vectors first */
NN_INLINE void add_floats(float *dst, const float *src, uint32_t n)
{
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16)
        STORE16(dst + i, LOAD16(dst + i) + LOAD16(src + i));
    if (i + 8 <= n) {
        STORE8(dst + i, LOAD8(dst + i) + LOAD8(src + i));
        i += 8;
    }
    for (; i < n; i++)
        dst[i] += src[i];
}

/* The wide layout's row offsets: tap (c, kh, kw) starts at c Hp Wp + kh Wp + kw. */
NN_INLINE void wide_offsets(const conv_dims_t *d, uint32_t *off)
{
    for (uint32_t c = 0, k = 0; c < d->C; c++)
        for (uint32_t kh = 0; kh < d->KH; kh++)
            for (uint32_t kw = 0; kw < d->KW; kw++)
                off[k++] = (c * d->Hp + kh) * d->Wp + kw;
}

/* The wide operand: x (C, H, W) into the zero-padded (C, Hp, Wp) plane, zeros to S. */
NN_INLINE void pad_input(const conv_dims_t *d, const float *x, float *xp)
{
    if (d->PH == 0 && d->PW == 0) {
        const size_t n = (size_t)d->C * d->H * d->W;
        for (size_t i = 0; i < n; i += 16) {
            const uint32_t m = n - i < 16 ? (uint32_t)(n - i) : 16u;
            copy_floats(xp + i, x + i, m);
        }
    } else {
        for (uint32_t c = 0; c < d->C; c++) {
            float *plane = xp + (size_t)c * d->Hp * d->Wp;
            memset(plane, 0, sizeof(float) * d->PH * d->Wp);
            for (uint32_t h = 0; h < d->H; h++) {
                float *row = plane + (size_t)(h + d->PH) * d->Wp;
                for (uint32_t w = 0; w < d->PW; w++)
                    row[w] = row[d->PW + d->W + w] = 0.0f;
                copy_floats(row + d->PW, x + ((size_t)c * d->H + h) * d->W, d->W);
            }
            memset(plane + (size_t)(d->PH + d->H) * d->Wp, 0, sizeof(float) * d->PH * d->Wp);
        }
    }
    const size_t used = (size_t)d->C * d->Hp * d->Wp;
    memset(xp + used, 0, sizeof(float) * (d->S - used));
}

/* dx (C, H, W) = the interior of the padded gradient dxp (C, Hp, Wp). */
NN_INLINE void crop_input(const conv_dims_t *d, const float *dxp, float *dx)
{
    for (uint32_t c = 0; c < d->C; c++)
        for (uint32_t h = 0; h < d->H; h++)
            copy_floats(dx + ((size_t)c * d->H + h) * d->W,
                        dxp + ((size_t)c * d->Hp + h + d->PH) * d->Wp + d->PW, d->W);
}

/* The output columns [*lo, *hi) whose kernel tap kw lands inside the image (the rest meets the
 * padding): iw = w SW + kw - PW must lie in [0, W). */
NN_INLINE void tap_columns(const conv_dims_t *d, uint32_t kw, uint32_t *lo, uint32_t *hi)
{
    uint32_t l, h;
    if (d->SW == 1) {
        l = kw >= d->PW ? 0 : d->PW - kw;
        h = d->W + d->PW > kw ? d->W + d->PW - kw : 0; /* w <= W - 1 + PW - kw */
    } else {
        l = kw >= d->PW ? 0 : (d->PW - kw + d->SW - 1) / d->SW;
        h = d->W + d->PW > kw ? (d->W + d->PW - kw - 1) / d->SW + 1 : 0;
    }
    *hi = h < d->Wo ? h : d->Wo;
    *lo = l < *hi ? l : *hi;
}

/* The unfolded operand colT (K, N) from one sample's x (C, H, W). */
NN_INLINE void im2col(const conv_dims_t *d, const float *x, float *colT)
{
    for (uint32_t kw = 0; kw < d->KW; kw++) {
        uint32_t lo, hi;
        tap_columns(d, kw, &lo, &hi);
        for (uint32_t c = 0; c < d->C; c++)
            for (uint32_t kh = 0; kh < d->KH; kh++) {
                float *row = colT + (size_t)((c * d->KH + kh) * d->KW + kw) * d->N;
                for (uint32_t h = 0; h < d->Ho; h++) {
                    float *dst = row + (size_t)h * d->Wo;
                    const uint32_t ih = h * d->SH + kh; /* in the padded image */
                    if (ih < d->PH || ih - d->PH >= d->H) {
                        memset(dst, 0, sizeof(float) * d->Wo);
                        continue;
                    }
                    const float *src = x + ((size_t)c * d->H + (ih - d->PH)) * d->W;
                    for (uint32_t w = 0; w < lo; w++)
                        dst[w] = 0.0f;
                    if (d->SW == 1)
                        copy_floats(dst + lo, src + lo + kw - d->PW, hi - lo);
                    else
                        for (uint32_t w = lo; w < hi; w++)
                            dst[w] = src[(size_t)w * d->SW + kw - d->PW];
                    for (uint32_t w = hi; w < d->Wo; w++)
                        dst[w] = 0.0f;
                }
                for (uint32_t p = d->P; p < d->N; p++)
                    row[p] = 0.0f;
            }
    }
}

/* dx (C, H, W) = dcolT (K, N) folded back onto the input: every element of row k at column p
 * adds to the input element tap k met there, in order of kw, c, kh, then p. */
NN_INLINE void col2im(const conv_dims_t *d, const float *dcolT, float *dx)
{
    memset(dx, 0, sizeof(float) * d->C * d->H * d->W);
    for (uint32_t kw = 0; kw < d->KW; kw++) {
        uint32_t lo, hi;
        tap_columns(d, kw, &lo, &hi);
        for (uint32_t c = 0; c < d->C; c++)
            for (uint32_t kh = 0; kh < d->KH; kh++) {
                const float *row = dcolT + (size_t)((c * d->KH + kh) * d->KW + kw) * d->N;
                for (uint32_t h = 0; h < d->Ho; h++) {
                    const uint32_t ih = h * d->SH + kh;
                    if (ih < d->PH || ih - d->PH >= d->H)
                        continue;
                    float *dst = dx + ((size_t)c * d->H + (ih - d->PH)) * d->W;
                    const float *src = row + (size_t)h * d->Wo;
                    if (d->SW == 1)
                        add_floats(dst + lo + kw - d->PW, src + lo, hi - lo);
                    else
                        for (uint32_t w = lo; w < hi; w++)
                            dst[(size_t)w * d->SW + kw - d->PW] += src[w];
                }
            }
    }
}

/* One sample's operand: the padded input (wide) or colT. */
NN_INLINE void operand(const conv_dims_t *d, const float *x, float *xop)
{
    if (d->wide)
        pad_input(d, x, xop);
    else
        im2col(d, x, xop);
}

/* ---- the product: C (M, N) = sum over j of At[j][m] X[j][.] (+ bias[m]) ----
 *
 * At is (J, M) with rows lda apart; row j of X starts at X + off[j] (off NULL: j ldx); N is a
 * multiple of 16. C's rows are ldc apart and only its first n_valid columns are written. MB rows
 * of C times NV vectors of 16 columns per block; every element is the sum over j in order from
 * zero, then the bias. */
NN_INLINE void mm_block(uint32_t J, const float *At, uint32_t lda, const float *X,
                        const uint32_t *off, uint32_t ldx, const float *bias, float *C,
                        uint32_t ldc, uint32_t n_valid, uint32_t m0, uint32_t n0, const uint32_t MB,
                        const uint32_t NV)
{
    v16f acc[8][CONV_MAX_NV];
#pragma GCC unroll 8
    for (uint32_t i = 0; i < MB; i++)
#pragma GCC unroll 5
        for (uint32_t v = 0; v < NV; v++)
            acc[i][v] = SPLAT16(0.0f);
    const float *a = At + m0;
    const float *xb = X + n0;
    for (uint32_t j = 0; j < J; j++) {
        const float *xr = xb + (off != NULL ? off[j] : (size_t)j * ldx);
        v16f xv[CONV_MAX_NV];
#pragma GCC unroll 5
        for (uint32_t v = 0; v < NV; v++)
            xv[v] = LOAD16(xr + 16 * v);
#pragma GCC unroll 8
        for (uint32_t i = 0; i < MB; i++) {
            const v16f s = SPLAT16(a[(size_t)j * lda + i]);
#pragma GCC unroll 5
            for (uint32_t v = 0; v < NV; v++)
                acc[i][v] += s * xv[v];
        }
    }
#pragma GCC unroll 8
    for (uint32_t i = 0; i < MB; i++) {
        float *row = C + (size_t)(m0 + i) * ldc;
        const v16f bb = SPLAT16(bias != NULL ? bias[m0 + i] : 0.0f);
#pragma GCC unroll 5
        for (uint32_t v = 0; v < NV; v++) {
            const uint32_t n = n0 + 16 * v;
            const v16f out = bias != NULL ? acc[i][v] + bb : acc[i][v];
            if (n + 16 <= n_valid)
                STORE16(row + n, out);
            else
                for (uint32_t l = 0; n + l < n_valid; l++)
                    row[n + l] = out[l];
        }
    }
}

/* every row of C for NV vectors of columns from n0: MB rows at a time, then one by one */
NN_INLINE void mm_columns(uint32_t M, uint32_t J, const float *At, uint32_t lda, const float *X,
                          const uint32_t *off, uint32_t ldx, const float *bias, float *C,
                          uint32_t ldc, uint32_t n_valid, uint32_t n0, const uint32_t MB,
                          const uint32_t NV)
{
    uint32_t m = 0;
    for (; m + MB <= M; m += MB)
        mm_block(J, At, lda, X, off, ldx, bias, C, ldc, n_valid, m, n0, MB, NV);
    for (; m < M; m++)
        mm_block(J, At, lda, X, off, ldx, bias, C, ldc, n_valid, m, n0, 1, NV);
}

/* the whole product: blocks of NV vectors of columns, the last block as wide as what is left */
NN_INLINE void mm(uint32_t M, uint32_t N, uint32_t J, const float *At, uint32_t lda, const float *X,
                  const uint32_t *off, uint32_t ldx, const float *bias, float *C, uint32_t ldc,
                  uint32_t n_valid, const uint32_t MB, const uint32_t NV)
{
    const uint32_t nvec = N / 16;
    uint32_t v0 = 0;
    for (; v0 + NV <= nvec; v0 += NV)
        mm_columns(M, J, At, lda, X, off, ldx, bias, C, ldc, n_valid, 16 * v0, MB, NV);
    switch (nvec - v0) {
    case 4:
        mm_columns(M, J, At, lda, X, off, ldx, bias, C, ldc, n_valid, 16 * v0, MB, 4);
        break;
    case 3:
        mm_columns(M, J, At, lda, X, off, ldx, bias, C, ldc, n_valid, 16 * v0, MB, 3);
        break;
    case 2:
        mm_columns(M, J, At, lda, X, off, ldx, bias, C, ldc, n_valid, 16 * v0, MB, 2);
        break;
    case 1:
        mm_columns(M, J, At, lda, X, off, ldx, bias, C, ldc, n_valid, 16 * v0, MB, 1);
        break;
    default:
        break;
    }
}

/* ---- the weight gradient: dW (O, K) += sum over samples and columns of dY X ---- */

/* The sum of a vector's 16 lanes: lanes l and l + 8 first, then the eight in a fixed tree. */
NN_INLINE float lane_sum(const v16f *v)
{
    const v16f a = *v;
    const v8f f = __builtin_shufflevector(a, a, 0, 1, 2, 3, 4, 5, 6, 7) +
                  __builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15);
    return ((f[0] + f[1]) + (f[2] + f[3])) + ((f[4] + f[5]) + (f[6] + f[7]));
}

/* OB outputs from o0 times KB taps from k0 over the n samples of a group: operands xg (n, S),
 * spread dY dyg (n, O, N). */
NN_INLINE void dw_block(const conv_dims_t *d, uint32_t n, const float *xg, const uint32_t *off,
                        const float *dyg, float *dW, uint32_t o0, uint32_t k0, const uint32_t OB,
                        const uint32_t KB)
{
    v16f acc[4][4];
#pragma GCC unroll 4
    for (uint32_t i = 0; i < OB; i++)
#pragma GCC unroll 4
        for (uint32_t k = 0; k < KB; k++)
            acc[i][k] = SPLAT16(0.0f);
    const uint32_t N = d->N;
    size_t roff[4];
#pragma GCC unroll 4
    for (uint32_t k = 0; k < KB; k++)
        roff[k] = off != NULL ? off[k0 + k] : (size_t)(k0 + k) * N;
    for (uint32_t g = 0; g < n; g++) {
        const float *dg = dyg + ((size_t)g * d->O + o0) * N;
        const float *xs = xg + g * d->S;
        for (uint32_t q = 0; q < N; q += 16) {
            v16f xv[4];
#pragma GCC unroll 4
            for (uint32_t k = 0; k < KB; k++)
                xv[k] = LOAD16(xs + roff[k] + q);
#pragma GCC unroll 4
            for (uint32_t i = 0; i < OB; i++) {
                const v16f dv = LOAD16(dg + (size_t)i * N + q);
#pragma GCC unroll 4
                for (uint32_t k = 0; k < KB; k++)
                    acc[i][k] += dv * xv[k];
            }
        }
    }
#pragma GCC unroll 4
    for (uint32_t i = 0; i < OB; i++)
#pragma GCC unroll 4
        for (uint32_t k = 0; k < KB; k++)
            dW[(size_t)(o0 + i) * d->K + k0 + k] += lane_sum(&acc[i][k]);
}

NN_INLINE void dw_group(const conv_dims_t *d, uint32_t n, const float *xg, const uint32_t *off,
                        const float *dyg, float *dW, const uint32_t OB, const uint32_t KB)
{
    uint32_t o = 0;
    for (; o + OB <= d->O; o += OB) {
        uint32_t k = 0;
        for (; k + KB <= d->K; k += KB)
            dw_block(d, n, xg, off, dyg, dW, o, k, OB, KB);
        for (; k < d->K; k++)
            dw_block(d, n, xg, off, dyg, dW, o, k, OB, 1);
    }
    for (; o < d->O; o++) {
        uint32_t k = 0;
        for (; k + KB <= d->K; k += KB)
            dw_block(d, n, xg, off, dyg, dW, o, k, 1, KB);
        for (; k < d->K; k++)
            dw_block(d, n, xg, off, dyg, dW, o, k, 1, 1);
    }
}

/* db[o] += the sum of dY over the group's samples and columns, lane-wise, then the tree */
NN_INLINE void db_group(const conv_dims_t *d, uint32_t n, const float *dyg, float *db)
{
    for (uint32_t o = 0; o < d->O; o++) {
        v16f acc = SPLAT16(0.0f);
        for (uint32_t g = 0; g < n; g++) {
            const float *dg = dyg + ((size_t)g * d->O + o) * d->N;
            for (uint32_t q = 0; q < d->N; q += 16)
                acc += LOAD16(dg + q);
        }
        db[o] += lane_sum(&acc);
    }
}

/* ---- the passes ---- */

NN_INLINE void forward_pass(const conv_dims_t *d, uint32_t B, const float *x, const float *W,
                            const float *b, float *y, float *ws, const uint32_t MB,
                            const uint32_t NV)
{
    const conv_layout_t l = conv_layout(d, 0);
    float *Wt = ws + l.wt, *xop = ws + l.x, *prod = ws + l.out;
    uint32_t off[CONV_WIDE_MAX_K];
    if (d->wide)
        wide_offsets(d, off);
    /* W^T (K, O), so the kernel broadcasts consecutive outputs' weights */
    for (uint32_t o = 0; o < d->O; o++)
        for (uint32_t k = 0; k < d->K; k++)
            Wt[(size_t)k * d->O + o] = W[(size_t)o * d->K + k];
    const size_t in = (size_t)d->C * d->H * d->W, out = (size_t)d->O * d->P;
    for (uint32_t s = 0; s < B; s++) {
        operand(d, x + s * in, xop);
        float *ys = y + s * out;
        if (!d->wide) {
            mm(d->O, d->N, d->K, Wt, d->O, xop, NULL, d->N, b, ys, d->P, d->P, MB, NV);
            continue;
        }
        /* wide: the product's rows hold Wp columns per output row; keep the first Wo */
        mm(d->O, d->N, d->K, Wt, d->O, xop, off, 0, b, prod, d->N, d->N, MB, NV);
        if (d->Wo % 8 == 0) {
            /* whole half-vectors, without copy_floats' tests (MinAtar's 8-wide rows) */
            for (uint32_t o = 0; o < d->O; o++) {
                const float *src = prod + (size_t)o * d->N;
                float *dst = ys + (size_t)o * d->P;
                for (uint32_t h = 0; h < d->Ho; h++, src += d->Wp, dst += d->Wo)
                    for (uint32_t w = 0; w < d->Wo; w += 8)
                        STORE8(dst + w, LOAD8(src + w));
            }
            continue;
        }
        for (uint32_t o = 0; o < d->O; o++)
            for (uint32_t h = 0; h < d->Ho; h++)
                copy_floats(ys + ((size_t)o * d->Ho + h) * d->Wo,
                            prod + (size_t)o * d->N + (size_t)h * d->Wp, d->Wo);
    }
}

NN_INLINE void backward_pass(const conv_dims_t *d, uint32_t B, const float *x, const float *W,
                             const float *dy, float *dx, float *dW, float *db, float *ws,
                             const uint32_t MB, const uint32_t NV, const uint32_t OB,
                             const uint32_t KB)
{
    const conv_layout_t l = conv_layout(d, 1);
    float *xg = ws + l.x, *dyg = ws + l.out, *dX = ws + l.dx, *dxpad = ws + l.dxpad;
    uint32_t off_table[CONV_WIDE_MAX_K];
    const uint32_t *off = NULL;
    if (d->wide) {
        wide_offsets(d, off_table);
        off = off_table;
    }
    const size_t in = (size_t)d->C * d->H * d->W, out = (size_t)d->O * d->P;
    const size_t on = (size_t)d->O * d->N;
    for (uint32_t s0 = 0; s0 < B; s0 += d->G) {
        const uint32_t n = B - s0 < d->G ? B - s0 : d->G;
        /* the group's dy spread over the operand's columns, zero in the others */
        for (uint32_t g = 0; g < n; g++) {
            float *dst = dyg + g * on;
            memset(dst, 0, sizeof(float) * on);
            for (uint32_t o = 0; o < d->O; o++)
                for (uint32_t h = 0; h < d->Ho; h++)
                    copy_floats(dst + (size_t)o * d->N + (size_t)h * d->ncol,
                                dy + (s0 + g) * out + ((size_t)o * d->Ho + h) * d->Wo, d->Wo);
        }
        if (dW != NULL) {
            for (uint32_t g = 0; g < n; g++)
                operand(d, x + (s0 + g) * in, xg + g * d->S);
            dw_group(d, n, xg, off, dyg, dW, OB, KB);
        }
        if (db != NULL)
            db_group(d, n, dyg, db);
        /* dx: dX = W^T dY, folded back onto the input */
        for (uint32_t g = 0; dx != NULL && g < n; g++) {
            mm(d->K, d->N, d->O, W, d->K, dyg + g * on, NULL, d->N, NULL, dX, d->N, d->N, MB, NV);
            if (!d->wide) {
                col2im(d, dX, dx + (s0 + g) * in);
                continue;
            }
            /* wide: row k of dX adds at the tap's offset; the dropped columns hold zeros */
            memset(dxpad, 0, sizeof(float) * d->S);
            for (uint32_t k = 0; k < d->K; k++)
                add_floats(dxpad + off[k], dX + (size_t)k * d->N, d->N);
            crop_input(d, dxpad, dx + (s0 + g) * in);
        }
    }
}

/* ---- instantiations and dispatch ---- */

typedef void (*conv_forward_fn)(const conv_dims_t *d, uint32_t B, const float *x, const float *W,
                                const float *b, float *y, float *ws);
typedef void (*conv_backward_fn)(const conv_dims_t *d, uint32_t B, const float *x, const float *W,
                                 const float *dy, float *dx, float *dW, float *db, float *ws);

/* (product rows, product vectors, dW outputs, dW taps): as many accumulators as registers */
#define PPO_CONV_INSTANCE(NAME, TARGET, MB, NV, OB, KB)                                            \
    TARGET static void forward_##NAME(const conv_dims_t *d, uint32_t B, const float *x,            \
                                      const float *W, const float *b, float *y, float *ws)         \
    {                                                                                              \
        forward_pass(d, B, x, W, b, y, ws, MB, NV);                                                \
    }                                                                                              \
    TARGET static void backward_##NAME(const conv_dims_t *d, uint32_t B, const float *x,           \
                                       const float *W, const float *dy, float *dx, float *dW,      \
                                       float *db, float *ws)                                       \
    {                                                                                              \
        backward_pass(d, B, x, W, dy, dx, dW, db, ws, MB, NV, OB, KB);                             \
    }

#if PPO_NN_X86_DISPATCH
PPO_CONV_INSTANCE(v4, PPO_NN_TARGET_V4, 3, 5, 4, 4)
PPO_CONV_INSTANCE(v3, PPO_NN_TARGET_V3, 4, 1, 2, 2)
#endif
PPO_CONV_INSTANCE(base, , 2, 1, 1, 2)

static conv_forward_fn conv_forward = forward_base;
static conv_backward_fn conv_backward = backward_base;
static pthread_once_t conv_once = PTHREAD_ONCE_INIT;

static void conv_init(void)
{
#if PPO_NN_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) {
        conv_forward = forward_v4;
        conv_backward = backward_v4;
    } else if (__builtin_cpu_supports("x86-64-v3")) {
        conv_forward = forward_v3;
        conv_backward = backward_v3;
    }
#endif
}

void ppo_conv_forward(const ppo_conv_shape_t *shape, uint32_t B, const float *x, const float *W,
                      const float *b, float *y, float *ws)
{
    if (B == 0)
        return;
    pthread_once(&conv_once, conv_init);
    const conv_dims_t d = conv_dims(shape);
    conv_forward(&d, B, x, W, b, y, ws);
}

void ppo_conv_backward(const ppo_conv_shape_t *shape, uint32_t B, const float *x, const float *W,
                       const float *dy, float *dx, float *dW, float *db, float *ws)
{
    if (B == 0)
        return;
    pthread_once(&conv_once, conv_init);
    const conv_dims_t d = conv_dims(shape);
    conv_backward(&d, B, x, W, dy, dx, dW, db, ws);
}

/* ---- average pooling ---- */

void ppo_avg_pool_forward(const ppo_conv_shape_t *shape, uint32_t B, const float *x, float *y)
{
    const conv_dims_t d = conv_dims(shape);
    const float n = (float)(d.KH * d.KW);
    for (size_t plane = 0; plane < (size_t)B * d.C; plane++) {
        const float *xp = x + plane * d.H * d.W;
        float *yp = y + plane * d.P;
        for (uint32_t h = 0; h < d.Ho; h++)
            for (uint32_t w = 0; w < d.Wo; w++) {
                /* the window's elements inside the image, row by row */
                float s = 0.0f;
                for (uint32_t kh = 0; kh < d.KH; kh++) {
                    const int64_t ih = (int64_t)h * d.SH + kh - d.PH;
                    if (ih < 0 || ih >= (int64_t)d.H)
                        continue;
                    for (uint32_t kw = 0; kw < d.KW; kw++) {
                        const int64_t iw = (int64_t)w * d.SW + kw - d.PW;
                        if (iw >= 0 && iw < (int64_t)d.W)
                            s += xp[(size_t)ih * d.W + (size_t)iw];
                    }
                }
                yp[(size_t)h * d.Wo + w] = s / n;
            }
    }
}

void ppo_avg_pool_backward(const ppo_conv_shape_t *shape, uint32_t B, const float *dy, float *dx)
{
    const conv_dims_t d = conv_dims(shape);
    const float n = (float)(d.KH * d.KW);
    memset(dx, 0, sizeof(float) * B * d.C * d.H * d.W);
    for (size_t plane = 0; plane < (size_t)B * d.C; plane++) {
        float *xp = dx + plane * d.H * d.W;
        const float *yp = dy + plane * d.P;
        for (uint32_t h = 0; h < d.Ho; h++)
            for (uint32_t w = 0; w < d.Wo; w++) {
                const float g = yp[(size_t)h * d.Wo + w] / n;
                for (uint32_t kh = 0; kh < d.KH; kh++) {
                    const int64_t ih = (int64_t)h * d.SH + kh - d.PH;
                    if (ih < 0 || ih >= (int64_t)d.H)
                        continue;
                    for (uint32_t kw = 0; kw < d.KW; kw++) {
                        const int64_t iw = (int64_t)w * d.SW + kw - d.PW;
                        if (iw >= 0 && iw < (int64_t)d.W)
                            xp[(size_t)ih * d.W + (size_t)iw] += g;
                    }
                }
            }
    }
}
