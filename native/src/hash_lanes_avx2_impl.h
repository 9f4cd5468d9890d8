/* Shared pieces of the AVX2 multi-buffer hash kernels: eight 32-bit lanes per __m256i (lane j belongs to
 * message j), the 8x8 word transpose that turns eight message blocks into structure-of-arrays words and
 * back, and the lane scheduler's per-lane state access.  AVX2 has no vector rotate and its gathers are
 * slow on the AMD cores we target, so rotations are two shifts and an OR, and blocks are loaded with
 * whole-row loads and a transpose. */
#ifndef LV_HASH_LANES_AVX2_IMPL_H
#define LV_HASH_LANES_AVX2_IMPL_H
#if defined(__x86_64__)
#include <immintrin.h>
#include "hash_common_impl.h"
#define LV_HAVE_AVX2 1
#define TGT_AVX2 __attribute__((target("avx2")))

#define V8_ADD _mm256_add_epi32
#define V8_XOR _mm256_xor_si256
#define V8_AND _mm256_and_si256
#define V8_OR _mm256_or_si256
#define V8_ROR(x, n) V8_OR(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - (n)))
#define V8_ROL(x, n) V8_OR(_mm256_slli_epi32(x, n), _mm256_srli_epi32(x, 32 - (n)))
#define V8_SET1(v) _mm256_set1_epi32((int)(v))

/* r[k] <- word k of every row: an 8x8 transpose of 32-bit words (its own inverse). */
TGT_AVX2 static inline void x8_transpose(__m256i r[8]) {
    __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    r[0] = _mm256_permute2x128_si256(u0, u4, 0x20); r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    r[1] = _mm256_permute2x128_si256(u1, u5, 0x20); r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    r[2] = _mm256_permute2x128_si256(u2, u6, 0x20); r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    r[3] = _mm256_permute2x128_si256(u3, u7, 0x20); r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

TGT_AVX2 static inline __m256i x8_bswap(__m256i x) {
    const __m256i m = _mm256_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3,
                                      12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    return _mm256_shuffle_epi8(x, m);
}

/* Word t of 8 blocks of 64 bytes that start ``stride`` bytes apart, as big-endian values. */
TGT_AVX2 static inline void x8_load_blocks(__m256i W[16], const uint8_t *base, size_t stride) {
    __m256i lo[8], hi[8];
    for (int j = 0; j < 8; j++) {
        lo[j] = _mm256_loadu_si256((const __m256i *)(base + stride * j));
        hi[j] = _mm256_loadu_si256((const __m256i *)(base + stride * j + 32));
    }
    x8_transpose(lo);
    x8_transpose(hi);
    for (int t = 0; t < 8; t++) {
        W[t] = x8_bswap(lo[t]);
        W[t + 8] = x8_bswap(hi[t]);
    }
}

/* The first ``count`` (<= 8) lanes' 32-byte big-endian digests, to out + 32 * lane. */
TGT_AVX2 static inline void x8_store_digests(const __m256i s[8], uint8_t *out, size_t count) {
    __m256i r[8];
    for (int i = 0; i < 8; i++) r[i] = s[i];
    x8_transpose(r);
    for (size_t j = 0; j < count; j++) _mm256_storeu_si256((__m256i *)(out + 32 * j), x8_bswap(r[j]));
}

/* SHA-256 and SM3 run two groups of 8 lanes round by round (16 messages): one group alone leaves the
 * ports idle while it waits on each round's dependency chain, and the second group fills them (SM3 on
 * 64-byte messages: 107 -> 75 ns a message).  Group g holds lanes 8g..8g+7. */
TGT_AVX2 static inline void x8x2_store_digests(const __m256i s0[8], const __m256i s1[8], uint8_t *out,
                                               size_t count) {
    x8_store_digests(s0, out, count < 8 ? count : 8);
    if (count > 8) x8_store_digests(s1, out + 256, count - 8);
}

/* The lane scheduler's 16-lane state [8 words][16 lanes] as two groups of 8 and back. */
TGT_AVX2 static inline void x8x2_state_load(const void *state, __m256i s0[8], __m256i s1[8]) {
    const __m256i *st = (const __m256i *)state;
    for (int i = 0; i < 8; i++) {
        s0[i] = _mm256_loadu_si256(st + 2 * i);
        s1[i] = _mm256_loadu_si256(st + 2 * i + 1);
    }
}
TGT_AVX2 static inline void x8x2_state_store(void *state, const __m256i s0[8], const __m256i s1[8]) {
    __m256i *st = (__m256i *)state;
    for (int i = 0; i < 8; i++) {
        _mm256_storeu_si256(st + 2 * i, s0[i]);
        _mm256_storeu_si256(st + 2 * i + 1, s1[i]);
    }
}
#endif
#endif
