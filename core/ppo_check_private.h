/* ppofw core — plugin checkers: the batteries behind `ppofw check-env` and `ppofw check-policy`.
 *
 * A checker drives one plugin through the core's real loader and host services and records one
 * item per property it checked: spaces, seeding, bounds, finiteness, episode ends, auto-reset,
 * state round trips and thread safety for an env; segment table, act/value/evaluate agreement,
 * backward against finite differences, stream determinism and workspace isolation for a policy.
 * Each item says what was found and, when it failed, what to change. Items are printed as they
 * are decided, so a plugin that crashes the process still leaves the checks before it on screen.
 *
 * Left out: the command line (cli/cmd_check.c), and anything needing a whole pipeline (training
 * behaviour is `ppofw run`'s business).
 */
#ifndef PPO_CHECK_PRIVATE_H
#define PPO_CHECK_PRIVATE_H

#include <stdio.h>

#include "ppo_params_private.h"
#include "ppo_plugin_private.h"

/* The verdict of one check. */
typedef enum ppo_check_status {
    PPO_CHECK_OK = 0,   /* the property holds */
    PPO_CHECK_WARN = 1, /* legal, but probably not what the author meant */
    PPO_CHECK_SKIP = 2, /* not applicable (an optional callback the plugin does not offer) */
    PPO_CHECK_FAIL = 3, /* the property does not hold */
} ppo_check_status_t;

/* One checked property. */
typedef struct ppo_check_item {
    ppo_check_status_t status; /* verdict */
    char *id;                  /* stable short name, e.g. "obs-in-box" (for tests and scripts) */
    char *detail;              /* what was found, and the fix when it failed */
} ppo_check_item_t;

/* The items of one checker run, in the order they were decided. */
typedef struct ppo_check_report {
    GPtrArray *items; /* (ppo_check_item_t *) owned */
    FILE *progress;   /* each item is printed here when added; NULL: silent (borrowed) */
} ppo_check_report_t;

/* An empty report printing to `progress` (may be NULL). (transfer full: ppo_check_report_free) */
PPO_INTERNAL ppo_check_report_t *ppo_check_report_new(FILE *progress);
PPO_INTERNAL void ppo_check_report_free(ppo_check_report_t *report);

/* Record an item (printed at once when the report has a progress stream). */
PPO_INTERNAL void ppo_check_add(ppo_check_report_t *report, ppo_check_status_t status,
                                const char *id, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* Number of items with `status`. */
PPO_INTERNAL guint ppo_check_count(const ppo_check_report_t *report, ppo_check_status_t status);

/* The first item named `id`, or NULL (transfer none). */
PPO_INTERNAL const ppo_check_item_t *ppo_check_find(const ppo_check_report_t *report,
                                                    const char *id);

/* Print the closing summary: "N checks: all passed" or the list of failed items with details. */
PPO_INTERNAL void ppo_check_summary(const ppo_check_report_t *report, const char *what, FILE *out);

/* Validated params for `plugin` from flow YAML such as "{size: 7}" (NULL or "" for all defaults).
 * `source` names the text in messages ("--params"). (transfer full: ppo_params_free) */
PPO_INTERNAL ppo_params_t *ppo_check_params(const ppo_plugin_t *plugin, const char *flow,
                                            const char *source, GError **error);

/* What check-env does. */
typedef struct ppo_check_env_options {
    uint64_t seed;     /* root of every stream the checker makes */
    uint32_t episodes; /* random-action episodes for the bounds and finiteness checks (>= 1) */
    uint32_t threads;  /* instances stepped at once in the thread check (>= 2) */
    uint32_t step_cap; /* longest episode accepted when the env registers no time limit */
} ppo_check_env_options_t;

/* The defaults: seed 1, 10 episodes, 4 threads, a cap of 10000 steps. */
PPO_INTERNAL ppo_check_env_options_t ppo_check_env_defaults(void);

/* Check an env plugin with `params` (validated for it), adding items to `report`. */
PPO_INTERNAL void ppo_check_env(const ppo_plugin_t *plugin, const ppo_params_t *params,
                                const ppo_check_env_options_t *options, ppo_check_report_t *report);

/* What check-policy does. */
typedef struct ppo_check_policy_options {
    uint64_t seed;      /* root of every stream and random batch */
    uint32_t obs_dim;   /* D of the flat observation box the policy is made for */
    uint32_t n_actions; /* n of the discrete action space tried */
    uint32_t act_dim;   /* A of the box action space tried */
    uint32_t batch;     /* rows of each call (B) of a plain policy */
    size_t fd_max;      /* parameters checked by finite differences; more are sampled evenly */
    /* the spaces of a real env (check-policy --env; ppo_env_new_with_spaces makes them), both or
     * neither; NULL: every space kind of the contract. Valid while the check runs. */
    const ppo_space_t *env_obs;
    const ppo_space_t *env_act;
    const char *env_name; /* names the env's spaces in items ("env/..."); may be NULL */
    /* the C compiler for export_c's file, as a command line ("cc", "gcc -m64"); NULL: $CC, or
     * "cc" when CC is unset or empty */
    const char *cc;
} ppo_check_policy_options_t;

/* The defaults: seed 1, D = 4, discrete 3, box 2, B = 6, up to 20000 parameters, no env, the
 * compiler from $CC or cc. */
PPO_INTERNAL ppo_check_policy_options_t ppo_check_policy_defaults(void);

/* Check a policy plugin with `params` (validated for it), adding items to `report`. Without an
 * env's spaces the policy is made for every space kind of the plugin contract in turn (item
 * prefixes): a flat float box with discrete ("discrete/"), box ("box/") and multi-discrete
 * ("multi-discrete/") actions, and a uint8 (4, 10, 10) image with discrete actions
 * ("image-discrete/"); with them, for the env's ("env/"). A space the policy refuses at create is
 * a skipped item; refusing every one is a failure. A recurrent instance (state_size() > 0) gets
 * the recurrent checks. */
PPO_INTERNAL void ppo_check_policy(const ppo_plugin_t *plugin, const ppo_params_t *params,
                                   const ppo_check_policy_options_t *options,
                                   ppo_check_report_t *report);

#endif /* PPO_CHECK_PRIVATE_H */
