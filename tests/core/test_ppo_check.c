/* Tests of core/ppo_check.c: the report, and the env checker behind `ppofw check-env`.
 *
 * Each defect fixture of tests/sdk/fixtures/ (the sdk_env.h walker with one thing wrong) must
 * fail exactly the check for its defect, with a message that says what was found and where: a
 * NaN observation, an observation outside the declared box, a reset that ignores its seed, an
 * observation box with zero dimensions, a byte observation above its box. The defect-free walker,
 * the defect-free byte grid with multi-discrete actions, and every shipped env (the
 * classic-control ones, the MinAtar games and, when built, the MuJoCo ones) must pass every
 * check.
 *
 * Left out: the policy checker (test_ppo_check_policy.c) and the command's output and exit code
 * (tests/sdk/test_sdk_commands.c).
 */
#include "config.h"

#include <stdio.h>

#include "sdk/sdk_test.h"

/* Run check-env on `p` with default params and options. (transfer full) */
static ppo_check_report_t *check_env(const ppo_plugin_t *p)
{
    ppo_params_t *params = ppo_test_params(p, "");
    ppo_check_env_options_t opt = ppo_check_env_defaults();
    ppo_check_report_t *r = ppo_check_report_new(NULL);
    ppo_check_env(p, params, &opt, r);
    ppo_params_free(params);
    return r;
}

/* Fail unless exactly the checks in `expected` (comma-separated ids) failed. */
static void assert_failed_exactly(const ppo_check_report_t *r, const char *expected)
{
    char *ids = sdk_failed_ids(r);
    ck_assert_msg(strcmp(ids, expected) == 0, "failed checks: \"%s\", expected \"%s\"", ids,
                  expected);
    g_free(ids);
}

START_TEST(test_check_env_reports_a_nan_observation_with_its_episode_and_step)
{
    ppo_check_report_t *r = check_env(sdk_fixture("sdk_nan_obs"));
    sdk_assert_failed(r, "obs-finite", "NaN/Inf observation", "episode 0, step 3 (step)",
                      "observation[1] is nan", NULL);
    assert_failed_exactly(r, "obs-finite");
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_reports_an_observation_outside_the_declared_box)
{
    ppo_check_report_t *r = check_env(sdk_fixture("sdk_out_of_box"));
    sdk_assert_failed(r, "obs-in-box", "episode 0, step 3 (step)",
                      "observation[0] = 1.5 is outside the declared box [-1, 1]", NULL);
    assert_failed_exactly(r, "obs-in-box");
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_reports_a_reset_that_ignores_its_seed)
{
    ppo_check_report_t *r = check_env(sdk_fixture("sdk_seedless"));
    sdk_assert_failed(r, "reset-seed", "reset ignores the seed", "two resets with the same stream",
                      "keep no generator, clock or counter", NULL);
    /* the static counter also makes trajectories depend on what ran before */
    sdk_assert_failed(r, "reproducible", "static variables", NULL);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_reports_a_space_with_zero_dims_and_stops)
{
    ppo_check_report_t *r = check_env(sdk_fixture("sdk_zero_dim"));
    sdk_assert_failed(r, "spaces", "observation space: a box with dim = 0 (zero dimensions)",
                      "dim >= 1", NULL);
    assert_failed_exactly(r, "spaces");
    /* nothing can be stepped without a valid space */
    ck_assert_ptr_null(ppo_check_find(r, "obs-finite"));
    ck_assert_uint_eq(r->items->len, 2);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_passes_the_defect_free_fixture)
{
    ppo_check_report_t *r = check_env(sdk_fixture("sdk_good_env"));
    assert_failed_exactly(r, "");
    ck_assert_int_eq(sdk_item(r, "reset-seeds-differ")->status, PPO_CHECK_OK);
    ck_assert_int_eq(sdk_item(r, "state")->status, PPO_CHECK_SKIP);
    ck_assert_int_eq(sdk_item(r, "render-text")->status, PPO_CHECK_SKIP);
    ck_assert_int_eq(sdk_item(r, "threads")->status, PPO_CHECK_OK);
    ck_assert_int_eq(sdk_item(r, "auto-reset")->status, PPO_CHECK_OK);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_reads_byte_observations_and_draws_multi_discrete_actions)
{
    /* the fixture refuses a component outside its range, and its states carry bytes */
    ppo_check_report_t *r = check_env(sdk_fixture("sdk_bytes_env"));
    assert_failed_exactly(r, "");
    const char *const ok[] = {"spaces",     "reset-seed", "reset-seeds-differ", "callbacks",
                              "obs-in-box", "state",      "reproducible",       "threads",
                              NULL};
    for (const char *const *id = ok; *id != NULL; id++)
        ck_assert_msg(sdk_item(r, *id)->status == PPO_CHECK_OK, "%s: %s", *id,
                      sdk_item(r, *id)->detail);
    ck_assert_ptr_nonnull(strstr(sdk_item(r, "spaces")->detail, "box uint8 (2, 3)"));
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_reports_a_byte_outside_the_declared_box)
{
    ppo_check_report_t *r = check_env(sdk_fixture("sdk_bytes_out_of_box"));
    sdk_assert_failed(r, "obs-in-box", "episode 0, step 3 (step)",
                      "observation[0] = 4 is outside the declared box [0, 3]", NULL);
    assert_failed_exactly(r, "obs-in-box");
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_passes_every_shipped_env)
{
    ppo_search_t *search = ppo_search_new(NULL);
    GPtrArray *failures = NULL;
    GPtrArray *all = ppo_plugin_list(search, &failures);
    char *shipped = g_build_filename(sdk_build_dir(), "plugins", "", NULL);
    guint n = 0;
    for (guint i = 0; i < all->len; i++) {
        const ppo_plugin_t *p = g_ptr_array_index(all, i);
        if (p->kind != PPO_KIND_ENV || !g_str_has_prefix(p->path, shipped))
            continue;
        ppo_check_report_t *r = check_env(p);
        char *ids = sdk_failed_ids(r);
        ck_assert_msg(*ids == '\0', "shipped env %s fails check-env: %s", p->name, ids);
        /* every property was judged, and the optional ones the env offers too */
        const char *const judged[] = {"spaces",       "reset-seed", "reset-seeds-differ",
                                      "obs-finite",   "obs-in-box", "reward-finite",
                                      "episodes-end", "auto-reset", "state",
                                      "reproducible", "threads",    NULL};
        for (const char *const *id = judged; *id != NULL; id++) {
            const ppo_check_item_t *item = sdk_item(r, *id);
            /* a start without randomness (three of the MinAtar games) is a warning, no fault */
            const bool fixed_start = strcmp(*id, "reset-seeds-differ") == 0 &&
                                     item->status == PPO_CHECK_WARN &&
                                     strstr(item->detail, "reset draws nothing") != NULL;
            ck_assert_msg(item->status == PPO_CHECK_OK || fixed_start, "%s: %s is %d: %s",
                          p->name, *id, item->status, item->detail);
        }
        /* an env that draws itself draws its state, inside its buffer */
        if (p->vt.env.render_rgb != NULL)
            for (const char *const *id =
                     (const char *const[]){"render-size", "render-bounds", "render-pure", NULL};
                 *id != NULL; id++)
                ck_assert_msg(sdk_item(r, *id)->status == PPO_CHECK_OK, "%s: %s: %s", p->name, *id,
                              sdk_item(r, *id)->detail);
        printf("check-env %-24s %u checks passed\n", p->name, r->items->len);
        g_free(ids);
        ppo_check_report_free(r);
        n++;
    }
#ifdef PPO_HAVE_MUJOCO
    ck_assert_uint_ge(n, 15);
#else
    ck_assert_uint_ge(n, 10);
#endif
    g_free(shipped);
    g_ptr_array_free(failures, TRUE);
    g_ptr_array_free(all, TRUE);
    ppo_search_free(search);
}
END_TEST

/* check-env on the fx_render fixture with `defect`. (transfer full) */
static ppo_check_report_t *check_render_defect(const char *defect)
{
    const ppo_plugin_t *p = ppo_test_plugin("fx_render");
    char *flow = g_strdup_printf("{defect: %s}", defect);
    ppo_params_t *params = ppo_test_params(p, flow);
    ppo_check_env_options_t opt = ppo_check_env_defaults();
    ppo_check_report_t *r = ppo_check_report_new(NULL);
    ppo_check_env(p, params, &opt, r);
    ppo_params_free(params);
    g_free(flow);
    return r;
}

START_TEST(test_check_env_passes_an_env_that_draws_its_state_and_nothing_else)
{
    ppo_check_report_t *r = check_render_defect("none");
    assert_failed_exactly(r, "");
    ck_assert_int_eq(sdk_item(r, "render-size")->status, PPO_CHECK_OK);
    ck_assert_int_eq(sdk_item(r, "render-bounds")->status, PPO_CHECK_OK);
    ck_assert_int_eq(sdk_item(r, "render-pure")->status, PPO_CHECK_OK);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_reports_writes_after_and_before_the_frame_buffer)
{
    ppo_check_report_t *r = check_render_defect("overrun");
    sdk_assert_failed(r, "render-bounds", "wrote outside its 768-byte buffer",
                      "0 byte(s) before it, 1 after it", "32x8", NULL);
    assert_failed_exactly(r, "render-bounds");
    ppo_check_report_free(r);
    r = check_render_defect("underrun");
    sdk_assert_failed(r, "render-bounds", "1 byte(s) before it, 0 after it", NULL);
    assert_failed_exactly(r, "render-bounds");
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_reports_a_picture_that_is_not_a_function_of_the_state)
{
    /* a counter of calls: two draws of the same instance differ */
    ppo_check_report_t *r = check_render_defect("impure");
    sdk_assert_failed(r, "render-pure", "drawing the same instance twice",
                      "pixel (0, 0) was 1,255,255, then 2,255,255", "no counters", NULL);
    assert_failed_exactly(r, "render-pure");
    ppo_check_report_free(r);
    /* steps since reset, which get_state leaves out: a step and set_state back differ */
    r = check_render_defect("hidden");
    sdk_assert_failed(r, "render-pure", "a step and set_state back to the drawn state", NULL);
    assert_failed_exactly(r, "render-pure");
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_reports_a_failing_render_and_a_bad_size)
{
    ppo_check_report_t *r = check_render_defect("fail");
    sdk_assert_failed(r, "render-bounds", "render_rgb failed",
                      "the fixture's render_rgb fails on call 1", NULL);
    ppo_check_report_free(r);
    r = check_render_defect("bad_size");
    sdk_assert_failed(r, "render-size", "render_size gave 0x8", "[1, 4096]", NULL);
    assert_failed_exactly(r, "render-size");
    ck_assert_ptr_null(ppo_check_find(r, "render-pure"));
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_env_report_is_the_same_for_the_same_seed)
{
    const ppo_plugin_t *p = sdk_fixture("sdk_good_env");
    ppo_check_report_t *a = check_env(p), *b = check_env(p);
    ck_assert_uint_eq(a->items->len, b->items->len);
    for (guint i = 0; i < a->items->len; i++) {
        const ppo_check_item_t *x = g_ptr_array_index(a->items, i);
        const ppo_check_item_t *y = g_ptr_array_index(b->items, i);
        ck_assert_str_eq(x->id, y->id);
        ck_assert_str_eq(x->detail, y->detail);
    }
    ppo_check_report_free(a);
    ppo_check_report_free(b);
}
END_TEST

START_TEST(test_check_summary_lists_each_failure_with_its_reason)
{
    ppo_check_report_t *r = ppo_check_report_new(NULL);
    ppo_check_add(r, PPO_CHECK_OK, "first", "fine");
    ppo_check_add(r, PPO_CHECK_FAIL, "second", "broken because %d", 7);
    ppo_check_add(r, PPO_CHECK_WARN, "third", "odd");
    ppo_check_add(r, PPO_CHECK_FAIL, "fourth", "also broken");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ppo_check_summary(r, "check-env x", out);
    fclose(out);
    ck_assert_str_eq(text, "check-env x: 2 of 4 checks failed:\n"
                           "  - second: broken because 7\n"
                           "  - fourth: also broken\n");
    free(text);
    ck_assert_uint_eq(ppo_check_count(r, PPO_CHECK_FAIL), 2);
    ck_assert_uint_eq(ppo_check_count(r, PPO_CHECK_WARN), 1);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_progress_prints_each_item_as_it_is_added)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ppo_check_report_t *r = ppo_check_report_new(out);
    ppo_check_add(r, PPO_CHECK_FAIL, "obs-in-box", "outside");
    fflush(out);
    ck_assert_ptr_nonnull(strstr(text, "FAIL  obs-in-box"));
    ck_assert_ptr_nonnull(strstr(text, "outside"));
    ppo_check_report_free(r);
    fclose(out);
    free(text);
}
END_TEST

START_TEST(test_check_params_reports_an_unknown_key_with_the_source)
{
    const ppo_plugin_t *p = ppo_test_plugin("cartpole");
    GError *error = NULL;
    ck_assert_ptr_null(ppo_check_params(p, "{sutton_barto: true}", "--params", &error));
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error->message, "--params") != NULL &&
                      strstr(error->message, "sutton_barto_reward") != NULL,
                  "%s", error->message);
    g_error_free(error);
    ppo_params_t *ok = ppo_check_params(p, "{sutton_barto_reward: true}", "--params", &error);
    ck_assert_ptr_nonnull(ok);
    ck_assert(ppo_params_get_bool(ok, "sutton_barto_reward"));
    ppo_params_free(ok);
}
END_TEST

static Suite *check_suite(void)
{
    Suite *s = suite_create("ppo_check");
    TCase *fx = tcase_create("fixtures");
    tcase_add_test(fx, test_check_env_reports_a_nan_observation_with_its_episode_and_step);
    tcase_add_test(fx, test_check_env_reports_an_observation_outside_the_declared_box);
    tcase_add_test(fx, test_check_env_reports_a_reset_that_ignores_its_seed);
    tcase_add_test(fx, test_check_env_passes_an_env_that_draws_its_state_and_nothing_else);
    tcase_add_test(fx, test_check_env_reports_writes_after_and_before_the_frame_buffer);
    tcase_add_test(fx, test_check_env_reports_a_picture_that_is_not_a_function_of_the_state);
    tcase_add_test(fx, test_check_env_reports_a_failing_render_and_a_bad_size);
    tcase_add_test(fx, test_check_env_reports_a_space_with_zero_dims_and_stops);
    tcase_add_test(fx, test_check_env_passes_the_defect_free_fixture);
    tcase_add_test(fx, test_check_env_report_is_the_same_for_the_same_seed);
    tcase_add_test(fx, test_check_env_reads_byte_observations_and_draws_multi_discrete_actions);
    tcase_add_test(fx, test_check_env_reports_a_byte_outside_the_declared_box);
    suite_add_tcase(s, fx);
    TCase *shipped = tcase_create("shipped");
    tcase_set_timeout(shipped, 300);
    tcase_add_test(shipped, test_check_env_passes_every_shipped_env);
    suite_add_tcase(s, shipped);
    TCase *report = tcase_create("report");
    tcase_add_test(report, test_check_summary_lists_each_failure_with_its_reason);
    tcase_add_test(report, test_check_progress_prints_each_item_as_it_is_added);
    tcase_add_test(report, test_check_params_reports_an_unknown_key_with_the_source);
    suite_add_tcase(s, report);
    return s;
}

int main(void)
{
    return ppo_test_run(check_suite());
}
