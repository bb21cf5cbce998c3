/* ppofw core — `ppofw bench`: how fast a pipeline trains on this machine, and how close that is to
 * the machine's arithmetic limit, measured in one process.
 *
 * The figures: the machine's physical float32 peak (ppo_peak_private.h: a multiply-add loop per
 * instruction-set tier on one core, and at the widest tier on as many threads as the pipeline
 * uses, run together), the CPU model and the kernels each phase dispatches to; the float32 GEMM
 * ceiling through the library's BLAS (single-threaded, at 2048x2048x2048, with the process's
 * environment as it is) and sgemm at the pipeline's layer shapes; raw env steps/s (the env plugin alone, every instance, on the worker pool in the
 * collection chunks); collection steps/s (act + step + storage + the main thread's bookkeeping);
 * update throughput (samples x epochs per second through evaluate, backward, the ordered gradient
 * sum, clipping and the optimizer); end-to-end training steps/s over the iterations after the
 * first, of `ppofw run`'s own loop with its files (metrics, episodes, TensorBoard, checkpoints on
 * their schedule) written to a temporary run directory; the run stops at ppo.total_steps, so a
 * pipeline of too few iterations has train_sps NaN; FLOPs per env step; peak RSS; heap allocations per iteration.
 *
 * FLOPs per env step = the FLOPs of one row's forward pass times (1 + 3 epochs): one collection
 * forward, then per epoch a forward and a backward counted as two forwards. The forward pass is
 * the policy's own count when it gives one (forward_flops, ABI 1.2: a convolution's weight is
 * reused at every output position), else the sum over its weight segments (names ending in
 * "weight" with more than one column: not a bias or a layer norm's gain) of 2 rows cols. With
 * the policy's count, the part in conv layers (weights named
 * "conv.K.weight" or "*.conv.K.weight") is reported: the count less the other weights' 2 rows cols.
 * Activations, the optimizer and the env are not counted. fraction_of_peak = train_sps x
 * flops_per_step / the peak of the threads used (the headline); fraction_of_ceiling = train_sps x
 * flops_per_step / one thread's 2048^3 sgemm, whatever the thread count.
 *
 * Left out: the progress line (the training phase is quiet), and counting allocations, which
 * needs the program's help: the caller passes a function that returns the process's allocation
 * count so far.
 */
#ifndef PPO_BENCH_PRIVATE_H
#define PPO_BENCH_PRIVATE_H

#include <stdint.h>
#include <stdio.h>

#include "ppo_model_private.h"
#include "ppo_peak_private.h"
#include "ppo_session_private.h"

/* layer shapes whose sgemm rate is reported, at most */
#define PPO_BENCH_MAX_SHAPES 16

typedef struct ppo_bench_options {
    uint32_t struct_size;          /* sizeof(ppo_bench_options_t) */
    double seconds;                /* time given to each throughput measurement (> 0) */
    /* Heap allocations of the whole process so far (any thread), or NULL when the program cannot
     * count them: allocs_per_iter is then NaN. */
    uint64_t (*alloc_count)(void);
} ppo_bench_options_t;

/* sgemm at one layer shape: C (M, N) = A (M, K) B^T, as the policy's forward makes it, and the
 * library's own Linear forward (ppo_linear_forward) on the same operands. */
typedef struct ppo_bench_shape {
    char name[48];                 /* the weight segment, e.g. "pi.0.weight" */
    uint32_t M, N, K;              /* rows of the call, out features, in features */
    double gflops;                 /* best sgemm rate measured */
    double layer_gflops;           /* best rate of ppo_linear_forward (what the policy runs) */
} ppo_bench_shape_t;

typedef struct ppo_bench_result {
    /* the machine */
    char cpu_model[128];           /* /proc/cpuinfo's model name */
    ppo_tier_t peak_tier;          /* the widest tier: the one the kernels dispatch to */
    double tier_core_gflops[PPO_TIER_COUNT]; /* the FMA loop's peak per tier on one core (0: the
                                              CPU lacks the tier) */
    double peak_core_gflops;       /* tier_core_gflops[peak_tier] */
    double peak_gflops;            /* the FMA loop at peak_tier on `threads` threads at once */
    double gemm_gflops;            /* best single-thread sgemm at 2048^3, GFLOP/s */
    ppo_bench_shape_t shapes[PPO_BENCH_MAX_SHAPES]; /* (n_shapes) */
    uint32_t n_shapes;
    /* the pipeline */
    uint32_t threads;              /* worker pool threads, the caller included */
    uint32_t n_envs, rollout_steps, epochs, minibatches;
    size_t n_params;
    double env_sps;                /* env steps per second, all instances */
    double collect_sps;            /* collected env steps per second */
    double update_samples_per_s;   /* samples x epochs per second */
    double train_sps;              /* env steps per second of ppofw run's iterations after the
                                      first (NaN: the run had fewer than two iterations) */
    uint64_t train_iterations;     /* iterations train_sps was measured over */
    double forward_flops;          /* one row's forward pass, FLOPs (see above) */
    bool policy_counts_flops;      /* forward_flops is the policy's own count */
    double conv_flops;             /* of forward_flops, in conv layers (0: none or not known) */
    double flops_per_step;         /* forward_flops x (1 + 3 epochs) */
    double fraction_of_peak;       /* train_sps x flops_per_step / (peak_gflops 1e9): the
                                      headline, against the peak of the threads used */
    double fraction_of_ceiling;    /* train_sps x flops_per_step / (gemm_gflops 1e9): against one
                                      thread's sgemm whatever the thread count (kept from before
                                      the peak existed) */
    /* the kernels: what the policy's Linear layers dispatch to in collection (rows of one
     * collection chunk) and in the update (the gradient chunk's rows), and the conv tier */
    const char *collect_kernel, *update_kernel, *conv_kernel; /* (static storage) */
    uint64_t peak_rss_bytes;       /* of the process, before the 2048^3 GEMM's buffers */
    double allocs_per_iter;        /* heap allocations per iteration after the first; NaN when
                                      not counted */
} ppo_bench_result_t;

/* Measure everything for a validated session. Builds its own trainers (so nothing of a run is
 * touched) and frees them. Plugin failures end it with their error. */
PPO_INTERNAL bool ppo_bench_run(ppo_session_t *session, const ppo_bench_options_t *options,
                                ppo_bench_result_t *result, GError **error);

/* One row's forward FLOPs of a policy with these segments by the fixed formula above (2 rows cols
 * of every segment whose name ends in "weight" and that has more than one column: a layer norm's
 * gain (H, 1) is not a matrix multiply). */
PPO_INTERNAL double ppo_bench_segment_flops(const ppo_segment_t *segments, uint32_t n_segments);

/* One row's forward FLOPs of a policy: its forward_flops, or the fixed formula (also when
 * forward_flops returns something that is not a count, with a warning); *from_policy says which.
 */
PPO_INTERNAL double ppo_bench_forward_flops(const ppo_model_t *model, bool *from_policy);

/* FLOPs per env step for a forward pass of `forward` FLOPs: forward x (1 + 3 epochs). */
PPO_INTERNAL double ppo_bench_flops_per_step(double forward, uint32_t epochs);

/* The result as a table for people. */
PPO_INTERNAL void ppo_bench_print(const ppo_bench_result_t *result, FILE *out);

/* The result as one JSON object on one line with exactly the keys, in this order: threads,
 * peak_core_gflops, peak_gflops, gemm_gflops, env_sps, collect_sps, update_samples_per_s,
 * train_sps, flops_per_step, fraction_of_peak, fraction_of_ceiling, peak_rss_bytes,
 * allocs_per_iter (numbers; NaN becomes null), then the strings cpu_model, peak_tier,
 * collect_kernel, update_kernel, conv_kernel. (transfer full: g_free) */
PPO_INTERNAL char *ppo_bench_json(const ppo_bench_result_t *result);

#endif /* PPO_BENCH_PRIVATE_H */
