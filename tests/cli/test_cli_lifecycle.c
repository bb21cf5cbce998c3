/* The run lifecycle through the ppofw program: a CartPole run trained with the shipped pipeline
 * evaluates at >= 475 over 100 deterministic episodes with `ppofw eval`, records a deterministic
 * episode with `ppofw eval --record` as a GIF of every step (decoded with giflib, its first frame
 * compared with tests/data/render/cartpole-reset.png), and `ppofw export`
 * writes a C file and its --header that, compiled together with `cc -std=c99 -O2`, pick the same
 * actions as the checkpoint's policy on 1000 observations (discrete: identical; continuous with
 * observation normalization: within 1e-5), which `ppofw export --verify` confirms; --verify
 * exits 3 naming the observation when a plugin's export acts otherwise (the fixture
 * sdk_export_wrong, trained for a few iterations). Training with the fixture policies, whose
 * backward refuses to run after anything but its evaluate on the same workspace, shows the core
 * never calls act or value on a workspace between an evaluate and its backward (the rule
 * policy.h states), with and without parts. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "image_read.h"
#include "ppo_checkpoint_private.h"
#include "ppo_rundir_private.h"
#include "ppo_test.h"

/* Run the ppofw program with args (NULL-terminated); returns its exit status, stdout in *out
 * (may be NULL). */
static int ppofw_argv(char **out, const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new();
    char *prog = g_build_filename(g_getenv("PPO_TEST_BUILDDIR") != NULL
                                      ? g_getenv("PPO_TEST_BUILDDIR")
                                      : PPO_ABS_BUILDDIR,
                                  "ppofw", NULL);
    g_ptr_array_add(argv, prog);
    for (const char *const *a = args; *a != NULL; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    char *err = NULL;
    int status = -1;
    GError *error = NULL;
    ck_assert_msg(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out,
                               &err, &status, &error),
                  "cannot run ppofw: %s", error != NULL ? error->message : "");
    ck_assert_msg(WIFEXITED(status), "ppofw was killed: %s", err);
    if (WEXITSTATUS(status) != 0)
        fprintf(stderr, "ppofw %s: exit %d: %s\n", args[0], WEXITSTATUS(status), err);
    g_free(err);
    g_free(prog);
    g_ptr_array_free(argv, TRUE);
    return WEXITSTATUS(status);
}

#define PPOFW(out, ...) ppofw_argv((out), (const char *const[]){__VA_ARGS__, NULL})

static char *newest_checkpoint(const char *run_dir)
{
    char *path = ppo_rundir_latest_checkpoint(run_dir, NULL);
    ck_assert_msg(path != NULL, "no checkpoint in %s", run_dir);
    return path;
}

/* The solved CartPole both solved-CartPole tests look at: trained once for the test case. */
static char *solved_tmp, *solved_ckpt;

static void train_solved_cartpole(void)
{
    solved_tmp = ppo_test_tmpdir();
    char *run = g_build_filename(solved_tmp, "run", NULL);
    char *cfg = ppo_test_src_path("configs/cartpole.yaml");
    ck_assert_int_eq(PPOFW(NULL, "run", cfg, "--run-dir", run, "-q"), 0);
    solved_ckpt = newest_checkpoint(run);
    g_free(cfg);
    g_free(run);
}

static void remove_solved_cartpole(void)
{
    ppo_test_rm_tree(solved_tmp);
    g_free(solved_tmp);
    g_free(solved_ckpt);
}

START_TEST(test_solved_cartpole_evaluates_at_475_over_100_deterministic_episodes)
{
    char *out = NULL;
    ck_assert_int_eq(
        PPOFW(&out, "eval", "--checkpoint", solved_ckpt, "-n", "100", "--deterministic", "--json"),
        0);
    const char *at = strstr(out, "\"return_mean\": ");
    ck_assert_msg(at != NULL, "no return_mean in %s", out);
    const double mean = g_ascii_strtod(at + strlen("\"return_mean\": "), NULL);
    fprintf(stderr, "eval of %s: %s", solved_ckpt, out);
    ck_assert_msg(mean >= 475.0, "deterministic return %.2f over 100 episodes", mean);
    g_free(out);
}
END_TEST

START_TEST(test_solved_cartpole_episode_records_as_a_gif_of_every_step)
{
    char *gif_dir = g_build_filename(solved_tmp, "videos", NULL);
    char *target = g_build_filename(gif_dir, "cartpole.gif", NULL);
    char *out = NULL;
    ck_assert_int_eq(PPOFW(&out, "eval", "--checkpoint", solved_ckpt, "--deterministic", "-n", "1",
                           "--record", target, "--json"),
                     0);
    const char *at = strstr(out, "\"length_mean\": ");
    ck_assert_msg(at != NULL, "no length_mean in %s", out);
    const double length = g_ascii_strtod(at + strlen("\"length_mean\": "), NULL);
    ck_assert_msg(length >= 475, "a solved CartPole balanced for %g steps only", length);

    /* cartpole-ep000-return500.00.gif: the reset's frame and one per step */
    char *name = g_strdup_printf("cartpole-ep000-return%.2f.gif", length);
    char *gif_path = g_build_filename(gif_dir, name, NULL);
    test_image_t *gif = test_gif_read(gif_path);
    ck_assert_uint_eq(gif->n_frames, (uint32_t)length + 1);
    ck_assert_uint_eq(gif->width, 600);
    ck_assert_uint_eq(gif->height, 400);

    /* the reset's frame is the evaluation seed's start, whatever the policy */
    char *ref_path = ppo_test_data_path("render/cartpole-reset.png");
    test_image_t *ref = test_png_read(ref_path);
    double mean, off;
    test_image_compare(ref->frames[0], gif->frames[0], 600 * 400, 48, &mean, &off);
    ck_assert_msg(mean <= 1.5 && off <= 0.01, "first frame vs %s: mean %.3f, %.4f%% off", ref_path,
                  mean, 100 * off);
    /* and the pole stays up: the last frame still shows it above the cart */
    const uint8_t *last = gif->frames[gif->n_frames - 1];
    size_t pole = 0;
    for (size_t i = 0; i < 600 * 200; i++)
        pole += last[3 * i] == 202 && last[3 * i + 1] == 152 && last[3 * i + 2] == 101;
    ck_assert_msg(pole > 100, "%zu pole pixels in the top half of the last frame", pole);
    test_image_free(ref);
    test_image_free(gif);
    g_free(ref_path);
    g_free(gif_path);
    g_free(name);
    g_free(out);
    g_free(target);
    g_free(gif_dir);
}
END_TEST

/* Compile `source` with a driver that reads observations from stdin (one per line) and prints
 * the action(s); run it on `obs` (n, D) and parse its output into actions (n, A). */
static bool run_exported(const char *dir, const char *source, bool discrete, uint32_t D,
                         uint32_t A, const double *obs, uint32_t n, double *actions)
{
    char *cc = g_find_program_in_path("cc");
    if (cc == NULL) {
        fprintf(stderr, "skip: no C compiler (cc) on PATH\n");
        return false;
    }
    g_free(cc);
    char *driver = g_build_filename(dir, "driver.c", NULL);
    char *text = g_strdup_printf(
        "#include <stdio.h>\n#include \"policy.h\"\n#include \"%s\"\n"
        "int main(void)\n{\n    double o[%u], a[%u];\n    for (;;) {\n"
        "        for (int i = 0; i < %u; i++)\n"
        "            if (scanf(\"%%lf\", &o[i]) != 1)\n                return 0;\n"
        "%s"
        "        for (int k = 0; k < %u; k++)\n            printf(\"%%.9g \", a[k]);\n"
        "        printf(\"\\n\");\n    }\n}\n",
        source, D, A, D,
        discrete ? "        a[0] = ppo_policy_act(o);\n" : "        ppo_policy_act(o, a);\n", A);
    ck_assert(g_file_set_contents(driver, text, -1, NULL));
    char *exe = g_build_filename(dir, "policy", NULL);
    char *cmd = g_strdup_printf("cc -std=c99 -O2 -o %s %s -lm", exe, driver);
    int status;
    ck_assert(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s failed", cmd);
    GString *in = g_string_new(NULL);
    for (uint32_t r = 0; r < n; r++) {
        for (uint32_t i = 0; i < D; i++)
            g_string_append_printf(in, "%.17g ", obs[(size_t)r * D + i]);
        g_string_append_c(in, '\n');
    }
    char *input = g_build_filename(dir, "obs.txt", NULL);
    ck_assert(g_file_set_contents(input, in->str, (gssize)in->len, NULL));
    char *run = g_strdup_printf("sh -c '%s < %s'", exe, input);
    char *out = NULL;
    ck_assert(g_spawn_command_line_sync(run, &out, NULL, &status, NULL));
    char **tokens = g_strsplit_set(out, " \n", -1);
    uint32_t k = 0;
    for (char **t = tokens; *t != NULL; t++)
        if (**t != '\0' && k < n * A)
            actions[k++] = g_ascii_strtod(*t, NULL);
    ck_assert_uint_eq(k, n * A);
    g_strfreev(tokens);
    g_free(out);
    g_free(run);
    g_free(input);
    g_string_free(in, TRUE);
    g_free(cmd);
    g_free(exe);
    g_free(text);
    g_free(driver);
    return true;
}

/* Train briefly, export, and compare the exported actions with the checkpoint's policy acting
 * deterministically on normalized observations. */
static void check_export(const char *config, const char *const *sets, double tolerance)
{
    char *tmp = ppo_test_tmpdir();
    char *run = g_build_filename(tmp, "run", NULL);
    char *cfg = ppo_test_src_path(config);
    GPtrArray *args = g_ptr_array_new();
    const char *base[] = {"run", cfg, "--run-dir", run, "-q"};
    for (size_t i = 0; i < G_N_ELEMENTS(base); i++)
        g_ptr_array_add(args, (gpointer)base[i]);
    for (const char *const *s = sets; *s != NULL; s++) {
        g_ptr_array_add(args, "--set");
        g_ptr_array_add(args, (gpointer)*s);
    }
    g_ptr_array_add(args, NULL);
    ck_assert_int_eq(ppofw_argv(NULL, (const char *const *)args->pdata), 0);
    char *ckpt = newest_checkpoint(run);
    char *c_file = g_build_filename(tmp, "policy.c", NULL);
    char *h_file = g_build_filename(tmp, "policy.h", NULL);
    ck_assert_int_eq(PPOFW(NULL, "export", "--checkpoint", ckpt, "-o", c_file, "--header", h_file),
                     0);
    char *cc = g_find_program_in_path("cc");
    if (cc != NULL)
        ck_assert_int_eq(PPOFW(NULL, "export", "--checkpoint", ckpt, "-o", c_file, "--header",
                               h_file, "--verify"),
                         0);
    g_free(cc);

    /* the checkpoint's policy, as eval runs it */
    GError *error = NULL;
    ppo_search_t *search = ppo_search_new(NULL);
    ppo_loaded_policy_t *lp = ppo_loaded_policy_open(ckpt, NULL, NULL, search, &error);
    ck_assert_msg(lp != NULL, "%s", error != NULL ? error->message : "");
    const bool discrete = lp->act_space.kind == PPO_SPACE_DISCRETE;
    const uint32_t D = lp->obs_space.dim, A = discrete ? 1 : lp->act_space.dim;
    const uint32_t n = 1000, P = lp->model->dist_size;
    double *obs = g_new(double, (size_t)n * D), *exported = g_new(double, (size_t)n * A);
    float *fobs = g_new(float, (size_t)n * D), *act = g_new(float, (size_t)n * A);
    float *logp = g_new(float, n), *val = g_new(float, n), *dist = g_new(float, (size_t)n * P);
    uint32_t *idx = g_new0(uint32_t, n);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 3, "export-test", 0);
    for (size_t i = 0; i < (size_t)n * D; i++) {
        /* observations around the trained range, as float values (what an env delivers) */
        fobs[i] = (float)ppo_rng_uniform_range(&rng, -1.5, 1.5);
        obs[i] = fobs[i];
    }
    if (lp->obs_norm)
        ppo_rms_normalize(&lp->obs_rms, fobs, n, lp->obs_eps, lp->obs_clip);
    void *ws = lp->model->plugin->vt.policy.ws_create(lp->model->inst, n);
    ck_assert_int_eq(lp->model->plugin->vt.policy.act(lp->model->inst, ws, n, fobs, idx, NULL, 1,
                                                      act, logp, val, dist),
                     0);
    if (run_exported(tmp, c_file, discrete, D, A, obs, n, exported)) {
        double worst = 0.0;
        for (size_t i = 0; i < (size_t)n * A; i++)
            worst = MAX(worst, fabs(exported[i] - act[i]));
        fprintf(stderr, "%s: exported vs policy, largest action difference %.3g over %u\n", config,
                worst, n);
        ck_assert_msg(worst <= tolerance, "exported actions differ by %.3g", worst);
    }
    lp->model->plugin->vt.policy.ws_destroy(lp->model->inst, ws);
    ppo_loaded_policy_free(lp);
    ppo_search_free(search);
    g_free(idx);
    g_free(dist);
    g_free(val);
    g_free(logp);
    g_free(act);
    g_free(fobs);
    g_free(exported);
    g_free(obs);
    g_free(c_file);
    g_free(h_file);
    g_free(ckpt);
    g_ptr_array_free(args, TRUE);
    g_free(cfg);
    g_free(run);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}

START_TEST(test_exported_discrete_policy_matches_the_checkpoint)
{
    const char *sets[] = {"ppo.total_steps=20480", NULL};
    check_export("configs/cartpole.yaml", sets, 0.0);
}
END_TEST

START_TEST(test_exported_continuous_policy_with_normalization_matches_the_checkpoint)
{
    const char *sets[] = {"ppo.total_steps=8192", "normalize.obs=true", "normalize.reward=true",
                          NULL};
    check_export("configs/pendulum.yaml", sets, 1e-5);
}
END_TEST

/* The fixture NAME.so of tests/sdk/fixtures (transfer full). */
static char *fixture(const char *name)
{
    char *file = g_strconcat(name, ".so", NULL);
    char *path = g_build_filename(g_getenv("PPO_TEST_BUILDDIR") != NULL
                                      ? g_getenv("PPO_TEST_BUILDDIR")
                                      : PPO_ABS_BUILDDIR,
                                  "tests", "sdk", "fixtures", ".libs", file, NULL);
    ck_assert_msg(g_file_test(path, G_FILE_TEST_EXISTS), "%s is not built: run make check", path);
    g_free(file);
    return path;
}

/* Train `config` for a few iterations with the policy plugin at `policy`; the run directory
 * (transfer full). */
static char *train_with(const char *tmp, const char *config, const char *policy, int *status)
{
    char *run = g_build_filename(tmp, "run", NULL);
    char *cfg = ppo_test_src_path(config);
    char *plugin = g_strdup_printf("policy.plugin=%s", policy);
    *status = PPOFW(NULL, "run", cfg, "--run-dir", run, "-q", "--set", plugin, "--set",
                    "policy.params={}", "--set", "ppo.total_steps=2048", "--set",
                    "ppo.rollout_steps=64", "--set", "env.num_envs=8");
    g_free(plugin);
    g_free(cfg);
    return run;
}

START_TEST(test_export_verify_exits_3_naming_an_observation_where_the_export_acts_otherwise)
{
    char *cc = g_find_program_in_path("cc");
    if (cc == NULL)
        return;
    g_free(cc);
    char *tmp = ppo_test_tmpdir();
    char *policy = fixture("sdk_export_wrong");
    int status = 0;
    char *run = train_with(tmp, "configs/cartpole.yaml", policy, &status);
    ck_assert_int_eq(status, 0);
    char *ckpt = newest_checkpoint(run);
    char *c_file = g_build_filename(tmp, "policy.c", NULL);
    char **argv = g_strsplit("export --verify --checkpoint", " ", -1);
    GPtrArray *a = g_ptr_array_new();
    for (char **p = argv; *p != NULL; p++)
        g_ptr_array_add(a, *p);
    g_ptr_array_add(a, ckpt);
    g_ptr_array_add(a, "-o");
    g_ptr_array_add(a, c_file);
    g_ptr_array_add(a, NULL);
    /* its stderr says which observation */
    char *prog = g_build_filename(g_getenv("PPO_TEST_BUILDDIR") != NULL
                                      ? g_getenv("PPO_TEST_BUILDDIR")
                                      : PPO_ABS_BUILDDIR,
                                  "ppofw", NULL);
    g_ptr_array_insert(a, 0, prog);
    char *err = NULL;
    ck_assert(g_spawn_sync(NULL, (char **)a->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err,
                           &status, NULL));
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 3, "exit %d: %s", status, err);
    ck_assert_msg(strstr(err, "computes other actions than the policy") != NULL &&
                      strstr(err, "observation ") != NULL &&
                      strstr(err, "sdk_export_wrong") != NULL,
                  "%s", err);
    g_free(err);
    g_free(prog);
    g_ptr_array_free(a, TRUE);
    g_strfreev(argv);
    g_free(c_file);
    g_free(ckpt);
    g_free(run);
    g_free(policy);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
}
END_TEST

START_TEST(test_training_never_calls_a_workspace_between_evaluate_and_its_backward)
{
    /* the linear fixture has parts (cartpole); the layer-norm one has none (pendulum) */
    const char *const cases[][2] = {{"configs/cartpole.yaml", "sdk_good_policy"},
                                    {"configs/pendulum.yaml", "sdk_layernorm"}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *tmp = ppo_test_tmpdir();
        char *policy = fixture(cases[i][1]);
        int status = 0;
        char *run = train_with(tmp, cases[i][0], policy, &status);
        ck_assert_msg(status == 0, "%s with %s: exit %d", cases[i][0], cases[i][1], status);
        g_free(run);
        g_free(policy);
        ppo_test_rm_tree(tmp);
        g_free(tmp);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_lifecycle");
    TCase *solved = tcase_create("solved-cartpole");
    tcase_set_timeout(solved, 600);
    tcase_add_unchecked_fixture(solved, train_solved_cartpole, remove_solved_cartpole);
    tcase_add_test(solved, test_solved_cartpole_evaluates_at_475_over_100_deterministic_episodes);
    tcase_add_test(solved, test_solved_cartpole_episode_records_as_a_gif_of_every_step);
    suite_add_tcase(s, solved);
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_exported_discrete_policy_matches_the_checkpoint);
    tcase_add_test(tc, test_exported_continuous_policy_with_normalization_matches_the_checkpoint);
    tcase_add_test(tc, test_export_verify_exits_3_naming_an_observation_where_the_export_acts_otherwise);
    tcase_add_test(tc, test_training_never_calls_a_workspace_between_evaluate_and_its_backward);
    suite_add_tcase(s, tc);
    return ppo_test_run(s);
}
