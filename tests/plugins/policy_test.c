/* policy_test — the helpers of tests/plugins/policy_test.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

float *pt_rand_floats(GRand *r, size_t n, double lo, double hi)
{
    float *v = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)g_rand_double_range(r, lo, hi);
    return v;
}

size_t pt_seg_offset(const ppo_segment_t *segs, uint32_t k)
{
    size_t off = 0;
    for (uint32_t j = 0; j < k; j++)
        off += (size_t)segs[j].rows * segs[j].cols;
    return off;
}

double pt_central_difference(float *theta, size_t i, float h, double (*loss)(const void *ctx),
                             const void *ctx)
{
    const float v = theta[i];
    theta[i] = v + h;
    const double up_step = (double)theta[i] - v;
    const double up = loss(ctx);
    theta[i] = v - h;
    const double dn_step = (double)v - theta[i];
    const double dn = loss(ctx);
    theta[i] = v;
    return (up - dn) / (up_step + dn_step);
}

/* the floats of segment k of a parameter array */
static float *seg(const pt_policy_t *p, float *params, uint32_t k)
{
    return params + pt_seg_offset(p->segs, k);
}

static size_t seg_size(const pt_policy_t *p, uint32_t k)
{
    return (size_t)p->segs[k].rows * p->segs[k].cols;
}

void pt_check_parts(const pt_policy_t *p, int shared, uint32_t B, const float *obs,
                    const float *actions, const float *old, float *const d[4], const char *label)
{
    const ppo_policy_vtable_t *vt = p->vt;
    int *part = g_new(int, p->n_segs);
    for (uint32_t k = 0; k < p->n_segs; k++) {
        part[k] = vt->segment_part(p->inst, k);
        /* a shared trunk is one part; separate networks put vf* in part 1, the rest in 0 */
        const int want = shared ? -1 : g_str_has_prefix(p->segs[k].name, "vf") ? 1 : 0;
        ck_assert_msg(part[k] == want, "%s: segment %s is in part %d", label, p->segs[k].name,
                      part[k]);
    }
    void *ws = vt->ws_create(p->inst, B), *ws0 = vt->ws_create(p->inst, B),
         *ws1 = vt->ws_create(p->inst, B);
    float *out = g_new(float, 8 * (size_t)B);
    float *lp = out, *h = out + B, *kl = out + 2 * B, *v = out + 3 * B;
    float *lp0 = out + 4 * B, *h0 = out + 5 * B, *kl0 = out + 6 * B, *v1 = out + 7 * B;
    ck_assert_int_eq(vt->evaluate(p->inst, ws, B, obs, actions, old, lp, h, kl, v), 0);
    float *whole = g_new0(float, p->n_params), *split = g_new0(float, p->n_params);
    ck_assert_int_eq(vt->backward(p->inst, ws, B, d[0], d[1], d[2], d[3], whole), 0);
    if (shared) {
        ck_assert_int_lt(
            vt->evaluate_part(p->inst, ws0, 0, B, obs, actions, old, lp0, h0, kl0, NULL), 0);
        g_free(ppo_host_take_error());
    } else {
        /* part 1 first, on its own workspace, then part 0: neither disturbs the other */
        const float sentinel = 777.0f;
        for (size_t i = 0; i < p->n_params; i++)
            split[i] = sentinel;
        for (uint32_t k = 0; k < p->n_segs; k++)
            if (part[k] == 1)
                memset(seg(p, split, k), 0, sizeof(float) * seg_size(p, k));
        ck_assert_int_eq(
            vt->evaluate_part(p->inst, ws1, 1, B, obs, NULL, NULL, NULL, NULL, NULL, v1), 0);
        ck_assert_int_eq(
            vt->evaluate_part(p->inst, ws0, 0, B, obs, actions, old, lp0, h0, kl0, NULL), 0);
        ck_assert(memcmp(v1, v, sizeof(float) * B) == 0);
        ck_assert(memcmp(lp0, lp, sizeof(float) * B) == 0);
        ck_assert(memcmp(h0, h, sizeof(float) * B) == 0);
        ck_assert(memcmp(kl0, kl, sizeof(float) * B) == 0);
        /* part 1's backward touches only part 1's segments (the sentinel survives) */
        ck_assert_int_eq(vt->backward_part(p->inst, ws1, 1, B, NULL, NULL, NULL, d[3], split), 0);
        for (uint32_t k = 0; k < p->n_segs; k++)
            for (size_t i = 0; part[k] == 0 && i < seg_size(p, k); i++)
                ck_assert_msg(seg(p, split, k)[i] == sentinel, "%s: part 1 wrote segment %s", label,
                              p->segs[k].name);
        for (uint32_t k = 0; k < p->n_segs; k++)
            if (part[k] == 0)
                memset(seg(p, split, k), 0, sizeof(float) * seg_size(p, k));
        ck_assert_int_eq(vt->backward_part(p->inst, ws0, 0, B, d[0], d[1], d[2], NULL, split), 0);
        /* together they are backward's gradient, bit for bit */
        ck_assert(memcmp(split, whole, sizeof(float) * p->n_params) == 0);
        /* a part's backward needs that part's evaluate on the workspace */
        ck_assert_int_lt(vt->backward_part(p->inst, ws1, 0, B, d[0], d[1], d[2], NULL, split), 0);
        g_free(ppo_host_take_error());
    }
    g_free(whole);
    g_free(split);
    g_free(out);
    g_free(part);
    vt->ws_destroy(p->inst, ws);
    vt->ws_destroy(p->inst, ws0);
    vt->ws_destroy(p->inst, ws1);
}

void pt_check_act_value_evaluate(const pt_policy_t *p, uint32_t B, const float *obs, int parts,
                                 const char *label)
{
    const ppo_policy_vtable_t *vt = p->vt;
    void *ws = vt->ws_create(p->inst, B);
    ck_assert_ptr_nonnull(ws);
    uint32_t *env_index = g_new(uint32_t, B);
    ppo_rng_t *streams = g_new(ppo_rng_t, B);
    ppo_rng_t **rngs = g_new(ppo_rng_t *, B);
    for (uint32_t b = 0; b < B; b++) {
        env_index[b] = b;
        ppo_rng_seed(&streams[b], 5, "act", b);
        rngs[b] = &streams[b];
    }
    float *act = g_new(float, (size_t)B * p->A), *d_act = g_new(float, (size_t)B * p->P);
    float *act2 = g_new(float, (size_t)B * p->A), *f = g_new(float, 8 * (size_t)B);
    float *lp_act = f, *v_act = f + B, *v = f + 2 * B, *lp = f + 3 * B, *h = f + 4 * B,
          *kl = f + 5 * B, *ve = f + 6 * B, *lp2 = f + 7 * B;
    for (int step = 0; step < 3; step++) {
        ck_assert_int_eq(
            vt->act(p->inst, ws, B, obs, env_index, rngs, 0, act, lp_act, v_act, d_act), 0);
        /* value() is act's value */
        ck_assert_int_eq(vt->value(p->inst, ws, B, obs, v), 0);
        ck_assert_msg(memcmp(v, v_act, sizeof(float) * B) == 0, "%s: value differs", label);
        /* evaluate's logp of act's own sample is act's logp; KL to its own dist is 0 */
        ck_assert_int_eq(vt->evaluate(p->inst, ws, B, obs, act, d_act, lp, h, kl, ve), 0);
        ck_assert_msg(memcmp(lp, lp_act, sizeof(float) * B) == 0, "%s: logp differs", label);
        ck_assert_msg(memcmp(ve, v_act, sizeof(float) * B) == 0, "%s: values differ", label);
        for (uint32_t b = 0; b < B; b++)
            ck_assert_float_eq_tol(kl[b], 0.0f, 1e-6f);
    }
    /* deterministic: no streams needed; the mean, or each component's first largest logit */
    ck_assert_int_eq(vt->act(p->inst, ws, B, obs, NULL, NULL, 1, act, lp_act, v_act, d_act), 0);
    const ppo_space_t *as = p->act_space;
    for (uint32_t b = 0; b < B; b++) {
        const float *row = d_act + (size_t)b * p->P;
        if (as->kind == PPO_SPACE_BOX) {
            for (uint32_t k = 0; k < p->A; k++)
                ck_assert(act[b * p->A + k] == row[k]);
            continue;
        }
        uint32_t at = 0;
        for (uint32_t k = 0; k < p->A; k++) {
            const uint32_t n = as->kind == PPO_SPACE_MULTI_DISCRETE ? as->nvec[k] : p->P;
            uint32_t best = 0;
            for (uint32_t j = 1; j < n; j++)
                best = row[at + j] > row[at + best] ? j : best;
            ck_assert_float_eq(act[b * p->A + k], (float)best);
            at += n;
        }
    }
    /* with parts, act may skip the value function and samples the same */
    if (parts) {
        for (uint32_t b = 0; b < B; b++)
            ppo_rng_seed(&streams[b], 5, "act", b);
        ck_assert_int_eq(
            vt->act(p->inst, ws, B, obs, env_index, rngs, 0, act, lp_act, v_act, d_act), 0);
        for (uint32_t b = 0; b < B; b++)
            ppo_rng_seed(&streams[b], 5, "act", b);
        ck_assert_int_eq(vt->act(p->inst, ws, B, obs, env_index, rngs, 0, act2, lp2, NULL, NULL),
                         0);
        ck_assert(memcmp(act, act2, sizeof(float) * B * p->A) == 0);
        ck_assert(memcmp(lp_act, lp2, sizeof(float) * B) == 0);
    }
    g_free(env_index);
    g_free(streams);
    g_free(rngs);
    g_free(act);
    g_free(act2);
    g_free(d_act);
    g_free(f);
    vt->ws_destroy(p->inst, ws);
}

/* One thread's calls of pt_check_two_threads. */
typedef struct pt_thread_job {
    const pt_policy_t *p;
    void *ws;
    int iterations;
    uint32_t B;
    const float *obs, *actions, *old, *coef;
    float *out;  /* (4, B) logp, entropy, kl, value */
    float *grad; /* (n_params) */
    int rc;
} pt_thread_job_t;

static gpointer thread_run(gpointer data)
{
    pt_thread_job_t *j = data;
    const pt_policy_t *p = j->p;
    for (int it = 0; it < j->iterations && j->rc == 0; it++) {
        memset(j->grad, 0, sizeof(float) * p->n_params);
        j->rc |= p->vt->evaluate(p->inst, j->ws, j->B, j->obs, j->actions, j->old, j->out,
                                 j->out + j->B, j->out + 2 * j->B, j->out + 3 * j->B);
        j->rc |= p->vt->backward(p->inst, j->ws, j->B, j->coef, j->coef, j->coef, j->coef, j->grad);
    }
    return NULL;
}

void pt_check_two_threads(const pt_policy_t *p, int iterations, const uint32_t Bs[2],
                          float *const obs[2], float *const actions[2], float *const old[2],
                          float *const coef[2])
{
    pt_thread_job_t jobs[2];
    float *ref_out[2], *ref_grad[2];
    for (int t = 0; t < 2; t++) {
        jobs[t] = (pt_thread_job_t){.p = p,
                                    .ws = p->vt->ws_create(p->inst, Bs[t]),
                                    .iterations = iterations,
                                    .B = Bs[t],
                                    .obs = obs[t],
                                    .actions = actions[t],
                                    .old = old[t],
                                    .coef = coef[t],
                                    .out = g_new0(float, 4 * (size_t)Bs[t]),
                                    .grad = g_new0(float, p->n_params)};
        ck_assert_ptr_nonnull(jobs[t].ws);
    }
    /* sequential reference */
    for (int t = 0; t < 2; t++) {
        thread_run(&jobs[t]);
        ck_assert_int_eq(jobs[t].rc, 0);
        ref_out[t] = g_memdup2(jobs[t].out, sizeof(float) * 4 * Bs[t]);
        ref_grad[t] = g_memdup2(jobs[t].grad, sizeof(float) * p->n_params);
    }
    GThread *th[2];
    for (int t = 0; t < 2; t++)
        th[t] = g_thread_new("policy-test", thread_run, &jobs[t]);
    for (int t = 0; t < 2; t++) {
        g_thread_join(th[t]);
        ck_assert_int_eq(jobs[t].rc, 0);
        ck_assert(memcmp(ref_out[t], jobs[t].out, sizeof(float) * 4 * Bs[t]) == 0);
        ck_assert(memcmp(ref_grad[t], jobs[t].grad, sizeof(float) * p->n_params) == 0);
    }
    for (int t = 0; t < 2; t++) {
        p->vt->ws_destroy(p->inst, jobs[t].ws);
        g_free(jobs[t].out);
        g_free(jobs[t].grad);
        g_free(ref_out[t]);
        g_free(ref_grad[t]);
    }
}

double pt_fd_segments(const ppo_segment_t *segs, uint32_t n_segs, const float *grad, pt_fd_fn fd,
                      void *ctx, double tol, int zero_ok, const char *label)
{
    double worst = 0.0;
    size_t off = 0;
    for (uint32_t k = 0; k < n_segs; k++) {
        const size_t n = (size_t)segs[k].rows * segs[k].cols;
        double diff2 = 0.0, an2 = 0.0, fd2 = 0.0;
        size_t left_out = 0;
        for (size_t i = off; i < off + n; i++) {
            const double d = fd(ctx, k, i);
            if (isnan(d)) {
                left_out++;
                continue;
            }
            diff2 += (d - grad[i]) * (d - grad[i]);
            an2 += (double)grad[i] * grad[i];
            fd2 += d * d;
        }
        ck_assert_msg(left_out * 10 <= n, "%s: %zu of the %zu parameters of %s left out (kinks)",
                      label, left_out, n, segs[k].name);
        const double rel = sqrt(diff2) / fmax(sqrt(fmax(an2, fd2)), 1e-6);
        ck_assert_msg(rel < tol, "%s: segment %s gradient off by %.3g (|grad| %.3g)", label,
                      segs[k].name, rel, sqrt(an2));
        ck_assert_msg(sqrt(an2) > 0.0 || (zero_ok && sqrt(fd2) == 0.0),
                      "%s: segment %s has no gradient", label, segs[k].name);
        worst = fmax(worst, rel);
        off += n;
    }
    return worst;
}

void pt_check_backward_adds(const float *grad, const float *grad2, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(grad2[i] - 2 * grad[i]) <= 1e-5f * (fabsf(grad[i]) + 1e-3f),
                      "backward did not add into grad_out at %zu", i);
}

char *pt_export_write(const ppo_policy_vtable_t *vt, void *inst, const float *theta,
                      const ppo_obs_norm_t *norm, const char *dir, const char *proto)
{
    char *c_path = g_build_filename(dir, "policy.c", NULL);
    FILE *f = fopen(c_path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(vt->export_c(inst, theta, norm, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    char *source = NULL;
    ck_assert(g_file_get_contents(c_path, &source, NULL, NULL));
    ck_assert_msg(strstr(source, proto) != NULL, "no \"%s\" in the exported file", proto);
    ck_assert(strstr(source, "#define PPO_POLICY_OBS_DIM") != NULL);
    ck_assert(strstr(source, "#define PPO_POLICY_ACT_DIM") != NULL);
    ck_assert(strstr(source, "malloc") == NULL);
    g_free(source);
    return c_path;
}

void pt_check_export_refuses_nan(const ppo_policy_vtable_t *vt, void *inst, const float *theta)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_lt(vt->export_c(inst, theta, NULL, f), 0);
    fclose(f);
    free(buf);
    char *msg = ppo_host_take_error();
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, "NaN") != NULL, "message: %s", msg);
    g_free(msg);
}

gboolean pt_export_run(const char *dir, const char *c_path, const char *in_path,
                       const char *out_path)
{
    char *cc = g_find_program_in_path("cc");
    if (cc == NULL) {
        printf("export_c: no C compiler \"cc\" on PATH, compile step skipped\n");
        return FALSE;
    }
    char *obj = g_build_filename(dir, "policy.o", NULL);
    char *drv_src = ppo_test_src_path("tests/plugins/policy_export_driver.c");
    char *inc = g_strdup_printf("-I%s", dir);
    char *prog = g_build_filename(dir, "policy", NULL);
    char *cc_policy[] = {cc,        "-std=c99", "-O2",          "-pedantic", "-Wall", "-Wextra",
                         "-Werror", "-c",       (char *)c_path, "-o",        obj,     NULL};
    char *cc_prog[] = {cc,  "-std=c99", "-O2", "-pedantic", "-Wall", "-Wextra", "-Werror",
                       inc, drv_src,    "-o",  prog,        "-lm",   NULL};
    char *run[] = {prog, (char *)in_path, (char *)out_path, NULL};
    ppo_test_run_ok(cc_policy);
    ppo_test_run_ok(cc_prog);
    ppo_test_run_ok(run);
    g_free(obj);
    g_free(drv_src);
    g_free(inc);
    g_free(prog);
    g_free(cc);
    return TRUE;
}

double pt_export_compare_act(const ppo_policy_vtable_t *vt, void *inst, uint32_t D, uint32_t A,
                             uint32_t P, int box, uint32_t N, const float *seen,
                             const char *out_path, const char *label)
{
    void *ws = vt->ws_create(inst, N);
    ck_assert_ptr_nonnull(ws);
    float *acts = g_new(float, (size_t)N *A), *chunked = g_new(float, (size_t)N *A);
    float *lp = g_new(float, N), *v = g_new(float, N), *d = g_new(float, (size_t)N *P);
    ck_assert_int_eq(vt->act(inst, ws, N, seen, NULL, NULL, 1, acts, lp, v, d), 0);
    for (uint32_t b = 0; b < N; b += 8)
        ck_assert_int_eq(vt->act(inst, ws, MIN(8, N - b), seen + (size_t)b * D, NULL, NULL, 1,
                                 chunked + (size_t)b * A, lp, v, d),
                         0);
    char *text = NULL;
    ck_assert(g_file_get_contents(out_path, &text, NULL, NULL));
    char *cursor = text;
    double worst = 0.0;
    for (size_t i = 0; i < (size_t)N * A; i++) {
        char *end = NULL;
        const double x = box ? strtod(cursor, &end) : (double)strtol(cursor, &end, 10);
        ck_assert_msg(end != cursor, "%s: the exported program wrote too few actions (%zu)", label,
                      i);
        cursor = end;
        if (!box)
            ck_assert_msg(x == acts[i] && x == chunked[i],
                          "%s: action %zu: exported %g, plugin %g (chunked %g)", label, i, x,
                          (double)acts[i], (double)chunked[i]);
        else
            worst = fmax(worst, fmax(fabs(x - acts[i]), fabs(x - chunked[i])));
    }
    g_free(text);
    g_free(acts);
    g_free(chunked);
    g_free(lp);
    g_free(v);
    g_free(d);
    vt->ws_destroy(inst, ws);
    return worst;
}
