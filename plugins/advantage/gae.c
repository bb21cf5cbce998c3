/* gae — generalized advantage estimation, GAE(gamma, lambda), with truncation bootstrap.
 *
 * For each env i the rollout is walked backwards, index [t * N + i]:
 *
 *     terminated[t]        next value 0; the advantage chain is cut
 *     else truncated[t]    next value bootstrap_values[t]; the chain is cut (row t+1 starts a
 *                          new episode)
 *     else                 next value values[t+1], or last_values[i] at the rollout cut t = T-1;
 *                          the chain continues
 *
 *     delta_t = r_t + gamma * next - V_t
 *     A_t     = delta_t + gamma * lambda * continue_t * A_{t+1}
 *     R_t     = A_t + V_t            (the TD(lambda) value target)
 *
 * This is SB3's compute_returns_and_advantage with the truncation bootstrap kept as its own
 * array instead of folded into the reward. lambda = 1 gives the Monte-Carlo return of `mc` with
 * the same bootstrap rule; lambda = 0 gives the one-step TD error. Sums are carried in double
 * and written as float.
 *
 * Left out: input checks beyond the parameter schema (the core hands a well-formed view),
 * advantage normalization (the core's, per minibatch or per batch), V-trace style corrections.
 * estimate allocates nothing.
 */
#include <stdlib.h>

#include <ppofw/ppofw.h>

/* One estimator instance: its two validated parameters. */
typedef struct gae {
    double gamma;  /* discount per step, in (0, 1] */
    double lambda; /* GAE trace decay, in [0, 1] */
} gae_t;

static const ppo_param_spec_t gae_params[] = {
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
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .type = PPO_PARAM_DOUBLE,
        .name = "lambda",
        .default_value = "0.95",
        .min = 0.0,
        .max = 1.0,
        .doc = "bias-variance trade-off: 0 is the one-step TD error, 1 the bootstrapped "
               "Monte-Carlo return",
    },
};

/* Read the parameters into a new instance; free it with gae_destroy. */
static void *gae_create(const ppo_host_t *host, const ppo_params_t *params)
{
    gae_t *gae = malloc(sizeof(*gae));
    if (gae == NULL) {
        host->error(host, "out of memory allocating the gae instance (%zu bytes)", sizeof(*gae));
        return NULL;
    }
    gae->gamma = ppo_params_get_double(params, "gamma");
    gae->lambda = ppo_params_get_double(params, "lambda");
    return gae;
}

static void gae_destroy(void *inst)
{
    free(inst);
}

static int gae_estimate(void *inst, const ppo_rollout_view_t *view, float *adv_out, float *ret_out)
{
    const gae_t *gae = inst;
    const size_t T = view->T, N = view->N;
    const double gamma = gae->gamma;
    const double gamma_lambda = gae->gamma * gae->lambda;

    /* each env is an independent chain; walk it from the cut backwards */
    for (size_t i = 0; i < N; i++) {
        double adv_next = 0.0; /* A_{t+1} of this env, in double across the whole chain */
        for (size_t t = T; t-- > 0;) {
            const size_t k = t * N + i;
            double next_value;
            double cont;

            /* pick the value that follows step t and whether the chain goes on through it */
            if (view->terminated[k] != 0.0f) {
                next_value = 0.0;
                cont = 0.0;
            } else if (view->truncated[k] != 0.0f) {
                next_value = view->bootstrap_values[k];
                cont = 0.0;
            } else {
                next_value = t + 1 == T ? view->last_values[i] : view->values[k + N];
                cont = 1.0;
            }

            /* one TD error, folded into the discounted sum of the later ones */
            const double value = view->values[k];
            const double delta = view->rewards[k] + gamma * next_value - value;
            const double adv = delta + gamma_lambda * cont * adv_next;
            adv_out[k] = (float)adv;
            ret_out[k] = (float)(adv + value);
            adv_next = adv;
        }
    }
    return 0;
}

static const ppo_advantage_vtable_t gae_vtable = {
    .struct_size = sizeof(ppo_advantage_vtable_t),
    .create = gae_create,
    .destroy = gae_destroy,
    .estimate = gae_estimate,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ADVANTAGE, "gae", "1.0.0",
                  "Generalized advantage estimation GAE(gamma, lambda) with bootstrap on "
                  "truncation and at the rollout cut",
                  gae_params, PPO_ARRAY_LEN(gae_params), &gae_vtable)
