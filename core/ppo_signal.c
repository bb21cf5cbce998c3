/* ppofw core — the stop flag for SIGINT/SIGTERM and the crash handler that names plugins. */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppo_plugin_private.h"
#include "ppo_signal_private.h"

static volatile sig_atomic_t stop_signal;

static void write_str(const char *s)
{
    ssize_t ignored = write(STDERR_FILENO, s, strlen(s));
    (void)ignored;
}

static void on_stop(int signo)
{
    if (stop_signal != 0) {
        write_str("ppofw: second signal, exiting now without a checkpoint\n");
        _exit(signo == SIGTERM ? PPO_EXIT_SIGTERM : PPO_EXIT_SIGINT);
    }
    stop_signal = signo;
    write_str("ppofw: stopping after this iteration (a checkpoint is written); signal again to "
              "exit at once\n");
}

static void on_crash(int signo)
{
    const ppo_plugin_t *p = ppo_plugin_current();
    if (p == NULL) {
        /* not a plugin: let the default action report it */
        signal(signo, SIG_DFL);
        raise(signo);
        return;
    }
    const char *what = signo == SIGSEGV ? "SIGSEGV (invalid memory access)"
                       : signo == SIGBUS ? "SIGBUS (bad memory access, a truncated file?)"
                       : signo == SIGFPE ? "SIGFPE (arithmetic fault)"
                                         : "SIGILL (illegal instruction)";
    write_str("ppofw: plugin \"");
    write_str(p->name);
    write_str("\" (");
    write_str(p->path);
    write_str(") crashed with ");
    write_str(what);
    write_str("; the last checkpoint is intact. Fix the plugin (run it under gdb or valgrind, "
              "or `ppofw check-env`), then resume\n");
    _exit(PPO_EXIT_PLUGIN);
}

void ppo_signals_install(void)
{
    static gsize done = 0;
    if (!g_once_init_enter(&done))
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* the crash handler runs on its own stack, so a stack overflow is reported too */
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    g_once_init_leave(&done, 1);
}

static void free_altstack(void *stack)
{
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    g_free(stack);
}

void ppo_signals_thread_init(void)
{
    static GPrivate key = G_PRIVATE_INIT(free_altstack);
    if (g_private_get(&key) != NULL)
        return;
    const size_t size = 64 * 1024;
    void *stack = g_malloc(size);
    stack_t ss = {.ss_sp = stack, .ss_size = size, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) == 0)
        g_private_set(&key, stack);
    else
        g_free(stack);
}

int ppo_stop_signal(void)
{
    return stop_signal;
}

void ppo_stop_request(int signo)
{
    stop_signal = signo;
}
