/* Tests of the policy checker behind `ppofw check-policy` (core/ppo_check_policy.c and its
 * batteries: ppo_check_grad.c, ppo_check_workspaces.c, ppo_check_recurrent.c,
 * ppo_check_export.c with core/ppo_export_verify.c).
 *
 * The shipped mlp must pass on every space kind (flat observations with discrete, box and
 * multi-discrete actions, uint8 images with discrete actions), with tanh and with relu (whose
 * kinks the finite differences step around, at several seeds), with a shared trunk, and for the
 * spaces of a real env. Each defect fixture of tests/sdk/fixtures/ must fail the check for
 * its defect and name it: a wrong-signed entropy gradient, evaluate's leftovers kept in the
 * instance or in a static buffer (caught on every run by the fixed interleavings, not by chance),
 * a backward that overwrites, a part that writes the other part's segments, a wrong layer-norm
 * gradient, an export that is not C, an export that computes other actions; and for recurrent
 * policies a state that is not carried, no reset at episode starts, a gradient not propagated
 * through time, and scratch shared by workspaces. The defect-free fixtures pass (the linear one
 * on discrete, multi-discrete and image spaces; the layer-norm one without reporting kinks; the
 * Elman network with its recurrent checks and export). Without a C compiler the export checks are
 * skips, never passes.
 *
 * Left out: the command line (tests/sdk/test_sdk_commands.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ppo_session_private.h"
#include "sdk/sdk_test.h"

static ppo_check_report_t *check_with(const ppo_plugin_t *p, const char *params_yaml,
                                      const ppo_check_policy_options_t *opt)
{
    ppo_params_t *params = ppo_test_params(p, params_yaml);
    ppo_check_report_t *r = ppo_check_report_new(NULL);
    ppo_check_policy(p, params, opt, r);
    ppo_params_free(params);
    return r;
}

static ppo_check_report_t *check_policy(const ppo_plugin_t *p, const char *params_yaml,
                                        size_t fd_max)
{
    ppo_check_policy_options_t opt = ppo_check_policy_defaults();
    if (fd_max > 0)
        opt.fd_max = fd_max;
    return check_with(p, params_yaml, &opt);
}

static void assert_none_failed(const ppo_check_report_t *r, const char *what)
{
    char *ids = sdk_failed_ids(r);
    ck_assert_msg(*ids == '\0', "%s: failed checks %s", what, ids);
    g_free(ids);
}

/* Every failed item's id ends with `suffix`, and there is at least one. */
static void assert_only_failed(const ppo_check_report_t *r, const char *suffix)
{
    guint n = 0;
    for (guint i = 0; i < r->items->len; i++) {
        const ppo_check_item_t *item = g_ptr_array_index(r->items, i);
        if (item->status != PPO_CHECK_FAIL)
            continue;
        ck_assert_msg(g_str_has_suffix(item->id, suffix), "%s failed too: %s", item->id,
                      item->detail);
        n++;
    }
    ck_assert_msg(n > 0, "nothing ending in %s failed", suffix);
}

static guint count_items_ending(const ppo_check_report_t *r, const char *suffix)
{
    guint n = 0;
    for (guint i = 0; i < r->items->len; i++)
        n += g_str_has_suffix(((const ppo_check_item_t *)g_ptr_array_index(r->items, i))->id,
                              suffix);
    return n;
}

/* ---- the shipped mlp ---- */

START_TEST(test_check_policy_passes_the_mlp_on_every_space_kind_it_accepts)
{
    static const char *const variants[] = {
        "",
        "{activation: relu}",
        "{share_trunk: true, activation: relu, pi_hidden: [32]}",
        "{pi_hidden: [], vf_hidden: []}",
    };
    const bool cc = sdk_have_compiler();
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
                                      "export-c",
                                      "export-actions",
                                      NULL};
        const char *const kinds[] = {"discrete", "box", "image-discrete", "multi-discrete"};
        for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
            for (const char *const *id = judged; *id != NULL; id++) {
                if (!cc && g_str_has_prefix(*id, "export-"))
                    continue;
                char *full = g_strdup_printf("%s/%s", kinds[k], *id);
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

/* The shipped lstm starts near the entropy's maximum (a 0.01-gain policy head), where the entropy's
 * derivatives through the recurrent weights are about the loss's rounding: the relative error
 * of such a segment measures rounding, and no element disagrees beyond it, so it passes. */
START_TEST(test_check_policy_passes_the_shipped_lstm_at_the_entropys_maximum)
{
    ppo_check_report_t *r = check_policy(ppo_test_plugin("lstm"), "", 0);
    assert_none_failed(r, "lstm");
    ck_assert_int_eq(sdk_item(r, "discrete/backward-entropy")->status, PPO_CHECK_OK);
    ppo_check_report_free(r);
}
END_TEST

/* A relu network's finite differences cross kinks of the batch's rows: with the step h and h/4
 * a kink close to the point (but not inside h/16) makes the one-sided slopes jump alike at the
 * two larger steps and less at the smallest. Seeds 1 and 5 put such points in the first layer
 * (multi-discrete entropy; discrete, box and multi-discrete KL), which check-policy called
 * disagreements before kinks were looked for at every pair of consecutive steps. */
START_TEST(test_check_policy_passes_a_relu_mlp_whose_differences_cross_kinks)
{
    const ppo_plugin_t *mlp = ppo_test_plugin("mlp");
    for (uint64_t seed = 1; seed <= 6; seed++) {
        ppo_check_policy_options_t opt = ppo_check_policy_defaults();
        opt.seed = seed;
        ppo_check_report_t *r = check_with(mlp, "{activation: relu}", &opt);
        char *what = g_strdup_printf("relu mlp, seed %" G_GUINT64_FORMAT, seed);
        assert_none_failed(r, what);
        g_free(what);
        ppo_check_report_free(r);
    }
}
END_TEST

/* The shipped mlp's backward (whole, or a part's), with the first 64 gradients it adds (rows of
 * the first layer's weight) made 3% too large: a defect in a network with kinks. */
static ppo_policy_vtable_t real_mlp;
enum { SCALED = 64 };

/* What backward added to grad_out's first SCALED entries (they held `before`), made 3% larger. */
static void make_3pc_off(const float *before, float *grad_out)
{
    for (int i = 0; i < SCALED; i++)
        grad_out[i] = before[i] + 1.03f * (grad_out[i] - before[i]);
}

static int backward_3pc_off(void *inst, void *ws, uint32_t B, const float *dlogp,
                            const float *dentropy, const float *dkl, const float *dvalue,
                            float *grad_out)
{
    float before[SCALED];
    memcpy(before, grad_out, sizeof(before));
    const int rc = real_mlp.backward(inst, ws, B, dlogp, dentropy, dkl, dvalue, grad_out);
    make_3pc_off(before, grad_out);
    return rc;
}

static int backward_part_3pc_off(void *inst, void *ws, uint32_t part, uint32_t B,
                                 const float *dlogp, const float *dentropy, const float *dkl,
                                 const float *dvalue, float *grad_out)
{
    float before[SCALED];
    memcpy(before, grad_out, sizeof(before));
    const int rc =
        real_mlp.backward_part(inst, ws, part, B, dlogp, dentropy, dkl, dvalue, grad_out);
    make_3pc_off(before, grad_out);
    return rc;
}

/* Leaving kinks out must not hide a wrong gradient: the same relu network at the same seeds, with
 * its backward 3% off on part of the first layer, fails the gradient check there. */
START_TEST(test_check_policy_fails_a_relu_mlp_whose_backward_is_3_percent_off)
{
    const ppo_plugin_t *mlp = ppo_test_plugin("mlp");
    real_mlp = mlp->vt.policy;
    ppo_plugin_t off = *mlp;
    off.vt.policy.backward = backward_3pc_off;
    off.vt.policy.backward_part = backward_part_3pc_off;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        ppo_check_policy_options_t opt = ppo_check_policy_defaults();
        opt.seed = seed;
        ppo_check_report_t *r = check_with(&off, "{activation: relu}", &opt);
        const ppo_check_item_t *logp = sdk_item(r, "discrete/backward-logp");
        ck_assert_msg(logp->status == PPO_CHECK_FAIL, "seed %" G_GUINT64_FORMAT ": %s", seed,
                      logp->detail);
        ck_assert_ptr_nonnull(strstr(logp->detail, "pi.0.weight"));
        ppo_check_report_free(r);
    }
}
END_TEST

START_TEST(test_check_policy_reports_kinks_only_for_a_network_with_kinks)
{
    const ppo_plugin_t *mlp = ppo_test_plugin("mlp");
    /* tanh and layer norm have no kink; the smaller steps' rounding is not one */
    ppo_check_report_t *r = check_policy(mlp, "", 0);
    ck_assert_uint_eq(count_items_ending(r, "/backward-kinks"), 0);
    ppo_check_report_free(r);
    r = check_policy(sdk_fixture("sdk_layernorm"), "", 0);
    ck_assert_uint_eq(count_items_ending(r, "/backward-kinks"), 0);
    ppo_check_report_free(r);
    /* relu's 0 is one */
    r = check_policy(mlp, "{activation: relu}", 0);
    ck_assert_uint_gt(count_items_ending(r, "/backward-kinks"), 0);
    const ppo_check_item_t *k = sdk_item(r, "discrete/backward-kinks");
    ck_assert_int_eq(k->status, PPO_CHECK_OK);
    ck_assert_ptr_nonnull(strstr(k->detail, "lay on a kink"));
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_skips_the_space_its_params_refuse)
{
    /* gSDE needs box actions */
    const ppo_plugin_t *mlp = ppo_test_plugin("mlp");
    ppo_check_report_t *r = check_policy(mlp, "{sde: true}", 0);
    const ppo_check_item_t *d = sdk_item(r, "discrete/create");
    ck_assert_int_eq(d->status, PPO_CHECK_SKIP);
    ck_assert_ptr_nonnull(strstr(d->detail, "sde: true needs a box action space"));
    ck_assert_int_eq(sdk_item(r, "box/create")->status, PPO_CHECK_OK);
    ck_assert_ptr_null(ppo_check_find(r, "spaces"));
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_takes_the_spaces_of_an_env)
{
    const ppo_plugin_t *mlp = ppo_test_plugin("mlp");
    const ppo_plugin_t *envs[2] = {ppo_test_plugin("cartpole"), ppo_test_plugin("pendulum")};
    for (int e = 0; e < 2; e++) {
        ppo_params_t *ep = ppo_test_params(envs[e], "");
        ppo_space_t obs, act;
        GError *error = NULL;
        void *inst = ppo_env_new_with_spaces(envs[e], ep, &obs, &act, &error);
        ck_assert_msg(inst != NULL, "%s", error != NULL ? error->message : "");
        ppo_check_policy_options_t opt = ppo_check_policy_defaults();
        opt.env_obs = &obs;
        opt.env_act = &act;
        opt.env_name = envs[e]->name;
        ppo_check_report_t *r = check_with(mlp, "", &opt);
        assert_none_failed(r, envs[e]->name);
        ck_assert_int_eq(sdk_item(r, "env/backward-logp")->status, PPO_CHECK_OK);
        ck_assert_ptr_nonnull(
            strstr(sdk_item(r, "env/create")->detail, e == 0 ? "discrete (2)" : "box (1)"));
        ck_assert_ptr_null(ppo_check_find(r, "discrete/create"));
        ppo_check_report_free(r);

        /* a policy refusing the env's spaces has nothing to check: a failure */
        r = check_with(sdk_fixture("sdk_good_policy"), "", &opt);
        if (e == 1) {
            ck_assert_int_eq(sdk_item(r, "env/create")->status, PPO_CHECK_SKIP);
            sdk_assert_failed(r, "spaces", "refuses the spaces of env pendulum", NULL);
        } else {
            assert_none_failed(r, "sdk_good_policy on cartpole");
        }
        ppo_check_report_free(r);
        envs[e]->vt.env.destroy(inst);
        ppo_params_free(ep);
    }
}
END_TEST

/* ---- the linear fixtures ---- */

START_TEST(test_check_policy_passes_the_linear_policy_on_discrete_multi_discrete_and_images)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_good_policy"), "", 0);
    assert_none_failed(r, "sdk_good_policy");
    const ppo_check_item_t *box = sdk_item(r, "box/create");
    ck_assert_int_eq(box->status, PPO_CHECK_SKIP);
    ck_assert_ptr_nonnull(strstr(box->detail, "refuses observation box (4) with action box (2): "
                                              "box action spaces are not supported"));
    ck_assert_ptr_nonnull(
        strstr(sdk_item(r, "image-discrete/create")->detail, "box uint8 (4, 10, 10)"));
    const char *const kinds[] = {"discrete", "multi-discrete", "image-discrete"};
    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
        char *id = g_strdup_printf("%s/backward-entropy", kinds[k]);
        ck_assert_int_eq(sdk_item(r, id)->status, PPO_CHECK_OK);
        g_free(id);
        id = g_strdup_printf("%s/workspaces", kinds[k]);
        ck_assert_int_eq(sdk_item(r, id)->status, PPO_CHECK_OK);
        g_free(id);
        if (sdk_have_compiler()) {
            id = g_strdup_printf("%s/export-actions", kinds[k]);
            ck_assert_int_eq(sdk_item(r, id)->status, PPO_CHECK_OK);
            g_free(id);
        }
    }
    ck_assert_ptr_null(ppo_check_find(r, "spaces"));
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_fails_a_policy_refusing_every_space)
{
    /* the fixture takes at most 512 observation elements and 16 logits, and no box actions */
    ppo_check_policy_options_t opt = ppo_check_policy_defaults();
    opt.obs_dim = 600;
    opt.n_actions = 40;
    ppo_check_report_t *r = check_with(sdk_fixture("sdk_good_policy"), "", &opt);
    const char *const kinds[] = {"discrete", "box", "multi-discrete", "image-discrete"};
    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
        char *id = g_strdup_printf("%s/create", kinds[k]);
        ck_assert_int_eq(sdk_item(r, id)->status, PPO_CHECK_SKIP);
        g_free(id);
    }
    sdk_assert_failed(r, "spaces", "refuses every space it was offered", NULL);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_names_the_entropy_path_of_a_wrong_gradient)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_entropy_sign"), "", 0);
    sdk_assert_failed(r, "discrete/backward-entropy", "through entropy: segment pi.",
                      "finite differences", NULL);
    assert_only_failed(r, "/backward-entropy");
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

START_TEST(test_check_policy_catches_evaluate_state_kept_in_the_instance)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_shared_cache"), "", 0);
    sdk_assert_failed(r, "discrete/workspaces",
                      "backward A gave other gradients than on workspace A alone",
                      "share mutable state", NULL);
    /* one call at a time on one workspace is still right */
    ck_assert_int_eq(sdk_item(r, "discrete/backward-logp")->status, PPO_CHECK_OK);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_catches_a_static_scratch_buffer_on_every_run)
{
    /* the interleavings are fixed, not timing: every seed catches it */
    for (uint64_t seed = 1; seed <= 3; seed++) {
        ppo_check_policy_options_t opt = ppo_check_policy_defaults();
        opt.seed = seed;
        ppo_check_report_t *r = check_with(sdk_fixture("sdk_static_scratch"), "", &opt);
        sdk_assert_failed(r, "discrete/workspaces", "in the order (act A, act B, evaluate A",
                          "static buffer", NULL);
        assert_only_failed(r, "/workspaces");
        ppo_check_report_free(r);
    }
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

START_TEST(test_check_policy_names_the_trunk_of_a_wrong_layer_norm_gradient)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_layernorm"), "", 0);
    assert_none_failed(r, "sdk_layernorm");
    ck_assert_int_eq(sdk_item(r, "box/backward-value")->status, PPO_CHECK_OK);
    ppo_check_report_free(r);
    r = check_policy(sdk_fixture("sdk_layernorm_grad"), "", 0);
    sdk_assert_failed(r, "box/backward-value", "segment trunk.", "finite differences", NULL);
    /* the layer norm's own gain and bias, and everything after it, are right */
    for (guint i = 0; i < r->items->len; i++) {
        const ppo_check_item_t *item = g_ptr_array_index(r->items, i);
        if (item->status == PPO_CHECK_FAIL)
            ck_assert_msg(strstr(item->detail, "segment trunk.") != NULL, "%s: %s", item->id,
                          item->detail);
    }
    ppo_check_report_free(r);
}
END_TEST

/* ---- export_c ---- */

START_TEST(test_check_policy_compiles_the_export_and_fails_one_that_is_not_c)
{
    if (!sdk_have_compiler())
        return;
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_export_not_c"), "", 0);
    sdk_assert_failed(r, "discrete/export-c", "does not compile as C99 on its own", NULL);
    assert_only_failed(r, "/export-c");
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_names_the_observation_where_the_export_acts_otherwise)
{
    if (!sdk_have_compiler())
        return;
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_export_wrong"), "", 0);
    sdk_assert_failed(r, "discrete/export-actions", "observation ", "the exported action is",
                      "the plugin's deterministic act gives", "computes other actions", NULL);
    sdk_assert_failed(r, "multi-discrete/export-actions", "component ", NULL);
    sdk_assert_failed(r, "image-discrete/export-actions", "... 400 values)", NULL);
    /* the file itself is C and follows the contract */
    ck_assert_int_eq(sdk_item(r, "discrete/export-c")->status, PPO_CHECK_OK);
    assert_only_failed(r, "/export-actions");
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_skips_the_export_without_a_compiler_and_honours_cc)
{
    /* an explicit compiler that is not there */
    ppo_check_policy_options_t opt = ppo_check_policy_defaults();
    opt.cc = "/nonexistent/ppofw-cc";
    ppo_check_report_t *r = check_with(sdk_fixture("sdk_export_not_c"), "", &opt);
    const ppo_check_item_t *e = sdk_item(r, "discrete/export-c");
    ck_assert_int_eq(e->status, PPO_CHECK_SKIP);
    ck_assert_ptr_nonnull(strstr(e->detail, "no C compiler: \"/nonexistent/ppofw-cc\""));
    ck_assert_ptr_null(ppo_check_find(r, "discrete/export-actions"));
    ppo_check_report_free(r);
    /* $CC when no compiler is given */
    g_setenv("CC", "/nonexistent/from-env-cc -O1", TRUE);
    r = check_policy(sdk_fixture("sdk_export_not_c"), "", 0);
    e = sdk_item(r, "discrete/export-c");
    ck_assert_int_eq(e->status, PPO_CHECK_SKIP);
    ck_assert_ptr_nonnull(strstr(e->detail, "\"/nonexistent/from-env-cc\" (from CC)"));
    g_unsetenv("CC");
    ppo_check_report_free(r);
}
END_TEST

/* ---- recurrent policies ---- */

START_TEST(test_check_policy_passes_a_correct_recurrent_policy)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_rnn"), "", 0);
    assert_none_failed(r, "sdk_rnn");
    const char *const judged[] = {"recurrent",     "initial-state",  "act",          "state-update",
                                  "state-used",    "value",          "act-evaluate", "starts-reset",
                                  "backward-logp", "backward-value", "workspaces",   NULL};
    for (const char *const *id = judged; *id != NULL; id++) {
        char *full = g_strdup_printf("discrete/%s", *id);
        ck_assert_msg(sdk_item(r, full)->status == PPO_CHECK_OK, "%s: %s", full,
                      sdk_item(r, full)->detail);
        g_free(full);
    }
    ck_assert_ptr_nonnull(strstr(sdk_item(r, "discrete/backward-logp")->detail, "through time"));
    if (sdk_have_compiler())
        ck_assert_ptr_nonnull(strstr(sdk_item(r, "discrete/export-actions")->detail,
                                     "episodes stepped with their state"));
    /* no parts for a recurrent policy */
    ck_assert_ptr_null(ppo_check_find(r, "discrete/parts"));
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_catches_a_recurrent_policy_that_does_not_carry_its_state)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_rnn_no_carry"), "", 0);
    sdk_assert_failed(r, "discrete/state-used", "does not read the state it is handed",
                      "not carried", NULL);
    ck_assert_int_eq(sdk_item(r, "discrete/state-update")->status, PPO_CHECK_OK);
    sdk_assert_failed(r, "discrete/act-evaluate", "sequence ", "step ", NULL);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_catches_a_recurrent_policy_that_does_not_reset_at_starts)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_rnn_no_reset"), "", 0);
    sdk_assert_failed(r, "discrete/starts-reset", "has an episode start at step 2",
                      "set the state to the initial state", NULL);
    /* act carries and resets right */
    ck_assert_int_eq(sdk_item(r, "discrete/state-used")->status, PPO_CHECK_OK);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_catches_a_gradient_not_propagated_through_time)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_rnn_bptt"), "", 0);
    sdk_assert_failed(r, "discrete/backward-logp", "through time", "segment rnn.", NULL);
    ck_assert_int_eq(sdk_item(r, "discrete/act-evaluate")->status, PPO_CHECK_OK);
    ppo_check_report_free(r);
}
END_TEST

START_TEST(test_check_policy_catches_recurrent_scratch_shared_by_workspaces)
{
    ppo_check_report_t *r = check_policy(sdk_fixture("sdk_rnn_shared_scratch"), "", 0);
    sdk_assert_failed(r, "discrete/workspaces", "backward A gave other gradients", NULL);
    assert_only_failed(r, "/workspaces");
    ppo_check_report_free(r);
}
END_TEST

static Suite *check_policy_suite(void)
{
    Suite *s = suite_create("ppo_check_policy");
    TCase *mlp = tcase_create("mlp");
    tcase_set_timeout(mlp, 600);
    tcase_add_test(mlp, test_check_policy_passes_the_mlp_on_every_space_kind_it_accepts);
    tcase_add_test(mlp, test_check_policy_passes_a_relu_mlp_whose_differences_cross_kinks);
    tcase_add_test(mlp, test_check_policy_fails_a_relu_mlp_whose_backward_is_3_percent_off);
    tcase_add_test(mlp, test_check_policy_reports_kinks_only_for_a_network_with_kinks);
    tcase_add_test(mlp, test_check_policy_passes_the_shipped_lstm_at_the_entropys_maximum);
    tcase_add_test(mlp, test_check_policy_skips_the_space_its_params_refuse);
    tcase_add_test(mlp, test_check_policy_takes_the_spaces_of_an_env);
    suite_add_tcase(s, mlp);
    TCase *tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 300);
    tcase_add_test(
        tc, test_check_policy_passes_the_linear_policy_on_discrete_multi_discrete_and_images);
    tcase_add_test(tc, test_check_policy_fails_a_policy_refusing_every_space);
    tcase_add_test(tc, test_check_policy_names_the_entropy_path_of_a_wrong_gradient);
    tcase_add_test(tc, test_check_policy_says_when_it_differenced_a_sample);
    tcase_add_test(tc, test_check_policy_catches_evaluate_state_kept_in_the_instance);
    tcase_add_test(tc, test_check_policy_catches_a_static_scratch_buffer_on_every_run);
    tcase_add_test(tc, test_check_policy_catches_a_backward_that_overwrites);
    tcase_add_test(tc, test_check_policy_catches_a_part_that_writes_the_other_parts_gradient);
    tcase_add_test(tc, test_check_policy_names_the_trunk_of_a_wrong_layer_norm_gradient);
    tcase_add_test(tc, test_check_policy_compiles_the_export_and_fails_one_that_is_not_c);
    tcase_add_test(tc, test_check_policy_names_the_observation_where_the_export_acts_otherwise);
    tcase_add_test(tc, test_check_policy_skips_the_export_without_a_compiler_and_honours_cc);
    suite_add_tcase(s, tc);
    TCase *rec = tcase_create("recurrent");
    tcase_set_timeout(rec, 300);
    tcase_add_test(rec, test_check_policy_passes_a_correct_recurrent_policy);
    tcase_add_test(rec, test_check_policy_catches_a_recurrent_policy_that_does_not_carry_its_state);
    tcase_add_test(rec, test_check_policy_catches_a_recurrent_policy_that_does_not_reset_at_starts);
    tcase_add_test(rec, test_check_policy_catches_a_gradient_not_propagated_through_time);
    tcase_add_test(rec, test_check_policy_catches_recurrent_scratch_shared_by_workspaces);
    suite_add_tcase(s, rec);
    return s;
}

int main(void)
{
    return ppo_test_run(check_policy_suite());
}
