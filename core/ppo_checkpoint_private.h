/* ppofw core — checkpoints: the whole state of a run in one file, written crash-safely, and
 * restored for an exact resume or for evaluation and export.
 *
 * File format (version 1; docs/file-formats.md): the magic "PPOFWCKP", the format version, a
 * byte-order mark and the plugin ABI, then tagged sections (4-byte tag, 8-byte length, payload),
 * then a CRC-32C of everything before it. Sections: INFO (key=value text: versions, plugins with
 * their versions and params hashes, sizes, counters, file offsets), PIPE (the resolved pipeline
 * YAML), PARM (parameters), OPTS (optimizer state), PSTA (policy state such as gSDE noise), NORM
 * (normalizer statistics), RNGS (every stream), ENVS (per env: time-limit counter, partial
 * return, running discounted return, simulator state), OBSV (current observations), WIND (the
 * episode window), ENRM (per-env normalizer statistics; absent from files of ppofw before it).
 *
 * Writing goes to NAME.tmp, fsync, rename, fsync of the directory: a crash or a full disk never
 * leaves a partial file under a .ckpt name and never touches the previous checkpoint.
 */
#ifndef PPO_CHECKPOINT_PRIVATE_H
#define PPO_CHECKPOINT_PRIVATE_H

#include "ppo_trainer_private.h"

#define PPO_CKPT_MAGIC "PPOFWCKP"
#define PPO_CKPT_FORMAT 1

/* The run's append-only files at the checkpoint, and what proves them on resume (zero/NULL in
 * checkpoints written before run ids and digests). */
typedef struct ppo_ckpt_files {
    uint64_t metrics_offset;
    uint64_t episodes_offset;
    bool has_episodes;           /* restore: the checkpoint records episodes_offset */
    uint64_t tboard_offset;      /* 0: no TensorBoard file */
    const char *tboard_name;     /* basename of the events file, or NULL; on read a plain file
                                    name events.out.tfevents.* (checked) */
    const char *run_id;          /* the run's id (PPO_RUN_ID_LEN hex digits), or NULL */
    uint64_t metrics_rows;       /* data rows of metrics.csv before metrics_offset */
    const char *metrics_digest;  /* SHA-256 (hex) of metrics.csv's first metrics_offset bytes */
    uint64_t episodes_rows;      /* data rows of episodes.csv before episodes_offset */
    const char *episodes_digest; /* SHA-256 (hex) of episodes.csv's first episodes_offset bytes */
    const char *tboard_digest;   /* SHA-256 (hex) of the events file's first tboard_offset bytes */
} ppo_ckpt_files_t;

/* Write a checkpoint of the trainer to `path` (crash-safe). Collective under MPI: every rank
 * calls it, rank 0 writes. */
PPO_INTERNAL bool ppo_checkpoint_write(const ppo_trainer_t *tr, const ppo_ckpt_files_t *files,
                                       const char *path, GError **error);
/* The same into the open directory dir_fd (AT_FDCWD: `path` as it is), under the base name of
 * `path`, which also names it in messages: NAME.tmp is created afresh (never through a link),
 * fsync'd and renamed over NAME (see ppo_file_replace_at). */
PPO_INTERNAL bool ppo_checkpoint_write_at(const ppo_trainer_t *tr, const ppo_ckpt_files_t *files,
                                          int dir_fd, const char *path, GError **error);

/* A checkpoint read and verified (CRC, magic, version) but not applied. */
typedef struct ppo_ckpt ppo_ckpt_t;

/* Read and verify `path`: a regular file no larger than memory (a FIFO or a device is refused
 * without blocking), magic, byte order, format, CRC, the section table, and the INFO values that
 * name files or hold floats. Everything else is checked as it is restored. */
PPO_INTERNAL ppo_ckpt_t *ppo_checkpoint_read(const char *path, GError **error);
PPO_INTERNAL void ppo_checkpoint_free(ppo_ckpt_t *ckpt);

/* The resolved pipeline stored in the checkpoint (transfer none). */
PPO_INTERNAL const char *ppo_checkpoint_pipeline(const ppo_ckpt_t *ckpt);
/* A value of the INFO section (transfer none), or NULL. */
PPO_INTERNAL const char *ppo_checkpoint_info(const ppo_ckpt_t *ckpt, const char *key);

/* Check the checkpoint fits this trainer's pipeline (same plugins, versions, parameters and
 * sizes; only ppo.total_steps may differ) and restore every piece of state. files_out receives
 * the offsets to cut metrics.csv and the events file back to. */
PPO_INTERNAL bool ppo_checkpoint_restore(ppo_trainer_t *tr, const ppo_ckpt_t *ckpt,
                                         ppo_ckpt_files_t *files_out, GError **error);

/* Restore only what evaluation and export need: parameters and observation statistics into
 * `model` and `obs_rms` (either may be NULL), after checking the policy's parameter count. Every
 * parameter and statistic must be finite (a checkpoint written after training diverged is
 * refused, naming the first bad segment). */
PPO_INTERNAL bool ppo_checkpoint_restore_model(const ppo_ckpt_t *ckpt, ppo_model_t *model,
                                               ppo_rms_t *obs_rms, bool *obs_norm_on,
                                               GError **error);

/* Everything needed to run a checkpoint's policy: its pipeline (the given one, or the one stored
 * in the checkpoint), the loaded plugins, the policy with the saved parameters, and the frozen
 * observation statistics. The checkpoint's own pipeline is untrusted: its plugins are found by
 * name, or at the file the checkpoint records only when the user vouched for its directory
 * (ppo_session_open_recorded). (transfer full: ppo_loaded_policy_free) */
typedef struct ppo_loaded_policy {
    ppo_pipeline_t *pipeline;
    ppo_session_t *session;
    ppo_model_t *model;
    ppo_space_t obs_space, act_space; /* arrays owned by probe_env */
    void *probe_env;                  /* one env instance, for the spaces */
    ppo_rms_t obs_rms;
    bool obs_norm;                    /* observations were normalized in training */
    double obs_eps, obs_clip;
} ppo_loaded_policy_t;

PPO_INTERNAL ppo_loaded_policy_t *ppo_loaded_policy_open(const char *ckpt_path,
                                                         const char *pipeline_path,
                                                         const char *const *overrides,
                                                         const ppo_search_t *search,
                                                         GError **error);
PPO_INTERNAL void ppo_loaded_policy_free(ppo_loaded_policy_t *lp);

/* The plugin files a checkpoint records (INFO's env.file, ...), in the order env, policy,
 * advantage, optimizer; NULL entries where it records none. (transfer none) */
PPO_INTERNAL void ppo_checkpoint_plugin_files(const ppo_ckpt_t *ckpt, const char *files[4]);

#endif /* PPO_CHECKPOINT_PRIVATE_H */
