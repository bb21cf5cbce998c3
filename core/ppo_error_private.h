/* ppofw core — the error domain and the exit codes of DESIGN.md §6.
 *
 * A user or environment error (bad pipeline, missing plugin, NaN, unreadable checkpoint) becomes a
 * GError in the PPO_ERROR domain and is passed up; only main() prints it and picks the exit code
 * from its code. Programmer errors are g_return_if_fail / assertions, never GErrors.
 *
 * PPO_INTERNAL marks core functions the ppofw program and the tests call. They are declared only
 * in core/ headers, which are never installed, and have hidden visibility: the program and the
 * tests link the core (libppocore) statically, and the shared libraries built from it export
 * only what their installed headers declare.
 */
#ifndef PPO_ERROR_PRIVATE_H
#define PPO_ERROR_PRIVATE_H

#include <glib.h>

#define PPO_INTERNAL __attribute__((visibility("hidden")))

#define PPO_ERROR (ppo_error_quark())

/* Error codes; each maps to one exit code. */
typedef enum {
    PPO_ERROR_INTERNAL = 1,  /* exit 1: a bug or an impossible state */
    PPO_ERROR_USAGE,         /* exit 2: bad command line */
    PPO_ERROR_PIPELINE,      /* exit 2: bad pipeline file or --set */
    PPO_ERROR_PLUGIN,        /* exit 3: plugin missing, unloadable, refused or failing */
    PPO_ERROR_NUMERIC,       /* exit 4: NaN or Inf */
    PPO_ERROR_CHECKPOINT,    /* exit 5: checkpoint unreadable, damaged or mismatched */
    PPO_ERROR_IO,            /* exit 5: a file could not be read or written */
    PPO_ERROR_INTERRUPTED,   /* exit 130 or 143: stopped by a signal (after a checkpoint) */
} ppo_error_code_t;

/* Exit codes. */
enum {
    PPO_EXIT_OK = 0,
    PPO_EXIT_INTERNAL = 1,
    PPO_EXIT_USAGE = 2,
    PPO_EXIT_PLUGIN = 3,
    PPO_EXIT_NUMERIC = 4,
    PPO_EXIT_IO = 5,
    PPO_EXIT_SIGINT = 130,
    PPO_EXIT_SIGTERM = 143,
};

PPO_INTERNAL GQuark ppo_error_quark(void);

/* The exit code for an error (any domain; foreign domains give 1). For PPO_ERROR_INTERRUPTED the
 * signal number is carried by ppo_error_set_interrupt_signal. */
PPO_INTERNAL int ppo_error_exit_code(const GError *error);

/* Remember which signal interrupted the run (SIGINT or SIGTERM) for ppo_error_exit_code. */
PPO_INTERNAL void ppo_error_set_interrupt_signal(int signo);

#endif /* PPO_ERROR_PRIVATE_H */
