/* ppofw core — which plugin directories the user has vouched for.
 *
 * The trust model (docs/file-formats.md): the user's pipeline file, the command-line flags and
 * the plugins they name are trusted; checkpoints, run directories and sweep outputs are not. A
 * checkpoint records where each plugin was loaded from, but code is loaded from such a path
 * only when its directory is one the user vouched for: a directory of the plugin search path
 * (--plugin-path, PPOFW_PLUGIN_PATH, the installed plugins), or one listed in the per-user file
 * $XDG_CONFIG_HOME/ppofw/trusted-plugin-dirs (default ~/.config/ppofw/...). `ppofw run` adds a
 * directory there when the user's own pipeline or flags load a plugin from it (a plugin named by
 * path, or found through --plugin-path); nothing read from a checkpoint or a run directory ever
 * adds one. The list is one absolute directory per line; '#' starts a comment.
 */
#ifndef PPO_TRUST_PRIVATE_H
#define PPO_TRUST_PRIVATE_H

#include <stdbool.h>

#include "ppo_error_private.h"

/* The list file's path. (transfer full) */
PPO_INTERNAL char *ppo_trust_list_path(void);

/* True when `dir` (an absolute, real path) is listed. */
PPO_INTERNAL bool ppo_trust_dir_listed(const char *dir);

/* Add the directory of `plugin_file` (resolved to its real path) to the list unless it is there
 * already. Called only with files the user's own pipeline or flags loaded. A failure to write
 * is a warning, never an error. */
PPO_INTERNAL void ppo_trust_record(const char *plugin_file);

#endif /* PPO_TRUST_PRIVATE_H */
