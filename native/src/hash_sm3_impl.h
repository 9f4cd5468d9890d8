/* SM3 (GM/T 0004-2012): portable scalar code and 16 lanes with AVX-512 (the target has no SM3
 * instructions). */
#ifndef LV_HASH_SM3_IMPL_H
#define LV_HASH_SM3_IMPL_H
#include "hash_common_impl.h"

static const uint32_t SM3_IV[8] = {0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
                                   0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e};

/* rol(T_j, j mod 32), the per-round constant of SS1. */
static inline uint32_t sm3_tj(int j) { return rol32(j < 16 ? 0x79cc4519u : 0x7a879d8au, j % 32); }
static inline uint32_t sm3_p0(uint32_t x) { return x ^ rol32(x, 9) ^ rol32(x, 17); }
static inline uint32_t sm3_p1(uint32_t x) { return x ^ rol32(x, 15) ^ rol32(x, 23); }

static void sm3_expand(uint32_t W[68]) {
    for (int j = 16; j < 68; j++)
        W[j] = sm3_p1(W[j - 16] ^ W[j - 9] ^ rol32(W[j - 3], 15)) ^ rol32(W[j - 13], 7) ^ W[j - 6];
}

/* V = CF(V, B) for the block whose expanded words are W[0..67]. */
static void sm3_rounds(uint32_t V[8], const uint32_t W[68]) {
    uint32_t A = V[0], B = V[1], C = V[2], D = V[3], E = V[4], F = V[5], G = V[6], H = V[7];
    for (int j = 0; j < 64; j++) {
        uint32_t a12 = rol32(A, 12);
        uint32_t ss1 = rol32(a12 + E + sm3_tj(j), 7);
        uint32_t ss2 = ss1 ^ a12;
        uint32_t ff = j < 16 ? (A ^ B ^ C) : ((A & B) | (A & C) | (B & C));
        uint32_t gg = j < 16 ? (E ^ F ^ G) : ((E & F) | (~E & G));
        uint32_t tt1 = ff + D + ss2 + (W[j] ^ W[j + 4]);
        uint32_t tt2 = gg + H + ss1 + W[j];
        D = C; C = rol32(B, 9); B = A; A = tt1;
        H = G; G = rol32(F, 19); F = E; E = sm3_p0(tt2);
    }
    V[0] ^= A; V[1] ^= B; V[2] ^= C; V[3] ^= D; V[4] ^= E; V[5] ^= F; V[6] ^= G; V[7] ^= H;
}

static void sm3_compress(uint32_t V[8], const uint8_t blk[64]) {
    uint32_t W[68];
    for (int j = 0; j < 16; j++) W[j] = rd_be32(blk + 4 * j);
    sm3_expand(W);
    sm3_rounds(V, W);
}

/* The expanded padding block of a 64-byte message (0x80, zeros, bit length 512): constant, so computed
 * once per call rather than once per message. */
static void sm3_pad64_words(uint32_t W[68]) {
    memset(W, 0, 68 * sizeof(uint32_t));
    W[0] = 0x80000000u;
    W[15] = 512;
    sm3_expand(W);
}

static void sm3_one(const uint8_t *p, uint64_t len, uint8_t *out) {
    uint32_t V[8];
    uint8_t blk[64];
    memcpy(V, SM3_IV, sizeof(V));
    uint64_t nb = md_nblocks(len);
    for (uint64_t k = 0; k < nb; k++) {
        if ((k + 1) * 64 <= len) sm3_compress(V, p + 64 * k);
        else { md_block(blk, p, len, k); sm3_compress(V, blk); }
    }
    for (int i = 0; i < 8; i++) wr_be32(out + 4 * i, V[i]);
}

static void sm3_spans_portable(const uint8_t *buf, const int64_t *off, size_t n, uint8_t *out) {
    for (size_t i = 0; i < n; i++) sm3_one(buf + off[i], (uint64_t)(off[i + 1] - off[i]), out + 32 * i);
}

#if defined(__x86_64__)
#include "hash_sha256_x16_impl.h"  /* the shared AVX-512 helpers (V16_*, x16_bswap, x16_load_blocks) */

#define V16_ROL _mm512_rol_epi32
#define SM3_P0(x) V16_T3(x, V16_ROL(x, 9), V16_ROL(x, 17), 0x96)
#define SM3_P1(x) V16_T3(x, V16_ROL(x, 15), V16_ROL(x, 23), 0x96)
/* In-place round: afterwards the caller renames (A,B,C,D,E,F,G,H) <- (D,A,B,C,H,E,F,G). FF/GG are XOR3
 * (0x96) in rounds 0..15, then majority (0xE8) and e ? f : g (0xCA). */
#define SM3_ROUND(A, B, C, D, E, F, G, H, j, FFI, GGI)                                            \
    do {                                                                                          \
        __m512i a12_ = V16_ROL(A, 12);                                                            \
        __m512i ss1_ = V16_ROL(V16_ADD(V16_ADD(a12_, E), _mm512_set1_epi32((int)sm3_tj(j))), 7);  \
        __m512i ss2_ = _mm512_xor_si512(ss1_, a12_);                                              \
        __m512i tt1_ = V16_ADD(V16_ADD(V16_T3(A, B, C, FFI), D),                                  \
                               V16_ADD(ss2_, _mm512_xor_si512(W[j], W[(j) + 4])));                \
        __m512i tt2_ = V16_ADD(V16_ADD(V16_T3(E, F, G, GGI), H), V16_ADD(ss1_, W[j]));            \
        B = V16_ROL(B, 9);                                                                        \
        F = V16_ROL(F, 19);                                                                       \
        D = tt1_;                                                                                 \
        H = SM3_P0(tt2_);                                                                         \
    } while (0)
#define SM3_ROUNDS4(j, FFI, GGI)                                                                  \
    SM3_ROUND(A, B, C, D, E, F, G, H, (j) + 0, FFI, GGI);                                         \
    SM3_ROUND(D, A, B, C, H, E, F, G, (j) + 1, FFI, GGI);                                         \
    SM3_ROUND(C, D, A, B, G, H, E, F, (j) + 2, FFI, GGI);                                         \
    SM3_ROUND(B, C, D, A, F, G, H, E, (j) + 3, FFI, GGI)

TGT_AVX512 static void sm3_x16_rounds(__m512i V[8], const __m512i W[68]) {
    __m512i A = V[0], B = V[1], C = V[2], D = V[3], E = V[4], F = V[5], G = V[6], H = V[7];
#pragma GCC unroll 4
    for (int j = 0; j < 16; j += 4) { SM3_ROUNDS4(j, 0x96, 0x96); }
#pragma GCC unroll 12
    for (int j = 16; j < 64; j += 4) { SM3_ROUNDS4(j, 0xE8, 0xCA); }
    V[0] = _mm512_xor_si512(V[0], A); V[1] = _mm512_xor_si512(V[1], B);
    V[2] = _mm512_xor_si512(V[2], C); V[3] = _mm512_xor_si512(V[3], D);
    V[4] = _mm512_xor_si512(V[4], E); V[5] = _mm512_xor_si512(V[5], F);
    V[6] = _mm512_xor_si512(V[6], G); V[7] = _mm512_xor_si512(V[7], H);
}

TGT_AVX512 static void sm3_x16_compress_w(__m512i V[8], __m512i W[68]) {
#pragma GCC unroll 52
    for (int j = 16; j < 68; j++)
        W[j] = V16_T3(SM3_P1(V16_T3(W[j - 16], W[j - 9], V16_ROL(W[j - 3], 15), 0x96)),
                      V16_ROL(W[j - 13], 7), W[j - 6], 0x96);
    sm3_x16_rounds(V, W);
}

TGT_AVX512 static void sm3_x16_mb_compress(void *state, const uint8_t *blocks) {
    uint32_t *st = (uint32_t *)state;
    __m512i V[8], W[68];
    for (int i = 0; i < 8; i++) V[i] = _mm512_loadu_si512((const void *)(st + 16 * i));
    x16_load_blocks(W, blocks, MB_MAX_BLOCK);
    sm3_x16_compress_w(V, W);
    for (int i = 0; i < 8; i++) _mm512_storeu_si512((void *)(st + 16 * i), V[i]);
}
static void sm3_x16_mb_reset(void *state, int j) { mb16_set(state, j, SM3_IV); }

static void sm3_spans_x16(const uint8_t *buf, const int64_t *off, size_t n, uint8_t *out) {
    mb_algo A = {16, 0, 0, sm3_x16_mb_compress, sm3_x16_mb_reset, mb16_digest};
    uint32_t state[8 * 16] __attribute__((aligned(64)));
    uint8_t blocks[16 * MB_MAX_BLOCK] __attribute__((aligned(64)));
    mb_run(&A, state, blocks, buf, off, n, out);
}

/* 64-byte messages: 16 consecutive blocks are gathered straight from the input; the second (padding)
 * block's expansion is computed once per call. */
TGT_AVX512 static void sm3_64_x16(const uint8_t *in, size_t n, uint8_t *out) {
    uint8_t tail[16 * 64];
    uint32_t pw[68];
    __m512i PW[68];
    sm3_pad64_words(pw);
    for (int j = 0; j < 68; j++) PW[j] = _mm512_set1_epi32((int)pw[j]);
    for (size_t i = 0; i < n; i += 16) {
        size_t cnt;
        const uint8_t *base = lanes_group(in, i, n, 16, 64, tail, &cnt);
        __m512i V[8], W[68];
        for (int k = 0; k < 8; k++) V[k] = _mm512_set1_epi32((int)SM3_IV[k]);
        x16_load_blocks(W, base, 64);
        sm3_x16_compress_w(V, W);
        sm3_x16_rounds(V, PW);
        x16_store_digests(V, out + 32 * i, cnt);
    }
}
#endif

static void sm3_64_portable(const uint8_t *in, size_t n, uint8_t *out) {
    uint32_t pw[68];
    sm3_pad64_words(pw);
    for (size_t i = 0; i < n; i++) {
        uint32_t V[8];
        memcpy(V, SM3_IV, sizeof(V));
        sm3_compress(V, in + 64 * i);
        sm3_rounds(V, pw);
        for (int k = 0; k < 8; k++) wr_be32(out + 32 * i + 4 * k, V[k]);
    }
}
#endif
