/* 8-lane verification core with AVX-512 IFMA for the a = -3 curves: R = u1*G + u2*Q for eight items at
 * once, for keys seen for the first time (it beats the 4x64 key tables, so where it runs the wrappers build
 * none; keys seen again take the lanes' own key tables, wei3_ifma_keytab_impl.h, on this file's field).
 * Compiled per function with a target attribute and used only when W3_PATH_IFMA8 is the best path
 * (wei3_path_impl.h; ledgerval.native.cpu_mask forces the 4x64 paths).  Also: compressed keys' square roots,
 * 8 at a time (w3v_parse_keys).
 *
 * Field: Montgomery over five 52-bit limbs, R' = 2^260, lane i of each vector holding item i.  Both primes
 * are -1 mod 2^64, so -p^-1 = 1 mod 2^52 and each reduction digit is the column's low 52 bits.  Form F
 * (every input and output of the helpers below): limbs 0..3 < 2^52, limb 4 < 2^49 (value < 2^257, not
 * reduced).  Product of two F values: a*b/2^260 + p < 2^254 + p < 2^257, so F is closed under fe8_mul
 * (which accepts a*b < 2^516, so a sum or 4a feeding a product needs only a carry pass).  Other sums are
 * brought back to F by folding the bits at 2^256 and up with 2^256 mod p (< 2^225 for both primes).
 *
 * Group: no GLV here, so ~256 doublings are shared by both scalars; signed fixed windows (every lane adds
 * at the same positions, zero digits masked): u2 with width 5 over a per-lane table of 1Q..16Q built in
 * the vector unit (made affine, one 4x64 batch inversion for W3V_GROUPS vector groups), u1 with width 10
 * over a static table of 1G..512G.  A lane whose addition meets the doubling or inverse case (H = 0), or
 * whose result is infinity, is reported exceptional and the caller recomputes it on the scalar path, so
 * the vector formulas never need those cases.  x(R) is compared on the scalar path after converting X and
 * Z back to 4x64 form.
 * Measured (cold keys, compressed, C entry, one core of the loaded 2-core EPYC): P-256 64 -> 14.1 us,
 * SM2 69 -> 14.1 us per verification; the lane squaring, one-pass fold and unfolded product inputs
 * gave 18.9 -> 14.2 us of that.
 *
 * The including file defines W3_P_0..W3_P_3 (p as four 64-bit limbs) before the field layer. */
#ifndef LV_WEI3_IFMA_IMPL_H
#define LV_WEI3_IFMA_IMPL_H
#ifdef W3_HAVE_X86_PATHS
#include <immintrin.h>

#define W3V_OK 1
#define W3V_TARGET __attribute__((target("avx512f,avx512ifma")))
#define W3V_M52 0xFFFFFFFFFFFFFULL

/* p in 52-bit limbs, as constant expressions (a zero limb, P-256's limb 2, drops out of the reduction) */
#define W3V_P52_0 (W3_P_0 & W3V_M52)
#define W3V_P52_1 (((W3_P_0 >> 52) | (W3_P_1 << 12)) & W3V_M52)
#define W3V_P52_2 (((W3_P_1 >> 40) | (W3_P_2 << 24)) & W3V_M52)
#define W3V_P52_3 (((W3_P_2 >> 28) | (W3_P_3 << 36)) & W3V_M52)
#define W3V_P52_4 (W3_P_3 >> 16)
_Static_assert(W3V_P52_0 == W3V_M52, "p = -1 mod 2^52: the Montgomery digit is the column itself");

static const uint64_t W3V_P52[5] = {W3V_P52_0, W3V_P52_1, W3V_P52_2, W3V_P52_3, W3V_P52_4};

/* Constants filled once by w3v_consts_build (under w3_gtabs_once's sibling below). */
static uint64_t w3v_c256[5];     /* 2^256 mod p = 2^256 - p, plain, 52-bit limbs */
static uint64_t w3v_k8p[5];      /* 8p with limbs 0..3 >= 2^52 and limb 4 >= 2^49: a - b = a + (8p - b) */
static uint64_t w3v_p2[5];       /* 2p, normalized limbs */
static uint64_t w3v_pm2[4];      /* p - 2, the inversion exponent */
static uint64_t w3v_sqe[4];      /* (p + 1) / 4, the square-root exponent (p = 3 mod 4) */

typedef struct { __m512i v[5]; } fe8;
typedef struct { fe8 x, y, z; } gej8;

/* 4x64 value (< 2^256) to 52-bit limbs. */
static void w3v_to52(uint64_t l[5], const uint64_t v[4]) {
    l[0] = v[0] & W3V_M52;
    l[1] = ((v[0] >> 52) | (v[1] << 12)) & W3V_M52;
    l[2] = ((v[1] >> 40) | (v[2] << 24)) & W3V_M52;
    l[3] = ((v[2] >> 28) | (v[3] << 36)) & W3V_M52;
    l[4] = v[3] >> 16;
}

static void w3v_consts_build(void) {
    uint64_t c[4], p8[5];
    unsigned char bw = 0;
    for (int i = 0; i < 4; i++) bw = _subborrow_u64(bw, 0, W3_FE_P[i], (unsigned long long *)&c[i]);
    w3v_to52(w3v_c256, c);
    w3v_to52(p8, W3_FE_P);
    uint64_t carry = 0;
    for (int i = 0; i < 5; i++) {   /* 8p and 2p by limb shifts with carries */
        uint64_t t = (p8[i] << 3) + carry;
        carry = t >> 52;
        w3v_k8p[i] = t & W3V_M52;
    }
    w3v_k8p[4] |= carry << 52;
    carry = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t t = (p8[i] << 1) + carry;
        carry = t >> 52;
        w3v_p2[i] = i < 4 ? t & W3V_M52 : t;
    }
    /* borrow one unit from each higher limb so that limbs 0..3 reach 2^52 */
    w3v_k8p[0] += 1ULL << 52;
    for (int i = 1; i < 4; i++) w3v_k8p[i] += (1ULL << 52) - 1;
    w3v_k8p[4] -= 1;
    VERIFY_CHECK(w3v_k8p[4] >= (1ULL << 49));
    bw = 0;
    bw = _subborrow_u64(bw, W3_FE_P[0], 2, (unsigned long long *)&w3v_pm2[0]);
    for (int i = 1; i < 4; i++) bw = _subborrow_u64(bw, W3_FE_P[i], 0, (unsigned long long *)&w3v_pm2[i]);
    for (int i = 0; i < 4; i++) w3v_sqe[i] = (W3_FE_P[i] >> 2) | (i < 3 ? W3_FE_P[i + 1] << 62 : 0);
    for (int i = 0; i < 4 && ++w3v_sqe[i] == 0; i++) {
    }
}

#define W3V_SET1(x) _mm512_set1_epi64((long long)(x))

W3V_TARGET static inline void fe8_carry(__m512i *c) {
    const __m512i M = W3V_SET1(W3V_M52);
    for (int k = 0; k < 4; k++) {
        c[k + 1] = _mm512_add_epi64(c[k + 1], _mm512_srli_epi64(c[k], 52));
        c[k] = _mm512_and_si512(c[k], M);
    }
}

/* Montgomery reduction of the column sums c[0..9] (each < 2^57) of a product of two F values:
 * r = c/2^260 mod p in F.  Columns stay below 21 * 2^52 + carries: no overflow of 64 bits. */
W3V_TARGET static inline void fe8_redc(fe8 *r, __m512i *c) {
    const __m512i M = W3V_SET1(W3V_M52);
    const __m512i P1 = W3V_SET1(W3V_P52_1), P2 = W3V_SET1(W3V_P52_2),
                  P3 = W3V_SET1(W3V_P52_3), P4 = W3V_SET1(W3V_P52_4);
    for (int i = 0; i < 5; i++) {
        __m512i m = _mm512_and_si512(c[i], M);
        /* m p0 = m 2^52 - m, and c[i] - m = (c[i] >> 52) 2^52: the p0 term is one addition of m */
        c[i + 1] = _mm512_add_epi64(c[i + 1], _mm512_add_epi64(_mm512_srli_epi64(c[i], 52), m));
        c[i + 1] = _mm512_madd52lo_epu64(c[i + 1], m, P1);
        c[i + 2] = _mm512_madd52hi_epu64(c[i + 2], m, P1);
        if (W3V_P52_2) {
            c[i + 2] = _mm512_madd52lo_epu64(c[i + 2], m, P2);
            c[i + 3] = _mm512_madd52hi_epu64(c[i + 3], m, P2);
        }
        c[i + 3] = _mm512_madd52lo_epu64(c[i + 3], m, P3);
        c[i + 4] = _mm512_madd52hi_epu64(c[i + 4], m, P3);
        c[i + 4] = _mm512_madd52lo_epu64(c[i + 4], m, P4);
        c[i + 5] = _mm512_madd52hi_epu64(c[i + 5], m, P4);
    }
    fe8_carry(c + 5);   /* the result < 2^257 leaves nothing above limb 9 */
    for (int k = 0; k < 5; k++) r->v[k] = c[5 + k];
}

/* r = a*b/2^260 mod p for limbs 0..3 < 2^52, limb 4 < 2^52 and a*b < 2^516 (a, b in F; or one of them
 * from fe8_add_to_mul, < 2^258, or fe8_shl_to_mul, < 2^259, the other in F); aliasing allowed; r in F:
 * r < a*b/2^260 + p < 2^256 + p < 2^257. */
W3V_TARGET static inline void fe8_mul(fe8 *r, const fe8 *a, const fe8 *b) {
    __m512i c[10];
    for (int k = 0; k < 10; k++) c[k] = _mm512_setzero_si512();
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            c[i + j] = _mm512_madd52lo_epu64(c[i + j], a->v[i], b->v[j]);
            c[i + j + 1] = _mm512_madd52hi_epu64(c[i + j + 1], a->v[i], b->v[j]);
        }
    fe8_redc(r, c);
}

/* r = a^2/2^260 mod p: the 10 cross products once, doubled (columns < 2^56), then the 5 squares. */
W3V_TARGET static inline void fe8_sqr(fe8 *r, const fe8 *a) {
    __m512i c[10];
    for (int k = 0; k < 10; k++) c[k] = _mm512_setzero_si512();
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++) {
            c[i + j] = _mm512_madd52lo_epu64(c[i + j], a->v[i], a->v[j]);
            c[i + j + 1] = _mm512_madd52hi_epu64(c[i + j + 1], a->v[i], a->v[j]);
        }
    for (int k = 1; k < 10; k++) c[k] = _mm512_add_epi64(c[k], c[k]);
    for (int i = 0; i < 5; i++) {
        c[2 * i] = _mm512_madd52lo_epu64(c[2 * i], a->v[i], a->v[i]);
        c[2 * i + 1] = _mm512_madd52hi_epu64(c[2 * i + 1], a->v[i], a->v[i]);
    }
    fe8_redc(r, c);
}

/* Limbs below 2^57 each back to F in one carry pass: the bits of limb 4 at 2^256 and up (top < 2^9, as
 * limb 4 < 2^57) are folded first, times 2^256 mod p (< 2^225), then the carries run up into limb 4,
 * which ends below 2^48 + 2^26 (value < 2^256 + 2^234). */
W3V_TARGET static inline void fe8_weak(fe8 *a) {
    const __m512i M48 = W3V_SET1(0xFFFFFFFFFFFFULL);
    __m512i top = _mm512_srli_epi64(a->v[4], 48);
    a->v[4] = _mm512_and_si512(a->v[4], M48);
    for (int k = 0; k < 5; k++) {
        a->v[k] = _mm512_madd52lo_epu64(a->v[k], top, W3V_SET1(w3v_c256[k]));
        if (k < 4) a->v[k + 1] = _mm512_madd52hi_epu64(a->v[k + 1], top, W3V_SET1(w3v_c256[k]));
    }
    fe8_carry(a->v);
}

/* r = a + b (a, b in F) for a product's input only: one carry pass, value < 2^258; its partner in the
 * product must be in F (fe8_mul's bound a*b < 2^516). */
/* r = 4a (a in F) for a product's input only, as fe8_add_to_mul: value < 2^259, partner in F. */
W3V_TARGET static inline void fe8_shl_to_mul(fe8 *r, const fe8 *a, int s) {
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_slli_epi64(a->v[k], s);
    fe8_carry(r->v);
}

W3V_TARGET static inline void fe8_add_to_mul(fe8 *r, const fe8 *a, const fe8 *b) {
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_add_epi64(a->v[k], b->v[k]);
    fe8_carry(r->v);
}

W3V_TARGET static inline void fe8_add(fe8 *r, const fe8 *a, const fe8 *b) {
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_add_epi64(a->v[k], b->v[k]);
    fe8_weak(r);
}

W3V_TARGET static inline void fe8_sub(fe8 *r, const fe8 *a, const fe8 *b) {
    for (int k = 0; k < 5; k++)
        r->v[k] = _mm512_add_epi64(a->v[k], _mm512_sub_epi64(W3V_SET1(w3v_k8p[k]), b->v[k]));
    fe8_weak(r);
}

/* r = a - 2^s b as a + 2^s (8p - b), one fold for both steps (s <= 3: limbs < 2^57). */
W3V_TARGET static inline void fe8_sub_shl(fe8 *r, const fe8 *a, const fe8 *b, int s) {
    for (int k = 0; k < 5; k++)
        r->v[k] = _mm512_add_epi64(a->v[k],
                                   _mm512_slli_epi64(_mm512_sub_epi64(W3V_SET1(w3v_k8p[k]), b->v[k]), s));
    fe8_weak(r);
}

W3V_TARGET static inline void fe8_mul3(fe8 *r, const fe8 *a) {
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_add_epi64(a->v[k], _mm512_slli_epi64(a->v[k], 1));
    fe8_weak(r);
}

W3V_TARGET static inline void fe8_shl(fe8 *r, const fe8 *a, int s) {   /* s <= 3 */
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_slli_epi64(a->v[k], s);
    fe8_weak(r);
}

/* Lanes where a = 0 mod p, a in F: a < 2^257 < 3p leaves the patterns 0, p and 2p (after fe8_weak
 * only 0 and p, as a < 2^256 + 2^239 < 2p there). */
W3V_TARGET static inline __mmask8 fe8_is_zero(const fe8 *a) {
    const fe8 t = *a;
    __mmask8 zero = 0xFF, isp = 0xFF, is2p = 0xFF;
    for (int k = 0; k < 5; k++) {
        zero &= _mm512_cmpeq_epi64_mask(t.v[k], _mm512_setzero_si512());
        isp &= _mm512_cmpeq_epi64_mask(t.v[k], W3V_SET1(W3V_P52[k]));
        is2p &= _mm512_cmpeq_epi64_mask(t.v[k], W3V_SET1(w3v_p2[k]));
    }
    return zero | isp | is2p;
}

W3V_TARGET static inline void fe8_blend(fe8 *r, __mmask8 m, const fe8 *a) {   /* r = m ? a : r */
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_mask_blend_epi64(m, r->v[k], a->v[k]);
}

/* y = -y on the lanes in m, as 8p - y with one carry pass and no fold: a product's input only (value
 * < 2^259, limbs 0..3 < 2^52, limb 4 < 2^51; its partner in F).  Less work than a full subtraction and
 * blend; measured (C entry, lane key tables, loaded machine) 5.02 -> 4.91 and 3.92 -> 3.90 us medians,
 * within the noise.  The window's time is mostly its gathers: software prefetch of the next step's
 * entries measured no better (5.07 -> 5.09, 5.03 -> 4.94 us) and was dropped. */
W3V_TARGET static inline void fe8_cneg_to_mul(fe8 *y, __mmask8 m) {
    if (!m) return;
    for (int k = 0; k < 5; k++) y->v[k] = _mm512_mask_sub_epi64(y->v[k], m, W3V_SET1(w3v_k8p[k]), y->v[k]);
    fe8_carry(y->v);
}

/* r = a^e (4-bit fixed windows: 252 squarings and up to 64 products); e's top window must be nonzero. */
W3V_TARGET static void fe8_pow(fe8 *r, const fe8 *a, const uint64_t e[4]) {
    fe8 pw[16], t;
    pw[1] = *a;
    t = *a;   /* only quiets the compiler: the top window sets t */
    for (int i = 2; i < 16; i++) fe8_mul(&pw[i], &pw[i - 1], a);
    int first = 1;
    for (int w = 63; w >= 0; w--) {
        int d = (int)((e[w >> 4] >> ((w & 15) * 4)) & 15);
        if (!first)
            for (int s = 0; s < 4; s++) fe8_sqr(&t, &t);
        if (d) {
            if (first) t = pw[d]; else fe8_mul(&t, &t, &pw[d]);
            first = 0;
        }
    }
    *r = t;
}

/* r = a^(p-2) = a^-1 (0 for a = 0). */
W3V_TARGET static void fe8_inv(fe8 *r, const fe8 *a) { fe8_pow(r, a, w3v_pm2); }

/* dbl-2001-b for a = -3, as gej_double_var: never exceptional for finite points (odd group order). */
W3V_TARGET static void gej8_double(gej8 *r) {
    fe8 delta, gamma, beta, alpha, t1, t2;
    fe8_sqr(&delta, &r->z);
    fe8_sqr(&gamma, &r->y);
    fe8_shl_to_mul(&t1, &r->x, 2);
    fe8_mul(&beta, &t1, &gamma);           /* 4 beta: 4X < 2^259 and gamma < 2^257 keep the product's bound */
    fe8_sub(&t1, &r->x, &delta);
    fe8_add_to_mul(&t2, &r->x, &delta);
    fe8_mul(&alpha, &t1, &t2);
    fe8_mul3(&alpha, &alpha);
    fe8_add_to_mul(&t1, &r->z, &r->z);
    fe8_mul(&r->z, &r->y, &t1);            /* Z3 = 2YZ, which dbl-2001-b writes (Y + Z)^2 - gamma - delta */
    fe8_sqr(&t1, &alpha);
    fe8_sub_shl(&r->x, &t1, &beta, 1);     /* alpha^2 - 8 beta */
    fe8_sub(&t1, &beta, &r->x);
    fe8_mul(&t1, &alpha, &t1);
    fe8_sqr(&gamma, &gamma);
    fe8_sub_shl(&r->y, &t1, &gamma, 3);    /* - 8 gamma^2 */
}

/* acc += (bx, by) affine on the lanes in `active`; lanes in *inf take the point itself; lanes with
 * H = 0 (doubling or inverse case) go to *exc and hold garbage from then on.  bx in F; by a product input
 * (fe8_cneg_to_mul's bound, value < 2^259), brought to F where a lane takes it as is. */
W3V_TARGET static void gej8_add_ge(gej8 *acc, const fe8 *bx, const fe8 *by, __mmask8 active, __mmask8 *inf,
                                   __mmask8 *exc, const fe8 *one) {
    fe8 z12, u2, s2, h, rr, hh, hhh, v, t, x3, y3, z3;
    fe8_sqr(&z12, &acc->z);
    fe8_mul(&u2, bx, &z12);
    fe8_mul(&s2, by, &z12);
    fe8_mul(&s2, &s2, &acc->z);
    fe8_sub(&h, &u2, &acc->x);
    fe8_sub(&rr, &s2, &acc->y);
    *exc |= fe8_is_zero(&h) & active & (__mmask8)~*inf;
    fe8_sqr(&hh, &h);
    fe8_mul(&hhh, &hh, &h);
    fe8_mul(&v, &acc->x, &hh);
    fe8_mul(&z3, &acc->z, &h);
    fe8_mul(&t, &acc->y, &hhh);
    fe8_sqr(&x3, &rr);
    fe8_sub(&x3, &x3, &hhh);
    fe8_sub_shl(&x3, &x3, &v, 1);
    fe8_sub(&v, &v, &x3);
    fe8_mul(&y3, &rr, &v);
    fe8_sub(&y3, &y3, &t);
    __mmask8 fin = active & (__mmask8)~*inf, fresh = active & *inf;
    fe8_blend(&acc->x, fin, &x3);
    fe8_blend(&acc->y, fin, &y3);
    fe8_blend(&acc->z, fin, &z3);
    if (fresh) {
        fe8 y = *by;
        fe8_weak(&y);
        fe8_blend(&acc->x, fresh, bx);
        fe8_blend(&acc->y, fresh, &y);
        fe8_blend(&acc->z, fresh, one);
        *inf &= (__mmask8)~fresh;
    }
}

#define W3V_WQ 5
#define W3V_TQ 16           /* 1Q..16Q */
#define W3V_NQ 52           /* 260 bits */
/* base-point windows of 10 bits over 1G..512G (40 KiB), as the secp256k1 8-lane path measured best */
#define W3V_WG 10
#define W3V_TG 512
#define W3V_NG 26

static uint64_t w3v_gtab[W3V_TG][10];   /* [entry][x0..x4 y0..y4], 52-bit Montgomery form */
static uint64_t w3v_one52[5];            /* R' mod p */
static pthread_once_t w3v_once = PTHREAD_ONCE_INIT;

/* A 4x64 Montgomery value x*2^256 (< p) to F: x*2^260 = 16 * (x*2^256), folded. */
static void w3v_fe_to52(uint64_t l[5], const fe *a) {
    uint64_t t[5], top;
    w3v_to52(t, a->v);
    for (int k = 0; k < 5; k++) t[k] <<= 4;
    for (int k = 0; k < 4; k++) { t[k + 1] += t[k] >> 52; t[k] &= W3V_M52; }
    top = t[4] >> 48;   /* < 2^8 */
    t[4] &= 0xFFFFFFFFFFFFULL;
    for (int k = 0; k < 5; k++) {
        w3_u128 pr = (w3_u128)top * w3v_c256[k];
        t[k] += (uint64_t)pr & W3V_M52;
        if (k < 4) t[k + 1] += (uint64_t)(pr >> 52);
    }
    for (int k = 0; k < 4; k++) { t[k + 1] += t[k] >> 52; t[k] &= W3V_M52; }
    memcpy(l, t, sizeof t);
}

static void w3v_build(void) {
    enum { CH = 64 };
    gej buf[CH], acc;
    ge aff[CH];
    fe scratch[CH];
    w3v_consts_build();
    w3v_fe_to52(w3v_one52, &W3_FE_ONE);
    gej_set_ge(&acc, &W3_GE_G);
    for (int base = 0; base < W3V_TG; base += CH) {
        for (int i = 0; i < CH; i++) {
            buf[i] = acc;
            gej_add_ge_var(&acc, &acc, &W3_GE_G);
        }
        ge_set_all_gej_var(aff, buf, scratch, CH);
        for (int i = 0; i < CH; i++) {
            w3v_fe_to52(w3v_gtab[base + i], &aff[i].x);
            w3v_fe_to52(w3v_gtab[base + i] + 5, &aff[i].y);
        }
    }
}

/* 1 when W3_PATH_IFMA8 is the best path now (its static tables then built). */
static int w3v_available(void) {
    if (w3_best_path() != W3_PATH_IFMA8) return 0;
    pthread_once(&w3v_once, w3v_build);
    return 1;
}

/* Signed width-w windows of k < 2^256: k = sum d[j] 2^(w j), d[j] in [-(2^(w-1) - 1), 2^(w-1)].
 * nwin * w >= 257 leaves no final carry. */
static void w3v_recode(int *d, const scalar *k, int w, int nwin) {
    int carry = 0;
    for (int j = 0; j < nwin; j++) {
        int bit = j * w, v = 0;
        if (bit < 256) {
            uint64_t x = k->v[bit >> 6] >> (bit & 63);
            if ((bit & 63) + w > 64 && (bit >> 6) < 3) x |= k->v[(bit >> 6) + 1] << (64 - (bit & 63));
            v = (int)(x & ((1u << w) - 1));
        }
        v += carry;
        carry = v > (1 << (w - 1));
        d[j] = v - (carry << w);
    }
    VERIFY_CHECK(carry == 0);
}

W3V_TARGET static inline void fe8_load_lanes(fe8 *r, uint64_t l[5][8]) {
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_loadu_si512((const void *)l[k]);
}

W3V_TARGET static void w3v_lanes_to_fe(gej *out, const fe8 *a, const fe8 *b);

/* Per-lane tables: q[e][limb 0..9][lane] = ((e+1) Q_lane), affine, F form. */
typedef struct { uint64_t q[W3V_TQ][10][8] __attribute__((aligned(64))); } w3v_qtab;

/* Tables in two stages around one scalar batch inversion shared by W3V_GROUPS vector groups (Montgomery's
 * trick over their 8 * W3V_GROUPS lane denominators: one 4x64 inversion and three products each, where a
 * lane inversion per group cost ~330 lane products).  Stage 1: kQ (k = 1..16, Jacobian) and the running
 * products of their Z, the total per lane out in 4x64 form; stage 2: from the inverted totals, each
 * entry's 1/Z peeled off and the entry made affine. */
#define W3V_GROUPS 4
typedef struct { gej8 E[W3V_TQ]; fe8 P[W3V_TQ]; } w3v_stage;

W3V_TARGET static void w3v_qtab_stage1(w3v_stage *S, fe *totals, const ge *const *pts, const fe8 *one) {
    uint64_t l[2][5][8] __attribute__((aligned(64)));
    gej tmp[8];
    fe8 ax, ay;
    __mmask8 inf = 0, exc = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t t[5];
        w3v_fe_to52(t, &pts[i]->x);
        for (int k = 0; k < 5; k++) l[0][k][i] = t[k];
        w3v_fe_to52(t, &pts[i]->y);
        for (int k = 0; k < 5; k++) l[1][k][i] = t[k];
    }
    fe8_load_lanes(&ax, l[0]);
    fe8_load_lanes(&ay, l[1]);
    S->E[0].x = ax;
    S->E[0].y = ay;
    S->E[0].z = *one;
    S->E[1] = S->E[0];
    gej8_double(&S->E[1]);
    for (int e = 2; e < W3V_TQ; e++) {
        S->E[e] = S->E[e - 1];
        gej8_add_ge(&S->E[e], &ax, &ay, 0xFF, &inf, &exc, one);   /* kQ + Q, k < 16 < n: never exceptional */
    }
    S->P[0] = S->E[0].z;
    for (int e = 1; e < W3V_TQ; e++) fe8_mul(&S->P[e], &S->P[e - 1], &S->E[e].z);
    w3v_lanes_to_fe(tmp, &S->P[W3V_TQ - 1], NULL);
    for (int i = 0; i < 8; i++) totals[i] = tmp[i].x;
}

W3V_TARGET static void w3v_qtab_stage2(w3v_qtab *T, const w3v_stage *S, const fe *inv_totals) {
    uint64_t l[5][8] __attribute__((aligned(64)));
    fe8 inv, zi, zi2, x, y;
    for (int i = 0; i < 8; i++) {
        uint64_t t[5];
        w3v_fe_to52(t, &inv_totals[i]);
        for (int k = 0; k < 5; k++) l[k][i] = t[k];
    }
    fe8_load_lanes(&inv, l);
    for (int e = W3V_TQ - 1; e >= 0; e--) {
        if (e > 0) {
            fe8_mul(&zi, &inv, &S->P[e - 1]);
            fe8_mul(&inv, &inv, &S->E[e].z);
        } else {
            zi = inv;
        }
        fe8_sqr(&zi2, &zi);
        fe8_mul(&x, &S->E[e].x, &zi2);
        fe8_mul(&zi2, &zi2, &zi);
        fe8_mul(&y, &S->E[e].y, &zi2);
        for (int k = 0; k < 5; k++) {
            _mm512_store_si512((void *)T->q[e][k], x.v[k]);
            _mm512_store_si512((void *)T->q[e][5 + k], y.v[k]);
        }
    }
}

/* One window's addition: digits d[lane], table rows of `stride` words per entry, lane offsets `lane`
 * (zero for the shared G table). */
W3V_TARGET static void w3v_add_window(gej8 *acc, const int *d, const long long *base, int stride, __m512i lane,
                                      __mmask8 *inf, __mmask8 *exc, const fe8 *one) {
    int64_t idx[8] __attribute__((aligned(64)));
    __mmask8 act = 0, neg = 0;
    int step = stride == 10 ? 1 : 8;   /* limb step: G rows hold limbs side by side, Q rows lane-major */
    for (int i = 0; i < 8; i++) {
        int v = d[i];
        if (v) act |= (__mmask8)(1u << i);
        if (v < 0) { neg |= (__mmask8)(1u << i); v = -v; }
        idx[i] = v ? (int64_t)(v - 1) * stride : 0;
    }
    if (!act) return;
    __m512i vi = _mm512_add_epi64(_mm512_load_si512((const void *)idx), lane);
    fe8 bx, by;
    for (int k = 0; k < 5; k++) {
        bx.v[k] = _mm512_i64gather_epi64(_mm512_add_epi64(vi, W3V_SET1(step * k)), base, 8);
        by.v[k] = _mm512_i64gather_epi64(_mm512_add_epi64(vi, W3V_SET1(step * (5 + k))), base, 8);
    }
    fe8_cneg_to_mul(&by, neg);
    gej8_add_ge(acc, &bx, &by, act, inf, exc, one);
}

/* The lanes' X and Z into out (4x64 form, y unused by the x comparison); returns exc. */
W3V_TARGET static unsigned w3v_ecmult_finish(gej *out, const gej8 *acc, unsigned exc) {
    w3v_lanes_to_fe(out, &acc->x, &acc->z);
    for (int i = 0; i < 8; i++) {
        memset(&out[i].y, 0, sizeof out[i].y);
        out[i].infinity = 0;
    }
    return exc;
}

/* out[i] = u1[i] G + u2[i] Q_i for 8 lanes, T the lanes' Q tables.  Returns the lanes the caller must
 * recompute on the scalar path (exceptional additions or infinity); out[i] of the others is finite and
 * in the 4x64 field's form (X and Z only). */
W3V_TARGET static unsigned w3v_ecmult(gej *out, const w3v_qtab *T, const scalar *u1, const scalar *u2) {
    int dq[W3V_NQ][8], dg[W3V_NG][8], t[W3V_NQ];
    fe8 one;
    __mmask8 exc = 0, inf = 0xFF;
    for (int k = 0; k < 5; k++) one.v[k] = W3V_SET1(w3v_one52[k]);
    for (int i = 0; i < 8; i++) {
        w3v_recode(t, &u2[i], W3V_WQ, W3V_NQ);
        for (int j = 0; j < W3V_NQ; j++) dq[j][i] = t[j];
        w3v_recode(t, &u1[i], W3V_WG, W3V_NG);
        for (int j = 0; j < W3V_NG; j++) dg[j][i] = t[j];
    }
    gej8 acc;
    for (int k = 0; k < 5; k++) acc.x.v[k] = acc.y.v[k] = acc.z.v[k] = _mm512_setzero_si512();
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (int bit = W3V_NQ * W3V_WQ - 1; bit >= 0; bit--) {
        if (inf != 0xFF) gej8_double(&acc);
        if (bit % W3V_WQ == 0)
            w3v_add_window(&acc, dq[bit / W3V_WQ], (const long long *)&T->q[0][0][0], 80, lane, &inf, &exc, &one);
        if (bit % W3V_WG == 0 && bit / W3V_WG < W3V_NG)
            w3v_add_window(&acc, dg[bit / W3V_WG], (const long long *)&w3v_gtab[0][0], 10,
                           _mm512_setzero_si512(), &inf, &exc, &one);
    }
    return w3v_ecmult_finish(out, &acc, exc | inf);
}

/* Lanes of a (and b, if not NULL) back to 4x64 Montgomery form, fully reduced, into out[i].x (.z):
 * a Montgomery product with the plain 2^256 mod p gives x*2^256 (< 2^257), then at most two
 * subtractions of p. */
W3V_TARGET static void w3v_lanes_to_fe(gej *out, const fe8 *a, const fe8 *b) {
    fe8 c256, x;
    uint64_t l[5][8] __attribute__((aligned(64)));
    for (int k = 0; k < 5; k++) c256.v[k] = W3V_SET1(w3v_c256[k]);
    for (int c = 0; c < 2; c++) {
        if (c && !b) break;
        fe8_mul(&x, c ? b : a, &c256);
        for (int k = 0; k < 5; k++) _mm512_store_si512((void *)l[k], x.v[k]);
        for (int i = 0; i < 8; i++) {
            uint64_t v[5], w[4];
            for (int k = 0; k < 5; k++) v[k] = l[k][i];
            w[0] = v[0] | (v[1] << 52);
            w[1] = (v[1] >> 12) | (v[2] << 40);
            w[2] = (v[2] >> 24) | (v[3] << 28);
            w[3] = (v[3] >> 36) | (v[4] << 16);
            uint64_t hi = v[4] >> 48;   /* bit 256 */
            while (hi || !w3_lt(w, W3_FE_P)) {
                unsigned char bw = 0;
                for (int k = 0; k < 4; k++) bw = _subborrow_u64(bw, w[k], W3_FE_P[k], (unsigned long long *)&w[k]);
                hi -= bw;
            }
            memcpy(c ? out[i].z.v : out[i].x.v, w, sizeof w);
        }
    }
}

/* Square roots of 8 field elements (4x64 form) in the lanes: out[i] = in[i]^((p+1)/4); the caller
 * checks out[i]^2 = in[i]. */
W3V_TARGET static void w3v_pow_sqrt8(fe *out, const fe *in) {
    uint64_t l[5][8] __attribute__((aligned(64)));
    fe8 a, r;
    gej tmp[8];
    for (int i = 0; i < 8; i++) {
        uint64_t t[5];
        w3v_fe_to52(t, &in[i]);
        for (int k = 0; k < 5; k++) l[k][i] = t[k];
    }
    fe8_load_lanes(&a, l);
    fe8_pow(&r, &a, w3v_sqe);
    w3v_lanes_to_fe(tmp, &r, NULL);
    for (int i = 0; i < 8; i++) out[i] = tmp[i].x;
}

/* ge_parse_sec1_var over n keys (row stride 65), the compressed ones' square roots 8 at a time in the
 * lanes: ok[i] = 1 and q[i] set when key i decodes, with the same checks as the scalar parser. */
static void w3v_parse_keys(ge *q, uint8_t *ok, const uint8_t *keys, const uint8_t *lens, size_t n) {
    fe rhs[8], root[8];
    size_t idx[8];
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *key = keys + 65 * i;
        ok[i] = 0;
        if (lens[i] == 33 && (key[0] == 2 || key[0] == 3)) {
            if (fe_set_b32(&q[i].x, key + 1)) {
                ge_rhs(&rhs[m], &q[i].x);
                idx[m++] = i;
            }
        } else {
            ok[i] = (uint8_t)ge_parse_sec1_var(&q[i], key, lens[i]);
        }
        if (m == 8 || (i == n - 1 && m)) {
            for (int j = m; j < 8; j++) rhs[j] = rhs[0];
            w3v_pow_sqrt8(root, rhs);
            for (int j = 0; j < m; j++) {
                fe chk;
                uint64_t yi[4];
                size_t t = idx[j];
                fe_sqr(&chk, &root[j]);
                if (!fe_equal(&chk, &rhs[j])) continue;   /* x^3 - 3x + b is not a square */
                fe_to_int(yi, &root[j]);
                if ((yi[0] & 1) != (uint64_t)(keys[65 * t] & 1)) fe_neg(&root[j], &root[j]);
                q[t].y = root[j];
                ok[t] = 1;
            }
            m = 0;
        }
    }
}

/* The test window onto the lane field (W3_API(test_field8)). */
W3V_TARGET static void w3v_test_op8(fe *r, const fe *a, const fe *b, int op) {
    uint64_t l[2][5][8] __attribute__((aligned(64)));
    fe8 x, y, z;
    gej tmp[8];
    for (int i = 0; i < 8; i++) {
        uint64_t t[5];
        w3v_fe_to52(t, &a[i]);
        for (int k = 0; k < 5; k++) l[0][k][i] = t[k];
        w3v_fe_to52(t, &b[i]);
        for (int k = 0; k < 5; k++) l[1][k][i] = t[k];
    }
    fe8_load_lanes(&x, l[0]);
    fe8_load_lanes(&y, l[1]);
    switch (op) {
    case 0: fe8_mul(&z, &x, &y); break;
    case 1: fe8_sqr(&z, &x); break;
    case 2: fe8_add(&z, &x, &y); break;
    case 3: fe8_sub(&z, &x, &y); break;
    case 4: fe8_sub_shl(&z, &x, &y, 3); break;
    case 5: fe8_mul3(&z, &x); break;
    case 6: fe8_inv(&z, &x); break;
    default: fe8_pow(&z, &x, w3v_sqe); break;
    }
    w3v_lanes_to_fe(tmp, &z, NULL);
    for (int i = 0; i < 8; i++) r[i] = tmp[i].x;
}

/* Verify up to W3V_BATCH items whose key, scalars and comparison target are ready: res[j] = 1 when
 * x(u1 G + u2 Q) = c (mod n).  Exceptional lanes go through the scalar path (ecmult_var). */
#define W3V_BATCH (8 * W3V_GROUPS)
W3V_TARGET static void w3v_verify(const ge *q, const scalar *u1, const scalar *u2, const scalar *c, int m, uint8_t *res) {
    w3v_stage S[W3V_GROUPS];
    w3v_qtab T;
    fe tot[W3V_BATCH], inv[W3V_BATCH], pre[W3V_BATCH], acc;
    scalar a[8], b[8];
    gej r[8];
    fe8 one;
    int ng = (m + 7) / 8;
    VERIFY_CHECK(m >= 1 && m <= W3V_BATCH);
    if (m < 1 || m > W3V_BATCH) return;
    for (int k = 0; k < 5; k++) one.v[k] = _mm512_set1_epi64((long long)w3v_one52[k]);
    for (int g = 0; g < ng; g++) {
        const ge *qp[8];
        for (int i = 0; i < 8; i++) qp[i] = &q[8 * g + i < m ? 8 * g + i : 8 * g];   /* padding repeats */
        w3v_qtab_stage1(&S[g], &tot[8 * g], qp, &one);
    }
    /* the lane totals are products of Z of finite points: nonzero */
    pre[0] = tot[0];
    for (int i = 1; i < 8 * ng; i++) fe_mul(&pre[i], &pre[i - 1], &tot[i]);
    fe_inv(&acc, &pre[8 * ng - 1]);
    for (int i = 8 * ng - 1; i > 0; i--) {
        fe_mul(&inv[i], &acc, &pre[i - 1]);
        fe_mul(&acc, &acc, &tot[i]);
    }
    inv[0] = acc;
    for (int g = 0; g < ng; g++) {
        int base = 8 * g, cnt = m - base < 8 ? m - base : 8;
        w3v_qtab_stage2(&T, &S[g], &inv[base]);
        for (int i = 0; i < 8; i++) {
            int s = i < cnt ? base + i : base;
            a[i] = u1[s];
            b[i] = u2[s];
        }
        unsigned exc = w3v_ecmult(r, &T, a, b);
        for (int i = 0; i < cnt; i++) {
            int j = base + i;
            /* Z = 0 cannot survive a non-exceptional lane; rechecked because X = Z = 0 would pass the
             * projective comparison (never falsely valid) */
            if ((exc >> i & 1) || fe_is_zero(&r[i].z)) ecmult_var(&r[i], &u1[j], &q[j], &u2[j]);
            res[j] = (uint8_t)gej_eq_x_mod_n_var(&r[i], &c[j]);
        }
    }
}

#endif
#endif
