/* Ed25519 (RFC 8032): single verification, batch verification, and signing for test data.
 * The verification policy is stated in ed25519.c. */
#ifndef LV_ED25519_SCHEME_IMPL_H
#define LV_ED25519_SCHEME_IMPL_H

/* k = SHA-512(R || A || M) mod L */
static void ed25519_challenge(scalar *k, const uint8_t R[32], const uint8_t A[32], const uint8_t *m, size_t mlen) {
    sha512_ctx ctx;
    uint8_t h[64];
    sha512_init(&ctx);
    sha512_update(&ctx, R, 32);
    sha512_update(&ctx, A, 32);
    sha512_update(&ctx, m, mlen);
    sha512_final(&ctx, h);
    sc_from_bytes64(k, h);
}

/* Cofactored: [8]([S]B - [k]A - R) = O, for decoded A and R and S < L (the callers check it first); the
 * double multiplication on the 4x64 field when path is LV_ED25519_PATH_ADX. */
static int ed25519_verify_equation_var(const gej *A, const gej *R, const uint8_t pk[32], const uint8_t sig[64],
                                       const uint8_t *m, size_t mlen, int path) {
    gej negA, P;
    scalar S, k;
    ge_p1p1 t;
    ge_cached Rc;
    sc_from_bytes_raw(&S, sig + 32);
    ed25519_challenge(&k, sig, pk, m, mlen);
    gej_neg(&negA, A);
#ifdef ED_HAVE_ADX
    if (path == LV_ED25519_PATH_ADX) ge64_double_scalarmult_var(&P, &negA, &k, &S);
    else
#endif
        ge_double_scalarmult_var(&P, &negA, &k, &S);
    (void)path;
    gej_to_cached(&Rc, R);
    gej_sub_cached(&t, &P, &Rc);
    ge_p1p1_to_gej(&P, &t);
    gej_mul8(&P, &P);
    return gej_is_identity_var(&P);
}

static int ed25519_verify_one_var(const uint8_t pk[32], const uint8_t sig[64], const uint8_t *m, size_t mlen) {
    gej A, R;
    if (!sc_bytes_canonical(sig + 32)) return 0;
    if (!gej_from_bytes_var(&A, pk) || !gej_from_bytes_var(&R, sig)) return 0;
    return ed25519_verify_equation_var(&A, &R, pk, sig, m, mlen, LV_ED25519_PATH_PORTABLE);
}

typedef struct {
    const uint8_t *keys, *msgs, *sigs;
    const int64_t *offsets;
    uint8_t *status;
    const ed_batch_item *items;
    const int8_t *naf_t;           /* transposed digits for the IFMA check, see ed25519_batch_check_ifma_var */
    size_t naf_stride;
    int use_ifma;
    int use_adx;                   /* the 4x64 MULX/ADX check (ed25519_batch_check_adx_var) */
} ed_batch_ctx;

/* The eight-lane check pays about 2.2 scalar doublings per bit whatever the size, the scalar one about 8
 * scalar multiplications per point and digit: below eight items (the bisection's small nodes) scalar wins. */
#define ED_IFMA_CHECK_MIN 8

static int ed25519_batch_check_any_var(const ed_batch_ctx *c, size_t lo, size_t hi) {
#ifdef ED_HAVE_IFMA
    if (c->use_ifma && hi - lo >= ED_IFMA_CHECK_MIN)
        return ed25519_batch_check_ifma_var(c->items, c->naf_t, c->naf_stride, lo, hi);
#endif
#ifdef ED_HAVE_ADX
    if (c->use_adx) return ed25519_batch_check_adx_var(c->items, lo, hi);
#endif
    return ed25519_batch_check_var(c->items, lo, hi);
}

static void ed25519_batch_mark(const ed_batch_ctx *c, size_t lo, size_t hi, uint8_t v) {
    for (size_t j = lo; j < hi; j++) c->status[c->items[j].index] = v;
}

/* items[lo, hi) are known to fail together: find the failing ones by halving.  When the left half passes,
 * the right half must fail (the batch sum is the sum of the halves' sums), so it is not checked again.  Single
 * items are decided by single verification, so a reported failure never depends on the random multipliers. */
static void ed25519_batch_bisect_var(const ed_batch_ctx *c, size_t lo, size_t hi) {
    if (hi - lo == 1) {
        const ed_batch_item *it = &c->items[lo];
        size_t i = it->index;
        c->status[i] = (uint8_t)ed25519_verify_equation_var(&it->A, &it->R, c->keys + 32 * i, c->sigs + 64 * i,
                                                            c->msgs + c->offsets[i],
                                                            (size_t)(c->offsets[i + 1] - c->offsets[i]),
                                                            c->use_adx ? LV_ED25519_PATH_ADX : LV_ED25519_PATH_PORTABLE);
        return;
    }
    size_t mid = lo + (hi - lo) / 2;
    if (ed25519_batch_check_any_var(c, lo, mid)) {
        ed25519_batch_mark(c, lo, mid, 1);
    } else {
        ed25519_batch_bisect_var(c, lo, mid);
        if (ed25519_batch_check_any_var(c, mid, hi)) {
            ed25519_batch_mark(c, mid, hi, 1);
            return;
        }
    }
    ed25519_batch_bisect_var(c, mid, hi);
}

/* RFC 8032 5.1.5 key generation: a = clamp(SHA-512(seed)[0:32]), prefix = SHA-512(seed)[32:64]. */
static void ed25519_expand_seed(scalar *a, uint8_t prefix[32], uint8_t pk[32], const uint8_t seed[32]) {
    sha512_ctx ctx;
    uint8_t h[64];
    gej A;
    sha512_init(&ctx);
    sha512_update(&ctx, seed, 32);
    sha512_final(&ctx, h);
    h[0] &= 248;
    h[31] &= 127;
    h[31] |= 64;
    /* [a]B = [a mod L]B since B has order L. */
    sc_from_bytes32_reduce(a, h);
    memcpy(prefix, h + 32, 32);
    ge_scalarmult_base_var(&A, a);
    gej_to_bytes(pk, &A);
}

/* RFC 8032 5.1.6.  Variable time: test data only, not hardened against side channels. */
static void ed25519_sign_one_var(uint8_t sig[64], const uint8_t seed[32], const uint8_t *m, size_t mlen) {
    scalar a, r, k, S;
    uint8_t prefix[32], pk[32], h[64];
    sha512_ctx ctx;
    gej R;
    ed25519_expand_seed(&a, prefix, pk, seed);
    sha512_init(&ctx);
    sha512_update(&ctx, prefix, 32);
    sha512_update(&ctx, m, mlen);
    sha512_final(&ctx, h);
    sc_from_bytes64(&r, h);
    ge_scalarmult_base_var(&R, &r);
    gej_to_bytes(sig, &R);
    ed25519_challenge(&k, sig, pk, m, mlen);
    sc_mul(&S, &k, &a);
    sc_add(&S, &S, &r);
    sc_to_bytes(sig + 32, &S);
}

#endif
