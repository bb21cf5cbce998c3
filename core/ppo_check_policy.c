/* ppofw core — the policy checker behind `ppofw check-policy`: the spaces it tries, making the
 * policy through the core's parameter store, the plain act/value/evaluate checks, and the order
 * of the batteries.
 *
 * For each pair of spaces (every space kind of the contract, or a real env's), the checker makes
 * the policy (a refusal at create is a skip), binds it to a copy of its parameters followed by a
 * guard of NaNs, draws a batch inside the observation box (uint8 observations converted as the
 * core converts them) and runs, for a plain policy: act, value and evaluate agree and are finite;
 * act repeats exactly with the same streams and deterministic act ignores them
 * (this file); backward against finite differences (ppo_check_grad.c); workspaces isolated under
 * a fixed interleaving of calls, and the optional parts (ppo_check_workspaces.c); per-env state
 * (this file); export_c compiled and compared with act (ppo_check_export.c). A recurrent instance
 * gets the recurrent act, state and sequence checks (ppo_check_recurrent.c) instead of the plain
 * act ones, and the same gradient, workspace and export batteries.
 *
 * Left out: learning behaviour (ppofw run).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_check_policy_private.h"
#include "ppo_signal_private.h"

const char *const pol_path_names[POL_N_PATHS] = {"logp", "entropy", "kl", "value"};

/* The recurrent batch: sequences and their length (B = n_seq * L rows). */
#define POL_REC_SEQ 2u
#define POL_REC_LEN 5u

/* The image kind: a MinAtar-sized uint8 (C, H, W) frame of pixels. */
static const uint32_t image_shape[3] = {4, 10, 10};
/* The multi-discrete kind's components. */
static const uint32_t multi_nvec[2] = {3, 2};

/* ---- shared helpers (ppo_check_policy_private.h) ---- */

void pol_add(pol_ctx_t *c, ppo_check_status_t status, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *id = g_strdup_printf("%s/%s", c->space, what);
    ppo_check_add(c->report, status, id, "%s", detail);
    g_free(id);
    g_free(detail);
}

char *pol_take_reason(int rc)
{
    char *why = ppo_host_take_error();
    if (why != NULL)
        return why;
    return g_strdup_printf("it returned %d and gave no reason (call host->error() before "
                           "failing)",
                           rc);
}

float *pol_alloc_floats(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (n > 0 ? n : 1) * sizeof(float)) != 0)
        return NULL;
    memset(p, 0, (n > 0 ? n : 1) * sizeof(float));
    return p;
}

bool pol_all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

bool pol_close_to(double a, double b, double tol)
{
    return fabs(a - b) <= tol * (1.0 + fabs(a));
}

void pol_act_out_init(const pol_ctx_t *c, pol_act_out_t *o, uint32_t rows)
{
    o->rows = rows;
    o->actions = g_new0(float, (size_t)rows * c->A);
    o->logp = g_new0(float, rows);
    o->value = g_new0(float, rows);
    o->dist = g_new0(float, (size_t)rows * c->P);
}

void pol_act_out_clear(pol_act_out_t *o)
{
    g_free(o->actions);
    g_free(o->logp);
    g_free(o->value);
    g_free(o->dist);
    memset(o, 0, sizeof(*o));
}

bool pol_act_out_equal(const pol_ctx_t *c, const pol_act_out_t *a, const pol_act_out_t *b)
{
    const size_t r = a->rows;
    return memcmp(a->actions, b->actions, sizeof(float) * r * c->A) == 0 &&
           memcmp(a->logp, b->logp, sizeof(float) * r) == 0 &&
           memcmp(a->value, b->value, sizeof(float) * r) == 0 &&
           memcmp(a->dist, b->dist, sizeof(float) * r * c->P) == 0;
}

void *pol_ws_new(const pol_ctx_t *c)
{
    ppo_plugin_enter(c->p, "ws_create");
    void *ws = c->vt->ws_create(c->inst, c->B);
    ppo_plugin_leave();
    return ws;
}

void pol_ws_free(const pol_ctx_t *c, void *ws)
{
    if (ws == NULL)
        return;
    ppo_plugin_enter(c->p, "ws_destroy");
    c->vt->ws_destroy(c->inst, ws);
    ppo_plugin_leave();
}

/* Streams (seed, tag, first + b) for `rows` rows, or NULL without a tag; free with g_free. */
static ppo_rng_t **make_streams(const pol_ctx_t *c, uint32_t rows, const char *tag, uint64_t first,
                                ppo_rng_t **store)
{
    *store = NULL;
    if (tag == NULL)
        return NULL;
    *store = g_new0(ppo_rng_t, rows);
    ppo_rng_t **rngs = g_new0(ppo_rng_t *, rows);
    for (uint32_t b = 0; b < rows; b++) {
        ppo_rng_seed(&(*store)[b], c->opt->seed, tag, first + b);
        rngs[b] = &(*store)[b];
    }
    return rngs;
}

int pol_act(const pol_ctx_t *c, void *ws, uint32_t rows, const float *obs,
            const uint32_t *env_index, const char *tag, uint64_t first, int deterministic,
            pol_act_out_t *o)
{
    ppo_rng_t *store = NULL;
    ppo_rng_t **rngs = make_streams(c, rows, tag, first, &store);
    ppo_plugin_enter(c->p, "act");
    int rc = c->vt->act(c->inst, ws, rows, obs, env_index, (ppo_rng_t *const *)rngs, deterministic,
                        o->actions, o->logp, o->value, o->dist);
    ppo_plugin_leave();
    g_free(rngs);
    g_free(store);
    return rc;
}

int pol_act_rec(const pol_ctx_t *c, void *ws, uint32_t rows, const float *obs,
                const uint32_t *env_index, const char *tag, uint64_t first, int deterministic,
                float *state, pol_act_out_t *o)
{
    ppo_rng_t *store = NULL;
    ppo_rng_t **rngs = make_streams(c, rows, tag, first, &store);
    ppo_plugin_enter(c->p, "act");
    int rc = c->rvt->act(c->inst, ws, rows, obs, env_index, (ppo_rng_t *const *)rngs, deterministic,
                         state, o->actions, o->logp, o->value, o->dist);
    ppo_plugin_leave();
    g_free(rngs);
    g_free(store);
    return rc;
}

int pol_evaluate(const pol_ctx_t *c, void *ws, const float *obs, const float *actions,
                 const float *old, float *out[POL_N_PATHS])
{
    ppo_plugin_enter(c->p, "evaluate");
    int rc =
        c->rvt != NULL
            ? c->rvt->evaluate(c->inst, ws, c->n_seq, c->L, obs, actions, old, c->start_state,
                               c->starts, out[0], out[1], out[2], out[3])
            : c->vt->evaluate(c->inst, ws, c->B, obs, actions, old, out[0], out[1], out[2], out[3]);
    ppo_plugin_leave();
    return rc;
}

int pol_backward(const pol_ctx_t *c, void *ws, const float *const d[POL_N_PATHS], float *grad)
{
    ppo_plugin_enter(c->p, "backward");
    int rc = c->rvt != NULL
                 ? c->rvt->backward(c->inst, ws, c->n_seq, c->L, d[0], d[1], d[2], d[3], grad)
                 : c->vt->backward(c->inst, ws, c->B, d[0], d[1], d[2], d[3], grad);
    ppo_plugin_leave();
    return rc;
}

double *pol_save_state(const pol_ctx_t *c, size_t *n)
{
    *n = 0;
    if (c->vt->state_size == NULL)
        return NULL;
    ppo_plugin_enter(c->p, "state_size");
    *n = c->vt->state_size(c->inst);
    ppo_plugin_leave();
    double *s = g_new0(double, *n > 0 ? *n : 1);
    ppo_plugin_enter(c->p, "get_state");
    if (*n > 0 && c->vt->get_state(c->inst, s) != 0) {
        g_free(ppo_host_take_error());
        *n = 0;
    }
    ppo_plugin_leave();
    return s;
}

void pol_restore_state(const pol_ctx_t *c, const double *s, size_t n)
{
    if (s == NULL || n == 0)
        return;
    ppo_plugin_enter(c->p, "set_state");
    if (c->vt->set_state(c->inst, s) != 0)
        g_free(ppo_host_take_error());
    ppo_plugin_leave();
}

/* ---- the batch ---- */

/* n rows of observations inside the box: floats drawn uniformly from the part of the box within
 * [-1.5, 1.5] (or the 3 wide stretch of it nearest to that), or bytes for a uint8 space, which
 * `raw` (may be NULL) keeps before they are converted into `obs`. */
static void draw_obs(const pol_ctx_t *c, ppo_rng_t *rng, uint32_t n, uint8_t *raw, float *obs)
{
    const uint32_t D = c->D;
    uint8_t *bytes = raw != NULL || !c->obs_u8 ? raw : g_new(uint8_t, (size_t)n * D);
    for (size_t r = 0; r < n; r++) {
        for (uint32_t i = 0; i < D; i++) {
            const double lo = c->obs_space.low[i], hi = c->obs_space.high[i];
            if (c->obs_u8) {
                const double a = ceil(lo), b = floor(hi);
                bytes[r * D + i] = (uint8_t)(a + (double)ppo_rng_below(rng, (uint64_t)(b - a) + 1));
                continue;
            }
            double a = fmax(lo, -1.5), b = fmin(hi, 1.5);
            if (!(a < b)) {
                a = lo > -1.5 ? lo : hi - 3.0;
                b = lo > -1.5 ? fmin(hi, lo + 3.0) : hi;
            }
            obs[r * D + i] = (float)ppo_rng_uniform_range(rng, a, b);
        }
    }
    if (c->obs_u8)
        ppo_obs_convert_rows(&c->convert, bytes, D, n, obs);
    if (bytes != raw)
        g_free(bytes);
}

/* The recurrent batch's episode starts and start states: sequence 0 begins an episode (from the
 * initial state) and begins another at its step 3; sequence 1 continues an episode (from a state
 * reached by acting) and begins another at its step 2. */
static bool make_sequences(pol_ctx_t *c)
{
    const uint32_t S = c->S, L = c->L;
    c->init_state = g_new0(float, S);
    c->start_state = g_new0(float, (size_t)c->n_seq *S);
    c->starts = g_new0(float, c->B);
    if (c->rvt->initial_state != NULL) {
        ppo_plugin_enter(c->p, "initial_state");
        int rc = c->rvt->initial_state(c->inst, c->init_state);
        ppo_plugin_leave();
        if (rc != 0 || !pol_all_finite(c->init_state, S)) {
            char *why = rc != 0 ? pol_take_reason(rc) : g_strdup("it wrote NaN/Inf");
            pol_add(c, PPO_CHECK_FAIL, "initial-state", "initial_state failed: %s", why);
            g_free(why);
            return false;
        }
    }
    for (uint32_t s = 0; s < c->n_seq; s++) {
        c->starts[s * L] = s == 0 ? 1.0f : 0.0f;
        c->starts[s * L + (s == 0 ? 3 : 2)] = 1.0f;
        memcpy(c->start_state + (size_t)s * S, c->init_state, sizeof(float) * S);
    }
    /* sequence 1's start state: three deterministic steps from the initial state */
    pol_act_out_t o;
    pol_act_out_init(c, &o, 1);
    float *obs = g_new(float, c->D);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, c->opt->seed, "check-warmup", 0);
    int rc = 0;
    for (int step = 0; step < 3 && rc == 0; step++) {
        draw_obs(c, &rng, 1, NULL, obs);
        rc = pol_act_rec(c, c->ws, 1, obs, c->env_index, NULL, 0, 1, c->start_state + S, &o);
    }
    pol_act_out_clear(&o);
    g_free(obs);
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "act", "act failed: %s", why);
        g_free(why);
        return false;
    }
    return true;
}

/* ---- making the policy ---- */

static bool make_policy(pol_ctx_t *c, const ppo_params_t *params)
{
    /* a refusal is the plugin's create returning NULL for these spaces */
    ppo_policy_setup_t setup = {
        .struct_size = sizeof(setup),
        .n_envs = c->n_envs,
        .obs_space = &c->obs_space,
        .act_space = &c->act_space,
    };
    char *obs = ppo_space_describe(&c->obs_space), *act = ppo_space_describe(&c->act_space);
    bool ok = false;
    if (c->p->abi_minor < 2 && c->act_space.kind == PPO_SPACE_MULTI_DISCRETE) {
        /* the core never hands a plugin a kind its ABI did not have */
        pol_add(c, PPO_CHECK_SKIP, "create",
                "built for plugin ABI %u.%u, which has no multi-discrete action spaces: the core "
                "never hands it one",
                c->p->abi_major, c->p->abi_minor);
        goto out;
    }
    ppo_plugin_enter(c->p, "create");
    void *probe = c->vt->create(&c->p->host, params, &setup);
    ppo_plugin_leave();
    if (probe == NULL) {
        char *why = pol_take_reason(-1);
        pol_add(c, PPO_CHECK_SKIP, "create", "refuses observation %s with action %s: %s", obs, act,
                why);
        g_free(why);
        goto out;
    }
    ppo_plugin_enter(c->p, "destroy");
    c->vt->destroy(probe);
    ppo_plugin_leave();

    GError *error = NULL;
    c->model = ppo_model_new(c->p, params, &c->obs_space, &c->act_space, c->n_envs, 0, &error);
    if (c->model == NULL) {
        pol_add(c, PPO_CHECK_FAIL, "segments", "%s", error->message);
        g_error_free(error);
        goto out;
    }
    c->inst = c->model->inst;
    c->n = c->model->n_params;
    c->P = c->model->dist_size;

    /* a recurrent instance: S floats of state per env, sequences instead of rows */
    if (c->vt->recurrent != NULL) {
        ppo_plugin_enter(c->p, "state_size");
        c->S = c->vt->recurrent->state_size(c->inst);
        ppo_plugin_leave();
        if (c->S > (1u << 20)) {
            pol_add(c, PPO_CHECK_FAIL, "create",
                    "recurrent state_size() returned %u; at most 2^20 floats per env", c->S);
            goto out;
        }
    }
    if (c->S > 0) {
        c->rvt = c->vt->recurrent;
        c->n_seq = POL_REC_SEQ;
        c->L = POL_REC_LEN;
        c->B = c->n_seq * c->L;
    } else if (c->vt->act == NULL || c->vt->value == NULL || c->vt->evaluate == NULL ||
               c->vt->backward == NULL) {
        pol_add(c, PPO_CHECK_FAIL, "create",
                "recurrent state_size() is 0 with these params, so the instance is a plain "
                "policy, but act, value, evaluate or backward is NULL");
        goto out;
    }
    pol_add(c, PPO_CHECK_OK, "create", "accepts observation %s with action %s", obs, act);
    if (c->S > 0)
        pol_add(c, PPO_CHECK_OK, "recurrent",
                "%u floats of state per env: checked on %u sequences of %u steps", c->S, c->n_seq,
                c->L);
    if (c->P == 0 || c->P > (1u << 20)) {
        pol_add(c, PPO_CHECK_FAIL, "segments",
                "dist_size() returned %u; it must be the floats of distribution parameters per "
                "row (logits: n; Gaussian: 2A; multi-discrete: the sum of nvec)",
                c->P);
        goto out;
    }

    /* the core's initialization, then noise so that no gradient is degenerate */
    ppo_model_init(c->model, c->opt->seed);
    if (!pol_all_finite(c->model->params, c->n)) {
        pol_add(c, PPO_CHECK_FAIL, "segments",
                "the declared initializers give non-finite parameters; check the segments' "
                "value and gain");
        goto out;
    }
    c->theta = pol_alloc_floats(c->n + POL_GUARD);
    memcpy(c->theta, c->model->params, sizeof(float) * c->n);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, c->opt->seed, "check-perturb", 0);
    for (size_t i = 0; i < c->n; i++)
        c->theta[i] += (float)(0.1 * ppo_rng_normal(&rng));
    for (size_t i = c->n; i < c->n + POL_GUARD; i++)
        c->theta[i] = NAN;
    ppo_plugin_enter(c->p, "bind");
    c->vt->bind(c->inst, c->theta);
    ppo_plugin_leave();
    GString *table = g_string_new(NULL);
    for (uint32_t k = 0; k < c->model->n_segments && k < 6; k++)
        g_string_append_printf(table, "%s%s (%u, %u)", k > 0 ? ", " : "",
                               c->model->segments[k].name, c->model->segments[k].rows,
                               c->model->segments[k].cols);
    if (c->model->n_segments > 6)
        g_string_append(table, ", ...");
    pol_add(c, PPO_CHECK_OK, "segments",
            "%u segments, %zu parameters, %u distribution floats per row: %s", c->model->n_segments,
            c->n, c->P, table->str);
    g_string_free(table, TRUE);

    c->ws = pol_ws_new(c);
    if (c->ws == NULL) {
        char *why = pol_take_reason(-1);
        pol_add(c, PPO_CHECK_FAIL, "workspace", "ws_create(%u) failed: %s", c->B, why);
        g_free(why);
        goto out;
    }

    /* the batch: observations inside the box, rows spread over the envs, the loss's weights */
    c->obs = g_new0(float, (size_t)c->B * c->D);
    c->obs_raw = c->obs_u8 ? g_new0(uint8_t, (size_t)c->B * c->D) : NULL;
    c->env_index = g_new0(uint32_t, c->B);
    ppo_rng_seed(&rng, c->opt->seed, "check-obs", 0);
    draw_obs(c, &rng, c->B, c->obs_raw, c->obs);
    for (uint32_t b = 0; b < c->B; b++)
        c->env_index[b] = b % c->n_envs;
    for (int k = 0; k < POL_N_PATHS; k++) {
        c->coef[k] = g_new0(float, c->B);
        for (uint32_t b = 0; b < c->B; b++)
            c->coef[k][b] = (float)ppo_rng_uniform_range(&rng, -1.0, 1.0);
    }
    if (c->vt->reset_noise != NULL) {
        for (uint32_t e = 0; e < c->n_envs; e++) {
            ppo_rng_t noise;
            ppo_rng_seed(&noise, c->opt->seed, "noise", e);
            ppo_plugin_enter(c->p, "reset_noise");
            int rc = c->vt->reset_noise(c->inst, e, &noise);
            ppo_plugin_leave();
            if (rc != 0) {
                char *why = pol_take_reason(rc);
                pol_add(c, PPO_CHECK_FAIL, "reset-noise", "reset_noise(%u) failed: %s", e, why);
                g_free(why);
                goto out;
            }
        }
    }
    ok = c->S == 0 || make_sequences(c);
out:
    g_free(obs);
    g_free(act);
    return ok;
}

/* ---- act, value, evaluate (plain policies) ---- */

/* The first row whose action is not valid for the action space, with what is wrong; -1 when
 * every row's is. */
static int invalid_action(const pol_ctx_t *c, const float *actions, uint32_t rows, char **what)
{
    const ppo_space_t *a = &c->act_space;
    if (a->kind == PPO_SPACE_BOX)
        return -1;
    for (uint32_t b = 0; b < rows; b++) {
        for (uint32_t k = 0; k < c->A; k++) {
            const float v = actions[(size_t)b * c->A + k];
            const uint32_t n = a->kind == PPO_SPACE_DISCRETE ? a->n : a->nvec[k];
            if (!(v >= 0.0f && v < (float)n && v == floorf(v))) {
                *what = a->kind == PPO_SPACE_DISCRETE
                            ? g_strdup_printf("action %g is not an index in [0, %u); a discrete "
                                              "action is one float holding the index",
                                              (double)v, n)
                            : g_strdup_printf("component %u of the action is %g, not an index in "
                                              "[0, %u); a multi-discrete action is one float per "
                                              "component holding its index",
                                              k, (double)v, n);
                return (int)b;
            }
        }
    }
    return -1;
}

static bool check_act(pol_ctx_t *c)
{
    pol_act_out_t a1, a2, d1, d2, d3, other;
    pol_act_out_init(c, &a1, c->B);
    pol_act_out_init(c, &a2, c->B);
    pol_act_out_init(c, &d1, c->B);
    pol_act_out_init(c, &d2, c->B);
    pol_act_out_init(c, &d3, c->B);
    pol_act_out_init(c, &other, c->B);
    bool ok = false;
    size_t n_state = 0;
    double *state = pol_save_state(c, &n_state);
    int rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, "act", 0, 0, &a1);
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "act", "act failed: %s", why);
        g_free(why);
        goto out;
    }
    if (!pol_all_finite(a1.actions, (size_t)c->B * c->A) || !pol_all_finite(a1.logp, c->B) ||
        !pol_all_finite(a1.value, c->B) || !pol_all_finite(a1.dist, (size_t)c->B * c->P)) {
        pol_add(c, PPO_CHECK_FAIL, "act",
                "act wrote NaN/Inf outputs at finite parameters; or it reads parameters past the "
                "%zu its segment table declares (they are NaN here): the table must add up to "
                "what the policy uses",
                c->n);
        goto out;
    }
    char *what = NULL;
    const int bad = invalid_action(c, a1.actions, c->B, &what);
    if (bad >= 0) {
        pol_add(c, PPO_CHECK_FAIL, "act", "row %d: %s", bad, what);
        g_free(what);
        goto out;
    }
    pol_add(c, PPO_CHECK_OK, "act", "%u rows: actions%s, logp, value and dist all finite", c->B,
            c->act_space.kind != PPO_SPACE_BOX ? " are valid indices" : "");
    ok = true;

    /* the same streams (and per-env state) must give the same sample */
    pol_restore_state(c, state, n_state);
    rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, "act", 0, 0, &a2);
    if (rc == 0) {
        pol_restore_state(c, state, n_state);
        rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, "act", 1000, 0, &other);
    }
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "act-streams", "act failed: %s", why);
        g_free(why);
    } else if (!pol_act_out_equal(c, &a1, &a2)) {
        pol_add(c, PPO_CHECK_FAIL, "act-streams",
                "two calls with the same streams and inputs gave different outputs; sample only "
                "from the rows' ppo_rng_t and keep no state outside the workspace and the "
                "per-env state");
    } else if (memcmp(a1.actions, other.actions, sizeof(float) * c->B * c->A) == 0) {
        pol_add(c, PPO_CHECK_WARN, "act-streams",
                "stochastic act gave the same actions for different streams: it does not sample "
                "from the rows' streams (expected only when the exploration noise is per-env "
                "state, as with gSDE)");
    } else {
        pol_add(c, PPO_CHECK_OK, "act-streams",
                "the same streams repeat the sample exactly; other streams change it");
    }

    /* deterministic act: repeatable, and the streams are not needed */
    pol_restore_state(c, state, n_state);
    rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, NULL, 0, 1, &d1);
    if (rc == 0)
        rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, NULL, 0, 1, &d2);
    if (rc == 0)
        rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, "act", 0, 1, &d3);
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "act-deterministic",
                "deterministic act failed: %s (rngs may be NULL when deterministic)", why);
        g_free(why);
    } else if (!pol_act_out_equal(c, &d1, &d2) || !pol_act_out_equal(c, &d1, &d3)) {
        pol_add(c, PPO_CHECK_FAIL, "act-deterministic",
                "deterministic act gave different outputs on repeated calls or with and without "
                "streams; take the distribution's mode and draw nothing");
    } else {
        pol_add(c, PPO_CHECK_OK, "act-deterministic", "repeats exactly and needs no streams");
    }

    /* value() must give act's values */
    float *v = g_new0(float, c->B);
    ppo_plugin_enter(c->p, "value");
    rc = c->vt->value(c->inst, c->ws, c->B, c->obs, v);
    ppo_plugin_leave();
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "value", "value failed: %s", why);
        g_free(why);
    } else {
        int row = -1;
        for (uint32_t b = 0; b < c->B && row < 0; b++)
            if (!pol_close_to(a1.value[b], v[b], 1e-5))
                row = (int)b;
        if (row >= 0)
            pol_add(c, PPO_CHECK_FAIL, "value", "row %d: value() gives %.9g, act's value_out %.9g",
                    row, (double)v[row], (double)a1.value[row]);
        else
            pol_add(c, PPO_CHECK_OK, "value", "value() agrees with act's value_out");
    }
    g_free(v);

    /* evaluate of act's own samples: same logp and value, zero KL to itself */
    float *buf = g_new0(float, (size_t)POL_N_PATHS * c->B);
    float *lp = buf, *ent = buf + c->B, *kl = buf + 2 * (size_t)c->B, *val = buf + 3 * (size_t)c->B;
    float *outs[POL_N_PATHS] = {lp, ent, kl, val};
    rc = pol_evaluate(c, c->ws, c->obs, a1.actions, a1.dist, outs);
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "evaluate", "evaluate failed: %s", why);
        g_free(why);
    } else {
        int row = -1;
        const char *problem = NULL;
        for (uint32_t b = 0; b < c->B && row < 0; b++) {
            if (!isfinite(ent[b]))
                problem = "entropy is not finite";
            else if (!pol_close_to(a1.logp[b], lp[b], 1e-4))
                problem = "logp differs from act's logp_out";
            else if (!pol_close_to(a1.value[b], val[b], 1e-5))
                problem = "value differs from act's value_out";
            else if (!(fabsf(kl[b]) <= 1e-5f))
                problem = "KL of the distribution to itself is not 0";
            if (problem != NULL)
                row = (int)b;
        }
        float *outs_nokl[POL_N_PATHS] = {lp, ent, NULL, val};
        if (row >= 0) {
            pol_add(c, PPO_CHECK_FAIL, "evaluate",
                    "row %d: %s (logp %.9g vs %.9g, value %.9g vs %.9g, KL %.3g, entropy %.9g)",
                    row, problem, (double)lp[row], (double)a1.logp[row], (double)val[row],
                    (double)a1.value[row], (double)kl[row], (double)ent[row]);
        } else if ((rc = pol_evaluate(c, c->ws, c->obs, a1.actions, NULL, outs_nokl)) != 0) {
            char *why = pol_take_reason(rc);
            pol_add(c, PPO_CHECK_FAIL, "evaluate",
                    "evaluate without old_dist and kl_out failed: %s (the KL is skipped then)",
                    why);
            g_free(why);
        } else {
            pol_add(c, PPO_CHECK_OK, "evaluate",
                    "logp and value of act's samples match act's; KL of a distribution to itself "
                    "is 0; entropy finite");
        }
    }
    memcpy(c->actions, a1.actions, sizeof(float) * c->B * c->A);
    g_free(buf);
out:
    pol_restore_state(c, state, n_state);
    g_free(state);
    pol_act_out_clear(&a1);
    pol_act_out_clear(&a2);
    pol_act_out_clear(&d1);
    pol_act_out_clear(&d2);
    pol_act_out_clear(&d3);
    pol_act_out_clear(&other);
    return ok;
}

/* ---- the old distribution for the KL path ---- */

/* act's distribution at slightly different parameters, into c->old_dist (for the KL path). */
static int make_old_dist(pol_ctx_t *c)
{
    float *saved = g_memdup2(c->theta, sizeof(float) * c->n);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, c->opt->seed, "check-old", 0);
    for (size_t i = 0; i < c->n; i++)
        c->theta[i] += (float)(0.05 * ppo_rng_normal(&rng));
    pol_act_out_t o;
    pol_act_out_init(c, &o, c->B);
    int rc = 0;
    if (c->S == 0) {
        rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, NULL, 0, 1, &o);
    } else {
        /* one row per sequence at a time, as the sequences' steps */
        float *state = g_memdup2(c->start_state, sizeof(float) * c->n_seq * c->S);
        pol_act_out_t step;
        pol_act_out_init(c, &step, c->n_seq);
        float *obs = g_new(float, (size_t)c->n_seq * c->D);
        for (uint32_t j = 0; j < c->L && rc == 0; j++) {
            for (uint32_t s = 0; s < c->n_seq; s++) {
                const size_t row = (size_t)s * c->L + j;
                if (c->starts[row] != 0.0f && j > 0)
                    memcpy(state + (size_t)s * c->S, c->init_state, sizeof(float) * c->S);
                memcpy(obs + (size_t)s * c->D, c->obs + row * c->D, sizeof(float) * c->D);
            }
            rc = pol_act_rec(c, c->ws, c->n_seq, obs, c->env_index, NULL, 0, 1, state, &step);
            for (uint32_t s = 0; s < c->n_seq && rc == 0; s++)
                memcpy(o.dist + ((size_t)s * c->L + j) * c->P, step.dist + (size_t)s * c->P,
                       sizeof(float) * c->P);
        }
        g_free(obs);
        g_free(state);
        pol_act_out_clear(&step);
    }
    memcpy(c->theta, saved, sizeof(float) * c->n);
    memcpy(c->old_dist, o.dist, sizeof(float) * c->B * c->P);
    g_free(saved);
    pol_act_out_clear(&o);
    return rc;
}

/* ---- optional per-env state ---- */

static void check_state(pol_ctx_t *c)
{
    if (c->vt->state_size == NULL) {
        pol_add(c, PPO_CHECK_SKIP, "state", "the policy keeps no per-env state");
        return;
    }
    size_t n = 0;
    double *s = pol_save_state(c, &n);
    if (n == 0) {
        pol_add(c, PPO_CHECK_SKIP, "state", "the policy keeps no per-env state with these params");
        g_free(s);
        return;
    }
    pol_act_out_t a1, a2;
    pol_act_out_init(c, &a1, c->B);
    pol_act_out_init(c, &a2, c->B);
    int rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, "state", 0, 0, &a1);
    pol_restore_state(c, s, n);
    if (rc == 0)
        rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, "state", 0, 0, &a2);
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "state", "act failed: %s", why);
        g_free(why);
    } else if (!pol_act_out_equal(c, &a1, &a2)) {
        pol_add(c, PPO_CHECK_FAIL, "state",
                "after set_state of the state saved before an act, the same act gave other "
                "outputs: the state misses something act depends on");
    } else {
        pol_add(c, PPO_CHECK_OK, "state", "%zu doubles of per-env state round-trip", n);
    }
    pol_restore_state(c, s, n);
    g_free(s);
    pol_act_out_clear(&a1);
    pol_act_out_clear(&a2);
}

/* ---- driver ---- */

static void pol_clear(pol_ctx_t *c)
{
    pol_ws_free(c, c->ws);
    ppo_model_free(c->model);
    free(c->theta);
    g_free(c->obs);
    g_free(c->obs_raw);
    g_free(c->env_index);
    g_free(c->actions);
    g_free(c->old_dist);
    for (int k = 0; k < POL_N_PATHS; k++)
        g_free(c->coef[k]);
    g_free(c->init_state);
    g_free(c->start_state);
    g_free(c->starts);
    if (c->obs_u8)
        ppo_obs_convert_clear(&c->convert);
}

/* Run every check for one pair of spaces. */
static void check_space(const ppo_plugin_t *plugin, const ppo_params_t *params,
                        const ppo_check_policy_options_t *opt, ppo_check_report_t *report,
                        const char *name, const ppo_space_t *obs, const ppo_space_t *act)
{
    pol_ctx_t c = {
        .p = plugin,
        .vt = &plugin->vt.policy,
        .opt = opt,
        .report = report,
        .space = name,
        .obs_space = *obs,
        .act_space = *act,
        .obs_u8 = obs->dtype == PPO_DTYPE_UINT8,
        .D = obs->dim,
        .A = ppo_space_action_floats(act),
        .B = MAX(opt->batch, 1u),
        .n_envs = 4,
    };
    if (c.obs_u8)
        ppo_obs_convert_init(&c.convert, obs);
    if (make_policy(&c, params)) {
        c.actions = g_new0(float, (size_t)c.B *c.A);
        c.old_dist = g_new0(float, (size_t)c.B *c.P);
        const bool acted = c.S > 0 ? pol_check_recurrent(&c) : check_act(&c);
        int rc = acted ? make_old_dist(&c) : 0;
        if (rc != 0) {
            char *why = pol_take_reason(rc);
            pol_add(&c, PPO_CHECK_FAIL, "backward", "act at perturbed parameters failed: %s", why);
            g_free(why);
        } else if (acted) {
            pol_check_backward(&c);
            pol_check_workspaces(&c);
            if (c.S == 0) {
                pol_check_parts(&c);
                check_state(&c);
            }
            pol_check_export(&c);
        }
    }
    pol_clear(&c);
}

ppo_check_policy_options_t ppo_check_policy_defaults(void)
{
    return (ppo_check_policy_options_t){
        .seed = 1,
        .obs_dim = 4,
        .n_actions = 3,
        .act_dim = 2,
        .batch = 6,
        .fd_max = 20000,
    };
}

/* Whether every "<kind>/create" item of the report is a skip (a refusal). */
static bool refused(const ppo_check_report_t *report, const char *kind)
{
    char *id = g_strconcat(kind, "/create", NULL);
    const ppo_check_item_t *item = ppo_check_find(report, id);
    g_free(id);
    return item != NULL && item->status == PPO_CHECK_SKIP;
}

void ppo_check_policy(const ppo_plugin_t *plugin, const ppo_params_t *params,
                      const ppo_check_policy_options_t *options, ppo_check_report_t *report)
{
    g_return_if_fail(plugin->kind == PPO_KIND_POLICY);
    if (options->env_obs != NULL && options->env_act != NULL) {
        check_space(plugin, params, options, report, "env", options->env_obs, options->env_act);
        if (refused(report, "env"))
            ppo_check_add(report, PPO_CHECK_FAIL, "spaces",
                          "the policy refuses the spaces of env %s with these params; nothing "
                          "could be checked",
                          options->env_name != NULL ? options->env_name : "(given)");
    } else {
        /* every space kind of the contract */
        const uint32_t D = options->obs_dim, A = options->act_dim;
        const uint32_t image_dim = image_shape[0] * image_shape[1] * image_shape[2];
        double *flat_low = g_new(double, D), *flat_high = g_new(double, D);
        double *img_low = g_new(double, image_dim), *img_high = g_new(double, image_dim);
        double *act_low = g_new(double, A), *act_high = g_new(double, A);
        for (uint32_t i = 0; i < D; i++) {
            flat_low[i] = -5.0;
            flat_high[i] = 5.0;
        }
        for (uint32_t i = 0; i < image_dim; i++) {
            img_low[i] = 0.0;
            img_high[i] = 255.0;
        }
        for (uint32_t i = 0; i < A; i++) {
            act_low[i] = -1.0;
            act_high[i] = 1.0;
        }
        const ppo_space_t flat = {.struct_size = sizeof(ppo_space_t),
                                  .kind = PPO_SPACE_BOX,
                                  .dim = D,
                                  .low = flat_low,
                                  .high = flat_high,
                                  .rank = 1,
                                  .shape = {D}};
        const ppo_space_t image = {.struct_size = sizeof(ppo_space_t),
                                   .kind = PPO_SPACE_BOX,
                                   .dim = image_dim,
                                   .low = img_low,
                                   .high = img_high,
                                   .rank = 3,
                                   .shape = {image_shape[0], image_shape[1], image_shape[2]},
                                   .dtype = PPO_DTYPE_UINT8};
        const ppo_space_t discrete = {.struct_size = sizeof(ppo_space_t),
                                      .kind = PPO_SPACE_DISCRETE,
                                      .n = options->n_actions,
                                      .dim = 1};
        const ppo_space_t box = {.struct_size = sizeof(ppo_space_t),
                                 .kind = PPO_SPACE_BOX,
                                 .dim = A,
                                 .low = act_low,
                                 .high = act_high,
                                 .rank = 1,
                                 .shape = {A}};
        const ppo_space_t multi = {.struct_size = sizeof(ppo_space_t),
                                   .kind = PPO_SPACE_MULTI_DISCRETE,
                                   .dim = G_N_ELEMENTS(multi_nvec),
                                   .nvec = multi_nvec};
        const struct {
            const char *name;
            const ppo_space_t *obs, *act;
        } kinds[] = {
            {"discrete", &flat, &discrete},
            {"box", &flat, &box},
            {"multi-discrete", &flat, &multi},
            {"image-discrete", &image, &discrete},
        };
        bool any = false;
        for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
            check_space(plugin, params, options, report, kinds[k].name, kinds[k].obs, kinds[k].act);
            any |= !refused(report, kinds[k].name);
        }
        if (!any)
            ppo_check_add(report, PPO_CHECK_FAIL, "spaces",
                          "the policy refuses every space it was offered with these params (flat "
                          "observations with discrete, box and multi-discrete actions, image "
                          "observations with discrete actions); nothing could be checked");
        g_free(flat_low);
        g_free(flat_high);
        g_free(img_low);
        g_free(img_high);
        g_free(act_low);
        g_free(act_high);
    }

    /* the contract says destroy accepts NULL; the core relies on it in error paths */
    ppo_plugin_enter(plugin, "destroy");
    plugin->vt.policy.destroy(NULL);
    ppo_plugin_leave();
    ppo_check_add(report, PPO_CHECK_OK, "destroy-null", "destroy(NULL) returns");
}
