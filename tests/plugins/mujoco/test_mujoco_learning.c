/* A short fixed-seed learning test on MuJoCo: PPO with configs/inverted-pendulum.yaml's settings
 * on a 40960-step budget lifts InvertedPendulum's mean return from about 9 (a random policy) to
 * well above it. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_test.h"
#include "ppo_trainer_private.h"

START_TEST(test_inverted_pendulum_learns_on_a_small_budget)
{
    GError *error = NULL;
    char *path = ppo_test_src_path("configs/inverted-pendulum.yaml");
    const char *ov[] = {"ppo.total_steps=40960", NULL};
    ppo_pipeline_t *pl = ppo_pipeline_load(path, ov, &error);
    ck_assert_msg(pl != NULL, "%s", error != NULL ? error->message : "");
    ppo_search_t *search = ppo_search_new(NULL);
    ppo_session_t *s = ppo_session_open(pl, search, &error);
    ck_assert_msg(s != NULL, "%s", error != NULL ? error->message : "");
    ppo_trainer_t *tr = ppo_trainer_new(s, &error);
    ck_assert_msg(tr != NULL, "%s", error != NULL ? error->message : "");
    ppo_metrics_row_t row;
    double first = NAN;
    while (!ppo_trainer_done(tr)) {
        ck_assert_msg(ppo_trainer_iterate(tr, &row, &error), "%s",
                      error != NULL ? error->message : "");
        if (isnan(first))
            first = row.ep_return_mean;
    }
    fprintf(stderr, "inverted_pendulum: first iteration %.1f, after %" G_GUINT64_FORMAT
                    " steps %.1f\n",
            first, row.global_step, row.ep_return_mean);
    ck_assert_msg(first < 30.0, "the first iteration already averages %.1f", first);
    ck_assert_msg(row.ep_return_mean >= 150.0, "mean return %.1f after %" G_GUINT64_FORMAT
                  " steps", row.ep_return_mean, row.global_step);
    ppo_trainer_free(tr);
    ppo_session_free(s);
    ppo_search_free(search);
    ppo_pipeline_free(pl);
    g_free(path);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("mujoco_learning");
    TCase *tc = tcase_create("learning");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_inverted_pendulum_learns_on_a_small_budget);
    suite_add_tcase(suite, tc);
    return ppo_test_run(suite);
}
