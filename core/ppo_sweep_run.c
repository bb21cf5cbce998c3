/* ppofw core — running a sweep: child processes, resume, progress and the final reports (see
 * ppo_sweep_private.h).
 *
 * Every run is the ppofw program itself, `ppofw run BASE --set ... --set seed=S -q`, started with
 * fork and exec in its own process group (so a Ctrl-C reaches the sweep, which passes one polite
 * signal on) and, on Linux, with a parent-death signal (a killed sweep stops its runs, which
 * checkpoint). The output directory is locked with flock on OUT/.lock through a descriptor the
 * runs inherit, so a second sweep on the same directory waits until the last run of the first
 * has stopped. A run is done when its run-status.yaml says so; any other run is started again,
 * with --resume when it has a checkpoint.
 *
 * What it leaves out: the sweep file (ppo_sweep.c) and the statistics (ppo_curves.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "ppo_checkpoint_private.h"
#include "ppo_file_private.h"
#include "ppo_rundir_private.h"
#include "ppo_curves_private.h"
#include "ppo_sweep_private.h"

#define STATUS_FILE "run-status.yaml"
#define LOG_FILE "stderr.log"
#define LAST_LINE_MAX 400

typedef enum { RUN_PENDING, RUN_RUNNING, RUN_DONE, RUN_FAILED, RUN_INTERRUPTED } run_state_t;

static const char *const state_names[] = {"pending", "running", "done", "failed", "interrupted"};

/* One cell x seed. */
typedef struct {
    const ppo_sweep_cell_t *cell;
    guint cell_index; /* the cell's index in the sweep */
    uint64_t seed;
    char *name; /* <cell>-s<seed> */
    char *dir;  /* OUT/runs/<name> */
    run_state_t state;
    bool done_before;    /* found done when this invocation started */
    int exit_code;       /* of the last attempt (-1: none) */
    uint32_t attempts;   /* over all invocations */
    double seconds;      /* wall time of the last attempt */
    char *last_line;     /* last line the last attempt wrote to stderr */
    pid_t pid;           /* while running */
    gint64 started;      /* monotonic time of the start (µs) */
    off_t log_offset;    /* size of stderr.log when the attempt started */
    uint64_t start_step; /* global_step when this invocation started it */
    uint64_t step;       /* latest global_step seen */
} run_t;

typedef struct {
    const ppo_sweep_t *sw;
    const ppo_sweep_options_t *opt;
    char *out; /* output directory */
    run_t *runs;
    guint n_runs;
    uint32_t threads; /* ppo.threads given to runs whose pipeline says 0 (0: none) */
    bool tty;         /* progress as a redrawn line */
    gint64 t0;        /* start of this invocation (µs) */
    guint n_running;
} sweep_state_t;

/* ---- signals ---- */

static volatile sig_atomic_t stop_signo;
static volatile sig_atomic_t stop_count;

static void on_stop(int signo)
{
    if (stop_signo == 0)
        stop_signo = signo;
    stop_count++;
}

/* ---- files ---- */

static bool io_fail(GError **error, const char *path, const char *what, int err)
{
    g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot %s: %s", path, what, g_strerror(err));
    return false;
}

static bool write_file(const char *dir, const char *name, const char *text, GError **error)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *local = NULL;
    const bool ok = g_file_set_contents(path, text, -1, &local);
    if (!ok) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot write: %s", path, local->message);
        g_error_free(local);
    }
    g_free(path);
    return ok;
}

/* The global_step of the last complete row of RUN/metrics.csv (0 when there is none). */
static uint64_t metrics_last_step(const char *dir)
{
    char *path = g_build_filename(dir, "metrics.csv", NULL);
    const int fd = ppo_file_open_read(AT_FDCWD, path, path, "metrics file", PPO_FILE_NOFOLLOW, 0,
                                      PPO_ERROR_IO, NULL, NULL);
    g_free(path);
    if (fd < 0)
        return 0;
    char buf[8192 + 1];
    struct stat st;
    uint64_t step = 0;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        const off_t from = st.st_size > 8192 ? st.st_size - 8192 : 0;
        const ssize_t n = pread(fd, buf, (size_t)(st.st_size - from), from);
        if (n > 0) {
            buf[n] = '\0';
            /* the row before the final newline */
            char *end = strrchr(buf, '\n');
            if (end != NULL) {
                *end = '\0';
                char *line = strrchr(buf, '\n');
                line = line != NULL ? line + 1 : buf;
                if (g_ascii_isdigit(*line))
                    step = g_ascii_strtoull(line, NULL, 10);
            }
        }
    }
    close(fd);
    return step;
}

static void read_status(run_t *r)
{
    r->state = RUN_PENDING;
    r->exit_code = -1;
    char *path = g_build_filename(r->dir, STATUS_FILE, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_free(path);
        return;
    }
    ppo_ydoc_t *doc = ppo_ydoc_load_file(path, NULL);
    g_free(path);
    const ppo_ynode_t *root = doc != NULL ? ppo_ydoc_root(doc) : NULL;
    if (root != NULL && root->kind == PPO_YNODE_MAPPING) {
        const ppo_ynode_t *st = ppo_ynode_get(root, "status");
        const ppo_ynode_t *code = ppo_ynode_get(root, "exit_code");
        const ppo_ynode_t *att = ppo_ynode_get(root, "attempts");
        const ppo_ynode_t *secs = ppo_ynode_get(root, "seconds");
        const ppo_ynode_t *line = ppo_ynode_get(root, "last_stderr");
        if (st != NULL && st->kind == PPO_YNODE_SCALAR) {
            for (size_t i = 0; i < G_N_ELEMENTS(state_names); i++)
                if (strcmp(st->text, state_names[i]) == 0 && i != RUN_RUNNING)
                    r->state = (run_state_t)i;
        }
        if (code != NULL && code->kind == PPO_YNODE_SCALAR)
            r->exit_code = (int)g_ascii_strtoll(code->text, NULL, 10);
        if (att != NULL && att->kind == PPO_YNODE_SCALAR)
            r->attempts = (uint32_t)g_ascii_strtoull(att->text, NULL, 10);
        if (secs != NULL && secs->kind == PPO_YNODE_SCALAR)
            r->seconds = g_ascii_strtod(secs->text, NULL);
        if (line != NULL && line->kind == PPO_YNODE_SCALAR && !ppo_ynode_is_null(line))
            r->last_line = g_strdup(line->text);
    }
    ppo_ydoc_free(doc);
}

static bool write_status(const run_t *r, GError **error)
{
    GString *s = g_string_new("# ppofw sweep: the outcome of this run's last attempt\n");
    g_string_append_printf(s, "status: %s\nexit_code: %d\nattempts: %u\n", state_names[r->state],
                           r->exit_code, r->attempts);
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf(
        s, "seconds: %s\nlast_stderr: ", g_ascii_formatd(buf, sizeof(buf), "%.3f", r->seconds));
    if (r->last_line != NULL)
        ppo_yaml_write_scalar(s, r->last_line, false);
    else
        g_string_append(s, "null");
    g_string_append_c(s, '\n');
    const bool ok = write_file(r->dir, STATUS_FILE, s->str, error);
    g_string_free(s, TRUE);
    return ok;
}

/* The last non-empty line of RUN/stderr.log after `offset`, cut to LAST_LINE_MAX bytes. */
static char *log_last_line(const char *dir, off_t offset)
{
    char *path = g_build_filename(dir, LOG_FILE, NULL);
    char *text = NULL;
    gsize len = 0;
    char *out = NULL;
    if (ppo_file_read(AT_FDCWD, path, path, "log", 0, 0, PPO_ERROR_IO, &text, &len, NULL) &&
        (gsize)offset <= len) {
        char **lines = g_strsplit(text + offset, "\n", -1);
        for (guint i = 0; lines[i] != NULL; i++) {
            g_strstrip(lines[i]);
            if (lines[i][0] != '\0') {
                g_free(out);
                out = g_strdup(lines[i]);
            }
        }
        g_strfreev(lines);
    }
    if (out != NULL && strlen(out) > LAST_LINE_MAX) {
        out[LAST_LINE_MAX - 3] = '\0';
        g_strlcat(out, "...", LAST_LINE_MAX + 1);
    }
    if (out != NULL && !g_utf8_validate(out, -1, NULL)) {
        char *valid = g_utf8_make_valid(out, -1);
        g_free(out);
        out = valid;
    }
    g_free(text);
    g_free(path);
    return out;
}

/* ---- output directory ---- */

static char *default_out(const ppo_sweep_t *sw)
{
    char stamp[32];
    const time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    char *slug = ppo_sweep_slug(sw->name);
    char *dir = g_strdup_printf("sweeps/%s-%s", slug, stamp);
    for (int k = 2; g_file_test(dir, G_FILE_TEST_EXISTS); k++) {
        g_free(dir);
        dir = g_strdup_printf("sweeps/%s-%s-%d", slug, stamp, k);
    }
    g_free(slug);
    return dir;
}

/* Make OUT (or check it holds this sweep), lock it and write cells.csv and sweep.yaml.
 * Returns the lock descriptor (inherited by the runs on purpose), or -1. */
static int prepare_out(sweep_state_t *s, GError **error)
{
    const char *out = s->out;
    char *cells = ppo_sweep_cells_csv(s->sw);
    char *cells_path = g_build_filename(out, "cells.csv", NULL);
    int fd = -1;
    if (g_file_test(out, G_FILE_TEST_EXISTS) && !g_file_test(out, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                    "%s: exists and is not a directory; choose another --out", out);
        goto out_free;
    }
    if (g_file_test(cells_path, G_FILE_TEST_EXISTS)) {
        char *old = NULL;
        if (!ppo_file_read(AT_FDCWD, cells_path, cells_path, "cells file", 0, 1u << 24,
                           PPO_ERROR_IO, &old, NULL, NULL) ||
            strcmp(old, cells) != 0) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                        "%s: holds another sweep: its cells.csv differs from the cells of %s "
                        "(a grid, set or base changed); choose another --out to run this one",
                        out, s->sw->path);
            g_free(old);
            goto out_free;
        }
        g_free(old);
    } else if (g_file_test(out, G_FILE_TEST_IS_DIR)) {
        GDir *d = g_dir_open(out, 0, NULL);
        const char *entry = d != NULL ? g_dir_read_name(d) : NULL;
        if (d != NULL)
            g_dir_close(d);
        if (entry != NULL) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                        "%s: exists and is not a sweep directory (no cells.csv); choose another "
                        "--out",
                        out);
            goto out_free;
        }
    }
    char *runs = g_build_filename(out, "runs", NULL);
    if (g_mkdir_with_parents(runs, 0755) != 0) {
        io_fail(error, runs, "create the sweep directory", errno);
        g_free(runs);
        goto out_free;
    }
    g_free(runs);
    char *lock = g_build_filename(out, ".lock", NULL);
    fd = open(lock, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        io_fail(error, lock, "open", errno);
        g_free(lock);
        goto out_free;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (!s->opt->quiet)
            fprintf(stderr,
                    "ppofw: %s is in use by another sweep, or the runs of a stopped one "
                    "are still checkpointing; waiting for it\n",
                    out);
        while (flock(fd, LOCK_EX) != 0) {
            if (errno != EINTR || stop_signo != 0) {
                if (stop_signo != 0) {
                    ppo_error_set_interrupt_signal(stop_signo);
                    g_set_error(error, PPO_ERROR, PPO_ERROR_INTERRUPTED,
                                "interrupted while waiting for %s", lock);
                } else {
                    io_fail(error, lock, "lock", errno);
                }
                close(fd);
                fd = -1;
                g_free(lock);
                goto out_free;
            }
        }
    }
    g_free(lock);
    if (!write_file(out, "cells.csv", cells, error)) {
        close(fd);
        fd = -1;
        goto out_free;
    }
    GString *copy = g_string_new(NULL);
    g_string_append_printf(copy, "# ppofw sweep: a copy of %s as it was last run\n", s->sw->path);
    g_string_append(copy, s->sw->text);
    const bool ok = write_file(out, "sweep.yaml", copy->str, error);
    g_string_free(copy, TRUE);
    if (!ok) {
        close(fd);
        fd = -1;
    }
out_free:
    g_free(cells_path);
    g_free(cells);
    return fd;
}

/* ---- starting and reaping runs ---- */

static GPtrArray *run_argv(const sweep_state_t *s, const run_t *r, bool resume)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(s->opt->exe));
    g_ptr_array_add(argv, g_strdup("run"));
    g_ptr_array_add(argv, g_strdup(r->cell->base));
    for (guint i = 0; i < r->cell->overrides->len; i++) {
        g_ptr_array_add(argv, g_strdup("--set"));
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(r->cell->overrides, i)));
    }
    g_ptr_array_add(argv, g_strdup("--set"));
    g_ptr_array_add(argv, g_strdup_printf("seed=%" G_GUINT64_FORMAT, r->seed));
    if (s->threads > 0 && r->cell->threads == 0) {
        g_ptr_array_add(argv, g_strdup("--set"));
        g_ptr_array_add(argv, g_strdup_printf("ppo.threads=%u", s->threads));
    }
    if (resume) {
        g_ptr_array_add(argv, g_strdup("--resume"));
        g_ptr_array_add(argv, g_strdup(r->dir));
    } else {
        g_ptr_array_add(argv, g_strdup("--run-dir"));
        g_ptr_array_add(argv, g_strdup(r->dir));
        g_ptr_array_add(argv, g_strdup("--overwrite"));
    }
    g_ptr_array_add(argv, g_strdup("-q"));
    for (const char *const *p = s->opt->plugin_path; p != NULL && *p != NULL; p++) {
        g_ptr_array_add(argv, g_strdup("--plugin-path"));
        g_ptr_array_add(argv, g_strdup(*p));
    }
    g_ptr_array_add(argv, NULL);
    return argv;
}

static void write_all(int fd, const char *text)
{
    size_t left = strlen(text);
    while (left > 0) {
        const ssize_t n = write(fd, text, left);
        if (n <= 0 && errno != EINTR)
            return;
        if (n > 0) {
            text += n;
            left -= (size_t)n;
        }
    }
}

static bool start_run(sweep_state_t *s, run_t *r, GError **error)
{
    if (g_mkdir_with_parents(r->dir, 0755) != 0)
        return io_fail(error, r->dir, "create the run directory", errno);
    /* the sweep made it: a ppofw run, which `run --overwrite` may clear */
    if (!ppo_rundir_mark(r->dir, error))
        return false;
    char *ckpt = ppo_rundir_latest_checkpoint(r->dir, NULL);
    const bool resume = ckpt != NULL;
    g_free(ckpt);
    r->start_step = resume ? metrics_last_step(r->dir) : 0;
    r->step = r->start_step;
    GPtrArray *argv = run_argv(s, r, resume);
    char *log = g_build_filename(r->dir, LOG_FILE, NULL);
    const int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    bool ok = false;
    if (fd < 0 || null_fd < 0) {
        io_fail(error, fd < 0 ? log : "/dev/null", "open", errno);
        goto out;
    }
    r->attempts++;
    GString *head = g_string_new(NULL);
    g_string_append_printf(head, "--- ppofw sweep: attempt %u:", r->attempts);
    for (guint i = 0; i + 1 < argv->len; i++) {
        const char *w = g_ptr_array_index(argv, i);
        char *q = strpbrk(w, " '\"{}[]$`\\") != NULL ? g_shell_quote(w) : g_strdup(w);
        g_string_append_printf(head, " %s", q);
        g_free(q);
    }
    g_string_append_c(head, '\n');
    write_all(fd, head->str);
    g_string_free(head, TRUE);
    r->log_offset = lseek(fd, 0, SEEK_END);

    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        io_fail(error, s->opt->exe, "start a run (fork)", errno);
        goto out;
    }
    if (pid == 0) {
        /* the child: own process group, stop when the sweep dies, default signals */
        setpgid(0, 0);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        if (getppid() != parent)
            _exit(143);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGINT, &dfl, NULL);
        sigaction(SIGTERM, &dfl, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(null_fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execv(s->opt->exe, (char **)argv->pdata);
        write_all(STDERR_FILENO, "ppofw sweep: cannot start the ppofw program: ");
        write_all(STDERR_FILENO, g_strerror(errno));
        write_all(STDERR_FILENO, "\n");
        _exit(127);
    }
    r->pid = pid;
    r->state = RUN_RUNNING;
    r->started = g_get_monotonic_time();
    s->n_running++;
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    if (null_fd >= 0)
        close(null_fd);
    g_free(log);
    g_ptr_array_free(argv, TRUE);
    return ok;
}

/* Record how a run ended. */
static bool finish_run(sweep_state_t *s, run_t *r, int wstatus, GError **error)
{
    s->n_running--;
    r->pid = 0;
    r->seconds = (double)(g_get_monotonic_time() - r->started) / 1e6;
    r->exit_code = WIFEXITED(wstatus)     ? WEXITSTATUS(wstatus)
                   : WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus)
                                          : 1;
    g_free(r->last_line);
    r->last_line = log_last_line(r->dir, r->log_offset);
    if (WIFSIGNALED(wstatus) && r->last_line == NULL)
        r->last_line = g_strdup_printf("killed by signal %d", WTERMSIG(wstatus));
    r->step = metrics_last_step(r->dir);
    if (r->exit_code == 0)
        r->state = RUN_DONE;
    else if (stop_signo != 0 &&
             (r->exit_code == PPO_EXIT_SIGINT || r->exit_code == PPO_EXIT_SIGTERM))
        r->state = RUN_INTERRUPTED;
    else
        r->state = RUN_FAILED;
    return write_status(r, error);
}

/* ---- progress ---- */

static void format_duration(char *buf, size_t size, double secs)
{
    if (!isfinite(secs) || secs < 0)
        g_strlcpy(buf, "?", size);
    else
        g_snprintf(buf, size, "%d:%02d:%02d", (int)(secs / 3600), (int)fmod(secs / 60, 60),
                   (int)fmod(secs, 60));
}

/* "cells 1/4 done, 0 failed | runs 5/20 done, 1 failed, 2 running | 37% of steps | elapsed
 * 0:01:02, eta 0:03:10", the eta from ppo_sweep_eta (each cell priced by its own runs) */
static char *progress_text(const sweep_state_t *s)
{
    guint done = 0, failed = 0;
    double all = 0, reached = 0;
    const gint64 now = g_get_monotonic_time();
    /* what the estimate of the time left knows: each run's cell, steps left and timings */
    ppo_sweep_eta_run_t *eta_runs = g_new0(ppo_sweep_eta_run_t, MAX(s->n_runs, 1));
    for (guint i = 0; i < s->n_runs; i++) {
        const run_t *r = &s->runs[i];
        ppo_sweep_eta_run_t *e = &eta_runs[i];
        const double total = (double)r->cell->total_steps;
        const double step = MIN((double)r->step, total);
        e->cell = r->cell_index;
        all += total;
        if (r->state == RUN_DONE) {
            done++;
            reached += total;
            e->finished = true;
            /* timed when it ran in this invocation, or ran whole in one attempt before */
            if (!r->done_before || r->attempts == 1) {
                e->steps_timed = total - (r->done_before ? 0.0 : (double)r->start_step);
                e->seconds_timed = r->seconds;
            }
            continue;
        }
        if (r->state == RUN_FAILED) {
            failed++;
            e->finished = true;
        }
        reached += step;
        if (r->state == RUN_RUNNING) {
            e->running = true;
            e->steps_timed = MAX(step - (double)r->start_step, 0.0);
            e->seconds_timed = (double)(now - r->started) / 1e6;
        }
        if (r->state != RUN_FAILED)
            e->steps_left = total - step;
    }
    const double left = ppo_sweep_eta(eta_runs, s->n_runs, s->opt->jobs);
    g_free(eta_runs);
    /* a cell is done when all its runs are, failed when one of them failed */
    guint cells_done = 0, cells_failed = 0;
    for (guint c = 0; c < s->sw->cells->len; c++) {
        const ppo_sweep_cell_t *cell = g_ptr_array_index(s->sw->cells, c);
        bool all_done = true, any_failed = false;
        for (guint i = 0; i < s->n_runs; i++) {
            if (s->runs[i].cell != cell)
                continue;
            all_done = all_done && s->runs[i].state == RUN_DONE;
            any_failed = any_failed || s->runs[i].state == RUN_FAILED;
        }
        cells_done += all_done;
        cells_failed += any_failed;
    }
    const double elapsed = (double)(now - s->t0) / 1e6;
    char eta[32];
    if (!isnan(left) && elapsed > 1.0)
        format_duration(eta, sizeof(eta), left);
    else
        g_strlcpy(eta, "?", sizeof(eta));
    char el[32];
    format_duration(el, sizeof(el), elapsed);
    return g_strdup_printf("cells %u/%u done, %u failed | runs %u/%u done, %u failed, %u running | "
                           "%.0f%% of steps | elapsed %s, eta %s",
                           cells_done, s->sw->cells->len, cells_failed, done, s->n_runs, failed,
                           s->n_running, all > 0 ? 100.0 * reached / all : 100.0, el, eta);
}

static void progress_line(const sweep_state_t *s)
{
    if (s->opt->quiet || !s->tty)
        return;
    char *text = progress_text(s);
    fprintf(stderr, "\r\x1b[Ksweep %s: %s", s->sw->name, text);
    fflush(stderr);
    g_free(text);
}

static void event(const sweep_state_t *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void event(const sweep_state_t *s, const char *fmt, ...)
{
    if (s->opt->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (s->tty) {
        fprintf(stderr, "\r\x1b[K%s\n", msg);
        progress_line(s);
    } else {
        char *text = progress_text(s);
        fprintf(stderr, "%s  [%s]\n", msg, text);
        g_free(text);
    }
    g_free(msg);
}

static void report_finish(const sweep_state_t *s, const run_t *r)
{
    if (r->state == RUN_DONE) {
        ppo_curve_t *c = ppo_curve_load(r->dir, NULL);
        const double ret = c != NULL ? ppo_curve_final(c) : NAN;
        ppo_curve_free(c);
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        event(s, "ppofw: done    %s: return %s in %.1f s", r->name,
              isnan(ret) ? "-" : g_ascii_formatd(buf, sizeof(buf), "%.2f", ret), r->seconds);
    } else if (r->state == RUN_INTERRUPTED) {
        event(s, "ppofw: stopped %s at step %" G_GUINT64_FORMAT " (exit %d)", r->name, r->step,
              r->exit_code);
    } else {
        event(s, "ppofw: FAILED  %s: exit %d: %s (log: %s/" LOG_FILE ")", r->name, r->exit_code,
              r->last_line != NULL ? r->last_line : "no message", r->dir);
    }
}

/* ---- reports ---- */

static bool write_runs_csv(const sweep_state_t *s, GError **error)
{
    GString *out = g_string_new("run,cell,seed,status,exit_code,attempts,seconds,final_return,"
                                "steps_to_threshold,last_stderr\n");
    for (guint i = 0; i < s->n_runs; i++) {
        const run_t *r = &s->runs[i];
        char secs[G_ASCII_DTOSTR_BUF_SIZE] = "", ret[G_ASCII_DTOSTR_BUF_SIZE] = "";
        char to[G_ASCII_DTOSTR_BUF_SIZE] = "";
        if (r->attempts > 0 && r->state != RUN_PENDING)
            g_ascii_formatd(secs, sizeof(secs), "%.3f", r->seconds);
        if (r->state == RUN_DONE) {
            ppo_curve_t *c = ppo_curve_load(r->dir, NULL);
            if (c != NULL && c->n > 0)
                g_ascii_formatd(ret, sizeof(ret), "%.6g", ppo_curve_final(c));
            /* the first global_step at which the run reached its cell's threshold */
            const double steps = c != NULL && !isnan(r->cell->threshold)
                                     ? ppo_curve_steps_to(c, r->cell->threshold)
                                     : NAN;
            if (!isnan(steps))
                g_ascii_formatd(to, sizeof(to), "%.0f", steps);
            ppo_curve_free(c);
        }
        char code[16] = "";
        if (r->exit_code >= 0 && r->state != RUN_PENDING)
            g_snprintf(code, sizeof(code), "%d", r->exit_code);
        ppo_csv_field(out, r->name);
        g_string_append_c(out, ',');
        ppo_csv_field(out, r->cell->name);
        g_string_append_printf(out, ",%" G_GUINT64_FORMAT ",%s,%s,%u,%s,%s,%s,", r->seed,
                               state_names[r->state], code, r->attempts, secs, ret, to);
        ppo_csv_field(out, r->state == RUN_DONE || r->last_line == NULL ? "" : r->last_line);
        g_string_append_c(out, '\n');
    }
    const bool ok = write_file(s->out, "runs.csv", out->str, error);
    g_string_free(out, TRUE);
    return ok;
}

static char *preamble(const sweep_state_t *s, guint n_done, guint n_failed)
{
    const ppo_sweep_t *sw = s->sw;
    GString *p = g_string_new(NULL);
    g_string_append_printf(p,
                           "Sweep file: `%s` (copied to `sweep.yaml`; the overrides of each "
                           "cell are in `cells.csv`).  \n",
                           sw->path);
    if (s->opt->command_line != NULL)
        g_string_append_printf(p, "Command: `%s`  \n", s->opt->command_line);
    g_string_append_printf(p, "Cells: %u", sw->cells->len);
    for (guint a = 0; a < sw->axes->len; a++) {
        const ppo_sweep_axis_t *ax = g_ptr_array_index(sw->axes, a);
        g_string_append_printf(p, "%s `%s` (", a == 0 ? " =" : " ×", ax->key);
        for (guint v = 0; v < ax->values->len; v++)
            g_string_append_printf(
                p, "%s%s", v > 0 ? ", " : "",
                ((const ppo_sweep_value_t *)g_ptr_array_index(ax->values, v))->label);
        g_string_append_c(p, ')');
    }
    g_string_append(p, "; seeds:");
    for (guint i = 0; i < sw->seeds->len; i++)
        g_string_append_printf(p, "%s %" G_GUINT64_FORMAT, i > 0 ? "," : "",
                               g_array_index(sw->seeds, uint64_t, i));
    g_string_append(p, ".  \n");
    const ppo_sweep_cell_t *c0 = g_ptr_array_index(sw->cells, 0);
    g_string_append_printf(p, "Steps per run: %" G_GUINT64_FORMAT "%s.  \n", c0->total_steps,
                           sw->cells->len > 1 ? " (first cell)" : "");
    char el[32];
    format_duration(el, sizeof(el), (double)(g_get_monotonic_time() - s->t0) / 1e6);
    guint ran = 0;
    for (guint i = 0; i < s->n_runs; i++)
        ran += s->runs[i].state != RUN_PENDING && !s->runs[i].done_before;
    g_string_append_printf(p,
                           "Runs: %u done, %u failed, %u not finished, of %u. The last "
                           "invocation ran %u of them in %s.\n",
                           n_done, n_failed, s->n_runs - n_done - n_failed, s->n_runs, ran, el);
    return g_string_free(p, FALSE);
}

static bool write_reports(const sweep_state_t *s, GError **error)
{
    const ppo_sweep_t *sw = s->sw;
    ppo_report_t rep = {.title = sw->name};
    rep.groups = g_ptr_array_new_with_free_func((GDestroyNotify)ppo_report_group_free);
    rep.axes = g_new0(char *, sw->axes->len + 1);
    for (guint a = 0; a < sw->axes->len; a++)
        rep.axes[a] = g_strdup(((ppo_sweep_axis_t *)g_ptr_array_index(sw->axes, a))->key);
    GString *failures = g_string_new(NULL);
    guint n_done = 0, n_failed = 0;
    for (guint c = 0; c < sw->cells->len; c++) {
        const ppo_sweep_cell_t *cell = g_ptr_array_index(sw->cells, c);
        char *base = g_path_get_basename(cell->base);
        char *panel = g_strdup_printf("base: %s", base);
        ppo_report_group_t *g = ppo_report_group_new(cell->name, panel);
        g->threshold = cell->threshold;
        g_free(panel);
        g_free(base);
        /* in a panel of its own base, the legend leaves the base out */
        if (sw->base_is_axis) {
            const char *comma = strchr(cell->name, ',');
            g->legend = g_strdup(comma != NULL ? comma + 1 : cell->name);
        }
        g->axis_values = g_new0(char *, sw->axes->len + 1);
        for (guint a = 0; a < sw->axes->len; a++) {
            const ppo_sweep_axis_t *ax = g_ptr_array_index(sw->axes, a);
            const ppo_sweep_value_t *v = g_ptr_array_index(ax->values, cell->choice[a]);
            g->axis_values[a] = g_strdup(v->label);
        }
        g_ptr_array_add(rep.groups, g);
        for (guint i = 0; i < s->n_runs; i++) {
            const run_t *r = &s->runs[i];
            if (r->cell != cell)
                continue;
            g->n_runs++;
            if (r->state == RUN_FAILED) {
                g->n_failed++;
                n_failed++;
                g_string_append_printf(failures, "- `%s`: exit %d: %s\n", r->name, r->exit_code,
                                       r->last_line != NULL ? r->last_line : "no message");
            }
            if (r->state != RUN_DONE)
                continue;
            ppo_curve_t *curve = ppo_curve_load(r->dir, NULL);
            if (curve == NULL)
                continue;
            n_done++;
            g_ptr_array_add(g->curves, curve);
            g_ptr_array_add(g->run_names, g_strdup(r->name));
            g_array_append_val(g->seeds, r->seed);
        }
    }
    char *pre = preamble(s, n_done, n_failed);
    char *csv = ppo_report_csv(&rep);
    char *md = ppo_report_markdown(&rep, pre, "curves.svg", failures->str);
    char *subtitle = g_strdup_printf("mean over seeds with a ±1 standard error band; %u seeds "
                                     "per cell",
                                     sw->seeds->len);
    char *svg = ppo_report_svg(&rep, subtitle, PPO_BAND_STDERR);
    const bool ok = write_file(s->out, "summary.csv", csv, error) &&
                    write_file(s->out, "summary.md", md, error) &&
                    write_file(s->out, "curves.svg", svg, error);
    g_free(subtitle);
    g_free(svg);
    g_free(md);
    g_free(csv);
    g_free(pre);
    g_string_free(failures, TRUE);
    g_ptr_array_free(rep.groups, TRUE);
    g_strfreev(rep.axes);
    return ok;
}

/* ---- the loop ---- */

static void nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool run_all(sweep_state_t *s, GError **error)
{
    guint next = 0;
    int forwarded = 0;
    gint64 last_draw = 0;
    bool ok = true;
    for (;;) {
        /* start runs while there is room */
        while (ok && stop_signo == 0 && s->n_running < s->opt->jobs && next < s->n_runs) {
            run_t *r = &s->runs[next++];
            if (r->state == RUN_DONE)
                continue;
            if (!start_run(s, r, error)) {
                ok = false;
                break;
            }
            if (r->start_step > 0)
                event(s, "ppofw: resume  %s from step %" G_GUINT64_FORMAT, r->name, r->start_step);
            else
                event(s, "ppofw: start   %s", r->name);
        }
        if (s->n_running == 0 && (next >= s->n_runs || stop_signo != 0 || !ok))
            break;
        /* pass a stop on to the runs: once politely, a second time at once */
        if (stop_signo != 0 && forwarded < MIN(stop_count, 2)) {
            for (guint i = 0; i < s->n_runs; i++)
                if (s->runs[i].state == RUN_RUNNING)
                    kill(s->runs[i].pid, stop_signo);
            if (forwarded == 0)
                event(s,
                      "ppofw: stopping: %u running runs write a checkpoint and stop; run the "
                      "same command again to continue",
                      s->n_running);
            forwarded++;
        }
        nap(100);
        for (guint i = 0; i < s->n_runs; i++) {
            run_t *r = &s->runs[i];
            if (r->state != RUN_RUNNING)
                continue;
            int wstatus = 0;
            const pid_t got = waitpid(r->pid, &wstatus, WNOHANG);
            if (got == r->pid) {
                GError *local = NULL;
                if (!finish_run(s, r, wstatus, &local)) {
                    if (ok)
                        g_propagate_error(error, local);
                    else
                        g_error_free(local);
                    ok = false;
                }
                report_finish(s, r);
                write_runs_csv(s, NULL);
            }
        }
        const gint64 now = g_get_monotonic_time();
        if (now - last_draw > 500000) {
            for (guint i = 0; i < s->n_runs; i++)
                if (s->runs[i].state == RUN_RUNNING)
                    s->runs[i].step = metrics_last_step(s->runs[i].dir);
            progress_line(s);
            last_draw = now;
        }
    }
    if (s->tty && !s->opt->quiet)
        fputs("\r\x1b[K", stderr);
    return ok;
}

void ppo_sweep_result_clear(ppo_sweep_result_t *res)
{
    g_free(res->out_dir);
    memset(res, 0, sizeof(*res));
}

bool ppo_sweep_execute(const ppo_sweep_t *sw, const ppo_sweep_options_t *opt,
                       ppo_sweep_result_t *res, GError **error)
{
    g_return_val_if_fail(opt->jobs >= 1 && opt->exe != NULL, false);
    memset(res, 0, sizeof(*res));
    sweep_state_t s = {.sw = sw, .opt = opt, .tty = isatty(STDERR_FILENO) != 0};
    s.out = opt->out_dir != NULL ? g_strdup(opt->out_dir) : default_out(sw);
    res->out_dir = g_strdup(s.out);
    bool ok = false;

    /* a stop is remembered, not acted on, until the runs have been told */
    stop_signo = 0;
    stop_count = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    const int lock_fd = prepare_out(&s, error);
    if (lock_fd < 0)
        goto out_signals;

    /* runs in order: cell by cell, seed by seed */
    s.n_runs = sw->cells->len * sw->seeds->len;
    s.runs = g_new0(run_t, s.n_runs);
    for (guint c = 0, k = 0; c < sw->cells->len; c++) {
        for (guint i = 0; i < sw->seeds->len; i++, k++) {
            run_t *r = &s.runs[k];
            r->cell = g_ptr_array_index(sw->cells, c);
            r->cell_index = c;
            r->seed = g_array_index(sw->seeds, uint64_t, i);
            r->name = ppo_sweep_run_name(r->cell, r->seed);
            r->dir = g_build_filename(s.out, "runs", r->name, NULL);
            read_status(r);
            r->done_before = r->state == RUN_DONE;
            r->step = r->done_before ? r->cell->total_steps : metrics_last_step(r->dir);
            r->start_step = r->step;
            if (r->done_before)
                res->n_skipped++;
        }
    }
    const uint32_t cores = (uint32_t)MAX(g_get_num_processors(), 1);
    s.threads = sw->threads_fixed ? 0 : MAX(cores / opt->jobs, 1);
    s.t0 = g_get_monotonic_time();
    if (!opt->quiet)
        fprintf(stderr,
                "ppofw: sweep %s: %u runs (%u cells x %u seeds) in %s; %u done earlier, %u to "
                "run, %u at a time\n",
                sw->name, s.n_runs, sw->cells->len, sw->seeds->len, s.out, res->n_skipped,
                s.n_runs - res->n_skipped, opt->jobs);
    ok = run_all(&s, error);
    /* the reports cover whatever is done, also after a stop */
    GError *local = NULL;
    if (!write_runs_csv(&s, &local) || !write_reports(&s, &local)) {
        if (ok)
            g_propagate_error(error, local);
        else
            g_error_free(local);
        ok = false;
    }
    res->n_runs = s.n_runs;
    res->first_failure = 0;
    for (guint i = 0; i < s.n_runs; i++) {
        const run_t *r = &s.runs[i];
        if (r->state == RUN_DONE)
            res->n_done++;
        if (r->state == RUN_FAILED) {
            if (res->n_failed == 0)
                res->first_failure = r->exit_code;
            res->n_failed++;
        }
    }
    if (ok && stop_signo != 0) {
        ppo_error_set_interrupt_signal(stop_signo);
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERRUPTED,
                    "sweep %s interrupted by %s with %u of %u runs done; the summary covers "
                    "those. Continue with: ppofw sweep %s --out %s",
                    sw->name, stop_signo == SIGTERM ? "SIGTERM" : "SIGINT", res->n_done, s.n_runs,
                    sw->path, s.out);
        ok = false;
    }
    for (guint i = 0; i < s.n_runs; i++) {
        g_free(s.runs[i].name);
        g_free(s.runs[i].dir);
        g_free(s.runs[i].last_line);
    }
    g_free(s.runs);
    close(lock_fd);
out_signals:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    g_free(s.out);
    return ok;
}
