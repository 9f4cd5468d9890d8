/* SM3 over 16 messages at once with AVX2, as two groups of 8 lanes (see hash_lanes_avx2_impl.h); the
 * AVX-512 x16 kernel's round structure, with rotations as shift pairs and P0/P1 factored so that one
 * rotation is a byte shuffle:
 * x ^ rol(x, 9) ^ rol(x, 17) = x ^ rol(x ^ rol(x, 8), 9), and likewise P1 with 15 and 23. */
#ifndef LV_HASH_SM3_AVX2_IMPL_H
#define LV_HASH_SM3_AVX2_IMPL_H
#if defined(__x86_64__)
#include "hash_lanes_avx2_impl.h"
#include "hash_sm3_impl.h"

#define V8_ROL8(x)                                                                                 \
    _mm256_shuffle_epi8(x, _mm256_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3,   \
                                           14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3))
#define SM3X8_P0(x) V8_XOR(x, V8_ROL(V8_XOR(x, V8_ROL8(x)), 9))
#define SM3X8_P1(x) V8_XOR(x, V8_ROL(V8_XOR(x, V8_ROL8(x)), 15))
#define SM3X8_FF_XOR(a, b, c) V8_XOR(V8_XOR(a, b), c)
#define SM3X8_FF_MAJ(a, b, c) V8_OR(V8_AND(a, b), V8_AND(c, V8_OR(a, b)))
#define SM3X8_GG_CH(e, f, g) V8_XOR(g, V8_AND(e, V8_XOR(f, g)))
/* In-place round: afterwards the caller renames (A,B,C,D,E,F,G,H) <- (D,A,B,C,H,E,F,G).  The sums are
 * grouped so that what hangs off the last-ready value (E, then SS1) is one add: E sits on the longest
 * dependency chain (P0 of the previous round), A is ready a few cycles earlier. */
#define SM3X8_ROUND(A, B, C, D, E, F, G, H, j, FF, GG)                                            \
    do {                                                                                          \
        __m256i a12_ = V8_ROL(A, 12);                                                             \
        __m256i ss1_ = V8_ROL(V8_ADD(V8_ADD(a12_, V8_SET1(sm3_tj(j))), E), 7);                    \
        __m256i x1_ = V8_ADD(V8_ADD(FF(A, B, C), D), V8_XOR(W[j], W[(j) + 4]));                  \
        __m256i x2_ = V8_ADD(V8_ADD(GG(E, F, G), H), W[j]);                                       \
        D = V8_ADD(x1_, V8_XOR(ss1_, a12_));                                                      \
        H = SM3X8_P0(V8_ADD(x2_, ss1_));                                                          \
        B = V8_ROL(B, 9);                                                                         \
        F = V8_ROL(F, 19);                                                                        \
    } while (0)
#define SM3X8_ROUNDS4(j, FF, GG)                                                                  \
    SM3X8_ROUND(A, B, C, D, E, F, G, H, (j) + 0, FF, GG);                                         \
    SM3X8_ROUND(D, A, B, C, H, E, F, G, (j) + 1, FF, GG);                                         \
    SM3X8_ROUND(C, D, A, B, G, H, E, F, (j) + 2, FF, GG);                                         \
    SM3X8_ROUND(B, C, D, A, F, G, H, E, (j) + 3, FF, GG)

/* One round on both groups; group g reads its expanded words from Ws[g]. */
#define SM3X8X2_ROUND(A, B, C, D, E, F, G, H, j, FF, GG)                                          \
    do {                                                                                          \
        for (int g_ = 0; g_ < 2; g_++) {                                                          \
            const __m256i *W = Ws[g_];                                                            \
            SM3X8_ROUND(A[g_], B[g_], C[g_], D[g_], E[g_], F[g_], G[g_], H[g_], j, FF, GG);       \
        }                                                                                         \
    } while (0)
#define SM3X8X2_ROUNDS4(j, FF, GG)                                                                \
    SM3X8X2_ROUND(A, B, C, D, E, F, G, H, (j) + 0, FF, GG);                                       \
    SM3X8X2_ROUND(D, A, B, C, H, E, F, G, (j) + 1, FF, GG);                                       \
    SM3X8X2_ROUND(C, D, A, B, G, H, E, F, (j) + 2, FF, GG);                                       \
    SM3X8X2_ROUND(B, C, D, A, F, G, H, E, (j) + 3, FF, GG)

/* V_g = CF(V_g, block) for the blocks whose expanded words are W0[0..67] and W1[0..67]. */
TGT_AVX2 static void sm3_x8x2_rounds(__m256i V0[8], __m256i V1[8], const __m256i *W0, const __m256i *W1) {
    const __m256i *Ws[2] = {W0, W1};
    __m256i A[2] = {V0[0], V1[0]}, B[2] = {V0[1], V1[1]}, C[2] = {V0[2], V1[2]}, D[2] = {V0[3], V1[3]};
    __m256i E[2] = {V0[4], V1[4]}, F[2] = {V0[5], V1[5]}, G[2] = {V0[6], V1[6]}, H[2] = {V0[7], V1[7]};
#pragma GCC unroll 4
    for (int j = 0; j < 16; j += 4) { SM3X8X2_ROUNDS4(j, SM3X8_FF_XOR, SM3X8_FF_XOR); }
/* 16 rounds a pass, not all 48 unrolled: the unrolled body (~5,000 instructions on both groups) left the
 * kernel front-end bound and at the mercy of code layout (the same source measured 62 or 77 ns a 64-byte
 * message between builds); 16 a pass: 58.7-59.6 ns, 65-byte spans 80-82 against 87-89 (2026-12-04, Zen 4 at
 * the AVX2 tier, thread CPU time, best of 120 over 16,384 messages; all 48 rolled: 60 / 82). */
#pragma GCC unroll 4
    for (int j = 16; j < 64; j += 4) { SM3X8X2_ROUNDS4(j, SM3X8_FF_MAJ, SM3X8_GG_CH); }
    __m256i *Vs[2] = {V0, V1};
    for (int g = 0; g < 2; g++) {
        __m256i *V = Vs[g];
        V[0] = V8_XOR(V[0], A[g]); V[1] = V8_XOR(V[1], B[g]); V[2] = V8_XOR(V[2], C[g]); V[3] = V8_XOR(V[3], D[g]);
        V[4] = V8_XOR(V[4], E[g]); V[5] = V8_XOR(V[5], F[g]); V[6] = V8_XOR(V[6], G[g]); V[7] = V8_XOR(V[7], H[g]);
    }
}

/* W[16..67] from the block words W[0..15]. */
TGT_AVX2 static void sm3_x8_expand(__m256i W[68]) {
#pragma GCC unroll 52
    for (int j = 16; j < 68; j++)
        W[j] = V8_XOR(V8_XOR(SM3X8_P1(V8_XOR(V8_XOR(W[j - 16], W[j - 9]), V8_ROL(W[j - 3], 15))),
                             V8_ROL(W[j - 13], 7)),
                      W[j - 6]);
}

TGT_AVX2 static void sm3_x8_iv(__m256i V[8]) {
    for (int k = 0; k < 8; k++) V[k] = V8_SET1(SM3_IV[k]);
}

/* The lane scheduler's view: state [8 words][16 lanes], blocks [16 lanes][MB_MAX_BLOCK]. */
TGT_AVX2 static void sm3_x8x2_mb_compress(void *state, const uint8_t *blocks) {
    __m256i V0[8], V1[8], W0[68], W1[68];
    x8x2_state_load(state, V0, V1);
    x8_load_blocks(W0, blocks, MB_MAX_BLOCK);
    x8_load_blocks(W1, blocks + 8 * MB_MAX_BLOCK, MB_MAX_BLOCK);
    sm3_x8_expand(W0);
    sm3_x8_expand(W1);
    sm3_x8x2_rounds(V0, V1, W0, W1);
    x8x2_state_store(state, V0, V1);
}
static void sm3_x8x2_mb_reset(void *state, int j) { mb16_set(state, j, SM3_IV); }

static void sm3_spans_avx2(const uint8_t *buf, const int64_t *off, size_t n, uint8_t *out) {
    mb_algo A = {16, 0, 0, sm3_x8x2_mb_compress, sm3_x8x2_mb_reset, mb16_digest};
    uint32_t state[8 * 16] __attribute__((aligned(32)));
    uint8_t blocks[16 * MB_MAX_BLOCK] __attribute__((aligned(32)));
    mb_run(&A, state, blocks, buf, off, n, out);
}

/* 64-byte messages: the second (padding) block's expansion is computed once per call. */
TGT_AVX2 static void sm3_64_avx2(const uint8_t *in, size_t n, uint8_t *out) {
    uint8_t tail[16 * 64];
    uint32_t pw[68];
    __m256i PW[68];
    sm3_pad64_words(pw);
    for (int j = 0; j < 68; j++) PW[j] = V8_SET1(pw[j]);
    for (size_t i = 0; i < n; i += 16) {
        size_t cnt;
        const uint8_t *base = lanes_group(in, i, n, 16, 64, tail, &cnt);
        __m256i V0[8], V1[8], W0[68], W1[68];
        sm3_x8_iv(V0);
        sm3_x8_iv(V1);
        x8_load_blocks(W0, base, 64);
        x8_load_blocks(W1, base + 8 * 64, 64);
        sm3_x8_expand(W0);
        sm3_x8_expand(W1);
        sm3_x8x2_rounds(V0, V1, W0, W1);
        sm3_x8x2_rounds(V0, V1, PW, PW);
        x8x2_store_digests(V0, V1, out + 32 * i, cnt);
    }
}
#endif
#endif
