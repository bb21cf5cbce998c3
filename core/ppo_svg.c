/* ppofw core — learning-curve figures written as SVG text (see ppo_svg_private.h).
 * Leaves out where the curves come from (ppo_curves.c) and any styling by CSS: every attribute
 * is written on its element, so the file looks the same in browsers, viewers and print. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_svg_private.h"

/* the page, in SVG user units (px); 820 wide prints at about 8 pt for 13 px text on A4 */
#define FIG_W 820.0
#define MARGIN_L 84.0
#define MARGIN_R 24.0
#define PLOT_W (FIG_W - MARGIN_L - MARGIN_R)
#define PLOT_H 300.0
#define LEGEND_COLS 2
#define LEGEND_ROW 20.0
#define LEGEND_CHARS 48
#define FONT "DejaVu Sans, Helvetica, Arial, sans-serif"

/* Okabe-Ito colours (without yellow), brown, grey and three of Tol's, apart for colour-blind
 * readers and on white; twelve series get twelve colours */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#8C564B",
                                      "#7F7F7F", "#882255", "#117733", "#332288"};
/* dash patterns keep series apart in a greyscale print */
static const char *const dashes[] = {NULL, "9 4", "3 3", "10 3 3 3"};

size_t ppo_svg_ticks(double lo, double hi, size_t target, double *ticks, size_t cap,
                     double *step_out)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0.0;
        hi = 1.0;
    }
    if (hi < lo) {
        const double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo <= 1e-12 * MAX(fabs(lo), fabs(hi)) || hi == lo) {
        /* one value: widen around it */
        const double pad = lo != 0.0 ? fabs(lo) * 0.1 : 1.0;
        lo -= pad;
        hi += pad;
    }
    if (target < 2)
        target = 2;
    const double raw = (hi - lo) / (double)target;
    const double mag = pow(10.0, floor(log10(raw)));
    const double norm = raw / mag;
    const double step = (norm <= 1.0 ? 1.0 : norm <= 2.0 ? 2.0 : norm <= 5.0 ? 5.0 : 10.0) * mag;
    const double first = floor(lo / step + 1e-9);
    const double last = ceil(hi / step - 1e-9);
    size_t n = 0;
    for (double k = first; k <= last + 0.5 && n < cap; k += 1.0) {
        double t = k * step;
        if (fabs(t) < step * 1e-9)
            t = 0.0;
        ticks[n++] = t;
    }
    if (step_out != NULL)
        *step_out = step;
    return n;
}

/* decimals needed to print multiples of `step` (1, 2 or 5 times a power of ten) */
static int decimals_for(double step)
{
    const double k = floor(log10(step) + 1e-9);
    return k >= 0 ? 0 : (int)-k;
}

static void strip_zeros(char *s)
{
    char *dot = strchr(s, '.');
    if (dot == NULL)
        return;
    char *end = s + strlen(s) - 1;
    while (end > dot && *end == '0')
        *end-- = '\0';
    if (end == dot)
        *end = '\0';
}

void ppo_svg_tick_label(char *buf, size_t size, double v, double step, bool si)
{
    char fmt[16];
    if (si && fabs(v) >= 1e6) {
        g_snprintf(fmt, sizeof(fmt), "%%.%df", decimals_for(step / 1e6));
        g_ascii_formatd(buf, (gint)size - 1, fmt, v / 1e6);
        strip_zeros(buf);
        g_strlcat(buf, "M", size);
        return;
    }
    if (si && fabs(v) >= 1e3) {
        g_snprintf(fmt, sizeof(fmt), "%%.%df", decimals_for(step / 1e3));
        g_ascii_formatd(buf, (gint)size - 1, fmt, v / 1e3);
        strip_zeros(buf);
        g_strlcat(buf, "k", size);
        return;
    }
    g_snprintf(fmt, sizeof(fmt), "%%.%df", decimals_for(step));
    g_ascii_formatd(buf, (gint)size, fmt, v);
    if (si)
        strip_zeros(buf);
    if (strcmp(buf, "-0") == 0 || (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)))
        memmove(buf, buf + 1, strlen(buf));
}

/* ---- writing ---- */

/* a coordinate with one decimal, C locale */
static void num(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (fabs(v) < 0.05)
        v = 0.0;
    g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.1f", v));
}

/* text content or an attribute value: escaped, valid UTF-8, no control characters */
static void escaped(GString *out, const char *text, size_t max_chars)
{
    char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
    const glong len = g_utf8_strlen(valid, -1);
    if (max_chars > 1 && (size_t)len > max_chars) {
        char *cut = g_utf8_offset_to_pointer(valid, (glong)max_chars - 1);
        *cut = '\0';
    }
    for (const char *p = valid; *p != '\0'; p++) {
        const unsigned char c = (unsigned char)*p;
        switch (c) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        case '\'':
            g_string_append(out, "&apos;");
            break;
        default:
            g_string_append_c(out, c < 0x20 ? ' ' : (char)c);
        }
    }
    if (max_chars > 1 && (size_t)len > max_chars)
        g_string_append(out, "\xe2\x80\xa6"); /* an ellipsis */
    g_free(valid);
}

static void text_el(GString *out, double x, double y, const char *anchor, double size,
                    const char *weight, const char *text, size_t max_chars)
{
    g_string_append(out, "<text x=\"");
    num(out, x);
    g_string_append(out, "\" y=\"");
    num(out, y);
    g_string_append_printf(out, "\" font-size=\"%d\" text-anchor=\"%s\"", (int)size, anchor);
    if (weight != NULL)
        g_string_append_printf(out, " font-weight=\"%s\"", weight);
    g_string_append_c(out, '>');
    escaped(out, text, max_chars);
    g_string_append(out, "</text>\n");
}

/* The axes of one panel: data ranges mapped onto the plot rectangle. */
typedef struct {
    double x0, y0;     /* top-left corner of the plot rectangle */
    double xmin, xmax; /* data range shown */
    double ymin, ymax;
    double xticks[32], yticks[32];
    size_t n_xticks, n_yticks;
    double xstep, ystep;
} axes_t;

static double px(const axes_t *a, double x)
{
    return a->x0 + (x - a->xmin) / (a->xmax - a->xmin) * PLOT_W;
}

static double py(const axes_t *a, double y)
{
    return a->y0 + PLOT_H - (y - a->ymin) / (a->ymax - a->ymin) * PLOT_H;
}

static void include(double v, double *lo, double *hi)
{
    if (!isfinite(v))
        return;
    if (v < *lo)
        *lo = v;
    if (v > *hi)
        *hi = v;
}

/* Ranges and ticks of a panel; false when it has no finite point. */
static bool panel_axes(const ppo_svg_panel_t *panel, axes_t *a)
{
    double xlo = 0.0, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t s = 0; s < panel->n_series; s++) {
        const ppo_svg_series_t *sr = &panel->series[s];
        for (size_t i = 0; i < sr->n; i++) {
            if (!isfinite(sr->x[i]) || !isfinite(sr->y[i]))
                continue;
            include(sr->x[i], &xlo, &xhi);
            include(sr->y[i], &ylo, &yhi);
            if (sr->lo != NULL && sr->hi != NULL && isfinite(sr->lo[i]) && isfinite(sr->hi[i])) {
                include(sr->lo[i], &ylo, &yhi);
                include(sr->hi[i], &ylo, &yhi);
            }
        }
    }
    const bool any = isfinite(yhi);
    if (!any) {
        xhi = 1.0;
        ylo = 0.0;
        yhi = 1.0;
    }
    if (!(xhi > xlo))
        xhi = xlo + 1.0;
    a->n_xticks = ppo_svg_ticks(xlo, xhi, 6, a->xticks, G_N_ELEMENTS(a->xticks), &a->xstep);
    a->n_yticks = ppo_svg_ticks(ylo, yhi, 6, a->yticks, G_N_ELEMENTS(a->yticks), &a->ystep);
    /* x ends at the last step (a budget such as 150k is not stretched to 200k): ticks past it
     * are dropped */
    a->xmin = a->xticks[0];
    a->xmax = a->xticks[a->n_xticks - 1];
    if (any && xhi > a->xmin) {
        a->xmax = xhi;
        while (a->n_xticks > 2 && a->xticks[a->n_xticks - 1] > xhi * (1 + 1e-9))
            a->n_xticks--;
    }
    a->ymin = a->yticks[0];
    a->ymax = a->yticks[a->n_yticks - 1];
    return any;
}

static bool band_ok(const ppo_svg_series_t *s, size_t i)
{
    return s->lo != NULL && s->hi != NULL && isfinite(s->x[i]) && isfinite(s->y[i]) &&
           isfinite(s->lo[i]) && isfinite(s->hi[i]);
}

/* the band: one closed polygon per stretch of points that have one */
static void write_band(GString *out, const axes_t *a, const ppo_svg_series_t *s, const char *colour)
{
    GString *d = g_string_new(NULL);
    size_t i = 0;
    while (i < s->n) {
        if (!band_ok(s, i)) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < s->n && band_ok(s, j))
            j++;
        for (size_t k = i; k < j; k++) {
            g_string_append(d, k == i ? "M" : "L");
            num(d, px(a, s->x[k]));
            g_string_append_c(d, ' ');
            num(d, py(a, s->hi[k]));
        }
        for (size_t k = j; k-- > i;) {
            g_string_append_c(d, 'L');
            num(d, px(a, s->x[k]));
            g_string_append_c(d, ' ');
            num(d, py(a, s->lo[k]));
        }
        g_string_append_c(d, 'Z');
        i = j;
    }
    if (d->len > 0)
        g_string_append_printf(out,
                               "<path class=\"band\" d=\"%s\" fill=\"%s\" fill-opacity=\"0.2\" "
                               "stroke=\"none\"/>\n",
                               d->str, colour);
    g_string_free(d, TRUE);
}

static void dash_attr(GString *out, size_t index)
{
    const char *dash = dashes[index % G_N_ELEMENTS(dashes)];
    if (dash != NULL)
        g_string_append_printf(out, " stroke-dasharray=\"%s\"", dash);
}

/* the mean line; a non-finite y starts a new stretch */
static void write_line(GString *out, const axes_t *a, const ppo_svg_series_t *s, size_t index)
{
    GString *d = g_string_new(NULL);
    bool pen_down = false;
    for (size_t i = 0; i < s->n; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
            pen_down = false;
            continue;
        }
        g_string_append(d, pen_down ? "L" : "M");
        num(d, px(a, s->x[i]));
        g_string_append_c(d, ' ');
        num(d, py(a, s->y[i]));
        pen_down = true;
    }
    if (d->len > 0) {
        g_string_append_printf(out,
                               "<path class=\"mean\" d=\"%s\" fill=\"none\" stroke=\"%s\" "
                               "stroke-width=\"2\" stroke-linejoin=\"round\"",
                               d->str, palette[index % G_N_ELEMENTS(palette)]);
        dash_attr(out, index);
        g_string_append(out, "/>\n");
    }
    g_string_free(d, TRUE);
}

static void write_axes(GString *out, const axes_t *a, const ppo_svg_figure_t *fig)
{
    /* grid lines at every tick */
    g_string_append(out, "<path class=\"grid\" d=\"");
    for (size_t i = 0; i < a->n_xticks; i++) {
        g_string_append_c(out, 'M');
        num(out, px(a, a->xticks[i]));
        g_string_append_c(out, ' ');
        num(out, a->y0);
        g_string_append(out, "V");
        num(out, a->y0 + PLOT_H);
    }
    for (size_t i = 0; i < a->n_yticks; i++) {
        g_string_append_c(out, 'M');
        num(out, a->x0);
        g_string_append_c(out, ' ');
        num(out, py(a, a->yticks[i]));
        g_string_append(out, "H");
        num(out, a->x0 + PLOT_W);
    }
    g_string_append(out, "\" stroke=\"#d9d9d9\" stroke-width=\"1\" fill=\"none\"/>\n");

    /* tick labels */
    char label[64];
    for (size_t i = 0; i < a->n_xticks; i++) {
        ppo_svg_tick_label(label, sizeof(label), a->xticks[i], a->xstep, true);
        text_el(out, px(a, a->xticks[i]), a->y0 + PLOT_H + 18, "middle", 12, NULL, label, 0);
    }
    for (size_t i = 0; i < a->n_yticks; i++) {
        ppo_svg_tick_label(label, sizeof(label), a->yticks[i], a->ystep, false);
        text_el(out, a->x0 - 6, py(a, a->yticks[i]) + 4, "end", 12, NULL, label, 0);
    }

    /* axis titles */
    text_el(out, a->x0 + PLOT_W / 2, a->y0 + PLOT_H + 38, "middle", 14, NULL, fig->x_label, 0);
    const double ly = a->y0 + PLOT_H / 2;
    g_string_append(out, "<text x=\"18\" y=\"");
    num(out, ly);
    g_string_append(out, "\" font-size=\"14\" text-anchor=\"middle\" transform=\"rotate(-90 18 ");
    num(out, ly);
    g_string_append(out, ")\">");
    escaped(out, fig->y_label, 0);
    g_string_append(out, "</text>\n");
}

static void write_legend(GString *out, const ppo_svg_panel_t *panel, double top)
{
    const double col_w = PLOT_W / LEGEND_COLS;
    for (size_t s = 0; s < panel->n_series; s++) {
        const double x = MARGIN_L + (double)(s % LEGEND_COLS) * col_w;
        const double y = top + (double)(s / LEGEND_COLS) * LEGEND_ROW;
        const char *colour = palette[s % G_N_ELEMENTS(palette)];
        g_string_append(out, "<g class=\"legend-entry\">\n");
        if (panel->series[s].lo != NULL) {
            g_string_append(out, "<rect x=\"");
            num(out, x);
            g_string_append(out, "\" y=\"");
            num(out, y - 9);
            g_string_append_printf(out,
                                   "\" width=\"30\" height=\"12\" fill=\"%s\" "
                                   "fill-opacity=\"0.2\"/>\n",
                                   colour);
        }
        g_string_append(out, "<path d=\"M");
        num(out, x);
        g_string_append_c(out, ' ');
        num(out, y - 3);
        g_string_append(out, "h30\"");
        g_string_append_printf(out, " stroke=\"%s\" stroke-width=\"2\" fill=\"none\"", colour);
        dash_attr(out, s);
        g_string_append(out, "/>\n");
        text_el(out, x + 38, y + 1, "start", 13, NULL, panel->series[s].label, LEGEND_CHARS);
        g_string_append(out, "</g>\n");
    }
}

/* Height of a panel: its title, the plot, the x axis and the legend rows. */
static double panel_height(const ppo_svg_panel_t *panel)
{
    const size_t rows = (panel->n_series + LEGEND_COLS - 1) / LEGEND_COLS;
    return 30.0 + PLOT_H + 60.0 + (double)rows * LEGEND_ROW + 12.0;
}

static void write_panel(GString *out, const ppo_svg_figure_t *fig, const ppo_svg_panel_t *panel,
                        double top)
{
    axes_t a;
    memset(&a, 0, sizeof(a));
    a.x0 = MARGIN_L;
    a.y0 = top + 30.0;
    const bool any = panel_axes(panel, &a);
    g_string_append(out, "<g class=\"panel\">\n");
    if (panel->title != NULL)
        text_el(out, MARGIN_L, top + 18, "start", 15, "bold", panel->title, 0);
    write_axes(out, &a, fig);
    for (size_t s = 0; s < panel->n_series; s++)
        write_band(out, &a, &panel->series[s], palette[s % G_N_ELEMENTS(palette)]);
    for (size_t s = 0; s < panel->n_series; s++)
        write_line(out, &a, &panel->series[s], s);
    if (!any)
        text_el(out, a.x0 + PLOT_W / 2, a.y0 + PLOT_H / 2, "middle", 14, NULL,
                "no finished episodes to plot", 0);
    /* the frame on top of the grid and the bands */
    g_string_append(out, "<rect x=\"");
    num(out, a.x0);
    g_string_append(out, "\" y=\"");
    num(out, a.y0);
    g_string_append(out, "\" width=\"");
    num(out, PLOT_W);
    g_string_append(out, "\" height=\"");
    num(out, PLOT_H);
    g_string_append(out, "\" fill=\"none\" stroke=\"#000000\" stroke-width=\"1\"/>\n");
    write_legend(out, panel, a.y0 + PLOT_H + 62);
    g_string_append(out, "</g>\n");
}

char *ppo_svg_render(const ppo_svg_figure_t *fig)
{
    const double header = fig->subtitle != NULL ? 62.0 : 44.0;
    double height = header + 8.0;
    for (size_t p = 0; p < fig->n_panels; p++)
        height += panel_height(&fig->panels[p]);

    GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g_string_append(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"");
    num(out, FIG_W);
    g_string_append(out, "\" height=\"");
    num(out, height);
    g_string_append(out, "\" viewBox=\"0 0 ");
    num(out, FIG_W);
    g_string_append_c(out, ' ');
    num(out, height);
    g_string_append(out, "\" font-family=\"" FONT "\">\n");
    g_string_append(out, "<title>");
    escaped(out, fig->title, 0);
    g_string_append(out, "</title>\n");
    g_string_append(out,
                    "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    text_el(out, FIG_W / 2, 28, "middle", 18, "bold", fig->title, 0);
    if (fig->subtitle != NULL)
        text_el(out, FIG_W / 2, 50, "middle", 13, NULL, fig->subtitle, 0);
    double top = header;
    for (size_t p = 0; p < fig->n_panels; p++) {
        write_panel(out, fig, &fig->panels[p], top);
        top += panel_height(&fig->panels[p]);
    }
    g_string_append(out, "</svg>\n");
    return g_string_free(out, FALSE);
}
