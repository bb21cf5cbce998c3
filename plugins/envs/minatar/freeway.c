/* ppofw env plugin "minatar_freeway" — MinAtar's Freeway (MinAtar 1.0.15 rules).
 *
 * A chicken in column 4 crosses eight lanes of cars, from row 9 to row 0; each crossing gives +1
 * and new random car speeds. A car hitting the chicken sends it back to row 9. The episode ends
 * by itself on its 2501st step. Channels: 0 chicken, 1 car, 2..6 the trail of a car with speed
 * 1..5. Minimal actions: n, u, d.
 *
 * The state as doubles: pos, move_timer, terminate_timer, terminal, then for car i = 0..7: x,
 * y, timer, speed (signed: + moves right), then (the wrapper's) previous action.
 *
 * Left out: nothing of the rules. A car direction comes from the sign of u - 0.5; u = 0.5 exactly
 * (probability 2^-53) gives speed 0, as in MinAtar, and such a car moves left.
 */
#include <stddef.h>
#include <stdlib.h>

#include "minatar.h"

#define FREEWAY_CARS 8
#define FREEWAY_MOVE_INTERVAL 3 /* move_timer's reload */
#define FREEWAY_TIME_LIMIT 2500 /* terminate_timer at reset */
#define FREEWAY_CHICKEN_X 4
#define FREEWAY_MAX_SPEED 5
#define FREEWAY_BIG 1000000 /* upper bound of timers in a state */

/* Fields of a car. */
enum { C_X, C_Y, C_TIMER, C_SPEED, C_WIDTH };

typedef struct freeway {
    int32_t pos; /* the chicken's row */
    int32_t move_timer;
    int32_t terminate_timer;
    int32_t terminal;
    int32_t car[FREEWAY_CARS][C_WIDTH]; /* car i on row i + 1: x, y, timer, signed speed */
} freeway_t;

/* New speeds (|s| in 1..5, random sign) and timers for every car; positions stay. */
static void freeway_randomize_cars(freeway_t *s, const minatar_rand_t *rand)
{
    int32_t speed[FREEWAY_CARS];
    for (int i = 0; i < FREEWAY_CARS; i++)
        speed[i] = rand->randint(rand->ctx, 1, FREEWAY_MAX_SPEED + 1);
    for (int i = 0; i < FREEWAY_CARS; i++) {
        const double u = rand->uniform(rand->ctx);
        const int32_t dir = u > 0.5 ? 1 : u < 0.5 ? -1 : 0;
        s->car[i][C_SPEED] = speed[i] * dir;
        s->car[i][C_TIMER] = abs(s->car[i][C_SPEED]);
    }
}

static void freeway_reset(void *state, const minatar_rand_t *rand)
{
    freeway_t *s = state;
    *s = (freeway_t){
        .pos = MINATAR_SIZE - 1,
        .move_timer = FREEWAY_MOVE_INTERVAL,
        .terminate_timer = FREEWAY_TIME_LIMIT,
    };
    for (int i = 0; i < FREEWAY_CARS; i++) {
        s->car[i][C_X] = 0;
        s->car[i][C_Y] = i + 1;
    }
    freeway_randomize_cars(s, rand);
}

/* Send the chicken back to the bottom when the car is on its cell. */
static void freeway_hit(freeway_t *s, const int32_t *car)
{
    if (car[C_X] == FREEWAY_CHICKEN_X && car[C_Y] == s->pos)
        s->pos = MINATAR_SIZE - 1;
}

static int freeway_step(void *state, int action, bool ramping, const minatar_rand_t *rand,
                        int32_t *reward, const char **why)
{
    freeway_t *s = state;
    if (s->terminal)
        return 0;

    /* the chicken moves when its timer allows */
    if (s->move_timer == 0 && (action == MINATAR_UP || action == MINATAR_DOWN)) {
        if (action == MINATAR_UP)
            s->pos = s->pos > 0 ? s->pos - 1 : 0;
        else
            s->pos = s->pos < MINATAR_SIZE - 1 ? s->pos + 1 : MINATAR_SIZE - 1;
        s->move_timer = FREEWAY_MOVE_INTERVAL;
    }

    /* a crossing */
    if (s->pos == 0) {
        *reward += 1;
        freeway_randomize_cars(s, rand);
        s->pos = MINATAR_SIZE - 1;
    }

    /* the cars, each before and after its move */
    for (int i = 0; i < FREEWAY_CARS; i++) {
        int32_t *car = s->car[i];
        freeway_hit(s, car);
        if (car[C_TIMER] == 0) {
            car[C_TIMER] = abs(car[C_SPEED]);
            car[C_X] += car[C_SPEED] > 0 ? 1 : -1;
            car[C_X] = (car[C_X] + MINATAR_SIZE) % MINATAR_SIZE;
            freeway_hit(s, car);
        } else {
            car[C_TIMER]--;
        }
    }

    /* timers; the episode ends once terminate_timer falls below 0 */
    if (s->move_timer > 0)
        s->move_timer--;
    s->terminate_timer--;
    if (s->terminate_timer < 0)
        s->terminal = 1;
    return 0;
}

static void freeway_observe(const void *state, uint8_t *obs)
{
    const freeway_t *s = state;
    minatar_set(obs, 0, s->pos, FREEWAY_CHICKEN_X);
    for (int i = 0; i < FREEWAY_CARS; i++) {
        const int32_t *car = s->car[i];
        const int32_t back = (car[C_X] + (car[C_SPEED] > 0 ? -1 : 1) + MINATAR_SIZE) % MINATAR_SIZE;
        minatar_set(obs, 1, car[C_Y], car[C_X]);
        minatar_set(obs, 1 + abs(car[C_SPEED]), car[C_Y], back);
    }
}

static const minatar_int_spec_t freeway_ints[] = {
    {"pos", 0, 9},
    {"move_timer", 0, FREEWAY_BIG},
    {"terminate_timer", -1, FREEWAY_BIG},
    {"terminal", 0, 1},
};

static const minatar_int_spec_t freeway_car_ints[C_WIDTH] = {
    {"x", 0, 9},
    {"y", 0, 9},
    {"timer", 0, FREEWAY_BIG},
    {"speed", -FREEWAY_MAX_SPEED, FREEWAY_MAX_SPEED},
};

static const minatar_field_t freeway_fields[] = {
    {MINATAR_INTS, "", offsetof(freeway_t, pos), PPO_ARRAY_LEN(freeway_ints), 0, freeway_ints},
    {MINATAR_SLOTS, "c", offsetof(freeway_t, car), FREEWAY_CARS, C_WIDTH, freeway_car_ints},
};

static const uint8_t freeway_minimal[] = {MINATAR_NOOP, MINATAR_UP, MINATAR_DOWN};

const minatar_game_t minatar_freeway = {
    .name = "freeway",
    .n_channels = 7,
    .symbols = "CX12345",
    .minimal_actions = freeway_minimal,
    .n_minimal = PPO_ARRAY_LEN(freeway_minimal),
    .state_bytes = sizeof(freeway_t),
    .terminal_offset = offsetof(freeway_t, terminal),
    .fields = freeway_fields,
    .n_fields = PPO_ARRAY_LEN(freeway_fields),
    .reset = freeway_reset,
    .step = freeway_step,
    .observe = freeway_observe,
};

MINATAR_PLUGIN(
    "minatar_freeway",
    "MinAtar Freeway (MinAtar 1.0.15): cross eight lanes of cars, ends after 2500 steps; "
    "minimal actions n u d",
    minatar_freeway)
