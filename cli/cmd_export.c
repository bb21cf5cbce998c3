/* ppofw CLI — `ppofw export`: write a checkpoint's policy as one dependency-free C file (the
 * contract PPO_EXPORT_CONTRACT of include/ppofw/policy.h), optionally the header declaring it
 * (--header, written by libppofw's ppo_codegen_header for every kind of the contract), and
 * optionally verify it (--verify: compiled with the system's C compiler and compared with the
 * checkpoint's policy, core/ppo_export_verify.c). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_private.h"
#include "ppo_checkpoint_private.h"
#include "ppo_export_verify_private.h"
#include "ppo_file_private.h"

static char *checkpoint;
static char *output;
static char *header;
static gboolean verify;
static char **plugin_path;

static GOptionEntry export_entries[] = {
    {"checkpoint", 'c', 0, G_OPTION_ARG_FILENAME, &checkpoint, "the checkpoint to export", "FILE"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "the C file to write", "policy.c"},
    {"header", 0, 0, G_OPTION_ARG_FILENAME, &header,
     "also write a header with the contract's macros and prototypes", "policy.h"},
    {"verify", 0, 0, G_OPTION_ARG_NONE, &verify,
     "compile the file with the system's C compiler ($CC, or cc) and compare its actions with "
     "the checkpoint's policy on random and edge observations",
     NULL},
    {"plugin-path", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_path,
     "look for plugins in DIR first (repeatable)", "DIR"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *export_context(void)
{
    GOptionContext *ctx = g_option_context_new("--checkpoint FILE -o policy.c - export a policy");
    g_option_context_set_summary(
        ctx, "Writes one C99 file with the weights as static arrays and the observation scaling\n"
             "and normalization applied inside, defining ppo_policy_act(): the index of the best\n"
             "action (discrete), the mean action (box) or each component's best index\n"
             "(multi-discrete) for a raw observation, with the state as a last parameter and\n"
             "ppo_policy_reset() for a recurrent policy (PPO_EXPORT_CONTRACT in\n"
             "<ppofw/policy.h>). No malloc, no dependencies beyond libm. The policy plugin must\n"
             "implement export_c. --verify exits 3 when the file does not compile or acts\n"
             "otherwise than the policy.");
    g_option_context_add_main_entries(ctx, export_entries, NULL);
    g_option_context_add_main_entries(ctx, ppo_cli_plugin_entries, NULL);
    return ctx;
}

/* The --header file (transfer: writes `path`). */
static bool write_header(const char *path, const ppo_codegen_policy_t *pol, GError **error)
{
    char *base = g_path_get_basename(path);
    char *guard = g_ascii_strup(base, -1);
    for (char *c = guard; *c != '\0'; c++)
        if (!g_ascii_isalnum(*c))
            *c = '_';
    char *full = g_strconcat("PPO_POLICY_", guard, NULL);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    const int rc = f != NULL ? ppo_codegen_header(f, pol, full) : -1;
    if (f != NULL)
        fclose(f);
    bool ok = false;
    if (rc != 0)
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL,
                    "%s: the policy's spaces are not ones the export contract covers", path);
    else
        ok = ppo_output_write(path, "the header", text, len, error);
    free(text);
    g_free(full);
    g_free(guard);
    g_free(base);
    return ok;
}

/* --verify: compile and compare; the exit code. */
static int verify_export(const ppo_loaded_policy_t *lp, const ppo_obs_norm_t *norm,
                         uint32_t state_size)
{
    const ppo_export_target_t t = {
        .plugin = lp->model->plugin,
        .inst = lp->model->inst,
        .obs_space = &lp->obs_space,
        .act_space = &lp->act_space,
        .state_size = state_size,
        .n_envs = 1,
        .norm = norm,
        .seed = 1,
    };
    char *detail = NULL;
    const ppo_export_status_t st = ppo_export_verify(&t, output, header, &detail);
    int code = PPO_EXIT_OK;
    switch (st) {
    case PPO_EXPORT_OK:
    case PPO_EXPORT_WARNINGS:
        fprintf(stderr, "ppofw: verified %s against the checkpoint's policy: %s\n", output,
                detail);
        break;
    case PPO_EXPORT_NO_COMPILER:
        fprintf(stderr, "ppofw: export --verify: %s\n", detail);
        code = PPO_EXIT_USAGE;
        break;
    case PPO_EXPORT_ERROR:
        fprintf(stderr, "ppofw: export --verify: %s\n", detail);
        code = PPO_EXIT_INTERNAL;
        break;
    default:
        fprintf(stderr, "ppofw: %s: policy plugin \"%s\" (%s) exported a file that %s: %s\n",
                output, lp->model->plugin->name, lp->model->plugin->path,
                st == PPO_EXPORT_MISMATCH ? "computes other actions than the policy"
                                          : "breaks the export contract",
                detail);
        code = PPO_EXIT_PLUGIN;
        break;
    }
    g_free(detail);
    return code;
}

static int export_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    GOptionContext *ctx = export_context();
    if (!ppo_cli_parse(ctx, &argc, &argv, &code))
        goto out;
    if (checkpoint == NULL || output == NULL || argc > 1) {
        fprintf(stderr, "ppofw: export needs --checkpoint FILE and -o FILE.c; see ppofw export "
                        "--help\n");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    if (header != NULL && ppo_file_same(output, header)) {
        fprintf(stderr, "ppofw: export: -o %s and --header %s name the same file; give the "
                        "header its own name (e.g. policy.h)\n",
                output, header);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    GError *error = NULL;
    ppo_search_t *search = ppo_search_new((const char *const *)plugin_path);
    ppo_loaded_policy_t *lp = ppo_loaded_policy_open(checkpoint, NULL, NULL, search, &error);
    ppo_search_free(search);
    if (lp == NULL) {
        code = ppo_cli_fail(error);
        goto out;
    }
    const ppo_plugin_t *pp = lp->model->plugin;
    if (pp->vt.policy.export_c == NULL) {
        fprintf(stderr, "ppofw: policy plugin \"%s\" (%s) cannot export C (it has no export_c "
                        "callback)\n",
                pp->name, pp->path);
        code = PPO_EXIT_PLUGIN;
        goto out_policy;
    }
    if (pp->abi_minor < 2 && lp->obs_space.dtype == PPO_DTYPE_UINT8) {
        /* its export cannot know that the observations are bytes the core scaled */
        fprintf(stderr,
                "ppofw: policy plugin \"%s\" (%s) was built for plugin ABI 1.%u, whose export_c "
                "knows only float observations, and this checkpoint's observations are uint8: "
                "rebuild the plugin against the current headers to export it\n",
                pp->name, pp->path, pp->abi_minor);
        code = PPO_EXIT_PLUGIN;
        goto out_policy;
    }
    /* the plugin writes into memory; the file is written once that succeeded */
    char *text = NULL;
    size_t text_len = 0;
    FILE *f = open_memstream(&text, &text_len);
    if (f == NULL) {
        fprintf(stderr, "ppofw: %s: cannot write: %s\n", output, g_strerror(errno));
        code = PPO_EXIT_IO;
        goto out_policy;
    }
    ppo_obs_norm_t norm = {
        .struct_size = sizeof(norm),
        .enabled = lp->obs_norm,
        .dim = lp->obs_space.dim,
        .mean = lp->obs_rms.mean,
        .var = lp->obs_rms.var,
        .epsilon = lp->obs_eps,
        .clip = lp->obs_clip,
    };
    uint32_t state_size = 0;
    if (pp->vt.policy.recurrent != NULL) {
        ppo_plugin_enter(pp, "state_size");
        state_size = pp->vt.policy.recurrent->state_size(lp->model->inst);
        ppo_plugin_leave();
    }
    ppo_plugin_enter(pp, "export_c");
    int rc = pp->vt.policy.export_c(lp->model->inst, lp->model->params, &norm, f);
    ppo_plugin_leave();
    const ppo_codegen_policy_t pol = {
        .struct_size = sizeof(pol),
        .state_size = state_size,
        .obs_space = &lp->obs_space,
        .act_space = &lp->act_space,
    };
    const bool write_ok = fclose(f) == 0;
    if (rc != 0) {
        code = ppo_cli_fail(ppo_plugin_error(pp, "export_c", rc));
    } else if (!write_ok) {
        fprintf(stderr, "ppofw: %s: cannot write: %s\n", output, g_strerror(errno));
        code = PPO_EXIT_IO;
    } else if (!ppo_output_write(output, "the exported policy", text, text_len, &error) ||
               (header != NULL && !write_header(header, &pol, &error))) {
        code = ppo_cli_fail(error);
    } else {
        fprintf(stderr, "ppofw: wrote %s%s%s\n", output, header != NULL ? " and " : "",
                header != NULL ? header : "");
        if (verify)
            code = verify_export(lp, &norm, state_size);
    }
    free(text);
out_policy:
    ppo_loaded_policy_free(lp);
out:
    g_option_context_free(ctx);
    g_free(checkpoint);
    g_free(output);
    g_free(header);
    verify = FALSE;
    g_strfreev(plugin_path);
    return code;
}

const ppo_cli_command_t ppo_cli_export_command = {
    "export",
    "--checkpoint FILE -o policy.c",
    "write a checkpoint's policy as standalone C (and verify it)",
    export_main,
    export_context,
    export_entries,
};
