/* ppofw core — TensorBoard event files: a scalar writer and a checking reader.
 *
 * A record is TFRecord framing around one serialized Event (platform-facts §2.1):
 *
 *     uint64 length | uint32 masked CRC-32C of length | Event (length bytes) | uint32 masked CRC
 *
 * all little-endian. The protobuf is encoded by hand: keys are (field << 3) | wire type, the
 * Event's wall_time is a fixed64 double, step a varint, file_version and summary length-delimited;
 * a Summary is repeated Values, each a tag and a fixed32 float simple_value or an Image (height,
 * width, colorspace and the PNG bytes). The writer encodes a
 * whole record into a grow-only buffer and hands it to stdio in one fwrite. The reader verifies
 * both CRCs of every record, stops with an error at the first damaged one and treats a truncated
 * tail as the end of the file, as TensorBoard does. What it leaves out: every summary kind but
 * simple_value scalars and images, and fsync (a crash may lose the unflushed tail, which the CRCs
 * reveal).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "ppo_crc32c_private.h"
#include "ppo_file_private.h"
#include "ppo_tboard_private.h"

#define HEAD_BYTES 12  /* length and its CRC */
#define FRAME_BYTES 16 /* head plus the trailing data CRC */
#define FILE_VERSION "brain.Event:2"


/* protobuf keys, (field << 3) | wire type */
enum {
    KEY_EVENT_WALL_TIME = 0x09,    /* Event.wall_time = 1, fixed64 double */
    KEY_EVENT_STEP = 0x10,         /* Event.step = 2, varint int64 */
    KEY_EVENT_FILE_VERSION = 0x1A, /* Event.file_version = 3, string */
    KEY_EVENT_SUMMARY = 0x2A,      /* Event.summary = 5, message */
    KEY_SUMMARY_VALUE = 0x0A,      /* Summary.value = 1, repeated message */
    KEY_VALUE_TAG = 0x0A,          /* Value.tag = 1, string */
    KEY_VALUE_SIMPLE = 0x15,       /* Value.simple_value = 2, fixed32 float */
    KEY_VALUE_IMAGE = 0x22,        /* Value.image = 4, message */
    KEY_IMAGE_HEIGHT = 0x08,       /* Image.height = 1, varint int32 */
    KEY_IMAGE_WIDTH = 0x10,        /* Image.width = 2, varint int32 */
    KEY_IMAGE_COLORSPACE = 0x18,   /* Image.colorspace = 3, varint int32 (3: RGB) */
    KEY_IMAGE_ENCODED = 0x22,      /* Image.encoded_image_string = 4, bytes */
};

#define IMAGE_RGB 3 /* Image.colorspace of an RGB image */

struct ppo_tboard {
    FILE *file;      /* open for appending at the end of the last whole record */
    char *path;      /* the events file */
    uint64_t offset; /* bytes of whole records handed to the file */
    uint8_t *buf;    /* one encoded record (cap bytes); grows, never shrinks */
    size_t cap;      /* allocated size of buf */
    bool failed;     /* a write failed: the file may end before offset, so write no more */
    GChecksum *digest; /* SHA-256 of the offset bytes of whole records */
};

/* ---- encoding ---- */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint8_t *put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint8_t *put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint8_t *put_double(uint8_t *p, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return put_le64(p, bits);
}

/* a length-delimited field: key, varint length, bytes */
static uint8_t *put_bytes(uint8_t *p, uint8_t key, const void *data, size_t len)
{
    *p++ = key;
    p = put_varint(p, len);
    memcpy(p, data, len);
    return p + len;
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Encoded size of a Value with a tag of tag_len bytes and a simple_value. */
static size_t value_size(size_t tag_len)
{
    return 1 + varint_size(tag_len) + tag_len + 5;
}

/* Make room for a record with a payload of len bytes. */
static void buf_reserve(ppo_tboard_t *tb, size_t len)
{
    if (len + FRAME_BYTES <= tb->cap)
        return;
    tb->cap = MAX(len + FRAME_BYTES, 2 * tb->cap);
    tb->buf = g_realloc(tb->buf, tb->cap);
}

/* Frame the payload of len bytes at buf + HEAD_BYTES and append the record to the file. */
static bool record_write(ppo_tboard_t *tb, size_t len, GError **error)
{
    uint8_t *head = tb->buf;
    uint8_t *data = tb->buf + HEAD_BYTES;

    if (tb->failed) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: not writing after an earlier write error; the events file is incomplete",
                    tb->path);
        return false;
    }
    put_le64(head, len);
    put_le32(head + 8, ppo_crc32c_mask(ppo_crc32c_update(0, head, 8)));
    put_le32(data + len, ppo_crc32c_mask(ppo_crc32c_update(0, data, len)));
    if (fwrite(tb->buf, 1, len + FRAME_BYTES, tb->file) != len + FRAME_BYTES) {
        int saved = errno;
        tb->failed = true;
        ppo_io_error(error, tb->path, "write the events file", saved, NULL);
        return false;
    }
    g_checksum_update(tb->digest, tb->buf, (gssize)(len + FRAME_BYTES));
    tb->offset += len + FRAME_BYTES;
    return true;
}

/* ---- writing ---- */

static ppo_tboard_t *writer_new(FILE *file, const char *path, uint64_t offset, GChecksum *digest)
{
    ppo_tboard_t *tb = g_new0(ppo_tboard_t, 1);
    tb->file = file;
    tb->path = g_strdup(path);
    tb->offset = offset;
    tb->digest = digest != NULL ? digest : g_checksum_new(G_CHECKSUM_SHA256);
    return tb;
}

static void writer_free(ppo_tboard_t *tb)
{
    g_checksum_free(tb->digest);
    g_free(tb->path);
    g_free(tb->buf);
    g_free(tb);
}

ppo_tboard_t *ppo_tboard_create_at(int tb_fd, const char *tb_dir, double wall_time,
                                   GError **error)
{
    g_return_val_if_fail(tb_dir != NULL, NULL);
    g_return_val_if_fail(wall_time >= 0 && wall_time < 1e10, NULL);

    ppo_tboard_t *tb = NULL;
    char *name = g_strdup_printf("events.out.tfevents.%010lld.%s.%ld.0", (long long)wall_time,
                                 g_get_host_name(), (long)getpid());
    char *path = g_build_filename(tb_dir, name, NULL);

    /* a fresh file, never through a link: never overwrite an earlier run's events */
    const int fd = openat(tb_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    FILE *file = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (file == NULL) {
        ppo_io_error(error, path, "create the events file", errno, NULL);
        if (fd >= 0)
            close(fd);
        goto out_free_names;
    }
    tb = writer_new(file, path, 0, NULL);

    /* the first record names the format */
    size_t len = 9 + 1 + varint_size(strlen(FILE_VERSION)) + strlen(FILE_VERSION);
    buf_reserve(tb, len);
    uint8_t *p = tb->buf + HEAD_BYTES;
    *p++ = KEY_EVENT_WALL_TIME;
    p = put_double(p, wall_time);
    p = put_bytes(p, KEY_EVENT_FILE_VERSION, FILE_VERSION, strlen(FILE_VERSION));
    g_assert(p == tb->buf + HEAD_BYTES + len);
    if (!record_write(tb, len, error) || !ppo_tboard_flush(tb, error)) {
        fclose(tb->file);
        unlinkat(tb_fd, name, 0);
        writer_free(tb);
        tb = NULL;
    }

out_free_names:
    g_free(path);
    g_free(name);
    return tb;
}

ppo_tboard_t *ppo_tboard_create(const char *run_dir, double wall_time, GError **error)
{
    g_return_val_if_fail(run_dir != NULL, NULL);
    g_return_val_if_fail(wall_time >= 0 && wall_time < 1e10, NULL);

    ppo_tboard_t *tb = NULL;
    char *dir = g_build_filename(run_dir, "tb", NULL);
    /* the directory (never a link to elsewhere), then a fresh file */
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: cannot create the TensorBoard directory: %s", dir, g_strerror(errno));
        g_free(dir);
        return NULL;
    }
    const int tb_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tb_fd < 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: cannot open the TensorBoard directory: %s%s", dir, g_strerror(errno),
                    errno == ELOOP ? " (it is a symbolic link, which ppofw does not follow)" : "");
    } else {
        tb = ppo_tboard_create_at(tb_fd, dir, wall_time, error);
        close(tb_fd);
    }
    g_free(dir);
    return tb;
}

bool ppo_tboard_add_scalars(ppo_tboard_t *tb, int64_t step, double wall_time,
                            const char *const *tags, const double *values, size_t n, GError **error)
{
    g_return_val_if_fail(tb != NULL, false);
    g_return_val_if_fail(n == 0 || (tags != NULL && values != NULL), false);

    /* sizes first: a nested message is preceded by its length */
    size_t summary_len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t vlen = value_size(strlen(tags[i]));
        summary_len += 1 + varint_size(vlen) + vlen;
    }
    size_t len_rest = 1 + varint_size(summary_len) + summary_len;
    size_t len = 9 + (step != 0 ? 1 + varint_size((uint64_t)step) : 0) + len_rest;
    buf_reserve(tb, 9 + 1 + 10 + len_rest); /* room for any step: growing steps never reallocate */

    /* the Event: wall_time, step (proto3 leaves out a zero), then the Summary */
    uint8_t *p = tb->buf + HEAD_BYTES;
    *p++ = KEY_EVENT_WALL_TIME;
    p = put_double(p, wall_time);
    if (step != 0) {
        *p++ = KEY_EVENT_STEP;
        p = put_varint(p, (uint64_t)step);
    }
    *p++ = KEY_EVENT_SUMMARY;
    p = put_varint(p, summary_len);
    for (size_t i = 0; i < n; i++) {
        size_t tag_len = strlen(tags[i]);
        float value = (float)values[i];
        uint32_t bits;
        memcpy(&bits, &value, sizeof bits);
        *p++ = KEY_SUMMARY_VALUE;
        p = put_varint(p, value_size(tag_len));
        p = put_bytes(p, KEY_VALUE_TAG, tags[i], tag_len);
        *p++ = KEY_VALUE_SIMPLE;
        p = put_le32(p, bits);
    }
    g_assert(p == tb->buf + HEAD_BYTES + len);
    return record_write(tb, len, error);
}

bool ppo_tboard_add_image(ppo_tboard_t *tb, int64_t step, double wall_time, const char *tag,
                          uint32_t width, uint32_t height, const uint8_t *png, size_t png_len,
                          GError **error)
{
    g_return_val_if_fail(tb != NULL && tag != NULL && png != NULL, false);

    /* sizes first, innermost out: Image, Value, Summary, Event */
    const size_t tag_len = strlen(tag);
    const size_t image_len = 1 + varint_size(height) + 1 + varint_size(width) + 1 +
                             varint_size(IMAGE_RGB) + 1 + varint_size(png_len) + png_len;
    const size_t value_len =
        1 + varint_size(tag_len) + tag_len + 1 + varint_size(image_len) + image_len;
    const size_t summary_len = 1 + varint_size(value_len) + value_len;
    const size_t len = 9 + (step != 0 ? 1 + varint_size((uint64_t)step) : 0) + 1 +
                       varint_size(summary_len) + summary_len;
    buf_reserve(tb, len);

    uint8_t *p = tb->buf + HEAD_BYTES;
    *p++ = KEY_EVENT_WALL_TIME;
    p = put_double(p, wall_time);
    if (step != 0) {
        *p++ = KEY_EVENT_STEP;
        p = put_varint(p, (uint64_t)step);
    }
    *p++ = KEY_EVENT_SUMMARY;
    p = put_varint(p, summary_len);
    *p++ = KEY_SUMMARY_VALUE;
    p = put_varint(p, value_len);
    p = put_bytes(p, KEY_VALUE_TAG, tag, tag_len);
    *p++ = KEY_VALUE_IMAGE;
    p = put_varint(p, image_len);
    *p++ = KEY_IMAGE_HEIGHT;
    p = put_varint(p, height);
    *p++ = KEY_IMAGE_WIDTH;
    p = put_varint(p, width);
    *p++ = KEY_IMAGE_COLORSPACE;
    p = put_varint(p, IMAGE_RGB);
    p = put_bytes(p, KEY_IMAGE_ENCODED, png, png_len);
    g_assert(p == tb->buf + HEAD_BYTES + len);
    return record_write(tb, len, error);
}

bool ppo_tboard_flush(ppo_tboard_t *tb, GError **error)
{
    g_return_val_if_fail(tb != NULL, false);

    if (tb->failed) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: not writing after an earlier write error; the events file is incomplete",
                    tb->path);
        return false;
    }
    if (fflush(tb->file) != 0) {
        int saved = errno;
        tb->failed = true;
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot write the events file: %s",
                    tb->path, g_strerror(saved));
        return false;
    }
    return true;
}

uint64_t ppo_tboard_offset(const ppo_tboard_t *tb)
{
    g_return_val_if_fail(tb != NULL, 0);
    return tb->offset;
}

char *ppo_tboard_digest(const ppo_tboard_t *tb)
{
    g_return_val_if_fail(tb != NULL, NULL);
    GChecksum *copy = g_checksum_copy(tb->digest);
    char *hex = g_strdup(g_checksum_get_string(copy));
    g_checksum_free(copy);
    return hex;
}

const char *ppo_tboard_path(const ppo_tboard_t *tb)
{
    g_return_val_if_fail(tb != NULL, NULL);
    return tb->path;
}

bool ppo_tboard_close(ppo_tboard_t *tb, GError **error)
{
    if (tb == NULL)
        return true;

    bool ok = ppo_tboard_flush(tb, error);
    if (fclose(tb->file) != 0 && ok) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot close the events file: %s",
                    tb->path, g_strerror(errno));
        ok = false;
    }
    writer_free(tb);
    return ok;
}

/* ---- reading ---- */

/* A walk over the records of an open file, from its start. */
typedef struct {
    FILE *file;         /* positioned at offset */
    const char *path;   /* for messages */
    uint64_t file_size; /* bytes in the file when the walk began */
    uint64_t offset;    /* start of the next record */
    uint8_t *data;      /* payload of the last record read (cap bytes) */
    size_t cap;         /* allocated size of data */
    size_t len;         /* payload bytes of the last record read */
    GChecksum *digest;  /* when set: every whole record's bytes are added */
} walk_t;

typedef enum {
    WALK_RECORD,    /* a whole record with good CRCs is in data */
    WALK_END,       /* the file ends at a record boundary */
    WALK_TRUNCATED, /* the file ends inside the record at offset */
    WALK_ERROR,     /* damage or a read error, reported */
} walk_status_t;

static bool walk_begin(walk_t *w, FILE *file, const char *path, GError **error)
{
    struct stat st;
    memset(w, 0, sizeof *w);
    if (fstat(fileno(file), &st) != 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot stat the events file: %s", path,
                    g_strerror(errno));
        return false;
    }
    w->file = file;
    w->path = path;
    w->file_size = (uint64_t)st.st_size;
    return true;
}

static walk_status_t walk_read(walk_t *w, void *dst, size_t len, GError **error)
{
    if (fread(dst, 1, len, w->file) == len)
        return WALK_RECORD;
    if (!ferror(w->file))
        return WALK_TRUNCATED; /* the file shrank while we read it */
    g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot read the events file: %s", w->path,
                g_strerror(errno));
    return WALK_ERROR;
}

static walk_status_t walk_next(walk_t *w, GError **error)
{
    uint8_t head[HEAD_BYTES];
    uint8_t crc[4];
    uint64_t left = w->file_size - w->offset;
    walk_status_t st;

    if (left == 0)
        return WALK_END;
    if (left < HEAD_BYTES)
        return WALK_TRUNCATED;

    /* the length, trusted only once its own CRC matches */
    if ((st = walk_read(w, head, HEAD_BYTES, error)) != WALK_RECORD)
        return st;
    if (get_le32(head + 8) != ppo_crc32c_mask(ppo_crc32c_update(0, head, 8))) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: record at byte %" PRIu64 ": length CRC mismatch; the file is damaged "
                    "from there on",
                    w->path, w->offset);
        return WALK_ERROR;
    }
    uint64_t len = get_le64(head);
    if (left < FRAME_BYTES || len > left - FRAME_BYTES)
        return WALK_TRUNCATED;

    /* the payload and its CRC */
    if (len > w->cap) {
        w->cap = (size_t)len;
        w->data = g_realloc(w->data, w->cap);
    }
    if ((st = walk_read(w, w->data, (size_t)len, error)) != WALK_RECORD ||
        (st = walk_read(w, crc, 4, error)) != WALK_RECORD)
        return st;
    if (get_le32(crc) != ppo_crc32c_mask(ppo_crc32c_update(0, w->data, (size_t)len))) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: record at byte %" PRIu64 ": data CRC mismatch; the file is damaged "
                    "from there on",
                    w->path, w->offset);
        return WALK_ERROR;
    }
    w->len = (size_t)len;
    w->offset += len + FRAME_BYTES;
    if (w->digest != NULL) {
        g_checksum_update(w->digest, head, HEAD_BYTES);
        g_checksum_update(w->digest, w->data, (gssize)len);
        g_checksum_update(w->digest, crc, 4);
    }
    return WALK_RECORD;
}

/* One protobuf field. */
typedef struct {
    uint32_t number;      /* field number */
    uint32_t wire;        /* wire type: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
    uint64_t varint;      /* wire 0: the value */
    const uint8_t *bytes; /* wire 1, 2, 5: the value's bytes (len) */
    size_t len;
} field_t;

static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80)
            return true;
    }
    return false;
}

/* The next field of a message in [*p, end): 1, 0 at the end, -1 if malformed. */
static int field_next(const uint8_t **p, const uint8_t *end, field_t *f)
{
    uint64_t key, len;
    if (*p == end)
        return 0;
    if (!get_varint(p, end, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
        return -1;
    f->number = (uint32_t)(key >> 3);
    f->wire = (uint32_t)(key & 7);
    switch (f->wire) {
    case 0:
        return get_varint(p, end, &f->varint) ? 1 : -1;
    case 1:
    case 5:
        len = f->wire == 1 ? 8 : 4;
        break;
    case 2:
        if (!get_varint(p, end, &len))
            return -1;
        break;
    default:
        return -1; /* groups are long deprecated and never appear in events */
    }
    if (len > (uint64_t)(end - *p))
        return -1;
    f->bytes = *p;
    f->len = (size_t)len;
    *p += len;
    return 1;
}

/* What a walk hands its caller. */
typedef struct {
    ppo_tboard_scalar_fn scalar; /* may be NULL */
    ppo_tboard_image_fn image;   /* may be NULL */
    void *user;
} readers_t;

/* An Image message into *img; false if malformed. */
static bool image_decode(const uint8_t *p, const uint8_t *end, ppo_tboard_image_t *img)
{
    field_t f;
    int rc;
    memset(img, 0, sizeof(*img));
    while ((rc = field_next(&p, end, &f)) == 1) {
        if (f.wire == 0 && f.number >= 1 && f.number <= 3) {
            const uint32_t v = (uint32_t)MIN(f.varint, UINT32_MAX);
            *(f.number == 1 ? &img->height : f.number == 2 ? &img->width : &img->colorspace) = v;
        } else if (f.number == 4 && f.wire == 2) {
            img->encoded = f.bytes;
            img->encoded_len = f.len;
        }
    }
    return rc == 0;
}

/* Hand each simple_value and image of one Summary to the readers; false if malformed. */
static bool summary_decode(const uint8_t *p, const uint8_t *end, int64_t step, double wall_time,
                           GString *tag, const readers_t *rd)
{
    field_t f, v;
    int rc;
    while ((rc = field_next(&p, end, &f)) == 1) {
        if (f.number != 1 || f.wire != 2)
            continue;
        const uint8_t *q = f.bytes;
        bool has_value = false, has_image = false;
        float value = 0;
        ppo_tboard_image_t img;
        g_string_truncate(tag, 0);
        while ((rc = field_next(&q, f.bytes + f.len, &v)) == 1) {
            if (v.number == 1 && v.wire == 2) {
                g_string_truncate(tag, 0);
                g_string_append_len(tag, (const char *)v.bytes, (gssize)v.len);
            } else if (v.number == 2 && v.wire == 5) {
                uint32_t bits = get_le32(v.bytes);
                memcpy(&value, &bits, sizeof value);
                has_value = true;
            } else if (v.number == 4 && v.wire == 2) {
                if (!image_decode(v.bytes, v.bytes + v.len, &img))
                    return false;
                has_image = true;
            }
        }
        if (rc < 0)
            return false;
        if (has_value && rd->scalar != NULL)
            rd->scalar(step, wall_time, tag->str, value, rd->user);
        if (has_image && rd->image != NULL)
            rd->image(step, wall_time, tag->str, &img, rd->user);
    }
    return rc == 0;
}

/* Decode one Event and hand its values to the readers; false if malformed. */
static bool event_decode(const uint8_t *data, size_t len, GString *tag, const readers_t *rd)
{
    const uint8_t *end = data + len;
    const uint8_t *p = data;
    double wall_time = 0;
    int64_t step = 0;
    field_t f;
    int rc;

    /* wall_time and step may come in any order, also after the summary */
    while ((rc = field_next(&p, end, &f)) == 1) {
        if (f.number == 1 && f.wire == 1) {
            uint64_t bits = get_le64(f.bytes);
            memcpy(&wall_time, &bits, sizeof wall_time);
        } else if (f.number == 2 && f.wire == 0) {
            step = (int64_t)f.varint;
        }
    }
    if (rc < 0)
        return false;

    /* then every summary (repeated ones merge) */
    for (p = data; field_next(&p, end, &f) == 1;) {
        if (f.number == 5 && f.wire == 2 &&
            !summary_decode(f.bytes, f.bytes + f.len, step, wall_time, tag, rd))
            return false;
    }
    return true;
}

static bool read_events(const char *path, const readers_t *rd, uint64_t *records_out,
                        GError **error)
{
    g_return_val_if_fail(path != NULL, false);

    bool ok = false;
    uint64_t n_records = 0;
    GString *tag = NULL;
    walk_t w;
    walk_status_t st;

    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot open the events file: %s", path,
                    g_strerror(errno));
        goto out;
    }
    if (!walk_begin(&w, file, path, error))
        goto out_close;
    tag = g_string_new(NULL);

    /* every whole record; a truncated tail ends the file */
    while ((st = walk_next(&w, error)) == WALK_RECORD) {
        if (!event_decode(w.data, w.len, tag, rd)) {
            g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                        "%s: record at byte %" PRIu64 ": not a valid Event message", path,
                        w.offset - w.len - FRAME_BYTES);
            break;
        }
        n_records++;
    }
    ok = st == WALK_END || st == WALK_TRUNCATED;

    g_string_free(tag, TRUE);
    g_free(w.data);
out_close:
    fclose(file);
out:
    if (records_out != NULL)
        *records_out = n_records;
    return ok;
}

bool ppo_tboard_read(const char *path, ppo_tboard_scalar_fn fn, void *user, uint64_t *records_out,
                     GError **error)
{
    const readers_t rd = {.scalar = fn, .user = user};
    return read_events(path, &rd, records_out, error);
}

bool ppo_tboard_read_images(const char *path, ppo_tboard_image_fn fn, void *user, GError **error)
{
    const readers_t rd = {.image = fn, .user = user};
    return read_events(path, &rd, NULL, error);
}

bool ppo_tboard_verify(int fd, const char *path, uint64_t size, const char *digest,
                       GChecksum **digest_out, GError **error)
{
    g_return_val_if_fail(path != NULL, false);

    bool ok = false;
    walk_t w;
    walk_status_t st = WALK_END;
    const int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    FILE *file = dup_fd >= 0 ? fdopen(dup_fd, "rb") : NULL;
    if (file == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot read the events file: %s", path,
                    g_strerror(errno));
        if (dup_fd >= 0)
            close(dup_fd);
        return false;
    }
    if (fseeko(file, 0, SEEK_SET) != 0 || !walk_begin(&w, file, path, error))
        goto out_close;
    w.digest = g_checksum_new(G_CHECKSUM_SHA256);
    if (size > w.file_size) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: cannot resume at byte %" PRIu64 ": the file has only %" PRIu64
                    " bytes; it was cut short or replaced since the checkpoint — nothing was "
                    "changed",
                    path, size, w.file_size);
        goto out_free_walk;
    }

    /* walk whole, intact records up to size */
    while (w.offset < size && (st = walk_next(&w, error)) == WALK_RECORD && w.offset <= size)
        ;
    if (st == WALK_ERROR)
        goto out_free_walk;
    if (w.offset != size) {
        uint64_t before = st == WALK_RECORD ? w.offset - w.len - FRAME_BYTES : w.offset;
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: cannot resume at byte %" PRIu64 ": not a record boundary (the record "
                    "holding it starts at byte %" PRIu64 "); the checkpoint does not match this "
                    "file — nothing was changed",
                    path, size, before);
        goto out_free_walk;
    }
    if (digest != NULL && !ppo_digest_equal(w.digest, digest)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO,
                    "%s: its first %" PRIu64 " bytes differ from what the checkpoint wrote "
                    "(SHA-256 mismatch); it was changed or belongs to another run — nothing was "
                    "changed",
                    path, size);
        goto out_free_walk;
    }
    ok = true;
    if (digest_out != NULL) {
        *digest_out = w.digest;
        w.digest = NULL;
    }
out_free_walk:
    if (w.digest != NULL)
        g_checksum_free(w.digest);
    g_free(w.data);
out_close:
    fclose(file);
    return ok;
}

ppo_tboard_t *ppo_tboard_adopt(int fd, const char *path, uint64_t size, GChecksum *digest,
                               GError **error)
{
    /* cut what follows and append from there */
    struct stat st;
    if (fstat(fd, &st) != 0 || ((uint64_t)st.st_size > size && ftruncate(fd, (off_t)size) != 0) ||
        lseek(fd, (off_t)size, SEEK_SET) < 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot cut the events file: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    FILE *file = fdopen(fd, "r+b");
    if (file == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot open the events file: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    return writer_new(file, path, size, digest);
}

ppo_tboard_t *ppo_tboard_reopen(const char *path, uint64_t size, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);

    const int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot open the events file: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    GChecksum *digest = NULL;
    ppo_tboard_t *tb = NULL;
    if (ppo_tboard_verify(fd, path, size, NULL, &digest, error))
        tb = ppo_tboard_adopt(fd, path, size, digest, error);
    if (tb == NULL) {
        if (digest != NULL)
            g_checksum_free(digest);
        close(fd);
    }
    return tb;
}
