/* ppofw tests — core/ppo_params.c: schema validation of parameter blocks and of schemas.
 *
 * A hand-written schema with every type, nullable values and each kind of range (inclusive and
 * exclusive, min only, max only) is fed good and bad YAML. Each refusal is checked for its exit
 * code (2) and for the message shape "file:line:col: section.key: expected ..., got ...", with the
 * hint where one is due (nearest spelling, the list syntax, quotes). Schemas themselves are
 * checked by ppo_schema_check (exit 3: the plugin's fault). ppo_params_to_flow and
 * ppo_params_hash are checked for stability. What it leaves out: the pipeline's own tables
 * (test_ppo_pipeline.c) and YAML syntax (test_ppo_yaml.c).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "ppo_params_private.h"
#include "ppo_test.h"

#define SPEC PPO_PARAM_SPEC_INIT

static const char *const activations[] = {"tanh", "relu", "identity", NULL};

/* The test schema: one parameter per type and per kind of range; `steps` is required. */
static const ppo_param_spec_t specs[] = {
    {SPEC, .name = "count", .type = PPO_PARAM_INT, .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
     .min = 1, .max = 10, .default_value = "3", .doc = "inclusive range"},
    {SPEC, .name = "rate", .type = PPO_PARAM_DOUBLE,
     .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE | PPO_PARAM_HAS_MAX, .min = 0, .max = 1,
     .default_value = "0.5", .doc = "(0, 1]"},
    {SPEC, .name = "scale", .type = PPO_PARAM_DOUBLE, .flags = PPO_PARAM_HAS_MIN, .min = 0,
     .default_value = "1.0", .doc = "min only, inclusive"},
    {SPEC, .name = "margin", .type = PPO_PARAM_DOUBLE,
     .flags = PPO_PARAM_HAS_MAX | PPO_PARAM_MAX_EXCLUSIVE, .max = 5, .default_value = "0",
     .doc = "max only, exclusive"},
    {SPEC, .name = "limit", .type = PPO_PARAM_INT, .flags = PPO_PARAM_HAS_MAX | PPO_PARAM_NULLABLE,
     .max = 100, .default_value = "null", .doc = "max only, inclusive, nullable"},
    {SPEC, .name = "verbose", .type = PPO_PARAM_BOOL, .default_value = "false", .doc = "bool"},
    {SPEC, .name = "label", .type = PPO_PARAM_STRING, .flags = PPO_PARAM_NULLABLE,
     .default_value = "null", .doc = "nullable string"},
    {SPEC, .name = "activation", .type = PPO_PARAM_ENUM, .choices = activations,
     .default_value = "tanh", .doc = "enum"},
    {SPEC, .name = "hidden", .type = PPO_PARAM_INT_LIST,
     .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_NONEMPTY, .min = 1, .max = 4096,
     .default_value = "[64, 64]", .doc = "non-empty int list"},
    {SPEC, .name = "weights", .type = PPO_PARAM_DOUBLE_LIST,
     .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX, .min = -1, .max = 1, .default_value = "[]",
     .doc = "double list"},
    {SPEC, .name = "steps", .type = PPO_PARAM_INT, .flags = PPO_PARAM_HAS_MIN, .min = 1,
     .doc = "required"},
};
#define N_SPECS ((uint32_t)G_N_ELEMENTS(specs))

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

/* A document and the block built from its root (the marks point into the document). */
typedef struct {
    ppo_ydoc_t *doc;
    ppo_params_t *params;
} built_t;

static void built_free(built_t *b)
{
    ppo_params_free(b->params);
    ppo_ydoc_free(b->doc);
}

/* Parse text that must be YAML, named p.yaml (transfer full). */
static ppo_ydoc_t *parse_doc(const char *text)
{
    GError *error = NULL;
    ppo_ydoc_t *doc = ppo_ydoc_parse("p.yaml", text, strlen(text), &error);
    ck_assert_msg(doc != NULL, "test YAML \"%s\" is not YAML: %s", text,
                  error != NULL ? error->message : "");
    return doc;
}

/* Build the test schema from `text` (named p.yaml, section "blk"); *error set on refusal. */
static built_t build(const char *text, GError **error)
{
    built_t b = {NULL, NULL};
    GError *local = NULL;
    b.doc = ppo_ydoc_parse("p.yaml", text, strlen(text), &local);
    ck_assert_msg(b.doc != NULL, "test YAML \"%s\" is not YAML: %s", text,
                  local != NULL ? local->message : "");
    b.params = ppo_params_build(specs, N_SPECS, ppo_ydoc_root(b.doc), "blk", NULL, NULL, error);
    return b;
}

/* Build text that must be accepted. */
static built_t build_ok(const char *text)
{
    GError *error = NULL;
    built_t b = build(text, &error);
    ck_assert_msg(b.params != NULL, "\"%s\" was refused: %s", text,
                  error != NULL ? error->message : "(no error)");
    return b;
}

/* Fail unless `text` is refused with a message starting with `prefix` and containing each of
 * the NULL-terminated parts that follow. */
static void expect_refused(const char *text, const char *prefix, ...)
{
    GError *error = NULL;
    built_t b = build(text, &error);
    ck_assert_msg(b.params == NULL, "\"%s\" was accepted", text);
    ck_assert_msg(error != NULL, "\"%s\" was refused without an error", text);
    const char *msg = error->message;
    ck_assert_msg(ppo_error_exit_code(error) == 2, "exit code %d for \"%s\"",
                  ppo_error_exit_code(error), msg);
    ck_assert_msg(g_str_has_prefix(msg, prefix),
                  "\"%s\": message \"%s\" does not start with \"%s\"", text, msg, prefix);
    va_list ap;
    va_start(ap, prefix);
    for (const char *part = va_arg(ap, const char *); part != NULL; part = va_arg(ap, const char *))
        ck_assert_msg(strstr(msg, part) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", text, msg,
                      part);
    va_end(ap);
    g_error_free(error);
    built_free(&b);
}

/* ---- every type ---- */

START_TEST(test_params_test_schema_passes_the_schema_check)
{
    ppo_param_spec_t *normalized = NULL;
    GError *error = NULL;
    ck_assert_msg(ppo_schema_check(specs, N_SPECS, "test", &normalized, &error), "%s",
                  error != NULL ? error->message : "");
    ck_assert_ptr_nonnull(normalized);
    for (uint32_t i = 0; i < N_SPECS; i++) {
        ck_assert_str_eq(normalized[i].name, specs[i].name);
        ck_assert_int_eq(normalized[i].type, specs[i].type);
        ck_assert_uint_eq(normalized[i].flags, specs[i].flags);
    }
    g_free(normalized);
}
END_TEST

START_TEST(test_params_every_type_reads_back_its_value_and_position)
{
    built_t b = build_ok("count: 7\n"
                         "rate: 0.25\n"
                         "scale: 0\n"
                         "margin: -3.5\n"
                         "limit: 100\n"
                         "verbose: true\n"
                         "label: hello world\n"
                         "activation: relu\n"
                         "hidden: [128, 32, 1]\n"
                         "weights: [-1, 0.5, 1]\n"
                         "steps: 1e6\n");
    const ppo_params_t *p = b.params;
    ck_assert_int_eq(ppo_params_get_int(p, "count"), 7);
    ck_assert_double_eq(ppo_params_get_double(p, "rate"), 0.25);
    ck_assert_double_eq(ppo_params_get_double(p, "scale"), 0.0);
    ck_assert_double_eq(ppo_params_get_double(p, "margin"), -3.5);
    ck_assert(!ppo_params_is_null(p, "limit"));
    ck_assert_int_eq(ppo_params_get_int(p, "limit"), 100);
    ck_assert(ppo_params_get_bool(p, "verbose"));
    ck_assert_str_eq(ppo_params_get_string(p, "label"), "hello world");
    ck_assert_str_eq(ppo_params_get_string(p, "activation"), "relu");
    ck_assert_int_eq(ppo_params_get_enum_index(p, "activation"), 1);
    const int64_t *hidden = NULL;
    ck_assert_uint_eq(ppo_params_get_int_list(p, "hidden", &hidden), 3);
    ck_assert_int_eq(hidden[0], 128);
    ck_assert_int_eq(hidden[1], 32);
    ck_assert_int_eq(hidden[2], 1);
    const double *weights = NULL;
    ck_assert_uint_eq(ppo_params_get_double_list(p, "weights", &weights), 3);
    ck_assert_double_eq(weights[0], -1.0);
    ck_assert_double_eq(weights[1], 0.5);
    ck_assert_double_eq(weights[2], 1.0);
    ck_assert_int_eq(ppo_params_get_int(p, "steps"), 1000000);
    ck_assert_str_eq(ppo_params_where(p, "steps"), "p.yaml:11:8");
    ck_assert_str_eq(ppo_params_where(p, "hidden"), "p.yaml:9:9");
    built_free(&b);
}
END_TEST

START_TEST(test_params_defaults_fill_missing_keys_and_are_marked_default)
{
    built_t b = build_ok("steps: 5\n");
    const ppo_params_t *p = b.params;
    ck_assert_int_eq(ppo_params_get_int(p, "count"), 3);
    ck_assert_double_eq(ppo_params_get_double(p, "rate"), 0.5);
    ck_assert_double_eq(ppo_params_get_double(p, "scale"), 1.0);
    ck_assert_double_eq(ppo_params_get_double(p, "margin"), 0.0);
    ck_assert(ppo_params_is_null(p, "limit"));
    ck_assert(!ppo_params_get_bool(p, "verbose"));
    ck_assert(ppo_params_is_null(p, "label"));
    ck_assert_ptr_null(ppo_params_get_string(p, "label"));
    ck_assert_str_eq(ppo_params_get_string(p, "activation"), "tanh");
    const int64_t *hidden = NULL;
    ck_assert_uint_eq(ppo_params_get_int_list(p, "hidden", &hidden), 2);
    ck_assert_int_eq(hidden[0], 64);
    ck_assert_int_eq(hidden[1], 64);
    const double *weights = (const double *)1;
    ck_assert_uint_eq(ppo_params_get_double_list(p, "weights", &weights), 0);
    ck_assert_ptr_null(weights);
    ck_assert_str_eq(ppo_params_where(p, "count"), "default");
    ck_assert_str_eq(ppo_params_where(p, "steps"), "p.yaml:1:8");
    built_free(&b);
}
END_TEST

START_TEST(test_params_null_is_accepted_only_where_nullable)
{
    built_t b = build_ok("steps: 1\nlimit: null\nlabel: ~\n");
    ck_assert(ppo_params_is_null(b.params, "limit"));
    ck_assert(ppo_params_is_null(b.params, "label"));
    built_free(&b);
    b = build_ok("steps: 1\nlimit:\n");
    ck_assert(ppo_params_is_null(b.params, "limit"));
    built_free(&b);

    expect_refused("steps: 1\ncount: null\n",
                   "p.yaml:2:8: blk.count: ", "expected an integer in [1, 10], got null", NULL);
    expect_refused("steps: ~\n", "p.yaml:1:8: blk.steps: ", "expected an integer >= 1, got null",
                   NULL);
    expect_refused("steps: 1\nhidden: null\n", "p.yaml:2:9: blk.hidden: ",
                   "expected a non-empty list of integers in [1, 4096], got null", NULL);
    /* a quoted "null" is a string, not null */
    b = build_ok("steps: 1\nlabel: \"null\"\n");
    ck_assert(!ppo_params_is_null(b.params, "label"));
    ck_assert_str_eq(ppo_params_get_string(b.params, "label"), "null");
    built_free(&b);
}
END_TEST

/* ---- ranges ---- */

START_TEST(test_params_inclusive_bounds_accept_the_bound_and_refuse_beyond)
{
    built_t b = build_ok("steps: 1\ncount: 1\nscale: 0\nlimit: 100\nrate: 1\n");
    ck_assert_int_eq(ppo_params_get_int(b.params, "count"), 1);
    ck_assert_double_eq(ppo_params_get_double(b.params, "rate"), 1.0);
    built_free(&b);
    b = build_ok("steps: 1\ncount: 10\nlimit: -5\n");
    ck_assert_int_eq(ppo_params_get_int(b.params, "limit"), -5);
    built_free(&b);

    expect_refused("steps: 1\ncount: 0\n", "p.yaml:2:8: blk.count: ",
                   "expected an integer in [1, 10], got \"0\" (out of range)", NULL);
    expect_refused("steps: 1\ncount: 11\n", "p.yaml:2:8: blk.count: ",
                   "expected an integer in [1, 10], got \"11\" (out of range)", NULL);
    expect_refused("steps: 1\nscale: -0.001\n", "p.yaml:2:8: blk.scale: ",
                   "expected a number >= 0, got \"-0.001\" (out of range)", NULL);
    expect_refused("steps: 1\nlimit: 101\n", "p.yaml:2:8: blk.limit: ",
                   "expected an integer <= 100, or null, got \"101\" (out of range)", NULL);
    expect_refused("steps: 1\nrate: 1.0000001\n", "p.yaml:2:7: blk.rate: ",
                   "expected a number in (0, 1], got \"1.0000001\" (out of range)", NULL);
}
END_TEST

START_TEST(test_params_exclusive_bounds_refuse_the_bound)
{
    built_t b = build_ok("steps: 1\nrate: 1e-300\nmargin: 4.999\n");
    ck_assert_double_eq(ppo_params_get_double(b.params, "margin"), 4.999);
    built_free(&b);

    expect_refused("steps: 1\nrate: 0\n", "p.yaml:2:7: blk.rate: ",
                   "expected a number in (0, 1], got \"0\" (out of range)", NULL);
    expect_refused("steps: 1\nrate: -0.0\n", "p.yaml:2:7: blk.rate: ",
                   "expected a number in (0, 1], got \"-0.0\" (out of range)", NULL);
    expect_refused("steps: 1\nmargin: 5\n",
                   "p.yaml:2:9: blk.margin: ", "expected a number < 5, got \"5\" (out of range)",
                   NULL);
    expect_refused("steps: 0\n",
                   "p.yaml:1:8: blk.steps: ", "expected an integer >= 1, got \"0\" (out of range)",
                   NULL);
    expect_refused("steps: -12\n", "p.yaml:1:8: blk.steps: ",
                   "expected an integer >= 1, got \"-12\" (out of range)", NULL);
}
END_TEST

START_TEST(test_params_numbers_too_large_to_represent_are_refused_as_such)
{
    expect_refused("steps: 1\nscale: 1e400\n", "p.yaml:2:8: blk.scale: ",
                   "expected a number >= 0, got \"1e400\" (too large to represent)", NULL);
    expect_refused("steps: 1\nmargin: -1e400\n",
                   "p.yaml:2:9: blk.margin: ", "got \"-1e400\" (too large to represent)", NULL);
    expect_refused("steps: 1e400\n", "p.yaml:1:8: blk.steps: ",
                   "expected an integer >= 1, got \"1e400\" (too large to represent)", NULL);
    expect_refused("steps: 99999999999999999999\n", "p.yaml:1:8: blk.steps: ",
                   "got \"99999999999999999999\" (too large to represent)", NULL);
    expect_refused("steps: 1e19\n",
                   "p.yaml:1:8: blk.steps: ", "got \"1e19\" (too large to represent)", NULL);
    expect_refused("steps: 1\nweights: [0, 1e400]\n",
                   "p.yaml:2:14: blk.weights[1]: ", "got \"1e400\" (too large to represent)", NULL);
}
END_TEST

START_TEST(test_params_nan_and_infinity_are_refused_in_every_spelling)
{
    static const char *const spellings[] = {".nan", ".NaN",     ".NAN",  "nan",  "NaN",
                                            ".inf", "-.inf",    "+.inf", ".Inf", "inf",
                                            "-inf", "Infinity", NULL};
    for (const char *const *s = spellings; *s != NULL; s++) {
        char *text = g_strdup_printf("steps: 1\nscale: %s\n", *s);
        char *got = g_strdup_printf("expected a number >= 0, got \"%s\"", *s);
        expect_refused(text, "p.yaml:2:8: blk.scale: ", got, NULL);
        g_free(got);
        g_free(text);
        text = g_strdup_printf("steps: 1\nweights: [0.5, %s]\n", *s);
        got = g_strdup_printf("got \"%s\"", *s);
        expect_refused(text, "p.yaml:2:16: blk.weights[1]: ", got, NULL);
        g_free(got);
        g_free(text);
    }
}
END_TEST

START_TEST(test_params_quoted_numbers_are_refused_with_a_hint)
{
    expect_refused("steps: 1\nrate: \"0.5\"\n",
                   "p.yaml:2:7: blk.rate: ", "expected a number in (0, 1], got \"0.5\"",
                   "write the number without quotes", NULL);
    expect_refused("steps: '3'\n", "p.yaml:1:8: blk.steps: ", "got \"3\"",
                   "write the number without quotes", NULL);
    expect_refused("steps: 1\nhidden: [64, \"64\"]\n", "p.yaml:2:14: blk.hidden[1]: ", "got \"64\"",
                   "write the number without quotes", NULL);
}
END_TEST

START_TEST(test_params_integers_written_with_exponent_or_point_zero_are_accepted)
{
    static const struct {
        const char *text;
        int64_t value;
    } cases[] = {{"1e6", 1000000}, {"100.0", 100}, {"2.5e2", 250}, {"+7", 7}, {"1E3", 1000}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *text = g_strdup_printf("steps: %s\n", cases[i].text);
        built_t b = build_ok(text);
        ck_assert_msg(ppo_params_get_int(b.params, "steps") == cases[i].value, "%s read as %ld",
                      cases[i].text, (long)ppo_params_get_int(b.params, "steps"));
        built_free(&b);
        g_free(text);
    }
    expect_refused("steps: 1\ncount: 1.5\n",
                   "p.yaml:2:8: blk.count: ", "expected an integer in [1, 10], got \"1.5\"", NULL);
    expect_refused("steps: 1e-3\n",
                   "p.yaml:1:8: blk.steps: ", "expected an integer >= 1, got \"1e-3\"", NULL);
    expect_refused("steps: 12abc\n",
                   "p.yaml:1:8: blk.steps: ", "expected an integer >= 1, got \"12abc\"", NULL);
    expect_refused("steps: 1\nhidden: [64, 1.5]\n", "p.yaml:2:14: blk.hidden[1]: ", "got \"1.5\"",
                   NULL);
}
END_TEST

/* ---- shapes: lists and scalars ---- */

START_TEST(test_params_list_or_mapping_where_a_scalar_belongs_is_refused)
{
    expect_refused("steps: 1\ncount: [1]\n",
                   "p.yaml:2:8: blk.count: ", "expected an integer in [1, 10], got a list", NULL);
    expect_refused("steps: 1\nverbose: {a: 1}\n",
                   "p.yaml:2:10: blk.verbose: ", "expected true or false, got a mapping", NULL);
    expect_refused("steps: 1\nlabel: [a]\n",
                   "p.yaml:2:8: blk.label: ", "expected a string, or null, got a list", NULL);
    expect_refused("steps: 1\nactivation: [tanh]\n", "p.yaml:2:13: blk.activation: ",
                   "expected one of tanh, relu, identity, got a list", NULL);
    expect_refused("steps:\n  - 1\n",
                   "p.yaml:2:3: blk.steps: ", "expected an integer >= 1, got a list", NULL);
}
END_TEST

START_TEST(test_params_scalar_or_mapping_where_a_list_belongs_is_refused)
{
    expect_refused("steps: 1\nhidden: 64\n", "p.yaml:2:9: blk.hidden: ",
                   "expected a non-empty list of integers in [1, 4096], got \"64\"",
                   "write a list like [64, 64]", NULL);
    expect_refused("steps: 1\nweights: {a: 1}\n", "p.yaml:2:10: blk.weights: ",
                   "expected a list of numbers in [-1, 1], got a mapping", NULL);
}
END_TEST

START_TEST(test_params_list_element_out_of_range_names_its_index_and_position)
{
    expect_refused("steps: 1\nhidden: [64, 0, 32]\n",
                   "p.yaml:2:14: blk.hidden[1]: ", "got \"0\" (out of range)", "[1, 4096]", NULL);
    expect_refused("steps: 1\nhidden:\n  - 64\n  - 32\n  - 5000\n",
                   "p.yaml:5:5: blk.hidden[2]: ", "got \"5000\" (out of range)", NULL);
    expect_refused("steps: 1\nweights: [0, 0.5, -2]\n",
                   "p.yaml:2:19: blk.weights[2]: ", "got \"-2\" (out of range)", "[-1, 1]", NULL);
    expect_refused("steps: 1\nhidden: [[1]]\n", "p.yaml:2:10: blk.hidden[0]: ", "got a list", NULL);
}
END_TEST

START_TEST(test_params_empty_list_is_refused_only_when_nonempty_is_required)
{
    expect_refused("steps: 1\nhidden: []\n", "p.yaml:2:9: blk.hidden: ",
                   "expected a non-empty list of integers in [1, 4096], got an empty list",
                   NULL);
    built_t b = build_ok("steps: 1\nweights: []\n");
    ck_assert_uint_eq(ppo_params_get_double_list(b.params, "weights", NULL), 0);
    built_free(&b);
}
END_TEST

/* ---- enums, bools, strings ---- */

START_TEST(test_params_enum_refusal_suggests_the_nearest_choice)
{
    expect_refused("steps: 1\nactivation: tahn\n", "p.yaml:2:13: blk.activation: ",
                   "expected one of tanh, relu, identity, got \"tahn\"", "did you mean \"tanh\"?",
                   NULL);
    expect_refused("steps: 1\nactivation: Relu\n",
                   "p.yaml:2:13: blk.activation: ", "did you mean \"relu\"?", NULL);
    expect_refused("steps: 1\nactivation: ident\n",
                   "p.yaml:2:13: blk.activation: ", "did you mean \"identity\"?", NULL);
}
END_TEST

START_TEST(test_params_enum_refusal_without_near_choice_lists_the_choices)
{
    GError *error = NULL;
    built_t b = build("steps: 1\nactivation: sigmoid\n", &error);
    ck_assert_ptr_null(b.params);
    ck_assert_ptr_null(strstr(error->message, "did you mean"));
    check_error(&error, 2, "p.yaml:2:13: blk.activation: ",
                "expected one of tanh, relu, identity, got \"sigmoid\"", NULL);
    built_free(&b);
}
END_TEST

START_TEST(test_params_bool_accepts_only_true_and_false_spellings)
{
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};
    for (int i = 0; yes[i] != NULL; i++) {
        char *t = g_strdup_printf("steps: 1\nverbose: %s\n", yes[i]);
        built_t b = build_ok(t);
        ck_assert(ppo_params_get_bool(b.params, "verbose"));
        built_free(&b);
        g_free(t);
        t = g_strdup_printf("steps: 1\nverbose: %s\n", no[i]);
        b = build_ok(t);
        ck_assert(!ppo_params_get_bool(b.params, "verbose"));
        built_free(&b);
        g_free(t);
    }
    expect_refused("steps: 1\nverbose: yes\n",
                   "p.yaml:2:10: blk.verbose: ", "expected true or false, got \"yes\"", NULL);
    expect_refused("steps: 1\nverbose: 1\n",
                   "p.yaml:2:10: blk.verbose: ", "expected true or false, got \"1\"", NULL);
    expect_refused("steps: 1\nverbose: \"true\"\n",
                   "p.yaml:2:10: blk.verbose: ", "expected true or false, got \"true\"", NULL);
}
END_TEST

START_TEST(test_params_string_with_a_nul_byte_is_refused)
{
    expect_refused("steps: 1\nlabel: \"a\\0b\"\n", "p.yaml:2:8: blk.label: ",
                   "expected a string, or null, got \"a\\x00b\" (contains a NUL byte)", NULL);
}
END_TEST

/* ---- keys ---- */

START_TEST(test_params_unknown_key_suggests_the_nearest_spelling)
{
    expect_refused("steps: 1\nhiden: [1]\n",
                   "p.yaml:2:1: ", "unknown key \"hiden\" in blk; did you mean \"hidden\"?", NULL);
    /* a typo of a required key is reported as the typo, not as the key missing */
    expect_refused("stpes: 5\n",
                   "p.yaml:1:1: ", "unknown key \"stpes\" in blk; did you mean \"steps\"?", NULL);
    expect_refused("steps: 1\nactivations: tanh\n", "p.yaml:2:1: ", "did you mean \"activation\"?",
                   NULL);
}
END_TEST

START_TEST(test_params_unknown_key_without_near_spelling_lists_the_keys)
{
    GError *error = NULL;
    built_t b = build("steps: 1\nzzz_totally_else: 1\n", &error);
    ck_assert_ptr_null(b.params);
    ck_assert_ptr_null(strstr(error->message, "did you mean"));
    check_error(&error, 2, "p.yaml:2:1: ", "unknown key \"zzz_totally_else\" in blk",
                "count, rate, scale, margin, limit, verbose, label, activation, hidden, weights, "
                "steps",
                NULL);
    built_free(&b);
}
END_TEST

START_TEST(test_params_unknown_key_in_a_block_without_keys_says_so)
{
    ppo_ydoc_t *doc = parse_doc("{x: 1}");
    GError *error = NULL;
    ck_assert_ptr_null(
        ppo_params_build(NULL, 0, ppo_ydoc_root(doc), "optimizer.params", NULL, NULL, &error));
    check_error(&error, 2, "p.yaml:1:2: ", "unknown key \"x\" in optimizer.params",
                "it takes no keys", NULL);
    ppo_ydoc_free(doc);
}
END_TEST

START_TEST(test_params_missing_required_key_names_it_the_block_and_the_type)
{
    expect_refused("count: 3\n",
                   "p.yaml:1:1: blk.steps: ", "missing; add \"steps:\" with an integer >= 1", NULL);

    /* a nested block is reported at its own position */
    ppo_ydoc_t *doc = parse_doc("x: 1\nblk:\n  count: 3\n");
    const ppo_ynode_t *blk = ppo_ynode_get(ppo_ydoc_root(doc), "blk");
    GError *error = NULL;
    ck_assert_ptr_null(ppo_params_build(specs, N_SPECS, blk, "blk", NULL, NULL, &error));
    check_error(&error, 2, "p.yaml:3:3: blk.steps: ", "missing", NULL);
    ppo_ydoc_free(doc);

    /* an absent block is reported where the caller says */
    const ppo_mark_t where = {"p.yaml", 7, 1};
    ck_assert_ptr_null(ppo_params_build(specs, N_SPECS, NULL, "blk", &where, NULL, &error));
    check_error(&error, 2, "p.yaml:7:1: blk.steps: ", "missing", NULL);
}
END_TEST

START_TEST(test_params_block_that_is_not_a_mapping_is_refused)
{
    expect_refused("[1, 2]\n", "p.yaml:1:1: blk: ", "expected a mapping, got a list", NULL);
    expect_refused("just text\n", "p.yaml:1:1: blk: ", "expected a mapping, got \"just text\"",
                   NULL);
}
END_TEST

START_TEST(test_params_extra_keys_are_allowed_and_skipped)
{
    static const char *const extra[] = {"params", NULL};
    ppo_ydoc_t *doc = parse_doc("{steps: 2, params: {a: 1}}");
    GError *error = NULL;
    ppo_params_t *p =
        ppo_params_build(specs, N_SPECS, ppo_ydoc_root(doc), "blk", NULL, extra, &error);
    ck_assert_msg(p != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_int_eq(ppo_params_get_int(p, "steps"), 2);
    ppo_params_free(p);
    /* and offered as a spelling */
    ppo_ydoc_t *typo = parse_doc("{steps: 2, parms: {}}");
    ck_assert_ptr_null(
        ppo_params_build(specs, N_SPECS, ppo_ydoc_root(typo), "blk", NULL, extra, &error));
    check_error(&error, 2, "p.yaml:1:12: ", "did you mean \"params\"?", NULL);
    ppo_ydoc_free(typo);
    ppo_ydoc_free(doc);
}
END_TEST

/* ---- flow text and hash ---- */

/* FNV-1a, 64 bit: the hash ppo_params_hash is defined to be, over the flow text. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

START_TEST(test_params_to_flow_writes_every_value_in_schema_order_and_reads_back)
{
    built_t b = build_ok("count: 7\nrate: 0.25\nscale: 0\nmargin: -3.5\nlimit: 100\nverbose: true\n"
                         "label: hello world\nactivation: relu\nhidden: [128, 32, 1]\n"
                         "weights: [-1, 0.5, 1]\nsteps: 1e6\n");
    char *flow = ppo_params_to_flow(b.params);
    ck_assert_str_eq(flow, "{count: 7, rate: 0.25, scale: 0.0, margin: -3.5, limit: 100, "
                           "verbose: true, label: hello world, activation: relu, "
                           "hidden: [128, 32, 1], weights: [-1.0, 0.5, 1.0], steps: 1000000}");
    built_t again = build_ok(flow);
    char *flow2 = ppo_params_to_flow(again.params);
    ck_assert_str_eq(flow2, flow);
    ck_assert_uint_eq(ppo_params_hash(again.params), ppo_params_hash(b.params));
    g_free(flow2);
    g_free(flow);
    built_free(&again);
    built_free(&b);
}
END_TEST

START_TEST(test_params_to_flow_keeps_strings_that_look_like_other_types_quoted)
{
    static const char *const tricky[] = {"\"null\"", "\"true\"", "\"1.5\"", "\"a: b\"", "\"# x\"",
                                         "\"\"",     "\"-x\"",   "\"[1]\"", NULL};
    for (const char *const *t = tricky; *t != NULL; t++) {
        char *text = g_strdup_printf("{steps: 1, label: %s}", *t);
        built_t b = build_ok(text);
        char *flow = ppo_params_to_flow(b.params);
        built_t again = build_ok(flow);
        ck_assert_msg(!ppo_params_is_null(again.params, "label"), "%s lost its quotes: %s", *t,
                      flow);
        ck_assert_str_eq(ppo_params_get_string(again.params, "label"),
                         ppo_params_get_string(b.params, "label"));
        g_free(flow);
        built_free(&again);
        built_free(&b);
        g_free(text);
    }
}
END_TEST

START_TEST(test_params_hash_is_stable_across_spellings_and_changes_with_values)
{
    built_t a = build_ok("steps: 1e6\nrate: 0.5\n");
    built_t b = build_ok("{rate: 0.50, steps: 1000000, count: 3}");
    built_t c = build_ok("steps: 1000001\n");
    built_t d = build_ok("steps: 1000000\nverbose: true\n");
    ck_assert_uint_eq(ppo_params_hash(a.params), ppo_params_hash(b.params));
    ck_assert_uint_ne(ppo_params_hash(a.params), ppo_params_hash(c.params));
    ck_assert_uint_ne(ppo_params_hash(a.params), ppo_params_hash(d.params));
    /* the hash is FNV-1a of the flow text, so it is the same in every build and process */
    char *flow = ppo_params_to_flow(a.params);
    ck_assert_uint_eq(ppo_params_hash(a.params), fnv1a(flow));
    g_free(flow);
    built_free(&a);
    built_free(&b);
    built_free(&c);
    built_free(&d);
}
END_TEST

/* ---- schema checks (the plugin's fault: exit 3) ---- */

/* Fail unless ppo_schema_check refuses `s` (n entries, owner "fx.so") with a message starting
 * with "fx.so: " and containing each of the NULL-terminated parts. */
static void expect_schema_refused(const ppo_param_spec_t *s, uint32_t n, ...)
{
    ppo_param_spec_t *normalized = (ppo_param_spec_t *)1;
    GError *error = NULL;
    ck_assert(!ppo_schema_check(s, n, "fx.so", &normalized, &error));
    ck_assert_ptr_null(normalized);
    ck_assert_ptr_nonnull(error);
    const char *msg = error->message;
    ck_assert_msg(ppo_error_exit_code(error) == 3, "exit code %d for \"%s\"",
                  ppo_error_exit_code(error), msg);
    ck_assert_msg(g_str_has_prefix(msg, "fx.so: "), "message \"%s\" does not start with the owner",
                  msg);
    va_list ap;
    va_start(ap, n);
    for (const char *part = va_arg(ap, const char *); part != NULL; part = va_arg(ap, const char *))
        ck_assert_msg(strstr(msg, part) != NULL, "message \"%s\" lacks \"%s\"", msg, part);
    va_end(ap);
    g_error_free(error);
}

/* An invalid declared default names the owner, the parameter and the value, with the fix, and
 * no made-up position of the default text. */
START_TEST(test_schema_check_refuses_an_invalid_default_naming_owner_parameter_and_value)
{
    const ppo_param_spec_t bad[] = {
        {SPEC, .name = "rate", .type = PPO_PARAM_DOUBLE,
         .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX, .min = 0, .max = 1, .default_value = "2"},
    };
    expect_schema_refused(bad, 1, "parameter \"rate\"", "default", "\"2\"", "[0, 1]", NULL);
    ppo_param_spec_t *normalized = NULL;
    GError *error = NULL;
    ck_assert(!ppo_schema_check(bad, 1, "fx.so", &normalized, &error));
    ck_assert_msg(strstr(error->message, "default:1:1") == NULL,
                  "message \"%s\" shows the made-up position of the default text", error->message);
    g_error_free(error);
}
END_TEST

/* A "null" default on a parameter that is not nullable is refused the same way. */
START_TEST(test_schema_check_refuses_a_null_default_on_a_non_nullable_parameter)
{
    const ppo_param_spec_t bad[] = {
        {SPEC, .name = "size", .type = PPO_PARAM_INT, .default_value = "null"},
    };
    expect_schema_refused(bad, 1, "parameter \"size\"", "null", NULL);
}
END_TEST

START_TEST(test_schema_check_refuses_a_default_that_is_not_yaml)
{
    const ppo_param_spec_t bad[] = {
        {SPEC, .name = "hidden", .type = PPO_PARAM_INT_LIST, .default_value = "[64, 64"},
    };
    expect_schema_refused(bad, 1, "parameter \"hidden\"", "the default \"[64, 64\" is not YAML",
                          NULL);
}
END_TEST

START_TEST(test_schema_check_refuses_malformed_specs_naming_the_parameter)
{
    static const char *const no_choices[] = {NULL};
    const ppo_param_spec_t bad_name[] = {{SPEC, .name = "Rate", .type = PPO_PARAM_DOUBLE}};
    expect_schema_refused(bad_name, 1, "parameter 0 (\"Rate\")", "[a-z][a-z0-9_]*", NULL);
    const ppo_param_spec_t no_name[] = {{SPEC, .name = NULL, .type = PPO_PARAM_DOUBLE}};
    expect_schema_refused(no_name, 1, "parameter 0 (\"(null)\")", NULL);
    const ppo_param_spec_t twice[] = {{SPEC, .name = "a", .type = PPO_PARAM_INT},
                                      {SPEC, .name = "a", .type = PPO_PARAM_DOUBLE}};
    expect_schema_refused(twice, 2, "parameter 1 (\"a\")", "declared twice", NULL);
    const ppo_param_spec_t bad_type[] = {{SPEC, .name = "a", .type = (ppo_param_type_t)99}};
    expect_schema_refused(bad_type, 1, "parameter 0 (\"a\")", "not a ppo_param_type_t", NULL);
    const ppo_param_spec_t enum_empty[] = {
        {SPEC, .name = "mode", .type = PPO_PARAM_ENUM, .choices = no_choices}};
    expect_schema_refused(enum_empty, 1, "parameter 0 (\"mode\")", "choices", NULL);
    const ppo_param_spec_t enum_null[] = {{SPEC, .name = "mode", .type = PPO_PARAM_ENUM}};
    expect_schema_refused(enum_null, 1, "parameter 0 (\"mode\")", "choices", NULL);
    const ppo_param_spec_t inverted[] = {{SPEC, .name = "a", .type = PPO_PARAM_DOUBLE,
                                          .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX, .min = 2,
                                          .max = 1}};
    expect_schema_refused(inverted, 1, "parameter 0 (\"a\")", "min is greater than max", NULL);
}
END_TEST

START_TEST(test_schema_check_refuses_bad_struct_size_and_missing_table)
{
    const ppo_param_spec_t zero_size[] = {{.struct_size = 0, .name = "a", .type = PPO_PARAM_INT}};
    expect_schema_refused(zero_size, 1, "struct_size 0", "sizeof(ppo_param_spec_t)", NULL);
    expect_schema_refused(NULL, 2, "declares 2 parameters but no parameter table", NULL);
    /* no parameters and no table is fine */
    ppo_param_spec_t *normalized = (ppo_param_spec_t *)1;
    ck_assert(ppo_schema_check(NULL, 0, "fx.so", &normalized, NULL));
    ck_assert_ptr_null(normalized);
}
END_TEST

/* A spec as a later minor might lay it out: this ABI's fields and one more at the end. */
typedef struct {
    ppo_param_spec_t spec;
    double appended;
} future_spec_t;

START_TEST(test_schema_check_reads_specs_at_the_plugins_stride)
{
    future_spec_t future[2];
    memset(future, 0, sizeof future);
    future[0].spec = (ppo_param_spec_t){.struct_size = sizeof(future_spec_t),
                                        .name = "alpha",
                                        .type = PPO_PARAM_DOUBLE,
                                        .default_value = "0.5"};
    future[0].appended = 1e300;
    future[1].spec = (ppo_param_spec_t){.struct_size = sizeof(future_spec_t),
                                        .name = "beta",
                                        .type = PPO_PARAM_INT,
                                        .default_value = "2"};
    future[1].appended = -1e300;
    ppo_param_spec_t *normalized = NULL;
    GError *error = NULL;
    ck_assert_msg(ppo_schema_check(&future[0].spec, 2, "fx.so", &normalized, &error), "%s",
                  error != NULL ? error->message : "");
    ck_assert_str_eq(normalized[0].name, "alpha");
    ck_assert_str_eq(normalized[1].name, "beta");
    ck_assert_int_eq(normalized[1].type, PPO_PARAM_INT);
    ck_assert_uint_eq(normalized[1].struct_size, sizeof(ppo_param_spec_t));
    g_free(normalized);
}
END_TEST

START_TEST(test_params_spec_describe_reads_like_the_messages)
{
    static const struct {
        size_t index;
        const char *text;
    } cases[] = {
        {0, "an integer in [1, 10]"},
        {1, "a number in (0, 1]"},
        {2, "a number >= 0"},
        {3, "a number < 5"},
        {4, "an integer <= 100, or null"},
        {5, "true or false"},
        {6, "a string, or null"},
        {7, "one of tanh, relu, identity"},
        {8, "a non-empty list of integers in [1, 4096]"},
        {9, "a list of numbers in [-1, 1]"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *d = ppo_spec_describe(&specs[cases[i].index]);
        ck_assert_str_eq(d, cases[i].text);
        g_free(d);
    }
}
END_TEST

static Suite *params_suite(void)
{
    Suite *s = suite_create("ppo_params");
    TCase *tc = tcase_create("types");
    tcase_add_test(tc, test_params_test_schema_passes_the_schema_check);
    tcase_add_test(tc, test_params_every_type_reads_back_its_value_and_position);
    tcase_add_test(tc, test_params_defaults_fill_missing_keys_and_are_marked_default);
    tcase_add_test(tc, test_params_null_is_accepted_only_where_nullable);
    tcase_add_test(tc, test_params_spec_describe_reads_like_the_messages);
    suite_add_tcase(s, tc);

    tc = tcase_create("numbers");
    tcase_add_test(tc, test_params_inclusive_bounds_accept_the_bound_and_refuse_beyond);
    tcase_add_test(tc, test_params_exclusive_bounds_refuse_the_bound);
    tcase_add_test(tc, test_params_numbers_too_large_to_represent_are_refused_as_such);
    tcase_add_test(tc, test_params_nan_and_infinity_are_refused_in_every_spelling);
    tcase_add_test(tc, test_params_quoted_numbers_are_refused_with_a_hint);
    tcase_add_test(tc, test_params_integers_written_with_exponent_or_point_zero_are_accepted);
    suite_add_tcase(s, tc);

    tc = tcase_create("shapes");
    tcase_add_test(tc, test_params_list_or_mapping_where_a_scalar_belongs_is_refused);
    tcase_add_test(tc, test_params_scalar_or_mapping_where_a_list_belongs_is_refused);
    tcase_add_test(tc, test_params_list_element_out_of_range_names_its_index_and_position);
    tcase_add_test(tc, test_params_empty_list_is_refused_only_when_nonempty_is_required);
    tcase_add_test(tc, test_params_enum_refusal_suggests_the_nearest_choice);
    tcase_add_test(tc, test_params_enum_refusal_without_near_choice_lists_the_choices);
    tcase_add_test(tc, test_params_bool_accepts_only_true_and_false_spellings);
    tcase_add_test(tc, test_params_string_with_a_nul_byte_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("keys");
    tcase_add_test(tc, test_params_unknown_key_suggests_the_nearest_spelling);
    tcase_add_test(tc, test_params_unknown_key_without_near_spelling_lists_the_keys);
    tcase_add_test(tc, test_params_unknown_key_in_a_block_without_keys_says_so);
    tcase_add_test(tc, test_params_missing_required_key_names_it_the_block_and_the_type);
    tcase_add_test(tc, test_params_block_that_is_not_a_mapping_is_refused);
    tcase_add_test(tc, test_params_extra_keys_are_allowed_and_skipped);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_add_test(tc, test_params_to_flow_writes_every_value_in_schema_order_and_reads_back);
    tcase_add_test(tc, test_params_to_flow_keeps_strings_that_look_like_other_types_quoted);
    tcase_add_test(tc, test_params_hash_is_stable_across_spellings_and_changes_with_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("schema");
    tcase_add_test(tc,
                   test_schema_check_refuses_an_invalid_default_naming_owner_parameter_and_value);
    tcase_add_test(tc, test_schema_check_refuses_a_null_default_on_a_non_nullable_parameter);
    tcase_add_test(tc, test_schema_check_refuses_a_default_that_is_not_yaml);
    tcase_add_test(tc, test_schema_check_refuses_malformed_specs_naming_the_parameter);
    tcase_add_test(tc, test_schema_check_refuses_bad_struct_size_and_missing_table);
    tcase_add_test(tc, test_schema_check_reads_specs_at_the_plugins_stride);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(params_suite());
}
