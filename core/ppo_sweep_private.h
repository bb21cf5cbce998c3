/* ppofw core — sweeps: a grid of pipeline variants run over several seeds (`ppofw sweep`).
 *
 * The sweep file (one per ablation, in configs/sweeps/):
 *
 *     name: ablation-advantage         # optional; default: the file's name
 *     base: ../cartpole.yaml           # a pipeline (relative to this file), or a list of them,
 *                                      # which is then the first grid axis
 *     grid:                            # dotted key -> list of values; cells are the cartesian
 *       advantage:                     # product (first axis slowest). A value may be a whole
 *         - { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }   # section
 *         - { plugin: mc,  params: { gamma: 0.99 } }
 *       ppo.clip: [0.1, 0.2]
 *       objective:                     # a key that is not a pipeline key names a variant
 *         - { ppo.objective: clip, ppo.clip: 0.1 }          # axis: each value is a mapping of
 *         - { ppo.objective: kl_fixed, ppo.kl_penalty_beta: 3 }   # dotted keys set together
 *     set: { ppo.total_steps: 200000 } # fixed overrides for every cell (applied after grid)
 *     seeds: [1, 2, 3, 4, 5]
 *     threshold: 475                   # optional: steps-to-threshold column; or one per base,
 *                                      # by file name: { cartpole: 475, acrobot: -85 }
 *
 * Each cell is its base pipeline plus `--set KEY=VALUE` overrides (the value written as flow
 * YAML), so a cell's run is exactly `ppofw run BASE --set ... --set seed=S`. A cell is named by
 * its axis values, "advantage=mc,ppo.clip=0.1": a section value by its plugin, a base by its
 * file name, a variant by its values joined with '-' ("objective=kl_fixed-3"), anything else by
 * its text, reduced to letters, digits and ._+- so the name is a safe directory name; values
 * that would share a label get -1, -2, ... appended.
 *
 * Loading checks the file itself (keys, types, seeds, that every grid and set key is a pipeline
 * key, that base files exist) with file:line:col positions. Validation then builds every cell's
 * pipeline and loads its plugins, so a typo in any cell is found before anything runs; an error
 * from a grid or set value points at that value in the sweep file and names the cell.
 *
 * What it leaves out: running the cells (ppo_sweep_run.c, same header) and the statistics and
 * figures (ppo_curves.c).
 */
#ifndef PPO_SWEEP_PRIVATE_H
#define PPO_SWEEP_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ppo_plugin_private.h"
#include "ppo_yaml_private.h"

/* One value of an axis: the overrides it applies. */
typedef struct ppo_sweep_value {
    char *label;          /* its part of cell names (safe, unique within the axis) */
    char *path;           /* "base" axis: absolute path of the pipeline; else NULL */
    GPtrArray *overrides; /* "KEY=FLOW" for --set (char *); one, or several on a variant axis */
    GArray *marks;        /* ppo_mark_t of each override's value in the sweep file */
} ppo_sweep_value_t;

/* One grid axis. */
typedef struct ppo_sweep_axis {
    char *key;           /* "base", a dotted pipeline key, or a variant axis's name */
    ppo_mark_t key_mark; /* where the key is written */
    bool variants;       /* each value is a mapping of several dotted keys */
    GPtrArray *values;   /* ppo_sweep_value_t * */
} ppo_sweep_axis_t;

/* One cell: a base pipeline and its overrides. */
typedef struct ppo_sweep_cell {
    char *name;             /* "advantage=mc,ppo.clip=0.1": a safe directory name */
    guint *choice;          /* (n_axes) the value taken on each axis */
    char *base;             /* absolute path of the base pipeline */
    GPtrArray *overrides;   /* "KEY=FLOW" for --set (char *): grid values, then set */
    GArray *override_marks; /* ppo_mark_t of each override's value in the sweep file */
    double threshold;       /* steps-to-threshold return (NaN: none) */
    uint64_t total_steps;   /* ppo.total_steps (filled by validation) */
    uint32_t threads;       /* ppo.threads (filled by validation) */
} ppo_sweep_cell_t;

typedef struct ppo_sweep {
    char *path;            /* the sweep file as given */
    char *name;            /* `name:` or the file's stem */
    char *text;            /* the file's text */
    ppo_ydoc_t *doc;       /* the parsed file (marks point into it) */
    GPtrArray *axes;       /* ppo_sweep_axis_t *; "base" first when it is a list */
    GPtrArray *cells;      /* ppo_sweep_cell_t *, first axis slowest */
    GArray *seeds;         /* uint64_t, in file order */
    ppo_mark_t seeds_mark; /* where seeds: is written */
    bool threads_fixed;    /* grid or set decides ppo.threads */
    bool base_is_axis;     /* base: is a list */
} ppo_sweep_t;

/* Read and check a sweep file and make its cells. (transfer full: ppo_sweep_free)
 * PPO_ERROR_PIPELINE with "file:line:col: key: what was expected, what was found". */
PPO_INTERNAL ppo_sweep_t *ppo_sweep_load(const char *path, GError **error);
PPO_INTERNAL void ppo_sweep_free(ppo_sweep_t *sweep);

/* Build every cell's pipeline (with the first seed) and load and check its plugins through
 * `search`; fills each cell's total_steps and threads. Stops at the first failing cell: its
 * error, rewritten to point at the sweep file where the value came from, names the cell and
 * how many other cells fail too. */
PPO_INTERNAL bool ppo_sweep_validate(ppo_sweep_t *sweep, const ppo_search_t *search,
                                     GError **error);

/* "<cell>-s<seed>": the run's directory name under OUT/runs/ (transfer full). */
PPO_INTERNAL char *ppo_sweep_run_name(const ppo_sweep_cell_t *cell, uint64_t seed);

/* cells.csv: cell, base, and the overrides as shell-quoted --set arguments (transfer full). */
PPO_INTERNAL char *ppo_sweep_cells_csv(const ppo_sweep_t *sweep);

/* A node as one line of flow YAML that parses back to the same node (transfer full). */
PPO_INTERNAL char *ppo_sweep_flow(const ppo_ynode_t *node);

/* A mapping flattened to dotted keys: (key, flow value) pairs in document order, as a flat
 * array k0, v0, k1, v1, ... of owned strings. Nested mappings are walked; everything else is a
 * value. (transfer full) */
PPO_INTERNAL GPtrArray *ppo_sweep_flatten(const ppo_ynode_t *root);

/* `text` reduced to letters, digits and ._+- (others become '_', brackets and quotes are
 * dropped, runs of '_' collapse), with an "x" in front when it would be empty or start with a
 * dot (transfer full). */
PPO_INTERNAL char *ppo_sweep_slug(const char *text);

/* Append `s` as one CSV field: as it is, or quoted (inner quotes doubled) when it holds a comma,
 * a quote or a line break. NULL appends nothing (an empty field). */
PPO_INTERNAL void ppo_csv_field(GString *out, const char *s);

/* ---- running (ppo_sweep_run.c) ---- */

typedef struct ppo_sweep_options {
    const char *exe;                /* the ppofw program to start runs with */
    const char *out_dir;            /* NULL: sweeps/<name>-<YYYYmmdd-HHMMSS> */
    uint32_t jobs;                  /* runs at once, >= 1 */
    const char *const *plugin_path; /* --plugin-path for every run (NULL-terminated; may be
                                       NULL) */
    const char *command_line;       /* for summary.md */
    bool quiet;                     /* no progress output */
} ppo_sweep_options_t;

typedef struct ppo_sweep_result {
    char *out_dir;      /* the output directory (transfer full), once known */
    uint32_t n_runs;    /* cells x seeds */
    uint32_t n_skipped; /* done before this invocation */
    uint32_t n_done;    /* done now, including skipped */
    uint32_t n_failed;  /* failed (in their last attempt) */
    int first_failure;  /* exit code of the first failed run (in run order) */
} ppo_sweep_result_t;

/* What the time-left estimate knows of one run (ppo_sweep_eta.c). */
typedef struct ppo_sweep_eta_run {
    uint32_t cell;        /* its cell's index */
    bool finished;        /* done or failed: nothing left to run */
    bool running;         /* running now */
    double steps_left;    /* env steps it has still to run */
    double steps_timed;   /* env steps whose wall time is known (0: none) */
    double seconds_timed; /* that wall time */
} ppo_sweep_eta_run_t;

/* Seconds until the runs left are done, `jobs` at a time: each run's steps left priced at its
 * cell's seconds per step (from the cell's finished runs, else its running ones, else every
 * finished run, else every timed run), the running runs first on their slots, then the others in
 * array order on whichever slot frees first. NaN when no run has been timed. */
PPO_INTERNAL double ppo_sweep_eta(const ppo_sweep_eta_run_t *runs, size_t n, uint32_t jobs);

/* Run every cell x seed that is not done yet as child processes `exe run ...`, `jobs` at a
 * time, each in OUT/runs/<cell>-s<seed>/ with its stderr in stderr.log and its outcome in
 * run-status.yaml; a run with a checkpoint is continued with --resume. Then write OUT/runs.csv,
 * summary.csv, summary.md and curves.svg. Failed runs do not stop the others and are not an
 * error (see result->n_failed). SIGINT/SIGTERM stop the sweep: running children get the
 * signal, checkpoint and stop, and the error is PPO_ERROR_INTERRUPTED. The caller must have
 * validated the sweep. */
PPO_INTERNAL bool ppo_sweep_execute(const ppo_sweep_t *sweep, const ppo_sweep_options_t *opt,
                                    ppo_sweep_result_t *result, GError **error);

PPO_INTERNAL void ppo_sweep_result_clear(ppo_sweep_result_t *result);

#endif /* PPO_SWEEP_PRIVATE_H */
