/* ppofw core — the stop flag for SIGINT/SIGTERM, the crash handler that names plugins, the
 * watchdog and the exit() guard (see ppo_signal_private.h). */
#include "config.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppo_plugin_private.h"
#include "ppo_signal_private.h"

/* How long the run may take to reach its safe point after the first stop signal. */
#define STOP_GRACE_US G_USEC_PER_SEC
/* How often the watchdog looks. */
#define WATCH_PERIOD_US (100 * 1000)

static volatile sig_atomic_t stop_signal;
static atomic_bool stop_checkpointing;
static const char *volatile crash_advice =
    "fix the plugin (run it under gdb or valgrind, or check it with `ppofw check-env` or "
    "`ppofw check-policy`)";

/* ---- async-signal-safe output ---- */

static void write_str(const char *s)
{
    ssize_t ignored = write(STDERR_FILENO, s, strlen(s));
    (void)ignored;
}

static void write_u64(uint64_t v)
{
    char buf[24];
    size_t i = sizeof(buf);
    buf[--i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && i > 0);
    write_str(buf + i);
}

/* ---- the polite stop ---- */

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

int ppo_stop_signal(void)
{
    return stop_signal;
}

void ppo_stop_request(int signo)
{
    stop_signal = signo;
    if (signo == 0)
        atomic_store(&stop_checkpointing, false);
}

void ppo_stop_checkpointing(void)
{
    atomic_store(&stop_checkpointing, true);
}

/* ---- guarded buffers ---- */

#define GUARDS 64
static struct {
    _Atomic(uintptr_t) start;
    _Atomic(uintptr_t) len;
    const char *_Atomic what;
} guards[GUARDS];

int ppo_guard_add(const void *start, size_t len, const char *what)
{
    for (int i = 0; i < GUARDS; i++) {
        uintptr_t free_slot = 0;
        if (atomic_compare_exchange_strong(&guards[i].start, &free_slot, (uintptr_t)start)) {
            atomic_store(&guards[i].what, what);
            atomic_store(&guards[i].len, (uintptr_t)len);
            return i;
        }
    }
    return -1;
}

void ppo_guard_remove(int handle)
{
    if (handle < 0 || handle >= GUARDS)
        return;
    atomic_store(&guards[handle].len, 0);
    atomic_store(&guards[handle].start, 0);
}

/* ---- crashes ---- */

static const char *signal_text(int signo)
{
    switch (signo) {
    case SIGSEGV:
        return "SIGSEGV (invalid memory access)";
    case SIGBUS:
        return "SIGBUS (bad memory access, a truncated file?)";
    case SIGFPE:
        return "SIGFPE (arithmetic fault)";
    case SIGABRT:
        return "SIGABRT (abort(): a failed assertion, or the C library found memory corrupted)";
    default:
        return "SIGILL (illegal instruction)";
    }
}

static void on_crash(int signo, siginfo_t *info, void *context)
{
    (void)context;
    const ppo_call_t *slot = ppo_call_mine();
    if (slot == NULL || !(atomic_load_explicit(&slot->gen, memory_order_relaxed) & 1u)) {
        /* not a plugin: let the default action report it */
        signal(signo, SIG_DFL);
        raise(signo);
        return;
    }
    const ppo_plugin_t *p = atomic_load_explicit(&slot->plugin, memory_order_relaxed);
    const char *file = atomic_load_explicit(&slot->file, memory_order_relaxed);
    const char *callback = atomic_load_explicit(&slot->callback, memory_order_relaxed);
    if (p != NULL) {
        write_str("ppofw: plugin \"");
        write_str(p->name);
        write_str("\" (");
        write_str(p->path);
        write_str(") crashed");
        if (callback != NULL) {
            write_str(" in ");
            write_str(callback);
        }
    } else {
        write_str("ppofw: plugin file ");
        write_str(file != NULL ? file : "(unknown)");
        write_str(" crashed while it was loaded");
        if (callback != NULL) {
            write_str(", in ");
            write_str(callback);
        }
    }
    write_str(" with ");
    write_str(signal_text(signo));
    /* a write into a guard page after a buffer the plugin was handed */
    const uintptr_t addr = info != NULL ? (uintptr_t)info->si_addr : 0;
    for (int i = 0; addr != 0 && (signo == SIGSEGV || signo == SIGBUS) && i < GUARDS; i++) {
        const uintptr_t start = atomic_load(&guards[i].start), len = atomic_load(&guards[i].len);
        if (start != 0 && addr >= start && addr - start < len) {
            write_str(": it wrote past the end of ");
            write_str(atomic_load(&guards[i].what));
            write_str(" (");
            write_u64(addr - start);
            write_str(" bytes past it)");
            break;
        }
    }
    write_str("; ");
    write_str(crash_advice);
    write_str("\n");
    _exit(PPO_EXIT_PLUGIN);
}

void ppo_signals_set_advice(const char *advice)
{
    crash_advice = advice;
}

void ppo_signals_install_crash(void)
{
    static gsize done = 0;
    if (!g_once_init_enter(&done))
        return;
    /* a reader that went away makes writes fail with EPIPE, which stops printing only */
    signal(SIGPIPE, SIG_IGN);
    /* the crash handler runs on its own stack, so a stack overflow is reported too */
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_crash;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    static const int crashes[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < G_N_ELEMENTS(crashes); i++)
        sigaction(crashes[i], &sa, NULL);
    g_once_init_leave(&done, 1);
}

void ppo_signals_install(void)
{
    ppo_signals_install_crash();
    static gsize done = 0;
    if (!g_once_init_enter(&done))
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ppo_watchdog_start(0);
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

/* ---- the watchdog ---- */

static _Atomic(uint64_t) timeout_us; /* 0: no plugin timeout */

/* "plugin "NAME" (FILE) ... in CALLBACK" for a slot, into buf. */
static void describe_call(char *buf, size_t size, const ppo_call_t *slot)
{
    const ppo_plugin_t *p = atomic_load_explicit(&slot->plugin, memory_order_relaxed);
    const char *file = atomic_load_explicit(&slot->file, memory_order_relaxed);
    const char *cb = atomic_load_explicit(&slot->callback, memory_order_relaxed);
    if (p != NULL)
        g_snprintf(buf, size, "plugin \"%s\" (%s)%s%s", p->name, p->path, cb != NULL ? ": " : "",
                   cb != NULL ? cb : "");
    else
        g_snprintf(buf, size, "plugin file %s%s%s", file != NULL ? file : "(unknown)",
                   cb != NULL ? ": " : "", cb != NULL ? cb : "");
}

static void say(const char *text)
{
    write_str(text);
}

static gpointer watchdog_main(gpointer data)
{
    (void)data;
    static unsigned long last_gen[4096];
    static gint64 since[4096];
    gint64 stop_seen = 0;
    char what[1200], line[1600];
    for (;;) {
        g_usleep(WATCH_PERIOD_US);
        const gint64 now = g_get_monotonic_time();
        unsigned n = 0;
        ppo_call_t *slots = ppo_call_slots(&n);
        n = MIN(n, G_N_ELEMENTS(last_gen));
        const ppo_call_t *longest = NULL;
        gint64 longest_us = 0;
        for (unsigned i = 0; i < n; i++) {
            const unsigned long gen = atomic_load_explicit(&slots[i].gen, memory_order_acquire);
            if (!(gen & 1u) || !atomic_load(&slots[i].used)) {
                last_gen[i] = gen;
                continue;
            }
            if (gen != last_gen[i]) {
                /* a new call since the last look */
                last_gen[i] = gen;
                since[i] = now;
                continue;
            }
            if (now - since[i] > longest_us) {
                longest_us = now - since[i];
                longest = &slots[i];
            }
        }
        /* a plugin call past the timeout */
        const uint64_t limit = atomic_load(&timeout_us);
        if (limit > 0 && longest != NULL && (uint64_t)longest_us >= limit) {
            describe_call(what, sizeof(what), longest);
            g_snprintf(line, sizeof(line),
                       "ppofw: %s has not returned after %.1f s (--plugin-timeout %.1f); it "
                       "hangs or is far slower than expected — stopping (exit 3); the last "
                       "checkpoint is intact\n",
                       what, (double)longest_us / 1e6, (double)limit / 1e6);
            say(line);
            _exit(PPO_EXIT_PLUGIN);
        }
        /* a stop that does not reach its safe point in time */
        const int sig = stop_signal;
        if (sig == 0 || atomic_load(&stop_checkpointing)) {
            stop_seen = 0;
            continue;
        }
        if (stop_seen == 0) {
            stop_seen = now;
            continue;
        }
        if (now - stop_seen < STOP_GRACE_US)
            continue;
        if (longest != NULL) {
            describe_call(what, sizeof(what), longest);
            g_snprintf(line, sizeof(line),
                       "ppofw: %s: %s has been running for %.1f s and does not return; "
                       "stopping now without a new checkpoint (the last checkpoint is "
                       "intact)\n",
                       sig == SIGTERM ? "SIGTERM" : "SIGINT", what, (double)longest_us / 1e6);
        } else {
            g_snprintf(line, sizeof(line),
                       "ppofw: %s: the work in progress (an initialization or a long iteration) "
                       "did not reach a point where it can checkpoint within %.0f s; stopping "
                       "now without a new checkpoint (the last checkpoint is intact)\n",
                       sig == SIGTERM ? "SIGTERM" : "SIGINT", (double)STOP_GRACE_US / 1e6);
        }
        say(line);
        _exit(sig == SIGTERM ? PPO_EXIT_SIGTERM : PPO_EXIT_SIGINT);
    }
    return NULL;
}

void ppo_watchdog_start(double plugin_timeout_s)
{
    if (plugin_timeout_s > 0)
        atomic_store(&timeout_us, (uint64_t)(plugin_timeout_s * 1e6));
    static gsize done = 0;
    if (!g_once_init_enter(&done))
        return;
    GError *error = NULL;
    GThread *t = g_thread_try_new("ppofw-watchdog", watchdog_main, NULL, &error);
    if (t == NULL) {
        /* without it a hang is only ended by a second signal; say so, go on */
        ppo_log(PPO_LOG_WARNING, "cannot start the watchdog thread: %s", error->message);
        g_error_free(error);
    } else {
        g_thread_unref(t);
    }
    g_once_init_leave(&done, 1);
}

/* ---- exit() from a plugin ---- */

static const char *_Atomic guard_command;

static void exit_guard(void)
{
    const char *command = atomic_load(&guard_command);
    if (command == NULL)
        return;
    const ppo_call_t *slot = ppo_call_mine();
    char what[1200], line[1700];
    if (slot != NULL && (atomic_load(&slot->gen) & 1u)) {
        describe_call(what, sizeof(what), slot);
        g_snprintf(line, sizeof(line),
                   "ppofw: %s called exit() instead of returning an error; a plugin must never "
                   "end the process — `ppofw %s` stops here with exit code 3\n",
                   what, command);
    } else {
        g_snprintf(line, sizeof(line),
                   "ppofw: exit() was called during `ppofw %s` by code that is not ppofw's (a "
                   "plugin, or a library it uses); stopping with exit code 3\n",
                   command);
    }
    say(line);
    _exit(PPO_EXIT_PLUGIN);
}

void ppo_exit_guard_arm(const char *command)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        atexit(exit_guard);
        g_once_init_leave(&done, 1);
    }
    atomic_store(&guard_command, command);
}

void ppo_exit_guard_disarm(void)
{
    atomic_store(&guard_command, NULL);
}
