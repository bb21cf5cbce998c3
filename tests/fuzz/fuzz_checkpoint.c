/* ppofw fuzzing — libFuzzer harness over the checkpoint reader and restore.
 *
 * Each input is a checkpoint file. Its last four bytes are first replaced by the CRC-32C of the
 * rest, so mutations get past the checksum and reach the section table and every section's
 * parser (a damaged checksum is refused before anything else is read; the core's tests cover
 * that). Then ppo_checkpoint_read, ppo_checkpoint_restore into a trainer built once from
 * tests/fuzz/ckpt-pipeline.yaml (whose real checkpoints are the seeds), and
 * ppo_loaded_policy_open (what `ppofw eval` and `ppofw export` do: parse the stored pipeline,
 * load its plugins, restore the policy). Every outcome is fine except a crash, a sanitizer
 * report, a leak or a hang.
 *
 * Built only by `configure CC=clang --enable-fuzzing`; run by tests/fuzz/run.sh.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    GError *error = NULL;
    fuzz_open_pipeline("fuzz_checkpoint", NULL, &search, &pipeline, &session);
    trainer = ppo_trainer_new(session, &error);
    if (trainer == NULL)
        fuzz_die("fuzz_checkpoint", "the harness trainer", error);
    fd = g_file_open_tmp("ppo-fuzz-XXXXXX.ckpt", &path, &error);
    if (fd < 0)
        fuzz_die("fuzz_checkpoint", "a temporary file", error);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    guint8 *buf = g_memdup2(data, size);
    if (size >= 8) {
        const uint32_t crc = ppo_crc32c_update(0, buf, size - 4);
        memcpy(buf + size - 4, &crc, 4);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, size, 0) != (ssize_t)size) {
        fprintf(stderr, "fuzz_checkpoint: cannot write %s: %s\n", path, g_strerror(errno));
        abort();
    }
    g_free(buf);

    GError *error = NULL;
    ppo_ckpt_t *c = ppo_checkpoint_read(path, &error);
    if (c != NULL) {
        ppo_ckpt_files_t files;
        (void)ppo_checkpoint_info(c, "global_step");
        (void)ppo_checkpoint_pipeline(c);
        ppo_checkpoint_restore(trainer, c, &files, &error);
        g_clear_error(&error);
        ppo_checkpoint_free(c);
        ppo_loaded_policy_t *lp = ppo_loaded_policy_open(path, NULL, NULL, search, &error);
        ppo_loaded_policy_free(lp);
    }
    g_clear_error(&error);
    return 0;
}
