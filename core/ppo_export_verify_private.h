/* ppofw core — verifying an exported policy: compile the C file a policy's export_c wrote with
 * the system's C compiler, link it into a driver, run it on many observations and compare its
 * actions with the plugin's deterministic act (PPO_EXPORT_CONTRACT, include/ppofw/policy.h).
 *
 * Used by `ppofw check-policy` (on what export_c writes for the checker's parameters, with and
 * without normalization) and by `ppofw export --verify` (on a checkpoint's export).
 */
#ifndef PPO_EXPORT_VERIFY_PRIVATE_H
#define PPO_EXPORT_VERIFY_PRIVATE_H

#include <stdbool.h>

#include "ppo_plugin_private.h"

/* What is verified: a policy instance bound to the exported parameters, and what export_c was
 * given. */
typedef struct ppo_export_target {
    const ppo_plugin_t *plugin;   /* the policy plugin */
    void *inst;                   /* its instance, bound to the exported parameters */
    const ppo_space_t *obs_space; /* an observation box, rank >= 1 */
    const ppo_space_t *act_space; /* discrete, box or multi-discrete */
    uint32_t state_size;          /* recurrent state floats per env; 0 for none */
    uint32_t n_envs;              /* env indices the instance accepts (>= 1) */
    const ppo_obs_norm_t *norm;   /* the normalization handed to export_c (NULL: none) */
    const char *cc;               /* the C compiler command line; NULL: $CC, or "cc" */
    uint64_t seed;                /* of the observations drawn */
} ppo_export_target_t;

/* The outcome of a verification. */
typedef enum ppo_export_status {
    PPO_EXPORT_OK,          /* compiled cleanly; every action matched */
    PPO_EXPORT_WARNINGS,    /* compiled with warnings (-Wall -Wextra); every action matched */
    PPO_EXPORT_NO_COMPILER, /* no C compiler: nothing was compiled or compared */
    PPO_EXPORT_NOT_C,       /* the file does not compile as C99 on its own */
    PPO_EXPORT_CONTRACT,    /* it compiles, but its functions or macros break the contract */
    PPO_EXPORT_MISMATCH,    /* it runs, but an action differs from act's */
    PPO_EXPORT_ERROR,       /* the verification itself failed (I/O, act failed, a crash) */
} ppo_export_status_t;

/* Tolerance of a box action: |exported - act| <= PPO_EXPORT_BOX_TOL * (1 + |act|), the exported
 * arithmetic being the plugin's to float rounding. Discrete and multi-discrete actions must be
 * equal, except where the plugin's own logits tie to that tolerance. */
#define PPO_EXPORT_BOX_TOL 1e-4

/* The compiler's command line as argv: t_cc, else $CC when set and not empty, else "cc"; NULL
 * when its program is not found (then *what names what was looked for). (transfer full) */
PPO_INTERNAL char **ppo_export_compiler(const char *cc, char **what);

/* Verify the file c_path (and the header h_path, included before it, when not NULL). *detail
 * gets one paragraph saying what was done and found, or what is wrong and how to fix it: the
 * compiler's messages, or the observation (index and values) and the action component that
 * differ. (transfer full) */
PPO_INTERNAL ppo_export_status_t ppo_export_verify(const ppo_export_target_t *t, const char *c_path,
                                                   const char *h_path, char **detail);

#endif /* PPO_EXPORT_VERIFY_PRIVATE_H */
