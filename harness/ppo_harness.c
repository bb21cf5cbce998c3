/* ppofw-check — the testing API of include/ppofw-check/check.h: a plugin instance in a harness
 * that calls it the way the core does.
 *
 * Everything here goes through the core itself (linked in statically, hidden): plugins are found
 * and checked by the loader, params validated by the schema code, env instances and their spaces
 * made and judged by the session, a policy's parameter store laid out and initialized by the
 * model, checkpoints read by the checkpoint reader and episodes run by the evaluator. What it
 * leaves out: anything a harness would do differently from the core, and training.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw-check/check.h>

#include "ppo_check_private.h"
#include "ppo_checkpoint_private.h"
#include "ppo_eval_private.h"
#include "ppo_model_private.h"
#include "ppo_normalizer_private.h"
#include "ppo_session_private.h"
#include "ppo_space_private.h"

/* the most env instances ppo_harness_run_episodes steps at once */
#define EPISODE_ENVS_MAX 16u

struct ppo_harness {
    ppo_kind_t kind;
    const ppo_plugin_t *plugin; /* registry-owned */
    ppo_params_t *params;       /* owned; NULL when `lp` holds them */
    ppo_loaded_policy_t *lp;    /* a checkpoint's pipeline, plugins and model (owned), or NULL */
    ppo_session_t session;      /* the env or policy of this harness, as the core's helpers and
                                   the evaluator read it (borrows the fields above) */
    void *inst;                 /* the plugin instance (owned) */
    char *error;                /* the last failure's message */

    /* env */
    ppo_space_t obs_space, act_space; /* arrays owned by `inst` */
    ppo_rng_t rng;                    /* (seed, "env", 0) */
    ppo_obs_convert_t obs_convert;    /* uint8 observations to what policies see */
    bool has_convert;

    /* policy */
    ppo_model_t *model;                      /* the parameter store; owned unless `lp` holds it */
    const ppo_recurrent_vtable_t *recurrent; /* when the instance has memory (S > 0) */
    ppo_space_t pol_obs, pol_act;            /* the spaces the policy was made for */
    double *bounds;                          /* copies of their bound arrays */
    uint32_t *nvec;                          /* copy of the action space's nvec */
    uint32_t max_rows, A, P, S;
    void *ws;
    ppo_rng_t *row_rngs;      /* (max_rows) */
    ppo_rng_t **row_rng_ptrs; /* (max_rows) */
    uint32_t *env_index;      /* (max_rows): 0, 1, ... */
    float *state;             /* (max_rows, S) recurrent state */
    float *spare;             /* (max_rows * (A + P + 4)) space lent for NULL outputs */
    ppo_obs_norm_t norm;

    /* optimizer */
    float *opt_state;
    size_t opt_n;
    uint64_t opt_t;
};

/* ---- errors ---- */

static void set_error_text(ppo_harness_t *h, char *text)
{
    free(h->error);
    h->error = text;
}

/* Keep `e`'s message as the harness's error (frees e); returns -1. */
static int fail(ppo_harness_t *h, GError *e)
{
    set_error_text(h, strdup(e->message));
    g_error_free(e);
    return -1;
}

static int fail_msg(ppo_harness_t *h, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int fail_msg(ppo_harness_t *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    set_error_text(h, strdup(msg));
    g_free(msg);
    return -1;
}

/* A failed callback of the plugin: its reason (host->error) with the plugin's name and file. */
static int fail_callback(ppo_harness_t *h, const char *callback, int rc)
{
    return fail(h, ppo_plugin_error(h->plugin, callback, rc));
}

/* "a policy", "an env": the kind with its article. */
static const char *a_kind(ppo_kind_t kind)
{
    switch (kind) {
    case PPO_KIND_ENV:
        return "an env";
    case PPO_KIND_POLICY:
        return "a policy";
    case PPO_KIND_ADVANTAGE:
        return "an advantage";
    case PPO_KIND_OPTIMIZER:
        return "an optimizer";
    default:
        return "a comm";
    }
}

/* The harness is of `kind`; otherwise the error says what `fn` needs. */
static bool need_kind(ppo_harness_t *h, ppo_kind_t kind, const char *fn)
{
    if (h->kind == kind)
        return true;
    fail_msg(h, "%s: \"%s\" is %s plugin, not %s plugin", fn, h->plugin->name, a_kind(h->kind),
             a_kind(kind));
    return false;
}

static void give_error(GError *e, char **error_out)
{
    if (error_out != NULL)
        *error_out = strdup(e->message);
    g_error_free(e);
}

const char *ppo_harness_error(const ppo_harness_t *h)
{
    return h->error;
}

/* ---- making and freeing ---- */

void ppo_harness_free(ppo_harness_t *h)
{
    if (h == NULL)
        return;
    const ppo_plugin_t *p = h->plugin;
    switch (h->kind) {
    case PPO_KIND_ENV:
        if (h->inst != NULL)
            p->vt.env.destroy(h->inst);
        if (h->has_convert)
            ppo_obs_convert_clear(&h->obs_convert);
        break;
    case PPO_KIND_POLICY:
        if (h->ws != NULL)
            p->vt.policy.ws_destroy(h->inst, h->ws);
        /* a checkpoint's policy is a view of the checkpoint's model; a new one is the model's */
        if (h->lp != NULL && h->inst != NULL)
            p->vt.policy.destroy(h->inst);
        if (h->lp == NULL)
            ppo_model_free(h->model);
        break;
    case PPO_KIND_ADVANTAGE:
        if (h->inst != NULL)
            p->vt.advantage.destroy(h->inst);
        break;
    case PPO_KIND_OPTIMIZER:
        if (h->inst != NULL)
            p->vt.optimizer.destroy(h->inst);
        break;
    default:
        break;
    }
    ppo_loaded_policy_free(h->lp);
    ppo_params_free(h->params);
    g_free(h->bounds);
    g_free(h->nvec);
    g_free(h->row_rngs);
    g_free(h->row_rng_ptrs);
    g_free(h->env_index);
    free(h->state);
    g_free(h->spare);
    free(h->opt_state);
    free(h->error);
    g_free(h);
}

/* Load `spec` as the core does and validate `params` against its schema. */
static ppo_harness_t *harness_load(const char *spec, const char *params, GError **error)
{
    if (spec == NULL || *spec == '\0') {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                    "no plugin given: name one (\"cartpole\") or give the path of its .so");
        return NULL;
    }
    ppo_search_t *search = ppo_search_new(NULL);
    ppo_plugin_t *plugin = ppo_plugin_load(search, spec, NULL, error);
    ppo_search_free(search);
    if (plugin == NULL)
        return NULL;
    ppo_params_t *p = ppo_check_params(plugin, params, "params", error);
    if (p == NULL)
        return NULL;
    ppo_harness_t *h = g_new0(ppo_harness_t, 1);
    h->kind = plugin->kind;
    h->plugin = plugin;
    h->params = p;
    return h;
}

/* An env instance of the session's env, with its spaces, stream and uint8 conversion. */
static bool env_start(ppo_harness_t *h, GError **error)
{
    h->inst = ppo_session_env_new(&h->session, &h->obs_space, &h->act_space, error);
    if (h->inst == NULL)
        return false;
    if (h->obs_space.dtype == PPO_DTYPE_UINT8) {
        ppo_obs_convert_init(&h->obs_convert, &h->obs_space);
        h->has_convert = true;
    }
    ppo_rng_seed(&h->rng, 1, "env", 0);
    return true;
}

ppo_harness_t *ppo_harness_new(const char *plugin, const char *params, char **error_out)
{
    GError *e = NULL;
    ppo_harness_t *h = harness_load(plugin, params, &e);
    if (h == NULL)
        goto out_fail;
    const ppo_plugin_t *p = h->plugin;
    switch (h->kind) {
    case PPO_KIND_ENV:
        h->session.env = (ppo_plugin_t *)p;
        h->session.env_params = h->params;
        h->session.max_episode_steps = p->vt.env.max_episode_steps;
        if (!env_start(h, &e))
            goto out_free;
        return h;
    case PPO_KIND_ADVANTAGE:
        h->inst = p->vt.advantage.create(&p->host, h->params);
        break;
    case PPO_KIND_OPTIMIZER:
        h->inst = p->vt.optimizer.create(&p->host, h->params);
        break;
    case PPO_KIND_POLICY:
        g_set_error(&e, PPO_ERROR, PPO_ERROR_USAGE,
                    "plugin \"%s\" is a policy, which needs spaces: make its harness with "
                    "ppo_harness_new_policy",
                    p->name);
        goto out_free;
    default:
        g_set_error(&e, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" is no env, policy, advantage "
                    "or optimizer plugin",
                    p->name);
        goto out_free;
    }
    if (h->inst == NULL) {
        e = ppo_plugin_error(p, "create", -1);
        goto out_free;
    }
    return h;
out_free:
    ppo_harness_free(h);
out_fail:
    give_error(e, error_out);
    return NULL;
}

/* A copy of a space into `h` (bounds and nvec copied), made as the core hands it to a policy. */
static bool copy_space(ppo_harness_t *h, const ppo_space_t *in, bool is_obs, ppo_space_t *out,
                       double **bounds_at, GError **error)
{
    if (in == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE, "no %s space given",
                    is_obs ? "observation" : "action");
        return false;
    }
    *out = *in;
    if (out->struct_size == 0 || out->struct_size > sizeof(ppo_space_t))
        out->struct_size = sizeof(ppo_space_t);
    if (in->low != NULL && in->high != NULL && out->kind == PPO_SPACE_BOX) {
        memcpy(*bounds_at, in->low, in->dim * sizeof(double));
        memcpy(*bounds_at + in->dim, in->high, in->dim * sizeof(double));
        out->low = *bounds_at;
        out->high = *bounds_at + in->dim;
        *bounds_at += 2 * (size_t)in->dim;
    }
    if (!is_obs && in->kind == PPO_SPACE_MULTI_DISCRETE && in->nvec != NULL) {
        h->nvec = g_memdup2(in->nvec, in->dim * sizeof(uint32_t));
        out->nvec = h->nvec;
    }
    ppo_space_normalize(out, is_obs);
    GString *why = g_string_new(NULL);
    ppo_space_problems(out, is_obs, why);
    const bool ok = why->len == 0;
    if (!ok)
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE, "the %s space is not valid: %s",
                    is_obs ? "observation" : "action", why->str + 2);
    g_string_free(why, TRUE);
    return ok;
}

/* Workspace, streams, state and lent buffers of a policy harness whose model and instance are
 * set. */
static bool policy_start(ppo_harness_t *h, uint32_t max_rows, GError **error)
{
    const ppo_policy_vtable_t *vt = &h->plugin->vt.policy;
    h->max_rows = max_rows;
    h->A = ppo_space_action_floats(&h->pol_act);
    h->P = h->model->dist_size;
    /* the model knows whether this instance has memory */
    h->recurrent = h->model->rec;
    h->S = h->model->state_size;
    h->ws = vt->ws_create(h->inst, max_rows);
    if (h->ws == NULL) {
        *error = ppo_plugin_error(h->plugin, "ws_create", -1);
        return false;
    }
    h->row_rngs = g_new0(ppo_rng_t, max_rows);
    h->row_rng_ptrs = g_new0(ppo_rng_t *, max_rows);
    h->env_index = g_new0(uint32_t, max_rows);
    for (uint32_t i = 0; i < max_rows; i++) {
        h->row_rng_ptrs[i] = &h->row_rngs[i];
        h->env_index[i] = i;
    }
    ppo_harness_seed(h, 1);
    h->spare = g_new0(float, (size_t)max_rows *(h->A + h->P + 4));
    if (h->S > 0) {
        h->state = calloc((size_t)max_rows * h->S, sizeof(float));
        for (uint32_t i = 0; i < max_rows; i++)
            if (ppo_harness_policy_reset_state(h, i) != 0) {
                g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "%s", h->error);
                return false;
            }
    }
    h->norm = (ppo_obs_norm_t){.struct_size = sizeof(ppo_obs_norm_t), .dim = h->pol_obs.dim};
    return true;
}

ppo_harness_t *ppo_harness_new_policy(const char *plugin, const char *params,
                                      const ppo_space_t *obs_space, const ppo_space_t *act_space,
                                      uint32_t max_rows, char **error_out)
{
    GError *e = NULL;
    if (max_rows == 0) {
        g_set_error(&e, PPO_ERROR, PPO_ERROR_USAGE,
                    "max_rows is 0: a policy harness takes calls "
                    "of at least one row");
        goto out_fail;
    }
    ppo_harness_t *h = harness_load(plugin, params, &e);
    if (h == NULL)
        goto out_fail;
    if (h->kind != PPO_KIND_POLICY) {
        g_set_error(&e, PPO_ERROR, PPO_ERROR_USAGE,
                    "plugin \"%s\" is %s plugin, not a policy: make its harness with "
                    "ppo_harness_new",
                    h->plugin->name, a_kind(h->kind));
        goto out_free;
    }
    const size_t n_bounds = 2 * ((size_t)(obs_space != NULL ? obs_space->dim : 0) +
                                 (act_space != NULL ? act_space->dim : 0));
    h->bounds = g_new0(double, MAX(n_bounds, 1));
    double *at = h->bounds;
    if (!copy_space(h, obs_space, true, &h->pol_obs, &at, &e) ||
        !copy_space(h, act_space, false, &h->pol_act, &at, &e))
        goto out_free;
    h->model = ppo_model_new(h->plugin, h->params, &h->pol_obs, &h->pol_act, max_rows, 0, &e);
    if (h->model == NULL)
        goto out_free;
    ppo_model_init(h->model, 1);
    h->inst = h->model->inst;
    h->session.policy = (ppo_plugin_t *)h->plugin;
    h->session.policy_params = h->params;
    if (!policy_start(h, max_rows, &e))
        goto out_free;
    return h;
out_free:
    ppo_harness_free(h);
out_fail:
    give_error(e, error_out);
    return NULL;
}

/* A checkpoint's pipeline, plugins and model, found as `ppofw eval` finds them. */
static ppo_loaded_policy_t *open_checkpoint(const char *checkpoint, GError **error)
{
    if (checkpoint == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE, "no checkpoint given");
        return NULL;
    }
    ppo_search_t *search = ppo_search_new(NULL);
    ppo_loaded_policy_t *lp = ppo_loaded_policy_open(checkpoint, NULL, NULL, search, error);
    ppo_search_free(search);
    return lp;
}

ppo_harness_t *ppo_harness_open_checkpoint(const char *checkpoint, uint32_t max_rows,
                                           char **error_out)
{
    GError *e = NULL;
    if (max_rows == 0) {
        g_set_error(&e, PPO_ERROR, PPO_ERROR_USAGE,
                    "max_rows is 0: a policy harness takes calls "
                    "of at least one row");
        give_error(e, error_out);
        return NULL;
    }
    ppo_loaded_policy_t *lp = open_checkpoint(checkpoint, &e);
    if (lp == NULL) {
        give_error(e, error_out);
        return NULL;
    }
    ppo_harness_t *h = g_new0(ppo_harness_t, 1);
    h->kind = PPO_KIND_POLICY;
    h->lp = lp;
    h->plugin = lp->session->policy;
    h->session = *lp->session;
    h->model = lp->model;
    h->pol_obs = lp->obs_space;
    h->pol_act = lp->act_space;
    /* an instance of its own for max_rows envs, bound to the checkpoint's parameters */
    h->inst = ppo_model_new_view(lp->model, lp->session->policy_params, &h->pol_obs, &h->pol_act,
                                 max_rows, &e);
    if (h->inst == NULL || !policy_start(h, max_rows, &e)) {
        ppo_harness_free(h);
        give_error(e, error_out);
        return NULL;
    }
    if (lp->obs_norm) {
        h->norm.enabled = 1;
        h->norm.mean = lp->obs_rms.mean;
        h->norm.var = lp->obs_rms.var;
        h->norm.epsilon = lp->obs_eps;
        h->norm.clip = lp->obs_clip;
    }
    return h;
}

ppo_harness_t *ppo_harness_open_checkpoint_env(const char *checkpoint, char **error_out)
{
    GError *e = NULL;
    ppo_loaded_policy_t *lp = open_checkpoint(checkpoint, &e);
    if (lp == NULL) {
        give_error(e, error_out);
        return NULL;
    }
    ppo_harness_t *h = g_new0(ppo_harness_t, 1);
    h->kind = PPO_KIND_ENV;
    h->lp = lp;
    h->plugin = lp->session->env;
    h->session = *lp->session;
    if (!env_start(h, &e)) {
        ppo_harness_free(h);
        give_error(e, error_out);
        return NULL;
    }
    return h;
}

/* ---- any kind ---- */

ppo_kind_t ppo_harness_kind(const ppo_harness_t *h)
{
    return h->kind;
}

const char *ppo_harness_name(const ppo_harness_t *h)
{
    return h->plugin->name;
}

void *ppo_harness_instance(const ppo_harness_t *h)
{
    return h->inst;
}

const void *ppo_harness_vtable(const ppo_harness_t *h)
{
    return &h->plugin->vt;
}

int ppo_harness_seed(ppo_harness_t *h, uint64_t seed)
{
    if (h->kind == PPO_KIND_ENV) {
        ppo_rng_seed(&h->rng, seed, "env", 0);
        return 0;
    }
    if (!need_kind(h, PPO_KIND_POLICY, "ppo_harness_seed"))
        return -1;
    for (uint32_t i = 0; i < h->max_rows; i++)
        ppo_rng_seed(&h->row_rngs[i], seed, "act", i);
    return 0;
}

/* ---- env ---- */

int ppo_harness_env_spaces(const ppo_harness_t *h, const ppo_space_t **obs_space,
                           const ppo_space_t **act_space)
{
    if (h->kind != PPO_KIND_ENV)
        return -1;
    if (obs_space != NULL)
        *obs_space = &h->obs_space;
    if (act_space != NULL)
        *act_space = &h->act_space;
    return 0;
}

uint32_t ppo_harness_env_max_episode_steps(const ppo_harness_t *h)
{
    return h->kind == PPO_KIND_ENV ? h->session.max_episode_steps : 0;
}

int ppo_harness_env_reset(ppo_harness_t *h, float *obs_out)
{
    if (!need_kind(h, PPO_KIND_ENV, "ppo_harness_env_reset"))
        return -1;
    const int rc = h->plugin->vt.env.reset(h->inst, &h->rng, obs_out);
    return rc != 0 ? fail_callback(h, "reset", rc) : 0;
}

int ppo_harness_env_step(ppo_harness_t *h, const float *action, float *obs_out, double *reward_out,
                         int *terminated_out)
{
    if (!need_kind(h, PPO_KIND_ENV, "ppo_harness_env_step"))
        return -1;
    const uint32_t A = ppo_space_action_floats(&h->act_space);
    float *clipped = g_newa(float, A);
    for (uint32_t k = 0; k < A; k++) {
        float v = action[k];
        if (h->act_space.kind == PPO_SPACE_BOX)
            v = v < h->act_space.low[k]    ? (float)h->act_space.low[k]
                : v > h->act_space.high[k] ? (float)h->act_space.high[k]
                                           : v;
        clipped[k] = v;
    }
    double reward = 0.0;
    int terminated = 0;
    const int rc = h->plugin->vt.env.step(h->inst, clipped, &h->rng, obs_out, &reward, &terminated);
    if (rc != 0)
        return fail_callback(h, "step", rc);
    if (reward_out != NULL)
        *reward_out = reward;
    if (terminated_out != NULL)
        *terminated_out = terminated;
    return 0;
}

int ppo_harness_env_obs_floats(const ppo_harness_t *h, const void *obs, float *out)
{
    if (h->kind != PPO_KIND_ENV)
        return -1;
    if (h->has_convert)
        ppo_obs_convert_rows(&h->obs_convert, obs, h->obs_space.dim, 1, out);
    else
        memcpy(out, obs, h->obs_space.dim * sizeof(float));
    return 0;
}

/* ---- policy ---- */

float *ppo_harness_policy_params(ppo_harness_t *h, size_t *n_params)
{
    if (n_params != NULL)
        *n_params = h->kind == PPO_KIND_POLICY ? h->model->n_params : 0;
    return h->kind == PPO_KIND_POLICY ? h->model->params : NULL;
}

float *ppo_harness_policy_grads(ppo_harness_t *h, size_t *n_params)
{
    if (n_params != NULL)
        *n_params = h->kind == PPO_KIND_POLICY ? h->model->n_params : 0;
    return h->kind == PPO_KIND_POLICY ? h->model->grads : NULL;
}

int ppo_harness_policy_segment(const ppo_harness_t *h, const char *name, size_t *offset_out,
                               size_t *size_out)
{
    if (h->kind != PPO_KIND_POLICY || name == NULL)
        return -1;
    for (uint32_t k = 0; k < h->model->n_segments; k++) {
        const ppo_segment_t *s = &h->model->segments[k];
        if (strcmp(s->name, name) != 0)
            continue;
        if (offset_out != NULL)
            *offset_out = h->model->offsets[k];
        if (size_out != NULL)
            *size_out = (size_t)s->rows * s->cols;
        return 0;
    }
    return -1;
}

uint32_t ppo_harness_policy_dist_size(const ppo_harness_t *h)
{
    return h->kind == PPO_KIND_POLICY ? h->P : 0;
}

int ppo_harness_policy_init(ppo_harness_t *h, uint64_t seed)
{
    if (!need_kind(h, PPO_KIND_POLICY, "ppo_harness_policy_init"))
        return -1;
    ppo_model_init(h->model, seed);
    return 0;
}

/* B is a row count the harness's workspace takes. */
static bool rows_ok(ppo_harness_t *h, uint32_t B, const char *fn)
{
    if (B >= 1 && B <= h->max_rows)
        return true;
    fail_msg(h, "%s: %u rows; this harness of \"%s\" takes 1 to %u (its max_rows)", fn, B,
             h->plugin->name, h->max_rows);
    return false;
}

/* The caller's buffer, or the harness's spare room for it (slot 0..A+P+3 in floats per row). */
static float *or_spare(ppo_harness_t *h, float *out, size_t offset_per_row)
{
    return out != NULL ? out : h->spare + (size_t)h->max_rows * offset_per_row;
}

int ppo_harness_policy_act(ppo_harness_t *h, uint32_t B, const float *obs, int deterministic,
                           float *actions_out, float *logp_out, float *value_out, float *dist_out)
{
    if (!need_kind(h, PPO_KIND_POLICY, "ppo_harness_policy_act") ||
        !rows_ok(h, B, "ppo_harness_policy_act"))
        return -1;
    float *actions = or_spare(h, actions_out, 0);
    float *dist = or_spare(h, dist_out, h->A);
    float *logp = or_spare(h, logp_out, (size_t)h->A + h->P);
    float *value = or_spare(h, value_out, (size_t)h->A + h->P + 1);
    ppo_rng_t *const *rngs = deterministic ? NULL : h->row_rng_ptrs;
    const int det = deterministic ? 1 : 0;
    const int rc = h->recurrent != NULL
                       ? h->recurrent->act(h->inst, h->ws, B, obs, h->env_index, rngs, det,
                                           h->state, actions, logp, value, dist)
                       : h->plugin->vt.policy.act(h->inst, h->ws, B, obs, h->env_index, rngs, det,
                                                  actions, logp, value, dist);
    return rc != 0 ? fail_callback(h, "act", rc) : 0;
}

int ppo_harness_policy_value(ppo_harness_t *h, uint32_t B, const float *obs, float *value_out)
{
    if (!need_kind(h, PPO_KIND_POLICY, "ppo_harness_policy_value") ||
        !rows_ok(h, B, "ppo_harness_policy_value"))
        return -1;
    float *value = or_spare(h, value_out, (size_t)h->A + h->P + 1);
    const int rc = h->recurrent != NULL
                       ? h->recurrent->value(h->inst, h->ws, B, obs, h->state, value)
                       : h->plugin->vt.policy.value(h->inst, h->ws, B, obs, value);
    return rc != 0 ? fail_callback(h, "value", rc) : 0;
}

/* evaluate and backward go through the plain callbacks, which a recurrent instance may lack */
static bool not_recurrent(ppo_harness_t *h, const char *fn)
{
    if (h->recurrent == NULL)
        return true;
    fail_msg(h,
             "%s: \"%s\" is recurrent here (state_size %u): it evaluates sequences; call its "
             "recurrent vtable through ppo_harness_instance and ppo_harness_vtable",
             fn, h->plugin->name, h->S);
    return false;
}

int ppo_harness_policy_evaluate(ppo_harness_t *h, uint32_t B, const float *obs,
                                const float *actions, const float *old_dist, float *logp_out,
                                float *entropy_out, float *kl_out, float *value_out)
{
    if (!need_kind(h, PPO_KIND_POLICY, "ppo_harness_policy_evaluate") ||
        !rows_ok(h, B, "ppo_harness_policy_evaluate") ||
        !not_recurrent(h, "ppo_harness_policy_evaluate"))
        return -1;
    float *logp = or_spare(h, logp_out, (size_t)h->A + h->P);
    float *value = or_spare(h, value_out, (size_t)h->A + h->P + 1);
    float *entropy = or_spare(h, entropy_out, (size_t)h->A + h->P + 2);
    float *kl = old_dist != NULL ? or_spare(h, kl_out, (size_t)h->A + h->P + 3) : NULL;
    const int rc = h->plugin->vt.policy.evaluate(h->inst, h->ws, B, obs, actions, old_dist, logp,
                                                 entropy, kl, value);
    return rc != 0 ? fail_callback(h, "evaluate", rc) : 0;
}

int ppo_harness_policy_backward(ppo_harness_t *h, uint32_t B, const float *dlogp,
                                const float *dentropy, const float *dkl, const float *dvalue)
{
    if (!need_kind(h, PPO_KIND_POLICY, "ppo_harness_policy_backward") ||
        !rows_ok(h, B, "ppo_harness_policy_backward") ||
        !not_recurrent(h, "ppo_harness_policy_backward"))
        return -1;
    const int rc = h->plugin->vt.policy.backward(h->inst, h->ws, B, dlogp, dentropy, dkl, dvalue,
                                                 h->model->grads);
    return rc != 0 ? fail_callback(h, "backward", rc) : 0;
}

float *ppo_harness_policy_state(ppo_harness_t *h, uint32_t *state_size)
{
    if (state_size != NULL)
        *state_size = h->kind == PPO_KIND_POLICY ? h->S : 0;
    return h->kind == PPO_KIND_POLICY ? h->state : NULL;
}

int ppo_harness_policy_reset_state(ppo_harness_t *h, uint32_t row)
{
    if (!need_kind(h, PPO_KIND_POLICY, "ppo_harness_policy_reset_state"))
        return -1;
    if (row >= h->max_rows)
        return fail_msg(h, "ppo_harness_policy_reset_state: row %u; this harness has rows 0 to %u",
                        row, h->max_rows - 1);
    if (h->S == 0)
        return 0;
    float *s = h->state + (size_t)row * h->S;
    if (h->recurrent->initial_state == NULL) {
        memset(s, 0, h->S * sizeof(float));
        return 0;
    }
    const int rc = h->recurrent->initial_state(h->inst, s);
    return rc != 0 ? fail_callback(h, "initial_state", rc) : 0;
}

const ppo_obs_norm_t *ppo_harness_obs_norm(const ppo_harness_t *h)
{
    return h->kind == PPO_KIND_POLICY ? &h->norm : NULL;
}

int ppo_harness_normalize_obs(const ppo_harness_t *h, uint32_t B, float *obs)
{
    if (h->kind != PPO_KIND_POLICY)
        return -1;
    if (h->norm.enabled)
        ppo_rms_normalize(&h->lp->obs_rms, obs, B, h->norm.epsilon, h->norm.clip);
    return 0;
}

/* ---- advantage ---- */

int ppo_harness_advantage_estimate(ppo_harness_t *h, const ppo_rollout_view_t *view, float *adv_out,
                                   float *ret_out)
{
    if (!need_kind(h, PPO_KIND_ADVANTAGE, "ppo_harness_advantage_estimate"))
        return -1;
    ppo_rollout_view_t v = *view;
    v.struct_size = sizeof(v);
    const int rc = h->plugin->vt.advantage.estimate(h->inst, &v, adv_out, ret_out);
    return rc != 0 ? fail_callback(h, "estimate", rc) : 0;
}

/* ---- optimizer ---- */

int ppo_harness_optimizer_step(ppo_harness_t *h, float *params, const float *grads, size_t n,
                               double lr)
{
    if (!need_kind(h, PPO_KIND_OPTIMIZER, "ppo_harness_optimizer_step"))
        return -1;
    const ppo_optimizer_vtable_t *vt = &h->plugin->vt.optimizer;
    if (h->opt_t == 0) {
        const size_t k = vt->state_floats_per_param(h->inst);
        h->opt_n = n;
        h->opt_state = calloc(MAX(k * n, 1), sizeof(float));
    } else if (n != h->opt_n) {
        return fail_msg(h,
                        "ppo_harness_optimizer_step: %zu parameters; the first step had %zu "
                        "(the state is laid out for them)",
                        n, h->opt_n);
    }
    const int rc = vt->step(h->inst, params, grads, h->opt_state, n, lr, h->opt_t + 1);
    if (rc != 0)
        return fail_callback(h, "step", rc);
    h->opt_t++;
    return 0;
}

float *ppo_harness_optimizer_state(ppo_harness_t *h, size_t *n_floats)
{
    const bool has = h->kind == PPO_KIND_OPTIMIZER && h->opt_state != NULL;
    if (n_floats != NULL)
        *n_floats = has ? h->opt_n * h->plugin->vt.optimizer.state_floats_per_param(h->inst) : 0;
    return has ? h->opt_state : NULL;
}

/* ---- episodes ---- */

int ppo_harness_run_episodes(ppo_harness_t *env, ppo_harness_t *policy, uint32_t n_episodes,
                             int deterministic, uint64_t seed, double *returns_out,
                             uint32_t *lengths_out)
{
    if (!need_kind(policy, PPO_KIND_POLICY, "ppo_harness_run_episodes"))
        return -1;
    if (env->kind != PPO_KIND_ENV)
        return fail_msg(policy,
                        "ppo_harness_run_episodes: \"%s\" is %s plugin, not an env "
                        "plugin",
                        env->plugin->name, a_kind(env->kind));
    if (env->obs_space.dim != policy->pol_obs.dim ||
        env->obs_space.dtype != policy->pol_obs.dtype ||
        env->act_space.kind != policy->pol_act.kind || env->act_space.n != policy->pol_act.n ||
        env->act_space.dim != policy->pol_act.dim) {
        char *eo = ppo_space_describe(&env->obs_space), *ea = ppo_space_describe(&env->act_space);
        char *po = ppo_space_describe(&policy->pol_obs), *pa = ppo_space_describe(&policy->pol_act);
        fail_msg(policy,
                 "ppo_harness_run_episodes: the policy \"%s\" was made for observations %s "
                 "and actions %s, the env \"%s\" has %s and %s; make the policy harness with the "
                 "env's spaces (ppo_harness_env_spaces)",
                 policy->plugin->name, po, pa, env->plugin->name, eo, ea);
        g_free(eo);
        g_free(ea);
        g_free(po);
        g_free(pa);
        return -1;
    }
    if (n_episodes == 0)
        return 0;
    /* the env of one harness and the policy of the other, as one session */
    ppo_session_t session = {
        .env = env->session.env,
        .env_params = env->session.env_params,
        .policy = policy->session.policy,
        .policy_params = policy->session.policy_params,
        .max_episode_steps = env->session.max_episode_steps,
    };
    GError *e = NULL;
    ppo_evaluator_t *ev =
        ppo_evaluator_new(&session, policy->model, MIN(n_episodes, EPISODE_ENVS_MAX), seed, &e);
    bool ok = ev != NULL;
    if (ok) {
        const ppo_rms_t *rms = policy->norm.enabled ? &policy->lp->obs_rms : NULL;
        ok = ppo_evaluator_run(ev, n_episodes, deterministic != 0, rms, policy->norm.epsilon,
                               policy->norm.clip, returns_out, lengths_out, NULL, &e);
    }
    ppo_evaluator_free(ev);
    return ok ? 0 : fail(policy, e);
}
