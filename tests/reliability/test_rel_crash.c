/* ppofw reliability tests — a plugin that crashes (SIGSEGV, SIGBUS) inside env step.
 *
 * A healthy stretch of a run first, then a resumed run in which rel_env_fault crashes at a
 * chosen step call on a collection worker thread. The crash handler (core/ppo_signal.c, on an
 * alternate signal stack) must name the plugin that was running and its file, and the process
 * must exit 3 — not die by the signal. Every file written before is intact, no partial
 * checkpoint is left behind, and the newest checkpoint resumes.
 *
 * Under the sanitizer build the spawned program gets ASAN_OPTIONS=handle_segv=0:handle_sigbus=0
 * so AddressSanitizer leaves these signals to ppofw's own handler.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rel_util.h"

static const char *const crash_env[] = {"ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:detect_leaks=0",
                                        NULL};

static const struct {
    const char *fault;
    const char *signal;
} crashes[] = {
    {"segv", "SIGSEGV (invalid memory access)"},
    {"bus", "SIGBUS (bad memory access"},
};

START_TEST(test_plugin_crash_in_step_exits_3_naming_the_plugin_with_checkpoints_intact)
{
    char *dir = ppo_test_tmpdir();
    char *run_dir = g_build_filename(dir, "run", NULL);
    /* 4 envs x 16 steps a iteration; instance 2 crashes at its 40th step call */
    char *text = g_strdup_printf("name: rel-crash\n"
                                 "seed: 2\n"
                                 "env:\n"
                                 "  plugin: rel_env_fault\n"
                                 "  num_envs: 4\n"
                                 "  params: {fault: %s, fault_at: 40, instance: 2}\n"
                                 "policy: {plugin: mlp, params: {pi_hidden: [8], vf_hidden: [8]}}\n"
                                 "advantage: {plugin: gae}\n"
                                 "optimizer: {plugin: adam}\n"
                                 "ppo: {total_steps: 128, rollout_steps: 16, epochs: 1, "
                                 "minibatches: 2, threads: 2}\n"
                                 "checkpoint: {every_seconds: null, every_steps: 64, keep: 100}\n",
                                 crashes[_i].fault);
    char *pl = rel_write(dir, "crash.yaml", text);
    g_free(text);

    rel_opts_t o = {.env = crash_env};
    rel_proc_t p;
    rel_run(&p, &o, "run", pl, "--run-dir", run_dir, "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    rel_snapshot_t *before = rel_snapshot(run_dir);
    ck_assert_uint_eq(rel_snapshot_count(before, ".ckpt"), 2);

    rel_run(&p, &o, "run", pl, "--resume", run_dir, "--set", "ppo.total_steps=1024", "-q", NULL);
    rel_expect(&p, 3, "ppofw: plugin \"rel_env_fault\" (", "rel_env_fault.so) crashed in step with ",
               crashes[_i].signal, "the last checkpoint is intact", "fix the plugin", NULL);
    rel_proc_clear(&p);
    rel_assert_preserved(before);

    /* the crash came in the third iteration of the resumed process (calls 33..48): the two
     * before it were checkpointed (every 64 steps = each iteration) */
    char *latest = rel_latest_checkpoint(run_dir);
    ck_assert_msg(g_str_has_suffix(latest, "ckpt-000000000256.ckpt"), "%s", latest);
    rel_assert_params_finite(latest);
    rel_snapshot_t *after = rel_snapshot(run_dir);
    ck_assert_uint_eq(rel_snapshot_count(after, ".tmp"), 0);
    rel_snapshot_free(after);
    /* and it resumes: 2 more iterations stay below the crashing call */
    rel_run(&p, &o, "run", pl, "--resume", run_dir, "--set", "ppo.total_steps=384", "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);

    g_free(latest);
    rel_snapshot_free(before);
    ppo_test_rm_tree(dir);
    g_free(pl);
    g_free(run_dir);
    g_free(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_crash");
    TCase *tc = tcase_create("crash");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc,
                        test_plugin_crash_in_step_exits_3_naming_the_plugin_with_checkpoints_intact,
                        0, G_N_ELEMENTS(crashes));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
