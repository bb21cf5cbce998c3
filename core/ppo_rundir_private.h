/* ppofw core — run directories: made, claimed, cleared and resumed only as ppofw's own.
 *
 * A run directory is ppofw's when it holds the marker file `.ppofw-run`, written when the run is
 * created, which carries the run's identity: a random 128-bit run id that every checkpoint of
 * the run records too. One process at a time writes a run directory: it holds an advisory lock
 * (flock on `.ppofw-lock`, taken without waiting) from before it changes anything until it
 * exits; a second writer is refused (exit 5). Readers (eval, export, plot) take no lock.
 *
 * Nothing is followed or removed that ppofw did not make: the directory is held open and every
 * name in it is used relative to that descriptor with O_NOFOLLOW (`checkpoints/` and `tb/` are
 * opened with O_DIRECTORY | O_NOFOLLOW), so a symbolic link planted in a run directory is
 * refused, never followed. `--overwrite` replaces only a ppofw run (a marker) or an empty
 * directory, and removes only the files a run writes (pipeline.yaml, metrics.csv, episodes.csv,
 * checkpoints/ckpt-<step>.ckpt, checkpoints/best.ckpt and their .tmp files, tb/events.out.
 * tfevents.*, videos/step<step>-*.gif and .gif.part), all of them regular files; any other
 * entry under one of those names makes it refuse before anything is removed.
 *
 * Resume proves, before it cuts anything, that the files it will cut are the ones the
 * checkpoint describes: the checkpoint's run id is the directory's, metrics.csv and episodes.csv
 * hold exactly the checkpoint's rows up to its byte offsets (row count, SHA-256 of the kept
 * prefix, the cut on a row boundary, LF line ends) and the events file's kept prefix has the
 * checkpoint's SHA-256. Otherwise it refuses (exit 5) and has changed nothing. The recordings
 * of evaluations after the checkpoint's step go, as the rows after it do. A run with no
 * checkpoint is started again in place only when it holds no metrics or episodes rows.
 *
 * What it leaves out: the files' formats (ppo_metrics.c, ppo_tboard.c, ppo_checkpoint.c) and
 * the training loop (ppo_run.c).
 */
#ifndef PPO_RUNDIR_PRIVATE_H
#define PPO_RUNDIR_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ppo_checkpoint_private.h"
#include "ppo_metrics_private.h"
#include "ppo_tboard_private.h"

#define PPO_RUN_MARKER ".ppofw-run"
#define PPO_RUN_LOCK ".ppofw-lock"
#define PPO_RUN_ID_LEN 32 /* hex digits */
/* eval.record's recordings in videos/ are named step<12-digit step>-ep<N>-return<R>.gif */
#define PPO_RUN_VIDEO_PREFIX "step"

typedef enum {
    PPO_RUNDIR_CREATE,    /* a new directory, or an existing empty one */
    PPO_RUNDIR_OVERWRITE, /* also an existing ppofw run, whose files are removed */
    PPO_RUNDIR_RESUME,    /* an existing run, to be continued */
} ppo_rundir_mode_t;

/* A claimed run directory. */
typedef struct ppo_rundir {
    char *path;        /* as given (for messages) */
    int fd;            /* the directory */
    int ckpt_fd;       /* checkpoints/ (-1: absent, on resume) */
    int lock_fd;       /* holds the flock */
    char *run_id;      /* PPO_RUN_ID_LEN hex digits; NULL for a run made before run ids */
    bool has_rows;     /* on resume: metrics.csv holds at least one row */
} ppo_rundir_t;

/* Claim `path` (see the modes). A NULL path in CREATE mode makes runs/<name>-<YYYYmmdd-HHMMSS>
 * (with -2, -3, ... when taken). An empty path is refused. (transfer full: ppo_rundir_close) */
PPO_INTERNAL ppo_rundir_t *ppo_rundir_open(const char *path, const char *name,
                                           ppo_rundir_mode_t mode, GError **error);
/* Release the lock and free. Accepts NULL. */
PPO_INTERNAL void ppo_rundir_close(ppo_rundir_t *rd);

/* On resume without a checkpoint: start the run again in place (its files removed, a new run
 * id), refused when metrics.csv holds rows. */
PPO_INTERNAL bool ppo_rundir_restart(ppo_rundir_t *rd, GError **error);

/* Replace a file of the run directory crash-safely (pipeline.yaml). */
PPO_INTERNAL bool ppo_rundir_write(ppo_rundir_t *rd, const char *name, const char *text,
                                   GError **error);

/* The fresh metrics.csv and episodes.csv and, with `tensorboard`, a fresh events file in tb/. */
PPO_INTERNAL bool ppo_rundir_create_files(ppo_rundir_t *rd, bool tensorboard, double wall_time,
                                          ppo_metrics_t **metrics, ppo_csvlog_t **episodes,
                                          ppo_tboard_t **tb, GError **error);

/* The run's videos/ (made if missing; a link or other non-directory is refused), as a path for
 * the recorder. (transfer full) */
PPO_INTERNAL char *ppo_rundir_videos(ppo_rundir_t *rd, GError **error);

/* Prove that metrics.csv, episodes.csv and the events file are the ones the checkpoint `files`
 * describes (see the top), then cut them back and open them for appending, and remove the
 * recordings in videos/ of evaluations after `ckpt_step` (and partial ones). `ckpt_in_dir`: the
 * checkpoint came from this run's checkpoints/ (needed for a checkpoint without a run id).
 * Nothing is changed unless every proof holds (and every recording to remove is a regular
 * file). */
PPO_INTERNAL bool ppo_rundir_resume_files(ppo_rundir_t *rd, const ppo_ckpt_files_t *files,
                                          const char *ckpt_shown, bool ckpt_in_dir,
                                          uint64_t ckpt_step, bool tensorboard, double wall_time,
                                          ppo_metrics_t **metrics, ppo_csvlog_t **episodes,
                                          ppo_tboard_t **tb, GError **error);

/* Remove periodic checkpoints beyond the newest `keep` (best.ckpt stays). */
PPO_INTERNAL bool ppo_rundir_prune(ppo_rundir_t *rd, uint32_t keep, GError **error);

/* The newest periodic checkpoint RUN_DIR/checkpoints/ckpt-<step>.ckpt that is a regular file
 * (links, FIFOs and other entries are passed over with a warning), or NULL when there is none.
 * A checkpoints/ that exists but cannot be listed (not a directory, a link, no permission) is an
 * error (*error set, NULL returned), so that "none" always means none. (transfer full) */
PPO_INTERNAL char *ppo_rundir_latest_checkpoint(const char *run_dir, GError **error);

/* True when `name` is a plain file name: not empty, no '/', not "." or "..", no control
 * characters, at most 255 bytes. */
PPO_INTERNAL bool ppo_rundir_plain_name(const char *name);

/* Mark `path` (an existing directory, e.g. a sweep's run made before its run starts) as a
 * ppofw run with a new run id, if it has no marker yet. */
PPO_INTERNAL bool ppo_rundir_mark(const char *path, GError **error);

#endif /* PPO_RUNDIR_PRIVATE_H */
