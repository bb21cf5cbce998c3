/* ppofw core — a pipeline's plugins, loaded, kind-checked, with their parameters validated.
 *
 * Everything a command needs before it makes instances: `ppofw validate` stops here, `run`,
 * `eval`, `bench` and `export` go on to create envs and a policy. Plugin parameter errors point
 * at the pipeline's YAML positions.
 */
#ifndef PPO_SESSION_PRIVATE_H
#define PPO_SESSION_PRIVATE_H

#include "ppo_pipeline_private.h"
#include "ppo_plugin_private.h"

typedef struct ppo_session {
    const ppo_pipeline_t *pipeline;  /* borrowed */
    ppo_plugin_t *env;               /* registry-owned */
    ppo_plugin_t *policy;
    ppo_plugin_t *advantage;
    ppo_plugin_t *optimizer;
    ppo_params_t *env_params;        /* owned */
    ppo_params_t *policy_params;
    ppo_params_t *advantage_params;
    ppo_params_t *optimizer_params;
    double gamma;                    /* the advantage plugin's `gamma` (0.99 if it has none) */
    double base_lr;                  /* the optimizer's `lr` */
    uint32_t max_episode_steps;      /* pipeline's, else the env's registered one; 0: none */
} ppo_session_t;

/* Load the four plugins named by `pipeline` through `search`, check their kinds and validate
 * their params blocks. (transfer full: ppo_session_free) */
PPO_INTERNAL ppo_session_t *ppo_session_open(const ppo_pipeline_t *pipeline,
                                             const ppo_search_t *search, GError **error);
PPO_INTERNAL void ppo_session_free(ppo_session_t *session);

/* The same for a pipeline from an untrusted source (a checkpoint; `source` names it in
 * messages): each plugin through ppo_plugin_load_recorded with the file the source records,
 * files[0..3] for env, policy, advantage, optimizer (entries may be NULL). */
PPO_INTERNAL ppo_session_t *ppo_session_open_recorded(const ppo_pipeline_t *pipeline,
                                                      const ppo_search_t *search,
                                                      const char *const files[4],
                                                      const char *source, GError **error);

/* Record in the trusted-directory list (ppo_trust_private.h) the directory of every plugin the
 * user's own pipeline named by path, or that was found in one of `extra_dirs` (--plugin-path).
 * Call only for a pipeline the user gave. */
PPO_INTERNAL void ppo_session_trust(const ppo_session_t *session, const char *const *extra_dirs);

/* Make an instance of env plugin `env` with `params` and read its spaces into *obs and *act,
 * normalized and judged as every command judges them (ppo_space_problems). Returns the instance
 * (destroy with the plugin's destroy; the spaces' arrays are its own), or NULL with an error
 * naming the plugin. */
PPO_INTERNAL void *ppo_env_new_with_spaces(const ppo_plugin_t *env, const ppo_params_t *params,
                                           ppo_space_t *obs, ppo_space_t *act, GError **error);

/* Make one env instance and read its spaces, which must be well formed (a box observation with
 * dim >= 1; a discrete action space with n >= 2, or a box with finite bounds). With zeroed
 * spaces (struct_size 0) it fills them (arrays owned by this instance); with filled ones it
 * checks the new instance reports the same. Returns the instance (destroy with the plugin's
 * destroy). */
PPO_INTERNAL void *ppo_session_env_new(const ppo_session_t *session, ppo_space_t *obs_space,
                                       ppo_space_t *act_space, GError **error);

/* The resolved pipeline (defaults and validated plugin params filled in) as YAML. */
PPO_INTERNAL char *ppo_session_resolved_yaml(const ppo_session_t *session);

#endif /* PPO_SESSION_PRIVATE_H */
