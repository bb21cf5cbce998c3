/* ppofw core — metrics.csv rows, TensorBoard scalars and progress lines from a metrics row.
 * Leaves out when to write (the run loop decides) and the TensorBoard file format
 * (ppo_tboard.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ppo_file_private.h"
#include "ppo_metrics_private.h"

struct ppo_csvlog {
    FILE *f;
    char *path;
    uint64_t offset;   /* bytes written */
    uint64_t rows;     /* data rows written (after the header) */
    GChecksum *digest; /* SHA-256 of every byte written */
    bool failed;
};

static bool io_error(GError **error, const char *path, const char *what, int err)
{
    return ppo_io_error(error, path, what, err, NULL);
}

static ppo_csvlog_t *csvlog_new(FILE *f, const char *path, uint64_t offset, uint64_t rows,
                                GChecksum *digest)
{
    ppo_csvlog_t *m = g_new0(ppo_csvlog_t, 1);
    m->f = f;
    m->path = g_strdup(path);
    m->offset = offset;
    m->rows = rows;
    m->digest = digest != NULL ? digest : g_checksum_new(G_CHECKSUM_SHA256);
    return m;
}

/* Append len bytes to the file and the digest. */
static bool append(ppo_csvlog_t *m, const char *text, size_t len, GError **error)
{
    if (m->failed)
        return io_error(error, m->path, "write after an earlier write error", EIO);
    if (fwrite(text, 1, len, m->f) != len) {
        m->failed = true;
        return io_error(error, m->path, "write", errno);
    }
    g_checksum_update(m->digest, (const guchar *)text, (gssize)len);
    m->offset += len;
    return true;
}

ppo_csvlog_t *ppo_csvlog_create_at(int dir_fd, const char *name, const char *shown,
                                   const char *header, GError **error)
{
    /* a new file: never an existing one, never through a link */
    const int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          0644);
    if (fd < 0) {
        io_error(error, shown, "create", errno);
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        io_error(error, shown, "create", errno);
        close(fd);
        return NULL;
    }
    ppo_csvlog_t *m = csvlog_new(f, shown, 0, 0, NULL);
    char *line = g_strconcat(header, "\n", NULL);
    const bool ok = append(m, line, strlen(line), error) && ppo_csvlog_flush(m, error);
    g_free(line);
    if (!ok) {
        ppo_csvlog_close(m, NULL);
        return NULL;
    }
    return m;
}

bool ppo_csvlog_verify(int fd, const char *shown, const char *header,
                       const ppo_csvlog_proof_t *proof, GChecksum **digest_out, GError **error)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return io_error(error, shown, "read", errno);
    if ((uint64_t)st.st_size < proof->offset) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: has %jd bytes, the checkpoint kept %" G_GUINT64_FORMAT "; it was cut "
                    "or replaced since the checkpoint was written, so it is not the file to "
                    "continue — nothing was changed",
                    shown, (intmax_t)st.st_size, proof->offset);
        return false;
    }
    /* read the kept prefix: its digest, its rows, its line ends */
    GChecksum *digest = g_checksum_new(G_CHECKSUM_SHA256);
    uint64_t newlines = 0, at = 0, first_cr = UINT64_MAX;
    char buf[65536], last = '\0', first = '\0';
    bool ok = false;
    while (at < proof->offset) {
        const size_t want = (size_t)MIN((uint64_t)sizeof(buf), proof->offset - at);
        const ssize_t got = pread(fd, buf, want, (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            io_error(error, shown, "read", got < 0 ? errno : EIO);
            goto out;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] == '\n')
                newlines++;
            else if (buf[i] == '\r' && first_cr == UINT64_MAX)
                first_cr = at + (uint64_t)i;
        }
        if (at == 0)
            first = buf[0];
        g_checksum_update(digest, (const guchar *)buf, got);
        at += (uint64_t)got;
        last = buf[got - 1];
    }
    if (first_cr != UINT64_MAX) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: has a carriage return at byte %" G_GUINT64_FORMAT " (CRLF line ends, "
                    "as an editor re-saves a file); ppofw writes LF and cannot cut it at the "
                    "checkpoint's row exactly — nothing was changed; restore LF line ends "
                    "(sed -i 's/\\r$//' %s) and resume again",
                    shown, first_cr, shown);
        goto out;
    }
    if (proof->offset > 0 && (last != '\n' || first != header[0])) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                    "%s: byte %" G_GUINT64_FORMAT " (where the checkpoint cuts it) is not the end "
                    "of a row; the file was changed since the checkpoint — nothing was changed",
                    shown, proof->offset);
        goto out;
    }
    if (proof->digest != NULL) {
        const uint64_t rows = newlines > 0 ? newlines - 1 : 0;
        if (rows != proof->rows) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: holds %" G_GUINT64_FORMAT " rows before byte %" G_GUINT64_FORMAT
                        ", the checkpoint wrote %" G_GUINT64_FORMAT "; it is not this run's "
                        "file as the checkpoint left it — nothing was changed",
                        shown, rows, proof->offset, proof->rows);
            goto out;
        }
        if (!ppo_digest_equal(digest, proof->digest)) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_CHECKPOINT,
                        "%s: its first %" G_GUINT64_FORMAT " bytes differ from what the "
                        "checkpoint wrote (SHA-256 mismatch); it was edited or belongs to "
                        "another run — nothing was changed",
                        shown, proof->offset);
            goto out;
        }
    }
    ok = true;
out:
    if (ok && digest_out != NULL)
        *digest_out = digest;
    else
        g_checksum_free(digest);
    return ok;
}

ppo_csvlog_t *ppo_csvlog_adopt(int fd, const char *shown, uint64_t offset, uint64_t rows,
                               GChecksum *digest, GError **error)
{
    struct stat st;
    if (fstat(fd, &st) != 0 ||
        ((uint64_t)st.st_size > offset && ftruncate(fd, (off_t)offset) != 0) ||
        lseek(fd, (off_t)offset, SEEK_SET) < 0) {
        io_error(error, shown, "cut back to the checkpoint", errno);
        return NULL;
    }
    FILE *f = fdopen(fd, "r+");
    if (f == NULL) {
        io_error(error, shown, "open", errno);
        return NULL;
    }
    return csvlog_new(f, shown, offset, rows, digest);
}

bool ppo_csvlog_printf(ppo_csvlog_t *m, GError **error, const char *fmt, ...)
{
    /* one row: formatted on the stack (no allocation), then to the file and the digest */
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    g_assert(n > 0 && (size_t)n < sizeof(line));
    if (!append(m, line, (size_t)n, error))
        return false;
    for (int i = 0; i < n; i++)
        m->rows += line[i] == '\n';
    return true;
}

bool ppo_csvlog_flush(ppo_csvlog_t *m, GError **error)
{
    if (fflush(m->f) != 0) {
        m->failed = true;
        return io_error(error, m->path, "write", errno);
    }
    return true;
}

uint64_t ppo_csvlog_offset(const ppo_csvlog_t *m)
{
    return m->offset;
}

uint64_t ppo_csvlog_rows(const ppo_csvlog_t *m)
{
    return m->rows;
}

char *ppo_csvlog_digest(const ppo_csvlog_t *m)
{
    GChecksum *copy = g_checksum_copy(m->digest);
    char *hex = g_strdup(g_checksum_get_string(copy));
    g_checksum_free(copy);
    return hex;
}

bool ppo_csvlog_close(ppo_csvlog_t *m, GError **error)
{
    if (m == NULL)
        return true;
    bool ok = true;
    if (fclose(m->f) != 0 && !m->failed)
        ok = io_error(error, m->path, "write", errno);
    g_checksum_free(m->digest);
    g_free(m->path);
    g_free(m);
    return ok;
}

bool ppo_metrics_flush(ppo_metrics_t *m, GError **error)
{
    return ppo_csvlog_flush(m, error);
}

uint64_t ppo_metrics_offset(const ppo_metrics_t *m)
{
    return ppo_csvlog_offset(m);
}

bool ppo_metrics_close(ppo_metrics_t *m, GError **error)
{
    return ppo_csvlog_close(m, error);
}

bool ppo_episodes_write(ppo_csvlog_t *log, const ppo_episode_t *ep, GError **error)
{
    return ppo_csvlog_printf(log, error,
                             "%" G_GUINT64_FORMAT ",%u,%.10g,%u,%d,%d,%.3f\n", ep->global_step,
                             ep->env, ep->ret, ep->length, ep->terminated ? 1 : 0,
                             ep->truncated ? 1 : 0, ep->time_s);
}

/* a number, or nothing for NaN */
static int cell(char *buf, size_t size, double v)
{
    if (isnan(v)) {
        buf[0] = '\0';
        return 0;
    }
    return snprintf(buf, size, "%.10g", v);
}

bool ppo_metrics_write(ppo_metrics_t *m, const ppo_metrics_row_t *row, GError **error)
{
    char c[13][32];
    cell(c[0], sizeof(c[0]), row->ep_return_mean);
    cell(c[1], sizeof(c[1]), row->ep_len_mean);
    cell(c[2], sizeof(c[2]), row->time_s);
    cell(c[3], sizeof(c[3]), row->sps);
    cell(c[4], sizeof(c[4]), row->policy_loss);
    cell(c[5], sizeof(c[5]), row->value_loss);
    cell(c[6], sizeof(c[6]), row->entropy);
    cell(c[7], sizeof(c[7]), row->approx_kl);
    cell(c[8], sizeof(c[8]), row->clip_fraction);
    cell(c[9], sizeof(c[9]), row->explained_variance);
    cell(c[10], sizeof(c[10]), row->lr);
    cell(c[11], sizeof(c[11]), row->clip_range);
    cell(c[12], sizeof(c[12]), row->std);
    char ev[32];
    cell(ev, sizeof(ev), row->eval_return_mean);
    return ppo_csvlog_printf(m, error,
                             "%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                             ",%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
                             row->global_step, row->iteration, row->episodes, c[0], c[1], c[2],
                             c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], ev);
}

bool ppo_metrics_tboard(ppo_tboard_t *tb, const ppo_metrics_row_t *row, double wall_time,
                        GError **error)
{
    const char *tags[24];
    double values[24];
    size_t n = 0;
#define ADD(tag, v)                                                                              \
    do {                                                                                         \
        if (!isnan(v)) {                                                                         \
            tags[n] = (tag);                                                                     \
            values[n++] = (v);                                                                   \
        }                                                                                        \
    } while (0)
    ADD("rollout/ep_rew_mean", row->ep_return_mean);
    ADD("rollout/ep_len_mean", row->ep_len_mean);
    ADD("rollout/episodes", (double)row->episodes);
    ADD("time/fps", row->sps);
    ADD("time/iterations", (double)row->iteration);
    ADD("time/time_elapsed", row->time_s);
    ADD("time/total_timesteps", (double)row->global_step);
    ADD("train/policy_gradient_loss", row->policy_loss);
    ADD("train/value_loss", row->value_loss);
    ADD("train/entropy_loss", -row->entropy);
    ADD("train/approx_kl", row->approx_kl);
    ADD("train/clip_fraction", row->clip_fraction);
    ADD("train/explained_variance", row->explained_variance);
    ADD("train/learning_rate", row->lr);
    ADD("train/clip_range", row->clip_range);
    ADD("train/std", row->std);
    ADD("train/loss", row->loss);
    ADD("train/n_updates", (double)row->n_updates);
    ADD("train/optimizer_steps", (double)row->optimizer_steps);
    ADD("train/kl_beta", row->kl_beta);
    ADD("eval/mean_reward", row->eval_return_mean);
    if (row->skipped_total > 0)
        ADD("train/skipped_updates", (double)row->skipped_total);
#undef ADD
    return ppo_tboard_add_scalars(tb, (int64_t)row->global_step, wall_time, tags, values, n,
                                  error);
}

static void human_count(char *buf, size_t size, double v)
{
    if (v >= 1e6)
        snprintf(buf, size, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, size, "%.0fk", v / 1e3);
    else
        snprintf(buf, size, "%.0f", v);
}

void ppo_metrics_progress(char *buf, size_t size, const char *name, const ppo_metrics_row_t *row,
                          uint64_t total_steps)
{
    char sps[16], ret[48], eta[24];
    human_count(sps, sizeof(sps), row->sps);
    if (isnan(row->ep_return_mean))
        snprintf(ret, sizeof(ret), "return -");
    else
        snprintf(ret, sizeof(ret), "return %.2f (len %.0f)", row->ep_return_mean,
                 row->ep_len_mean);
    const double left = total_steps > row->global_step ? (double)(total_steps - row->global_step)
                                                       : 0.0;
    const double secs = row->sps > 0 ? left / row->sps : 0.0;
    snprintf(eta, sizeof(eta), "%d:%02d:%02d", (int)(secs / 3600), (int)fmod(secs / 60, 60),
             (int)fmod(secs, 60));
    snprintf(buf, size,
             "%s: step %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " (%.0f%%) %s sps | %s | pg %.4f "
             "vf %.4f ent %.3f kl %.4f clip %.3f ev %.2f | eta %s",
             name, row->global_step, total_steps,
             total_steps > 0 ? MIN(100.0 * (double)row->global_step / (double)total_steps, 100.0)
                             : 100.0,
             sps, ret, row->policy_loss, row->value_loss, row->entropy, row->approx_kl,
             row->clip_fraction, row->explained_variance, eta);
}

/* the terminal's width in columns: the tty of stderr, else $COLUMNS, else 80 */
static int terminal_columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = g_getenv("COLUMNS");
    const int n = env != NULL ? atoi(env) : 0;
    return n > 0 ? n : 80;
}

void ppo_metrics_progress_bar(char *buf, size_t size, const char *name,
                              const ppo_metrics_row_t *row, uint64_t total_steps, int columns)
{
    if (columns <= 0)
        columns = terminal_columns();
    const double frac =
        total_steps > 0 ? MIN((double)row->global_step / (double)total_steps, 1.0) : 1.0;
    char done[16], total[16], sps[16], ret[32], eta[24];
    human_count(done, sizeof(done), (double)row->global_step);
    human_count(total, sizeof(total), (double)total_steps);
    human_count(sps, sizeof(sps), row->sps);
    if (isnan(row->ep_return_mean))
        snprintf(ret, sizeof(ret), "return -");
    else
        snprintf(ret, sizeof(ret), "return %9.2f", row->ep_return_mean);
    const double left =
        total_steps > row->global_step ? (double)(total_steps - row->global_step) : 0.0;
    const double secs = row->sps > 0 ? left / row->sps : 0.0;
    snprintf(eta, sizeof(eta), "%d:%02d:%02d", (int)(secs / 3600), (int)fmod(secs / 60, 60),
             (int)fmod(secs, 60));
    char tail[128];
    /* fixed widths, so the bar does not jump as the numbers grow */
    const int tail_len = snprintf(tail, sizeof(tail), " %*s/%s | %5s sps | eta %s | %s",
                                  (int)strlen(total), done, total, sps, eta, ret);
    char pct[8];
    const int pct_len = snprintf(pct, sizeof(pct), "%3.0f%% ", 100.0 * frac);
    /* the bar takes what is left of the line (one column spare, so the line never wraps); the
     * name goes first when space is short */
    const int name_len = (int)strlen(name) + 1;
    int bar = columns - 1 - pct_len - tail_len - 2 - name_len;
    const bool show_name = bar >= 10;
    if (!show_name)
        bar += name_len;
    if (bar < 5)
        bar = 0;
    if (bar > 200)
        bar = 200;
    char cells[256];
    const int filled = (int)(frac * bar + 1e-9);
    for (int i = 0; i < bar; i++)
        cells[i] = i < filled ? '#' : '.';
    cells[bar] = '\0';
    snprintf(buf, size, "%s%s%s%s%s%s%s", show_name ? name : "", show_name ? " " : "", pct,
             bar > 0 ? "[" : "", cells, bar > 0 ? "]" : "", tail);
    /* a terminal narrower than the numbers gets them cut rather than wrapped */
    if (strlen(buf) > (size_t)(columns - 1) && columns > 1)
        buf[columns - 1] = '\0';
}

void ppo_metrics_sparkline(char *buf, size_t size, const double *values, size_t n)
{
    /* U+2581..U+2588, lower one eighth block to full block */
    static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                          "\u2585", "\u2586", "\u2587", "\u2588"};
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(values[i])) {
            lo = MIN(lo, values[i]);
            hi = MAX(hi, values[i]);
        }
    }
    size_t used = 0;
    if (size > 0)
        buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        /* a flat line sits in the middle; a missing value is a gap */
        const char *cell = " ";
        if (isfinite(values[i])) {
            const int level = hi > lo ? (int)floor((values[i] - lo) / (hi - lo) * 7.0 + 0.5) : 3;
            cell = blocks[level];
        }
        const size_t len = strlen(cell);
        if (used + len + 1 > size)
            break;
        memcpy(buf + used, cell, len + 1);
        used += len;
    }
}

void ppo_metrics_progress_spark(char *buf, size_t size, const char *name,
                                const ppo_metrics_row_t *row, uint64_t total_steps, int columns,
                                const double *history, size_t n_history)
{
    if (columns <= 0)
        columns = terminal_columns();
    /* the sparkline only when the line keeps room for the numbers and a bar */
    const size_t n = MIN(n_history, (size_t)PPO_SPARK_MAX);
    const int spark_cols = n > 0 && columns >= 72 + (int)n ? (int)n + 1 : 0;
    ppo_metrics_progress_bar(buf, size, name, row, total_steps, columns - spark_cols);
    if (spark_cols == 0)
        return;
    char spark[PPO_SPARK_MAX * 3 + 1];
    ppo_metrics_sparkline(spark, sizeof(spark), history + (n_history - n), n);
    g_strlcat(buf, " ", size);
    g_strlcat(buf, spark, size);
}
