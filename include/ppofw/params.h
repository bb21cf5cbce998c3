/* ppofw — plugin parameter schema and typed accessors.
 *
 * A plugin declares its parameters as an array of ppo_param_spec_t in its descriptor. The core
 * validates a pipeline's `params:` block against that schema before calling the plugin's create
 * (unknown names, wrong types, out-of-range values and bad choices are the user's errors, reported
 * with the YAML position), fills in defaults, and hands create a ppo_params_t. The plugin reads
 * typed values through the accessors below; it never parses YAML itself. The same schema drives
 * `ppofw plugins info NAME` and pipeline-reference.md, installed in ppofw's documentation
 * directory (`pkg-config --variable=docdir ppofw`; docs/ in the source tree).
 */
#ifndef PPOFW_PARAMS_H
#define PPOFW_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ppofw/export.h>

PPO_BEGIN_DECLS

/* The type of one parameter (ABI 1.0). */
typedef enum ppo_param_type {
    PPO_PARAM_INT = 1,         /* a 64-bit signed integer */
    PPO_PARAM_DOUBLE = 2,      /* a finite double; integers are accepted */
    PPO_PARAM_BOOL = 3,        /* true or false */
    PPO_PARAM_STRING = 4,      /* any string */
    PPO_PARAM_ENUM = 5,        /* one of `choices` */
    PPO_PARAM_INT_LIST = 6,    /* a list of integers, each checked against the range */
    PPO_PARAM_DOUBLE_LIST = 7, /* a list of finite doubles, each checked against the range */
} ppo_param_type_t;

/* Flags of a parameter spec (ABI 1.0). */
enum {
    PPO_PARAM_NULLABLE = 1u << 0,      /* `null` is a valid value */
    PPO_PARAM_HAS_MIN = 1u << 1,       /* `min` is a lower bound */
    PPO_PARAM_HAS_MAX = 1u << 2,       /* `max` is an upper bound */
    PPO_PARAM_MIN_EXCLUSIVE = 1u << 3, /* the lower bound itself is not allowed */
    PPO_PARAM_MAX_EXCLUSIVE = 1u << 4, /* the upper bound itself is not allowed */
    PPO_PARAM_NONEMPTY = 1u << 5,      /* a list must have at least one element */
};

/* One declared parameter. Plugins define these as static const arrays; the host reads element i
 * at byte offset i * specs[0].struct_size, so a future minor may append fields. */
typedef struct ppo_param_spec {
    uint32_t struct_size;        /* sizeof(ppo_param_spec_t) when the plugin was built */
    uint32_t flags;              /* PPO_PARAM_* flags */
    ppo_param_type_t type;       /* what the value is */
    const char *name;            /* key in the params block: [a-z][a-z0-9_]* */
    const char *default_value;   /* YAML flow text of the default: "0.99", "[64, 64]", "tanh",
                                    "null" (needs PPO_PARAM_NULLABLE); NULL means required */
    double min;                  /* lower bound when PPO_PARAM_HAS_MIN (numbers, list elements) */
    double max;                  /* upper bound when PPO_PARAM_HAS_MAX */
    const char *const *choices;  /* PPO_PARAM_ENUM: NULL-terminated list of allowed strings */
    const char *doc;             /* one line of documentation, no trailing period needed */
} ppo_param_spec_t;

/* Helpers for the common cases; use designated initializers for anything else. */
#define PPO_PARAM_SPEC_INIT .struct_size = sizeof(ppo_param_spec_t)

/* The validated parameter values handed to a plugin's create. Owned by the core; valid for the
 * lifetime of the plugin instance it was given to. */
typedef struct ppo_params ppo_params_t;

/* Typed accessors. `name` must be declared in the plugin's schema with a matching type; asking
 * for an undeclared name or the wrong type is a programmer error: the call logs it and returns
 * 0 / false / NULL. For a nullable parameter whose value is null these return 0 / false / NULL
 * too; check ppo_params_is_null first. Strings and lists returned are owned by `params` and stay
 * valid as long as it does. Thread-safe (read only). */
PPO_API bool ppo_params_is_null(const ppo_params_t *params, const char *name);
PPO_API int64_t ppo_params_get_int(const ppo_params_t *params, const char *name);
PPO_API double ppo_params_get_double(const ppo_params_t *params, const char *name);
PPO_API bool ppo_params_get_bool(const ppo_params_t *params, const char *name);
/* Works for PPO_PARAM_STRING and PPO_PARAM_ENUM. */
PPO_API const char *ppo_params_get_string(const ppo_params_t *params, const char *name);
/* Index of an enum's value in its `choices`, or -1. */
PPO_API int ppo_params_get_enum_index(const ppo_params_t *params, const char *name);
/* Number of elements; *values points at them (NULL when empty or null). */
PPO_API size_t ppo_params_get_int_list(const ppo_params_t *params, const char *name,
                                       const int64_t **values);
PPO_API size_t ppo_params_get_double_list(const ppo_params_t *params, const char *name,
                                          const double **values);
/* "file:line:col" of the parameter's value in the pipeline (or "default" when it was not
 * given), for a plugin's own cross-parameter checks. Owned by `params`. */
PPO_API const char *ppo_params_where(const ppo_params_t *params, const char *name);

PPO_END_DECLS

#endif /* PPOFW_PARAMS_H */
