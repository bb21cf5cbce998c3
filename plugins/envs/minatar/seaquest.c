/* ppofw env plugin "minatar_seaquest" — MinAtar's Seaquest (MinAtar 1.0.15 rules).
 *
 * A submarine shoots enemy fish and subs (+1 each), collects up to six divers, and must surface
 * with at least one diver before its oxygen runs out; surfacing with six gives a bonus for the
 * oxygen left. Enemy subs shoot back. Each surfacing ramps the difficulty. Channels: 0 sub
 * front, 1 sub back, 2 friendly bullet, 3 trail, 4 enemy bullet, 5 enemy fish, 6 enemy sub,
 * 7 oxygen gauge, 8 diver gauge, 9 diver. Minimal actions: all six.
 *
 * The state as doubles: oxygen, diver_count, sub_x, sub_y, sub_or, e_spawn_speed,
 * e_spawn_timer, d_spawn_timer, move_speed, ramp_index, shot_timer, surface, terminal, then the
 * lists f_bullets (x, y, dir), e_bullets (x, y, dir), e_fish (x, y, dir, move_timer), e_subs
 * (x, y, dir, move_timer, shot_timer) and divers (x, y, dir, move_timer), each as its length and
 * MINATAR_LIST_CAP records (unused ones 0), then (the wrapper's) previous action. dir and sub_or
 * are 1 for facing or moving right.
 *
 * The lists behave exactly as MinAtar's Python lists: walks go from the last index down to 0,
 * skipping an index past the current length; the element being walked is removed by value
 * (the first record equal in every field, which need not be the walked one when two are equal;
 * the walked record then stays and is walked again at the next index); partners hit by a shot
 * are deleted where they were found. A list that would grow past MINATAR_LIST_CAP fails the step.
 *
 * Left out: nothing of the rules. The sub's back cell is off the board only in states play
 * cannot reach (facing right at x 0, left at x 9), which set_state refuses.
 */
#include <stddef.h>
#include <string.h>

#include "minatar.h"

#define SQ_MAX_OXYGEN 200
#define SQ_MAX_DIVERS 6
#define SQ_SHOT_COOLDOWN 5        /* the player's shot_timer after a shot */
#define SQ_ENEMY_SHOT_INTERVAL 10 /* an enemy sub's shot timer after a shot */
#define SQ_DIVER_SPAWN_INTERVAL 30
#define SQ_DIVER_MOVE_INTERVAL 5
#define SQ_BIG 1000000 /* bound of timers and counters in a state */

/* Record fields; a bullet uses the first three, fish and divers four, subs all five. */
enum { R_X, R_Y, R_DIR, R_MOVE, R_SHOT };

typedef struct seaquest {
    int32_t oxygen, diver_count;
    int32_t sub_x, sub_y, sub_or; /* sub_or 1: facing right */
    int32_t e_spawn_speed, e_spawn_timer, d_spawn_timer;
    int32_t move_speed, ramp_index;
    int32_t shot_timer, surface, terminal;
    minatar_list_t f_bullets; /* (x, y, dir) */
    minatar_list_t e_bullets; /* (x, y, dir) */
    minatar_list_t e_fish;    /* (x, y, dir, move_timer) */
    minatar_list_t e_subs;    /* (x, y, dir, move_timer, shot_timer) */
    minatar_list_t divers;    /* (x, y, dir, move_timer) */
} seaquest_t;

enum { BULLET_WIDTH = 3, FISH_WIDTH = 4, SUB_WIDTH = 5, DIVER_WIDTH = 4 };

_Static_assert(MINATAR_LIST_CAP == 64, "the overflow message names the capacity");
static const char *const sq_overflow =
    "a Seaquest list of bullets, fish, subs or divers would grow past its 64 records; this "
    "instance holds at most 64 of a kind";

/* ---- lists ---- */

/* Append a record; -1 when the list is full. */
static int list_push(minatar_list_t *l, const int32_t *rec, int width)
{
    if (l->n >= MINATAR_LIST_CAP)
        return -1;
    memcpy(l->item[l->n], rec, sizeof(int32_t) * width);
    for (int k = width; k < MINATAR_RECORD_INTS; k++)
        l->item[l->n][k] = 0;
    l->n++;
    return 0;
}

/* Delete record k, keeping the order of the rest. */
static void list_delete(minatar_list_t *l, int k)
{
    memmove(l->item[k], l->item[k + 1], sizeof(l->item[0]) * (size_t)(l->n - k - 1));
    l->n--;
    memset(l->item[l->n], 0, sizeof(l->item[0]));
}

/* The first record on cell (x, y), or -1. */
static int list_find_cell(const minatar_list_t *l, int32_t x, int32_t y)
{
    for (int k = 0; k < l->n; k++)
        if (l->item[k][R_X] == x && l->item[k][R_Y] == y)
            return k;
    return -1;
}

/* The record a walk holds: a copy that the walk changes, and where it sits in the list (-1
 * once removed), as a Python reference to a list element. */
typedef struct held {
    minatar_list_t *list;
    int width;
    int at;
    int32_t v[MINATAR_RECORD_INTS];
} held_t;

static void held_take(held_t *h, minatar_list_t *list, int width, int at)
{
    h->list = list;
    h->width = width;
    h->at = at;
    memcpy(h->v, list->item[at], sizeof(h->v));
}

/* Write the held copy back into the list, if the record is still there. */
static void held_put(held_t *h)
{
    if (h->at >= 0)
        memcpy(h->list->item[h->at], h->v, sizeof(h->v));
}

/* The next record of a walk from the last index down to 0, checking each index against the
 * current length as Python does: writes the record held before back and holds the next; false
 * at the end. Start with *i = the list's length and h->at = -1. */
static bool held_next(held_t *h, minatar_list_t *list, int width, int *i)
{
    held_put(h);
    while (--*i >= 0)
        if (*i < list->n) {
            held_take(h, list, width, *i);
            return true;
        }
    return false;
}

/* Python's list.remove(held): delete the first record equal to it in every field. */
static void held_remove(held_t *h)
{
    held_put(h);
    for (int k = 0; k < h->list->n; k++) {
        if (memcmp(h->list->item[k], h->v, sizeof(int32_t) * h->width) != 0)
            continue;
        list_delete(h->list, k);
        h->at = k == h->at ? -1 : k < h->at ? h->at - 1 : h->at;
        return;
    }
}

/* Move the held record one cell along its direction; true when it is still on the board. */
static bool held_move(held_t *h)
{
    h->v[R_X] += h->v[R_DIR] ? 1 : -1;
    return h->v[R_X] >= 0 && h->v[R_X] < MINATAR_SIZE;
}

static bool held_on(const held_t *h, const seaquest_t *s)
{
    return h->v[R_X] == s->sub_x && h->v[R_Y] == s->sub_y;
}

/* ---- the game ---- */

static void seaquest_reset(void *state, const minatar_rand_t *rand)
{
    seaquest_t *s = state;
    memset(s, 0, sizeof(*s));
    s->oxygen = SQ_MAX_OXYGEN;
    s->sub_x = 5;
    s->e_spawn_speed = 20;
    s->e_spawn_timer = 20;
    s->d_spawn_timer = SQ_DIVER_SPAWN_INTERVAL;
    s->move_speed = 5;
    s->surface = 1;
}

/* An enemy: side, kind and row, unless an enemy on that row moves the other way. */
static int seaquest_spawn_enemy(seaquest_t *s, const minatar_rand_t *rand)
{
    const int32_t lr = rand->uniform(rand->ctx) < 0.5;
    const bool is_sub = rand->uniform(rand->ctx) < 1.0 / 3.0;
    const int32_t y = rand->randint(rand->ctx, 1, 9);
    const minatar_list_t *kinds[2] = {&s->e_subs, &s->e_fish};
    for (int j = 0; j < 2; j++)
        for (int k = 0; k < kinds[j]->n; k++)
            if (kinds[j]->item[k][R_Y] == y && kinds[j]->item[k][R_DIR] != lr)
                return 0;
    const int32_t rec[SUB_WIDTH] = {lr ? 0 : MINATAR_SIZE - 1, y, lr, s->move_speed,
                                    SQ_ENEMY_SHOT_INTERVAL};
    return is_sub ? list_push(&s->e_subs, rec, SUB_WIDTH) : list_push(&s->e_fish, rec, FISH_WIDTH);
}

static int seaquest_spawn_diver(seaquest_t *s, const minatar_rand_t *rand)
{
    const int32_t lr = rand->uniform(rand->ctx) < 0.5;
    const int32_t y = rand->randint(rand->ctx, 1, 9);
    const int32_t rec[DIVER_WIDTH] = {lr ? 0 : MINATAR_SIZE - 1, y, lr, SQ_DIVER_MOVE_INTERVAL};
    return list_push(&s->divers, rec, DIVER_WIDTH);
}

/* The player's bullets fly; a bullet that reaches a fish (else a sub) kills it. */
static void seaquest_friendly_bullets(seaquest_t *s, int32_t *reward)
{
    held_t b = {.at = -1};
    for (int i = s->f_bullets.n; held_next(&b, &s->f_bullets, BULLET_WIDTH, &i);) {
        if (!held_move(&b)) {
            held_remove(&b);
            continue;
        }
        minatar_list_t *targets[2] = {&s->e_fish, &s->e_subs};
        for (int j = 0; j < 2; j++) {
            const int k = list_find_cell(targets[j], b.v[R_X], b.v[R_Y]);
            if (k >= 0) {
                list_delete(targets[j], k);
                held_remove(&b);
                *reward += 1;
                break;
            }
        }
    }
}

/* Divers drift and are picked up while the sub has room. */
static void seaquest_divers(seaquest_t *s)
{
    held_t d = {.at = -1};
    for (int i = s->divers.n; held_next(&d, &s->divers, DIVER_WIDTH, &i);) {
        if (held_on(&d, s) && s->diver_count < SQ_MAX_DIVERS) {
            held_remove(&d);
            s->diver_count++;
        } else if (d.v[R_MOVE] == 0) {
            d.v[R_MOVE] = SQ_DIVER_MOVE_INTERVAL;
            if (!held_move(&d)) {
                held_remove(&d);
            } else if (held_on(&d, s) && s->diver_count < SQ_MAX_DIVERS) {
                held_remove(&d);
                s->diver_count++;
            }
        } else {
            d.v[R_MOVE]--;
        }
    }
}

/* Fish or subs: contact with the sub, moves, and meeting a friendly bullet after a move; subs
 * also shoot, even when they were just removed. */
static int seaquest_enemies(seaquest_t *s, minatar_list_t *list, int width, int32_t *reward)
{
    held_t e = {.at = -1};
    for (int i = list->n; held_next(&e, list, width, &i);) {
        if (held_on(&e, s))
            s->terminal = 1;
        if (e.v[R_MOVE] == 0) {
            e.v[R_MOVE] = s->move_speed;
            if (!held_move(&e)) {
                held_remove(&e);
            } else if (held_on(&e, s)) {
                s->terminal = 1;
            } else {
                const int k = list_find_cell(&s->f_bullets, e.v[R_X], e.v[R_Y]);
                if (k >= 0) {
                    list_delete(&s->f_bullets, k);
                    held_remove(&e);
                    *reward += 1;
                }
            }
        } else {
            e.v[R_MOVE]--;
        }
        if (width == SUB_WIDTH) {
            if (e.v[R_SHOT] == 0) {
                e.v[R_SHOT] = SQ_ENEMY_SHOT_INTERVAL;
                if (list_push(&s->e_bullets, e.v, BULLET_WIDTH) < 0)
                    return -1;
            } else {
                e.v[R_SHOT]--;
            }
        }
    }
    return 0;
}

/* Enemy bullets fly; one on the sub's cell, before or after moving, ends the game. */
static void seaquest_enemy_bullets(seaquest_t *s)
{
    held_t b = {.at = -1};
    for (int i = s->e_bullets.n; held_next(&b, &s->e_bullets, BULLET_WIDTH, &i);) {
        if (held_on(&b, s))
            s->terminal = 1;
        if (!held_move(&b))
            held_remove(&b);
        else if (held_on(&b, s))
            s->terminal = 1;
    }
}

/* At the surface: refill with a diver (and a bonus with six), ramp; without one, the end. */
static void seaquest_surface(seaquest_t *s, bool ramping, int32_t *reward)
{
    if (s->diver_count == 0) {
        s->terminal = 1;
        return;
    }
    s->surface = 1;
    if (s->diver_count == SQ_MAX_DIVERS) {
        s->diver_count = 0;
        /* integer division rounding down, as Python's // (oxygen >= 0 here in play) */
        const int32_t num = s->oxygen * 10;
        *reward += num >= 0 ? num / SQ_MAX_OXYGEN : -((-num + SQ_MAX_OXYGEN - 1) / SQ_MAX_OXYGEN);
    }
    s->oxygen = SQ_MAX_OXYGEN;
    s->diver_count--;
    if (ramping && (s->e_spawn_speed > 1 || s->move_speed > 2)) {
        if (s->move_speed > 2 && s->ramp_index % 2 == 1)
            s->move_speed--;
        if (s->e_spawn_speed > 1)
            s->e_spawn_speed--;
        s->ramp_index++;
    }
}

static int seaquest_step(void *state, int action, bool ramping, const minatar_rand_t *rand,
                         int32_t *reward, const char **why)
{
    seaquest_t *s = state;
    if (s->terminal)
        return 0;
    *why = sq_overflow;

    /* spawns */
    if (s->e_spawn_timer == 0) {
        if (seaquest_spawn_enemy(s, rand) < 0)
            return -1;
        s->e_spawn_timer = s->e_spawn_speed;
    }
    if (s->d_spawn_timer == 0) {
        if (seaquest_spawn_diver(s, rand) < 0)
            return -1;
        s->d_spawn_timer = SQ_DIVER_SPAWN_INTERVAL;
    }

    /* the player */
    if (action == MINATAR_FIRE) {
        if (s->shot_timer == 0) {
            const int32_t rec[BULLET_WIDTH] = {s->sub_x, s->sub_y, s->sub_or};
            if (list_push(&s->f_bullets, rec, BULLET_WIDTH) < 0)
                return -1;
            s->shot_timer = SQ_SHOT_COOLDOWN;
        }
    } else if (action == MINATAR_LEFT) {
        s->sub_x = s->sub_x > 0 ? s->sub_x - 1 : 0;
        s->sub_or = 0;
    } else if (action == MINATAR_RIGHT) {
        s->sub_x = s->sub_x < MINATAR_SIZE - 1 ? s->sub_x + 1 : MINATAR_SIZE - 1;
        s->sub_or = 1;
    } else if (action == MINATAR_UP) {
        s->sub_y = s->sub_y > 0 ? s->sub_y - 1 : 0;
    } else if (action == MINATAR_DOWN) {
        s->sub_y = s->sub_y < MINATAR_SIZE - 2 ? s->sub_y + 1 : MINATAR_SIZE - 2;
    }

    /* everything else moves, in MinAtar's order */
    seaquest_friendly_bullets(s, reward);
    seaquest_divers(s);
    if (seaquest_enemies(s, &s->e_subs, SUB_WIDTH, reward) < 0)
        return -1;
    seaquest_enemy_bullets(s);
    seaquest_enemies(s, &s->e_fish, FISH_WIDTH, reward);

    /* timers */
    if (s->e_spawn_timer > 0)
        s->e_spawn_timer--;
    if (s->d_spawn_timer > 0)
        s->d_spawn_timer--;
    if (s->shot_timer > 0)
        s->shot_timer--;

    /* oxygen (judged before this step's use) and the surface */
    if (s->oxygen <= 0)
        s->terminal = 1;
    if (s->sub_y > 0) {
        s->oxygen--;
        s->surface = 0;
    } else if (!s->surface) {
        seaquest_surface(s, ramping, reward);
    }
    return 0;
}

/* Set a cell when it is on the board (a failed step may leave a record off it). */
static void set_on_board(uint8_t *obs, int c, int32_t y, int32_t x)
{
    if (minatar_on_board(x, y))
        minatar_set(obs, c, y, x);
}

/* The records of a list in channel c, with their trail (the cell behind them) when trail. */
static void observe_list(uint8_t *obs, const minatar_list_t *l, int c, bool trail)
{
    for (int k = 0; k < l->n; k++) {
        const int32_t *r = l->item[k];
        set_on_board(obs, c, r[R_Y], r[R_X]);
        if (trail)
            set_on_board(obs, 3, r[R_Y], r[R_DIR] ? r[R_X] - 1 : r[R_X] + 1);
    }
}

static void seaquest_observe(const void *state, uint8_t *obs)
{
    const seaquest_t *s = state;
    set_on_board(obs, 0, s->sub_y, s->sub_x);
    set_on_board(obs, 1, s->sub_y, s->sub_or ? s->sub_x - 1 : s->sub_x + 1);
    observe_list(obs, &s->f_bullets, 2, false);
    observe_list(obs, &s->e_bullets, 4, false);
    observe_list(obs, &s->e_fish, 5, true);
    observe_list(obs, &s->e_subs, 6, true);
    observe_list(obs, &s->divers, 9, true);
    const int32_t gauge = (s->oxygen > 0 ? s->oxygen : 0) * MINATAR_SIZE / SQ_MAX_OXYGEN;
    for (int x = 0; x < gauge; x++)
        minatar_set(obs, 7, MINATAR_SIZE - 1, x);
    for (int x = MINATAR_SIZE - 1 - s->diver_count; x < MINATAR_SIZE - 1; x++)
        minatar_set(obs, 8, MINATAR_SIZE - 1, x);
}

static const char *seaquest_check(const void *state)
{
    const seaquest_t *s = state;
    if ((s->sub_or && s->sub_x == 0) || (!s->sub_or && s->sub_x == MINATAR_SIZE - 1))
        return "the sub faces the wall it touches (facing right at x 0 or left at x 9), which "
               "play cannot reach and whose back cell is off the board";
    return NULL;
}

static const minatar_int_spec_t seaquest_ints[] = {
    {"oxygen", -1, SQ_MAX_OXYGEN},
    {"diver_count", -SQ_BIG, SQ_MAX_DIVERS},
    {"sub_x", 0, 9},
    {"sub_y", 0, 9},
    {"sub_or", 0, 1},
    {"e_spawn_speed", 0, SQ_BIG},
    {"e_spawn_timer", 0, SQ_BIG},
    {"d_spawn_timer", 0, SQ_BIG},
    {"move_speed", 0, SQ_BIG},
    {"ramp_index", 0, SQ_BIG},
    {"shot_timer", 0, SQ_BIG},
    {"surface", 0, 1},
    {"terminal", 0, 1},
};

static const minatar_int_spec_t seaquest_record_ints[MINATAR_RECORD_INTS] = {
    {"x", 0, 9}, {"y", 0, 9}, {"dir", 0, 1}, {"move_timer", 0, SQ_BIG}, {"shot_timer", 0, SQ_BIG},
};

static const minatar_field_t seaquest_fields[] = {
    {MINATAR_INTS, "", offsetof(seaquest_t, oxygen), PPO_ARRAY_LEN(seaquest_ints), 0,
     seaquest_ints},
    {MINATAR_LIST, "f_bullets", offsetof(seaquest_t, f_bullets), 1, BULLET_WIDTH,
     seaquest_record_ints},
    {MINATAR_LIST, "e_bullets", offsetof(seaquest_t, e_bullets), 1, BULLET_WIDTH,
     seaquest_record_ints},
    {MINATAR_LIST, "e_fish", offsetof(seaquest_t, e_fish), 1, FISH_WIDTH, seaquest_record_ints},
    {MINATAR_LIST, "e_subs", offsetof(seaquest_t, e_subs), 1, SUB_WIDTH, seaquest_record_ints},
    {MINATAR_LIST, "divers", offsetof(seaquest_t, divers), 1, DIVER_WIDTH, seaquest_record_ints},
};

static const uint8_t seaquest_minimal[] = {MINATAR_NOOP,  MINATAR_LEFT, MINATAR_UP,
                                           MINATAR_RIGHT, MINATAR_DOWN, MINATAR_FIRE};

const minatar_game_t minatar_seaquest = {
    .name = "seaquest",
    .n_channels = 10,
    .symbols = "S<-:*FEOD+",
    .minimal_actions = seaquest_minimal,
    .n_minimal = PPO_ARRAY_LEN(seaquest_minimal),
    .state_bytes = sizeof(seaquest_t),
    .terminal_offset = offsetof(seaquest_t, terminal),
    .fields = seaquest_fields,
    .n_fields = PPO_ARRAY_LEN(seaquest_fields),
    .reset = seaquest_reset,
    .step = seaquest_step,
    .observe = seaquest_observe,
    .check = seaquest_check,
};

MINATAR_PLUGIN("minatar_seaquest",
               "MinAtar Seaquest (MinAtar 1.0.15): shoot, rescue divers, surface for air; minimal "
               "actions: all six",
               minatar_seaquest)
