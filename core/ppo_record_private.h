/* ppofw core — recording evaluation episodes as pictures.
 *
 * A recorder draws one env instance through the env's render_size/render_rgb callbacks into a
 * buffer it owns, once after the reset that starts an episode and once after every step, so an
 * episode of length L has L + 1 frames. It writes each episode as it goes, to
 * DIR/PREFIXepNNN.gif.part (an animated GIF) or DIR/PREFIXepNNN.part/frame-NNNNN.png (PNG
 * frames), and when the episode ends renames it to DIR/PREFIXepNNN-returnR.gif or
 * DIR/PREFIXepNNN-returnR/, R being the episode's return with two decimals. NNN counts the
 * episodes since ppo_recorder_start, from 0.
 *
 * A recorder never fails the evaluation it watches: the first failure (a render callback that
 * fails, a file that cannot be written) discards the episode being written, is kept, and stops
 * recording; the caller reports it after the evaluation (ppo_recorder_error). Only a recorder
 * exists costs anything: without one the evaluator never calls render and no frame buffer is
 * allocated.
 *
 * Left out: choosing which env and episodes to record (the evaluator's hook, ppo_eval.c) and the
 * file formats (ppo_image.c).
 */
#ifndef PPO_RECORD_PRIVATE_H
#define PPO_RECORD_PRIVATE_H

#include "ppo_plugin_private.h"

typedef enum ppo_record_format {
    PPO_RECORD_GIF = 0,        /* one animated GIF per episode */
    PPO_RECORD_PNG_FRAMES = 1, /* one directory of PNG frames per episode */
} ppo_record_format_t;

/* Frames per second of a recording unless asked otherwise (a GIF stores 3/100 s per frame). */
#define PPO_RECORD_DEFAULT_FPS 30.0

typedef struct ppo_recorder ppo_recorder_t;

/* A recorder of `env`'s episodes into `dir` (made, with its parents, if missing) at `fps`
 * frames per second (> 0; a GIF rounds the frame time to hundredths of a second, at least one).
 * Fails with a PPO_ERROR_PLUGIN error when the env has no render callbacks and with a
 * PPO_ERROR_IO error when `dir` cannot be made or written. (transfer full: ppo_recorder_free) */
PPO_INTERNAL ppo_recorder_t *ppo_recorder_new(const ppo_plugin_t *env, const char *dir,
                                              ppo_record_format_t format, double fps,
                                              GError **error);
/* Discards an episode still being written. Accepts NULL. */
PPO_INTERNAL void ppo_recorder_free(ppo_recorder_t *rec);

/* Name the next episodes PREFIXep000..., PREFIXep001... (prefix copied; "" for none). */
PPO_INTERNAL void ppo_recorder_start(ppo_recorder_t *rec, const char *prefix);

/* The evaluator's hooks, for the instance being recorded: after the reset that starts an
 * episode, after each of its steps, and when it ends (terminated or truncated). */
PPO_INTERNAL void ppo_recorder_begin_episode(ppo_recorder_t *rec, void *env_inst);
PPO_INTERNAL void ppo_recorder_frame(ppo_recorder_t *rec, void *env_inst);
PPO_INTERNAL void ppo_recorder_end_episode(ppo_recorder_t *rec, double episode_return);

/* The failure that stopped recording, or NULL (transfer none). Its code is PPO_ERROR_PLUGIN
 * (render_size or render_rgb failed or gave a bad size) or PPO_ERROR_IO. */
PPO_INTERNAL const GError *ppo_recorder_error(const ppo_recorder_t *rec);

/* The recordings finished so far, in order: GIF files or frame directories (transfer none). */
PPO_INTERNAL guint ppo_recorder_n_recordings(const ppo_recorder_t *rec);
PPO_INTERNAL const char *ppo_recorder_recording(const ppo_recorder_t *rec, guint i);

/* The last frame drawn, (height, width, 3), or NULL before the first (transfer none: valid until
 * the next frame or ppo_recorder_free). */
PPO_INTERNAL const uint8_t *ppo_recorder_last_frame(const ppo_recorder_t *rec, uint32_t *width,
                                                    uint32_t *height);

#endif /* PPO_RECORD_PRIVATE_H */
