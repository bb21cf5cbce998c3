/* ppofw core — worker threads over numbered tasks (see ppo_pool_private.h).
 *
 * One run is a "generation". The caller publishes fn/ctx/n_tasks, then one 64-bit word `claim`
 * holding the generation (high half) and the next unclaimed task (low half). Everyone, the caller
 * included, claims tasks by compare-and-swap on that word, so a claim made for a generation that
 * has ended fails instead of taking a task of the next one. The caller returns once every task is
 * done; it never waits for a worker that claimed nothing. That matters on a busy machine: a
 * worker the scheduler has not run yet costs nothing, since the caller runs the unclaimed tasks
 * itself. fn/ctx/n_tasks stay valid while any task of their generation is unfinished, which is
 * the only time a worker reads them.
 *
 * Idle workers spin for a short while (the training loop runs thousands of short runs a second),
 * then sleep on a condition variable; the caller takes the mutex only when someone sleeps.
 * Leaves out: priorities, work stealing between runs, nested runs.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ppo_pool_private.h"

/* how long an idle worker spins before sleeping (longer than a typical collection phase, during
 * which a handful of envs keep the workers idle, so that the update's first run finds them
 * awake), and how long the caller spins before yielding its core */
#define WORKER_SPIN_NS 1000000
#define CALLER_SPIN_NS 20000
/* pauses between looks at the clock */
#define SPIN_BATCH 32

struct ppo_pool {
    uint32_t n_threads;
    pthread_t *threads;          /* (n_threads - 1) */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_uint_fast64_t claim;  /* generation << 32 | next task */
    atomic_uint done;            /* tasks of the current generation finished */
    atomic_uint sleepers;        /* workers inside (or entering) the condition wait */
    atomic_uint started;         /* workers that have begun running */
    atomic_bool stop;
    atomic_uint n_tasks;         /* of the current generation */
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

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint32_t generation_of(uint64_t claim)
{
    return (uint32_t)(claim >> 32);
}

/* Claim and run tasks of generation `gen` until none is left or the generation ended. */
static void run_tasks(ppo_pool_t *pool, uint32_t gen, uint32_t worker)
{
    uint64_t c = atomic_load_explicit(&pool->claim, memory_order_acquire);
    for (;;) {
        if (generation_of(c) != gen)
            return;
        const uint32_t task = (uint32_t)c;
        /* n_tasks is this generation's while the claim word still names it; a stale read can
         * only make the compare-and-swap below fail */
        if (task >= atomic_load_explicit(&pool->n_tasks, memory_order_relaxed))
            return;
        if (!atomic_compare_exchange_weak_explicit(&pool->claim, &c, c + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        pool->fn(pool->ctx, task, worker);
        atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
        c = atomic_load_explicit(&pool->claim, memory_order_acquire);
    }
}

/* Wait until the claim word names a generation other than `seen`; returns it. */
static uint32_t wait_generation(ppo_pool_t *pool, uint32_t seen)
{
    uint32_t gen = generation_of(atomic_load_explicit(&pool->claim, memory_order_acquire));
    const uint64_t start = now_ns();
    while (gen == seen) {
        for (int i = 0; i < SPIN_BATCH && gen == seen; i++) {
            cpu_relax();
            gen = generation_of(atomic_load_explicit(&pool->claim, memory_order_acquire));
        }
        if (gen != seen || now_ns() - start < WORKER_SPIN_NS)
            continue;
        /* sleep; the caller wakes sleepers after publishing (sequentially consistent on both
         * sides, so either it sees us counted or we see its generation) */
        pthread_mutex_lock(&pool->lock);
        atomic_fetch_add_explicit(&pool->sleepers, 1, memory_order_seq_cst);
        while ((gen = generation_of(atomic_load_explicit(&pool->claim, memory_order_seq_cst))) ==
               seen)
            pthread_cond_wait(&pool->wake, &pool->lock);
        atomic_fetch_sub_explicit(&pool->sleepers, 1, memory_order_relaxed);
        pthread_mutex_unlock(&pool->lock);
    }
    return gen;
}

static void *worker_main(void *data)
{
    worker_arg_t *arg = data;
    ppo_pool_t *pool = arg->pool;
    const uint32_t id = arg->id;
    g_free(arg);
    atomic_fetch_add_explicit(&pool->started, 1, memory_order_release);
    uint32_t seen = 0;
    for (;;) {
        seen = wait_generation(pool, seen);
        if (atomic_load_explicit(&pool->stop, memory_order_acquire))
            break;
        run_tasks(pool, seen, id);
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
    atomic_init(&pool->claim, 0);
    atomic_init(&pool->done, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->n_tasks, 0);
    atomic_init(&pool->started, 0);
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
    /* return with every worker running, so that starting a thread (and whatever the C library
     * or a sanitizer allocates for it) belongs to the pool's creation, not to its first runs */
    while (atomic_load_explicit(&pool->started, memory_order_acquire) < pool->n_threads - 1)
        sched_yield();
    return pool;
}

uint32_t ppo_pool_threads(const ppo_pool_t *pool)
{
    return pool->n_threads;
}

/* Start generation gen with tasks from `first` on unclaimed and wake whoever sleeps. */
static void publish(ppo_pool_t *pool, uint32_t gen, uint32_t first)
{
    atomic_store_explicit(&pool->claim, (uint64_t)gen << 32 | first, memory_order_seq_cst);
    if (atomic_load_explicit(&pool->sleepers, memory_order_seq_cst) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
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
    /* every task of the last generation is done, so no worker reads these now */
    pool->fn = fn;
    pool->ctx = ctx;
    atomic_store_explicit(&pool->n_tasks, n_tasks, memory_order_relaxed);
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    const uint32_t gen =
        generation_of(atomic_load_explicit(&pool->claim, memory_order_relaxed)) + 1;
    /* the caller always runs task 0 (claimed before publishing): with as many tasks as threads,
     * task k then tends to run on the same thread run after run, and the data a task writes
     * (a parameter slice, its optimizer state) stays in that core's cache */
    publish(pool, gen, 1);
    fn(ctx, 0, 0);
    atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
    run_tasks(pool, gen, 0);
    /* wait for tasks other threads claimed: spin, then yield the core (a busy machine) */
    const uint64_t start = now_ns();
    bool yielding = false;
    while (atomic_load_explicit(&pool->done, memory_order_acquire) < n_tasks) {
        if (yielding) {
            sched_yield();
            continue;
        }
        /* look after every pause: one pause is ~140 cycles on recent Intel cores, and a run of
         * the update is a few microseconds */
        for (int i = 0; i < SPIN_BATCH; i++) {
            cpu_relax();
            if (atomic_load_explicit(&pool->done, memory_order_acquire) >= n_tasks)
                return;
        }
        yielding = now_ns() - start >= CALLER_SPIN_NS;
    }
}

void ppo_pool_free(ppo_pool_t *pool)
{
    if (pool == NULL)
        return;
    atomic_store_explicit(&pool->stop, true, memory_order_seq_cst);
    const uint32_t gen =
        generation_of(atomic_load_explicit(&pool->claim, memory_order_relaxed)) + 1;
    atomic_store_explicit(&pool->n_tasks, 0, memory_order_relaxed);
    publish(pool, gen, 0);
    for (uint32_t i = 1; i < pool->n_threads; i++)
        pthread_join(pool->threads[i - 1], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    g_free(pool->threads);
    g_free(pool);
}
