/* ppofw reliability tests — only our own files are ever changed or deleted (issue 18, root
 * cause 4).
 *
 * `--overwrite` of a run whose checkpoints/ (or tb/, or videos/) is a symbolic link to elsewhere; an empty
 * --run-dir (and an empty --resume) with the user's own pipeline.yaml in the working directory;
 * `--resume RUN` of a run whose checkpoints are gone; `--overwrite` of a directory that is not
 * a ppofw run. And the sweeping one: a run directory planted with links to files outside it,
 * hard links, FIFOs and directories under the names a run writes, and crafted names, then every
 * command that writes or reads a run directory — the tree around the run directory is compared
 * with a SHA-256 before and after: nothing outside it was created, changed or deleted.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "rel_util.h"

static char *pipeline(const char *dir)
{
    return rel_cartpole_pipeline(dir, "rel-own", 4, 128);
}

/* A directory outside the run holding files named as a run's are. */
static char *outside(const char *dir)
{
    char *out = g_build_filename(dir, "outside", NULL);
    ck_assert_int_eq(g_mkdir(out, 0755), 0);
    static const char *const names[] = {"ckpt-000000000064.ckpt", "best.ckpt",
                                        "ckpt-000000000064.ckpt.tmp", "x.tmp",
                                        "events.out.tfevents.1.host.1.0", "metrics.csv",
                                        "pipeline.yaml", "episodes.csv",
                                        "step000000000064-ep000-return9.00.gif", NULL};
    for (const char *const *n = names; *n != NULL; n++)
        g_free(rel_write(out, *n, "the user's own file\n"));
    return out;
}

START_TEST(test_overwrite_never_follows_a_linked_subdirectory_of_the_run)
{
    static const char *const subs[] = {"checkpoints", "tb", "videos"}; /* the example, siblings */
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *run = g_build_filename(dir, "run", NULL);
    rel_train(pl, run, NULL);
    char *out = outside(dir);
    char *sub = g_build_filename(run, subs[_i], NULL);
    ppo_test_rm_tree(sub);
    ck_assert_int_eq(symlink(out, sub), 0);
    char *before = rel_tree_digest(out);

    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pl, "--run-dir", run, "--overwrite", "-q", NULL);
    rel_expect(&p, 5, sub, "symbolic link", "nothing was removed", NULL);
    rel_proc_clear(&p);
    char *after = rel_tree_digest(out);
    ck_assert_str_eq(before, after);

    g_free(after);
    g_free(before);
    g_free(sub);
    g_free(out);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_an_empty_run_dir_name_is_refused_before_anything_is_written)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    /* the user's own pipeline.yaml in the working directory */
    g_free(rel_write(dir, "pipeline.yaml", "# mine\n"));
    char *before = rel_tree_digest(dir);
    rel_proc_t p;
    rel_opts_t o = {.cwd = dir};
    if (_i == 0)
        rel_run(&p, &o, "run", pl, "--run-dir", "", "-q", NULL);
    else
        rel_run(&p, &o, "run", pl, "--resume", "", "-q", NULL);
    rel_expect(&p, 2, "an empty", NULL);
    rel_proc_clear(&p);
    char *after = rel_tree_digest(dir);
    ck_assert_str_eq(before, after);
    g_free(after);
    g_free(before);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_resume_of_a_run_without_checkpoints_keeps_its_rows)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *run = g_build_filename(dir, "run", NULL);
    rel_train(pl, run, NULL);
    char *ckpts = g_build_filename(run, "checkpoints", NULL);
    ppo_test_rm_tree(ckpts);
    ck_assert_int_eq(g_mkdir(ckpts, 0755), 0);
    char *before = rel_tree_digest(dir);
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pl, "--resume", run, "-q", NULL);
    rel_expect(&p, 5, "has no checkpoint to resume from", "rows", "nothing was changed",
               "--overwrite", NULL);
    rel_proc_clear(&p);
    char *after = rel_tree_digest(dir);
    ck_assert_str_eq(before, after);

    /* asked for, the run starts again */
    rel_run(&p, &o, "run", pl, "--run-dir", run, "--overwrite", "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    ck_assert_uint_eq(rel_metrics_rows(run), 2);

    g_free(after);
    g_free(before);
    g_free(ckpts);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_overwrite_of_a_directory_that_is_not_a_run_is_refused)
{
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *mine = g_build_filename(dir, "mine", NULL);
    ck_assert_int_eq(g_mkdir(mine, 0755), 0);
    /* files a run would write, but the user's */
    g_free(rel_write(mine, "metrics.csv", "a,b\n1,2\n"));
    g_free(rel_write(mine, "pipeline.yaml", "# mine\n"));
    char *ck = g_build_filename(mine, "checkpoints", NULL);
    ck_assert_int_eq(g_mkdir(ck, 0755), 0);
    g_free(rel_write(ck, "ckpt-000000000064.ckpt", "mine\n"));
    char *before = rel_tree_digest(dir);
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pl, "--run-dir", mine, "--overwrite", "-q", NULL);
    rel_expect(&p, 2, "is not a ppofw run", NULL);
    rel_proc_clear(&p);
    char *after = rel_tree_digest(dir);
    ck_assert_str_eq(before, after);
    g_free(after);
    g_free(before);
    g_free(ck);
    g_free(mine);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

/* ---- the planted run directory ---- */

typedef struct {
    const char *name;                  /* what is planted */
    void (*plant)(const char *run, const char *out);
} plant_t;

static void link_to(const char *run, const char *rel, const char *target)
{
    char *path = g_build_filename(run, rel, NULL);
    g_unlink(path);
    ck_assert_msg(symlink(target, path) == 0, "symlink %s", path);
    g_free(path);
}

static void plant_metrics_link(const char *run, const char *out)
{
    char *t = g_build_filename(out, "metrics.csv", NULL);
    link_to(run, "metrics.csv", t);
    g_free(t);
}

static void plant_pipeline_link(const char *run, const char *out)
{
    char *t = g_build_filename(out, "pipeline.yaml", NULL);
    link_to(run, "pipeline.yaml", t);
    g_free(t);
}

static void plant_checkpoint_links(const char *run, const char *out)
{
    static const char *const names[] = {"ckpt-000000000064.ckpt", "best.ckpt",
                                        "ckpt-000000000064.ckpt.tmp"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *rel = g_build_filename("checkpoints", names[i], NULL);
        char *t = g_build_filename(out, names[i], NULL);
        link_to(run, rel, t);
        g_free(t);
        g_free(rel);
    }
    /* the newest one a link too */
    char *t = g_build_filename(out, "best.ckpt", NULL);
    link_to(run, "checkpoints/ckpt-999999999999.ckpt", t);
    g_free(t);
}

static void plant_events_link(const char *run, const char *out)
{
    char *tb = g_build_filename(run, "tb", NULL);
    GDir *d = g_dir_open(tb, 0, NULL);
    char *name = g_strdup(g_dir_read_name(d));
    g_dir_close(d);
    char *rel = g_build_filename("tb", name, NULL);
    char *t = g_build_filename(out, "events.out.tfevents.1.host.1.0", NULL);
    link_to(run, rel, t);
    g_free(t);
    g_free(rel);
    g_free(name);
    g_free(tb);
}

static void plant_hard_link(const char *run, const char *out)
{
    char *src = g_build_filename(out, "metrics.csv", NULL);
    char *dst = g_build_filename(run, "metrics.csv", NULL);
    g_unlink(dst);
    ck_assert_int_eq(link(src, dst), 0);
    g_free(dst);
    g_free(src);
}

static void plant_marker_and_lock_links(const char *run, const char *out)
{
    char *t = g_build_filename(out, "pipeline.yaml", NULL);
    link_to(run, ".ppofw-lock", t);
    link_to(run, ".ppofw-run", t);
    g_free(t);
}

static void plant_odd_entries(const char *run, const char *out)
{
    (void)out;
    char *ck = g_build_filename(run, "checkpoints", NULL);
    /* a FIFO and a directory named as the newest checkpoints, crafted names beside them */
    g_free(rel_fifo(ck, "ckpt-999999999999.ckpt"));
    char *d = g_build_filename(ck, "ckpt-999999999998.ckpt", NULL);
    ck_assert_int_eq(g_mkdir(d, 0755), 0);
    g_free(rel_write(ck, "ckpt-\n000000000001.ckpt", "x"));
    g_free(rel_write(ck, "ckpt- 00000000001.ckpt", "x"));
    g_free(rel_fifo(run, "pipeline.yaml.tmp"));
    g_free(d);
    g_free(ck);
}

START_TEST(test_planted_links_and_names_never_reach_outside_the_run_dir)
{
    static const plant_t plants[] = {
        {"metrics.csv -> outside", plant_metrics_link},
        {"pipeline.yaml -> outside", plant_pipeline_link},
        {"checkpoints/*.ckpt -> outside", plant_checkpoint_links},
        {"tb/events -> outside", plant_events_link},
        {"metrics.csv hard-linked to outside", plant_hard_link},
        {".ppofw-lock and .ppofw-run -> outside", plant_marker_and_lock_links},
        {"FIFOs, directories and crafted names", plant_odd_entries},
    };
    char *dir = ppo_test_tmpdir();
    char *pl = pipeline(dir);
    char *run = g_build_filename(dir, "run", NULL);
    rel_train(pl, run, NULL);
    char *out = outside(dir);
    plants[_i].plant(run, out);
    char *before = rel_tree_digest(out);
    char *fifo_ckpt = g_build_filename(run, "checkpoints", "ckpt-999999999999.ckpt", NULL);
    char *plot = g_build_filename(dir, "plot.svg", NULL);

    /* every command that writes or reads the run directory; none may hang or be killed */
    const char *resume[] = {"run", pl, "--resume", run, "--set", "ppo.total_steps=192", "-q",
                            NULL};
    const char *resume_alone[] = {"run", "--resume", run, "--set", "ppo.total_steps=256", "-q",
                                  NULL};
    const char *overwrite[] = {"run", pl, "--run-dir", run, "--overwrite", "-q", NULL};
    const char *fresh[] = {"run", pl, "--run-dir", run, "-q", NULL};
    const char *eval[] = {"eval", "--checkpoint", fifo_ckpt, "-n", "1", NULL};
    const char *plot_args[] = {"plot", run, "-o", plot, NULL};
    const char *const *commands[] = {resume, resume_alone, overwrite, fresh, eval, plot_args};
    for (size_t k = 0; k < G_N_ELEMENTS(commands); k++) {
        rel_proc_t p;
        rel_opts_t o = {.timeout_s = 60};
        rel_start(&p, &o, commands[k]);
        rel_wait(&p, &o);
        ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) <= 5,
                      "%s: ppofw %s %s: status %d; stderr:\n%s", plants[_i].name, commands[k][0],
                      commands[k][1], p.status, p.err);
        char *now = rel_tree_digest(out);
        ck_assert_msg(strcmp(before, now) == 0, "%s: ppofw %s %s changed a file outside the run "
                      "directory; stderr:\n%s", plants[_i].name, commands[k][0], commands[k][1],
                      p.err);
        g_free(now);
        rel_proc_clear(&p);
    }

    g_free(plot);
    g_free(fifo_ckpt);
    g_free(before);
    g_free(out);
    g_free(run);
    g_free(pl);
    ppo_test_rm_tree(dir);
    g_free(dir);
}
END_TEST

static Suite *ownership_suite(void)
{
    Suite *s = suite_create("ownership");
    TCase *tc = tcase_create("ownership");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_overwrite_never_follows_a_linked_subdirectory_of_the_run, 0, 3);
    tcase_add_loop_test(tc, test_an_empty_run_dir_name_is_refused_before_anything_is_written, 0,
                        2);
    tcase_add_test(tc, test_resume_of_a_run_without_checkpoints_keeps_its_rows);
    tcase_add_test(tc, test_overwrite_of_a_directory_that_is_not_a_run_is_refused);
    tcase_add_loop_test(tc, test_planted_links_and_names_never_reach_outside_the_run_dir, 0, 7);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(ownership_suite());
}
