/* ppofw fuzzing — the harnesses' shared setup (see fuzz_util.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"

void fuzz_die(const char *harness, const char *what, const GError *error)
{
    fprintf(stderr, "%s: %s: %s\n", harness, what, error != NULL ? error->message : "");
    exit(1);
}

void fuzz_open_pipeline(const char *harness, const char *const *overrides,
                        ppo_search_t **search, ppo_pipeline_t **pipeline,
                        ppo_session_t **session)
{
    ppo_log_set_level(PPO_LOG_ERROR);
    GError *error = NULL;
    const char *src = g_getenv("PPO_TEST_SRCDIR");
    char *file = g_build_filename(src != NULL ? src : PPO_ABS_SRCDIR, "tests", "fuzz",
                                  "ckpt-pipeline.yaml", NULL);
    *search = ppo_search_new(NULL);
    *pipeline = ppo_pipeline_load(file, overrides, &error);
    if (*pipeline == NULL)
        fuzz_die(harness, "the harness pipeline", error);
    *session = ppo_session_open(*pipeline, *search, &error);
    if (*session == NULL)
        fuzz_die(harness, "the harness session", error);
    g_free(file);
}
