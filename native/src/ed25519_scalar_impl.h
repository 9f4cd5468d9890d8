/* Scalars mod L = 2^252 + 27742317777372353535851937790883648493, four 64-bit limbs, little-endian.
 * Reduction of anything below 2^512 is Barrett's (HAC 14.42, base 2^64, k = 4) with mu = floor(2^512 / L);
 * it needs at most two final subtractions.  Scalar work is a small part of verification, so these loops are
 * kept plain rather than fast. */
#ifndef LV_ED25519_SCALAR_IMPL_H
#define LV_ED25519_SCALAR_IMPL_H

#include <stdint.h>
#include <string.h>

typedef struct { uint64_t v[4]; } scalar;

static const uint64_t SC_L[4] = {0x5812631a5cf5d3edULL, 0x14def9dea2f79cd6ULL, 0, 0x1000000000000000ULL};
static const uint64_t SC_MU[5] = {0xed9ce5a30a2c131bULL, 0x2106215d086329a7ULL, 0xffffffffffffffebULL,
                                  0xffffffffffffffffULL, 0x000000000000000fULL};

static inline uint64_t sc_load64_le(const uint8_t *p) {
    uint64_t x = 0;
    for (int j = 7; j >= 0; j--) x = (x << 8) | p[j];
    return x;
}

/* a >= L for a 5-limb value with a[4] possibly non-zero. */
static inline int sc_geq_L5(const uint64_t a[5]) {
    if (a[4]) return 1;
    for (int i = 3; i >= 0; i--) {
        if (a[i] != SC_L[i]) return a[i] > SC_L[i];
    }
    return 1;
}

static inline void sc_sub_L5(uint64_t a[5]) {
    uint64_t borrow = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t l = i < 4 ? SC_L[i] : 0;
        lv_u128 d = (lv_u128)a[i] - l - borrow;
        a[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
}

/* r = x mod L for x < 2^512 given as 8 little-endian limbs. */
static void sc_reduce_wide(scalar *r, const uint64_t x[8]) {
    uint64_t q2[10] = {0};
    /* q1 = x >> 192 (5 limbs), q2 = q1 * mu */
    for (int i = 0; i < 5; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 5; j++) {
            lv_u128 t = (lv_u128)x[3 + i] * SC_MU[j] + q2[i + j] + carry;
            q2[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        q2[i + 5] = carry;
    }
    /* q3 = q2 >> 320; r2 = q3 * L mod 2^320 */
    const uint64_t *q3 = q2 + 5;
    uint64_t r2[5] = {0};
    for (int i = 0; i < 5; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4 && i + j < 5; j++) {
            lv_u128 t = (lv_u128)q3[i] * SC_L[j] + r2[i + j] + carry;
            r2[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        if (i + 4 < 5) r2[i + 4] += carry;
    }
    /* r = (x mod 2^320) - r2 mod 2^320; the true difference lies in [0, 3L) */
    uint64_t a[5];
    uint64_t borrow = 0;
    for (int i = 0; i < 5; i++) {
        lv_u128 d = (lv_u128)x[i] - r2[i] - borrow;
        a[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    while (sc_geq_L5(a)) sc_sub_L5(a);
    VERIFY_CHECK(a[4] == 0);
    memcpy(r->v, a, 32);
}

/* 64 little-endian bytes (a SHA-512 digest) mod L. */
static void sc_from_bytes64(scalar *r, const uint8_t s[64]) {
    uint64_t x[8];
    for (int i = 0; i < 8; i++) x[i] = sc_load64_le(s + 8 * i);
    sc_reduce_wide(r, x);
}

/* 32 little-endian bytes mod L (any value below 2^256). */
static void sc_from_bytes32_reduce(scalar *r, const uint8_t s[32]) {
    uint64_t x[8] = {0};
    for (int i = 0; i < 4; i++) x[i] = sc_load64_le(s + 8 * i);
    sc_reduce_wide(r, x);
}

/* 1 when the 32 little-endian bytes encode an integer < L (RFC 8032 requires S < L). */
static int sc_bytes_canonical(const uint8_t s[32]) {
    uint64_t a[5] = {0};
    for (int i = 0; i < 4; i++) a[i] = sc_load64_le(s + 8 * i);
    return !sc_geq_L5(a);
}

/* Loads without reduction; the caller has checked sc_bytes_canonical. */
static inline void sc_from_bytes_raw(scalar *r, const uint8_t s[32]) {
    for (int i = 0; i < 4; i++) r->v[i] = sc_load64_le(s + 8 * i);
}

static void sc_to_bytes(uint8_t s[32], const scalar *a) {
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) s[8 * i + j] = (uint8_t)(a->v[i] >> (8 * j));
}

/* a, b < 2^256 (not necessarily reduced) */
static void sc_mul(scalar *r, const scalar *a, const scalar *b) {
    uint64_t x[8] = {0};
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            lv_u128 t = (lv_u128)a->v[i] * b->v[j] + x[i + j] + carry;
            x[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        x[i + 4] = carry;
    }
    sc_reduce_wide(r, x);
}

/* a, b < L */
static void sc_add(scalar *r, const scalar *a, const scalar *b) {
    uint64_t x[5];
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        lv_u128 t = (lv_u128)a->v[i] + b->v[i] + carry;
        x[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
    x[4] = carry;
    if (sc_geq_L5(x)) sc_sub_L5(x);
    memcpy(r->v, x, 32);
}

/* a < L */
static void sc_neg(scalar *r, const scalar *a) {
    if (!(a->v[0] | a->v[1] | a->v[2] | a->v[3])) { *r = *a; return; }
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        lv_u128 d = (lv_u128)SC_L[i] - a->v[i] - borrow;
        r->v[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
}

static inline int sc_bit(const scalar *a, int i) { return (int)((a->v[i >> 6] >> (i & 63)) & 1); }

#endif
