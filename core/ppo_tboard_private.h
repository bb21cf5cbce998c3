/* ppofw core — TensorBoard event files, written and read without protobuf or TensorFlow.
 *
 * A writer appends TFRecord-framed Event messages holding scalar summaries (the layout is in
 * platform-facts §2.1) and PNG images; a reader walks such a file, checks both CRCs of every
 * record and hands back the scalars or the images. What it leaves out: every other summary kind
 * (histograms, tensors, graphs), and reading files written by others beyond their scalar
 * simple_values and images.
 */
#ifndef PPO_TBOARD_PRIVATE_H
#define PPO_TBOARD_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "ppo_error_private.h"

/* An open events file being appended to. Not thread-safe: one thread writes. */
typedef struct ppo_tboard ppo_tboard_t;

/* Create RUN_DIR/tb/ (if missing; RUN_DIR must exist) and in it a new file
 * events.out.tfevents.<10-digit unix time>.<hostname>.<pid>.0, the time being `wall_time`
 * (seconds since the epoch), then write and flush the file_version record "brain.Event:2".
 * An existing file of that name is never overwritten. Returns NULL with a PPO_ERROR_IO error on
 * failure. (transfer full: close with ppo_tboard_close) */
PPO_INTERNAL ppo_tboard_t *ppo_tboard_create(const char *run_dir, double wall_time, GError **error);

/* The same in the open directory tb_fd (named tb_dir in messages): the new file is created with
 * O_EXCL | O_NOFOLLOW, never through a link. */
PPO_INTERNAL ppo_tboard_t *ppo_tboard_create_at(int tb_fd, const char *tb_dir, double wall_time,
                                                GError **error);

/* Check, without changing it, that the events file open as `fd` has whole, intact records up to
 * exactly `size` bytes and, when `digest` is not NULL, that those bytes have that SHA-256 (hex).
 * A mismatch is a PPO_ERROR_CHECKPOINT error. *digest_out (may be NULL) receives the running
 * digest of the prefix (transfer full). */
PPO_INTERNAL bool ppo_tboard_verify(int fd, const char *path, uint64_t size, const char *digest,
                                    GChecksum **digest_out, GError **error);
/* Cut the verified file `fd` back to `size` and append from there; takes fd and digest. */
PPO_INTERNAL ppo_tboard_t *ppo_tboard_adopt(int fd, const char *path, uint64_t size,
                                            GChecksum *digest, GError **error);

/* Reopen the events file at `path` to append after cutting it to `size` bytes (on resume, with
 * the offset a checkpoint stored). Refuses, with a PPO_ERROR_IO error, a size beyond the end of
 * the file, a size that is not a record boundary, and damage (a CRC mismatch) before `size`.
 * (transfer full: close with ppo_tboard_close) */
PPO_INTERNAL ppo_tboard_t *ppo_tboard_reopen(const char *path, uint64_t size, GError **error);

/* Append one Event at `step` and `wall_time` (seconds since the epoch) whose Summary holds n
 * scalars: tags[i] with values[i] stored as a float simple_value. tags and values (n) are
 * borrowed for the call. The record is encoded in a grow-only buffer, so once a call has been
 * made with as many and as long tags, later calls allocate nothing. On a write error (disk full)
 * returns false with a PPO_ERROR_IO error, and every later write fails too. */
PPO_INTERNAL bool ppo_tboard_add_scalars(ppo_tboard_t *tb, int64_t step, double wall_time,
                                         const char *const *tags, const double *values, size_t n,
                                         GError **error);

/* Append one Event at `step` and `wall_time` whose Summary holds one image: `tag` and a
 * Summary.Image of width x height, colorspace 3 (RGB), with `png` (png_len bytes, borrowed for
 * the call) as its encoded_image_string. TensorBoard shows it under its Images tab. Errors as
 * ppo_tboard_add_scalars. */
PPO_INTERNAL bool ppo_tboard_add_image(ppo_tboard_t *tb, int64_t step, double wall_time,
                                       const char *tag, uint32_t width, uint32_t height,
                                       const uint8_t *png, size_t png_len, GError **error);

/* Hand buffered records to the kernel (fflush; no fsync). */
PPO_INTERNAL bool ppo_tboard_flush(ppo_tboard_t *tb, GError **error);

/* Bytes of whole records in the file so far, flushed or not: what a checkpoint stores for
 * ppo_tboard_reopen. */
PPO_INTERNAL uint64_t ppo_tboard_offset(const ppo_tboard_t *tb);

/* SHA-256 (hex) of those bytes. (transfer full) */
PPO_INTERNAL char *ppo_tboard_digest(const ppo_tboard_t *tb);

/* The file's path. (transfer none: valid until ppo_tboard_close) */
PPO_INTERNAL const char *ppo_tboard_path(const ppo_tboard_t *tb);

/* Flush and close the file and free the writer, also when the flush fails; that failure is
 * reported through `error` (returns false). Accepts NULL (returns true). */
PPO_INTERNAL bool ppo_tboard_close(ppo_tboard_t *tb, GError **error);

/* Called by ppo_tboard_read for each scalar; `tag` is valid only during the call. A Value without
 * a tag gives "". */
typedef void (*ppo_tboard_scalar_fn)(int64_t step, double wall_time, const char *tag, float value,
                                     void *user);

/* Call fn (may be NULL: only check the file) for every scalar simple_value in the events file at
 * `path`, in file order; Events without a Summary (file_version) have none. A record whose CRC
 * does not match, or whose Event cannot be decoded, stops the walk with a PPO_ERROR_IO error
 * naming its byte offset (the scalars before it have been delivered). A truncated last record is
 * the end of the file, as in TensorBoard: returns true. *records_out (may be NULL) receives the
 * number of whole, valid records read, also on error. */
PPO_INTERNAL bool ppo_tboard_read(const char *path, ppo_tboard_scalar_fn fn, void *user,
                                  uint64_t *records_out, GError **error);

/* One Summary.Image as read back; `encoded` points into the reader's buffer. */
typedef struct ppo_tboard_image {
    uint32_t width, height; /* pixels */
    uint32_t colorspace;    /* 3: RGB */
    const uint8_t *encoded; /* (encoded_len) the encoded image, PNG for ppofw's */
    size_t encoded_len;
} ppo_tboard_image_t;

/* Called by ppo_tboard_read_images for each image; everything is valid only during the call. */
typedef void (*ppo_tboard_image_fn)(int64_t step, double wall_time, const char *tag,
                                    const ppo_tboard_image_t *image, void *user);

/* Call fn for every image in the events file at `path`, in file order; otherwise as
 * ppo_tboard_read. */
PPO_INTERNAL bool ppo_tboard_read_images(const char *path, ppo_tboard_image_fn fn, void *user,
                                         GError **error);

#endif /* PPO_TBOARD_PRIVATE_H */
