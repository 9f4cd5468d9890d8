/* The group formulas on the 4x64 MULX/ADX field (ed25519_field_adx_impl.h): the formulas of
 * ed25519_group_impl.h operand for operand, so each function here mirrors one there.  Points enter as 5x51
 * gej (decoded) or slot tables and leave as 5x51 gej: conversions only at the edges. */
#ifndef LV_ED25519_GROUP_ADX_IMPL_H
#define LV_ED25519_GROUP_ADX_IMPL_H

#ifdef ED_HAVE_ADX

typedef struct { fe64 X, Y, Z, T; } gej64;
typedef struct { fe64 X, Y, Z; } ge_p2_64;
typedef struct { fe64 E, F, G, H; } ge_p1p1_64;
typedef struct { fe64 YpX, YmX, Z, T2d; } ge_cached64;
typedef struct { fe64 ypx, ymx, xy2d; } ge_niels64;

static inline void gej64_from_gej(gej64 *r, const gej *p) {
    fe64_from_fe(&r->X, &p->X);
    fe64_from_fe(&r->Y, &p->Y);
    fe64_from_fe(&r->Z, &p->Z);
    fe64_from_fe(&r->T, &p->T);
}

static inline void gej_from_gej64(gej *r, const gej64 *p) {
    fe_from_fe64(&r->X, &p->X);
    fe_from_fe64(&r->Y, &p->Y);
    fe_from_fe64(&r->Z, &p->Z);
    fe_from_fe64(&r->T, &p->T);
}

static inline void ge_cached64_from_cached(ge_cached64 *r, const ge_cached *c) {
    fe64_from_fe(&r->YpX, &c->YpX);
    fe64_from_fe(&r->YmX, &c->YmX);
    fe64_from_fe(&r->Z, &c->Z);
    fe64_from_fe(&r->T2d, &c->T2d);
}

static inline void ge_niels64_from_niels(ge_niels64 *r, const ge_niels *c) {
    fe64_from_fe(&r->ypx, &c->ypx);
    fe64_from_fe(&r->ymx, &c->ymx);
    fe64_from_fe(&r->xy2d, &c->xy2d);
}

ED_INLINE void ge64_p1p1_to_p2(ge_p2_64 *r, const ge_p1p1_64 *p) {
    fe64_mul(&r->X, &p->E, &p->F);
    fe64_mul(&r->Y, &p->G, &p->H);
    fe64_mul(&r->Z, &p->F, &p->G);
}

ED_INLINE void ge64_p1p1_to_gej(gej64 *r, const ge_p1p1_64 *p) {
    fe64_mul(&r->X, &p->E, &p->F);
    fe64_mul(&r->Y, &p->G, &p->H);
    fe64_mul(&r->Z, &p->F, &p->G);
    fe64_mul(&r->T, &p->E, &p->H);
}

static const fe64 FE64_D2 = {{0xebd69b9426b2f159ULL, 0x00e0149a8283b156ULL, 0x198e80f2eef3d130ULL,
                            0x2406d9dc56dffce7ULL}};

ED_INLINE void gej64_to_cached(ge_cached64 *r, const gej64 *p) {
    fe64_add_lazy(&r->YpX, &p->Y, &p->X);
    fe64_sub_lazy(&r->YmX, &p->Y, &p->X);
    r->Z = p->Z;
    fe64_mul(&r->T2d, &p->T, &FE64_D2);
}

/* As ge_p2_dbl.  Lazy sums wherever an operand is a product (tight); F = 2Z^2 + (a - b) has neither. */
ED_INLINE void ge64_p2_dbl(ge_p1p1_64 *r, const ge_p2_64 *p) {
    fe64 a, b, c, s;
    fe64_sq(&a, &p->X);
    fe64_sq(&b, &p->Y);
    fe64_sq(&c, &p->Z);
    fe64_add_lazy(&c, &c, &c);
    fe64_add_lazy(&s, &p->X, &p->Y);
    fe64_sq(&s, &s);
    fe64_add_lazy(&r->H, &a, &b);
    fe64_sub_lazy(&r->E, &r->H, &s);
    fe64_sub_lazy(&r->G, &a, &b);
    fe64_add(&r->F, &c, &r->G);
}

/* As gej_add_cached (neg = 0) and gej_sub_cached (neg = 1): -q swaps Y+X with Y-X and negates 2dT, which
 * swaps F and G.  Every sum has a tight operand (p's coordinates and the products are tight), and every
 * difference a tight subtrahend: all lazy. */
ED_INLINE void ge64_add_cached(ge_p1p1_64 *r, const gej64 *p, const ge_cached64 *q, int neg) {
    fe64 a, b, c, dd, t;
    fe64_sub_lazy(&t, &p->Y, &p->X);
    fe64_mul(&a, &t, neg ? &q->YpX : &q->YmX);
    fe64_add_lazy(&t, &p->Y, &p->X);
    fe64_mul(&b, &t, neg ? &q->YmX : &q->YpX);
    fe64_mul(&c, &p->T, &q->T2d);
    fe64_mul(&dd, &p->Z, &q->Z);
    fe64_add_lazy(&dd, &dd, &dd);
    fe64_sub_lazy(&r->E, &b, &a);
    fe64_add_lazy(&r->H, &b, &a);
    fe64_sub_lazy(neg ? &r->G : &r->F, &dd, &c);
    fe64_add_lazy(neg ? &r->F : &r->G, &dd, &c);
}

/* As gej_add_niels / gej_sub_niels (Z2 = 1: 2 Z1 Z2 is an addition); lazy sums as ge64_add_cached. */
ED_INLINE void ge64_add_niels(ge_p1p1_64 *r, const gej64 *p, const ge_niels64 *q, int neg) {
    fe64 a, b, c, dd, t;
    fe64_sub_lazy(&t, &p->Y, &p->X);
    fe64_mul(&a, &t, neg ? &q->ypx : &q->ymx);
    fe64_add_lazy(&t, &p->Y, &p->X);
    fe64_mul(&b, &t, neg ? &q->ymx : &q->ypx);
    fe64_mul(&c, &p->T, &q->xy2d);
    fe64_add_lazy(&dd, &p->Z, &p->Z);
    fe64_sub_lazy(&r->E, &b, &a);
    fe64_add_lazy(&r->H, &b, &a);
    fe64_sub_lazy(neg ? &r->G : &r->F, &dd, &c);
    fe64_add_lazy(neg ? &r->F : &r->G, &dd, &c);
}

/* tab[i] = (2i+1) p for i < n (as gej_odd_multiples_cached). */
static void gej64_odd_multiples_cached(ge_cached64 *tab, const gej *p, int n) {
    ge_p1p1_64 t;
    ge_p2_64 q;
    gej64 p2, cur;
    ge_cached64 c2;
    gej64_from_gej(&cur, p);
    q.X = cur.X; q.Y = cur.Y; q.Z = cur.Z;
    ge64_p2_dbl(&t, &q);
    ge64_p1p1_to_gej(&p2, &t);
    gej64_to_cached(&c2, &p2);
    gej64_to_cached(&tab[0], &cur);
    for (int i = 1; i < n; i++) {
        ge64_add_cached(&t, &cur, &c2, 0);
        ge64_p1p1_to_gej(&cur, &t);
        gej64_to_cached(&tab[i], &cur);
    }
}

/* gej64_odd_multiples_cached for two points at once, one field operation of each in turn: a table is a
 * chain of dependent additions of four products each, and two chains side by side keep the multiplier
 * busier. */
static void gej64_odd_multiples_cached_x2(ge_cached64 *const tab[2], const gej *const p[2], int n) {
    ge_p1p1_64 t[2];
    ge_p2_64 q[2];
    gej64 p2[2], cur[2];
    ge_cached64 c2[2];
    for (int k = 0; k < 2; k++) {
        gej64_from_gej(&cur[k], p[k]);
        q[k].X = cur[k].X; q[k].Y = cur[k].Y; q[k].Z = cur[k].Z;
    }
    for (int k = 0; k < 2; k++) ge64_p2_dbl(&t[k], &q[k]);
    for (int k = 0; k < 2; k++) ge64_p1p1_to_gej(&p2[k], &t[k]);
    for (int k = 0; k < 2; k++) {
        gej64_to_cached(&c2[k], &p2[k]);
        gej64_to_cached(&tab[k][0], &cur[k]);
    }
    for (int i = 1; i < n; i++) {
        for (int k = 0; k < 2; k++) ge64_add_cached(&t[k], &cur[k], &c2[k], 0);
        for (int k = 0; k < 2; k++) ge64_p1p1_to_gej(&cur[k], &t[k]);
        for (int k = 0; k < 2; k++) gej64_to_cached(&tab[k][i], &cur[k]);
    }
}

#endif
#endif
