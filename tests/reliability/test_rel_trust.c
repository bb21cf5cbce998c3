/* ppofw reliability tests — a checkpoint is untrusted input (issue 18, root cause 1; issue 16,
 * item 8).
 *
 * Crafted checkpoints with valid CRCs: an events-file name that points outside the run
 * directory (and its siblings: an absolute path, a name with a slash, ".."), an embedded
 * pipeline or a recorded plugin file naming a library outside the search path (whose
 * constructor would leave a mark), and parameters or statistics that are NaN or infinite. Each
 * is refused with its exit code and a message saying what and how to fix it, and nothing
 * outside is touched or loaded. Then the other side: plugins the user's own pipeline named by
 * path are found again by eval, export and resume (the trusted-directory list), and `--resume
 * RUN_DIR` alone continues with the run's own pipeline and overrides.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "rel_util.h"

typedef struct {
    char *dir;      /* the test's temporary directory */
    char *xdg;      /* its XDG_CONFIG_HOME */
    char *xdg_env;  /* "XDG_CONFIG_HOME=..." */
    char *pipeline; /* a small CartPole pipeline */
    char *run_dir;  /* a trained run */
} fixture_t;

static char *write_pipeline(const char *dir, const char *name, const char *env, bool norm)
{
    char *text = g_strdup_printf(
        "name: rel-trust\n"
        "seed: 5\n"
        "env: {plugin: %s, num_envs: 2}\n"
        "policy: {plugin: mlp, params: {pi_hidden: [16], vf_hidden: [16]}}\n"
        "advantage: {plugin: gae}\n"
        "optimizer: {plugin: adam}\n"
        "ppo: {total_steps: 128, rollout_steps: 32, epochs: 1, minibatches: 2,\n"
        "      lr_schedule: constant}\n"
        "normalize: {obs: %s}\n"
        "checkpoint: {every_seconds: null, every_steps: 64, keep: 100}\n",
        env, norm ? "true" : "false");
    char *path = rel_write(dir, name, text);
    g_free(text);
    return path;
}

static void fixture_init(fixture_t *f, const char *env, bool norm)
{
    f->dir = ppo_test_tmpdir();
    f->xdg = g_build_filename(f->dir, "xdg", NULL);
    f->xdg_env = g_strdup_printf("XDG_CONFIG_HOME=%s", f->xdg);
    f->pipeline = write_pipeline(f->dir, "trust.yaml", env, norm);
    f->run_dir = g_build_filename(f->dir, "run", NULL);
    const char *env_vars[] = {f->xdg_env, NULL};
    rel_opts_t o = {.env = env_vars};
    rel_proc_t p;
    rel_run(&p, &o, "run", f->pipeline, "--run-dir", f->run_dir, "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
}

static void fixture_clear(fixture_t *f)
{
    ppo_test_rm_tree(f->dir);
    g_free(f->dir);
    g_free(f->xdg);
    g_free(f->xdg_env);
    g_free(f->pipeline);
    g_free(f->run_dir);
}

/* ppofw with the fixture's XDG_CONFIG_HOME (and REL_CTOR_MARK when `mark` is set). */
static void run_ppofw(const fixture_t *f, rel_proc_t *p, const char *mark, const char *const *args)
{
    char *mark_env = mark != NULL ? g_strdup_printf("REL_CTOR_MARK=%s", mark) : NULL;
    const char *env_vars[] = {f->xdg_env, mark_env, NULL};
    rel_opts_t o = {.env = env_vars};
    rel_start(p, &o, args);
    rel_wait(p, &o);
    ck_assert_msg(WIFEXITED(p->status), "ppofw did not exit normally; stderr:\n%s", p->err);
    g_free(mark_env);
}

/* ---- names a checkpoint gives ---- */

START_TEST(test_events_file_names_pointing_outside_the_run_are_refused_touching_nothing)
{
    static const char *const names[] = {
        "../../victim",                                   /* the example */
        "events.out.tfevents.1/../../../victim",          /* a slash inside */
        "..",                                             /* the parent itself */
        "/tmp/victim-absolute",                           /* an absolute path */
    };
    fixture_t f;
    fixture_init(&f, "cartpole", false);
    char *victim = rel_write(f.dir, "victim", "not ppofw's\n");
    char *latest = rel_latest_checkpoint(f.run_dir);
    char *original = g_strconcat(latest, ".orig", NULL);
    g_assert(g_rename(latest, original) == 0);
    rel_ckpt_set_info(original, latest, "tboard_file", names[_i]);
    g_unlink(original);
    char *before = rel_tree_digest(f.dir);

    rel_proc_t p;
    const char *args[] = {"run", f.pipeline, "--resume", f.run_dir, "-q", NULL};
    run_ppofw(&f, &p, NULL, args);
    rel_expect(&p, 5, latest, "not a plain file name", "crafted", NULL);
    rel_proc_clear(&p);
    char *after = rel_tree_digest(f.dir);
    ck_assert_str_eq(before, after);
    char *text = rel_read(victim, NULL);
    ck_assert_str_eq(text, "not ppofw's\n");

    g_free(text);
    g_free(after);
    g_free(before);
    g_free(original);
    g_free(latest);
    g_free(victim);
    fixture_clear(&f);
}
END_TEST

/* ---- code a checkpoint names ---- */

START_TEST(test_a_plugin_path_in_a_checkpoint_loads_no_code_in_eval_export_or_resume)
{
    fixture_t f;
    fixture_init(&f, "cartpole", false);
    char *latest = rel_latest_checkpoint(f.run_dir);
    char *crafted = g_build_filename(f.dir, "crafted.ckpt", NULL);
    char *lib = g_build_filename(rel_bad_dir(), "rel_ctor_mark.so", NULL);
    char *mark = g_build_filename(f.dir, "loaded", NULL);
    /* the example: the embedded pipeline names the library by path; its sibling: the pipeline
     * names it by name and INFO records the file */
    if (_i == 0) {
        char *spec = g_strdup_printf("plugin: %s", lib);
        rel_ckpt_edit_pipeline(latest, crafted, "plugin: cartpole", spec);
        g_free(spec);
    } else {
        char *step = g_build_filename(f.dir, "step.ckpt", NULL);
        rel_ckpt_edit_pipeline(latest, step, "plugin: cartpole", "plugin: rel_ctor_mark");
        rel_ckpt_set_info(step, crafted, "env.file", lib);
        g_free(step);
    }
    char *out = g_build_filename(f.dir, "policy.c", NULL);
    const char *eval_args[] = {"eval", "--checkpoint", crafted, "-n", "1", NULL};
    const char *export_args[] = {"export", "--checkpoint", crafted, "-o", out, NULL};
    const char *resume_args[] = {"run", "--resume", crafted, "--run-dir", f.run_dir, "-q", NULL};
    const char *const *commands[] = {eval_args, export_args, resume_args};
    for (size_t k = 0; k < G_N_ELEMENTS(commands); k++) {
        rel_proc_t p;
        run_ppofw(&f, &p, mark, commands[k]);
        rel_expect(&p, 3, "rel_ctor_mark", lib, "--plugin-path", rel_bad_dir(), NULL);
        rel_proc_clear(&p);
        ck_assert_msg(!g_file_test(mark, G_FILE_TEST_EXISTS),
                      "ppofw %s ran the constructor of a library only a checkpoint named",
                      commands[k][0]);
    }
    ck_assert(!g_file_test(out, G_FILE_TEST_EXISTS));

    /* vouched for by the user (--plugin-path), it is loaded: the test sees it */
    const char *vouched[] = {"eval", "--checkpoint", crafted, "-n", "1", "--plugin-path",
                             rel_bad_dir(), NULL};
    rel_proc_t p;
    run_ppofw(&f, &p, mark, vouched);
    rel_proc_clear(&p);
    ck_assert(g_file_test(mark, G_FILE_TEST_EXISTS));

    g_free(out);
    g_free(mark);
    g_free(lib);
    g_free(crafted);
    g_free(latest);
    fixture_clear(&f);
}
END_TEST

/* ---- numbers a checkpoint holds ---- */

START_TEST(test_non_finite_parameters_or_statistics_are_refused_by_eval_export_and_resume)
{
    /* the example: all-NaN parameters; siblings: infinite observation statistics, a NaN
     * optimizer state (resume only reads it) */
    static const struct {
        const char *tag;
        double value;
        const char *says;
        bool resume_only;
    } cases[] = {
        {"PARM", NAN, "parameters are NaN or infinite", false},
        {"NORM", INFINITY, "not finite", false},
        {"OPTS", NAN, "optimizer state holds NaN", true},
    };
    fixture_t f;
    fixture_init(&f, "cartpole", true);
    char *latest = rel_latest_checkpoint(f.run_dir);
    GBytes *sec = rel_ckpt_section(latest, cases[_i].tag);
    gsize n = 0;
    const void *raw = g_bytes_get_data(sec, &n);
    guint8 *data = g_memdup2(raw, n);
    if (strcmp(cases[_i].tag, "NORM") == 0) {
        /* the first observation mean, after dim (u32) and count (f64) */
        memcpy(data + 4 + 8, &cases[_i].value, sizeof(double));
    } else {
        const float v = (float)cases[_i].value;
        for (gsize k = 0; k + 4 <= n; k += 4)
            memcpy(data + k, &v, 4);
    }
    char *crafted = g_build_filename(f.dir, "crafted.ckpt", NULL);
    rel_ckpt_craft(latest, crafted, cases[_i].tag, data, n);
    /* resume reads the newest checkpoint of the run: put the crafted one there */
    char *in_run = g_build_filename(f.run_dir, "checkpoints", "ckpt-000000000999.ckpt", NULL);
    rel_ckpt_craft(crafted, in_run, cases[_i].tag, data, n);
    char *before = rel_tree_digest(f.run_dir);

    char *out = g_build_filename(f.dir, "policy.c", NULL);
    const char *eval_args[] = {"eval", "--checkpoint", crafted, "-n", "1", NULL};
    const char *export_args[] = {"export", "--checkpoint", crafted, "-o", out, NULL};
    const char *resume_args[] = {"run", "--resume", f.run_dir, "-q", NULL};
    const char *const *commands[] = {eval_args, export_args, resume_args};
    for (size_t k = cases[_i].resume_only ? 2 : 0; k < G_N_ELEMENTS(commands); k++) {
        rel_proc_t p;
        run_ppofw(&f, &p, NULL, commands[k]);
        rel_expect(&p, 5, cases[_i].says, NULL);
        ck_assert_msg(strstr(p.out, "return") == NULL, "%s printed a result: %s",
                      commands[k][0], p.out);
        rel_proc_clear(&p);
    }
    char *after = rel_tree_digest(f.run_dir);
    ck_assert_str_eq(before, after);

    g_free(after);
    g_free(before);
    g_free(out);
    g_free(in_run);
    g_free(crafted);
    g_free(data);
    g_bytes_unref(sec);
    g_free(latest);
    fixture_clear(&f);
}
END_TEST

/* ---- runs remember where their plugins came from ---- */

START_TEST(test_a_plugin_the_users_pipeline_named_by_path_is_found_again_without_plugin_path)
{
    char *lib = g_build_filename(rel_bad_dir(), "rel_ctor_mark.so", NULL);
    fixture_t f;
    fixture_init(&f, lib, false);
    char *latest = rel_latest_checkpoint(f.run_dir);
    char *out = g_build_filename(f.dir, "policy.c", NULL);

    /* the run vouched for the directory: eval, export and resume find the file */
    const char *eval_args[] = {"eval", "--checkpoint", latest, "-n", "2", NULL};
    const char *export_args[] = {"export", "--checkpoint", latest, "-o", out, NULL};
    const char *resume_args[] = {"run", "--resume", f.run_dir, "--set", "ppo.total_steps=192",
                                 "-q", NULL};
    const char *const *commands[] = {eval_args, export_args, resume_args};
    for (size_t k = 0; k < G_N_ELEMENTS(commands); k++) {
        rel_proc_t p;
        run_ppofw(&f, &p, NULL, commands[k]);
        rel_expect(&p, 0, NULL);
        rel_proc_clear(&p);
    }
    ck_assert(g_file_test(out, G_FILE_TEST_IS_REGULAR));

    /* another user (an empty trusted list) is told which flag vouches for it */
    char *other_xdg = g_strdup_printf("XDG_CONFIG_HOME=%s/other-user", f.dir);
    const char *env_vars[] = {other_xdg, NULL};
    rel_opts_t o = {.env = env_vars};
    rel_proc_t p;
    rel_run(&p, &o, "eval", "--checkpoint", latest, "-n", "1", NULL);
    rel_expect(&p, 3, "rel_ctor_mark", lib, "--plugin-path", NULL);
    rel_proc_clear(&p);
    rel_run(&p, &o, "eval", "--checkpoint", latest, "-n", "1", "--plugin-path", rel_bad_dir(), NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);

    g_free(other_xdg);
    g_free(out);
    g_free(latest);
    fixture_clear(&f);
    g_free(lib);
}
END_TEST

START_TEST(test_resume_with_only_the_run_dir_keeps_the_runs_pipeline_and_overrides)
{
    fixture_t f;
    fixture_init(&f, "cartpole", false);
    const char *env_vars[] = {f.xdg_env, NULL};
    rel_opts_t o = {.env = env_vars};
    rel_proc_t p;
    /* the whole run at once, with overrides */
    char *whole = g_build_filename(f.dir, "whole", NULL);
    rel_run(&p, &o, "run", f.pipeline, "--run-dir", whole, "--set", "seed=9", "--set",
            "ppo.clip=0.1", "--set", "ppo.total_steps=256", "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    /* half of it, then --resume alone (only the new total given) */
    char *halves = g_build_filename(f.dir, "halves", NULL);
    rel_run(&p, &o, "run", f.pipeline, "--run-dir", halves, "--set", "seed=9", "--set",
            "ppo.clip=0.1", "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    rel_run(&p, &o, "run", "--resume", halves, "--set", "ppo.total_steps=256", "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);

    char *a = rel_latest_checkpoint(whole), *b = rel_latest_checkpoint(halves);
    rel_assert_same_state(a, b);
    char *ma = g_build_filename(whole, "metrics.csv", NULL);
    char *mb = g_build_filename(halves, "metrics.csv", NULL);
    rel_assert_same_metrics(ma, mb);

    g_free(mb);
    g_free(ma);
    g_free(b);
    g_free(a);
    g_free(halves);
    g_free(whole);
    fixture_clear(&f);
}
END_TEST

static Suite *trust_suite(void)
{
    Suite *s = suite_create("trust");
    TCase *tc = tcase_create("trust");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_events_file_names_pointing_outside_the_run_are_refused_touching_nothing,
                        0, 4);
    tcase_add_loop_test(tc, test_a_plugin_path_in_a_checkpoint_loads_no_code_in_eval_export_or_resume,
                        0, 2);
    tcase_add_loop_test(tc, test_non_finite_parameters_or_statistics_are_refused_by_eval_export_and_resume,
                        0, 3);
    tcase_add_test(tc, test_a_plugin_the_users_pipeline_named_by_path_is_found_again_without_plugin_path);
    tcase_add_test(tc, test_resume_with_only_the_run_dir_keeps_the_runs_pipeline_and_overrides);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(trust_suite());
}
