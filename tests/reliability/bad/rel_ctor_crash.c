/* ppofw reliability fixture "rel_ctor_crash" — a plugin file whose constructor crashes.
 *
 * Any process that dlopens it dies with SIGSEGV before ppo_plugin_entry is ever called, as a
 * plugin built against a missing library or with a broken static initializer would. It lives in
 * a directory of its own (tests/reliability/bad/) so that only the tests that want it find it.
 */
#include <stdint.h>

#include "../../fixtures/fx_walk.h"

__attribute__((constructor)) static void rel_ctor_crash_init(void)
{
    /* an address in the never-mapped first page */
    volatile int *volatile nowhere = (volatile int *)(uintptr_t)64;
    *nowhere = 1;
}

static const ppo_env_vtable_t rel_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .create = fx_walk_create,
    .destroy = fx_walk_destroy,
    .spaces = fx_walk_spaces,
    .reset = fx_walk_reset,
    .step = fx_walk_step,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "rel_ctor_crash", "1.0.0",
                  "reliability fixture: its constructor crashes", NULL, 0, &rel_vtable)
