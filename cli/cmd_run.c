/* ppofw CLI — `ppofw run`: train a pipeline, writing a run directory. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli_private.h"
#include "ppo_checkpoint_private.h"
#include "ppo_comm_private.h"
#include "ppo_pipeline_private.h"
#include "ppo_plugin_private.h"
#include "ppo_run_private.h"
#include "ppo_rundir_private.h"
#include "ppo_session_private.h"
#include "ppo_signal_private.h"

typedef struct {
    char **sets;
    char *run_dir;
    char *resume;
    gboolean overwrite;
    char **plugin_path;
    gboolean quiet;
} run_args_t;

static run_args_t args;

static GOptionEntry run_entries[] = {
    {"set", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &args.sets,
     "override a pipeline key (dotted path; the value is YAML), e.g. --set ppo.clip=0.1",
     "KEY=VALUE"},
    {"run-dir", 0, 0, G_OPTION_ARG_FILENAME, &args.run_dir,
     "write the run here (default: runs/NAME-YYYYmmdd-HHMMSS)", "DIR"},
    {"resume", 0, 0, G_OPTION_ARG_FILENAME, &args.resume,
     "continue a run from its newest checkpoint (a run directory) or from a .ckpt file, with "
     "the pipeline stored in the checkpoint when no PIPELINE is given; only ppo.total_steps may "
     "differ from the checkpoint's pipeline",
     "RUN_DIR|CKPT"},
    {"overwrite", 0, 0, G_OPTION_ARG_NONE, &args.overwrite,
     "replace the run files of an existing run directory", NULL},
    {"plugin-path", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.plugin_path,
     "look for plugins in DIR first (repeatable)", "DIR"},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &args.quiet, "no progress lines", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *run_context(void)
{
    GOptionContext *ctx = g_option_context_new("[PIPELINE] - train a PPO pipeline");
    g_option_context_set_summary(ctx, "Trains the pipeline and writes a run directory with the\n"
                                      "resolved pipeline.yaml, metrics.csv, TensorBoard events\n"
                                      "(tb/) and checkpoints/. With --resume and no PIPELINE, the\n"
                                      "run continues with the pipeline its checkpoint holds.");
    g_option_context_add_main_entries(ctx, run_entries, NULL);
    g_option_context_add_main_entries(ctx, ppo_cli_plugin_entries, NULL);
    return ctx;
}

/* The run's own pipeline, from the checkpoint --resume leads to (untrusted: validated like any
 * pipeline, its plugins found by name or in directories the user vouched for). */
static ppo_session_t *resumed_pipeline(const char *resume, char *const *sets,
                                       const ppo_search_t *search, ppo_pipeline_t **pl,
                                       GError **error)
{
    char *path = NULL;
    if (g_file_test(resume, G_FILE_TEST_IS_DIR)) {
        GError *local = NULL;
        path = ppo_rundir_latest_checkpoint(resume, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            return NULL;
        }
        if (path == NULL) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: has no checkpoint to take the run's pipeline from; give the "
                        "PIPELINE as well (its copy is %s/pipeline.yaml)",
                        resume, resume);
            return NULL;
        }
    } else {
        path = g_strdup(resume);
    }
    ppo_session_t *session = NULL;
    ppo_ckpt_t *c = ppo_checkpoint_read(path, error);
    if (c != NULL) {
        char *source = g_strdup_printf("%s (its pipeline)", path);
        const char *yaml = ppo_checkpoint_pipeline(c);
        *pl = ppo_pipeline_parse(source, ".", yaml, strlen(yaml), (const char *const *)sets,
                                 error);
        const char *files[4];
        ppo_checkpoint_plugin_files(c, files);
        if (*pl != NULL)
            session = ppo_session_open_recorded(*pl, search, files, path, error);
        g_free(source);
        ppo_checkpoint_free(c);
    }
    g_free(path);
    return session;
}

static int run_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    char *cmdline = ppo_cli_command_line(argc, argv);
    GOptionContext *ctx = run_context();
    if (!ppo_cli_parse(ctx, &argc, &argv, &code) ||
        !ppo_cli_check_utf8("--set", args.sets, &code))
        goto out;
    if (argc != 2 && !(argc == 1 && args.resume != NULL)) {
        fprintf(stderr, "ppofw: run takes one PIPELINE file (or only --resume RUN_DIR)%s; see "
                        "ppofw run --help\n",
                argc < 2 ? "" : ", got more");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    if (args.resume != NULL && args.overwrite) {
        fprintf(stderr, "ppofw: --resume and --overwrite exclude each other; choose one\n");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    GError *error = NULL;
    ppo_search_t *search = ppo_search_new((const char *const *)args.plugin_path);
    /* under mpirun this process is one rank of a data-parallel job */
    const ppo_comm_t *comm = ppo_comm_get(search, &error);
    if (comm == NULL) {
        code = ppo_cli_fail(error);
        ppo_search_free(search);
        goto out;
    }
    const bool rank0 = comm->rank == 0;
    ppo_pipeline_t *pl = NULL;
    ppo_session_t *session = NULL;
    if (argc == 2) {
        /* the user's own pipeline: its plugins' directories become trusted ones */
        pl = ppo_pipeline_load(argv[1], (const char *const *)args.sets, &error);
        if (rank0)
            ppo_cli_print_notes(pl);
        session = pl != NULL ? ppo_session_open(pl, search, &error) : NULL;
        if (session != NULL && rank0)
            ppo_session_trust(session, (const char *const *)args.plugin_path);
    } else {
        session = resumed_pipeline(args.resume, args.sets, search, &pl, &error);
        if (rank0)
            ppo_cli_print_notes(pl);
    }
    if (session != NULL) {
        ppo_run_options_t opt = {
            .run_dir = args.run_dir,
            .overwrite = args.overwrite,
            .resume = args.resume,
            .command_line = cmdline,
            .quiet = args.quiet || !rank0,
        };
        char *dir = NULL;
        ppo_signals_install();
        ppo_signals_set_advice("the last checkpoint is intact; fix the plugin (run it under gdb "
                               "or valgrind, or check it with `ppofw check-env` or `ppofw "
                               "check-policy`), then continue with `ppofw run --resume RUN_DIR`");
        if (ppo_run(session, &opt, &dir, &error)) {
            if (!args.quiet && rank0)
                fprintf(stderr, "ppofw: done; the run is in %s\n", dir);
        } else if (dir != NULL && rank0 && error->code != PPO_ERROR_INTERRUPTED) {
            fprintf(stderr, "ppofw: the run directory is %s\n", dir);
        }
        g_free(dir);
        ppo_session_free(session);
    }
    if (error != NULL) {
        /* a rank that stops alone would leave the others waiting: stop the whole job, except
         * for an interruption, which every rank reached together */
        if (error->code != PPO_ERROR_INTERRUPTED)
            ppo_comm_abort_on_error(comm, error);
        if (rank0 || error->code != PPO_ERROR_INTERRUPTED) {
            code = ppo_cli_fail(error);
        } else {
            /* rank 0 says it once for the job */
            code = ppo_error_exit_code(error);
            g_error_free(error);
        }
    }
    ppo_pipeline_free(pl);
    ppo_search_free(search);
    ppo_comm_finalize();
out:
    g_option_context_free(ctx);
    g_strfreev(args.sets);
    g_strfreev(args.plugin_path);
    g_free(args.run_dir);
    g_free(args.resume);
    g_free(cmdline);
    return code;
}

const ppo_cli_command_t ppo_cli_run_command = {
    "run",    "PIPELINE",  "train a pipeline and write a run directory",
    run_main, run_context, run_entries,
};
