/* ppofw core — sweep files: reading and checking them, making and validating their cells (see
 * ppo_sweep_private.h). Leaves out running the cells (ppo_sweep_run.c). */
#include "config.h"

#include <fcntl.h>

#include <math.h>
#include <string.h>

#include "ppo_params_private.h"
#include "ppo_pipeline_private.h"
#include "ppo_session_private.h"
#include "ppo_file_private.h"
#include "ppo_sweep_private.h"

/* cell names longer than this are cut and numbered, so <cell>-s<seed> stays a valid file name */
#define CELL_NAME_MAX 150

static const char *const sweep_keys[] = {"name", "base", "grid", "set", "seeds", "threshold", NULL};

/* ---- YAML helpers ---- */

static void flow_into(GString *out, const ppo_ynode_t *node)
{
    if (node->kind == PPO_YNODE_SCALAR) {
        if (node->plain && node->text_len == 0)
            g_string_append(out, "null");
        else
            ppo_yaml_write_scalar(out, node->text, node->plain);
        return;
    }
    const bool map = node->kind == PPO_YNODE_MAPPING;
    g_string_append_c(out, map ? '{' : '[');
    for (uint32_t i = 0; i < node->n_items; i++) {
        if (i > 0)
            g_string_append(out, ", ");
        if (map) {
            ppo_yaml_write_scalar(out, node->keys[i]->text, node->keys[i]->plain);
            g_string_append(out, ": ");
        }
        flow_into(out, node->values[i]);
    }
    g_string_append_c(out, map ? '}' : ']');
}

char *ppo_sweep_flow(const ppo_ynode_t *node)
{
    GString *out = g_string_new(NULL);
    if (node == NULL)
        g_string_append(out, "null");
    else
        flow_into(out, node);
    return g_string_free(out, FALSE);
}

static void flatten_into(GPtrArray *out, const char *prefix, const ppo_ynode_t *node)
{
    if (node == NULL || node->kind != PPO_YNODE_MAPPING || node->n_items == 0) {
        g_ptr_array_add(out, g_strdup(prefix));
        g_ptr_array_add(out, ppo_sweep_flow(node));
        return;
    }
    for (uint32_t i = 0; i < node->n_items; i++) {
        char *key = *prefix != '\0' ? g_strdup_printf("%s.%s", prefix, node->keys[i]->text)
                                    : g_strdup(node->keys[i]->text);
        flatten_into(out, key, node->values[i]);
        g_free(key);
    }
}

GPtrArray *ppo_sweep_flatten(const ppo_ynode_t *root)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    if (root != NULL && root->kind == PPO_YNODE_MAPPING)
        flatten_into(out, "", root);
    return out;
}

char *ppo_sweep_slug(const char *text)
{
    GString *s = g_string_new(NULL);
    for (const char *p = text; *p != '\0'; p++) {
        const char c = *p;
        if (g_ascii_isalnum(c) || c == '.' || c == '_' || c == '+' || c == '-') {
            if (c == '_' && s->len > 0 && s->str[s->len - 1] == '_')
                continue;
            g_string_append_c(s, c);
        } else if (strchr("[]{}\"'", c) == NULL) {
            if (s->len > 0 && s->str[s->len - 1] != '_')
                g_string_append_c(s, '_');
        }
    }
    while (s->len > 0 && s->str[s->len - 1] == '_')
        g_string_truncate(s, s->len - 1);
    /* never "." or ".." and never a hidden name */
    if (s->len == 0 || s->str[0] == '.')
        g_string_prepend_c(s, 'x');
    return g_string_free(s, FALSE);
}

static char *describe(const ppo_ynode_t *node)
{
    return ppo_ynode_describe(node);
}

/* ---- keys ---- */

/* Every key a grid or set entry may name: the pipeline's known keys and its sections. */
static GPtrArray *settable_keys(void)
{
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
    for (const char *const *k = ppo_pipeline_known_keys(); *k != NULL; k++) {
        g_ptr_array_add(keys, g_strdup(*k));
        const char *dot = strchr(*k, '.');
        if (dot == NULL)
            continue;
        char *section = g_strndup(*k, (gsize)(dot - *k));
        bool seen = false;
        for (guint i = 0; i < keys->len && !seen; i++)
            seen = strcmp(g_ptr_array_index(keys, i), section) == 0;
        if (!seen)
            g_ptr_array_add(keys, section);
        else
            g_free(section);
    }
    g_ptr_array_add(keys, NULL);
    return keys;
}

/* A known pipeline key, a section, or a key inside a plugin's params (which the plugin's schema
 * checks later). Otherwise *near is the closest known key, or NULL. */
static bool key_known(const char *key, const char **near)
{
    static GPtrArray *keys;
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        keys = settable_keys();
        g_once_init_leave(&done, 1);
    }
    *near = NULL;
    for (guint i = 0; i + 1 < keys->len; i++)
        if (strcmp(g_ptr_array_index(keys, i), key) == 0)
            return true;
    const char *p = strstr(key, ".params.");
    if (p != NULL && p[strlen(".params.")] != '\0' && strstr(key, "..") == NULL &&
        key[strlen(key) - 1] != '.') {
        char *params_key = g_strndup(key, (gsize)(p - key) + strlen(".params"));
        bool ok = false;
        for (guint i = 0; i + 1 < keys->len && !ok; i++)
            ok = strcmp(g_ptr_array_index(keys, i), params_key) == 0;
        g_free(params_key);
        if (ok)
            return true;
    }
    *near = ppo_nearest_word(key, (const char *const *)keys->pdata);
    return false;
}

/* A grid or set key, which must be a pipeline key other than seed. */
static bool check_key(const ppo_ynode_t *key_node, const char *where, GError **error)
{
    const char *key = key_node->text;
    if (strcmp(key, "seed") == 0)
        return ppo_mark_error(error, key_node->mark,
                              "%s: seed is set by the sweep's seeds: list; remove it from %s",
                              where, where);
    const char *near;
    if (key_known(key, &near))
        return true;
    if (near != NULL)
        return ppo_mark_error(error, key_node->mark,
                              "%s: unknown pipeline key \"%s\"; did you mean \"%s\"?", where, key,
                              near);
    return ppo_mark_error(
        error, key_node->mark,
        "%s: unknown pipeline key \"%s\"; write a dotted key such as ppo.clip (see "
        "docs/pipeline-reference.md; plugin parameters are SECTION.params.NAME)",
        where, key);
}

/* ---- the file ---- */

static ppo_sweep_value_t *value_new(void)
{
    ppo_sweep_value_t *v = g_new0(ppo_sweep_value_t, 1);
    v->overrides = g_ptr_array_new_with_free_func(g_free);
    v->marks = g_array_new(FALSE, FALSE, sizeof(ppo_mark_t));
    return v;
}

static void value_free(gpointer data)
{
    ppo_sweep_value_t *v = data;
    g_free(v->label);
    g_free(v->path);
    g_ptr_array_free(v->overrides, TRUE);
    g_array_free(v->marks, TRUE);
    g_free(v);
}

static void value_add(ppo_sweep_value_t *v, const char *key, const ppo_ynode_t *node)
{
    char *flow = ppo_sweep_flow(node);
    g_ptr_array_add(v->overrides, g_strdup_printf("%s=%s", key, flow));
    g_array_append_val(v->marks, node->mark);
    g_free(flow);
}

static ppo_sweep_axis_t *axis_new(const char *key, ppo_mark_t mark)
{
    ppo_sweep_axis_t *a = g_new0(ppo_sweep_axis_t, 1);
    a->key = g_strdup(key);
    a->key_mark = mark;
    a->values = g_ptr_array_new_with_free_func(value_free);
    return a;
}

static void axis_free(gpointer data)
{
    ppo_sweep_axis_t *a = data;
    g_free(a->key);
    g_ptr_array_free(a->values, TRUE);
    g_free(a);
}

static void cell_free(gpointer data)
{
    ppo_sweep_cell_t *c = data;
    g_free(c->name);
    g_free(c->choice);
    g_free(c->base);
    g_ptr_array_free(c->overrides, TRUE);
    g_array_free(c->override_marks, TRUE);
    g_free(c);
}

void ppo_sweep_free(ppo_sweep_t *sw)
{
    if (sw == NULL)
        return;
    g_free(sw->path);
    g_free(sw->name);
    g_free(sw->text);
    if (sw->axes != NULL)
        g_ptr_array_free(sw->axes, TRUE);
    if (sw->cells != NULL)
        g_ptr_array_free(sw->cells, TRUE);
    if (sw->seeds != NULL)
        g_array_free(sw->seeds, TRUE);
    ppo_ydoc_free(sw->doc);
    g_free(sw);
}

static bool is_string(const ppo_ynode_t *node)
{
    return node != NULL && node->kind == PPO_YNODE_SCALAR && !ppo_ynode_is_null(node) &&
           node->text_len == strlen(node->text);
}

/* One base pipeline: resolved against the sweep file's directory; it must exist. */
static char *resolve_base(const ppo_sweep_t *sw, const ppo_ynode_t *node, GError **error)
{
    if (!is_string(node)) {
        char *got = describe(node);
        ppo_mark_error(error, node->mark,
                       "base: expected a pipeline file (or a list of them), got %s", got);
        g_free(got);
        return NULL;
    }
    char *dir = g_path_get_dirname(sw->path);
    char *joined = g_path_is_absolute(node->text) ? g_strdup(node->text)
                                                  : g_build_filename(dir, node->text, NULL);
    char *abs = g_canonicalize_filename(joined, NULL);
    g_free(joined);
    g_free(dir);
    if (!g_file_test(abs, G_FILE_TEST_IS_REGULAR)) {
        ppo_mark_error(
            error, node->mark,
            "base: no pipeline file \"%s\" (looked for %s; a base is relative to the sweep "
            "file)",
            node->text, abs);
        g_free(abs);
        return NULL;
    }
    return abs;
}

/* The part of a cell name a value contributes, before slugging. */
static char *value_label(const ppo_ynode_t *node, bool variant)
{
    if (node->kind == PPO_YNODE_SCALAR)
        return g_strdup(node->text);
    if (variant) {
        /* the values joined: "kl_penalty-0.003" */
        GString *s = g_string_new(NULL);
        for (uint32_t i = 0; i < node->n_items; i++) {
            char *part = value_label(node->values[i], false);
            g_string_append_printf(s, "%s%s", i > 0 ? "-" : "", part);
            g_free(part);
        }
        return g_string_free(s, FALSE);
    }
    const ppo_ynode_t *plugin =
        node->kind == PPO_YNODE_MAPPING ? ppo_ynode_get(node, "plugin") : NULL;
    if (is_string(plugin))
        return ppo_plugin_spec_name(plugin->text);
    return ppo_sweep_flow(node);
}

/* Mappings that share a label (two "gae" sections) get the values in which they differ
 * appended: "gae-lambda0.8", "gae-lambda0.95". */
static void refine_labels(GPtrArray *raw, const ppo_ynode_t *list)
{
    const guint n = raw->len;
    GPtrArray **flat = g_new0(GPtrArray *, n);
    for (guint i = 0; i < n; i++)
        flat[i] = ppo_sweep_flatten(list->values[i]);
    char **fixed = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++) {
        if (list->values[i]->kind != PPO_YNODE_MAPPING)
            continue;
        GString *extra = g_string_new(NULL);
        bool shared = false;
        for (guint f = 0; f < flat[i]->len; f += 2) {
            const char *key = g_ptr_array_index(flat[i], f);
            const char *val = g_ptr_array_index(flat[i], f + 1);
            bool differs = false;
            for (guint j = 0; j < n; j++) {
                if (j == i || strcmp(g_ptr_array_index(raw, i), g_ptr_array_index(raw, j)) != 0)
                    continue;
                shared = true;
                const char *other = NULL;
                for (guint g = 0; g < flat[j]->len; g += 2)
                    if (strcmp(g_ptr_array_index(flat[j], g), key) == 0)
                        other = g_ptr_array_index(flat[j], g + 1);
                differs = differs || other == NULL || strcmp(other, val) != 0;
            }
            if (differs && strcmp(key, "plugin") != 0) {
                const char *last = strrchr(key, '.');
                g_string_append_printf(extra, "-%s%s", last != NULL ? last + 1 : key, val);
            }
        }
        if (shared && extra->len > 0)
            fixed[i] = g_strconcat(g_ptr_array_index(raw, i), extra->str, NULL);
        g_string_free(extra, TRUE);
    }
    for (guint i = 0; i < n; i++) {
        if (fixed[i] != NULL) {
            g_free(raw->pdata[i]);
            raw->pdata[i] = fixed[i];
        }
        g_ptr_array_free(flat[i], TRUE);
    }
    g_free(fixed);
    g_free(flat);
}

/* Slugged labels, unique within the axis: duplicates get -1, -2, ... by position. */
static void finish_labels(ppo_sweep_axis_t *a, GPtrArray *raw)
{
    char **slugs = g_new0(char *, raw->len + 1);
    for (guint i = 0; i < raw->len; i++)
        slugs[i] = ppo_sweep_slug(g_ptr_array_index(raw, i));
    for (guint i = 0; i < raw->len; i++) {
        bool dup = false;
        for (guint j = 0; j < raw->len && !dup; j++)
            dup = j != i && strcmp(slugs[i], slugs[j]) == 0;
        ppo_sweep_value_t *v = g_ptr_array_index(a->values, i);
        v->label = dup ? g_strdup_printf("%s-%u", slugs[i], i + 1) : g_strdup(slugs[i]);
    }
    g_strfreev(slugs);
}

static bool read_base(ppo_sweep_t *sw, const ppo_ynode_t *key, const ppo_ynode_t *node,
                      char **single, GError **error)
{
    if (node == NULL || ppo_ynode_is_null(node))
        return ppo_mark_error(error, key != NULL ? key->mark : (ppo_mark_t){sw->path, 1, 1},
                              "base: missing; name the pipeline the cells start from, e.g. "
                              "base: ../cartpole.yaml");
    if (node->kind != PPO_YNODE_SEQUENCE) {
        *single = resolve_base(sw, node, error);
        return *single != NULL;
    }
    if (node->n_items == 0)
        return ppo_mark_error(error, node->mark,
                              "base: expected a pipeline file or a non-empty list "
                              "of them, got an empty list");
    ppo_sweep_axis_t *a = axis_new("base", key->mark);
    g_ptr_array_add(sw->axes, a);
    sw->base_is_axis = true;
    GPtrArray *raw = g_ptr_array_new_with_free_func(g_free);
    for (uint32_t i = 0; i < node->n_items; i++) {
        char *abs = resolve_base(sw, node->values[i], error);
        if (abs == NULL) {
            g_ptr_array_free(raw, TRUE);
            return false;
        }
        ppo_sweep_value_t *v = value_new();
        v->path = abs;
        g_ptr_array_add(a->values, v);
        char *stem = g_path_get_basename(abs);
        char *dot = strrchr(stem, '.');
        if (dot != NULL && dot != stem)
            *dot = '\0';
        g_ptr_array_add(raw, stem);
    }
    finish_labels(a, raw);
    g_ptr_array_free(raw, TRUE);
    return true;
}

static void note_threads(ppo_sweep_t *sw, const char *key)
{
    if (strcmp(key, "ppo.threads") == 0 || strcmp(key, "ppo") == 0)
        sw->threads_fixed = true;
}

/* A variant axis: its key is not a pipeline key and every value is a mapping of them. */
static bool is_variant_axis(const ppo_ynode_t *k, const ppo_ynode_t *v)
{
    const char *near;
    if (key_known(k->text, &near) || strchr(k->text, '.') != NULL ||
        v->kind != PPO_YNODE_SEQUENCE || v->n_items == 0)
        return false;
    for (uint32_t j = 0; j < v->n_items; j++) {
        const ppo_ynode_t *map = v->values[j];
        if (map->kind != PPO_YNODE_MAPPING || map->n_items == 0)
            return false;
        /* a misspelt section with section values stays an unknown key */
        for (uint32_t i = 0; i < map->n_items; i++)
            if (!key_known(map->keys[i]->text, &near) && strcmp(map->keys[i]->text, "seed") != 0)
                return false;
    }
    return true;
}

static bool read_variants(ppo_sweep_t *sw, const ppo_ynode_t *k, const ppo_ynode_t *v,
                          GError **error)
{
    ppo_sweep_axis_t *a = axis_new(k->text, k->mark);
    a->variants = true;
    g_ptr_array_add(sw->axes, a);
    char *where = g_strdup_printf("grid.%s", k->text);
    GPtrArray *raw = g_ptr_array_new_with_free_func(g_free);
    bool ok = true;
    for (uint32_t j = 0; j < v->n_items && ok; j++) {
        const ppo_ynode_t *map = v->values[j];
        ppo_sweep_value_t *val = value_new();
        g_ptr_array_add(a->values, val);
        for (uint32_t i = 0; i < map->n_items && ok; i++) {
            ok = check_key(map->keys[i], where, error);
            if (ok) {
                value_add(val, map->keys[i]->text, map->values[i]);
                note_threads(sw, map->keys[i]->text);
            }
        }
        g_ptr_array_add(raw, value_label(map, true));
    }
    if (ok)
        finish_labels(a, raw);
    g_ptr_array_free(raw, TRUE);
    g_free(where);
    return ok;
}

static bool read_grid(ppo_sweep_t *sw, const ppo_ynode_t *node, GError **error)
{
    if (node == NULL || ppo_ynode_is_null(node))
        return true;
    if (node->kind != PPO_YNODE_MAPPING) {
        char *got = describe(node);
        ppo_mark_error(error, node->mark,
                       "grid: expected a mapping of dotted keys to lists of values, "
                       "got %s",
                       got);
        g_free(got);
        return false;
    }
    for (uint32_t i = 0; i < node->n_items; i++) {
        const ppo_ynode_t *k = node->keys[i];
        const ppo_ynode_t *v = node->values[i];
        if (strcmp(k->text, "base") == 0)
            return ppo_mark_error(error, k->mark,
                                  "grid.base: list the pipelines in the top-level base: "
                                  "instead (a list there is a grid axis)");
        if (is_variant_axis(k, v)) {
            if (!read_variants(sw, k, v, error))
                return false;
            continue;
        }
        if (!check_key(k, "grid", error))
            return false;
        if (v->kind != PPO_YNODE_SEQUENCE || v->n_items == 0) {
            char *got = v->kind == PPO_YNODE_SEQUENCE ? g_strdup("an empty list") : describe(v);
            ppo_mark_error(error, v->mark,
                           "grid.%s: expected a non-empty list of values, got %s; a single value "
                           "belongs under set:",
                           k->text, got);
            g_free(got);
            return false;
        }
        ppo_sweep_axis_t *a = axis_new(k->text, k->mark);
        g_ptr_array_add(sw->axes, a);
        GPtrArray *raw = g_ptr_array_new_with_free_func(g_free);
        for (uint32_t j = 0; j < v->n_items; j++) {
            ppo_sweep_value_t *val = value_new();
            value_add(val, k->text, v->values[j]);
            g_ptr_array_add(a->values, val);
            g_ptr_array_add(raw, value_label(v->values[j], false));
        }
        refine_labels(raw, v);
        finish_labels(a, raw);
        g_ptr_array_free(raw, TRUE);
        note_threads(sw, k->text);
    }
    return true;
}

/* The grid axis (and its position) that already sets `key`, or NULL. */
static const ppo_sweep_axis_t *axis_setting(const ppo_sweep_t *sw, const char *key)
{
    char *prefix = g_strdup_printf("%s=", key);
    const ppo_sweep_axis_t *found = NULL;
    for (guint a = 0; a < sw->axes->len && found == NULL; a++) {
        const ppo_sweep_axis_t *ax = g_ptr_array_index(sw->axes, a);
        for (guint v = 0; v < ax->values->len && found == NULL; v++) {
            const ppo_sweep_value_t *val = g_ptr_array_index(ax->values, v);
            for (guint o = 0; o < val->overrides->len && found == NULL; o++)
                if (g_str_has_prefix(g_ptr_array_index(val->overrides, o), prefix))
                    found = ax;
        }
    }
    g_free(prefix);
    return found;
}

static bool read_set(ppo_sweep_t *sw, const ppo_ynode_t *node, ppo_sweep_value_t *set,
                     GError **error)
{
    if (node == NULL || ppo_ynode_is_null(node))
        return true;
    if (node->kind != PPO_YNODE_MAPPING) {
        char *got = describe(node);
        ppo_mark_error(error, node->mark,
                       "set: expected a mapping of dotted keys to values, got %s", got);
        g_free(got);
        return false;
    }
    for (uint32_t i = 0; i < node->n_items; i++) {
        const ppo_ynode_t *k = node->keys[i];
        if (!check_key(k, "set", error))
            return false;
        const ppo_sweep_axis_t *ax = axis_setting(sw, k->text);
        if (ax != NULL) {
            char *at = ppo_mark_format(ax->key_mark);
            ppo_mark_error(error, k->mark,
                           "set.%s: the grid axis %s (%s) sets it too; keep it in one of grid: and "
                           "set:",
                           k->text, ax->key, at);
            g_free(at);
            return false;
        }
        value_add(set, k->text, node->values[i]);
        note_threads(sw, k->text);
    }
    return true;
}

static bool read_seeds(ppo_sweep_t *sw, const ppo_ynode_t *key, const ppo_ynode_t *node,
                       GError **error)
{
    if (node == NULL || ppo_ynode_is_null(node))
        return ppo_mark_error(error, key != NULL ? key->mark : (ppo_mark_t){sw->path, 1, 1},
                              "seeds: missing; list the seeds every cell runs with, e.g. "
                              "seeds: [1, 2, 3]");
    sw->seeds_mark = node->mark;
    if (node->kind != PPO_YNODE_SEQUENCE || node->n_items == 0) {
        char *got = node->kind == PPO_YNODE_SEQUENCE ? g_strdup("an empty list") : describe(node);
        ppo_mark_error(error, node->mark,
                       "seeds: expected a non-empty list of seeds such as [1, 2, 3], "
                       "got %s",
                       got);
        g_free(got);
        return false;
    }
    for (uint32_t i = 0; i < node->n_items; i++) {
        const ppo_ynode_t *s = node->values[i];
        guint64 seed = 0;
        if (s->kind != PPO_YNODE_SCALAR || !s->plain ||
            !g_ascii_string_to_unsigned(s->text, 10, 0, (guint64)9.0e18, &seed, NULL)) {
            char *got = describe(s);
            ppo_mark_error(error, s->mark, "seeds: expected an integer in [0, 9e18], got %s", got);
            g_free(got);
            return false;
        }
        for (guint j = 0; j < sw->seeds->len; j++)
            if (g_array_index(sw->seeds, uint64_t, j) == seed)
                return ppo_mark_error(
                    error, s->mark, "seeds: %" G_GUINT64_FORMAT " is listed twice; each seed once",
                    (uint64_t)seed);
        const uint64_t v = seed;
        g_array_append_val(sw->seeds, v);
    }
    return true;
}

/* the label a base has in cell names and in a threshold mapping */
static char *base_label(const char *path)
{
    char *stem = g_path_get_basename(path);
    char *dot = strrchr(stem, '.');
    if (dot != NULL && dot != stem)
        *dot = '\0';
    char *slug = ppo_sweep_slug(stem);
    g_free(stem);
    return slug;
}

static bool threshold_value(const ppo_ynode_t *node, const char *where, double *out, GError **error)
{
    char *end = NULL;
    const double v =
        node->kind == PPO_YNODE_SCALAR && node->plain ? g_ascii_strtod(node->text, &end) : NAN;
    if (end == NULL || end == node->text || *end != '\0' || !isfinite(v)) {
        char *got = describe(node);
        ppo_mark_error(error, node->mark,
                       "%s: expected a finite number (a return), or one per base like "
                       "{ cartpole: 475, acrobot: -85 }, got %s",
                       where, got);
        g_free(got);
        return false;
    }
    *out = v;
    return true;
}

/* threshold: a number for every cell, or a mapping from base names to numbers; fills
 * `per_base` (base label -> double *) */
static bool read_threshold(ppo_sweep_t *sw, const ppo_ynode_t *node, const char *single_base,
                           GHashTable *per_base, double *all, GError **error)
{
    *all = NAN;
    if (node == NULL || ppo_ynode_is_null(node))
        return true;
    if (node->kind != PPO_YNODE_MAPPING)
        return threshold_value(node, "threshold", all, error);
    /* the base labels the mapping may name */
    GPtrArray *labels = g_ptr_array_new_with_free_func(g_free);
    if (sw->base_is_axis) {
        const ppo_sweep_axis_t *ax = g_ptr_array_index(sw->axes, 0);
        for (guint v = 0; v < ax->values->len; v++)
            g_ptr_array_add(
                labels, g_strdup(((ppo_sweep_value_t *)g_ptr_array_index(ax->values, v))->label));
    } else {
        g_ptr_array_add(labels, base_label(single_base));
    }
    g_ptr_array_add(labels, NULL);
    bool ok = true;
    for (uint32_t i = 0; i < node->n_items && ok; i++) {
        const ppo_ynode_t *k = node->keys[i];
        if (!g_strv_contains((const char *const *)labels->pdata, k->text)) {
            char *names = g_strjoinv(", ", (char **)labels->pdata);
            const char *near = ppo_nearest_word(k->text, (const char *const *)labels->pdata);
            ok = ppo_mark_error(error, k->mark,
                                "threshold: \"%s\" is not a base of this sweep (%s)%s%s%s", k->text,
                                names, near != NULL ? "; did you mean \"" : "",
                                near != NULL ? near : "", near != NULL ? "\"?" : "");
            g_free(names);
            break;
        }
        char *where = g_strdup_printf("threshold.%s", k->text);
        double v;
        ok = threshold_value(node->values[i], where, &v, error);
        g_free(where);
        if (ok) {
            double *copy = g_new(double, 1);
            *copy = v;
            g_hash_table_replace(per_base, g_strdup(k->text), copy);
        }
    }
    g_ptr_array_free(labels, TRUE);
    return ok;
}

static void add_overrides(ppo_sweep_cell_t *cell, const ppo_sweep_value_t *v)
{
    for (guint o = 0; o < v->overrides->len; o++) {
        g_ptr_array_add(cell->overrides, g_strdup(g_ptr_array_index(v->overrides, o)));
        g_array_append_val(cell->override_marks, g_array_index(v->marks, ppo_mark_t, o));
    }
}

/* The cells: the cartesian product of the axes, first axis slowest. */
static void make_cells(ppo_sweep_t *sw, const char *single_base, const ppo_sweep_value_t *set,
                       GHashTable *per_base, double all)
{
    const guint n_axes = sw->axes->len;
    guint n_cells = 1;
    for (guint a = 0; a < n_axes; a++)
        n_cells *= ((ppo_sweep_axis_t *)g_ptr_array_index(sw->axes, a))->values->len;
    guint *idx = g_new0(guint, MAX(n_axes, 1));
    for (guint c = 0; c < n_cells; c++) {
        ppo_sweep_cell_t *cell = g_new0(ppo_sweep_cell_t, 1);
        cell->choice = g_new0(guint, MAX(n_axes, 1));
        memcpy(cell->choice, idx, sizeof(guint) * n_axes);
        cell->overrides = g_ptr_array_new_with_free_func(g_free);
        cell->override_marks = g_array_new(FALSE, FALSE, sizeof(ppo_mark_t));
        cell->base = g_strdup(single_base);
        GString *name = g_string_new(NULL);
        for (guint a = 0; a < n_axes; a++) {
            const ppo_sweep_axis_t *ax = g_ptr_array_index(sw->axes, a);
            const ppo_sweep_value_t *v = g_ptr_array_index(ax->values, idx[a]);
            char *key = ppo_sweep_slug(ax->key);
            g_string_append_printf(name, "%s%s=%s", name->len > 0 ? "," : "", key, v->label);
            g_free(key);
            if (v->path != NULL) {
                g_free(cell->base);
                cell->base = g_strdup(v->path);
            }
            add_overrides(cell, v);
        }
        add_overrides(cell, set);
        if (name->len == 0) {
            /* no axes: the cell is the base pipeline */
            char *label = base_label(cell->base);
            g_string_append(name, label);
            g_free(label);
        }
        if (name->len > CELL_NAME_MAX) {
            g_string_truncate(name, CELL_NAME_MAX - 12);
            g_string_append_printf(name, "-c%u", c + 1);
        }
        cell->name = g_string_free(name, FALSE);
        char *label = base_label(cell->base);
        const double *t = g_hash_table_lookup(per_base, label);
        cell->threshold = t != NULL ? *t : all;
        g_free(label);
        g_ptr_array_add(sw->cells, cell);
        /* next index, last axis fastest */
        for (guint a = n_axes; a-- > 0;) {
            const ppo_sweep_axis_t *ax = g_ptr_array_index(sw->axes, a);
            if (++idx[a] < ax->values->len)
                break;
            idx[a] = 0;
        }
    }
    g_free(idx);
}

ppo_sweep_t *ppo_sweep_load(const char *path, GError **error)
{
    gchar *text = NULL;
    gsize len = 0;
    /* a regular file of a pipeline's size: never a FIFO that blocks */
    if (!ppo_file_read(AT_FDCWD, path, path, "sweep", 0, PPO_YAML_MAX_BYTES, PPO_ERROR_PIPELINE,
                       &text, &len, error))
        return NULL;
    ppo_ydoc_t *doc = ppo_ydoc_load_file(path, error);
    if (doc == NULL) {
        g_free(text);
        return NULL;
    }
    ppo_sweep_t *sw = g_new0(ppo_sweep_t, 1);
    sw->path = g_strdup(path);
    sw->text = text;
    sw->doc = doc;
    sw->axes = g_ptr_array_new_with_free_func(axis_free);
    sw->cells = g_ptr_array_new_with_free_func(cell_free);
    sw->seeds = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    ppo_sweep_value_t *set = value_new();
    GHashTable *per_base = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    double threshold = NAN;
    char *single_base = NULL;
    bool ok = false;

    const ppo_ynode_t *root = ppo_ydoc_root(doc);
    const ppo_mark_t file_mark = {ppo_ydoc_source(doc), 1, 1};
    if (root == NULL || root->kind != PPO_YNODE_MAPPING) {
        char *got = describe(root);
        ppo_mark_error(error, root != NULL ? root->mark : file_mark,
                       "expected a sweep (a mapping with base, grid, set, seeds), got %s", got);
        g_free(got);
        goto out;
    }
    for (uint32_t i = 0; i < root->n_items; i++) {
        const char *k = root->keys[i]->text;
        if (!g_strv_contains(sweep_keys, k)) {
            const char *near = ppo_nearest_word(k, sweep_keys);
            if (near != NULL)
                ppo_mark_error(error, root->keys[i]->mark,
                               "unknown key \"%s\" in the sweep; did you "
                               "mean \"%s\"?",
                               k, near);
            else
                ppo_mark_error(
                    error, root->keys[i]->mark,
                    "unknown key \"%s\" in the sweep; the keys are name, base, grid, set, "
                    "seeds and threshold",
                    k);
            goto out;
        }
    }
    const ppo_ynode_t *name = ppo_ynode_get(root, "name");
    if (name != NULL && !ppo_ynode_is_null(name)) {
        if (!is_string(name)) {
            char *got = describe(name);
            ppo_mark_error(error, name->mark, "name: expected a string, got %s", got);
            g_free(got);
            goto out;
        }
        sw->name = g_strdup(name->text);
    } else {
        char *stem = g_path_get_basename(path);
        char *dot = strrchr(stem, '.');
        if (dot != NULL && dot != stem)
            *dot = '\0';
        sw->name = stem;
    }
    if (!read_base(sw, ppo_ynode_get_key(root, "base"), ppo_ynode_get(root, "base"), &single_base,
                   error) ||
        !read_grid(sw, ppo_ynode_get(root, "grid"), error) ||
        !read_set(sw, ppo_ynode_get(root, "set"), set, error) ||
        !read_seeds(sw, ppo_ynode_get_key(root, "seeds"), ppo_ynode_get(root, "seeds"), error) ||
        !read_threshold(sw, ppo_ynode_get(root, "threshold"), single_base, per_base, &threshold,
                        error))
        goto out;
    make_cells(sw, single_base, set, per_base, threshold);
    ok = true;
out:
    g_free(single_base);
    value_free(set);
    g_hash_table_unref(per_base);
    if (!ok) {
        ppo_sweep_free(sw);
        return NULL;
    }
    return sw;
}

/* ---- cells ---- */

char *ppo_sweep_run_name(const ppo_sweep_cell_t *cell, uint64_t seed)
{
    return g_strdup_printf("%s-s%" G_GUINT64_FORMAT, cell->name, seed);
}

static void replace_all(GString *s, const char *needle, const char *with)
{
    const size_t nl = strlen(needle);
    size_t from = 0;
    char *hit;
    while ((hit = strstr(s->str + from, needle)) != NULL) {
        const size_t at = (size_t)(hit - s->str);
        g_string_erase(s, (gssize)at, (gssize)nl);
        g_string_insert(s, (gssize)at, with);
        from = at + strlen(with);
    }
}

/* A cell's error, pointing at the sweep file where an override's value came from. */
static GError *cell_error(const ppo_sweep_t *sw, const ppo_sweep_cell_t *cell, const char *seed,
                          const GError *e)
{
    GString *msg = g_string_new(e->message);
    for (guint i = 0; i < cell->overrides->len; i++) {
        char *needle =
            g_strdup_printf("--set %s", (const char *)g_ptr_array_index(cell->overrides, i));
        char *at = ppo_mark_format(g_array_index(cell->override_marks, ppo_mark_t, i));
        replace_all(msg, needle, at);
        g_free(at);
        g_free(needle);
    }
    char *seed_needle = g_strdup_printf("--set %s", seed);
    char *seed_at = ppo_mark_format(sw->seeds_mark);
    replace_all(msg, seed_needle, seed_at);
    g_free(seed_at);
    g_free(seed_needle);
    g_string_append_printf(msg, " (sweep cell \"%s\")", cell->name);
    GError *out = g_error_new_literal(e->domain, e->code, msg->str);
    g_string_free(msg, TRUE);
    return out;
}

/* Build one cell's pipeline and open its session. */
static bool validate_cell(const ppo_sweep_t *sw, ppo_sweep_cell_t *cell, const ppo_search_t *search,
                          GError **error)
{
    char *seed = g_strdup_printf("seed=%" G_GUINT64_FORMAT, g_array_index(sw->seeds, uint64_t, 0));
    GPtrArray *ov = g_ptr_array_new();
    for (guint i = 0; i < cell->overrides->len; i++)
        g_ptr_array_add(ov, g_ptr_array_index(cell->overrides, i));
    g_ptr_array_add(ov, seed);
    g_ptr_array_add(ov, NULL);
    GError *local = NULL;
    bool ok = false;
    ppo_pipeline_t *pl = ppo_pipeline_load(cell->base, (const char *const *)ov->pdata, &local);
    if (pl != NULL) {
        ppo_session_t *s = ppo_session_open(pl, search, &local);
        if (s != NULL) {
            cell->total_steps = pl->ppo.total_steps;
            cell->threads = pl->ppo.threads;
            ok = true;
        }
        ppo_session_free(s);
        ppo_pipeline_free(pl);
    }
    if (!ok) {
        g_propagate_error(error, cell_error(sw, cell, seed, local));
        g_error_free(local);
    }
    g_ptr_array_free(ov, TRUE);
    g_free(seed);
    return ok;
}

bool ppo_sweep_validate(ppo_sweep_t *sw, const ppo_search_t *search, GError **error)
{
    GError *first = NULL;
    guint n_bad = 0;
    for (guint c = 0; c < sw->cells->len; c++) {
        GError *local = NULL;
        if (!validate_cell(sw, g_ptr_array_index(sw->cells, c), search, &local)) {
            if (first == NULL)
                first = local;
            else
                g_error_free(local);
            n_bad++;
        }
    }
    if (first == NULL)
        return true;
    if (n_bad > 1) {
        GError *all = g_error_new(first->domain, first->code,
                                  "%s; %u more of the %u cells fail too (fix this one first)",
                                  first->message, n_bad - 1, sw->cells->len);
        g_error_free(first);
        first = all;
    }
    g_propagate_error(error, first);
    return false;
}

/* a shell word: quoted only when it needs to be */
static void shell_word(GString *out, const char *w)
{
    if (*w != '\0' && strpbrk(w, " \t\n'\"\\$`!*?[]{}()<>|&;#~") == NULL) {
        g_string_append(out, w);
        return;
    }
    char *q = g_shell_quote(w);
    g_string_append(out, q);
    g_free(q);
}

void ppo_csv_field(GString *out, const char *s)
{
    if (s == NULL)
        return;
    if (strpbrk(s, ",\"\n\r") == NULL) {
        g_string_append(out, s);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

char *ppo_sweep_cells_csv(const ppo_sweep_t *sw)
{
    GString *out = g_string_new("cell,base,overrides\n");
    for (guint c = 0; c < sw->cells->len; c++) {
        const ppo_sweep_cell_t *cell = g_ptr_array_index(sw->cells, c);
        ppo_csv_field(out, cell->name);
        g_string_append_c(out, ',');
        ppo_csv_field(out, cell->base);
        g_string_append_c(out, ',');
        GString *sets = g_string_new(NULL);
        for (guint i = 0; i < cell->overrides->len; i++) {
            if (i > 0)
                g_string_append_c(sets, ' ');
            g_string_append(sets, "--set ");
            shell_word(sets, g_ptr_array_index(cell->overrides, i));
        }
        ppo_csv_field(out, sets->str);
        g_string_free(sets, TRUE);
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}
