/* Joint multiplication u1*G + u2*Q (Strauss-Shamir over width-w NAFs): one shared doubling chain, the
 * base point's odd multiples from a static affine table (mixed additions), Q's from a small Jacobian
 * table built per call.  This is the path of a key seen for the first time on CPUs without AVX-512 IFMA
 * (with it, wei3_ifma_impl.h serves every key); a key with a cached table takes wei3_keytab_impl.h
 * (33 doublings instead of 256).  Variable time: for verification of public data (and for test-data signing,
 * documented as not hardened). */
#ifndef LV_WEI3_ECMULT_IMPL_H
#define LV_WEI3_ECMULT_IMPL_H

#include <pthread.h>

/* Window of the base point's wNAF: 2^(W-2) affine odd multiples per table.  Measured (C microbenchmark,
 * key-table ecmult, thread CPU time, 8 chunks): w = 8 16.5 us, 9 15.8 us, 10 15.5 us; with 16 chunks and
 * the rows prefetched, 9 10.9 us, 10 10.4 us, 11 10.4 us: 10, the W3_SPLIT static tables 256 KiB
 * (16 KiB each).  The plain path's G table (the first) gains too: 42.4 -> 39.3 us per verification. */
#define W3_WG 10
#define W3_GTAB (1 << (W3_WG - 2))
/* Window of Q's wNAF, its table built per call in Jacobian form: 5 (8 points) balances the table's
 * 7 additions against ~256/6 additions in the loop. */
#define W3_WQ 5
#define W3_QTAB (1 << (W3_WQ - 2))

/* Key-table path (wei3_keytab_impl.h): scalars cut into W3_SPLIT chunks, Q's tables of width W3_WT.
 * Measured (same microbenchmark, ADX path): 4 ways 24.4 us, 8 ways 19.3 us (33 doublings instead of 65);
 * with w = 7 instead of 6, 16.5 against 17.5 us, for 16 KiB per key instead of 8.  With the rows
 * prefetched (2026-12-03, 256 keys): 8 ways 12.6 us, 16 ways 10.8 us (17 doublings), 16 ways at w = 6
 * 11.2 us: 16 ways at w = 7, 32 KiB per key, built in about 155 us once per key (8 ways: 99 us). */
#define W3_SPLIT 16
#define W3_WT 7

/* The G tables are split W3_SPLIT ways for the key-table path (wei3_keytab_impl.h): chunk j of a
 * scalar multiplies 2^(W3_CHUNK j) G.  The plain path uses w3_gtabs[0], the odd multiples of G. */
#define W3_CHUNK (256 / W3_SPLIT)

/* Odd multiples P, 3P, ..., (2*count-1)P of a finite Jacobian P. */
static void w3_odd_multiples_var(gej *tab, const gej *p, int count) {
    gej p2;
    tab[0] = *p;
    gej_double_var(&p2, p);
    for (int i = 1; i < count; i++) gej_add_var(&tab[i], &tab[i - 1], &p2);
}

/* Static G tables: odd multiples of 2^(W3_CHUNK j) G, j < W3_SPLIT (j = 0 is the plain path's table). */
static ge w3_gtabs[W3_SPLIT][W3_GTAB];
static pthread_once_t w3_gtabs_once = PTHREAD_ONCE_INIT;

static void w3_gtabs_build(void) {
    /* one chunk at a time (one inversion each), so the Jacobian scratch stays small enough for the stack */
    gej jt[W3_GTAB], pj;
    fe scratch[W3_GTAB];
    gej_set_ge(&pj, &W3_GE_G);
    for (int j = 0; j < W3_SPLIT; j++) {
        w3_odd_multiples_var(jt, &pj, W3_GTAB);
        ge_set_all_gej_var(w3_gtabs[j], jt, scratch, W3_GTAB);
        if (j + 1 < W3_SPLIT) for (int k = 0; k < W3_CHUNK; k++) gej_double_var(&pj, &pj);
    }
}

#define w3_gtab w3_gtabs[0]

/* Every entry point calls this first: picks the field path, then builds the static tables once. */
static void w3_ecmult_init(void) {
    w3_select_impl();
    pthread_once(&w3_gtabs_once, w3_gtabs_build);
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
    int16_t wg[W3_WNAF_LEN], wq[W3_WNAF_LEN];
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

/* r += d*P for a non-zero wNAF digit d and a table of P's odd multiples. */
W3_INLINE void w3_add_digit_var(gej *r, const ge *tab, int d) {
    ge t;
    if (d > 0) {
        gej_add_ge_var(r, r, &tab[(d - 1) >> 1]);
    } else {
        t = tab[(-d - 1) >> 1];
        fe_neg(&t.y, &t.y);
        gej_add_ge_var(r, r, &t);
    }
}

/* Items per group whose Q tables are made affine together (one field inversion per group, three
 * products per point for Montgomery's trick, then four per point to scale): 16 keeps the scratch at
 * about 25 KiB of stack.  Affine tables make every Q addition mixed (8M + 3S instead of 12M + 4S).
 * Measured (C microbenchmark, per ecmult with its share of the group's tables): 54.2 -> 53.4 us; small
 * because the doublings dominate this path. */
#define W3_QGROUP 16

/* tabs[i*W3_QTAB + k] = (2k+1) q[i], affine, for m <= W3_QGROUP finite points. */
static void w3_qtabs_affine_var(ge *tabs, const ge *q, int m) {
    gej jt[W3_QGROUP * W3_QTAB], qj;
    fe scratch[W3_QGROUP * W3_QTAB];
    VERIFY_CHECK(m >= 1 && m <= W3_QGROUP);
    for (int i = 0; i < m; i++) {
        gej_set_ge(&qj, &q[i]);
        w3_odd_multiples_var(&jt[i * W3_QTAB], &qj, W3_QTAB);
    }
    ge_set_all_gej_var(tabs, jt, scratch, m * W3_QTAB);
}

/* r = u1*G + u2*Q with Q's odd multiples given affine (a table from w3_qtabs_affine_var).  Requires
 * w3_ecmult_init(). */
static void ecmult_qaff_var(gej *r, const scalar *u1, const ge *qtab, const scalar *u2) {
    int16_t wg[W3_WNAF_LEN], wq[W3_WNAF_LEN];
    int lg = scalar_wnaf_var(wg, u1, W3_WG), lq = scalar_wnaf_var(wq, u2, W3_WQ);
    gej_set_infinity(r);
    for (int i = (lg > lq ? lg : lq) - 1; i >= 0; i--) {
        gej_double_var(r, r);
        if (wq[i]) w3_add_digit_var(r, qtab, wq[i]);
        if (wg[i]) w3_add_digit_var(r, w3_gtab, wg[i]);
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
