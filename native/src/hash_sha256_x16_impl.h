/* SHA-256 over 16 messages at once with AVX-512: lane j of every vector belongs to message j
 * (structure of arrays), rotations are vprord and the three-input boolean functions one vpternlogd each. */
#ifndef LV_HASH_SHA256_X16_IMPL_H
#define LV_HASH_SHA256_X16_IMPL_H
#if defined(__x86_64__)
#include <immintrin.h>
#include "hash_sha256_impl.h"
#define LV_HAVE_AVX512 1
#define TGT_AVX512 __attribute__((target("avx512f,avx512bw")))

#define V16_ADD _mm512_add_epi32
#define V16_ROR _mm512_ror_epi32
#define V16_T3(x, y, z, imm) _mm512_ternarylogic_epi32(x, y, z, imm)
#define X16_BIGS0(a) V16_T3(V16_ROR(a, 2), V16_ROR(a, 13), V16_ROR(a, 22), 0x96)
#define X16_BIGS1(e) V16_T3(V16_ROR(e, 6), V16_ROR(e, 11), V16_ROR(e, 25), 0x96)
#define X16_SMALLS0(x) V16_T3(V16_ROR(x, 7), V16_ROR(x, 18), _mm512_srli_epi32(x, 3), 0x96)
#define X16_SMALLS1(x) V16_T3(V16_ROR(x, 17), V16_ROR(x, 19), _mm512_srli_epi32(x, 10), 0x96)
/* 0xCA: e ? f : g (Ch); 0xE8: majority (Maj). */
#define X16_ROUND(a, b, c, d, e, f, g, h, kw)                                                      \
    do {                                                                                           \
        __m512i t1_ = V16_ADD(V16_ADD(h, X16_BIGS1(e)), V16_ADD(V16_T3(e, f, g, 0xCA), (kw)));     \
        __m512i t2_ = V16_ADD(X16_BIGS0(a), V16_T3(a, b, c, 0xE8));                                \
        d = V16_ADD(d, t1_);                                                                       \
        h = V16_ADD(t1_, t2_);                                                                     \
    } while (0)
#define X16_ROUNDS8(KW, t)                                                                         \
    X16_ROUND(a, b, c, d, e, f, g, h, KW((t) + 0));                                                \
    X16_ROUND(h, a, b, c, d, e, f, g, KW((t) + 1));                                                \
    X16_ROUND(g, h, a, b, c, d, e, f, KW((t) + 2));                                                \
    X16_ROUND(f, g, h, a, b, c, d, e, KW((t) + 3));                                                \
    X16_ROUND(e, f, g, h, a, b, c, d, KW((t) + 4));                                                \
    X16_ROUND(d, e, f, g, h, a, b, c, KW((t) + 5));                                                \
    X16_ROUND(c, d, e, f, g, h, a, b, KW((t) + 6));                                                \
    X16_ROUND(b, c, d, e, f, g, h, a, KW((t) + 7))

TGT_AVX512 static inline __m512i x16_sched(__m512i *W, int t) {
    if (t >= 16)
        W[t & 15] = V16_ADD(V16_ADD(W[t & 15], X16_SMALLS0(W[(t + 1) & 15])),
                            V16_ADD(W[(t + 9) & 15], X16_SMALLS1(W[(t + 14) & 15])));
    return V16_ADD(W[t & 15], _mm512_set1_epi32((int)SHA256_K[t]));
}

/* s += rounds(s, W); W (16 words, big-endian values already) is consumed as the schedule. */
TGT_AVX512 static void x16_compress_w(__m512i s[8], __m512i W[16]) {
    __m512i a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
#define KW_SCHED(t) x16_sched(W, t)
#pragma GCC unroll 8
    for (int t = 0; t < 64; t += 8) { X16_ROUNDS8(KW_SCHED, t); }
#undef KW_SCHED
    s[0] = V16_ADD(s[0], a); s[1] = V16_ADD(s[1], b); s[2] = V16_ADD(s[2], c); s[3] = V16_ADD(s[3], d);
    s[4] = V16_ADD(s[4], e); s[5] = V16_ADD(s[5], f); s[6] = V16_ADD(s[6], g); s[7] = V16_ADD(s[7], h);
}

/* The constant padding block of 64-byte messages: no schedule, K+W broadcast from a table. */
TGT_AVX512 static void x16_compress_pad64(__m512i s[8]) {
    __m512i a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
#define KW_CONST(t) _mm512_set1_epi32((int)SHA256_KW64[t])
#pragma GCC unroll 8
    for (int t = 0; t < 64; t += 8) { X16_ROUNDS8(KW_CONST, t); }
#undef KW_CONST
    s[0] = V16_ADD(s[0], a); s[1] = V16_ADD(s[1], b); s[2] = V16_ADD(s[2], c); s[3] = V16_ADD(s[3], d);
    s[4] = V16_ADD(s[4], e); s[5] = V16_ADD(s[5], f); s[6] = V16_ADD(s[6], g); s[7] = V16_ADD(s[7], h);
}

TGT_AVX512 static inline __m512i x16_bswap(__m512i x) {
    const __m512i m = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
    return _mm512_shuffle_epi8(x, m);
}

/* Word t of 16 blocks that start ``stride`` bytes apart, as big-endian values: a gather transposes. */
TGT_AVX512 static inline void x16_load_blocks(__m512i W[16], const uint8_t *base, int stride) {
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i idx = _mm512_mullo_epi32(lane, _mm512_set1_epi32(stride));
    for (int t = 0; t < 16; t++)
        W[t] = x16_bswap(_mm512_i32gather_epi32(V16_ADD(idx, _mm512_set1_epi32(4 * t)), (const void *)base, 1));
}

TGT_AVX512 static void x16_iv(__m512i s[8]) {
    for (int i = 0; i < 8; i++) s[i] = _mm512_set1_epi32((int)SHA256_IV[i]);
}

/* SHA-256d's second block: the first digest words are W[0..7] of a 32-byte message. */
TGT_AVX512 static void x16_second(__m512i s[8]) {
    __m512i W[16];
    for (int i = 0; i < 8; i++) W[i] = s[i];
    W[8] = _mm512_set1_epi32((int)0x80000000u);
    for (int i = 9; i < 15; i++) W[i] = _mm512_setzero_si512();
    W[15] = _mm512_set1_epi32(256);
    x16_iv(s);
    x16_compress_w(s, W);
}

TGT_AVX512 static void x16_store_digests(const __m512i s[8], uint8_t *out, size_t count) {
    uint32_t w[8][16];
    for (int i = 0; i < 8; i++) _mm512_storeu_si512((void *)w[i], s[i]);
    for (size_t j = 0; j < count; j++)
        for (int i = 0; i < 8; i++) wr_be32(out + 32 * j + 4 * i, w[i][j]);
}

TGT_AVX512 static void sha256_64_x16(const uint8_t *in, size_t n, int dbl, uint8_t *out) {
    uint8_t tail[16 * 64];
    for (size_t i = 0; i < n; i += 16) {
        size_t cnt;
        const uint8_t *base = lanes_group(in, i, n, 16, 64, tail, &cnt);
        __m512i s[8], W[16];
        x16_iv(s);
        x16_load_blocks(W, base, 64);
        x16_compress_w(s, W);
        x16_compress_pad64(s);
        if (dbl) x16_second(s);
        x16_store_digests(s, out + 32 * i, cnt);
    }
}

/* The lane scheduler's view: state [8 words][16 lanes], blocks [16 lanes][MB_MAX_BLOCK]. */
TGT_AVX512 static void x16_mb_compress(void *state, const uint8_t *blocks) {
    uint32_t *st = (uint32_t *)state;
    __m512i s[8], W[16];
    for (int i = 0; i < 8; i++) s[i] = _mm512_loadu_si512((const void *)(st + 16 * i));
    x16_load_blocks(W, blocks, MB_MAX_BLOCK);
    x16_compress_w(s, W);
    for (int i = 0; i < 8; i++) _mm512_storeu_si512((void *)(st + 16 * i), s[i]);
}
static void x16_mb_reset_sha256(void *state, int j) { mb16_set(state, j, SHA256_IV); }

static void sha256_spans_x16(const uint8_t *buf, const int64_t *off, size_t n, int dbl, uint8_t *out) {
    mb_algo A = {16, 0, dbl, x16_mb_compress, x16_mb_reset_sha256, mb16_digest};
    uint32_t state[8 * 16] __attribute__((aligned(64)));
    uint8_t blocks[16 * MB_MAX_BLOCK] __attribute__((aligned(64)));
    mb_run(&A, state, blocks, buf, off, n, out);
}
#endif
#endif
