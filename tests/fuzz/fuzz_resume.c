/* ppofw fuzzing — libFuzzer harness: resume against arbitrary run-directory contents.
 *
 * A run directory is untrusted input. An input describes one: repeated entries of
 *     kind (u8: 0 file, 1 directory, 2 symbolic link, 3 FIFO), name length (u8), name,
 *     data length (u16 little-endian), data (a file's bytes, or a link's target)
 * which the harness makes in a sandbox directory (names with a '/'-separated path inside it;
 * an empty, absolute or ".."-bearing name is skipped, so nothing is ever made outside it). Link
 * targets are taken as they are, so they may point anywhere — in particular at the sandbox's
 * `canary` directory beside the run, which holds files named as a run's are. Then, in this
 * process, `ppofw run --resume RUN` for one iteration (ppo_run with the pipeline of
 * tests/fuzz/ckpt-pipeline.yaml): claiming and locking the directory, finding and reading its
 * newest checkpoint, proving metrics.csv, episodes.csv and the events file, removing the
 * recordings after the checkpoint, cutting and appending, recording evaluations, writing
 * checkpoints, pruning, or refusing.
 *
 * Beyond crashes, sanitizer reports, leaks and hangs, it checks after each input that the
 * canary directory is byte for byte what it was: whatever the run directory holds, a resume
 * never creates, changes or removes a file outside it.
 *
 * Seeds: run.sh packs the real run directory of its short run with FUZZ_RESUME_PACK=RUN_DIR
 * FUZZ_RESUME_OUT=FILE (this program then writes FILE and exits). Built only by `configure
 * CC=clang --enable-fuzzing`; run by tests/fuzz/run.sh.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fuzz_util.h"
#include "ppo_run_private.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { KIND_FILE, KIND_DIR, KIND_LINK, KIND_FIFO };

static ppo_search_t *search;
static ppo_pipeline_t *pipeline;
static ppo_session_t *session;
static char *sandbox, *run_dir, *canary;
static char *canary_digest;

/* ---- trees ---- */

static void remove_tree(int dir_fd, const char *name)
{
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        const int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            (void)fchmod(fd, 0755);
            DIR *d = fdopendir(fd);
            GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
            const struct dirent *e;
            while (d != NULL && (e = readdir(d)) != NULL)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                    g_ptr_array_add(names, g_strdup(e->d_name));
            for (guint i = 0; i < names->len; i++)
                remove_tree(dirfd(d), g_ptr_array_index(names, i));
            g_ptr_array_free(names, TRUE);
            if (d != NULL)
                closedir(d);
            else
                close(fd);
        }
        unlinkat(dir_fd, name, AT_REMOVEDIR);
    } else {
        unlinkat(dir_fd, name, 0);
    }
}

/* g_ptr_array_sort passes pointers to the elements */
static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void digest_tree(GChecksum *sum, const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        struct stat st;
        if (lstat(path, &st) == 0) {
            char head[96];
            g_snprintf(head, sizeof(head), "%s|%o|%jd|", (char *)g_ptr_array_index(names, i),
                       (unsigned)st.st_mode, (intmax_t)st.st_size);
            g_checksum_update(sum, (const guchar *)head, -1);
            char *text = NULL;
            gsize len = 0;
            if (S_ISREG(st.st_mode) && g_file_get_contents(path, &text, &len, NULL))
                g_checksum_update(sum, (const guchar *)text, (gssize)len);
            g_free(text);
            if (S_ISDIR(st.st_mode))
                digest_tree(sum, path);
        }
        g_free(path);
    }
    g_ptr_array_free(names, TRUE);
}

static char *canary_state(void)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    digest_tree(sum, canary);
    char *hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    return hex;
}

/* ---- packing a real run directory into a seed ---- */

static void pack_dir(GByteArray *out, const char *root, const char *rel)
{
    char *dir = rel[0] != '\0' ? g_build_filename(root, rel, NULL) : g_strdup(root);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
        char *sub = rel[0] != '\0' ? g_build_filename(rel, n, NULL) : g_strdup(n);
        char *path = g_build_filename(root, sub, NULL);
        struct stat st;
        if (lstat(path, &st) == 0 && strlen(sub) < 256) {
            const guint8 kind = S_ISDIR(st.st_mode) ? KIND_DIR : KIND_FILE;
            char *text = NULL;
            gsize len = 0;
            if (kind == KIND_FILE && !g_file_get_contents(path, &text, &len, NULL))
                len = 0;
            const uint16_t n16 = (uint16_t)MIN(len, 65535u);
            const guint8 name_len = (guint8)strlen(sub);
            g_byte_array_append(out, &kind, 1);
            g_byte_array_append(out, &name_len, 1);
            g_byte_array_append(out, (const guint8 *)sub, name_len);
            g_byte_array_append(out, (const guint8 *)&n16, 2);
            g_byte_array_append(out, (const guint8 *)(text != NULL ? text : ""), n16);
            g_free(text);
            if (kind == KIND_DIR)
                pack_dir(out, root, sub);
        }
        g_free(path);
        g_free(sub);
    }
    if (d != NULL)
        g_dir_close(d);
    g_free(dir);
}

/* ---- setup ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *pack = g_getenv("FUZZ_RESUME_PACK");
    if (pack != NULL) {
        GByteArray *out = g_byte_array_new();
        pack_dir(out, pack, "");
        const char *dst = g_getenv("FUZZ_RESUME_OUT");
        if (dst == NULL || !g_file_set_contents(dst, (const char *)out->data, out->len, NULL))
            fuzz_die("fuzz_resume", "packing: set FUZZ_RESUME_OUT to a writable file", NULL);
        g_byte_array_free(out, TRUE);
        exit(0);
    }
    GError *error = NULL;
    const char *const overrides[] = {"log.tensorboard=true", "eval.record=true", NULL};
    fuzz_open_pipeline("fuzz_resume", overrides, &search, &pipeline, &session);
    sandbox = g_dir_make_tmp("ppo-fuzz-resume-XXXXXX", &error);
    if (sandbox == NULL)
        fuzz_die("fuzz_resume", "a sandbox", error);
    run_dir = g_build_filename(sandbox, "run", NULL);
    canary = g_build_filename(sandbox, "canary", NULL);
    /* files named as a run's, for links planted in the run directory to point at */
    g_mkdir(canary, 0755);
    static const char *const names[] = {"metrics.csv", "episodes.csv", "pipeline.yaml",
                                        "best.ckpt", "ckpt-000000000064.ckpt",
                                        "events.out.tfevents.x",
                                        "step000000000096-ep000-return9.00.gif",
                                        "step000000000096-ep000.gif.part", ".ppofw-run",
                                        ".ppofw-lock", NULL};
    for (const char *const *n = names; *n != NULL; n++) {
        char *p = g_build_filename(canary, *n, NULL);
        g_file_set_contents(p, "a file that is not the run's\n", -1, NULL);
        g_free(p);
    }
    char *sub = g_build_filename(canary, "checkpoints", NULL);
    g_mkdir(sub, 0755);
    g_free(sub);
    canary_digest = canary_state();
    return 0;
}

/* Make the input's entries inside run_dir. */
static void materialize(const uint8_t *data, size_t size)
{
    g_mkdir(run_dir, 0755);
    size_t at = 0;
    while (size - at >= 2) {
        const uint8_t kind = data[at] & 3, name_len = data[at + 1];
        at += 2;
        if (size - at < (size_t)name_len + 2)
            break;
        char *name = g_strndup((const char *)data + at, name_len);
        at += name_len;
        uint16_t len;
        memcpy(&len, data + at, 2);
        at += 2;
        if (len > size - at)
            len = (uint16_t)(size - at);
        const uint8_t *body = data + at;
        at += len;
        /* only names inside the run directory */
        if (*name == '\0' || *name == '/' || strstr(name, "..") != NULL ||
            strlen(name) != name_len) {
            g_free(name);
            continue;
        }
        char *path = g_build_filename(run_dir, name, NULL);
        char *parent = g_path_get_dirname(path);
        g_mkdir_with_parents(parent, 0755);
        switch (kind) {
        case KIND_FILE:
            g_file_set_contents(path, (const char *)body, len, NULL);
            break;
        case KIND_DIR:
            g_mkdir(path, 0755);
            break;
        case KIND_LINK: {
            char *target = g_strndup((const char *)body, len);
            /* a link outside goes into the canary (no absolute or wandering target) */
            char *base = g_path_get_basename(target);
            char *aimed = g_path_is_absolute(target) || strstr(target, "..") != NULL
                              ? g_build_filename(canary, base, NULL)
                              : g_strdup(target);
            g_free(base);
            if (symlink(aimed, path) != 0 && errno != EEXIST)
                (void)0;
            g_free(aimed);
            g_free(target);
            break;
        }
        default:
            (void)mkfifo(path, 0644);
            break;
        }
        g_free(parent);
        g_free(path);
        g_free(name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    materialize(data, size);
    ppo_run_options_t opt = {.resume = run_dir, .quiet = true, .max_iterations = 1};
    GError *error = NULL;
    char *dir = NULL;
    (void)ppo_run(session, &opt, &dir, &error);
    g_clear_error(&error);
    g_free(dir);
    /* whatever the run directory held, nothing outside it changed */
    char *now = canary_state();
    if (strcmp(now, canary_digest) != 0) {
        fprintf(stderr, "fuzz_resume: a resume changed a file outside the run directory\n");
        abort();
    }
    g_free(now);
    const int fd = open(sandbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    remove_tree(fd, "run");
    close(fd);
    return 0;
}
