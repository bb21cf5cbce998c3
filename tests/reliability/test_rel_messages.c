/* ppofw reliability tests — messages (issue 18, root cause 9), one test per item, each with a
 * sibling: invalid UTF-8 in --set; `--` before a file name; resume mismatches naming each key
 * once; an absurd log_std_init and a loss that is NaN before any optimizer step; -o and --header
 * naming one file; integers just past their range; an explicit !!int on a quoted scalar; a key
 * over 1024 characters; a pipeline file whose name is not a run name; a full disk before any
 * checkpoint; check-env's crash message; a 100 KB argument and a 1 MB plugin error.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "rel_util.h"

static char *pipeline_text(const char *extra)
{
    return g_strdup_printf("name: rel-msg\n"
                           "seed: 5\n"
                           "env: {plugin: cartpole, num_envs: 2}\n"
                           "policy: {plugin: mlp, params: {pi_hidden: [8], vf_hidden: [8]}}\n"
                           "advantage: {plugin: gae}\n"
                           "optimizer: {plugin: adam}\n"
                           "ppo: {total_steps: 128, rollout_steps: 32, epochs: 1, minibatches: 1}\n"
                           "checkpoint: {every_seconds: null, every_steps: 64, keep: 10}\n%s",
                           extra != NULL ? extra : "");
}

static char *pipeline(const char *dir, const char *name, const char *extra)
{
    char *text = pipeline_text(extra);
    char *path = rel_write(dir, name, text);
    g_free(text);
    return path;
}

typedef struct {
    char *dir;
    char *pl;
} fixture_t;

static void fixture_init(fixture_t *f)
{
    f->dir = ppo_test_tmpdir();
    f->pl = pipeline(f->dir, "msg.yaml", NULL);
}

static void fixture_clear(fixture_t *f)
{
    ppo_test_rm_tree(f->dir);
    g_free(f->dir);
    g_free(f->pl);
}

static void expect_cmd(int code, const char *const *args, const char *const *parts,
                       const char *const *absent)
{
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_start(&p, &o, args);
    rel_wait(&p, &o);
    rel_expect(&p, code, NULL);
    for (const char *const *s = parts; s != NULL && *s != NULL; s++)
        ck_assert_msg(strstr(p.err, *s) != NULL, "stderr lacks \"%s\":\n%.2000s", *s, p.err);
    for (const char *const *s = absent; s != NULL && *s != NULL; s++)
        ck_assert_msg(strstr(p.err, *s) == NULL, "stderr has \"%s\":\n%.2000s", *s, p.err);
    rel_proc_clear(&p);
}

START_TEST(test_invalid_utf8_in_set_names_the_argument)
{
    fixture_t f;
    fixture_init(&f);
    static const char *const values[] = {"name=run\xff", "ppo.clip=\xc3\x28"};
    const char *args[] = {_i == 0 ? "run" : "validate", f.pl, "--set", values[_i], NULL};
    const char *parts[] = {"--set", "not valid UTF-8", "fix that argument", NULL};
    expect_cmd(2, args, parts, NULL);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_a_file_after_double_dash_is_taken_as_the_file)
{
    fixture_t f;
    fixture_init(&f);
    /* the example: a file name starting with '-' after "--"; a sibling: run */
    char *odd = g_build_filename(f.dir, "-x.yaml", NULL);
    const char *args[] = {_i == 0 ? "validate" : "run", "--", "-x.yaml", NULL};
    rel_proc_t p;
    rel_opts_t o = {.cwd = f.dir};
    rel_start(&p, &o, args);
    rel_wait(&p, &o);
    rel_expect(&p, 2, "-x.yaml: cannot open the pipeline", NULL);
    ck_assert_msg(strstr(p.err, "takes one") == NULL, "%s", p.err);
    rel_proc_clear(&p);
    /* and with the file there, it is used */
    char *text = pipeline_text(NULL);
    g_free(rel_write(f.dir, "-x.yaml", text));
    g_free(text);
    if (_i == 0) {
        rel_start(&p, &o, args);
        rel_wait(&p, &o);
        rel_expect(&p, 0, "is valid", NULL);
        rel_proc_clear(&p);
    }
    g_free(odd);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_a_resume_mismatch_names_each_key_once)
{
    fixture_t f;
    fixture_init(&f);
    char *run = g_build_filename(f.dir, "run", NULL);
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", f.pl, "--run-dir", run, "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    /* the example: a top-level key; a sibling: a nested one */
    static const char *const sets[] = {"seed=9", "ppo.epochs=3"};
    static const char *const said[] = {"has \"seed: 5\" where", "has \"ppo.epochs: 1\" where"};
    static const char *const twice[] = {"seed: seed", "epochs: epochs"};
    rel_run(&p, &o, "run", f.pl, "--resume", run, "--set", sets[_i], "-q", NULL);
    rel_expect(&p, 5, said[_i], NULL);
    ck_assert_msg(strstr(p.err, twice[_i]) == NULL, "%s", p.err);
    rel_proc_clear(&p);
    g_free(run);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_an_absurd_initial_log_std_is_named_and_an_initial_nan_is_not_blamed_on_lr)
{
    fixture_t f;
    fixture_init(&f);
    /* the example: log_std_init 1e300 is refused naming it */
    const char *args[] = {"validate", f.pl, "--set", "policy.params.log_std_init=1e300", NULL};
    const char *parts[] = {"policy.params.log_std_init", "out of range", NULL};
    expect_cmd(2, args, parts, NULL);
    /* a sibling: a loss NaN before any optimizer step is not blamed on the learning rate */
    char *pl = pipeline(f.dir, "nan.yaml", NULL);
    char *text = rel_read(pl, NULL);
    char **parts2 = g_strsplit(text, "policy: {plugin: mlp, params: {pi_hidden: [8], "
                                     "vf_hidden: [8]}}", 2);
    char *edited = g_strjoin("policy: {plugin: rel_nan_policy, params: {nan_from: 1}}", parts2[0],
                             parts2[1], NULL);
    g_free(rel_write(f.dir, "nan.yaml", edited));
    char *run = g_build_filename(f.dir, "run", NULL);
    const char *nan_args[] = {"run", pl, "--run-dir", run, "-q", NULL};
    const char *nan_parts[] = {"no optimizer step has run yet", "policy.params", NULL};
    const char *nan_absent[] = {"lower the learning rate", NULL};
    expect_cmd(4, nan_args, nan_parts, nan_absent);
    g_free(run);
    g_free(edited);
    g_strfreev(parts2);
    g_free(text);
    g_free(pl);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_export_refuses_one_file_as_both_source_and_header)
{
    fixture_t f;
    fixture_init(&f);
    char *run = g_build_filename(f.dir, "run", NULL);
    rel_proc_t p;
    rel_opts_t o = {.cwd = f.dir};
    rel_run(&p, &o, "run", f.pl, "--run-dir", run, "-q", NULL);
    rel_proc_clear(&p);
    char *ckpt = rel_latest_checkpoint(run);
    /* the example: the same name; a sibling: the same file by another name */
    const char *header = _i == 0 ? "p.c" : "./p.c";
    rel_run(&p, &o, "export", "--checkpoint", ckpt, "-o", "p.c", "--header", header, NULL);
    rel_expect(&p, 2, "name the same file", NULL);
    ck_assert_msg(strstr(p.err, "wrote") == NULL, "%s", p.err);
    rel_proc_clear(&p);
    g_free(ckpt);
    g_free(run);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_integers_just_past_their_range_are_refused)
{
    fixture_t f;
    fixture_init(&f);
    /* the example: seed; a sibling: ppo.total_steps (at most 1e15) */
    static const char *const bad[] = {"seed=9000000000000000001", "ppo.total_steps=1000000000000001"};
    static const char *const good[] = {"seed=9000000000000000000", "ppo.total_steps=1000000000000000"};
    const char *args[] = {"validate", f.pl, "--set", bad[_i], NULL};
    const char *parts[] = {"out of range", NULL};
    expect_cmd(2, args, parts, NULL);
    const char *ok_args[] = {"validate", f.pl, "--set", good[_i], NULL};
    expect_cmd(0, ok_args, NULL, NULL);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_an_explicit_number_tag_on_a_quoted_scalar_is_a_number)
{
    fixture_t f;
    fixture_init(&f);
    /* the example: !!int; a sibling: !!float */
    static const char *const sets[] = {"ppo.epochs=!!int \"5\"", "ppo.clip=!!float \"0.25\""};
    const char *args[] = {"validate", f.pl, "--set", sets[_i], "--print", NULL};
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_start(&p, &o, args);
    rel_wait(&p, &o);
    rel_expect(&p, 0, NULL);
    ck_assert_msg(strstr(p.out, _i == 0 ? "epochs: 5" : "clip: 0.25") != NULL, "%s", p.out);
    rel_proc_clear(&p);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_a_key_longer_than_1024_characters_is_named_as_such)
{
    fixture_t f;
    fixture_init(&f);
    GString *key = g_string_new(NULL);
    for (int k = 0; k < 1100; k++)
        g_string_append_c(key, 'k');
    /* the example: at the top level; a sibling: inside a section */
    char *extra = _i == 0 ? g_strdup_printf("%s: 1\n", key->str)
                          : g_strdup_printf("log:\n  %s: 1\n", key->str);
    char *pl = pipeline(f.dir, "long.yaml", extra);
    const char *args[] = {"validate", pl, NULL};
    const char *parts[] = {"a key longer than 1024 characters", NULL};
    expect_cmd(2, args, parts, NULL);
    g_free(pl);
    g_free(extra);
    g_string_free(key, TRUE);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_a_pipeline_file_name_that_is_no_run_name_still_names_its_run)
{
    fixture_t f;
    fixture_init(&f);
    /* the example: a space; a sibling: a leading dot and other punctuation */
    static const char *const files[] = {"my pipe.yaml", ".my+pipe!.yaml"};
    static const char *const prefixes[] = {"my-pipe-", "my-pipe-"};
    char *text = pipeline_text(NULL);
    /* without a name: key, the file's name names the run */
    char **lines = g_strsplit(text, "\n", 2);
    char *pl = rel_write(f.dir, files[_i], lines[1]);
    rel_proc_t p;
    rel_opts_t o = {.cwd = f.dir};
    rel_run(&p, &o, "run", files[_i], "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    char *runs = g_build_filename(f.dir, "runs", NULL);
    GDir *d = g_dir_open(runs, 0, NULL);
    ck_assert_ptr_nonnull(d);
    const char *made = g_dir_read_name(d);
    ck_assert_msg(made != NULL && g_str_has_prefix(made, prefixes[_i]), "the run is %s", made);
    g_dir_close(d);
    g_free(runs);
    g_free(pl);
    g_strfreev(lines);
    g_free(text);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_a_full_disk_before_any_checkpoint_promises_none)
{
    fixture_t f;
    fixture_init(&f);
    /* no periodic checkpoint until the end: metrics.csv fills the "disk" first */
    char *pl = pipeline(f.dir, "full.yaml", "log: {tensorboard: false}\n");
    char *text = rel_read(pl, NULL);
    char **a = g_strsplit(text, "every_steps: 64", 2);
    char *edited = g_strjoinv("every_steps: 1000000", a);
    char **b = g_strsplit(edited, "total_steps: 128", 2);
    char *edited2 = g_strjoinv("total_steps: 8192", b);
    g_strfreev(b);
    g_strfreev(a);
    g_free(rel_write(f.dir, "full.yaml", edited2));
    char *run = g_build_filename(f.dir, "run", NULL);
    rel_proc_t p;
    rel_opts_t o = {.fsize_limit = 4000};
    rel_run(&p, &o, "run", pl, "--run-dir", run, "-q", NULL);
    rel_expect(&p, 5, "File too large", "free some disk space",
               "no checkpoint was written yet", NULL);
    ck_assert_msg(strstr(p.err, "resumed from its last checkpoint") == NULL, "%s", p.err);
    rel_proc_clear(&p);
    g_free(run);
    g_free(edited2);
    g_free(edited);
    g_free(text);
    g_free(pl);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_a_crash_under_check_env_does_not_advise_resuming)
{
    static const char *const faults[] = {"{fault: segv_spaces}", "{fault: abort_step}"};
    const char *args[] = {"check-env", "rel_env_misbehave", "--params", faults[_i], NULL};
    const char *parts[] = {"crashed in", "fix the plugin", NULL};
    const char *absent[] = {"resume", "checkpoint", NULL};
    expect_cmd(3, args, parts, absent);
}
END_TEST

START_TEST(test_a_huge_argument_or_plugin_error_is_cut)
{
    rel_proc_t p;
    rel_opts_t o = {0};
    if (_i == 0) {
        /* the example: a 100 KB argument */
        GString *arg = g_string_new(NULL);
        for (int k = 0; k < 100000; k++)
            g_string_append_c(arg, 'a' + k % 26);
        const char *args[] = {"validate", arg->str, NULL};
        rel_start(&p, &o, args);
        rel_wait(&p, &o);
        rel_expect(&p, 2, "bytes cut", NULL);
        g_string_free(arg, TRUE);
    } else {
        /* a sibling: a plugin that explains its failure in a megabyte */
        const char *args[] = {"check-env", "rel_env_misbehave", "--params", "{fault: huge_error}",
                              NULL};
        rel_start(&p, &o, args);
        rel_wait(&p, &o);
        rel_expect(&p, 3, NULL);
        ck_assert_msg(strstr(p.out, "more bytes cut") != NULL, "%.500s", p.out);
        ck_assert_uint_lt(strlen(p.out), 20000);
    }
    ck_assert_uint_lt(strlen(p.err), 10000);
    rel_proc_clear(&p);
}
END_TEST

static Suite *messages_suite(void)
{
    Suite *s = suite_create("messages");
    TCase *tc = tcase_create("messages");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_invalid_utf8_in_set_names_the_argument, 0, 2);
    tcase_add_loop_test(tc, test_a_file_after_double_dash_is_taken_as_the_file, 0, 2);
    tcase_add_loop_test(tc, test_a_resume_mismatch_names_each_key_once, 0, 2);
    tcase_add_test(tc, test_an_absurd_initial_log_std_is_named_and_an_initial_nan_is_not_blamed_on_lr);
    tcase_add_loop_test(tc, test_export_refuses_one_file_as_both_source_and_header, 0, 2);
    tcase_add_loop_test(tc, test_integers_just_past_their_range_are_refused, 0, 2);
    tcase_add_loop_test(tc, test_an_explicit_number_tag_on_a_quoted_scalar_is_a_number, 0, 2);
    tcase_add_loop_test(tc, test_a_key_longer_than_1024_characters_is_named_as_such, 0, 2);
    tcase_add_loop_test(tc, test_a_pipeline_file_name_that_is_no_run_name_still_names_its_run, 0,
                        2);
    tcase_add_test(tc, test_a_full_disk_before_any_checkpoint_promises_none);
    tcase_add_loop_test(tc, test_a_crash_under_check_env_does_not_advise_resuming, 0, 2);
    tcase_add_loop_test(tc, test_a_huge_argument_or_plugin_error_is_cut, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(messages_suite());
}
