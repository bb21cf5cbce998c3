/* ppofw reliability tests — a resume proves the files it cuts are the checkpoint's (issue 18,
 * root cause 2).
 *
 * `--resume CKPT --run-dir OTHER` into another run, and into an empty directory; a metrics.csv
 * (or episodes.csv) re-saved with CRLF line ends, with one cell edited (same length), or cut
 * short; an events file of another run under the checkpoint's name; a directory under the name
 * of a recording after the checkpoint. Each is refused with exit 5 before anything is cut, and
 * the tree of every run involved is byte for byte what it was (a SHA-256 over the tree). And
 * the recordings of evaluations after the checkpoint go, as its rows do; earlier ones stay.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "rel_util.h"

static char *pipeline(const char *dir)
{
    return rel_cartpole_pipeline(dir, "rel-proof", 3, 192);
}

/* Resume run_dir (from ckpt, or its newest when NULL; with pipeline pl, or the checkpoint's when
 * NULL) and expect exit 5 with `says`, the tree under `watch` unchanged. */
static void expect_refused(const char *pl, const char *ckpt, const char *run_dir,
                           const char *watch, const char *says)
{
    char *before = rel_tree_digest(watch);
    rel_proc_t p;
    rel_opts_t o = {0};
    if (ckpt != NULL)
        rel_run(&p, &o, "run", pl, "--resume", ckpt, "--run-dir", run_dir, "-q", NULL);
    else if (pl != NULL)
        rel_run(&p, &o, "run", pl, "--resume", run_dir, "-q", NULL);
    else
        rel_run(&p, &o, "run", "--resume", run_dir, "-q", NULL);
    /* nothing was changed, or (a file it would remove is not one) nothing was removed */
    rel_expect(&p, 5, says, "nothing was", NULL);
    rel_proc_clear(&p);
    char *after = rel_tree_digest(watch);
    ck_assert_msg(strcmp(before, after) == 0, "a refused resume changed %s", watch);
    g_free(after);
    g_free(before);
}

START_TEST(test_resume_of_a_checkpoint_into_another_run_dir_is_refused_touching_nothing)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *a = g_build_filename(dir, "a", NULL), *b = g_build_filename(dir, "b", NULL);
    rel_train(pl, a, "--set", "seed=3", NULL);
    char *ckpt = rel_latest_checkpoint(a);
    if (_i == 0) {
        /* the example: another run of the same pipeline, another seed */
        rel_train(pl, b, "--set", "seed=4", NULL);
        expect_refused(pl, ckpt, b, dir, "belongs to run");
    } else {
        /* a sibling: an empty directory is not the checkpoint's run either */
        ck_assert_int_eq(g_mkdir(b, 0755), 0);
        expect_refused(pl, ckpt, b, dir, "is not a ppofw run");
    }
    g_free(ckpt);
    g_free(b);
    g_free(a);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

/* Rewrite a file with a function of its text. */
static void rewrite(const char *path, char *(*edit)(const char *text))
{
    char *text = rel_read(path, NULL);
    char *edited = edit(text);
    g_free(rel_write("", path, edited));
    g_free(edited);
    g_free(text);
}

static char *to_crlf(const char *text)
{
    char **lines = g_strsplit(text, "\n", -1);
    char *out = g_strjoinv("\r\n", lines);
    g_strfreev(lines);
    return out;
}

/* the second row's first digit changed: same length, other content */
static char *edit_cell(const char *text)
{
    char *out = g_strdup(text);
    char *row = strchr(strchr(out, '\n') + 1, '\n') + 1;
    row[0] = row[0] == '9' ? '8' : '9';
    return out;
}

static char *drop_last_rows(const char *text)
{
    char *out = g_strdup(text);
    char *second = strchr(strchr(out, '\n') + 1, '\n');
    second[1] = '\0';
    return out;
}

START_TEST(test_a_changed_metrics_or_episodes_csv_is_refused_and_left_as_it_is)
{
    static const char *const files[] = {"metrics.csv", "episodes.csv"};
    static const struct {
        char *(*edit)(const char *text);
        const char *says;
    } cases[] = {
        {to_crlf, "carriage return"},                  /* the example: re-saved with CRLF */
        {edit_cell, "differ from what the checkpoint"}, /* a cell edited */
        {drop_last_rows, "it was cut or replaced"},     /* rows removed */
    };
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *run = g_build_filename(dir, "run", NULL);
    rel_train(pl, run, "--set", "seed=3", NULL);
    char *csv = g_build_filename(run, files[_i / 3], NULL);
    rewrite(csv, cases[_i % 3].edit);
    expect_refused(pl, NULL, run, dir, cases[_i % 3].says);
    g_free(csv);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_an_events_file_of_another_run_is_refused_and_left_as_it_is)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *a = g_build_filename(dir, "a", NULL), *b = g_build_filename(dir, "b", NULL);
    rel_train(pl, a, "--set", "seed=3", NULL);
    rel_train(pl, b, "--set", "seed=4", NULL);
    /* b's events file under a's name */
    char *ckpt = rel_latest_checkpoint(a);
    char *name = rel_ckpt_info(ckpt, "tboard_file");
    char *mine = g_build_filename(a, "tb", name, NULL);
    char *tb_b = g_build_filename(b, "tb", NULL);
    GDir *d = g_dir_open(tb_b, 0, NULL);
    char *theirs = g_build_filename(tb_b, g_dir_read_name(d), NULL);
    g_dir_close(d);
    gsize len;
    char *data = rel_read(theirs, &len);
    ck_assert(g_file_set_contents(mine, data, (gssize)len, NULL));
    expect_refused(pl, NULL, a, dir, "events.out.tfevents");
    g_free(data);
    g_free(theirs);
    g_free(tb_b);
    g_free(mine);
    g_free(name);
    g_free(ckpt);
    g_free(b);
    g_free(a);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

/* Names in videos/ (sorted, joined by spaces). */
static char *videos(const char *run)
{
    char *dir = g_build_filename(run, "videos", NULL);
    char **names = rel_dir_names(dir);
    ck_assert_ptr_nonnull(names);
    char *joined = g_strjoinv(" ", names);
    g_strfreev(names);
    g_free(dir);
    return joined;
}

START_TEST(test_recordings_after_the_checkpoint_go_on_resume_and_earlier_ones_stay)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *run = g_build_filename(dir, "run", NULL);
    rel_train(pl, run, "--set", "eval.every_steps=64", "--set", "eval.episodes=1", "--set",
              "eval.record=true", NULL);
    char *recorded = videos(run);
    ck_assert_msg(strstr(recorded, "step000000000192-ep000-return") != NULL, "%s", recorded);
    /* a recording of a later evaluation (a run killed after it, before its checkpoint) */
    char *later = g_build_filename(run, "videos", "step000000000256-ep000-return9.00.gif", NULL);
    if (_i == 0) {
        g_free(rel_write("", later, "GIF89a"));
        rel_proc_t p;
        rel_opts_t o = {0};
        rel_run(&p, &o, "run", "--resume", run, "-q", NULL);
        rel_expect(&p, 0, NULL);
        rel_proc_clear(&p);
        char *now = videos(run);
        ck_assert_str_eq(now, recorded);
        g_free(now);
    } else {
        /* a sibling: under that name a directory, which a run never writes */
        ck_assert_int_eq(g_mkdir(later, 0755), 0);
        expect_refused(NULL, NULL, run, dir, "return9.00.gif: is a directory, which a run does not");
    }
    g_free(later);
    g_free(recorded);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

static Suite *proof_suite(void)
{
    Suite *s = suite_create("resume_proof");
    TCase *tc = tcase_create("proof");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_resume_of_a_checkpoint_into_another_run_dir_is_refused_touching_nothing,
                        0, 2);
    tcase_add_loop_test(tc, test_a_changed_metrics_or_episodes_csv_is_refused_and_left_as_it_is,
                        0, 6);
    tcase_add_loop_test(tc, test_recordings_after_the_checkpoint_go_on_resume_and_earlier_ones_stay,
                        0, 2);
    tcase_add_test(tc, test_an_events_file_of_another_run_is_refused_and_left_as_it_is);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(proof_suite());
}
