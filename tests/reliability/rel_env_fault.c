/* ppofw reliability fixture "rel_env_fault" — an env that goes wrong on purpose after K steps.
 *
 * The one-dimensional walk of tests/fixtures/fx_walk.h (observation x, action 1 steps right and
 * 0 left by 0.25, reward 1, terminated at |x| >= 1), with state access so runs resume exactly,
 * and a fault injected at the `fault_at`-th step call of an instance (counted from 1 in each
 * process, never saved in the state: a resumed process counts again from 0):
 *   nan_obs     the observation becomes NaN
 *   nan_reward  the reward becomes NaN
 *   inf_reward  the reward becomes +Inf
 *   segv        a write into the unmapped first page: SIGSEGV
 *   bus         a read of a mapped page past the end of its (shrunk) memory file: SIGBUS
 *   none        no fault
 * Only the instance numbered `instance` (instances are numbered 0, 1, ... in the order they are
 * created in the process) faults; -1 makes every instance fault. `step_delay_us` slows each step
 * down so a test can signal a run mid-iteration. What it leaves out: randomness and rendering.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ppofw/ppofw.h>

#define REL_STEP 0.25

static const char *const rel_fault_choices[] = {"none", "nan_obs", "nan_reward", "inf_reward",
                                                "segv", "bus",     NULL};

enum { FAULT_NONE, FAULT_NAN_OBS, FAULT_NAN_REWARD, FAULT_INF_REWARD, FAULT_SEGV, FAULT_BUS };

static const ppo_param_spec_t rel_env_fault_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_ENUM,
        .name = "fault",
        .default_value = "none",
        .choices = rel_fault_choices,
        .doc = "what goes wrong at step fault_at",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_INT,
        .name = "fault_at",
        .default_value = "1",
        .min = 1,
        .doc = "the step call (per instance, counted from 1 in this process) that faults",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_INT,
        .name = "instance",
        .default_value = "-1",
        .min = -1,
        .doc = "the instance (creation order) that faults; -1 for all",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_INT,
        .name = "step_delay_us",
        .default_value = "0",
        .min = 0,
        .doc = "microseconds each step sleeps, to make a run slow enough to interrupt",
    },
};

/* instances created in this process, for `instance` */
static atomic_uint rel_created;

typedef struct {
    const ppo_host_t *host;
    int fault;
    int64_t fault_at;
    int faulty;       /* this instance faults */
    int64_t calls;    /* step calls so far in this process */
    int64_t delay_us; /* sleep per step */
    double x;         /* position: the whole state */
    double obs_low[1], obs_high[1];
} rel_env_t;

static void *rel_create(const ppo_host_t *host, const ppo_params_t *params)
{
    rel_env_t *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    e->host = host;
    e->fault = ppo_params_get_enum_index(params, "fault");
    e->fault_at = ppo_params_get_int(params, "fault_at");
    const int64_t which = ppo_params_get_int(params, "instance");
    const unsigned id = atomic_fetch_add(&rel_created, 1u);
    e->delay_us = ppo_params_get_int(params, "step_delay_us");
    e->faulty = which < 0 || (int64_t)id == which;
    e->obs_low[0] = -HUGE_VAL;
    e->obs_high[0] = HUGE_VAL;
    return e;
}

static void rel_destroy(void *inst)
{
    free(inst);
}

static int rel_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    rel_env_t *e = inst;
    obs_space->kind = PPO_SPACE_BOX;
    obs_space->n = 0;
    obs_space->dim = 1;
    obs_space->low = e->obs_low;
    obs_space->high = e->obs_high;
    act_space->kind = PPO_SPACE_DISCRETE;
    act_space->n = 2;
    act_space->dim = 1;
    act_space->low = NULL;
    act_space->high = NULL;
    return 0;
}

static int rel_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    rel_env_t *e = inst;
    (void)rng;
    e->x = 0.0;
    obs_out[0] = (float)e->x;
    return 0;
}

/* A genuine SIGBUS: touch a shared mapping of a memory file after shrinking the file to 0. */
static void rel_raise_sigbus(void)
{
    const long page = sysconf(_SC_PAGESIZE);
    int fd = memfd_create("rel_env_fault", 0);
    if (fd < 0 || ftruncate(fd, page) != 0)
        abort();
    volatile char *p = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || ftruncate(fd, 0) != 0)
        abort();
    (void)p[0];
    abort(); /* not reached */
}

static int rel_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                    double *reward_out, int *terminated_out)
{
    rel_env_t *e = inst;
    (void)rng;
    e->calls++;
    if (e->delay_us > 0)
        usleep((useconds_t)e->delay_us);
    e->x += PPO_DISCRETE_ACTION(action) == 1 ? REL_STEP : -REL_STEP;
    obs_out[0] = (float)e->x;
    *reward_out = 1.0;
    *terminated_out = fabs(e->x) >= 1.0;
    if (!e->faulty || e->calls != e->fault_at)
        return 0;
    switch (e->fault) {
    case FAULT_NAN_OBS:
        obs_out[0] = NAN;
        break;
    case FAULT_NAN_REWARD:
        *reward_out = NAN;
        break;
    case FAULT_INF_REWARD:
        *reward_out = INFINITY;
        break;
    case FAULT_SEGV: {
        /* an address in the never-mapped first page (not NULL itself, which UBSan would
         * report before the signal) */
        volatile int *volatile nowhere = (volatile int *)(uintptr_t)64;
        *nowhere = 1;
        break;
    }
    case FAULT_BUS:
        rel_raise_sigbus();
        break;
    default:
        break;
    }
    return 0;
}

static size_t rel_state_size(void *inst)
{
    (void)inst;
    return 1;
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

static const ppo_env_vtable_t rel_env_fault_vtable = {
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

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "rel_env_fault", "1.0.0",
                  "reliability fixture: a walk that writes NaN/Inf or crashes at a chosen step",
                  rel_env_fault_params, PPO_ARRAY_LEN(rel_env_fault_params), &rel_env_fault_vtable)
