#ifndef THIRD_PARTY_ROCKSDB_CRC32C_H_
#define THIRD_PARTY_ROCKSDB_CRC32C_H_

// RocksDB's CRC-32C on the CPU's crc32 instruction (see rocksdb_crc32c.cc).
//
// Debian builds librocksdb for any x86-64, so it computes the CRC-32C of every WAL record, SST
// block and MANIFEST entry with lookup tables. Linking //third_party:rocksdb puts a definition of
// the library's exported rocksdb::crc32c::Extend into the executable, which the library's own
// calls then reach: the same checksum, computed with SSE4.2 where the CPU has it.

#include <cstddef>
#include <cstdint>

namespace eventmesh::third_party {

// How RocksDB computes CRC-32C in this process: "sse4.2" (the crc32 instruction, through the
// executable's definition), "library" (RocksDB's own: the CPU lacks SSE4.2, or this is not an
// x86-64 build) or "not interposed" (the executable's definition is not the one the library
// reaches, e.g. it was linked without exporting it).
const char* RocksDbCrc32cImplementation();

// The CRC-32C of data[0, n) continuing from `crc` (a previous result, 0 to start), with the
// implementation RocksDbCrc32cImplementation() names: what rocksdb::crc32c::Extend returns.
uint32_t ExtendCrc32c(uint32_t crc, const char* data, size_t n);

}  // namespace eventmesh::third_party

#endif  // THIRD_PARTY_ROCKSDB_CRC32C_H_
