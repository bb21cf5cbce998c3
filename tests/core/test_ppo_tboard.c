/* ppofw tests — core/ppo_tboard.c: TensorBoard event files written, framed, read back, damaged,
 * truncated, resumed and written to a full disk.
 *
 * The file is checked three ways besides the writer's own reader: byte for byte against Events
 * encoded by hand here, record by record with a framing walk written here, and (when python3 is
 * installed) by tests/core/tfevents_read.py, a decoder sharing no code with the core. The "no
 * allocation per call" check counts allocations with tests/alloc_count.h. What it leaves out:
 * TensorBoard itself, which is not packaged for Debian 12.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "alloc_count.h"
#include "ppo_crc32c_private.h"
#include "ppo_tboard_private.h"
#include "ppo_test.h"

/* ---- fixtures ---- */

#define N_TAGS 3
static const char *const sample_tags[N_TAGS] = {"rollout/ep_rew_mean", "train/approx_kl",
                                                "time/fps"};

/* Step, wall time and values of event k of the sample file. */
static int64_t sample_step(int k)
{
    return k == 1 ? -1 : (int64_t)k * k * 100003; /* zero, negative, multi-byte varints */
}

static double sample_wall(int k)
{
    return 1700000000.125 + k * 0.37;
}

static double sample_value(int k, int i)
{
    return (k + 1) * 0.1 * (i + 1) - i * 3.7 + (i == 2 ? 1e30 * (k % 2) : 0);
}

/* A scalar as read back. */
typedef struct {
    int64_t step;
    double wall_time;
    char tag[64];
    float value;
} scalar_t;

static void collect(int64_t step, double wall_time, const char *tag, float value, void *user)
{
    scalar_t s = {.step = step, .wall_time = wall_time, .value = value};
    ck_assert_uint_lt(strlen(tag), sizeof s.tag);
    strcpy(s.tag, tag);
    g_array_append_val((GArray *)user, s);
}

static char *make_run_dir(void)
{
    GError *error = NULL;
    char *dir = g_dir_make_tmp("ppo-tboard-XXXXXX", &error);
    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    return dir;
}

/* Write the sample file of n_events scalar Events into run_dir; the byte offset after each
 * record (version record first) goes into ends (n_events + 1). Returns the path (g_free). */
static char *write_sample(const char *run_dir, int n_events, uint64_t *ends)
{
    GError *error = NULL;
    ppo_tboard_t *tb = ppo_tboard_create(run_dir, sample_wall(0), &error);
    ck_assert_msg(tb != NULL, "%s", error ? error->message : "");
    ends[0] = ppo_tboard_offset(tb);
    for (int k = 0; k < n_events; k++) {
        double values[N_TAGS];
        for (int i = 0; i < N_TAGS; i++)
            values[i] = sample_value(k, i);
        ck_assert_msg(ppo_tboard_add_scalars(tb, sample_step(k), sample_wall(k), sample_tags,
                                             values, N_TAGS, &error),
                      "%s", error ? error->message : "");
        ends[k + 1] = ppo_tboard_offset(tb);
    }
    char *path = g_strdup(ppo_tboard_path(tb));
    ck_assert_msg(ppo_tboard_close(tb, &error), "%s", error ? error->message : "");
    return path;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    char *data = NULL;
    gsize n = 0;
    GError *error = NULL;
    ck_assert_msg(g_file_get_contents(path, &data, &n, &error), "%s", error ? error->message : "");
    *len = n;
    return (uint8_t *)data;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    GError *error = NULL;
    ck_assert_msg(g_file_set_contents(path, (const char *)data, (gssize)len, &error), "%s",
                  error ? error->message : "");
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Walk the framing of a whole file, asserting both CRCs of every record and that the records
 * fill the file exactly. Returns the number of records; starts (may be NULL) gets each
 * record's offset. */
static size_t frame_walk(const uint8_t *data, size_t len, GArray *starts)
{
    size_t pos = 0, n = 0;
    while (pos < len) {
        ck_assert_uint_ge(len - pos, 16);
        uint64_t size = le64(data + pos);
        ck_assert_uint_le(size, len - pos - 16);
        ck_assert_msg(le32(data + pos + 8) == ppo_crc32c_mask(ppo_crc32c_update(0, data + pos, 8)),
                      "length CRC of the record at byte %zu", pos);
        ck_assert_msg(le32(data + pos + 12 + size) ==
                          ppo_crc32c_mask(ppo_crc32c_update(0, data + pos + 12, size)),
                      "data CRC of the record at byte %zu", pos);
        if (starts != NULL)
            g_array_append_val(starts, pos);
        pos += 16 + size;
        n++;
    }
    return n;
}

/* Frame a payload as one record (16 + len bytes at out). */
static void frame(uint8_t *out, const uint8_t *payload, size_t len)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)((uint64_t)len >> (8 * i));
    uint32_t crc = ppo_crc32c_mask(ppo_crc32c_update(0, out, 8));
    for (int i = 0; i < 4; i++)
        out[8 + i] = (uint8_t)(crc >> (8 * i));
    memcpy(out + 12, payload, len);
    crc = ppo_crc32c_mask(ppo_crc32c_update(0, payload, len));
    for (int i = 0; i < 4; i++)
        out[12 + len + i] = (uint8_t)(crc >> (8 * i));
}

static void assert_io_error(GError *error, const char *part1, const char *part2)
{
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(error->domain == PPO_ERROR && error->code == PPO_ERROR_IO, "%s", error->message);
    ck_assert_msg(strstr(error->message, part1) != NULL, "\"%s\" not in: %s", part1,
                  error->message);
    ck_assert_msg(part2 == NULL || strstr(error->message, part2) != NULL, "\"%s\" not in: %s",
                  part2, error->message);
}

/* ---- naming and encoding ---- */

START_TEST(test_tboard_file_is_named_by_time_host_and_pid_in_tb_dir)
{
    char *run_dir = make_run_dir();
    GError *error = NULL;
    ppo_tboard_t *tb = ppo_tboard_create(run_dir, 1700000123.9, &error);
    ck_assert_msg(tb != NULL, "%s", error ? error->message : "");

    char *name = g_strdup_printf("events.out.tfevents.1700000123.%s.%ld.0", g_get_host_name(),
                                 (long)getpid());
    char *expected = g_build_filename(run_dir, "tb", name, NULL);
    ck_assert_str_eq(ppo_tboard_path(tb), expected);
    ck_assert(g_file_test(expected, G_FILE_TEST_IS_REGULAR));
    ck_assert(g_regex_match_simple("^events\\.out\\.tfevents\\.[0-9]{10}\\..+\\.[0-9]+\\.0$", name,
                                   0, 0));
    ck_assert(ppo_tboard_close(tb, &error));

    /* ten digits also for a small time */
    char *run_dir2 = make_run_dir();
    tb = ppo_tboard_create(run_dir2, 42.0, &error);
    ck_assert_ptr_nonnull(tb);
    char *base = g_path_get_basename(ppo_tboard_path(tb));
    ck_assert(g_str_has_prefix(base, "events.out.tfevents.0000000042."));
    ck_assert(ppo_tboard_close(tb, &error));

    g_free(base);
    ppo_test_rm_tree(run_dir2);
    g_free(run_dir2);
    g_free(expected);
    g_free(name);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_first_record_is_file_version_event)
{
    char *run_dir = make_run_dir();
    uint64_t ends[1];
    char *path = write_sample(run_dir, 0, ends);
    size_t len;
    uint8_t *data = read_file(path, &len);

    /* wall_time (fixed64 double 1700000000.125), file_version "brain.Event:2" */
    /* clang-format off */
    static const uint8_t payload[] = {
        0x09, 0x00, 0x00, 0x08, 0x40, 0xFC, 0x54, 0xD9, 0x41,
        0x1A, 0x0D, 'b', 'r', 'a', 'i', 'n', '.', 'E', 'v', 'e', 'n', 't', ':', '2'};
    /* clang-format on */
    uint8_t expected[sizeof payload + 16];
    frame(expected, payload, sizeof payload);
    ck_assert_uint_eq(len, sizeof expected);
    ck_assert_uint_eq(ends[0], sizeof expected);
    ck_assert_mem_eq(data, expected, sizeof expected);
    ck_assert_uint_eq(le64(data), 24);

    g_free(data);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_scalar_event_matches_hand_encoding)
{
    char *run_dir = make_run_dir();
    GError *error = NULL;
    ppo_tboard_t *tb = ppo_tboard_create(run_dir, 1.5, &error);
    ck_assert_ptr_nonnull(tb);
    uint64_t first = ppo_tboard_offset(tb);
    const char *tags[2] = {"a", "bc"};
    const double values[2] = {2.0, -0.5};
    ck_assert(ppo_tboard_add_scalars(tb, 300, 1.5, tags, values, 2, &error));
    ck_assert(ppo_tboard_add_scalars(tb, 0, 1.5, tags, values, 1, &error));
    char *path = g_strdup(ppo_tboard_path(tb));
    ck_assert(ppo_tboard_close(tb, &error));

    /* Event{wall_time 1.5, step 300, summary{value{tag "a", 2.0f}, value{tag "bc", -0.5f}}} */
    /* clang-format off */
    static const uint8_t event1[] = {
        0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, /* wall_time */
        0x10, 0xAC, 0x02,                   /* step 300 */
        0x2A, 0x15,                         /* summary, 21 bytes */
        0x0A, 0x08, 0x0A, 0x01, 'a', 0x15, 0x00, 0x00, 0x00, 0x40,
        0x0A, 0x09, 0x0A, 0x02, 'b', 'c', 0x15, 0x00, 0x00, 0x00, 0xBF};
    /* step 0 is left out, as proto3 does */
    static const uint8_t event2[] = {
        0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,
        0x2A, 0x0A,
        0x0A, 0x08, 0x0A, 0x01, 'a', 0x15, 0x00, 0x00, 0x00, 0x40};
    /* clang-format on */
    uint8_t expected[sizeof event1 + sizeof event2 + 32];
    frame(expected, event1, sizeof event1);
    frame(expected + 16 + sizeof event1, event2, sizeof event2);

    size_t len;
    uint8_t *data = read_file(path, &len);
    ck_assert_uint_eq(len, first + sizeof expected);
    ck_assert_mem_eq(data + first, expected, sizeof expected);

    g_free(data);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_image_event_matches_hand_encoding)
{
    char *run_dir = make_run_dir();
    GError *error = NULL;
    ppo_tboard_t *tb = ppo_tboard_create(run_dir, 1.5, &error);
    ck_assert_ptr_nonnull(tb);
    const uint64_t first = ppo_tboard_offset(tb);
    const uint8_t png[3] = {0x89, 'P', 'N'};
    ck_assert(ppo_tboard_add_image(tb, 300, 1.5, "e/f", 600, 400, png, sizeof png, &error));
    char *path = g_strdup(ppo_tboard_path(tb));
    ck_assert(ppo_tboard_close(tb, &error));

    /* Event{wall_time 1.5, step 300, summary{value{tag "e/f", image{height 400, width 600,
     * colorspace 3, encoded_image_string}}}} */
    /* clang-format off */
    static const uint8_t event[] = {
        0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, /* wall_time */
        0x10, 0xAC, 0x02,                   /* step 300 */
        0x2A, 0x16,                         /* summary, 22 bytes */
        0x0A, 0x14,                         /* value, 20 bytes */
        0x0A, 0x03, 'e', '/', 'f',          /* tag */
        0x22, 0x0D,                         /* image, 13 bytes */
        0x08, 0x90, 0x03,                   /* height 400 */
        0x10, 0xD8, 0x04,                   /* width 600 */
        0x18, 0x03,                         /* colorspace RGB */
        0x22, 0x03, 0x89, 'P', 'N'};        /* encoded_image_string */
    /* clang-format on */
    uint8_t expected[sizeof event + 16];
    frame(expected, event, sizeof event);
    size_t len;
    uint8_t *data = read_file(path, &len);
    ck_assert_uint_eq(len, first + sizeof expected);
    ck_assert_mem_eq(data + first, expected, sizeof expected);
    g_free(data);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

/* An image as read back. */
typedef struct {
    int64_t step;
    char tag[32];
    ppo_tboard_image_t image;
    uint8_t encoded[64];
} image_read_t;

static void collect_image(int64_t step, double wall_time, const char *tag,
                          const ppo_tboard_image_t *image, void *user)
{
    image_read_t im = {.step = step, .image = *image};
    ck_assert_uint_lt(strlen(tag), sizeof im.tag);
    ck_assert_uint_le(image->encoded_len, sizeof im.encoded);
    strcpy(im.tag, tag);
    memcpy(im.encoded, image->encoded, image->encoded_len);
    im.image.encoded = NULL;
    g_array_append_val((GArray *)user, im);
}

START_TEST(test_tboard_reads_back_images_between_scalars)
{
    char *run_dir = make_run_dir();
    GError *error = NULL;
    ppo_tboard_t *tb = ppo_tboard_create(run_dir, 2.0, &error);
    const char *tags[1] = {"eval/mean_reward"};
    const uint8_t bytes[40] = {1, 2, 3, 250};
    for (int k = 1; k <= 3; k++) {
        const double v = k;
        ck_assert(ppo_tboard_add_scalars(tb, k * 1000, 2.0, tags, &v, 1, &error));
        ck_assert(ppo_tboard_add_image(tb, k * 1000, 2.0, "eval/frame", (uint32_t)k, 7, bytes,
                                       (size_t)k * 10, &error));
    }
    char *path = g_strdup(ppo_tboard_path(tb));
    ck_assert(ppo_tboard_close(tb, &error));

    /* the images, in order, with their sizes and bytes; the scalars untouched by them */
    GArray *images = g_array_new(FALSE, FALSE, sizeof(image_read_t));
    ck_assert(ppo_tboard_read_images(path, collect_image, images, &error));
    ck_assert_uint_eq(images->len, 3);
    for (guint k = 0; k < 3; k++) {
        const image_read_t *im = &g_array_index(images, image_read_t, k);
        ck_assert_int_eq(im->step, (int64_t)(k + 1) * 1000);
        ck_assert_str_eq(im->tag, "eval/frame");
        ck_assert_uint_eq(im->image.width, k + 1);
        ck_assert_uint_eq(im->image.height, 7);
        ck_assert_uint_eq(im->image.colorspace, 3);
        ck_assert_uint_eq(im->image.encoded_len, (k + 1) * 10);
        ck_assert_mem_eq(im->encoded, bytes, (k + 1) * 10);
    }
    GArray *scalars = g_array_new(FALSE, FALSE, sizeof(scalar_t));
    uint64_t n_records = 0;
    ck_assert(ppo_tboard_read(path, collect, scalars, &n_records, &error));
    ck_assert_uint_eq(n_records, 7);
    ck_assert_uint_eq(scalars->len, 3);
    g_array_free(scalars, TRUE);
    g_array_free(images, TRUE);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

/* ---- reading back ---- */

START_TEST(test_tboard_reads_back_every_step_tag_value_and_wall_time)
{
    enum { N_EVENTS = 40 };
    char *run_dir = make_run_dir();
    uint64_t ends[N_EVENTS + 1];
    char *path = write_sample(run_dir, N_EVENTS, ends);

    GArray *got = g_array_new(FALSE, FALSE, sizeof(scalar_t));
    uint64_t n_records = 0;
    GError *error = NULL;
    ck_assert_msg(ppo_tboard_read(path, collect, got, &n_records, &error), "%s",
                  error ? error->message : "");
    ck_assert_uint_eq(n_records, N_EVENTS + 1);
    ck_assert_uint_eq(got->len, N_EVENTS * N_TAGS);
    for (int k = 0; k < N_EVENTS; k++) {
        for (int i = 0; i < N_TAGS; i++) {
            const scalar_t *s = &g_array_index(got, scalar_t, k * N_TAGS + i);
            ck_assert_int_eq(s->step, sample_step(k));
            ck_assert(s->wall_time == sample_wall(k));
            ck_assert_str_eq(s->tag, sample_tags[i]);
            ck_assert_msg(s->value == (float)sample_value(k, i), "event %d tag %d", k, i);
        }
    }

    g_array_free(got, TRUE);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_every_record_has_valid_crcs_and_offsets_match)
{
    enum { N_EVENTS = 25 };
    char *run_dir = make_run_dir();
    uint64_t ends[N_EVENTS + 1];
    char *path = write_sample(run_dir, N_EVENTS, ends);
    size_t len;
    uint8_t *data = read_file(path, &len);

    GArray *starts = g_array_new(FALSE, FALSE, sizeof(size_t));
    ck_assert_uint_eq(frame_walk(data, len, starts), N_EVENTS + 1);
    ck_assert_uint_eq(ends[N_EVENTS], len);
    for (int k = 1; k <= N_EVENTS; k++)
        ck_assert_uint_eq(g_array_index(starts, size_t, k), ends[k - 1]);

    g_array_free(starts, TRUE);
    g_free(data);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_read_reports_every_flipped_byte_with_its_record_offset)
{
    enum { N_EVENTS = 3 };
    char *run_dir = make_run_dir();
    uint64_t ends[N_EVENTS + 1];
    char *path = write_sample(run_dir, N_EVENTS, ends);
    size_t len;
    uint8_t *data = read_file(path, &len);

    /* every byte of every record: the record is refused, the ones before it are delivered */
    for (size_t pos = 0; pos < len; pos++) {
        int record = 0;
        while (pos >= ends[record])
            record++;
        uint64_t start = record == 0 ? 0 : ends[record - 1];

        data[pos] ^= 0x10;
        write_file(path, data, len);
        data[pos] ^= 0x10;

        GArray *got = g_array_new(FALSE, FALSE, sizeof(scalar_t));
        uint64_t n_records = 99;
        GError *error = NULL;
        ck_assert_msg(!ppo_tboard_read(path, collect, got, &n_records, &error),
                      "flip at byte %zu not detected", pos);
        char *where = g_strdup_printf("record at byte %" G_GUINT64_FORMAT ":", start);
        assert_io_error(error, path, where);
        ck_assert(strstr(error->message, "CRC mismatch") != NULL);
        ck_assert_uint_eq(n_records, (uint64_t)record);
        ck_assert_uint_eq(got->len, (record == 0 ? 0 : record - 1) * N_TAGS);
        g_free(where);
        g_error_free(error);
        g_array_free(got, TRUE);
    }

    g_free(data);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_truncated_file_reads_up_to_last_whole_record)
{
    enum { N_EVENTS = 4 };
    char *run_dir = make_run_dir();
    uint64_t ends[N_EVENTS + 1];
    char *path = write_sample(run_dir, N_EVENTS, ends);
    size_t len;
    uint8_t *data = read_file(path, &len);

    /* every possible cut, as a crash leaves it */
    for (size_t cut = 0; cut <= len; cut++) {
        write_file(path, data, cut);
        int whole = 0;
        while (whole <= N_EVENTS && ends[whole] <= cut)
            whole++;

        GArray *got = g_array_new(FALSE, FALSE, sizeof(scalar_t));
        uint64_t n_records = 0;
        GError *error = NULL;
        ck_assert_msg(ppo_tboard_read(path, collect, got, &n_records, &error), "cut %zu: %s", cut,
                      error ? error->message : "");
        ck_assert_uint_eq(n_records, (uint64_t)whole);
        ck_assert_uint_eq(got->len, (whole == 0 ? 0 : whole - 1) * N_TAGS);
        for (guint j = 0; j < got->len; j++) {
            const scalar_t *s = &g_array_index(got, scalar_t, j);
            ck_assert(s->value == (float)sample_value((int)j / N_TAGS, (int)j % N_TAGS));
        }
        g_array_free(got, TRUE);
    }

    g_free(data);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_read_reports_undecodable_event_with_offset)
{
    enum { N_EVENTS = 2 };
    char *run_dir = make_run_dir();
    uint64_t ends[N_EVENTS + 1];
    char *path = write_sample(run_dir, N_EVENTS, ends);
    size_t len;
    uint8_t *data = read_file(path, &len);

    /* good CRCs around a payload whose summary length runs past the end */
    static const uint8_t bad[] = {0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x2A, 0x40, 0x0A};
    data = g_realloc(data, len + sizeof bad + 16);
    frame(data + len, bad, sizeof bad);
    write_file(path, data, len + sizeof bad + 16);

    GError *error = NULL;
    uint64_t n_records = 0;
    ck_assert(!ppo_tboard_read(path, NULL, NULL, &n_records, &error));
    char *where = g_strdup_printf("record at byte %zu: not a valid Event", len);
    assert_io_error(error, path, where);
    ck_assert_uint_eq(n_records, N_EVENTS + 1);

    g_free(where);
    g_error_free(error);
    g_free(data);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_read_reports_missing_file)
{
    GError *error = NULL;
    ck_assert(!ppo_tboard_read("/nonexistent/events.out.tfevents.x", NULL, NULL, NULL, &error));
    assert_io_error(error, "/nonexistent/events.out.tfevents.x", g_strerror(ENOENT));
    g_error_free(error);
}
END_TEST

/* ---- creating ---- */

START_TEST(test_tboard_create_never_overwrites_an_existing_file)
{
    char *run_dir = make_run_dir();
    GError *error = NULL;
    ppo_tboard_t *tb = ppo_tboard_create(run_dir, 1700000000.0, &error);
    ck_assert_ptr_nonnull(tb);
    char *path = g_strdup(ppo_tboard_path(tb));
    const char *tag = "x";
    const double value = 1;
    ck_assert(ppo_tboard_add_scalars(tb, 1, 1700000000.0, &tag, &value, 1, &error));
    ck_assert(ppo_tboard_close(tb, &error));

    ck_assert_ptr_null(ppo_tboard_create(run_dir, 1700000000.0, &error));
    assert_io_error(error, path, g_strerror(EEXIST));
    g_error_free(error);
    error = NULL;
    uint64_t n_records = 0;
    ck_assert(ppo_tboard_read(path, NULL, NULL, &n_records, &error));
    ck_assert_uint_eq(n_records, 2);

    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_create_reports_run_dir_that_is_a_file)
{
    char *run_dir = make_run_dir();
    char *file = g_build_filename(run_dir, "plain", NULL);
    write_file(file, (const uint8_t *)"x", 1);
    GError *error = NULL;
    ck_assert_ptr_null(ppo_tboard_create(file, 1700000000.0, &error));
    assert_io_error(error, file, g_strerror(ENOTDIR));

    g_error_free(error);
    g_free(file);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

/* ---- resuming ---- */

START_TEST(test_tboard_reopen_cuts_at_each_record_boundary_and_appends)
{
    enum { N_EVENTS = 5 };
    char *run_dir = make_run_dir();
    uint64_t ends[N_EVENTS + 1];
    char *path = write_sample(run_dir, N_EVENTS, ends);

    for (int keep = 0; keep <= N_EVENTS; keep++) {
        char *copy = g_strdup_printf("%s.resume", path);
        size_t len;
        uint8_t *data = read_file(path, &len);
        write_file(copy, data, len);
        g_free(data);

        /* keep `keep` scalar events, then append one more */
        GError *error = NULL;
        ppo_tboard_t *tb = ppo_tboard_reopen(copy, ends[keep], &error);
        ck_assert_msg(tb != NULL, "%s", error ? error->message : "");
        ck_assert_uint_eq(ppo_tboard_offset(tb), ends[keep]);
        ck_assert_str_eq(ppo_tboard_path(tb), copy);
        const double values[N_TAGS] = {-7, 8, 9};
        ck_assert(
            ppo_tboard_add_scalars(tb, 999999, 1800000000.5, sample_tags, values, N_TAGS, &error));
        uint64_t offset = ppo_tboard_offset(tb);
        ck_assert(ppo_tboard_close(tb, &error));

        data = read_file(copy, &len);
        ck_assert_uint_eq(len, offset);
        ck_assert_uint_eq(frame_walk(data, len, NULL), (size_t)keep + 2);
        g_free(data);

        GArray *got = g_array_new(FALSE, FALSE, sizeof(scalar_t));
        ck_assert(ppo_tboard_read(copy, collect, got, NULL, &error));
        ck_assert_uint_eq(got->len, (guint)(keep + 1) * N_TAGS);
        for (guint j = 0; j < got->len; j++) {
            const scalar_t *s = &g_array_index(got, scalar_t, j);
            int k = (int)j / N_TAGS, i = (int)j % N_TAGS;
            ck_assert_str_eq(s->tag, sample_tags[i]);
            if (k < keep) {
                ck_assert_int_eq(s->step, sample_step(k));
                ck_assert(s->value == (float)sample_value(k, i));
            } else {
                ck_assert_int_eq(s->step, 999999);
                ck_assert(s->wall_time == 1800000000.5);
                ck_assert(s->value == (float)values[i]);
            }
        }
        g_array_free(got, TRUE);
        g_free(copy);
    }

    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_reopen_refuses_sizes_off_boundary_or_past_end)
{
    enum { N_EVENTS = 3 };
    char *run_dir = make_run_dir();
    uint64_t ends[N_EVENTS + 1];
    char *path = write_sample(run_dir, N_EVENTS, ends);
    size_t len;
    uint8_t *before = read_file(path, &len);

    /* every size inside a record, then past the end; the file stays as it was */
    for (uint64_t size = 1; size <= len + 1; size++) {
        bool boundary = false;
        for (int k = 0; k <= N_EVENTS; k++)
            boundary = boundary || ends[k] == size;
        if (boundary)
            continue;
        GError *error = NULL;
        ck_assert_msg(ppo_tboard_reopen(path, size, &error) == NULL, "size %" G_GUINT64_FORMAT,
                      size);
        assert_io_error(error, path, size > len ? "the file has only" : "not a record boundary");
        g_error_free(error);
    }
    size_t after_len;
    uint8_t *after = read_file(path, &after_len);
    ck_assert_uint_eq(after_len, len);
    ck_assert_mem_eq(after, before, len);

    g_free(after);
    g_free(before);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_reopen_refuses_damage_before_size)
{
    enum { N_EVENTS = 3 };
    char *run_dir = make_run_dir();
    uint64_t ends[N_EVENTS + 1];
    char *path = write_sample(run_dir, N_EVENTS, ends);
    size_t len;
    uint8_t *data = read_file(path, &len);
    data[ends[1] + 20] ^= 1;
    write_file(path, data, len);

    GError *error = NULL;
    ck_assert_ptr_null(ppo_tboard_reopen(path, ends[N_EVENTS], &error));
    char *where = g_strdup_printf("record at byte %" G_GUINT64_FORMAT ": data CRC", ends[1]);
    assert_io_error(error, path, where);

    g_free(where);
    g_error_free(error);
    g_free(data);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

/* ---- the training loop's contract ---- */

START_TEST(test_tboard_add_scalars_allocates_nothing_after_first_call)
{
    char *run_dir = make_run_dir();
    GError *error = NULL;
    ppo_tboard_t *tb = ppo_tboard_create(run_dir, 1700000000.0, &error);
    ck_assert_ptr_nonnull(tb);
    double values[N_TAGS] = {1, 2, 3};
    ck_assert(ppo_tboard_add_scalars(tb, 0, 1700000000.0, sample_tags, values, N_TAGS, &error));

    /* later calls, with steps growing to long varints and a flush each time */
    alloc_count_start();
    bool ok = true;
    for (int k = 1; k <= 200 && ok; k++) {
        values[k % N_TAGS] = k * 0.5;
        ok = ppo_tboard_add_scalars(tb, ((int64_t)1 << (k % 63)) + k, 1700000000.0 + k, sample_tags,
                                    values, N_TAGS, &error) &&
             ppo_tboard_flush(tb, &error);
    }
    size_t counted = alloc_count_stop(NULL);
    ck_assert_msg(ok, "%s", error ? error->message : "");
    ck_assert_uint_eq(counted, 0);

    /* the counter counts: a call with more tags than before must grow the buffer */
    const char *more_tags[N_TAGS + 1] = {"a", "b", "c", "a much longer tag than any before"};
    double more_values[N_TAGS + 1] = {1, 2, 3, 4};
    alloc_count_start();
    ok = ppo_tboard_add_scalars(tb, 1, 1700000000.0, more_tags, more_values, N_TAGS + 1, &error);
    ck_assert_uint_gt(alloc_count_stop(NULL), 0);
    ck_assert(ok);

    ck_assert(ppo_tboard_close(tb, &error));
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

/* ---- write errors ---- */

START_TEST(test_tboard_full_disk_is_reported_by_flush_add_and_close)
{
    if (!g_file_test("/dev/full", G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "no /dev/full here: full-disk test not run\n");
        return;
    }
    char *run_dir = make_run_dir();
    char *path = g_build_filename(run_dir, "events.out.tfevents.full", NULL);
    ck_assert_int_eq(symlink("/dev/full", path), 0);
    GError *error = NULL;

    /* a small record sits in the stdio buffer; the flush meets the full disk */
    ppo_tboard_t *tb = ppo_tboard_reopen(path, 0, &error);
    ck_assert_msg(tb != NULL, "%s", error ? error->message : "");
    const char *tag = "x";
    const double value = 1;
    ck_assert(ppo_tboard_add_scalars(tb, 1, 1.0, &tag, &value, 1, &error));
    ck_assert(!ppo_tboard_flush(tb, &error));
    assert_io_error(error, path, g_strerror(ENOSPC));
    g_clear_error(&error);

    /* nothing more is written after that, and close says so */
    ck_assert(!ppo_tboard_add_scalars(tb, 2, 1.0, &tag, &value, 1, &error));
    assert_io_error(error, path, "earlier write error");
    g_clear_error(&error);
    ck_assert(!ppo_tboard_close(tb, &error));
    assert_io_error(error, path, NULL);
    g_clear_error(&error);

    /* a record larger than the stdio buffer fails in add_scalars itself */
    tb = ppo_tboard_reopen(path, 0, &error);
    ck_assert_ptr_nonnull(tb);
    enum { N_BIG = 2000 };
    const char **tags = g_new(const char *, N_BIG);
    double *values = g_new(double, N_BIG);
    for (int i = 0; i < N_BIG; i++) {
        tags[i] = "train/a_rather_long_tag_name";
        values[i] = i;
    }
    ck_assert(!ppo_tboard_add_scalars(tb, 1, 1.0, tags, values, N_BIG, &error));
    assert_io_error(error, path, g_strerror(ENOSPC));
    g_clear_error(&error);
    ck_assert(!ppo_tboard_close(tb, &error));
    g_clear_error(&error);

    /* closing after a failed flush, without anything in between, reports too */
    tb = ppo_tboard_reopen(path, 0, &error);
    ck_assert_ptr_nonnull(tb);
    ck_assert(ppo_tboard_add_scalars(tb, 1, 1.0, &tag, &value, 1, &error));
    ck_assert(!ppo_tboard_close(tb, &error));
    assert_io_error(error, path, g_strerror(ENOSPC));
    g_clear_error(&error);

    g_free(values);
    g_free(tags);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

START_TEST(test_tboard_file_size_limit_is_reported_and_file_stays_readable)
{
    struct rlimit saved_limit, limit;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved_limit), 0);
    void (*saved_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    char *run_dir = make_run_dir();
    GError *error = NULL;

    ppo_tboard_t *tb = ppo_tboard_create(run_dir, 1700000000.0, &error);
    ck_assert_ptr_nonnull(tb);
    char *path = g_strdup(ppo_tboard_path(tb));

    /* writes beyond 1000 bytes fail with EFBIG, as a full quota would; no assertion runs under
     * the limit, since Check itself writes files */
    limit = saved_limit;
    limit.rlim_cur = 1000;
    int limited = setrlimit(RLIMIT_FSIZE, &limit);
    double values[N_TAGS] = {1, 2, 3};
    int k = 0;
    bool ok = limited == 0;
    while (ok && k < 100) {
        k++;
        ok = ppo_tboard_add_scalars(tb, k, 1700000000.0 + k, sample_tags, values, N_TAGS, &error) &&
             ppo_tboard_flush(tb, &error);
    }
    GError *close_error = NULL;
    bool closed = ppo_tboard_close(tb, &close_error);
    int restored = setrlimit(RLIMIT_FSIZE, &saved_limit);
    signal(SIGXFSZ, saved_handler);

    ck_assert_int_eq(limited, 0);
    ck_assert_int_eq(restored, 0);
    ck_assert_msg(!ok, "no error after %d records", k);
    assert_io_error(error, path, g_strerror(EFBIG));
    g_clear_error(&error);
    ck_assert(!closed);
    assert_io_error(close_error, path, NULL);
    g_clear_error(&close_error);

    /* what reached the disk is whole records and at most one cut one */
    uint64_t n_records = 0;
    GArray *got = g_array_new(FALSE, FALSE, sizeof(scalar_t));
    ck_assert_msg(ppo_tboard_read(path, collect, got, &n_records, &error), "%s",
                  error ? error->message : "");
    ck_assert_uint_ge(n_records, 2);
    ck_assert_uint_lt(n_records, (uint64_t)k + 1);
    ck_assert_uint_eq(got->len, (n_records - 1) * N_TAGS);

    g_array_free(got, TRUE);
    g_free(path);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

/* ---- a second decoder ---- */

START_TEST(test_tboard_python_decoder_agrees_with_c_reader)
{
    char *python = g_find_program_in_path("python3");
    if (python == NULL) {
        fprintf(stderr, "python3 not found: the second decoder was not run\n");
        return;
    }
    enum { N_EVENTS = 30 };
    char *run_dir = make_run_dir();
    uint64_t ends[N_EVENTS + 1];
    char *path = write_sample(run_dir, N_EVENTS, ends);
    char *script = ppo_test_src_path("tests/core/tfevents_read.py");

    char *argv[] = {python, script, path, NULL};
    char *out = NULL, *err = NULL;
    int status = 0;
    GError *error = NULL;
    ck_assert_msg(
        g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error),
        "%s", error ? error->message : "");
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "tfevents_read.py failed: %s", err);

    GArray *got = g_array_new(FALSE, FALSE, sizeof(scalar_t));
    ck_assert(ppo_tboard_read(path, collect, got, NULL, &error));

    /* the version line, then one line per scalar, equal bit for bit to the C reader's */
    char **lines = g_strsplit(out, "\n", -1);
    guint n_lines = g_strv_length(lines);
    ck_assert_uint_eq(n_lines, 1 + got->len + 1); /* the last one is empty */
    char *version = g_strdup_printf("version\t%s\tbrain.Event:2", "1700000000.125");
    ck_assert_str_eq(lines[0], version);
    for (guint j = 0; j < got->len; j++) {
        const scalar_t *s = &g_array_index(got, scalar_t, j);
        char **cells = g_strsplit(lines[j + 1], "\t", -1);
        ck_assert_uint_eq(g_strv_length(cells), 5);
        ck_assert_str_eq(cells[0], "scalar");
        ck_assert_int_eq(g_ascii_strtoll(cells[1], NULL, 10), s->step);
        ck_assert(g_ascii_strtod(cells[2], NULL) == s->wall_time);
        ck_assert_str_eq(cells[3], s->tag);
        ck_assert_msg(g_ascii_strtod(cells[4], NULL) == (double)s->value, "line %u: %s", j + 2,
                      lines[j + 1]);
        int k = (int)j / N_TAGS, i = (int)j % N_TAGS;
        ck_assert(s->value == (float)sample_value(k, i));
        ck_assert_int_eq(s->step, sample_step(k));
        g_strfreev(cells);
    }
    ck_assert_str_eq(lines[n_lines - 1], "");

    /* and it, too, refuses a flipped byte */
    size_t len;
    uint8_t *data = read_file(path, &len);
    data[ends[2] + 13] ^= 0x80;
    write_file(path, data, len);
    g_free(out);
    g_free(err);
    ck_assert(
        g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
    ck_assert(!g_spawn_check_wait_status(status, NULL));
    char *where = g_strdup_printf("record at byte %" G_GUINT64_FORMAT ": data CRC", ends[2]);
    ck_assert_msg(strstr(err, where) != NULL, "%s", err);

    g_free(where);
    g_free(data);
    g_free(version);
    g_strfreev(lines);
    g_array_free(got, TRUE);
    g_free(out);
    g_free(err);
    g_free(script);
    g_free(path);
    g_free(python);
    ppo_test_rm_tree(run_dir);
    g_free(run_dir);
}
END_TEST

static Suite *tboard_suite(void)
{
    Suite *s = suite_create("ppo_tboard");
    TCase *tc = tcase_create("tboard");
    tcase_add_test(tc, test_tboard_file_is_named_by_time_host_and_pid_in_tb_dir);
    tcase_add_test(tc, test_tboard_first_record_is_file_version_event);
    tcase_add_test(tc, test_tboard_scalar_event_matches_hand_encoding);
    tcase_add_test(tc, test_tboard_image_event_matches_hand_encoding);
    tcase_add_test(tc, test_tboard_reads_back_images_between_scalars);
    tcase_add_test(tc, test_tboard_reads_back_every_step_tag_value_and_wall_time);
    tcase_add_test(tc, test_tboard_every_record_has_valid_crcs_and_offsets_match);
    tcase_add_test(tc, test_tboard_read_reports_every_flipped_byte_with_its_record_offset);
    tcase_add_test(tc, test_tboard_truncated_file_reads_up_to_last_whole_record);
    tcase_add_test(tc, test_tboard_read_reports_undecodable_event_with_offset);
    tcase_add_test(tc, test_tboard_read_reports_missing_file);
    tcase_add_test(tc, test_tboard_create_never_overwrites_an_existing_file);
    tcase_add_test(tc, test_tboard_create_reports_run_dir_that_is_a_file);
    tcase_add_test(tc, test_tboard_reopen_cuts_at_each_record_boundary_and_appends);
    tcase_add_test(tc, test_tboard_reopen_refuses_sizes_off_boundary_or_past_end);
    tcase_add_test(tc, test_tboard_reopen_refuses_damage_before_size);
    tcase_add_test(tc, test_tboard_add_scalars_allocates_nothing_after_first_call);
    tcase_add_test(tc, test_tboard_full_disk_is_reported_by_flush_add_and_close);
    tcase_add_test(tc, test_tboard_file_size_limit_is_reported_and_file_stays_readable);
    tcase_add_test(tc, test_tboard_python_decoder_agrees_with_c_reader);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(tboard_suite());
}
