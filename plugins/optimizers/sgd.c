/* sgd — stochastic gradient descent with optional (Nesterov) momentum, as torch.optim.SGD.
 *
 * One step at learning rate lr (the core's scheduled value) and step count t (from 1), with
 * dampening 0:
 *
 *     g   = grad + weight_decay * p
 *     buf = g at t = 1, else momentum * buf + g        (only when momentum > 0)
 *     g   = g + momentum * buf if nesterov, else buf   (only when momentum > 0)
 *     p  -= lr * g
 *
 * State: 1 float per parameter (the momentum buffer) when momentum > 0, none otherwise.
 * Nesterov momentum needs momentum > 0; create refuses the combination, as PyTorch does.
 * Each element's update is computed in double and stored as float.
 *
 * Left out: dampening, maximize, per-segment parameter groups, and gradient clipping (the
 * core's). The `lr` parameter is only declared here: the core reads it, scales it by
 * ppo.lr_schedule and passes the result to every step.
 */
#include <stdbool.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

/* One optimizer instance: its validated hyperparameters. */
typedef struct sgd {
    const ppo_host_t *host; /* services, for step's error report */
    double momentum;        /* momentum factor, in [0, 1); 0 is plain SGD */
    bool nesterov;          /* Nesterov momentum (needs momentum > 0) */
    double weight_decay;    /* L2 coefficient added to the gradient, >= 0 */
} sgd_t;

static const ppo_param_spec_t sgd_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE,
        .type = PPO_PARAM_DOUBLE,
        .name = "lr",
        .default_value = "0.01",
        .min = 0.0,
        .doc = "learning rate; ppo.lr_schedule scales it over training",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_MAX_EXCLUSIVE,
        .type = PPO_PARAM_DOUBLE,
        .name = "momentum",
        .default_value = "0",
        .min = 0.0,
        .max = 1.0,
        .doc = "momentum factor (dampening 0); 0 is plain SGD and keeps no state",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "nesterov",
        .default_value = "false",
        .doc = "use Nesterov momentum; needs momentum > 0",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_DOUBLE,
        .name = "weight_decay",
        .default_value = "0",
        .min = 0.0,
        .doc = "L2 penalty added to the gradient as weight_decay * param",
    },
};

/* Read the hyperparameters into a new instance, refusing Nesterov without momentum; free it
 * with sgd_destroy. */
static void *sgd_create(const ppo_host_t *host, const ppo_params_t *params)
{
    const double momentum = ppo_params_get_double(params, "momentum");
    const bool nesterov = ppo_params_get_bool(params, "nesterov");
    if (nesterov && momentum == 0.0) {
        host->error(host,
                    "%s: optimizer.params.nesterov: Nesterov momentum needs momentum > 0, but "
                    "momentum is 0 (%s); set momentum to a value in (0, 1) such as 0.9, or set "
                    "nesterov to false",
                    ppo_params_where(params, "nesterov"), ppo_params_where(params, "momentum"));
        return NULL;
    }

    sgd_t *sgd = malloc(sizeof(*sgd));
    if (sgd == NULL) {
        host->error(host, "out of memory allocating the sgd instance (%zu bytes)", sizeof(*sgd));
        return NULL;
    }
    sgd->host = host;
    sgd->momentum = momentum;
    sgd->nesterov = nesterov;
    sgd->weight_decay = ppo_params_get_double(params, "weight_decay");
    return sgd;
}

static void sgd_destroy(void *inst)
{
    free(inst);
}

static uint32_t sgd_state_floats_per_param(void *inst)
{
    const sgd_t *sgd = inst;
    return sgd->momentum > 0.0 ? 1 : 0;
}

/* The step for elements [j0, j1); every element's update reads that element alone. */
static int sgd_step_range(void *inst, float *params, const float *grads, float *state, size_t n,
                          size_t j0, size_t j1, double lr, uint64_t t)
{
    const sgd_t *sgd = inst;
    if (t == 0) {
        sgd->host->error(sgd->host, "step count t must start at 1, got 0");
        return -1;
    }
    const double momentum = sgd->momentum, weight_decay = sgd->weight_decay;
    const bool nesterov = sgd->nesterov;
    float *buf = state; /* (n) momentum buffer when momentum > 0; unused (may be NULL) else */
    (void)n;

    for (size_t j = j0; j < j1; j++) {
        /* L2 weight decay enters through the gradient */
        double g = grads[j];
        if (weight_decay != 0.0)
            g += weight_decay * params[j];

        /* the momentum buffer starts from the first gradient, then accumulates */
        if (momentum > 0.0) {
            buf[j] = (float)(t == 1 ? g : momentum * buf[j] + g);
            g = nesterov ? g + momentum * (double)buf[j] : (double)buf[j];
        }

        params[j] = (float)(params[j] - lr * g);
    }
    return 0;
}

static int sgd_step(void *inst, float *params, const float *grads, float *state, size_t n,
                    double lr, uint64_t t)
{
    return sgd_step_range(inst, params, grads, state, n, 0, n, lr, t);
}

static const ppo_optimizer_vtable_t sgd_vtable = {
    .struct_size = sizeof(ppo_optimizer_vtable_t),
    .create = sgd_create,
    .destroy = sgd_destroy,
    .state_floats_per_param = sgd_state_floats_per_param,
    .step = sgd_step,
    .step_range = sgd_step_range,
};

PPO_PLUGIN_DEFINE(PPO_KIND_OPTIMIZER, "sgd", "1.0.0",
                  "Stochastic gradient descent with optional momentum, Nesterov momentum and L2 "
                  "weight decay, as torch.optim.SGD",
                  sgd_params, PPO_ARRAY_LEN(sgd_params), &sgd_vtable)
