/* Tests of plugins/policies/cnn.c through the core's loader: backward against central finite
 * differences of evaluate through every layer kind (conv with and without padding and stride,
 * the first conv's missing input gradient, dense, heads) for every head kind (categorical,
 * Gaussian, multi-categorical) with separate and shared trunks; the parts against evaluate and
 * backward bit for bit; act's sampling and mode; batching and threads; the presets' shapes,
 * parameter counts and FLOPs; the refusals; the initialization the core gives the declared
 * segments; export_c compiled with the system's C compiler against deterministic act; and in the
 * trainer, on the fx_image fixture's uint8 frames: learning on a small budget, and the same
 * parameters with 1 and 2 threads.
 *
 * These cover, for image spaces, what `ppofw check-policy` checks on flat ones (whose spaces cnn
 * refuses). Finite differences follow tests/plugins/test_mlp.c: steps of 2^-8 (2^-6 for relu
 * networks, below; the float step taken divides), the loss sum_r c1 logp + c2 entropy + c3 KL + c4
 * value in double, each segment's gradient within FD_TOL in relative L2 norm. Relu networks get
 * parameters that keep every hidden unit clearly on or off (both branches of relu, no kink within a
 * step); should a step still cross a kink (the differences at h and h/4 disagree), that parameter
 * is left out, at most a tenth of a segment.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_model_private.h"
#include "policy_test.h"
#include "ppo_trainer_private.h"

#define FD_TOL 2e-3
#define MAX_B 64

/* The action space a test gives the policy. */
typedef enum act_kind { ACT_DISCRETE, ACT_BOX, ACT_MULTI } act_kind_t;

/* A policy made through the real loader, with its own parameter array. */
typedef struct pol {
    ppo_plugin_t *plugin;          /* (transfer none) */
    const ppo_policy_vtable_t *vt; /* the plugin's vtable */
    ppo_params_t *params;          /* validated plugin params */
    void *inst;                    /* the policy */
    ppo_space_t obs_space;         /* box (C, H, W) */
    ppo_space_t act_space;         /* discrete 3, box 2, or multi-discrete [3, 2, 4] */
    double *obs_low, *obs_high;    /* (D) */
    double act_low[4], act_high[4];
    uint32_t nvec[3];
    const ppo_segment_t *segs; /* (n_segs) */
    uint32_t n_segs;
    size_t n_params;
    float *theta; /* (n_params) bound parameters */
    uint32_t D, A, P;
} pol_t;

static pol_t *pol_try(const char *yaml, uint32_t rank, const uint32_t *shape, act_kind_t act,
                      ppo_dtype_t dtype)
{
    pol_t *p = g_new0(pol_t, 1);
    p->plugin = ppo_test_plugin("cnn");
    p->vt = &p->plugin->vt.policy;
    p->params = ppo_test_params(p->plugin, yaml);
    uint32_t D = 1;
    for (uint32_t i = 0; i < rank; i++)
        D *= shape[i];
    p->obs_low = g_new(double, D);
    p->obs_high = g_new(double, D);
    for (uint32_t i = 0; i < D; i++) {
        p->obs_low[i] = dtype == PPO_DTYPE_UINT8 ? 0.0 : -1.0;
        p->obs_high[i] = 1.0;
    }
    p->obs_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                 .kind = PPO_SPACE_BOX,
                                 .dim = D,
                                 .low = p->obs_low,
                                 .high = p->obs_high,
                                 .rank = rank,
                                 .dtype = dtype};
    for (uint32_t i = 0; i < rank; i++)
        p->obs_space.shape[i] = shape[i];
    for (int i = 0; i < 4; i++) {
        p->act_low[i] = -1.0;
        p->act_high[i] = 1.0;
    }
    p->nvec[0] = 3;
    p->nvec[1] = 2;
    p->nvec[2] = 4;
    switch (act) {
    case ACT_DISCRETE:
        p->act_space = (ppo_space_t){
            .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 3, .dim = 1};
        p->A = 1;
        break;
    case ACT_BOX:
        p->act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                     .kind = PPO_SPACE_BOX,
                                     .dim = 2,
                                     .low = p->act_low,
                                     .high = p->act_high};
        p->A = 2;
        break;
    default:
        p->act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                     .kind = PPO_SPACE_MULTI_DISCRETE,
                                     .dim = 3,
                                     .nvec = p->nvec};
        p->A = 3;
        break;
    }
    const ppo_policy_setup_t setup = {sizeof(setup), 8, &p->obs_space, &p->act_space};
    p->inst = p->vt->create(&p->plugin->host, p->params, &setup);
    if (p->inst == NULL) {
        ppo_params_free(p->params);
        g_free(p->obs_low);
        g_free(p->obs_high);
        g_free(p);
        return NULL;
    }
    p->segs = p->vt->segments(p->inst, &p->n_segs);
    for (uint32_t k = 0; k < p->n_segs; k++)
        p->n_params += (size_t)p->segs[k].rows * p->segs[k].cols;
    p->theta = g_new0(float, p->n_params);
    p->vt->bind(p->inst, p->theta);
    p->D = D;
    p->P = p->vt->dist_size(p->inst);
    return p;
}

static pol_t *pol_new(const char *yaml, uint32_t rank, const uint32_t *shape, act_kind_t act)
{
    pol_t *p = pol_try(yaml, rank, shape, act, PPO_DTYPE_FLOAT32);
    if (p == NULL) {
        char *msg = ppo_host_take_error();
        ck_abort_msg("cnn create %s failed: %s", yaml, msg != NULL ? msg : "(no message)");
    }
    return p;
}

static void pol_free(pol_t *p)
{
    p->vt->destroy(p->inst);
    ppo_params_free(p->params);
    g_free(p->theta);
    g_free(p->obs_low);
    g_free(p->obs_high);
    g_free(p);
}

/* The policy as policy_test's checks see it. */
static pt_policy_t pt_of(const pol_t *p)
{
    return (pt_policy_t){p->vt,         p->inst, p->segs, p->n_segs, p->n_params,
                         &p->act_space, p->D,    p->A,    p->P};
}

/* Weights uniform in +-1.5/sqrt(fan_in), biases in +-0.3, log_std in [-0.6, 0.2]. */
static void pol_randomize(pol_t *p, GRand *r)
{
    for (uint32_t k = 0; k < p->n_segs; k++) {
        const ppo_segment_t *s = &p->segs[k];
        float *v = p->theta + pt_seg_offset(p->segs, k);
        for (size_t i = 0; i < (size_t)s->rows * s->cols; i++) {
            if (strcmp(s->name, "log_std") == 0)
                v[i] = (float)g_rand_double_range(r, -0.6, 0.2);
            else if (g_str_has_suffix(s->name, ".bias"))
                v[i] = (float)g_rand_double_range(r, -0.3, 0.3);
            else
                v[i] = (float)g_rand_double_range(r, -1.5, 1.5) / sqrtf((float)s->cols);
        }
    }
}

/* For relu networks: every hidden unit clearly on (even units: bias about 1) or off (odd: about
 * -1) whatever the input (weights within +-0.5/sqrt(fan_in)), so no finite-difference step
 * crosses a kink. */
static void pol_randomize_away_from_kinks(pol_t *p, GRand *r)
{
    pol_randomize(p, r);
    for (uint32_t k = 0; k < p->n_segs; k++) {
        const ppo_segment_t *s = &p->segs[k];
        if (g_str_has_prefix(s->name, "pi_head") || g_str_has_prefix(s->name, "vf_head") ||
            strcmp(s->name, "log_std") == 0)
            continue;
        float *v = p->theta + pt_seg_offset(p->segs, k);
        for (size_t i = 0; i < (size_t)s->rows * s->cols; i++) {
            if (g_str_has_suffix(s->name, ".bias"))
                v[i] = (float)(g_rand_double_range(r, 0.8, 1.2) * (i % 2 == 0 ? 1 : -1));
            else
                v[i] = (float)g_rand_double_range(r, -0.5, 0.5) / sqrtf((float)s->cols);
        }
    }
}

/* Actions and an old distribution that fit the policy's head. */
static void make_samples(const pol_t *p, GRand *r, uint32_t B, float **actions, float **old)
{
    *actions = g_new(float, (size_t)B * p->A);
    *old = pt_rand_floats(r, (size_t)B * p->P, -1.0, 1.0);
    for (uint32_t b = 0; b < B; b++)
        for (uint32_t a = 0; a < p->A; a++) {
            float *x = &(*actions)[b * p->A + a];
            switch (p->act_space.kind) {
            case PPO_SPACE_DISCRETE:
                *x = (float)g_rand_int_range(r, 0, (gint32)p->act_space.n);
                break;
            case PPO_SPACE_MULTI_DISCRETE:
                *x = (float)g_rand_int_range(r, 0, (gint32)p->nvec[a]);
                break;
            default:
                *x = (float)g_rand_double_range(r, -1.5, 1.5);
                (*old)[b * p->P + p->A + a] = (float)g_rand_double_range(r, -0.7, 0.1);
                break;
            }
        }
}

/* ---- finite differences ---- */

typedef struct fd_case {
    const char *yaml;
    act_kind_t act;
    uint32_t B;
} fd_case_t;

typedef struct fd_data {
    pol_t *p;
    void *ws;
    uint32_t B;
    int relu; /* relu networks: longer steps, kinks left out */
    float *obs, *actions, *old, *c[4];
} fd_data_t;

static double fd_loss(const void *ctx)
{
    const fd_data_t *f = ctx;
    float lp[MAX_B], h[MAX_B], kl[MAX_B], v[MAX_B];
    ck_assert_int_eq(
        f->p->vt->evaluate(f->p->inst, f->ws, f->B, f->obs, f->actions, f->old, lp, h, kl, v), 0);
    double L = 0.0;
    for (uint32_t b = 0; b < f->B; b++)
        L += (double)f->c[0][b] * lp[b] + (double)f->c[1][b] * h[b] + (double)f->c[2][b] * kl[b] +
             (double)f->c[3][b] * v[b];
    return L;
}

/* The central difference in parameter i: steps of 2^-8, or 2^-6 for relu networks (whose units sit
 * far from their kinks: a longer step, less rounding); with relu, a step that still crosses a
 * kink of some unit shows as two step sizes that disagree, and the parameter is left out (NAN). */
static double fd_one(void *ctx, uint32_t seg, size_t i)
{
    fd_data_t *f = ctx;
    (void)seg;
    const float h = f->relu ? 0x1p-6f : 0x1p-8f;
    const double fd = pt_central_difference(f->p->theta, i, h, fd_loss, f);
    if (f->relu) {
        const double fd_small = pt_central_difference(f->p->theta, i, h / 4, fd_loss, f);
        if (fabs(fd - fd_small) > 10 * FD_TOL * fmax(fmax(fabs(fd), fabs(fd_small)), 1e-2))
            return NAN;
    }
    return fd;
}

/* The image the FD policies see: 2 channels of 7 x 6. */
static const uint32_t fd_shape[3] = {2, 7, 6};

static double fd_check(const fd_case_t *fc, uint64_t seed)
{
    GRand *r = g_rand_new_with_seed((guint32)seed);
    fd_data_t f = {.B = fc->B};
    f.p = pol_new(fc->yaml, 3, fd_shape, fc->act);
    pol_t *p = f.p;
    const int relu = strstr(fc->yaml, "tanh") == NULL;
    f.relu = relu;
    if (relu)
        pol_randomize_away_from_kinks(p, r);
    else
        pol_randomize(p, r);
    f.ws = p->vt->ws_create(p->inst, f.B);
    ck_assert_ptr_nonnull(f.ws);
    f.obs = pt_rand_floats(r, (size_t)f.B * p->D, -1.0, 1.0);
    make_samples(p, r, f.B, &f.actions, &f.old);
    for (int k = 0; k < 4; k++)
        f.c[k] = pt_rand_floats(r, f.B, -1.0, 1.0);

    /* analytic: evaluate then backward into zeros */
    float *grad = g_new0(float, p->n_params);
    fd_loss(&f);
    ck_assert_int_eq(p->vt->backward(p->inst, f.ws, f.B, f.c[0], f.c[1], f.c[2], f.c[3], grad), 0);

    char label[256];
    snprintf(label, sizeof(label), "%s B=%u", fc->yaml, fc->B);
    const double worst = pt_fd_segments(p->segs, p->n_segs, grad, fd_one, &f, FD_TOL, 0, label);

    /* backward adds: a second pass doubles the gradient */
    float *grad2 = g_memdup2(grad, sizeof(float) * p->n_params);
    fd_loss(&f);
    ck_assert_int_eq(p->vt->backward(p->inst, f.ws, f.B, f.c[0], f.c[1], f.c[2], f.c[3], grad2), 0);
    pt_check_backward_adds(grad, grad2, p->n_params);

    g_free(grad);
    g_free(grad2);
    g_free(f.obs);
    g_free(f.actions);
    g_free(f.old);
    for (int k = 0; k < 4; k++)
        g_free(f.c[k]);
    p->vt->ws_destroy(p->inst, f.ws);
    pol_free(p);
    g_rand_free(r);
    return worst;
}

static void fd_run(const char *label, const fd_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const double worst = fd_check(&cases[i], 2000 + i);
        printf("FD %-12s B=%-2u %-70s max segment rel error %.2e\n", label, cases[i].B,
               cases[i].yaml, worst);
    }
}

/* every layer kind: a padded conv with a stride, a second conv (input gradients), dense */
#define NET                                                                                        \
    "preset: none, conv_filters: [3, 4], conv_kernels: [3, 2], conv_strides: [1, 2], "             \
    "conv_padding: [1, 0], dense: [5]"
#define SEP NET ", share_trunk: false"

START_TEST(test_cnn_backward_matches_finite_differences_categorical)
{
    static const fd_case_t cases[] = {
        {"{" NET "}", ACT_DISCRETE, 3},
        {"{" SEP "}", ACT_DISCRETE, 3},
        {"{" NET ", activation: tanh}", ACT_DISCRETE, 3},
        {"{" SEP ", activation: tanh}", ACT_DISCRETE, 3},
        {"{preset: none, conv_filters: [2], conv_kernels: [6], conv_strides: [1], "
         "conv_padding: [0], dense: [], share_trunk: false}",
         ACT_DISCRETE, 4},
    };
    fd_run("categorical", cases, G_N_ELEMENTS(cases));
}
END_TEST

START_TEST(test_cnn_backward_matches_finite_differences_gaussian)
{
    static const fd_case_t cases[] = {
        {"{" NET "}", ACT_BOX, 3},
        {"{" SEP "}", ACT_BOX, 3},
        {"{" SEP ", activation: tanh}", ACT_BOX, 3},
    };
    fd_run("gaussian", cases, G_N_ELEMENTS(cases));
}
END_TEST

START_TEST(test_cnn_backward_matches_finite_differences_multi_discrete)
{
    static const fd_case_t cases[] = {
        {"{" NET "}", ACT_MULTI, 3},
        {"{" SEP ", activation: tanh}", ACT_MULTI, 3},
    };
    fd_run("multi", cases, G_N_ELEMENTS(cases));
}
END_TEST

/* ---- the segment table, presets, FLOPs, init ---- */

typedef struct seg_expect {
    const char *name;
    uint32_t rows, cols;
} seg_expect_t;

static void check_table(const pol_t *p, const seg_expect_t *want, uint32_t n)
{
    ck_assert_uint_eq(p->n_segs, n);
    size_t total = 0;
    for (uint32_t k = 0; k < n; k++) {
        ck_assert_str_eq(p->segs[k].name, want[k].name);
        ck_assert_uint_eq(p->segs[k].rows, want[k].rows);
        ck_assert_uint_eq(p->segs[k].cols, want[k].cols);
        total += (size_t)want[k].rows * want[k].cols;
    }
    ck_assert_uint_eq(p->n_params, total);
}

START_TEST(test_cnn_minatar_preset_has_the_minatar_network)
{
    /* MinAtar's frames (4, 10, 10), 6 actions */
    const uint32_t shape[3] = {4, 10, 10};
    pol_t *p = pol_try("", 3, shape, ACT_DISCRETE, PPO_DTYPE_UINT8);
    ck_assert_ptr_nonnull(p);
    static const seg_expect_t shared[] = {
        {"conv.0.weight", 16, 4 * 9}, {"conv.0.bias", 16, 1},     {"dense.0.weight", 128, 1024},
        {"dense.0.bias", 128, 1},     {"pi_head.weight", 3, 128}, {"pi_head.bias", 3, 1},
        {"vf_head.weight", 1, 128},   {"vf_head.bias", 1, 1},
    };
    check_table(p, shared, G_N_ELEMENTS(shared));
    ck_assert_uint_eq(p->n_params, 16 * 4 * 9 + 16 + 1024 * 128 + 128 + 3 * 128 + 3 + 128 + 1);
    /* conv 2 C k^2 O Ho Wo, dense 2 I O, heads 2 latent (n + 1) */
    ck_assert_double_eq(p->vt->forward_flops(p->inst),
                        2.0 * 4 * 9 * 16 * 64 + 2.0 * 1024 * 128 + 2.0 * 128 * (3 + 1));
    pol_free(p);

    /* separate trunks: pi.* and vf.*, twice the trunk's work */
    p = pol_new("{share_trunk: false}", 3, shape, ACT_DISCRETE);
    static const seg_expect_t separate[] = {
        {"pi.conv.0.weight", 16, 36}, {"pi.conv.0.bias", 16, 1},  {"pi.dense.0.weight", 128, 1024},
        {"pi.dense.0.bias", 128, 1},  {"pi_head.weight", 3, 128}, {"pi_head.bias", 3, 1},
        {"vf.conv.0.weight", 16, 36}, {"vf.conv.0.bias", 16, 1},  {"vf.dense.0.weight", 128, 1024},
        {"vf.dense.0.bias", 128, 1},  {"vf_head.weight", 1, 128}, {"vf_head.bias", 1, 1},
    };
    check_table(p, separate, G_N_ELEMENTS(separate));
    ck_assert_double_eq(p->vt->forward_flops(p->inst),
                        2 * (2.0 * 4 * 9 * 16 * 64 + 2.0 * 1024 * 128) + 2.0 * 128 * (3 + 1));
    pol_free(p);

    /* a rank-2 observation is one channel; a box action adds log_std */
    const uint32_t plane[2] = {10, 10};
    p = pol_new("", 2, plane, ACT_BOX);
    ck_assert_str_eq(p->segs[0].name, "conv.0.weight");
    ck_assert_uint_eq(p->segs[0].cols, 9);
    ck_assert_str_eq(p->segs[p->n_segs - 1].name, "log_std");
    ck_assert_uint_eq(p->segs[p->n_segs - 1].rows, 2);
    ck_assert_uint_eq(p->P, 4);
    pol_free(p);
}
END_TEST

START_TEST(test_cnn_nature_preset_has_the_nature_cnn)
{
    const uint32_t shape[3] = {4, 84, 84};
    pol_t *p = pol_new("{preset: nature}", 3, shape, ACT_MULTI);
    static const seg_expect_t want[] = {
        {"conv.0.weight", 32, 4 * 64},  {"conv.0.bias", 32, 1},
        {"conv.1.weight", 64, 32 * 16}, {"conv.1.bias", 64, 1},
        {"conv.2.weight", 64, 64 * 9},  {"conv.2.bias", 64, 1},
        {"dense.0.weight", 512, 3136},  {"dense.0.bias", 512, 1},
        {"pi_head.weight", 9, 512},     {"pi_head.bias", 9, 1},
        {"vf_head.weight", 1, 512},     {"vf_head.bias", 1, 1},
    };
    check_table(p, want, G_N_ELEMENTS(want));
    /* 84 -> 20 -> 9 -> 7: 64 x 7 x 7 = 3136 features */
    const double flops = 2.0 * 4 * 64 * 32 * 400 + 2.0 * 32 * 16 * 64 * 81 +
                         2.0 * 64 * 9 * 64 * 49 + 2.0 * 3136 * 512 + 2.0 * 512 * (9 + 1);
    ck_assert_double_eq(p->vt->forward_flops(p->inst), flops);
    ck_assert_uint_eq(p->P, 3 + 2 + 4);
    ck_assert_uint_eq(p->A, 3);
    pol_free(p);
}
END_TEST

START_TEST(test_cnn_core_initializes_orthogonally_with_cleanrl_gains)
{
    /* through the core's parameter store: W W^T = gain^2 I for each weight (rows <= cols),
     * zero biases */
    ppo_plugin_t *plugin = ppo_test_plugin("cnn");
    ppo_params_t *params = ppo_test_params(plugin, "{share_trunk: false}");
    const double lo = 0.0, hi = 1.0;
    double low[400], high[400];
    for (int i = 0; i < 400; i++) {
        low[i] = lo;
        high[i] = hi;
    }
    ppo_space_t obs = {.struct_size = sizeof(ppo_space_t),
                       .kind = PPO_SPACE_BOX,
                       .dim = 400,
                       .low = low,
                       .high = high,
                       .rank = 3,
                       .shape = {4, 10, 10},
                       .dtype = PPO_DTYPE_UINT8};
    ppo_space_t act = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 6, .dim = 1};
    GError *error = NULL;
    ppo_model_t *m = ppo_model_new(plugin, params, &obs, &act, 1, 0, &error);
    ck_assert_msg(m != NULL, "%s", error != NULL ? error->message : "");
    ppo_model_init(m, 7);
    for (uint32_t k = 0; k < m->n_segments; k++) {
        const ppo_segment_t *s = &m->segments[k];
        const float *w = m->params + m->offsets[k];
        if (g_str_has_suffix(s->name, ".bias")) {
            for (uint32_t i = 0; i < s->rows; i++)
                ck_assert_float_eq(w[i], 0.0f);
            continue;
        }
        const double gain = g_str_has_prefix(s->name, "pi_head")   ? 0.01
                            : g_str_has_prefix(s->name, "vf_head") ? 1.0
                                                                   : sqrt(2.0);
        double worst = 0.0;
        for (uint32_t a = 0; a < s->rows; a++)
            for (uint32_t b = 0; b <= a; b++) {
                double dot = 0.0;
                for (uint32_t i = 0; i < s->cols; i++)
                    dot += (double)w[(size_t)a * s->cols + i] * w[(size_t)b * s->cols + i];
                worst = fmax(worst, fabs(dot - (a == b ? gain * gain : 0.0)) / (gain * gain));
            }
        ck_assert_msg(worst < 1e-4, "%s: W W^T is %.3g away from gain^2 I", s->name, worst);
    }
    ppo_model_free(m);
    ppo_params_free(params);
}
END_TEST

START_TEST(test_cnn_declared_init_follows_ortho_init)
{
    const uint32_t shape[3] = {4, 10, 10};
    pol_t *p = pol_new("{ortho_init: false}", 3, shape, ACT_BOX);
    for (uint32_t k = 0; k < p->n_segs; k++) {
        const ppo_segment_t *s = &p->segs[k];
        if (strcmp(s->name, "log_std") == 0) {
            ck_assert_int_eq(s->init, PPO_INIT_CONSTANT);
            continue;
        }
        /* PyTorch's Conv2d and Linear default: uniform(+-1/sqrt(fan_in)), fan_in = C k k or I */
        ck_assert_int_eq(s->init, PPO_INIT_UNIFORM);
        const uint32_t fan_in = g_str_has_suffix(s->name, ".bias") ? p->segs[k - 1].cols : s->cols;
        ck_assert_double_eq_tol(s->value, 1.0 / sqrt(fan_in), 1e-15);
    }
    ck_assert_uint_eq(p->segs[0].cols, 36);
    pol_free(p);
}
END_TEST

/* ---- act, value, evaluate, parts ---- */

static const char *const consistency_yaml[] = {
    "{" NET "}",
    "{" SEP "}",
    "{" SEP ", activation: tanh}",
};

START_TEST(test_cnn_act_value_evaluate_agree)
{
    GRand *r = g_rand_new_with_seed(51);
    for (int c = 0; c < (int)G_N_ELEMENTS(consistency_yaml); c++)
        for (act_kind_t kind = ACT_DISCRETE; kind <= ACT_MULTI; kind++) {
            const uint32_t B = 6;
            pol_t *p = pol_new(consistency_yaml[c], 3, fd_shape, kind);
            pol_randomize(p, r);
            float *obs = pt_rand_floats(r, (size_t)B * p->D, -1, 1);
            const pt_policy_t pp = pt_of(p);
            pt_check_act_value_evaluate(&pp, B, obs,
                                        strstr(consistency_yaml[c], "share_trunk: false") != NULL,
                                        consistency_yaml[c]);
            g_free(obs);
            pol_free(p);
        }
    g_rand_free(r);
}
END_TEST

START_TEST(test_cnn_sampling_follows_the_distribution)
{
    /* one observation, many streams: each action's frequency is its probability */
    GRand *r = g_rand_new_with_seed(52);
    pol_t *p = pol_new("{" NET "}", 3, fd_shape, ACT_DISCRETE);
    pol_randomize(p, r);
    void *ws = p->vt->ws_create(p->inst, 1);
    float *obs = pt_rand_floats(r, p->D, -1, 1);
    enum { N = 30000 };
    uint32_t count[3] = {0, 0, 0};
    float logits[3];
    for (int i = 0; i < N; i++) {
        ppo_rng_t s;
        ppo_rng_seed(&s, 9, "act", (uint64_t)i);
        ppo_rng_t *rngs[1] = {&s};
        float a, lp, v;
        ck_assert_int_eq(p->vt->act(p->inst, ws, 1, obs, NULL, rngs, 0, &a, &lp, &v, logits), 0);
        count[(int)a]++;
    }
    double mx = fmax(logits[0], fmax(logits[1], logits[2])), z = 0.0;
    for (int k = 0; k < 3; k++)
        z += exp(logits[k] - mx);
    for (int k = 0; k < 3; k++) {
        const double prob = exp(logits[k] - mx) / z, freq = (double)count[k] / N;
        ck_assert_msg(fabs(freq - prob) < 5 * sqrt(prob * (1 - prob) / N) + 1e-9,
                      "action %d: frequency %.4f, probability %.4f", k, freq, prob);
    }
    g_free(obs);
    p->vt->ws_destroy(p->inst, ws);
    pol_free(p);
    g_rand_free(r);
}
END_TEST

START_TEST(test_cnn_parts_equal_evaluate_and_backward_and_stay_in_their_segments)
{
    GRand *r = g_rand_new_with_seed(53);
    for (int c = 0; c < (int)G_N_ELEMENTS(consistency_yaml); c++)
        for (act_kind_t kind = ACT_DISCRETE; kind <= ACT_MULTI; kind++) {
            const uint32_t B = 7;
            pol_t *p = pol_new(consistency_yaml[c], 3, fd_shape, kind);
            pol_randomize(p, r);
            const int shared = strstr(consistency_yaml[c], "share_trunk: false") == NULL;
            float *obs = pt_rand_floats(r, (size_t)B * p->D, -1, 1), *actions, *old;
            make_samples(p, r, B, &actions, &old);
            float *d[4];
            for (int k = 0; k < 4; k++)
                d[k] = pt_rand_floats(r, B, -1, 1);
            const pt_policy_t pp = pt_of(p);
            pt_check_parts(&pp, shared, B, obs, actions, old, d, consistency_yaml[c]);
            for (int k = 0; k < 4; k++)
                g_free(d[k]);
            g_free(obs);
            g_free(actions);
            g_free(old);
            pol_free(p);
        }
    g_rand_free(r);
}
END_TEST

START_TEST(test_cnn_rows_in_one_call_equal_rows_one_at_a_time)
{
    /* the conv layers give each row its own bits; the dense layers' last bits may move with the
     * batch size (nn.h), so rows agree to float rounding */
    GRand *r = g_rand_new_with_seed(54);
    const uint32_t shape[3] = {4, 10, 10};
    for (int sep = 0; sep <= 1; sep++) {
        const uint32_t B = 40;
        pol_t *p = pol_new(sep ? "{share_trunk: false}" : "", 3, shape, ACT_DISCRETE);
        pol_randomize(p, r);
        void *ws = p->vt->ws_create(p->inst, B);
        float *obs = pt_rand_floats(r, (size_t)B * p->D, 0, 1);
        float acts[40], lp[40], v[40], dist[120];
        ck_assert_int_eq(p->vt->act(p->inst, ws, B, obs, NULL, NULL, 1, acts, lp, v, dist), 0);
        double worst = 0.0;
        for (uint32_t b = 0; b < B; b++) {
            float a1, lp1, v1, d1[3];
            ck_assert_int_eq(
                p->vt->act(p->inst, ws, 1, obs + b * p->D, NULL, NULL, 1, &a1, &lp1, &v1, d1), 0);
            const double e = fabs((double)v1 - v[b]) / fmax(1.0, fabs((double)v[b]));
            worst = fmax(worst, e);
            ck_assert_msg(e <= 1e-5, "row %u: value %.9g batched, %.9g alone", b, (double)v[b],
                          (double)v1);
            for (int k = 0; k < 3; k++)
                ck_assert_msg(fabsf(d1[k] - dist[b * 3 + k]) <= 1e-5f * fmaxf(1.0f, fabsf(d1[k])),
                              "row %u logit %d: %.9g vs %.9g", b, k, (double)d1[k],
                              (double)dist[b * 3 + k]);
        }
        printf("rows alone vs batched (cnn, share %d): max relative value difference %.2e\n", !sep,
               worst);
        g_free(obs);
        p->vt->ws_destroy(p->inst, ws);
        pol_free(p);
    }
    g_rand_free(r);
}
END_TEST

/* ---- threads ---- */

START_TEST(test_cnn_two_workspaces_on_two_threads_match_sequential_calls)
{
    GRand *r = g_rand_new_with_seed(55);
    const uint32_t shape[3] = {4, 10, 10};
    pol_t *p = pol_new("{share_trunk: false}", 3, shape, ACT_MULTI);
    pol_randomize(p, r);
    const uint32_t Bs[2] = {7, 40};
    float *obs[2], *actions[2], *old[2], *coef[2];
    for (int t = 0; t < 2; t++) {
        obs[t] = pt_rand_floats(r, (size_t)Bs[t] * p->D, 0, 1);
        make_samples(p, r, Bs[t], &actions[t], &old[t]);
        coef[t] = pt_rand_floats(r, Bs[t], -1, 1);
    }
    const pt_policy_t pp = pt_of(p);
    pt_check_two_threads(&pp, 20, Bs, obs, actions, old, coef);
    for (int t = 0; t < 2; t++) {
        g_free(obs[t]);
        g_free(actions[t]);
        g_free(old[t]);
        g_free(coef[t]);
    }
    pol_free(p);
    g_rand_free(r);
}
END_TEST

/* ---- refusals ---- */

/* create fails and the message holds every word of `words` (NULL-terminated) */
static void expect_refusal(const char *yaml, uint32_t rank, const uint32_t *shape, act_kind_t act,
                           const char *const *words)
{
    pol_t *p = pol_try(yaml, rank, shape, act, PPO_DTYPE_FLOAT32);
    ck_assert_msg(p == NULL, "cnn accepted %s", yaml);
    char *msg = ppo_host_take_error();
    ck_assert_ptr_nonnull(msg);
    for (int w = 0; words[w] != NULL; w++)
        ck_assert_msg(strstr(msg, words[w]) != NULL, "\"%s\" lacks \"%s\"", msg, words[w]);
    g_free(msg);
}

START_TEST(test_cnn_refuses_what_it_cannot_build_and_says_how_to_fix_it)
{
    const uint32_t flat[1] = {400}, minatar[3] = {4, 10, 10}, tiny[3] = {1, 2, 2};
    expect_refusal("", 1, flat, ACT_DISCRETE,
                   (const char *const[]){"flat box of 400", "rank 3", "mlp", NULL});
    /* the Nature-CNN's 8x8 kernels on MinAtar's 10x10 frames: the second layer does not fit */
    expect_refusal("{preset: nature}", 3, minatar, ACT_DISCRETE,
                   (const char *const[]){"conv layer 1", "4x4 kernel does not fit the 1x1 image",
                                         "preset: minatar fits 10x10", NULL});
    expect_refusal("", 3, tiny, ACT_DISCRETE,
                   (const char *const[]){"conv layer 0", "3x3 kernel does not fit", NULL});
    expect_refusal(
        "{preset: none, conv_filters: [8, 8], conv_kernels: [3], conv_strides: [1, 1], "
        "conv_padding: [0, 0]}",
        3, minatar, ACT_DISCRETE,
        (const char *const[]){"conv_kernels has 1 entries but conv_filters has 2", NULL});
    expect_refusal("{conv_filters: [32]}", 3, minatar, ACT_DISCRETE,
                   (const char *const[]){"conv_filters is given", "preset: none", NULL});
    expect_refusal("{preset: none, conv_padding: [3]}", 3, minatar, ACT_DISCRETE,
                   (const char *const[]){"padding 3x3 is not smaller", NULL});
}
END_TEST

/* A pipeline written back with every key (a run's pipeline.yaml, a checkpoint's) holds the
 * default layer lists next to the preset; they, or the preset's own lists, build the preset's
 * network, so such a run can be evaluated and resumed. */
START_TEST(test_cnn_preset_builds_its_network_from_a_pipeline_written_back_with_every_key)
{
    const uint32_t atari[3] = {4, 84, 84}, minatar[3] = {4, 10, 10};
    static const char defaults[] = "conv_filters: [16], conv_kernels: [3], conv_strides: [1], "
                                   "conv_padding: [0], dense: [128]";
    static const char nature_lists[] = "conv_filters: [32, 64, 64], conv_kernels: [8, 4, 3], "
                                       "conv_strides: [4, 2, 1], conv_padding: [0, 0, 0], "
                                       "dense: [512]";
    pol_t *want = pol_new("{preset: nature}", 3, atari, ACT_DISCRETE);
    char *text = g_strdup_printf("{preset: nature, %s}", defaults);
    pol_t *p = pol_new(text, 3, atari, ACT_DISCRETE);
    ck_assert_uint_eq(p->n_params, want->n_params);
    ck_assert_uint_eq(p->n_segs, want->n_segs);
    ck_assert_str_eq(p->segs[2].name, "conv.1.weight");
    pol_free(p);
    g_free(text);
    text = g_strdup_printf("{preset: nature, %s}", nature_lists);
    p = pol_new(text, 3, atari, ACT_DISCRETE);
    ck_assert_uint_eq(p->n_params, want->n_params);
    pol_free(p);
    g_free(text);
    pol_free(want);

    /* the defaults are the minatar preset's lists, with or without the preset */
    want = pol_new("", 3, minatar, ACT_DISCRETE);
    text = g_strdup_printf("{preset: minatar, %s}", defaults);
    p = pol_new(text, 3, minatar, ACT_DISCRETE);
    ck_assert_uint_eq(p->n_params, want->n_params);
    pol_free(p);
    g_free(text);
    p = pol_new("{preset: none}", 3, minatar, ACT_DISCRETE);
    ck_assert_uint_eq(p->n_params, want->n_params);
    ck_assert_uint_eq(p->n_segs, want->n_segs);
    ck_assert_double_eq(p->vt->forward_flops(p->inst), want->vt->forward_flops(want->inst));
    pol_free(p);
    pol_free(want);

    /* a list that is neither the preset's nor the default is still refused */
    expect_refusal("{preset: nature, dense: [256]}", 3, atari, ACT_DISCRETE,
                   (const char *const[]){"dense is given", "preset: none", NULL});
}
END_TEST

START_TEST(test_cnn_refuses_action_spaces_it_cannot_handle)
{
    ppo_plugin_t *plugin = ppo_test_plugin("cnn");
    ppo_params_t *params = ppo_test_params(plugin, "");
    double lo[100], hi[100];
    for (int i = 0; i < 100; i++) {
        lo[i] = 0;
        hi[i] = 1;
    }
    const ppo_space_t obs = {.struct_size = sizeof(ppo_space_t),
                             .kind = PPO_SPACE_BOX,
                             .dim = 100,
                             .low = lo,
                             .high = hi,
                             .rank = 2,
                             .shape = {10, 10}};
    const uint32_t bad_nvec[2] = {3, 1};
    const ppo_space_t one = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 1, .dim = 1};
    const ppo_space_t multi = {.struct_size = sizeof(ppo_space_t),
                               .kind = PPO_SPACE_MULTI_DISCRETE,
                               .dim = 2,
                               .nvec = bad_nvec};
    const ppo_space_t dict = {.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DICT};
    const struct {
        const ppo_space_t *act;
        const char *words[2];
    } cases[] = {
        {&one, {"1 actions", "at least 2"}},
        {&multi, {"component 1", "1 choices"}},
        {&dict, {"action space is dict", "multi_discrete"}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const ppo_policy_setup_t setup = {sizeof(setup), 1, &obs, cases[i].act};
        ck_assert_ptr_null(plugin->vt.policy.create(&plugin->host, params, &setup));
        char *msg = ppo_host_take_error();
        ck_assert_ptr_nonnull(msg);
        for (int w = 0; w < 2; w++)
            ck_assert_msg(strstr(msg, cases[i].words[w]) != NULL, "message: %s", msg);
        g_free(msg);
    }
    ppo_params_free(params);
}
END_TEST

START_TEST(test_cnn_backward_needs_an_evaluate_of_the_same_rows)
{
    GRand *r = g_rand_new_with_seed(56);
    pol_t *p = pol_new("{" NET "}", 3, fd_shape, ACT_DISCRETE);
    pol_randomize(p, r);
    void *ws = p->vt->ws_create(p->inst, 4);
    float *obs = pt_rand_floats(r, 4 * p->D, -1, 1), *grad = g_new0(float, p->n_params);
    float c[4] = {1, 1, 1, 1}, a[4], lp[4], v[4], d[12];
    ck_assert_int_lt(p->vt->backward(p->inst, ws, 4, c, c, c, c, grad), 0);
    g_free(ppo_host_take_error());
    ck_assert_int_eq(p->vt->act(p->inst, ws, 4, obs, NULL, NULL, 1, a, lp, v, d), 0);
    ck_assert_int_lt(p->vt->backward(p->inst, ws, 4, c, c, c, c, grad), 0);
    char *msg = ppo_host_take_error();
    ck_assert(strstr(msg, "evaluate") != NULL);
    g_free(msg);
    /* more rows than the workspace holds */
    float obs5[5 * 84];
    ck_assert_int_lt(p->vt->value(p->inst, ws, 5, obs5, v), 0);
    g_free(ppo_host_take_error());
    g_free(obs);
    g_free(grad);
    p->vt->ws_destroy(p->inst, ws);
    pol_free(p);
    g_rand_free(r);
}
END_TEST

/* ---- export_c ---- */

/* Export, compile with tests/plugins/policy_export_driver.c, and compare the program's actions with
 * deterministic act on N observations (uint8 frames of 0/1 cells, or floats with normalization). */
static void check_export(const char *yaml, uint32_t rank, const uint32_t *shape, act_kind_t kind,
                         ppo_dtype_t dtype, uint64_t seed)
{
    GRand *r = g_rand_new_with_seed((guint32)seed);
    pol_t *p = pol_try(yaml, rank, shape, kind, dtype);
    ck_assert_msg(p != NULL, "%s", yaml);
    pol_randomize(p, r);
    enum { N = 300 };
    const uint32_t D = p->D;
    const int u8 = dtype == PPO_DTYPE_UINT8;

    /* float spaces get a normalization with visible effect; uint8 frames are used scaled */
    double *mean = g_new(double, D), *var = g_new(double, D);
    for (uint32_t i = 0; i < D; i++) {
        mean[i] = g_rand_double_range(r, -0.5, 0.5);
        var[i] = g_rand_double_range(r, 0.05, 2);
    }
    const ppo_obs_norm_t norm = {sizeof(norm), 1, D, 0, mean, var, 1e-8, 2.5};

    char *dir = ppo_test_tmpdir();
    const char *obs_decl = u8 ? "const unsigned char *obs" : "const double *obs";
    char *proto = g_strdup_printf(kind == ACT_DISCRETE ? "int ppo_policy_act(%s)"
                                  : kind == ACT_MULTI  ? "void ppo_policy_act(%s, int *action)"
                                                       : "void ppo_policy_act(%s, double *action)",
                                  obs_decl);
    char *c_path = pt_export_write(p->vt, p->inst, p->theta, u8 ? NULL : &norm, dir, proto);
    g_free(proto);
    char *source = NULL;
    ck_assert(g_file_get_contents(c_path, &source, NULL, NULL));
    ck_assert((strstr(source, "#define PPO_POLICY_OBS_UINT8 1") != NULL) == u8);
    ck_assert((strstr(source, "#define PPO_POLICY_NVEC {3, 2, 4}") != NULL) == (kind == ACT_MULTI));
    g_free(source);

    /* the observations: what the env writes, and the floats the core hands the policy */
    float *seen = g_new(float, (size_t)N *D);
    char *in_path = g_build_filename(dir, "obs.txt", NULL);
    FILE *f = fopen(in_path, "w");
    for (size_t i = 0; i < (size_t)N * D; i++) {
        const uint32_t c = (uint32_t)(i % D);
        if (u8) {
            const int x = g_rand_int_range(r, 0, 5) == 0; /* sparse 0/1 cells, as MinAtar's */
            seen[i] = (float)(((double)x - p->obs_low[c]) / (p->obs_high[c] - p->obs_low[c]));
            fprintf(f, "%d%c", x, c + 1 < D ? ' ' : '\n');
        } else {
            const double raw = (float)g_rand_double_range(r, mean[c] - 3 * sqrt(var[c]),
                                                          mean[c] + 3 * sqrt(var[c]));
            double v = (raw - mean[c]) * (1.0 / sqrt(var[c] + norm.epsilon));
            v = v < -norm.clip ? -norm.clip : v > norm.clip ? norm.clip : v;
            seen[i] = (float)v;
            fprintf(f, "%a%c", raw, c + 1 < D ? ' ' : '\n');
        }
    }
    fclose(f);

    char *out_path = g_build_filename(dir, "actions.txt", NULL);
    if (pt_export_run(dir, c_path, in_path, out_path)) {
        /* the plugin's deterministic act: all rows at once, and in collection-sized chunks */
        const double worst = pt_export_compare_act(p->vt, p->inst, D, p->A, p->P, kind == ACT_BOX,
                                                   N, seen, out_path, yaml);
        ck_assert_msg(worst <= 1e-5, "exported means differ by %.3g", worst);
        printf("export_c (%s, %s): %d observations, actions agree (max mean difference %.2g)\n",
               yaml, u8 ? "uint8" : "float", N, worst);
    }

    ppo_test_rm_tree(dir);
    g_free(seen);
    g_free(mean);
    g_free(var);
    g_free(c_path);
    g_free(in_path);
    g_free(out_path);
    g_free(dir);
    pol_free(p);
    g_rand_free(r);
}

START_TEST(test_cnn_export_c_matches_the_plugin_on_uint8_frames)
{
    const uint32_t minatar[3] = {4, 10, 10};
    check_export("{}", 3, minatar, ACT_DISCRETE, PPO_DTYPE_UINT8, 61);
    check_export("{share_trunk: false}", 3, minatar, ACT_MULTI, PPO_DTYPE_UINT8, 62);
}
END_TEST

START_TEST(test_cnn_export_c_matches_the_plugin_on_normalized_floats)
{
    check_export("{" NET "}", 3, fd_shape, ACT_BOX, PPO_DTYPE_FLOAT32, 63);
    check_export("{" SEP ", activation: tanh}", 3, fd_shape, ACT_DISCRETE, PPO_DTYPE_FLOAT32, 64);
    const uint32_t plane[2] = {9, 8};
    check_export("{preset: none, conv_filters: [4, 6], conv_kernels: [3, 3], conv_strides: [2, 1], "
                 "conv_padding: [1, 1], dense: []}",
                 2, plane, ACT_MULTI, PPO_DTYPE_FLOAT32, 65);
}
END_TEST

START_TEST(test_cnn_export_c_refuses_non_finite_parameters)
{
    pol_t *p = pol_new("{" NET "}", 3, fd_shape, ACT_DISCRETE);
    p->theta[3] = NAN;
    pt_check_export_refuses_nan(p->vt, p->inst, p->theta);
    pol_free(p);
}
END_TEST

/* ---- in the trainer ---- */

/* a small cnn on the fx_image fixture (catch on uint8 10x10 frames): a random policy averages
 * about -0.3 */
static const char catch_pipeline[] =
    "name: catch\n"
    "seed: 3\n"
    "env: { plugin: fx_image, num_envs: 16 }\n"
    "policy: { plugin: cnn, params: { preset: none, conv_filters: [8], conv_kernels: [3],\n"
    "          conv_strides: [1], conv_padding: [1], dense: [32] } }\n"
    "advantage: { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }\n"
    "optimizer: { plugin: adam, params: { lr: 1.0e-3 } }\n"
    "ppo: { total_steps: 12288, rollout_steps: 32, epochs: 4, minibatches: 4, ent_coef: 0.01 }\n";

/* A trainer for catch_pipeline with these overrides (NULL-terminated); the caller frees the
 * four. */
static ppo_trainer_t *catch_trainer(const char *const *overrides, ppo_pipeline_t **pl,
                                    ppo_search_t **search, ppo_session_t **session)
{
    char *dir = ppo_test_tmpdir();
    char *path = g_build_filename(dir, "catch.yaml", NULL);
    ck_assert(g_file_set_contents(path, catch_pipeline, -1, NULL));
    GError *error = NULL;
    *pl = ppo_pipeline_load(path, overrides, &error);
    ck_assert_msg(*pl != NULL, "%s", error != NULL ? error->message : "");
    *search = ppo_search_new(NULL);
    *session = ppo_session_open(*pl, *search, &error);
    ck_assert_msg(*session != NULL, "%s", error != NULL ? error->message : "");
    ppo_trainer_t *tr = ppo_trainer_new(*session, &error);
    ck_assert_msg(tr != NULL, "%s", error != NULL ? error->message : "");
    ppo_test_rm_tree(dir);
    g_free(path);
    g_free(dir);
    return tr;
}

static void catch_free(ppo_trainer_t *tr, ppo_pipeline_t *pl, ppo_search_t *search,
                       ppo_session_t *session)
{
    ppo_trainer_free(tr);
    ppo_session_free(session);
    ppo_search_free(search);
    ppo_pipeline_free(pl);
}

START_TEST(test_cnn_learns_catch_on_uint8_frames_with_either_trunk)
{
    const char *const trunks[2] = {"policy.params.share_trunk=true",
                                   "policy.params.share_trunk=false"};
    for (int t = 0; t < 2; t++) {
        const char *ov[] = {trunks[t], NULL};
        ppo_pipeline_t *pl;
        ppo_search_t *search;
        ppo_session_t *session;
        ppo_trainer_t *tr = catch_trainer(ov, &pl, &search, &session);
        GError *error = NULL;
        ppo_metrics_row_t row;
        double first = NAN;
        while (!ppo_trainer_done(tr)) {
            ck_assert_msg(ppo_trainer_iterate(tr, &row, &error), "%s",
                          error != NULL ? error->message : "");
            if (isnan(first))
                first = row.ep_return_mean;
        }
        printf("catch (%s): first iteration %.2f, after %" G_GUINT64_FORMAT " steps %.2f\n",
               trunks[t], first, row.global_step, row.ep_return_mean);
        ck_assert_msg(first < 0.0, "the first iteration already averages %.2f", first);
        ck_assert_msg(row.ep_return_mean >= 0.5, "%s: mean return %.2f", trunks[t],
                      row.ep_return_mean);
        catch_free(tr, pl, search, session);
    }
}
END_TEST

START_TEST(test_cnn_training_does_not_depend_on_the_thread_count)
{
    /* three iterations with 1 and with 2 threads: the same parameters, bit for bit (the parts
     * and the gradient chunks are fixed by the minibatch, never by the threads) */
    const char *const trunks[2] = {"policy.params.share_trunk=true",
                                   "policy.params.share_trunk=false"};
    for (int t = 0; t < 2; t++) {
        float *params[2];
        size_t n = 0;
        for (int threads = 1; threads <= 2; threads++) {
            char *th = g_strdup_printf("ppo.threads=%d", threads);
            const char *ov[] = {trunks[t], th, NULL};
            ppo_pipeline_t *pl;
            ppo_search_t *search;
            ppo_session_t *session;
            ppo_trainer_t *tr = catch_trainer(ov, &pl, &search, &session);
            GError *error = NULL;
            ppo_metrics_row_t row;
            for (int it = 0; it < 3; it++)
                ck_assert_msg(ppo_trainer_iterate(tr, &row, &error), "%s",
                              error != NULL ? error->message : "");
            n = tr->model->n_params;
            params[threads - 1] = g_memdup2(tr->model->params, n * sizeof(float));
            catch_free(tr, pl, search, session);
            g_free(th);
        }
        ck_assert_msg(memcmp(params[0], params[1], n * sizeof(float)) == 0,
                      "%s: 1 and 2 threads trained different parameters", trunks[t]);
        g_free(params[0]);
        g_free(params[1]);
    }
}
END_TEST

static Suite *cnn_suite(void)
{
    Suite *s = suite_create("cnn");
    TCase *tc = tcase_create("cnn");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cnn_backward_matches_finite_differences_categorical);
    tcase_add_test(tc, test_cnn_backward_matches_finite_differences_gaussian);
    tcase_add_test(tc, test_cnn_backward_matches_finite_differences_multi_discrete);
    tcase_add_test(tc, test_cnn_minatar_preset_has_the_minatar_network);
    tcase_add_test(tc, test_cnn_nature_preset_has_the_nature_cnn);
    tcase_add_test(tc, test_cnn_preset_builds_its_network_from_a_pipeline_written_back_with_every_key);
    tcase_add_test(tc, test_cnn_core_initializes_orthogonally_with_cleanrl_gains);
    tcase_add_test(tc, test_cnn_declared_init_follows_ortho_init);
    tcase_add_test(tc, test_cnn_act_value_evaluate_agree);
    tcase_add_test(tc, test_cnn_sampling_follows_the_distribution);
    tcase_add_test(tc, test_cnn_parts_equal_evaluate_and_backward_and_stay_in_their_segments);
    tcase_add_test(tc, test_cnn_rows_in_one_call_equal_rows_one_at_a_time);
    tcase_add_test(tc, test_cnn_two_workspaces_on_two_threads_match_sequential_calls);
    tcase_add_test(tc, test_cnn_refuses_what_it_cannot_build_and_says_how_to_fix_it);
    tcase_add_test(tc, test_cnn_refuses_action_spaces_it_cannot_handle);
    tcase_add_test(tc, test_cnn_backward_needs_an_evaluate_of_the_same_rows);
    tcase_add_test(tc, test_cnn_export_c_matches_the_plugin_on_uint8_frames);
    tcase_add_test(tc, test_cnn_export_c_matches_the_plugin_on_normalized_floats);
    tcase_add_test(tc, test_cnn_export_c_refuses_non_finite_parameters);
    tcase_add_test(tc, test_cnn_learns_catch_on_uint8_frames_with_either_trunk);
    tcase_add_test(tc, test_cnn_training_does_not_depend_on_the_thread_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(cnn_suite());
}
