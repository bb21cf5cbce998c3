/* ppofw core — the per-user list of vouched-for plugin directories (see ppo_trust_private.h).
 * Leaves out how plugins are found and loaded (ppo_loader.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppo_file_private.h"
#include "ppo_plugin_private.h"
#include "ppo_trust_private.h"

#define LIST_MAX (1u << 20)

char *ppo_trust_list_path(void)
{
    return g_build_filename(g_get_user_config_dir(), "ppofw", "trusted-plugin-dirs", NULL);
}

/* The listed directories. (transfer full) */
static char **read_list(void)
{
    char *path = ppo_trust_list_path();
    char *text = NULL;
    GError *error = NULL;
    char **lines = NULL;
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        if (ppo_file_read(AT_FDCWD, path, path, "trusted-directory list", 0, LIST_MAX,
                          PPO_ERROR_IO, &text, NULL, &error)) {
            lines = g_strsplit(text, "\n", -1);
        } else {
            ppo_log(PPO_LOG_WARNING, "%s", error->message);
            g_error_free(error);
        }
    }
    g_free(text);
    g_free(path);
    return lines != NULL ? lines : g_new0(char *, 1);
}

bool ppo_trust_dir_listed(const char *dir)
{
    char **lines = read_list();
    bool found = false;
    for (char **l = lines; !found && *l != NULL; l++) {
        char *line = g_strstrip(*l);
        if (*line != '#' && *line != '\0' && strcmp(line, dir) == 0)
            found = true;
    }
    g_strfreev(lines);
    return found;
}

void ppo_trust_record(const char *plugin_file)
{
    char *real = realpath(plugin_file, NULL);
    if (real == NULL)
        return;
    char *dir = g_path_get_dirname(real);
    free(real);
    if (ppo_trust_dir_listed(dir) || strchr(dir, '\n') != NULL) {
        g_free(dir);
        return;
    }
    char *path = ppo_trust_list_path();
    char *parent = g_path_get_dirname(path);
    const bool fresh = !g_file_test(path, G_FILE_TEST_EXISTS);
    GString *text = g_string_new(NULL);
    if (fresh)
        g_string_append(text, "# plugin directories ppofw may load from when a checkpoint or a "
                              "run directory names a file in them\n# (written by `ppofw run` "
                              "for plugins your own pipeline or flags loaded)\n");
    g_string_append_printf(text, "%s\n", dir);
    int fd = -1;
    if (g_mkdir_with_parents(parent, 0700) != 0 ||
        (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
        write(fd, text->str, text->len) != (ssize_t)text->len)
        ppo_log(PPO_LOG_WARNING,
                "%s: cannot record %s as a trusted plugin directory: %s (eval, export and "
                "resume of this run will need --plugin-path %s)",
                path, dir, g_strerror(errno), dir);
    if (fd >= 0)
        close(fd);
    g_string_free(text, TRUE);
    g_free(parent);
    g_free(path);
    g_free(dir);
}
