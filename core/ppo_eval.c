/* ppofw core — evaluation episodes on separate envs, streams and policy instance. Leaves out
 * scheduling (the run loop) and reporting (callers print or log the returns). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_eval_private.h"
#include "ppo_guard_private.h"

struct ppo_evaluator {
    const ppo_session_t *session;
    const ppo_model_t *model;
    uint32_t E, D, A, P, S;
    bool clip_actions;     /* box actions are clipped to the bounds for the env */
    size_t env_rb;         /* bytes of an observation row as the env writes it */
    ppo_space_t obs_space, act_space;
    ppo_obs_convert_t obs_cv; /* uint8 observations */
    void **envs;           /* (E) */
    void *policy;          /* a view of the model */
    void *ws;
    ppo_rng_t *rngs;       /* (2 E): env i's reset stream at 2i, its sampler at 2i+1 */
    ppo_rng_t **act_rngs;  /* (E) pointers for act() */
    uint32_t *env_index;   /* (E) */
    void *obs;             /* (E, env_rb) as the envs wrote them */
    ppo_guard_row_t row;   /* the guarded row envs write into (ppo_guard_private.h) */
    float *state;          /* (E, S) recurrent states */
    float *actions, *env_actions, *logp, *values, *dist;
    ppo_recorder_t *recorder; /* draws env 0's episodes, or NULL (borrowed) */
};

void ppo_evaluator_free(ppo_evaluator_t *ev)
{
    if (ev == NULL)
        return;
    const ppo_plugin_t *pp = ev->model->plugin;
    if (ev->ws != NULL) {
        ppo_plugin_enter(pp, "ws_destroy");
        pp->vt.policy.ws_destroy(ev->policy, ev->ws);
        ppo_plugin_leave();
    }
    if (ev->policy != NULL) {
        ppo_plugin_enter(pp, "destroy");
        pp->vt.policy.destroy(ev->policy);
        ppo_plugin_leave();
    }
    for (uint32_t i = ev->E; ev->envs != NULL && i-- > 0;)
        if (ev->envs[i] != NULL) {
            ppo_plugin_enter(ev->session->env, "destroy");
            ev->session->env->vt.env.destroy(ev->envs[i]);
            ppo_plugin_leave();
        }
    g_free(ev->envs);
    ppo_guard_row_clear(&ev->row);
    ppo_obs_convert_clear(&ev->obs_cv);
    g_free(ev->state);
    g_free(ev->rngs);
    g_free(ev->act_rngs);
    g_free(ev->env_index);
    g_free(ev->obs);
    g_free(ev->actions);
    g_free(ev->env_actions);
    g_free(ev->logp);
    g_free(ev->values);
    g_free(ev->dist);
    g_free(ev);
}

ppo_evaluator_t *ppo_evaluator_new(const ppo_session_t *session, const ppo_model_t *model,
                                   uint32_t n_envs, uint64_t seed, GError **error)
{
    ppo_evaluator_t *ev = g_new0(ppo_evaluator_t, 1);
    ev->session = session;
    ev->model = model;
    ev->E = n_envs;
    ev->envs = g_new0(void *, n_envs);
    ev->rngs = g_new0(ppo_rng_t, 2 * (size_t)n_envs);
    ev->act_rngs = g_new0(ppo_rng_t *, n_envs);
    ev->env_index = g_new0(uint32_t, n_envs);
    for (uint32_t i = 0; i < n_envs; i++) {
        ev->envs[i] = ppo_session_env_new(session, &ev->obs_space, &ev->act_space, error);
        if (ev->envs[i] == NULL)
            goto fail;
        ppo_rng_seed(&ev->rngs[2 * i], seed, "eval-env", i);
        ppo_rng_seed(&ev->rngs[2 * i + 1], seed, "eval-act", i);
        ev->act_rngs[i] = &ev->rngs[2 * i + 1];
    }
    ev->D = ev->obs_space.dim;
    ev->A = ppo_space_action_floats(&ev->act_space);
    ev->clip_actions = ev->act_space.kind == PPO_SPACE_BOX;
    ev->env_rb = ppo_space_row_bytes(&ev->obs_space);
    char *what = g_strdup_printf("its observation row (%zu bytes) in evaluation", ev->env_rb);
    const bool guarded = ppo_guard_row_init(&ev->row, ev->env_rb, what, error);
    g_free(what);
    if (!guarded)
        goto fail;
    if (ev->obs_space.dtype == PPO_DTYPE_UINT8)
        ppo_obs_convert_init(&ev->obs_cv, &ev->obs_space);
    ev->P = model->dist_size;
    ev->S = model->state_size;
    ev->policy = ppo_model_new_view(model, session->policy_params, &ev->obs_space, &ev->act_space,
                                    n_envs, error);
    if (ev->policy == NULL)
        goto fail;
    ppo_plugin_enter(model->plugin, "ws_create");
    ev->ws = model->plugin->vt.policy.ws_create(ev->policy, n_envs);
    ppo_plugin_leave();
    if (ev->ws == NULL) {
        *error = ppo_plugin_error(model->plugin, "ws_create", -1);
        goto fail;
    }
    ev->obs = g_malloc0((size_t)n_envs * ev->env_rb);
    ev->state = g_new0(float, MAX((size_t)n_envs * ev->S, 1));
    ev->actions = g_new0(float, (size_t)n_envs * ev->A);
    ev->env_actions = g_new0(float, (size_t)n_envs * ev->A);
    ev->logp = g_new0(float, n_envs);
    ev->values = g_new0(float, n_envs);
    ev->dist = g_new0(float, (size_t)n_envs * ev->P);
    return ev;
fail:
    ppo_evaluator_free(ev);
    return NULL;
}

uint32_t ppo_evaluator_n_envs(const ppo_evaluator_t *ev)
{
    return ev->E;
}

ppo_rng_t *ppo_evaluator_rngs(ppo_evaluator_t *ev)
{
    return ev->rngs;
}

void ppo_evaluator_set_recorder(ppo_evaluator_t *ev, ppo_recorder_t *recorder)
{
    ev->recorder = recorder;
}

static bool env_call_failed(const ppo_evaluator_t *ev, const char *what, int rc, uint32_t i,
                            GError **error)
{
    GError *e = ppo_plugin_error(ev->session->env, what, rc);
    g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "%s (evaluation env %u)", e->message, i);
    g_error_free(e);
    return false;
}

static void *obs_row(const ppo_evaluator_t *ev, uint32_t i)
{
    return (char *)ev->obs + (size_t)i * ev->env_rb;
}

static bool reset_one(ppo_evaluator_t *ev, uint32_t i, GError **error)
{
    const ppo_plugin_t *envp = ev->session->env;
    int rc = ppo_env_call_reset(envp, ev->envs[i], &ev->rngs[2 * i], obs_row(ev, i), ev->env_rb,
                                &ev->row);
    if (rc != 0)
        return env_call_failed(ev, "reset", rc, i, error);
    if (i == 0 && ev->recorder != NULL)
        ppo_recorder_begin_episode(ev->recorder, ev->envs[0]);
    const ppo_plugin_t *pp = ev->model->plugin;
    if (ev->S > 0) {
        /* an episode starts from the policy's initial state */
        float *st = ev->state + (size_t)i * ev->S;
        const ppo_recurrent_vtable_t *rec = ev->model->rec;
        memset(st, 0, (size_t)ev->S * sizeof(float));
        if (rec->initial_state != NULL) {
            ppo_plugin_enter(pp, "initial_state");
            rc = rec->initial_state(ev->policy, st);
            ppo_plugin_leave();
            if (rc != 0) {
                *error = ppo_plugin_error(pp, "initial_state", rc);
                return false;
            }
        }
    }
    if (pp->vt.policy.reset_noise != NULL) {
        ppo_plugin_enter(pp, "reset_noise");
        rc = pp->vt.policy.reset_noise(ev->policy, i, &ev->rngs[2 * i + 1]);
        ppo_plugin_leave();
        if (rc != 0) {
            *error = ppo_plugin_error(pp, "reset_noise", rc);
            return false;
        }
    }
    return true;
}

bool ppo_evaluator_run(ppo_evaluator_t *ev, uint32_t episodes, bool deterministic,
                       const ppo_rms_t *obs_rms, double obs_eps, double obs_clip,
                       double *returns_out, uint32_t *lengths_out, FILE *render, GError **error)
{
    const ppo_plugin_t *envp = ev->session->env, *pp = ev->model->plugin;
    const uint32_t E = ev->E, D = ev->D, A = ev->A;
    const uint32_t limit = ev->session->max_episode_steps;
    uint32_t *target = g_new0(uint32_t, E), *done = g_new0(uint32_t, E);
    uint32_t *ep_len = g_new0(uint32_t, E);
    double *ep_ret = g_new0(double, E);
    bool *active = g_new0(bool, E);
    float *norm_obs = g_new0(float, (size_t)E * D);
    uint32_t recorded = 0, n_active = 0;
    bool ok = false;

    for (uint32_t i = 0; i < E; i++) {
        target[i] = (episodes + i) / E;
        active[i] = target[i] > 0;
        n_active += active[i];
        if (active[i] && !reset_one(ev, i, error))
            goto out;
    }
    while (n_active > 0) {
        /* act on every env (finished ones too: rows are independent) */
        if (ev->obs_space.dtype == PPO_DTYPE_UINT8)
            ppo_obs_convert_rows(&ev->obs_cv, ev->obs, ev->env_rb, E, norm_obs);
        else
            memcpy(norm_obs, ev->obs, (size_t)E * D * sizeof(float));
        if (obs_rms != NULL)
            ppo_rms_normalize(obs_rms, norm_obs, E, obs_eps, obs_clip);
        for (uint32_t i = 0; i < E; i++)
            ev->env_index[i] = i;
        ppo_rng_t **rngs = deterministic ? NULL : ev->act_rngs;
        ppo_plugin_enter(pp, "act");
        int rc = ev->S > 0
                     ? ev->model->rec->act(ev->policy, ev->ws, E, norm_obs, ev->env_index, rngs,
                                           deterministic ? 1 : 0, ev->state, ev->actions,
                                           ev->logp, ev->values, ev->dist)
                     : pp->vt.policy.act(ev->policy, ev->ws, E, norm_obs, ev->env_index, rngs,
                                         deterministic ? 1 : 0, ev->actions, ev->logp,
                                         ev->values, ev->dist);
        ppo_plugin_leave();
        if (rc != 0) {
            *error = ppo_plugin_error(pp, "act", rc);
            goto out;
        }
        for (uint32_t i = 0; i < E; i++) {
            if (!active[i])
                continue;
            const float *a = ev->actions + (size_t)i * A;
            float *ea = ev->env_actions + (size_t)i * A;
            for (uint32_t k = 0; k < A; k++) {
                float v = a[k];
                if (ev->clip_actions)
                    v = v < ev->act_space.low[k]    ? (float)ev->act_space.low[k]
                        : v > ev->act_space.high[k] ? (float)ev->act_space.high[k]
                                                    : v;
                ea[k] = v;
            }
            double reward = 0.0;
            int terminated = 0;
            rc = ppo_env_call_step(envp, ev->envs[i], ea, &ev->rngs[2 * i], obs_row(ev, i),
                                   ev->env_rb, &ev->row, &reward, &terminated);
            if (rc != 0) {
                env_call_failed(ev, "step", rc, i, error);
                goto out;
            }
            if (!isfinite(reward)) {
                g_set_error(error, PPO_ERROR, PPO_ERROR_NUMERIC,
                            "plugin \"%s\" (%s): step returned a NaN or Inf reward (evaluation "
                            "env %u, episode step %u)",
                            envp->name, envp->path, i, ep_len[i] + 1);
                goto out;
            }
            if (i == 0 && ev->recorder != NULL)
                ppo_recorder_frame(ev->recorder, ev->envs[0]);
            if (render != NULL && i == 0 && envp->vt.env.render_text != NULL) {
                ppo_plugin_enter(envp, "render_text");
                envp->vt.env.render_text(ev->envs[0], render);
                ppo_plugin_leave();
            }
            ep_len[i]++;
            ep_ret[i] += reward;
            const bool truncated = !terminated && limit > 0 && ep_len[i] >= limit;
            if (!terminated && !truncated)
                continue;
            if (returns_out != NULL)
                returns_out[recorded] = ep_ret[i];
            if (lengths_out != NULL)
                lengths_out[recorded] = ep_len[i];
            if (i == 0 && ev->recorder != NULL)
                ppo_recorder_end_episode(ev->recorder, ep_ret[0]);
            recorded++;
            done[i]++;
            ep_len[i] = 0;
            ep_ret[i] = 0.0;
            if (render != NULL && i == 0)
                fprintf(render, "-- episode %u: return %.3f\n", done[0],
                        returns_out != NULL ? returns_out[recorded - 1] : 0.0);
            if (done[i] >= target[i]) {
                active[i] = false;
                n_active--;
            } else if (!reset_one(ev, i, error)) {
                goto out;
            }
        }
    }
    ok = true;
out:
    g_free(target);
    g_free(done);
    g_free(ep_len);
    g_free(ep_ret);
    g_free(active);
    g_free(norm_obs);
    return ok;
}
