/* ppofw core — learning-curve figures as hand-written SVG.
 *
 * A figure is a title and one or more panels stacked vertically; a panel is a set of series,
 * each a mean line with an optional shaded band (±1 std or standard error, the caller decides),
 * drawn on shared axes with "nice" ticks (1, 2 or 5 times a power of ten), grid lines, axis
 * labels and a legend below the plot. Series differ in colour (a palette that stays apart for
 * colour-blind readers) and in dash pattern, so a greyscale print keeps them apart too. The
 * output is a pure function of the input: no timestamps, no randomness, numbers printed with a
 * fixed precision in the C locale, so the same runs give the same bytes.
 *
 * What it leaves out: reading runs and computing means (ppo_curves.c) and any interactivity.
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
