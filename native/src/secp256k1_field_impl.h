/* Field layer: integers mod p = 2^256 - 2^32 - 977 in five 52-bit limbs (the top one 48 bits).
 *
 * Limbs leave 12 bits of headroom, so additions need no carries; a "magnitude" m bounds each limb by
 * 2*m*(2^52-1) (the top limb by 2*m*(2^48-1)).  mul/sqr accept magnitude <= 32 and return magnitude 1;
 * normalize_weak returns magnitude 1; normalize returns the unique representative in [0, p).
 * Reduction uses 2^256 = 0x1000003D1 (mod p), so 2^260 = 0x1000003D10.  5x52 rather than 4x64 because
 * portable C has no add-with-carry: the spare bits make additions and negations carry-free. */
#ifndef LV_SECP256K1_FIELD_IMPL_H
#define LV_SECP256K1_FIELD_IMPL_H
#include "secp256k1_util.h"

typedef struct { uint64_t n[5]; } fe;

#define FE_M52 0xFFFFFFFFFFFFFULL
#define FE_M48 0xFFFFFFFFFFFFULL
#define FE_R 0x1000003D1ULL
#define FE_P0 0xFFFFEFFFFFC2FULL

/* 1 when a has magnitude at most m (checked builds only: VERIFY_CHECK(fe_mag_ok(a, m))). */
static int fe_mag_ok(const fe *a, int m) {
    for (int i = 0; i < 4; i++)
        if (a->n[i] > 2ULL * (uint64_t)m * FE_M52) return 0;
    return a->n[4] <= 2ULL * (uint64_t)m * FE_M48;
}

static void fe_set_int(fe *r, uint64_t v) { r->n[0] = v; r->n[1] = r->n[2] = r->n[3] = r->n[4] = 0; }

/* Full reduction to [0, p). */
static void fe_normalize(fe *r) {
    uint64_t t0 = r->n[0], t1 = r->n[1], t2 = r->n[2], t3 = r->n[3], t4 = r->n[4];
    uint64_t x = t4 >> 48;
    t4 &= FE_M48;
    t0 += x * FE_R;
    t1 += t0 >> 52; t0 &= FE_M52;
    t2 += t1 >> 52; t1 &= FE_M52;
    t3 += t2 >> 52; t2 &= FE_M52;
    t4 += t3 >> 52; t3 &= FE_M52;
    /* Now value < 2^256 + 2^49; subtract p once if value >= p (bit 256 set, or all ones above p's low limb). */
    x = (t4 >> 48) | ((t4 == FE_M48) & ((t3 & t2 & t1) == FE_M52) & (t0 >= FE_P0));
    t0 += x * FE_R;
    t1 += t0 >> 52; t0 &= FE_M52;
    t2 += t1 >> 52; t1 &= FE_M52;
    t3 += t2 >> 52; t2 &= FE_M52;
    t4 += t3 >> 52; t3 &= FE_M52;
    t4 &= FE_M48;
    r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3; r->n[4] = t4;
}

/* Carry into 52-bit limbs without the final conditional subtraction: magnitude 1. */
static void fe_normalize_weak(fe *r) {
    uint64_t t0 = r->n[0], t1 = r->n[1], t2 = r->n[2], t3 = r->n[3], t4 = r->n[4];
    uint64_t x = t4 >> 48;
    t4 &= FE_M48;
    t0 += x * FE_R;
    t1 += t0 >> 52; t0 &= FE_M52;
    t2 += t1 >> 52; t1 &= FE_M52;
    t3 += t2 >> 52; t2 &= FE_M52;
    t4 += t3 >> 52; t3 &= FE_M52;
    r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3; r->n[4] = t4;
}

static int fe_is_zero_norm(const fe *a) { return (a->n[0] | a->n[1] | a->n[2] | a->n[3] | a->n[4]) == 0; }
static int fe_is_odd_norm(const fe *a) { return (int)(a->n[0] & 1); }

/* Zero mod p.  After folding the bits above 2^256 the value is below 2p, so it is zero only as 0 or p, and
 * its low 52 bits (which later carries never change) are then 0 or p's: most nonzero values leave here
 * after two operations (the addition formulas call this every time). */
static int fe_normalizes_to_zero_var(const fe *a) {
    uint64_t z0 = (a->n[0] + (a->n[4] >> 48) * FE_R) & FE_M52;
    if (z0 != 0 && z0 != FE_P0) return 0;
    fe t = *a;
    fe_normalize(&t);
    return fe_is_zero_norm(&t);
}

static int fe_equal_var(const fe *a, const fe *b) {
    fe t = *a, u = *b;
    fe_normalize(&t);
    fe_normalize(&u);
    return ((t.n[0] ^ u.n[0]) | (t.n[1] ^ u.n[1]) | (t.n[2] ^ u.n[2]) | (t.n[3] ^ u.n[3]) | (t.n[4] ^ u.n[4])) == 0;
}

/* Big-endian 32 bytes; returns 1 when the value is < p (the caller decides whether >= p is an error). */
static int fe_set_b32(fe *r, const uint8_t *b) {
    uint64_t w[4];
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++) v = (v << 8) | b[(3 - i) * 8 + j];
        w[i] = v;
    }
    r->n[0] = w[0] & FE_M52;
    r->n[1] = (w[0] >> 52 | w[1] << 12) & FE_M52;
    r->n[2] = (w[1] >> 40 | w[2] << 24) & FE_M52;
    r->n[3] = (w[2] >> 28 | w[3] << 36) & FE_M52;
    r->n[4] = w[3] >> 16;
    return !((r->n[4] == FE_M48) & ((r->n[3] & r->n[2] & r->n[1]) == FE_M52) & (r->n[0] >= FE_P0));
}

/* Requires a normalized input. */
static void fe_get_b32(uint8_t *b, const fe *a) {
    uint64_t w[4];
    w[0] = a->n[0] | a->n[1] << 52;
    w[1] = a->n[1] >> 12 | a->n[2] << 40;
    w[2] = a->n[2] >> 24 | a->n[3] << 28;
    w[3] = a->n[3] >> 36 | a->n[4] << 16;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) b[(3 - i) * 8 + j] = (uint8_t)(w[i] >> (56 - 8 * j));
}

/* r = -a for a of magnitude <= m; the result has magnitude m + 1. */
static void fe_negate(fe *r, const fe *a, int m) {
    uint64_t k = 2 * (uint64_t)(m + 1);
    VERIFY_CHECK(fe_mag_ok(a, m));
    r->n[0] = k * FE_P0 - a->n[0];
    r->n[1] = k * FE_M52 - a->n[1];
    r->n[2] = k * FE_M52 - a->n[2];
    r->n[3] = k * FE_M52 - a->n[3];
    r->n[4] = k * FE_M48 - a->n[4];
}

static void fe_add(fe *r, const fe *a) {
    r->n[0] += a->n[0]; r->n[1] += a->n[1]; r->n[2] += a->n[2]; r->n[3] += a->n[3]; r->n[4] += a->n[4];
}

static void fe_mul_int(fe *r, uint64_t k) {
    r->n[0] *= k; r->n[1] *= k; r->n[2] *= k; r->n[3] *= k; r->n[4] *= k;
}

/* Products column by column, the high columns (2^260 and up) first: carried into 52-bit limbs h5..h9 they
 * fold into the low columns as h*2^260 = h*0x1000003D10, each while that column is summed, so only one
 * 128-bit accumulator is live (measured ~3% faster here than keeping all nine column sums live).
 * Inputs of magnitude <= 32 keep every column below 2^120. */
#define FE_MUL_BODY(C5, C6, C7, C8, C0, C1, C2, C3, C4)                                                      \
    do {                                                                                                    \
        const uint64_t R4 = FE_R << 4;                                                                      \
        uint64_t h5, h6, h7, h8, h9, r0, r1, r2, r3, r4;                                                    \
        u128 c = (C5);                                                                                      \
        h5 = (uint64_t)c & FE_M52; c >>= 52;                                                                \
        c += (C6); h6 = (uint64_t)c & FE_M52; c >>= 52;                                                     \
        c += (C7); h7 = (uint64_t)c & FE_M52; c >>= 52;                                                     \
        c += (C8); h8 = (uint64_t)c & FE_M52; h9 = (uint64_t)(c >> 52);                                     \
        c = (C0) + (u128)h5 * R4; r0 = (uint64_t)c & FE_M52; c >>= 52;                                      \
        c += (C1) + (u128)h6 * R4; r1 = (uint64_t)c & FE_M52; c >>= 52;                                     \
        c += (C2) + (u128)h7 * R4; r2 = (uint64_t)c & FE_M52; c >>= 52;                                     \
        c += (C3) + (u128)h8 * R4; r3 = (uint64_t)c & FE_M52; c >>= 52;                                     \
        c += (C4) + (u128)h9 * R4; r4 = (uint64_t)c & FE_M48; c >>= 48;                                     \
        /* c < 2^72: the bits at and above 2^256, folded back with 2^256 = 0x1000003D1 */                   \
        c = (u128)r0 + c * FE_R;                                                                            \
        r->n[0] = (uint64_t)c & FE_M52;                                                                     \
        r->n[1] = r1 + (uint64_t)(c >> 52);                                                                 \
        r->n[2] = r2; r->n[3] = r3; r->n[4] = r4;                                                           \
    } while (0)

/* Inlined everywhere: called out of line they cost the scalar chains 4-9% (cold 25.3 -> 23.1 us, split
 * 13.4 -> 12.8 us a multi-scalar multiplication, three interleaved pairs of runs, one core). */
#define FE_INLINE static inline __attribute__((always_inline))

FE_INLINE void fe_mul(fe *r, const fe *a, const fe *b) {
    const uint64_t a0 = a->n[0], a1 = a->n[1], a2 = a->n[2], a3 = a->n[3], a4 = a->n[4];
    const uint64_t b0 = b->n[0], b1 = b->n[1], b2 = b->n[2], b3 = b->n[3], b4 = b->n[4];
    VERIFY_CHECK(fe_mag_ok(a, 32));
    VERIFY_CHECK(fe_mag_ok(b, 32));
    FE_MUL_BODY((u128)a1 * b4 + (u128)a2 * b3 + (u128)a3 * b2 + (u128)a4 * b1,
                (u128)a2 * b4 + (u128)a3 * b3 + (u128)a4 * b2,
                (u128)a3 * b4 + (u128)a4 * b3,
                (u128)a4 * b4,
                (u128)a0 * b0,
                (u128)a0 * b1 + (u128)a1 * b0,
                (u128)a0 * b2 + (u128)a1 * b1 + (u128)a2 * b0,
                (u128)a0 * b3 + (u128)a1 * b2 + (u128)a2 * b1 + (u128)a3 * b0,
                (u128)a0 * b4 + (u128)a1 * b3 + (u128)a2 * b2 + (u128)a3 * b1 + (u128)a4 * b0);
}

FE_INLINE void fe_sqr(fe *r, const fe *a) {
    const uint64_t a0 = a->n[0], a1 = a->n[1], a2 = a->n[2], a3 = a->n[3], a4 = a->n[4];
    const uint64_t a0d = 2 * a0, a1d = 2 * a1, a2d = 2 * a2, a3d = 2 * a3;
    VERIFY_CHECK(fe_mag_ok(a, 32));
    FE_MUL_BODY((u128)a1d * a4 + (u128)a2d * a3,
                (u128)a2d * a4 + (u128)a3 * a3,
                (u128)a3d * a4,
                (u128)a4 * a4,
                (u128)a0 * a0,
                (u128)a0d * a1,
                (u128)a0d * a2 + (u128)a1 * a1,
                (u128)a0d * a3 + (u128)a1d * a2,
                (u128)a0d * a4 + (u128)a1d * a3 + (u128)a2 * a2);
}

static void fe_sqr_n(fe *r, const fe *a, int n) {
    *r = *a;
    for (int i = 0; i < n; i++) fe_sqr(r, r);
}

/* a^(2^223 - 1) and a^(2^22 - 1): the long runs of ones that both p - 2 and (p + 1)/4 start with. */
static void fe_pow_x223(fe *x223, fe *x22, const fe *a) {
    fe x2, x3, x6, x9, x11, x44, x88, x176, x220, t;
    fe_sqr(&x2, a); fe_mul(&x2, &x2, a);
    fe_sqr(&x3, &x2); fe_mul(&x3, &x3, a);
    fe_sqr_n(&x6, &x3, 3); fe_mul(&x6, &x6, &x3);
    fe_sqr_n(&x9, &x6, 3); fe_mul(&x9, &x9, &x3);
    fe_sqr_n(&x11, &x9, 2); fe_mul(&x11, &x11, &x2);
    fe_sqr_n(x22, &x11, 11); fe_mul(x22, x22, &x11);
    fe_sqr_n(&x44, x22, 22); fe_mul(&x44, &x44, x22);
    fe_sqr_n(&x88, &x44, 44); fe_mul(&x88, &x88, &x44);
    fe_sqr_n(&x176, &x88, 88); fe_mul(&x176, &x176, &x88);
    fe_sqr_n(&x220, &x176, 44); fe_mul(&x220, &x220, &x44);
    fe_sqr_n(&t, &x220, 3); fe_mul(x223, &t, &x3);
}

/* r = r^(2^nbits) * a^bits, bit by bit (the short irregular tails of the exponents). */
static void fe_pow_tail(fe *r, const fe *a, uint32_t bits, int nbits) {
    for (int i = nbits - 1; i >= 0; i--) {
        fe_sqr(r, r);
        if ((bits >> i) & 1) fe_mul(r, r, a);
    }
}

/* r = a^(p-2) = 1/a (0 for a = 0).  p - 2 = (223 ones) 0 (22 ones) 0000101101. */
static void fe_inv(fe *r, const fe *a) {
    fe x223, x22, t;
    fe_pow_x223(&x223, &x22, a);
    fe_sqr_n(&t, &x223, 23);
    fe_mul(&t, &t, &x22);
    fe_pow_tail(&t, a, 0x2D, 10);
    *r = t;
}

/* r = a^((p+1)/4); returns 1 when a is a square (then r^2 = a).  (p+1)/4 = (223 ones) 0 (22 ones) 00001100. */
static int fe_sqrt_var(fe *r, const fe *a) {
    fe x223, x22, t, c;
    fe_pow_x223(&x223, &x22, a);
    fe_sqr_n(&t, &x223, 23);
    fe_mul(&t, &t, &x22);
    fe_pow_tail(&t, a, 0x0C, 8);
    fe_sqr(&c, &t);
    *r = t;
    return fe_equal_var(&c, a);
}

/* Montgomery's trick: r[i] = 1/a[i] for n elements with one inversion (all a[i] nonzero; r may not alias a). */
static void fe_inv_all_var(fe *r, const fe *a, size_t n) {
    fe u;
    if (n == 0) return;
    r[0] = a[0];
    for (size_t i = 1; i < n; i++) fe_mul(&r[i], &r[i - 1], &a[i]);
    fe_inv(&u, &r[n - 1]);
    for (size_t i = n - 1; i > 0; i--) {
        fe_mul(&r[i], &r[i - 1], &u);
        fe_mul(&u, &u, &a[i]);
    }
    r[0] = u;
}

/* Compact 4x64 form for the static tables (64 bytes a coordinate pair instead of 80). */
typedef struct { uint64_t n[4]; } fe_storage;

static void fe_to_storage(fe_storage *r, const fe *a) { /* a normalized */
    r->n[0] = a->n[0] | a->n[1] << 52;
    r->n[1] = a->n[1] >> 12 | a->n[2] << 40;
    r->n[2] = a->n[2] >> 24 | a->n[3] << 28;
    r->n[3] = a->n[3] >> 36 | a->n[4] << 16;
}

static void fe_from_storage(fe *r, const fe_storage *a) {
    r->n[0] = a->n[0] & FE_M52;
    r->n[1] = (a->n[0] >> 52 | a->n[1] << 12) & FE_M52;
    r->n[2] = (a->n[1] >> 40 | a->n[2] << 24) & FE_M52;
    r->n[3] = (a->n[2] >> 28 | a->n[3] << 36) & FE_M52;
    r->n[4] = a->n[3] >> 16;
}

#endif
