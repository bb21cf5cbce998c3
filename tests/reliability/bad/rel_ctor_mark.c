/* ppofw reliability fixture "rel_ctor_mark" — a plugin file that proves when it was loaded.
 *
 * Its constructor appends a line to the file named by the environment variable REL_CTOR_MARK (if
 * set) the moment any process dlopens it, before anything of ppofw checks it: a test that must
 * load no code from a path a checkpoint names checks the file stays absent. Otherwise it is the
 * walk env of tests/fixtures/fx_walk.h. It lives in tests/reliability/bad/, in no search path.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fixtures/fx_walk.h"

__attribute__((constructor)) static void rel_ctor_mark_init(void)
{
    const char *mark = getenv("REL_CTOR_MARK");
    if (mark == NULL)
        return;
    const int fd = open(mark, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        const char line[] = "rel_ctor_mark was loaded\n";
        ssize_t ignored = write(fd, line, strlen(line));
        (void)ignored;
        close(fd);
    }
}

static const ppo_env_vtable_t rel_vtable = {
    .struct_size = sizeof(ppo_env_vtable_t),
    .max_episode_steps = 50,
    .create = fx_walk_create,
    .destroy = fx_walk_destroy,
    .spaces = fx_walk_spaces,
    .reset = fx_walk_reset,
    .step = fx_walk_step,
};

PPO_PLUGIN_DEFINE(PPO_KIND_ENV, "rel_ctor_mark", "1.0.0",
                  "reliability fixture: its constructor records that it was loaded", NULL, 0,
                  &rel_vtable)
