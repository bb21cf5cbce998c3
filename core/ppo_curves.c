/* ppofw core — learning curves, their statistics across seeds, and the reports built from them
 * (see ppo_curves_private.h). Leaves out running anything and the SVG drawing itself. */
#include "config.h"

#include <fcntl.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_curves_private.h"
#include "ppo_file_private.h"
#include "ppo_svg_private.h"
#include "ppo_sweep_private.h"
#include "ppo_yaml_private.h"

/* ---- one run ---- */

void ppo_curve_free(ppo_curve_t *c)
{
    if (c == NULL)
        return;
    g_free(c->steps);
    g_free(c->returns);
    g_free(c);
}

static bool parse_num(const char *s, double *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    const double v = g_ascii_strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

/* The lines of a run's CSV file, without a last line a killed run cut short (transfer full:
 * g_strfreev), or NULL with PPO_ERROR_IO. */
static char **csv_lines(const char *path, GError **error)
{
    char *text = NULL;
    gsize len = 0;
    /* a run directory is not trusted: a regular file (no FIFO, no device), bounded */
    if (!ppo_file_read(AT_FDCWD, path, path, "CSV file", 0, 0, PPO_ERROR_IO, &text, &len, error))
        return NULL;
    /* a line without its newline was cut by a killed run: drop it */
    char *last_nl = strrchr(text, '\n');
    if (last_nl == NULL)
        text[0] = '\0';
    else
        last_nl[1] = '\0';
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    return lines;
}

/* Find the header's columns names[0..n) in cols[0..n); false (PPO_ERROR_IO naming them) when one
 * is missing. *n_cols gets the header's width. */
static bool csv_columns(char **lines, const char *path, const char *what,
                        const char *const *names, int *cols, guint n, guint *n_cols,
                        GError **error)
{
    char **head = g_strsplit(lines[0] != NULL ? lines[0] : "", ",", -1);
    *n_cols = g_strv_length(head);
    bool ok = true;
    for (guint k = 0; k < n; k++) {
        cols[k] = -1;
        for (guint i = 0; i < *n_cols; i++)
            if (strcmp(head[i], names[k]) == 0)
                cols[k] = (int)i;
        ok = ok && cols[k] >= 0;
    }
    g_strfreev(head);
    if (!ok) {
        char *list = g_strjoinv(", ", (char **)names);
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: not a ppofw %s file (it needs the columns %s in its first line)", path,
                    what, list);
        g_free(list);
    }
    return ok;
}

ppo_curve_t *ppo_curve_load(const char *run_dir, GError **error)
{
    char *path = g_build_filename(run_dir, "metrics.csv", NULL);
    static const char *const names[] = {"global_step", "ep_return_mean", "time_s", NULL};
    int col[3];
    guint n_cols = 0;
    ppo_curve_t *c = NULL;
    char **lines = csv_lines(path, error);
    if (lines == NULL || !csv_columns(lines, path, "metrics", names, col, 3, &n_cols, error))
        goto out;
    c = g_new0(ppo_curve_t, 1);
    c->time_s = NAN;
    GArray *steps = g_array_new(FALSE, FALSE, sizeof(double));
    GArray *rets = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint i = 1; lines[i] != NULL; i++) {
        if (lines[i][0] == '\0')
            continue;
        char **cells = g_strsplit(lines[i], ",", -1);
        double step, ret, t;
        if (g_strv_length(cells) == n_cols && parse_num(cells[col[0]], &step) && step >= 0) {
            c->last_step = (uint64_t)step;
            if (parse_num(cells[col[2]], &t))
                c->time_s = t;
            if (parse_num(cells[col[1]], &ret) && isfinite(ret)) {
                g_array_append_val(steps, step);
                g_array_append_val(rets, ret);
            }
        }
        g_strfreev(cells);
    }
    c->n = steps->len;
    c->steps = (double *)(void *)g_array_free(steps, FALSE);
    c->returns = (double *)(void *)g_array_free(rets, FALSE);
out:
    g_strfreev(lines);
    g_free(path);
    return c;
}

ppo_curve_t *ppo_curve_load_episodes(const char *run_dir, uint32_t window, GError **error)
{
    g_return_val_if_fail(window >= 1, NULL);
    char *path = g_build_filename(run_dir, "episodes.csv", NULL);
    static const char *const names[] = {"global_step", "return", "time_s", NULL};
    int col[3];
    guint n_cols = 0;
    ppo_curve_t *c = NULL;
    char **lines = csv_lines(path, error);
    if (lines == NULL || !csv_columns(lines, path, "episodes", names, col, 3, &n_cols, error))
        goto out;
    c = g_new0(ppo_curve_t, 1);
    c->time_s = NAN;
    GArray *steps = g_array_new(FALSE, FALSE, sizeof(double));
    GArray *means = g_array_new(FALSE, FALSE, sizeof(double));
    double *ring = g_new0(double, window);
    uint64_t seen = 0;
    for (guint i = 1; lines[i] != NULL; i++) {
        char **cells = g_strsplit(lines[i], ",", -1);
        double step, ret, t;
        if (g_strv_length(cells) == n_cols && parse_num(cells[col[0]], &step) && step >= 0 &&
            parse_num(cells[col[1]], &ret) && isfinite(ret)) {
            ring[seen % window] = ret;
            seen++;
            /* the mean of the last `window` episodes (of those there are, early on), summed
             * afresh so no rounding accumulates */
            const uint64_t k = MIN(seen, (uint64_t)window);
            double sum = 0.0;
            for (uint64_t j = 0; j < k; j++)
                sum += ring[j];
            const double mean = sum / (double)k;
            /* episodes ending at the same step are one point: the value after the last */
            if (steps->len > 0 && g_array_index(steps, double, steps->len - 1) == step)
                g_array_index(means, double, means->len - 1) = mean;
            else {
                g_array_append_val(steps, step);
                g_array_append_val(means, mean);
            }
            c->last_step = (uint64_t)step;
            if (parse_num(cells[col[2]], &t))
                c->time_s = t;
        }
        g_strfreev(cells);
    }
    g_free(ring);
    c->n = steps->len;
    c->steps = (double *)(void *)g_array_free(steps, FALSE);
    c->returns = (double *)(void *)g_array_free(means, FALSE);
out:
    g_strfreev(lines);
    g_free(path);
    return c;
}

double ppo_curve_final(const ppo_curve_t *c)
{
    return c->n > 0 ? c->returns[c->n - 1] : NAN;
}

double ppo_curve_steps_to(const ppo_curve_t *c, double threshold)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->returns[i] >= threshold)
            return c->steps[i];
    return NAN;
}

double ppo_curve_auc(const ppo_curve_t *c)
{
    if (c->n == 0)
        return NAN;
    const double span = c->steps[c->n - 1] - c->steps[0];
    if (c->n == 1 || span <= 0)
        return c->returns[c->n - 1];
    double area = 0.0;
    for (size_t i = 1; i < c->n; i++)
        area += 0.5 * (c->returns[i] + c->returns[i - 1]) * (c->steps[i] - c->steps[i - 1]);
    return area / span;
}

/* ---- statistics ---- */

/* continued fraction of the incomplete beta function (modified Lentz) */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 500; m++) {
        const double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a - 1.0 + m2) * (a + m2));
        d = 1.0 + aa * d;
        c = 1.0 + aa / c;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        c = fabs(c) < tiny ? tiny : c;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2));
        d = 1.0 + aa * d;
        c = 1.0 + aa / c;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        c = fabs(c) < tiny ? tiny : c;
        const double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < 1e-15)
            break;
    }
    return h;
}

/* regularized incomplete beta I_x(a, b) */
static double beta_inc(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    const double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

static double student_t_cdf(double t, double df)
{
    const double tail = 0.5 * beta_inc(df / 2.0, 0.5, df / (df + t * t));
    return t >= 0 ? 1.0 - tail : tail;
}

double ppo_student_t_quantile(double p, double df)
{
    g_return_val_if_fail(p > 0.0 && p < 1.0 && df > 0.0, NAN);
    if (p == 0.5)
        return 0.0;
    if (p < 0.5)
        return -ppo_student_t_quantile(1.0 - p, df);
    /* bracket, then bisect: the cdf is increasing */
    double lo = 0.0, hi = 1.0;
    while (student_t_cdf(hi, df) < p && hi < 1e12)
        hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
        const double mid = 0.5 * (lo + hi);
        if (student_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

void ppo_sample_stats(const double *v, size_t n, ppo_sample_stats_t *out)
{
    size_t k = 0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i]))
            continue;
        sum += v[i];
        k++;
    }
    out->n = k;
    out->mean = k > 0 ? sum / (double)k : NAN;
    out->std = out->sem = out->ci_lo = out->ci_hi = NAN;
    if (k < 2)
        return;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            ss += (v[i] - out->mean) * (v[i] - out->mean);
    out->std = sqrt(ss / (double)(k - 1));
    out->sem = out->std / sqrt((double)k);
    const double t = ppo_student_t_quantile(0.975, (double)(k - 1));
    out->ci_lo = out->mean - t * out->sem;
    out->ci_hi = out->mean + t * out->sem;
}

void ppo_welch_diff(const ppo_sample_stats_t *a, const ppo_sample_stats_t *b, ppo_mean_diff_t *out)
{
    out->diff = out->ci_lo = out->ci_hi = out->df = NAN;
    if (a->n < 2 || b->n < 2)
        return;
    out->diff = a->mean - b->mean;
    const double va = a->std * a->std / (double)a->n, vb = b->std * b->std / (double)b->n;
    const double se = sqrt(va + vb);
    if (!(se > 0.0)) {
        out->ci_lo = out->ci_hi = out->diff;
        return;
    }
    out->df = (va + vb) * (va + vb) / (va * va / (double)(a->n - 1) + vb * vb / (double)(b->n - 1));
    const double t = ppo_student_t_quantile(0.975, out->df);
    out->ci_lo = out->diff - t * se;
    out->ci_hi = out->diff + t * se;
}

/* ---- mean curves ---- */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* the curve's value at x by linear interpolation; false outside its range */
static bool curve_at(const ppo_curve_t *c, double x, double *out)
{
    if (c->n == 0 || x < c->steps[0] || x > c->steps[c->n - 1])
        return false;
    size_t lo = 0, hi = c->n - 1;
    while (hi - lo > 1) {
        const size_t mid = (lo + hi) / 2;
        if (c->steps[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    if (c->steps[hi] <= x)
        lo = hi;
    if (lo == hi || c->steps[hi] == c->steps[lo]) {
        *out = c->returns[lo];
        return true;
    }
    const double f = (x - c->steps[lo]) / (c->steps[hi] - c->steps[lo]);
    *out = c->returns[lo] + f * (c->returns[hi] - c->returns[lo]);
    return true;
}

ppo_band_t *ppo_band_new(const ppo_curve_t *const *curves, size_t n_curves, ppo_band_kind_t kind,
                         size_t max_points)
{
    /* the union of every run's steps */
    GArray *all = g_array_new(FALSE, FALSE, sizeof(double));
    for (size_t r = 0; r < n_curves; r++)
        g_array_append_vals(all, curves[r]->steps, (guint)curves[r]->n);
    if (all->len > 1)
        qsort(all->data, all->len, sizeof(double), cmp_double);
    size_t n_unique = 0;
    double *xs = (double *)(void *)all->data;
    for (guint i = 0; i < all->len; i++)
        if (n_unique == 0 || xs[i] != xs[n_unique - 1])
            xs[n_unique++] = xs[i];
    if (max_points < 2)
        max_points = 2;
    const size_t n = MIN(n_unique, max_points);

    ppo_band_t *b = g_new0(ppo_band_t, 1);
    b->n = n;
    b->x = g_new(double, n);
    b->mean = g_new(double, n);
    b->lo = g_new(double, n);
    b->hi = g_new(double, n);
    b->count = g_new0(uint32_t, n);
    double *vals = g_new(double, MAX(n_curves, 1));
    for (size_t k = 0; k < n; k++) {
        /* evenly chosen, first and last kept */
        const size_t src =
            n == n_unique ? k
                          : (size_t)llround((double)k * (double)(n_unique - 1) / (double)(n - 1));
        const double x = xs[src];
        size_t m = 0;
        for (size_t r = 0; r < n_curves; r++)
            if (curve_at(curves[r], x, &vals[m]))
                m++;
        ppo_sample_stats_t st;
        ppo_sample_stats(vals, m, &st);
        b->x[k] = x;
        b->count[k] = (uint32_t)m;
        b->mean[k] = st.mean;
        const double w = kind == PPO_BAND_STD ? st.std : st.sem;
        b->lo[k] = m >= 2 ? st.mean - w : NAN;
        b->hi[k] = m >= 2 ? st.mean + w : NAN;
    }
    g_free(vals);
    g_array_free(all, TRUE);
    return b;
}

void ppo_band_free(ppo_band_t *b)
{
    if (b == NULL)
        return;
    g_free(b->x);
    g_free(b->mean);
    g_free(b->lo);
    g_free(b->hi);
    g_free(b->count);
    g_free(b);
}

/* ---- groups and reports ---- */

ppo_report_group_t *ppo_report_group_new(const char *name, const char *panel)
{
    ppo_report_group_t *g = g_new0(ppo_report_group_t, 1);
    g->name = g_strdup(name);
    g->panel = g_strdup(panel);
    g->threshold = NAN;
    g->curves = g_ptr_array_new_with_free_func((GDestroyNotify)ppo_curve_free);
    g->run_names = g_ptr_array_new_with_free_func(g_free);
    g->seeds = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    return g;
}

void ppo_report_group_free(ppo_report_group_t *g)
{
    if (g == NULL)
        return;
    g_free(g->name);
    g_free(g->legend);
    g_free(g->panel);
    g_strfreev(g->axis_values);
    g_ptr_array_free(g->curves, TRUE);
    g_ptr_array_free(g->run_names, TRUE);
    g_array_free(g->seeds, TRUE);
    g_free(g);
}

void ppo_report_free(ppo_report_t *r)
{
    if (r == NULL)
        return;
    g_ptr_array_free(r->groups, TRUE);
    g_strfreev(r->axes);
    g_free(r);
}

void ppo_group_summarize(const ppo_report_group_t *g, ppo_group_summary_t *out)
{
    const double threshold = g->threshold;
    const size_t n = g->curves->len;
    double *fin = g_new(double, MAX(n, 1));
    double *auc = g_new(double, MAX(n, 1));
    double *wall = g_new(double, MAX(n, 1));
    double *to = g_new(double, MAX(n, 1));
    out->reached = 0;
    for (size_t i = 0; i < n; i++) {
        const ppo_curve_t *c = g_ptr_array_index(g->curves, i);
        fin[i] = ppo_curve_final(c);
        auc[i] = ppo_curve_auc(c);
        wall[i] = c->time_s;
        to[i] = isnan(threshold) ? NAN : ppo_curve_steps_to(c, threshold);
        if (!isnan(to[i]))
            out->reached++;
    }
    ppo_sample_stats(fin, n, &out->final);
    ppo_sample_stats(auc, n, &out->auc);
    ppo_sample_stats(wall, n, &out->wall);
    ppo_sample_stats(to, n, &out->to_threshold);
    g_free(fin);
    g_free(auc);
    g_free(wall);
    g_free(to);
}

const ppo_report_group_t *ppo_report_reference(const ppo_report_t *r, const ppo_report_group_t *g)
{
    for (guint i = 0; i < r->groups->len; i++) {
        const ppo_report_group_t *first = g_ptr_array_index(r->groups, i);
        if (g_strcmp0(first->panel, g->panel) == 0)
            return first;
    }
    return g;
}

/* `g`'s final return against its reference group's (NaN for the reference itself). */
static void compare_to_reference(const ppo_report_t *r, const ppo_report_group_t *g,
                                 const ppo_group_summary_t *s, ppo_mean_diff_t *d)
{
    const ppo_report_group_t *ref = ppo_report_reference(r, g);
    d->diff = d->ci_lo = d->ci_hi = d->df = NAN;
    if (ref == g)
        return;
    ppo_group_summary_t rs;
    ppo_group_summarize(ref, &rs);
    ppo_welch_diff(&s->final, &rs.final, d);
}

static void csv_num(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (!isnan(v))
        g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.6g", v));
}

char *ppo_report_csv(const ppo_report_t *r)
{
    GString *out = g_string_new("cell");
    const guint n_axes = r->axes != NULL ? g_strv_length(r->axes) : 0;
    for (guint a = 0; a < n_axes; a++) {
        g_string_append_c(out, ',');
        ppo_csv_field(out, r->axes[a]);
    }
    g_string_append(out, ",runs,done,failed,final_return_mean,final_return_std,"
                         "final_return_ci95_low,final_return_ci95_high,threshold,"
                         "threshold_reached,steps_to_threshold_mean,auc_mean,auc_std,"
                         "wall_time_s_mean,compared_to,final_return_diff,"
                         "final_return_diff_ci95_low,final_return_diff_ci95_high\n");
    for (guint i = 0; i < r->groups->len; i++) {
        const ppo_report_group_t *g = g_ptr_array_index(r->groups, i);
        ppo_group_summary_t s;
        ppo_group_summarize(g, &s);
        ppo_csv_field(out, g->name);
        for (guint a = 0; a < n_axes; a++) {
            g_string_append_c(out, ',');
            if (g->axis_values != NULL && a < g_strv_length(g->axis_values))
                ppo_csv_field(out, g->axis_values[a]);
        }
        g_string_append_printf(out, ",%u,%u,%u,", g->n_runs, g->curves->len, g->n_failed);
        const double cols[] = {s.final.mean, s.final.std, s.final.ci_lo, s.final.ci_hi};
        for (size_t k = 0; k < G_N_ELEMENTS(cols); k++) {
            csv_num(out, cols[k]);
            g_string_append_c(out, ',');
        }
        csv_num(out, g->threshold);
        g_string_append_c(out, ',');
        if (!isnan(g->threshold))
            g_string_append_printf(out, "%zu", s.reached);
        g_string_append_c(out, ',');
        csv_num(out, s.to_threshold.mean);
        g_string_append_c(out, ',');
        csv_num(out, s.auc.mean);
        g_string_append_c(out, ',');
        csv_num(out, s.auc.std);
        g_string_append_c(out, ',');
        csv_num(out, s.wall.mean);
        g_string_append_c(out, ',');
        const ppo_report_group_t *ref = ppo_report_reference(r, g);
        if (ref != g)
            ppo_csv_field(out, ref->name);
        ppo_mean_diff_t d;
        compare_to_reference(r, g, &s, &d);
        const double diff_cols[] = {d.diff, d.ci_lo, d.ci_hi};
        for (size_t k = 0; k < G_N_ELEMENTS(diff_cols); k++) {
            g_string_append_c(out, ',');
            csv_num(out, diff_cols[k]);
        }
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

/* a number for a table: about four significant digits, "–" when missing */
static void md_num(GString *out, double v)
{
    if (isnan(v)) {
        g_string_append(out, "–");
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    const double a = fabs(v);
    const char *fmt = a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 1 ? "%.2f" : "%.3g";
    g_string_append(out, g_ascii_formatd(buf, sizeof(buf), fmt, v));
}

static void md_steps(GString *out, double v)
{
    if (isnan(v)) {
        g_string_append(out, "–");
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (v >= 1e6)
        g_string_append_printf(out, "%sM", g_ascii_formatd(buf, sizeof(buf), "%.2f", v / 1e6));
    else if (v >= 1e4)
        g_string_append_printf(out, "%sk", g_ascii_formatd(buf, sizeof(buf), "%.1f", v / 1e3));
    else
        g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.0f", v));
}

/* table text: no pipes or line breaks */
static void md_text(GString *out, const char *s)
{
    for (const char *p = s; p != NULL && *p != '\0'; p++) {
        if (*p == '|')
            g_string_append(out, "\\|");
        else if (*p == '\n' || *p == '\r')
            g_string_append_c(out, ' ');
        else
            g_string_append_c(out, *p);
    }
}

/* "(first)", "–", or "+12.3 [-4.1, 28.7]" with " *" when the interval excludes 0 */
static void md_diff(GString *out, const ppo_report_t *r, const ppo_report_group_t *g,
                    const ppo_group_summary_t *s)
{
    if (ppo_report_reference(r, g) == g) {
        g_string_append(out, "(first)");
        return;
    }
    ppo_mean_diff_t d;
    compare_to_reference(r, g, s, &d);
    if (isnan(d.diff)) {
        g_string_append(out, "–");
        return;
    }
    if (d.diff > 0)
        g_string_append_c(out, '+');
    md_num(out, d.diff);
    g_string_append(out, " [");
    md_num(out, d.ci_lo);
    g_string_append(out, ", ");
    md_num(out, d.ci_hi);
    g_string_append_c(out, ']');
    if (d.ci_lo > 0 || d.ci_hi < 0)
        g_string_append(out, " *");
}

/* The steps each seed's run took to reach its cell's threshold: a column per seed (in order of
 * first appearance), "not reached" for a finished run that never did, "–" where no run finished. */
static void md_steps_by_seed(GString *out, const ppo_report_t *r)
{
    GArray *seeds = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    for (guint i = 0; i < r->groups->len; i++) {
        const ppo_report_group_t *g = g_ptr_array_index(r->groups, i);
        for (guint k = 0; k < g->seeds->len; k++) {
            const uint64_t seed = g_array_index(g->seeds, uint64_t, k);
            bool seen = false;
            for (guint j = 0; j < seeds->len && !seen; j++)
                seen = g_array_index(seeds, uint64_t, j) == seed;
            if (!seen)
                g_array_append_val(seeds, seed);
        }
    }
    if (seeds->len == 0) {
        g_array_free(seeds, TRUE);
        return;
    }
    g_string_append(out, "\nSteps to threshold of each seed's run: the first global step whose "
                         "ep_return_mean reaches the cell's threshold.\n\n| cell |");
    for (guint j = 0; j < seeds->len; j++)
        g_string_append_printf(out, " seed %" G_GUINT64_FORMAT " |",
                               g_array_index(seeds, uint64_t, j));
    g_string_append(out, "\n|---|");
    for (guint j = 0; j < seeds->len; j++)
        g_string_append(out, "---|");
    g_string_append_c(out, '\n');
    for (guint i = 0; i < r->groups->len; i++) {
        const ppo_report_group_t *g = g_ptr_array_index(r->groups, i);
        if (isnan(g->threshold))
            continue;
        g_string_append(out, "| ");
        md_text(out, g->name);
        g_string_append(out, " |");
        for (guint j = 0; j < seeds->len; j++) {
            const ppo_curve_t *c = NULL;
            for (guint k = 0; k < g->seeds->len && c == NULL; k++)
                if (g_array_index(g->seeds, uint64_t, k) == g_array_index(seeds, uint64_t, j))
                    c = g_ptr_array_index(g->curves, k);
            const double steps = c != NULL ? ppo_curve_steps_to(c, g->threshold) : NAN;
            g_string_append_c(out, ' ');
            if (c != NULL && isnan(steps))
                g_string_append(out, "not reached");
            else
                md_steps(out, steps);
            g_string_append(out, " |");
        }
        g_string_append_c(out, '\n');
    }
    g_array_free(seeds, TRUE);
}

char *ppo_report_markdown(const ppo_report_t *r, const char *preamble, const char *figure,
                          const char *failures)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "# %s\n\n", r->title != NULL ? r->title : "runs");
    if (preamble != NULL)
        g_string_append_printf(out, "%s\n", preamble);
    g_string_append(out, "Final return: the mean return of the last 100 training episodes at "
                         "the end of each run; mean ± sample std over seeds, and the 95% "
                         "confidence interval of the mean (Student t). Δ vs first: the "
                         "difference of that mean from the first cell of the same base, with "
                         "Welch's 95% confidence interval (* when it excludes 0). AUC: the area "
                         "under the learning curve divided by the steps it spans (the mean return "
                         "over training). Wall time: mean per run.\n\n");
    bool thr = false;
    for (guint i = 0; i < r->groups->len; i++)
        thr =
            thr || !isnan(((const ppo_report_group_t *)g_ptr_array_index(r->groups, i))->threshold);
    g_string_append(out, "| cell | runs | final return | 95% CI | Δ vs first [95% CI] |");
    if (thr)
        g_string_append(out, " steps to threshold (runs that reached it) |");
    g_string_append(out, " AUC | wall time (s) |\n|---|---|---|---|---|");
    g_string_append(out, thr ? "---|---|---|\n" : "---|---|\n");
    for (guint i = 0; i < r->groups->len; i++) {
        const ppo_report_group_t *g = g_ptr_array_index(r->groups, i);
        ppo_group_summary_t s;
        ppo_group_summarize(g, &s);
        g_string_append(out, "| ");
        md_text(out, g->name);
        g_string_append_printf(out, " | %u", g->curves->len);
        if (g->curves->len != g->n_runs)
            g_string_append_printf(out, "/%u", g->n_runs);
        if (g->n_failed > 0)
            g_string_append_printf(out, " (%u failed)", g->n_failed);
        g_string_append(out, " | ");
        md_num(out, s.final.mean);
        if (!isnan(s.final.std)) {
            g_string_append(out, " ± ");
            md_num(out, s.final.std);
        }
        g_string_append(out, " | ");
        if (isnan(s.final.ci_lo)) {
            g_string_append(out, "–");
        } else {
            g_string_append_c(out, '[');
            md_num(out, s.final.ci_lo);
            g_string_append(out, ", ");
            md_num(out, s.final.ci_hi);
            g_string_append_c(out, ']');
        }
        g_string_append(out, " | ");
        md_diff(out, r, g, &s);
        if (thr && isnan(g->threshold)) {
            g_string_append(out, " | –");
        } else if (thr) {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            g_string_append_printf(
                out, " | ≥ %s: ", g_ascii_formatd(buf, sizeof(buf), "%g", g->threshold));
            md_steps(out, s.to_threshold.mean);
            g_string_append_printf(out, " (%zu/%u)", s.reached, g->curves->len);
        }
        g_string_append(out, " | ");
        md_num(out, s.auc.mean);
        if (!isnan(s.auc.std)) {
            g_string_append(out, " ± ");
            md_num(out, s.auc.std);
        }
        g_string_append(out, " | ");
        md_num(out, s.wall.mean);
        g_string_append(out, " |\n");
    }
    if (thr)
        md_steps_by_seed(out, r);
    if (figure != NULL)
        g_string_append_printf(out, "\n![learning curves](%s)\n", figure);
    if (failures != NULL && *failures != '\0')
        g_string_append_printf(out, "\n## Failed runs\n\n%s", failures);
    return g_string_free(out, FALSE);
}

/* How a report's figure is put out: as SVG text into *svg, or as a PNG file at png_path. */
typedef struct {
    char *svg;            /* SVG: the document (transfer full) */
    const char *png_path; /* PNG: the file to write, or NULL for SVG */
    GError **error;       /* PNG: where a write error goes */
    bool ok;              /* PNG: written */
} figure_out_t;

/* Build the report's figure and put it out. */
static void report_figure(const ppo_report_t *r, const char *subtitle, ppo_band_kind_t kind,
                          figure_out_t *out)
{
    const guint n = r->groups->len;
    /* panels in order of first appearance */
    GPtrArray *panel_names = g_ptr_array_new();
    for (guint i = 0; i < n; i++) {
        const ppo_report_group_t *g = g_ptr_array_index(r->groups, i);
        bool seen = false;
        for (guint p = 0; p < panel_names->len; p++)
            if (g_strcmp0(g_ptr_array_index(panel_names, p), g->panel) == 0)
                seen = true;
        if (!seen)
            g_ptr_array_add(panel_names, g->panel);
    }
    ppo_band_t **bands = g_new0(ppo_band_t *, MAX(n, 1));
    char **labels = g_new0(char *, n + 1);
    ppo_svg_series_t *series = g_new0(ppo_svg_series_t, MAX(n, 1));
    ppo_svg_panel_t *panels = g_new0(ppo_svg_panel_t, MAX(panel_names->len, 1));
    size_t k = 0;
    for (guint p = 0; p < panel_names->len; p++) {
        const char *pname = g_ptr_array_index(panel_names, p);
        panels[p].title = pname;
        panels[p].series = &series[k];
        for (guint i = 0; i < n; i++) {
            const ppo_report_group_t *g = g_ptr_array_index(r->groups, i);
            if (g_strcmp0(g->panel, pname) != 0)
                continue;
            bands[i] = ppo_band_new((const ppo_curve_t *const *)g->curves->pdata, g->curves->len,
                                    kind, 600);
            labels[i] = g_strdup_printf("%s (n=%u)", g->legend != NULL ? g->legend : g->name,
                                        g->curves->len);
            series[k] = (ppo_svg_series_t){
                .label = labels[i],
                .n = bands[i]->n,
                .x = bands[i]->x,
                .y = bands[i]->mean,
                .lo = bands[i]->lo,
                .hi = bands[i]->hi,
            };
            k++;
            panels[p].n_series++;
        }
    }
    const ppo_svg_figure_t fig = {
        .title = r->title != NULL ? r->title : "learning curves",
        .subtitle = subtitle,
        .x_label = "environment steps",
        .y_label = "episode return (mean of last 100)",
        .panels = panels,
        .n_panels = panel_names->len,
    };
    if (out->png_path != NULL)
        out->ok = ppo_svg_write_png(&fig, out->png_path, out->error);
    else
        out->svg = ppo_svg_render(&fig);
    for (guint i = 0; i < n; i++)
        ppo_band_free(bands[i]);
    g_free(bands);
    g_strfreev(labels);
    g_free(series);
    g_free(panels);
    g_ptr_array_free(panel_names, TRUE);
}

char *ppo_report_svg(const ppo_report_t *r, const char *subtitle, ppo_band_kind_t kind)
{
    figure_out_t out = {0};
    report_figure(r, subtitle, kind, &out);
    return out.svg;
}

bool ppo_report_png(const ppo_report_t *r, const char *subtitle, ppo_band_kind_t kind,
                    const char *path, GError **error)
{
    figure_out_t out = {.png_path = path, .error = error};
    report_figure(r, subtitle, kind, &out);
    return out.ok;
}

/* ---- grouping run directories ---- */

typedef struct {
    char *dir;
    GHashTable *keys; /* dotted key -> flow value (owned strings) */
    char *identity;   /* every key but the ignored ones, "k=v\n" in file order */
    char *env;        /* env.plugin */
} run_info_t;

static void run_info_clear(run_info_t *ri)
{
    g_free(ri->dir);
    if (ri->keys != NULL)
        g_hash_table_unref(ri->keys);
    g_free(ri->identity);
    g_free(ri->env);
}

static bool ignored_key(const char *key)
{
    return strcmp(key, "seed") == 0 || strcmp(key, "ppo.threads") == 0;
}

static bool read_run_info(const char *dir, run_info_t *ri, GPtrArray *order, GError **error)
{
    char *path = g_build_filename(dir, "pipeline.yaml", NULL);
    ppo_ydoc_t *doc = ppo_ydoc_load_file(path, error);
    g_free(path);
    if (doc == NULL)
        return false;
    ri->dir = g_strdup(dir);
    ri->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GPtrArray *flat = ppo_sweep_flatten(ppo_ydoc_root(doc));
    GString *id = g_string_new(NULL);
    for (guint i = 0; i < flat->len; i += 2) {
        const char *k = g_ptr_array_index(flat, i);
        const char *v = g_ptr_array_index(flat, i + 1);
        g_hash_table_replace(ri->keys, g_strdup(k), g_strdup(v));
        if (!ignored_key(k)) {
            g_string_append_printf(id, "%s=%s\n", k, v);
            bool known = false;
            for (guint o = 0; o < order->len && !known; o++)
                known = strcmp(g_ptr_array_index(order, o), k) == 0;
            if (!known)
                g_ptr_array_add(order, g_strdup(k));
        }
    }
    ri->identity = g_string_free(id, FALSE);
    const char *env = g_hash_table_lookup(ri->keys, "env.plugin");
    ri->env = g_strdup(env != NULL ? env : "?");
    g_ptr_array_free(flat, TRUE);
    ppo_ydoc_free(doc);
    return true;
}

/* the section of "X.params.k" when X.plugin is among the differing keys */
static bool under_swapped_plugin(const char *key, GPtrArray *diff)
{
    const char *dot = strchr(key, '.');
    if (dot == NULL || !g_str_has_prefix(dot, ".params."))
        return false;
    char *plugin_key = g_strdup_printf("%.*s.plugin", (int)(dot - key), key);
    bool swapped = false;
    for (guint i = 0; i < diff->len && !swapped; i++)
        swapped = strcmp(g_ptr_array_index(diff, i), plugin_key) == 0;
    g_free(plugin_key);
    return swapped;
}

/* "advantage=mc, ppo.clip=0.1": the keys in which `rep` differs from the other groups */
static char *group_label(const run_info_t *rep, GPtrArray *diff)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < diff->len; i++) {
        const char *k = g_ptr_array_index(diff, i);
        if (under_swapped_plugin(k, diff))
            continue;
        const char *v = g_hash_table_lookup(rep->keys, k);
        if (s->len > 0)
            g_string_append(s, ", ");
        if (g_str_has_suffix(k, ".plugin"))
            g_string_append_printf(s, "%.*s=%s", (int)(strlen(k) - strlen(".plugin")), k,
                                   v != NULL ? v : "-");
        else
            g_string_append_printf(s, "%s=%s", k, v != NULL ? v : "-");
    }
    if (s->len == 0) {
        const char *name = g_hash_table_lookup(rep->keys, "name");
        g_string_append(s, name != NULL ? name : "runs");
    }
    return g_string_free(s, FALSE);
}

ppo_report_t *ppo_report_from_runs(const char *const *run_dirs, size_t n, uint32_t window,
                                   GError **error)
{
    run_info_t *info = g_new0(run_info_t, MAX(n, 1));
    GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
    ppo_report_t *r = NULL;
    size_t loaded = 0;
    for (; loaded < n; loaded++)
        if (!read_run_info(run_dirs[loaded], &info[loaded], order, error))
            goto out;

    /* groups: identical identity, in order of first appearance; rep[g] is the first run */
    guint *group_of = g_new(guint, MAX(n, 1));
    GArray *rep = g_array_new(FALSE, FALSE, sizeof(guint));
    for (size_t i = 0; i < n; i++) {
        guint g = 0;
        while (g < rep->len &&
               strcmp(info[g_array_index(rep, guint, g)].identity, info[i].identity) != 0)
            g++;
        if (g == rep->len) {
            const guint idx = (guint)i;
            g_array_append_val(rep, idx);
        }
        group_of[i] = g;
    }

    r = g_new0(ppo_report_t, 1);
    r->groups = g_ptr_array_new_with_free_func((GDestroyNotify)ppo_report_group_free);
    for (guint g = 0; g < rep->len; g++) {
        const run_info_t *ri = &info[g_array_index(rep, guint, g)];
        /* keys that differ between this env's groups */
        GPtrArray *diff = g_ptr_array_new();
        for (guint o = 0; o < order->len; o++) {
            const char *k = g_ptr_array_index(order, o);
            for (guint h = 0; h < rep->len; h++) {
                const run_info_t *other = &info[g_array_index(rep, guint, h)];
                if (strcmp(other->env, ri->env) != 0)
                    continue;
                if (g_strcmp0(g_hash_table_lookup(other->keys, k),
                              g_hash_table_lookup(ri->keys, k)) != 0) {
                    g_ptr_array_add(diff, (gpointer)k);
                    break;
                }
            }
        }
        char *label = group_label(ri, diff);
        char *panel = g_strdup_printf("env: %s", ri->env);
        ppo_report_group_t *grp = ppo_report_group_new(label, panel);
        g_free(panel);
        g_free(label);
        g_ptr_array_free(diff, TRUE);
        g_ptr_array_add(r->groups, grp);
    }
    for (size_t i = 0; i < n; i++) {
        ppo_report_group_t *grp = g_ptr_array_index(r->groups, group_of[i]);
        ppo_curve_t *c = window > 0 ? ppo_curve_load_episodes(run_dirs[i], window, error)
                                    : ppo_curve_load(run_dirs[i], error);
        if (c == NULL) {
            ppo_report_free(r);
            r = NULL;
            break;
        }
        g_ptr_array_add(grp->curves, c);
        g_ptr_array_add(grp->run_names, g_path_get_basename(run_dirs[i]));
        grp->n_runs++;
    }
    g_array_free(rep, TRUE);
    g_free(group_of);
out:
    for (size_t i = 0; i < loaded; i++)
        run_info_clear(&info[i]);
    if (loaded < n)
        run_info_clear(&info[loaded]);
    g_free(info);
    g_ptr_array_free(order, TRUE);
    return r;
}
