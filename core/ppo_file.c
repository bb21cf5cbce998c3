/* ppofw core — reading only regular files, writing without following links, and the memory
 * bound (see ppo_file_private.h). Leaves out what the files hold. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ppo_file_private.h"

const char *ppo_file_kind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

bool ppo_io_error(GError **error, const char *path, const char *what, int err, const char *note)
{
    const char *fix = "";
    if (err == ENOSPC || err == EFBIG || err == EDQUOT)
        fix = "; free some disk space";
    else if (err == EROFS)
        fix = "; the file system is read-only: choose a writable place";
    else if (err == EACCES || err == EPERM)
        fix = "; check the permissions of the file and its directory";
    g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot %s: %s%s%s", path, what,
                g_strerror(err), fix, note != NULL ? note : "");
    return false;
}

uint64_t ppo_mul_sat(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

uint64_t ppo_memory_limit(void)
{
    const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    uint64_t limit = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
    static const int resources[] = {RLIMIT_AS, RLIMIT_DATA};
    for (size_t i = 0; i < G_N_ELEMENTS(resources); i++) {
        struct rlimit rl;
        if (getrlimit(resources[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
            (uint64_t)rl.rlim_cur < limit)
            limit = (uint64_t)rl.rlim_cur;
    }
    return limit;
}

bool ppo_memory_check(uint64_t bytes, const char *who, const char *what, const char *fix,
                      int code, GError **error)
{
    const uint64_t limit = ppo_memory_limit();
    if (bytes <= limit)
        return true;
    char *have = g_format_size_full(limit, G_FORMAT_SIZE_IEC_UNITS);
    char *need = bytes == UINT64_MAX ? g_strdup("more than 16 EiB (the size overflows)")
                                     : g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
    g_set_error(error, PPO_ERROR, code,
                "%s: %s needs %s, more than the %s this process may use (physical memory, "
                "ulimit -v and -d); %s",
                who, what, need, have, fix);
    g_free(need);
    g_free(have);
    return false;
}

int ppo_file_open_read(int dir_fd, const char *name, const char *shown, const char *what,
                       int flags, uint64_t max_bytes, int code, struct stat *st_out,
                       GError **error)
{
    if (shown == NULL)
        shown = name;
    /* O_NONBLOCK: opening a FIFO without a writer, or a device, must not wait */
    int oflags = ((flags & PPO_FILE_WRITE) ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_NOCTTY |
                 O_CLOEXEC | ((flags & PPO_FILE_NOFOLLOW) ? O_NOFOLLOW : 0);
    const int fd = openat(dir_fd, name, oflags);
    if (fd < 0) {
        const int err = errno;
        struct stat lst;
        if (err == ELOOP && (flags & PPO_FILE_NOFOLLOW) &&
            fstatat(dir_fd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode))
            g_set_error(error, PPO_ERROR, code,
                        "%s: is a symbolic link; ppofw never follows links inside a run "
                        "directory — put the %s itself there",
                        shown, what);
        else if (err == ENXIO || err == EISDIR)
            g_set_error(error, PPO_ERROR, code, "%s: is %s, not a %s file; give a regular file",
                        shown, err == EISDIR ? "a directory" : "a socket or a device",
                        what);
        else
            g_set_error(error, PPO_ERROR, code, "%s: cannot open the %s: %s%s", shown, what,
                        g_strerror(err), err == ENOENT ? " (check the path)" : "");
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        g_set_error(error, PPO_ERROR, code, "%s: cannot read the %s: %s", shown, what,
                    g_strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, PPO_ERROR, code, "%s: is %s, not a %s file; give a regular file",
                    shown, ppo_file_kind(st.st_mode), what);
        goto fail;
    }
    if (max_bytes > 0 && (uint64_t)st.st_size > max_bytes) {
        char *size = g_format_size_full((uint64_t)st.st_size, G_FORMAT_SIZE_IEC_UNITS);
        char *max = g_format_size_full(max_bytes, G_FORMAT_SIZE_IEC_UNITS);
        g_set_error(error, PPO_ERROR, code,
                    "%s: is %s, more than a %s can be here (%s); is it the right file?", shown,
                    size, what, max);
        g_free(max);
        g_free(size);
        goto fail;
    }
    if ((flags & PPO_FILE_SINGLE_LINK) && st.st_nlink > 1) {
        g_set_error(error, PPO_ERROR, code,
                    "%s: has %ju hard links; ppofw only changes files it wrote itself, which "
                    "have one — replace it by a copy or move the other links away",
                    shown, (uintmax_t)st.st_nlink);
        goto fail;
    }
    const int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        g_set_error(error, PPO_ERROR, code, "%s: cannot read the %s: %s", shown, what,
                    g_strerror(errno));
        goto fail;
    }
    if (st_out != NULL)
        *st_out = st;
    return fd;
fail:
    close(fd);
    return -1;
}

bool ppo_file_read(int dir_fd, const char *name, const char *shown, const char *what, int flags,
                   uint64_t max_bytes, int code, char **data, gsize *len, GError **error)
{
    if (shown == NULL)
        shown = name;
    if (max_bytes == 0)
        max_bytes = ppo_memory_limit() / 2;
    struct stat st;
    const int fd = ppo_file_open_read(dir_fd, name, shown, what, flags, max_bytes, code, &st,
                                      error);
    if (fd < 0)
        return false;
    /* the size known, read it; a file that grows meanwhile is read up to the bound */
    GString *buf = g_string_sized_new((gsize)st.st_size + 1);
    char chunk[65536];
    bool ok = false;
    for (;;) {
        const ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            g_set_error(error, PPO_ERROR, code, "%s: cannot read the %s: %s", shown, what,
                        g_strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        if ((uint64_t)buf->len + (uint64_t)got > max_bytes) {
            g_set_error(error, PPO_ERROR, code,
                        "%s: grew past the %" G_GUINT64_FORMAT " bytes a %s can be while it was "
                        "read; is another program writing it?",
                        shown, max_bytes, what);
            goto out;
        }
        g_string_append_len(buf, chunk, got);
    }
    ok = true;
out:
    close(fd);
    if (!ok) {
        g_string_free(buf, TRUE);
        return false;
    }
    if (len != NULL)
        *len = buf->len;
    *data = g_string_free(buf, FALSE);
    return true;
}

static bool write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        const ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool ppo_file_replace_at(int dir_fd, const char *name, const char *shown, const char *what,
                         const void *data, size_t len, const char *keep_note, GError **error)
{
    char *write_what = what != NULL ? g_strdup_printf("write %s", what) : g_strdup("write");
    if (shown == NULL)
        shown = name;
    bool ok = false;
    int dfd = dir_fd;
    char *base = NULL;
    if (dir_fd == AT_FDCWD) {
        /* a path: work in its directory, so the directory can be fsync'd */
        char *dir = g_path_get_dirname(name);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
            ppo_io_error(error, dir, "open the directory", errno, keep_note);
            g_free(dir);
            return false;
        }
        g_free(dir);
        base = g_path_get_basename(name);
    } else {
        base = g_strdup(name);
    }
    char *tmp = g_strconcat(base, ".tmp", NULL);
    char *tmp_shown = g_strconcat(shown, ".tmp", NULL);

    /* a stale or planted NAME.tmp goes; the new one is created afresh, never through a link */
    if (unlinkat(dfd, tmp, 0) != 0 && errno != ENOENT) {
        ppo_io_error(error, tmp_shown, "remove the stale temporary file", errno, keep_note);
        goto out;
    }
    const int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        ppo_io_error(error, tmp_shown, "create", errno, keep_note);
        goto out;
    }
    if (!write_all(fd, data, len) || fsync(fd) != 0) {
        const int err = errno;
        close(fd);
        unlinkat(dfd, tmp, 0);
        ppo_io_error(error, shown, write_what, err, keep_note);
        goto out;
    }
    if (close(fd) != 0 || renameat(dfd, tmp, dfd, base) != 0) {
        const int err = errno;
        unlinkat(dfd, tmp, 0);
        ppo_io_error(error, shown, write_what, err, keep_note);
        goto out;
    }
    /* the rename itself must reach the disk */
    (void)fsync(dfd);
    ok = true;
out:
    g_free(write_what);
    g_free(tmp_shown);
    g_free(tmp);
    g_free(base);
    if (dfd != dir_fd)
        close(dfd);
    return ok;
}

/* Write into an existing non-regular file (a device, a FIFO) without replacing it. */
static bool write_in_place(const char *target, const char *path, const char *what,
                           const void *data, size_t len, GError **error)
{
    const int fd = open(target, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ENXIO)
            g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                        "%s: cannot write %s: it is a FIFO (or socket) with no reader; start "
                        "the reader first or give a regular file",
                        path, what);
        else
            ppo_io_error(error, path, "write", err, NULL);
        return false;
    }
    const int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    bool ok = write_all(fd, data, len);
    const int err = errno;
    if (close(fd) != 0 && ok)
        ok = false;
    if (!ok)
        ppo_io_error(error, path, "write", err, NULL);
    return ok;
}

bool ppo_output_write(const char *path, const char *what, const void *data, size_t len,
                      GError **error)
{
    if (*path == '\0') {
        g_set_error(error, PPO_ERROR, PPO_ERROR_USAGE, "an empty output file name; give a file "
                    "for %s", what);
        return false;
    }
    struct stat lst, st;
    if (lstat(path, &lst) != 0) {
        if (errno != ENOENT)
            return ppo_io_error(error, path, "write", errno, NULL);
        /* a new name */
        return ppo_file_replace_at(AT_FDCWD, path, path, NULL, data, len, NULL, error);
    }
    char *target = S_ISLNK(lst.st_mode) ? realpath(path, NULL) : strdup(path);
    bool ok;
    if (target == NULL) {
        /* a link to a name that does not exist yet: write through it */
        const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0644);
        ok = fd >= 0 && write_all(fd, data, len);
        const int err = errno;
        if (fd >= 0 && close(fd) != 0)
            ok = false;
        if (!ok)
            ppo_io_error(error, path, "write", err, NULL);
        return ok;
    }
    if (stat(target, &st) != 0) {
        ok = ppo_io_error(error, path, "write", errno, NULL);
    } else if (S_ISREG(st.st_mode)) {
        /* replace the file (the link's target, so the link stays a link) */
        ok = ppo_file_replace_at(AT_FDCWD, target, path, NULL, data, len, NULL, error);
    } else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
        /* /dev/null, a terminal, /proc/self/fd/1, a named pipe: write, never replace */
        ok = write_in_place(target, path, what, data, len, error);
    } else {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: is %s; give a regular file for %s",
                    path, ppo_file_kind(st.st_mode), what);
        ok = false;
    }
    free(target);
    return ok;
}

/* The path's canonical form: realpath, or the realpath of its directory and its base name. */
static char *canonical(const char *path)
{
    char *real = realpath(path, NULL);
    if (real != NULL) {
        char *out = g_strdup(real);
        free(real);
        return out;
    }
    char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path);
    char *rdir = realpath(dir, NULL);
    char *out = rdir != NULL ? g_build_filename(rdir, base, NULL) : g_strdup(path);
    free(rdir);
    g_free(dir);
    g_free(base);
    return out;
}

bool ppo_file_same(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return true;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char *ca = canonical(a), *cb = canonical(b);
    const bool same = strcmp(ca, cb) == 0;
    g_free(ca);
    g_free(cb);
    return same;
}

bool ppo_digest_equal(const GChecksum *running, const char *hex)
{
    GChecksum *copy = g_checksum_copy(running);
    const bool same = g_ascii_strcasecmp(g_checksum_get_string(copy), hex) == 0;
    g_checksum_free(copy);
    return same;
}
