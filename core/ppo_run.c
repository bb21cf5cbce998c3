/* ppofw core — run directories and the reporting loop around the trainer.
 * Leaves out the training itself (ppo_trainer.c) and the file formats (ppo_metrics.c,
 * ppo_tboard.c). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ppo_checkpoint_private.h"
#include "ppo_image_private.h"
#include "ppo_metrics_private.h"
#include "ppo_record_private.h"
#include "ppo_run_private.h"
#include "ppo_signal_private.h"

static bool io_fail(GError **error, const char *path, const char *what, int err)
{
    g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot %s: %s", path, what, g_strerror(err));
    return false;
}

/* Remove what a run writes (and nothing else) from an existing run directory. */
static bool clear_run_files(const char *dir, GError **error)
{
    static const char *const files[] = {"pipeline.yaml", "metrics.csv", "episodes.csv", NULL};
    static const char *const subdirs[] = {"tb", "checkpoints", "videos", NULL};
    for (const char *const *f = files; *f != NULL; f++) {
        char *path = g_build_filename(dir, *f, NULL);
        if (unlink(path) != 0 && errno != ENOENT) {
            io_fail(error, path, "remove", errno);
            g_free(path);
            return false;
        }
        g_free(path);
    }
    for (const char *const *s = subdirs; *s != NULL; s++) {
        char *sub = g_build_filename(dir, *s, NULL);
        GDir *d = g_dir_open(sub, 0, NULL);
        if (d != NULL) {
            const char *name;
            while ((name = g_dir_read_name(d)) != NULL) {
                if (!g_str_has_prefix(name, "events.out.tfevents.") &&
                    !g_str_has_suffix(name, ".ckpt") && !g_str_has_suffix(name, ".tmp") &&
                    !g_str_has_suffix(name, ".gif") && !g_str_has_suffix(name, ".gif.part"))
                    continue;
                char *path = g_build_filename(sub, name, NULL);
                if (unlink(path) != 0) {
                    io_fail(error, path, "remove", errno);
                    g_free(path);
                    g_dir_close(d);
                    g_free(sub);
                    return false;
                }
                g_free(path);
            }
            g_dir_close(d);
        }
        g_free(sub);
    }
    return true;
}

char *ppo_run_dir_make(const ppo_pipeline_t *pl, const char *requested, bool overwrite,
                       GError **error)
{
    char *dir = NULL;
    if (requested != NULL) {
        dir = g_strdup(requested);
        if (g_file_test(dir, G_FILE_TEST_EXISTS)) {
            if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
                g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                            "%s: exists and is not a directory; choose another --run-dir", dir);
                g_free(dir);
                return NULL;
            }
            if (!overwrite) {
                g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                            "%s: the run directory exists; pass --overwrite to replace its run, "
                            "--resume %s to continue it, or choose another --run-dir",
                            dir, dir);
                g_free(dir);
                return NULL;
            }
            if (!clear_run_files(dir, error)) {
                g_free(dir);
                return NULL;
            }
        }
    } else {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        dir = g_strdup_printf("runs/%s-%s", pl->name, stamp);
        /* two runs started in the same second get -2, -3, ... */
        for (int k = 2; g_file_test(dir, G_FILE_TEST_EXISTS); k++) {
            g_free(dir);
            dir = g_strdup_printf("runs/%s-%s-%d", pl->name, stamp, k);
        }
    }
    char *ckpt = g_build_filename(dir, "checkpoints", NULL);
    if (g_mkdir_with_parents(ckpt, 0755) != 0) {
        const int err = errno;
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: cannot create the run directory: %s; choose a writable --run-dir", ckpt,
                    g_strerror(err));
        g_free(ckpt);
        g_free(dir);
        return NULL;
    }
    g_free(ckpt);
    return dir;
}

/* pipeline.yaml: the resolved pipeline under a header saying how it was made. */
static bool write_pipeline(const ppo_session_t *s, const char *dir, const char *command_line,
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
    char *path = g_build_filename(dir, "pipeline.yaml", NULL);
    GError *local = NULL;
    bool ok = g_file_set_contents(path, text->str, (gssize)text->len, &local);
    if (!ok) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot write: %s", path, local->message);
        g_error_free(local);
    }
    g_free(path);
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
    ppo_metrics_t *metrics;
    ppo_csvlog_t *episodes;
    ppo_tboard_t *tb;
    gint64 last_ckpt_time;
    ppo_recorder_t *recorder;    /* eval.record: draws the evaluations into RUN/videos/, or NULL */
    bool record_reported;        /* the recorder's failure has been reported */
    double spark[PPO_SPARK_MAX]; /* the last logged ep_return_mean values, oldest first (tty) */
    size_t n_spark;              /* values in spark */
} run_t;

static bool write_checkpoint(run_t *r, const char *name, GError **error)
{
    /* the episodes the checkpoint counts are on disk before it names their size */
    if (r->episodes != NULL && !ppo_csvlog_flush(r->episodes, error))
        return false;
    char *tb_name = r->tb != NULL ? g_path_get_basename(ppo_tboard_path(r->tb)) : NULL;
    ppo_ckpt_files_t files = {
        .metrics_offset = r->metrics != NULL ? ppo_metrics_offset(r->metrics) : 0,
        .episodes_offset = r->episodes != NULL ? ppo_csvlog_offset(r->episodes) : 0,
        .tboard_offset = r->tb != NULL ? ppo_tboard_offset(r->tb) : 0,
        .tboard_name = tb_name,
    };
    char *path = g_build_filename(r->dir, "checkpoints", name, NULL);
    bool ok = ppo_checkpoint_write(r->tr, &files, path, error);
    g_free(path);
    g_free(tb_name);
    return ok;
}

static bool periodic_checkpoint(run_t *r, GError **error)
{
    ppo_trainer_t *tr = r->tr;
    char name[64];
    g_snprintf(name, sizeof(name), "ckpt-%012" G_GUINT64_FORMAT ".ckpt", tr->global_step);
    if (!write_checkpoint(r, name, error) ||
        (tr->rank == 0 && !ppo_checkpoint_prune(r->dir, tr->pl->checkpoint.keep, error)))
        return false;
    tr->last_ckpt_step = tr->global_step;
    r->last_ckpt_time = g_get_monotonic_time();
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
 * the directory cannot be made: training goes on without recordings). */
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
    char *dir = g_build_filename(r->dir, "videos", NULL);
    GError *error = NULL;
    r->recorder =
        ppo_recorder_new(tr->session->env, dir, PPO_RECORD_GIF, PPO_RECORD_DEFAULT_FPS, &error);
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
        g_snprintf(prefix, sizeof(prefix), "step%012" G_GUINT64_FORMAT "-", tr->global_step);
        ppo_recorder_start(r->recorder, prefix);
        ppo_evaluator_set_recorder(tr->eval, r->recorder);
    }
    bool ok = ppo_evaluator_run(tr->eval, pl->eval.episodes, pl->eval.deterministic,
                                      pl->normalize.obs ? ppo_trainer_obs_stats(tr) : NULL,
                                      pl->normalize.epsilon, pl->normalize.clip_obs, returns, NULL,
                                      NULL, error);
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

/* Open the run's files: fresh, or cut back to a checkpoint's offsets. */
static bool open_files(run_t *r, const ppo_ckpt_files_t *resume, GError **error)
{
    const ppo_pipeline_t *pl = r->tr->pl;
    r->episodes = resume != NULL && resume->has_episodes
                      ? ppo_csvlog_reopen(r->dir, "episodes.csv", resume->episodes_offset, error)
                      : ppo_csvlog_create(r->dir, "episodes.csv", PPO_EPISODES_HEADER, error);
    if (r->episodes == NULL)
        return false;
    r->tr->on_episode = log_episode;
    r->tr->on_episode_ctx = r->episodes;
    if (resume == NULL) {
        r->metrics = ppo_metrics_create(r->dir, error);
        if (r->metrics == NULL)
            return false;
        if (pl->log.tensorboard && (r->tb = ppo_tboard_create(r->dir, wall_clock(), error)) == NULL)
            return false;
        return true;
    }
    r->metrics = ppo_metrics_reopen(r->dir, resume->metrics_offset, error);
    if (r->metrics == NULL)
        return false;
    if (!pl->log.tensorboard)
        return true;
    if (resume->tboard_name != NULL && *resume->tboard_name != '\0') {
        char *path = g_build_filename(r->dir, "tb", resume->tboard_name, NULL);
        r->tb = ppo_tboard_reopen(path, resume->tboard_offset, error);
        g_free(path);
        return r->tb != NULL;
    }
    r->tb = ppo_tboard_create(r->dir, wall_clock(), error);
    return r->tb != NULL;
}

/* RUN_DIR/checkpoints is absent or a directory we can list: otherwise "no checkpoint" would
 * mean "cannot see them", and starting afresh would remove the run's files. */
static bool checkpoints_listable(const char *run_dir, GError **error)
{
    char *dir = g_build_filename(run_dir, "checkpoints", NULL);
    struct stat st;
    int err = 0;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            err = errno;
    } else if (!S_ISDIR(st.st_mode)) {
        err = ENOTDIR;
    } else {
        GDir *d = g_dir_open(dir, 0, NULL);
        if (d == NULL)
            err = errno != 0 ? errno : EACCES;
        else
            g_dir_close(d);
    }
    if (err != 0)
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: cannot look for checkpoints to resume from: %s; restore the run's "
                    "checkpoints directory, or resume from a .ckpt file",
                    dir, g_strerror(err));
    g_free(dir);
    return err == 0;
}

/* Resolve --resume: the checkpoint file to load (NULL: none yet) and the run directory. */
static bool resolve_resume(const ppo_run_options_t *opt, char **ckpt_out, char **dir_out,
                           GError **error)
{
    *ckpt_out = NULL;
    *dir_out = NULL;
    if (g_file_test(opt->resume, G_FILE_TEST_IS_DIR)) {
        if (!checkpoints_listable(opt->resume, error))
            return false;
        *dir_out = g_strdup(opt->run_dir != NULL ? opt->run_dir : opt->resume);
        *ckpt_out = ppo_checkpoint_latest(opt->resume);
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
    if (opt->run_dir != NULL) {
        *dir_out = g_strdup(opt->run_dir);
    } else {
        /* RUN_DIR/checkpoints/FILE.ckpt */
        char *ckdir = g_path_get_dirname(opt->resume);
        *dir_out = g_path_get_dirname(ckdir);
        g_free(ckdir);
    }
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
    bool wind_up = false; /* after_iteration asked for one more iteration, the last */
    while (!ppo_trainer_done(tr)) {
        if (r->opt->max_iterations > 0 && tr->iteration >= r->opt->max_iterations)
            break;
        ppo_metrics_row_t row;
        if (!ppo_trainer_iterate(tr, &row, error))
            return false;
        const bool last = ppo_trainer_done(tr) || wind_up ||
                          (r->opt->max_iterations > 0 && tr->iteration >= r->opt->max_iterations);
        /* evaluation, files and progress are rank 0's */
        bool improved = false;
        if (rank0 && !maybe_evaluate(r, &row, last, &improved, error))
            return false;
        if (rank0 &&
            (row.iteration % pl->log.every_iterations == 0 || last || !isnan(row.eval_return_mean))) {
            if (!ppo_metrics_write(r->metrics, &row, error) ||
                !ppo_metrics_flush(r->metrics, error) || !ppo_csvlog_flush(r->episodes, error))
                return false;
            if (r->tb != NULL && (!ppo_metrics_tboard(r->tb, &row, wall_clock(), error) ||
                                  !ppo_tboard_flush(r->tb, error)))
                return false;
            if (!r->opt->quiet) {
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
                fprintf(stderr, "%s%s", line, !tty ? "\n" : last ? "\x1b[K\n" : "\x1b[K\r");
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
        if (flags[0] > 0.0 && !write_checkpoint(r, "best.ckpt", error))
            return false;
        if ((flags[1] > 0.0 || flags[2] > 0.0 || last) && !periodic_checkpoint(r, error))
            return false;
        const int sig = (int)flags[2];
        if (sig != 0) {
            if (rank0 && tty && !r->opt->quiet)
                fputc('\n', stderr);
            ppo_error_set_interrupt_signal(sig);
            g_set_error(error, PPO_ERROR, PPO_ERROR_INTERRUPTED,
                        "interrupted by %s at step %" G_GUINT64_FORMAT "; a checkpoint is in "
                        "%s/checkpoints — continue with: ppofw run %s --resume %s",
                        sig == SIGTERM ? "SIGTERM" : "SIGINT", tr->global_step, r->dir,
                        pl->path, r->dir);
            return false;
        }
        if (last)
            break;
        /* one process only: another rank could not learn of the wind-up */
        if (tr->world == 1 && r->opt->after_iteration != NULL &&
            !r->opt->after_iteration(r->opt->after_iteration_ctx, tr))
            wind_up = true;
    }
    return true;
}

bool ppo_run(ppo_session_t *session, const ppo_run_options_t *opt, char **run_dir_out,
             GError **error)
{
    const ppo_pipeline_t *pl = session->pipeline;
    bool ok = false;
    run_t r = {.opt = opt};
    char *ckpt_path = NULL;
    ppo_ckpt_t *ckpt = NULL;
    ppo_ckpt_files_t resume_files;
    if (run_dir_out != NULL)
        *run_dir_out = NULL;

    /* make every instance before touching the disk: a bad plugin leaves no run directory */
    r.tr = ppo_trainer_new(session, error);
    if (r.tr == NULL)
        return false;
    const bool rank0 = r.tr->rank == 0;
    if (opt->resume != NULL) {
        /* every rank reads the checkpoint (from a shared filesystem) and takes its own envs */
        if (!resolve_resume(opt, &ckpt_path, &r.dir, error))
            goto out;
        if (ckpt_path != NULL) {
            ckpt = ppo_checkpoint_read(ckpt_path, error);
            if (ckpt == NULL || !ppo_checkpoint_restore(r.tr, ckpt, &resume_files, error))
                goto out;
            if (rank0)
                ppo_log(PPO_LOG_INFO, "resuming %s from %s at step %" G_GUINT64_FORMAT, r.dir,
                        ckpt_path, r.tr->global_step);
        } else if (rank0) {
            /* no checkpoint yet: start afresh in that directory */
            char *d = ppo_run_dir_make(pl, r.dir, true, error);
            if (d == NULL)
                goto out;
            g_free(d);
        }
    } else if (rank0) {
        r.dir = ppo_run_dir_make(pl, opt->run_dir, opt->overwrite, error);
        if (r.dir == NULL)
            goto out;
    } else {
        /* other ranks write nothing; the name only appears in messages */
        r.dir = g_strdup(opt->run_dir != NULL ? opt->run_dir : "(rank 0's run directory)");
    }
    if (run_dir_out != NULL)
        *run_dir_out = g_strdup(r.dir);
    if (rank0) {
        if (ckpt == NULL && !write_pipeline(session, r.dir, opt->command_line, error))
            goto out;
        if (!open_files(&r, ckpt != NULL ? &resume_files : NULL, error))
            goto out;
        open_recorder(&r);
    }
    ok = run_loop(&r, error);
out:
    if (!ppo_metrics_close(r.metrics, ok ? error : NULL))
        ok = false;
    if (!ppo_csvlog_close(r.episodes, ok ? error : NULL))
        ok = false;
    if (!ppo_tboard_close(r.tb, ok ? error : NULL))
        ok = false;
    ppo_recorder_free(r.recorder);
    ppo_checkpoint_free(ckpt);
    g_free(ckpt_path);
    g_free(r.dir);
    ppo_trainer_free(r.tr);
    return ok;
}
