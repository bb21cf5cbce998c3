/* ppofw tests — recorded episodes through the ppofw program: `ppofw eval --record` and
 * `ppofw run` with eval.record, as a user runs them.
 *
 * Each classic-control env is trained for one short iteration (a fixed seed; the first frame
 * depends on the evaluation seed's reset only, not on the policy), evaluated for one episode
 * with --record, and the GIF is decoded with giflib: one frame after the reset and one per
 * step, the frame time, the loop, and the first frame against tests/data/render/ENV-reset.png
 * (made by tests/data/render/make-references.sh) within a tolerance for GIF's colour tables.
 * The bad inputs each get their message and exit code while the returns are still reported.
 * What it leaves out: the solved CartPole (test_cli_lifecycle.c) and the pictures' geometry
 * (tests/plugins/test_render.c).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "image_read.h"
#include "ppo_checkpoint_private.h"
#include "ppo_rundir_private.h"
#include "ppo_tboard_private.h"
#include "sdk/sdk_test.h"

/* GIF colour tables cost a little: at most 1% of pixels more than 48 apart, mean below 1.5 */
#define REF_TOLERANCE 48
#define REF_MAX_OFF 0.01
#define REF_MAX_MEAN 1.5

static char *tmp_root;

static void setup(void)
{
    tmp_root = ppo_test_tmpdir();
}

static void teardown(void)
{
    ppo_test_rm_tree(tmp_root);
    g_free(tmp_root);
}

static char *in_tmp(const char *name)
{
    return g_build_filename(tmp_root, name, NULL);
}

/* Fail the test with the run's output unless it exited with `code`. */
static void expect_exit(const sdk_run_t *r, int code, const char *what)
{
    ck_assert_msg(r->status == code, "%s: exit %d, expected %d\nstdout: %s\nstderr: %s", what,
                  r->status, code, r->out, r->err);
}

/* A checkpoint of `config` (a file in configs/ or an absolute path) after one short iteration,
 * with extra KEY=VALUE settings (NULL-terminated). (transfer full) */
static char *short_checkpoint(const char *config, const char *name, const char *const *sets)
{
    char *cfg = g_path_is_absolute(config) ? g_strdup(config) : ppo_test_src_path(config);
    char *dir = in_tmp(name);
    GPtrArray *argv = g_ptr_array_new();
    char *prog = g_build_filename(sdk_build_dir(), "ppofw", NULL);
    const char *base[] = {prog,    "run",
                          cfg,     "--run-dir",
                          dir,     "-q",
                          "--set", "ppo.total_steps=256",
                          "--set", "env.num_envs=1",
                          "--set", "ppo.rollout_steps=256",
                          "--set", "ppo.minibatches=1"};
    for (size_t i = 0; i < G_N_ELEMENTS(base); i++)
        g_ptr_array_add(argv, (gpointer)base[i]);
    for (const char *const *s = sets; s != NULL && *s != NULL; s++) {
        g_ptr_array_add(argv, "--set");
        g_ptr_array_add(argv, (gpointer)*s);
    }
    g_ptr_array_add(argv, NULL);
    char *err = NULL;
    int status = 0;
    ck_assert(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                           NULL, &err, &status, NULL));
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "training %s failed: %s", config, err);
    char *ckpt = ppo_rundir_latest_checkpoint(dir, NULL);
    ck_assert_msg(ckpt != NULL, "no checkpoint in %s", dir);
    g_free(err);
    g_free(prog);
    g_ptr_array_free(argv, TRUE);
    g_free(dir);
    g_free(cfg);
    return ckpt;
}

/* Fail unless every fragment (NULL-terminated) is in `text`. */
static void assert_contains(const char *text, ...)
{
    va_list ap;
    va_start(ap, text);
    for (const char *frag = va_arg(ap, const char *); frag != NULL; frag = va_arg(ap, const char *))
        ck_assert_msg(strstr(text, frag) != NULL, "\"%s\" is not in:\n%s", frag, text);
    va_end(ap);
}

/* A number after `key` in a JSON object printed by eval --json. */
static double json_number(const char *json, const char *key)
{
    char *pattern = g_strdup_printf("\"%s\": ", key);
    const char *at = strstr(json, pattern);
    ck_assert_msg(at != NULL, "no %s in %s", key, json);
    const double v = g_ascii_strtod(at + strlen(pattern), NULL);
    g_free(pattern);
    return v;
}

/* The one entry of `dir` whose name starts with `prefix` (transfer full); fails unless exactly
 * one does. */
static char *only_entry(const char *dir, const char *prefix)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    ck_assert_msg(d != NULL, "no directory %s", dir);
    char *found = NULL;
    guint n = 0;
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        if (!g_str_has_prefix(name, prefix))
            continue;
        n++;
        g_free(found);
        found = g_build_filename(dir, name, NULL);
    }
    g_dir_close(d);
    ck_assert_msg(n == 1, "%u entries of %s start with %s", n, dir, prefix);
    return found;
}

/* Names in `dir` (none: an empty string), for messages. (transfer full) */
static char *listing(const char *dir)
{
    GString *s = g_string_new(NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL)
        g_string_append_printf(s, "%s ", name);
    if (d != NULL)
        g_dir_close(d);
    return g_string_free(s, FALSE);
}

/* Compare a frame with the reference picture of `env` within the tolerance. */
static void assert_matches_reference(const char *env, const uint8_t *frame, uint32_t w, uint32_t h)
{
    char *file = g_strdup_printf("render/%s-reset.png", env);
    char *path = ppo_test_data_path(file);
    test_image_t *ref = test_png_read(path);
    ck_assert_uint_eq(ref->width, w);
    ck_assert_uint_eq(ref->height, h);
    double mean, off;
    test_image_compare(ref->frames[0], frame, (size_t)w * h, REF_TOLERANCE, &mean, &off);
    printf("%-24s first frame vs %s: mean difference %.3f, %.4f%% of pixels off by > %d\n", env,
           file, mean, 100 * off, REF_TOLERANCE);
    ck_assert_msg(mean <= REF_MAX_MEAN && off <= REF_MAX_OFF,
                  "%s: the first frame differs from %s: mean %.3f, %.4f%% of pixels off", env, path,
                  mean, 100 * off);
    test_image_free(ref);
    g_free(path);
    g_free(file);
}

/* ---- eval --record ---- */

/* Record one deterministic episode of at most `steps` steps of `env`; check the GIF. */
static void check_recorded_episode(const char *config, const char *env, const char *steps)
{
    char *ckpt = short_checkpoint(config, env, NULL);
    char *gif_name = g_strdup_printf("%s.gif", env);
    char *target = in_tmp(gif_name);
    char *limit = g_strdup_printf("env.max_episode_steps=%s", steps);
    sdk_run_t r = sdk_ppofw(NULL, NULL, "eval", "--checkpoint", ckpt, "--deterministic", "-n", "1",
                            "--record", target, "--set", limit, "--json", NULL);
    expect_exit(&r, 0, "eval --record");
    const double length = json_number(r.out, "length_mean");
    const double ret = json_number(r.out, "return_mean");

    /* named after OUT, the episode and its return */
    char *prefix = g_strdup_printf("%s-ep000-return", env);
    char *path = only_entry(tmp_root, prefix);
    ck_assert_msg(g_str_has_suffix(path, ".gif"), "%s", path);
    const double named = g_ascii_strtod(strstr(path, "-return") + strlen("-return"), NULL);
    ck_assert_msg(fabs(named - ret) < 0.006, "%s names return %g, eval reports %g", path, named,
                  ret);
    ck_assert_ptr_nonnull(strstr(r.err, path));

    /* the reset's frame and one per step, 3/100 s each, looping */
    test_image_t *gif = test_gif_read(path);
    ck_assert_msg(gif->n_frames == (uint32_t)length + 1, "%s: %u frames for %g steps", path,
                  gif->n_frames, length);
    ck_assert_int_eq(gif->delay_cs[0], 3);
    ck_assert_int_eq(gif->loop_count, 0);
    assert_matches_reference(env, gif->frames[0], gif->width, gif->height);
    test_image_free(gif);
    sdk_run_clear(&r);
    g_free(path);
    g_free(prefix);
    g_free(limit);
    g_free(target);
    g_free(gif_name);
    g_free(ckpt);
}

START_TEST(test_eval_records_a_pendulum_episode_as_a_gif_of_its_steps)
{
    check_recorded_episode("configs/pendulum.yaml", "pendulum", "40");
}
END_TEST

START_TEST(test_eval_records_an_acrobot_episode_as_a_gif_of_its_steps)
{
    check_recorded_episode("configs/acrobot.yaml", "acrobot", "40");
}
END_TEST

START_TEST(test_eval_records_a_mountain_car_episode_as_a_gif_of_its_steps)
{
    check_recorded_episode("configs/mountaincar.yaml", "mountain_car", "40");
}
END_TEST

START_TEST(test_eval_records_a_mountain_car_continuous_episode_as_a_gif_of_its_steps)
{
    check_recorded_episode("configs/mountaincar-continuous.yaml", "mountain_car_continuous", "40");
}
END_TEST

START_TEST(test_eval_records_each_episode_as_a_directory_of_png_frames)
{
    char *ckpt = short_checkpoint("configs/cartpole.yaml", "cartpole", NULL);
    char *frames = in_tmp("frames");
    sdk_run_t r = sdk_ppofw(NULL, NULL, "eval", "--checkpoint", ckpt, "-n", "2", "--record", frames,
                            "--frames", "--set", "env.max_episode_steps=25", "--json", NULL);
    expect_exit(&r, 0, "eval --record --frames");
    /* two episodes in order, each a directory with a frame per step and one for the reset */
    for (int e = 0; e < 2; e++) {
        char *prefix = g_strdup_printf("ep%03d-return", e);
        char *dir = only_entry(frames, prefix);
        const double length = g_ascii_strtod(strstr(dir, "-return") + strlen("-return"), NULL);
        for (int k = 0; k <= (int)length + 1; k++) {
            char *name = g_strdup_printf("frame-%05d.png", k);
            char *png = g_build_filename(dir, name, NULL);
            ck_assert_msg(g_file_test(png, G_FILE_TEST_EXISTS) == (k <= (int)length),
                          "%s %s (an episode of %g steps)",
                          k <= (int)length ? "missing" : "one frame too many:", png, length);
            g_free(png);
            g_free(name);
        }
        if (e == 0) {
            char *first = g_build_filename(dir, "frame-00000.png", NULL);
            test_image_t *img = test_png_read(first);
            assert_matches_reference("cartpole", img->frames[0], img->width, img->height);
            test_image_free(img);
            g_free(first);
        }
        g_free(dir);
        g_free(prefix);
    }
    sdk_run_clear(&r);
    g_free(frames);
    g_free(ckpt);
}
END_TEST

/* A pipeline file for a fixture env with `params` (flow YAML). (transfer full) */
static char *fixture_pipeline(const char *name, const char *env, const char *params)
{
    char *path = in_tmp(name);
    char *text = g_strdup_printf("env: {plugin: %s, params: %s}\npolicy: {plugin: mlp}\n"
                                 "advantage: {plugin: gae}\noptimizer: {plugin: adam}\n"
                                 "ppo: {total_steps: 256}\n",
                                 env, params);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    g_free(text);
    return path;
}

START_TEST(test_eval_record_of_an_env_that_cannot_draw_says_so_and_still_reports_returns)
{
    char *pipeline = fixture_pipeline("walk.yaml", "fx_env", "{}");
    char *ckpt = short_checkpoint(pipeline, "walk", NULL);
    char *target = in_tmp("walk.gif");
    sdk_run_t r =
        sdk_ppofw(NULL, NULL, "eval", "--checkpoint", ckpt, "-n", "3", "--record", target, NULL);
    /* the plugin's shortcoming: exit 3, after the evaluation's result */
    expect_exit(&r, 3, "eval --record of fx_env");
    ck_assert_ptr_nonnull(strstr(r.out, "3 episodes"));
    assert_contains(r.err, "plugin \"fx_env\"", "cannot be recorded", "no render_size/render_rgb",
                    "docs/plugin-guide.md", "evaluating without recording", NULL);
    char *files = listing(tmp_root);
    ck_assert_msg(strstr(files, ".gif") == NULL, "files: %s", files);
    g_free(files);
    sdk_run_clear(&r);
    g_free(target);
    g_free(ckpt);
    g_free(pipeline);
}
END_TEST

START_TEST(test_eval_record_into_an_unwritable_place_exits_5_and_still_reports_returns)
{
    char *ckpt = short_checkpoint("configs/cartpole.yaml", "cartpole", NULL);
    /* a path under a regular file cannot be made, not even by root */
    char *file = in_tmp("a-file");
    ck_assert(g_file_set_contents(file, "x", -1, NULL));
    char *target = g_build_filename(file, "videos", "cartpole.gif", NULL);
    sdk_run_t r = sdk_ppofw(NULL, NULL, "eval", "--checkpoint", ckpt, "-n", "2", "--record", target,
                            "--set", "env.max_episode_steps=20", NULL);
    expect_exit(&r, 5, "eval --record under a file");
    ck_assert_ptr_nonnull(strstr(r.out, "2 episodes"));
    assert_contains(r.err, "cannot write recordings there", "choose a place you can write",
                    "evaluating without recording", NULL);
    sdk_run_clear(&r);
    g_free(target);
    g_free(file);
    g_free(ckpt);
}
END_TEST

START_TEST(test_eval_record_stops_at_a_failing_render_and_leaves_no_partial_file)
{
    char *pipeline = fixture_pipeline("fails.yaml", "fx_render", "{defect: fail, fail_after: 3}");
    char *ckpt = short_checkpoint(pipeline, "fails", NULL);
    char *videos = in_tmp("videos");
    char *target = g_build_filename(videos, "walk.gif", NULL);
    sdk_run_t r =
        sdk_ppofw(NULL, NULL, "eval", "--checkpoint", ckpt, "-n", "2", "--record", target, NULL);
    /* the evaluation runs to its end; the recording names the callback and the plugin's reason */
    expect_exit(&r, 3, "eval --record with a failing render_rgb");
    ck_assert_ptr_nonnull(strstr(r.out, "2 episodes"));
    assert_contains(r.err, "plugin \"fx_render\"", "render_rgb failed",
                    "the fixture's render_rgb fails on call 4", "recording stopped",
                    "(0 of 2 episodes recorded)", NULL);
    char *files = listing(videos);
    ck_assert_msg(*files == '\0', "left behind in %s: %s", videos, files);
    g_free(files);
    sdk_run_clear(&r);
    g_free(target);
    g_free(videos);
    g_free(ckpt);
    g_free(pipeline);
}
END_TEST

START_TEST(test_eval_record_rejects_a_target_that_is_no_gif)
{
    sdk_run_t r =
        sdk_ppofw(NULL, NULL, "eval", "--checkpoint", "x.ckpt", "--record", "out.mp4", NULL);
    expect_exit(&r, 2, "eval --record out.mp4");
    assert_contains(r.err, "--record takes a file name ending in .gif", NULL);
    sdk_run_clear(&r);
    r = sdk_ppofw(NULL, NULL, "eval", "--checkpoint", "x.ckpt", "--frames", NULL);
    expect_exit(&r, 2, "eval --frames");
    assert_contains(r.err, "--frames goes with --record DIR", NULL);
    sdk_run_clear(&r);
}
END_TEST

/* ---- run with eval.record ---- */

/* One image summary read back. */
typedef struct {
    int64_t step;
    char *tag;
    test_image_t *png;
} tb_image_t;

static void collect_image(int64_t step, double wall_time, const char *tag,
                          const ppo_tboard_image_t *image, void *user)
{
    GArray *images = user;
    ck_assert_uint_eq(image->colorspace, 3);
    tb_image_t im = {step, g_strdup(tag), test_png_decode(image->encoded, image->encoded_len)};
    ck_assert_uint_eq(im.png->width, image->width);
    ck_assert_uint_eq(im.png->height, image->height);
    g_array_append_val(images, im);
}

START_TEST(test_run_records_evaluations_into_videos_and_the_last_frame_into_tensorboard)
{
    char *cfg = ppo_test_src_path("configs/cartpole.yaml");
    char *run = in_tmp("run");
    sdk_run_t r =
        sdk_ppofw(NULL, NULL, "run", cfg, "--run-dir", run, "--set", "ppo.total_steps=512", "--set",
                  "eval.every_steps=256", "--set", "eval.episodes=1", "--set", "eval.record=true",
                  "--set", "env.max_episode_steps=30", NULL);
    expect_exit(&r, 0, "run with eval.record");
    /* progress into a pipe: plain lines, no sparkline */
    ck_assert_msg(strstr(r.err, "\u2581") == NULL && strstr(r.err, "\u2588") == NULL,
                  "a sparkline in piped output: %s", r.err);

    /* one GIF per evaluation, named by its step */
    char *videos = g_build_filename(run, "videos", NULL);
    char *tb_dir = g_build_filename(run, "tb", NULL);
    char *events = only_entry(tb_dir, "events.out.tfevents.");
    GArray *images = g_array_new(FALSE, FALSE, sizeof(tb_image_t));
    GError *error = NULL;
    ck_assert_msg(ppo_tboard_read_images(events, collect_image, images, &error), "%s",
                  error != NULL ? error->message : "");
    ck_assert_uint_eq(images->len, 2);
    const int64_t steps[2] = {256, 512};
    for (int k = 0; k < 2; k++) {
        char *prefix = g_strdup_printf("step%012" G_GINT64_FORMAT "-ep000-return", steps[k]);
        char *gif_path = only_entry(videos, prefix);
        test_image_t *gif = test_gif_read(gif_path);
        /* CartPole's return is its length */
        const double ret = g_ascii_strtod(strstr(gif_path, "-return") + strlen("-return"), NULL);
        ck_assert_uint_eq(gif->n_frames, (uint32_t)ret + 1);
        /* TensorBoard's still is the evaluation's last frame */
        const tb_image_t *im = &g_array_index(images, tb_image_t, k);
        ck_assert_int_eq(im->step, steps[k]);
        ck_assert_str_eq(im->tag, "eval/frame");
        ck_assert_uint_eq(im->png->width, 600);
        ck_assert_uint_eq(im->png->height, 400);
        double mean, off;
        test_image_compare(im->png->frames[0], gif->frames[gif->n_frames - 1], 600 * 400,
                           REF_TOLERANCE, &mean, &off);
        ck_assert_msg(mean <= REF_MAX_MEAN && off <= REF_MAX_OFF,
                      "the still at step %" G_GINT64_FORMAT " is not the GIF's last frame: "
                      "mean %.3f, %.4f%% off",
                      steps[k], mean, 100 * off);
        test_image_free(gif);
        g_free(gif_path);
        g_free(prefix);
    }
    for (guint i = 0; i < images->len; i++) {
        g_free(g_array_index(images, tb_image_t, i).tag);
        test_image_free(g_array_index(images, tb_image_t, i).png);
    }
    g_array_free(images, TRUE);
    sdk_run_clear(&r);
    g_free(events);
    g_free(tb_dir);
    g_free(videos);
    g_free(run);
    g_free(cfg);
}
END_TEST

START_TEST(test_run_with_eval_record_on_an_env_that_cannot_draw_warns_and_trains_on)
{
    char *pipeline = fixture_pipeline("walk.yaml", "fx_env", "{}");
    char *run = in_tmp("run");
    sdk_run_t r = sdk_ppofw(NULL, NULL, "run", pipeline, "--run-dir", run, "-q", "--set",
                            "eval.every_steps=64", "--set", "eval.record=true", NULL);
    expect_exit(&r, 0, "run with eval.record on fx_env");
    assert_contains(r.err, "eval.record", "cannot be recorded",
                    "training goes on without recordings", NULL);
    char *ckpt = ppo_rundir_latest_checkpoint(run, NULL);
    ck_assert_ptr_nonnull(ckpt);
    g_free(ckpt);
    sdk_run_clear(&r);
    g_free(run);
    g_free(pipeline);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cmd_eval_record");
    TCase *envs = tcase_create("envs");
    tcase_add_checked_fixture(envs, setup, teardown);
    tcase_set_timeout(envs, 300);
    tcase_add_test(envs, test_eval_records_a_pendulum_episode_as_a_gif_of_its_steps);
    tcase_add_test(envs, test_eval_records_an_acrobot_episode_as_a_gif_of_its_steps);
    tcase_add_test(envs, test_eval_records_a_mountain_car_episode_as_a_gif_of_its_steps);
    tcase_add_test(envs, test_eval_records_a_mountain_car_continuous_episode_as_a_gif_of_its_steps);
    tcase_add_test(envs, test_eval_records_each_episode_as_a_directory_of_png_frames);
    suite_add_tcase(s, envs);
    TCase *bad = tcase_create("bad-input");
    tcase_add_checked_fixture(bad, setup, teardown);
    tcase_set_timeout(bad, 300);
    tcase_add_test(bad,
                   test_eval_record_of_an_env_that_cannot_draw_says_so_and_still_reports_returns);
    tcase_add_test(bad,
                   test_eval_record_into_an_unwritable_place_exits_5_and_still_reports_returns);
    tcase_add_test(bad, test_eval_record_stops_at_a_failing_render_and_leaves_no_partial_file);
    tcase_add_test(bad, test_eval_record_rejects_a_target_that_is_no_gif);
    suite_add_tcase(s, bad);
    TCase *run = tcase_create("run");
    tcase_add_checked_fixture(run, setup, teardown);
    tcase_set_timeout(run, 300);
    tcase_add_test(run,
                   test_run_records_evaluations_into_videos_and_the_last_frame_into_tensorboard);
    tcase_add_test(run, test_run_with_eval_record_on_an_env_that_cannot_draw_warns_and_trains_on);
    suite_add_tcase(s, run);
    return ppo_test_run(s);
}
