/* ppofw core — the layout of learning-curve figures, and its SVG writer (see ppo_svg_private.h).
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

/* ---- layout ---- */

/* text as the canvas takes it: valid UTF-8, control characters as spaces, cut to max_chars
 * (0: no limit) with an ellipsis (transfer full) */
static char *clean_text(const char *text, size_t max_chars)
{
    char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
    const glong len = g_utf8_strlen(valid, -1);
    const bool cut = max_chars > 1 && (size_t)len > max_chars;
    if (cut)
        *g_utf8_offset_to_pointer(valid, (glong)max_chars - 1) = '\0';
    for (char *p = valid; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    if (!cut)
        return valid;
    char *out = g_strconcat(valid, "\xe2\x80\xa6", NULL); /* an ellipsis */
    g_free(valid);
    return out;
}

/* The canvas and a reusable list of path commands. */
typedef struct {
    const ppo_fig_canvas_t *cv;
    GArray *cmds; /* ppo_fig_cmd_t */
} lay_t;

static void cmd(lay_t *l, ppo_fig_op_t op, double x, double y)
{
    const ppo_fig_cmd_t c = {op, x, y};
    g_array_append_val(l->cmds, c);
}

/* paint the collected commands (if any) and start a new list */
static void flush_path(lay_t *l, const ppo_fig_style_t *style)
{
    if (l->cmds->len > 0)
        l->cv->path(l->cv->self, style, (const ppo_fig_cmd_t *)l->cmds->data, l->cmds->len);
    g_array_set_size(l->cmds, 0);
}

static void text_at(lay_t *l, double x, double y, const char *anchor, double size, bool bold,
                    const char *text, size_t max_chars)
{
    const ppo_fig_text_t place = {.x = x, .y = y, .anchor = anchor, .size = size, .bold = bold};
    char *clean = clean_text(text, max_chars);
    l->cv->text(l->cv->self, &place, clean);
    g_free(clean);
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
static void draw_band(lay_t *l, const axes_t *a, const ppo_svg_series_t *s, const char *colour)
{
    size_t i = 0;
    while (i < s->n) {
        if (!band_ok(s, i)) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < s->n && band_ok(s, j))
            j++;
        for (size_t k = i; k < j; k++)
            cmd(l, k == i ? PPO_FIG_MOVE : PPO_FIG_LINE, px(a, s->x[k]), py(a, s->hi[k]));
        for (size_t k = j; k-- > i;)
            cmd(l, PPO_FIG_LINE, px(a, s->x[k]), py(a, s->lo[k]));
        cmd(l, PPO_FIG_CLOSE, 0, 0);
        i = j;
    }
    const ppo_fig_style_t style = {.cls = "band", .fill = colour, .fill_opacity = 0.2};
    flush_path(l, &style);
}

/* the mean line; a non-finite y starts a new stretch */
static void draw_line(lay_t *l, const axes_t *a, const ppo_svg_series_t *s, size_t index)
{
    bool pen_down = false;
    for (size_t i = 0; i < s->n; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
            pen_down = false;
            continue;
        }
        cmd(l, pen_down ? PPO_FIG_LINE : PPO_FIG_MOVE, px(a, s->x[i]), py(a, s->y[i]));
        pen_down = true;
    }
    const ppo_fig_style_t style = {
        .cls = "mean",
        .stroke = palette[index % G_N_ELEMENTS(palette)],
        .stroke_width = 2,
        .dash = dashes[index % G_N_ELEMENTS(dashes)],
        .round_join = true,
    };
    flush_path(l, &style);
}

static void draw_axes(lay_t *l, const axes_t *a, const ppo_svg_figure_t *fig)
{
    /* grid lines at every tick */
    for (size_t i = 0; i < a->n_xticks; i++) {
        cmd(l, PPO_FIG_MOVE, px(a, a->xticks[i]), a->y0);
        cmd(l, PPO_FIG_VLINE, 0, a->y0 + PLOT_H);
    }
    for (size_t i = 0; i < a->n_yticks; i++) {
        cmd(l, PPO_FIG_MOVE, a->x0, py(a, a->yticks[i]));
        cmd(l, PPO_FIG_HLINE, a->x0 + PLOT_W, 0);
    }
    const ppo_fig_style_t grid = {.cls = "grid", .stroke = "#d9d9d9", .stroke_width = 1};
    flush_path(l, &grid);

    /* tick labels */
    char label[64];
    for (size_t i = 0; i < a->n_xticks; i++) {
        ppo_svg_tick_label(label, sizeof(label), a->xticks[i], a->xstep, true);
        text_at(l, px(a, a->xticks[i]), a->y0 + PLOT_H + 18, "middle", 12, false, label, 0);
    }
    for (size_t i = 0; i < a->n_yticks; i++) {
        ppo_svg_tick_label(label, sizeof(label), a->yticks[i], a->ystep, false);
        text_at(l, a->x0 - 6, py(a, a->yticks[i]) + 4, "end", 12, false, label, 0);
    }

    /* axis titles, the y one turned to read upwards */
    text_at(l, a->x0 + PLOT_W / 2, a->y0 + PLOT_H + 38, "middle", 14, false, fig->x_label, 0);
    const ppo_fig_text_t y_title = {
        .x = 18, .y = a->y0 + PLOT_H / 2, .anchor = "middle", .size = 14, .rotate = -90};
    char *clean = clean_text(fig->y_label, 0);
    l->cv->text(l->cv->self, &y_title, clean);
    g_free(clean);
}

static void draw_legend(lay_t *l, const ppo_svg_panel_t *panel, double top)
{
    const double col_w = PLOT_W / LEGEND_COLS;
    for (size_t s = 0; s < panel->n_series; s++) {
        const double x = MARGIN_L + (double)(s % LEGEND_COLS) * col_w;
        const double y = top + (double)(s / LEGEND_COLS) * LEGEND_ROW;
        const char *colour = palette[s % G_N_ELEMENTS(palette)];
        l->cv->group(l->cv->self, "legend-entry");
        if (panel->series[s].lo != NULL) {
            const ppo_fig_style_t swatch = {.fill = colour, .fill_opacity = 0.2};
            l->cv->rect(l->cv->self, &swatch, x, y - 9, 30, 12);
        }
        cmd(l, PPO_FIG_MOVE, x, y - 3);
        cmd(l, PPO_FIG_HREL, 30, 0);
        const ppo_fig_style_t line = {
            .stroke = colour, .stroke_width = 2, .dash = dashes[s % G_N_ELEMENTS(dashes)]};
        flush_path(l, &line);
        text_at(l, x + 38, y + 1, "start", 13, false, panel->series[s].label, LEGEND_CHARS);
        l->cv->group(l->cv->self, NULL);
    }
}

/* Height of a panel: its title, the plot, the x axis and the legend rows. */
static double panel_height(const ppo_svg_panel_t *panel)
{
    const size_t rows = (panel->n_series + LEGEND_COLS - 1) / LEGEND_COLS;
    return 30.0 + PLOT_H + 60.0 + (double)rows * LEGEND_ROW + 12.0;
}

static void draw_panel(lay_t *l, const ppo_svg_figure_t *fig, const ppo_svg_panel_t *panel,
                       double top)
{
    axes_t a;
    memset(&a, 0, sizeof(a));
    a.x0 = MARGIN_L;
    a.y0 = top + 30.0;
    const bool any = panel_axes(panel, &a);
    l->cv->group(l->cv->self, "panel");
    if (panel->title != NULL)
        text_at(l, MARGIN_L, top + 18, "start", 15, true, panel->title, 0);
    draw_axes(l, &a, fig);
    for (size_t s = 0; s < panel->n_series; s++)
        draw_band(l, &a, &panel->series[s], palette[s % G_N_ELEMENTS(palette)]);
    for (size_t s = 0; s < panel->n_series; s++)
        draw_line(l, &a, &panel->series[s], s);
    if (!any)
        text_at(l, a.x0 + PLOT_W / 2, a.y0 + PLOT_H / 2, "middle", 14, false,
                "no finished episodes to plot", 0);
    /* the frame on top of the grid and the bands */
    const ppo_fig_style_t frame = {.stroke = "#000000", .stroke_width = 1};
    l->cv->rect(l->cv->self, &frame, a.x0, a.y0, PLOT_W, PLOT_H);
    draw_legend(l, panel, a.y0 + PLOT_H + 62);
    l->cv->group(l->cv->self, NULL);
}

void ppo_svg_draw(const ppo_svg_figure_t *fig, const ppo_fig_canvas_t *canvas)
{
    const double header = fig->subtitle != NULL ? 62.0 : 44.0;
    double height = header + 8.0;
    for (size_t p = 0; p < fig->n_panels; p++)
        height += panel_height(&fig->panels[p]);

    lay_t l = {.cv = canvas, .cmds = g_array_new(FALSE, FALSE, sizeof(ppo_fig_cmd_t))};
    char *title = clean_text(fig->title, 0);
    canvas->begin(canvas->self, FIG_W, height, title);
    g_free(title);
    text_at(&l, FIG_W / 2, 28, "middle", 18, true, fig->title, 0);
    if (fig->subtitle != NULL)
        text_at(&l, FIG_W / 2, 50, "middle", 13, false, fig->subtitle, 0);
    double top = header;
    for (size_t p = 0; p < fig->n_panels; p++) {
        draw_panel(&l, fig, &fig->panels[p], top);
        top += panel_height(&fig->panels[p]);
    }
    canvas->end(canvas->self);
    g_array_free(l.cmds, TRUE);
}

/* ---- the SVG canvas ---- */

/* a coordinate with one decimal, C locale */
static void num(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (fabs(v) < 0.05)
        v = 0.0;
    g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.1f", v));
}

/* text content or an attribute value, XML-escaped */
static void escaped(GString *out, const char *text)
{
    char *e = g_markup_escape_text(text, -1);
    g_string_append(out, e);
    g_free(e);
}

static void svg_begin(void *self, double width, double height, const char *title)
{
    GString *out = self;
    g_string_append(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g_string_append(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"");
    num(out, width);
    g_string_append(out, "\" height=\"");
    num(out, height);
    g_string_append(out, "\" viewBox=\"0 0 ");
    num(out, width);
    g_string_append_c(out, ' ');
    num(out, height);
    g_string_append(out, "\" font-family=\"" FONT "\">\n<title>");
    escaped(out, title);
    g_string_append(out, "</title>\n");
    g_string_append(out,
                    "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
}

static void svg_group(void *self, const char *cls)
{
    GString *out = self;
    if (cls != NULL)
        g_string_append_printf(out, "<g class=\"%s\">\n", cls);
    else
        g_string_append(out, "</g>\n");
}

/* the paint attributes of a path or rectangle */
static void svg_style(GString *out, const ppo_fig_style_t *st)
{
    g_string_append_printf(out, " fill=\"%s\"", st->fill != NULL ? st->fill : "none");
    if (st->fill != NULL && st->fill_opacity > 0 && st->fill_opacity < 1) {
        g_string_append(out, " fill-opacity=\"");
        num(out, st->fill_opacity);
        g_string_append_c(out, '"');
    }
    g_string_append_printf(out, " stroke=\"%s\"", st->stroke != NULL ? st->stroke : "none");
    if (st->stroke != NULL)
        g_string_append_printf(out, " stroke-width=\"%g\"", st->stroke_width);
    if (st->stroke != NULL && st->round_join)
        g_string_append(out, " stroke-linejoin=\"round\"");
    if (st->stroke != NULL && st->dash != NULL)
        g_string_append_printf(out, " stroke-dasharray=\"%s\"", st->dash);
    g_string_append(out, "/>\n");
}

static void svg_path(void *self, const ppo_fig_style_t *style, const ppo_fig_cmd_t *cmds, size_t n)
{
    static const char letter[] = {'M', 'L', 'H', 'V', 'h', 'Z'};
    GString *out = self;
    g_string_append(out, "<path");
    if (style->cls != NULL)
        g_string_append_printf(out, " class=\"%s\"", style->cls);
    g_string_append(out, " d=\"");
    for (size_t i = 0; i < n; i++) {
        g_string_append_c(out, letter[cmds[i].op]);
        switch (cmds[i].op) {
        case PPO_FIG_MOVE:
        case PPO_FIG_LINE:
            num(out, cmds[i].x);
            g_string_append_c(out, ' ');
            num(out, cmds[i].y);
            break;
        case PPO_FIG_HLINE:
        case PPO_FIG_HREL:
            num(out, cmds[i].x);
            break;
        case PPO_FIG_VLINE:
            num(out, cmds[i].y);
            break;
        case PPO_FIG_CLOSE:
            break;
        }
    }
    g_string_append_c(out, '"');
    svg_style(out, style);
}

static void svg_rect(void *self, const ppo_fig_style_t *style, double x, double y, double w,
                     double h)
{
    GString *out = self;
    g_string_append(out, "<rect x=\"");
    num(out, x);
    g_string_append(out, "\" y=\"");
    num(out, y);
    g_string_append(out, "\" width=\"");
    num(out, w);
    g_string_append(out, "\" height=\"");
    num(out, h);
    g_string_append_c(out, '"');
    svg_style(out, style);
}

static void svg_text(void *self, const ppo_fig_text_t *place, const char *text)
{
    GString *out = self;
    g_string_append(out, "<text x=\"");
    num(out, place->x);
    g_string_append(out, "\" y=\"");
    num(out, place->y);
    g_string_append_printf(out, "\" font-size=\"%d\" text-anchor=\"%s\"", (int)place->size,
                           place->anchor);
    if (place->bold)
        g_string_append(out, " font-weight=\"bold\"");
    if (place->rotate != 0) {
        g_string_append_printf(out, " transform=\"rotate(%g ", place->rotate);
        num(out, place->x);
        g_string_append_c(out, ' ');
        num(out, place->y);
        g_string_append(out, ")\"");
    }
    g_string_append_c(out, '>');
    escaped(out, text);
    g_string_append(out, "</text>\n");
}

static void svg_end(void *self)
{
    g_string_append((GString *)self, "</svg>\n");
}

char *ppo_svg_render(const ppo_svg_figure_t *fig)
{
    GString *out = g_string_new(NULL);
    const ppo_fig_canvas_t canvas = {svg_begin, svg_group, svg_path, svg_rect,
                                     svg_text,  svg_end,   out};
    ppo_svg_draw(fig, &canvas);
    return g_string_free(out, FALSE);
}
