/* ppofw tests — core/ppo_pipeline.c: the pipeline schema, --set overrides and cross-key rules.
 *
 * A minimal valid pipeline must resolve every default of DESIGN.md §5; each way of breaking it
 * (a missing section, an unknown key at each level, a wrong type, a value out of range, a bad
 * choice, minibatches that do not divide the batch) must be refused with exit code 2 and a
 * message "file:line:col: key: ..." that carries the fix (the nearest spelling, the divisors).
 * --set overrides are checked the same way, and the resolved YAML must parse back to the same
 * pipeline. What it leaves out: plugins (no plugin is loaded here; see test_ppo_loader.c and
 * tests/cli/test_cli_errors.c) and YAML syntax (test_ppo_yaml.c).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "ppo_pipeline_private.h"
#include "ppo_test.h"

/* The smallest valid pipeline; the line numbers below refer to it. */
#define L_ENV "env:\n"                      /* line 1 */
#define L_ENV_PLUGIN "  plugin: cartpole\n" /* line 2 */
#define L_POLICY "policy:\n"                /* line 3 */
#define L_POLICY_PLUGIN "  plugin: mlp\n"   /* line 4 */
#define L_ADV "advantage:\n"                /* line 5 */
#define L_ADV_PLUGIN "  plugin: gae\n"      /* line 6 */
#define L_OPT "optimizer:\n"                /* line 7 */
#define L_OPT_PLUGIN "  plugin: adam\n"     /* line 8 */
#define L_PPO "ppo:\n"                      /* line 9 */
#define L_PPO_TOTAL "  total_steps: 1000\n" /* line 10 */
#define MINIMAL                                                                                    \
    L_ENV L_ENV_PLUGIN L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO        \
        L_PPO_TOTAL

/* The four plugin sections on four lines (1-4), for tests that write their own ppo section. */
#define PLUGINS_FLOW                                                                               \
    "env: {plugin: cartpole}\n"                                                                    \
    "policy: {plugin: mlp}\n"                                                                      \
    "advantage: {plugin: gae}\n"                                                                   \
    "optimizer: {plugin: adam}\n"

/* Parse `text` as "t.yaml" in directory /pipelines with `overrides` (NULL-terminated or NULL). */
static ppo_pipeline_t *parse(const char *text, const char *const *overrides, GError **error)
{
    return ppo_pipeline_parse("t.yaml", "/pipelines", text, strlen(text), overrides, error);
}

static ppo_pipeline_t *parse_ok(const char *text, const char *const *overrides)
{
    GError *error = NULL;
    ppo_pipeline_t *p = parse(text, overrides, &error);
    ck_assert_msg(p != NULL, "refused: %s\n--- pipeline:\n%s", error != NULL ? error->message : "",
                  text);
    return p;
}

/* Fail unless `text` with `overrides` is refused with exit code 2 and a one-line message that
 * starts with `prefix` and contains each of the NULL-terminated parts that follow. */
static void expect_refused(const char *text, const char *const *overrides, const char *prefix, ...)
{
    GError *error = NULL;
    ppo_pipeline_t *p = parse(text, overrides, &error);
    ck_assert_msg(p == NULL, "accepted:\n%s", text);
    ck_assert_msg(error != NULL, "refused without an error:\n%s", text);
    const char *msg = error->message;
    ck_assert_msg(ppo_error_exit_code(error) == 2, "exit code %d for \"%s\"",
                  ppo_error_exit_code(error), msg);
    ck_assert_msg(g_str_has_prefix(msg, prefix), "message \"%s\" does not start with \"%s\"", msg,
                  prefix);
    ck_assert_msg(strchr(msg, '\n') == NULL, "message \"%s\" is more than one line", msg);
    va_list ap;
    va_start(ap, prefix);
    for (const char *part = va_arg(ap, const char *); part != NULL; part = va_arg(ap, const char *))
        ck_assert_msg(strstr(msg, part) != NULL, "message \"%s\" lacks \"%s\"", msg, part);
    va_end(ap);
    g_error_free(error);
}

/* One --set override applied to MINIMAL must be refused like expect_refused says. */
#define expect_set_refused(arg, ...)                                                               \
    do {                                                                                           \
        const char *const sets_[] = {(arg), NULL};                                                 \
        expect_refused(MINIMAL, sets_, __VA_ARGS__);                                               \
    } while (0)

/* ---- a valid pipeline ---- */

START_TEST(test_pipeline_minimal_resolves_every_default)
{
    ppo_pipeline_t *p = parse_ok(MINIMAL, NULL);
    ck_assert_str_eq(p->name, "t");
    ck_assert_uint_eq(p->seed, 1);
    ck_assert_str_eq(p->env.plugin, "cartpole");
    ck_assert_str_eq(p->policy.plugin, "mlp");
    ck_assert_str_eq(p->advantage.plugin, "gae");
    ck_assert_str_eq(p->optimizer.plugin, "adam");
    ck_assert_ptr_null(p->env.params);
    ck_assert_uint_eq(p->num_envs, 8);
    ck_assert_uint_eq(p->max_episode_steps, 0);
    ck_assert_uint_eq(p->ppo.total_steps, 1000);
    ck_assert_uint_eq(p->ppo.rollout_steps, 128);
    ck_assert_uint_eq(p->ppo.epochs, 4);
    ck_assert_uint_eq(p->ppo.minibatches, 4);
    ck_assert_double_eq(p->ppo.clip, 0.2);
    ck_assert_int_eq(p->ppo.clip_schedule, PPO_SCHEDULE_CONSTANT);
    ck_assert_int_eq(p->ppo.lr_schedule, PPO_SCHEDULE_LINEAR);
    ck_assert_int_eq(p->ppo.objective, PPO_OBJECTIVE_CLIP);
    ck_assert_double_eq(p->ppo.kl_penalty_target, 0.01);
    ck_assert_double_eq(p->ppo.kl_penalty_beta, 1.0);
    ck_assert_double_eq(p->ppo.vf_coef, 0.5);
    ck_assert(isnan(p->ppo.vf_clip));
    ck_assert_double_eq(p->ppo.ent_coef, 0.0);
    ck_assert_double_eq(p->ppo.max_grad_norm, 0.5);
    ck_assert_int_eq(p->ppo.normalize_advantages, PPO_ADVNORM_MINIBATCH);
    ck_assert(isnan(p->ppo.target_kl));
    ck_assert_uint_eq(p->ppo.threads, 0);
    ck_assert(!p->normalize.obs);
    ck_assert(!p->normalize.reward);
    ck_assert_double_eq(p->normalize.clip_obs, 10.0);
    ck_assert_double_eq(p->normalize.clip_reward, 10.0);
    ck_assert(isnan(p->normalize.gamma));
    ck_assert_double_eq(p->normalize.epsilon, 1e-8);
    ck_assert_double_eq(p->checkpoint.every_seconds, 60.0);
    ck_assert_uint_eq(p->checkpoint.every_steps, 0);
    ck_assert_uint_eq(p->checkpoint.keep, 3);
    ck_assert_uint_eq(p->eval.every_steps, 0);
    ck_assert_uint_eq(p->eval.episodes, 10);
    ck_assert(p->eval.deterministic);
    ck_assert_uint_eq(p->log.every_iterations, 1);
    ck_assert(p->log.tensorboard);
    ck_assert_int_eq(p->on_nan, PPO_ON_NAN_STOP);
    /* positions of given values, and of defaults (their section) */
    char *where = ppo_pipeline_where(p, "ppo.total_steps");
    ck_assert_str_eq(where, "t.yaml:10:16: ppo.total_steps: ");
    g_free(where);
    where = ppo_pipeline_where(p, "ppo.minibatches");
    ck_assert_str_eq(where, "t.yaml:10:3: ppo.minibatches: ");
    g_free(where);
    ck_assert_uint_eq(p->env.plugin_mark.line, 2);
    ck_assert_uint_eq(p->env.plugin_mark.col, 11);
    ppo_pipeline_free(p);
}
END_TEST

START_TEST(test_pipeline_load_reads_a_file_and_names_the_run_after_it)
{
    char *path = ppo_test_data_path("pipelines/minimal.yaml");
    GError *error = NULL;
    ppo_pipeline_t *p = ppo_pipeline_load(path, NULL, &error);
    ck_assert_msg(p != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_str_eq(p->name, "minimal");
    ck_assert_str_eq(p->path, path);
    char *dir = g_path_get_dirname(path);
    ck_assert_str_eq(p->dir, dir);
    ck_assert_uint_eq(p->ppo.total_steps, 1000);
    g_free(dir);
    ppo_pipeline_free(p);
    g_free(path);
}
END_TEST

START_TEST(test_pipeline_explicit_values_replace_defaults)
{
    ppo_pipeline_t *p = parse_ok("name: exp-1\nseed: 42\non_nan: skip_update\n" PLUGINS_FLOW
                                 "ppo: {total_steps: 1e6, rollout_steps: 64, minibatches: 8,\n"
                                 "      objective: kl_penalty, target_kl: 0.02, vf_clip: 0.2,\n"
                                 "      max_grad_norm: null, lr_schedule: constant}\n"
                                 "normalize: {obs: true, gamma: 0.9}\n"
                                 "checkpoint: {every_seconds: null, every_steps: 5000}\n"
                                 "eval: {every_steps: 10000, episodes: 3, deterministic: false}\n"
                                 "log: {every_iterations: 5, tensorboard: false}\n",
                                 NULL);
    ck_assert_str_eq(p->name, "exp-1");
    ck_assert_uint_eq(p->seed, 42);
    ck_assert_int_eq(p->on_nan, PPO_ON_NAN_SKIP_UPDATE);
    ck_assert_uint_eq(p->ppo.total_steps, 1000000);
    ck_assert_uint_eq(p->ppo.minibatches, 8);
    ck_assert_int_eq(p->ppo.objective, PPO_OBJECTIVE_KL_PENALTY);
    ck_assert_double_eq(p->ppo.target_kl, 0.02);
    ck_assert_double_eq(p->ppo.vf_clip, 0.2);
    ck_assert(isnan(p->ppo.max_grad_norm));
    ck_assert_int_eq(p->ppo.lr_schedule, PPO_SCHEDULE_CONSTANT);
    ck_assert(p->normalize.obs);
    ck_assert_double_eq(p->normalize.gamma, 0.9);
    ck_assert(isnan(p->checkpoint.every_seconds));
    ck_assert_uint_eq(p->checkpoint.every_steps, 5000);
    ck_assert_uint_eq(p->eval.every_steps, 10000);
    ck_assert_uint_eq(p->eval.episodes, 3);
    ck_assert(!p->eval.deterministic);
    ck_assert_uint_eq(p->log.every_iterations, 5);
    ck_assert(!p->log.tensorboard);
    ppo_pipeline_free(p);
}
END_TEST

/* ---- missing and empty ---- */

START_TEST(test_pipeline_missing_each_required_section_is_named_with_a_fix)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
         "env: missing section; add \"env:\" with a plugin"},
        {L_ENV L_ENV_PLUGIN L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
         "policy: missing section; add \"policy:\" with a plugin"},
        {L_ENV L_ENV_PLUGIN L_POLICY L_POLICY_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
         "advantage: missing section; add \"advantage:\" with a plugin"},
        {L_ENV L_ENV_PLUGIN L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN L_PPO L_PPO_TOTAL,
         "optimizer: missing section; add \"optimizer:\" with a plugin"},
        {L_ENV L_ENV_PLUGIN L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN,
         "ppo: missing section; add \"ppo:\" with at least total_steps"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_refused(cases[i].text, NULL, "t.yaml:1:1: ", cases[i].message, NULL);
}
END_TEST

START_TEST(test_pipeline_section_key_without_value_is_missing_at_its_key)
{
    expect_refused(
        L_ENV L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
        NULL, "t.yaml:1:1: ", "env: missing section", NULL);
    expect_refused(L_ENV L_ENV_PLUGIN L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN
                   "ppo: ~\n",
                   NULL, "t.yaml:9:1: ", "ppo: missing section", NULL);
}
END_TEST

START_TEST(test_pipeline_missing_required_keys_are_named_with_their_type)
{
    expect_refused("env: {num_envs: 4}\npolicy: {plugin: mlp}\nadvantage: {plugin: gae}\n"
                   "optimizer: {plugin: adam}\nppo: {total_steps: 1}\n",
                   NULL, "t.yaml:1:6: env.plugin: ", "missing; add \"plugin:\"", NULL);
    expect_refused(PLUGINS_FLOW "ppo:\n  epochs: 2\n", NULL, "t.yaml:6:3: ppo.total_steps: ",
                   "missing; add \"total_steps:\" with an integer in [1, 1000000000000000]", NULL);
}
END_TEST

START_TEST(test_pipeline_empty_text_says_which_sections_it_needs)
{
    expect_refused("", NULL, "t.yaml: ", "the pipeline is empty",
                   "env, policy, advantage, optimizer and ppo", NULL);
    expect_refused("# nothing but a comment\n", NULL, "t.yaml: ", "the pipeline is empty", NULL);
}
END_TEST

START_TEST(test_pipeline_that_is_not_a_mapping_is_refused)
{
    expect_refused("- env\n- ppo\n", NULL, "t.yaml:1:1: ", "expected a mapping, got a list", NULL);
    expect_refused("cartpole\n", NULL, "t.yaml:1:1: ", "expected a mapping, got \"cartpole\"",
                   NULL);
}
END_TEST

/* ---- unknown keys ---- */

START_TEST(test_pipeline_unknown_top_level_key_suggests_the_nearest)
{
    expect_refused(
        L_ENV L_ENV_PLUGIN
        "polcy:\n" L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
        NULL, "t.yaml:3:1: ", "unknown key \"polcy\" in the pipeline", "did you mean \"policy\"?",
        NULL);
    expect_refused("sed: 3\n" MINIMAL, NULL, "t.yaml:1:1: ", "unknown key \"sed\"",
                   "did you mean \"seed\"?", NULL);
    expect_refused(MINIMAL "normalise: {obs: true}\n", NULL,
                   "t.yaml:11:1: ", "unknown key \"normalise\"", "did you mean \"normalize\"?",
                   NULL);
}
END_TEST

START_TEST(test_pipeline_unknown_top_level_key_without_near_spelling_lists_the_keys)
{
    expect_refused(MINIMAL "learning_rate: 3\n", NULL,
                   "t.yaml:11:1: ", "unknown key \"learning_rate\" in the pipeline",
                   "name, seed, on_nan, env, policy, advantage, optimizer, ppo, normalize, "
                   "checkpoint, eval, log",
                   NULL);
}
END_TEST

START_TEST(test_pipeline_unknown_key_in_a_section_suggests_the_nearest)
{
    expect_refused(L_ENV L_ENV_PLUGIN "  num_env: 4\n" L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN
                       L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
                   NULL, "t.yaml:3:3: ", "unknown key \"num_env\" in env",
                   "did you mean \"num_envs\"?", NULL);
    expect_refused(PLUGINS_FLOW "ppo:\n  total_step: 1000\n", NULL,
                   "t.yaml:6:3: ", "unknown key \"total_step\" in ppo",
                   "did you mean \"total_steps\"?", NULL);
    expect_refused(MINIMAL "  minibatch: 4\n", NULL,
                   "t.yaml:11:3: ", "unknown key \"minibatch\" in ppo",
                   "did you mean \"minibatches\"?", NULL);
}
END_TEST

START_TEST(test_pipeline_unknown_key_in_a_nested_block_suggests_the_nearest)
{
    expect_refused(
        L_ENV L_ENV_PLUGIN L_POLICY L_POLICY_PLUGIN
        "  parms: {pi_hidden: [64]}\n" L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
        NULL, "t.yaml:5:3: ", "unknown key \"parms\" in policy", "did you mean \"params\"?", NULL);
    expect_refused(MINIMAL "normalize: {obs: true, clip_ob: 5}\n", NULL,
                   "t.yaml:11:24: ", "unknown key \"clip_ob\" in normalize",
                   "did you mean \"clip_obs\"?", NULL);
    expect_refused(MINIMAL "checkpoint:\n  every_step: 100\n", NULL,
                   "t.yaml:12:3: ", "unknown key \"every_step\" in checkpoint",
                   "did you mean \"every_steps\"?", NULL);
    expect_refused(MINIMAL "eval: {episode: 5}\n", NULL,
                   "t.yaml:11:8: ", "unknown key \"episode\" in eval", "did you mean \"episodes\"?",
                   NULL);
    expect_refused(MINIMAL "log: {tensorbord: false}\n", NULL,
                   "t.yaml:11:7: ", "unknown key \"tensorbord\" in log",
                   "did you mean \"tensorboard\"?", NULL);
}
END_TEST

/* ---- wrong types ---- */

START_TEST(test_pipeline_wrong_types_are_refused_with_what_was_expected)
{
    expect_refused("name: [a]\n" MINIMAL, NULL,
                   "t.yaml:1:7: name: ", "expected a string, or null, got a list", NULL);
    expect_refused("seed: abc\n" MINIMAL, NULL, "t.yaml:1:7: seed: ",
                   "expected an integer in [0, 9000000000000000000], got \"abc\"", NULL);
    expect_refused(L_ENV L_ENV_PLUGIN "  num_envs: eight\n" L_POLICY L_POLICY_PLUGIN L_ADV
                       L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
                   NULL, "t.yaml:3:13: env.num_envs: ",
                   "expected an integer in [1, 65536], got \"eight\"", NULL);
    expect_refused(L_ENV "  plugin: {name: cartpole}\n" L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN
                       L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
                   NULL, "t.yaml:2:11: env.plugin: ", "expected a string, got a mapping", NULL);
    expect_refused(PLUGINS_FLOW "ppo: [1000]\n", NULL,
                   "t.yaml:5:6: ppo: ", "expected a mapping, got a list", NULL);
    expect_refused(MINIMAL "normalize: {obs: yes}\n", NULL,
                   "t.yaml:11:18: normalize.obs: ", "expected true or false, got \"yes\"", NULL);
    expect_refused(MINIMAL "  clip: \"0.2\"\n", NULL,
                   "t.yaml:11:9: ppo.clip: ", "write the number without quotes", NULL);
}
END_TEST

START_TEST(test_pipeline_plugin_params_that_are_not_a_mapping_are_refused)
{
    expect_refused(
        L_ENV L_ENV_PLUGIN L_POLICY L_POLICY_PLUGIN
        "  params: [64, 64]\n" L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
        NULL, "t.yaml:5:11: policy.params: ", "expected a mapping of parameters, got a list", NULL);
    expect_refused(L_ENV L_ENV_PLUGIN "  params: 3\n" L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN
                       L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
                   NULL, "t.yaml:3:11: env.params: ", "expected a mapping of parameters, got \"3\"",
                   NULL);
}
END_TEST

START_TEST(test_pipeline_plugin_section_written_as_a_name_is_refused_at_the_section)
{
    expect_refused("env: cartpole\n" L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN
                       L_PPO L_PPO_TOTAL,
                   NULL, "t.yaml:1:6: env: ", "expected a mapping, got \"cartpole\"", NULL);
}
END_TEST

/* Naming the plugin directly as the section ("env: cartpole") gets the fix in the message. */
START_TEST(test_pipeline_plugin_section_written_as_a_name_gets_the_fix)
{
    expect_refused("env: cartpole\n" L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN L_OPT L_OPT_PLUGIN
                       L_PPO L_PPO_TOTAL,
                   NULL, "t.yaml:1:6: env: ", "plugin: cartpole", NULL);
}
END_TEST

/* ---- values out of range ---- */

START_TEST(test_pipeline_out_of_range_values_are_refused_with_the_range)
{
    expect_refused(L_ENV L_ENV_PLUGIN "  num_envs: 0\n" L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN
                       L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
                   NULL, "t.yaml:3:13: env.num_envs: ",
                   "expected an integer in [1, 65536], got \"0\" (out of range)", NULL);
    expect_refused(L_ENV L_ENV_PLUGIN "  num_envs: -8\n" L_POLICY L_POLICY_PLUGIN L_ADV L_ADV_PLUGIN
                       L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
                   NULL, "t.yaml:3:13: env.num_envs: ", "got \"-8\" (out of range)", NULL);
    expect_refused(MINIMAL "  rollout_steps: -128\n", NULL, "t.yaml:11:18: ppo.rollout_steps: ",
                   "expected an integer in [1, 100000000], got \"-128\" (out of range)", NULL);
    expect_refused(PLUGINS_FLOW "ppo: {total_steps: -1}\n", NULL,
                   "t.yaml:5:20: ppo.total_steps: ", "got \"-1\" (out of range)", NULL);
    expect_refused("seed: -1\n" MINIMAL, NULL, "t.yaml:1:7: seed: ",
                   "expected an integer in [0, 9000000000000000000], got \"-1\" (out of range)",
                   NULL);
    expect_refused(MINIMAL "  epochs: 0\n", NULL, "t.yaml:11:11: ppo.epochs: ",
                   "expected an integer in [1, 10000], got \"0\" (out of range)", NULL);
    expect_refused(MINIMAL "  clip: 0\n", NULL, "t.yaml:11:9: ppo.clip: ",
                   "expected a number in (0, 1], got \"0\" (out of range)", NULL);
    expect_refused(L_ENV L_ENV_PLUGIN "  max_episode_steps: 0\n" L_POLICY L_POLICY_PLUGIN L_ADV
                       L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
                   NULL, "t.yaml:3:22: env.max_episode_steps: ",
                   "expected an integer >= 1, or null, got \"0\" (out of range)", NULL);
    expect_refused(MINIMAL "normalize: {epsilon: 0}\n", NULL, "t.yaml:11:22: normalize.epsilon: ",
                   "expected a number > 0, got \"0\" (out of range)", NULL);
    expect_refused(MINIMAL "checkpoint: {keep: 0}\n", NULL, "t.yaml:11:20: checkpoint.keep: ",
                   "expected an integer in [1, 1000000], got \"0\" (out of range)", NULL);
    expect_refused(MINIMAL "  threads: 5000\n", NULL, "t.yaml:11:12: ppo.threads: ",
                   "expected an integer in [0, 1024], got \"5000\" (out of range)", NULL);
}
END_TEST

START_TEST(test_pipeline_huge_nan_and_infinite_numbers_are_refused)
{
    expect_refused(MINIMAL "  clip: 1e400\n", NULL, "t.yaml:11:9: ppo.clip: ",
                   "expected a number in (0, 1], got \"1e400\" (too large to represent)", NULL);
    expect_refused(PLUGINS_FLOW "ppo: {total_steps: 1e400}\n", NULL,
                   "t.yaml:5:20: ppo.total_steps: ", "got \"1e400\" (too large to represent)",
                   NULL);
    expect_refused(MINIMAL "  clip: .nan\n", NULL,
                   "t.yaml:11:9: ppo.clip: ", "expected a number in (0, 1], got \".nan\"", NULL);
    expect_refused(MINIMAL "  vf_coef: NaN\n", NULL,
                   "t.yaml:11:12: ppo.vf_coef: ", "expected a number >= 0, got \"NaN\"", NULL);
    expect_refused(MINIMAL "  max_grad_norm: .inf\n", NULL, "t.yaml:11:18: ppo.max_grad_norm: ",
                   "expected a number > 0, or null, got \".inf\"", NULL);
    expect_refused(MINIMAL "normalize: {clip_obs: -.inf}\n", NULL,
                   "t.yaml:11:23: normalize.clip_obs: ", "got \"-.inf\"", NULL);
}
END_TEST

/* ---- choices ---- */

START_TEST(test_pipeline_bad_choices_suggest_the_nearest)
{
    expect_refused(MINIMAL "  objective: clipp\n", NULL, "t.yaml:11:14: ppo.objective: ",
                   "expected one of clip, kl_penalty, kl_fixed, none, got \"clipp\"",
                   "did you mean \"clip\"?", NULL);
    expect_refused(MINIMAL "  normalize_advantages: batchs\n", NULL,
                   "t.yaml:11:25: ppo.normalize_advantages: ", "did you mean \"batch\"?", NULL);
    expect_refused("on_nan: skip_updates\n" MINIMAL, NULL, "t.yaml:1:9: on_nan: ",
                   "expected one of stop, skip_update, got \"skip_updates\"",
                   "did you mean \"skip_update\"?", NULL);
}
END_TEST

/* On a tie, the suggestion prefers a choice that starts with the typed word: "skip" suggests
 * "skip_update", not "stop". */
START_TEST(test_pipeline_bad_choice_that_is_a_prefix_suggests_the_choice_it_starts)
{
    expect_refused("on_nan: skip\n" MINIMAL, NULL,
                   "t.yaml:1:9: on_nan: ", "expected one of stop, skip_update, got \"skip\"",
                   "did you mean \"skip_update\"?", NULL);
}
END_TEST

START_TEST(test_pipeline_bad_choice_without_near_spelling_lists_the_choices)
{
    GError *error = NULL;
    const char *text = MINIMAL "  lr_schedule: cosine\n";
    ck_assert_ptr_null(parse(text, NULL, &error));
    ck_assert_msg(strstr(error->message, "did you mean") == NULL, "%s", error->message);
    g_error_free(error);
    expect_refused(text, NULL, "t.yaml:11:16: ppo.lr_schedule: ",
                   "expected one of constant, linear, got \"cosine\"", NULL);
}
END_TEST

/* ---- cross-key rules ---- */

START_TEST(test_pipeline_minibatches_that_do_not_divide_the_batch_list_divisors)
{
    expect_refused(MINIMAL "  minibatches: 3\n", NULL,
                   "t.yaml:11:16: ppo.minibatches: ", "3 does not divide the batch of 1024 samples",
                   "env.num_envs 8 x ppo.rollout_steps 128",
                   "use a divisor such as 2, 4, 8, 16, 32, 64", NULL);
    expect_refused("env: {plugin: cartpole, num_envs: 3}\npolicy: {plugin: mlp}\n"
                   "advantage: {plugin: gae}\noptimizer: {plugin: adam}\n"
                   "ppo: {total_steps: 100, rollout_steps: 5, minibatches: 4}\n",
                   NULL,
                   "t.yaml:5:56: ppo.minibatches: ", "4 does not divide the batch of 15 samples",
                   "such as 3, 5, 15", NULL);
    expect_refused("env: {plugin: cartpole, num_envs: 1}\npolicy: {plugin: mlp}\n"
                   "advantage: {plugin: gae}\noptimizer: {plugin: adam}\n"
                   "ppo: {total_steps: 100, rollout_steps: 4, minibatches: 8}\n",
                   NULL,
                   "t.yaml:5:56: ppo.minibatches: ", "8 does not divide the batch of 4 samples",
                   "such as 2, 4", NULL);
}
END_TEST

START_TEST(test_pipeline_default_minibatches_that_do_not_divide_point_at_the_ppo_section)
{
    expect_refused("env: {plugin: cartpole, num_envs: 3}\npolicy: {plugin: mlp}\n"
                   "advantage: {plugin: gae}\noptimizer: {plugin: adam}\n"
                   "ppo: {total_steps: 100, rollout_steps: 5}\n",
                   NULL,
                   "t.yaml:5:6: ppo.minibatches: ", "4 does not divide the batch of 15 samples",
                   "such as 3, 5, 15", NULL);
    /* a divisor is accepted */
    ppo_pipeline_t *p = parse_ok("env: {plugin: cartpole, num_envs: 3}\npolicy: {plugin: mlp}\n"
                                 "advantage: {plugin: gae}\noptimizer: {plugin: adam}\n"
                                 "ppo: {total_steps: 100, rollout_steps: 5, minibatches: 15}\n",
                                 NULL);
    ck_assert_uint_eq(p->ppo.minibatches, 15);
    ppo_pipeline_free(p);
}
END_TEST

START_TEST(test_pipeline_batch_beyond_the_limit_is_refused)
{
    expect_refused(
        "env: {plugin: cartpole, num_envs: 65536}\npolicy: {plugin: mlp}\n"
        "advantage: {plugin: gae}\noptimizer: {plugin: adam}\n"
        "ppo: {total_steps: 100, rollout_steps: 100000}\n",
        NULL, "t.yaml:5:40: ppo.rollout_steps: ", "env.num_envs 65536 x ppo.rollout_steps 100000",
        "limit of 2^31", "lower one of them", NULL);
}
END_TEST

/* ---- --set ---- */

START_TEST(test_pipeline_set_overrides_replace_and_add_values)
{
    const char *const sets[] = {"ppo.clip=0.1",
                                "env.num_envs=4",
                                "policy.params.pi_hidden=[128, 128]",
                                "seed=7",
                                "seed=9",
                                "normalize.obs=true",
                                "name=exp-a",
                                "ppo.target_kl=null",
                                NULL};
    ppo_pipeline_t *p = parse_ok(MINIMAL, sets);
    ck_assert_double_eq(p->ppo.clip, 0.1);
    ck_assert_uint_eq(p->num_envs, 4);
    ck_assert_uint_eq(p->seed, 9);
    ck_assert(p->normalize.obs);
    ck_assert_str_eq(p->name, "exp-a");
    ck_assert(isnan(p->ppo.target_kl));
    const ppo_ynode_t *hidden = ppo_ynode_get(p->policy.params, "pi_hidden");
    ck_assert_ptr_nonnull(hidden);
    ck_assert_int_eq(hidden->kind, PPO_YNODE_SEQUENCE);
    ck_assert_uint_eq(hidden->n_items, 2);
    ck_assert_str_eq(hidden->values[0]->text, "128");
    ck_assert_uint_eq(p->overrides->len, 8);
    ck_assert_str_eq(g_ptr_array_index(p->overrides, 2), "policy.params.pi_hidden=[128, 128]");
    /* an overridden value is reported at its --set */
    char *where = ppo_pipeline_where(p, "ppo.clip");
    ck_assert_str_eq(where, "--set ppo.clip=0.1: ppo.clip: ");
    g_free(where);
    ppo_pipeline_free(p);
}
END_TEST

/* A pipeline whose policy and advantage carry params (lines 1-4 as PLUGINS_FLOW). */
#define PLUGINS_WITH_PARAMS                                                                        \
    "env: {plugin: cartpole, params: {sutton_barto_reward: true}}\n"                               \
    "policy: {plugin: mlp, params: {pi_hidden: [8], vf_hidden: [8]}}\n"                            \
    "advantage: {plugin: gae, params: {gamma: 0.9}}\n"                                             \
    "optimizer: {plugin: adam}\n"                                                                  \
    "ppo: {total_steps: 1000}\n"

/* `--set policy.plugin=resmlp` on a pipeline written for mlp: mlp's params would not fit resmlp,
 * so they go, and a note says which; the other sections keep theirs. */
START_TEST(test_pipeline_set_to_another_plugin_drops_its_params_and_notes_the_keys)
{
    const char *const sets[] = {"policy.plugin=resmlp", NULL};
    ppo_pipeline_t *p = parse_ok(PLUGINS_WITH_PARAMS, sets);
    ck_assert_str_eq(p->policy.plugin, "resmlp");
    ck_assert_ptr_nonnull(p->policy.params);
    ck_assert_int_eq(p->policy.params->kind, PPO_YNODE_MAPPING);
    ck_assert_uint_eq(p->policy.params->n_items, 0);
    ck_assert_uint_eq(ppo_ynode_get(p->advantage.params, "gamma") != NULL, 1);
    ck_assert_uint_eq(p->notes->len, 1);
    const char *note = g_ptr_array_index(p->notes, 0);
    ck_assert_msg(strstr(note, "--set policy.plugin=resmlp") != NULL &&
                      strstr(note, "\"mlp\"") != NULL &&
                      strstr(note, "pi_hidden, vf_hidden") != NULL &&
                      strstr(note, "--set policy.params.NAME=VALUE") != NULL,
                  "%s", note);
    ppo_pipeline_free(p);
}
END_TEST

START_TEST(test_pipeline_set_to_the_same_plugin_by_name_or_path_keeps_its_params)
{
    const char *const sets[] = {"policy.plugin=mlp", "advantage.plugin=../build/gae.so", NULL};
    ppo_pipeline_t *p = parse_ok(PLUGINS_WITH_PARAMS, sets);
    ck_assert_uint_eq(p->policy.params->n_items, 2);
    ck_assert_uint_eq(p->advantage.params->n_items, 1);
    ck_assert_uint_eq(p->notes->len, 0);
    ppo_pipeline_free(p);
    /* a section without params swaps without a note */
    const char *const swap[] = {"optimizer.plugin=sgd", NULL};
    p = parse_ok(PLUGINS_WITH_PARAMS, swap);
    ck_assert_str_eq(p->optimizer.plugin, "sgd");
    ck_assert_uint_eq(p->notes->len, 0);
    ppo_pipeline_free(p);
}
END_TEST

START_TEST(test_pipeline_params_set_after_the_swap_belong_to_the_new_plugin)
{
    const char *const sets[] = {"policy.plugin=resmlp", "policy.params.width=32", NULL};
    ppo_pipeline_t *p = parse_ok(PLUGINS_WITH_PARAMS, sets);
    ck_assert_uint_eq(p->policy.params->n_items, 1);
    ck_assert_str_eq(ppo_ynode_get(p->policy.params, "width")->text, "32");
    ppo_pipeline_free(p);
}
END_TEST

START_TEST(test_pipeline_set_with_an_unknown_key_suggests_the_nearest)
{
    expect_set_refused("ppo.clipp=0.1", "--set ppo.clipp=0.1: ", "unknown key \"clipp\" in ppo",
                       "did you mean \"clip\"?", NULL);
    expect_set_refused("sed=3", "--set sed=3: ", "unknown key \"sed\" in the pipeline",
                       "did you mean \"seed\"?", NULL);
    expect_set_refused("normalise.obs=true",
                       "--set normalise.obs=true: ", "unknown key \"normalise\"",
                       "did you mean \"normalize\"?", NULL);
}
END_TEST

START_TEST(test_pipeline_set_with_a_bad_value_names_the_override)
{
    expect_set_refused("ppo.clip=2", "--set ppo.clip=2: ppo.clip: ",
                       "expected a number in (0, 1], got \"2\" (out of range)", NULL);
    expect_set_refused("env.num_envs=0", "--set env.num_envs=0: env.num_envs: ",
                       "expected an integer in [1, 65536], got \"0\" (out of range)", NULL);
    expect_set_refused("ppo.clip=1e400",
                       "--set ppo.clip=1e400: ppo.clip: ", "(too large to represent)", NULL);
    expect_set_refused("ppo.clip=.nan", "--set ppo.clip=.nan: ppo.clip: ", "got \".nan\"", NULL);
    expect_set_refused("ppo.objective=clipp",
                       "--set ppo.objective=clipp: ppo.objective: ", "did you mean \"clip\"?",
                       NULL);
    expect_set_refused("ppo.rollout_steps=-5",
                       "--set ppo.rollout_steps=-5: ppo.rollout_steps: ", "(out of range)", NULL);
    expect_set_refused("ppo.clip=", "--set ppo.clip=: ppo.clip: ", "got null", NULL);
    expect_set_refused("ppo=3", "--set ppo=3: ppo: ", "expected a mapping, got \"3\"", NULL);
    expect_set_refused("ppo.minibatches=3", "--set ppo.minibatches=3: ppo.minibatches: ",
                       "3 does not divide the batch of 1024 samples", "2, 4, 8", NULL);
}
END_TEST

START_TEST(test_pipeline_set_without_key_value_syntax_is_refused)
{
    expect_set_refused("ppo.clip", "--set ppo.clip: ", "expected KEY=VALUE", "--set ppo.clip=0.1",
                       NULL);
    expect_set_refused("=0.1", "--set =0.1: ", "expected KEY=VALUE", NULL);
    expect_set_refused("ppo.clip=[0.1", "--set ppo.clip=[0.1: ", "not valid YAML", NULL);
    expect_set_refused("ppo..clip=0.1", "--set ppo..clip=0.1: ", "is not a key path", NULL);
}
END_TEST

START_TEST(test_pipeline_set_through_a_scalar_names_the_key_and_its_position)
{
    expect_set_refused("env.plugin.name=x",
                       "--set env.plugin.name=x: ", "env.plugin is not a mapping", "t.yaml:2:11",
                       "\"env.plugin.name\" cannot be set", NULL);
    expect_set_refused("ppo.total_steps.x=1",
                       "--set ppo.total_steps.x=1: ", "ppo.total_steps is not a mapping",
                       "t.yaml:10:16", NULL);
}
END_TEST

START_TEST(test_pipeline_set_does_not_change_an_aliased_section_elsewhere)
{
    const char *text = MINIMAL "eval: &every {every_steps: 1000}\n"
                               "checkpoint: *every\n";
    const char *const sets[] = {"checkpoint.every_steps=500", NULL};
    ppo_pipeline_t *p = parse_ok(text, sets);
    ck_assert_uint_eq(p->checkpoint.every_steps, 500);
    ck_assert_uint_eq(p->eval.every_steps, 1000);
    ppo_pipeline_free(p);
    p = parse_ok(text, NULL);
    ck_assert_uint_eq(p->checkpoint.every_steps, 1000);
    ck_assert_uint_eq(p->eval.every_steps, 1000);
    ppo_pipeline_free(p);
}
END_TEST

/* ---- the resolved pipeline ---- */

/* Doubles equal, NaN equal to NaN. */
static bool same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void assert_same_pipeline(const ppo_pipeline_t *a, const ppo_pipeline_t *b)
{
    ck_assert_str_eq(a->name, b->name);
    ck_assert_uint_eq(a->seed, b->seed);
    ck_assert_uint_eq(a->num_envs, b->num_envs);
    ck_assert_uint_eq(a->max_episode_steps, b->max_episode_steps);
    ck_assert_uint_eq(a->ppo.total_steps, b->ppo.total_steps);
    ck_assert_uint_eq(a->ppo.rollout_steps, b->ppo.rollout_steps);
    ck_assert_uint_eq(a->ppo.epochs, b->ppo.epochs);
    ck_assert_uint_eq(a->ppo.minibatches, b->ppo.minibatches);
    ck_assert(same_double(a->ppo.clip, b->ppo.clip));
    ck_assert_int_eq(a->ppo.clip_schedule, b->ppo.clip_schedule);
    ck_assert_int_eq(a->ppo.lr_schedule, b->ppo.lr_schedule);
    ck_assert_int_eq(a->ppo.objective, b->ppo.objective);
    ck_assert(same_double(a->ppo.kl_penalty_target, b->ppo.kl_penalty_target));
    ck_assert(same_double(a->ppo.kl_penalty_beta, b->ppo.kl_penalty_beta));
    ck_assert(same_double(a->ppo.vf_coef, b->ppo.vf_coef));
    ck_assert(same_double(a->ppo.vf_clip, b->ppo.vf_clip));
    ck_assert(same_double(a->ppo.ent_coef, b->ppo.ent_coef));
    ck_assert(same_double(a->ppo.max_grad_norm, b->ppo.max_grad_norm));
    ck_assert_int_eq(a->ppo.normalize_advantages, b->ppo.normalize_advantages);
    ck_assert(same_double(a->ppo.target_kl, b->ppo.target_kl));
    ck_assert_uint_eq(a->ppo.threads, b->ppo.threads);
    ck_assert_int_eq(a->normalize.obs, b->normalize.obs);
    ck_assert_int_eq(a->normalize.reward, b->normalize.reward);
    ck_assert(same_double(a->normalize.clip_obs, b->normalize.clip_obs));
    ck_assert(same_double(a->normalize.clip_reward, b->normalize.clip_reward));
    ck_assert(same_double(a->normalize.gamma, b->normalize.gamma));
    ck_assert(same_double(a->normalize.epsilon, b->normalize.epsilon));
    ck_assert(same_double(a->checkpoint.every_seconds, b->checkpoint.every_seconds));
    ck_assert_uint_eq(a->checkpoint.every_steps, b->checkpoint.every_steps);
    ck_assert_uint_eq(a->checkpoint.keep, b->checkpoint.keep);
    ck_assert_uint_eq(a->eval.every_steps, b->eval.every_steps);
    ck_assert_uint_eq(a->eval.episodes, b->eval.episodes);
    ck_assert_int_eq(a->eval.deterministic, b->eval.deterministic);
    ck_assert_uint_eq(a->log.every_iterations, b->log.every_iterations);
    ck_assert_int_eq(a->log.tensorboard, b->log.tensorboard);
    ck_assert_int_eq(a->on_nan, b->on_nan);
}

START_TEST(test_pipeline_resolved_yaml_parses_back_to_the_same_pipeline)
{
    const char *const sets[] = {"ppo.ent_coef=0.01", NULL};
    ppo_pipeline_t *p1 =
        parse_ok("seed: 11\n"
                 "env: {plugin: plugins/fx_env.so, num_envs: &n 4, max_episode_steps: 200,\n"
                 "      params: {goal: 2.5}}\n"
                 "policy: {plugin: mlp, params: {<<: {pi_hidden: [32, 32], activation: relu},\n"
                 "         activation: tanh, extra: {nested: [1, 2]}}}\n"
                 "advantage: {plugin: gae, params: {gamma: 0.98, lambda: 0.9}}\n"
                 "optimizer: {plugin: adam, params: {lr: 3.0e-4}}\n"
                 "ppo:\n"
                 "  total_steps: 50000\n"
                 "  rollout_steps: 32\n"
                 "  epochs: 2\n"
                 "  minibatches: *n\n"
                 "  clip: 0.1\n"
                 "  vf_clip: 0.3\n"
                 "  target_kl: null\n"
                 "  objective: kl_fixed\n"
                 "normalize: {obs: true, reward: true, epsilon: 1.0e-6}\n"
                 "checkpoint: {every_seconds: null, every_steps: &steps 1000, keep: 2}\n"
                 "eval: {every_steps: *steps, episodes: 4, deterministic: false}\n"
                 "log: {every_iterations: 3, tensorboard: false}\n"
                 "on_nan: skip_update\n",
                 sets);
    ck_assert_uint_eq(p1->ppo.minibatches, 4);
    ck_assert_uint_eq(p1->eval.every_steps, 1000);
    ck_assert_double_eq(p1->ppo.ent_coef, 0.01);
    char *yaml1 = ppo_pipeline_to_yaml(p1, NULL, NULL, NULL, NULL);
    GError *error = NULL;
    ppo_pipeline_t *p2 =
        ppo_pipeline_parse("resolved.yaml", "/elsewhere", yaml1, strlen(yaml1), NULL, &error);
    ck_assert_msg(p2 != NULL, "the resolved YAML does not parse back: %s\n%s",
                  error != NULL ? error->message : "", yaml1);
    assert_same_pipeline(p1, p2);
    /* a relative plugin path is written absolute, so it resolves from anywhere */
    ck_assert_str_eq(p2->env.plugin, "/pipelines/plugins/fx_env.so");
    ck_assert_str_eq(p2->policy.plugin, "mlp");
    char *yaml2 = ppo_pipeline_to_yaml(p2, NULL, NULL, NULL, NULL);
    ck_assert_str_eq(yaml2, yaml1);
    /* plugin params are kept as written, nested values included */
    const ppo_ynode_t *extra = ppo_ynode_get(p2->policy.params, "extra");
    ck_assert_ptr_nonnull(extra);
    const ppo_ynode_t *nested = ppo_ynode_get(extra, "nested");
    ck_assert_ptr_nonnull(nested);
    ck_assert_uint_eq(nested->n_items, 2);
    ck_assert_str_eq(ppo_ynode_get(p2->advantage.params, "lambda")->text, "0.9");
    /* merged keys are written out, and the explicit one won */
    ck_assert_str_eq(ppo_ynode_get(p2->policy.params, "activation")->text, "tanh");
    ck_assert_uint_eq(ppo_ynode_get(p2->policy.params, "pi_hidden")->n_items, 2);
    g_free(yaml2);
    g_free(yaml1);
    ppo_pipeline_free(p2);
    ppo_pipeline_free(p1);
}
END_TEST

/* An empty `params: {}` is written back with a space after "params:", so the resolved text
 * parses again. */
START_TEST(test_pipeline_resolved_yaml_with_empty_params_parses_back)
{
    ppo_pipeline_t *p1 = parse_ok(L_ENV L_ENV_PLUGIN "  params: {}\n" L_POLICY L_POLICY_PLUGIN L_ADV
                                      L_ADV_PLUGIN L_OPT L_OPT_PLUGIN L_PPO L_PPO_TOTAL,
                                  NULL);
    char *yaml1 = ppo_pipeline_to_yaml(p1, NULL, NULL, NULL, NULL);
    GError *error = NULL;
    ppo_pipeline_t *p2 = ppo_pipeline_parse("r.yaml", ".", yaml1, strlen(yaml1), NULL, &error);
    ck_assert_msg(p2 != NULL, "%s\n%s", error != NULL ? error->message : "", yaml1);
    assert_same_pipeline(p1, p2);
    g_free(yaml1);
    ppo_pipeline_free(p2);
    ppo_pipeline_free(p1);
}
END_TEST

/* The resolved text is a fixed point: resolving it again gives the same text. */
START_TEST(test_pipeline_resolved_yaml_of_the_minimal_pipeline_parses_back)
{
    ppo_pipeline_t *p1 = parse_ok(MINIMAL, NULL);
    char *yaml1 = ppo_pipeline_to_yaml(p1, NULL, NULL, NULL, NULL);
    GError *error = NULL;
    ppo_pipeline_t *p2 = ppo_pipeline_parse("r.yaml", ".", yaml1, strlen(yaml1), NULL, &error);
    ck_assert_msg(p2 != NULL, "%s\n%s", error != NULL ? error->message : "", yaml1);
    assert_same_pipeline(p1, p2);
    char *yaml2 = ppo_pipeline_to_yaml(p2, NULL, NULL, NULL, NULL);
    ck_assert_str_eq(yaml2, yaml1);
    g_free(yaml2);
    g_free(yaml1);
    ppo_pipeline_free(p2);
    ppo_pipeline_free(p1);
}
END_TEST

static Suite *pipeline_suite(void)
{
    Suite *s = suite_create("ppo_pipeline");
    TCase *tc = tcase_create("valid");
    tcase_add_test(tc, test_pipeline_minimal_resolves_every_default);
    tcase_add_test(tc, test_pipeline_load_reads_a_file_and_names_the_run_after_it);
    tcase_add_test(tc, test_pipeline_explicit_values_replace_defaults);
    suite_add_tcase(s, tc);

    tc = tcase_create("missing");
    tcase_add_test(tc, test_pipeline_missing_each_required_section_is_named_with_a_fix);
    tcase_add_test(tc, test_pipeline_section_key_without_value_is_missing_at_its_key);
    tcase_add_test(tc, test_pipeline_missing_required_keys_are_named_with_their_type);
    tcase_add_test(tc, test_pipeline_empty_text_says_which_sections_it_needs);
    tcase_add_test(tc, test_pipeline_that_is_not_a_mapping_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("unknown_keys");
    tcase_add_test(tc, test_pipeline_unknown_top_level_key_suggests_the_nearest);
    tcase_add_test(tc, test_pipeline_unknown_top_level_key_without_near_spelling_lists_the_keys);
    tcase_add_test(tc, test_pipeline_unknown_key_in_a_section_suggests_the_nearest);
    tcase_add_test(tc, test_pipeline_unknown_key_in_a_nested_block_suggests_the_nearest);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_test(tc, test_pipeline_wrong_types_are_refused_with_what_was_expected);
    tcase_add_test(tc, test_pipeline_plugin_params_that_are_not_a_mapping_are_refused);
    tcase_add_test(tc, test_pipeline_plugin_section_written_as_a_name_is_refused_at_the_section);
    tcase_add_test(tc, test_pipeline_plugin_section_written_as_a_name_gets_the_fix);
    tcase_add_test(tc, test_pipeline_out_of_range_values_are_refused_with_the_range);
    tcase_add_test(tc, test_pipeline_huge_nan_and_infinite_numbers_are_refused);
    tcase_add_test(tc, test_pipeline_bad_choices_suggest_the_nearest);
    tcase_add_test(tc, test_pipeline_bad_choice_that_is_a_prefix_suggests_the_choice_it_starts);
    tcase_add_test(tc, test_pipeline_bad_choice_without_near_spelling_lists_the_choices);
    suite_add_tcase(s, tc);

    tc = tcase_create("cross_keys");
    tcase_add_test(tc, test_pipeline_minibatches_that_do_not_divide_the_batch_list_divisors);
    tcase_add_test(tc,
                   test_pipeline_default_minibatches_that_do_not_divide_point_at_the_ppo_section);
    tcase_add_test(tc, test_pipeline_batch_beyond_the_limit_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("set");
    tcase_add_test(tc, test_pipeline_set_overrides_replace_and_add_values);
    tcase_add_test(tc, test_pipeline_set_to_another_plugin_drops_its_params_and_notes_the_keys);
    tcase_add_test(tc, test_pipeline_set_to_the_same_plugin_by_name_or_path_keeps_its_params);
    tcase_add_test(tc, test_pipeline_params_set_after_the_swap_belong_to_the_new_plugin);
    tcase_add_test(tc, test_pipeline_set_with_an_unknown_key_suggests_the_nearest);
    tcase_add_test(tc, test_pipeline_set_with_a_bad_value_names_the_override);
    tcase_add_test(tc, test_pipeline_set_without_key_value_syntax_is_refused);
    tcase_add_test(tc, test_pipeline_set_through_a_scalar_names_the_key_and_its_position);
    tcase_add_test(tc, test_pipeline_set_does_not_change_an_aliased_section_elsewhere);
    suite_add_tcase(s, tc);

    tc = tcase_create("resolved");
    tcase_add_test(tc, test_pipeline_resolved_yaml_parses_back_to_the_same_pipeline);
    tcase_add_test(tc, test_pipeline_resolved_yaml_of_the_minimal_pipeline_parses_back);
    tcase_add_test(tc, test_pipeline_resolved_yaml_with_empty_params_parses_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(pipeline_suite());
}
