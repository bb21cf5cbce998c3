/* ppofw tests — plugins/envs/minatar/minatar.c: what the five MinAtar plugins share, through the
 * real .so files and the core's loader: spaces and action sets, MinAtar's sticky actions,
 * the draws a step takes from the core's stream, exact resume through get_state/set_state,
 * refused states and actions, rendering (text and RGB), and a short `ppofw run` with `mlp`.
 *
 * Left out: the rules of each game (test_<game>.c, against the reference data).
 */
#include "config.h"

#include <string.h>

#include "minatar_test.h"
#include "sdk/sdk_test.h"

static const char *const games[] = {"asterix", "breakout", "freeway", "seaquest", "space_invaders"};
static const uint32_t channels[] = {4, 4, 7, 10, 6};
static const uint32_t minimal_sizes[] = {5, 3, 3, 6, 4};
enum { N_GAMES = 5, MAX_DIM = MINATAR_MAX_CHANNELS * MINATAR_CELLS };

static int step(mt_plugin_t *p, int action, ppo_rng_t *rng, uint8_t *obs, double *reward,
                int *terminated)
{
    const float a = (float)action;
    return p->vt->step(p->inst, &a, rng, (float *)(void *)obs, reward, terminated);
}

START_TEST(test_minatar_spaces_are_uint8_grids_with_six_or_the_minimal_actions)
{
    for (int g = 0; g < N_GAMES; g++) {
        for (int minimal = 0; minimal < 2; minimal++) {
            mt_plugin_t p;
            mt_plugin_open(&p, games[g], minimal ? "{minimal_action_set: true}" : "");
            ppo_space_t obs = {0}, act = {0};
            ck_assert_int_eq(p.vt->spaces(p.inst, &obs, &act), 0);
            ck_assert_int_eq(obs.kind, PPO_SPACE_BOX);
            ck_assert_int_eq(obs.dtype, PPO_DTYPE_UINT8);
            ck_assert_uint_eq(obs.rank, 3);
            ck_assert_uint_eq(obs.shape[0], channels[g]);
            ck_assert_uint_eq(obs.shape[1], 10);
            ck_assert_uint_eq(obs.shape[2], 10);
            ck_assert_uint_eq(obs.dim, channels[g] * 100);
            for (uint32_t i = 0; i < obs.dim; i++)
                ck_assert(obs.low[i] == 0.0 && obs.high[i] == 1.0);
            ck_assert_int_eq(act.kind, PPO_SPACE_DISCRETE);
            ck_assert_uint_eq(act.n, minimal ? minimal_sizes[g] : 6);
            ck_assert_uint_eq(p.plugin->vt.env.max_episode_steps, 0);
            mt_plugin_close(&p);
        }
    }
}
END_TEST

/* Breakout from the paddle in the middle, the previous action `left`, stepped with `right`:
 * returns how often the paddle went left (the previous action repeated) over n steps. */
static uint64_t repeats(const char *flow, int n)
{
    mt_plugin_t p;
    mt_plugin_open(&p, "breakout", flow);
    const char *const assign[] = {"pos=5", NULL};
    double *start = mt_state_with(&p, assign, MINATAR_LEFT);
    double *after = g_new(double, p.n_state);
    const size_t pos = mt_state_index(mt_plugin_game(&p), "pos");
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 17, "env", 0);
    uint64_t count = 0;
    for (int i = 0; i < n; i++) {
        mt_step_from(&p, start, MINATAR_RIGHT, &rng, after);
        ck_assert(after[pos] == 4 || after[pos] == 6);
        /* the action applied becomes the previous action */
        ck_assert(after[p.n_state - 1] == (after[pos] == 4 ? MINATAR_LEFT : MINATAR_RIGHT));
        count += after[pos] == 4;
    }
    g_free(start);
    g_free(after);
    mt_plugin_close(&p);
    return count;
}

START_TEST(test_minatar_sticky_actions_repeat_the_previous_action_with_their_probability)
{
    enum { N = 20000 };
    mt_assert_binomial("steps repeating the previous action (p 0.25)",
                       repeats("{sticky_action_prob: 0.25}", N), N, 0.25);
    mt_assert_binomial("steps repeating the previous action (p 0.1, the default)", repeats("", N),
                       N, 0.1);
}
END_TEST

START_TEST(test_minatar_sticky_probability_zero_never_repeats_and_one_always_does)
{
    enum { N = 5000 };
    ck_assert_uint_eq(repeats("{sticky_action_prob: 0}", N), 0);
    ck_assert_uint_eq(repeats("{sticky_action_prob: 1}", N), N);
}
END_TEST

START_TEST(test_minatar_step_takes_one_sticky_draw_when_the_game_draws_nothing)
{
    /* Space Invaders draws nothing: each step advances the stream by exactly one uniform */
    mt_plugin_t p;
    mt_plugin_open(&p, "space_invaders", "{sticky_action_prob: 0}");
    uint8_t obs[MAX_DIM];
    ppo_rng_t rng, expect;
    ppo_rng_seed(&rng, 21, "env", 0);
    ck_assert_int_eq(p.vt->reset(p.inst, &rng, (float *)(void *)obs), 0);
    expect = rng;
    for (int t = 0; t < 30; t++) {
        double reward;
        int terminated;
        ck_assert_int_eq(
            step(&p, t % 4 == 0 ? MINATAR_FIRE : MINATAR_NOOP, &rng, obs, &reward, &terminated), 0);
        (void)ppo_rng_uniform(&expect);
        ck_assert_msg(memcmp(&rng, &expect, sizeof(rng)) == 0, "step %d drew %s", t,
                      "something other than one uniform");
    }
    mt_plugin_close(&p);
}
END_TEST

START_TEST(test_minatar_state_round_trips_mid_episode_and_the_run_continues_identically)
{
    enum { STEPS = 600, EVERY = 37, AFTER = 60 };
    for (int g = 0; g < N_GAMES; g++) {
        mt_plugin_t a, b;
        mt_plugin_open(&a, games[g], "");
        mt_plugin_open(&b, games[g], "");
        double *sa = g_new(double, a.n_state), *sb = g_new(double, a.n_state);
        double *saved = g_new(double, a.n_state);
        uint8_t obs_a[MAX_DIM], obs_b[MAX_DIM];
        const uint32_t dim = channels[g] * 100;
        ppo_rng_t rng, act;
        ppo_rng_seed(&rng, 3, "env", (uint64_t)g);
        ppo_rng_seed(&act, 3, "act", (uint64_t)g);
        ck_assert_int_eq(a.vt->reset(a.inst, &rng, (float *)(void *)obs_a), 0);
        int trips = 0;
        for (int t = 0; t < STEPS; t++) {
            double r;
            int done;
            if (t % EVERY == 5) {
                /* copy the state into the other instance; both go on with the same streams */
                ck_assert_int_eq(a.vt->get_state(a.inst, saved), 0);
                memcpy(sa, saved, sizeof(double) * a.n_state);
                ck_assert_int_eq(b.vt->set_state(b.inst, sa, (float *)(void *)obs_b), 0);
                ck_assert_int_eq(b.vt->get_state(b.inst, sb), 0);
                ck_assert(memcmp(sa, sb, sizeof(double) * a.n_state) == 0);
                ck_assert(memcmp(obs_a, obs_b, dim) == 0);
                ppo_rng_t rng_b = rng, act_b = act;
                ppo_rng_t rng_a = rng, act_a = act;
                for (int k = 0; k < AFTER; k++) {
                    double ra, rb;
                    int ta, tb;
                    const int ua = (int)ppo_rng_below(&act_a, 6),
                              ub = (int)ppo_rng_below(&act_b, 6);
                    ck_assert_int_eq(step(&a, ua, &rng_a, obs_a, &ra, &ta), 0);
                    ck_assert_int_eq(step(&b, ub, &rng_b, obs_b, &rb, &tb), 0);
                    ck_assert_msg(memcmp(obs_a, obs_b, dim) == 0 && ra == rb && ta == tb,
                                  "%s: after set_state at step %d, step %d differs", games[g], t,
                                  k);
                    ck_assert_int_eq(a.vt->get_state(a.inst, sa), 0);
                    ck_assert_int_eq(b.vt->get_state(b.inst, sb), 0);
                    ck_assert(memcmp(sa, sb, sizeof(double) * a.n_state) == 0);
                    if (ta)
                        break;
                }
                /* the original goes back to the saved state and carries on from there */
                ck_assert_int_eq(a.vt->set_state(a.inst, saved, (float *)(void *)obs_a), 0);
                trips++;
            }
            ck_assert_int_eq(step(&a, (int)ppo_rng_below(&act, 6), &rng, obs_a, &r, &done), 0);
            if (done)
                ck_assert_int_eq(a.vt->reset(a.inst, &rng, (float *)(void *)obs_a), 0);
        }
        printf("minatar_%s: %d mid-episode round trips, each followed for up to %d steps\n",
               games[g], trips, AFTER);
        g_free(sa);
        g_free(sb);
        g_free(saved);
        mt_plugin_close(&a);
        mt_plugin_close(&b);
    }
}
END_TEST

/* set_state refuses the state, names `expect` in its message, and leaves the instance as it
 * was. */
static void assert_refused(mt_plugin_t *p, const double *state, const char *expect)
{
    double *before = g_new(double, p->n_state), *after = g_new(double, p->n_state);
    ck_assert_int_eq(p->vt->get_state(p->inst, before), 0);
    ck_assert_int_ne(p->vt->set_state(p->inst, state, NULL), 0);
    char *why = ppo_host_take_error();
    ck_assert_msg(why != NULL && strstr(why, expect) != NULL, "message \"%s\" lacks \"%s\"", why,
                  expect);
    g_free(why);
    ck_assert_int_eq(p->vt->get_state(p->inst, after), 0);
    ck_assert(memcmp(before, after, sizeof(double) * p->n_state) == 0);
    g_free(before);
    g_free(after);
}

START_TEST(test_minatar_set_state_refuses_values_out_of_range_and_unreachable_states)
{
    mt_plugin_t p;
    mt_plugin_open(&p, "breakout", "");
    const char *const none[] = {NULL};
    double *s = mt_state_with(&p, none, 0);
    const size_t ball_y = mt_state_index(mt_plugin_game(&p), "ball_y");
    s[ball_y] = 2.5;
    assert_refused(&p, s, "ball_y is 2.5; expected an integer from 0 to 9");
    s[ball_y] = 10;
    assert_refused(&p, s, "ball_y is 10");
    s[ball_y] = 9;
    assert_refused(&p, s, "bottom row");
    s[ball_y] = 3;
    s[mt_state_index(mt_plugin_game(&p), "bricks[42]")] = 2;
    assert_refused(&p, s, "bricks cell (y 4, x 2) is 2");
    s[mt_state_index(mt_plugin_game(&p), "bricks[42]")] = 0;
    s[p.n_state - 1] = 6;
    assert_refused(&p, s, "the previous action is 6");
    g_free(s);
    mt_plugin_close(&p);

    mt_plugin_open(&p, "seaquest", "");
    const char *const wall[] = {"sub_x=9", "sub_or=0", NULL};
    s = mt_state_with(&p, wall, 0);
    assert_refused(&p, s, "faces the wall");
    g_free(s);
    const char *const too_long[] = {"divers=65", NULL};
    s = mt_state_with(&p, too_long, 0);
    assert_refused(&p, s, "the length of divers is 65");
    g_free(s);
    mt_plugin_close(&p);

    mt_plugin_open(&p, "space_invaders", "");
    s = mt_state_with(&p, none, 0);
    for (int k = 0; k < MINATAR_CELLS; k++) {
        char name[32];
        snprintf(name, sizeof(name), "alien_map[%d]", k);
        s[mt_state_index(mt_plugin_game(&p), name)] = 0;
    }
    assert_refused(&p, s, "no alien");
    g_free(s);
    mt_plugin_close(&p);
}
END_TEST

START_TEST(test_minatar_step_refuses_actions_outside_the_set_and_a_step_before_reset)
{
    mt_plugin_t p;
    mt_plugin_open(&p, "freeway", "{minimal_action_set: true}");
    uint8_t obs[MAX_DIM];
    double reward;
    int terminated;
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 1, "env", 0);
    ck_assert_int_ne(step(&p, 0, &rng, obs, &reward, &terminated), 0);
    char *why = ppo_host_take_error();
    ck_assert_msg(strstr(why, "before reset") != NULL, "%s", why);
    g_free(why);
    ck_assert_int_eq(p.vt->reset(p.inst, &rng, (float *)(void *)obs), 0);
    ck_assert_int_ne(step(&p, 3, &rng, obs, &reward, &terminated), 0);
    why = ppo_host_take_error();
    ck_assert_msg(strstr(why, "action 3 is out of range: expected an integer from 0 to 2") != NULL,
                  "%s", why);
    g_free(why);
    const float half = 1.5f;
    ck_assert_int_ne(p.vt->step(p.inst, &half, &rng, (float *)(void *)obs, &reward, &terminated),
                     0);
    why = ppo_host_take_error();
    ck_assert_msg(strstr(why, "action 1.5 is out of range") != NULL, "%s", why);
    g_free(why);
    mt_plugin_close(&p);
}
END_TEST

/* ---- rendering ---- */

/* Seaborn's cubehelix_palette(n) colours (its documented defaults: start 0, rot 0.4, gamma 1,
 * hue 0.8, light 0.85, dark 0.15), computed with Green's formula in double precision by a
 * separate script and rounded to bytes: for n = 4 and n = 10. */
static const uint8_t palette4[4][3] = {
    {237, 209, 203}, {200, 135, 158}, {131, 76, 125}, {45, 30, 62}};
static const uint8_t palette10[10][3] = {
    {237, 209, 203}, {228, 184, 184}, {216, 159, 170}, {200, 135, 158}, {181, 113, 148},
    {157, 94, 138},  {131, 76, 125},  {102, 60, 109},  {73, 45, 88},    {45, 30, 62}};

START_TEST(test_minatar_palette_is_the_cubehelix_of_seaborns_defaults)
{
    for (uint32_t c = 0; c < 4; c++) {
        uint8_t rgb[3];
        minatar_palette(4, c, rgb);
        ck_assert_msg(memcmp(rgb, palette4[c], 3) == 0, "colour %u of 4 is (%u, %u, %u)", c, rgb[0],
                      rgb[1], rgb[2]);
    }
    for (uint32_t c = 0; c < 10; c++) {
        uint8_t rgb[3];
        minatar_palette(10, c, rgb);
        ck_assert_msg(memcmp(rgb, palette10[c], 3) == 0, "colour %u of 10 is (%u, %u, %u)", c,
                      rgb[0], rgb[1], rgb[2]);
    }
}
END_TEST

enum { PX = 160, CANARY = 64 };

/* Render into a buffer with canary bytes after the image; check they are untouched. */
static void render(mt_plugin_t *p, uint8_t *image)
{
    memset(image + PX * PX * 3, 0xa5, CANARY);
    ck_assert_int_eq(p->vt->render_rgb(p->inst, image), 0);
    for (int k = 0; k < CANARY; k++)
        ck_assert_msg(image[PX * PX * 3 + k] == 0xa5, "render_rgb wrote past the image");
}

/* Every pixel of cell (y, x) has colour rgb. */
static void assert_cell(const uint8_t *image, int y, int x, const uint8_t rgb[3])
{
    for (int py = 0; py < 16; py++)
        for (int px = 0; px < 16; px++) {
            const uint8_t *pix = image + ((size_t)(y * 16 + py) * PX + (size_t)(x * 16 + px)) * 3;
            ck_assert_msg(memcmp(pix, rgb, 3) == 0,
                          "cell (%d, %d) pixel (%d, %d) is (%u, %u, %u), expected (%u, %u, %u)", y,
                          x, py, px, pix[0], pix[1], pix[2], rgb[0], rgb[1], rgb[2]);
        }
}

START_TEST(test_minatar_render_colours_each_cell_by_its_highest_channel)
{
    static const uint8_t black[3] = {0, 0, 0};
    mt_plugin_t p;
    mt_plugin_open(&p, "breakout", "");
    uint32_t w = 0, h = 0;
    ck_assert_int_eq(p.vt->render_size(p.inst, &w, &h), 0);
    ck_assert_uint_eq(w, PX);
    ck_assert_uint_eq(h, PX);
    /* the ball at (5, 2), its trail at (4, 1), the paddle at (9, 4), bricks on rows 1..3 */
    const char *const assign[] = {"ball_x=2", "ball_y=5", "last_x=1", "last_y=4", "pos=4", NULL};
    double *s = mt_state_with(&p, assign, 0);
    ck_assert_int_eq(p.vt->set_state(p.inst, s, NULL), 0);
    uint8_t *image = g_new(uint8_t, PX * PX * 3 + CANARY);
    render(&p, image);
    assert_cell(image, 9, 4, palette4[0]); /* paddle */
    assert_cell(image, 5, 2, palette4[1]); /* ball */
    assert_cell(image, 4, 1, palette4[2]); /* trail */
    assert_cell(image, 1, 7, palette4[3]); /* brick */
    assert_cell(image, 5, 5, black);
    assert_cell(image, 9, 3, black);
    g_free(s);
    g_free(image);
    mt_plugin_close(&p);

    /* a cell with two channels takes the higher one's colour: the ball (1) on its trail (2) */
    mt_plugin_open(&p, "breakout", "");
    const char *const both[] = {"ball_x=2", "ball_y=5", "last_x=2", "last_y=5", NULL};
    s = mt_state_with(&p, both, 0);
    ck_assert_int_eq(p.vt->set_state(p.inst, s, NULL), 0);
    image = g_new(uint8_t, PX * PX * 3 + CANARY);
    render(&p, image);
    assert_cell(image, 5, 2, palette4[2]);
    g_free(s);
    g_free(image);
    mt_plugin_close(&p);

    /* Seaquest's ten channels: the oxygen gauge (7) fills row 9 at reset */
    mt_plugin_open(&p, "seaquest", "");
    s = mt_state_with(&p, (const char *const[]){NULL}, 0);
    ck_assert_int_eq(p.vt->set_state(p.inst, s, NULL), 0);
    image = g_new(uint8_t, PX * PX * 3 + CANARY);
    render(&p, image);
    assert_cell(image, 9, 0, palette10[7]);
    assert_cell(image, 0, 5, palette10[0]); /* sub front */
    assert_cell(image, 0, 6, palette10[1]); /* facing left: its back is to the right */
    g_free(s);
    g_free(image);
    mt_plugin_close(&p);
}
END_TEST

START_TEST(test_minatar_render_is_a_pure_function_of_the_state)
{
    for (int g = 0; g < N_GAMES; g++) {
        mt_plugin_t a, b;
        mt_plugin_open(&a, games[g], "");
        mt_plugin_open(&b, games[g], "");
        uint8_t *first = g_new(uint8_t, PX * PX * 3 + CANARY);
        uint8_t *again = g_new(uint8_t, PX * PX * 3 + CANARY);
        double *s = g_new(double, a.n_state), *s2 = g_new(double, a.n_state);
        uint8_t obs[MAX_DIM];
        ppo_rng_t rng, act;
        ppo_rng_seed(&rng, 9, "env", 0);
        ppo_rng_seed(&act, 9, "act", 0);
        ck_assert_int_eq(a.vt->reset(a.inst, &rng, (float *)(void *)obs), 0);
        for (int t = 0; t < 40; t++) {
            double r;
            int done;
            ck_assert_int_eq(step(&a, (int)ppo_rng_below(&act, 6), &rng, obs, &r, &done), 0);
            if (done)
                break;
        }
        /* twice, after a step and set_state back, and on another instance: the same pixels;
         * the state does not change */
        ck_assert_int_eq(a.vt->get_state(a.inst, s), 0);
        render(&a, first);
        render(&a, again);
        ck_assert(memcmp(first, again, PX * PX * 3) == 0);
        ck_assert_int_eq(a.vt->get_state(a.inst, s2), 0);
        ck_assert(memcmp(s, s2, sizeof(double) * a.n_state) == 0);
        double r;
        int done;
        ck_assert_int_eq(step(&a, MINATAR_FIRE, &rng, obs, &r, &done), 0);
        ck_assert_int_eq(a.vt->set_state(a.inst, s, NULL), 0);
        render(&a, again);
        ck_assert(memcmp(first, again, PX * PX * 3) == 0);
        ck_assert_int_eq(b.vt->set_state(b.inst, s, NULL), 0);
        memset(again, 0, PX * PX * 3);
        render(&b, again);
        ck_assert_msg(memcmp(first, again, PX * PX * 3) == 0, "%s renders differently", games[g]);
        g_free(first);
        g_free(again);
        g_free(s);
        g_free(s2);
        mt_plugin_close(&a);
        mt_plugin_close(&b);
    }
}
END_TEST

START_TEST(test_minatar_render_text_draws_a_title_and_the_grid)
{
    mt_plugin_t p;
    mt_plugin_open(&p, "space_invaders", "");
    double *s = mt_state_with(&p, (const char *const[]){NULL}, MINATAR_FIRE);
    ck_assert_int_eq(p.vt->set_state(p.inst, s, NULL), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_int_eq(p.vt->render_text(p.inst, out), 0);
    fclose(out);
    /* aliens moving left (channel 2: '<') on rows 0..3, columns 2..7; the cannon at (9, 5) */
    const char *want = "minatar_space_invaders terminal=0 last_action=f\n"
                       "..<<<<<<..\n..<<<<<<..\n..<<<<<<..\n..<<<<<<..\n"
                       "..........\n..........\n..........\n..........\n..........\n"
                       ".....^....\n";
    ck_assert_str_eq(text, want);
    free(text);
    g_free(s);
    mt_plugin_close(&p);
}
END_TEST

/* ---- training ---- */

START_TEST(test_minatar_breakout_trains_a_few_iterations_with_mlp_through_ppofw_run)
{
    char *tmp = ppo_test_tmpdir();
    char *yaml = g_build_filename(tmp, "breakout.yaml", NULL);
    char *run = g_build_filename(tmp, "run", NULL);
    const char *pipeline =
        "name: minatar-breakout-smoke\n"
        "seed: 1\n"
        "env: { plugin: minatar_breakout, num_envs: 4, max_episode_steps: 1000 }\n"
        "policy: { plugin: mlp, params: { pi_hidden: [32], vf_hidden: [32] } }\n"
        "advantage: { plugin: gae, params: { gamma: 0.99, lambda: 0.95 } }\n"
        "optimizer: { plugin: adam, params: { lr: 2.5e-4 } }\n"
        "ppo: { total_steps: 1024, rollout_steps: 64, epochs: 2, minibatches: 2 }\n"
        "log: { tensorboard: false }\n";
    ck_assert(g_file_set_contents(yaml, pipeline, -1, NULL));
    sdk_run_t r = sdk_ppofw(NULL, NULL, "run", yaml, "--run-dir", run, "-q", NULL);
    ck_assert_msg(r.status == 0, "ppofw run exited %d: %s", r.status, r.err);
    sdk_run_clear(&r);
    /* four iterations of 4 envs x 64 steps, each a row of metrics.csv after its header */
    char *metrics = g_build_filename(run, "metrics.csv", NULL), *text = NULL;
    ck_assert(g_file_get_contents(metrics, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 6);
    ck_assert(g_str_has_prefix(lines[4], "1024,4,"));
    g_strfreev(lines);
    g_free(text);
    g_free(metrics);
    ppo_test_rm_tree(tmp);
    g_free(run);
    g_free(yaml);
    g_free(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("minatar");
    TCase *tc = tcase_create("plugins");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_minatar_spaces_are_uint8_grids_with_six_or_the_minimal_actions);
    tcase_add_test(tc,
                   test_minatar_sticky_actions_repeat_the_previous_action_with_their_probability);
    tcase_add_test(tc, test_minatar_sticky_probability_zero_never_repeats_and_one_always_does);
    tcase_add_test(tc, test_minatar_step_takes_one_sticky_draw_when_the_game_draws_nothing);
    tcase_add_test(tc,
                   test_minatar_state_round_trips_mid_episode_and_the_run_continues_identically);
    tcase_add_test(tc, test_minatar_set_state_refuses_values_out_of_range_and_unreachable_states);
    tcase_add_test(tc, test_minatar_step_refuses_actions_outside_the_set_and_a_step_before_reset);
    suite_add_tcase(s, tc);
    TCase *rc = tcase_create("render");
    tcase_add_test(rc, test_minatar_palette_is_the_cubehelix_of_seaborns_defaults);
    tcase_add_test(rc, test_minatar_render_colours_each_cell_by_its_highest_channel);
    tcase_add_test(rc, test_minatar_render_is_a_pure_function_of_the_state);
    tcase_add_test(rc, test_minatar_render_text_draws_a_title_and_the_grid);
    suite_add_tcase(s, rc);
    TCase *train = tcase_create("train");
    tcase_set_timeout(train, 300);
    tcase_add_test(train, test_minatar_breakout_trains_a_few_iterations_with_mlp_through_ppofw_run);
    suite_add_tcase(s, train);
    return ppo_test_run(s);
}
