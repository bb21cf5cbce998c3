/* ppofw core — finds, checks and opens plugin shared objects.
 *
 * Order of checks for one file: stat (exists, regular, readable) → ELF header and program headers
 * read with plain read() (so a truncated file is refused instead of SIGBUS-ing inside dlopen) →
 * dlopen(RTLD_NOW | RTLD_LOCAL) (undefined symbols fail here, not mid-training) → the single
 * entry symbol → descriptor (ABI, sizes, kind, name, callbacks, schema). Every refusal names the
 * file and what would fix it. Plugins are never dlclose'd.
 */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ppo_file_private.h"
#include "ppo_params_private.h"
#include "ppo_plugin_private.h"
#include "ppo_trust_private.h"

struct ppo_search {
    GPtrArray *dirs;    /* char * */
    GPtrArray *origins; /* const char * (static strings) */
};

static GMutex registry_lock;
static GHashTable *registry; /* real path -> ppo_plugin_t * */

const char *ppo_kind_name(ppo_kind_t kind)
{
    switch (kind) {
    case PPO_KIND_ENV:
        return "env";
    case PPO_KIND_POLICY:
        return "policy";
    case PPO_KIND_ADVANTAGE:
        return "advantage";
    case PPO_KIND_OPTIMIZER:
        return "optimizer";
    case PPO_KIND_COMM:
        return "comm";
    default:
        return "unknown";
    }
}

/* ---- search path ---- */

static void search_add(ppo_search_t *s, const char *dir, const char *origin)
{
    if (dir == NULL || *dir == '\0')
        return;
    g_ptr_array_add(s->dirs, g_strdup(dir));
    g_ptr_array_add(s->origins, (gpointer)origin);
}

/* true when the running program lives in this build tree (an uninstalled ppofw or a test) */
static bool running_uninstalled(void)
{
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe == NULL)
        return false;
    char *prefix = g_strconcat(PPO_ABS_BUILDDIR, "/", NULL);
    bool inside = g_str_has_prefix(exe, prefix);
    g_free(prefix);
    g_free(exe);
    return inside;
}

ppo_search_t *ppo_search_new(const char *const *extra_dirs)
{
    ppo_search_t *s = g_new0(ppo_search_t, 1);
    s->dirs = g_ptr_array_new_with_free_func(g_free);
    s->origins = g_ptr_array_new();
    for (const char *const *d = extra_dirs; d != NULL && *d != NULL; d++)
        search_add(s, *d, "--plugin-path");
    const char *env = g_getenv("PPOFW_PLUGIN_PATH");
    if (env != NULL) {
        char **parts = g_strsplit(env, ":", -1);
        for (char **p = parts; *p != NULL; p++)
            search_add(s, *p, "PPOFW_PLUGIN_PATH");
        g_strfreev(parts);
    }
    if (running_uninstalled()) {
        static const char *const build_dirs[] = {
            "plugins/envs/.libs", "plugins/policies/.libs", "plugins/advantage/.libs",
            "plugins/optimizers/.libs", "plugins/comm/.libs", NULL};
        for (const char *const *d = build_dirs; *d != NULL; d++) {
            char *dir = g_build_filename(PPO_ABS_BUILDDIR, *d, NULL);
            search_add(s, dir, "build tree");
            g_free(dir);
        }
    }
    search_add(s, PPO_PKGLIBDIR "/plugins", "installed");
    return s;
}

void ppo_search_free(ppo_search_t *search)
{
    if (search == NULL)
        return;
    g_ptr_array_free(search->dirs, TRUE);
    g_ptr_array_free(search->origins, TRUE);
    g_free(search);
}

guint ppo_search_len(const ppo_search_t *search)
{
    return search->dirs->len;
}

const char *ppo_search_dir(const ppo_search_t *search, guint i, const char **origin)
{
    if (origin != NULL)
        *origin = g_ptr_array_index(search->origins, i);
    return g_ptr_array_index(search->dirs, i);
}

/* ---- file checks ---- */

static bool read_at(int fd, void *buf, size_t len, off_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t got = pread(fd, (char *)buf + done, len - done, off + (off_t)done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        done += (size_t)got;
    }
    return true;
}

/* The ELF class and machine of this process, read from its own executable. */
static bool host_elf(unsigned char *cls, uint16_t *machine)
{
    static unsigned char c;
    static uint16_t m;
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        Elf64_Ehdr eh;
        if (fd >= 0 && read_at(fd, &eh, sizeof(eh), 0)) {
            c = eh.e_ident[EI_CLASS];
            m = eh.e_machine;
        }
        if (fd >= 0)
            close(fd);
        g_once_init_leave(&done, 1);
    }
    *cls = c;
    *machine = m;
    return c != 0;
}

/* Refuse what dlopen would choke or crash on. */
static bool check_elf(const char *path, GError **error)
{
    bool ok = false;
    const char *why = NULL;
    char *why_alloc = NULL;
    /* O_NONBLOCK: a FIFO named like a plugin must not block the open */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "%s: cannot open the plugin: %s%s", path,
                    g_strerror(errno),
                    errno == EACCES ? " (make the file readable: chmod a+r)" : "");
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        why_alloc = g_strdup_printf("cannot stat: %s", g_strerror(errno));
        goto out_close;
    }
    if (S_ISDIR(st.st_mode)) {
        why = "is a directory, not a plugin file; name the .so inside it";
        goto out_close;
    }
    if (!S_ISREG(st.st_mode)) {
        why_alloc = g_strdup_printf("is %s, not a plugin file (a regular .so)",
                                    ppo_file_kind(st.st_mode));
        goto out_close;
    }
    const uint64_t size = (uint64_t)st.st_size;
    Elf64_Ehdr eh;
    unsigned char magic[SELFMAG];
    if (size >= SELFMAG && (!read_at(fd, magic, SELFMAG, 0) || memcmp(magic, ELFMAG, SELFMAG) != 0)) {
        why = "is not an ELF shared object (a plugin is a .so built with PPO_PLUGIN_DEFINE)";
        goto out_close;
    }
    if (size < sizeof(eh) || !read_at(fd, &eh, sizeof(eh), 0)) {
        why_alloc = g_strdup_printf("is %ju bytes, too short to be a shared object (truncated? "
                                    "rebuild or reinstall the plugin)",
                                    (uintmax_t)size);
        goto out_close;
    }
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        why = "is not an ELF shared object (a plugin is a .so built with PPO_PLUGIN_DEFINE)";
        goto out_close;
    }
    unsigned char cls;
    uint16_t machine;
    if (host_elf(&cls, &machine) && (eh.e_ident[EI_CLASS] != cls || eh.e_machine != machine)) {
        why_alloc = g_strdup_printf("was built for another architecture (ELF class %u, machine %u; "
                                    "this ppofw is class %u, machine %u); rebuild it here",
                                    eh.e_ident[EI_CLASS], eh.e_machine, cls, machine);
        goto out_close;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64) {
        why = "is not a 64-bit ELF object";
        goto out_close;
    }
    if (eh.e_type != ET_DYN) {
        why = "is an ELF file but not a shared object (link it with -shared)";
        goto out_close;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
        eh.e_phoff > size || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff) {
        why = "is truncated or damaged (its program headers lie outside the file); rebuild or "
              "reinstall the plugin";
        goto out_close;
    }
    if (eh.e_shoff != 0 &&
        (eh.e_shoff > size || (uint64_t)eh.e_shnum * eh.e_shentsize > size - eh.e_shoff)) {
        why = "is truncated (its section table lies outside the file); rebuild or reinstall the "
              "plugin";
        goto out_close;
    }
    for (uint16_t i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (!read_at(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph)))) {
            why = "cannot read its program headers (truncated?)";
            goto out_close;
        }
        if (ph.p_type == PT_LOAD && (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)) {
            why_alloc = g_strdup_printf(
                "is truncated: a segment needs %ju bytes, the file has %ju; rebuild or reinstall "
                "the plugin",
                (uintmax_t)(ph.p_offset + ph.p_filesz), (uintmax_t)size);
            goto out_close;
        }
    }
    ok = true;
out_close:
    close(fd);
    if (!ok)
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "%s: %s", path,
                    why_alloc != NULL ? why_alloc : why);
    g_free(why_alloc);
    return ok;
}

/* ---- descriptor checks ---- */

#define REQUIRE(vt, field)                                                                       \
    do {                                                                                         \
        if ((vt).field == NULL)                                                                  \
            g_ptr_array_add(missing, (gpointer) #field);                                         \
    } while (0)

/* Copy the plugin's vtable into `dst` (host size), zero-filling what the plugin's struct_size
 * does not cover. */
static bool copy_vtable(void *dst, size_t host_size, const void *src, const char *path,
                        const char *kind, GError **error)
{
    memset(dst, 0, host_size);
    if (src == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: the descriptor has no %s vtable; pass one to PPO_PLUGIN_DEFINE", path,
                    kind);
        return false;
    }
    uint32_t size;
    memcpy(&size, src, sizeof(size));
    /* every field of ABI 1.0 must be there; the fields of 1.0 end 8 pointers before the end of
     * each vtable (1.1's optimizer step_range and policy parts took reserved slots) */
    if (size < host_size - 8 * sizeof(void *) || size > (1u << 16)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: the %s vtable's struct_size is %u, expected at least %zu; set "
                    ".struct_size = sizeof(ppo_%s_vtable_t) and rebuild",
                    path, kind, size, host_size - 8 * sizeof(void *), kind);
        return false;
    }
    memcpy(dst, src, MIN((size_t)size, host_size));
    return true;
}

/* Copy a table that starts with its struct_size into `dst` (host size), zero-filling what the
 * plugin's struct_size does not cover; the plugin's must cover at least `min_size`. */
static bool copy_table(void *dst, size_t host_size, const void *src, size_t min_size,
                       const char *path, const char *what, const char *type, GError **error)
{
    memset(dst, 0, host_size);
    uint32_t size;
    memcpy(&size, src, sizeof(size));
    if (size < min_size || size > (1u << 16)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: the %s's struct_size is %u, expected at least %zu; set .struct_size = "
                    "sizeof(%s) and rebuild",
                    path, what, size, min_size, type);
        return false;
    }
    memcpy(dst, src, MIN((size_t)size, host_size));
    return true;
}

static bool check_callbacks(ppo_plugin_t *p, GError **error)
{
    GPtrArray *missing = g_ptr_array_new();
    switch (p->kind) {
    case PPO_KIND_ENV:
        REQUIRE(p->vt.env, create);
        REQUIRE(p->vt.env, destroy);
        REQUIRE(p->vt.env, spaces);
        REQUIRE(p->vt.env, reset);
        REQUIRE(p->vt.env, step);
        if ((p->vt.env.state_size != NULL) != (p->vt.env.get_state != NULL) ||
            (p->vt.env.get_state != NULL) != (p->vt.env.set_state != NULL))
            g_ptr_array_add(missing, "state_size/get_state/set_state (all three or none)");
        if ((p->vt.env.render_size != NULL) != (p->vt.env.render_rgb != NULL))
            g_ptr_array_add(missing, "render_size/render_rgb (both or none)");
        break;
    case PPO_KIND_POLICY:
        REQUIRE(p->vt.policy, create);
        REQUIRE(p->vt.policy, destroy);
        REQUIRE(p->vt.policy, segments);
        REQUIRE(p->vt.policy, dist_size);
        REQUIRE(p->vt.policy, bind);
        REQUIRE(p->vt.policy, ws_create);
        REQUIRE(p->vt.policy, ws_destroy);
        if (p->vt.policy.recurrent == NULL) {
            REQUIRE(p->vt.policy, act);
            REQUIRE(p->vt.policy, value);
            REQUIRE(p->vt.policy, evaluate);
            REQUIRE(p->vt.policy, backward);
        } else {
            /* the plain callbacks are needed only by instances that report no state; the
             * session checks that when it creates one */
            const ppo_recurrent_vtable_t *r = p->vt.policy.recurrent;
            if (r->state_size == NULL)
                g_ptr_array_add(missing, "recurrent->state_size");
            if (r->act == NULL)
                g_ptr_array_add(missing, "recurrent->act");
            if (r->value == NULL)
                g_ptr_array_add(missing, "recurrent->value");
            if (r->evaluate == NULL)
                g_ptr_array_add(missing, "recurrent->evaluate");
            if (r->backward == NULL)
                g_ptr_array_add(missing, "recurrent->backward");
        }
        if ((p->vt.policy.state_size != NULL) != (p->vt.policy.get_state != NULL) ||
            (p->vt.policy.get_state != NULL) != (p->vt.policy.set_state != NULL))
            g_ptr_array_add(missing, "state_size/get_state/set_state (all three or none)");
        if ((p->vt.policy.segment_part != NULL) != (p->vt.policy.evaluate_part != NULL) ||
            (p->vt.policy.evaluate_part != NULL) != (p->vt.policy.backward_part != NULL))
            g_ptr_array_add(missing,
                            "segment_part/evaluate_part/backward_part (all three or none)");
        break;
    case PPO_KIND_ADVANTAGE:
        REQUIRE(p->vt.advantage, create);
        REQUIRE(p->vt.advantage, destroy);
        REQUIRE(p->vt.advantage, estimate);
        break;
    case PPO_KIND_OPTIMIZER:
        REQUIRE(p->vt.optimizer, create);
        REQUIRE(p->vt.optimizer, destroy);
        REQUIRE(p->vt.optimizer, state_floats_per_param);
        REQUIRE(p->vt.optimizer, step);
        break;
    default:
        break;
    }
    bool ok = missing->len == 0;
    if (!ok) {
        g_ptr_array_add(missing, NULL);
        char *list = g_strjoinv(", ", (char **)missing->pdata);
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: %s plugin \"%s\" lacks required callback%s: %s; set %s in its vtable",
                    p->path, ppo_kind_name(p->kind), p->name, missing->len > 2 ? "s" : "", list,
                    missing->len > 2 ? "them" : "it");
        g_free(list);
    }
    g_ptr_array_free(missing, TRUE);
    return ok;
}

static char *file_stem(const char *path)
{
    char *base = g_path_get_basename(path);
    if (g_str_has_suffix(base, ".so"))
        base[strlen(base) - 3] = '\0';
    return base;
}

/* Check the descriptor and fill `p` from it. */
static bool check_descriptor(ppo_plugin_t *p, const ppo_plugin_desc_t *d, GError **error)
{
    const char *path = p->path;
    if (d == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: ppo_plugin_entry() returned NULL; it must return the descriptor "
                    "written by PPO_PLUGIN_DEFINE",
                    path);
        return false;
    }
    if (d->abi_major != PPO_ABI_MAJOR) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: built for plugin ABI %u.%u, this ppofw provides %u.%u; rebuild it "
                    "against ppofw %s",
                    path, d->abi_major, d->abi_minor, PPO_ABI_MAJOR, PPO_ABI_MINOR,
                    PPO_VERSION_STRING);
        return false;
    }
    if (d->abi_minor > PPO_ABI_MINOR) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: built for plugin ABI %u.%u, this ppofw provides %u.%u; rebuild it "
                    "against ppofw %s or upgrade ppofw",
                    path, d->abi_major, d->abi_minor, PPO_ABI_MAJOR, PPO_ABI_MINOR,
                    PPO_VERSION_STRING);
        return false;
    }
    const size_t min_desc = offsetof(ppo_plugin_desc_t, reserved);
    if (d->struct_size < min_desc) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: descriptor struct_size %u is smaller than ABI %u.0's %zu; define it "
                    "with PPO_PLUGIN_DEFINE",
                    path, d->struct_size, PPO_ABI_MAJOR, min_desc);
        return false;
    }
    if (d->kind < PPO_KIND_ENV || d->kind > PPO_KIND_COMM) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: unknown plugin kind %u (expected PPO_KIND_ENV, PPO_KIND_POLICY, "
                    "PPO_KIND_ADVANTAGE or PPO_KIND_OPTIMIZER)",
                    path, (unsigned)d->kind);
        return false;
    }
    if (d->name == NULL || d->version == NULL || d->description == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: the descriptor needs a name, a version and a description", path);
        return false;
    }
    char *stem = file_stem(path);
    bool same = strcmp(stem, d->name) == 0;
    if (!same) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: the plugin calls itself \"%s\" but the file is named \"%s.so\"; rename "
                    "the file to %s.so (a plugin's name is its file name)",
                    path, d->name, stem, d->name);
    }
    g_free(stem);
    if (!same)
        return false;

    p->name = d->name;
    p->version = d->version;
    p->description = d->description;
    p->kind = d->kind;
    p->abi_major = d->abi_major;
    p->abi_minor = d->abi_minor;
    p->raw_vtable = d->vtable.any;
    bool ok = true;
    switch (p->kind) {
    case PPO_KIND_ENV:
        ok = copy_vtable(&p->vt.env, sizeof(p->vt.env), d->vtable.any, path, "env", error);
        if (ok && p->abi_minor < 2) {
            /* slots that were reserved (NULL) before 1.2 */
            p->vt.env.render_size = NULL;
            p->vt.env.render_rgb = NULL;
        }
        break;
    case PPO_KIND_POLICY:
        ok = copy_vtable(&p->vt.policy, sizeof(p->vt.policy), d->vtable.any, path, "policy",
                         error);
        if (ok && p->abi_minor < 2) {
            /* slots that were reserved (NULL) before 1.2 */
            p->vt.policy.recurrent = NULL;
            p->vt.policy.forward_flops = NULL;
        }
        if (ok && p->vt.policy.recurrent != NULL) {
            /* the recurrent table grows on its own: keep a host-sized copy */
            ok = copy_table(&p->recurrent, sizeof(p->recurrent), p->vt.policy.recurrent,
                            offsetof(ppo_recurrent_vtable_t, reserved), path,
                            "recurrent vtable", "ppo_recurrent_vtable_t", error);
            p->vt.policy.recurrent = ok ? &p->recurrent : NULL;
        }
        break;
    case PPO_KIND_ADVANTAGE:
        ok = copy_vtable(&p->vt.advantage, sizeof(p->vt.advantage), d->vtable.any, path,
                         "advantage", error);
        break;
    case PPO_KIND_OPTIMIZER:
        ok = copy_vtable(&p->vt.optimizer, sizeof(p->vt.optimizer), d->vtable.any, path,
                         "optimizer", error);
        break;
    case PPO_KIND_COMM:
        /* the comm backend's table is private to the core; it is checked where it is used */
        break;
    }
    if (!ok || !check_callbacks(p, error))
        return false;
    char *owner = g_strdup_printf("%s", path);
    ok = ppo_schema_check(d->params, d->n_params, owner, &p->specs, error);
    g_free(owner);
    if (!ok)
        return false;
    p->n_specs = d->n_params;
    if (p->kind == PPO_KIND_OPTIMIZER) {
        bool has_lr = false;
        for (uint32_t i = 0; i < p->n_specs; i++)
            has_lr |= strcmp(p->specs[i].name, "lr") == 0 && p->specs[i].type == PPO_PARAM_DOUBLE;
        if (!has_lr) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                        "%s: an optimizer must declare a double parameter \"lr\" (the core's "
                        "schedule scales it)",
                        path);
            return false;
        }
    }
    return true;
}

/* ---- opening ---- */

/* The ppofw program, the tests and libppofw-check carry the core statically, and the plugins they
 * load link the shared libppofw, which the dynamic linker must then find. Load this build's own
 * libppofw once, before the first plugin (the build tree's for an uninstalled program, else the
 * installed one): a plugin's need for it is then met by the loaded copy (the linker matches the
 * soname first), whatever the plugin's run path and whether or not ldconfig knows the prefix.
 * Where neither file exists (a staged install), the linker's usual search applies. */
static void preload_libppofw(void)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        char *path = running_uninstalled()
                         ? g_build_filename(PPO_ABS_BUILDDIR, ".libs", PPO_LIBPPOFW_SONAME, NULL)
                         : g_build_filename(PPO_LIBDIR, PPO_LIBPPOFW_SONAME, NULL);
        /* kept loaded for the life of the process, as plugins are */
        if (dlopen(path, RTLD_NOW | RTLD_LOCAL) == NULL)
            dlerror();
        g_free(path);
        g_once_init_leave(&done, 1);
    }
}

ppo_plugin_t *ppo_plugin_load_file(const char *path, GError **error)
{
    char *real = realpath(path, NULL);
    if (real == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "%s: %s%s", path, g_strerror(errno),
                    errno == ENOENT ? " (check the path, or name the plugin without a path)"
                                    : "");
        return NULL;
    }
    g_mutex_lock(&registry_lock);
    if (registry == NULL)
        registry = g_hash_table_new(g_str_hash, g_str_equal);
    ppo_plugin_t *p = g_hash_table_lookup(registry, real);
    if (p != NULL) {
        g_mutex_unlock(&registry_lock);
        free(real);
        return p;
    }

    p = NULL;
    if (!check_elf(real, error))
        goto out_unlock;
    preload_libppofw();
    /* its constructors run now: a crash in them is reported with the file's name */
    ppo_plugin_enter_file(real, "its constructors (run by dlopen)");
    void *handle = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    ppo_plugin_leave();
    if (handle == NULL) {
        const char *why = dlerror();
        const bool lib = why != NULL && strstr(why, "libppofw") != NULL;
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "%s: cannot load: %s (%s)", real,
                    why != NULL ? why : "unknown dlopen error",
                    lib ? "ppofw's shared library is not where the dynamic linker looks: run "
                          "ldconfig after installing, or put its directory (pkg-config "
                          "--variable=libdir ppofw) on LD_LIBRARY_PATH"
                        : "an undefined symbol means the plugin needs a library or a newer "
                          "ppofw; rebuild it against this one");
        goto out_unlock;
    }
    dlerror();
    ppo_plugin_entry_fn entry;
    void *sym = dlsym(handle, PPO_PLUGIN_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof(entry));
    if (sym == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: not a ppofw plugin: it does not export %s(); define it with "
                    "PPO_PLUGIN_DEFINE",
                    real, PPO_PLUGIN_ENTRY_SYMBOL);
        /* nothing of it ran yet: safe to unload */
        dlclose(handle);
        goto out_unlock;
    }
    ppo_plugin_t *candidate = g_new0(ppo_plugin_t, 1);
    candidate->path = g_strdup(real);
    candidate->handle = handle;
    ppo_plugin_enter_file(real, "ppo_plugin_entry()");
    const ppo_plugin_desc_t *desc = entry();
    ppo_plugin_leave();
    if (!check_descriptor(candidate, desc, error)) {
        g_free(candidate->specs);
        g_free(candidate->path);
        g_free(candidate);
        goto out_unlock;
    }
    ppo_host_init(&candidate->host, candidate->name);
    g_hash_table_insert(registry, candidate->path, candidate);
    p = candidate;
out_unlock:
    g_mutex_unlock(&registry_lock);
    free(real);
    return p;
}

static bool is_path_spec(const char *spec)
{
    return strchr(spec, '/') != NULL || g_str_has_suffix(spec, ".so");
}

bool ppo_plugin_spec_is_path(const char *spec)
{
    return is_path_spec(spec);
}

static bool name_ok(const char *name)
{
    if (*name == '\0' || strlen(name) > 128)
        return false;
    for (const char *c = name; *c != '\0'; c++)
        if (!(g_ascii_isalnum(*c) || *c == '_' || *c == '-'))
            return false;
    return true;
}

/* Names of all NAME.so files in the search path, for "did you mean". */
static GPtrArray *known_names(const ppo_search_t *search)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < search->dirs->len; i++) {
        GDir *dir = g_dir_open(g_ptr_array_index(search->dirs, i), 0, NULL);
        if (dir == NULL)
            continue;
        const char *f;
        while ((f = g_dir_read_name(dir)) != NULL)
            if (g_str_has_suffix(f, ".so"))
                g_ptr_array_add(names, g_strndup(f, strlen(f) - 3));
        g_dir_close(dir);
    }
    return names;
}

char *ppo_plugin_find(const ppo_search_t *search, const char *spec, const char *base_dir)
{
    if (is_path_spec(spec))
        return g_path_is_absolute(spec) || base_dir == NULL ? g_strdup(spec)
                                                            : g_build_filename(base_dir, spec,
                                                                               NULL);
    if (!name_ok(spec))
        return NULL;
    char *file = g_strconcat(spec, ".so", NULL);
    char *found = NULL;
    for (guint i = 0; found == NULL && i < search->dirs->len; i++) {
        char *candidate = g_build_filename(g_ptr_array_index(search->dirs, i), file, NULL);
        if (g_file_test(candidate, G_FILE_TEST_EXISTS))
            found = candidate;
        else
            g_free(candidate);
    }
    g_free(file);
    return found;
}

/* True when `dir` (a real path) is a directory of the search path. */
static bool in_search(const ppo_search_t *search, const char *dir)
{
    for (guint i = 0; i < search->dirs->len; i++) {
        char *real = realpath(g_ptr_array_index(search->dirs, i), NULL);
        const bool same = real != NULL && strcmp(real, dir) == 0;
        free(real);
        if (same)
            return true;
    }
    return false;
}

ppo_plugin_t *ppo_plugin_load_recorded(const ppo_search_t *search, const char *spec,
                                       const char *recorded, const char *source,
                                       GError **error)
{
    /* the name: the spec, or the stem of a path the untrusted pipeline gives */
    char *name = is_path_spec(spec) ? file_stem(spec) : g_strdup(spec);
    /* the file the source names: its pipeline's path, else its record, if of this plugin */
    if (is_path_spec(spec)) {
        recorded = spec;
    } else if (recorded != NULL) {
        char *stem = file_stem(recorded);
        if (strcmp(stem, name) != 0)
            recorded = NULL;
        g_free(stem);
    }
    ppo_plugin_t *p = NULL;
    if (!name_ok(name)) {
        char *shown = g_strescape(spec, NULL);
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s names the plugin \"%.200s\", which is not a plugin name (letters, "
                    "digits, '_' and '-'); it is damaged or crafted",
                    source, shown);
        g_free(shown);
        goto out;
    }
    /* the file the run used, when the user vouched for its directory */
    char *real = recorded != NULL && g_path_is_absolute(recorded) ? realpath(recorded, NULL)
                                                                 : NULL;
    char *dir = real != NULL ? g_path_get_dirname(real) : NULL;
    char *stem = real != NULL ? file_stem(real) : NULL;
    const bool vouched = dir != NULL && strcmp(stem, name) == 0 &&
                         (in_search(search, dir) || ppo_trust_dir_listed(dir));
    if (vouched) {
        p = ppo_plugin_load_file(real, error);
    } else {
        /* else by name, through the search path */
        char *found = ppo_plugin_find(search, name, NULL);
        if (found != NULL) {
            p = ppo_plugin_load_file(found, error);
            if (p != NULL && recorded != NULL && real != NULL && strcmp(p->path, real) != 0)
                ppo_log(PPO_LOG_INFO,
                        "%s used plugin \"%s\" from %s; using %s, found by name in the "
                        "plugin search path",
                        source, name, recorded, p->path);
        } else if (recorded != NULL) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                        "%s: its plugin \"%s\" was loaded from %.1000s, which is not in the "
                        "plugin search path and which you have not vouched for; ppofw loads no "
                        "code from a path only a checkpoint or a run directory names — if you "
                        "trust that file, pass --plugin-path %.1000s",
                        source, name, recorded,
                        dir != NULL ? dir : "DIR (the directory that holds it)");
        } else {
            p = ppo_plugin_load(search, name, NULL, error);
        }
        g_free(found);
    }
    g_free(stem);
    g_free(dir);
    free(real);
out:
    g_free(name);
    return p;
}

ppo_plugin_t *ppo_plugin_load(const ppo_search_t *search, const char *spec, const char *base_dir,
                              GError **error)
{
    if (is_path_spec(spec)) {
        char *path = g_path_is_absolute(spec) || base_dir == NULL
                         ? g_strdup(spec)
                         : g_build_filename(base_dir, spec, NULL);
        ppo_plugin_t *p = ppo_plugin_load_file(path, error);
        g_free(path);
        return p;
    }
    if (!name_ok(spec)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "\"%s\" is not a plugin name (letters, digits, '_' and '-'); give a name "
                    "like cartpole or a path to a .so",
                    spec);
        return NULL;
    }
    char *file = g_strconcat(spec, ".so", NULL);
    for (guint i = 0; i < search->dirs->len; i++) {
        char *candidate = g_build_filename(g_ptr_array_index(search->dirs, i), file, NULL);
        if (g_file_test(candidate, G_FILE_TEST_EXISTS)) {
            ppo_plugin_t *p = ppo_plugin_load_file(candidate, error);
            g_free(candidate);
            g_free(file);
            return p;
        }
        g_free(candidate);
    }
    g_free(file);

    /* not found: say everywhere we looked */
    GString *where = g_string_new(NULL);
    for (guint i = 0; i < search->dirs->len; i++)
        g_string_append_printf(where, "%s%s (%s)", i > 0 ? ", " : "",
                               (const char *)g_ptr_array_index(search->dirs, i),
                               (const char *)g_ptr_array_index(search->origins, i));
    if (g_getenv("PPOFW_PLUGIN_PATH") == NULL)
        g_string_append(where, "; PPOFW_PLUGIN_PATH is unset");
    GPtrArray *names = known_names(search);
    g_ptr_array_add(names, NULL);
    const char *near = ppo_nearest_word(spec, (const char *const *)names->pdata);
    g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                "no plugin named \"%s\" (%s.so) in %s%s%s%s", spec, spec, where->str,
                near != NULL ? "; did you mean \"" : "", near != NULL ? near : "",
                near != NULL ? "\"?" : "; see `ppofw plugins` for the installed ones");
    g_ptr_array_free(names, TRUE);
    g_string_free(where, TRUE);
    return NULL;
}

/* g_ptr_array_sort passes pointers to the elements */
static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *ppo_plugin_list(const ppo_search_t *search, GPtrArray **failures)
{
    return ppo_plugin_list_probed(search, NULL, failures);
}

GPtrArray *ppo_plugin_list_probed(const ppo_search_t *search, ppo_plugin_probe_fn probe,
                                  GPtrArray **failures)
{
    GPtrArray *out = g_ptr_array_new();
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (failures != NULL)
        *failures = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < search->dirs->len; i++) {
        const char *dirname = g_ptr_array_index(search->dirs, i);
        GDir *dir = g_dir_open(dirname, 0, NULL);
        if (dir == NULL)
            continue;
        GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
        const char *f;
        while ((f = g_dir_read_name(dir)) != NULL)
            if (g_str_has_suffix(f, ".so"))
                g_ptr_array_add(files, g_strdup(f));
        g_dir_close(dir);
        g_ptr_array_sort(files, compare_strings);
        for (guint k = 0; k < files->len; k++) {
            const char *name = g_ptr_array_index(files, k);
            if (g_hash_table_contains(seen, name))
                continue;
            g_hash_table_add(seen, g_strdup(name));
            char *path = g_build_filename(dirname, name, NULL);
            GError *err = NULL;
            char *why = NULL;
            /* a file that crashes or hangs when probed is never loaded here */
            ppo_plugin_t *p = NULL;
            if (probe != NULL && !probe(path, &why))
                g_set_error(&err, PPO_ERROR, PPO_ERROR_PLUGIN, "%s: %s", path, why);
            else
                p = ppo_plugin_load_file(path, &err);
            g_free(why);
            if (p != NULL && p->kind != PPO_KIND_COMM)
                g_ptr_array_add(out, p);
            else if (p == NULL && failures != NULL)
                g_ptr_array_add(*failures, g_strdup(err->message));
            g_clear_error(&err);
            g_free(path);
        }
        g_ptr_array_free(files, TRUE);
    }
    g_hash_table_destroy(seen);
    return out;
}

bool ppo_plugin_require_kind(const ppo_plugin_t *plugin, ppo_kind_t kind, ppo_mark_t mark,
                             const char *key, GError **error)
{
    if (plugin->kind == kind)
        return true;
    char *at = ppo_mark_format(mark);
    g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                "%s: %s: \"%s\" (%s) is %s %s plugin, expected %s %s plugin; name one of that "
                "kind (see `ppofw plugins`)",
                at, key,
                plugin->name, plugin->path,
                plugin->kind == PPO_KIND_ENV || plugin->kind == PPO_KIND_ADVANTAGE ||
                        plugin->kind == PPO_KIND_OPTIMIZER
                    ? "an"
                    : "a",
                ppo_kind_name(plugin->kind),
                kind == PPO_KIND_ENV || kind == PPO_KIND_ADVANTAGE || kind == PPO_KIND_OPTIMIZER
                    ? "an"
                    : "a",
                ppo_kind_name(kind));
    g_free(at);
    return false;
}
