/* Tests of the SDK commands (cli/cmd_plugins.c, cli/cmd_check.c, cli/cmd_new_plugin.c) and of
 * docs/pipeline-reference.md, spawning the built ppofw as a user runs it.
 *
 * `ppofw plugins` lists every shipped plugin with its kind, name, version, file and description,
 * the directories searched, files that failed to load with the reason, and says why MuJoCo envs
 * are missing when they are; `plugins info` prints a plugin's schema and an env's spaces and time
 * limit. check-env and check-policy exit 0 on good plugins and 3 with the failed checks listed on
 * the fixtures, 2 on misuse. new-plugin writes the three files with the name filled in and
 * refuses to overwrite them or to take a bad name. `ppofw plugins --markdown` over the shipped
 * plugins equals the committed docs/pipeline-reference.md (when MuJoCo is not built here, every
 * generated section must still equal its committed one).
 *
 * Left out: building the skeletons and examples against an installed SDK
 * (tests/sdk/test_sdk_install.sh) and the checkers' verdicts in detail (tests/core).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>

#include "sdk/sdk_test.h"

/* The environment without PPOFW_PLUGIN_PATH, so only the build tree is searched. (transfer full) */
static char **env_without_plugin_path(void)
{
    return g_environ_unsetenv(g_get_environ(), "PPOFW_PLUGIN_PATH");
}

static void assert_contains(const char *text, const char *fragment, const char *what)
{
    ck_assert_msg(strstr(text, fragment) != NULL, "%s lacks \"%s\":\n%s", what, fragment, text);
}

/* ---- plugins ---- */

START_TEST(test_plugins_lists_every_shipped_plugin_with_kind_version_file_and_description)
{
    char **env = env_without_plugin_path();
    sdk_run_t r = sdk_ppofw(NULL, env, "plugins", NULL);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ppo_search_t *search = ppo_search_new(NULL);
    GPtrArray *failures = NULL;
    GPtrArray *all = ppo_plugin_list(search, &failures);
    char *shipped = g_build_filename(sdk_build_dir(), "plugins", "", NULL);
    guint n = 0;
    for (guint i = 0; i < all->len; i++) {
        const ppo_plugin_t *p = g_ptr_array_index(all, i);
        if (!g_str_has_prefix(p->path, shipped))
            continue;
        /* one line: kind, name, version, file, description */
        char *version = g_regex_escape_string(p->version, -1);
        char *file = g_regex_escape_string(p->path, -1);
        char *pattern = g_strdup_printf("(?m)^%s +%s +%s +%s +\\S.*$", ppo_kind_name(p->kind),
                                        p->name, version, file);
        ck_assert_msg(g_regex_match_simple(pattern, r.out, 0, 0), "no line /%s/ in:\n%s", pattern,
                      r.out);
        assert_contains(r.out, p->description, "ppofw plugins");
        g_free(pattern);
        g_free(version);
        g_free(file);
        n++;
    }
    ck_assert_uint_ge(n, 9);
    assert_contains(r.out, "Searched, in order:", "ppofw plugins");
    assert_contains(r.out, "(installed)", "ppofw plugins");
#ifdef PPO_HAVE_MUJOCO
    ck_assert_ptr_null(strstr(r.out, "MuJoCo envs"));
#else
    assert_contains(r.out,
                    "MuJoCo envs (half_cheetah, hopper, walker2d, ant, inverted_pendulum): "
                    "not built",
                    "ppofw plugins");
#endif
    g_free(shipped);
    g_ptr_array_free(failures, TRUE);
    g_ptr_array_free(all, TRUE);
    ppo_search_free(search);
    sdk_run_clear(&r);
    g_strfreev(env);
}
END_TEST

START_TEST(test_plugins_lists_a_file_that_failed_to_load_and_why)
{
    char *dir = g_dir_make_tmp("ppofw-plugins-XXXXXX", NULL);
    char *broken = g_build_filename(dir, "broken.so", NULL);
    ck_assert(g_file_set_contents(broken, "not a shared object\n", -1, NULL));
    char **env = env_without_plugin_path();
    sdk_run_t r = sdk_ppofw(NULL, env, "plugins", "--plugin-path", dir, NULL);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "Files that failed to load:", "ppofw plugins");
    assert_contains(r.out, "broken.so: is not an ELF shared object", "ppofw plugins");
    assert_contains(r.out, "(--plugin-path)", "ppofw plugins");
    g_unlink(broken);
    g_rmdir(dir);
    g_free(broken);
    g_free(dir);
    sdk_run_clear(&r);
    g_strfreev(env);
}
END_TEST

START_TEST(test_plugins_info_prints_the_schema_and_an_envs_spaces)
{
    sdk_run_t r = sdk_ppofw(NULL, NULL, "plugins", "info", "cartpole", NULL);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    char *header = g_strdup_printf("cartpole: env plugin, version 1.0.0, plugin ABI %d.%d",
                                   PPO_ABI_MAJOR, PPO_ABI_MINOR);
    assert_contains(r.out, header, "info");
    g_free(header);
    assert_contains(r.out, "observation: box (4)", "info");
    assert_contains(r.out, "optional:    state (get_state/set_state: exact resume), render_text",
                    "info");
    assert_contains(r.out, "action:      discrete (2)", "info");
    assert_contains(r.out, "time limit:  500 steps", "info");
    ck_assert_msg(g_regex_match_simple("(?m)^  sutton_barto_reward +bool +false +true, false +"
                                       "reward 0 per step",
                                       r.out, 0, 0),
                  "%s", r.out);
    sdk_run_clear(&r);

    r = sdk_ppofw(NULL, NULL, "plugins", "info", "gae", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(g_regex_match_simple("(?m)^  gamma +double +0.99 +\\(0, 1\\] +", r.out, 0, 0),
                  "%s", r.out);
    sdk_run_clear(&r);

    /* a policy's optional callbacks: parts, recurrent, export, bench FLOPs, noise, state */
    r = sdk_ppofw(NULL, NULL, "plugins", "info", "mlp", NULL);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "optional:    parts (segment_part/evaluate_part/backward_part", "info");
    assert_contains(r.out, ", export_c (ppofw export), reset_noise (per-env exploration noise), "
                           "state (per-env state saved in checkpoints)",
                    "info");
    sdk_run_clear(&r);
    char *rnn = sdk_fixture_path("sdk_rnn");
    r = sdk_ppofw(NULL, NULL, "plugins", "info", rnn, NULL);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "optional:    recurrent (state per env, trained on sequences), "
                           "export_c",
                    "info");
    sdk_run_clear(&r);
    g_free(rnn);

    /* a path works too, and a fixture without parameters says so */
    char *path = sdk_fixture_path("sdk_good_env");
    r = sdk_ppofw(NULL, NULL, "plugins", "info", path, NULL);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "No parameters", "info");
    assert_contains(r.out, "observation: box (2), each in [-1, 1]", "info");
    sdk_run_clear(&r);
    g_free(path);
}
END_TEST

START_TEST(test_plugins_info_of_a_missing_plugin_exits_3_naming_where_it_looked)
{
    sdk_run_t r = sdk_ppofw(NULL, NULL, "plugins", "info", "cartpol", NULL);
    ck_assert_int_eq(r.status, 3);
    assert_contains(r.err, "no plugin named \"cartpol\"", "stderr");
    assert_contains(r.err, "did you mean \"cartpole\"", "stderr");
    sdk_run_clear(&r);
    r = sdk_ppofw(NULL, NULL, "plugins", "info", NULL);
    ck_assert_int_eq(r.status, 2);
    sdk_run_clear(&r);
}
END_TEST

/* ---- check-env, check-policy ---- */

/* A plugin built the way a third party builds it (cc and libppofw, no run path) loads into the
 * program, which carries the core statically and cannot lean on a libppofw it already has: the
 * loader finds this build's libppofw for it, without LD_LIBRARY_PATH. */
START_TEST(test_plugins_info_loads_a_plugin_built_without_a_run_path)
{
    char *cc = g_find_program_in_path("cc");
    if (cc == NULL) {
        printf("no C compiler \"cc\" on PATH: the plugin cannot be built, test skipped\n");
        return;
    }
    char *dir = ppo_test_tmpdir();
    char *so = g_build_filename(dir, "gridworld.so", NULL);
    char *src = ppo_test_src_path("examples/gridworld/gridworld.c");
    char *inc_src = g_strconcat("-I", PPO_ABS_SRCDIR, "/include", NULL);
    char *inc_build = g_strconcat("-I", sdk_build_dir(), "/include", NULL);
    char *libs = g_strconcat("-L", sdk_build_dir(), "/.libs", NULL);
    char *argv[] = {cc,      "-std=gnu11", "-fPIC", "-shared", "-fvisibility=hidden",
                    inc_src, inc_build,    "-o",    so,        src,
                    libs,    "-lppofw",    "-lm",   NULL};
    char *err = NULL;
    int status = 0;
    ck_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                           &status, NULL));
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "cc failed: %s", err);
    char **env = g_environ_unsetenv(env_without_plugin_path(), "LD_LIBRARY_PATH");
    sdk_run_t r = sdk_ppofw(NULL, env, "plugins", "info", so, NULL);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    assert_contains(r.out, "gridworld: env plugin", "info");
    sdk_run_clear(&r);
    g_strfreev(env);
    ppo_test_rm_tree(dir);
    g_free(err);
    g_free(libs);
    g_free(inc_build);
    g_free(inc_src);
    g_free(src);
    g_free(so);
    g_free(dir);
    g_free(cc);
}
END_TEST

/* `--set policy.plugin=OTHER` on a pipeline written for mlp: mlp's params go (they would be
 * unknown keys to the other policy), and a note on stderr says which. */
START_TEST(test_set_of_another_policy_plugin_drops_mlps_params_with_a_note)
{
    char *other = sdk_fixture_path("sdk_good_policy");
    char *pipeline = ppo_test_src_path("configs/cartpole.yaml");
    char *set = g_strdup_printf("policy.plugin=%s", other);
    sdk_run_t r = sdk_ppofw(NULL, NULL, "validate", pipeline, "--set", set, NULL);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    assert_contains(r.err, "ppofw: note: --set policy.plugin=", "stderr");
    assert_contains(r.err, "the params of \"mlp\" are dropped (pi_hidden, vf_hidden", "stderr");
    assert_contains(r.err, "policy sdk_good_policy", "stderr");
    sdk_run_clear(&r);
    g_free(set);
    g_free(pipeline);
    g_free(other);
}
END_TEST

START_TEST(test_check_env_exits_3_listing_each_fixtures_defect)
{
    static const struct {
        const char *fixture;
        const char *id;
        const char *message;
    } cases[] = {
        {"sdk_nan_obs", "obs-finite", "NaN/Inf observation: episode 0, step 3"},
        {"sdk_out_of_box", "obs-in-box", "is outside the declared box"},
        {"sdk_seedless", "reset-seed", "reset ignores the seed"},
        {"sdk_zero_dim", "spaces", "a box with dim = 0 (zero dimensions)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *path = sdk_fixture_path(cases[i].fixture);
        sdk_run_t r = sdk_ppofw(NULL, NULL, "check-env", path, NULL);
        ck_assert_msg(r.status == 3, "%s: exit %d", cases[i].fixture, r.status);
        char *line = g_strdup_printf("FAIL  %-20s ", cases[i].id);
        assert_contains(r.out, line, cases[i].fixture);
        assert_contains(r.out, cases[i].message, cases[i].fixture);
        char *listed = g_strdup_printf("  - %s: ", cases[i].id);
        assert_contains(r.out, listed, cases[i].fixture);
        assert_contains(r.err, "checks failed (listed above)", cases[i].fixture);
        g_free(listed);
        g_free(line);
        g_free(path);
        sdk_run_clear(&r);
    }
}
END_TEST

START_TEST(test_check_env_and_check_policy_exit_0_on_shipped_plugins)
{
    sdk_run_t r = sdk_ppofw(NULL, NULL, "check-env", "cartpole", "--episodes", "3", NULL);
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    assert_contains(r.out, "check-env cartpole: 21 checks, none failed", "check-env");
    sdk_run_clear(&r);
    r = sdk_ppofw(NULL, NULL, "check-policy", "mlp", "--params", "{pi_hidden: [8], vf_hidden: [8]}",
                  NULL);
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    assert_contains(r.out, "ok    discrete/backward-entropy", "check-policy");
    assert_contains(r.out, "ok    box/backward-kl", "check-policy");
    sdk_run_clear(&r);
}
END_TEST

START_TEST(test_check_policy_exits_3_on_a_wrong_gradient)
{
    char *path = sdk_fixture_path("sdk_entropy_sign");
    sdk_run_t r = sdk_ppofw(NULL, NULL, "check-policy", path, NULL);
    ck_assert_int_eq(r.status, 3);
    assert_contains(r.out, "FAIL  discrete/backward-entropy through entropy", "check-policy");
    assert_contains(r.out, "skip  box/create", "check-policy");
    sdk_run_clear(&r);
    g_free(path);
}
END_TEST

START_TEST(test_check_commands_refuse_misuse_with_exit_2)
{
    sdk_run_t r = sdk_ppofw(NULL, NULL, "check-env", "mlp", NULL);
    ck_assert_int_eq(r.status, 2);
    assert_contains(r.err, "is a policy plugin; use ppofw check-policy", "stderr");
    sdk_run_clear(&r);
    r = sdk_ppofw(NULL, NULL, "check-policy", "gae", NULL);
    ck_assert_int_eq(r.status, 2);
    assert_contains(r.err, "only env and policy plugins have checkers", "stderr");
    sdk_run_clear(&r);
    r = sdk_ppofw(NULL, NULL, "check-env", "cartpole", "--params", "{sutton_barto: 1}", NULL);
    ck_assert_int_eq(r.status, 2);
    assert_contains(r.err, "did you mean \"sutton_barto_reward\"", "stderr");
    sdk_run_clear(&r);
    r = sdk_ppofw(NULL, NULL, "check-env", "cartpole", "--episodes", "0", NULL);
    ck_assert_int_eq(r.status, 2);
    sdk_run_clear(&r);
    r = sdk_ppofw(NULL, NULL, "check-env", NULL);
    ck_assert_int_eq(r.status, 2);
    sdk_run_clear(&r);
}
END_TEST

/* ---- new-plugin ---- */

START_TEST(test_new_plugin_writes_a_source_makefile_and_pipeline_per_kind)
{
    /* the four kinds, and an env with --image (the last) */
    static const char *const kinds[] = {"env", "policy", "advantage", "optimizer", "env"};
    char *dir = g_dir_make_tmp("ppofw-new-XXXXXX", NULL);
    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
        const bool image = k == 4;
        char *name = image ? g_strdup("my_image") : g_strdup_printf("my_%s", kinds[k]);
        sdk_run_t r = sdk_ppofw(NULL, NULL, "new-plugin", kinds[k], name, "--dir", dir,
                                image ? "--image" : NULL, NULL);
        ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
        assert_contains(r.err, "next: cd ", "new-plugin");
        const char *files[3] = {".c", "Makefile", ".yaml"};
        for (int f = 0; f < 3; f++) {
            char *file = f == 1 ? g_strdup("Makefile") : g_strconcat(name, files[f], NULL);
            char *path = g_build_filename(dir, name, file, NULL);
            char *text = NULL;
            ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "%s is missing", path);
            ck_assert_msg(strstr(text, "@NAME@") == NULL && strstr(text, "@KIND@") == NULL,
                          "%s has an unfilled placeholder", path);
            ck_assert_msg(strstr(text, name) != NULL, "%s does not name %s", path, name);
            if (f == 0) {
                char *kind = g_ascii_strup(kinds[k], -1);
                char *define = g_strdup_printf("PPO_PLUGIN_DEFINE(PPO_KIND_%s, \"%s\"", kind, name);
                assert_contains(text, define, path);
                g_free(define);
                g_free(kind);
            }
            if (f == 1)
                assert_contains(text, "$(shell $(PKG_CONFIG) --cflags --libs ppofw)", path);
            if (f == 0 && image)
                assert_contains(text, ".dtype = PPO_DTYPE_UINT8", path);
            if (f == 0 && k == 1)
                assert_contains(text, ".export_c = my_policy_export_c", path);
            g_free(text);
            g_free(path);
            g_free(file);
        }
        /* a second time refuses to overwrite */
        sdk_run_clear(&r);
        r = sdk_ppofw(NULL, NULL, "new-plugin", kinds[k], name, "--dir", dir, NULL);
        ck_assert_int_eq(r.status, 5);
        assert_contains(r.err, "exists; choose another NAME or --dir, or pass --force", "stderr");
        sdk_run_clear(&r);
        g_free(name);
    }
    sdk_run_t r =
        sdk_ppofw(NULL, NULL, "new-plugin", "env", "my_env", "--dir", dir, "--force", NULL);
    ck_assert_int_eq(r.status, 0);
    sdk_run_clear(&r);
    char *rm[] = {"rm", "-rf", dir, NULL};
    g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    g_free(dir);
}
END_TEST

START_TEST(test_new_plugin_refuses_a_bad_kind_or_name)
{
    sdk_run_t r = sdk_ppofw(NULL, NULL, "new-plugin", "network", "x", NULL);
    ck_assert_int_eq(r.status, 2);
    assert_contains(r.err, "env, policy, advantage or optimizer", "stderr");
    sdk_run_clear(&r);
    r = sdk_ppofw(NULL, NULL, "new-plugin", "policy", "x", "--image", NULL);
    ck_assert_int_eq(r.status, 2);
    assert_contains(r.err, "--image is for an env", "stderr");
    sdk_run_clear(&r);
    static const char *const bad[] = {"Grid", "1grid", "grid-world", "grid.so", ""};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        r = sdk_ppofw(NULL, NULL, "new-plugin", "env", bad[i], NULL);
        ck_assert_msg(r.status == 2, "\"%s\": exit %d", bad[i], r.status);
        assert_contains(r.err, "cannot name a plugin", "stderr");
        sdk_run_clear(&r);
    }
}
END_TEST

/* ---- the pipeline reference ---- */

#ifndef PPO_HAVE_MUJOCO
/* The sections of a markdown page, keyed by their "#### `name`" or "### ..." heading. */
static GHashTable *sections(const char *text)
{
    GHashTable *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char **parts = g_regex_split_simple("(?m)^(?=#{3,4} )", text, 0, 0);
    for (char **p = parts; *p != NULL; p++) {
        const char *nl = strchr(*p, '\n');
        char *head = nl != NULL ? g_strndup(*p, (gsize)(nl - *p)) : g_strdup(*p);
        g_hash_table_replace(out, head, g_strdup(*p));
    }
    g_strfreev(parts);
    return out;
}
#endif

START_TEST(test_pipeline_reference_equals_the_generators_output)
{
    char **env = env_without_plugin_path();
    sdk_run_t r = sdk_ppofw(NULL, env, "plugins", "--markdown", NULL);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    char *path = ppo_test_src_path("docs/pipeline-reference.md");
    char *committed = NULL;
    ck_assert_msg(g_file_get_contents(path, &committed, NULL, NULL), "cannot read %s", path);
#ifdef PPO_HAVE_MUJOCO
    ck_assert_msg(strcmp(r.out, committed) == 0,
                  "docs/pipeline-reference.md differs from `ppofw plugins --markdown`; "
                  "regenerate it with make update-pipeline-reference");
#else
    /* without MuJoCo its envs cannot be generated here: every section that is must match */
    GHashTable *gen = sections(r.out), *doc = sections(committed);
    GHashTableIter it;
    gpointer head, body;
    g_hash_table_iter_init(&it, gen);
    while (g_hash_table_iter_next(&it, &head, &body)) {
        const char *theirs = g_hash_table_lookup(doc, head);
        ck_assert_msg(theirs != NULL && strcmp(theirs, body) == 0,
                      "section \"%s\" of docs/pipeline-reference.md differs from the generator's",
                      (const char *)head);
    }
    g_hash_table_destroy(gen);
    g_hash_table_destroy(doc);
#endif
    /* it documents every pipeline section and every shipped kind */
    static const char *const heads[] = {"### Top level",
                                        "### `env` (required)",
                                        "### `ppo` (required)",
                                        "### `normalize` (optional)",
                                        "### Env plugins",
                                        "### Policy plugins",
                                        "### Advantage plugins",
                                        "### Optimizer plugins",
                                        "#### `cartpole`",
                                        "#### `mlp`",
                                        "#### `gae`",
                                        "#### `adam`"};
    for (size_t i = 0; i < G_N_ELEMENTS(heads); i++)
        assert_contains(committed, heads[i], "docs/pipeline-reference.md");
    ck_assert_ptr_null(strstr(committed, sdk_build_dir()));
    g_free(committed);
    g_free(path);
    sdk_run_clear(&r);
    g_strfreev(env);
}
END_TEST

static Suite *sdk_commands_suite(void)
{
    Suite *s = suite_create("sdk_commands");
    TCase *plugins = tcase_create("plugins");
    tcase_add_test(plugins,
                   test_plugins_lists_every_shipped_plugin_with_kind_version_file_and_description);
    tcase_add_test(plugins, test_plugins_lists_a_file_that_failed_to_load_and_why);
    tcase_add_test(plugins, test_plugins_info_prints_the_schema_and_an_envs_spaces);
    tcase_add_test(plugins, test_plugins_info_of_a_missing_plugin_exits_3_naming_where_it_looked);
    tcase_add_test(plugins, test_plugins_info_loads_a_plugin_built_without_a_run_path);
    tcase_add_test(plugins, test_set_of_another_policy_plugin_drops_mlps_params_with_a_note);
    suite_add_tcase(s, plugins);
    TCase *check = tcase_create("check");
    tcase_set_timeout(check, 300);
    tcase_add_test(check, test_check_env_exits_3_listing_each_fixtures_defect);
    tcase_add_test(check, test_check_env_and_check_policy_exit_0_on_shipped_plugins);
    tcase_add_test(check, test_check_policy_exits_3_on_a_wrong_gradient);
    tcase_add_test(check, test_check_commands_refuse_misuse_with_exit_2);
    suite_add_tcase(s, check);
    TCase *skel = tcase_create("new-plugin");
    tcase_add_test(skel, test_new_plugin_writes_a_source_makefile_and_pipeline_per_kind);
    tcase_add_test(skel, test_new_plugin_refuses_a_bad_kind_or_name);
    suite_add_tcase(s, skel);
    TCase *docs = tcase_create("docs");
    tcase_set_timeout(docs, 300);
    tcase_add_test(docs, test_pipeline_reference_equals_the_generators_output);
    suite_add_tcase(s, docs);
    return s;
}

int main(void)
{
    return ppo_test_run(sdk_commands_suite());
}
