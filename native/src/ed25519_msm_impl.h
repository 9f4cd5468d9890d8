/* Scalar multiplication and multi-scalar multiplication on edwards25519, variable time (verification works on
 * public data; the signing helpers that also use these are for test data only).
 *   - wNAF digits (signed, odd, |d| < 2^(w-1)) for scalars below 2^253.
 *   - A static table of the odd multiples B, 3B, ..., 127B in niels form (w = 8), computed once.
 *   - Straus (interleaved wNAF, shared doublings) for [a]P + [b]B and for the batch equation. */
#ifndef LV_ED25519_MSM_IMPL_H
#define LV_ED25519_MSM_IMPL_H

#include <pthread.h>

#define ED_WNAF_LEN 256
#define ED_W_VAR 5                               /* window for variable points: 8 cached odd multiples */
#define ED_TAB_VAR (1 << (ED_W_VAR - 2))
#define ED_W_BASE 8                              /* window for B: 64 niels odd multiples */
#define ED_TAB_BASE (1 << (ED_W_BASE - 2))
#define ED_W_KEY 7                               /* window for cached keys: 32 niels odd multiples */
#define ED_TAB_KEY (1 << (ED_W_KEY - 2))

static const fe FE_BX = {{0x62d608f25d51aULL, 0x412a4b4f6592aULL, 0x75b7171a4b31dULL, 0x1ff60527118feULL, 0x216936d3cd6e5ULL}};
static const fe FE_BY = {{0x6666666666658ULL, 0x4ccccccccccccULL, 0x1999999999999ULL, 0x3333333333333ULL, 0x6666666666666ULL}};

static inline int sc_get_bits(const scalar *s, int pos, int n) {
    int limb = pos >> 6, off = pos & 63;
    uint64_t v = s->v[limb] >> off;
    if (off + n > 64 && limb < 3) v |= s->v[limb + 1] << (64 - off);
    return (int)(v & ((1u << n) - 1));
}

/* s = sum naf[i] 2^i with every naf[i] zero or odd and |naf[i]| < 2^(w-1), no two non-zero digits within w
 * positions.  Requires s < 2^253 (a reduced scalar or a 128-bit multiplier) so no carry is left over.
 * Returns one past the index of the highest non-zero digit (0 for s = 0). */
static int wnaf_var(int8_t naf[ED_WNAF_LEN], const scalar *s, int w) {
    /* The scalar with two zero limbs above, read 64 bits at a time from any position without a branch
     * (the branches on the bit position this replaces cost 306 against 228 ns for a 253-bit scalar and its
     * reduction, benches/ed25519_stages.c). */
    const uint64_t x[6] = {s->v[0], s->v[1], s->v[2], s->v[3], 0, 0};
    const uint64_t wmask = ((uint64_t)1 << w) - 1;
    memset(naf, 0, ED_WNAF_LEN);
    uint64_t carry = 0;
    int bit = 0, top = 0;
    while (bit < ED_WNAF_LEN) {
        /* the 64 bits from bit on (off = 0 takes x[limb + 1] << 64 as 0 through the split shift) */
        int limb = bit >> 6, off = bit & 63;
        uint64_t word64 = (x[limb] >> off) | ((x[limb + 1] << 1) << (63 - off));
        /* Skip the run of bits equal to the carry (they produce zero digits). */
        uint64_t diff = word64 ^ (0 - carry);
        if (!diff) {
            bit += 64;
            continue;
        }
        int k = __builtin_ctzll(diff);
        bit += k;
        if (bit >= ED_WNAF_LEN) break;
        limb = bit >> 6;
        off = bit & 63;
        uint64_t win = ((x[limb] >> off) | ((x[limb + 1] << 1) << (63 - off))) & wmask;
        int word = (int)win + (int)carry;
        carry = (uint64_t)(word >> (w - 1)) & 1;
        word -= (int)carry << w;
        naf[bit] = (int8_t)word;
        top = bit + 1;
        bit += w;
    }
    VERIFY_CHECK(carry == 0);
    return top;
}

/* tab[i] = (2i+1) p for i < n. */
static void gej_odd_multiples_cached(ge_cached *tab, const gej *p, int n) {
    ge_p1p1 t;
    gej p2, cur = *p;
    ge_cached c2;
    gej_dbl(&t, p);
    ge_p1p1_to_gej(&p2, &t);
    gej_to_cached(&c2, &p2);
    gej_to_cached(&tab[0], p);
    for (int i = 1; i < n; i++) {
        gej_add_cached(&t, &cur, &c2);
        ge_p1p1_to_gej(&cur, &t);
        gej_to_cached(&tab[i], &cur);
    }
}

/* tabs[q][i] = (2i+1) pts[q] for i < ED_TAB_KEY and q < k <= ED_NIELS_GROUP, in niels form (affine): one
 * inversion for the k tables together, as the inversion (about 265 squarings) would otherwise cost as much
 * as a table's 31 additions. */
#define ED_NIELS_GROUP 8
static void ge_niels_odd_multiples(ge_niels (*tabs)[ED_TAB_KEY], const gej *const *pts, size_t k) {
    gej m[ED_NIELS_GROUP * ED_TAB_KEY];
    fe zs[ED_NIELS_GROUP * ED_TAB_KEY], zinv[ED_NIELS_GROUP * ED_TAB_KEY], scratch[ED_NIELS_GROUP * ED_TAB_KEY];
    ge_p1p1 t;
    ge_cached c2;
    for (size_t q = 0; q < k; q++) {
        gej *row = m + q * ED_TAB_KEY;
        gej_dbl(&t, pts[q]);
        ge_p1p1_to_gej(&row[1], &t);
        gej_to_cached(&c2, &row[1]);
        row[0] = *pts[q];
        for (int i = 1; i < ED_TAB_KEY; i++) {
            gej_add_cached(&t, &row[i - 1], &c2);
            ge_p1p1_to_gej(&row[i], &t);
        }
    }
    for (size_t i = 0; i < k * ED_TAB_KEY; i++) zs[i] = m[i].Z;
    fe_batch_invert(zinv, zs, scratch, k * ED_TAB_KEY);
    for (size_t i = 0; i < k * ED_TAB_KEY; i++) {
        fe x, y, xy;
        ge_niels *o = &tabs[i / ED_TAB_KEY][i % ED_TAB_KEY];
        fe_mul(&x, &m[i].X, &zinv[i]);
        fe_mul(&y, &m[i].Y, &zinv[i]);
        fe_add(&o->ypx, &y, &x);
        fe_sub(&o->ymx, &y, &x);
        fe_mul(&xy, &x, &y);
        fe_mul(&o->xy2d, &xy, &FE_D2);
    }
}

static ge_niels ED_BASE_TABLE[ED_TAB_BASE];
static ge_cached ED_BASE_CACHED[ED_TAB_BASE];   /* the same points with Z = 1, for the IFMA Straus loop */
static pthread_once_t ED_BASE_ONCE = PTHREAD_ONCE_INIT;

static void ed_base_table_init(void) {
    gej b, cur, p2;
    gej pts[ED_TAB_BASE];
    fe zs[ED_TAB_BASE], zinv[ED_TAB_BASE], scratch[ED_TAB_BASE];
    ge_p1p1 t;
    ge_cached c2;
    b.X = FE_BX; b.Y = FE_BY; b.Z = FE_ONE;
    fe_mul(&b.T, &FE_BX, &FE_BY);
    gej_dbl(&t, &b);
    ge_p1p1_to_gej(&p2, &t);
    gej_to_cached(&c2, &p2);
    cur = b;
    pts[0] = b;
    for (int i = 1; i < ED_TAB_BASE; i++) {
        gej_add_cached(&t, &cur, &c2);
        ge_p1p1_to_gej(&cur, &t);
        pts[i] = cur;
    }
    for (int i = 0; i < ED_TAB_BASE; i++) zs[i] = pts[i].Z;
    fe_batch_invert(zinv, zs, scratch, ED_TAB_BASE);
    for (int i = 0; i < ED_TAB_BASE; i++) {
        fe x, y, xy;
        fe_mul(&x, &pts[i].X, &zinv[i]);
        fe_mul(&y, &pts[i].Y, &zinv[i]);
        fe_add(&ED_BASE_TABLE[i].ypx, &y, &x);
        fe_sub(&ED_BASE_TABLE[i].ymx, &y, &x);
        fe_mul(&xy, &x, &y);
        fe_mul(&ED_BASE_TABLE[i].xy2d, &xy, &FE_D2);
        ED_BASE_CACHED[i].YpX = ED_BASE_TABLE[i].ypx;
        ED_BASE_CACHED[i].YmX = ED_BASE_TABLE[i].ymx;
        ED_BASE_CACHED[i].Z = FE_ONE;
        ED_BASE_CACHED[i].T2d = ED_BASE_TABLE[i].xy2d;
    }
}

static const ge_niels *ed_base_table(void) {
    pthread_once(&ED_BASE_ONCE, ed_base_table_init);
    return ED_BASE_TABLE;
}

/* The running sum of a Straus loop lives as a completed point between steps; adding to it needs the
 * extended form (4M), doubling only the projective one (3M). */
ED_INLINE void straus_add_cached(ge_p1p1 *acc, int d, const ge_cached *tab) {
    gej u;
    ge_p1p1_to_gej(&u, acc);
    if (d > 0) gej_add_cached(acc, &u, &tab[d >> 1]);
    else gej_sub_cached(acc, &u, &tab[(-d) >> 1]);
}

ED_INLINE void straus_add_niels(ge_p1p1 *acc, int d, const ge_niels *tab) {
    gej u;
    ge_p1p1_to_gej(&u, acc);
    if (d > 0) gej_add_niels(acc, &u, &tab[d >> 1]);
    else gej_sub_niels(acc, &u, &tab[(-d) >> 1]);
}

ED_INLINE void straus_dbl(ge_p1p1 *acc) {
    ge_p2 q;
    ge_p1p1_to_p2(&q, acc);
    ge_p2_dbl(acc, &q);
}

/* The identity as a completed point: E = 0, F = G = H = 1 maps to (0:1:1:0). */
static inline void ge_p1p1_set_identity(ge_p1p1 *r) {
    r->E = FE_ZERO; r->F = FE_ONE; r->G = FE_ONE; r->H = FE_ONE;
}

/* r = [a]P + [b]B for a, b < 2^253 (Straus with wNAF: w = 5 for P, the static w = 8 table for B). */
static void ge_double_scalarmult_var(gej *r, const gej *p, const scalar *a, const scalar *b) {
    int8_t nafa[ED_WNAF_LEN], nafb[ED_WNAF_LEN];
    ge_cached tab[ED_TAB_VAR];
    const ge_niels *bt = ed_base_table();
    int top_a = wnaf_var(nafa, a, ED_W_VAR);
    int top_b = wnaf_var(nafb, b, ED_W_BASE);
    int top = top_a > top_b ? top_a : top_b;
    if (top_a) gej_odd_multiples_cached(tab, p, ED_TAB_VAR);
    ge_p1p1 acc;
    ge_p1p1_set_identity(&acc);
    for (int i = top - 1; i >= 0; i--) {
        straus_dbl(&acc);
        if (nafa[i]) straus_add_cached(&acc, nafa[i], tab);
        if (nafb[i]) straus_add_niels(&acc, nafb[i], bt);
    }
    ge_p1p1_to_gej(r, &acc);
}

/* r = [b]B (variable time: signing here is for test data only). */
static void ge_scalarmult_base_var(gej *r, const scalar *b) {
    int8_t nafb[ED_WNAF_LEN];
    const ge_niels *bt = ed_base_table();
    int top = wnaf_var(nafb, b, ED_W_BASE);
    ge_p1p1 acc;
    ge_p1p1_set_identity(&acc);
    for (int i = top - 1; i >= 0; i--) {
        straus_dbl(&acc);
        if (nafb[i]) straus_add_niels(&acc, nafb[i], bt);
    }
    ge_p1p1_to_gej(r, &acc);
}

/* One item of a batch, prepared once and reused by every sub-check of the bisection. */
typedef struct {
    gej A, R;                      /* decoded key and R */
    union {
        ge_cached tabR[ED_TAB_VAR];
#ifdef ED_HAVE_ADX
        ge_cached64 tabR64[ED_TAB_VAR];  /* the same table on the ADX path's field */
#endif
    };
    union {
        ge_cached tabA[ED_TAB_VAR];
        ge_niels nielsK[ED_TAB_KEY];   /* a copy of the slot's niels table (nielsA points here then) */
#ifdef ED_HAVE_ADX
        ge_cached64 tabA64[ED_TAB_VAR];
        ge_niels64 nielsK64[ED_TAB_KEY]; /* ADX path: the slot's niels table, copied or converted (nielsA64) */
#endif
    };
    int8_t nafR[ED_WNAF_LEN];      /* digits of z */
    int8_t nafA[ED_WNAF_LEN];      /* digits of z k mod L (window ED_W_KEY with nielsA, else ED_W_VAR) */
    scalar zS;                     /* z S mod L */
    scalar zk;                     /* z k mod L, A's coefficient */
    uint16_t group;                /* the first item of the sub-batch with the same key bytes: its A tables
                                    * serve every item of the group on the portable and AVX2 paths */
    int32_t topR, topA;
    size_t index;                  /* the item's position in the caller's arrays */
    const uint8_t *slot;           /* the key's cache slot (A and tabA ready there), or NULL */
    const ge_niels *nielsA;        /* the slot's ED_TAB_KEY niels multiples of A (portable/AVX2 paths), or NULL */
#ifdef ED_HAVE_ADX
    const ge_niels64 *nielsA64;      /* ADX path: the same in 4x64 form (the slot's, or nielsK64), or NULL */
#endif
} ed_batch_item;

/* Whether the check reads a w = ED_W_KEY niels table for this item's key (else the w = ED_W_VAR tabA). */
static inline int ed_item_has_niels(const ed_batch_item *it) {
#ifdef ED_HAVE_ADX
    if (it->nielsA64) return 1;
#endif
    return it->nielsA != NULL;
}

/* The A terms of items[lo, hi): items with the same key (group) share one term, their coefficients z k
 * summed mod L, so a signer seen m times in a batch costs one term, not m.  nafA[j - lo] gets item j's
 * digits (its own, a merged sum's in merged[], or NULL when an earlier item in range carries its key);
 * returns the highest digit position + 1. */
static int ed_batch_merge_keys(const ed_batch_item *items, size_t lo, size_t hi, const int8_t **nafA,
                               int8_t (*merged)[ED_WNAF_LEN]) {
    uint16_t first[LV_ED25519_BATCH_MAX], cnt[LV_ED25519_BATCH_MAX];
    scalar sum[LV_ED25519_BATCH_MAX];
    int top = 0;
    size_t nm = 0;
    for (size_t j = lo; j < hi; j++) first[items[j].group] = UINT16_MAX;
    for (size_t j = lo; j < hi; j++) {
        uint16_t *f = &first[items[j].group];
        if (*f == UINT16_MAX) {
            *f = (uint16_t)j;
            cnt[j - lo] = 1;
            sum[j - lo] = items[j].zk;
        } else {
            cnt[*f - lo]++;
            sc_add(&sum[*f - lo], &sum[*f - lo], &items[j].zk);
        }
    }
    for (size_t j = lo; j < hi; j++) {
        const ed_batch_item *it = &items[j];
        int t = it->topA;
        if (first[it->group] != j) {
            nafA[j - lo] = NULL;
            continue;
        }
        nafA[j - lo] = it->nafA;
        if (cnt[j - lo] > 1) {
            t = wnaf_var(merged[nm], &sum[j - lo], ed_item_has_niels(&items[it->group]) ? ED_W_KEY : ED_W_VAR);
            nafA[j - lo] = merged[nm++];
        }
        if (t > top) top = t;
    }
    return top;
}

/* [8]( -[sum z_i S_i]B + sum [z_i]R_i + sum [z_i k_i]A_i ) = O over items[lo, hi).  For one item this is the
 * single equation times z (odd, < 2^128 < L, so invertible mod L): the same verdict.  Repeated keys share
 * one A term (ed_batch_merge_keys): the same sum. */
static int ed25519_batch_check_var(const ed_batch_item *items, size_t lo, size_t hi) {
    scalar sum = {{0, 0, 0, 0}}, b;
    const int8_t *nafA[LV_ED25519_BATCH_MAX];
    int8_t merged[LV_ED25519_BATCH_MAX / 2][ED_WNAF_LEN];
    int top = ed_batch_merge_keys(items, lo, hi, nafA, merged);
    for (size_t j = lo; j < hi; j++) {
        sc_add(&sum, &sum, &items[j].zS);
        if (items[j].topR > top) top = items[j].topR;
    }
    sc_neg(&b, &sum);
    int8_t nafb[ED_WNAF_LEN];
    int top_b = wnaf_var(nafb, &b, ED_W_BASE);
    if (top_b > top) top = top_b;
    const ge_niels *bt = ed_base_table();
    ge_p1p1 acc;
    ge_p1p1_set_identity(&acc);
    for (int i = top - 1; i >= 0; i--) {
        straus_dbl(&acc);
        for (size_t j = lo; j < hi; j++) {
            const ed_batch_item *it = &items[j], *key = &items[it->group];
            const int8_t *na = nafA[j - lo];
            if (it->nafR[i]) straus_add_cached(&acc, it->nafR[i], it->tabR);
            if (na && na[i]) {
                if (key->nielsA) straus_add_niels(&acc, na[i], key->nielsA);
                else straus_add_cached(&acc, na[i], key->tabA);
            }
        }
        if (nafb[i]) straus_add_niels(&acc, nafb[i], bt);
    }
    gej P;
    ge_p1p1_to_gej(&P, &acc);
    gej_mul8(&P, &P);
    return gej_is_identity_var(&P);
}

#endif
