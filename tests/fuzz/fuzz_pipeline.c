/* ppofw fuzzing — libFuzzer harness over the pipeline loader and validator.
 *
 * Each input is a pipeline file: ppo_pipeline_parse (YAML, anchors, the pipeline schema, --set
 * overrides) and, when that accepts it, ppo_session_open with the shipped plugins (plugin search,
 * kind checks, every plugin's parameter schema) and the resolved YAML. An input whose first line
 * is "#set KEY=VALUE" also applies that override. Every outcome is fine except a crash, a
 * sanitizer report, a leak or a hang. Plugins are found in the build tree (PPOFW_PLUGIN_PATH is
 * honoured too); relative plugin paths resolve against the current directory.
 *
 * Built only by `configure CC=clang --enable-fuzzing`; run by tests/fuzz/run.sh. What it leaves
 * out: making plugin instances and training (tests/reliability/ spawns those).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ppo_pipeline_private.h"
#include "ppo_plugin_private.h"
#include "ppo_session_private.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ppo_search_t *search;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ppo_log_set_level(PPO_LOG_ERROR);
    search = ppo_search_new(NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char *set = NULL;
    if (size > 5 && memcmp(text, "#set ", 5) == 0) {
        const char *nl = memchr(text, '\n', size);
        const size_t end = nl != NULL ? (size_t)(nl - text) : size;
        set = g_strndup(text + 5, end - 5);
    }
    const char *overrides[] = {set, NULL};
    GError *error = NULL;
    ppo_pipeline_t *pl =
        ppo_pipeline_parse("fuzz.yaml", ".", text, size, set != NULL ? overrides : NULL, &error);
    if (pl != NULL) {
        ppo_session_t *s = ppo_session_open(pl, search, &error);
        if (s != NULL) {
            g_free(ppo_session_resolved_yaml(s));
            ppo_session_free(s);
        }
        ppo_pipeline_free(pl);
    }
    g_clear_error(&error);
    g_free(set);
    return 0;
}
