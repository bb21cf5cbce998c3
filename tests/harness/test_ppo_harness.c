/* Tests of the testing API (include/ppofw-check/check.h, harness/ppo_harness.c), used as a third
 * party uses it: only the installed header, libppofw-check and libppofw, with the shipped plugins
 * of the build tree.
 *
 * Each kind is driven through its harness and checked against what the core does or what the
 * plugin's definition says: env streams and action clipping, a policy's parameter store
 * (initialization, a backward that matches finite differences of evaluate), GAE against a return
 * computed by hand, SGD against its formula, and a trained checkpoint's episodes against `ppofw
 * eval` on the same checkpoint and seed. Refusals are checked for their messages.
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <ppofw-check/check.h>

/* ---- helpers ---- */

static const char *build_dir(void)
{
    const char *b = g_getenv("PPO_TEST_BUILDDIR");
    return b != NULL ? b : ".";
}

static const char *src_dir(void)
{
    const char *s = g_getenv("PPO_TEST_SRCDIR");
    return s != NULL ? s : ".";
}

/* A harness of `plugin`, or the test fails with the harness's message. */
static ppo_harness_t *must_new(const char *plugin, const char *params)
{
    char *error = NULL;
    ppo_harness_t *h = ppo_harness_new(plugin, params, &error);
    ck_assert_msg(h != NULL, "ppo_harness_new(%s): %s", plugin, error);
    return h;
}

/* A policy harness of `plugin` for the spaces of the env harness `env`. */
static ppo_harness_t *must_policy_for(const char *plugin, const char *params, ppo_harness_t *env,
                                      uint32_t max_rows)
{
    const ppo_space_t *obs, *act;
    ck_assert_int_eq(ppo_harness_env_spaces(env, &obs, &act), 0);
    char *error = NULL;
    ppo_harness_t *h = ppo_harness_new_policy(plugin, params, obs, act, max_rows, &error);
    ck_assert_msg(h != NULL, "ppo_harness_new_policy(%s): %s", plugin, error);
    return h;
}

static void assert_contains(const char *text, const char *fragment)
{
    ck_assert_msg(text != NULL && strstr(text, fragment) != NULL, "\"%s\" is not in \"%s\"",
                  fragment, text != NULL ? text : "(null)");
}

/* ---- env ---- */

START_TEST(test_env_harness_reset_repeats_with_the_seed_and_differs_with_another)
{
    ppo_harness_t *a = must_new("cartpole", NULL), *b = must_new("cartpole", "{}");
    float oa[4], ob[4];
    ck_assert_int_eq(ppo_harness_env_reset(a, oa), 0);
    ck_assert_int_eq(ppo_harness_env_reset(b, ob), 0);
    ck_assert_mem_eq(oa, ob, sizeof(oa));
    ck_assert_int_eq(ppo_harness_seed(b, 2), 0);
    ck_assert_int_eq(ppo_harness_env_reset(b, ob), 0);
    ck_assert_msg(memcmp(oa, ob, sizeof(oa)) != 0, "seeds 1 and 2 start alike");
    ck_assert_str_eq(ppo_harness_name(a), "cartpole");
    ck_assert_int_eq(ppo_harness_kind(a), PPO_KIND_ENV);
    ck_assert_uint_eq(ppo_harness_env_max_episode_steps(a), 500);
    ppo_harness_free(a);
    ppo_harness_free(b);
}
END_TEST

/* The fixture hx_echo of this directory, by path (transfer full). */
static char *echo_path(void)
{
    return g_build_filename(build_dir(), "tests", "harness", ".libs", "hx_echo.so", NULL);
}

START_TEST(test_env_harness_clips_box_actions_to_the_action_space_as_the_core_does)
{
    /* hx_echo's action box is [-1, 1] x [0, 3] and it shows the action it was handed */
    char *path = echo_path();
    ppo_harness_t *h = must_new(path, NULL);
    float obs[2];
    ck_assert_int_eq(ppo_harness_env_reset(h, obs), 0);
    const float outside[2] = {-7.5f, 3.25f}, inside[2] = {0.25f, 2.5f};
    double reward = 0.0;
    int terminated = -1;
    ck_assert_int_eq(ppo_harness_env_step(h, outside, obs, &reward, &terminated), 0);
    ck_assert(obs[0] == -1.0f && obs[1] == 3.0f);
    ck_assert(reward == -1.0);
    ck_assert_int_eq(terminated, 0);
    ck_assert_int_eq(ppo_harness_env_step(h, inside, obs, NULL, NULL), 0);
    ck_assert(obs[0] == 0.25f && obs[1] == 2.5f);
    ppo_harness_free(h);
    g_free(path);
}
END_TEST

START_TEST(test_env_harness_refuses_an_unknown_plugin_and_bad_params_with_the_fix)
{
    char *error = NULL;
    ck_assert_ptr_null(ppo_harness_new("cartpol", NULL, &error));
    assert_contains(error, "\"cartpol\"");
    assert_contains(error, "did you mean \"cartpole\"");
    free(error);
    error = NULL;
    ck_assert_ptr_null(ppo_harness_new("cartpole", "{sutton_barto_rewrd: true}", &error));
    assert_contains(error, "sutton_barto_rewrd");
    assert_contains(error, "did you mean \"sutton_barto_reward\"");
    free(error);
    error = NULL;
    ck_assert_ptr_null(ppo_harness_new("mlp", NULL, &error));
    assert_contains(error, "ppo_harness_new_policy");
    free(error);
    /* NULL error_out is allowed */
    ck_assert_ptr_null(ppo_harness_new("no_such_plugin", NULL, NULL));
}
END_TEST

START_TEST(test_harness_calls_of_the_wrong_kind_fail_with_a_message)
{
    ppo_harness_t *env = must_new("cartpole", NULL);
    ck_assert_int_lt(ppo_harness_policy_act(env, 1, NULL, 1, NULL, NULL, NULL, NULL), 0);
    assert_contains(ppo_harness_error(env), "\"cartpole\" is an env plugin, not a policy plugin");
    ck_assert_ptr_null(ppo_harness_policy_params(env, NULL));
    ppo_harness_free(env);
}
END_TEST

/* ---- policy ---- */

static const double box_low[4] = {-2, -2, -2, -2}, box_high[4] = {2, 2, 2, 2};

static ppo_harness_t *mlp_discrete(uint32_t max_rows)
{
    const ppo_space_t obs = {.struct_size = sizeof(ppo_space_t),
                             .kind = PPO_SPACE_BOX,
                             .dim = 4,
                             .low = box_low,
                             .high = box_high};
    const ppo_space_t act = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 3, .dim = 1};
    char *error = NULL;
    ppo_harness_t *h = ppo_harness_new_policy("mlp", "{pi_hidden: [8], vf_hidden: [8]}", &obs, &act,
                                              max_rows, &error);
    ck_assert_msg(h != NULL, "%s", error);
    return h;
}

static void fill_obs(float *obs, uint32_t rows)
{
    for (uint32_t i = 0; i < rows * 4; i++)
        obs[i] = (float)sin(0.7 * i + 0.3);
}

START_TEST(test_policy_harness_initializes_the_store_as_a_run_with_that_seed)
{
    ppo_harness_t *a = mlp_discrete(4), *b = mlp_discrete(4);
    size_t n = 0, nb = 0;
    float *pa = ppo_harness_policy_params(a, &n);
    const float *pb = ppo_harness_policy_params(b, &nb);
    ck_assert_uint_eq(n, nb);
    ck_assert_uint_gt(n, 0);
    ck_assert_mem_eq(pa, pb, n * sizeof(float));
    /* the biases start at zero, the weights do not */
    size_t off = 0, size = 0;
    ck_assert_int_eq(ppo_harness_policy_segment(a, "pi.0.bias", &off, &size), 0);
    ck_assert_uint_eq(size, 8);
    for (size_t i = 0; i < size; i++)
        ck_assert(pa[off + i] == 0.0f);
    ck_assert_int_eq(ppo_harness_policy_segment(a, "pi.0.weight", &off, &size), 0);
    ck_assert_uint_eq(size, 8 * 4);
    ck_assert(pa[off] != 0.0f);
    ck_assert_int_lt(ppo_harness_policy_segment(a, "no.such.segment", &off, &size), 0);
    /* another seed gives other weights; seed 1 again the first ones */
    ck_assert_int_eq(ppo_harness_policy_init(b, 2), 0);
    ck_assert_msg(memcmp(pa, pb, n * sizeof(float)) != 0, "seeds 1 and 2 initialize alike");
    ck_assert_int_eq(ppo_harness_policy_init(b, 1), 0);
    ck_assert_mem_eq(pa, pb, n * sizeof(float));
    ck_assert_uint_eq(ppo_harness_policy_dist_size(a), 3);
    ppo_harness_free(a);
    ppo_harness_free(b);
}
END_TEST

START_TEST(test_policy_harness_deterministic_act_takes_the_first_largest_logit)
{
    enum { B = 5 };
    ppo_harness_t *h = mlp_discrete(B);
    float obs[B * 4], actions[B], dist[B * 3], value[B];
    fill_obs(obs, B);
    ck_assert_msg(ppo_harness_policy_act(h, B, obs, 1, actions, NULL, value, dist) == 0, "%s",
                  ppo_harness_error(h));
    for (uint32_t i = 0; i < B; i++) {
        int best = 0;
        for (int k = 1; k < 3; k++)
            if (dist[i * 3 + k] > dist[i * 3 + best])
                best = k;
        ck_assert_int_eq((int)actions[i], best);
    }
    /* value() agrees with act's values */
    float v2[B];
    ck_assert_int_eq(ppo_harness_policy_value(h, B, obs, v2), 0);
    ck_assert_mem_eq(value, v2, sizeof(v2));
    /* sampling repeats after reseeding */
    float s1[B], s2[B];
    ck_assert_int_eq(ppo_harness_policy_act(h, B, obs, 0, s1, NULL, NULL, NULL), 0);
    ck_assert_int_eq(ppo_harness_seed(h, 1), 0);
    ck_assert_int_eq(ppo_harness_policy_act(h, B, obs, 0, s2, NULL, NULL, NULL), 0);
    ck_assert_mem_eq(s1, s2, sizeof(s1));
    ppo_harness_free(h);
}
END_TEST

/* d sum(logp) / d params from backward equals central differences of evaluate, for a sample of
 * parameters across every segment: the store, the gradient array and the workspace are wired as
 * the core wires them. */
START_TEST(test_policy_harness_backward_matches_finite_differences_of_evaluate)
{
    enum { B = 6 };
    ppo_harness_t *h = mlp_discrete(B);
    float obs[B * 4], actions[B], logp[B], dlogp[B];
    fill_obs(obs, B);
    for (uint32_t i = 0; i < B; i++) {
        actions[i] = (float)(i % 3);
        dlogp[i] = 1.0f;
    }
    size_t n = 0;
    float *params = ppo_harness_policy_params(h, &n);
    float *grads = ppo_harness_policy_grads(h, NULL);
    for (size_t j = 0; j < n; j++)
        ck_assert(grads[j] == 0.0f);
    ck_assert_int_eq(ppo_harness_policy_evaluate(h, B, obs, actions, NULL, logp, NULL, NULL, NULL),
                     0);
    ck_assert_int_eq(ppo_harness_policy_backward(h, B, dlogp, NULL, NULL, NULL), 0);
    double max_err = 0.0;
    uint32_t checked = 0;
    for (size_t j = 0; j < n; j += 3) {
        const float keep = params[j];
        const float eps = 1e-2f;
        double sum[2];
        for (int s = 0; s < 2; s++) {
            params[j] = keep + (s == 0 ? eps : -eps);
            ck_assert_int_eq(
                ppo_harness_policy_evaluate(h, B, obs, actions, NULL, logp, NULL, NULL, NULL), 0);
            sum[s] = 0.0;
            for (uint32_t i = 0; i < B; i++)
                sum[s] += logp[i];
        }
        params[j] = keep;
        const double fd = (sum[0] - sum[1]) / (2.0 * eps);
        max_err = fmax(max_err, fabs(fd - grads[j]) / fmax(1.0, fabs(fd)));
        checked++;
    }
    ck_assert_uint_gt(checked, 20);
    ck_assert_msg(max_err < 2e-2, "backward differs from finite differences by %g", max_err);
    ppo_harness_free(h);
}
END_TEST

START_TEST(test_policy_harness_refuses_more_rows_than_it_was_made_for)
{
    ppo_harness_t *h = mlp_discrete(2);
    float obs[3 * 4];
    fill_obs(obs, 3);
    ck_assert_int_lt(ppo_harness_policy_act(h, 3, obs, 1, NULL, NULL, NULL, NULL), 0);
    assert_contains(ppo_harness_error(h), "3 rows");
    assert_contains(ppo_harness_error(h), "1 to 2");
    char *error = NULL;
    const ppo_space_t bad = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 1, .dim = 1};
    const ppo_space_t obs_space = {.struct_size = sizeof(ppo_space_t),
                                   .kind = PPO_SPACE_BOX,
                                   .dim = 4,
                                   .low = box_low,
                                   .high = box_high};
    ck_assert_ptr_null(ppo_harness_new_policy("mlp", NULL, &obs_space, &bad, 4, &error));
    assert_contains(error, "action space");
    free(error);
    ppo_harness_free(h);
}
END_TEST

START_TEST(test_new_policy_runs_episodes_of_an_env_harness_repeatably)
{
    ppo_harness_t *env = must_new("pendulum", NULL);
    ppo_harness_t *pol = must_policy_for("mlp", "{pi_hidden: [8], vf_hidden: [8]}", env, 4);
    ck_assert_uint_eq(ppo_harness_policy_dist_size(pol), 2); /* a mean and a log-std */
    double r1[3], r2[3];
    uint32_t l1[3];
    ck_assert_msg(ppo_harness_run_episodes(env, pol, 3, 0, 9, r1, l1) == 0, "%s",
                  ppo_harness_error(pol));
    ck_assert_int_eq(ppo_harness_run_episodes(env, pol, 3, 0, 9, r2, NULL), 0);
    ck_assert_mem_eq(r1, r2, sizeof(r1));
    for (int i = 0; i < 3; i++) {
        /* pendulum never terminates: its 200-step limit ends every episode */
        ck_assert_uint_eq(l1[i], 200);
        ck_assert(r1[i] < 0.0);
    }
    ppo_harness_free(pol);
    ppo_harness_free(env);
}
END_TEST

/* A recurrent policy (the fixture fx_rnn, an Elman network of plugin ABI 1.2) acts with the
 * harness's state of each row, which starts at zeros and carries the memory from call to call. */
START_TEST(test_policy_harness_carries_a_recurrent_policys_state_per_row)
{
    const ppo_space_t obs = {.struct_size = sizeof(ppo_space_t),
                             .kind = PPO_SPACE_BOX,
                             .dim = 4,
                             .low = box_low,
                             .high = box_high};
    const ppo_space_t act = {
        .struct_size = sizeof(ppo_space_t), .kind = PPO_SPACE_DISCRETE, .n = 3, .dim = 1};
    char *error = NULL;
    ppo_harness_t *h = ppo_harness_new_policy("fx_rnn", "{hidden: 5}", &obs, &act, 2, &error);
    ck_assert_msg(h != NULL, "%s", error);
    uint32_t S = 0;
    float *state = ppo_harness_policy_state(h, &S);
    ck_assert_uint_eq(S, 5);
    for (uint32_t i = 0; i < 2 * S; i++)
        ck_assert(state[i] == 0.0f);
    float x[2 * 4], dist1[2 * 3], dist2[2 * 3], actions[2];
    fill_obs(x, 2);
    ck_assert_msg(ppo_harness_policy_act(h, 2, x, 1, actions, NULL, NULL, dist1) == 0, "%s",
                  ppo_harness_error(h));
    bool moved = false;
    for (uint32_t i = 0; i < 2 * S; i++)
        moved = moved || state[i] != 0.0f;
    ck_assert_msg(moved, "act left the state at zeros");
    /* the same observations again: the memory changes the distribution */
    ck_assert_int_eq(ppo_harness_policy_act(h, 2, x, 1, actions, NULL, NULL, dist2), 0);
    ck_assert_msg(memcmp(dist1, dist2, sizeof(dist1)) != 0, "the state made no difference");
    /* back to the episode start for row 0: it acts as at first, row 1 keeps its memory */
    ck_assert_int_eq(ppo_harness_policy_reset_state(h, 0), 0);
    ck_assert_int_eq(ppo_harness_policy_reset_state(h, 1), 0);
    ck_assert_int_eq(ppo_harness_policy_act(h, 2, x, 1, actions, NULL, NULL, dist2), 0);
    ck_assert_mem_eq(dist1, dist2, sizeof(dist1));
    /* evaluate takes sequences for such a policy: the harness says so */
    float logp[2];
    ck_assert_int_lt(ppo_harness_policy_evaluate(h, 2, x, actions, NULL, logp, NULL, NULL, NULL),
                     0);
    assert_contains(ppo_harness_error(h), "recurrent");
    ppo_harness_free(h);
}
END_TEST

/* ---- advantage and optimizer ---- */

START_TEST(test_advantage_harness_gives_gae_the_return_computed_by_hand)
{
    /* one env, three steps, the episode terminates at the last one: with lambda 1, the
     * advantage is the discounted return minus the value */
    ppo_harness_t *h = must_new("gae", "{gamma: 0.5, lambda: 1.0}");
    const float rewards[3] = {1, 2, 4}, values[3] = {0.5f, 0.25f, 1}, zero[3] = {0, 0, 0};
    const float terminated[3] = {0, 0, 1}, last[1] = {10};
    const ppo_rollout_view_t view = {.T = 3,
                                     .N = 1,
                                     .rewards = rewards,
                                     .values = values,
                                     .terminated = terminated,
                                     .truncated = zero,
                                     .bootstrap_values = zero,
                                     .last_values = last};
    float adv[3], ret[3];
    ck_assert_msg(ppo_harness_advantage_estimate(h, &view, adv, ret) == 0, "%s",
                  ppo_harness_error(h));
    const double g[3] = {1 + 0.5 * 2 + 0.25 * 4, 2 + 0.5 * 4, 4};
    for (int t = 0; t < 3; t++) {
        ck_assert_double_eq_tol(ret[t], g[t], 1e-6);
        ck_assert_double_eq_tol(adv[t], g[t] - values[t], 1e-6);
    }
    ppo_harness_free(h);
}
END_TEST

START_TEST(test_optimizer_harness_keeps_state_and_step_count_between_steps)
{
    /* SGD with momentum 0.5: v1 = g, p1 = p0 - lr g; v2 = 0.5 v1 + g, p2 = p1 - lr v2 */
    ppo_harness_t *h = must_new("sgd", "{lr: 0.1, momentum: 0.5}");
    float p[2] = {1, -1};
    const float g[2] = {2, 4};
    ck_assert_ptr_null(ppo_harness_optimizer_state(h, NULL));
    ck_assert_int_eq(ppo_harness_optimizer_step(h, p, g, 2, 0.1), 0);
    ck_assert_int_eq(ppo_harness_optimizer_step(h, p, g, 2, 0.1), 0);
    ck_assert_double_eq_tol(p[0], 1 - 0.1 * 2 - 0.1 * (0.5 * 2 + 2), 1e-6);
    ck_assert_double_eq_tol(p[1], -1 - 0.1 * 4 - 0.1 * (0.5 * 4 + 4), 1e-6);
    size_t n_state = 0;
    const float *state = ppo_harness_optimizer_state(h, &n_state);
    ck_assert_uint_eq(n_state, 2);
    ck_assert_double_eq_tol(state[1], 0.5 * 4 + 4, 1e-6);
    /* the state is laid out for two parameters */
    float three[3] = {0, 0, 0};
    ck_assert_int_lt(ppo_harness_optimizer_step(h, three, three, 3, 0.1), 0);
    assert_contains(ppo_harness_error(h), "the first step had 2");
    ppo_harness_free(h);
}
END_TEST

/* ---- checkpoints and episodes ---- */

/* Spawn the built ppofw with the NULL-terminated arguments; its stdout (transfer full). */
static char *run_ppofw(const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_build_filename(build_dir(), "ppofw", NULL));
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, g_strdup(a));
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    char *out = NULL, *err = NULL;
    int status = 0;
    GError *error = NULL;
    ck_assert_msg(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error),
                  "cannot run ppofw: %s", error != NULL ? error->message : "");
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ppofw %s failed: %s", first, err);
    g_free(err);
    g_ptr_array_free(argv, TRUE);
    return out;
}

/* Train CartPole briefly into a fresh directory; the path of its checkpoint (transfer full). */
static char *train_cartpole(const char *dir, const char *extra_set)
{
    char *pipeline = g_build_filename(src_dir(), "configs", "cartpole.yaml", NULL);
    char *run = g_build_filename(dir, "run", NULL);
    g_free(run_ppofw("run", pipeline, "--run-dir", run, "-q", "--set", "ppo.total_steps=4096",
                     "--set", "checkpoint.every_steps=4096", "--set", extra_set, NULL));
    char *ckpts = g_build_filename(run, "checkpoints", NULL);
    GDir *d = g_dir_open(ckpts, 0, NULL);
    ck_assert_ptr_nonnull(d);
    char *found = NULL;
    for (const char *e = g_dir_read_name(d); e != NULL; e = g_dir_read_name(d))
        if (g_str_has_prefix(e, "ckpt-") && g_str_has_suffix(e, ".ckpt"))
            found = g_build_filename(ckpts, e, NULL);
    g_dir_close(d);
    ck_assert_msg(found != NULL, "no checkpoint in %s", ckpts);
    g_free(ckpts);
    g_free(run);
    g_free(pipeline);
    return found;
}

static double json_number(const char *json, const char *key)
{
    char *pat = g_strdup_printf("\"%s\": ", key);
    const char *at = strstr(json, pat);
    ck_assert_msg(at != NULL, "%s has no %s", json, key);
    const double v = g_ascii_strtod(at + strlen(pat), NULL);
    g_free(pat);
    return v;
}

static void remove_tree(const char *path)
{
    char *argv[] = {"rm", "-rf", (char *)path, NULL};
    g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

START_TEST(test_checkpoint_harness_runs_the_episodes_ppofw_eval_runs)
{
    char *dir = g_dir_make_tmp("ppofw-harness-XXXXXX", NULL);
    char *ckpt = train_cartpole(dir, "seed=3");
    for (int deterministic = 0; deterministic <= 1; deterministic++) {
        char *json = deterministic ? run_ppofw("eval", "--checkpoint", ckpt, "-n", "7", "--seed",
                                               "5", "--json", "--deterministic", NULL)
                                   : run_ppofw("eval", "--checkpoint", ckpt, "-n", "7", "--seed",
                                               "5", "--json", NULL);
        char *error = NULL;
        ppo_harness_t *pol = ppo_harness_open_checkpoint(ckpt, 16, &error);
        ck_assert_msg(pol != NULL, "%s", error);
        ppo_harness_t *env = ppo_harness_open_checkpoint_env(ckpt, &error);
        ck_assert_msg(env != NULL, "%s", error);
        ck_assert_str_eq(ppo_harness_name(pol), "mlp");
        ck_assert_int_eq(ppo_harness_obs_norm(pol)->enabled, 0);
        double returns[7];
        uint32_t lengths[7];
        ck_assert_msg(ppo_harness_run_episodes(env, pol, 7, deterministic, 5, returns, lengths) ==
                          0,
                      "%s", ppo_harness_error(pol));
        double mean = 0.0, len = 0.0;
        for (int i = 0; i < 7; i++) {
            mean += returns[i] / 7;
            len += lengths[i] / 7.0;
            ck_assert(returns[i] == lengths[i]); /* CartPole pays 1 per step */
        }
        ck_assert_double_eq_tol(mean, json_number(json, "return_mean"), 1e-6);
        ck_assert_double_eq_tol(len, json_number(json, "length_mean"), 1e-6);
        g_free(json);
        ppo_harness_free(env);
        ppo_harness_free(pol);
    }
    g_free(ckpt);
    remove_tree(dir);
    g_free(dir);
}
END_TEST

START_TEST(test_checkpoint_harness_normalizes_observations_with_the_frozen_statistics)
{
    char *dir = g_dir_make_tmp("ppofw-harness-XXXXXX", NULL);
    char *ckpt = train_cartpole(dir, "normalize.obs=true");
    char *error = NULL;
    ppo_harness_t *pol = ppo_harness_open_checkpoint(ckpt, 4, &error);
    ck_assert_msg(pol != NULL, "%s", error);
    const ppo_obs_norm_t *norm = ppo_harness_obs_norm(pol);
    ck_assert_int_eq(norm->enabled, 1);
    ck_assert_uint_eq(norm->dim, 4);
    float obs[4] = {0.1f, -0.5f, 0.02f, 1.5f}, expect[4];
    for (int k = 0; k < 4; k++) {
        double z = (obs[k] - norm->mean[k]) / sqrt(norm->var[k] + norm->epsilon);
        expect[k] = (float)fmin(fmax(z, -norm->clip), norm->clip);
    }
    ck_assert_int_eq(ppo_harness_normalize_obs(pol, 1, obs), 0);
    for (int k = 0; k < 4; k++)
        ck_assert_float_eq_tol(obs[k], expect[k], 1e-5f);
    /* a policy of other spaces cannot run this env's episodes */
    ppo_harness_t *env = ppo_harness_open_checkpoint_env(ckpt, &error);
    ck_assert_msg(env != NULL, "%s", error);
    ppo_harness_t *other = mlp_discrete(4);
    ck_assert_int_lt(ppo_harness_run_episodes(env, other, 2, 1, 0, NULL, NULL), 0);
    assert_contains(ppo_harness_error(other), "discrete (3)");
    assert_contains(ppo_harness_error(other), "discrete (2)");
    ppo_harness_free(other);
    ppo_harness_free(env);
    ppo_harness_free(pol);
    ck_assert_ptr_null(ppo_harness_open_checkpoint("/nonexistent.ckpt", 4, &error));
    assert_contains(error, "/nonexistent.ckpt");
    free(error);
    g_free(ckpt);
    remove_tree(dir);
    g_free(dir);
}
END_TEST

static Suite *harness_suite(void)
{
    Suite *s = suite_create("harness");
    TCase *env = tcase_create("env");
    tcase_add_test(env, test_env_harness_reset_repeats_with_the_seed_and_differs_with_another);
    tcase_add_test(env, test_env_harness_clips_box_actions_to_the_action_space_as_the_core_does);
    tcase_add_test(env, test_env_harness_refuses_an_unknown_plugin_and_bad_params_with_the_fix);
    tcase_add_test(env, test_harness_calls_of_the_wrong_kind_fail_with_a_message);
    suite_add_tcase(s, env);
    TCase *policy = tcase_create("policy");
    tcase_add_test(policy, test_policy_harness_initializes_the_store_as_a_run_with_that_seed);
    tcase_add_test(policy, test_policy_harness_deterministic_act_takes_the_first_largest_logit);
    tcase_add_test(policy, test_policy_harness_backward_matches_finite_differences_of_evaluate);
    tcase_add_test(policy, test_policy_harness_refuses_more_rows_than_it_was_made_for);
    tcase_add_test(policy, test_new_policy_runs_episodes_of_an_env_harness_repeatably);
    tcase_add_test(policy, test_policy_harness_carries_a_recurrent_policys_state_per_row);
    suite_add_tcase(s, policy);
    TCase *others = tcase_create("advantage and optimizer");
    tcase_add_test(others, test_advantage_harness_gives_gae_the_return_computed_by_hand);
    tcase_add_test(others, test_optimizer_harness_keeps_state_and_step_count_between_steps);
    suite_add_tcase(s, others);
    TCase *ckpt = tcase_create("checkpoints");
    tcase_set_timeout(ckpt, 300);
    tcase_add_test(ckpt, test_checkpoint_harness_runs_the_episodes_ppofw_eval_runs);
    tcase_add_test(ckpt,
                   test_checkpoint_harness_normalizes_observations_with_the_frozen_statistics);
    suite_add_tcase(s, ckpt);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(harness_suite());
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
