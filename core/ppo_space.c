/* ppofw core — observation and action spaces (see ppo_space_private.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_space_private.h"

void ppo_space_normalize(ppo_space_t *sp, bool is_obs)
{
    if (sp->struct_size < sizeof(ppo_space_t)) {
        /* a plugin built before the 1.2 fields: whatever lies beyond its struct is not its */
        const size_t keep = sp->struct_size < PPO_SPACE_SIZE_1_0 ? PPO_SPACE_SIZE_1_0
                                                                 : sp->struct_size;
        memset((char *)sp + keep, 0, sizeof(ppo_space_t) - keep);
    }
    if (is_obs && sp->kind == PPO_SPACE_BOX && sp->rank == 0) {
        sp->rank = 1;
        sp->shape[0] = sp->dim;
    }
}

static const char *which_space(bool is_obs)
{
    return is_obs ? "observation space" : "action space";
}

/* The shape fields of a box: rank, axes, product, dtype. */
static void shape_problems(const ppo_space_t *sp, bool is_obs, GString *why)
{
    const char *which = which_space(is_obs);
    if (!is_obs) {
        if (sp->rank > 1 || (sp->rank == 1 && sp->shape[0] != sp->dim))
            g_string_append_printf(why,
                                   "; %s: an action box has no shape (rank %u); leave rank and "
                                   "shape zero",
                                   which, sp->rank);
        if (sp->dtype != PPO_DTYPE_FLOAT32)
            g_string_append_printf(why,
                                   "; %s: an action box is float32, but dtype is %d; leave dtype "
                                   "zero",
                                   which, (int)sp->dtype);
        return;
    }
    if (sp->dtype != PPO_DTYPE_FLOAT32 && sp->dtype != PPO_DTYPE_UINT8)
        g_string_append_printf(why,
                               "; %s: dtype %d is not PPO_DTYPE_FLOAT32 or PPO_DTYPE_UINT8", which,
                               (int)sp->dtype);
    if (sp->rank > PPO_SPACE_MAX_RANK) {
        g_string_append_printf(why,
                               "; %s: rank %u is more than %u; flatten the outer axes into one "
                               "(images are (C, H, W))",
                               which, sp->rank, PPO_SPACE_MAX_RANK);
        return;
    }
    uint64_t product = 1;
    for (uint32_t k = 0; k < sp->rank; k++) {
        if (sp->shape[k] == 0) {
            g_string_append_printf(why,
                                   "; %s: axis %u of the shape has size 0; every axis needs at "
                                   "least one element",
                                   which, k);
            return;
        }
        product *= sp->shape[k];
    }
    if (sp->rank > 0 && product != sp->dim) {
        GString *shape = g_string_new(NULL);
        for (uint32_t k = 0; k < sp->rank; k++)
            g_string_append_printf(shape, "%s%u", k > 0 ? " x " : "", sp->shape[k]);
        g_string_append_printf(why,
                               "; %s: the shape %s has %" G_GUINT64_FORMAT
                               " elements but dim is %u; set dim to the product of the shape",
                               which, shape->str, product, sp->dim);
        g_string_free(shape, TRUE);
    }
}

static void box_problems(const ppo_space_t *sp, bool is_obs, GString *why)
{
    const char *which = which_space(is_obs);
    if (sp->dim == 0) {
        g_string_append_printf(why,
                               "; %s: a box with dim = 0 (zero dimensions); a box needs dim "
                               ">= 1: set .dim in spaces()",
                               which);
        return;
    }
    if (sp->dim > PPO_SPACE_MAX_DIM) {
        g_string_append_printf(why, "; %s: a box with dim = %u; at most 2^20 elements", which,
                               sp->dim);
        return;
    }
    const size_t len = why->len;
    shape_problems(sp, is_obs, why);
    if (why->len != len)
        return;
    if (sp->low == NULL || sp->high == NULL) {
        g_string_append_printf(why,
                               "; %s: a box without low/high arrays; point them at (dim) "
                               "doubles that live as long as the instance",
                               which);
        return;
    }
    const bool u8 = sp->dtype == PPO_DTYPE_UINT8;
    for (uint32_t i = 0; i < sp->dim; i++) {
        if (isnan(sp->low[i]) || isnan(sp->high[i]) || sp->low[i] > sp->high[i]) {
            g_string_append_printf(why, "; %s: element %u has bounds [%g, %g]", which, i,
                                   sp->low[i], sp->high[i]);
            return;
        }
        if (!is_obs && (!isfinite(sp->low[i]) || !isfinite(sp->high[i]))) {
            g_string_append_printf(why,
                                   "; %s: element %u has the infinite bound [%g, %g]; "
                                   "action bounds must be finite",
                                   which, i, sp->low[i], sp->high[i]);
            return;
        }
        if (u8 && !(sp->low[i] >= 0.0 && sp->high[i] <= 255.0 && sp->low[i] < sp->high[i])) {
            g_string_append_printf(why,
                                   "; %s: element %u of a uint8 box has bounds [%g, %g]; uint8 "
                                   "bounds lie in [0, 255] with low < high",
                                   which, i, sp->low[i], sp->high[i]);
            return;
        }
    }
}

static void multi_discrete_problems(const ppo_space_t *sp, GString *why)
{
    if (sp->dim == 0 || sp->dim > PPO_SPACE_MAX_DIM) {
        g_string_append_printf(why,
                               "; action space: multi-discrete with dim = %u components; it "
                               "needs 1 to 2^20",
                               sp->dim);
        return;
    }
    if (sp->nvec == NULL) {
        g_string_append(why, "; action space: multi-discrete without nvec; point nvec at (dim) "
                             "choice counts that live as long as the instance");
        return;
    }
    for (uint32_t k = 0; k < sp->dim; k++) {
        if (sp->nvec[k] < 2 || sp->nvec[k] >= PPO_SPACE_MAX_CHOICES) {
            g_string_append_printf(why,
                                   "; action space: component %u of the multi-discrete space has "
                                   "nvec = %u choices; each needs 2 to 2^24 - 1 (drop a "
                                   "component with one choice)",
                                   k, sp->nvec[k]);
            return;
        }
    }
}

void ppo_space_problems(const ppo_space_t *sp, bool is_obs, GString *why)
{
    const char *which = which_space(is_obs);
    if (sp->struct_size < PPO_SPACE_SIZE_1_0) {
        g_string_append_printf(why,
                               "; %s: struct_size is %u, smaller than ppo_space_t (the core "
                               "sets it; do not overwrite it with a smaller value)",
                               which, sp->struct_size);
        return;
    }
    switch (sp->kind) {
    case PPO_SPACE_DISCRETE:
        if (is_obs)
            g_string_append_printf(why,
                                   "; %s: is discrete; observations must be a box (one-hot "
                                   "encode a discrete observation)",
                                   which);
        else if (sp->n < 2 || sp->n >= PPO_SPACE_MAX_CHOICES)
            g_string_append_printf(why, "; %s: discrete with n = %u; n must be in [2, 2^24)",
                                   which, sp->n);
        return;
    case PPO_SPACE_BOX:
        box_problems(sp, is_obs, why);
        return;
    case PPO_SPACE_MULTI_DISCRETE:
        if (is_obs)
            g_string_append_printf(why,
                                   "; %s: is multi-discrete; observations must be a box (one-hot "
                                   "encode each component)",
                                   which);
        else
            multi_discrete_problems(sp, why);
        return;
    default:
        g_string_append_printf(why,
                               "; %s: kind %d is not PPO_SPACE_BOX, PPO_SPACE_DISCRETE or "
                               "PPO_SPACE_MULTI_DISCRETE",
                               which, (int)sp->kind);
        return;
    }
}

bool ppo_space_same(const ppo_space_t *a, const ppo_space_t *b)
{
    if (a->kind != b->kind || a->n != b->n || a->dim != b->dim || a->rank != b->rank ||
        a->dtype != b->dtype || memcmp(a->shape, b->shape, sizeof(a->shape)) != 0)
        return false;
    if (a->kind == PPO_SPACE_BOX)
        for (uint32_t i = 0; i < a->dim; i++)
            if (memcmp(&a->low[i], &b->low[i], sizeof(double)) != 0 ||
                memcmp(&a->high[i], &b->high[i], sizeof(double)) != 0)
                return false;
    if (a->kind == PPO_SPACE_MULTI_DISCRETE)
        return memcmp(a->nvec, b->nvec, a->dim * sizeof(uint32_t)) == 0;
    return true;
}

char *ppo_space_describe(const ppo_space_t *sp)
{
    if (sp->kind == PPO_SPACE_DISCRETE)
        return g_strdup_printf("discrete (%u)", sp->n);
    GString *s = g_string_new(NULL);
    if (sp->kind == PPO_SPACE_MULTI_DISCRETE) {
        g_string_append(s, "multi-discrete [");
        for (uint32_t k = 0; k < sp->dim && sp->nvec != NULL; k++)
            g_string_append_printf(s, "%s%u", k > 0 ? ", " : "", sp->nvec[k]);
        g_string_append_c(s, ']');
        return g_string_free(s, FALSE);
    }
    g_string_append(s, sp->dtype == PPO_DTYPE_UINT8 ? "box uint8 (" : "box (");
    if (sp->rank <= 1) {
        g_string_append_printf(s, "%u", sp->dim);
    } else {
        for (uint32_t k = 0; k < sp->rank && k < PPO_SPACE_MAX_RANK; k++)
            g_string_append_printf(s, "%s%u", k > 0 ? ", " : "", sp->shape[k]);
    }
    g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}

uint32_t ppo_space_action_floats(const ppo_space_t *sp)
{
    return sp->kind == PPO_SPACE_DISCRETE ? 1u : sp->dim;
}

void ppo_space_random_action(const ppo_space_t *sp, ppo_rng_t *rng, float *action)
{
    switch (sp->kind) {
    case PPO_SPACE_DISCRETE:
        action[0] = (float)ppo_rng_below(rng, sp->n);
        break;
    case PPO_SPACE_MULTI_DISCRETE:
        for (uint32_t k = 0; k < sp->dim; k++)
            action[k] = (float)ppo_rng_below(rng, sp->nvec[k]);
        break;
    default:
        for (uint32_t k = 0; k < sp->dim; k++)
            action[k] = (float)ppo_rng_uniform_range(rng, sp->low[k], sp->high[k]);
        break;
    }
}

size_t ppo_space_row_bytes(const ppo_space_t *sp)
{
    if (sp->dtype == PPO_DTYPE_UINT8)
        return ((size_t)sp->dim + 3) & ~(size_t)3;
    return (size_t)sp->dim * sizeof(float);
}

/* At most this many 256-entry tables; a space with more distinct bound pairs converts each
 * element from its bounds directly (the same values, computed each time). */
#define CONVERT_MAX_TABLES 64

static double convert_one(double v, double lo, double hi)
{
    return (v - lo) / (hi - lo);
}

void ppo_obs_convert_init(ppo_obs_convert_t *cv, const ppo_space_t *sp)
{
    memset(cv, 0, sizeof(*cv));
    cv->dim = sp->dim;
    cv->low = sp->low;
    cv->high = sp->high;
    /* distinct bound pairs, numbered in order of first appearance */
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GArray *pairs = g_array_new(FALSE, FALSE, sizeof(double));
    uint32_t *table_of = g_new(uint32_t, sp->dim);
    for (uint32_t i = 0; i < sp->dim && g_hash_table_size(seen) <= CONVERT_MAX_TABLES; i++) {
        char *key = g_strdup_printf("%a:%a", sp->low[i], sp->high[i]);
        gpointer t;
        if (!g_hash_table_lookup_extended(seen, key, NULL, &t)) {
            t = GUINT_TO_POINTER(g_hash_table_size(seen));
            g_hash_table_insert(seen, key, t);
            g_array_append_val(pairs, sp->low[i]);
            g_array_append_val(pairs, sp->high[i]);
        } else {
            g_free(key);
        }
        table_of[i] = GPOINTER_TO_UINT(t);
    }
    cv->n_tables = g_hash_table_size(seen);
    g_hash_table_destroy(seen);
    if (cv->n_tables > CONVERT_MAX_TABLES) {
        cv->n_tables = 0;
        g_free(table_of);
        g_array_free(pairs, TRUE);
        return;
    }
    cv->tables = g_new(float, (size_t)cv->n_tables * 256);
    for (uint32_t t = 0; t < cv->n_tables; t++) {
        const double lo = g_array_index(pairs, double, 2 * t);
        const double hi = g_array_index(pairs, double, 2 * t + 1);
        for (uint32_t v = 0; v < 256; v++)
            cv->tables[(size_t)t * 256 + v] = (float)convert_one(v, lo, hi);
    }
    g_array_free(pairs, TRUE);
    if (cv->n_tables == 1) {
        g_free(table_of);
        table_of = NULL;
    }
    cv->table_of = table_of;
}

void ppo_obs_convert_clear(ppo_obs_convert_t *cv)
{
    g_free(cv->tables);
    g_free(cv->table_of);
    memset(cv, 0, sizeof(*cv));
}

void ppo_obs_convert_rows(const ppo_obs_convert_t *cv, const uint8_t *src, size_t src_stride,
                          uint32_t n, float *out)
{
    const uint32_t D = cv->dim;
    for (uint32_t r = 0; r < n; r++) {
        const uint8_t *x = src + (size_t)r * src_stride;
        float *y = out + (size_t)r * D;
        if (cv->n_tables == 0) {
            for (uint32_t i = 0; i < D; i++)
                y[i] = (float)convert_one(x[i], cv->low[i], cv->high[i]);
        } else if (cv->table_of == NULL) {
            const float *t = cv->tables;
            for (uint32_t i = 0; i < D; i++)
                y[i] = t[x[i]];
        } else {
            for (uint32_t i = 0; i < D; i++)
                y[i] = cv->tables[(size_t)cv->table_of[i] * 256 + x[i]];
        }
    }
}
