/* ppofw core — recording evaluation episodes as pictures (see ppo_record_private.h).
 * Leaves out the file formats (ppo_image.c) and the choice of what to record (ppo_eval.c). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_image_private.h"
#include "ppo_record_private.h"

#define RENDER_MAX_SIDE 4096 /* the contract's largest width or height */

struct ppo_recorder {
    const ppo_plugin_t *env;    /* whose render callbacks draw (borrowed) */
    char *dir;                  /* where recordings go */
    char *prefix;               /* start of the next recordings' names */
    ppo_record_format_t format; /* GIF or PNG frames */
    uint32_t delay_cs;          /* a GIF frame's time in hundredths of a second */
    void *sized_for;            /* the instance whose render_size set width and height */
    uint32_t width, height;     /* of the frames */
    uint8_t *rgb;               /* (height, width, 3) the last frame drawn */
    bool have_frame;            /* rgb holds a frame */
    uint32_t episode;           /* number of the episode being (or next) recorded */
    bool in_episode;            /* an episode is being written */
    uint32_t n_frames;          /* frames of that episode */
    char *part;                 /* its file or directory while being written */
    ppo_gif_t *gif;             /* the GIF being written (GIF format) */
    GError *error;              /* the failure that stopped recording, or NULL */
    GPtrArray *recordings;      /* finished files or directories (char *, owned) */
};

ppo_recorder_t *ppo_recorder_new(const ppo_plugin_t *env, const char *dir,
                                 ppo_record_format_t format, double fps, GError **error)
{
    g_return_val_if_fail(env != NULL && dir != NULL && fps > 0, NULL);
    if (env->vt.env.render_rgb == NULL || env->vt.env.render_size == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" (%s): its episodes cannot be recorded: the env offers no "
                    "render_size/render_rgb callbacks (docs/plugin-guide.md, \"Drawing the "
                    "state\", says how to add them)",
                    env->name, env->path);
        return NULL;
    }
    if (g_mkdir_with_parents(dir, 0755) != 0 || access(dir, W_OK) != 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot write recordings there: %s", dir,
                    g_strerror(errno));
        return NULL;
    }
    ppo_recorder_t *rec = g_new0(ppo_recorder_t, 1);
    rec->env = env;
    rec->dir = g_strdup(dir);
    rec->prefix = g_strdup("");
    rec->format = format;
    rec->delay_cs = (uint32_t)MAX(1.0, round(100.0 / fps));
    rec->recordings = g_ptr_array_new_with_free_func(g_free);
    return rec;
}

/* Remove what the episode being written left on disk. */
static void discard_episode(ppo_recorder_t *rec)
{
    if (rec->gif != NULL) {
        ppo_gif_discard(rec->gif);
        rec->gif = NULL;
    } else if (rec->part != NULL && rec->format == PPO_RECORD_PNG_FRAMES) {
        for (uint32_t k = 0; k < rec->n_frames; k++) {
            char name[32];
            g_snprintf(name, sizeof(name), "frame-%05u.png", k);
            char *path = g_build_filename(rec->part, name, NULL);
            g_unlink(path);
            g_free(path);
        }
        g_rmdir(rec->part);
    }
    g_free(rec->part);
    rec->part = NULL;
    rec->in_episode = false;
}

void ppo_recorder_free(ppo_recorder_t *rec)
{
    if (rec == NULL)
        return;
    discard_episode(rec);
    g_clear_error(&rec->error);
    g_ptr_array_free(rec->recordings, TRUE);
    g_free(rec->rgb);
    g_free(rec->prefix);
    g_free(rec->dir);
    g_free(rec);
}

void ppo_recorder_start(ppo_recorder_t *rec, const char *prefix)
{
    discard_episode(rec);
    g_free(rec->prefix);
    rec->prefix = g_strdup(prefix != NULL ? prefix : "");
    rec->episode = 0;
}

/* Stop recording for good with `e` (taken). */
static void fail(ppo_recorder_t *rec, GError *e)
{
    discard_episode(rec);
    if (rec->error == NULL)
        rec->error = e;
    else
        g_error_free(e);
}

static void fail_plugin(ppo_recorder_t *rec, const char *callback, int rc)
{
    GError *e = ppo_plugin_error(rec->env, callback, rc);
    g_prefix_error(&e, "recording stopped: ");
    fail(rec, e);
}

/* Draw the instance's current state into rgb; false after fail(). */
static bool draw(ppo_recorder_t *rec, void *inst)
{
    const ppo_env_vtable_t *vt = &rec->env->vt.env;
    if (rec->sized_for != inst) {
        uint32_t w = 0, h = 0;
        ppo_plugin_enter(rec->env, "render_size");
        const int rc = vt->render_size(inst, &w, &h);
        ppo_plugin_leave();
        if (rc != 0) {
            fail_plugin(rec, "render_size", rc);
            return false;
        }
        if (w < 1 || h < 1 || w > RENDER_MAX_SIDE || h > RENDER_MAX_SIDE) {
            fail(rec, g_error_new(PPO_ERROR, PPO_ERROR_PLUGIN,
                                  "plugin \"%s\" (%s): recording stopped: render_size gave "
                                  "%ux%u; width and height must be in [1, %d]",
                                  rec->env->name, rec->env->path, w, h, RENDER_MAX_SIDE));
            return false;
        }
        if (rec->rgb == NULL || w != rec->width || h != rec->height) {
            g_free(rec->rgb);
            rec->rgb = g_malloc0((size_t)w * h * 3);
            rec->have_frame = false;
        }
        rec->width = w;
        rec->height = h;
        rec->sized_for = inst;
    }
    ppo_plugin_enter(rec->env, "render_rgb");
    const int rc = vt->render_rgb(inst, rec->rgb);
    ppo_plugin_leave();
    if (rc != 0) {
        rec->have_frame = false;
        fail_plugin(rec, "render_rgb", rc);
        return false;
    }
    rec->have_frame = true;
    return true;
}

/* Append rgb to the episode being written. */
static void write_frame(ppo_recorder_t *rec)
{
    GError *e = NULL;
    bool ok;
    if (rec->format == PPO_RECORD_GIF) {
        ok = ppo_gif_add_frame(rec->gif, rec->rgb, &e);
    } else {
        char name[32];
        g_snprintf(name, sizeof(name), "frame-%05u.png", rec->n_frames);
        char *path = g_build_filename(rec->part, name, NULL);
        ok = ppo_png_write(path, rec->rgb, rec->width, rec->height, &e);
        g_free(path);
    }
    if (!ok) {
        fail(rec, e);
        return;
    }
    rec->n_frames++;
}

void ppo_recorder_begin_episode(ppo_recorder_t *rec, void *env_inst)
{
    if (rec->error != NULL)
        return;
    discard_episode(rec);
    if (!draw(rec, env_inst))
        return;
    GError *e = NULL;
    char *name = g_strdup_printf("%sep%03u%s", rec->prefix, rec->episode,
                                 rec->format == PPO_RECORD_GIF ? ".gif.part" : ".part");
    rec->part = g_build_filename(rec->dir, name, NULL);
    g_free(name);
    rec->n_frames = 0;
    if (rec->format == PPO_RECORD_GIF) {
        rec->gif = ppo_gif_create(rec->part, rec->width, rec->height, rec->delay_cs, &e);
        if (rec->gif == NULL) {
            fail(rec, e);
            return;
        }
    } else if (g_mkdir(rec->part, 0755) != 0 && errno != EEXIST) {
        fail(rec, g_error_new(PPO_ERROR, PPO_ERROR_IO, "%s: cannot create: %s", rec->part,
                              g_strerror(errno)));
        return;
    }
    rec->in_episode = true;
    write_frame(rec);
}

void ppo_recorder_frame(ppo_recorder_t *rec, void *env_inst)
{
    if (rec->error != NULL || !rec->in_episode)
        return;
    if (draw(rec, env_inst))
        write_frame(rec);
}

void ppo_recorder_end_episode(ppo_recorder_t *rec, double episode_return)
{
    if (rec->error != NULL || !rec->in_episode)
        return;
    GError *e = NULL;
    if (rec->gif != NULL) {
        const bool ok = ppo_gif_close(rec->gif, &e);
        rec->gif = NULL;
        if (!ok) {
            g_unlink(rec->part);
            fail(rec, e);
            return;
        }
    }

    /* the finished name carries the return */
    char ret[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(ret, sizeof(ret), "%.2f", episode_return);
    char *name = g_strdup_printf("%sep%03u-return%s%s", rec->prefix, rec->episode, ret,
                                 rec->format == PPO_RECORD_GIF ? ".gif" : "");
    char *final = g_build_filename(rec->dir, name, NULL);
    g_free(name);
    if (g_rename(rec->part, final) != 0) {
        const int err = errno;
        fail(rec, g_error_new(PPO_ERROR, PPO_ERROR_IO, "%s: cannot rename to %s: %s%s", rec->part,
                              final, g_strerror(err),
                              err == ENOTEMPTY || err == EEXIST
                                  ? "; remove the earlier recording or record elsewhere"
                                  : ""));
        g_free(final);
        return;
    }
    g_ptr_array_add(rec->recordings, final);
    g_free(rec->part);
    rec->part = NULL;
    rec->in_episode = false;
    rec->episode++;
}

const GError *ppo_recorder_error(const ppo_recorder_t *rec)
{
    return rec->error;
}

guint ppo_recorder_n_recordings(const ppo_recorder_t *rec)
{
    return rec->recordings->len;
}

const char *ppo_recorder_recording(const ppo_recorder_t *rec, guint i)
{
    g_return_val_if_fail(i < rec->recordings->len, NULL);
    return g_ptr_array_index(rec->recordings, i);
}

const uint8_t *ppo_recorder_last_frame(const ppo_recorder_t *rec, uint32_t *width, uint32_t *height)
{
    if (!rec->have_frame)
        return NULL;
    *width = rec->width;
    *height = rec->height;
    return rec->rgb;
}
