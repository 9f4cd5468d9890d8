/* Field arithmetic mod p = 2^255 - 19 in radix 2^51 (five 64-bit limbs, 128-bit products).
 *
 * Invariant ("loose"): every fe produced by a function here has limbs < 2^52 (limb 0 may exceed 2^51 by a
 * few thousand after a fold).  Every function accepts loose inputs.  fe_mul/fe_sq also accept limbs up to
 * 2^54, so sums of two loose elements (fe_add_nc) may feed a product without a carry pass:
 * 5 * 19 * 2^54 * 2^54 < 2^115 keeps every 128-bit accumulator far from overflow.
 * Only fe_tobytes / fe_iszero / fe_isneg produce or inspect the canonical value in [0, p). */
#ifndef LV_ED25519_FIELD_IMPL_H
#define LV_ED25519_FIELD_IMPL_H

#include <stdint.h>
#include <string.h>
#include "lv_verify.h"

typedef struct { uint64_t v[5]; } fe;

/* GCC declines to inline the 5x5 products on its own; the callers are a handful of hot formulas, and
 * inlining them measured about 1.3x faster single verification. */
#define ED_INLINE static inline __attribute__((always_inline))
typedef unsigned __int128 lv_u128;

#define FE_MASK51 ((uint64_t)0x7ffffffffffffULL)

/* 1 when every limb of a is below 2^bits (checked builds only: VERIFY_CHECK(fe_limbs_below(a, 52)) for a
 * loose element). */
static int fe_limbs_below(const fe *a, int bits) {
    for (int i = 0; i < 5; i++)
        if (a->v[i] >= ((uint64_t)1 << bits)) return 0;
    return 1;
}

static const fe FE_ZERO = {{0, 0, 0, 0, 0}};
static const fe FE_ONE = {{1, 0, 0, 0, 0}};
static const fe FE_D = {{0x34dca135978a3ULL, 0x1a8283b156ebdULL, 0x5e7a26001c029ULL, 0x739c663a03cbbULL, 0x52036cee2b6ffULL}};
static const fe FE_D2 = {{0x69b9426b2f159ULL, 0x35050762add7aULL, 0x3cf44c0038052ULL, 0x6738cc7407977ULL, 0x2406d9dc56dffULL}};
static const fe FE_SQRTM1 = {{0x61b274a0ea0b0ULL, 0x0d5a5fc8f189dULL, 0x7ef5e9cbd0c60ULL, 0x78595a6804c9eULL, 0x2b8324804fc1dULL}};

ED_INLINE void fe_carry(fe *r) {
    uint64_t c;
    c = r->v[0] >> 51; r->v[0] &= FE_MASK51; r->v[1] += c;
    c = r->v[1] >> 51; r->v[1] &= FE_MASK51; r->v[2] += c;
    c = r->v[2] >> 51; r->v[2] &= FE_MASK51; r->v[3] += c;
    c = r->v[3] >> 51; r->v[3] &= FE_MASK51; r->v[4] += c;
    c = r->v[4] >> 51; r->v[4] &= FE_MASK51; r->v[0] += 19 * c;
}

ED_INLINE void fe_add(fe *r, const fe *a, const fe *b) {
    for (int i = 0; i < 5; i++) r->v[i] = a->v[i] + b->v[i];
    fe_carry(r);
}

/* No carry: output limbs < 2^53 from loose inputs; only for feeding fe_mul/fe_sq directly. */
ED_INLINE void fe_add_nc(fe *r, const fe *a, const fe *b) {
    for (int i = 0; i < 5; i++) r->v[i] = a->v[i] + b->v[i];
}

/* a + 4p - b keeps every limb non-negative for loose b (4p's limbs are 2^53 - 76 and 2^53 - 4). */
ED_INLINE void fe_sub(fe *r, const fe *a, const fe *b) {
    VERIFY_CHECK(fe_limbs_below(b, 52));
    r->v[0] = a->v[0] + 0x1fffffffffffb4ULL - b->v[0];
    r->v[1] = a->v[1] + 0x1ffffffffffffcULL - b->v[1];
    r->v[2] = a->v[2] + 0x1ffffffffffffcULL - b->v[2];
    r->v[3] = a->v[3] + 0x1ffffffffffffcULL - b->v[3];
    r->v[4] = a->v[4] + 0x1ffffffffffffcULL - b->v[4];
    fe_carry(r);
}

ED_INLINE void fe_neg(fe *r, const fe *a) { fe_sub(r, &FE_ZERO, a); }

ED_INLINE void fe_mul(fe *r, const fe *a, const fe *b) {
    VERIFY_CHECK(fe_limbs_below(a, 54));
    VERIFY_CHECK(fe_limbs_below(b, 54));
    uint64_t a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3], a4 = a->v[4];
    uint64_t b0 = b->v[0], b1 = b->v[1], b2 = b->v[2], b3 = b->v[3], b4 = b->v[4];
    /* 2^255 = 19 mod p: limb products that land at 2^(51k), k >= 5, fold back multiplied by 19. */
    uint64_t b1_19 = 19 * b1, b2_19 = 19 * b2, b3_19 = 19 * b3, b4_19 = 19 * b4;
    lv_u128 t0 = (lv_u128)a0 * b0 + (lv_u128)a1 * b4_19 + (lv_u128)a2 * b3_19 + (lv_u128)a3 * b2_19 + (lv_u128)a4 * b1_19;
    lv_u128 t1 = (lv_u128)a0 * b1 + (lv_u128)a1 * b0 + (lv_u128)a2 * b4_19 + (lv_u128)a3 * b3_19 + (lv_u128)a4 * b2_19;
    lv_u128 t2 = (lv_u128)a0 * b2 + (lv_u128)a1 * b1 + (lv_u128)a2 * b0 + (lv_u128)a3 * b4_19 + (lv_u128)a4 * b3_19;
    lv_u128 t3 = (lv_u128)a0 * b3 + (lv_u128)a1 * b2 + (lv_u128)a2 * b1 + (lv_u128)a3 * b0 + (lv_u128)a4 * b4_19;
    lv_u128 t4 = (lv_u128)a0 * b4 + (lv_u128)a1 * b3 + (lv_u128)a2 * b2 + (lv_u128)a3 * b1 + (lv_u128)a4 * b0;
    uint64_t c;
    t1 += (uint64_t)(t0 >> 51); uint64_t r0 = (uint64_t)t0 & FE_MASK51;
    t2 += (uint64_t)(t1 >> 51); uint64_t r1 = (uint64_t)t1 & FE_MASK51;
    t3 += (uint64_t)(t2 >> 51); uint64_t r2 = (uint64_t)t2 & FE_MASK51;
    t4 += (uint64_t)(t3 >> 51); uint64_t r3 = (uint64_t)t3 & FE_MASK51;
    c = (uint64_t)(t4 >> 51); uint64_t r4 = (uint64_t)t4 & FE_MASK51;
    r0 += c * 19;
    c = r0 >> 51; r0 &= FE_MASK51; r1 += c;
    r->v[0] = r0; r->v[1] = r1; r->v[2] = r2; r->v[3] = r3; r->v[4] = r4;
}

ED_INLINE void fe_sq(fe *r, const fe *a) {
    VERIFY_CHECK(fe_limbs_below(a, 54));
    uint64_t a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3], a4 = a->v[4];
    uint64_t d0 = 2 * a0, d1 = 2 * a1, d2 = 2 * a2;
    uint64_t a3_19 = 19 * a3, a4_19 = 19 * a4;
    lv_u128 t0 = (lv_u128)a0 * a0 + (lv_u128)d1 * a4_19 + (lv_u128)d2 * a3_19;
    lv_u128 t1 = (lv_u128)d0 * a1 + (lv_u128)d2 * a4_19 + (lv_u128)a3 * a3_19;
    lv_u128 t2 = (lv_u128)d0 * a2 + (lv_u128)a1 * a1 + (lv_u128)(2 * a3) * a4_19;
    lv_u128 t3 = (lv_u128)d0 * a3 + (lv_u128)d1 * a2 + (lv_u128)a4 * a4_19;
    lv_u128 t4 = (lv_u128)d0 * a4 + (lv_u128)d1 * a3 + (lv_u128)a2 * a2;
    uint64_t c;
    t1 += (uint64_t)(t0 >> 51); uint64_t r0 = (uint64_t)t0 & FE_MASK51;
    t2 += (uint64_t)(t1 >> 51); uint64_t r1 = (uint64_t)t1 & FE_MASK51;
    t3 += (uint64_t)(t2 >> 51); uint64_t r2 = (uint64_t)t2 & FE_MASK51;
    t4 += (uint64_t)(t3 >> 51); uint64_t r3 = (uint64_t)t3 & FE_MASK51;
    c = (uint64_t)(t4 >> 51); uint64_t r4 = (uint64_t)t4 & FE_MASK51;
    r0 += c * 19;
    c = r0 >> 51; r0 &= FE_MASK51; r1 += c;
    r->v[0] = r0; r->v[1] = r1; r->v[2] = r2; r->v[3] = r3; r->v[4] = r4;
}

static inline void fe_sqn(fe *r, const fe *a, int n) {
    fe_sq(r, a);
    for (int i = 1; i < n; i++) fe_sq(r, r);
}

/* Loads the low 255 bits (the top bit is the caller's: a sign bit in point encodings). Not reduced: the
 * value may lie in [p, 2^255); callers that must reject that check fe_bytes_canonical first. */
static inline void fe_frombytes(fe *r, const uint8_t s[32]) {
    uint64_t w[4];
    for (int i = 0; i < 4; i++) {
        uint64_t x = 0;
        for (int j = 7; j >= 0; j--) x = (x << 8) | s[8 * i + j];
        w[i] = x;
    }
    r->v[0] = w[0] & FE_MASK51;
    r->v[1] = ((w[0] >> 51) | (w[1] << 13)) & FE_MASK51;
    r->v[2] = ((w[1] >> 38) | (w[2] << 26)) & FE_MASK51;
    r->v[3] = ((w[2] >> 25) | (w[3] << 39)) & FE_MASK51;
    r->v[4] = (w[3] >> 12) & FE_MASK51;
}

/* 1 when the low 255 bits of s encode an integer < p (the top bit is ignored). */
static inline int fe_bytes_canonical(const uint8_t s[32]) {
    /* Non-canonical values are exactly p .. 2^255-1: 0x7f ff .. ff with a low byte >= 0xed. */
    if ((s[31] & 0x7f) != 0x7f) return 1;
    for (int i = 30; i >= 1; i--)
        if (s[i] != 0xff) return 1;
    return s[0] < 0xed;
}

/* Canonical encoding.  After one carry pass h < 2^255 + 2^18 < 2p; q = floor((h + 19) / 2^255) is 1 exactly
 * when h >= p, and h + 19q - q 2^255 = h - qp. */
static void fe_tobytes(uint8_t s[32], const fe *a) {
    fe t = *a;
    fe_carry(&t);
    uint64_t q = (t.v[0] + 19) >> 51;
    q = (t.v[1] + q) >> 51;
    q = (t.v[2] + q) >> 51;
    q = (t.v[3] + q) >> 51;
    q = (t.v[4] + q) >> 51;
    t.v[0] += 19 * q;
    uint64_t c;
    c = t.v[0] >> 51; t.v[0] &= FE_MASK51; t.v[1] += c;
    c = t.v[1] >> 51; t.v[1] &= FE_MASK51; t.v[2] += c;
    c = t.v[2] >> 51; t.v[2] &= FE_MASK51; t.v[3] += c;
    c = t.v[3] >> 51; t.v[3] &= FE_MASK51; t.v[4] += c;
    t.v[4] &= FE_MASK51;
    uint64_t w[4];
    w[0] = t.v[0] | (t.v[1] << 51);
    w[1] = (t.v[1] >> 13) | (t.v[2] << 38);
    w[2] = (t.v[2] >> 26) | (t.v[3] << 25);
    w[3] = (t.v[3] >> 39) | (t.v[4] << 12);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

static inline int fe_iszero(const fe *a) {
    uint8_t s[32];
    fe_tobytes(s, a);
    uint8_t acc = 0;
    for (int i = 0; i < 32; i++) acc |= s[i];
    return acc == 0;
}

static inline int fe_isneg(const fe *a) {
    uint8_t s[32];
    fe_tobytes(s, a);
    return s[0] & 1;
}

static inline int fe_equal(const fe *a, const fe *b) {
    fe t;
    fe_sub(&t, a, b);
    return fe_iszero(&t);
}

/* z^(2^250 - 1) and z^11, shared by inversion and the square-root exponent (a standard addition chain:
 * 254 squarings and 11 multiplications in total for the inverse). */
static void fe_pow_2_250_1(fe *z2_250_0, fe *z11, const fe *z) {
    fe z2, z9, t, z2_5_0, z2_10_0, z2_20_0, z2_50_0, z2_100_0;
    fe_sq(&z2, z);
    fe_sqn(&t, &z2, 2);
    fe_mul(&z9, &t, z);
    fe_mul(z11, &z9, &z2);
    fe_sq(&t, z11);
    fe_mul(&z2_5_0, &t, &z9);                 /* 2^5 - 1 */
    fe_sqn(&t, &z2_5_0, 5);
    fe_mul(&z2_10_0, &t, &z2_5_0);            /* 2^10 - 1 */
    fe_sqn(&t, &z2_10_0, 10);
    fe_mul(&z2_20_0, &t, &z2_10_0);           /* 2^20 - 1 */
    fe_sqn(&t, &z2_20_0, 20);
    fe_mul(&t, &t, &z2_20_0);                 /* 2^40 - 1 */
    fe_sqn(&t, &t, 10);
    fe_mul(&z2_50_0, &t, &z2_10_0);           /* 2^50 - 1 */
    fe_sqn(&t, &z2_50_0, 50);
    fe_mul(&z2_100_0, &t, &z2_50_0);          /* 2^100 - 1 */
    fe_sqn(&t, &z2_100_0, 100);
    fe_mul(&t, &t, &z2_100_0);                /* 2^200 - 1 */
    fe_sqn(&t, &t, 50);
    fe_mul(z2_250_0, &t, &z2_50_0);           /* 2^250 - 1 */
}

/* 1/z = z^(p-2) = z^(2^255 - 21); 0 maps to 0. */
static void fe_invert(fe *r, const fe *z) {
    fe t, z11;
    fe_pow_2_250_1(&t, &z11, z);
    fe_sqn(&t, &t, 5);
    fe_mul(r, &t, &z11);
}

/* z^((p-5)/8) = z^(2^252 - 3). */
static void fe_pow22523(fe *r, const fe *z) {
    fe t, z11;
    fe_pow_2_250_1(&t, &z11, z);
    fe_sqn(&t, &t, 2);
    fe_mul(r, &t, z);
}

/* Square root of a ratio without an inversion: for v != 0, a root of u/v, or none when u/v is not a square.
 * Candidate r = u v^3 (u v^7)^((p-5)/8); then v r^2 = +-u or +-sqrt(-1) u.  v r^2 = u: done; v r^2 = -u:
 * r *= sqrt(-1); otherwise no root.  u = 0 gives r = 0.  Split in two around the exponentiation so that a
 * batch can run eight exponentiations at once: prepare gives v^3 and the base u v^7. */
static void fe_sqrt_ratio_prepare(fe *v3, fe *base, const fe *u, const fe *v) {
    fe t, v7;
    fe_sq(&t, v);
    fe_mul(v3, &t, v);
    fe_sq(&t, v3);
    fe_mul(&v7, &t, v);
    fe_mul(base, &v7, u);
}

/* pw = base^((p-5)/8); returns 1 and sets r when u/v is a square. */
static int fe_sqrt_ratio_finish_var(fe *r, const fe *u, const fe *v, const fe *v3, const fe *pw) {
    fe t, x, check, negu;
    fe_mul(&t, pw, v3);
    fe_mul(&x, &t, u);
    fe_sq(&t, &x);
    fe_mul(&check, &t, v);
    if (fe_equal(&check, u)) {
        *r = x;
        return 1;
    }
    fe_neg(&negu, u);
    if (fe_equal(&check, &negu)) {
        fe_mul(r, &x, &FE_SQRTM1);
        return 1;
    }
    return 0;
}

static int fe_sqrt_ratio_var(fe *r, const fe *u, const fe *v) {
    fe v3, base, pw;
    fe_sqrt_ratio_prepare(&v3, &base, u, v);
    fe_pow22523(&pw, &base);
    return fe_sqrt_ratio_finish_var(r, u, v, &v3, &pw);
}

/* Montgomery's trick: n inversions for one inversion and 3(n-1) multiplications.  scratch holds n fes;
 * zero inputs are not allowed (the callers invert Z coordinates, never zero). */
static void fe_batch_invert(fe *out, const fe *in, fe *scratch, size_t n) {
    if (n == 0) return;
    scratch[0] = in[0];
    for (size_t i = 1; i < n; i++) fe_mul(&scratch[i], &scratch[i - 1], &in[i]);
    fe acc;
    fe_invert(&acc, &scratch[n - 1]);
    for (size_t i = n - 1; i > 0; i--) {
        fe t;
        fe_mul(&t, &acc, &scratch[i - 1]);
        fe_mul(&acc, &acc, &in[i]);
        out[i] = t;
    }
    out[0] = acc;
}

#endif
