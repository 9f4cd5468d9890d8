/* Keccak-256 (original Keccak padding 0x01..0x80, as Ethereum uses; rate 136 bytes): portable
 * Keccak-f[1600] and 8 states at once with AVX-512 (lane j of each 512-bit vector is state j). */
#ifndef LV_HASH_KECCAK_IMPL_H
#define LV_HASH_KECCAK_IMPL_H
#include "hash_common_impl.h"

static const uint64_t KECCAK_RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL,
    0x000000000000808BULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008AULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};
/* rho offsets, indexed x + 5y */
static const int KECCAK_RHO[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                   25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

static void keccak_f1600(uint64_t A[25]) {
    uint64_t B[25], C[5], D[5];
    for (int r = 0; r < 24; r++) {
        for (int x = 0; x < 5; x++) C[x] = A[x] ^ A[x + 5] ^ A[x + 10] ^ A[x + 15] ^ A[x + 20];
        for (int x = 0; x < 5; x++) D[x] = C[(x + 4) % 5] ^ rol64(C[(x + 1) % 5], 1);
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++) {
                /* theta, then rho and pi: (x, y) moves to (y, 2x + 3y) */
                B[y + 5 * ((2 * x + 3 * y) % 5)] = rol64(A[x + 5 * y] ^ D[x], KECCAK_RHO[x + 5 * y]);
            }
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++)
                A[x + 5 * y] = B[x + 5 * y] ^ (~B[(x + 1) % 5 + 5 * y] & B[(x + 2) % 5 + 5 * y]);
        A[0] ^= KECCAK_RC[r];
    }
}

static void keccak256_one(const uint8_t *p, uint64_t len, uint8_t *out) {
    uint64_t A[25];
    uint8_t blk[KECCAK_RATE];
    memset(A, 0, sizeof(A));
    uint64_t nb = kk_nblocks(len);
    for (uint64_t k = 0; k < nb; k++) {
        const uint8_t *b = p + KECCAK_RATE * k;
        if (k + 1 == nb) { kk_block(blk, p, len, k); b = blk; }
        for (int w = 0; w < KECCAK_RATE / 8; w++) A[w] ^= rd_le64(b + 8 * w);
        keccak_f1600(A);
    }
    for (int w = 0; w < 4; w++) wr_le64(out + 8 * w, A[w]);
}

static void keccak256_spans_portable(const uint8_t *buf, const int64_t *off, size_t n, uint8_t *out) {
    for (size_t i = 0; i < n; i++) keccak256_one(buf + off[i], (uint64_t)(off[i + 1] - off[i]), out + 32 * i);
}

#if defined(__x86_64__)
#include <immintrin.h>
#define TGT_AVX512F __attribute__((target("avx512f")))

TGT_AVX512F static void keccak_x8_f1600(__m512i A[25]) {
    __m512i B[25], C[5], D[5];
    for (int r = 0; r < 24; r++) {
        for (int x = 0; x < 5; x++)
            C[x] = _mm512_ternarylogic_epi64(_mm512_ternarylogic_epi64(A[x], A[x + 5], A[x + 10], 0x96),
                                             A[x + 15], A[x + 20], 0x96);
        for (int x = 0; x < 5; x++)
            D[x] = _mm512_xor_si512(C[(x + 4) % 5], _mm512_rol_epi64(C[(x + 1) % 5], 1));
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++)
                B[y + 5 * ((2 * x + 3 * y) % 5)] =
                    _mm512_rolv_epi64(_mm512_xor_si512(A[x + 5 * y], D[x]),
                                      _mm512_set1_epi64(KECCAK_RHO[x + 5 * y]));
        /* chi: 0xD2 is a ^ (~b & c) */
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++)
                A[x + 5 * y] = _mm512_ternarylogic_epi64(B[x + 5 * y], B[(x + 1) % 5 + 5 * y],
                                                         B[(x + 2) % 5 + 5 * y], 0xD2);
        A[0] = _mm512_xor_si512(A[0], _mm512_set1_epi64((long long)KECCAK_RC[r]));
    }
}

/* Lane scheduler callbacks: state [25 words][8 lanes], blocks [8 lanes][MB_MAX_BLOCK]. */
TGT_AVX512F static void keccak_x8_mb_compress(void *state, const uint8_t *blocks) {
    uint64_t *st = (uint64_t *)state;
    __m512i A[25];
    const __m512i idx = _mm512_set_epi64(7 * MB_MAX_BLOCK, 6 * MB_MAX_BLOCK, 5 * MB_MAX_BLOCK,
                                         4 * MB_MAX_BLOCK, 3 * MB_MAX_BLOCK, 2 * MB_MAX_BLOCK,
                                         1 * MB_MAX_BLOCK, 0);
    for (int w = 0; w < 25; w++) A[w] = _mm512_loadu_si512((const void *)(st + 8 * w));
    for (int w = 0; w < KECCAK_RATE / 8; w++)
        A[w] = _mm512_xor_si512(A[w], _mm512_i64gather_epi64(_mm512_add_epi64(idx, _mm512_set1_epi64(8 * w)),
                                                              (const void *)blocks, 1));
    keccak_x8_f1600(A);
    for (int w = 0; w < 25; w++) _mm512_storeu_si512((void *)(st + 8 * w), A[w]);
}
static void keccak_x8_mb_reset(void *state, int j) {
    for (int w = 0; w < 25; w++) ((uint64_t *)state)[8 * w + j] = 0;
}
static void keccak_x8_mb_digest(const void *state, int j, uint8_t *out) {
    for (int w = 0; w < 4; w++) wr_le64(out + 8 * w, ((const uint64_t *)state)[8 * w + j]);
}

static void keccak256_spans_x8(const uint8_t *buf, const int64_t *off, size_t n, uint8_t *out) {
    mb_algo A = {8, 1, 0, keccak_x8_mb_compress, keccak_x8_mb_reset, keccak_x8_mb_digest};
    uint64_t state[25 * 8] __attribute__((aligned(64)));
    uint8_t blocks[8 * MB_MAX_BLOCK] __attribute__((aligned(64)));
    mb_run(&A, state, blocks, buf, off, n, out);
}
/* 64-byte messages: one block, whose padding words are constants (0x01 at byte 64, 0x80 at byte 135). */
TGT_AVX512F static void keccak256_64_x8(const uint8_t *in, size_t n, uint8_t *out) {
    uint8_t tail[8 * 64];
    const __m512i idx = _mm512_set_epi64(7 * 64, 6 * 64, 5 * 64, 4 * 64, 3 * 64, 2 * 64, 64, 0);
    for (size_t i = 0; i < n; i += 8) {
        size_t cnt;
        const uint8_t *base = lanes_group(in, i, n, 8, 64, tail, &cnt);
        __m512i A[25];
        for (int w = 0; w < 8; w++)
            A[w] = _mm512_i64gather_epi64(_mm512_add_epi64(idx, _mm512_set1_epi64(8 * w)), (const void *)base, 1);
        for (int w = 8; w < 25; w++) A[w] = _mm512_setzero_si512();
        A[8] = _mm512_set1_epi64(0x01);
        A[16] = _mm512_set1_epi64((long long)0x8000000000000000ULL);
        keccak_x8_f1600(A);
        uint64_t w4[4][8];
        for (int w = 0; w < 4; w++) _mm512_storeu_si512((void *)w4[w], A[w]);
        for (size_t j = 0; j < cnt; j++)
            for (int w = 0; w < 4; w++) wr_le64(out + 32 * (i + j) + 8 * w, w4[w][j]);
    }
}
#endif
#endif
