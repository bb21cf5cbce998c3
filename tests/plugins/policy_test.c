/* policy_test — the helpers of tests/plugins/policy_test.h. */
#include "config.h"

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

void pt_run_or_fail(char **argv)
{
    char *out = NULL, *err = NULL;
    int status = 0;
    GError *error = NULL;
    gboolean ok =
        g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
    ck_assert_msg(ok, "cannot run %s: %s", argv[0], ok ? "" : error->message);
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "%s %s failed:\n%s%s", argv[0], argv[1],
                  out, err);
    g_free(out);
    g_free(err);
}

gboolean pt_export_run(const char *dir, const char *c_path, const pt_export_kind_t *k,
                       const char *in_path, const char *out_path)
{
    char *cc = g_find_program_in_path("cc");
    if (cc == NULL) {
        printf("export_c: no C compiler \"cc\" on PATH, compile step skipped\n");
        return FALSE;
    }
    char *obj = g_build_filename(dir, "policy.o", NULL);
    char *drv_src = ppo_test_src_path("tests/plugins/policy_export_driver.c");
    char *drv_obj = g_build_filename(dir, "driver.o", NULL);
    char *prog = g_build_filename(dir, "policy", NULL);
    char *def_obs = g_strdup_printf("-DPOLICY_DRIVER_OBS_DIM=%u", k->obs_dim);
    char *def_act = g_strdup_printf("-DPOLICY_DRIVER_ACT_DIM=%u", k->act_dim);
    char *def_kind = g_strdup_printf("-DPOLICY_DRIVER_KIND=%d", k->kind);
    char *def_u8 = g_strdup_printf("-DPOLICY_DRIVER_UINT8=%d", k->uint8);
    char *cc_policy[] = {cc,        "-std=c99", "-O2",          "-pedantic", "-Wall", "-Wextra",
                         "-Werror", "-c",       (char *)c_path, "-o",        obj,     NULL};
    char *cc_driver[] = {cc,     "-std=c99", "-O2",   def_obs, def_act, def_kind,
                         def_u8, "-c",       drv_src, "-o",    drv_obj, NULL};
    char *cc_link[] = {cc, drv_obj, obj, "-lm", "-o", prog, NULL};
    char *run[] = {prog, (char *)in_path, (char *)out_path, NULL};
    pt_run_or_fail(cc_policy);
    pt_run_or_fail(cc_driver);
    pt_run_or_fail(cc_link);
    pt_run_or_fail(run);
    g_free(obj);
    g_free(drv_src);
    g_free(drv_obj);
    g_free(prog);
    g_free(def_obs);
    g_free(def_act);
    g_free(def_kind);
    g_free(def_u8);
    g_free(cc);
    return TRUE;
}
