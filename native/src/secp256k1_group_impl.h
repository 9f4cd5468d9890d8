/* Group layer: points of y^2 = x^3 + 7 in affine (ge) and Jacobian (gej: x = X/Z^2, y = Y/Z^3) form.
 * All functions here are variable time (verification and test-data signing only). */
#ifndef LV_SECP256K1_GROUP_IMPL_H
#define LV_SECP256K1_GROUP_IMPL_H
#include "secp256k1_field_impl.h"

/* x, y magnitude <= 2 unless infinity. */
typedef struct { fe x, y; int infinity; } ge;
/* x, y magnitude 1, z magnitude <= 2 (as the functions below leave them). */
typedef struct { fe x, y, z; int infinity; } gej;
typedef struct { fe_storage x, y; } ge_storage;

static const fe FE_BETA = {{0x96C28719501EEULL, 0x7512F58995C13ULL, 0xC3434E99CF049ULL, 0x7106E64479EAULL,
                            0x7AE96A2B657CULL}};

static void ge_set_xy(ge *r, const fe *x, const fe *y) { r->x = *x; r->y = *y; r->infinity = 0; }

static int ge_is_valid_var(const ge *a) { /* y^2 = x^3 + 7 */
    fe y2, x3, seven;
    if (a->infinity) return 0;
    fe_sqr(&y2, &a->y);
    fe_sqr(&x3, &a->x);
    fe_mul(&x3, &x3, &a->x);
    fe_set_int(&seven, 7);
    fe_add(&x3, &seven);
    return fe_equal_var(&y2, &x3);
}

/* The point with this x (magnitude <= 8) and y of the given parity; 0 when x^3 + 7 is not a square. */
static int ge_set_xo_var(ge *r, const fe *x, int odd) {
    fe x3, seven, y;
    fe_sqr(&x3, x);
    fe_mul(&x3, &x3, x);
    fe_set_int(&seven, 7);
    fe_add(&x3, &seven);
    if (!fe_sqrt_var(&y, &x3)) return 0;
    fe_normalize(&y);
    if (fe_is_odd_norm(&y) != odd) { fe_negate(&y, &y, 1); fe_normalize(&y); }
    r->x = *x;
    fe_normalize(&r->x);
    r->y = y;
    r->infinity = 0;
    return 1;
}

static void ge_neg(ge *r, const ge *a) {
    r->x = a->x;
    fe_negate(&r->y, &a->y, 2);
    fe_normalize_weak(&r->y);
    r->infinity = a->infinity;
}

/* lambda * (x, y) = (beta * x, y). */
static void ge_mul_lambda(ge *r, const ge *a) {
    fe_mul(&r->x, &a->x, &FE_BETA);
    r->y = a->y;
    r->infinity = a->infinity;
}

static void ge_to_storage(ge_storage *r, const ge *a) {
    fe x = a->x, y = a->y;
    fe_normalize(&x);
    fe_normalize(&y);
    fe_to_storage(&r->x, &x);
    fe_to_storage(&r->y, &y);
}

static void ge_from_storage(ge *r, const ge_storage *a) {
    fe_from_storage(&r->x, &a->x);
    fe_from_storage(&r->y, &a->y);
    r->infinity = 0;
}

static void gej_set_infinity(gej *r) {
    fe_set_int(&r->x, 0); fe_set_int(&r->y, 0); fe_set_int(&r->z, 0);
    r->infinity = 1;
}

static void gej_set_ge(gej *r, const ge *a) {
    r->x = a->x; r->y = a->y;
    fe_normalize_weak(&r->x);
    fe_normalize_weak(&r->y);
    fe_set_int(&r->z, 1);
    r->infinity = a->infinity;
}

/* r = 2a (a = 0 curve): A = X^2, B = Y^2, C = B^2, D = 4XB, E = 3A,
 * X3 = E^2 - 2D, Y3 = E(D - X3) - 8C, Z3 = 2YZ.  3M + 4S.  r may alias a. */
static void gej_double_var(gej *r, const gej *a) {
    fe A, B, C, D, E, F, t;
    if (a->infinity) { *r = *a; return; }
    /* y = 0 has no solution on this curve (7 is not a cube mod p), so the double is never infinity. */
    fe_mul(&t, &a->y, &a->z);          /* before X and Y are overwritten when r aliases a */
    fe_sqr(&A, &a->x);
    fe_sqr(&B, &a->y);
    fe_sqr(&C, &B);
    fe_mul(&D, &a->x, &B);
    fe_mul_int(&D, 4);                 /* D: mag 4 */
    E = A; fe_mul_int(&E, 3);          /* E: mag 3 */
    fe_sqr(&F, &E);
    r->z = t; fe_mul_int(&r->z, 2);    /* mag 2 */
    fe_negate(&t, &D, 4);              /* mag 5 */
    fe_mul_int(&t, 2);                 /* -2D: mag 10 */
    r->x = F; fe_add(&r->x, &t);       /* mag 11 */
    fe_normalize_weak(&r->x);
    fe_negate(&t, &r->x, 1);           /* D - X3: mag 2 + 4 */
    fe_add(&t, &D);
    fe_mul(&r->y, &E, &t);
    fe_mul_int(&C, 8);                 /* mag 8 */
    fe_negate(&t, &C, 8);              /* mag 9 */
    fe_add(&r->y, &t);                 /* mag 10 */
    fe_normalize_weak(&r->y);
    r->infinity = 0;
}

/* r = a + b with b affine (8M + 3S): U2 = x2 Z1^2, S2 = y2 Z1^3, H = U2 - X1, R = S2 - Y1,
 * X3 = R^2 - H^3 - 2 X1 H^2, Y3 = R (X1 H^2 - X3) - Y1 H^3, Z3 = Z1 H.  Handles infinity, a = b, a = -b.
 * r may alias a. */
static void gej_add_ge_var(gej *r, const gej *a, const ge *b) {
    fe z12, u2, s2, h, rr, hh, hhh, v, t;
    if (b->infinity) { *r = *a; return; }
    if (a->infinity) { gej_set_ge(r, b); return; }
    fe_sqr(&z12, &a->z);
    fe_mul(&u2, &b->x, &z12);
    fe_mul(&s2, &b->y, &z12);
    fe_mul(&s2, &s2, &a->z);
    fe_negate(&h, &a->x, 1); fe_add(&h, &u2);     /* mag 3 */
    fe_negate(&rr, &a->y, 1); fe_add(&rr, &s2);   /* mag 3 */
    if (fe_normalizes_to_zero_var(&h)) {
        if (fe_normalizes_to_zero_var(&rr)) { gej_double_var(r, a); return; }
        gej_set_infinity(r);
        return;
    }
    fe_sqr(&hh, &h);
    fe_mul(&hhh, &hh, &h);
    fe_mul(&v, &a->x, &hh);
    fe_mul(&r->z, &a->z, &h);
    fe_mul(&t, &a->y, &hhh);                      /* Y1 H^3, before Y1 is overwritten */
    fe x3, nv;
    fe_sqr(&x3, &rr);
    fe_negate(&hhh, &hhh, 1); fe_add(&x3, &hhh);  /* mag 3 */
    nv = v; fe_mul_int(&nv, 2);
    fe_negate(&nv, &nv, 2); fe_add(&x3, &nv);     /* mag 6 */
    fe_normalize_weak(&x3);
    fe_negate(&nv, &x3, 1); fe_add(&nv, &v);      /* V - X3: mag 3 */
    fe_mul(&r->y, &rr, &nv);
    fe_negate(&t, &t, 1); fe_add(&r->y, &t);      /* mag 3 */
    fe_normalize_weak(&r->y);
    r->x = x3;
    r->infinity = 0;
}

/* r = a + b, both Jacobian (12M + 4S); handles infinity and a = +-b.  r may alias a or b. */
static void gej_add_var(gej *r, const gej *a, const gej *b) {
    fe z12, z22, u1, u2, s1, s2, h, rr, hh, hhh, v, t, x3, nv, z3;
    if (a->infinity) { *r = *b; return; }
    if (b->infinity) { *r = *a; return; }
    fe_sqr(&z12, &a->z);
    fe_sqr(&z22, &b->z);
    fe_mul(&u1, &a->x, &z22);
    fe_mul(&u2, &b->x, &z12);
    fe_mul(&s1, &a->y, &z22); fe_mul(&s1, &s1, &b->z);
    fe_mul(&s2, &b->y, &z12); fe_mul(&s2, &s2, &a->z);
    fe_negate(&h, &u1, 1); fe_add(&h, &u2);
    fe_negate(&rr, &s1, 1); fe_add(&rr, &s2);
    if (fe_normalizes_to_zero_var(&h)) {
        if (fe_normalizes_to_zero_var(&rr)) { gej_double_var(r, a); return; }
        gej_set_infinity(r);
        return;
    }
    fe_sqr(&hh, &h);
    fe_mul(&hhh, &hh, &h);
    fe_mul(&v, &u1, &hh);
    fe_mul(&z3, &a->z, &b->z); fe_mul(&z3, &z3, &h);
    fe_mul(&t, &s1, &hhh);
    fe_sqr(&x3, &rr);
    fe_negate(&hhh, &hhh, 1); fe_add(&x3, &hhh);
    nv = v; fe_mul_int(&nv, 2);
    fe_negate(&nv, &nv, 2); fe_add(&x3, &nv);
    fe_normalize_weak(&x3);
    fe_negate(&nv, &x3, 1); fe_add(&nv, &v);
    fe_mul(&r->y, &rr, &nv);
    fe_negate(&t, &t, 1); fe_add(&r->y, &t);
    fe_normalize_weak(&r->y);
    r->x = x3;
    r->z = z3;
    r->infinity = 0;
}

static void ge_set_gej_zinv(ge *r, const gej *a, const fe *zi) {
    fe zi2, zi3;
    fe_sqr(&zi2, zi);
    fe_mul(&zi3, &zi2, zi);
    fe_mul(&r->x, &a->x, &zi2);
    fe_mul(&r->y, &a->y, &zi3);
    r->infinity = a->infinity;
}

/* Affine forms of n Jacobian points with one inversion.  zs and zis are caller scratch of n elements;
 * points at infinity stay infinity. */
static void ge_set_all_gej_var(ge *r, const gej *a, size_t n, fe *zs, fe *zis) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!a[i].infinity) zs[m++] = a[i].z;
    fe_inv_all_var(zis, zs, m);
    m = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i].infinity) { r[i].infinity = 1; fe_set_int(&r[i].x, 0); fe_set_int(&r[i].y, 0); }
        else ge_set_gej_zinv(&r[i], &a[i], &zis[m++]);
    }
}

#endif
