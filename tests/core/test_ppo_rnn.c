/* Tests of core/ppo_rnn.c, the SDK's LSTM layer (include/ppofw/rnn.h): forward against a plain
 * double-precision LSTM written from PyTorch's equations, backward through time against central
 * finite differences of forward over whole sequences with episode starts inside them, resets,
 * the independence of sequences, chained single steps against one sequence, and the workspace
 * (its size, its bounds, backward leaving the record intact).
 *
 * Finite differences: forward is float32, so every input is moved by h = 2^-7 (the float step
 * actually taken is the denominator), the loss sum a . h_out + sum b . state_out with random
 * coefficients is summed in double, and each tensor's gradient must agree with the differences to
 * FD_TOL in relative L2 norm.
 *
 * Left out: speed (the products are nn.h's, measured there).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ppo_test.h"

#define FD_TOL 1e-3

/* One layer's shapes, inputs and parameters. */
typedef struct lstm_case {
    uint32_t n_seq, L, I, H;
    float *x;          /* (n_seq L, I) */
    float *W_ih;       /* (4H, I) */
    float *W_hh;       /* (4H, H) */
    float *b_ih;       /* (4H) or NULL */
    float *b_hh;       /* (4H) or NULL */
    float *state0;     /* (n_seq, 2H) or NULL */
    float *starts;     /* (n_seq L) or NULL */
    float *state_init; /* (2H) or NULL */
} lstm_case_t;

static float *random_floats(GRand *r, size_t n, double scale)
{
    float *v = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)g_rand_double_range(r, -scale, scale);
    return v;
}

/* A case with weights in +-1.2/sqrt(H), biases in +-0.5, inputs in +-1.5, states in +-0.8; each
 * optional array present when its flag is set. Starts: `start_at` (n_seq) gives, per sequence, a
 * step whose flag is 1 (or -1 for none). */
static lstm_case_t case_new(GRand *r, uint32_t n_seq, uint32_t L, uint32_t I, uint32_t H,
                            int biases, int state0, const int *start_at, int state_init)
{
    lstm_case_t c = {.n_seq = n_seq, .L = L, .I = I, .H = H};
    c.x = random_floats(r, (size_t)n_seq * L * I, 1.5);
    c.W_ih = random_floats(r, (size_t)4 * H * I, 1.2 / sqrt(H));
    c.W_hh = random_floats(r, (size_t)4 * H * H, 1.2 / sqrt(H));
    if (biases) {
        c.b_ih = random_floats(r, (size_t)4 * H, 0.5);
        c.b_hh = random_floats(r, (size_t)4 * H, 0.5);
    }
    if (state0)
        c.state0 = random_floats(r, (size_t)n_seq * 2 * H, 0.8);
    if (start_at != NULL) {
        c.starts = g_new0(float, (size_t)n_seq *L);
        for (uint32_t s = 0; s < n_seq; s++)
            if (start_at[s] >= 0)
                c.starts[(size_t)s * L + (uint32_t)start_at[s]] = 1.0f;
    }
    if (state_init)
        c.state_init = random_floats(r, (size_t)2 * H, 0.8);
    return c;
}

static void case_free(lstm_case_t *c)
{
    g_free(c->x);
    g_free(c->W_ih);
    g_free(c->W_hh);
    g_free(c->b_ih);
    g_free(c->b_hh);
    g_free(c->state0);
    g_free(c->starts);
    g_free(c->state_init);
}

static float *ws_new(const lstm_case_t *c)
{
    const size_t n = ppo_lstm_ws_floats(c->n_seq, c->L, c->I, c->H);
    ck_assert_uint_gt(n, 0);
    return g_new0(float, n);
}

static void run_forward(const lstm_case_t *c, float *h_out, float *state_out, float *ws)
{
    ppo_lstm_forward(c->n_seq, c->L, c->I, c->H, c->x, c->W_ih, c->W_hh, c->b_ih, c->b_hh,
                     c->state0, c->starts, c->state_init, h_out, state_out, ws);
}

/* ---- the double reference ---- */

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/* PyTorch's LSTM equations in double, one sequence after another, one step after another. */
static void reference_forward(const lstm_case_t *c, double *h_out, double *state_out)
{
    const uint32_t H = c->H, I = c->I;
    double *h = g_new(double, H), *cs = g_new(double, H), *z = g_new(double, 4 * (size_t)H);
    for (uint32_t s = 0; s < c->n_seq; s++) {
        for (uint32_t j = 0; j < H; j++) {
            h[j] = c->state0 != NULL ? c->state0[(size_t)s * 2 * H + j] : 0.0;
            cs[j] = c->state0 != NULL ? c->state0[(size_t)s * 2 * H + H + j] : 0.0;
        }
        for (uint32_t t = 0; t < c->L; t++) {
            const size_t row = (size_t)s * c->L + t;
            if (c->starts != NULL && c->starts[row] != 0.0f)
                for (uint32_t j = 0; j < H; j++) {
                    h[j] = c->state_init != NULL ? c->state_init[j] : 0.0;
                    cs[j] = c->state_init != NULL ? c->state_init[H + j] : 0.0;
                }
            for (uint32_t k = 0; k < 4 * H; k++) {
                double a =
                    (c->b_ih != NULL ? c->b_ih[k] : 0.0) + (c->b_hh != NULL ? c->b_hh[k] : 0.0);
                for (uint32_t i = 0; i < I; i++)
                    a += (double)c->W_ih[(size_t)k * I + i] * c->x[row * I + i];
                for (uint32_t i = 0; i < H; i++)
                    a += (double)c->W_hh[(size_t)k * H + i] * h[i];
                z[k] = a;
            }
            for (uint32_t j = 0; j < H; j++) {
                const double ig = sigmoid(z[j]), fg = sigmoid(z[H + j]);
                const double gg = tanh(z[2 * H + j]), og = sigmoid(z[3 * H + j]);
                cs[j] = fg * cs[j] + ig * gg;
                h[j] = og * tanh(cs[j]);
                h_out[row * H + j] = h[j];
            }
        }
        for (uint32_t j = 0; j < H; j++) {
            state_out[(size_t)s * 2 * H + j] = h[j];
            state_out[(size_t)s * 2 * H + H + j] = cs[j];
        }
    }
    g_free(h);
    g_free(cs);
    g_free(z);
}

static void check_against_reference(GRand *r, uint32_t n_seq, uint32_t L, uint32_t I, uint32_t H,
                                    int biases, int state0, const int *start_at, int state_init)
{
    lstm_case_t c = case_new(r, n_seq, L, I, H, biases, state0, start_at, state_init);
    const size_t R = (size_t)n_seq * L;
    float *h = g_new(float, R *H), *st = g_new(float, (size_t)n_seq * 2 * H);
    double *h_ref = g_new(double, R *H), *st_ref = g_new(double, (size_t)n_seq * 2 * H);
    float *ws = ws_new(&c);
    run_forward(&c, h, st, ws);
    reference_forward(&c, h_ref, st_ref);
    /* the float LSTM rounds the products and ppo_tanh is within about 2e-7: the error stays far
     * below 1e-6 over these lengths, relative to the state's size */
    double worst = 0.0;
    for (size_t i = 0; i < R * H; i++)
        worst = fmax(worst, fabs(h[i] - h_ref[i]));
    for (size_t i = 0; i < (size_t)n_seq * 2 * H; i++)
        worst = fmax(worst, fabs(st[i] - st_ref[i]) / fmax(1.0, fabs(st_ref[i])));
    printf(
        "forward n_seq=%u L=%u I=%u H=%u biases=%d state0=%d starts=%d init=%d: max error %.2e\n",
        n_seq, L, I, H, biases, state0, start_at != NULL, state_init, worst);
    ck_assert_msg(worst < 1e-6,
                  "forward n_seq=%u L=%u I=%u H=%u differs from the reference by %.3g", n_seq, L, I,
                  H, worst);
    g_free(h);
    g_free(st);
    g_free(h_ref);
    g_free(st_ref);
    g_free(ws);
    case_free(&c);
}

START_TEST(test_lstm_forward_matches_a_double_reference)
{
    GRand *r = g_rand_new_with_seed(11);
    static const int starts3[] = {3, -1, 0};
    static const int starts2[] = {5, 1};
    static const int starts4[] = {0, -1, 0, -1};
    check_against_reference(r, 3, 7, 5, 6, 1, 1, starts3, 0);
    check_against_reference(r, 3, 7, 5, 6, 1, 1, starts3, 1);
    check_against_reference(r, 3, 7, 5, 6, 0, 0, NULL, 0);
    check_against_reference(r, 1, 1, 3, 2, 1, 0, NULL, 0);
    check_against_reference(r, 4, 1, 17, 9, 1, 1, starts4, 1);
    check_against_reference(r, 1, 12, 4, 16, 1, 1, starts2, 0);
    check_against_reference(r, 2, 9, 1, 33, 1, 1, starts2, 1);
    /* enough rows for nn.h's panel kernels (16+) and sgemm (1024+) */
    check_against_reference(r, 20, 3, 8, 64, 1, 1, NULL, 0);
    check_against_reference(r, 40, 30, 6, 20, 1, 1, NULL, 0);
    g_rand_free(r);
}
END_TEST

/* ---- backward against finite differences ---- */

/* The loss sum a . h_out + sum b . state_out, summed in double. */
static double fd_loss(const lstm_case_t *c, const float *a, const float *b, float *h, float *st,
                      float *ws)
{
    run_forward(c, h, st, ws);
    const size_t nh = (size_t)c->n_seq * c->L * c->H, ns = (size_t)c->n_seq * 2 * c->H;
    double L = 0.0;
    for (size_t i = 0; i < nh; i++)
        L += (double)a[i] * h[i];
    for (size_t i = 0; i < ns; i++)
        L += (double)b[i] * st[i];
    return L;
}

/* The relative L2 error of grad against central differences of the loss in v (n), each element
 * moved by h. */
static double fd_tensor(const lstm_case_t *c, const float *a, const float *b, float *v, size_t n,
                        const float *grad, float *hb, float *sb, float *ws)
{
    double diff2 = 0.0, an2 = 0.0, fd2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float x = v[i];
        v[i] = x + 0x1p-7f;
        const double up_step = (double)v[i] - x;
        const double up = fd_loss(c, a, b, hb, sb, ws);
        v[i] = x - 0x1p-7f;
        const double dn_step = (double)x - v[i];
        const double dn = fd_loss(c, a, b, hb, sb, ws);
        v[i] = x;
        const double fd = (up - dn) / (up_step + dn_step);
        diff2 += (fd - grad[i]) * (fd - grad[i]);
        an2 += (double)grad[i] * grad[i];
        fd2 += fd * fd;
    }
    ck_assert_msg(an2 > 0.0 || fd2 == 0.0, "a gradient is zero where the differences are not");
    return sqrt(diff2) / fmax(sqrt(fmax(an2, fd2)), 1e-6);
}

static void check_gradients(GRand *r, uint32_t n_seq, uint32_t L, uint32_t I, uint32_t H,
                            const int *start_at, int state_init)
{
    lstm_case_t c = case_new(r, n_seq, L, I, H, 1, 1, start_at, state_init);
    const uint32_t H4 = 4 * H;
    const size_t R = (size_t)n_seq * L, ns = (size_t)n_seq * 2 * H;
    float *a = random_floats(r, R * H, 1.0), *b = random_floats(r, ns, 1.0);
    float *hb = g_new(float, R *H), *sb = g_new(float, ns), *ws = ws_new(&c);

    /* analytic: forward, then backward with dh_out = a and dstate_out = b */
    float *dx = g_new(float, R *I), *ds0 = g_new(float, ns), *dinit = g_new0(float, 2 * H);
    float *dWih = g_new0(float, (size_t)H4 *I), *dWhh = g_new0(float, (size_t)H4 *H);
    float *dbih = g_new0(float, H4), *dbhh = g_new0(float, H4);
    run_forward(&c, hb, sb, ws);
    ppo_lstm_backward(n_seq, L, I, H, c.x, c.W_ih, c.W_hh, a, b, dx, ds0,
                      c.state_init != NULL ? dinit : NULL, dWih, dWhh, dbih, dbhh, ws);

    struct {
        const char *name;
        float *v;
        size_t n;
        const float *grad;
    } tensors[] = {
        {"W_ih", c.W_ih, (size_t)H4 * I, dWih},
        {"W_hh", c.W_hh, (size_t)H4 * H, dWhh},
        {"b_ih", c.b_ih, H4, dbih},
        {"b_hh", c.b_hh, H4, dbhh},
        {"x", c.x, R * I, dx},
        {"state0", c.state0, ns, ds0},
        {"state_init", c.state_init, 2 * H, dinit},
    };
    double worst = 0.0;
    for (size_t k = 0; k < G_N_ELEMENTS(tensors); k++) {
        if (tensors[k].v == NULL)
            continue;
        const double rel =
            fd_tensor(&c, a, b, tensors[k].v, tensors[k].n, tensors[k].grad, hb, sb, ws);
        ck_assert_msg(rel < FD_TOL, "n_seq=%u L=%u I=%u H=%u: d %s off by %.3g", n_seq, L, I, H,
                      tensors[k].name, rel);
        worst = fmax(worst, rel);
    }
    printf("backward n_seq=%u L=%u I=%u H=%u init=%d: max tensor rel error %.2e\n", n_seq, L, I, H,
           state_init, worst);

    /* a sequence whose first step is a start takes nothing from state0 */
    for (uint32_t s = 0; s < n_seq; s++)
        if (start_at != NULL && start_at[s] == 0)
            for (uint32_t j = 0; j < 2 * H; j++)
                ck_assert_float_eq(ds0[(size_t)s * 2 * H + j], 0.0f);

    g_free(a);
    g_free(b);
    g_free(hb);
    g_free(sb);
    g_free(ws);
    g_free(dx);
    g_free(ds0);
    g_free(dinit);
    g_free(dWih);
    g_free(dWhh);
    g_free(dbih);
    g_free(dbhh);
    case_free(&c);
}

START_TEST(test_lstm_backward_matches_finite_differences_across_an_episode_start)
{
    GRand *r = g_rand_new_with_seed(12);
    static const int starts3[] = {3, -1, 0};
    static const int starts1[] = {4};
    static const int starts2[] = {2, 5};
    check_gradients(r, 3, 6, 4, 5, starts3, 0);
    check_gradients(r, 3, 6, 4, 5, starts3, 1);
    check_gradients(r, 1, 9, 3, 4, starts1, 1);
    check_gradients(r, 2, 7, 2, 3, starts2, 0);
    check_gradients(r, 5, 1, 3, 4, NULL, 0);
    g_rand_free(r);
}
END_TEST

/* ---- resets, independence, chaining ---- */

START_TEST(test_lstm_start_resets_the_state_as_a_fresh_sequence_would_begin)
{
    /* one sequence of 9 steps with a start at step 4 equals, from step 4 on, a sequence of 5
     * steps from the reset state; below 16 rows nn.h's products do not depend on the row count,
     * so bit for bit */
    GRand *r = g_rand_new_with_seed(13);
    for (int with_init = 0; with_init < 2; with_init++) {
        static const int start[] = {4};
        lstm_case_t c = case_new(r, 1, 9, 3, 7, 1, 1, start, with_init);
        lstm_case_t tail = c;
        tail.L = 5;
        tail.x = c.x + 4 * 3;
        tail.starts = NULL;
        tail.state0 = c.state_init; /* NULL: zeros */
        float h[9 * 7], st[14], ht[5 * 7], stt[14];
        float *ws = ws_new(&c), *wst = ws_new(&tail);
        run_forward(&c, h, st, ws);
        run_forward(&tail, ht, stt, wst);
        ck_assert(memcmp(h + 4 * 7, ht, sizeof(ht)) == 0);
        ck_assert(memcmp(st, stt, sizeof(st)) == 0);
        g_free(ws);
        g_free(wst);
        case_free(&c);
    }
    g_rand_free(r);
}
END_TEST

START_TEST(test_lstm_a_sequence_does_not_depend_on_the_other_sequences)
{
    GRand *r = g_rand_new_with_seed(14);
    static const int start_a[] = {2, 1, -1, 3};
    static const int start_b[] = {2, -1, 0, 5};
    lstm_case_t c = case_new(r, 4, 6, 5, 8, 1, 1, start_a, 0);
    lstm_case_t d = case_new(r, 4, 6, 5, 8, 1, 1, start_b, 0);
    /* the same weights and sequence 0; other sequences' inputs, states and starts differ */
    memcpy(d.W_ih, c.W_ih, sizeof(float) * 32 * 5);
    memcpy(d.W_hh, c.W_hh, sizeof(float) * 32 * 8);
    memcpy(d.b_ih, c.b_ih, sizeof(float) * 32);
    memcpy(d.b_hh, c.b_hh, sizeof(float) * 32);
    memcpy(d.x, c.x, sizeof(float) * 6 * 5);
    memcpy(d.state0, c.state0, sizeof(float) * 16);
    const size_t R = 24;
    float hc[24 * 8], hd[24 * 8], sc[4 * 16], sd[4 * 16];
    float dxc[24 * 5], dxd[24 * 5], d0c[4 * 16], d0d[4 * 16];
    float *dh = random_floats(r, R * 8, 1.0);
    float *wc = ws_new(&c), *wd = ws_new(&d);
    run_forward(&c, hc, sc, wc);
    run_forward(&d, hd, sd, wd);
    ppo_lstm_backward(4, 6, 5, 8, c.x, c.W_ih, c.W_hh, dh, NULL, dxc, d0c, NULL, NULL, NULL, NULL,
                      NULL, wc);
    ppo_lstm_backward(4, 6, 5, 8, d.x, d.W_ih, d.W_hh, dh, NULL, dxd, d0d, NULL, NULL, NULL, NULL,
                      NULL, wd);
    ck_assert(memcmp(hc, hd, sizeof(float) * 6 * 8) == 0);
    ck_assert(memcmp(sc, sd, sizeof(float) * 16) == 0);
    ck_assert(memcmp(dxc, dxd, sizeof(float) * 6 * 5) == 0);
    ck_assert(memcmp(d0c, d0d, sizeof(float) * 16) == 0);
    /* and they did differ elsewhere */
    ck_assert(memcmp(hc + 6 * 8, hd + 6 * 8, sizeof(float) * 18 * 8) != 0);

    /* the same call repeats exactly, gradients included */
    float h2[24 * 8], s2[4 * 16], dx2[24 * 5], d02[4 * 16];
    float *g1 = g_new0(float, 32 * 13), *g2 = g_new0(float, 32 * 13);
    ppo_lstm_backward(4, 6, 5, 8, c.x, c.W_ih, c.W_hh, dh, NULL, NULL, NULL, NULL, g1, g1 + 32 * 5,
                      NULL, NULL, wc);
    run_forward(&c, h2, s2, wc);
    ppo_lstm_backward(4, 6, 5, 8, c.x, c.W_ih, c.W_hh, dh, NULL, dx2, d02, NULL, g2, g2 + 32 * 5,
                      NULL, NULL, wc);
    ck_assert(memcmp(hc, h2, sizeof(hc)) == 0);
    ck_assert(memcmp(sc, s2, sizeof(sc)) == 0);
    ck_assert(memcmp(dxc, dx2, sizeof(dxc)) == 0);
    ck_assert(memcmp(d0c, d02, sizeof(d0c)) == 0);
    ck_assert(memcmp(g1, g2, sizeof(float) * 32 * 13) == 0);
    g_free(g1);
    g_free(g2);
    g_free(dh);
    g_free(wc);
    g_free(wd);
    case_free(&c);
    case_free(&d);
    g_rand_free(r);
}
END_TEST

START_TEST(test_lstm_single_steps_chained_equal_one_sequence)
{
    /* what a policy's act does step by step (the state carried between calls, reset by the
     * caller at starts) is what its evaluate does over the sequence */
    GRand *r = g_rand_new_with_seed(15);
    static const int start[] = {3, -1, 5};
    lstm_case_t c = case_new(r, 3, 8, 4, 6, 1, 1, start, 1);
    float h[24 * 6], st[3 * 12];
    float *ws = ws_new(&c);
    run_forward(&c, h, st, ws);

    lstm_case_t one = {3, 1, 4, 6, NULL, c.W_ih, c.W_hh, c.b_ih, c.b_hh, NULL, NULL, NULL};
    float state[3 * 12], x[3 * 4], hs[3 * 6];
    float *ws1 = ws_new(&one);
    memcpy(state, c.state0, sizeof(state));
    double worst = 0.0;
    for (uint32_t t = 0; t < 8; t++) {
        for (uint32_t s = 0; s < 3; s++) {
            memcpy(x + s * 4, c.x + (s * 8 + t) * 4, sizeof(float) * 4);
            if (c.starts[s * 8 + t] != 0.0f)
                memcpy(state + s * 12, c.state_init, sizeof(float) * 12);
        }
        one.x = x;
        one.state0 = state;
        run_forward(&one, hs, state, ws1); /* state_out in place */
        for (uint32_t s = 0; s < 3; s++)
            for (uint32_t j = 0; j < 6; j++)
                worst = fmax(worst, fabs(hs[s * 6 + j] - h[(s * 8 + t) * 6 + j]));
    }
    for (uint32_t i = 0; i < 36; i++)
        worst = fmax(worst, fabs(state[i] - st[i]));
    ck_assert_msg(worst <= 1e-6, "chained steps differ from the sequence by %.3g", worst);
    g_free(ws);
    g_free(ws1);
    case_free(&c);
    g_rand_free(r);
}
END_TEST

/* ---- the workspace ---- */

START_TEST(test_lstm_workspace_size_covers_every_smaller_call)
{
    for (uint32_t R = 1; R <= 40; R++)
        for (uint32_t n_seq = 1; n_seq <= R; n_seq++)
            for (uint32_t L = 1; n_seq * L <= R; L++)
                ck_assert_uint_le(ppo_lstm_ws_floats(n_seq, L, 7, 13),
                                  ppo_lstm_ws_floats(R, 1, 7, 13));
    /* shapes the layer cannot run */
    ck_assert_uint_eq(ppo_lstm_ws_floats(UINT32_MAX, 2, 1, 1), 0);
    ck_assert_uint_eq(ppo_lstm_ws_floats(1, 1, 1, 1u << 30), 0);
    ck_assert_uint_eq(ppo_lstm_ws_floats(65536, 65536, 4, 64), 0);
    ck_assert_uint_gt(ppo_lstm_ws_floats(1, 1, 1, 1), 0);
}
END_TEST

START_TEST(test_lstm_stays_inside_its_workspace_and_backward_keeps_the_record)
{
    GRand *r = g_rand_new_with_seed(16);
    static const int start[] = {1, -1, 2};
    lstm_case_t c = case_new(r, 3, 5, 4, 6, 1, 1, start, 1);
    const size_t n = ppo_lstm_ws_floats(3, 5, 4, 6);
    float *ws = g_new(float, n + 64);
    for (size_t i = 0; i < n + 64; i++)
        ws[i] = -7.25f;
    float h[15 * 6], st[36], dx[15 * 4], dx2[15 * 4];
    float *dh = random_floats(r, 15 * 6, 1.0), *ds = random_floats(r, 36, 1.0);
    float *g = g_new0(float, 24 * 11 + 48 + 12), *g2 = g_new0(float, 24 * 11 + 48 + 12);
    run_forward(&c, h, st, ws);
    float *dWih = g, *dWhh = g + 24 * 4, *dbih = dWhh + 24 * 6, *dbhh = dbih + 24,
          *dinit = dbhh + 24;
    ppo_lstm_backward(3, 5, 4, 6, c.x, c.W_ih, c.W_hh, dh, ds, dx, NULL, dinit, dWih, dWhh, dbih,
                      dbhh, ws);
    for (size_t i = n; i < n + 64; i++)
        ck_assert_msg(ws[i] == -7.25f, "the workspace was overrun at %zu of %zu", i, n);

    /* a second backward on the same record: dx again, and the additions doubled */
    memcpy(g2, g, sizeof(float) * (24 * 11 + 48 + 12));
    ppo_lstm_backward(3, 5, 4, 6, c.x, c.W_ih, c.W_hh, dh, ds, dx2, NULL, dinit, dWih, dWhh, dbih,
                      dbhh, ws);
    ck_assert(memcmp(dx, dx2, sizeof(dx)) == 0);
    for (size_t i = 0; i < 24 * 11 + 48 + 12; i++)
        ck_assert_msg(g[i] == 2 * g2[i], "backward did not add at %zu: %g after %g", i,
                      (double)g[i], (double)g2[i]);
    /* b_hh's gradient is b_ih's */
    ck_assert(memcmp(dbih, dbhh, sizeof(float) * 24) == 0);

    /* state_out may be state0 */
    float st_in_place[36];
    memcpy(st_in_place, c.state0, sizeof(st_in_place));
    ppo_lstm_forward(3, 5, 4, 6, c.x, c.W_ih, c.W_hh, c.b_ih, c.b_hh, st_in_place, c.starts,
                     c.state_init, h, st_in_place, ws);
    ck_assert(memcmp(st_in_place, st, sizeof(st)) == 0);

    g_free(dh);
    g_free(ds);
    g_free(g);
    g_free(g2);
    g_free(ws);
    case_free(&c);
    g_rand_free(r);
}
END_TEST

static Suite *rnn_suite(void)
{
    Suite *s = suite_create("rnn");
    TCase *tc = tcase_create("lstm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_lstm_forward_matches_a_double_reference);
    tcase_add_test(tc, test_lstm_backward_matches_finite_differences_across_an_episode_start);
    tcase_add_test(tc, test_lstm_start_resets_the_state_as_a_fresh_sequence_would_begin);
    tcase_add_test(tc, test_lstm_a_sequence_does_not_depend_on_the_other_sequences);
    tcase_add_test(tc, test_lstm_single_steps_chained_equal_one_sequence);
    tcase_add_test(tc, test_lstm_workspace_size_covers_every_smaller_call);
    tcase_add_test(tc, test_lstm_stays_inside_its_workspace_and_backward_keeps_the_record);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(rnn_suite());
}
