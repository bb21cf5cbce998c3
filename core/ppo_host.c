/* ppofw core — the host services handed to plugins: logging, error reporting, aligned memory.
 *
 * A plugin reports why a callback failed with host->error(); the message is kept per thread and
 * taken by the core right after the callback returns on that same thread, so a worker thread's
 * error travels to the main thread with the chunk result that failed. Also here: the
 * thread-local "current plugin" that the crash handler names.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_plugin_private.h"

static _Thread_local GString *tls_error;
static _Thread_local const ppo_plugin_t *tls_current;
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
}

char *ppo_host_take_error(void)
{
    if (tls_error == NULL)
        return NULL;
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

const ppo_plugin_t *ppo_plugin_current(void)
{
    return tls_current;
}

void ppo_plugin_set_current(const ppo_plugin_t *plugin)
{
    tls_current = plugin;
}
