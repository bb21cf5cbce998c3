/* Tests of ABI compatibility (docs/design.md §9): a plugin built against the plugin ABI 1.1
 * headers loads and trains unchanged, bit for bit.
 *
 * The out-of-tree examples (examples/gridworld, examples/linear_policy) are built twice with the
 * system's C compiler, against the 1.1 headers kept in tests/fixtures/abi-1.1/include and against
 * the current ones, and linked to the built libppofw. `ppofw plugins info` must report each build's
 * ABI, and check-env and check-policy must pass the 1.1 builds (a 1.1 policy is not offered
 * multi-discrete actions, which its ABI lacks). Each pair trains with the same pipeline and seed
 * (the gridworld with mlp; CartPole with the linear policy), and the runs must write the same
 * metrics.csv (every column but the time columns time_s and sps) and end with the same
 * parameters, bit for bit.
 *
 * Left out: the examples against an installed SDK (tests/sdk/test_sdk_install.sh).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/wait.h>

#include "ppo_checkpoint_private.h"
#include "ppo_rundir_private.h"
#include "sdk/sdk_test.h"

/* Build both examples into `dir` against the headers of `include` (NULL-terminated -I dirs). */
static void build_examples(const char *cc, const char *dir, const char *const *include)
{
    static const char *const examples[] = {"gridworld", "linear_policy"};
    char *libdir = g_build_filename(sdk_build_dir(), ".libs", NULL);
    char *rpath = g_strconcat("-Wl,-rpath,", libdir, NULL);
    char *lflag = g_strconcat("-L", libdir, NULL);
    for (size_t e = 0; e < G_N_ELEMENTS(examples); e++) {
        char *rel = g_strdup_printf("examples/%s/%s.c", examples[e], examples[e]);
        char *src = ppo_test_src_path(rel);
        char *file = g_strconcat(examples[e], ".so", NULL);
        char *so = g_build_filename(dir, file, NULL);
        GPtrArray *a = g_ptr_array_new();
        const char *const flags[] = {cc,        "-std=gnu11", "-O2",
                                     "-Wall",   "-Wextra",    "-Wno-unused-parameter",
                                     "-Werror", "-fPIC",      "-fvisibility=hidden",
                                     "-shared", "-o",         so};
        for (size_t i = 0; i < G_N_ELEMENTS(flags); i++)
            g_ptr_array_add(a, (gpointer)flags[i]);
        for (const char *const *inc = include; *inc != NULL; inc++)
            g_ptr_array_add(a, (gpointer)*inc);
        const char *const tail[] = {src, lflag, "-lppofw", rpath, "-lm"};
        for (size_t i = 0; i < G_N_ELEMENTS(tail); i++)
            g_ptr_array_add(a, (gpointer)tail[i]);
        g_ptr_array_add(a, NULL);
        ppo_test_run_ok((char **)a->pdata);
        g_ptr_array_free(a, TRUE);
        g_free(so);
        g_free(file);
        g_free(src);
        g_free(rel);
    }
    g_free(libdir);
    g_free(rpath);
    g_free(lflag);
}

/* Train `config` with the plugins of `dir` into dir/NAME (transfer full: the run directory). */
static char *train(const char *dir, const char *config, const char *name, const char *const *sets)
{
    char *cfg = ppo_test_src_path(config);
    char *run = g_build_filename(dir, name, NULL);
    GPtrArray *a = g_ptr_array_new();
    char *prog = g_build_filename(sdk_build_dir(), "ppofw", NULL);
    const char *const head[] = {
        prog, "run", cfg,     "--plugin-path",        dir,     "--run-dir",
        run,  "-q",  "--set", "ppo.total_steps=4096", "--set", "ppo.threads=2"};
    for (size_t i = 0; i < G_N_ELEMENTS(head); i++)
        g_ptr_array_add(a, (gpointer)head[i]);
    for (const char *const *s = sets; *s != NULL; s++) {
        g_ptr_array_add(a, "--set");
        g_ptr_array_add(a, (gpointer)*s);
    }
    g_ptr_array_add(a, NULL);
    ppo_test_run_ok((char **)a->pdata);
    g_ptr_array_free(a, TRUE);
    g_free(prog);
    g_free(cfg);
    return run;
}

/* The two runs' metrics.csv agree in every cell of every column but the time columns. */
static void assert_same_metrics(const char *run_a, const char *run_b)
{
    char *pa = g_build_filename(run_a, "metrics.csv", NULL);
    char *pb = g_build_filename(run_b, "metrics.csv", NULL);
    ppo_csv_t *a = ppo_csv_load(pa), *b = ppo_csv_load(pb);
    ck_assert_uint_eq(a->n_cols, b->n_cols);
    ck_assert_uint_eq(a->rows->len, b->rows->len);
    ck_assert_uint_ge(a->rows->len, 4);
    for (guint c = 0; c < a->n_cols; c++) {
        ck_assert_str_eq(a->header[c], b->header[c]);
        if (strcmp(a->header[c], "time_s") == 0 || strcmp(a->header[c], "sps") == 0)
            continue;
        for (guint r = 0; r < a->rows->len; r++)
            ck_assert_msg(strcmp(ppo_csv_str(a, r, (int)c), ppo_csv_str(b, r, (int)c)) == 0,
                          "metrics.csv row %u, %s: %s (ABI 1.1 build) vs %s (current)", r + 1,
                          a->header[c], ppo_csv_str(a, r, (int)c), ppo_csv_str(b, r, (int)c));
    }
    ppo_csv_free(a);
    ppo_csv_free(b);
    g_free(pa);
    g_free(pb);
}

/* The newest checkpoints of the two runs hold the same parameters, bit for bit. */
static void assert_same_parameters(const char *run_a, const char *dir_a, const char *run_b,
                                   const char *dir_b)
{
    const char *runs[2] = {run_a, run_b}, *dirs[2] = {dir_a, dir_b};
    ppo_loaded_policy_t *lp[2];
    for (int i = 0; i < 2; i++) {
        char *ckpt = ppo_rundir_latest_checkpoint(runs[i], NULL);
        ck_assert_msg(ckpt != NULL, "no checkpoint in %s", runs[i]);
        const char *extra[] = {dirs[i], NULL};
        ppo_search_t *search = ppo_search_new(extra);
        GError *error = NULL;
        lp[i] = ppo_loaded_policy_open(ckpt, NULL, NULL, search, &error);
        ck_assert_msg(lp[i] != NULL, "%s: %s", ckpt, error != NULL ? error->message : "");
        ppo_search_free(search);
        g_free(ckpt);
    }
    ck_assert_uint_eq(lp[0]->model->n_params, lp[1]->model->n_params);
    ck_assert_msg(memcmp(lp[0]->model->params, lp[1]->model->params,
                         sizeof(float) * lp[0]->model->n_params) == 0,
                  "the final parameters differ between the ABI 1.1 and the current build");
    for (int i = 0; i < 2; i++)
        ppo_loaded_policy_free(lp[i]);
}

START_TEST(test_examples_built_for_abi_1_1_train_the_same_bits_as_built_for_the_current_abi)
{
    char *cc = g_find_program_in_path("cc");
    if (cc == NULL) {
        printf("no C compiler \"cc\" on PATH: the examples are not built\n");
        return;
    }
    char *tmp = ppo_test_tmpdir();
    char *dir11 = g_build_filename(tmp, "abi-1.1", NULL),
         *dir12 = g_build_filename(tmp, "now", NULL);
    g_mkdir(dir11, 0755);
    g_mkdir(dir12, 0755);
    char *inc11 = ppo_test_src_path("tests/fixtures/abi-1.1/include");
    char *inc_src = ppo_test_src_path("include");
    char *inc_build = g_build_filename(sdk_build_dir(), "include", NULL);
    char *i11 = g_strconcat("-I", inc11, NULL), *i_src = g_strconcat("-I", inc_src, NULL);
    char *i_build = g_strconcat("-I", inc_build, NULL);
    const char *const old_headers[] = {i11, NULL}, *const new_headers[] = {i_src, i_build, NULL};
    build_examples(cc, dir11, old_headers);
    build_examples(cc, dir12, new_headers);

    /* each build reports the ABI it was built for */
    const char *const dirs[2] = {dir11, dir12};
    for (int d = 0; d < 2; d++) {
        char *so = g_build_filename(dirs[d], "gridworld.so", NULL);
        sdk_run_t r = sdk_ppofw(NULL, NULL, "plugins", "info", so, NULL);
        ck_assert_int_eq(r.status, 0);
        char *abi = d == 0 ? g_strdup("plugin ABI 1.1")
                           : g_strdup_printf("plugin ABI %d.%d", PPO_ABI_MAJOR, PPO_ABI_MINOR);
        ck_assert_msg(strstr(r.out, abi) != NULL, "%s: %s", so, r.out);
        g_free(abi);
        sdk_run_clear(&r);
        g_free(so);
    }

    /* the checkers take the 1.1 builds as they are; a 1.1 policy is never offered a kind of
     * space its ABI did not have */
    char *lin = g_build_filename(dir11, "linear_policy.so", NULL);
    char *grid = g_build_filename(dir11, "gridworld.so", NULL);
    sdk_run_t r = sdk_ppofw(NULL, NULL, "check-policy", lin, NULL);
    ck_assert_msg(r.status == 0, "check-policy of the 1.1 linear_policy: exit %d\n%s%s", r.status,
                  r.out, r.err);
    ck_assert_msg(strstr(r.out, "skip  multi-discrete/create built for plugin ABI 1.1") != NULL,
                  "%s", r.out);
    sdk_run_clear(&r);
    r = sdk_ppofw(NULL, NULL, "check-env", grid, "--episodes", "3", NULL);
    ck_assert_msg(r.status == 0, "check-env of the 1.1 gridworld: exit %d\n%s%s", r.status, r.out,
                  r.err);
    sdk_run_clear(&r);
    g_free(lin);
    g_free(grid);

    /* the gridworld with mlp, and CartPole with the linear policy */
    const char *const grid_sets[] = {NULL};
    const char *const lin_sets[] = {NULL};
    char *grid11 = train(dir11, "examples/gridworld/gridworld.yaml", "grid", grid_sets);
    char *grid12 = train(dir12, "examples/gridworld/gridworld.yaml", "grid", grid_sets);
    char *lin11 = train(dir11, "examples/linear_policy/linear_policy.yaml", "lin", lin_sets);
    char *lin12 = train(dir12, "examples/linear_policy/linear_policy.yaml", "lin", lin_sets);
    assert_same_metrics(grid11, grid12);
    assert_same_metrics(lin11, lin12);
    assert_same_parameters(grid11, dir11, grid12, dir12);
    assert_same_parameters(lin11, dir11, lin12, dir12);
    printf("gridworld and linear_policy built for ABI 1.1 and %d.%d: the same metrics and "
           "parameters, bit for bit\n",
           PPO_ABI_MAJOR, PPO_ABI_MINOR);

    g_free(grid11);
    g_free(grid12);
    g_free(lin11);
    g_free(lin12);
    g_free(i11);
    g_free(i_src);
    g_free(i_build);
    g_free(inc11);
    g_free(inc_src);
    g_free(inc_build);
    g_free(dir11);
    g_free(dir12);
    ppo_test_rm_tree(tmp);
    g_free(tmp);
    g_free(cc);
}
END_TEST

static Suite *abi11_suite(void)
{
    Suite *s = suite_create("sdk_abi11");
    TCase *tc = tcase_create("abi11");
    tcase_set_timeout(tc, 600);
    tcase_add_test(
        tc, test_examples_built_for_abi_1_1_train_the_same_bits_as_built_for_the_current_abi);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(abi11_suite());
}
