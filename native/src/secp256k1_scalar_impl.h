/* Scalar layer: integers mod the group order n in four 64-bit limbs (little-endian limb order), always
 * fully reduced.  2^256 = C (mod n) with C = 2^256 - n, a 129-bit number, which drives the reduction. */
#ifndef LV_SECP256K1_SCALAR_IMPL_H
#define LV_SECP256K1_SCALAR_IMPL_H
#include "secp256k1_util.h"

typedef struct { uint64_t d[4]; } scalar;

static const uint64_t SC_N[4] = {0xBFD25E8CD0364141ULL, 0xBAAEDCE6AF48A03BULL, 0xFFFFFFFFFFFFFFFEULL,
                                 0xFFFFFFFFFFFFFFFFULL};
static const uint64_t SC_C[3] = {0x402DA1732FC9BEBFULL, 0x4551231950B75FC4ULL, 1};
/* floor(n / 2), the largest "low S" value. */
static const uint64_t SC_NH[4] = {0xDFE92F46681B20A0ULL, 0x5D576E7357A4501DULL, 0xFFFFFFFFFFFFFFFFULL,
                                  0x7FFFFFFFFFFFFFFFULL};

/* a >= b for 4-limb values. */
static int u256_geq(const uint64_t *a, const uint64_t *b) {
    for (int i = 3; i >= 0; i--) {
        if (a[i] != b[i]) return a[i] > b[i];
    }
    return 1;
}

/* r = a - n (the caller knows a >= n, or a + 2^256 >= n with the 2^256 carry implied). */
static void u256_sub_n(uint64_t *r, const uint64_t *a) {
    u128 borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 v = (u128)a[i] - SC_N[i] - borrow;
        r[i] = (uint64_t)v;
        borrow = (v >> 64) & 1;
    }
}

static void scalar_set_int(scalar *r, uint64_t v) { r->d[0] = v; r->d[1] = r->d[2] = r->d[3] = 0; }
static int scalar_is_zero(const scalar *a) { return (a->d[0] | a->d[1] | a->d[2] | a->d[3]) == 0; }
static int scalar_is_high(const scalar *a) { return !u256_geq(SC_NH, a->d); }

/* Big-endian 32 bytes, reduced mod n; *overflow says whether the input was >= n. */
static void scalar_set_b32(scalar *r, const uint8_t *b, int *overflow) {
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++) v = (v << 8) | b[(3 - i) * 8 + j];
        r->d[i] = v;
    }
    int o = u256_geq(r->d, SC_N);
    if (o) u256_sub_n(r->d, r->d);
    if (overflow) *overflow = o;
}

static void scalar_get_b32(uint8_t *b, const scalar *a) {
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) b[(3 - i) * 8 + j] = (uint8_t)(a->d[i] >> (56 - 8 * j));
}

static void scalar_add(scalar *r, const scalar *a, const scalar *b) {
    u128 c = 0;
    uint64_t t[4];
    for (int i = 0; i < 4; i++) {
        c += (u128)a->d[i] + b->d[i];
        t[i] = (uint64_t)c;
        c >>= 64;
    }
    if (c || u256_geq(t, SC_N)) u256_sub_n(t, t);
    memcpy(r->d, t, sizeof t);
}

static void scalar_negate(scalar *r, const scalar *a) {
    if (scalar_is_zero(a)) { *r = *a; return; }
    u128 borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 v = (u128)SC_N[i] - a->d[i] - borrow;
        r->d[i] = (uint64_t)v;
        borrow = (v >> 64) & 1;
    }
}

/* 192-bit column accumulator for the unrolled reduction. */
typedef struct { uint64_t c0, c1, c2; } sc_acc;

static inline void sc_acc_mul(sc_acc *a, uint64_t x, uint64_t y) {
    u128 t = (u128)x * y;
    u128 lo = (u128)a->c0 + (uint64_t)t;
    u128 hi = (u128)a->c1 + (uint64_t)(t >> 64) + (uint64_t)(lo >> 64);
    a->c0 = (uint64_t)lo;
    a->c1 = (uint64_t)hi;
    a->c2 += (uint64_t)(hi >> 64);
}

static inline void sc_acc_add(sc_acc *a, uint64_t x) {
    u128 lo = (u128)a->c0 + x;
    u128 hi = (u128)a->c1 + (uint64_t)(lo >> 64);
    a->c0 = (uint64_t)lo;
    a->c1 = (uint64_t)hi;
    a->c2 += (uint64_t)(hi >> 64);
}

static inline uint64_t sc_acc_next(sc_acc *a) {
    uint64_t r = a->c0;
    a->c0 = a->c1;
    a->c1 = a->c2;
    a->c2 = 0;
    return r;
}

/* Reduce an 8-limb value mod n with 2^256 = C = c0 + c1 2^64 + 2^128 (mod n), folding the part above
 * 2^256 three times: 512 -> 385 -> 258 -> 256 bits plus a carry, then one conditional subtraction.
 * (Unrolled: the generic loop it replaced was a third of a verification's scalar time.) */
static void scalar_reduce512(scalar *r, const uint64_t l[8]) {
    const uint64_t c0 = SC_C[0], c1 = SC_C[1];
    const uint64_t n0 = l[4], n1 = l[5], n2 = l[6], n3 = l[7];
    uint64_t m0, m1, m2, m3, m4, m5, m6, p0, p1, p2, p3, p4, t[4];
    sc_acc a = {l[0], 0, 0};
    sc_acc_mul(&a, n0, c0); m0 = sc_acc_next(&a);
    sc_acc_add(&a, l[1]); sc_acc_mul(&a, n1, c0); sc_acc_mul(&a, n0, c1); m1 = sc_acc_next(&a);
    sc_acc_add(&a, l[2]); sc_acc_mul(&a, n2, c0); sc_acc_mul(&a, n1, c1); sc_acc_add(&a, n0); m2 = sc_acc_next(&a);
    sc_acc_add(&a, l[3]); sc_acc_mul(&a, n3, c0); sc_acc_mul(&a, n2, c1); sc_acc_add(&a, n1); m3 = sc_acc_next(&a);
    sc_acc_mul(&a, n3, c1); sc_acc_add(&a, n2); m4 = sc_acc_next(&a);
    sc_acc_add(&a, n3); m5 = sc_acc_next(&a);
    m6 = sc_acc_next(&a); /* m < 2^385: m6 <= 1 */
    a.c0 = m0; a.c1 = a.c2 = 0;
    sc_acc_mul(&a, m4, c0); p0 = sc_acc_next(&a);
    sc_acc_add(&a, m1); sc_acc_mul(&a, m5, c0); sc_acc_mul(&a, m4, c1); p1 = sc_acc_next(&a);
    sc_acc_add(&a, m2); sc_acc_mul(&a, m6, c0); sc_acc_mul(&a, m5, c1); sc_acc_add(&a, m4); p2 = sc_acc_next(&a);
    sc_acc_add(&a, m3); sc_acc_mul(&a, m6, c1); sc_acc_add(&a, m5); p3 = sc_acc_next(&a);
    sc_acc_add(&a, m6); p4 = sc_acc_next(&a); /* p < 2^259 */
    u128 v = (u128)p0 + (u128)p4 * c0;
    t[0] = (uint64_t)v;
    v = (v >> 64) + p1 + (u128)p4 * c1;
    t[1] = (uint64_t)v;
    v = (v >> 64) + p2 + p4;
    t[2] = (uint64_t)v;
    v = (v >> 64) + p3;
    t[3] = (uint64_t)v;
    if ((uint64_t)(v >> 64)) {
        /* the value is t + 2^256 = t + C with t < 2^133 here, so no further carry */
        v = (u128)t[0] + c0; t[0] = (uint64_t)v;
        v = (v >> 64) + t[1] + c1; t[1] = (uint64_t)v;
        v = (v >> 64) + t[2] + 1; t[2] = (uint64_t)v;
        t[3] += (uint64_t)(v >> 64);
    }
    if (u256_geq(t, SC_N)) u256_sub_n(t, t);
    memcpy(r->d, t, sizeof t);
}

static void u256_mul_wide(uint64_t out[8], const uint64_t *a, const uint64_t *b) {
    memset(out, 0, 8 * sizeof(uint64_t));
    for (int i = 0; i < 4; i++) {
        u128 carry = 0;
        for (int j = 0; j < 4; j++) {
            u128 v = (u128)a[i] * b[j] + out[i + j] + carry;
            out[i + j] = (uint64_t)v;
            carry = v >> 64;
        }
        out[i + 4] = (uint64_t)carry;
    }
}

static void scalar_mul(scalar *r, const scalar *a, const scalar *b) {
    uint64_t w[8];
    u256_mul_wide(w, a->d, b->d);
    scalar_reduce512(r, w);
}

/* r = a^(n-2) = 1/a (0 for 0), with a fixed 4-bit window.  Only for public data or per-batch use. */
static void scalar_inv_var(scalar *r, const scalar *a) {
    static const uint64_t E[4] = {0xBFD25E8CD036413FULL, 0xBAAEDCE6AF48A03BULL, 0xFFFFFFFFFFFFFFFEULL,
                                  0xFFFFFFFFFFFFFFFFULL};
    scalar tab[16], t;
    scalar_set_int(&tab[0], 1);
    tab[1] = *a;
    for (int i = 2; i < 16; i++) scalar_mul(&tab[i], &tab[i - 1], a);
    scalar_set_int(&t, 1);
    for (int i = 63; i >= 0; i--) {
        for (int j = 0; j < 4; j++) scalar_mul(&t, &t, &t);
        unsigned nib = (unsigned)(E[i / 16] >> (4 * (i % 16))) & 15;
        if (nib) scalar_mul(&t, &t, &tab[nib]);
    }
    *r = t;
}

/* Montgomery's trick over scalars: r[i] = 1/a[i], all a[i] nonzero; r may not alias a. */
static void scalar_inv_all_var(scalar *r, const scalar *a, size_t n) {
    scalar u;
    if (n == 0) return;
    r[0] = a[0];
    for (size_t i = 1; i < n; i++) scalar_mul(&r[i], &r[i - 1], &a[i]);
    scalar_inv_var(&u, &r[n - 1]);
    for (size_t i = n - 1; i > 0; i--) {
        scalar_mul(&r[i], &r[i - 1], &u);
        scalar_mul(&u, &u, &a[i]);
    }
    r[0] = u;
}

/* GLV split: k = k1 + k2*lambda (mod n) with |k1|, |k2| < 2^128 as signed values (each returned mod n; a
 * "negative" one is returned as n - |k|, which the caller detects with scalar_is_high and negates).
 * c1 = round(k * b2 / n), c2 = round(k * (-b1) / n) via g = round(2^384 * b / n); then
 * k2 = -(c1*b1 + c2*b2) and k1 = k - lambda*k2, for the lattice basis (a1, b1), (a2, b2) of
 * {(x, y): x + y*lambda = 0 mod n}.  Checked against Python over random and edge k (tests). */
static const scalar SC_LAMBDA = {{0xDF02967C1B23BD72ULL, 0x122E22EA20816678ULL, 0xA5261C028812645AULL,
                                  0x5363AD4CC05C30E0ULL}};
static void scalar_split_lambda(scalar *k1, scalar *k2, const scalar *k) {
    static const uint64_t G1[4] = {0xE893209A45DBB031ULL, 0x3DAA8A1471E8CA7FULL, 0xE86C90E49284EB15ULL,
                                   0x3086D221A7D46BCDULL};
    static const uint64_t G2[4] = {0x1571B4AE8AC47F71ULL, 0x221208AC9DF506C6ULL, 0x6F547FA90ABFE4C4ULL,
                                   0xE4437ED6010E8828ULL};
    static const scalar MINUS_B1 = {{0x6F547FA90ABFE4C3ULL, 0xE4437ED6010E8828ULL, 0, 0}};
    static const scalar MINUS_B2 = {{0xD765CDA83DB1562CULL, 0x8A280AC50774346DULL, 0xFFFFFFFFFFFFFFFEULL,
                                     0xFFFFFFFFFFFFFFFFULL}};
    static const scalar MINUS_LAMBDA = {{0xE0CFC810B51283CFULL, 0xA880B9FC8EC739C2ULL, 0x5AD9E3FD77ED9BA4ULL,
                                         0xAC9C52B33FA3CF1FULL}};
    uint64_t w[8];
    scalar c1, c2, t;
    /* c = (k * g + 2^383) >> 384: limbs 6 and 7 of the product, plus the rounding bit 383. */
    u256_mul_wide(w, k->d, G1);
    c1.d[0] = w[6] + (w[5] >> 63); c1.d[1] = w[7] + (c1.d[0] < w[6]); c1.d[2] = c1.d[3] = 0;
    u256_mul_wide(w, k->d, G2);
    c2.d[0] = w[6] + (w[5] >> 63); c2.d[1] = w[7] + (c2.d[0] < w[6]); c2.d[2] = c2.d[3] = 0;
    scalar_mul(&c1, &c1, &MINUS_B1);
    scalar_mul(&c2, &c2, &MINUS_B2);
    scalar_add(k2, &c1, &c2);
    scalar_mul(&t, k2, &MINUS_LAMBDA);
    scalar_add(k1, &t, k);
}

/* Width-w NAF of a (up to 2^256 - 1): out[i] in {0, +-1, +-3, ..., +-(2^(w-1) - 1)}, nonzero digits at
 * least w apart, sum out[i]*2^i = a.  Returns the number of digits used (0 for a = 0).  len >= 257. */
static int scalar_wnaf_var(int *out, int len, const scalar *a, int w) {
    int bit = 0, last = -1;
    unsigned carry = 0;
    memset(out, 0, (size_t)len * sizeof(int));
    while (bit < 256) {
        unsigned b = (unsigned)(a->d[bit >> 6] >> (bit & 63)) & 1;
        if (b == carry) { bit++; continue; }
        int now = w;
        if (now > 256 - bit) now = 256 - bit;
        /* the next `now` bits, which may straddle two limbs */
        uint64_t v = a->d[bit >> 6] >> (bit & 63);
        if ((bit & 63) + now > 64 && (bit >> 6) < 3) v |= a->d[(bit >> 6) + 1] << (64 - (bit & 63));
        int word = (int)(v & ((1u << now) - 1)) + (int)carry;
        carry = (unsigned)(word >> (w - 1)) & 1;
        word -= (int)(carry << w);
        out[bit] = word;
        last = bit;
        bit += now;
    }
    if (carry) { VERIFY_CHECK(256 < len); out[256] = 1; last = 256; }
    return last + 1;
}

#endif
