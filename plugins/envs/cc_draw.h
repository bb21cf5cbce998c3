/* ppofw classic-control envs — drawing a state as Gymnasium draws it (linked into each plugin).
 *
 * Gymnasium draws its classic-control envs with pygame on a white surface in a y-up world
 * (everything is drawn, then the surface is flipped vertically). A canvas here is a cairo image
 * surface over a pixel buffer the instance owns, made once on the first render call and kept
 * until destroy, with a transform that puts Gymnasium's y-up pixel coordinates on it: the pixel
 * pygame fills at (px, py) is the unit square [px, px + 1) x [py, py + 1) here, so shapes given
 * in Gymnasium's coordinates land on the same pixels after its flip. Each frame clears to white,
 * the env draws with cairo (anti-aliased, where pygame draws an anti-aliased outline over a
 * filled polygon), and the finished frame is packed into the caller's R, G, B bytes.
 *
 * Per frame nothing is allocated here; cairo's own rasterizer takes and frees scratch memory
 * inside some fill calls (a fill of a rotated polygon or a circle), which is returned before the
 * render callback returns. Left out: text, images (Pendulum's torque arrow is not in the state).
 */
#ifndef PPO_CC_DRAW_H
#define PPO_CC_DRAW_H

#include <stdint.h>

#include <cairo.h>

#include <ppofw/ppofw.h>

/* One instance's drawing surface. Zero-initialized (as calloc leaves it) means "not made yet". */
typedef struct ppo_cc_canvas {
    uint32_t width;           /* pixels per row */
    uint32_t height;          /* rows */
    uint32_t *pixels;         /* (height, width) cairo RGB24 words (owned) */
    cairo_surface_t *surface; /* over pixels (owned) */
    cairo_t *cr;              /* drawing context on surface (owned) */
} ppo_cc_canvas_t;

/* render_size: make the canvas of width x height on the first call (later calls keep it) and
 * report its size. Returns 0, or < 0 after host->error() when it cannot be made. */
int ppo_cc_canvas_size(ppo_cc_canvas_t *canvas, const ppo_host_t *host, uint32_t width,
                       uint32_t height, uint32_t *width_out, uint32_t *height_out);

/* Start a frame: make the canvas if render_size was never called, clear it to white and return
 * the context with Gymnasium's y-up pixel coordinates (NULL after host->error() when the canvas
 * cannot be made). */
cairo_t *ppo_cc_canvas_begin(ppo_cc_canvas_t *canvas, const ppo_host_t *host, uint32_t width,
                             uint32_t height);

/* Finish a frame: write height x width x 3 bytes (R, G, B from the top-left pixel) to rgb_out.
 * Returns 0, or < 0 after host->error() when cairo reports an error in the frame. */
int ppo_cc_canvas_end(ppo_cc_canvas_t *canvas, const ppo_host_t *host, uint8_t *rgb_out);

/* Free what the canvas holds and zero it. Accepts a canvas that was never made. */
void ppo_cc_canvas_fini(ppo_cc_canvas_t *canvas);

/* Fill the polygon of n points (x, y pairs, Gymnasium's coordinates) with a colour given as
 * 0..255 components, as gfxdraw's aapolygon over filled_polygon. */
void ppo_cc_polygon(cairo_t *cr, const double (*points)[2], int n, int r, int g, int b);

/* Fill the disc gfxdraw's filled_circle draws around the pixel (px, py) with integer radius. */
void ppo_cc_disc(cairo_t *cr, int px, int py, int radius, int r, int g, int b);

/* Fill whole pixels: columns [px, px + w), rows [py, py + h) (gfxdraw's hline and vline). */
void ppo_cc_pixels(cairo_t *cr, int px, int py, int w, int h, int r, int g, int b);

/* Gymnasium's mountain-car picture (MountainCar-v0 and MountainCarContinuous-v0): 600x400, the
 * hill sin(3 x) * 0.45 + 0.55 over positions [-1.2, 0.6], the car at `position` tilted with the
 * slope, and the flag at `goal_position`. */
#define PPO_CC_MOUNTAIN_CAR_W 600
#define PPO_CC_MOUNTAIN_CAR_H 400
void ppo_cc_mountain_car(cairo_t *cr, double position, double goal_position);

#endif /* PPO_CC_DRAW_H */
