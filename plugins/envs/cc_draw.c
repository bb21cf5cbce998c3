/* ppofw classic-control envs — drawing a state as Gymnasium draws it (see cc_draw.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cc_draw.h"

/* make the surface and context over a fresh buffer */
static int canvas_make(ppo_cc_canvas_t *c, const ppo_host_t *host, uint32_t width, uint32_t height)
{
    const int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, (int)width);
    if (stride != (int)width * 4) {
        host->error(host, "cairo gives a %dx%d RGB24 surface a row stride of %d bytes, not %u",
                    (int)width, (int)height, stride, width * 4);
        return -1;
    }
    c->pixels = malloc((size_t)width * height * sizeof(uint32_t));
    if (c->pixels == NULL) {
        host->error(host, "out of memory allocating a %ux%u frame", width, height);
        return -1;
    }
    c->surface = cairo_image_surface_create_for_data((unsigned char *)c->pixels, CAIRO_FORMAT_RGB24,
                                                     (int)width, (int)height, stride);
    c->cr = cairo_create(c->surface);
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
        host->error(host, "cairo cannot draw on a %ux%u image: %s", width, height,
                    cairo_status_to_string(cairo_status(c->cr)));
        ppo_cc_canvas_fini(c);
        return -1;
    }
    c->width = width;
    c->height = height;
    /* Gymnasium's y-up pixel coordinates: its row py becomes our row height - 1 - py */
    cairo_translate(c->cr, 0.0, (double)height);
    cairo_scale(c->cr, 1.0, -1.0);
    return 0;
}

int ppo_cc_canvas_size(ppo_cc_canvas_t *canvas, const ppo_host_t *host, uint32_t width,
                       uint32_t height, uint32_t *width_out, uint32_t *height_out)
{
    if (canvas->cr == NULL && canvas_make(canvas, host, width, height) < 0)
        return -1;
    *width_out = canvas->width;
    *height_out = canvas->height;
    return 0;
}

cairo_t *ppo_cc_canvas_begin(ppo_cc_canvas_t *canvas, const ppo_host_t *host, uint32_t width,
                             uint32_t height)
{
    if (canvas->cr == NULL && canvas_make(canvas, host, width, height) < 0)
        return NULL;
    cairo_t *cr = canvas->cr;
    cairo_new_path(cr);
    cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
    cairo_paint(cr);
    return cr;
}

int ppo_cc_canvas_end(ppo_cc_canvas_t *canvas, const ppo_host_t *host, uint8_t *rgb_out)
{
    const cairo_status_t st = cairo_status(canvas->cr);
    if (st != CAIRO_STATUS_SUCCESS) {
        host->error(host, "cairo failed while drawing the frame: %s", cairo_status_to_string(st));
        return -1;
    }
    cairo_surface_flush(canvas->surface);
    const size_t n = (size_t)canvas->width * canvas->height;
    for (size_t i = 0; i < n; i++) {
        const uint32_t p = canvas->pixels[i];
        rgb_out[3 * i + 0] = (uint8_t)(p >> 16);
        rgb_out[3 * i + 1] = (uint8_t)(p >> 8);
        rgb_out[3 * i + 2] = (uint8_t)p;
    }
    return 0;
}

void ppo_cc_canvas_fini(ppo_cc_canvas_t *canvas)
{
    if (canvas->cr != NULL)
        cairo_destroy(canvas->cr);
    if (canvas->surface != NULL)
        cairo_surface_destroy(canvas->surface);
    free(canvas->pixels);
    memset(canvas, 0, sizeof(*canvas));
}

static void set_colour(cairo_t *cr, int r, int g, int b)
{
    cairo_set_source_rgb(cr, r / 255.0, g / 255.0, b / 255.0);
}

void ppo_cc_polygon(cairo_t *cr, const double (*points)[2], int n, int r, int g, int b)
{
    cairo_new_path(cr);
    for (int i = 0; i < n; i++)
        cairo_line_to(cr, points[i][0], points[i][1]);
    cairo_close_path(cr);
    set_colour(cr, r, g, b);
    cairo_fill(cr);
}

void ppo_cc_disc(cairo_t *cr, int px, int py, int radius, int r, int g, int b)
{
    /* filled_circle spans the pixels px - radius .. px + radius: centre px + 0.5, radius + 0.5 */
    cairo_new_path(cr);
    cairo_arc(cr, px + 0.5, py + 0.5, radius + 0.5, 0.0, 2.0 * 3.14159265358979323846);
    cairo_close_path(cr);
    set_colour(cr, r, g, b);
    cairo_fill(cr);
}

void ppo_cc_pixels(cairo_t *cr, int px, int py, int w, int h, int r, int g, int b)
{
    cairo_new_path(cr);
    cairo_rectangle(cr, px, py, w, h);
    set_colour(cr, r, g, b);
    cairo_fill(cr);
}

/* ---- the picture both mountain-car envs share ---- */

#define MC_MIN_POSITION (-1.2)
#define MC_MAX_POSITION 0.6

static double hill_height(double position)
{
    return sin(3 * position) * 0.45 + 0.55;
}

void ppo_cc_mountain_car(cairo_t *cr, double position, double goal_position)
{
    const double scale = PPO_CC_MOUNTAIN_CAR_W / (MC_MAX_POSITION - MC_MIN_POSITION);
    const double carwidth = 40.0, carheight = 20.0, clearance = 10.0;

    /* the hill: 100 points from the left wall to the right one, a 1-pixel line */
    cairo_new_path(cr);
    for (int i = 0; i < 100; i++) {
        const double x = MC_MIN_POSITION + (MC_MAX_POSITION - MC_MIN_POSITION) * i / 99.0;
        cairo_line_to(cr, (x - MC_MIN_POSITION) * scale, hill_height(x) * scale);
    }
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);

    /* the car, tilted with the slope, and its wheels */
    const double angle = cos(3 * position), c = cos(angle), s = sin(angle);
    const double x0 = (position - MC_MIN_POSITION) * scale;
    const double y0 = clearance + hill_height(position) * scale;
    const double corners[4][2] = {{-carwidth / 2, 0},
                                  {-carwidth / 2, carheight},
                                  {carwidth / 2, carheight},
                                  {carwidth / 2, 0}};
    double car[4][2];
    for (int i = 0; i < 4; i++) {
        car[i][0] = corners[i][0] * c - corners[i][1] * s + x0;
        car[i][1] = corners[i][0] * s + corners[i][1] * c + y0;
    }
    ppo_cc_polygon(cr, car, 4, 0, 0, 0);
    for (int k = 0; k < 2; k++) {
        const double wx = (k == 0 ? carwidth / 4 : -carwidth / 4);
        ppo_cc_disc(cr, (int)(wx * c + x0), (int)(wx * s + y0), (int)(carheight / 2.5), 128, 128,
                    128);
    }

    /* the flag at the goal: a pole 50 pixels high and a yellow pennant */
    const int flagx = (int)((goal_position - MC_MIN_POSITION) * scale);
    const int flagy1 = (int)(hill_height(goal_position) * scale), flagy2 = flagy1 + 50;
    ppo_cc_pixels(cr, flagx, flagy1, 1, flagy2 - flagy1 + 1, 0, 0, 0);
    const double flag[3][2] = {{flagx, flagy2}, {flagx, flagy2 - 10}, {flagx + 25, flagy2 - 5}};
    ppo_cc_polygon(cr, flag, 3, 204, 204, 0);
}
