/* ppofw reliability tests — files that cannot be read or written.
 *
 * - a run directory that cannot be created: below a regular file (any user), and inside a
 *   read-only directory (the program runs as user nobody when the tests run as root, since root
 *   ignores permission bits);
 * - a resumed run whose checkpoints/ is not a directory: refused before anything is removed;
 * - a full disk while writing a checkpoint and while writing metrics.csv, simulated with a file
 *   size limit (RLIMIT_FSIZE with SIGXFSZ ignored, so write() fails with EFBIG as it fails with
 *   ENOSPC on a full disk): exit 5, the message says to free space, the earlier files are intact
 *   and the run resumes once there is room;
 * - an unreadable pipeline and an unreadable plugin file (as user nobody when root).
 * Each checks the exit code of DESIGN.md §6, that the message names the file and the fix, and
 * that nothing written before was damaged.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "rel_util.h"

/* A cartpole pipeline with a 64x64 mlp (checkpoints of about 110 KB) and tensorboard on/off. */
static char *pipeline(const char *dir, bool tensorboard)
{
    char *text =
        g_strdup_printf("name: rel-io\n"
                        "seed: 5\n"
                        "env: {plugin: cartpole, num_envs: 2}\n"
                        "policy: {plugin: mlp}\n"
                        "advantage: {plugin: gae}\n"
                        "optimizer: {plugin: adam}\n"
                        "ppo: {total_steps: 128, rollout_steps: 32, epochs: 1, minibatches: 2}\n"
                        "checkpoint: {every_seconds: null, every_steps: 64, keep: 100}\n"
                        "log: {tensorboard: %s}\n",
                        tensorboard ? "true" : "false");
    char *path = rel_write(dir, "io.yaml", text);
    g_free(text);
    return path;
}

static void train(const char *pl, const char *run_dir)
{
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pl, "--run-dir", run_dir, "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
}

START_TEST(test_run_dir_below_a_regular_file_exits_5_naming_it)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, true);
    char *file = rel_write(dir, "plain-file", "not a directory\n");
    char *run_dir = g_build_filename(file, "run", NULL);
    rel_snapshot_t *snap = rel_snapshot(dir);
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pl, "--run-dir", run_dir, "-q", NULL);
    char *head = g_strdup_printf("ppofw: %s/checkpoints: cannot create the run directory: Not a "
                                 "directory",
                                 run_dir);
    rel_expect(&p, 5, head, "--run-dir", NULL);
    rel_proc_clear(&p);
    rel_assert_preserved(snap);
    rel_snapshot_free(snap);
    g_free(head);
    ppo_test_rm_tree(dir);
    g_free(run_dir);
    g_free(file);
    g_free(pl);
    g_free(dir);
}
END_TEST

START_TEST(test_run_dir_in_a_read_only_directory_exits_5_naming_it)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, true);
    char *ro = g_build_filename(dir, "read-only", NULL);
    ck_assert_int_eq(g_mkdir(ro, 0555), 0);
    ck_assert_int_eq(chmod(ro, 0555), 0);
    /* nobody must reach the pipeline and the temp dir */
    ck_assert_int_eq(chmod(dir, 0755), 0);
    char *run_dir = g_build_filename(ro, "run", NULL);
    rel_proc_t p;
    rel_opts_t o = {.unprivileged = true};
    rel_run(&p, &o, "run", pl, "--run-dir", run_dir, "-q", NULL);
    char *head = g_strdup_printf("ppofw: %s/checkpoints: cannot create the run directory: "
                                 "Permission denied",
                                 run_dir);
    rel_expect(&p, 5, head, "--run-dir", NULL);
    rel_proc_clear(&p);
    ck_assert(!g_file_test(run_dir, G_FILE_TEST_EXISTS));
    g_free(head);
    ppo_test_rm_tree(dir);
    g_free(run_dir);
    g_free(ro);
    g_free(pl);
    g_free(dir);
}
END_TEST

START_TEST(test_resume_with_checkpoints_not_a_directory_exits_5_and_removes_nothing)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, true);
    char *run_dir = g_build_filename(dir, "run", NULL);
    train(pl, run_dir);
    /* the checkpoints directory replaced by a file (a bad copy, a mount gone wrong) */
    char *ckdir = g_build_filename(run_dir, "checkpoints", NULL);
    ppo_test_rm_tree(ckdir);
    g_free(rel_write(run_dir, "checkpoints", "not a directory\n"));
    rel_snapshot_t *snap = rel_snapshot(run_dir);
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pl, "--resume", run_dir, "-q", NULL);
    char *head = g_strdup_printf("ppofw: %s: ", ckdir);
    rel_expect(&p, 5, head, "Not a directory", NULL);
    rel_proc_clear(&p);
    rel_assert_preserved(snap);
    rel_snapshot_free(snap);
    g_free(head);
    g_free(ckdir);
    ppo_test_rm_tree(dir);
    g_free(run_dir);
    g_free(pl);
    g_free(dir);
}
END_TEST

START_TEST(test_disk_full_while_writing_a_checkpoint_exits_5_keeping_the_previous_one)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, true);
    char *run_dir = g_build_filename(dir, "run", NULL);
    train(pl, run_dir);
    rel_snapshot_t *snap = rel_snapshot(run_dir);
    char *latest = rel_latest_checkpoint(run_dir);
    gsize ckpt_size;
    g_free(rel_read(latest, &ckpt_size));
    ck_assert_uint_gt(ckpt_size, 65536);

    /* metrics and events stay far below 64 KiB; the next checkpoint does not fit */
    rel_proc_t p;
    rel_opts_t o = {.fsize_limit = 65536};
    rel_run(&p, &o, "run", pl, "--resume", run_dir, "--set", "ppo.total_steps=256", "-q", NULL);
    char *head = g_strdup_printf("ppofw: %s/checkpoints/ckpt-000000000192.ckpt: cannot write a "
                                 "checkpoint: File too large; free some disk space (the previous "
                                 "checkpoint is intact)",
                                 run_dir);
    rel_expect(&p, 5, head, NULL);
    rel_proc_clear(&p);
    rel_assert_preserved(snap);
    rel_snapshot_t *after = rel_snapshot(run_dir);
    ck_assert_uint_eq(rel_snapshot_count(after, ".tmp"), 0);
    ck_assert_uint_eq(rel_snapshot_count(after, ".ckpt"), 2);
    rel_snapshot_free(after);

    /* with room again the run resumes from the intact checkpoint and finishes */
    rel_opts_t roomy = {0};
    rel_run(&p, &roomy, "run", pl, "--resume", run_dir, "--set", "ppo.total_steps=256", "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    ck_assert_uint_eq(rel_metrics_rows(run_dir), 4);

    g_free(head);
    g_free(latest);
    rel_snapshot_free(snap);
    ppo_test_rm_tree(dir);
    g_free(run_dir);
    g_free(pl);
    g_free(dir);
}
END_TEST

START_TEST(test_disk_full_while_writing_metrics_exits_5_keeping_earlier_rows)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir, false);
    char *run_dir = g_build_filename(dir, "run", NULL);
    train(pl, run_dir);
    rel_snapshot_t *snap = rel_snapshot(run_dir);
    char *csv = g_build_filename(run_dir, "metrics.csv", NULL);
    gsize csv_size;
    g_free(rel_read(csv, &csv_size));

    /* a few bytes of room: the next row does not fit */
    rel_proc_t p;
    rel_opts_t o = {.fsize_limit = csv_size + 16};
    rel_run(&p, &o, "run", pl, "--resume", run_dir, "--set", "ppo.total_steps=256", "-q", NULL);
    char *head = g_strdup_printf("ppofw: %s: cannot ", csv);
    char *resume = g_strdup_printf("the run can be resumed from its last checkpoint (step 128) "
                                   "once there is room: ppofw run --resume %s",
                                   run_dir);
    rel_expect(&p, 5, head, "File too large", "free some disk space", resume, NULL);
    g_free(resume);
    rel_proc_clear(&p);
    rel_assert_preserved(snap);

    rel_opts_t roomy = {0};
    rel_run(&p, &roomy, "run", pl, "--resume", run_dir, "--set", "ppo.total_steps=256", "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    ck_assert_uint_eq(rel_metrics_rows(run_dir), 4);

    g_free(head);
    g_free(csv);
    rel_snapshot_free(snap);
    ppo_test_rm_tree(dir);
    g_free(run_dir);
    g_free(pl);
    g_free(dir);
}
END_TEST

START_TEST(test_unreadable_pipeline_exits_2_naming_it)
{
    char *dir = ppo_test_tmpdir();
    ck_assert_int_eq(chmod(dir, 0755), 0);
    char *pl = pipeline(dir, true);
    ck_assert_int_eq(chmod(pl, 0), 0);
    rel_proc_t p;
    rel_opts_t o = {.unprivileged = true, .cwd = dir};
    rel_run(&p, &o, "validate", pl, NULL);
    char *head = g_strdup_printf("ppofw: %s: cannot open the pipeline: Permission denied (check "
                                 "the file's permissions)",
                                 pl);
    rel_expect(&p, 2, head, NULL);
    rel_proc_clear(&p);
    g_free(head);
    ppo_test_rm_tree(dir);
    g_free(pl);
    g_free(dir);
}
END_TEST

START_TEST(test_unreadable_plugin_exits_3_naming_it)
{
    char *dir = ppo_test_tmpdir();
    ck_assert_int_eq(chmod(dir, 0755), 0);
    char *src = g_strdup_printf(
        "%s/tests/reliability/.libs/rel_env_fault.so",
        g_getenv("PPO_TEST_BUILDDIR") != NULL ? g_getenv("PPO_TEST_BUILDDIR") : PPO_ABS_BUILDDIR);
    gsize len;
    char *so = rel_read(src, &len);
    char *copy = g_build_filename(dir, "rel_env_fault.so", NULL);
    ck_assert(g_file_set_contents(copy, so, (gssize)len, NULL));
    ck_assert_int_eq(chmod(copy, 0), 0);
    char *text = g_strdup_printf("name: rel-unreadable\n"
                                 "env: {plugin: ./rel_env_fault.so}\n"
                                 "policy: {plugin: mlp}\n"
                                 "advantage: {plugin: gae}\n"
                                 "optimizer: {plugin: adam}\n"
                                 "ppo: {total_steps: 64, rollout_steps: 16, minibatches: 2}\n");
    char *pl = rel_write(dir, "unreadable.yaml", text);
    rel_proc_t p;
    rel_opts_t o = {.unprivileged = true, .cwd = dir};
    rel_run(&p, &o, "validate", pl, NULL);
    rel_expect(&p, 3, copy, "Permission denied", NULL);
    rel_proc_clear(&p);
    rel_run(&p, &o, "run", pl, "--run-dir", "never", NULL);
    rel_expect(&p, 3, copy, "Permission denied", NULL);
    rel_proc_clear(&p);
    char *never = g_build_filename(dir, "never", NULL);
    ck_assert(!g_file_test(never, G_FILE_TEST_EXISTS));
    g_free(never);
    ppo_test_rm_tree(dir);
    g_free(pl);
    g_free(text);
    g_free(copy);
    g_free(so);
    g_free(src);
    g_free(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_io");
    TCase *tc = tcase_create("io");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_run_dir_below_a_regular_file_exits_5_naming_it);
    tcase_add_test(tc, test_run_dir_in_a_read_only_directory_exits_5_naming_it);
    tcase_add_test(tc, test_resume_with_checkpoints_not_a_directory_exits_5_and_removes_nothing);
    tcase_add_test(tc, test_disk_full_while_writing_a_checkpoint_exits_5_keeping_the_previous_one);
    tcase_add_test(tc, test_disk_full_while_writing_metrics_exits_5_keeping_earlier_rows);
    tcase_add_test(tc, test_unreadable_pipeline_exits_2_naming_it);
    tcase_add_test(tc, test_unreadable_plugin_exits_3_naming_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
