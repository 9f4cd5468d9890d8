#ifndef LV_HASH_H
#define LV_HASH_H
#include <stddef.h>
#include <stdint.h>
#include "lv_status.h"

/* Batch hashing: SHA-256, SHA-256d, SM3 and Keccak-256 over whole batches of messages.
 *
 * Algorithms and code paths are small integers; a path is either forced (tests, benchmarks) or LV_PATH_AUTO,
 * which picks the fastest path the CPU supports (see lv_hash_best_path in hash.c for the measurements).
 * Digests are 32 bytes in each algorithm's own byte order (as hashlib prints them). Nothing here allocates. */
#define LV_HASH_SHA256     0
#define LV_HASH_SHA256D    1
#define LV_HASH_SM3        2
#define LV_HASH_KECCAK256  3

#define LV_PATH_AUTO      (-1)
#define LV_PATH_PORTABLE   0
#define LV_PATH_SHANI      1   /* SHA-256 only: two interleaved streams of SHA-NI */
#define LV_PATH_AVX512     2   /* 16 lanes (SHA-256, SM3) or 8 states (Keccak) per instruction */
#define LV_PATH_AVX2       3   /* 8 lanes (SHA-256, SM3) or 4 states (Keccak) per instruction */

/* Return codes (lv_status.h): LV_OK, LV_EBADALGO, LV_EBADPATH (the path does not exist for this algorithm
 * or this CPU lacks it), LV_EBADOFFSETS (offsets decrease, are negative, or run past buf_len). */

/* The path LV_PATH_AUTO resolves to for ``algo`` on this CPU (after lv_cpu_set_mask); < 0 for a bad algo. */
int lv_hash_best_path(int algo);
/* 1 when ``path`` can run ``algo`` on this CPU, else 0. */
int lv_hash_path_ok(int algo, int path);

/* Message i is buf[offsets[i] .. offsets[i+1]); offsets holds n+1 entries, nondecreasing, each in
 * [0, buf_len]. out receives n*32 bytes. Offsets are checked before anything is read. */
int lv_hash_spans(int algo, int path, const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n,
                  uint8_t *out);

/* n messages of exactly 64 bytes each, back to back in ``in`` (n*64 bytes): the Merkle interior-node case.
 * The padding block is constant here, so its message schedule is precomputed. out receives n*32 bytes. */
int lv_hash_64(int algo, int path, const uint8_t *in, size_t n, uint8_t *out);

/* 1 when some 64-byte message in[64i .. 64i+64) has two equal 32-byte halves (i < n), else 0: Bitcoin's
 * CVE-2012-2459 "mutated" check on one Merkle level, run per chunk beside lv_hash_64. */
int lv_hash_pairs_equal(const uint8_t *in, size_t n);

/* Bitcoin's HASH160, RIPEMD-160(SHA-256(m)), of each span (as lv_hash_spans, SHA-256 on the path ``path``
 * names or picks; RIPEMD-160 with AVX2 8 lanes when the CPU has it); out receives n*20 bytes.  Public-key
 * hashes of P2PKH and P2WPKH outputs. */
int lv_hash160_spans(int path, const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n,
                     uint8_t *out);

/* RIPEMD-160 alone of each span, out n*20 bytes (the known-answer tests check it on its own). */
int lv_ripemd160_spans(const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n, uint8_t *out);

#endif
