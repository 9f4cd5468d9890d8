/* Field layer of the ADX path: integers mod p = 2^255 - 19 on four 64-bit limbs with MULX/ADCX/ADOX inline
 * assembly, for the batch equation's Straus loop, its tables and the scalar tail of point decoding on x86-64
 * CPUs with BMI2 and ADX (AVX2-only servers; the IFMA lanes are faster where they exist).
 *
 * Why a second representation beside the 5x51 one (ed25519_field_impl.h): a 4x64 product takes 16 MULX plus
 * 4 for the reduction 2^256 = 38 (mod p), on two carry chains, against 25 MUL and the carry chain of radix
 * 2^51.  benches/ed25519_stages.c measures both (dependent products and squares, thread CPU time).
 *
 * Representation: fe64 holds any value below 2^256 ("weakly reduced": it may be p + small or 2p + small, as
 * 2^256 = 2p + 38); every function takes such values, so the loops never normalise.  Products, squares and
 * conversions from 5x51 return "tight" values, below 2^255 + 2^20 (fe64_tight), which buys lazy carries:
 * a sum with one tight operand, or a difference with a tight subtrahend, needs one fold of 38, not two
 * (fe64_add_lazy, fe64_sub_lazy; the point formulas use them wherever their operands allow).  Conversion
 * to and from the 5x51 form happens only at the edges (decoded points in, the final sum out).  Inline asm
 * (not intrinsics) because GCC does not keep the two carry chains apart; the header compiles to nothing off
 * x86-64. */
#ifndef LV_ED25519_FIELD_ADX_IMPL_H
#define LV_ED25519_FIELD_ADX_IMPL_H
#include "lv_mulx_impl.h"

#if defined(__x86_64__)
#define ED_HAVE_ADX 1

typedef struct { uint64_t n[4]; } fe64;

/* t0..t7 (512 bits) -> t0..t3, tight (below 2^255 + 1463), congruent mod p.  Bounds: with h = t4..t7 < 2^256
 * and l = t0..t3, l + 38 h < 39 * 2^256, so after the first fold (four MULX by 38 on the two chains) the limb
 * above 2^256, t7, is at most 38.  The value is then l' + 2^255 h' with l' < 2^255 (bit 255 cleared) and
 * h' = 2 t7 + bit 255 <= 77, and 2^255 = 19 (mod p): l' + 19 h' < 2^255 + 1463 takes one carry chain that
 * cannot leave 2^256.  rdx holds 38. */
#define ED64_REDUCE \
    "movl $38, %%edx\n\t" "xorl %k[hi], %k[hi]\n\t" \
    "mulxq %[t4], %[lo], %[t4]\n\t" "adcxq %[lo], %[t0]\n\t" "adoxq %[t4], %[t1]\n\t" \
    "mulxq %[t5], %[lo], %[t5]\n\t" "adcxq %[lo], %[t1]\n\t" "adoxq %[t5], %[t2]\n\t" \
    "mulxq %[t6], %[lo], %[t6]\n\t" "adcxq %[lo], %[t2]\n\t" "adoxq %[t6], %[t3]\n\t" \
    "mulxq %[t7], %[lo], %[t7]\n\t" "adcxq %[lo], %[t3]\n\t" "adoxq %[hi], %[t7]\n\t" \
    "adcxq %[hi], %[t7]\n\t" \
    "shldq $1, %[t3], %[t7]\n\t" "btrq $63, %[t3]\n\t" \
    "imulq $19, %[t7], %[lo]\n\t" \
    "addq %[lo], %[t0]\n\t" "adcq $0, %[t1]\n\t" "adcq $0, %[t2]\n\t" "adcq $0, %[t3]\n\t"

#define ED64_OUTS                                                                                             \
    [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),          \
        [t6] "=&r"(t6), [t7] "=&r"(t7), [lo] "=&r"(lo), [hi] "=&r"(hi)

/* 1 when a < 2^255 + 2^20 (checked builds: the preconditions of the lazy sums). */
static inline int fe64_tight(const fe64 *a) {
    const uint64_t top = (uint64_t)1 << 63;
    return a->n[3] < top || (a->n[3] == top && a->n[2] == 0 && a->n[1] == 0 && a->n[0] < ((uint64_t)1 << 20));
}

/* r = a b mod p (tight): 16 MULX for the product (LV_MULX_MUL512), 4 for the fold. */
ED_INLINE void fe64_mul(fe64 *r, const fe64 *a, const fe64 *b) {
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi;
    __asm__(LV_MULX_MUL512 ED64_REDUCE
            : ED64_OUTS
            : [a] "r"(a->n), [b] "r"(b->n), "m"(*(const uint64_t(*)[4])a->n), "m"(*(const uint64_t(*)[4])b->n)
            : "rdx", "cc");
    r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3;
}

/* r = a^2 mod p (tight): six cross products doubled plus four squares (LV_MULX_SQR512, 10 MULX), then the fold. */
ED_INLINE void fe64_sq(fe64 *r, const fe64 *a) {
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi;
    __asm__(LV_MULX_SQR512 ED64_REDUCE
            : ED64_OUTS
            : [a] "r"(a->n), "m"(*(const uint64_t(*)[4])a->n)
            : "rdx", "cc");
    r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3;
}

/* r = a c mod p for a constant c < 2^32: a c < 2^288, its top limb t4 < 2^32 folds in as 38 t4 < 2^38 with
 * one carry chain, and a carry out of that leaves a value below 2^38 that takes the carry's 38 without
 * another carry. */
ED_INLINE void fe64_mul_small(fe64 *r, const fe64 *a, uint32_t c) {
    uint64_t t0, t1, t2, t3, t4, lo;
    __asm__("movl %k[c], %%edx\n\t"
            "mulxq 0(%[a]), %[t0], %[t1]\n\t"
            "mulxq 8(%[a]), %[lo], %[t2]\n\t" "addq %[lo], %[t1]\n\t"
            "mulxq 16(%[a]), %[lo], %[t3]\n\t" "adcq %[lo], %[t2]\n\t"
            "mulxq 24(%[a]), %[lo], %[t4]\n\t" "adcq %[lo], %[t3]\n\t" "adcq $0, %[t4]\n\t"
            "imulq $38, %[t4], %[lo]\n\t"
            "addq %[lo], %[t0]\n\t" "adcq $0, %[t1]\n\t" "adcq $0, %[t2]\n\t" "adcq $0, %[t3]\n\t"
            "sbbq %[lo], %[lo]\n\t" "andq $38, %[lo]\n\t" "addq %[lo], %[t0]\n\t"
            : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [lo] "=&r"(lo)
            : [a] "r"(a->n), "m"(*(const uint64_t(*)[4])a->n), [c] "r"(c)
            : "rdx", "cc");
    r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3;
}

/* Sums and differences: the 4x64 carry (borrow) chain, then folds of 38 for a carry (borrow) out of 2^256.
 * ED64_ADD4/ED64_SUB4 take operands t0..t3 (a, in place), m (scratch) and b (by address). */
#define ED64_ADD4 "addq 0(%[b]), %[t0]\n\t" "adcq 8(%[b]), %[t1]\n\t" "adcq 16(%[b]), %[t2]\n\t" "adcq 24(%[b]), %[t3]\n\t"
#define ED64_SUB4 "subq 0(%[b]), %[t0]\n\t" "sbbq 8(%[b]), %[t1]\n\t" "sbbq 16(%[b]), %[t2]\n\t" "sbbq 24(%[b]), %[t3]\n\t"
#define ED64_FOLD(OP, OPC) \
    "sbbq %[m], %[m]\n\t" "andq $38, %[m]\n\t" \
    OP " %[m], %[t0]\n\t" OPC " $0, %[t1]\n\t" OPC " $0, %[t2]\n\t" OPC " $0, %[t3]\n\t"
#define ED64_FOLD_LAST(OP) "sbbq %[m], %[m]\n\t" "andq $38, %[m]\n\t" OP " %[m], %[t0]\n\t"
#define ED64_SUM(CODE)                                                                                     \
    do {                                                                                                   \
        uint64_t t0 = a->n[0], t1 = a->n[1], t2 = a->n[2], t3 = a->n[3], m;                                \
        __asm__(CODE                                                                                       \
                : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [m] "=&r"(m)             \
                : [b] "r"(b->n), "m"(*(const uint64_t(*)[4])b->n)                                          \
                : "cc");                                                                                   \
        r->n[0] = t0; r->n[1] = t1; r->n[2] = t2; r->n[3] = t3;                                            \
    } while (0)

/* r = a + b mod p: the sum below 2^257, and 38 for the carry out of 2^256; a second carry can only follow
 * when the folded value wrapped below 38, which then takes another 38 without a carry. */
ED_INLINE void fe64_add(fe64 *r, const fe64 *a, const fe64 *b) {
    ED64_SUM(ED64_ADD4 ED64_FOLD("addq", "adcq") ED64_FOLD_LAST("addq"));
}

/* r = a + b mod p for b tight: the sum is below 2^256 + 2^255 + 2^20, so after the carry's fold (38) the
 * value is below 2^255 + 2^20 + 38 and no second carry can come. */
ED_INLINE void fe64_add_lazy(fe64 *r, const fe64 *a, const fe64 *b) {
    VERIFY_CHECK(fe64_tight(b));
    ED64_SUM(ED64_ADD4 ED64_FOLD("addq", "adcq"));
}

/* r = a - b mod p: a borrow means 2^256 = 38 was added, so 38 comes off; a second borrow (the value was
 * below 38) takes 38 off once more, from a value then at least 2^256 - 76, without a third. */
ED_INLINE void fe64_sub(fe64 *r, const fe64 *a, const fe64 *b) {
    ED64_SUM(ED64_SUB4 ED64_FOLD("subq", "sbbq") ED64_FOLD_LAST("subq"));
}

/* r = a - b mod p for b tight: a borrow leaves a - b + 2^256 >= 2^256 - b > 2^254, from which 38 comes off
 * without a second borrow. */
ED_INLINE void fe64_sub_lazy(fe64 *r, const fe64 *a, const fe64 *b) {
    VERIFY_CHECK(fe64_tight(b));
    ED64_SUM(ED64_SUB4 ED64_FOLD("subq", "sbbq"));
}

/* 5x51 (loose) -> 4x64, tight: one carry pass leaves the value below 2^255 + 2^18. */
static inline void fe64_from_fe(fe64 *r, const fe *a) {
    fe t = *a;
    fe_carry(&t);
    lv_u128 acc = t.v[0] + ((lv_u128)t.v[1] << 51);
    r->n[0] = (uint64_t)acc;
    acc = (acc >> 64) + ((lv_u128)t.v[2] << 38);
    r->n[1] = (uint64_t)acc;
    acc = (acc >> 64) + ((lv_u128)t.v[3] << 25);
    r->n[2] = (uint64_t)acc;
    acc = (acc >> 64) + ((lv_u128)t.v[4] << 12);
    r->n[3] = (uint64_t)acc;
}

/* 4x64 -> 5x51: the top limb takes bits 204..255 (below 2^52, inside the 5x51 layer's loose bound). */
static inline void fe_from_fe64(fe *r, const fe64 *a) {
    r->v[0] = a->n[0] & FE_MASK51;
    r->v[1] = ((a->n[0] >> 51) | (a->n[1] << 13)) & FE_MASK51;
    r->v[2] = ((a->n[1] >> 38) | (a->n[2] << 26)) & FE_MASK51;
    r->v[3] = ((a->n[2] >> 25) | (a->n[3] << 39)) & FE_MASK51;
    r->v[4] = a->n[3] >> 12;
}

static inline void fe64_sqn(fe64 *r, const fe64 *a, int n) {
    fe64_sq(r, a);
    for (int i = 1; i < n; i++) fe64_sq(r, r);
}

/* fe_pow_2_250_1's addition chain on this field: z^(2^250 - 1) and z^11. */
static void fe64_pow_2_250_1(fe64 *z2_250_0, fe64 *z11, const fe64 *z) {
    fe64 z2, z9, t, z2_5_0, z2_10_0, z2_20_0, z2_50_0, z2_100_0;
    fe64_sq(&z2, z);
    fe64_sqn(&t, &z2, 2);
    fe64_mul(&z9, &t, z);
    fe64_mul(z11, &z9, &z2);
    fe64_sq(&t, z11);
    fe64_mul(&z2_5_0, &t, &z9);
    fe64_sqn(&t, &z2_5_0, 5);
    fe64_mul(&z2_10_0, &t, &z2_5_0);
    fe64_sqn(&t, &z2_10_0, 10);
    fe64_mul(&z2_20_0, &t, &z2_10_0);
    fe64_sqn(&t, &z2_20_0, 20);
    fe64_mul(&t, &t, &z2_20_0);
    fe64_sqn(&t, &t, 10);
    fe64_mul(&z2_50_0, &t, &z2_10_0);
    fe64_sqn(&t, &z2_50_0, 50);
    fe64_mul(&z2_100_0, &t, &z2_50_0);
    fe64_sqn(&t, &z2_100_0, 100);
    fe64_mul(&t, &t, &z2_100_0);
    fe64_sqn(&t, &t, 50);
    fe64_mul(z2_250_0, &t, &z2_50_0);
}

/* 1/z = z^(p-2); 0 maps to 0. */
static void fe64_invert(fe64 *r, const fe64 *z) {
    fe64 t, z11;
    fe64_pow_2_250_1(&t, &z11, z);
    fe64_sqn(&t, &t, 5);
    fe64_mul(r, &t, &z11);
}

/* fe_pow22523 on this field, for 5x51 operands: the decoder's exponentiations that do not fill the AVX2
 * lanes (z^((p-5)/8) = z^(2^252 - 3)). */
static void fe_pow22523_adx(fe *r, const fe *z) {
    fe64 t, z11, z64;
    fe64_from_fe(&z64, z);
    fe64_pow_2_250_1(&t, &z11, &z64);
    fe64_sqn(&t, &t, 2);
    fe64_mul(&t, &t, &z64);
    fe_from_fe64(r, &t);
}

/* fe_batch_invert on this field (Montgomery's trick; no zero inputs). */
static void fe64_batch_invert(fe64 *out, const fe64 *in, fe64 *scratch, size_t n) {
    if (n == 0) return;
    scratch[0] = in[0];
    for (size_t i = 1; i < n; i++) fe64_mul(&scratch[i], &scratch[i - 1], &in[i]);
    fe64 acc;
    fe64_invert(&acc, &scratch[n - 1]);
    for (size_t i = n - 1; i > 0; i--) {
        fe64 t;
        fe64_mul(&t, &acc, &scratch[i - 1]);
        fe64_mul(&acc, &acc, &in[i]);
        out[i] = t;
    }
    out[0] = acc;
}

#endif
#endif
