/* ppofw core — learning curves of finished runs: reading them, comparing them across seeds,
 * and the reports a sweep or `ppofw plot` writes from them.
 *
 * A curve is a run's metrics.csv reduced to (global_step, ep_return_mean) for the rows that have
 * a return, plus its last step and wall time; or its episodes.csv smoothed over the last N
 * episodes. Across the seeds of one cell (or one group of runs)
 * the report gives the final return's mean, sample standard deviation and 95% confidence interval
 * (Student t with n - 1 degrees of freedom), the difference of that mean from the first group of
 * the same panel with Welch's 95% interval, the steps to reach a threshold (per seed, and the mean
 * over the seeds that reached it), the area under the learning curve normalized by the steps it
 * spans (the mean return over training), and the wall time. The figure is a mean line with a
 * ±1 standard error (or standard deviation) band per group on the union of the runs' step grids,
 * each run linearly interpolated and counted only inside its own step range.
 *
 * What it leaves out: running anything (ppo_sweep_run.c) and drawing (ppo_svg.c, ppo_figure_png.c).
 */
#ifndef PPO_CURVES_PRIVATE_H
#define PPO_CURVES_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ppo_error_private.h"

/* One run's learning curve. */
typedef struct ppo_curve {
    size_t n;           /* rows that have an episode return */
    double *steps;      /* (n) global_step of those rows, ascending */
    double *returns;    /* (n) their ep_return_mean */
    uint64_t last_step; /* global_step of the last row, with or without a return (0: none) */
    double time_s;      /* time_s of the last row (NaN: no rows) */
} ppo_curve_t;

/* Read RUN_DIR/metrics.csv (columns found by name; a cut last line is ignored).
 * (transfer full: ppo_curve_free) PPO_ERROR_IO when the file cannot be read or has no
 * global_step/ep_return_mean/time_s columns. */
PPO_INTERNAL ppo_curve_t *ppo_curve_load(const char *run_dir, GError **error);
/* The curve of RUN_DIR/episodes.csv smoothed over episodes: at each step where episodes ended,
 * the mean return of the last `window` (>= 1) episodes (of those finished, while fewer), after
 * the last episode of that step; last_step and time_s from the last episode. The same errors as
 * ppo_curve_load (the columns global_step, return and time_s). */
PPO_INTERNAL ppo_curve_t *ppo_curve_load_episodes(const char *run_dir, uint32_t window,
                                                  GError **error);
PPO_INTERNAL void ppo_curve_free(ppo_curve_t *curve);

/* The last return (NaN without one). */
PPO_INTERNAL double ppo_curve_final(const ppo_curve_t *curve);
/* The first global_step whose return is >= threshold (NaN: never). */
PPO_INTERNAL double ppo_curve_steps_to(const ppo_curve_t *curve, double threshold);
/* Trapezoid area under return-vs-steps divided by the steps it spans: the mean return over
 * training (the only return for a one-row curve; NaN without returns). */
PPO_INTERNAL double ppo_curve_auc(const ppo_curve_t *curve);

/* Quantile of Student's t distribution with `df` > 0 degrees of freedom, for 0 < p < 1. */
PPO_INTERNAL double ppo_student_t_quantile(double p, double df);

/* Mean, sample standard deviation (n - 1) and the 95% confidence interval of a sample. NaN
 * entries are skipped; with n = 0 everything is NaN, with n = 1 std, sem and the interval are. */
typedef struct ppo_sample_stats {
    size_t n;
    double mean;
    double std;
    double sem;          /* std / sqrt(n) */
    double ci_lo, ci_hi; /* mean -+ t(0.975, n - 1) * sem */
} ppo_sample_stats_t;

PPO_INTERNAL void ppo_sample_stats(const double *values, size_t n, ppo_sample_stats_t *out);

/* The difference of two independent sample means, a - b, with Welch's 95% confidence interval:
 * diff -+ t(0.975, df) * sqrt(a.std^2 / a.n + b.std^2 / b.n), df by the Welch-Satterthwaite
 * equation. Everything is NaN unless both samples have n >= 2; when both are constant the
 * interval is the point (df NaN). */
typedef struct ppo_mean_diff {
    double diff;         /* a.mean - b.mean */
    double ci_lo, ci_hi; /* the 95% interval */
    double df;           /* Welch-Satterthwaite degrees of freedom */
} ppo_mean_diff_t;

PPO_INTERNAL void ppo_welch_diff(const ppo_sample_stats_t *a, const ppo_sample_stats_t *b,
                                 ppo_mean_diff_t *out);

typedef enum { PPO_BAND_STDERR = 0, PPO_BAND_STD = 1 } ppo_band_kind_t;

/* The mean curve of several runs and its band, on the union of their steps (at most
 * `max_points` of them, evenly chosen, always keeping the last). At each step only the runs
 * whose own range covers it count; the band is NaN where fewer than two do. */
typedef struct ppo_band {
    size_t n;
    double *x;       /* (n) steps */
    double *mean;    /* (n) NaN where no run covers the step */
    double *lo, *hi; /* (n) mean -+ std or standard error */
    uint32_t *count; /* (n) runs counted */
} ppo_band_t;

/* (transfer full: ppo_band_free) */
PPO_INTERNAL ppo_band_t *ppo_band_new(const ppo_curve_t *const *curves, size_t n_curves,
                                      ppo_band_kind_t kind, size_t max_points);
PPO_INTERNAL void ppo_band_free(ppo_band_t *band);

/* A group of runs in a report: a sweep cell, or runs `ppofw plot` found identical apart from
 * the seed. */
typedef struct ppo_report_group {
    char *name;           /* cell name (summary tables; the legend too unless `legend`) */
    char *legend;         /* legend label in the figure (NULL: name) */
    char *panel;          /* panel the group is drawn in (NULL: the only one) */
    char **axis_values;   /* (n_axes of the report) value labels for summary.csv, or NULL */
    GPtrArray *curves;    /* ppo_curve_t * of the runs that finished (owned) */
    GPtrArray *run_names; /* run directory names of those curves (char *, owned) */
    GArray *seeds;        /* uint64_t seed of each curve's run, when known (a sweep fills it;
                             otherwise empty) */
    double threshold;     /* return for the steps-to-threshold columns (NaN: none) */
    uint32_t n_runs;      /* runs planned, finished or not */
    uint32_t n_failed;    /* runs that failed */
} ppo_report_group_t;

/* (transfer full: ppo_report_group_free) */
PPO_INTERNAL ppo_report_group_t *ppo_report_group_new(const char *name, const char *panel);
PPO_INTERNAL void ppo_report_group_free(ppo_report_group_t *group);

/* What the summary says about one group. */
typedef struct ppo_group_summary {
    ppo_sample_stats_t final;        /* final return */
    ppo_sample_stats_t auc;          /* normalized area under the curve */
    ppo_sample_stats_t wall;         /* wall time in seconds */
    ppo_sample_stats_t to_threshold; /* steps to the threshold, over the runs that reached it */
    size_t reached;                  /* runs that reached the threshold */
} ppo_group_summary_t;

PPO_INTERNAL void ppo_group_summarize(const ppo_report_group_t *group, ppo_group_summary_t *out);

/* A report: groups in order and the names of the axes whose values each group carries. */
typedef struct ppo_report {
    const char *title; /* the sweep's name or the plot's title */
    GPtrArray *groups; /* ppo_report_group_t * (owned) */
    char **axes;       /* axis names for summary.csv columns (NULL-terminated; may be
                          NULL) */
} ppo_report_t;

/* summary.csv: one row per group (transfer full). Columns: cell, one per axis, runs, done,
 * failed, final_return_mean, final_return_std, final_return_ci95_low, final_return_ci95_high,
 * threshold, threshold_reached, steps_to_threshold_mean, auc_mean, auc_std, wall_time_s_mean,
 * compared_to (the first group of the same panel, empty for that group itself),
 * final_return_diff, final_return_diff_ci95_low, final_return_diff_ci95_high (ppo_welch_diff of
 * the two final returns); an empty cell where a value does not exist. */
PPO_INTERNAL char *ppo_report_csv(const ppo_report_t *report);

/* The group each group is compared with: the first group of the same panel (itself for that
 * one). (transfer none) */
PPO_INTERNAL const ppo_report_group_t *ppo_report_reference(const ppo_report_t *report,
                                                            const ppo_report_group_t *group);

/* summary.md: the same as a Markdown table, with `preamble` (Markdown, may be NULL) after the
 * title and the figure linked as `figure` (may be NULL); when groups have a threshold and seeds,
 * a second table gives each seed's steps to the threshold. Failed runs are listed by the caller
 * in `failures` (Markdown, may be NULL). (transfer full) */
PPO_INTERNAL char *ppo_report_markdown(const ppo_report_t *report, const char *preamble,
                                       const char *figure, const char *failures);

/* The learning-curve figure of a report: one panel per distinct `panel` (in order of first
 * appearance), a series per group labelled "NAME (n=K)". (transfer full) */
PPO_INTERNAL char *ppo_report_svg(const ppo_report_t *report, const char *subtitle,
                                  ppo_band_kind_t band);

/* The same figure painted as a PNG file at `path` (PPO_ERROR_IO when it cannot be written). */
PPO_INTERNAL bool ppo_report_png(const ppo_report_t *report, const char *subtitle,
                                 ppo_band_kind_t band, const char *path, GError **error);

/* Group run directories whose resolved pipeline.yaml is the same apart from `seed` (and
 * `ppo.threads`, which never changes results), for `ppofw plot`. Groups are labelled by the
 * keys that differ between groups of the same env (X.plugin shown as "X=NAME"), and put in one
 * panel per env plugin. Curves come from metrics.csv (`window` 0), or from episodes.csv smoothed
 * over the last `window` episodes; a run without the readable file is an error. (transfer full:
 * ppo_report_free; the report's title is NULL) */
PPO_INTERNAL ppo_report_t *ppo_report_from_runs(const char *const *run_dirs, size_t n,
                                                uint32_t window, GError **error);

PPO_INTERNAL void ppo_report_free(ppo_report_t *report);

#endif /* PPO_CURVES_PRIVATE_H */
