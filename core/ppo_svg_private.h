/* ppofw core — learning-curve figures: their layout, written as SVG text or painted as PNG.
 *
 * A figure is a title and one or more panels stacked vertically; a panel is a set of series,
 * each a mean line with an optional shaded band (±1 std or standard error, the caller decides),
 * drawn on shared axes with "nice" ticks (1, 2 or 5 times a power of ten), grid lines, axis
 * labels and a legend below the plot. Series differ in colour (a palette that stays apart for
 * colour-blind readers) and in dash pattern, so a greyscale print keeps them apart too. The
 * output is a pure function of the input: no timestamps, no randomness, numbers printed with a
 * fixed precision in the C locale, so the same runs give the same bytes.
 *
 * The layout is computed once and handed to a canvas as paths, rectangles, texts and groups;
 * ppo_svg.c writes them as SVG and ppo_figure_png.c paints them with cairo, so both files show
 * the same picture. What it leaves out: reading runs and computing means (ppo_curves.c) and any
 * interactivity.
 */
#ifndef PPO_SVG_PRIVATE_H
#define PPO_SVG_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ppo_error_private.h"

/* One curve: the mean line and its band. Points with a non-finite y are gaps in the line;
 * points with a non-finite lo or hi have no band. */
typedef struct ppo_svg_series {
    const char *label; /* legend text (borrowed; cut to fit the legend column) */
    size_t n;          /* number of points */
    const double *x;   /* (n) env steps, ascending */
    const double *y;   /* (n) the mean */
    const double *lo;  /* (n) lower edge of the band, or NULL for no band */
    const double *hi;  /* (n) upper edge of the band, or NULL for no band */
} ppo_svg_series_t;

/* One plot area with its own y range. */
typedef struct ppo_svg_panel {
    const char *title;              /* shown above the plot; may be NULL */
    const ppo_svg_series_t *series; /* (n_series) borrowed */
    size_t n_series;
} ppo_svg_panel_t;

typedef struct ppo_svg_figure {
    const char *title;             /* first line at the top */
    const char *subtitle;          /* second line (what the band means); may be NULL */
    const char *x_label;           /* e.g. "environment steps" */
    const char *y_label;           /* e.g. "episode return" */
    const ppo_svg_panel_t *panels; /* (n_panels) borrowed */
    size_t n_panels;
} ppo_svg_figure_t;

/* The figure as a complete SVG document (transfer full: g_free). Deterministic. */
PPO_INTERNAL char *ppo_svg_render(const ppo_svg_figure_t *figure);

/* The same figure painted with cairo and written as a PNG of the SVG's size at `path`
 * (PPO_ERROR_IO when it cannot be written). Deterministic for a given cairo and set of fonts. */
PPO_INTERNAL bool ppo_svg_write_png(const ppo_svg_figure_t *figure, const char *path,
                                    GError **error);

/* Free the fonts cairo and fontconfig keep for the process after a PNG was painted (otherwise
 * held, and reported as leaked by valgrind and LeakSanitizer, until exit). Call it only when no
 * cairo object is alive any more, at the end of a program. */
PPO_INTERNAL void ppo_svg_png_release_fonts(void);

/* ---- the canvas a layout is drawn on (SVG text or cairo) ---- */

/* One step of a path, in px from the top-left corner, y down. */
typedef enum ppo_fig_op {
    PPO_FIG_MOVE,  /* start a stretch at (x, y) */
    PPO_FIG_LINE,  /* line to (x, y) */
    PPO_FIG_HLINE, /* horizontal line to x */
    PPO_FIG_VLINE, /* vertical line to y */
    PPO_FIG_HREL,  /* horizontal line by x */
    PPO_FIG_CLOSE, /* back to the stretch's start */
} ppo_fig_op_t;

typedef struct ppo_fig_cmd {
    ppo_fig_op_t op;
    double x, y;
} ppo_fig_cmd_t;

/* How a path or rectangle is painted. Colours are "#rrggbb"; NULL paints nothing. */
typedef struct ppo_fig_style {
    const char *cls;     /* SVG class attribute, or NULL */
    const char *fill;    /* fill colour, or NULL */
    double fill_opacity; /* 0..1 (0 taken as 1) */
    const char *stroke;  /* stroke colour, or NULL */
    double stroke_width; /* px */
    const char *dash;    /* SVG dash array such as "9 4", or NULL for solid */
    bool round_join;     /* round line joins */
} ppo_fig_style_t;

/* Text placement: `anchor` is "start", "middle" or "end"; `rotate` degrees about (x, y). */
typedef struct ppo_fig_text {
    double x, y;        /* the baseline's anchor point */
    const char *anchor; /* horizontal alignment */
    double size;        /* font size in px */
    bool bold;          /* bold weight */
    double rotate;      /* degrees, clockwise (0: none) */
} ppo_fig_text_t;

/* A drawing surface: called in painting order. `text` strings are valid UTF-8 without control
 * characters. */
typedef struct ppo_fig_canvas {
    void (*begin)(void *self, double width, double height, const char *title);
    void (*group)(void *self, const char *cls); /* start a group (NULL: end the open one) */
    void (*path)(void *self, const ppo_fig_style_t *style, const ppo_fig_cmd_t *cmds, size_t n);
    void (*rect)(void *self, const ppo_fig_style_t *style, double x, double y, double w, double h);
    void (*text)(void *self, const ppo_fig_text_t *place, const char *text);
    void (*end)(void *self);
    void *self;
} ppo_fig_canvas_t;

/* Lay the figure out on `canvas`. */
PPO_INTERNAL void ppo_svg_draw(const ppo_svg_figure_t *figure, const ppo_fig_canvas_t *canvas);

/* Tick positions for an axis over [lo, hi] with about `target` ticks: multiples of a step of
 * 1, 2 or 5 times a power of ten, from floor(lo/step)*step to ceil(hi/step)*step, so the first
 * and last tick enclose the range. Writes at most `cap` ticks and returns how many; *step_out
 * (may be NULL) receives the step. lo == hi is widened first. */
PPO_INTERNAL size_t ppo_svg_ticks(double lo, double hi, size_t target, double *ticks, size_t cap,
                                  double *step_out);

/* A tick label for `v` on an axis whose ticks are `step` apart: as many decimals as the step
 * needs and no more; with `si` set, thousands and millions as "50k" and "1.5M" (env steps). */
PPO_INTERNAL void ppo_svg_tick_label(char *buf, size_t size, double v, double step, bool si);

#endif /* PPO_SVG_PRIVATE_H */
