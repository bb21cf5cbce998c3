/* ppofw core — metrics.csv and the per-iteration report (stderr progress and TensorBoard).
 *
 * metrics.csv has the fixed columns of DESIGN.md §6, one row per logged iteration, an empty
 * cell where a value does not apply (NaN). The same values go to TensorBoard under
 * Stable-Baselines3's tag names. Writing a row allocates nothing.
 */
#ifndef PPO_METRICS_PRIVATE_H
#define PPO_METRICS_PRIVATE_H

#include <stdio.h>

#include "ppo_tboard_private.h"
#include "ppo_trainer_private.h"

/* The header line of metrics.csv, without the newline. */
#define PPO_METRICS_HEADER                                                                       \
    "global_step,iteration,episodes,ep_return_mean,ep_len_mean,time_s,sps,policy_loss,"         \
    "value_loss,entropy,approx_kl,clip_fraction,explained_variance,lr,clip_range,std,"          \
    "eval_return_mean"

typedef struct ppo_metrics ppo_metrics_t;

/* Create RUN_DIR/metrics.csv with its header. (transfer full: ppo_metrics_close) */
PPO_INTERNAL ppo_metrics_t *ppo_metrics_create(const char *run_dir, GError **error);
/* The same in the directory dir_fd: a new file (O_EXCL, never through a link); `shown` names it
 * in messages. */
PPO_INTERNAL ppo_metrics_t *ppo_metrics_create_at(int dir_fd, const char *shown, GError **error);

/* What a checkpoint says about metrics.csv: the bytes and rows it kept and their digest. */
typedef struct ppo_metrics_proof {
    uint64_t offset;    /* bytes kept */
    uint64_t rows;      /* data rows in them */
    const char *digest; /* SHA-256 (hex) of them; NULL: a checkpoint from before digests (only
                           the row boundary and the line ends are checked) */
} ppo_metrics_proof_t;

/* Check, without changing it, that the open metrics.csv `fd` starts with exactly the bytes the
 * checkpoint kept: long enough, LF line ends only, the cut at the end of a row, the row count
 * and the SHA-256. A mismatch is a PPO_ERROR_CHECKPOINT error saying what differs. On success
 * *digest_out (may be NULL) is the running digest of the prefix (transfer full). */
PPO_INTERNAL bool ppo_metrics_verify(int fd, const char *shown, const ppo_metrics_proof_t *proof,
                                     GChecksum **digest_out, GError **error);
/* Cut the verified file back to `offset` and append from there; takes `fd` and `digest`. */
PPO_INTERNAL ppo_metrics_t *ppo_metrics_adopt(int fd, const char *shown, uint64_t offset,
                                              uint64_t rows, GChecksum *digest,
                                              GError **error);
PPO_INTERNAL bool ppo_metrics_write(ppo_metrics_t *m, const ppo_metrics_row_t *row,
                                    GError **error);
PPO_INTERNAL bool ppo_metrics_flush(ppo_metrics_t *m, GError **error);
/* Bytes written so far. */
PPO_INTERNAL uint64_t ppo_metrics_offset(const ppo_metrics_t *m);
/* Data rows written so far (after the header). */
PPO_INTERNAL uint64_t ppo_metrics_rows(const ppo_metrics_t *m);
/* SHA-256 (hex) of the bytes written so far. (transfer full) */
PPO_INTERNAL char *ppo_metrics_digest(const ppo_metrics_t *m);
PPO_INTERNAL bool ppo_metrics_close(ppo_metrics_t *m, GError **error);

/* Write the row's values to TensorBoard (skipping values that do not apply). */
PPO_INTERNAL bool ppo_metrics_tboard(ppo_tboard_t *tb, const ppo_metrics_row_t *row,
                                     double wall_time, GError **error);

/* One progress line for stderr (no newline) into buf. */
PPO_INTERNAL void ppo_metrics_progress(char *buf, size_t size, const char *name,
                                       const ppo_metrics_row_t *row, uint64_t total_steps);

/* The same as a bar for a terminal, "NAME  45% [####.....] 45k/100k | 16k sps | eta 0:00:03 |
 * return 154.66", fitted to `columns` (0: the width of the terminal on stderr) minus one; the
 * name and then the bar are left out when the line is too narrow for them. No newline. */
PPO_INTERNAL void ppo_metrics_progress_bar(char *buf, size_t size, const char *name,
                                           const ppo_metrics_row_t *row, uint64_t total_steps,
                                           int columns);

#endif /* PPO_METRICS_PRIVATE_H */
