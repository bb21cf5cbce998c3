/* fx_record_grad — a test optimizer (plain SGD) that writes the gradient of its first step to a
 * file: $PPO_TEST_GRAD_FILE, with ".rank<R>" appended under mpirun. The MPI test compares the
 * averaged gradient of 2 ranks x 4 envs with that of 1 process x 8 envs. */
#include <stdio.h>
#include <stdlib.h>

#include <ppofw/ppofw.h>

typedef struct {
    const ppo_host_t *host;
} fx_t;

static const ppo_param_spec_t fx_params[] = {
    {PPO_PARAM_SPEC_INIT, .name = "lr", .type = PPO_PARAM_DOUBLE,
     .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_MIN_EXCLUSIVE, .min = 0, .default_value = "0.01",
     .doc = "step size"},
};

static void *fx_create(const ppo_host_t *host, const ppo_params_t *params)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    if (fx == NULL) {
        host->error(host, "out of memory");
        return NULL;
    }
    fx->host = host;
    (void)params;
    return fx;
}

static void fx_destroy(void *inst)
{
    free(inst);
}

static uint32_t fx_state_floats(void *inst)
{
    (void)inst;
    return 0;
}

static int fx_step(void *inst, float *params, const float *grads, float *state, size_t n,
                   double lr, uint64_t t)
{
    fx_t *fx = inst;
    (void)state;
    if (t == 1) {
        const char *base = getenv("PPO_TEST_GRAD_FILE");
        const char *rank = getenv("OMPI_COMM_WORLD_RANK");
        if (base != NULL) {
            char path[4096];
            snprintf(path, sizeof(path), "%s%s%s", base, rank != NULL ? ".rank" : "",
                     rank != NULL ? rank : "");
            FILE *f = fopen(path, "wb");
            if (f == NULL || fwrite(grads, sizeof(float), n, f) != n || fclose(f) != 0) {
                fx->host->error(fx->host, "cannot write %s", path);
                return -1;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        params[i] -= (float)lr * grads[i];
    return 0;
}

static const ppo_optimizer_vtable_t fx_vtable = {
    .struct_size = sizeof(ppo_optimizer_vtable_t),
    .create = fx_create,
    .destroy = fx_destroy,
    .state_floats_per_param = fx_state_floats,
    .step = fx_step,
};

PPO_PLUGIN_DEFINE(PPO_KIND_OPTIMIZER, "fx_record_grad", "1.0.0",
                  "SGD that records its first gradient (tests)", fx_params,
                  PPO_ARRAY_LEN(fx_params), &fx_vtable)
