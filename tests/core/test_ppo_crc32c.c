/* ppofw tests — core/ppo_crc32c.c: CRC-32C against published vectors and a bit-at-a-time
 * reference, chaining, and TFRecord's mask.
 *
 * The vectors are the "123456789" check value of the CRC catalogue and the four 32-byte patterns
 * of RFC 3720 appendix B.4. What it leaves out: speed.
 */
#include "config.h"

#include <string.h>

#include "ppo_crc32c_private.h"
#include "ppo_test.h"

/* The definition, one bit at a time: reflected 0x82F63B78, init and final xor 0xFFFFFFFF. */
static uint32_t crc_bitwise(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return crc ^ 0xFFFFFFFFu;
}

START_TEST(test_crc32c_check_value_of_123456789)
{
    ck_assert_uint_eq(ppo_crc32c_update(0, "123456789", 9), 0xE3069283u);
}
END_TEST

START_TEST(test_crc32c_matches_rfc3720_vectors)
{
    uint8_t buf[32];

    memset(buf, 0x00, sizeof buf);
    ck_assert_uint_eq(ppo_crc32c_update(0, buf, sizeof buf), 0x8A9136AAu);
    memset(buf, 0xFF, sizeof buf);
    ck_assert_uint_eq(ppo_crc32c_update(0, buf, sizeof buf), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    ck_assert_uint_eq(ppo_crc32c_update(0, buf, sizeof buf), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    ck_assert_uint_eq(ppo_crc32c_update(0, buf, sizeof buf), 0x113FDB5Cu);
}
END_TEST

START_TEST(test_crc32c_of_nothing_is_zero_and_of_a_is_known)
{
    ck_assert_uint_eq(ppo_crc32c_update(0, "", 0), 0);
    ck_assert_uint_eq(ppo_crc32c_update(0, "a", 1), 0xC1D04330u);
}
END_TEST

START_TEST(test_crc32c_matches_bitwise_reference_at_every_length_and_alignment)
{
    uint8_t buf[300 + 8];
    uint64_t state = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < sizeof buf; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        buf[i] = (uint8_t)(state >> 56);
    }
    for (size_t start = 0; start < 8; start++)
        for (size_t len = 0; len <= 300; len++)
            ck_assert_msg(ppo_crc32c_update(0, buf + start, len) == crc_bitwise(buf + start, len),
                          "start %zu, length %zu", start, len);
}
END_TEST

START_TEST(test_crc32c_chained_updates_equal_one_update)
{
    uint8_t buf[200];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    uint32_t whole = ppo_crc32c_update(0, buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut++) {
        uint32_t crc = ppo_crc32c_update(0, buf, cut);
        ck_assert_uint_eq(ppo_crc32c_update(crc, buf + cut, sizeof buf - cut), whole);
    }
    /* and byte by byte */
    uint32_t crc = 0;
    for (size_t i = 0; i < sizeof buf; i++)
        crc = ppo_crc32c_update(crc, buf + i, 1);
    ck_assert_uint_eq(crc, whole);
}
END_TEST

START_TEST(test_crc32c_mask_rotates_right_15_and_adds_constant)
{
    ck_assert_uint_eq(ppo_crc32c_mask(0), 0xA282EAD8u);
    ck_assert_uint_eq(ppo_crc32c_mask(1), 0xA284EAD8u);           /* bit 0 rotates to bit 17 */
    ck_assert_uint_eq(ppo_crc32c_mask(0x8000u), 0xA282EAD9u);     /* bit 15 rotates to bit 0 */
    ck_assert_uint_eq(ppo_crc32c_mask(0xFFFFFFFFu), 0xA282EAD7u); /* the sum wraps */
    ck_assert_uint_eq(ppo_crc32c_mask(0xE3069283u), 0xC78AB0E5u);
}
END_TEST

static Suite *crc32c_suite(void)
{
    Suite *s = suite_create("ppo_crc32c");
    TCase *tc = tcase_create("crc32c");
    tcase_add_test(tc, test_crc32c_check_value_of_123456789);
    tcase_add_test(tc, test_crc32c_matches_rfc3720_vectors);
    tcase_add_test(tc, test_crc32c_of_nothing_is_zero_and_of_a_is_known);
    tcase_add_test(tc, test_crc32c_matches_bitwise_reference_at_every_length_and_alignment);
    tcase_add_test(tc, test_crc32c_chained_updates_equal_one_update);
    tcase_add_test(tc, test_crc32c_mask_rotates_right_15_and_adds_constant);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(crc32c_suite());
}
