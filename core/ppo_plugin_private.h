/* ppofw core — loaded plugins: finding, checking and opening shared objects, and the host
 * services each plugin is handed.
 *
 * A plugin is found by name (NAME.so in the search path of DESIGN.md §6) or by an explicit path.
 * Before dlopen the file is checked with plain reads (regular file, ELF of this machine's class
 * and architecture, a shared object whose segments and section table lie inside the file), since
 * dlopen of a truncated object can kill the process with SIGBUS. After dlopen the descriptor is
 * checked: ABI major equal, minor not newer, struct sizes, kind, name equal to the file stem,
 * every required callback present, parameter schema sound. Loaded plugins stay loaded until the
 * process exits (no dlclose: plugin code may still be referenced by threads or TLS destructors).
 */
#ifndef PPO_PLUGIN_PRIVATE_H
#define PPO_PLUGIN_PRIVATE_H

#include <stdatomic.h>

#include <ppofw/ppofw.h>

#include "ppo_error_private.h"
#include "ppo_yaml_private.h"

/* One loaded plugin. Owned by the process-wide registry; never freed before exit. */
typedef struct ppo_plugin {
    char *path;                      /* the file that was opened */
    const char *name;                /* descriptor name (= file stem) */
    const char *version;             /* descriptor version */
    const char *description;         /* descriptor one-liner */
    ppo_kind_t kind;                 /* what it is */
    uint32_t abi_major;              /* ABI the plugin was built for */
    uint32_t abi_minor;
    ppo_param_spec_t *specs;         /* (n_specs) normalized copy of the schema */
    uint32_t n_specs;
    union {                          /* normalized copy of the vtable: fields the plugin's
                                        struct_size does not cover are zero */
        ppo_env_vtable_t env;
        ppo_policy_vtable_t policy;
        ppo_advantage_vtable_t advantage;
        ppo_optimizer_vtable_t optimizer;
    } vt;
    ppo_recurrent_vtable_t recurrent;/* normalized copy of a policy's recurrent table; the
                                        policy vtable's `recurrent` points here (or is NULL) */
    const void *raw_vtable;          /* the plugin's own vtable (the comm backend reads it) */
    ppo_host_t host;                 /* the services table given to this plugin's instances */
    void *handle;                    /* dlopen handle */
} ppo_plugin_t;

/* Where plugins are looked for, in order. */
typedef struct ppo_search ppo_search_t;

/* The search path: each of `extra_dirs` (from --plugin-path; may be NULL), then each dir of
 * PPOFW_PLUGIN_PATH, then the build tree when this is the uninstalled program, then the installed
 * plugin directory. (transfer full: free with ppo_search_free) */
PPO_INTERNAL ppo_search_t *ppo_search_new(const char *const *extra_dirs);
PPO_INTERNAL void ppo_search_free(ppo_search_t *search);
/* Number of directories and the i-th one with its origin ("--plugin-path", ...). */
PPO_INTERNAL guint ppo_search_len(const ppo_search_t *search);
PPO_INTERNAL const char *ppo_search_dir(const ppo_search_t *search, guint i, const char **origin);

/* Load the plugin `spec`: a name (NAME.so in the search path) or a path (contains '/' or ends in
 * ".so"; a relative path is taken relative to base_dir, which may be NULL for the working
 * directory). Loading the same file twice gives the same plugin. (transfer none) On failure a
 * PPO_ERROR_PLUGIN error names the file (or every place searched) and the fix. */
PPO_INTERNAL ppo_plugin_t *ppo_plugin_load(const ppo_search_t *search, const char *spec,
                                           const char *base_dir, GError **error);

/* Where `spec` would be loaded from (a name through the search path, or the path), without
 * loading it; NULL when a name is found nowhere. (transfer full) */
PPO_INTERNAL char *ppo_plugin_find(const ppo_search_t *search, const char *spec,
                                   const char *base_dir);
/* True when `spec` is a path (contains '/' or ends in ".so"), not a name. */
PPO_INTERNAL bool ppo_plugin_spec_is_path(const char *spec);

/* Load a plugin that an untrusted source (a checkpoint's pipeline, a run directory; `source`
 * names it in messages) names as `spec`, and records as loaded from `recorded` (may be NULL).
 * No code is ever loaded from a path only that source supplies: the recorded file is used only
 * when its directory is one the user vouched for (a directory of the search path, e.g. from
 * --plugin-path, or one in the trusted-directory list of ppo_trust_private.h); otherwise the
 * plugin is found by name through the search path, and when it is not there the message names
 * the plugin, where the source says it was, and the --plugin-path that would allow it.
 * (transfer none) */
PPO_INTERNAL ppo_plugin_t *ppo_plugin_load_recorded(const ppo_search_t *search, const char *spec,
                                                    const char *recorded, const char *source,
                                                    GError **error);

/* Load a plugin from an explicit file, without any search. (transfer none) */
PPO_INTERNAL ppo_plugin_t *ppo_plugin_load_file(const char *path, GError **error);

/* Every plugin file found in the search path (a name found in an earlier directory hides later
 * ones). Files that fail to load are reported in *failures as "file: reason" strings.
 * (transfer container: the array is yours, the plugins are not) */
PPO_INTERNAL GPtrArray *ppo_plugin_list(const ppo_search_t *search, GPtrArray **failures);

/* Decide whether a plugin file may be loaded into this process (e.g. by loading it in a child
 * first): false with *why (transfer full) when not. */
typedef bool (*ppo_plugin_probe_fn)(const char *path, char **why);
/* ppo_plugin_list, with each file first passed to `probe` (may be NULL); a refused file is a
 * failure and is never loaded here. */
PPO_INTERNAL GPtrArray *ppo_plugin_list_probed(const ppo_search_t *search,
                                               ppo_plugin_probe_fn probe, GPtrArray **failures);

/* "env", "policy", "advantage", "optimizer". */
PPO_INTERNAL const char *ppo_kind_name(ppo_kind_t kind);

/* Fail unless `plugin` is of `kind`; the message names the YAML position and key. */
PPO_INTERNAL bool ppo_plugin_require_kind(const ppo_plugin_t *plugin, ppo_kind_t kind,
                                          ppo_mark_t mark, const char *key, GError **error);

/* Build the error for a failed callback: "plugin "NAME" (FILE): CALLBACK failed: <what the plugin
 * reported through host->error on this thread, or the return code>". Clears this thread's
 * pending plugin error. */
PPO_INTERNAL GError *ppo_plugin_error(const ppo_plugin_t *plugin, const char *callback, int rc);

/* ppo_plugin_error's message for a callback that failed on a worker thread, kept in *slot (the
 * old message freed) for the main thread to report: the plugin's reason is per thread, so it
 * must be taken on the thread that ran the callback. */
PPO_INTERNAL void ppo_plugin_error_keep(const ppo_plugin_t *plugin, const char *callback, int rc,
                                        char **slot);

/* Take this thread's pending plugin error message (transfer full), or NULL. */
PPO_INTERNAL char *ppo_host_take_error(void);

/* Fill a host table whose log lines are prefixed with `name`. */
PPO_INTERNAL void ppo_host_init(ppo_host_t *host, const char *name);

/* Log verbosity for the host and the core: messages above `level` are dropped. */
PPO_INTERNAL void ppo_log_set_level(ppo_log_level_t level);
PPO_INTERNAL void ppo_log(ppo_log_level_t level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* What plugin code a thread runs, for the crash handler (which names the plugin, its file and
 * the callback) and the watchdog (which names a callback that does not return). Each thread
 * that calls plugin code has one slot; `gen` counts entries and exits (odd: inside a call), so
 * the watchdog tells one long call from many short ones without reading a clock per call. */
typedef struct ppo_call {
    const ppo_plugin_t *_Atomic plugin; /* the plugin being called, or NULL */
    const char *_Atomic file;           /* its file (also while loading: the file dlopen'd) */
    const char *_Atomic callback;       /* "step", "create", ..., or NULL when not said */
    _Atomic unsigned long gen;          /* odd while inside plugin code */
    _Atomic bool used;                  /* claimed by a live thread */
} ppo_call_t;

/* Mark this thread as running `callback` of `plugin` (a static string) until
 * ppo_plugin_leave. */
PPO_INTERNAL void ppo_plugin_enter(const ppo_plugin_t *plugin, const char *callback);
/* Mark this thread as running code of a plugin file being loaded: its constructors (dlopen) or
 * its entry point. `file` must stay valid until ppo_plugin_leave. */
PPO_INTERNAL void ppo_plugin_enter_file(const char *file, const char *what);
PPO_INTERNAL void ppo_plugin_leave(void);
/* This thread's slot (NULL before its first call). */
PPO_INTERNAL const ppo_call_t *ppo_call_mine(void);
/* Every slot claimed so far: slots [0, *n). */
PPO_INTERNAL ppo_call_t *ppo_call_slots(unsigned *n);

/* The plugin whose code this thread is running, or NULL. */
PPO_INTERNAL const ppo_plugin_t *ppo_plugin_current(void);

#endif /* PPO_PLUGIN_PRIVATE_H */
