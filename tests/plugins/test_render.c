/* ppofw tests — the pictures of the env plugins: classic-control geometry as Gymnasium draws
 * it, drawing that keeps no memory per frame, and MuJoCo's renderer (or its clear refusal).
 *
 * The geometry checks look at single pixels whose colour follows from Gymnasium's renderers
 * (sizes, scales, offsets and colours of cartpole.py, acrobot.py, mountain_car.py and
 * pendulum.py), away from anti-aliased edges: they fail when a shape is misplaced, mirrored or
 * miscoloured. The memory check counts the process's allocations and frees while an instance
 * draws ten frames after its first eleven: cairo takes scratch memory inside some fills and returns
 * it before render_rgb does, so what is checked is that every frame frees what it takes and that
 * the heap in use does not grow. What it leaves out: whole pictures against references
 * (tests/cli/test_cmd_eval_record.c) and the purity checks (check-env, test_ppo_check.c).
 */
#include "config.h"

#include <malloc.h>
#include <math.h>
#include <string.h>

#include "alloc_count.h"
#include "ppo_test.h"

/* ---- drawing one state ---- */

/* An instance of `env` with default params, its frame buffer and size. */
typedef struct {
    const ppo_plugin_t *p;
    ppo_params_t *params;
    void *inst;
    uint32_t width, height;
    uint8_t *rgb; /* (height, width, 3) */
} drawer_t;

static void drawer_init(drawer_t *d, const char *env)
{
    d->p = ppo_test_plugin(env);
    d->params = ppo_test_params(d->p, "");
    d->inst = d->p->vt.env.create(&d->p->host, d->params);
    ck_assert_ptr_nonnull(d->inst);
    ck_assert_ptr_nonnull(d->p->vt.env.render_rgb);
    ck_assert_int_eq(d->p->vt.env.render_size(d->inst, &d->width, &d->height), 0);
    d->rgb = g_malloc0((size_t)d->width * d->height * 3);
}

static void drawer_clear(drawer_t *d)
{
    d->p->vt.env.destroy(d->inst);
    ppo_params_free(d->params);
    g_free(d->rgb);
}

/* Draw the state (state_size doubles). */
static void draw_state(drawer_t *d, const double *state)
{
    ck_assert_int_eq(d->p->vt.env.set_state(d->inst, state, NULL), 0);
    ck_assert_int_eq(d->p->vt.env.render_rgb(d->inst, d->rgb), 0);
}

/* Fail unless the pixel at (x, y) from the top-left has the colour `rgb`. */
static void assert_pixel(const drawer_t *d, int x, int y, const int rgb[3], int line)
{
    const uint8_t *px = d->rgb + ((size_t)y * d->width + (size_t)x) * 3;
    ck_assert_msg(px[0] == rgb[0] && px[1] == rgb[1] && px[2] == rgb[2],
                  "line %d: pixel (%d, %d) of %s is %u,%u,%u, expected %d,%d,%d", line, x, y,
                  d->p->name, px[0], px[1], px[2], rgb[0], rgb[1], rgb[2]);
}

#define ASSERT_PIXEL(d, x, y, ...)                                                                 \
    assert_pixel((d), (int)(x), (int)(y), (const int[3]){__VA_ARGS__}, __LINE__)

#define WHITE 255, 255, 255
#define BLACK 0, 0, 0

/* ---- classic control ---- */

START_TEST(test_cartpole_draws_the_cart_pole_axle_and_track_where_gymnasium_does)
{
    drawer_t d;
    drawer_init(&d, "cartpole");
    ck_assert_uint_eq(d.width, 600);
    ck_assert_uint_eq(d.height, 400);
    /* upright at the centre: 125 px per unit, the cart 50x30 centred 100 px above the bottom,
     * the axle 7.5 px above the cart's centre, the pole 120 px beyond the axle */
    draw_state(&d, (const double[4]){0, 0, 0, 0});
    ASSERT_PIXEL(&d, 10, 10, WHITE);
    ASSERT_PIXEL(&d, 10, 299, BLACK);          /* the track, row 400 - 1 - 100 */
    ASSERT_PIXEL(&d, 280, 310, BLACK);         /* the cart below the axle */
    ASSERT_PIXEL(&d, 300, 292, 129, 132, 203); /* the axle */
    ASSERT_PIXEL(&d, 300, 200, 202, 152, 101); /* the pole */
    ASSERT_PIXEL(&d, 300, 160, WHITE);         /* above the pole's end */
    /* x = 1 moves the cart 125 px right; theta = 0.2 leans the pole to the right */
    draw_state(&d, (const double[4]){1.0, 0, 0.2, 0});
    ASSERT_PIXEL(&d, 300, 310, WHITE);
    ASSERT_PIXEL(&d, 425, 310, BLACK);
    const double r = 80.0;
    ASSERT_PIXEL(&d, (int)(425 + r * sin(0.2)), (int)(292.5 - r * cos(0.2)), 202, 152, 101);
    ASSERT_PIXEL(&d, (int)(425 - r * sin(0.2)), (int)(292.5 - r * cos(0.2)), WHITE);
    drawer_clear(&d);
}
END_TEST

START_TEST(test_acrobot_draws_both_links_hanging_from_the_centre_below_the_goal_line)
{
    drawer_t d;
    drawer_init(&d, "acrobot");
    ck_assert_uint_eq(d.width, 500);
    ck_assert_uint_eq(d.height, 500);
    const double scale = 500 / 4.4;
    /* at rest both links hang down from (250, 250); the line one link above it */
    draw_state(&d, (const double[4]){0, 0, 0, 0});
    ASSERT_PIXEL(&d, 250, 250, 204, 204, 0);                      /* the fixed joint */
    ASSERT_PIXEL(&d, 250, (int)(250 + 0.5 * scale), 0, 204, 204); /* first link */
    ASSERT_PIXEL(&d, 250, (int)(250 + scale), 204, 204, 0);       /* the middle joint */
    ASSERT_PIXEL(&d, 250, (int)(250 + 1.5 * scale), 0, 204, 204); /* second link */
    ASSERT_PIXEL(&d, 250, (int)(250 - 0.5 * scale), WHITE);       /* nothing above */
    ASSERT_PIXEL(&d, 20, 499 - (int)(scale + 250), BLACK);        /* the goal line */
    /* theta1 = pi/2 swings the first link to the right, theta2 = -pi/2 turns the second down */
    draw_state(&d, (const double[4]){M_PI / 2, -M_PI / 2, 0, 0});
    ASSERT_PIXEL(&d, (int)(250 + 0.5 * scale), 250, 0, 204, 204);
    ASSERT_PIXEL(&d, (int)(250 - 0.5 * scale), 250, WHITE);
    ASSERT_PIXEL(&d, (int)(250 + scale), (int)(250 + 0.5 * scale), 0, 204, 204);
    drawer_clear(&d);
}
END_TEST

/* Gymnasium's hill and the car's place on it, in image rows from the top */
static double hill_row(double position)
{
    const double scale = 600 / (0.6 - -1.2);
    return 400.0 - (sin(3 * position) * 0.45 + 0.55) * scale;
}

static void check_mountain_car(const char *env, double goal)
{
    drawer_t d;
    drawer_init(&d, env);
    ck_assert_uint_eq(d.width, 600);
    ck_assert_uint_eq(d.height, 400);
    const double scale = 600 / (0.6 - -1.2);
    /* at the valley's bottom (x = -pi/6) the car stands level, its body 10 to 30 px above the
     * hill, wheels at +-10 px on the hill's line plus 10 */
    const double pos = -M_PI / 6;
    draw_state(&d, (const double[2]){pos, 0});
    const int x = (int)((pos + 1.2) * scale);
    ASSERT_PIXEL(&d, x, (int)(hill_row(pos) - 25), BLACK);              /* the body */
    ASSERT_PIXEL(&d, x + 10, (int)(hill_row(pos) - 10), 128, 128, 128); /* a wheel */
    ASSERT_PIXEL(&d, x, (int)(hill_row(pos) - 45), WHITE);              /* above the car */
    /* the flag: a pennant 25 px wide at the top of a 50 px pole on the goal */
    const int flagx = (int)((goal + 1.2) * scale);
    const int flagy2 = (int)((sin(3 * goal) * 0.45 + 0.55) * scale) + 50;
    ASSERT_PIXEL(&d, flagx + 5, 400 - 1 - (flagy2 - 5), 204, 204, 0);
    ASSERT_PIXEL(&d, flagx, 400 - 1 - (flagy2 - 20), BLACK);
    drawer_clear(&d);
}

START_TEST(test_mountain_car_draws_the_hill_car_and_flag_at_0_5)
{
    check_mountain_car("mountain_car", 0.5);
}
END_TEST

START_TEST(test_mountain_car_continuous_draws_the_flag_at_0_45)
{
    check_mountain_car("mountain_car_continuous", 0.45);
}
END_TEST

START_TEST(test_pendulum_draws_the_rod_from_the_pivot_at_its_angle)
{
    drawer_t d;
    drawer_init(&d, "pendulum");
    ck_assert_uint_eq(d.width, 500);
    ck_assert_uint_eq(d.height, 500);
    const double scale = 500 / 4.4;
    /* theta = 0 is upright; theta = pi/2 (counter-clockwise) points left */
    draw_state(&d, (const double[2]){0, 0});
    ASSERT_PIXEL(&d, 250, 250, BLACK); /* the axle */
    ASSERT_PIXEL(&d, 250, (int)(250 - 0.6 * scale), 204, 77, 77);
    ASSERT_PIXEL(&d, 250, (int)(250 + 0.6 * scale), WHITE);
    draw_state(&d, (const double[2]){M_PI / 2, 0});
    ASSERT_PIXEL(&d, (int)(250 - 0.6 * scale), 250, 204, 77, 77);
    ASSERT_PIXEL(&d, 250, (int)(250 - 0.6 * scale), WHITE);
    /* theta is not wrapped in the state: 2 pi more draws the same picture */
    uint8_t *first = g_memdup2(d.rgb, (size_t)d.width * d.height * 3);
    draw_state(&d, (const double[2]){M_PI / 2 + 2 * M_PI, 0});
    ck_assert_int_eq(memcmp(first, d.rgb, (size_t)d.width * d.height * 3), 0);
    g_free(first);
    drawer_clear(&d);
}
END_TEST

/* Allocations, frees and heap growth while an instance draws ten states of an episode, after a
 * first frame (which makes the canvas) and ten more. */
static void memory_per_frame(const char *env, size_t *allocs, size_t *frees, long *heap_growth)
{
    drawer_t d;
    drawer_init(&d, env);
    const ppo_env_vtable_t *vt = &d.p->vt.env;
    float obs[8];
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 7, "render-memory", 0);
    ck_assert_int_eq(vt->reset(d.inst, &rng, obs), 0);
    ck_assert_int_eq(vt->render_rgb(d.inst, d.rgb), 0);
    const float action[1] = {1.0f};
    double reward;
    int terminated;
    /* states first, so only drawing is counted */
    const size_t n = vt->state_size(d.inst);
    double states[10][4];
    ck_assert_uint_le(n, 4);
    for (int k = 0; k < 10; k++) {
        ck_assert_int_eq(vt->step(d.inst, action, &rng, obs, &reward, &terminated), 0);
        ck_assert_int_eq(vt->get_state(d.inst, states[k]), 0);
    }
    /* ten frames to fill cairo's caches (its solid colours, its path buffers), then ten counted */
    for (int k = 0; k < 10; k++) {
        vt->set_state(d.inst, states[k], NULL);
        vt->render_rgb(d.inst, d.rgb);
    }
    const struct mallinfo2 before = mallinfo2();
    alloc_count_start();
    for (int k = 0; k < 10; k++) {
        vt->set_state(d.inst, states[k], NULL);
        vt->render_rgb(d.inst, d.rgb);
    }
    *allocs = alloc_count_stop(frees);
    const struct mallinfo2 after = mallinfo2();
    *heap_growth = (long)after.uordblks - (long)before.uordblks;
    drawer_clear(&d);
}

START_TEST(test_classic_control_drawing_keeps_no_memory_per_frame)
{
    const char *envs[] = {"cartpole", "acrobot", "mountain_car", "mountain_car_continuous",
                          "pendulum"};
    for (size_t i = 0; i < G_N_ELEMENTS(envs); i++) {
        size_t allocs, frees;
        long growth;
        memory_per_frame(envs[i], &allocs, &frees, &growth);
        printf("%-24s 10 frames: %zu allocations (cairo's scratch), %zu frees, heap %+ld bytes\n",
               envs[i], allocs, frees, growth);
        ck_assert_msg(allocs == frees, "%s: %zu allocations but %zu frees over 10 frames", envs[i],
                      allocs, frees);
#ifndef TEST_ASAN
        ck_assert_msg(growth == 0, "%s: the heap grew by %ld bytes over 10 frames", envs[i],
                      growth);
#endif
    }
}
END_TEST

START_TEST(test_classic_control_instance_makes_no_frame_buffer_until_asked_to_draw)
{
    /* an instance that never draws (every training env) costs no picture memory */
    const ppo_plugin_t *p = ppo_test_plugin("cartpole");
    ppo_params_t *params = ppo_test_params(p, "");
    const struct mallinfo2 before = mallinfo2();
    void *inst = p->vt.env.create(&p->host, params);
    const struct mallinfo2 after = mallinfo2();
    ck_assert_ptr_nonnull(inst);
    ck_assert_msg(after.uordblks - before.uordblks < 4096,
                  "create took %zu bytes; a 600x400 frame is not made before render",
                  after.uordblks - before.uordblks);
    p->vt.env.destroy(inst);
    ppo_params_free(params);
}
END_TEST

/* ---- MuJoCo ---- */

#ifdef PPO_HAVE_MUJOCO
START_TEST(test_mujoco_env_draws_through_mujocos_renderer_or_says_why_not)
{
    const ppo_plugin_t *p = ppo_test_plugin("hopper");
    ppo_params_t *params = ppo_test_params(p, "");
    void *inst = p->vt.env.create(&p->host, params);
    ck_assert_ptr_nonnull(inst);
    uint32_t w = 0, h = 0;
    const int rc = p->vt.env.render_size(inst, &w, &h);
#ifdef PPO_HAVE_OSMESA
    char *why = rc != 0 ? ppo_host_take_error() : NULL;
    ck_assert_msg(rc == 0, "render_size failed: %s", why);
    ck_assert_uint_eq(w, 480);
    ck_assert_uint_eq(h, 480);
    float obs[64];
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 3, "render-mujoco", 0);
    ck_assert_int_eq(p->vt.env.reset(inst, &rng, obs), 0);
    uint8_t *a = g_malloc((size_t)w * h * 3), *b = g_malloc((size_t)w * h * 3);
    ck_assert_int_eq(p->vt.env.render_rgb(inst, a), 0);
    /* a picture, not a blank: the robot differs from the background */
    size_t distinct = 0;
    for (size_t i = 3; i < (size_t)w * h * 3; i += 3)
        distinct += memcmp(a + i, a, 3) != 0;
    ck_assert_msg(distinct > 1000, "only %zu pixels differ from the corner's colour", distinct);
    /* the same state, the same pixels; a moved robot, other pixels */
    ck_assert_int_eq(p->vt.env.render_rgb(inst, b), 0);
    ck_assert_int_eq(memcmp(a, b, (size_t)w * h * 3), 0);
    const float action[3] = {1.0f, -1.0f, 1.0f};
    double reward;
    int terminated;
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(p->vt.env.step(inst, action, &rng, obs, &reward, &terminated), 0);
    ck_assert_int_eq(p->vt.env.render_rgb(inst, b), 0);
    ck_assert_int_ne(memcmp(a, b, (size_t)w * h * 3), 0);
    g_free(a);
    g_free(b);
    g_free(why);
#else
    char *why = ppo_host_take_error();
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(why != NULL && strstr(why, "libosmesa6-dev") != NULL, "%s", why);
    g_free(why);
#endif
    p->vt.env.destroy(inst);
    ppo_params_free(params);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("render");
    TCase *cc = tcase_create("classic-control");
    tcase_add_test(cc, test_cartpole_draws_the_cart_pole_axle_and_track_where_gymnasium_does);
    tcase_add_test(cc, test_acrobot_draws_both_links_hanging_from_the_centre_below_the_goal_line);
    tcase_add_test(cc, test_mountain_car_draws_the_hill_car_and_flag_at_0_5);
    tcase_add_test(cc, test_mountain_car_continuous_draws_the_flag_at_0_45);
    tcase_add_test(cc, test_pendulum_draws_the_rod_from_the_pivot_at_its_angle);
    tcase_add_test(cc, test_classic_control_drawing_keeps_no_memory_per_frame);
    tcase_add_test(cc, test_classic_control_instance_makes_no_frame_buffer_until_asked_to_draw);
    suite_add_tcase(s, cc);
#ifdef PPO_HAVE_MUJOCO
    TCase *mj = tcase_create("mujoco");
    tcase_set_timeout(mj, 120);
    tcase_add_test(mj, test_mujoco_env_draws_through_mujocos_renderer_or_says_why_not);
    suite_add_tcase(s, mj);
#endif
    return ppo_test_run(s);
}
