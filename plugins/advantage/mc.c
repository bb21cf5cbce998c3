/* mc — discounted Monte-Carlo returns, bootstrapped only where the rollout does not see the end.
 *
 * For each env i the rollout is walked backwards, index [t * N + i]:
 *
 *     G_t = r_t + gamma * (0                  if terminated[t]
 *                          bootstrap_values[t] else if truncated[t]
 *                          last_values[i]      else if t = T-1 (the rollout cut)
 *                          G_{t+1}             otherwise)
 *     A_t = G_t - V_t,  R_t = G_t
 *
 * This equals `gae` with lambda = 1 under the same bootstrap rule; it is kept as its own plugin
 * so an ablation can name it. Sums are carried in double and written as float.
 *
 * Left out: input checks beyond the parameter schema (the core hands a well-formed view),
 * advantage normalization (the core's). estimate allocates nothing.
 */
#include <stdlib.h>

#include <ppofw/ppofw.h>

/* One estimator instance: its validated parameter. */
typedef struct mc {
    double gamma; /* discount per step, in (0, 1] */
} mc_t;

static const ppo_param_spec_t mc_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE | PPO_PARAM_HAS_MAX,
        .type = PPO_PARAM_DOUBLE,
        .name = "gamma",
        .default_value = "0.99",
        .min = 0.0,
        .max = 1.0,
        .doc = "discount factor per step",
    },
};

/* Read the parameter into a new instance; free it with mc_destroy. */
static void *mc_create(const ppo_host_t *host, const ppo_params_t *params)
{
    mc_t *mc = malloc(sizeof(*mc));
    if (mc == NULL) {
        host->error(host, "out of memory allocating the mc instance (%zu bytes)", sizeof(*mc));
        return NULL;
    }
    mc->gamma = ppo_params_get_double(params, "gamma");
    return mc;
}

static void mc_destroy(void *inst)
{
    free(inst);
}

static int mc_estimate(void *inst, const ppo_rollout_view_t *view, float *adv_out, float *ret_out)
{
    const mc_t *mc = inst;
    const size_t T = view->T, N = view->N;
    const double gamma = mc->gamma;

    /* each env is an independent sum; walk it from the cut backwards */
    for (size_t i = 0; i < N; i++) {
        double ret_next = 0.0; /* G_{t+1} of this env, in double across the whole episode */
        for (size_t t = T; t-- > 0;) {
            const size_t k = t * N + i;
            double next;

            /* what follows step t: nothing, the bootstrap, the cut's value, or the later return */
            if (view->terminated[k] != 0.0f)
                next = 0.0;
            else if (view->truncated[k] != 0.0f)
                next = view->bootstrap_values[k];
            else if (t + 1 == T)
                next = view->last_values[i];
            else
                next = ret_next;

            const double ret = view->rewards[k] + gamma * next;
            adv_out[k] = (float)(ret - view->values[k]);
            ret_out[k] = (float)ret;
            ret_next = ret;
        }
    }
    return 0;
}

static const ppo_advantage_vtable_t mc_vtable = {
    .struct_size = sizeof(ppo_advantage_vtable_t),
    .create = mc_create,
    .destroy = mc_destroy,
    .estimate = mc_estimate,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ADVANTAGE, "mc", "1.0.0",
                  "Discounted Monte-Carlo return, bootstrapped on truncation and at the rollout "
                  "cut; advantage = return - value",
                  mc_params, PPO_ARRAY_LEN(mc_params), &mc_vtable)
