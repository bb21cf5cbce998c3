/* ppofw fuzzing — what the harnesses share: the pipeline of tests/fuzz/ckpt-pipeline.yaml with
 * its plugins loaded, and how a harness gives up on its own setup. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include "ppo_pipeline_private.h"
#include "ppo_plugin_private.h"
#include "ppo_session_private.h"

/* Print "harness: what: why" and exit 1 (a broken setup, not a finding). */
void fuzz_die(const char *harness, const char *what, const GError *error) G_GNUC_NORETURN;

/* Quiet the log, make the search path and load tests/fuzz/ckpt-pipeline.yaml (under
 * PPO_TEST_SRCDIR, else the source tree) with `overrides` (may be NULL), then its plugins.
 * Everything stays for the life of the process. */
void fuzz_open_pipeline(const char *harness, const char *const *overrides,
                        ppo_search_t **search, ppo_pipeline_t **pipeline,
                        ppo_session_t **session);

#endif /* FUZZ_UTIL_H */
