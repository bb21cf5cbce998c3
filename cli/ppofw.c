/* ppofw CLI — the entry point: dispatch on the subcommand, global --help and --version.
 * Leaves out everything a command does (cli/cmd_*.c, over libppofw). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw/version.h>

#include "cli_private.h"
#include "ppo_params_private.h"
#include "ppo_signal_private.h"

static int help_main(int argc, char **argv);

static const ppo_cli_command_t help_command = {
    "help",
    "[--man] [COMMAND]",
    "show help for ppofw or one command, or its manual page",
    help_main,
    NULL,
    NULL,
};

static const ppo_cli_command_t *const commands[] = {
    &ppo_cli_run_command,
    &ppo_cli_validate_command,
    &ppo_cli_eval_command,
    &ppo_cli_export_command,
    /* (more commands are registered here, one line each) */
    &ppo_cli_plugins_command,
    &ppo_cli_check_env_command,
    &ppo_cli_check_policy_command,
    &ppo_cli_new_plugin_command,
    &ppo_cli_sweep_command,
    &ppo_cli_plot_command,
    &ppo_cli_bench_command,
    &help_command,
    NULL,
};

static const ppo_cli_command_t *find_command(const char *name)
{
    for (const ppo_cli_command_t *const *c = commands; *c != NULL; c++)
        if (strcmp((*c)->name, name) == 0)
            return *c;
    return NULL;
}

static void print_usage(FILE *out)
{
    fprintf(out, "Usage: ppofw COMMAND [OPTION...]\n\n"
                 "Proximal Policy Optimization with plugins: envs, policies, advantage\n"
                 "estimators and optimizers are shared objects named in a YAML pipeline.\n\n"
                 "Commands:\n");
    for (const ppo_cli_command_t *const *c = commands; *c != NULL; c++)
        fprintf(out, "  %-14s %s\n", (*c)->name, (*c)->summary);
    fprintf(out, "\nOptions:\n"
                 "  -h, --help     show this help\n"
                 "  --version      show the version and plugin ABI\n\n"
                 "Run `ppofw help COMMAND` for a command's options.\n"
                 "Exit codes: 0 ok, 1 internal error, 2 usage or pipeline error, 3 plugin error,\n"
                 "4 numerical error, 5 checkpoint or I/O error, 130/143 interrupted.\n\n"
                 "Example:\n  ppofw run configs/cartpole.yaml --set seed=2\n");
}

/* GOption prints the program name in usage lines: make it "ppofw COMMAND" */
static void set_program_name(const ppo_cli_command_t *cmd)
{
    char *name = g_strdup_printf("ppofw %s", cmd->name);
    g_set_prgname(name);
    g_free(name);
}

static int command_help(const ppo_cli_command_t *cmd)
{
    set_program_name(cmd);
    if (cmd->context == NULL) {
        printf("Usage: ppofw %s %s\n\n%s\n", cmd->name, cmd->args, cmd->summary);
        return PPO_EXIT_OK;
    }
    GOptionContext *ctx = cmd->context();
    char *text = g_option_context_get_help(ctx, FALSE, NULL);
    fputs(text, stdout);
    g_free(text);
    g_option_context_free(ctx);
    return PPO_EXIT_OK;
}

/* `ppofw help [--man] [COMMAND]`: the usage or a command's help, or with --man the manual page
 * (ppofw(1), ppofw-COMMAND(1)) in roff */
static int help_main(int argc, char **argv)
{
    const bool man = argc >= 2 && strcmp(argv[1], "--man") == 0;
    const int first = man ? 2 : 1;
    if (argc > first + 1) {
        fprintf(stderr, "ppofw: help takes at most one COMMAND; see ppofw --help\n");
        return PPO_EXIT_USAGE;
    }
    if (argc == first) {
        if (man)
            ppo_cli_man_program(stdout, commands);
        else
            print_usage(stdout);
        return PPO_EXIT_OK;
    }
    const ppo_cli_command_t *cmd = find_command(argv[first]);
    if (cmd == NULL) {
        fprintf(stderr, "ppofw: help: unknown command \"%s\"; see ppofw --help\n", argv[first]);
        return PPO_EXIT_USAGE;
    }
    if (!man)
        return command_help(cmd);
    ppo_cli_man_command(stdout, cmd);
    return PPO_EXIT_OK;
}

int main(int argc, char **argv)
{
    /* every command: a plugin that crashes is named, a closed pipe stops printing only */
    ppo_signals_install_crash();
    if (argc < 2) {
        print_usage(stderr);
        return PPO_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_usage(stdout);
        return PPO_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("ppofw %s (plugin ABI %d.%d)\n", PPO_VERSION_STRING, PPO_ABI_MAJOR, PPO_ABI_MINOR);
        return PPO_EXIT_OK;
    }
    const ppo_cli_command_t *cmd = find_command(name);
    if (cmd == NULL) {
        const char *names[32];
        size_t n = 0;
        for (const ppo_cli_command_t *const *c = commands; *c != NULL && n < 31; c++)
            names[n++] = (*c)->name;
        names[n] = NULL;
        const char *near = ppo_nearest_word(name, names);
        char *shown = ppo_cli_cut(name, 80);
        if (name[0] == '-')
            fprintf(stderr, "ppofw: unknown option \"%s\"; options come after the command, see "
                            "ppofw --help\n",
                    shown);
        else if (near != NULL)
            fprintf(stderr, "ppofw: unknown command \"%s\"; did you mean \"%s\"? See ppofw --help\n",
                    shown, near);
        else
            fprintf(stderr, "ppofw: unknown command \"%s\"; see ppofw --help\n", shown);
        g_free(shown);
        return PPO_EXIT_USAGE;
    }
    set_program_name(cmd);
    const int code = cmd->main(argc - 1, argv + 1);
    /* the command's own return: not a plugin's exit() */
    ppo_exit_guard_disarm();
    return code;
}
