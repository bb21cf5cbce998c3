/* ppofw core — run directories and the reporting loop around the trainer.
 * Leaves out the training itself (ppo_trainer.c) and the file formats (ppo_metrics.c,
 * ppo_tboard.c). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ppo_metrics_private.h"
#include "ppo_run_private.h"

static bool io_fail(GError **error, const char *path, const char *what, int err)
{
    g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot %s: %s", path, what, g_strerror(err));
    return false;
}

/* Remove what a run writes (and nothing else) from an existing run directory. */
static bool clear_run_files(const char *dir, GError **error)
{
    static const char *const files[] = {"pipeline.yaml", "metrics.csv", NULL};
    static const char *const subdirs[] = {"tb", "checkpoints", NULL};
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
                    !g_str_has_suffix(name, ".ckpt") && !g_str_has_suffix(name, ".tmp"))
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
        io_fail(error, ckpt, "create the run directory", errno);
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

bool ppo_run(ppo_session_t *session, const ppo_run_options_t *opt, char **run_dir_out,
             GError **error)
{
    const ppo_pipeline_t *pl = session->pipeline;
    bool ok = false;
    ppo_metrics_t *metrics = NULL;
    ppo_tboard_t *tb = NULL;
    if (run_dir_out != NULL)
        *run_dir_out = NULL;

    /* make every instance before touching the disk: a bad plugin leaves no run directory */
    ppo_trainer_t *tr = ppo_trainer_new(session, error);
    if (tr == NULL)
        return false;
    char *dir = ppo_run_dir_make(pl, opt->run_dir, opt->overwrite, error);
    if (dir == NULL)
        goto out_trainer;
    if (run_dir_out != NULL)
        *run_dir_out = g_strdup(dir);
    if (!write_pipeline(session, dir, opt->command_line, error))
        goto out_dir;
    metrics = ppo_metrics_create(dir, error);
    if (metrics == NULL)
        goto out_dir;
    if (pl->log.tensorboard) {
        tb = ppo_tboard_create(dir, wall_clock(), error);
        if (tb == NULL)
            goto out_files;
    }

    const bool tty = isatty(STDERR_FILENO);
    while (!ppo_trainer_done(tr)) {
        if (opt->max_iterations > 0 && tr->iteration >= opt->max_iterations)
            break;
        ppo_metrics_row_t row;
        if (!ppo_trainer_iterate(tr, &row, error))
            goto out_files;
        const bool last = ppo_trainer_done(tr) ||
                          (opt->max_iterations > 0 && tr->iteration >= opt->max_iterations);
        if (row.iteration % pl->log.every_iterations != 0 && !last)
            continue;
        if (!ppo_metrics_write(metrics, &row, error) || !ppo_metrics_flush(metrics, error))
            goto out_files;
        if (tb != NULL && (!ppo_metrics_tboard(tb, &row, wall_clock(), error) ||
                           !ppo_tboard_flush(tb, error)))
            goto out_files;
        if (!opt->quiet) {
            char line[512];
            ppo_metrics_progress(line, sizeof(line), pl->name, &row, pl->ppo.total_steps);
            fprintf(stderr, "%s%s", line, tty && !last ? "\x1b[K\r" : "\n");
        }
    }
    ok = true;
out_files:
    if (!ppo_metrics_close(metrics, ok ? error : NULL))
        ok = false;
    if (!ppo_tboard_close(tb, ok ? error : NULL))
        ok = false;
out_dir:
    g_free(dir);
out_trainer:
    ppo_trainer_free(tr);
    return ok;
}
