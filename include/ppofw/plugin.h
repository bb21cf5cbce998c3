/* ppofw — the plugin descriptor, host services and spaces (plugin ABI 1).
 *
 * A plugin is a shared object that exports exactly one symbol, ppo_plugin_entry, written by
 * PPO_PLUGIN_DEFINE. The entry returns a pointer to a const descriptor and does no work: the
 * descriptor says which ABI the plugin was built for, what kind of plugin it is (env, policy,
 * advantage or optimizer), its name, version, one-line description, parameter schema, and the
 * kind's vtable (env.h, policy.h, advantage.h, optimizer.h).
 *
 * Growth rule: every struct a plugin or the host may extend starts with uint32_t struct_size.
 * The host reads a field only when struct_size covers it, so a plugin built for an older minor
 * keeps loading. A minor bump may only append; reordering, removing or retyping is a major bump.
 *
 * Errors across the boundary: callbacks return 0 on success or a negative number on failure and
 * explain the failure first with host->error(). The core adds the plugin's name and file.
 *
 * This header and everything it includes needs only the C standard library.
 */
#ifndef PPOFW_PLUGIN_H
#define PPOFW_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <ppofw/export.h>
#include <ppofw/params.h>
#include <ppofw/version.h>

PPO_BEGIN_DECLS

/* What a plugin is (ABI 1.0). Values are stable; 0 is never valid. */
typedef enum ppo_kind {
    PPO_KIND_ENV = 1,       /* environment: ppo_env_vtable_t */
    PPO_KIND_POLICY = 2,    /* policy network: ppo_policy_vtable_t */
    PPO_KIND_ADVANTAGE = 3, /* advantage estimator: ppo_advantage_vtable_t */
    PPO_KIND_OPTIMIZER = 4, /* optimizer: ppo_optimizer_vtable_t */
    PPO_KIND_COMM = 5,      /* reserved for the core's own process-communication backends */
} ppo_kind_t;

/* Log levels for ppo_host_t.log (ABI 1.0). */
typedef enum ppo_log_level {
    PPO_LOG_ERROR = 0,
    PPO_LOG_WARNING = 1,
    PPO_LOG_INFO = 2,
    PPO_LOG_DEBUG = 3,
} ppo_log_level_t;

/* Services the host offers a plugin. The table is handed to every create callback and stays
 * valid, unchanged, until the instance is destroyed; a plugin keeps the pointer in its instance
 * and uses it from any callback. All functions are thread-safe. */
typedef struct ppo_host {
    uint32_t struct_size; /* sizeof(ppo_host_t) of the host */
    uint32_t abi_major;   /* the host's PPO_ABI_MAJOR */
    uint32_t abi_minor;   /* the host's PPO_ABI_MINOR */
    uint32_t reserved0;   /* zero */
    /* Print a message at `level` on the host's log (stderr), prefixed with the plugin name. */
    void (*log)(const struct ppo_host *host, ppo_log_level_t level, const char *fmt, ...)
        PPO_PRINTF(3, 4);
    /* Record why the callback that is running on this thread is about to fail. Say what is
     * wrong and, when you can, how to fix it; the core adds the plugin name and file. The
     * message reaches the main thread even when the callback runs on a worker thread. */
    void (*error)(const struct ppo_host *host, const char *fmt, ...) PPO_PRINTF(2, 3);
    /* Allocate `size` bytes aligned to `alignment` (a power of two, at least sizeof(void *)),
     * or NULL. Free the block with aligned_free. */
    void *(*aligned_alloc)(size_t alignment, size_t size);
    void (*aligned_free)(void *ptr);
    /* Host-private context. */
    void *host_data;
    void *reserved[4];
} ppo_host_t;

/* Kinds of spaces (ABI 1.0; PPO_SPACE_MULTI_DISCRETE has a meaning since 1.2). */
typedef enum ppo_space_kind {
    PPO_SPACE_DISCRETE = 1,       /* one integer in [0, n) */
    PPO_SPACE_BOX = 2,            /* `dim` numbers, each in [low[i], high[i]] */
    PPO_SPACE_MULTI_DISCRETE = 3, /* (ABI 1.2) `dim` integers, component k in [0, nvec[k]) */
    PPO_SPACE_DICT = 4,           /* reserved */
} ppo_space_kind_t;

/* Element types of an observation box (ABI 1.2). 0 is float32, so a space filled by a plugin
 * built before 1.2 (which leaves the field zero) is a float32 box, as it always was. */
typedef enum ppo_dtype {
    PPO_DTYPE_FLOAT32 = 0, /* 4 bytes per element (the default) */
    PPO_DTYPE_UINT8 = 1,   /* 1 byte per element: pixels, binary grids */
} ppo_dtype_t;

/* The largest rank of an observation shape (ABI 1.2). */
#define PPO_SPACE_MAX_RANK 3

/* An observation or action space.
 *
 * Observations are always boxes: `dim` elements of type `dtype`, laid out row-major in the shape
 * shape[0] x ... x shape[rank-1] (outermost first; images are (C, H, W)). rank 0 means a flat
 * vector of `dim` elements, which is what a space without these fields (ABI 1.0/1.1) is; the core
 * hands policies the space with rank >= 1 filled in. The product of the shape must equal dim.
 * Bounds may be +-HUGE_VAL where unbounded; a uint8 box's bounds lie in [0, 255] (the core scales
 * its elements to [0, 1] with them, see policy.h).
 *
 * Actions are discrete (one integer in [0, n), passed as one float holding the index, exact for
 * n < 2^24), a box of `dim` floats with finite bounds, or (ABI 1.2) multi-discrete: `dim` integers,
 * component k in [0, nvec[k]) with nvec[k] >= 2, passed as `dim` floats holding the indices.
 *
 * The arrays belong to whoever filled the struct and stay valid as long as that instance lives.
 *
 * Growth: the core zeroes the struct and sets struct_size to its own size before asking a plugin
 * to fill it. A plugin sets struct_size to sizeof(ppo_space_t) as it was built; the core reads the
 * fields after `high` only when that struct_size covers them. */
typedef struct ppo_space {
    uint32_t struct_size;  /* sizeof(ppo_space_t) of whoever filled it */
    ppo_space_kind_t kind; /* PPO_SPACE_DISCRETE, PPO_SPACE_BOX or PPO_SPACE_MULTI_DISCRETE */
    uint32_t n;            /* discrete: number of actions (>= 2); otherwise 0 */
    uint32_t dim;          /* box: number of elements (>= 1); discrete: 1; multi-discrete: the
                              number of components (>= 1) */
    const double *low;     /* box: (dim) lower bounds; otherwise NULL */
    const double *high;    /* box: (dim) upper bounds; otherwise NULL */
    /* ABI 1.2 */
    uint32_t rank;                      /* box: 0 (flat, the same as rank 1) or 1..3 */
    uint32_t shape[PPO_SPACE_MAX_RANK]; /* box: shape[0..rank), outermost first; the rest 0 */
    ppo_dtype_t dtype;                  /* box: element type (observations only; an action box
                                           is always float32) */
    uint32_t reserved0;                 /* zero */
    const uint32_t *nvec;               /* multi-discrete: (dim) choices per component; else NULL */
    void *reserved[2];                  /* NULL */
} ppo_space_t;

/* sizeof(ppo_space_t) in ABI 1.0 and 1.1: the fields up to `high`. */
#define PPO_SPACE_SIZE_1_0 32u

/* Bytes of one element of an observation of this dtype. */
#define PPO_DTYPE_SIZE(dtype) ((dtype) == PPO_DTYPE_UINT8 ? 1u : 4u)

struct ppo_env_vtable;
struct ppo_policy_vtable;
struct ppo_advantage_vtable;
struct ppo_optimizer_vtable;

/* The plugin descriptor, returned by ppo_plugin_entry(). Write it with PPO_PLUGIN_DEFINE. */
typedef struct ppo_plugin_desc {
    uint32_t abi_major;              /* PPO_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;              /* PPO_ABI_MINOR the plugin was built with */
    uint32_t struct_size;            /* sizeof(ppo_plugin_desc_t) the plugin was built with */
    ppo_kind_t kind;                 /* what the plugin is */
    const char *name;                /* equals the file's stem: cartpole for cartpole.so */
    const char *version;             /* the plugin's own version, e.g. "1.0.0" */
    const char *description;         /* one line, no trailing period */
    const ppo_param_spec_t *params;  /* (n_params) parameter schema; may be NULL when empty */
    uint32_t n_params;               /* number of elements of params */
    uint32_t reserved0;              /* zero */
    union {
        const struct ppo_env_vtable *env;             /* kind PPO_KIND_ENV */
        const struct ppo_policy_vtable *policy;       /* kind PPO_KIND_POLICY */
        const struct ppo_advantage_vtable *advantage; /* kind PPO_KIND_ADVANTAGE */
        const struct ppo_optimizer_vtable *optimizer; /* kind PPO_KIND_OPTIMIZER */
        const void *any;
    } vtable;
    void *reserved[8]; /* zero; room for a minor bump */
} ppo_plugin_desc_t;

/* The signature of the exported entry. */
typedef const ppo_plugin_desc_t *(*ppo_plugin_entry_fn)(void);

/* The name of the exported entry symbol. */
#define PPO_PLUGIN_ENTRY_SYMBOL "ppo_plugin_entry"

/* Number of elements of a static array. */
#define PPO_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Define the plugin's descriptor and its exported entry. Use once per plugin, at file scope:
 *
 *     PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "cartpole", "1.0.0", "Gymnasium CartPole-v1",
 *                       cartpole_params, PPO_ARRAY_LEN(cartpole_params), &cartpole_vtable)
 *
 * PARAMS may be NULL with N_PARAMS 0. VTABLE is a pointer to the kind's vtable. */
#define PPO_PLUGIN_DEFINE(KIND, NAME, VERSION, DESCRIPTION, PARAMS, N_PARAMS, VTABLE)            \
    static const ppo_plugin_desc_t ppo_plugin_desc_ = {                                          \
        .abi_major = PPO_ABI_MAJOR,                                                              \
        .abi_minor = PPO_ABI_MINOR,                                                              \
        .struct_size = sizeof(ppo_plugin_desc_t),                                                \
        .kind = (KIND),                                                                          \
        .name = (NAME),                                                                          \
        .version = (VERSION),                                                                    \
        .description = (DESCRIPTION),                                                            \
        .params = (PARAMS),                                                                      \
        .n_params = (uint32_t)(N_PARAMS),                                                        \
        .vtable = {.any = (VTABLE)},                                                             \
    };                                                                                           \
    PPO_PLUGIN_EXPORT const ppo_plugin_desc_t *ppo_plugin_entry(void);                           \
    PPO_PLUGIN_EXPORT const ppo_plugin_desc_t *ppo_plugin_entry(void)                            \
    {                                                                                            \
        return &ppo_plugin_desc_;                                                                \
    }

PPO_END_DECLS

#endif /* PPOFW_PLUGIN_H */
