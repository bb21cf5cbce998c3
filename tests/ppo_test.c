/* ppofw tests — shared helpers for Check suites (see ppo_test.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ppo_test.h"

ppo_plugin_t *ppo_test_plugin(const char *name)
{
    GError *error = NULL;
    ppo_search_t *search = ppo_search_new(NULL);
    ppo_plugin_t *p = ppo_plugin_load(search, name, NULL, &error);
    ppo_search_free(search);
    if (p == NULL)
        ck_abort_msg("cannot load plugin %s: %s", name, error->message);
    return p;
}

ppo_params_t *ppo_test_params(const ppo_plugin_t *plugin, const char *flow_yaml)
{
    GError *error = NULL;
    const char *text = flow_yaml != NULL ? flow_yaml : "";
    ppo_ydoc_t *doc = ppo_ydoc_parse("test-params", text, strlen(text), &error);
    if (doc == NULL)
        ck_abort_msg("bad test params %s: %s", text, error->message);
    char *section = g_strdup_printf("%s.params", plugin->name);
    ppo_params_t *params = ppo_params_build(plugin->specs, plugin->n_specs, ppo_ydoc_root(doc),
                                            section, NULL, NULL, &error);
    g_free(section);
    ppo_ydoc_free(doc);
    if (params == NULL)
        ck_abort_msg("params %s rejected: %s", text, error->message);
    return params;
}

char *ppo_test_src_path(const char *relpath)
{
    const char *src = g_getenv("PPO_TEST_SRCDIR");
    return g_build_filename(src != NULL ? src : PPO_ABS_SRCDIR, relpath, NULL);
}

char *ppo_test_data_path(const char *file)
{
    char *rel = g_build_filename("tests", "data", file, NULL);
    char *path = ppo_test_src_path(rel);
    g_free(rel);
    return path;
}

ppo_csv_t *ppo_csv_load(const char *path)
{
    char *text = NULL;
    gsize len = 0;
    GError *error = NULL;
    if (!g_file_get_contents(path, &text, &len, &error))
        ck_abort_msg("cannot read %s: %s", path, error->message);
    ppo_csv_t *csv = g_new0(ppo_csv_t, 1);
    csv->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    for (guint i = 0; lines[i] != NULL; i++) {
        char *line = lines[i];
        size_t l = strlen(line);
        if (l > 0 && line[l - 1] == '\r')
            line[l - 1] = '\0';
        if (*line == '\0')
            continue;
        char **cells = g_strsplit(line, ",", -1);
        if (csv->header == NULL) {
            csv->header = cells;
            csv->n_cols = g_strv_length(cells);
            continue;
        }
        if (g_strv_length(cells) != csv->n_cols)
            ck_abort_msg("%s:%u: %u cells, the header has %u", path, i + 1,
                         g_strv_length(cells), csv->n_cols);
        g_ptr_array_add(csv->rows, cells);
    }
    g_strfreev(lines);
    if (csv->header == NULL)
        ck_abort_msg("%s: empty CSV", path);
    return csv;
}

void ppo_csv_free(ppo_csv_t *csv)
{
    if (csv == NULL)
        return;
    g_strfreev(csv->header);
    g_ptr_array_free(csv->rows, TRUE);
    g_free(csv);
}

int ppo_csv_col(const ppo_csv_t *csv, const char *name)
{
    for (guint i = 0; i < csv->n_cols; i++)
        if (strcmp(csv->header[i], name) == 0)
            return (int)i;
    return -1;
}

guint ppo_csv_count_prefix(const ppo_csv_t *csv, const char *prefix)
{
    guint n = 0;
    const size_t pl = strlen(prefix);
    for (guint i = 0; i < csv->n_cols; i++)
        if (strncmp(csv->header[i], prefix, pl) == 0 && g_ascii_isdigit(csv->header[i][pl]))
            n++;
    return n;
}

const char *ppo_csv_str(const ppo_csv_t *csv, guint row, int col)
{
    ck_assert_msg(row < csv->rows->len && col >= 0 && (guint)col < csv->n_cols,
                  "csv cell %u,%d out of range", row, col);
    return ((char **)g_ptr_array_index(csv->rows, row))[col];
}

double ppo_csv_num(const ppo_csv_t *csv, guint row, int col)
{
    const char *s = ppo_csv_str(csv, row, col);
    char *end = NULL;
    double v = strtod(s, &end);
    ck_assert_msg(end != s && *end == '\0', "csv cell %u,%d is not a number: \"%s\"", row, col,
                  s);
    return v;
}

int ppo_test_run(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
