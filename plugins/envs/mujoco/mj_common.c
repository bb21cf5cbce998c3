/* ppofw MuJoCo envs — the shared model, the guarded simulation calls and the resume state
 * (see mj_common.h for the contract).
 *
 * Left out: anything task-specific (observations, rewards, termination, reset noise live in each
 * plugin's file) and any process-wide MuJoCo setting: mju_user_error, mju_user_warning and the
 * mjcb_* callbacks stay as the host left them.
 */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mj_common.h"

/* MuJoCo 2.2.2 keeps a per-thread error and warning handler that take precedence over the
 * process-wide mju_user_error / mju_user_warning. libmujoco exports the accessors without
 * declaring them in its headers; weak references let create refuse a library without them. */
typedef void (*mj_message_fn)(const char *msg);
void _mjPRIVATE__set_tls_error_fn(mj_message_fn fn) __attribute__((weak));
mj_message_fn _mjPRIVATE__get_tls_error_fn(void) __attribute__((weak));
void _mjPRIVATE__set_tls_warning_fn(mj_message_fn fn) __attribute__((weak));
mj_message_fn _mjPRIVATE__get_tls_warning_fn(void) __attribute__((weak));

/* Where a MuJoCo error raised on this thread returns to, and its text. */
static _Thread_local jmp_buf *tls_jump;
static _Thread_local char tls_error_text[512];

/* Handlers installed on the calling thread while a guarded call runs. */
typedef struct guard {
    mj_message_fn prev_error;   /* the thread's error handler before the guard */
    mj_message_fn prev_warning; /* the thread's warning handler before the guard */
    jmp_buf *prev_jump;         /* an enclosing guard's return point, or NULL */
} guard_t;

static void on_mujoco_error(const char *msg)
{
    snprintf(tls_error_text, sizeof(tls_error_text), "%s", msg);
    if (tls_jump == NULL)
        abort();
    longjmp(*tls_jump, 1);
}

static void on_mujoco_warning(const char *msg)
{
    /* the instance's mjData counts every warning; the step reports it from there */
}

static bool have_thread_handlers(void)
{
    return _mjPRIVATE__set_tls_error_fn != NULL && _mjPRIVATE__get_tls_error_fn != NULL &&
           _mjPRIVATE__set_tls_warning_fn != NULL && _mjPRIVATE__get_tls_warning_fn != NULL;
}

/* Install this thread's handlers; `jump` must be armed with setjmp right after. */
static void guard_enter(guard_t *g, jmp_buf *jump)
{
    g->prev_error = _mjPRIVATE__get_tls_error_fn();
    g->prev_warning = _mjPRIVATE__get_tls_warning_fn();
    g->prev_jump = tls_jump;
    tls_jump = jump;
    _mjPRIVATE__set_tls_error_fn(on_mujoco_error);
    _mjPRIVATE__set_tls_warning_fn(on_mujoco_warning);
}

static void guard_leave(const guard_t *g)
{
    _mjPRIVATE__set_tls_error_fn(g->prev_error);
    _mjPRIVATE__set_tls_warning_fn(g->prev_warning);
    tls_jump = g->prev_jump;
}

int ppo_mj_call_guarded(void (*fn)(void *arg), void *arg, const char **error_text)
{
    jmp_buf jump;
    guard_t g;
    guard_enter(&g, &jump);
    if (setjmp(jump) != 0) {
        guard_leave(&g);
        *error_text = tls_error_text;
        return -1;
    }
    fn(arg);
    guard_leave(&g);
    return 0;
}

/* Refuse a library whose major.minor differs from the headers the plugin was built with. */
static int check_version(const ppo_host_t *host, const char *env_name)
{
    const int lib = mj_version();
    if (lib / 10 != mjVERSION_HEADER / 10) {
        host->error(host,
                    "%s: the MuJoCo library is version %s (%d) but this plugin was built with "
                    "the headers of %d.%d.%d; rebuild ppofw against the installed MuJoCo or "
                    "install MuJoCo %d.%d",
                    env_name, mj_versionString(), lib, mjVERSION_HEADER / 100,
                    mjVERSION_HEADER / 10 % 10, mjVERSION_HEADER % 10, mjVERSION_HEADER / 100,
                    mjVERSION_HEADER / 10 % 10);
        return -1;
    }
    if (!have_thread_handlers()) {
        host->error(host,
                    "%s: the MuJoCo library %s lacks the thread-local error handlers of 2.2.2; "
                    "install MuJoCo 2.2.2 (Debian libmujoco-dev)",
                    env_name, mj_versionString());
        return -1;
    }
    return 0;
}

/* mj_loadXML with a MuJoCo error caught: then NULL with *caught set. (transfer full) */
static mjModel *load_xml_guarded(const char *file_name, const mjVFS *vfs, char *load_error,
                                 int error_size, bool *caught)
{
    jmp_buf jump;
    guard_t g;
    guard_enter(&g, &jump);
    if (setjmp(jump) != 0) {
        guard_leave(&g);
        *caught = true;
        return NULL;
    }
    mjModel *model = mj_loadXML(file_name, vfs, load_error, error_size);
    guard_leave(&g);
    return model;
}

/* Compile the embedded MJCF text through a virtual file system. (transfer full) */
static mjModel *compile_model(const ppo_mj_model_t *shared, const ppo_host_t *host)
{
    char load_error[1024] = "";
    bool caught = false;
    mjModel *model = NULL;
    mjVFS *vfs = malloc(sizeof(*vfs)); /* about 2 MB: too large for a thread's stack */
    if (vfs == NULL) {
        host->error(host, "%s: out of memory for MuJoCo's virtual file system", shared->env_name);
        return NULL;
    }
    mj_defaultVFS(vfs);
    if (mj_makeEmptyFileVFS(vfs, shared->file_name, (int)shared->xml_len) != 0) {
        host->error(host, "%s: cannot add %s to MuJoCo's virtual file system", shared->env_name,
                    shared->file_name);
        goto out_free_vfs;
    }
    memcpy(vfs->filedata[vfs->nfile - 1], shared->xml, shared->xml_len);

    /* parse and compile; a MuJoCo error comes back here instead of ending the process */
    model = load_xml_guarded(shared->file_name, vfs, load_error, (int)sizeof(load_error), &caught);
    if (caught)
        host->error(host, "%s: MuJoCo failed while compiling the embedded model: %s",
                    shared->env_name, tls_error_text);
    else if (model == NULL)
        host->error(host, "%s: MuJoCo cannot compile the embedded model %s: %s", shared->env_name,
                    shared->file_name, load_error);
    else if (load_error[0] != '\0')
        host->log(host, PPO_LOG_WARNING, "%s: compiling %s: %s", shared->env_name,
                  shared->file_name, load_error);

    mj_deleteVFS(vfs);
out_free_vfs:
    free(vfs);
    return model;
}

/* mj_makeData with a MuJoCo error (out of memory) caught: then NULL. (transfer full) */
static mjData *make_data_guarded(const mjModel *m)
{
    jmp_buf jump;
    guard_t g;
    guard_enter(&g, &jump);
    if (setjmp(jump) != 0) {
        guard_leave(&g);
        return NULL;
    }
    mjData *d = mj_makeData(m);
    guard_leave(&g);
    return d;
}

/* Take a reference on the shared model, compiling it on first use. (transfer none) */
static const mjModel *model_acquire(ppo_mj_model_t *shared, const ppo_host_t *host)
{
    const mjModel *m = NULL;
    pthread_mutex_lock(&shared->lock);
    if (shared->model == NULL)
        shared->model = compile_model(shared, host);
    if (shared->model != NULL) {
        shared->n_users++;
        m = shared->model;
    }
    pthread_mutex_unlock(&shared->lock);
    return m;
}

static void model_release(ppo_mj_model_t *shared)
{
    pthread_mutex_lock(&shared->lock);
    if (shared->n_users > 0 && --shared->n_users == 0) {
        mj_deleteModel(shared->model);
        shared->model = NULL;
    }
    pthread_mutex_unlock(&shared->lock);
}

int ppo_mj_env_init(ppo_mj_env_t *env, const ppo_host_t *host, ppo_mj_model_t *shared,
                    int frame_skip, uint32_t obs_dim, bool post_constraint,
                    ppo_mj_observe_fn observe)
{
    memset(env, 0, sizeof(*env));
    env->host = host;
    env->observe = observe;
    if (check_version(host, shared->env_name) < 0)
        return -1;
    env->m = model_acquire(shared, host);
    if (env->m == NULL)
        return -1;
    env->shared = shared;
    env->frame_skip = frame_skip;
    env->dt = env->m->opt.timestep * frame_skip;
    env->post_constraint = post_constraint;
    env->obs_dim = obs_dim;

    /* the instance's own data and the bounds of its spaces */
    const int nu = env->m->nu;
    env->d = make_data_guarded(env->m);
    env->act_low = malloc(sizeof(double) * (size_t)nu);
    env->act_high = malloc(sizeof(double) * (size_t)nu);
    env->obs_low = malloc(sizeof(double) * obs_dim);
    env->obs_high = malloc(sizeof(double) * obs_dim);
    if (env->d == NULL || env->act_low == NULL || env->act_high == NULL || env->obs_low == NULL ||
        env->obs_high == NULL) {
        host->error(host, "%s: out of memory for an instance", shared->env_name);
        ppo_mj_env_fini(env);
        return -1;
    }
    for (int i = 0; i < nu; i++) {
        env->act_low[i] = env->m->actuator_ctrlrange[2 * i];
        env->act_high[i] = env->m->actuator_ctrlrange[2 * i + 1];
    }
    for (uint32_t i = 0; i < obs_dim; i++) {
        env->obs_low[i] = -HUGE_VAL;
        env->obs_high[i] = HUGE_VAL;
    }
    return 0;
}

void ppo_mj_env_fini(ppo_mj_env_t *env)
{
    if (env == NULL)
        return;
    free(env->act_low);
    free(env->act_high);
    free(env->obs_low);
    free(env->obs_high);
    ppo_mj_render_free(env->render);
    if (env->d != NULL)
        mj_deleteData(env->d);
    if (env->shared != NULL)
        model_release(env->shared);
    memset(env, 0, sizeof(*env));
}

void ppo_mj_spaces(const ppo_mj_env_t *env, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    *obs_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .n = 0,
        .dim = env->obs_dim,
        .low = env->obs_low,
        .high = env->obs_high,
    };
    *act_space = (ppo_space_t){
        .struct_size = sizeof(ppo_space_t),
        .kind = PPO_SPACE_BOX,
        .n = 0,
        .dim = (uint32_t)env->m->nu,
        .low = env->act_low,
        .high = env->act_high,
    };
}

void ppo_mj_reset_data(ppo_mj_env_t *env)
{
    mj_resetData(env->m, env->d);
}

int ppo_mj_forward(ppo_mj_env_t *env)
{
    jmp_buf jump;
    guard_t g;
    guard_enter(&g, &jump);
    if (setjmp(jump) != 0) {
        guard_leave(&g);
        env->has_state = false;
        env->host->error(env->host, "%s: MuJoCo error in mj_forward at t=%.6g: %s; reset the env",
                         env->shared->env_name, env->d->time, tls_error_text);
        return -1;
    }
    mj_forward(env->m, env->d);
    if (env->post_constraint)
        mj_rnePostConstraint(env->m, env->d);
    guard_leave(&g);
    env->has_state = true;
    return 0;
}

/* The first non-finite entry of a (n) vector, or -1. */
static int first_bad(const mjtNum *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return i;
    return -1;
}

/* MuJoCo 2.2.2's warnings in words. (MuJoCo's own mju_warningText formats into one
 * process-wide buffer, so it is not safe to call while other instances step.) */
static const char *const warning_text[mjNWARNING] = {
    [mjWARN_INERTIA] = "inertia matrix too close to singular at DOF %d",
    [mjWARN_CONTACTFULL] = "pre-allocated contact buffer full (nconmax %d)",
    [mjWARN_CNSTRFULL] = "pre-allocated constraint buffer full (njmax %d)",
    [mjWARN_VGEOMFULL] = "pre-allocated visual geom buffer full (maxgeom %d)",
    [mjWARN_BADQPOS] = "NaN, Inf or huge value in qpos at DOF %d",
    [mjWARN_BADQVEL] = "NaN, Inf or huge value in qvel at DOF %d",
    [mjWARN_BADQACC] = "NaN, Inf or huge value in qacc at DOF %d",
    [mjWARN_BADCTRL] = "NaN, Inf or huge value in ctrl at actuator %d",
};

/* Fail the step if MuJoCo counted a warning or left a non-finite state. */
static int check_step(ppo_mj_env_t *env, double t_start)
{
    const mjModel *m = env->m;
    const mjData *d = env->d;
    for (int w = 0; w < mjNWARNING; w++) {
        if (d->warning[w].number > 0) {
            char what[128];
            snprintf(what, sizeof(what), warning_text[w], d->warning[w].lastinfo);
            env->host->error(env->host,
                             "%s: simulation unstable in the step from t=%.6g: MuJoCo warning "
                             "\"%s\" (%d time%s); reset the env, and check the actions and the "
                             "state it was set to",
                             env->shared->env_name, t_start, what, d->warning[w].number,
                             d->warning[w].number == 1 ? "" : "s");
            return -1;
        }
    }
    const struct {
        const char *name;
        const mjtNum *v;
        int n;
    } fields[] = {{"qpos", d->qpos, m->nq}, {"qvel", d->qvel, m->nv}, {"qacc", d->qacc, m->nv}};
    for (size_t f = 0; f < PPO_ARRAY_LEN(fields); f++) {
        const int i = first_bad(fields[f].v, fields[f].n);
        if (i >= 0) {
            env->host->error(env->host,
                             "%s: simulation unstable in the step from t=%.6g: %s[%d] is %g; "
                             "reset the env",
                             env->shared->env_name, t_start, fields[f].name, i, fields[f].v[i]);
            return -1;
        }
    }
    return 0;
}

int ppo_mj_simulate(ppo_mj_env_t *env, const float *action)
{
    const mjModel *m = env->m;
    mjData *d = env->d;
    const double t_start = d->time;

    /* the same ctrl for every substep; the warning counters cover this step only */
    for (int i = 0; i < m->nu; i++)
        d->ctrl[i] = (mjtNum)action[i];
    memset(d->warning, 0, sizeof(d->warning));

    jmp_buf jump;
    guard_t g;
    guard_enter(&g, &jump);
    if (setjmp(jump) != 0) {
        guard_leave(&g);
        env->has_state = false;
        env->host->error(env->host, "%s: MuJoCo error in the step from t=%.6g: %s; reset the env",
                         env->shared->env_name, t_start, tls_error_text);
        return -1;
    }
    for (int k = 0; k < env->frame_skip; k++)
        mj_step(m, d);
    if (env->post_constraint)
        mj_rnePostConstraint(m, d);
    guard_leave(&g);

    if (check_step(env, t_start) < 0) {
        env->has_state = false;
        return -1;
    }
    return 0;
}

int ppo_mj_require_state(const ppo_mj_env_t *env)
{
    if (!env->has_state) {
        env->host->error(env->host,
                         "%s: step called before reset (or after a failed step); call reset or "
                         "set_state first",
                         env->shared->env_name);
        return -1;
    }
    return 0;
}

size_t ppo_mj_state_size(const ppo_mj_env_t *env)
{
    const mjModel *m = env->m;
    return (size_t)m->nq + (size_t)m->nv + (size_t)m->na + 1 + (size_t)m->nv;
}

void ppo_mj_get_state(const ppo_mj_env_t *env, double *state_out)
{
    const mjModel *m = env->m;
    const mjData *d = env->d;
    double *p = state_out;
    memcpy(p, d->qpos, sizeof(double) * (size_t)m->nq);
    p += m->nq;
    memcpy(p, d->qvel, sizeof(double) * (size_t)m->nv);
    p += m->nv;
    if (m->na > 0)
        memcpy(p, d->act, sizeof(double) * (size_t)m->na);
    p += m->na;
    *p++ = d->time;
    memcpy(p, d->qacc_warmstart, sizeof(double) * (size_t)m->nv);
}

int ppo_mj_set_state(ppo_mj_env_t *env, const double *state)
{
    const mjModel *m = env->m;
    mjData *d = env->d;
    const double *qpos = state;
    const double *qvel = qpos + m->nq;
    const double *act = qvel + m->nv;
    const double time = act[m->na];
    const double *warmstart = act + m->na + 1;

    /* a clean slate (warnings, contacts, solver statistics), then the saved state */
    mj_resetData(m, d);
    memcpy(d->qpos, qpos, sizeof(double) * (size_t)m->nq);
    memcpy(d->qvel, qvel, sizeof(double) * (size_t)m->nv);
    if (m->na > 0)
        memcpy(d->act, act, sizeof(double) * (size_t)m->na);
    d->time = time;
    memcpy(d->qacc_warmstart, warmstart, sizeof(double) * (size_t)m->nv);

    /* derived quantities for the observation. mj_forward also normalizes free-joint
     * quaternions in qpos in place (not idempotent in the last bit) and leaves its own warm
     * start: put both back so the next step starts exactly where the saved one would have */
    if (ppo_mj_forward(env) < 0)
        return -1;
    memcpy(d->qpos, qpos, sizeof(double) * (size_t)m->nq);
    memcpy(d->qacc_warmstart, warmstart, sizeof(double) * (size_t)m->nv);
    return 0;
}

int ppo_mj_render_line(const ppo_mj_env_t *env, FILE *out, const char *coords)
{
    if (fprintf(out, "%s t=%.3f %s\n", env->shared->env_name, env->d->time, coords) < 0) {
        env->host->error(env->host, "%s: cannot write the rendered state", env->shared->env_name);
        return -1;
    }
    return 0;
}

int ppo_mj_range_param(const ppo_host_t *host, const ppo_params_t *params, const char *name,
                       size_t n_min, double range[2])
{
    const double *v = NULL;
    const size_t n = ppo_params_get_double_list(params, name, &v);
    if (n < n_min || n > 2) {
        if (n_min == 1)
            host->error(host, "%s: %s: expected [low] or [low, high], got %zu numbers",
                        ppo_params_where(params, name), name, n);
        else
            host->error(host, "%s: %s: expected [low, high], got %zu numbers",
                        ppo_params_where(params, name), name, n);
        return -1;
    }
    range[0] = v[0];
    range[1] = n == 2 ? v[1] : HUGE_VAL;
    if (!(range[0] < range[1])) {
        host->error(host, "%s: %s: low %g must be below high %g", ppo_params_where(params, name),
                    name, range[0], range[1]);
        return -1;
    }
    return 0;
}

double ppo_mj_sum_squares(const float *action, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += (double)action[i] * (double)action[i];
    return sum;
}

void ppo_mj_vt_destroy(void *inst)
{
    if (inst == NULL)
        return;
    ppo_mj_env_fini(inst);
    free(inst);
}

size_t ppo_mj_vt_state_size(void *inst)
{
    return ppo_mj_state_size(inst);
}

int ppo_mj_vt_get_state(void *inst, double *state_out)
{
    ppo_mj_get_state(inst, state_out);
    return 0;
}

int ppo_mj_vt_set_state(void *inst, const double *state, float *obs_out)
{
    ppo_mj_env_t *env = inst;
    if (ppo_mj_set_state(env, state) < 0)
        return -1;
    if (obs_out != NULL)
        env->observe(inst, obs_out);
    return 0;
}
