/* ppofw reliability tests — spawning ppofw, snapshots of run directories, checkpoint sections.
 * See rel_util.h. What it leaves out: anything specific to one test. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_crc32c_private.h"
#include "rel_util.h"

static const char *build_dir(void)
{
    const char *b = g_getenv("PPO_TEST_BUILDDIR");
    return b != NULL ? b : PPO_ABS_BUILDDIR;
}

char *rel_ppofw(void)
{
    return g_build_filename(build_dir(), "ppofw", NULL);
}

char *rel_write(const char *dir, const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *error = NULL;
    ck_assert_msg(g_file_set_contents(path, text, -1, &error), "%s",
                  error != NULL ? error->message : "");
    return path;
}

char *rel_cartpole_pipeline(const char *dir, const char *name, int seed, int total_steps)
{
    char *file = g_strdup_printf("%s.yaml", name);
    char *text = g_strdup_printf(
        "name: %s\n"
        "seed: %d\n"
        "env: {plugin: cartpole, num_envs: 2}\n"
        "policy: {plugin: mlp, params: {pi_hidden: [16], vf_hidden: [16]}}\n"
        "advantage: {plugin: gae}\n"
        "optimizer: {plugin: adam}\n"
        "ppo: {total_steps: %d, rollout_steps: 32, epochs: 1, minibatches: 2}\n"
        "checkpoint: {every_seconds: null, every_steps: 64, keep: 100}\n",
        name, seed, total_steps);
    char *path = rel_write(dir, file, text);
    g_free(text);
    g_free(file);
    return path;
}

char *rel_read(const char *path, gsize *len)
{
    char *text = NULL;
    gsize n = 0;
    GError *error = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, &n, &error), "%s",
                  error != NULL ? error->message : "");
    if (len != NULL)
        *len = n;
    return text;
}

/* g_ptr_array_sort passes pointers to the elements */
static int strcmp_ptrs(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- processes ---- */

/* Copies a child's stdout and stderr pipes into files until both reach end of file. */
typedef struct {
    int fd[2];
    const char *path[2];
} drain_t;

static gpointer drain_main(gpointer data)
{
    drain_t *d = data;
    FILE *f[2] = {fopen(d->path[0], "w"), fopen(d->path[1], "w")};
    bool open_fd[2] = {true, true};
    while (open_fd[0] || open_fd[1]) {
        struct pollfd pfd[2];
        nfds_t n = 0;
        int which[2];
        for (int k = 0; k < 2; k++)
            if (open_fd[k]) {
                pfd[n].fd = d->fd[k];
                pfd[n].events = POLLIN;
                which[n++] = k;
            }
        if (poll(pfd, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (pfd[i].revents == 0)
                continue;
            char buf[4096];
            const ssize_t got = read(pfd[i].fd, buf, sizeof(buf));
            if (got > 0 && f[which[i]] != NULL) {
                fwrite(buf, 1, (size_t)got, f[which[i]]);
                fflush(f[which[i]]);
            } else if (got == 0 || (got < 0 && errno != EINTR)) {
                open_fd[which[i]] = false;
            }
        }
    }
    for (int k = 0; k < 2; k++) {
        if (f[k] != NULL)
            fclose(f[k]);
        close(d->fd[k]);
    }
    g_free(d);
    return NULL;
}

/* The child is gone: wait for the drain to see the end of its output, then read it. */
static void collect_output(rel_proc_t *p)
{
    if (p->drain != NULL)
        g_thread_join(p->drain);
    p->drain = NULL;
    p->out = rel_read(p->out_path, NULL);
    p->err = rel_read(p->err_path, NULL);
    g_unlink(p->out_path);
    g_unlink(p->err_path);
}


void rel_start(rel_proc_t *p, const rel_opts_t *opt, const char *const *args)
{
    static guint counter;
    memset(p, 0, sizeof(*p));
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, rel_ppofw());
    for (const char *const *a = args; *a != NULL; a++)
        g_ptr_array_add(argv, g_strdup(*a));
    g_ptr_array_add(argv, NULL);

    char **envp = g_get_environ();
    char *plugin_path = g_strdup_printf("%s/tests/reliability/.libs:%s/tests/fixtures/.libs",
                                        build_dir(), build_dir());
    envp = g_environ_setenv(envp, "PPOFW_PLUGIN_PATH", plugin_path, TRUE);
    g_free(plugin_path);
    for (const char *const *e = opt->env; e != NULL && *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        ck_assert_ptr_nonnull(eq);
        char *name = g_strndup(*e, (gsize)(eq - *e));
        envp = g_environ_setenv(envp, name, eq + 1, TRUE);
        g_free(name);
    }

    char *base = g_strdup_printf("%s/ppo-rel-%d-%u", g_get_tmp_dir(), (int)getpid(), counter++);
    p->out_path = g_strconcat(base, ".out", NULL);
    p->err_path = g_strconcat(base, ".err", NULL);
    g_free(base);
    /* the child writes into pipes, so its own file-size limit never cuts its messages */
    int out_pipe[2], err_pipe[2];
    ck_assert_msg(pipe2(out_pipe, O_CLOEXEC) == 0 && pipe2(err_pipe, O_CLOEXEC) == 0, "pipe: %s",
                  g_strerror(errno));
    const int out_fd = out_pipe[1], err_fd = err_pipe[1];

    p->t0 = g_get_monotonic_time();
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", g_strerror(errno));
    if (pid == 0) {
        if ((opt->cwd != NULL && chdir(opt->cwd) != 0) || dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(err_fd, STDERR_FILENO) < 0)
            _exit(126);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        /* a test may run under a handler or mask of its own; the child starts clean */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (opt->fsize_limit > 0) {
            struct rlimit rl = {.rlim_cur = opt->fsize_limit, .rlim_max = opt->fsize_limit};
            signal(SIGXFSZ, SIG_IGN);
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(126);
        }
        if (opt->unprivileged && getuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
            _exit(126);
        execve((const char *)argv->pdata[0], (char **)argv->pdata, envp);
        _exit(127);
    }
    close(out_fd);
    close(err_fd);
    p->pid = pid;
    drain_t *d = g_new0(drain_t, 1);
    d->fd[0] = out_pipe[0];
    d->fd[1] = err_pipe[0];
    d->path[0] = p->out_path;
    d->path[1] = p->err_path;
    p->drain = g_thread_new("rel-drain", drain_main, d);
    g_strfreev(envp);
    g_ptr_array_free(argv, TRUE);
}

void rel_wait(rel_proc_t *p, const rel_opts_t *opt)
{
    if (p->pid == 0)
        return; /* rel_wait_rows saw it finish */
    const double timeout = opt != NULL && opt->timeout_s > 0 ? opt->timeout_s : 120.0;
    const gint64 deadline = p->t0 + (gint64)(timeout * 1e6);
    for (;;) {
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid)
            break;
        ck_assert_msg(r == 0, "waitpid: %s", g_strerror(errno));
        if (g_get_monotonic_time() > deadline) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &p->status, 0);
            collect_output(p);
            ck_abort_msg("ppofw did not finish within %.0f s (killed); stderr:\n%s", timeout,
                         p->err);
        }
        g_usleep(2000);
    }
    p->seconds = (double)(g_get_monotonic_time() - p->t0) / 1e6;
    collect_output(p);
}

void rel_run(rel_proc_t *p, const rel_opts_t *opt, ...)
{
    GPtrArray *args = g_ptr_array_new();
    va_list ap;
    va_start(ap, opt);
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *))
        g_ptr_array_add(args, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    rel_start(p, opt, (const char *const *)args->pdata);
    rel_wait(p, opt);
    ck_assert_msg(!WIFSIGNALED(p->status), "ppofw %s was killed by signal %d (%s); stderr:\n%s",
                  (const char *)args->pdata[0], WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0,
                  WIFSIGNALED(p->status) ? g_strsignal(WTERMSIG(p->status)) : "", p->err);
    ck_assert_msg(WIFEXITED(p->status), "ppofw did not exit normally");
    g_ptr_array_free(args, TRUE);
}

void rel_proc_clear(rel_proc_t *p)
{
    g_free(p->out_path);
    g_free(p->err_path);
    g_free(p->out);
    g_free(p->err);
    memset(p, 0, sizeof(*p));
}

void rel_expect(const rel_proc_t *p, int code, ...)
{
    ck_assert_msg(!WIFSIGNALED(p->status), "ppofw was killed by signal %d; stderr:\n%s",
                  WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0, p->err);
    ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == code,
                  "exit code %d instead of %d; stderr:\n%s", WEXITSTATUS(p->status), code, p->err);
    va_list ap;
    va_start(ap, code);
    for (const char *part = va_arg(ap, const char *); part != NULL; part = va_arg(ap, const char *))
        ck_assert_msg(strstr(p->err, part) != NULL, "stderr lacks \"%s\":\n%s", part, p->err);
    va_end(ap);
}

guint rel_metrics_rows(const char *run_dir)
{
    char *path = g_build_filename(run_dir, "metrics.csv", NULL);
    char *text = NULL;
    gsize len = 0;
    guint rows = 0;
    if (g_file_get_contents(path, &text, &len, NULL)) {
        for (gsize i = 0; i < len; i++)
            rows += text[i] == '\n';
        rows = rows > 0 ? rows - 1 : 0;
    }
    g_free(text);
    g_free(path);
    return rows;
}

bool rel_wait_rows(rel_proc_t *p, const char *run_dir, guint rows, double timeout_s)
{
    const gint64 deadline = g_get_monotonic_time() + (gint64)(timeout_s * 1e6);
    while (g_get_monotonic_time() < deadline) {
        if (waitpid(p->pid, &p->status, WNOHANG) == p->pid) {
            /* finished on its own: mark it so rel_wait does not wait again */
            p->seconds = (double)(g_get_monotonic_time() - p->t0) / 1e6;
            collect_output(p);
            p->pid = 0;
            return false;
        }
        if (rel_metrics_rows(run_dir) >= rows)
            return true;
        g_usleep(500);
    }
    return false;
}

/* ---- snapshots ---- */

struct rel_snapshot {
    GHashTable *files; /* path -> GBytes */
};

static void snap_dir(GHashTable *files, const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return;
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            snap_dir(files, path);
            g_free(path);
            continue;
        }
        gsize len;
        char *data = rel_read(path, &len);
        g_hash_table_replace(files, path, g_bytes_new_take(data, len));
    }
    g_dir_close(d);
}

rel_snapshot_t *rel_snapshot(const char *dir)
{
    rel_snapshot_t *s = g_new0(rel_snapshot_t, 1);
    s->files =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
    snap_dir(s->files, dir);
    return s;
}

void rel_snapshot_free(rel_snapshot_t *s)
{
    if (s == NULL)
        return;
    g_hash_table_destroy(s->files);
    g_free(s);
}

void rel_assert_preserved(const rel_snapshot_t *s)
{
    ck_assert_msg(g_hash_table_size(s->files) > 0, "the snapshot holds no files");
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, s->files);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const char *path = key;
        gsize old_len;
        const char *old = g_bytes_get_data(value, &old_len);
        char *now = NULL;
        gsize now_len = 0;
        ck_assert_msg(g_file_get_contents(path, &now, &now_len, NULL),
                      "%s was written before the failure and is gone now", path);
        char *base = g_path_get_basename(path);
        const bool append_only =
            strcmp(base, "metrics.csv") == 0 || strcmp(base, "episodes.csv") == 0 ||
            g_str_has_prefix(base, "events.out.tfevents.");
        if (append_only)
            ck_assert_msg(now_len >= old_len && memcmp(now, old, old_len) == 0,
                          "%s lost or changed content written before the failure", path);
        else
            ck_assert_msg(now_len == old_len && memcmp(now, old, old_len) == 0,
                          "%s changed (%zu bytes before, %zu now)", path, (size_t)old_len,
                          (size_t)now_len);
        g_free(base);
        g_free(now);
    }
}

guint rel_snapshot_count(const rel_snapshot_t *s, const char *suffix)
{
    guint n = 0;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, s->files);
    while (g_hash_table_iter_next(&it, &key, NULL))
        n += g_str_has_suffix(key, suffix);
    return n;
}

/* ---- checkpoints ---- */

char *rel_latest_checkpoint(const char *run_dir)
{
    char *dir = g_build_filename(run_dir, "checkpoints", NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    char *best = NULL;
    if (d != NULL) {
        const char *name;
        while ((name = g_dir_read_name(d)) != NULL)
            if (g_str_has_prefix(name, "ckpt-") && g_str_has_suffix(name, ".ckpt") &&
                (best == NULL || strcmp(name, best) > 0)) {
                g_free(best);
                best = g_strdup(name);
            }
        g_dir_close(d);
    }
    char *out = best != NULL ? g_build_filename(dir, best, NULL) : NULL;
    g_free(best);
    g_free(dir);
    return out;
}

GBytes *rel_ckpt_section(const char *path, const char *tag)
{
    gsize len;
    char *data = rel_read(path, &len);
    ck_assert_msg(len >= 28 && memcmp(data, "PPOFWCKP", 8) == 0, "%s is not a checkpoint", path);
    gsize at = 24;
    GBytes *out = NULL;
    while (at + 12 <= len - 4) {
        uint64_t n;
        memcpy(&n, data + at + 4, 8);
        ck_assert_msg(n <= len - 4 - at - 12, "%s: a section runs past the end", path);
        if (memcmp(data + at, tag, 4) == 0 && out == NULL)
            out = g_bytes_new(data + at + 12, n);
        at += 12 + n;
    }
    ck_assert_msg(out != NULL, "%s has no %s section", path, tag);
    g_free(data);
    return out;
}

char *rel_ckpt_info(const char *path, const char *key)
{
    GBytes *info = rel_ckpt_section(path, "INFO");
    gsize n;
    const char *p = g_bytes_get_data(info, &n);
    char *text = g_strndup(p, n);
    char **lines = g_strsplit(text, "\n", -1);
    char *out = NULL;
    const size_t klen = strlen(key);
    for (char **l = lines; *l != NULL && out == NULL; l++)
        if (strncmp(*l, key, klen) == 0 && (*l)[klen] == '=')
            out = g_strdup(*l + klen + 1);
    g_strfreev(lines);
    g_free(text);
    g_bytes_unref(info);
    return out;
}

void rel_assert_same_state(const char *a, const char *b)
{
    static const char *const tags[] = {"PIPE", "PARM", "OPTS", "PSTA", "NORM", "RNGS",
                                       "ENVS", "OBSV", "WIND", "ENRM", NULL};
    for (const char *const *t = tags; *t != NULL; t++) {
        GBytes *x = rel_ckpt_section(a, *t), *y = rel_ckpt_section(b, *t);
        ck_assert_msg(g_bytes_equal(x, y), "section %s differs between %s and %s", *t, a, b);
        g_bytes_unref(x);
        g_bytes_unref(y);
    }
    GBytes *x = rel_ckpt_section(a, "INFO"), *y = rel_ckpt_section(b, "INFO");
    char *ta = g_strndup(g_bytes_get_data(x, NULL), g_bytes_get_size(x));
    char *tb = g_strndup(g_bytes_get_data(y, NULL), g_bytes_get_size(y));
    char **la = g_strsplit(ta, "\n", -1), **lb = g_strsplit(tb, "\n", -1);
    ck_assert_uint_eq(g_strv_length(la), g_strv_length(lb));
    for (guint i = 0; la[i] != NULL; i++)
        /* time_s, the byte offsets into files whose time columns vary in width and their
         * digests, and the run's identity */
        if (!g_str_has_prefix(la[i], "time_s=") && !g_str_has_prefix(la[i], "metrics_offset=") &&
            !g_str_has_prefix(la[i], "episodes_offset=") &&
            !g_str_has_prefix(la[i], "tboard_offset=") && !g_str_has_prefix(la[i], "tboard_file=") &&
            !g_str_has_prefix(la[i], "run_id=") && !g_str_has_prefix(la[i], "metrics_digest=") &&
            !g_str_has_prefix(la[i], "episodes_digest=") &&
            !g_str_has_prefix(la[i], "tboard_digest="))
            ck_assert_msg(strcmp(la[i], lb[i]) == 0, "INFO differs: \"%s\" vs \"%s\"", la[i],
                          lb[i]);
    g_strfreev(la);
    g_strfreev(lb);
    g_free(ta);
    g_free(tb);
    g_bytes_unref(x);
    g_bytes_unref(y);
}

/* The lines of a CSV file with the cells of columns [first, last] blanked in every row after
 * the header. */
static char **csv_without_columns(const char *path, guint first, guint last)
{
    char *text = rel_read(path, NULL);
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    /* the header stays as it is */
    for (char **l = lines + (lines[0] != NULL); *l != NULL; l++) {
        char **cells = g_strsplit(*l, ",", -1);
        for (guint c = first; c <= last && c < g_strv_length(cells); c++) {
            g_free(cells[c]);
            cells[c] = g_strdup("");
        }
        g_free(*l);
        *l = g_strjoinv(",", cells);
        g_strfreev(cells);
    }
    return lines;
}

/* Fail unless two CSV files have the header `header` and equal lines once columns [first, last]
 * are blanked. */
static void assert_same_csv(const char *a, const char *b, const char *header, guint first,
                            guint last)
{
    char **la = csv_without_columns(a, first, last), **lb = csv_without_columns(b, first, last);
    ck_assert_msg(g_str_has_prefix(la[0], header), "unexpected header in %s: %s", a, la[0]);
    ck_assert_msg(g_strv_length(la) == g_strv_length(lb), "%s has %u lines, %s has %u", a,
                  g_strv_length(la), b, g_strv_length(lb));
    for (guint i = 0; la[i] != NULL; i++)
        ck_assert_msg(strcmp(la[i], lb[i]) == 0, "%s: line %u differs:\n%s\n%s", a, i, la[i],
                      lb[i]);
    g_strfreev(la);
    g_strfreev(lb);
}

void rel_assert_same_metrics(const char *a, const char *b)
{
    /* columns 5 and 6 are time_s and sps (DESIGN.md §6) */
    assert_same_csv(a, b, "global_step,iteration,episodes,ep_return_mean,ep_len_mean,time_s,sps,",
                    5, 6);
}

void rel_assert_same_episodes(const char *a, const char *b)
{
    /* column 6 is time_s (docs/file-formats.md) */
    assert_same_csv(a, b, "global_step,env,return,length,terminated,truncated,time_s", 6, 6);
}

void rel_assert_params_finite(const char *ckpt)
{
    GBytes *parm = rel_ckpt_section(ckpt, "PARM");
    gsize n;
    const float *x = g_bytes_get_data(parm, &n);
    ck_assert_msg(n > 0 && n % sizeof(float) == 0, "%s: PARM has %zu bytes", ckpt, (size_t)n);
    for (gsize i = 0; i < n / sizeof(float); i++)
        ck_assert_msg(isfinite(x[i]), "%s: parameter %zu is %g", ckpt, (size_t)i, (double)x[i]);
    g_bytes_unref(parm);
}

/* ---- trees and crafted files ---- */

char **rel_dir_names(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return NULL;
    GPtrArray *names = g_ptr_array_new();
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    g_ptr_array_sort(names, strcmp_ptrs);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

static void digest_dir(GChecksum *sum, const char *root, const char *rel)
{
    char *dir = rel[0] != '\0' ? g_build_filename(root, rel, NULL) : g_strdup(root);
    char **names = rel_dir_names(dir);
    if (names == NULL) {
        g_free(dir);
        return;
    }
    for (char **np = names; *np != NULL; np++) {
        const char *n = *np;
        char *sub = rel[0] != '\0' ? g_build_filename(rel, n, NULL) : g_strdup(n);
        char *path = g_build_filename(root, sub, NULL);
        struct stat st;
        ck_assert_msg(lstat(path, &st) == 0, "lstat %s: %s", path, g_strerror(errno));
        char head[128];
        g_snprintf(head, sizeof(head), "|%o|%jd|", (unsigned)st.st_mode, (intmax_t)st.st_size);
        g_checksum_update(sum, (const guchar *)sub, -1);
        g_checksum_update(sum, (const guchar *)head, -1);
        if (S_ISLNK(st.st_mode)) {
            char *target = g_file_read_link(path, NULL);
            g_checksum_update(sum, (const guchar *)(target != NULL ? target : ""), -1);
            g_free(target);
        } else if (S_ISREG(st.st_mode)) {
            gsize len;
            char *data = rel_read(path, &len);
            g_checksum_update(sum, (const guchar *)data, (gssize)len);
            g_free(data);
        } else if (S_ISDIR(st.st_mode)) {
            digest_dir(sum, root, sub);
        }
        g_free(path);
        g_free(sub);
    }
    g_strfreev(names);
    g_free(dir);
}

char *rel_tree_digest(const char *dir)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    digest_dir(sum, dir, "");
    char *hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    return hex;
}

void rel_ckpt_craft(const char *src, const char *dst, const char *tag, const void *payload,
                    size_t len)
{
    gsize n;
    char *data = rel_read(src, &n);
    ck_assert_msg(n >= 28 && memcmp(data, "PPOFWCKP", 8) == 0, "%s is not a checkpoint", src);
    GByteArray *out = g_byte_array_new();
    g_byte_array_append(out, (const guint8 *)data, 24);
    gsize at = 24;
    bool done = false;
    while (at + 12 <= n - 4) {
        uint64_t sec;
        memcpy(&sec, data + at + 4, 8);
        ck_assert_msg(sec <= n - 4 - at - 12, "%s: a section runs past the end", src);
        const bool match = memcmp(data + at, tag, 4) == 0 && !done;
        const uint64_t new_len = match ? len : sec;
        g_byte_array_append(out, (const guint8 *)data + at, 4);
        g_byte_array_append(out, (const guint8 *)&new_len, 8);
        g_byte_array_append(out, match ? payload : (const guint8 *)data + at + 12,
                            (guint)new_len);
        done |= match;
        at += 12 + sec;
    }
    if (!done) {
        const uint64_t new_len = len;
        g_byte_array_append(out, (const guint8 *)tag, 4);
        g_byte_array_append(out, (const guint8 *)&new_len, 8);
        g_byte_array_append(out, payload, (guint)len);
    }
    const uint32_t crc = ppo_crc32c_update(0, out->data, out->len);
    g_byte_array_append(out, (const guint8 *)&crc, 4);
    GError *error = NULL;
    ck_assert_msg(g_file_set_contents(dst, (const char *)out->data, out->len, &error), "%s",
                  error != NULL ? error->message : "");
    g_byte_array_free(out, TRUE);
    g_free(data);
}

void rel_ckpt_set_info(const char *src, const char *dst, const char *key, const char *value)
{
    GBytes *info = rel_ckpt_section(src, "INFO");
    gsize n;
    const char *p = g_bytes_get_data(info, &n);
    GString *text = g_string_new(NULL);
    char *old = g_strndup(p, n);
    char **lines = g_strsplit(old, "\n", -1);
    bool set = false;
    const size_t klen = strlen(key);
    for (char **l = lines; *l != NULL; l++) {
        if (**l == '\0')
            continue;
        if (strncmp(*l, key, klen) == 0 && (*l)[klen] == '=') {
            g_string_append_printf(text, "%s=%s\n", key, value);
            set = true;
        } else {
            g_string_append_printf(text, "%s\n", *l);
        }
    }
    if (!set)
        g_string_append_printf(text, "%s=%s\n", key, value);
    rel_ckpt_craft(src, dst, "INFO", text->str, text->len);
    g_strfreev(lines);
    g_free(old);
    g_string_free(text, TRUE);
    g_bytes_unref(info);
}

void rel_ckpt_edit_pipeline(const char *src, const char *dst, const char *from, const char *to)
{
    GBytes *pipe = rel_ckpt_section(src, "PIPE");
    gsize n;
    const char *p = g_bytes_get_data(pipe, &n);
    char *text = g_strndup(p, n);
    ck_assert_msg(strstr(text, from) != NULL, "%s's pipeline lacks \"%s\"", src, from);
    char **parts = g_strsplit(text, from, -1);
    char *edited = g_strjoinv(to, parts);
    rel_ckpt_craft(src, dst, "PIPE", edited, strlen(edited));
    g_free(edited);
    g_strfreev(parts);
    g_free(text);
    g_bytes_unref(pipe);
}

char *rel_fifo(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    ck_assert_msg(mkfifo(path, 0644) == 0, "mkfifo %s: %s", path, g_strerror(errno));
    return path;
}

void rel_train(const char *pipeline, const char *run_dir, ...)
{
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, (gpointer) "run");
    g_ptr_array_add(args, (gpointer)pipeline);
    g_ptr_array_add(args, (gpointer) "--run-dir");
    g_ptr_array_add(args, (gpointer)run_dir);
    g_ptr_array_add(args, (gpointer) "-q");
    va_list ap;
    va_start(ap, run_dir);
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *))
        g_ptr_array_add(args, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_start(&p, &o, (const char *const *)args->pdata);
    rel_wait(&p, &o);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    g_ptr_array_free(args, TRUE);
}

const char *rel_bad_dir(void)
{
    static char *dir;
    if (dir == NULL)
        dir = g_build_filename(build_dir(), "tests", "reliability", "bad", ".libs", NULL);
    return dir;
}
