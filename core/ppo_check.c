/* ppofw core — the check report, and the env checker behind `ppofw check-env`.
 *
 * The env checker plays the core's part with one plugin: it makes instances with the given
 * params, reads and judges their spaces, seeds streams the way the trainer does, resets and
 * steps with random actions, applies the time limit itself and resets after every episode end
 * (the core's auto-reset), round-trips the optional state, and runs several instances at once
 * on threads. Comparisons that must be exact are bitwise. Observations are read in the space's
 * element type (float32, or uint8 since ABI 1.2) from rows sized as the core sizes them; float
 * bounds are compared after the float cast, byte bounds exactly. Random actions draw each
 * component of a multi-discrete space uniformly.
 *
 * Left out: the policy checker (ppo_check_policy.c) and the command line (cli/cmd_check.c).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#include "ppo_check_private.h"
#include "ppo_guard_private.h"
#include "ppo_signal_private.h"
#include "ppo_space_private.h"

#define ENV_SEEDS_TRIED 8          /* different seeds tried by the reset-seeds-differ check */
#define ENV_THREAD_STEPS 2000      /* steps each instance takes in the thread check */
#define ENV_STATE_WARMUP 5         /* steps before the state round trip */

/* ---- report ---- */

static const char *status_label(ppo_check_status_t status)
{
    switch (status) {
    case PPO_CHECK_OK:
        return "ok";
    case PPO_CHECK_WARN:
        return "WARN";
    case PPO_CHECK_SKIP:
        return "skip";
    default:
        return "FAIL";
    }
}

static void item_free(gpointer data)
{
    ppo_check_item_t *item = data;
    g_free(item->id);
    g_free(item->detail);
    g_free(item);
}

ppo_check_report_t *ppo_check_report_new(FILE *progress)
{
    ppo_check_report_t *r = g_new0(ppo_check_report_t, 1);
    r->items = g_ptr_array_new_with_free_func(item_free);
    r->progress = progress;
    return r;
}

void ppo_check_report_free(ppo_check_report_t *report)
{
    if (report == NULL)
        return;
    g_ptr_array_free(report->items, TRUE);
    g_free(report);
}

void ppo_check_add(ppo_check_report_t *report, ppo_check_status_t status, const char *id,
                   const char *fmt, ...)
{
    ppo_check_item_t *item = g_new0(ppo_check_item_t, 1);
    va_list ap;
    va_start(ap, fmt);
    item->detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    item->status = status;
    item->id = g_strdup(id);
    g_ptr_array_add(report->items, item);
    if (report->progress != NULL) {
        fprintf(report->progress, "  %-4s  %-20s %s\n", status_label(status), id, item->detail);
        fflush(report->progress);
    }
}

guint ppo_check_count(const ppo_check_report_t *report, ppo_check_status_t status)
{
    guint n = 0;
    for (guint i = 0; i < report->items->len; i++)
        n += ((const ppo_check_item_t *)g_ptr_array_index(report->items, i))->status == status;
    return n;
}

const ppo_check_item_t *ppo_check_find(const ppo_check_report_t *report, const char *id)
{
    for (guint i = 0; i < report->items->len; i++) {
        const ppo_check_item_t *item = g_ptr_array_index(report->items, i);
        if (strcmp(item->id, id) == 0)
            return item;
    }
    return NULL;
}

void ppo_check_summary(const ppo_check_report_t *report, const char *what, FILE *out)
{
    const guint failed = ppo_check_count(report, PPO_CHECK_FAIL);
    const guint warned = ppo_check_count(report, PPO_CHECK_WARN);
    const guint total = report->items->len;
    if (failed == 0) {
        fprintf(out, "%s: %u checks, none failed (%u warnings, %u skipped)\n", what, total, warned,
                ppo_check_count(report, PPO_CHECK_SKIP));
        return;
    }
    fprintf(out, "%s: %u of %u checks failed:\n", what, failed, total);
    for (guint i = 0; i < total; i++) {
        const ppo_check_item_t *item = g_ptr_array_index(report->items, i);
        if (item->status == PPO_CHECK_FAIL)
            fprintf(out, "  - %s: %s\n", item->id, item->detail);
    }
}

ppo_params_t *ppo_check_params(const ppo_plugin_t *plugin, const char *flow, const char *source,
                               GError **error)
{
    const char *text = flow != NULL ? flow : "";
    ppo_ydoc_t *doc = ppo_ydoc_parse(source, text, strlen(text), error);
    if (doc == NULL)
        return NULL;
    char *section = g_strdup_printf("%s.params", plugin->name);
    ppo_params_t *params = ppo_params_build(plugin->specs, plugin->n_specs, ppo_ydoc_root(doc),
                                            section, NULL, NULL, error);
    g_free(section);
    ppo_ydoc_free(doc);
    return params;
}

/* ---- calling the env ---- */

/* Everything the env checks share. */
typedef struct env_ctx {
    const ppo_plugin_t *p;
    const ppo_env_vtable_t *vt;
    const ppo_params_t *params;
    const ppo_check_env_options_t *opt;
    ppo_check_report_t *report;
    ppo_space_t obs_space; /* of the first instance (its arrays are valid while `inst` lives) */
    ppo_space_t act_space;
    uint32_t D;     /* observation elements */
    size_t row_bytes; /* bytes of an observation row, as the core allocates it */
    uint32_t A;     /* action floats: 1 for discrete */
    uint32_t limit; /* the registered time limit, or 0 */
    uint32_t cap;   /* steps after which an episode is cut: the limit, or the step cap */
    void *inst;     /* the first instance */
} env_ctx_t;

/* The reason the last callback on this thread gave (transfer full). */
static char *take_reason(int rc)
{
    char *why = ppo_host_take_error();
    if (why != NULL)
        return why;
    return g_strdup_printf("it returned %d and gave no reason (call host->error() before "
                           "failing)",
                           rc);
}

static void *env_new(const env_ctx_t *c, char **why)
{
    ppo_plugin_enter(c->p, "create");
    void *inst = c->vt->create(&c->p->host, c->params);
    ppo_plugin_leave();
    if (inst == NULL && why != NULL)
        *why = take_reason(-1);
    else if (inst == NULL)
        g_free(ppo_host_take_error());
    return inst;
}

static void env_free(const env_ctx_t *c, void *inst)
{
    if (inst == NULL)
        return;
    ppo_plugin_enter(c->p, "destroy");
    c->vt->destroy(inst);
    ppo_plugin_leave();
}

/* ---- the observation row, guarded ---- */

/* Bytes of an observation's elements (without the row's padding). */
static size_t obs_bytes(const env_ctx_t *c)
{
    return (size_t)PPO_DTYPE_SIZE(c->obs_space.dtype) * c->D;
}

/* Each thread hands the env a guarded row (ppo_guard_private.h) for the observation: a write a
 * little past it changes a canary and fails the callback, one further faults on a guard page
 * and the crash handler names the env and callback. */
static _Thread_local ppo_guard_row_t *tls_row;
static atomic_bool overrun_seen;

static void free_row(gpointer data)
{
    ppo_guard_row_clear(data);
    g_free(data);
}

static GPrivate row_key = G_PRIVATE_INIT(free_row);

static ppo_guard_row_t *guarded_row(const env_ctx_t *c)
{
    const size_t bytes = obs_bytes(c);
    if (tls_row != NULL && tls_row->bytes == bytes)
        return tls_row;
    if (tls_row == NULL) {
        tls_row = g_new0(ppo_guard_row_t, 1);
        g_private_set(&row_key, tls_row);
    }
    ppo_guard_row_clear(tls_row);
    char *what = g_strdup_printf("its observation row (%u %s)", c->D,
                                 c->obs_space.dtype == PPO_DTYPE_UINT8 ? "bytes" : "floats");
    GError *error = NULL;
    if (!ppo_guard_row_init(tls_row, bytes, what, &error)) {
        g_error_free(error);
        g_free(what);
        return NULL;
    }
    g_free(what);
    return tls_row;
}

/* After a guarded call: note an overrun and fill the canaries again for the next call. */
static void overrun_after(ppo_guard_row_t *g)
{
    if (g != NULL && ppo_guard_row_check(g) != 0) {
        atomic_store(&overrun_seen, true);
        ppo_guard_row_arm(g);
    }
}

static int env_reset(const env_ctx_t *c, void *inst, ppo_rng_t *rng, float *obs)
{
    ppo_guard_row_t *g = guarded_row(c);
    const int rc = ppo_env_call_reset(c->p, inst, rng, obs, obs_bytes(c), g);
    overrun_after(g);
    return rc;
}

static int env_step(const env_ctx_t *c, void *inst, const float *action, ppo_rng_t *rng, float *obs,
                    double *reward, int *terminated)
{
    ppo_guard_row_t *g = guarded_row(c);
    const int rc = ppo_env_call_step(c->p, inst, action, rng, obs, obs_bytes(c), g,
                                     reward, terminated);
    overrun_after(g);
    return rc;
}

/* set_state with its observation (may be NULL) written through the guarded row. */
static int env_set_state(const env_ctx_t *c, void *inst, const double *state, float *obs)
{
    ppo_guard_row_t *g = obs != NULL ? guarded_row(c) : NULL;
    ppo_plugin_enter(c->p, "set_state");
    int rc = c->vt->set_state(inst, state, g != NULL ? (float *)(void *)g->row : obs);
    ppo_plugin_leave();
    if (g != NULL) {
        const long off = ppo_guard_row_check(g);
        if (off != 0) {
            c->p->host.error(&c->p->host,
                             "set_state wrote %ld bytes %s its observation row of %zu bytes",
                             off > 0 ? off : -off, off > 0 ? "past the end of" : "before",
                             obs_bytes(c));
            rc = -1;
        } else if (rc == 0) {
            memcpy(obs, g->row, obs_bytes(c));
        }
        overrun_after(g);
    }
    return rc;
}

/* A uniformly random action: an index for discrete spaces, one index per component for
 * multi-discrete ones, a point of the box otherwise. */
static void random_action(const env_ctx_t *c, ppo_rng_t *rng, float *action)
{
    if (c->act_space.kind == PPO_SPACE_DISCRETE) {
        action[0] = (float)ppo_rng_below(rng, c->act_space.n);
        return;
    }
    if (c->act_space.kind == PPO_SPACE_MULTI_DISCRETE) {
        for (uint32_t k = 0; k < c->A; k++)
            action[k] = (float)ppo_rng_below(rng, c->act_space.nvec[k]);
        return;
    }
    for (uint32_t k = 0; k < c->A; k++)
        action[k] = (float)ppo_rng_uniform_range(rng, c->act_space.low[k], c->act_space.high[k]);
}

/* ---- spaces ---- */

/* Create the first instance and judge its spaces; false stops the checker. */
static bool check_create_and_spaces(env_ctx_t *c)
{
    char *why = NULL;
    c->inst = env_new(c, &why);
    if (c->inst == NULL) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "create", "create failed: %s", why);
        g_free(why);
        return false;
    }
    ppo_check_add(c->report, PPO_CHECK_OK, "create", "an instance with the given params");

    ppo_space_t obs = {.struct_size = sizeof(ppo_space_t)};
    ppo_space_t act = {.struct_size = sizeof(ppo_space_t)};
    ppo_plugin_enter(c->p, "spaces");
    int rc = c->vt->spaces(c->inst, &obs, &act);
    ppo_plugin_leave();
    if (rc != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "spaces", "spaces() failed: %s", why);
        g_free(why);
        return false;
    }
    GString *problems = g_string_new(NULL);
    ppo_space_normalize(&obs, true);
    ppo_space_normalize(&act, false);
    ppo_space_problems(&obs, true, problems);
    ppo_space_problems(&act, false, problems);
    if (problems->len > 0) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "spaces", "%s", problems->str + 2);
        g_string_free(problems, TRUE);
        return false;
    }
    g_string_free(problems, TRUE);
    c->obs_space = obs;
    c->act_space = act;
    c->D = obs.dim;
    c->row_bytes = ppo_space_row_bytes(&obs);
    c->A = ppo_space_action_floats(&act);
    char *os = ppo_space_describe(&obs), *as = ppo_space_describe(&act);
    if (act.kind == PPO_SPACE_DISCRETE && act.dim != 1)
        ppo_check_add(c->report, PPO_CHECK_WARN, "spaces",
                      "observation %s, action %s, but the discrete space has dim = %u; set it to "
                      "1 (a discrete action is one float)",
                      os, as, act.dim);
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "spaces", "observation %s, action %s", os, as);
    g_free(os);
    g_free(as);

    /* a second instance must describe the same spaces: the core keeps the first one's */
    void *other = env_new(c, &why);
    if (other == NULL) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "spaces-agree",
                      "a second instance with the same params could not be created: %s", why);
        g_free(why);
        return false;
    }
    ppo_space_t obs2 = {.struct_size = sizeof(ppo_space_t)};
    ppo_space_t act2 = {.struct_size = sizeof(ppo_space_t)};
    ppo_plugin_enter(c->p, "spaces");
    rc = c->vt->spaces(other, &obs2, &act2);
    ppo_plugin_leave();
    ppo_space_normalize(&obs2, true);
    ppo_space_normalize(&act2, false);
    if (rc != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "spaces-agree",
                      "spaces() failed on a second instance: %s", why);
        g_free(why);
    } else if (!ppo_space_same(&obs, &obs2) || !ppo_space_same(&act, &act2)) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "spaces-agree",
                      "two instances with the same params report different spaces; spaces must "
                      "depend on the params only");
    } else {
        ppo_check_add(c->report, PPO_CHECK_OK, "spaces-agree",
                      "a second instance reports the same spaces");
    }
    env_free(c, other);
    return true;
}

/* ---- seeding ---- */

/* A zeroed observation row of the env's space (transfer full; g_free). */
static float *obs_new(const env_ctx_t *c)
{
    return g_malloc0(c->row_bytes);
}

/* Element i of an observation row, in the space's element type, as a double. */
static double obs_at(const env_ctx_t *c, const float *obs, uint32_t i)
{
    if (c->obs_space.dtype == PPO_DTYPE_UINT8)
        return ((const uint8_t *)(const void *)obs)[i];
    return obs[i];
}

/* The first element in which two observation rows differ bitwise, or -1. */
static int first_difference(const env_ctx_t *c, const float *a, const float *b)
{
    const size_t size = PPO_DTYPE_SIZE(c->obs_space.dtype);
    for (uint32_t i = 0; i < c->D; i++)
        if (memcmp((const char *)a + i * size, (const char *)b + i * size, size) != 0)
            return (int)i;
    return -1;
}

static void check_reset_seed(env_ctx_t *c)
{
    float *o1 = obs_new(c), *o2 = obs_new(c), *o3 = obs_new(c);
    float *tmp = obs_new(c), *action = g_new0(float, c->A);
    char *why = NULL;
    ppo_rng_t rng, act_rng;
    void *other = env_new(c, &why);
    int rc = 0;
    if (other == NULL) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "reset-seed", "create failed: %s", why);
        goto out;
    }

    /* the same stream, given to a fresh instance, to another one, and to the first after steps */
    ppo_rng_seed(&rng, c->opt->seed, "env", 0);
    if ((rc = env_reset(c, c->inst, &rng, o1)) != 0)
        goto out_reset_failed;
    ppo_rng_seed(&rng, c->opt->seed, "env", 0);
    if ((rc = env_reset(c, other, &rng, o2)) != 0)
        goto out_reset_failed;
    ppo_rng_seed(&act_rng, c->opt->seed, "act", 0);
    for (int k = 0; k < 3; k++) {
        double reward;
        int terminated = 0;
        random_action(c, &act_rng, action);
        if ((rc = env_step(c, c->inst, action, &rng, tmp, &reward, &terminated)) != 0) {
            why = take_reason(rc);
            ppo_check_add(c->report, PPO_CHECK_FAIL, "reset-seed", "step failed: %s", why);
            goto out;
        }
        if (terminated)
            break;
    }
    ppo_rng_seed(&rng, c->opt->seed, "env", 0);
    if ((rc = env_reset(c, c->inst, &rng, o3)) != 0)
        goto out_reset_failed;
    int k2 = first_difference(c, o1, o2), k3 = first_difference(c, o1, o3);
    if (k2 >= 0 || k3 >= 0) {
        const int k = k2 >= 0 ? k2 : k3;
        ppo_check_add(
            c->report, PPO_CHECK_FAIL, "reset-seed",
            "reset ignores the seed: two resets with the same stream (seed %" G_GUINT64_FORMAT
            ") gave different observations (observation[%d] was %.9g, then %.9g, "
            "on %s); take every random number from the ppo_rng_t reset is given and "
            "keep no generator, clock or counter of your own",
            c->opt->seed, k, obs_at(c, o1, (uint32_t)k), obs_at(c, k2 >= 0 ? o2 : o3, (uint32_t)k),
            k2 >= 0 ? "another instance" : "the same instance after a few steps");
    } else {
        ppo_check_add(c->report, PPO_CHECK_OK, "reset-seed",
                      "the same stream gives the same initial observation, on any instance");
    }

    /* different seeds must lead to different starts, unless reset draws nothing */
    bool differs = false, drew = false;
    for (uint64_t s = 1; s <= ENV_SEEDS_TRIED && !differs; s++) {
        ppo_rng_t fresh;
        ppo_rng_seed(&rng, c->opt->seed + s, "env", 0);
        fresh = rng;
        if ((rc = env_reset(c, other, &rng, o2)) != 0)
            goto out_reset_failed;
        drew |= memcmp(&fresh, &rng, sizeof(rng)) != 0;
        differs = first_difference(c, o1, o2) >= 0;
    }
    if (differs)
        ppo_check_add(c->report, PPO_CHECK_OK, "reset-seeds-differ",
                      "different seeds give different initial observations");
    else if (!drew)
        ppo_check_add(c->report, PPO_CHECK_WARN, "reset-seeds-differ",
                      "reset draws nothing from its stream: every episode starts in the same "
                      "state (fine for a deterministic task; otherwise draw the start from the "
                      "ppo_rng_t)");
    else
        ppo_check_add(c->report, PPO_CHECK_FAIL, "reset-seeds-differ",
                      "reset draws from its stream, but %d different seeds all gave the same "
                      "initial observation; use the numbers it draws",
                      ENV_SEEDS_TRIED + 1);
    goto out;

out_reset_failed:
    why = take_reason(rc);
    ppo_check_add(c->report, PPO_CHECK_FAIL, "reset-seed", "reset failed: %s", why);
out:
    env_free(c, other);
    g_free(why);
    g_free(o1);
    g_free(o2);
    g_free(o3);
    g_free(tmp);
    g_free(action);
}

/* ---- random episodes ---- */

/* The first violation of each property, and counts, over the random episodes. */
typedef struct episode_stats {
    char *obs_nan;             /* first non-finite observation */
    char *obs_box;             /* first observation outside the box */
    char *reward_nan;          /* first non-finite reward */
    char *flag;                /* first terminated value other than 0 or 1 */
    char *callback;            /* first failing reset or step */
    char *capped;              /* first episode cut by the step cap without a time limit */
    uint64_t n_obs;            /* observations seen */
    uint32_t n_terminated;     /* episodes that ended by the task's rule */
    uint32_t n_truncated;      /* episodes cut by the time limit */
    uint32_t resets_after_end; /* resets that followed an episode end and stepped on fine */
    uint64_t total_len;        /* steps over all episodes */
} episode_stats_t;

static void check_obs(const env_ctx_t *c, episode_stats_t *st, const float *obs, uint32_t episode,
                      uint32_t step, const char *when)
{
    st->n_obs++;
    const bool bytes = c->obs_space.dtype == PPO_DTYPE_UINT8;
    for (uint32_t i = 0; i < c->D; i++) {
        const double x = obs_at(c, obs, i);
        if (!isfinite(x)) {
            if (st->obs_nan == NULL)
                st->obs_nan = g_strdup_printf("episode %u, step %u (%s): observation[%u] is %g",
                                              episode, step, when, i, x);
            continue;
        }
        /* bytes against the bounds exactly, floats after the float cast of the bounds */
        const double lo = c->obs_space.low[i], hi = c->obs_space.high[i];
        const bool outside =
            bytes ? x < lo || x > hi : (float)x < (float)lo || (float)x > (float)hi;
        if (outside && st->obs_box == NULL)
            st->obs_box = g_strdup_printf("episode %u, step %u (%s): observation[%u] = %.9g is "
                                          "outside the declared box [%.9g, %.9g]",
                                          episode, step, when, i, x, lo, hi);
    }
}

static void run_episodes(const env_ctx_t *c, episode_stats_t *st)
{
    float *obs = obs_new(c), *action = g_new0(float, c->A);
    ppo_rng_t env_rng, act_rng;
    ppo_rng_seed(&env_rng, c->opt->seed, "env", 1);
    ppo_rng_seed(&act_rng, c->opt->seed, "act", 1);
    bool after_end = false;
    for (uint32_t e = 0; e < c->opt->episodes && st->callback == NULL; e++) {
        /* the core resets on the env's continuing stream */
        int rc = env_reset(c, c->inst, &env_rng, obs);
        if (rc != 0) {
            char *why = take_reason(rc);
            st->callback = g_strdup_printf("reset failed at the start of episode %u%s: %s", e,
                                           after_end ? " (right after an episode end)" : "", why);
            g_free(why);
            break;
        }
        check_obs(c, st, obs, e, 0, "reset");
        uint32_t t = 0;
        bool terminated_seen = false;
        while (t < c->cap) {
            double reward = 0.0;
            int terminated = 0;
            random_action(c, &act_rng, action);
            rc = env_step(c, c->inst, action, &env_rng, obs, &reward, &terminated);
            if (rc != 0) {
                char *why = take_reason(rc);
                st->callback =
                    g_strdup_printf("step failed at episode %u, step %u: %s", e, t + 1, why);
                g_free(why);
                break;
            }
            t++;
            if (t == 1 && after_end)
                st->resets_after_end++;
            check_obs(c, st, obs, e, t, "step");
            if (!isfinite(reward) && st->reward_nan == NULL)
                st->reward_nan =
                    g_strdup_printf("episode %u, step %u: the reward is %g", e, t, reward);
            if (terminated != 0 && terminated != 1 && st->flag == NULL)
                st->flag =
                    g_strdup_printf("episode %u, step %u: *terminated_out = %d", e, t, terminated);
            if (terminated != 0) {
                terminated_seen = true;
                break;
            }
        }
        st->total_len += t;
        if (terminated_seen)
            st->n_terminated++;
        else if (c->limit > 0)
            st->n_truncated++;
        else if (st->callback == NULL && st->capped == NULL)
            st->capped = g_strdup_printf("episode %u ran %u steps without terminating", e, t);
        after_end = true;
    }
    g_free(obs);
    g_free(action);
}

static void check_episodes(env_ctx_t *c)
{
    episode_stats_t st = {0};
    run_episodes(c, &st);
    const uint32_t episodes = st.n_terminated + st.n_truncated + (st.capped != NULL);
    if (st.callback != NULL)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "callbacks", "%s", st.callback);
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "callbacks",
                      "reset and step returned 0 over %u random-action episodes", episodes);
    if (st.obs_nan != NULL)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "obs-finite",
                      "NaN/Inf observation: %s; an observation must be finite", st.obs_nan);
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "obs-finite",
                      "%" G_GUINT64_FORMAT " observations, all finite", st.n_obs);
    if (st.obs_box != NULL)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "obs-in-box",
                      "%s; declare bounds that hold every observation (+-HUGE_VAL where "
                      "unbounded) or keep the state inside them",
                      st.obs_box);
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "obs-in-box",
                      "every observation lies in the declared box");
    if (st.reward_nan != NULL)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "reward-finite",
                      "NaN/Inf reward: %s; rewards must be finite", st.reward_nan);
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "reward-finite", "every reward is finite");
    if (st.flag != NULL)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "terminated-flag",
                      "%s; write 1 when the episode ended by the task's rule, else 0", st.flag);
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "terminated-flag", "*terminated_out is 0 or 1");

    const double mean_len = episodes > 0 ? (double)st.total_len / episodes : 0.0;
    if (st.capped != NULL)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "episodes-end",
                      "%s and the env registers no time limit (max_episode_steps = 0); set "
                      "max_episode_steps in the vtable or make the task terminate",
                      st.capped);
    else if (c->limit > 0)
        ppo_check_add(c->report, PPO_CHECK_OK, "episodes-end",
                      "%u episodes: %u terminated, %u truncated at the time limit of %u steps "
                      "(mean length %.1f)",
                      episodes, st.n_terminated, st.n_truncated, c->limit, mean_len);
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "episodes-end",
                      "%u episodes, all terminated (no time limit registered; mean length %.1f)",
                      episodes, mean_len);

    if (st.callback != NULL && st.resets_after_end == 0)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "auto-reset",
                      "the episodes did not get through an end and a reset: %s", st.callback);
    else if (st.resets_after_end == 0)
        ppo_check_add(c->report, PPO_CHECK_SKIP, "auto-reset",
                      "only one episode ran; use --episodes 2 or more");
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "auto-reset",
                      "%u times the core's reset after an episode end (terminated or truncated) "
                      "started a new episode that stepped on",
                      st.resets_after_end);
    g_free(st.obs_nan);
    g_free(st.obs_box);
    g_free(st.reward_nan);
    g_free(st.flag);
    g_free(st.callback);
    g_free(st.capped);
}

/* ---- state round trip ---- */

/* -1 when equal bitwise, else the first index that differs (0-based) and *close tells whether
 * every element agrees to 1e-5 relative. */
static long compare_doubles(const double *a, const double *b, size_t n, bool *close)
{
    long first = -1;
    *close = true;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&a[i], &b[i], sizeof(double)) == 0)
            continue;
        if (first < 0)
            first = (long)i;
        if (!(fabs(a[i] - b[i]) <= 1e-5 * (1.0 + fabs(a[i]))))
            *close = false;
    }
    return first;
}

/* compare_doubles for two observation rows, element by element in the space's type. */
static long compare_obs(const env_ctx_t *c, const float *a, const float *b, bool *close)
{
    const int first = first_difference(c, a, b);
    *close = true;
    for (uint32_t i = first < 0 ? c->D : (uint32_t)first; i < c->D; i++) {
        const double x = obs_at(c, a, i), y = obs_at(c, b, i);
        if (x != y && !(fabs(x - y) <= 1e-5 * (1.0 + fabs(x))))
            *close = false;
    }
    return first;
}

static void check_state(env_ctx_t *c)
{
    const ppo_env_vtable_t *vt = c->vt;
    if (vt->state_size == NULL) {
        ppo_check_add(c->report, PPO_CHECK_SKIP, "state",
                      "the env offers no state_size/get_state/set_state (exact resume then "
                      "restarts episodes)");
        return;
    }
    ppo_plugin_enter(c->p, "state_size");
    const size_t n = vt->state_size(c->inst);
    ppo_plugin_leave();
    if (n == 0 || n > ((size_t)1 << 24)) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state",
                      "state_size() returned %zu; it must be in [1, 2^24] (leave the three "
                      "callbacks NULL to offer no state)",
                      n);
        return;
    }
    double *s1 = g_new0(double, n), *s2 = g_new0(double, n);
    float *obs = obs_new(c), *obs_b = obs_new(c);
    float *next_a = obs_new(c), *next_b = obs_new(c);
    float *action = g_new0(float, c->A);
    char *why = NULL;
    void *other = env_new(c, &why);
    if (other == NULL) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state", "create failed: %s", why);
        goto out;
    }

    /* reach a state a few steps into an episode */
    ppo_rng_t rng, act_rng;
    ppo_rng_seed(&rng, c->opt->seed, "env", 2);
    ppo_rng_seed(&act_rng, c->opt->seed, "act", 2);
    int rc = env_reset(c, c->inst, &rng, obs);
    for (int k = 0; rc == 0 && k < ENV_STATE_WARMUP; k++) {
        double reward;
        int terminated = 0;
        random_action(c, &act_rng, action);
        rc = env_step(c, c->inst, action, &rng, obs, &reward, &terminated);
        if (rc == 0 && terminated)
            rc = env_reset(c, c->inst, &rng, obs);
    }
    if (rc == 0) {
        ppo_plugin_enter(c->p, "get_state");
        rc = vt->get_state(c->inst, s1);
        ppo_plugin_leave();
    }
    if (rc != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state", "before the round trip: %s", why);
        goto out;
    }

    /* the original steps on; the copy gets the state and the same action and stream */
    ppo_rng_t rng_b = rng;
    double r_a = 0.0, r_b = 0.0;
    int t_a = 0, t_b = 0;
    random_action(c, &act_rng, action);
    if ((rc = env_step(c, c->inst, action, &rng, next_a, &r_a, &t_a)) != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state", "step failed: %s", why);
        goto out;
    }
    rc = env_set_state(c, other, s1, obs_b);
    ppo_plugin_enter(c->p, "get_state");
    if (rc == 0)
        rc = vt->get_state(other, s2);
    ppo_plugin_leave();
    if (rc != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state",
                      "set_state or get_state failed on a second instance: %s", why);
        goto out;
    }
    bool close_obs, close_state, close_next;
    const long d_obs = compare_obs(c, obs, obs_b, &close_obs);
    const long d_state = compare_doubles(s1, s2, n, &close_state);
    if ((rc = env_step(c, other, action, &rng_b, next_b, &r_b, &t_b)) != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state", "step after set_state failed: %s", why);
        goto out;
    }
    const long d_next = compare_obs(c, next_a, next_b, &close_next);
    const bool reward_same = memcmp(&r_a, &r_b, sizeof(double)) == 0 && t_a == t_b;

    /* set_state must also accept a NULL observation */
    ppo_plugin_enter(c->p, "set_state");
    rc = vt->set_state(other, s1, NULL);
    ppo_plugin_leave();
    if (rc != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state",
                      "set_state with obs_out = NULL failed: %s; NULL means the caller needs no "
                      "observation",
                      why);
    } else if (d_obs >= 0 && !close_obs) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state",
                      "set_state wrote observation[%ld] = %.9g, but the state's observation is "
                      "%.9g",
                      d_obs, obs_at(c, obs_b, (uint32_t)d_obs), obs_at(c, obs, (uint32_t)d_obs));
    } else if (d_state >= 0 && !close_state) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state",
                      "get_state after set_state gave state[%ld] = %.17g instead of %.17g", d_state,
                      s2[d_state], s1[d_state]);
    } else if ((d_next >= 0 && !close_next) || t_a != t_b ||
               !(fabs(r_a - r_b) <= 1e-5 * (1.0 + fabs(r_a)))) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "state",
                      "after set_state the same action and stream gave a different step (reward "
                      "%.17g vs %.17g, terminated %d vs %d%s); the state misses something step "
                      "depends on",
                      r_a, r_b, t_a, t_b, d_next >= 0 ? ", observations differ" : "");
    } else if (d_obs >= 0 || d_state >= 0 || d_next >= 0 || !reward_same) {
        ppo_check_add(c->report, PPO_CHECK_WARN, "state",
                      "the round trip agrees only to within 1e-5, not bitwise; exact resume "
                      "needs every bit of the state");
    } else {
        ppo_check_add(c->report, PPO_CHECK_OK, "state",
                      "%zu doubles round-trip through get_state/set_state into another "
                      "instance, and the next step repeats bit for bit",
                      n);
    }
out:
    env_free(c, other);
    g_free(why);
    g_free(s1);
    g_free(s2);
    g_free(obs);
    g_free(obs_b);
    g_free(next_a);
    g_free(next_b);
    g_free(action);
}

/* ---- reproducibility and threads ---- */

/* One instance's fixed trajectory, summarized as a hash. */
typedef struct trajectory {
    const env_ctx_t *c;
    uint32_t index; /* picks the streams */
    uint64_t hash;  /* FNV-1a over observations, rewards and flags */
    char *failure;  /* a failed callback (transfer full), or NULL */
    GMutex *lock;   /* start gate shared by the threads */
    GCond *cond;
    const bool *go;
} trajectory_t;

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static void run_trajectory(trajectory_t *tr)
{
    const env_ctx_t *c = tr->c;
    char *why = NULL;
    tr->hash = UINT64_C(0xcbf29ce484222325);
    void *inst = env_new(c, &why);
    if (inst == NULL) {
        tr->failure = g_strdup_printf("create failed: %s", why);
        g_free(why);
        return;
    }
    float *obs = obs_new(c), *action = g_new0(float, c->A);
    ppo_rng_t rng, act_rng;
    ppo_rng_seed(&rng, c->opt->seed, "env", 100 + tr->index);
    ppo_rng_seed(&act_rng, c->opt->seed, "act", 100 + tr->index);
    int rc = env_reset(c, inst, &rng, obs);
    uint32_t len = 0;
    for (uint32_t t = 0; rc == 0 && t < ENV_THREAD_STEPS; t++) {
        tr->hash = fnv(tr->hash, obs, obs_bytes(c));
        double reward = 0.0;
        int terminated = 0;
        random_action(c, &act_rng, action);
        rc = env_step(c, inst, action, &rng, obs, &reward, &terminated);
        len++;
        tr->hash = fnv(tr->hash, &reward, sizeof(reward));
        tr->hash = fnv(tr->hash, &terminated, sizeof(terminated));
        if (rc == 0 && (terminated || len >= c->cap)) {
            rc = env_reset(c, inst, &rng, obs);
            len = 0;
        }
    }
    if (rc != 0) {
        why = take_reason(rc);
        tr->failure = g_strdup_printf("a callback failed: %s", why);
        g_free(why);
    }
    env_free(c, inst);
    g_free(obs);
    g_free(action);
}

static gpointer trajectory_thread(gpointer data)
{
    trajectory_t *tr = data;
    ppo_signals_thread_init();
    /* wait until every thread exists, so the instances really run at the same time */
    g_mutex_lock(tr->lock);
    while (!*tr->go)
        g_cond_wait(tr->cond, tr->lock);
    g_mutex_unlock(tr->lock);
    run_trajectory(tr);
    return NULL;
}

static void check_threads(env_ctx_t *c)
{
    const uint32_t K = c->opt->threads;
    trajectory_t *seq = g_new0(trajectory_t, K), *par = g_new0(trajectory_t, K);
    trajectory_t again = {.c = c, .index = 0};
    GThread **threads = g_new0(GThread *, K);
    GMutex lock;
    GCond cond;
    bool go = false;
    g_mutex_init(&lock);
    g_cond_init(&cond);

    /* one at a time, then the first again, then all at once */
    for (uint32_t i = 0; i < K; i++) {
        seq[i] = (trajectory_t){.c = c, .index = i};
        run_trajectory(&seq[i]);
    }
    run_trajectory(&again);
    for (uint32_t i = 0; i < K; i++) {
        par[i] = (trajectory_t){.c = c, .index = i, .lock = &lock, .cond = &cond, .go = &go};
        GError *error = NULL;
        threads[i] = g_thread_try_new("check-env", trajectory_thread, &par[i], &error);
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

    const char *failure = seq[0].failure != NULL ? seq[0].failure : again.failure;
    if (failure != NULL)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "reproducible", "%s", failure);
    else if (seq[0].hash != again.hash)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "reproducible",
                      "%u steps with the same streams and actions gave a different trajectory "
                      "the second time; the env depends on something besides its instance, the "
                      "ppo_rng_t and the actions (static variables, time, addresses)",
                      ENV_THREAD_STEPS);
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "reproducible",
                      "%u steps with the same streams and actions repeat exactly",
                      ENV_THREAD_STEPS);

    int differs = -1;
    const char *par_failure = NULL;
    for (uint32_t i = 0; i < K; i++) {
        if (par[i].failure != NULL && par_failure == NULL)
            par_failure = par[i].failure;
        if (differs < 0 && seq[i].failure == NULL && par[i].hash != seq[i].hash)
            differs = (int)i;
    }
    if (par_failure != NULL)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "threads",
                      "with %u instances running at once on threads: %s", K, par_failure);
    else if (differs >= 0)
        ppo_check_add(c->report, PPO_CHECK_FAIL, "threads",
                      "instance %d followed a different trajectory while %u instances ran at "
                      "once on threads than when it ran alone; instances must share no mutable "
                      "state (static buffers, globals) since the core steps them in parallel",
                      differs, K);
    else
        ppo_check_add(c->report, PPO_CHECK_OK, "threads",
                      "%u instances created, stepped and destroyed at once on threads match "
                      "their runs one at a time",
                      K);

    for (uint32_t i = 0; i < K; i++) {
        g_free(seq[i].failure);
        g_free(par[i].failure);
    }
    g_free(again.failure);
    g_free(seq);
    g_free(par);
    g_free(threads);
    g_mutex_clear(&lock);
    g_cond_clear(&cond);
}

/* ---- optional extras ---- */

static void check_render(env_ctx_t *c)
{
    if (c->vt->render_text == NULL) {
        ppo_check_add(c->report, PPO_CHECK_SKIP, "render-text", "the env offers no render_text");
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    float *obs = obs_new(c);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, c->opt->seed, "env", 3);
    int rc = out != NULL ? env_reset(c, c->inst, &rng, obs) : -1;
    if (rc == 0) {
        ppo_plugin_enter(c->p, "render_text");
        rc = c->vt->render_text(c->inst, out);
        ppo_plugin_leave();
    }
    if (out != NULL)
        fclose(out);
    if (rc != 0) {
        char *why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-text", "render_text failed: %s", why);
        g_free(why);
    } else if (len == 0) {
        ppo_check_add(c->report, PPO_CHECK_WARN, "render-text", "render_text wrote nothing");
    } else {
        ppo_check_add(c->report, PPO_CHECK_OK, "render-text", "render_text wrote %zu bytes", len);
    }
    free(text);
    g_free(obs);
}

/* ---- pictures (render_size / render_rgb) ---- */

#define RENDER_MAX_SIDE 4096 /* the contract's largest width or height */
#define RENDER_CANARY 64     /* guard bytes on each side of the frame buffer */
#define RENDER_CANARY_BYTE 0xA5

/* A frame buffer with guard bytes before and after it. */
typedef struct {
    uint8_t *block; /* RENDER_CANARY + size + RENDER_CANARY bytes */
    uint8_t *rgb;   /* the frame: block + RENDER_CANARY */
    size_t size;    /* width * height * 3 */
} guarded_frame_t;

static void guarded_frame_init(guarded_frame_t *f, size_t size)
{
    f->size = size;
    f->block = g_malloc(size + 2 * RENDER_CANARY);
    memset(f->block, RENDER_CANARY_BYTE, size + 2 * RENDER_CANARY);
    f->rgb = f->block + RENDER_CANARY;
}

/* Bytes written before (*before) and after (*after) the frame: the farthest changed guard. */
static bool guarded_frame_intact(const guarded_frame_t *f, int *before, int *after)
{
    *before = 0;
    *after = 0;
    for (int k = 0; k < RENDER_CANARY; k++) {
        if (f->block[k] != RENDER_CANARY_BYTE && *before == 0)
            *before = RENDER_CANARY - k;
        if (f->block[RENDER_CANARY + f->size + (size_t)k] != RENDER_CANARY_BYTE)
            *after = k + 1;
    }
    return *before == 0 && *after == 0;
}

/* Draw `inst` into f; 0 or the callback's code after recording why in *why. */
static int render_into(const env_ctx_t *c, void *inst, guarded_frame_t *f, char **why)
{
    ppo_plugin_enter(c->p, "render_rgb");
    const int rc = c->vt->render_rgb(inst, f->rgb);
    ppo_plugin_leave();
    if (rc != 0)
        *why = take_reason(rc);
    return rc;
}

/* -1 when the frames are equal, else the first differing byte. */
static long first_pixel_difference(const guarded_frame_t *a, const guarded_frame_t *b)
{
    for (size_t i = 0; i < a->size; i++)
        if (a->rgb[i] != b->rgb[i])
            return (long)i;
    return -1;
}

/* "pixel (x, y) was R,G,B, then R,G,B" for the byte at `at` of a frame `width` wide. */
static char *describe_pixel(const guarded_frame_t *a, const guarded_frame_t *b, long at,
                            uint32_t width)
{
    const size_t px = (size_t)at / 3;
    const uint8_t *p = a->rgb + 3 * px, *q = b->rgb + 3 * px;
    return g_strdup_printf("pixel (%zu, %zu) was %u,%u,%u, then %u,%u,%u", px % width, px / width,
                           p[0], p[1], p[2], q[0], q[1], q[2]);
}

/* render_size: a size in [1, 4096]^2 that does not change. false stops the picture checks. */
static bool check_render_size(env_ctx_t *c, uint32_t *width, uint32_t *height)
{
    uint32_t w2 = 0, h2 = 0;
    ppo_plugin_enter(c->p, "render_size");
    int rc = c->vt->render_size(c->inst, width, height);
    if (rc == 0)
        rc = c->vt->render_size(c->inst, &w2, &h2);
    ppo_plugin_leave();
    if (rc != 0) {
        char *why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-size", "render_size failed: %s", why);
        g_free(why);
        return false;
    }
    if (*width < 1 || *height < 1 || *width > RENDER_MAX_SIDE || *height > RENDER_MAX_SIDE) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-size",
                      "render_size gave %ux%u; width and height must each be in [1, %d]", *width,
                      *height, RENDER_MAX_SIDE);
        return false;
    }
    if (w2 != *width || h2 != *height) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-size",
                      "render_size gave %ux%u, then %ux%u; the size is fixed for an instance's "
                      "life",
                      *width, *height, w2, h2);
        return false;
    }
    ppo_check_add(c->report, PPO_CHECK_OK, "render-size", "frames are %ux%u RGB", *width, *height);
    return true;
}

/* Bring `inst` a few random steps into an episode (the state the picture checks draw). */
static int render_warmup(const env_ctx_t *c, void *inst, ppo_rng_t *rng, ppo_rng_t *act_rng)
{
    float *obs = g_new0(float, c->D), *action = g_new0(float, c->A);
    int rc = env_reset(c, inst, rng, obs);
    for (int k = 0; rc == 0 && k < ENV_STATE_WARMUP; k++) {
        double reward;
        int terminated = 0;
        random_action(c, act_rng, action);
        rc = env_step(c, inst, action, rng, obs, &reward, &terminated);
        if (rc == 0 && terminated)
            rc = env_reset(c, inst, rng, obs);
    }
    g_free(obs);
    g_free(action);
    return rc;
}

/* render_rgb: writes inside its buffer only, and draws the state and nothing else: the same
 * state (again, after a step and set_state back, in another instance) gives the same pixels. */
static void check_render_rgb(env_ctx_t *c)
{
    if (c->vt->render_rgb == NULL) {
        ppo_check_add(c->report, PPO_CHECK_SKIP, "render-size",
                      "the env offers no render_size/render_rgb (its episodes cannot be "
                      "recorded)");
        return;
    }
    uint32_t width = 0, height = 0;
    if (!check_render_size(c, &width, &height))
        return;
    const size_t size = (size_t)width * height * 3;
    const bool has_state = c->vt->state_size != NULL;
    guarded_frame_t first, again;
    guarded_frame_init(&first, size);
    guarded_frame_init(&again, size);
    char *why = NULL, *where = NULL;
    const char *how = NULL;
    void *other = NULL;
    size_t n_state = 0;
    double *state = NULL, *state_after = NULL;
    float *obs = g_new0(float, c->D), *action = g_new0(float, c->A);
    ppo_rng_t rng, act_rng;
    ppo_rng_seed(&rng, c->opt->seed, "env", 4);
    ppo_rng_seed(&act_rng, c->opt->seed, "act", 4);

    /* the first frame, a few steps into an episode, inside guard bytes */
    int rc = render_warmup(c, c->inst, &rng, &act_rng);
    if (rc != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-bounds",
                      "reset or step failed before drawing: %s", why);
        goto out;
    }
    if (has_state) {
        ppo_plugin_enter(c->p, "state_size");
        n_state = c->vt->state_size(c->inst);
        ppo_plugin_leave();
        state = g_new0(double, MAX(n_state, 1));
        state_after = g_new0(double, MAX(n_state, 1));
        ppo_plugin_enter(c->p, "get_state");
        rc = c->vt->get_state(c->inst, state);
        ppo_plugin_leave();
        if (rc != 0) {
            why = take_reason(rc);
            ppo_check_add(c->report, PPO_CHECK_FAIL, "render-pure", "get_state failed: %s", why);
            goto out;
        }
    }
    if (render_into(c, c->inst, &first, &why) != 0) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-bounds", "render_rgb failed: %s", why);
        goto out;
    }
    int before, after;
    if (!guarded_frame_intact(&first, &before, &after)) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-bounds",
                      "render_rgb wrote outside its %zu-byte buffer (%d byte(s) before it, %d "
                      "after it); write exactly height x width x 3 bytes (%ux%u)",
                      size, before, after, width, height);
        goto out;
    }
    ppo_check_add(c->report, PPO_CHECK_OK, "render-bounds",
                  "render_rgb writes inside its %zu-byte buffer", size);

    /* the same state, drawn again: at once, after a step and set_state back, elsewhere */
    long d = -1;
    if (render_into(c, c->inst, &again, &why) != 0)
        goto out_render_failed;
    if ((d = first_pixel_difference(&first, &again)) >= 0) {
        how = "drawing the same instance twice";
        goto out_impure;
    }
    if (!has_state) {
        ppo_check_add(c->report, PPO_CHECK_OK, "render-pure",
                      "drawing twice gives the same pixels (the env offers no state, so "
                      "set_state round trips were not tried)");
        goto out;
    }
    ppo_plugin_enter(c->p, "get_state");
    rc = c->vt->get_state(c->inst, state_after);
    ppo_plugin_leave();
    if (rc == 0 && memcmp(state, state_after, n_state * sizeof(double)) != 0) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-pure",
                      "render_rgb changed the state get_state reports; drawing must change "
                      "nothing");
        goto out;
    }
    random_action(c, &act_rng, action);
    double reward;
    int terminated = 0;
    rc = rc != 0 ? rc : env_step(c, c->inst, action, &rng, obs, &reward, &terminated);
    if (rc == 0) {
        ppo_plugin_enter(c->p, "set_state");
        rc = c->vt->set_state(c->inst, state, NULL);
        ppo_plugin_leave();
    }
    if (rc != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-pure",
                      "stepping or restoring the state failed: %s", why);
        goto out;
    }
    if (render_into(c, c->inst, &again, &why) != 0)
        goto out_render_failed;
    if ((d = first_pixel_difference(&first, &again)) >= 0) {
        how = "a step and set_state back to the drawn state";
        goto out_impure;
    }
    other = env_new(c, &why);
    if (other == NULL) {
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-pure",
                      "a second instance could not be created: %s", why);
        goto out;
    }
    ppo_plugin_enter(c->p, "set_state");
    rc = c->vt->set_state(other, state, NULL);
    ppo_plugin_leave();
    if (rc != 0) {
        why = take_reason(rc);
        ppo_check_add(c->report, PPO_CHECK_FAIL, "render-pure",
                      "set_state failed on a second instance: %s", why);
        goto out;
    }
    if (render_into(c, other, &again, &why) != 0)
        goto out_render_failed;
    if ((d = first_pixel_difference(&first, &again)) >= 0) {
        how = "another instance given the same state";
        goto out_impure;
    }
    ppo_check_add(c->report, PPO_CHECK_OK, "render-pure",
                  "the same state gives the same pixels: drawn again, after a step and "
                  "set_state back, and in another instance");
    goto out;

out_impure:
    where = describe_pixel(&first, &again, d, width);
    ppo_check_add(c->report, PPO_CHECK_FAIL, "render-pure",
                  "%s gave different pixels (%s); draw from the state get_state saves and "
                  "nothing else (no counters, clocks or random numbers)",
                  how, where);
    goto out;
out_render_failed:
    ppo_check_add(c->report, PPO_CHECK_FAIL, "render-pure", "render_rgb failed: %s", why);
out:
    env_free(c, other);
    g_free(why);
    g_free(where);
    g_free(state);
    g_free(state_after);
    g_free(obs);
    g_free(action);
    g_free(first.block);
    g_free(again.block);
}

ppo_check_env_options_t ppo_check_env_defaults(void)
{
    return (ppo_check_env_options_t){.seed = 1, .episodes = 10, .threads = 4, .step_cap = 10000};
}

void ppo_check_env(const ppo_plugin_t *plugin, const ppo_params_t *params,
                   const ppo_check_env_options_t *options, ppo_check_report_t *report)
{
    g_return_if_fail(plugin->kind == PPO_KIND_ENV);
    env_ctx_t c = {
        .p = plugin,
        .vt = &plugin->vt.env,
        .params = params,
        .opt = options,
        .report = report,
        .limit = plugin->vt.env.max_episode_steps,
    };
    c.cap = c.limit > 0 ? c.limit : MAX(options->step_cap, 1u);
    if (!check_create_and_spaces(&c)) {
        env_free(&c, c.inst);
        return;
    }
    check_reset_seed(&c);
    check_episodes(&c);
    check_state(&c);
    check_threads(&c);
    check_render(&c);
    check_render_rgb(&c);
    env_free(&c, c.inst);
    if (atomic_load(&overrun_seen))
        ppo_check_add(report, PPO_CHECK_FAIL, "obs-row",
                      "a callback wrote outside its observation row of %u floats (see the "
                      "failures above); it corrupts the rollout of whatever runs it",
                      c.D);
    else
        ppo_check_add(report, PPO_CHECK_OK, "obs-row",
                      "reset, step and set_state wrote only their observation row of %u floats "
                      "(guard pages and canaries around it)",
                      c.D);

    /* the contract says destroy accepts NULL; the core relies on it in error paths */
    ppo_plugin_enter(plugin, "destroy");
    plugin->vt.env.destroy(NULL);
    ppo_plugin_leave();
    ppo_check_add(report, PPO_CHECK_OK, "destroy-null", "destroy(NULL) returns");
}
