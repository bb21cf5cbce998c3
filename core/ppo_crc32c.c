/* ppofw core — CRC-32C (Castagnoli) in software, slicing by eight.
 *
 * table[0] is the classic byte-at-a-time table; table[k][b] is the CRC of byte b followed by k
 * zero bytes, so eight input bytes fold into the CRC with eight independent look-ups. The tables
 * are built once, on first use. What it leaves out: hardware crc32 instructions.
 */
#include "config.h"

#include "ppo_crc32c_private.h"

#define CRC32C_POLY 0x82F63B78u /* reflected Castagnoli polynomial */

static uint32_t crc_table[8][256]; /* [k][byte]: see the top comment */

static void crc_tables_build(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t crc = b;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (CRC32C_POLY & (0u - (crc & 1u)));
        crc_table[0][b] = crc;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            crc_table[k][b] = (crc_table[k - 1][b] >> 8) ^ crc_table[0][crc_table[k - 1][b] & 0xff];
}

uint32_t ppo_crc32c_update(uint32_t crc, const void *buf, size_t len)
{
    static gsize built = 0;
    const uint8_t *p = buf;

    if (g_once_init_enter(&built)) {
        crc_tables_build();
        g_once_init_leave(&built, 1);
    }

    crc = ~crc;
    /* eight bytes at a time, read as two little-endian words whatever the host order */
    while (len >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
              crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^
              crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
        p += 8;
        len -= 8;
    }
    /* the tail byte by byte */
    while (len-- > 0)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

uint32_t ppo_crc32c_mask(uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
