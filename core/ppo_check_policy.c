/* ppofw core — the policy checker behind `ppofw check-policy`.
 *
 * For each kind of action space (discrete, box) the policy accepts, the checker makes it through
 * the core's parameter store (segment table, layout, initializers), binds it to a copy of the
 * parameters followed by a guard of NaNs, and checks: act, value and evaluate agree and are
 * finite; act repeats exactly with the same streams and deterministic act ignores them; backward
 * matches central finite differences of evaluate through each of logp, entropy, KL and value
 * separately, adds into its output and writes nothing past the parameter count; calls keep
 * their state in their own workspace (interleaved workspaces, then several threads at once,
 * give the results of one call at a time); optional state and export_c work.
 *
 * Finite differences follow tests/plugins/test_mlp.c: each parameter moves by h = 2^-8 (the
 * float step actually taken is the denominator), the loss is summed in double, and a
 * disagreement is retried with h/4, which removes a relu kink inside the step. A policy that
 * holds something constant on purpose (gSDE's latent on the variance path) disagrees there by
 * design.
 *
 * Left out: learning behaviour (ppofw run), and export_c's output (compiled by the mlp tests).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_check_private.h"
#include "ppo_model_private.h"
#include "ppo_signal_private.h"

#define POL_GUARD 256              /* floats after the parameters and the gradients */
#define POL_GRAD_SENTINEL 12345.0f /* what the gradient guard holds */
#define POL_FD_H 0x1p-8f           /* finite-difference step */
#define POL_FD_TOL 1e-2            /* largest relative L2 error of a segment's gradient */
#define POL_ROUNDS 8               /* calls per thread in the thread check */
#define POL_N_PATHS 4

static const char *const path_names[POL_N_PATHS] = {"logp", "entropy", "kl", "value"};

/* One policy made for one action space, and its random batch. */
typedef struct pol_ctx {
    const ppo_plugin_t *p;
    const ppo_policy_vtable_t *vt;
    const ppo_check_policy_options_t *opt;
    ppo_check_report_t *report;
    const char *space;        /* "discrete" or "box": prefixes item ids */
    ppo_space_t obs_space;    /* box (D) */
    ppo_space_t act_space;    /* discrete (n) or box (A) */
    ppo_model_t *model;       /* the policy in the core's parameter store */
    void *inst;               /* model->inst */
    uint32_t D, A, P, B;      /* sizes; B rows per call */
    uint32_t n_envs;          /* env indices the policy was made for */
    size_t n;                 /* parameters */
    float *theta;             /* (n + POL_GUARD) bound parameters, NaN guard after them */
    void *ws;                 /* the main workspace (B rows) */
    float *obs;               /* (B, D) the batch */
    uint32_t *env_index;      /* (B) */
    float *actions;           /* (B, A) sampled by act */
    float *old_dist;          /* (B, P) from act at perturbed parameters */
    float *coef[POL_N_PATHS]; /* (B) each: the loss's weights of logp, entropy, KL, value */
} pol_ctx_t;

static void add(pol_ctx_t *c, ppo_check_status_t status, const char *what, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void add(pol_ctx_t *c, ppo_check_status_t status, const char *what, const char *fmt, ...)
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

static char *take_reason(int rc)
{
    char *why = ppo_host_take_error();
    if (why != NULL)
        return why;
    return g_strdup_printf("it returned %d and gave no reason (call host->error() before "
                           "failing)",
                           rc);
}

static float *alloc_floats(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (n > 0 ? n : 1) * sizeof(float)) != 0)
        return NULL;
    memset(p, 0, (n > 0 ? n : 1) * sizeof(float));
    return p;
}

static bool all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

static bool close_to(double a, double b, double tol)
{
    return fabs(a - b) <= tol * (1.0 + fabs(a));
}

/* ---- calls ---- */

/* The outputs of one act. */
typedef struct act_out {
    float *actions; /* (B, A) */
    float *logp;    /* (B) */
    float *value;   /* (B) */
    float *dist;    /* (B, P) */
} act_out_t;

static void act_out_init(const pol_ctx_t *c, act_out_t *o)
{
    o->actions = g_new0(float, (size_t)c->B * c->A);
    o->logp = g_new0(float, c->B);
    o->value = g_new0(float, c->B);
    o->dist = g_new0(float, (size_t)c->B * c->P);
}

static void act_out_clear(act_out_t *o)
{
    g_free(o->actions);
    g_free(o->logp);
    g_free(o->value);
    g_free(o->dist);
}

static bool act_out_equal(const pol_ctx_t *c, const act_out_t *a, const act_out_t *b)
{
    return memcmp(a->actions, b->actions, sizeof(float) * c->B * c->A) == 0 &&
           memcmp(a->logp, b->logp, sizeof(float) * c->B) == 0 &&
           memcmp(a->value, b->value, sizeof(float) * c->B) == 0 &&
           memcmp(a->dist, b->dist, sizeof(float) * c->B * c->P) == 0;
}

/* act on `obs` with streams (seed, tag, first + b), or deterministically without streams. */
static int call_act(const pol_ctx_t *c, void *ws, const float *obs, const uint32_t *env_index,
                    const char *tag, uint64_t first, int deterministic, act_out_t *o)
{
    ppo_rng_t *rng_store = g_new0(ppo_rng_t, c->B);
    ppo_rng_t **rngs = g_new0(ppo_rng_t *, c->B);
    for (uint32_t b = 0; b < c->B; b++) {
        ppo_rng_seed(&rng_store[b], c->opt->seed, tag != NULL ? tag : "act", first + b);
        rngs[b] = &rng_store[b];
    }
    ppo_plugin_enter(c->p, "act");
    int rc =
        c->vt->act(c->inst, ws, c->B, obs, env_index, tag != NULL ? (ppo_rng_t *const *)rngs : NULL,
                   deterministic, o->actions, o->logp, o->value, o->dist);
    ppo_plugin_leave();
    g_free(rngs);
    g_free(rng_store);
    return rc;
}

static int call_evaluate(const pol_ctx_t *c, void *ws, const float *obs, const float *actions,
                         const float *old, float *out[POL_N_PATHS])
{
    ppo_plugin_enter(c->p, "evaluate");
    int rc = c->vt->evaluate(c->inst, ws, c->B, obs, actions, old, out[0], out[1], out[2], out[3]);
    ppo_plugin_leave();
    return rc;
}

static int call_backward(const pol_ctx_t *c, void *ws, const float *const d[POL_N_PATHS],
                         float *grad)
{
    ppo_plugin_enter(c->p, "backward");
    int rc = c->vt->backward(c->inst, ws, c->B, d[0], d[1], d[2], d[3], grad);
    ppo_plugin_leave();
    return rc;
}

/* The policy's per-env state (exploration noise), or NULL when it keeps none. */
static double *save_state(const pol_ctx_t *c, size_t *n)
{
    *n = 0;
    if (c->vt->state_size == NULL)
        return NULL;
    ppo_plugin_enter(c->p, "state_size");
    *n = c->vt->state_size(c->inst);
    double *s = g_new0(double, *n > 0 ? *n : 1);
    if (*n > 0 && c->vt->get_state(c->inst, s) != 0) {
        g_free(ppo_host_take_error());
        *n = 0;
    }
    ppo_plugin_leave();
    return s;
}

static void restore_state(const pol_ctx_t *c, const double *s, size_t n)
{
    if (s == NULL || n == 0)
        return;
    ppo_plugin_enter(c->p, "set_state");
    if (c->vt->set_state(c->inst, s) != 0)
        g_free(ppo_host_take_error());
    ppo_plugin_leave();
}

/* ---- making the policy ---- */

static bool make_policy(pol_ctx_t *c, const ppo_params_t *params)
{
    /* a refusal is the plugin's create returning NULL for this space */
    ppo_policy_setup_t setup = {
        .struct_size = sizeof(setup),
        .n_envs = c->n_envs,
        .obs_space = &c->obs_space,
        .act_space = &c->act_space,
    };
    ppo_plugin_enter(c->p, "create");
    void *probe = c->vt->create(&c->p->host, params, &setup);
    ppo_plugin_leave();
    if (probe == NULL) {
        char *why = take_reason(-1);
        add(c, PPO_CHECK_SKIP, "create", "refuses %s actions: %s", c->space, why);
        g_free(why);
        return false;
    }
    ppo_plugin_enter(c->p, "destroy");
    c->vt->destroy(probe);
    ppo_plugin_leave();

    GError *error = NULL;
    c->model = ppo_model_new(c->p, params, &c->obs_space, &c->act_space, c->n_envs, 0, &error);
    if (c->model == NULL) {
        add(c, PPO_CHECK_FAIL, "segments", "%s", error->message);
        g_error_free(error);
        return false;
    }
    c->inst = c->model->inst;
    c->n = c->model->n_params;
    c->P = c->model->dist_size;
    add(c, PPO_CHECK_OK, "create", "accepts %s actions (observation box %u, action %s %u)",
        c->space, c->D, c->space, c->act_space.kind == PPO_SPACE_DISCRETE ? c->act_space.n : c->A);
    if (c->P == 0 || c->P > (1u << 20)) {
        add(c, PPO_CHECK_FAIL, "segments",
            "dist_size() returned %u; it must be the floats of distribution parameters per row "
            "(logits: n; Gaussian: 2A)",
            c->P);
        return false;
    }

    /* the core's initialization, then noise so that no gradient is degenerate */
    ppo_model_init(c->model, c->opt->seed);
    if (!all_finite(c->model->params, c->n)) {
        add(c, PPO_CHECK_FAIL, "segments",
            "the declared initializers give non-finite parameters; check the segments' value "
            "and gain");
        return false;
    }
    c->theta = alloc_floats(c->n + POL_GUARD);
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
    add(c, PPO_CHECK_OK, "segments",
        "%u segments, %zu parameters, %u distribution floats per row: %s", c->model->n_segments,
        c->n, c->P, table->str);
    g_string_free(table, TRUE);

    ppo_plugin_enter(c->p, "ws_create");
    c->ws = c->vt->ws_create(c->inst, c->B);
    ppo_plugin_leave();
    if (c->ws == NULL) {
        char *why = take_reason(-1);
        add(c, PPO_CHECK_FAIL, "workspace", "ws_create(%u) failed: %s", c->B, why);
        g_free(why);
        return false;
    }

    /* the batch: observations inside the box, every row its own env */
    c->obs = g_new0(float, (size_t)c->B * c->D);
    c->env_index = g_new0(uint32_t, c->B);
    ppo_rng_seed(&rng, c->opt->seed, "check-obs", 0);
    for (size_t i = 0; i < (size_t)c->B * c->D; i++)
        c->obs[i] = (float)ppo_rng_uniform_range(&rng, -1.5, 1.5);
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
                char *why = take_reason(rc);
                add(c, PPO_CHECK_FAIL, "reset-noise", "reset_noise(%u) failed: %s", e, why);
                g_free(why);
                return false;
            }
        }
    }
    return true;
}

/* ---- act, value, evaluate ---- */

static bool check_act(pol_ctx_t *c)
{
    act_out_t a1, a2, d1, d2, d3, other;
    act_out_init(c, &a1);
    act_out_init(c, &a2);
    act_out_init(c, &d1);
    act_out_init(c, &d2);
    act_out_init(c, &d3);
    act_out_init(c, &other);
    bool ok = false;
    size_t n_state = 0;
    double *state = save_state(c, &n_state);
    int rc = call_act(c, c->ws, c->obs, c->env_index, "act", 0, 0, &a1);
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "act", "act failed: %s", why);
        g_free(why);
        goto out;
    }
    if (!all_finite(a1.actions, (size_t)c->B * c->A) || !all_finite(a1.logp, c->B) ||
        !all_finite(a1.value, c->B) || !all_finite(a1.dist, (size_t)c->B * c->P)) {
        add(c, PPO_CHECK_FAIL, "act",
            "act wrote NaN/Inf outputs at finite parameters; or it reads parameters past the %zu "
            "its segment table declares (they are NaN here): the table must add up to what the "
            "policy uses",
            c->n);
        goto out;
    }
    if (c->act_space.kind == PPO_SPACE_DISCRETE) {
        for (uint32_t b = 0; b < c->B; b++) {
            const float a = a1.actions[b];
            if (!(a >= 0.0f && a < (float)c->act_space.n && a == floorf(a))) {
                add(c, PPO_CHECK_FAIL, "act",
                    "row %u: action %g is not an index in [0, %u); a discrete action is one "
                    "float holding the index",
                    b, (double)a, c->act_space.n);
                goto out;
            }
        }
    }
    add(c, PPO_CHECK_OK, "act", "%u rows: actions%s, logp, value and dist all finite", c->B,
        c->act_space.kind == PPO_SPACE_DISCRETE ? " are valid indices" : "");
    ok = true;

    /* the same streams (and per-env state) must give the same sample */
    restore_state(c, state, n_state);
    rc = call_act(c, c->ws, c->obs, c->env_index, "act", 0, 0, &a2);
    if (rc == 0) {
        restore_state(c, state, n_state);
        rc = call_act(c, c->ws, c->obs, c->env_index, "act", 1000, 0, &other);
    }
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "act-streams", "act failed: %s", why);
        g_free(why);
    } else if (!act_out_equal(c, &a1, &a2)) {
        add(c, PPO_CHECK_FAIL, "act-streams",
            "two calls with the same streams and inputs gave different outputs; sample only "
            "from the rows' ppo_rng_t and keep no state outside the workspace and the "
            "per-env state");
    } else if (memcmp(a1.actions, other.actions, sizeof(float) * c->B * c->A) == 0) {
        add(c, PPO_CHECK_WARN, "act-streams",
            "stochastic act gave the same actions for different streams: it does not sample from "
            "the rows' streams (expected only when the exploration noise is per-env state, as "
            "with gSDE)");
    } else {
        add(c, PPO_CHECK_OK, "act-streams",
            "the same streams repeat the sample exactly; other streams change it");
    }

    /* deterministic act: repeatable, and the streams are not needed */
    restore_state(c, state, n_state);
    rc = call_act(c, c->ws, c->obs, c->env_index, NULL, 0, 1, &d1);
    if (rc == 0)
        rc = call_act(c, c->ws, c->obs, c->env_index, NULL, 0, 1, &d2);
    if (rc == 0)
        rc = call_act(c, c->ws, c->obs, c->env_index, "act", 0, 1, &d3);
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "act-deterministic",
            "deterministic act failed: %s (rngs may be NULL when deterministic)", why);
        g_free(why);
    } else if (!act_out_equal(c, &d1, &d2) || !act_out_equal(c, &d1, &d3)) {
        add(c, PPO_CHECK_FAIL, "act-deterministic",
            "deterministic act gave different outputs on repeated calls or with and without "
            "streams; take the distribution's mode and draw nothing");
    } else {
        add(c, PPO_CHECK_OK, "act-deterministic", "repeats exactly and needs no streams");
    }

    /* value() must give act's values */
    float *v = g_new0(float, c->B);
    ppo_plugin_enter(c->p, "value");
    rc = c->vt->value(c->inst, c->ws, c->B, c->obs, v);
    ppo_plugin_leave();
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "value", "value failed: %s", why);
        g_free(why);
    } else {
        int bad = -1;
        for (uint32_t b = 0; b < c->B && bad < 0; b++)
            if (!close_to(a1.value[b], v[b], 1e-5))
                bad = (int)b;
        if (bad >= 0)
            add(c, PPO_CHECK_FAIL, "value", "row %d: value() gives %.9g, act's value_out %.9g", bad,
                (double)v[bad], (double)a1.value[bad]);
        else
            add(c, PPO_CHECK_OK, "value", "value() agrees with act's value_out");
    }
    g_free(v);

    /* evaluate of act's own samples: same logp and value, zero KL to itself */
    float *lp = g_new0(float, c->B), *ent = g_new0(float, c->B), *kl = g_new0(float, c->B);
    float *val = g_new0(float, c->B);
    float *outs[POL_N_PATHS] = {lp, ent, kl, val};
    rc = call_evaluate(c, c->ws, c->obs, a1.actions, a1.dist, outs);
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "evaluate", "evaluate failed: %s", why);
        g_free(why);
    } else {
        int bad = -1;
        const char *what = NULL;
        for (uint32_t b = 0; b < c->B && bad < 0; b++) {
            if (!isfinite(ent[b]))
                what = "entropy is not finite";
            else if (!close_to(a1.logp[b], lp[b], 1e-4))
                what = "logp differs from act's logp_out";
            else if (!close_to(a1.value[b], val[b], 1e-5))
                what = "value differs from act's value_out";
            else if (!(fabsf(kl[b]) <= 1e-5f))
                what = "KL of the distribution to itself is not 0";
            if (what != NULL)
                bad = (int)b;
        }
        float *outs_nokl[POL_N_PATHS] = {lp, ent, NULL, val};
        if (bad >= 0) {
            add(c, PPO_CHECK_FAIL, "evaluate",
                "row %d: %s (logp %.9g vs %.9g, value %.9g vs %.9g, KL %.3g, entropy %.9g)", bad,
                what, (double)lp[bad], (double)a1.logp[bad], (double)val[bad],
                (double)a1.value[bad], (double)kl[bad], (double)ent[bad]);
        } else if ((rc = call_evaluate(c, c->ws, c->obs, a1.actions, NULL, outs_nokl)) != 0) {
            char *why = take_reason(rc);
            add(c, PPO_CHECK_FAIL, "evaluate",
                "evaluate without old_dist and kl_out failed: %s (the KL is skipped then)", why);
            g_free(why);
        } else {
            add(c, PPO_CHECK_OK, "evaluate",
                "logp and value of act's samples match act's; KL of a distribution to itself "
                "is 0; entropy finite");
        }
    }
    memcpy(c->actions, a1.actions, sizeof(float) * c->B * c->A);
    g_free(lp);
    g_free(ent);
    g_free(kl);
    g_free(val);
out:
    restore_state(c, state, n_state);
    g_free(state);
    act_out_clear(&a1);
    act_out_clear(&a2);
    act_out_clear(&d1);
    act_out_clear(&d2);
    act_out_clear(&d3);
    act_out_clear(&other);
    return ok;
}

/* ---- backward against finite differences ---- */

/* evaluate on the batch, each path's outputs summed with its coefficients; 0 or the failing
 * evaluate's code (its reason stays pending on this thread). */
static int path_losses(pol_ctx_t *c, float *buf, double loss[POL_N_PATHS])
{
    float *outs[POL_N_PATHS] = {buf, buf + c->B, buf + 2 * c->B, buf + 3 * c->B};
    int rc = call_evaluate(c, c->ws, c->obs, c->actions, c->old_dist, outs);
    if (rc != 0)
        return rc;
    for (int k = 0; k < POL_N_PATHS; k++) {
        loss[k] = 0.0;
        for (uint32_t b = 0; b < c->B; b++)
            loss[k] += (double)c->coef[k][b] * outs[k][b];
    }
    return 0;
}

/* Central differences of the four path losses in parameter i with step h. */
static int fd_one(pol_ctx_t *c, float *buf, size_t i, float h, double fd[POL_N_PATHS])
{
    const float v = c->theta[i];
    double up[POL_N_PATHS], dn[POL_N_PATHS];
    c->theta[i] = v + h;
    const double up_step = (double)c->theta[i] - v;
    int rc = path_losses(c, buf, up);
    c->theta[i] = v - h;
    const double dn_step = (double)v - c->theta[i];
    if (rc == 0)
        rc = path_losses(c, buf, dn);
    c->theta[i] = v;
    for (int k = 0; k < POL_N_PATHS; k++)
        fd[k] = (up[k] - dn[k]) / (up_step + dn_step);
    return rc;
}

/* Whether a finite difference and a gradient agree, `scale` being the size of the loss. */
static bool fd_agrees(double fd, double an, double scale)
{
    return fabs(fd - an) <= 1e-5 * scale + 1e-3 * fmax(fabs(fd), fabs(an));
}

/* Which parameters to difference: all of them up to fd_max, else an even stride per segment. */
static size_t fd_stride(const pol_ctx_t *c)
{
    if (c->n <= c->opt->fd_max || c->opt->fd_max == 0)
        return 1;
    return (c->n + c->opt->fd_max - 1) / c->opt->fd_max;
}

/* Per segment and path: squared norms of the difference, the analytic and the FD gradient, and
 * the worst element. */
typedef struct seg_err {
    double diff2, an2, fd2;
    size_t worst; /* index of the largest |fd - analytic| */
    double worst_abs;
    double worst_an, worst_fd;
} seg_err_t;

static void check_backward(pol_ctx_t *c)
{
    const size_t n = c->n;
    float *grads[POL_N_PATHS] = {NULL, NULL, NULL, NULL};
    float *all = alloc_floats(n + POL_GUARD);
    float *buf = g_new0(float, (size_t)POL_N_PATHS * c->B);
    const uint32_t n_segs = c->model->n_segments;
    seg_err_t *err = g_new0(seg_err_t, (size_t)n_segs * POL_N_PATHS);
    bool guard_ok = true;
    double loss[POL_N_PATHS];
    int rc = 0;

    /* KL needs an old distribution: act's at slightly different parameters */
    act_out_t o;
    act_out_init(c, &o);
    float *saved = g_memdup2(c->theta, sizeof(float) * n);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, c->opt->seed, "check-old", 0);
    for (size_t i = 0; i < n; i++)
        c->theta[i] += (float)(0.05 * ppo_rng_normal(&rng));
    rc = call_act(c, c->ws, c->obs, c->env_index, NULL, 0, 1, &o);
    memcpy(c->theta, saved, sizeof(float) * n);
    memcpy(c->old_dist, o.dist, sizeof(float) * c->B * c->P);
    g_free(saved);
    act_out_clear(&o);

    /* analytic: one path at a time into zeros, then all at once into ones (backward adds) */
    for (int k = 0; k < POL_N_PATHS; k++) {
        grads[k] = alloc_floats(n + POL_GUARD);
        for (size_t i = n; i < n + POL_GUARD; i++)
            grads[k][i] = POL_GRAD_SENTINEL;
        const float *d[POL_N_PATHS] = {NULL, NULL, NULL, NULL};
        d[k] = c->coef[k];
        if (rc == 0)
            rc = path_losses(c, buf, loss);
        if (rc == 0)
            rc = call_backward(c, c->ws, d, grads[k]);
        for (size_t i = n; i < n + POL_GUARD; i++)
            guard_ok &= grads[k][i] == POL_GRAD_SENTINEL;
    }
    for (size_t i = 0; i < n; i++)
        all[i] = 1.0f;
    for (size_t i = n; i < n + POL_GUARD; i++)
        all[i] = POL_GRAD_SENTINEL;
    const float *d_all[POL_N_PATHS] = {c->coef[0], c->coef[1], c->coef[2], c->coef[3]};
    if (rc == 0)
        rc = path_losses(c, buf, loss);
    if (rc == 0)
        rc = call_backward(c, c->ws, d_all, all);
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "backward", "act, evaluate or backward failed: %s", why);
        g_free(why);
        goto out;
    }
    for (size_t i = n; i < n + POL_GUARD; i++)
        guard_ok &= all[i] == POL_GRAD_SENTINEL;
    long not_added = -1;
    for (size_t i = 0; i < n && not_added < 0; i++) {
        const double sum = (double)grads[0][i] + grads[1][i] + grads[2][i] + grads[3][i];
        if (!(fabs((double)all[i] - 1.0 - sum) <= 1e-4 * (1.0 + fabs(sum))))
            not_added = (long)i;
    }
    if (!guard_ok)
        add(c, PPO_CHECK_FAIL, "grad-extent",
            "backward wrote past the %zu gradients its segment table declares; the table must "
            "add up to the parameters the policy uses",
            n);
    else
        add(c, PPO_CHECK_OK, "grad-extent",
            "backward writes nothing past the %zu parameters of the segment table", n);
    if (not_added >= 0)
        add(c, PPO_CHECK_FAIL, "backward-adds",
            "gradient %ld: backward into a buffer of ones gave %.9g, expected 1 + %.9g; backward "
            "must ADD into grad_out, not overwrite it",
            not_added, (double)all[not_added],
            (double)grads[0][not_added] + grads[1][not_added] + grads[2][not_added] +
                grads[3][not_added]);
    else
        add(c, PPO_CHECK_OK, "backward-adds", "backward adds into grad_out");

    /* the size of each path's loss, for the absolute part of the tolerance */
    double scale[POL_N_PATHS];
    for (int k = 0; k < POL_N_PATHS; k++) {
        scale[k] = 0.0;
        for (uint32_t b = 0; b < c->B; b++)
            scale[k] += fabs(c->coef[k][b]) * (1.0 + fabs(buf[(size_t)k * c->B + b]));
    }

    /* central differences, every parameter (or an even sample of a very large table); where a
     * step disagrees, smaller steps are tried, and a point where the steps disagree with each
     * other too lies on a kink (relu): it is left out and counted */
    const size_t stride = fd_stride(c);
    size_t checked = 0, kinks = 0;
    size_t off = 0;
    for (uint32_t s = 0; s < n_segs && rc == 0; s++) {
        const size_t len = (size_t)c->model->segments[s].rows * c->model->segments[s].cols;
        for (size_t i = off; i < off + len && rc == 0; i += (len < 16 ? 1 : stride)) {
            double fd[3][POL_N_PATHS];
            int steps = 1;
            if ((rc = fd_one(c, buf, i, POL_FD_H, fd[0])) != 0)
                break;
            for (; steps < 3; steps++) {
                bool agree = true;
                for (int k = 0; k < POL_N_PATHS; k++)
                    agree &= fd_agrees(fd[steps - 1][k], grads[k][i], scale[k]);
                if (agree)
                    break;
                if ((rc = fd_one(c, buf, i, POL_FD_H / (float)(1 << (2 * steps)), fd[steps])) != 0)
                    break;
            }
            for (int k = 0; k < POL_N_PATHS; k++) {
                const double an = grads[k][i];
                double best = fd[0][k];
                for (int j = 1; j < steps && j < 3; j++)
                    if (fabs(fd[j][k] - an) < fabs(best - an))
                        best = fd[j][k];
                /* the steps disagree among themselves and none matches: a kink */
                if (steps >= 2 && !fd_agrees(best, an, scale[k]) &&
                    !fd_agrees(fd[0][k], fd[1][k], scale[k])) {
                    kinks++;
                    continue;
                }
                seg_err_t *e = &err[(size_t)s * POL_N_PATHS + k];
                const double dd = best - an;
                e->diff2 += dd * dd;
                e->an2 += an * an;
                e->fd2 += best * best;
                if (fabs(dd) >= e->worst_abs) {
                    e->worst_abs = fabs(dd);
                    e->worst = i - off;
                    e->worst_an = an;
                    e->worst_fd = best;
                }
            }
            checked++;
        }
        off += len;
    }
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "backward", "evaluate failed at perturbed parameters: %s", why);
        g_free(why);
        goto out;
    }

    /* one verdict per path, naming the worst segment */
    for (int k = 0; k < POL_N_PATHS; k++) {
        double worst_rel = 0.0;
        uint32_t worst_seg = 0;
        for (uint32_t s = 0; s < n_segs; s++) {
            const seg_err_t *e = &err[(size_t)s * POL_N_PATHS + k];
            const double rel = sqrt(e->diff2) / fmax(sqrt(fmax(e->an2, e->fd2)), 1e-6);
            if (rel > worst_rel) {
                worst_rel = rel;
                worst_seg = s;
            }
        }
        char *id = g_strdup_printf("backward-%s", path_names[k]);
        const seg_err_t *e = &err[(size_t)worst_seg * POL_N_PATHS + k];
        if (worst_rel > POL_FD_TOL)
            add(c, PPO_CHECK_FAIL, id,
                "through %s: segment %s is off by %.3g (relative L2 over %s); element %zu: "
                "backward gives %.6g, finite differences %.6g",
                path_names[k], c->model->segments[worst_seg].name, worst_rel,
                stride > 1 ? "a sample of its parameters" : "all its parameters", e->worst,
                e->worst_an, e->worst_fd);
        else
            add(c, PPO_CHECK_OK, id,
                "through %s: every segment agrees with finite differences (worst %.2g, "
                "segment %s)",
                path_names[k], worst_rel, c->model->segments[worst_seg].name);
        g_free(id);
    }
    if (kinks > 0) {
        const double share = (double)kinks / (double)(checked * POL_N_PATHS);
        add(c, share > 0.05 ? PPO_CHECK_WARN : PPO_CHECK_OK, "backward-kinks",
            "%zu of %zu differences lay on a kink (their steps disagree with each other) and "
            "were left out%s",
            kinks, checked * POL_N_PATHS,
            share > 0.05 ? "; that many suggests a non-smooth loss, not just relu kinks" : "");
    }

    /* every segment should matter to something */
    GString *unused = g_string_new(NULL);
    for (uint32_t s = 0; s < n_segs; s++) {
        double total = 0.0;
        for (int k = 0; k < POL_N_PATHS; k++)
            total += err[(size_t)s * POL_N_PATHS + k].an2 + err[(size_t)s * POL_N_PATHS + k].fd2;
        if (total == 0.0)
            g_string_append_printf(unused, "%s%s", unused->len > 0 ? ", " : "",
                                   c->model->segments[s].name);
    }
    if (unused->len > 0)
        add(c, PPO_CHECK_WARN, "segments-used",
            "no gradient through logp, entropy, KL or value reaches segment %s: unused "
            "parameters?",
            unused->str);
    else
        add(c, PPO_CHECK_OK, "segments-used",
            "every segment gets a gradient (%zu parameters differenced)", checked);
    g_string_free(unused, TRUE);

out:
    for (int k = 0; k < POL_N_PATHS; k++)
        free(grads[k]);
    free(all);
    g_free(buf);
    g_free(err);
}

/* ---- workspaces ---- */

/* evaluate then backward of the full loss on one workspace (transfer full gradient). */
static float *eval_backward(pol_ctx_t *c, void *ws, const float *obs, const float *actions,
                            const float *old, int *rc)
{
    float *buf = g_new0(float, (size_t)POL_N_PATHS * c->B);
    float *outs[POL_N_PATHS] = {buf, buf + c->B, buf + 2 * c->B, buf + 3 * c->B};
    float *grad = g_new0(float, c->n);
    const float *d[POL_N_PATHS] = {c->coef[0], c->coef[1], c->coef[2], c->coef[3]};
    *rc = call_evaluate(c, ws, obs, actions, old, outs);
    if (*rc == 0)
        *rc = call_backward(c, ws, d, grad);
    g_free(buf);
    return grad;
}

static void check_interleaved(pol_ctx_t *c)
{
    ppo_plugin_enter(c->p, "ws_create");
    void *ws2 = c->vt->ws_create(c->inst, c->B);
    ppo_plugin_leave();
    if (ws2 == NULL) {
        char *why = take_reason(-1);
        add(c, PPO_CHECK_FAIL, "workspaces", "a second ws_create failed: %s", why);
        g_free(why);
        return;
    }
    /* a second batch: other observations */
    float *obs2 = g_new0(float, (size_t)c->B * c->D);
    for (size_t i = 0; i < (size_t)c->B * c->D; i++)
        obs2[i] = -0.5f * c->obs[i] + 0.25f;
    int rc = 0;
    float *alone = eval_backward(c, c->ws, c->obs, c->actions, c->old_dist, &rc);

    /* evaluate on ws, evaluate on ws2, then backward on ws */
    float *buf = g_new0(float, (size_t)POL_N_PATHS * c->B);
    float *outs[POL_N_PATHS] = {buf, buf + c->B, buf + 2 * c->B, buf + 3 * c->B};
    float *mixed = g_new0(float, c->n);
    const float *d[POL_N_PATHS] = {c->coef[0], c->coef[1], c->coef[2], c->coef[3]};
    if (rc == 0)
        rc = call_evaluate(c, c->ws, c->obs, c->actions, c->old_dist, outs);
    if (rc == 0)
        rc = call_evaluate(c, ws2, obs2, c->actions, c->old_dist, outs);
    if (rc == 0)
        rc = call_backward(c, c->ws, d, mixed);
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "workspaces", "a call failed: %s", why);
        g_free(why);
    } else if (memcmp(alone, mixed, sizeof(float) * c->n) != 0) {
        add(c, PPO_CHECK_FAIL, "workspaces",
            "backward on workspace 1 after an evaluate on workspace 2 gave other gradients "
            "than right after its own evaluate: keep everything a call leaves for backward in "
            "the workspace, not in the instance");
    } else {
        add(c, PPO_CHECK_OK, "workspaces",
            "backward uses only what evaluate left in its own workspace");
    }
    ppo_plugin_enter(c->p, "ws_destroy");
    c->vt->ws_destroy(c->inst, ws2);
    ppo_plugin_leave();
    g_free(obs2);
    g_free(alone);
    g_free(mixed);
    g_free(buf);
}

/* One thread's work: its own workspace, env index and batch, several rounds. */
typedef struct pol_job {
    pol_ctx_t *c;
    uint32_t index;
    void *ws;
    uint64_t hash;
    char *failure;
    GMutex *lock;
    GCond *cond;
    const bool *go;
} pol_job_t;

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static void run_job(pol_job_t *j)
{
    pol_ctx_t *c = j->c;
    act_out_t o;
    act_out_init(c, &o);
    float *obs = g_new0(float, (size_t)c->B * c->D);
    uint32_t *env_index = g_new0(uint32_t, c->B);
    j->hash = UINT64_C(0xcbf29ce484222325);
    for (uint32_t b = 0; b < c->B; b++)
        env_index[b] = j->index % c->n_envs;
    for (uint32_t r = 0; r < POL_ROUNDS && j->failure == NULL; r++) {
        for (size_t i = 0; i < (size_t)c->B * c->D; i++)
            obs[i] = c->obs[i] * (1.0f + 0.1f * (float)(j->index + r)) - 0.05f * (float)r;
        const uint64_t first = ((uint64_t)j->index * POL_ROUNDS + r) * c->B;
        int rc = call_act(c, j->ws, obs, env_index, "thread", first, 0, &o);
        float *grad = NULL;
        if (rc == 0)
            grad = eval_backward(c, j->ws, obs, o.actions, o.dist, &rc);
        if (rc != 0) {
            char *why = take_reason(rc);
            j->failure = g_strdup_printf("a call failed: %s", why);
            g_free(why);
        } else {
            j->hash = fnv(j->hash, o.actions, sizeof(float) * c->B * c->A);
            j->hash = fnv(j->hash, o.logp, sizeof(float) * c->B);
            j->hash = fnv(j->hash, o.value, sizeof(float) * c->B);
            j->hash = fnv(j->hash, grad, sizeof(float) * c->n);
        }
        g_free(grad);
    }
    act_out_clear(&o);
    g_free(obs);
    g_free(env_index);
}

static gpointer job_thread(gpointer data)
{
    pol_job_t *j = data;
    ppo_signals_thread_init();
    g_mutex_lock(j->lock);
    while (!*j->go)
        g_cond_wait(j->cond, j->lock);
    g_mutex_unlock(j->lock);
    run_job(j);
    return NULL;
}

static void check_threads(pol_ctx_t *c)
{
    const uint32_t K = c->opt->threads;
    pol_job_t *seq = g_new0(pol_job_t, K), *par = g_new0(pol_job_t, K);
    GThread **threads = g_new0(GThread *, K);
    GMutex lock;
    GCond cond;
    bool go = false, ws_failed = false;
    g_mutex_init(&lock);
    g_cond_init(&cond);
    size_t n_state = 0;
    double *state = save_state(c, &n_state);
    for (uint32_t i = 0; i < K; i++) {
        ppo_plugin_enter(c->p, "ws_create");
        seq[i].ws = c->vt->ws_create(c->inst, c->B);
        ppo_plugin_leave();
        ws_failed |= seq[i].ws == NULL;
    }
    if (ws_failed) {
        char *why = take_reason(-1);
        add(c, PPO_CHECK_FAIL, "threads", "ws_create failed: %s", why);
        g_free(why);
        goto out;
    }

    /* one at a time, then all at once, each on its own workspace and env index */
    for (uint32_t i = 0; i < K; i++) {
        seq[i].c = c;
        seq[i].index = i;
        run_job(&seq[i]);
    }
    restore_state(c, state, n_state);
    for (uint32_t i = 0; i < K; i++) {
        par[i] = (pol_job_t){
            .c = c, .index = i, .ws = seq[i].ws, .lock = &lock, .cond = &cond, .go = &go};
        GError *error = NULL;
        threads[i] = g_thread_try_new("check-policy", job_thread, &par[i], &error);
        if (threads[i] == NULL) {
            /* the process may not start that many threads: say so, check with the others */
            par[i].failure = g_strdup_printf("cannot start thread %u of %u (%s); lower --threads",
                                             i + 1, K, error->message);
            g_error_free(error);
        }
    }
    g_mutex_lock(&lock);
    go = true;
    g_cond_broadcast(&cond);
    g_mutex_unlock(&lock);
    for (uint32_t i = 0; i < K; i++)
        if (threads[i] != NULL)
            g_thread_join(threads[i]);

    const char *failure = NULL;
    int differs = -1;
    for (uint32_t i = 0; i < K; i++) {
        if (failure == NULL)
            failure = seq[i].failure != NULL ? seq[i].failure : par[i].failure;
        if (differs < 0 && par[i].hash != seq[i].hash)
            differs = (int)i;
    }
    if (failure != NULL)
        add(c, PPO_CHECK_FAIL, "threads", "%s", failure);
    else if (differs >= 0)
        add(c, PPO_CHECK_FAIL, "threads",
            "workspace %d gave other results while %u workspaces were used at once on threads "
            "than one at a time: calls on different workspaces must not share mutable state",
            differs, K);
    else
        add(c, PPO_CHECK_OK, "threads",
            "act, evaluate and backward on %u workspaces at once on threads match one at a time",
            K);
out:
    for (uint32_t i = 0; i < K; i++) {
        if (seq[i].ws != NULL) {
            ppo_plugin_enter(c->p, "ws_destroy");
            c->vt->ws_destroy(c->inst, seq[i].ws);
            ppo_plugin_leave();
        }
        g_free(seq[i].failure);
        g_free(par[i].failure);
    }
    restore_state(c, state, n_state);
    g_free(state);
    g_free(seq);
    g_free(par);
    g_free(threads);
    g_mutex_clear(&lock);
    g_cond_clear(&cond);
}

/* ---- optional callbacks ---- */

static void check_state(pol_ctx_t *c)
{
    if (c->vt->state_size == NULL) {
        add(c, PPO_CHECK_SKIP, "state", "the policy keeps no per-env state");
        return;
    }
    size_t n = 0;
    double *s = save_state(c, &n);
    if (n == 0) {
        add(c, PPO_CHECK_SKIP, "state", "the policy keeps no per-env state with these params");
        g_free(s);
        return;
    }
    act_out_t a1, a2;
    act_out_init(c, &a1);
    act_out_init(c, &a2);
    int rc = call_act(c, c->ws, c->obs, c->env_index, "state", 0, 0, &a1);
    restore_state(c, s, n);
    if (rc == 0)
        rc = call_act(c, c->ws, c->obs, c->env_index, "state", 0, 0, &a2);
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "state", "act failed: %s", why);
        g_free(why);
    } else if (!act_out_equal(c, &a1, &a2)) {
        add(c, PPO_CHECK_FAIL, "state",
            "after set_state of the state saved before an act, the same act gave other "
            "outputs: the state misses something act depends on");
    } else {
        add(c, PPO_CHECK_OK, "state", "%zu doubles of per-env state round-trip", n);
    }
    restore_state(c, s, n);
    g_free(s);
    act_out_clear(&a1);
    act_out_clear(&a2);
}

/* Part p's evaluate_part and backward_part of the path weights on ws (grad: added into). */
static int part_eval_backward(pol_ctx_t *c, void *ws, uint32_t p, float *out[POL_N_PATHS],
                              float *grad)
{
    const float *d[POL_N_PATHS] = {c->coef[0], c->coef[1], c->coef[2], c->coef[3]};
    ppo_plugin_enter(c->p, "evaluate_part");
    int rc = p == 0 ? c->vt->evaluate_part(c->inst, ws, 0, c->B, c->obs, c->actions, c->old_dist,
                                           out[0], out[1], out[2], NULL)
                    : c->vt->evaluate_part(c->inst, ws, 1, c->B, c->obs, NULL, NULL, NULL, NULL,
                                           NULL, out[3]);
    if (rc == 0)
        rc = p == 0 ? c->vt->backward_part(c->inst, ws, 0, c->B, d[0], d[1], d[2], NULL, grad)
                    : c->vt->backward_part(c->inst, ws, 1, c->B, NULL, NULL, NULL, d[3], grad);
    ppo_plugin_leave();
    return rc;
}

/* The first segment of part `p` (or of the other part, other = true) whose gradient entries
 * differ between a and b; -1 when none. */
static int first_differing_segment(const pol_ctx_t *c, const int *part, int p, const float *a,
                                   const float *b)
{
    for (uint32_t k = 0; k < c->model->n_segments; k++) {
        const size_t off = c->model->offsets[k],
                     len = (size_t)c->model->segments[k].rows * c->model->segments[k].cols;
        if (part[k] == p && memcmp(a + off, b + off, len * sizeof(float)) != 0)
            return (int)k;
    }
    return -1;
}

static void check_parts(pol_ctx_t *c)
{
    if (c->vt->segment_part == NULL) {
        add(c, PPO_CHECK_SKIP, "parts", "the policy offers no parts (evaluate and backward do "
                                        "the distribution and the value together)");
        return;
    }
    const uint32_t ns = c->model->n_segments;
    int *part = g_new(int, MAX(ns, 1u));
    uint32_t count[2] = {0, 0}, none = 0, bad = ns;
    for (uint32_t k = 0; k < ns; k++) {
        ppo_plugin_enter(c->p, "segment_part");
        part[k] = c->vt->segment_part(c->inst, k);
        ppo_plugin_leave();
        if (part[k] == 0 || part[k] == 1)
            count[part[k]]++;
        else if (part[k] == -1)
            none++;
        if (!(part[k] == 0 || part[k] == 1) && bad == ns)
            bad = k;
    }
    if (none == ns) {
        add(c, PPO_CHECK_SKIP, "parts", "segment_part says these params make one part");
        g_free(part);
        return;
    }
    if (bad == ns && (count[0] == 0 || count[1] == 0)) {
        /* as the core: every segment in one part is one part, run through evaluate/backward */
        add(c, PPO_CHECK_SKIP, "parts",
            "segment_part puts every segment in part %d, which makes one part",
            count[0] > 0 ? 0 : 1);
        g_free(part);
        return;
    }
    if (bad < ns) {
        add(c, PPO_CHECK_FAIL, "parts",
            "segment_part gave %d for segment \"%s\": give 0 (the distribution) or 1 (the "
            "value function) for every segment, or -1 for every one when they share parameters",
            part[bad], c->model->segments[bad].name);
        g_free(part);
        return;
    }
    /* the whole evaluate and backward, then part 1 and part 0 on their own workspaces into an
     * array whose other part's entries hold a sentinel */
    int rc = 0;
    float *whole = eval_backward(c, c->ws, c->obs, c->actions, c->old_dist, &rc);
    float *buf = g_new0(float, (size_t)POL_N_PATHS * c->B * 2);
    float *full[POL_N_PATHS], *parts[POL_N_PATHS];
    for (int k = 0; k < POL_N_PATHS; k++) {
        full[k] = buf + (size_t)k * c->B;
        parts[k] = buf + (size_t)(POL_N_PATHS + k) * c->B;
    }
    if (rc == 0)
        rc = call_evaluate(c, c->ws, c->obs, c->actions, c->old_dist, full);
    void *ws_part[2] = {NULL, NULL};
    for (uint32_t p = 0; p < 2; p++) {
        ppo_plugin_enter(c->p, "ws_create");
        ws_part[p] = c->vt->ws_create(c->inst, c->B);
        ppo_plugin_leave();
        if (ws_part[p] == NULL && rc == 0)
            rc = -1;
    }
    const float sentinel = 777.0f;
    float *split = g_new(float, c->n);
    for (size_t i = 0; i < c->n; i++)
        split[i] = sentinel;
    int wrote_other = -1, differs = -1, out_differs = -1;
    for (uint32_t step = 0; step < 2 && rc == 0; step++) {
        const uint32_t p = 1 - step; /* part 1 first */
        for (uint32_t k = 0; k < ns; k++)
            if (part[k] == (int)p)
                memset(split + c->model->offsets[k], 0,
                       sizeof(float) * c->model->segments[k].rows * c->model->segments[k].cols);
        rc = part_eval_backward(c, ws_part[p], p, parts, split);
        if (rc == 0 && p == 1) {
            /* part 0's entries must still hold the sentinel */
            for (uint32_t k = 0; k < ns && wrote_other < 0; k++)
                for (size_t i = 0; part[k] == 0 &&
                                   i < (size_t)c->model->segments[k].rows * c->model->segments[k].cols;
                     i++)
                    if (split[c->model->offsets[k] + i] != sentinel) {
                        wrote_other = (int)k;
                        break;
                    }
        }
    }
    if (rc == 0) {
        for (int k = 0; k < POL_N_PATHS && out_differs < 0; k++)
            if (memcmp(full[k], parts[k], sizeof(float) * c->B) != 0)
                out_differs = k;
        differs = first_differing_segment(c, part, 0, whole, split);
        if (differs < 0)
            differs = first_differing_segment(c, part, 1, whole, split);
    }
    /* act may get value_out NULL (the core then computes values batched): the same sample */
    bool act_differs = false;
    if (rc == 0) {
        size_t n_state = 0;
        double *state = save_state(c, &n_state);
        act_out_t with, without;
        act_out_init(c, &with);
        act_out_init(c, &without);
        g_free(without.value);
        without.value = NULL;
        rc = call_act(c, c->ws, c->obs, c->env_index, "parts", 0, 0, &with);
        restore_state(c, state, n_state);
        if (rc == 0)
            rc = call_act(c, c->ws, c->obs, c->env_index, "parts", 0, 0, &without);
        restore_state(c, state, n_state);
        act_differs =
            rc == 0 &&
            (memcmp(with.actions, without.actions, sizeof(float) * c->B * c->A) != 0 ||
             memcmp(with.logp, without.logp, sizeof(float) * c->B) != 0 ||
             memcmp(with.dist, without.dist, sizeof(float) * c->B * c->P) != 0);
        act_out_clear(&with);
        act_out_clear(&without);
        g_free(state);
    }
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "parts", "a part's call failed: %s", why);
        g_free(why);
    } else if (out_differs >= 0) {
        add(c, PPO_CHECK_FAIL, "parts",
            "evaluate_part(%d) gave another %s than evaluate: each part must compute exactly "
            "what evaluate does",
            out_differs == 3 ? 1 : 0, path_names[out_differs]);
    } else if (wrote_other >= 0) {
        add(c, PPO_CHECK_FAIL, "parts",
            "backward_part(1) wrote into segment \"%s\" of part 0: a part may add only into its "
            "own segments (the other part's task writes them at the same time)",
            c->model->segments[wrote_other].name);
    } else if (differs >= 0) {
        add(c, PPO_CHECK_FAIL, "parts",
            "the parts' backward_part gave another gradient than backward in segment \"%s\" "
            "(part %d): each part must add exactly what backward adds there",
            c->model->segments[differs].name, part[differs]);
    } else if (act_differs) {
        add(c, PPO_CHECK_FAIL, "parts",
            "act with value_out NULL gave other actions, log-probabilities or distributions "
            "than with it: with parts, act skips only the value function when value_out is "
            "NULL");
    } else {
        add(c, PPO_CHECK_OK, "parts",
            "evaluate_part and backward_part reproduce evaluate and backward bit for bit "
            "(%u segments in part 0, %u in part 1); act works without value_out",
            count[0], count[1]);
    }
    for (uint32_t p = 0; p < 2; p++) {
        if (ws_part[p] == NULL)
            continue;
        ppo_plugin_enter(c->p, "ws_destroy");
        c->vt->ws_destroy(c->inst, ws_part[p]);
        ppo_plugin_leave();
    }
    g_free(part);
    g_free(whole);
    g_free(buf);
    g_free(split);
}

static void check_export(pol_ctx_t *c)
{
    if (c->vt->export_c == NULL) {
        add(c, PPO_CHECK_SKIP, "export-c", "the policy offers no export_c");
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ppo_obs_norm_t norm = {.struct_size = sizeof(norm), .enabled = 0, .dim = c->D};
    ppo_plugin_enter(c->p, "export_c");
    int rc = out != NULL ? c->vt->export_c(c->inst, c->theta, &norm, out) : -1;
    ppo_plugin_leave();
    if (out != NULL)
        fclose(out);
    if (rc != 0) {
        char *why = take_reason(rc);
        add(c, PPO_CHECK_FAIL, "export-c", "export_c failed: %s", why);
        g_free(why);
    } else if (len == 0) {
        add(c, PPO_CHECK_FAIL, "export-c", "export_c returned 0 but wrote nothing");
    } else {
        add(c, PPO_CHECK_OK, "export-c", "export_c wrote %zu bytes of C", len);
    }
    free(text);
}

/* ---- driver ---- */

static void pol_clear(pol_ctx_t *c)
{
    if (c->ws != NULL) {
        ppo_plugin_enter(c->p, "ws_destroy");
        c->vt->ws_destroy(c->inst, c->ws);
        ppo_plugin_leave();
    }
    ppo_model_free(c->model);
    free(c->theta);
    g_free(c->obs);
    g_free(c->env_index);
    g_free(c->actions);
    g_free(c->old_dist);
    for (int k = 0; k < POL_N_PATHS; k++)
        g_free(c->coef[k]);
}

/* Run every check for one action space. */
static void check_space(const ppo_plugin_t *plugin, const ppo_params_t *params,
                        const ppo_check_policy_options_t *opt, ppo_check_report_t *report,
                        bool discrete)
{
    const uint32_t D = opt->obs_dim, A = discrete ? 1 : opt->act_dim;
    double *obs_low = g_new(double, D), *obs_high = g_new(double, D);
    double *act_low = g_new(double, A), *act_high = g_new(double, A);
    for (uint32_t i = 0; i < D; i++) {
        obs_low[i] = -5.0;
        obs_high[i] = 5.0;
    }
    for (uint32_t i = 0; i < A; i++) {
        act_low[i] = -1.0;
        act_high[i] = 1.0;
    }
    pol_ctx_t c = {
        .p = plugin,
        .vt = &plugin->vt.policy,
        .opt = opt,
        .report = report,
        .space = discrete ? "discrete" : "box",
        .obs_space = {.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_BOX, .dim = D,
                      .low = obs_low, .high = obs_high},
        .D = D,
        .A = A,
        .B = MAX(opt->batch, 1u),
        .n_envs = MAX(opt->threads, 4u),
    };
    if (discrete)
        c.act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                    .kind = PPO_SPACE_DISCRETE,
                                    .n = opt->n_actions,
                                    .dim = 1};
    else
        c.act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                    .kind = PPO_SPACE_BOX,
                                    .dim = A,
                                    .low = act_low,
                                    .high = act_high};
    if (make_policy(&c, params)) {
        c.actions = g_new0(float, (size_t)c.B *c.A);
        c.old_dist = g_new0(float, (size_t)c.B *c.P);
        if (check_act(&c)) {
            check_backward(&c);
            check_interleaved(&c);
            check_threads(&c);
            check_parts(&c);
            check_state(&c);
            check_export(&c);
        }
    }
    pol_clear(&c);
    g_free(obs_low);
    g_free(obs_high);
    g_free(act_low);
    g_free(act_high);
}

ppo_check_policy_options_t ppo_check_policy_defaults(void)
{
    return (ppo_check_policy_options_t){
        .seed = 1,
        .obs_dim = 4,
        .n_actions = 3,
        .act_dim = 2,
        .batch = 6,
        .threads = 4,
        .fd_max = 20000,
    };
}

static bool refused(const ppo_check_report_t *report, const char *id)
{
    const ppo_check_item_t *item = ppo_check_find(report, id);
    return item != NULL && item->status == PPO_CHECK_SKIP;
}

void ppo_check_policy(const ppo_plugin_t *plugin, const ppo_params_t *params,
                      const ppo_check_policy_options_t *options, ppo_check_report_t *report)
{
    g_return_if_fail(plugin->kind == PPO_KIND_POLICY);
    check_space(plugin, params, options, report, true);
    check_space(plugin, params, options, report, false);
    if (refused(report, "discrete/create") && refused(report, "box/create"))
        ppo_check_add(report, PPO_CHECK_FAIL, "spaces",
                      "the policy refuses both a discrete and a box action space with these "
                      "params; nothing could be checked");

    /* the contract says destroy accepts NULL; the core relies on it in error paths */
    ppo_plugin_enter(plugin, "destroy");
    plugin->vt.policy.destroy(NULL);
    ppo_plugin_leave();
    ppo_check_add(report, PPO_CHECK_OK, "destroy-null", "destroy(NULL) returns");
}
