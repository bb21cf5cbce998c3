/* Tests of core/ppo_export_verify.c: verifying an exported policy with the header `ppofw export
 * --header` writes (ppo_codegen_header) for every kind of the export contract.
 *
 * For each kind (discrete, multi-discrete and uint8 image observations with the linear fixture,
 * box actions with the layer-norm fixture, a recurrent Elman network), the file export_c writes
 * and the header compile together and act as the plugin; a header written for other spaces is a
 * contract failure naming the macro; a file that compiles but omits the recurrent reset is one
 * too. Without a compiler every verification is NO_COMPILER, never OK.
 *
 * Left out: check-policy's use of the verifier (tests/core/test_ppo_check_policy.c), the
 * command line (tests/cli/test_cli_lifecycle.c).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>

#include "ppo_model_private.h"
#include "sdk/sdk_test.h"

/* One fixture instance made for two spaces, its export and a header in a temporary directory. */
typedef struct target {
    ppo_model_t *model;
    ppo_params_t *params;
    char *dir, *c_path, *h_path;
    ppo_export_target_t t;
} target_t;

static void target_open(target_t *x, const char *fixture, const ppo_space_t *obs,
                        const ppo_space_t *act)
{
    const ppo_plugin_t *p = sdk_fixture(fixture);
    memset(x, 0, sizeof(*x));
    x->params = ppo_test_params(p, "");
    GError *error = NULL;
    x->model = ppo_model_new(p, x->params, obs, act, 1, 0, &error);
    ck_assert_msg(x->model != NULL, "%s", error != NULL ? error->message : "");
    ppo_model_init(x->model, 5);
    x->dir = ppo_test_tmpdir();
    x->c_path = g_build_filename(x->dir, "p.c", NULL);
    x->h_path = g_build_filename(x->dir, "p.h", NULL);
    FILE *f = g_fopen(x->c_path, "w");
    ck_assert_int_eq(p->vt.policy.export_c(x->model->inst, x->model->params, NULL, f), 0);
    fclose(f);
    const uint32_t S =
        p->vt.policy.recurrent != NULL ? p->vt.policy.recurrent->state_size(x->model->inst) : 0;
    x->t = (ppo_export_target_t){.plugin = p,
                                 .inst = x->model->inst,
                                 .obs_space = obs,
                                 .act_space = act,
                                 .state_size = S,
                                 .n_envs = 1,
                                 .seed = 2};
}

/* Write the header for spaces obs/act (the target's own, or others). */
static void write_header(target_t *x, const ppo_space_t *obs, const ppo_space_t *act)
{
    const ppo_codegen_policy_t pol = {sizeof(pol), x->t.state_size, obs, act, NULL, {NULL, NULL}};
    FILE *f = g_fopen(x->h_path, "w");
    ck_assert_int_eq(ppo_codegen_header(f, &pol, "P_H"), 0);
    fclose(f);
}

static void target_close(target_t *x)
{
    ppo_model_free(x->model);
    ppo_params_free(x->params);
    ppo_test_rm_tree(x->dir);
    g_free(x->dir);
    g_free(x->c_path);
    g_free(x->h_path);
}

static double lo4[4] = {-5, -5, -5, -5}, hi4[4] = {5, 5, 5, 5};
static double lo400[400], hi400[400];
static const uint32_t nvec[2] = {3, 2};

/* The spaces the tests make fixtures for. */
static const ppo_space_t flat = {.struct_size = sizeof(ppo_space_t),
                                 .kind = PPO_SPACE_BOX,
                                 .dim = 4,
                                 .low = lo4,
                                 .high = hi4,
                                 .rank = 1,
                                 .shape = {4}};
static const ppo_space_t image = {.struct_size = sizeof(ppo_space_t),
                                  .kind = PPO_SPACE_BOX,
                                  .dim = 400,
                                  .low = lo400,
                                  .high = hi400,
                                  .rank = 3,
                                  .shape = {4, 10, 10},
                                  .dtype = PPO_DTYPE_UINT8};
static const ppo_space_t disc = {
    .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 3, .dim = 1};
static const ppo_space_t disc4 = {
    .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 4, .dim = 1};
static const ppo_space_t multi = {
    .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_MULTI_DISCRETE, .dim = 2, .nvec = nvec};
static const ppo_space_t box = {.struct_size = sizeof(ppo_space_t),
                                .kind = PPO_SPACE_BOX,
                                .dim = 2,
                                .low = lo4,
                                .high = hi4,
                                .rank = 1,
                                .shape = {2}};

START_TEST(test_export_and_header_verify_for_every_kind_of_the_contract)
{
    for (int i = 0; i < 400; i++) {
        lo400[i] = 0;
        hi400[i] = 255;
    }
    const struct {
        const char *fixture;
        const ppo_space_t *obs, *act;
    } kinds[] = {
        {"sdk_good_policy", &flat, &disc},  {"sdk_good_policy", &flat, &multi},
        {"sdk_good_policy", &image, &disc}, {"sdk_layernorm", &flat, &box},
        {"sdk_rnn", &flat, &disc},
    };
    const bool cc = sdk_have_compiler();
    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
        target_t x;
        target_open(&x, kinds[k].fixture, kinds[k].obs, kinds[k].act);
        write_header(&x, kinds[k].obs, kinds[k].act);
        char *detail = NULL;
        ppo_export_status_t st = ppo_export_verify(&x.t, x.c_path, x.h_path, &detail);
        if (!cc) {
            ck_assert_int_eq(st, PPO_EXPORT_NO_COMPILER);
        } else {
            ck_assert_msg(st == PPO_EXPORT_OK, "%s (kind %zu): %d: %s", kinds[k].fixture, k, st,
                          detail);
            printf("%s kind %zu with its header: %s\n", kinds[k].fixture, k, detail);
        }
        g_free(detail);
        target_close(&x);
    }
}
END_TEST

START_TEST(test_export_verify_fails_a_header_for_other_spaces)
{
    if (!sdk_have_compiler())
        return;
    target_t x;
    target_open(&x, "sdk_good_policy", &flat, &disc);
    write_header(&x, &flat, &disc4);
    char *detail = NULL;
    ck_assert_int_eq(ppo_export_verify(&x.t, x.c_path, x.h_path, &detail), PPO_EXPORT_CONTRACT);
    ck_assert_msg(strstr(detail, "PPO_POLICY_N_ACTIONS") != NULL, "%s", detail);
    g_free(detail);
    target_close(&x);
}
END_TEST

START_TEST(test_export_verify_fails_a_recurrent_file_without_its_reset)
{
    if (!sdk_have_compiler())
        return;
    target_t x;
    target_open(&x, "sdk_rnn", &flat, &disc);
    /* the file without ppo_policy_reset: cut from its definition to the next blank line pair */
    char *text = NULL;
    ck_assert(g_file_get_contents(x.c_path, &text, NULL, NULL));
    char *start = strstr(text, "void ppo_policy_reset(float *state);");
    ck_assert_ptr_nonnull(start);
    char *end = strstr(start, "\n}\n");
    ck_assert_ptr_nonnull(end);
    memmove(start, end + 3, strlen(end + 3) + 1);
    ck_assert(g_file_set_contents(x.c_path, text, -1, NULL));
    char *detail = NULL;
    ck_assert_int_eq(ppo_export_verify(&x.t, x.c_path, NULL, &detail), PPO_EXPORT_CONTRACT);
    ck_assert_msg(strstr(detail, "ppo_policy_reset") != NULL, "%s", detail);
    g_free(detail);
    g_free(text);
    target_close(&x);
}
END_TEST

static Suite *export_verify_suite(void)
{
    Suite *s = suite_create("ppo_export_verify");
    TCase *tc = tcase_create("verify");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_export_and_header_verify_for_every_kind_of_the_contract);
    tcase_add_test(tc, test_export_verify_fails_a_header_for_other_spaces);
    tcase_add_test(tc, test_export_verify_fails_a_recurrent_file_without_its_reset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(export_verify_suite());
}
