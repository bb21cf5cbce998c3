/* Tests of core/ppo_pool.c: every task runs exactly once per run, on any thread count, over many
 * runs back to back. */
#include "config.h"

#include <stdatomic.h>

#include "ppo_pool_private.h"
#include "ppo_test.h"

#define TASKS 37

typedef struct {
    atomic_int hits[TASKS];
    uint32_t n;
} count_ctx_t;

static void count_task(void *vctx, uint32_t task, uint32_t worker)
{
    count_ctx_t *ctx = vctx;
    ck_assert_uint_lt(task, ctx->n);
    atomic_fetch_add(&ctx->hits[task], 1);
    (void)worker;
}

static void run_many(uint32_t threads)
{
    ppo_pool_t *pool = ppo_pool_new(threads);
    ck_assert_uint_ge(ppo_pool_threads(pool), 1);
    for (int round = 0; round < 2000; round++) {
        count_ctx_t ctx;
        ctx.n = 1 + (uint32_t)round % TASKS;
        for (int i = 0; i < TASKS; i++)
            atomic_init(&ctx.hits[i], 0);
        ppo_pool_run(pool, ctx.n, count_task, &ctx);
        for (uint32_t i = 0; i < TASKS; i++)
            ck_assert_int_eq(atomic_load(&ctx.hits[i]), i < ctx.n ? 1 : 0);
    }
    ppo_pool_free(pool);
}

START_TEST(test_pool_runs_every_task_once_single_thread)
{
    run_many(1);
}
END_TEST

START_TEST(test_pool_runs_every_task_once_two_threads)
{
    run_many(2);
}
END_TEST

START_TEST(test_pool_runs_every_task_once_more_threads_than_cores)
{
    run_many(5);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ppo_pool");
    TCase *tc = tcase_create("pool");
    tcase_add_test(tc, test_pool_runs_every_task_once_single_thread);
    tcase_add_test(tc, test_pool_runs_every_task_once_two_threads);
    tcase_add_test(tc, test_pool_runs_every_task_once_more_threads_than_cores);
    suite_add_tcase(s, tc);
    return ppo_test_run(s);
}
