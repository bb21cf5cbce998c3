/* ppofw core — CRC-32C (Castagnoli), the checksum of TensorBoard records and of checkpoints.
 *
 * The reflected polynomial 0x82F63B78 with initial value and final xor 0xFFFFFFFF, computed in
 * software (slicing by eight tables). What it leaves out: the SSE4.2 and ARMv8 crc32 instructions,
 * which the sizes we checksum (event records, checkpoints of a few megabytes) do not need.
 */
#ifndef PPO_CRC32C_PRIVATE_H
#define PPO_CRC32C_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "ppo_error_private.h"

/* The CRC-32C of `len` bytes at `buf` continued from `crc`, the value returned for the bytes
 * before them (0 for none): ppo_crc32c_update(0, buf, len) is the CRC of a whole buffer, and
 * update(update(0, a, n), b, m) equals the CRC of a followed by b. Thread-safe. */
PPO_INTERNAL uint32_t ppo_crc32c_update(uint32_t crc, const void *buf, size_t len);

/* TFRecord's masked form of a CRC: rotate right by 15 bits, then add 0xa282ead8 (mod 2^32). */
PPO_INTERNAL uint32_t ppo_crc32c_mask(uint32_t crc);

#endif /* PPO_CRC32C_PRIVATE_H */
