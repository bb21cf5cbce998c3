/* Tests of core/ppo_segments.c: the segment-table builder lays segments out as the core's
 * parameter store does (back to back in declaration order), makes a Linear layer's weight and
 * bias as documented, and stops at a full table or a zero dimension.
 *
 * Left out: the parameter store itself (tests/core/test_ppo_model.c).
 */
#include "config.h"

#include <string.h>

#include "ppo_test.h"

START_TEST(test_segment_table_offsets_are_the_running_sums_in_declaration_order)
{
    ppo_segment_t segs[5];
    size_t offsets[5];
    ppo_segment_table_t t = PPO_SEGMENT_TABLE(segs, offsets, 5);
    ck_assert_uint_eq(t.struct_size, sizeof(ppo_segment_table_t));
    const uint32_t pi = ppo_segment_table_add_linear(&t, "pi.weight", "pi.bias", 4, 3, 0.01);
    const uint32_t vf = ppo_segment_table_add_linear(&t, "vf.weight", "vf.bias", 4, 1, 1.0);
    const uint32_t ls = ppo_segment_table_add(&t, "log_std", 3, 1, PPO_INIT_CONSTANT, -0.5, 0.0);
    ck_assert_uint_eq(pi, 0);
    ck_assert_uint_eq(vf, 2);
    ck_assert_uint_eq(ls, 4);
    ck_assert_uint_eq(t.n_segments, 5);
    ck_assert_uint_eq(t.failed, 0);
    const size_t expect[5] = {0, 12, 15, 19, 20};
    for (int k = 0; k < 5; k++)
        ck_assert_uint_eq(offsets[k], expect[k]);
    ck_assert_uint_eq(t.n_params, 23);
    /* the Linear layer: an orthogonal (out, in) weight with the gain, a zero (out) bias */
    ck_assert_str_eq(segs[0].name, "pi.weight");
    ck_assert_uint_eq(segs[0].rows, 3);
    ck_assert_uint_eq(segs[0].cols, 4);
    ck_assert_int_eq(segs[0].init, PPO_INIT_ORTHOGONAL);
    ck_assert(segs[0].gain == 0.01);
    ck_assert_str_eq(segs[1].name, "pi.bias");
    ck_assert_uint_eq(segs[1].rows, 3);
    ck_assert_uint_eq(segs[1].cols, 1);
    ck_assert_int_eq(segs[1].init, PPO_INIT_CONSTANT);
    ck_assert(segs[1].value == 0.0);
    ck_assert(segs[4].value == -0.5);
    for (int k = 0; k < 5; k++)
        ck_assert_uint_eq(segs[k].struct_size, sizeof(ppo_segment_t));
}
END_TEST

START_TEST(test_segment_table_stops_at_a_full_table_or_a_zero_dimension)
{
    ppo_segment_t segs[3];
    size_t offsets[3];
    ppo_segment_table_t t = PPO_SEGMENT_TABLE(segs, offsets, 3);
    ck_assert_uint_eq(ppo_segment_table_add_linear(&t, "a.weight", "a.bias", 2, 2, 1.0), 0);
    /* a Linear layer needs two entries; one is left: nothing is added */
    ck_assert_uint_eq(ppo_segment_table_add_linear(&t, "b.weight", "b.bias", 2, 2, 1.0),
                      UINT32_MAX);
    ck_assert_uint_eq(t.failed, 1);
    ck_assert_uint_eq(t.n_segments, 2);
    /* after a failure nothing more is added, even what would fit */
    ck_assert_uint_eq(ppo_segment_table_add(&t, "c", 1, 1, PPO_INIT_CONSTANT, 0.0, 0.0),
                      UINT32_MAX);
    ck_assert_uint_eq(t.n_segments, 2);
    ck_assert_uint_eq(t.n_params, 6);

    ppo_segment_table_t z = PPO_SEGMENT_TABLE(segs, offsets, 3);
    ck_assert_uint_eq(ppo_segment_table_add(&z, "zero", 0, 4, PPO_INIT_CONSTANT, 0.0, 0.0),
                      UINT32_MAX);
    ck_assert_uint_eq(z.failed, 1);
    ck_assert_uint_eq(z.n_segments, 0);
}
END_TEST

static Suite *segments_suite(void)
{
    Suite *s = suite_create("ppo_segments");
    TCase *tc = tcase_create("segments");
    tcase_add_test(tc, test_segment_table_offsets_are_the_running_sums_in_declaration_order);
    tcase_add_test(tc, test_segment_table_stops_at_a_full_table_or_a_zero_dimension);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(segments_suite());
}
