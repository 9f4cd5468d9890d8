/* The split-table chain (secp256k1_keytab_impl.h) on four 64-bit limbs with MULX/ADCX/ADOX: the path for
 * keys seen again on x86-64 CPUs with BMI2 and ADX and without AVX-512 IFMA (AVX2-only servers).
 *
 * Why a second field representation for one chain: the chain is all point additions and doublings, and a
 * 4x64 product with the reduction 2^256 = 0x1000003D1 (mod p) takes 21 MULX on two carry chains against the
 * 25 MUL plus reduction of the 5x52 field.  Measured (C microbenchmark, thread CPU time, 10^6 dependent
 * products, shared 2-core EPYC, five runs): 9.9-13.4 ns against 12.9-16.0 ns.  Additions and subtractions
 * cost more here (carries, a conditional fold) but the formulas have fewer of them than products.
 * The stored tables (ge_storage) are already 4x64, so entries load without conversion.
 *
 * Representation: fe4 holds any value below 2^256 ("weakly reduced": possibly >= p); every function takes
 * and returns such values; equality to zero mod p is a test for 0 or p.  Inline asm (not intrinsics)
 * because GCC does not keep the two carry chains apart; this header compiles to nothing off x86-64. */
#ifndef LV_SECP256K1_SPLIT_ADX_IMPL_H
#define LV_SECP256K1_SPLIT_ADX_IMPL_H
#include "secp256k1_keytab_impl.h"

#if defined(__x86_64__)
#define LV_K1_ADX 1

typedef struct { uint64_t n[4]; } fe4;
typedef struct { fe4 x, y, z; int infinity; } gej4;

#define FE4_C 0x1000003D1ULL
static const fe4 FE4_BETA = {{0xC1396C28719501EEULL, 0x9CF0497512F58995ULL, 0x6E64479EAC3434E9ULL,
                              0x7AE96A2B657C0710ULL}};

/* One row of the 4x4 product: t[T0..T4] += a * b[OFF/8], low halves on CF (ADCX), high halves on OF
 * (ADOX); T4 starts at zero (the xor also clears both flags). */
#define FE4_ROW(OFF, T0, T1, T2, T3, T4)                                                                   \
    "movq " OFF "(%[b]), %%rdx\n\t" "xorl %k[" T4 "], %k[" T4 "]\n\t"                                    \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t" "adcxq %[lo], %[" T0 "]\n\t" "adoxq %[hi], %[" T1 "]\n\t"          \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t" "adcxq %[lo], %[" T1 "]\n\t" "adoxq %[hi], %[" T2 "]\n\t"          \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t" "adcxq %[lo], %[" T2 "]\n\t" "adoxq %[hi], %[" T3 "]\n\t"         \
    "mulxq 24(%[a]), %[lo], %[hi]\n\t" "adcxq %[lo], %[" T3 "]\n\t" "adoxq %[hi], %[" T4 "]\n\t"         \
    "movl $0, %k[lo]\n\t" "adcxq %[lo], %[" T4 "]\n\t"

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
        "movq 0(%[b]), %%rdx\n\t"
        "mulxq 0(%[a]), %[t0], %[t1]\n\t"
        "mulxq 8(%[a]), %[lo], %[t2]\n\t" "addq %[lo], %[t1]\n\t"
        "mulxq 16(%[a]), %[lo], %[t3]\n\t" "adcq %[lo], %[t2]\n\t"
        "mulxq 24(%[a]), %[lo], %[t4]\n\t" "adcq %[lo], %[t3]\n\t" "adcq $0, %[t4]\n\t"
        FE4_ROW("8", "t1", "t2", "t3", "t4", "t5")
        FE4_ROW("16", "t2", "t3", "t4", "t5", "t6")
        FE4_ROW("24", "t3", "t4", "t5", "t6", "t7")
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
        "movq 0(%[a]), %%rdx\n\t"
        "mulxq 8(%[a]), %[t1], %[t2]\n\t"
        "mulxq 16(%[a]), %[lo], %[t3]\n\t" "addq %[lo], %[t2]\n\t"
        "mulxq 24(%[a]), %[lo], %[t4]\n\t" "adcq %[lo], %[t3]\n\t" "adcq $0, %[t4]\n\t"
        "movq 8(%[a]), %%rdx\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "mulxq 24(%[a]), %[t0], %[t5]\n\t"
        "addq %[lo], %[t3]\n\t" "adcq %[hi], %[t4]\n\t" "adcq $0, %[t5]\n\t"
        "addq %[t0], %[t4]\n\t" "adcq $0, %[t5]\n\t"
        "movq 16(%[a]), %%rdx\n\t"
        "mulxq 24(%[a]), %[lo], %[t6]\n\t"
        "addq %[lo], %[t5]\n\t" "adcq $0, %[t6]\n\t"
        "xorl %k[t7], %k[t7]\n\t"
        "addq %[t1], %[t1]\n\t" "adcq %[t2], %[t2]\n\t" "adcq %[t3], %[t3]\n\t" "adcq %[t4], %[t4]\n\t"
        "adcq %[t5], %[t5]\n\t" "adcq %[t6], %[t6]\n\t" "adcq $0, %[t7]\n\t"
        "movq 0(%[a]), %%rdx\n\t" "mulxq %%rdx, %[t0], %[hi]\n\t" "addq %[hi], %[t1]\n\t"
        "movq 8(%[a]), %%rdx\n\t" "mulxq %%rdx, %[lo], %[hi]\n\t" "adcq %[lo], %[t2]\n\t" "adcq %[hi], %[t3]\n\t"
        "movq 16(%[a]), %%rdx\n\t" "mulxq %%rdx, %[lo], %[hi]\n\t" "adcq %[lo], %[t4]\n\t" "adcq %[hi], %[t5]\n\t"
        "movq 24(%[a]), %%rdx\n\t" "mulxq %%rdx, %[lo], %[hi]\n\t" "adcq %[lo], %[t6]\n\t" "adcq %[hi], %[t7]\n\t"
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

/* r = a^((p+1)/4) (the square root of a when a is a square): fe_sqrt_var's addition chain on this field,
 * for the decompression of keys seen once (255 squarings, 13 products); the caller checks r^2 = a.
 * a and r in the 5x52 form, a normalized. */
static void fe_sqrt_adx(fe *r, const fe *a) {
    fe4 b, x2, x3, x6, x9, x11, x22, x44, x88, x176, x220, t;
    fe_storage s;
    fe_to_storage(&s, a);
    memcpy(b.n, s.n, 32);
    fe4_sqr(&x2, &b); fe4_mul(&x2, &x2, &b);
    fe4_sqr(&x3, &x2); fe4_mul(&x3, &x3, &b);
    x6 = x3; for (int i = 0; i < 3; i++) fe4_sqr(&x6, &x6);
    fe4_mul(&x6, &x6, &x3);
    x9 = x6; for (int i = 0; i < 3; i++) fe4_sqr(&x9, &x9);
    fe4_mul(&x9, &x9, &x3);
    x11 = x9; for (int i = 0; i < 2; i++) fe4_sqr(&x11, &x11);
    fe4_mul(&x11, &x11, &x2);
    x22 = x11; for (int i = 0; i < 11; i++) fe4_sqr(&x22, &x22);
    fe4_mul(&x22, &x22, &x11);
    x44 = x22; for (int i = 0; i < 22; i++) fe4_sqr(&x44, &x44);
    fe4_mul(&x44, &x44, &x22);
    x88 = x44; for (int i = 0; i < 44; i++) fe4_sqr(&x88, &x88);
    fe4_mul(&x88, &x88, &x44);
    x176 = x88; for (int i = 0; i < 88; i++) fe4_sqr(&x176, &x176);
    fe4_mul(&x176, &x176, &x88);
    x220 = x176; for (int i = 0; i < 44; i++) fe4_sqr(&x220, &x220);
    fe4_mul(&x220, &x220, &x44);
    t = x220; for (int i = 0; i < 3; i++) fe4_sqr(&t, &t);
    fe4_mul(&t, &t, &x3);                              /* x223 */
    for (int i = 0; i < 23; i++) fe4_sqr(&t, &t);
    fe4_mul(&t, &t, &x22);
    for (int i = 7; i >= 0; i--) {                     /* the tail 00001100 */
        fe4_sqr(&t, &t);
        if ((0x0C >> i) & 1) fe4_mul(&t, &t, &b);
    }
    memcpy(s.n, t.n, 32);
    fe_from_storage(r, &s);
}

/* 1 when a = 0 mod p (a < 2^256, so a is 0 or p). */
static int fe4_is_zero_var(const fe4 *a) {
    if ((a->n[0] | a->n[1] | a->n[2] | a->n[3]) == 0) return 1;
    return a->n[0] == 0xFFFFFFFEFFFFFC2FULL && (a->n[1] & a->n[2] & a->n[3]) == ~0ULL;
}

/* r = 2a, as gej_double_var: 3M + 4S. */
static void gej4_double(gej4 *r, const gej4 *a) {
    fe4 A, B, C, D, E, F, t;
    if (a->infinity) { *r = *a; return; }
    fe4_mul(&t, &a->y, &a->z);
    fe4_sqr(&A, &a->x);
    fe4_sqr(&B, &a->y);
    fe4_sqr(&C, &B);
    fe4_mul(&D, &a->x, &B);
    fe4_add(&D, &D, &D); fe4_add(&D, &D, &D);         /* 4XB */
    fe4_add(&E, &A, &A); fe4_add(&E, &E, &A);         /* 3X^2 */
    fe4_sqr(&F, &E);
    fe4_add(&r->z, &t, &t);
    fe4_sub(&F, &F, &D); fe4_sub(&r->x, &F, &D);      /* E^2 - 2D */
    fe4_sub(&t, &D, &r->x);
    fe4_mul(&r->y, &E, &t);
    fe4_add(&C, &C, &C); fe4_add(&C, &C, &C); fe4_add(&C, &C, &C);  /* 8C */
    fe4_sub(&r->y, &r->y, &C);
    r->infinity = 0;
}

/* r = a + (bx, by) affine, as gej_add_ge_var: 8M + 3S; handles infinity, a = b and a = -b. */
static void gej4_add_ge(gej4 *r, const gej4 *a, const fe4 *bx, const fe4 *by) {
    fe4 z12, u2, s2, h, rr, hh, hhh, v, t, x3;
    if (a->infinity) {
        r->x = *bx; r->y = *by;
        r->z = (fe4){{1, 0, 0, 0}};
        r->infinity = 0;
        return;
    }
    fe4_sqr(&z12, &a->z);
    fe4_mul(&u2, bx, &z12);
    fe4_mul(&s2, by, &z12);
    fe4_mul(&s2, &s2, &a->z);
    fe4_sub(&h, &u2, &a->x);
    fe4_sub(&rr, &s2, &a->y);
    if (fe4_is_zero_var(&h)) {
        if (fe4_is_zero_var(&rr)) { gej4_double(r, a); return; }
        r->infinity = 1;
        return;
    }
    fe4_sqr(&hh, &h);
    fe4_mul(&hhh, &hh, &h);
    fe4_mul(&v, &a->x, &hh);
    fe4_mul(&r->z, &a->z, &h);
    fe4_mul(&t, &a->y, &hhh);
    fe4_sqr(&x3, &rr);
    fe4_sub(&x3, &x3, &hhh);
    fe4_sub(&x3, &x3, &v);
    fe4_sub(&x3, &x3, &v);
    fe4_sub(&v, &v, &x3);
    fe4_mul(&r->y, &rr, &v);
    fe4_sub(&r->y, &r->y, &t);
    r->x = x3;
    r->infinity = 0;
}

/* out = a on the 5x52 field (values below 2^256 have magnitude 1 there). */
static void gej4_to_gej(gej *out, const gej4 *a) {
    fe_storage c;
    if (a->infinity) { gej_set_infinity(out); return; }
    memcpy(c.n, a->x.n, 32); fe_from_storage(&out->x, &c);
    memcpy(c.n, a->y.n, 32); fe_from_storage(&out->y, &c);
    memcpy(c.n, a->z.n, 32); fe_from_storage(&out->z, &c);
    out->infinity = 0;
}

/* Add the stored point at entry (64 bytes: x, y as 4x64 normalized), times lambda and/or negated. */
static void gej4_add_entry(gej4 *r, const uint8_t *entry, int negate, int lambda) {
    fe4 x, y;
    memcpy(x.n, entry, 32);
    memcpy(y.n, entry + 32, 32);
    if (lambda) fe4_mul(&x, &x, &FE4_BETA);
    if (negate) { fe4 zero = {{0, 0, 0, 0}}; fe4_sub(&y, &zero, &y); }
    gej4_add_ge(r, r, &x, &y);
}

/* ecmult_split_var's chain on this field (same digits, same positions); returns 0 in the same case. */
static int ecmult_split_adx(gej *out, const uint8_t *tab, const scalar *na, const scalar *ng) {
    int wa[2][WNAF_LEN], wg[WNAF_LEN], la[2], neg[2], lg;
    scalar k[2];
    gej4 r = {{{0}}, {{0}}, {{0}}, 1};
    scalar_split_lambda(&k[0], &k[1], na);
    for (int h = 0; h < 2; h++) {
        neg[h] = scalar_is_high(&k[h]);
        if (neg[h]) scalar_negate(&k[h], &k[h]);
        if (k[h].d[2] | k[h].d[3]) return 0;
        la[h] = scalar_wnaf_var(wa[h], WNAF_LEN, &k[h], KT_WINDOW);
    }
    lg = scalar_wnaf_var(wg, WNAF_LEN, ng, ECMULT_WINDOW_G);
    for (int i = KT_SPACING; i >= 0; i--) {
        for (int j = 0; i > 0 && j < KT_BASES; j++)
            for (int h = 0; h < 2; h++) {
                int p = KT_SPACING * j + i - 1;
                if (p < la[h] && wa[h][p]) {
                    const uint8_t *e = kt_entry(tab, j, wa[h][p]);
                    __builtin_prefetch(e);
                    __builtin_prefetch(e + 63);
                }
            }
        for (int j = 0; i > 0 && j < ECMULT_G_ROWS; j++) {
            int p = KT_SPACING * j + i - 1;
            if (p < lg && wg[p]) __builtin_prefetch(&ecmult_g_tabs[j][(wg[p] < 0 ? -wg[p] : wg[p]) >> 1]);
        }
        gej4_double(&r, &r);
        for (int j = i == KT_SPACING ? KT_BASES - 1 : 0; j < KT_BASES; j++) {
            int p = KT_SPACING * j + i;
            for (int h = 0; h < 2; h++)
                if (p < la[h] && wa[h][p])
                    gej4_add_entry(&r, kt_entry(tab, j, wa[h][p]), (wa[h][p] < 0) != neg[h], h);
        }
        for (int j = i == KT_SPACING ? ECMULT_G_ROWS - 1 : 0; j < ECMULT_G_ROWS; j++) {
            int p = KT_SPACING * j + i;
            if (p < lg && wg[p])
                gej4_add_entry(&r, (const uint8_t *)&ecmult_g_tabs[j][(wg[p] < 0 ? -wg[p] : wg[p]) >> 1],
                               wg[p] < 0, 0);
        }
    }
    gej4_to_gej(out, &r);
    return 1;
}

/* ecmult_strauss_var's chain (keys seen once: the per-key window tables pre and pre_lam, built on the
 * 5x52 field, and the two static G rows) on this field; pre/pre_lam may be NULL when na is zero. */
static void ecmult_strauss_adx(gej *out, const ge *pre, const ge *pre_lam, const scalar *na, const scalar *ng) {
    int w1[WNAF_LEN], w2[WNAF_LEN], wg1[WNAF_LEN], wg2[WNAF_LEN];
    int l1 = 0, l2 = 0, lg1 = 0, lg2 = 0, neg1 = 0, neg2 = 0;
    uint8_t t1[ECMULT_TABLE_A][64], t2[ECMULT_TABLE_A][64];
    gej4 r = {{{0}}, {{0}}, {{0}}, 1};
    if (pre && !scalar_is_zero(na)) {
        scalar k1, k2;
        scalar_split_lambda(&k1, &k2, na);
        if (scalar_is_high(&k1)) { scalar_negate(&k1, &k1); neg1 = 1; }
        if (scalar_is_high(&k2)) { scalar_negate(&k2, &k2); neg2 = 1; }
        l1 = scalar_wnaf_var(w1, WNAF_LEN, &k1, ECMULT_WINDOW_A);
        l2 = scalar_wnaf_var(w2, WNAF_LEN, &k2, ECMULT_WINDOW_A);
        for (int i = 0; i < ECMULT_TABLE_A; i++) {
            ge_storage s;
            ge_to_storage(&s, &pre[i]);
            memcpy(t1[i], &s, 64);
            ge_to_storage(&s, &pre_lam[i]);
            memcpy(t2[i], &s, 64);
        }
    }
    if (ng && !scalar_is_zero(ng)) {
        scalar lo = {{ng->d[0], ng->d[1], 0, 0}}, hi = {{ng->d[2], ng->d[3], 0, 0}};
        lg1 = scalar_wnaf_var(wg1, WNAF_LEN, &lo, ECMULT_WINDOW_G);
        lg2 = scalar_wnaf_var(wg2, WNAF_LEN, &hi, ECMULT_WINDOW_G);
    }
    int bits = l1;
    if (l2 > bits) bits = l2;
    if (lg1 > bits) bits = lg1;
    if (lg2 > bits) bits = lg2;
    for (int i = bits - 1; i >= 0; i--) {
        gej4_double(&r, &r);
        if (i < l1 && w1[i]) gej4_add_entry(&r, t1[(w1[i] < 0 ? -w1[i] : w1[i]) >> 1], (w1[i] < 0) != neg1, 0);
        if (i < l2 && w2[i]) gej4_add_entry(&r, t2[(w2[i] < 0 ? -w2[i] : w2[i]) >> 1], (w2[i] < 0) != neg2, 0);
        if (i < lg1 && wg1[i])
            gej4_add_entry(&r, (const uint8_t *)&ecmult_g_pre[(wg1[i] < 0 ? -wg1[i] : wg1[i]) >> 1], wg1[i] < 0, 0);
        if (i < lg2 && wg2[i])
            gej4_add_entry(&r, (const uint8_t *)&ecmult_g128_pre[(wg2[i] < 0 ? -wg2[i] : wg2[i]) >> 1],
                           wg2[i] < 0, 0);
    }
    gej4_to_gej(out, &r);
}
#endif

#endif
