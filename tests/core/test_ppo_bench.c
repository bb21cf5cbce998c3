/* Tests of core/ppo_bench.c and `ppofw bench`: the FLOPs of a forward pass (the policy's
 * forward_flops when it has one, else only the matrices named as weights), the JSON's exact keys,
 * and that an iteration after the first allocates nothing on the heap (counted by the program's
 * allocation counter, spawned as a user runs it, with more than one thread).
 *
 * Left out on purpose: the speed figures themselves. Machines are shared and noisy, so timings
 * are recorded by bench/run-bench.sh in bench/RESULTS.md, never asserted here; this suite only
 * checks that each figure is a finite positive number.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ppo_bench_private.h"
#include "ppo_model_private.h"
#include "sdk/sdk_test.h"

/* the keys of --json, in order (the list) */
static const char *const json_keys[] = {
    "gemm_gflops",         "env_sps",        "collect_sps",     "update_samples_per_s", "train_sps",
    "flops_per_step",      "fraction_of_ceiling", "peak_rss_bytes", "allocs_per_iter",
};

/* a pipeline small enough to bench in about a second: 2 collection chunks, 3 gradient chunks
 * per minibatch, 2 threads */
static const char tiny[] = "name: tiny\n"
                           "seed: 5\n"
                           "env: { plugin: cartpole, num_envs: 12 }\n"
                           "policy: { plugin: mlp, params: { pi_hidden: [16, 8], vf_hidden: [12] } }\n"
                           "advantage: { plugin: gae }\n"
                           "optimizer: { plugin: adam, params: { lr: 1.0e-3 } }\n"
                           "ppo: { total_steps: 4096, rollout_steps: 16, epochs: 3, minibatches: 1,\n"
                           "       threads: 2 }\n";

/* FLOPs per env step of `tiny` by hand: pi 4x16, 16x8, head 8x2; vf 4x12, head 12x1; each weight
 * 2 in out, times 1 + 3 epochs */
#define TINY_FLOPS ((2.0 * (4 * 16 + 16 * 8 + 8 * 2 + 4 * 12 + 12 * 1)) * (1 + 3 * 3))

static const char *build_dir(void)
{
    const char *b = g_getenv("PPO_TEST_BUILDDIR");
    return b != NULL ? b : PPO_ABS_BUILDDIR;
}

/* Write `text` to a fresh temporary pipeline file (transfer full; remove it with g_unlink). */
static char *write_pipeline(const char *text)
{
    char *path = NULL;
    GError *error = NULL;
    int fd = g_file_open_tmp("ppo-bench-XXXXXX.yaml", &path, &error);
    ck_assert_msg(fd >= 0, "%s", error != NULL ? error->message : "");
    close(fd);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* Parse one line `{"k": v, ...}` into the values of json_keys, in order; NaN for null. Fails the
 * test unless the keys are exactly json_keys in that order and every value is a number or null. */
static void parse_json(const char *line, double *values)
{
    const char *p = line;
    ck_assert_msg(*p == '{', "JSON does not start with '{': %s", line);
    p++;
    for (size_t k = 0; k < G_N_ELEMENTS(json_keys); k++) {
        char *want = g_strdup_printf("\"%s\": ", json_keys[k]);
        ck_assert_msg(g_str_has_prefix(p, want), "key %zu is not \"%s\" in %s", k, json_keys[k],
                      line);
        p += strlen(want);
        g_free(want);
        if (g_str_has_prefix(p, "null")) {
            values[k] = NAN;
            p += 4;
        } else {
            char *end = NULL;
            values[k] = g_ascii_strtod(p, &end);
            ck_assert_msg(end != p, "the value of \"%s\" is not a number in %s", json_keys[k], line);
            p = end;
        }
        const char *sep = k + 1 < G_N_ELEMENTS(json_keys) ? ", " : "}";
        ck_assert_msg(g_str_has_prefix(p, sep), "expected \"%s\" after \"%s\" in %s", sep,
                      json_keys[k], line);
        p += strlen(sep);
    }
    ck_assert_msg(strcmp(p, "\n") == 0, "more than one JSON object on the line: %s", line);
}

START_TEST(test_bench_flops_without_the_policys_count_follow_the_fixed_formula)
{
    /* 2 rows cols of each segment named ...weight with cols > 1, times 1 + 3 epochs; not the
     * biases, not a layer norm's gain vector, not log_std; the (1, 64) value head counts */
    const ppo_segment_t segs[] = {
        {.name = "pi.0.weight", .rows = 64, .cols = 4},
        {.name = "pi.0.bias", .rows = 64, .cols = 1},
        {.name = "ln.weight", .rows = 64, .cols = 1},
        {.name = "pi.1.weight", .rows = 64, .cols = 64},
        {.name = "pi.1.bias", .rows = 64, .cols = 1},
        {.name = "pi_head.weight", .rows = 2, .cols = 64},
        {.name = "pi_head.bias", .rows = 2, .cols = 1},
        {.name = "vf.0.weight", .rows = 64, .cols = 4},
        {.name = "vf.0.bias", .rows = 64, .cols = 1},
        {.name = "vf.1.weight", .rows = 64, .cols = 64},
        {.name = "vf.1.bias", .rows = 64, .cols = 1},
        {.name = "vf_head.weight", .rows = 1, .cols = 64},
        {.name = "vf_head.bias", .rows = 1, .cols = 1},
        {.name = "log_std", .rows = 2, .cols = 3},
    };
    /* CleanRL's CartPole network at 4 epochs: 17792 FLOPs a forward, 13 forwards */
    const double forward = ppo_bench_segment_flops(segs, G_N_ELEMENTS(segs));
    ck_assert_double_eq(forward, 17792.0);
    ck_assert_double_eq(ppo_bench_flops_per_step(forward, 4), 231296.0);
    ck_assert_double_eq(ppo_bench_flops_per_step(forward, 0), 17792.0);
    ck_assert_double_eq(ppo_bench_segment_flops(segs, 0), 0.0);
}
END_TEST

START_TEST(test_bench_asks_a_policy_with_forward_flops_for_them)
{
    double lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1};
    const ppo_space_t obs = {.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_BOX, .dim = 3,
                             .low = lo, .high = hi, .rank = 1, .shape = {3}};
    const ppo_space_t act = {.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_BOX, .dim = 2,
                             .low = lo, .high = hi, .rank = 1, .shape = {2}};
    const char *const names[2] = {"sdk_layernorm", "mlp"};
    for (int i = 0; i < 2; i++) {
        const ppo_plugin_t *p = i == 0 ? sdk_fixture(names[i]) : ppo_test_plugin(names[i]);
        ppo_params_t *params = ppo_test_params(p, i == 0 ? "" : "{pi_hidden: [8], vf_hidden: [8]}");
        GError *error = NULL;
        ppo_model_t *m = ppo_model_new(p, params, &obs, &act, 1, 0, &error);
        ck_assert_msg(m != NULL, "%s", error != NULL ? error->message : "");
        bool from_policy = false;
        const double f = ppo_bench_forward_flops(m, &from_policy);
        if (i == 0) {
            /* the fixture's own count: 2 D H + 8 H + H + 2 H A + 2 H with D 3, H 8, A 2 */
            ck_assert(from_policy);
            ck_assert_double_eq(f, 48.0 + 64.0 + 8.0 + 32.0 + 16.0);
        } else {
            /* mlp has none: its (8, 3) and (2, 8) matrices, (8, 3) and (1, 8) for the value branch */
            ck_assert(!from_policy);
            ck_assert_double_eq(f, 2.0 * (8 * 3 + 2 * 8 + 8 * 3 + 1 * 8));
        }
        ppo_model_free(m);
        ppo_params_free(params);
    }
}
END_TEST

START_TEST(test_bench_json_has_exactly_the_keys_and_null_for_what_was_not_counted)
{
    ppo_bench_result_t r;
    memset(&r, 0, sizeof(r));
    r.gemm_gflops = 123.5;
    r.env_sps = 1e7;
    r.collect_sps = 2.5e6;
    r.update_samples_per_s = 3e6;
    r.train_sps = 4e5;
    r.flops_per_step = 231296;
    r.fraction_of_ceiling = 0.75;
    r.peak_rss_bytes = UINT64_C(12345678901);
    r.allocs_per_iter = NAN;
    char *json = ppo_bench_json(&r);
    char *line = g_strconcat(json, "\n", NULL);
    double v[G_N_ELEMENTS(json_keys)];
    parse_json(line, v);
    ck_assert_double_eq(v[0], 123.5);
    ck_assert_double_eq(v[5], 231296.0);
    ck_assert_double_eq(v[7], 12345678901.0);
    ck_assert(isnan(v[8]));
    g_free(line);
    g_free(json);
}
END_TEST

START_TEST(test_bench_cli_json_has_all_keys_and_no_allocations_per_iteration)
{
    char *pipeline = write_pipeline(tiny);
    char *exe = g_build_filename(build_dir(), "ppofw", NULL);
    const char *argv[] = {exe, "bench", pipeline, "--json", "--seconds", "0.05", NULL};
    char *out = NULL, *err = NULL;
    int status = 0;
    GError *error = NULL;
    ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error),
                  "cannot run %s: %s", exe, error != NULL ? error->message : "");
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "ppofw bench failed (status %d); stderr:\n%s", status, err);
    double v[G_N_ELEMENTS(json_keys)];
    parse_json(out, v);
    /* every figure is a finite positive number; the formula's value is exact */
    for (size_t k = 0; k + 1 < G_N_ELEMENTS(json_keys); k++)
        ck_assert_msg(isfinite(v[k]) && v[k] > 0.0, "%s = %g", json_keys[k], v[k]);
    ck_assert_double_eq(v[5], TINY_FLOPS);
    ck_assert_double_eq_tol(v[6], v[4] * v[5] / (v[0] * 1e9), 1e-6 * v[6] + 1e-12);
    /* the heap is left alone once training runs */
    ck_assert_msg(v[8] == 0.0, "%g heap allocations per iteration after the first", v[8]);
    g_free(out);
    g_free(err);
    g_free(exe);
    g_unlink(pipeline);
    g_free(pipeline);
}
END_TEST

START_TEST(test_bench_cli_prints_every_figure_for_people)
{
    char *pipeline = write_pipeline(tiny);
    char *exe = g_build_filename(build_dir(), "ppofw", NULL);
    const char *argv[] = {exe, "bench", pipeline, "--seconds", "0.02", "--set", "ppo.threads=1",
                          NULL};
    char *out = NULL, *err = NULL;
    int status = 0;
    ck_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                           &status, NULL));
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "stderr:\n%s", err);
    /* the layer shapes at the update's chunk: the mlp runs as two parts, each over the whole
     * minibatch of 192 rows (fewer than PPO_GRAD_CHUNK_MIN_PARTS) */
    const char *lines[] = {"sgemm 2048^3, one thread (ceiling)",
                           "sgemm pi.0.weight (192 x 16 x 4)",
                           "env steps",
                           "collection",
                           "update",
                           "training, end to end",
                           "forward per row (2 rows cols per weight)",
                           "per env step (1 + 3 epochs forwards)",
                           "fraction of the ceiling",
                           "peak RSS",
                           "heap allocations per iteration",
                           "1 thread"};
    for (size_t k = 0; k < G_N_ELEMENTS(lines); k++)
        ck_assert_msg(strstr(out, lines[k]) != NULL, "the output lacks \"%s\":\n%s", lines[k],
                      out);
    g_free(out);
    g_free(err);
    g_free(exe);
    g_unlink(pipeline);
    g_free(pipeline);
}
END_TEST

/* a cnn on MinAtar-shaped frames (the fx_image fixture): its own count of a forward pass */
static const char image[] = "name: image\n"
                            "seed: 5\n"
                            "env: { plugin: fx_image, num_envs: 8 }\n"
                            "policy: { plugin: cnn, params: { preset: minatar } }\n"
                            "advantage: { plugin: gae }\n"
                            "optimizer: { plugin: adam }\n"
                            "ppo: { total_steps: 4096, rollout_steps: 16, epochs: 2,\n"
                            "       minibatches: 2, threads: 2 }\n";

START_TEST(test_bench_counts_a_policys_own_forward_flops_and_its_conv_layers)
{
    char *pipeline = write_pipeline(image);
    char *exe = g_build_filename(build_dir(), "ppofw", NULL);
    const char *json_argv[] = {exe, "bench", pipeline, "--json", "--seconds", "0.02", NULL};
    const char *text_argv[] = {exe, "bench", pipeline, "--seconds", "0.02", NULL};
    /* conv 2 C k^2 O Ho Wo = 2 4 9 16 64, dense 1024 -> 128, heads 128 -> 3 + 1 */
    const double conv = 2.0 * 4 * 9 * 16 * 64, forward = conv + 2.0 * 1024 * 128 + 2.0 * 128 * 4;
    char *out = NULL, *err = NULL;
    int status = 0;
    ck_assert(g_spawn_sync(NULL, (char **)json_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                           &status, NULL));
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "stderr:\n%s", err);
    double v[G_N_ELEMENTS(json_keys)];
    parse_json(out, v);
    /* the fixed formula would count the conv weight once, 2 16 36, not at 64 positions */
    ck_assert_double_eq(v[5], forward * (1 + 3 * 2));
    g_free(out);
    g_free(err);
    ck_assert(g_spawn_sync(NULL, (char **)text_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                           &status, NULL));
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "stderr:\n%s", err);
    ck_assert_msg(strstr(out, "forward per row (the policy's count)") != NULL &&
                      strstr(out, "of which in conv layers") != NULL,
                  "%s", out);
    /* the figures themselves, whatever the column padding */
    char *fwd_num = g_strdup_printf(" %.0f FLOP", forward);
    char *conv_num = g_strdup_printf(" %.0f FLOP", conv);
    ck_assert_msg(strstr(out, fwd_num) != NULL && strstr(out, conv_num) != NULL, "%s", out);
    /* no sgemm row for the conv weight: it is not a rows x cols product per sample */
    ck_assert_msg(strstr(out, "conv.0.weight") == NULL, "%s", out);
    g_free(fwd_num);
    g_free(conv_num);
    g_free(out);
    g_free(err);
    g_free(exe);
    g_unlink(pipeline);
    g_free(pipeline);
}
END_TEST

START_TEST(test_bench_refuses_bad_seconds_with_usage_exit_code)
{
    char *exe = g_build_filename(build_dir(), "ppofw", NULL);
    char *pipeline = write_pipeline(tiny);
    const char *argv[] = {exe, "bench", pipeline, "--seconds", "0", NULL};
    char *out = NULL, *err = NULL;
    int status = 0;
    ck_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                           &status, NULL));
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    ck_assert_msg(strstr(err, "--seconds") != NULL, "%s", err);
    g_free(out);
    g_free(err);
    g_free(exe);
    g_unlink(pipeline);
    g_free(pipeline);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ppo_bench");
    TCase *tc = tcase_create("bench");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_bench_flops_without_the_policys_count_follow_the_fixed_formula);
    tcase_add_test(tc, test_bench_asks_a_policy_with_forward_flops_for_them);
    tcase_add_test(tc, test_bench_json_has_exactly_the_keys_and_null_for_what_was_not_counted);
    tcase_add_test(tc, test_bench_cli_json_has_all_keys_and_no_allocations_per_iteration);
    tcase_add_test(tc, test_bench_cli_prints_every_figure_for_people);
    tcase_add_test(tc, test_bench_counts_a_policys_own_forward_flops_and_its_conv_layers);
    tcase_add_test(tc, test_bench_refuses_bad_seconds_with_usage_exit_code);
    suite_add_tcase(s, tc);
    return ppo_test_run(s);
}
