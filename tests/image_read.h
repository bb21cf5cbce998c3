/* ppofw tests — reading the pictures ppofw writes, with the libraries a viewer would use: PNG
 * through libpng, animated GIF through giflib, each decoded to packed RGB. Failures abort the
 * running test. Also a comparison of two RGB images within a tolerance.
 */
#ifndef PPO_TEST_IMAGE_READ_H
#define PPO_TEST_IMAGE_READ_H

#include <stddef.h>
#include <stdint.h>

/* An image or the frames of an animation, each (height, width, 3) RGB. */
typedef struct test_image {
    uint32_t width, height;
    uint32_t n_frames; /* 1 for a PNG */
    uint8_t **frames;  /* (n_frames) owned */
    int *delay_cs;     /* (n_frames) a GIF frame's delay in hundredths of a second; 0 for PNG */
    int loop_count;    /* a GIF's NETSCAPE2.0 loop count (0: forever), -1 without one */
} test_image_t;

test_image_t *test_png_read(const char *path);
test_image_t *test_png_decode(const uint8_t *png, size_t len);
test_image_t *test_gif_read(const char *path);
void test_image_free(test_image_t *image);

/* How far b is from a (both n_pixels RGB pixels): the mean absolute difference per channel, and
 * the fraction of pixels with a channel more than `tolerance` apart. */
void test_image_compare(const uint8_t *a, const uint8_t *b, size_t n_pixels, int tolerance,
                        double *mean_abs, double *frac_off);

#endif /* PPO_TEST_IMAGE_READ_H */
