/* Tests of core/ppo_check_policy.c: the policy checker behind `ppofw check-policy`.
 *
 * The shipped mlp must pass for discrete and box actions, with tanh and with relu (whose kinks
 * the finite differences step around) and with a shared trunk. Each defect fixture of
 * tests/sdk/fixtures/ (the sdk_policy.h linear policy with one thing wrong) must fail the check
 * for its defect and name it: a wrong-signed entropy gradient (the entropy path, not the others),
 * evaluate's leftovers kept in the instance instead of the workspace, a backward that overwrites
 * instead of adding, a part whose backward_part writes the other part's segments. The defect-free linear policy passes and its refusal of box actions is a
 * skipped space, not a failure.
 *
 * Left out: the command line (tests/sdk/test_sdk_commands.c).
 */
#include "config.h"

#include <stdio.h>

#include "sdk/sdk_test.h"

static ppo_check_report_t *check_policy(const ppo_plugin_t *p, const char *params_yaml,
                                        size_t fd_max)
{
    ppo_params_t *params = ppo_test_params(p, params_yaml);
    ppo_check_policy_options_t opt = ppo_check_policy_defaults();
    if (fd_max > 0)
        opt.fd_max = fd_max;
    ppo_check_report_t *r = ppo_check_report_new(NULL);
    ppo_check_policy(p, params, &opt, r);
    ppo_params_free(params);
    return r;
}

static void assert_none_failed(const ppo_check_report_t *r, const char *what)
{
    char *ids = sdk_failed_ids(r);
    ck_assert_msg(*ids == '\0', "%s: failed checks %s", what, ids);
    g_free(ids);
}

START_TEST(test_check_policy_passes_the_mlp_for_discrete_and_box_actions)
{
    static const char *const variants[] = {
        "",
        "{activation: relu}",
        "{share_trunk: true, activation: relu, pi_hidden: [32]}",
        "{pi_hidden: [], vf_hidden: []}",
    };
    const ppo_plugin_t *mlp = ppo_test_plugin("mlp");
    for (size_t v = 0; v < G_N_ELEMENTS(variants); v++) {
        ppo_check_report_t *r = check_policy(mlp, variants[v], 0);
        assert_none_failed(r, variants[v]);
        const char *const judged[] = {"create",
                                      "segments",
                                      "act",
                                      "act-streams",
                                      "act-deterministic",
                                      "value",
                                      "evaluate",
                                      "grad-extent",
                                      "backward-adds",
                                      "backward-logp",
                                      "backward-entropy",
                                      "backward-kl",
                                      "backward-value",
                                      "workspaces",
                                      "threads",
                                      NULL};
        for (int space = 0; space < 2; space++) {
            for (const char *const *id = judged; *id != NULL; id++) {
                char *full = g_strdup_printf("%s/%s", space == 0 ? "discrete" : "box", *id);
                ck_assert_msg(sdk_item(r, full)->status == PPO_CHECK_OK, "%s: %s: %s", variants[v],
                              full, sdk_item(r, full)->detail);
                g_free(full);
            }
        }
        printf("check-policy mlp %-55s %u checks, none failed\n", variants[v], r->items->len);
        ppo_check_report_free(r);
    }
}
END_TEST

START_TEST(test_check_policy_names_the_entropy_path_of_a_wrong_gradient)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_entropy_sign"), "", 0);
    sdk_assert_failed(r, "discrete/backward-entropy", "through entropy: segment pi.",
                      "finite differences", NULL);
    char *ids = sdk_failed_ids(r);
    ck_assert_str_eq(ids, "discrete/backward-entropy");
    g_free(ids);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_says_when_it_differenced_a_sample)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_entropy_sign"), "", 4);
    sdk_assert_failed(r, "discrete/backward-entropy", "a sample of its parameters", NULL);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_catches_evaluate_state_kept_outside_the_workspace)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_shared_cache"), "", 0);
    sdk_assert_failed(r, "discrete/workspaces",
                      "backward on workspace 1 after an evaluate on "
                      "workspace 2",
                      "in the workspace, not in the instance", NULL);
    /* one call at a time on one workspace is still right */
    ck_assert_int_eq(sdk_item(r, "discrete/backward-logp")->status, PPO_CHECK_OK);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_catches_a_backward_that_overwrites)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_overwrite_grad"), "", 0);
    sdk_assert_failed(r, "discrete/backward-adds", "must ADD into grad_out", NULL);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_catches_a_part_that_writes_the_other_parts_gradient)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_leaky_parts"), "", 0);
    sdk_assert_failed(r, "discrete/parts", "backward_part(1) wrote into segment \"pi.bias\"",
                      "only into its own segments", NULL);
    /* evaluate and backward themselves are right */
    ck_assert_int_eq(sdk_item(r, "discrete/backward-logp")->status, PPO_CHECK_OK);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_passes_a_policy_that_refuses_box_actions)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_good_policy"), "", 0);
    assert_none_failed(r, "sdk_good_policy");
    const ppo_check_item_t *box = sdk_item(r, "box/create");
    ck_assert_int_eq(box->status, PPO_CHECK_SKIP);
    ck_assert_ptr_nonnull(strstr(box->detail, "refuses box actions: box action spaces are not "
                                              "supported"));
    ck_assert_int_eq(sdk_item(r, "discrete/backward-entropy")->status, PPO_CHECK_OK);
    ck_assert_ptr_null(ppo_check_find(r, "spaces"));
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_fails_a_policy_refusing_every_space)
{
    /* the fixture takes at most 16 observation components */
    const ppo_plugin_t *p = sdk_fixture("sdk_good_policy");
    ppo_params_t *params = ppo_test_params(p, "");
    ppo_check_policy_options_t opt = ppo_check_policy_defaults();
    opt.obs_dim = 17;
    ppo_check_report_t *r = ppo_check_report_new(NULL);
    ppo_check_policy(p, params, &opt, r);
    ck_assert_int_eq(sdk_item(r, "discrete/create")->status, PPO_CHECK_SKIP);
    ck_assert_int_eq(sdk_item(r, "box/create")->status, PPO_CHECK_SKIP);
    sdk_assert_failed(r, "spaces", "refuses both a discrete and a box action space", NULL);
    ppo_check_report_free(r);
    ppo_params_free(params);
}
END_TEST

START_TEST(test_check_policy_skips_the_space_its_params_refuse)
{
    /* gSDE needs box actions */
    const ppo_plugin_t *mlp = ppo_test_plugin("mlp");
    ppo_params_t *params = ppo_test_params(mlp, "{sde: true}");
    ppo_check_policy_options_t opt = ppo_check_policy_defaults();
    ppo_check_report_t *r = ppo_check_report_new(NULL);
    ppo_check_policy(mlp, params, &opt, r);
    const ppo_check_item_t *d = sdk_item(r, "discrete/create");
    ck_assert_int_eq(d->status, PPO_CHECK_SKIP);
    ck_assert_ptr_nonnull(strstr(d->detail, "sde: true needs a box action space"));
    ck_assert_int_eq(sdk_item(r, "box/create")->status, PPO_CHECK_OK);
    ck_assert_ptr_null(ppo_check_find(r, "spaces"));
    ppo_check_report_free(r);
    ppo_params_free(params);
}
END_TEST

static Suite *check_policy_suite(void)
{
    Suite *s = suite_create("ppo_check_policy");
    TCase *tc = tcase_create("policies");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_check_policy_passes_the_mlp_for_discrete_and_box_actions);
    tcase_add_test(tc, test_check_policy_names_the_entropy_path_of_a_wrong_gradient);
    tcase_add_test(tc, test_check_policy_says_when_it_differenced_a_sample);
    tcase_add_test(tc, test_check_policy_catches_evaluate_state_kept_outside_the_workspace);
    tcase_add_test(tc, test_check_policy_catches_a_backward_that_overwrites);
    tcase_add_test(tc, test_check_policy_catches_a_part_that_writes_the_other_parts_gradient);
    tcase_add_test(tc, test_check_policy_passes_a_policy_that_refuses_box_actions);
    tcase_add_test(tc, test_check_policy_fails_a_policy_refusing_every_space);
    tcase_add_test(tc, test_check_policy_skips_the_space_its_params_refuse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(check_policy_suite());
}
