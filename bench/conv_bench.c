/* conv_bench — GFLOP/s of libppofw's convolution kernels (include/ppofw/conv.h) in isolation, at
 * the layer shapes of the cnn policy's presets, next to the dense layer that follows them
 * (ppo_linear_forward/backward) and sgemm at the same product's size.
 *
 * Usage: bench/conv_bench [SECONDS-PER-FIGURE]   (default 0.3)
 *
 * Each figure is the best rate over repeated batches of calls within the time given, one thread
 * (the BLAS too). FLOPs count a multiply-add as 2: forward 2 C KH KW O Ho Wo per sample
 * (ppo_conv_flops); the weight gradient (dW and db) the same again; dx the same again. Timings
 * depend on the machine and its load; bench/conv.md records a run. Left out: everything but the
 * kernels (no plugin, no trainer).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ppofw/conv.h>
#include <ppofw/nn.h>

#include <cblas.h>
#undef I

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int num_threads);
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *floats(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (n > 0 ? n : 1) * sizeof(float)) != 0) {
        fprintf(stderr, "conv_bench: out of memory\n");
        exit(1);
    }
    float *v = p;
    for (size_t i = 0; i < n; i++)
        v[i] = (float)((double)rand() / RAND_MAX - 0.5);
    return v;
}

typedef struct job {
    int what; /* 0 forward, 1 dW + db, 2 dW + db + dx, 3 linear fwd, 4 linear bwd, 5 sgemm */
    const ppo_conv_shape_t *s;
    uint32_t B, I, O;
    float *x, *W, *b, *y, *dy, *dx, *dW, *db, *ws;
} job_t;

static void run(const job_t *j)
{
    switch (j->what) {
    case 0:
        ppo_conv_forward(j->s, j->B, j->x, j->W, j->b, j->y, j->ws);
        break;
    case 1:
        ppo_conv_backward(j->s, j->B, j->x, j->W, j->dy, NULL, j->dW, j->db, j->ws);
        break;
    case 2:
        ppo_conv_backward(j->s, j->B, j->x, j->W, j->dy, j->dx, j->dW, j->db, j->ws);
        break;
    case 3:
        ppo_linear_forward(j->B, j->I, j->O, j->x, j->W, j->b, j->y);
        break;
    case 4:
        ppo_linear_backward(j->B, j->I, j->O, j->x, j->W, j->dy, j->dx, j->dW, j->db);
        break;
    default:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)j->B, (int)j->O, (int)j->I, 1.0f,
                    j->x, (int)j->I, j->W, (int)j->I, 0.0f, j->y, (int)j->O);
        break;
    }
}

/* best GFLOP/s of `flops`-sized calls within `budget` seconds */
static double rate(const job_t *j, double flops, double budget)
{
    run(j);
    const double t0 = now_s();
    run(j);
    const double one = fmax(now_s() - t0, 1e-8);
    const long calls = (long)fmax(1.0, budget / 8.0 / one);
    double best = 0.0;
    const double start = now_s();
    while (now_s() - start < budget) {
        const double b0 = now_s();
        for (long c = 0; c < calls; c++)
            run(j);
        best = fmax(best, flops * (double)calls / (now_s() - b0) / 1e9);
    }
    return best;
}

static void conv_row(const char *name, const uint32_t *v, uint32_t B, double budget)
{
    ppo_conv_shape_t s = {.in_channels = v[0],
                          .in_height = v[1],
                          .in_width = v[2],
                          .out_channels = v[3],
                          .kernel_h = v[4],
                          .kernel_w = v[4],
                          .stride_h = v[5],
                          .stride_w = v[5]};
    char why[256];
    if (ppo_conv_shape_check(&s, why, sizeof(why)) != 0) {
        fprintf(stderr, "conv_bench: %s: %s\n", name, why);
        exit(1);
    }
    const size_t nin = (size_t)v[0] * v[1] * v[2];
    const size_t nout = (size_t)v[3] * s.out_height * s.out_width;
    const size_t nw = (size_t)v[3] * v[0] * v[4] * v[4];
    job_t j = {.s = &s, .B = B};
    j.x = floats(B * nin);
    j.dx = floats(B * nin);
    j.y = floats(B * nout);
    j.dy = floats(B * nout);
    j.W = floats(nw);
    j.dW = floats(nw);
    j.b = floats(v[3]);
    j.db = floats(v[3]);
    j.ws = floats(ppo_conv_workspace_floats(&s));
    const double f = ppo_conv_flops(&s) * B;
    double r[3];
    for (j.what = 0; j.what < 3; j.what++)
        r[j.what] = rate(&j, f * (j.what + 1), budget);
    /* the same product through sgemm: (B Ho Wo, C K K) x (C K K, O) */
    job_t g = {.what = 5, .B = B * s.out_height * s.out_width, .I = v[0] * v[4] * v[4], .O = v[3]};
    g.x = floats((size_t)g.B * g.I);
    g.W = floats((size_t)g.O * g.I);
    g.y = floats((size_t)g.B * g.O);
    const double rs = rate(&g, f, budget);
    printf("%-26s %4u %10.1f %10.1f %10.1f %10.1f\n", name, B, r[0], r[1], r[2], rs);
    free(j.x);
    free(j.dx);
    free(j.y);
    free(j.dy);
    free(j.W);
    free(j.dW);
    free(j.b);
    free(j.db);
    free(j.ws);
    free(g.x);
    free(g.W);
    free(g.y);
}

static void linear_row(const char *name, uint32_t B, uint32_t I, uint32_t O, double budget)
{
    job_t j = {.B = B, .I = I, .O = O};
    j.x = floats((size_t)B * I);
    j.dx = floats((size_t)B * I);
    j.W = floats((size_t)O * I);
    j.dW = floats((size_t)O * I);
    j.y = floats((size_t)B * O);
    j.dy = floats((size_t)B * O);
    j.b = floats(O);
    j.db = floats(O);
    const double f = 2.0 * B * I * O;
    j.what = 3;
    const double fw = rate(&j, f, budget);
    j.what = 4;
    const double bw = rate(&j, 2 * f, budget);
    j.what = 5;
    const double gm = rate(&j, f, budget);
    printf("%-26s %4u %10.1f %10s %10.1f %10.1f\n", name, B, fw, "", bw, gm);
    free(j.x);
    free(j.dx);
    free(j.W);
    free(j.dW);
    free(j.y);
    free(j.dy);
    free(j.b);
    free(j.db);
}

int main(int argc, char **argv)
{
    const double budget = argc > 1 ? atof(argv[1]) : 0.3;
    if (!(budget > 0.0)) {
        fprintf(stderr, "usage: conv_bench [SECONDS-PER-FIGURE]\n");
        return 2;
    }
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1);
#endif
    /* C, H, W, O, kernel, stride */
    static const uint32_t minatar[6] = {4, 10, 10, 16, 3, 1};
    static const uint32_t nature[3][6] = {
        {4, 84, 84, 32, 8, 4}, {32, 20, 20, 64, 4, 2}, {64, 9, 9, 64, 3, 1}};
    printf("GFLOP/s, one thread; conv: forward, dW+db, dW+db+dx; linear: forward, -, backward\n");
    printf("%-26s %4s %10s %10s %10s %10s\n", "layer", "B", "forward", "dW+db", "+dx", "sgemm");
    for (uint32_t B = 8; B <= 256; B *= 32) {
        conv_row("minatar conv 4x10x10>16k3", minatar, B, budget);
        linear_row("minatar dense 1024>128", B, 1024, 128, budget);
    }
    conv_row("nature conv1 4x84x84>32k8s4", nature[0], 32, budget);
    conv_row("nature conv2 32x20x20>64k4s2", nature[1], 32, budget);
    conv_row("nature conv3 64x9x9>64k3", nature[2], 32, budget);
    linear_row("nature dense 3136>512", 32, 3136, 512, budget);
    return 0;
}
