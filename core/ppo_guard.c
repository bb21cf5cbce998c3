/* ppofw core — rows with guard pages and canaries (see ppo_guard_private.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ppo_guard_private.h"
#include "ppo_plugin_private.h"
#include "ppo_signal_private.h"

#define CANARY_BYTE 0xA5

bool ppo_guard_row_init(ppo_guard_row_t *g, size_t bytes, const char *what, GError **error)
{
    memset(g, 0, sizeof(*g));
    g->guard[0] = g->guard[1] = -1;
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    /* the row ends PPO_GUARD_CANARY (or up to 3 more) bytes before the upper guard page */
    const size_t middle = bytes + 2 * PPO_GUARD_CANARY + 4;
    const size_t middle_pages = (middle + page - 1) / page;
    g->map_len = (middle_pages + 2) * page;
    void *map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "cannot map a guarded buffer of %zu "
                    "bytes: %s", bytes, g_strerror(errno));
        g->map_len = 0;
        return false;
    }
    g->map = map;
    uint8_t *upper = g->map + (middle_pages + 1) * page;
    if (mprotect(g->map, page, PROT_NONE) != 0 || mprotect(upper, page, PROT_NONE) != 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "cannot protect a guard page: %s",
                    g_strerror(errno));
        ppo_guard_row_clear(g);
        return false;
    }
    g->bytes = bytes;
    g->hi = upper;
    g->row = (uint8_t *)((uintptr_t)(upper - PPO_GUARD_CANARY - bytes) & ~(uintptr_t)3);
    g->lo = MAX(g->map + page, g->row - PPO_GUARD_CANARY);
    g->what = g_strdup(what);
    g->guard[0] = ppo_guard_add(g->map, page, g->what);
    g->guard[1] = ppo_guard_add(upper, page, g->what);
    ppo_guard_row_arm(g);
    return true;
}

void ppo_guard_row_clear(ppo_guard_row_t *g)
{
    if (g->map == NULL)
        return;
    for (int k = 0; k < 2; k++)
        ppo_guard_remove(g->guard[k]);
    if (g->map != NULL)
        munmap(g->map, g->map_len);
    g_free(g->what);
    memset(g, 0, sizeof(*g));
    g->guard[0] = g->guard[1] = -1;
}

void ppo_guard_row_arm(ppo_guard_row_t *g)
{
    memset(g->lo, CANARY_BYTE, (size_t)(g->row - g->lo));
    memset(g->row + g->bytes, CANARY_BYTE, (size_t)(g->hi - (g->row + g->bytes)));
}

long ppo_guard_row_check(const ppo_guard_row_t *g)
{
    /* the farthest change past the end first: that is the overrun's extent */
    for (const uint8_t *p = g->hi; p-- > g->row + g->bytes;)
        if (*p != CANARY_BYTE)
            return (long)(p - (g->row + g->bytes)) + 1;
    for (const uint8_t *p = g->lo; p < g->row; p++)
        if (*p != CANARY_BYTE)
            return -(long)(g->row - p);
    return 0;
}

/* After the call: canaries intact (they were filled when the row was made, and a damaged one
 * ends the run), or the callback fails saying how far it wrote. */
static int after_call(const ppo_plugin_t *env, const char *callback, void *obs_out,
                      size_t row_bytes, const ppo_guard_row_t *g, int rc)
{
    const long off = ppo_guard_row_check(g);
    if (off != 0) {
        env->host.error(&env->host,
                        "%s wrote %ld bytes %s its observation row of %zu bytes (the core's "
                        "guard caught it); an env writes exactly its observation's elements",
                        callback, off > 0 ? off : -off, off > 0 ? "past the end of" : "before",
                        row_bytes);
        return -1;
    }
    if (rc == 0)
        memcpy(obs_out, g->row, row_bytes);
    return rc;
}

int ppo_env_call_reset(const ppo_plugin_t *env, void *inst, ppo_rng_t *rng, void *obs_out,
                       size_t row_bytes, ppo_guard_row_t *g)
{
    const bool guarded = g != NULL && g->row != NULL && g->bytes >= row_bytes;
    float *out = guarded ? (float *)(void *)g->row : (float *)obs_out;
    ppo_plugin_enter(env, "reset");
    const int rc = env->vt.env.reset(inst, rng, out);
    ppo_plugin_leave();
    return guarded ? after_call(env, "reset", obs_out, row_bytes, g, rc) : rc;
}

int ppo_env_call_step(const ppo_plugin_t *env, void *inst, const float *action, ppo_rng_t *rng,
                      void *obs_out, size_t row_bytes, ppo_guard_row_t *g, double *reward,
                      int *terminated)
{
    const bool guarded = g != NULL && g->row != NULL && g->bytes >= row_bytes;
    float *out = guarded ? (float *)(void *)g->row : (float *)obs_out;
    ppo_plugin_enter(env, "step");
    const int rc = env->vt.env.step(inst, action, rng, out, reward, terminated);
    ppo_plugin_leave();
    return guarded ? after_call(env, "step", obs_out, row_bytes, g, rc) : rc;
}
