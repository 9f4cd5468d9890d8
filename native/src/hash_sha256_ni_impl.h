/* SHA-256 with the SHA extensions (SHA-NI), two messages interleaved: sha256rnds2 has a latency of several
 * cycles, so a second independent stream fills the pipeline. */
#ifndef LV_HASH_SHA256_NI_IMPL_H
#define LV_HASH_SHA256_NI_IMPL_H
#if defined(__x86_64__)
#include <immintrin.h>
#include "hash_sha256_impl.h"
#define LV_HAVE_SHANI 1
#define TGT_SHANI __attribute__((target("sha,sse4.1,ssse3")))

/* ABEF/CDGH register form that sha256rnds2 works on, from and to the eight state words. */
TGT_SHANI static inline void ni_load(const uint32_t s[8], __m128i *st0, __m128i *st1) {
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s), 0xB1);
    __m128i u = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(s + 4)), 0x1B);
    *st0 = _mm_alignr_epi8(t, u, 8);
    *st1 = _mm_blend_epi16(u, t, 0xF0);
}
TGT_SHANI static inline void ni_store(__m128i st0, __m128i st1, uint32_t s[8]) {
    __m128i t = _mm_shuffle_epi32(st0, 0x1B);
    __m128i u = _mm_shuffle_epi32(st1, 0xB1);
    _mm_storeu_si128((__m128i *)s, _mm_blend_epi16(t, u, 0xF0));
    _mm_storeu_si128((__m128i *)(s + 4), _mm_alignr_epi8(u, t, 8));
}

#define NI_BSWAP _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL)

/* One block for each of two streams (a, b).  kw != NULL: the block is the constant padding block whose
 * K+W words are given, and pa/pb are ignored. */
TGT_SHANI static void ni_block_x2(__m128i *a0, __m128i *a1, __m128i *b0, __m128i *b1, const uint8_t *pa,
                                  const uint8_t *pb, const uint32_t *kw) {
    __m128i sa0 = *a0, sa1 = *a1, sb0 = *b0, sb1 = *b1;
    __m128i ma[4], mb[4];
    if (!kw) {
        const __m128i bs = NI_BSWAP;
        for (int i = 0; i < 4; i++) {
            ma[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(pa + 16 * i)), bs);
            mb[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(pb + 16 * i)), bs);
        }
    }
    for (int i = 0; i < 16; i++) {
        __m128i xa, xb;
        if (kw) {
            xa = xb = _mm_loadu_si128((const __m128i *)(kw + 4 * i));
        } else {
            if (i >= 4) {
                __m128i ta = _mm_add_epi32(_mm_sha256msg1_epu32(ma[i & 3], ma[(i + 1) & 3]),
                                           _mm_alignr_epi8(ma[(i + 3) & 3], ma[(i + 2) & 3], 4));
                __m128i tb = _mm_add_epi32(_mm_sha256msg1_epu32(mb[i & 3], mb[(i + 1) & 3]),
                                           _mm_alignr_epi8(mb[(i + 3) & 3], mb[(i + 2) & 3], 4));
                ma[i & 3] = _mm_sha256msg2_epu32(ta, ma[(i + 3) & 3]);
                mb[i & 3] = _mm_sha256msg2_epu32(tb, mb[(i + 3) & 3]);
            }
            __m128i k = _mm_loadu_si128((const __m128i *)(SHA256_K + 4 * i));
            xa = _mm_add_epi32(ma[i & 3], k);
            xb = _mm_add_epi32(mb[i & 3], k);
        }
        sa1 = _mm_sha256rnds2_epu32(sa1, sa0, xa);
        sb1 = _mm_sha256rnds2_epu32(sb1, sb0, xb);
        sa0 = _mm_sha256rnds2_epu32(sa0, sa1, _mm_shuffle_epi32(xa, 0x0E));
        sb0 = _mm_sha256rnds2_epu32(sb0, sb1, _mm_shuffle_epi32(xb, 0x0E));
    }
    *a0 = _mm_add_epi32(*a0, sa0); *a1 = _mm_add_epi32(*a1, sa1);
    *b0 = _mm_add_epi32(*b0, sb0); *b1 = _mm_add_epi32(*b1, sb1);
}

TGT_SHANI static void ni_digest(__m128i st0, __m128i st1, uint8_t *out) {
    uint32_t s[8];
    ni_store(st0, st1, s);
    sha256_digest_words(s, out);
}

/* SHA-256d's second block from the first digest. */
TGT_SHANI static void ni_second_x2(__m128i *a0, __m128i *a1, __m128i *b0, __m128i *b1) {
    uint8_t ba[64], bb[64];
    memset(ba, 0, 64); memset(bb, 0, 64);
    ni_digest(*a0, *a1, ba); ni_digest(*b0, *b1, bb);
    ba[32] = bb[32] = 0x80;
    ba[62] = bb[62] = 0x01;  /* 256 bits */
    ni_load(SHA256_IV, a0, a1);
    ni_load(SHA256_IV, b0, b1);
    ni_block_x2(a0, a1, b0, b1, ba, bb, NULL);
}

/* Two messages together: both advance while both have blocks left, then the longer one alone (its partner
 * slot recomputes a dummy block whose result is dropped). */
TGT_SHANI static void ni_pair(const uint8_t *pa, uint64_t la, const uint8_t *pb, uint64_t lb, int dbl,
                              uint8_t *outa, uint8_t *outb) {
    uint8_t ta[64], tb[64], dummy[64];
    memset(dummy, 0, 64);
    uint64_t na = md_nblocks(la), nb = md_nblocks(lb);
    __m128i a0, a1, b0, b1, d0, d1;
    ni_load(SHA256_IV, &d0, &d1);
    ni_load(SHA256_IV, &a0, &a1);
    ni_load(SHA256_IV, &b0, &b1);
    uint64_t both = na < nb ? na : nb;
    for (uint64_t k = 0; k < both; k++) {
        const uint8_t *xa = (k + 1) * 64 <= la ? pa + 64 * k : (md_block(ta, pa, la, k), ta);
        const uint8_t *xb = (k + 1) * 64 <= lb ? pb + 64 * k : (md_block(tb, pb, lb, k), tb);
        ni_block_x2(&a0, &a1, &b0, &b1, xa, xb, NULL);
    }
    for (uint64_t k = both; k < na; k++) {
        const uint8_t *xa = (k + 1) * 64 <= la ? pa + 64 * k : (md_block(ta, pa, la, k), ta);
        ni_block_x2(&a0, &a1, &d0, &d1, xa, dummy, NULL);
    }
    for (uint64_t k = both; k < nb; k++) {
        const uint8_t *xb = (k + 1) * 64 <= lb ? pb + 64 * k : (md_block(tb, pb, lb, k), tb);
        ni_block_x2(&d0, &d1, &b0, &b1, dummy, xb, NULL);
    }
    if (dbl) ni_second_x2(&a0, &a1, &b0, &b1);
    ni_digest(a0, a1, outa);
    ni_digest(b0, b1, outb);
}

/* Messages in pairs.  An odd last message pairs with an empty one whose digest is dropped: the portable code
 * it once fell to ran a lone 200 KB message at 649 us against 175 us here (one core of the EPYC target). */
TGT_SHANI static void sha256_spans_ni(const uint8_t *buf, const int64_t *off, size_t n, int dbl, uint8_t *out) {
    uint8_t drop[32];
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        ni_pair(buf + off[i], (uint64_t)(off[i + 1] - off[i]), buf + off[i + 1], (uint64_t)(off[i + 2] - off[i + 1]),
                dbl, out + 32 * i, out + 32 * (i + 1));
    if (i < n) ni_pair(buf + off[i], (uint64_t)(off[i + 1] - off[i]), buf + off[i], 0, dbl, out + 32 * i, drop);
}

TGT_SHANI static void sha256_64_ni(const uint8_t *in, size_t n, int dbl, uint8_t *out) {
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        __m128i a0, a1, b0, b1;
        ni_load(SHA256_IV, &a0, &a1);
        ni_load(SHA256_IV, &b0, &b1);
        ni_block_x2(&a0, &a1, &b0, &b1, in + 64 * i, in + 64 * (i + 1), NULL);
        ni_block_x2(&a0, &a1, &b0, &b1, NULL, NULL, SHA256_KW64);
        if (dbl) ni_second_x2(&a0, &a1, &b0, &b1);
        ni_digest(a0, a1, out + 32 * i);
        ni_digest(b0, b1, out + 32 * (i + 1));
    }
    if (i < n) {   /* the odd one in both streams, the second copy dropped */
        uint8_t drop[32];
        __m128i a0, a1, b0, b1;
        ni_load(SHA256_IV, &a0, &a1);
        ni_load(SHA256_IV, &b0, &b1);
        ni_block_x2(&a0, &a1, &b0, &b1, in + 64 * i, in + 64 * i, NULL);
        ni_block_x2(&a0, &a1, &b0, &b1, NULL, NULL, SHA256_KW64);
        if (dbl) ni_second_x2(&a0, &a1, &b0, &b1);
        ni_digest(a0, a1, out + 32 * i);
        ni_digest(b0, b1, drop);
    }
}
#endif
#endif
