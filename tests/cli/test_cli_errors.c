/* ppofw tests — the ppofw program's answer to bad input: one clear line and the right exit code.
 *
 * Spawns the built program ($PPO_TEST_BUILDDIR/ppofw) and checks that it always exits normally
 * (never by a signal) with the code of DESIGN.md §6, and that stderr holds one line
 * "ppofw: where: what; fix" naming the file, the line:col, the key and the fix. Classes of bad
 * input: each bad pipeline file of tests/data/pipelines/ (exit 2); the same classes through
 * --set on a good pipeline (exit 2); each broken fixture plugin and each non-plugin file named
 * by a pipeline (exit 3); a pipeline that is a directory or missing; unknown subcommands and
 * options; an existing --run-dir. --version and --help must succeed on stdout.
 *
 * The valid pipelines use the shipped plugins cartpole, mlp, gae and adam, so the tests that get
 * past the pipeline (plugin params, create failures, run) need plugins/policies/.libs/mlp.so.
 * What it leaves out: training results (other suites) and checkpoints.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "ppo_test.h"

/* ---- spawning ---- */

typedef struct {
    int status; /* raw wait status */
    char *out;  /* stdout */
    char *err;  /* stderr */
} result_t;

static void result_clear(result_t *r)
{
    g_free(r->out);
    g_free(r->err);
    memset(r, 0, sizeof(*r));
}

static const char *build_dir(void)
{
    const char *b = g_getenv("PPO_TEST_BUILDDIR");
    return b != NULL ? b : PPO_ABS_BUILDDIR;
}

/* The directory the fixture plugins are built into (transfer full). */
static char *fixture_dir(void)
{
    return g_build_filename(build_dir(), "tests", "fixtures", ".libs", NULL);
}

/* Canonical path of fixture NAME.so (transfer full); fails if it is not built. */
static char *fixture(const char *name)
{
    char *dir = fixture_dir();
    char *file = g_strconcat(name, ".so", NULL);
    char *path = g_build_filename(dir, file, NULL);
    char *real = realpath(path, NULL);
    ck_assert_msg(real != NULL, "fixture %s is not built (%s): run make check", path,
                  g_strerror(errno));
    char *out = g_strdup(real);
    free(real);
    g_free(path);
    g_free(file);
    g_free(dir);
    return out;
}

/* Absolute path of tests/data/pipelines/NAME (transfer full). */
static char *pipeline_file(const char *name)
{
    char *rel = g_build_filename("pipelines", name, NULL);
    char *path = ppo_test_data_path(rel);
    g_free(rel);
    return path;
}

/* Run ppofw with the NULL-terminated arguments in `cwd` (NULL: the current directory), with
 * PPOFW_PLUGIN_PATH pointing at the fixtures. Fails the test unless it exits normally. */
static result_t run_args(const char *cwd, const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_build_filename(build_dir(), "ppofw", NULL));
    for (const char *const *a = args; *a != NULL; a++)
        g_ptr_array_add(argv, g_strdup(*a));
    g_ptr_array_add(argv, NULL);
    char **envp = g_get_environ();
    char *fixdir = fixture_dir();
    envp = g_environ_setenv(envp, "PPOFW_PLUGIN_PATH", fixdir, TRUE);
    result_t r = {0, NULL, NULL};
    GError *error = NULL;
    gboolean ok = g_spawn_sync(cwd, (char **)argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL, &r.out,
                               &r.err, &r.status, &error);
    ck_assert_msg(ok, "cannot run %s: %s", (char *)argv->pdata[0],
                  error != NULL ? error->message : "");
    const char *what = args[0] != NULL ? args[0] : "(no arguments)";
    ck_assert_msg(!WIFSIGNALED(r.status), "ppofw %s was killed by signal %d; stderr:\n%s", what,
                  WIFSIGNALED(r.status) ? WTERMSIG(r.status) : 0, r.err);
    ck_assert_msg(WIFEXITED(r.status), "ppofw %s did not exit normally", what);
    g_free(fixdir);
    g_strfreev(envp);
    g_ptr_array_free(argv, TRUE);
    return r;
}

/* Run ppofw with the NULL-terminated arguments that follow (in the current directory). */
static result_t run(const char *first, ...)
{
    GPtrArray *args = g_ptr_array_new();
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
        g_ptr_array_add(args, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    result_t r = run_args(NULL, (const char *const *)args->pdata);
    g_ptr_array_free(args, TRUE);
    return r;
}

/* Fail unless `r` exited with `code`, printed nothing on stdout, and printed exactly one line on
 * stderr that starts with `prefix` and contains each of the NULL-terminated parts that follow. */
static void expect_one_line(const result_t *r, int code, const char *prefix, ...)
{
    ck_assert_msg(WEXITSTATUS(r->status) == code, "exit code %d instead of %d; stderr:\n%s",
                  WEXITSTATUS(r->status), code, r->err);
    ck_assert_msg(r->out[0] == '\0', "stdout is not empty: %s", r->out);
    const char *nl = strchr(r->err, '\n');
    ck_assert_msg(nl != NULL && nl[1] == '\0', "stderr is not exactly one line:\n%s", r->err);
    ck_assert_msg(g_str_has_prefix(r->err, prefix), "stderr \"%s\" does not start with \"%s\"",
                  r->err, prefix);
    va_list ap;
    va_start(ap, prefix);
    for (const char *part = va_arg(ap, const char *); part != NULL; part = va_arg(ap, const char *))
        ck_assert_msg(strstr(r->err, part) != NULL, "stderr \"%s\" lacks \"%s\"", r->err, part);
    va_end(ap);
}


/* Write `text` to dir/name; returns the path (transfer full). */
static char *write_text(const char *dir, const char *name, const char *text, gssize len)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *error = NULL;
    ck_assert_msg(g_file_set_contents(path, text, len, &error), "%s",
                  error != NULL ? error->message : "");
    return path;
}

/* ---- bad pipeline files: exit 2 ---- */

/* One bad pipeline file and what its message must say after "ppofw: FILE". */
typedef struct {
    const char *file;
    const char *where; /* what follows the path: ":line:col: key: " or ": " */
    const char *parts[4];
} bad_file_t;

static const bad_file_t bad_files[] = {
    {"bad-syntax.yaml",
     ":8:9: ",
     {"did not find expected ',' or ']'", "while parsing a flow sequence at line 7, column 16"}},
    {"bad-tab.yaml", ":3:1: ", {"found character that cannot start any token"}},
    {"bad-indentation.yaml",
     ":5:2: ",
     {"did not find expected key", "while parsing a block mapping at line 2, column 1"}},
    {"bad-duplicate-key.yaml",
     ":10:3: ",
     {"duplicate key \"epochs\"", "first at line 8", "remove one of them"}},
    {"bad-duplicate-key-flow.yaml", ":2:38: ", {"duplicate key \"plugin\"", "first at line 2"}},
    {"bad-second-document.yaml", ":7:1: ", {"a second YAML document", "remove '---'"}},
    {"bad-alias-bomb.yaml", ":7:", {"expands to more than 100000 nodes"}},
    {"bad-unknown-alias.yaml", ":4:34: ", {"unknown alias *gae_params"}},
    {"bad-tag.yaml",
     ":5:21: ",
     {"unsupported tag \"tag:yaml.org,2002:python/name:os.system\"", "remove it"}},
    {"empty.yaml", ": ", {"the pipeline is empty", "env, policy, advantage, optimizer and ppo"}},
    {"bad-not-a-mapping.yaml", ":2:1: ", {"expected a mapping, got a list"}},
    {"bad-missing-section.yaml",
     ":1:1: ",
     {"optimizer: missing section", "add \"optimizer:\" with a plugin"}},
    {"bad-unknown-key-top.yaml",
     ":3:1: ",
     {"unknown key \"polcy\" in the pipeline", "did you mean \"policy\"?"}},
    {"bad-unknown-key-section.yaml",
     ":4:3: ",
     {"unknown key \"num_env\" in env", "did you mean \"num_envs\"?"}},
    {"bad-unknown-key-nested.yaml",
     ":9:3: ",
     {"unknown key \"clip_ob\" in normalize", "did you mean \"clip_obs\"?"}},
    {"bad-wrong-type.yaml",
     ":4:13: env.num_envs: ",
     {"expected an integer in [1, 65536], got \"eight\""}},
    {"bad-negative-size.yaml",
     ":8:18: ppo.rollout_steps: ",
     {"expected an integer in [1, 100000000], got \"-16\" (out of range)"}},
    {"bad-num-envs-zero.yaml",
     ":4:13: env.num_envs: ",
     {"expected an integer in [1, 65536], got \"0\" (out of range)"}},
    {"bad-huge.yaml",
     ":8:9: ppo.clip: ",
     {"expected a number in (0, 1], got \"1e400\" (too large to represent)"}},
    {"bad-nan.yaml", ":8:12: ppo.vf_coef: ", {"expected a number >= 0, got \".nan\""}},
    {"bad-enum.yaml",
     ":8:14: ppo.objective: ",
     {"expected one of clip, kl_penalty, kl_fixed, none, got \"clipp\"", "did you mean \"clip\"?"}},
    {"bad-minibatches.yaml",
     ":9:16: ppo.minibatches: ",
     {"3 does not divide the batch of 32 samples", "env.num_envs 2 x ppo.rollout_steps 16",
      "use a divisor such as 2, 4, 8, 16, 32"}},
};

/* Check one bad file through `ppofw validate` (and, for pipeline errors, `ppofw run`). */
static void check_bad_file(const bad_file_t *b, const char *command)
{
    char *path = pipeline_file(b->file);
    char *tmp = ppo_test_tmpdir();
    char *run_dir = g_build_filename(tmp, "run", NULL);
    result_t r = strcmp(command, "run") == 0
                     ? run("run", path, "--run-dir", run_dir, "--quiet", NULL)
                     : run(command, path, NULL);
    char *prefix = g_strdup_printf("ppofw: %s%s", path, b->where);
    expect_one_line(&r, 2, prefix, b->parts[0] != NULL ? b->parts[0] : "",
                    b->parts[1] != NULL ? b->parts[1] : "", b->parts[2] != NULL ? b->parts[2] : "",
                    NULL);
    /* a refused pipeline leaves no run directory behind */
    ck_assert_msg(!g_file_test(run_dir, G_FILE_TEST_EXISTS), "%s made %s", b->file, run_dir);
    g_free(prefix);
    result_clear(&r);
    ppo_test_rm_tree(tmp);
    g_free(run_dir);
    g_free(tmp);
    g_free(path);
}

START_TEST(test_cli_validate_refuses_each_bad_pipeline_file_with_exit_2)
{
    check_bad_file(&bad_files[_i], "validate");
}
END_TEST

START_TEST(test_cli_run_refuses_each_bad_pipeline_file_with_exit_2)
{
    check_bad_file(&bad_files[_i], "run");
}
END_TEST

START_TEST(test_cli_validate_refuses_binary_garbage_with_exit_2)
{
    char *tmp = ppo_test_tmpdir();
    char garbage[4096];
    GRand *rand = g_rand_new_with_seed(7);
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)g_rand_int_range(rand, 0, 256);
    garbage[0] = (char)0x89;
    g_rand_free(rand);
    char *path = write_text(tmp, "noise.yaml", garbage, sizeof garbage);
    result_t r = run("validate", path, NULL);
    char *prefix = g_strdup_printf("ppofw: %s: ", path);
    expect_one_line(&r, 2, prefix, "not a YAML text", "at byte 0", "binary file", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(path);

    static const char nuls[64] = {0};
    path = write_text(tmp, "nuls.yaml", nuls, sizeof nuls);
    r = run("validate", path, NULL);
    prefix = g_strdup_printf("ppofw: %s: ", path);
    expect_one_line(&r, 2, prefix, "not a YAML text", "control characters", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(path);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_validate_refuses_nesting_10000_deep_with_exit_2)
{
    char *tmp = ppo_test_tmpdir();
    GString *s = g_string_new("seed: ");
    for (int i = 0; i < 10000; i++)
        g_string_append_c(s, '[');
    for (int i = 0; i < 10000; i++)
        g_string_append_c(s, ']');
    g_string_append_c(s, '\n');
    char *path = write_text(tmp, "deep.yaml", s->str, (gssize)s->len);
    result_t r = run("validate", path, NULL);
    char *prefix = g_strdup_printf("ppofw: %s:1:70: ", path);
    expect_one_line(&r, 2, prefix, "nesting deeper than 64 levels", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(path);

    g_string_assign(s, "");
    for (int i = 0; i < 10000; i++)
        g_string_append(s, "- ");
    g_string_append(s, "x\n");
    path = write_text(tmp, "deep-block.yaml", s->str, (gssize)s->len);
    r = run("validate", path, NULL);
    prefix = g_strdup_printf("ppofw: %s:1:129: ", path);
    expect_one_line(&r, 2, prefix, "nesting deeper than 64 levels", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(path);
    g_string_free(s, TRUE);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_validate_refuses_a_pipeline_that_is_a_directory_with_exit_2)
{
    char *tmp = ppo_test_tmpdir();
    char *dir = g_build_filename(tmp, "pipeline.yaml", NULL);
    ck_assert_int_eq(g_mkdir(dir, 0755), 0);
    result_t r = run("validate", dir, NULL);
    char *prefix = g_strdup_printf("ppofw: %s: ", dir);
    expect_one_line(&r, 2, prefix, "not a regular file", "it is a directory",
                    "give the path of a pipeline .yaml file", NULL);
    result_clear(&r);
    g_free(prefix);
    ppo_test_rm_tree(tmp);
    g_free(dir);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_validate_refuses_a_missing_pipeline_with_exit_2)
{
    char *tmp = ppo_test_tmpdir();
    char *path = g_build_filename(tmp, "nope.yaml", NULL);
    result_t r = run("validate", path, NULL);
    char *prefix = g_strdup_printf("ppofw: %s: ", path);
    expect_one_line(&r, 2, prefix, "cannot open the pipeline", "No such file or directory",
                    "check the path", NULL);
    result_clear(&r);
    g_free(prefix);
    ppo_test_rm_tree(tmp);
    g_free(path);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_validate_refuses_bad_plugin_params_with_exit_2)
{
    char *path = pipeline_file("bad-plugin-params.yaml");
    result_t r = run("validate", path, NULL);
    char *prefix = g_strdup_printf("ppofw: %s:6:12: ", path);
    expect_one_line(&r, 2, prefix, "unknown key \"gama\" in advantage.params",
                    "did you mean \"gamma\"?", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(path);

    path = pipeline_file("bad-plugin-param-value.yaml");
    r = run("validate", path, NULL);
    prefix = g_strdup_printf("ppofw: %s:7:13: advantage.params.lambda: ", path);
    expect_one_line(&r, 2, prefix, "expected a number in [0, 1], got \"1.5\" (out of range)", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(path);
}
END_TEST

/* ---- the same classes through --set: exit 2 ---- */

typedef struct {
    const char *set;
    const char *parts[3];
} bad_set_t;

static const bad_set_t bad_sets[] = {
    {"env.num_envs=0",
     {"env.num_envs: expected an integer in [1, 65536], got \"0\" (out of range)"}},
    {"env.num_envs=eight", {"env.num_envs: expected an integer in [1, 65536], got \"eight\""}},
    {"ppo.rollout_steps=-16", {"ppo.rollout_steps: ", "got \"-16\" (out of range)"}},
    {"ppo.clip=1e400", {"ppo.clip: ", "got \"1e400\" (too large to represent)"}},
    {"ppo.vf_coef=.nan", {"ppo.vf_coef: expected a number >= 0, got \".nan\""}},
    {"ppo.objective=clipp", {"ppo.objective: ", "did you mean \"clip\"?"}},
    {"ppo.minibatches=3",
     {"ppo.minibatches: 3 does not divide the batch of 32 samples", "2, 4, 8, 16, 32"}},
    {"ppo.totl_steps=5", {"unknown key \"totl_steps\" in ppo", "did you mean \"total_steps\"?"}},
    {"polcy.plugin=mlp", {"unknown key \"polcy\" in the pipeline", "did you mean \"policy\"?"}},
    {"normalize.clip_ob=5", {"unknown key \"clip_ob\" in normalize", "did you mean \"clip_obs\"?"}},
    {"normalize.obs=yes", {"normalize.obs: expected true or false, got \"yes\""}},
    {"ppo=[1]", {"ppo: expected a mapping, got a list"}},
    {"ppo.clip", {"expected KEY=VALUE", "e.g. --set ppo.clip=0.1"}},
    {"ppo.clip=[0.1", {"the value is not valid YAML"}},
    {"ppo..clip=0.1", {"is not a key path"}},
    {"env.plugin.x=1",
     {"env.plugin is not a mapping", "good.yaml:6:11", "\"env.plugin.x\" cannot be set"}},
};

START_TEST(test_cli_validate_refuses_each_bad_set_with_exit_2)
{
    const bad_set_t *b = &bad_sets[_i];
    char *path = pipeline_file("good.yaml");
    result_t r = run("validate", path, "--set", b->set, NULL);
    char *prefix = g_strdup_printf("ppofw: --set %s: ", b->set);
    expect_one_line(&r, 2, prefix, b->parts[0], b->parts[1] != NULL ? b->parts[1] : "",
                    b->parts[2] != NULL ? b->parts[2] : "", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(path);
}
END_TEST

START_TEST(test_cli_validate_refuses_a_bad_set_of_plugin_params_with_exit_2)
{
    char *path = pipeline_file("good.yaml");
    result_t r = run("validate", path, "--set", "advantage.params.gama=0.9", NULL);
    expect_one_line(&r, 2, "ppofw: --set advantage.params.gama=0.9: ",
                    "unknown key \"gama\" in advantage.params", "did you mean \"gamma\"?", NULL);
    result_clear(&r);
    r = run("validate", path, "-s", "advantage.params.lambda=2", NULL);
    expect_one_line(&r, 2, "ppofw: --set advantage.params.lambda=2: advantage.params.lambda: ",
                    "got \"2\" (out of range)", NULL);
    result_clear(&r);
    g_free(path);
}
END_TEST

/* ---- bad plugins named by a pipeline: exit 3 ---- */

/* Write dir/pipeline.yaml whose env plugin is `env_plugin` (line 2, column 11); transfer full. */
static char *plugin_pipeline(const char *dir, const char *env_plugin)
{
    char *text = g_strdup_printf("env:\n"
                                 "  plugin: \"%s\"\n"
                                 "policy: {plugin: mlp}\n"
                                 "advantage: {plugin: gae}\n"
                                 "optimizer: {plugin: adam}\n"
                                 "ppo: {total_steps: 64, rollout_steps: 16, minibatches: 2}\n",
                                 env_plugin);
    char *path = write_text(dir, "pipeline.yaml", text, -1);
    g_free(text);
    return path;
}

/* Validate a pipeline naming `so` (canonical) as its env and expect exit 3 with the message
 * "ppofw: PIPELINE:2:11: env.plugin: SO: ..." containing the NULL-terminated parts. */
static void expect_env_plugin_refused(const char *so, ...)
{
    char *tmp = ppo_test_tmpdir();
    char *pipeline = plugin_pipeline(tmp, so);
    result_t r = run("validate", pipeline, NULL);
    char *prefix = g_strdup_printf("ppofw: %s:2:11: env.plugin: %s: ", pipeline, so);
    /* the temp dir goes first, so that a failed check leaves nothing behind */
    ppo_test_rm_tree(tmp);
    ck_assert_msg(WEXITSTATUS(r.status) == 3, "%s: exit code %d instead of 3; stderr:\n%s", so,
                  WEXITSTATUS(r.status), r.err);
    ck_assert_msg(g_str_has_prefix(r.err, prefix), "stderr \"%s\" does not start with \"%s\"",
                  r.err, prefix);
    const char *nl = strchr(r.err, '\n');
    ck_assert_msg(nl != NULL && nl[1] == '\0', "stderr is not exactly one line:\n%s", r.err);
    ck_assert_msg(r.out[0] == '\0', "stdout is not empty: %s", r.out);
    va_list ap;
    va_start(ap, so);
    for (const char *part = va_arg(ap, const char *); part != NULL;
         part = va_arg(ap, const char *))
        ck_assert_msg(strstr(r.err, part) != NULL, "stderr \"%s\" lacks \"%s\"", r.err, part);
    va_end(ap);
    result_clear(&r);
    g_free(prefix);
    g_free(pipeline);
    g_free(tmp);
}

START_TEST(test_cli_validate_refuses_a_plugin_for_a_future_abi_major_with_exit_3)
{
    char *so = fixture("fx_abi_major");
    char *built = g_strdup_printf("built for plugin ABI %d.0", PPO_ABI_MAJOR + 1);
    expect_env_plugin_refused(so, built, "rebuild it against ppofw", NULL);
    g_free(built);
    g_free(so);
}
END_TEST

START_TEST(test_cli_validate_refuses_a_plugin_for_a_newer_minor_with_exit_3)
{
    char *so = fixture("fx_abi_minor");
    char *built = g_strdup_printf("built for plugin ABI %d.%d", PPO_ABI_MAJOR, PPO_ABI_MINOR + 1);
    expect_env_plugin_refused(so, built, "upgrade ppofw", NULL);
    g_free(built);
    g_free(so);
}
END_TEST

START_TEST(test_cli_validate_refuses_a_plugin_without_entry_with_exit_3)
{
    char *so = fixture("fx_no_entry");
    expect_env_plugin_refused(so, "does not export ppo_plugin_entry()", "PPO_PLUGIN_DEFINE", NULL);
    g_free(so);
}
END_TEST

START_TEST(test_cli_validate_refuses_an_env_without_step_with_exit_3)
{
    char *so = fixture("fx_no_step");
    expect_env_plugin_refused(so, "lacks required callback: step", "set it in its vtable", NULL);
    g_free(so);
}
END_TEST

START_TEST(test_cli_validate_refuses_a_misnamed_plugin_with_exit_3)
{
    char *so = fixture("fx_misnamed");
    expect_env_plugin_refused(so, "calls itself \"fx_renamed\"", "rename the file to fx_renamed.so",
                              NULL);
    g_free(so);
}
END_TEST

/* An invalid declared default is reported with the plugin's file first and the fix. */
START_TEST(test_cli_validate_refuses_a_plugin_with_an_invalid_default_with_exit_3)
{
    char *so = fixture("fx_bad_default");
    expect_env_plugin_refused(so, "parameter \"rate\"", "\"2\"", NULL);
    g_free(so);
}
END_TEST

START_TEST(test_cli_validate_refuses_non_plugin_files_with_exit_3)
{
    char *tmp = ppo_test_tmpdir();
    /* text */
    const char *text = "not a plugin, only a text file with a .so name; long enough for an ELF "
                       "header to fit\n";
    char *x = write_text(tmp, "x.so", text, -1);
    expect_env_plugin_refused(x, "is not an ELF shared object", NULL);
    /* truncated copies of a real plugin */
    char *src = fixture("fx_env");
    char *data = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(src, &data, &len, NULL));
    const gsize sizes[] = {500, 2000, 4000, 8000, len - 1};
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        char *name = g_strdup_printf("cut%zu.so", (size_t)sizes[i]);
        char *cut = write_text(tmp, name, data, (gssize)sizes[i]);
        expect_env_plugin_refused(cut, "truncated", "rebuild or reinstall the plugin", NULL);
        g_free(cut);
        g_free(name);
    }
    /* a directory */
    char *y = g_build_filename(tmp, "y.so", NULL);
    ck_assert_int_eq(g_mkdir(y, 0755), 0);
    expect_env_plugin_refused(y, "is a directory, not a plugin file", NULL);
    /* a missing file */
    char *missing = g_build_filename(tmp, "missing.so", NULL);
    expect_env_plugin_refused(missing, "No such file or directory", "check the path", NULL);
    g_free(missing);
    g_free(y);
    g_free(data);
    g_free(src);
    g_free(x);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_validate_resolves_a_relative_plugin_path_from_the_pipeline)
{
    char *tmp = ppo_test_tmpdir();
    char *plug = g_build_filename(tmp, "plug", NULL);
    ck_assert_int_eq(g_mkdir(plug, 0755), 0);
    char *src = fixture("fx_abi_major");
    char *data = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(src, &data, &len, NULL));
    char *copy = write_text(plug, "fx_abi_major.so", data, (gssize)len);
    char *pipeline = plugin_pipeline(tmp, "plug/fx_abi_major.so");
    /* run from elsewhere: the path is relative to the pipeline, not to the working directory */
    const char *const args[] = {"validate", pipeline, NULL};
    result_t r = run_args("/", args);
    char *prefix = g_strdup_printf("ppofw: %s:2:11: env.plugin: %s: ", pipeline, copy);
    expect_one_line(&r, 3, prefix, "built for plugin ABI", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(pipeline);
    g_free(copy);
    g_free(data);
    g_free(src);
    ppo_test_rm_tree(tmp);
    g_free(plug);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_validate_refuses_a_bad_plugin_named_by_name_with_exit_3)
{
    char *tmp = ppo_test_tmpdir();
    char *pipeline = plugin_pipeline(tmp, "fx_abi_major");
    char *so = fixture("fx_abi_major");
    result_t r = run("validate", pipeline, NULL);
    char *prefix = g_strdup_printf("ppofw: %s:2:11: env.plugin: %s: ", pipeline, so);
    expect_one_line(&r, 3, prefix, "built for plugin ABI", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(so);
    g_free(pipeline);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_validate_refuses_a_missing_plugin_name_listing_the_search_with_exit_3)
{
    char *tmp = ppo_test_tmpdir();
    char *pipeline = plugin_pipeline(tmp, "cartpol");
    char *fixdir = fixture_dir();
    char *fix_entry = g_strdup_printf("%s (PPOFW_PLUGIN_PATH)", fixdir);
    char *build_entry = g_build_filename(build_dir(), "plugins", "envs", ".libs", NULL);
    char *build_full = g_strdup_printf("%s (build tree)", build_entry);
    result_t r = run("validate", pipeline, NULL);
    char *prefix = g_strdup_printf("ppofw: %s:2:11: env.plugin: ", pipeline);
    expect_one_line(&r, 3, prefix, "no plugin named \"cartpol\" (cartpol.so)", fix_entry,
                    build_full, "(installed)", "did you mean \"cartpole\"?", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(build_full);
    g_free(build_entry);
    g_free(fix_entry);
    g_free(fixdir);
    g_free(pipeline);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_validate_refuses_a_plugin_of_the_wrong_kind_with_exit_3)
{
    char *tmp = ppo_test_tmpdir();
    char *so = fixture("fx_optimizer");
    char *pipeline = plugin_pipeline(tmp, so);
    result_t r = run("validate", pipeline, NULL);
    char *prefix =
        g_strdup_printf("ppofw: %s:2:11: env.plugin: \"fx_optimizer\" (%s) ", pipeline, so);
    expect_one_line(&r, 3, prefix, "is an optimizer plugin, expected an env plugin", NULL);
    result_clear(&r);
    g_free(prefix);

    /* in another slot: an optimizer where the advantage estimator belongs */
    char *text = g_strdup_printf("env: {plugin: cartpole}\npolicy: {plugin: mlp}\n"
                                 "advantage: {plugin: \"%s\"}\noptimizer: {plugin: adam}\n"
                                 "ppo: {total_steps: 64}\n",
                                 so);
    char *path = write_text(tmp, "slot.yaml", text, -1);
    r = run("validate", path, NULL);
    prefix = g_strdup_printf("ppofw: %s:3:21: advantage.plugin: \"fx_optimizer\"", path);
    expect_one_line(&r, 3, prefix, "expected an advantage plugin", NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(path);
    g_free(text);
    g_free(pipeline);
    g_free(so);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_validate_reports_a_failing_create_in_the_plugins_words_with_exit_3)
{
    char *tmp = ppo_test_tmpdir();
    char *so = fixture("fx_create_fails");
    char *pipeline = plugin_pipeline(tmp, so);
    result_t r = run("validate", pipeline, NULL);
    char *prefix = g_strdup_printf("ppofw: plugin \"fx_create_fails\" (%s): create failed: ", so);
    expect_one_line(&r, 3, prefix, "the fixture cannot open its track file /nonexistent/fx.track",
                    NULL);
    result_clear(&r);
    g_free(prefix);
    g_free(pipeline);
    g_free(so);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}
END_TEST

START_TEST(test_cli_run_with_a_bad_plugin_leaves_no_run_directory)
{
    char *tmp = ppo_test_tmpdir();
    char *so = fixture("fx_no_step");
    char *pipeline = plugin_pipeline(tmp, so);
    char *run_dir = g_build_filename(tmp, "run", NULL);
    result_t r = run("run", pipeline, "--run-dir", run_dir, "--quiet", NULL);
    char *prefix = g_strdup_printf("ppofw: %s:2:11: env.plugin: %s: ", pipeline, so);
    expect_one_line(&r, 3, prefix, "lacks required callback: step", NULL);
    ck_assert_msg(!g_file_test(run_dir, G_FILE_TEST_EXISTS), "a refused plugin made %s", run_dir);
    result_clear(&r);
    g_free(prefix);
    g_free(run_dir);
    g_free(pipeline);
    g_free(so);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}
END_TEST

/* ---- the command line itself ---- */

START_TEST(test_cli_unknown_subcommand_suggests_the_nearest_with_exit_2)
{
    result_t r = run("valdate", "x.yaml", NULL);
    expect_one_line(&r, 2, "ppofw: unknown command \"valdate\"", "did you mean \"validate\"?",
                    "ppofw --help", NULL);
    result_clear(&r);
    r = run("runn", NULL);
    expect_one_line(&r, 2, "ppofw: unknown command \"runn\"", "did you mean \"run\"?", NULL);
    result_clear(&r);
    r = run("frobnicate", NULL);
    expect_one_line(&r, 2, "ppofw: unknown command \"frobnicate\"", "see ppofw --help", NULL);
    ck_assert_ptr_null(strstr(r.err, "did you mean"));
    result_clear(&r);
}
END_TEST

START_TEST(test_cli_unknown_option_is_refused_with_exit_2)
{
    result_t r = run("--frobnicate", NULL);
    expect_one_line(&r, 2, "ppofw: unknown option \"--frobnicate\"", "ppofw --help", NULL);
    result_clear(&r);
    char *path = pipeline_file("good.yaml");
    r = run("validate", "--frobnicate", path, NULL);
    expect_one_line(&r, 2, "ppofw: ", "--frobnicate", "ppofw validate --help", NULL);
    result_clear(&r);
    r = run("run", path, "--frobnicate", NULL);
    expect_one_line(&r, 2, "ppofw: ", "--frobnicate", "ppofw run --help", NULL);
    result_clear(&r);
    g_free(path);
}
END_TEST

START_TEST(test_cli_missing_or_extra_arguments_are_refused_with_exit_2)
{
    result_t r = run("validate", NULL);
    expect_one_line(&r, 2, "ppofw: validate takes one PIPELINE file", "ppofw validate --help",
                    NULL);
    result_clear(&r);
    r = run("run", NULL);
    expect_one_line(&r, 2, "ppofw: run takes one PIPELINE file", "ppofw run --help", NULL);
    result_clear(&r);
    r = run("validate", "a.yaml", "b.yaml", NULL);
    expect_one_line(&r, 2, "ppofw: validate takes one PIPELINE file", NULL);
    result_clear(&r);
    /* no command at all: the usage, on stderr */
    r = run(NULL);
    ck_assert_int_eq(WEXITSTATUS(r.status), 2);
    ck_assert_ptr_nonnull(strstr(r.err, "Usage: ppofw COMMAND"));
    ck_assert_str_eq(r.out, "");
    result_clear(&r);
}
END_TEST

START_TEST(test_cli_version_and_help_succeed_on_stdout)
{
    result_t r = run("--version", NULL);
    ck_assert_int_eq(WEXITSTATUS(r.status), 0);
    char *version = g_strdup_printf("ppofw %s (plugin ABI %d.%d)\n", PPO_VERSION_STRING,
                                    PPO_ABI_MAJOR, PPO_ABI_MINOR);
    ck_assert_str_eq(r.out, version);
    ck_assert_str_eq(r.err, "");
    g_free(version);
    result_clear(&r);

    static const char *const helps[] = {"--help", "-h", "help", NULL};
    for (const char *const *h = helps; *h != NULL; h++) {
        r = run(*h, NULL);
        ck_assert_msg(WEXITSTATUS(r.status) == 0, "%s: exit %d", *h, WEXITSTATUS(r.status));
        ck_assert_str_eq(r.err, "");
        ck_assert_ptr_nonnull(strstr(r.out, "Usage: ppofw COMMAND"));
        ck_assert_ptr_nonnull(strstr(r.out, "validate"));
        ck_assert_ptr_nonnull(strstr(r.out, "2 usage or pipeline error, 3 plugin error"));
        result_clear(&r);
    }
    r = run("validate", "--help", NULL);
    ck_assert_int_eq(WEXITSTATUS(r.status), 0);
    ck_assert_str_eq(r.err, "");
    ck_assert_ptr_nonnull(strstr(r.out, "--set"));
    result_clear(&r);
    r = run("help", "validate", NULL);
    ck_assert_int_eq(WEXITSTATUS(r.status), 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--set"));
    result_clear(&r);
    r = run("help", "valdate", NULL);
    expect_one_line(&r, 2, "ppofw: help: unknown command \"valdate\"", NULL);
    result_clear(&r);
}
END_TEST

/* ---- valid pipelines ---- */

START_TEST(test_cli_validate_accepts_the_good_pipeline_and_prints_it_resolved)
{
    char *path = pipeline_file("good.yaml");
    result_t r = run("validate", path, NULL);
    ck_assert_msg(WEXITSTATUS(r.status) == 0, "exit %d: %s", WEXITSTATUS(r.status), r.err);
    char *valid = g_strdup_printf("ppofw: %s is valid: env cartpole", path);
    ck_assert_msg(g_str_has_prefix(r.err, valid), "stderr: %s", r.err);
    g_free(valid);
    result_clear(&r);

    /* the resolved pipeline validates again, unchanged */
    r = run("validate", path, "--print", NULL);
    ck_assert_msg(WEXITSTATUS(r.status) == 0, "exit %d: %s", WEXITSTATUS(r.status), r.err);
    char *tmp = ppo_test_tmpdir();
    char *resolved = write_text(tmp, "resolved.yaml", r.out, -1);
    result_t again = run("validate", resolved, "--print", NULL);
    ck_assert_msg(WEXITSTATUS(again.status) == 0, "the resolved pipeline is refused: %s\n%s",
                  again.err, r.out);
    ck_assert_str_eq(again.out, r.out);
    result_clear(&again);
    result_clear(&r);
    ppo_test_rm_tree(tmp);
    g_free(resolved);
    g_free(tmp);
    g_free(path);
}
END_TEST

START_TEST(test_cli_run_refuses_an_existing_run_dir_unless_overwrite)
{
    char *path = pipeline_file("good.yaml");
    char *tmp = ppo_test_tmpdir();
    char *run_dir = g_build_filename(tmp, "run", NULL);
    ck_assert_int_eq(g_mkdir(run_dir, 0755), 0);
    char *old = write_text(run_dir, "pipeline.yaml", "# an earlier run\n", -1);
    char *notes = write_text(run_dir, "notes.txt", "kept\n", -1);

    /* a directory that is not a ppofw run is never written, with or without --overwrite */
    char *prefix = g_strdup_printf("ppofw: %s: ", run_dir);
    for (int k = 0; k < 2; k++) {
        result_t r = k == 0 ? run("run", path, "--run-dir", run_dir, "--quiet", NULL)
                            : run("run", path, "--run-dir", run_dir, "--overwrite", "--quiet",
                                  NULL);
        expect_one_line(&r, 2, prefix, "is not a ppofw run", "choose another --run-dir", NULL);
        result_clear(&r);
    }
    char *text = NULL;
    ck_assert(g_file_get_contents(old, &text, NULL, NULL));
    ck_assert_str_eq(text, "# an earlier run\n");
    g_free(text);

    /* a ppofw run: refused without --overwrite, replaced with it (files of its own only) */
    char *marker = write_text(run_dir, ".ppofw-run",
                              "run_id: 0123456789abcdef0123456789abcdef\n", -1);
    g_free(marker);
    result_t r = run("run", path, "--run-dir", run_dir, "--quiet", NULL);
    expect_one_line(&r, 2, prefix, "the run directory exists", "pass --overwrite", NULL);
    result_clear(&r);

    r = run("run", path, "--run-dir", run_dir, "--overwrite", "--quiet", NULL);
    ck_assert_msg(WEXITSTATUS(r.status) == 0, "--overwrite: exit %d: %s", WEXITSTATUS(r.status),
                  r.err);
    result_clear(&r);
    ck_assert(g_file_get_contents(old, &text, NULL, NULL));
    ck_assert_msg(g_str_has_prefix(text, "# ppofw "), "pipeline.yaml was not rewritten: %s", text);
    g_free(text);
    char *metrics = g_build_filename(run_dir, "metrics.csv", NULL);
    ck_assert(g_file_test(metrics, G_FILE_TEST_IS_REGULAR));
    ck_assert(g_file_test(notes, G_FILE_TEST_IS_REGULAR));
    g_free(metrics);

    /* a run directory that is a file */
    char *file = write_text(tmp, "afile", "x\n", -1);
    r = run("run", path, "--run-dir", file, "--quiet", NULL);
    g_free(prefix);
    prefix = g_strdup_printf("ppofw: %s: ", file);
    expect_one_line(&r, 2, prefix, "exists and is not a directory", "choose another --run-dir",
                    NULL);
    result_clear(&r);
    g_free(file);
    g_free(prefix);
    g_free(notes);
    g_free(old);
    ppo_test_rm_tree(tmp);
    g_free(run_dir);
    g_free(tmp);
    g_free(path);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli_errors");
    TCase *tc = tcase_create("bad_pipelines");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_cli_validate_refuses_each_bad_pipeline_file_with_exit_2, 0,
                        (int)G_N_ELEMENTS(bad_files));
    tcase_add_loop_test(tc, test_cli_run_refuses_each_bad_pipeline_file_with_exit_2, 0,
                        (int)G_N_ELEMENTS(bad_files));
    tcase_add_test(tc, test_cli_validate_refuses_binary_garbage_with_exit_2);
    tcase_add_test(tc, test_cli_validate_refuses_nesting_10000_deep_with_exit_2);
    tcase_add_test(tc, test_cli_validate_refuses_a_pipeline_that_is_a_directory_with_exit_2);
    tcase_add_test(tc, test_cli_validate_refuses_a_missing_pipeline_with_exit_2);
    tcase_add_test(tc, test_cli_validate_refuses_bad_plugin_params_with_exit_2);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad_sets");
    tcase_add_loop_test(tc, test_cli_validate_refuses_each_bad_set_with_exit_2, 0,
                        (int)G_N_ELEMENTS(bad_sets));
    tcase_add_test(tc, test_cli_validate_refuses_a_bad_set_of_plugin_params_with_exit_2);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad_plugins");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cli_validate_refuses_a_plugin_for_a_future_abi_major_with_exit_3);
    tcase_add_test(tc, test_cli_validate_refuses_a_plugin_for_a_newer_minor_with_exit_3);
    tcase_add_test(tc, test_cli_validate_refuses_a_plugin_without_entry_with_exit_3);
    tcase_add_test(tc, test_cli_validate_refuses_an_env_without_step_with_exit_3);
    tcase_add_test(tc, test_cli_validate_refuses_a_misnamed_plugin_with_exit_3);
    tcase_add_test(tc, test_cli_validate_refuses_a_plugin_with_an_invalid_default_with_exit_3);
    tcase_add_test(tc, test_cli_validate_refuses_non_plugin_files_with_exit_3);
    tcase_add_test(tc, test_cli_validate_resolves_a_relative_plugin_path_from_the_pipeline);
    tcase_add_test(tc, test_cli_validate_refuses_a_bad_plugin_named_by_name_with_exit_3);
    tcase_add_test(tc,
                   test_cli_validate_refuses_a_missing_plugin_name_listing_the_search_with_exit_3);
    tcase_add_test(tc, test_cli_validate_refuses_a_plugin_of_the_wrong_kind_with_exit_3);
    tcase_add_test(tc, test_cli_validate_reports_a_failing_create_in_the_plugins_words_with_exit_3);
    tcase_add_test(tc, test_cli_run_with_a_bad_plugin_leaves_no_run_directory);
    suite_add_tcase(s, tc);

    tc = tcase_create("command_line");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cli_unknown_subcommand_suggests_the_nearest_with_exit_2);
    tcase_add_test(tc, test_cli_unknown_option_is_refused_with_exit_2);
    tcase_add_test(tc, test_cli_missing_or_extra_arguments_are_refused_with_exit_2);
    tcase_add_test(tc, test_cli_version_and_help_succeed_on_stdout);
    tcase_add_test(tc, test_cli_validate_accepts_the_good_pipeline_and_prints_it_resolved);
    tcase_add_test(tc, test_cli_run_refuses_an_existing_run_dir_unless_overwrite);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(cli_suite());
}
