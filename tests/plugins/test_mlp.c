/* Tests of plugins/policies/mlp.c through the core's loader: the segment table, backward against
 * central finite differences of evaluate for every head and trunk layout, the consistency of
 * act, value and evaluate, batching and threads, space checks, the gSDE noise schedule and
 * state, and export_c compiled with the system's C compiler.
 *
 * Finite differences: the network is float32, so each parameter is moved by h = 2^-8 (the
 * float step actually taken is the denominator), the loss
 * sum_r c1 logp + c2 entropy + c3 KL + c4 value with random coefficients is summed in double,
 * and each segment's gradient must agree with the differences to FD_TOL in relative L2 norm.
 * With relu, a difference whose step crosses a kink is retried with h/4. With gSDE the trunk's
 * gradient excludes the variance path (the latent is held constant there, as in SB3), so the
 * trunk segments are checked against the loss through the means and the value only.
 *
 * Left out: the core's initialization of the declared segments (tested with the core).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "policy_test.h"

#define FD_TOL 2e-3
/* the `discrete` argument of the helpers below: 0 box, 1 discrete, MULTI multi-discrete; with
 * U8OBS or'ed in, the observations are a uint8 box with bounds [0, 255] */
#define MULTI 2
#define U8OBS 4
#define ACTION_KIND(d) ((d) & 3)

/* A policy made through the real loader, with its own parameter array. */
typedef struct pol {
    ppo_plugin_t *plugin;          /* (transfer none) */
    const ppo_policy_vtable_t *vt; /* the plugin's vtable */
    ppo_params_t *params;          /* validated plugin params */
    void *inst;                    /* the policy */
    ppo_space_t obs_space;         /* box (D) */
    ppo_space_t act_space;         /* discrete n, box A, or multi-discrete of A components */
    uint32_t nvec[8];              /* multi-discrete: component k has k + 2 choices */
    double low[8];                 /* bounds of both boxes */
    double high[8];
    double u8_low[8], u8_high[8];  /* bounds of a uint8 observation box */
    const ppo_segment_t *segs; /* (n_segs) */
    uint32_t n_segs;
    size_t n_params;
    float *theta; /* (n_params) bound parameters */
    uint32_t D, A, P;
} pol_t;

static pol_t *pol_try(const char *yaml, uint32_t D, int discrete, uint32_t n_or_a, uint32_t n_envs)
{
    pol_t *p = g_new0(pol_t, 1);
    p->plugin = ppo_test_plugin("mlp");
    p->vt = &p->plugin->vt.policy;
    p->params = ppo_test_params(p->plugin, yaml);
    for (int i = 0; i < 8; i++) {
        p->low[i] = -1.0;
        p->high[i] = 1.0;
    }
    for (uint32_t k = 0; k < 8; k++) {
        p->nvec[k] = k + 2;
        p->u8_low[k] = 0.0;
        p->u8_high[k] = 255.0;
    }
    p->obs_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_BOX,
                                 .dim = D, .low = p->low, .high = p->high, .rank = 1,
                                 .shape = {D}};
    if (discrete & U8OBS) {
        p->obs_space.dtype = PPO_DTYPE_UINT8;
        p->obs_space.low = p->u8_low;
        p->obs_space.high = p->u8_high;
    }
    discrete = ACTION_KIND(discrete);
    if (discrete == MULTI)
        p->act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                     .kind = PPO_SPACE_MULTI_DISCRETE, .dim = n_or_a,
                                     .nvec = p->nvec};
    else if (discrete)
        p->act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                     .kind = PPO_SPACE_DISCRETE, .n = n_or_a, .dim = 1};
    else
        p->act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_BOX,
                                     .dim = n_or_a, .low = p->low, .high = p->high};
    const ppo_policy_setup_t setup = {sizeof(setup), n_envs, &p->obs_space, &p->act_space};
    p->inst = p->vt->create(&p->plugin->host, p->params, &setup);
    if (p->inst == NULL) {
        ppo_params_free(p->params);
        g_free(p);
        return NULL;
    }
    p->segs = p->vt->segments(p->inst, &p->n_segs);
    for (uint32_t k = 0; k < p->n_segs; k++)
        p->n_params += (size_t)p->segs[k].rows * p->segs[k].cols;
    p->theta = g_new0(float, p->n_params);
    p->vt->bind(p->inst, p->theta);
    p->D = D;
    p->A = discrete == 1 ? 1 : n_or_a;
    p->P = p->vt->dist_size(p->inst);
    return p;
}

static pol_t *pol_new(const char *yaml, uint32_t D, int discrete, uint32_t n_or_a, uint32_t n_envs)
{
    pol_t *p = pol_try(yaml, D, discrete, n_or_a, n_envs);
    if (p == NULL) {
        char *msg = ppo_host_take_error();
        ck_abort_msg("mlp create %s failed: %s", yaml, msg != NULL ? msg : "(no message)");
    }
    return p;
}

static void pol_free(pol_t *p)
{
    p->vt->destroy(p->inst);
    ppo_params_free(p->params);
    g_free(p->theta);
    g_free(p);
}

/* The policy as policy_test's checks see it. */
static pt_policy_t pt_of(const pol_t *p)
{
    return (pt_policy_t){p->vt,  p->inst, p->segs, p->n_segs, p->n_params, &p->act_space,
                         p->D,   p->A,    p->P};
}

/* Weights uniform in +-1.2/sqrt(fan_in), biases in +-0.3, log_std in [-0.6, 0.2]. */
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
                v[i] = (float)g_rand_double_range(r, -1.2, 1.2) / sqrtf((float)s->cols);
        }
    }
}

/* Actions and an old distribution that fit the policy's head. */
static void make_samples(const pol_t *p, GRand *r, uint32_t B, float **actions, float **old)
{
    *actions = g_new(float, (size_t)B * p->A);
    *old = g_new(float, (size_t)B * p->P);
    for (uint32_t b = 0; b < B; b++) {
        if (p->act_space.kind == PPO_SPACE_DISCRETE) {
            (*actions)[b] = (float)g_rand_int_range(r, 0, (gint32)p->act_space.n);
            for (uint32_t k = 0; k < p->P; k++)
                (*old)[b * p->P + k] = (float)g_rand_double_range(r, -1.0, 1.0);
        } else if (p->act_space.kind == PPO_SPACE_MULTI_DISCRETE) {
            for (uint32_t a = 0; a < p->A; a++)
                (*actions)[b * p->A + a] = (float)g_rand_int_range(r, 0, (gint32)p->nvec[a]);
            for (uint32_t k = 0; k < p->P; k++)
                (*old)[b * p->P + k] = (float)g_rand_double_range(r, -1.0, 1.0);
        } else {
            for (uint32_t a = 0; a < p->A; a++) {
                (*actions)[b * p->A + a] = (float)g_rand_double_range(r, -1.5, 1.5);
                (*old)[b * p->P + a] = (float)g_rand_double_range(r, -0.5, 0.5);
                (*old)[b * p->P + p->A + a] = (float)g_rand_double_range(r, -0.7, 0.1);
            }
        }
    }
}

/* ---- finite differences ---- */

typedef struct fd_case {
    const char *yaml;
    int discrete;
    uint32_t n_or_a;
    uint32_t B;
} fd_case_t;

typedef struct fd_data {
    pol_t *p;
    void *ws;
    uint32_t B;
    float *obs, *actions, *old, *c[4];
    float *dmean; /* gSDE: (B, A) d loss / d mean at the unperturbed parameters */
    int relu, sde;
    const float *grad; /* backward's gradient */
} fd_data_t;

static double fd_loss(const void *ctx)
{
    const fd_data_t *f = ctx;
    float lp[64], h[64], kl[64], v[64];
    ck_assert_int_eq(
        f->p->vt->evaluate(f->p->inst, f->ws, f->B, f->obs, f->actions, f->old, lp, h, kl, v), 0);
    double L = 0.0;
    for (uint32_t b = 0; b < f->B; b++)
        L += (double)f->c[0][b] * lp[b] + (double)f->c[1][b] * h[b] + (double)f->c[2][b] * kl[b] +
             (double)f->c[3][b] * v[b];
    return L;
}

/* gSDE holds the latent constant on the variance path (SB3 detaches it), so the trunk's exact
 * gradient is that of the loss through the means and the value only: sum dmean * mean + c4 V,
 * with dmean fixed at the unperturbed parameters. */
static double fd_loss_mean_path(const void *ctx)
{
    const fd_data_t *f = ctx;
    float a[256], lp[64], v[64], d[256];
    ck_assert_uint_le(f->B * f->p->P, 256);
    ck_assert_int_eq(f->p->vt->act(f->p->inst, f->ws, f->B, f->obs, NULL, NULL, 1, a, lp, v, d), 0);
    double L = 0.0;
    for (uint32_t b = 0; b < f->B; b++) {
        for (uint32_t k = 0; k < f->p->A; k++)
            L += (double)f->dmean[b * f->p->A + k] * d[b * f->p->P + k];
        L += (double)f->c[3][b] * v[b];
    }
    return L;
}

/* The central difference in parameter i of segment seg, step 2^-8 (through the means' path for
 * gSDE's trunk); with relu, a kink inside the step shows as a disagreement with backward that a
 * smaller step removes, and the closer of the two is taken. */
static double fd_one(void *ctx, uint32_t seg, size_t i)
{
    fd_data_t *f = ctx;
    double (*loss)(const void *) =
        f->sde && g_str_has_prefix(f->p->segs[seg].name, "pi.") ? fd_loss_mean_path : fd_loss;
    double fd = pt_central_difference(f->p->theta, i, 0x1p-8f, loss, f);
    if (f->relu && fabs(fd - f->grad[i]) > 10 * FD_TOL * fmax(fabs(fd), 1e-2)) {
        const double fd_small = pt_central_difference(f->p->theta, i, 0x1p-10f, loss, f);
        if (fabs(fd_small - f->grad[i]) < fabs(fd - f->grad[i]))
            fd = fd_small;
    }
    return fd;
}

/* Check every segment's gradient; returns the largest relative error of a segment. */
static double fd_check(const fd_case_t *fc, uint64_t seed)
{
    GRand *r = g_rand_new_with_seed((guint32)seed);
    fd_data_t f = {.B = fc->B};
    f.p = pol_new(fc->yaml, 3, fc->discrete, fc->n_or_a, 4);
    pol_t *p = f.p;
    f.relu = strstr(fc->yaml, "relu") != NULL;
    pol_randomize(p, r);
    f.ws = p->vt->ws_create(p->inst, f.B);
    ck_assert_ptr_nonnull(f.ws);
    f.obs = pt_rand_floats(r, (size_t)f.B * p->D, -1.5, 1.5);
    make_samples(p, r, f.B, &f.actions, &f.old);
    for (int k = 0; k < 4; k++)
        f.c[k] = pt_rand_floats(r, f.B, -1.0, 1.0);

    /* gSDE: the loss's derivatives with respect to the means, from the dist helpers */
    f.sde = strstr(fc->yaml, "sde: true") != NULL;
    if (f.sde) {
        float a[256], lp[64], v[64], d[256], dd[256];
        ck_assert_int_eq(p->vt->act(p->inst, f.ws, f.B, f.obs, NULL, NULL, 1, a, lp, v, d), 0);
        ppo_gaussian_backward(f.B, p->A, d, f.actions, f.old, f.c[0], f.c[1], f.c[2], dd);
        f.dmean = g_new(float, (size_t)f.B * p->A);
        for (uint32_t b = 0; b < f.B; b++)
            memcpy(f.dmean + b * p->A, dd + b * p->P, sizeof(float) * p->A);
    }

    /* analytic: evaluate then backward into zeros */
    float *grad = g_new0(float, p->n_params);
    fd_loss(&f);
    ck_assert_int_eq(p->vt->backward(p->inst, f.ws, f.B, f.c[0], f.c[1], f.c[2], f.c[3], grad), 0);

    f.grad = grad;
    char label[256];
    snprintf(label, sizeof(label), "%s B=%u", fc->yaml, fc->B);
    const double worst = pt_fd_segments(p->segs, p->n_segs, grad, fd_one, &f, FD_TOL, 1, label);

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
    g_free(f.dmean);
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
        const double worst = fd_check(&cases[i], 1000 + i);
        printf("FD %-12s B=%-2u %-78s max segment rel error %.2e\n", label, cases[i].B,
               cases[i].yaml, worst);
    }
}

#define NET "pi_hidden: [5, 4], vf_hidden: [6]"
#define TRUNK "pi_hidden: [5, 4], share_trunk: true"

START_TEST(test_mlp_backward_matches_finite_differences_categorical)
{
    static const fd_case_t cases[] = {
        {"{" NET ", activation: tanh}", 1, 2, 4},
        {"{" NET ", activation: relu}", 1, 2, 4},
        {"{" NET ", activation: tanh}", 1, 3, 4},
        {"{" NET ", activation: relu}", 1, 3, 4},
        {"{" TRUNK ", activation: tanh}", 1, 3, 4},
        {"{" TRUNK ", activation: relu}", 1, 2, 4},
        {"{pi_hidden: [], vf_hidden: [], activation: tanh}", 1, 3, 4},
        {"{pi_hidden: [], activation: tanh, share_trunk: true}", 1, 3, 4},
        {"{" NET ", activation: tanh}", 1, 3, 24},
    };
    fd_run("categorical", cases, G_N_ELEMENTS(cases));
}
END_TEST

/* the head is what differs from the categorical case (relu's kinks are covered there) */
START_TEST(test_mlp_backward_matches_finite_differences_multi_discrete)
{
    static const fd_case_t cases[] = {
        {"{" NET ", activation: tanh}", MULTI, 2, 4},
        {"{" NET ", activation: tanh}", MULTI, 3, 6},
        {"{" TRUNK ", activation: tanh}", MULTI, 3, 4},
        {"{pi_hidden: [], vf_hidden: [], activation: tanh}", MULTI, 1, 4},
    };
    fd_run("multi", cases, G_N_ELEMENTS(cases));
}
END_TEST

START_TEST(test_mlp_backward_matches_finite_differences_gaussian)
{
    static const fd_case_t cases[] = {
        {"{" NET ", activation: tanh}", 0, 1, 4},
        {"{" NET ", activation: relu}", 0, 1, 4},
        {"{" NET ", activation: tanh}", 0, 2, 4},
        {"{" NET ", activation: relu}", 0, 2, 4},
        {"{" TRUNK ", activation: tanh}", 0, 2, 4},
        {"{" TRUNK ", activation: relu}", 0, 1, 4},
        {"{pi_hidden: [], vf_hidden: [3], activation: tanh}", 0, 2, 4},
        {"{" NET ", activation: tanh}", 0, 2, 24},
    };
    fd_run("gaussian", cases, G_N_ELEMENTS(cases));
}
END_TEST

START_TEST(test_mlp_backward_matches_finite_differences_gsde)
{
    static const fd_case_t cases[] = {
        {"{" NET ", activation: tanh, sde: true}", 0, 1, 4},
        {"{" NET ", activation: tanh, sde: true}", 0, 2, 4},
        {"{" NET ", activation: relu, sde: true}", 0, 2, 4},
        {"{" TRUNK ", activation: tanh, sde: true}", 0, 2, 4},
        {"{pi_hidden: [], vf_hidden: [4], activation: tanh, sde: true}", 0, 2, 4},
        {"{" NET ", activation: tanh, sde: true}", 0, 2, 24},
    };
    fd_run("gsde", cases, G_N_ELEMENTS(cases));
}
END_TEST

/* ---- the segment table ---- */

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
        ck_assert_uint_eq(p->segs[k].struct_size, sizeof(ppo_segment_t));
        for (uint32_t j = 0; j < k; j++)
            ck_assert_str_ne(p->segs[j].name, p->segs[k].name);
        total += (size_t)want[k].rows * want[k].cols;
    }
    ck_assert_uint_eq(p->n_params, total);
}

START_TEST(test_mlp_segments_are_named_pytorch_style_in_order)
{
    /* the default network on CartPole's spaces: 4 observations, 2 actions */
    pol_t *p = pol_new("", 4, 1, 2, 1);
    static const seg_expect_t cartpole[] = {
        {"pi.0.weight", 64, 4}, {"pi.0.bias", 64, 1},      {"pi.1.weight", 64, 64},
        {"pi.1.bias", 64, 1},   {"pi_head.weight", 2, 64}, {"pi_head.bias", 2, 1},
        {"vf.0.weight", 64, 4}, {"vf.0.bias", 64, 1},      {"vf.1.weight", 64, 64},
        {"vf.1.bias", 64, 1},   {"vf_head.weight", 1, 64}, {"vf_head.bias", 1, 1},
    };
    check_table(p, cartpole, G_N_ELEMENTS(cartpole));
    ck_assert_uint_eq(p->P, 2);
    ck_assert_uint_eq(p->n_params, 9155);
    pol_free(p);

    /* a box action: a state-independent log_std (A) */
    p = pol_new("{pi_hidden: [8], vf_hidden: [7, 5]}", 3, 0, 2, 1);
    static const seg_expect_t box[] = {
        {"pi.0.weight", 8, 3},  {"pi.0.bias", 8, 1},   {"pi_head.weight", 2, 8},
        {"pi_head.bias", 2, 1}, {"vf.0.weight", 7, 3}, {"vf.0.bias", 7, 1},
        {"vf.1.weight", 5, 7},  {"vf.1.bias", 5, 1},   {"vf_head.weight", 1, 5},
        {"vf_head.bias", 1, 1}, {"log_std", 2, 1},
    };
    check_table(p, box, G_N_ELEMENTS(box));
    ck_assert_uint_eq(p->P, 4);
    pol_free(p);

    /* a shared trunk has no vf layers; gSDE's log_std is (latent, A) */
    p = pol_new("{pi_hidden: [8, 6], share_trunk: true, sde: true}", 3, 0, 2, 1);
    static const seg_expect_t shared[] = {
        {"pi.0.weight", 8, 3},    {"pi.0.bias", 8, 1},      {"pi.1.weight", 6, 8},
        {"pi.1.bias", 6, 1},      {"pi_head.weight", 2, 6}, {"pi_head.bias", 2, 1},
        {"vf_head.weight", 1, 6}, {"vf_head.bias", 1, 1},   {"log_std", 6, 2},
    };
    check_table(p, shared, G_N_ELEMENTS(shared));
    pol_free(p);

    /* no hidden layers at all: both heads on the observation, gSDE's latent is the observation */
    p = pol_new("{pi_hidden: [], vf_hidden: [], sde: true}", 3, 0, 1, 1);
    static const seg_expect_t linear[] = {
        {"pi_head.weight", 1, 3}, {"pi_head.bias", 1, 1}, {"vf_head.weight", 1, 3},
        {"vf_head.bias", 1, 1},   {"log_std", 3, 1},
    };
    check_table(p, linear, G_N_ELEMENTS(linear));
    pol_free(p);
}
END_TEST

START_TEST(test_mlp_declared_init_follows_ortho_init_and_log_std_init)
{
    pol_t *p = pol_new("{pi_hidden: [8, 6], vf_hidden: [5], log_std_init: -0.5}", 3, 0, 2, 1);
    for (uint32_t k = 0; k < p->n_segs; k++) {
        const ppo_segment_t *s = &p->segs[k];
        if (strcmp(s->name, "log_std") == 0) {
            ck_assert_int_eq(s->init, PPO_INIT_CONSTANT);
            ck_assert_double_eq(s->value, -0.5);
        } else if (g_str_has_suffix(s->name, ".bias")) {
            ck_assert_int_eq(s->init, PPO_INIT_CONSTANT);
            ck_assert_double_eq(s->value, 0.0);
        } else {
            ck_assert_int_eq(s->init, PPO_INIT_ORTHOGONAL);
            const double gain = g_str_has_prefix(s->name, "pi_head")   ? 0.01
                                : g_str_has_prefix(s->name, "vf_head") ? 1.0
                                                                       : sqrt(2.0);
            ck_assert_double_eq_tol(s->gain, gain, 1e-15);
        }
    }
    pol_free(p);

    /* ortho_init: false is PyTorch's Linear default: both uniform in +-1/sqrt(fan_in) */
    p = pol_new("{pi_hidden: [8, 6], vf_hidden: [5], ortho_init: false, log_std_init: 0.25}", 3, 0,
                2, 1);
    for (uint32_t k = 0; k < p->n_segs; k++) {
        const ppo_segment_t *s = &p->segs[k];
        if (strcmp(s->name, "log_std") == 0) {
            ck_assert_int_eq(s->init, PPO_INIT_CONSTANT);
            ck_assert_double_eq(s->value, 0.25);
            continue;
        }
        ck_assert_int_eq(s->init, PPO_INIT_UNIFORM);
        /* a bias has the fan-in of its weight, the segment before it */
        const uint32_t fan_in = g_str_has_suffix(s->name, ".bias") ? p->segs[k - 1].cols : s->cols;
        ck_assert_double_eq_tol(s->value, 1.0 / sqrt(fan_in), 1e-15);
    }
    pol_free(p);
}
END_TEST

/* ---- act, value, evaluate ---- */

static const char *const consistency_yaml[] = {
    "{pi_hidden: [16, 8], vf_hidden: [12]}",
    "{pi_hidden: [16, 8], activation: relu, share_trunk: true}",
    "{pi_hidden: [16, 8], vf_hidden: [12]}",
    "{pi_hidden: [16, 8], vf_hidden: [12], sde: true}",
    "{pi_hidden: [], vf_hidden: [12], sde: true, sde_sample_freq: 2}",
};
static const int consistency_discrete[] = {1, 1, 0, 0, 0};

static pol_t *consistency_policy(int i, GRand *r, uint32_t n_envs)
{
    pol_t *p = pol_new(consistency_yaml[i], 5, consistency_discrete[i], 3, n_envs);
    pol_randomize(p, r);
    return p;
}

START_TEST(test_mlp_act_value_evaluate_agree)
{
    GRand *r = g_rand_new_with_seed(31);
    for (int c = 0; c < (int)G_N_ELEMENTS(consistency_yaml); c++) {
        const uint32_t B = 6;
        pol_t *p = consistency_policy(c, r, B);
        float *obs = pt_rand_floats(r, (size_t)B * p->D, -2, 2);
        const pt_policy_t pp = pt_of(p);
        pt_check_act_value_evaluate(&pp, B, obs, 0, consistency_yaml[c]);
        g_free(obs);
        pol_free(p);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_mlp_parts_equal_evaluate_and_backward_and_stay_in_their_segments)
{
    GRand *r = g_rand_new_with_seed(34);
    for (int c = 0; c < (int)G_N_ELEMENTS(consistency_yaml); c++) {
        const uint32_t B = 7;
        pol_t *p = consistency_policy(c, r, B);
        const int shared = strstr(consistency_yaml[c], "share_trunk: true") != NULL;
        float *obs = pt_rand_floats(r, (size_t)B * p->D, -2, 2), *actions, *old;
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

START_TEST(test_mlp_streams_alone_decide_the_samples)
{
    /* two policies with the same parameters and copies of the same streams (gSDE included,
     * whose noise is drawn inside act from the streams) produce identical samples */
    GRand *r = g_rand_new_with_seed(32);
    for (int c = 0; c < (int)G_N_ELEMENTS(consistency_yaml); c++) {
        const uint32_t B = 5;
        pol_t *p = consistency_policy(c, r, B), *q = consistency_policy(c, r, B);
        memcpy(q->theta, p->theta, sizeof(float) * p->n_params);
        void *wp = p->vt->ws_create(p->inst, B), *wq = q->vt->ws_create(q->inst, B);
        float *obs = pt_rand_floats(r, (size_t)B * p->D, -2, 2);
        uint32_t env_index[5] = {4, 2, 0, 1, 3};
        ppo_rng_t sp[5], sq[5];
        ppo_rng_t *rp[5], *rq[5];
        for (uint32_t b = 0; b < B; b++) {
            ppo_rng_seed(&sp[b], 77, "act", b);
            sq[b] = sp[b];
            rp[b] = &sp[b];
            rq[b] = &sq[b];
        }
        for (int step = 0; step < 5; step++) {
            float ap[15], aq[15], lpp[5], lpq[5], vp[5], vq[5], dp[30], dq[30];
            ck_assert_int_eq(p->vt->act(p->inst, wp, B, obs, env_index, rp, 0, ap, lpp, vp, dp), 0);
            ck_assert_int_eq(q->vt->act(q->inst, wq, B, obs, env_index, rq, 0, aq, lpq, vq, dq), 0);
            ck_assert(memcmp(ap, aq, sizeof(float) * B * p->A) == 0);
            ck_assert(memcmp(lpp, lpq, sizeof(float) * B) == 0);
        }
        g_free(obs);
        p->vt->ws_destroy(p->inst, wp);
        q->vt->ws_destroy(q->inst, wq);
        pol_free(p);
        pol_free(q);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_mlp_rows_in_one_call_equal_rows_one_at_a_time)
{
    GRand *r = g_rand_new_with_seed(33);
    for (int c = 0; c < (int)G_N_ELEMENTS(consistency_yaml); c++) {
        const uint32_t B = 40; /* above the BLAS threshold; single rows take the small path */
        pol_t *p = consistency_policy(c, r, B);
        void *ws = p->vt->ws_create(p->inst, B);
        float *obs = pt_rand_floats(r, (size_t)B * p->D, -2, 2);
        float *acts = g_new(float, (size_t)B * p->A), *dist = g_new(float, (size_t)B * p->P);
        float lp[40], v[40], h[40], lpe[40], ve[40];
        ck_assert_int_eq(p->vt->act(p->inst, ws, B, obs, NULL, NULL, 1, acts, lp, v, dist), 0);
        ck_assert_int_eq(p->vt->evaluate(p->inst, ws, B, obs, acts, NULL, lpe, h, NULL, ve), 0);
        double worst = 0.0;
        for (uint32_t b = 0; b < B; b++) {
            float a1[3], lp1, v1, d1[6], lpe1, h1, ve1;
            ck_assert_int_eq(
                p->vt->act(p->inst, ws, 1, obs + b * p->D, NULL, NULL, 1, a1, &lp1, &v1, d1), 0);
            ck_assert_int_eq(p->vt->evaluate(p->inst, ws, 1, obs + b * p->D, acts + b * p->A, NULL,
                                             &lpe1, &h1, NULL, &ve1),
                             0);
#define CLOSE(x, y)                                                                                \
    do {                                                                                           \
        const double e_ = fabs((double)(x) - (double)(y)) / fmax(1.0, fabs((double)(y)));          \
        worst = fmax(worst, e_);                                                                   \
        ck_assert_msg(e_ <= 1e-6, "%s row %u: %s = %.9g batched, %.9g alone", consistency_yaml[c], \
                      b, #x, (double)(y), (double)(x));                                            \
    } while (0)
            CLOSE(lp1, lp[b]);
            CLOSE(v1, v[b]);
            CLOSE(lpe1, lpe[b]);
            CLOSE(h1, h[b]);
            CLOSE(ve1, ve[b]);
            for (uint32_t k = 0; k < p->P; k++)
                CLOSE(d1[k], dist[b * p->P + k]);
            if (consistency_discrete[c])
                ck_assert_float_eq(a1[0], acts[b]);
            else
                for (uint32_t k = 0; k < p->A; k++)
                    CLOSE(a1[k], acts[b * p->A + k]);
#undef CLOSE
        }
        printf("rows alone vs batched (%s): max relative difference %.2e\n", consistency_yaml[c],
               worst);
        g_free(obs);
        g_free(acts);
        g_free(dist);
        p->vt->ws_destroy(p->inst, ws);
        pol_free(p);
    }
    g_rand_free(r);
}
END_TEST

/* ---- threads ---- */

START_TEST(test_mlp_two_workspaces_on_two_threads_match_sequential_calls)
{
    GRand *r = g_rand_new_with_seed(34);
    pol_t *p = pol_new("{pi_hidden: [32, 32], vf_hidden: [32], sde: true}", 6, 0, 2, 2);
    pol_randomize(p, r);
    const uint32_t Bs[2] = {7, 40};
    float *obs[2], *actions[2], *old[2], *coef[2];
    for (int t = 0; t < 2; t++) {
        obs[t] = pt_rand_floats(r, (size_t)Bs[t] * p->D, -2, 2);
        make_samples(p, r, Bs[t], &actions[t], &old[t]);
        coef[t] = pt_rand_floats(r, Bs[t], -1, 1);
    }
    const pt_policy_t pp = pt_of(p);
    pt_check_two_threads(&pp, 200, Bs, obs, actions, old, coef);
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

/* ---- refusals and messages ---- */

START_TEST(test_mlp_refuses_sde_with_discrete_actions)
{
    pol_t *p = pol_try("{sde: true}", 4, 1, 2, 1);
    ck_assert_ptr_null(p);
    char *msg = ppo_host_take_error();
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, "sde") != NULL && strstr(msg, "discrete") != NULL, "message: %s",
                  msg);
    g_free(msg);
}
END_TEST

START_TEST(test_mlp_refuses_spaces_it_cannot_handle)
{
    ppo_plugin_t *plugin = ppo_test_plugin("mlp");
    ppo_params_t *params = ppo_test_params(plugin, "");
    ppo_params_t *sde = ppo_test_params(plugin, "{sde: true}");
    const double lo[2] = {-1, -1}, hi[2] = {1, 1};
    const uint32_t nvec[2] = {3, 2};
    const ppo_space_t box = {.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_BOX,
                             .dim = 2, .low = lo, .high = hi};
    const ppo_space_t disc = {.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE,
                              .n = 3, .dim = 1};
    const ppo_space_t multi = {.struct_size = sizeof(ppo_space_t),
                               .kind = PPO_SPACE_MULTI_DISCRETE, .dim = 2, .nvec = nvec};
    const ppo_space_t dict = {.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DICT,
                              .dim = 2};
    const struct {
        const ppo_space_t *obs, *act;
        const char *words[2];
    } cases[] = {
        {&disc, &disc, {"observation space", "discrete"}},
        {&multi, &box, {"observation space", "multi_discrete"}},
        {&box, &dict, {"action space", "dict"}},
        {&box, &multi, {"sde", "multi_discrete"}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const ppo_policy_setup_t setup = {sizeof(setup), 1, cases[i].obs, cases[i].act};
        /* the last case asks for gSDE, which needs a box */
        ck_assert_ptr_null(plugin->vt.policy.create(&plugin->host,
                                                    i + 1 == G_N_ELEMENTS(cases) ? sde : params,
                                                    &setup));
        char *msg = ppo_host_take_error();
        ck_assert_ptr_nonnull(msg);
        for (int w = 0; w < 2; w++)
            ck_assert_msg(strstr(msg, cases[i].words[w]) != NULL, "message: %s", msg);
        g_free(msg);
    }
    ppo_params_free(params);
    ppo_params_free(sde);
}
END_TEST

/* Everything `fn` writes to stderr while it runs. */
static char *capture_stderr(void (*fn)(void))
{
    char *path = NULL;
    const int fd = g_file_open_tmp("mlp-stderr-XXXXXX", &path, NULL);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    const int saved = dup(2);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    char *text = NULL;
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    g_unlink(path);
    g_free(path);
    return text;
}

static void make_shared_with_vf_hidden(void)
{
    pol_free(pol_new("{share_trunk: true, vf_hidden: [32]}", 3, 1, 2, 1));
}

static void make_shared_without_vf_hidden(void)
{
    pol_free(pol_new("{share_trunk: true}", 3, 1, 2, 1));
}

START_TEST(test_mlp_warns_that_vf_hidden_is_ignored_with_a_shared_trunk)
{
    char *text = capture_stderr(make_shared_with_vf_hidden);
    ck_assert_msg(strstr(text, "vf_hidden is ignored") != NULL, "stderr: %s", text);
    g_free(text);
    text = capture_stderr(make_shared_without_vf_hidden);
    ck_assert_msg(strstr(text, "vf_hidden") == NULL, "stderr: %s", text);
    g_free(text);
}
END_TEST

START_TEST(test_mlp_backward_needs_an_evaluate_of_the_same_rows)
{
    pol_t *p = pol_new("{pi_hidden: [4], vf_hidden: [4]}", 3, 1, 2, 1);
    void *ws = p->vt->ws_create(p->inst, 4);
    float obs[12] = {0}, a[4], lp[4], v[4], d[8], g[64];
    ck_assert_int_lt(p->n_params, 64);
    ck_assert_int_eq(p->vt->act(p->inst, ws, 4, obs, NULL, NULL, 1, a, lp, v, d), 0);
    ck_assert_int_lt(p->vt->backward(p->inst, ws, 4, lp, NULL, NULL, NULL, g), 0);
    g_free(ppo_host_take_error());
    ck_assert_int_eq(p->vt->evaluate(p->inst, ws, 4, obs, a, NULL, lp, NULL, NULL, v), 0);
    ck_assert_int_lt(p->vt->backward(p->inst, ws, 3, lp, NULL, NULL, NULL, g), 0);
    g_free(ppo_host_take_error());
    /* more rows than the workspace holds */
    float big_obs[15] = {0}, big_a[5], big_lp[5], big_v[5], big_d[10];
    ck_assert_int_lt(
        p->vt->act(p->inst, ws, 5, big_obs, NULL, NULL, 1, big_a, big_lp, big_v, big_d), 0);
    g_free(ppo_host_take_error());
    p->vt->ws_destroy(p->inst, ws);
    pol_free(p);
}
END_TEST

/* ---- gSDE ---- */

START_TEST(test_mlp_gsde_noise_follows_the_sample_frequency)
{
    GRand *r = g_rand_new_with_seed(35);
    const int freqs[] = {-1, 0, 3};
    for (size_t f = 0; f < G_N_ELEMENTS(freqs); f++) {
        char *yaml = g_strdup_printf("{pi_hidden: [6], vf_hidden: [4], sde: true, "
                                     "sde_sample_freq: %d}",
                                     freqs[f]);
        pol_t *p = pol_new(yaml, 3, 0, 2, 2);
        pol_randomize(p, r);
        void *ws = p->vt->ws_create(p->inst, 1);
        float *obs = pt_rand_floats(r, 3, -1, 1);
        ppo_rng_t rng;
        ppo_rng_seed(&rng, 3, "act", 1);
        ppo_rng_t *rngs[1] = {&rng};
        const uint32_t env = 1;
        float prev[2] = {0, 0};
        ck_assert_int_eq(p->vt->reset_noise(p->inst, env, &rng), 0);
        for (int step = 0; step < 9; step++) {
            float a[2], lp, v, d[4];
            ck_assert_int_eq(p->vt->act(p->inst, ws, 1, obs, &env, rngs, 0, a, &lp, &v, d), 0);
            /* same observation: the action changes exactly when the noise is redrawn */
            const int redrawn = freqs[f] > 0 && step > 0 && step % freqs[f] == 0;
            if (step > 0) {
                if (redrawn)
                    ck_assert(a[0] != prev[0] || a[1] != prev[1]);
                else
                    ck_assert(a[0] == prev[0] && a[1] == prev[1]);
            }
            memcpy(prev, a, sizeof(prev));
        }
        /* reset_noise draws a new matrix */
        ck_assert_int_eq(p->vt->reset_noise(p->inst, env, &rng), 0);
        float a[2], lp, v, d[4];
        ck_assert_int_eq(p->vt->act(p->inst, ws, 1, obs, &env, rngs, 0, a, &lp, &v, d), 0);
        ck_assert(a[0] != prev[0] || a[1] != prev[1]);
        g_free(obs);
        g_free(yaml);
        p->vt->ws_destroy(p->inst, ws);
        pol_free(p);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_mlp_gsde_actions_have_the_declared_variance)
{
    /* over many noise draws, mean + z E has mean `mean` and variance dist's exp(2 log_std) */
    GRand *r = g_rand_new_with_seed(36);
    pol_t *p = pol_new("{pi_hidden: [5], vf_hidden: [], sde: true}", 3, 0, 2, 1);
    pol_randomize(p, r);
    void *ws = p->vt->ws_create(p->inst, 1);
    const float obs[3] = {0.3f, -0.8f, 1.1f};
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 8, "act", 0);
    ppo_rng_t *rngs[1] = {&rng};
    const uint32_t env = 0;
    enum { N = 40000 };
    double s[2] = {0, 0}, s2[2] = {0, 0};
    float d[4];
    for (int i = 0; i < N; i++) {
        float a[2], lp, v;
        ck_assert_int_eq(p->vt->reset_noise(p->inst, env, &rng), 0);
        ck_assert_int_eq(p->vt->act(p->inst, ws, 1, obs, &env, rngs, 0, a, &lp, &v, d), 0);
        for (int k = 0; k < 2; k++) {
            s[k] += a[k];
            s2[k] += (double)a[k] * a[k];
        }
    }
    for (int k = 0; k < 2; k++) {
        const double mean = s[k] / N, var = s2[k] / N - mean * mean;
        const double sd = exp(d[2 + k]);
        ck_assert_msg(fabs(mean - d[k]) < 5 * sd / sqrt(N), "mean %d: %.5f vs %.5f", k, mean,
                      (double)d[k]);
        ck_assert_msg(fabs(var / (sd * sd) - 1) < 5 * sqrt(2.0 / N), "var %d: %.5f vs %.5f", k, var,
                      sd * sd);
    }
    p->vt->ws_destroy(p->inst, ws);
    pol_free(p);
    g_rand_free(r);
}
END_TEST

START_TEST(test_mlp_gsde_noise_state_round_trips)
{
    GRand *r = g_rand_new_with_seed(37);
    const uint32_t n_envs = 3;
    pol_t *p =
        pol_new("{pi_hidden: [6], vf_hidden: [4], sde: true, sde_sample_freq: 2}", 3, 0, 2, n_envs);
    pol_randomize(p, r);
    ck_assert_uint_eq(p->vt->state_size(p->inst), n_envs * (2 + 6 * 2));
    void *ws = p->vt->ws_create(p->inst, n_envs);
    float *obs = pt_rand_floats(r, 3 * n_envs, -1, 1);
    const uint32_t env_index[3] = {0, 1, 2};
    ppo_rng_t streams[3];
    ppo_rng_t *rngs[3];
    for (uint32_t e = 0; e < n_envs; e++) {
        ppo_rng_seed(&streams[e], 2, "act", e);
        rngs[e] = &streams[e];
    }
    float a[6], lp[3], v[3], d[12];
    /* envs 0 and 2 get noise; env 1 is drawn at its first act */
    ck_assert_int_eq(p->vt->reset_noise(p->inst, 0, rngs[0]), 0);
    ck_assert_int_eq(p->vt->reset_noise(p->inst, 2, rngs[2]), 0);
    ck_assert_int_eq(p->vt->act(p->inst, ws, n_envs, obs, env_index, rngs, 0, a, lp, v, d), 0);

    const size_t n = p->vt->state_size(p->inst);
    double *state = g_new(double, n);
    ck_assert_int_eq(p->vt->get_state(p->inst, state), 0);
    ppo_rng_t saved[3];
    memcpy(saved, streams, sizeof(saved));
    float first[4][6];
    for (int step = 0; step < 4; step++)
        ck_assert_int_eq(
            p->vt->act(p->inst, ws, n_envs, obs, env_index, rngs, 0, first[step], lp, v, d), 0);

    /* a second instance restored from the state continues identically */
    pol_t *q =
        pol_new("{pi_hidden: [6], vf_hidden: [4], sde: true, sde_sample_freq: 2}", 3, 0, 2, n_envs);
    memcpy(q->theta, p->theta, sizeof(float) * p->n_params);
    void *wq = q->vt->ws_create(q->inst, n_envs);
    ck_assert_int_eq(q->vt->set_state(q->inst, state), 0);
    double *state2 = g_new(double, n);
    ck_assert_int_eq(q->vt->get_state(q->inst, state2), 0);
    ck_assert(memcmp(state, state2, sizeof(double) * n) == 0);
    memcpy(streams, saved, sizeof(saved));
    for (int step = 0; step < 4; step++) {
        float b[6];
        ck_assert_int_eq(q->vt->act(q->inst, wq, n_envs, obs, env_index, rngs, 0, b, lp, v, d), 0);
        ck_assert(memcmp(b, first[step], sizeof(b)) == 0);
    }
    /* damaged state is refused and changes nothing */
    state[1] = 0.5;
    ck_assert_int_lt(q->vt->set_state(q->inst, state), 0);
    g_free(ppo_host_take_error());
    /* without gSDE there is no state */
    pol_t *plain = pol_new("{pi_hidden: [6]}", 3, 0, 2, n_envs);
    ck_assert_uint_eq(plain->vt->state_size(plain->inst), 0);
    pol_free(plain);

    g_free(state);
    g_free(state2);
    g_free(obs);
    p->vt->ws_destroy(p->inst, ws);
    q->vt->ws_destroy(q->inst, wq);
    pol_free(p);
    pol_free(q);
    g_rand_free(r);
}
END_TEST

/* ---- export_c ---- */

static void check_export(const char *yaml, int kind, uint32_t D, uint32_t n_or_a, uint64_t seed)
{
    GRand *r = g_rand_new_with_seed((guint32)seed);
    pol_t *p = pol_new(yaml, D, kind, n_or_a, 1);
    const int discrete = ACTION_KIND(kind) != 0, multi = ACTION_KIND(kind) == MULTI;
    const int u8 = (kind & U8OBS) != 0;
    pol_randomize(p, r);
    enum { N = 1000 };

    /* normalization with visible effect: shifted means, spread variances, clipping */
    double mean[8], var[8];
    for (uint32_t i = 0; i < D; i++) {
        mean[i] = g_rand_double_range(r, -1, 1);
        var[i] = g_rand_double_range(r, 0.05, 4);
    }
    const ppo_obs_norm_t norm = {sizeof(norm), 1, D, 0, mean, var, 1e-8, 2.5};

    char *dir = ppo_test_tmpdir();
    const char *obs_param = u8 ? "const unsigned char *obs" : "const double *obs";
    char *signature = g_strdup_printf(multi      ? "void ppo_policy_act(%s, int *action)"
                                      : discrete ? "int ppo_policy_act(%s)"
                                                 : "void ppo_policy_act(%s, double *action)",
                                      obs_param);
    char *c_path = pt_export_write(p->vt, p->inst, p->theta, &norm, dir, signature);
    g_free(signature);

    /* observations as an env writes them (floats, or bytes the core scales to [0, 1]), and as
     * the core normalizes them */
    double *raw = g_new(double, (size_t)N *D);
    float *normed = g_new(float, (size_t)N *D);
    char *in_path = g_build_filename(dir, "obs.txt", NULL);
    FILE *f = fopen(in_path, "w");
    for (size_t i = 0; i < (size_t)N * D; i++) {
        const uint32_t c = (uint32_t)(i % D);
        double seen;
        if (u8) {
            raw[i] = g_rand_int_range(r, 0, 256);
            seen = (float)(raw[i] / 255.0);
        } else {
            raw[i] = (float)g_rand_double_range(r, mean[c] - 4 * sqrt(var[c]),
                                                mean[c] + 4 * sqrt(var[c]));
            seen = raw[i];
        }
        const double inv = 1.0 / sqrt(var[c] + norm.epsilon);
        double v = (seen - mean[c]) * inv;
        v = v < -norm.clip ? -norm.clip : v > norm.clip ? norm.clip : v;
        normed[i] = (float)v;
        fprintf(f, "%a%c", raw[i], c + 1 < D ? ' ' : '\n');
    }
    fclose(f);

    /* build: the generated file alone with warnings as errors, the driver around it, run */
    char *out_path = g_build_filename(dir, "actions.txt", NULL);
    if (pt_export_run(dir, c_path, in_path, out_path)) {
        /* the plugin's deterministic act: all rows at once, and in collection-sized chunks */
        const double worst = pt_export_compare_act(p->vt, p->inst, D, p->A, p->P, !discrete, N,
                                                   normed, out_path, yaml);
        if (discrete) {
            printf("export_c (%s%s%s): %d observations, every action identical to the "
                   "plugin's\n",
                   yaml, multi ? ", multi-discrete" : "", u8 ? ", uint8 observations" : "", N);
        } else {
            printf("export_c (%s): %d observations, max |exported - plugin| %.3g (one call and "
                   "chunks of 8)\n",
                   yaml, N, worst);
            ck_assert_msg(worst <= 1e-5, "exported actions differ by %.3g", worst);
        }
    }

    ppo_test_rm_tree(dir);
    g_free(raw);
    g_free(normed);
    g_free(c_path);
    g_free(in_path);
    g_free(out_path);
    g_free(dir);
    pol_free(p);
    g_rand_free(r);
}

START_TEST(test_mlp_export_c_matches_the_plugin_discrete)
{
    check_export("{}", 1, 4, 3, 41);
    check_export("{pi_hidden: [32, 16], activation: relu, share_trunk: true}", 1, 6, 5, 42);
}
END_TEST

START_TEST(test_mlp_export_c_matches_the_plugin_box)
{
    check_export("{pi_hidden: [64, 64], vf_hidden: [8]}", 0, 5, 2, 43);
    check_export("{pi_hidden: [24], activation: relu, sde: true}", 0, 7, 3, 44);
    check_export("{pi_hidden: []}", 0, 3, 1, 45);
}
END_TEST

START_TEST(test_mlp_export_c_matches_the_plugin_multi_discrete_and_uint8_observations)
{
    check_export("{pi_hidden: [16, 8]}", MULTI, 5, 3, 41);
    check_export("{pi_hidden: [16], activation: relu}", 1 | U8OBS, 6, 4, 42);
    check_export("{pi_hidden: [8]}", MULTI | U8OBS, 4, 2, 43);
    check_export("{pi_hidden: [12]}", U8OBS, 3, 2, 44);
}
END_TEST

START_TEST(test_mlp_export_c_refuses_non_finite_parameters)
{
    pol_t *p = pol_new("{pi_hidden: [4]}", 3, 1, 2, 1);
    p->theta[0] = NAN;
    pt_check_export_refuses_nan(p->vt, p->inst, p->theta);
    pol_free(p);
}
END_TEST

static Suite *mlp_suite(void)
{
    Suite *s = suite_create("mlp");
    TCase *tc = tcase_create("mlp");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_mlp_backward_matches_finite_differences_categorical);
    tcase_add_test(tc, test_mlp_backward_matches_finite_differences_multi_discrete);
    tcase_add_test(tc, test_mlp_backward_matches_finite_differences_gaussian);
    tcase_add_test(tc, test_mlp_backward_matches_finite_differences_gsde);
    tcase_add_test(tc, test_mlp_segments_are_named_pytorch_style_in_order);
    tcase_add_test(tc, test_mlp_declared_init_follows_ortho_init_and_log_std_init);
    tcase_add_test(tc, test_mlp_act_value_evaluate_agree);
    tcase_add_test(tc, test_mlp_parts_equal_evaluate_and_backward_and_stay_in_their_segments);
    tcase_add_test(tc, test_mlp_streams_alone_decide_the_samples);
    tcase_add_test(tc, test_mlp_rows_in_one_call_equal_rows_one_at_a_time);
    tcase_add_test(tc, test_mlp_two_workspaces_on_two_threads_match_sequential_calls);
    tcase_add_test(tc, test_mlp_refuses_sde_with_discrete_actions);
    tcase_add_test(tc, test_mlp_refuses_spaces_it_cannot_handle);
    tcase_add_test(tc, test_mlp_warns_that_vf_hidden_is_ignored_with_a_shared_trunk);
    tcase_add_test(tc, test_mlp_backward_needs_an_evaluate_of_the_same_rows);
    tcase_add_test(tc, test_mlp_gsde_noise_follows_the_sample_frequency);
    tcase_add_test(tc, test_mlp_gsde_actions_have_the_declared_variance);
    tcase_add_test(tc, test_mlp_gsde_noise_state_round_trips);
    tcase_add_test(tc, test_mlp_export_c_matches_the_plugin_discrete);
    tcase_add_test(tc, test_mlp_export_c_matches_the_plugin_box);
    tcase_add_test(tc, test_mlp_export_c_matches_the_plugin_multi_discrete_and_uint8_observations);
    tcase_add_test(tc, test_mlp_export_c_refuses_non_finite_parameters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(mlp_suite());
}
