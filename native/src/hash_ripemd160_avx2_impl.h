/* RIPEMD-160 of 32-byte messages, 8 at a time with AVX2 (lane j of every vector is message j): HASH160's
 * second step, whose input is always one SHA-256 digest, so the single block's padding words are constants.
 * The left and right lines are two independent dependency chains, so one group of 8 keeps the ports busy.
 * Scalar RIPEMD-160 was 111 of HASH160's 135 ns a key on the AMD EPYC target (SHA-256 on SHA-NI: 24). */
#ifndef LV_HASH_RIPEMD160_AVX2_IMPL_H
#define LV_HASH_RIPEMD160_AVX2_IMPL_H
#if defined(__x86_64__)
#include "hash_lanes_avx2_impl.h"
#include "hash_ripemd160_impl.h"

/* rmd_f for 8 lanes; andnot(a, b) is ~a & b. */
__attribute__((always_inline)) TGT_AVX2 static inline __m256i rmd_x8_f(int round, __m256i x, __m256i y, __m256i z) {
    const __m256i ones = _mm256_set1_epi32(-1);
    switch (round) {
    case 0: return V8_XOR(V8_XOR(x, y), z);
    case 1: return V8_OR(V8_AND(x, y), _mm256_andnot_si256(x, z));
    case 2: return V8_XOR(V8_OR(x, V8_XOR(y, ones)), z);
    case 3: return V8_OR(V8_AND(x, z), _mm256_andnot_si256(z, y));
    default: return V8_XOR(x, V8_OR(y, V8_XOR(z, ones)));
    }
}

TGT_AVX2 static void rmd160_x8_compress(__m256i h[5], const __m256i X[16]) {
    __m256i al = h[0], bl = h[1], cl = h[2], dl = h[3], el = h[4];
    __m256i ar = al, br = bl, cr = cl, dr = dl, er = el;
#pragma GCC unroll 80
    for (int j = 0; j < 80; j++) {
        int r = j >> 4;
        __m256i t = V8_ADD(V8_ADD(al, rmd_x8_f(r, bl, cl, dl)), V8_ADD(X[RMD_RL[j]], V8_SET1(RMD_KL[r])));
        t = V8_ADD(V8_ROL(t, RMD_SL[j]), el);
        al = el; el = dl; dl = V8_ROL(cl, 10); cl = bl; bl = t;
        t = V8_ADD(V8_ADD(ar, rmd_x8_f(4 - r, br, cr, dr)), V8_ADD(X[RMD_RR[j]], V8_SET1(RMD_KR[r])));
        t = V8_ADD(V8_ROL(t, RMD_SR[j]), er);
        ar = er; er = dr; dr = V8_ROL(cr, 10); cr = br; br = t;
    }
    __m256i t = V8_ADD(V8_ADD(h[1], cl), dr);
    h[1] = V8_ADD(V8_ADD(h[2], dl), er);
    h[2] = V8_ADD(V8_ADD(h[3], el), ar);
    h[3] = V8_ADD(V8_ADD(h[4], al), br);
    h[4] = V8_ADD(V8_ADD(h[0], bl), cr);
    h[0] = t;
}

/* out[20 i ..] = RIPEMD-160(in[32 i .. 32 i + 32)) for i < n. */
TGT_AVX2 static void rmd160_32_avx2(const uint8_t *in, size_t n, uint8_t *out) {
    uint8_t tail[8 * 32];
    for (size_t i = 0; i < n; i += 8) {
        size_t cnt;
        const uint8_t *base = lanes_group(in, i, n, 8, 32, tail, &cnt);
        __m256i X[16], h[8];
        for (int j = 0; j < 8; j++) X[j] = _mm256_loadu_si256((const __m256i *)(base + 32 * j));
        x8_transpose(X);  /* little-endian words, as loaded */
        X[8] = V8_SET1(0x80);
        for (int k = 9; k < 16; k++) X[k] = _mm256_setzero_si256();
        X[14] = V8_SET1(256);  /* the bit length, low word first */
        for (int k = 0; k < 5; k++) h[k] = V8_SET1(RMD_IV[k]);
        rmd160_x8_compress(h, X);
        for (int k = 5; k < 8; k++) h[k] = _mm256_setzero_si256();
        x8_transpose(h);
        for (size_t j = 0; j < cnt; j++) {
            uint32_t w[8];
            _mm256_storeu_si256((__m256i *)w, h[j]);
            memcpy(out + 20 * (i + j), w, 20);
        }
    }
}
#endif
#endif
