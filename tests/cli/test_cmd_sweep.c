/* ppofw tests — `ppofw sweep` run as a user runs it: a tiny sweep (2 cells x 2 seeds, a few
 * iterations each) writes summary.csv, summary.md and curves.svg that parse; a sweep stopped
 * with SIGTERM and run again finishes only the runs that were missing (the stopped one resumed
 * from its checkpoint); a cell whose runs fail is recorded with their exit code and last stderr
 * line while the other cell finishes; sweep-file errors exit 2 with file:line:col before
 * anything runs; an output directory of another sweep is refused; every shipped sweep in
 * configs/sweeps/ validates.
 *
 * The failing cell uses the fixture plugin fx_create_fails (on PPOFW_PLUGIN_PATH in the test
 * environment); the others the shipped cartpole, mlp, gae, mc and adam. What it leaves out: the
 * statistics themselves (test_ppo_curves.c) and the file format details (test_ppo_sweep.c).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_test.h"

static char *tmp_root;

static const char *const base_text =
    "name: tiny\n"
    "seed: 1\n"
    "env: { plugin: cartpole, num_envs: 2 }\n"
    "policy: { plugin: mlp, params: { pi_hidden: [8], vf_hidden: [8] } }\n"
    "advantage: { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }\n"
    "optimizer: { plugin: adam, params: { lr: 1.0e-3 } }\n"
    "ppo: { total_steps: 96, rollout_steps: 16, epochs: 1, minibatches: 2 }\n"
    "log: { tensorboard: false }\n";

static void write_file(const char *name, const char *text)
{
    char *path = g_build_filename(tmp_root, name, NULL);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    g_free(path);
}

static char *read_file(const char *rel)
{
    char *path = g_build_filename(tmp_root, rel, NULL);
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    g_free(path);
    return text;
}

static bool exists(const char *rel)
{
    char *path = g_build_filename(tmp_root, rel, NULL);
    const bool e = g_file_test(path, G_FILE_TEST_EXISTS);
    g_free(path);
    return e;
}

static void setup(void)
{
    tmp_root = ppo_test_tmpdir();
    ck_assert_ptr_nonnull(tmp_root);
    write_file("base.yaml", base_text);
}

static void teardown(void)
{
    ppo_test_rm_tree(tmp_root);
    g_free(tmp_root);
}

static char *program(void)
{
    const char *b = g_getenv("PPO_TEST_BUILDDIR");
    return g_build_filename(b != NULL ? b : PPO_ABS_BUILDDIR, "ppofw", NULL);
}

/* Run ppofw with the arguments (NULL-terminated) in tmp_root; returns the exit code (never a
 * signal) and the stderr text (transfer full). */
static int run_ppofw(char **err, ...)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, program());
    va_list ap;
    va_start(ap, err);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL)
        g_ptr_array_add(argv, g_strdup(a));
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    int status = 0;
    GError *error = NULL;
    char *e = NULL;
    ck_assert_msg(g_spawn_sync(tmp_root, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &e, &status, &error),
                  "spawn: %s", error != NULL ? error->message : "");
    ck_assert_msg(WIFEXITED(status), "ppofw died by signal %d; stderr:\n%s", WTERMSIG(status), e);
    g_ptr_array_free(argv, TRUE);
    if (err != NULL)
        *err = e;
    else
        g_free(e);
    return WEXITSTATUS(status);
}

/* ---- checking the outputs ---- */

static void markup_ok(const char *text, const char *what)
{
    const GMarkupParser parser = {NULL, NULL, NULL, NULL, NULL};
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, NULL, NULL);
    GError *error = NULL;
    const gboolean ok = g_markup_parse_context_parse(ctx, text, -1, &error) &&
                        g_markup_parse_context_end_parse(ctx, &error);
    ck_assert_msg(ok, "%s is not well-formed XML: %s", what, ok ? "" : error->message);
    g_markup_parse_context_free(ctx);
    char *lint = g_find_program_in_path("xmllint");
    if (lint != NULL) {
        char *path = g_build_filename(tmp_root, "lint.svg", NULL);
        g_file_set_contents(path, text, -1, NULL);
        char *argv[] = {lint, "--noout", path, NULL};
        int status = 0;
        ck_assert(g_spawn_sync(NULL, argv, NULL,
                               G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               NULL, NULL, &status, NULL));
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "xmllint rejects %s", what);
        g_unlink(path);
        g_free(path);
        g_free(lint);
    }
}

static ppo_csv_t *load_csv(const char *rel)
{
    char *path = g_build_filename(tmp_root, rel, NULL);
    ppo_csv_t *csv = ppo_csv_load(path);
    g_free(path);
    return csv;
}

/* One CSV record with quoted fields ("a ""b"", c" is one field), as runs.csv writes them. */
static char **split_record(const char *line)
{
    GPtrArray *fields = g_ptr_array_new();
    GString *f = g_string_new(NULL);
    bool quoted = false;
    for (const char *p = line;; p++) {
        if (quoted && *p == '"' && p[1] == '"') {
            g_string_append_c(f, '"');
            p++;
        } else if (*p == '"') {
            quoted = !quoted;
        } else if ((*p == ',' && !quoted) || *p == '\0') {
            g_ptr_array_add(fields, g_strdup(f->str));
            g_string_truncate(f, 0);
            if (*p == '\0')
                break;
        } else {
            g_string_append_c(f, *p);
        }
    }
    g_string_free(f, TRUE);
    g_ptr_array_add(fields, NULL);
    return (char **)g_ptr_array_free(fields, FALSE);
}

/* The field `col` of the record of the CSV file `rel` whose first field is `key` (transfer
 * full). Quoted fields are read as written by the sweep (cell names hold commas). */
static char *csv_lookup(const char *rel, const char *key, const char *col)
{
    char *text = read_file(rel);
    char **lines = g_strsplit(text, "\n", -1);
    char **head = split_record(lines[0]);
    int c = -1;
    for (int i = 0; head[i] != NULL; i++)
        if (strcmp(head[i], col) == 0)
            c = i;
    ck_assert_msg(c >= 0, "%s has no column %s", rel, col);
    char *out = NULL;
    for (guint l = 1; lines[l] != NULL && out == NULL; l++) {
        if (lines[l][0] == '\0')
            continue;
        char **rec = split_record(lines[l]);
        ck_assert_msg(g_strv_length(rec) == g_strv_length(head),
                      "%s: \"%s\" has %u fields, the "
                      "header %u",
                      rel, lines[l], g_strv_length(rec), g_strv_length(head));
        if (strcmp(rec[0], key) == 0)
            out = g_strdup(rec[c]);
        g_strfreev(rec);
    }
    ck_assert_msg(out != NULL, "%s has no row %s", rel, key);
    g_strfreev(head);
    g_strfreev(lines);
    g_free(text);
    return out;
}

/* Rows of a CSV file (records after the header), every one with the header's field count. */
static guint csv_rows(const char *rel)
{
    char *text = read_file(rel);
    char **lines = g_strsplit(text, "\n", -1);
    char **head = split_record(lines[0]);
    guint n = 0;
    for (guint l = 1; lines[l] != NULL; l++) {
        if (lines[l][0] == '\0')
            continue;
        char **rec = split_record(lines[l]);
        ck_assert_uint_eq(g_strv_length(rec), g_strv_length(head));
        g_strfreev(rec);
        n++;
    }
    g_strfreev(head);
    g_strfreev(lines);
    g_free(text);
    return n;
}

static void csv_is(const char *rel, const char *key, const char *col, const char *want)
{
    char *v = csv_lookup(rel, key, col);
    ck_assert_msg(strcmp(v, want) == 0, "%s %s %s: \"%s\", want \"%s\"", rel, key, col, v, want);
    g_free(v);
}

static void runs_csv_is(const char *run, const char *col, const char *want)
{
    char *v = csv_lookup("out/runs.csv", run, col);
    ck_assert_msg(strstr(v, want) != NULL, "%s %s: \"%s\", want \"%s\"", run, col, v, want);
    g_free(v);
}

static const char *const tiny_sweep =
    "name: tiny-sweep\n"
    "base: [base.yaml]\n"
    "grid:\n"
    "  advantage:\n"
    "    - { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }\n"
    "    - { plugin: mc, params: { gamma: 0.99 } }\n"
    "seeds: [1, 2]\n"
    "threshold: 15\n";

START_TEST(test_tiny_sweep_writes_summaries_and_a_figure_that_parse)
{
    write_file("sweep.yaml", tiny_sweep);
    char *err = NULL;
    const int code = run_ppofw(&err, "sweep", "sweep.yaml", "--out", "out", "-j2", NULL);
    ck_assert_msg(code == 0, "exit %d:\n%s", code, err);
    ck_assert_ptr_nonnull(strstr(err, "4 runs (2 cells x 2 seeds)"));
    g_free(err);
    const char *cells[] = {"base=base,advantage=gae", "base=base,advantage=mc"};
    for (int c = 0; c < 2; c++)
        for (int s = 1; s <= 2; s++) {
            char *m = g_strdup_printf("out/runs/%s-s%d/metrics.csv", cells[c], s);
            ck_assert_msg(exists(m), "%s missing", m);
            g_free(m);
        }
    ck_assert_uint_eq(csv_rows("out/summary.csv"), 2);
    for (int c = 0; c < 2; c++) {
        csv_is("out/summary.csv", cells[c], "runs", "2");
        csv_is("out/summary.csv", cells[c], "done", "2");
        csv_is("out/summary.csv", cells[c], "failed", "0");
        csv_is("out/summary.csv", cells[c], "threshold", "15");
        csv_is("out/summary.csv", cells[c], "base", "base");
        /* numbers where two seeds give them */
        const char *cols[] = {"final_return_mean",      "final_return_std", "final_return_ci95_low",
                              "final_return_ci95_high", "auc_mean",         "wall_time_s_mean"};
        for (size_t k = 0; k < G_N_ELEMENTS(cols); k++) {
            char *end = NULL;
            char *v = csv_lookup("out/summary.csv", cells[c], cols[k]);
            g_ascii_strtod(v, &end);
            ck_assert_msg(end != v && *end == '\0', "%s %s = \"%s\"", cells[c], cols[k], v);
            g_free(v);
        }
    }
    csv_is("out/summary.csv", "base=base,advantage=mc", "advantage", "mc");
    /* mc against gae, the first cell: a difference of means with Welch's interval around it */
    csv_is("out/summary.csv", cells[0], "compared_to", "");
    csv_is("out/summary.csv", cells[1], "compared_to", cells[0]);
    char *fin[2], *diff = csv_lookup("out/summary.csv", cells[1], "final_return_diff");
    char *lo = csv_lookup("out/summary.csv", cells[1], "final_return_diff_ci95_low");
    char *hi = csv_lookup("out/summary.csv", cells[1], "final_return_diff_ci95_high");
    for (int c = 0; c < 2; c++)
        fin[c] = csv_lookup("out/summary.csv", cells[c], "final_return_mean");
    const double d = g_ascii_strtod(diff, NULL);
    ck_assert_double_eq_tol(d, g_ascii_strtod(fin[1], NULL) - g_ascii_strtod(fin[0], NULL), 1e-3);
    ck_assert_msg(g_ascii_strtod(lo, NULL) <= d && d <= g_ascii_strtod(hi, NULL), "%s [%s, %s]",
                  diff, lo, hi);
    g_free(fin[0]);
    g_free(fin[1]);
    g_free(diff);
    g_free(lo);
    g_free(hi);
    ck_assert_uint_eq(csv_rows("out/runs.csv"), 4);
    for (int c = 0; c < 2; c++)
        for (int s = 1; s <= 2; s++) {
            char *run = g_strdup_printf("%s-s%d", cells[c], s);
            csv_is("out/runs.csv", run, "status", "done");
            csv_is("out/runs.csv", run, "cell", cells[c]);
            /* each seed's steps to the threshold: a global_step of its metrics.csv, or empty */
            char *to = csv_lookup("out/runs.csv", run, "steps_to_threshold");
            ck_assert_msg(*to == '\0' || g_ascii_strtoull(to, NULL, 10) > 0, "%s: %s", run, to);
            g_free(to);
            g_free(run);
        }
    char *md = read_file("out/summary.md");
    ck_assert_ptr_nonnull(strstr(md, "# tiny-sweep"));
    ck_assert_ptr_nonnull(
        strstr(md, "| cell | runs | final return | 95% CI | Δ vs first [95% CI] |"));
    ck_assert_ptr_nonnull(strstr(md, "| cell | seed 1 | seed 2 |"));
    ck_assert_ptr_nonnull(strstr(md, "| base=base,advantage=gae | 2 | "));
    ck_assert_ptr_nonnull(strstr(md, "| base=base,advantage=mc | 2 | "));
    ck_assert_ptr_nonnull(strstr(md, "![learning curves](curves.svg)"));
    g_free(md);
    char *svg = read_file("out/curves.svg");
    markup_ok(svg, "curves.svg");
    ck_assert_ptr_nonnull(strstr(svg, ">advantage=gae (n=2)<"));
    ck_assert_ptr_nonnull(strstr(svg, ">advantage=mc (n=2)<"));
    ck_assert_ptr_nonnull(strstr(svg, ">base: base.yaml<"));
    g_free(svg);
    ck_assert(exists("out/cells.csv") && exists("out/sweep.yaml"));

    /* run again: nothing left to do, the same summary */
    char *before = read_file("out/summary.csv");
    ck_assert_int_eq(run_ppofw(&err, "sweep", "sweep.yaml", "--out", "out", NULL), 0);
    ck_assert_msg(strstr(err, "4 done earlier, 0 to run") != NULL, "%s", err);
    g_free(err);
    char *after = read_file("out/summary.csv");
    ck_assert_str_eq(before, after);
    g_free(before);
    g_free(after);
}
END_TEST

/* attempts: N in a run's run-status.yaml (0 when it has none) */
static int attempts(const char *run)
{
    char *rel = g_strdup_printf("out/runs/%s/run-status.yaml", run);
    if (!exists(rel)) {
        g_free(rel);
        return 0;
    }
    char *text = read_file(rel);
    const char *p = strstr(text, "attempts: ");
    const int n = p != NULL ? atoi(p + strlen("attempts: ")) : -1;
    g_free(text);
    g_free(rel);
    return n;
}

static bool status_is(const char *run, const char *status)
{
    char *rel = g_strdup_printf("out/runs/%s/run-status.yaml", run);
    bool yes = false;
    if (exists(rel)) {
        char *text = read_file(rel);
        char *want = g_strdup_printf("status: %s\n", status);
        yes = strstr(text, want) != NULL;
        g_free(want);
        g_free(text);
    }
    g_free(rel);
    return yes;
}

static bool has_checkpoint(const char *run)
{
    char *dir = g_strdup_printf("%s/out/runs/%s/checkpoints", tmp_root, run);
    GDir *d = g_dir_open(dir, 0, NULL);
    bool found = false;
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL)
        found = found || (g_str_has_prefix(name, "ckpt-") && g_str_has_suffix(name, ".ckpt"));
    if (d != NULL)
        g_dir_close(d);
    g_free(dir);
    return found;
}

START_TEST(test_sweep_stopped_and_run_again_finishes_only_the_missing_runs)
{
    /* runs long enough to be caught halfway, with frequent checkpoints */
    write_file("sweep.yaml", "name: stop-me\n"
                             "base: base.yaml\n"
                             "grid:\n"
                             "  ppo.clip: [0.1, 0.2]\n"
                             "set: { ppo.total_steps: 60000, checkpoint.every_steps: 1024 }\n"
                             "seeds: [1, 2]\n");
    char *prog = program();
    char *argv[] = {prog, "sweep", "sweep.yaml", "--out", "out", "-j", "1", NULL};
    GPid pid;
    GError *error = NULL;
    ck_assert_msg(g_spawn_async(tmp_root, argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &error),
                  "spawn: %s", error != NULL ? error->message : "");
    /* wait until the first run is done and the second has a checkpoint */
    const char *first = "ppo.clip=0.1-s1", *second = "ppo.clip=0.1-s2";
    const gint64 deadline = g_get_monotonic_time() + 240 * G_USEC_PER_SEC;
    while (!(status_is(first, "done") && has_checkpoint(second)) &&
           g_get_monotonic_time() < deadline)
        g_usleep(10000);
    ck_assert_msg(status_is(first, "done") && has_checkpoint(second),
                  "the sweep did not get that far in time");
    kill(pid, SIGTERM);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 143, "status %d", status);
    g_spawn_close_pid(pid);
    g_free(prog);

    ck_assert(status_is(second, "interrupted"));
    ck_assert_int_eq(attempts("ppo.clip=0.2-s1"), 0);
    ck_assert_int_eq(attempts("ppo.clip=0.2-s2"), 0);
    ck_assert(exists("out/summary.csv"));
    char *metrics_first = read_file("out/runs/ppo.clip=0.1-s1/metrics.csv");
    struct stat st_before, st_after;
    char *first_metrics = g_build_filename(tmp_root, "out/runs/ppo.clip=0.1-s1/metrics.csv", NULL);
    ck_assert_int_eq(g_stat(first_metrics, &st_before), 0);

    /* the same command again */
    char *err = NULL;
    const int code = run_ppofw(&err, "sweep", "sweep.yaml", "--out", "out", "-j", "1", NULL);
    ck_assert_msg(code == 0, "exit %d:\n%s", code, err);
    ck_assert_msg(strstr(err, "1 done earlier, 3 to run") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "resume  ppo.clip=0.1-s2 from step") != NULL, "%s", err);
    g_free(err);
    /* the done run was not touched; the stopped one was resumed; the rest ran once */
    ck_assert_int_eq(attempts(first), 1);
    ck_assert_int_eq(g_stat(first_metrics, &st_after), 0);
    ck_assert(st_before.st_mtim.tv_sec == st_after.st_mtim.tv_sec &&
              st_before.st_mtim.tv_nsec == st_after.st_mtim.tv_nsec);
    char *again = read_file("out/runs/ppo.clip=0.1-s1/metrics.csv");
    ck_assert_str_eq(metrics_first, again);
    g_free(again);
    ck_assert_int_eq(attempts(second), 2);
    char *log = read_file("out/runs/ppo.clip=0.1-s2/stderr.log");
    const char *second_attempt = strstr(log, "--- ppofw sweep: attempt 2:");
    ck_assert_ptr_nonnull(second_attempt);
    ck_assert_ptr_nonnull(strstr(second_attempt, "--resume"));
    g_free(log);
    ck_assert_int_eq(attempts("ppo.clip=0.2-s1"), 1);
    ck_assert_int_eq(attempts("ppo.clip=0.2-s2"), 1);
    csv_is("out/summary.csv", "ppo.clip=0.1", "done", "2");
    csv_is("out/summary.csv", "ppo.clip=0.2", "done", "2");
    /* the resumed run reached the end, one row per iteration, no duplicated steps */
    ppo_csv_t *m = load_csv("out/runs/ppo.clip=0.1-s2/metrics.csv");
    const int col = ppo_csv_col(m, "global_step");
    for (guint r = 1; r < m->rows->len; r++)
        ck_assert(ppo_csv_num(m, r, col) > ppo_csv_num(m, r - 1, col));
    ck_assert(ppo_csv_num(m, m->rows->len - 1, col) >= 60000);
    ppo_csv_free(m);
    g_free(first_metrics);
    g_free(metrics_first);
}
END_TEST

START_TEST(test_failing_cell_is_recorded_and_the_other_cell_finishes)
{
    write_file("sweep.yaml", "name: half-broken\n"
                             "base: base.yaml\n"
                             "grid:\n"
                             "  env:\n"
                             "    - { plugin: cartpole, num_envs: 2 }\n"
                             "    - { plugin: fx_create_fails, num_envs: 2 }\n"
                             "seeds: [1, 2]\n");
    char *err = NULL;
    const int code = run_ppofw(&err, "sweep", "sweep.yaml", "--out", "out", "-j", "2", NULL);
    /* the exit code of the failed runs: a plugin error */
    ck_assert_msg(code == 3, "exit %d:\n%s", code, err);
    ck_assert_msg(strstr(err, "2 of 4 runs failed") != NULL, "%s", err);
    g_free(err);
    for (int s = 1; s <= 2; s++) {
        char *good = g_strdup_printf("env=cartpole-s%d", s);
        char *bad = g_strdup_printf("env=fx_create_fails-s%d", s);
        runs_csv_is(good, "status", "done");
        runs_csv_is(bad, "status", "failed");
        runs_csv_is(bad, "exit_code", "3");
        runs_csv_is(bad, "last_stderr", "cannot open its track file");
        g_free(good);
        g_free(bad);
    }
    csv_is("out/summary.csv", "env=cartpole", "done", "2");
    csv_is("out/summary.csv", "env=fx_create_fails", "done", "0");
    csv_is("out/summary.csv", "env=fx_create_fails", "failed", "2");
    csv_is("out/summary.csv", "env=fx_create_fails", "final_return_mean", "");
    char *md = read_file("out/summary.md");
    ck_assert_ptr_nonnull(strstr(md, "## Failed runs"));
    ck_assert_ptr_nonnull(strstr(md, "`env=fx_create_fails-s1`: exit 3: "));
    g_free(md);
    char *svg = read_file("out/curves.svg");
    markup_ok(svg, "curves.svg");
    g_free(svg);
}
END_TEST

static const struct {
    const char *text;
    const char *want;
    int code;
} bad_sweeps[] = {
    {"base: base.yaml\nseeds: [1]\ngrid:\n  ppo.clipp: [0.1]\n",
     "sweep.yaml:4:3: grid: unknown pipeline key \"ppo.clipp\"; did you mean \"ppo.clip\"?", 2},
    {"base: base.yaml\nseeds: [1, 1]\n", "sweep.yaml:2:12: seeds: 1 is listed twice", 2},
    {"base: base.yaml\nseeds: [1]\ngrid:\n  ppo.clip: [0.1, 2.5]\n", "sweep.yaml:4:19: ", 2},
    {"base: base.yaml\nseeds: [1]\ngrid:\n  advantage: [{ plugin: mcc }]\n",
     "sweep.yaml:4:15: ", 3},
    {"base: base.yaml\nseeds: [1]\ngrid: {ppo.clip: [0.1\n", "sweep.yaml:", 2},
};

START_TEST(test_sweep_file_errors_exit_with_a_position_before_anything_runs)
{
    write_file("sweep.yaml", bad_sweeps[_i].text);
    char *err = NULL;
    const int code = run_ppofw(&err, "sweep", "sweep.yaml", "--out", "out", NULL);
    ck_assert_msg(code == bad_sweeps[_i].code, "case %d: exit %d:\n%s", _i, code, err);
    ck_assert_msg(g_str_has_prefix(err, "ppofw: ") && strstr(err, bad_sweeps[_i].want) != NULL,
                  "case %d: got:\n%s\nwant: %s", _i, err, bad_sweeps[_i].want);
    ck_assert_msg(!exists("out"), "case %d: the sweep started", _i);
    g_free(err);
}
END_TEST

START_TEST(test_sweep_refuses_an_output_directory_of_another_sweep)
{
    write_file("sweep.yaml", tiny_sweep);
    ck_assert_int_eq(run_ppofw(NULL, "sweep", "sweep.yaml", "--out", "out", "-q", NULL), 0);
    write_file("sweep2.yaml", "base: base.yaml\ngrid: { ppo.clip: [0.1, 0.3] }\nseeds: [1]\n");
    char *err = NULL;
    ck_assert_int_eq(run_ppofw(&err, "sweep", "sweep2.yaml", "--out", "out", NULL), 2);
    ck_assert_msg(strstr(err, "holds another sweep") != NULL, "%s", err);
    g_free(err);
    /* and an unrelated non-empty directory */
    write_file("stuff", "x");
    char *dir = g_build_filename(tmp_root, "other", NULL);
    g_mkdir(dir, 0755);
    char *f = g_build_filename(dir, "notes.txt", NULL);
    g_file_set_contents(f, "x", -1, NULL);
    ck_assert_int_eq(run_ppofw(&err, "sweep", "sweep2.yaml", "--out", "other", NULL), 2);
    ck_assert_msg(strstr(err, "is not a sweep directory") != NULL, "%s", err);
    g_free(err);
    g_free(f);
    g_free(dir);
}
END_TEST

START_TEST(test_every_shipped_sweep_validates)
{
    char *dir = ppo_test_src_path("configs/sweeps");
    GDir *d = g_dir_open(dir, 0, NULL);
    ck_assert_ptr_nonnull(d);
    const char *name;
    guint n = 0;
    while ((name = g_dir_read_name(d)) != NULL) {
        if (!g_str_has_suffix(name, ".yaml"))
            continue;
        char *path = g_build_filename(dir, name, NULL);
        char *err = NULL;
        const int code = run_ppofw(&err, "sweep", "--check", path, NULL);
        ck_assert_msg(code == 0, "%s: exit %d:\n%s", name, code, err);
        ck_assert_ptr_nonnull(strstr(err, "is valid"));
        g_free(err);
        g_free(path);
        n++;
    }
    g_dir_close(d);
    ck_assert_uint_ge(n, 2);
    g_free(dir);
}
END_TEST

static Suite *cmd_sweep_suite(void)
{
    Suite *s = suite_create("cmd_sweep");
    TCase *tc = tcase_create("sweep");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_tiny_sweep_writes_summaries_and_a_figure_that_parse);
    tcase_add_test(tc, test_sweep_stopped_and_run_again_finishes_only_the_missing_runs);
    tcase_add_test(tc, test_failing_cell_is_recorded_and_the_other_cell_finishes);
    tcase_add_loop_test(tc, test_sweep_file_errors_exit_with_a_position_before_anything_runs, 0,
                        G_N_ELEMENTS(bad_sweeps));
    tcase_add_test(tc, test_sweep_refuses_an_output_directory_of_another_sweep);
    tcase_add_test(tc, test_every_shipped_sweep_validates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(cmd_sweep_suite());
}
