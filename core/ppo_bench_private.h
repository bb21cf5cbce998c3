/* ppofw core — `ppofw bench`: how fast a pipeline trains on this machine, and how close that is to
 * the machine's arithmetic limit, measured in one process.
 *
 * The figures: the float32 GEMM ceiling through the library's BLAS (single-threaded, at
 * 2048x2048x2048, with the process's environment as it is) and sgemm at the pipeline's layer
 * shapes; raw env steps/s (the env plugin alone, every instance, on the worker pool in the
 * collection chunks); collection steps/s (act + step + storage + the main thread's bookkeeping);
 * update throughput (samples x epochs per second through evaluate, backward, the ordered gradient
 * sum, clipping and the optimizer); end-to-end training steps/s over the iterations after the
 * first; FLOPs per env step; peak RSS; heap allocations per iteration.
 *
 * FLOPs per env step = the FLOPs of one row's forward pass times (1 + 3 epochs): one collection
 * forward, then per epoch a forward and a backward counted as two forwards. The forward pass is
 * the policy's own count when it gives one (forward_flops, ABI 1.2: a convolution's weight is
 * reused at every output position), else the sum over its weight segments (names ending in
 * "weight" with more than one column: not a bias or a layer norm's gain) of 2 rows cols. With
 * the policy's count, the part in conv layers (weights named
 * "conv.K.weight" or "*.conv.K.weight") is reported: the count less the other weights' 2 rows cols.
 * Activations, the optimizer and the env are not counted. fraction_of_ceiling = train_sps x
 * flops_per_step / the 2048^3 ceiling.
 *
 * Left out: writing files (the training phase runs ppo_trainer_iterate without metrics,
 * TensorBoard or checkpoints) and counting allocations, which needs the program's help: the
 * caller passes a function that returns the process's allocation count so far.
 */
#ifndef PPO_BENCH_PRIVATE_H
#define PPO_BENCH_PRIVATE_H

#include <stdint.h>
#include <stdio.h>

#include "ppo_model_private.h"
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
    double gemm_gflops;            /* the ceiling: best single-thread sgemm at 2048^3, GFLOP/s */
    ppo_bench_shape_t shapes[PPO_BENCH_MAX_SHAPES]; /* (n_shapes) */
    uint32_t n_shapes;
    /* the pipeline */
    uint32_t threads;              /* worker pool threads, the caller included */
    uint32_t n_envs, rollout_steps, epochs, minibatches;
    size_t n_params;
    double env_sps;                /* env steps per second, all instances */
    double collect_sps;            /* collected env steps per second */
    double update_samples_per_s;   /* samples x epochs per second */
    double train_sps;              /* env steps per second of whole iterations after the first */
    uint64_t train_iterations;     /* iterations train_sps was measured over */
    double forward_flops;          /* one row's forward pass, FLOPs (see above) */
    bool policy_counts_flops;      /* forward_flops is the policy's own count */
    double conv_flops;             /* of forward_flops, in conv layers (0: none or not known) */
    double flops_per_step;         /* forward_flops x (1 + 3 epochs) */
    double fraction_of_ceiling;    /* train_sps x flops_per_step / (gemm_gflops 1e9) */
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

/* The result as one JSON object on one line with exactly the keys gemm_gflops, env_sps,
 * collect_sps, update_samples_per_s, train_sps, flops_per_step, fraction_of_ceiling,
 * peak_rss_bytes, allocs_per_iter (NaN becomes null). (transfer full: g_free) */
PPO_INTERNAL char *ppo_bench_json(const ppo_bench_result_t *result);

#endif /* PPO_BENCH_PRIVATE_H */
