/* ppofw reliability fixture "rel_env_misbehave" — an env that misbehaves in a chosen callback.
 *
 * The one-dimensional walk of rel_env_fault (observation x, action 1 steps right and 0 left by
 * 0.25, reward 1, terminated at |x| >= 1, with state access), and one misdeed, chosen by `fault`:
 *   abort_step      abort() in the `fault_at`-th step call (SIGABRT)
 *   exit_step       exit(0) in the `fault_at`-th step call
 *   segv_create     SIGSEGV in create
 *   segv_spaces     SIGSEGV in spaces
 *   segv_destroy    SIGSEGV in destroy
 *   overrun_1       step writes one float past its observation row
 *   overrun_4096    step writes 4096 floats past its observation row
 *   overrun_reset   reset writes one float past its observation row
 *   hang_step       the `fault_at`-th step call never returns
 *   hang_create     create never returns
 *   huge_state      state_size() says 2^40 doubles
 *   huge_error      create fails with a reason of one megabyte
 *   none            nothing
 * Step calls are counted per instance from 1 in each process. What it leaves out: randomness.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ppofw/ppofw.h>

#define REL_STEP 0.25

static const char *const rel_choices[] = {
    "none",         "abort_step",   "exit_step",     "segv_create", "segv_spaces",
    "segv_destroy", "overrun_1",    "overrun_4096",  "overrun_reset", "hang_step",
    "hang_create",  "huge_state",   "huge_error",    NULL};

enum {
    F_NONE,
    F_ABORT_STEP,
    F_EXIT_STEP,
    F_SEGV_CREATE,
    F_SEGV_SPACES,
    F_SEGV_DESTROY,
    F_OVERRUN_1,
    F_OVERRUN_4096,
    F_OVERRUN_RESET,
    F_HANG_STEP,
    F_HANG_CREATE,
    F_HUGE_STATE,
    F_HUGE_ERROR,
};

static const ppo_param_spec_t rel_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_ENUM,
        .name = "fault",
        .default_value = "none",
        .choices = rel_choices,
        .doc = "what goes wrong, and in which callback",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_INT,
        .name = "fault_at",
        .default_value = "1",
        .min = 1,
        .doc = "the step call (per instance, from 1 in this process) that misbehaves",
    },
};

typedef struct {
    int fault;
    int64_t fault_at;
    int64_t calls;
    double x;
    double obs_low[1], obs_high[1];
} rel_env_t;

/* A write into the never-mapped first page (not NULL itself, which UBSan reports first). */
static void rel_segv(void)
{
    volatile int *volatile nowhere = (volatile int *)(uintptr_t)64;
    *nowhere = 1;
}

static void rel_hang(void)
{
    for (;;)
        pause();
}

/* Write `n` floats past a row of one float, the way a buggy env would (the compiler must not see
 * through it). */
static void rel_overrun(float *obs_out, size_t n)
{
    volatile float *p = obs_out;
    for (size_t i = 1; i <= n; i++)
        p[i] = 7.0f;
}

static void *rel_create(const ppo_host_t *host, const ppo_params_t *params)
{
    rel_env_t *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    e->fault = ppo_params_get_enum_index(params, "fault");
    e->fault_at = ppo_params_get_int(params, "fault_at");
    e->obs_low[0] = -HUGE_VAL;
    e->obs_high[0] = HUGE_VAL;
    if (e->fault == F_SEGV_CREATE)
        rel_segv();
    if (e->fault == F_HANG_CREATE)
        rel_hang();
    if (e->fault == F_HUGE_ERROR) {
        const size_t n = (size_t)1 << 20;
        char *why = malloc(n + 1);
        if (why != NULL) {
            memset(why, 'x', n);
            why[n] = '\0';
            host->error(host, "%s", why);
            free(why);
        }
        free(e);
        return NULL;
    }
    return e;
}

static void rel_destroy(void *inst)
{
    rel_env_t *e = inst;
    if (e != NULL && e->fault == F_SEGV_DESTROY)
        rel_segv();
    free(inst);
}

static int rel_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    rel_env_t *e = inst;
    if (e->fault == F_SEGV_SPACES)
        rel_segv();
    obs_space->kind = PPO_SPACE_BOX;
    obs_space->dim = 1;
    obs_space->low = e->obs_low;
    obs_space->high = e->obs_high;
    act_space->kind = PPO_SPACE_DISCRETE;
    act_space->n = 2;
    act_space->dim = 1;
    return 0;
}

static int rel_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    rel_env_t *e = inst;
    (void)rng;
    e->x = 0.0;
    obs_out[0] = (float)e->x;
    if (e->fault == F_OVERRUN_RESET)
        rel_overrun(obs_out, 1);
    return 0;
}

static int rel_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                    double *reward_out, int *terminated_out)
{
    rel_env_t *e = inst;
    (void)rng;
    e->calls++;
    e->x += PPO_DISCRETE_ACTION(action) == 1 ? REL_STEP : -REL_STEP;
    obs_out[0] = (float)e->x;
    *reward_out = 1.0;
    *terminated_out = fabs(e->x) >= 1.0;
    if (e->calls < e->fault_at)
        return 0;
    switch (e->fault) {
    case F_ABORT_STEP:
        abort();
    case F_EXIT_STEP:
        exit(0);
    case F_OVERRUN_1:
        rel_overrun(obs_out, 1);
        break;
    case F_OVERRUN_4096:
        rel_overrun(obs_out, 4096);
        break;
    case F_HANG_STEP:
        rel_hang();
        break;
    default:
        break;
    }
    return 0;
}

static size_t rel_state_size(void *inst)
{
    rel_env_t *e = inst;
    return e->fault == F_HUGE_STATE ? (size_t)1 << 40 : 1;
}

static int rel_get_state(void *inst, double *state_out)
{
    state_out[0] = ((rel_env_t *)inst)->x;
    return 0;
}

static int rel_set_state(void *inst, const double *state, float *obs_out)
{
    rel_env_t *e = inst;
    e->x = state[0];
    if (obs_out != NULL)
        obs_out[0] = (float)e->x;
    return 0;
}

static const ppo_env_vtable_t rel_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 20,
    .create = rel_create,
    .destroy = rel_destroy,
    .spaces = rel_spaces,
    .reset = rel_reset,
    .step = rel_step,
    .state_size = rel_state_size,
    .get_state = rel_get_state,
    .set_state = rel_set_state,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "rel_env_misbehave", "1.0.0",
                  "reliability fixture: a walk that aborts, exits, crashes, hangs or overruns in "
                  "a chosen callback",
                  rel_params, PPO_ARRAY_LEN(rel_params), &rel_vtable)
