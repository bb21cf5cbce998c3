/* ppofw CLI — `ppofw check-env` and `ppofw check-policy`: run the core's plugin checkers on one
 * plugin and exit non-zero when any check failed.
 *
 * Each check prints one line as it is decided ("ok", "WARN", "skip" or "FAIL", an id, what was
 * found) on stdout; the closing summary lists what failed and why. Exit codes: 0 when nothing
 * failed, 3 when a check failed or the plugin cannot be loaded, 2 for usage errors (bad
 * --params included). Leaves out the checks themselves (core/ppo_check.c,
 * core/ppo_check_policy.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli_private.h"
#include "ppo_check_private.h"
#include "ppo_plugin_private.h"
#include "ppo_session_private.h"
#include "ppo_space_private.h"
#include "ppo_signal_private.h"

/* More threads than this test nothing more and can exhaust a process limit. */
#define PPO_CHECK_MAX_THREADS 256

typedef struct {
    char *params;
    char **plugin_path;
    gint64 seed;
    gint episodes;
    gint threads;
    char *env;        /* check-policy --env */
    char *env_params; /* check-policy --env-params */
} check_args_t;

static check_args_t args = {.seed = 1, .episodes = 10, .threads = 4};

static GOptionEntry env_entries[] = {
    {"params", 'p', 0, G_OPTION_ARG_STRING, &args.params,
     "the env's params as YAML flow, e.g. '{size: 7}' (default: all defaults)", "YAML"},
    {"episodes", 'n', 0, G_OPTION_ARG_INT, &args.episodes,
     "random-action episodes for the bounds and finiteness checks (default 10)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &args.seed, "root seed of the checker's streams (default 1)",
     "S"},
    {"threads", 0, 0, G_OPTION_ARG_INT, &args.threads,
     "instances stepped at once in the thread check (default 4)", "K"},
    {"plugin-path", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.plugin_path,
     "look for plugins in DIR first (repeatable)", "DIR"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionEntry policy_entries[] = {
    {"params", 'p', 0, G_OPTION_ARG_STRING, &args.params,
     "the policy's params as YAML flow, e.g. '{pi_hidden: [32]}' (default: all defaults)", "YAML"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &args.seed,
     "root seed of the checker's streams and batches (default 1)", "S"},
    {"env", 'e', 0, G_OPTION_ARG_STRING, &args.env,
     "check for the spaces of this env plugin (name or path) instead of every space kind", "ENV"},
    {"env-params", 0, 0, G_OPTION_ARG_STRING, &args.env_params,
     "the env's params as YAML flow, e.g. '{size: 7}' (with --env)", "YAML"},
    {"plugin-path", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.plugin_path,
     "look for plugins in DIR first (repeatable)", "DIR"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static GOptionContext *check_env_context(void)
{
    GOptionContext *ctx = g_option_context_new("NAME - check an env plugin");
    g_option_context_set_summary(
        ctx, "Checks that the env's spaces are valid; reset with the same seed repeats and\n"
             "different seeds differ; observations stay finite and inside the declared box\n"
             "(the first violation is reported with its episode and step); rewards are\n"
             "finite; episodes end (terminated, or by the time limit); reset after an episode\n"
             "end works (the core's auto-reset); get_state/set_state round-trip if offered;\n"
             "and several instances run at once on threads as they do alone.\n"
             "NAME is a plugin name or a path to a .so. Exits 3 if any check fails.");
    g_option_context_add_main_entries(ctx, env_entries, NULL);
    g_option_context_add_main_entries(ctx, ppo_cli_plugin_entries, NULL);
    return ctx;
}

static GOptionContext *check_policy_context(void)
{
    GOptionContext *ctx = g_option_context_new("NAME - check a policy plugin");
    g_option_context_set_summary(
        ctx, "For every space kind of the plugin contract (flat observations with discrete, box\n"
             "and multi-discrete actions; uint8 image observations with discrete actions), or\n"
             "for the spaces of --env ENV, a space the policy refuses being skipped: the segment\n"
             "table covers exactly what the policy reads and writes; act, value and evaluate\n"
             "agree and are finite; act repeats with the same streams; backward matches finite\n"
             "differences through logp, entropy, KL and value and adds into its output; two\n"
             "workspaces, their calls interleaved in fixed orders, give the results of each\n"
             "alone, bit for bit; optional parts and state work; export_c's file compiles with\n"
             "the system's C compiler ($CC, or cc) and computes act's deterministic actions.\n"
             "A recurrent policy is also checked for carrying its state, resetting it at\n"
             "episode starts, and act stepped through a sequence agreeing with evaluate; its\n"
             "gradients are checked through time.\n"
             "NAME is a plugin name or a path to a .so. Exits 3 if any check fails.");
    g_option_context_add_main_entries(ctx, policy_entries, NULL);
    g_option_context_add_main_entries(ctx, ppo_cli_plugin_entries, NULL);
    return ctx;
}

static void args_clear(void)
{
    g_free(args.params);
    g_free(args.env);
    g_free(args.env_params);
    g_strfreev(args.plugin_path);
    args = (check_args_t){.seed = 1, .episodes = 10, .threads = 4};
}

static int check_main(int argc, char **argv, ppo_kind_t kind, GOptionContext *ctx)
{
    int code = PPO_EXIT_OK;
    const char *cmd = argv[0];
    ppo_search_t *search = NULL;
    ppo_params_t *params = NULL, *env_params = NULL;
    const ppo_plugin_t *env = NULL;
    void *env_inst = NULL;
    ppo_space_t env_obs, env_act;
    if (!ppo_cli_parse(ctx, &argc, &argv, &code))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "ppofw: %s takes one plugin NAME (or path to a .so); see ppofw %s --help\n",
                cmd, cmd);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    if (args.episodes < 1 || args.threads < 2 || args.threads > PPO_CHECK_MAX_THREADS ||
        args.seed < 0) {
        fprintf(stderr,
                "ppofw: %s: --episodes must be >= 1, --threads in [2, %d] and --seed >= 0\n",
                cmd, PPO_CHECK_MAX_THREADS);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    GError *error = NULL;
    search = ppo_search_new((const char *const *)args.plugin_path);
    ppo_plugin_t *p = ppo_plugin_load(search, argv[1], NULL, &error);
    if (p == NULL) {
        code = ppo_cli_fail(error);
        goto out;
    }
    if (p->kind != kind) {
        const char *use = p->kind == PPO_KIND_ENV      ? "use ppofw check-env"
                          : p->kind == PPO_KIND_POLICY ? "use ppofw check-policy"
                                                       : "only env and policy plugins have "
                                                         "checkers";
        fprintf(stderr, "ppofw: %s: \"%s\" (%s) is %s %s plugin; %s\n", cmd, p->name, p->path,
                p->kind == PPO_KIND_POLICY ? "a" : "an", ppo_kind_name(p->kind), use);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    params = ppo_check_params(p, args.params, "--params", &error);
    if (params == NULL) {
        code = ppo_cli_fail(error);
        goto out;
    }
    if (args.env_params != NULL && args.env == NULL) {
        fprintf(stderr, "ppofw: %s: --env-params needs --env ENV\n", cmd);
        code = PPO_EXIT_USAGE;
        goto out;
    }
    if (args.env != NULL) {
        /* the spaces of a real env, from an instance kept alive while the checks run */
        env = ppo_plugin_load(search, args.env, NULL, &error);
        if (env == NULL) {
            code = ppo_cli_fail(error);
            goto out;
        }
        if (env->kind != PPO_KIND_ENV) {
            fprintf(stderr, "ppofw: %s: --env \"%s\" (%s) is a %s plugin, not an env\n", cmd,
                    env->name, env->path, ppo_kind_name(env->kind));
            code = PPO_EXIT_USAGE;
            goto out;
        }
        env_params = ppo_check_params(env, args.env_params, "--env-params", &error);
        if (env_params == NULL) {
            code = ppo_cli_fail(error);
            goto out;
        }
        env_inst = ppo_env_new_with_spaces(env, env_params, &env_obs, &env_act, &error);
        if (env_inst == NULL) {
            code = ppo_cli_fail(error);
            goto out;
        }
    }

    /* a crash inside the plugin is reported with its name (exit 3) */
    ppo_signals_install_crash();
    char *flow = ppo_params_to_flow(params);
    printf("%s %s (%s), version %s, params %s, seed %" G_GINT64_FORMAT "\n", cmd, p->name, p->path,
           p->version, flow, args.seed);
    g_free(flow);
    ppo_check_report_t *report = ppo_check_report_new(stdout);
    if (kind == PPO_KIND_ENV) {
        ppo_check_env_options_t opt = ppo_check_env_defaults();
        opt.seed = (uint64_t)args.seed;
        opt.episodes = (uint32_t)args.episodes;
        opt.threads = (uint32_t)args.threads;
        ppo_check_env(p, params, &opt, report);
    } else {
        ppo_check_policy_options_t opt = ppo_check_policy_defaults();
        opt.seed = (uint64_t)args.seed;
        if (env_inst != NULL) {
            char *os = ppo_space_describe(&env_obs), *as = ppo_space_describe(&env_act);
            printf("spaces of env %s: observation %s, action %s\n", env->name, os, as);
            g_free(os);
            g_free(as);
            opt.env_obs = &env_obs;
            opt.env_act = &env_act;
            opt.env_name = env->name;
        }
        ppo_check_policy(p, params, &opt, report);
    }
    char *what = g_strdup_printf("%s %s", cmd, p->name);
    ppo_check_summary(report, what, stdout);
    if (ppo_check_count(report, PPO_CHECK_FAIL) > 0) {
        fprintf(stderr, "ppofw: %s: %u of %u checks failed (listed above)\n", what,
                ppo_check_count(report, PPO_CHECK_FAIL), report->items->len);
        code = PPO_EXIT_PLUGIN;
    }
    g_free(what);
    ppo_check_report_free(report);
out:
    if (env_inst != NULL) {
        ppo_plugin_enter(env, "destroy");
        env->vt.env.destroy(env_inst);
        ppo_plugin_leave();
    }
    ppo_params_free(env_params);
    ppo_params_free(params);
    ppo_search_free(search);
    g_option_context_free(ctx);
    args_clear();
    return code;
}

static int check_env_main(int argc, char **argv)
{
    return check_main(argc, argv, PPO_KIND_ENV, check_env_context());
}

static int check_policy_main(int argc, char **argv)
{
    return check_main(argc, argv, PPO_KIND_POLICY, check_policy_context());
}

const ppo_cli_command_t ppo_cli_check_env_command = {
    "check-env",
    "NAME",
    "check an env plugin: spaces, seeding, bounds, state, threads",
    check_env_main,
    check_env_context,
    env_entries,
};

const ppo_cli_command_t ppo_cli_check_policy_command = {
    "check-policy",
    "NAME",
    "check a policy plugin: gradients, determinism, workspaces, export",
    check_policy_main,
    check_policy_context,
    policy_entries,
};
