/* ppofw CLI — `ppofw plot`: learning curves of any runs as one SVG (or PNG), seeds grouped.
 * Leaves out the grouping and drawing (core/ppo_curves.c, core/ppo_svg.c,
 * core/ppo_figure_png.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli_private.h"
#include "ppo_file_private.h"
#include "ppo_curves_private.h"
#include "ppo_svg_private.h"

typedef struct {
    char *output;
    char *band;
    char *title;
    int episodes;
} plot_args_t;

static plot_args_t args;

static GOptionEntry plot_entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &args.output,
     "write the figure to FILE (required): a PNG image when FILE ends in .png, SVG otherwise",
     "FILE.svg|FILE.png"},
    {"band", 0, 0, G_OPTION_ARG_STRING, &args.band,
     "the shaded band: stderr (+-1 standard error of the mean, default) or std (+-1 standard "
     "deviation)",
     "std|stderr"},
    {"title", 0, 0, G_OPTION_ARG_STRING, &args.title, "the figure's title", "TEXT"},
    {"episodes", 0, 0, G_OPTION_ARG_INT, &args.episodes,
     "plot each run's episodes.csv smoothed over its last N episodes (at every step where "
     "episodes ended) instead of metrics.csv's 100-episode ep_return_mean",
     "N"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *plot_context(void)
{
    GOptionContext *ctx = g_option_context_new("RUN_DIR... - plot learning curves of runs");
    g_option_context_set_summary(
        ctx, "Reads each run's pipeline.yaml and metrics.csv (episodes.csv with --episodes).\n"
             "Runs whose resolved pipeline is the same apart from the seed are one curve: their\n"
             "mean return against env steps with a shaded band; runs of different envs go in\n"
             "separate panels. A sweep directory stands for all of its runs.");
    g_option_context_add_main_entries(ctx, plot_entries, NULL);
    return ctx;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A sweep directory (cells.csv and runs/) stands for its runs that have a pipeline. */
static void add_dir(GPtrArray *dirs, const char *dir)
{
    char *cells = g_build_filename(dir, "cells.csv", NULL);
    char *runs = g_build_filename(dir, "runs", NULL);
    GDir *d = NULL;
    if (g_file_test(cells, G_FILE_TEST_EXISTS) && (d = g_dir_open(runs, 0, NULL)) != NULL) {
        GPtrArray *found = g_ptr_array_new();
        const char *name;
        while ((name = g_dir_read_name(d)) != NULL) {
            char *run = g_build_filename(runs, name, NULL);
            char *pipeline = g_build_filename(run, "pipeline.yaml", NULL);
            if (g_file_test(pipeline, G_FILE_TEST_EXISTS))
                g_ptr_array_add(found, run);
            else
                g_free(run);
            g_free(pipeline);
        }
        g_dir_close(d);
        qsort(found->pdata, found->len, sizeof(gpointer), cmp_str);
        for (guint i = 0; i < found->len; i++)
            g_ptr_array_add(dirs, g_ptr_array_index(found, i));
        g_ptr_array_free(found, TRUE);
    } else {
        g_ptr_array_add(dirs, g_strdup(dir));
    }
    g_free(cells);
    g_free(runs);
}

static int plot_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    GOptionContext *ctx = plot_context();
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    ppo_report_t *rep = NULL;
    GError *error = NULL;
    if (!ppo_cli_parse(ctx, &argc, &argv, &code))
        goto out;
    if (argc < 2 || args.output == NULL) {
        fprintf(stderr, "ppofw: plot needs %s; e.g. ppofw plot runs/a runs/b -o curves.svg\n",
                argc < 2 ? "at least one RUN_DIR" : "-o FILE.svg");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    ppo_band_kind_t band = PPO_BAND_STDERR;
    if (args.band != NULL && strcmp(args.band, "std") == 0) {
        band = PPO_BAND_STD;
    } else if (args.band != NULL && strcmp(args.band, "stderr") != 0) {
        fprintf(stderr, "ppofw: --band \"%s\": expected std or stderr\n", args.band);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    if (args.episodes < 0) {
        fprintf(stderr, "ppofw: --episodes %d: expected a number of episodes >= 1\n",
                args.episodes);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    for (int i = 1; i < argc; i++)
        add_dir(dirs, argv[i]);
    if (dirs->len == 0) {
        fprintf(stderr, "ppofw: plot: %s holds no runs yet\n", argv[1]);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    rep = ppo_report_from_runs((const char *const *)dirs->pdata, dirs->len,
                               (uint32_t)args.episodes, &error);
    if (rep == NULL) {
        code = ppo_cli_fail(error);
        goto out;
    }
    rep->title = args.title != NULL ? args.title : "episode return vs environment steps";
    char *smoothing = args.episodes > 0
                          ? g_strdup_printf("mean return of the last %d episodes", args.episodes)
                          : g_strdup("mean return of the last 100 episodes");
    char *subtitle =
        g_strdup_printf("%s; mean over seeds with a ±1 %s band", smoothing,
                        band == PPO_BAND_STD ? "standard deviation" : "standard error");
    g_free(smoothing);
    bool written;
    if (g_str_has_suffix(args.output, ".png") || g_str_has_suffix(args.output, ".PNG")) {
        written = ppo_report_png(rep, subtitle, band, args.output, &error);
        ppo_svg_png_release_fonts();
    } else {
        char *svg = ppo_report_svg(rep, subtitle, band);
        written = ppo_output_write(args.output, "the SVG plot", svg, strlen(svg), &error);
        g_free(svg);
    }
    g_free(subtitle);
    if (!written) {
        code = ppo_cli_fail(error);
    } else {
        fprintf(stderr, "ppofw: wrote %s: %u runs in %u curves\n", args.output, dirs->len,
                rep->groups->len);
        for (guint g = 0; g < rep->groups->len; g++) {
            const ppo_report_group_t *grp = g_ptr_array_index(rep->groups, g);
            fprintf(stderr, "  %s | %s: %u runs\n", grp->panel, grp->name, grp->curves->len);
        }
    }
out:
    ppo_report_free(rep);
    g_ptr_array_free(dirs, TRUE);
    g_option_context_free(ctx);
    g_free(args.output);
    g_free(args.band);
    g_free(args.title);
    memset(&args, 0, sizeof(args));
    return code;
}

const ppo_cli_command_t ppo_cli_plot_command = {
    "plot",
    "RUN_DIR... -o FILE.svg",
    "plot learning curves of runs, seeds grouped",
    plot_main,
    plot_context,
    plot_entries,
};
