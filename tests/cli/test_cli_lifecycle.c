/* The run lifecycle through the ppofw program: a CartPole run trained with the shipped pipeline
 * evaluates at >= 475 over 100 deterministic episodes with `ppofw eval`, and `ppofw export`
 * writes a C file that, compiled with `cc -std=c99 -O2`, picks the same actions as the
 * checkpoint's policy on 1000 observations (discrete: identical; continuous with observation
 * normalization: within 1e-5). */
#include "config.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

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

START_TEST(test_solved_cartpole_evaluates_at_475_over_100_deterministic_episodes)
{
    char *tmp = ppo_test_tmpdir();
    char *run = g_build_filename(tmp, "run", NULL);
    char *cfg = ppo_test_src_path("configs/cartpole.yaml");
    ck_assert_int_eq(PPOFW(NULL, "run", cfg, "--run-dir", run, "-q"), 0);
    char *ckpt = newest_checkpoint(run);
    char *out = NULL;
    ck_assert_int_eq(PPOFW(&out, "eval", "--checkpoint", ckpt, "-n", "100", "--deterministic",
                           "--json"),
                     0);
    const char *at = strstr(out, "\"return_mean\": ");
    ck_assert_msg(at != NULL, "no return_mean in %s", out);
    const double mean = g_ascii_strtod(at + strlen("\"return_mean\": "), NULL);
    fprintf(stderr, "eval of %s: %s", ckpt, out);
    ck_assert_msg(mean >= 475.0, "deterministic return %.2f over 100 episodes", mean);
    g_free(out);
    g_free(ckpt);
    g_free(cfg);
    g_free(run);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
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
        "#include <stdio.h>\n#include \"%s\"\n"
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
    ck_assert_int_eq(PPOFW(NULL, "export", "--checkpoint", ckpt, "-o", c_file), 0);

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

int main(void)
{
    Suite *s = suite_create("cli_lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_solved_cartpole_evaluates_at_475_over_100_deterministic_episodes);
    tcase_add_test(tc, test_exported_discrete_policy_matches_the_checkpoint);
    tcase_add_test(tc, test_exported_continuous_policy_with_normalization_matches_the_checkpoint);
    suite_add_tcase(s, tc);
    return ppo_test_run(s);
}
