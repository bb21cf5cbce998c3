/* ppofw core — the pipeline: a YAML file (plus --set overrides) validated into typed settings.
 *
 * Knows every key of DESIGN.md §5; an unknown key is an error naming the nearest valid one. The
 * pipeline's own sections are described with the same ppo_param_spec_t tables as plugin
 * parameters, so both are validated, defaulted and reported alike. Plugin `params:` blocks are
 * kept as YAML nodes here and validated against the plugin's schema once the plugin is loaded
 * (ppo_session). Cross-key rules (minibatches dividing the batch) are checked here too.
 */
#ifndef PPO_PIPELINE_PRIVATE_H
#define PPO_PIPELINE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ppo_params_private.h"
#include "ppo_yaml_private.h"

typedef enum { PPO_SCHEDULE_CONSTANT = 0, PPO_SCHEDULE_LINEAR = 1 } ppo_schedule_t;

typedef enum {
    PPO_OBJECTIVE_CLIP = 0,
    PPO_OBJECTIVE_KL_PENALTY = 1,
    PPO_OBJECTIVE_KL_FIXED = 2,
    PPO_OBJECTIVE_NONE = 3,
} ppo_objective_t;

typedef enum {
    PPO_ADVNORM_MINIBATCH = 0,
    PPO_ADVNORM_BATCH = 1,
    PPO_ADVNORM_NONE = 2,
} ppo_advnorm_t;

typedef enum { PPO_ON_NAN_STOP = 0, PPO_ON_NAN_SKIP_UPDATE = 1 } ppo_on_nan_t;

/* The value loss: 0.5 (V - R)^2 (CleanRL, ppo2) or (V - R)^2 (SB3). */
typedef enum { PPO_VALUE_LOSS_HALF_MSE = 0, PPO_VALUE_LOSS_MSE = 1 } ppo_value_loss_t;

/* Whose normalization semantics: SB3's VecNormalize, or Gymnasium's wrappers on each env. */
typedef enum { PPO_NORM_VECNORMALIZE = 0, PPO_NORM_GYMNASIUM = 1 } ppo_norm_mode_t;

/* One `plugin:` + `params:` section. */
typedef struct ppo_plugin_section {
    const char *key;               /* "env", "policy", "advantage", "optimizer" */
    char *plugin;                  /* a name, or a path (relative to the pipeline's directory) */
    ppo_mark_t plugin_mark;        /* position of the plugin value */
    const ppo_ynode_t *params;     /* the params mapping, or NULL (owned by the document) */
    ppo_mark_t params_mark;        /* its position (or the section's, when absent) */
} ppo_plugin_section_t;

typedef struct ppo_pipeline {
    char *path;                    /* the file as given ("<string>" when parsed from text) */
    char *dir;                     /* its directory: base for relative plugin paths */
    ppo_ydoc_t *doc;               /* the tree after overrides */
    GPtrArray *overrides;          /* the --set arguments, in order (char *) */
    GPtrArray *notes;              /* what the overrides did besides setting their key, for the
                                      user (char *): parameters dropped by a swapped plugin */

    char *name;                    /* names the run directory */
    uint64_t seed;                 /* root seed */
    ppo_plugin_section_t env, policy, advantage, optimizer;
    uint32_t num_envs;             /* envs per process */
    uint32_t max_episode_steps;    /* 0: the env plugin's registered limit */

    struct {
        uint64_t total_steps;      /* env steps over all envs and ranks */
        uint32_t rollout_steps;    /* T */
        uint32_t epochs;
        uint32_t minibatches;
        double clip;
        ppo_schedule_t clip_schedule;
        ppo_schedule_t lr_schedule;
        ppo_objective_t objective;
        double kl_penalty_target;
        double kl_penalty_beta;
        double vf_coef;
        ppo_value_loss_t value_loss;
        double vf_clip;            /* NaN: off */
        double ent_coef;
        double max_grad_norm;      /* NaN: no clipping */
        ppo_advnorm_t normalize_advantages;
        double target_kl;          /* NaN: off */
        uint32_t threads;          /* 0: all cores */
        bool bootstrap_truncation; /* false: a time-limit end is a termination */
        bool round_down;           /* iterations = floor(total / batch) instead of ceil */
        uint32_t seq_len;          /* recurrent policies: steps per training sequence; 0: the
                                    * rollout length */
    } ppo;

    struct {
        bool obs;
        bool reward;
        double clip_obs;
        double clip_reward;
        double gamma;              /* NaN: the advantage plugin's gamma */
        double epsilon;
        ppo_norm_mode_t mode;
    } normalize;

    struct {
        double every_seconds;      /* NaN: no time-based checkpoints */
        uint64_t every_steps;      /* 0: none */
        uint32_t keep;
    } checkpoint;

    struct {
        uint64_t every_steps;      /* 0: no periodic evaluation */
        uint32_t episodes;
        bool deterministic;
        bool record; /* draw env 0's episodes into RUN/videos/ */
    } eval;

    struct {
        uint32_t every_iterations;
        bool tensorboard;
    } log;

    struct {
        uint64_t check_sync_every; /* 0: never */
    } mpi;

    ppo_on_nan_t on_nan;

    GPtrArray *sections;           /* the validated section blocks (ppo_params_t *), for marks */
} ppo_pipeline_t;

/* The plugin name a section's `plugin:` value names: the value itself, or for a path the file's
 * name without ".so" ("../build/gridworld.so" names "gridworld"). (transfer full) */
PPO_INTERNAL char *ppo_plugin_spec_name(const char *spec);

/* Load and validate a pipeline file with `overrides` ("key.path=value" strings, NULL-terminated,
 * may be NULL) applied in order. (transfer full: ppo_pipeline_free) PPO_ERROR_PIPELINE on any
 * problem, with file:line:col. */
PPO_INTERNAL ppo_pipeline_t *ppo_pipeline_load(const char *path, const char *const *overrides,
                                               GError **error);

/* The same from text; `source` names it in messages and `dir` is the base for relative paths. */
PPO_INTERNAL ppo_pipeline_t *ppo_pipeline_parse(const char *source, const char *dir,
                                                const char *text, size_t len,
                                                const char *const *overrides, GError **error);

PPO_INTERNAL void ppo_pipeline_free(ppo_pipeline_t *pipeline);

/* Position of the value of a dotted key ("ppo.minibatches"); a default gives the section's or
 * the file's position. */
PPO_INTERNAL ppo_mark_t ppo_pipeline_mark(const ppo_pipeline_t *pipeline, const char *key);

/* true when a section key ("ppo.value_loss") was left to its default. */
PPO_INTERNAL bool ppo_pipeline_is_default(const ppo_pipeline_t *pipeline, const char *key);

/* "file:line:col: key: " for messages about a key found wrong later (transfer full). */
PPO_INTERNAL char *ppo_pipeline_where(const ppo_pipeline_t *pipeline, const char *key);

/* The resolved pipeline as YAML: every section with defaults filled in, and each plugin's params
 * from the validated blocks given (any may be NULL: then the YAML as written). */
PPO_INTERNAL char *ppo_pipeline_to_yaml(const ppo_pipeline_t *pipeline,
                                        const ppo_params_t *env_params,
                                        const ppo_params_t *policy_params,
                                        const ppo_params_t *advantage_params,
                                        const ppo_params_t *optimizer_params);

/* Every top-level section and key the validator knows, as "section.key" strings (for docs and
 * for sweeps validating grid keys). NULL-terminated, static. */
PPO_INTERNAL const char *const *ppo_pipeline_known_keys(void);

/* The pipeline's own schema, for documentation (`ppofw plugins --markdown`): section i of
 * ppo_pipeline_n_sections(), in file order; section 0 is the top level (name ""). *has_params
 * tells whether the section also takes a plugin's `params:` block. (transfer none, static) */
PPO_INTERNAL guint ppo_pipeline_n_sections(void);
PPO_INTERNAL const ppo_param_spec_t *ppo_pipeline_section(guint i, const char **name,
                                                          uint32_t *n_specs, bool *required,
                                                          bool *has_params);

#endif /* PPO_PIPELINE_PRIVATE_H */
