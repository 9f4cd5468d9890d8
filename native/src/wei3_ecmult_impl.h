/* Joint multiplication u1*G + u2*Q (Strauss-Shamir over width-w NAFs): one shared doubling chain, the
 * base point's odd multiples from a static affine table (mixed additions), Q's from a small Jacobian
 * table built per call.  Variable time: for verification of public data (and for test-data signing,
 * documented as not hardened). */
#ifndef LV_WEI3_ECMULT_IMPL_H
#define LV_WEI3_ECMULT_IMPL_H

#include <pthread.h>

/* Window of the base point's wNAF: 2^(W-2) affine odd multiples G, 3G, ..., (2^(W-1)-1)G.  8 (64 points,
 * 4 KiB) measured within noise of 10 (16 KiB) on the verification benchmark; a verification spends most
 * of its time in the 256 doublings. */
#define W3_WG 8
#define W3_GTAB (1 << (W3_WG - 2))
/* Window of Q's wNAF, its table built per call in Jacobian form: 5 (8 points) balances the table's
 * 7 additions against ~256/6 additions in the loop. */
#define W3_WQ 5
#define W3_QTAB (1 << (W3_WQ - 2))

static ge w3_gtab[W3_GTAB];
static pthread_once_t w3_gtab_once = PTHREAD_ONCE_INIT;

static void w3_gtab_build(void) {
    gej jt[W3_GTAB], g2;
    fe scratch[W3_GTAB];
    gej_set_ge(&jt[0], &W3_GE_G);
    gej_double_var(&g2, &jt[0]);
    for (int i = 1; i < W3_GTAB; i++) gej_add_var(&jt[i], &jt[i - 1], &g2);
    ge_set_all_gej_var(w3_gtab, jt, scratch, W3_GTAB);
}

/* Every entry point calls this first: picks the field path, then builds the static table once. */
static void w3_ecmult_init(void) {
    w3_select_impl();
    pthread_once(&w3_gtab_once, w3_gtab_build);
}

/* Odd multiples Q, 3Q, ..., (2^(W3_WQ-1)-1)Q in Jacobian form. */
static void w3_qtab_build_var(gej *tab, const ge *q) {
    gej q2;
    gej_set_ge(&tab[0], q);
    gej_double_var(&q2, &tab[0]);
    gej_add_ge_var(&tab[1], &q2, q);
    for (int i = 2; i < W3_QTAB; i++) gej_add_var(&tab[i], &tab[i - 1], &q2);
}

/* r = u1*G + u2*Q; q may be NULL (then u2 is ignored).  Requires w3_ecmult_init(). */
static void ecmult_var(gej *r, const scalar *u1, const ge *q, const scalar *u2) {
    int8_t wg[W3_WNAF_LEN], wq[W3_WNAF_LEN];
    gej qtab[W3_QTAB];
    int lg = 0, lq = 0;
    if (q != NULL && !scalar_is_zero(u2)) {
        lq = scalar_wnaf_var(wq, u2, W3_WQ);
        w3_qtab_build_var(qtab, q);
    }
    if (!scalar_is_zero(u1)) lg = scalar_wnaf_var(wg, u1, W3_WG);
    gej_set_infinity(r);
    for (int i = (lg > lq ? lg : lq) - 1; i >= 0; i--) {
        gej_double_var(r, r);
        if (i < lq && wq[i]) {
            int d = wq[i];
            if (d > 0) {
                gej_add_var(r, r, &qtab[(d - 1) >> 1]);
            } else {
                gej t = qtab[(-d - 1) >> 1];
                fe_neg(&t.y, &t.y);
                gej_add_var(r, r, &t);
            }
        }
        if (i < lg && wg[i]) {
            int d = wg[i];
            if (d > 0) {
                gej_add_ge_var(r, r, &w3_gtab[(d - 1) >> 1]);
            } else {
                ge t = w3_gtab[(-d - 1) >> 1];
                fe_neg(&t.y, &t.y);
                gej_add_ge_var(r, r, &t);
            }
        }
    }
}

/* 1 when the finite point a has x(a) = c (mod n) for c in [0, n), without an inversion.
 * x(a) = X/Z^2 lies in [0, p) and p > n, so x(a) mod n = c means x(a) = c or x(a) = c + n, the second only
 * possible when c + n < p (p - n is about 2^128, so rarely).  Each candidate x is tested as x*Z^2 = X. */
static int gej_eq_x_mod_n_var(const gej *a, const scalar *c) {
    fe cx, z2, t;
    uint64_t cn[4];
    w3_u128 acc;
    uint64_t carry = 0;
    if (a->infinity) return 0;
    fe_sqr(&z2, &a->z);
    fe_from_int(&cx, c->v);                        /* c < n < p */
    fe_mul(&t, &cx, &z2);
    if (fe_equal(&t, &a->x)) return 1;
    for (int i = 0; i < 4; i++) {
        acc = (w3_u128)c->v[i] + W3_SC_N[i] + carry; cn[i] = (uint64_t)acc; carry = (uint64_t)(acc >> 64);
    }
    if (carry || !w3_lt(cn, W3_FE_P)) return 0;
    fe_from_int(&cx, cn);
    fe_mul(&t, &cx, &z2);
    return fe_equal(&t, &a->x);
}

#endif
