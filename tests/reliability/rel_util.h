/* ppofw reliability tests — running the ppofw program the way a user (or a crash) would.
 *
 * Spawns the built program ($PPO_TEST_BUILDDIR/ppofw) with stdout and stderr collected through
 * pipes (so its own file-size limit never cuts them), optional resource limits (a file-size
 * limit standing in for a full disk), another user, and extra environment; waits
 * with a deadline (a test never hangs: past it the child is killed and the test fails); sends
 * signals mid-run. Snapshots a run directory so a test can prove that a failure damaged nothing
 * written before it: checkpoints and pipeline.yaml byte for byte, append-only files (metrics.csv,
 * episodes.csv, TensorBoard events) as a preserved prefix. Reads checkpoint sections to compare two runs' final
 * state. What it leaves out: parsing checkpoint contents beyond the section table (the core's
 * own tests do that).
 */
#ifndef REL_UTIL_H
#define REL_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ppo_test.h"

/* How to start ppofw. Zero-initialize and set what you need. */
typedef struct {
    const char *cwd;        /* NULL: the test's directory */
    const char *const *env; /* NULL-terminated "NAME=VALUE" additions, or NULL */
    uint64_t fsize_limit;   /* > 0: RLIMIT_FSIZE in bytes, with SIGXFSZ ignored */
    double timeout_s;       /* 0: 120 s */
    bool unprivileged;      /* when the test runs as root: run ppofw as user and group
                               65534 (nobody), so file permissions apply to it */
} rel_opts_t;

/* A finished (or running) ppofw process. */
typedef struct {
    pid_t pid;
    int status;      /* raw wait status once finished */
    char *out_path;  /* where stdout goes */
    char *err_path;  /* where stderr goes */
    char *out, *err; /* contents once finished */
    double seconds;  /* wall time from start to exit */
    gint64 t0;
    GThread *drain; /* copies the child's output pipes into the files */
} rel_proc_t;

/* Write text to dir/name and return the path (transfer full). */
char *rel_write(const char *dir, const char *name, const char *text);
/* DIR/NAME.yaml: a small cartpole pipeline (2 envs, mlp 16/16, 32-step rollouts, 2 minibatches,
 * a checkpoint every 64 steps, 100 kept) named `name`, with `seed` and `total_steps`.
 * (transfer full: g_free) */
char *rel_cartpole_pipeline(const char *dir, const char *name, int seed, int total_steps);
/* Read a whole file (transfer full); fails the test when it cannot. */
char *rel_read(const char *path, gsize *len);

/* Absolute path of the ppofw program (transfer full). */
char *rel_ppofw(void);

/* Start ppofw with a NULL-terminated argument list (without the program). */
void rel_start(rel_proc_t *p, const rel_opts_t *opt, const char *const *args);
/* Wait for it (failing the test after the deadline); fills status, out, err. */
void rel_wait(rel_proc_t *p, const rel_opts_t *opt);
/* Start, wait, and fail the test unless it exited normally (not killed by a signal). */
void rel_run(rel_proc_t *p, const rel_opts_t *opt, ...) G_GNUC_NULL_TERMINATED;
void rel_proc_clear(rel_proc_t *p);

/* Fail unless p exited (not by a signal) with `code` and stderr contains each NULL-terminated
 * part that follows. */
void rel_expect(const rel_proc_t *p, int code, ...) G_GNUC_NULL_TERMINATED;

/* Data lines (after the header) of RUN_DIR/metrics.csv, 0 when it is missing. */
guint rel_metrics_rows(const char *run_dir);
/* Poll until RUN_DIR/metrics.csv has at least `rows` data lines or the process exited; true when
 * the rows are there while it still runs. */
bool rel_wait_rows(rel_proc_t *p, const char *run_dir, guint rows, double timeout_s);

/* A run directory's files and their contents. */
typedef struct rel_snapshot rel_snapshot_t;
rel_snapshot_t *rel_snapshot(const char *dir);
void rel_snapshot_free(rel_snapshot_t *s);
/* Fail unless every file of the snapshot is still there with the same bytes (files named
 * metrics.csv, episodes.csv or events.out.tfevents.*: the old bytes as a prefix). */
void rel_assert_preserved(const rel_snapshot_t *s);
/* Number of files in the snapshot whose name ends with `suffix`. */
guint rel_snapshot_count(const rel_snapshot_t *s, const char *suffix);

/* The newest RUN_DIR/checkpoints/ckpt-*.ckpt (transfer full), or NULL. */
char *rel_latest_checkpoint(const char *run_dir);
/* The payload of section `tag` of a checkpoint file (transfer full: g_bytes_unref); fails the
 * test when the file is not a well-formed checkpoint. */
GBytes *rel_ckpt_section(const char *path, const char *tag);
/* The INFO value of `key` in a checkpoint (transfer full), or NULL. */
char *rel_ckpt_info(const char *path, const char *key);
/* Fail unless two checkpoints hold the same state: every section byte for byte, INFO except
 * time_s and the offsets into metrics.csv and the events file (whose time columns and wall
 * times differ in width between runs) and the events file's name. */
void rel_assert_same_state(const char *ckpt_a, const char *ckpt_b);
/* Fail unless two metrics.csv files are equal except the time_s and sps columns. */
void rel_assert_same_metrics(const char *csv_a, const char *csv_b);
/* Fail unless two episodes.csv files are equal except the time_s column. */
void rel_assert_same_episodes(const char *csv_a, const char *csv_b);
/* Fail unless every float of the checkpoint's PARM section is finite. */
void rel_assert_params_finite(const char *ckpt);

/* A SHA-256 over a directory tree as it is, links not followed: every entry's path relative to
 * `dir`, its type and permission bits, a regular file's bytes, a link's target (FIFOs and
 * devices are never opened). Two equal digests mean nothing in the tree was created, changed,
 * truncated or removed. (transfer full) */
char *rel_tree_digest(const char *dir);

/* The names in directory `dir`, sorted, or NULL when it cannot be listed. (transfer full:
 * g_strfreev) */
char **rel_dir_names(const char *dir);

/* Write to `dst` the checkpoint `src` with the payload of section `tag` replaced by `len` bytes
 * (the section is added at the end when missing), the CRC recomputed: a crafted checkpoint that
 * passes every integrity check. */
void rel_ckpt_craft(const char *src, const char *dst, const char *tag, const void *payload,
                    size_t len);
/* The same with one INFO value set (added when missing). */
void rel_ckpt_set_info(const char *src, const char *dst, const char *key, const char *value);
/* The same with the PIPE section's text `from` replaced by `to` (every occurrence). */
void rel_ckpt_edit_pipeline(const char *src, const char *dst, const char *from, const char *to);

/* `ppofw run PIPELINE --run-dir RUN_DIR -q` plus the NULL-terminated extra arguments; fails the
 * test unless it exits 0. */
void rel_train(const char *pipeline, const char *run_dir, ...) G_GNUC_NULL_TERMINATED;

/* The build tree's tests/reliability/bad/.libs: plugin files that misbehave when loaded, in no
 * search path. (transfer none) */
const char *rel_bad_dir(void);

/* Make a FIFO at dir/name (transfer full: its path). */
char *rel_fifo(const char *dir, const char *name);

#endif /* REL_UTIL_H */
