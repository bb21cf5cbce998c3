/* cnn — the convolutional actor-critic policy for image observations: a trunk of 2-D convolutions
 * (PyTorch's Conv2d conventions, through libppofw's conv.h) followed by dense layers, then a
 * categorical, diagonal Gaussian or multi-categorical action head and a value head; one trunk
 * shared by both heads (CleanRL's Atari agent, the MinAtar paper's network) or a separate trunk
 * for each (then the two are parts, ABI 1.1, run on two threads by the trainer).
 *
 * Observations are (C, H, W) images (rank 3; rank 2 is one channel), float32 as the core hands
 * them (uint8 pixels already scaled to [0, 1]). Each conv layer is followed by the activation,
 * the last one's output (O, Ho, Wo) is flattened in PyTorch's order into the first dense layer.
 * Presets give two published networks: `minatar` (16 filters 3x3 stride 1, dense 128: MinAtar's
 * own agents) and `nature` (32 8x8/4, 64 4x4/2, 64 3x3/1, dense 512: the Nature-CNN, 84x84
 * inputs); `preset: none` takes the layers from conv_filters, conv_kernels, conv_strides,
 * conv_padding and dense. Initialization follows CleanRL's Atari agent: orthogonal weights with
 * gain sqrt(2) for conv and dense layers, 0.01 for the policy head and 1 for the value head, zero
 * biases (or PyTorch's default uniform init with ortho_init: false).
 *
 * Parameters are the core's: the segment table names them PyTorch-style ([pi.|vf.]conv.K.*,
 * [pi.|vf.]dense.K.*, pi_head.*, vf_head.*, log_std); bind() hands over the array. Every call
 * computes in the workspace it is given (sized by ws_create for everything, the convolution
 * helpers' scratch included), so calls on different workspaces run in parallel and nothing
 * allocates after ws_create. Results are independent of the thread count: a row's outputs
 * depend only on that row (the conv helpers' rule) and the batch size (the dense layers', as
 * nn.h documents), and the core uses fixed batch sizes.
 *
 * Left out: pooling layers, recurrent trunks, gSDE, squashed actions, action masks. export_c (the
 * writer is cnn_export.c) writes the deterministic policy as one dependency-free C99 file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw/ppofw.h>

#include "cnn_private.h"
#include "net.h"

#define CNN_MAX_WIDTH 65536.0 /* largest filter count or dense width the schema accepts */
#define CNN_MAX_KERNEL 1024.0 /* largest kernel, stride or padding the schema accepts */
#define CNN_NO_SEGMENT UINT32_MAX

/* Everything one call writes, for up to max_batch rows; one aligned block backs the floats. */
typedef struct cnn_ws {
    uint32_t max_batch; /* rows a call may have */
    net_kept_t kept;    /* what the last evaluate() keeps for backward */
    float **h[2];       /* per trunk, (n_layers) each (B, width): the layers' activated outputs */
    float *head_out;    /* (B, n_out) the policy head layer's outputs */
    float *dist;        /* (B, P) distribution parameters */
    float *value;       /* (B) values */
    float *ddist;       /* (B, P) d loss / d dist */
    float *dhead;       /* (B, n_out) d loss / d head outputs */
    float *d0;          /* (B, max_width) layer deltas */
    float *d1;          /* (B, max_width) */
    float *d2;          /* (B, max_width) */
    float *conv_ws;     /* (conv_ws) the convolution helpers' scratch */
    void *block;        /* the aligned allocation behind the floats */
} cnn_ws_t;

static const char *const activation_choices[] = {"relu", "tanh", NULL};
static const char *const preset_choices[] = {"minatar", "nature", "none", NULL};

static const ppo_param_spec_t cnn_params[] = {
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_ENUM,
        .name = "preset",
        .default_value = "minatar",
        .choices = preset_choices,
        .doc = "minatar: conv 16 3x3/1, dense 128 (MinAtar's network, 10x10 inputs); nature: "
               "conv 32 8x8/4, 64 4x4/2, 64 3x3/1, dense 512 (the Nature-CNN, 84x84 inputs); "
               "none: the layers of conv_filters, conv_kernels, conv_strides, conv_padding and "
               "dense",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_NONEMPTY,
        .type = PPO_PARAM_INT_LIST,
        .name = "conv_filters",
        .default_value = "[16]",
        .min = 1,
        .max = CNN_MAX_WIDTH,
        .doc = "with preset: none, the output channels of each conv layer, first to last",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_NONEMPTY,
        .type = PPO_PARAM_INT_LIST,
        .name = "conv_kernels",
        .default_value = "[3]",
        .min = 1,
        .max = CNN_MAX_KERNEL,
        .doc = "with preset: none, the square kernel size of each conv layer",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_NONEMPTY,
        .type = PPO_PARAM_INT_LIST,
        .name = "conv_strides",
        .default_value = "[1]",
        .min = 1,
        .max = CNN_MAX_KERNEL,
        .doc = "with preset: none, the stride of each conv layer",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX | PPO_PARAM_NONEMPTY,
        .type = PPO_PARAM_INT_LIST,
        .name = "conv_padding",
        .default_value = "[0]",
        .min = 0,
        .max = CNN_MAX_KERNEL,
        .doc = "with preset: none, the zero padding on each side of each conv layer's input",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .type = PPO_PARAM_INT_LIST,
        .name = "dense",
        .default_value = "[128]",
        .min = 1,
        .max = CNN_MAX_WIDTH,
        .doc = "with preset: none, the widths of the dense layers after the conv layers; [] puts "
               "the heads on the flattened conv output",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "share_trunk",
        .default_value = "true",
        .doc = "one trunk feeds both heads (CleanRL's Atari agent, MinAtar's); false: the value "
               "function gets a trunk of its own (twice the work, run in parallel)",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_ENUM,
        .name = "activation",
        .default_value = "relu",
        .choices = activation_choices,
        .doc = "activation after every conv and dense layer",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_BOOL,
        .name = "ortho_init",
        .default_value = "true",
        .doc = "orthogonal weights (gain sqrt(2) conv and dense, 0.01 policy head, 1 value head) "
               "and zero biases; false: PyTorch's default uniform(+-1/sqrt(fan_in)) init",
    },
    {
        PPO_PARAM_SPEC_INIT,
        .type = PPO_PARAM_DOUBLE,
        .name = "log_std_init",
        .flags = PPO_PARAM_HAS_MIN | PPO_PARAM_HAS_MAX,
        .min = -20.0,
        .max = 20.0,
        .default_value = "0.0",
        .doc = "initial log standard deviation of a Gaussian head (box actions)",
    },
};

/* The layers of a preset: conv (filters, kernel, stride, padding) then dense widths. */
typedef struct cnn_preset {
    uint32_t n_conv;
    int64_t filters[3], kernels[3], strides[3], padding[3];
    uint32_t n_dense;
    int64_t dense[1];
} cnn_preset_t;

static const cnn_preset_t presets[2] = {
    /* MinAtar (Young & Tian 2019): conv 16 3x3/1, no padding, dense 128 */
    {1, {16}, {3}, {1}, {0}, 1, {128}},
    /* Nature-CNN (Mnih et al. 2015) */
    {3, {32, 64, 64}, {8, 4, 3}, {4, 2, 1}, {0, 0, 0}, 1, {512}},
};

/* ---- helpers ---- */

static inline const float *seg_ptr(const cnn_t *m, const float *base, uint32_t seg)
{
    return net_seg(&m->table, base, seg);
}

static inline float *grad_ptr(const cnn_t *m, float *base, uint32_t seg)
{
    return net_grad(&m->table, base, seg);
}

/* Width (floats per row) of layer l's output. */
static uint32_t layer_width(const cnn_t *m, uint32_t l)
{
    return l < m->n_conv ? m->trunk[0].conv[l].out_size : m->trunk[0].dense[l - m->n_conv].out;
}

/* ---- create / destroy ---- */

static void cnn_destroy(void *inst)
{
    cnn_t *m = inst;
    if (m == NULL)
        return;
    for (int t = 0; t < 2; t++) {
        free(m->trunk[t].conv);
        free(m->trunk[t].dense);
    }
    net_table_free(&m->table);
    free(m);
}

/* The image's (C, H, W) from the observation space; 0, or -1 after host->error. */
static int check_obs(cnn_t *m, const ppo_host_t *host, const ppo_space_t *obs)
{
    if (obs == NULL || obs->kind != PPO_SPACE_BOX) {
        host->error(host,
                    "the observation space is %s; cnn needs an image: a box of rank 3 "
                    "(channels, height, width) or 2 (height, width)",
                    obs == NULL ? "missing" : net_space_kind_name(obs->kind));
        return -1;
    }
    const uint32_t rank = obs->struct_size > PPO_SPACE_SIZE_1_0 ? obs->rank : 0;
    if (rank != 2 && rank != 3) {
        host->error(host,
                    "the observation space is a flat box of %u elements (rank %u); cnn needs an "
                    "image: a box of rank 3 (channels, height, width) or 2 (height, width). Give "
                    "the env's space a shape, or use the mlp policy for flat observations",
                    obs->dim, rank > 0 ? rank : 1);
        return -1;
    }
    m->C = rank == 3 ? obs->shape[0] : 1;
    m->H = obs->shape[rank - 2];
    m->W = obs->shape[rank - 1];
    if (m->C == 0 || m->H == 0 || m->W == 0 || (uint64_t)m->C * m->H * m->W != obs->dim) {
        host->error(host,
                    "the observation space's shape (%u, %u, %u) does not hold its %u elements",
                    m->C, m->H, m->W, obs->dim);
        return -1;
    }
    m->D = obs->dim;
    m->obs_space = obs;
    return 0;
}

/* Whether the list v[0..n) is the list want[0..want_n). */
static int list_is(const int64_t *v, size_t n, const int64_t *want, size_t want_n)
{
    return n == want_n && (n == 0 || memcmp(v, want, n * sizeof *v) == 0);
}

/* Layer list i (of conv_filters, conv_kernels, conv_strides, conv_padding, dense) of a preset. */
static const int64_t *preset_list(const cnn_preset_t *p, size_t i, size_t *n)
{
    *n = i < 4 ? p->n_conv : p->n_dense;
    const int64_t *const lists[] = {p->filters, p->kernels, p->strides, p->padding, p->dense};
    return lists[i];
}

/* The layer lists: a preset's, or the params' with preset: none. With a preset, a layer list
 * that is given must be the preset's own or the default (the schema's defaults are the minatar
 * preset's lists): a pipeline written back with every key (a run's pipeline.yaml, a checkpoint's)
 * holds the defaults. 0, or -1 after host->error. */
static int read_layers(const ppo_host_t *host, const ppo_params_t *params, cnn_preset_t *out,
                       const int64_t **filters, const int64_t **kernels, const int64_t **strides,
                       const int64_t **padding, const int64_t **dense)
{
    static const char *const layer_params[] = {"conv_filters", "conv_kernels", "conv_strides",
                                               "conv_padding", "dense"};
    const int preset = ppo_params_get_enum_index(params, "preset");
    if (preset == 0 || preset == 1) {
        for (size_t i = 0; i < PPO_ARRAY_LEN(layer_params); i++) {
            const int64_t *given, *own, *dflt;
            size_t n_own, n_dflt;
            const size_t n = ppo_params_get_int_list(params, layer_params[i], &given);
            own = preset_list(&presets[preset], i, &n_own);
            dflt = preset_list(&presets[0], i, &n_dflt);
            if (strcmp(ppo_params_where(params, layer_params[i]), "default") != 0 &&
                !list_is(given, n, own, n_own) && !list_is(given, n, dflt, n_dflt)) {
                host->error(host,
                            "%s: %s is given, but preset %s decides the layers; set preset: "
                            "none to give the layers yourself, or drop %s",
                            ppo_params_where(params, layer_params[i]), layer_params[i],
                            preset_choices[preset], layer_params[i]);
                return -1;
            }
        }
        *out = presets[preset];
        *filters = out->filters;
        *kernels = out->kernels;
        *strides = out->strides;
        *padding = out->padding;
        *dense = out->dense;
        return 0;
    }
    const size_t n = ppo_params_get_int_list(params, "conv_filters", filters);
    const size_t nk = ppo_params_get_int_list(params, "conv_kernels", kernels);
    const size_t ns = ppo_params_get_int_list(params, "conv_strides", strides);
    const size_t np = ppo_params_get_int_list(params, "conv_padding", padding);
    const struct {
        const char *name;
        size_t count;
    } lists[] = {{"conv_kernels", nk}, {"conv_strides", ns}, {"conv_padding", np}};
    for (size_t i = 0; i < PPO_ARRAY_LEN(lists); i++)
        if (lists[i].count != n) {
            host->error(host,
                        "%s: %s has %zu entries but conv_filters has %zu; give one entry per "
                        "conv layer in each of conv_filters, conv_kernels, conv_strides and "
                        "conv_padding",
                        ppo_params_where(params, lists[i].name), lists[i].name, lists[i].count, n);
            return -1;
        }
    out->n_conv = (uint32_t)n;
    out->n_dense = (uint32_t)ppo_params_get_int_list(params, "dense", dense);
    return 0;
}

/* Declare one trunk's layers (prefix "" or "pi." / "vf."); 0, or -1 after host->error. */
static int build_trunk(cnn_t *m, const ppo_host_t *host, cnn_trunk_t *tr, const char *prefix,
                       const cnn_preset_t *lay, const int64_t *filters, const int64_t *kernels,
                       const int64_t *strides, const int64_t *padding, const int64_t *dense,
                       int ortho)
{
    const double gain = sqrt(2.0);
    char name[NET_NAME_LEN];
    uint32_t C = m->C, H = m->H, W = m->W;
    for (uint32_t l = 0; l < lay->n_conv; l++) {
        cnn_conv_t *cv = &tr->conv[l];
        cv->shape = (ppo_conv_shape_t){
            .in_channels = C,
            .in_height = H,
            .in_width = W,
            .out_channels = (uint32_t)filters[l],
            .kernel_h = (uint32_t)kernels[l],
            .kernel_w = (uint32_t)kernels[l],
            .stride_h = (uint32_t)strides[l],
            .stride_w = (uint32_t)strides[l],
            .pad_h = (uint32_t)padding[l],
            .pad_w = (uint32_t)padding[l],
        };
        char why[256];
        if (ppo_conv_shape_check(&cv->shape, why, sizeof(why)) != 0) {
            host->error(host,
                        "conv layer %u (filters %u, kernel %u, stride %u, padding %u) on its "
                        "%ux%ux%u input: %s; choose smaller kernels or strides for these "
                        "%ux%u observations (preset: minatar fits 10x10, nature 84x84)",
                        l, cv->shape.out_channels, cv->shape.kernel_h, cv->shape.stride_h,
                        cv->shape.pad_h, C, H, W, why, m->H, m->W);
            return -1;
        }
        cv->in_size = C * H * W;
        C = cv->shape.out_channels;
        H = cv->shape.out_height;
        W = cv->shape.out_width;
        if ((uint64_t)C * H * W > UINT32_MAX / 4) {
            host->error(host, "conv layer %u's output (%u x %u x %u) is too large", l, C, H, W);
            return -1;
        }
        cv->out_size = C * H * W;
        snprintf(name, sizeof(name), "%sconv.%u", prefix, l);
        net_layer_t as_linear; /* W (O, C KH KW) is declared as a Linear layer's */
        net_add_linear(&m->table, &as_linear, name,
                       cv->shape.in_channels * cv->shape.kernel_h * cv->shape.kernel_w, C, ortho,
                       gain);
        cv->weight = as_linear.weight;
        const size_t ws = ppo_conv_workspace_floats(&cv->shape);
        m->conv_ws = ws > m->conv_ws ? ws : m->conv_ws;
    }
    uint32_t width = C * H * W;
    for (uint32_t l = 0; l < lay->n_dense; l++) {
        snprintf(name, sizeof(name), "%sdense.%u", prefix, l);
        net_add_linear(&m->table, &tr->dense[l], name, width, (uint32_t)dense[l], ortho, gain);
        width = tr->dense[l].out;
    }
    m->latent = width;
    return 0;
}

static void *cnn_create(const ppo_host_t *host, const ppo_params_t *params,
                        const ppo_policy_setup_t *setup)
{
    cnn_t *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        host->error(host, "out of memory creating the cnn policy");
        return NULL;
    }
    m->host = host;
    if (check_obs(m, host, setup->obs_space) != 0 ||
        net_dist_init(&m->dist, host, setup, "cnn", 1) != 0)
        goto out_free;
    m->act_space = setup->act_space;
    m->activation = ppo_params_get_enum_index(params, "activation") == 1 ? PPO_ACTIVATION_TANH
                                                                         : PPO_ACTIVATION_RELU;
    m->share = ppo_params_get_bool(params, "share_trunk");
    const int ortho = ppo_params_get_bool(params, "ortho_init");
    const double log_std_init = ppo_params_get_double(params, "log_std_init");

    cnn_preset_t lay;
    const int64_t *filters, *kernels, *strides, *padding, *dense;
    if (read_layers(host, params, &lay, &filters, &kernels, &strides, &padding, &dense) != 0)
        goto out_free;
    m->n_conv = lay.n_conv;
    m->n_dense = lay.n_dense;
    m->n_trunks = m->share ? 1 : 2;

    /* the segment table: 2 per layer of each trunk, the heads, log_std */
    const uint32_t max_segs = 2 * ((m->n_conv + m->n_dense) * m->n_trunks + 2) + 1;
    if (net_table_init(&m->table, max_segs) != 0)
        goto out_oom;
    for (uint32_t t = 0; t < m->n_trunks; t++) {
        m->trunk[t].conv = calloc(m->n_conv, sizeof(cnn_conv_t));
        m->trunk[t].dense = calloc(m->n_dense > 0 ? m->n_dense : 1, sizeof(net_layer_t));
        if (m->trunk[t].conv == NULL || m->trunk[t].dense == NULL)
            goto out_oom;
    }

    /* pi trunk (the shared one), pi head, vf trunk, vf head, log_std: mlp's order */
    if (build_trunk(m, host, &m->trunk[0], m->share ? "" : "pi.", &lay, filters, kernels, strides,
                    padding, dense, ortho) != 0)
        goto out_free;
    net_add_linear(&m->table, &m->pi_head, "pi_head", m->latent, m->dist.n_out, ortho, 0.01);
    if (!m->share && build_trunk(m, host, &m->trunk[1], "vf.", &lay, filters, kernels, strides,
                                 padding, dense, ortho) != 0)
        goto out_free;
    net_add_linear(&m->table, &m->vf_head, "vf_head", m->latent, 1, ortho, 1.0);
    m->log_std = CNN_NO_SEGMENT;
    if (m->dist.kind == NET_DIST_GAUSSIAN)
        m->log_std =
            net_table_add(&m->table, "log_std", m->dist.A, 1, PPO_INIT_CONSTANT, log_std_init, 0.0);
    if (net_table_check(&m->table, host, "cnn") != 0)
        goto out_free;

    /* the widest row any delta buffer holds */
    m->max_width = m->dist.n_out;
    for (uint32_t l = 0; l < m->n_conv + m->n_dense; l++)
        m->max_width = layer_width(m, l) > m->max_width ? layer_width(m, l) : m->max_width;
    return m;

out_oom:
    host->error(host, "out of memory creating the cnn policy");
out_free:
    cnn_destroy(m);
    return NULL;
}

static const ppo_segment_t *cnn_segments(void *inst, uint32_t *n_segments)
{
    cnn_t *m = inst;
    *n_segments = m->table.tab.n_segments;
    return m->table.tab.segments;
}

static uint32_t cnn_dist_size(void *inst)
{
    return ((cnn_t *)inst)->dist.P;
}

static void cnn_bind(void *inst, const float *params)
{
    ((cnn_t *)inst)->params = params;
}

static double cnn_forward_flops(void *inst)
{
    const cnn_t *m = inst;
    double trunk = 0.0;
    for (uint32_t l = 0; l < m->n_conv; l++)
        trunk += ppo_conv_flops(&m->trunk[0].conv[l].shape);
    for (uint32_t l = 0; l < m->n_dense; l++)
        trunk += 2.0 * m->trunk[0].dense[l].in * m->trunk[0].dense[l].out;
    return trunk * m->n_trunks + 2.0 * m->latent * (m->dist.n_out + 1.0);
}

/* ---- workspaces ---- */

static void cnn_ws_destroy(void *inst, void *wsp)
{
    cnn_t *m = inst;
    cnn_ws_t *ws = wsp;
    if (ws == NULL)
        return;
    if (ws->block != NULL)
        m->host->aligned_free(ws->block);
    free(ws->h[0]);
    free(ws->h[1]);
    free(ws);
}

/* Point the buffers into the arena (sizes only while it has no block). */
static void ws_layout(const cnn_t *m, cnn_ws_t *ws, net_arena_t *a, uint64_t B)
{
    ws->kept.obs = net_take(a, B * m->D);
    for (uint32_t t = 0; t < m->n_trunks; t++)
        for (uint32_t l = 0; l < m->n_conv + m->n_dense; l++)
            ws->h[t][l] = net_take(a, B * layer_width(m, l));
    ws->head_out = net_take(a, B * m->dist.n_out);
    ws->dist = net_take(a, B * m->dist.P);
    ws->value = net_take(a, B);
    ws->kept.actions = net_take(a, B * m->dist.A);
    ws->kept.old_dist = net_take(a, B * m->dist.P);
    ws->ddist = net_take(a, B * m->dist.P);
    ws->dhead = net_take(a, B * m->dist.n_out);
    ws->d0 = net_take(a, B * m->max_width);
    ws->d1 = net_take(a, B * m->max_width);
    ws->d2 = net_take(a, B * m->max_width);
    ws->conv_ws = net_take(a, m->conv_ws);
}

static void *cnn_ws_create(void *inst, uint32_t max_batch)
{
    cnn_t *m = inst;
    const uint64_t B = max_batch > 0 ? max_batch : 1;
    const uint32_t L = m->n_conv + m->n_dense;
    cnn_ws_t *ws = calloc(1, sizeof(*ws));
    if (ws == NULL)
        goto out_oom;
    ws->max_batch = max_batch;
    ws->h[0] = calloc(L, sizeof(float *));
    ws->h[1] = calloc(L, sizeof(float *));
    if (ws->h[0] == NULL || ws->h[1] == NULL)
        goto out_free;

    /* lay the buffers out once to size the block, then again to point into it */
    net_arena_t arena = {0};
    ws_layout(m, ws, &arena, B);
    if (net_arena_alloc(&arena, m->host, "a cnn", max_batch) != 0)
        goto out_free_quiet;
    ws->block = arena.base;
    ws_layout(m, ws, &arena, B);
    return ws;

out_free:
    m->host->error(m->host, "out of memory allocating a cnn workspace for %u rows", max_batch);
out_free_quiet:
    cnn_ws_destroy(m, ws);
    return NULL;
out_oom:
    m->host->error(m->host, "out of memory allocating a cnn workspace for %u rows", max_batch);
    return NULL;
}

/* ---- forward ---- */

/* Trunk t on obs (B, D) into ws->h[t]; returns its output (B, latent). */
static const float *forward_trunk(const cnn_t *m, cnn_ws_t *ws, uint32_t t, uint32_t B,
                                  const float *obs)
{
    const cnn_trunk_t *tr = &m->trunk[t];
    const float *x = obs;
    for (uint32_t l = 0; l < m->n_conv; l++) {
        const cnn_conv_t *cv = &tr->conv[l];
        float *y = ws->h[t][l];
        ppo_conv_forward(&cv->shape, B, x, seg_ptr(m, m->params, cv->weight),
                         seg_ptr(m, m->params, cv->weight + 1), y, ws->conv_ws);
        ppo_activation_forward(m->activation, B * cv->out_size, y);
        x = y;
    }
    return net_dense_forward(&m->table, m->params, m->activation, B, tr->dense, m->n_dense, x,
                             ws->h[t] + m->n_conv);
}

/* ws->dist (B, P) from the latent z (B, latent). */
static void forward_dist(const cnn_t *m, cnn_ws_t *ws, uint32_t B, const float *z)
{
    const net_layer_t *H = &m->pi_head;
    ppo_linear_forward(B, H->in, H->out, z, seg_ptr(m, m->params, H->weight),
                       seg_ptr(m, m->params, H->weight + 1), ws->head_out);
    net_dist_forward(&m->dist, B, ws->head_out,
                     m->log_std != CNN_NO_SEGMENT ? seg_ptr(m, m->params, m->log_std) : NULL,
                     ws->dist);
}

/* Values (B) from the observations, or from the shared trunk's output z. */
static void forward_value(const cnn_t *m, cnn_ws_t *ws, uint32_t B, const float *obs,
                          const float *z, float *value_out)
{
    const float *x = m->share ? z : forward_trunk(m, ws, 1, B, obs);
    const net_layer_t *H = &m->vf_head;
    ppo_linear_forward(B, H->in, 1, x, seg_ptr(m, m->params, H->weight),
                       seg_ptr(m, m->params, H->weight + 1), value_out);
}

/* Common checks of a computing call; 0 or -1 after host->error. */
static int check_call(const cnn_t *m, const cnn_ws_t *ws, uint32_t B, const char *what)
{
    return net_check_call(m->host, m->params, ws, ws != NULL ? ws->max_batch : 0, B, what);
}

/* ---- act / value / evaluate ---- */

static int cnn_act(void *inst, void *wsp, uint32_t B, const float *obs, const uint32_t *env_index,
                   ppo_rng_t *const *rngs, int deterministic, float *actions_out, float *logp_out,
                   float *value_out, float *dist_out)
{
    cnn_t *m = inst;
    cnn_ws_t *ws = wsp;
    (void)env_index;
    if (check_call(m, ws, B, "act") != 0)
        return -1;
    if (B == 0)
        return 0;
    if (!deterministic && rngs == NULL) {
        m->host->error(m->host, "act: sampling needs the rows' streams (rngs is NULL)");
        return -1;
    }
    ws->kept.B = 0; /* the activations no longer belong to an evaluate() */
    const float *z = forward_trunk(m, ws, 0, B, obs);
    forward_dist(m, ws, B, z);
    /* value_out NULL (allowed because the policy has parts): no value function */
    if (value_out != NULL)
        forward_value(m, ws, B, obs, z, value_out);
    if (dist_out != NULL)
        memcpy(dist_out, ws->dist, (size_t)B * m->dist.P * sizeof(float));
    net_dist_act(&m->dist, B, ws->dist, rngs, deterministic, actions_out, logp_out);
    return 0;
}

static int cnn_value(void *inst, void *wsp, uint32_t B, const float *obs, float *value_out)
{
    cnn_t *m = inst;
    cnn_ws_t *ws = wsp;
    if (check_call(m, ws, B, "value") != 0)
        return -1;
    if (B == 0)
        return 0;
    ws->kept.B = 0;
    const float *z = m->share ? forward_trunk(m, ws, 0, B, obs) : NULL;
    forward_value(m, ws, B, obs, z, value_out);
    return 0;
}

/* evaluate() of the parts in `parts` (NET_PART_*): the distribution's outputs, the values, or
 * both; the same arithmetic either way. */
static int evaluate_parts(cnn_t *m, cnn_ws_t *ws, uint32_t parts, uint32_t B, const float *obs,
                          const float *actions, const float *old_dist, float *logp_out,
                          float *entropy_out, float *kl_out, float *value_out)
{
    if (check_call(m, ws, B, "evaluate") != 0)
        return -1;
    ws->kept.B = 0;
    if (B == 0)
        return 0;

    /* keep the inputs backward needs */
    net_keep_inputs(&ws->kept, &m->dist, parts, B, m->D, obs, actions, old_dist);
    const float *z = NULL;
    if (parts & NET_PART_DIST) {
        z = forward_trunk(m, ws, 0, B, ws->kept.obs);
        forward_dist(m, ws, B, z);
    }
    if (parts & NET_PART_VALUE) {
        forward_value(m, ws, B, ws->kept.obs, z, ws->value);
        if (value_out != NULL)
            memcpy(value_out, ws->value, (size_t)B * sizeof(float));
    }
    if (parts & NET_PART_DIST)
        net_kept_evaluate(&ws->kept, &m->dist, B, ws->dist, logp_out, entropy_out, kl_out);
    ws->kept.B = B;
    ws->kept.parts = parts;
    return 0;
}

static int cnn_evaluate(void *inst, void *wsp, uint32_t B, const float *obs, const float *actions,
                        const float *old_dist, float *logp_out, float *entropy_out, float *kl_out,
                        float *value_out)
{
    return evaluate_parts(inst, wsp, NET_PART_DIST | NET_PART_VALUE, B, obs, actions, old_dist,
                          logp_out, entropy_out, kl_out, value_out);
}

/* Separate trunks make two parts; a shared trunk makes one (-1 for every segment). */
static int cnn_segment_part(void *inst, uint32_t segment)
{
    const cnn_t *m = inst;
    if (m->share || segment >= m->table.tab.n_segments)
        return -1;
    const char *name = m->table.tab.segments[segment].name;
    return strncmp(name, "vf.", 3) == 0 || strncmp(name, "vf_head.", 8) == 0 ? 1 : 0;
}

static int cnn_evaluate_part(void *inst, void *wsp, uint32_t part, uint32_t B, const float *obs,
                             const float *actions, const float *old_dist, float *logp_out,
                             float *entropy_out, float *kl_out, float *value_out)
{
    cnn_t *m = inst;
    const uint32_t parts = net_part_bits(m->host, m->share, part, "evaluate_part");
    if (parts == 0)
        return -1;
    return evaluate_parts(m, wsp, parts, B, obs, actions, old_dist, logp_out, entropy_out, kl_out,
                          value_out);
}

/* ---- backward ---- */

/* Back through trunk t given d loss / d (its output) in `d`, one of ws->d0/d1. Adds the weight
 * and bias gradients into grad; the first conv layer computes no input gradient. */
static void backward_trunk(const cnn_t *m, cnn_ws_t *ws, uint32_t t, uint32_t B, float *d,
                           float *grad)
{
    const cnn_trunk_t *tr = &m->trunk[t];
    float *other = d == ws->d0 ? ws->d1 : ws->d0;
    float *const *h = ws->h[t];
    /* the dense layers, back to d loss / d (the last conv layer's activated output) */
    d = net_dense_backward(&m->table, m->params, m->activation, B, tr->dense, m->n_dense,
                           h + m->n_conv, h[m->n_conv - 1], d, other, 1, grad);
    other = d == ws->d0 ? ws->d1 : ws->d0;
    for (uint32_t l = m->n_conv; l-- > 0;) {
        const cnn_conv_t *cv = &tr->conv[l];
        float *dx = l > 0 ? other : NULL;
        ppo_activation_backward(m->activation, B * cv->out_size, h[l], d);
        ppo_conv_backward(&cv->shape, B, l > 0 ? h[l - 1] : ws->kept.obs,
                          seg_ptr(m, m->params, cv->weight), d, dx, grad_ptr(m, grad, cv->weight),
                          grad_ptr(m, grad, cv->weight + 1), ws->conv_ws);
        other = d;
        d = dx;
    }
}

/* backward() of the parts in `parts` (those the last evaluate computed); the same arithmetic
 * either way: part 0 adds only into the distribution's segments, part 1 only into the value
 * trunk's (with a shared trunk, only both together are possible). */
static int backward_parts(cnn_t *m, cnn_ws_t *ws, uint32_t parts, uint32_t B, const float *dlogp,
                          const float *dentropy, const float *dkl, const float *dvalue,
                          float *grad_out)
{
    if (check_call(m, ws, B, "backward") != 0)
        return -1;
    if (B == 0)
        return 0;
    net_dloss_t dl = {dlogp, dentropy, dkl, dvalue};
    if (net_backward_begin(m->host, &ws->kept, parts, B, &dl) != 0)
        return -1;
    const uint32_t L = m->n_conv + m->n_dense;
    const float *z = ws->h[0][L - 1];
    float *dz = ws->d0; /* d loss / d z */

    /* the distribution head */
    int have_dz = net_backward_head(
        &m->table, m->params, &m->dist, &ws->kept, B, &m->pi_head, z, ws->dist, &dl, ws->ddist,
        ws->dhead, m->log_std != CNN_NO_SEGMENT ? grad_ptr(m, grad_out, m->log_std) : NULL, dz,
        grad_out);

    /* a shared trunk also carries the value head's gradient */
    if (dl.dvalue != NULL && m->share)
        have_dz = net_backward_value_head(&m->table, m->params, B, &m->vf_head, z, dl.dvalue, dz,
                                          have_dz, ws->d2, grad_out);
    if (have_dz)
        backward_trunk(m, ws, 0, B, dz, grad_out);

    /* the separate value trunk */
    if (dl.dvalue != NULL && !m->share) {
        const net_layer_t *VH = &m->vf_head;
        float *dv = ws->d0;
        ppo_linear_backward(B, VH->in, 1, ws->h[1][L - 1], seg_ptr(m, m->params, VH->weight),
                            dl.dvalue, dv, grad_ptr(m, grad_out, VH->weight),
                            grad_ptr(m, grad_out, VH->weight + 1));
        backward_trunk(m, ws, 1, B, dv, grad_out);
    }
    return 0;
}

static int cnn_backward(void *inst, void *wsp, uint32_t B, const float *dlogp,
                        const float *dentropy, const float *dkl, const float *dvalue,
                        float *grad_out)
{
    return backward_parts(inst, wsp, NET_PART_DIST | NET_PART_VALUE, B, dlogp, dentropy, dkl,
                          dvalue, grad_out);
}

static int cnn_backward_part(void *inst, void *wsp, uint32_t part, uint32_t B, const float *dlogp,
                             const float *dentropy, const float *dkl, const float *dvalue,
                             float *grad_out)
{
    cnn_t *m = inst;
    const uint32_t parts = net_part_bits(m->host, m->share, part, "backward_part");
    if (parts == 0)
        return -1;
    return backward_parts(m, wsp, parts, B, dlogp, dentropy, dkl, dvalue, grad_out);
}

static int cnn_export_c(void *inst, const float *params, const ppo_obs_norm_t *norm, FILE *out)
{
    return cnn_export_write(inst, params, norm, out);
}

static const ppo_policy_vtable_t cnn_vtable = {
    .struct_size = sizeof(ppo_policy_vtable_t),
    .create = cnn_create,
    .destroy = cnn_destroy,
    .segments = cnn_segments,
    .dist_size = cnn_dist_size,
    .bind = cnn_bind,
    .ws_create = cnn_ws_create,
    .ws_destroy = cnn_ws_destroy,
    .act = cnn_act,
    .value = cnn_value,
    .evaluate = cnn_evaluate,
    .backward = cnn_backward,
    .export_c = cnn_export_c,
    .segment_part = cnn_segment_part,
    .evaluate_part = cnn_evaluate_part,
    .backward_part = cnn_backward_part,
    .forward_flops = cnn_forward_flops,
};

PPO_PLUGIN_DEFINE(PPO_KIND_POLICY, "cnn", "1.0.0",
                  "Convolutional actor-critic for image observations: conv and dense trunk "
                  "(MinAtar and Nature-CNN presets), categorical, Gaussian or multi-discrete head",
                  cnn_params, PPO_ARRAY_LEN(cnn_params), &cnn_vtable)
