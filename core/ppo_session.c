/* ppofw core — loading a pipeline's plugins and validating their parameters (see
 * ppo_session_private.h). Leaves out instances other than env probing: trainers, evaluators and
 * exporters make their own. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_session_private.h"
#include "ppo_space_private.h"

static ppo_plugin_t *load_one(const ppo_pipeline_t *pipeline, const ppo_search_t *search,
                              const ppo_plugin_section_t *sec, ppo_kind_t kind, GError **error)
{
    GError *local = NULL;
    ppo_plugin_t *p = ppo_plugin_load(search, sec->plugin, pipeline->dir, &local);
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

ppo_session_t *ppo_session_open(const ppo_pipeline_t *pipeline, const ppo_search_t *search,
                                GError **error)
{
    ppo_session_t *s = g_new0(ppo_session_t, 1);
    s->pipeline = pipeline;
    if ((s->env = load_one(pipeline, search, &pipeline->env, PPO_KIND_ENV, error)) == NULL ||
        (s->policy = load_one(pipeline, search, &pipeline->policy, PPO_KIND_POLICY, error)) ==
            NULL ||
        (s->advantage = load_one(pipeline, search, &pipeline->advantage, PPO_KIND_ADVANTAGE,
                                 error)) == NULL ||
        (s->optimizer = load_one(pipeline, search, &pipeline->optimizer, PPO_KIND_OPTIMIZER,
                                 error)) == NULL)
        goto fail;
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

void *ppo_env_new_with_spaces(const ppo_plugin_t *p, const ppo_params_t *params,
                              ppo_space_t *obs, ppo_space_t *act, GError **error)
{
    ppo_plugin_set_current(p);
    void *inst = p->vt.env.create(&p->host, params);
    ppo_plugin_set_current(NULL);
    if (inst == NULL) {
        *error = ppo_plugin_error(p, "create", -1);
        return NULL;
    }
    *obs = (ppo_space_t){.struct_size = sizeof(ppo_space_t)};
    *act = (ppo_space_t){.struct_size = sizeof(ppo_space_t)};
    ppo_plugin_set_current(p);
    int rc = p->vt.env.spaces(inst, obs, act);
    ppo_plugin_set_current(NULL);
    if (rc != 0) {
        *error = ppo_plugin_error(p, "spaces", rc);
        p->vt.env.destroy(inst);
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
        p->vt.env.destroy(inst);
        return NULL;
    }
    g_string_free(why, TRUE);
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
    /* a later instance must describe the same spaces as the first (whose arrays callers keep) */
    if (obs_space->struct_size != 0 &&
        (!ppo_space_same(&obs, obs_space) || !ppo_space_same(&act, act_space))) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" (%s): two instances with the same params report different "
                    "spaces; spaces must depend on the params only",
                    p->name, p->path);
        p->vt.env.destroy(inst);
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
