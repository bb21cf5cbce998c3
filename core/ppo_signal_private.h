/* ppofw core — signals: a polite stop on SIGINT/SIGTERM, and naming the plugin that crashed.
 *
 * The first SIGINT or SIGTERM only sets a flag; the run loop checks it at its next safe point
 * (after an iteration), writes a checkpoint and exits 130 or 143. A second one exits at once.
 * SIGSEGV, SIGBUS, SIGILL and SIGFPE are caught on an alternate stack: when the crashing thread
 * was running plugin code (the thread-local "current plugin" of ppo_plugin_set_current), the
 * handler prints which plugin and exits 3; otherwise it restores the default action and
 * re-raises, so core bugs still dump core. The last checkpoint is untouched either way: it was
 * written completely, or it is still a .tmp file.
 */
#ifndef PPO_SIGNAL_PRIVATE_H
#define PPO_SIGNAL_PRIVATE_H

#include "ppo_error_private.h"

/* Install the handlers (idempotent). */
PPO_INTERNAL void ppo_signals_install(void);
/* Give the calling thread its own alternate signal stack, so the crash handler also runs for a
 * stack overflow on this thread. Call once at the start of every thread that runs plugin code;
 * the stack is freed when the thread exits. */
PPO_INTERNAL void ppo_signals_thread_init(void);
/* The signal that asked to stop (SIGINT or SIGTERM), or 0. */
PPO_INTERNAL int ppo_stop_signal(void);
/* Ask to stop as if `signo` had arrived (tests). */
PPO_INTERNAL void ppo_stop_request(int signo);

#endif /* PPO_SIGNAL_PRIVATE_H */
