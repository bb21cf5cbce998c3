/* adam — the Adam optimizer with torch.optim.Adam's arithmetic, over the core's flat arrays.
 *
 * One step at learning rate lr (the core's scheduled value) and step count t (from 1):
 *
 *     g     = grad + weight_decay * p               (PyTorch's L2 form, not AdamW)
 *     m     = beta1 * m + (1 - beta1) * g
 *     v     = beta2 * v + (1 - beta2) * g * g
 *     denom = sqrt(v) / sqrt(1 - beta2^t) + eps
 *     p    -= (lr / (1 - beta1^t)) * m / denom
 *
 * State: 2 floats per parameter, the m block (n) then the v block (n); the core zeroes it before
 * the first step and checkpoints it. The bias corrections are computed in double (PyTorch's
 * Python floats); each element's update in float32, as PyTorch's float32 tensor ops do.
 *
 * Left out: AMSGrad, decoupled weight decay (AdamW), maximize, per-segment parameter groups, and
 * gradient clipping (the core clips the global norm before calling step). The `lr` parameter is
 * only declared here: the core reads it, scales it by ppo.lr_schedule and passes the result to
 * every step.
 */
#include <math.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

/* One optimizer instance: its validated hyperparameters. */
typedef struct adam {
    const ppo_host_t *host; /* services, for step's error report */
    double beta1;           /* decay of the first moment, in [0, 1) */
    double beta2;           /* decay of the second moment, in [0, 1) */
    double eps;             /* added to the bias-corrected sqrt(v), > 0 */
    double weight_decay;    /* L2 coefficient added to the gradient, >= 0 */
} adam_t;

static const ppo_param_spec_t adam_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE,
        .type = PPO_PARAM_DOUBLE,
        .name = "lr",
        .default_value = "3e-4",
        .min = 0.0,
        .doc = "learning rate; ppo.lr_schedule scales it over training",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_MAX_EXCLUSIVE,
        .type = PPO_PARAM_DOUBLE,
        .name = "beta1",
        .default_value = "0.9",
        .min = 0.0,
        .max = 1.0,
        .doc = "decay rate of the running mean of gradients (first moment)",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_MAX_EXCLUSIVE,
        .type = PPO_PARAM_DOUBLE,
        .name = "beta2",
        .default_value = "0.999",
        .min = 0.0,
        .max = 1.0,
        .doc = "decay rate of the running mean of squared gradients (second moment)",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE,
        .type = PPO_PARAM_DOUBLE,
        .name = "eps",
        .default_value = "1e-5",
        .min = 0.0,
        .doc = "added to the denominator for stability (PPO implementations use 1e-5, PyTorch's "
               "default is 1e-8)",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN,
        .type = PPO_PARAM_DOUBLE,
        .name = "weight_decay",
        .default_value = "0",
        .min = 0.0,
        .doc = "L2 penalty added to the gradient as weight_decay * param (Adam's form, not AdamW)",
    },
};

/* Read the hyperparameters into a new instance; free it with adam_destroy. */
static void *adam_create(const ppo_host_t *host, const ppo_params_t *params)
{
    adam_t *adam = malloc(sizeof(*adam));
    if (adam == NULL) {
        host->error(host, "out of memory allocating the adam instance (%zu bytes)", sizeof(*adam));
        return NULL;
    }
    adam->host = host;
    adam->beta1 = ppo_params_get_double(params, "beta1");
    adam->beta2 = ppo_params_get_double(params, "beta2");
    adam->eps = ppo_params_get_double(params, "eps");
    adam->weight_decay = ppo_params_get_double(params, "weight_decay");
    return adam;
}

static void adam_destroy(void *inst)
{
    free(inst);
}

static uint32_t adam_state_floats_per_param(void *inst)
{
    (void)inst;
    return 2;
}

/* The element-wise update in float32, in the order of torch.optim.Adam's float32 tensor ops,
 * written so the compiler vectorizes it (compiled for AVX-512, AVX2 and the baseline, picked at
 * load time):
 *   g = grad + weight_decay * param
 *   m = m + (1 - beta1) (g - m)                      (lerp)
 *   v = beta2 v + (1 - beta2) g g
 *   param = param - step_size * (m / (sqrt(v) * inv_bc2_sqrt + eps))
 * Multiplying by 1 / sqrt(bias_correction2) instead of dividing by its square root saves one
 * division per element and moves the result by at most one rounding. */
#if defined(__x86_64__) && defined(__gnu_linux__) && defined(__GNUC__) && !defined(__clang__) &&   \
    __GNUC__ >= 11
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
static void adam_update(float *restrict params, const float *restrict grads, float *restrict m,
                        float *restrict v, size_t n, float one_minus_beta1, float beta2,
                        float one_minus_beta2, float step_size, float inv_bc2_sqrt, float eps,
                        float weight_decay)
{
    for (size_t j = 0; j < n; j++) {
        const float g = grads[j] + weight_decay * params[j];
        const float mj = m[j] + one_minus_beta1 * (g - m[j]);
        const float vj = beta2 * v[j] + one_minus_beta2 * (g * g);
        m[j] = mj;
        v[j] = vj;
        params[j] = params[j] - step_size * (mj / (__builtin_sqrtf(vj) * inv_bc2_sqrt + eps));
    }
}

/* The step for elements [j0, j1) of the whole arrays (n elements; m at state, v at state + n). */
static int adam_step_range(void *inst, float *params, const float *grads, float *state, size_t n,
                           size_t j0, size_t j1, double lr, uint64_t t)
{
    const adam_t *adam = inst;
    if (t == 0) {
        adam->host->error(adam->host, "step count t must start at 1, got 0 (the bias "
                                      "corrections divide by 1 - beta^t)");
        return -1;
    }

    /* the scalars of this step, in double as PyTorch computes them in Python floats */
    const double bias_correction1 = 1.0 - pow(adam->beta1, (double)t);
    const double bias_correction2 = 1.0 - pow(adam->beta2, (double)t);
    adam_update(params + j0, grads + j0, state + j0, state + n + j0, j1 - j0,
                (float)(1.0 - adam->beta1), (float)adam->beta2, (float)(1.0 - adam->beta2),
                (float)(lr / bias_correction1), (float)(1.0 / sqrt(bias_correction2)),
                (float)adam->eps, (float)adam->weight_decay);
    return 0;
}

static int adam_step(void *inst, float *params, const float *grads, float *state, size_t n,
                     double lr, uint64_t t)
{
    return adam_step_range(inst, params, grads, state, n, 0, n, lr, t);
}

static const ppo_optimizer_vtable_t adam_vtable = {
    .struct_size = sizeof(ppo_optimizer_vtable_t),
    .create = adam_create,
    .destroy = adam_destroy,
    .state_floats_per_param = adam_state_floats_per_param,
    .step = adam_step,
    .step_range = adam_step_range,
};

PPO_PLUGIN_DEFINE(PPO_KIND_OPTIMIZER, "adam", "1.0.0",
                  "Adam with bias correction and optional L2 weight decay, as torch.optim.Adam",
                  adam_params, PPO_ARRAY_LEN(adam_params), &adam_vtable)
