/* Four field elements at once with AVX2, for the square-root exponentiation of point decompression on CPUs
 * without AVX-512 IFMA.  AVX2 multiplies only 32x32 -> 64 bits (vpmuludq), so the limbs are the radix
 * 2^25.5 ones of ref10: ten limbs, limb i weighing 2^ceil(25.5 i) (26 bits at even i, 25 at odd i), each in
 * a 64-bit lane: lane j of v[i] is limb i of element j.  Limbs 2k and 2k+1 together are exactly limb k of
 * the scalar 5x51 code, so converting is a split at bit 26.
 *
 * Limbs are unsigned (AVX2 has no 64-bit arithmetic shift for ref10's signed carries).  Invariant: every
 * fe4 limb is < 2^27 (the carried outputs are < 2^26 + 2^18; a split loose 5x51 element's are < 2^26).
 * Products: a_i b_j lands in column i+j with weight 2 when i and j are both odd (25.5 i rounds up twice),
 * columns 10..18 fold to 0..8 times 19 (2^255 = 19 mod p).  The factors passed to vpmuludq are at most
 * 4 a_i < 2^29 and 19 b_j < 2^31.3 (below 2^32, as it needs); a product is below 2^60.3, and a column holds
 * at most ten of fe4_mul's (factor 2 a_i: below 2^62.6) or six of fe4_sq's (below 2^62.9): no overflow. */
#ifndef LV_ED25519_FIELD_AVX2_IMPL_H
#define LV_ED25519_FIELD_AVX2_IMPL_H

#if defined(__x86_64__) && defined(__GNUC__)
#define ED_HAVE_AVX2 1
#include <immintrin.h>

#define ED_AVX2 __attribute__((target("avx2")))
#define ED_AVX2_INLINE static inline __attribute__((always_inline, target("avx2")))

typedef struct { __m256i v[10]; } fe4;

ED_AVX2_INLINE __m256i fe4_mul19(__m256i x) {
    return _mm256_add_epi64(_mm256_add_epi64(_mm256_slli_epi64(x, 4), _mm256_slli_epi64(x, 1)), x);
}

/* Column sums h[0..9] (each < 2^63) -> limbs within the invariant.  Two interleaved carry chains (from
 * limbs 0 and 4) shorten the dependency path, as in ref10; the last fold times 19 is carried once more. */
ED_AVX2_INLINE void fe4_carry(fe4 *r, __m256i h[10]) {
    const __m256i m26 = _mm256_set1_epi64x((1 << 26) - 1), m25 = _mm256_set1_epi64x((1 << 25) - 1);
    __m256i c;
#define FE4_CARRY(i, bits, mask)                                   \
    c = _mm256_srli_epi64(h[i], bits);                             \
    h[i] = _mm256_and_si256(h[i], mask);                           \
    h[(i) + 1] = _mm256_add_epi64(h[(i) + 1], c)
    FE4_CARRY(0, 26, m26);
    FE4_CARRY(4, 26, m26);
    FE4_CARRY(1, 25, m25);
    FE4_CARRY(5, 25, m25);
    FE4_CARRY(2, 26, m26);
    FE4_CARRY(6, 26, m26);
    FE4_CARRY(3, 25, m25);
    FE4_CARRY(7, 25, m25);
    FE4_CARRY(4, 26, m26);
    FE4_CARRY(8, 26, m26);
    c = _mm256_srli_epi64(h[9], 25);
    h[9] = _mm256_and_si256(h[9], m25);
    h[0] = _mm256_add_epi64(h[0], fe4_mul19(c));
    FE4_CARRY(0, 26, m26);
#undef FE4_CARRY
    for (int i = 0; i < 10; i++) r->v[i] = h[i];
}

ED_AVX2_INLINE void fe4_mul(fe4 *r, const fe4 *a, const fe4 *b) {
    __m256i h[10], a2[10], b19[10];
    for (int i = 0; i < 10; i++) {
        h[i] = _mm256_setzero_si256();
        a2[i] = (i & 1) ? _mm256_add_epi64(a->v[i], a->v[i]) : a->v[i];
        b19[i] = fe4_mul19(b->v[i]);
    }
#pragma GCC unroll 10
    for (int i = 0; i < 10; i++) {
#pragma GCC unroll 10
        for (int j = 0; j < 10; j++) {
            __m256i x = (i & j & 1) ? a2[i] : a->v[i];
            __m256i y = i + j >= 10 ? b19[j] : b->v[j];
            int k = i + j >= 10 ? i + j - 10 : i + j;
            h[k] = _mm256_add_epi64(h[k], _mm256_mul_epu32(x, y));
        }
    }
    fe4_carry(r, h);
}

/* Squares: 55 products instead of 100, a cross product a_i a_j (i < j) once with factor 2. */
ED_AVX2_INLINE void fe4_sq(fe4 *r, const fe4 *a) {
    __m256i h[10], a2[10], a4[10], a19[10];
    for (int i = 0; i < 10; i++) {
        h[i] = _mm256_setzero_si256();
        a2[i] = _mm256_add_epi64(a->v[i], a->v[i]);
        a4[i] = _mm256_add_epi64(a2[i], a2[i]);
        a19[i] = fe4_mul19(a->v[i]);
    }
#pragma GCC unroll 10
    for (int i = 0; i < 10; i++) {
#pragma GCC unroll 10
        for (int j = i; j < 10; j++) {
            /* factor 2 for a cross product, 2 more when both indices are odd, 19 past column 9 */
            int f = (i != j ? 2 : 1) * ((i & j & 1) ? 2 : 1);
            __m256i x = f == 4 ? a4[i] : f == 2 ? a2[i] : a->v[i];
            __m256i y = i + j >= 10 ? a19[j] : a->v[j];
            int k = i + j >= 10 ? i + j - 10 : i + j;
            h[k] = _mm256_add_epi64(h[k], _mm256_mul_epu32(x, y));
        }
    }
    fe4_carry(r, h);
}

/* Two independent fe4 chains side by side: one squaring's carry chain is a long dependency path while its
 * products are throughput-bound, so a second set of four in flight fills the gaps: decoding took 1.47 us a
 * point with one fe4 chain, 1.24 with the pair (AVX2 tier, benches/ed25519_stages.c, min of 5 interleaved
 * runs, 2026-12-03, loaded machine). */
typedef struct { fe4 a, b; } fe4x2;

ED_AVX2 static void fe4x2_sqn(fe4x2 *r, const fe4x2 *x, int n) {
    fe4_sq(&r->a, &x->a);
    fe4_sq(&r->b, &x->b);
    for (int i = 1; i < n; i++) {
        fe4_sq(&r->a, &r->a);
        fe4_sq(&r->b, &r->b);
    }
}

ED_AVX2 static void fe4x2_mul(fe4x2 *r, const fe4x2 *x, const fe4x2 *y) {
    fe4_mul(&r->a, &x->a, &y->a);
    fe4_mul(&r->b, &x->b, &y->b);
}

/* Lane j of the result holds in[j], limbs split at bit 26 (in[j] loose: limbs < 2^52). */
ED_AVX2 static void fe4_load(fe4 *r, const fe in[4]) {
    const __m256i m26 = _mm256_set1_epi64x((1 << 26) - 1);
    for (int k = 0; k < 5; k++) {
        __m256i v = _mm256_setr_epi64x((long long)in[0].v[k], (long long)in[1].v[k], (long long)in[2].v[k],
                                       (long long)in[3].v[k]);
        r->v[2 * k] = _mm256_and_si256(v, m26);
        r->v[2 * k + 1] = _mm256_srli_epi64(v, 26);
    }
}

/* The inverse of fe4_load: limb k = l[2k] + l[2k+1] 2^26 < 2^26 + 2^27 2^26 < 2^52, a loose element. */
ED_AVX2 static void fe4_store(fe out[4], const fe4 *a) {
    for (int k = 0; k < 5; k++) {
        uint64_t tmp[4];
        __m256i v = _mm256_add_epi64(a->v[2 * k], _mm256_slli_epi64(a->v[2 * k + 1], 26));
        _mm256_storeu_si256((__m256i *)(void *)tmp, v);
        for (int j = 0; j < 4; j++) out[j].v[k] = tmp[j];
    }
}

/* out[j] = in[j]^(2^252 - 3) for j < 8: fe_pow22523's chain on two sets of four lanes. */
ED_AVX2 static void fe_pow22523_x4x2(fe out[8], const fe in[8]) {
    fe4x2 z, z2, z9, z11, t, z2_5_0, z2_10_0, z2_20_0, z2_50_0, z2_100_0;
    fe4_load(&z.a, in);
    fe4_load(&z.b, in + 4);
    fe4x2_sqn(&z2, &z, 1);
    fe4x2_sqn(&t, &z2, 2);
    fe4x2_mul(&z9, &t, &z);
    fe4x2_mul(&z11, &z9, &z2);
    fe4x2_sqn(&t, &z11, 1);
    fe4x2_mul(&z2_5_0, &t, &z9);
    fe4x2_sqn(&t, &z2_5_0, 5);
    fe4x2_mul(&z2_10_0, &t, &z2_5_0);
    fe4x2_sqn(&t, &z2_10_0, 10);
    fe4x2_mul(&z2_20_0, &t, &z2_10_0);
    fe4x2_sqn(&t, &z2_20_0, 20);
    fe4x2_mul(&t, &t, &z2_20_0);
    fe4x2_sqn(&t, &t, 10);
    fe4x2_mul(&z2_50_0, &t, &z2_10_0);
    fe4x2_sqn(&t, &z2_50_0, 50);
    fe4x2_mul(&z2_100_0, &t, &z2_50_0);
    fe4x2_sqn(&t, &z2_100_0, 100);
    fe4x2_mul(&t, &t, &z2_100_0);
    fe4x2_sqn(&t, &t, 50);
    fe4x2_mul(&t, &t, &z2_50_0);
    fe4x2_sqn(&t, &t, 2);
    fe4x2_mul(&t, &t, &z);
    fe4_store(out, &t.a);
    fe4_store(out + 4, &t.b);
}

#endif
#endif
