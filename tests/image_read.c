/* ppofw tests — reading PNG and GIF files (see image_read.h). */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gif_lib.h>
#include <glib.h>
#include <png.h>

#include "image_read.h"

/* Finish reading a PNG begun into img. */
static test_image_t *png_finish(png_image *img, const char *what)
{
    img->format = PNG_FORMAT_RGB;
    test_image_t *t = g_new0(test_image_t, 1);
    t->width = img->width;
    t->height = img->height;
    t->n_frames = 1;
    t->frames = g_new0(uint8_t *, 1);
    t->frames[0] = g_malloc(PNG_IMAGE_SIZE(*img));
    t->delay_cs = g_new0(int, 1);
    t->loop_count = -1;
    ck_assert_msg(png_image_finish_read(img, NULL, t->frames[0], 0, NULL) != 0,
                  "%s: cannot decode: %s", what, img->message);
    return t;
}

test_image_t *test_png_read(const char *path)
{
    png_image img;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    ck_assert_msg(png_image_begin_read_from_file(&img, path) != 0, "%s: not a PNG: %s", path,
                  img.message);
    return png_finish(&img, path);
}

test_image_t *test_png_decode(const uint8_t *png, size_t len)
{
    png_image img;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    ck_assert_msg(png_image_begin_read_from_memory(&img, png, len) != 0,
                  "%zu bytes are not a PNG: %s", len, img.message);
    return png_finish(&img, "a PNG in memory");
}

test_image_t *test_gif_read(const char *path)
{
    int err = 0;
    GifFileType *gif = DGifOpenFileName(path, &err);
    ck_assert_msg(gif != NULL, "%s: cannot open the GIF: %s", path, GifErrorString(err));
    ck_assert_msg(DGifSlurp(gif) == GIF_OK, "%s: cannot decode the GIF: %s", path,
                  GifErrorString(gif->Error));
    test_image_t *t = g_new0(test_image_t, 1);
    t->width = (uint32_t)gif->SWidth;
    t->height = (uint32_t)gif->SHeight;
    t->n_frames = (uint32_t)gif->ImageCount;
    t->frames = g_new0(uint8_t *, MAX(t->n_frames, 1));
    t->delay_cs = g_new0(int, MAX(t->n_frames, 1));
    t->loop_count = -1;
    for (uint32_t f = 0; f < t->n_frames; f++) {
        const SavedImage *si = &gif->SavedImages[f];
        const ColorMapObject *map =
            si->ImageDesc.ColorMap != NULL ? si->ImageDesc.ColorMap : gif->SColorMap;
        ck_assert_msg(map != NULL, "%s: frame %u has no colour table", path, f);
        ck_assert_msg(si->ImageDesc.Left == 0 && si->ImageDesc.Top == 0 &&
                          (uint32_t)si->ImageDesc.Width == t->width &&
                          (uint32_t)si->ImageDesc.Height == t->height,
                      "%s: frame %u does not cover the screen", path, f);
        uint8_t *rgb = g_malloc((size_t)t->width * t->height * 3);
        for (size_t i = 0; i < (size_t)t->width * t->height; i++) {
            const GifColorType c = map->Colors[si->RasterBits[i]];
            rgb[3 * i] = c.Red;
            rgb[3 * i + 1] = c.Green;
            rgb[3 * i + 2] = c.Blue;
        }
        t->frames[f] = rgb;
        GraphicsControlBlock gcb;
        if (DGifSavedExtensionToGCB(gif, (int)f, &gcb) == GIF_OK)
            t->delay_cs[f] = gcb.DelayTime;
        for (int e = 0; e + 1 < si->ExtensionBlockCount; e++) {
            const ExtensionBlock *b = &si->ExtensionBlocks[e];
            if (b->Function == APPLICATION_EXT_FUNC_CODE && b->ByteCount == 11 &&
                memcmp(b->Bytes, "NETSCAPE2.0", 11) == 0 && b[1].ByteCount == 3)
                t->loop_count = b[1].Bytes[1] | b[1].Bytes[2] << 8;
        }
    }
    DGifCloseFile(gif, &err);
    return t;
}

void test_image_free(test_image_t *t)
{
    if (t == NULL)
        return;
    for (uint32_t f = 0; f < t->n_frames; f++)
        g_free(t->frames[f]);
    g_free(t->frames);
    g_free(t->delay_cs);
    g_free(t);
}

void test_image_compare(const uint8_t *a, const uint8_t *b, size_t n_pixels, int tolerance,
                        double *mean_abs, double *frac_off)
{
    double sum = 0.0;
    size_t off = 0;
    for (size_t i = 0; i < n_pixels; i++) {
        bool far = false;
        for (int k = 0; k < 3; k++) {
            const int d = abs((int)a[3 * i + k] - (int)b[3 * i + k]);
            sum += d;
            far |= d > tolerance;
        }
        off += far;
    }
    *mean_abs = n_pixels > 0 ? sum / (3.0 * (double)n_pixels) : 0.0;
    *frac_off = n_pixels > 0 ? (double)off / (double)n_pixels : 0.0;
}
