/* Multi-scalar multiplication: na*A + ng*G by Strauss-Shamir (one shared chain of doublings) over wNAF
 * digits, with the GLV endomorphism splitting na into two 128-bit halves (A and lambda*A share one table,
 * lambda*(x, y) = (beta*x, y)) and ng split as ng_lo + 2^128 ng_hi against two static tables of odd
 * multiples of G and 2^128 G, so the chain is ~128 doublings long. */
#ifndef LV_SECP256K1_ECMULT_IMPL_H
#define LV_SECP256K1_ECMULT_IMPL_H
#include <pthread.h>
#include "secp256k1_group_impl.h"
#include "secp256k1_scalar_impl.h"

/* Per-key window: 8 odd multiples (1A..15A).  By count, window 6 would save ~6 of ~36 additions but cost
 * 8 more table points per key, about a wash. */
#define ECMULT_WINDOW_A 5
#define ECMULT_TABLE_A (1 << (ECMULT_WINDOW_A - 2))
/* Base-point window: 2 x 2^(W-2) points of 64 bytes in static storage.  W = 11..15 measured alike here
 * (within noise, 2-core shared machine); 12 keeps the tables at 256 KiB, out of the way of other kernels'
 * data in L2, and builds them in well under a millisecond on first use. */
#ifndef ECMULT_WINDOW_G
#define ECMULT_WINDOW_G 12
#endif
#define ECMULT_TABLE_G (1 << (ECMULT_WINDOW_G - 2))
#define WNAF_LEN 257

static const ge GE_G = {{{0x2815B16F81798ULL, 0xDB2DCE28D959FULL, 0xE870B07029BFCULL, 0xBBAC55A06295CULL,
                          0x79BE667EF9DCULL}},
                        {{0x7D08FFB10D4B8ULL, 0x48A68554199C4ULL, 0xE1108A8FD17B4ULL, 0xC4655DA4FBFC0ULL,
                          0x483ADA7726A3ULL}},
                        0};

/* The split per-key tables (secp256k1_keytab_impl.h) hold KT_BASES bases 2^(KT_SPACING j) A of a GLV
 * half (128 bits), so their chain has KT_SPACING doublings; ng (256 bits) needs twice the rows of G. */
#ifndef KT_BASES
#define KT_BASES 8
#endif
#define KT_SPACING (128 / KT_BASES)
_Static_assert(KT_BASES * KT_SPACING == 128 && KT_BASES <= 16, "bases evenly split a GLV half");

/* ecmult_g_tabs[j][i] = (2i+1) 2^(KT_SPACING j) G.  Rows 0 and KT_BASES serve the 128-doubling chain of
 * keys seen once (ng = lo + 2^128 hi) and are built on first use; the others serve the KT_SPACING-doubling
 * chain of keys with a split per-key table and are built the first time that path runs. */
#define ECMULT_G_ROWS (2 * KT_BASES)
static ge_storage ecmult_g_tabs[ECMULT_G_ROWS][ECMULT_TABLE_G];
#define ecmult_g_pre (ecmult_g_tabs[0])            /* (2i+1) G */
#define ecmult_g128_pre (ecmult_g_tabs[KT_BASES])  /* (2i+1) 2^128 G */
static pthread_once_t ecmult_once = PTHREAD_ONCE_INIT;
static pthread_once_t ecmult_split_once = PTHREAD_ONCE_INIT;

/* Odd multiples of the affine point b into out[0..count), converting to affine 64 points per inversion. */
static void ecmult_fill_table(ge_storage *out, const ge *b, int count) {
    enum { CH = 64 };
    gej buf[CH], acc, d;
    ge aff[CH], d_aff;
    fe zs[CH], zis[CH];
    gej_set_ge(&acc, b);
    gej_double_var(&d, &acc);
    ge_set_all_gej_var(&d_aff, &d, 1, zs, zis);
    for (int base = 0; base < count; base += CH) {
        int m = count - base < CH ? count - base : CH;
        for (int i = 0; i < m; i++) {
            buf[i] = acc;
            gej_add_ge_var(&acc, &acc, &d_aff);
        }
        ge_set_all_gej_var(aff, buf, (size_t)m, zs, zis);
        for (int i = 0; i < m; i++) ge_to_storage(&out[base + i], &aff[i]);
    }
}

/* Row j of ecmult_g_tabs from 2^(KT_SPACING j) G, for each j in the bit set `rows`. */
static void ecmult_build_rows(uint32_t rows) {
    gej t;
    ge b;
    fe z, zi;
    gej_set_ge(&t, &GE_G);
    for (int j = 0; j < ECMULT_G_ROWS; j++) {
        if (j) for (int i = 0; i < KT_SPACING; i++) gej_double_var(&t, &t);
        if (!(rows >> j & 1)) continue;
        ge_set_all_gej_var(&b, &t, 1, &z, &zi);
        ecmult_fill_table(ecmult_g_tabs[j], &b, ECMULT_TABLE_G);
    }
}

#define ECMULT_COLD_ROWS (1u | 1u << KT_BASES)
static void ecmult_build_tables(void) { ecmult_build_rows(ECMULT_COLD_ROWS); }
static void ecmult_build_split_tables(void) {
    ecmult_build_rows((uint32_t)((1ull << ECMULT_G_ROWS) - 1) & ~ECMULT_COLD_ROWS);
}

/* The static tables are built once, by whichever thread first needs them. */
static void ecmult_init(void) { pthread_once(&ecmult_once, ecmult_build_tables); }
static void ecmult_init_split(void) {
    ecmult_init();
    pthread_once(&ecmult_split_once, ecmult_build_split_tables);
}

/* Odd multiples of each of m affine points (none at infinity): pre[j*count + i] = (2i+1) pts[j], with one
 * field inversion for the whole group; scratch, zs and zis hold m*count each.  ecmult_tables_var: the
 * per-key window of the Strauss chain, count = 8, and pre_lam[j*8 + i] = lambda * pre[j*8 + i].
 * The additions of D = 2P are mixed ones although D is Jacobian (X, Y, Z): the map (x, y) -> (x Z^2, y Z^3)
 * is an isomorphism onto y^2 = x^3 + 7 Z^6, where D is the affine (X, Y); the a = 0 formulas never use
 * the curve constant, so we add there and map back by multiplying each result's Z by Z (saves an inversion
 * or 7 x (4M + 1S) of full Jacobian additions). */
static void ecmult_odd_multiples_var(ge *pre, const ge *pts, size_t m, int count, gej *scratch, fe *zs,
                                     fe *zis) {
    for (size_t j = 0; j < m; j++) {
        gej d, *row = scratch + j * (size_t)count;
        ge d_iso, p_iso;
        fe zz;
        VERIFY_CHECK(!pts[j].infinity);
        gej_set_ge(&row[0], &pts[j]);
        gej_double_var(&d, &row[0]);
        ge_set_xy(&d_iso, &d.x, &d.y);
        fe_sqr(&zz, &d.z);
        fe_mul(&p_iso.x, &pts[j].x, &zz);
        fe_mul(&zz, &zz, &d.z);
        fe_mul(&p_iso.y, &pts[j].y, &zz);
        p_iso.infinity = 0;
        gej_set_ge(&row[0], &p_iso);
        for (int i = 1; i < count; i++) gej_add_ge_var(&row[i], &row[i - 1], &d_iso);
        for (int i = 0; i < count; i++) fe_mul(&row[i].z, &row[i].z, &d.z);
    }
    ge_set_all_gej_var(pre, scratch, m * (size_t)count, zs, zis);
}

static void ecmult_tables_var(ge *pre, ge *pre_lam, const ge *pts, size_t m, gej *scratch, fe *zs, fe *zis) {
    ecmult_odd_multiples_var(pre, pts, m, ECMULT_TABLE_A, scratch, zs, zis);
    for (size_t k = 0; k < m * ECMULT_TABLE_A; k++) ge_mul_lambda(&pre_lam[k], &pre[k]);
}

static void ecmult_add_digit(gej *r, const ge *tab, int d, int negate) {
    ge p = tab[(d < 0 ? -d : d) >> 1];
    if ((d < 0) != negate) ge_neg(&p, &p);
    gej_add_ge_var(r, r, &p);
}

static void ecmult_add_digit_g(gej *r, const ge_storage *tab, int d) {
    ge p;
    ge_from_storage(&p, &tab[(d < 0 ? -d : d) >> 1]);
    if (d < 0) ge_neg(&p, &p);
    gej_add_ge_var(r, r, &p);
}

/* The wNAF digits of one Strauss chain: w[0], w[1] for na's GLV halves (window ECMULT_WINDOW_A, their
 * signs in neg[0], neg[1]) when have_a and na != 0, w[2], w[3] for ng's low and high 128 bits (window
 * ECMULT_WINDOW_G); len[k] = 0 for a scalar left out; bits = the chain's length.  Shared by the chains of
 * both fields (secp256k1_ecmult_adx_impl.h). */
typedef struct { int w[4][WNAF_LEN], len[4], neg[2], bits; } strauss_digits;

static void strauss_digits_var(strauss_digits *d, int have_a, const scalar *na, const scalar *ng) {
    d->len[0] = d->len[1] = d->len[2] = d->len[3] = d->neg[0] = d->neg[1] = d->bits = 0;
    if (have_a && !scalar_is_zero(na)) {
        scalar k[2];
        scalar_split_lambda(&k[0], &k[1], na);
        for (int h = 0; h < 2; h++) {
            if (scalar_is_high(&k[h])) { scalar_negate(&k[h], &k[h]); d->neg[h] = 1; }
            d->len[h] = scalar_wnaf_var(d->w[h], WNAF_LEN, &k[h], ECMULT_WINDOW_A);
        }
    }
    if (ng && !scalar_is_zero(ng)) {
        scalar lo = {{ng->d[0], ng->d[1], 0, 0}}, hi = {{ng->d[2], ng->d[3], 0, 0}};
        d->len[2] = scalar_wnaf_var(d->w[2], WNAF_LEN, &lo, ECMULT_WINDOW_G);
        d->len[3] = scalar_wnaf_var(d->w[3], WNAF_LEN, &hi, ECMULT_WINDOW_G);
    }
    for (int k = 0; k < 4; k++)
        if (d->len[k] > d->bits) d->bits = d->len[k];
}

/* r = na*A + ng*G, A given by its tables (pre/pre_lam may be NULL when na is zero).  Variable time. */
static void ecmult_strauss_var(gej *r, const ge *pre, const ge *pre_lam, const scalar *na, const scalar *ng) {
    strauss_digits d;
    strauss_digits_var(&d, pre != NULL, na, ng);
    gej_set_infinity(r);
    for (int i = d.bits - 1; i >= 0; i--) {
        gej_double_var(r, r);
        if (i < d.len[0] && d.w[0][i]) ecmult_add_digit(r, pre, d.w[0][i], d.neg[0]);
        if (i < d.len[1] && d.w[1][i]) ecmult_add_digit(r, pre_lam, d.w[1][i], d.neg[1]);
        if (i < d.len[2] && d.w[2][i]) ecmult_add_digit_g(r, ecmult_g_pre, d.w[2][i]);
        if (i < d.len[3] && d.w[3][i]) ecmult_add_digit_g(r, ecmult_g128_pre, d.w[3][i]);
    }
}

#endif
