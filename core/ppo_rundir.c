/* ppofw core — claiming, clearing and resuming run directories (see ppo_rundir_private.h).
 * Leaves out the training loop and what the files hold. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ppo_file_private.h"
#include "ppo_plugin_private.h"
#include "ppo_rundir_private.h"

#define MARKER_MAX 4096
#define TB_PREFIX "events.out.tfevents."

static char *shown(const ppo_rundir_t *rd, const char *name)
{
    return g_build_filename(rd->path, name, NULL);
}

bool ppo_rundir_plain_name(const char *name)
{
    const size_t n = strlen(name);
    if (n == 0 || n > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *c = name; *c != '\0'; c++)
        if (*c == '/' || (unsigned char)*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

/* ---- names ppofw writes ---- */

/* ckpt-<12 digits>.ckpt */
static bool is_periodic_checkpoint(const char *name)
{
    if (strlen(name) != 5 + 12 + 5 || !g_str_has_prefix(name, "ckpt-") ||
        !g_str_has_suffix(name, ".ckpt"))
        return false;
    for (int i = 5; i < 17; i++)
        if (!g_ascii_isdigit(name[i]))
            return false;
    return true;
}

/* What a run writes in checkpoints/: periodic checkpoints, best.ckpt, and their .tmp files. */
static bool is_checkpoint_file(const char *name)
{
    char *base = g_str_has_suffix(name, ".tmp") ? g_strndup(name, strlen(name) - 4)
                                                : g_strdup(name);
    const bool ours = is_periodic_checkpoint(base) || strcmp(base, "best.ckpt") == 0;
    g_free(base);
    return ours;
}

static bool is_events_file(const char *name)
{
    return g_str_has_prefix(name, TB_PREFIX) && ppo_rundir_plain_name(name);
}

/* What eval.record writes in videos/: step<12 digits>-ep<N>-return<R>.gif, and the .gif.part
 * of an episode being written; *step is the training step of its evaluation. */
static bool is_video_file(const char *name, uint64_t *step, bool *partial)
{
    const size_t n = strlen(PPO_RUN_VIDEO_PREFIX);
    if (!g_str_has_prefix(name, PPO_RUN_VIDEO_PREFIX) || strlen(name) < n + 13 ||
        name[n + 12] != '-' || !ppo_rundir_plain_name(name))
        return false;
    for (size_t i = n; i < n + 12; i++)
        if (!g_ascii_isdigit(name[i]))
            return false;
    *partial = g_str_has_suffix(name, ".gif.part");
    if (!*partial && !g_str_has_suffix(name, ".gif"))
        return false;
    *step = g_ascii_strtoull(name + n, NULL, 10);
    return true;
}

/* The file kinds of a run's subdirectories: a run writes `name` in subdirectory k. */
static bool is_run_file(int k, const char *name)
{
    uint64_t step;
    bool partial;
    switch (k) {
    case 0:
        return is_checkpoint_file(name);
    case 1:
        return is_events_file(name);
    default:
        return is_video_file(name, &step, &partial);
    }
}

/* ---- the marker and the lock ---- */

static char *new_run_id(void)
{
    guint8 bytes[PPO_RUN_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof(bytes)) {
        const ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    /* without getrandom, GLib's generator seeded from the clock and /dev/urandom */
    for (; got < sizeof(bytes); got++)
        bytes[got] = (guint8)g_random_int();
    GString *hex = g_string_new(NULL);
    for (size_t i = 0; i < sizeof(bytes); i++)
        g_string_append_printf(hex, "%02x", bytes[i]);
    return g_string_free(hex, FALSE);
}

static bool valid_run_id(const char *id)
{
    if (strlen(id) != PPO_RUN_ID_LEN)
        return false;
    for (const char *c = id; *c != '\0'; c++)
        if (!g_ascii_isxdigit(*c))
            return false;
    return true;
}

/* Read the marker: *id NULL when there is none. */
static bool read_marker(ppo_rundir_t *rd, GError **error)
{
    struct stat st;
    if (fstatat(rd->fd, PPO_RUN_MARKER, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
        return true;
    char *path = shown(rd, PPO_RUN_MARKER);
    char *text = NULL;
    bool ok = ppo_file_read(rd->fd, PPO_RUN_MARKER, path, "run marker", PPO_FILE_NOFOLLOW,
                            MARKER_MAX, PPO_ERROR_CHECKPOINT, &text, NULL, error);
    if (ok) {
        const char *at = strstr(text, "run_id: ");
        char *id = at != NULL ? g_strndup(at + 8, strcspn(at + 8, "\n")) : NULL;
        if (id == NULL || !valid_run_id(id)) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: is not a ppofw run marker (no run_id line of %d hex digits); it was "
                        "damaged — restore it from a copy of the run",
                        path, PPO_RUN_ID_LEN);
            g_free(id);
            ok = false;
        } else {
            rd->run_id = id;
        }
    }
    g_free(text);
    g_free(path);
    return ok;
}

/* Give the run a new id. */
static bool write_marker(ppo_rundir_t *rd, GError **error)
{
    char *id = new_run_id();
    char *text = g_strdup_printf("# a ppofw run directory: ppofw writes, resumes and overwrites "
                                 "only directories holding this file\nrun_id: %s\n",
                                 id);
    char *path = shown(rd, PPO_RUN_MARKER);
    const bool ok = ppo_file_replace_at(rd->fd, PPO_RUN_MARKER, path, "the run marker", text,
                                        strlen(text), NULL, error);
    if (ok) {
        g_free(rd->run_id);
        rd->run_id = id;
    } else {
        g_free(id);
    }
    g_free(path);
    g_free(text);
    return ok;
}

/* One writer per run directory: an exclusive flock on the lock file, never waited for. */
static bool take_lock(ppo_rundir_t *rd, GError **error)
{
    char *path = shown(rd, PPO_RUN_LOCK);
    bool ok = false;
    const int fd =
        openat(rd->fd, PPO_RUN_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ppo_io_error(error, path, "open the run's lock file", errno,
                     errno == ELOOP ? " (it is a symbolic link, which ppofw does not follow)"
                                    : NULL);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: is %s, not ppofw's lock file; remove it",
                    path, ppo_file_kind(st.st_mode));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                        "%s: the run directory is in use by another ppofw process (it holds %s); "
                        "one process writes a run directory at a time — wait for that one to "
                        "end (or stop it), or choose another --run-dir",
                        rd->path, PPO_RUN_LOCK);
        else
            ppo_io_error(error, path, "lock", errno, NULL);
        goto out;
    }
    rd->lock_fd = fd;
    ok = true;
out:
    if (!ok && fd >= 0)
        close(fd);
    g_free(path);
    return ok;
}

/* ---- looking at what is there ---- */

/* g_ptr_array_sort passes pointers to the elements */
static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Open a subdirectory of the run (never through a link); -1 with errno ENOENT when absent. */
static int open_subdir(const ppo_rundir_t *rd, const char *name, bool create, GError **error)
{
    if (create && mkdirat(rd->fd, name, 0755) != 0 && errno != EEXIST) {
        char *path = shown(rd, name);
        ppo_io_error(error, path, "create the directory", errno, NULL);
        g_free(path);
        return -1;
    }
    const int fd = openat(rd->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno != ENOENT || create)) {
        const int err = errno;
        char *path = shown(rd, name);
        struct stat st;
        const bool link = fstatat(rd->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                          S_ISLNK(st.st_mode);
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: %s; a run directory's %s/ must be a directory of its own — restore it, "
                    "or choose another run directory",
                    path,
                    link ? "is a symbolic link, which ppofw never follows inside a run directory"
                         : g_strerror(err),
                    name);
        g_free(path);
        errno = err;
    }
    return fd;
}

/* Entries of an open directory, sorted (transfer full). */
static GPtrArray *list_dir(int fd)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d == NULL) {
        if (dup_fd >= 0)
            close(dup_fd);
        return names;
    }
    rewinddir(d);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            g_ptr_array_add(names, g_strdup(e->d_name));
    closedir(d);
    g_ptr_array_sort(names, compare_names);
    return names;
}

static bool is_empty(const ppo_rundir_t *rd)
{
    GPtrArray *names = list_dir(rd->fd);
    bool empty = true;
    for (guint i = 0; i < names->len; i++)
        if (strcmp(g_ptr_array_index(names, i), PPO_RUN_LOCK) != 0)
            empty = false;
    g_ptr_array_free(names, TRUE);
    return empty;
}

/* A removal to make: the directory descriptor (borrowed) and the name. */
typedef struct {
    int dir_fd;
    char *name;
    char *shown;
} removal_t;

static void removal_clear(gpointer data)
{
    removal_t *r = data;
    g_free(r->name);
    g_free(r->shown);
}

/* Add `name` in dir_fd to the removals if it exists; false (with the error) when an entry of
 * that name is not a regular file ppofw could have written. */
static bool plan_removal(GArray *plan, int dir_fd, const char *dir_shown, const char *name,
                         GError **error)
{
    struct stat st;
    char *path = g_build_filename(dir_shown, name, NULL);
    bool ok = true;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            ok = ppo_io_error(error, path, "look at", errno, " — nothing was removed");
    } else if (!S_ISREG(st.st_mode)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: is %s, which a run does not write; ppofw removes only its own files and "
                    "never follows links — nothing was removed: remove it yourself or choose "
                    "another run directory",
                    path, ppo_file_kind(st.st_mode));
        ok = false;
    } else {
        removal_t r = {dir_fd, g_strdup(name), g_strdup(path)};
        g_array_append_val(plan, r);
    }
    g_free(path);
    return ok;
}

/* Plan the removal of the entries of the subdirectory `sub` (opened into *fd, which the caller
 * closes; -1 when absent) that `keep` does not keep: those a run writes there (is_run_file k)
 * and, for videos/, only those after `after_step` and partial ones (after_step UINT64_MAX: all
 * of them). */
static bool plan_subdir(ppo_rundir_t *rd, GArray *plan, int k, uint64_t after_step, int *fd,
                        GError **error)
{
    static const char *const subs[] = {"checkpoints", "tb", "videos"};
    *fd = open_subdir(rd, subs[k], false, error);
    if (*fd < 0) {
        if (errno == ENOENT)
            return true;
        if (error != NULL && *error != NULL) {
            char *msg = g_strconcat((*error)->message, " (nothing was removed)", NULL);
            g_free((*error)->message);
            (*error)->message = msg;
        }
        return false;
    }
    char *dir_shown = shown(rd, subs[k]);
    GPtrArray *names = list_dir(*fd);
    bool ok = true;
    for (guint i = 0; ok && i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        uint64_t step;
        bool partial;
        if (k == 2 && after_step != UINT64_MAX)
            ok = !is_video_file(name, &step, &partial) || (!partial && step <= after_step) ||
                 plan_removal(plan, *fd, dir_shown, name, error);
        else if (is_run_file(k, name))
            ok = plan_removal(plan, *fd, dir_shown, name, error);
    }
    g_ptr_array_free(names, TRUE);
    g_free(dir_shown);
    return ok;
}

/* Carry out the planned removals. */
static bool remove_planned(GArray *plan, GError **error)
{
    bool ok = true;
    for (guint i = 0; ok && i < plan->len; i++) {
        const removal_t *r = &g_array_index(plan, removal_t, i);
        if (unlinkat(r->dir_fd, r->name, 0) != 0 && errno != ENOENT)
            ok = ppo_io_error(error, r->shown, "remove", errno, NULL);
    }
    return ok;
}

/* Remove the files a run writes, after checking that every one of them is a regular file in a
 * real subdirectory (otherwise nothing is removed). */
static bool clear_run_files(ppo_rundir_t *rd, GError **error)
{
    static const char *const top[] = {"pipeline.yaml", "metrics.csv", "episodes.csv",
                                      "pipeline.yaml.tmp", PPO_RUN_MARKER ".tmp", NULL};
    GArray *plan = g_array_new(FALSE, FALSE, sizeof(removal_t));
    g_array_set_clear_func(plan, removal_clear);
    int sub_fd[3] = {-1, -1, -1};
    bool ok = true;
    for (const char *const *f = top; ok && *f != NULL; f++)
        ok = plan_removal(plan, rd->fd, rd->path, *f, error);
    for (int k = 0; ok && k < 3; k++)
        ok = plan_subdir(rd, plan, k, UINT64_MAX, &sub_fd[k], error);
    ok = ok && remove_planned(plan, error);
    for (int k = 0; k < 3; k++)
        if (sub_fd[k] >= 0)
            close(sub_fd[k]);
    g_array_free(plan, TRUE);
    return ok;
}

/* ---- claiming ---- */

void ppo_rundir_close(ppo_rundir_t *rd)
{
    if (rd == NULL)
        return;
    if (rd->ckpt_fd >= 0)
        close(rd->ckpt_fd);
    /* closing the descriptor releases the lock */
    if (rd->lock_fd >= 0)
        close(rd->lock_fd);
    if (rd->fd >= 0)
        close(rd->fd);
    g_free(rd->run_id);
    g_free(rd->path);
    g_free(rd);
}

/* May an existing directory be claimed in this mode? Reads the marker; changes nothing. */
static bool claimable(ppo_rundir_t *rd, ppo_rundir_mode_t mode, GError **error)
{
    g_clear_pointer(&rd->run_id, g_free);
    if (!read_marker(rd, error))
        return false;
    if (mode == PPO_RUNDIR_RESUME) {
        /* a run made before run ids has no marker but its checkpoints or metrics */
        struct stat st;
        if (rd->run_id == NULL && fstatat(rd->fd, "checkpoints", &st, AT_SYMLINK_NOFOLLOW) != 0 &&
            fstatat(rd->fd, "metrics.csv", &st, AT_SYMLINK_NOFOLLOW) != 0) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: is not a ppofw run (no %s, no checkpoints/, no metrics.csv); "
                        "nothing was changed — --resume continues a run in its own directory",
                        rd->path, PPO_RUN_MARKER);
            return false;
        }
        return true;
    }
    if (is_empty(rd))
        return true;
    if (rd->run_id == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                    "%s: exists, is not empty and is not a ppofw run (it has no %s file); "
                    "ppofw writes runs only into new or empty directories and overwrites only its "
                    "own runs — choose another --run-dir",
                    rd->path, PPO_RUN_MARKER);
        return false;
    }
    if (mode != PPO_RUNDIR_OVERWRITE) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                    "%s: the run directory exists; pass --overwrite to replace its run, "
                    "--resume %s to continue it, or choose another --run-dir",
                    rd->path, rd->path);
        return false;
    }
    return true;
}

/* runs/<name>-<stamp>, made here and now (mkdir is the test-and-set). */
static char *make_default_dir(const char *name, GError **error)
{
    char stamp[32];
    const time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    if (g_mkdir_with_parents("runs", 0755) != 0) {
        ppo_io_error(error, "runs", "create the directory", errno,
                     "; choose a writable place with --run-dir");
        return NULL;
    }
    for (int k = 1;; k++) {
        /* two runs started in the same second get -2, -3, ... */
        char *dir = k == 1 ? g_strdup_printf("runs/%s-%s", name, stamp)
                           : g_strdup_printf("runs/%s-%s-%d", name, stamp, k);
        if (mkdir(dir, 0755) == 0)
            return dir;
        const int err = errno;
        if (err != EEXIST || k > 10000) {
            ppo_io_error(error, dir, "create the run directory", err,
                         "; choose a writable --run-dir");
            g_free(dir);
            return NULL;
        }
        g_free(dir);
    }
}

ppo_rundir_t *ppo_rundir_open(const char *path, const char *name, ppo_rundir_mode_t mode,
                              GError **error)
{
    if (path != NULL && *path == '\0') {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                    "an empty run directory name; give a directory (--run-dir DIR), or leave "
                    "--run-dir out for runs/NAME-DATE");
        return NULL;
    }
    ppo_rundir_t *rd = g_new0(ppo_rundir_t, 1);
    rd->fd = rd->ckpt_fd = rd->lock_fd = -1;
    bool made = false;
    if (path == NULL) {
        g_return_val_if_fail(mode == PPO_RUNDIR_CREATE && name != NULL, NULL);
        rd->path = make_default_dir(name, error);
        if (rd->path == NULL)
            goto fail;
        made = true;
    } else {
        rd->path = g_strdup(path);
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                g_set_error(error, PPO_ERROR,
                            mode == PPO_RUNDIR_RESUME ? PPO_ERROR_CHECKPOINT : PPO_ERROR_USAGE,
                            "%s: exists and is not a directory (it is %s); %s", path,
                            ppo_file_kind(st.st_mode),
                            mode == PPO_RUNDIR_RESUME ? "--resume takes a run directory or a "
                                                        ".ckpt file"
                                                      : "choose another --run-dir");
                goto fail;
            }
        } else if (mode == PPO_RUNDIR_RESUME) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: no such run directory (%s); --resume takes a run directory or a "
                        ".ckpt file",
                        path, g_strerror(errno));
            goto fail;
        } else {
            char *ckpt = g_build_filename(path, "checkpoints", NULL);
            if (g_mkdir_with_parents(path, 0755) != 0) {
                g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                            "%s: cannot create the run directory: %s; choose a writable "
                            "--run-dir",
                            ckpt, g_strerror(errno));
                g_free(ckpt);
                goto fail;
            }
            g_free(ckpt);
            made = true;
        }
    }
    rd->fd = open(rd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rd->fd < 0) {
        ppo_io_error(error, rd->path, "open the run directory", errno, NULL);
        goto fail;
    }
    /* an existing directory is looked at before anything is created in it, so a refusal leaves
     * it as it was; then the lock, and a second look, since another writer may have been first */
    if (!made && !claimable(rd, mode, error))
        goto fail;
    if (!take_lock(rd, error) || (made ? !read_marker(rd, error) : !claimable(rd, mode, error)))
        goto fail;

    if (mode == PPO_RUNDIR_RESUME) {
        rd->ckpt_fd = open_subdir(rd, "checkpoints", false, error);
        if (rd->ckpt_fd < 0 && errno != ENOENT)
            goto fail;
        return rd;
    }
    if (!made && !is_empty(rd) && !clear_run_files(rd, error))
        goto fail;
    rd->ckpt_fd = open_subdir(rd, "checkpoints", true, error);
    if (rd->ckpt_fd < 0 || !write_marker(rd, error))
        goto fail;
    return rd;
fail:
    ppo_rundir_close(rd);
    return NULL;
}

/* Data rows of the CSV file `name` (0 when it is absent). */
static bool count_rows(ppo_rundir_t *rd, const char *name, uint64_t *rows, GError **error)
{
    *rows = 0;
    struct stat st;
    if (fstatat(rd->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
        return true;
    char *path = shown(rd, name);
    char *text = NULL;
    gsize len = 0;
    const bool ok = ppo_file_read(rd->fd, name, path, "CSV file", PPO_FILE_NOFOLLOW, 0,
                                  PPO_ERROR_IO, &text, &len, error);
    g_free(path);
    if (!ok)
        return false;
    uint64_t lines = 0;
    for (gsize i = 0; i < len; i++)
        lines += text[i] == '\n';
    *rows = lines > 0 ? lines - 1 : 0;
    g_free(text);
    return true;
}

bool ppo_rundir_restart(ppo_rundir_t *rd, GError **error)
{
    static const char *const csv[] = {"metrics.csv", "episodes.csv"};
    for (size_t i = 0; i < G_N_ELEMENTS(csv); i++) {
        uint64_t rows;
        if (!count_rows(rd, csv[i], &rows, error))
            return false;
        if (rows > 0) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: has no checkpoint to resume from, but its %s holds %"
                        G_GUINT64_FORMAT " row%s of an earlier start; nothing was changed. To "
                        "start this run again from scratch, pass --run-dir %s --overwrite "
                        "instead of --resume",
                        rd->path, csv[i], rows, rows == 1 ? "" : "s", rd->path);
            return false;
        }
    }
    if (!is_empty(rd) && rd->run_id == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE,
                    "%s: has no checkpoint and is not a ppofw run (no %s file); nothing was "
                    "changed — choose another run directory",
                    rd->path, PPO_RUN_MARKER);
        return false;
    }
    if (rd->ckpt_fd >= 0) {
        close(rd->ckpt_fd);
        rd->ckpt_fd = -1;
    }
    if (!clear_run_files(rd, error))
        return false;
    rd->ckpt_fd = open_subdir(rd, "checkpoints", true, error);
    return rd->ckpt_fd >= 0 && write_marker(rd, error);
}

bool ppo_rundir_mark(const char *path, GError **error)
{
    ppo_rundir_t rd = {.path = (char *)path, .fd = -1, .ckpt_fd = -1, .lock_fd = -1};
    rd.fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rd.fd < 0)
        return ppo_io_error(error, path, "open the run directory", errno, NULL);
    bool ok = read_marker(&rd, error) && (rd.run_id != NULL || write_marker(&rd, error));
    close(rd.fd);
    g_free(rd.run_id);
    return ok;
}

bool ppo_rundir_write(ppo_rundir_t *rd, const char *name, const char *text, GError **error)
{
    char *path = shown(rd, name);
    const bool ok = ppo_file_replace_at(rd->fd, name, path, NULL, text, strlen(text), NULL, error);
    g_free(path);
    return ok;
}

/* ---- the run's files ---- */

static ppo_tboard_t *create_events(ppo_rundir_t *rd, double wall_time, GError **error)
{
    const int tb_fd = open_subdir(rd, "tb", true, error);
    if (tb_fd < 0)
        return NULL;
    char *dir = shown(rd, "tb");
    ppo_tboard_t *tb = ppo_tboard_create_at(tb_fd, dir, wall_time, error);
    g_free(dir);
    close(tb_fd);
    return tb;
}

static ppo_csvlog_t *create_csv(ppo_rundir_t *rd, const char *name, const char *header,
                                GError **error)
{
    char *path = shown(rd, name);
    ppo_csvlog_t *log = ppo_csvlog_create_at(rd->fd, name, path, header, error);
    g_free(path);
    return log;
}

bool ppo_rundir_create_files(ppo_rundir_t *rd, bool tensorboard, double wall_time,
                             ppo_metrics_t **metrics, ppo_csvlog_t **episodes, ppo_tboard_t **tb,
                             GError **error)
{
    if ((*metrics = create_csv(rd, "metrics.csv", PPO_METRICS_HEADER, error)) == NULL ||
        (*episodes = create_csv(rd, "episodes.csv", PPO_EPISODES_HEADER, error)) == NULL)
        return false;
    if (tensorboard && (*tb = create_events(rd, wall_time, error)) == NULL)
        return false;
    return true;
}

char *ppo_rundir_videos(ppo_rundir_t *rd, GError **error)
{
    const int fd = open_subdir(rd, "videos", true, error);
    if (fd < 0)
        return NULL;
    close(fd);
    return shown(rd, "videos");
}

/* A CSV file of the run, opened for writing and proven to be the one the checkpoint describes
 * (see ppo_csvlog_verify): *fd and *digest set on success. */
static bool prove_csv(ppo_rundir_t *rd, const char *name, const char *header,
                      const ppo_csvlog_proof_t *proof, int *fd, GChecksum **digest,
                      GError **error)
{
    char *path = shown(rd, name);
    *fd = ppo_file_open_read(rd->fd, name, path, "CSV file",
                             PPO_FILE_NOFOLLOW | PPO_FILE_SINGLE_LINK | PPO_FILE_WRITE, 0,
                             PPO_ERROR_CHECKPOINT, NULL, error);
    const bool ok = *fd >= 0 && ppo_csvlog_verify(*fd, path, header, proof, digest, error);
    g_free(path);
    return ok;
}

/* Cut a proven CSV file back and append from there; takes fd and digest. */
static ppo_csvlog_t *adopt_csv(ppo_rundir_t *rd, const char *name, int *fd,
                               const ppo_csvlog_proof_t *proof, GChecksum **digest,
                               GError **error)
{
    char *path = shown(rd, name);
    ppo_csvlog_t *log = ppo_csvlog_adopt(*fd, path, proof->offset, proof->rows, *digest, error);
    g_free(path);
    if (log != NULL) {
        *fd = -1;
        *digest = NULL;
    }
    return log;
}

bool ppo_rundir_resume_files(ppo_rundir_t *rd, const ppo_ckpt_files_t *files,
                             const char *ckpt_shown, bool ckpt_in_dir, uint64_t ckpt_step,
                             bool tensorboard, double wall_time, ppo_metrics_t **metrics,
                             ppo_csvlog_t **episodes, ppo_tboard_t **tb, GError **error)
{
    bool ok = false;
    int mfd = -1, efd = -1, tfd = -1, tb_dir_fd = -1, videos_fd = -1;
    GChecksum *mdig = NULL, *edig = NULL, *tdig = NULL;
    char *tpath = NULL;
    GArray *plan = g_array_new(FALSE, FALSE, sizeof(removal_t));
    g_array_set_clear_func(plan, removal_clear);

    /* the checkpoint continues its own run, and only that */
    if (files->run_id != NULL) {
        if (rd->run_id == NULL || strcmp(files->run_id, rd->run_id) != 0) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: belongs to run %s, but %s %s%s; a checkpoint continues only its "
                        "own run directory — resume it there (without --run-dir), or resume "
                        "this directory from one of its own checkpoints; nothing was changed",
                        ckpt_shown, files->run_id, rd->path,
                        rd->run_id != NULL ? "is run " : "is not a ppofw run (no " PPO_RUN_MARKER
                                                         ")",
                        rd->run_id != NULL ? rd->run_id : "");
            goto out;
        }
    } else if (!ckpt_in_dir) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: was written before checkpoints recorded their run, so it can only "
                    "continue the run directory it lies in, not %s; nothing was changed",
                    ckpt_shown, rd->path);
        goto out;
    }

    /* metrics.csv and episodes.csv: the very bytes the checkpoint kept (a checkpoint from
     * before episodes.csv starts a new one) */
    const ppo_csvlog_proof_t mproof = {files->metrics_offset, files->metrics_rows,
                                       files->metrics_digest};
    const ppo_csvlog_proof_t eproof = {files->episodes_offset, files->episodes_rows,
                                       files->episodes_digest};
    if (!prove_csv(rd, "metrics.csv", PPO_METRICS_HEADER, &mproof, &mfd, &mdig, error) ||
        (files->has_episodes &&
         !prove_csv(rd, "episodes.csv", PPO_EPISODES_HEADER, &eproof, &efd, &edig, error)))
        goto out;

    /* the events file, likewise */
    const char *tname = files->tboard_name;
    if (tensorboard && tname != NULL && *tname != '\0') {
        if (!is_events_file(tname)) {
            char *quoted = g_strescape(tname, NULL);
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: names the events file \"%.200s\", which is not a file name a run "
                        "writes in tb/; the checkpoint is damaged or crafted — nothing was "
                        "changed",
                        ckpt_shown, quoted);
            g_free(quoted);
            goto out;
        }
        tb_dir_fd = open_subdir(rd, "tb", false, error);
        if (tb_dir_fd < 0) {
            if (errno == ENOENT) {
                char *dir = shown(rd, "tb");
                g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                            "%s: is missing, but the checkpoint continues %s in it; nothing was "
                            "changed",
                            dir, tname);
                g_free(dir);
            }
            goto out;
        }
        char *tdir = shown(rd, "tb");
        tpath = g_build_filename(tdir, tname, NULL);
        g_free(tdir);
        tfd = ppo_file_open_read(tb_dir_fd, tname, tpath, "events file",
                                 PPO_FILE_NOFOLLOW | PPO_FILE_SINGLE_LINK | PPO_FILE_WRITE, 0,
                                 PPO_ERROR_CHECKPOINT, NULL, error);
        if (tfd < 0 ||
            !ppo_tboard_verify(tfd, tpath, files->tboard_offset, files->tboard_digest, &tdig,
                               error))
            goto out;
    }

    /* the recordings of evaluations after the checkpoint are of steps to be trained again, as
     * the rows after it are */
    if (!plan_subdir(rd, plan, 2, ckpt_step, &videos_fd, error))
        goto out;

    /* every proof holds: cut and append */
    if ((*metrics = adopt_csv(rd, "metrics.csv", &mfd, &mproof, &mdig, error)) == NULL)
        goto out;
    *episodes = files->has_episodes
                    ? adopt_csv(rd, "episodes.csv", &efd, &eproof, &edig, error)
                    : create_csv(rd, "episodes.csv", PPO_EPISODES_HEADER, error);
    if (*episodes == NULL || !remove_planned(plan, error))
        goto out;
    if (tfd >= 0) {
        *tb = ppo_tboard_adopt(tfd, tpath, files->tboard_offset, tdig, error);
        if (*tb == NULL)
            goto out;
        tfd = -1;
        tdig = NULL;
    } else if (tensorboard && (*tb = create_events(rd, wall_time, error)) == NULL) {
        goto out;
    }
    /* a run from before run ids gets one now; its next checkpoints record it */
    ok = rd->run_id != NULL || write_marker(rd, error);
out:
    if (mdig != NULL)
        g_checksum_free(mdig);
    if (edig != NULL)
        g_checksum_free(edig);
    if (tdig != NULL)
        g_checksum_free(tdig);
    if (mfd >= 0)
        close(mfd);
    if (efd >= 0)
        close(efd);
    if (tfd >= 0)
        close(tfd);
    if (tb_dir_fd >= 0)
        close(tb_dir_fd);
    if (videos_fd >= 0)
        close(videos_fd);
    g_array_free(plan, TRUE);
    g_free(tpath);
    return ok;
}

/* ---- checkpoints ---- */

/* Periodic checkpoints in an open checkpoints/ that are regular files, oldest first; others
 * with a checkpoint's name are passed over with a warning. */
static GPtrArray *periodic(int ckpt_fd, const char *dir_shown)
{
    GPtrArray *all = list_dir(ckpt_fd);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < all->len; i++) {
        const char *name = g_ptr_array_index(all, i);
        struct stat st;
        if (!is_periodic_checkpoint(name) ||
            fstatat(ckpt_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISREG(st.st_mode))
            g_ptr_array_add(out, g_strdup(name));
        else
            ppo_log(PPO_LOG_WARNING, "%s/%s: is %s, not a checkpoint file; passed over",
                    dir_shown, name, ppo_file_kind(st.st_mode));
    }
    g_ptr_array_free(all, TRUE);
    /* zero-padded names sort by step */
    return out;
}

char *ppo_rundir_latest_checkpoint(const char *run_dir, GError **error)
{
    ppo_rundir_t rd = {.path = (char *)run_dir, .fd = -1, .ckpt_fd = -1, .lock_fd = -1};
    rd.fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rd.fd < 0)
        return NULL;
    char *latest = NULL;
    const int fd = open_subdir(&rd, "checkpoints", false, error);
    if (fd >= 0) {
        char *dir = shown(&rd, "checkpoints");
        GPtrArray *names = periodic(fd, dir);
        if (names->len > 0)
            latest = g_build_filename(dir, g_ptr_array_index(names, names->len - 1), NULL);
        g_ptr_array_free(names, TRUE);
        g_free(dir);
        close(fd);
    }
    close(rd.fd);
    return latest;
}

bool ppo_rundir_prune(ppo_rundir_t *rd, uint32_t keep, GError **error)
{
    char *dir = shown(rd, "checkpoints");
    GPtrArray *names = periodic(rd->ckpt_fd, dir);
    bool ok = true;
    for (guint i = 0; ok && names->len > keep && i < names->len - keep; i++) {
        const char *name = g_ptr_array_index(names, i);
        if (unlinkat(rd->ckpt_fd, name, 0) != 0 && errno != ENOENT) {
            char *path = g_build_filename(dir, name, NULL);
            ok = ppo_io_error(error, path, "remove an old checkpoint", errno, NULL);
            g_free(path);
        }
    }
    g_ptr_array_free(names, TRUE);
    g_free(dir);
    return ok;
}
