/* ppofw tests — plugins/envs/minatar/asterix.c: MinAtar's Asterix against the reference data
 * (every row, minatar_test.c) and the frequencies of its random outcomes when the plugin draws
 * from the core's stream: the side an entity spawns on (1/2), gold (1/3), and the slot, uniform
 * over the empty ones. */
#include "config.h"

#include "minatar_test.h"

enum { SPAWNS = 30000, SLOTS = 8 };

/* Spawn SPAWNS times from the state `assign` describes (spawn_timer 0, no-op) and count the
 * side, the gold flag and the slot of the new entity. */
static void count_spawns(const char *const *assign, uint64_t *right, uint64_t *gold,
                         uint64_t slot[SLOTS])
{
    mt_plugin_t p;
    mt_plugin_open(&p, "asterix", "{sticky_action_prob: 0}");
    double *start = mt_state_with(&p, assign, 0);
    double *after = g_new(double, p.n_state);
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 11, "env", 0);
    /* slot i's alive, x, y, lr, gold are state doubles alive0 + 5 i .. + 4 */
    const size_t alive0 = mt_state_index(&minatar_asterix, "e0_alive");
    ck_assert_uint_eq(mt_state_index(&minatar_asterix, "e7_gold"), alive0 + 5 * 7 + 4);
    *right = *gold = 0;
    for (int i = 0; i < SLOTS; i++)
        slot[i] = 0;
    for (int n = 0; n < SPAWNS; n++) {
        mt_step_from(&p, start, MINATAR_NOOP, &rng, after);
        int spawned = -1;
        for (int i = 0; i < SLOTS; i++) {
            const size_t k = alive0 + 5 * (size_t)i;
            if (start[k] == 0 && after[k] == 1) {
                ck_assert_int_eq(spawned, -1);
                spawned = i;
            }
        }
        ck_assert_msg(spawned >= 0, "spawn_timer 0 with an empty slot spawned nothing");
        const size_t base = alive0 + 5 * (size_t)spawned;
        /* moving right (lr) means entering at x 0, on the slot's row */
        ck_assert(after[base + 1] == (after[base + 3] ? 0 : 9));
        ck_assert(after[base + 2] == spawned + 1);
        *right += after[base + 3] != 0;
        *gold += after[base + 4] != 0;
        slot[spawned]++;
    }
    g_free(start);
    g_free(after);
    mt_plugin_close(&p);
}

START_TEST(test_asterix_spawns_on_each_side_half_the_time_and_gold_a_third_of_the_time)
{
    const char *const assign[] = {"spawn_timer=0", NULL};
    uint64_t right, gold, slot[SLOTS];
    count_spawns(assign, &right, &gold, slot);
    mt_assert_binomial("spawns moving right", right, SPAWNS, 0.5);
    mt_assert_binomial("gold spawns", gold, SPAWNS, 1.0 / 3.0);
    mt_assert_uniform("slots of spawns into an empty board", slot, SLOTS);
}
END_TEST

START_TEST(test_asterix_spawns_uniformly_into_the_empty_slots_only)
{
    /* slots 1, 3, 4 and 6 hold enemies away from the player; 0, 2, 5 and 7 are empty */
    const char *const assign[] = {"spawn_timer=0", "e1_alive=1", "e1_y=2", "e3_alive=1",
                                  "e3_y=4",        "e4_alive=1", "e4_y=5", "e6_alive=1",
                                  "e6_y=7",        "e6_x=9",     "e4_x=1", NULL};
    uint64_t right, gold, slot[SLOTS];
    count_spawns(assign, &right, &gold, slot);
    const int full[] = {1, 3, 4, 6};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(slot[full[i]] == 0, "%" G_GUINT64_FORMAT " spawns into full slot %d",
                      slot[full[i]], full[i]);
    const uint64_t empty[4] = {slot[0], slot[2], slot[5], slot[7]};
    mt_assert_uniform("slots of spawns among slots 0, 2, 5, 7", empty, 4);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("outcomes");
    tcase_add_test(tc, test_asterix_spawns_on_each_side_half_the_time_and_gold_a_third_of_the_time);
    tcase_add_test(tc, test_asterix_spawns_uniformly_into_the_empty_slots_only);
    return mt_run(&minatar_asterix, tc);
}
