/* Split per-key tables: the scalar path's multi-scalar multiplication for keys seen again.
 *
 * A key's table holds the odd multiples of the KT_BASES bases 2^(KT_SPACING j) A (8 bases 2^16 apart,
 * window KT_WINDOW), built once when the key-slot cache fills its slot.  With GLV, na = k1 + lambda k2
 * with |k1|, |k2| < 2^128, and ng is 256 bits against the 2 KT_BASES static rows 2^(KT_SPACING j) G;
 * every wNAF digit at bit p is added at chain position p mod KT_SPACING from base p / KT_SPACING, so the
 * chain has 16 doublings (17 with a final carry) instead of 128.  The digits come from one wNAF per scalar,
 * not one per chunk, so chunk boundaries cost no extra additions.  lambda multiples are (beta x, y) of the
 * stored points: one multiplication per digit instead of twice the storage.
 *
 * Cost by count, one verification: KT_SPACING + 1 doublings and ~256/(KT_WINDOW+1) + 256/(ECMULT_WINDOW_G+1)
 * mixed additions, against 128 doublings and ~256/6 + 256/13 additions on the cold path.  The fill costs
 * 112 doublings and KT_BASES * KT_TABLE additions, once per key.
 * Measured shapes (bases x window: C microbenchmark, thread CPU time, AVX2 tier, 64 keys in turn, two
 * runs each, us per multi-scalar multiplication / per verify_slots item / per fill):
 *   4 x 8 (16 KiB a key, 32 doublings):  12.6-13.0 / 14.8-15.1 /  87-91
 *   8 x 7 (16 KiB):                       11.9       / 14.0-14.2 /  89-93
 *   16 x 6 (16 KiB, 2 MiB of G rows):     12.0-12.1 / 14.3-14.8 /  92-93
 *   8 x 8 (32 KiB, 1 MiB of G rows):      10.5-11.1 / 13.1-13.8 / 158-170   <- this one
 *   16 x 7 (32 KiB, 2 MiB of G rows):     11.0-11.3 / 13.3-13.5 / 171-172 */
#ifndef LV_SECP256K1_KEYTAB_IMPL_H
#define LV_SECP256K1_KEYTAB_IMPL_H
#include "secp256k1_ecmult_impl.h"

#ifndef KT_WINDOW
#define KT_WINDOW 8
#endif
#define KT_TABLE (1 << (KT_WINDOW - 2))
#define KT_BYTES (KT_BASES * KT_TABLE * 64)
_Static_assert(KT_WINDOW >= ECMULT_WINDOW_A && KT_WINDOW <= 9, "the first row holds the cold window's table");

static void kt_get(ge *p, const uint8_t *tab, size_t k) {
    ge_storage s;
    memcpy(&s, tab + 64 * k, 64);
    ge_from_storage(p, &s);
}

/* tab (KT_BYTES) = the split table of the affine point a (not infinity).  The scratch arrays hold
 * KT_SCRATCH entries each; the bases' odd multiples are made KT_SCRATCH / KT_TABLE bases per inversion. */
#define KT_SCRATCH 256
_Static_assert(KT_TABLE <= KT_SCRATCH && KT_SCRATCH % KT_TABLE == 0, "whole bases fit the scratch");
static void kt_build_var(uint8_t *tab, const ge *a, gej *jac, ge *pre, fe *zs, fe *zis) {
    enum { PER = KT_SCRATCH / KT_TABLE < KT_BASES ? KT_SCRATCH / KT_TABLE : KT_BASES };
    gej b[KT_BASES];
    ge bases[KT_BASES];
    gej_set_ge(&b[0], a);
    for (int j = 1; j < KT_BASES; j++) {
        b[j] = b[j - 1];
        for (int i = 0; i < KT_SPACING; i++) gej_double_var(&b[j], &b[j]);
    }
    ge_set_all_gej_var(bases, b, KT_BASES, zs, zis);
    for (int j0 = 0; j0 < KT_BASES; j0 += PER) {
        ecmult_odd_multiples_var(pre, bases + j0, PER, KT_TABLE, jac, zs, zis);
        for (size_t k = 0; k < (size_t)PER * KT_TABLE; k++) {
            ge_storage s;
            ge_to_storage(&s, &pre[k]);
            memcpy(tab + 64 * ((size_t)j0 * KT_TABLE + k), &s, 64);
        }
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

/* The wNAF digits of the split chain: wa[h] for na's GLV halves (window KT_WINDOW, <= 129 digits; signs
 * in neg[h]), wg for ng (window ECMULT_WINDOW_G, <= 257 digits).  0 when a GLV half is not below 2^128,
 * which the split's bound rules out (the caller then takes the cold chain).  Shared by the chains of both
 * fields (secp256k1_ecmult_adx_impl.h). */
typedef struct { int wa[2][WNAF_LEN], wg[WNAF_LEN], la[2], neg[2], lg; } split_digits;

static int split_digits_var(split_digits *d, const scalar *na, const scalar *ng) {
    scalar k[2];
    scalar_split_lambda(&k[0], &k[1], na);
    for (int h = 0; h < 2; h++) {
        d->neg[h] = scalar_is_high(&k[h]);
        if (d->neg[h]) scalar_negate(&k[h], &k[h]);
        if (k[h].d[2] | k[h].d[3]) return 0;
        d->la[h] = scalar_wnaf_var(d->wa[h], WNAF_LEN, &k[h], KT_WINDOW);
    }
    d->lg = scalar_wnaf_var(d->wg, WNAF_LEN, ng, ECMULT_WINDOW_G);
    return 1;
}

/* Bit p sits at chain position p - KT_SPACING base of base = min(p / KT_SPACING, last): position
 * KT_SPACING only for the carry.  The entries of position i - 1 are prefetched before position i's
 * doubling: with 64 keys in turn the tables and the G rows miss L2, and the misses cost ~3.5 us a
 * verification. */
/* Inlined: called out of line the split chains measured 9.2 -> 15.6-18.9 us. */
static inline __attribute__((always_inline)) void split_prefetch(const split_digits *d, const uint8_t *tab,
                                                                 int i) {
    for (int j = 0; i > 0 && j < KT_BASES; j++)
        for (int h = 0; h < 2; h++) {
            int p = KT_SPACING * j + i - 1;
            if (p < d->la[h] && d->wa[h][p]) {
                const uint8_t *e = kt_entry(tab, j, d->wa[h][p]);
                __builtin_prefetch(e);
                __builtin_prefetch(e + 63);
            }
        }
    for (int j = 0; i > 0 && j < ECMULT_G_ROWS; j++) {
        int p = KT_SPACING * j + i - 1;
        if (p < d->lg && d->wg[p])
            __builtin_prefetch(&ecmult_g_tabs[j][(d->wg[p] < 0 ? -d->wg[p] : d->wg[p]) >> 1]);
    }
}

/* r = na*A + ng*G from A's split table; 0 (r untouched) when split_digits_var refuses the scalars.  Needs
 * ecmult_init_split().  Variable time. */
static int ecmult_split_var(gej *r, const uint8_t *tab, const scalar *na, const scalar *ng) {
    split_digits d;
    if (!split_digits_var(&d, na, ng)) return 0;
    gej_set_infinity(r);
    for (int i = KT_SPACING; i >= 0; i--) {
        split_prefetch(&d, tab, i);
        gej_double_var(r, r);
        for (int j = i == KT_SPACING ? KT_BASES - 1 : 0; j < KT_BASES; j++) {
            int p = KT_SPACING * j + i;
            for (int h = 0; h < 2; h++)
                if (p < d.la[h] && d.wa[h][p]) kt_add_digit(r, tab, j, d.wa[h][p], d.neg[h], h);
        }
        for (int j = i == KT_SPACING ? ECMULT_G_ROWS - 1 : 0; j < ECMULT_G_ROWS; j++) {
            int p = KT_SPACING * j + i;
            if (p < d.lg && d.wg[p]) ecmult_add_digit_g(r, ecmult_g_tabs[j], d.wg[p]);
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
