/* Scalars modulo the group order n (256-bit, n > 2^255) over four 64-bit limbs, plain (not Montgomery)
 * form; products go through Montgomery multiplication with the including file's constants:
 *   W3_N         n as four limbs
 *   W3_N_R2      R^2 mod n
 *   W3_N_INV64   -n^-1 mod 2^64
 * Every scalar is fully reduced, 0 <= v < n.
 */
#ifndef LV_WEI3_SCALAR_IMPL_H
#define LV_WEI3_SCALAR_IMPL_H

typedef struct { uint64_t v[4]; } scalar;

static const uint64_t W3_SC_N[4] = W3_N;
static const uint64_t W3_SC_R2[4] = W3_N_R2;

/* 32 big-endian bytes reduced mod n (one subtraction suffices since n > 2^255); returns 1 when the
 * input was >= n. */
static int scalar_set_b32(scalar *r, const uint8_t *b) {
    uint64_t x[4];
    w3_from_be(x, b);
    int over = !w3_lt(x, W3_SC_N);
    if (over) {
        static const uint64_t zero[4] = {0, 0, 0, 0};
        w3_mod_sub(x, x, W3_SC_N, zero);  /* x - n, no wrap since x >= n */
    }
    memcpy(r->v, x, sizeof x);
    return over;
}

/* 1 when the 32 bytes encode a value in [1, n-1] (stored in r), else 0. */
static int scalar_set_b32_nonzero(scalar *r, const uint8_t *b) {
    w3_from_be(r->v, b);
    return w3_lt(r->v, W3_SC_N) && !w3_is_zero(r->v);
}

static void scalar_get_b32(uint8_t *b, const scalar *a) { w3_to_be(b, a->v); }

W3_INLINE void scalar_add(scalar *r, const scalar *a, const scalar *b) { w3_mod_add(r->v, a->v, b->v, W3_SC_N); }
W3_INLINE void scalar_sub(scalar *r, const scalar *a, const scalar *b) { w3_mod_sub(r->v, a->v, b->v, W3_SC_N); }
W3_INLINE int scalar_is_zero(const scalar *a) { return w3_is_zero(a->v); }

/* Montgomery-form helpers: aR = a*R mod n, and mont(a, b) = a*b*R^-1 mod n. */
W3_INLINE void scalar_to_mont(scalar *r, const scalar *a) { w3_mont_mul(r->v, a->v, W3_SC_R2, W3_SC_N, W3_N_INV64); }
W3_INLINE void scalar_mont_mul(scalar *r, const scalar *a, const scalar *b) {
    w3_mont_mul(r->v, a->v, b->v, W3_SC_N, W3_N_INV64);
}

/* r = a*b mod n (plain form in and out). */
static void scalar_mul(scalar *r, const scalar *a, const scalar *b) {
    scalar t;
    scalar_mont_mul(&t, a, b);                           /* a*b/R */
    w3_mont_mul(r->v, t.v, W3_SC_R2, W3_SC_N, W3_N_INV64); /* a*b */
}

/* r = a^(n-2) for a in Montgomery form, result in Montgomery form: the inverse of a (0 for 0). */
static void scalar_inv_mont(scalar *r, const scalar *a) {
    scalar tab[16], acc;
    static const uint64_t zero[4] = {0, 0, 0, 0};
    uint64_t e[4] = {W3_SC_N[0] - 2, W3_SC_N[1], W3_SC_N[2], W3_SC_N[3]};  /* n0 is odd and > 2 */
    w3_mod_sub(tab[0].v, zero, W3_SC_N, zero);  /* R mod n = 2^256 - n: 1 in Montgomery form */
    tab[1] = *a;
    for (int i = 2; i < 16; i++) scalar_mont_mul(&tab[i], &tab[i - 1], a);
    acc = tab[0];
    for (int i = 63; i >= 0; i--) {
        for (int j = 0; j < 4; j++) scalar_mont_mul(&acc, &acc, &acc);
        unsigned w = (unsigned)(e[i / 16] >> (4 * (i % 16))) & 15;
        scalar_mont_mul(&acc, &acc, &tab[w]);
    }
    *r = acc;
}

/* r = a^-1 mod n, plain form (0 for 0). */
static void scalar_inv(scalar *r, const scalar *a) {
    scalar am, im;
    static const uint64_t one[4] = {1, 0, 0, 0};
    scalar_to_mont(&am, a);
    scalar_inv_mont(&im, &am);
    w3_mont_mul(r->v, im.v, one, W3_SC_N, W3_N_INV64);
}

/* Width-w NAF of a (< 2^256): wnaf[i] in {0, +-1, +-3, ..., +-(2^(w-1)-1)}, non-zero digits at least w
 * apart, sum wnaf[i]*2^i = a.  Fills W3_WNAF_LEN entries; returns 1 + the index of the highest non-zero
 * digit (0 for a = 0).  Variable time. */
#define W3_WNAF_LEN 257

W3_INLINE unsigned w3_bits_var(const uint64_t a[4], int pos, int count) {
    /* bits [pos, pos+count) of a, zero above bit 255; count <= 16 */
    if (pos >= 256) return 0;
    int limb = pos >> 6, sh = pos & 63;
    uint64_t v = a[limb] >> sh;
    if (sh + count > 64 && limb < 3) v |= a[limb + 1] << (64 - sh);
    return (unsigned)(v & ((1u << count) - 1));
}

/* The non-zero digits of a's width-w NAF, lowest first: pos[k] its position, dig[k] the digit.  At most
 * W3_WNAF_LEN / w + 1 of them (each takes w positions but the last); returns how many. */
static int scalar_wnaf_digits_var(int16_t *pos, int16_t *dig, const scalar *a, int w) {
    int count = 0, carry = 0, bit = 0;
    while (bit < W3_WNAF_LEN) {
        if ((int)w3_bits_var(a->v, bit, 1) == carry) { bit++; continue; }
        int now = w;
        if (now > W3_WNAF_LEN - bit) now = W3_WNAF_LEN - bit;
        int word = (int)w3_bits_var(a->v, bit, now) + carry;
        carry = (word >> (w - 1)) & 1;
        word -= carry << w;
        pos[count] = (int16_t)bit;
        dig[count++] = (int16_t)word;
        bit += now;
    }
    VERIFY_CHECK(carry == 0);
    return count;
}

static int scalar_wnaf_var(int16_t *wnaf, const scalar *a, int w) {
    int16_t pos[W3_WNAF_LEN], dig[W3_WNAF_LEN];
    int count = scalar_wnaf_digits_var(pos, dig, a, w);
    memset(wnaf, 0, W3_WNAF_LEN * sizeof *wnaf);
    for (int k = 0; k < count; k++) wnaf[pos[k]] = dig[k];
    return count ? pos[count - 1] + 1 : 0;
}

#endif
