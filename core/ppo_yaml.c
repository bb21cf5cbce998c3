/* ppofw core — YAML documents as position-keeping trees, composed from libyaml events.
 *
 * What this file refuses that libyaml alone accepts: duplicate keys, non-scalar keys, several
 * documents, unknown tags, nesting deeper than PPO_YAML_MAX_DEPTH and alias expansion beyond
 * PPO_YAML_MAX_NODES nodes (the "billion laughs"). The composer keeps an explicit stack, so deep
 * input never recurses. What it leaves out: typing. A node is a scalar, a sequence or a mapping;
 * the schema code decides what a scalar means.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "ppo_file_private.h"
#include "ppo_yaml_private.h"

/* A node while the document is built: the public part plus bookkeeping. */
typedef struct {
    ppo_ynode_t pub;
    GPtrArray *keys;    /* mapping: key nodes */
    GPtrArray *values;  /* sequence items or mapping values */
    GPtrArray *merges;  /* mapping: nodes named by `<<` keys, applied at the end */
    GHashTable *index;  /* mapping of many keys: key text -> key node (duplicates in O(1)) */
    uint64_t weight;    /* nodes in the full expansion of this subtree (saturating) */
    uint32_t height;    /* levels below this node in the expansion */
} node_t;

struct ppo_ydoc {
    char *source;
    GStringChunk *strings; /* every text and source string */
    GPtrArray *nodes;      /* every node_t, freed with the document */
    ppo_ynode_t *root;
};

#define NODE(n) ((node_t *)(n))

static node_t *node_new(ppo_ydoc_t *doc, ppo_ynode_kind_t kind, ppo_mark_t mark)
{
    node_t *node = g_new0(node_t, 1);
    node->pub.kind = kind;
    node->pub.mark = mark;
    node->weight = 1;
    if (kind != PPO_YNODE_SCALAR) {
        node->values = g_ptr_array_new();
        if (kind == PPO_YNODE_MAPPING)
            node->keys = g_ptr_array_new();
    }
    g_ptr_array_add(doc->nodes, node);
    return node;
}

static void node_free(gpointer data)
{
    node_t *node = data;
    if (node->keys != NULL)
        g_ptr_array_free(node->keys, TRUE);
    if (node->values != NULL)
        g_ptr_array_free(node->values, TRUE);
    if (node->merges != NULL)
        g_ptr_array_free(node->merges, TRUE);
    if (node->index != NULL)
        g_hash_table_destroy(node->index);
    g_free(node);
}

/* keep the public array view in step with the growable arrays */
static void node_sync(node_t *node)
{
    if (node->pub.kind == PPO_YNODE_SCALAR)
        return;
    node->pub.n_items = node->values->len;
    node->pub.values = (ppo_ynode_t **)node->values->pdata;
    node->pub.keys = node->keys != NULL ? (ppo_ynode_t **)node->keys->pdata : NULL;
}

static ppo_ydoc_t *doc_new(const char *source)
{
    ppo_ydoc_t *doc = g_new0(ppo_ydoc_t, 1);
    doc->strings = g_string_chunk_new(1024);
    doc->source = g_string_chunk_insert(doc->strings, source);
    doc->nodes = g_ptr_array_new_with_free_func(node_free);
    return doc;
}

void ppo_ydoc_free(ppo_ydoc_t *doc)
{
    if (doc == NULL)
        return;
    g_ptr_array_free(doc->nodes, TRUE);
    g_string_chunk_free(doc->strings);
    g_free(doc);
}

ppo_ynode_t *ppo_ydoc_root(ppo_ydoc_t *doc)
{
    return doc->root;
}

const char *ppo_ydoc_source(const ppo_ydoc_t *doc)
{
    return doc->source;
}

char *ppo_mark_format(ppo_mark_t mark)
{
    if (mark.line == 0)
        return g_strdup(mark.source != NULL ? mark.source : "(unknown)");
    return g_strdup_printf("%s:%u:%u", mark.source, mark.line, mark.col);
}

static ppo_mark_t mark_from(const ppo_ydoc_t *doc, yaml_mark_t m)
{
    ppo_mark_t mark = {doc->source, (uint32_t)m.line + 1, (uint32_t)m.column + 1};
    return mark;
}

bool ppo_mark_error(GError **error, ppo_mark_t mark, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *where = ppo_mark_format(mark);
    g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE, "%s: %s", where, msg);
    g_free(where);
    g_free(msg);
    return false;
}

bool ppo_ynode_is_null(const ppo_ynode_t *node)
{
    if (node == NULL)
        return true;
    if (node->kind != PPO_YNODE_SCALAR || !node->plain)
        return false;
    const char *t = node->text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

ppo_ynode_t *ppo_ynode_get_key(const ppo_ynode_t *map, const char *key)
{
    if (map == NULL || map->kind != PPO_YNODE_MAPPING)
        return NULL;
    for (uint32_t i = 0; i < map->n_items; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return map->keys[i];
    return NULL;
}

ppo_ynode_t *ppo_ynode_get(const ppo_ynode_t *map, const char *key)
{
    if (map == NULL || map->kind != PPO_YNODE_MAPPING)
        return NULL;
    for (uint32_t i = 0; i < map->n_items; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return map->values[i];
    return NULL;
}

/* ---- composing ---- */

typedef struct {
    node_t *node;      /* the open sequence or mapping */
    node_t *pend_key;  /* mapping: the key waiting for its value */
} frame_t;

/* A mapping with more keys than this finds them through a hash table. */
#define MAP_INDEX_MIN 16

/* Find a key in a mapping under construction. */
static node_t *map_find(node_t *map, const char *text)
{
    if (map->index != NULL)
        return g_hash_table_lookup(map->index, text);
    for (guint i = 0; i < map->keys->len; i++) {
        node_t *k = g_ptr_array_index(map->keys, i);
        if (strcmp(k->pub.text, text) == 0)
            return k;
    }
    return NULL;
}

/* Add a key to a mapping under construction (with its value: callers keep them in step). */
static void map_add_key(node_t *map, node_t *key)
{
    g_ptr_array_add(map->keys, key);
    if (map->index == NULL && map->keys->len >= MAP_INDEX_MIN) {
        /* many keys: from now on, a hash table (a quadratic scan took minutes at 50,000) */
        map->index = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < map->keys->len; i++) {
            node_t *k = g_ptr_array_index(map->keys, i);
            g_hash_table_insert(map->index, k->pub.text, k);
        }
    } else if (map->index != NULL) {
        g_hash_table_insert(map->index, key->pub.text, key);
    }
}

static bool is_merge_key(const node_t *key)
{
    return key->pub.plain && strcmp(key->pub.text, "<<") == 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Attach a finished (or aliased) child to the open frame. */
static bool attach(ppo_ydoc_t *doc, frame_t *frame, node_t *child, ppo_mark_t at, GError **error)
{
    node_t *parent = frame->node;
    parent->weight = sat_add(parent->weight, child->weight);
    parent->height = MAX(parent->height, child->height + 1);
    if (parent->weight > PPO_YAML_MAX_NODES) {
        ppo_mark_error(error, at,
                       "the document expands to more than %d nodes (through aliases?); "
                       "a pipeline needs far fewer",
                       PPO_YAML_MAX_NODES);
        return false;
    }
    if (parent->height > PPO_YAML_MAX_DEPTH) {
        ppo_mark_error(error, at, "nesting deeper than %d levels; a pipeline needs far fewer",
                       PPO_YAML_MAX_DEPTH);
        return false;
    }
    if (parent->pub.kind == PPO_YNODE_SEQUENCE) {
        g_ptr_array_add(parent->values, child);
        node_sync(parent);
        return true;
    }
    if (frame->pend_key == NULL) {
        /* a key */
        if (child->pub.kind != PPO_YNODE_SCALAR) {
            ppo_mark_error(error, child->pub.mark, "mapping keys must be plain names, found a %s",
                           child->pub.kind == PPO_YNODE_MAPPING ? "mapping" : "list");
            return false;
        }
        if (!is_merge_key(child)) {
            node_t *prev = map_find(parent, child->pub.text);
            if (prev != NULL) {
                ppo_mark_error(error, child->pub.mark,
                               "duplicate key \"%s\" (first at line %u); remove one of them",
                               child->pub.text, prev->pub.mark.line);
                return false;
            }
        }
        frame->pend_key = child;
        return true;
    }
    /* a value */
    node_t *key = frame->pend_key;
    frame->pend_key = NULL;
    if (is_merge_key(key)) {
        if (parent->merges == NULL)
            parent->merges = g_ptr_array_new();
        if (child->pub.kind == PPO_YNODE_MAPPING) {
            g_ptr_array_add(parent->merges, child);
        } else if (child->pub.kind == PPO_YNODE_SEQUENCE) {
            for (guint i = 0; i < child->values->len; i++) {
                node_t *m = g_ptr_array_index(child->values, i);
                if (m->pub.kind != PPO_YNODE_MAPPING) {
                    ppo_mark_error(error, m->pub.mark, "a merge key (<<) takes mappings only");
                    return false;
                }
                g_ptr_array_add(parent->merges, m);
            }
        } else {
            ppo_mark_error(error, child->pub.mark,
                           "a merge key (<<) takes a mapping or a list of them");
            return false;
        }
        return true;
    }
    map_add_key(parent, key);
    g_ptr_array_add(parent->values, child);
    node_sync(parent);
    return true;
}

/* Apply `<<` merges at the end of a mapping: keys written in the mapping win, then the merged
 * mappings in order. */
static void apply_merges(node_t *map)
{
    if (map->merges == NULL)
        return;
    for (guint m = 0; m < map->merges->len; m++) {
        node_t *src = g_ptr_array_index(map->merges, m);
        for (guint i = 0; i < src->keys->len; i++) {
            node_t *k = g_ptr_array_index(src->keys, i);
            if (map_find(map, k->pub.text) != NULL)
                continue;
            map_add_key(map, k);
            g_ptr_array_add(map->values, g_ptr_array_index(src->values, i));
        }
    }
    g_ptr_array_free(map->merges, TRUE);
    map->merges = NULL;
    node_sync(map);
}

/* Decide what a tag means: only YAML's standard scalar tags are accepted. */
static bool check_tag(const ppo_ydoc_t *doc, const yaml_char_t *tag, ppo_mark_t mark, bool *plain,
                      GError **error)
{
    if (tag == NULL)
        return true;
    const char *t = (const char *)tag;
    if (strcmp(t, YAML_STR_TAG) == 0) {
        *plain = false;
        return true;
    }
    if (strcmp(t, YAML_INT_TAG) == 0 || strcmp(t, YAML_FLOAT_TAG) == 0 ||
        strcmp(t, YAML_BOOL_TAG) == 0 || strcmp(t, YAML_NULL_TAG) == 0) {
        /* an explicit type: !!int "5" is the number 5, however it is quoted */
        *plain = true;
        return true;
    }
    if (strcmp(t, YAML_SEQ_TAG) == 0 || strcmp(t, YAML_MAP_TAG) == 0 || strcmp(t, "!") == 0)
        return true;
    char *shown = g_strescape(t, NULL);
    ppo_mark_error(error, mark, "unsupported tag \"%s\"; remove it", shown);
    g_free(shown);
    return false;
}

static void parser_error(const ppo_ydoc_t *doc, const yaml_parser_t *parser, const char *text,
                         size_t len, GError **error)
{
    const char *problem = parser->problem != NULL ? parser->problem : "invalid YAML";
    ppo_mark_t pm = mark_from(doc, parser->problem_mark);
    if (parser->error == YAML_READER_ERROR) {
        /* reader errors carry a byte offset, not a line */
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%s: not a YAML text: %s at byte %zu (is this a binary file?)", doc->source,
                    problem, parser->problem_offset);
        return;
    }
    const size_t at = parser->problem_mark.index;
    if (text != NULL && at < len && text[at] == '\t') {
        ppo_mark_error(error, pm,
                       "%s: a tab character; YAML indents with spaces, so replace the "
                       "tab with spaces",
                       problem);
        return;
    }
    /* libyaml gives up on a plain key after 1024 characters with one of several unrelated
     * messages: look for such a token on the line before the problem */
    if (text != NULL && at <= len) {
        size_t line = at;
        while (line > 0 && text[line - 1] != '\n')
            line--;
        size_t run = 0, run_start = line;
        for (size_t i = line; i < at; i++) {
            if (strchr(" \t,[]{}", text[i]) != NULL) {
                run = 0;
                run_start = i + 1;
            } else if (++run >= 1024) {
                ppo_mark_t km = {doc->source, (uint32_t)parser->problem_mark.line + 1,
                                 (uint32_t)(run_start - line) + 1};
                ppo_mark_error(error, km,
                               "a key longer than 1024 characters (YAML's limit for a plain "
                               "key); a pipeline's keys are short names — shorten it");
                return;
            }
        }
    }
    if (parser->context != NULL) {
        ppo_mark_t cm = mark_from(doc, parser->context_mark);
        ppo_mark_error(error, pm, "%s (%s at line %u, column %u)", problem, parser->context,
                       cm.line, cm.col);
    } else {
        ppo_mark_error(error, pm, "%s", problem);
    }
}

typedef struct {
    char *name;
    node_t *node;
} anchor_t;

static node_t *anchor_find(GArray *anchors, const char *name)
{
    /* the latest definition of a name wins, as in YAML */
    for (guint i = anchors->len; i-- > 0;) {
        anchor_t *a = &g_array_index(anchors, anchor_t, i);
        if (strcmp(a->name, name) == 0)
            return a->node;
    }
    return NULL;
}

static void anchor_add(GArray *anchors, const yaml_char_t *name, node_t *node)
{
    if (name == NULL)
        return;
    anchor_t a = {g_strdup((const char *)name), node};
    g_array_append_val(anchors, a);
}

static void anchor_clear(gpointer data)
{
    g_free(((anchor_t *)data)->name);
}

/* Compose the event stream into `doc`. Returns false with *error set. */
static bool compose(ppo_ydoc_t *doc, yaml_parser_t *parser, const char *text, size_t len,
                    GError **error)
{
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(frame_t));
    GArray *anchors = g_array_new(FALSE, FALSE, sizeof(anchor_t));
    g_array_set_clear_func(anchors, anchor_clear);
    bool ok = false;
    int documents = 0;
    bool done = false;

    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(parser, &ev)) {
            parser_error(doc, parser, text, len, error);
            goto out;
        }
        ppo_mark_t mark = mark_from(doc, ev.start_mark);
        node_t *finished = NULL;
        bool ev_ok = true;

        switch (ev.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) {
                ppo_mark_error(error, mark,
                               "a second YAML document; a pipeline is one document (remove '---')");
                ev_ok = false;
            }
            break;
        case YAML_ALIAS_EVENT: {
            node_t *target = anchor_find(anchors, (const char *)ev.data.alias.anchor);
            if (target == NULL) {
                ppo_mark_error(error, mark,
                               "unknown alias *%s; define the anchor (&%s) before using it",
                               ev.data.alias.anchor, ev.data.alias.anchor);
                ev_ok = false;
            } else {
                finished = target;
            }
            break;
        }
        case YAML_SCALAR_EVENT: {
            bool plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (!check_tag(doc, ev.data.scalar.tag, mark, &plain, error)) {
                ev_ok = false;
                break;
            }
            node_t *n = node_new(doc, PPO_YNODE_SCALAR, mark);
            n->pub.text = g_string_chunk_insert_len(doc->strings, (const char *)ev.data.scalar.value,
                                                    (gssize)ev.data.scalar.length);
            n->pub.text_len = ev.data.scalar.length;
            n->pub.plain = plain;
            anchor_add(anchors, ev.data.scalar.anchor, n);
            finished = n;
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            const bool is_map = ev.type == YAML_MAPPING_START_EVENT;
            bool plain = true;
            const yaml_char_t *tag = is_map ? ev.data.mapping_start.tag : ev.data.sequence_start.tag;
            if (!check_tag(doc, tag, mark, &plain, error)) {
                ev_ok = false;
                break;
            }
            if (stack->len >= PPO_YAML_MAX_DEPTH) {
                ppo_mark_error(error, mark,
                               "nesting deeper than %d levels; a pipeline needs far fewer",
                               PPO_YAML_MAX_DEPTH);
                ev_ok = false;
                break;
            }
            node_t *n = node_new(doc, is_map ? PPO_YNODE_MAPPING : PPO_YNODE_SEQUENCE, mark);
            anchor_add(anchors,
                       is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor, n);
            frame_t f = {n, NULL};
            g_array_append_val(stack, f);
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            frame_t *top = &g_array_index(stack, frame_t, stack->len - 1);
            finished = top->node;
            if (finished->pub.kind == PPO_YNODE_MAPPING)
                apply_merges(finished);
            node_sync(finished);
            g_array_set_size(stack, stack->len - 1);
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (!ev_ok)
            goto out;
        if (finished != NULL) {
            if (stack->len == 0)
                doc->root = &finished->pub;
            else if (!attach(doc, &g_array_index(stack, frame_t, stack->len - 1), finished, mark,
                             error))
                goto out;
        }
    }
    ok = true;
out:
    g_array_free(anchors, TRUE);
    g_array_free(stack, TRUE);
    return ok;
}

ppo_ydoc_t *ppo_ydoc_parse(const char *source, const char *text, size_t len, GError **error)
{
    ppo_ydoc_t *doc = doc_new(source);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "%s: out of memory", source);
        ppo_ydoc_free(doc);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    bool ok = compose(doc, &parser, text, len, error);
    yaml_parser_delete(&parser);
    if (!ok) {
        ppo_ydoc_free(doc);
        return NULL;
    }
    return doc;
}

ppo_ydoc_t *ppo_ydoc_load_file(const char *path, GError **error)
{
    /* O_NONBLOCK: a FIFO (or a device) given as a pipeline must not block the open */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE, "%s: cannot open the pipeline: %s%s",
                    path, g_strerror(err),
                    err == ENOENT   ? " (check the path)"
                    : err == EACCES ? " (check the file's permissions)"
                                    : "");
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE, "%s: cannot read: %s", path,
                    g_strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%s: not a regular file (it is %s); give the path of a pipeline .yaml file",
                    path, ppo_file_kind(st.st_mode));
        close(fd);
        return NULL;
    }
    const int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if ((uint64_t)st.st_size > PPO_YAML_MAX_BYTES) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%s: %jd bytes is too large for a pipeline (limit %u bytes)", path,
                    (intmax_t)st.st_size, PPO_YAML_MAX_BYTES);
        close(fd);
        return NULL;
    }
    GString *buf = g_string_sized_new((gsize)st.st_size + 1);
    char chunk[65536];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE, "%s: cannot read: %s", path,
                        g_strerror(errno));
            close(fd);
            g_string_free(buf, TRUE);
            return NULL;
        }
        if (got == 0)
            break;
        g_string_append_len(buf, chunk, got);
        if (buf->len > PPO_YAML_MAX_BYTES) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE, "%s: too large for a pipeline",
                        path);
            close(fd);
            g_string_free(buf, TRUE);
            return NULL;
        }
    }
    close(fd);
    ppo_ydoc_t *doc = ppo_ydoc_parse(path, buf->str, buf->len, error);
    g_string_free(buf, TRUE);
    return doc;
}

ppo_ynode_t *ppo_ydoc_new_scalar(ppo_ydoc_t *doc, const char *text, bool plain, ppo_mark_t mark)
{
    node_t *n = node_new(doc, PPO_YNODE_SCALAR, mark);
    n->pub.text = g_string_chunk_insert(doc->strings, text);
    n->pub.text_len = strlen(text);
    n->pub.plain = plain;
    return &n->pub;
}

/* Copy one node (not its children) into the document, for copy-on-write edits. */
static node_t *shallow_copy(ppo_ydoc_t *doc, const ppo_ynode_t *src)
{
    node_t *n = node_new(doc, src->kind, src->mark);
    n->pub.text = src->text;
    n->pub.text_len = src->text_len;
    n->pub.plain = src->plain;
    for (uint32_t i = 0; i < src->n_items; i++) {
        if (src->kind == PPO_YNODE_MAPPING)
            g_ptr_array_add(n->keys, src->keys[i]);
        g_ptr_array_add(n->values, src->values[i]);
    }
    node_sync(n);
    return n;
}

ppo_ynode_t *ppo_ydoc_parse_value(ppo_ydoc_t *doc, const char *source, const char *text,
                                  GError **error)
{
    /* parse the text as its own document, then move its nodes into `doc` */
    GError *local = NULL;
    ppo_ydoc_t *tmp = ppo_ydoc_parse(source, text, strlen(text), &local);
    if (tmp == NULL) {
        /* messages from a one-line text read better without line numbers */
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE, "%s: the value is not valid YAML (%s)",
                    source, local->message);
        g_error_free(local);
        return NULL;
    }
    ppo_ynode_t *root = tmp->root;
    const char *src = g_string_chunk_insert(doc->strings, source);
    if (root == NULL) {
        /* `--set key=` gives an empty plain scalar: null */
        root = &node_new(tmp, PPO_YNODE_SCALAR, (ppo_mark_t){src, 0, 0})->pub;
        root->text = "";
        root->plain = true;
    }
    /* re-home every node: strings into doc's chunk, marks to the --set source */
    for (guint i = 0; i < tmp->nodes->len; i++) {
        node_t *n = g_ptr_array_index(tmp->nodes, i);
        n->pub.mark = (ppo_mark_t){src, 0, 0};
        if (n->pub.text != NULL)
            n->pub.text = g_string_chunk_insert_len(doc->strings, n->pub.text,
                                                    (gssize)n->pub.text_len);
        g_ptr_array_add(doc->nodes, n);
    }
    g_ptr_array_set_free_func(tmp->nodes, NULL);
    ppo_ydoc_free(tmp);
    return root;
}

bool ppo_ydoc_set_path(ppo_ydoc_t *doc, const char *path, ppo_ynode_t *value, const char *source,
                       GError **error)
{
    char **parts = g_strsplit(path, ".", -1);
    bool ok = false;
    const ppo_mark_t src_mark = {g_string_chunk_insert(doc->strings, source), 0, 0};

    for (char **p = parts; *p != NULL; p++) {
        if (**p == '\0') {
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                        "%s: \"%s\" is not a key path; write it like ppo.clip", source, path);
            goto out;
        }
    }
    if (doc->root == NULL)
        doc->root = &node_new(doc, PPO_YNODE_MAPPING, src_mark)->pub;
    if (doc->root->kind != PPO_YNODE_MAPPING) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%s: the pipeline is not a mapping, so \"%s\" cannot be set", source, path);
        goto out;
    }
    /* walk down, replacing each mapping on the path by a copy we own */
    node_t *cur = shallow_copy(doc, doc->root);
    doc->root = &cur->pub;
    GString *walked = g_string_new(NULL);
    for (char **p = parts; *p != NULL; p++) {
        if (walked->len > 0)
            g_string_append_c(walked, '.');
        g_string_append(walked, *p);
        guint idx = G_MAXUINT;
        for (guint i = 0; i < cur->keys->len; i++)
            if (strcmp(((node_t *)g_ptr_array_index(cur->keys, i))->pub.text, *p) == 0)
                idx = i;
        if (p[1] == NULL) {
            /* the last key: set it */
            if (idx == G_MAXUINT) {
                ppo_ynode_t *k = ppo_ydoc_new_scalar(doc, *p, true, src_mark);
                g_ptr_array_add(cur->keys, k);
                g_ptr_array_add(cur->values, value);
            } else {
                cur->values->pdata[idx] = value;
            }
            node_sync(cur);
            break;
        }
        node_t *next;
        if (idx == G_MAXUINT || ppo_ynode_is_null(g_ptr_array_index(cur->values, idx))) {
            next = node_new(doc, PPO_YNODE_MAPPING, src_mark);
        } else {
            const ppo_ynode_t *child = g_ptr_array_index(cur->values, idx);
            if (child->kind != PPO_YNODE_MAPPING) {
                char *where = ppo_mark_format(child->mark);
                g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                            "%s: %s is not a mapping (see %s), so \"%s\" cannot be set inside it",
                            source, walked->str, where, path);
                g_free(where);
                g_string_free(walked, TRUE);
                goto out;
            }
            next = shallow_copy(doc, child);
        }
        if (idx == G_MAXUINT) {
            g_ptr_array_add(cur->keys, ppo_ydoc_new_scalar(doc, *p, true, src_mark));
            g_ptr_array_add(cur->values, next);
        } else {
            cur->values->pdata[idx] = next;
        }
        node_sync(cur);
        cur = next;
    }
    g_string_free(walked, TRUE);
    ok = true;
out:
    g_strfreev(parts);
    return ok;
}

char *ppo_ynode_describe(const ppo_ynode_t *node)
{
    if (node == NULL || ppo_ynode_is_null(node))
        return g_strdup("null");
    if (node->kind == PPO_YNODE_SEQUENCE)
        return g_strdup("a list");
    if (node->kind == PPO_YNODE_MAPPING)
        return g_strdup("a mapping");
    GString *s = g_string_new("\"");
    size_t shown = 0;
    for (size_t i = 0; i < node->text_len; i++) {
        unsigned char c = (unsigned char)node->text[i];
        if (shown >= 40) {
            g_string_append(s, "...");
            break;
        }
        if (c == '"' || c == '\\')
            g_string_append_printf(s, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(s, "\\x%02x", c);
        else
            g_string_append_c(s, (char)c);
        shown++;
    }
    g_string_append_c(s, '"');
    return g_string_free(s, FALSE);
}

/* ---- writing ---- */

static bool needs_quotes(const char *t)
{
    if (*t == '\0')
        return true;
    /* indicators; '-', '?' and ':' start a plain scalar when a non-space follows (-0.2) */
    if (strchr(",[]{}#&*!|>'\"%@` ", t[0]) != NULL)
        return true;
    if (strchr("-?:", t[0]) != NULL && (t[1] == ' ' || t[1] == '\0'))
        return true;
    for (const char *p = t; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || c == '\\')
            return true;
        if ((c == ':' || c == '#') && (p[1] == ' ' || p[1] == '\0'))
            return true;
        if (c == ' ' && p[1] == '#')
            return true;
    }
    size_t len = strlen(t);
    return t[len - 1] == ' ';
}

void ppo_yaml_write_scalar(GString *out, const char *text, bool plain)
{
    /* a non-plain string that YAML would read as null/bool/number must stay quoted */
    static const char *const special[] = {"null", "Null", "NULL", "~", "true", "True", "TRUE",
                                          "false", "False", "FALSE", NULL};
    bool quote = needs_quotes(text);
    if (!plain && !quote) {
        for (int i = 0; special[i] != NULL; i++)
            if (strcmp(text, special[i]) == 0)
                quote = true;
        char *end = NULL;
        (void)g_ascii_strtod(text, &end);
        if (end != NULL && end != text && *end == '\0')
            quote = true;
    }
    if (!quote) {
        g_string_append(out, text);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = text; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c == '\n')
            g_string_append(out, "\\n");
        else if (c == '\t')
            g_string_append(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\x%02x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_string_append_c(out, '"');
}

static bool is_flat(const ppo_ynode_t *node)
{
    for (uint32_t i = 0; i < node->n_items; i++)
        if (node->values[i]->kind != PPO_YNODE_SCALAR)
            return false;
    return true;
}

static void write_flow(const ppo_ynode_t *node, GString *out)
{
    if (node->kind == PPO_YNODE_SCALAR) {
        ppo_yaml_write_scalar(out, node->text, node->plain);
        return;
    }
    const bool map = node->kind == PPO_YNODE_MAPPING;
    g_string_append_c(out, map ? '{' : '[');
    for (uint32_t i = 0; i < node->n_items; i++) {
        if (i > 0)
            g_string_append(out, ", ");
        if (map) {
            ppo_yaml_write_scalar(out, node->keys[i]->text, true);
            g_string_append(out, ": ");
        }
        write_flow(node->values[i], out);
    }
    g_string_append_c(out, map ? '}' : ']');
}

void ppo_ynode_write(const ppo_ynode_t *node, GString *out, int indent)
{
    if (node == NULL) {
        g_string_append(out, "null\n");
        return;
    }
    if (node->kind == PPO_YNODE_SCALAR || node->n_items == 0 ||
        (node->kind == PPO_YNODE_SEQUENCE && is_flat(node))) {
        write_flow(node, out);
        g_string_append_c(out, '\n');
        return;
    }
    if (indent > 0)
        g_string_append_c(out, '\n');
    for (uint32_t i = 0; i < node->n_items; i++) {
        g_string_append_printf(out, "%*s", indent, "");
        if (node->kind == PPO_YNODE_MAPPING) {
            ppo_yaml_write_scalar(out, node->keys[i]->text, true);
            g_string_append_c(out, ':');
        } else {
            g_string_append_c(out, '-');
        }
        const ppo_ynode_t *v = node->values[i];
        if (v->kind == PPO_YNODE_MAPPING && v->n_items > 0 && node->kind == PPO_YNODE_MAPPING &&
            !is_flat(v)) {
            ppo_ynode_write(v, out, indent + 2);
        } else if (v->kind == PPO_YNODE_SEQUENCE && v->n_items > 0 && !is_flat(v)) {
            ppo_ynode_write(v, out, indent + 2);
        } else {
            g_string_append_c(out, ' ');
            if (v->kind == PPO_YNODE_MAPPING)
                write_flow(v, out), g_string_append_c(out, '\n');
            else
                ppo_ynode_write(v, out, indent + 2);
        }
    }
}
