/* ppofw core — check-policy's export battery: what export_c writes for the checker's parameters
 * is compiled with the system's C compiler and its actions compared with the plugin's
 * deterministic act (core/ppo_export_verify.c), once without and once with observation
 * normalization (random means and variances, clipping at 5), so the file's own normalization is
 * checked as well.
 *
 * Items: "export-c" (export_c succeeds, the file compiles as C99 on its own and follows
 * PPO_EXPORT_CONTRACT; warnings of -Wall -Wextra are a WARN; no compiler is a skip, never a
 * pass) and "export-actions" (the same actions on every observation, naming the first that
 * differs).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ppo_check_policy_private.h"
#include "ppo_export_verify_private.h"

/* export_c of the bound parameters with `norm` into a temporary file (transfer full: the path,
 * which the caller unlinks), or NULL after a failed item. */
static char *write_export(pol_ctx_t *c, const ppo_obs_norm_t *norm)
{
    char *path = NULL;
    GError *error = NULL;
    const int fd = g_file_open_tmp("ppofw-export-XXXXXX.c", &path, &error);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (out == NULL) {
        pol_add(c, PPO_CHECK_FAIL, "export-c", "cannot make a temporary file: %s",
                error != NULL ? error->message : g_strerror(errno));
        g_clear_error(&error);
        if (path != NULL)
            g_unlink(path);
        g_free(path);
        return NULL;
    }
    ppo_plugin_enter(c->p, "export_c");
    int rc = c->vt->export_c(c->inst, c->theta, norm, out);
    ppo_plugin_leave();
    const long len = ftell(out);
    const bool closed = fclose(out) == 0;
    if (rc != 0 || !closed || len <= 0) {
        char *why = rc != 0 ? pol_take_reason(rc) : NULL;
        pol_add(c, PPO_CHECK_FAIL, "export-c", "%s%s%s",
                rc != 0   ? "export_c failed: "
                : !closed ? "writing the exported file failed"
                          : "export_c returned 0 but wrote nothing",
                why != NULL ? why : "", norm->enabled ? " (with observation normalization)" : "");
        g_free(why);
        g_unlink(path);
        g_free(path);
        return NULL;
    }
    return path;
}

void pol_check_export(pol_ctx_t *c)
{
    if (c->vt->export_c == NULL) {
        pol_add(c, PPO_CHECK_SKIP, "export-c", "the policy offers no export_c");
        return;
    }
    if (c->p->abi_minor < 2 && c->obs_u8) {
        pol_add(c, PPO_CHECK_SKIP, "export-c",
                "built for plugin ABI 1.%u: its export_c knows only float observations (ppofw "
                "export refuses such a policy trained on uint8 observations)",
                c->p->abi_minor);
        return;
    }
    const uint32_t D = c->D;
    double *mean = g_new(double, D), *var = g_new(double, D);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, c->opt->seed, "check-norm", 0);
    for (uint32_t i = 0; i < D; i++) {
        mean[i] = c->obs_u8 ? ppo_rng_uniform_range(&rng, 0.2, 0.8)
                            : ppo_rng_uniform_range(&rng, -1.0, 1.0);
        var[i] = ppo_rng_uniform_range(&rng, 0.05, 4.0);
    }
    char *details[2] = {NULL, NULL};
    bool warned = false, done = false;
    for (int with_norm = 0; with_norm < 2 && !done; with_norm++) {
        const ppo_obs_norm_t norm = {
            .struct_size = sizeof(norm),
            .enabled = (uint32_t)with_norm,
            .dim = D,
            .mean = mean,
            .var = var,
            .epsilon = 1e-8,
            .clip = 5.0,
        };
        char *path = write_export(c, &norm);
        if (path == NULL)
            break;
        const ppo_export_target_t t = {
            .plugin = c->p,
            .inst = c->inst,
            .obs_space = &c->obs_space,
            .act_space = &c->act_space,
            .state_size = c->S,
            .n_envs = c->n_envs,
            .norm = &norm,
            .cc = c->opt->cc,
            .seed = c->opt->seed,
        };
        char *detail = NULL;
        const ppo_export_status_t st = ppo_export_verify(&t, path, NULL, &detail);
        const char *when = with_norm ? " (with observation normalization)" : "";
        switch (st) {
        case PPO_EXPORT_OK:
        case PPO_EXPORT_WARNINGS:
            warned |= st == PPO_EXPORT_WARNINGS;
            details[with_norm] = detail;
            detail = NULL;
            break;
        case PPO_EXPORT_NO_COMPILER:
            pol_add(c, PPO_CHECK_SKIP, "export-c", "%s", detail);
            done = true;
            break;
        case PPO_EXPORT_NOT_C:
        case PPO_EXPORT_CONTRACT:
        case PPO_EXPORT_ERROR:
            pol_add(c, PPO_CHECK_FAIL, "export-c", "%s%s", detail, when);
            done = true;
            break;
        case PPO_EXPORT_MISMATCH:
            pol_add(c, PPO_CHECK_OK, "export-c",
                    "export_c writes C99 that compiles and follows PPO_EXPORT_CONTRACT");
            pol_add(c, PPO_CHECK_FAIL, "export-actions", "%s%s", detail, when);
            done = true;
            break;
        }
        g_free(detail);
        g_unlink(path);
        g_free(path);
    }
    if (details[0] != NULL && details[1] != NULL) {
        pol_add(c, warned ? PPO_CHECK_WARN : PPO_CHECK_OK, "export-c",
                "export_c writes C99 that compiles on its own and follows PPO_EXPORT_CONTRACT%s",
                warned ? " (with warnings, below)" : "");
        pol_add(c, PPO_CHECK_OK, "export-actions",
                "the compiled file against act, without normalization on %s; with it on %s",
                details[0], details[1]);
    }
    g_free(details[0]);
    g_free(details[1]);
    g_free(mean);
    g_free(var);
}
