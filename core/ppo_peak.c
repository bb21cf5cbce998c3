/* ppofw core — the machine's physical float32 peak (see ppo_peak_private.h).
 *
 * Each tier's loop keeps ACC independent accumulators in registers and updates every one of them
 * once an iteration: acc = acc * a + b with a = 1 and b tiny (read through volatile so the
 * compiler cannot fold them), so the values stay normal floats forever and no denormal slows the
 * loop. Twelve chains cover an FMA latency of 4 cycles on two ports with room to spare and fit
 * the 16 vector registers of AVX2 with the two operands. The baseline has no FMA: it runs six
 * multiply chains and six add chains side by side (the same ports, one FLOP a lane each).
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "ppo_peak_private.h"
#include "ppo_simd_private.h"

#if PPO_NN_X86_DISPATCH
#include <immintrin.h>
#endif

/* independent accumulators (ACC_DECLARE below); the baseline's are half multiply chains, half
 * add chains */
#define ACC 12
/* the time one repetition should take, and the repetitions at least */
#define REP_SECONDS 0.02
#define MIN_REPS 3

static volatile float operand_a = 1.0f;
static volatile float operand_b = 1e-30f;
/* where the accumulators' sum goes, so the loop is not dead code */
static volatile float sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef float v4f __attribute__((vector_size(16)));

/* FLOPs one iteration of each tier's loop does */
static const double flops_per_iter[PPO_TIER_COUNT] = {
    [PPO_TIER_BASELINE] = 1.0 * ACC * 4,
    [PPO_TIER_V3] = 2.0 * ACC * 8,
    [PPO_TIER_V4] = 2.0 * ACC * 16,
};

/* the twelve accumulators as named variables (an array would live in memory), each updated by
 * OP(acc) once an iteration; the empty asm keeps every chain in its register and in order */
#define ACC_DECLARE(T, INIT)                                                                       \
    T c0 = INIT(1), c1 = INIT(2), c2 = INIT(3), c3 = INIT(4), c4 = INIT(5), c5 = INIT(6),          \
      c6 = INIT(7), c7 = INIT(8), c8 = INIT(9), c9 = INIT(10), c10 = INIT(11), c11 = INIT(12)
#define ACC_STEP(OP, R)                                                                            \
    do {                                                                                           \
        c0 = OP(c0, 0);                                                                            \
        c1 = OP(c1, 1);                                                                            \
        c2 = OP(c2, 0);                                                                            \
        c3 = OP(c3, 1);                                                                            \
        c4 = OP(c4, 0);                                                                            \
        c5 = OP(c5, 1);                                                                            \
        c6 = OP(c6, 0);                                                                            \
        c7 = OP(c7, 1);                                                                            \
        c8 = OP(c8, 0);                                                                            \
        c9 = OP(c9, 1);                                                                            \
        c10 = OP(c10, 0);                                                                          \
        c11 = OP(c11, 1);                                                                          \
        __asm__ volatile("" : "+" R(c0), "+" R(c1), "+" R(c2), "+" R(c3), "+" R(c4), "+" R(c5));    \
        __asm__ volatile("" : "+" R(c6), "+" R(c7), "+" R(c8), "+" R(c9), "+" R(c10), "+" R(c11));  \
    } while (0)
#define ACC_SUM(ADD) ADD(ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7))),         \
                         ADD(ADD(c8, c9), ADD(c10, c11)))

#if defined(__x86_64__)
#define REG_X "x"
#define REG_V "v"
#else
#define REG_X "w"
#define REG_V "w"
#endif

/* the baseline: even chains multiply by a, odd chains add b */
#define B_INIT(k) ((v4f){(float)(k), (float)(k), (float)(k), (float)(k)})
#define B_OP(c, odd) ((odd) ? (c) + b : (c) * a)
#define B_ADD(x, y) ((x) + (y))

static void loop_baseline(uint64_t iters)
{
    const float sa = operand_a, sb = operand_b;
    const v4f a = {sa, sa, sa, sa}, b = {sb, sb, sb, sb};
    ACC_DECLARE(v4f, B_INIT);
    for (uint64_t i = 0; i < iters; i++)
        ACC_STEP(B_OP, REG_X);
    const v4f t = ACC_SUM(B_ADD);
    sink = t[0] + t[1] + t[2] + t[3];
}

#if PPO_NN_X86_DISPATCH
#define V3_INIT(k) _mm256_set1_ps((float)(k))
#define V3_OP(c, odd) _mm256_fmadd_ps((c), a, b)
PPO_NN_TARGET_V3 static void loop_v3(uint64_t iters)
{
    const __m256 a = _mm256_set1_ps(operand_a), b = _mm256_set1_ps(operand_b);
    ACC_DECLARE(__m256, V3_INIT);
    for (uint64_t i = 0; i < iters; i++)
        ACC_STEP(V3_OP, REG_X);
    float out[8];
    _mm256_storeu_ps(out, ACC_SUM(_mm256_add_ps));
    sink = out[0] + out[7];
}

#define V4_INIT(k) _mm512_set1_ps((float)(k))
#define V4_OP(c, odd) _mm512_fmadd_ps((c), a, b)
PPO_NN_TARGET_V4 static void loop_v4(uint64_t iters)
{
    const __m512 a = _mm512_set1_ps(operand_a), b = _mm512_set1_ps(operand_b);
    ACC_DECLARE(__m512, V4_INIT);
    for (uint64_t i = 0; i < iters; i++)
        ACC_STEP(V4_OP, REG_V);
    float out[16];
    _mm512_storeu_ps(out, ACC_SUM(_mm512_add_ps));
    sink = out[0] + out[15];
}
#endif

static void run_loop(ppo_tier_t tier, uint64_t iters)
{
    switch (tier) {
#if PPO_NN_X86_DISPATCH
    case PPO_TIER_V4:
        loop_v4(iters);
        return;
    case PPO_TIER_V3:
        loop_v3(iters);
        return;
#endif
    default:
        loop_baseline(iters);
        return;
    }
}

bool ppo_tier_supported(ppo_tier_t tier)
{
    if (tier == PPO_TIER_BASELINE)
        return true;
#if PPO_NN_X86_DISPATCH
    __builtin_cpu_init();
    if (tier == PPO_TIER_V4)
        return __builtin_cpu_supports("x86-64-v4");
    if (tier == PPO_TIER_V3)
        return __builtin_cpu_supports("x86-64-v3");
#endif
    return false;
}

ppo_tier_t ppo_tier_best(void)
{
    if (ppo_tier_supported(PPO_TIER_V4))
        return PPO_TIER_V4;
    return ppo_tier_supported(PPO_TIER_V3) ? PPO_TIER_V3 : PPO_TIER_BASELINE;
}

const char *ppo_tier_name(ppo_tier_t tier)
{
    static const char *const names[PPO_TIER_COUNT] = {"baseline", "avx2", "avx512"};
    return (unsigned)tier < PPO_TIER_COUNT ? names[tier] : "unknown";
}

const char *ppo_tier_describe(ppo_tier_t tier)
{
    static const char *const what[PPO_TIER_COUNT] = {
#if PPO_NN_X86_DISPATCH
        "x86-64 baseline: SSE2, 4 lanes, multiply and add",
#else
        "baseline: 4-lane vectors, multiply and add",
#endif
        "x86-64-v3: AVX2, 8 lanes, FMA",
        "x86-64-v4: AVX-512F, 16 lanes, FMA",
    };
    return (unsigned)tier < PPO_TIER_COUNT ? what[tier] : "unknown";
}

/* ---- several threads at once ---- */

typedef struct {
    ppo_tier_t tier;
    uint64_t iters;
    atomic_int *go;         /* 0: wait, 1: run, 2: leave without running */
    atomic_uint *ready;     /* threads waiting for go */
    double end;             /* when this thread's loop ended */
} peak_thread_t;

static void *peak_thread(void *data)
{
    peak_thread_t *t = data;
    atomic_fetch_add(t->ready, 1);
    int go;
    while ((go = atomic_load(t->go)) == 0)
        sched_yield();
    if (go == 1) {
        run_loop(t->tier, t->iters);
        t->end = now_s();
    }
    return NULL;
}

/* Wall seconds of `threads` loops of `iters` iterations released together; < 0 when a thread
 * cannot be started. The caller runs loop 0. */
static double timed_together(ppo_tier_t tier, uint32_t threads, uint64_t iters)
{
    if (threads <= 1) {
        const double t0 = now_s();
        run_loop(tier, iters);
        return now_s() - t0;
    }
    atomic_int go = 0;
    atomic_uint ready = 0;
    peak_thread_t *ts = g_new0(peak_thread_t, threads);
    pthread_t *ids = g_new0(pthread_t, threads);
    uint32_t started = 1;
    for (uint32_t k = 1; k < threads; k++) {
        ts[k] = (peak_thread_t){.tier = tier, .iters = iters, .go = &go, .ready = &ready};
        if (pthread_create(&ids[k], NULL, peak_thread, &ts[k]) != 0)
            break;
        started++;
    }
    double wall = -1.0;
    if (started == threads) {
        while (atomic_load(&ready) < threads - 1)
            sched_yield();
        atomic_store(&go, 1);
        const double t0 = now_s();
        run_loop(tier, iters);
        double end = now_s();
        for (uint32_t k = 1; k < threads; k++) {
            pthread_join(ids[k], NULL);
            end = fmax(end, ts[k].end);
        }
        wall = end - t0;
    } else {
        atomic_store(&go, 2);
        for (uint32_t k = 1; k < started; k++)
            pthread_join(ids[k], NULL);
    }
    g_free(ts);
    g_free(ids);
    return wall;
}

double ppo_peak_gflops(ppo_tier_t tier, uint32_t threads, double budget)
{
    if (!ppo_tier_supported(tier))
        return 0.0;
    if (threads == 0)
        threads = 1;
    /* calibrate on one thread: iterations for about REP_SECONDS */
    uint64_t iters = 1u << 16;
    double dt = 0.0;
    while ((dt = timed_together(tier, 1, iters)) < REP_SECONDS / 8.0 && iters < (1ull << 40))
        iters *= 2;
    iters = (uint64_t)fmax(1.0, (double)iters * REP_SECONDS / fmax(dt, 1e-9));
    double best = 0.0;
    const double start = now_s();
    for (int rep = 0; rep < MIN_REPS || now_s() - start < budget; rep++) {
        const double wall = timed_together(tier, threads, iters);
        if (wall < 0.0)
            return 0.0;
        if (wall > 0.0)
            best = fmax(best, flops_per_iter[tier] * (double)iters * threads / wall / 1e9);
    }
    return best;
}

char *ppo_cpu_model(void)
{
    char *text = NULL;
    if (g_file_get_contents("/proc/cpuinfo", &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        g_free(text);
        for (char **l = lines; *l != NULL; l++) {
            const char *colon = strchr(*l, ':');
            if (g_str_has_prefix(*l, "model name") && colon != NULL) {
                char *model = g_strstrip(g_strdup(colon + 1));
                g_strfreev(lines);
                return model;
            }
        }
        g_strfreev(lines);
    }
    return g_strdup("unknown");
}
