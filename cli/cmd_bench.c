/* ppofw CLI — `ppofw bench`: measure how fast a pipeline trains here (core/ppo_bench.c), and the
 * program's heap-allocation counter the measurement of allocations per iteration reads.
 *
 * Counting allocations: in a normal build the program defines malloc, calloc, realloc and the
 * aligned allocators itself, counts each call and forwards it to glibc's own implementation
 * (__libc_malloc and friends), so every library of the process, plugins included, allocates
 * through the counter; free is left to glibc. Under AddressSanitizer, which owns malloc, the
 * counter is ASan's allocation hook instead. Elsewhere (no glibc) allocations are not counted
 * and the figure reads "not counted" (null in JSON).
 *
 * Leaves out the measurements themselves and their formulas (core/ppo_bench_private.h).
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_private.h"
#include "ppo_bench_private.h"
#include "ppo_pipeline_private.h"
#include "ppo_plugin_private.h"
#include "ppo_session_private.h"

/* ---- the allocation counter ---- */

static atomic_uint_fast64_t n_allocs;

static inline void count_alloc(void)
{
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
}

/* GCC says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer) */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BENCH_ASAN 1
#endif

#if defined(BENCH_ASAN)
#define BENCH_COUNTS_ALLOCS 1

int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

static void asan_malloc_hook(const volatile void *ptr, size_t size)
{
    (void)ptr;
    (void)size;
    count_alloc();
}

static void asan_free_hook(const volatile void *ptr)
{
    (void)ptr;
}

static void counter_install(void)
{
    __sanitizer_install_malloc_and_free_hooks(asan_malloc_hook, asan_free_hook);
}

#elif defined(__GLIBC__)
#define BENCH_COUNTS_ALLOCS 1

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);

static void counter_install(void)
{
}

/* the program's definitions replace glibc's for every library of the process */
#pragma GCC visibility push(default)

void *malloc(size_t size)
{
    count_alloc();
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    count_alloc();
    return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size)
{
    count_alloc();
    return __libc_realloc(ptr, size);
}

void *memalign(size_t alignment, size_t size)
{
    count_alloc();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    count_alloc();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    count_alloc();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t size)
{
    count_alloc();
    return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
    count_alloc();
    return __libc_pvalloc(size);
}

#pragma GCC visibility pop

#else
#define BENCH_COUNTS_ALLOCS 0

static void counter_install(void)
{
}
#endif

#if BENCH_COUNTS_ALLOCS
static uint64_t alloc_count(void)
{
    return atomic_load_explicit(&n_allocs, memory_order_relaxed);
}
#define BENCH_ALLOC_COUNT alloc_count
#else
#define BENCH_ALLOC_COUNT NULL
#endif

/* ---- the command ---- */

typedef struct {
    double seconds;
    gboolean json;
    char **sets;
    char **plugin_path;
} bench_args_t;

static bench_args_t args = {.seconds = 2.0};

static GOptionEntry bench_entries[] = {
    {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &args.seconds,
     "time given to each throughput measurement (default 2)", "S"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &args.json,
     "print the figures as one JSON object on stdout", NULL},
    {"set", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &args.sets,
     "override a pipeline key (dotted path; the value is YAML), e.g. --set ppo.threads=1",
     "KEY=VALUE"},
    {"plugin-path", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.plugin_path,
     "look for plugins in DIR first (repeatable)", "DIR"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *bench_context(void)
{
    GOptionContext *ctx = g_option_context_new("PIPELINE - measure how fast a pipeline trains");
    g_option_context_set_summary(
        ctx, "Measures in one process: the float32 GEMM ceiling of this machine (one thread,\n"
             "2048^3, through the BLAS ppofw uses) and sgemm at the pipeline's layer shapes;\n"
             "raw env steps/s; collection steps/s; update samples*epochs/s; end-to-end\n"
             "training steps/s over the iterations after the first; FLOPs per env step\n"
             "(one forward pass as the policy counts it, conv layers apart, or else the sum\n"
             "of 2*rows*cols over its weights; times 1 + 3*epochs) and the fraction of the\n"
             "ceiling training reaches; peak RSS; heap allocations per iteration. Nothing is\n"
             "written to disk.");
    g_option_context_add_main_entries(ctx, bench_entries, NULL);
    g_option_context_add_main_entries(ctx, ppo_cli_plugin_entries, NULL);
    return ctx;
}

static int bench_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    GOptionContext *ctx = bench_context();
    if (!ppo_cli_parse(ctx, &argc, &argv, &code) ||
        !ppo_cli_check_utf8("--set", args.sets, &code))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "ppofw: bench takes one PIPELINE file%s; see ppofw bench --help\n",
                argc < 2 ? "" : ", got more");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    if (!(args.seconds > 0.0 && args.seconds <= 3600.0)) {
        fprintf(stderr, "ppofw: bench: --seconds must be in (0, 3600], got %g\n", args.seconds);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    GError *error = NULL;
    ppo_pipeline_t *pl = ppo_pipeline_load(argv[1], (const char *const *)args.sets, &error);
    if (pl == NULL) {
        code = ppo_cli_fail(error);
        goto out;
    }
    ppo_cli_print_notes(pl);
    ppo_search_t *search = ppo_search_new((const char *const *)args.plugin_path);
    ppo_session_t *session = ppo_session_open(pl, search, &error);
    if (session == NULL) {
        code = ppo_cli_fail(error);
        goto out_free_search;
    }
    counter_install();
    const ppo_bench_options_t opt = {
        .struct_size = sizeof(ppo_bench_options_t),
        .seconds = args.seconds,
        .alloc_count = BENCH_ALLOC_COUNT,
    };
    ppo_bench_result_t res;
    if (!ppo_bench_run(session, &opt, &res, &error)) {
        code = ppo_cli_fail(error);
    } else if (args.json) {
        char *json = ppo_bench_json(&res);
        printf("%s\n", json);
        g_free(json);
    } else {
        printf("ppofw bench %s\n", argv[1]);
        ppo_bench_print(&res, stdout);
    }
    ppo_session_free(session);
out_free_search:
    ppo_search_free(search);
    ppo_pipeline_free(pl);
out:
    g_option_context_free(ctx);
    g_strfreev(args.sets);
    g_strfreev(args.plugin_path);
    return code;
}

const ppo_cli_command_t ppo_cli_bench_command = {
    "bench",    "PIPELINE",    "measure training speed against this machine's arithmetic limit",
    bench_main, bench_context, bench_entries,
};
