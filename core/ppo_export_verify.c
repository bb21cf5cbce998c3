/* ppofw core — verifying an exported policy (ppo_export_verify_private.h): the compiler, the
 * driver, the observations, the plugin's side and the comparison.
 *
 * In a fresh temporary directory: the file is copied to policy.c and compiled alone
 * (-std=c99 -pedantic -Wall -Wextra -c), which says whether it is C at all; then the driver
 * (core/resources/ppo_export_driver.c, embedded as a GResource) is compiled with the spaces'
 * sizes, including the file after the contract's prototype and checking its macros, and linked
 * with -lm. The observations are drawn inside the observation box (a uniformly random point of
 * the box clipped to [-10, 10], or random bytes) plus edge rows (every element at its low bound,
 * at its high bound, alternating, and zero where the box holds it); a recurrent policy gets four
 * episodes' worth of steps with episode starts inside. The driver's actions are compared with
 * the plugin's deterministic act on the same observations, converted and normalized as the core
 * converts and normalizes what it hands a policy.
 *
 * Every subprocess runs with a time limit (a file that loops forever is reported, not waited
 * for). Left out: judging the code's style; what the file computes beyond actions.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ppo_core_resources.h"
#include "ppo_export_verify_private.h"
#include "ppo_normalizer_private.h"
#include "ppo_space_private.h"

#define VERIFY_RANDOM_ROWS 250u /* random observations of a plain policy */
#define VERIFY_STREAMS 4u       /* a recurrent policy's episodes ... */
#define VERIFY_STEPS 48u        /* ... of this many steps, starts inside them */
#define VERIFY_CHUNK 8u         /* rows per act call, as the core's collection chunks */
#define VERIFY_COMPILE_SECONDS 120.0
#define VERIFY_RUN_SECONDS 60.0
#define VERIFY_LOG_LINES 12 /* compiler output lines quoted in a message */
#define VERIFY_DRIVER_RESOURCE "/org/ppofw/core/ppo_export_driver.c"

char **ppo_export_compiler(const char *cc, char **what)
{
    const char *env = g_getenv("CC");
    const char *line = cc != NULL ? cc : env != NULL && *env != '\0' ? env : "cc";
    char **argv = NULL;
    *what = NULL;
    if (!g_shell_parse_argv(line, NULL, &argv, NULL)) {
        *what = g_strdup_printf("the compiler command \"%s\"%s does not parse", line,
                                cc == NULL && env != NULL && *env != '\0' ? " (from CC)" : "");
        return NULL;
    }
    char *found = g_find_program_in_path(argv[0]);
    if (found == NULL) {
        *what = g_strdup_printf("no C compiler: \"%s\"%s is not on PATH", argv[0],
                                cc == NULL && env != NULL && *env != '\0' ? " (from CC)"
                                : cc == NULL                              ? " (CC is unset)"
                                                                          : "");
        g_strfreev(argv);
        return NULL;
    }
    g_free(argv[0]);
    argv[0] = found;
    return argv;
}

/* ---- subprocesses ---- */

/* Run argv in `dir` with stdout and stderr into the file `log`, for at most `seconds`. Returns
 * the exit status (>= 0), -1 - signal when it was killed by a signal, or INT_MIN when it could
 * not start or ran out of time (*why says which). */
static int run(char *const *argv, const char *dir, const char *log, double seconds, char **why)
{
    *why = NULL;
    const int fd = g_open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        *why = g_strdup_printf("cannot write %s: %s", log, g_strerror(errno));
        return INT32_MIN;
    }
    GPid pid = 0;
    GError *error = NULL;
    const gboolean started = g_spawn_async_with_fds(
        dir, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, -1, fd, fd, &error);
    close(fd);
    if (!started) {
        *why = g_strdup_printf("cannot run %s: %s", argv[0], error->message);
        g_error_free(error);
        return INT32_MIN;
    }
    const gint64 deadline = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
    int status = 0;
    for (;;) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            *why = g_strdup_printf("waiting for %s failed: %s", argv[0], g_strerror(errno));
            return INT32_MIN;
        }
        if (g_get_monotonic_time() > deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            *why = g_strdup_printf("%s ran for more than %.0f s and was stopped", argv[0], seconds);
            return INT32_MIN;
        }
        g_usleep(2000);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1 - WTERMSIG(status);
}

/* The first lines of a log, indented (transfer full). */
static char *log_head(const char *log)
{
    char *text = NULL;
    if (!g_file_get_contents(log, &text, NULL, NULL))
        return g_strdup("    (no output)");
    GString *s = g_string_new(NULL);
    char **lines = g_strsplit(text, "\n", -1);
    guint n = 0, total = 0;
    for (char **l = lines; *l != NULL; l++)
        if (**l != '\0')
            total++;
    for (char **l = lines; *l != NULL && n < VERIFY_LOG_LINES; l++) {
        if (**l == '\0')
            continue;
        g_string_append_printf(s, "\n    %s", *l);
        n++;
    }
    if (total > n)
        g_string_append_printf(s, "\n    ... (%u more lines)", total - n);
    if (s->len == 0)
        g_string_append(s, "\n    (no output)");
    g_strfreev(lines);
    g_free(text);
    return g_string_free(s, FALSE);
}

/* argv = compiler, then the NULL-terminated extra arguments (transfer full). */
static char **compiler_argv(char *const *cc, ...)
{
    GPtrArray *a = g_ptr_array_new();
    for (char *const *p = cc; *p != NULL; p++)
        g_ptr_array_add(a, g_strdup(*p));
    va_list ap;
    va_start(ap, cc);
    for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *))
        g_ptr_array_add(a, g_strdup(s));
    va_end(ap);
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

/* ---- observations ---- */

/* One row per observation: the start flag and D elements (doubles, or bytes for uint8). */
typedef struct obs_set {
    uint32_t n;       /* rows */
    uint32_t streams; /* recurrent: rows are `streams` episodes of n / streams steps, one after
                         another; 1 for a plain policy */
    uint8_t *start;   /* (n) 1 where a recurrent policy's state is reset */
    double *value;    /* (n, D) float values (exactly floats), when not uint8 */
    uint8_t *bytes;   /* (n, D) when uint8 */
} obs_set_t;

static void obs_set_clear(obs_set_t *o)
{
    g_free(o->start);
    g_free(o->value);
    g_free(o->bytes);
}

/* The bounds of element i as drawn: the box clipped to [-10, 10] (a 20 wide stretch at its
 * nearest end when the box lies outside). */
static void draw_range(const ppo_space_t *sp, uint32_t i, double *lo, double *hi)
{
    *lo = fmax(sp->low[i], -10.0);
    *hi = fmin(sp->high[i], 10.0);
    if (!(*lo <= *hi)) {
        *lo = sp->low[i] > 10.0 ? sp->low[i] : sp->high[i] - 20.0;
        *hi = sp->low[i] > 10.0 ? sp->low[i] + 20.0 : sp->high[i];
        *lo = fmax(*lo, sp->low[i]);
        *hi = fmin(*hi, sp->high[i]);
    }
}

/* Element i of edge row e (0: low, 1: high, 2: alternating, 3: zero clipped into the box). */
static double edge_value(const ppo_space_t *sp, uint32_t i, uint32_t e, bool u8)
{
    double lo, hi;
    draw_range(sp, i, &lo, &hi);
    if (u8) {
        lo = ceil(sp->low[i]);
        hi = floor(sp->high[i]);
    }
    switch (e) {
    case 0:
        return lo;
    case 1:
        return hi;
    case 2:
        return i % 2 == 0 ? lo : hi;
    default:
        return fmin(fmax(0.0, lo), hi);
    }
}

static void make_obs(const ppo_export_target_t *t, obs_set_t *o)
{
    const ppo_space_t *sp = t->obs_space;
    const uint32_t D = sp->dim, n_edges = 4;
    const bool u8 = sp->dtype == PPO_DTYPE_UINT8, rec = t->state_size > 0;
    o->streams = rec ? VERIFY_STREAMS : 1;
    o->n = rec ? VERIFY_STREAMS * VERIFY_STEPS : VERIFY_RANDOM_ROWS + n_edges;
    o->start = g_new0(uint8_t, o->n);
    o->value = u8 ? NULL : g_new(double, (size_t)o->n *D);
    o->bytes = u8 ? g_new(uint8_t, (size_t)o->n * D) : NULL;
    ppo_rng_t rng;
    ppo_rng_seed(&rng, t->seed, "export-obs", 0);
    for (uint32_t r = 0; r < o->n; r++) {
        /* a plain policy's first rows are the edges; a recurrent policy's episodes start with
         * one and hold others as starts inside them */
        const uint32_t step = r % (o->n / o->streams);
        const bool edge = rec ? step == 0 || ppo_rng_below(&rng, 8) == 0 : r < n_edges;
        const uint32_t e = rec ? (uint32_t)ppo_rng_below(&rng, n_edges) : r;
        if (rec)
            o->start[r] = step == 0 || ppo_rng_below(&rng, 16) == 0;
        for (uint32_t i = 0; i < D; i++) {
            double v;
            if (edge) {
                v = edge_value(sp, i, e, u8);
            } else if (u8) {
                const double a = ceil(sp->low[i]), b = floor(sp->high[i]);
                v = a + (double)ppo_rng_below(&rng, (uint64_t)(b - a) + 1);
            } else {
                double lo, hi;
                draw_range(sp, i, &lo, &hi);
                v = ppo_rng_uniform_range(&rng, lo, hi);
            }
            if (u8)
                o->bytes[(size_t)r * D + i] = (uint8_t)v;
            else
                o->value[(size_t)r * D + i] = (double)(float)v;
        }
    }
}

static bool write_obs(const ppo_export_target_t *t, const obs_set_t *o, const char *path)
{
    const uint32_t D = t->obs_space->dim;
    FILE *f = g_fopen(path, "w");
    if (f == NULL)
        return false;
    for (uint32_t r = 0; r < o->n; r++) {
        fprintf(f, "%d", o->start[r]);
        for (uint32_t i = 0; i < D; i++) {
            if (o->bytes != NULL)
                fprintf(f, " %u", o->bytes[(size_t)r * D + i]);
            else
                fprintf(f, " %a", o->value[(size_t)r * D + i]);
        }
        fputc('\n', f);
    }
    return fclose(f) == 0;
}

/* "(0.5, -1.25, 3, ... 400 values)" (transfer full) */
static char *describe_row(const ppo_export_target_t *t, const obs_set_t *o, uint32_t r)
{
    const uint32_t D = t->obs_space->dim, shown = MIN(D, 8u);
    GString *s = g_string_new("(");
    for (uint32_t i = 0; i < shown; i++) {
        if (o->bytes != NULL)
            g_string_append_printf(s, "%s%u", i > 0 ? ", " : "", o->bytes[(size_t)r * D + i]);
        else
            g_string_append_printf(s, "%s%.9g", i > 0 ? ", " : "", o->value[(size_t)r * D + i]);
    }
    if (shown < D)
        g_string_append_printf(s, ", ... %u values", D);
    g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}

/* ---- the plugin's side ---- */

/* The plugin's deterministic act on every row: actions (n, A) and dists (n, P). 0, or the
 * failing callback's code (its reason pending on this thread). */
static int plugin_actions(const ppo_export_target_t *t, const obs_set_t *o, uint32_t P,
                          float *actions, float *dists)
{
    const ppo_plugin_t *p = t->plugin;
    const ppo_policy_vtable_t *vt = &p->vt.policy;
    const uint32_t D = t->obs_space->dim, A = ppo_space_action_floats(t->act_space);
    const uint32_t S = t->state_size;

    /* the rows as the core hands them to a policy: converted, then normalized */
    float *x = g_new(float, (size_t)o->n *D);
    if (o->bytes != NULL) {
        ppo_obs_convert_t cv;
        ppo_obs_convert_init(&cv, t->obs_space);
        ppo_obs_convert_rows(&cv, o->bytes, D, o->n, x);
        ppo_obs_convert_clear(&cv);
    } else {
        for (size_t i = 0; i < (size_t)o->n * D; i++)
            x[i] = (float)o->value[i];
    }
    if (t->norm != NULL && t->norm->enabled) {
        ppo_rms_t rms;
        ppo_rms_init(&rms, D);
        memcpy(rms.mean, t->norm->mean, sizeof(double) * D);
        memcpy(rms.var, t->norm->var, sizeof(double) * D);
        ppo_rms_normalize(&rms, x, o->n, t->norm->epsilon, t->norm->clip);
        ppo_rms_clear(&rms);
    }

    uint32_t chunk = S > 0 ? o->streams : VERIFY_CHUNK;
    ppo_plugin_enter(p, "ws_create");
    void *ws = vt->ws_create(t->inst, chunk);
    ppo_plugin_leave();
    if (ws == NULL) {
        g_free(x);
        return -1;
    }
    uint32_t *env = g_new0(uint32_t, chunk);
    float *lp = g_new(float, chunk), *v = g_new(float, chunk);
    float *st = g_new0(float, (size_t)chunk *S + 1), *init = g_new0(float, (size_t)S + 1);
    float *xs = g_new(float, (size_t)chunk *D), *as = g_new(float, (size_t)chunk *A);
    float *ds = g_new(float, (size_t)chunk *P);
    int rc = 0;
    if (S > 0 && vt->recurrent->initial_state != NULL) {
        ppo_plugin_enter(p, "initial_state");
        rc = vt->recurrent->initial_state(t->inst, init);
        ppo_plugin_leave();
    }
    ppo_plugin_enter(p, "act");
    if (S == 0) {
        for (uint32_t r = 0; r < o->n && rc == 0; r += chunk) {
            const uint32_t B = MIN(chunk, o->n - r);
            rc = vt->act(t->inst, ws, B, x + (size_t)r * D, env, NULL, 1, actions + (size_t)r * A,
                         lp, v, dists + (size_t)r * P);
        }
    } else {
        /* step j of every episode at once, each with its state */
        const uint32_t T = o->n / o->streams;
        for (uint32_t j = 0; j < T && rc == 0; j++) {
            for (uint32_t k = 0; k < o->streams; k++) {
                const size_t r = (size_t)k * T + j;
                if (o->start[r])
                    memcpy(st + (size_t)k * S, init, sizeof(float) * S);
                memcpy(xs + (size_t)k * D, x + r * D, sizeof(float) * D);
            }
            rc = vt->recurrent->act(t->inst, ws, o->streams, xs, env, NULL, 1, st, as, lp, v, ds);
            for (uint32_t k = 0; k < o->streams && rc == 0; k++) {
                const size_t r = (size_t)k * T + j;
                memcpy(actions + r * A, as + (size_t)k * A, sizeof(float) * A);
                memcpy(dists + r * P, ds + (size_t)k * P, sizeof(float) * P);
            }
        }
    }
    ppo_plugin_leave();
    ppo_plugin_enter(p, "ws_destroy");
    vt->ws_destroy(t->inst, ws);
    ppo_plugin_leave();
    g_free(x);
    g_free(env);
    g_free(lp);
    g_free(v);
    g_free(st);
    g_free(init);
    g_free(xs);
    g_free(as);
    g_free(ds);
    return rc;
}

/* ---- comparing ---- */

/* Whether the logits `l` (n) tie between indices a and b to the tolerance. */
static bool logits_tie(const float *l, uint32_t n, long a, long b)
{
    if (a < 0 || b < 0 || a >= (long)n || b >= (long)n)
        return false;
    return fabs((double)l[a] - l[b]) <= PPO_EXPORT_BOX_TOL * (1.0 + fabs((double)l[b]));
}

/* Compare the driver's output file with the plugin's actions. Returns OK, MISMATCH (with
 * *detail), or ERROR for an unreadable output; *ties counts the tied rows accepted. */
static ppo_export_status_t compare(const ppo_export_target_t *t, const obs_set_t *o,
                                   const char *out_path, const float *actions, const float *dists,
                                   uint32_t P, uint32_t *ties, double *worst, char **detail)
{
    const ppo_space_t *a = t->act_space;
    const uint32_t A = ppo_space_action_floats(a);
    char *text = NULL;
    *ties = 0;
    *worst = 0.0;
    if (!g_file_get_contents(out_path, &text, NULL, NULL)) {
        *detail = g_strdup("the compiled program wrote no actions");
        return PPO_EXPORT_MISMATCH;
    }
    ppo_export_status_t st = PPO_EXPORT_OK;
    const char *cursor = text;
    for (uint32_t r = 0; r < o->n && st == PPO_EXPORT_OK; r++) {
        uint32_t off = 0; /* the component's first logit */
        for (uint32_t k = 0; k < A && st == PPO_EXPORT_OK; k++) {
            char *end = NULL;
            const double got =
                a->kind == PPO_SPACE_BOX ? strtod(cursor, &end) : (double)strtol(cursor, &end, 10);
            const double want = actions[(size_t)r * A + k];
            if (end == cursor) {
                *detail = g_strdup_printf("the compiled program wrote %u actions for %u "
                                          "observations",
                                          r, o->n);
                st = PPO_EXPORT_MISMATCH;
                break;
            }
            cursor = end;
            bool ok;
            if (a->kind == PPO_SPACE_BOX) {
                const double err = fabs(got - want) / (1.0 + fabs(want));
                *worst = fmax(*worst, err);
                ok = err <= PPO_EXPORT_BOX_TOL;
            } else {
                const uint32_t n = a->kind == PPO_SPACE_DISCRETE ? a->n : a->nvec[k];
                ok = got == want;
                if (!ok && logits_tie(dists + (size_t)r * P + off, n, (long)got, (long)want)) {
                    ok = true;
                    (*ties)++;
                }
                off += n;
            }
            if (!ok) {
                char *row = describe_row(t, o, r);
                const uint32_t T = o->n / o->streams;
                char *where = o->streams > 1
                                  ? g_strdup_printf("episode %u, step %u (row %u)", r / T, r % T, r)
                                  : g_strdup_printf("%u", r);
                char *which = A > 1 ? g_strdup_printf("component %u of the exported action", k)
                                    : g_strdup("the exported action");
                *detail = g_strdup_printf(
                    "observation %s %s: %s is %.9g, the plugin's deterministic act gives %.9g%s; "
                    "the exported C computes other actions than the policy",
                    where, row, which, got, want,
                    a->kind == PPO_SPACE_BOX ? " (beyond the relative tolerance 1e-4)" : "");
                g_free(which);
                g_free(row);
                g_free(where);
                st = PPO_EXPORT_MISMATCH;
            }
        }
    }
    g_free(text);
    return st;
}

/* ---- the whole verification ---- */

static bool copy_file(const char *from, const char *to)
{
    char *text = NULL;
    gsize len = 0;
    bool ok = g_file_get_contents(from, &text, &len, NULL) &&
              g_file_set_contents(to, text, (gssize)len, NULL);
    g_free(text);
    return ok;
}

ppo_export_status_t ppo_export_verify(const ppo_export_target_t *t, const char *c_path,
                                      const char *h_path, char **detail)
{
    const ppo_space_t *a = t->act_space;
    const uint32_t A = ppo_space_action_floats(a);
    char *what = NULL, *why = NULL;
    char **cc = ppo_export_compiler(t->cc, &what);
    if (cc == NULL) {
        *detail = g_strdup_printf("%s; the exported file was not compiled or compared (install a "
                                  "C compiler, or set CC)",
                                  what);
        g_free(what);
        return PPO_EXPORT_NO_COMPILER;
    }
    ppo_export_status_t st = PPO_EXPORT_ERROR;
    *detail = NULL;
    char *dir = g_dir_make_tmp("ppofw-export-XXXXXX", NULL);
    if (dir == NULL) {
        *detail = g_strdup_printf("cannot make a temporary directory: %s", g_strerror(errno));
        g_strfreev(cc);
        return PPO_EXPORT_ERROR;
    }
    const char *const names[] = {"policy.c", "policy.h",   "policy.o", "policy.log",  "driver.c",
                                 "driver",   "driver.log", "obs.txt",  "actions.txt", "run.log"};
    char *path[G_N_ELEMENTS(names)];
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        path[i] = g_build_filename(dir, names[i], NULL);
    enum { P_C, P_H, P_O, P_CLOG, P_DRV, P_EXE, P_DLOG, P_OBS, P_ACT, P_RLOG };
    char **argv = NULL;
    obs_set_t obs = {0};
    float *actions = NULL, *dists = NULL;
    GBytes *driver = NULL;

    /* the file alone: is it C? */
    if (!copy_file(c_path, path[P_C]) || (h_path != NULL && !copy_file(h_path, path[P_H]))) {
        *detail = g_strdup_printf("cannot copy %s into %s", c_path, dir);
        goto out;
    }
    argv = compiler_argv(cc, "-std=c99", "-pedantic", "-Wall", "-Wextra", "-c", "policy.c", "-o",
                         "policy.o", NULL);
    int rc = run(argv, dir, path[P_CLOG], VERIFY_COMPILE_SECONDS, &why);
    g_strfreev(argv);
    argv = NULL;
    if (rc != 0) {
        char *head = rc == INT32_MIN ? g_strdup_printf(" %s", why) : log_head(path[P_CLOG]);
        *detail = g_strdup_printf("the file does not compile as C99 on its own (%s -std=c99 "
                                  "-pedantic -c policy.c):%s",
                                  cc[0], head);
        g_free(head);
        st = rc == INT32_MIN ? PPO_EXPORT_ERROR : PPO_EXPORT_NOT_C;
        goto out;
    }
    char *warnings = NULL;
    gsize wlen = 0;
    if (g_file_get_contents(path[P_CLOG], &warnings, &wlen, NULL) && wlen > 0) {
        g_free(warnings);
        warnings = log_head(path[P_CLOG]);
    } else {
        g_free(warnings);
        warnings = NULL;
    }

    /* the driver around it: the contract's prototype and macros */
    static gsize registered = 0;
    if (g_once_init_enter(&registered)) {
        ppo_core_register_resource();
        g_once_init_leave(&registered, 1);
    }
    driver = g_resource_lookup_data(ppo_core_get_resource(), VERIFY_DRIVER_RESOURCE,
                                    G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
    gsize dlen = 0;
    const char *dtext = driver != NULL ? g_bytes_get_data(driver, &dlen) : NULL;
    if (dtext == NULL || !g_file_set_contents(path[P_DRV], dtext, (gssize)dlen, NULL)) {
        *detail = g_strdup_printf("cannot write the driver into %s", dir);
        g_free(warnings);
        goto out;
    }
    GString *nvec = g_string_new("-DPPO_DRIVER_NVEC={");
    for (uint32_t k = 0; a->kind == PPO_SPACE_MULTI_DISCRETE && k < a->dim; k++)
        g_string_append_printf(nvec, "%s%u", k > 0 ? "," : "", a->nvec[k]);
    g_string_append_c(nvec, '}');
    char *d_kind = g_strdup_printf("-DPPO_DRIVER_KIND=%d", a->kind == PPO_SPACE_DISCRETE ? 1
                                                           : a->kind == PPO_SPACE_BOX    ? 2
                                                                                         : 3);
    char *d_obs = g_strdup_printf("-DPPO_DRIVER_OBS_DIM=%u", t->obs_space->dim);
    char *d_act = g_strdup_printf("-DPPO_DRIVER_ACT_DIM=%u", A);
    char *d_n =
        g_strdup_printf("-DPPO_DRIVER_N_ACTIONS=%u", a->kind == PPO_SPACE_DISCRETE ? a->n : 0);
    char *d_u8 = g_strdup_printf("-DPPO_DRIVER_UINT8=%d", t->obs_space->dtype == PPO_DTYPE_UINT8);
    char *d_s = g_strdup_printf("-DPPO_DRIVER_STATE_SIZE=%u", t->state_size);
    argv =
        compiler_argv(cc, "-std=c99", "-O2", "-I.", d_kind, d_obs, d_act, d_n, d_u8, d_s, nvec->str,
                      h_path != NULL ? "-DPPO_DRIVER_HEADER=1" : "-DPPO_DRIVER_HEADER=0",
                      "driver.c", "-o", "driver", "-lm", NULL);
    g_string_free(nvec, TRUE);
    g_free(d_kind);
    g_free(d_obs);
    g_free(d_act);
    g_free(d_n);
    g_free(d_u8);
    g_free(d_s);
    rc = run(argv, dir, path[P_DLOG], VERIFY_COMPILE_SECONDS, &why);
    g_strfreev(argv);
    argv = NULL;
    if (rc != 0) {
        char *head = rc == INT32_MIN ? g_strdup_printf(" %s", why) : log_head(path[P_DLOG]);
        *detail = g_strdup_printf(
            "the file compiles but does not follow PPO_EXPORT_CONTRACT (<ppofw/policy.h>): a "
            "driver declaring the contract's ppo_policy_act%s for these spaces and checking its "
            "macros%s does not build:%s",
            t->state_size > 0 ? " and ppo_policy_reset" : "",
            h_path != NULL ? ", with the --header file included first," : "", head);
        g_free(head);
        g_free(warnings);
        st = rc == INT32_MIN ? PPO_EXPORT_ERROR : PPO_EXPORT_CONTRACT;
        goto out;
    }

    /* the observations, the program's actions, the plugin's */
    make_obs(t, &obs);
    ppo_plugin_enter(t->plugin, "dist_size");
    const uint32_t P = t->plugin->vt.policy.dist_size(t->inst);
    ppo_plugin_leave();
    actions = g_new0(float, (size_t)obs.n *A);
    dists = g_new0(float, (size_t)obs.n *P);
    if (!write_obs(t, &obs, path[P_OBS])) {
        *detail = g_strdup_printf("cannot write %s", path[P_OBS]);
        g_free(warnings);
        goto out;
    }
    char *run_argv[] = {path[P_EXE], path[P_OBS], path[P_ACT], NULL};
    rc = run(run_argv, dir, path[P_RLOG], VERIFY_RUN_SECONDS, &why);
    if (rc != 0) {
        char *head = log_head(path[P_RLOG]);
        *detail = rc == 3 ? g_strdup("PPO_POLICY_NVEC differs from the action space's nvec "
                                     "(PPO_EXPORT_CONTRACT)")
                  : rc == INT32_MIN ? g_strdup_printf("the compiled program: %s", why)
                  : rc < 0 ? g_strdup_printf("the compiled program was killed by signal %d "
                                             "(does the exported code read or write out of "
                                             "bounds?):%s",
                                             -1 - rc, head)
                           : g_strdup_printf("the compiled program exited with %d:%s", rc, head);
        g_free(head);
        g_free(warnings);
        st = PPO_EXPORT_MISMATCH;
        goto out;
    }
    if ((rc = plugin_actions(t, &obs, P, actions, dists)) != 0) {
        char *reason = ppo_host_take_error();
        *detail = g_strdup_printf("the plugin's deterministic act failed: %s",
                                  reason != NULL ? reason : "no reason given");
        g_free(reason);
        g_free(warnings);
        goto out;
    }
    uint32_t ties = 0;
    double worst = 0.0;
    char *mismatch = NULL;
    st = compare(t, &obs, path[P_ACT], actions, dists, P, &ties, &worst, &mismatch);
    if (st != PPO_EXPORT_OK) {
        *detail = mismatch;
        g_free(warnings);
        goto out;
    }
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%u observations", obs.n);
    if (t->state_size > 0)
        g_string_append_printf(s, " (%u episodes stepped with their state, resets inside them)",
                               obs.streams);
    else
        g_string_append(s, " (random in the box, and its edges)");
    if (a->kind == PPO_SPACE_BOX)
        g_string_append_printf(s, ": every action within %.2g of act's (tolerance %g)", worst,
                               PPO_EXPORT_BOX_TOL);
    else
        g_string_append(s, ": every action equals act's");
    if (ties > 0)
        g_string_append_printf(s, " (%u where the plugin's logits tie to rounding)", ties);
    if (warnings != NULL) {
        g_string_append_printf(s, "; compiling it with -Wall -Wextra warned:%s", warnings);
        st = PPO_EXPORT_WARNINGS;
    }
    g_free(warnings);
    *detail = g_string_free(s, FALSE);
out:
    if (driver != NULL)
        g_bytes_unref(driver);
    obs_set_clear(&obs);
    g_free(actions);
    g_free(dists);
    g_free(why);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_unlink(path[i]);
        g_free(path[i]);
    }
    g_rmdir(dir);
    g_free(dir);
    g_strfreev(cc);
    return st;
}
