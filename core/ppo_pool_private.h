/* ppofw core — a small pool of worker threads running numbered tasks.
 *
 * ppo_pool_run(pool, n, fn, ctx) calls fn(ctx, task, worker) once for every task in [0, n) on
 * the calling thread and the workers, and returns when all are done. Which thread runs which task
 * varies; callers make results depend only on the task number (fixed chunks, combined in order),
 * so the thread count never changes results. `worker` (0 = the caller) may index per-thread
 * scratch that does not outlive the task. Workers spin briefly between runs (the training loop
 * runs thousands of short batches a second), then sleep.
 */
#ifndef PPO_POOL_PRIVATE_H
#define PPO_POOL_PRIVATE_H

#include <stdint.h>

#include "ppo_error_private.h"

typedef struct ppo_pool ppo_pool_t;
typedef void (*ppo_task_fn)(void *ctx, uint32_t task, uint32_t worker);

/* A pool of n_threads threads counting the caller (n_threads - 1 workers); 0 means one per
 * online core. (transfer full: ppo_pool_free) */
PPO_INTERNAL ppo_pool_t *ppo_pool_new(uint32_t n_threads);
PPO_INTERNAL void ppo_pool_free(ppo_pool_t *pool);
/* Threads including the caller. */
PPO_INTERNAL uint32_t ppo_pool_threads(const ppo_pool_t *pool);
/* Run tasks 0..n_tasks-1 and wait for them. Not reentrant: one run at a time, from one thread. */
PPO_INTERNAL void ppo_pool_run(ppo_pool_t *pool, uint32_t n_tasks, ppo_task_fn fn, void *ctx);

#endif /* PPO_POOL_PRIVATE_H */
