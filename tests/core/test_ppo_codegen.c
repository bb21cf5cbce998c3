/* Tests of core/ppo_codegen.c: the code-generation helpers of <ppofw/codegen.h>.
 *
 * The preamble and the header carry the contract's macros and prototypes for every kind of space
 * (discrete, box, multi-discrete, uint8 observations, recurrent state); bad input is refused (a
 * normalizer that does not fit, a non-finite weight, spaces the contract does not cover). A file
 * written with the helpers (normalization, dense layers with tanh and relu, a layer norm, the
 * Gaussian mean; and uint8 input whose bounds differ per element) is compiled with the system's
 * C compiler and computes what libppofw's own functions compute (ppo_rms_normalize's formula,
 * ppo_linear_forward, ppo_tanh, ppo_layernorm_forward, the core's uint8 conversion) to float
 * rounding.
 *
 * Left out: policies' exports as a whole (check-policy compiles and compares them:
 * tests/core/test_ppo_check_policy.c; mlp's in tests/plugins/test_mlp.c).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>

#include "ppo_space_private.h"
#include "ppo_test.h"

/* Everything `write` puts in a FILE, as a string (transfer full); *rc its return code. */
static char *capture(int (*write)(FILE *, const void *), const void *arg, int *rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    *rc = write(f, arg);
    fclose(f);
    char *out = g_strdup(text);
    free(text);
    return out;
}

static int write_preamble(FILE *f, const void *pol)
{
    return ppo_codegen_preamble(f, pol, "one line\nand another");
}

static int write_header(FILE *f, const void *pol)
{
    return ppo_codegen_header(f, pol, "POLICY_H");
}

static void assert_has(const char *text, const char *fragment)
{
    ck_assert_msg(strstr(text, fragment) != NULL, "\"%s\" is not in:\n%s", fragment, text);
}

START_TEST(test_codegen_preamble_and_header_carry_the_contract_for_every_kind)
{
    double lo[6] = {0, 0, 0, 0, 0, 0}, hi[6] = {255, 255, 255, 255, 255, 255};
    const uint32_t nvec[2] = {3, 4};
    const ppo_space_t flat = {.struct_size = sizeof(ppo_space_t),
                              .kind = PPO_SPACE_BOX,
                              .dim = 6,
                              .low = lo,
                              .high = hi,
                              .rank = 1,
                              .shape = {6}};
    const ppo_space_t image = {.struct_size = sizeof(ppo_space_t),
                               .kind = PPO_SPACE_BOX,
                               .dim = 6,
                               .low = lo,
                               .high = hi,
                               .rank = 3,
                               .shape = {1, 2, 3},
                               .dtype = PPO_DTYPE_UINT8};
    const ppo_space_t disc = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 5, .dim = 1};
    const ppo_space_t box = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_BOX, .dim = 2, .low = lo, .high = hi};
    const ppo_space_t multi = {.struct_size = sizeof(ppo_space_t),
                               .kind = PPO_SPACE_MULTI_DISCRETE,
                               .dim = 2,
                               .nvec = nvec};
    const struct {
        const ppo_space_t *obs, *act;
        uint32_t S;
        const char *want[4];
    } cases[] = {
        {&flat,
         &disc,
         0,
         {"#define PPO_POLICY_N_ACTIONS 5", "int ppo_policy_act(const double *obs)", NULL}},
        {&flat,
         &box,
         0,
         {"#define PPO_POLICY_ACT_DIM 2", "void ppo_policy_act(const double *obs, double *action)",
          NULL}},
        {&flat,
         &multi,
         0,
         {"#define PPO_POLICY_NVEC {3, 4}", "void ppo_policy_act(const double *obs, int *action)",
          NULL}},
        {&image,
         &disc,
         0,
         {"#define PPO_POLICY_OBS_UINT8 1", "int ppo_policy_act(const unsigned char *obs)", NULL}},
        {&flat,
         &disc,
         7,
         {"#define PPO_POLICY_STATE_SIZE 7", "int ppo_policy_act(const double *obs, float *state)",
          NULL}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const ppo_codegen_policy_t pol = {sizeof(pol),  cases[i].S, cases[i].obs,
                                          cases[i].act, NULL,       {NULL, NULL}};
        int rc = 0;
        char *pre = capture(write_preamble, &pol, &rc);
        ck_assert_int_eq(rc, 0);
        char *head = capture(write_header, &pol, &rc);
        ck_assert_int_eq(rc, 0);
        assert_has(pre, " * one line\n * and another\n");
        assert_has(pre, "#include <math.h>");
        assert_has(pre, "#define PPO_POLICY_OBS_DIM 6");
        assert_has(head, "#ifndef POLICY_H");
        for (const char *const *w = cases[i].want; *w != NULL; w++) {
            if (g_str_has_prefix(*w, "#define"))
                assert_has(pre, *w);
            assert_has(head, *w);
        }
        if (cases[i].S > 0)
            assert_has(head, "void ppo_policy_reset(float *state);");
        else
            ck_assert_ptr_null(strstr(head, "ppo_policy_reset"));
        if (cases[i].obs == &image)
            assert_has(pre, "uint8 observation (1, 2, 3)");
        g_free(pre);
        g_free(head);
    }
}
END_TEST

START_TEST(test_codegen_refuses_a_normalizer_that_does_not_fit_and_non_finite_weights)
{
    double lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1}, mean[3] = {0, 0, 0}, var[3] = {1, 1, -2};
    const ppo_space_t flat = {.struct_size = sizeof(ppo_space_t),
                              .kind = PPO_SPACE_BOX,
                              .dim = 3,
                              .low = lo,
                              .high = hi,
                              .rank = 1,
                              .shape = {3}};
    const ppo_space_t disc = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 2, .dim = 1};
    const ppo_space_t dict = {.struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DICT, .dim = 1};
    const ppo_obs_norm_t wrong_dim = {sizeof(ppo_obs_norm_t), 1, 2, 0, mean, var, 1e-8, 5.0};
    const ppo_obs_norm_t negative = {sizeof(ppo_obs_norm_t), 1, 3, 0, mean, var, 1e-8, 5.0};
    const ppo_obs_norm_t off = {sizeof(ppo_obs_norm_t), 0, 2, 0, NULL, NULL, 0.0, 0.0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ppo_codegen_policy_t pol = {sizeof(pol), 0, &flat, &disc, &wrong_dim, {NULL, NULL}};
    ck_assert_int_eq(ppo_codegen_preamble(f, &pol, NULL), -1);
    ck_assert_int_eq(ppo_codegen_obs_input(f, &pol, "x"), -1);
    pol.norm = &negative;
    ck_assert_int_eq(ppo_codegen_preamble(f, &pol, NULL), -1);
    pol.norm = &off; /* disabled: not read */
    ck_assert_int_eq(ppo_codegen_preamble(f, &pol, NULL), 0);
    pol.act_space = &dict;
    ck_assert_int_eq(ppo_codegen_act_begin(f, &pol), -1);
    pol.act_space = &disc;
    ck_assert_int_eq(ppo_codegen_reset(f, &pol, NULL), -1); /* no state */
    ck_assert_int_eq(ppo_codegen_multi_argmax(f, &pol, "l"), -1);
    const float w[2] = {1.0f, NAN};
    ck_assert_int_eq(ppo_codegen_floats(f, "w", w, 2, 1), -1);
    ck_assert_int_eq(ppo_codegen_activation_fn(f, (ppo_activation_t)99), -1);
    fclose(f);
    free(buf);
}
END_TEST

/* ---- a file written with the helpers, compiled and run ---- */

#define CG_D 11
#define CG_H 20
#define CG_R 7
#define CG_A 3
#define CG_N 200

/* Compile `source` with the driver for D observations (uint8 or doubles) and A actions, run it on
 * `input`, return the N x A actions (transfer full), or NULL without a C compiler. */
static double *compile_and_run(const char *source, int u8, uint32_t D, uint32_t A,
                               const char *input, uint32_t N)
{
    char *cc = g_find_program_in_path("cc");
    if (cc == NULL) {
        printf("no C compiler \"cc\" on PATH: the generated file is not run\n");
        return NULL;
    }
    char *dir = ppo_test_tmpdir();
    char *c_path = g_build_filename(dir, "policy.c", NULL),
         *prog = g_build_filename(dir, "p", NULL);
    char *in_path = g_build_filename(dir, "in.txt", NULL);
    char *out_path = g_build_filename(dir, "out.txt", NULL);
    char *driver = ppo_test_src_path("tests/core/codegen_driver.c");
    ck_assert(g_file_set_contents(c_path, source, -1, NULL));
    ck_assert(g_file_set_contents(in_path, input, -1, NULL));
    char *d_obs = g_strdup_printf("-DCODEGEN_OBS_DIM=%u", D);
    char *d_act = g_strdup_printf("-DCODEGEN_ACT_DIM=%u", A);
    char *argv_cc[] = {cc,      "-std=c99", "-pedantic",
                       "-Wall", "-Wextra",  "-Werror",
                       d_obs,   d_act,      u8 ? "-DCODEGEN_UINT8" : "-DCODEGEN_DOUBLE",
                       driver,  c_path,     "-o",
                       prog,    "-lm",      NULL};
    ppo_test_run_ok(argv_cc);
    char *argv_run[] = {prog, in_path, out_path, NULL};
    ppo_test_run_ok(argv_run);
    char *text = NULL;
    ck_assert(g_file_get_contents(out_path, &text, NULL, NULL));
    double *actions = g_new(double, (size_t)N *A);
    char *cursor = text;
    for (size_t i = 0; i < (size_t)N * A; i++) {
        char *end = NULL;
        actions[i] = strtod(cursor, &end);
        ck_assert_msg(end != cursor, "the program wrote too few actions (%zu)", i);
        cursor = end;
    }
    g_free(text);
    ppo_test_rm_tree(dir);
    g_free(dir);
    g_free(c_path);
    g_free(prog);
    g_free(in_path);
    g_free(out_path);
    g_free(driver);
    g_free(d_obs);
    g_free(d_act);
    g_free(cc);
    return actions;
}

static float *random_floats(GRand *r, size_t n, double scale)
{
    float *v = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)g_rand_double_range(r, -scale, scale);
    return v;
}

START_TEST(test_codegen_layers_compute_what_libppofw_computes)
{
    GRand *r = g_rand_new_with_seed(3);
    double lo[CG_D], hi[CG_D], mean[CG_D], var[CG_D];
    for (int i = 0; i < CG_D; i++) {
        lo[i] = -4.0;
        hi[i] = 4.0;
        mean[i] = g_rand_double_range(r, -1, 1);
        var[i] = g_rand_double_range(r, 0.1, 3);
    }
    const ppo_space_t obs = {.struct_size = sizeof(ppo_space_t),
                             .kind = PPO_SPACE_BOX,
                             .dim = CG_D,
                             .low = lo,
                             .high = hi,
                             .rank = 1,
                             .shape = {CG_D}};
    const ppo_space_t act = {.struct_size = sizeof(ppo_space_t),
                             .kind = PPO_SPACE_BOX,
                             .dim = CG_A,
                             .low = lo,
                             .high = hi};
    const ppo_obs_norm_t norm = {sizeof(norm), 1, CG_D, 0, mean, var, 1e-8, 2.0};
    const ppo_codegen_policy_t pol = {sizeof(pol), 0, &obs, &act, &norm, {NULL, NULL}};
    float *w0 = random_floats(r, CG_H * CG_D, 0.5), *b0 = random_floats(r, CG_H, 0.5);
    float *gain = random_floats(r, CG_H, 1.5), *bias = random_floats(r, CG_H, 0.5);
    float *w1 = random_floats(r, CG_R * CG_H, 0.5), *b1 = random_floats(r, CG_R, 0.5);
    float *w2 = random_floats(r, CG_A * CG_R, 0.5);

    /* the file */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(ppo_codegen_preamble(f, &pol, "dense tanh, layer norm, dense relu, dense"), 0);
    ck_assert_int_eq(ppo_codegen_floats(f, "ppo_policy_w0", w0, CG_H, CG_D) |
                         ppo_codegen_floats(f, "ppo_policy_b0", b0, CG_H, 1) |
                         ppo_codegen_floats(f, "ppo_policy_g", gain, CG_H, 1) |
                         ppo_codegen_floats(f, "ppo_policy_gb", bias, CG_H, 1) |
                         ppo_codegen_floats(f, "ppo_policy_w1", w1, CG_R, CG_H) |
                         ppo_codegen_floats(f, "ppo_policy_b1", b1, CG_R, 1) |
                         ppo_codegen_floats(f, "ppo_policy_w2", w2, CG_A, CG_R),
                     0);
    ck_assert_int_eq(ppo_codegen_linear_fn(f) | ppo_codegen_activation_fn(f, PPO_ACTIVATION_TANH) |
                         ppo_codegen_activation_fn(f, PPO_ACTIVATION_RELU) |
                         ppo_codegen_layernorm_fn(f) | ppo_codegen_act_begin(f, &pol),
                     0);
    fprintf(f, "    float x[%d], h[%d], n[%d], q[%d], m[%d];\n", CG_D, CG_H, CG_H, CG_R, CG_A);
    ck_assert_int_eq(
        ppo_codegen_obs_input(f, &pol, "x") |
            ppo_codegen_dense(f, CG_D, CG_H, "x", "ppo_policy_w0", "ppo_policy_b0", "h",
                              PPO_ACTIVATION_TANH) |
            ppo_codegen_layernorm(f, CG_H, "h", "ppo_policy_g", "ppo_policy_gb", 1e-5f, "n") |
            ppo_codegen_dense(f, CG_H, CG_R, "n", "ppo_policy_w1", "ppo_policy_b1", "q",
                              PPO_ACTIVATION_RELU) |
            ppo_codegen_dense(f, CG_R, CG_A, "q", "ppo_policy_w2", NULL, "m",
                              PPO_ACTIVATION_IDENTITY) |
            ppo_codegen_gaussian_mean(f, CG_A, "m") | ppo_codegen_act_end(f),
        0);
    fclose(f);

    /* observations, and libppofw's own computation of each */
    GString *input = g_string_new(NULL);
    float *ref = g_new(float, (size_t)CG_N *CG_A);
    for (int k = 0; k < CG_N; k++) {
        float x[CG_D], h[CG_H], n[CG_H], q[CG_R];
        for (int i = 0; i < CG_D; i++) {
            const float raw = (float)g_rand_double_range(r, -4, 4);
            g_string_append_printf(input, "%a ", (double)raw);
            double v = ((double)raw - mean[i]) * (1.0 / sqrt(var[i] + 1e-8));
            x[i] = (float)(v < -2.0 ? -2.0 : v > 2.0 ? 2.0 : v);
        }
        g_string_append_c(input, '\n');
        ppo_linear_forward(1, CG_D, CG_H, x, w0, b0, h);
        ppo_tanh(CG_H, h);
        ppo_layernorm_forward(1, CG_H, h, gain, bias, 1e-5f, n, NULL);
        ppo_linear_forward(1, CG_H, CG_R, n, w1, b1, q);
        ppo_activation_forward(PPO_ACTIVATION_RELU, CG_R, q);
        ppo_linear_forward(1, CG_R, CG_A, q, w2, NULL, ref + (size_t)k * CG_A);
    }
    double *got = compile_and_run(text, 0, CG_D, CG_A, input->str, CG_N);
    double worst = 0.0;
    for (size_t i = 0; got != NULL && i < (size_t)CG_N * CG_A; i++)
        worst = fmax(worst, fabs(got[i] - ref[i]) / (1.0 + fabs(ref[i])));
    printf("generated layers: max relative difference to libppofw %.3g over %d rows\n", worst,
           CG_N);
    ck_assert_msg(worst <= 1e-5, "the generated file differs from libppofw by %.3g", worst);
    g_free(got);
    g_free(ref);
    g_string_free(input, TRUE);
    free(text);
    g_free(w0);
    g_free(b0);
    g_free(gain);
    g_free(bias);
    g_free(w1);
    g_free(b1);
    g_free(w2);
    g_rand_free(r);
}
END_TEST

START_TEST(test_codegen_uint8_input_converts_as_the_core_with_bounds_per_element)
{
    enum { D = 6, N = 64 };
    double lo[D] = {0, 0, 10, 0, 1, 0}, hi[D] = {255, 1, 20, 255, 3, 128};
    const ppo_space_t obs = {.struct_size = sizeof(ppo_space_t),
                             .kind = PPO_SPACE_BOX,
                             .dim = D,
                             .low = lo,
                             .high = hi,
                             .rank = 1,
                             .shape = {D},
                             .dtype = PPO_DTYPE_UINT8};
    const ppo_space_t act = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_BOX, .dim = D, .low = lo, .high = hi};
    const ppo_codegen_policy_t pol = {sizeof(pol), 0, &obs, &act, NULL, {NULL, NULL}};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(ppo_codegen_preamble(f, &pol, NULL) | ppo_codegen_act_begin(f, &pol), 0);
    fprintf(f, "    float x[%d];\n", D);
    ck_assert_int_eq(ppo_codegen_obs_input(f, &pol, "x") | ppo_codegen_gaussian_mean(f, D, "x") |
                         ppo_codegen_act_end(f),
                     0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "ppo_policy_obs_low[6]"));
    /* the core's conversion of the same bytes */
    ppo_obs_convert_t cv;
    ppo_obs_convert_init(&cv, &obs);
    GRand *r = g_rand_new_with_seed(4);
    uint8_t bytes[N * D];
    GString *input = g_string_new(NULL);
    for (int k = 0; k < N * D; k++) {
        const int i = k % D;
        bytes[k] = (uint8_t)g_rand_int_range(r, (int)lo[i], (int)hi[i] + 1);
        g_string_append_printf(input, "%u%c", bytes[k], i + 1 < D ? ' ' : '\n');
    }
    float ref[N * D];
    ppo_obs_convert_rows(&cv, bytes, D, N, ref);
    double *got = compile_and_run(text, 1, D, D, input->str, N);
    for (int k = 0; got != NULL && k < N * D; k++)
        ck_assert_msg(got[k] == ref[k], "element %d (byte %u): generated %.9g, the core %.9g", k,
                      bytes[k], got[k], (double)ref[k]);
    g_free(got);
    ppo_obs_convert_clear(&cv);
    g_string_free(input, TRUE);
    g_rand_free(r);
    free(text);
}
END_TEST

static Suite *codegen_suite(void)
{
    Suite *s = suite_create("ppo_codegen");
    TCase *tc = tcase_create("codegen");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_codegen_preamble_and_header_carry_the_contract_for_every_kind);
    tcase_add_test(tc, test_codegen_refuses_a_normalizer_that_does_not_fit_and_non_finite_weights);
    tcase_add_test(tc, test_codegen_layers_compute_what_libppofw_computes);
    tcase_add_test(tc, test_codegen_uint8_input_converts_as_the_core_with_bounds_per_element);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(codegen_suite());
}
