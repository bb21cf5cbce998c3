/* ppofw fuzzing — libFuzzer harness over crafted checkpoints that pass every integrity check.
 *
 * The CRC is not a defence against a crafted file: anyone can recompute it. So this harness
 * fuzzes below it. An input is a checkpoint's section table without the file header and the
 * CRC — repeated (tag: 4 bytes, length: u64, payload) — and the harness writes a well-formed
 * file around it: the magic, the format, the byte-order mark and the ABI, each section's length
 * cut to what the input still holds, and the CRC-32C of it all. Every mutation then reaches the
 * section parsers and everything that trusts them: ppo_checkpoint_read (INFO's names and floats),
 * ppo_checkpoint_restore into a trainer built once from tests/fuzz/ckpt-pipeline.yaml, and
 * ppo_loaded_policy_open (what `ppofw eval` and `ppofw export` do with the checkpoint's own,
 * untrusted, pipeline).
 *
 * Beyond crashes, sanitizer reports, leaks and hangs, it checks the trust rule after each input:
 * no shared object was loaded from outside the plugin search path and the directories loaded at
 * start (a crafted pipeline naming `plugin: /some/lib.so` must never get its code run).
 *
 * Seeds: the real checkpoints of tests/fuzz/run.sh's short run with their header and CRC
 * stripped. Built only by `configure CC=clang --enable-fuzzing`; run by tests/fuzz/run.sh.
 */
#include "config.h"

#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "ppo_checkpoint_private.h"
#include "ppo_crc32c_private.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ppo_search_t *search;
static ppo_pipeline_t *pipeline;
static ppo_session_t *session;
static ppo_trainer_t *trainer;
static char *path;
static int fd = -1;
static GHashTable *allowed_dirs; /* directories shared objects may come from */

static void allow_dir_of(const char *file)
{
    char *dir = g_path_get_dirname(file);
    char *real = realpath(dir, NULL);
    g_hash_table_add(allowed_dirs, g_strdup(real != NULL ? real : dir));
    free(real);
    g_free(dir);
}

static int note_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const bool record = data != NULL;
    if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0')
        return 0;
    if (record) {
        allow_dir_of(info->dlpi_name);
        return 0;
    }
    char *dir = g_path_get_dirname(info->dlpi_name);
    char *real = realpath(dir, NULL);
    const bool ok = g_hash_table_contains(allowed_dirs, real != NULL ? real : dir);
    if (!ok) {
        fprintf(stderr, "fuzz_ckpt_sections: %s was loaded, from outside the plugin search "
                        "path: a checkpoint got code run\n",
                info->dlpi_name);
        abort();
    }
    free(real);
    g_free(dir);
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    GError *error = NULL;
    fuzz_open_pipeline("fuzz_ckpt_sections", NULL, &search, &pipeline, &session);
    trainer = ppo_trainer_new(session, &error);
    if (trainer == NULL)
        fuzz_die("fuzz_ckpt_sections", "the harness trainer", error);
    fd = g_file_open_tmp("ppo-fuzz-XXXXXX.ckpt", &path, &error);
    if (fd < 0)
        fuzz_die("fuzz_ckpt_sections", "a temporary file", error);
    /* what may be loaded: what is loaded now, and the search path */
    allowed_dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    dl_iterate_phdr(note_object, allowed_dirs);
    for (guint i = 0; i < ppo_search_len(search); i++) {
        char *probe = g_build_filename(ppo_search_dir(search, i, NULL), "x", NULL);
        allow_dir_of(probe);
        g_free(probe);
    }
    return 0;
}

/* The input's sections inside a valid header and CRC. */
static GByteArray *wrap(const uint8_t *data, size_t size)
{
    GByteArray *b = g_byte_array_new();
    const uint32_t head[4] = {PPO_CKPT_FORMAT, 0x01020304u, PPO_ABI_MAJOR, PPO_ABI_MINOR};
    g_byte_array_append(b, (const guint8 *)PPO_CKPT_MAGIC, 8);
    g_byte_array_append(b, (const guint8 *)head, sizeof(head));
    size_t at = 0;
    while (size - at >= 12) {
        uint64_t len;
        memcpy(&len, data + at + 4, 8);
        if (len > size - at - 12)
            len = size - at - 12;
        g_byte_array_append(b, data + at, 4);
        g_byte_array_append(b, (const guint8 *)&len, 8);
        g_byte_array_append(b, data + at + 12, (guint)len);
        at += 12 + len;
    }
    const uint32_t crc = ppo_crc32c_update(0, b->data, b->len);
    g_byte_array_append(b, (const guint8 *)&crc, 4);
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GByteArray *b = wrap(data, size);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, b->data, b->len, 0) != (ssize_t)b->len) {
        fprintf(stderr, "fuzz_ckpt_sections: cannot write %s: %s\n", path, g_strerror(errno));
        abort();
    }
    g_byte_array_free(b, TRUE);

    GError *error = NULL;
    ppo_ckpt_t *c = ppo_checkpoint_read(path, &error);
    if (c != NULL) {
        ppo_ckpt_files_t files;
        ppo_checkpoint_restore(trainer, c, &files, &error);
        g_clear_error(&error);
        ppo_checkpoint_free(c);
        ppo_loaded_policy_t *lp = ppo_loaded_policy_open(path, NULL, NULL, search, &error);
        ppo_loaded_policy_free(lp);
    }
    g_clear_error(&error);
    /* the trust rule: nothing from outside the search path was loaded */
    dl_iterate_phdr(note_object, NULL);
    return 0;
}
