/* ppofw core — a training run: its run directory, its files, and the loop that reports.
 *
 * Claims RUN_DIR through ppo_rundir.c (runs/<name>-<YYYYmmdd-HHMMSS> by default; locked for the
 * whole run; an existing run is refused unless overwriting or resuming, and a resume proves the
 * files it cuts are the checkpoint's), writes the resolved pipeline.yaml with a header, runs the
 * trainer and writes metrics.csv, TensorBoard events and progress lines as DESIGN.md §6
 * describes. A stop signal is honoured at the end of an iteration with a checkpoint.
 */
#ifndef PPO_RUN_PRIVATE_H
#define PPO_RUN_PRIVATE_H

#include "ppo_session_private.h"
#include "ppo_trainer_private.h"

typedef struct ppo_run_options {
    const char *run_dir;      /* NULL: runs/<name>-<timestamp> under the working directory */
    bool overwrite;           /* replace the files of an existing run directory */
    const char *resume;       /* a run directory (its newest checkpoint) or a .ckpt file */
    const char *command_line; /* recorded in pipeline.yaml's header */
    bool quiet;               /* no progress lines */
    uint64_t max_iterations;  /* stop after this many (0: run to ppo.total_steps) */
} ppo_run_options_t;

/* Train. On return *run_dir_out (transfer full, may be NULL) names the run directory, also on
 * failure once it exists. */
PPO_INTERNAL bool ppo_run(ppo_session_t *session, const ppo_run_options_t *opt,
                          char **run_dir_out, GError **error);

#endif /* PPO_RUN_PRIVATE_H */
