/* ppofw tests — shared helpers for Check suites.
 *
 * Loading real plugins from the build tree (with the core's own loader and checks), validated
 * parameter blocks from flow YAML, the paths of reference data, and a small CSV reader for the
 * reference files in tests/data/. Each helper aborts the running test with a clear message on
 * failure, so tests stay short.
 */
#ifndef PPO_TEST_H
#define PPO_TEST_H

#include <check.h>
#include <glib.h>

#include <ppofw/ppofw.h>

#include "ppo_params_private.h"
#include "ppo_plugin_private.h"

/* Load a plugin by name (search path: PPOFW_PLUGIN_PATH, then the build tree). Aborts the test
 * when it cannot be loaded. (transfer none) */
ppo_plugin_t *ppo_test_plugin(const char *name);

/* Validated params for a plugin from flow YAML such as "{gamma: 0.9}" or "" (all defaults).
 * Aborts the test on a validation error. Free with ppo_params_free. */
ppo_params_t *ppo_test_params(const ppo_plugin_t *plugin, const char *flow_yaml);

/* Check an optimizer's step_range contract on a fresh instance made from `flow_yaml`: over
 * three steps of 45 elements with varied gradients, step_range on [0, 16), [16, 32), [32, 45)
 * (the core's splits start at multiples of 16) leaves the parameters and every state block bit
 * for bit as one step() call does, and writes nothing outside its range. */
void ppo_test_step_range_matches_step(const char *plugin_name, const char *flow_yaml);

/* A fresh temporary directory, its canonical path (transfer full); fails the test when it
 * cannot be made. Remove it with ppo_test_rm_tree. */
char *ppo_test_tmpdir(void);

/* Remove a file or a directory tree (symbolic links removed, not followed); what cannot be
 * removed stays. */
void ppo_test_rm_tree(const char *path);

/* Run the program argv (NULL-terminated, argv[0] found on PATH or a path); fails the test with
 * its output unless it exits 0. */
void ppo_test_run_ok(char **argv);

/* Absolute path of a file in the source tree's tests/data/ (transfer full). */
char *ppo_test_data_path(const char *file);

/* Absolute path of a file in the source tree (transfer full). */
char *ppo_test_src_path(const char *relpath);

/* A CSV file with a header row. Cells are kept as text; ppo_csv_num parses with strtod, which
 * recovers Python repr() floats bit for bit. */
typedef struct ppo_csv {
    guint n_cols;
    char **header;      /* (n_cols) */
    GPtrArray *rows;    /* each a char ** of n_cols cells */
} ppo_csv_t;

/* Load a CSV (aborts the test if it cannot be read or a row has the wrong number of cells). */
ppo_csv_t *ppo_csv_load(const char *path);
void ppo_csv_free(ppo_csv_t *csv);
/* Column index of `name`, or -1. */
int ppo_csv_col(const ppo_csv_t *csv, const char *name);
/* Number of columns whose name starts with `prefix` followed by a digit (s0..sK -> K+1). */
guint ppo_csv_count_prefix(const ppo_csv_t *csv, const char *prefix);
const char *ppo_csv_str(const ppo_csv_t *csv, guint row, int col);
double ppo_csv_num(const ppo_csv_t *csv, guint row, int col);

/* A trainer built from pipeline text the way `ppofw run` builds one (search path, session,
 * trainer), for tests of the training loop. */
typedef struct ppo_test_trainer {
    struct ppo_search *search;
    struct ppo_pipeline *pipeline;
    struct ppo_session *session;
    struct ppo_trainer *trainer;
} ppo_test_trainer_t;

/* Build from pipeline YAML text and --set style overrides (NULL-terminated, may be NULL);
 * aborts the test on any error. Free with ppo_test_trainer_close. */
void ppo_test_trainer_open(ppo_test_trainer_t *f, const char *text, const char *const *overrides);
void ppo_test_trainer_close(ppo_test_trainer_t *f);

/* The error that building such a trainer stops with (transfer full), or NULL when it builds. */
GError *ppo_test_trainer_error(const char *text, const char *const *overrides);

/* One iteration into *row (an opaque ppo_metrics_row_t), with its wall-clock columns zeroed:
 * they are the only ones allowed to differ between identical runs. Aborts on an error. */
void ppo_test_trainer_iterate(ppo_test_trainer_t *f, void *row);

/* Run n iterations of two pipelines side by side (text with overrides a, and with b) and
 * require identical metrics rows, parameters and optimizer state. */
void ppo_test_assert_same_runs(const char *text, const char *const *a, const char *const *b,
                               int n);

/* Run `before` iterations, write a checkpoint, restore it into a fresh trainer of the same
 * pipeline, then run `after` more on both: rows, parameters and optimizer state must be equal. */
void ppo_test_assert_resume_exact(const char *text, const char *const *overrides, int before,
                                  int after);

/* Run a Check suite (CK_FORK default) and return the process exit status. */
int ppo_test_run(Suite *suite);

#endif /* PPO_TEST_H */
