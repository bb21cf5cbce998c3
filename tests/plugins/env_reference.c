/* ppofw tests — checking a classic-control env plugin against Gymnasium's reference data (see
 * env_reference.h for the checks and the tolerances).
 *
 * Everything here drives the plugin through the core's own loader and its vtable, exactly as
 * the core will. Left out: the core's time limit and auto-reset, which are not the env's.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_reference.h"

/* The one-step tolerance of DESIGN.md §8. */
#define ENVREF_ABS_TOL 1e-12
#define ENVREF_REL_TOL 1e-9

/* Resets drawn for the bound checks and for the statistics. */
#define ENVREF_N_SEEDS 1000
#define ENVREF_N_RESETS 20000

/* ---- instances ---- */

ppo_envref_env_t *ppo_envref_open(const ppo_envref_spec_t *spec, const char *flow_yaml)
{
    ppo_envref_env_t *env = g_new0(ppo_envref_env_t, 1);
    env->plugin = ppo_test_plugin(spec->plugin);
    ck_assert_msg(env->plugin->kind == PPO_KIND_ENV, "%s is not an env plugin", spec->plugin);
    env->vt = &env->plugin->vt.env;
    env->params = ppo_test_params(env->plugin, flow_yaml);
    env->inst = env->vt->create(&env->plugin->host, env->params);
    if (env->inst == NULL) {
        char *msg = ppo_host_take_error();
        ck_abort_msg("%s: create failed: %s", spec->plugin, msg != NULL ? msg : "(no message)");
    }
    return env;
}

void ppo_envref_close(ppo_envref_env_t *env)
{
    if (env == NULL)
        return;
    env->vt->destroy(env->inst);
    ppo_params_free(env->params);
    g_free(env);
}

/* Abort the test with the plugin's message when a callback failed. */
static void expect_ok(const ppo_envref_env_t *env, const char *callback, int rc)
{
    if (rc >= 0)
        return;
    char *msg = ppo_host_take_error();
    ck_abort_msg("%s: %s failed (%d): %s", env->plugin->name, callback, rc,
                 msg != NULL ? msg : "(no message)");
}

void ppo_envref_set_state(ppo_envref_env_t *env, const double *state, float *obs_out)
{
    expect_ok(env, "set_state", env->vt->set_state(env->inst, state, obs_out));
}

void ppo_envref_get_state(ppo_envref_env_t *env, double *state_out)
{
    expect_ok(env, "get_state", env->vt->get_state(env->inst, state_out));
}

void ppo_envref_step(ppo_envref_env_t *env, float action, float *obs_out, double *reward_out,
                     int *terminated_out)
{
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 0, "envref-step", 0);
    *terminated_out = -1;
    expect_ok(env, "step",
              env->vt->step(env->inst, &action, &rng, obs_out, reward_out, terminated_out));
    ck_assert_msg(*terminated_out == 0 || *terminated_out == 1,
                  "%s: step wrote terminated = %d, expected 0 or 1", env->plugin->name,
                  *terminated_out);
}

/* ---- reference data ---- */

static int need_col(const ppo_envref_data_t *data, const char *name)
{
    int col = ppo_csv_col(data->csv, name);
    ck_assert_msg(col >= 0, "%s: no column \"%s\"", data->name, name);
    return col;
}

ppo_envref_data_t *ppo_envref_data_load(const ppo_envref_spec_t *spec, const char *suffix)
{
    ck_assert(spec->state_dim <= PPO_ENVREF_MAX_DIM && spec->obs_dim <= PPO_ENVREF_MAX_DIM);
    ppo_envref_data_t *data = g_new0(ppo_envref_data_t, 1);
    data->name = g_strconcat(spec->env_id, suffix, NULL);
    char *path = ppo_test_data_path(data->name);
    data->csv = ppo_csv_load(path);
    g_free(path);
    data->n_rows = data->csv->rows->len;
    data->state_dim = spec->state_dim;
    data->obs_dim = spec->obs_dim;
    ck_assert_msg(data->n_rows > 0, "%s: no rows", data->name);

    const bool reset = g_str_has_suffix(suffix, ".reset.csv");
    ck_assert_uint_eq(ppo_csv_count_prefix(data->csv, "s"), spec->state_dim);
    ck_assert_uint_eq(ppo_csv_count_prefix(data->csv, "o"), spec->obs_dim);
    data->col_episode = need_col(data, "episode");
    data->col_t = reset ? -1 : need_col(data, "t");
    data->col_a0 = reset ? -1 : need_col(data, "a0");
    data->col_reward = reset ? -1 : need_col(data, "reward");
    data->col_terminated = reset ? -1 : need_col(data, "terminated");
    if (!reset) {
        ck_assert_uint_eq(ppo_csv_count_prefix(data->csv, "a"), 1);
        ck_assert_uint_eq(ppo_csv_count_prefix(data->csv, "next_s"), spec->state_dim);
        ck_assert_uint_eq(ppo_csv_count_prefix(data->csv, "next_o"), spec->obs_dim);
    }
    for (uint32_t k = 0; k < spec->state_dim; k++) {
        char name[32];
        g_snprintf(name, sizeof(name), "s%u", k);
        data->col_s[k] = need_col(data, name);
        g_snprintf(name, sizeof(name), "next_s%u", k);
        data->col_next_s[k] = reset ? -1 : need_col(data, name);
    }
    for (uint32_t j = 0; j < spec->obs_dim; j++) {
        char name[32];
        g_snprintf(name, sizeof(name), "o%u", j);
        data->col_o[j] = need_col(data, name);
        g_snprintf(name, sizeof(name), "next_o%u", j);
        data->col_next_o[j] = reset ? -1 : need_col(data, name);
    }
    return data;
}

void ppo_envref_data_free(ppo_envref_data_t *data)
{
    if (data == NULL)
        return;
    ppo_csv_free(data->csv);
    g_free(data->name);
    g_free(data);
}

float ppo_envref_row_action(const ppo_envref_data_t *data, guint row)
{
    const double a = ppo_csv_num(data->csv, row, data->col_a0);
    const float f = (float)a;
    ck_assert_msg((double)f == a, "%s row %u: action %.17g is not a float32 value", data->name,
                  row + 2, a);
    return f;
}

static void row_doubles(const ppo_envref_data_t *data, guint row, const int *cols, uint32_t n,
                        double *out)
{
    for (uint32_t k = 0; k < n; k++)
        out[k] = ppo_csv_num(data->csv, row, cols[k]);
}

static void row_floats(const ppo_envref_data_t *data, guint row, const int *cols, uint32_t n,
                       float *out)
{
    for (uint32_t j = 0; j < n; j++) {
        const double v = ppo_csv_num(data->csv, row, cols[j]);
        out[j] = (float)v;
        ck_assert_msg((double)out[j] == v, "%s row %u: observation %.17g is not a float32 value",
                      data->name, row + 2, v);
    }
}

void ppo_envref_row_state(const ppo_envref_data_t *data, guint row, double *state_out)
{
    row_doubles(data, row, data->col_s, data->state_dim, state_out);
}

void ppo_envref_row_next_state(const ppo_envref_data_t *data, guint row, double *state_out)
{
    ck_assert(data->col_next_s[0] >= 0);
    row_doubles(data, row, data->col_next_s, data->state_dim, state_out);
}

void ppo_envref_row_obs(const ppo_envref_data_t *data, guint row, float *obs_out)
{
    row_floats(data, row, data->col_o, data->obs_dim, obs_out);
}

void ppo_envref_row_next_obs(const ppo_envref_data_t *data, guint row, float *obs_out)
{
    ck_assert(data->col_next_o[0] >= 0);
    row_floats(data, row, data->col_next_o, data->obs_dim, obs_out);
}

static int row_int(const ppo_envref_data_t *data, guint row, int col)
{
    const double v = ppo_csv_num(data->csv, row, col);
    ck_assert_msg(v == floor(v), "%s row %u: %.17g is not an integer", data->name, row + 2, v);
    return (int)v;
}

/* ---- comparisons ---- */

uint32_t ppo_envref_float_ulps(float a, float b)
{
    int32_t ia, ib;
    memcpy(&ia, &a, sizeof(ia));
    memcpy(&ib, &b, sizeof(ib));
    /* map the sign-magnitude bits onto a monotonic integer line (-0 and +0 both to 0) */
    int64_t la = ia < 0 ? (int64_t)INT32_MIN - ia : ia;
    int64_t lb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    const int64_t d = la > lb ? la - lb : lb - la;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static bool same_bits_d(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static bool same_bits_f(float a, float b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static bool within(double got, double ref, double abs_tol)
{
    return fabs(got - ref) <= abs_tol + ENVREF_REL_TOL * fabs(ref);
}

/* Compare D observation components with the rule of env_reference.h. may_differ[j] says the
 * double behind component j may legitimately differ by ulps. Returns true when the allowance
 * was needed; aborts the test when the rule is broken. */
static bool check_obs(const char *where, const char *what, uint32_t D, const float *got,
                      const float *ref, const bool *may_differ)
{
    bool used = false;
    for (uint32_t j = 0; j < D; j++) {
        if (same_bits_f(got[j], ref[j]))
            continue;
        const uint32_t ulps = ppo_envref_float_ulps(got[j], ref[j]);
        ck_assert_msg(may_differ[j] && ulps <= 1,
                      "%s: %s%u = %.9g, reference %.9g: %u float32 ulps apart%s", where, what, j,
                      (double)got[j], (double)ref[j], ulps,
                      may_differ[j] ? " (at most 1 allowed)"
                                    : " (its double is bit-identical, so it must match exactly)");
        used = true;
    }
    return used;
}

/* ---- one step ---- */

void ppo_envref_check_one_step(const ppo_envref_spec_t *spec, const char *suffix)
{
    ppo_envref_data_t *data = ppo_envref_data_load(spec, suffix);
    ppo_envref_env_t *env = ppo_envref_open(spec, "");
    const uint32_t S = spec->state_dim, D = spec->obs_dim;
    double max_state_err = 0.0, max_reward_err = 0.0;
    guint inexact_rows = 0, ulp_rows = 0, ulp_rows_set = 0, n_terminated = 0;

    for (guint r = 0; r < data->n_rows; r++) {
        char where[128];
        g_snprintf(where, sizeof(where), "%s row %u (episode %d, t %d)", data->name, r + 2,
                   row_int(data, r, data->col_episode), row_int(data, r, data->col_t));
        double s[PPO_ENVREF_MAX_DIM], ref_s[PPO_ENVREF_MAX_DIM], got_s[PPO_ENVREF_MAX_DIM];
        float o[PPO_ENVREF_MAX_DIM], ref_o[PPO_ENVREF_MAX_DIM], got_o[PPO_ENVREF_MAX_DIM];
        bool may_differ[PPO_ENVREF_MAX_DIM];
        ppo_envref_row_state(data, r, s);
        ppo_envref_row_obs(data, r, ref_o);
        ppo_envref_row_next_state(data, r, ref_s);
        const float a = ppo_envref_row_action(data, r);
        const double ref_reward = ppo_csv_num(data->csv, r, data->col_reward);
        const int ref_terminated = row_int(data, r, data->col_terminated);

        /* the observation of s* itself: only sin/cos components may be an ulp off */
        ppo_envref_set_state(env, s, o);
        for (uint32_t j = 0; j < D; j++)
            may_differ[j] = !spec->bit_exact && spec->obs_source[j] < 0;
        if (check_obs(where, "o", D, o, ref_o, may_differ))
            ulp_rows_set++;

        /* one step */
        double reward;
        int terminated;
        ppo_envref_step(env, a, got_o, &reward, &terminated);
        ppo_envref_get_state(env, got_s);

        bool exact[PPO_ENVREF_MAX_DIM];
        bool row_exact = true;
        for (uint32_t k = 0; k < S; k++) {
            const double err = fabs(got_s[k] - ref_s[k]);
            exact[k] = same_bits_d(got_s[k], ref_s[k]);
            row_exact = row_exact && exact[k];
            if (err > max_state_err)
                max_state_err = err;
            if (spec->bit_exact)
                ck_assert_msg(exact[k], "%s: next_s%u = %.17g, reference %.17g: not bit-identical",
                              where, k, got_s[k], ref_s[k]);
            else
                ck_assert_msg(within(got_s[k], ref_s[k], ENVREF_ABS_TOL),
                              "%s: next_s%u = %.17g, reference %.17g (error %.3g)", where, k,
                              got_s[k], ref_s[k], err);
        }
        if (!row_exact)
            inexact_rows++;

        const double reward_err = fabs(reward - ref_reward);
        if (reward_err > max_reward_err)
            max_reward_err = reward_err;
        if (spec->bit_exact)
            ck_assert_msg(same_bits_d(reward, ref_reward),
                          "%s: reward %.17g, reference %.17g: not bit-identical", where, reward,
                          ref_reward);
        else
            ck_assert_msg(within(reward, ref_reward, ENVREF_ABS_TOL),
                          "%s: reward %.17g, reference %.17g (error %.3g)", where, reward,
                          ref_reward, reward_err);
        ck_assert_msg(terminated == ref_terminated, "%s: terminated %d, reference %d", where,
                      terminated, ref_terminated);
        n_terminated += (guint)terminated;

        /* the next observation: an ulp only where its double legitimately differs */
        ppo_envref_row_next_obs(data, r, ref_o);
        for (uint32_t j = 0; j < D; j++) {
            const int src = spec->obs_source[j];
            may_differ[j] = !spec->bit_exact && (src < 0 || !exact[src]);
        }
        if (check_obs(where, "next_o", D, got_o, ref_o, may_differ))
            ulp_rows++;
    }
    printf("%s one-step: %u rows (%u terminating), max |next_s error| %.3g, max |reward error| "
           "%.3g, %u rows with next_s not bit-identical, 1-ulp observation allowance used in %u "
           "rows after step and %u rows after set_state\n",
           data->name, data->n_rows, n_terminated, max_state_err, max_reward_err, inexact_rows,
           ulp_rows, ulp_rows_set);
    fflush(stdout);
    ppo_envref_close(env);
    ppo_envref_data_free(data);
}

/* ---- episodes ---- */

/* One recorded episode: where it starts and the actions it took. */
typedef struct envref_episode {
    int episode;                         /* episode number */
    double start[PPO_ENVREF_MAX_DIM];    /* (S) state after reset, from .reset.csv */
    float start_obs[PPO_ENVREF_MAX_DIM]; /* (D) observation after reset */
    guint first_row;                     /* row of t = 0 in .csv */
    guint n_steps;                       /* recorded steps */
    float *actions;                      /* (n_steps) */
} envref_episode_t;

/* Every episode of .reset.csv with its recorded rows of .csv, which must be contiguous and
 * numbered t = 0, 1, ... and start from the reset state. (transfer full: free with
 * free_episodes) */
static GArray *load_episodes(const ppo_envref_spec_t *spec, const ppo_envref_data_t *data,
                             const ppo_envref_data_t *resets)
{
    GArray *eps = g_array_new(FALSE, TRUE, sizeof(envref_episode_t));
    guint covered = 0;
    for (guint e = 0; e < resets->n_rows; e++) {
        envref_episode_t ep = {.episode = row_int(resets, e, resets->col_episode)};
        ppo_envref_row_state(resets, e, ep.start);
        ppo_envref_row_obs(resets, e, ep.start_obs);
        guint r = 0;
        while (r < data->n_rows && row_int(data, r, data->col_episode) != ep.episode)
            r++;
        ck_assert_msg(r < data->n_rows, "%s: episode %d of %s has no rows", data->name, ep.episode,
                      resets->name);
        ep.first_row = r;
        while (r < data->n_rows && row_int(data, r, data->col_episode) == ep.episode) {
            ck_assert_msg(row_int(data, r, data->col_t) == (int)(r - ep.first_row),
                          "%s row %u: t is not consecutive", data->name, r + 2);
            r++;
        }
        ep.n_steps = r - ep.first_row;
        covered += ep.n_steps;
        double s0[PPO_ENVREF_MAX_DIM];
        ppo_envref_row_state(data, ep.first_row, s0);
        for (uint32_t k = 0; k < spec->state_dim; k++)
            ck_assert_msg(same_bits_d(s0[k], ep.start[k]),
                          "%s: episode %d does not start from its state in %s", data->name,
                          ep.episode, resets->name);
        ep.actions = g_new(float, ep.n_steps);
        for (guint t = 0; t < ep.n_steps; t++)
            ep.actions[t] = ppo_envref_row_action(data, ep.first_row + t);
        g_array_append_val(eps, ep);
    }
    ck_assert_msg(covered == data->n_rows, "%s: %u rows belong to no episode of %s", data->name,
                  data->n_rows - covered, resets->name);
    return eps;
}

static void free_episodes(GArray *eps)
{
    for (guint e = 0; e < eps->len; e++)
        g_free(g_array_index(eps, envref_episode_t, e).actions);
    g_array_free(eps, TRUE);
}

void ppo_envref_check_open_loop(const ppo_envref_spec_t *spec)
{
    ppo_envref_data_t *data = ppo_envref_data_load(spec, ".csv");
    ppo_envref_data_t *resets = ppo_envref_data_load(spec, ".reset.csv");
    GArray *eps = load_episodes(spec, data, resets);
    ppo_envref_env_t *env = ppo_envref_open(spec, "");
    const uint32_t S = spec->state_dim, D = spec->obs_dim;
    const bool exact = spec->replay_tol == 0.0;
    double max_state_err = 0.0, max_reward_err = 0.0;
    guint replayed = 0;

    for (guint e = 0; e < eps->len; e++) {
        const envref_episode_t *ep = &g_array_index(eps, envref_episode_t, e);
        char where[128];
        float obs[PPO_ENVREF_MAX_DIM];
        bool may_differ[PPO_ENVREF_MAX_DIM];

        /* start from the recorded reset state; its observation as in the one-step check */
        g_snprintf(where, sizeof(where), "%s episode %d reset", resets->name, ep->episode);
        ppo_envref_set_state(env, ep->start, obs);
        for (uint32_t j = 0; j < D; j++)
            may_differ[j] = !spec->bit_exact && spec->obs_source[j] < 0;
        check_obs(where, "o", D, obs, ep->start_obs, may_differ);

        /* replay the recorded actions without ever resetting the state to the record */
        const guint n = spec->replay_steps > 0 && spec->replay_steps < ep->n_steps
                            ? spec->replay_steps
                            : ep->n_steps;
        double ep_err = 0.0;
        for (guint t = 0; t < n; t++) {
            const guint r = ep->first_row + t;
            g_snprintf(where, sizeof(where), "%s open loop, episode %d, t %u", data->name,
                       ep->episode, t);
            double reward, got_s[PPO_ENVREF_MAX_DIM], ref_s[PPO_ENVREF_MAX_DIM];
            int terminated;
            ppo_envref_step(env, ep->actions[t], obs, &reward, &terminated);
            ppo_envref_get_state(env, got_s);
            ppo_envref_row_next_state(data, r, ref_s);
            for (uint32_t k = 0; k < S; k++) {
                const double err = fabs(got_s[k] - ref_s[k]);
                if (err > ep_err)
                    ep_err = err;
                ck_assert_msg(exact ? same_bits_d(got_s[k], ref_s[k]) : err <= spec->replay_tol,
                              "%s: s%u = %.17g, reference %.17g (error %.3g, allowed %.3g)", where,
                              k, got_s[k], ref_s[k], err, spec->replay_tol);
            }
            const double ref_reward = ppo_csv_num(data->csv, r, data->col_reward);
            const double reward_err = fabs(reward - ref_reward);
            if (reward_err > max_reward_err)
                max_reward_err = reward_err;
            ck_assert_msg(exact ? same_bits_d(reward, ref_reward)
                                : within(reward, ref_reward, spec->replay_tol),
                          "%s: reward %.17g, reference %.17g (error %.3g)", where, reward,
                          ref_reward, reward_err);
            const int ref_terminated = row_int(data, r, data->col_terminated);
            ck_assert_msg(terminated == ref_terminated, "%s: terminated %d, reference %d", where,
                          terminated, ref_terminated);
            if (spec->bit_exact) {
                float ref_o[PPO_ENVREF_MAX_DIM];
                ppo_envref_row_next_obs(data, r, ref_o);
                for (uint32_t j = 0; j < D; j++)
                    may_differ[j] = false;
                check_obs(where, "next_o", D, obs, ref_o, may_differ);
            }
        }
        replayed += n;
        if (ep_err > max_state_err)
            max_state_err = ep_err;
        printf("%s open loop: episode %d, %u of %u steps replayed, max |state error| %.3g\n",
               data->name, ep->episode, n, ep->n_steps, ep_err);
    }
    printf("%s open loop: %u episodes, %u steps, max |state error| %.3g (allowed %.3g), max "
           "|reward error| %.3g\n",
           data->name, eps->len, replayed, max_state_err, spec->replay_tol, max_reward_err);
    fflush(stdout);
    ppo_envref_close(env);
    free_episodes(eps);
    ppo_envref_data_free(resets);
    ppo_envref_data_free(data);
}

/* ---- descriptor ---- */

void ppo_envref_check_descriptor(const ppo_envref_spec_t *spec)
{
    ppo_envref_env_t *env = ppo_envref_open(spec, "");
    const ppo_plugin_t *p = env->plugin;
    ck_assert_int_eq(p->kind, PPO_KIND_ENV);
    ck_assert_str_eq(p->name, spec->plugin);
    ck_assert_msg(p->version != NULL && *p->version != '\0', "empty version");
    ck_assert_msg(strstr(p->description, spec->env_id) != NULL,
                  "description \"%s\" does not name %s", p->description, spec->env_id);
    ck_assert_uint_eq(env->vt->max_episode_steps, spec->max_episode_steps);
    ck_assert_msg(env->vt->state_size != NULL && env->vt->get_state != NULL &&
                      env->vt->set_state != NULL && env->vt->render_text != NULL,
                  "state callbacks or render_text missing");
    ck_assert_uint_eq(env->vt->state_size(env->inst), spec->state_dim);

    ppo_space_t obs, act;
    memset(&obs, 0xa5, sizeof(obs));
    memset(&act, 0xa5, sizeof(act));
    expect_ok(env, "spaces", env->vt->spaces(env->inst, &obs, &act));
    ck_assert_uint_eq(obs.struct_size, sizeof(ppo_space_t));
    ck_assert_int_eq(obs.kind, PPO_SPACE_BOX);
    ck_assert_uint_eq(obs.n, 0);
    ck_assert_uint_eq(obs.dim, spec->obs_dim);
    for (uint32_t j = 0; j < spec->obs_dim; j++) {
        ck_assert_msg(same_bits_d(obs.low[j], spec->obs_low[j]) &&
                          same_bits_d(obs.high[j], spec->obs_high[j]),
                      "observation bounds %u: [%.17g, %.17g], Gymnasium declares [%.17g, %.17g]", j,
                      obs.low[j], obs.high[j], spec->obs_low[j], spec->obs_high[j]);
        ck_assert_msg(isfinite(obs.low[j]) && isfinite(obs.high[j]), "bound %u not finite", j);
    }
    ck_assert_uint_eq(act.struct_size, sizeof(ppo_space_t));
    ck_assert_uint_eq(act.dim, 1);
    if (spec->n_actions > 0) {
        ck_assert_int_eq(act.kind, PPO_SPACE_DISCRETE);
        ck_assert_uint_eq(act.n, spec->n_actions);
        ck_assert_ptr_null(act.low);
        ck_assert_ptr_null(act.high);
    } else {
        ck_assert_int_eq(act.kind, PPO_SPACE_BOX);
        ck_assert_uint_eq(act.n, 0);
        ck_assert_msg(same_bits_d(act.low[0], spec->act_low[0]) &&
                          same_bits_d(act.high[0], spec->act_high[0]),
                      "action bounds [%.17g, %.17g], Gymnasium declares [%.17g, %.17g]", act.low[0],
                      act.high[0], spec->act_low[0], spec->act_high[0]);
    }
    ppo_envref_close(env);
}

/* ---- reset ---- */

static void reset_with(ppo_envref_env_t *env, ppo_rng_t *rng, double *state, float *obs)
{
    expect_ok(env, "reset", env->vt->reset(env->inst, rng, obs));
    ppo_envref_get_state(env, state);
}

static void check_reset_state(const ppo_envref_spec_t *spec, const double *s, const char *where)
{
    for (uint32_t k = 0; k < spec->state_dim; k++) {
        double lo = spec->reset_low[k], hi = spec->reset_high[k];
        if (spec->reset_float32) {
            ck_assert_msg((double)(float)s[k] == s[k], "%s: s%u = %.17g is not a float32 value",
                          where, k, s[k]);
            lo = (double)(float)lo;
            hi = (double)(float)hi;
        }
        if (lo == hi)
            ck_assert_msg(same_bits_d(s[k], lo), "%s: s%u = %.17g, expected the constant %.17g",
                          where, k, s[k], lo);
        else
            ck_assert_msg(s[k] >= lo && s[k] <= hi, "%s: s%u = %.17g outside [%.17g, %.17g]", where,
                          k, s[k], lo, hi);
    }
}

void ppo_envref_check_reset_bounds(const ppo_envref_spec_t *spec)
{
    ppo_envref_env_t *env = ppo_envref_open(spec, "");
    ppo_envref_env_t *other = ppo_envref_open(spec, "");
    bool none[PPO_ENVREF_MAX_DIM] = {false};
    for (uint64_t seed = 0; seed < ENVREF_N_SEEDS; seed++) {
        char where[64];
        g_snprintf(where, sizeof(where), "reset with seed %" G_GUINT64_FORMAT, seed);
        ppo_rng_t rng;
        ppo_rng_seed(&rng, seed, "env", 0);
        double s[PPO_ENVREF_MAX_DIM];
        float obs[PPO_ENVREF_MAX_DIM], expect[PPO_ENVREF_MAX_DIM], restored[PPO_ENVREF_MAX_DIM];
        reset_with(env, &rng, s, obs);
        check_reset_state(spec, s, where);
        /* the observation is the state's own, bit for bit */
        spec->observe(s, expect);
        check_obs(where, "o", spec->obs_dim, obs, expect, none);
        ppo_envref_set_state(other, s, restored);
        check_obs(where, "set_state o", spec->obs_dim, restored, obs, none);
    }
    ppo_envref_close(other);
    ppo_envref_close(env);
}

void ppo_envref_check_reset_seeds(const ppo_envref_spec_t *spec)
{
    ppo_envref_env_t *a = ppo_envref_open(spec, "");
    ppo_envref_env_t *b = ppo_envref_open(spec, "");
    const uint32_t S = spec->state_dim;
    double sa[PPO_ENVREF_MAX_DIM], sb[PPO_ENVREF_MAX_DIM], sc[PPO_ENVREF_MAX_DIM];
    float obs[PPO_ENVREF_MAX_DIM];
    ppo_rng_t r1, r2, r3, start;

    for (uint64_t seed = 0; seed < 64; seed++) {
        /* the same stream gives the same state on two instances */
        ppo_rng_seed(&r1, seed, "env", 3);
        ppo_rng_seed(&r2, seed, "env", 3);
        start = r1;
        reset_with(a, &r1, sa, obs);
        reset_with(b, &r2, sb, obs);
        ck_assert_msg(memcmp(sa, sb, S * sizeof(double)) == 0, "seed %u: two instances differ",
                      (unsigned)seed);
        ck_assert_msg(memcmp(&r1, &start, sizeof(r1)) != 0, "reset did not draw from its stream");

        /* and on the same instance again: no generator of its own */
        r3 = start;
        reset_with(a, &r3, sc, obs);
        ck_assert_msg(memcmp(sa, sc, S * sizeof(double)) == 0,
                      "seed %u: the same stream gives a different state the second time",
                      (unsigned)seed);

        /* the advanced stream and another seed give other states in every random component */
        reset_with(a, &r1, sb, obs);
        ppo_rng_seed(&r2, seed + 1000, "env", 3);
        reset_with(b, &r2, sc, obs);
        for (uint32_t k = 0; k < S; k++) {
            if (spec->reset_low[k] == spec->reset_high[k])
                continue;
            ck_assert_msg(sa[k] != sb[k], "seed %u: s%u repeats on the next reset", (unsigned)seed,
                          k);
            ck_assert_msg(sa[k] != sc[k], "seeds %u and %u: s%u equal", (unsigned)seed,
                          (unsigned)seed + 1000, k);
        }
    }
    ppo_envref_close(b);
    ppo_envref_close(a);
}

void ppo_envref_check_reset_statistics(const ppo_envref_spec_t *spec)
{
    ppo_envref_env_t *env = ppo_envref_open(spec, "");
    const uint32_t S = spec->state_dim;
    double sum[PPO_ENVREF_MAX_DIM] = {0}, sum2[PPO_ENVREF_MAX_DIM] = {0};
    double lo_seen[PPO_ENVREF_MAX_DIM], hi_seen[PPO_ENVREF_MAX_DIM];
    for (uint32_t k = 0; k < S; k++) {
        lo_seen[k] = HUGE_VAL;
        hi_seen[k] = -HUGE_VAL;
    }
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 12345, "env", 0);
    for (int i = 0; i < ENVREF_N_RESETS; i++) {
        double s[PPO_ENVREF_MAX_DIM];
        float obs[PPO_ENVREF_MAX_DIM];
        reset_with(env, &rng, s, obs);
        check_reset_state(spec, s, "reset");
        for (uint32_t k = 0; k < S; k++) {
            sum[k] += s[k];
            sum2[k] += s[k] * s[k];
            lo_seen[k] = fmin(lo_seen[k], s[k]);
            hi_seen[k] = fmax(hi_seen[k], s[k]);
        }
    }
    for (uint32_t k = 0; k < S; k++) {
        const double lo = spec->reset_low[k], hi = spec->reset_high[k], w = hi - lo;
        if (w == 0.0) {
            ck_assert_msg(lo_seen[k] == lo && hi_seen[k] == lo, "s%u not constant", k);
            continue;
        }
        const double n = ENVREF_N_RESETS;
        const double mean = sum[k] / n;
        const double var = sum2[k] / n - mean * mean;
        /* U(lo, hi): mean (lo + hi) / 2, variance w^2 / 12; 5 standard errors of slack */
        const double mean_tol = 5.0 * w / sqrt(12.0 * n);
        ck_assert_msg(fabs(mean - (lo + hi) / 2) <= mean_tol,
                      "s%u: mean %.6g, expected %.6g within %.3g", k, mean, (lo + hi) / 2,
                      mean_tol);
        ck_assert_msg(fabs(var / (w * w / 12.0) - 1.0) <= 0.05,
                      "s%u: variance %.6g, expected %.6g within 5%%", k, var, w * w / 12.0);
        ck_assert_msg(lo_seen[k] <= lo + 1e-3 * w && hi_seen[k] >= hi - 1e-3 * w,
                      "s%u: extremes [%.9g, %.9g] of %d draws not near [%.9g, %.9g]", k, lo_seen[k],
                      hi_seen[k], ENVREF_N_RESETS, lo, hi);
        printf("%s reset s%u: mean %+.5f (middle %+.5f), std %.5f (uniform %.5f), range "
               "[%+.6f, %+.6f] of [%+.6f, %+.6f]\n",
               spec->env_id, k, mean, (lo + hi) / 2, sqrt(var), w / sqrt(12.0), lo_seen[k],
               hi_seen[k], lo, hi);
    }
    fflush(stdout);
    ppo_envref_close(env);
}

/* ---- state ---- */

/* An action that exercises the action space: cycles through the discrete actions, or sweeps the
 * box beyond its bounds. */
static float test_action(const ppo_envref_spec_t *spec, unsigned i)
{
    if (spec->n_actions > 0)
        return (float)(i % spec->n_actions);
    return (float)(spec->act_high[0] * 1.5 * sin(0.7 * i));
}

void ppo_envref_check_state_round_trip(const ppo_envref_spec_t *spec)
{
    ppo_envref_data_t *data = ppo_envref_data_load(spec, ".csv");
    ppo_envref_env_t *a = ppo_envref_open(spec, "");
    ppo_envref_env_t *b = ppo_envref_open(spec, "");
    const uint32_t S = spec->state_dim, D = spec->obs_dim;
    double s[PPO_ENVREF_MAX_DIM], got[PPO_ENVREF_MAX_DIM];
    float oa[PPO_ENVREF_MAX_DIM], ob[PPO_ENVREF_MAX_DIM];

    /* set then get returns the same bits, for every recorded state; obs_out may be NULL */
    for (guint r = 0; r < data->n_rows; r++) {
        ppo_envref_row_state(data, r, s);
        ppo_envref_set_state(a, s, r % 2 == 0 ? NULL : oa);
        ppo_envref_get_state(a, got);
        ck_assert_msg(memcmp(s, got, S * sizeof(double)) == 0,
                      "%s row %u: get_state does not return the state set", data->name, r + 2);
    }

    /* a state taken mid-episode continues identically in another instance */
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 99, "env", 0);
    expect_ok(a, "reset", a->vt->reset(a->inst, &rng, oa));
    for (unsigned i = 0; i < 7; i++) {
        double reward;
        int terminated;
        ppo_envref_step(a, test_action(spec, i), oa, &reward, &terminated);
    }
    ppo_envref_get_state(a, s);
    ppo_envref_set_state(b, s, ob);
    ck_assert_msg(memcmp(oa, ob, D * sizeof(float)) == 0,
                  "set_state's observation differs from the step's observation of that state");
    for (unsigned i = 7; i < 40; i++) {
        double ra, rb, sa[PPO_ENVREF_MAX_DIM], sb[PPO_ENVREF_MAX_DIM];
        int ta, tb;
        const float act = test_action(spec, i);
        ppo_envref_step(a, act, oa, &ra, &ta);
        ppo_envref_step(b, act, ob, &rb, &tb);
        ppo_envref_get_state(a, sa);
        ppo_envref_get_state(b, sb);
        ck_assert_msg(memcmp(sa, sb, S * sizeof(double)) == 0 &&
                          memcmp(oa, ob, D * sizeof(float)) == 0 && same_bits_d(ra, rb) && ta == tb,
                      "step %u after restoring the state differs from the original", i);
    }
    ppo_envref_close(b);
    ppo_envref_close(a);
    ppo_envref_data_free(data);
}

/* The masked observation against the plain one: the masked entries +0, the others bit for bit.
 * Counts in nonzero[k] the rows whose plain entry masked[k] is not 0. */
static void check_masked(const ppo_envref_spec_t *spec, const uint32_t *masked, uint32_t n_masked,
                         const float *plain, const float *got, guint *nonzero, const char *where,
                         guint row)
{
    for (uint32_t i = 0; i < spec->obs_dim; i++) {
        bool hidden = false;
        for (uint32_t k = 0; k < n_masked; k++)
            if (masked[k] == i) {
                hidden = true;
                nonzero[k] += plain[i] != 0.0f;
            }
        ck_assert_msg(hidden ? same_bits_f(got[i], 0.0f) : same_bits_f(got[i], plain[i]),
                      "%s %u: observation entry %u is %a with mask_velocity, %a without", where,
                      row, i, (double)got[i], (double)plain[i]);
    }
}

void ppo_envref_check_mask_velocity(const ppo_envref_spec_t *spec, const uint32_t *masked,
                                    uint32_t n_masked)
{
    ppo_envref_data_t *data = ppo_envref_data_load(spec, ".csv");
    ppo_envref_env_t *plain = ppo_envref_open(spec, "");
    ppo_envref_env_t *env = ppo_envref_open(spec, "{mask_velocity: true}");
    const uint32_t S = spec->state_dim;
    double s[PPO_ENVREF_MAX_DIM], sp[PPO_ENVREF_MAX_DIM], sm[PPO_ENVREF_MAX_DIM];
    float op[PPO_ENVREF_MAX_DIM], om[PPO_ENVREF_MAX_DIM];
    guint nonzero[PPO_ENVREF_MAX_DIM] = {0};

    /* every recorded state, and one step from it: the same state, reward and termination */
    for (guint r = 0; r < data->n_rows; r++) {
        ppo_envref_row_state(data, r, s);
        ppo_envref_set_state(plain, s, op);
        ppo_envref_set_state(env, s, om);
        check_masked(spec, masked, n_masked, op, om, nonzero, "set_state of row", r + 2);
        double rp, rm;
        int tp, tm;
        const float a = ppo_envref_row_action(data, r);
        ppo_envref_step(plain, a, op, &rp, &tp);
        ppo_envref_step(env, a, om, &rm, &tm);
        check_masked(spec, masked, n_masked, op, om, nonzero, "step from row", r + 2);
        ppo_envref_get_state(plain, sp);
        ppo_envref_get_state(env, sm);
        ck_assert_msg(memcmp(sp, sm, S * sizeof(double)) == 0 && same_bits_d(rp, rm) && tp == tm,
                      "step from row %u: mask_velocity changed the dynamics", r + 2);
    }
    /* resets from the same stream */
    for (uint64_t seed = 0; seed < 20; seed++) {
        ppo_rng_t a, b;
        ppo_rng_seed(&a, seed, "env", 0);
        ppo_rng_seed(&b, seed, "env", 0);
        reset_with(plain, &a, sp, op);
        reset_with(env, &b, sm, om);
        ck_assert(memcmp(sp, sm, S * sizeof(double)) == 0);
        check_masked(spec, masked, n_masked, op, om, nonzero, "reset with seed", (guint)seed);
    }
    /* the masked entries were not already 0 */
    for (uint32_t k = 0; k < n_masked; k++)
        ck_assert_msg(nonzero[k] > data->n_rows, "entry %u is mostly 0 even without masking",
                      masked[k]);
    printf("mask_velocity: entries");
    for (uint32_t k = 0; k < n_masked; k++)
        printf(" %u", masked[k]);
    printf(" read 0 over %u recorded states, their steps and 20 resets; the rest bit for bit\n",
           data->n_rows);
    ppo_envref_close(env);
    ppo_envref_close(plain);
    ppo_envref_data_free(data);
}

void ppo_envref_check_refuses_bad_state(const ppo_envref_spec_t *spec)
{
    ppo_envref_env_t *env = ppo_envref_open(spec, "");
    const uint32_t S = spec->state_dim;
    float obs[PPO_ENVREF_MAX_DIM];
    double reward;
    int terminated = 0;
    const float action = test_action(spec, 1);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 1, "env", 0);

    /* no state yet */
    ck_assert_int_lt(env->vt->step(env->inst, &action, &rng, obs, &reward, &terminated), 0);
    char *msg = ppo_host_take_error();
    ck_assert_msg(msg != NULL && strstr(msg, "reset") != NULL,
                  "step before reset: message \"%s\" does not mention reset", msg);
    g_free(msg);

    /* a non-finite component is refused by name and the old state kept */
    const double bad[] = {NAN, HUGE_VAL, -HUGE_VAL};
    for (uint32_t k = 0; k < S; k++) {
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
            double s[PPO_ENVREF_MAX_DIM], before[PPO_ENVREF_MAX_DIM], after[PPO_ENVREF_MAX_DIM];
            expect_ok(env, "reset", env->vt->reset(env->inst, &rng, obs));
            ppo_envref_get_state(env, before);
            memcpy(s, before, sizeof(s));
            s[k] = bad[i];
            ck_assert_int_lt(env->vt->set_state(env->inst, s, obs), 0);
            msg = ppo_host_take_error();
            char *name = g_strdup_printf("component %u", k);
            ck_assert_msg(msg != NULL && strstr(msg, name) != NULL,
                          "set_state of %g in s%u: message \"%s\" does not name \"%s\"", bad[i], k,
                          msg, name);
            g_free(name);
            g_free(msg);
            ppo_envref_get_state(env, after);
            ck_assert_msg(memcmp(before, after, S * sizeof(double)) == 0,
                          "a refused set_state changed the state");
        }
    }
    ppo_envref_close(env);
}

void ppo_envref_check_refuses_bad_action(const ppo_envref_spec_t *spec)
{
    ck_assert_msg(spec->n_actions > 0, "%s is not discrete", spec->env_id);
    ppo_envref_env_t *env = ppo_envref_open(spec, "");
    const uint32_t S = spec->state_dim;
    const float n = (float)spec->n_actions;
    const float bad[] = {-1.0f, n,     n + 1.0f, 0.5f,     n - 0.5f, -0.0001f,
                         1e9f,  -1e9f, NAN,      INFINITY, -INFINITY};
    char *range = g_strdup_printf("from 0 to %u", spec->n_actions - 1);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 2, "env", 0);
    float obs[PPO_ENVREF_MAX_DIM];
    double before[PPO_ENVREF_MAX_DIM], after[PPO_ENVREF_MAX_DIM];
    expect_ok(env, "reset", env->vt->reset(env->inst, &rng, obs));

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        double reward = 0.0;
        int terminated = 0;
        ppo_envref_get_state(env, before);
        ck_assert_msg(env->vt->step(env->inst, &bad[i], &rng, obs, &reward, &terminated) < 0,
                      "action %g accepted", (double)bad[i]);
        char *msg = ppo_host_take_error();
        char *action = g_strdup_printf("action %g ", (double)bad[i]);
        ck_assert_msg(msg != NULL && strstr(msg, action) != NULL && strstr(msg, range) != NULL,
                      "message \"%s\" does not name \"%s\" and the range \"%s\"", msg, action,
                      range);
        g_free(action);
        g_free(msg);
        ppo_envref_get_state(env, after);
        ck_assert_msg(memcmp(before, after, S * sizeof(double)) == 0,
                      "a refused action changed the state");
    }
    /* every valid index is taken */
    for (uint32_t i = 0; i < spec->n_actions; i++) {
        double reward;
        int terminated;
        expect_ok(env, "reset", env->vt->reset(env->inst, &rng, obs));
        ppo_envref_step(env, (float)i, obs, &reward, &terminated);
    }
    g_free(range);
    ppo_envref_close(env);
}

/* ---- threads ---- */

/* What one replay of every recorded episode produced. */
typedef struct envref_replay {
    const ppo_envref_env_t *proto; /* plugin and params to make the instance from */
    const GArray *episodes;        /* envref_episode_t, read only */
    uint32_t state_dim;            /* S */
    int rc;                        /* first failure, or 0 */
    double *final_states;          /* (episodes, S) state after each episode */
    double *returns;               /* (episodes) sum of rewards */
    int *n_terminated;             /* (episodes) terminating steps */
} envref_replay_t;

static gpointer replay_all(gpointer arg)
{
    envref_replay_t *rp = arg;
    const ppo_env_vtable_t *vt = rp->proto->vt;
    void *inst = vt->create(&rp->proto->plugin->host, rp->proto->params);
    if (inst == NULL) {
        rp->rc = -1;
        return NULL;
    }
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 0, "envref-step", 0);
    for (guint e = 0; e < rp->episodes->len && rp->rc == 0; e++) {
        const envref_episode_t *ep = &g_array_index(rp->episodes, envref_episode_t, e);
        float obs[PPO_ENVREF_MAX_DIM];
        rp->rc = vt->set_state(inst, ep->start, obs);
        rp->returns[e] = 0.0;
        rp->n_terminated[e] = 0;
        for (guint t = 0; t < ep->n_steps && rp->rc == 0; t++) {
            double reward;
            int terminated;
            rp->rc = vt->step(inst, &ep->actions[t], &rng, obs, &reward, &terminated);
            rp->returns[e] += reward;
            rp->n_terminated[e] += terminated;
        }
        if (rp->rc == 0)
            rp->rc = vt->get_state(inst, rp->final_states + (size_t)e * rp->state_dim);
    }
    vt->destroy(inst);
    return NULL;
}

static void replay_init(envref_replay_t *rp, const ppo_envref_env_t *proto, const GArray *eps,
                        uint32_t S)
{
    *rp = (envref_replay_t){.proto = proto, .episodes = eps, .state_dim = S};
    rp->final_states = g_new0(double, (size_t)eps->len *S);
    rp->returns = g_new0(double, eps->len);
    rp->n_terminated = g_new0(int, eps->len);
}

static void replay_clear(envref_replay_t *rp)
{
    g_free(rp->final_states);
    g_free(rp->returns);
    g_free(rp->n_terminated);
}

void ppo_envref_check_threads(const ppo_envref_spec_t *spec)
{
    enum { N_THREADS = 6, N_ROUNDS = 4 };
    ppo_envref_data_t *data = ppo_envref_data_load(spec, ".csv");
    ppo_envref_data_t *resets = ppo_envref_data_load(spec, ".reset.csv");
    GArray *eps = load_episodes(spec, data, resets);
    ppo_envref_env_t *proto = ppo_envref_open(spec, "");
    const uint32_t S = spec->state_dim;

    /* alone */
    envref_replay_t alone;
    replay_init(&alone, proto, eps, S);
    replay_all(&alone);
    ck_assert_int_eq(alone.rc, 0);

    /* several instances at once, several times over */
    for (int round = 0; round < N_ROUNDS; round++) {
        envref_replay_t rp[N_THREADS];
        GThread *th[N_THREADS];
        for (int i = 0; i < N_THREADS; i++) {
            replay_init(&rp[i], proto, eps, S);
            th[i] = g_thread_new("envref", replay_all, &rp[i]);
        }
        for (int i = 0; i < N_THREADS; i++) {
            g_thread_join(th[i]);
            ck_assert_msg(rp[i].rc == 0, "thread %d: a callback failed", i);
            ck_assert_msg(
                memcmp(rp[i].final_states, alone.final_states,
                       (size_t)eps->len * S * sizeof(double)) == 0 &&
                    memcmp(rp[i].returns, alone.returns, eps->len * sizeof(double)) == 0 &&
                    memcmp(rp[i].n_terminated, alone.n_terminated, eps->len * sizeof(int)) == 0,
                "round %d, thread %d: results differ from a single instance", round, i);
            replay_clear(&rp[i]);
        }
    }
    replay_clear(&alone);
    ppo_envref_close(proto);
    free_episodes(eps);
    ppo_envref_data_free(resets);
    ppo_envref_data_free(data);
}

/* ---- render ---- */

static char *render(ppo_envref_env_t *env, const double *state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(out);
    ppo_envref_set_state(env, state, NULL);
    const int rc = env->vt->render_text(env->inst, out);
    fclose(out);
    expect_ok(env, "render_text", rc);

    /* one or two lines, each ending in a newline, none wider than 100 columns */
    ck_assert_msg(len > 0 && text[len - 1] == '\n', "render_text: \"%s\" is not whole lines", text);
    int lines = 0;
    for (const char *line = text; *line != '\0'; lines++) {
        const char *nl = strchr(line, '\n');
        ck_assert_msg(nl - line > 0 && nl - line <= 100, "render_text line of %d columns",
                      (int)(nl - line));
        line = nl + 1;
    }
    ck_assert_msg(lines >= 1 && lines <= 2, "render_text wrote %d lines", lines);
    return text;
}

void ppo_envref_check_render(const ppo_envref_spec_t *spec)
{
    ppo_envref_data_t *data = ppo_envref_data_load(spec, ".csv");
    ppo_envref_env_t *env = ppo_envref_open(spec, "");
    double first[PPO_ENVREF_MAX_DIM], last[PPO_ENVREF_MAX_DIM];
    ppo_envref_row_state(data, 0, first);
    ppo_envref_row_next_state(data, data->n_rows - 1, last);
    char *a = render(env, first);
    char *b = render(env, last);
    ck_assert_msg(strcmp(a, b) != 0, "two different states render the same:\n%s", a);
    printf("%s render_text of a reset state:\n%s", spec->env_id, a);
    fflush(stdout);
    free(a);
    free(b);
    ppo_envref_close(env);
    ppo_envref_data_free(data);
}
