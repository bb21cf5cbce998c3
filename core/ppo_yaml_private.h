/* ppofw core — YAML documents as trees that remember where every node came from.
 *
 * Built from libyaml's event stream rather than its document API, so that the loader can refuse
 * what libyaml accepts but a pipeline must not contain: duplicate keys (in block and flow
 * mappings), non-scalar keys, more than one document, nesting deeper than PPO_YAML_MAX_DEPTH and
 * aliases that expand to more than PPO_YAML_MAX_NODES nodes. Aliases share the anchored node (no
 * copy); YAML 1.1 merge keys (`<<: *base`) are applied when a mapping ends. Every node carries
 * its 1-based position.
 *
 * All nodes belong to their document and are freed with it; a node may be reachable from several
 * parents through aliases, so never modify a node you did not make: ppo_ydoc_set_path copies
 * what it changes.
 */
#ifndef PPO_YAML_PRIVATE_H
#define PPO_YAML_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "ppo_error_private.h"

#define PPO_YAML_MAX_DEPTH 64
#define PPO_YAML_MAX_NODES 100000
#define PPO_YAML_MAX_BYTES (16u << 20)

/* A position: `source` is a file path, or a description such as "--set ppo.clip=0.1" for values
 * that did not come from a file (then line is 0 and only `source` is printed). */
typedef struct ppo_mark {
    const char *source; /* owned by the document */
    uint32_t line;      /* 1-based; 0 when not from a file */
    uint32_t col;       /* 1-based */
} ppo_mark_t;

typedef enum ppo_ynode_kind {
    PPO_YNODE_SCALAR = 1,
    PPO_YNODE_SEQUENCE = 2,
    PPO_YNODE_MAPPING = 3,
} ppo_ynode_kind_t;

typedef struct ppo_ynode ppo_ynode_t;

struct ppo_ynode {
    ppo_ynode_kind_t kind;
    ppo_mark_t mark;
    /* scalar */
    char *text;       /* NUL-terminated; the document owns it */
    size_t text_len;  /* may contain NULs: check text_len == strlen(text) where it matters */
    bool plain;       /* written without quotes: only plain scalars can be null, bool or numbers */
    /* sequence: items; mapping: keys[i] -> values[i] (keys are scalars) */
    uint32_t n_items;
    ppo_ynode_t **keys;   /* mapping only */
    ppo_ynode_t **values; /* sequence items or mapping values */
};

/* A loaded document (transfer full; free with ppo_ydoc_free). */
typedef struct ppo_ydoc ppo_ydoc_t;

/* Parse `len` bytes of YAML. `source` names the text in messages (a file path). The document
 * must hold exactly one node (an empty text gives a NULL root). On error returns NULL with a
 * PPO_ERROR_PIPELINE error "source:line:col: ...". */
PPO_INTERNAL ppo_ydoc_t *ppo_ydoc_parse(const char *source, const char *text, size_t len,
                                        GError **error);

/* Read and parse a file (at most PPO_YAML_MAX_BYTES). A missing, unreadable or non-regular file
 * is a PPO_ERROR_PIPELINE error naming it. */
PPO_INTERNAL ppo_ydoc_t *ppo_ydoc_load_file(const char *path, GError **error);

PPO_INTERNAL void ppo_ydoc_free(ppo_ydoc_t *doc);

/* The root node, or NULL for an empty document (transfer none). */
PPO_INTERNAL ppo_ynode_t *ppo_ydoc_root(ppo_ydoc_t *doc);

/* The source the document was parsed from (transfer none). */
PPO_INTERNAL const char *ppo_ydoc_source(const ppo_ydoc_t *doc);

/* Value of `key` in a mapping node, or NULL (transfer none). */
PPO_INTERNAL ppo_ynode_t *ppo_ynode_get(const ppo_ynode_t *map, const char *key);

/* Key node of `key` in a mapping node, or NULL (transfer none). */
PPO_INTERNAL ppo_ynode_t *ppo_ynode_get_key(const ppo_ynode_t *map, const char *key);

/* true when the node is a plain scalar null (null, Null, NULL, ~ or empty). */
PPO_INTERNAL bool ppo_ynode_is_null(const ppo_ynode_t *node);

/* Parse the value of a --set override (a YAML flow scalar, list or mapping) as a node of `doc`,
 * marked with `source` (e.g. "--set ppo.clip=0.1"). Errors name `source`. */
PPO_INTERNAL ppo_ynode_t *ppo_ydoc_parse_value(ppo_ydoc_t *doc, const char *source,
                                               const char *text, GError **error);

/* Set the dotted `path` (e.g. "policy.params.pi_hidden") of the root mapping to `value`,
 * creating mappings that do not exist yet and copying (not modifying) the mappings on the way,
 * so aliased nodes elsewhere keep their values. A path through a non-mapping is an error that
 * names the key. `value` must belong to `doc`. Creates a root mapping if the document is empty. */
PPO_INTERNAL bool ppo_ydoc_set_path(ppo_ydoc_t *doc, const char *path, ppo_ynode_t *value,
                                    const char *source, GError **error);

/* Make a scalar / mapping / sequence node owned by `doc` (for defaults and overrides). */
PPO_INTERNAL ppo_ynode_t *ppo_ydoc_new_scalar(ppo_ydoc_t *doc, const char *text, bool plain,
                                              ppo_mark_t mark);

/* "file:line:col" (or just the source when it is not a file position), newly allocated. */
PPO_INTERNAL char *ppo_mark_format(ppo_mark_t mark);

/* Set a PPO_ERROR_PIPELINE error "file:line:col: <message>" at `mark`; returns false, for
 * `return ppo_mark_error(...)` in a function that reports failure as false. */
PPO_INTERNAL bool ppo_mark_error(GError **error, ppo_mark_t mark, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* A short description of a node for "got ..." in messages: a quoted scalar (cut at 40
 * characters, non-printable bytes escaped), "a list", "a mapping" or "null". */
PPO_INTERNAL char *ppo_ynode_describe(const ppo_ynode_t *node);

/* Write `node` as YAML (block style) at `indent` spaces to `out`. */
PPO_INTERNAL void ppo_ynode_write(const ppo_ynode_t *node, GString *out, int indent);

/* Write a scalar string quoted only when YAML would read it as something else. */
PPO_INTERNAL void ppo_yaml_write_scalar(GString *out, const char *text, bool plain);

#endif /* PPO_YAML_PRIVATE_H */
