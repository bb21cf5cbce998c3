/* ppofw core — the parameter store of a policy: layout, allocation, initialization, binding.
 *
 * Leaves out: anything about training. The optimizer, gradient clipping, checkpoints and MPI use
 * the arrays made here.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_file_private.h"
#include "ppo_model_private.h"

static float *alloc_floats(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (n > 0 ? n : 1) * sizeof(float)) != 0)
        return NULL;
    memset(p, 0, (n > 0 ? n : 1) * sizeof(float));
    return p;
}

void ppo_init_orthogonal(float *out, uint32_t rows, uint32_t cols, double gain, ppo_rng_t *rng)
{
    /* work on the tall orientation (m >= n), as PyTorch transposes a wide matrix first */
    const bool wide = rows < cols;
    const uint32_t m = wide ? cols : rows, n = wide ? rows : cols;
    double *a = g_new(double, (size_t)m * n); /* column-major: column j at a + j*m */
    /* the normal matrix is drawn row-major in the (rows, cols) shape, as torch.normal_ fills it */
    for (uint32_t r = 0; r < rows; r++) {
        for (uint32_t c = 0; c < cols; c++) {
            const double z = ppo_rng_normal(rng);
            /* element (r, c) of the original is element (c, r) of the transposed tall matrix */
            const uint32_t i = wide ? c : r, j = wide ? r : c;
            a[(size_t)j * m + i] = z;
        }
    }
    /* modified Gram-Schmidt with one re-orthogonalization pass: Q with R's diagonal > 0, which
     * is the sign convention orthogonal_ enforces */
    for (uint32_t j = 0; j < n; j++) {
        double *qj = a + (size_t)j * m;
        for (int pass = 0; pass < 2; pass++) {
            for (uint32_t k = 0; k < j; k++) {
                const double *qk = a + (size_t)k * m;
                double dot = 0.0;
                for (uint32_t i = 0; i < m; i++)
                    dot += qk[i] * qj[i];
                for (uint32_t i = 0; i < m; i++)
                    qj[i] -= dot * qk[i];
            }
        }
        double norm = 0.0;
        for (uint32_t i = 0; i < m; i++)
            norm += qj[i] * qj[i];
        norm = sqrt(norm);
        for (uint32_t i = 0; i < m; i++)
            qj[i] = norm > 0.0 ? qj[i] / norm : 0.0;
    }
    for (uint32_t r = 0; r < rows; r++) {
        for (uint32_t c = 0; c < cols; c++) {
            const uint32_t i = wide ? c : r, j = wide ? r : c;
            out[(size_t)r * cols + c] = (float)(gain * a[(size_t)j * m + i]);
        }
    }
    g_free(a);
}

static bool check_segments(const ppo_plugin_t *plugin, const ppo_segment_t *segs, uint32_t n,
                           GError **error)
{
    for (uint32_t k = 0; k < n; k++) {
        const ppo_segment_t *s = &segs[k];
        const char *problem = NULL;
        if (s->struct_size < sizeof(ppo_segment_t))
            problem = "struct_size is smaller than ppo_segment_t (set it to sizeof)";
        else if (s->name == NULL || *s->name == '\0')
            problem = "has no name";
        else if (s->rows == 0 || s->cols == 0)
            problem = "has a zero dimension";
        else if (s->init < PPO_INIT_CONSTANT || s->init > PPO_INIT_UNIFORM)
            problem = "has an unknown initializer";
        for (uint32_t j = 0; problem == NULL && j < k; j++)
            if (strcmp(segs[j].name, s->name) == 0)
                problem = "repeats the name of an earlier segment";
        if (problem != NULL) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                        "plugin \"%s\" (%s): parameter segment %u (\"%s\") %s", plugin->name,
                        plugin->path, k, s->name != NULL ? s->name : "", problem);
            return false;
        }
    }
    return true;
}

/* A policy built before ABI 1.2 cannot know the kinds 1.2 added. */
static bool policy_knows_spaces(const ppo_plugin_t *plugin, const ppo_space_t *act_space,
                                GError **error)
{
    if (plugin->abi_minor >= 2 || act_space->kind != PPO_SPACE_MULTI_DISCRETE)
        return true;
    g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                "plugin \"%s\" (%s) was built for plugin ABI %u.%u, which has no multi-discrete "
                "action spaces; rebuild it against ppofw %s (ABI %d.%d) and handle "
                "PPO_SPACE_MULTI_DISCRETE, or use a policy that does (mlp, cnn, lstm)",
                plugin->name, plugin->path, plugin->abi_major, plugin->abi_minor,
                PPO_VERSION_STRING, PPO_ABI_MAJOR, PPO_ABI_MINOR);
    return false;
}

/* Whether this instance is recurrent (the recurrent table's state_size), checked. */
static bool recurrence(ppo_model_t *m, GError **error)
{
    const ppo_plugin_t *plugin = m->plugin;
    const ppo_policy_vtable_t *vt = &plugin->vt.policy;
    m->rec = NULL;
    m->state_size = 0;
    if (vt->recurrent != NULL) {
        ppo_plugin_enter(plugin, "state_size");
        const uint32_t S = vt->recurrent->state_size(m->inst);
        ppo_plugin_leave();
        if (S > PPO_MODEL_MAX_STATE) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                        "plugin \"%s\" (%s): recurrent state_size() = %u floats per env, more "
                        "than the limit of 2^20; make the recurrent state smaller",
                        plugin->name, plugin->path, S);
            return false;
        }
        if (S > 0) {
            m->rec = vt->recurrent;
            m->state_size = S;
            return true;
        }
    }
    if (vt->act == NULL || vt->value == NULL || vt->evaluate == NULL || vt->backward == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" (%s): this instance reports a recurrent state_size() of 0 (no "
                    "memory) but the plugin has no plain act/value/evaluate/backward; report a "
                    "state size above 0 or implement the plain callbacks",
                    plugin->name, plugin->path);
        return false;
    }
    return true;
}

ppo_model_t *ppo_model_new(const ppo_plugin_t *plugin, const ppo_params_t *params,
                           const ppo_space_t *obs_space, const ppo_space_t *act_space,
                           uint32_t n_envs, uint32_t state_floats, GError **error)
{
    const ppo_policy_vtable_t *vt = &plugin->vt.policy;
    if (!policy_knows_spaces(plugin, act_space, error))
        return NULL;
    ppo_policy_setup_t setup = {
        .struct_size = sizeof(setup),
        .n_envs = n_envs,
        .obs_space = obs_space,
        .act_space = act_space,
    };
    /* mark the plugin as running so a crash in it is reported by name */
    ppo_plugin_enter(plugin, "create");
    void *inst = vt->create(&plugin->host, params, &setup);
    ppo_plugin_leave();
    if (inst == NULL) {
        *error = ppo_plugin_error(plugin, "create", -1);
        return NULL;
    }
    ppo_model_t *m = g_new0(ppo_model_t, 1);
    m->plugin = plugin;
    m->inst = inst;
    m->segments = vt->segments(inst, &m->n_segments);
    m->dist_size = vt->dist_size(inst);
    m->log_std_segment = -1;
    if (m->segments == NULL || m->n_segments == 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" (%s): declares no parameter segments", plugin->name,
                    plugin->path);
        ppo_model_free(m);
        return NULL;
    }
    if (!check_segments(plugin, m->segments, m->n_segments, error) || !recurrence(m, error)) {
        ppo_model_free(m);
        return NULL;
    }
    m->offsets = g_new0(size_t, m->n_segments);
    uint64_t largest = 0; /* the largest segment: initialization's scratch */
    for (uint32_t k = 0; k < m->n_segments; k++) {
        m->offsets[k] = m->n_params;
        const uint64_t n = (uint64_t)m->segments[k].rows * m->segments[k].cols;
        m->n_params += (size_t)n;
        largest = MAX(largest, n);
        if (strcmp(m->segments[k].name, "log_std") == 0)
            m->log_std_segment = (int)k;
    }
    /* parameters, gradients, optimizer state and the initializer's scratch, before allocating */
    char *who = g_strdup_printf("plugin \"%s\" (%s)", plugin->name, plugin->path);
    char *what = g_strdup_printf("its %zu parameters (%u segments)", m->n_params, m->n_segments);
    const bool fits = ppo_memory_check(ppo_mul_sat(m->n_params, sizeof(float) * (2 + state_floats)) +
                                           ppo_mul_sat(largest, 2 * sizeof(double)),
                                       who, what,
                                       "make the network smaller (check policy.params)",
                                       PPO_ERROR_PLUGIN, error);
    g_free(what);
    g_free(who);
    if (!fits || m->n_params > ((size_t)1 << 34)) {
        if (fits)
            g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                        "plugin \"%s\": %zu parameters are more than 2^34; make the network "
                        "smaller",
                        plugin->name, m->n_params);
        ppo_model_free(m);
        return NULL;
    }
    /* a per-env state (gSDE noise) the checkpoint carries: bounded the same way */
    if (vt->state_size != NULL) {
        ppo_plugin_enter(plugin, "state_size");
        const size_t n = vt->state_size(inst);
        ppo_plugin_leave();
        char *who2 = g_strdup_printf("plugin \"%s\" (%s)", plugin->name, plugin->path);
        const bool ok = ppo_memory_check(ppo_mul_sat(n, 2 * sizeof(double)), who2,
                                         "state_size()'s state", "fix state_size()",
                                         PPO_ERROR_PLUGIN, error);
        g_free(who2);
        if (!ok) {
            ppo_model_free(m);
            return NULL;
        }
    }
    m->params = alloc_floats(m->n_params);
    m->grads = alloc_floats(m->n_params);
    m->state_floats = state_floats;
    if (state_floats > 0)
        m->opt_state = alloc_floats(m->n_params * state_floats);
    if (m->params == NULL || m->grads == NULL || (state_floats > 0 && m->opt_state == NULL)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL,
                    "out of memory allocating %zu parameters", m->n_params);
        ppo_model_free(m);
        return NULL;
    }
    vt->bind(inst, m->params);
    return m;
}

void *ppo_model_new_view(const ppo_model_t *model, const ppo_params_t *params,
                         const ppo_space_t *obs_space, const ppo_space_t *act_space,
                         uint32_t n_envs, GError **error)
{
    const ppo_plugin_t *plugin = model->plugin;
    ppo_policy_setup_t setup = {
        .struct_size = sizeof(setup),
        .n_envs = n_envs,
        .obs_space = obs_space,
        .act_space = act_space,
    };
    ppo_plugin_enter(plugin, "create");
    void *inst = plugin->vt.policy.create(&plugin->host, params, &setup);
    ppo_plugin_leave();
    if (inst == NULL) {
        *error = ppo_plugin_error(plugin, "create", -1);
        return NULL;
    }
    /* the view must have the model's recurrent state size (the same params, the same spaces) */
    const uint32_t S = model->rec != NULL ? model->rec->state_size(inst) : 0;
    if (S != model->state_size) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "plugin \"%s\" (%s): two instances with the same params report recurrent "
                    "state sizes %u and %u; the state size must depend on the params only",
                    plugin->name, plugin->path, model->state_size, S);
        ppo_plugin_enter(plugin, "destroy");
        plugin->vt.policy.destroy(inst);
        ppo_plugin_leave();
        return NULL;
    }
    plugin->vt.policy.bind(inst, model->params);
    return inst;
}

void ppo_model_free(ppo_model_t *model)
{
    if (model == NULL)
        return;
    if (model->inst != NULL) {
        ppo_plugin_enter(model->plugin, "destroy");
        model->plugin->vt.policy.destroy(model->inst);
        ppo_plugin_leave();
    }
    free(model->params);
    free(model->grads);
    free(model->opt_state);
    g_free(model->offsets);
    g_free(model);
}

void ppo_model_init(ppo_model_t *model, uint64_t seed)
{
    ppo_rng_t rng;
    ppo_rng_seed(&rng, seed, "init", 0);
    for (uint32_t k = 0; k < model->n_segments; k++) {
        const ppo_segment_t *s = &model->segments[k];
        /* a QR of a large matrix takes a while: say so (a signal still stops it at once) */
        if (s->init == PPO_INIT_ORTHOGONAL && (uint64_t)s->rows * s->cols >= ((uint64_t)1 << 22))
            ppo_log(PPO_LOG_INFO,
                    "policy \"%s\": orthogonal initialization of segment \"%s\" (%u x %u) takes "
                    "a while",
                    model->plugin->name, s->name, s->rows, s->cols);
        float *dst = model->params + model->offsets[k];
        const size_t n = (size_t)s->rows * s->cols;
        switch (s->init) {
        case PPO_INIT_CONSTANT:
            for (size_t i = 0; i < n; i++)
                dst[i] = (float)s->value;
            break;
        case PPO_INIT_UNIFORM:
            for (size_t i = 0; i < n; i++)
                dst[i] = (float)ppo_rng_uniform_range(&rng, -s->value, s->value);
            break;
        case PPO_INIT_ORTHOGONAL:
            ppo_init_orthogonal(dst, s->rows, s->cols, s->gain, &rng);
            break;
        }
    }
    memset(model->grads, 0, model->n_params * sizeof(float));
    if (model->opt_state != NULL)
        memset(model->opt_state, 0, model->n_params * model->state_floats * sizeof(float));
}

double ppo_model_std(const ppo_model_t *model)
{
    if (model->log_std_segment < 0)
        return NAN;
    const uint32_t k = (uint32_t)model->log_std_segment;
    const size_t n = (size_t)model->segments[k].rows * model->segments[k].cols;
    const float *ls = model->params + model->offsets[k];
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += exp((double)ls[i]);
    return sum / (double)n;
}
