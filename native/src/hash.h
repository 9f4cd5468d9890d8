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

/* Shared claims: one batch hashed by every thread that calls a *_shared entry with the same arguments and
 * the same ``state`` (LV_HASH_SHARED_WORDS int64 words, zeroed before the first call).  Each call claims
 * pieces of ``piece`` items (piece >= 1) by an atomic add on state[0], hashes them and adds their count to
 * state[1], until nothing is left; so the caller and helper threads may join in at different times, a late
 * one simply claims less, and the digests do not depend on how many threads took part or when (each piece
 * writes only its own rows).  Misuse found in a piece (bad offsets) returns its code from the call that
 * claimed it; that piece is never counted finished. */
#define LV_HASH_SHARED_WORDS 2

/* lv_hash_spans over shared claims: offsets are checked per piece, before the piece is read. */
int lv_hash_spans_shared(int algo, int path, const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n,
                         size_t piece, int64_t *state, uint8_t *out);

/* n pairs of 32-byte nodes, 64 bytes each, back to back in ``in``: out[i] = H(in[64i .. 64i+64)), or with
 * 0 <= prefix <= 255, H(prefix || in[64i .. 64i+64)) (RFC 6962's 0x01 interior nodes: each piece copies
 * its 65-byte messages into a stack buffer a group at a time).  ``equal``, when not NULL, is set to 1 when
 * some pair has two equal halves (lv_hash_pairs_equal's check, per piece) and left alone otherwise. */
int lv_hash_pairs_shared(int algo, int path, const uint8_t *in, size_t n, int prefix, size_t piece, int64_t *state,
                         uint8_t *out, uint8_t *equal);

/* Wait, spinning for at most ``spin_ns`` nanoseconds, until state[1] counts all n items finished; 1 when
 * they are (their digests then visible to this thread), else 0.  For a caller whose own claims ran out
 * while another thread finishes its last piece: blocking on that thread costs a wake-up (tens of us). */
int lv_hash_shared_wait(const int64_t *state, size_t n, int64_t spin_ns);

#endif
