/* The batch equation's Straus loop and the per-key niels tables on the 4x64 MULX/ADX field: the loop of
 * ed25519_msm_impl.h (ed25519_batch_check_var) on the formulas of ed25519_group_adx_impl.h.  The sum leaves
 * as a 5x51 gej for the cofactor and the identity test. */
#ifndef LV_ED25519_MSM_ADX_IMPL_H
#define LV_ED25519_MSM_ADX_IMPL_H

#ifdef ED_HAVE_ADX

/* tabs[q][i] = (2i+1) pts[q] in niels form for i < ED_TAB_KEY, q < k <= ED_NIELS_GROUP, with one inversion
 * for the k tables (as ge_niels_odd_multiples). */
static void ge_niels64_odd_multiples(ge_niels64 (*tabs)[ED_TAB_KEY], const gej *const *pts, size_t k) {
    enum { M = ED_NIELS_GROUP * ED_TAB_KEY };
    gej64 m[M];
    fe64 zs[M], zinv[M], scratch[M];
    for (size_t q = 0; q < k; q++) {
        gej64 *row = m + q * ED_TAB_KEY;
        ge_p1p1_64 t;
        ge_p2_64 p2;
        ge_cached64 c2;
        gej64_from_gej(&row[0], pts[q]);
        p2.X = row[0].X; p2.Y = row[0].Y; p2.Z = row[0].Z;
        ge64_p2_dbl(&t, &p2);
        ge64_p1p1_to_gej(&row[1], &t);
        gej64_to_cached(&c2, &row[1]);
        for (int i = 1; i < ED_TAB_KEY; i++) {
            ge64_add_cached(&t, &row[i - 1], &c2, 0);
            ge64_p1p1_to_gej(&row[i], &t);
        }
    }
    for (size_t i = 0; i < k * ED_TAB_KEY; i++) zs[i] = m[i].Z;
    fe64_batch_invert(zinv, zs, scratch, k * ED_TAB_KEY);
    for (size_t i = 0; i < k * ED_TAB_KEY; i++) {
        fe64 x, y, xy;
        ge_niels64 *o = &tabs[i / ED_TAB_KEY][i % ED_TAB_KEY];
        fe64_mul(&x, &m[i].X, &zinv[i]);
        fe64_mul(&y, &m[i].Y, &zinv[i]);
        fe64_add_lazy(&o->ypx, &y, &x);
        fe64_sub_lazy(&o->ymx, &y, &x);
        fe64_mul(&xy, &x, &y);
        fe64_mul(&o->xy2d, &xy, &FE64_D2);
    }
}

static ge_niels64 ED_BASE_NIELS64[ED_TAB_BASE];
static pthread_once_t ED_BASE64_ONCE = PTHREAD_ONCE_INIT;

static void ed_base_table64_init(void) {
    const ge_niels *bt = ed_base_table();
    for (int i = 0; i < ED_TAB_BASE; i++) ge_niels64_from_niels(&ED_BASE_NIELS64[i], &bt[i]);
}

static const ge_niels64 *ed_base_table64(void) {
    pthread_once(&ED_BASE64_ONCE, ed_base_table64_init);
    return ED_BASE_NIELS64;
}

/* The running sum between steps is a completed point, as in ed25519_msm_impl.h. */
ED_INLINE void straus64_dbl(ge_p1p1_64 *acc) {
    ge_p2_64 q;
    ge64_p1p1_to_p2(&q, acc);
    ge64_p2_dbl(acc, &q);
}

ED_INLINE void straus64_add_cached(ge_p1p1_64 *acc, int d, const ge_cached64 *tab) {
    gej64 u;
    ge64_p1p1_to_gej(&u, acc);
    if (d > 0) ge64_add_cached(acc, &u, &tab[d >> 1], 0);
    else ge64_add_cached(acc, &u, &tab[(-d) >> 1], 1);
}

ED_INLINE void straus64_add_niels(ge_p1p1_64 *acc, int d, const ge_niels64 *tab) {
    gej64 u;
    ge64_p1p1_to_gej(&u, acc);
    if (d > 0) ge64_add_niels(acc, &u, &tab[d >> 1], 0);
    else ge64_add_niels(acc, &u, &tab[(-d) >> 1], 1);
}

/* r = [a]P + [b]B for a, b < 2^253, as ge_double_scalarmult_var (single verification and the bisection's
 * leaves on the ADX path). */
static void ge64_double_scalarmult_var(gej *r, const gej *p, const scalar *a, const scalar *b) {
    int8_t nafa[ED_WNAF_LEN], nafb[ED_WNAF_LEN];
    ge_cached64 tab[ED_TAB_VAR];
    const ge_niels64 *bt = ed_base_table64();
    int top_a = wnaf_var(nafa, a, ED_W_VAR);
    int top_b = wnaf_var(nafb, b, ED_W_BASE);
    int top = top_a > top_b ? top_a : top_b;
    if (top_a) gej64_odd_multiples_cached(tab, p, ED_TAB_VAR);
    ge_p1p1_64 acc = {{{0, 0, 0, 0}}, {{1, 0, 0, 0}}, {{1, 0, 0, 0}}, {{1, 0, 0, 0}}};
    for (int i = top - 1; i >= 0; i--) {
        straus64_dbl(&acc);
        if (nafa[i]) straus64_add_cached(&acc, nafa[i], tab);
        if (nafb[i]) straus64_add_niels(&acc, nafb[i], bt);
    }
    gej64 P64;
    ge64_p1p1_to_gej(&P64, &acc);
    gej_from_gej64(r, &P64);
}

/* ed25519_batch_check_var on this field: the same digits, tables and verdict.  Items read tabR64 and their
 * group leader's nielsA64 (a cached key's w = 7 table) or tabA64.  Tried: the digits dealt in turn to two
 * sums advanced together, one field operation of each in turn (so that one addition's latency hides behind
 * the other's): no faster, 7.6-7.9 against 7.3-7.5 us a signature with keys cached and the same without
 * (benches/ed25519_stages.c, AVX2 tier, interleaved runs at load 3-4): four products a round already keep
 * the multiplier busy. */
static int ed25519_batch_check_adx_var(const ed_batch_item *items, size_t lo, size_t hi) {
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
    const ge_niels64 *bt = ed_base_table64();
    ge_p1p1_64 acc = {{{0, 0, 0, 0}}, {{1, 0, 0, 0}}, {{1, 0, 0, 0}}, {{1, 0, 0, 0}}};
    for (int i = top - 1; i >= 0; i--) {
        straus64_dbl(&acc);
        for (size_t j = lo; j < hi; j++) {
            const ed_batch_item *it = &items[j], *key = &items[it->group];
            const int8_t *na = nafA[j - lo];
            if (it->nafR[i]) straus64_add_cached(&acc, it->nafR[i], it->tabR64);
            if (na && na[i]) {
                if (key->nielsA64) straus64_add_niels(&acc, na[i], key->nielsA64);
                else straus64_add_cached(&acc, na[i], key->tabA64);
            }
        }
        if (nafb[i]) straus64_add_niels(&acc, nafb[i], bt);
    }
    gej64 P64;
    gej P;
    ge64_p1p1_to_gej(&P64, &acc);
    gej_from_gej64(&P, &P64);
    gej_mul8(&P, &P);
    return gej_is_identity_var(&P);
}

#endif
#endif
