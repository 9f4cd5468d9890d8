/* NIST P-256 (secp256r1) ECDSA kernels: batched verification, test-data signing and public keys, and
 * test-only windows onto the layers.  Layout: row i of a key buffer is 65 bytes holding a SEC1 key in
 * its first key_lens[i] bytes (33 compressed, 65 uncompressed; any other length is a bad key).  Scalars,
 * digests and r||s are big-endian.  Return LV_OK (or a documented count) on success, LV_EMISUSE on
 * misuse; per-item results are status bytes. */
#ifndef LV_P256_H
#define LV_P256_H
#include <stddef.h>
#include <stdint.h>

#include "lv_status.h"
/* Bytes of one key table (precomputed multiples of a public key, opaque; see wei3_keytab_impl.h). */
#define LV_P256_KEYTAB_BYTES 32768
/* Bytes of one lane key table (lv_p256_keytab8, for the AVX-512 IFMA path; see wei3_ifma_keytab_impl.h). */
#define LV_P256_KEYTAB8_BYTES 10304

/* out[i] = 1 when sigs[i] = r||s is a valid ECDSA signature of the 32-byte value digests[i] (used as e
 * after reduction mod n, no hashing) under key i; r, s in [1, n-1]; low_s != 0 also rejects s > n/2. */
int lv_p256_verify(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *digests, const uint8_t *sigs,
                   size_t n, int low_s, uint8_t *out);
/* Test data only, NOT hardened against side channels: sigs[i] = r||s with private key privs[i] and nonce
 * nonces[i]; status[i] = 0 when d or k is out of [1, n-1] or r or s comes out 0. */
int lv_p256_sign(const uint8_t *privs, const uint8_t *digests, const uint8_t *nonces, size_t n, uint8_t *sigs,
                 uint8_t *status);
/* Like lv_p256_verify with key i given by its key table tabs + LV_P256_KEYTAB_BYTES * tab_idx[i]
 * (rows from lv_p256_keytab, ntabs of them; an index outside [0, ntabs) is LV_EBADSLOT). */
int lv_p256_verify_tab(const uint8_t *digests, const uint8_t *sigs, size_t n, int low_s, const uint8_t *tabs,
                       size_t ntabs, const int32_t *tab_idx, uint8_t *out);
/* Key tables of SEC1 keys (rows of stride 65, lengths key_lens): tabs row i (LV_P256_KEYTAB_BYTES) and
 * status[i] = 1, or status[i] = 0 when key i does not decode. */
int lv_p256_keytab(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *tabs, uint8_t *status);
int lv_p256_test_ecmult_tab(const uint8_t *u1_32, const uint8_t *key, unsigned key_len, const uint8_t *u2_32,
                        uint8_t *out65);
int lv_p256_pubkeys(const uint8_t *privs, size_t n, uint8_t *out33, uint8_t *status);
int lv_p256_decompress(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *out65, uint8_t *status);
int lv_p256_test_field(int op, const uint8_t *a32, const uint8_t *b32, uint8_t *out32);
int lv_p256_test_scalar(int op, const uint8_t *a32, const uint8_t *b32, uint8_t *out);
int lv_p256_test_ecmult(const uint8_t *u1_32, const uint8_t *key, unsigned key_len, const uint8_t *u2_32,
                        uint8_t *out65);
/* Test only: the 8-lane field on eight plain big-endian a_i, b_i < p (0 mul, 1 sqr, 2 add, 3 sub, 4 a - 8b,
 * 5 3a, 6 inv, 7 a^((p+1)/4)); out 8 x 32 bytes, fully reduced.  Returns 1, 0 when the CPU lacks
 * AVX-512 IFMA (or it is masked off), LV_EMISUSE for an input >= p or an unknown op. */
int lv_p256_test_field8(int op, const uint8_t *a256, const uint8_t *b256, uint8_t *out256);

/* Paths (wei3_path_impl.h's measured W3_PATH_ORDER): IFMA8 runs eight verifications per AVX-512 IFMA
 * vector, ADX the 4x64 field in MULX/ADX assembly, PORTABLE the 4x64 field in C.  best_path: the one the
 * entry points use now (honouring lv_cpu_features' mask); path_ok: whether this CPU and build have it. */
#define LV_P256_PATH_PORTABLE 0
#define LV_P256_PATH_ADX 1
#define LV_P256_PATH_IFMA8 2
int lv_p256_best_path(void);
int lv_p256_path_ok(int path);

/* The AVX-512 IFMA key-table path: lv_p256_keytab8 builds lane key tables (LV_P256_KEYTAB8_BYTES each, as
 * lv_p256_keytab; on any x86-64 CPU), lv_p256_verify_tab8 verifies over them (as lv_p256_verify_tab); both return
 * LV_EBADPATH where the path is missing (verification: when the IFMA path is not the best path now). */
int lv_p256_keytab8(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *tabs, uint8_t *status);
int lv_p256_verify_tab8(const uint8_t *digests, const uint8_t *sigs, size_t n, int low_s, const uint8_t *tabs,
                        size_t ntabs, const int32_t *tab_idx, uint8_t *out);

#endif
