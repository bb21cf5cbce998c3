/* ppofw tests — counting the heap allocations and frees a piece of code makes.
 *
 * Include this file in exactly one source file of a test program: it defines malloc, calloc,
 * realloc and free for the whole process (forwarding to glibc's own), so allocations made by
 * libppofw, plugins and the libraries they use (cairo, libpng) are counted too. Under
 * AddressSanitizer, which owns malloc, it counts through the sanitizer's allocation hooks
 * instead. A realloc counts as an allocation, and of a non-NULL block also as a free. Counting is
 * per process: count only while one thread runs the code being counted.
 */
#ifndef PPO_TEST_ALLOC_COUNT_H
#define PPO_TEST_ALLOC_COUNT_H

#include <stddef.h>

#include <check.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

static volatile int alloc_counting;    /* count while set */
static volatile size_t alloc_n_allocs; /* allocations counted */
static volatile size_t alloc_n_frees;  /* frees of non-NULL pointers counted */

#ifdef TEST_ASAN
/* from compiler-rt's sanitizer/allocator_interface.h, which GCC does not install */
typedef void (*alloc_malloc_hook_fn)(const volatile void *ptr, size_t size);
typedef void (*alloc_free_hook_fn)(const volatile void *ptr);
extern int __sanitizer_install_malloc_and_free_hooks(alloc_malloc_hook_fn malloc_hook,
                                                     alloc_free_hook_fn free_hook);

static void alloc_count_malloc_hook(const volatile void *ptr, size_t size)
{
    (void)ptr;
    (void)size;
    if (alloc_counting)
        alloc_n_allocs++;
}

static void alloc_count_free_hook(const volatile void *ptr)
{
    if (alloc_counting && ptr != NULL)
        alloc_n_frees++;
}

/* Start counting from zero. */
static void alloc_count_start(void)
{
    static int installed;
    if (!installed)
        installed = __sanitizer_install_malloc_and_free_hooks(alloc_count_malloc_hook,
                                                              alloc_count_free_hook);
    ck_assert_int_ne(installed, 0);
    alloc_n_allocs = alloc_n_frees = 0;
    alloc_counting = 1;
}
#else
/* glibc's own entry points */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

__attribute__((visibility("default"))) void *malloc(size_t size)
{
    if (alloc_counting)
        alloc_n_allocs++;
    return __libc_malloc(size);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
    if (alloc_counting)
        alloc_n_allocs++;
    return __libc_calloc(n, size);
}

__attribute__((visibility("default"))) void *realloc(void *ptr, size_t size)
{
    /* a new block for the old one (which it frees) */
    if (alloc_counting) {
        alloc_n_allocs++;
        alloc_n_frees += ptr != NULL;
    }
    return __libc_realloc(ptr, size);
}

__attribute__((visibility("default"))) void free(void *ptr)
{
    if (alloc_counting && ptr != NULL)
        alloc_n_frees++;
    __libc_free(ptr);
}

/* Start counting from zero. */
static void alloc_count_start(void)
{
    alloc_n_allocs = alloc_n_frees = 0;
    alloc_counting = 1;
}
#endif

/* Stop counting; the allocations counted, and the frees in *frees (may be NULL). */
static size_t alloc_count_stop(size_t *frees)
{
    alloc_counting = 0;
    if (frees != NULL)
        *frees = alloc_n_frees;
    return alloc_n_allocs;
}

#endif /* PPO_TEST_ALLOC_COUNT_H */
