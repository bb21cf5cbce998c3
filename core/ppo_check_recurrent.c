/* ppofw core — check-policy's battery for recurrent policies (ABI 1.2, ppo_recurrent_vtable_t):
 * act with state, value with state, initial_state, and evaluate over sequences against act
 * stepped one step at a time.
 *
 * The items, in order: act's outputs are finite and valid and it writes a finite state; the same
 * streams and states repeat the sample, deterministic act needs no streams; act writes a new
 * state ("state-update") and reads the one it is given ("state-used": from the state after a
 * step, the same observation gives other outputs); the recurrent value equals act's value from
 * the same state and changes no state ("value"); act stepped over each of the checker's
 * sequences, resetting the state to initial_state() at every episode start, gives the
 * log-probabilities and values evaluate gives for the whole sequences ("act-evaluate", to
 * rounding); and evaluate restarts the state at an episode start inside a sequence
 * ("starts-reset": the steps from there equal a sequence that begins there). The gradient
 * (through time), workspace and export batteries follow (ppo_check_policy.c runs them).
 *
 * Left out: padded steps (the core masks them; a policy computes them like any other step).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_check_policy_private.h"

/* Each sequence's first observation (n_seq, D), into obs. */
static void first_steps(const pol_ctx_t *c, float *obs)
{
    for (uint32_t s = 0; s < c->n_seq; s++)
        memcpy(obs + (size_t)s * c->D, c->obs + (size_t)s * c->L * c->D, sizeof(float) * c->D);
}

/* The recurrent value of `rows` observations from states (rows, S), which must stay as they are. */
static int rec_value(const pol_ctx_t *c, uint32_t rows, const float *obs, const float *state,
                     float *value_out)
{
    ppo_plugin_enter(c->p, "value");
    int rc = c->rvt->value(c->inst, c->ws, rows, obs, state, value_out);
    ppo_plugin_leave();
    return rc;
}

static void fail_call(pol_ctx_t *c, const char *what, const char *call, int rc)
{
    char *why = pol_take_reason(rc);
    pol_add(c, PPO_CHECK_FAIL, what, "%s failed: %s", call, why);
    g_free(why);
}

/* act's basic items: outputs, streams, determinism. */
static bool check_rec_act(pol_ctx_t *c, const float *obs)
{
    const uint32_t R = c->n_seq, S = c->S;
    pol_act_out_t a1, a2, other, d1, d2;
    pol_act_out_init(c, &a1, R);
    pol_act_out_init(c, &a2, R);
    pol_act_out_init(c, &other, R);
    pol_act_out_init(c, &d1, R);
    pol_act_out_init(c, &d2, R);
    float *st = g_new(float, (size_t)R *S), *st2 = g_new(float, (size_t)R *S);
    bool ok = false;
    memcpy(st, c->start_state, sizeof(float) * R * S);
    int rc = pol_act_rec(c, c->ws, R, obs, c->env_index, "act", 0, 0, st, &a1);
    if (rc != 0) {
        fail_call(c, "act", "recurrent act", rc);
        goto out;
    }
    if (!pol_all_finite(a1.actions, (size_t)R * c->A) || !pol_all_finite(a1.logp, R) ||
        !pol_all_finite(a1.value, R) || !pol_all_finite(a1.dist, (size_t)R * c->P) ||
        !pol_all_finite(st, (size_t)R * S)) {
        pol_add(c, PPO_CHECK_FAIL, "act",
                "recurrent act wrote NaN/Inf outputs or state at finite parameters; or it reads "
                "parameters past the %zu its segment table declares (they are NaN here)",
                c->n);
        goto out;
    }
    for (uint32_t b = 0; b < R; b++)
        for (uint32_t k = 0; k < c->A; k++) {
            const float v = a1.actions[(size_t)b * c->A + k];
            const uint32_t n = c->act_space.kind == PPO_SPACE_DISCRETE ? c->act_space.n
                               : c->act_space.kind == PPO_SPACE_MULTI_DISCRETE
                                   ? c->act_space.nvec[k]
                                   : 0;
            if (n > 0 && !(v >= 0.0f && v < (float)n && v == floorf(v))) {
                pol_add(c, PPO_CHECK_FAIL, "act",
                        "row %u: action component %u is %g, not an "
                        "index in [0, %u)",
                        b, k, (double)v, n);
                goto out;
            }
        }
    pol_add(c, PPO_CHECK_OK, "act",
            "%u rows with their states: actions, logp, value, dist and the new state all finite",
            R);
    ok = true;

    /* the same streams and states repeat the sample; other streams change it */
    memcpy(st2, c->start_state, sizeof(float) * R * S);
    rc = pol_act_rec(c, c->ws, R, obs, c->env_index, "act", 0, 0, st2, &a2);
    if (rc == 0) {
        memcpy(st2, c->start_state, sizeof(float) * R * S);
        rc = pol_act_rec(c, c->ws, R, obs, c->env_index, "act", 1000, 0, st2, &other);
    }
    if (rc != 0)
        fail_call(c, "act-streams", "recurrent act", rc);
    else if (!pol_act_out_equal(c, &a1, &a2))
        pol_add(c, PPO_CHECK_FAIL, "act-streams",
                "two calls with the same streams, states and inputs gave different outputs; "
                "sample only from the rows' ppo_rng_t and keep no state outside the workspace "
                "and the state rows");
    else if (memcmp(a1.actions, other.actions, sizeof(float) * R * c->A) == 0)
        pol_add(c, PPO_CHECK_WARN, "act-streams",
                "stochastic act gave the same actions for different streams: it does not sample "
                "from the rows' streams");
    else
        pol_add(c, PPO_CHECK_OK, "act-streams",
                "the same streams repeat the sample exactly; other streams change it");

    /* deterministic: repeatable, no streams needed */
    memcpy(st2, c->start_state, sizeof(float) * R * S);
    rc = pol_act_rec(c, c->ws, R, obs, c->env_index, NULL, 0, 1, st2, &d1);
    if (rc == 0) {
        memcpy(st2, c->start_state, sizeof(float) * R * S);
        rc = pol_act_rec(c, c->ws, R, obs, c->env_index, "act", 0, 1, st2, &d2);
    }
    if (rc != 0)
        fail_call(c, "act-deterministic", "deterministic recurrent act", rc);
    else if (!pol_act_out_equal(c, &d1, &d2))
        pol_add(c, PPO_CHECK_FAIL, "act-deterministic",
                "deterministic act gave different outputs with and without streams; take the "
                "distribution's mode and draw nothing");
    else
        pol_add(c, PPO_CHECK_OK, "act-deterministic", "repeats exactly and needs no streams");
out:
    pol_act_out_clear(&a1);
    pol_act_out_clear(&a2);
    pol_act_out_clear(&other);
    pol_act_out_clear(&d1);
    pol_act_out_clear(&d2);
    g_free(st);
    g_free(st2);
    return ok;
}

/* The state is carried: act writes a new one and reads the one it is given; value reads it and
 * leaves it alone. */
static void check_state_carried(pol_ctx_t *c, const float *obs)
{
    const uint32_t R = c->n_seq, S = c->S;
    pol_act_out_t o0, o1;
    pol_act_out_init(c, &o0, R);
    pol_act_out_init(c, &o1, R);
    float *s0 = g_memdup2(c->start_state, sizeof(float) * R * S);
    float *s1 = g_memdup2(c->start_state, sizeof(float) * R * S);
    float *s2 = NULL, *v0 = g_new(float, R), *v1 = g_new(float, R);
    /* step from s0 (state becomes s1), then the same observation from s1 */
    int rc = pol_act_rec(c, c->ws, R, obs, c->env_index, NULL, 0, 1, s1, &o0);
    if (rc == 0) {
        s2 = g_memdup2(s1, sizeof(float) * R * S);
        rc = pol_act_rec(c, c->ws, R, obs, c->env_index, NULL, 0, 1, s2, &o1);
    }
    if (rc != 0) {
        fail_call(c, "state-update", "recurrent act", rc);
        goto out;
    }
    const bool updated = memcmp(s0, s1, sizeof(float) * R * S) != 0;
    const bool used = memcmp(o0.dist, o1.dist, sizeof(float) * R * c->P) != 0 ||
                      memcmp(o0.value, o1.value, sizeof(float) * R) != 0;
    if (!updated)
        pol_add(c, PPO_CHECK_FAIL, "state-update",
                "act left the %u state floats of every row as they were: it must overwrite the "
                "state it is handed with the state after the step, or the memory is lost",
                S);
    else
        pol_add(c, PPO_CHECK_OK, "state-update", "act writes the state after the step");
    if (!updated)
        pol_add(c, PPO_CHECK_SKIP, "state-used", "act does not change the state");
    else if (!used)
        pol_add(c, PPO_CHECK_FAIL, "state-used",
                "the same observations acted on from the state a step left gave the same "
                "distributions and values as from the state before it: act does not read the "
                "state it is handed, so the state is not carried from step to step");
    else
        pol_add(c, PPO_CHECK_OK, "state-used",
                "act from the state after a step gives other outputs than from the state before: "
                "the state is carried");

    /* value: act's value from the same state, the state untouched, and it reads the state */
    float *keep0 = g_memdup2(s0, sizeof(float) * R * S),
          *keep1 = g_memdup2(s1, sizeof(float) * R * S);
    rc = rec_value(c, R, obs, s0, v0);
    if (rc == 0)
        rc = rec_value(c, R, obs, s1, v1);
    if (rc != 0) {
        fail_call(c, "value", "recurrent value", rc);
    } else if (memcmp(keep0, s0, sizeof(float) * R * S) != 0 ||
               memcmp(keep1, s1, sizeof(float) * R * S) != 0) {
        pol_add(c, PPO_CHECK_FAIL, "value",
                "value changed the state it was given; it must only read it (the core computes "
                "the value of a truncated episode's final observation with the env's state)");
    } else {
        /* from the state after the step only when act reads it (else act's value is not from
         * that state) */
        int row = -1;
        const char *which = NULL;
        for (uint32_t b = 0; b < R && row < 0; b++) {
            if (!pol_close_to(o0.value[b], v0[b], 1e-5))
                which = "before", row = (int)b;
            else if (used && !pol_close_to(o1.value[b], v1[b], 1e-5))
                which = "after", row = (int)b;
        }
        if (row >= 0)
            pol_add(c, PPO_CHECK_FAIL, "value",
                    "row %d, from the state %s a step: value gives %.9g, act's value_out %.9g "
                    "from the same state%s",
                    row, which, (double)(which[0] == 'b' ? v0[row] : v1[row]),
                    (double)(which[0] == 'b' ? o0.value[row] : o1.value[row]),
                    memcmp(v0, v1, sizeof(float) * R) == 0 ? " (value ignores the state)" : "");
        else
            pol_add(c, PPO_CHECK_OK, "value",
                    "value equals act's value_out from the same state and leaves the state as it "
                    "was");
    }
    g_free(keep0);
    g_free(keep1);
out:
    pol_act_out_clear(&o0);
    pol_act_out_clear(&o1);
    g_free(s0);
    g_free(s1);
    g_free(s2);
    g_free(v0);
    g_free(v1);
}

/* act stepped through the sequences (sampling, with resets at starts) against evaluate over them;
 * leaves act's samples in c->actions. */
static bool check_act_evaluate(pol_ctx_t *c)
{
    const uint32_t R = c->n_seq, S = c->S, L = c->L, B = c->B;
    float *state = g_memdup2(c->start_state, sizeof(float) * R * S);
    float *obs = g_new(float, (size_t)R * c->D);
    float *logp = g_new(float, B), *value = g_new(float, B), *dist = g_new(float, (size_t)B * c->P);
    float *buf = g_new0(float, (size_t)POL_N_PATHS *B);
    pol_act_out_t step;
    pol_act_out_init(c, &step, R);
    bool ok = false;
    int rc = 0;
    for (uint32_t j = 0; j < L && rc == 0; j++) {
        for (uint32_t s = 0; s < R; s++) {
            const size_t row = (size_t)s * L + j;
            if (j > 0 && c->starts[row] != 0.0f)
                memcpy(state + (size_t)s * S, c->init_state, sizeof(float) * S);
            memcpy(obs + (size_t)s * c->D, c->obs + row * c->D, sizeof(float) * c->D);
        }
        rc = pol_act_rec(c, c->ws, R, obs, c->env_index, "act-steps", (uint64_t)j * R, 0, state,
                         &step);
        for (uint32_t s = 0; s < R && rc == 0; s++) {
            const size_t row = (size_t)s * L + j;
            memcpy(c->actions + row * c->A, step.actions + (size_t)s * c->A, sizeof(float) * c->A);
            memcpy(dist + row * c->P, step.dist + (size_t)s * c->P, sizeof(float) * c->P);
            logp[row] = step.logp[s];
            value[row] = step.value[s];
        }
    }
    float *outs[POL_N_PATHS] = {buf, buf + B, buf + 2 * (size_t)B, buf + 3 * (size_t)B};
    if (rc != 0) {
        fail_call(c, "act-evaluate", "recurrent act", rc);
        goto out;
    }
    rc = pol_evaluate(c, c->ws, c->obs, c->actions, dist, outs);
    if (rc != 0) {
        fail_call(c, "act-evaluate", "recurrent evaluate", rc);
        goto out;
    }
    ok = true;
    for (uint32_t r = 0; r < B; r++) {
        const char *problem = NULL;
        if (!isfinite(outs[1][r]))
            problem = "the entropy is not finite";
        else if (!pol_close_to(logp[r], outs[0][r], 1e-4))
            problem = "evaluate's logp differs from act's";
        else if (!pol_close_to(value[r], outs[3][r], 1e-5))
            problem = "evaluate's value differs from act's";
        else if (!(fabsf(outs[2][r]) <= 1e-5f))
            problem = "the KL to act's own distribution is not 0";
        if (problem != NULL) {
            pol_add(c, PPO_CHECK_FAIL, "act-evaluate",
                    "sequence %u, step %u%s: %s (logp %.9g vs act's %.9g, value %.9g vs act's "
                    "%.9g, KL %.3g); act stepped one step at a time through a sequence (the state "
                    "set to initial_state() at each episode start) must give what evaluate gives "
                    "for the whole sequence",
                    r / L, r % L, c->starts[r] != 0.0f ? " (an episode start)" : "", problem,
                    (double)outs[0][r], (double)logp[r], (double)outs[3][r], (double)value[r],
                    (double)outs[2][r]);
            goto out;
        }
    }
    pol_add(c, PPO_CHECK_OK, "act-evaluate",
            "act over %u single steps of %u sequences (episode starts inside them) gives "
            "evaluate's logp and value over the sequences, KL 0 to itself",
            L, R);
out:
    pol_act_out_clear(&step);
    g_free(state);
    g_free(obs);
    g_free(logp);
    g_free(value);
    g_free(dist);
    g_free(buf);
    return ok;
}

/* evaluate restarts the state at an episode start inside a sequence: the steps from there equal a
 * sequence that begins there from the initial state. */
static void check_starts_reset(pol_ctx_t *c)
{
    /* the last sequence holds an episode start at step j (make_sequences) after a warm start */
    const uint32_t L = c->L, s = c->n_seq - 1;
    uint32_t j = 1;
    while (j < L && c->starts[(size_t)s * L + j] == 0.0f)
        j++;
    if (j >= L) {
        pol_add(c, PPO_CHECK_SKIP, "starts-reset", "no episode start inside a sequence");
        return;
    }
    const uint32_t B = c->B, rest = L - j;
    float *full = g_new0(float, (size_t)POL_N_PATHS *B),
          *part = g_new0(float, (size_t)POL_N_PATHS *rest);
    float *fo[POL_N_PATHS] = {full, full + B, full + 2 * (size_t)B, full + 3 * (size_t)B};
    float *po[POL_N_PATHS] = {part, part + rest, part + 2 * (size_t)rest, part + 3 * (size_t)rest};
    float *starts = g_new0(float, rest);
    starts[0] = 1.0f;
    const size_t first = (size_t)s * L + j;
    int rc = pol_evaluate(c, c->ws, c->obs, c->actions, c->old_dist, fo);
    if (rc == 0) {
        ppo_plugin_enter(c->p, "evaluate");
        rc = c->rvt->evaluate(c->inst, c->ws, 1, rest, c->obs + first * c->D,
                              c->actions + first * c->A, NULL, c->init_state, starts, po[0], po[1],
                              NULL, po[3]);
        ppo_plugin_leave();
    }
    if (rc != 0) {
        fail_call(c, "starts-reset", "recurrent evaluate", rc);
    } else {
        int bad = -1;
        for (uint32_t i = 0; i < rest && bad < 0; i++)
            if (!pol_close_to(fo[0][first + i], po[0][i], 1e-4) ||
                !pol_close_to(fo[3][first + i], po[3][i], 1e-5))
                bad = (int)i;
        if (bad >= 0)
            pol_add(c, PPO_CHECK_FAIL, "starts-reset",
                    "sequence %u has an episode start at step %u (starts[%zu] = 1), but its step "
                    "%u gave logp %.9g and value %.9g where a sequence beginning there from "
                    "initial_state() gives %.9g and %.9g: evaluate must set the state to the "
                    "initial state before a step whose starts flag is 1",
                    s, j, first, j + (uint32_t)bad, (double)fo[0][first + bad],
                    (double)fo[3][first + bad], (double)po[0][bad], (double)po[3][bad]);
        else
            pol_add(c, PPO_CHECK_OK, "starts-reset",
                    "evaluate restarts the state at an episode start inside a sequence");
    }
    g_free(full);
    g_free(part);
    g_free(starts);
}

bool pol_check_recurrent(pol_ctx_t *c)
{
    pol_add(c, PPO_CHECK_OK, "initial-state", "%s: %u finite floats",
            c->rvt->initial_state != NULL ? "initial_state() gives" : "no initial_state(): zeros",
            c->S);
    float *obs = g_new(float, (size_t)c->n_seq * c->D);
    first_steps(c, obs);
    bool ok = check_rec_act(c, obs);
    if (ok) {
        check_state_carried(c, obs);
        ok = check_act_evaluate(c);
    }
    if (ok)
        check_starts_reset(c);
    g_free(obs);
    return ok;
}
