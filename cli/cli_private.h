/* ppofw CLI — the subcommands of the ppofw program, thin over libppofw.
 *
 * Each subcommand is a function taking its own argv (argv[0] is the command name) and returning
 * an exit code of DESIGN.md §6. Parsing uses one GOptionContext per command; `ppofw CMD --help`
 * and `ppofw help CMD` print the same text to stdout.
 */
#ifndef PPO_CLI_PRIVATE_H
#define PPO_CLI_PRIVATE_H

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

#include "ppo_error_private.h"

typedef struct ppo_cli_command {
    const char *name;
    const char *args;      /* parameter string shown after the command name */
    const char *summary;   /* one line */
    int (*main)(int argc, char **argv);
    /* fills the command's option entries into a context (for help) */
    GOptionContext *(*context)(void);
    /* the command's options, as given to the context (for its manual page); NULL for none */
    const GOptionEntry *entries;
} ppo_cli_command_t;

/* Print "ppofw: <message>" for an error (cut in the middle past a few thousand bytes) and
 * return its exit code. Frees the error. */
int ppo_cli_fail(GError *error);

/* `text`, or its start and end around "[... N bytes cut ...]" when longer than `max`.
 * (transfer full) */
char *ppo_cli_cut(const char *text, size_t max);

/* Parse argv with ctx; prints the usage error and returns false with *exit_code = 2. Also drops
 * the "--" that ends the options, starts the watchdog for --plugin-timeout, and arms the exit()
 * guard (ppo_signal_private.h) for the rest of the command. */
bool ppo_cli_parse(GOptionContext *ctx, int *argc, char ***argv, int *exit_code);

/* Options of commands that call plugins: --plugin-timeout SECONDS (ppo_cli_plugin_timeout). */
extern const GOptionEntry ppo_cli_plugin_entries[];
extern double ppo_cli_plugin_timeout;

/* Fail (usage, exit 2) naming the option and the value when a value is not valid UTF-8. */
bool ppo_cli_check_utf8(const char *option, char *const *values, int *exit_code);

struct ppo_pipeline;

/* Print the notes a pipeline's --set overrides left (a swapped plugin's dropped params) on
 * stderr, one "ppofw: note: ..." line each. */
void ppo_cli_print_notes(const struct ppo_pipeline *pipeline);

/* The command line as one string (for run headers). */
char *ppo_cli_command_line(int argc, char **argv);

/* The manual page of `cmd` (ppofw-NAME(1)) in roff, from its option table and help text
 * (cli/cli_man.c; `ppofw help --man NAME`). */
void ppo_cli_man_command(FILE *out, const ppo_cli_command_t *cmd);

/* The manual page of the program, ppofw(1), listing the NULL-terminated `commands`. */
void ppo_cli_man_program(FILE *out, const ppo_cli_command_t *const *commands);

extern const ppo_cli_command_t ppo_cli_run_command;
extern const ppo_cli_command_t ppo_cli_validate_command;
extern const ppo_cli_command_t ppo_cli_eval_command;
extern const ppo_cli_command_t ppo_cli_export_command;
/* (more commands are declared here, one line each) */
extern const ppo_cli_command_t ppo_cli_plugins_command;
extern const ppo_cli_command_t ppo_cli_check_env_command;
extern const ppo_cli_command_t ppo_cli_check_policy_command;
extern const ppo_cli_command_t ppo_cli_new_plugin_command;
extern const ppo_cli_command_t ppo_cli_sweep_command;
extern const ppo_cli_command_t ppo_cli_plot_command;
extern const ppo_cli_command_t ppo_cli_bench_command;

#endif /* PPO_CLI_PRIVATE_H */
