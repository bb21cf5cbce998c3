/* ppofw core — typed parameter blocks validated against a schema.
 *
 * Turns a YAML mapping into typed values with their positions, following a ppo_param_spec_t
 * table, and answers the plugin-facing accessors of <ppofw/params.h>. Defaults are YAML flow
 * text in the spec and go through the same validation as user input, so a plugin with a bad
 * default is caught when it loads (ppo_schema_check), not when a user happens to omit the key.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ppo_params_private.h"

typedef struct {
    bool is_null;
    int64_t i;
    double d;
    bool b;
    char *s;
    int64_t *ilist;
    double *dlist;
    size_t n;          /* list length */
    ppo_mark_t mark;   /* position of the value (source "default" when defaulted) */
    char *where;       /* formatted mark */
    bool given;        /* written in the pipeline (not a default) */
} value_t;

struct ppo_params {
    char *section;          /* "advantage.params" */
    uint32_t n;
    ppo_param_spec_t *specs; /* (n) own copies */
    value_t *values;         /* (n) */
};

/* ---- number formatting and parsing ---- */

/* Shortest text that reads back as the same double: plain decimals for ordinary magnitudes
 * (10.0, 0.0003), an exponent only for very large or small ones (1e-08). */
static void format_double(char buf[40], double x)
{
    const double ax = fabs(x);
    if (x == 0.0 || (ax >= 1e-4 && ax < 1e15)) {
        for (int dec = 0; dec <= 20; dec++) {
            g_snprintf(buf, 40, "%.*f", dec, x);
            if (g_ascii_strtod(buf, NULL) == x)
                break;
        }
    } else {
        for (int prec = 1; prec <= 17; prec++) {
            g_snprintf(buf, 40, "%.*e", prec - 1, x);
            if (g_ascii_strtod(buf, NULL) == x)
                break;
        }
    }
    /* keep a decimal point or exponent so the text reads as a number, not an integer */
    if (strpbrk(buf, ".eEn") == NULL)
        g_strlcat(buf, ".0", 40);
}

static bool parse_bool(const char *t, bool *out)
{
    if (strcmp(t, "true") == 0 || strcmp(t, "True") == 0 || strcmp(t, "TRUE") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(t, "false") == 0 || strcmp(t, "False") == 0 || strcmp(t, "FALSE") == 0) {
        *out = false;
        return true;
    }
    return false;
}

/* A finite double written as a YAML number. Sets *overflow for 1e400 and the like. */
static bool parse_double(const char *t, double *out, bool *overflow)
{
    *overflow = false;
    if (*t == '\0')
        return false;
    /* YAML's .inf/.nan and C's inf/nan are not accepted: values must be finite */
    const char *p = t;
    if (*p == '+' || *p == '-')
        p++;
    if (!g_ascii_isdigit(*p) && !(*p == '.' && g_ascii_isdigit(p[1])))
        return false;
    char *end = NULL;
    errno = 0;
    double v = g_ascii_strtod(t, &end);
    if (end == t || *end != '\0')
        return false;
    if (!isfinite(v)) {
        *overflow = true;
        return false;
    }
    *out = v;
    return true;
}

/* An integer, also written as 1e6 or 100000.0 when the value is exactly integral. */
static bool parse_int(const char *t, int64_t *out, bool *overflow)
{
    *overflow = false;
    const char *p = t;
    if (*p == '+' || *p == '-')
        p++;
    if (!g_ascii_isdigit(*p))
        return false;
    char *end = NULL;
    errno = 0;
    long long v = g_ascii_strtoll(t, &end, 10);
    if (end != t && *end == '\0') {
        if (errno == ERANGE) {
            *overflow = true;
            return false;
        }
        *out = v;
        return true;
    }
    double d;
    if (!parse_double(t, &d, overflow))
        return false;
    if (d != floor(d))
        return false;
    if (d < -9.2e18 || d > 9.2e18) {
        *overflow = true;
        return false;
    }
    *out = (int64_t)d;
    return true;
}

/* ---- descriptions ---- */

static void append_bound(GString *s, double v, bool is_int)
{
    char buf[40];
    if (is_int)
        g_string_append_printf(s, "%.0f", v);
    else {
        format_double(buf, v);
        /* show 1.0 as 1 in messages */
        size_t len = strlen(buf);
        if (len > 2 && strcmp(buf + len - 2, ".0") == 0)
            buf[len - 2] = '\0';
        g_string_append(s, buf);
    }
}

static void append_range(GString *s, const ppo_param_spec_t *spec, bool is_int)
{
    const bool lo = spec->flags & PPO_PARAM_HAS_MIN, hi = spec->flags & PPO_PARAM_HAS_MAX;
    const bool lo_x = spec->flags & PPO_PARAM_MIN_EXCLUSIVE;
    const bool hi_x = spec->flags & PPO_PARAM_MAX_EXCLUSIVE;
    if (lo && hi) {
        g_string_append_printf(s, " in %c", lo_x ? '(' : '[');
        append_bound(s, spec->min, is_int);
        g_string_append(s, ", ");
        append_bound(s, spec->max, is_int);
        g_string_append_c(s, hi_x ? ')' : ']');
    } else if (lo) {
        g_string_append(s, lo_x ? " > " : " >= ");
        append_bound(s, spec->min, is_int);
    } else if (hi) {
        g_string_append(s, hi_x ? " < " : " <= ");
        append_bound(s, spec->max, is_int);
    }
}

char *ppo_spec_describe(const ppo_param_spec_t *spec)
{
    GString *s = g_string_new(NULL);
    switch (spec->type) {
    case PPO_PARAM_INT:
        g_string_append(s, "an integer");
        append_range(s, spec, true);
        break;
    case PPO_PARAM_DOUBLE:
        g_string_append(s, "a number");
        append_range(s, spec, false);
        break;
    case PPO_PARAM_BOOL:
        g_string_append(s, "true or false");
        break;
    case PPO_PARAM_STRING:
        g_string_append(s, "a string");
        break;
    case PPO_PARAM_ENUM:
        g_string_append(s, "one of ");
        for (const char *const *c = spec->choices; c != NULL && *c != NULL; c++)
            g_string_append_printf(s, "%s%s", c == spec->choices ? "" : ", ", *c);
        break;
    case PPO_PARAM_INT_LIST:
        g_string_append(s, spec->flags & PPO_PARAM_NONEMPTY ? "a non-empty list of integers"
                                                            : "a list of integers");
        append_range(s, spec, true);
        break;
    case PPO_PARAM_DOUBLE_LIST:
        g_string_append(s, spec->flags & PPO_PARAM_NONEMPTY ? "a non-empty list of numbers"
                                                            : "a list of numbers");
        append_range(s, spec, false);
        break;
    default:
        g_string_append(s, "(an unknown type)");
    }
    if (spec->flags & PPO_PARAM_NULLABLE)
        g_string_append(s, ", or null");
    return g_string_free(s, FALSE);
}

static bool in_range(const ppo_param_spec_t *spec, double v)
{
    if (spec->flags & PPO_PARAM_HAS_MIN) {
        if (spec->flags & PPO_PARAM_MIN_EXCLUSIVE ? !(v > spec->min) : !(v >= spec->min))
            return false;
    }
    if (spec->flags & PPO_PARAM_HAS_MAX) {
        if (spec->flags & PPO_PARAM_MAX_EXCLUSIVE ? !(v < spec->max) : !(v <= spec->max))
            return false;
    }
    return true;
}

/* An integer against the bounds exactly: a double bound like 9e18 rounds the neighbouring
 * integers to itself, so 9000000000000000001 must be compared as an integer. */
static bool int_in_range(const ppo_param_spec_t *spec, int64_t v)
{
    /* bounds beyond int64 do not limit an int64 */
    if ((spec->flags & PPO_PARAM_HAS_MIN) && spec->min > -9.2e18) {
        const int64_t lo = (int64_t)ceil(spec->min);
        if (v < lo || ((spec->flags & PPO_PARAM_MIN_EXCLUSIVE) && v == lo && lo == spec->min))
            return false;
    }
    if ((spec->flags & PPO_PARAM_HAS_MAX) && spec->max < 9.2e18) {
        const int64_t hi = (int64_t)floor(spec->max);
        if (v > hi || ((spec->flags & PPO_PARAM_MAX_EXCLUSIVE) && v == hi && hi == spec->max))
            return false;
    }
    return true;
}

/* ---- nearest spelling ---- */

/* Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring letters each cost 1. */
static size_t edit_distance(const char *a, const char *b)
{
    const size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = MIN(MIN(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                v = MIN(v, d[i - 2][j - 2] + 1);
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *ppo_nearest_word(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    bool best_prefix = false;
    for (const char *const *c = candidates; c != NULL && *c != NULL; c++) {
        size_t d = edit_distance(word, *c);
        /* a word the user typed the start of is the likeliest meaning, and wins ties */
        const bool prefix = *word != '\0' && g_str_has_prefix(*c, word);
        if (d > 0 && (prefix || g_str_has_prefix(word, *c)))
            d = MIN(d, 2);
        if (d < best_d || (d == best_d && prefix && !best_prefix)) {
            best_d = d;
            best = *c;
            best_prefix = prefix;
        }
    }
    const size_t len = strlen(word);
    const size_t allowed = len <= 3 ? 1 : len <= 8 ? 2 : 3;
    return best_d <= allowed ? best : NULL;
}

/* ---- values ---- */

static void value_clear(value_t *v)
{
    g_free(v->s);
    g_free(v->ilist);
    g_free(v->dlist);
    g_free(v->where);
    memset(v, 0, sizeof(*v));
}

static void value_error(GError **error, const ppo_ynode_t *node, const ppo_mark_t *fallback,
                        const char *key_path, const ppo_param_spec_t *spec, const char *detail)
{
    char *where = ppo_mark_format(node != NULL ? node->mark : *fallback);
    char *expected = ppo_spec_describe(spec);
    char *got = ppo_ynode_describe(node);
    g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE, "%s: %s: expected %s, got %s%s", where,
                key_path, expected, got, detail != NULL ? detail : "");
    g_free(got);
    g_free(expected);
    g_free(where);
}

/* Parse one scalar element of a number list or a number; `path` names it in messages. */
static bool parse_number(const ppo_param_spec_t *spec, const ppo_ynode_t *node, bool is_int,
                         const char *path, const ppo_mark_t *fallback, int64_t *i_out,
                         double *d_out, GError **error)
{
    if (node->kind != PPO_YNODE_SCALAR || !node->plain || strlen(node->text) != node->text_len) {
        value_error(error, node, fallback, path, spec,
                    node->kind == PPO_YNODE_SCALAR && !node->plain
                        ? " (a quoted string; write the number without quotes)"
                        : NULL);
        return false;
    }
    bool overflow = false;
    double v;
    if (is_int) {
        int64_t iv;
        if (!parse_int(node->text, &iv, &overflow)) {
            value_error(error, node, fallback, path, spec,
                        overflow ? " (too large to represent)" : NULL);
            return false;
        }
        *i_out = iv;
        v = (double)iv;
    } else {
        if (!parse_double(node->text, &v, &overflow)) {
            value_error(error, node, fallback, path, spec,
                        overflow ? " (too large to represent)" : NULL);
            return false;
        }
        *d_out = v;
    }
    if (!in_range(spec, v) || (is_int && !int_in_range(spec, *i_out))) {
        value_error(error, node, fallback, path, spec, " (out of range)");
        return false;
    }
    return true;
}

/* Validate node against spec into *out. `fallback` is used when node is NULL (missing). */
static bool value_parse(const ppo_param_spec_t *spec, const ppo_ynode_t *node,
                        const char *key_path, const ppo_mark_t *fallback, value_t *out,
                        GError **error)
{
    memset(out, 0, sizeof(*out));
    if (ppo_ynode_is_null(node)) {
        if (!(spec->flags & PPO_PARAM_NULLABLE)) {
            value_error(error, node, fallback, key_path, spec, NULL);
            return false;
        }
        out->is_null = true;
        return true;
    }
    const bool is_list = spec->type == PPO_PARAM_INT_LIST || spec->type == PPO_PARAM_DOUBLE_LIST;
    if (is_list) {
        if (node->kind != PPO_YNODE_SEQUENCE) {
            value_error(error, node, fallback, key_path, spec,
                        node->kind == PPO_YNODE_SCALAR ? " (write a list like [64, 64])" : NULL);
            return false;
        }
        if (node->n_items == 0 && (spec->flags & PPO_PARAM_NONEMPTY)) {
            char *at = ppo_mark_format(node->mark);
            char *expected = ppo_spec_describe(spec);
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                        "%s: %s: expected %s, got an empty list", at, key_path, expected);
            g_free(expected);
            g_free(at);
            return false;
        }
        const bool is_int = spec->type == PPO_PARAM_INT_LIST;
        out->n = node->n_items;
        if (is_int)
            out->ilist = g_new0(int64_t, MAX(out->n, 1));
        else
            out->dlist = g_new0(double, MAX(out->n, 1));
        /* an element is reported against the element's own type and range */
        ppo_param_spec_t elem = *spec;
        elem.type = is_int ? PPO_PARAM_INT : PPO_PARAM_DOUBLE;
        elem.flags &= ~(uint32_t)(PPO_PARAM_NULLABLE | PPO_PARAM_NONEMPTY);
        for (uint32_t k = 0; k < node->n_items; k++) {
            char *elem_path = g_strdup_printf("%s[%u]", key_path, k);
            bool ok = parse_number(&elem, node->values[k], is_int, elem_path, fallback,
                                   is_int ? &out->ilist[k] : NULL,
                                   is_int ? NULL : &out->dlist[k], error);
            g_free(elem_path);
            if (!ok) {
                value_clear(out);
                return false;
            }
        }
        return true;
    }
    if (node->kind != PPO_YNODE_SCALAR) {
        value_error(error, node, fallback, key_path, spec, NULL);
        return false;
    }
    switch (spec->type) {
    case PPO_PARAM_INT:
        return parse_number(spec, node, true, key_path, fallback, &out->i, NULL, error);
    case PPO_PARAM_DOUBLE:
        return parse_number(spec, node, false, key_path, fallback, NULL, &out->d, error);
    case PPO_PARAM_BOOL:
        if (!node->plain || !parse_bool(node->text, &out->b)) {
            value_error(error, node, fallback, key_path, spec, NULL);
            return false;
        }
        return true;
    case PPO_PARAM_STRING:
        if (strlen(node->text) != node->text_len) {
            value_error(error, node, fallback, key_path, spec, " (contains a NUL byte)");
            return false;
        }
        out->s = g_strdup(node->text);
        return true;
    case PPO_PARAM_ENUM:
        for (const char *const *c = spec->choices; c != NULL && *c != NULL; c++) {
            if (strcmp(*c, node->text) == 0) {
                out->s = g_strdup(node->text);
                return true;
            }
        }
        {
            const char *near = ppo_nearest_word(node->text, (const char *const *)spec->choices);
            char *hint = near != NULL ? g_strdup_printf("; did you mean \"%s\"?", near) : NULL;
            value_error(error, node, fallback, key_path, spec, hint);
            g_free(hint);
        }
        return false;
    default:
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "%s: unknown parameter type %d",
                    key_path, (int)spec->type);
        return false;
    }
}

/* Parse a spec's default text through the YAML and value parsers. key_path names the parameter
 * in messages ("FILE: parameter "rate"" for a plugin being checked). */
static bool value_default(const ppo_param_spec_t *spec, const char *key_path, value_t *out,
                          GError **error)
{
    GError *local = NULL;
    ppo_ydoc_t *doc = ppo_ydoc_parse("default", spec->default_value,
                                     strlen(spec->default_value), &local);
    if (doc == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: the default \"%s\" is not YAML (%s); fix the default in the plugin's "
                    "schema",
                    key_path, spec->default_value, local->message);
        g_error_free(local);
        return false;
    }
    const ppo_mark_t none = {"default", 0, 0};
    bool ok = value_parse(spec, ppo_ydoc_root(doc), key_path, &none, out, NULL);
    ppo_ydoc_free(doc);
    if (!ok) {
        char *expected = ppo_spec_describe(spec);
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: the declared default \"%s\" is invalid: expected %s; fix the default "
                    "in the plugin's schema",
                    key_path, spec->default_value, expected);
        g_free(expected);
        return false;
    }
    out->mark = none;
    out->where = g_strdup("default");
    return true;
}

/* ---- schema ---- */

static bool name_ok(const char *name)
{
    if (name == NULL || !g_ascii_islower(name[0]))
        return false;
    for (const char *p = name; *p != '\0'; p++)
        if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '_'))
            return false;
    return strlen(name) <= 64;
}

bool ppo_schema_check(const ppo_param_spec_t *specs, uint32_t n, const char *owner,
                      ppo_param_spec_t **normalized, GError **error)
{
    *normalized = NULL;
    if (n == 0)
        return true;
    if (specs == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: declares %u parameters but no parameter table", owner, n);
        return false;
    }
    const uint32_t stride = specs[0].struct_size;
    const size_t min_size = offsetof(ppo_param_spec_t, doc) + sizeof(const char *);
    if (stride < min_size || stride > 4096) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: parameter spec struct_size %u is not valid (expected at least %zu; "
                    "set .struct_size = sizeof(ppo_param_spec_t))",
                    owner, stride, min_size);
        return false;
    }
    ppo_param_spec_t *out = g_new0(ppo_param_spec_t, n);
    for (uint32_t i = 0; i < n; i++) {
        const ppo_param_spec_t *src =
            (const ppo_param_spec_t *)(const void *)((const char *)specs + (size_t)i * stride);
        memcpy(&out[i], src, MIN((size_t)stride, sizeof(ppo_param_spec_t)));
        out[i].struct_size = sizeof(ppo_param_spec_t);
    }
    for (uint32_t i = 0; i < n; i++) {
        const ppo_param_spec_t *s = &out[i];
        const char *problem = NULL;
        if (!name_ok(s->name))
            problem = "the name must match [a-z][a-z0-9_]* (at most 64 characters)";
        else if (s->type < PPO_PARAM_INT || s->type > PPO_PARAM_DOUBLE_LIST)
            problem = "the type is not a ppo_param_type_t";
        else if (s->type == PPO_PARAM_ENUM && (s->choices == NULL || s->choices[0] == NULL))
            problem = "an enum needs a NULL-terminated choices list";
        else if ((s->flags & PPO_PARAM_HAS_MIN) && (s->flags & PPO_PARAM_HAS_MAX) &&
                 !(s->min <= s->max))
            problem = "min is greater than max";
        for (uint32_t j = 0; problem == NULL && j < i; j++)
            if (strcmp(out[j].name, s->name) == 0)
                problem = "the name is declared twice";
        if (problem != NULL) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "%s: parameter %u (\"%s\"): %s",
                        owner, i, s->name != NULL ? s->name : "(null)", problem);
            g_free(out);
            return false;
        }
        if (s->default_value != NULL) {
            value_t v;
            GError *local = NULL;
            char *path = g_strdup_printf("%s: parameter \"%s\"", owner, s->name);
            bool ok = value_default(s, path, &v, &local);
            g_free(path);
            if (!ok) {
                g_propagate_error(error, local);
                g_free(out);
                return false;
            }
            value_clear(&v);
        }
    }
    *normalized = out;
    return true;
}

/* ---- building ---- */

static bool is_extra(const char *key, const char *const *extra)
{
    for (const char *const *e = extra; e != NULL && *e != NULL; e++)
        if (strcmp(*e, key) == 0)
            return true;
    return false;
}

ppo_params_t *ppo_params_build(const ppo_param_spec_t *specs, uint32_t n, const ppo_ynode_t *map,
                               const char *section, const ppo_mark_t *where,
                               const char *const *extra_keys, GError **error)
{
    const ppo_mark_t none = {"(pipeline)", 0, 0};
    const ppo_mark_t *block_mark = map != NULL ? &map->mark : where != NULL ? where : &none;
    if (map != NULL && !ppo_ynode_is_null(map) && map->kind != PPO_YNODE_MAPPING) {
        char *at = ppo_mark_format(map->mark);
        char *got = ppo_ynode_describe(map);
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE, "%s: %s: expected a mapping, got %s",
                    at, *section != '\0' ? section : "pipeline", got);
        g_free(got);
        g_free(at);
        return NULL;
    }
    if (ppo_ynode_is_null(map))
        map = NULL;

    ppo_params_t *p = g_new0(ppo_params_t, 1);
    p->section = g_strdup(section);
    p->n = n;
    p->specs = g_new0(ppo_param_spec_t, MAX(n, 1));
    if (n > 0)
        memcpy(p->specs, specs, sizeof(ppo_param_spec_t) * n);
    p->values = g_new0(value_t, MAX(n, 1));

    /* unknown keys first: a typo explains a "missing" key better than its absence does */
    for (uint32_t k = 0; map != NULL && k < map->n_items; k++) {
        const char *key = map->keys[k]->text;
        bool known = is_extra(key, extra_keys);
        for (uint32_t i = 0; !known && i < n; i++)
            known = strcmp(specs[i].name, key) == 0;
        if (known)
            continue;
        GPtrArray *names = g_ptr_array_new();
        for (uint32_t i = 0; i < n; i++)
            g_ptr_array_add(names, (gpointer)specs[i].name);
        for (const char *const *e = extra_keys; e != NULL && *e != NULL; e++)
            g_ptr_array_add(names, (gpointer)*e);
        g_ptr_array_add(names, NULL);
        const char *near = ppo_nearest_word(key, (const char *const *)names->pdata);
        char *at = ppo_mark_format(map->keys[k]->mark);
        char *shown = ppo_ynode_describe(map->keys[k]);
        char *in = *section != '\0' ? g_strdup(section) : g_strdup("the pipeline");
        if (near != NULL) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                        "%s: unknown key %s in %s; did you mean \"%s\"?", at, shown, in, near);
        } else {
            char *list = names->len > 1 ? g_strjoinv(", ", (char **)names->pdata) : g_strdup("");
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                        "%s: unknown key %s in %s; %s%s", at, shown, in,
                        names->len > 1 ? "the keys are: " : "it takes no keys", list);
            g_free(list);
        }
        g_free(in);
        g_free(shown);
        g_free(at);
        g_ptr_array_free(names, TRUE);
        ppo_params_free(p);
        return NULL;
    }

    for (uint32_t i = 0; i < n; i++) {
        const ppo_param_spec_t *spec = &specs[i];
        char *key_path = *section != '\0' ? g_strdup_printf("%s.%s", section, spec->name)
                                           : g_strdup(spec->name);
        const ppo_ynode_t *node = map != NULL ? ppo_ynode_get(map, spec->name) : NULL;
        const ppo_ynode_t *key = map != NULL ? ppo_ynode_get_key(map, spec->name) : NULL;
        bool ok;
        if (key != NULL) {
            ok = value_parse(spec, node, key_path, &key->mark, &p->values[i], error);
            p->values[i].mark = node != NULL ? node->mark : key->mark;
            p->values[i].given = true;
            p->values[i].where = ppo_mark_format(p->values[i].mark);
        } else if (spec->default_value != NULL) {
            ok = value_default(spec, key_path, &p->values[i], error);
        } else {
            char *at = ppo_mark_format(*block_mark);
            char *expected = ppo_spec_describe(spec);
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                        "%s: %s: missing; add \"%s:\" with %s", at, key_path, spec->name,
                        expected);
            g_free(expected);
            g_free(at);
            ok = false;
        }
        g_free(key_path);
        if (!ok) {
            ppo_params_free(p);
            return NULL;
        }
    }
    return p;
}

void ppo_params_free(ppo_params_t *params)
{
    if (params == NULL)
        return;
    for (uint32_t i = 0; i < params->n; i++)
        value_clear(&params->values[i]);
    g_free(params->values);
    g_free(params->specs);
    g_free(params->section);
    g_free(params);
}

bool ppo_params_check_value(const ppo_param_spec_t *spec, const ppo_ynode_t *node,
                            const char *key_path, GError **error)
{
    value_t v;
    const ppo_mark_t none = {key_path, 0, 0};
    if (!value_parse(spec, node, key_path, &none, &v, error))
        return false;
    value_clear(&v);
    return true;
}

/* ---- accessors ---- */

static const value_t *lookup(const ppo_params_t *params, const char *name,
                             const ppo_param_spec_t **spec_out)
{
    g_return_val_if_fail(params != NULL && name != NULL, NULL);
    for (uint32_t i = 0; i < params->n; i++) {
        if (strcmp(params->specs[i].name, name) == 0) {
            if (spec_out != NULL)
                *spec_out = &params->specs[i];
            return &params->values[i];
        }
    }
    g_critical("%s: no parameter named \"%s\" is declared", params->section, name);
    return NULL;
}

static const value_t *typed(const ppo_params_t *params, const char *name, ppo_param_type_t t1,
                            ppo_param_type_t t2)
{
    const ppo_param_spec_t *spec = NULL;
    const value_t *v = lookup(params, name, &spec);
    if (v == NULL)
        return NULL;
    if (spec->type != t1 && spec->type != t2) {
        g_critical("%s.%s is declared with another type", params->section, name);
        return NULL;
    }
    return v->is_null ? NULL : v;
}

bool ppo_params_is_null(const ppo_params_t *params, const char *name)
{
    const value_t *v = lookup(params, name, NULL);
    return v == NULL || v->is_null;
}

int64_t ppo_params_get_int(const ppo_params_t *params, const char *name)
{
    const value_t *v = typed(params, name, PPO_PARAM_INT, PPO_PARAM_INT);
    return v != NULL ? v->i : 0;
}

double ppo_params_get_double(const ppo_params_t *params, const char *name)
{
    const value_t *v = typed(params, name, PPO_PARAM_DOUBLE, PPO_PARAM_DOUBLE);
    return v != NULL ? v->d : 0.0;
}

bool ppo_params_get_bool(const ppo_params_t *params, const char *name)
{
    const value_t *v = typed(params, name, PPO_PARAM_BOOL, PPO_PARAM_BOOL);
    return v != NULL && v->b;
}

const char *ppo_params_get_string(const ppo_params_t *params, const char *name)
{
    const value_t *v = typed(params, name, PPO_PARAM_STRING, PPO_PARAM_ENUM);
    return v != NULL ? v->s : NULL;
}

int ppo_params_get_enum_index(const ppo_params_t *params, const char *name)
{
    const ppo_param_spec_t *spec = NULL;
    const value_t *v = lookup(params, name, &spec);
    if (v == NULL || v->is_null || spec->type != PPO_PARAM_ENUM)
        return -1;
    for (int i = 0; spec->choices[i] != NULL; i++)
        if (strcmp(spec->choices[i], v->s) == 0)
            return i;
    return -1;
}

size_t ppo_params_get_int_list(const ppo_params_t *params, const char *name,
                               const int64_t **values)
{
    const value_t *v = typed(params, name, PPO_PARAM_INT_LIST, PPO_PARAM_INT_LIST);
    if (values != NULL)
        *values = v != NULL && v->n > 0 ? v->ilist : NULL;
    return v != NULL ? v->n : 0;
}

size_t ppo_params_get_double_list(const ppo_params_t *params, const char *name,
                                  const double **values)
{
    const value_t *v = typed(params, name, PPO_PARAM_DOUBLE_LIST, PPO_PARAM_DOUBLE_LIST);
    if (values != NULL)
        *values = v != NULL && v->n > 0 ? v->dlist : NULL;
    return v != NULL ? v->n : 0;
}

const char *ppo_params_where(const ppo_params_t *params, const char *name)
{
    const value_t *v = lookup(params, name, NULL);
    return v != NULL && v->where != NULL ? v->where : "default";
}

ppo_mark_t ppo_params_mark(const ppo_params_t *params, const char *name)
{
    const value_t *v = lookup(params, name, NULL);
    if (v == NULL) {
        ppo_mark_t none = {"(pipeline)", 0, 0};
        return none;
    }
    return v->mark;
}

const ppo_param_spec_t *ppo_params_spec(const ppo_params_t *params, const char *name)
{
    for (uint32_t i = 0; i < params->n; i++)
        if (strcmp(params->specs[i].name, name) == 0)
            return &params->specs[i];
    return NULL;
}

uint32_t ppo_params_count(const ppo_params_t *params)
{
    return params != NULL ? params->n : 0;
}

const ppo_param_spec_t *ppo_params_spec_at(const ppo_params_t *params, uint32_t i)
{
    return i < params->n ? &params->specs[i] : NULL;
}

/* ---- output ---- */

static void write_value(GString *out, const ppo_param_spec_t *spec, const value_t *v)
{
    char buf[40];
    if (v->is_null) {
        g_string_append(out, "null");
        return;
    }
    switch (spec->type) {
    case PPO_PARAM_INT:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, v->i);
        break;
    case PPO_PARAM_DOUBLE:
        format_double(buf, v->d);
        g_string_append(out, buf);
        break;
    case PPO_PARAM_BOOL:
        g_string_append(out, v->b ? "true" : "false");
        break;
    case PPO_PARAM_STRING:
        ppo_yaml_write_scalar(out, v->s, false);
        break;
    case PPO_PARAM_ENUM:
        ppo_yaml_write_scalar(out, v->s, true);
        break;
    case PPO_PARAM_INT_LIST:
    case PPO_PARAM_DOUBLE_LIST:
        g_string_append_c(out, '[');
        for (size_t k = 0; k < v->n; k++) {
            if (k > 0)
                g_string_append(out, ", ");
            if (spec->type == PPO_PARAM_INT_LIST) {
                g_string_append_printf(out, "%" G_GINT64_FORMAT, v->ilist[k]);
            } else {
                format_double(buf, v->dlist[k]);
                g_string_append(out, buf);
            }
        }
        g_string_append_c(out, ']');
        break;
    default:
        break;
    }
}

void ppo_params_write_yaml(const ppo_params_t *params, GString *out, int indent)
{
    for (uint32_t i = 0; i < params->n; i++) {
        g_string_append_printf(out, "%*s%s: ", indent, "", params->specs[i].name);
        write_value(out, &params->specs[i], &params->values[i]);
        g_string_append_c(out, '\n');
    }
}

char *ppo_params_to_flow(const ppo_params_t *params)
{
    GString *out = g_string_new("{");
    for (uint32_t i = 0; params != NULL && i < params->n; i++) {
        g_string_append_printf(out, "%s%s: ", i > 0 ? ", " : "", params->specs[i].name);
        write_value(out, &params->specs[i], &params->values[i]);
    }
    g_string_append_c(out, '}');
    return g_string_free(out, FALSE);
}

uint64_t ppo_params_hash(const ppo_params_t *params)
{
    char *flow = ppo_params_to_flow(params);
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const char *c = flow; *c != '\0'; c++) {
        h ^= (unsigned char)*c;
        h *= UINT64_C(0x100000001b3);
    }
    g_free(flow);
    return h;
}
