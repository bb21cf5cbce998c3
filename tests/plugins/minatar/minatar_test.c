/* ppofw tests — the MinAtar reference checks every game shares (see minatar_test.h).
 *
 * What "every row" means here, per game: the observation of every state of GAME.csv,
 * GAME.edge.csv and GAME.reset.csv; one step from every row of GAME.csv and GAME.edge.csv, set
 * from its columns, with the full action and again with its minimal action; every episode
 * replayed from its reset draws with the recorded draws of each step; every episode reproduced
 * from its seed with numpy's stream. The numbers of rows checked are printed.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minatar_test.h"

/* The game the suite's tests check (set by mt_reference_suite before the tests fork). */
static const minatar_game_t *mt_game;

/* ---- names of the state doubles ---- */

/* The name of state double `idx` of `game` into buf: "player_x", "e3_lr", "bricks[42]",
 * "e_fish" (a list's length), "e_fish[2].x"; false past the end. */
static bool state_name(const minatar_game_t *game, size_t idx, char *buf, size_t len)
{
    for (uint32_t i = 0; i < game->n_fields; i++) {
        const minatar_field_t *f = &game->fields[i];
        size_t n;
        switch (f->kind) {
        case MINATAR_INTS:
            n = f->count;
            if (idx < n) {
                snprintf(buf, len, "%s", f->ints[idx].name);
                return true;
            }
            break;
        case MINATAR_MAP:
            n = MINATAR_CELLS;
            if (idx < n) {
                snprintf(buf, len, "%s[%zu]", f->name, idx);
                return true;
            }
            break;
        case MINATAR_SLOTS:
            n = (size_t)f->count * f->width;
            if (idx < n) {
                snprintf(buf, len, "%s%zu_%s", f->name, idx / f->width,
                         f->ints[idx % f->width].name);
                return true;
            }
            break;
        default:
            n = 1 + (size_t)MINATAR_LIST_CAP * f->width;
            if (idx == 0) {
                snprintf(buf, len, "%s", f->name);
                return true;
            }
            if (idx < n) {
                snprintf(buf, len, "%s[%zu].%s", f->name, (idx - 1) / f->width,
                         f->ints[(idx - 1) % f->width].name);
                return true;
            }
            break;
        }
        idx -= n;
    }
    if (idx == 0) {
        snprintf(buf, len, "last_action");
        return true;
    }
    return false;
}

size_t mt_state_index(const minatar_game_t *game, const char *name)
{
    char buf[96];
    for (size_t k = 0; state_name(game, k, buf, sizeof(buf)); k++)
        if (strcmp(buf, name) == 0)
            return k;
    ck_abort_msg("minatar_%s has no state field \"%s\"", game->name, name);
    return 0;
}

/* ---- reading reference rows ---- */

static int col(const ppo_csv_t *csv, const char *prefix, const char *name)
{
    char *full = g_strconcat(prefix, name, NULL);
    const int c = ppo_csv_col(csv, full);
    ck_assert_msg(c >= 0, "no column %s", full);
    g_free(full);
    return c;
}

static int32_t cell_int(const ppo_csv_t *csv, guint row, int c)
{
    const char *s = ppo_csv_str(csv, row, c);
    char *end;
    const long v = strtol(s, &end, 10);
    ck_assert_msg(*s != '\0' && *end == '\0', "row %u: \"%s\" is not an integer", row + 1, s);
    return (int32_t)v;
}

/* 100·k bits from 25·k hex digits, the most significant bit of each digit first. */
static void parse_bits(const char *hex, size_t n_bits, double *out)
{
    ck_assert_msg(strlen(hex) * 4 == n_bits, "a map of %zu digits, expected %zu", strlen(hex),
                  n_bits / 4);
    for (size_t i = 0; i < n_bits / 4; i++) {
        const int v = g_ascii_xdigit_value(hex[i]);
        ck_assert_msg(v >= 0, "\"%c\" is not a hex digit", hex[i]);
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (v >> (3 - j)) & 1;
    }
}

/* A list column: "-" or records "a:b:c|d:e:f". */
static void parse_list(const char *text, const minatar_field_t *f, double *out)
{
    memset(out, 0, sizeof(double) * (1 + (size_t)MINATAR_LIST_CAP * f->width));
    if (strcmp(text, "-") == 0)
        return;
    char **items = g_strsplit(text, "|", -1);
    const guint n = g_strv_length(items);
    ck_assert_uint_le(n, MINATAR_LIST_CAP);
    out[0] = n;
    for (guint r = 0; r < n; r++) {
        char **fields = g_strsplit(items[r], ":", -1);
        ck_assert_msg(g_strv_length(fields) == f->width, "%s record \"%s\" has %u fields, not %u",
                      f->name, items[r], g_strv_length(fields), f->width);
        for (guint k = 0; k < f->width; k++)
            out[1 + r * f->width + k] = strtol(fields[k], NULL, 10);
        g_strfreev(fields);
    }
    g_strfreev(items);
}

/* The game's state doubles (without the previous action) from the columns prefix + name. */
static void state_from_row(const minatar_game_t *game, const ppo_csv_t *csv, guint row,
                           const char *prefix, double *out)
{
    char name[64];
    for (uint32_t i = 0; i < game->n_fields; i++) {
        const minatar_field_t *f = &game->fields[i];
        if (f->kind == MINATAR_INTS) {
            for (uint32_t k = 0; k < f->count; k++)
                *out++ = cell_int(csv, row, col(csv, prefix, f->ints[k].name));
        } else if (f->kind == MINATAR_MAP) {
            parse_bits(ppo_csv_str(csv, row, col(csv, prefix, f->name)), MINATAR_CELLS, out);
            out += MINATAR_CELLS;
        } else if (f->kind == MINATAR_SLOTS) {
            for (uint32_t r = 0; r < f->count; r++)
                for (uint32_t k = 0; k < f->width; k++) {
                    snprintf(name, sizeof(name), "%s%u_%s", f->name, r, f->ints[k].name);
                    *out++ = cell_int(csv, row, col(csv, prefix, name));
                }
        } else {
            parse_list(ppo_csv_str(csv, row, col(csv, prefix, f->name)), f, out);
            out += 1 + (size_t)MINATAR_LIST_CAP * f->width;
        }
    }
}

/* Fail with the first state double that differs, named. */
static void assert_same_state(const minatar_game_t *game, const double *got, const double *want,
                              size_t n, const char *where)
{
    for (size_t k = 0; k < n; k++) {
        if (got[k] == want[k])
            continue;
        char name[96];
        state_name(game, k, name, sizeof(name));
        ck_abort_msg("%s: %s is %g, the reference has %g", where, name, got[k], want[k]);
    }
}

/* Fail with the first observation element that differs from the hex column. */
static void assert_obs(const minatar_game_t *game, const uint8_t *obs, const char *hex,
                       const char *where)
{
    const size_t dim = (size_t)game->n_channels * MINATAR_CELLS;
    double *want = g_new(double, dim);
    parse_bits(hex, dim, want);
    for (size_t k = 0; k < dim; k++)
        if (obs[k] != want[k])
            ck_abort_msg("%s: observation channel %zu (y %zu, x %zu) is %u, the reference has "
                         "%g",
                         where, k / MINATAR_CELLS, k % MINATAR_CELLS / MINATAR_SIZE,
                         k % MINATAR_SIZE, obs[k], want[k]);
    g_free(want);
}

static ppo_csv_t *load(const minatar_game_t *game, const char *suffix)
{
    char *file = g_strconcat(game->name, suffix, NULL);
    char *path = ppo_test_data_path(file);
    ppo_csv_t *csv = ppo_csv_load(path);
    ck_assert_uint_gt(csv->rows->len, 0);
    g_free(path);
    g_free(file);
    return csv;
}

/* ---- the scripted source ---- */

enum { SCRIPT_CAP = 64 };

typedef struct script {
    struct {
        bool is_int;
        int32_t lo, hi; /* randint's bounds */
        int32_t k;      /* randint's result */
        double u;       /* uniform's result */
    } tok[SCRIPT_CAP];
    int n, next;
    char failure[200]; /* the first call that did not match, or "" */
} script_t;

static void script_add_uniform(script_t *s, double u)
{
    ck_assert_int_lt(s->n, SCRIPT_CAP);
    s->tok[s->n].is_int = false;
    s->tok[s->n++].u = u;
}

/* Append the tokens of an rng_draws column ("-" adds none). */
static void script_add_draws(script_t *s, const char *draws)
{
    if (strcmp(draws, "-") == 0)
        return;
    char **tokens = g_strsplit(draws, "|", -1);
    for (char **t = tokens; *t != NULL; t++) {
        char *eq = strchr(*t, '=');
        ck_assert_msg(eq != NULL, "bad draw token \"%s\"", *t);
        char **values = g_strsplit(eq + 1, ":", -1);
        const guint n = g_strv_length(values);
        if ((*t)[0] == 'u') {
            ck_assert_uint_eq(n, strncmp(*t, "u8=", 3) == 0 ? 8 : 1);
            for (guint i = 0; i < n; i++)
                script_add_uniform(s, g_ascii_strtod(values[i], NULL));
        } else {
            int lo, hi;
            ck_assert_msg((*t)[0] == 'i' && sscanf(*t + 1, "%d_%d", &lo, &hi) == 2,
                          "bad draw token \"%s\"", *t);
            ck_assert_uint_eq(n, strstr(*t, "x8=") != NULL ? 8 : 1);
            for (guint i = 0; i < n; i++) {
                ck_assert_int_lt(s->n, SCRIPT_CAP);
                s->tok[s->n].is_int = true;
                s->tok[s->n].lo = lo;
                s->tok[s->n].hi = hi;
                s->tok[s->n++].k = (int32_t)strtol(values[i], NULL, 10);
            }
        }
        g_strfreev(values);
    }
    g_strfreev(tokens);
}

static void script_fail(script_t *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void script_fail(script_t *s, const char *fmt, ...)
{
    if (s->failure[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
    va_end(ap);
}

static double script_uniform(void *ctx)
{
    script_t *s = ctx;
    if (s->next >= s->n || s->tok[s->next].is_int) {
        script_fail(s, "draw %d is uniform(), the reference recorded %s", s->next + 1,
                    s->next >= s->n ? "no more draws" : "a randint");
        return 0.0;
    }
    return s->tok[s->next++].u;
}

static int32_t script_randint(void *ctx, int32_t lo, int32_t hi)
{
    script_t *s = ctx;
    if (s->next >= s->n || !s->tok[s->next].is_int || s->tok[s->next].lo != lo ||
        s->tok[s->next].hi != hi) {
        script_fail(s, "draw %d is randint(%d, %d), the reference recorded %s", s->next + 1, lo, hi,
                    s->next >= s->n ? "no more draws" : "another draw");
        return lo;
    }
    return s->tok[s->next++].k;
}

static minatar_rand_t script_rand(script_t *s)
{
    return (minatar_rand_t){.uniform = script_uniform, .randint = script_randint, .ctx = s};
}

static void script_assert_done(const script_t *s, const char *where)
{
    ck_assert_msg(s->failure[0] == '\0', "%s: %s", where, s->failure);
    ck_assert_msg(s->next == s->n, "%s: %d of the %d recorded draws were not used", where,
                  s->n - s->next, s->n);
}

/* ---- numpy's legacy RandomState (MT19937) ---- */

typedef struct mt19937 {
    uint32_t s[624];
    int i;
} mt19937_t;

static void mt_seed(mt19937_t *m, uint32_t seed)
{
    m->s[0] = seed;
    for (int i = 1; i < 624; i++)
        m->s[i] = 1812433253u * (m->s[i - 1] ^ (m->s[i - 1] >> 30)) + (uint32_t)i;
    m->i = 624;
}

static uint32_t mt_next(mt19937_t *m)
{
    if (m->i >= 624) {
        for (int k = 0; k < 624; k++) {
            const uint32_t y = (m->s[k] & 0x80000000u) | (m->s[(k + 1) % 624] & 0x7fffffffu);
            m->s[k] = m->s[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        m->i = 0;
    }
    uint32_t y = m->s[m->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

static double mt_uniform(void *ctx)
{
    const uint32_t a = mt_next(ctx) >> 5, b = mt_next(ctx) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

static int32_t mt_randint(void *ctx, int32_t lo, int32_t hi)
{
    const uint32_t span = (uint32_t)(hi - lo - 1);
    if (span == 0)
        return lo;
    uint32_t mask = span;
    for (int sh = 1; sh < 32; sh <<= 1)
        mask |= mask >> sh;
    uint32_t v;
    do {
        v = mt_next(ctx) & mask;
    } while (v > span);
    return lo + (int32_t)v;
}

/* ---- the env the tests step ---- */

typedef struct bench {
    ppo_host_t host;
    minatar_env_t env;     /* full action set */
    minatar_env_t minimal; /* minimal action set */
    size_t n;              /* the game's state doubles */
    double *state;         /* (n + 1) scratch */
    double *want;          /* (n + 1) scratch */
    uint8_t *obs;          /* (C·100) */
} bench_t;

static void bench_open(bench_t *b)
{
    ppo_host_init(&b->host, "minatar-test");
    ck_assert_int_eq(minatar_env_init(&b->env, &b->host, mt_game, 0.0, true, false), 0);
    ck_assert_int_eq(minatar_env_init(&b->minimal, &b->host, mt_game, 0.0, true, true), 0);
    b->n = minatar_state_doubles(mt_game);
    b->state = g_new0(double, b->n + 1);
    b->want = g_new0(double, b->n + 1);
    b->obs = g_new0(uint8_t, b->env.dim);
}

static void bench_close(bench_t *b)
{
    minatar_env_fini(&b->env);
    minatar_env_fini(&b->minimal);
    g_free(b->state);
    g_free(b->want);
    g_free(b->obs);
}

static char *why_failed(void)
{
    char *why = ppo_host_take_error();
    return why != NULL ? why : g_strdup("no reason given");
}

/* One step of `env` from the row's state, with the row's sticky double and draws; compares the
 * game state after it with the row's next_ columns, and the observation, reward and flag. */
static void step_row(bench_t *b, minatar_env_t *env, const ppo_csv_t *csv, guint row,
                     int32_t action, const char *where)
{
    state_from_row(mt_game, csv, row, "", b->state);
    b->state[b->n] = MINATAR_NOOP;
    if (minatar_env_set_state(env, b->state, b->obs) != 0)
        ck_abort_msg("%s: set_state refused the row's state: %s", where, why_failed());
    assert_obs(mt_game, b->obs, ppo_csv_str(csv, row, col(csv, "", "obs")), where);

    script_t script = {0};
    script_add_uniform(&script,
                       g_ascii_strtod(ppo_csv_str(csv, row, col(csv, "", "sticky_u")), NULL));
    script_add_draws(&script, ppo_csv_str(csv, row, col(csv, "", "rng_draws")));
    const minatar_rand_t rand = script_rand(&script);
    double reward;
    int terminated;
    if (minatar_env_step(env, action, &rand, b->obs, &reward, &terminated) != 0)
        ck_abort_msg("%s: step failed: %s", where, why_failed());
    script_assert_done(&script, where);

    minatar_env_get_state(env, b->state);
    state_from_row(mt_game, csv, row, "next_", b->want);
    assert_same_state(mt_game, b->state, b->want, b->n, where);
    assert_obs(mt_game, b->obs, ppo_csv_str(csv, row, col(csv, "", "next_obs")), where);
    ck_assert_msg(reward == cell_int(csv, row, col(csv, "", "reward")), "%s: reward %g", where,
                  reward);
    ck_assert_msg(terminated == cell_int(csv, row, col(csv, "", "terminated")), "%s: terminated %d",
                  where, terminated);
}

/* Every row of one file stepped with its action and with its minimal action. */
static guint check_step_rows(const char *suffix)
{
    bench_t b;
    bench_open(&b);
    ppo_csv_t *csv = load(mt_game, suffix);
    const int c_action = col(csv, "", "action"), c_min = col(csv, "", "min_action");
    for (guint row = 0; row < csv->rows->len; row++) {
        char where[128];
        const int32_t action = cell_int(csv, row, c_action);
        const int32_t min_action = cell_int(csv, row, c_min);
        snprintf(where, sizeof(where), "%s%s row %u (action %d)", mt_game->name, suffix, row + 2,
                 action);
        step_row(&b, &b.env, csv, row, action, where);
        snprintf(where, sizeof(where), "%s%s row %u (minimal action %d)", mt_game->name, suffix,
                 row + 2, min_action);
        step_row(&b, &b.minimal, csv, row, min_action, where);
    }
    const guint n = csv->rows->len;
    printf("minatar_%s: %u rows of %s%s stepped, with the full and the minimal action\n",
           mt_game->name, n, mt_game->name, suffix);
    ppo_csv_free(csv);
    bench_close(&b);
    return n;
}

START_TEST(test_every_recorded_step_matches_with_its_recorded_draws)
{
    check_step_rows(".csv");
}
END_TEST

START_TEST(test_every_edge_case_matches_with_its_recorded_draws)
{
    check_step_rows(".edge.csv");
}
END_TEST

/* The observation of the state columns (prefix) of every row against the hex column. */
static guint check_observations(const char *suffix, const char *prefix, const char *obs_col)
{
    bench_t b;
    bench_open(&b);
    ppo_csv_t *csv = load(mt_game, suffix);
    for (guint row = 0; row < csv->rows->len; row++) {
        char where[96];
        snprintf(where, sizeof(where), "%s%s row %u (%sstate)", mt_game->name, suffix, row + 2,
                 prefix);
        state_from_row(mt_game, csv, row, prefix, b.state);
        ck_assert_int_eq(minatar_unpack(mt_game, b.state, b.env.state, (char[128]){0}, 128), 0);
        memset(b.obs, 0, b.env.dim);
        mt_game->observe(b.env.state, b.obs);
        assert_obs(mt_game, b.obs, ppo_csv_str(csv, row, col(csv, "", obs_col)), where);
    }
    const guint n = csv->rows->len;
    ppo_csv_free(csv);
    bench_close(&b);
    return n;
}

START_TEST(test_the_observation_of_every_recorded_state_matches_bit_for_bit)
{
    guint n = check_observations(".csv", "", "obs");
    n += check_observations(".csv", "next_", "next_obs");
    n += check_observations(".edge.csv", "", "obs");
    n += check_observations(".edge.csv", "next_", "next_obs");
    n += check_observations(".reset.csv", "", "obs");
    printf("minatar_%s: %u recorded states observed\n", mt_game->name, n);
}
END_TEST

/* The minimal action column is the index of the action in the minimal set, or no-op (0). */
START_TEST(test_the_minimal_action_set_maps_each_recorded_action)
{
    guint n = 0;
    const char *const files[] = {".csv", ".edge.csv"};
    for (int f = 0; f < 2; f++) {
        ppo_csv_t *csv = load(mt_game, files[f]);
        for (guint row = 0; row < csv->rows->len; row++, n++) {
            const int32_t action = cell_int(csv, row, col(csv, "", "action"));
            int32_t want = 0;
            for (uint32_t i = 0; i < mt_game->n_minimal; i++)
                if (mt_game->minimal_actions[i] == action)
                    want = (int32_t)i;
            ck_assert_msg(cell_int(csv, row, col(csv, "", "min_action")) == want,
                          "%s%s row %u: action %d is minimal action %d, not %d", mt_game->name,
                          files[f], row + 2, action, want,
                          cell_int(csv, row, col(csv, "", "min_action")));
        }
        ppo_csv_free(csv);
    }
    printf("minatar_%s: %u rows' minimal actions checked\n", mt_game->name, n);
}
END_TEST

/* Episodes of GAME.csv: the row range of each, in file order. */
typedef struct episode {
    int id;
    guint first, end;
} episode_t;

static GArray *episodes(const ppo_csv_t *csv)
{
    GArray *eps = g_array_new(FALSE, FALSE, sizeof(episode_t));
    const int c_ep = col(csv, "", "episode"), c_t = col(csv, "", "t");
    for (guint row = 0; row < csv->rows->len; row++) {
        const int id = cell_int(csv, row, c_ep);
        if (eps->len == 0 || g_array_index(eps, episode_t, eps->len - 1).id != id) {
            ck_assert_msg(cell_int(csv, row, c_t) == 0, "episode %d starts at t != 0", id);
            g_array_append_val(eps, ((episode_t){.id = id, .first = row}));
        }
        g_array_index(eps, episode_t, eps->len - 1).end = row + 1;
    }
    return eps;
}

/* The reset row of episode `id`. */
static guint reset_row(const ppo_csv_t *resets, int id)
{
    for (guint r = 0; r < resets->rows->len; r++)
        if (cell_int(resets, r, col(resets, "", "episode")) == id)
            return r;
    ck_abort_msg("no reset row for episode %d", id);
    return 0;
}

/* Walk every episode from a reset made with `rand_for` (per episode) and the recorded actions,
 * carrying the state this implementation computes: draw the sticky double (when `seeded`, from
 * the same stream, and compare it with sticky_u), step, compare with the next_ columns. Without
 * `seeded`, each step's draws are the recorded ones. Returns the rows walked. */
static guint walk_episodes(bool seeded)
{
    bench_t b;
    bench_open(&b);
    ppo_csv_t *csv = load(mt_game, ".csv"), *resets = load(mt_game, ".reset.csv");
    GArray *eps = episodes(csv);
    guint rows = 0;
    for (guint e = 0; e < eps->len; e++) {
        const episode_t *ep = &g_array_index(eps, episode_t, e);
        const guint rr = reset_row(resets, ep->id);
        char where[128];
        mt19937_t mt;
        script_t script = {0};
        const minatar_rand_t numpy = {.uniform = mt_uniform, .randint = mt_randint, .ctx = &mt};
        minatar_rand_t rand = numpy;

        /* the reset, from the seed or from the recorded reset draws */
        snprintf(where, sizeof(where), "%s episode %d reset", mt_game->name, ep->id);
        if (seeded) {
            mt_seed(&mt, (uint32_t)cell_int(csv, ep->first, col(csv, "", "seed")));
        } else {
            script_add_draws(&script, ppo_csv_str(resets, rr, col(resets, "", "rng_draws")));
            rand = script_rand(&script);
        }
        minatar_env_reset(&b.env, &rand, b.obs);
        if (!seeded)
            script_assert_done(&script, where);
        minatar_env_get_state(&b.env, b.state);
        state_from_row(mt_game, resets, rr, "", b.want);
        assert_same_state(mt_game, b.state, b.want, b.n, where);
        assert_obs(mt_game, b.obs, ppo_csv_str(resets, rr, col(resets, "", "obs")), where);
        state_from_row(mt_game, csv, ep->first, "", b.want);
        assert_same_state(mt_game, b.state, b.want, b.n, where);

        for (guint row = ep->first; row < ep->end; row++, rows++) {
            snprintf(where, sizeof(where), "%s episode %d t %d (row %u)", mt_game->name, ep->id,
                     cell_int(csv, row, col(csv, "", "t")), row + 2);
            const double sticky_u =
                g_ascii_strtod(ppo_csv_str(csv, row, col(csv, "", "sticky_u")), NULL);
            if (seeded) {
                /* the wrapper's sticky draw is the stream's next double */
                mt19937_t peek = mt;
                const double u = mt_uniform(&peek);
                ck_assert_msg(u == sticky_u, "%s: the sticky draw is %.17g, recorded %.17g", where,
                              u, sticky_u);
            } else {
                script = (script_t){0};
                script_add_uniform(&script, sticky_u);
                script_add_draws(&script, ppo_csv_str(csv, row, col(csv, "", "rng_draws")));
                rand = script_rand(&script);
            }
            double reward;
            int terminated;
            if (minatar_env_step(&b.env, cell_int(csv, row, col(csv, "", "action")), &rand, b.obs,
                                 &reward, &terminated) != 0)
                ck_abort_msg("%s: step failed: %s", where, why_failed());
            if (!seeded)
                script_assert_done(&script, where);
            ck_assert_msg(reward == cell_int(csv, row, col(csv, "", "reward")), "%s: reward %g",
                          where, reward);
            ck_assert_msg(terminated == cell_int(csv, row, col(csv, "", "terminated")),
                          "%s: terminated %d", where, terminated);
            minatar_pack(mt_game, b.env.state, b.state);
            state_from_row(mt_game, csv, row, "next_", b.want);
            assert_same_state(mt_game, b.state, b.want, b.n, where);
            assert_obs(mt_game, b.obs, ppo_csv_str(csv, row, col(csv, "", "next_obs")), where);
            /* the data's own chain: this row's next state is the next row's state */
            if (row + 1 < ep->end) {
                state_from_row(mt_game, csv, row + 1, "", b.want);
                assert_same_state(mt_game, b.state, b.want, b.n, where);
            }
        }
    }
    printf("minatar_%s: %u episodes, %u rows replayed %s\n", mt_game->name, eps->len, rows,
           seeded ? "from their seeds with numpy's MT19937 stream"
                  : "from their reset draws with the recorded draws");
    g_array_free(eps, TRUE);
    ppo_csv_free(csv);
    ppo_csv_free(resets);
    bench_close(&b);
    return rows;
}

START_TEST(test_every_episode_replays_from_its_reset_with_the_recorded_draws)
{
    walk_episodes(false);
}
END_TEST

START_TEST(test_every_episode_is_reproduced_from_its_seed_with_numpys_stream)
{
    walk_episodes(true);
}
END_TEST

int mt_run(const minatar_game_t *game, TCase *own)
{
    static char name[64]; /* Check keeps the pointer */
    mt_game = game;
    snprintf(name, sizeof(name), "minatar_%s", game->name);
    Suite *s = suite_create(name);
    TCase *ref = tcase_create("reference");
    tcase_set_timeout(ref, 120);
    tcase_add_test(ref, test_the_observation_of_every_recorded_state_matches_bit_for_bit);
    tcase_add_test(ref, test_every_recorded_step_matches_with_its_recorded_draws);
    tcase_add_test(ref, test_every_edge_case_matches_with_its_recorded_draws);
    tcase_add_test(ref, test_the_minimal_action_set_maps_each_recorded_action);
    tcase_add_test(ref, test_every_episode_replays_from_its_reset_with_the_recorded_draws);
    tcase_add_test(ref, test_every_episode_is_reproduced_from_its_seed_with_numpys_stream);
    suite_add_tcase(s, ref);
    if (own != NULL) {
        tcase_set_timeout(own, 120);
        suite_add_tcase(s, own);
    }
    return ppo_test_run(s);
}

/* ---- the real plugin ---- */

void mt_plugin_open(mt_plugin_t *p, const char *game, const char *flow)
{
    char *name = g_strconcat("minatar_", game, NULL);
    p->plugin = ppo_test_plugin(name);
    g_free(name);
    p->vt = &p->plugin->vt.env;
    p->params = ppo_test_params(p->plugin, flow);
    p->inst = p->vt->create(&p->plugin->host, p->params);
    ck_assert_msg(p->inst != NULL, "create failed: %s", why_failed());
    p->n_state = p->vt->state_size(p->inst);
}

void mt_plugin_close(mt_plugin_t *p)
{
    p->vt->destroy(p->inst);
    ppo_params_free(p->params);
}

const minatar_game_t *mt_plugin_game(const mt_plugin_t *p)
{
    return ((const minatar_env_t *)p->inst)->game;
}

double mt_step_from(const mt_plugin_t *p, const double *start, int action, ppo_rng_t *rng,
                    double *after)
{
    uint8_t obs[MINATAR_MAX_CHANNELS * MINATAR_CELLS];
    const float a = (float)action;
    double reward;
    int terminated;
    ck_assert_int_eq(p->vt->set_state(p->inst, start, NULL), 0);
    if (p->vt->step(p->inst, &a, rng, (float *)(void *)obs, &reward, &terminated) != 0)
        ck_abort_msg("step failed: %s", why_failed());
    ck_assert_int_eq(p->vt->get_state(p->inst, after), 0);
    return reward;
}

double *mt_state_with(const mt_plugin_t *p, const char *const *assign, int32_t last_action)
{
    const minatar_env_t *env = p->inst;
    double *state = g_new0(double, p->n_state);
    uint8_t obs[MINATAR_MAX_CHANNELS * MINATAR_CELLS];
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 1, "env", 0);
    ck_assert_int_eq(p->vt->reset(p->inst, &rng, (float *)(void *)obs), 0);
    ck_assert_int_eq(p->vt->get_state(p->inst, state), 0);
    for (const char *const *a = assign; *a != NULL; a++) {
        const char *eq = strchr(*a, '=');
        ck_assert_msg(eq != NULL, "\"%s\" is not name=value", *a);
        char *field = g_strndup(*a, (gsize)(eq - *a));
        state[mt_state_index(env->game, field)] = strtod(eq + 1, NULL);
        g_free(field);
    }
    state[p->n_state - 1] = last_action;
    return state;
}

/* ---- statistics ---- */

void mt_assert_binomial(const char *what, uint64_t count, uint64_t n, double p)
{
    const double mean = (double)n * p, sd = sqrt((double)n * p * (1.0 - p));
    ck_assert_msg(fabs((double)count - mean) <= 6.0 * sd,
                  "%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                  " trials, expected %.1f +- %.1f (6 sd)",
                  what, count, n, mean, 6.0 * sd);
    printf("  %s: %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT " (expected %.1f, sd %.1f)\n", what,
           count, n, mean, sd);
}

void mt_assert_uniform(const char *what, const uint64_t *counts, int k)
{
    uint64_t n = 0;
    for (int i = 0; i < k; i++)
        n += counts[i];
    const double expected = (double)n / k;
    double chi2 = 0.0;
    for (int i = 0; i < k; i++)
        chi2 += ((double)counts[i] - expected) * ((double)counts[i] - expected) / expected;
    /* Wilson-Hilferty: (chi2/df)^(1/3) is nearly normal; z = 5.2 is the 1 - 1e-7 quantile */
    const double df = k - 1, z = 5.2;
    const double t = 1.0 - 2.0 / (9.0 * df) + z * sqrt(2.0 / (9.0 * df));
    const double limit = df * t * t * t;
    ck_assert_msg(chi2 <= limit, "%s: chi-square %.2f over %d outcomes, limit %.2f", what, chi2, k,
                  limit);
    printf("  %s: chi-square %.2f (df %d, limit %.2f) over %" G_GUINT64_FORMAT " draws\n", what,
           chi2, k - 1, limit, n);
}
