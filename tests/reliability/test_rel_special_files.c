/* ppofw reliability tests — special files (issue 18, root cause 5).
 *
 * A FIFO given as a pipeline, a plugin, a checkpoint and a sweep file, and sitting in a plugin
 * directory and in a run's checkpoints directory: no command blocks on it (each test has a
 * deadline), each says what the file is. /dev/zero (and /dev/null) as a checkpoint is refused
 * by type, without reading. `plot -o` and `export -o` to a link to a device and to a FIFO write
 * into it and leave it what it was; to a directory they refuse.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "rel_util.h"

static char *pipeline(const char *dir)
{
    return rel_cartpole_pipeline(dir, "rel-special", 4, 128);
}

START_TEST(test_a_fifo_given_as_an_input_file_is_refused_without_blocking)
{
    /* pipeline (the example), plugin, checkpoint, sweep file: each command and what it says */
    char *dir = ppo_test_tmpdir();
    char *fifo = rel_fifo(dir, _i == 1 ? "fifo.so" : "fifo.yaml");
    const char *validate[] = {"validate", fifo, NULL};
    const char *check[] = {"check-env", fifo, NULL};
    const char *eval[] = {"eval", "--checkpoint", fifo, NULL};
    const char *sweep[] = {"sweep", fifo, NULL};
    const char *const *args[] = {validate, check, eval, sweep};
    static const int codes[] = {2, 3, 5, 2};
    rel_proc_t p;
    rel_opts_t o = {.timeout_s = 30};
    rel_start(&p, &o, args[_i]);
    rel_wait(&p, &o);
    rel_expect(&p, codes[_i], fifo, "FIFO", NULL);
    rel_proc_clear(&p);
    g_free(fifo);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_a_fifo_in_a_plugin_directory_is_listed_as_a_failure_and_the_listing_goes_on)
{
    char *dir = ppo_test_tmpdir();
    char *fifo = rel_fifo(dir, "zz_fifo.so");
    rel_proc_t p;
    rel_opts_t o = {.timeout_s = 60};
    rel_run(&p, &o, "plugins", "--plugin-path", dir, NULL);
    rel_expect(&p, 0, NULL);
    ck_assert_msg(strstr(p.out, "cartpole") != NULL, "the listing stopped:\n%s", p.out);
    ck_assert_msg(strstr(p.out, fifo) != NULL && strstr(p.out, "FIFO") != NULL,
                  "the FIFO is not listed as a failure:\n%s", p.out);
    rel_proc_clear(&p);
    g_free(fifo);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_a_fifo_in_the_checkpoints_directory_is_passed_over_by_resume)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *run = g_build_filename(dir, "run", NULL);
    rel_train(pl, run, NULL);
    char *ck = g_build_filename(run, "checkpoints", NULL);
    g_free(rel_fifo(ck, "ckpt-999999999999.ckpt"));
    rel_proc_t p;
    rel_opts_t o = {.timeout_s = 60};
    rel_run(&p, &o, "run", pl, "--resume", run, "--set", "ppo.total_steps=192", NULL);
    rel_expect(&p, 0, "ckpt-999999999999.ckpt: is a FIFO", "passed over", NULL);
    rel_proc_clear(&p);
    ck_assert_uint_eq(rel_metrics_rows(run), 3);
    g_free(ck);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_a_device_as_a_checkpoint_is_refused_by_its_type)
{
    static const char *const devices[] = {"/dev/zero", "/dev/null"};
    if (!g_file_test(devices[_i], G_FILE_TEST_EXISTS))
        return;
    rel_proc_t p;
    rel_opts_t o = {.timeout_s = 30};
    rel_run(&p, &o, "eval", "--checkpoint", devices[_i], NULL);
    rel_expect(&p, 5, devices[_i], "is a character device", NULL);
    rel_proc_clear(&p);
}
END_TEST

/* Reads a FIFO to its end on a thread. */
typedef struct {
    char *path;
    GString *got;
} reader_t;

static gpointer read_fifo(gpointer data)
{
    reader_t *r = data;
    const int fd = open(r->path, O_RDONLY);
    char buf[4096];
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
        g_string_append_len(r->got, buf, n);
    if (fd >= 0)
        close(fd);
    return NULL;
}

START_TEST(test_outputs_to_a_device_or_fifo_are_written_in_place_never_replaced)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *run = g_build_filename(dir, "run", NULL);
    rel_train(pl, run, NULL);
    char *ckpt = rel_latest_checkpoint(run);
    rel_opts_t o = {.timeout_s = 60};
    rel_proc_t p;

    /* a link to a device (the example: /dev/stdout is such a link): it stays a link to it */
    char *link = g_build_filename(dir, "to-null", NULL);
    ck_assert_int_eq(symlink("/dev/null", link), 0);
    rel_run(&p, &o, "plot", run, "-o", link, NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    rel_run(&p, &o, "export", "--checkpoint", ckpt, "-o", link, NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    struct stat st;
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert_int_eq(stat("/dev/null", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));

    /* a FIFO (a sibling) with a reader: it gets the C file, and stays a FIFO */
    reader_t r = {.path = rel_fifo(dir, "policy-fifo.c"), .got = g_string_new(NULL)};
    GThread *t = g_thread_new("reader", read_fifo, &r);
    rel_run(&p, &o, "export", "--checkpoint", ckpt, "-o", r.path, NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    g_thread_join(t);
    ck_assert_msg(strstr(r.got->str, "ppo_policy_act") != NULL, "the reader got: %.200s",
                  r.got->str);
    ck_assert_int_eq(lstat(r.path, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));

    /* a directory is refused */
    rel_run(&p, &o, "plot", run, "-o", dir, NULL);
    rel_expect(&p, 5, "is a directory", NULL);
    rel_proc_clear(&p);

    g_string_free(r.got, TRUE);
    g_free(r.path);
    g_free(link);
    g_free(ckpt);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

static Suite *special_suite(void)
{
    Suite *s = suite_create("special_files");
    TCase *tc = tcase_create("special");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_a_fifo_given_as_an_input_file_is_refused_without_blocking, 0, 4);
    tcase_add_test(tc, test_a_fifo_in_a_plugin_directory_is_listed_as_a_failure_and_the_listing_goes_on);
    tcase_add_test(tc, test_a_fifo_in_the_checkpoints_directory_is_passed_over_by_resume);
    tcase_add_loop_test(tc, test_a_device_as_a_checkpoint_is_refused_by_its_type, 0, 2);
    tcase_add_test(tc, test_outputs_to_a_device_or_fifo_are_written_in_place_never_replaced);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(special_suite());
}
