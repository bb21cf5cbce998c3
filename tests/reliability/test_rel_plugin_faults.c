/* ppofw reliability tests — a misbehaving plugin never takes the process down without a word
 * (issue 18, root cause 6).
 *
 * abort() in step (SIGABRT), exit(0) in step, a crash in create, spaces and destroy under
 * validate, check-env and run, a crash in a constructor under `plugins` (the listing goes on),
 * `validate` and `check-env`, and an env writing one float (in step, and in reset) or 4096
 * floats past its observation row under check-env and run. Each exits 3 naming the plugin and
 * the callback, and never reads as success.
 */
#include "config.h"

#include <string.h>

#include "rel_util.h"

static char *pipeline(const char *dir, const char *fault)
{
    char *text = g_strdup_printf(
        "name: rel-faults\n"
        "seed: 4\n"
        "env: {plugin: rel_env_misbehave, num_envs: 2, params: {fault: %s, fault_at: 40}}\n"
        "policy: {plugin: mlp, params: {pi_hidden: [8], vf_hidden: [8]}}\n"
        "advantage: {plugin: gae}\n"
        "optimizer: {plugin: adam}\n"
        "ppo: {total_steps: 256, rollout_steps: 32, epochs: 1, minibatches: 1}\n"
        "checkpoint: {every_seconds: null, every_steps: 64, keep: 100}\n",
        fault);
    char *path = rel_write(dir, "faults.yaml", text);
    g_free(text);
    return path;
}

START_TEST(test_abort_or_exit_in_step_exits_3_naming_the_plugin_and_step)
{
    static const struct {
        const char *fault;
        const char *says;
    } cases[] = {
        {"abort_step", "SIGABRT"},      /* the example */
        {"exit_step", "called exit()"}, /* the example's sibling */
    };
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, cases[_i].fault);
    char *run = g_build_filename(dir, "run", NULL);
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pl, "--run-dir", run, NULL);
    rel_expect(&p, 3, "rel_env_misbehave", "step", cases[_i].says, NULL);
    ck_assert_msg(strstr(p.err, "done") == NULL, "it said done:\n%s", p.err);
    rel_proc_clear(&p);
    /* the iteration before the misdeed was checkpointed and is intact */
    char *ckpt = rel_latest_checkpoint(run);
    ck_assert_ptr_nonnull(ckpt);
    rel_run(&p, &o, "eval", "--checkpoint", ckpt, "-n", "1", "--set",
            "env.params.fault=none", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    g_free(ckpt);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_a_crash_in_create_spaces_or_destroy_names_the_callback_in_every_command)
{
    static const struct {
        const char *fault;
        const char *callback;
    } cases[] = {
        {"segv_create", "create"}, {"segv_spaces", "spaces"}, {"segv_destroy", "destroy"}};
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, cases[_i / 3].fault);
    char *params = g_strdup_printf("{fault: %s}", cases[_i / 3].fault);
    const char *validate[] = {"validate", pl, NULL};
    const char *check[] = {"check-env", "rel_env_misbehave", "--params", params, NULL};
    char *run_dir = g_build_filename(dir, "run", NULL);
    const char *run[] = {"run", pl, "--run-dir", run_dir, "-q", NULL};
    const char *const *args[] = {validate, check, run};
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_start(&p, &o, args[_i % 3]);
    rel_wait(&p, &o);
    rel_expect(&p, 3, "plugin \"rel_env_misbehave\"", "crashed in", cases[_i / 3].callback,
               "SIGSEGV", NULL);
    rel_proc_clear(&p);
    g_free(run_dir);
    g_free(params);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_a_constructor_that_crashes_is_named_and_the_plugin_listing_goes_on)
{
    char *lib = g_build_filename(rel_bad_dir(), "rel_ctor_crash.so", NULL);
    rel_proc_t p;
    rel_opts_t o = {.timeout_s = 60};
    /* the example: one bad file in a plugin directory */
    rel_run(&p, &o, "plugins", "--plugin-path", rel_bad_dir(), NULL);
    rel_expect(&p, 0, NULL);
    ck_assert_msg(strstr(p.out, "cartpole") != NULL, "the listing stopped:\n%s", p.out);
    ck_assert_msg(strstr(p.out, "rel_ctor_mark") != NULL, "a good file is missing:\n%s", p.out);
    ck_assert_msg(strstr(p.out, lib) != NULL && strstr(p.out, "crashed") != NULL &&
                      strstr(p.out, "constructors") != NULL,
                  "the bad file is not listed as crashed:\n%s", p.out);
    rel_proc_clear(&p);
    /* siblings: the same file named by other commands */
    rel_run(&p, &o, "plugins", "info", lib, NULL);
    rel_expect(&p, 3, lib, "crashed", NULL);
    rel_proc_clear(&p);
    rel_run(&p, &o, "check-env", lib, NULL);
    rel_expect(&p, 3, lib, "crashed while it was loaded", "constructors", NULL);
    rel_proc_clear(&p);
    g_free(lib);
}
END_TEST

START_TEST(test_an_env_writing_past_its_observation_row_is_caught_and_named)
{
    /* one float past in step (the example), in reset (a sibling), 4096 floats past in step (the
     * example that crashed the core) */
    static const char *const faults[] = {"overrun_1", "overrun_reset", "overrun_4096"};
    char *params = g_strdup_printf("{fault: %s}", faults[_i]);
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "check-env", "rel_env_misbehave", "--params", params, NULL);
    if (_i < 2) {
        rel_expect(&p, 3, "checks failed", NULL);
        ck_assert_msg(strstr(p.out, "FAIL") != NULL && strstr(p.out, "obs-row") != NULL &&
                          strstr(p.out, "past the end of its observation row") != NULL,
                      "check-env did not report the overrun:\n%s", p.out);
    } else {
        rel_expect(&p, 3, "rel_env_misbehave", "step", "wrote past the end of",
                   "observation row", NULL);
    }
    rel_proc_clear(&p);

    /* in training: the run stops naming it, the core never crashes */
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, faults[_i]);
    char *run = g_build_filename(dir, "run", NULL);
    rel_run(&p, &o, "run", pl, "--run-dir", run, "-q", NULL);
    rel_expect(&p, 3, "rel_env_misbehave", _i == 1 ? "reset" : "step", "observation row", NULL);
    rel_proc_clear(&p);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
    g_free(params);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("plugin_faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_abort_or_exit_in_step_exits_3_naming_the_plugin_and_step, 0, 2);
    tcase_add_loop_test(tc, test_a_crash_in_create_spaces_or_destroy_names_the_callback_in_every_command,
                        0, 9);
    tcase_add_test(tc, test_a_constructor_that_crashes_is_named_and_the_plugin_listing_goes_on);
    tcase_add_loop_test(tc, test_an_env_writing_past_its_observation_row_is_caught_and_named, 0,
                        3);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(faults_suite());
}
