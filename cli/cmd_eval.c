/* ppofw CLI — `ppofw eval`: run a checkpoint's policy for N episodes and report returns. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli_private.h"
#include "ppo_checkpoint_private.h"
#include "ppo_eval_private.h"
#include "ppo_signal_private.h"

static char *checkpoint;
static int episodes = 10;
static gboolean deterministic;
static gint64 seed = 0;
static char *render;
static char **plugin_path;
static char **sets;
static gboolean json;

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
    if (episodes < 1 || seed < 0 || (render != NULL && strcmp(render, "text") != 0)) {
        fprintf(stderr, "ppofw: eval: %s; see ppofw eval --help\n",
                episodes < 1 ? "--episodes must be at least 1"
                : seed < 0   ? "--seed must be >= 0"
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
    const uint32_t n_envs = render != NULL ? 1 : (uint32_t)MIN(episodes, 16);
    ppo_evaluator_t *ev = ppo_evaluator_new(lp->session, lp->model, n_envs, (uint64_t)seed, &error);
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
    }
    g_free(returns);
    g_free(lengths);
    ppo_evaluator_free(ev);
    ppo_loaded_policy_free(lp);
    ppo_search_free(search);
out:
    g_option_context_free(ctx);
    g_free(checkpoint);
    g_free(render);
    g_strfreev(plugin_path);
    g_strfreev(sets);
    return code;
}

const ppo_cli_command_t ppo_cli_eval_command = {
    "eval", "[PIPELINE] --checkpoint FILE", "evaluate a checkpoint's policy over N episodes",
    eval_main, eval_context,
};
