/* ppofw core — loading a pipeline's plugins and validating their parameters (see
 * ppo_session_private.h). Leaves out instances other than env probing: trainers, evaluators and
 * exporters make their own. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_file_private.h"
#include "ppo_session_private.h"
#include "ppo_space_private.h"
#include "ppo_trust_private.h"

/* Load a section's plugin: as the user's pipeline says (recorded_source NULL), or as an
 * untrusted source (a checkpoint) names it, with the file it records. */
static ppo_plugin_t *load_one(const ppo_pipeline_t *pipeline, const ppo_search_t *search,
                              const ppo_plugin_section_t *sec, ppo_kind_t kind,
                              const char *recorded, const char *recorded_source, GError **error)
{
    GError *local = NULL;
    ppo_plugin_t *p =
        recorded_source != NULL
            ? ppo_plugin_load_recorded(search, sec->plugin, recorded, recorded_source, &local)
            : ppo_plugin_load(search, sec->plugin, pipeline->dir, &local);
    if (p == NULL) {
        char *at = ppo_mark_format(sec->plugin_mark);
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "%s: %s.plugin: %s", at, sec->key,
                    local->message);
        g_free(at);
        g_error_free(local);
        return NULL;
    }
    char *key = g_strdup_printf("%s.plugin", sec->key);
    bool ok = ppo_plugin_require_kind(p, kind, sec->plugin_mark, key, error);
    g_free(key);
    return ok ? p : NULL;
}

static ppo_params_t *params_for(const ppo_plugin_t *plugin, const ppo_plugin_section_t *sec,
                                GError **error)
{
    char *section = g_strdup_printf("%s.params", sec->key);
    ppo_params_t *params = ppo_params_build(plugin->specs, plugin->n_specs, sec->params, section,
                                            &sec->params_mark, NULL, error);
    g_free(section);
    return params;
}

static ppo_session_t *session_open(const ppo_pipeline_t *pipeline, const ppo_search_t *search,
                                   const char *const *files, const char *source, GError **error)
{
    ppo_session_t *s = g_new0(ppo_session_t, 1);
    s->pipeline = pipeline;
    const ppo_plugin_section_t *secs[4] = {&pipeline->env, &pipeline->policy, &pipeline->advantage,
                                           &pipeline->optimizer};
    static const ppo_kind_t kinds[4] = {PPO_KIND_ENV, PPO_KIND_POLICY, PPO_KIND_ADVANTAGE,
                                        PPO_KIND_OPTIMIZER};
    ppo_plugin_t **slots[4] = {&s->env, &s->policy, &s->advantage, &s->optimizer};
    for (int k = 0; k < 4; k++) {
        *slots[k] = load_one(pipeline, search, secs[k], kinds[k],
                             files != NULL ? files[k] : NULL, source, error);
        if (*slots[k] == NULL)
            goto fail;
    }
    if ((s->env_params = params_for(s->env, &pipeline->env, error)) == NULL ||
        (s->policy_params = params_for(s->policy, &pipeline->policy, error)) == NULL ||
        (s->advantage_params = params_for(s->advantage, &pipeline->advantage, error)) == NULL ||
        (s->optimizer_params = params_for(s->optimizer, &pipeline->optimizer, error)) == NULL)
        goto fail;
    s->gamma = 0.99;
    const ppo_param_spec_t *g = ppo_params_spec(s->advantage_params, "gamma");
    if (g != NULL && g->type == PPO_PARAM_DOUBLE && !ppo_params_is_null(s->advantage_params, "gamma"))
        s->gamma = ppo_params_get_double(s->advantage_params, "gamma");
    s->base_lr = ppo_params_get_double(s->optimizer_params, "lr");
    s->max_episode_steps = pipeline->max_episode_steps != 0 ? pipeline->max_episode_steps
                                                            : s->env->vt.env.max_episode_steps;
    return s;
fail:
    ppo_session_free(s);
    return NULL;
}

ppo_session_t *ppo_session_open(const ppo_pipeline_t *pipeline, const ppo_search_t *search,
                                GError **error)
{
    return session_open(pipeline, search, NULL, NULL, error);
}

ppo_session_t *ppo_session_open_recorded(const ppo_pipeline_t *pipeline,
                                         const ppo_search_t *search, const char *const files[4],
                                         const char *source, GError **error)
{
    return session_open(pipeline, search, files, source, error);
}

void ppo_session_trust(const ppo_session_t *s, const char *const *extra_dirs)
{
    const ppo_plugin_section_t *secs[4] = {&s->pipeline->env, &s->pipeline->policy,
                                           &s->pipeline->advantage, &s->pipeline->optimizer};
    const ppo_plugin_t *plugins[4] = {s->env, s->policy, s->advantage, s->optimizer};
    for (int k = 0; k < 4; k++) {
        bool vouched = ppo_plugin_spec_is_path(secs[k]->plugin);
        for (const char *const *d = extra_dirs; !vouched && d != NULL && *d != NULL; d++) {
            char *real = realpath(*d, NULL);
            char *dir = g_path_get_dirname(plugins[k]->path);
            vouched = real != NULL && strcmp(real, dir) == 0;
            g_free(dir);
            free(real);
        }
        if (vouched)
            ppo_trust_record(plugins[k]->path);
    }
}

void ppo_session_free(ppo_session_t *s)
{
    if (s == NULL)
        return;
    ppo_params_free(s->env_params);
    ppo_params_free(s->policy_params);
    ppo_params_free(s->advantage_params);
    ppo_params_free(s->optimizer_params);
    g_free(s);
}

static void env_destroy(const ppo_plugin_t *p, void *inst)
{
    ppo_plugin_enter(p, "destroy");
    p->vt.env.destroy(inst);
    ppo_plugin_leave();
}

void *ppo_env_new_with_spaces(const ppo_plugin_t *p, const ppo_params_t *params,
                              ppo_space_t *obs, ppo_space_t *act, GError **error)
{
    ppo_plugin_enter(p, "create");
    void *inst = p->vt.env.create(&p->host, params);
    ppo_plugin_leave();
    if (inst == NULL) {
        *error = ppo_plugin_error(p, "create", -1);
        return NULL;
    }
    *obs = (ppo_space_t){.struct_size = sizeof(ppo_space_t)};
    *act = (ppo_space_t){.struct_size = sizeof(ppo_space_t)};
    ppo_plugin_enter(p, "spaces");
    int rc = p->vt.env.spaces(inst, obs, act);
    ppo_plugin_leave();
    if (rc != 0) {
        *error = ppo_plugin_error(p, "spaces", rc);
        env_destroy(p, inst);
        return NULL;
    }
    GString *why = g_string_new(NULL);
    ppo_space_normalize(obs, true);
    ppo_space_normalize(act, false);
    ppo_space_problems(obs, true, why);
    ppo_space_problems(act, false, why);
    if (why->len > 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "plugin \"%s\" (%s): its spaces are not "
                    "valid: %s (ppofw check-env %s says more)", p->name, p->path, why->str + 2,
                    p->name);
        g_string_free(why, TRUE);
        env_destroy(p, inst);
        return NULL;
    }
    g_string_free(why, TRUE);
    /* sizes from the plugin, bounded by memory before anything is allocated for them */
    char *who = g_strdup_printf("plugin \"%s\" (%s)", p->name, p->path);
    const bool fits = ppo_memory_check(ppo_mul_sat(obs->dim, 4 * sizeof(float)), who,
                                       "its observation space", "fix spaces() (or its params)",
                                       PPO_ERROR_PLUGIN, error);
    g_free(who);
    if (!fits) {
        env_destroy(p, inst);
        return NULL;
    }
    return inst;
}

void *ppo_session_env_new(const ppo_session_t *s, ppo_space_t *obs_space, ppo_space_t *act_space,
                          GError **error)
{
    const ppo_plugin_t *p = s->env;
    ppo_space_t obs, act;
    void *inst = ppo_env_new_with_spaces(p, s->env_params, &obs, &act, error);
    if (inst == NULL)
        return NULL;
    if (p->vt.env.state_size != NULL) {
        ppo_plugin_enter(p, "state_size");
        const size_t n = p->vt.env.state_size(inst);
        ppo_plugin_leave();
        /* a checkpoint holds every env's state */
        const uint64_t envs = s->pipeline != NULL ? MAX(s->pipeline->num_envs, 1u) : 1u;
        char *who = g_strdup_printf("plugin \"%s\" (%s)", p->name, p->path);
        char *what = g_strdup_printf("state_size() = %zu doubles per env (x %" G_GUINT64_FORMAT
                                     " envs in a checkpoint)",
                                     n, envs);
        const bool fits =
            ppo_memory_check(ppo_mul_sat(ppo_mul_sat(n, envs), 2 * sizeof(double)), who, what,
                             "fix state_size() (it is the number of doubles get_state writes)",
                             PPO_ERROR_PLUGIN, error);
        g_free(what);
        g_free(who);
        if (!fits) {
            env_destroy(p, inst);
            return NULL;
        }
    }
    /* a later instance must describe the same spaces as the first (whose arrays callers keep) */
    if (obs_space->struct_size != 0 &&
        (!ppo_space_same(&obs, obs_space) || !ppo_space_same(&act, act_space))) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" (%s): two instances with the same params report different "
                    "spaces; spaces must depend on the params only",
                    p->name, p->path);
        env_destroy(p, inst);
        return NULL;
    }
    if (obs_space->struct_size == 0) {
        *obs_space = obs;
        *act_space = act;
    }
    return inst;
}

char *ppo_session_resolved_yaml(const ppo_session_t *s)
{
    return ppo_pipeline_to_yaml(s->pipeline, s->env_params, s->policy_params, s->advantage_params,
                                s->optimizer_params);
}
