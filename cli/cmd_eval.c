/* ppofw CLI — `ppofw eval`: run a checkpoint's policy for N episodes and report returns, and
 * with --record draw each episode into an animated GIF (or a directory of PNG frames). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli_private.h"
#include "ppo_checkpoint_private.h"
#include "ppo_eval_private.h"
#include "ppo_record_private.h"
#include "ppo_signal_private.h"

static char *checkpoint;
static int episodes = 10;
static gboolean deterministic;
static gint64 seed = 0;
static char *render;
static char **plugin_path;
static char **sets;
static gboolean json;
static char *record;
static gboolean frames;
static double fps = PPO_RECORD_DEFAULT_FPS;

static GOptionEntry eval_entries[] = {
    {"checkpoint", 'c', 0, G_OPTION_ARG_FILENAME, &checkpoint, "the checkpoint to evaluate",
     "FILE"},
    {"episodes", 'n', 0, G_OPTION_ARG_INT, &episodes, "episodes to run (default 10)", "N"},
    {"deterministic", 'd', 0, G_OPTION_ARG_NONE, &deterministic,
     "take the distribution's mode instead of sampling", NULL},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "seed of the evaluation streams (default 0)", "S"},
    {"render", 0, 0, G_OPTION_ARG_STRING, &render, "draw the first env's episodes: text", "text"},
    {"set", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &sets, "override a key of the pipeline",
     "KEY=VALUE"},
    {"plugin-path", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_path,
     "look for plugins in DIR first (repeatable)", "DIR"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print the result as one JSON object", NULL},
    {"record", 0, 0, G_OPTION_ARG_FILENAME, &record,
     "draw each episode into an animated GIF named after OUT.gif, the episode and its return "
     "(OUT-ep000-return500.00.gif); with --frames, OUT is a directory of episode directories",
     "OUT.gif"},
    {"frames", 0, 0, G_OPTION_ARG_NONE, &frames, "with --record: write PNG frames instead of a GIF",
     NULL},
    {"fps", 0, 0, G_OPTION_ARG_DOUBLE, &fps,
     "with --record: frames per second of a GIF (default 30)", "N"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *eval_context(void)
{
    GOptionContext *ctx = g_option_context_new("[PIPELINE] --checkpoint FILE - evaluate a policy");
    g_option_context_set_summary(ctx,
                                 "Runs the checkpoint's policy on fresh env instances with the\n"
                                 "observation statistics it was trained with (frozen) and prints\n"
                                 "the mean and standard deviation of the episode returns and\n"
                                 "lengths. Without PIPELINE, the pipeline stored in the\n"
                                 "checkpoint is used.");
    g_option_context_add_main_entries(ctx, eval_entries, NULL);
    g_option_context_add_main_entries(ctx, ppo_cli_plugin_entries, NULL);
    return ctx;
}

/* The recorder --record asks for, or NULL after printing why there is none (*code: its exit code).
 * The evaluation runs either way. */
static ppo_recorder_t *open_recorder(const ppo_plugin_t *env, int *code)
{
    char *dir, *prefix;
    if (frames) {
        dir = g_strdup(record);
        prefix = g_strdup("");
    } else {
        dir = g_path_get_dirname(record);
        char *base = g_path_get_basename(record);
        base[strlen(base) - strlen(".gif")] = '\0';
        prefix = g_strdup_printf("%s-", base);
        g_free(base);
    }
    GError *error = NULL;
    ppo_recorder_t *rec =
        ppo_recorder_new(env, dir, frames ? PPO_RECORD_PNG_FRAMES : PPO_RECORD_GIF, fps, &error);
    if (rec == NULL) {
        fprintf(stderr, "ppofw: --record %s: %s%s; evaluating without recording\n", record,
                error->message,
                error->code == PPO_ERROR_IO
                    ? " (choose a place you can write; missing directories are made)"
                    : "");
        *code = ppo_error_exit_code(error);
        g_error_free(error);
    } else {
        ppo_recorder_start(rec, prefix);
    }
    g_free(dir);
    g_free(prefix);
    return rec;
}

/* Name what was recorded; a failure is printed with its exit code in *code. */
static void report_recordings(const ppo_recorder_t *rec, const uint32_t *lengths, int *code)
{
    const guint n = ppo_recorder_n_recordings(rec);
    for (guint i = 0; i < n; i++)
        fprintf(stderr, "ppofw: recorded episode %u (%u steps, %u frames): %s\n", i, lengths[i],
                lengths[i] + 1, ppo_recorder_recording(rec, i));
    const GError *e = ppo_recorder_error(rec);
    if (e != NULL) {
        fprintf(stderr, "ppofw: --record %s: %s (%u of %d episodes recorded)\n", record, e->message,
                n, episodes);
        *code = ppo_error_exit_code(e);
    }
}

static void mean_std(const double *x, uint32_t n, double *mean, double *std)
{
    double s = 0.0, v = 0.0;
    for (uint32_t i = 0; i < n; i++)
        s += x[i];
    *mean = s / n;
    for (uint32_t i = 0; i < n; i++)
        v += (x[i] - *mean) * (x[i] - *mean);
    *std = n > 1 ? sqrt(v / n) : 0.0;
}

static int eval_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    GOptionContext *ctx = eval_context();
    if (!ppo_cli_parse(ctx, &argc, &argv, &code) ||
        !ppo_cli_check_utf8("--set", sets, &code))
        goto out;
    if (checkpoint == NULL || argc > 2) {
        fprintf(stderr, "ppofw: eval needs --checkpoint FILE and at most one PIPELINE; see "
                        "ppofw eval --help\n");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    const bool bad_record =
        record != NULL && !frames && (!g_str_has_suffix(record, ".gif") || strlen(record) < 5);
    if (episodes < 1 || seed < 0 || (render != NULL && strcmp(render, "text") != 0) || bad_record ||
        (record == NULL && frames) || !(fps > 0 && fps <= 100)) {
        fprintf(stderr, "ppofw: eval: %s; see ppofw eval --help\n",
                episodes < 1               ? "--episodes must be at least 1"
                : seed < 0                 ? "--seed must be >= 0"
                : bad_record               ? "--record takes a file name ending in .gif (or a "
                                             "directory with --frames)"
                : record == NULL && frames ? "--frames goes with --record DIR"
                : !(fps > 0 && fps <= 100) ? "--fps must be in (0, 100]"
                                           : "--render takes \"text\"");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    GError *error = NULL;
    /* a plugin that crashes is named, as in training */
    ppo_signals_install_crash();
    ppo_search_t *search = ppo_search_new((const char *const *)plugin_path);
    ppo_loaded_policy_t *lp = ppo_loaded_policy_open(checkpoint, argc == 2 ? argv[1] : NULL,
                                                     (const char *const *)sets, search, &error);
    if (lp == NULL) {
        code = ppo_cli_fail(error);
        ppo_search_free(search);
        goto out;
    }
    ppo_cli_print_notes(lp->pipeline);
    /* drawing and recording watch one env, which then runs every episode */
    const uint32_t n_envs = render != NULL || record != NULL ? 1 : (uint32_t)MIN(episodes, 16);
    ppo_evaluator_t *ev = ppo_evaluator_new(lp->session, lp->model, n_envs, (uint64_t)seed, &error);
    int record_code = PPO_EXIT_OK;
    ppo_recorder_t *rec =
        ev != NULL && record != NULL ? open_recorder(lp->session->env, &record_code) : NULL;
    if (rec != NULL)
        ppo_evaluator_set_recorder(ev, rec);
    double *returns = g_new0(double, episodes);
    uint32_t *lengths = g_new0(uint32_t, episodes);
    if (ev == NULL ||
        !ppo_evaluator_run(ev, (uint32_t)episodes, deterministic, lp->obs_norm ? &lp->obs_rms : NULL,
                           lp->obs_eps, lp->obs_clip, returns, lengths,
                           render != NULL ? stdout : NULL, &error)) {
        code = ppo_cli_fail(error);
    } else {
        double rm, rs, lm, ls;
        double *len_d = g_new(double, episodes);
        for (int i = 0; i < episodes; i++)
            len_d[i] = lengths[i];
        mean_std(returns, (uint32_t)episodes, &rm, &rs);
        mean_std(len_d, (uint32_t)episodes, &lm, &ls);
        g_free(len_d);
        if (json)
            printf("{\"episodes\": %d, \"return_mean\": %.10g, \"return_std\": %.10g, "
                   "\"length_mean\": %.10g, \"length_std\": %.10g, \"deterministic\": %s}\n",
                   episodes, rm, rs, lm, ls, deterministic ? "true" : "false");
        else
            printf("%s: %d episodes (%s): return %.2f ± %.2f, length %.1f ± %.1f\n", checkpoint,
                   episodes, deterministic ? "deterministic" : "stochastic", rm, rs, lm, ls);
        /* the evaluation stands; a recording that failed still fails the command */
        if (rec != NULL)
            report_recordings(rec, lengths, &record_code);
        code = record_code;
    }
    ppo_recorder_free(rec);
    g_free(returns);
    g_free(lengths);
    ppo_evaluator_free(ev);
    ppo_loaded_policy_free(lp);
    ppo_search_free(search);
out:
    g_option_context_free(ctx);
    g_free(checkpoint);
    g_free(render);
    g_free(record);
    record = NULL;
    frames = FALSE;
    fps = PPO_RECORD_DEFAULT_FPS;
    g_strfreev(plugin_path);
    g_strfreev(sets);
    return code;
}

const ppo_cli_command_t ppo_cli_eval_command = {
    "eval",
    "[PIPELINE] --checkpoint FILE",
    "evaluate a checkpoint's policy over N episodes",
    eval_main,
    eval_context,
    eval_entries,
};
