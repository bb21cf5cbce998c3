/* ppofw core — writing, verifying and restoring checkpoints (format in
 * ppo_checkpoint_private.h and docs/file-formats.md).
 *
 * Leaves out when to checkpoint (the run loop) and file naming beyond RUN_DIR/checkpoints.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ppo_checkpoint_private.h"
#include "ppo_collect_private.h"
#include "ppo_crc32c_private.h"
#include "ppo_file_private.h"
#include "ppo_rundir_private.h"

#define BOM 0x01020304u

struct ppo_ckpt {
    char *path;
    guint8 *data;        /* the whole file */
    gsize size;
    GHashTable *sections; /* tag string -> GBytes-like (offset, length) packed in a section_t */
    GHashTable *info;     /* key -> value */
    char *pipeline;       /* PIPE, NUL-terminated */
};

typedef struct {
    const guint8 *data;
    uint64_t len;
} section_t;

/* ---- writing ---- */

static void put_bytes(GByteArray *b, const void *p, size_t n)
{
    g_byte_array_append(b, p, (guint)n);
}

static void put_u32(GByteArray *b, uint32_t v)
{
    put_bytes(b, &v, sizeof(v));
}

static void put_u64(GByteArray *b, uint64_t v)
{
    put_bytes(b, &v, sizeof(v));
}

static void put_f64(GByteArray *b, double v)
{
    put_bytes(b, &v, sizeof(v));
}

static void put_rng(GByteArray *b, const ppo_rng_t *r)
{
    for (int i = 0; i < 4; i++)
        put_u64(b, r->s[i]);
    put_f64(b, r->spare_normal);
    put_u32(b, r->has_spare);
}

/* Start a section: returns where its length goes. */
static guint begin_section(GByteArray *b, const char tag[4])
{
    put_bytes(b, tag, 4);
    guint at = b->len;
    put_u64(b, 0);
    return at;
}

static void end_section(GByteArray *b, guint at)
{
    uint64_t len = b->len - at - sizeof(uint64_t);
    memcpy(b->data + at, &len, sizeof(len));
}

static void info_add(GString *s, const char *key, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void info_add(GString *s, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_printf(s, "%s=", key);
    g_string_append_vprintf(s, fmt, ap);
    g_string_append_c(s, '\n');
    va_end(ap);
}

static void info_plugin(GString *s, const char *kind, const ppo_plugin_t *p,
                        const ppo_params_t *params)
{
    char key[64];
    g_snprintf(key, sizeof(key), "%s.name", kind);
    info_add(s, key, "%s", p->name);
    g_snprintf(key, sizeof(key), "%s.version", kind);
    info_add(s, key, "%s", p->version);
    g_snprintf(key, sizeof(key), "%s.params_hash", kind);
    info_add(s, key, "%016" G_GINT64_MODIFIER "x", ppo_params_hash(params));
    /* where it was loaded from: a hint for eval, export and resume, never a path to load from
     * unless the user vouched for its directory (ppo_trust_private.h) */
    g_snprintf(key, sizeof(key), "%s.file", kind);
    info_add(s, key, "%s", p->path);
}

static void put_rms(GByteArray *b, const ppo_rms_t *rms)
{
    put_u32(b, rms->dim);
    put_f64(b, rms->count);
    put_bytes(b, rms->mean, rms->dim * sizeof(double));
    put_bytes(b, rms->var, rms->dim * sizeof(double));
}

#define RANK_PARTS 6

/* This rank's share of the checkpoint, as RANK_PARTS byte arrays: the policy's own state (u64 n,
 * n doubles), the streams (shuffler, then each env's reset and sampler streams), the env
 * records, the current observation rows (as stored), the recurrent states (u32 S, then per env
 * S floats and its episode-start flag), the per-env normalizer statistics (u32 n, then n pairs
 * of observation and return statistics; n = 0 unless normalize.mode is gymnasium). */
static void rank_parts(const ppo_trainer_t *tr, GByteArray **out)
{
    const ppo_model_t *m = tr->model;
    for (int k = 0; k < RANK_PARTS; k++)
        out[k] = g_byte_array_new();
    const ppo_policy_vtable_t *pvt = &m->plugin->vt.policy;
    uint64_t n = pvt->state_size != NULL ? pvt->state_size(m->inst) : 0;
    double *st = g_new0(double, MAX(n, 1));
    if (n > 0 && pvt->get_state(m->inst, st) != 0)
        n = 0;
    put_u64(out[0], n);
    put_bytes(out[0], st, n * sizeof(double));
    g_free(st);

    put_rng(out[1], &tr->shuffle_rng);
    for (uint32_t i = 0; i < tr->N; i++) {
        put_rng(out[1], &tr->slots[i].env_rng);
        put_rng(out[1], &tr->slots[i].act_rng);
    }

    const ppo_env_vtable_t *evt = &tr->session->env->vt.env;
    for (uint32_t i = 0; i < tr->N; i++) {
        const ppo_env_slot_t *sl = &tr->slots[i];
        put_u32(out[2], sl->ep_len);
        put_f64(out[2], sl->ep_return);
        put_f64(out[2], sl->ret_acc);
        uint64_t k = evt->state_size != NULL ? evt->state_size(sl->inst) : 0;
        double *es = g_new0(double, MAX(k, 1));
        if (k > 0 && evt->get_state(sl->inst, es) != 0)
            k = 0;
        put_u64(out[2], k);
        put_bytes(out[2], es, k * sizeof(double));
        g_free(es);
    }

    put_bytes(out[3], tr->ro.obs, (size_t)tr->N * tr->store_rb);

    put_u32(out[4], tr->S);
    for (uint32_t i = 0; i < tr->N && tr->S > 0; i++) {
        put_bytes(out[4], tr->rstate + (size_t)i * tr->S, (size_t)tr->S * sizeof(float));
        const guint8 flag = tr->slots[i].ep_start;
        put_bytes(out[4], &flag, 1);
    }

    put_u32(out[5], tr->env_obs_rms != NULL ? tr->N : 0);
    for (uint32_t i = 0; tr->env_obs_rms != NULL && i < tr->N; i++) {
        put_rms(out[5], &tr->env_obs_rms[i]);
        put_rms(out[5], &tr->env_ret_rms[i]);
    }
}

/* Every rank's parts, on every rank: (world * RANK_PARTS) arrays, rank-major. Collective. */
static GByteArray **gather_parts(const ppo_trainer_t *tr)
{
    GByteArray *mine[RANK_PARTS];
    rank_parts(tr, mine);
    GByteArray **all = g_new0(GByteArray *, (size_t)tr->world * RANK_PARTS);
    if (tr->world == 1) {
        for (int k = 0; k < RANK_PARTS; k++)
            all[k] = mine[k];
        return all;
    }
    /* sizes first, then one block per rank padded to the largest */
    uint64_t sizes[RANK_PARTS], total = 0;
    for (int k = 0; k < RANK_PARTS; k++)
        total += sizes[k] = mine[k]->len;
    uint64_t *all_sizes = g_new0(uint64_t, (size_t)tr->world * RANK_PARTS);
    ppo_comm_allgather(tr->comm, sizes, all_sizes, sizeof(sizes));
    uint64_t block = 0;
    for (uint32_t r = 0; r < tr->world; r++) {
        uint64_t t = 0;
        for (int k = 0; k < RANK_PARTS; k++)
            t += all_sizes[r * RANK_PARTS + k];
        block = MAX(block, t);
    }
    guint8 *send = g_malloc0(block), *recv = g_malloc0(block * tr->world);
    uint64_t at = 0;
    for (int k = 0; k < RANK_PARTS; k++) {
        memcpy(send + at, mine[k]->data, mine[k]->len);
        at += mine[k]->len;
        g_byte_array_free(mine[k], TRUE);
    }
    ppo_comm_allgather(tr->comm, send, recv, block);
    for (uint32_t r = 0; r < tr->world; r++) {
        at = 0;
        for (int k = 0; k < RANK_PARTS; k++) {
            const uint64_t len = all_sizes[r * RANK_PARTS + k];
            all[r * RANK_PARTS + k] = g_byte_array_sized_new((guint)len);
            g_byte_array_append(all[r * RANK_PARTS + k], recv + (size_t)r * block + at,
                                (guint)len);
            at += len;
        }
    }
    g_free(send);
    g_free(recv);
    g_free(all_sizes);
    (void)total;
    return all;
}

static GByteArray *serialize(const ppo_trainer_t *tr, const ppo_ckpt_files_t *files,
                             GByteArray **parts)
{
    const ppo_session_t *ss = tr->session;
    const ppo_model_t *m = tr->model;
    GByteArray *b = g_byte_array_sized_new((guint)(m->n_params * 4 * (2 + m->state_floats) +
                                                   (size_t)tr->N * tr->store_rb + 65536));
    put_bytes(b, PPO_CKPT_MAGIC, 8);
    put_u32(b, PPO_CKPT_FORMAT);
    put_u32(b, BOM);
    put_u32(b, PPO_ABI_MAJOR);
    put_u32(b, PPO_ABI_MINOR);

    /* INFO: readable key=value lines */
    GString *info = g_string_new(NULL);
    info_add(info, "ppofw_version", "%s", PPO_VERSION_STRING);
    info_plugin(info, "env", ss->env, ss->env_params);
    info_plugin(info, "policy", ss->policy, ss->policy_params);
    info_plugin(info, "advantage", ss->advantage, ss->advantage_params);
    info_plugin(info, "optimizer", ss->optimizer, ss->optimizer_params);
    info_add(info, "n_params", "%zu", m->n_params);
    info_add(info, "state_floats", "%u", m->state_floats);
    info_add(info, "num_envs", "%u", tr->N);
    info_add(info, "world", "%u", tr->world);
    info_add(info, "obs_dim", "%u", tr->D);
    info_add(info, "obs_dtype", "%s", tr->obs_dtype == PPO_DTYPE_UINT8 ? "uint8" : "float32");
    info_add(info, "obs_storage", "%s", tr->store_u8 ? "uint8" : "float32");
    info_add(info, "recurrent_state", "%u", tr->S);
    info_add(info, "act_dim", "%u", tr->A);
    info_add(info, "dist_size", "%u", tr->P);
    info_add(info, "rollout_steps", "%u", tr->T);
    info_add(info, "normalize_obs", "%d", tr->pl->normalize.obs ? 1 : 0);
    info_add(info, "clip_obs", "%a", tr->pl->normalize.clip_obs);
    info_add(info, "norm_epsilon", "%a", tr->pl->normalize.epsilon);
    info_add(info, "global_step", "%" G_GUINT64_FORMAT, tr->global_step);
    info_add(info, "iteration", "%" G_GUINT64_FORMAT, tr->iteration);
    info_add(info, "episodes", "%" G_GUINT64_FORMAT, tr->episodes);
    info_add(info, "opt_steps", "%" G_GUINT64_FORMAT, tr->opt_steps);
    info_add(info, "n_updates", "%" G_GUINT64_FORMAT, tr->n_updates);
    info_add(info, "skipped_updates", "%" G_GUINT64_FORMAT, tr->skipped_updates);
    info_add(info, "total_steps", "%" G_GUINT64_FORMAT, tr->pl->ppo.total_steps);
    info_add(info, "kl_beta", "%a", tr->kl_beta);
    info_add(info, "best_eval", "%a", tr->best_eval);
    info_add(info, "last_eval_step", "%" G_GUINT64_FORMAT, tr->last_eval_step);
    const double elapsed =
        tr->t_start != 0 ? (double)(g_get_monotonic_time() - tr->t_start) / 1e6 : 0.0;
    info_add(info, "time_s", "%a", tr->time_offset + elapsed);
    info_add(info, "metrics_offset", "%" G_GUINT64_FORMAT, files->metrics_offset);
    info_add(info, "episodes_offset", "%" G_GUINT64_FORMAT, files->episodes_offset);
    info_add(info, "tboard_offset", "%" G_GUINT64_FORMAT, files->tboard_offset);
    info_add(info, "tboard_file", "%s", files->tboard_name != NULL ? files->tboard_name : "");
    /* what resume proves before it cuts the run's files */
    if (files->run_id != NULL)
        info_add(info, "run_id", "%s", files->run_id);
    info_add(info, "metrics_rows", "%" G_GUINT64_FORMAT, files->metrics_rows);
    if (files->metrics_digest != NULL)
        info_add(info, "metrics_digest", "%s", files->metrics_digest);
    info_add(info, "episodes_rows", "%" G_GUINT64_FORMAT, files->episodes_rows);
    if (files->episodes_digest != NULL)
        info_add(info, "episodes_digest", "%s", files->episodes_digest);
    if (files->tboard_digest != NULL)
        info_add(info, "tboard_digest", "%s", files->tboard_digest);
    guint at = begin_section(b, "INFO");
    put_bytes(b, info->str, info->len);
    end_section(b, at);
    g_string_free(info, TRUE);

    char *yaml = ppo_session_resolved_yaml(ss);
    at = begin_section(b, "PIPE");
    put_bytes(b, yaml, strlen(yaml));
    end_section(b, at);
    g_free(yaml);

    at = begin_section(b, "PARM");
    put_bytes(b, m->params, m->n_params * sizeof(float));
    end_section(b, at);
    at = begin_section(b, "OPTS");
    if (m->opt_state != NULL)
        put_bytes(b, m->opt_state, m->n_params * m->state_floats * sizeof(float));
    end_section(b, at);

    /* the statistics evaluation and export use (global env 0's when they are per env) */
    at = begin_section(b, "NORM");
    put_rms(b, ppo_trainer_obs_stats(tr));
    put_rms(b, ppo_trainer_ret_stats(tr));
    end_section(b, at);

    /* what each rank holds alone, gathered from every rank in rank order */
    for (int part = 0; part < RANK_PARTS; part++) {
        static const char tags[RANK_PARTS][5] = {"PSTA", "RNGS", "ENVS", "OBSV", "RSTA",
                                                 "ENRM"};
        at = begin_section(b, tags[part]);
        if (part == 1)
            put_u32(b, tr->world);
        for (uint32_t r = 0; r < tr->world; r++)
            put_bytes(b, parts[r * RANK_PARTS + part]->data, parts[r * RANK_PARTS + part]->len);
        if (part == 1) {
            /* the evaluation streams (evaluation runs on rank 0) */
            const uint32_t n_eval = tr->eval != NULL ? ppo_evaluator_n_envs(tr->eval) : 0;
            put_u32(b, n_eval);
            for (uint32_t i = 0; i < 2 * n_eval; i++)
                put_rng(b, &ppo_evaluator_rngs(tr->eval)[i]);
        }
        end_section(b, at);
    }

    at = begin_section(b, "WIND");
    put_u32(b, tr->win_count);
    put_u32(b, tr->win_next);
    put_bytes(b, tr->win_return, sizeof(tr->win_return));
    put_bytes(b, tr->win_len, sizeof(tr->win_len));
    end_section(b, at);

    put_u32(b, ppo_crc32c_update(0, b->data, b->len));
    return b;
}

bool ppo_checkpoint_write_at(const ppo_trainer_t *tr, const ppo_ckpt_files_t *files,
                             int dir_fd, const char *path, GError **error)
{
    /* every rank contributes its envs and streams; rank 0 alone writes */
    GByteArray **parts = gather_parts(tr);
    bool ok = true;
    if (tr->rank == 0) {
        GByteArray *b = serialize(tr, files, parts);
        char *name = dir_fd == AT_FDCWD ? g_strdup(path) : g_path_get_basename(path);
        ok = ppo_file_replace_at(dir_fd, name, path, "a checkpoint", b->data, b->len,
                                 " (the previous checkpoint is intact)", error);
        g_free(name);
        g_byte_array_free(b, TRUE);
    }
    for (uint32_t k = 0; k < tr->world * RANK_PARTS; k++)
        g_byte_array_free(parts[k], TRUE);
    g_free(parts);
    if (tr->world > 1) {
        double failed = ok ? 0.0 : 1.0;
        ppo_comm_allreduce_f64(tr->comm, &failed, 1);
        if (failed > 0.0 && ok) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                        "%s: rank 0 could not write the checkpoint (its message says why)", path);
            ok = false;
        }
    }
    return ok;
}

bool ppo_checkpoint_write(const ppo_trainer_t *tr, const ppo_ckpt_files_t *files,
                          const char *path, GError **error)
{
    return ppo_checkpoint_write_at(tr, files, AT_FDCWD, path, error);
}

/* ---- reading ---- */

void ppo_checkpoint_free(ppo_ckpt_t *c)
{
    if (c == NULL)
        return;
    if (c->sections != NULL)
        g_hash_table_destroy(c->sections);
    if (c->info != NULL)
        g_hash_table_destroy(c->info);
    g_free(c->pipeline);
    g_free(c->data);
    g_free(c->path);
    g_free(c);
}

static bool corrupt(GError **error, const char *path, const char *why)
{
    g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                "%s: %s; the file is damaged or not a ppofw checkpoint — resume from another "
                "checkpoint in the same directory",
                path, why);
    return false;
}

static bool check_info(const ppo_ckpt_t *c, GError **error);

ppo_ckpt_t *ppo_checkpoint_read(const char *path, GError **error)
{
    ppo_ckpt_t *c = g_new0(ppo_ckpt_t, 1);
    c->path = g_strdup(path);
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: is a directory; give a .ckpt file (or a run directory to --resume)",
                    path);
        goto fail;
    }
    /* a regular file no larger than memory: never a FIFO, a device or /dev/zero */
    if (!ppo_file_read(AT_FDCWD, path, path, "checkpoint", 0, ppo_memory_limit() / 2,
                       PPO_ERROR_CHECKPOINT, (char **)&c->data, &c->size, error))
        goto fail;
    const gsize head = 8 + 4 * 4;
    if (c->size < head + 4) {
        corrupt(error, path, "too short to be a checkpoint (truncated?)");
        goto fail;
    }
    if (memcmp(c->data, PPO_CKPT_MAGIC, 8) != 0) {
        corrupt(error, path, "does not start with the checkpoint magic");
        goto fail;
    }
    uint32_t format, bom, abi_major, abi_minor, crc;
    memcpy(&format, c->data + 8, 4);
    memcpy(&bom, c->data + 12, 4);
    memcpy(&abi_major, c->data + 16, 4);
    memcpy(&abi_minor, c->data + 20, 4);
    memcpy(&crc, c->data + c->size - 4, 4);
    if (bom != BOM) {
        corrupt(error, path, "was written on a machine of the other byte order");
        goto fail;
    }
    if (format > PPO_CKPT_FORMAT) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: checkpoint format %u is newer than this ppofw reads (%u); upgrade ppofw "
                    "to %s or later to use it",
                    path, format, PPO_CKPT_FORMAT, "the version that wrote it");
        goto fail;
    }
    if (ppo_crc32c_update(0, c->data, c->size - 4) != crc) {
        corrupt(error, path, "its checksum does not match (truncated or modified)");
        goto fail;
    }
    c->sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    gsize at = head;
    while (at < c->size - 4) {
        uint64_t len;
        if (c->size - 4 - at < 12) {
            corrupt(error, path, "a section header runs past the end");
            goto fail;
        }
        char tag[5] = {0};
        memcpy(tag, c->data + at, 4);
        memcpy(&len, c->data + at + 4, 8);
        at += 12;
        if (len > c->size - 4 - at) {
            corrupt(error, path, "a section runs past the end");
            goto fail;
        }
        section_t *s = g_new(section_t, 1);
        s->data = c->data + at;
        s->len = len;
        g_hash_table_replace(c->sections, g_strdup(tag), s);
        at += len;
    }
    static const char *const required[] = {"INFO", "PIPE", "PARM", "OPTS", "PSTA", "NORM",
                                           "RNGS", "ENVS", "OBSV", "WIND", NULL};
    for (const char *const *r = required; *r != NULL; r++) {
        if (!g_hash_table_contains(c->sections, *r)) {
            char *why = g_strdup_printf("the %s section is missing", *r);
            corrupt(error, path, why);
            g_free(why);
            goto fail;
        }
    }
    const section_t *info = g_hash_table_lookup(c->sections, "INFO");
    if (memchr(info->data, '\0', info->len) != NULL) {
        corrupt(error, path, "the INFO section holds a NUL byte");
        goto fail;
    }
    c->info = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char *text = g_strndup((const char *)info->data, info->len);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        char *eq = strchr(*l, '=');
        if (eq != NULL)
            g_hash_table_replace(c->info, g_strndup(*l, (gsize)(eq - *l)), g_strdup(eq + 1));
    }
    g_strfreev(lines);
    g_free(text);
    const section_t *pipe = g_hash_table_lookup(c->sections, "PIPE");
    if (memchr(pipe->data, '\0', pipe->len) != NULL) {
        corrupt(error, path, "the PIPE section holds a NUL byte");
        goto fail;
    }
    c->pipeline = g_strndup((const char *)pipe->data, pipe->len);
    if (!check_info(c, error))
        goto fail;
    return c;
fail:
    ppo_checkpoint_free(c);
    return NULL;
}

const char *ppo_checkpoint_pipeline(const ppo_ckpt_t *c)
{
    return c->pipeline;
}

const char *ppo_checkpoint_info(const ppo_ckpt_t *c, const char *key)
{
    return g_hash_table_lookup(c->info, key);
}

void ppo_checkpoint_plugin_files(const ppo_ckpt_t *c, const char *files[4])
{
    static const char *const keys[4] = {"env.file", "policy.file", "advantage.file",
                                        "optimizer.file"};
    for (int k = 0; k < 4; k++)
        files[k] = ppo_checkpoint_info(c, keys[k]);
}

static uint64_t info_u64(const ppo_ckpt_t *c, const char *key)
{
    const char *v = ppo_checkpoint_info(c, key);
    return v != NULL ? g_ascii_strtoull(v, NULL, 10) : 0;
}

static double info_f64(const ppo_ckpt_t *c, const char *key)
{
    const char *v = ppo_checkpoint_info(c, key);
    return v != NULL ? g_ascii_strtod(v, NULL) : NAN;
}

/* ---- what a checkpoint says, checked before anything uses it ---- */

static bool is_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (; *s != '\0'; s++)
        if (!g_ascii_isxdigit(*s))
            return false;
    return true;
}

static bool is_plugin_name(const char *s)
{
    if (*s == '\0' || strlen(s) > 128)
        return false;
    for (; *s != '\0'; s++)
        if (!(g_ascii_isalnum(*s) || *s == '_' || *s == '-'))
            return false;
    return true;
}

/* The INFO values that name files and plugins or hold floats, checked once at read: a file name
 * is a plain name inside the run directory, an id is hex, a float is finite where it must be. */
static bool check_info(const ppo_ckpt_t *c, GError **error)
{
    const char *tb = ppo_checkpoint_info(c, "tboard_file");
    if (tb != NULL && *tb != '\0' &&
        (!ppo_rundir_plain_name(tb) || !g_str_has_prefix(tb, "events.out.tfevents.")))
        return corrupt(error, c->path,
                       "INFO names an events file that is not a plain file name of a run's "
                       "tb/ directory (crafted?)");
    const char *id = ppo_checkpoint_info(c, "run_id");
    if (id != NULL && !is_hex(id, PPO_RUN_ID_LEN))
        return corrupt(error, c->path, "INFO holds a run_id that is not 32 hex digits");
    static const char *const digests[] = {"metrics_digest", "episodes_digest", "tboard_digest",
                                          NULL};
    for (const char *const *k = digests; *k != NULL; k++) {
        const char *d = ppo_checkpoint_info(c, *k);
        if (d != NULL && !is_hex(d, 64))
            return corrupt(error, c->path, "INFO holds a digest that is not 64 hex digits");
    }
    static const char *const kinds[] = {"env", "policy", "advantage", "optimizer", NULL};
    for (const char *const *k = kinds; *k != NULL; k++) {
        char key[32];
        g_snprintf(key, sizeof(key), "%s.name", *k);
        const char *name = ppo_checkpoint_info(c, key);
        if (name == NULL || !is_plugin_name(name))
            return corrupt(error, c->path, "INFO lacks a plugin name, or holds one that is not "
                                           "a name (letters, digits, '_' and '-')");
        g_snprintf(key, sizeof(key), "%s.file", *k);
        const char *file = ppo_checkpoint_info(c, key);
        if (file != NULL && (strlen(file) > 4096 || !g_path_is_absolute(file)))
            return corrupt(error, c->path, "INFO records a plugin file that is not an "
                                           "absolute path");
    }
    /* floats: finite, and within what they can be */
    const struct {
        const char *key;
        double min;
        bool min_exclusive;
    } floats[] = {{"kl_beta", 0.0, false},
                  {"time_s", 0.0, false},
                  {"clip_obs", 0.0, true},
                  {"norm_epsilon", 0.0, true}};
    for (size_t i = 0; i < G_N_ELEMENTS(floats); i++) {
        const double v = info_f64(c, floats[i].key);
        if (!isfinite(v) || v < floats[i].min || (floats[i].min_exclusive && v == floats[i].min)) {
            char *why = g_strdup_printf("INFO's %s is %g, not a finite number %s %g",
                                        floats[i].key, v, floats[i].min_exclusive ? ">" : ">=",
                                        floats[i].min);
            corrupt(error, c->path, why);
            g_free(why);
            return false;
        }
    }
    const double best = info_f64(c, "best_eval");
    if (isnan(best) || best == INFINITY)
        return corrupt(error, c->path, "INFO's best_eval is not a number (or +Inf)");
    return true;
}

/* The index of the first value that is not finite, or n. */
static size_t first_nonfinite_f32(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return i;
    return n;
}

static size_t first_nonfinite_f64(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return i;
    return n;
}

/* Fail unless every parameter is finite, naming the first bad one's segment. */
static bool check_params_finite(const ppo_ckpt_t *c, const ppo_model_t *m, GError **error)
{
    const size_t bad = first_nonfinite_f32(m->params, m->n_params);
    if (bad == m->n_params)
        return true;
    size_t count = 0;
    for (size_t i = bad; i < m->n_params; i++)
        count += !isfinite(m->params[i]);
    const char *segment = "?";
    size_t index = bad;
    for (uint32_t k = 0; k < m->n_segments; k++) {
        if (bad >= m->offsets[k]) {
            segment = m->segments[k].name;
            index = bad - m->offsets[k];
        }
    }
    g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                "%s: %zu of its %zu parameters are NaN or infinite (the first is element %zu of "
                "segment \"%s\"); this checkpoint was written after training diverged, or it "
                "is damaged — use an earlier checkpoint of the run",
                c->path, count, m->n_params, index, segment);
    return false;
}

/* A cursor over a section's payload. */
typedef struct {
    const guint8 *p;
    uint64_t left;
    bool short_read;
} cursor_t;

static cursor_t cursor(const ppo_ckpt_t *c, const char *tag)
{
    const section_t *s = g_hash_table_lookup(c->sections, tag);
    cursor_t cur = {s->data, s->len, false};
    return cur;
}

static void take(cursor_t *cur, void *out, size_t n)
{
    if (cur->left < n) {
        cur->short_read = true;
        memset(out, 0, n);
        return;
    }
    memcpy(out, cur->p, n);
    cur->p += n;
    cur->left -= n;
}

static uint32_t take_u32(cursor_t *cur)
{
    uint32_t v;
    take(cur, &v, sizeof(v));
    return v;
}

static uint64_t take_u64(cursor_t *cur)
{
    uint64_t v;
    take(cur, &v, sizeof(v));
    return v;
}

static double take_f64(cursor_t *cur)
{
    double v;
    take(cur, &v, sizeof(v));
    return v;
}

/* A stream xoshiro256** can run (not all zero) with a finite spare normal. */
static bool rng_sound(const ppo_rng_t *r)
{
    return (r->s[0] | r->s[1] | r->s[2] | r->s[3]) != 0 && isfinite(r->spare_normal);
}

static void take_rng(cursor_t *cur, ppo_rng_t *r)
{
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < 4; i++)
        r->s[i] = take_u64(cur);
    r->spare_normal = take_f64(cur);
    r->has_spare = take_u32(cur);
}

/* ---- fitting a checkpoint to a pipeline ---- */

/* The resolved YAML as "dotted.key|value" lines, without the keys that may differ on resume
 * (the resolved YAML is block mappings indented by two, flow for everything flat). */
static GPtrArray *comparable_lines(const char *yaml)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    char **lines = g_strsplit(yaml, "\n", -1);
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free); /* the open mappings' keys */
    GArray *indents = g_array_new(FALSE, FALSE, sizeof(size_t));
    for (char **l = lines; *l != NULL; l++) {
        const char *line = *l;
        const size_t indent = strspn(line, " ");
        const char *text = line + indent;
        if (*text == '#' || *text == '\0')
            continue;
        while (indents->len > 0 && g_array_index(indents, size_t, indents->len - 1) >= indent) {
            g_array_set_size(indents, indents->len - 1);
            g_ptr_array_remove_index(keys, keys->len - 1);
        }
        const bool item = g_str_has_prefix(text, "- ") || strcmp(text, "-") == 0;
        const size_t key_len = item ? 0 : strcspn(text, ":");
        GString *path = g_string_new(NULL);
        for (guint k = 0; k < keys->len; k++)
            g_string_append_printf(path, "%s%s", k > 0 ? "." : "",
                                   (const char *)g_ptr_array_index(keys, k));
        if (!item)
            g_string_append_printf(path, "%s%.*s", path->len > 0 ? "." : "", (int)key_len, text);
        const char *value = item ? text : text + key_len + (text[key_len] == ':' ? 1 : 0);
        char *v = g_strstrip(g_strdup(value));
        if (!item && *v == '\0') {
            /* a block mapping or list follows */
            g_ptr_array_add(keys, g_strndup(text, key_len));
            g_array_append_val(indents, indent);
        }
        /* total_steps, threads and the MPI debug check may change; plugins are compared by name
         * and version */
        const bool skip = strcmp(path->str, "ppo.total_steps") == 0 ||
                          strcmp(path->str, "ppo.threads") == 0 ||
                          g_str_has_prefix(path->str, "mpi.") || strcmp(path->str, "mpi") == 0 ||
                          g_str_has_suffix(path->str, ".plugin");
        if (!skip)
            g_ptr_array_add(out, g_strdup_printf("%s|%s", path->str, v));
        g_free(v);
        g_string_free(path, TRUE);
    }
    g_array_free(indents, TRUE);
    g_ptr_array_free(keys, TRUE);
    g_strfreev(lines);
    return out;
}

/* The dotted key of a comparable line ("ppo.epochs|4" gives "ppo.epochs") (transfer full). */
static char *line_key(const char *line)
{
    const char *bar = strchr(line, '|');
    return bar != NULL ? g_strndup(line, (gsize)(bar - line)) : NULL;
}

/* Leave out of `now` the section keys a checkpoint written before they existed does not have,
 * when this pipeline leaves them to their defaults (which keep the older behaviour). */
static void drop_new_defaults(const ppo_pipeline_t *pl, GPtrArray *ckpt, GPtrArray *now)
{
    GHashTable *known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < ckpt->len; i++) {
        char *k = line_key(g_ptr_array_index(ckpt, i));
        if (k != NULL)
            g_hash_table_add(known, k);
    }
    for (guint i = 0; i < now->len;) {
        char *k = line_key(g_ptr_array_index(now, i));
        const bool drop = k != NULL && !g_hash_table_contains(known, k) &&
                          ppo_pipeline_is_default(pl, k);
        g_free(k);
        if (drop)
            g_ptr_array_remove_index(now, i);
        else
            i++;
    }
    g_hash_table_destroy(known);
}

static bool check_fit(const ppo_trainer_t *tr, const ppo_ckpt_t *c, GError **error)
{
    const ppo_session_t *ss = tr->session;
    const char *path = c->path;
    const struct {
        const char *kind;
        const ppo_plugin_t *p;
        const ppo_params_t *params;
    } plugins[] = {{"env", ss->env, ss->env_params},
                   {"policy", ss->policy, ss->policy_params},
                   {"advantage", ss->advantage, ss->advantage_params},
                   {"optimizer", ss->optimizer, ss->optimizer_params}};
    for (size_t i = 0; i < G_N_ELEMENTS(plugins); i++) {
        char key[64];
        g_snprintf(key, sizeof(key), "%s.name", plugins[i].kind);
        const char *name = ppo_checkpoint_info(c, key);
        g_snprintf(key, sizeof(key), "%s.version", plugins[i].kind);
        const char *version = ppo_checkpoint_info(c, key);
        if (name == NULL || strcmp(name, plugins[i].p->name) != 0) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: written for %s plugin \"%s\", this pipeline uses \"%s\"; use the "
                        "pipeline the checkpoint came from or drop --resume",
                        path, plugins[i].kind, name != NULL ? name : "?", plugins[i].p->name);
            return false;
        }
        if (version == NULL || strcmp(version, plugins[i].p->version) != 0)
            ppo_log(PPO_LOG_WARNING,
                    "%s: written with %s plugin \"%s\" version %s, now version %s; results may "
                    "differ from an uninterrupted run",
                    path, plugins[i].kind, name, version != NULL ? version : "?",
                    plugins[i].p->version);
    }
    const uint64_t n_params = info_u64(c, "n_params");
    if (n_params != tr->model->n_params) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: written for policy \"%s\" with %" G_GUINT64_FORMAT " parameters, this "
                    "pipeline builds %zu; check policy.params in %s or drop --resume",
                    path, ss->policy->name, n_params, tr->model->n_params, tr->pl->path);
        return false;
    }
    if (info_u64(c, "obs_dim") != tr->D || info_u64(c, "act_dim") != tr->A) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: written for observations of %" G_GUINT64_FORMAT " and actions of %"
                    G_GUINT64_FORMAT " components, this env has %u and %u; check env.params",
                    path, info_u64(c, "obs_dim"), info_u64(c, "act_dim"), tr->D, tr->A);
        return false;
    }
    const char *dtype = ppo_checkpoint_info(c, "obs_dtype");
    const char *dtype_now = tr->obs_dtype == PPO_DTYPE_UINT8 ? "uint8" : "float32";
    if (strcmp(dtype != NULL ? dtype : "float32", dtype_now) != 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: written for %s observations, this env writes %s; check env.plugin and "
                    "env.params",
                    path, dtype, dtype_now);
        return false;
    }
    if (info_u64(c, "recurrent_state") != tr->S) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: written for a policy with %" G_GUINT64_FORMAT " floats of recurrent state "
                    "per env, policy \"%s\" has %u; check policy.params or drop --resume",
                    path, info_u64(c, "recurrent_state"), ss->policy->name, tr->S);
        return false;
    }
    if (info_u64(c, "world") != tr->world || info_u64(c, "num_envs") != tr->N) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: written by %" G_GUINT64_FORMAT " process(es) with %" G_GUINT64_FORMAT
                    " envs each; this run has %u with %u; resume with the same number of ranks "
                    "and env.num_envs",
                    path, info_u64(c, "world"), info_u64(c, "num_envs"), tr->world, tr->N);
        return false;
    }
    /* every other resolved key must be equal */
    char *now = ppo_session_resolved_yaml(ss);
    GPtrArray *a = comparable_lines(c->pipeline), *b = comparable_lines(now);
    g_free(now);
    drop_new_defaults(tr->pl, a, b);
    bool ok = true;
    for (guint i = 0; ok && i < MAX(a->len, b->len); i++) {
        const char *la = i < a->len ? g_ptr_array_index(a, i) : "(nothing)|";
        const char *lb = i < b->len ? g_ptr_array_index(b, i) : "(nothing)|";
        if (strcmp(la, lb) == 0)
            continue;
        const char *sa = strchr(la, '|'), *sb = strchr(lb, '|');
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: the checkpoint's pipeline has \"%.*s: %.200s\" where %s has \"%.*s: "
                    "%.200s\"; only ppo.total_steps may change on resume — restore the setting "
                    "(or resume with only --resume, which takes the checkpoint's pipeline)",
                    path, (int)MIN(sa - la, 200), la, sa + 1, tr->pl->path,
                    (int)MIN(sb - lb, 200), lb, sb + 1);
        ok = false;
    }
    g_ptr_array_free(a, TRUE);
    g_ptr_array_free(b, TRUE);
    return ok;
}

static bool restore_rms(cursor_t *cur, ppo_rms_t *rms)
{
    const uint32_t dim = take_u32(cur);
    if (dim != rms->dim)
        return false;
    rms->count = take_f64(cur);
    take(cur, rms->mean, dim * sizeof(double));
    take(cur, rms->var, dim * sizeof(double));
    if (cur->short_read || !isfinite(rms->count) || rms->count < 0.0 ||
        first_nonfinite_f64(rms->mean, dim) != dim || first_nonfinite_f64(rms->var, dim) != dim)
        return false;
    for (uint32_t i = 0; i < dim; i++)
        if (rms->var[i] < 0.0)
            return false;
    return true;
}

bool ppo_checkpoint_restore_model(const ppo_ckpt_t *c, ppo_model_t *model, ppo_rms_t *obs_rms,
                                  bool *obs_norm_on, GError **error)
{
    if (model != NULL) {
        if (info_u64(c, "n_params") != model->n_params) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: holds %" G_GUINT64_FORMAT " parameters, policy \"%s\" with these "
                        "params has %zu; use the pipeline stored in the checkpoint",
                        c->path, info_u64(c, "n_params"), model->plugin->name, model->n_params);
            return false;
        }
        cursor_t cur = cursor(c, "PARM");
        take(&cur, model->params, model->n_params * sizeof(float));
        if (cur.short_read)
            return corrupt(error, c->path, "the PARM section is short");
        if (!check_params_finite(c, model, error))
            return false;
    }
    if (obs_rms != NULL) {
        cursor_t cur = cursor(c, "NORM");
        if (!restore_rms(&cur, obs_rms))
            return corrupt(error, c->path, "the NORM section does not fit the observation size "
                                           "or holds statistics that are not finite");
    }
    if (obs_norm_on != NULL)
        *obs_norm_on = info_u64(c, "normalize_obs") != 0;
    return true;
}

/* This rank's per-env normalizer statistics (normalize.mode gymnasium) from ENRM. */
static bool restore_env_stats(ppo_trainer_t *tr, const ppo_ckpt_t *c, GError **error)
{
    if (!g_hash_table_contains(c->sections, "ENRM"))
        return corrupt(error, c->path, "the ENRM section (per-env normalizer statistics) is "
                                       "missing");
    cursor_t cur = cursor(c, "ENRM");
    const size_t pair = 2 * (sizeof(uint32_t) + sizeof(double)) +
                        2 * ((size_t)tr->D + 1) * sizeof(double);
    for (uint32_t r = 0; r <= tr->rank; r++) {
        if (take_u32(&cur) != tr->N || cur.short_read)
            return corrupt(error, c->path, "the ENRM section does not fit the envs");
        if (r == tr->rank)
            break;
        if (cur.left < pair * tr->N)
            return corrupt(error, c->path, "the ENRM section is short");
        cur.p += pair * tr->N;
        cur.left -= pair * tr->N;
    }
    for (uint32_t i = 0; i < tr->N; i++)
        if (!restore_rms(&cur, &tr->env_obs_rms[i]) || !restore_rms(&cur, &tr->env_ret_rms[i]))
            return corrupt(error, c->path, "the ENRM section does not fit the observation size "
                                           "or holds statistics that are not finite");
    return true;
}

/* This rank's recurrent states and episode-start flags (RSTA; absent in checkpoints of runs
 * without memory written before ABI 1.2). */
static bool restore_recurrent(ppo_trainer_t *tr, const ppo_ckpt_t *c, GError **error)
{
    if (!g_hash_table_contains(c->sections, "RSTA")) {
        if (tr->S == 0)
            return true;
        return corrupt(error, c->path, "the RSTA section (recurrent states) is missing");
    }
    cursor_t cur = cursor(c, "RSTA");
    /* a rank of a run without memory writes its S = 0 alone */
    const size_t per_env = tr->S > 0 ? (size_t)tr->S * sizeof(float) + 1 : 0;
    for (uint32_t r = 0; r < tr->world; r++) {
        const uint32_t S = take_u32(&cur);
        if (cur.short_read || S != tr->S)
            return corrupt(error, c->path, "the RSTA section does not fit the recurrent state size");
        if (cur.left < per_env * tr->N)
            return corrupt(error, c->path, "the RSTA section is short");
        if (r != tr->rank) {
            cur.p += per_env * tr->N;
            cur.left -= per_env * tr->N;
            continue;
        }
        /* a rank without memory wrote nothing per env (no flags either) */
        for (uint32_t i = 0; tr->S > 0 && i < tr->N; i++) {
            float *st = tr->rstate + (size_t)i * tr->S;
            take(&cur, st, (size_t)tr->S * sizeof(float));
            guint8 flag = 0;
            take(&cur, &flag, 1);
            if (flag > 1)
                return corrupt(error, c->path, "an episode-start flag of RSTA is not 0 or 1");
            for (uint32_t k = 0; k < tr->S; k++)
                if (!isfinite(st[k]))
                    return corrupt(error, c->path, "a recurrent state holds a NaN or Inf");
            tr->slots[i].ep_start = flag;
        }
    }
    if (cur.short_read || cur.left != 0)
        return corrupt(error, c->path, "the RSTA section does not fit the recurrent states");
    return true;
}

bool ppo_checkpoint_restore(ppo_trainer_t *tr, const ppo_ckpt_t *c, ppo_ckpt_files_t *files_out,
                            GError **error)
{
    if (!check_fit(tr, c, error))
        return false;
    ppo_model_t *m = tr->model;
    if (!ppo_checkpoint_restore_model(c, m, NULL, NULL, error))
        return false;

    cursor_t cur = cursor(c, "OPTS");
    if (cur.left != m->n_params * m->state_floats * sizeof(float))
        return corrupt(error, c->path, "the optimizer state does not fit the optimizer");
    if (m->opt_state != NULL) {
        take(&cur, m->opt_state, m->n_params * m->state_floats * sizeof(float));
        const size_t n = m->n_params * m->state_floats;
        if (first_nonfinite_f32(m->opt_state, n) != n)
            return corrupt(error, c->path, "the optimizer state holds NaN or infinite values");
    }

    /* this rank's policy state: the rank-th of the per-rank entries */
    cur = cursor(c, "PSTA");
    const ppo_policy_vtable_t *pvt = &m->plugin->vt.policy;
    for (uint32_t r = 0; r < tr->rank; r++) {
        const uint64_t skip = take_u64(&cur);
        if (skip > cur.left / sizeof(double))
            return corrupt(error, c->path, "the PSTA section is short");
        cur.p += skip * sizeof(double);
        cur.left -= skip * sizeof(double);
    }
    const uint64_t n_psta = take_u64(&cur);
    if (cur.short_read || n_psta > cur.left / sizeof(double))
        return corrupt(error, c->path, "the PSTA section is short");
    if (pvt->state_size != NULL) {
        const size_t n = pvt->state_size(m->inst);
        if (n_psta != n)
            return corrupt(error, c->path, "the policy state does not fit the policy");
        double *st = g_new0(double, MAX(n, 1));
        take(&cur, st, n * sizeof(double));
        if (first_nonfinite_f64(st, n) != n) {
            g_free(st);
            return corrupt(error, c->path, "the policy state holds NaN or infinite values");
        }
        int rc = pvt->set_state(m->inst, st);
        g_free(st);
        if (rc != 0) {
            *error = ppo_plugin_error(m->plugin, "set_state", rc);
            return false;
        }
    }

    /* per-env statistics (normalize.mode gymnasium) come from ENRM; NORM holds env 0's then */
    cur = cursor(c, "NORM");
    if (tr->env_obs_rms == NULL &&
        (!restore_rms(&cur, &tr->obs_rms) || !restore_rms(&cur, &tr->ret_rms)))
        return corrupt(error, c->path, "the NORM section does not fit the observation size or "
                                       "holds statistics that are not finite");

    if (tr->env_obs_rms != NULL && !restore_env_stats(tr, c, error))
        return false;

    /* streams: per rank (its shuffler, its envs'), then the evaluation streams */
    cur = cursor(c, "RNGS");
    if (take_u32(&cur) != tr->world)
        return corrupt(error, c->path, "the RNGS section was written by another number of ranks");
    const size_t rng_bytes = 4 * 8 + 8 + 4;
    const size_t per_rank = rng_bytes * (1 + 2 * (size_t)tr->N);
    if (cur.left < per_rank * tr->world)
        return corrupt(error, c->path, "the RNGS section is short");
    cursor_t eval_cur = cur;
    eval_cur.p += per_rank * tr->world;
    eval_cur.left -= per_rank * tr->world;
    cur.p += per_rank * tr->rank;
    cur.left -= per_rank * tr->rank;
    take_rng(&cur, &tr->shuffle_rng);
    for (uint32_t i = 0; i < tr->N; i++) {
        take_rng(&cur, &tr->slots[i].env_rng);
        take_rng(&cur, &tr->slots[i].act_rng);
    }
    const uint32_t n_eval = take_u32(&eval_cur);
    if (n_eval != (tr->eval != NULL ? ppo_evaluator_n_envs(tr->eval) : n_eval))
        return corrupt(error, c->path, "the evaluation streams do not fit the eval section");
    for (uint32_t i = 0; tr->eval != NULL && i < 2 * n_eval; i++)
        take_rng(&eval_cur, &ppo_evaluator_rngs(tr->eval)[i]);
    if (cur.short_read || eval_cur.short_read)
        return corrupt(error, c->path, "the RNGS section is short");
    if (!rng_sound(&tr->shuffle_rng))
        return corrupt(error, c->path, "the RNGS section holds a stream that cannot run");
    for (uint32_t i = 0; i < tr->N; i++)
        if (!rng_sound(&tr->slots[i].env_rng) || !rng_sound(&tr->slots[i].act_rng))
            return corrupt(error, c->path, "the RNGS section holds a stream that cannot run");

    /* env records of every rank in global env order: skip the ones before this rank's */
    cur = cursor(c, "ENVS");
    const ppo_plugin_t *envp = tr->session->env;
    bool stateless = false;
    for (uint64_t g = 0; g < (uint64_t)tr->rank * tr->N; g++) {
        take_u32(&cur);
        take_f64(&cur);
        take_f64(&cur);
        const uint64_t skip = take_u64(&cur);
        if (cur.short_read || skip > cur.left / sizeof(double))
            return corrupt(error, c->path, "the ENVS section is short");
        cur.p += skip * sizeof(double);
        cur.left -= skip * sizeof(double);
    }
    for (uint32_t i = 0; i < tr->N; i++) {
        ppo_env_slot_t *sl = &tr->slots[i];
        sl->ep_len = take_u32(&cur);
        sl->ep_return = take_f64(&cur);
        sl->ret_acc = take_f64(&cur);
        if (!isfinite(sl->ep_return) || !isfinite(sl->ret_acc))
            return corrupt(error, c->path, "the ENVS section holds a return that is not finite");
        const uint64_t n = take_u64(&cur);
        if (n > cur.left / sizeof(double))
            return corrupt(error, c->path, "the ENVS section is short");
        double *st = g_new0(double, MAX(n, 1));
        take(&cur, st, n * sizeof(double));
        if (n == 0 || envp->vt.env.set_state == NULL) {
            stateless = true;
        } else if (envp->vt.env.state_size(sl->inst) != n) {
            g_free(st);
            return corrupt(error, c->path, "an env state does not fit the env's state size");
        } else {
            ppo_plugin_enter(envp, "set_state");
            int rc = envp->vt.env.set_state(sl->inst, st, NULL);
            ppo_plugin_leave();
            if (rc != 0) {
                g_free(st);
                *error = ppo_plugin_error(envp, "set_state", rc);
                return false;
            }
        }
        g_free(st);
    }
    if (cur.short_read)
        return corrupt(error, c->path, "the ENVS section is short");

    cur = cursor(c, "OBSV");
    const size_t rows = (size_t)tr->N * tr->store_rb;
    if (cur.left != rows * tr->world)
        return corrupt(error, c->path, "the OBSV section does not fit the observation size");
    cur.p += rows * tr->rank;
    cur.left -= rows * tr->rank;
    take(&cur, tr->ro.obs, rows);
    if (!restore_recurrent(tr, c, error))
        return false;
    if (stateless) {
        /* without env states the episodes restart; the observations must match the envs */
        ppo_log(PPO_LOG_WARNING,
                "env \"%s\" has no get_state/set_state: resumed episodes restart from a reset, so "
                "the run will not be identical to an uninterrupted one",
                envp->name);
        if (!ppo_collect_reset_all(tr, false, error))
            return false;
    }

    cur = cursor(c, "WIND");
    tr->win_count = take_u32(&cur);
    tr->win_next = take_u32(&cur);
    take(&cur, tr->win_return, sizeof(tr->win_return));
    take(&cur, tr->win_len, sizeof(tr->win_len));
    if (cur.short_read || tr->win_count > PPO_EPISODE_WINDOW ||
        tr->win_next >= PPO_EPISODE_WINDOW ||
        first_nonfinite_f64(tr->win_return, PPO_EPISODE_WINDOW) != PPO_EPISODE_WINDOW)
        return corrupt(error, c->path, "the WIND section is damaged");

    tr->global_step = info_u64(c, "global_step");
    tr->iteration = info_u64(c, "iteration");
    tr->episodes = info_u64(c, "episodes");
    tr->opt_steps = info_u64(c, "opt_steps");
    /* a checkpoint from before n_updates counted epochs: every iteration ran them all unless
     * target_kl stopped one, which the old file does not say */
    tr->n_updates = ppo_checkpoint_info(c, "n_updates") != NULL
                        ? info_u64(c, "n_updates")
                        : tr->iteration * tr->pl->ppo.epochs;
    tr->skipped_updates = info_u64(c, "skipped_updates");
    tr->kl_beta = info_f64(c, "kl_beta");
    tr->best_eval = info_f64(c, "best_eval");
    tr->last_eval_step = info_u64(c, "last_eval_step");
    tr->last_ckpt_step = tr->global_step;
    tr->time_offset = info_f64(c, "time_s");
    tr->t_start = 0;
    const uint64_t old_total = info_u64(c, "total_steps");
    if (old_total != tr->pl->ppo.total_steps && tr->rank == 0)
        ppo_log(PPO_LOG_INFO,
                "resuming with ppo.total_steps %" G_GUINT64_FORMAT " instead of %" G_GUINT64_FORMAT
                ": the learning-rate and clip schedules now run to the new total",
                tr->pl->ppo.total_steps, old_total);
    if (files_out != NULL) {
        memset(files_out, 0, sizeof(*files_out));
        files_out->metrics_offset = info_u64(c, "metrics_offset");
        /* absent from checkpoints written before episodes.csv existed */
        files_out->has_episodes = ppo_checkpoint_info(c, "episodes_offset") != NULL;
        files_out->episodes_offset = info_u64(c, "episodes_offset");
        files_out->tboard_offset = info_u64(c, "tboard_offset");
        files_out->tboard_name = ppo_checkpoint_info(c, "tboard_file");
        files_out->run_id = ppo_checkpoint_info(c, "run_id");
        files_out->metrics_rows = info_u64(c, "metrics_rows");
        files_out->metrics_digest = ppo_checkpoint_info(c, "metrics_digest");
        files_out->episodes_rows = info_u64(c, "episodes_rows");
        files_out->episodes_digest = ppo_checkpoint_info(c, "episodes_digest");
        files_out->tboard_digest = ppo_checkpoint_info(c, "tboard_digest");
    }
    return true;
}

/* ---- a checkpoint's policy, for eval and export ---- */

void ppo_loaded_policy_free(ppo_loaded_policy_t *lp)
{
    if (lp == NULL)
        return;
    ppo_model_free(lp->model);
    if (lp->probe_env != NULL) {
        ppo_plugin_enter(lp->session->env, "destroy");
        lp->session->env->vt.env.destroy(lp->probe_env);
        ppo_plugin_leave();
    }
    if (lp->obs_rms.mean != NULL)
        ppo_rms_clear(&lp->obs_rms);
    ppo_session_free(lp->session);
    ppo_pipeline_free(lp->pipeline);
    g_free(lp);
}

ppo_loaded_policy_t *ppo_loaded_policy_open(const char *ckpt_path, const char *pipeline_path,
                                            const char *const *overrides,
                                            const ppo_search_t *search, GError **error)
{
    ppo_ckpt_t *c = ppo_checkpoint_read(ckpt_path, error);
    if (c == NULL)
        return NULL;
    ppo_loaded_policy_t *lp = g_new0(ppo_loaded_policy_t, 1);
    if (pipeline_path != NULL) {
        lp->pipeline = ppo_pipeline_load(pipeline_path, overrides, error);
    } else {
        char *source = g_strdup_printf("%s (its pipeline)", ckpt_path);
        lp->pipeline = ppo_pipeline_parse(source, ".", c->pipeline, strlen(c->pipeline),
                                          overrides, error);
        g_free(source);
    }
    if (lp->pipeline == NULL)
        goto fail;
    if (pipeline_path != NULL) {
        lp->session = ppo_session_open(lp->pipeline, search, error);
    } else {
        /* the checkpoint's pipeline is untrusted: no code from a path only it names */
        const char *files[4];
        ppo_checkpoint_plugin_files(c, files);
        lp->session = ppo_session_open_recorded(lp->pipeline, search, files, ckpt_path, error);
    }
    if (lp->session == NULL)
        goto fail;
    lp->probe_env = ppo_session_env_new(lp->session, &lp->obs_space, &lp->act_space, error);
    if (lp->probe_env == NULL)
        goto fail;
    if (info_u64(c, "obs_dim") != lp->obs_space.dim) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: written for observations of %" G_GUINT64_FORMAT " components, env \"%s\" "
                    "has %u; use the pipeline the checkpoint came from",
                    ckpt_path, info_u64(c, "obs_dim"), lp->session->env->name,
                    lp->obs_space.dim);
        goto fail;
    }
    lp->model = ppo_model_new(lp->session->policy, lp->session->policy_params, &lp->obs_space,
                              &lp->act_space, 1, 0, error);
    if (lp->model == NULL)
        goto fail;
    ppo_rms_init(&lp->obs_rms, lp->obs_space.dim);
    if (!ppo_checkpoint_restore_model(c, lp->model, &lp->obs_rms, &lp->obs_norm, error))
        goto fail;
    lp->obs_eps = info_f64(c, "norm_epsilon");
    lp->obs_clip = info_f64(c, "clip_obs");
    ppo_checkpoint_free(c);
    return lp;
fail:
    ppo_checkpoint_free(c);
    ppo_loaded_policy_free(lp);
    return NULL;
}
