/* ppofw CLI — helpers shared by the subcommands: error printing, option parsing, signals. */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_private.h"
#include "ppo_pipeline_private.h"
#include "ppo_signal_private.h"

/* Messages longer than this are cut in the middle (a huge argument or plugin error). */
#define MESSAGE_MAX 4000

double ppo_cli_plugin_timeout;

const GOptionEntry ppo_cli_plugin_entries[] = {
    {"plugin-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &ppo_cli_plugin_timeout,
     "stop (exit 3), naming it, when one plugin call has not returned after SECONDS "
     "(default: no limit)",
     "SECONDS"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

char *ppo_cli_cut(const char *text, size_t max)
{
    const size_t len = strlen(text);
    if (len <= max)
        return g_strdup(text);
    /* keep the start (what and where) and the end (the fix), never cutting a UTF-8 sequence */
    size_t head = max * 2 / 3, tail = max - head;
    while (head > 0 && ((unsigned char)text[head] & 0xC0) == 0x80)
        head--;
    size_t from = len - tail;
    while (from < len && ((unsigned char)text[from] & 0xC0) == 0x80)
        from++;
    return g_strdup_printf("%.*s [... %zu bytes cut ...] %s", (int)head, text, from - head,
                           text + from);
}

int ppo_cli_fail(GError *error)
{
    const int code = ppo_error_exit_code(error);
    char *shown = ppo_cli_cut(error->message, MESSAGE_MAX);
    fprintf(stderr, "ppofw: %s\n", shown);
    g_free(shown);
    g_error_free(error);
    return code;
}

bool ppo_cli_parse(GOptionContext *ctx, int *argc, char ***argv, int *exit_code)
{
    GError *error = NULL;
    ppo_cli_plugin_timeout = 0.0;
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        char *shown = ppo_cli_cut(error->message, 300);
        fprintf(stderr, "ppofw: %s; see ppofw %s --help\n", shown, (*argv)[0]);
        g_free(shown);
        g_error_free(error);
        *exit_code = PPO_EXIT_USAGE;
        return false;
    }
    /* GOption leaves the "--" that ends the options: drop it, the arguments after it stay */
    for (int i = 1; i < *argc; i++) {
        if (strcmp((*argv)[i], "--") == 0) {
            /* argv is the process's own: shift, never free */
            memmove(&(*argv)[i], &(*argv)[i + 1], (size_t)(*argc - i) * sizeof(char *));
            (*argc)--;
            break;
        }
    }
    if (ppo_cli_plugin_timeout < 0 || !isfinite(ppo_cli_plugin_timeout)) {
        fprintf(stderr, "ppofw: --plugin-timeout must be a number of seconds >= 0 (0: no "
                        "limit); see ppofw %s --help\n",
                (*argv)[0]);
        *exit_code = PPO_EXIT_USAGE;
        return false;
    }
    if (ppo_cli_plugin_timeout > 0)
        ppo_watchdog_start(ppo_cli_plugin_timeout);
    /* from here on, an exit() that is not the command's own is a plugin's */
    ppo_exit_guard_arm(g_get_prgname() != NULL ? g_get_prgname() + strlen("ppofw ") : "");
    return true;
}

bool ppo_cli_check_utf8(const char *option, char *const *values, int *exit_code)
{
    for (char *const *v = values; v != NULL && *v != NULL; v++) {
        const char *end = NULL;
        if (g_utf8_validate(*v, -1, &end))
            continue;
        char *escaped = g_strescape(*v, NULL);
        char *shown = ppo_cli_cut(escaped, 200);
        fprintf(stderr, "ppofw: %s \"%s\": not valid UTF-8 (byte %zu is 0x%02x); pipeline keys "
                        "and values are UTF-8 text — fix that argument\n",
                option, shown, (size_t)(end - *v), (unsigned char)*end);
        g_free(shown);
        g_free(escaped);
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
