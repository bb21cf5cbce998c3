/* ppofw tests — core/ppo_yaml.c: what the YAML tree refuses, and where it says the problem is.
 *
 * Every refusal is checked for its exit code (2, a pipeline error), its 1-based position
 * "file:line:col" and the words that explain it: empty and binary input, libyaml's syntax errors
 * (with both of libyaml's marks), duplicate keys in every shape, a second document, the alias
 * bomb, nesting 10,000 levels deep, unknown aliases and tags. Merge keys and --set path editing
 * are checked for the values they produce. What it leaves out: typing of scalars (that is
 * test_ppo_params.c) and the pipeline schema (test_ppo_pipeline.c).
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_test.h"
#include "ppo_yaml_private.h"

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

/* Parse `len` bytes named "in.yaml"; the document, or NULL with *error set. */
static ppo_ydoc_t *parse_len(const char *text, size_t len, GError **error)
{
    return ppo_ydoc_parse("in.yaml", text, len, error);
}

static ppo_ydoc_t *parse(const char *text, GError **error)
{
    return parse_len(text, strlen(text), error);
}

/* Parse text that must be valid; aborts the test with libyaml's or the core's reason if not. */
static ppo_ydoc_t *parse_ok(const char *text)
{
    GError *error = NULL;
    ppo_ydoc_t *doc = parse(text, &error);
    ck_assert_msg(doc != NULL, "\"%s\" was refused: %s", text,
                  error != NULL ? error->message : "(no error)");
    return doc;
}

/* The text of scalar `key` in mapping `map`, or NULL. */
static const char *text_of(const ppo_ynode_t *map, const char *key)
{
    const ppo_ynode_t *n = ppo_ynode_get(map, key);
    if (n == NULL || n->kind != PPO_YNODE_SCALAR)
        return NULL;
    return n->text;
}


/* ---- empty and binary input ---- */

START_TEST(test_yaml_empty_text_gives_a_document_without_root)
{
    static const char *const empties[] = {"", "\n\n", "   \n", "# only a comment\n", NULL};
    for (const char *const *t = empties; *t != NULL; t++) {
        ppo_ydoc_t *doc = parse_ok(*t);
        ck_assert_msg(ppo_ydoc_root(doc) == NULL, "\"%s\" gave a root node", *t);
        ppo_ydoc_free(doc);
    }
    /* a document marker alone holds one empty (null) scalar */
    ppo_ydoc_t *doc = parse_ok("---\n");
    ck_assert(ppo_ynode_is_null(ppo_ydoc_root(doc)));
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_empty_file_gives_a_document_without_root)
{
    char *dir = ppo_test_tmpdir();
    char *path = g_build_filename(dir, "empty.yaml", NULL);
    ck_assert(g_file_set_contents(path, "", 0, NULL));
    GError *error = NULL;
    ppo_ydoc_t *doc = ppo_ydoc_load_file(path, &error);
    ck_assert_msg(doc != NULL, "empty file refused: %s", error != NULL ? error->message : "");
    ck_assert_ptr_null(ppo_ydoc_root(doc));
    ck_assert_str_eq(ppo_ydoc_source(doc), path);
    ppo_ydoc_free(doc);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_yaml_png_header_is_refused_as_binary_at_byte_0)
{
    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    GError *error = NULL;
    ck_assert_ptr_null(ppo_ydoc_parse("logo.png", png, sizeof png - 1, &error));
    check_error(&error, 2, "logo.png: ", "not a YAML text", "at byte 0", "binary file", NULL);
}
END_TEST

START_TEST(test_yaml_nul_bytes_are_refused_with_their_offset)
{
    static const char only_nuls[] = "\0\0\0\0\0\0\0\0";
    GError *error = NULL;
    ck_assert_ptr_null(parse_len(only_nuls, sizeof only_nuls - 1, &error));
    check_error(&error, 2, "in.yaml: ", "not a YAML text", "control characters", "at byte 0", NULL);

    static const char inner_nul[] = "a: 1\0b: 2\n";
    ck_assert_ptr_null(parse_len(inner_nul, sizeof inner_nul - 1, &error));
    check_error(&error, 2, "in.yaml: ", "not a YAML text", "at byte 4", NULL);
}
END_TEST

START_TEST(test_yaml_random_bytes_are_refused_without_crashing)
{
    /* 200 buffers from a fixed seed; none is YAML, each must end in one error naming the input */
    GRand *rand = g_rand_new_with_seed(20240611);
    char buf[700];
    for (int round = 0; round < 200; round++) {
        const size_t len = 1 + (size_t)g_rand_int_range(rand, 0, sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)g_rand_int_range(rand, 0, 256);
        /* a leading 0xff/0xfe/0xef could be a byte-order mark: keep the first byte binary */
        buf[0] = (char)0x80;
        GError *error = NULL;
        ppo_ydoc_t *doc = ppo_ydoc_parse("noise.bin", buf, len, &error);
        ck_assert_msg(doc == NULL, "round %d: %zu random bytes parsed as YAML", round, len);
        check_error(&error, 2, "noise.bin: ", "not a YAML text", NULL);
    }
    g_rand_free(rand);
}
END_TEST

/* ---- syntax errors: libyaml's two marks, made 1-based ---- */

START_TEST(test_yaml_unclosed_bracket_reports_problem_and_context_positions)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("a: [1, 2\nb: 3\n", &error));
    check_error(&error, 2, "in.yaml:2:2: ", "did not find expected ',' or ']'",
                "while parsing a flow sequence at line 1, column 4", NULL);

    ck_assert_ptr_null(parse("env: {plugin: cartpole\nppo: {}\n", &error));
    check_error(&error, 2, "in.yaml:2:4: ", "while parsing a flow mapping at line 1, column 6",
                NULL);
}
END_TEST

START_TEST(test_yaml_bad_indentation_reports_position)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("a:\n  b: 1\n c: 2\n", &error));
    check_error(&error, 2, "in.yaml:3:2: ", "did not find expected key",
                "while parsing a block mapping at line 1, column 1", NULL);

    ck_assert_ptr_null(parse("a: 1\n  b: 2\n", &error));
    check_error(&error, 2, "in.yaml:2:4: ", "mapping values are not allowed", NULL);
}
END_TEST

START_TEST(test_yaml_tab_indentation_reports_position)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("a:\n\tb: 1\n", &error));
    check_error(&error, 2, "in.yaml:2:1: ", "found character that cannot start any token", NULL);
}
END_TEST

/* A tab in the indentation is named as a tab, with the fix (indent with spaces). */
START_TEST(test_yaml_tab_indentation_message_says_tab_and_spaces)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("a:\n\tb: 1\n", &error));
    check_error(&error, 2, "in.yaml:2:1: ", "tab", "spaces", NULL);
}
END_TEST

/* ---- duplicate keys ---- */

START_TEST(test_yaml_duplicate_key_in_top_block_mapping_names_key_and_first_line)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("a: 1\nb: 2\na: 3\n", &error));
    check_error(&error, 2, "in.yaml:3:1: ", "duplicate key \"a\"", "first at line 1", NULL);
}
END_TEST

START_TEST(test_yaml_duplicate_key_in_top_flow_mapping_names_key_and_first_line)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("{a: 1, b: 2, a: 3}\n", &error));
    check_error(&error, 2, "in.yaml:1:14: ", "duplicate key \"a\"", "first at line 1", NULL);
}
END_TEST

START_TEST(test_yaml_duplicate_key_in_nested_block_mapping_names_key_and_first_line)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("top:\n  x: 1\n  y: 2\n  x: 3\nother: 4\n", &error));
    check_error(&error, 2, "in.yaml:4:3: ", "duplicate key \"x\"", "first at line 2", NULL);

    /* in a mapping inside a list */
    ck_assert_ptr_null(parse("items:\n  - name: a\n    size: 1\n    name: b\n", &error));
    check_error(&error, 2, "in.yaml:4:5: ", "duplicate key \"name\"", "first at line 2", NULL);
}
END_TEST

START_TEST(test_yaml_duplicate_key_in_nested_flow_mapping_names_key_and_first_line)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("first: 0\ntop: {x: 1,\n  x: 2}\n", &error));
    check_error(&error, 2, "in.yaml:3:3: ", "duplicate key \"x\"", "first at line 2", NULL);
}
END_TEST

START_TEST(test_yaml_quoted_and_plain_spellings_of_a_key_are_duplicates)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("seed: 1\n\"seed\": 2\n", &error));
    check_error(&error, 2, "in.yaml:2:1: ", "duplicate key \"seed\"", "first at line 1", NULL);
}
END_TEST

START_TEST(test_yaml_same_key_in_different_mappings_is_not_a_duplicate)
{
    ppo_ydoc_t *doc = parse_ok("a: {x: 1}\nb:\n  x: 2\n");
    const ppo_ynode_t *root = ppo_ydoc_root(doc);
    ck_assert_str_eq(text_of(ppo_ynode_get(root, "a"), "x"), "1");
    ck_assert_str_eq(text_of(ppo_ynode_get(root, "b"), "x"), "2");
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_non_scalar_key_is_refused)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("? [a, b]\n: 1\n", &error));
    check_error(&error, 2, "in.yaml:1:3: ", "mapping keys must be plain names", "a list", NULL);
}
END_TEST

/* ---- documents ---- */

START_TEST(test_yaml_second_document_is_refused_at_its_marker)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("a: 1\n---\nb: 2\n", &error));
    check_error(&error, 2, "in.yaml:2:1: ", "second YAML document", "remove '---'", NULL);

    /* an explicit start of the one document is fine */
    ppo_ydoc_t *doc = parse_ok("---\na: 1\n...\n");
    ck_assert_str_eq(text_of(ppo_ydoc_root(doc), "a"), "1");
    ppo_ydoc_free(doc);
}
END_TEST

/* ---- expansion bounds ---- */

START_TEST(test_yaml_alias_bomb_is_refused_quickly)
{
    /* "billion laughs": nine levels of nine aliases would expand to 9^9 nodes */
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    GError *error = NULL;
    const gint64 start = g_get_monotonic_time();
    ck_assert_ptr_null(parse(bomb, &error));
    const double seconds = (double)(g_get_monotonic_time() - start) / 1e6;
    ck_assert_msg(seconds < 1.0, "the alias bomb took %.2f s to refuse", seconds);
    /* the total passes 100000 nodes in the sixth line (e: 66430 nodes so far, f: 597871) */
    check_error(&error, 2, "in.yaml:6:", "expands to more than 100000 nodes", "aliases", NULL);
}
END_TEST

START_TEST(test_yaml_aliases_within_the_bound_share_their_anchor)
{
    ppo_ydoc_t *doc = parse_ok("hidden: &h [64, 64]\npi: *h\nvf: *h\n");
    const ppo_ynode_t *root = ppo_ydoc_root(doc);
    const ppo_ynode_t *pi = ppo_ynode_get(root, "pi");
    ck_assert_ptr_nonnull(pi);
    ck_assert_int_eq(pi->kind, PPO_YNODE_SEQUENCE);
    ck_assert_uint_eq(pi->n_items, 2);
    ck_assert_str_eq(pi->values[1]->text, "64");
    ck_assert_ptr_eq(pi, ppo_ynode_get(root, "vf"));
    ppo_ydoc_free(doc);
}
END_TEST

/* `n` copies of `open`, then `middle`, then `n` copies of `close` (transfer full). */
static char *nest(int n, const char *open, const char *middle, const char *close)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < n; i++)
        g_string_append(s, open);
    g_string_append(s, middle);
    for (int i = 0; i < n; i++)
        g_string_append(s, close);
    return g_string_free(s, FALSE);
}

START_TEST(test_yaml_flow_sequences_10000_deep_are_refused_at_level_65)
{
    char *text = nest(10000, "[", "x", "]");
    GError *error = NULL;
    ck_assert_ptr_null(parse(text, &error));
    check_error(&error, 2, "in.yaml:1:65: ", "nesting deeper than 64 levels", NULL);
    g_free(text);
}
END_TEST

START_TEST(test_yaml_flow_mappings_10000_deep_are_refused_at_level_65)
{
    char *text = nest(10000, "{a: ", "x", "}");
    GError *error = NULL;
    ck_assert_ptr_null(parse(text, &error));
    check_error(&error, 2, "in.yaml:1:257: ", "nesting deeper than 64 levels", NULL);
    g_free(text);
}
END_TEST

START_TEST(test_yaml_block_sequences_10000_deep_are_refused_at_level_65)
{
    char *text = nest(10000, "- ", "x\n", "");
    GError *error = NULL;
    ck_assert_ptr_null(parse(text, &error));
    check_error(&error, 2, "in.yaml:1:129: ", "nesting deeper than 64 levels", NULL);
    g_free(text);
}
END_TEST

START_TEST(test_yaml_block_mappings_deeper_than_64_are_refused_at_level_65)
{
    /* k:\n  k:\n    k: ... : line i is indented by 2(i-1) spaces */
    GString *s = g_string_new(NULL);
    for (int i = 0; i < 200; i++)
        g_string_append_printf(s, "%*sk:\n", 2 * i, "");
    GError *error = NULL;
    ck_assert_ptr_null(parse(s->str, &error));
    check_error(&error, 2, "in.yaml:65:129: ", "nesting deeper than 64 levels", NULL);
    g_string_free(s, TRUE);
}
END_TEST

START_TEST(test_yaml_nesting_64_deep_is_accepted)
{
    char *text = nest(64, "[", "x", "]");
    ppo_ydoc_t *doc = parse_ok(text);
    const ppo_ynode_t *n = ppo_ydoc_root(doc);
    int depth = 0;
    while (n->kind == PPO_YNODE_SEQUENCE) {
        ck_assert_uint_eq(n->n_items, 1);
        n = n->values[0];
        depth++;
    }
    ck_assert_int_eq(depth, 64);
    ck_assert_str_eq(n->text, "x");
    ppo_ydoc_free(doc);
    g_free(text);
}
END_TEST

START_TEST(test_yaml_nesting_through_aliases_is_bounded)
{
    /* 63 levels under `a`, then two more levels around an alias of it */
    GString *s = g_string_new("a: &a ");
    char *deep = nest(63, "[", "x", "]");
    g_string_append(s, deep);
    g_string_append(s, "\nb: [[*a]]\n");
    GError *error = NULL;
    ck_assert_ptr_null(parse(s->str, &error));
    check_error(&error, 2, "in.yaml:2:", "nesting deeper than 64 levels", NULL);
    g_string_free(s, TRUE);
    g_free(deep);
}
END_TEST

START_TEST(test_yaml_file_larger_than_limit_is_refused_before_reading)
{
    char *dir = ppo_test_tmpdir();
    char *path = g_build_filename(dir, "huge.yaml", NULL);
    int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)PPO_YAML_MAX_BYTES + 1), 0);
    close(fd);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_ydoc_load_file(path, &error));
    char *prefix = g_strdup_printf("%s: ", path);
    check_error(&error, 2, prefix, "too large for a pipeline", NULL);
    g_free(prefix);
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_yaml_missing_file_and_directory_are_refused_naming_them)
{
    char *dir = ppo_test_tmpdir();
    char *missing = g_build_filename(dir, "nope.yaml", NULL);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_ydoc_load_file(missing, &error));
    char *prefix = g_strdup_printf("%s: ", missing);
    check_error(&error, 2, prefix, "No such file", "check the path", NULL);
    g_free(prefix);

    ck_assert_ptr_null(ppo_ydoc_load_file(dir, &error));
    prefix = g_strdup_printf("%s: ", dir);
    check_error(&error, 2, prefix, "not a regular file", "directory", NULL);
    g_free(prefix);
    ppo_test_rm_tree(dir);
    g_free(missing);
    g_free(dir);
}
END_TEST

/* ---- merge keys, aliases and tags ---- */

START_TEST(test_yaml_merge_key_fills_in_and_explicit_keys_win)
{
    ppo_ydoc_t *doc = parse_ok("base: &base {a: 1, b: 2}\n"
                               "derived:\n"
                               "  <<: *base\n"
                               "  b: 3\n"
                               "  c: 4\n");
    const ppo_ynode_t *root = ppo_ydoc_root(doc);
    const ppo_ynode_t *derived = ppo_ynode_get(root, "derived");
    ck_assert_ptr_nonnull(derived);
    ck_assert_uint_eq(derived->n_items, 3);
    ck_assert_str_eq(text_of(derived, "a"), "1");
    ck_assert_str_eq(text_of(derived, "b"), "3");
    ck_assert_str_eq(text_of(derived, "c"), "4");
    ck_assert_ptr_null(ppo_ynode_get(derived, "<<"));
    /* the anchored mapping itself is unchanged */
    const ppo_ynode_t *base = ppo_ynode_get(root, "base");
    ck_assert_uint_eq(base->n_items, 2);
    ck_assert_str_eq(text_of(base, "b"), "2");
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_merge_key_explicit_key_wins_even_when_written_first)
{
    ppo_ydoc_t *doc = parse_ok("base: &base {lr: 0.1, eps: 1e-5}\n"
                               "opt: {lr: 0.5, <<: *base}\n");
    const ppo_ynode_t *opt = ppo_ynode_get(ppo_ydoc_root(doc), "opt");
    ck_assert_str_eq(text_of(opt, "lr"), "0.5");
    ck_assert_str_eq(text_of(opt, "eps"), "1e-5");
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_merge_of_a_list_gives_earlier_mappings_precedence)
{
    ppo_ydoc_t *doc = parse_ok("one: &one {a: 1, b: 1}\n"
                               "two: &two {b: 2, c: 2}\n"
                               "m:\n"
                               "  <<: [*one, *two]\n"
                               "  d: 4\n");
    const ppo_ynode_t *m = ppo_ynode_get(ppo_ydoc_root(doc), "m");
    ck_assert_uint_eq(m->n_items, 4);
    ck_assert_str_eq(text_of(m, "a"), "1");
    ck_assert_str_eq(text_of(m, "b"), "1");
    ck_assert_str_eq(text_of(m, "c"), "2");
    ck_assert_str_eq(text_of(m, "d"), "4");
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_merge_of_a_scalar_is_refused)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("x: &x 5\nm:\n  <<: *x\n", &error));
    check_error(&error, 2, "in.yaml:", "merge key (<<)", "mapping", NULL);
}
END_TEST

START_TEST(test_yaml_unknown_alias_is_refused_at_its_position)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("a: 1\nb: *nope\n", &error));
    check_error(&error, 2, "in.yaml:2:4: ", "unknown alias *nope", NULL);

    /* an alias may not refer forward */
    ck_assert_ptr_null(parse("b: *later\na: &later 1\n", &error));
    check_error(&error, 2, "in.yaml:1:4: ", "unknown alias *later", NULL);
}
END_TEST

START_TEST(test_yaml_unsupported_tags_are_refused_naming_the_tag)
{
    GError *error = NULL;
    ck_assert_ptr_null(parse("a: 1\ncmd: !!python/object:os.system ls\n", &error));
    check_error(&error, 2, "in.yaml:2:6: ", "unsupported tag",
                "tag:yaml.org,2002:python/object:os.system", "remove it", NULL);

    ck_assert_ptr_null(parse("path: !env HOME\n", &error));
    check_error(&error, 2, "in.yaml:1:7: ", "unsupported tag \"!env\"", "remove it", NULL);

    ck_assert_ptr_null(parse("blob: !!binary aGVsbG8=\n", &error));
    check_error(&error, 2, "in.yaml:1:7: ", "unsupported tag", "binary", NULL);
}
END_TEST

START_TEST(test_yaml_standard_str_tag_makes_a_quoted_scalar)
{
    ppo_ydoc_t *doc = parse_ok("a: !!str 5\nb: 5\n");
    const ppo_ynode_t *root = ppo_ydoc_root(doc);
    ck_assert(!ppo_ynode_get(root, "a")->plain);
    ck_assert(ppo_ynode_get(root, "b")->plain);
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_node_positions_are_one_based)
{
    ppo_ydoc_t *doc = parse_ok("top:\n  key: value\n  list: [1, 22]\n");
    const ppo_ynode_t *top = ppo_ynode_get(ppo_ydoc_root(doc), "top");
    const ppo_ynode_t *value = ppo_ynode_get(top, "key");
    ck_assert_uint_eq(value->mark.line, 2);
    ck_assert_uint_eq(value->mark.col, 8);
    const ppo_ynode_t *key = ppo_ynode_get_key(top, "key");
    ck_assert_uint_eq(key->mark.line, 2);
    ck_assert_uint_eq(key->mark.col, 3);
    const ppo_ynode_t *list = ppo_ynode_get(top, "list");
    ck_assert_uint_eq(list->values[1]->mark.line, 3);
    ck_assert_uint_eq(list->values[1]->mark.col, 13);
    char *where = ppo_mark_format(value->mark);
    ck_assert_str_eq(where, "in.yaml:2:8");
    g_free(where);
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_describe_escapes_control_bytes_and_cuts_long_scalars)
{
    ppo_ydoc_t *doc = parse_ok("a: \"x\\ty\\u0001\\\"\"\n"
                               "b: 0123456789012345678901234567890123456789tail\n");
    const ppo_ynode_t *root = ppo_ydoc_root(doc);
    char *a = ppo_ynode_describe(ppo_ynode_get(root, "a"));
    ck_assert_str_eq(a, "\"x\\x09y\\x01\\\"\"");
    char *b = ppo_ynode_describe(ppo_ynode_get(root, "b"));
    ck_assert_str_eq(b, "\"0123456789012345678901234567890123456789...\"");
    g_free(a);
    g_free(b);
    ppo_ydoc_free(doc);
}
END_TEST

/* ---- --set path editing ---- */

START_TEST(test_yaml_set_path_does_not_change_an_aliased_node_elsewhere)
{
    ppo_ydoc_t *doc = parse_ok("base: &b {x: 1, y: 2}\n"
                               "a: *b\n"
                               "c: *b\n");
    GError *error = NULL;
    ppo_ynode_t *v = ppo_ydoc_parse_value(doc, "--set a.x=5", "5", &error);
    ck_assert_msg(v != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_msg(ppo_ydoc_set_path(doc, "a.x", v, "--set a.x=5", &error), "%s",
                  error != NULL ? error->message : "");
    const ppo_ynode_t *root = ppo_ydoc_root(doc);
    ck_assert_str_eq(text_of(ppo_ynode_get(root, "a"), "x"), "5");
    ck_assert_str_eq(text_of(ppo_ynode_get(root, "a"), "y"), "2");
    ck_assert_str_eq(text_of(ppo_ynode_get(root, "base"), "x"), "1");
    ck_assert_str_eq(text_of(ppo_ynode_get(root, "c"), "x"), "1");
    /* the new value carries the --set source, not a file position */
    char *where = ppo_mark_format(ppo_ynode_get(ppo_ynode_get(root, "a"), "x")->mark);
    ck_assert_str_eq(where, "--set a.x=5");
    g_free(where);
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_set_path_through_merged_mapping_keeps_the_merge_source)
{
    ppo_ydoc_t *doc = parse_ok("base: &b {inner: {x: 1}}\n"
                               "m:\n"
                               "  <<: *b\n");
    GError *error = NULL;
    ppo_ynode_t *v = ppo_ydoc_parse_value(doc, "--set m.inner.x=9", "9", &error);
    ck_assert_ptr_nonnull(v);
    ck_assert(ppo_ydoc_set_path(doc, "m.inner.x", v, "--set m.inner.x=9", &error));
    const ppo_ynode_t *root = ppo_ydoc_root(doc);
    ck_assert_str_eq(text_of(ppo_ynode_get(ppo_ynode_get(root, "m"), "inner"), "x"), "9");
    ck_assert_str_eq(text_of(ppo_ynode_get(ppo_ynode_get(root, "base"), "inner"), "x"), "1");
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_set_path_creates_missing_mappings_and_an_empty_root)
{
    ppo_ydoc_t *doc = parse_ok("");
    GError *error = NULL;
    ppo_ynode_t *v = ppo_ydoc_parse_value(doc, "--set a.b.c=[1, 2]", "[1, 2]", &error);
    ck_assert_ptr_nonnull(v);
    ck_assert(ppo_ydoc_set_path(doc, "a.b.c", v, "--set a.b.c=[1, 2]", &error));
    const ppo_ynode_t *c =
        ppo_ynode_get(ppo_ynode_get(ppo_ynode_get(ppo_ydoc_root(doc), "a"), "b"), "c");
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->kind, PPO_YNODE_SEQUENCE);
    ck_assert_uint_eq(c->n_items, 2);
    ck_assert_str_eq(c->values[1]->text, "2");
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_set_path_through_a_scalar_names_the_key_and_its_position)
{
    ppo_ydoc_t *doc = parse_ok("env:\n  plugin: cartpole\n");
    GError *error = NULL;
    ppo_ynode_t *v = ppo_ydoc_parse_value(doc, "--set env.plugin.x=1", "1", &error);
    ck_assert_ptr_nonnull(v);
    ck_assert(!ppo_ydoc_set_path(doc, "env.plugin.x", v, "--set env.plugin.x=1", &error));
    check_error(&error, 2, "--set env.plugin.x=1: ", "env.plugin is not a mapping", "in.yaml:2:11",
                "\"env.plugin.x\" cannot be set", NULL);
    /* the document is unchanged */
    ck_assert_str_eq(text_of(ppo_ynode_get(ppo_ydoc_root(doc), "env"), "plugin"), "cartpole");
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_set_path_with_an_empty_segment_is_refused)
{
    ppo_ydoc_t *doc = parse_ok("a: 1\n");
    GError *error = NULL;
    ppo_ynode_t *v = ppo_ydoc_parse_value(doc, "--set a..b=1", "1", &error);
    ck_assert_ptr_nonnull(v);
    ck_assert(!ppo_ydoc_set_path(doc, "a..b", v, "--set a..b=1", &error));
    check_error(&error, 2, "--set a..b=1: ", "\"a..b\" is not a key path", "ppo.clip", NULL);
    ck_assert(!ppo_ydoc_set_path(doc, ".a", v, "--set .a=1", &error));
    check_error(&error, 2, "--set .a=1: ", "is not a key path", NULL);
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_set_value_that_is_not_yaml_names_the_override)
{
    ppo_ydoc_t *doc = parse_ok("a: 1\n");
    GError *error = NULL;
    ck_assert_ptr_null(ppo_ydoc_parse_value(doc, "--set a=[1, 2", "[1, 2", &error));
    check_error(&error, 2, "--set a=[1, 2: ", "not valid YAML", NULL);
    ck_assert_ptr_null(ppo_ydoc_parse_value(doc, "--set a=*x", "*x", &error));
    check_error(&error, 2, "--set a=*x: ", "unknown alias", NULL);
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_yaml_set_empty_value_is_null)
{
    ppo_ydoc_t *doc = parse_ok("a: 1\n");
    GError *error = NULL;
    ppo_ynode_t *v = ppo_ydoc_parse_value(doc, "--set a=", "", &error);
    ck_assert_ptr_nonnull(v);
    ck_assert(ppo_ynode_is_null(v));
    ppo_ydoc_free(doc);
}
END_TEST

static Suite *yaml_suite(void)
{
    Suite *s = suite_create("ppo_yaml");
    TCase *tc = tcase_create("input");
    tcase_add_test(tc, test_yaml_empty_text_gives_a_document_without_root);
    tcase_add_test(tc, test_yaml_empty_file_gives_a_document_without_root);
    tcase_add_test(tc, test_yaml_png_header_is_refused_as_binary_at_byte_0);
    tcase_add_test(tc, test_yaml_nul_bytes_are_refused_with_their_offset);
    tcase_add_test(tc, test_yaml_random_bytes_are_refused_without_crashing);
    tcase_add_test(tc, test_yaml_file_larger_than_limit_is_refused_before_reading);
    tcase_add_test(tc, test_yaml_missing_file_and_directory_are_refused_naming_them);
    suite_add_tcase(s, tc);

    tc = tcase_create("syntax");
    tcase_add_test(tc, test_yaml_unclosed_bracket_reports_problem_and_context_positions);
    tcase_add_test(tc, test_yaml_bad_indentation_reports_position);
    tcase_add_test(tc, test_yaml_tab_indentation_reports_position);
    tcase_add_test(tc, test_yaml_tab_indentation_message_says_tab_and_spaces);
    tcase_add_test(tc, test_yaml_second_document_is_refused_at_its_marker);
    tcase_add_test(tc, test_yaml_node_positions_are_one_based);
    tcase_add_test(tc, test_yaml_describe_escapes_control_bytes_and_cuts_long_scalars);
    suite_add_tcase(s, tc);

    tc = tcase_create("keys");
    tcase_add_test(tc, test_yaml_duplicate_key_in_top_block_mapping_names_key_and_first_line);
    tcase_add_test(tc, test_yaml_duplicate_key_in_top_flow_mapping_names_key_and_first_line);
    tcase_add_test(tc, test_yaml_duplicate_key_in_nested_block_mapping_names_key_and_first_line);
    tcase_add_test(tc, test_yaml_duplicate_key_in_nested_flow_mapping_names_key_and_first_line);
    tcase_add_test(tc, test_yaml_quoted_and_plain_spellings_of_a_key_are_duplicates);
    tcase_add_test(tc, test_yaml_same_key_in_different_mappings_is_not_a_duplicate);
    tcase_add_test(tc, test_yaml_non_scalar_key_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("bounds");
    tcase_add_test(tc, test_yaml_alias_bomb_is_refused_quickly);
    tcase_add_test(tc, test_yaml_aliases_within_the_bound_share_their_anchor);
    tcase_add_test(tc, test_yaml_flow_sequences_10000_deep_are_refused_at_level_65);
    tcase_add_test(tc, test_yaml_flow_mappings_10000_deep_are_refused_at_level_65);
    tcase_add_test(tc, test_yaml_block_sequences_10000_deep_are_refused_at_level_65);
    tcase_add_test(tc, test_yaml_block_mappings_deeper_than_64_are_refused_at_level_65);
    tcase_add_test(tc, test_yaml_nesting_64_deep_is_accepted);
    tcase_add_test(tc, test_yaml_nesting_through_aliases_is_bounded);
    suite_add_tcase(s, tc);

    tc = tcase_create("aliases_merges_tags");
    tcase_add_test(tc, test_yaml_merge_key_fills_in_and_explicit_keys_win);
    tcase_add_test(tc, test_yaml_merge_key_explicit_key_wins_even_when_written_first);
    tcase_add_test(tc, test_yaml_merge_of_a_list_gives_earlier_mappings_precedence);
    tcase_add_test(tc, test_yaml_merge_of_a_scalar_is_refused);
    tcase_add_test(tc, test_yaml_unknown_alias_is_refused_at_its_position);
    tcase_add_test(tc, test_yaml_unsupported_tags_are_refused_naming_the_tag);
    tcase_add_test(tc, test_yaml_standard_str_tag_makes_a_quoted_scalar);
    suite_add_tcase(s, tc);

    tc = tcase_create("set_path");
    tcase_add_test(tc, test_yaml_set_path_does_not_change_an_aliased_node_elsewhere);
    tcase_add_test(tc, test_yaml_set_path_through_merged_mapping_keeps_the_merge_source);
    tcase_add_test(tc, test_yaml_set_path_creates_missing_mappings_and_an_empty_root);
    tcase_add_test(tc, test_yaml_set_path_through_a_scalar_names_the_key_and_its_position);
    tcase_add_test(tc, test_yaml_set_path_with_an_empty_segment_is_refused);
    tcase_add_test(tc, test_yaml_set_value_that_is_not_yaml_names_the_override);
    tcase_add_test(tc, test_yaml_set_empty_value_is_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(yaml_suite());
}
