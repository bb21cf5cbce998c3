/* ppofw env plugin "minatar_breakout" — MinAtar's Breakout (MinAtar 1.0.15 rules).
 *
 * A paddle on the bottom row keeps a ball bouncing diagonally into three rows of bricks; each
 * brick broken gives +1, and the rows refill once all are gone. Missing the ball ends the
 * episode. Channels: 0 paddle, 1 ball, 2 trail (the ball's last cell), 3 brick. Minimal
 * actions: n, l, r. The only randomness is the side the ball starts from.
 *
 * The state as doubles: ball_x, ball_y, ball_dir (0 up-left, 1 up-right, 2 down-right,
 * 3 down-left), pos, last_x, last_y, strike, terminal, the 100 brick cells (10·y + x), then
 * (the wrapper's) previous action.
 *
 * Left out: nothing of the rules. A live ball on the bottom row cannot occur in play (the ball
 * only stays there when the episode ends) and MinAtar cannot step it: set_state refuses it.
 */
#include <stddef.h>
#include <string.h>

#include "minatar.h"

#define BREAKOUT_BRICK_ROWS_FIRST 1
#define BREAKOUT_BRICK_ROWS_LAST 3
#define BREAKOUT_PADDLE_ROW 9

typedef struct breakout {
    int32_t ball_x, ball_y;
    int32_t ball_dir; /* 0 up-left, 1 up-right, 2 down-right, 3 down-left (y grows downward) */
    int32_t pos;      /* the paddle's column */
    int32_t last_x, last_y;
    int32_t strike; /* a brick was struck on the previous step */
    int32_t terminal;
    uint8_t bricks[MINATAR_CELLS];
} breakout_t;

/* The direction with the horizontal component flipped (0 <-> 1, 2 <-> 3). */
static int32_t flip_x(int32_t dir)
{
    return dir ^ 1;
}

/* The direction with the vertical component flipped (0 <-> 3, 1 <-> 2). */
static int32_t flip_y(int32_t dir)
{
    return 3 - dir;
}

static void breakout_fill_bricks(breakout_t *s)
{
    for (int y = BREAKOUT_BRICK_ROWS_FIRST; y <= BREAKOUT_BRICK_ROWS_LAST; y++)
        memset(&s->bricks[y * MINATAR_SIZE], 1, MINATAR_SIZE);
}

static void breakout_reset(void *state, const minatar_rand_t *rand)
{
    breakout_t *s = state;
    const int32_t side = rand->randint(rand->ctx, 0, 2);
    memset(s, 0, sizeof(*s));
    s->ball_x = side == 0 ? 0 : MINATAR_SIZE - 1;
    s->ball_y = 3;
    s->ball_dir = side == 0 ? 2 : 3;
    s->pos = 4;
    s->last_x = s->ball_x;
    s->last_y = s->ball_y;
    breakout_fill_bricks(s);
}

static int breakout_step(void *state, int action, bool ramping, const minatar_rand_t *rand,
                         int32_t *reward, const char **why)
{
    breakout_t *s = state;
    if (s->terminal)
        return 0;

    /* the paddle */
    if (action == MINATAR_LEFT)
        s->pos = s->pos > 0 ? s->pos - 1 : 0;
    else if (action == MINATAR_RIGHT)
        s->pos = s->pos < MINATAR_SIZE - 1 ? s->pos + 1 : MINATAR_SIZE - 1;

    /* the ball's proposed cell */
    s->last_x = s->ball_x;
    s->last_y = s->ball_y;
    int32_t nx = s->ball_x + (s->ball_dir == 1 || s->ball_dir == 2 ? 1 : -1);
    int32_t ny = s->ball_y + (s->ball_dir >= 2 ? 1 : -1);

    /* side walls */
    if (nx < 0 || nx > MINATAR_SIZE - 1) {
        nx = nx < 0 ? 0 : MINATAR_SIZE - 1;
        s->ball_dir = flip_x(s->ball_dir);
    }

    /* ceiling, a brick, or the paddle row: the first that applies */
    bool struck = false;
    if (ny < 0) {
        ny = 0;
        s->ball_dir = flip_y(s->ball_dir);
    } else if (s->bricks[ny * MINATAR_SIZE + nx]) {
        struck = true;
        if (!s->strike) {
            *reward += 1;
            s->strike = 1;
            s->bricks[ny * MINATAR_SIZE + nx] = 0;
            ny = s->last_y;
            s->ball_dir = flip_y(s->ball_dir);
        }
    } else if (ny == BREAKOUT_PADDLE_ROW) {
        bool any = false;
        for (int k = 0; k < MINATAR_CELLS && !any; k++)
            any = s->bricks[k] != 0;
        if (!any)
            breakout_fill_bricks(s);
        if (s->ball_x == s->pos) {
            s->ball_dir = flip_y(s->ball_dir);
            ny = s->last_y;
        } else if (nx == s->pos) {
            s->ball_dir = (s->ball_dir + 2) % 4;
            ny = s->last_y;
        } else {
            s->terminal = 1;
        }
    }
    if (!struck)
        s->strike = 0;
    s->ball_x = nx;
    s->ball_y = ny;
    return 0;
}

static void breakout_observe(const void *state, uint8_t *obs)
{
    const breakout_t *s = state;
    minatar_set(obs, 0, BREAKOUT_PADDLE_ROW, s->pos);
    minatar_set(obs, 1, s->ball_y, s->ball_x);
    minatar_set(obs, 2, s->last_y, s->last_x);
    for (int k = 0; k < MINATAR_CELLS; k++)
        if (s->bricks[k])
            obs[3 * MINATAR_CELLS + k] = 1;
}

static const char *breakout_check(const void *state)
{
    const breakout_t *s = state;
    if (!s->terminal && s->ball_y == BREAKOUT_PADDLE_ROW)
        return "the ball is on the bottom row of a running game (only an ended game leaves it "
               "there)";
    return NULL;
}

static const minatar_int_spec_t breakout_ints[] = {
    {"ball_x", 0, 9}, {"ball_y", 0, 9}, {"ball_dir", 0, 3}, {"pos", 0, 9},
    {"last_x", 0, 9}, {"last_y", 0, 9}, {"strike", 0, 1},   {"terminal", 0, 1},
};

static const minatar_field_t breakout_fields[] = {
    {MINATAR_INTS, "", offsetof(breakout_t, ball_x), PPO_ARRAY_LEN(breakout_ints), 0,
     breakout_ints},
    {MINATAR_MAP, "bricks", offsetof(breakout_t, bricks), 1, 0, NULL},
};

static const uint8_t breakout_minimal[] = {MINATAR_NOOP, MINATAR_LEFT, MINATAR_RIGHT};

const minatar_game_t minatar_breakout = {
    .name = "breakout",
    .n_channels = 4,
    .symbols = "=o:#",
    .minimal_actions = breakout_minimal,
    .n_minimal = PPO_ARRAY_LEN(breakout_minimal),
    .state_bytes = sizeof(breakout_t),
    .terminal_offset = offsetof(breakout_t, terminal),
    .fields = breakout_fields,
    .n_fields = PPO_ARRAY_LEN(breakout_fields),
    .reset = breakout_reset,
    .step = breakout_step,
    .observe = breakout_observe,
    .check = breakout_check,
};

MINATAR_PLUGIN("minatar_breakout",
               "MinAtar Breakout (MinAtar 1.0.15): break bricks with a ball; minimal actions n l r",
               minatar_breakout)
