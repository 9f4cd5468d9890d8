/* PATH_ADX's multi-scalar multiplications on the 4x64 MULX/ADX field (secp256k1_field_adx_impl.h): the
 * split-table chain of keys seen again (secp256k1_keytab_impl.h's digits and positions), and the cold
 * chain of keys seen once with its per-key window tables built on this field.  The stored tables
 * (ge_storage) are already 4x64, so entries load without conversion. */
#ifndef LV_SECP256K1_ECMULT_ADX_IMPL_H
#define LV_SECP256K1_ECMULT_ADX_IMPL_H
#include "secp256k1_keytab_impl.h"
#include "secp256k1_field_adx_impl.h"

#ifdef LV_K1_ADX
typedef struct { fe4 x, y, z; int infinity; } gej4;

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
    split_digits d;
    gej4 r = {{{0}}, {{0}}, {{0}}, 1};
    if (!split_digits_var(&d, na, ng)) return 0;
    for (int i = KT_SPACING; i >= 0; i--) {
        split_prefetch(&d, tab, i);
        gej4_double(&r, &r);
        for (int j = i == KT_SPACING ? KT_BASES - 1 : 0; j < KT_BASES; j++) {
            int p = KT_SPACING * j + i;
            for (int h = 0; h < 2; h++)
                if (p < d.la[h] && d.wa[h][p])
                    gej4_add_entry(&r, kt_entry(tab, j, d.wa[h][p]), (d.wa[h][p] < 0) != d.neg[h], h);
        }
        for (int j = i == KT_SPACING ? ECMULT_G_ROWS - 1 : 0; j < ECMULT_G_ROWS; j++) {
            int p = KT_SPACING * j + i;
            if (p < d.lg && d.wg[p])
                gej4_add_entry(&r, (const uint8_t *)&ecmult_g_tabs[j][(d.wg[p] < 0 ? -d.wg[p] : d.wg[p]) >> 1],
                               d.wg[p] < 0, 0);
        }
    }
    gej4_to_gej(out, &r);
    return 1;
}

/* One 64-byte table entry (x || y, 4x64) from an affine point of the 5x52 field. */
static void k1_entry_from_ge(uint8_t *entry, const ge *a) {
    ge_storage s;
    ge_to_storage(&s, a);
    memcpy(entry, &s, 64);
}

/* The cold chain's per-key window tables for m keys (none at infinity), entries as in gej4_add_entry:
 * tab[j][i] = (2i+1) pts[j] and tab[j][ECMULT_TABLE_A + i] = lambda (2i+1) pts[j].  As
 * ecmult_odd_multiples_var: the odd multiples on the isomorphic curve where 2P is affine, one inversion
 * for the m * ECMULT_TABLE_A Z coordinates (Montgomery's trick), all on this field.  scratch and zs hold
 * m * ECMULT_TABLE_A entries each. */
static void k1_tables_adx(uint8_t (*tab)[2 * ECMULT_TABLE_A][64], const ge *pts, size_t m, gej4 *scratch,
                          fe4 *zs) {
    for (size_t j = 0; j < m; j++) {
        gej4 d, *row = scratch + j * ECMULT_TABLE_A;
        fe4 zz, px, py;
        ge_storage st;
        ge_to_storage(&st, &pts[j]);
        memcpy(px.n, st.x.n, 32);
        memcpy(py.n, st.y.n, 32);
        row[0] = (gej4){px, py, {{1, 0, 0, 0}}, 0};
        gej4_double(&d, &row[0]);
        fe4_sqr(&zz, &d.z);
        fe4_mul(&row[0].x, &px, &zz);
        fe4_mul(&zz, &zz, &d.z);
        fe4_mul(&row[0].y, &py, &zz);
        for (int i = 1; i < ECMULT_TABLE_A; i++) gej4_add_ge(&row[i], &row[i - 1], &d.x, &d.y);
        for (int i = 0; i < ECMULT_TABLE_A; i++) fe4_mul(&row[i].z, &row[i].z, &d.z);
    }
    size_t n = m * ECMULT_TABLE_A;
    fe4 u, t;
    zs[0] = scratch[0].z;
    for (size_t k = 1; k < n; k++) fe4_mul(&zs[k], &zs[k - 1], &scratch[k].z);
    fe4_inv(&u, &zs[n - 1]);
    for (size_t k = n; k-- > 0;) {
        fe4 zi, zi2, x, y;
        if (k) { fe4_mul(&zi, &zs[k - 1], &u); fe4_mul(&u, &u, &scratch[k].z); }
        else zi = u;
        fe4_sqr(&zi2, &zi);
        fe4_mul(&x, &scratch[k].x, &zi2);
        fe4_mul(&zi2, &zi2, &zi);
        fe4_mul(&y, &scratch[k].y, &zi2);
        uint8_t *e = tab[k / ECMULT_TABLE_A][k % ECMULT_TABLE_A];
        memcpy(e, x.n, 32);
        memcpy(e + 32, y.n, 32);
        fe4_mul(&t, &x, &FE4_BETA);
        e += ECMULT_TABLE_A * 64;
        memcpy(e, t.n, 32);
        memcpy(e + 32, y.n, 32);
    }
}

/* ecmult_strauss_var's chain (keys seen once) on this field, from the key's window table as
 * k1_tables_adx makes it (NULL when na is zero) and the two static G rows. */
static void ecmult_strauss_adx(gej *out, const uint8_t (*tab)[64], const scalar *na, const scalar *ng) {
    strauss_digits d;
    gej4 r = {{{0}}, {{0}}, {{0}}, 1};
    strauss_digits_var(&d, tab != NULL, na, ng);
    for (int i = d.bits - 1; i >= 0; i--) {
        gej4_double(&r, &r);
        for (int h = 0; h < 2; h++) {
            int w = i < d.len[h] ? d.w[h][i] : 0;
            if (w) gej4_add_entry(&r, tab[h * ECMULT_TABLE_A + ((w < 0 ? -w : w) >> 1)], (w < 0) != d.neg[h], 0);
        }
        if (i < d.len[2] && d.w[2][i])
            gej4_add_entry(&r, (const uint8_t *)&ecmult_g_pre[(d.w[2][i] < 0 ? -d.w[2][i] : d.w[2][i]) >> 1],
                           d.w[2][i] < 0, 0);
        if (i < d.len[3] && d.w[3][i])
            gej4_add_entry(&r, (const uint8_t *)&ecmult_g128_pre[(d.w[3][i] < 0 ? -d.w[3][i] : d.w[3][i]) >> 1],
                           d.w[3][i] < 0, 0);
    }
    gej4_to_gej(out, &r);
}
#endif

#endif
