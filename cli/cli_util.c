/* ppofw CLI — helpers shared by the subcommands: error printing, option parsing, signals. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_private.h"
#include "ppo_pipeline_private.h"

int ppo_cli_fail(GError *error)
{
    const int code = ppo_error_exit_code(error);
    fprintf(stderr, "ppofw: %s\n", error->message);
    g_error_free(error);
    return code;
}

bool ppo_cli_parse(GOptionContext *ctx, int *argc, char ***argv, int *exit_code)
{
    GError *error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        fprintf(stderr, "ppofw: %s; see ppofw %s --help\n", error->message, (*argv)[0]);
        g_error_free(error);
        *exit_code = PPO_EXIT_USAGE;
        return false;
    }
    return true;
}

void ppo_cli_print_notes(const ppo_pipeline_t *pipeline)
{
    for (guint i = 0; pipeline != NULL && i < pipeline->notes->len; i++)
        fprintf(stderr, "ppofw: note: %s\n", (const char *)g_ptr_array_index(pipeline->notes, i));
}

char *ppo_cli_command_line(int argc, char **argv)
{
    GString *s = g_string_new("ppofw");
    for (int i = 0; i < argc; i++) {
        char *q = g_shell_quote(argv[i]);
        /* keep plain words unquoted for readability */
        if (strpbrk(argv[i], " \t\n'\"\\$`!*?[]{}()<>|&;#~") == NULL && argv[i][0] != '\0')
            g_string_append_printf(s, " %s", argv[i]);
        else
            g_string_append_printf(s, " %s", q);
        g_free(q);
    }
    return g_string_free(s, FALSE);
}
