/* ppofw core — pipeline files: the schema of DESIGN.md §5, --set overrides, cross-key checks.
 *
 * Each section is a table of ppo_param_spec_t validated by ppo_params_build, the same code that
 * validates plugin parameters. This file knows which sections exist, which are required, how
 * --set edits the tree before validation, and the rules that involve several keys. Plugin
 * params blocks are left as YAML until their plugin is loaded.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_pipeline_private.h"

#define SPEC PPO_PARAM_SPEC_INIT
#define MIN0 (PPO_PARAM_HAS_MIN)
#define POS (PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE)
#define NUL PPO_PARAM_NULLABLE
#define RANGE (PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX)

static const char *const schedule_choices[] = {"constant", "linear", NULL};
static const char *const objective_choices[] = {"clip", "kl_penalty", "kl_fixed", "none", NULL};
static const char *const advnorm_choices[] = {"minibatch", "batch", "none", NULL};
static const char *const on_nan_choices[] = {"stop", "skip_update", NULL};
static const char *const value_loss_choices[] = {"half_mse", "mse", NULL};
static const char *const rounding_choices[] = {"up", "down", NULL};
static const char *const norm_mode_choices[] = {"vecnormalize", "gymnasium", NULL};

static const ppo_param_spec_t top_specs[] = {
    {SPEC, .name = "name", .type = PPO_PARAM_STRING, .flags = NUL, .default_value = "null",
     .doc = "names the run directory (default: the pipeline file's name)"},
    {SPEC, .name = "seed", .type = PPO_PARAM_INT, .flags = RANGE, .min = 0, .max = 9.0e18,
     .default_value = "1", .doc = "root seed of every random stream"},
    {SPEC, .name = "on_nan", .type = PPO_PARAM_ENUM, .choices = on_nan_choices,
     .default_value = "stop",
     .doc = "on NaN/Inf in the loss or gradients: stop (exit 4) or skip that update"},
};
static const char *const top_sections[] = {"env",  "policy",     "advantage", "optimizer",
                                           "ppo",  "normalize",  "checkpoint", "eval",
                                           "log",  "mpi",        NULL};

static const ppo_param_spec_t env_specs[] = {
    {SPEC, .name = "plugin", .type = PPO_PARAM_STRING,
     .doc = "env plugin: a name, or a path (contains '/' or ends in .so; relative to the pipeline)"},
    {SPEC, .name = "num_envs", .type = PPO_PARAM_INT, .flags = RANGE, .min = 1, .max = 65536,
     .default_value = "8", .doc = "env instances per process (per rank under MPI)"},
    {SPEC, .name = "max_episode_steps", .type = PPO_PARAM_INT, .flags = MIN0 | NUL, .min = 1,
     .max = 0, .default_value = "null",
     .doc = "time limit applied as truncation; null: the plugin's registered value"},
};

static const ppo_param_spec_t plugin_specs[] = {
    {SPEC, .name = "plugin", .type = PPO_PARAM_STRING,
     .doc = "plugin name, or a path (contains '/' or ends in .so; relative to the pipeline)"},
};
static const char *const params_key[] = {"params", NULL};

static const ppo_param_spec_t ppo_specs[] = {
    {SPEC, .name = "total_steps", .type = PPO_PARAM_INT, .flags = RANGE, .min = 1, .max = 1e15,
     .doc = "env steps to train, summed over all envs and ranks"},
    {SPEC, .name = "rollout_steps", .type = PPO_PARAM_INT, .flags = RANGE, .min = 1, .max = 1e8,
     .default_value = "128", .doc = "T: steps per env per rollout"},
    {SPEC, .name = "epochs", .type = PPO_PARAM_INT, .flags = RANGE, .min = 1, .max = 10000,
     .default_value = "4", .doc = "passes over each rollout"},
    {SPEC, .name = "minibatches", .type = PPO_PARAM_INT, .flags = RANGE, .min = 1, .max = 1e8,
     .default_value = "4", .doc = "minibatches per epoch; must divide num_envs * rollout_steps"},
    {SPEC, .name = "clip", .type = PPO_PARAM_DOUBLE, .flags = RANGE | PPO_PARAM_MIN_EXCLUSIVE,
     .min = 0, .max = 1, .default_value = "0.2", .doc = "PPO clip range epsilon"},
    {SPEC, .name = "clip_schedule", .type = PPO_PARAM_ENUM, .choices = schedule_choices,
     .default_value = "constant", .doc = "constant, or linear to 0 at the end of training"},
    {SPEC, .name = "lr_schedule", .type = PPO_PARAM_ENUM, .choices = schedule_choices,
     .default_value = "linear", .doc = "scales the optimizer's lr: constant, or linear to 0"},
    {SPEC, .name = "objective", .type = PPO_PARAM_ENUM, .choices = objective_choices,
     .default_value = "clip",
     .doc = "clip, kl_penalty (adaptive beta), kl_fixed (fixed beta) or none (unclipped)"},
    {SPEC, .name = "kl_penalty_target", .type = PPO_PARAM_DOUBLE, .flags = POS, .min = 0,
     .default_value = "0.01", .doc = "d_targ of the adaptive KL penalty"},
    {SPEC, .name = "kl_penalty_beta", .type = PPO_PARAM_DOUBLE, .flags = MIN0, .min = 0,
     .default_value = "1.0", .doc = "initial (kl_penalty) or fixed (kl_fixed) beta"},
    {SPEC, .name = "vf_coef", .type = PPO_PARAM_DOUBLE, .flags = MIN0, .min = 0,
     .default_value = "0.5", .doc = "weight of the value loss (its form: value_loss)"},
    {SPEC, .name = "value_loss", .type = PPO_PARAM_ENUM, .choices = value_loss_choices,
     .default_value = "half_mse",
     .doc = "half_mse: 0.5*(V-R)^2 (CleanRL, baselines ppo2); mse: (V-R)^2 (SB3's F.mse_loss), so "
            "SB3's vf_coef carries over unchanged"},
    {SPEC, .name = "vf_clip", .type = PPO_PARAM_DOUBLE, .flags = POS | NUL, .min = 0,
     .default_value = "null", .doc = "null, or epsilon for ppo2-style value clipping"},
    {SPEC, .name = "ent_coef", .type = PPO_PARAM_DOUBLE, .flags = MIN0, .min = 0,
     .default_value = "0.0", .doc = "weight of the entropy bonus"},
    {SPEC, .name = "max_grad_norm", .type = PPO_PARAM_DOUBLE, .flags = POS | NUL, .min = 0,
     .default_value = "0.5", .doc = "global gradient-norm clip; null: no clipping"},
    {SPEC, .name = "normalize_advantages", .type = PPO_PARAM_ENUM, .choices = advnorm_choices,
     .default_value = "minibatch", .doc = "per minibatch, per batch, or none"},
    {SPEC, .name = "target_kl", .type = PPO_PARAM_DOUBLE, .flags = POS | NUL, .min = 0,
     .default_value = "null",
     .doc = "stop the update when approx_kl > 1.5 * target_kl (checked per minibatch)"},
    {SPEC, .name = "bootstrap_truncation", .type = PPO_PARAM_BOOL, .default_value = "true",
     .doc = "bootstrap a time-limit end from V(final observation) (SB3); false: treat it as a "
            "termination (CleanRL, baselines ppo2)"},
    {SPEC, .name = "round_iterations", .type = PPO_PARAM_ENUM, .choices = rounding_choices,
     .default_value = "up",
     .doc = "iterations from total_steps / (num_envs * rollout_steps * ranks): up runs at least "
            "total_steps (SB3), down at most (CleanRL's total_timesteps // batch_size)"},
    {SPEC, .name = "threads", .type = PPO_PARAM_INT, .flags = RANGE, .min = 0, .max = 1024,
     .default_value = "0", .doc = "worker threads; 0: all cores. Never changes results"},
    {SPEC, .name = "seq_len", .type = PPO_PARAM_INT, .flags = RANGE | NUL, .min = 1, .max = 1e8,
     .default_value = "null",
     .doc = "recurrent policies: steps per training sequence (at most rollout_steps; the last "
            "sequence of each env is padded when it does not divide them); null: "
            "rollout_steps. Ignored by policies without memory"},
};

static const ppo_param_spec_t normalize_specs[] = {
    {SPEC, .name = "obs", .type = PPO_PARAM_BOOL, .default_value = "false",
     .doc = "normalize observations by running mean and variance"},
    {SPEC, .name = "reward", .type = PPO_PARAM_BOOL, .default_value = "false",
     .doc = "scale rewards by the running std of the discounted return"},
    {SPEC, .name = "clip_obs", .type = PPO_PARAM_DOUBLE, .flags = POS, .min = 0,
     .default_value = "10.0", .doc = "clip normalized observations to +-clip_obs"},
    {SPEC, .name = "clip_reward", .type = PPO_PARAM_DOUBLE, .flags = POS, .min = 0,
     .default_value = "10.0", .doc = "clip scaled rewards to +-clip_reward"},
    {SPEC, .name = "gamma", .type = PPO_PARAM_DOUBLE,
     .flags = RANGE | PPO_PARAM_MIN_EXCLUSIVE | NUL, .min = 0, .max = 1, .default_value = "null",
     .doc = "discount of the return used for reward scaling; null: the advantage plugin's gamma"},
    {SPEC, .name = "epsilon", .type = PPO_PARAM_DOUBLE, .flags = POS, .min = 0,
     .default_value = "1.0e-8", .doc = "added to variances before the square root"},
    {SPEC, .name = "mode", .type = PPO_PARAM_ENUM, .choices = norm_mode_choices,
     .default_value = "vecnormalize",
     .doc = "vecnormalize: SB3's VecNormalize (statistics shared by all envs; the discounted "
            "return restarts at every episode end); gymnasium: Gymnasium's NormalizeObservation "
            "and NormalizeReward on each env, as CleanRL wraps them (statistics per env, the "
            "final observation counted too; the return restarts only at termination)"},
};

static const ppo_param_spec_t checkpoint_specs[] = {
    {SPEC, .name = "every_seconds", .type = PPO_PARAM_DOUBLE, .flags = POS | NUL, .min = 0,
     .default_value = "60", .doc = "write a checkpoint after this much wall time; null: never"},
    {SPEC, .name = "every_steps", .type = PPO_PARAM_INT, .flags = MIN0 | NUL, .min = 1,
     .default_value = "null", .doc = "write a checkpoint every this many env steps; null: never"},
    {SPEC, .name = "keep", .type = PPO_PARAM_INT, .flags = RANGE, .min = 1, .max = 1e6,
     .default_value = "3", .doc = "how many periodic checkpoints to keep"},
};

static const ppo_param_spec_t eval_specs[] = {
    {SPEC, .name = "every_steps", .type = PPO_PARAM_INT, .flags = MIN0 | NUL, .min = 1,
     .default_value = "null", .doc = "evaluate every this many env steps; null: never"},
    {SPEC, .name = "episodes", .type = PPO_PARAM_INT, .flags = RANGE, .min = 1, .max = 1e6,
     .default_value = "10", .doc = "episodes per evaluation"},
    {SPEC, .name = "deterministic", .type = PPO_PARAM_BOOL, .default_value = "true",
     .doc = "take the distribution's mode instead of sampling"},
    {SPEC, .name = "record", .type = PPO_PARAM_BOOL, .default_value = "false",
     .doc = "draw the first evaluation env's episodes into RUN/videos/ as GIFs and the last frame "
            "into TensorBoard (eval/frame); needs an env with render_rgb"},
};

static const ppo_param_spec_t log_specs[] = {
    {SPEC, .name = "every_iterations", .type = PPO_PARAM_INT, .flags = RANGE, .min = 1, .max = 1e9,
     .default_value = "1", .doc = "write metrics every this many iterations"},
    {SPEC, .name = "tensorboard", .type = PPO_PARAM_BOOL, .default_value = "true",
     .doc = "also write TensorBoard event files under tb/"},
};

static const ppo_param_spec_t mpi_specs[] = {
    {SPEC, .name = "check_sync_every", .type = PPO_PARAM_INT, .flags = MIN0 | NUL, .min = 1,
     .default_value = "null",
     .doc = "under mpirun, check every this many updates that all ranks hold identical parameters "
            "(stops the job if not); null: never"},
};

typedef struct {
    const char *name;
    const ppo_param_spec_t *specs;
    uint32_t n;
    bool required;
    const char *const *extra;
} section_t;

static const section_t sections[] = {
    {"env", env_specs, G_N_ELEMENTS(env_specs), true, params_key},
    {"policy", plugin_specs, G_N_ELEMENTS(plugin_specs), true, params_key},
    {"advantage", plugin_specs, G_N_ELEMENTS(plugin_specs), true, params_key},
    {"optimizer", plugin_specs, G_N_ELEMENTS(plugin_specs), true, params_key},
    {"ppo", ppo_specs, G_N_ELEMENTS(ppo_specs), true, NULL},
    {"normalize", normalize_specs, G_N_ELEMENTS(normalize_specs), false, NULL},
    {"checkpoint", checkpoint_specs, G_N_ELEMENTS(checkpoint_specs), false, NULL},
    {"eval", eval_specs, G_N_ELEMENTS(eval_specs), false, NULL},
    {"log", log_specs, G_N_ELEMENTS(log_specs), false, NULL},
    {"mpi", mpi_specs, G_N_ELEMENTS(mpi_specs), false, NULL},
};

/* A validated section: its params and the position of the section itself. */
typedef struct {
    const char *name;
    ppo_params_t *params;
    ppo_mark_t mark;
} block_t;

static void block_free(gpointer data)
{
    block_t *b = data;
    ppo_params_free(b->params);
    g_free(b);
}

static const block_t *find_block(const ppo_pipeline_t *p, const char *name)
{
    for (guint i = 0; i < p->sections->len; i++) {
        const block_t *b = g_ptr_array_index(p->sections, i);
        if (strcmp(b->name, name) == 0)
            return b;
    }
    return NULL;
}

ppo_mark_t ppo_pipeline_mark(const ppo_pipeline_t *p, const char *key)
{
    const char *dot = strchr(key, '.');
    char *section = dot != NULL ? g_strndup(key, (gsize)(dot - key)) : g_strdup("");
    const block_t *b = find_block(p, dot != NULL ? section : "");
    ppo_mark_t mark = {p->path, 1, 1};
    if (b != NULL) {
        const char *name = dot != NULL ? dot + 1 : key;
        mark = b->mark;
        if (ppo_params_spec(b->params, name) != NULL) {
            ppo_mark_t m = ppo_params_mark(b->params, name);
            if (m.line > 0 || strcmp(m.source, "default") != 0)
                mark = m;
        }
    }
    g_free(section);
    return mark;
}

bool ppo_pipeline_is_default(const ppo_pipeline_t *p, const char *key)
{
    const char *dot = strchr(key, '.');
    if (dot == NULL)
        return false;
    char *section = g_strndup(key, (gsize)(dot - key));
    const block_t *b = find_block(p, section);
    g_free(section);
    if (b == NULL || ppo_params_spec(b->params, dot + 1) == NULL)
        return false;
    return strcmp(ppo_params_mark(b->params, dot + 1).source, "default") == 0;
}

char *ppo_pipeline_where(const ppo_pipeline_t *p, const char *key)
{
    char *at = ppo_mark_format(ppo_pipeline_mark(p, key));
    char *out = g_strdup_printf("%s: %s: ", at, key);
    g_free(at);
    return out;
}

static void pipeline_error(GError **error, const ppo_pipeline_t *p, const char *key,
                           const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static void pipeline_error(GError **error, const ppo_pipeline_t *p, const char *key,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *where = ppo_pipeline_where(p, key);
    g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE, "%s%s", where, msg);
    g_free(where);
    g_free(msg);
}

char *ppo_plugin_spec_name(const char *spec)
{
    char *base = g_path_get_basename(spec);
    if (g_str_has_suffix(base, ".so"))
        base[strlen(base) - 3] = '\0';
    return base;
}

/* `--set SECTION.plugin=NAME` naming another plugin than the section has: the old plugin's params
 * would not fit the new one, so the section's params become empty, as when a sweep cell sets a
 * whole section, and a note names the keys dropped. `old` is the section's plugin before the
 * override. */
static bool drop_swapped_params(ppo_pipeline_t *p, const char *section, const ppo_ynode_t *old,
                                const ppo_ynode_t *now, const char *arg, GError **error)
{
    if (old == NULL || old->kind != PPO_YNODE_SCALAR || now == NULL ||
        now->kind != PPO_YNODE_SCALAR)
        return true;
    char *was = ppo_plugin_spec_name(old->text), *is = ppo_plugin_spec_name(now->text);
    const ppo_ynode_t *sec = ppo_ynode_get(ppo_ydoc_root(p->doc), section);
    const ppo_ynode_t *params = sec != NULL ? ppo_ynode_get(sec, "params") : NULL;
    bool ok = true;
    if (strcmp(was, is) != 0 && params != NULL && params->kind == PPO_YNODE_MAPPING &&
        params->n_items > 0) {
        GString *keys = g_string_new(NULL);
        for (uint32_t i = 0; i < params->n_items; i++)
            g_string_append_printf(keys, "%s%s", i > 0 ? ", " : "", params->keys[i]->text);
        char *path = g_strdup_printf("%s.params", section);
        char *source = g_strdup_printf("--set %s", arg);
        ppo_ynode_t *empty = ppo_ydoc_parse_value(p->doc, source, "{}", error);
        ok = empty != NULL && ppo_ydoc_set_path(p->doc, path, empty, source, error);
        if (ok)
            g_ptr_array_add(p->notes,
                            g_strdup_printf("--set %s: %s is now \"%s\", so the params of \"%s\" "
                                            "are dropped (%s); set the new plugin's with --set "
                                            "%s.NAME=VALUE after this one",
                                            arg, section, is, was, keys->str, path));
        g_free(source);
        g_free(path);
        g_string_free(keys, TRUE);
    }
    g_free(was);
    g_free(is);
    return ok;
}

/* Apply one --set KEY=VALUE to the tree. */
static bool apply_override(ppo_pipeline_t *p, const char *arg, GError **error)
{
    const char *eq = strchr(arg, '=');
    char *source = g_strdup_printf("--set %s", arg);
    bool ok = false;
    if (eq == NULL || eq == arg) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                    "%s: expected KEY=VALUE, e.g. --set ppo.clip=0.1", source);
        goto out;
    }
    char *key = g_strndup(arg, (gsize)(eq - arg));
    /* a plugin section's plugin, before the override replaces it */
    static const char *const plugin_keys[] = {"env.plugin", "policy.plugin", "advantage.plugin",
                                              "optimizer.plugin", NULL};
    const bool swaps = g_strv_contains(plugin_keys, key);
    char *section = swaps ? g_strndup(key, strlen(key) - strlen(".plugin")) : NULL;
    const ppo_ynode_t *sec = swaps ? ppo_ynode_get(ppo_ydoc_root(p->doc), section) : NULL;
    const ppo_ynode_t *old =
        sec != NULL && sec->kind == PPO_YNODE_MAPPING ? ppo_ynode_get(sec, "plugin") : NULL;
    ppo_ynode_t *value = ppo_ydoc_parse_value(p->doc, source, eq + 1, error);
    if (value != NULL)
        ok = ppo_ydoc_set_path(p->doc, key, value, source, error) &&
             (!swaps || drop_swapped_params(p, section, old, value, arg, error));
    g_free(section);
    g_free(key);
out:
    g_free(source);
    return ok;
}

static ppo_params_t *build_block(ppo_pipeline_t *p, const char *name, const ppo_param_spec_t *specs,
                                 uint32_t n, const ppo_ynode_t *node, ppo_mark_t mark,
                                 const char *const *extra, GError **error)
{
    ppo_params_t *params = ppo_params_build(specs, n, node, name, &mark, extra, error);
    if (params == NULL)
        return NULL;
    block_t *b = g_new0(block_t, 1);
    b->name = name;
    b->params = params;
    b->mark = mark;
    g_ptr_array_add(p->sections, b);
    return params;
}

static bool read_plugin_section(ppo_pipeline_t *p, ppo_plugin_section_t *s,
                                const ppo_params_t *params, const ppo_ynode_t *node)
{
    s->plugin = g_strdup(ppo_params_get_string(params, "plugin"));
    s->plugin_mark = ppo_params_mark(params, "plugin");
    const ppo_ynode_t *key = ppo_ynode_get_key(node, "params");
    s->params = ppo_ynode_get(node, "params");
    s->params_mark = key != NULL ? key->mark : node->mark;
    return true;
}

static double nullable_double(const ppo_params_t *params, const char *name)
{
    return ppo_params_is_null(params, name) ? NAN : ppo_params_get_double(params, name);
}

static bool validate(ppo_pipeline_t *p, GError **error)
{
    ppo_ynode_t *root = ppo_ydoc_root(p->doc);
    const ppo_mark_t file_mark = {ppo_ydoc_source(p->doc), 1, 1};
    if (root == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                    "%s: the pipeline is empty; it needs at least the sections env, policy, "
                    "advantage, optimizer and ppo (see configs/cartpole.yaml)",
                    p->path);
        return false;
    }
    ppo_params_t *top = build_block(p, "", top_specs, G_N_ELEMENTS(top_specs), root, root->mark,
                                    top_sections, error);
    if (top == NULL)
        return false;
    p->name = ppo_params_is_null(top, "name") ? NULL : g_strdup(ppo_params_get_string(top, "name"));
    if (p->name == NULL) {
        /* the file's name, made a run directory's name: "my pipe.yaml" runs as "my-pipe" */
        char *base = g_path_get_basename(p->path);
        char *dot = strrchr(base, '.');
        if (dot != NULL && dot != base)
            *dot = '\0';
        GString *name = g_string_new(NULL);
        for (const char *c = base; *c != '\0'; c++) {
            const bool ok = g_ascii_isalnum(*c) || *c == '-' || *c == '_' ||
                            (*c == '.' && name->len > 0);
            if (ok)
                g_string_append_c(name, *c);
            else if (name->len > 0 && name->str[name->len - 1] != '-')
                g_string_append_c(name, '-');
        }
        while (name->len > 0 && name->str[name->len - 1] == '-')
            g_string_truncate(name, name->len - 1);
        if (name->len > 100)
            g_string_truncate(name, 100);
        if (name->len == 0)
            g_string_assign(name, "pipeline");
        p->name = g_string_free(name, FALSE);
        g_free(base);
    }
    for (const char *c = p->name; *c != '\0'; c++) {
        if (!(g_ascii_isalnum(*c) || *c == '-' || *c == '_' || *c == '.') || p->name[0] == '.') {
            pipeline_error(error, p, "name",
                           "\"%s\" cannot name a run directory; use letters, digits, '-', '_' "
                           "and '.' (not first)",
                           p->name);
            return false;
        }
    }
    if (*p->name == '\0') {
        pipeline_error(error, p, "name", "the name is empty; give the run a name");
        return false;
    }
    p->seed = (uint64_t)ppo_params_get_int(top, "seed");
    p->on_nan = (ppo_on_nan_t)ppo_params_get_enum_index(top, "on_nan");

    for (size_t i = 0; i < G_N_ELEMENTS(sections); i++) {
        const section_t *sec = &sections[i];
        const ppo_ynode_t *key = ppo_ynode_get_key(root, sec->name);
        const ppo_ynode_t *node = ppo_ynode_get(root, sec->name);
        if (sec->required && (key == NULL || ppo_ynode_is_null(node))) {
            char *at = ppo_mark_format(key != NULL ? key->mark : file_mark);
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                        "%s: %s: missing section; add \"%s:\"%s", at, sec->name, sec->name,
                        strcmp(sec->name, "ppo") == 0 ? " with at least total_steps"
                                                       : " with a plugin");
            g_free(at);
            return false;
        }
        ppo_mark_t mark = node != NULL ? node->mark : file_mark;
        if (sec->extra == params_key && node != NULL && node->kind == PPO_YNODE_SCALAR &&
            !ppo_ynode_is_null(node)) {
            /* the likeliest slip: naming the plugin directly */
            char *at = ppo_mark_format(node->mark);
            char *got = ppo_ynode_describe(node);
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                        "%s: %s: expected a mapping, got %s; write %s: {plugin: %s}", at,
                        sec->name, got, sec->name, node->text);
            g_free(got);
            g_free(at);
            return false;
        }
        ppo_params_t *params =
            build_block(p, sec->name, sec->specs, sec->n, node, mark, sec->extra, error);
        if (params == NULL)
            return false;
        if (strcmp(sec->name, "env") == 0) {
            read_plugin_section(p, &p->env, params, node);
            p->num_envs = (uint32_t)ppo_params_get_int(params, "num_envs");
            p->max_episode_steps = ppo_params_is_null(params, "max_episode_steps")
                                       ? 0
                                       : (uint32_t)MIN(ppo_params_get_int(params,
                                                                          "max_episode_steps"),
                                                       UINT32_MAX);
        } else if (strcmp(sec->name, "policy") == 0) {
            read_plugin_section(p, &p->policy, params, node);
        } else if (strcmp(sec->name, "advantage") == 0) {
            read_plugin_section(p, &p->advantage, params, node);
        } else if (strcmp(sec->name, "optimizer") == 0) {
            read_plugin_section(p, &p->optimizer, params, node);
        } else if (strcmp(sec->name, "ppo") == 0) {
            p->ppo.total_steps = (uint64_t)ppo_params_get_int(params, "total_steps");
            p->ppo.rollout_steps = (uint32_t)ppo_params_get_int(params, "rollout_steps");
            p->ppo.epochs = (uint32_t)ppo_params_get_int(params, "epochs");
            p->ppo.minibatches = (uint32_t)ppo_params_get_int(params, "minibatches");
            p->ppo.clip = ppo_params_get_double(params, "clip");
            p->ppo.clip_schedule = (ppo_schedule_t)ppo_params_get_enum_index(params,
                                                                             "clip_schedule");
            p->ppo.lr_schedule = (ppo_schedule_t)ppo_params_get_enum_index(params, "lr_schedule");
            p->ppo.objective = (ppo_objective_t)ppo_params_get_enum_index(params, "objective");
            p->ppo.kl_penalty_target = ppo_params_get_double(params, "kl_penalty_target");
            p->ppo.kl_penalty_beta = ppo_params_get_double(params, "kl_penalty_beta");
            p->ppo.vf_coef = ppo_params_get_double(params, "vf_coef");
            p->ppo.value_loss = (ppo_value_loss_t)ppo_params_get_enum_index(params, "value_loss");
            p->ppo.vf_clip = nullable_double(params, "vf_clip");
            p->ppo.ent_coef = ppo_params_get_double(params, "ent_coef");
            p->ppo.max_grad_norm = nullable_double(params, "max_grad_norm");
            p->ppo.normalize_advantages =
                (ppo_advnorm_t)ppo_params_get_enum_index(params, "normalize_advantages");
            p->ppo.target_kl = nullable_double(params, "target_kl");
            p->ppo.threads = (uint32_t)ppo_params_get_int(params, "threads");
            p->ppo.bootstrap_truncation = ppo_params_get_bool(params, "bootstrap_truncation");
            p->ppo.round_down = ppo_params_get_enum_index(params, "round_iterations") == 1;
            p->ppo.seq_len = ppo_params_is_null(params, "seq_len")
                                 ? 0
                                 : (uint32_t)ppo_params_get_int(params, "seq_len");
        } else if (strcmp(sec->name, "normalize") == 0) {
            p->normalize.obs = ppo_params_get_bool(params, "obs");
            p->normalize.reward = ppo_params_get_bool(params, "reward");
            p->normalize.clip_obs = ppo_params_get_double(params, "clip_obs");
            p->normalize.clip_reward = ppo_params_get_double(params, "clip_reward");
            p->normalize.gamma = nullable_double(params, "gamma");
            p->normalize.epsilon = ppo_params_get_double(params, "epsilon");
            p->normalize.mode = (ppo_norm_mode_t)ppo_params_get_enum_index(params, "mode");
        } else if (strcmp(sec->name, "checkpoint") == 0) {
            p->checkpoint.every_seconds = nullable_double(params, "every_seconds");
            p->checkpoint.every_steps = ppo_params_is_null(params, "every_steps")
                                            ? 0
                                            : (uint64_t)ppo_params_get_int(params, "every_steps");
            p->checkpoint.keep = (uint32_t)ppo_params_get_int(params, "keep");
        } else if (strcmp(sec->name, "eval") == 0) {
            p->eval.every_steps = ppo_params_is_null(params, "every_steps")
                                      ? 0
                                      : (uint64_t)ppo_params_get_int(params, "every_steps");
            p->eval.episodes = (uint32_t)ppo_params_get_int(params, "episodes");
            p->eval.deterministic = ppo_params_get_bool(params, "deterministic");
            p->eval.record = ppo_params_get_bool(params, "record");
        } else if (strcmp(sec->name, "mpi") == 0) {
            p->mpi.check_sync_every =
                ppo_params_is_null(params, "check_sync_every")
                    ? 0
                    : (uint64_t)ppo_params_get_int(params, "check_sync_every");
        } else if (strcmp(sec->name, "log") == 0) {
            p->log.every_iterations = (uint32_t)ppo_params_get_int(params, "every_iterations");
            p->log.tensorboard = ppo_params_get_bool(params, "tensorboard");
        }
    }

    /* plugin params blocks must be mappings (their keys are checked once the plugin is known) */
    const ppo_plugin_section_t *plugin_secs[] = {&p->env, &p->policy, &p->advantage,
                                                 &p->optimizer};
    for (size_t i = 0; i < G_N_ELEMENTS(plugin_secs); i++) {
        const ppo_ynode_t *params = plugin_secs[i]->params;
        if (params != NULL && !ppo_ynode_is_null(params) && params->kind != PPO_YNODE_MAPPING) {
            char *at = ppo_mark_format(params->mark);
            char *got = ppo_ynode_describe(params);
            g_set_error(error, PPO_ERROR, PPO_ERROR_PIPELINE,
                        "%s: %s.params: expected a mapping of parameters, got %s", at,
                        plugin_secs[i]->key, got);
            g_free(got);
            g_free(at);
            return false;
        }
    }

    /* rules that involve several keys */
    const uint64_t batch = (uint64_t)p->num_envs * p->ppo.rollout_steps;
    if (batch > (UINT64_C(1) << 31)) {
        pipeline_error(error, p, "ppo.rollout_steps",
                       "env.num_envs %u x ppo.rollout_steps %u = %" G_GUINT64_FORMAT
                       " samples per rollout, more than the limit of 2^31; lower one of them",
                       p->num_envs, p->ppo.rollout_steps, batch);
        return false;
    }
    if (p->ppo.seq_len > p->ppo.rollout_steps) {
        pipeline_error(error, p, "ppo.seq_len",
                       "%u is longer than the rollout (ppo.rollout_steps %u); a training sequence "
                       "is a piece of one env's rollout: use at most %u, or null for the whole "
                       "rollout",
                       p->ppo.seq_len, p->ppo.rollout_steps, p->ppo.rollout_steps);
        return false;
    }
    /* with seq_len set, a recurrent policy's minibatches count sequences, which the trainer checks
     * once it knows whether the policy has memory */
    if (p->ppo.seq_len == 0 && (batch % p->ppo.minibatches != 0 || p->ppo.minibatches > batch)) {
        GString *div = g_string_new(NULL);
        int shown = 0;
        for (uint64_t d = 1; d <= batch && shown < 6; d++) {
            if (batch % d == 0 && d > 1) {
                g_string_append_printf(div, "%s%" G_GUINT64_FORMAT, shown > 0 ? ", " : "", d);
                shown++;
            }
        }
        pipeline_error(error, p, "ppo.minibatches",
                       "%u does not divide the batch of %" G_GUINT64_FORMAT
                       " samples (env.num_envs %u x ppo.rollout_steps %u); use a divisor such "
                       "as %s",
                       p->ppo.minibatches, batch, p->num_envs, p->ppo.rollout_steps,
                       shown > 0 ? div->str : "1");
        g_string_free(div, TRUE);
        return false;
    }
    return true;
}

static ppo_pipeline_t *pipeline_new(const char *path, const char *dir, ppo_ydoc_t *doc)
{
    ppo_pipeline_t *p = g_new0(ppo_pipeline_t, 1);
    p->path = g_strdup(path);
    p->dir = g_strdup(dir);
    p->doc = doc;
    p->overrides = g_ptr_array_new_with_free_func(g_free);
    p->notes = g_ptr_array_new_with_free_func(g_free);
    p->sections = g_ptr_array_new_with_free_func(block_free);
    p->env.key = "env";
    p->policy.key = "policy";
    p->advantage.key = "advantage";
    p->optimizer.key = "optimizer";
    return p;
}

static ppo_pipeline_t *finish(ppo_pipeline_t *p, const char *const *overrides, GError **error)
{
    for (const char *const *o = overrides; o != NULL && *o != NULL; o++) {
        if (!apply_override(p, *o, error)) {
            ppo_pipeline_free(p);
            return NULL;
        }
        g_ptr_array_add(p->overrides, g_strdup(*o));
    }
    if (!validate(p, error)) {
        ppo_pipeline_free(p);
        return NULL;
    }
    return p;
}

ppo_pipeline_t *ppo_pipeline_parse(const char *source, const char *dir, const char *text,
                                   size_t len, const char *const *overrides, GError **error)
{
    ppo_ydoc_t *doc = ppo_ydoc_parse(source, text, len, error);
    if (doc == NULL)
        return NULL;
    return finish(pipeline_new(source, dir != NULL ? dir : ".", doc), overrides, error);
}

ppo_pipeline_t *ppo_pipeline_load(const char *path, const char *const *overrides, GError **error)
{
    ppo_ydoc_t *doc = ppo_ydoc_load_file(path, error);
    if (doc == NULL)
        return NULL;
    char *dir = g_path_get_dirname(path);
    ppo_pipeline_t *p = pipeline_new(path, dir, doc);
    g_free(dir);
    return finish(p, overrides, error);
}

void ppo_pipeline_free(ppo_pipeline_t *p)
{
    if (p == NULL)
        return;
    g_free(p->env.plugin);
    g_free(p->policy.plugin);
    g_free(p->advantage.plugin);
    g_free(p->optimizer.plugin);
    g_free(p->name);
    g_ptr_array_free(p->sections, TRUE);
    g_ptr_array_free(p->overrides, TRUE);
    g_ptr_array_free(p->notes, TRUE);
    ppo_ydoc_free(p->doc);
    g_free(p->path);
    g_free(p->dir);
    g_free(p);
}

/* ---- output ---- */

static void write_plugin_section(GString *out, const ppo_pipeline_t *p,
                                 const ppo_plugin_section_t *s, const ppo_params_t *params)
{
    g_string_append_printf(out, "%s:\n  plugin: ", s->key);
    /* a path is written absolute so the resolved file works from the run directory */
    if (strchr(s->plugin, '/') != NULL || g_str_has_suffix(s->plugin, ".so")) {
        char *abs = g_path_is_absolute(s->plugin) ? g_strdup(s->plugin)
                                                  : g_build_filename(p->dir, s->plugin, NULL);
        char *canon = g_canonicalize_filename(abs, NULL);
        ppo_yaml_write_scalar(out, canon, false);
        g_free(canon);
        g_free(abs);
    } else {
        ppo_yaml_write_scalar(out, s->plugin, false);
    }
    g_string_append_c(out, '\n');
    if (strcmp(s->key, "env") == 0) {
        g_string_append_printf(out, "  num_envs: %u\n", p->num_envs);
        if (p->max_episode_steps == 0)
            g_string_append(out, "  max_episode_steps: null\n");
        else
            g_string_append_printf(out, "  max_episode_steps: %u\n", p->max_episode_steps);
    }
    if (params != NULL) {
        if (ppo_params_count(params) == 0) {
            g_string_append(out, "  params: {}\n");
        } else {
            g_string_append(out, "  params:\n");
            ppo_params_write_yaml(params, out, 4);
        }
    } else if (s->params != NULL && !ppo_ynode_is_null(s->params) && s->params->n_items > 0) {
        g_string_append(out, "  params:");
        ppo_ynode_write(s->params, out, 4);
    } else {
        g_string_append(out, "  params: {}\n");
    }
}

char *ppo_pipeline_to_yaml(const ppo_pipeline_t *p, const ppo_params_t *env_params,
                           const ppo_params_t *policy_params,
                           const ppo_params_t *advantage_params,
                           const ppo_params_t *optimizer_params)
{
    GString *out = g_string_new(NULL);
    g_string_append(out, "name: ");
    ppo_yaml_write_scalar(out, p->name, false);
    g_string_append_printf(out, "\nseed: %" G_GUINT64_FORMAT "\n", p->seed);
    write_plugin_section(out, p, &p->env, env_params);
    write_plugin_section(out, p, &p->policy, policy_params);
    write_plugin_section(out, p, &p->advantage, advantage_params);
    write_plugin_section(out, p, &p->optimizer, optimizer_params);
    static const char *const plain_sections[] = {"ppo", "normalize", "checkpoint", "eval", "log",
                                                 "mpi", NULL};
    for (const char *const *s = plain_sections; *s != NULL; s++) {
        const block_t *b = find_block(p, *s);
        g_string_append_printf(out, "%s:\n", *s);
        ppo_params_write_yaml(b->params, out, 2);
    }
    g_string_append_printf(out, "on_nan: %s\n", on_nan_choices[p->on_nan]);
    return g_string_free(out, FALSE);
}

const char *const *ppo_pipeline_known_keys(void)
{
    static const char **keys;
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        GPtrArray *all = g_ptr_array_new();
        for (size_t i = 0; i < G_N_ELEMENTS(top_specs); i++)
            g_ptr_array_add(all, (gpointer)top_specs[i].name);
        for (size_t i = 0; i < G_N_ELEMENTS(sections); i++) {
            for (uint32_t k = 0; k < sections[i].n; k++)
                g_ptr_array_add(all, g_strdup_printf("%s.%s", sections[i].name,
                                                     sections[i].specs[k].name));
            if (sections[i].extra != NULL)
                g_ptr_array_add(all, g_strdup_printf("%s.params", sections[i].name));
        }
        g_ptr_array_add(all, NULL);
        keys = (const char **)g_ptr_array_free(all, FALSE);
        g_once_init_leave(&done, 1);
    }
    return keys;
}

guint ppo_pipeline_n_sections(void)
{
    return 1 + G_N_ELEMENTS(sections);
}

const ppo_param_spec_t *ppo_pipeline_section(guint i, const char **name, uint32_t *n_specs,
                                             bool *required, bool *has_params)
{
    g_return_val_if_fail(i < ppo_pipeline_n_sections(), NULL);
    if (i == 0) {
        *name = "";
        *n_specs = G_N_ELEMENTS(top_specs);
        *required = true;
        *has_params = false;
        return top_specs;
    }
    const section_t *sec = &sections[i - 1];
    *name = sec->name;
    *n_specs = sec->n;
    *required = sec->required;
    *has_params = sec->extra != NULL;
    return sec->specs;
}
