/* ppofw core — learning-curve figures painted with cairo and written as PNG.
 *
 * A canvas (ppo_svg_private.h) that paints what the layout in ppo_svg.c describes onto a cairo
 * image surface of the SVG's size: the same paths, rectangles and texts, in the same order, with
 * the SVG's font (DejaVu Sans through fontconfig), so a PNG and an SVG of one figure show the
 * same picture. Leaves out the layout itself and the SVG text (ppo_svg.c) and the PNG encoding
 * (ppo_image.c).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include "ppo_file_private.h"
#include "ppo_image_private.h"
#include "ppo_svg_private.h"

#define FONT_FAMILY "DejaVu Sans"

typedef struct {
    cairo_surface_t *surface; /* the page, made by begin */
    cairo_t *cr;              /* drawing on it */
} png_canvas_t;

/* "#rrggbb" as the source colour, with alpha */
static void set_colour(cairo_t *cr, const char *hex, double alpha)
{
    const unsigned long v = strtoul(hex + 1, NULL, 16);
    cairo_set_source_rgba(cr, (double)((v >> 16) & 0xff) / 255.0, (double)((v >> 8) & 0xff) / 255.0,
                          (double)(v & 0xff) / 255.0, alpha);
}

static void png_begin(void *self, double width, double height, const char *title)
{
    png_canvas_t *c = self;
    c->surface =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(width), (int)ceil(height));
    c->cr = cairo_create(c->surface);
    cairo_set_source_rgb(c->cr, 1.0, 1.0, 1.0);
    cairo_paint(c->cr);
}

static void png_group(void *self, const char *cls)
{
}

/* fill, then stroke, the current path as the style says */
static void paint(cairo_t *cr, const ppo_fig_style_t *st)
{
    if (st->fill != NULL) {
        set_colour(cr, st->fill, st->fill_opacity > 0 ? st->fill_opacity : 1.0);
        cairo_fill_preserve(cr);
    }
    if (st->stroke != NULL) {
        set_colour(cr, st->stroke, 1.0);
        cairo_set_line_width(cr, st->stroke_width);
        cairo_set_line_join(cr, st->round_join ? CAIRO_LINE_JOIN_ROUND : CAIRO_LINE_JOIN_MITER);
        double dash[8];
        int n = 0;
        for (const char *p = st->dash; p != NULL && *p != '\0' && n < 8;) {
            char *end;
            dash[n] = strtod(p, &end);
            if (end == p)
                break;
            n++;
            p = end;
        }
        cairo_set_dash(cr, dash, n, 0.0);
        cairo_stroke_preserve(cr);
    }
    cairo_new_path(cr);
}

static void png_path(void *self, const ppo_fig_style_t *style, const ppo_fig_cmd_t *cmds, size_t n)
{
    cairo_t *cr = ((png_canvas_t *)self)->cr;
    cairo_new_path(cr);
    for (size_t i = 0; i < n; i++) {
        double x = 0, y = 0;
        if (cairo_has_current_point(cr))
            cairo_get_current_point(cr, &x, &y);
        switch (cmds[i].op) {
        case PPO_FIG_MOVE:
            cairo_move_to(cr, cmds[i].x, cmds[i].y);
            break;
        case PPO_FIG_LINE:
            cairo_line_to(cr, cmds[i].x, cmds[i].y);
            break;
        case PPO_FIG_HLINE:
            cairo_line_to(cr, cmds[i].x, y);
            break;
        case PPO_FIG_VLINE:
            cairo_line_to(cr, x, cmds[i].y);
            break;
        case PPO_FIG_HREL:
            cairo_line_to(cr, x + cmds[i].x, y);
            break;
        case PPO_FIG_CLOSE:
            cairo_close_path(cr);
            break;
        }
    }
    paint(cr, style);
}

static void png_rect(void *self, const ppo_fig_style_t *style, double x, double y, double w,
                     double h)
{
    cairo_t *cr = ((png_canvas_t *)self)->cr;
    cairo_new_path(cr);
    cairo_rectangle(cr, x, y, w, h);
    paint(cr, style);
}

static void png_text(void *self, const ppo_fig_text_t *place, const char *text)
{
    cairo_t *cr = ((png_canvas_t *)self)->cr;
    cairo_save(cr);
    cairo_select_font_face(cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL,
                           place->bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, place->size);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, text, &ext);
    const double shift = strcmp(place->anchor, "middle") == 0 ? ext.x_advance / 2
                         : strcmp(place->anchor, "end") == 0  ? ext.x_advance
                                                              : 0.0;
    cairo_translate(cr, place->x, place->y);
    cairo_rotate(cr, place->rotate * M_PI / 180.0);
    cairo_move_to(cr, -shift, 0.0);
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    cairo_show_text(cr, text);
    cairo_restore(cr);
}

static void png_end(void *self)
{
    cairo_surface_flush(((png_canvas_t *)self)->surface);
}

bool ppo_svg_write_png(const ppo_svg_figure_t *fig, const char *path, GError **error)
{
    png_canvas_t c = {0};
    const ppo_fig_canvas_t canvas = {png_begin, png_group, png_path, png_rect,
                                     png_text,  png_end,   &c};
    ppo_svg_draw(fig, &canvas);
    bool ok = false;
    if (cairo_status(c.cr) != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_IO, "%s: cairo could not draw the figure: %s", path,
                    cairo_status_to_string(cairo_status(c.cr)));
        goto out;
    }

    /* cairo's 0x00RRGGBB words to R, G, B bytes */
    const int w = cairo_image_surface_get_width(c.surface);
    const int h = cairo_image_surface_get_height(c.surface);
    const int stride = cairo_image_surface_get_stride(c.surface);
    const uint8_t *data = cairo_image_surface_get_data(c.surface);
    uint8_t *rgb = g_malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)(row[x] >> 16);
            p[1] = (uint8_t)(row[x] >> 8);
            p[2] = (uint8_t)row[x];
        }
    }
    /* a user's output: encoded in memory, then written as ppo_output_write writes (a device or a
     * FIFO in place, a file replaced whole) */
    size_t len = 0;
    uint8_t *png = ppo_png_encode(rgb, (uint32_t)w, (uint32_t)h, &len, error);
    g_free(rgb);
    ok = png != NULL && ppo_output_write(path, "the PNG plot", png, len, error);
    g_free(png);
out:
    cairo_destroy(c.cr);
    cairo_surface_destroy(c.surface);
    return ok;
}

void ppo_svg_png_release_fonts(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
