/* ppofw CLI — manual pages in roff, made from the commands themselves (`ppofw help --man
 * [COMMAND]`): the synopsis and options from each command's option table, the description from
 * its help text, so the pages cannot drift from `ppofw COMMAND --help`. The build writes
 * ppofw(1) and ppofw-COMMAND(1) for every command with it (docs/local.mk).
 *
 * Left out: the plugin API's page, ppofw-plugin(3), which is written by hand
 * (docs/man/ppofw-plugin.3.in).
 */
#include "config.h"

#include <string.h>

#include <ppofw/version.h>

#include "cli_private.h"

/* ---- roff text ---- */

/* `text` as roff running text: backslashes and hyphens escaped, non-ASCII characters as \[uXXXX]
 * (the page then needs no input encoding), and a line starting with '.' or '\'' protected. */
static void roff_text(GString *out, const char *text)
{
    for (const char *p = text; *p != '\0';) {
        const gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            p++;
            continue;
        }
        if ((p == text || p[-1] == '\n') && (c == '.' || c == '\''))
            g_string_append(out, "\\&");
        if (c == '\\')
            g_string_append(out, "\\e");
        else if (c == '-')
            g_string_append(out, "\\-");
        else if (c >= 0x80)
            g_string_append_printf(out, "\\[u%04X]", (unsigned)c);
        else
            g_string_append_c(out, (char)c);
        p = g_utf8_next_char(p);
    }
}

/* Help text written as lines of about 80 columns, as roff paragraphs: lines joined, a blank line
 * (or a line ending in ':' before a list) starting a new paragraph. */
static void roff_paragraphs(GString *out, const char *text)
{
    char **lines = g_strsplit(text, "\n", -1);
    bool open = false;
    for (char **l = lines; *l != NULL; l++) {
        char *line = g_strstrip(g_strdup(*l));
        if (*line == '\0') {
            if (open)
                g_string_append(out, "\n.PP\n");
            open = false;
        } else {
            if (open)
                g_string_append_c(out, '\n');
            roff_text(out, line);
            open = true;
        }
        g_free(line);
    }
    if (open)
        g_string_append_c(out, '\n');
    g_strfreev(lines);
}

static char *upper(const char *s)
{
    return g_ascii_strup(s, -1);
}

static void title(GString *out, const char *page, int section, const char *manual)
{
    char *up = upper(page);
    g_string_append_printf(out,
                           ".\\\" %s(%d), written by `ppofw help --man`; do not edit.\n"
                           ".TH %s %d \"\" \"ppofw %s\" \"%s\"\n",
                           page, section, up, section, PPO_VERSION_STRING, manual);
    g_free(up);
}

/* ---- sections every page shares ---- */

static void exit_status(GString *out)
{
    g_string_append(out, ".SH \"EXIT STATUS\"\n"
                         ".TP\n0\nsuccess\n"
                         ".TP\n1\nan internal error (a bug)\n"
                         ".TP\n2\na usage error, or a bad pipeline or sweep file\n"
                         ".TP\n3\na plugin is missing, refused or failed (or a check failed)\n"
                         ".TP\n4\na numerical error: NaN or Inf\n"
                         ".TP\n5\na checkpoint or file could not be read or written\n"
                         ".TP\n130, 143\ninterrupted by SIGINT or SIGTERM (after a checkpoint)\n");
}

static void environment(GString *out)
{
    g_string_append(out, ".SH ENVIRONMENT\n.TP\n.B PPOFW_PLUGIN_PATH\n");
    roff_text(out, "Colon-separated directories searched for plugins after each --plugin-path and "
                   "before the installed plugin directory, " PPO_PKGLIBDIR "/plugins.");
    g_string_append_c(out, '\n');
}

static void see_also(GString *out, const char *self, bool plugin_page)
{
    g_string_append(out, ".SH \"SEE ALSO\"\n");
    if (strcmp(self, "ppofw") != 0)
        g_string_append(out, ".BR ppofw (1),\n");
    if (plugin_page)
        g_string_append(out, ".BR ppofw\\-plugin (3),\n.BR ppofw\\-check (3),\n");
    g_string_append(out, "and the documentation installed in\n.IR ");
    roff_text(out, PPO_DOCDIR);
    g_string_append(out, " :\n");
    roff_text(out, "design.md (the architecture and the plugin contract), plugin-guide.md (writing "
                   "and testing plugins), pipeline-reference.md (every pipeline key and plugin "
                   "parameter), file-formats.md (run directories, metrics, checkpoints), sweeps.md "
                   "and mpi.md.");
    g_string_append_c(out, '\n');
}

/* ---- one command ---- */

/* "\fB\-s\fR, \fB\-\-set\fR=\fIKEY=VALUE\fR" */
static void option_head(GString *out, const GOptionEntry *e)
{
    if (e->short_name != 0)
        g_string_append_printf(out, "\\fB\\-%c\\fR, ", e->short_name);
    g_string_append(out, "\\fB\\-\\-");
    roff_text(out, e->long_name);
    g_string_append(out, "\\fR");
    if (e->arg != G_OPTION_ARG_NONE) {
        g_string_append(out, "=\\fI");
        roff_text(out, e->arg_description != NULL ? e->arg_description : "VALUE");
        g_string_append(out, "\\fR");
    }
    g_string_append_c(out, '\n');
}

/* Usage examples of a command, a few lines each (what the README shows). */
static const char *const examples[][2] = {
    {"run", "ppofw run configs/cartpole.yaml --set seed=2 --set ppo.total_steps=50000\n"
            "ppofw run configs/pendulum.yaml --resume runs/pendulum-ppo-20261122-101500"},
    {"validate", "ppofw validate configs/acrobot.yaml --set policy.params.pi_hidden=[32]"},
    {"eval", "ppofw eval --checkpoint runs/a/checkpoints/best.ckpt -n 100 --deterministic"},
    {"export", "ppofw export --checkpoint runs/a/checkpoints/best.ckpt -o policy.c"},
    {"plugins", "ppofw plugins\nppofw plugins info cartpole"},
    {"check-env", "ppofw check-env ./gridworld.so --params '{width: 5}'"},
    {"check-policy", "ppofw check-policy ./linear_policy.so"},
    {"new-plugin", "ppofw new-plugin env mygrid && cd mygrid && make && make check"},
    {"sweep", "ppofw sweep configs/sweeps/ablation-advantage.yaml -j 2"},
    {"plot", "ppofw plot runs/a runs/b -o curves.svg"},
    {"bench", "ppofw bench configs/bench-cleanrl-cartpole.yaml"},
    {"help", "ppofw help run\nppofw help --man run | man -l -"},
};

static void examples_of(GString *out, const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(examples); i++) {
        if (strcmp(examples[i][0], name) != 0)
            continue;
        g_string_append(out, ".SH EXAMPLES\n.nf\n");
        roff_text(out, examples[i][1]);
        g_string_append(out, "\n.fi\n");
    }
}

/* Commands that load plugins read PPOFW_PLUGIN_PATH. */
static bool loads_plugins(const char *name)
{
    static const char *const none[] = {"new-plugin", "plot", "help", NULL};
    return !g_strv_contains(none, name);
}

void ppo_cli_man_command(FILE *out, const ppo_cli_command_t *cmd)
{
    GString *s = g_string_new(NULL);
    char *page = g_strdup_printf("ppofw-%s", cmd->name);
    title(s, page, 1, "ppofw Manual");
    g_string_append(s, ".SH NAME\nppofw\\-");
    roff_text(s, cmd->name);
    g_string_append(s, " \\- ");
    roff_text(s, cmd->summary);
    g_string_append(s, "\n.SH SYNOPSIS\n.B ppofw ");
    roff_text(s, cmd->name);
    g_string_append(s, "\n");
    if (cmd->entries != NULL)
        g_string_append(s, "[\\fIOPTION\\fR...]\n");
    roff_text(s, cmd->args);
    g_string_append(s, "\n.SH DESCRIPTION\n");
    GOptionContext *ctx = cmd->context != NULL ? cmd->context() : NULL;
    const char *summary = ctx != NULL ? g_option_context_get_summary(ctx) : NULL;
    const char *description = ctx != NULL ? g_option_context_get_description(ctx) : NULL;
    roff_paragraphs(s, summary != NULL ? summary : cmd->summary);
    if (description != NULL) {
        g_string_append(s, ".PP\n");
        roff_paragraphs(s, description);
    }
    g_string_append(s, ".SH OPTIONS\n");
    for (const GOptionEntry *e = cmd->entries; e != NULL && e->long_name != NULL; e++) {
        if (e->flags & G_OPTION_FLAG_HIDDEN)
            continue;
        g_string_append(s, ".TP\n");
        option_head(s, e);
        roff_text(s, e->description != NULL ? e->description : "");
        g_string_append_c(s, '\n');
    }
    g_string_append(s, ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow the command's options\n");
    examples_of(s, cmd->name);
    exit_status(s);
    if (loads_plugins(cmd->name))
        environment(s);
    see_also(s, page, strcmp(cmd->name, "new-plugin") == 0 || g_str_has_prefix(cmd->name, "check"));
    if (ctx != NULL)
        g_option_context_free(ctx);
    fputs(s->str, out);
    g_string_free(s, TRUE);
    g_free(page);
}

/* ---- the program ---- */

void ppo_cli_man_program(FILE *out, const ppo_cli_command_t *const *commands)
{
    GString *s = g_string_new(NULL);
    title(s, "ppofw", 1, "ppofw Manual");
    g_string_append(s, ".SH NAME\nppofw \\- Proximal Policy Optimization with plugins\n"
                       ".SH SYNOPSIS\n.B ppofw\n\\fICOMMAND\\fR [\\fIOPTION\\fR...]\n"
                       ".br\n.B ppofw\n\\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR\n"
                       ".SH DESCRIPTION\n");
    roff_paragraphs(s, "ppofw trains reinforcement-learning agents with Proximal Policy "
                       "Optimization. A small core runs the loop (collect, estimate advantages,\n"
                       "clip-update, repeat); envs, policy networks, advantage estimators and\n"
                       "optimizers are plugins: shared objects named in a YAML pipeline.\n\n"
                       "Each command has its own page, ppofw-COMMAND(1), and its own help,\n"
                       "ppofw help COMMAND.");
    g_string_append(s, ".SH COMMANDS\n");
    for (const ppo_cli_command_t *const *c = commands; *c != NULL; c++) {
        g_string_append(s, ".TP\n\\fB");
        roff_text(s, (*c)->name);
        g_string_append(s, "\\fR ");
        roff_text(s, (*c)->args);
        g_string_append_c(s, '\n');
        roff_text(s, (*c)->summary);
        g_string_append(s, "; see\n.BR ppofw\\-");
        roff_text(s, (*c)->name);
        g_string_append(s, " (1).\n");
    }
    g_string_append(s, ".SH OPTIONS\n"
                       ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nlist the commands\n"
                       ".TP\n\\fB\\-\\-version\\fR\nshow the version and the plugin ABI\n");
    exit_status(s);
    environment(s);
    g_string_append(s, ".SH FILES\n.TP\n.I ");
    roff_text(s, PPO_PKGLIBDIR "/plugins");
    g_string_append(s, "\nthe installed plugins\n.TP\n.I ");
    roff_text(s, PPO_PKGDATADIR "/configs");
    g_string_append(s, "\nready pipelines, one per task\n.TP\n.I ");
    roff_text(s, PPO_DOCDIR);
    g_string_append(s, "\nthe documentation, and the example plugins in examples/\n");
    see_also(s, "ppofw", true);
    fputs(s->str, out);
    g_string_free(s, TRUE);
}
