/* ppofw core — signals and misbehaving plugins: a polite stop on SIGINT/SIGTERM that never
 * waits long, naming the plugin that crashed, hung or called exit(), and SIGPIPE ignored.
 *
 * Stop: the first SIGINT or SIGTERM only sets a flag; the run loop checks it at its next safe
 * point (after an iteration), writes a checkpoint and exits 130 or 143. When that safe point is
 * not reached within a second of the signal (a long initialization, a long iteration, a plugin
 * call that blocks), the watchdog thread exits at once with the same code, saying what was
 * running; the last checkpoint is intact. A second signal exits at once.
 *
 * Crashes: SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT are caught on an alternate stack. When the
 * crashing thread was running plugin code (ppo_plugin_enter), the handler prints which plugin,
 * its file and the callback (or, while a file is loaded, its constructors or entry point), and
 * whether it wrote past a buffer guarded with ppo_guard_add, then exits 3. Otherwise it restores
 * the default action and re-raises, so core bugs still dump core.
 *
 * exit() from a plugin: once a command has parsed its options (ppo_exit_guard_arm), an exit()
 * that does not come from the command's own return is reported, naming the plugin and callback
 * running on that thread, and turned into exit code 3: it never reads as success.
 *
 * Watchdog: with a plugin timeout (--plugin-timeout), a plugin call that does not return within
 * it is named and the process exits 3.
 *
 * SIGPIPE is ignored, so a closed stdout or stderr (`ppofw run ... | head`) only makes writes
 * fail with EPIPE: printing stops, training does not.
 */
#ifndef PPO_SIGNAL_PRIVATE_H
#define PPO_SIGNAL_PRIVATE_H

#include <stddef.h>

#include "ppo_error_private.h"

/* Install the crash handlers and ignore SIGPIPE (idempotent; every command, at start). */
PPO_INTERNAL void ppo_signals_install_crash(void);
/* Install the crash handlers and the polite stop on SIGINT/SIGTERM, and start the watchdog
 * (idempotent; commands that checkpoint: run). */
PPO_INTERNAL void ppo_signals_install(void);
/* Give the calling thread its own alternate signal stack, so the crash handler also runs for a
 * stack overflow on this thread. Call once at the start of every thread that runs plugin code;
 * the stack is freed when the thread exits. */
PPO_INTERNAL void ppo_signals_thread_init(void);
/* The signal that asked to stop (SIGINT or SIGTERM), or 0. */
PPO_INTERNAL int ppo_stop_signal(void);
/* Ask to stop as if `signo` had arrived (tests). */
PPO_INTERNAL void ppo_stop_request(int signo);

/* The run reached its safe point after a stop request and writes its last checkpoint: the
 * watchdog lets it finish. */
PPO_INTERNAL void ppo_stop_checkpointing(void);

/* What the crash message advises after naming the plugin (a static string), e.g. that the last
 * checkpoint is intact and the run can be resumed. The default advises fixing the plugin. */
PPO_INTERNAL void ppo_signals_set_advice(const char *advice);

/* Name `len` bytes at `start` (a PROT_NONE guard page after a buffer a plugin writes) so that a
 * fault there is reported as "wrote past <what>". Returns a handle for ppo_guard_remove, or -1
 * when the table is full. */
PPO_INTERNAL int ppo_guard_add(const void *start, size_t len, const char *what);
PPO_INTERNAL void ppo_guard_remove(int handle);

/* Start the watchdog thread (idempotent) and set the plugin timeout in seconds (0: none). */
PPO_INTERNAL void ppo_watchdog_start(double plugin_timeout_s);

/* From now on an exit() that is not the command's own is reported and exits 3; `command` names
 * the command in the message (a static string). */
PPO_INTERNAL void ppo_exit_guard_arm(const char *command);
/* The command is returning (or exiting on purpose, e.g. MPI_Abort): exit normally. */
PPO_INTERNAL void ppo_exit_guard_disarm(void);

#endif /* PPO_SIGNAL_PRIVATE_H */
