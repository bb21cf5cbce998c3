/* Tests of the plugin ABI (the headers of include/ppofw): the layout is pinned, and a plugin
 * laid out for an older minor still loads.
 *
 * The size of every public struct, the offset of every field, the value of every enum constant
 * and the ABI version must equal tests/data/abi-1.2.txt, and every function a plugin may call
 * must be exported by libppofw, which exports nothing else (its dynamic symbol table, read with
 * `nm -D --defined-only`, holds exactly the declared functions). The table must also cover the
 * headers: every struct, enum constant and PPO_API function declared there has a line, so nothing
 * public escapes the pin. A deliberate ABI change (appending at a struct's end, with a minor bump)
 * updates the table with `tests/core/test_abi --print > tests/data/abi-1.MINOR.txt` and points
 * ABI_TABLE at it; the older tables stay, and the current one must only extend abi-1.1.txt.
 *
 * "Built for an older minor": ABI 1.1 differs from 1.0 only in reserved slots that gained a
 * meaning: the optimizer's step_range and the policy's segment_part/evaluate_part/backward_part.
 * A 1.0 plugin has NULL there (tests/core/test_ppo_trainer.c trains with step_range NULL; the
 * out-of-tree examples of tests/sdk have no parts). For growth at a struct's end, the fixture
 * tests/sdk/fixtures/sdk_old_minor.c is laid out the way such a plugin would be: its descriptor
 * and env vtable carry a struct_size smaller than the host's (they end before the reserved
 * slots, as a plugin built before fields were appended ends before those fields), and the tail
 * beyond holds junk. It must load, the loaded copy must read the tail as absent (NULL), and the
 * plugin must pass check-env.
 *
 * The offsets are those of LP64 (x86-64 and aarch64 lay these structs out alike); on another
 * data model the layout suite is skipped.
 */
#include "config.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

#include "sdk/sdk_test.h"

#define ABI_TABLE "abi-1.2.txt"

typedef struct abi_entry {
    const char
        *key; /* "size ppo_host_t", "offset ppo_host_t.log", "enum ppo_kind_t PPO_KIND_ENV" */
    long long value;
} abi_entry_t;

#define SIZE(T)                                                                                    \
    {                                                                                              \
        "size " #T, (long long)sizeof(T)                                                           \
    }
#define OFF(T, f)                                                                                  \
    {                                                                                              \
        "offset " #T "." #f, (long long)offsetof(T, f)                                             \
    }
#define ENUM(T, v)                                                                                 \
    {                                                                                              \
        "enum " #T " " #v, (long long)(v)                                                          \
    }

/* The layout of this build's headers. */
static const abi_entry_t computed[] = {
    {"abi PPO_ABI_MAJOR", PPO_ABI_MAJOR},
    {"abi PPO_ABI_MINOR", PPO_ABI_MINOR},

    SIZE(ppo_host_t),
    OFF(ppo_host_t, struct_size),
    OFF(ppo_host_t, abi_major),
    OFF(ppo_host_t, abi_minor),
    OFF(ppo_host_t, reserved0),
    OFF(ppo_host_t, log),
    OFF(ppo_host_t, error),
    OFF(ppo_host_t, aligned_alloc),
    OFF(ppo_host_t, aligned_free),
    OFF(ppo_host_t, host_data),
    OFF(ppo_host_t, reserved),

    SIZE(ppo_space_t),
    OFF(ppo_space_t, struct_size),
    OFF(ppo_space_t, kind),
    OFF(ppo_space_t, n),
    OFF(ppo_space_t, dim),
    OFF(ppo_space_t, low),
    OFF(ppo_space_t, high),
    OFF(ppo_space_t, rank),
    OFF(ppo_space_t, shape),
    OFF(ppo_space_t, dtype),
    OFF(ppo_space_t, reserved0),
    OFF(ppo_space_t, nvec),
    OFF(ppo_space_t, reserved),

    SIZE(ppo_plugin_desc_t),
    OFF(ppo_plugin_desc_t, abi_major),
    OFF(ppo_plugin_desc_t, abi_minor),
    OFF(ppo_plugin_desc_t, struct_size),
    OFF(ppo_plugin_desc_t, kind),
    OFF(ppo_plugin_desc_t, name),
    OFF(ppo_plugin_desc_t, version),
    OFF(ppo_plugin_desc_t, description),
    OFF(ppo_plugin_desc_t, params),
    OFF(ppo_plugin_desc_t, n_params),
    OFF(ppo_plugin_desc_t, reserved0),
    OFF(ppo_plugin_desc_t, vtable),
    OFF(ppo_plugin_desc_t, reserved),

    SIZE(ppo_param_spec_t),
    OFF(ppo_param_spec_t, struct_size),
    OFF(ppo_param_spec_t, flags),
    OFF(ppo_param_spec_t, type),
    OFF(ppo_param_spec_t, name),
    OFF(ppo_param_spec_t, default_value),
    OFF(ppo_param_spec_t, min),
    OFF(ppo_param_spec_t, max),
    OFF(ppo_param_spec_t, choices),
    OFF(ppo_param_spec_t, doc),

    SIZE(ppo_rng_t),
    OFF(ppo_rng_t, s),
    OFF(ppo_rng_t, spare_normal),
    OFF(ppo_rng_t, has_spare),
    OFF(ppo_rng_t, reserved),

    SIZE(ppo_env_vtable_t),
    OFF(ppo_env_vtable_t, struct_size),
    OFF(ppo_env_vtable_t, max_episode_steps),
    OFF(ppo_env_vtable_t, create),
    OFF(ppo_env_vtable_t, destroy),
    OFF(ppo_env_vtable_t, spaces),
    OFF(ppo_env_vtable_t, reset),
    OFF(ppo_env_vtable_t, step),
    OFF(ppo_env_vtable_t, state_size),
    OFF(ppo_env_vtable_t, get_state),
    OFF(ppo_env_vtable_t, set_state),
    OFF(ppo_env_vtable_t, render_text),
    OFF(ppo_env_vtable_t, render_size),
    OFF(ppo_env_vtable_t, render_rgb),
    OFF(ppo_env_vtable_t, reserved),

    SIZE(ppo_segment_t),
    OFF(ppo_segment_t, struct_size),
    OFF(ppo_segment_t, init),
    OFF(ppo_segment_t, name),
    OFF(ppo_segment_t, rows),
    OFF(ppo_segment_t, cols),
    OFF(ppo_segment_t, value),
    OFF(ppo_segment_t, gain),

    SIZE(ppo_segment_table_t),
    OFF(ppo_segment_table_t, struct_size),
    OFF(ppo_segment_table_t, capacity),
    OFF(ppo_segment_table_t, n_segments),
    OFF(ppo_segment_table_t, failed),
    OFF(ppo_segment_table_t, segments),
    OFF(ppo_segment_table_t, offsets),
    OFF(ppo_segment_table_t, n_params),
    OFF(ppo_segment_table_t, reserved),

    SIZE(ppo_codegen_policy_t),
    OFF(ppo_codegen_policy_t, struct_size),
    OFF(ppo_codegen_policy_t, state_size),
    OFF(ppo_codegen_policy_t, obs_space),
    OFF(ppo_codegen_policy_t, act_space),
    OFF(ppo_codegen_policy_t, norm),
    OFF(ppo_codegen_policy_t, reserved),

    SIZE(ppo_policy_setup_t),
    OFF(ppo_policy_setup_t, struct_size),
    OFF(ppo_policy_setup_t, n_envs),
    OFF(ppo_policy_setup_t, obs_space),
    OFF(ppo_policy_setup_t, act_space),

    SIZE(ppo_obs_norm_t),
    OFF(ppo_obs_norm_t, struct_size),
    OFF(ppo_obs_norm_t, enabled),
    OFF(ppo_obs_norm_t, dim),
    OFF(ppo_obs_norm_t, reserved0),
    OFF(ppo_obs_norm_t, mean),
    OFF(ppo_obs_norm_t, var),
    OFF(ppo_obs_norm_t, epsilon),
    OFF(ppo_obs_norm_t, clip),

    SIZE(ppo_policy_vtable_t),
    OFF(ppo_policy_vtable_t, struct_size),
    OFF(ppo_policy_vtable_t, reserved0),
    OFF(ppo_policy_vtable_t, create),
    OFF(ppo_policy_vtable_t, destroy),
    OFF(ppo_policy_vtable_t, segments),
    OFF(ppo_policy_vtable_t, dist_size),
    OFF(ppo_policy_vtable_t, bind),
    OFF(ppo_policy_vtable_t, ws_create),
    OFF(ppo_policy_vtable_t, ws_destroy),
    OFF(ppo_policy_vtable_t, act),
    OFF(ppo_policy_vtable_t, value),
    OFF(ppo_policy_vtable_t, evaluate),
    OFF(ppo_policy_vtable_t, backward),
    OFF(ppo_policy_vtable_t, reset_noise),
    OFF(ppo_policy_vtable_t, state_size),
    OFF(ppo_policy_vtable_t, get_state),
    OFF(ppo_policy_vtable_t, set_state),
    OFF(ppo_policy_vtable_t, export_c),
    OFF(ppo_policy_vtable_t, segment_part),
    OFF(ppo_policy_vtable_t, evaluate_part),
    OFF(ppo_policy_vtable_t, backward_part),
    OFF(ppo_policy_vtable_t, recurrent),
    OFF(ppo_policy_vtable_t, forward_flops),
    OFF(ppo_policy_vtable_t, reserved),

    SIZE(ppo_recurrent_vtable_t),
    OFF(ppo_recurrent_vtable_t, struct_size),
    OFF(ppo_recurrent_vtable_t, reserved0),
    OFF(ppo_recurrent_vtable_t, state_size),
    OFF(ppo_recurrent_vtable_t, initial_state),
    OFF(ppo_recurrent_vtable_t, act),
    OFF(ppo_recurrent_vtable_t, value),
    OFF(ppo_recurrent_vtable_t, evaluate),
    OFF(ppo_recurrent_vtable_t, backward),
    OFF(ppo_recurrent_vtable_t, reserved),

    SIZE(ppo_rollout_view_t),
    OFF(ppo_rollout_view_t, struct_size),
    OFF(ppo_rollout_view_t, T),
    OFF(ppo_rollout_view_t, N),
    OFF(ppo_rollout_view_t, reserved0),
    OFF(ppo_rollout_view_t, rewards),
    OFF(ppo_rollout_view_t, values),
    OFF(ppo_rollout_view_t, terminated),
    OFF(ppo_rollout_view_t, truncated),
    OFF(ppo_rollout_view_t, bootstrap_values),
    OFF(ppo_rollout_view_t, last_values),

    SIZE(ppo_conv_shape_t),
    OFF(ppo_conv_shape_t, in_channels),
    OFF(ppo_conv_shape_t, in_height),
    OFF(ppo_conv_shape_t, in_width),
    OFF(ppo_conv_shape_t, out_channels),
    OFF(ppo_conv_shape_t, kernel_h),
    OFF(ppo_conv_shape_t, kernel_w),
    OFF(ppo_conv_shape_t, stride_h),
    OFF(ppo_conv_shape_t, stride_w),
    OFF(ppo_conv_shape_t, pad_h),
    OFF(ppo_conv_shape_t, pad_w),
    OFF(ppo_conv_shape_t, out_height),
    OFF(ppo_conv_shape_t, out_width),
    OFF(ppo_conv_shape_t, reserved),

    SIZE(ppo_advantage_vtable_t),
    OFF(ppo_advantage_vtable_t, struct_size),
    OFF(ppo_advantage_vtable_t, reserved0),
    OFF(ppo_advantage_vtable_t, create),
    OFF(ppo_advantage_vtable_t, destroy),
    OFF(ppo_advantage_vtable_t, estimate),
    OFF(ppo_advantage_vtable_t, reserved),

    SIZE(ppo_optimizer_vtable_t),
    OFF(ppo_optimizer_vtable_t, struct_size),
    OFF(ppo_optimizer_vtable_t, reserved0),
    OFF(ppo_optimizer_vtable_t, create),
    OFF(ppo_optimizer_vtable_t, destroy),
    OFF(ppo_optimizer_vtable_t, state_floats_per_param),
    OFF(ppo_optimizer_vtable_t, step),
    OFF(ppo_optimizer_vtable_t, step_range),
    OFF(ppo_optimizer_vtable_t, reserved),

    ENUM(ppo_kind_t, PPO_KIND_ENV),
    ENUM(ppo_kind_t, PPO_KIND_POLICY),
    ENUM(ppo_kind_t, PPO_KIND_ADVANTAGE),
    ENUM(ppo_kind_t, PPO_KIND_OPTIMIZER),
    ENUM(ppo_kind_t, PPO_KIND_COMM),
    ENUM(ppo_log_level_t, PPO_LOG_ERROR),
    ENUM(ppo_log_level_t, PPO_LOG_WARNING),
    ENUM(ppo_log_level_t, PPO_LOG_INFO),
    ENUM(ppo_log_level_t, PPO_LOG_DEBUG),
    ENUM(ppo_space_kind_t, PPO_SPACE_DISCRETE),
    ENUM(ppo_space_kind_t, PPO_SPACE_BOX),
    ENUM(ppo_space_kind_t, PPO_SPACE_MULTI_DISCRETE),
    ENUM(ppo_space_kind_t, PPO_SPACE_DICT),
    ENUM(ppo_dtype_t, PPO_DTYPE_FLOAT32),
    ENUM(ppo_dtype_t, PPO_DTYPE_UINT8),
    ENUM(ppo_param_type_t, PPO_PARAM_INT),
    ENUM(ppo_param_type_t, PPO_PARAM_DOUBLE),
    ENUM(ppo_param_type_t, PPO_PARAM_BOOL),
    ENUM(ppo_param_type_t, PPO_PARAM_STRING),
    ENUM(ppo_param_type_t, PPO_PARAM_ENUM),
    ENUM(ppo_param_type_t, PPO_PARAM_INT_LIST),
    ENUM(ppo_param_type_t, PPO_PARAM_DOUBLE_LIST),
    ENUM(flags, PPO_PARAM_NULLABLE),
    ENUM(flags, PPO_PARAM_HAS_MIN),
    ENUM(flags, PPO_PARAM_HAS_MAX),
    ENUM(flags, PPO_PARAM_MIN_EXCLUSIVE),
    ENUM(flags, PPO_PARAM_MAX_EXCLUSIVE),
    ENUM(flags, PPO_PARAM_NONEMPTY),
    ENUM(ppo_init_kind_t, PPO_INIT_CONSTANT),
    ENUM(ppo_init_kind_t, PPO_INIT_ORTHOGONAL),
    ENUM(ppo_init_kind_t, PPO_INIT_UNIFORM),
    ENUM(ppo_activation_t, PPO_ACTIVATION_IDENTITY),
    ENUM(ppo_activation_t, PPO_ACTIVATION_TANH),
    ENUM(ppo_activation_t, PPO_ACTIVATION_RELU),
};

/* The functions of libppofw a plugin may call (the PPO_API declarations of the headers). */
static const char *const functions[] = {
    "ppo_params_is_null",       "ppo_params_get_int",
    "ppo_params_get_double",    "ppo_params_get_bool",
    "ppo_params_get_string",    "ppo_params_get_enum_index",
    "ppo_params_get_int_list",  "ppo_params_get_double_list",
    "ppo_params_where",         "ppo_rng_seed",
    "ppo_rng_next_u64",         "ppo_rng_uniform",
    "ppo_rng_uniform_range",    "ppo_rng_below",
    "ppo_rng_normal",           "ppo_categorical_act",
    "ppo_categorical_evaluate", "ppo_categorical_backward",
    "ppo_gaussian_act",         "ppo_gaussian_evaluate",
    "ppo_gaussian_backward",    "ppo_linear_forward",
    "ppo_linear_backward",      "ppo_activation_forward",
    "ppo_activation_backward",  "ppo_tanh",
    "ppo_multi_categorical_act", "ppo_multi_categorical_evaluate",
    "ppo_multi_categorical_backward",
    "ppo_lstm_ws_floats",       "ppo_lstm_forward",
    "ppo_lstm_backward",
    "ppo_conv_shape_check",      "ppo_conv_flops",
    "ppo_conv_workspace_floats", "ppo_conv_forward",
    "ppo_conv_backward",         "ppo_avg_pool_forward",
    "ppo_avg_pool_backward",
    "ppo_linear_backward_add",  "ppo_layernorm_forward",
    "ppo_layernorm_backward",   "ppo_layernorm_backward_add",
    "ppo_gaussian_head_forward", "ppo_gaussian_head_backward",
    "ppo_segment_table_add",    "ppo_segment_table_add_linear",
    "ppo_codegen_preamble",     "ppo_codegen_floats",
    "ppo_codegen_linear_fn",    "ppo_codegen_activation_fn",
    "ppo_codegen_layernorm_fn", "ppo_codegen_reset",
    "ppo_codegen_act_begin",    "ppo_codegen_obs_input",
    "ppo_codegen_dense",        "ppo_codegen_layernorm",
    "ppo_codegen_argmax",       "ppo_codegen_gaussian_mean",
    "ppo_codegen_multi_argmax", "ppo_codegen_act_end",
    "ppo_codegen_header",       "ppo_codegen_activation",
};

static void print_table(FILE *out)
{
    fprintf(out,
            "# ppofw plugin ABI %d.%d on LP64 (x86-64, aarch64), pinned by "
            "tests/core/test_abi.c.\n"
            "# size T: sizeof(T); offset T.f: offsetof(T, f); enum TYPE NAME: the value "
            "(TYPE \"flags\" for the\n"
            "# anonymous flag enum); function NAME: exported by libppofw for plugins.\n"
            "# A minor bump may only add lines (fields appended at a struct's end, new enum "
            "values,\n"
            "# new functions), grow a struct's size, or move a `reserved` array right when its "
            "first\n"
            "# slots gain a meaning; any other difference is a major bump.\n",
            PPO_ABI_MAJOR, PPO_ABI_MINOR);
    for (size_t i = 0; i < G_N_ELEMENTS(computed); i++)
        fprintf(out, "%s %lld\n", computed[i].key, computed[i].value);
    for (size_t i = 0; i < G_N_ELEMENTS(functions); i++)
        fprintf(out, "function %s\n", functions[i]);
}

/* The pinned table: key -> value text ("" for functions). (transfer full) */
static GHashTable *load_table(void)
{
    char *path = ppo_test_data_path(ABI_TABLE);
    char *text = NULL;
    GError *error = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, &error), "cannot read %s: %s", path,
                  error != NULL ? error->message : "");
    GHashTable *table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        if (**l == '\0' || **l == '#')
            continue;
        char *line = g_strstrip(g_strdup(*l));
        if (g_str_has_prefix(line, "function ")) {
            g_hash_table_insert(table, g_strdup(line), g_strdup(""));
        } else {
            char *space = strrchr(line, ' ');
            ck_assert_msg(space != NULL, "%s: bad line \"%s\"", path, line);
            g_hash_table_insert(table, g_strndup(line, (gsize)(space - line)), g_strdup(space + 1));
        }
        g_free(line);
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return table;
}

START_TEST(test_abi_layout_matches_the_pinned_table)
{
    if (sizeof(void *) != 8 || sizeof(long) != 8)
        return;
    GHashTable *table = load_table();
    GString *diff = g_string_new(NULL);
    guint matched = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(computed); i++) {
        const char *pinned = g_hash_table_lookup(table, computed[i].key);
        char now[32];
        g_snprintf(now, sizeof(now), "%lld", computed[i].value);
        if (pinned == NULL)
            g_string_append_printf(diff, "\n  %s = %s is not in the table", computed[i].key, now);
        else if (strcmp(pinned, now) != 0)
            g_string_append_printf(diff, "\n  %s is %s, the table says %s", computed[i].key, now,
                                   pinned);
        else
            matched++;
    }
    /* and nothing pinned has disappeared */
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (g_str_has_prefix(key, "function "))
            continue;
        bool found = false;
        for (size_t i = 0; i < G_N_ELEMENTS(computed) && !found; i++)
            found = strcmp(computed[i].key, key) == 0;
        if (!found)
            g_string_append_printf(diff, "\n  %s is pinned but no longer computed", (char *)key);
    }
    ck_assert_msg(diff->len == 0, "the plugin ABI differs from tests/data/" ABI_TABLE ":%s",
                  diff->str);
    printf("%u sizes, offsets, enum values and versions match tests/data/" ABI_TABLE "\n", matched);
    g_string_free(diff, TRUE);
    g_hash_table_destroy(table);
}
END_TEST

/* The table of an older minor (transfer full), parsed like load_table. */
static GHashTable *load_named_table(const char *name)
{
    char *path = ppo_test_data_path(name);
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    GHashTable *table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        if (**l == '\0' || **l == '#')
            continue;
        char *line = g_strstrip(g_strdup(*l));
        char *space = strrchr(line, ' ');
        if (g_str_has_prefix(line, "function ") || space == NULL)
            g_hash_table_insert(table, g_strdup(line), g_strdup(""));
        else
            g_hash_table_insert(table, g_strndup(line, (gsize)(space - line)), g_strdup(space + 1));
        g_free(line);
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return table;
}

/* ABI 1.2 only extends 1.1: every line of the 1.1 table is still there with the same value,
 * except a struct's size, which may grow, the offset of a `reserved` array, which moves right
 * when a reserved slot gains a meaning, and the minor version itself. */
START_TEST(test_abi_the_current_minor_only_extends_abi_1_1)
{
    if (sizeof(void *) != 8 || sizeof(long) != 8)
        return;
    GHashTable *old = load_named_table("abi-1.1.txt");
    GHashTable *now = load_table();
    GString *diff = g_string_new(NULL);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, old);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const char *k = key, *was = value;
        const char *is = g_hash_table_lookup(now, k);
        if (strcmp(k, "abi PPO_ABI_MINOR") == 0)
            continue;
        if (is == NULL) {
            g_string_append_printf(diff, "\n  %s was pinned in 1.1 and is gone", k);
            continue;
        }
        if (strcmp(is, was) == 0)
            continue;
        const long long a = g_ascii_strtoll(was, NULL, 10), b = g_ascii_strtoll(is, NULL, 10);
        const bool grows = g_str_has_prefix(k, "size ") && b > a;
        const bool reserved_moves = g_str_has_prefix(k, "offset ") &&
                                    g_str_has_suffix(k, ".reserved") && b > a;
        if (!grows && !reserved_moves)
            g_string_append_printf(diff, "\n  %s was %s in 1.1 and is %s", k, was, is);
    }
    ck_assert_msg(diff->len == 0, "ABI %d.%d changes what 1.1 pinned:%s", PPO_ABI_MAJOR,
                  PPO_ABI_MINOR, diff->str);
    ck_assert_int_eq(PPO_ABI_MAJOR, 1);
    ck_assert_int_ge(PPO_ABI_MINOR, 2);
    g_string_free(diff, TRUE);
    g_hash_table_destroy(old);
    g_hash_table_destroy(now);
}
END_TEST

/* The built shared library NAME (e.g. "libppofw.so") of the build tree's .libs (transfer full). */
static char *built_library(const char *name)
{
    char *path = g_build_filename(sdk_build_dir(), ".libs", name, NULL);
    ck_assert_msg(g_file_test(path, G_FILE_TEST_EXISTS), "%s is not built: run make", path);
    return path;
}

/* The names of the functions and objects a shared library defines in its dynamic symbol table,
 * as `nm -D --defined-only` lists them (transfer full), or NULL when nm is not installed. */
static GPtrArray *exported_symbols(const char *path)
{
    char *nm = g_find_program_in_path("nm");
    if (nm == NULL)
        return NULL;
    char *argv[] = {nm, "-D", "--defined-only", (char *)path, NULL};
    char *out = NULL, *err = NULL;
    int status = 0;
    GError *error = NULL;
    ck_assert_msg(
        g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error),
        "cannot run nm: %s", error != NULL ? error->message : "");
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "nm -D %s failed: %s", path, err);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        /* "ADDRESS TYPE NAME"; a version definition's symbol (type A) is no function */
        char **f = g_strsplit_set(g_strstrip(*l), " \t", -1);
        const guint n = g_strv_length(f);
        if (n >= 3 && strcmp(f[1], "A") != 0)
            g_ptr_array_add(names, g_strdup(f[n - 1]));
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(out);
    g_free(err);
    g_free(nm);
    return names;
}

START_TEST(test_abi_every_pinned_function_is_exported)
{
    GHashTable *table = load_table();
    char *path = built_library("libppofw.so");
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(lib != NULL, "%s", dlerror());
    GHashTableIter it;
    gpointer key;
    guint n = 0;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (!g_str_has_prefix(key, "function "))
            continue;
        const char *name = (const char *)key + strlen("function ");
        ck_assert_msg(dlsym(lib, name) != NULL, "libppofw does not export %s", name);
        n++;
    }
    ck_assert_uint_eq(n, G_N_ELEMENTS(functions));
    dlclose(lib);
    g_free(path);
    g_hash_table_destroy(table);
}
END_TEST

/* libppofw exports the SDK's functions and nothing else: the core inside it (the loader, the
 * trainer, the pipeline, ...) is hidden, so a plugin cannot come to depend on it. */
START_TEST(test_abi_libppofw_exports_nothing_it_does_not_declare)
{
    char *path = built_library("libppofw.so");
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(lib != NULL, "%s", dlerror());
    static const char *const internal[] = {
        "ppo_pipeline_load", "ppo_plugin_load",   "ppo_trainer_new", "ppo_checkpoint_read",
        "ppo_session_open",  "ppo_params_build",  "ppo_host_init",   "ppo_log",
        "ppo_model_new",     "ppo_evaluator_new", "ppo_sweep_load",  "ppo_check_policy",
        "ppo_rms_normalize", "ppo_ydoc_parse",    "ppo_run",         "ppo_error_quark",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(internal); i++)
        ck_assert_msg(dlsym(lib, internal[i]) == NULL, "libppofw exports the internal %s",
                      internal[i]);
    dlclose(lib);

    GPtrArray *names = exported_symbols(path);
    if (names == NULL) {
        printf("nm is not installed: only the sample of internal names was checked\n");
        g_free(path);
        return;
    }
    GString *extra = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        bool declared = false;
        for (size_t k = 0; k < G_N_ELEMENTS(functions) && !declared; k++)
            declared = strcmp(functions[k], name) == 0;
        if (!declared)
            g_string_append_printf(extra, " %s", name);
    }
    ck_assert_msg(extra->len == 0, "%s exports what no header declares:%s", path, extra->str);
    ck_assert_uint_eq(names->len, G_N_ELEMENTS(functions));
    g_string_free(extra, TRUE);
    g_ptr_array_free(names, TRUE);
    g_free(path);
}
END_TEST

/* Every match of `pattern`'s group 1 in `text`, into `out`. */
static void collect(GRegex *re, const char *text, GPtrArray *out)
{
    GMatchInfo *m = NULL;
    g_regex_match(re, text, 0, &m);
    while (g_match_info_matches(m)) {
        g_ptr_array_add(out, g_match_info_fetch(m, 1));
        g_match_info_next(m, NULL);
    }
    g_match_info_free(m);
}

START_TEST(test_abi_table_covers_every_public_declaration)
{
    GHashTable *table = load_table();
    static const char *const headers[] = {"plugin.h", "params.h",    "rng.h",       "env.h",
                                          "policy.h", "advantage.h", "optimizer.h", "dist.h",
                                          "nn.h",     "export.h",    "ppofw.h",
                                          "conv.h",   "rnn.h",       "codegen.h"};
    GRegex *typedef_re = g_regex_new("\\}\\s*(ppo_[a-z0-9_]+_t);", 0, 0, NULL);
    GRegex *const_re = g_regex_new("^\\s+(PPO_[A-Z0-9_]+)\\s*=", G_REGEX_MULTILINE, 0, NULL);
    GRegex *api_re = g_regex_new("PPO_API[^(;]*?\\b(ppo_[a-z0-9_]+)\\s*\\(", 0, 0, NULL);
    GPtrArray *types = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *consts = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *apis = g_ptr_array_new_with_free_func(g_free);
    for (size_t h = 0; h < G_N_ELEMENTS(headers); h++) {
        char *rel = g_build_filename("include", "ppofw", headers[h], NULL);
        char *path = ppo_test_src_path(rel);
        char *text = NULL;
        ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
        collect(typedef_re, text, types);
        collect(const_re, text, consts);
        collect(api_re, text, apis);
        g_free(text);
        g_free(path);
        g_free(rel);
    }
    GString *missing = g_string_new(NULL);
    GString *enum_types = g_string_new(" ");
    for (size_t i = 0; i < G_N_ELEMENTS(computed); i++)
        if (g_str_has_prefix(computed[i].key, "enum ")) {
            const char *t = computed[i].key + 5;
            g_string_append_len(enum_types, t, (gssize)(strchr(t, ' ') - t));
            g_string_append_c(enum_types, ' ');
        }
    for (guint i = 0; i < types->len; i++) {
        const char *t = g_ptr_array_index(types, i);
        char *size_key = g_strdup_printf("size %s", t), *as_enum = g_strdup_printf(" %s ", t);
        if (!g_hash_table_contains(table, size_key) && strstr(enum_types->str, as_enum) == NULL)
            g_string_append_printf(missing, " type %s", t);
        g_free(size_key);
        g_free(as_enum);
    }
    for (guint i = 0; i < consts->len; i++) {
        const char *c = g_ptr_array_index(consts, i);
        bool found = false;
        for (size_t k = 0; k < G_N_ELEMENTS(computed) && !found; k++)
            found = g_str_has_prefix(computed[k].key, "enum ") &&
                    g_str_has_suffix(computed[k].key, c) &&
                    computed[k].key[strlen(computed[k].key) - strlen(c) - 1] == ' ';
        if (!found)
            g_string_append_printf(missing, " constant %s", c);
    }
    for (guint i = 0; i < apis->len; i++) {
        char *key = g_strdup_printf("function %s", (const char *)g_ptr_array_index(apis, i));
        if (!g_hash_table_contains(table, key))
            g_string_append_printf(missing, " %s", key);
        g_free(key);
    }
    ck_assert_msg(missing->len == 0, "declared in include/ppofw but not pinned:%s", missing->str);
    ck_assert_uint_ge(types->len, 13);
    ck_assert_uint_eq(apis->len, G_N_ELEMENTS(functions));
    g_string_free(missing, TRUE);
    g_string_free(enum_types, TRUE);
    g_ptr_array_free(types, TRUE);
    g_ptr_array_free(consts, TRUE);
    g_ptr_array_free(apis, TRUE);
    g_regex_unref(typedef_re);
    g_regex_unref(const_re);
    g_regex_unref(api_re);
    g_hash_table_destroy(table);
}
END_TEST

/* libppofw-check, the testing API, exports exactly the functions its header declares: the core
 * it carries inside stays hidden too. */
START_TEST(test_abi_libppofw_check_exports_only_the_testing_api)
{
    char *header = ppo_test_src_path("include/ppofw-check/check.h");
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(header, &text, NULL, NULL), "cannot read %s", header);
    GRegex *api_re = g_regex_new("PPO_API[^(;]*?\\b(ppo_[a-z0-9_]+)\\s*\\(", 0, 0, NULL);
    GPtrArray *declared = g_ptr_array_new_with_free_func(g_free);
    collect(api_re, text, declared);
    ck_assert_uint_ge(declared->len, 20);

    char *path = built_library("libppofw-check.so");
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(lib != NULL, "%s", dlerror());
    for (guint i = 0; i < declared->len; i++)
        ck_assert_msg(dlsym(lib, g_ptr_array_index(declared, i)) != NULL,
                      "libppofw-check does not export %s", (char *)g_ptr_array_index(declared, i));
    ck_assert_msg(dlsym(lib, "ppo_plugin_load") == NULL && dlsym(lib, "ppo_rng_seed") == NULL,
                  "libppofw-check exports the core it carries");
    dlclose(lib);
    GPtrArray *names = exported_symbols(path);
    if (names != NULL) {
        GString *extra = g_string_new(NULL);
        for (guint i = 0; i < names->len; i++) {
            const char *name = g_ptr_array_index(names, i);
            bool found = false;
            for (guint k = 0; k < declared->len && !found; k++)
                found = strcmp(g_ptr_array_index(declared, k), name) == 0;
            if (!found)
                g_string_append_printf(extra, " %s", name);
        }
        ck_assert_msg(extra->len == 0, "%s exports what check.h does not declare:%s", path,
                      extra->str);
        ck_assert_uint_eq(names->len, declared->len);
        g_string_free(extra, TRUE);
        g_ptr_array_free(names, TRUE);
    }
    g_free(path);
    g_ptr_array_free(declared, TRUE);
    g_regex_unref(api_re);
    g_free(text);
    g_free(header);
}
END_TEST

/* The manual pages name every function their headers declare, so the summary a plugin author
 * reads in `man ppofw-plugin` (or `man ppofw-check`) cannot fall behind the headers. */
static void assert_manual_names_every_function(const char *page_in, const char *const *headers,
                                               size_t n_headers)
{
    char *page_path = ppo_test_src_path(page_in);
    char *page = NULL;
    ck_assert_msg(g_file_get_contents(page_path, &page, NULL, NULL), "cannot read %s", page_path);
    GRegex *api_re = g_regex_new("PPO_API[^(;]*?\\b(ppo_[a-z0-9_]+)\\s*\\(", 0, 0, NULL);
    GString *missing = g_string_new(NULL);
    guint n = 0;
    for (size_t h = 0; h < n_headers; h++) {
        char *path = ppo_test_src_path(headers[h]);
        char *text = NULL;
        ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
        GPtrArray *apis = g_ptr_array_new_with_free_func(g_free);
        collect(api_re, text, apis);
        for (guint i = 0; i < apis->len; i++, n++) {
            const char *name = g_ptr_array_index(apis, i);
            /* as a word: not the prefix of a longer name */
            char *pattern = g_strdup_printf("\\b%s\\b", name);
            if (!g_regex_match_simple(pattern, page, 0, 0))
                g_string_append_printf(missing, " %s (%s)", name, headers[h]);
            g_free(pattern);
        }
        g_ptr_array_free(apis, TRUE);
        g_free(text);
        g_free(path);
    }
    ck_assert_msg(missing->len == 0, "%s does not name:%s", page_in, missing->str);
    ck_assert_uint_gt(n, 0);
    g_string_free(missing, TRUE);
    g_regex_unref(api_re);
    g_free(page);
    g_free(page_path);
}

START_TEST(test_abi_the_plugin_manual_names_every_declared_function)
{
    /* every header of the SDK, as installed */
    char *dir_path = ppo_test_src_path("include/ppofw");
    GDir *dir = g_dir_open(dir_path, 0, NULL);
    ck_assert_ptr_nonnull(dir);
    GPtrArray *headers = g_ptr_array_new_with_free_func(g_free);
    for (const char *e = g_dir_read_name(dir); e != NULL; e = g_dir_read_name(dir))
        if (g_str_has_suffix(e, ".h"))
            g_ptr_array_add(headers, g_strconcat("include/ppofw/", e, NULL));
    g_dir_close(dir);
    g_free(dir_path);
    ck_assert_uint_ge(headers->len, 13);
    assert_manual_names_every_function("docs/man/ppofw-plugin.3.in",
                                       (const char *const *)headers->pdata, headers->len);
    g_ptr_array_free(headers, TRUE);
    static const char *const check_headers[] = {"include/ppofw-check/check.h"};
    assert_manual_names_every_function("docs/man/ppofw-check.3.in", check_headers,
                                       G_N_ELEMENTS(check_headers));
}
END_TEST

START_TEST(test_abi_plugin_with_older_struct_sizes_loads_and_reads_the_tail_as_absent)
{
    char *path = sdk_fixture_path("sdk_old_minor");

    /* the plugin as it is in memory: smaller struct sizes, junk beyond them */
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(handle != NULL, "%s", dlerror());
    ppo_plugin_entry_fn entry;
    void *sym = dlsym(handle, PPO_PLUGIN_ENTRY_SYMBOL);
    ck_assert_ptr_nonnull(sym);
    memcpy(&entry, &sym, sizeof(entry));
    const ppo_plugin_desc_t *raw = entry();
    const ppo_env_vtable_t *raw_vt = raw->vtable.env;
    ck_assert_uint_lt(raw->struct_size, sizeof(ppo_plugin_desc_t));
    ck_assert_uint_lt(raw_vt->struct_size, sizeof(ppo_env_vtable_t));
    ck_assert_ptr_nonnull(raw->reserved[0]);
    ck_assert_ptr_nonnull(raw_vt->render_size);
    ck_assert_ptr_nonnull(raw_vt->reserved[G_N_ELEMENTS(raw_vt->reserved) - 1]);

    /* the host's view: loaded, and every field past struct_size absent */
    GError *error = NULL;
    ppo_plugin_t *p = ppo_plugin_load_file(path, &error);
    ck_assert_msg(p != NULL, "%s", error != NULL ? error->message : "");
    ck_assert_uint_eq(p->abi_major, PPO_ABI_MAJOR);
    ck_assert_uint_eq(p->abi_minor, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(p->vt.env.reserved); i++)
        ck_assert_ptr_null(p->vt.env.reserved[i]);
    ck_assert_ptr_null(p->vt.env.render_size);
    ck_assert_ptr_null(p->vt.env.render_rgb);
    ck_assert_ptr_null(p->vt.env.render_text);
    ck_assert_ptr_null(p->vt.env.state_size);
    ck_assert_ptr_nonnull(p->vt.env.step);

    /* and it works as an env */
    ppo_params_t *params = ppo_test_params(p, "");
    ppo_check_env_options_t opt = ppo_check_env_defaults();
    ppo_check_report_t *r = ppo_check_report_new(NULL);
    ppo_check_env(p, params, &opt, r);
    char *ids = sdk_failed_ids(r);
    ck_assert_msg(*ids == '\0', "the older-layout plugin fails check-env: %s", ids);
    g_free(ids);
    ppo_check_report_free(r);
    ppo_params_free(params);
    g_free(path);
}
END_TEST

static Suite *abi_suite(void)
{
    Suite *s = suite_create("abi");
    TCase *layout = tcase_create("layout");
    tcase_add_test(layout, test_abi_layout_matches_the_pinned_table);
    tcase_add_test(layout, test_abi_every_pinned_function_is_exported);
    tcase_add_test(layout, test_abi_libppofw_exports_nothing_it_does_not_declare);
    tcase_add_test(layout, test_abi_libppofw_check_exports_only_the_testing_api);
    tcase_add_test(layout, test_abi_the_plugin_manual_names_every_declared_function);
    tcase_add_test(layout, test_abi_table_covers_every_public_declaration);
    tcase_add_test(layout, test_abi_the_current_minor_only_extends_abi_1_1);
    suite_add_tcase(s, layout);
    TCase *minor = tcase_create("older minor");
    tcase_add_test(minor,
                   test_abi_plugin_with_older_struct_sizes_loads_and_reads_the_tail_as_absent);
    suite_add_tcase(s, minor);
    return s;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--print") == 0) {
        print_table(stdout);
        return 0;
    }
    return ppo_test_run(abi_suite());
}
