/* ppofw env plugin "minatar_space_invaders" — MinAtar's Space Invaders (MinAtar 1.0.15 rules).
 *
 * A cannon on the bottom row shoots at a block of 24 aliens that sweeps sideways and down and
 * shoots back; each alien hit gives +1, and a cleared wave comes back faster. An enemy bullet
 * or an alien reaching the cannon ends the episode. Channels: 0 cannon, 1 alien, 2 alien moving
 * left, 3 alien moving right, 4 friendly bullet, 5 enemy bullet. Minimal actions: n, l, r, f.
 * The game has no randomness.
 *
 * The state as doubles: pos, alien_dir, enemy_move_interval, alien_move_timer,
 * alien_shot_timer, ramp_index, shot_timer, terminal, then the 100 cells (10·y + x) of the alien,
 * friendly bullet and enemy bullet maps, then (the wrapper's) previous action.
 *
 * Left out: nothing of the rules. A state without aliens cannot occur (a cleared wave refills
 * in the same step) and set_state refuses it, so the aliens always have a column to shoot from.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "minatar.h"

#define SI_SHOT_COOLDOWN 5 /* shot_timer after a shot */
#define SI_ALIEN_SHOT_INTERVAL 10
#define SI_MIN_MOVE_INTERVAL 6 /* enemy_move_interval stops ramping here */
#define SI_BIG 1000000         /* bound of timers and counters in a state */

typedef struct space_invaders {
    int32_t pos;       /* the cannon's column, on row 9 */
    int32_t alien_dir; /* -1 or +1 */
    int32_t enemy_move_interval, alien_move_timer, alien_shot_timer;
    int32_t ramp_index, shot_timer, terminal;
    uint8_t alien[MINATAR_CELLS]; /* 10·y + x */
    uint8_t f_bullet[MINATAR_CELLS];
    uint8_t e_bullet[MINATAR_CELLS];
} space_invaders_t;

/* Rows 0..3, columns 2..7. */
static void si_fill_aliens(space_invaders_t *s)
{
    for (int y = 0; y < 4; y++)
        memset(&s->alien[y * MINATAR_SIZE + 2], 1, 6);
}

static int si_count(const uint8_t *map)
{
    int n = 0;
    for (int k = 0; k < MINATAR_CELLS; k++)
        n += map[k];
    return n;
}

static bool si_column_has(const uint8_t *map, int x)
{
    for (int y = 0; y < MINATAR_SIZE; y++)
        if (map[y * MINATAR_SIZE + x])
            return true;
    return false;
}

static void space_invaders_reset(void *state, const minatar_rand_t *rand)
{
    space_invaders_t *s = state;
    memset(s, 0, sizeof(*s));
    s->pos = 5;
    s->alien_dir = -1;
    s->enemy_move_interval = 12;
    s->alien_move_timer = 12;
    s->alien_shot_timer = SI_ALIEN_SHOT_INTERVAL;
    si_fill_aliens(s);
}

/* Shift a map by dy rows: what leaves the board rolls around to the other side when roll, else
 * it disappears. */
static void si_shift_rows(uint8_t *map, int dy, bool roll)
{
    uint8_t old[MINATAR_CELLS];
    memcpy(old, map, sizeof(old));
    for (int y = 0; y < MINATAR_SIZE; y++) {
        int from = y - dy;
        if (roll)
            from = (from + MINATAR_SIZE) % MINATAR_SIZE;
        if (from >= 0 && from < MINATAR_SIZE)
            memcpy(&map[y * MINATAR_SIZE], &old[from * MINATAR_SIZE], MINATAR_SIZE);
        else
            memset(&map[y * MINATAR_SIZE], 0, MINATAR_SIZE);
    }
}

/* Shift a map by dx columns with wrap-around (numpy's roll). */
static void si_roll_columns(uint8_t *map, int dx)
{
    uint8_t old[MINATAR_CELLS];
    memcpy(old, map, sizeof(old));
    for (int y = 0; y < MINATAR_SIZE; y++)
        for (int x = 0; x < MINATAR_SIZE; x++)
            map[y * MINATAR_SIZE + x] =
                old[y * MINATAR_SIZE + ((x - dx) % MINATAR_SIZE + MINATAR_SIZE) % MINATAR_SIZE];
}

/* The aliens' move: down and back at an edge they are heading into, else one column over. */
static void si_move_aliens(space_invaders_t *s)
{
    const int aliens = si_count(s->alien);
    s->alien_move_timer = aliens < s->enemy_move_interval ? aliens : s->enemy_move_interval;
    if ((si_column_has(s->alien, 0) && s->alien_dir < 0) ||
        (si_column_has(s->alien, MINATAR_SIZE - 1) && s->alien_dir > 0)) {
        s->alien_dir = -s->alien_dir;
        for (int x = 0; x < MINATAR_SIZE; x++)
            if (s->alien[(MINATAR_SIZE - 1) * MINATAR_SIZE + x])
                s->terminal = 1;
        si_shift_rows(s->alien, 1, true);
    } else {
        si_roll_columns(s->alien, s->alien_dir);
    }
    if (s->alien[(MINATAR_SIZE - 1) * MINATAR_SIZE + s->pos])
        s->terminal = 1;
}

/* The alien nearest the cannon's column (ties to the left), lowest in its column, shoots. */
static void si_alien_shot(space_invaders_t *s)
{
    int best = -1;
    for (int x = 0; x < MINATAR_SIZE; x++)
        if (si_column_has(s->alien, x) && (best < 0 || abs(x - s->pos) < abs(best - s->pos)))
            best = x;
    if (best < 0)
        return;
    for (int y = MINATAR_SIZE - 1; y >= 0; y--)
        if (s->alien[y * MINATAR_SIZE + best]) {
            s->e_bullet[y * MINATAR_SIZE + best] = 1;
            return;
        }
}

static int space_invaders_step(void *state, int action, bool ramping, const minatar_rand_t *rand,
                               int32_t *reward, const char **why)
{
    space_invaders_t *s = state;
    const int cannon = (MINATAR_SIZE - 1) * MINATAR_SIZE; /* first cell of the cannon's row */
    if (s->terminal)
        return 0;

    /* the cannon */
    if (action == MINATAR_FIRE) {
        if (s->shot_timer == 0) {
            s->f_bullet[cannon + s->pos] = 1;
            s->shot_timer = SI_SHOT_COOLDOWN;
        }
    } else if (action == MINATAR_LEFT) {
        s->pos = s->pos > 0 ? s->pos - 1 : 0;
    } else if (action == MINATAR_RIGHT) {
        s->pos = s->pos < MINATAR_SIZE - 1 ? s->pos + 1 : MINATAR_SIZE - 1;
    }

    /* bullets fly; the enemy's and the aliens reach the cannon */
    si_shift_rows(s->f_bullet, -1, false);
    si_shift_rows(s->e_bullet, 1, false);
    if (s->e_bullet[cannon + s->pos])
        s->terminal = 1;
    if (s->alien[cannon + s->pos])
        s->terminal = 1;

    /* the aliens move and shoot */
    if (s->alien_move_timer == 0)
        si_move_aliens(s);
    if (s->alien_shot_timer == 0) {
        s->alien_shot_timer = SI_ALIEN_SHOT_INTERVAL;
        si_alien_shot(s);
    }

    /* hits */
    for (int k = 0; k < MINATAR_CELLS; k++)
        if (s->alien[k] && s->f_bullet[k]) {
            s->alien[k] = 0;
            s->f_bullet[k] = 0;
            *reward += 1;
        }

    /* timers */
    if (s->shot_timer > 0)
        s->shot_timer--;
    s->alien_move_timer--;
    s->alien_shot_timer--;

    /* a cleared wave returns, faster while ramping */
    if (si_count(s->alien) == 0) {
        if (ramping && s->enemy_move_interval > SI_MIN_MOVE_INTERVAL) {
            s->enemy_move_interval--;
            s->ramp_index++;
        }
        si_fill_aliens(s);
    }
    return 0;
}

static void space_invaders_observe(const void *state, uint8_t *obs)
{
    const space_invaders_t *s = state;
    const int dir_channel = s->alien_dir < 0 ? 2 : 3;
    minatar_set(obs, 0, MINATAR_SIZE - 1, s->pos);
    for (int k = 0; k < MINATAR_CELLS; k++) {
        if (s->alien[k]) {
            obs[1 * MINATAR_CELLS + k] = 1;
            obs[dir_channel * MINATAR_CELLS + k] = 1;
        }
        obs[4 * MINATAR_CELLS + k] = s->f_bullet[k];
        obs[5 * MINATAR_CELLS + k] = s->e_bullet[k];
    }
}

static const char *space_invaders_check(const void *state)
{
    const space_invaders_t *s = state;
    if (s->alien_dir == 0)
        return "alien_dir is 0; the aliens move left (-1) or right (+1)";
    if (si_count(s->alien) == 0)
        return "no alien is left (a cleared wave refills in the same step)";
    return NULL;
}

static const minatar_int_spec_t space_invaders_ints[] = {
    {"pos", 0, 9},
    {"alien_dir", -1, 1},
    {"enemy_move_interval", 1, SI_BIG},
    {"alien_move_timer", 0, SI_BIG},
    {"alien_shot_timer", 0, SI_BIG},
    {"ramp_index", 0, SI_BIG},
    {"shot_timer", 0, SI_BIG},
    {"terminal", 0, 1},
};

static const minatar_field_t space_invaders_fields[] = {
    {MINATAR_INTS, "", offsetof(space_invaders_t, pos), PPO_ARRAY_LEN(space_invaders_ints), 0,
     space_invaders_ints},
    {MINATAR_MAP, "alien_map", offsetof(space_invaders_t, alien), 1, 0, NULL},
    {MINATAR_MAP, "f_bullet_map", offsetof(space_invaders_t, f_bullet), 1, 0, NULL},
    {MINATAR_MAP, "e_bullet_map", offsetof(space_invaders_t, e_bullet), 1, 0, NULL},
};

static const uint8_t space_invaders_minimal[] = {MINATAR_NOOP, MINATAR_LEFT, MINATAR_RIGHT,
                                                 MINATAR_FIRE};

const minatar_game_t minatar_space_invaders = {
    .name = "space_invaders",
    .n_channels = 6,
    .symbols = "^A<>|!",
    .minimal_actions = space_invaders_minimal,
    .n_minimal = PPO_ARRAY_LEN(space_invaders_minimal),
    .state_bytes = sizeof(space_invaders_t),
    .terminal_offset = offsetof(space_invaders_t, terminal),
    .fields = space_invaders_fields,
    .n_fields = PPO_ARRAY_LEN(space_invaders_fields),
    .reset = space_invaders_reset,
    .step = space_invaders_step,
    .observe = space_invaders_observe,
    .check = space_invaders_check,
};

MINATAR_PLUGIN("minatar_space_invaders",
               "MinAtar Space Invaders (MinAtar 1.0.15): shoot down the sweeping aliens; minimal "
               "actions n l r f",
               minatar_space_invaders)
