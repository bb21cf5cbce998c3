/* ppofw core — the machine's physical float32 arithmetic peak, as `ppofw bench` reports it.
 *
 * A peak is measured, not looked up: a loop of independent multiply-adds with enough
 * accumulators to keep every FMA port busy, compiled once per instruction-set tier the kernels of
 * core/ppo_nn.c and core/ppo_conv.c are instantiated for, and run on the tiers this CPU has
 * (the same __builtin_cpu_supports test the kernels' dispatch makes):
 *
 *   PPO_TIER_BASELINE  x86-64 baseline: SSE2, 4 lanes, a multiply and an add (no FMA);
 *                      2 FLOPs a lane per multiply-add pair; the only tier off x86-64 (generic
 *                      4-lane vectors there)
 *   PPO_TIER_V3        x86-64-v3: AVX2 and FMA, 8 lanes, 2 FLOPs a lane per FMA
 *   PPO_TIER_V4        x86-64-v4: AVX-512F (and BW, CD, DQ, VL), 16 lanes, 2 FLOPs per FMA
 *
 * Per core: one thread runs the loop. For n threads: n threads (pthreads started for it, released
 * together by a barrier) each run the same loop, and the figure is their total FLOPs over the wall
 * time from the release to the last one's end: measured, never one core's figure times n, so
 * cores that share an FMA unit, a frequency budget or a hyperthread sibling show it. Each figure
 * is the best of several repetitions (the least disturbed by other processes).
 *
 * Left out: memory bandwidth (the loop keeps everything in registers), frequency control, and
 * pinning (the threads go where the scheduler puts them, as the trainer's do).
 */
#ifndef PPO_PEAK_PRIVATE_H
#define PPO_PEAK_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ppo_error_private.h"

typedef enum {
    PPO_TIER_BASELINE = 0,
    PPO_TIER_V3 = 1,
    PPO_TIER_V4 = 2,
} ppo_tier_t;

#define PPO_TIER_COUNT 3

/* The widest tier this CPU runs: the one the Linear and conv kernels dispatch to. */
PPO_INTERNAL ppo_tier_t ppo_tier_best(void);
/* Whether this CPU runs `tier`. */
PPO_INTERNAL bool ppo_tier_supported(ppo_tier_t tier);
/* A short name: "baseline", "avx2", "avx512". (static storage) */
PPO_INTERNAL const char *ppo_tier_name(ppo_tier_t tier);
/* What the tier means, e.g. "x86-64-v4: AVX-512F, 16 lanes, FMA". (static storage) */
PPO_INTERNAL const char *ppo_tier_describe(ppo_tier_t tier);

/* The best float32 GFLOP/s of the multiply-add loop at `tier` on `threads` threads run together
 * (1: one core), over repetitions within about `budget` seconds. 0 when the tier is not
 * supported or a thread cannot be started. */
PPO_INTERNAL double ppo_peak_gflops(ppo_tier_t tier, uint32_t threads, double budget);

/* The kernel a Linear forward of B rows, I inputs and O outputs dispatches to, e.g.
 * "avx512 panel", "avx2 small-batch", "BLAS sgemm" (core/ppo_nn.c). (static storage) */
PPO_INTERNAL const char *ppo_linear_kernel_name(uint32_t B, uint32_t I, uint32_t O);
/* The tier the convolution kernels dispatch to: "baseline", "avx2" or "avx512" (core/ppo_conv.c).
 * (static storage) */
PPO_INTERNAL const char *ppo_conv_kernel_name(void);

/* The CPU's model name from /proc/cpuinfo ("unknown" when it has none). (transfer full: g_free) */
PPO_INTERNAL char *ppo_cpu_model(void);

#endif /* PPO_PEAK_PRIVATE_H */
