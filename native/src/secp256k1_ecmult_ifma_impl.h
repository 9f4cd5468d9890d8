/* 8-lane verification core with AVX-512 IFMA: R = na*A + ng*G for eight items at once.
 *
 * Lanes must follow one control flow, so the wNAF of the scalar path (digit positions differ per item) is
 * replaced by signed fixed windows: every lane adds at the same positions.  na is GLV-split as on the
 * scalar path and both halves use width-4 windows (digits in [-7, 8]) over per-item tables of 1A..8A and
 * their lambda images; ng = ng_lo + 2^128 ng_hi uses width-10 windows over static tables of 1..512 times G
 * and 2^128 G.  A zero digit leaves its lane unchanged (masked).  A lane whose addition meets the doubling
 * or inverse case (H = 0), or whose result is infinity, is marked exceptional and the caller recomputes that
 * item on the scalar path, so the vector formulas never need those cases. */
#ifndef LV_SECP256K1_ECMULT_IFMA_IMPL_H
#define LV_SECP256K1_ECMULT_IFMA_IMPL_H
#include "secp256k1_field_ifma_impl.h"
#include "secp256k1_ecmult_impl.h"
#ifdef LV_K1_IFMA

#define V8_WQ 4
#define V8_TQ 8             /* 1A..8A */
/* base-point windows of 10 bits: 80 KiB of tables; measured 4% faster than 8 bits, 11 and 12 alike */
#define V8_WG 10
#define V8_TG 512           /* 1G..512G */
#define V8_NQ 34            /* windows of a < 2^130 half scalar */
#define V8_NG 14
_Static_assert(V8_TG % 64 == 0, "v8_fill_g converts 64 points per inversion");
/* the per-key tables come from the scalar layer's group scratch, sized for ECMULT_TABLE_A points */
_Static_assert(V8_TQ == ECMULT_TABLE_A, "8-lane tables reuse the scalar path's per-key table slots");

/* static base-point tables in 52-bit limbs: [entry][x0..x4 y0..y4] */
static uint64_t v8_g_tab[2][V8_TG][10];
static pthread_once_t v8_once = PTHREAD_ONCE_INIT;

static void v8_fill_g(uint64_t (*out)[10], const ge *b) {
    enum { CH = 64 };
    gej buf[CH], acc;
    ge aff[CH];
    fe zs[CH], zis[CH];
    gej_set_ge(&acc, b);
    for (int base = 0; base < V8_TG; base += CH) {
        for (int i = 0; i < CH; i++) {
            buf[i] = acc;
            gej_add_ge_var(&acc, &acc, b);
        }
        ge_set_all_gej_var(aff, buf, CH, zs, zis);
        for (int i = 0; i < CH; i++) {
            fe_normalize(&aff[i].x);
            fe_normalize(&aff[i].y);
            for (int k = 0; k < 5; k++) { out[base + i][k] = aff[i].x.n[k]; out[base + i][5 + k] = aff[i].y.n[k]; }
        }
    }
}

static void v8_build(void) {
    gej t;
    ge g128;
    fe z, zi;
    v8_fill_g(v8_g_tab[0], &GE_G);
    gej_set_ge(&t, &GE_G);
    for (int i = 0; i < 128; i++) gej_double_var(&t, &t);
    ge_set_all_gej_var(&g128, &t, 1, &z, &zi);
    v8_fill_g(v8_g_tab[1], &g128);
}

/* Signed width-w windows of k (< 2^256 as 4 limbs, expected < 2^130): k = sum d[j] 2^(w j),
 * d[j] in [-(2^(w-1) - 1), 2^(w-1)].  Returns 0 if k does not fit in nwin windows. */
static int v8_recode(int *d, const scalar *k, int w, int nwin) {
    int carry = 0;
    for (int j = 0; j < nwin; j++) {
        int bit = j * w, v = 0;
        if (bit < 256) {
            uint64_t x = k->d[bit >> 6] >> (bit & 63);
            if ((bit & 63) + w > 64 && (bit >> 6) < 3) x |= k->d[(bit >> 6) + 1] << (64 - (bit & 63));
            v = (int)(x & ((1u << w) - 1));
        }
        v += carry;
        carry = v > (1 << (w - 1));
        d[j] = v - (carry << w);
    }
    if (carry) return 0;
    for (int b = nwin * w; b < 256; b = (b | 63) + 1)
        if (k->d[b >> 6] >> (b & 63)) return 0;
    return 1;
}

/* ---- 8-lane field helpers beyond mul (same limb form: limbs 0..3 < 2^52, limb 4 < 2^49) ---- */

/* Limbs (each < 2^58) back to the form fe8_mul needs.  The bits of limb 4 at 2^256 and up are folded into
 * limb 0 first (top < 2^10, so top * 0x1000003D1 < 2^52 and madd52lo is exact), then one carry pass
 * leaves limbs 0..3 < 2^52 and limb 4 < 2^48 + 2^7. */
LV_IFMA_TARGET static inline void fe8_weak(fe8 *a) {
    const __m512i M48 = _mm512_set1_epi64((long long)FE_M48), R256 = _mm512_set1_epi64((long long)FE_R);
    __m512i top = _mm512_srli_epi64(a->v[4], 48);
    a->v[4] = _mm512_and_si512(a->v[4], M48);
    a->v[0] = _mm512_madd52lo_epu64(a->v[0], top, R256);
    fe8_carry5(a->v);
}

LV_IFMA_TARGET static inline void fe8_add(fe8 *r, const fe8 *a, const fe8 *b) {
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_add_epi64(a->v[k], b->v[k]);
    fe8_weak(r);
}

/* r = a - b as a + 4p - b (4p exceeds any b of this form limb by limb). */
LV_IFMA_TARGET static inline void fe8_sub(fe8 *r, const fe8 *a, const fe8 *b) {
    static const uint64_t P4[5] = {4 * FE_P0, 4 * FE_M52, 4 * FE_M52, 4 * FE_M52, 4 * FE_M48};
    for (int k = 0; k < 5; k++)
        r->v[k] = _mm512_add_epi64(a->v[k], _mm512_sub_epi64(_mm512_set1_epi64((long long)P4[k]), b->v[k]));
    fe8_weak(r);
}

LV_IFMA_TARGET static inline void fe8_shl(fe8 *r, const fe8 *a, int s) {
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_slli_epi64(a->v[k], s);
    fe8_weak(r);
}

/* lanes where a = 0 mod p */
LV_IFMA_TARGET static inline __mmask8 fe8_is_zero(const fe8 *a) {
    const __m512i M = _mm512_set1_epi64((long long)FE_M52), M48 = _mm512_set1_epi64((long long)FE_M48);
    fe8 t = *a;
    fe8_weak(&t);
    /* t < 2^256 + 2^215 now, so t = 0 mod p only as t = 0 or t = p, each with one digit pattern */
    __mmask8 zero = 0xFF, isp = 0xFF;
    zero &= _mm512_cmpeq_epi64_mask(t.v[0], _mm512_setzero_si512());
    isp &= _mm512_cmpeq_epi64_mask(t.v[0], _mm512_set1_epi64((long long)FE_P0));
    for (int k = 1; k < 4; k++) {
        zero &= _mm512_cmpeq_epi64_mask(t.v[k], _mm512_setzero_si512());
        isp &= _mm512_cmpeq_epi64_mask(t.v[k], M);
    }
    zero &= _mm512_cmpeq_epi64_mask(t.v[4], _mm512_setzero_si512());
    isp &= _mm512_cmpeq_epi64_mask(t.v[4], M48);
    return zero | isp;
}

LV_IFMA_TARGET static inline void fe8_blend(fe8 *r, __mmask8 m, const fe8 *a) { /* r = m ? a : r */
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_mask_blend_epi64(m, r->v[k], a->v[k]);
}

typedef struct { fe8 x, y, z; } gej8;

/* 2a: the scalar path's formula (A = X^2, B = Y^2, C = B^2, D = 4XB, E = 3A, X3 = E^2 - 2D,
 * Y3 = E(D - X3) - 8C, Z3 = 2YZ); never exceptional on this curve. */
LV_IFMA_TARGET static void gej8_double(gej8 *r) {
    fe8 A, B, C, D, E, F, t;
    fe8_mul(&t, &r->y, &r->z);
    fe8_mul(&A, &r->x, &r->x);
    fe8_mul(&B, &r->y, &r->y);
    fe8_mul(&C, &B, &B);
    fe8_mul(&D, &r->x, &B);
    fe8_shl(&D, &D, 2);
    fe8_add(&E, &A, &A);
    fe8_add(&E, &E, &A);
    fe8_mul(&F, &E, &E);
    fe8_shl(&r->z, &t, 1);
    fe8_shl(&t, &D, 1);
    fe8_sub(&r->x, &F, &t);
    fe8_sub(&t, &D, &r->x);
    fe8_mul(&r->y, &E, &t);
    fe8_shl(&C, &C, 3);
    fe8_sub(&r->y, &r->y, &C);
}

/* acc += b on the lanes in `active`; lanes in *inf take b itself; H = 0 lanes go to *exc. */
LV_IFMA_TARGET static void gej8_add_ge(gej8 *acc, const fe8 *bx, const fe8 *by, __mmask8 active,
                                       __mmask8 *inf, __mmask8 *exc) {
    fe8 z12, u2, s2, h, rr, hh, hhh, v, t, x3, y3, z3;
    fe8_mul(&z12, &acc->z, &acc->z);
    fe8_mul(&u2, bx, &z12);
    fe8_mul(&s2, by, &z12);
    fe8_mul(&s2, &s2, &acc->z);
    fe8_sub(&h, &u2, &acc->x);
    fe8_sub(&rr, &s2, &acc->y);
    *exc |= fe8_is_zero(&h) & active & (__mmask8)~*inf;
    fe8_mul(&hh, &h, &h);
    fe8_mul(&hhh, &hh, &h);
    fe8_mul(&v, &acc->x, &hh);
    fe8_mul(&z3, &acc->z, &h);
    fe8_mul(&t, &acc->y, &hhh);
    fe8_mul(&x3, &rr, &rr);
    fe8_sub(&x3, &x3, &hhh);
    fe8_sub(&x3, &x3, &v);
    fe8_sub(&x3, &x3, &v);
    fe8_sub(&v, &v, &x3);
    fe8_mul(&y3, &rr, &v);
    fe8_sub(&y3, &y3, &t);
    __mmask8 fin = active & (__mmask8)~*inf, fresh = active & *inf;
    fe8_blend(&acc->x, fin, &x3);
    fe8_blend(&acc->y, fin, &y3);
    fe8_blend(&acc->z, fin, &z3);
    if (fresh) {
        fe8 one;
        for (int k = 0; k < 5; k++) one.v[k] = _mm512_set1_epi64(k == 0);
        fe8_blend(&acc->x, fresh, bx);
        fe8_blend(&acc->y, fresh, by);
        fe8_blend(&acc->z, fresh, &one);
        *inf &= (__mmask8)~fresh;
    }
}

/* y -> -y on the lanes in m */
LV_IFMA_TARGET static inline void fe8_cneg(fe8 *y, __mmask8 m) {
    fe8 z, n;
    for (int k = 0; k < 5; k++) z.v[k] = _mm512_setzero_si512();
    fe8_sub(&n, &z, y);
    fe8_blend(y, m, &n);
}

/* Per-group inputs: lane i's tables tab[s][e] = (e+1) * A_i (s = 0) or lambda * that (s = 1), affine and
 * normalized, as [s][e][limb 0..9][lane]. */
typedef struct { uint64_t q[2][V8_TQ][10][8] __attribute__((aligned(64))); } v8_tables;

/* out[i] = na[i] A_i + ng[i] G for 8 lanes (Jacobian, magnitude 1); returns the mask of lanes that
 * the caller must recompute on the scalar path (exceptional additions, infinity, or a digit overflow). */
LV_IFMA_TARGET static unsigned v8_ecmult(gej *out, const v8_tables *T, const scalar *na, const scalar *ng) {
    int dq[2][8][V8_NQ], dg[2][8][V8_NG];
    __mmask8 exc = 0, inf = 0xFF;
    int top = 0;
    for (int i = 0; i < 8; i++) {
        scalar k1, k2, lo = {{ng[i].d[0], ng[i].d[1], 0, 0}}, hi = {{ng[i].d[2], ng[i].d[3], 0, 0}};
        int ok = 1;
        scalar_split_lambda(&k1, &k2, &na[i]);
        int n1 = scalar_is_high(&k1), n2 = scalar_is_high(&k2);
        if (n1) scalar_negate(&k1, &k1);
        if (n2) scalar_negate(&k2, &k2);
        ok &= v8_recode(dq[0][i], &k1, V8_WQ, V8_NQ);
        ok &= v8_recode(dq[1][i], &k2, V8_WQ, V8_NQ);
        ok &= v8_recode(dg[0][i], &lo, V8_WG, V8_NG);
        ok &= v8_recode(dg[1][i], &hi, V8_WG, V8_NG);
        if (!ok) exc |= (__mmask8)(1u << i);
        /* fold the split's signs into the digits */
        for (int j = 0; j < V8_NQ; j++) { if (n1) dq[0][i][j] = -dq[0][i][j]; if (n2) dq[1][i][j] = -dq[1][i][j]; }
    }
    /* the highest bit position with a nonzero digit in any lane */
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < V8_NQ; j++)
            if ((dq[0][i][j] | dq[1][i][j]) && j * V8_WQ + 1 > top) top = j * V8_WQ + 1;
        for (int j = 0; j < V8_NG; j++)
            if ((dg[0][i][j] | dg[1][i][j]) && j * V8_WG + 1 > top) top = j * V8_WG + 1;
    }
    gej8 acc;
    for (int k = 0; k < 5; k++) acc.x.v[k] = acc.y.v[k] = acc.z.v[k] = _mm512_setzero_si512();
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (int bit = top - 1; bit >= 0; bit--) {
        if (inf != 0xFF) gej8_double(&acc);
        if (bit % V8_WQ == 0) {
            int j = bit / V8_WQ;
            for (int s = 0; s < 2; s++) {
                int64_t idx[8] __attribute__((aligned(64)));
                __mmask8 act = 0, neg = 0;
                for (int i = 0; i < 8; i++) {
                    int d = dq[s][i][j];
                    if (d) act |= (__mmask8)(1u << i);
                    if (d < 0) { neg |= (__mmask8)(1u << i); d = -d; }
                    idx[i] = d ? (int64_t)(d - 1) * 80 : 0;
                }
                if (!act) continue;
                __m512i vi = _mm512_add_epi64(_mm512_load_si512((const void *)idx), lane);
                fe8 bx, by;
                const long long *base = (const long long *)&T->q[s][0][0][0];
                for (int k = 0; k < 5; k++) {
                    bx.v[k] = _mm512_i64gather_epi64(_mm512_add_epi64(vi, _mm512_set1_epi64(8 * k)), base, 8);
                    by.v[k] = _mm512_i64gather_epi64(_mm512_add_epi64(vi, _mm512_set1_epi64(8 * (5 + k))), base, 8);
                }
                fe8_cneg(&by, neg);
                gej8_add_ge(&acc, &bx, &by, act, &inf, &exc);
            }
        }
        if (bit % V8_WG == 0) {
            int j = bit / V8_WG;
            for (int s = 0; s < 2; s++) {
                int64_t idx[8] __attribute__((aligned(64)));
                __mmask8 act = 0, neg = 0;
                for (int i = 0; i < 8; i++) {
                    int d = dg[s][i][j];
                    if (d) act |= (__mmask8)(1u << i);
                    if (d < 0) { neg |= (__mmask8)(1u << i); d = -d; }
                    idx[i] = d ? (int64_t)(d - 1) * 10 : 0;
                }
                if (!act) continue;
                __m512i vi = _mm512_load_si512((const void *)idx);
                fe8 bx, by;
                const long long *base = (const long long *)&v8_g_tab[s][0][0];
                for (int k = 0; k < 5; k++) {
                    bx.v[k] = _mm512_i64gather_epi64(_mm512_add_epi64(vi, _mm512_set1_epi64(k)), base, 8);
                    by.v[k] = _mm512_i64gather_epi64(_mm512_add_epi64(vi, _mm512_set1_epi64(5 + k)), base, 8);
                }
                fe8_cneg(&by, neg);
                gej8_add_ge(&acc, &bx, &by, act, &inf, &exc);
            }
        }
    }
    exc |= inf;
    uint64_t l[3][5][8] __attribute__((aligned(64)));
    for (int k = 0; k < 5; k++) {
        _mm512_store_si512((void *)l[0][k], acc.x.v[k]);
        _mm512_store_si512((void *)l[1][k], acc.y.v[k]);
        _mm512_store_si512((void *)l[2][k], acc.z.v[k]);
    }
    for (int i = 0; i < 8; i++) {
        for (int k = 0; k < 5; k++) {
            out[i].x.n[k] = l[0][k][i];
            out[i].y.n[k] = l[1][k][i];
            out[i].z.n[k] = l[2][k][i];
        }
        out[i].infinity = 0;
    }
    return exc;
}

/* Per-key tables in the vector unit, in two stages around one scalar batch inversion for the whole group:
 * stage 1 computes kA_i (k = 1..8, Jacobian) for the eight lanes and the running products of their Z;
 * the caller inverts each lane's total Z product together with the other blocks' (Montgomery's trick);
 * stage 2 peels off each entry's 1/Z, converts to affine, adds the lambda images and stores the lanes. */
LV_IFMA_TARGET static void v8_tables_stage1(gej8 *E, fe8 *P, fe *totals, const ge *const *pts) {
    uint64_t l[2][5][8] __attribute__((aligned(64)));
    fe8 ax, ay;
    __mmask8 inf = 0, exc = 0;
    for (int i = 0; i < 8; i++) {
        fe x = pts[i]->x, y = pts[i]->y;
        fe_normalize(&x); /* 52-bit limbs, as IFMA needs */
        fe_normalize(&y);
        for (int k = 0; k < 5; k++) { l[0][k][i] = x.n[k]; l[1][k][i] = y.n[k]; }
    }
    for (int k = 0; k < 5; k++) {
        ax.v[k] = _mm512_load_si512((const void *)l[0][k]);
        ay.v[k] = _mm512_load_si512((const void *)l[1][k]);
        E[0].z.v[k] = _mm512_set1_epi64(k == 0);
    }
    E[0].x = ax;
    E[0].y = ay;
    E[1] = E[0];
    gej8_double(&E[1]);
    for (int e = 2; e < V8_TQ; e++) {
        E[e] = E[e - 1];
        gej8_add_ge(&E[e], &ax, &ay, 0xFF, &inf, &exc); /* kA + A, k in 2..7: never exceptional */
    }
    P[0] = E[0].z;
    for (int e = 1; e < V8_TQ; e++) fe8_mul(&P[e], &P[e - 1], &E[e].z);
    for (int k = 0; k < 5; k++) _mm512_store_si512((void *)l[0][k], P[V8_TQ - 1].v[k]);
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 5; k++) totals[i].n[k] = l[0][k][i];
}

LV_IFMA_TARGET static void v8_tables_stage2(v8_tables *T, const gej8 *E, const fe8 *P, const fe *inv_totals) {
    uint64_t l[5][8] __attribute__((aligned(64)));
    fe8 inv, zi, zi2, beta;
    for (int i = 0; i < 8; i++) {
        fe t = inv_totals[i];
        fe_normalize(&t); /* IFMA reads 52 bits a limb; a scalar product's limb 1 may exceed them */
        for (int k = 0; k < 5; k++) l[k][i] = t.n[k];
    }
    for (int k = 0; k < 5; k++) {
        inv.v[k] = _mm512_load_si512((const void *)l[k]);
        beta.v[k] = _mm512_set1_epi64((long long)FE_BETA.n[k]);
    }
    for (int e = V8_TQ - 1; e >= 0; e--) {
        fe8 x, y, xl;
        if (e > 0) {
            fe8_mul(&zi, &inv, &P[e - 1]);
            fe8_mul(&inv, &inv, &E[e].z);
        } else {
            zi = inv;
        }
        fe8_mul(&zi2, &zi, &zi);
        fe8_mul(&x, &E[e].x, &zi2);
        fe8_mul(&zi2, &zi2, &zi);
        fe8_mul(&y, &E[e].y, &zi2);
        fe8_mul(&xl, &x, &beta);
        for (int k = 0; k < 5; k++) {
            _mm512_store_si512((void *)T->q[0][e][k], x.v[k]);
            _mm512_store_si512((void *)T->q[0][e][5 + k], y.v[k]);
            _mm512_store_si512((void *)T->q[1][e][k], xl.v[k]);
            _mm512_store_si512((void *)T->q[1][e][5 + k], y.v[k]);
        }
    }
}

/* A key's own table (the per-key slot cache, native/secp256k1.py) is the lane's slice of v8_tables,
 * q[s][e][limb] as 160 little-endian uint64 at any alignment: one lane stored after a build, eight lanes
 * loaded back, exactly the limbs stage 2 produced. */
#define V8_KEYTAB_WORDS (2 * V8_TQ * 10)

static void v8_tables_store_lane(uint8_t *dst, const v8_tables *T, int lane) {
    for (int s = 0; s < 2; s++)
        for (int e = 0; e < V8_TQ; e++)
            for (int k = 0; k < 10; k++)
                memcpy(dst + 8 * ((s * V8_TQ + e) * 10 + k), &T->q[s][e][k][lane], 8);
}

static void v8_tables_load(v8_tables *T, const uint8_t *const *src) {
    for (int lane = 0; lane < 8; lane++)
        for (int s = 0; s < 2; s++)
            for (int e = 0; e < V8_TQ; e++)
                for (int k = 0; k < 10; k++)
                    memcpy(&T->q[s][e][k][lane], src[lane] + 8 * ((s * V8_TQ + e) * 10 + k), 8);
}

static void v8_init(void) { pthread_once(&v8_once, v8_build); }

#endif
#endif
