/* ppofw core — image files: PNG through libpng, animated GIF through giflib.
 *
 * Every image is packed RGB: height x width x 3 bytes, row-major from the top-left pixel, the
 * layout an env's render_rgb writes. A PNG is one such image (to a file, or to memory for
 * TensorBoard); a GIF is a growing animation written frame by frame, so an episode never has
 * to be held in memory. A GIF frame keeps its colours exactly when it has at most 256 of them
 * (the classic-control pictures usually do) and is reduced to 256 by giflib's median-cut
 * quantizer otherwise; each frame carries its own colour table. The files hold no timestamps,
 * so the same pixels give the same bytes.
 *
 * Left out: reading images (tests decode with the same libraries), other formats, and
 * transparency.
 */
#ifndef PPO_IMAGE_PRIVATE_H
#define PPO_IMAGE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ppo_error_private.h"

/* Write `rgb` (height, width, 3) as an 8-bit RGB PNG at `path`. A PPO_ERROR_IO error names the
 * path and libpng's reason. */
PPO_INTERNAL bool ppo_png_write(const char *path, const uint8_t *rgb, uint32_t width,
                                uint32_t height, GError **error);

/* The same PNG in memory (transfer full: g_free), its size in *len_out; NULL with a
 * PPO_ERROR_IO error when libpng fails. */
PPO_INTERNAL uint8_t *ppo_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height,
                                     size_t *len_out, GError **error);

/* An animated GIF being written. Not thread-safe. */
typedef struct ppo_gif ppo_gif_t;

/* Create `path` (replacing a file of that name) for frames of width x height shown for
 * delay_cs hundredths of a second each, looping forever. (transfer full: ppo_gif_close or
 * ppo_gif_discard) NULL with a PPO_ERROR_IO error naming the path. */
PPO_INTERNAL ppo_gif_t *ppo_gif_create(const char *path, uint32_t width, uint32_t height,
                                       uint32_t delay_cs, GError **error);

/* Append one frame, `rgb` (height, width, 3). On a write error returns false with a
 * PPO_ERROR_IO error; the file is then incomplete (discard it). */
PPO_INTERNAL bool ppo_gif_add_frame(ppo_gif_t *gif, const uint8_t *rgb, GError **error);

/* Frames added so far. */
PPO_INTERNAL uint32_t ppo_gif_n_frames(const ppo_gif_t *gif);

/* Finish the file and free the writer (false with a PPO_ERROR_IO error when the last write
 * fails). Accepts NULL. */
PPO_INTERNAL bool ppo_gif_close(ppo_gif_t *gif, GError **error);

/* Close, remove the file and free the writer. Accepts NULL. */
PPO_INTERNAL void ppo_gif_discard(ppo_gif_t *gif);

#endif /* PPO_IMAGE_PRIVATE_H */
