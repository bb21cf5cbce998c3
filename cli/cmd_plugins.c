/* ppofw CLI — `ppofw plugins`: what plugins this ppofw finds, what each one takes, and the
 * pipeline reference.
 *
 * `ppofw plugins` lists every plugin in the search path (kind, name, version, file, one-line
 * description), the directories searched, the files that failed to load and why, and why the
 * MuJoCo envs are missing when they were not built. `ppofw plugins info NAME` prints one
 * plugin's parameters from its schema and, for an env, the spaces and time limit of an instance
 * made with the default params. `ppofw plugins --markdown` prints docs/pipeline-reference.md:
 * the pipeline's own sections and every plugin found, from the same schemas the validator uses,
 * with nothing machine-specific in it.
 *
 * Leaves out: the checks of a plugin's behaviour (cmd_check.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_private.h"
#include "ppo_check_private.h"
#include "ppo_pipeline_private.h"
#include "ppo_plugin_private.h"
#include "ppo_signal_private.h"
#include "ppo_space_private.h"

static char **plugin_path;
static gboolean markdown;

static GOptionEntry plugins_entries[] = {
    {"plugin-path", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_path,
     "look for plugins in DIR first (repeatable)", "DIR"},
    {"markdown", 0, 0, G_OPTION_ARG_NONE, &markdown,
     "print the pipeline reference (docs/pipeline-reference.md) for the plugins found", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *plugins_context(void)
{
    GOptionContext *ctx = g_option_context_new("[info NAME] - list plugins, or describe one");
    g_option_context_set_summary(
        ctx, "Without arguments: every plugin found (kind, name, version, file, description),\n"
             "the directories searched and the files that failed to load.\n"
             "info NAME: the plugin's parameters (type, default, allowed values, doc) and, for\n"
             "an env, its spaces and time limit with the default params.\n"
             "NAME may be a path to a .so.");
    g_option_context_add_main_entries(ctx, plugins_entries, NULL);
    return ctx;
}

/* ---- schema text ---- */

static const char *type_name(ppo_param_type_t type)
{
    switch (type) {
    case PPO_PARAM_INT:
        return "int";
    case PPO_PARAM_DOUBLE:
        return "double";
    case PPO_PARAM_BOOL:
        return "bool";
    case PPO_PARAM_STRING:
        return "string";
    case PPO_PARAM_ENUM:
        return "enum";
    case PPO_PARAM_INT_LIST:
        return "int list";
    case PPO_PARAM_DOUBLE_LIST:
        return "double list";
    default:
        return "?";
    }
}

static void append_number(GString *s, double v, bool is_int)
{
    if (is_int && fabs(v) < 1e15)
        g_string_append_printf(s, "%.0f", v);
    else
        g_string_append_printf(s, "%g", v);
}

/* The allowed values of a parameter: "(0, 1]", ">= 1", "tanh, relu", "any"; ", or null". */
static char *allowed_text(const ppo_param_spec_t *spec)
{
    GString *s = g_string_new(NULL);
    const bool is_int = spec->type == PPO_PARAM_INT || spec->type == PPO_PARAM_INT_LIST;
    const bool lo = spec->flags & PPO_PARAM_HAS_MIN, hi = spec->flags & PPO_PARAM_HAS_MAX;
    switch (spec->type) {
    case PPO_PARAM_BOOL:
        g_string_append(s, "true, false");
        break;
    case PPO_PARAM_STRING:
        g_string_append(s, "any string");
        break;
    case PPO_PARAM_ENUM:
        for (const char *const *c = spec->choices; c != NULL && *c != NULL; c++)
            g_string_append_printf(s, "%s%s", c == spec->choices ? "" : ", ", *c);
        break;
    default:
        if (spec->type == PPO_PARAM_INT_LIST || spec->type == PPO_PARAM_DOUBLE_LIST) {
            if (spec->flags & PPO_PARAM_NONEMPTY)
                g_string_append(s, "non-empty; ");
            g_string_append(s, lo || hi ? "each " : is_int ? "integers" : "numbers");
            if (!lo && !hi)
                break;
        }
        if (lo && hi) {
            g_string_append_c(s, spec->flags & PPO_PARAM_MIN_EXCLUSIVE ? '(' : '[');
            append_number(s, spec->min, is_int);
            g_string_append(s, ", ");
            append_number(s, spec->max, is_int);
            g_string_append_c(s, spec->flags & PPO_PARAM_MAX_EXCLUSIVE ? ')' : ']');
        } else if (lo) {
            g_string_append(s, spec->flags & PPO_PARAM_MIN_EXCLUSIVE ? "> " : ">= ");
            append_number(s, spec->min, is_int);
        } else if (hi) {
            g_string_append(s, spec->flags & PPO_PARAM_MAX_EXCLUSIVE ? "< " : "<= ");
            append_number(s, spec->max, is_int);
        } else {
            g_string_append(s, is_int ? "any integer" : "any number");
        }
    }
    if (spec->flags & PPO_PARAM_NULLABLE)
        g_string_append(s, ", or null");
    return g_string_free(s, FALSE);
}

static const char *default_text(const ppo_param_spec_t *spec)
{
    return spec->default_value != NULL ? spec->default_value : "(required)";
}

/* ---- spaces ---- */

static void append_space(GString *s, const ppo_space_t *sp)
{
    char *what = ppo_space_describe(sp);
    g_string_append(s, what);
    g_free(what);
    if (sp->kind != PPO_SPACE_BOX)
        return;
    bool same = true;
    for (uint32_t i = 1; i < sp->dim; i++)
        same &= sp->low[i] == sp->low[0] && sp->high[i] == sp->high[0];
    if (same) {
        g_string_append_printf(s, ", each in [%g, %g]", sp->low[0], sp->high[0]);
    } else if (sp->dim <= 8) {
        g_string_append(s, ", in");
        for (uint32_t i = 0; i < sp->dim; i++)
            g_string_append_printf(s, "%s [%g, %g]", i > 0 ? " x" : "", sp->low[i], sp->high[i]);
    } else {
        g_string_append(s, ", bounds differ per component");
    }
}

/* Make one instance of an env with its default params and describe its spaces into *obs and
 * *act; false with *why set when that is not possible. */
static bool probe_env(const ppo_plugin_t *p, char **obs, char **act, char **why)
{
    GError *error = NULL;
    ppo_params_t *params = ppo_check_params(p, NULL, "default params", &error);
    if (params == NULL) {
        *why = g_strdup_printf("no instance with the default params: %s", error->message);
        g_error_free(error);
        return false;
    }
    ppo_plugin_enter(p, "create");
    void *inst = p->vt.env.create(&p->host, params);
    ppo_plugin_leave();
    bool ok = false;
    if (inst == NULL) {
        char *reason = ppo_host_take_error();
        *why = g_strdup_printf("create with the default params failed: %s",
                               reason != NULL ? reason : "no reason given");
        g_free(reason);
        goto out;
    }
    ppo_space_t o = {.struct_size = sizeof(ppo_space_t)};
    ppo_space_t a = {.struct_size = sizeof(ppo_space_t)};
    ppo_plugin_enter(p, "spaces");
    int rc = p->vt.env.spaces(inst, &o, &a);
    ppo_plugin_leave();
    GString *problems = g_string_new(NULL);
    if (rc == 0) {
        ppo_space_normalize(&o, true);
        ppo_space_normalize(&a, false);
        ppo_space_problems(&o, true, problems);
        ppo_space_problems(&a, false, problems);
    }
    const bool sane = rc == 0 && problems->len == 0;
    g_string_free(problems, TRUE);
    if (!sane) {
        char *reason = ppo_host_take_error();
        *why = g_strdup_printf("its spaces are not valid%s%s (run ppofw check-env %s)",
                               reason != NULL ? ": " : "", reason != NULL ? reason : "", p->name);
        g_free(reason);
    } else {
        GString *so = g_string_new(NULL), *sa = g_string_new(NULL);
        append_space(so, &o);
        append_space(sa, &a);
        *obs = g_string_free(so, FALSE);
        *act = g_string_free(sa, FALSE);
        ok = true;
    }
    ppo_plugin_enter(p, "destroy");
    p->vt.env.destroy(inst);
    ppo_plugin_leave();
out:
    ppo_params_free(params);
    return ok;
}

/* ---- probing in a child process ---- */

/* How long a probe may take before the file is called hanging. */
#define PROBE_SECONDS 20

/* Load `path` (and, for an env, make one instance with its default params) in a child process
 * first, as GStreamer's plugin scanner does: a file that crashes there (in its constructors,
 * ppo_plugin_entry, create, spaces or destroy) or hangs is reported and never loaded into this
 * process, and the listing goes on. A file that merely fails to load is left to the loader,
 * whose message says why. */
static bool probe_file(const char *path, char **why)
{
    int fds[2];
    if (pipe(fds) != 0)
        return true; /* cannot probe: load it as before */
    (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return true;
    }
    if (pid == 0) {
        /* the child: its messages go to the parent, its exit code says how it went */
        dup2(fds[1], STDERR_FILENO);
        const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null_fd >= 0)
            dup2(null_fd, STDOUT_FILENO);
        ppo_signals_set_advice("probed in a child process");
        GError *error = NULL;
        ppo_plugin_t *p = ppo_plugin_load_file(path, &error);
        if (p == NULL)
            _exit(2);
        if (p->kind == PPO_KIND_ENV) {
            char *obs = NULL, *act = NULL, *reason = NULL;
            probe_env(p, &obs, &act, &reason);
        }
        _exit(0);
    }
    close(fds[1]);
    /* read what it says until it ends or the time is up */
    GString *said = g_string_new(NULL);
    const gint64 deadline = g_get_monotonic_time() + PROBE_SECONDS * G_USEC_PER_SEC;
    bool timed_out = false;
    for (;;) {
        const gint64 left = deadline - g_get_monotonic_time();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        const int n = poll(&pfd, 1, (int)MIN(left / 1000 + 1, 1000));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        char buf[1024];
        const ssize_t got = read(fds[0], buf, sizeof(buf));
        if (got <= 0)
            break;
        if (said->len < 8192)
            g_string_append_len(said, buf, got);
    }
    close(fds[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    bool ok = true;
    if (timed_out) {
        *why = g_strdup_printf("did not finish loading within %d s in a child process (it hangs "
                               "in its constructors, ppo_plugin_entry or, for an env, create, "
                               "spaces or destroy); not loaded",
                               PROBE_SECONDS);
        ok = false;
    } else if (WIFSIGNALED(status)) {
        *why = g_strdup_printf("killed by signal %d (%s) while loading in a child process; not "
                               "loaded",
                               WTERMSIG(status), g_strsignal(WTERMSIG(status)));
        ok = false;
    } else if (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 2) {
        /* the crash handler's line: keep from "crashed" (or what it said) to the advice */
        const char *from = strstr(said->str, "crashed");
        if (from == NULL)
            from = strstr(said->str, "called exit()") != NULL ? "called exit() while loading"
                                                              : NULL;
        char *text = g_strdup(from != NULL ? from : "ended with an error while loading");
        char *cut = strstr(text, "; probed in a child process");
        if (cut != NULL)
            *cut = '\0';
        g_strchomp(text);
        *why = g_strdup_printf("%s (in a child process; not loaded)", text);
        g_free(text);
        ok = false;
    }
    g_string_free(said, TRUE);
    return ok;
}

/* ---- listing ---- */

static gint by_kind_then_name(gconstpointer a, gconstpointer b)
{
    const ppo_plugin_t *pa = *(const ppo_plugin_t *const *)a;
    const ppo_plugin_t *pb = *(const ppo_plugin_t *const *)b;
    if (pa->kind != pb->kind)
        return (int)pa->kind - (int)pb->kind;
    return strcmp(pa->name, pb->name);
}

static void print_mujoco_note(void)
{
#ifndef PPO_HAVE_MUJOCO
    printf("\nMuJoCo envs (half_cheetah, hopper, walker2d, ant, inverted_pendulum): not built; "
           "configure found no MuJoCo (mujoco/mujoco.h and -lmujoco) or was run with "
           "--without-mujoco. Install libmujoco-dev and run configure again.\n");
#endif
}

static int list_plugins(const ppo_search_t *search)
{
    GPtrArray *failures = NULL;
    GPtrArray *plugins = ppo_plugin_list_probed(search, probe_file, &failures);
    g_ptr_array_sort(plugins, by_kind_then_name);
    int wn = 4, wv = 7, wf = 4;
    for (guint i = 0; i < plugins->len; i++) {
        const ppo_plugin_t *p = g_ptr_array_index(plugins, i);
        wn = MAX(wn, (int)strlen(p->name));
        wv = MAX(wv, (int)strlen(p->version));
        wf = MAX(wf, (int)strlen(p->path));
    }
    if (plugins->len == 0)
        printf("No plugins found.\n");
    else
        printf("%-9s  %-*s  %-*s  %-*s  %s\n", "KIND", wn, "NAME", wv, "VERSION", wf, "FILE",
               "DESCRIPTION");
    for (guint i = 0; i < plugins->len; i++) {
        const ppo_plugin_t *p = g_ptr_array_index(plugins, i);
        printf("%-9s  %-*s  %-*s  %-*s  %s\n", ppo_kind_name(p->kind), wn, p->name, wv, p->version,
               wf, p->path, p->description);
    }
    printf("\nSearched, in order:\n");
    for (guint i = 0; i < ppo_search_len(search); i++) {
        const char *origin = NULL;
        const char *dir = ppo_search_dir(search, i, &origin);
        printf("  %s (%s)%s\n", dir, origin,
               g_file_test(dir, G_FILE_TEST_IS_DIR) ? "" : " - does not exist");
    }
    if (failures->len > 0) {
        printf("\nFiles that failed to load:\n");
        for (guint i = 0; i < failures->len; i++)
            printf("  %s\n", (const char *)g_ptr_array_index(failures, i));
    }
    print_mujoco_note();
    g_ptr_array_free(failures, TRUE);
    g_ptr_array_free(plugins, TRUE);
    return PPO_EXIT_OK;
}

/* ---- info ---- */

static void print_optional(const ppo_plugin_t *p)
{
    GString *s = g_string_new(NULL);
    if (p->kind == PPO_KIND_ENV) {
        const ppo_env_vtable_t *vt = &p->vt.env;
        if (vt->state_size != NULL)
            g_string_append(s, ", state (get_state/set_state: exact resume)");
        if (vt->render_text != NULL)
            g_string_append(s, ", render_text (eval --render text)");
        if (vt->render_rgb != NULL)
            g_string_append(s, ", render (render_size/render_rgb: recorded episodes)");
    } else if (p->kind == PPO_KIND_POLICY) {
        const ppo_policy_vtable_t *vt = &p->vt.policy;
        if (vt->segment_part != NULL)
            g_string_append(s, ", parts (segment_part/evaluate_part/backward_part: the "
                               "distribution and the value as two tasks)");
        if (vt->recurrent != NULL)
            g_string_append(s, ", recurrent (state per env, trained on sequences)");
        if (vt->export_c != NULL)
            g_string_append(s, ", export_c (ppofw export)");
        if (vt->forward_flops != NULL)
            g_string_append(s, ", forward_flops (ppofw bench)");
        if (vt->reset_noise != NULL)
            g_string_append(s, ", reset_noise (per-env exploration noise)");
        if (vt->state_size != NULL)
            g_string_append(s, ", state (per-env state saved in checkpoints)");
    }
    if (p->kind == PPO_KIND_ENV || p->kind == PPO_KIND_POLICY)
        printf("  optional:    %s\n", s->len > 0 ? s->str + 2 : "none");
    g_string_free(s, TRUE);
}

static int plugin_info(const ppo_search_t *search, const char *name)
{
    GError *error = NULL;
    /* a file that crashes or hangs when loaded is probed apart first */
    char *file = ppo_plugin_find(search, name, NULL);
    char *refused = NULL;
    if (file != NULL && !probe_file(file, &refused)) {
        fprintf(stderr, "ppofw: %s: %s; fix the plugin (run it under gdb or valgrind)\n", file,
                refused);
        g_free(refused);
        g_free(file);
        return PPO_EXIT_PLUGIN;
    }
    g_free(file);
    ppo_plugin_t *p = ppo_plugin_load(search, name, NULL, &error);
    if (p == NULL)
        return ppo_cli_fail(error);
    printf("%s: %s plugin, version %s, plugin ABI %u.%u\n", p->name, ppo_kind_name(p->kind),
           p->version, p->abi_major, p->abi_minor);
    printf("  %s\n", p->description);
    printf("  file:        %s\n", p->path);
    if (p->kind == PPO_KIND_ENV) {
        char *obs = NULL, *act = NULL, *why = NULL;
        if (probe_env(p, &obs, &act, &why)) {
            printf("  observation: %s\n  action:      %s\n", obs, act);
        } else {
            printf("  spaces:      unknown: %s\n", why);
        }
        if (p->vt.env.max_episode_steps > 0)
            printf("  time limit:  %u steps (max_episode_steps; env.max_episode_steps in a "
                   "pipeline overrides it)\n",
                   p->vt.env.max_episode_steps);
        else
            printf("  time limit:  none registered (set env.max_episode_steps in a pipeline)\n");
        g_free(obs);
        g_free(act);
        g_free(why);
    }
    print_optional(p);
    if (p->n_specs == 0) {
        printf("\nNo parameters: its params: block must be empty.\n");
        return PPO_EXIT_OK;
    }
    int wn = 4, wt = 4, wdef = 7, wa = 7;
    char **allowed = g_new0(char *, p->n_specs + 1);
    for (uint32_t i = 0; i < p->n_specs; i++) {
        const ppo_param_spec_t *s = &p->specs[i];
        allowed[i] = allowed_text(s);
        wn = MAX(wn, (int)strlen(s->name));
        wt = MAX(wt, (int)strlen(type_name(s->type)));
        wdef = MAX(wdef, (int)strlen(default_text(s)));
        wa = MAX(wa, (int)strlen(allowed[i]));
    }
    printf("\nParameters (the params: block of its pipeline section):\n");
    printf("  %-*s  %-*s  %-*s  %-*s  %s\n", wn, "NAME", wt, "TYPE", wdef, "DEFAULT", wa, "ALLOWED",
           "DESCRIPTION");
    for (uint32_t i = 0; i < p->n_specs; i++) {
        const ppo_param_spec_t *s = &p->specs[i];
        printf("  %-*s  %-*s  %-*s  %-*s  %s\n", wn, s->name, wt, type_name(s->type), wdef,
               default_text(s), wa, allowed[i], s->doc != NULL ? s->doc : "");
    }
    g_strfreev(allowed);
    return PPO_EXIT_OK;
}

/* ---- the pipeline reference ---- */

/* Markdown table cell text: '|' escaped, newlines flattened. */
static void md_cell(GString *out, const char *text)
{
    for (const char *c = text != NULL ? text : ""; *c != '\0'; c++) {
        if (*c == '|')
            g_string_append(out, "\\|");
        else if (*c == '\n')
            g_string_append_c(out, ' ');
        else
            g_string_append_c(out, *c);
    }
}

static void md_table(GString *out, const ppo_param_spec_t *specs, uint32_t n, const char *first,
                     const char *params_row)
{
    g_string_append_printf(out, "| %s | type | default | allowed | description |\n", first);
    g_string_append(out, "| --- | --- | --- | --- | --- |\n");
    for (uint32_t i = 0; i < n; i++) {
        const ppo_param_spec_t *s = &specs[i];
        char *allowed = allowed_text(s);
        g_string_append_printf(out, "| `%s` | %s | ", s->name, type_name(s->type));
        if (s->default_value != NULL) {
            g_string_append_c(out, '`');
            md_cell(out, s->default_value);
            g_string_append_c(out, '`');
        } else {
            g_string_append(out, "required");
        }
        g_string_append(out, " | ");
        md_cell(out, allowed);
        g_string_append(out, " | ");
        md_cell(out, s->doc);
        g_string_append(out, " |\n");
        g_free(allowed);
    }
    if (params_row != NULL)
        g_string_append_printf(out, "| `params` | mapping | `{}` | the plugin's schema | %s |\n",
                               params_row);
}

static const char *kind_title(ppo_kind_t kind)
{
    switch (kind) {
    case PPO_KIND_ENV:
        return "Env plugins";
    case PPO_KIND_POLICY:
        return "Policy plugins";
    case PPO_KIND_ADVANTAGE:
        return "Advantage plugins";
    default:
        return "Optimizer plugins";
    }
}

static void md_pipeline(GString *out)
{
    g_string_append(out, "## Pipeline sections\n\n"
                         "A pipeline file is a YAML mapping with the top-level keys below and "
                         "one mapping per section. Sections marked optional may be left out; "
                         "every key inside a section may be left out unless its default says "
                         "required. An unknown key is an error that names the nearest valid "
                         "one.\n\n");
    for (guint i = 0; i < ppo_pipeline_n_sections(); i++) {
        const char *name = NULL;
        uint32_t n = 0;
        bool required = false, has_params = false;
        const ppo_param_spec_t *specs = ppo_pipeline_section(i, &name, &n, &required, &has_params);
        if (*name == '\0')
            g_string_append(out, "### Top level\n\n");
        else
            g_string_append_printf(out, "### `%s` (%s)\n\n", name,
                                   required ? "required" : "optional");
        char *params_row =
            has_params ? g_strdup_printf("parameters of the %s plugin: see its section under "
                                         "Plugins below",
                                         name)
                       : NULL;
        md_table(out, specs, n, "key", params_row);
        g_free(params_row);
        g_string_append_c(out, '\n');
    }
}

static void md_plugin(GString *out, const ppo_plugin_t *p)
{
    g_string_append_printf(out, "#### `%s`\n\n", p->name);
    md_cell(out, p->description);
    g_string_append_printf(out, ". Version %s.", p->version);
    if (p->kind == PPO_KIND_ENV) {
        char *obs = NULL, *act = NULL, *why = NULL;
        if (probe_env(p, &obs, &act, &why))
            g_string_append_printf(out, " Observation %s; action %s.", obs, act);
        if (p->vt.env.max_episode_steps > 0)
            g_string_append_printf(out, " Time limit %u steps.", p->vt.env.max_episode_steps);
        else
            g_string_append(out, " No registered time limit.");
        g_free(obs);
        g_free(act);
        g_free(why);
    }
    g_string_append(out, "\n\n");
    if (p->n_specs == 0)
        g_string_append(out, "No parameters.\n\n");
    else {
        md_table(out, p->specs, p->n_specs, "parameter", NULL);
        g_string_append_c(out, '\n');
    }
}

static int print_markdown(const ppo_search_t *search)
{
    GPtrArray *failures = NULL;
    GPtrArray *plugins = ppo_plugin_list_probed(search, probe_file, &failures);
    g_ptr_array_sort(plugins, by_kind_then_name);
    GString *out = g_string_new(NULL);
    g_string_append(out,
                    "# Pipeline reference\n\n"
                    "<!-- Generated by `ppofw plugins --markdown` from the pipeline's own schema "
                    "and the schemas of the shipped plugins. Do not edit: change the schemas and "
                    "run `make update-pipeline-reference`. -->\n\n"
                    "Every key a pipeline file accepts, and every parameter of the shipped "
                    "plugins, from the same tables the validator checks a pipeline against. "
                    "`ppofw plugins info NAME` prints the same for any plugin, including your "
                    "own. A test keeps this page equal to the generator's output.\n\n"
                    "Columns: *default* is the value an absent key takes (*required* when it "
                    "must be given); *allowed* is the range or the choices the validator "
                    "accepts, with `(` `)` for an excluded bound.\n\n");
    md_pipeline(out);
    g_string_append(out, "## Plugins\n\n"
                         "A plugin's parameters go in the `params:` mapping of its section, "
                         "e.g. `advantage: { plugin: gae, params: { gamma: 0.99 } }`.\n\n");
    ppo_kind_t kind = 0;
    for (guint i = 0; i < plugins->len; i++) {
        const ppo_plugin_t *p = g_ptr_array_index(plugins, i);
        if (p->kind != kind) {
            kind = p->kind;
            g_string_append_printf(out, "### %s\n\n", kind_title(kind));
        }
        md_plugin(out, p);
    }
    /* one trailing newline */
    while (out->len > 1 && out->str[out->len - 1] == '\n' && out->str[out->len - 2] == '\n')
        g_string_truncate(out, out->len - 1);
    fputs(out->str, stdout);
    g_string_free(out, TRUE);
    for (guint i = 0; i < failures->len; i++)
        fprintf(stderr, "ppofw: warning: left out %s\n",
                (const char *)g_ptr_array_index(failures, i));
    g_ptr_array_free(failures, TRUE);
    g_ptr_array_free(plugins, TRUE);
    return PPO_EXIT_OK;
}

static int plugins_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    GOptionContext *ctx = plugins_context();
    if (!ppo_cli_parse(ctx, &argc, &argv, &code))
        goto out;
    const bool info = argc >= 2 && strcmp(argv[1], "info") == 0;
    if (!(argc == 1 || (info && argc == 3)) || (info && markdown)) {
        fprintf(stderr,
                "ppofw: plugins takes no argument, or `info NAME`%s; see ppofw plugins "
                "--help\n",
                info && argc != 3 ? " (one NAME)" : "");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    ppo_search_t *search = ppo_search_new((const char *const *)plugin_path);
    if (info)
        code = plugin_info(search, argv[2]);
    else if (markdown)
        code = print_markdown(search);
    else
        code = list_plugins(search);
    ppo_search_free(search);
out:
    g_option_context_free(ctx);
    g_strfreev(plugin_path);
    return code;
}

const ppo_cli_command_t ppo_cli_plugins_command = {
    "plugins",    "[info NAME]",   "list the plugins found, or describe one",
    plugins_main, plugins_context, plugins_entries,
};
