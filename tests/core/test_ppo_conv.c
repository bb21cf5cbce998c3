/* Tests of core/ppo_conv.c (include/ppofw/conv.h): shape checks and their messages, the forward
 * against a plain double loop, the backward (dx, dW, db) against the exact adjoint in double and
 * against central finite differences of the forward, the backward's add/overwrite contract, the
 * batch rule (a sample's forward and dx are its own bit for bit; the whole call repeats), the
 * workspace size (guarded, unaligned), and average pooling.
 *
 * Shapes cover stride 1 and 2, padding, 1x1 kernels, odd and rectangular sizes, one channel,
 * the MinAtar layer (4x10x10, 16 filters 3x3) and a Nature-CNN layer (4x84x84, 32 filters 8x8
 * stride 4).
 *
 * Left out: speed (bench/conv.md and the bench program next to it).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ppo_test.h"

/* C, H, W, O, KH, KW, SH, SW, PH, PW */
static const uint32_t shapes[][10] = {
    {4, 10, 10, 16, 3, 3, 1, 1, 0, 0}, /* MinAtar */
    {3, 7, 9, 5, 3, 3, 2, 2, 1, 1},    /* stride 2 with padding, odd sizes */
    {2, 6, 5, 3, 1, 1, 1, 1, 0, 0},    /* 1x1 */
    {1, 5, 5, 4, 5, 5, 1, 1, 0, 0},    /* kernel = image: one output */
    {3, 9, 8, 7, 4, 2, 2, 3, 1, 1},    /* rectangular kernel and stride */
    {5, 4, 4, 17, 3, 3, 1, 1, 2, 2},   /* more padding, 17 outputs */
    {2, 11, 13, 6, 3, 5, 3, 2, 2, 0},  /* output rows of odd length */
    {32, 9, 9, 64, 3, 3, 1, 1, 0, 0},  /* a Nature-CNN-like third layer */
};

static ppo_conv_shape_t make_shape(const uint32_t *v)
{
    ppo_conv_shape_t s = {.in_channels = v[0],
                          .in_height = v[1],
                          .in_width = v[2],
                          .out_channels = v[3],
                          .kernel_h = v[4],
                          .kernel_w = v[5],
                          .stride_h = v[6],
                          .stride_w = v[7],
                          .pad_h = v[8],
                          .pad_w = v[9]};
    char why[256];
    ck_assert_msg(ppo_conv_shape_check(&s, why, sizeof(why)) == 0, "shape refused: %s", why);
    return s;
}

static float *random_floats(GRand *r, size_t n, double scale)
{
    float *v = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)g_rand_double_range(r, -scale, scale);
    return v;
}

static size_t in_size(const ppo_conv_shape_t *s)
{
    return (size_t)s->in_channels * s->in_height * s->in_width;
}

static size_t out_size(const ppo_conv_shape_t *s)
{
    return (size_t)s->out_channels * s->out_height * s->out_width;
}

static size_t w_size(const ppo_conv_shape_t *s)
{
    return (size_t)s->out_channels * s->in_channels * s->kernel_h * s->kernel_w;
}

/* The input element a tap meets at an output position, or -1 in the padding. */
static long tap_index(const ppo_conv_shape_t *s, uint32_t c, uint32_t h, uint32_t w, uint32_t kh,
                      uint32_t kw)
{
    const long ih = (long)h * s->stride_h + kh - s->pad_h;
    const long iw = (long)w * s->stride_w + kw - s->pad_w;
    if (ih < 0 || iw < 0 || ih >= (long)s->in_height || iw >= (long)s->in_width)
        return -1;
    return ((long)c * s->in_height + ih) * s->in_width + iw;
}

/* A workspace of exactly the size asked for, followed by a guard of NaNs, starting `skew` floats
 * past a 64-byte boundary. */
typedef struct guarded {
    float *block;
    float *ws;
    size_t n;
} guarded_t;

#define GUARD 64

static guarded_t guarded_ws(const ppo_conv_shape_t *s, size_t skew)
{
    guarded_t g;
    g.n = ppo_conv_workspace_floats(s);
    g.block = g_malloc((g.n + GUARD + 16) * sizeof(float));
    g.ws = g.block + skew;
    for (size_t i = 0; i < g.n + GUARD; i++)
        g.ws[i] = NAN;
    return g;
}

static void guarded_check_free(guarded_t *g)
{
    for (size_t i = g->n; i < g->n + GUARD; i++)
        ck_assert_msg(isnan(g->ws[i]), "the call wrote past its workspace (float %zu)", i);
    g_free(g->block);
}

/* ---- shapes ---- */

START_TEST(test_conv_shape_computes_pytorch_output_sizes)
{
    /* MinAtar: 10x10, 3x3, stride 1, no padding -> 8x8 */
    ppo_conv_shape_t s = make_shape(shapes[0]);
    ck_assert_uint_eq(s.out_height, 8);
    ck_assert_uint_eq(s.out_width, 8);
    ck_assert_double_eq(ppo_conv_flops(&s), 2.0 * 4 * 9 * 16 * 64);
    /* Nature-CNN: 84 -(8/4)-> 20 -(4/2)-> 9 -(3/1)-> 7 */
    const uint32_t nature[3][10] = {{4, 84, 84, 32, 8, 8, 4, 4, 0, 0},
                                    {32, 20, 20, 64, 4, 4, 2, 2, 0, 0},
                                    {64, 9, 9, 64, 3, 3, 1, 1, 0, 0}};
    const uint32_t want[3] = {20, 9, 7};
    for (int k = 0; k < 3; k++) {
        s = make_shape(nature[k]);
        ck_assert_uint_eq(s.out_height, want[k]);
        ck_assert_uint_eq(s.out_width, want[k]);
    }
    ck_assert_double_eq(ppo_conv_flops(&s), 2.0 * 64 * 9 * 64 * 49);
    /* stride 2 with padding 1 on 7x9 and a 3x3 kernel: floor((7 + 2 - 3) / 2) + 1 = 4, 5 */
    s = make_shape(shapes[1]);
    ck_assert_uint_eq(s.out_height, 4);
    ck_assert_uint_eq(s.out_width, 5);
    /* the kernel exactly covers the padded image: one output */
    const uint32_t exact[10] = {1, 2, 3, 1, 4, 5, 3, 3, 1, 1};
    s = make_shape(exact);
    ck_assert_uint_eq(s.out_height, 1);
    ck_assert_uint_eq(s.out_width, 1);
}
END_TEST

START_TEST(test_conv_shape_refuses_what_does_not_fit_and_says_why)
{
    const struct {
        uint32_t v[10];
        const char *words[2];
    } cases[] = {
        {{4, 2, 2, 16, 3, 3, 1, 1, 0, 0}, {"3x3 kernel does not fit the 2x2 image", "at most 2x2"}},
        {{4, 10, 3, 16, 3, 5, 1, 1, 0, 0},
         {"3x5 kernel does not fit the 10x3 image", "at most 3x3"}},
        {{0, 10, 10, 16, 3, 3, 1, 1, 0, 0}, {"0x10x10", "at least 1"}},
        {{4, 10, 0, 16, 3, 3, 1, 1, 0, 0}, {"4x10x0", "at least 1"}},
        {{4, 10, 10, 0, 3, 3, 1, 1, 0, 0}, {"0 output channels", "at least 1"}},
        {{4, 10, 10, 16, 0, 3, 1, 1, 0, 0}, {"kernel is 0x3", "at least 1"}},
        {{4, 10, 10, 16, 3, 3, 0, 1, 0, 0}, {"stride is 0x1", "at least 1"}},
        {{4, 10, 10, 16, 3, 3, 1, 1, 3, 0}, {"padding 3x0", "at most 2x2"}},
        {{1, 100000, 100000, 1, 1, 1, 1, 1, 0, 0}, {"too large", "2^31"}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const uint32_t *v = cases[i].v;
        ppo_conv_shape_t s = {v[0], v[1], v[2], v[3], v[4], v[5],        v[6],
                              v[7], v[8], v[9], 77,   77,   {0, 0, 0, 0}};
        char why[256];
        ck_assert_int_eq(ppo_conv_shape_check(&s, why, sizeof(why)), -1);
        for (int w = 0; w < 2; w++)
            ck_assert_msg(strstr(why, cases[i].words[w]) != NULL, "case %zu: \"%s\" lacks \"%s\"",
                          i, why, cases[i].words[w]);
        ck_assert_uint_eq(s.out_height, 0);
        ck_assert_uint_eq(s.out_width, 0);
        /* no message buffer is fine */
        ck_assert_int_eq(ppo_conv_shape_check(&s, NULL, 0), -1);
    }
    /* a reserved field that is not zero */
    ppo_conv_shape_t s = make_shape(shapes[0]);
    s.reserved[2] = 1;
    char why[256];
    ck_assert_int_eq(ppo_conv_shape_check(&s, why, sizeof(why)), -1);
    ck_assert_msg(strstr(why, "reserved") != NULL, "%s", why);
    /* a short buffer gets a truncated, terminated message */
    s.reserved[2] = 0;
    s.kernel_h = 11;
    char tiny[8];
    ck_assert_int_eq(ppo_conv_shape_check(&s, tiny, sizeof(tiny)), -1);
    ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
}
END_TEST

/* ---- forward ---- */

/* y against a double loop: each output within the float error bound of its sum's terms */
static void check_forward(const ppo_conv_shape_t *s, uint32_t B, int bias, GRand *r)
{
    float *x = random_floats(r, B * in_size(s), 1.0);
    float *W = random_floats(r, w_size(s), 1.0);
    float *b = bias ? random_floats(r, s->out_channels, 1.0) : NULL;
    float *y = g_new(float, B *out_size(s));
    for (size_t i = 0; i < B * out_size(s); i++)
        y[i] = NAN;
    guarded_t g = guarded_ws(s, 3);
    ppo_conv_forward(s, B, x, W, b, y, g.ws);
    guarded_check_free(&g);
    const uint32_t C = s->in_channels, KH = s->kernel_h, KW = s->kernel_w;
    double worst = 0.0;
    for (uint32_t n = 0; n < B; n++)
        for (uint32_t o = 0; o < s->out_channels; o++)
            for (uint32_t h = 0; h < s->out_height; h++)
                for (uint32_t w = 0; w < s->out_width; w++) {
                    double ref = b != NULL ? b[o] : 0.0, mag = b != NULL ? fabs(b[o]) : 0.0;
                    for (uint32_t c = 0; c < C; c++)
                        for (uint32_t kh = 0; kh < KH; kh++)
                            for (uint32_t kw = 0; kw < KW; kw++) {
                                const long i = tap_index(s, c, h, w, kh, kw);
                                if (i < 0)
                                    continue;
                                const double t = (double)x[n * in_size(s) + (size_t)i] *
                                                 W[((o * C + c) * KH + kh) * KW + kw];
                                ref += t;
                                mag += fabs(t);
                            }
                    const float got =
                        y[n * out_size(s) + ((size_t)o * s->out_height + h) * s->out_width + w];
                    const double err = fabs(got - ref) / (mag + 1e-30);
                    worst = err > worst ? err : worst;
                }
    const double bound = (C * KH * KW + 2) * 0x1p-24;
    ck_assert_msg(worst <= bound, "forward %ux%ux%u -> %u, k %ux%u: relative error %.3g > %.3g", C,
                  s->in_height, s->in_width, s->out_channels, KH, KW, worst, bound);
    g_free(x);
    g_free(W);
    g_free(b);
    g_free(y);
}

START_TEST(test_conv_forward_matches_double_loops)
{
    GRand *r = g_rand_new_with_seed(21);
    for (size_t k = 0; k < G_N_ELEMENTS(shapes); k++) {
        const ppo_conv_shape_t s = make_shape(shapes[k]);
        check_forward(&s, 1, 1, r);
        check_forward(&s, 3, 0, r);
        check_forward(&s, 5, 1, r);
    }
    g_rand_free(r);
}
END_TEST

/* ---- backward ---- */

typedef struct bwd_case {
    ppo_conv_shape_t s;
    uint32_t B;
    float *x, *W, *b, *dy;
    float *dx, *dW, *db; /* from ppo_conv_backward, dW and db from zero */
} bwd_case_t;

static bwd_case_t bwd_run(const uint32_t *v, uint32_t B, GRand *r)
{
    bwd_case_t c = {.s = make_shape(v), .B = B};
    c.x = random_floats(r, B * in_size(&c.s), 1.0);
    c.W = random_floats(r, w_size(&c.s), 0.5);
    c.b = random_floats(r, c.s.out_channels, 0.5);
    c.dy = random_floats(r, B * out_size(&c.s), 1.0);
    c.dx = random_floats(r, B * in_size(&c.s), 9.0); /* garbage: dx is overwritten */
    c.dW = g_new0(float, w_size(&c.s));
    c.db = g_new0(float, c.s.out_channels);
    guarded_t g = guarded_ws(&c.s, 1);
    ppo_conv_backward(&c.s, B, c.x, c.W, c.dy, c.dx, c.dW, c.db, g.ws);
    guarded_check_free(&g);
    return c;
}

static void bwd_free(bwd_case_t *c)
{
    g_free(c->x);
    g_free(c->W);
    g_free(c->b);
    g_free(c->dy);
    g_free(c->dx);
    g_free(c->dW);
    g_free(c->db);
}

START_TEST(test_conv_backward_matches_the_exact_adjoint_in_double)
{
    GRand *r = g_rand_new_with_seed(22);
    for (size_t k = 0; k < G_N_ELEMENTS(shapes); k++) {
        const uint32_t B = 1 + (uint32_t)k % 4;
        bwd_case_t c = bwd_run(shapes[k], B, r);
        const ppo_conv_shape_t *s = &c.s;
        const uint32_t C = s->in_channels, KH = s->kernel_h, KW = s->kernel_w;
        const size_t nin = in_size(s), nout = out_size(s);
        double *dx = g_new0(double, B *nin), *dW = g_new0(double, w_size(s));
        double *mx = g_new0(double, B *nin), *mW = g_new0(double, w_size(s));
        double db[64] = {0}, mb[64] = {0};
        for (uint32_t n = 0; n < B; n++)
            for (uint32_t o = 0; o < s->out_channels; o++)
                for (uint32_t h = 0; h < s->out_height; h++)
                    for (uint32_t w = 0; w < s->out_width; w++) {
                        const double g =
                            c.dy[n * nout + ((size_t)o * s->out_height + h) * s->out_width + w];
                        db[o] += g;
                        mb[o] += fabs(g);
                        for (uint32_t ch = 0; ch < C; ch++)
                            for (uint32_t kh = 0; kh < KH; kh++)
                                for (uint32_t kw = 0; kw < KW; kw++) {
                                    const long i = tap_index(s, ch, h, w, kh, kw);
                                    if (i < 0)
                                        continue;
                                    const size_t wi = ((o * C + ch) * KH + kh) * KW + kw;
                                    const size_t xi = n * nin + (size_t)i;
                                    dW[wi] += g * c.x[xi];
                                    mW[wi] += fabs(g * c.x[xi]);
                                    dx[xi] += g * c.W[wi];
                                    mx[xi] += fabs(g * c.W[wi]);
                                }
                    }
        /* each within the float error bound of its sum, relative to its terms' magnitudes */
        const double terms = (double)B * s->out_height * s->out_width + s->out_channels * KH * KW;
        const double bound = (terms + 2) * 0x1p-24;
        double worst = 0.0;
        for (size_t i = 0; i < B * nin; i++)
            worst = fmax(worst, fabs(c.dx[i] - dx[i]) / (mx[i] + 1e-30));
        for (size_t i = 0; i < w_size(s); i++)
            worst = fmax(worst, fabs(c.dW[i] - dW[i]) / (mW[i] + 1e-30));
        for (uint32_t o = 0; o < s->out_channels; o++)
            worst = fmax(worst, fabs(c.db[o] - db[o]) / (mb[o] + 1e-30));
        ck_assert_msg(worst <= bound, "shape %zu B=%u: backward relative error %.3g > %.3g", k, B,
                      worst, bound);
        /* padding-only input elements get exactly zero */
        g_free(dx);
        g_free(dW);
        g_free(mx);
        g_free(mW);
        bwd_free(&c);
    }
    g_rand_free(r);
}
END_TEST

/* loss = sum of dy * forward(x, W, b), in double */
static double fd_loss(const bwd_case_t *c, float *y, float *ws)
{
    ppo_conv_forward(&c->s, c->B, c->x, c->W, c->b, y, ws);
    double L = 0.0;
    for (size_t i = 0; i < c->B * out_size(&c->s); i++)
        L += (double)c->dy[i] * y[i];
    return L;
}

/* central difference of the loss in *v with step h (the float steps actually taken divide) */
static double fd_one(const bwd_case_t *c, float *v, float h, float *y, float *ws)
{
    const float v0 = *v;
    *v = v0 + h;
    const double up_step = (double)*v - v0, up = fd_loss(c, y, ws);
    *v = v0 - h;
    const double dn_step = (double)v0 - *v, dn = fd_loss(c, y, ws);
    *v = v0;
    return (up - dn) / (up_step + dn_step);
}

/* relative L2 distance of an analytic gradient from the differences of n values at v */
static double fd_compare(const bwd_case_t *c, float *v, const float *grad, size_t n, float *y,
                         float *ws)
{
    double diff2 = 0.0, norm2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double fd = fd_one(c, &v[i], 0x1p-6f, y, ws);
        diff2 += (fd - grad[i]) * (fd - grad[i]);
        norm2 += fd * fd;
    }
    return sqrt(diff2) / fmax(sqrt(norm2), 1e-12);
}

START_TEST(test_conv_backward_matches_central_finite_differences)
{
    /* the loss is linear in each of x, W and b, so central differences are exact up to float
     * rounding of the forward */
    GRand *r = g_rand_new_with_seed(23);
    for (size_t k = 0; k < G_N_ELEMENTS(shapes) - 1; k++) {
        bwd_case_t c = bwd_run(shapes[k], 2, r);
        float *y = g_new(float, c.B *out_size(&c.s));
        float *ws = g_new(float, ppo_conv_workspace_floats(&c.s));
        const double ex = fd_compare(&c, c.x, c.dx, c.B * in_size(&c.s), y, ws);
        const double eW = fd_compare(&c, c.W, c.dW, w_size(&c.s), y, ws);
        const double eb = fd_compare(&c, c.b, c.db, c.s.out_channels, y, ws);
        printf("FD conv shape %zu: relative error dx %.2e, dW %.2e, db %.2e\n", k, ex, eW, eb);
        ck_assert_msg(ex < 1e-3 && eW < 1e-3 && eb < 1e-3,
                      "shape %zu: finite differences disagree (dx %.3g, dW %.3g, db %.3g)", k, ex,
                      eW, eb);
        g_free(y);
        g_free(ws);
        bwd_free(&c);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_conv_backward_adds_into_dw_and_db_and_overwrites_dx)
{
    GRand *r = g_rand_new_with_seed(24);
    for (size_t k = 0; k < G_N_ELEMENTS(shapes); k++) {
        bwd_case_t c = bwd_run(shapes[k], 3, r);
        const size_t nx = c.B * in_size(&c.s), nw = w_size(&c.s);
        /* start from values already there: the call adds its sums to them */
        float *dW0 = random_floats(r, nw, 2.0), *db0 = random_floats(r, c.s.out_channels, 2.0);
        float *dW2 = g_memdup2(dW0, nw * sizeof(float));
        float *db2 = g_memdup2(db0, c.s.out_channels * sizeof(float));
        float *dx2 = random_floats(r, nx, 5.0);
        float *ws = g_new(float, ppo_conv_workspace_floats(&c.s));
        ppo_conv_backward(&c.s, c.B, c.x, c.W, c.dy, dx2, dW2, db2, ws);
        for (size_t i = 0; i < nw; i++)
            ck_assert_msg(fabsf(dW2[i] - (dW0[i] + c.dW[i])) <=
                              1e-6f * (fabsf(dW0[i]) + fabsf(c.dW[i]) + 1.0f),
                          "shape %zu: dW[%zu] = %.9g, not %.9g + %.9g", k, i, dW2[i], dW0[i],
                          c.dW[i]);
        for (uint32_t o = 0; o < c.s.out_channels; o++)
            ck_assert(fabsf(db2[o] - (db0[o] + c.db[o])) <=
                      1e-6f * (fabsf(db0[o]) + fabsf(c.db[o]) + 1.0f));
        /* dx does not depend on what was in it */
        ck_assert(memcmp(dx2, c.dx, nx * sizeof(float)) == 0);
        /* NULL dx, dW or db skips that output and leaves the others as they were */
        float *dW3 = g_new0(float, nw);
        ppo_conv_backward(&c.s, c.B, c.x, c.W, c.dy, NULL, dW3, NULL, ws);
        ck_assert(memcmp(dW3, c.dW, nw * sizeof(float)) == 0);
        float *dx3 = g_new(float, nx);
        ppo_conv_backward(&c.s, c.B, c.x, c.W, c.dy, dx3, NULL, NULL, ws);
        ck_assert(memcmp(dx3, c.dx, nx * sizeof(float)) == 0);
        g_free(dW0);
        g_free(db0);
        g_free(dW2);
        g_free(db2);
        g_free(dx2);
        g_free(dW3);
        g_free(dx3);
        g_free(ws);
        bwd_free(&c);
    }
    g_rand_free(r);
}
END_TEST

/* ---- the batch rule ---- */

START_TEST(test_conv_sample_results_do_not_depend_on_the_batch_bit_for_bit)
{
    GRand *r = g_rand_new_with_seed(25);
    for (size_t k = 0; k < G_N_ELEMENTS(shapes); k++) {
        const ppo_conv_shape_t s = make_shape(shapes[k]);
        /* more samples than a backward group holds */
        const uint32_t B = 70;
        const size_t nin = in_size(&s), nout = out_size(&s);
        float *x = random_floats(r, B * nin, 1.0), *W = random_floats(r, w_size(&s), 1.0);
        float *b = random_floats(r, s.out_channels, 1.0), *dy = random_floats(r, B * nout, 1.0);
        float *y = g_new(float, B *nout), *dx = g_new(float, B *nin);
        float *dW = g_new0(float, w_size(&s)), *db = g_new0(float, s.out_channels);
        float *ws = g_new(float, ppo_conv_workspace_floats(&s));
        ppo_conv_forward(&s, B, x, W, b, y, ws);
        ppo_conv_backward(&s, B, x, W, dy, dx, dW, db, ws);
        /* each sample alone, and the last 13 with other neighbours, give the same bits */
        float *y1 = g_new(float, nout), *dx1 = g_new(float, nin);
        float *dWs = g_new0(float, w_size(&s)), *dbs = g_new0(float, s.out_channels);
        for (uint32_t n = 0; n < B; n += 7) {
            ppo_conv_forward(&s, 1, x + n * nin, W, b, y1, ws);
            ck_assert_msg(memcmp(y1, y + n * nout, nout * sizeof(float)) == 0,
                          "shape %zu: sample %u's output changed with the batch", k, n);
            ppo_conv_backward(&s, 1, x + n * nin, W, dy + n * nout, dx1, dWs, dbs, ws);
            ck_assert_msg(memcmp(dx1, dx + n * nin, nin * sizeof(float)) == 0,
                          "shape %zu: sample %u's dx changed with the batch", k, n);
        }
        float *y13 = g_new(float, 13 * nout);
        ppo_conv_forward(&s, 13, x + (B - 13) * nin, W, b, y13, ws);
        ck_assert(memcmp(y13, y + (B - 13) * nout, 13 * nout * sizeof(float)) == 0);
        /* the whole call repeats exactly, dW and db included */
        float *dW2 = g_new0(float, w_size(&s)), *db2 = g_new0(float, s.out_channels);
        float *dx2 = g_new(float, B *nin);
        ppo_conv_backward(&s, B, x, W, dy, dx2, dW2, db2, ws);
        ck_assert(memcmp(dW2, dW, w_size(&s) * sizeof(float)) == 0);
        ck_assert(memcmp(db2, db, s.out_channels * sizeof(float)) == 0);
        ck_assert(memcmp(dx2, dx, B * nin * sizeof(float)) == 0);
        g_free(x);
        g_free(W);
        g_free(b);
        g_free(dy);
        g_free(y);
        g_free(dx);
        g_free(dW);
        g_free(db);
        g_free(ws);
        g_free(y1);
        g_free(dx1);
        g_free(dWs);
        g_free(dbs);
        g_free(y13);
        g_free(dW2);
        g_free(db2);
        g_free(dx2);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_conv_nature_first_layer_fits_its_workspace)
{
    /* 84x84 frames, 8x8 kernels at stride 4: a large unfolded input, one sample per group */
    const uint32_t v[10] = {4, 84, 84, 32, 8, 8, 4, 4, 0, 0};
    GRand *r = g_rand_new_with_seed(26);
    const ppo_conv_shape_t s = make_shape(v);
    /* B = 0 touches nothing */
    ppo_conv_forward(&s, 0, NULL, NULL, NULL, NULL, NULL);
    ppo_conv_backward(&s, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    check_forward(&s, 2, 1, r);
    bwd_case_t c = bwd_run(v, 2, r);
    /* dW against one sample at a time, accumulated: the same sums up to rounding */
    float *dW1 = g_new0(float, w_size(&s)), *dx1 = g_new(float, in_size(&s));
    float *ws = g_new(float, ppo_conv_workspace_floats(&s));
    for (uint32_t n = 0; n < 2; n++)
        ppo_conv_backward(&s, 1, c.x + n * in_size(&s), c.W, c.dy + n * out_size(&s), dx1, dW1,
                          NULL, ws);
    for (size_t i = 0; i < w_size(&s); i++)
        ck_assert_float_eq_tol(dW1[i], c.dW[i], 1e-4f * (1.0f + fabsf(c.dW[i])));
    g_free(dW1);
    g_free(dx1);
    g_free(ws);
    bwd_free(&c);
    g_rand_free(r);
}
END_TEST

/* ---- average pooling ---- */

START_TEST(test_avg_pool_averages_windows_and_its_backward_is_the_adjoint)
{
    GRand *r = g_rand_new_with_seed(27);
    const uint32_t pools[][10] = {
        {3, 8, 8, 3, 2, 2, 2, 2, 0, 0},
        {2, 7, 5, 2, 3, 3, 2, 2, 1, 1},
        {1, 4, 6, 1, 2, 3, 1, 3, 0, 0},
    };
    for (size_t k = 0; k < G_N_ELEMENTS(pools); k++) {
        const ppo_conv_shape_t s = make_shape(pools[k]);
        const uint32_t B = 2;
        const size_t nin = in_size(&s), nout = out_size(&s);
        float *x = random_floats(r, B * nin, 1.0), *y = g_new(float, B *nout);
        ppo_avg_pool_forward(&s, B, x, y);
        for (uint32_t n = 0; n < B; n++)
            for (uint32_t c = 0; c < s.in_channels; c++)
                for (uint32_t h = 0; h < s.out_height; h++)
                    for (uint32_t w = 0; w < s.out_width; w++) {
                        double ref = 0.0;
                        for (uint32_t kh = 0; kh < s.kernel_h; kh++)
                            for (uint32_t kw = 0; kw < s.kernel_w; kw++) {
                                const long i = tap_index(&s, c, h, w, kh, kw);
                                if (i >= 0)
                                    ref += x[n * nin + (size_t)i];
                            }
                        ref /= s.kernel_h * s.kernel_w;
                        const float got =
                            y[n * nout + ((size_t)c * s.out_height + h) * s.out_width + w];
                        ck_assert_msg(fabs(got - ref) <= 1e-6, "pool %zu: %g vs %g", k, got, ref);
                    }
        /* <dy, pool(x)> = <pool^T(dy), x> */
        float *dy = random_floats(r, B * nout, 1.0), *dx = random_floats(r, B * nin, 3.0);
        ppo_avg_pool_backward(&s, B, dy, dx);
        double lhs = 0.0, rhs = 0.0;
        for (size_t i = 0; i < B * nout; i++)
            lhs += (double)dy[i] * y[i];
        for (size_t i = 0; i < B * nin; i++)
            rhs += (double)dx[i] * x[i];
        ck_assert_msg(fabs(lhs - rhs) <= 1e-5 * (1.0 + fabs(lhs)), "pool %zu: %.9g vs %.9g", k, lhs,
                      rhs);
        g_free(x);
        g_free(y);
        g_free(dy);
        g_free(dx);
    }
    g_rand_free(r);
}
END_TEST

static Suite *conv_suite(void)
{
    Suite *s = suite_create("ppo_conv");
    TCase *tc = tcase_create("conv");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_conv_shape_computes_pytorch_output_sizes);
    tcase_add_test(tc, test_conv_shape_refuses_what_does_not_fit_and_says_why);
    tcase_add_test(tc, test_conv_forward_matches_double_loops);
    tcase_add_test(tc, test_conv_backward_matches_the_exact_adjoint_in_double);
    tcase_add_test(tc, test_conv_backward_matches_central_finite_differences);
    tcase_add_test(tc, test_conv_backward_adds_into_dw_and_db_and_overwrites_dx);
    tcase_add_test(tc, test_conv_sample_results_do_not_depend_on_the_batch_bit_for_bit);
    tcase_add_test(tc, test_conv_nature_first_layer_fits_its_workspace);
    tcase_add_test(tc, test_avg_pool_averages_windows_and_its_backward_is_the_adjoint);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(conv_suite());
}
