/* @NAME@ — a ppofw optimizer plugin.
 *
 * The guide to writing and testing plugins: @DOCDIR@/plugin-guide.md;
 * the API in brief: man ppofw-plugin.
 *
 * The update, as written by `ppofw new-plugin optimizer @NAME@`: SGD with momentum,
 * v = momentum v + g, p -= lr v. The velocity v is the optimizer's state: one float per
 * parameter in an array the core owns, zeroes before the first step, checkpoints and (under MPI)
 * broadcasts. Replace the update with yours; keep the state in that array.
 *
 * Every optimizer declares a double parameter `lr`; the core's schedule (ppo.lr_schedule) scales
 * it and passes the result to step().
 */
#include <stdlib.h>

#include <ppofw/ppofw.h>

typedef struct @NAME@ {
    const ppo_host_t *host;
    double momentum;
} @NAME@_t;

static const ppo_param_spec_t @NAME@_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "lr",
        .default_value = "1e-3",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE,
        .min = 0,
        .doc = "learning rate (scaled by ppo.lr_schedule)",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "momentum",
        .default_value = "0.9",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_MAX_EXCLUSIVE,
        .min = 0,
        .max = 1,
        .doc = "momentum of the velocity",
    },
};

static void *@NAME@_create(const ppo_host_t *host, const ppo_params_t *params)
{
    @NAME@_t *opt = calloc(1, sizeof(*opt));
    if (opt == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    opt->host = host;
    opt->momentum = ppo_params_get_double(params, "momentum");
    return opt;
}

static void @NAME@_destroy(void *inst)
{
    free(inst);
}

static uint32_t @NAME@_state_floats_per_param(void *inst)
{
    return 1;
}

/* The update of elements [j0, j1). Each element's update reads that element alone, so the
 * core may run disjoint ranges on its threads at once (step_range); drop step_range from the
 * vtable if yours ever reads across elements (a global norm, per-layer statistics). */
static int @NAME@_step_range(void *inst, float *params, const float *grads, float *state,
                             size_t n, size_t j0, size_t j1, double lr, uint64_t t)
{
    const @NAME@_t *opt = inst;
    const float mu = (float)opt->momentum, rate = (float)lr;
    for (size_t i = j0; i < j1; i++) {
        state[i] = mu * state[i] + grads[i];
        params[i] -= rate * state[i];
    }
    return 0;
}

static int @NAME@_step(void *inst, float *params, const float *grads, float *state, size_t n,
                       double lr, uint64_t t)
{
    return @NAME@_step_range(inst, params, grads, state, n, 0, n, lr, t);
}

static const ppo_optimizer_vtable_t @NAME@_vtable = {
    .struct_size = sizeof(ppo_optimizer_vtable_t),
    .create = @NAME@_create,
    .destroy = @NAME@_destroy,
    .state_floats_per_param = @NAME@_state_floats_per_param,
    .step = @NAME@_step,
    .step_range = @NAME@_step_range,
};

PPO_PLUGIN_DEFINE(PPO_KIND_OPTIMIZER, "@NAME@", "0.1.0", "SGD with momentum", @NAME@_params,
                  PPO_ARRAY_LEN(@NAME@_params), &@NAME@_vtable)
