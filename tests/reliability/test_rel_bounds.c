/* ppofw reliability tests — no unbounded work without a word (issue 18, root cause 7).
 *
 * A blocked env (in step, in create) and a huge orthogonal initialization (pi_hidden
 * [4096, 4096]): one SIGINT or SIGTERM ends the run, saying what was running (the tests have a
 * deadline; before, the run went on for minutes or forever). --plugin-timeout names the callback
 * that hangs. A state_size() of 2^40 is refused at validate, naming the plugin. Thread counts
 * are bounded (check-env --threads, ppo.threads). A pipeline of 45,000 keys (about as many as
 * the node bound lets through) is checked for duplicates at once (a quadratic scan took over a
 * minute), and its duplicate is found.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "rel_util.h"

static char *pipeline(const char *dir, const char *env, const char *hidden)
{
    char *text = g_strdup_printf(
        "name: rel-bounds\n"
        "seed: 4\n"
        "env: %s\n"
        "policy: {plugin: mlp, params: {pi_hidden: %s, vf_hidden: [8]}}\n"
        "advantage: {plugin: gae}\n"
        "optimizer: {plugin: adam}\n"
        "ppo: {total_steps: 100000, rollout_steps: 32, epochs: 1, minibatches: 1}\n"
        "checkpoint: {every_seconds: null, every_steps: 64, keep: 3}\n",
        env, hidden);
    char *path = rel_write(dir, "bounds.yaml", text);
    g_free(text);
    return path;
}

START_TEST(test_one_signal_ends_a_run_stuck_in_a_plugin_or_a_long_initialization)
{
    static const struct {
        const char *env;
        const char *hidden;
        int signo;
        int code;
        const char *says;
    } cases[] = {
        /* the examples: a blocked step, a huge orthogonal initialization; a sibling: create */
        {"{plugin: rel_env_misbehave, num_envs: 2, params: {fault: hang_step, fault_at: 40}}",
         "[8]", SIGINT, 130, "step"},
        {"{plugin: cartpole, num_envs: 2}", "[4096, 4096]", SIGTERM, 143, "initialization"},
        {"{plugin: rel_env_misbehave, num_envs: 2, params: {fault: hang_create}}", "[8]",
         SIGTERM, 143, "create"},
    };
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, cases[_i].env, cases[_i].hidden);
    char *run = g_build_filename(dir, "run", NULL);
    rel_proc_t p;
    rel_opts_t o = {.timeout_s = 60};
    const char *args[] = {"run", pl, "--run-dir", run, NULL};
    rel_start(&p, &o, args);
    /* let it get stuck (the hang in step comes after the first checkpointed iteration) */
    if (_i == 0)
        ck_assert_msg(rel_wait_rows(&p, run, 1, 30), "the run ended early");
    g_usleep(G_USEC_PER_SEC);
    kill(p.pid, cases[_i].signo);
    rel_wait(&p, &o);
    rel_expect(&p, cases[_i].code, cases[_i].says, "without a new checkpoint", NULL);
    rel_proc_clear(&p);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_plugin_timeout_names_the_callback_that_does_not_return)
{
    static const char *const faults[] = {"hang_step", "hang_create"};
    char *dir = ppo_test_tmpdir();
    char *env = g_strdup_printf("{plugin: rel_env_misbehave, num_envs: 2, params: {fault: %s}}",
                                faults[_i]);
    char *pl = pipeline(dir, env, "[8]");
    char *run = g_build_filename(dir, "run", NULL);
    rel_proc_t p;
    rel_opts_t o = {.timeout_s = 60};
    rel_run(&p, &o, "run", pl, "--run-dir", run, "--plugin-timeout", "1", "-q", NULL);
    rel_expect(&p, 3, "rel_env_misbehave", _i == 0 ? "step" : "create",
               "has not returned after", "--plugin-timeout", NULL);
    rel_proc_clear(&p);
    /* the same under check-env */
    char *params = g_strdup_printf("{fault: %s}", faults[_i]);
    rel_run(&p, &o, "check-env", "rel_env_misbehave", "--params", params, "--plugin-timeout",
            "1", NULL);
    rel_expect(&p, 3, _i == 0 ? "step" : "create", "has not returned after", NULL);
    rel_proc_clear(&p);
    g_free(params);
    g_free(run);
    g_free(pl);
    g_free(env);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_a_state_size_beyond_memory_is_refused_at_validate_naming_the_plugin)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, "{plugin: rel_env_misbehave, num_envs: 2, params: {fault: "
                             "huge_state}}",
                        "[8]");
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "validate", pl, NULL);
    rel_expect(&p, 3, "plugin \"rel_env_misbehave\"", "state_size() = 1099511627776",
               "more than", "fix state_size()", NULL);
    rel_proc_clear(&p);
    /* a sibling: a network beyond memory, named by its plugin before anything is allocated */
    char *big = pipeline(dir, "{plugin: cartpole, num_envs: 2}", "[65536, 65536, 65536, 65536]");
    rel_run(&p, &o, "run", big, "--run-dir", dir, "-q", NULL);
    rel_expect(&p, 3, "plugin \"mlp\"", "parameters", "more than", NULL);
    rel_proc_clear(&p);
    g_free(big);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_thread_counts_are_bounded)
{
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "check-env", "cartpole", "--threads", "100000", NULL);
    rel_expect(&p, 2, "--threads in [2, 256]", NULL);
    rel_proc_clear(&p);
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, "{plugin: cartpole, num_envs: 2}", "[8]");
    rel_run(&p, &o, "validate", pl, "--set", "ppo.threads=100000", NULL);
    rel_expect(&p, 2, "ppo.threads", "out of range", NULL);
    rel_proc_clear(&p);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_a_pipeline_of_many_thousand_keys_is_checked_for_duplicates_at_once)
{
    char *dir = ppo_test_tmpdir();
    GString *text = g_string_new("name: rel-keys\n"
                                 "env: {plugin: cartpole}\n"
                                 "policy: {plugin: mlp}\n"
                                 "advantage: {plugin: gae}\n"
                                 "optimizer: {plugin: adam}\n"
                                 "ppo: {total_steps: 64}\n"
                                 "keys:\n");
    /* keys of 300 characters that differ only at their end, as a generated file has them: a
     * scan comparing each with every other one reads 45,000^2 / 2 x 300 bytes */
    char *stem = g_strnfill(290, 'x');
    for (int k = 0; k < 45000; k++)
        g_string_append_printf(text, "  key_%s_%d: %d\n", stem, k, k);
    /* the duplicate, last */
    g_string_append_printf(text, "  key_%s_17: 0\n", stem);
    char *pl = rel_write(dir, "keys.yaml", text->str);
    rel_proc_t p;
    rel_opts_t o = {.timeout_s = 30};
    rel_run(&p, &o, "validate", pl, NULL);
    char *said = g_strdup_printf("duplicate key \"key_%s_17\" (first at line 25)", stem);
    rel_expect(&p, 2, said, NULL);
    g_free(said);
    g_free(stem);
    rel_proc_clear(&p);
    g_free(pl);
    g_string_free(text, TRUE);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

static Suite *bounds_suite(void)
{
    Suite *s = suite_create("bounds");
    TCase *tc = tcase_create("bounds");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_one_signal_ends_a_run_stuck_in_a_plugin_or_a_long_initialization,
                        0, 3);
    tcase_add_loop_test(tc, test_plugin_timeout_names_the_callback_that_does_not_return, 0, 2);
    tcase_add_test(tc, test_a_state_size_beyond_memory_is_refused_at_validate_naming_the_plugin);
    tcase_add_test(tc, test_thread_counts_are_bounded);
    tcase_add_test(tc, test_a_pipeline_of_many_thousand_keys_is_checked_for_duplicates_at_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(bounds_suite());
}
