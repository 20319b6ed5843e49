#ifndef RECOMMEND_CRC32C_H
#define RECOMMEND_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected; as iSCSI, ext4 and RFC 3720 define
/// it) of `count` bytes at `bytes`, continuing from `crc` (0 to start). Uses the SSE 4.2
/// `crc32` instruction where the CPU has it (about 8 bytes per 3 cycles), a table otherwise;
/// both give the same value. crc32c("123456789") = 0xE3069283.
uint32_t recommend_crc32c(uint32_t crc, const void *bytes, size_t count);

#endif
