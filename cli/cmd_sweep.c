/* ppofw CLI — `ppofw sweep`: run every cell of a sweep file over its seeds and summarize them.
 * Leaves out the sweep file, the runs and the reports (core/ppo_sweep*.c, core/ppo_curves.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli_private.h"
#include "ppo_plugin_private.h"
#include "ppo_sweep_private.h"

typedef struct {
    char *out;
    gint jobs;
    char **plugin_path;
    gboolean check;
    gboolean quiet;
} sweep_args_t;

static sweep_args_t args;

static GOptionEntry sweep_entries[] = {
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &args.out,
     "write the sweep here (default: sweeps/NAME-YYYYmmdd-HHMMSS); the same DIR again continues "
     "a sweep: done runs are skipped, stopped ones resumed",
     "DIR"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &args.jobs, "runs at once (default: the number of cores)",
     "N"},
    {"plugin-path", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.plugin_path,
     "look for plugins in DIR first, for validation and every run (repeatable)", "DIR"},
    {"check", 0, 0, G_OPTION_ARG_NONE, &args.check,
     "validate every cell (pipelines and plugins) and stop", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &args.quiet, "no progress output", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *sweep_context(void)
{
    GOptionContext *ctx =
        g_option_context_new("SWEEP.yaml - run a grid of pipeline variants over seeds");
    g_option_context_set_summary(
        ctx,
        "Validates every cell first, then runs each cell x seed as `ppofw run` in\n"
        "DIR/runs/<cell>-s<seed>/ (N at a time) and writes DIR/summary.csv,\n"
        "summary.md (final return mean +- std and 95% CI, steps to threshold, AUC,\n"
        "wall time), curves.svg (mean +- 1 standard error per cell), runs.csv and\n"
        "cells.csv. A failed run is recorded and the others go on; running the same\n"
        "command again retries it. The file format is in sweeps.md, installed in\n" PPO_DOCDIR ".");
    g_option_context_set_description(
        ctx, "Exit status: 0 when every run finished; the exit code of the first failed run\n"
             "when some failed; 2 for a bad sweep file (with file:line:col); 130/143 when\n"
             "interrupted (the runs checkpoint; run the same command to continue).");
    g_option_context_add_main_entries(ctx, sweep_entries, NULL);
    return ctx;
}

static int sweep_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    char *cmdline = ppo_cli_command_line(argc, argv);
    args.jobs = 0;
    /* -j2 as make spells it: GOption wants -j 2 */
    GPtrArray *split = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (g_str_has_prefix(a, "-j") && a[2] != '\0' &&
            strspn(a + 2, "0123456789") == strlen(a + 2)) {
            g_ptr_array_add(split, g_strdup("-j"));
            g_ptr_array_add(split, g_strdup(a + 2));
        } else {
            g_ptr_array_add(split, g_strdup(a));
        }
    }
    g_ptr_array_add(split, NULL);
    /* option parsing drops entries from the array it is given: it gets a copy, `split` owns
     * the strings */
    char **split_argv = g_new(char *, split->len);
    memcpy(split_argv, split->pdata, sizeof(char *) * split->len);
    argc = (int)split->len - 1;
    argv = split_argv;
    GOptionContext *ctx = sweep_context();
    ppo_sweep_t *sw = NULL;
    ppo_search_t *search = NULL;
    char *exe = NULL;
    GError *error = NULL;
    if (!ppo_cli_parse(ctx, &argc, &argv, &code))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "ppofw: sweep takes one SWEEP file%s; see ppofw sweep --help\n",
                argc < 2 ? "" : ", got more");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    if (args.jobs < 0 || args.jobs > 4096) {
        fprintf(stderr,
                "ppofw: -j %d: expected a number of runs in [1, 4096] (0 or nothing: one "
                "per core)\n",
                args.jobs);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    sw = ppo_sweep_load(argv[1], &error);
    if (sw == NULL) {
        code = ppo_cli_fail(error);
        goto out;
    }
    search = ppo_search_new((const char *const *)args.plugin_path);
    if (!ppo_sweep_validate(sw, search, &error)) {
        code = ppo_cli_fail(error);
        goto out;
    }
    if (args.check) {
        fprintf(stderr, "ppofw: %s is valid: %u cells x %u seeds = %u runs\n", argv[1],
                sw->cells->len, sw->seeds->len, sw->cells->len * sw->seeds->len);
        goto out;
    }
    exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe == NULL) {
        fprintf(stderr, "ppofw: sweep: cannot find this program's file through /proc/self/exe, "
                        "which runs are started with; is /proc mounted?\n");
        code = PPO_EXIT_INTERNAL;
        goto out;
    }
    const ppo_sweep_options_t opt = {
        .exe = exe,
        .out_dir = args.out,
        .jobs = args.jobs > 0 ? (uint32_t)args.jobs : (uint32_t)MAX(g_get_num_processors(), 1),
        .plugin_path = (const char *const *)args.plugin_path,
        .command_line = cmdline,
        .quiet = args.quiet,
    };
    ppo_sweep_result_t res;
    if (!ppo_sweep_execute(sw, &opt, &res, &error)) {
        code = ppo_cli_fail(error);
    } else if (res.n_failed > 0) {
        fprintf(stderr,
                "ppofw: sweep %s: %u of %u runs failed (the first with exit %d; see "
                "%s/runs.csv); the summary covers the %u that finished. Run the same command "
                "again to retry the failed ones\n",
                sw->name, res.n_failed, res.n_runs, res.first_failure, res.out_dir, res.n_done);
        code = res.first_failure > 0 ? res.first_failure : PPO_EXIT_INTERNAL;
    } else if (!args.quiet) {
        fprintf(stderr, "ppofw: sweep %s done: %s/summary.md, summary.csv and curves.svg\n",
                sw->name, res.out_dir);
    }
    ppo_sweep_result_clear(&res);
out:
    g_free(exe);
    ppo_search_free(search);
    ppo_sweep_free(sw);
    g_option_context_free(ctx);
    g_free(args.out);
    g_strfreev(args.plugin_path);
    g_free(cmdline);
    g_free(split_argv);
    g_ptr_array_free(split, TRUE);
    memset(&args, 0, sizeof(args));
    return code;
}

const ppo_cli_command_t ppo_cli_sweep_command = {
    "sweep",    "SWEEP.yaml",  "run a grid of pipeline variants over seeds and summarize them",
    sweep_main, sweep_context, sweep_entries,
};
