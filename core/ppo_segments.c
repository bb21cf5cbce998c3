/* ppofw core — the segment-table builder for policies (include/ppofw/policy.h): appends named
 * parameter segments and computes each one's offset as the core lays the parameters out, back to
 * back in declaration order (core/ppo_model.c does the same sum when it allocates them).
 *
 * Left out: checking names (the core's parameter store does, when the policy is made) and any
 * allocation: the arrays are the caller's.
 */
#include "config.h"

#include <stddef.h>

#include <ppofw/policy.h>

uint32_t ppo_segment_table_add(ppo_segment_table_t *table, const char *name, uint32_t rows,
                               uint32_t cols, ppo_init_kind_t init, double value, double gain)
{
    if (table->failed || table->n_segments >= table->capacity || rows == 0 || cols == 0) {
        table->failed = 1;
        return UINT32_MAX;
    }
    const uint32_t k = table->n_segments++;
    table->segments[k] = (ppo_segment_t){
        .struct_size = sizeof(ppo_segment_t),
        .init = init,
        .name = name,
        .rows = rows,
        .cols = cols,
        .value = value,
        .gain = gain,
    };
    table->offsets[k] = table->n_params;
    table->n_params += (size_t)rows * cols;
    return k;
}

uint32_t ppo_segment_table_add_linear(ppo_segment_table_t *table, const char *weight_name,
                                      const char *bias_name, uint32_t in, uint32_t out, double gain)
{
    /* both or neither: a weight without its bias would leave the table inconsistent */
    if (table->failed || table->n_segments + 2 > table->capacity) {
        table->failed = 1;
        return UINT32_MAX;
    }
    const uint32_t w =
        ppo_segment_table_add(table, weight_name, out, in, PPO_INIT_ORTHOGONAL, 0.0, gain);
    if (ppo_segment_table_add(table, bias_name, out, 1, PPO_INIT_CONSTANT, 0.0, 0.0) == UINT32_MAX)
        return UINT32_MAX;
    return w;
}
