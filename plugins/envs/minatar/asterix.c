/* ppofw env plugin "minatar_asterix" — MinAtar's Asterix (MinAtar 1.0.15 rules).
 *
 * The player moves on rows 1..8; enemies and gold cross rows 1..8 (one per row, slot i on row
 * i + 1), spawned on either side. Touching gold gives +1, touching an enemy ends the episode.
 * Spawns and moves get faster as the game ramps. Channels: 0 player, 1 enemy, 2 trail, 3 gold.
 * Minimal actions: n, l, u, r, d.
 *
 * The state as doubles: player_x, player_y, spawn_speed, spawn_timer, move_speed, move_timer,
 * ramp_timer, ramp_index, shot_timer, terminal, then for slot i = 0..7: alive, x, y, lr, gold
 * (all 0 for an empty slot), then (the wrapper's) previous action.
 *
 * Left out: nothing of the rules; shot_timer is kept as MinAtar keeps it (always 0, unused).
 */
#include <stddef.h>

#include "minatar.h"

#define ASTERIX_SLOTS 8
#define ASTERIX_RAMP_INTERVAL 100 /* ramp_timer's reload */
#define ASTERIX_BIG 1000000       /* upper bound of timers and counters in a state */

/* Fields of an entity slot. */
enum { E_ALIVE, E_X, E_Y, E_LR, E_GOLD, E_WIDTH };

typedef struct asterix {
    int32_t player_x, player_y;
    int32_t spawn_speed, spawn_timer;
    int32_t move_speed, move_timer;
    int32_t ramp_timer, ramp_index;
    int32_t shot_timer;
    int32_t terminal;
    int32_t e[ASTERIX_SLOTS][E_WIDTH]; /* slot i: alive, x, y (= i + 1), lr (moves right), gold */
} asterix_t;

static void asterix_reset(void *state, const minatar_rand_t *rand)
{
    asterix_t *s = state;
    *s = (asterix_t){
        .player_x = 5,
        .player_y = 5,
        .spawn_speed = 10,
        .spawn_timer = 10,
        .move_speed = 5,
        .move_timer = 5,
        .ramp_timer = ASTERIX_RAMP_INTERVAL,
    };
}

/* Spawn in a random empty slot: side, gold, then the slot (drawn only when one is empty). */
static void asterix_spawn(asterix_t *s, const minatar_rand_t *rand)
{
    const int lr = rand->uniform(rand->ctx) < 0.5;
    const int gold = rand->uniform(rand->ctx) < 1.0 / 3.0;
    int empty[ASTERIX_SLOTS], n_empty = 0;
    for (int i = 0; i < ASTERIX_SLOTS; i++)
        if (!s->e[i][E_ALIVE])
            empty[n_empty++] = i;
    if (n_empty == 0)
        return;
    const int slot = empty[rand->randint(rand->ctx, 0, n_empty)];
    int32_t *e = s->e[slot];
    e[E_ALIVE] = 1;
    e[E_X] = lr ? 0 : MINATAR_SIZE - 1;
    e[E_Y] = slot + 1;
    e[E_LR] = lr;
    e[E_GOLD] = gold;
}

/* An entity on the player's cell: gold is taken (+1), an enemy ends the episode and stays. */
static void asterix_contact(asterix_t *s, int32_t *e, int32_t *reward)
{
    if (!e[E_ALIVE] || e[E_X] != s->player_x || e[E_Y] != s->player_y)
        return;
    if (e[E_GOLD]) {
        for (int k = 0; k < E_WIDTH; k++)
            e[k] = 0;
        *reward += 1;
    } else {
        s->terminal = 1;
    }
}

static int asterix_step(void *state, int action, bool ramping, const minatar_rand_t *rand,
                        int32_t *reward, const char **why)
{
    asterix_t *s = state;
    if (s->terminal)
        return 0;

    /* spawn */
    if (s->spawn_timer == 0) {
        asterix_spawn(s, rand);
        s->spawn_timer = s->spawn_speed;
    }

    /* the player moves within rows 1..8 */
    if (action == MINATAR_LEFT)
        s->player_x = s->player_x > 0 ? s->player_x - 1 : 0;
    else if (action == MINATAR_RIGHT)
        s->player_x = s->player_x < MINATAR_SIZE - 1 ? s->player_x + 1 : MINATAR_SIZE - 1;
    else if (action == MINATAR_UP)
        s->player_y = s->player_y > 1 ? s->player_y - 1 : 1;
    else if (action == MINATAR_DOWN)
        s->player_y = s->player_y < MINATAR_SIZE - 2 ? s->player_y + 1 : MINATAR_SIZE - 2;

    /* contact right after the player moved */
    for (int i = 0; i < ASTERIX_SLOTS; i++)
        asterix_contact(s, s->e[i], reward);

    /* entities move; those leaving the board are removed, the others may meet the player */
    if (s->move_timer == 0) {
        s->move_timer = s->move_speed;
        for (int i = 0; i < ASTERIX_SLOTS; i++) {
            int32_t *e = s->e[i];
            if (!e[E_ALIVE])
                continue;
            e[E_X] += e[E_LR] ? 1 : -1;
            if (e[E_X] < 0 || e[E_X] > MINATAR_SIZE - 1) {
                for (int k = 0; k < E_WIDTH; k++)
                    e[k] = 0;
            } else {
                asterix_contact(s, e, reward);
            }
        }
    }
    s->spawn_timer--;
    s->move_timer--;

    /* difficulty ramp, until both speeds are 1 */
    if (ramping && (s->spawn_speed > 1 || s->move_speed > 1)) {
        if (s->ramp_timer >= 0) {
            s->ramp_timer--;
        } else {
            if (s->move_speed > 1 && s->ramp_index % 2 == 1)
                s->move_speed--;
            if (s->spawn_speed > 1)
                s->spawn_speed--;
            s->ramp_index++;
            s->ramp_timer = ASTERIX_RAMP_INTERVAL;
        }
    }
    return 0;
}

static void asterix_observe(const void *state, uint8_t *obs)
{
    const asterix_t *s = state;
    minatar_set(obs, 0, s->player_y, s->player_x);
    for (int i = 0; i < ASTERIX_SLOTS; i++) {
        const int32_t *e = s->e[i];
        if (!e[E_ALIVE])
            continue;
        minatar_set(obs, e[E_GOLD] ? 3 : 1, e[E_Y], e[E_X]);
        const int32_t back = e[E_LR] ? e[E_X] - 1 : e[E_X] + 1;
        if (minatar_on_board(back, e[E_Y]))
            minatar_set(obs, 2, e[E_Y], back);
    }
}

static const minatar_int_spec_t asterix_ints[] = {
    {"player_x", 0, 9},
    {"player_y", 0, 9},
    {"spawn_speed", 1, ASTERIX_BIG},
    {"spawn_timer", 0, ASTERIX_BIG},
    {"move_speed", 1, ASTERIX_BIG},
    {"move_timer", 0, ASTERIX_BIG},
    {"ramp_timer", -1, ASTERIX_BIG},
    {"ramp_index", 0, ASTERIX_BIG},
    {"shot_timer", 0, ASTERIX_BIG},
    {"terminal", 0, 1},
};

static const minatar_int_spec_t asterix_slot_ints[E_WIDTH] = {
    {"alive", 0, 1}, {"x", 0, 9}, {"y", 0, 9}, {"lr", 0, 1}, {"gold", 0, 1},
};

static const minatar_field_t asterix_fields[] = {
    {MINATAR_INTS, "", offsetof(asterix_t, player_x), PPO_ARRAY_LEN(asterix_ints), 0, asterix_ints},
    {MINATAR_SLOTS, "e", offsetof(asterix_t, e), ASTERIX_SLOTS, E_WIDTH, asterix_slot_ints},
};

static const uint8_t asterix_minimal[] = {MINATAR_NOOP, MINATAR_LEFT, MINATAR_UP, MINATAR_RIGHT,
                                          MINATAR_DOWN};

const minatar_game_t minatar_asterix = {
    .name = "asterix",
    .n_channels = 4,
    .symbols = "@ET$",
    .minimal_actions = asterix_minimal,
    .n_minimal = PPO_ARRAY_LEN(asterix_minimal),
    .state_bytes = sizeof(asterix_t),
    .terminal_offset = offsetof(asterix_t, terminal),
    .fields = asterix_fields,
    .n_fields = PPO_ARRAY_LEN(asterix_fields),
    .reset = asterix_reset,
    .step = asterix_step,
    .observe = asterix_observe,
};

MINATAR_PLUGIN(
    "minatar_asterix",
    "MinAtar Asterix (MinAtar 1.0.15): catch gold, dodge enemies; minimal actions n l u r d",
    minatar_asterix)
