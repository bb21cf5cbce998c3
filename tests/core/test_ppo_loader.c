/* ppofw tests — core/ppo_loader.c: every way a plugin file can be refused, and how it is said.
 *
 * The fixture plugins of tests/fixtures/ each break one rule (future ABI major, newer minor, no
 * entry symbol, a missing callback, a name that is not the file's, an invalid default); fx_env
 * is the valid control. Files that are not plugins at all (text, truncated copies of a real
 * .so, patched ELF headers, directories, unreadable and missing files) are made here in a
 * temporary directory. Each refusal is checked for exit code 3 and for a one-line message that
 * starts with the file and says what would fix it. Also: a search that finds nothing lists every
 * directory it looked in and suggests the nearest name, loading a file twice gives the same
 * plugin, a failing create is reported in the plugin's words, and the kind check names the YAML
 * position. What it leaves out: plugins that crash (Check's fork would catch them, but no fixture
 * does) and MPI's comm backend.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_plugin_private.h"
#include "ppo_test.h"

/* ---- helpers ---- */

/* The directory the fixture plugins are built into (transfer full). */
static char *fixture_dir(void)
{
    const char *build = g_getenv("PPO_TEST_BUILDDIR");
    return g_build_filename(build != NULL ? build : PPO_ABS_BUILDDIR, "tests", "fixtures", ".libs",
                            NULL);
}

/* The canonical path of fixture NAME.so (transfer full); fails the test if it is not built. */
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

/* The canonical form of an existing path (transfer full). */
static char *canonical(const char *path)
{
    char *real = realpath(path, NULL);
    ck_assert_msg(real != NULL, "%s: %s", path, g_strerror(errno));
    char *out = g_strdup(real);
    free(real);
    return out;
}

/* Fail unless *errorp is set, maps to exit code `exit_code`, its message is one line that starts
 * with `prefix` and contains each of the NULL-terminated strings that follow. Clears *errorp. */
static void check_error(GError **errorp, int exit_code, const char *prefix, ...)
{
    GError *error = *errorp;
    ck_assert_msg(error != NULL, "expected an error starting with \"%s\", got none", prefix);
    const char *msg = error->message;
    ck_assert_msg(ppo_error_exit_code(error) == exit_code, "exit code %d instead of %d for \"%s\"",
                  ppo_error_exit_code(error), exit_code, msg);
    ck_assert_msg(g_str_has_prefix(msg, prefix), "message \"%s\" does not start with \"%s\"", msg,
                  prefix);
    ck_assert_msg(strchr(msg, '\n') == NULL, "message \"%s\" is more than one line", msg);
    va_list ap;
    va_start(ap, prefix);
    for (const char *part = va_arg(ap, const char *); part != NULL; part = va_arg(ap, const char *))
        ck_assert_msg(strstr(msg, part) != NULL, "message \"%s\" lacks \"%s\"", msg, part);
    va_end(ap);
    g_clear_error(errorp);
}

/* Load `path` with ppo_plugin_load_file and expect a refusal starting with "`path`: " (the
 * canonical path) and containing the NULL-terminated parts. */
static void expect_file_refused(const char *path, ...)
{
    GError *error = NULL;
    ppo_plugin_t *p = ppo_plugin_load_file(path, &error);
    ck_assert_msg(p == NULL, "%s was loaded", path);
    char *prefix = g_strdup_printf("%s: ", path);
    ck_assert_msg(error != NULL, "%s refused without an error", path);
    const char *msg = error->message;
    ck_assert_msg(ppo_error_exit_code(error) == 3, "exit code %d for \"%s\"",
                  ppo_error_exit_code(error), msg);
    ck_assert_msg(g_str_has_prefix(msg, prefix), "message \"%s\" does not start with \"%s\"", msg,
                  prefix);
    ck_assert_msg(strchr(msg, '\n') == NULL, "message \"%s\" is more than one line", msg);
    va_list ap;
    va_start(ap, path);
    for (const char *part = va_arg(ap, const char *); part != NULL; part = va_arg(ap, const char *))
        ck_assert_msg(strstr(msg, part) != NULL, "message \"%s\" lacks \"%s\"", msg, part);
    va_end(ap);
    g_error_free(error);
    g_free(prefix);
}


/* The bytes of a file (transfer full). */
static char *read_all(const char *path, gsize *len)
{
    char *data = NULL;
    GError *error = NULL;
    ck_assert_msg(g_file_get_contents(path, &data, len, &error), "%s",
                  error != NULL ? error->message : "");
    return data;
}

/* Write `len` bytes to dir/name and return the canonical path (transfer full). */
static char *write_file(const char *dir, const char *name, const void *data, gsize len)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *error = NULL;
    ck_assert_msg(g_file_set_contents(path, data, (gssize)len, &error), "%s",
                  error != NULL ? error->message : "");
    char *real = canonical(path);
    g_free(path);
    return real;
}

/* ---- the valid fixture ---- */

START_TEST(test_loader_loads_the_valid_fixture_and_copies_its_descriptor)
{
    char *path = fixture("fx_env");
    GError *error = NULL;
    ppo_plugin_t *p = ppo_plugin_load_file(path, &error);
    ck_assert_msg(p != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_str_eq(p->path, path);
    ck_assert_str_eq(p->name, "fx_env");
    ck_assert_str_eq(p->version, "1.0.0");
    ck_assert_int_eq(p->kind, PPO_KIND_ENV);
    ck_assert_uint_eq(p->abi_major, PPO_ABI_MAJOR);
    ck_assert_uint_eq(p->abi_minor, PPO_ABI_MINOR);
    ck_assert_uint_eq(p->n_specs, 1);
    ck_assert_str_eq(p->specs[0].name, "goal");
    ck_assert_uint_eq(p->vt.env.max_episode_steps, 20);
    ck_assert_ptr_nonnull(p->vt.env.step);
    ck_assert_ptr_null(p->vt.env.state_size);
    ck_assert_uint_eq(p->host.abi_major, PPO_ABI_MAJOR);
    g_free(path);
}
END_TEST

START_TEST(test_loader_same_file_loaded_twice_gives_the_same_plugin)
{
    char *path = fixture("fx_env");
    char *dir = fixture_dir();
    GError *error = NULL;
    ppo_plugin_t *a = ppo_plugin_load_file(path, &error);
    ck_assert_msg(a != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_ptr_eq(ppo_plugin_load_file(path, &error), a);

    /* by name through the search path */
    const char *const dirs[] = {dir, NULL};
    ppo_search_t *search = ppo_search_new(dirs);
    ck_assert_ptr_eq(ppo_plugin_load(search, "fx_env", NULL, &error), a);
    /* by a path relative to a base directory, with a detour */
    ck_assert_ptr_eq(ppo_plugin_load(search, "../.libs/fx_env.so", dir, &error), a);
    /* through a symbolic link elsewhere */
    char *tmp = ppo_test_tmpdir();
    char *link = g_build_filename(tmp, "fx_env.so", NULL);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_ptr_eq(ppo_plugin_load_file(link, &error), a);
    ck_assert_ptr_null(error);
    ppo_search_free(search);
    ppo_test_rm_tree(tmp);
    g_free(link);
    g_free(tmp);
    g_free(dir);
    g_free(path);
}
END_TEST

/* ---- fixtures that break one rule each ---- */

START_TEST(test_loader_refuses_a_plugin_built_for_a_future_abi_major)
{
    char *path = fixture("fx_abi_major");
    char *built = g_strdup_printf("built for plugin ABI %d.0,", PPO_ABI_MAJOR + 1);
    char *provides = g_strdup_printf("this ppofw provides %d.%d", PPO_ABI_MAJOR, PPO_ABI_MINOR);
    expect_file_refused(path, built, provides, "rebuild it against ppofw " PPO_VERSION_STRING,
                        NULL);
    /* a refused file stays refused, with the same message */
    expect_file_refused(path, built, NULL);
    g_free(provides);
    g_free(built);
    g_free(path);
}
END_TEST

START_TEST(test_loader_refuses_a_plugin_built_for_a_newer_minor)
{
    char *path = fixture("fx_abi_minor");
    char *built = g_strdup_printf("built for plugin ABI %d.%d,", PPO_ABI_MAJOR, PPO_ABI_MINOR + 1);
    char *provides = g_strdup_printf("this ppofw provides %d.%d", PPO_ABI_MAJOR, PPO_ABI_MINOR);
    expect_file_refused(path, built, provides, "upgrade ppofw", NULL);
    g_free(provides);
    g_free(built);
    g_free(path);
}
END_TEST

START_TEST(test_loader_refuses_a_shared_object_without_the_entry_symbol)
{
    char *path = fixture("fx_no_entry");
    expect_file_refused(path, "not a ppofw plugin", "does not export ppo_plugin_entry()",
                        "PPO_PLUGIN_DEFINE", NULL);
    g_free(path);
}
END_TEST

START_TEST(test_loader_refuses_an_env_without_step_naming_the_callback)
{
    char *path = fixture("fx_no_step");
    expect_file_refused(path, "env plugin \"fx_no_step\"", "lacks required callback: step",
                        "set it in its vtable", NULL);
    g_free(path);
}
END_TEST

START_TEST(test_loader_refuses_a_descriptor_name_that_is_not_the_file_stem)
{
    char *path = fixture("fx_misnamed");
    expect_file_refused(path, "calls itself \"fx_renamed\"", "named \"fx_misnamed.so\"",
                        "rename the file to fx_renamed.so", NULL);
    g_free(path);
}
END_TEST

/* An invalid declared default names the plugin's file first, not a made-up position. */
START_TEST(test_loader_refuses_a_plugin_with_an_invalid_default_naming_the_parameter)
{
    char *path = fixture("fx_bad_default");
    expect_file_refused(path, "parameter \"rate\"", "default", "\"2\"", "[0, 1]", NULL);
    g_free(path);
}
END_TEST

START_TEST(test_loader_plugin_of_the_wrong_kind_is_refused_with_the_yaml_position)
{
    char *path = fixture("fx_optimizer");
    GError *error = NULL;
    ppo_plugin_t *p = ppo_plugin_load_file(path, &error);
    ck_assert_msg(p != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_int_eq(p->kind, PPO_KIND_OPTIMIZER);
    ck_assert(ppo_plugin_require_kind(p, PPO_KIND_OPTIMIZER, (ppo_mark_t){"t.yaml", 8, 11},
                                      "optimizer.plugin", &error));
    ck_assert(!ppo_plugin_require_kind(p, PPO_KIND_ENV, (ppo_mark_t){"t.yaml", 2, 11}, "env.plugin",
                                       &error));
    char *names = g_strdup_printf("\"fx_optimizer\" (%s)", path);
    check_error(&error, 3, "t.yaml:2:11: env.plugin: ", names,
                "is an optimizer plugin, expected an env plugin", NULL);
    ck_assert(!ppo_plugin_require_kind(p, PPO_KIND_POLICY, (ppo_mark_t){"t.yaml", 4, 11},
                                       "policy.plugin", &error));
    check_error(&error, 3, "t.yaml:4:11: policy.plugin: ", "expected a policy plugin", NULL);
    g_free(names);
    g_free(path);
}
END_TEST

START_TEST(test_loader_failing_create_is_reported_in_the_plugins_words)
{
    char *path = fixture("fx_create_fails");
    GError *error = NULL;
    ppo_plugin_t *p = ppo_plugin_load_file(path, &error);
    ck_assert_msg(p != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_ptr_null(p->vt.env.create(&p->host, NULL));
    GError *failed = ppo_plugin_error(p, "create", -1);
    char *prefix = g_strdup_printf("plugin \"fx_create_fails\" (%s): create failed: ", path);
    check_error(&failed, 3, prefix, "the fixture cannot open its track file /nonexistent/fx.track",
                NULL);
    /* the pending message was taken: a second failure without one says so */
    failed = ppo_plugin_error(p, "create", -2);
    check_error(&failed, 3, "plugin \"fx_create_fails\"", "failed with code -2", "gave no reason",
                "host->error()", NULL);
    g_free(prefix);
    g_free(path);
}
END_TEST

/* ---- files that are not plugins ---- */

START_TEST(test_loader_refuses_truncated_copies_of_a_real_plugin)
{
    char *src = fixture("fx_env");
    gsize len = 0;
    char *data = read_all(src, &len);
    ck_assert_uint_gt(len, 8001);
    char *dir = ppo_test_tmpdir();
    const gsize sizes[] = {500, 2000, 4000, 8000, len - 1};
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        char *name = g_strdup_printf("cut%zu.so", (size_t)sizes[i]);
        char *path = write_file(dir, name, data, sizes[i]);
        expect_file_refused(path, "truncated", "rebuild or reinstall the plugin", NULL);
        g_free(path);
        g_free(name);
    }
    /* shorter than an ELF header */
    const gsize tiny[] = {0, 1, 63};
    for (size_t i = 0; i < G_N_ELEMENTS(tiny); i++) {
        char *name = g_strdup_printf("tiny%zu.so", (size_t)tiny[i]);
        char *path = write_file(dir, name, data, tiny[i]);
        char *size =
            g_strdup_printf("is %zu bytes, too short to be a shared object", (size_t)tiny[i]);
        expect_file_refused(path, size, "rebuild or reinstall", NULL);
        g_free(size);
        g_free(path);
        g_free(name);
    }
    ppo_test_rm_tree(dir);
    g_free(dir);
    g_free(data);
    g_free(src);
}
END_TEST

START_TEST(test_loader_refuses_a_truncated_segment_even_without_a_section_table)
{
    /* with the section table gone, only the program headers can tell the file is cut */
    char *src = fixture("fx_env");
    gsize len = 0;
    char *data = read_all(src, &len);
    Elf64_Ehdr eh;
    memcpy(&eh, data, sizeof eh);
    eh.e_shoff = 0;
    eh.e_shnum = 0;
    eh.e_shstrndx = 0;
    memcpy(data, &eh, sizeof eh);
    char *dir = ppo_test_tmpdir();
    char *path = write_file(dir, "nosections.so", data, 8000);
    expect_file_refused(path, "is truncated: a segment needs", "the file has 8000",
                        "rebuild or reinstall the plugin", NULL);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
    g_free(data);
    g_free(src);
}
END_TEST

START_TEST(test_loader_refuses_elf_files_of_the_wrong_type_class_or_machine)
{
    char *src = fixture("fx_env");
    gsize len = 0;
    char *data = read_all(src, &len);
    Elf64_Ehdr orig;
    memcpy(&orig, data, sizeof orig);
    char *dir = ppo_test_tmpdir();

    Elf64_Ehdr eh = orig;
    eh.e_type = ET_REL;
    memcpy(data, &eh, sizeof eh);
    char *path = write_file(dir, "object.so", data, len);
    expect_file_refused(path, "not a shared object", "link it with -shared", NULL);
    g_free(path);

    eh = orig;
    eh.e_machine = (Elf64_Half)(orig.e_machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64);
    memcpy(data, &eh, sizeof eh);
    path = write_file(dir, "foreign.so", data, len);
    expect_file_refused(path, "built for another architecture", "rebuild it here", NULL);
    g_free(path);

    eh = orig;
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    memcpy(data, &eh, sizeof eh);
    path = write_file(dir, "class32.so", data, len);
    expect_file_refused(path, "another architecture", NULL);
    g_free(path);

    ppo_test_rm_tree(dir);
    g_free(dir);
    g_free(data);
    g_free(src);
}
END_TEST

START_TEST(test_loader_refuses_a_text_file_named_like_a_plugin)
{
    char *dir = ppo_test_tmpdir();
    const char *text = "This is not a plugin. A plugin is a shared object built with "
                       "PPO_PLUGIN_DEFINE; this is a text file that only has a .so name.\n";
    char *path = write_file(dir, "x.so", text, strlen(text));
    expect_file_refused(path, "is not an ELF shared object", "PPO_PLUGIN_DEFINE", NULL);
    /* by name through the search path, too */
    const char *const dirs[] = {dir, NULL};
    ppo_search_t *search = ppo_search_new(dirs);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_plugin_load(search, "x", NULL, &error));
    char *prefix = g_strdup_printf("%s: ", path);
    check_error(&error, 3, prefix, "is not an ELF shared object", NULL);
    g_free(prefix);
    ppo_search_free(search);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_loader_refuses_a_directory_named_like_a_plugin)
{
    char *dir = ppo_test_tmpdir();
    char *sub = g_build_filename(dir, "y.so", NULL);
    ck_assert_int_eq(g_mkdir(sub, 0755), 0);
    expect_file_refused(sub, "is a directory, not a plugin file", "name the .so inside it", NULL);
    const char *const dirs[] = {dir, NULL};
    ppo_search_t *search = ppo_search_new(dirs);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_plugin_load(search, "y", NULL, &error));
    char *prefix = g_strdup_printf("%s: ", sub);
    check_error(&error, 3, prefix, "is a directory", NULL);
    g_free(prefix);
    ppo_search_free(search);
    ppo_test_rm_tree(dir);
    g_free(sub);
    g_free(dir);
}
END_TEST

START_TEST(test_loader_refuses_an_unreadable_plugin_file)
{
    if (geteuid() == 0) {
        /* root reads a mode-000 file anyway, so the refusal cannot be provoked */
        fprintf(stderr, "test_loader_refuses_an_unreadable_plugin_file: skipped: running as root, "
                        "which can read a file of mode 000\n");
        return;
    }
    char *src = fixture("fx_env");
    gsize len = 0;
    char *data = read_all(src, &len);
    char *dir = ppo_test_tmpdir();
    char *path = write_file(dir, "fx_env.so", data, len);
    ck_assert_int_eq(g_chmod(path, 0), 0);
    expect_file_refused(path, "cannot open the plugin", "Permission denied",
                        "make the file readable: chmod a+r", NULL);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
    g_free(data);
    g_free(src);
}
END_TEST

START_TEST(test_loader_refuses_a_missing_file_naming_it)
{
    char *dir = ppo_test_tmpdir();
    char *path = g_build_filename(dir, "nope.so", NULL);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_plugin_load_file(path, &error));
    char *prefix = g_strdup_printf("%s: ", path);
    check_error(&error, 3, prefix, "No such file or directory", "check the path", NULL);
    g_free(prefix);
    /* a relative path is taken relative to the base directory (the pipeline's) */
    ppo_search_t *search = ppo_search_new(NULL);
    ck_assert_ptr_null(ppo_plugin_load(search, "plugins/nope.so", dir, &error));
    char *rel = g_build_filename(dir, "plugins", "nope.so", NULL);
    prefix = g_strdup_printf("%s: ", rel);
    check_error(&error, 3, prefix, "No such file or directory", NULL);
    g_free(prefix);
    g_free(rel);
    ppo_search_free(search);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

/* ---- the search ---- */

START_TEST(test_loader_missing_name_lists_every_directory_and_suggests_the_nearest)
{
    char *fixdir = fixture_dir();
    char *tmp = ppo_test_tmpdir();
    g_setenv("PPOFW_PLUGIN_PATH", fixdir, TRUE);
    const char *const dirs[] = {tmp, NULL};
    ppo_search_t *search = ppo_search_new(dirs);
    ck_assert_uint_ge(ppo_search_len(search), 3);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_plugin_load(search, "fx_evn", NULL, &error));
    ck_assert_ptr_nonnull(error);
    for (guint i = 0; i < ppo_search_len(search); i++) {
        const char *origin = NULL;
        const char *d = ppo_search_dir(search, i, &origin);
        char *entry = g_strdup_printf("%s (%s)", d, origin);
        ck_assert_msg(strstr(error->message, entry) != NULL, "message \"%s\" lacks \"%s\"",
                      error->message, entry);
        g_free(entry);
    }
    char *tmp_entry = g_strdup_printf("%s (--plugin-path)", tmp);
    char *fix_entry = g_strdup_printf("%s (PPOFW_PLUGIN_PATH)", fixdir);
    check_error(&error, 3, "no plugin named \"fx_evn\" (fx_evn.so) in ", tmp_entry, fix_entry,
                "(installed)", "did you mean \"fx_env\"?", NULL);
    g_free(fix_entry);
    g_free(tmp_entry);
    ppo_search_free(search);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
    g_free(fixdir);
}
END_TEST

START_TEST(test_loader_missing_name_without_near_spelling_says_where_to_look)
{
    g_unsetenv("PPOFW_PLUGIN_PATH");
    ppo_search_t *search = ppo_search_new(NULL);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_plugin_load(search, "zzzzzzzzzzzz", NULL, &error));
    ck_assert_msg(strstr(error->message, "did you mean") == NULL, "%s", error->message);
    check_error(&error, 3, "no plugin named \"zzzzzzzzzzzz\" (zzzzzzzzzzzz.so) in ",
                "PPOFW_PLUGIN_PATH is unset", "see `ppofw plugins`", NULL);
    ppo_search_free(search);
}
END_TEST

START_TEST(test_loader_shipped_plugins_are_found_in_the_build_tree)
{
    g_unsetenv("PPOFW_PLUGIN_PATH");
    ppo_search_t *search = ppo_search_new(NULL);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_plugin_load(search, "cartpol", NULL, &error));
    check_error(&error, 3, "no plugin named \"cartpol\"", "(build tree)",
                "did you mean \"cartpole\"?", NULL);
    ppo_plugin_t *p = ppo_plugin_load(search, "cartpole", NULL, &error);
    ck_assert_msg(p != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_int_eq(p->kind, PPO_KIND_ENV);
    ppo_search_free(search);
}
END_TEST

START_TEST(test_loader_refuses_a_name_that_cannot_be_a_plugin)
{
    ppo_search_t *search = ppo_search_new(NULL);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_plugin_load(search, "cart pole", NULL, &error));
    check_error(&error, 3, "\"cart pole\" is not a plugin name", "a path to a .so", NULL);
    ck_assert_ptr_null(ppo_plugin_load(search, "", NULL, &error));
    check_error(&error, 3, "\"\" is not a plugin name", NULL);
    ppo_search_free(search);
}
END_TEST

START_TEST(test_loader_list_reports_broken_fixtures_as_failures)
{
    char *fixdir = fixture_dir();
    g_setenv("PPOFW_PLUGIN_PATH", fixdir, TRUE);
    ppo_search_t *search = ppo_search_new(NULL);
    GPtrArray *failures = NULL;
    GPtrArray *plugins = ppo_plugin_list(search, &failures);
    static const char *const broken[] = {
        "fx_abi_major", "fx_abi_minor",   "fx_no_entry", "fx_no_step",
        "fx_misnamed",  "fx_bad_default", NULL};
    for (const char *const *b = broken; *b != NULL; b++) {
        char *file = g_strdup_printf("/%s.so: ", *b);
        bool found = false;
        for (guint i = 0; i < failures->len; i++)
            found |= strstr(g_ptr_array_index(failures, i), file) != NULL;
        ck_assert_msg(found, "%s is not among the failures", *b);
        g_free(file);
    }
    static const char *const good[] = {"fx_env", "fx_create_fails", "fx_optimizer", NULL};
    for (const char *const *g = good; *g != NULL; g++) {
        bool found = false;
        for (guint i = 0; i < plugins->len; i++)
            found |= strcmp(((ppo_plugin_t *)g_ptr_array_index(plugins, i))->name, *g) == 0;
        ck_assert_msg(found, "%s was not listed", *g);
    }
    g_ptr_array_free(failures, TRUE);
    g_ptr_array_free(plugins, TRUE);
    ppo_search_free(search);
    g_free(fixdir);
}
END_TEST

static Suite *loader_suite(void)
{
    Suite *s = suite_create("ppo_loader");
    TCase *tc = tcase_create("fixtures");
    tcase_add_test(tc, test_loader_loads_the_valid_fixture_and_copies_its_descriptor);
    tcase_add_test(tc, test_loader_same_file_loaded_twice_gives_the_same_plugin);
    tcase_add_test(tc, test_loader_refuses_a_plugin_built_for_a_future_abi_major);
    tcase_add_test(tc, test_loader_refuses_a_plugin_built_for_a_newer_minor);
    tcase_add_test(tc, test_loader_refuses_a_shared_object_without_the_entry_symbol);
    tcase_add_test(tc, test_loader_refuses_an_env_without_step_naming_the_callback);
    tcase_add_test(tc, test_loader_refuses_a_descriptor_name_that_is_not_the_file_stem);
    tcase_add_test(tc, test_loader_refuses_a_plugin_with_an_invalid_default_naming_the_parameter);
    tcase_add_test(tc, test_loader_plugin_of_the_wrong_kind_is_refused_with_the_yaml_position);
    tcase_add_test(tc, test_loader_failing_create_is_reported_in_the_plugins_words);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_test(tc, test_loader_refuses_truncated_copies_of_a_real_plugin);
    tcase_add_test(tc, test_loader_refuses_a_truncated_segment_even_without_a_section_table);
    tcase_add_test(tc, test_loader_refuses_elf_files_of_the_wrong_type_class_or_machine);
    tcase_add_test(tc, test_loader_refuses_a_text_file_named_like_a_plugin);
    tcase_add_test(tc, test_loader_refuses_a_directory_named_like_a_plugin);
    tcase_add_test(tc, test_loader_refuses_an_unreadable_plugin_file);
    tcase_add_test(tc, test_loader_refuses_a_missing_file_naming_it);
    suite_add_tcase(s, tc);

    tc = tcase_create("search");
    tcase_add_test(tc, test_loader_missing_name_lists_every_directory_and_suggests_the_nearest);
    tcase_add_test(tc, test_loader_missing_name_without_near_spelling_says_where_to_look);
    tcase_add_test(tc, test_loader_shipped_plugins_are_found_in_the_build_tree);
    tcase_add_test(tc, test_loader_refuses_a_name_that_cannot_be_a_plugin);
    tcase_add_test(tc, test_loader_list_reports_broken_fixtures_as_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(loader_suite());
}
