/* ppofw core — check-policy's workspace battery: calls on different workspaces are independent,
 * checked deterministically, and the optional parts (ABI 1.1) reproduce evaluate and backward.
 *
 * Workspaces. Two workspaces get different inputs (observations, actions, old distributions, and
 * for a recurrent policy start states and episode starts). Each call is first run on each
 * workspace alone; then fixed schedules interleave the calls of the two workspaces in orders that
 * must not matter (act A, act B, evaluate A, evaluate B, backward A, backward B; evaluate pairs
 * whose backwards come in the other order; act and value on one workspace between the other's
 * evaluate and backward; with parts, the four part calls of two chunks interleaved), and every
 * output is compared bit for bit with the workspace alone. A policy that keeps anything a call
 * leaves for a later call outside its workspace (in the instance, or in a static buffer shared by
 * every workspace) is caught every time, not when threads happen to collide; races inside one
 * call are the business of -fsanitize=thread. The schedules keep the one ordering rule the core
 * keeps: nothing runs on a workspace between an evaluate and the backward that uses it.
 *
 * Parts: the whole evaluate and backward, then part 1 and part 0 on their own workspaces into an
 * array whose other part holds a sentinel: same outputs and gradients bit for bit, each part only
 * in its segments, and act without value_out samples the same.
 */
#include "config.h"

#include <string.h>

#include "ppo_check_policy_private.h"

/* One workspace's inputs. */
typedef struct ws_input {
    const char *name;         /* "A" or "B" */
    const float *obs;         /* (B, D) */
    const float *actions;     /* (B, A) */
    const float *old;         /* (B, P) */
    const uint32_t *env;      /* (B) env indices (act's first rows) */
    const float *start_state; /* recurrent: (n_seq, S) */
    const float *starts;      /* recurrent: (B) */
    const float *act_obs;     /* (rows of act, D): plain: obs; recurrent: each sequence's first */
    uint32_t act_rows;        /* plain: B; recurrent: n_seq */
} ws_input_t;

/* What one workspace's calls gave. */
typedef struct ws_result {
    pol_act_out_t act;
    float *act_state; /* recurrent: (n_seq, S) the state act left */
    float *value;     /* (act_rows) */
    float *eval;      /* (4, B): logp, entropy, KL, value */
    float *grad;      /* (n) */
} ws_result_t;

static void result_init(const pol_ctx_t *c, const ws_input_t *in, ws_result_t *r)
{
    pol_act_out_init(c, &r->act, in->act_rows);
    r->act_state = g_new0(float, (size_t)c->n_seq * c->S + 1);
    r->value = g_new0(float, in->act_rows);
    r->eval = g_new0(float, (size_t)POL_N_PATHS * c->B);
    r->grad = g_new0(float, c->n);
}

static void result_clear(ws_result_t *r)
{
    pol_act_out_clear(&r->act);
    g_free(r->act_state);
    g_free(r->value);
    g_free(r->eval);
    g_free(r->grad);
}

/* ---- the calls ---- */

static int call_act(const pol_ctx_t *c, void *ws, const ws_input_t *in, ws_result_t *r)
{
    if (c->S == 0)
        return pol_act(c, ws, in->act_rows, in->act_obs, in->env, NULL, 0, 1, &r->act);
    memcpy(r->act_state, in->start_state, sizeof(float) * c->n_seq * c->S);
    return pol_act_rec(c, ws, in->act_rows, in->act_obs, in->env, NULL, 0, 1, r->act_state,
                       &r->act);
}

static int call_value(const pol_ctx_t *c, void *ws, const ws_input_t *in, ws_result_t *r)
{
    ppo_plugin_enter(c->p, "value");
    int rc = c->S == 0
                 ? c->vt->value(c->inst, ws, in->act_rows, in->act_obs, r->value)
                 : c->rvt->value(c->inst, ws, in->act_rows, in->act_obs, in->start_state, r->value);
    ppo_plugin_leave();
    return rc;
}

static int call_evaluate(const pol_ctx_t *c, void *ws, const ws_input_t *in, ws_result_t *r)
{
    const size_t B = c->B;
    float *o[POL_N_PATHS] = {r->eval, r->eval + B, r->eval + 2 * B, r->eval + 3 * B};
    ppo_plugin_enter(c->p, "evaluate");
    int rc = c->S == 0
                 ? c->vt->evaluate(c->inst, ws, c->B, in->obs, in->actions, in->old, o[0], o[1],
                                   o[2], o[3])
                 : c->rvt->evaluate(c->inst, ws, c->n_seq, c->L, in->obs, in->actions, in->old,
                                    in->start_state, in->starts, o[0], o[1], o[2], o[3]);
    ppo_plugin_leave();
    return rc;
}

static int call_backward(const pol_ctx_t *c, void *ws, ws_result_t *r)
{
    const float *d[POL_N_PATHS] = {c->coef[0], c->coef[1], c->coef[2], c->coef[3]};
    memset(r->grad, 0, sizeof(float) * c->n);
    return pol_backward(c, ws, d, r->grad);
}

/* ---- schedules ---- */

typedef enum { OP_ACT, OP_VALUE, OP_EVAL, OP_BACK } op_kind_t;

static const char *const op_names[] = {"act", "value", "evaluate", "backward"};

typedef struct op {
    op_kind_t kind;
    int which; /* 0: A, 1: B */
} op_t;

#define A_ 0
#define B_ 1
#define OPS_END                                                                                    \
    {                                                                                              \
        OP_ACT, -1                                                                                 \
    }

static const op_t schedules[][8] = {
    {{OP_ACT, A_},
     {OP_ACT, B_},
     {OP_EVAL, A_},
     {OP_EVAL, B_},
     {OP_BACK, A_},
     {OP_BACK, B_},
     OPS_END},
    {{OP_EVAL, A_}, {OP_EVAL, B_}, {OP_BACK, B_}, {OP_BACK, A_}, OPS_END},
    {{OP_EVAL, B_},
     {OP_ACT, A_},
     {OP_VALUE, A_},
     {OP_BACK, B_},
     {OP_EVAL, A_},
     {OP_VALUE, B_},
     {OP_BACK, A_},
     OPS_END},
};

/* "act A, act B, evaluate A, ..." (transfer full) */
static char *describe(const op_t *ops, const ws_input_t *in)
{
    GString *s = g_string_new(NULL);
    for (const op_t *op = ops; op->which >= 0; op++)
        g_string_append_printf(s, "%s%s %s", s->len > 0 ? ", " : "", op_names[op->kind],
                               in[op->which].name);
    return g_string_free(s, FALSE);
}

/* 0 when the op's output equals the reference; else which output differs (a static string). */
static const char *differs(const pol_ctx_t *c, op_kind_t kind, const ws_result_t *got,
                           const ws_result_t *ref, uint32_t act_rows)
{
    switch (kind) {
    case OP_ACT:
        if (!pol_act_out_equal(c, &got->act, &ref->act))
            return "other actions, log-probabilities, values or distributions";
        if (c->S > 0 &&
            memcmp(got->act_state, ref->act_state, sizeof(float) * c->n_seq * c->S) != 0)
            return "another state after the step";
        return NULL;
    case OP_VALUE:
        return memcmp(got->value, ref->value, sizeof(float) * act_rows) != 0 ? "other values"
                                                                             : NULL;
    case OP_EVAL:
        for (int k = 0; k < POL_N_PATHS; k++)
            if (memcmp(got->eval + (size_t)k * c->B, ref->eval + (size_t)k * c->B,
                       sizeof(float) * c->B) != 0)
                return k == 0   ? "another logp"
                       : k == 1 ? "another entropy"
                       : k == 2 ? "another KL"
                                : "another value";
        return NULL;
    case OP_BACK:
        return memcmp(got->grad, ref->grad, sizeof(float) * c->n) != 0 ? "other gradients" : NULL;
    }
    return NULL;
}

static int run_op(const pol_ctx_t *c, void *ws, op_kind_t kind, const ws_input_t *in,
                  ws_result_t *r)
{
    switch (kind) {
    case OP_ACT:
        return call_act(c, ws, in, r);
    case OP_VALUE:
        return call_value(c, ws, in, r);
    case OP_EVAL:
        return call_evaluate(c, ws, in, r);
    case OP_BACK:
    default:
        return call_backward(c, ws, r);
    }
}

/* The four part calls of two chunks interleaved (each chunk's parts on two workspaces of their
 * own), against the whole evaluate and backward of each workspace alone. NULL when they agree, or
 * what differed (transfer full); *rc the code of a failed call. */
static char *interleave_parts(const pol_ctx_t *c, const ws_input_t *in, const ws_result_t *ref,
                              int *rc)
{
    void *ws[2][2] = {{NULL, NULL}, {NULL, NULL}};
    ws_result_t got[2];
    char *what = NULL;
    for (int x = 0; x < 2; x++) {
        result_init(c, &in[x], &got[x]);
        for (int p = 0; p < 2; p++)
            if ((ws[x][p] = pol_ws_new(c)) == NULL && *rc == 0)
                *rc = -1;
    }
    /* evaluate_part 0 A, 1 B, 1 A, 0 B; then backward_part 1 B, 0 A, 0 B, 1 A */
    static const int eval_order[4][2] = {{0, 0}, {1, 1}, {0, 1}, {1, 0}}; /* {which, part} */
    static const int back_order[4][2] = {{1, 1}, {0, 0}, {1, 0}, {0, 1}};
    const size_t B = c->B;
    for (int i = 0; i < 4 && *rc == 0; i++) {
        const int x = eval_order[i][0], p = eval_order[i][1];
        float *e = got[x].eval;
        ppo_plugin_enter(c->p, "evaluate_part");
        *rc = p == 0 ? c->vt->evaluate_part(c->inst, ws[x][0], 0, c->B, in[x].obs, in[x].actions,
                                            in[x].old, e, e + B, e + 2 * B, NULL)
                     : c->vt->evaluate_part(c->inst, ws[x][1], 1, c->B, in[x].obs, NULL, NULL, NULL,
                                            NULL, NULL, e + 3 * B);
        ppo_plugin_leave();
    }
    for (int i = 0; i < 4 && *rc == 0; i++) {
        const int x = back_order[i][0], p = back_order[i][1];
        ppo_plugin_enter(c->p, "backward_part");
        *rc = p == 0 ? c->vt->backward_part(c->inst, ws[x][0], 0, c->B, c->coef[0], c->coef[1],
                                            c->coef[2], NULL, got[x].grad)
                     : c->vt->backward_part(c->inst, ws[x][1], 1, c->B, NULL, NULL, NULL,
                                            c->coef[3], got[x].grad);
        ppo_plugin_leave();
    }
    for (int x = 0; x < 2 && *rc == 0 && what == NULL; x++) {
        const char *d = differs(c, OP_EVAL, &got[x], &ref[x], 0);
        if (d == NULL)
            d = differs(c, OP_BACK, &got[x], &ref[x], 0);
        if (d != NULL)
            what = g_strdup_printf(
                "the parts of two chunks interleaved (evaluate_part 0 A, 1 B, 1 A, 0 B, then "
                "backward_part 1 B, 0 A, 0 B, 1 A, each part on its own workspace) gave %s for "
                "%s than evaluate and backward on workspace %s alone",
                d, in[x].name, in[x].name);
    }
    for (int x = 0; x < 2; x++) {
        result_clear(&got[x]);
        for (int p = 0; p < 2; p++)
            pol_ws_free(c, ws[x][p]);
    }
    return what;
}

/* Whether segment_part splits this instance into two parts (every segment 0 or 1, both used). */
static bool has_two_parts(const pol_ctx_t *c)
{
    if (c->S > 0 || c->vt->segment_part == NULL)
        return false;
    uint32_t count[2] = {0, 0};
    for (uint32_t k = 0; k < c->model->n_segments; k++) {
        ppo_plugin_enter(c->p, "segment_part");
        const int p = c->vt->segment_part(c->inst, k);
        ppo_plugin_leave();
        if (p != 0 && p != 1)
            return false;
        count[p]++;
    }
    return count[0] > 0 && count[1] > 0;
}

void pol_check_workspaces(pol_ctx_t *c)
{
    const uint32_t B = c->B, D = c->D, S = c->S, L = c->L;
    void *ws[2] = {pol_ws_new(c), NULL};
    ws[1] = ws[0] != NULL ? pol_ws_new(c) : NULL;
    if (ws[1] == NULL) {
        char *why = pol_take_reason(-1);
        pol_add(c, PPO_CHECK_FAIL, "workspaces", "a second ws_create failed: %s", why);
        g_free(why);
        pol_ws_free(c, ws[0]);
        return;
    }

    /* B's inputs: other observations, the actions and old distributions of the rows (or
     * sequences) in reverse order, the sequences' start states and starts swapped */
    const uint32_t rows = S > 0 ? c->n_seq : 1; /* units reversed: sequences, or single rows */
    const uint32_t unit = S > 0 ? L : 1;
    float *obs2 = g_new(float, (size_t)B *D), *act2 = g_new(float, (size_t)B * c->A);
    float *old2 = g_new(float, (size_t)B * c->P), *starts2 = g_new0(float, B);
    float *start2 = g_new0(float, (size_t)c->n_seq *S + 1);
    uint32_t *env2 = g_new(uint32_t, B);
    for (size_t i = 0; i < (size_t)B * D; i++)
        obs2[i] = -0.5f * c->obs[i] + 0.25f;
    const uint32_t n_units = S > 0 ? rows : B;
    for (uint32_t u = 0; u < n_units; u++) {
        const uint32_t from = n_units - 1 - u;
        memcpy(act2 + (size_t)u * unit * c->A, c->actions + (size_t)from * unit * c->A,
               sizeof(float) * unit * c->A);
        memcpy(old2 + (size_t)u * unit * c->P, c->old_dist + (size_t)from * unit * c->P,
               sizeof(float) * unit * c->P);
        if (S > 0) {
            memcpy(starts2 + (size_t)u * L, c->starts + (size_t)from * L, sizeof(float) * L);
            memcpy(start2 + (size_t)u * S, c->start_state + (size_t)from * S, sizeof(float) * S);
        }
    }
    for (uint32_t b = 0; b < B; b++)
        env2[b] = (b + 2) % c->n_envs;
    float *act_obs[2] = {NULL, NULL};
    for (int x = 0; x < 2 && S > 0; x++) {
        act_obs[x] = g_new(float, (size_t)c->n_seq *D);
        for (uint32_t s = 0; s < c->n_seq; s++)
            memcpy(act_obs[x] + (size_t)s * D, (x == 0 ? c->obs : obs2) + (size_t)s * L * D,
                   sizeof(float) * D);
    }
    const ws_input_t in[2] = {
        {"A", c->obs, c->actions, c->old_dist, c->env_index, c->start_state, c->starts,
         S > 0 ? act_obs[0] : c->obs, S > 0 ? c->n_seq : B},
        {"B", obs2, act2, old2, env2, start2, starts2, S > 0 ? act_obs[1] : obs2,
         S > 0 ? c->n_seq : B},
    };

    /* each workspace alone, then the schedules */
    ws_result_t ref[2], got[2];
    int rc = 0;
    char *failure = NULL;
    for (int x = 0; x < 2; x++) {
        result_init(c, &in[x], &ref[x]);
        result_init(c, &in[x], &got[x]);
        for (op_kind_t k = OP_ACT; k <= OP_BACK && rc == 0; k++)
            rc = run_op(c, ws[x], k, &in[x], &ref[x]);
    }
    size_t n_sched = 0;
    for (size_t s = 0; s < G_N_ELEMENTS(schedules) && rc == 0 && failure == NULL; s++) {
        for (const op_t *op = schedules[s]; op->which >= 0 && rc == 0 && failure == NULL; op++) {
            const int x = op->which;
            rc = run_op(c, ws[x], op->kind, &in[x], &got[x]);
            const char *d = rc == 0 ? differs(c, op->kind, &got[x], &ref[x], in[x].act_rows) : NULL;
            if (d != NULL) {
                char *sched = describe(schedules[s], in);
                failure = g_strdup_printf(
                    "%s %s gave %s than on workspace %s alone, in the order (%s): calls on "
                    "different workspaces share mutable state (an instance or static buffer); "
                    "keep everything a call leaves for a later one in its workspace",
                    op_names[op->kind], in[x].name, d, in[x].name, sched);
                g_free(sched);
            }
        }
        n_sched++;
    }
    const bool parts = rc == 0 && failure == NULL && has_two_parts(c);
    if (parts)
        failure = interleave_parts(c, in, ref, &rc);
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "workspaces", "a call failed: %s", why);
        g_free(why);
    } else if (failure != NULL) {
        pol_add(c, PPO_CHECK_FAIL, "workspaces", "%s", failure);
    } else {
        pol_add(c, PPO_CHECK_OK, "workspaces",
                "two workspaces with different inputs, %zu interleavings of act, value, evaluate "
                "and backward%s: every output equals its workspace's alone, bit for bit",
                n_sched, parts ? " and one of the parts of two chunks" : "");
    }
    g_free(failure);
    for (int x = 0; x < 2; x++) {
        result_clear(&ref[x]);
        result_clear(&got[x]);
        pol_ws_free(c, ws[x]);
        g_free(act_obs[x]);
    }
    g_free(obs2);
    g_free(act2);
    g_free(old2);
    g_free(starts2);
    g_free(start2);
    g_free(env2);
}

/* ---- parts ---- */

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
    ppo_plugin_leave();
    if (rc == 0) {
        ppo_plugin_enter(c->p, "backward_part");
        rc = p == 0 ? c->vt->backward_part(c->inst, ws, 0, c->B, d[0], d[1], d[2], NULL, grad)
                    : c->vt->backward_part(c->inst, ws, 1, c->B, NULL, NULL, NULL, d[3], grad);
        ppo_plugin_leave();
    }
    return rc;
}

/* The first segment of part `p` whose gradient entries differ between a and b; -1 when none. */
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

void pol_check_parts(pol_ctx_t *c)
{
    if (c->vt->segment_part == NULL) {
        pol_add(c, PPO_CHECK_SKIP, "parts",
                "the policy offers no parts (evaluate and backward do the distribution and the "
                "value together)");
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
        pol_add(c, PPO_CHECK_SKIP, "parts", "segment_part says these params make one part");
        g_free(part);
        return;
    }
    if (bad == ns && (count[0] == 0 || count[1] == 0)) {
        /* as the core: every segment in one part is one part, run through evaluate/backward */
        pol_add(c, PPO_CHECK_SKIP, "parts",
                "segment_part puts every segment in part %d, which makes one part",
                count[0] > 0 ? 0 : 1);
        g_free(part);
        return;
    }
    if (bad < ns) {
        pol_add(c, PPO_CHECK_FAIL, "parts",
                "segment_part gave %d for segment \"%s\": give 0 (the distribution) or 1 (the "
                "value function) for every segment, or -1 for every one when they share "
                "parameters",
                part[bad], c->model->segments[bad].name);
        g_free(part);
        return;
    }
    /* the whole evaluate and backward, then part 1 and part 0 on their own workspaces into an
     * array whose other part's entries hold a sentinel */
    const float *d[POL_N_PATHS] = {c->coef[0], c->coef[1], c->coef[2], c->coef[3]};
    float *buf = g_new0(float, (size_t)POL_N_PATHS * c->B * 2);
    float *full[POL_N_PATHS], *parts[POL_N_PATHS];
    for (int k = 0; k < POL_N_PATHS; k++) {
        full[k] = buf + (size_t)k * c->B;
        parts[k] = buf + (size_t)(POL_N_PATHS + k) * c->B;
    }
    float *whole = g_new0(float, c->n);
    int rc = pol_evaluate(c, c->ws, c->obs, c->actions, c->old_dist, full);
    if (rc == 0)
        rc = pol_backward(c, c->ws, d, whole);
    void *ws_part[2] = {NULL, NULL};
    for (uint32_t p = 0; p < 2; p++) {
        ws_part[p] = pol_ws_new(c);
        if (ws_part[p] == NULL && rc == 0)
            rc = -1;
    }
    const float sentinel = 777.0f;
    float *split = g_new(float, c->n);
    for (size_t i = 0; i < c->n; i++)
        split[i] = sentinel;
    int wrote_other = -1, differs_seg = -1, out_differs = -1;
    for (uint32_t step = 0; step < 2 && rc == 0; step++) {
        const uint32_t p = 1 - step; /* part 1 first */
        for (uint32_t k = 0; k < ns; k++)
            if (part[k] == (int)p)
                memset(split + c->model->offsets[k], 0,
                       sizeof(float) * c->model->segments[k].rows * c->model->segments[k].cols);
        rc = part_eval_backward(c, ws_part[p], p, parts, split);
        if (rc == 0 && p == 1) {
            /* part 0's entries must still hold the sentinel */
            for (uint32_t k = 0; k < ns && wrote_other < 0; k++) {
                const size_t len = (size_t)c->model->segments[k].rows * c->model->segments[k].cols;
                for (size_t i = 0; part[k] == 0 && i < len; i++)
                    if (split[c->model->offsets[k] + i] != sentinel) {
                        wrote_other = (int)k;
                        break;
                    }
            }
        }
    }
    if (rc == 0) {
        for (int k = 0; k < POL_N_PATHS && out_differs < 0; k++)
            if (memcmp(full[k], parts[k], sizeof(float) * c->B) != 0)
                out_differs = k;
        differs_seg = first_differing_segment(c, part, 0, whole, split);
        if (differs_seg < 0)
            differs_seg = first_differing_segment(c, part, 1, whole, split);
    }
    /* act may get value_out NULL (the core then computes values batched): the same sample */
    bool act_differs = false;
    if (rc == 0) {
        size_t n_state = 0;
        double *state = pol_save_state(c, &n_state);
        pol_act_out_t with, without;
        pol_act_out_init(c, &with, c->B);
        pol_act_out_init(c, &without, c->B);
        g_free(without.value);
        without.value = NULL;
        rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, "parts", 0, 0, &with);
        pol_restore_state(c, state, n_state);
        if (rc == 0)
            rc = pol_act(c, c->ws, c->B, c->obs, c->env_index, "parts", 0, 0, &without);
        pol_restore_state(c, state, n_state);
        act_differs =
            rc == 0 && (memcmp(with.actions, without.actions, sizeof(float) * c->B * c->A) != 0 ||
                        memcmp(with.logp, without.logp, sizeof(float) * c->B) != 0 ||
                        memcmp(with.dist, without.dist, sizeof(float) * c->B * c->P) != 0);
        pol_act_out_clear(&with);
        pol_act_out_clear(&without);
        g_free(state);
    }
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "parts", "a part's call failed: %s", why);
        g_free(why);
    } else if (out_differs >= 0) {
        pol_add(c, PPO_CHECK_FAIL, "parts",
                "evaluate_part(%d) gave another %s than evaluate: each part must compute exactly "
                "what evaluate does",
                out_differs == 3 ? 1 : 0, pol_path_names[out_differs]);
    } else if (wrote_other >= 0) {
        pol_add(c, PPO_CHECK_FAIL, "parts",
                "backward_part(1) wrote into segment \"%s\" of part 0: a part may add only into "
                "its own segments (the other part's task writes them at the same time)",
                c->model->segments[wrote_other].name);
    } else if (differs_seg >= 0) {
        pol_add(c, PPO_CHECK_FAIL, "parts",
                "the parts' backward_part gave another gradient than backward in segment \"%s\" "
                "(part %d): each part must add exactly what backward adds there",
                c->model->segments[differs_seg].name, part[differs_seg]);
    } else if (act_differs) {
        pol_add(c, PPO_CHECK_FAIL, "parts",
                "act with value_out NULL gave other actions, log-probabilities or distributions "
                "than with it: with parts, act skips only the value function when value_out is "
                "NULL");
    } else {
        pol_add(c, PPO_CHECK_OK, "parts",
                "evaluate_part and backward_part reproduce evaluate and backward bit for bit "
                "(%u segments in part 0, %u in part 1); act works without value_out",
                count[0], count[1]);
    }
    for (uint32_t p = 0; p < 2; p++)
        pol_ws_free(c, ws_part[p]);
    g_free(part);
    g_free(whole);
    g_free(buf);
    g_free(split);
}
