/* ppofw tests — shared helpers for Check suites (see ppo_test.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ppo_test.h"
#include "ppo_checkpoint_private.h"
#include "ppo_trainer_private.h"

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

void ppo_test_step_range_matches_step(const char *plugin_name, const char *flow_yaml)
{
    enum { N = 45, MAX_STATE = 4 };
    static const size_t cuts[] = {0, 16, 32, N};
    const ppo_plugin_t *plugin = ppo_test_plugin(plugin_name);
    const ppo_optimizer_vtable_t *vt = &plugin->vt.optimizer;
    ck_assert_msg(vt->step_range != NULL, "%s has no step_range", plugin_name);
    ppo_params_t *params = ppo_test_params(plugin, flow_yaml);
    void *inst = vt->create(&plugin->host, params);
    ck_assert_msg(inst != NULL, "%s create failed", plugin_name);
    const uint32_t k = vt->state_floats_per_param(inst);
    ck_assert_uint_le(k, MAX_STATE);

    float p_whole[N], p_split[N], s_whole[MAX_STATE * N], s_split[MAX_STATE * N], g[N];
    for (size_t j = 0; j < N; j++)
        p_whole[j] = p_split[j] = (float)(0.5 - 0.03 * (double)j);
    memset(s_whole, 0, sizeof(s_whole));
    memset(s_split, 0, sizeof(s_split));
    for (uint64_t t = 1; t <= 3; t++) {
        for (size_t j = 0; j < N; j++)
            g[j] = (float)(0.1 * (double)((j * 7 + t * 3) % 11) - 0.45);
        ck_assert_int_eq(vt->step(inst, p_whole, g, s_whole, N, 0.01, t), 0);
        for (size_t c = 0; c + 1 < G_N_ELEMENTS(cuts); c++) {
            /* elements outside the range must come through untouched */
            float p_before[N], s_before[MAX_STATE * N];
            memcpy(p_before, p_split, sizeof(p_split));
            memcpy(s_before, s_split, sizeof(s_split));
            ck_assert_int_eq(vt->step_range(inst, p_split, g, s_split, N, cuts[c], cuts[c + 1],
                                            0.01, t),
                             0);
            for (size_t j = 0; j < N; j++) {
                if (j >= cuts[c] && j < cuts[c + 1])
                    continue;
                ck_assert_msg(memcmp(&p_split[j], &p_before[j], sizeof(float)) == 0,
                              "step_range [%zu, %zu) wrote parameter %zu", cuts[c], cuts[c + 1],
                              j);
                for (uint32_t b = 0; b < k; b++)
                    ck_assert_msg(memcmp(&s_split[b * N + j], &s_before[b * N + j],
                                         sizeof(float)) == 0,
                                  "step_range [%zu, %zu) wrote state block %u element %zu",
                                  cuts[c], cuts[c + 1], b, j);
            }
        }
        ck_assert_msg(memcmp(p_whole, p_split, sizeof(p_whole)) == 0,
                      "%s: parameters after step %u differ between step and step_range",
                      plugin_name, (unsigned)t);
        ck_assert_msg(memcmp(s_whole, s_split, (size_t)k * N * sizeof(float)) == 0,
                      "%s: state after step %u differs between step and step_range", plugin_name,
                      (unsigned)t);
    }
    vt->destroy(inst);
    ppo_params_free(params);
}

void ppo_test_run_ok(char **argv)
{
    char *out = NULL, *err = NULL;
    int status = 0;
    GError *error = NULL;
    gboolean ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                               &status, &error);
    ck_assert_msg(ok, "cannot run %s: %s", argv[0], ok ? "" : error->message);
    if (!g_spawn_check_wait_status(status, NULL)) {
        /* the whole output on stderr; the message (Check's are limited) keeps its end */
        fprintf(stderr, "%s failed:\n%s%s\n", argv[0], out, err);
        const size_t n = strlen(err), keep = 3000;
        ck_abort_msg("%s %s failed; the end of its stderr:\n%s", argv[0],
                     argv[1] != NULL ? argv[1] : "", n > keep ? err + n - keep : err);
    }
    g_free(out);
    g_free(err);
}

char *ppo_test_tmpdir(void)
{
    GError *error = NULL;
    char *dir = g_dir_make_tmp("ppo-test-XXXXXX", &error);
    ck_assert_msg(dir != NULL, "cannot make a temp dir: %s", error != NULL ? error->message : "");
    char *real = realpath(dir, NULL);
    ck_assert_ptr_nonnull(real);
    char *out = g_strdup(real);
    free(real);
    g_free(dir);
    return out;
}

void ppo_test_rm_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir != NULL) {
        const char *name;
        while ((name = g_dir_read_name(dir)) != NULL) {
            char *child = g_build_filename(path, name, NULL);
            if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
                !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
                ppo_test_rm_tree(child);
            else
                g_unlink(child);
            g_free(child);
        }
        g_dir_close(dir);
    }
    g_remove(path);
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

void ppo_test_trainer_open(ppo_test_trainer_t *f, const char *text, const char *const *overrides)
{
    GError *error = NULL;
    f->search = ppo_search_new(NULL);
    f->pipeline = ppo_pipeline_parse("test.yaml", ".", text, strlen(text), overrides, &error);
    ck_assert_msg(f->pipeline != NULL, "%s", error != NULL ? error->message : "");
    f->session = ppo_session_open(f->pipeline, f->search, &error);
    ck_assert_msg(f->session != NULL, "%s", error != NULL ? error->message : "");
    f->trainer = ppo_trainer_new(f->session, &error);
    ck_assert_msg(f->trainer != NULL, "%s", error != NULL ? error->message : "");
}

void ppo_test_trainer_close(ppo_test_trainer_t *f)
{
    ppo_trainer_free(f->trainer);
    ppo_session_free(f->session);
    ppo_pipeline_free(f->pipeline);
    ppo_search_free(f->search);
}

GError *ppo_test_trainer_error(const char *text, const char *const *overrides)
{
    GError *error = NULL;
    ppo_search_t *search = ppo_search_new(NULL);
    ppo_pipeline_t *pipeline =
        ppo_pipeline_parse("test.yaml", ".", text, strlen(text), overrides, &error);
    ppo_session_t *session = pipeline != NULL ? ppo_session_open(pipeline, search, &error) : NULL;
    ppo_trainer_t *trainer = session != NULL ? ppo_trainer_new(session, &error) : NULL;
    ppo_trainer_free(trainer);
    ppo_session_free(session);
    ppo_pipeline_free(pipeline);
    ppo_search_free(search);
    return error;
}

void ppo_test_trainer_iterate(ppo_test_trainer_t *f, void *row_out)
{
    ppo_metrics_row_t *row = row_out;
    GError *error = NULL;
    ck_assert_msg(ppo_trainer_iterate(f->trainer, row, &error), "%s",
                  error != NULL ? error->message : "");
    row->time_s = row->sps = 0.0;
}

/* The parameters and optimizer states of two trainers are equal. */
static void assert_same_models(const ppo_test_trainer_t *a, const ppo_test_trainer_t *b)
{
    const ppo_model_t *ma = ppo_trainer_model(a->trainer), *mb = ppo_trainer_model(b->trainer);
    ck_assert_mem_eq(ma->params, mb->params, ma->n_params * sizeof(float));
    if (ma->opt_state != NULL)
        ck_assert_mem_eq(ma->opt_state, mb->opt_state,
                         ma->n_params * ma->state_floats * sizeof(float));
}

void ppo_test_assert_same_runs(const char *text, const char *const *a, const char *const *b, int n)
{
    ppo_test_trainer_t fa, fb;
    ppo_test_trainer_open(&fa, text, a);
    ppo_test_trainer_open(&fb, text, b);
    for (int i = 0; i < n; i++) {
        ppo_metrics_row_t ra, rb;
        ppo_test_trainer_iterate(&fa, &ra);
        ppo_test_trainer_iterate(&fb, &rb);
        ck_assert_msg(memcmp(&ra, &rb, sizeof(ra)) == 0, "iteration %d differs", i + 1);
    }
    assert_same_models(&fa, &fb);
    ppo_test_trainer_close(&fa);
    ppo_test_trainer_close(&fb);
}

void ppo_test_assert_resume_exact(const char *text, const char *const *overrides, int before,
                                  int after)
{
    char *dir = ppo_test_tmpdir();
    char *path = g_build_filename(dir, "c.ckpt", NULL);
    ppo_test_trainer_t a, b;
    ppo_test_trainer_open(&a, text, overrides);
    ppo_metrics_row_t ra, rb;
    for (int i = 0; i < before; i++)
        ppo_test_trainer_iterate(&a, &ra);
    GError *error = NULL;
    ppo_ckpt_files_t files = {.metrics_offset = 0};
    ck_assert_msg(ppo_checkpoint_write(a.trainer, &files, path, &error), "%s",
                  error != NULL ? error->message : "");
    ppo_test_trainer_open(&b, text, overrides);
    ppo_ckpt_t *c = ppo_checkpoint_read(path, &error);
    ck_assert_msg(c != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_msg(ppo_checkpoint_restore(b.trainer, c, NULL, &error), "%s",
                  error != NULL ? error->message : "");
    ppo_checkpoint_free(c);
    for (int i = 0; i < after; i++) {
        ppo_test_trainer_iterate(&a, &ra);
        ppo_test_trainer_iterate(&b, &rb);
        ck_assert_msg(memcmp(&ra, &rb, sizeof(ra)) == 0, "iteration %d after the restore differs",
                      i + 1);
    }
    assert_same_models(&a, &b);
    ppo_test_trainer_close(&a);
    ppo_test_trainer_close(&b);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
}
