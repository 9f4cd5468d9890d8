/* Split per-key tables: the scalar path's multi-scalar multiplication for keys seen again.
 *
 * A key's table holds the odd multiples of A, 2^32 A, 2^64 A and 2^96 A (window KT_WINDOW), built once
 * when the key-slot cache fills its slot.  With GLV, na = k1 + lambda k2 with |k1|, |k2| < 2^128, and ng
 * is 256 bits against the eight static rows 2^(32j) G; every wNAF digit at bit p is added at chain
 * position p mod 32 from base p / 32, so the chain has 32 doublings (33 with a final carry) instead of 128.
 * The digits come from one wNAF per scalar, not one per 32-bit chunk, so chunk boundaries cost no extra
 * additions.  lambda multiples are (beta x, y) of the stored points: one multiplication per digit instead
 * of twice the storage.
 *
 * Cost by count, one verification (measured figures in native/secp256k1.py's key_cache comment): 33
 * doublings and ~256/(KT_WINDOW+1) + 256/(ECMULT_WINDOW_G+1) mixed additions, against 128 doublings and
 * ~256/6 + 256/13 additions on the cold path.  The fill costs 96 doublings and KT_BASES * KT_TABLE
 * additions, once per key. */
#ifndef LV_SECP256K1_KEYTAB_IMPL_H
#define LV_SECP256K1_KEYTAB_IMPL_H
#include "secp256k1_ecmult_impl.h"

#define KT_BASES 4
#ifndef KT_WINDOW
#define KT_WINDOW 8
#endif
#define KT_TABLE (1 << (KT_WINDOW - 2))
#define KT_BYTES (KT_BASES * KT_TABLE * 64)
_Static_assert(KT_WINDOW >= ECMULT_WINDOW_A && KT_WINDOW <= 9, "the first row holds the cold window's table");
_Static_assert(ECMULT_G_ROWS == 2 * KT_BASES, "ng spans twice the bits of a GLV half");

static void kt_get(ge *p, const uint8_t *tab, size_t k) {
    ge_storage s;
    memcpy(&s, tab + 64 * k, 64);
    ge_from_storage(p, &s);
}

/* tab (KT_BYTES) = the split table of the affine point a (not infinity).  The scratch arrays hold
 * KT_BASES * KT_TABLE entries each. */
static void kt_build_var(uint8_t *tab, const ge *a, gej *jac, ge *pre, fe *zs, fe *zis) {
    gej b[KT_BASES];
    ge bases[KT_BASES];
    gej_set_ge(&b[0], a);
    for (int j = 1; j < KT_BASES; j++) {
        b[j] = b[j - 1];
        for (int i = 0; i < 32; i++) gej_double_var(&b[j], &b[j]);
    }
    ge_set_all_gej_var(bases, b, KT_BASES, zs, zis);
    ecmult_odd_multiples_var(pre, bases, KT_BASES, KT_TABLE, jac, zs, zis);
    for (size_t k = 0; k < (size_t)KT_BASES * KT_TABLE; k++) {
        ge_storage s;
        ge_to_storage(&s, &pre[k]);
        memcpy(tab + 64 * k, &s, 64);
    }
}

/* The 64-byte entry for digit d of a base (it may straddle two cache lines: slot rows are not aligned). */
static const uint8_t *kt_entry(const uint8_t *tab, int base, int d) {
    return tab + 64 * ((size_t)base * KT_TABLE + (size_t)((d < 0 ? -d : d) >> 1));
}

static void kt_add_digit(gej *r, const uint8_t *tab, int base, int d, int negate, int lambda) {
    ge p;
    ge_storage s;
    memcpy(&s, kt_entry(tab, base, d), 64);
    ge_from_storage(&p, &s);
    if (lambda) fe_mul(&p.x, &p.x, &FE_BETA);
    if ((d < 0) != negate) ge_neg(&p, &p);
    gej_add_ge_var(r, r, &p);
}

/* r = na*A + ng*G from A's split table; 0 (r untouched) when a GLV half is not below 2^128, which the
 * split's bound rules out, then the caller takes the cold chain.  Needs ecmult_init_split().  Variable time. */
static int ecmult_split_var(gej *r, const uint8_t *tab, const scalar *na, const scalar *ng) {
    int wa[2][WNAF_LEN], wg[WNAF_LEN], la[2], neg[2], lg;
    scalar k[2];
    scalar_split_lambda(&k[0], &k[1], na);
    for (int h = 0; h < 2; h++) {
        neg[h] = scalar_is_high(&k[h]);
        if (neg[h]) scalar_negate(&k[h], &k[h]);
        if (k[h].d[2] | k[h].d[3]) return 0;
        la[h] = scalar_wnaf_var(wa[h], WNAF_LEN, &k[h], KT_WINDOW);   /* <= 129 digits */
    }
    lg = scalar_wnaf_var(wg, WNAF_LEN, ng, ECMULT_WINDOW_G);          /* <= 257 digits */
    gej_set_infinity(r);
    /* bit p sits at position p - 32 base of base = min(p / 32, last): position 32 only for the carry.
     * The entries of the next position are prefetched before this one's doubling: with 64 keys in turn the
     * tables (1 MiB) and the G rows (512 KiB) miss L2, and the misses cost ~3.5 us a verification. */
    for (int i = 32; i >= 0; i--) {
        for (int j = 0; i > 0 && j < KT_BASES; j++)
            for (int h = 0; h < 2; h++) {
                int p = 32 * j + i - 1;
                if (p < la[h] && wa[h][p]) {
                    const uint8_t *e = kt_entry(tab, j, wa[h][p]);
                    __builtin_prefetch(e);
                    __builtin_prefetch(e + 63);
                }
            }
        for (int j = 0; i > 0 && j < ECMULT_G_ROWS; j++) {
            int p = 32 * j + i - 1;
            if (p < lg && wg[p]) __builtin_prefetch(&ecmult_g_tabs[j][(wg[p] < 0 ? -wg[p] : wg[p]) >> 1]);
        }
        gej_double_var(r, r);
        for (int j = i == 32 ? KT_BASES - 1 : 0; j < KT_BASES; j++) {
            int p = 32 * j + i;
            for (int h = 0; h < 2; h++)
                if (p < la[h] && wa[h][p]) kt_add_digit(r, tab, j, wa[h][p], neg[h], h);
        }
        for (int j = i == 32 ? ECMULT_G_ROWS - 1 : 0; j < ECMULT_G_ROWS; j++) {
            int p = 32 * j + i;
            if (p < lg && wg[p]) ecmult_add_digit_g(r, ecmult_g_tabs[j], wg[p]);
        }
    }
    return 1;
}

/* r = na*A + ng*G for a key with a split table: the short chain, or the cold chain over the window
 * that the table's first row also is. */
static void ecmult_cached_var(gej *r, const uint8_t *tab, const scalar *na, const scalar *ng) {
    ge pre[ECMULT_TABLE_A], pre_lam[ECMULT_TABLE_A];
    if (ecmult_split_var(r, tab, na, ng)) return;
    for (int k = 0; k < ECMULT_TABLE_A; k++) {
        kt_get(&pre[k], tab, (size_t)k);
        ge_mul_lambda(&pre_lam[k], &pre[k]);
    }
    ecmult_strauss_var(r, pre, pre_lam, na, ng);
}

#endif
