/* Field layer of PATH_ADX: integers mod p on four 64-bit limbs with MULX/ADCX/ADOX, for the chains of
 * secp256k1_ecmult_adx_impl.h on x86-64 CPUs with BMI2 and ADX and without AVX-512 IFMA (AVX2-only servers).
 *
 * Why a second field representation: the chains are all point additions and doublings, and a
 * 4x64 product with the reduction 2^256 = 0x1000003D1 (mod p) takes 21 MULX on two carry chains against the
 * 25 MUL plus reduction of the 5x52 field.  Measured (C microbenchmark, thread CPU time, 10^6 dependent
 * products, shared 2-core EPYC, five runs): 9.9-13.4 ns against 12.9-16.0 ns.  Additions and subtractions
 * cost more here (carries, a conditional fold) but the formulas have fewer of them than products.
 *
 * Representation: fe4 holds any value below 2^256 ("weakly reduced": possibly >= p); every function takes
 * and returns such values; equality to zero mod p is a test for 0 or p.  Inline asm (not intrinsics)
 * because GCC does not keep the two carry chains apart; this header compiles to nothing off x86-64. */
#ifndef LV_SECP256K1_FIELD_ADX_IMPL_H
#define LV_SECP256K1_FIELD_ADX_IMPL_H
#include "secp256k1_field_impl.h"
#include "lv_mulx_impl.h"

#if defined(__x86_64__)
#define LV_K1_ADX 1

typedef struct { uint64_t n[4]; } fe4;

#define FE4_C 0x1000003D1ULL
static const fe4 FE4_BETA = {{0xC1396C28719501EEULL, 0x9CF0497512F58995ULL, 0x6E64479EAC3434E9ULL,
                              0x7AE96A2B657C0710ULL}};

/* t0..t7 (512 bits) -> t0..t3 mod p, weakly reduced.  The high half h (4 limbs) folds in as h*C (C =
 * 2^256 mod p, 33 bits): the low half plus h*C is below 2^256 + 2^290, its top limb t (< 2^34) folds in
 * again as t*C (< 2^67), and a last carry out of 2^256 (then the value is below 2^67) adds C once more
 * without a further carry. */
#define FE4_REDUCE \
    "movq $0x1000003D1, %%rdx\n\t" "xorl %k[hi], %k[hi]\n\t" \
    "mulxq %[t4], %[lo], %[t4]\n\t" "adcxq %[lo], %[t0]\n\t" "adoxq %[t4], %[t1]\n\t" \
    "mulxq %[t5], %[lo], %[t5]\n\t" "adcxq %[lo], %[t1]\n\t" "adoxq %[t5], %[t2]\n\t" \
    "mulxq %[t6], %[lo], %[t6]\n\t" "adcxq %[lo], %[t2]\n\t" "adoxq %[t6], %[t3]\n\t" \
    "mulxq %[t7], %[lo], %[t7]\n\t" "adcxq %[lo], %[t3]\n\t" "adoxq %[hi], %[t7]\n\t" \
    "adcxq %[hi], %[t7]\n\t" \
    "mulxq %[t7], %[lo], %[hi]\n\t" \
    "addq %[lo], %[t0]\n\t" "adcq %[hi], %[t1]\n\t" "adcq $0, %[t2]\n\t" "adcq $0, %[t3]\n\t" \
    "sbbq %[lo], %[lo]\n\t" "andq %%rdx, %[lo]\n\t" "addq %[lo], %[t0]\n\t" "adcq $0, %[t1]\n\t"

/* r = a*b mod p (weakly reduced): the 4x4 product by rows, then FE4_REDUCE. */
static inline __attribute__((always_inline)) void fe4_mul(fe4 *r, const fe4 *a, const fe4 *b) {
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi;
    __asm__(
        LV_MULX_MUL512
        FE4_REDUCE
        : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
          [t6] "=&r"(t6), [t7] "=&r"(t7), [lo] "=&r"(lo), [hi] "=&r"(hi)
        : [a] "r"(a->n), [b] "r"(b->n), "m"(*(const uint64_t(*)[4])a->n), "m"(*(const uint64_t(*)[4])b->n)
        : "rdx", "cc");
    r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3;
}

/* r = a^2 mod p: the six cross products once, doubled, plus the four squares (10 MULX instead of 16),
 * then FE4_REDUCE. */
static inline __attribute__((always_inline)) void fe4_sqr(fe4 *r, const fe4 *a) {
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi;
    __asm__(
        LV_MULX_SQR512
        FE4_REDUCE
        : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
          [t6] "=&r"(t6), [t7] "=&r"(t7), [lo] "=&r"(lo), [hi] "=&r"(hi)
        : [a] "r"(a->n), "m"(*(const uint64_t(*)[4])a->n)
        : "rdx", "cc");
    r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3;
}

/* r = a + b mod p: the sum, and C for each carry out of 2^256 (at most two: after the first fold the value
 * is below 2^256 + C). */
static inline __attribute__((always_inline)) void fe4_add(fe4 *r, const fe4 *a, const fe4 *b) {
    uint64_t t0 = a->n[0], t1 = a->n[1], t2 = a->n[2], t3 = a->n[3], m;
    __asm__(
        "addq 0(%[b]), %[t0]\n\t" "adcq 8(%[b]), %[t1]\n\t" "adcq 16(%[b]), %[t2]\n\t" "adcq 24(%[b]), %[t3]\n\t"
        "sbbq %[m], %[m]\n\t" "andq %[c], %[m]\n\t"
        "addq %[m], %[t0]\n\t" "adcq $0, %[t1]\n\t" "adcq $0, %[t2]\n\t" "adcq $0, %[t3]\n\t"
        "sbbq %[m], %[m]\n\t" "andq %[c], %[m]\n\t" "addq %[m], %[t0]\n\t"
        : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [m] "=&r"(m)
        : [b] "r"(b->n), "m"(*(const uint64_t(*)[4])b->n), [c] "r"(FE4_C)
        : "cc");
    r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3;
}

/* r = a - b mod p: the difference, and C subtracted for each borrow (a borrow means 2^256 = C was added;
 * at most two). */
static inline __attribute__((always_inline)) void fe4_sub(fe4 *r, const fe4 *a, const fe4 *b) {
    uint64_t t0 = a->n[0], t1 = a->n[1], t2 = a->n[2], t3 = a->n[3], m;
    __asm__(
        "subq 0(%[b]), %[t0]\n\t" "sbbq 8(%[b]), %[t1]\n\t" "sbbq 16(%[b]), %[t2]\n\t" "sbbq 24(%[b]), %[t3]\n\t"
        "sbbq %[m], %[m]\n\t" "andq %[c], %[m]\n\t"
        "subq %[m], %[t0]\n\t" "sbbq $0, %[t1]\n\t" "sbbq $0, %[t2]\n\t" "sbbq $0, %[t3]\n\t"
        "sbbq %[m], %[m]\n\t" "andq %[c], %[m]\n\t" "subq %[m], %[t0]\n\t"
        : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [m] "=&r"(m)
        : [b] "r"(b->n), "m"(*(const uint64_t(*)[4])b->n), [c] "r"(FE4_C)
        : "cc");
    r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3;
}

/* a^(2^223 - 1) and a^(2^22 - 1), fe_pow_x223's chain on this field. */
static void fe4_pow_x223(fe4 *x223, fe4 *x22, const fe4 *b) {
    fe4 x2, x3, x6, x9, x11, x44, x88, x176, x220, t;
    fe4_sqr(&x2, b); fe4_mul(&x2, &x2, b);
    fe4_sqr(&x3, &x2); fe4_mul(&x3, &x3, b);
    x6 = x3; for (int i = 0; i < 3; i++) fe4_sqr(&x6, &x6);
    fe4_mul(&x6, &x6, &x3);
    x9 = x6; for (int i = 0; i < 3; i++) fe4_sqr(&x9, &x9);
    fe4_mul(&x9, &x9, &x3);
    x11 = x9; for (int i = 0; i < 2; i++) fe4_sqr(&x11, &x11);
    fe4_mul(&x11, &x11, &x2);
    *x22 = x11; for (int i = 0; i < 11; i++) fe4_sqr(x22, x22);
    fe4_mul(x22, x22, &x11);
    x44 = *x22; for (int i = 0; i < 22; i++) fe4_sqr(&x44, &x44);
    fe4_mul(&x44, &x44, x22);
    x88 = x44; for (int i = 0; i < 44; i++) fe4_sqr(&x88, &x88);
    fe4_mul(&x88, &x88, &x44);
    x176 = x88; for (int i = 0; i < 88; i++) fe4_sqr(&x176, &x176);
    fe4_mul(&x176, &x176, &x88);
    x220 = x176; for (int i = 0; i < 44; i++) fe4_sqr(&x220, &x220);
    fe4_mul(&x220, &x220, &x44);
    t = x220; for (int i = 0; i < 3; i++) fe4_sqr(&t, &t);
    fe4_mul(x223, &t, &x3);
}

/* r = b^e for the exponents p - 2 and (p + 1)/4, which both read (223 ones) 0 (22 ones) and then a short
 * tail: r = (b^(2^223 - 1))^(2^23) b^(2^22 - 1), then the tail's nbits low bits of `bits`, bit by bit. */
static void fe4_pow_tail(fe4 *r, const fe4 *b, uint32_t bits, int nbits) {
    fe4 x223, x22;
    fe4_pow_x223(&x223, &x22, b);
    *r = x223;
    for (int i = 0; i < 23; i++) fe4_sqr(r, r);
    fe4_mul(r, r, &x22);
    for (int i = nbits - 1; i >= 0; i--) {
        fe4_sqr(r, r);
        if ((bits >> i) & 1) fe4_mul(r, r, b);
    }
}

/* r = 1/a = a^(p-2) (0 for 0 mod p); p - 2 ends in 0000101101 after the runs of ones. */
static void fe4_inv(fe4 *r, const fe4 *a) { fe4_pow_tail(r, a, 0x2D, 10); }

/* r = a^((p+1)/4), the square root of a when a is a square ((p+1)/4 ends in 00001100), for the
 * decompression of keys seen once (2.7-2.8 us against 3.5-3.9 us on 5x52); the caller checks r^2 = a.
 * a and r in the 5x52 form, a normalized. */
static void fe_sqrt_adx(fe *r, const fe *a) {
    fe4 b, t;
    fe_storage s;
    fe_to_storage(&s, a);
    memcpy(b.n, s.n, 32);
    fe4_pow_tail(&t, &b, 0x0C, 8);
    memcpy(s.n, t.n, 32);
    fe_from_storage(r, &s);
}

/* 1 when a = 0 mod p (a < 2^256, so a is 0 or p). */
static int fe4_is_zero_var(const fe4 *a) {
    if ((a->n[0] | a->n[1] | a->n[2] | a->n[3]) == 0) return 1;
    return a->n[0] == 0xFFFFFFFEFFFFFC2FULL && (a->n[1] & a->n[2] & a->n[3]) == ~0ULL;
}

#endif

#endif
