/* ppofw core — metrics.csv, episodes.csv and the per-iteration report (stderr progress and
 * TensorBoard).
 *
 * metrics.csv has the fixed columns of DESIGN.md §6, one row per logged iteration, an empty
 * cell where a value does not apply (NaN). The same values go to TensorBoard under
 * Stable-Baselines3's tag names. episodes.csv has one row per finished training episode.
 * Writing a row allocates nothing.
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

/* The header line of episodes.csv, without the newline. */
#define PPO_EPISODES_HEADER "global_step,env,return,length,terminated,truncated,time_s"

/* An append-only CSV file of a run directory (metrics.csv, episodes.csv): created with its
 * header, or proven to be the file a checkpoint describes and cut back to it (resume); it counts
 * the bytes and rows written and keeps their SHA-256, which the next checkpoint records. Writing
 * a row allocates nothing. */
typedef struct ppo_csvlog ppo_csvlog_t;

/* Create NAME with `header` in the directory dir_fd: a new file (O_EXCL, never through a link);
 * `shown` names it in messages. (transfer full: ppo_csvlog_close) */
PPO_INTERNAL ppo_csvlog_t *ppo_csvlog_create_at(int dir_fd, const char *name, const char *shown,
                                                const char *header, GError **error);

/* What a checkpoint says about a CSV file: the bytes and rows it kept and their digest. */
typedef struct ppo_csvlog_proof {
    uint64_t offset;    /* bytes kept */
    uint64_t rows;      /* data rows in them */
    const char *digest; /* SHA-256 (hex) of them; NULL: a checkpoint from before digests (only
                           the row boundary and the line ends are checked) */
} ppo_csvlog_proof_t;

/* Check, without changing it, that the open CSV file `fd` (whose header is `header`) starts with
 * exactly the bytes the checkpoint kept: long enough, LF line ends only, the cut at the end of a
 * row, the row count and the SHA-256. A mismatch is a PPO_ERROR_CHECKPOINT error saying what
 * differs. On success *digest_out (may be NULL) is the running digest of the prefix (transfer
 * full). */
PPO_INTERNAL bool ppo_csvlog_verify(int fd, const char *shown, const char *header,
                                    const ppo_csvlog_proof_t *proof, GChecksum **digest_out,
                                    GError **error);
/* Cut the verified file back to `offset` and append from there; takes `fd` and `digest`. */
PPO_INTERNAL ppo_csvlog_t *ppo_csvlog_adopt(int fd, const char *shown, uint64_t offset,
                                            uint64_t rows, GChecksum *digest, GError **error);
/* Append formatted text (whole rows, at most 1023 bytes) to the file and its digest. */
PPO_INTERNAL bool ppo_csvlog_printf(ppo_csvlog_t *log, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
PPO_INTERNAL bool ppo_csvlog_flush(ppo_csvlog_t *log, GError **error);
/* Bytes written so far. */
PPO_INTERNAL uint64_t ppo_csvlog_offset(const ppo_csvlog_t *log);
/* Data rows written so far (after the header). */
PPO_INTERNAL uint64_t ppo_csvlog_rows(const ppo_csvlog_t *log);
/* SHA-256 (hex) of the bytes written so far. (transfer full) */
PPO_INTERNAL char *ppo_csvlog_digest(const ppo_csvlog_t *log);
PPO_INTERNAL bool ppo_csvlog_close(ppo_csvlog_t *log, GError **error);

/* One episodes.csv row. */
PPO_INTERNAL bool ppo_episodes_write(ppo_csvlog_t *log, const ppo_episode_t *episode,
                                     GError **error);

typedef ppo_csvlog_t ppo_metrics_t;

PPO_INTERNAL bool ppo_metrics_write(ppo_metrics_t *m, const ppo_metrics_row_t *row,
                                    GError **error);
PPO_INTERNAL bool ppo_metrics_flush(ppo_metrics_t *m, GError **error);
/* Bytes written so far. */
PPO_INTERNAL uint64_t ppo_metrics_offset(const ppo_metrics_t *m);
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

/* `values` (n; NaN: a gap) as Unicode block characters U+2581..U+2588 scaled from their
 * smallest to their largest (all equal: the middle block), one column each, NUL-terminated in
 * buf (at most size bytes; a block takes 3). */
PPO_INTERNAL void ppo_metrics_sparkline(char *buf, size_t size, const double *values, size_t n);

/* Longest sparkline a progress line shows. */
#define PPO_SPARK_MAX 24

/* The progress bar followed by a sparkline of the last PPO_SPARK_MAX values of `history`
 * (n_history, oldest first), fitted to `columns` (0: the terminal's) minus one; a line too
 * narrow for both, or an empty history, gets the bar alone. For a terminal only. */
PPO_INTERNAL void ppo_metrics_progress_spark(char *buf, size_t size, const char *name,
                                             const ppo_metrics_row_t *row, uint64_t total_steps,
                                             int columns, const double *history, size_t n_history);

#endif /* PPO_METRICS_PRIVATE_H */
