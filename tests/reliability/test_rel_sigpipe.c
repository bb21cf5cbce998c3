/* ppofw reliability tests — a reader that goes away stops the printing, never the training
 * (issue 18, root cause 8).
 *
 * `ppofw run ... 2>&1 | head -2` killed training at once (exit 141, no checkpoint). Here the
 * program's stderr (and stdout) is a pipe whose reading end is already closed: a run still
 * finishes (exit 0) with its checkpoints and every metrics row; siblings: `eval --json` and the
 * `plugins` listing with a closed stdout end normally.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rel_util.h"

/* Run ppofw with stdout and stderr on a pipe nobody reads; the exit status. */
static int run_with_closed_output(const char *const *args)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    close(fds[0]);
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, rel_ppofw());
    for (const char *const *a = args; *a != NULL; a++)
        g_ptr_array_add(argv, g_strdup(*a));
    g_ptr_array_add(argv, NULL);
    const char *b = g_getenv("PPO_TEST_BUILDDIR");
    char *plugin_path = g_strdup_printf("%s/tests/reliability/.libs", b != NULL ? b : ".");
    const pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* the shell's SIGPIPE default, as under `| head` */
        signal(SIGPIPE, SIG_DFL);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        setenv("PPOFW_PLUGIN_PATH", plugin_path, 1);
        execv((const char *)argv->pdata[0], (char **)argv->pdata);
        _exit(127);
    }
    close(fds[1]);
    int status = 0;
    const gint64 deadline = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (g_get_monotonic_time() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            ck_abort_msg("ppofw %s did not finish", args[0]);
        }
        g_usleep(10000);
    }
    g_free(plugin_path);
    g_ptr_array_free(argv, TRUE);
    ck_assert_msg(!WIFSIGNALED(status), "ppofw %s was killed by signal %d (%s)", args[0],
                  WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                  WIFSIGNALED(status) ? g_strsignal(WTERMSIG(status)) : "");
    return WEXITSTATUS(status);
}

START_TEST(test_training_goes_on_when_the_reader_of_its_output_went_away)
{
    char *dir = ppo_test_tmpdir();
    char *pl = rel_write(dir, "pipe.yaml",
                         "name: rel-pipe\n"
                         "seed: 2\n"
                         "env: {plugin: cartpole, num_envs: 2}\n"
                         "policy: {plugin: mlp, params: {pi_hidden: [8], vf_hidden: [8]}}\n"
                         "advantage: {plugin: gae}\n"
                         "optimizer: {plugin: adam}\n"
                         "ppo: {total_steps: 640, rollout_steps: 32, epochs: 1, minibatches: 1}\n"
                         "checkpoint: {every_seconds: null, every_steps: 320, keep: 3}\n");
    char *run = g_build_filename(dir, "run", NULL);
    /* not quiet: a progress line per iteration, each a write into the dead pipe */
    const char *args[] = {"run", pl, "--run-dir", run, NULL};
    ck_assert_int_eq(run_with_closed_output(args), 0);
    ck_assert_uint_eq(rel_metrics_rows(run), 10);
    char *ckpt = rel_latest_checkpoint(run);
    ck_assert_msg(ckpt != NULL && g_str_has_suffix(ckpt, "ckpt-000000000640.ckpt"),
                  "no final checkpoint: %s", ckpt);

    /* siblings: machine output and a listing into a dead pipe end normally */
    const char *eval[] = {"eval", "--checkpoint", ckpt, "-n", "2", "--json", NULL};
    ck_assert_int_eq(run_with_closed_output(eval), 0);
    const char *plugins[] = {"plugins", NULL};
    ck_assert_int_eq(run_with_closed_output(plugins), 0);

    g_free(ckpt);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

static Suite *sigpipe_suite(void)
{
    Suite *s = suite_create("sigpipe");
    TCase *tc = tcase_create("sigpipe");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_training_goes_on_when_the_reader_of_its_output_went_away);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(sigpipe_suite());
}
