/* ppofw core — check-policy's gradient battery: backward (a recurrent policy's back-propagation
 * through time included) against central finite differences of evaluate, path by path (logp,
 * entropy, KL, value), and backward's contract of adding into its output and writing nothing
 * past the parameter count.
 *
 * Finite differences follow tests/plugins/test_mlp.c: each parameter moves by h = 2^-8 (the float
 * step actually taken is the denominator), the loss is summed in double, and a disagreement is
 * retried with h/4 and h/16. A point where no step agrees is left out as lying on a kink only when
 * it looks like one: the one-sided slopes on its two sides differ by a jump of the same sign and
 * about the same size at two consecutive steps, h and h/4 or h/4 and h/16 (a derivative that
 * jumps, as at relu's 0, whereas the slopes of a smooth function converge and rounding noise
 * grows as the step shrinks), and the jump is above the loss's rounding. Any other point counts
 * with its best step, so a network without kinks never reports one. A recurrent policy's evaluate runs over the checker's
 * sequences, whose episode starts fall inside them, so the differences go through time and
 * through the resets.
 *
 * A policy that holds something constant on purpose (gSDE's latent on the variance path)
 * disagrees there by design.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_check_policy_private.h"

#define POL_GRAD_SENTINEL 12345.0f /* what the gradient guard holds */
#define POL_FD_H 0x1p-8f           /* finite-difference step */
#define POL_FD_TOL 1e-2            /* largest relative L2 error of a segment's gradient */
#define POL_FD_STEPS 3             /* h, h/4, h/16 */

/* evaluate on the batch, each path's outputs summed with its coefficients; 0 or the failing
 * evaluate's code (its reason stays pending on this thread). */
static int path_losses(pol_ctx_t *c, float *buf, double loss[POL_N_PATHS])
{
    float *outs[POL_N_PATHS] = {buf, buf + c->B, buf + 2 * (size_t)c->B, buf + 3 * (size_t)c->B};
    int rc = pol_evaluate(c, c->ws, c->obs, c->actions, c->old_dist, outs);
    if (rc != 0)
        return rc;
    for (int k = 0; k < POL_N_PATHS; k++) {
        loss[k] = 0.0;
        for (uint32_t b = 0; b < c->B; b++)
            loss[k] += (double)c->coef[k][b] * outs[k][b];
    }
    return 0;
}

/* Central differences of the four path losses in parameter i with step h, and the jumps between
 * the one-sided slopes (right minus left) around the unperturbed losses `mid`. */
static int fd_one(pol_ctx_t *c, float *buf, size_t i, float h, const double mid[POL_N_PATHS],
                  double fd[POL_N_PATHS], double jump[POL_N_PATHS])
{
    const float v = c->theta[i];
    double up[POL_N_PATHS], dn[POL_N_PATHS];
    c->theta[i] = v + h;
    const double up_step = (double)c->theta[i] - v;
    int rc = path_losses(c, buf, up);
    c->theta[i] = v - h;
    const double dn_step = (double)v - c->theta[i];
    if (rc == 0)
        rc = path_losses(c, buf, dn);
    c->theta[i] = v;
    for (int k = 0; k < POL_N_PATHS; k++) {
        fd[k] = (up[k] - dn[k]) / (up_step + dn_step);
        jump[k] = (up[k] - mid[k]) / up_step - (mid[k] - dn[k]) / dn_step;
    }
    return rc;
}

/* Whether a finite difference and a gradient agree, `scale` being the size of the loss. */
static bool fd_agrees(double fd, double an, double scale)
{
    return fabs(fd - an) <= 1e-5 * scale + 1e-3 * fmax(fabs(fd), fabs(an));
}

/* Whether the slopes at a step (jump0) and at a quarter of it, `small` (jump1), show a kink
 * inside the smaller step, and above what the loss's rounding (about 2^-22 of `scale`) makes of
 * a one-sided slope at step `small`. A kink at distance d from the point makes the one-sided
 * slopes jump by J (1 - d / step) at every step longer than d, so the jump keeps its sign and
 * keeps more than 0.4 of itself from a step to its quarter while d is below about a sixth of the
 * longer step; a smooth loss's jump is its second derivative times the step, a quarter. */
static bool looks_like_kink(double jump0, double jump1, double scale, double small)
{
    const double noise = 0x1p-22 * scale / small;
    if (!(fabs(jump1) > noise) || jump0 * jump1 <= 0.0)
        return false;
    const double ratio = jump1 / jump0;
    return ratio > 0.4 && ratio < 1.5;
}

/* Whether a point no step agrees on lies on a kink: at some step and its quarter (h and h/4, or
 * h/4 and h/16) the one-sided slopes jump alike. The larger step may cross other kinks of the
 * batch's rows that the smaller ones do not, so each pair of the `steps` steps tried (at most
 * POL_FD_STEPS) is looked at. */
static bool on_kink(double jump[POL_FD_STEPS][POL_N_PATHS], int steps, int k, double scale)
{
    for (int j = 0; j + 1 < steps; j++)
        if (looks_like_kink(jump[j][k], jump[j + 1][k], scale,
                            POL_FD_H / (double)(1 << (2 * (j + 1)))))
            return true;
    return false;
}

/* Which parameters to difference: all of them up to fd_max, else an even stride per segment. */
static size_t fd_stride(const pol_ctx_t *c)
{
    if (c->n <= c->opt->fd_max || c->opt->fd_max == 0)
        return 1;
    return (c->n + c->opt->fd_max - 1) / c->opt->fd_max;
}

/* Per segment and path: squared norms of the difference, the analytic and the FD gradient, and
 * the worst element. */
typedef struct seg_err {
    double diff2, an2, fd2;
    size_t worst; /* index of the largest |fd - analytic| */
    double worst_abs;
    double worst_an, worst_fd;
    size_t disagree; /* elements outside fd_agrees' tolerance at their best step */
} seg_err_t;

void pol_check_backward(pol_ctx_t *c)
{
    const size_t n = c->n;
    float *grads[POL_N_PATHS] = {NULL, NULL, NULL, NULL};
    float *all = pol_alloc_floats(n + POL_GUARD);
    float *buf = g_new0(float, (size_t)POL_N_PATHS * c->B);
    const uint32_t n_segs = c->model->n_segments;
    seg_err_t *err = g_new0(seg_err_t, (size_t)n_segs * POL_N_PATHS);
    bool guard_ok = true;
    double loss[POL_N_PATHS], mid[POL_N_PATHS];
    int rc = 0;
    const char *bptt = c->S > 0 ? " (through time, across episode starts)" : "";

    /* analytic: one path at a time into zeros, then all at once into ones (backward adds) */
    for (int k = 0; k < POL_N_PATHS; k++) {
        grads[k] = pol_alloc_floats(n + POL_GUARD);
        for (size_t i = n; i < n + POL_GUARD; i++)
            grads[k][i] = POL_GRAD_SENTINEL;
        const float *d[POL_N_PATHS] = {NULL, NULL, NULL, NULL};
        d[k] = c->coef[k];
        if (rc == 0)
            rc = path_losses(c, buf, loss);
        if (rc == 0)
            rc = pol_backward(c, c->ws, d, grads[k]);
        for (size_t i = n; i < n + POL_GUARD; i++)
            guard_ok &= grads[k][i] == POL_GRAD_SENTINEL;
    }
    for (size_t i = 0; i < n; i++)
        all[i] = 1.0f;
    for (size_t i = n; i < n + POL_GUARD; i++)
        all[i] = POL_GRAD_SENTINEL;
    const float *d_all[POL_N_PATHS] = {c->coef[0], c->coef[1], c->coef[2], c->coef[3]};
    if (rc == 0)
        rc = path_losses(c, buf, mid);
    if (rc == 0)
        rc = pol_backward(c, c->ws, d_all, all);
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "backward", "evaluate or backward failed: %s", why);
        g_free(why);
        goto out;
    }
    for (size_t i = n; i < n + POL_GUARD; i++)
        guard_ok &= all[i] == POL_GRAD_SENTINEL;
    long not_added = -1;
    for (size_t i = 0; i < n && not_added < 0; i++) {
        const double sum = (double)grads[0][i] + grads[1][i] + grads[2][i] + grads[3][i];
        if (!(fabs((double)all[i] - 1.0 - sum) <= 1e-4 * (1.0 + fabs(sum))))
            not_added = (long)i;
    }
    if (!guard_ok)
        pol_add(c, PPO_CHECK_FAIL, "grad-extent",
                "backward wrote past the %zu gradients its segment table declares; the table "
                "must add up to the parameters the policy uses",
                n);
    else
        pol_add(c, PPO_CHECK_OK, "grad-extent",
                "backward writes nothing past the %zu parameters of the segment table", n);
    if (not_added >= 0)
        pol_add(c, PPO_CHECK_FAIL, "backward-adds",
                "gradient %ld: backward into a buffer of ones gave %.9g, expected 1 + %.9g; "
                "backward must ADD into grad_out, not overwrite it",
                not_added, (double)all[not_added],
                (double)grads[0][not_added] + grads[1][not_added] + grads[2][not_added] +
                    grads[3][not_added]);
    else
        pol_add(c, PPO_CHECK_OK, "backward-adds", "backward adds into grad_out");

    /* the size of each path's loss, for the absolute part of the tolerance */
    double scale[POL_N_PATHS];
    for (int k = 0; k < POL_N_PATHS; k++) {
        scale[k] = 0.0;
        for (uint32_t b = 0; b < c->B; b++)
            scale[k] += fabs(c->coef[k][b]) * (1.0 + fabs(buf[(size_t)k * c->B + b]));
    }

    /* central differences, every parameter (or an even sample of a very large table); where a
     * step disagrees, smaller steps are tried; a point no step matches is left out only when it
     * lies on a kink */
    const size_t stride = fd_stride(c);
    size_t checked = 0, kinks = 0;
    size_t off = 0;
    for (uint32_t s = 0; s < n_segs && rc == 0; s++) {
        const size_t len = (size_t)c->model->segments[s].rows * c->model->segments[s].cols;
        for (size_t i = off; i < off + len && rc == 0; i += (len < 16 ? 1 : stride)) {
            double fd[POL_FD_STEPS][POL_N_PATHS], jump[POL_FD_STEPS][POL_N_PATHS];
            int steps = 1;
            if ((rc = fd_one(c, buf, i, POL_FD_H, mid, fd[0], jump[0])) != 0)
                break;
            for (; steps < POL_FD_STEPS; steps++) {
                bool agree = true;
                for (int k = 0; k < POL_N_PATHS; k++)
                    agree &= fd_agrees(fd[steps - 1][k], grads[k][i], scale[k]);
                if (agree)
                    break;
                if ((rc = fd_one(c, buf, i, POL_FD_H / (float)(1 << (2 * steps)), mid, fd[steps],
                                 jump[steps])) != 0)
                    break;
            }
            for (int k = 0; k < POL_N_PATHS && rc == 0; k++) {
                const double an = grads[k][i];
                double best = fd[0][k];
                for (int j = 1; j < steps && j < POL_FD_STEPS; j++)
                    if (fabs(fd[j][k] - an) < fabs(best - an))
                        best = fd[j][k];
                if (steps >= 2 && !fd_agrees(best, an, scale[k]) &&
                    on_kink(jump, steps, k, scale[k])) {
                    kinks++;
                    continue;
                }
                seg_err_t *e = &err[(size_t)s * POL_N_PATHS + k];
                const double dd = best - an;
                e->disagree += !fd_agrees(best, an, scale[k]);
                e->diff2 += dd * dd;
                e->an2 += an * an;
                e->fd2 += best * best;
                if (fabs(dd) >= e->worst_abs) {
                    e->worst_abs = fabs(dd);
                    e->worst = i - off;
                    e->worst_an = an;
                    e->worst_fd = best;
                }
            }
            checked++;
        }
        off += len;
    }
    if (rc != 0) {
        char *why = pol_take_reason(rc);
        pol_add(c, PPO_CHECK_FAIL, "backward", "evaluate failed at perturbed parameters: %s", why);
        g_free(why);
        goto out;
    }

    /* one verdict per path, naming the worst segment. A segment fails when its relative error
     * is above the tolerance and at least one of its elements disagrees beyond the loss's
     * rounding (fd_agrees): near a stationary point of the path (an entropy at its maximum, say)
     * every derivative is tiny and the relative error measures rounding, not the backward. */
    for (int k = 0; k < POL_N_PATHS; k++) {
        double worst_rel = 0.0;
        uint32_t worst_seg = 0;
        bool failed = false;
        for (uint32_t s = 0; s < n_segs; s++) {
            const seg_err_t *e = &err[(size_t)s * POL_N_PATHS + k];
            const double rel = sqrt(e->diff2) / fmax(sqrt(fmax(e->an2, e->fd2)), 1e-6);
            const bool fails = rel > POL_FD_TOL && e->disagree > 0;
            if ((fails && !failed) || (fails == failed && rel > worst_rel)) {
                worst_rel = rel;
                worst_seg = s;
                failed = fails;
            }
        }
        char *id = g_strdup_printf("backward-%s", pol_path_names[k]);
        const seg_err_t *e = &err[(size_t)worst_seg * POL_N_PATHS + k];
        if (failed)
            pol_add(c, PPO_CHECK_FAIL, id,
                    "through %s%s: segment %s is off by %.3g (relative L2 over %s); element %zu: "
                    "backward gives %.6g, finite differences %.6g",
                    pol_path_names[k], bptt, c->model->segments[worst_seg].name, worst_rel,
                    stride > 1 ? "a sample of its parameters" : "all its parameters", e->worst,
                    e->worst_an, e->worst_fd);
        else
            pol_add(c, PPO_CHECK_OK, id,
                    "through %s%s: every segment agrees with finite differences (worst %.2g, "
                    "segment %s; every element within the loss's rounding)",
                    pol_path_names[k], bptt, worst_rel, c->model->segments[worst_seg].name);
        g_free(id);
    }
    if (kinks > 0) {
        const double share = (double)kinks / (double)(checked * POL_N_PATHS);
        pol_add(c, share > 0.05 ? PPO_CHECK_WARN : PPO_CHECK_OK, "backward-kinks",
                "%zu of %zu differences lay on a kink (the one-sided slopes jump alike at two "
                "step sizes, as at relu's 0) and were left out%s",
                kinks, checked * POL_N_PATHS,
                share > 0.05 ? "; that many suggests a non-smooth loss, not just relu kinks" : "");
    }

    /* every segment should matter to something */
    GString *unused = g_string_new(NULL);
    for (uint32_t s = 0; s < n_segs; s++) {
        double total = 0.0;
        for (int k = 0; k < POL_N_PATHS; k++)
            total += err[(size_t)s * POL_N_PATHS + k].an2 + err[(size_t)s * POL_N_PATHS + k].fd2;
        if (total == 0.0)
            g_string_append_printf(unused, "%s%s", unused->len > 0 ? ", " : "",
                                   c->model->segments[s].name);
    }
    if (unused->len > 0)
        pol_add(c, PPO_CHECK_WARN, "segments-used",
                "no gradient through logp, entropy, KL or value reaches segment %s: unused "
                "parameters?",
                unused->str);
    else
        pol_add(c, PPO_CHECK_OK, "segments-used",
                "every segment gets a gradient (%zu parameters differenced)", checked);
    g_string_free(unused, TRUE);

out:
    for (int k = 0; k < POL_N_PATHS; k++)
        free(grads[k]);
    free(all);
    g_free(buf);
    g_free(err);
}
