/* Eight field elements at once with AVX-512 IFMA (vpmadd52luq/vpmadd52huq), radix 2^51 as the scalar code:
 * lane j of v[i] is limb i of element j.  Used for the square-root exponentiations of point decompression,
 * which dominate batch verification and are the same chain of squarings for every element.
 *
 * IFMA multiplies the low 52 bits of its operands, so every input limb must be < 2^52: the scalar code's
 * loose invariant, which every function here also keeps for its outputs.  A 52x52-bit product is
 * lo + hi 2^52 = lo + (2 hi) 2^51: lo lands in column i+j and twice hi in column i+j+1; columns 5..9 fold
 * back multiplied by 19 (2^255 = 19 mod p).  Column sums stay below 2^57, so 20 times one is below 2^62. */
#ifndef LV_ED25519_FIELD_IFMA_IMPL_H
#define LV_ED25519_FIELD_IFMA_IMPL_H

#if defined(__x86_64__) && defined(__GNUC__)
#define ED_HAVE_IFMA 1
#include <immintrin.h>

#define ED_IFMA __attribute__((target("avx512f,avx512bw,avx512ifma")))

typedef struct { __m512i v[5]; } fe8;

ED_IFMA static inline __m512i fe8_mul19(__m512i x) {
    return _mm512_add_epi64(_mm512_add_epi64(_mm512_slli_epi64(x, 4), _mm512_slli_epi64(x, 1)), x);
}

/* c[0..9] column sums -> reduced limbs < 2^52. */
ED_IFMA static inline void fe8_reduce_columns(fe8 *r, __m512i c[10]) {
    const __m512i mask = _mm512_set1_epi64((long long)FE_MASK51);
    __m512i z[5];
    for (int k = 0; k < 5; k++) z[k] = _mm512_add_epi64(c[k], fe8_mul19(c[k + 5]));
    __m512i carry;
    for (int k = 0; k < 4; k++) {
        carry = _mm512_srli_epi64(z[k], 51);
        z[k] = _mm512_and_si512(z[k], mask);
        z[k + 1] = _mm512_add_epi64(z[k + 1], carry);
    }
    carry = _mm512_srli_epi64(z[4], 51);
    z[4] = _mm512_and_si512(z[4], mask);
    z[0] = _mm512_add_epi64(z[0], fe8_mul19(carry));
    for (int k = 0; k < 5; k++) r->v[k] = z[k];
}

ED_IFMA static void fe8_mul(fe8 *r, const fe8 *a, const fe8 *b) {
    __m512i lo[9], hi[9], c[10];
    for (int k = 0; k < 9; k++) lo[k] = hi[k] = _mm512_setzero_si512();
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a->v[i], b->v[j]);
            hi[i + j] = _mm512_madd52hi_epu64(hi[i + j], a->v[i], b->v[j]);
        }
    c[0] = lo[0];
    for (int k = 1; k < 9; k++) c[k] = _mm512_add_epi64(lo[k], _mm512_slli_epi64(hi[k - 1], 1));
    c[9] = _mm512_slli_epi64(hi[8], 1);
    fe8_reduce_columns(r, c);
}

/* Squares: the cross products a_i a_j (i < j) are taken once and doubled. */
ED_IFMA static void fe8_sq(fe8 *r, const fe8 *a) {
    __m512i lod[9], hid[9], lox[9], hix[9], c[10];
    for (int k = 0; k < 9; k++) lod[k] = hid[k] = lox[k] = hix[k] = _mm512_setzero_si512();
    for (int i = 0; i < 5; i++) {
        lod[2 * i] = _mm512_madd52lo_epu64(lod[2 * i], a->v[i], a->v[i]);
        hid[2 * i] = _mm512_madd52hi_epu64(hid[2 * i], a->v[i], a->v[i]);
        for (int j = i + 1; j < 5; j++) {
            lox[i + j] = _mm512_madd52lo_epu64(lox[i + j], a->v[i], a->v[j]);
            hix[i + j] = _mm512_madd52hi_epu64(hix[i + j], a->v[i], a->v[j]);
        }
    }
    for (int k = 0; k < 10; k++) {
        __m512i s = _mm512_setzero_si512();
        if (k < 9) s = _mm512_add_epi64(lod[k], _mm512_slli_epi64(lox[k], 1));
        if (k > 0) s = _mm512_add_epi64(s, _mm512_add_epi64(_mm512_slli_epi64(hid[k - 1], 1),
                                                             _mm512_slli_epi64(hix[k - 1], 2)));
        c[k] = s;
    }
    fe8_reduce_columns(r, c);
}

ED_IFMA static void fe8_sqn(fe8 *r, const fe8 *a, int n) {
    fe8_sq(r, a);
    for (int i = 1; i < n; i++) fe8_sq(r, r);
}

/* out[j] = in[j]^(2^252 - 3) for j < 8: the chain of fe_pow22523, lane-parallel. */
ED_IFMA static void fe_pow22523_x8(fe out[8], const fe in[8]) {
    fe8 z, z2, z9, z11, t, z2_5_0, z2_10_0, z2_20_0, z2_50_0, z2_100_0;
    for (int i = 0; i < 5; i++) {
        uint64_t tmp[8];
        for (int j = 0; j < 8; j++) tmp[j] = in[j].v[i];
        z.v[i] = _mm512_loadu_si512((const void *)tmp);
    }
    fe8_sq(&z2, &z);
    fe8_sqn(&t, &z2, 2);
    fe8_mul(&z9, &t, &z);
    fe8_mul(&z11, &z9, &z2);
    fe8_sq(&t, &z11);
    fe8_mul(&z2_5_0, &t, &z9);
    fe8_sqn(&t, &z2_5_0, 5);
    fe8_mul(&z2_10_0, &t, &z2_5_0);
    fe8_sqn(&t, &z2_10_0, 10);
    fe8_mul(&z2_20_0, &t, &z2_10_0);
    fe8_sqn(&t, &z2_20_0, 20);
    fe8_mul(&t, &t, &z2_20_0);
    fe8_sqn(&t, &t, 10);
    fe8_mul(&z2_50_0, &t, &z2_10_0);
    fe8_sqn(&t, &z2_50_0, 50);
    fe8_mul(&z2_100_0, &t, &z2_50_0);
    fe8_sqn(&t, &z2_100_0, 100);
    fe8_mul(&t, &t, &z2_100_0);
    fe8_sqn(&t, &t, 50);
    fe8_mul(&t, &t, &z2_50_0);
    fe8_sqn(&t, &t, 2);
    fe8_mul(&t, &t, &z);
    for (int i = 0; i < 5; i++) {
        uint64_t tmp[8];
        _mm512_storeu_si512((void *)tmp, t.v[i]);
        for (int j = 0; j < 8; j++) out[j].v[i] = tmp[j];
    }
}

#endif
#endif
