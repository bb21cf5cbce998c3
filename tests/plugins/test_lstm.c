/* Tests of plugins/policies/lstm.c through the core's loader, driving its recurrent vtable
 * directly: backward through time against central finite differences of evaluate over whole
 * sequences with episode starts inside them, for every head kind and every critic mode; act
 * stepped one step at a time against evaluate over the same sequences; resets at starts; the
 * independence of sequences, rows and workspaces; the segment table, its initialization, the
 * state size and the FLOP count; bad input; and export_c compiled with the system's C compiler
 * and driven step by step with its state.
 *
 * Finite differences: the loss sum_r c1 logp + c2 entropy + c3 KL + c4 value over every step of
 * every sequence, with random coefficients, is summed in double; each parameter's derivative is
 * the five-point central difference with h = 2^-4 (error O(h^4)), the parameters being
 * multiples of 2^-12 so that every step is exact in float; each segment's gradient must agree
 * with the differences to FD_TOL in relative L2 norm. The network is float32, so the rounding of
 * the loss sets the floor: through five recurrent steps, two-point differences left the worst
 * segment off by about 6e-4 at h = 2^-6, 2.6e-3 at 2^-8 and 1e-2 at 2^-10; the five-point ones
 * at 2^-4 leave it below 7e-4. The cases use tanh: relu's kinks make differences of these
 * sizes unreliable, and the relu dense layers are the ones mlp shares (net.c), checked by
 * tests/plugins/test_mlp.c.
 *
 * Left out: the core's sequence minibatches and state handling (tested with the core).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "policy_test.h"

#define FD_TOL 2e-3
#define FD_H 0x1p-4f

typedef enum head { HEAD_CAT, HEAD_GAUSS, HEAD_MULTI } head_t;

/* A policy made through the real loader, with its own parameter array. */
typedef struct pol {
    ppo_plugin_t *plugin;             /* (transfer none) */
    const ppo_policy_vtable_t *vt;    /* the plugin's vtable */
    const ppo_recurrent_vtable_t *rv; /* its recurrent table */
    ppo_params_t *params;             /* validated plugin params */
    void *inst;                       /* the policy */
    head_t head;                      /* the action space's kind */
    ppo_space_t obs_space, act_space; /* box (D); discrete 3, box (2) or multi-discrete {3, 2} */
    double low[16], high[16];         /* bounds of the boxes */
    uint32_t nvec[2];                 /* multi-discrete choices */
    const ppo_segment_t *segs;        /* (n_segs) */
    uint32_t n_segs;
    size_t n_params;
    float *theta; /* (n_params) bound parameters */
    uint32_t D, A, P, S;
} pol_t;

static pol_t *pol_try(const char *yaml, uint32_t D, head_t head, int u8)
{
    pol_t *p = g_new0(pol_t, 1);
    p->plugin = ppo_test_plugin("lstm");
    p->vt = &p->plugin->vt.policy;
    p->rv = p->vt->recurrent;
    ck_assert_ptr_nonnull(p->rv);
    p->params = ppo_test_params(p->plugin, yaml);
    p->head = head;
    for (int i = 0; i < 16; i++) {
        p->low[i] = u8 ? 0.0 : -1.0;
        p->high[i] = u8 ? 255.0 : 1.0;
    }
    p->nvec[0] = 3;
    p->nvec[1] = 2;
    p->obs_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                 .kind = PPO_SPACE_BOX,
                                 .dim = D,
                                 .low = p->low,
                                 .high = p->high,
                                 .rank = 1,
                                 .shape = {D},
                                 .dtype = u8 ? PPO_DTYPE_UINT8 : PPO_DTYPE_FLOAT32};
    static const double act_low[2] = {-1.0, -1.0}, act_high[2] = {1.0, 1.0};
    if (head == HEAD_CAT)
        p->act_space = (ppo_space_t){
            .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 3, .dim = 1};
    else if (head == HEAD_GAUSS)
        p->act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                     .kind = PPO_SPACE_BOX,
                                     .dim = 2,
                                     .low = act_low,
                                     .high = act_high};
    else
        p->act_space = (ppo_space_t){.struct_size = sizeof(ppo_space_t),
                                     .kind = PPO_SPACE_MULTI_DISCRETE,
                                     .dim = 2,
                                     .nvec = p->nvec};
    const ppo_policy_setup_t setup = {sizeof(setup), 4, &p->obs_space, &p->act_space};
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
    p->A = head == HEAD_CAT ? 1 : 2;
    p->P = p->vt->dist_size(p->inst);
    p->S = p->rv->state_size(p->inst);
    return p;
}

static pol_t *pol_new(const char *yaml, uint32_t D, head_t head)
{
    pol_t *p = pol_try(yaml, D, head, 0);
    if (p == NULL) {
        char *msg = ppo_host_take_error();
        ck_abort_msg("lstm create %s failed: %s", yaml, msg != NULL ? msg : "(no message)");
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

/* Weights uniform in +-1.5/sqrt(fan_in), biases in +-0.3, log_std in [-0.6, 0.2], each rounded
 * to a multiple of 2^-12. */
static void pol_randomize(pol_t *p, GRand *r)
{
    size_t off = 0;
    for (uint32_t k = 0; k < p->n_segs; k++) {
        const ppo_segment_t *s = &p->segs[k];
        for (size_t i = 0; i < (size_t)s->rows * s->cols; i++) {
            float *v = &p->theta[off + i];
            if (strcmp(s->name, "log_std") == 0)
                *v = (float)g_rand_double_range(r, -0.6, 0.2);
            else if (strstr(s->name, ".bias") != NULL)
                *v = (float)g_rand_double_range(r, -0.3, 0.3);
            else
                *v = (float)(g_rand_double_range(r, -1.5, 1.5) / sqrt(s->cols));
            *v = ldexpf(rintf(ldexpf(*v, 12)), -12); /* a multiple of 2^-12: exact steps */
        }
        off += (size_t)s->rows * s->cols;
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
            if (p->head == HEAD_CAT)
                *x = (float)g_rand_int_range(r, 0, 3);
            else if (p->head == HEAD_MULTI)
                *x = (float)g_rand_int_range(r, 0, (gint32)p->nvec[a]);
            else
                *x = (float)g_rand_double_range(r, -1.5, 1.5);
        }
    if (p->head == HEAD_GAUSS)
        for (uint32_t b = 0; b < B; b++)
            for (uint32_t a = 0; a < p->A; a++)
                (*old)[b * p->P + p->A + a] = (float)g_rand_double_range(r, -0.7, 0.1);
}

/* Sequence-major episode-start flags: sequence s starts an episode at each step in `at` (-1
 * ends the list). */
static float *make_starts(uint32_t n_seq, uint32_t L, const int at[][3])
{
    float *starts = g_new0(float, (size_t)n_seq *L);
    for (uint32_t s = 0; s < n_seq; s++)
        for (int k = 0; k < 3 && at[s][k] >= 0; k++)
            starts[s * L + (uint32_t)at[s][k]] = 1.0f;
    return starts;
}

/* ---- finite differences ---- */

typedef struct fd_case {
    const char *yaml;
    head_t head;
} fd_case_t;

typedef struct fd_data {
    pol_t *p;
    void *ws;
    uint32_t n_seq, L;
    float *obs, *actions, *old, *state0, *starts, *c[4];
} fd_data_t;

static double fd_loss(const fd_data_t *f)
{
    const uint32_t R = f->n_seq * f->L;
    float lp[64], h[64], kl[64], v[64];
    ck_assert_uint_le(R, 64);
    ck_assert_int_eq(f->p->rv->evaluate(f->p->inst, f->ws, f->n_seq, f->L, f->obs, f->actions,
                                        f->old, f->state0, f->starts, lp, h, kl, v),
                     0);
    double L = 0.0;
    for (uint32_t b = 0; b < R; b++)
        L += (double)f->c[0][b] * lp[b] + (double)f->c[1][b] * h[b] + (double)f->c[2][b] * kl[b] +
             (double)f->c[3][b] * v[b];
    return L;
}

/* The five-point central difference (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h in parameter i:
 * error O(h^4). The parameters are multiples of 2^-12 below 2 in magnitude, so every step is
 * exact in float. */
static double fd_one(fd_data_t *f, size_t i, float h)
{
    float *theta = f->p->theta;
    const float v = theta[i];
    double L[4];
    static const float k[4] = {-2.0f, -1.0f, 1.0f, 2.0f};
    for (int j = 0; j < 4; j++) {
        theta[i] = v + k[j] * h;
        ck_assert((double)theta[i] - v == (double)k[j] * h);
        L[j] = fd_loss(f);
    }
    theta[i] = v;
    return (L[0] - 8.0 * L[1] + 8.0 * L[2] - L[3]) / (12.0 * h);
}

/* pt_fd_segments' difference: fd_one with step FD_H. */
static double fd_param(void *ctx, uint32_t seg, size_t i)
{
    (void)seg;
    return fd_one(ctx, i, FD_H);
}

/* Every segment's gradient against the differences; returns the largest relative error. */
static double fd_check(const fd_case_t *fc, uint64_t seed)
{
    static const int at[3][3] = {{2, -1, -1}, {-1, -1, -1}, {0, 3, -1}};
    GRand *r = g_rand_new_with_seed((guint32)seed);
    fd_data_t f = {.n_seq = 3, .L = 5};
    const uint32_t R = f.n_seq * f.L;
    f.p = pol_new(fc->yaml, 3, fc->head);
    pol_t *p = f.p;
    pol_randomize(p, r);
    f.ws = p->vt->ws_create(p->inst, R);
    ck_assert_ptr_nonnull(f.ws);
    f.obs = pt_rand_floats(r, (size_t)R * p->D, -1.5, 1.5);
    make_samples(p, r, R, &f.actions, &f.old);
    f.state0 = pt_rand_floats(r, (size_t)f.n_seq * p->S, -0.8, 0.8);
    f.starts = make_starts(f.n_seq, f.L, at);
    for (int k = 0; k < 4; k++)
        f.c[k] = pt_rand_floats(r, R, -1.0, 1.0);

    /* analytic: evaluate then backward into zeros */
    float *grad = g_new0(float, p->n_params);
    fd_loss(&f);
    ck_assert_int_eq(
        p->rv->backward(p->inst, f.ws, f.n_seq, f.L, f.c[0], f.c[1], f.c[2], f.c[3], grad), 0);

    char label[256];
    snprintf(label, sizeof(label), "%s head %d", fc->yaml, fc->head);
    const double worst = pt_fd_segments(p->segs, p->n_segs, grad, fd_param, &f, FD_TOL, 0, label);

    /* backward adds: a second pass doubles the gradient */
    float *grad2 = g_memdup2(grad, sizeof(float) * p->n_params);
    fd_loss(&f);
    ck_assert_int_eq(
        p->rv->backward(p->inst, f.ws, f.n_seq, f.L, f.c[0], f.c[1], f.c[2], f.c[3], grad2), 0);
    pt_check_backward_adds(grad, grad2, p->n_params);

    g_free(grad);
    g_free(grad2);
    g_free(f.obs);
    g_free(f.actions);
    g_free(f.old);
    g_free(f.state0);
    g_free(f.starts);
    for (int k = 0; k < 4; k++)
        g_free(f.c[k]);
    p->vt->ws_destroy(p->inst, f.ws);
    pol_free(p);
    g_rand_free(r);
    return worst;
}

#define NET "encoder_hidden: [5], lstm_hidden: 4, pi_hidden: [4], vf_hidden: [3]"

static const char *const fd_nets[] = {
    "{" NET ", lstm_layers: 2, critic: separate}",
    "{" NET ", lstm_layers: 2, critic: shared}",
    "{" NET ", lstm_layers: 1, critic: mlp}",
    "{encoder_hidden: [], lstm_hidden: 3, pi_hidden: [], vf_hidden: [], critic: separate}",
    "{encoder_hidden: [], lstm_hidden: 5, pi_hidden: [4], vf_hidden: [], critic: mlp}",
};

static void fd_run(head_t head, const char *label)
{
    for (size_t i = 0; i < G_N_ELEMENTS(fd_nets); i++) {
        const fd_case_t fc = {fd_nets[i], head};
        const double worst = fd_check(&fc, 100 * (uint64_t)head + i);
        printf("FD %-11s %-92s max segment rel error %.2e\n", label, fd_nets[i], worst);
    }
}

START_TEST(test_lstm_backward_through_time_matches_finite_differences_categorical)
{
    fd_run(HEAD_CAT, "categorical");
}
END_TEST

START_TEST(test_lstm_backward_through_time_matches_finite_differences_gaussian)
{
    fd_run(HEAD_GAUSS, "gaussian");
}
END_TEST

START_TEST(test_lstm_backward_through_time_matches_finite_differences_multi_discrete)
{
    fd_run(HEAD_MULTI, "multi");
}
END_TEST

/* ---- act, value, evaluate ---- */

/* Act T steps on B envs (sampling), resetting an env's state to zeros where starts (B, T,
 * sequence-major) says, from the start states state0 (B, S). Writes what act returned, the
 * observations, sequence-major. */
typedef struct rollout {
    uint32_t B, T;
    float *obs;     /* (B T, D) */
    float *actions; /* (B T, A) */
    float *logp;    /* (B T) */
    float *value;   /* (B T) */
    float *dist;    /* (B T, P) */
    float *state0;  /* (B, S) the state at step 0 */
    float *starts;  /* (B T) */
    float *state;   /* (B, S) after the last step */
} rollout_t;

static rollout_t rollout_run(pol_t *p, void *ws, GRand *r, uint32_t B, uint32_t T,
                             const float *starts, int deterministic)
{
    rollout_t ro = {.B = B, .T = T};
    ro.obs = pt_rand_floats(r, (size_t)B * T * p->D, -1.5, 1.5);
    ro.actions = g_new(float, (size_t)B *T * p->A);
    ro.logp = g_new(float, (size_t)B *T);
    ro.value = g_new(float, (size_t)B *T);
    ro.dist = g_new(float, (size_t)B *T * p->P);
    ro.state0 = pt_rand_floats(r, (size_t)B * p->S, -0.8, 0.8);
    ro.starts = g_memdup2(starts, sizeof(float) * B * T);
    ro.state = g_memdup2(ro.state0, sizeof(float) * B * p->S);
    ppo_rng_t streams[8];
    ppo_rng_t *rngs[8];
    uint32_t env_index[8];
    ck_assert_uint_le(B, 8);
    for (uint32_t b = 0; b < B; b++) {
        ppo_rng_seed(&streams[b], 9, "act", b);
        rngs[b] = &streams[b];
        env_index[b] = b;
    }
    float *x = g_new(float, (size_t)B * p->D), *a = g_new(float, (size_t)B * p->A);
    float *lp = g_new(float, B), *v = g_new(float, B), *d = g_new(float, (size_t)B * p->P);
    float *v2 = g_new(float, B), *before = g_new(float, (size_t)B * p->S);
    for (uint32_t t = 0; t < T; t++) {
        for (uint32_t b = 0; b < B; b++) {
            /* the core resets an env's state when its episode starts */
            if (starts[b * T + t] != 0.0f)
                memset(ro.state + (size_t)b * p->S, 0, sizeof(float) * p->S);
            memcpy(x + b * p->D, ro.obs + ((size_t)b * T + t) * p->D, sizeof(float) * p->D);
        }
        /* value() reads the state, changes nothing, and is what act's value will be */
        memcpy(before, ro.state, sizeof(float) * B * p->S);
        ck_assert_int_eq(p->rv->value(p->inst, ws, B, x, ro.state, v2), 0);
        ck_assert(memcmp(before, ro.state, sizeof(float) * B * p->S) == 0);
        ck_assert_int_eq(p->rv->act(p->inst, ws, B, x, env_index, deterministic ? NULL : rngs,
                                    deterministic, ro.state, a, lp, v, d),
                         0);
        ck_assert(memcmp(v, v2, sizeof(float) * B) == 0);
        for (uint32_t b = 0; b < B; b++) {
            const size_t row = (size_t)b * T + t;
            memcpy(ro.actions + row * p->A, a + b * p->A, sizeof(float) * p->A);
            memcpy(ro.dist + row * p->P, d + b * p->P, sizeof(float) * p->P);
            ro.logp[row] = lp[b];
            ro.value[row] = v[b];
        }
    }
    g_free(x);
    g_free(a);
    g_free(lp);
    g_free(v);
    g_free(d);
    g_free(v2);
    g_free(before);
    return ro;
}

static void rollout_free(rollout_t *ro)
{
    g_free(ro->obs);
    g_free(ro->actions);
    g_free(ro->logp);
    g_free(ro->value);
    g_free(ro->dist);
    g_free(ro->state0);
    g_free(ro->starts);
    g_free(ro->state);
}

static const char *const act_nets[] = {
    "{encoder_hidden: [8], lstm_hidden: 6, lstm_layers: 2, critic: separate}",
    "{lstm_hidden: 7, critic: shared, activation: relu, pi_hidden: [5, 4]}",
    "{encoder_hidden: [6], lstm_hidden: 5, critic: mlp, vf_hidden: [4, 3]}",
};

START_TEST(test_lstm_act_step_by_step_equals_evaluate_over_the_sequence)
{
    /* 3 envs, 9 steps: episodes start at step 0 of env 0, mid-way in env 1, twice in env 2 */
    static const int at[3][3] = {{0, -1, -1}, {4, -1, -1}, {2, 6, -1}};
    GRand *r = g_rand_new_with_seed(21);
    double worst = 0.0;
    for (head_t head = HEAD_CAT; head <= HEAD_MULTI; head++)
        for (size_t n = 0; n < G_N_ELEMENTS(act_nets); n++) {
            pol_t *p = pol_new(act_nets[n], 5, head);
            pol_randomize(p, r);
            const uint32_t B = 3, T = 9;
            void *ws = p->vt->ws_create(p->inst, B * T);
            float *starts = make_starts(B, T, at);
            rollout_t ro = rollout_run(p, ws, r, B, T, starts, 0);

            /* evaluate the same sequences from the same start states */
            float lp[27], h[27], kl[27], v[27];
            ck_assert_int_eq(p->rv->evaluate(p->inst, ws, B, T, ro.obs, ro.actions, ro.dist,
                                             ro.state0, starts, lp, h, kl, v),
                             0);
            for (uint32_t i = 0; i < B * T; i++) {
                const double e = fmax(fabs(lp[i] - ro.logp[i]) / fmax(1.0, fabs(ro.logp[i])),
                                      fabs(v[i] - ro.value[i]) / fmax(1.0, fabs(ro.value[i])));
                ck_assert_msg(e < 1e-5, "%s head %d row %u: evaluate %g %g, act %g %g", act_nets[n],
                              head, i, (double)lp[i], (double)v[i], (double)ro.logp[i],
                              (double)ro.value[i]);
                ck_assert_msg(fabsf(kl[i]) < 1e-5f, "row %u: KL to act's own dist %g", i,
                              (double)kl[i]);
                worst = fmax(worst, e);
            }
            rollout_free(&ro);
            g_free(starts);
            p->vt->ws_destroy(p->inst, ws);
            pol_free(p);
        }
    printf("act step by step vs evaluate over sequences: max relative difference %.2e\n", worst);
    g_rand_free(r);
}
END_TEST

START_TEST(test_lstm_deterministic_act_takes_the_mode_without_streams)
{
    GRand *r = g_rand_new_with_seed(22);
    for (head_t head = HEAD_CAT; head <= HEAD_MULTI; head++) {
        pol_t *p = pol_new(act_nets[0], 5, head);
        pol_randomize(p, r);
        void *ws = p->vt->ws_create(p->inst, 4);
        static const int at[4][3] = {{0, -1, -1}, {-1, -1, -1}, {1, -1, -1}, {-1, -1, -1}};
        float *starts = make_starts(4, 3, at);
        rollout_t ro = rollout_run(p, ws, r, 4, 3, starts, 1);
        for (uint32_t i = 0; i < 12; i++) {
            const float *d = ro.dist + i * p->P, *a = ro.actions + i * p->A;
            if (head == HEAD_GAUSS) {
                ck_assert(memcmp(a, d, sizeof(float) * p->A) == 0);
                continue;
            }
            /* the first largest logit of each component */
            const uint32_t n[2] = {head == HEAD_CAT ? 3 : p->nvec[0], p->nvec[1]};
            for (uint32_t k = 0, base = 0; k < p->A; base += n[k], k++) {
                uint32_t best = 0;
                for (uint32_t j = 1; j < n[k]; j++)
                    if (d[base + j] > d[base + best])
                        best = j;
                ck_assert_float_eq(a[k], (float)best);
            }
        }
        rollout_free(&ro);
        g_free(starts);
        p->vt->ws_destroy(p->inst, ws);
        pol_free(p);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_lstm_a_start_resets_the_state_whatever_came_before)
{
    /* a sequence of 8 steps with a start at step 3: from step 3 on its outputs are those of a
     * sequence of 5 steps starting there from zeros, bit for bit (the calls stay below 16 rows,
     * where nn.h's products do not depend on the row count), whatever the start state and the
     * observations before the start were */
    GRand *r = g_rand_new_with_seed(23);
    for (size_t n = 0; n < G_N_ELEMENTS(act_nets); n++) {
        pol_t *p = pol_new(act_nets[n], 5, HEAD_GAUSS);
        pol_randomize(p, r);
        void *ws = p->vt->ws_create(p->inst, 8);
        float *obs = pt_rand_floats(r, 8 * (size_t)p->D, -1.5, 1.5), *act = NULL, *old = NULL;
        make_samples(p, r, 8, &act, &old);
        float *st = pt_rand_floats(r, p->S, -0.8, 0.8), *zero = g_new0(float, p->S);
        float starts[8] = {0, 0, 0, 1, 0, 0, 0, 0};
        float lp[8], h[8], kl[8], v[8], lp2[8], h2[8], kl2[8], v2[8];
        ck_assert_int_eq(
            p->rv->evaluate(p->inst, ws, 1, 8, obs, act, old, st, starts, lp, h, kl, v), 0);
        ck_assert_int_eq(p->rv->evaluate(p->inst, ws, 1, 5, obs + 3 * p->D, act + 3 * p->A,
                                         old + 3 * p->P, zero, NULL, lp2, h2, kl2, v2),
                         0);
        ck_assert(memcmp(lp + 3, lp2, sizeof(float) * 5) == 0);
        ck_assert(memcmp(v + 3, v2, sizeof(float) * 5) == 0);
        ck_assert(memcmp(kl + 3, kl2, sizeof(float) * 5) == 0);
        /* another start state and other observations before the start change nothing after */
        for (uint32_t i = 0; i < p->S; i++)
            st[i] = -st[i] + 0.1f;
        for (uint32_t i = 0; i < 3 * p->D; i++)
            obs[i] = 2.0f - obs[i];
        ck_assert_int_eq(
            p->rv->evaluate(p->inst, ws, 1, 8, obs, act, old, st, starts, lp2, h2, kl2, v2), 0);
        ck_assert(memcmp(lp + 3, lp2 + 3, sizeof(float) * 5) == 0);
        ck_assert(memcmp(v + 3, v2 + 3, sizeof(float) * 5) == 0);
        ck_assert(memcmp(lp, lp2, sizeof(float) * 3) != 0 || memcmp(v, v2, sizeof(float) * 3) != 0);
        g_free(obs);
        g_free(act);
        g_free(old);
        g_free(st);
        g_free(zero);
        p->vt->ws_destroy(p->inst, ws);
        pol_free(p);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_lstm_act_carries_the_state_and_value_leaves_it)
{
    /* two steps of act on one row, the second from the state the first wrote, equal one
     * evaluate of a 2-step sequence; act overwrites every float of the state */
    GRand *r = g_rand_new_with_seed(24);
    pol_t *p = pol_new(act_nets[0], 5, HEAD_CAT);
    pol_randomize(p, r);
    void *ws = p->vt->ws_create(p->inst, 2);
    float *obs = pt_rand_floats(r, 2 * (size_t)p->D, -1.5, 1.5);
    float *st = pt_rand_floats(r, p->S, -0.8, 0.8), *st0 = g_memdup2(st, sizeof(float) * p->S);
    float a[2], lp[2], v[2], d[6];
    for (int t = 0; t < 2; t++) {
        float *before = g_memdup2(st, sizeof(float) * p->S);
        ck_assert_int_eq(p->rv->act(p->inst, ws, 1, obs + t * p->D, NULL, NULL, 1, st, a + t,
                                    lp + t, v + t, d + 3 * t),
                         0);
        for (uint32_t i = 0; i < p->S; i++)
            ck_assert_msg(st[i] != before[i], "act left state float %u unchanged", i);
        g_free(before);
    }
    float lpe[2], he[2], vle[2];
    ck_assert_int_eq(
        p->rv->evaluate(p->inst, ws, 1, 2, obs, a, NULL, st0, NULL, lpe, he, NULL, vle), 0);
    for (int t = 0; t < 2; t++) {
        ck_assert_float_eq_tol(lpe[t], lp[t], 1e-5f);
        ck_assert_float_eq_tol(vle[t], v[t], 1e-5f);
    }
    g_free(obs);
    g_free(st);
    g_free(st0);
    p->vt->ws_destroy(p->inst, ws);
    pol_free(p);
    g_rand_free(r);
}
END_TEST

START_TEST(test_lstm_sequences_and_rows_do_not_depend_on_each_other)
{
    /* below 16 rows per call, a sequence evaluated with others equals it evaluated alone, bit
     * for bit; the same holds for act's rows */
    GRand *r = g_rand_new_with_seed(25);
    for (size_t n = 0; n < G_N_ELEMENTS(act_nets); n++) {
        pol_t *p = pol_new(act_nets[n], 5, HEAD_MULTI);
        pol_randomize(p, r);
        void *ws = p->vt->ws_create(p->inst, 12);
        const uint32_t n_seq = 3, L = 4;
        float *obs = pt_rand_floats(r, 12 * (size_t)p->D, -1.5, 1.5), *act = NULL, *old = NULL;
        make_samples(p, r, 12, &act, &old);
        float *st = pt_rand_floats(r, n_seq * (size_t)p->S, -0.8, 0.8);
        static const int at[3][3] = {{1, -1, -1}, {-1, -1, -1}, {0, 2, -1}};
        float *starts = make_starts(n_seq, L, at);
        float lp[12], h[12], kl[12], v[12], lp1[4], h1[4], kl1[4], v1[4];
        ck_assert_int_eq(
            p->rv->evaluate(p->inst, ws, n_seq, L, obs, act, old, st, starts, lp, h, kl, v), 0);
        for (uint32_t s = 0; s < n_seq; s++) {
            ck_assert_int_eq(p->rv->evaluate(p->inst, ws, 1, L, obs + s * L * p->D,
                                             act + s * L * p->A, old + s * L * p->P, st + s * p->S,
                                             starts + s * L, lp1, h1, kl1, v1),
                             0);
            ck_assert(memcmp(lp + s * L, lp1, sizeof(lp1)) == 0);
            ck_assert(memcmp(h + s * L, h1, sizeof(h1)) == 0);
            ck_assert(memcmp(kl + s * L, kl1, sizeof(kl1)) == 0);
            ck_assert(memcmp(v + s * L, v1, sizeof(v1)) == 0);
        }
        /* act: 5 rows at once and one at a time */
        float a5[10], lp5[5], v5[5], d5[25], a1[2], lp1b, v1b, d1[5];
        float *s5 = pt_rand_floats(r, 5 * (size_t)p->S, -0.8, 0.8);
        float *s1 = g_memdup2(s5, sizeof(float) * 5 * p->S);
        ck_assert_int_eq(p->rv->act(p->inst, ws, 5, obs, NULL, NULL, 1, s5, a5, lp5, v5, d5), 0);
        for (uint32_t b = 0; b < 5; b++) {
            ck_assert_int_eq(p->rv->act(p->inst, ws, 1, obs + b * p->D, NULL, NULL, 1,
                                        s1 + b * p->S, a1, &lp1b, &v1b, d1),
                             0);
            ck_assert(memcmp(d5 + b * p->P, d1, sizeof(float) * p->P) == 0);
            ck_assert(memcmp(&v5[b], &v1b, sizeof(float)) == 0);
        }
        ck_assert(memcmp(s5, s1, sizeof(float) * 5 * p->S) == 0);
        g_free(s5);
        g_free(s1);
        g_free(obs);
        g_free(act);
        g_free(old);
        g_free(st);
        g_free(starts);
        p->vt->ws_destroy(p->inst, ws);
        pol_free(p);
    }
    g_rand_free(r);
}
END_TEST

/* ---- workspaces ---- */

typedef struct ws_job {
    pol_t *p;
    void *ws;
    const float *obs, *act, *old, *st, *starts, *c;
    float *grad; /* (n_params) */
    float out[4][16];
} ws_job_t;

static gpointer ws_job_run(gpointer arg)
{
    ws_job_t *j = arg;
    for (int rep = 0; rep < 20; rep++) {
        memset(j->grad, 0, sizeof(float) * j->p->n_params);
        if (j->p->rv->evaluate(j->p->inst, j->ws, 4, 4, j->obs, j->act, j->old, j->st, j->starts,
                               j->out[0], j->out[1], j->out[2], j->out[3]) != 0 ||
            j->p->rv->backward(j->p->inst, j->ws, 4, 4, j->c, j->c, j->c, j->c, j->grad) != 0)
            return GINT_TO_POINTER(1);
    }
    return NULL;
}

START_TEST(test_lstm_two_workspaces_on_two_threads_match_sequential_calls)
{
    GRand *r = g_rand_new_with_seed(26);
    pol_t *p = pol_new(act_nets[0], 5, HEAD_GAUSS);
    pol_randomize(p, r);
    static const int at[4][3] = {{1, -1, -1}, {-1, -1, -1}, {0, 2, -1}, {3, -1, -1}};
    float *starts = make_starts(4, 4, at);
    ws_job_t jobs[2], ref[2];
    for (int k = 0; k < 2; k++) {
        float *act = NULL, *old = NULL;
        make_samples(p, r, 16, &act, &old);
        jobs[k] = (ws_job_t){p,
                             p->vt->ws_create(p->inst, 16),
                             pt_rand_floats(r, 16 * (size_t)p->D, -1.5, 1.5),
                             act,
                             old,
                             pt_rand_floats(r, 4 * (size_t)p->S, -0.8, 0.8),
                             starts,
                             pt_rand_floats(r, 16, -1, 1),
                             g_new0(float, p->n_params),
                             {{0}}};
        ref[k] = jobs[k];
        ref[k].grad = g_new0(float, p->n_params);
    }
    /* interleaved on one thread: evaluate A, evaluate B, backward A, backward B */
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(p->rv->evaluate(p->inst, ref[k].ws, 4, 4, ref[k].obs, ref[k].act,
                                         ref[k].old, ref[k].st, starts, ref[k].out[0],
                                         ref[k].out[1], ref[k].out[2], ref[k].out[3]),
                         0);
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(p->rv->backward(p->inst, ref[k].ws, 4, 4, ref[k].c, ref[k].c, ref[k].c,
                                         ref[k].c, ref[k].grad),
                         0);
    /* and on two threads at once, repeatedly */
    GThread *t0 = g_thread_new("ws0", ws_job_run, &jobs[0]);
    GThread *t1 = g_thread_new("ws1", ws_job_run, &jobs[1]);
    ck_assert_ptr_null(g_thread_join(t0));
    ck_assert_ptr_null(g_thread_join(t1));
    for (int k = 0; k < 2; k++) {
        ck_assert(memcmp(jobs[k].out, ref[k].out, sizeof(jobs[k].out)) == 0);
        ck_assert(memcmp(jobs[k].grad, ref[k].grad, sizeof(float) * p->n_params) == 0);
    }
    for (int k = 0; k < 2; k++) {
        p->vt->ws_destroy(p->inst, jobs[k].ws);
        g_free((float *)jobs[k].obs);
        g_free((float *)jobs[k].act);
        g_free((float *)jobs[k].old);
        g_free((float *)jobs[k].st);
        g_free((float *)jobs[k].c);
        g_free(jobs[k].grad);
        g_free(ref[k].grad);
    }
    g_free(starts);
    pol_free(p);
    g_rand_free(r);
}
END_TEST

START_TEST(test_lstm_backward_needs_an_evaluate_of_the_same_sequences)
{
    pol_t *p = pol_new(act_nets[0], 5, HEAD_CAT);
    void *ws = p->vt->ws_create(p->inst, 16);
    float *grad = g_new0(float, p->n_params), d[16] = {0};
    /* nothing evaluated yet */
    ck_assert_int_lt(p->rv->backward(p->inst, ws, 2, 3, d, NULL, NULL, d, grad), 0);
    char *msg = ppo_host_take_error();
    ck_assert_ptr_nonnull(strstr(msg, "not an evaluate"));
    g_free(msg);
    /* an evaluate of other shapes */
    float obs[16 * 5] = {0}, act[16] = {0}, st[64 * 4] = {0}, out[4][16];
    ck_assert_uint_le(2 * p->S, G_N_ELEMENTS(st));
    ck_assert_int_eq(
        p->rv->evaluate(p->inst, ws, 2, 3, obs, act, NULL, st, NULL, out[0], out[1], NULL, out[3]),
        0);
    ck_assert_int_lt(p->rv->backward(p->inst, ws, 3, 2, d, NULL, NULL, d, grad), 0);
    msg = ppo_host_take_error();
    ck_assert_ptr_nonnull(strstr(msg, "another size"));
    g_free(msg);
    /* an act in between */
    float a[1], lp[1], v[1], dd[3];
    ck_assert_int_eq(p->rv->act(p->inst, ws, 1, obs, NULL, NULL, 1, st, a, lp, v, dd), 0);
    ck_assert_int_lt(p->rv->backward(p->inst, ws, 2, 3, d, NULL, NULL, d, grad), 0);
    g_free(ppo_host_take_error());
    /* more rows than the workspace holds */
    ck_assert_int_lt(
        p->rv->evaluate(p->inst, ws, 4, 5, obs, act, NULL, st, NULL, out[0], out[1], NULL, out[3]),
        0);
    msg = ppo_host_take_error();
    ck_assert_ptr_nonnull(strstr(msg, "20 rows on a workspace made for 16"));
    g_free(msg);
    g_free(grad);
    p->vt->ws_destroy(p->inst, ws);
    pol_free(p);
}
END_TEST

/* ---- the segment table, init, state, FLOPs ---- */

typedef struct seg_expect {
    const char *name;
    uint32_t rows, cols;
} seg_expect_t;

static void check_table(const pol_t *p, const seg_expect_t *want, uint32_t n)
{
    ck_assert_uint_eq(p->n_segs, n);
    for (uint32_t k = 0; k < n; k++) {
        ck_assert_str_eq(p->segs[k].name, want[k].name);
        ck_assert_uint_eq(p->segs[k].rows, want[k].rows);
        ck_assert_uint_eq(p->segs[k].cols, want[k].cols);
        ck_assert_uint_eq(p->segs[k].struct_size, sizeof(ppo_segment_t));
    }
}

START_TEST(test_lstm_segments_are_named_pytorch_style_in_order)
{
    /* the defaults on CartPole's spaces (4 observations; 3 actions here): a separate critic */
    pol_t *p = pol_new("", 4, HEAD_CAT);
    static const seg_expect_t defaults[] = {
        {"lstm.0.weight_ih", 256, 4},    {"lstm.0.weight_hh", 256, 64},
        {"lstm.0.bias_ih", 256, 1},      {"lstm.0.bias_hh", 256, 1},
        {"pi.0.weight", 64, 64},         {"pi.0.bias", 64, 1},
        {"pi_head.weight", 3, 64},       {"pi_head.bias", 3, 1},
        {"vf_lstm.0.weight_ih", 256, 4}, {"vf_lstm.0.weight_hh", 256, 64},
        {"vf_lstm.0.bias_ih", 256, 1},   {"vf_lstm.0.bias_hh", 256, 1},
        {"vf.0.weight", 64, 64},         {"vf.0.bias", 64, 1},
        {"vf_head.weight", 1, 64},       {"vf_head.bias", 1, 1},
    };
    check_table(p, defaults, G_N_ELEMENTS(defaults));
    ck_assert_uint_eq(p->S, 4 * 64); /* (h, c) of the actor's and the critic's layer */
    ck_assert_uint_eq(p->P, 3);
    pol_free(p);

    /* an encoder, two layers shared with the critic, a Gaussian head */
    p = pol_new("{encoder_hidden: [8], lstm_hidden: 5, lstm_layers: 2, critic: shared, "
                "pi_hidden: [], vf_hidden: [3]}",
                3, HEAD_GAUSS);
    static const seg_expect_t shared[] = {
        {"enc.0.weight", 8, 3},      {"enc.0.bias", 8, 1},        {"lstm.0.weight_ih", 20, 8},
        {"lstm.0.weight_hh", 20, 5}, {"lstm.0.bias_ih", 20, 1},   {"lstm.0.bias_hh", 20, 1},
        {"lstm.1.weight_ih", 20, 5}, {"lstm.1.weight_hh", 20, 5}, {"lstm.1.bias_ih", 20, 1},
        {"lstm.1.bias_hh", 20, 1},   {"pi_head.weight", 2, 5},    {"pi_head.bias", 2, 1},
        {"vf.0.weight", 3, 5},       {"vf.0.bias", 3, 1},         {"vf_head.weight", 1, 3},
        {"vf_head.bias", 1, 1},      {"log_std", 2, 1},
    };
    check_table(p, shared, G_N_ELEMENTS(shared));
    ck_assert_uint_eq(p->S, 2 * 2 * 5);
    ck_assert_uint_eq(p->P, 4);
    pol_free(p);

    /* a memoryless critic on the encoder; multi-discrete logits (3 + 2) */
    p = pol_new("{encoder_hidden: [6], lstm_hidden: 4, critic: mlp, pi_hidden: [], "
                "vf_hidden: []}",
                3, HEAD_MULTI);
    static const seg_expect_t mlp[] = {
        {"enc.0.weight", 6, 3},      {"enc.0.bias", 6, 1},      {"lstm.0.weight_ih", 16, 6},
        {"lstm.0.weight_hh", 16, 4}, {"lstm.0.bias_ih", 16, 1}, {"lstm.0.bias_hh", 16, 1},
        {"pi_head.weight", 5, 4},    {"pi_head.bias", 5, 1},    {"vf_head.weight", 1, 6},
        {"vf_head.bias", 1, 1},
    };
    check_table(p, mlp, G_N_ELEMENTS(mlp));
    ck_assert_uint_eq(p->S, 2 * 4);
    ck_assert_uint_eq(p->P, 5);
    pol_free(p);
}
END_TEST

START_TEST(test_lstm_declared_init_follows_ortho_init_and_log_std_init)
{
    const char *net = "{encoder_hidden: [8], lstm_hidden: 5, lstm_layers: 2, pi_hidden: [6], "
                      "vf_hidden: [4], log_std_init: -0.5%s}";
    char *yaml = g_strdup_printf(net, "");
    pol_t *p = pol_new(yaml, 3, HEAD_GAUSS);
    for (uint32_t k = 0; k < p->n_segs; k++) {
        const ppo_segment_t *s = &p->segs[k];
        if (strcmp(s->name, "log_std") == 0) {
            ck_assert_int_eq(s->init, PPO_INIT_CONSTANT);
            ck_assert_double_eq(s->value, -0.5);
        } else if (strstr(s->name, ".bias") != NULL) {
            ck_assert_int_eq(s->init, PPO_INIT_CONSTANT);
            ck_assert_double_eq(s->value, 0.0);
        } else {
            ck_assert_int_eq(s->init, PPO_INIT_ORTHOGONAL);
            const double gain = strstr(s->name, "lstm.") != NULL       ? 1.0
                                : g_str_has_prefix(s->name, "pi_head") ? 0.01
                                : g_str_has_prefix(s->name, "vf_head") ? 1.0
                                                                       : sqrt(2.0);
            ck_assert_msg(fabs(s->gain - gain) < 1e-15, "%s: gain %g", s->name, s->gain);
        }
    }
    pol_free(p);
    g_free(yaml);

    /* ortho_init: false is PyTorch's default: uniform in +-1/sqrt(H) for every LSTM parameter,
     * +-1/sqrt(fan_in) for Linear layers */
    yaml = g_strdup_printf(net, ", ortho_init: false");
    p = pol_new(yaml, 3, HEAD_GAUSS);
    for (uint32_t k = 0; k < p->n_segs; k++) {
        const ppo_segment_t *s = &p->segs[k];
        if (strcmp(s->name, "log_std") == 0)
            continue;
        ck_assert_int_eq(s->init, PPO_INIT_UNIFORM);
        double bound;
        if (strstr(s->name, "lstm.") != NULL)
            bound = 1.0 / sqrt(5.0);
        else if (g_str_has_suffix(s->name, ".bias"))
            bound = 1.0 / sqrt(p->segs[k - 1].cols);
        else
            bound = 1.0 / sqrt(s->cols);
        ck_assert_msg(fabs(s->value - bound) < 1e-15, "%s: bound %g", s->name, s->value);
    }
    pol_free(p);
    g_free(yaml);
}
END_TEST

START_TEST(test_lstm_forward_flops_count_every_lstm_step_and_dense_layer)
{
    /* D 3 -> enc 8 -> LSTM 2 x 5 (actor, critic) -> pi 6 -> head 2; vf 4 -> 1 */
    pol_t *p = pol_new("{encoder_hidden: [8], lstm_hidden: 5, lstm_layers: 2, pi_hidden: [6], "
                       "vf_hidden: [4]}",
                       3, HEAD_GAUSS);
    ck_assert_ptr_nonnull(p->vt->forward_flops);
    const double dense = 2.0 * (3 * 8 + 5 * 6 + 6 * 2 + 5 * 4 + 4 * 1);
    const double lstm = 2 * (8.0 * 5 * (8 + 5) + 8.0 * 5 * (5 + 5));
    ck_assert_double_eq(p->vt->forward_flops(p->inst), dense + lstm);
    pol_free(p);

    /* a shared critic: one stack */
    p = pol_new("{lstm_hidden: 16, critic: shared, pi_hidden: [], vf_hidden: []}", 4, HEAD_CAT);
    ck_assert_double_eq(p->vt->forward_flops(p->inst),
                        8.0 * 16 * (4 + 16) + 2.0 * (16 * 3 + 16 * 1));
    pol_free(p);
}
END_TEST

START_TEST(test_lstm_refuses_spaces_and_sizes_it_cannot_handle)
{
    ppo_plugin_t *plugin = ppo_test_plugin("lstm");
    ppo_params_t *params = ppo_test_params(plugin, "");
    const double lo[2] = {-1, -1}, hi[2] = {1, 1};
    const ppo_space_t box = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_BOX, .dim = 2, .low = lo, .high = hi};
    const ppo_space_t disc = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 3, .dim = 1};
    const ppo_space_t dict = {.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DICT};
    const uint32_t bad_nvec[2] = {3, 1};
    const ppo_space_t multi1 = {.struct_size = sizeof(ppo_space_t),
                                .kind = PPO_SPACE_MULTI_DISCRETE,
                                .dim = 2,
                                .nvec = bad_nvec};
    const struct {
        const ppo_space_t *obs, *act;
        const char *words[2];
    } cases[] = {
        {&disc, &disc, {"observation space", "discrete"}},
        {&box, &dict, {"action space", "dict"}},
        {&box, &multi1, {"component 1", "at least 2"}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const ppo_policy_setup_t setup = {sizeof(setup), 1, cases[i].obs, cases[i].act};
        ck_assert_ptr_null(plugin->vt.policy.create(&plugin->host, params, &setup));
        char *msg = ppo_host_take_error();
        ck_assert_ptr_nonnull(msg);
        for (int w = 0; w < 2; w++)
            ck_assert_msg(strstr(msg, cases[i].words[w]) != NULL, "message: %s", msg);
        g_free(msg);
    }
    ppo_params_free(params);

    /* a state larger than the contract allows (2^20 floats per env) */
    params = ppo_test_params(plugin, "{lstm_hidden: 65536, lstm_layers: 8}");
    const ppo_policy_setup_t setup = {sizeof(setup), 1, &box, &disc};
    ck_assert_ptr_null(plugin->vt.policy.create(&plugin->host, params, &setup));
    char *msg = ppo_host_take_error();
    ck_assert_ptr_nonnull(strstr(msg, "2^20"));
    g_free(msg);
    ppo_params_free(params);

    /* act without a state */
    pol_t *p = pol_new("{lstm_hidden: 4}", 2, HEAD_CAT);
    void *ws = p->vt->ws_create(p->inst, 1);
    float obs[2] = {0}, a[1], lp[1], v[1], d[3];
    ck_assert_int_lt(p->rv->act(p->inst, ws, 1, obs, NULL, NULL, 1, NULL, a, lp, v, d), 0);
    msg = ppo_host_take_error();
    ck_assert_ptr_nonnull(strstr(msg, "state"));
    g_free(msg);
    p->vt->ws_destroy(p->inst, ws);
    pol_free(p);
}
END_TEST

/* ---- export_c ---- */

/* The plugin against the exported program's output (out_path): deterministic act on one row
 * of x (N, D) at a time, its state reset to zeros at every start; the actions equal (within 1e-4
 * for a Gaussian's means) and the states within 1e-4. */
static void compare_export(pol_t *p, const char *yaml, head_t head, uint32_t N, uint32_t D,
                           const float *x, const uint8_t *starts, const char *out_path)
{
    /* the plugin: deterministic act on one row, its state reset to zeros at every start */
    void *ws = p->vt->ws_create(p->inst, 1);
    float *state = g_new0(float, p->S), a[2], lp, v, d[8];
    char *text = NULL;
    ck_assert(g_file_get_contents(out_path, &text, NULL, NULL));
    char *cursor = text;
    double worst_action = 0.0, worst_state = 0.0;
    for (uint32_t t = 0; t < N; t++) {
        if (starts[t])
            memset(state, 0, sizeof(float) * p->S);
        ck_assert_int_eq(
            p->rv->act(p->inst, ws, 1, x + (size_t)t * D, NULL, NULL, 1, state, a, &lp, &v, d), 0);
        for (uint32_t k = 0; k < p->A; k++) {
            char *end = NULL;
            const double got = head == HEAD_GAUSS ? strtod(cursor, &end) : strtol(cursor, &end, 10);
            ck_assert_msg(end != cursor, "the exported program wrote too little (step %u)", t);
            cursor = end;
            if (head == HEAD_GAUSS)
                worst_action = fmax(worst_action, fabs(got - a[k]));
            else
                ck_assert_msg(got == a[k], "%s step %u: exported action %g, plugin %g", yaml, t,
                              got, (double)a[k]);
        }
        cursor = strchr(cursor, '|');
        ck_assert_ptr_nonnull(cursor);
        cursor++;
        for (uint32_t i = 0; i < p->S; i++) {
            char *end = NULL;
            const double got = strtod(cursor, &end);
            ck_assert(end != cursor);
            cursor = end;
            worst_state = fmax(worst_state, fabs(got - state[i]));
        }
    }
    printf("export_c (%s): %u steps, %s; max |state difference| %.3g\n", yaml, N,
           head == HEAD_GAUSS ? "actions within" : "every action identical", worst_state);
    if (head == HEAD_GAUSS)
        printf("    max |exported - plugin| action %.3g\n", worst_action);
    ck_assert_msg(worst_action <= 1e-4 && worst_state <= 1e-4,
                  "exported actions or states differ by %.3g, %.3g", worst_action, worst_state);

    g_free(text);
    g_free(state);
    p->vt->ws_destroy(p->inst, ws);
}

/* Export, compile the file inside tests/plugins/policy_export_driver.c, drive both through N steps
 * of episodes (starts every 20 to 60 steps), and compare the actions and the states. */
static void check_export(const char *yaml, head_t head, uint32_t D, int u8, uint64_t seed)
{
    enum { N = 400 };
    GRand *r = g_rand_new_with_seed((guint32)seed);
    pol_t *p = pol_try(yaml, D, head, u8);
    ck_assert_ptr_nonnull(p);
    pol_randomize(p, r);

    /* normalization with visible effect: shifted means, spread variances, clipping */
    double mean[16], var[16];
    for (uint32_t i = 0; i < D; i++) {
        mean[i] = u8 ? g_rand_double_range(r, 0.3, 0.7) : g_rand_double_range(r, -1, 1);
        var[i] = u8 ? g_rand_double_range(r, 0.02, 0.2) : g_rand_double_range(r, 0.05, 4);
    }
    const ppo_obs_norm_t norm = {sizeof(norm), 1, D, 0, mean, var, 1e-8, 2.5};

    char *dir = ppo_test_tmpdir();
    char *c_path = pt_export_write(p->vt, p->inst, p->theta, &norm, dir,
                                   "void ppo_policy_reset(float *state)");
    char *source = NULL;
    ck_assert(g_file_get_contents(c_path, &source, NULL, NULL));
    ck_assert(strstr(source, "#define PPO_POLICY_STATE_SIZE") != NULL);
    g_free(source);

    /* the stream: raw observations as an env writes them, and as the core hands them over */
    char *in_path = g_build_filename(dir, "obs.txt", NULL);
    float *x = g_new(float, (size_t)N *D);
    uint8_t *starts = g_new0(uint8_t, N);
    FILE *f = fopen(in_path, "w");
    for (uint32_t t = 0, next = 0; t < N; t++) {
        if (t == next) {
            starts[t] = 1;
            next += (uint32_t)g_rand_int_range(r, 20, 60);
        }
        fprintf(f, "%d", starts[t]);
        for (uint32_t i = 0; i < D; i++) {
            double raw;
            if (u8) {
                const unsigned b = (unsigned)g_rand_int_range(r, 0, 256);
                fprintf(f, " %u", b);
                raw = (double)(float)((b - p->low[i]) / (p->high[i] - p->low[i]));
            } else {
                raw = (float)g_rand_double_range(r, mean[i] - 4 * sqrt(var[i]),
                                                 mean[i] + 4 * sqrt(var[i]));
                fprintf(f, " %a", raw);
            }
            double v = (raw - mean[i]) * (1.0 / sqrt(var[i] + norm.epsilon));
            v = v < -norm.clip ? -norm.clip : v > norm.clip ? norm.clip : v;
            x[(size_t)t * D + i] = (float)v;
        }
        fprintf(f, "\n");
    }
    fclose(f);

    /* build the file alone and the driver around it with warnings as errors, and run it */
    char *out_path = g_build_filename(dir, "actions.txt", NULL);
    if (pt_export_run(dir, c_path, in_path, out_path))
        compare_export(p, yaml, head, N, D, x, starts, out_path);

    ppo_test_rm_tree(dir);
    g_free(x);
    g_free(starts);
    g_free(in_path);
    g_free(out_path);
    g_free(c_path);
    g_free(dir);
    pol_free(p);
    g_rand_free(r);
}

START_TEST(test_lstm_export_c_carries_the_state_and_picks_the_plugins_actions)
{
    check_export("{encoder_hidden: [16], lstm_hidden: 12, lstm_layers: 2}", HEAD_CAT, 4, 0, 41);
    check_export("{lstm_hidden: 8, critic: shared, activation: relu, pi_hidden: [8, 8]}",
                 HEAD_GAUSS, 3, 0, 42);
    check_export("{encoder_hidden: [10], lstm_hidden: 6, critic: mlp, pi_hidden: []}", HEAD_MULTI,
                 5, 0, 43);
    /* bytes, scaled by the file as the core scales them */
    check_export("{lstm_hidden: 9, pi_hidden: [7]}", HEAD_CAT, 6, 1, 44);
}
END_TEST

START_TEST(test_lstm_export_c_refuses_non_finite_parameters)
{
    pol_t *p = pol_new("{lstm_hidden: 4}", 3, HEAD_CAT);
    p->theta[0] = NAN; /* lstm.0.weight_ih */
    pt_check_export_refuses_nan(p->vt, p->inst, p->theta);
    pol_free(p);
}
END_TEST

static Suite *lstm_suite(void)
{
    Suite *s = suite_create("lstm");
    TCase *tc = tcase_create("lstm");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_lstm_backward_through_time_matches_finite_differences_categorical);
    tcase_add_test(tc, test_lstm_backward_through_time_matches_finite_differences_gaussian);
    tcase_add_test(tc, test_lstm_backward_through_time_matches_finite_differences_multi_discrete);
    tcase_add_test(tc, test_lstm_act_step_by_step_equals_evaluate_over_the_sequence);
    tcase_add_test(tc, test_lstm_deterministic_act_takes_the_mode_without_streams);
    tcase_add_test(tc, test_lstm_a_start_resets_the_state_whatever_came_before);
    tcase_add_test(tc, test_lstm_act_carries_the_state_and_value_leaves_it);
    tcase_add_test(tc, test_lstm_sequences_and_rows_do_not_depend_on_each_other);
    tcase_add_test(tc, test_lstm_two_workspaces_on_two_threads_match_sequential_calls);
    tcase_add_test(tc, test_lstm_backward_needs_an_evaluate_of_the_same_sequences);
    tcase_add_test(tc, test_lstm_segments_are_named_pytorch_style_in_order);
    tcase_add_test(tc, test_lstm_declared_init_follows_ortho_init_and_log_std_init);
    tcase_add_test(tc, test_lstm_forward_flops_count_every_lstm_step_and_dense_layer);
    tcase_add_test(tc, test_lstm_refuses_spaces_and_sizes_it_cannot_handle);
    tcase_add_test(tc, test_lstm_export_c_carries_the_state_and_picks_the_plugins_actions);
    tcase_add_test(tc, test_lstm_export_c_refuses_non_finite_parameters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(lstm_suite());
}
