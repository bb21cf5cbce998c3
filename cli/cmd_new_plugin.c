/* ppofw CLI — `ppofw new-plugin KIND NAME`: write a plugin skeleton that builds against the
 * installed SDK.
 *
 * Writes DIR/NAME/NAME.c (a small, complete plugin of the kind: an env, with --image one whose
 * observations are a uint8 image, a linear policy with export_c, a one-step TD advantage, an
 * SGD-with-momentum optimizer), a Makefile using only `pkg-config --cflags --libs ppofw`
 * (targets: build, check, train, install) and NAME.yaml, a pipeline that trains with the new
 * plugin and shipped ones. The templates are the files of cli/templates/ with @NAME@ (and, in
 * the Makefile and pipeline, the kind's parts) to fill in, compiled into the program as
 * GResources; tests build every one against a staged install and run its checks. Refuses to
 * overwrite files unless --force.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cli_private.h"
#include "ppo_cli_resources.h"

/* ---- templates ---- */

/* The templates are files in cli/templates/, compiled into the program as GResources (cli/local.mk)
 * and read from there by name. */
#define TEMPLATES "/org/ppofw/cli/templates/"

/* The template `name` as a string (transfer full), or NULL when the program lacks it. */
static char *template_text(const char *name)
{
    static gsize registered = 0;
    if (g_once_init_enter(&registered)) {
        ppo_cli_register_resource();
        g_once_init_leave(&registered, 1);
    }
    char *path = g_strconcat(TEMPLATES, name, NULL);
    GBytes *bytes = g_resource_lookup_data(ppo_cli_get_resource(), path,
                                           G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
    g_free(path);
    if (bytes == NULL)
        return NULL;
    gsize len = 0;
    const char *data = g_bytes_get_data(bytes, &len);
    char *text = g_strndup(data, len);
    g_bytes_unref(bytes);
    return text;
}

/* What differs between the four kinds outside NAME.c. */
typedef struct kind_parts {
    const char *kind;       /* "env", ... */
    const char *source;     /* the NAME.c template's file in cli/templates/ */
    const char *check_doc;  /* Makefile comment: what `make check` runs besides validate */
    const char *check_rule; /* Makefile recipe lines for the checker, or "" */
    const char *env;        /* the pipeline's plugins */
    const char *policy;
    const char *policy_params; /* the policy's params line, or "" */
    const char *advantage;
    const char *optimizer;
    const char *lr;
    const char *steps; /* ppo.total_steps */
} kind_parts_t;

#define MLP_PARAMS "  params: { pi_hidden: [64, 64], vf_hidden: [64, 64] }\n"

static const kind_parts_t kinds[] = {
    {"env", "env.c", " and run ppofw check-env on the plugin",
     "\t$(PPOFW) check-env ./@NAME@.so\n", "@NAME@", "mlp", MLP_PARAMS, "gae", "adam", "3.0e-4",
     "20000"},
    {"policy", "policy.c", " and run ppofw check-policy on the plugin",
     "\t$(PPOFW) check-policy ./@NAME@.so\n", "cartpole", "@NAME@", "", "gae", "adam", "1.0e-2",
     "20000"},
    {"advantage", "advantage.c", "", "", "cartpole", "mlp", MLP_PARAMS, "@NAME@", "adam",
     "3.0e-4", "20000"},
    {"optimizer", "optimizer.c", "", "", "cartpole", "mlp", MLP_PARAMS, "gae", "@NAME@", "1.0e-3",
     "20000"},
};

static char *dir_option;
static gboolean force;
static gboolean image;

static GOptionEntry new_plugin_entries[] = {
    {"dir", 'd', 0, G_OPTION_ARG_FILENAME, &dir_option,
     "create the plugin's directory NAME inside DIR (default: the current directory)", "DIR"},
    {"force", 0, 0, G_OPTION_ARG_NONE, &force, "overwrite files that exist", NULL},
    {"image", 0, 0, G_OPTION_ARG_NONE, &image,
     "env only: observations are a uint8 image (channels, height, width) instead of floats",
     NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *new_plugin_context(void)
{
    GOptionContext *ctx =
        g_option_context_new("env|policy|advantage|optimizer NAME - write a plugin skeleton");
    g_option_context_set_summary(
        ctx, "Writes NAME/NAME.c, NAME/Makefile and NAME/NAME.yaml: a small working plugin of\n"
             "the kind, a Makefile that builds it with `pkg-config --cflags --libs ppofw`\n"
             "(make, make check, make train, make install) and a pipeline that trains with it.\n"
             "NAME is the plugin's name and C prefix: [a-z][a-z0-9_]*. With --image, the env\n"
             "observes a uint8 (C, H, W) image, as MinAtar and Atari envs do.");
    g_option_context_add_main_entries(ctx, new_plugin_entries, NULL);
    return ctx;
}

/* `text` with every "@KEY@" of the NULL-terminated (key, value) pairs replaced (transfer
 * full). */
static char *fill(const char *text, const char *const *pairs)
{
    GString *out = g_string_new(NULL);
    const char *c = text;
    while (*c != '\0') {
        const char *at = strchr(c, '@');
        if (at == NULL) {
            g_string_append(out, c);
            break;
        }
        g_string_append_len(out, c, at - c);
        const char *value = NULL;
        size_t key_len = 0;
        for (const char *const *p = pairs; *p != NULL && value == NULL; p += 2) {
            key_len = strlen(p[0]);
            if (strncmp(at + 1, p[0], key_len) == 0 && at[1 + key_len] == '@')
                value = p[1];
        }
        if (value != NULL) {
            g_string_append(out, value);
            c = at + key_len + 2;
        } else {
            g_string_append_c(out, '@');
            c = at + 1;
        }
    }
    return g_string_free(out, FALSE);
}

static bool name_ok(const char *name)
{
    if (!g_ascii_islower(name[0]) || strlen(name) > 64)
        return false;
    for (const char *c = name; *c != '\0'; c++)
        if (!(g_ascii_islower(*c) || g_ascii_isdigit(*c) || *c == '_'))
            return false;
    return true;
}

static bool write_file(const char *path, const char *text, GError **error)
{
    if (!force && g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s exists; choose another NAME or --dir, or pass --force to overwrite it",
                    path);
        return false;
    }
    if (!g_file_set_contents(path, text, -1, error)) {
        g_prefix_error(error, "%s: ", path);
        return false;
    }
    return true;
}

static int new_plugin_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    char *dir = NULL;
    char *paths[3] = {NULL, NULL, NULL};
    char *texts[3] = {NULL, NULL, NULL};
    GOptionContext *ctx = new_plugin_context();
    if (!ppo_cli_parse(ctx, &argc, &argv, &code))
        goto out;
    const kind_parts_t *k = NULL;
    for (size_t i = 0; argc == 3 && i < G_N_ELEMENTS(kinds); i++)
        if (strcmp(argv[1], kinds[i].kind) == 0)
            k = &kinds[i];
    if (argc != 3 || k == NULL) {
        fprintf(stderr, "ppofw: new-plugin takes a KIND (env, policy, advantage or optimizer) and "
                        "a NAME, e.g. ppofw new-plugin env gridworld\n");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    if (image && strcmp(k->kind, "env") != 0) {
        fprintf(stderr, "ppofw: new-plugin: --image is for an env (image observations), not a %s\n",
                k->kind);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    const char *name = argv[2];
    if (!name_ok(name)) {
        fprintf(stderr,
                "ppofw: new-plugin: \"%s\" cannot name a plugin: use a lowercase letter "
                "then lowercase letters, digits and '_' (it prefixes C names), e.g. "
                "my_env\n",
                name);
        code = PPO_EXIT_USAGE;
        goto out;
    }

    /* fill the templates: the kind's parts first, since they contain @NAME@ */
    const char *const parts[] = {
        "KIND",       k->kind,       "CHECK_DOC",     k->check_doc,
        "CHECK_RULE", k->check_rule, "ENV",           k->env,
        "POLICY",     k->policy,     "POLICY_PARAMS", k->policy_params,
        "ADVANTAGE",  k->advantage,  "OPTIMIZER",     k->optimizer,
        "LR",         k->lr,         "STEPS",         k->steps,
        NULL,
    };
    /* the guide is named at its installed place */
    const char *const names[] = {"NAME", name, "DOCDIR", PPO_DOCDIR, NULL};
    const char *const templates[3] = {image ? "env_image.c" : k->source, "Makefile",
                                      "pipeline.yaml"};
    for (int i = 0; i < 3; i++) {
        char *text = template_text(templates[i]);
        if (text == NULL) {
            fprintf(stderr, "ppofw: new-plugin: this program lacks its template %s (a broken "
                            "build: rebuild ppofw)\n",
                    templates[i]);
            code = PPO_EXIT_INTERNAL;
            goto out;
        }
        char *partly = fill(text, parts);
        texts[i] = fill(partly, names);
        g_free(partly);
        g_free(text);
    }
    dir = g_build_filename(dir_option != NULL ? dir_option : ".", name, NULL);
    char *c_file = g_strconcat(name, ".c", NULL), *yaml_file = g_strconcat(name, ".yaml", NULL);
    paths[0] = g_build_filename(dir, c_file, NULL);
    paths[1] = g_build_filename(dir, "Makefile", NULL);
    paths[2] = g_build_filename(dir, yaml_file, NULL);
    g_free(c_file);
    g_free(yaml_file);

    GError *error = NULL;
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        fprintf(stderr, "ppofw: new-plugin: cannot create %s: %s\n", dir, g_strerror(errno));
        code = PPO_EXIT_IO;
        goto out;
    }
    for (int i = 0; i < 3; i++) {
        if (!write_file(paths[i], texts[i], &error)) {
            code = ppo_cli_fail(error);
            goto out;
        }
    }
    fprintf(stderr,
            "ppofw: wrote the %s plugin %s: %s, %s and %s\n"
            "  next: cd %s && make && make check && make train\n",
            k->kind, name, paths[0], paths[1], paths[2], dir);
out:
    for (int i = 0; i < 3; i++) {
        g_free(paths[i]);
        g_free(texts[i]);
    }
    g_free(dir);
    g_option_context_free(ctx);
    g_free(dir_option);
    dir_option = NULL;
    force = FALSE;
    image = FALSE;
    return code;
}

const ppo_cli_command_t ppo_cli_new_plugin_command = {
    "new-plugin",
    "KIND NAME",
    "write a plugin skeleton with a Makefile and a test pipeline",
    new_plugin_main,
    new_plugin_context,
    new_plugin_entries,
};
