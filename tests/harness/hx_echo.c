/* ppofw test fixture — an env that shows the action it was handed, for the testing API's suite.
 *
 * The action space is a box of two floats in [-1, 1] x [0, 3]; the observation (a box of two,
 * unbounded) is the action the last step received, exactly, and the reward its first element. It
 * terminates after 5 steps. Unlike the shipped envs, it clips nothing itself, so what it shows is
 * what the caller passed: the core's clipped action.
 */
#include <math.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

static const double act_low[2] = {-1.0, 0.0}, act_high[2] = {1.0, 3.0};
static const double obs_low[2] = {-HUGE_VAL, -HUGE_VAL}, obs_high[2] = {HUGE_VAL, HUGE_VAL};

typedef struct echo {
    const ppo_host_t *host; /* services, valid until destroy */
    int steps;              /* steps since reset */
} echo_t;

static void *echo_create(const ppo_host_t *host, const ppo_params_t *params)
{
    echo_t *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    e->host = host;
    return e;
}

static void echo_destroy(void *inst)
{
    free(inst);
}

static int echo_spaces(void *inst, ppo_space_t *obs_space, ppo_space_t *act_space)
{
    *obs_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                               .kind = PPO_SPACE_BOX,
                               .dim = 2,
                               .low = obs_low,
                               .high = obs_high};
    *act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                               .kind = PPO_SPACE_BOX,
                               .dim = 2,
                               .low = act_low,
                               .high = act_high};
    return 0;
}

static int echo_reset(void *inst, ppo_rng_t *rng, float *obs_out)
{
    echo_t *e = inst;
    e->steps = 0;
    obs_out[0] = (float)ppo_rng_uniform(rng);
    obs_out[1] = 0.0f;
    return 0;
}

static int echo_step(void *inst, const float *action, ppo_rng_t *rng, float *obs_out,
                     double *reward_out, int *terminated_out)
{
    echo_t *e = inst;
    obs_out[0] = action[0];
    obs_out[1] = action[1];
    *reward_out = action[0];
    *terminated_out = ++e->steps >= 5;
    return 0;
}

static const ppo_env_vtable_t echo_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .create = echo_create,
    .destroy = echo_destroy,
    .spaces = echo_spaces,
    .reset = echo_reset,
    .step = echo_step,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "hx_echo", "1.0.0", "show the action handed to step", NULL, 0,
                  &echo_vtable)
