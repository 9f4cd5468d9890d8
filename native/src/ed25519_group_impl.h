/* The group of edwards25519: -x^2 + y^2 = 1 + d x^2 y^2 over GF(p), in the coordinates of Hisil, Wong, Carter
 * and Dawson (2008) for a = -1:
 *   gej     extended (X:Y:Z:T), x = X/Z, y = Y/Z, T = XY/Z
 *   ge_p2   projective (X:Y:Z), enough for doubling
 *   ge_p1p1 "completed" ((E:G),(H:F)) straight out of an addition or doubling; converting it to ge_p2 costs
 *           3M and to gej 4M, so a doubling followed by a doubling skips the T product
 *   ge_cached (Y+X, Y-X, Z, 2dT): a point prepared as the right operand of additions
 *   ge_niels  (y+x, y-x, 2dxy) for Z = 1, the entries of the static table for B (mixed addition).
 * The formulas are complete on this curve (d is not a square), so they need no special cases for the
 * identity, doubling, or points of small order — which cofactored verification relies on. */
#ifndef LV_ED25519_GROUP_IMPL_H
#define LV_ED25519_GROUP_IMPL_H

typedef struct { fe X, Y, Z, T; } gej;
typedef struct { fe X, Y, Z; } ge_p2;
typedef struct { fe E, F, G, H; } ge_p1p1;
typedef struct { fe YpX, YmX, Z, T2d; } ge_cached;
typedef struct { fe ypx, ymx, xy2d; } ge_niels;

static inline void gej_set_identity(gej *r) {
    r->X = FE_ZERO; r->Y = FE_ONE; r->Z = FE_ONE; r->T = FE_ZERO;
}

ED_INLINE void ge_p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p) {
    fe_mul(&r->X, &p->E, &p->F);
    fe_mul(&r->Y, &p->G, &p->H);
    fe_mul(&r->Z, &p->F, &p->G);
}

ED_INLINE void ge_p1p1_to_gej(gej *r, const ge_p1p1 *p) {
    fe_mul(&r->X, &p->E, &p->F);
    fe_mul(&r->Y, &p->G, &p->H);
    fe_mul(&r->Z, &p->F, &p->G);
    fe_mul(&r->T, &p->E, &p->H);
}

ED_INLINE void gej_to_p2(ge_p2 *r, const gej *p) { r->X = p->X; r->Y = p->Y; r->Z = p->Z; }

ED_INLINE void gej_to_cached(ge_cached *r, const gej *p) {
    fe_add(&r->YpX, &p->Y, &p->X);
    fe_sub(&r->YmX, &p->Y, &p->X);
    r->Z = p->Z;
    fe_mul(&r->T2d, &p->T, &FE_D2);
}

/* dbl-2008-hwcd with a = -1 (signs of E, F, G, H flipped together, which leaves the outputs unchanged):
 * A = X^2, B = Y^2, C = 2Z^2, H = A + B, E = H - (X+Y)^2, G = A - B, F = C + G. */
ED_INLINE void ge_p2_dbl(ge_p1p1 *r, const ge_p2 *p) {
    fe a, b, c, s;
    fe_sq(&a, &p->X);
    fe_sq(&b, &p->Y);
    fe_sq(&c, &p->Z);
    fe_add(&c, &c, &c);
    fe_add_nc(&s, &p->X, &p->Y);
    fe_sq(&s, &s);
    fe_add(&r->H, &a, &b);
    fe_sub(&r->E, &r->H, &s);
    fe_sub(&r->G, &a, &b);
    fe_add(&r->F, &c, &r->G);
}

ED_INLINE void gej_dbl(ge_p1p1 *r, const gej *p) {
    ge_p2 q;
    gej_to_p2(&q, p);
    ge_p2_dbl(r, &q);
}

/* add-2008-hwcd-3 (a = -1, k = 2d): A = (Y1-X1)(Y2-X2), B = (Y1+X1)(Y2+X2), C = T1 2d T2, D = 2 Z1 Z2,
 * E = B - A, F = D - C, G = D + C, H = B + A. */
ED_INLINE void gej_add_cached(ge_p1p1 *r, const gej *p, const ge_cached *q) {
    fe a, b, c, dd, t;
    fe_sub(&t, &p->Y, &p->X);
    fe_mul(&a, &t, &q->YmX);
    fe_add_nc(&t, &p->Y, &p->X);
    fe_mul(&b, &t, &q->YpX);
    fe_mul(&c, &p->T, &q->T2d);
    fe_mul(&dd, &p->Z, &q->Z);
    fe_add(&dd, &dd, &dd);
    fe_sub(&r->E, &b, &a);
    fe_sub(&r->F, &dd, &c);
    fe_add(&r->G, &dd, &c);
    fe_add(&r->H, &b, &a);
}

/* p - q: -q swaps Y+X with Y-X and negates T. */
ED_INLINE void gej_sub_cached(ge_p1p1 *r, const gej *p, const ge_cached *q) {
    fe a, b, c, dd, t;
    fe_sub(&t, &p->Y, &p->X);
    fe_mul(&a, &t, &q->YpX);
    fe_add_nc(&t, &p->Y, &p->X);
    fe_mul(&b, &t, &q->YmX);
    fe_mul(&c, &p->T, &q->T2d);
    fe_mul(&dd, &p->Z, &q->Z);
    fe_add(&dd, &dd, &dd);
    fe_sub(&r->E, &b, &a);
    fe_add(&r->F, &dd, &c);
    fe_sub(&r->G, &dd, &c);
    fe_add(&r->H, &b, &a);
}

ED_INLINE void gej_add_niels(ge_p1p1 *r, const gej *p, const ge_niels *q) {
    fe a, b, c, dd, t;
    fe_sub(&t, &p->Y, &p->X);
    fe_mul(&a, &t, &q->ymx);
    fe_add_nc(&t, &p->Y, &p->X);
    fe_mul(&b, &t, &q->ypx);
    fe_mul(&c, &p->T, &q->xy2d);
    fe_add(&dd, &p->Z, &p->Z);
    fe_sub(&r->E, &b, &a);
    fe_sub(&r->F, &dd, &c);
    fe_add(&r->G, &dd, &c);
    fe_add(&r->H, &b, &a);
}

ED_INLINE void gej_sub_niels(ge_p1p1 *r, const gej *p, const ge_niels *q) {
    fe a, b, c, dd, t;
    fe_sub(&t, &p->Y, &p->X);
    fe_mul(&a, &t, &q->ypx);
    fe_add_nc(&t, &p->Y, &p->X);
    fe_mul(&b, &t, &q->ymx);
    fe_mul(&c, &p->T, &q->xy2d);
    fe_add(&dd, &p->Z, &p->Z);
    fe_sub(&r->E, &b, &a);
    fe_add(&r->F, &dd, &c);
    fe_sub(&r->G, &dd, &c);
    fe_add(&r->H, &b, &a);
}

static inline void gej_neg(gej *r, const gej *p) {
    fe_neg(&r->X, &p->X);
    r->Y = p->Y;
    r->Z = p->Z;
    fe_neg(&r->T, &p->T);
}

/* The identity has X = 0 and Y = Z (T follows). */
static int gej_is_identity_var(const gej *p) {
    return fe_iszero(&p->X) && fe_equal(&p->Y, &p->Z);
}

/* [8]p: the cofactor, three doublings. */
static void gej_mul8(gej *r, const gej *p) {
    ge_p1p1 t;
    ge_p2 q;
    gej_dbl(&t, p);
    ge_p1p1_to_p2(&q, &t);
    ge_p2_dbl(&t, &q);
    ge_p1p1_to_p2(&q, &t);
    ge_p2_dbl(&t, &q);
    ge_p1p1_to_gej(r, &t);
}

static void gej_to_bytes(uint8_t s[32], const gej *p) {
    fe zi, x, y;
    fe_invert(&zi, &p->Z);
    fe_mul(&x, &p->X, &zi);
    fe_mul(&y, &p->Y, &zi);
    fe_tobytes(s, &y);
    s[31] |= (uint8_t)(fe_isneg(&x) << 7);
}

/* Decoding under the verification policy (see ed25519.c): rejects y >= p (non-canonical), encodings with no
 * square root, and x = 0 with the sign bit set (RFC 8032 5.1.3 steps 1, 3 and 4).  Accepts every other point,
 * small-order and mixed-order ones included.  Variable time (public data).
 * Three steps so that ge_decode_many_var can run the exponentiations of eight encodings together. */
typedef struct { fe y, u, v, v3, base; int canonical; } ge_decode_state;

static void ge_decode_begin(ge_decode_state *st, const uint8_t s[32]) {
    fe y2;
    st->canonical = fe_bytes_canonical(s);
    fe_frombytes(&st->y, s);
    fe_sq(&y2, &st->y);
    fe_sub(&st->u, &y2, &FE_ONE);
    fe_mul(&st->v, &y2, &FE_D);
    fe_add(&st->v, &st->v, &FE_ONE);
    /* v = d y^2 + 1 is never 0: -1/d is not a square mod p, so y^2 = -1/d has no solution. */
    fe_sqrt_ratio_prepare(&st->v3, &st->base, &st->u, &st->v);
}

static int ge_decode_end_var(gej *r, const ge_decode_state *st, const fe *pw, const uint8_t s[32]) {
    fe x;
    if (!st->canonical) return 0;
    if (!fe_sqrt_ratio_finish_var(&x, &st->u, &st->v, &st->v3, pw)) return 0;
    int sign = s[31] >> 7;
    if (fe_iszero(&x)) {
        if (sign) return 0;
    } else if (fe_isneg(&x) != sign) {
        fe_neg(&x, &x);
    }
    r->X = x;
    r->Y = st->y;
    r->Z = FE_ONE;
    fe_mul(&r->T, &x, &st->y);
    return 1;
}

static int gej_from_bytes_var(gej *r, const uint8_t s[32]) {
    ge_decode_state st;
    fe pw;
    if (!fe_bytes_canonical(s)) return 0;
    ge_decode_begin(&st, s);
    fe_pow22523(&pw, &st.base);
    return ge_decode_end_var(r, &st, &pw, s);
}

/* How many exponentiations the decoder runs together with m left: eight on IFMA or AVX2 lanes, else one
 * (on the ADX path on the 4x64 field).  Tried on the ADX path: ten at a time, eight AVX2 lanes beside one to
 * four 4x64 MULX chains in the same loop (the integer units idle while the vector ones work): 1.23-1.43 us a
 * point against 1.26-1.33 for the lanes alone (benches/ed25519_stages.c, AVX2 tier, min of 15, two
 * interleaved runs, 2026-12-04): the two kinds of work share more of the core than they leave free. */
static size_t ge_decode_lanes(int path, size_t m) {
#ifdef ED_HAVE_IFMA
    if (path == LV_ED25519_PATH_IFMA8 && m >= 8) return 8;
#endif
#ifdef ED_HAVE_AVX2
    if ((path == LV_ED25519_PATH_AVX2 || path == LV_ED25519_PATH_ADX) && m >= 8) return 8;
#endif
    (void)path;
    (void)m;
    return 1;
}

/* base^((p-5)/8) for the lanes ge_decode_lanes chose. */
static void ge_decode_pow_var(fe *pw, const fe *base, size_t lanes, int path) {
#ifdef ED_HAVE_IFMA
    if (lanes == 8 && path == LV_ED25519_PATH_IFMA8) { fe_pow22523_x8(pw, base); return; }
#endif
#ifdef ED_HAVE_ADX
    if (lanes == 1 && path == LV_ED25519_PATH_ADX) { fe_pow22523_adx(pw, base); return; }
#endif
#ifdef ED_HAVE_AVX2
    if (lanes == 8) { fe_pow22523_x4x2(pw, base); return; }
#endif
    (void)path;
    fe_pow22523(pw, base);
}

/* Decodes n encodings: ok[i] = 1 and *out[i] set when enc[i] decodes (same policy and results as
 * gej_from_bytes_var), the exponentiations running as many together as the path's lanes allow
 * (ge_decode_lanes; path: an LV_ED25519_PATH_* the CPU has). */
static void ge_decode_many_var(gej *const *out, uint8_t *ok, const uint8_t *const *enc, size_t n, int path) {
    enum { MAXL = 16 };
    for (size_t i = 0; i < n;) {
        size_t lanes = ge_decode_lanes(path, n - i);
        ge_decode_state st[MAXL];
        fe base[MAXL], pw[MAXL];
        for (size_t j = 0; j < lanes; j++) {
            ge_decode_begin(&st[j], enc[i + j]);
            base[j] = st[j].base;
        }
        ge_decode_pow_var(pw, base, lanes, path);
        for (size_t j = 0; j < lanes; j++)
            ok[i + j] = (uint8_t)ge_decode_end_var(out[i + j], &st[j], &pw[j], enc[i + j]);
        i += lanes;
    }
}

#endif
