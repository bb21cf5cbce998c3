/* ppofw core — the host services handed to plugins: logging, error reporting, aligned memory.
 *
 * A plugin reports why a callback failed with host->error(); the message is kept per thread and
 * taken by the core right after the callback returns on that same thread, so a worker thread's
 * error travels to the main thread with the chunk result that failed. Also here: the
 * thread-local "current plugin" that the crash handler names.
 */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_plugin_private.h"

static _Thread_local GString *tls_error;
static _Thread_local uint64_t tls_error_cut; /* bytes of the pending error left out */
static _Thread_local ppo_call_t *tls_call;   /* this thread's call slot, once it has one */

/* Call slots: one per thread that has run plugin code, read by the crash handler (its own
 * thread's) and the watchdog (every thread's). A slot is claimed on a thread's first call and
 * given back when the thread exits. */
#define CALL_SLOTS 4096
static ppo_call_t call_slots[CALL_SLOTS];
static atomic_uint call_slots_used; /* slots [0, used) have been claimed at least once */

/* The longest plugin error message kept (a plugin may report megabytes). */
#define PLUGIN_ERROR_MAX 2000
static ppo_log_level_t log_level = PPO_LOG_INFO;
static GMutex log_lock;

void ppo_log_set_level(ppo_log_level_t level)
{
    log_level = level;
}

static const char *level_name(ppo_log_level_t level)
{
    switch (level) {
    case PPO_LOG_ERROR:
        return "error";
    case PPO_LOG_WARNING:
        return "warning";
    case PPO_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

static void log_line(ppo_log_level_t level, const char *who, const char *fmt, va_list ap)
{
    if (level > log_level)
        return;
    char *msg = g_strdup_vprintf(fmt, ap);
    g_mutex_lock(&log_lock);
    if (who != NULL)
        fprintf(stderr, "ppofw: %s: %s: %s\n", who, level_name(level), msg);
    else
        fprintf(stderr, "ppofw: %s: %s\n", level_name(level), msg);
    g_mutex_unlock(&log_lock);
    g_free(msg);
}

void ppo_log(ppo_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(level, NULL, fmt, ap);
    va_end(ap);
}

static void host_log(const ppo_host_t *host, ppo_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(level, host != NULL ? host->host_data : NULL, fmt, ap);
    va_end(ap);
}

static void host_error(const ppo_host_t *host, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (tls_error == NULL)
        tls_error = g_string_new(NULL);
    else if (tls_error->len > 0)
        g_string_append(tls_error, "; ");
    g_string_append_vprintf(tls_error, fmt, ap);
    va_end(ap);
    /* keep the start, say how much was left out */
    if (tls_error->len > PLUGIN_ERROR_MAX) {
        gsize keep = PLUGIN_ERROR_MAX;
        /* do not cut a UTF-8 sequence */
        while (keep > 0 && ((unsigned char)tls_error->str[keep] & 0xC0) == 0x80)
            keep--;
        tls_error_cut += tls_error->len - keep;
        g_string_truncate(tls_error, keep);
    }
}

char *ppo_host_take_error(void)
{
    if (tls_error == NULL)
        return NULL;
    if (tls_error_cut > 0)
        g_string_append_printf(tls_error, " [... %" G_GUINT64_FORMAT " more bytes cut]",
                               tls_error_cut);
    tls_error_cut = 0;
    char *msg = g_string_free(tls_error, FALSE);
    tls_error = NULL;
    if (*msg == '\0') {
        g_free(msg);
        return NULL;
    }
    return msg;
}

static void *host_aligned_alloc(size_t alignment, size_t size)
{
    void *p = NULL;
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
        return NULL;
    if (posix_memalign(&p, alignment, size > 0 ? size : 1) != 0)
        return NULL;
    return p;
}

static void host_aligned_free(void *ptr)
{
    free(ptr);
}

void ppo_host_init(ppo_host_t *host, const char *name)
{
    memset(host, 0, sizeof(*host));
    host->struct_size = sizeof(ppo_host_t);
    host->abi_major = PPO_ABI_MAJOR;
    host->abi_minor = PPO_ABI_MINOR;
    host->log = host_log;
    host->error = host_error;
    host->aligned_alloc = host_aligned_alloc;
    host->aligned_free = host_aligned_free;
    host->host_data = (void *)name;
}

GError *ppo_plugin_error(const ppo_plugin_t *plugin, const char *callback, int rc)
{
    char *why = ppo_host_take_error();
    GError *error = g_error_new(PPO_ERROR, PPO_ERROR_PLUGIN, "plugin \"%s\" (%s): %s failed: %s",
                                plugin->name, plugin->path, callback,
                                why != NULL ? why : "it gave no reason");
    if (why == NULL && rc != 0) {
        g_free(error->message);
        error->message = g_strdup_printf(
            "plugin \"%s\" (%s): %s failed with code %d and gave no reason (a plugin should "
            "call host->error() before failing)",
            plugin->name, plugin->path, callback, rc);
    }
    g_free(why);
    return error;
}

void ppo_plugin_error_keep(const ppo_plugin_t *plugin, const char *callback, int rc, char **slot)
{
    GError *e = ppo_plugin_error(plugin, callback, rc);
    g_free(*slot);
    *slot = g_steal_pointer(&e->message);
    g_error_free(e);
}

/* ---- what plugin code each thread runs ---- */

static void release_slot(gpointer data)
{
    ppo_call_t *slot = data;
    atomic_store_explicit(&slot->plugin, NULL, memory_order_relaxed);
    atomic_store_explicit(&slot->file, NULL, memory_order_relaxed);
    atomic_store_explicit(&slot->callback, NULL, memory_order_relaxed);
    atomic_store_explicit(&slot->used, false, memory_order_release);
}

static GPrivate slot_key = G_PRIVATE_INIT(release_slot);

/* This thread's slot, claimed on first use (NULL when every slot is taken). */
static ppo_call_t *my_slot(void)
{
    if (tls_call != NULL)
        return tls_call;
    const unsigned used = atomic_load_explicit(&call_slots_used, memory_order_acquire);
    /* reuse a slot a finished thread gave back, else take a new one */
    for (unsigned i = 0; i < used + 1 && i < CALL_SLOTS; i++) {
        bool free_slot = false;
        if (atomic_compare_exchange_strong(&call_slots[i].used, &free_slot, true)) {
            tls_call = &call_slots[i];
            unsigned seen = atomic_load(&call_slots_used);
            while (seen < i + 1 && !atomic_compare_exchange_weak(&call_slots_used, &seen, i + 1))
                ;
            g_private_set(&slot_key, tls_call);
            return tls_call;
        }
    }
    return NULL;
}

void ppo_plugin_enter(const ppo_plugin_t *plugin, const char *callback)
{
    ppo_call_t *slot = my_slot();
    if (slot == NULL)
        return;
    atomic_store_explicit(&slot->plugin, plugin, memory_order_relaxed);
    atomic_store_explicit(&slot->file, plugin != NULL ? plugin->path : NULL,
                          memory_order_relaxed);
    atomic_store_explicit(&slot->callback, callback, memory_order_relaxed);
    /* odd: in a call; the watchdog sees a new call by the count changing */
    atomic_store_explicit(&slot->gen, (atomic_load_explicit(&slot->gen, memory_order_relaxed) | 1u) + 2u,
                          memory_order_release);
}

void ppo_plugin_enter_file(const char *file, const char *what)
{
    ppo_call_t *slot = my_slot();
    if (slot == NULL)
        return;
    atomic_store_explicit(&slot->plugin, NULL, memory_order_relaxed);
    atomic_store_explicit(&slot->file, file, memory_order_relaxed);
    atomic_store_explicit(&slot->callback, what, memory_order_relaxed);
    atomic_store_explicit(&slot->gen, (atomic_load_explicit(&slot->gen, memory_order_relaxed) | 1u) + 2u,
                          memory_order_release);
}

void ppo_plugin_leave(void)
{
    ppo_call_t *slot = tls_call;
    if (slot == NULL)
        return;
    /* even: out of plugin code */
    atomic_store_explicit(&slot->gen, (atomic_load_explicit(&slot->gen, memory_order_relaxed) | 1u) + 1u,
                          memory_order_release);
    atomic_store_explicit(&slot->plugin, NULL, memory_order_relaxed);
    atomic_store_explicit(&slot->file, NULL, memory_order_relaxed);
    atomic_store_explicit(&slot->callback, NULL, memory_order_relaxed);
}

const ppo_call_t *ppo_call_mine(void)
{
    return tls_call;
}

ppo_call_t *ppo_call_slots(unsigned *n)
{
    *n = atomic_load_explicit(&call_slots_used, memory_order_acquire);
    return call_slots;
}

const ppo_plugin_t *ppo_plugin_current(void)
{
    const ppo_call_t *slot = tls_call;
    return slot != NULL && (atomic_load_explicit(&slot->gen, memory_order_relaxed) & 1u)
               ? atomic_load_explicit(&slot->plugin, memory_order_relaxed)
               : NULL;
}

