/* ppofw tests — helpers shared by the SDK's suites: the fixture plugins of tests/sdk/fixtures/
 * by path, the checkers' reports, and the ppofw program spawned as a user runs it.
 *
 * Everything is static inline so each suite takes only what it uses.
 */
#ifndef PPO_SDK_TEST_H
#define PPO_SDK_TEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ppo_check_private.h"
#include "ppo_export_verify_private.h"
#include "ppo_test.h"

static inline const char *sdk_build_dir(void)
{
    const char *b = g_getenv("PPO_TEST_BUILDDIR");
    return b != NULL ? b : PPO_ABS_BUILDDIR;
}

/* Canonical path of the fixture NAME.so (transfer full); fails the test if it is not built. */
static inline char *sdk_fixture_path(const char *name)
{
    char *file = g_strconcat(name, ".so", NULL);
    char *path = g_build_filename(sdk_build_dir(), "tests", "sdk", "fixtures", ".libs", file, NULL);
    char *real = realpath(path, NULL);
    ck_assert_msg(real != NULL, "fixture %s is not built (%s): run make check", path,
                  g_strerror(errno));
    char *out = g_strdup(real);
    free(real);
    g_free(path);
    g_free(file);
    return out;
}

/* The fixture NAME loaded through the core's loader by its path. (transfer none) */
static inline ppo_plugin_t *sdk_fixture(const char *name)
{
    char *path = sdk_fixture_path(name);
    GError *error = NULL;
    ppo_plugin_t *p = ppo_plugin_load_file(path, &error);
    ck_assert_msg(p != NULL, "cannot load %s: %s", path, error != NULL ? error->message : "");
    g_free(path);
    return p;
}

/* The item `id` of a report; fails the test when it is missing. (transfer none) */
static inline const ppo_check_item_t *sdk_item(const ppo_check_report_t *r, const char *id)
{
    const ppo_check_item_t *item = ppo_check_find(r, id);
    ck_assert_msg(item != NULL, "the report has no item \"%s\"", id);
    return item;
}

/* Fail unless item `id` failed and its detail contains every NULL-terminated fragment. */
static inline void sdk_assert_failed(const ppo_check_report_t *r, const char *id, ...)
{
    const ppo_check_item_t *item = sdk_item(r, id);
    ck_assert_msg(item->status == PPO_CHECK_FAIL, "%s did not fail: %s", id, item->detail);
    va_list ap;
    va_start(ap, id);
    for (const char *frag = va_arg(ap, const char *); frag != NULL; frag = va_arg(ap, const char *))
        ck_assert_msg(strstr(item->detail, frag) != NULL, "%s: \"%s\" is not in \"%s\"", id, frag,
                      item->detail);
    va_end(ap);
}

/* The ids of the failed items, comma-separated (transfer full). */
static inline char *sdk_failed_ids(const ppo_check_report_t *r)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < r->items->len; i++) {
        const ppo_check_item_t *item = g_ptr_array_index(r->items, i);
        if (item->status == PPO_CHECK_FAIL)
            g_string_append_printf(s, "%s%s", s->len > 0 ? "," : "", item->id);
    }
    return g_string_free(s, FALSE);
}

/* Whether the C compiler the export checks use ($CC, or cc) is there. */
static inline bool sdk_have_compiler(void)
{
    char *what = NULL;
    char **cc = ppo_export_compiler(NULL, &what);
    g_free(what);
    g_strfreev(cc);
    return cc != NULL;
}

/* One run of the ppofw program. */
typedef struct sdk_run {
    int status; /* exit code, or -1 when it did not exit normally */
    char *out;  /* stdout */
    char *err;  /* stderr */
} sdk_run_t;

static inline void sdk_run_clear(sdk_run_t *r)
{
    g_free(r->out);
    g_free(r->err);
    memset(r, 0, sizeof(*r));
}

/* Run the built ppofw with the NULL-terminated arguments in `cwd` (NULL: here) and the
 * environment `envp` (NULL: inherited). */
static inline sdk_run_t sdk_ppofw(const char *cwd, char **envp, const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_build_filename(sdk_build_dir(), "ppofw", NULL));
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, g_strdup(a));
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    sdk_run_t r = {0};
    int wait_status = 0;
    GError *error = NULL;
    gboolean ok = g_spawn_sync(cwd, (char **)argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL, &r.out,
                               &r.err, &wait_status, &error);
    ck_assert_msg(ok, "cannot run ppofw: %s", error != NULL ? error->message : "");
    r.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    g_ptr_array_free(argv, TRUE);
    return r;
}

#endif /* PPO_SDK_TEST_H */
