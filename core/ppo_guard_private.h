/* ppofw core — guarded rows: a buffer a plugin writes, with guard pages and canaries around it.
 *
 * A row of `bytes` bytes ends right before a canary zone that ends at a PROT_NONE guard page,
 * and starts after a canary zone that starts at another guard page. A plugin that writes a little
 * past either end changes a canary (ppo_guard_row_check reports how far); one that writes further
 * faults at once on a guard page, and the crash handler (ppo_signal_private.h) names the plugin,
 * the callback and the buffer it overran, before the write can reach anything else. Used where
 * plugin code writes into memory the core hands it and an overrun would otherwise go unnoticed or
 * corrupt the core: the env checks (check-env) and the rows envs write in training and
 * evaluation. What it leaves out: reads past the row (they are harmless to the core) and writes
 * that skip over the canaries and the guard page (a wild pointer).
 */
#ifndef PPO_GUARD_PRIVATE_H
#define PPO_GUARD_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ppo_error_private.h"

#define PPO_GUARD_CANARY 64 /* canary bytes on each side of a row (at least) */

typedef struct ppo_guard_row {
    uint8_t *row;       /* (bytes) 4-byte aligned; what the plugin is handed */
    size_t bytes;       /* the row's size */
    uint8_t *map;       /* the whole mapping: guard page, canaries, row, canaries, guard page */
    size_t map_len;
    uint8_t *lo, *hi;   /* the canary zones: [lo, row) and [row + bytes, hi), filled at init */
    int guard[2];       /* crash-handler handles of the two guard pages */
    char *what;         /* "the observation row of N bytes" */
} ppo_guard_row_t;

/* Map a guarded row of `bytes` bytes described as `what` in messages. False with *error when
 * memory cannot be mapped. */
PPO_INTERNAL bool ppo_guard_row_init(ppo_guard_row_t *g, size_t bytes, const char *what,
                                     GError **error);
/* Unmap. Accepts a zeroed struct. */
PPO_INTERNAL void ppo_guard_row_clear(ppo_guard_row_t *g);
/* Fill the canaries again (after an overrun was reported and the row is used on). */
PPO_INTERNAL void ppo_guard_row_arm(ppo_guard_row_t *g);
/* After the call: 0 when the canaries are intact; otherwise how many bytes from the row's end
 * (positive: written past the end) or before its start (negative) the farthest change lies. */
PPO_INTERNAL long ppo_guard_row_check(const ppo_guard_row_t *g);

struct ppo_plugin;
struct ppo_rng;

/* An env's reset or step writing its observation into the guarded row `g` (NULL: straight into
 * obs_out), then copied into obs_out (row_bytes bytes). A write past the row that the canaries
 * catch becomes a failure of the callback (returns -1 with the plugin's error set to how far it
 * wrote); one that reaches a guard page is a crash the handler names. */
PPO_INTERNAL int ppo_env_call_reset(const struct ppo_plugin *env, void *inst, struct ppo_rng *rng,
                                    void *obs_out, size_t row_bytes, ppo_guard_row_t *g);
PPO_INTERNAL int ppo_env_call_step(const struct ppo_plugin *env, void *inst, const float *action,
                                   struct ppo_rng *rng, void *obs_out, size_t row_bytes,
                                   ppo_guard_row_t *g, double *reward, int *terminated);

#endif /* PPO_GUARD_PRIVATE_H */
