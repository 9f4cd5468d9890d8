/* ECDSA over secp256k1: batch verification, public-key recovery, and signing for test data.
 *
 * Every entry point takes n items in flat row-major buffers, writes one status byte per item (1 = valid /
 * done, 0 = invalid / failed) and allocates nothing.  The return value reports misuse only:
 * LV_OK, or LV_EMISUSE for a NULL buffer with n > 0 (lv_status.h). */
#ifndef LV_SECP256K1_H
#define LV_SECP256K1_H
#include <stddef.h>
#include <stdint.h>

#include "lv_status.h"

/* keys: n x 65 bytes, row i holding a SEC1 key in its first key_lens[i] bytes (33: 02/03 || x, 65:
 * 04 || x || y; any other length, e.g. 0, is an invalid item).  digests: n x 32 (the signed value e, big-endian,
 * taken mod n).  sigs: n x 64 (r || s big-endian).  low_s != 0 rejects s > n/2. */
int lv_secp256k1_verify(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *digests, const uint8_t *sigs,
                        size_t n, int low_s, uint8_t *status);

/* Per-key slot cache (rows of an arena the caller owns; see secp256k1_ecdsa_impl.h for the layout).
 * keyslots_fill: row slots[i] of arena gets key i (as in lv_secp256k1_verify) decoded, with the per-key
 * table of the path in use; ok[i] = 0 and the row zeroed when the key does not decode.  The slots must be
 * distinct and not read by any other call meanwhile.
 * verify_slots: lv_secp256k1_verify with slots[i] >= 0 naming a row filled from exactly key i's bytes
 * (keys[i] is then not read), or -1 to decode key i here.  Both return LV_EBADSLOT for a slot
 * outside [-1, arena_rows) (fill: [0, arena_rows)). */
#ifndef LV_SECP256K1_KEYSLOT_BYTES /* overridable only for experiments with the table shape */
#define LV_SECP256K1_KEYSLOT_BYTES 32856
#endif
int lv_secp256k1_keyslots_fill(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *arena,
                               size_t arena_rows, const int32_t *slots, uint8_t *ok);
int lv_secp256k1_verify_slots(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *digests,
                              const uint8_t *sigs, size_t n, int low_s, const uint8_t *arena, size_t arena_rows,
                              const int32_t *slots, uint8_t *status);

/* verify_shared: the items of one batch shared by every thread that calls it with the same arguments: each
 * call claims groups of LV_SECP256K1_SHARED_CHUNK items by an atomic add on *next (0 before the first
 * call) and verifies them until none is left, so helper threads and the caller can join in at different
 * times without a lock or a scheduler.  slots may be NULL (every key decoded here), else as in
 * verify_slots. */
#define LV_SECP256K1_SHARED_CHUNK 32
int lv_secp256k1_verify_shared(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *digests,
                               const uint8_t *sigs, size_t n, int low_s, const uint8_t *arena, size_t arena_rows,
                               const int32_t *slots, int64_t *next, uint8_t *status);

/* Paths (secp256k1_ecdsa_impl.h's K1_PATH_ORDER): PATH_IFMA8 runs eight items per AVX-512 IFMA vector;
 * PATH_SCALAR is the 5x52 path every x86-64 (and any other 64-bit CPU) has, with split per-key tables for
 * cached keys; PATH_ADX is PATH_SCALAR with the split-table chain on a 4x64 MULX/ADX field (x86-64 with
 * BMI2 and ADX).  best_path: the one the entry points above use now (honouring lv_cpu_features' mask);
 * path_ok: whether this CPU and build have it. */
#define LV_SECP256K1_PATH_SCALAR 0
#define LV_SECP256K1_PATH_IFMA8 1
#define LV_SECP256K1_PATH_ADX 2
int lv_secp256k1_best_path(void);
int lv_secp256k1_path_ok(int path);

/* sigs65: n x 65 (r || s || v, v in 0..3 or 27..30: bit 0 = parity of y(R), bit 1 = x(R) is r + n).
 * out33: n x 33 compressed keys (zeros where status is 0). */
int lv_secp256k1_recover(const uint8_t *digests, const uint8_t *sigs65, size_t n, uint8_t *out33,
                         uint8_t *status);

/* NOT side-channel hardened (variable-time): for test data only.  privs, nonces: n x 32 big-endian
 * scalars in [1, n-1]; sigs: n x 64 r || s (s not normalised to low S).  Status 0 when d or k is out of
 * range or r or s comes out 0. */
int lv_secp256k1_sign(const uint8_t *privs, const uint8_t *digests, const uint8_t *nonces, size_t n,
                      uint8_t *sigs, uint8_t *status);

/* out33: n x 33 compressed keys d*G; status 0 when d is 0 or >= n.  Not side-channel hardened. */
int lv_secp256k1_pubkeys(const uint8_t *privs, size_t n, uint8_t *out33, uint8_t *status);

/* ---- Test-only entry points: internal layers exposed for known-answer and random tests. ---- */
#define LV_K1_FE_MUL 0      /* out = a*b */
#define LV_K1_FE_SQR 1      /* out = a^2 */
#define LV_K1_FE_INV 2      /* out = 1/a (0 -> 0) */
#define LV_K1_FE_SQRT 3     /* out = a^((p+1)/4); returns whether a is a square */
#define LV_K1_FE_SUB 4      /* out = a - b */
#define LV_K1_FE_MUL_MAG 5  /* a*b with both inputs first raised to a high magnitude (headroom check) */
#define LV_K1_FE_INV_ALL 6  /* a, b inverted together by Montgomery's trick; out = 1/a || 1/b (64 bytes) */
#define LV_K1_FE4_MUL 7     /* a*b through the 4x64 MULX/ADX field, inputs NOT reduced first (any < 2^256) */
#define LV_K1_FE4_ADD 8     /* a+b, the same */
#define LV_K1_FE4_SUB 9     /* a-b, the same; the three return -1 where the build has no such field */
/* a, b: 32-byte big-endian, < 2^256 (taken mod p).  Returns 1, or 0 (sqrt of a non-square), LV_EMISUSE for an unknown op. */
int lv_secp256k1_test_fe(int op, const uint8_t *a, const uint8_t *b, uint8_t *out);

#define LV_K1_SC_MUL 0      /* out = a*b mod n */
#define LV_K1_SC_ADD 1      /* out = a+b mod n */
#define LV_K1_SC_NEG 2      /* out = -a mod n */
#define LV_K1_SC_INV 3      /* out = 1/a mod n */
#define LV_K1_SC_SPLIT 4    /* out = k1 || k2 (64 bytes, each mod n) with a = k1 + lambda*k2 */
/* a, b: 32-byte big-endian (reduced mod n first).  Returns 1, or LV_EMISUSE for an unknown op. */
int lv_secp256k1_test_scalar(int op, const uint8_t *a, const uint8_t *b, uint8_t *out);

/* digits: 257 ints, the width-w NAF of the 32-byte big-endian a (reduced mod n); returns its length. */
int lv_secp256k1_test_wnaf(const uint8_t *a, int w, int32_t *digits);

/* out65 = na*A + ng*G through the verifier's multi-scalar path for keys seen once, on the current path's
 * field (A a SEC1 key of key_len bytes, or none when
 * key_len is 0).  Returns 1 (out65 = 04 || x || y), 0 for the point at infinity, -3 for an invalid key. */
int lv_secp256k1_test_ecmult(const uint8_t *key, size_t key_len, const uint8_t *na, const uint8_t *ng,
                             uint8_t *out65);

/* out65 = A + B by the mixed (mode 0) or Jacobian (mode 1) addition, or 2A (mode 2); keys as 65-byte 04
 * keys.  Returns 1, 0 for infinity, -3 for an invalid key. */
/* out65 = na*A + ng*G through A's split per-key table (the scalar path for cached keys; key as above),
 * all zero bytes for infinity.  Returns 1, 0 for infinity, -3 for an invalid key.  *split = 0 when the
 * short chain refused the scalars and the cold chain ran. */
int lv_secp256k1_test_ecmult_split(const uint8_t *key, size_t key_len, const uint8_t *na, const uint8_t *ng,
                                   uint8_t *out65, int *split);

int lv_secp256k1_test_add(const uint8_t *a65, const uint8_t *b65, int mode, uint8_t *out65);

/* out256 = the eight 32-byte big-endian in256 values raised to (p+1)/4 (their square roots when squares),
 * through the decompression's exponentiation of the current path (8-lane IFMA, 4x64 MULX/ADX or 5x52).
 * Returns 1 when IFMA was used, 0 otherwise. */
int lv_secp256k1_test_sqrt8(const uint8_t *in256, uint8_t *out256);

/* The 8-lane IFMA multi-scalar path with its scalar fallback: out65[i] = na[i]*A_i + ng[i]*G for eight
 * 65-byte 04 keys (all zero bytes for infinity); *redone = lanes recomputed on the scalar path.
 * Returns 1, -1 when the CPU or build has no IFMA path, -3 for an invalid key.  Not thread-safe. */
int lv_secp256k1_test_ecmult8(const uint8_t *keys65, const uint8_t *na32, const uint8_t *ng32, uint8_t *out65,
                              int *redone);

#endif
