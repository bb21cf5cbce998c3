/* ppofw core — worker threads over numbered tasks (see ppo_pool_private.h).
 *
 * One run is a "generation": the caller publishes fn/ctx/n_tasks, bumps the generation, and
 * everyone claims task numbers with an atomic counter. The caller returns only after every worker
 * has left the generation, so the next run can reuse the fields safely.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "ppo_pool_private.h"
#include "ppo_signal_private.h"

#define SPIN_ROUNDS 20000

struct ppo_pool {
    uint32_t n_threads;
    pthread_t *threads;        /* (n_threads - 1) */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_uint_fast64_t generation;
    atomic_uint next_task;
    atomic_uint left;          /* workers that finished the current generation */
    atomic_bool stop;
    uint32_t n_tasks;
    ppo_task_fn fn;
    void *ctx;
};

typedef struct {
    ppo_pool_t *pool;
    uint32_t id;
} worker_arg_t;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void run_tasks(ppo_pool_t *pool, uint32_t worker)
{
    for (;;) {
        const uint32_t t = atomic_fetch_add_explicit(&pool->next_task, 1, memory_order_relaxed);
        if (t >= pool->n_tasks)
            break;
        pool->fn(pool->ctx, t, worker);
    }
}

static void *worker_main(void *data)
{
    worker_arg_t *arg = data;
    ppo_pool_t *pool = arg->pool;
    const uint32_t id = arg->id;
    g_free(arg);
    /* plugin code runs here too: give the crash handler a stack on this thread */
    ppo_signals_thread_init();
    uint64_t seen = 0;
    for (;;) {
        /* wait for a new generation: spin first, then sleep */
        uint64_t gen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        for (int i = 0; gen == seen && i < SPIN_ROUNDS; i++) {
            cpu_relax();
            gen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        }
        if (gen == seen) {
            pthread_mutex_lock(&pool->lock);
            while ((gen = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen)
                pthread_cond_wait(&pool->wake, &pool->lock);
            pthread_mutex_unlock(&pool->lock);
        }
        seen = gen;
        if (atomic_load_explicit(&pool->stop, memory_order_acquire))
            break;
        run_tasks(pool, id);
        atomic_fetch_add_explicit(&pool->left, 1, memory_order_release);
    }
    return NULL;
}

ppo_pool_t *ppo_pool_new(uint32_t n_threads)
{
    if (n_threads == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = online > 0 ? (uint32_t)online : 1;
    }
    ppo_pool_t *pool = g_new0(ppo_pool_t, 1);
    pool->n_threads = n_threads;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->next_task, 0);
    atomic_init(&pool->left, 0);
    atomic_init(&pool->stop, false);
    pool->threads = g_new0(pthread_t, n_threads);
    for (uint32_t i = 1; i < n_threads; i++) {
        worker_arg_t *arg = g_new(worker_arg_t, 1);
        arg->pool = pool;
        arg->id = i;
        if (pthread_create(&pool->threads[i - 1], NULL, worker_main, arg) != 0) {
            /* fewer workers is still correct: results never depend on the thread count */
            g_free(arg);
            pool->n_threads = i;
            break;
        }
    }
    return pool;
}

uint32_t ppo_pool_threads(const ppo_pool_t *pool)
{
    return pool->n_threads;
}

static void publish(ppo_pool_t *pool)
{
    pthread_mutex_lock(&pool->lock);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
}

void ppo_pool_run(ppo_pool_t *pool, uint32_t n_tasks, ppo_task_fn fn, void *ctx)
{
    if (n_tasks == 0)
        return;
    /* a single task, or no workers: run inline without waking anyone */
    if (n_tasks == 1 || pool->n_threads == 1) {
        for (uint32_t t = 0; t < n_tasks; t++)
            fn(ctx, t, 0);
        return;
    }
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n_tasks = n_tasks;
    atomic_store_explicit(&pool->next_task, 0, memory_order_relaxed);
    atomic_store_explicit(&pool->left, 0, memory_order_relaxed);
    publish(pool);
    run_tasks(pool, 0);
    const uint32_t workers = pool->n_threads - 1;
    /* spin, and yield when it takes long (an oversubscribed machine) */
    for (uint32_t spins = 0; atomic_load_explicit(&pool->left, memory_order_acquire) < workers;
         spins++) {
        if (spins < SPIN_ROUNDS)
            cpu_relax();
        else
            sched_yield();
    }
}

void ppo_pool_free(ppo_pool_t *pool)
{
    if (pool == NULL)
        return;
    atomic_store_explicit(&pool->stop, true, memory_order_release);
    publish(pool);
    for (uint32_t i = 1; i < pool->n_threads; i++)
        pthread_join(pool->threads[i - 1], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    g_free(pool->threads);
    g_free(pool);
}
