/* 8-lane field arithmetic with AVX-512 IFMA (vpmadd52luq/huq): eight items' field elements side by side,
 * for the 8-lane verification core (secp256k1_ecmult_ifma_impl.h) and the square roots that decompress a
 * group's keys.  Compiled per function with a target attribute and called only when lv_cpu_features()
 * reports AVX512F and AVX512IFMA.  Measured here: a square root costs 0.87 us a lane against 4.51 us on the
 * 5x52 scalar path (~5x per field multiplication).
 *
 * Lane layout: five vectors of 52-bit limbs, lane i holding element i.  IFMA reads only the low 52 bits of
 * each operand, so every input to fe8_mul keeps limbs 0..3 < 2^52 and limb 4 < 2^49 (value < 2^257), and
 * fe8_mul returns the same form. */
#ifndef LV_SECP256K1_FIELD_IFMA_IMPL_H
#define LV_SECP256K1_FIELD_IFMA_IMPL_H
#if defined(__x86_64__)
#include <immintrin.h>
#include "secp256k1_field_impl.h"

#define LV_K1_IFMA 1
#define LV_IFMA_TARGET __attribute__((target("avx512f,avx512ifma")))

typedef struct { __m512i v[5]; } fe8;

LV_IFMA_TARGET static inline void fe8_carry5(__m512i *c) {
    const __m512i M = _mm512_set1_epi64((long long)FE_M52);
    for (int k = 0; k < 4; k++) {
        c[k + 1] = _mm512_add_epi64(c[k + 1], _mm512_srli_epi64(c[k], 52));
        c[k] = _mm512_and_si512(c[k], M);
    }
}

/* Column sums of the 5x5 limb products (each < 10 * 2^52), then the columns at 2^260 and up folded back
 * twice: digits h5..h9 times 2^260 = 0x1000003D10, then what lands at 2^256 and up times 0x1000003D1. */
LV_IFMA_TARGET static inline void fe8_mul(fe8 *r, const fe8 *a, const fe8 *b) {
    const __m512i M = _mm512_set1_epi64((long long)FE_M52), M48 = _mm512_set1_epi64((long long)FE_M48);
    const __m512i R260 = _mm512_set1_epi64((long long)(FE_R << 4)), R256 = _mm512_set1_epi64((long long)FE_R);
    const __m512i z = _mm512_setzero_si512();
    __m512i c[10], h[5];
    for (int k = 0; k < 10; k++) c[k] = z;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            c[i + j] = _mm512_madd52lo_epu64(c[i + j], a->v[i], b->v[j]);
            c[i + j + 1] = _mm512_madd52hi_epu64(c[i + j + 1], a->v[i], b->v[j]);
        }
    /* digits of the high half; c9 stays small (limb 4 < 2^49 gives hi(a4 b4) < 2^46) */
    for (int k = 5; k < 9; k++) {
        c[k + 1] = _mm512_add_epi64(c[k + 1], _mm512_srli_epi64(c[k], 52));
        h[k - 5] = _mm512_and_si512(c[k], M);
    }
    h[4] = c[9];
    c[5] = z;
    for (int k = 0; k < 5; k++) {
        c[k] = _mm512_madd52lo_epu64(c[k], h[k], R260);
        c[k + 1] = _mm512_madd52hi_epu64(c[k + 1], h[k], R260);
    }
    fe8_carry5(c);
    c[5] = _mm512_add_epi64(c[5], _mm512_srli_epi64(c[4], 52));
    c[4] = _mm512_and_si512(c[4], M);
    /* top = everything at 2^256 and above: c5 (weight 2^260) and bits 48.. of c4 */
    __m512i top = _mm512_or_si512(_mm512_slli_epi64(c[5], 4), _mm512_srli_epi64(c[4], 48));
    c[4] = _mm512_and_si512(c[4], M48);
    c[0] = _mm512_madd52lo_epu64(c[0], top, R256);
    c[1] = _mm512_madd52hi_epu64(c[1], top, R256);
    fe8_carry5(c);
    for (int k = 0; k < 5; k++) r->v[k] = c[k];
}

LV_IFMA_TARGET static inline void fe8_sqr_n(fe8 *r, const fe8 *a, int n) {
    *r = *a;
    for (int i = 0; i < n; i++) fe8_mul(r, r, r);
}

/* r = a^((p+1)/4), the same addition chain as fe_sqrt_var. */
LV_IFMA_TARGET static void fe8_pow_sqrt(fe8 *r, const fe8 *a) {
    fe8 x2, x3, x6, x9, x11, x22, x44, x88, x176, x220, x223, t;
    fe8_mul(&x2, a, a); fe8_mul(&x2, &x2, a);
    fe8_mul(&x3, &x2, &x2); fe8_mul(&x3, &x3, a);
    fe8_sqr_n(&x6, &x3, 3); fe8_mul(&x6, &x6, &x3);
    fe8_sqr_n(&x9, &x6, 3); fe8_mul(&x9, &x9, &x3);
    fe8_sqr_n(&x11, &x9, 2); fe8_mul(&x11, &x11, &x2);
    fe8_sqr_n(&x22, &x11, 11); fe8_mul(&x22, &x22, &x11);
    fe8_sqr_n(&x44, &x22, 22); fe8_mul(&x44, &x44, &x22);
    fe8_sqr_n(&x88, &x44, 44); fe8_mul(&x88, &x88, &x44);
    fe8_sqr_n(&x176, &x88, 88); fe8_mul(&x176, &x176, &x88);
    fe8_sqr_n(&x220, &x176, 44); fe8_mul(&x220, &x220, &x44);
    fe8_sqr_n(&t, &x220, 3); fe8_mul(&x223, &t, &x3);
    fe8_sqr_n(&t, &x223, 23); fe8_mul(&t, &t, &x22);
    for (int i = 7; i >= 0; i--) {           /* tail 00001100 */
        fe8_mul(&t, &t, &t);
        if ((0x0C >> i) & 1) fe8_mul(&t, &t, a);
    }
    *r = t;
}

/* out[i] = in[i]^((p+1)/4) for 8 elements (in[i] normalized).  The caller checks out[i]^2 = in[i]. */
LV_IFMA_TARGET static void fe_pow_sqrt8_ifma(fe *out, const fe *in) {
    uint64_t lanes[5][8] __attribute__((aligned(64)));
    fe8 a, r;
    for (int i = 0; i < 8; i++) {
        for (int k = 0; k < 4; k++) VERIFY_CHECK(in[i].n[k] <= FE_M52);
        VERIFY_CHECK(in[i].n[4] < (1ULL << 49));
        for (int k = 0; k < 5; k++) lanes[k][i] = in[i].n[k];
    }
    for (int k = 0; k < 5; k++) a.v[k] = _mm512_load_si512((const void *)lanes[k]);
    fe8_pow_sqrt(&r, &a);
    for (int k = 0; k < 5; k++) _mm512_store_si512((void *)lanes[k], r.v[k]);
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 5; k++) out[i].n[k] = lanes[k][i];
}

#endif
#endif
