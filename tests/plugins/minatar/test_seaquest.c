/* ppofw tests — plugins/envs/minatar/seaquest.c: MinAtar's Seaquest against the reference data
 * (every row, minatar_test.c), the frequencies of its random outcomes when the plugin draws from
 * the core's stream (an enemy's side 1/2, sub rather than fish 1/3, row uniform in 1..8; a
 * diver's side and row likewise), and a list overflow failing the step instead of crashing. */
#include "config.h"

#include "minatar_test.h"

enum { SPAWNS = 20000, ROWS = 8 };

START_TEST(test_seaquest_spawns_enemies_and_divers_with_the_documented_frequencies)
{
    mt_plugin_t p;
    mt_plugin_open(&p, "seaquest", "{sticky_action_prob: 0}");
    const char *const assign[] = {"e_spawn_timer=0", "d_spawn_timer=0", NULL};
    double *start = mt_state_with(&p, assign, 0), *after = g_new(double, p.n_state);
    const size_t fish = mt_state_index(&minatar_seaquest, "e_fish");
    const size_t subs = mt_state_index(&minatar_seaquest, "e_subs");
    const size_t divers = mt_state_index(&minatar_seaquest, "divers");
    uint64_t n_subs = 0, enemy_right = 0, diver_right = 0;
    uint64_t enemy_rows[ROWS] = {0}, diver_rows[ROWS] = {0};
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 13, "env", 0);
    for (int n = 0; n < SPAWNS; n++) {
        mt_step_from(&p, start, MINATAR_NOOP, &rng, after);
        /* exactly one enemy, never blocked on an empty board, and one diver */
        ck_assert(after[fish] + after[subs] == 1 && after[divers] == 1);
        const double *enemy = after[subs] == 1 ? &after[subs + 1] : &after[fish + 1];
        const double *diver = &after[divers + 1];
        n_subs += after[subs] == 1;
        /* x, y, dir: moving right (dir 1) means entering at x 0 */
        ck_assert(enemy[0] == (enemy[2] ? 0 : 9) && diver[0] == (diver[2] ? 0 : 9));
        ck_assert(enemy[1] >= 1 && enemy[1] <= ROWS && diver[1] >= 1 && diver[1] <= ROWS);
        enemy_right += enemy[2] != 0;
        diver_right += diver[2] != 0;
        enemy_rows[(int)enemy[1] - 1]++;
        diver_rows[(int)diver[1] - 1]++;
    }
    mt_assert_binomial("enemy subs (rather than fish)", n_subs, SPAWNS, 1.0 / 3.0);
    mt_assert_binomial("enemies moving right", enemy_right, SPAWNS, 0.5);
    mt_assert_binomial("divers moving right", diver_right, SPAWNS, 0.5);
    mt_assert_uniform("enemy rows 1..8", enemy_rows, ROWS);
    mt_assert_uniform("diver rows 1..8", diver_rows, ROWS);
    g_free(start);
    g_free(after);
    mt_plugin_close(&p);
}
END_TEST

START_TEST(test_seaquest_fails_the_step_when_a_list_would_overflow)
{
    mt_plugin_t p;
    mt_plugin_open(&p, "seaquest", "");
    /* 64 fish, all moving right on row 8 (so a new enemy there is never blocked), and a spawn */
    const char *const assign[] = {"e_spawn_timer=0", "e_fish=64", NULL};
    double *state = mt_state_with(&p, assign, 0);
    const size_t fish = mt_state_index(&minatar_seaquest, "e_fish");
    for (int r = 0; r < MINATAR_LIST_CAP; r++) {
        state[fish + 1 + 4 * r + 0] = r % 10;
        state[fish + 1 + 4 * r + 1] = 1 + r % ROWS;
        state[fish + 1 + 4 * r + 2] = 1;
        state[fish + 1 + 4 * r + 3] = 3;
    }
    uint8_t obs[10 * MINATAR_CELLS];
    ck_assert_int_eq(p.vt->set_state(p.inst, state, (float *)(void *)obs), 0);
    /* whatever the draws, the spawn appends a 65th fish or sub: find a seed that makes a fish
     * (subs have their own list) by trying streams until the step fails */
    bool failed = false;
    for (uint64_t seed = 0; seed < 64 && !failed; seed++) {
        ppo_rng_t rng;
        ppo_rng_seed(&rng, seed, "env", 0);
        const float noop = 0.0f;
        double reward;
        int terminated;
        ck_assert_int_eq(p.vt->set_state(p.inst, state, NULL), 0);
        if (p.vt->step(p.inst, &noop, &rng, (float *)(void *)obs, &reward, &terminated) != 0) {
            char *why = ppo_host_take_error();
            ck_assert_msg(why != NULL && strstr(why, "64") != NULL, "message: %s", why);
            g_free(why);
            failed = true;
        }
    }
    ck_assert_msg(failed, "64 fish and a spawn never failed the step");
    g_free(state);
    mt_plugin_close(&p);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("outcomes");
    tcase_add_test(tc, test_seaquest_spawns_enemies_and_divers_with_the_documented_frequencies);
    tcase_add_test(tc, test_seaquest_fails_the_step_when_a_list_would_overflow);
    return mt_run(&minatar_seaquest, tc);
}
