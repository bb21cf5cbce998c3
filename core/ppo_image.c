/* ppofw core — PNG (libpng's simplified API) and animated GIF (giflib) files; see
 * ppo_image_private.h. Leaves out what the pictures show and when they are taken
 * (ppo_record.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gif_lib.h>
#include <png.h>

#include "ppo_image_private.h"

/* ---- PNG ---- */

static void png_image_for(png_image *img, uint32_t width, uint32_t height)
{
    memset(img, 0, sizeof(*img));
    img->version = PNG_IMAGE_VERSION;
    img->width = width;
    img->height = height;
    img->format = PNG_FORMAT_RGB;
}

bool ppo_png_write(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height,
                   GError **error)
{
    png_image img;
    png_image_for(&img, width, height);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot create: %s", path,
                    g_strerror(errno));
        return false;
    }
    const bool written = png_image_write_to_stdio(&img, f, 0, rgb, 0, NULL) != 0;
    const char *why = written ? NULL : img.message;
    const int close_errno = fclose(f) != 0 ? errno : 0;
    if (!written || close_errno != 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot write the PNG: %s", path,
                    why != NULL ? why : g_strerror(close_errno));
        png_image_free(&img);
        unlink(path);
        return false;
    }
    return true;
}

uint8_t *ppo_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height, size_t *len_out,
                        GError **error)
{
    png_image img;
    png_image_for(&img, width, height);
    png_alloc_size_t size = 0;
    /* the size first, then the bytes */
    if (png_image_write_to_memory(&img, NULL, &size, 0, rgb, 0, NULL) == 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "cannot encode a %ux%u PNG: %s", width, height,
                    img.message);
        png_image_free(&img);
        return NULL;
    }
    uint8_t *out = g_malloc(size);
    png_image_for(&img, width, height);
    if (png_image_write_to_memory(&img, out, &size, 0, rgb, 0, NULL) == 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "cannot encode a %ux%u PNG: %s", width, height,
                    img.message);
        png_image_free(&img);
        g_free(out);
        return NULL;
    }
    *len_out = size;
    return out;
}

/* ---- GIF ---- */

#define GIF_HASH_SLOTS 1024 /* open addressing for up to 256 colours, at most a quarter full */

struct ppo_gif {
    GifFileType *file;      /* giflib's writer */
    char *path;             /* the file, for messages and discard */
    uint32_t width, height; /* every frame's size */
    uint32_t delay_cs;      /* each frame's display time */
    uint32_t n_frames;      /* frames written */
    uint8_t *index;         /* (height, width) colour indices of the frame being written */
    uint8_t *planes;        /* (3, height, width) R, G and B planes for the quantizer */
    uint32_t slot_key[GIF_HASH_SLOTS];  /* colour + 1 (0: empty) */
    uint8_t slot_index[GIF_HASH_SLOTS]; /* its palette index */
    GifColorType palette[256];          /* the frame's colour table */
};

static bool gif_fail(ppo_gif_t *gif, GError **error, const char *what, int code)
{
    g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot %s the GIF: %s", gif->path, what,
                GifErrorString(code));
    return false;
}

/* Index the frame with its own colours; false when it has more than 256. */
static bool exact_palette(ppo_gif_t *gif, const uint8_t *rgb, int *n_colours)
{
    const size_t n = (size_t)gif->width * gif->height;
    int count = 0;
    memset(gif->slot_key, 0, sizeof(gif->slot_key));
    for (size_t i = 0; i < n; i++) {
        const uint32_t key = ((uint32_t)rgb[3 * i] << 16 | (uint32_t)rgb[3 * i + 1] << 8 |
                              (uint32_t)rgb[3 * i + 2]) +
                             1;
        uint32_t h = (key * 2654435761u) >> 22; /* top 10 bits: a slot */
        while (gif->slot_key[h] != 0 && gif->slot_key[h] != key)
            h = (h + 1) & (GIF_HASH_SLOTS - 1);
        if (gif->slot_key[h] == 0) {
            if (count == 256)
                return false;
            gif->slot_key[h] = key;
            gif->slot_index[h] = (uint8_t)count;
            gif->palette[count] = (GifColorType){rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]};
            count++;
        }
        gif->index[i] = gif->slot_index[h];
    }
    *n_colours = count;
    return true;
}

/* Index the frame with 256 colours chosen by giflib's median cut. giflib reduces colours to 5
 * bits a channel before it cuts and gives each box the mean of those, so a white background
 * would come out light grey: each colour is taken again as the exact mean of its pixels. */
static bool quantized_palette(ppo_gif_t *gif, const uint8_t *rgb, int *n_colours)
{
    const size_t n = (size_t)gif->width * gif->height;
    uint8_t *r = gif->planes, *g = r + n, *b = g + n;
    for (size_t i = 0; i < n; i++) {
        r[i] = rgb[3 * i];
        g[i] = rgb[3 * i + 1];
        b[i] = rgb[3 * i + 2];
    }
    int size = 256;
    if (GifQuantizeBuffer(gif->width, gif->height, &size, r, g, b, gif->index, gif->palette) ==
        GIF_ERROR)
        return false;
    uint64_t sum[256][3] = {{0}};
    uint32_t count[256] = {0};
    for (size_t i = 0; i < n; i++) {
        const uint8_t k = gif->index[i];
        sum[k][0] += rgb[3 * i];
        sum[k][1] += rgb[3 * i + 1];
        sum[k][2] += rgb[3 * i + 2];
        count[k]++;
    }
    for (int k = 0; k < size; k++)
        if (count[k] > 0)
            gif->palette[k] = (GifColorType){(uint8_t)((sum[k][0] + count[k] / 2) / count[k]),
                                             (uint8_t)((sum[k][1] + count[k] / 2) / count[k]),
                                             (uint8_t)((sum[k][2] + count[k] / 2) / count[k])};
    *n_colours = size;
    return true;
}

ppo_gif_t *ppo_gif_create(const char *path, uint32_t width, uint32_t height, uint32_t delay_cs,
                          GError **error)
{
    g_return_val_if_fail(width > 0 && width <= 65535 && height > 0 && height <= 65535, NULL);
    ppo_gif_t *gif = g_new0(ppo_gif_t, 1);
    gif->path = g_strdup(path);
    gif->width = width;
    gif->height = height;
    gif->delay_cs = delay_cs;
    int code = 0;
    /* never through a link: a recording goes into the run directory itself */
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot create: %s", path,
                    g_strerror(errno));
        goto out_free;
    }
    gif->file = EGifOpenFileHandle(fd, &code);
    if (gif->file == NULL) {
        close(fd);
        gif_fail(gif, error, "start", code);
        goto out_unlink;
    }

    /* GIF89a, no global colour table, and the Netscape extension asking viewers to loop */
    static const GifByteType netscape[] = "NETSCAPE2.0";
    static const GifByteType loop_forever[3] = {1, 0, 0};
    EGifSetGifVersion(gif->file, true);
    if (EGifPutScreenDesc(gif->file, (int)width, (int)height, 8, 0, NULL) == GIF_ERROR ||
        EGifPutExtensionLeader(gif->file, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(gif->file, 11, netscape) == GIF_ERROR ||
        EGifPutExtensionBlock(gif->file, 3, loop_forever) == GIF_ERROR ||
        EGifPutExtensionTrailer(gif->file) == GIF_ERROR) {
        gif_fail(gif, error, "write the header of", gif->file->Error);
        EGifCloseFile(gif->file, &code);
        goto out_unlink;
    }
    gif->index = g_malloc((size_t)width * height);
    gif->planes = g_malloc((size_t)width * height * 3);
    return gif;

out_unlink:
    unlink(path);
out_free:
    g_free(gif->path);
    g_free(gif);
    return NULL;
}

bool ppo_gif_add_frame(ppo_gif_t *gif, const uint8_t *rgb, GError **error)
{
    int n_colours = 0;
    if (!exact_palette(gif, rgb, &n_colours) && !quantized_palette(gif, rgb, &n_colours)) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cannot reduce frame %u to 256 colours",
                    gif->path, gif->n_frames);
        return false;
    }
    /* a colour table has a power of two entries, at least 2 */
    const int bits = GifBitSize(MAX(n_colours, 2));
    for (int i = n_colours; i < (1 << bits); i++)
        gif->palette[i] = (GifColorType){0, 0, 0};
    ColorMapObject *map = GifMakeMapObject(1 << bits, gif->palette);
    if (map == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: out of memory for a colour table",
                    gif->path);
        return false;
    }

    /* the frame's delay, then its image with the local colour table, row by row */
    GraphicsControlBlock gcb = {
        .DisposalMode = DISPOSE_DO_NOT,
        .UserInputFlag = false,
        .DelayTime = (int)gif->delay_cs,
        .TransparentColor = NO_TRANSPARENT_COLOR,
    };
    GifByteType ext[4];
    const size_t ext_len = EGifGCBToExtension(&gcb, ext);
    bool ok = EGifPutExtension(gif->file, GRAPHICS_EXT_FUNC_CODE, (int)ext_len, ext) != GIF_ERROR &&
              EGifPutImageDesc(gif->file, 0, 0, (int)gif->width, (int)gif->height, false, map) !=
                  GIF_ERROR;
    for (uint32_t y = 0; ok && y < gif->height; y++)
        ok = EGifPutLine(gif->file, gif->index + (size_t)y * gif->width, (int)gif->width) !=
             GIF_ERROR;
    GifFreeMapObject(map);
    if (!ok)
        return gif_fail(gif, error, "write a frame of", gif->file->Error);
    gif->n_frames++;
    return true;
}

uint32_t ppo_gif_n_frames(const ppo_gif_t *gif)
{
    return gif->n_frames;
}

static void gif_free(ppo_gif_t *gif)
{
    g_free(gif->index);
    g_free(gif->planes);
    g_free(gif->path);
    g_free(gif);
}

bool ppo_gif_close(ppo_gif_t *gif, GError **error)
{
    if (gif == NULL)
        return true;
    int code = 0;
    const bool ok = EGifCloseFile(gif->file, &code) != GIF_ERROR;
    if (!ok)
        gif_fail(gif, error, "finish", code);
    gif_free(gif);
    return ok;
}

void ppo_gif_discard(ppo_gif_t *gif)
{
    if (gif == NULL)
        return;
    int code = 0;
    EGifCloseFile(gif->file, &code);
    unlink(gif->path);
    gif_free(gif);
}
