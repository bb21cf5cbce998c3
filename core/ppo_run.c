/* ppofw core — a training run: claiming its run directory, resuming, and the reporting loop
 * around the trainer. Leaves out the training itself (ppo_trainer.c), what may be done to a run
 * directory (ppo_rundir.c) and the file formats (ppo_metrics.c, ppo_tboard.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ppo_checkpoint_private.h"
#include "ppo_file_private.h"
#include "ppo_image_private.h"
#include "ppo_metrics_private.h"
#include "ppo_record_private.h"
#include "ppo_run_private.h"
#include "ppo_rundir_private.h"
#include "ppo_signal_private.h"

/* pipeline.yaml: the resolved pipeline under a header saying how it was made. */
static bool write_pipeline(const ppo_session_t *s, ppo_rundir_t *rd, const char *command_line,
                           GError **error)
{
    GString *text = g_string_new(NULL);
    g_string_append_printf(text, "# ppofw %s (plugin ABI %d.%d)\n", PPO_VERSION_STRING,
                           PPO_ABI_MAJOR, PPO_ABI_MINOR);
    if (command_line != NULL)
        g_string_append_printf(text, "# command: %s\n", command_line);
    g_string_append_printf(text, "# pipeline file: %s\n", s->pipeline->path);
    const ppo_plugin_t *plugins[] = {s->env, s->policy, s->advantage, s->optimizer};
    for (size_t i = 0; i < G_N_ELEMENTS(plugins); i++)
        g_string_append_printf(text, "# %s plugin: %s %s (ABI %u.%u) %s\n",
                               ppo_kind_name(plugins[i]->kind), plugins[i]->name,
                               plugins[i]->version, plugins[i]->abi_major, plugins[i]->abi_minor,
                               plugins[i]->path);
    char *yaml = ppo_session_resolved_yaml(s);
    g_string_append(text, yaml);
    g_free(yaml);
    const bool ok = ppo_rundir_write(rd, "pipeline.yaml", text->str, error);
    g_string_free(text, TRUE);
    return ok;
}

static double wall_clock(void)
{
    return (double)g_get_real_time() / 1e6;
}

/* The files and schedule state of one run loop. */
typedef struct {
    ppo_trainer_t *tr;
    const ppo_run_options_t *opt;
    char *dir;
    ppo_rundir_t *rd; /* rank 0: the claimed run directory */
    ppo_metrics_t *metrics;
    ppo_csvlog_t *episodes;
    ppo_tboard_t *tb;
    gint64 last_ckpt_time;
    bool quiet;                  /* no progress lines (asked for, or stderr went away) */
    bool have_ckpt;              /* a periodic checkpoint of this run exists (written, or resumed
                                    from) */
    ppo_recorder_t *recorder;    /* eval.record: draws the evaluations into RUN/videos/, or NULL */
    bool record_reported;        /* the recorder's failure has been reported */
    double spark[PPO_SPARK_MAX]; /* the last logged ep_return_mean values, oldest first (tty) */
    size_t n_spark;              /* values in spark */
} run_t;

/* A failed write to metrics.csv or the events file: say what is left to resume from. */
static bool file_failed(const run_t *r, GError **error)
{
    if (error == NULL || *error == NULL)
        return false;
    char *note = r->have_ckpt
                     ? g_strdup_printf("; the run can be resumed from its last checkpoint (step %"
                                       G_GUINT64_FORMAT ") once there is room: ppofw run "
                                       "--resume %s",
                                       r->tr->last_ckpt_step, r->dir)
                     : g_strdup("; no checkpoint was written yet, so the run starts again "
                                "once there is room");
    char *msg = g_strconcat((*error)->message, note, NULL);
    g_free((*error)->message);
    (*error)->message = msg;
    g_free(note);
    return false;
}

static bool write_checkpoint(run_t *r, const char *name, GError **error)
{
    /* the episodes the checkpoint counts are on disk before it names their size */
    if (r->episodes != NULL && !ppo_csvlog_flush(r->episodes, error))
        return file_failed(r, error);
    char *tb_name = r->tb != NULL ? g_path_get_basename(ppo_tboard_path(r->tb)) : NULL;
    char *metrics_digest = r->metrics != NULL ? ppo_csvlog_digest(r->metrics) : NULL;
    char *episodes_digest = r->episodes != NULL ? ppo_csvlog_digest(r->episodes) : NULL;
    char *tboard_digest = r->tb != NULL ? ppo_tboard_digest(r->tb) : NULL;
    ppo_ckpt_files_t files = {
        .metrics_offset = r->metrics != NULL ? ppo_csvlog_offset(r->metrics) : 0,
        .episodes_offset = r->episodes != NULL ? ppo_csvlog_offset(r->episodes) : 0,
        .tboard_offset = r->tb != NULL ? ppo_tboard_offset(r->tb) : 0,
        .tboard_name = tb_name,
        .run_id = r->rd != NULL ? r->rd->run_id : NULL,
        .metrics_rows = r->metrics != NULL ? ppo_csvlog_rows(r->metrics) : 0,
        .metrics_digest = metrics_digest,
        .episodes_rows = r->episodes != NULL ? ppo_csvlog_rows(r->episodes) : 0,
        .episodes_digest = episodes_digest,
        .tboard_digest = tboard_digest,
    };
    char *path = g_build_filename(r->dir, "checkpoints", name, NULL);
    /* rank 0 writes into the directory it holds; the other ranks only contribute */
    bool ok = ppo_checkpoint_write_at(r->tr, &files, r->rd != NULL ? r->rd->ckpt_fd : AT_FDCWD,
                                      path, error);
    g_free(path);
    g_free(tboard_digest);
    g_free(episodes_digest);
    g_free(metrics_digest);
    g_free(tb_name);
    return ok;
}

static bool periodic_checkpoint(run_t *r, GError **error)
{
    ppo_trainer_t *tr = r->tr;
    char name[64];
    g_snprintf(name, sizeof(name), "ckpt-%012" G_GUINT64_FORMAT ".ckpt", tr->global_step);
    if (!write_checkpoint(r, name, error) ||
        (r->rd != NULL && !ppo_rundir_prune(r->rd, tr->pl->checkpoint.keep, error)))
        return false;
    tr->last_ckpt_step = tr->global_step;
    r->last_ckpt_time = g_get_monotonic_time();
    r->have_ckpt = true;
    return true;
}

static bool checkpoint_due(const run_t *r, bool last)
{
    const ppo_pipeline_t *pl = r->tr->pl;
    if (last || ppo_stop_signal() != 0)
        return true;
    if (pl->checkpoint.every_steps > 0 &&
        r->tr->global_step - r->tr->last_ckpt_step >= pl->checkpoint.every_steps)
        return true;
    return !isnan(pl->checkpoint.every_seconds) &&
           (double)(g_get_monotonic_time() - r->last_ckpt_time) / 1e6 >=
               pl->checkpoint.every_seconds;
}

/* eval.record: a recorder into RUN/videos/ (none, after a warning, when the env cannot draw or
 * the directory cannot be made or is not the run's own: training goes on without recordings). */
static void open_recorder(run_t *r)
{
    const ppo_trainer_t *tr = r->tr;
    if (!tr->pl->eval.record || tr->rank != 0)
        return;
    if (tr->eval == NULL) {
        ppo_log(PPO_LOG_WARNING, "eval.record: nothing to record without periodic evaluation; "
                                 "set eval.every_steps");
        return;
    }
    GError *error = NULL;
    char *dir = ppo_rundir_videos(r->rd, &error);
    if (dir != NULL)
        r->recorder = ppo_recorder_new(tr->session->env, dir, PPO_RECORD_GIF,
                                       PPO_RECORD_DEFAULT_FPS, &error);
    if (r->recorder == NULL) {
        ppo_log(PPO_LOG_WARNING, "eval.record: %s; training goes on without recordings",
                error->message);
        g_error_free(error);
    }
    g_free(dir);
}

/* After an evaluation with a recorder: the last frame into TensorBoard, and a recording failure
 * reported once (training goes on). */
static bool after_recording(run_t *r, GError **error)
{
    const GError *failed = ppo_recorder_error(r->recorder);
    if (failed != NULL && !r->record_reported) {
        ppo_log(PPO_LOG_WARNING,
                "eval.record: %s; no more evaluations are recorded, training goes on",
                failed->message);
        r->record_reported = true;
    }
    uint32_t w, h;
    const uint8_t *frame = ppo_recorder_last_frame(r->recorder, &w, &h);
    if (frame == NULL || r->tb == NULL)
        return true;
    size_t len = 0;
    uint8_t *png = ppo_png_encode(frame, w, h, &len, error);
    const bool ok =
        png != NULL && ppo_tboard_add_image(r->tb, (int64_t)r->tr->global_step, wall_clock(),
                                            "eval/frame", w, h, png, len, error);
    g_free(png);
    return ok;
}

/* Periodic evaluation: fills row->eval_return_mean; *improved when it beat the best so far. */
static bool maybe_evaluate(run_t *r, ppo_metrics_row_t *row, bool last, bool *improved,
                           GError **error)
{
    ppo_trainer_t *tr = r->tr;
    const ppo_pipeline_t *pl = tr->pl;
    *improved = false;
    if (tr->eval == NULL ||
        (tr->global_step - tr->last_eval_step < pl->eval.every_steps && !last))
        return true;
    double *returns = g_new0(double, pl->eval.episodes);
    if (r->recorder != NULL) {
        char prefix[48];
        g_snprintf(prefix, sizeof(prefix), PPO_RUN_VIDEO_PREFIX "%012" G_GUINT64_FORMAT "-",
                   tr->global_step);
        ppo_recorder_start(r->recorder, prefix);
        ppo_evaluator_set_recorder(tr->eval, r->recorder);
    }
    bool ok = ppo_evaluator_run(tr->eval, pl->eval.episodes, pl->eval.deterministic,
                                pl->normalize.obs ? ppo_trainer_obs_stats(tr) : NULL,
                                pl->normalize.epsilon, pl->normalize.clip_obs, returns, NULL, NULL,
                                error);
    if (ok) {
        double sum = 0.0;
        for (uint32_t k = 0; k < pl->eval.episodes; k++)
            sum += returns[k];
        row->eval_return_mean = sum / pl->eval.episodes;
        tr->last_eval_step = tr->global_step;
        if (row->eval_return_mean > tr->best_eval) {
            tr->best_eval = row->eval_return_mean;
            *improved = true;
        }
    }
    if (ok && r->recorder != NULL)
        ok = after_recording(r, error);
    g_free(returns);
    return ok;
}

/* The trainer's episode sink: one row of episodes.csv. */
static bool log_episode(void *ctx, const ppo_episode_t *episode, GError **error)
{
    return ppo_episodes_write(ctx, episode, error);
}

/* Resolve --resume: the checkpoint file to load (NULL: --resume names a run directory, whose
 * newest checkpoint is to be found), the run directory, and whether the checkpoint lies in that
 * run directory's checkpoints/. */
static bool resolve_resume(const ppo_run_options_t *opt, char **ckpt_out, char **dir_out,
                           bool *in_dir, GError **error)
{
    *ckpt_out = NULL;
    *dir_out = NULL;
    *in_dir = false;
    if (*opt->resume == '\0' || (opt->run_dir != NULL && *opt->run_dir == '\0')) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                    "an empty %s name; give a run directory or a .ckpt file",
                    *opt->resume == '\0' ? "--resume" : "--run-dir");
        return false;
    }
    if (g_file_test(opt->resume, G_FILE_TEST_IS_DIR)) {
        /* the newest checkpoint is looked for once the directory is locked */
        *dir_out = g_strdup(opt->run_dir != NULL ? opt->run_dir : opt->resume);
        *in_dir = opt->run_dir == NULL || ppo_file_same(opt->run_dir, opt->resume);
        return true;
    }
    if (!g_file_test(opt->resume, G_FILE_TEST_EXISTS)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: no such run directory or checkpoint; --resume takes a run directory or "
                    "a .ckpt file",
                    opt->resume);
        return false;
    }
    *ckpt_out = g_strdup(opt->resume);
    /* RUN_DIR/checkpoints/FILE.ckpt */
    char *ckdir = g_path_get_dirname(opt->resume);
    char *own = g_path_get_dirname(ckdir);
    *dir_out = g_strdup(opt->run_dir != NULL ? opt->run_dir : own);
    char *base = g_path_get_basename(ckdir);
    *in_dir = strcmp(base, "checkpoints") == 0 && ppo_file_same(own, *dir_out);
    g_free(base);
    g_free(own);
    g_free(ckdir);
    return true;
}

/* Decisions every rank must take together (rank 0 decides the schedule, any rank may have been
 * signalled): returns them in flags[0..2] = {write best.ckpt, write a checkpoint, stop}. */
static void agree(const run_t *r, bool improved, bool ckpt_due, double flags[3])
{
    const ppo_trainer_t *tr = r->tr;
    flags[0] = tr->rank == 0 && improved ? 1.0 : 0.0;
    flags[1] = tr->rank == 0 && ckpt_due ? 1.0 : 0.0;
    flags[2] = ppo_stop_signal() != 0 ? (double)ppo_stop_signal() : 0.0;
    if (tr->world > 1) {
        double stop = flags[2];
        ppo_comm_allreduce_f64(tr->comm, flags, 3);
        /* the signal every rank reports: keep this rank's own, or SIGTERM if only others got one */
        if (flags[2] > 0.0 && stop == 0.0)
            flags[2] = SIGTERM;
        else
            flags[2] = stop;
    }
}

static bool run_loop(run_t *r, GError **error)
{
    ppo_trainer_t *tr = r->tr;
    const ppo_pipeline_t *pl = tr->pl;
    const bool rank0 = tr->rank == 0;
    const bool tty = isatty(STDERR_FILENO);
    r->last_ckpt_time = g_get_monotonic_time();
    while (!ppo_trainer_done(tr)) {
        if (r->opt->max_iterations > 0 && tr->iteration >= r->opt->max_iterations)
            break;
        ppo_metrics_row_t row;
        if (!ppo_trainer_iterate(tr, &row, error))
            return false;
        const bool last = ppo_trainer_done(tr) ||
                          (r->opt->max_iterations > 0 && tr->iteration >= r->opt->max_iterations);
        /* evaluation, files and progress are rank 0's */
        bool improved = false;
        if (rank0 && !maybe_evaluate(r, &row, last, &improved, error))
            return false;
        if (rank0 &&
            (row.iteration % pl->log.every_iterations == 0 || last || !isnan(row.eval_return_mean))) {
            if (!ppo_metrics_write(r->metrics, &row, error) ||
                !ppo_metrics_flush(r->metrics, error) || !ppo_csvlog_flush(r->episodes, error))
                return file_failed(r, error);
            if (r->tb != NULL && (!ppo_metrics_tboard(r->tb, &row, wall_clock(), error) ||
                                  !ppo_tboard_flush(r->tb, error)))
                return file_failed(r, error);
            if (!r->quiet) {
                char line[512];
                if (tty && !isnan(row.ep_return_mean)) {
                    /* the live sparkline of the return: a window of the latest values */
                    if (r->n_spark == PPO_SPARK_MAX)
                        memmove(r->spark, r->spark + 1, sizeof(double) * (PPO_SPARK_MAX - 1));
                    else
                        r->n_spark++;
                    r->spark[r->n_spark - 1] = row.ep_return_mean;
                }
                if (tty)
                    ppo_metrics_progress_spark(line, sizeof(line), pl->name, &row,
                                               pl->ppo.total_steps, 0, r->spark, r->n_spark);
                else
                    ppo_metrics_progress(line, sizeof(line), pl->name, &row, pl->ppo.total_steps);
                /* a reader that went away (EPIPE) ends the printing, not the training */
                if (fprintf(stderr, "%s%s", line, !tty ? "\n" : last ? "\x1b[K\n" : "\x1b[K\r") <
                    0)
                    r->quiet = true;
            }
        }
        if (rank0 && row.skipped_updates > 0)
            ppo_log(PPO_LOG_WARNING,
                    "iteration %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " update(s) skipped "
                    "for a NaN or infinite loss or gradient (on_nan: skip_update); %" G_GUINT64_FORMAT
                    " skipped so far",
                    row.iteration, row.skipped_updates, row.skipped_total);
        double flags[3];
        agree(r, improved, rank0 && checkpoint_due(r, last), flags);
        /* stopping: the safe point is reached, the watchdog lets the checkpoint finish */
        if (flags[2] > 0.0)
            ppo_stop_checkpointing();
        if (flags[0] > 0.0 && !write_checkpoint(r, "best.ckpt", error))
            return false;
        if ((flags[1] > 0.0 || flags[2] > 0.0 || last) && !periodic_checkpoint(r, error))
            return false;
        const int sig = (int)flags[2];
        if (sig != 0) {
            if (rank0 && tty && !r->quiet)
                fputc('\n', stderr);
            ppo_error_set_interrupt_signal(sig);
            g_set_error(error, PPO_ERROR, PPO_ERROR_INTERRUPTED,
                        "interrupted by %s at step %" G_GUINT64_FORMAT "; a checkpoint is in "
                        "%s/checkpoints — continue with: ppofw run --resume %s",
                        sig == SIGTERM ? "SIGTERM" : "SIGINT", tr->global_step, r->dir, r->dir);
            return false;
        }
    }
    return true;
}

/* Claim the run directory and open its files (rank 0), reading and restoring the checkpoint to
 * resume from (every rank). */
static bool start(run_t *r, ppo_session_t *session, ppo_ckpt_t **ckpt, GError **error)
{
    const ppo_run_options_t *opt = r->opt;
    const ppo_pipeline_t *pl = session->pipeline;
    const bool rank0 = r->tr->rank == 0;
    char *ckpt_path = NULL;
    bool in_dir = false, ok = false;
    if (opt->resume == NULL) {
        if (rank0) {
            r->rd = ppo_rundir_open(opt->run_dir, pl->name,
                                    opt->overwrite ? PPO_RUNDIR_OVERWRITE : PPO_RUNDIR_CREATE,
                                    error);
            if (r->rd == NULL)
                return false;
            r->dir = g_strdup(r->rd->path);
        } else {
            /* other ranks write nothing; the name only appears in messages */
            r->dir = g_strdup(opt->run_dir != NULL ? opt->run_dir : "(rank 0's run directory)");
        }
        return !rank0 ||
               (write_pipeline(session, r->rd, opt->command_line, error) &&
                ppo_rundir_create_files(r->rd, pl->log.tensorboard, wall_clock(), &r->metrics,
                                        &r->episodes, &r->tb, error));
    }
    if (!resolve_resume(opt, &ckpt_path, &r->dir, &in_dir, error))
        return false;
    /* one writer: rank 0 holds the run directory before it looks at anything in it */
    if (rank0 && (r->rd = ppo_rundir_open(r->dir, NULL, PPO_RUNDIR_RESUME, error)) == NULL)
        goto out;
    if (ckpt_path == NULL) {
        GError *local = NULL;
        ckpt_path = ppo_rundir_latest_checkpoint(r->dir, &local);
        if (local != NULL) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                        "cannot look for checkpoints to resume from: %s", local->message);
            g_error_free(local);
            goto out;
        }
        in_dir = true;
    }
    if (ckpt_path == NULL) {
        /* no checkpoint yet: start again in place, unless that would discard rows */
        ok = !rank0 || (ppo_rundir_restart(r->rd, error) &&
                        write_pipeline(session, r->rd, opt->command_line, error) &&
                        ppo_rundir_create_files(r->rd, pl->log.tensorboard, wall_clock(),
                                                &r->metrics, &r->episodes, &r->tb, error));
        goto out;
    }
    /* every rank reads the checkpoint (from a shared filesystem) and takes its own envs */
    ppo_ckpt_files_t files;
    *ckpt = ppo_checkpoint_read(ckpt_path, error);
    if (*ckpt == NULL || !ppo_checkpoint_restore(r->tr, *ckpt, &files, error))
        goto out;
    /* rank 0 proves the run's files are the ones the checkpoint describes, then cuts them */
    if (rank0 && !ppo_rundir_resume_files(r->rd, &files, ckpt_path, in_dir, r->tr->global_step,
                                          pl->log.tensorboard, wall_clock(), &r->metrics,
                                          &r->episodes, &r->tb, error))
        goto out;
    if (rank0)
        ppo_log(PPO_LOG_INFO, "resuming %s from %s at step %" G_GUINT64_FORMAT, r->dir,
                ckpt_path, r->tr->global_step);
    r->have_ckpt = true;
    ok = true;
out:
    g_free(ckpt_path);
    return ok;
}

bool ppo_run(ppo_session_t *session, const ppo_run_options_t *opt, char **run_dir_out,
             GError **error)
{
    bool ok = false;
    run_t r = {.opt = opt, .quiet = opt->quiet};
    ppo_ckpt_t *ckpt = NULL;
    if (run_dir_out != NULL)
        *run_dir_out = NULL;

    /* make every instance before touching the disk: a bad plugin leaves no run directory */
    r.tr = ppo_trainer_new(session, error);
    if (r.tr == NULL)
        return false;
    const bool started = start(&r, session, &ckpt, error);
    if (run_dir_out != NULL && r.dir != NULL)
        *run_dir_out = g_strdup(r.dir);
    if (started && r.episodes != NULL) {
        r.tr->on_episode = log_episode;
        r.tr->on_episode_ctx = r.episodes;
    }
    if (started)
        open_recorder(&r);
    ok = started && run_loop(&r, error);
    if (!ppo_metrics_close(r.metrics, ok ? error : NULL))
        ok = false;
    if (!ppo_csvlog_close(r.episodes, ok ? error : NULL))
        ok = false;
    if (!ppo_tboard_close(r.tb, ok ? error : NULL))
        ok = false;
    ppo_recorder_free(r.recorder);
    ppo_checkpoint_free(ckpt);
    g_free(r.dir);
    ppo_trainer_free(r.tr);
    /* the lock goes last: the files are closed */
    ppo_rundir_close(r.rd);
    return ok;
}
