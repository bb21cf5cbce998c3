/* ppofw core — file input and output that a hostile file system cannot turn against us.
 *
 * Reading: every file ppofw reads (a pipeline, a checkpoint, a sweep file, a run's metrics) is
 * opened with O_NONBLOCK and O_NOCTTY, so a FIFO or a device never blocks the open, then checked
 * with fstat: only a regular file within a size bound is read (a FIFO, /dev/zero, a directory or
 * a socket is refused with a message naming what it is). Inside a run directory names are opened
 * relative to the directory's descriptor with O_NOFOLLOW: a symbolic link planted there is
 * refused, never followed.
 *
 * Writing: files of a run directory are replaced crash-safely relative to a directory descriptor
 * (NAME.tmp created afresh with O_EXCL | O_NOFOLLOW after removing any stale one, fsync, renameat,
 * fsync of the directory), so neither a symlink nor a hard link planted under either name can
 * redirect the write. A user's output (`-o FILE`) goes through ppo_output_write: a regular file
 * or a new name is replaced by rename (through a symlink: its target is replaced and the link
 * kept); a character device, a FIFO or a socket (/dev/null, /dev/stdout, /proc/self/fd/1) is
 * written in place and never replaced.
 *
 * Also here: the memory this process may use (physical memory, lowered by RLIMIT_AS and
 * RLIMIT_DATA), which every size read from a plugin or a file is checked against before it is
 * allocated, and the I/O error message with its fix. What it leaves out: what the files mean.
 */
#ifndef PPO_FILE_PRIVATE_H
#define PPO_FILE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ppo_error_private.h"

/* Flags of ppo_file_open_read. */
enum {
    PPO_FILE_NOFOLLOW = 1 << 0, /* refuse a symbolic link (inside a run directory) */
    PPO_FILE_SINGLE_LINK = 1 << 1, /* refuse a file with other hard links (a file to modify) */
    PPO_FILE_WRITE = 1 << 2,    /* open for reading and writing */
};

/* Open dir_fd/name (dir_fd may be AT_FDCWD) for reading: a regular file of at most max_bytes
 * (0: no bound). `what` names the file's role in messages ("checkpoint"), `shown` the name to
 * print (may be NULL: name). A refusal is a GError of `code` (PPO_ERROR_CHECKPOINT, ...) naming
 * the file, what it is and what to give instead. On success the descriptor is blocking again and
 * *st (may be NULL) holds its fstat. Returns the descriptor or -1. */
PPO_INTERNAL int ppo_file_open_read(int dir_fd, const char *name, const char *shown,
                                    const char *what, int flags, uint64_t max_bytes, int code,
                                    struct stat *st, GError **error);

/* Read a whole file opened as above (regular, bounded): the bytes and a NUL after them.
 * (transfer full: *data) */
PPO_INTERNAL bool ppo_file_read(int dir_fd, const char *name, const char *shown,
                                const char *what, int flags, uint64_t max_bytes, int code,
                                char **data, gsize *len, GError **error);

/* Replace dir_fd/name crash-safely with `len` bytes (see the top of this file). dir_fd may be
 * AT_FDCWD, then name may be a path. `shown` names the file in messages (may be NULL: name),
 * `what` what it is ("a checkpoint"; NULL: nothing said); `keep_note` is appended to a failure
 * message (e.g. " (the previous checkpoint is intact)"). */
PPO_INTERNAL bool ppo_file_replace_at(int dir_fd, const char *name, const char *shown,
                                      const char *what, const void *data, size_t len,
                                      const char *keep_note, GError **error);

/* Write `len` bytes to a user's output file (see the top of this file). `what` names it in
 * messages ("the SVG plot"). */
PPO_INTERNAL bool ppo_output_write(const char *path, const char *what, const void *data,
                                   size_t len, GError **error);

/* True when the running digest (left open for more data) has the hex value `hex`. */
PPO_INTERNAL bool ppo_digest_equal(const GChecksum *running, const char *hex);

/* True when two paths name the same existing file (same device and inode), or are the same
 * string. */
PPO_INTERNAL bool ppo_file_same(const char *a, const char *b);

/* "a FIFO", "a directory", "a character device", ... for an st_mode. */
PPO_INTERNAL const char *ppo_file_kind(mode_t mode);

/* Set a PPO_ERROR_IO error "PATH: cannot WHAT: REASON" with the fix for a full disk (free
 * space) or a permission problem, and `note` appended (may be NULL). */
PPO_INTERNAL bool ppo_io_error(GError **error, const char *path, const char *what, int err,
                               const char *note);

/* Bytes of memory this process may use: physical memory, lowered by RLIMIT_AS and RLIMIT_DATA
 * when they are set. */
PPO_INTERNAL uint64_t ppo_memory_limit(void);

/* Fail unless `bytes` (already computed without overflow, UINT64_MAX meaning "overflows") fit
 * in ppo_memory_limit(): the message is "WHO: WHAT needs N bytes (X GiB), more than the Y GiB
 * this process may use; FIX". code is the error code to use. */
PPO_INTERNAL bool ppo_memory_check(uint64_t bytes, const char *who, const char *what,
                                   const char *fix, int code, GError **error);

/* a * b, or UINT64_MAX when it overflows. */
PPO_INTERNAL uint64_t ppo_mul_sat(uint64_t a, uint64_t b);

#endif /* PPO_FILE_PRIVATE_H */
