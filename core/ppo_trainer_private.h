/* ppofw core — the training loop of DESIGN.md §4: collect → estimate → update → report.
 *
 * The trainer owns every instance of a run (N envs, the policy with its parameter store, the
 * advantage estimator, the optimizer), the rollout storage, the random streams, the normalizer
 * statistics and the counters — everything a checkpoint must hold to resume exactly. All memory is
 * allocated in ppo_trainer_new; an iteration allocates nothing.
 *
 * Work is cut into fixed chunks whose results are combined in chunk order: collection runs envs
 * in chunks of PPO_COLLECT_CHUNK, gradients are computed in chunks whose size depends only on the
 * minibatch size. So ppo.threads never changes a result.
 */
#ifndef PPO_TRAINER_PRIVATE_H
#define PPO_TRAINER_PRIVATE_H

#include "ppo_comm_private.h"
#include "ppo_eval_private.h"
#include "ppo_guard_private.h"
#include "ppo_model_private.h"
#include "ppo_normalizer_private.h"
#include "ppo_objective_private.h"
#include "ppo_pool_private.h"
#include "ppo_session_private.h"
#include "ppo_space_private.h"

/* envs per collection chunk (a task of the worker pool) */
#define PPO_COLLECT_CHUNK 8
/* rows per task of the batched value pass after a rollout */
#define PPO_VALUE_ROWS 256
/* gradient chunks per minibatch at most, and the smallest chunk */
#define PPO_GRAD_CHUNKS_MAX 8
#define PPO_GRAD_CHUNK_MIN 64
/* the smallest chunk when the policy's distribution and value parts are separate tasks (each
 * task does about half the work of a whole chunk) */
#define PPO_GRAD_CHUNK_MIN_PARTS 256
/* a padded row of a recurrent minibatch (no sample behind it) */
#define PPO_PAD_ROW UINT32_MAX
/* finished episodes averaged for ep_return_mean */
#define PPO_EPISODE_WINDOW 100

/* The rollout buffers, struct of arrays; one allocation. obs has T+1 rows of OF floats' worth of
 * bytes each: D floats, or for uint8 storage D bytes rounded up to 4 (ppo_space_row_bytes), so
 * obs is addressed by ppo_trainer_obs_row. A recurrent policy's fields (starts, seq_state) are
 * empty (S = 0) otherwise; K is the number of sequences per env per rollout. */
#define PPO_ROLLOUT_FIELDS(X, T, N, OF, A, P, K, S)                                               \
    X(obs, ((size_t)(T) + 1) * (N) * (OF))  /* (T+1, N, D) what the policy saw, as stored */       \
    X(actions, (size_t)(T) * (N) * (A))     /* (T, N, A) as sampled (box: unclipped) */           \
    X(logp, (size_t)(T) * (N))              /* (T, N) log-prob of the action at collection */     \
    X(values, (size_t)(T) * (N))            /* (T, N) V(obs) at collection */                     \
    X(dist, (size_t)(T) * (N) * (P))        /* (T, N, P) distribution parameters */               \
    X(rewards, (size_t)(T) * (N))           /* (T, N) rewards the update sees (normalized?) */    \
    X(terminated, (size_t)(T) * (N))        /* (T, N) 0/1 */                                      \
    X(truncated, (size_t)(T) * (N))         /* (T, N) 0/1 */                                      \
    X(bootstrap, (size_t)(T) * (N))         /* (T, N) V(final obs) on truncated steps */          \
    X(advantages, (size_t)(T) * (N))        /* (T, N) */                                          \
    X(returns, (size_t)(T) * (N))           /* (T, N) value targets */                            \
    X(last_values, (size_t)(N))             /* (N) V(obs[T]) */                                    \
    X(starts, (S) > 0 ? (size_t)(T) * (N) : 0) /* (T, N) 1: obs is an episode's first */         \
    X(seq_state, (size_t)(K) * (N) * (S))   /* (K, N, S) state at each sequence's first step */

typedef struct ppo_rollout {
#define PPO_ROLLOUT_DECLARE(name, count) float *name;
    PPO_ROLLOUT_FIELDS(PPO_ROLLOUT_DECLARE, 0, 0, 0, 0, 0, 0, 0)
#undef PPO_ROLLOUT_DECLARE
    void *block; /* the one allocation behind all fields */
    size_t bytes;
} ppo_rollout_t;

/* Buffers of one gradient chunk: gathered inputs and per-sample outputs. With a policy of two
 * parts, part 0 (the distribution) and part 1 (the value function) of a chunk are separate
 * tasks: each has its own workspace, observations, sums and status ([part]); the rest is written
 * by one of them only, and each adds into its own segments of `grads`. With one part, [0]. */
typedef struct ppo_grad_chunk {
    void *ws[2];       /* policy workspaces */
    float *grads;      /* (n_params) this chunk's gradient */
    float *obs[2];     /* (G, D) as the policy sees them (converted from uint8 storage) */
    float *starts;     /* (G) recurrent: 1 where a step starts an episode (0 on padding) */
    float *start_state; /* (G / L, S) recurrent: each sequence's stored start state */
    float *actions;    /* (G, A) */
    float *old_dist;   /* (G, P) */
    float *old_logp, *adv, *ret, *old_value;               /* (G) */
    float *logp, *entropy, *kl, *value;                    /* (G) */
    float *dlogp, *dentropy, *dkl, *dvalue;                /* (G) */
    ppo_objective_sums_t sums[2];
    uint32_t first, count;                                  /* rows of the minibatch (whole
                                                             * sequences when recurrent) */
    int status[2];                                          /* 0, or the failing callback's rc */
    char *error[2];                                         /* the plugin's message on failure */
} ppo_grad_chunk_t;

/* What each env tells the other ranks after a vector step (in global env order on every rank). */
typedef struct ppo_env_report {
    double raw_reward;     /* this step's raw reward */
    double ret_acc;        /* the running discounted return after this step (reward scaling) */
    double fin_return;     /* a finished episode's raw return */
    uint32_t fin_len;      /* ... and length */
    uint8_t finished;      /* 1 when this step ended an episode */
    uint8_t truncated;     /* ... by the time limit (and not terminated) */
    uint8_t pad[2];
} ppo_env_report_t;

/* A finished training episode, as episodes.csv records it. */
typedef struct ppo_episode {
    uint64_t global_step;  /* env steps over all envs and ranks when it ended */
    uint32_t env;          /* global env index (rank * num_envs + i) */
    uint32_t length;       /* steps */
    double ret;            /* raw return (before reward normalization) */
    bool terminated;       /* the env ended it */
    bool truncated;        /* the time limit ended it */
    double time_s;         /* wall time since training started (continues across resumes) */
} ppo_episode_t;

/* Called on rank 0 for every finished episode of every rank, in the order they finished (vector
 * step by vector step, global env order within a step), on the main thread. */
typedef bool (*ppo_episode_sink_t)(void *ctx, const ppo_episode_t *episode, GError **error);

/* Per-env bookkeeping written by collection tasks and read in env order by the main thread. */
typedef struct ppo_env_slot {
    void *inst;            /* the env instance */
    ppo_rng_t env_rng;     /* reset/step stream: (seed, "env", global index) */
    ppo_rng_t act_rng;     /* sampler stream: (seed, "act", global index) */
    uint32_t ep_len;       /* steps since reset (the time-limit counter) */
    double ep_return;      /* raw return since reset */
    double raw_reward;     /* this step's raw reward */
    double ret_acc;        /* discounted return for reward scaling */
    uint8_t finished;      /* this step ended an episode */
    uint8_t ep_start;      /* the current observation is an episode's first (recurrent) */
    uint8_t truncated;     /* ... by the time limit (and not terminated) */
    double fin_return;     /* the finished episode's raw return */
    uint32_t fin_len;      /* ... and length */
} ppo_env_slot_t;

typedef struct ppo_metrics_row {
    uint64_t global_step;
    uint64_t iteration;
    uint64_t episodes;
    double ep_return_mean, ep_len_mean;   /* NaN until an episode finished */
    double time_s, sps;
    double policy_loss, value_loss, entropy, approx_kl, clip_fraction, explained_variance;
    double lr, clip_range, std, eval_return_mean;  /* NaN where not applicable */
    double loss, kl_beta;                          /* for TensorBoard */
    uint64_t n_updates;                            /* SB3's: epochs over all iterations */
    uint64_t optimizer_steps;                      /* minibatch steps over all iterations */
    uint64_t skipped_updates;                      /* this iteration, for NaN (on_nan) */
    uint64_t skipped_total;                        /* the whole run */
} ppo_metrics_row_t;

/* The whole state of a run. Fields marked [ckpt] are saved in checkpoints. */
typedef struct ppo_trainer {
    ppo_session_t *session;        /* borrowed: plugins and validated params */
    const ppo_pipeline_t *pl;      /* borrowed: session->pipeline */

    /* sizes */
    uint32_t N;                    /* envs in this process */
    uint32_t T;                    /* rollout steps */
    uint32_t D;                    /* observation size */
    uint32_t A;                    /* action size (1 for discrete) */
    uint32_t P;                    /* distribution parameters per row */
    bool clip_actions;             /* box actions: clip to the bounds for the env */
    ppo_dtype_t obs_dtype;         /* the env's observation element type */
    bool store_u8;                 /* the rollout stores uint8 rows (uint8 observations without
                                    * running normalization); else float rows */
    size_t env_rb;                 /* bytes of an observation row as the env writes it */
    size_t store_rb;               /* bytes of a stored rollout observation row */
    ppo_obs_convert_t obs_cv;      /* uint8 -> float (uint8 observations) */
    uint32_t S;                    /* recurrent state floats per env; 0: no memory */
    uint32_t L;                    /* recurrent: steps per training sequence (ppo.seq_len) */
    uint32_t K;                    /* recurrent: sequences per env per rollout, ceil(T / L) */
    uint32_t max_steps;            /* time limit; 0: none */
    uint32_t rank, world;          /* this process among `world` (1 without MPI) */
    const ppo_comm_t *comm;        /* the communicator (single-process without MPI) */
    ppo_space_t obs_space, act_space;  /* arrays owned by env 0 */

    /* instances */
    ppo_env_slot_t *slots;         /* (N) [ckpt: streams, counters, returns, env state] */
    ppo_model_t *model;            /* [ckpt: params, opt_state, policy state] */
    void *adv_inst;
    void *opt_inst;
    bool has_reset_noise;          /* the policy implements reset_noise */
    bool noise_per_episode;        /* call it at episode starts, as ABI 1.0/1.1 documented (an
                                    * older policy); else at every rollout start (SB3's timing) */

    /* collection */
    ppo_pool_t *pool;
    ppo_guard_row_t *env_rows;     /* (n_env_rows) per pool worker: the guarded row envs write */
    uint32_t n_env_rows;
    uint32_t n_env_chunks;
    void **collect_ws;             /* (n_env_chunks) policy workspaces */
    int *chunk_status;             /* (n_env_chunks) a collection task's failure code */
    char **chunk_message;          /* (n_env_chunks) ... and message */
    void *main_ws;                 /* policy workspace for N rows on the main thread */
    float *env_actions;            /* (N, A) actions as the env receives them (clipped) */
    float *chunk_obs;              /* (n_env_chunks, PPO_COLLECT_CHUNK, D) converted
                                    * observations for act (uint8 storage only) */
    uint8_t *stage;                /* (N, env_rb) where uint8 envs write when the rollout stores
                                    * normalized floats */
    float *rstate;                 /* (N, S) each env's recurrent state [ckpt] */
    float *final_state;            /* (N, S) the state of truncated episodes before the reset */
    float *trunc_state;            /* (N, S) gathered */
    void *final_obs;               /* (N, env_rb) final observation of truncated episodes */
    float *trunc_obs;              /* (N, D) gathered final observations, as the policy sees them */
    float *trunc_values;           /* (N) their values */
    uint32_t *trunc_index;         /* (N) their envs */
    ppo_rollout_t ro;              /* [ckpt: obs row 0 = the current observations] */
    uint32_t cur_t;                /* collection step being run (for messages) */
    ppo_env_report_t *reports;     /* (world N) every env's report of the step, global order */
    void *all_obs;                 /* (world N, env_rb) every env's new observation (world > 1) */
    float *all_obs_f;              /* (world N, D) the same as floats, for the statistics of
                                    * uint8 rows (normalize.obs on uint8) */
    double *all_ret;               /* (world N) running returns for the reward statistics */
    void *exch_send;               /* (exch_size) this rank's reports and rows */
    void *exch_recv;               /* (world exch_size) everyone's */
    size_t exch_size;              /* bytes a rank sends per step */

    /* update */
    uint32_t mb_size;              /* samples per minibatch */
    uint32_t n_grad_chunks;        /* chunks per minibatch */
    uint32_t n_parts;              /* 2: the policy's distribution and value parts are separate
                                    * tasks (segment_part); 1: evaluate/backward do both */
    size_t *part_off[2], *part_len[2]; /* (n_part_ranges[p]) float ranges of part p's segments */
    uint32_t n_part_ranges[2];
    bool batched_values;           /* act skips the value (parts); the rollout's values are
                                    * computed after it in PPO_VALUE_ROWS-row tasks */
    uint32_t n_value_tasks;        /* tasks of that pass */
    void **value_ws;               /* (n_value_ws) workspaces of PPO_VALUE_ROWS rows, one per
                                    * pool thread */
    float *value_obs;              /* (n_value_ws, PPO_VALUE_ROWS, D) converted rows (uint8
                                    * storage only) */
    uint32_t n_value_ws;
    int *value_status;             /* (n_value_tasks) 0, or value()'s rc */
    char **value_error;            /* (n_value_tasks) its message (owned) */
    uint32_t grad_chunk;           /* samples per chunk (the last may have fewer); recurrent:
                                    * a multiple of L */
    ppo_grad_chunk_t *chunks;      /* (n_grad_chunks) */
    uint32_t *perm;                /* (T N) sample order of the current epoch; recurrent: the
                                    * first N K hold the order of the sequences */
    uint32_t *rowmap;              /* recurrent: (mb_size) the sample behind each row of the
                                    * minibatch being run, PPO_PAD_ROW for padding */
    uint32_t mb_seqs;              /* recurrent: sequences per minibatch */
    float *adv_batch;              /* (T N) advantages normalized over the batch */
    const float *adv_src;          /* advantages the minibatches read */
    double adv_mean, adv_scale;    /* minibatch normalization: (A - mean) * scale */
    ppo_rng_t shuffle_rng;         /* [ckpt] */
    uint32_t n_reduce_tasks;       /* parameter slices for the ordered gradient sum and for
                                    * the optimizer's step_range (starts at multiples of 16) */
    double *reduce_sq;             /* (n_reduce_tasks) partial sums of squares */
    int *slice_status;             /* (n_reduce_tasks) step_range's return of the last step */
    char **slice_error;            /* (n_reduce_tasks) its message when it failed (owned) */
    bool *slice_finite;            /* (n_reduce_tasks) the slice's parameters after the step */

    /* normalization: shared statistics (normalize.mode vecnormalize), or one pair per env of
     * this rank (gymnasium) */
    ppo_rms_t obs_rms;             /* [ckpt] */
    ppo_rms_t ret_rms;             /* [ckpt] */
    ppo_rms_t *env_obs_rms;        /* (N) gymnasium only, else NULL [ckpt] */
    ppo_rms_t *env_ret_rms;        /* (N) gymnasium only, else NULL [ckpt] */
    double norm_gamma;             /* discount of the scaled return */

    /* finished episodes go here on rank 0 (NULL: nowhere) */
    ppo_episode_sink_t on_episode;
    void *on_episode_ctx;

    /* episode statistics on raw rewards */
    double win_return[PPO_EPISODE_WINDOW]; /* [ckpt] */
    uint32_t win_len[PPO_EPISODE_WINDOW];  /* [ckpt] */
    uint32_t win_count, win_next;          /* [ckpt] */

    /* counters [ckpt] */
    uint64_t global_step;          /* env steps over all ranks */
    uint64_t iteration;            /* iterations done */
    uint64_t n_iterations;         /* iterations planned */
    uint64_t episodes;             /* finished episodes over all ranks */
    uint64_t opt_steps;            /* optimizer steps (Adam's t) */
    uint64_t n_updates;            /* epochs begun (SB3's n_updates) */
    uint64_t skipped_updates;      /* minibatch updates skipped for NaN (on_nan: skip_update) */
    double kl_beta;                /* current KL penalty weight */

    /* periodic evaluation */
    ppo_evaluator_t *eval;         /* NULL without eval.every_steps [ckpt: its streams] */
    double best_eval;              /* best eval_return_mean so far (-inf) [ckpt] */
    uint64_t last_eval_step;       /* global_step of the last evaluation [ckpt] */
    uint64_t last_ckpt_step;       /* global_step of the last checkpoint [ckpt] */

    /* timing (not saved) */
    gint64 t_start;                /* monotonic microseconds at the start of training */
    uint64_t step_at_start;        /* global_step when this process started */
    double time_offset;            /* time_s of the run before this process (resume) */
} ppo_trainer_t;

/* Where a run writes (owned by the caller; the trainer only uses it). */
typedef struct ppo_run_output {
    const char *run_dir;        /* NULL: write nothing (tests, bench) */
    bool quiet;                 /* no progress lines */
} ppo_run_output_t;

/* Build a trainer for a validated session: make N env instances, the policy and its parameter
 * store, the advantage and optimizer instances, the rollout, the pool and every buffer, seed the
 * streams, initialize the parameters and reset the envs. Sizes that would need more memory than
 * the machine has are refused before allocating. (transfer full: ppo_trainer_free) */
PPO_INTERNAL ppo_trainer_t *ppo_trainer_new(ppo_session_t *session, GError **error);
PPO_INTERNAL void ppo_trainer_free(ppo_trainer_t *trainer);

/* The guarded row pool worker `worker` hands envs (NULL when there is none). */
PPO_INTERNAL ppo_guard_row_t *ppo_trainer_env_row(ppo_trainer_t *trainer, uint32_t worker);

/* Run iterations until ppo.total_steps (or until `max_iterations` when > 0), reporting through
 * `out`. Returns false with the error that stopped it. */
PPO_INTERNAL bool ppo_trainer_run(ppo_trainer_t *trainer, const ppo_run_output_t *out,
                                  uint64_t max_iterations, GError **error);

/* One iteration (collect, estimate, update) without reporting; fills *row. */
PPO_INTERNAL bool ppo_trainer_iterate(ppo_trainer_t *trainer, ppo_metrics_row_t *row,
                                      GError **error);

/* true once ppo.total_steps are done. */
PPO_INTERNAL bool ppo_trainer_done(const ppo_trainer_t *trainer);

/* The observation statistics evaluation and export use: the shared ones, or global env 0's
 * with normalize.mode gymnasium (on rank 0); likewise the return statistics. */
PPO_INTERNAL const ppo_rms_t *ppo_trainer_obs_stats(const ppo_trainer_t *trainer);
PPO_INTERNAL const ppo_rms_t *ppo_trainer_ret_stats(const ppo_trainer_t *trainer);
/* Observation row `row` (t N + i) of the rollout, as stored. */
static inline void *ppo_trainer_obs_row(const ppo_trainer_t *tr, size_t row)
{
    return (char *)tr->ro.obs + row * tr->store_rb;
}

/* n stored rows starting at `rows` as the floats the policy sees: the rows themselves for float
 * storage, else converted into `scratch` (n, D). */
PPO_INTERNAL const float *ppo_trainer_rows_as_float(const ppo_trainer_t *tr, const void *rows,
                                                    uint32_t n, float *scratch);

/* The next rollout starts from the observations after the last one (row T into row 0). */
PPO_INTERNAL void ppo_trainer_carry_observations(ppo_trainer_t *tr);

/* Read access for tests, bench and checkpoints. */
PPO_INTERNAL const ppo_model_t *ppo_trainer_model(const ppo_trainer_t *trainer);
PPO_INTERNAL uint64_t ppo_trainer_global_step(const ppo_trainer_t *trainer);

#endif /* PPO_TRAINER_PRIVATE_H */
