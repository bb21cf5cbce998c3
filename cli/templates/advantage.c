/* @NAME@ — a ppofw advantage plugin.
 *
 * The guide to writing and testing plugins: @DOCDIR@/plugin-guide.md;
 * the API in brief: man ppofw-plugin.
 *
 * The estimator, as written by `ppofw new-plugin advantage @NAME@`: one-step temporal
 * differences, A = r + gamma V(next) - V, and value targets A + V. V(next) is the next row's
 * value within an episode, the bootstrap value where the time limit cut the episode, V of the
 * observation after the rollout at its cut, and 0 after a terminated step. Replace the
 * arithmetic with yours; keep the boundary rules.
 *
 * Index [t * N + i] is step t of env i. Terminated wins over truncated. The core reads the
 * plugin's `gamma` parameter, when it declares one, for reward normalization.
 */
#include <stdlib.h>

#include <ppofw/ppofw.h>

typedef struct @NAME@ {
    const ppo_host_t *host;
    double gamma; /* discount */
} @NAME@_t;

static const ppo_param_spec_t @NAME@_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "gamma",
        .default_value = "0.99",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_MIN_EXCLUSIVE,
        .min = 0,
        .max = 1,
        .doc = "discount factor",
    },
};

static void *@NAME@_create(const ppo_host_t *host, const ppo_params_t *params)
{
    @NAME@_t *est = calloc(1, sizeof(*est));
    if (est == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    est->host = host;
    est->gamma = ppo_params_get_double(params, "gamma");
    return est;
}

static void @NAME@_destroy(void *inst)
{
    free(inst);
}

static int @NAME@_estimate(void *inst, const ppo_rollout_view_t *view, float *adv_out,
                           float *ret_out)
{
    const @NAME@_t *est = inst;
    const uint32_t T = view->T, N = view->N;
    for (uint32_t t = 0; t < T; t++) {
        for (uint32_t i = 0; i < N; i++) {
            const size_t r = (size_t)t * N + i;
            double next;
            if (view->terminated[r] != 0.0f)
                next = 0.0;
            else if (view->truncated[r] != 0.0f)
                next = view->bootstrap_values[r];
            else if (t + 1 < T)
                next = view->values[r + N];
            else
                next = view->last_values[i];
            const double adv = view->rewards[r] + est->gamma * next - view->values[r];
            adv_out[r] = (float)adv;
            ret_out[r] = (float)(adv + view->values[r]);
        }
    }
    return 0;
}

static const ppo_advantage_vtable_t @NAME@_vtable = {
    .struct_size = sizeof(ppo_advantage_vtable_t),
    .create = @NAME@_create,
    .destroy = @NAME@_destroy,
    .estimate = @NAME@_estimate,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ADVANTAGE, "@NAME@", "0.1.0", "one-step temporal-difference advantage",
                  @NAME@_params, PPO_ARRAY_LEN(@NAME@_params), &@NAME@_vtable)
