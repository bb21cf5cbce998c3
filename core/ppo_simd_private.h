/* ppofw core — the vector types, load/store macros and per-instruction-set dispatch shared by the
 * hand-written kernels of libppofw (core/ppo_nn.c, core/ppo_conv.c).
 *
 * Kernels are written once as always-inline templates over GCC's generic vectors and instantiated
 * per instruction set: x86-64-v4 (AVX-512), x86-64-v3 (AVX2 and FMA) and the baseline, the one
 * for this CPU picked once at run time. Vector values live only inside these functions (and the
 * always-inline templates they expand): passing 32- or 64-byte vectors between functions would
 * change the ABI on the baseline.
 *
 * Left out: the kernels themselves and the choice among them (each file keeps its own).
 */
#ifndef PPO_SIMD_PRIVATE_H
#define PPO_SIMD_PRIVATE_H

#include <stdint.h>

/* target_clones compiles a whole function for several instruction sets (CLONES: v3 and the
 * baseline, CLONES3: v4 too); TARGET_V4/V3 mark one instantiation of a template. */
#if defined(__x86_64__) && defined(__gnu_linux__) && defined(__GNUC__) && !defined(__clang__) &&   \
    __GNUC__ >= 11
#define PPO_NN_X86_DISPATCH 1
#define PPO_NN_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#define PPO_NN_CLONES3                                                                             \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define PPO_NN_TARGET_V4 __attribute__((target("arch=x86-64-v4")))
#define PPO_NN_TARGET_V3 __attribute__((target("arch=x86-64-v3")))
#else
#define PPO_NN_X86_DISPATCH 0
#define PPO_NN_CLONES
#define PPO_NN_CLONES3
#endif

#define NN_INLINE static inline __attribute__((always_inline))

typedef float v8f __attribute__((vector_size(32)));
typedef uint32_t v8u __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));
typedef uint32_t v16u __attribute__((vector_size(64)));
/* the same types for unaligned loads and stores through a float pointer */
typedef float v8f_mem __attribute__((vector_size(32), aligned(4), may_alias));
typedef float v16f_mem __attribute__((vector_size(64), aligned(4), may_alias));

#define LOAD8(p) (*(const v8f_mem *)(p))
#define STORE8(p, v) (*(v8f_mem *)(p) = (v))
#define SPLAT8(s) ((v8f){(s), (s), (s), (s), (s), (s), (s), (s)})
#define LOAD16(p) (*(const v16f_mem *)(p))
#define STORE16(p, v) (*(v16f_mem *)(p) = (v))
#define SPLAT16(s)                                                                                 \
    ((v16f){(s), (s), (s), (s), (s), (s), (s), (s), (s), (s), (s), (s), (s), (s), (s), (s)})
/* mask ? a : b, lane by lane, for a comparison mask */
#define SELECT8(mask, a, b) ((v8f)(((v8u)(mask) & (v8u)(a)) | (~(v8u)(mask) & (v8u)(b))))
#define SELECT16(mask, a, b) ((v16f)(((v16u)(mask) & (v16u)(a)) | (~(v16u)(mask) & (v16u)(b))))

#endif /* PPO_SIMD_PRIVATE_H */
