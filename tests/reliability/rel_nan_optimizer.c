/* ppofw reliability fixture "rel_nan_optimizer" — plain SGD that corrupts the parameters on cue.
 *
 * params -= lr * grads, except that at optimizer step `nan_at` (the core's step counter t,
 * from 1) it writes NaN into the first parameter, as a diverging optimizer would. The core must
 * stop with a numerical error naming the parameters and the iteration, and must not write that
 * state into a checkpoint. What it leaves out: state, momentum, weight decay.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

static const ppo_param_spec_t rel_nan_optimizer_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE,
        .type = PPO_PARAM_DOUBLE,
        .name = "lr",
        .default_value = "0.01",
        .min = 0.0,
        .doc = "learning rate",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_INT,
        .name = "nan_at",
        .default_value = "0",
        .min = 0,
        .doc = "the optimizer step (from 1) that writes NaN; 0 for never",
    },
};

typedef struct {
    uint64_t nan_at;
} rel_opt_t;

static void *rel_create(const ppo_host_t *host, const ppo_params_t *params)
{
    rel_opt_t *o = malloc(sizeof(*o));
    if (o == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    o->nan_at = (uint64_t)ppo_params_get_int(params, "nan_at");
    return o;
}

static void rel_destroy(void *inst)
{
    free(inst);
}

static uint32_t rel_state_floats(void *inst)
{
    (void)inst;
    return 0;
}

static int rel_step(void *inst, float *params, const float *grads, float *state, size_t n,
                    double lr, uint64_t t)
{
    const rel_opt_t *o = inst;
    (void)state;
    for (size_t i = 0; i < n; i++)
        params[i] -= (float)(lr * grads[i]);
    if (o->nan_at != 0 && t == o->nan_at && n > 0)
        params[0] = NAN;
    return 0;
}

static const ppo_optimizer_vtable_t rel_nan_optimizer_vtable = {
    .struct_size = sizeof(ppo_optimizer_vtable_t),
    .create = rel_create,
    .destroy = rel_destroy,
    .state_floats_per_param = rel_state_floats,
    .step = rel_step,
};

PPO_PLUGIN_DEFINE(PPO_KIND_OPTIMIZER, "rel_nan_optimizer", "1.0.0",
                  "reliability fixture: SGD that writes NaN into the parameters on cue",
                  rel_nan_optimizer_params, PPO_ARRAY_LEN(rel_nan_optimizer_params),
                  &rel_nan_optimizer_vtable)
