/* test_export — the trained linear policy and its export, tested against the installed testing
 * API (<ppofw-check/check.h>) with Check.
 *
 * `make check` trains linear_policy.yaml (CartPole with the linear policy), keeps the last
 * checkpoint as trained.ckpt, exports it with `ppofw export` as policy.c and links that file into
 * this program; it does the same with normalized observations (trained-norm.ckpt, policy-norm.c,
 * test_export_norm). The tests: the trained policy balances the pole (its deterministic return
 * over ten episodes, as `ppofw eval` would measure it), and the exported C takes the checkpoint's
 * action on every state of whole episodes, given the raw observation (the export applies the
 * observation normalization itself).
 *
 * Run: ./test_export CHECKPOINT MIN_RETURN (with the plugin on PPOFW_PLUGIN_PATH); a MIN_RETURN
 * of 0 leaves the return out.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <ppofw-check/check.h>

/* the exported policy (policy.c): CartPole's 4 observations, 2 actions */
int ppo_policy_act(const double *obs);

static const char *checkpoint = "trained.ckpt";
/* the deterministic mean return the trained policy must reach (CartPole's limit is 500) */
static double min_return = 300.0;

static ppo_harness_t *open_policy(void)
{
    char *error = NULL;
    ppo_harness_t *h = ppo_harness_open_checkpoint(checkpoint, 1, &error);
    ck_assert_msg(h != NULL, "%s", error);
    return h;
}

static ppo_harness_t *open_env(void)
{
    char *error = NULL;
    ppo_harness_t *h = ppo_harness_open_checkpoint_env(checkpoint, &error);
    ck_assert_msg(h != NULL, "%s", error);
    return h;
}

START_TEST(test_the_trained_policy_balances_the_pole)
{
    if (min_return <= 0.0)
        return;
    ppo_harness_t *policy = open_policy(), *env = open_env();
    double returns[10];
    ck_assert_msg(ppo_harness_run_episodes(env, policy, 10, 1, 0, returns, NULL) == 0, "%s",
                  ppo_harness_error(policy));
    double mean = 0.0;
    for (int i = 0; i < 10; i++)
        mean += returns[i] / 10;
    printf("deterministic mean return over 10 episodes: %.1f\n", mean);
    ck_assert_msg(mean >= min_return, "mean return %.1f < %.0f", mean, min_return);
    ppo_harness_free(env);
    ppo_harness_free(policy);
}
END_TEST

START_TEST(test_the_exported_c_takes_the_checkpoints_action_on_every_state)
{
    ppo_harness_t *policy = open_policy(), *env = open_env();
    const uint32_t limit = ppo_harness_env_max_episode_steps(env);
    uint32_t states = 0;
    for (int episode = 0; episode < 3; episode++) {
        float obs[4];
        ck_assert_int_eq(ppo_harness_env_reset(env, obs), 0);
        int terminated = 0;
        for (uint32_t t = 0; t < limit && !terminated; t++, states++) {
            /* the checkpoint's action: the core normalizes, then the policy acts */
            float seen[4], action;
            memcpy(seen, obs, sizeof(seen));
            ck_assert_int_eq(ppo_harness_normalize_obs(policy, 1, seen), 0);
            ck_assert_int_eq(ppo_harness_policy_act(policy, 1, seen, 1, &action, NULL, NULL, NULL),
                             0);
            /* the export's, from the raw observation */
            const double raw[4] = {obs[0], obs[1], obs[2], obs[3]};
            ck_assert_msg(ppo_policy_act(raw) == (int)action,
                          "episode %d step %u: the export acts %d, the checkpoint %d", episode, t,
                          ppo_policy_act(raw), (int)action);
            ck_assert_int_eq(ppo_harness_env_step(env, &action, obs, NULL, &terminated), 0);
        }
    }
    ck_assert_uint_gt(states, 100);
    ppo_harness_free(env);
    ppo_harness_free(policy);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc > 1)
        checkpoint = argv[1];
    if (argc > 2)
        min_return = strtod(argv[2], NULL);
    Suite *s = suite_create("linear_policy export");
    TCase *tc = tcase_create("trained");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_trained_policy_balances_the_pole);
    tcase_add_test(tc, test_the_exported_c_takes_the_checkpoints_action_on_every_state);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
