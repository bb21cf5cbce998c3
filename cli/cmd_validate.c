/* ppofw CLI — `ppofw validate`: check a pipeline and load its plugins without training. */
#include "config.h"

#include <stdio.h>

#include "cli_private.h"
#include "ppo_pipeline_private.h"
#include "ppo_plugin_private.h"
#include "ppo_session_private.h"

static char **sets;
static char **plugin_path;
static gboolean print_resolved;

static GOptionEntry validate_entries[] = {
    {"set", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &sets, "override a pipeline key, as for run",
     "KEY=VALUE"},
    {"plugin-path", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_path,
     "look for plugins in DIR first (repeatable)", "DIR"},
    {"print", 'p', 0, G_OPTION_ARG_NONE, &print_resolved,
     "print the resolved pipeline (defaults filled in) to stdout", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *validate_context(void)
{
    GOptionContext *ctx = g_option_context_new("PIPELINE - check a pipeline without training");
    g_option_context_set_summary(ctx, "Validates every key, loads and checks the four plugins,\n"
                                      "validates their params and makes one env instance.");
    g_option_context_add_main_entries(ctx, validate_entries, NULL);
    g_option_context_add_main_entries(ctx, ppo_cli_plugin_entries, NULL);
    return ctx;
}

static int validate_main(int argc, char **argv)
{
    int code = PPO_EXIT_OK;
    GOptionContext *ctx = validate_context();
    if (!ppo_cli_parse(ctx, &argc, &argv, &code) ||
        !ppo_cli_check_utf8("--set", sets, &code))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "ppofw: validate takes one PIPELINE file; see ppofw validate --help\n");
        code = PPO_EXIT_USAGE;
        goto out;
    }
    GError *error = NULL;
    ppo_pipeline_t *pl = ppo_pipeline_load(argv[1], (const char *const *)sets, &error);
    if (pl == NULL) {
        code = ppo_cli_fail(error);
        goto out;
    }
    ppo_cli_print_notes(pl);
    ppo_search_t *search = ppo_search_new((const char *const *)plugin_path);
    ppo_session_t *s = ppo_session_open(pl, search, &error);
    if (s == NULL) {
        code = ppo_cli_fail(error);
    } else {
        ppo_space_t obs = {0}, act = {0};
        void *env = ppo_session_env_new(s, &obs, &act, &error);
        if (env == NULL) {
            code = ppo_cli_fail(error);
        } else {
            if (print_resolved) {
                char *yaml = ppo_session_resolved_yaml(s);
                fputs(yaml, stdout);
                g_free(yaml);
            }
            fprintf(stderr,
                    "ppofw: %s is valid: env %s (obs %u, %s %u), policy %s, advantage %s, "
                    "optimizer %s\n",
                    argv[1], s->env->name, obs.dim,
                    act.kind == PPO_SPACE_DISCRETE ? "discrete" : "box",
                    act.kind == PPO_SPACE_DISCRETE ? act.n : act.dim, s->policy->name,
                    s->advantage->name, s->optimizer->name);
            ppo_plugin_enter(s->env, "destroy");
            s->env->vt.env.destroy(env);
            ppo_plugin_leave();
        }
        ppo_session_free(s);
    }
    ppo_search_free(search);
    ppo_pipeline_free(pl);
out:
    g_option_context_free(ctx);
    g_strfreev(sets);
    g_strfreev(plugin_path);
    return code;
}

const ppo_cli_command_t ppo_cli_validate_command = {
    "validate",    "PIPELINE",       "check a pipeline and its plugins without training",
    validate_main, validate_context, validate_entries,
};
