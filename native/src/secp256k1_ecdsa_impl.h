/* Scheme layer: ECDSA verification, signing (test data only) and public-key recovery over groups of
 * up to K1_GROUP items, so that the inversions of a group (s^-1 or r^-1 mod n, the affine per-key tables,
 * the recovered keys) cost one inversion each by Montgomery's trick, and (with AVX-512 IFMA) the
 * multi-scalar multiplications run eight items per vector; groups of fewer than 4 items stay scalar. */
#ifndef LV_SECP256K1_ECDSA_IMPL_H
#define LV_SECP256K1_ECDSA_IMPL_H
#include "cpu.h"
#include "lv_dispatch.h"
#include "secp256k1_ecmult_impl.h"
#include "secp256k1_keytab_impl.h"
#include "secp256k1_ecmult_adx_impl.h"
#include "secp256k1_field_ifma_impl.h"
#include "secp256k1_ecmult_ifma_impl.h"

/* 32: the shared inversions cost ~0.2 us an item; the group's scratch is ~100 KiB of stack. */
#define K1_GROUP 32

/* p - n: x(R) in [n, p) reduces to r = x - n < p - n, so only such r have a second candidate x = r + n. */
static const uint64_t SC_P_MINUS_N[4] = {0x402DA1722FC9BAEEULL, 0x4551231950B75FC4ULL, 1, 0};
static const fe FE_N = {{0x25E8CD0364141ULL, 0xE6AF48A03BBFDULL, 0xFFFFFFEBAAEDCULL, 0xFFFFFFFFFFFFFULL,
                         0xFFFFFFFFFFFFULL}};

/* A SEC1 key: 33 bytes 02/03 || x or 65 bytes 04 || x || y, coordinates < p, on the curve. */
static int k1_pubkey_parse_var(ge *r, const uint8_t *key, size_t len) {
    fe x, y;
    if (len == 33 && (key[0] == 2 || key[0] == 3)) {
        if (!fe_set_b32(&x, key + 1)) return 0;
        return ge_set_xo_var(r, &x, key[0] == 3);
    }
    if (len == 65 && key[0] == 4) {
        if (!fe_set_b32(&x, key + 1) || !fe_set_b32(&y, key + 33)) return 0;
        ge_set_xy(r, &x, &y);
        return ge_is_valid_var(r);
    }
    return 0;
}

/* Paths, chosen the way hash.c chooses them: the first path in K1_PATH_ORDER that the CPU has (under
 * lv_cpu_features' mask, so LEDGERVAL_CPU_FEATURES).  One core of the 2-core EPYC, thread CPU time, us a
 * verification through the Python wrapper (512 signatures, medians of 9 interleaved repetitions, machine
 * loaded 5-7 by other jobs, 2026-12-03; coincurve ~32-34 us in the same runs):
 *                      keys seen once    keys seen again (cached tables)
 *   IFMA, 8 lanes      8.7-9.0           7.1-7.4
 *   ADX 4x64 chains    26.8-27.7         10.5-11.3
 *   scalar 5x52        38.7-42.0         16.4-16.7
 * Stage profile at the AVX2 tier (C entry points, per verification, keys seen once): decompression's
 * square root 2.7 us, the window tables ~1.9 us (one inversion a group), scalar inversion 0.35-0.45 us (one
 * a group), the 128-doubling chain ~19.5 us, the x(R) check and parsing well under 0.2 us; keys seen again:
 * the 16-doubling chain ~9 us of ~10 us.  The Python wrapper and the key-slot lookup add 0.2-0.5 us.
 * Tried and left out: the 5x52 layers compiled for BMI2 (GCC's mulx, no adcx/adox) measured slower here
 * (fe_mul 14 -> 15 ns).  4-way AVX2 field arithmetic (26-bit limbs) is not written: by count, 100 vpmuludq
 * per four products against 21 MULX per product on the ADX path leaves no margin on AVX2-only cores. */
static const int K1_PATH_ORDER[] = {LV_SECP256K1_PATH_IFMA8, LV_SECP256K1_PATH_ADX, LV_SECP256K1_PATH_SCALAR};

static int k1_path_ok(int path) {
    if (path == LV_SECP256K1_PATH_SCALAR) return 1;
#ifdef LV_K1_ADX
    if (path == LV_SECP256K1_PATH_ADX) {
        const uint32_t need = LV_CPU_BMI2 | LV_CPU_ADX;
        return (lv_cpu_features() & need) == need;
    }
#endif
#ifdef LV_K1_IFMA
    if (path == LV_SECP256K1_PATH_IFMA8) {
        const uint32_t need = LV_CPU_AVX512F | LV_CPU_AVX512IFMA;
        return (lv_cpu_features() & need) == need;
    }
#endif
    return 0;
}

static int k1_best_path(void) { return LV_BEST_PATH(K1_PATH_ORDER, k1_path_ok); }

static int k1_have_ifma(void) { return k1_best_path() == LV_SECP256K1_PATH_IFMA8; }

/* r = na*A + ng*G for a key with a split table, on the path's field (adx: the 4x64 MULX/ADX chain). */
static void k1_ecmult_cached(gej *r, int adx, const uint8_t *tab, const scalar *na, const scalar *ng) {
#ifdef LV_K1_ADX
    if (adx && ecmult_split_adx(r, tab, na, ng)) return;
#else
    (void)adx;
#endif
    ecmult_cached_var(r, tab, na, ng);
}

/* A key slot of the per-key cache (rows of a numpy arena that native/secp256k1.py owns; C only reads
 * them, or writes the rows a fill call is handed): the decoded key, and the per-key table of the path
 * that built it (each path uses only its own kind; a slot without it still saves the decoding).
 *   [0, 8)      tag: K1_SLOT_KEY | K1_SLOT_TAB_V8 or K1_SLOT_TAB_SPLIT, little-endian uint64
 *   [8, 88)     x, y: 5 + 5 normalized 52-bit limbs
 *   [88, ...)   table: IFMA (1280 bytes): (e+1)A and lambda (e+1)A, e < 8, as [s][e][10 limbs]
 *               (v8_tables' lane slice); scalar path (KT_BYTES): the split table of
 *               secp256k1_keytab_impl.h, KT_BASES rows of KT_TABLE points in 64-byte storage form.
 * Only decoding results are stored, never verdicts, and only keys that decode get a slot.  The two table
 * kinds share the bytes, so the row is as long as the longer one. */
#define K1_SLOT_KEY 1u
#define K1_SLOT_TAB_V8 2u
#define K1_SLOT_TAB_SPLIT 8u  /* 4 was the older portable window table, which nothing writes now */
#define K1_SLOT_XY 8
#define K1_SLOT_TAB 88
#define K1_SLOT_V8_BYTES (2 * ECMULT_TABLE_A * 80)
_Static_assert(K1_SLOT_TAB + (KT_BYTES > K1_SLOT_V8_BYTES ? KT_BYTES : K1_SLOT_V8_BYTES)
                   == LV_SECP256K1_KEYSLOT_BYTES, "key slot layout");

static uint64_t k1_slot_tag(const uint8_t *slot) {
    uint64_t t;
    memcpy(&t, slot, 8);
    return t;
}

static void k1_slot_put_ge(uint8_t *dst, const ge *a) {
    memcpy(dst, a->x.n, 40);
    memcpy(dst + 40, a->y.n, 40);
}

static void k1_slot_get_ge(ge *a, const uint8_t *src) {
    memcpy(a->x.n, src, 40);
    memcpy(a->y.n, src + 40, 40);
    a->infinity = 0;
}

/* y = (x^3 + 7)^((p+1)/4) for m <= K1_GROUP values, eight at a time on the IFMA path (the exponentiation
 * is the same for every lane, so it vectorises without branches); every root is then checked here, so
 * ok[i] = 1 exactly when x^3 + 7 is a square, whichever path computed it. */
static void k1_decompress_many_var(ge *out, int *ok, const fe *xs, const int *odd, size_t m) {
    fe rhs[K1_GROUP + 8], y[K1_GROUP + 8], seven;
    size_t i = 0;
    VERIFY_CHECK(m <= K1_GROUP);
    fe_set_int(&seven, 7);
    for (size_t j = 0; j < m; j++) {
        fe_sqr(&rhs[j], &xs[j]);
        fe_mul(&rhs[j], &rhs[j], &xs[j]);
        fe_add(&rhs[j], &seven);
        fe_normalize(&rhs[j]);
    }
#ifdef LV_K1_IFMA
    if (m >= 4 && k1_have_ifma()) {
        for (size_t j = m; j % 8; j++) rhs[j] = rhs[m - 1]; /* pad the last lanes */
        for (; i < m; i += 8) fe_pow_sqrt8_ifma(y + i, rhs + i);
    }
#endif
#ifdef LV_K1_ADX
    if (i < m && k1_best_path() == LV_SECP256K1_PATH_ADX)
        for (; i < m; i++) fe_sqrt_adx(&y[i], &rhs[i]);
#endif
    for (; i < m; i++) fe_sqrt_var(&y[i], &rhs[i]);
    for (size_t j = 0; j < m; j++) {
        fe c;
        fe_sqr(&c, &y[j]);
        ok[j] = fe_equal_var(&c, &rhs[j]);
        if (!ok[j]) continue;
        fe_normalize(&y[j]);
        if (fe_is_odd_norm(&y[j]) != odd[j]) { fe_negate(&y[j], &y[j], 1); fe_normalize(&y[j]); }
        out[j].x = xs[j];
        fe_normalize(&out[j].x);
        out[j].y = y[j];
        out[j].infinity = 0;
    }
}

static void k1_pubkey_serialize(uint8_t *out33, const ge *a) {
    fe x = a->x, y = a->y;
    fe_normalize(&x);
    fe_normalize(&y);
    out33[0] = (uint8_t)(2 | fe_is_odd_norm(&y));
    fe_get_b32(out33 + 1, &x);
}

/* r, s from 64 bytes, both in [1, n-1]. */
static int k1_sig_parse(scalar *r, scalar *s, const uint8_t *sig) {
    int o1, o2;
    scalar_set_b32(r, sig, &o1);
    scalar_set_b32(s, sig + 32, &o2);
    return !o1 && !o2 && !scalar_is_zero(r) && !scalar_is_zero(s);
}

/* x(R) mod n == r for R = (X, Y, Z) Jacobian, without inverting Z: x(R) = X/Z^2 is an integer in [0, p),
 * and x mod n = r means x = r or x = r + n (x < p < 2n).  So check r*Z^2 = X, and when r + n < p also
 * (r + n)*Z^2 = X (mod p). */
static int k1_xr_matches_var(const gej *R, const scalar *r) {
    fe xr, z2, t;
    uint8_t b[32];
    if (R->infinity) return 0;
    scalar_get_b32(b, r);
    fe_set_b32(&xr, b);
    fe_sqr(&z2, &R->z);
    fe_mul(&t, &xr, &z2);
    if (fe_equal_var(&t, &R->x)) return 1;
    if (u256_geq(r->d, SC_P_MINUS_N)) return 0;
    fe_add(&xr, &FE_N);
    fe_mul(&t, &xr, &z2);
    return fe_equal_var(&t, &R->x);
}

/* Scratch of one group, kept by the caller (on its stack) so nothing is allocated.  kt_build_var borrows
 * jac, pre, zs and zis for one key's split table. */
typedef struct {
    ge pts[K1_GROUP];
    scalar na[K1_GROUP], ng[K1_GROUP], a[K1_GROUP], ainv[K1_GROUP];
    ge pre[K1_GROUP * ECMULT_TABLE_A], pre_lam[K1_GROUP * ECMULT_TABLE_A];
    gej jac[K1_GROUP * ECMULT_TABLE_A];
    fe zs[K1_GROUP * ECMULT_TABLE_A], zis[K1_GROUP * ECMULT_TABLE_A];
    size_t idx[K1_GROUP];
    const uint8_t *tab[K1_GROUP];   /* this path's cached table of pts[j] (slot bytes), or NULL */
#ifdef LV_K1_ADX
    uint8_t tab4[K1_GROUP][2 * ECMULT_TABLE_A][64];  /* PATH_ADX's window tables (k1_tables_adx) */
    gej4 jac4[K1_GROUP * ECMULT_TABLE_A];
    fe4 zs4[K1_GROUP * ECMULT_TABLE_A];
#endif
} k1_group;

/* The cold chain's window tables of items [from, from + n) of the group, on the path's field. */
static void k1_cold_tables(k1_group *g, size_t from, size_t n, int adx) {
#ifdef LV_K1_ADX
    if (adx) { k1_tables_adx(g->tab4 + from, g->pts + from, n, g->jac4, g->zs4); return; }
#else
    (void)adx;
#endif
    ecmult_tables_var(g->pre + from * ECMULT_TABLE_A, g->pre_lam + from * ECMULT_TABLE_A, g->pts + from, n,
                      g->jac, g->zs, g->zis);
}

/* r = na[j]*pts[j] + ng[j]*G from item j's window tables (keys seen once), on the path's field. */
static void k1_ecmult_cold(gej *r, const k1_group *g, size_t j, int adx) {
#ifdef LV_K1_ADX
    if (adx) { ecmult_strauss_adx(r, g->tab4[j], &g->na[j], &g->ng[j]); return; }
#else
    (void)adx;
#endif
    ecmult_strauss_var(r, g->pre + j * ECMULT_TABLE_A, g->pre_lam + j * ECMULT_TABLE_A, &g->na[j], &g->ng[j]);
}
_Static_assert(KT_SCRATCH <= K1_GROUP * ECMULT_TABLE_A, "a split table's build fits the group scratch");

#ifdef LV_K1_IFMA
/* R[j] = na[j] pts[j] + ng[j] G for the group's c items, eight lanes at a time (the last block padded with
 * copies of its first item); lanes the vector core marks exceptional are redone on the scalar path.
 * Returns how many were (for tests). */
static int k1_ecmult_lanes_ifma(k1_group *g, size_t c, gej *R) {
    enum { NB = (K1_GROUP + 7) / 8 };
    gej8 E[NB][V8_TQ];
    fe8 P[NB][V8_TQ];
    fe totals[NB * 8], inv[NB * 8];
    v8_tables T;
    size_t nb = (c + 7) / 8, nu = 0, built[NB];
    int redone = 0;
    v8_init();
    /* blocks whose eight lanes all have cached tables skip the build (built[b] = NB) */
    for (size_t b = 0; b < nb; b++) {
        const ge *lanes[8];
        int cached = 1;
        for (int l = 0; l < 8; l++) {
            size_t j = b * 8 + (size_t)l < c ? b * 8 + (size_t)l : b * 8;
            lanes[l] = &g->pts[j];
            cached &= g->tab[j] != NULL;
        }
        built[b] = NB;
        if (cached) continue;
        v8_tables_stage1(E[nu], P[nu], totals + 8 * nu, lanes);
        built[b] = nu++;
    }
    if (nu) fe_inv_all_var(inv, totals, nu * 8);
    for (size_t b = 0; b < nb; b++) {
        scalar na[8], ng[8];
        gej out[8];
        if (built[b] == NB) {
            const uint8_t *src[8];
            for (int l = 0; l < 8; l++) src[l] = g->tab[b * 8 + (size_t)l < c ? b * 8 + (size_t)l : b * 8];
            v8_tables_load(&T, src);
        } else {
            v8_tables_stage2(&T, E[built[b]], P[built[b]], inv + 8 * built[b]);
        }
        for (int l = 0; l < 8; l++) {
            size_t j = b * 8 + (size_t)l < c ? b * 8 + (size_t)l : b * 8;
            na[l] = g->na[j];
            ng[l] = g->ng[j];
        }
        unsigned exc = v8_ecmult(out, &T, na, ng);
        for (int l = 0; l < 8 && b * 8 + (size_t)l < c; l++) {
            size_t j = b * 8 + (size_t)l;
            if (exc & (1u << l)) {
                ge pre[ECMULT_TABLE_A], pre_lam[ECMULT_TABLE_A];
                gej jac[ECMULT_TABLE_A];
                fe zs[ECMULT_TABLE_A], zis[ECMULT_TABLE_A];
                ecmult_tables_var(pre, pre_lam, &g->pts[j], 1, jac, zs, zis);
                ecmult_strauss_var(&R[j], pre, pre_lam, &g->na[j], &g->ng[j]);
                redone++;
            } else {
                R[j] = out[l];
            }
        }
    }
    return redone;
}
#endif

/* slots (may be NULL): slots[i] >= 0 is item i's key slot, a row of `arena` filled by
 * lv_secp256k1_keyslots_fill from exactly this key's bytes; -1 decodes the key here. */
static void k1_verify_group(k1_group *g, size_t m, const uint8_t *keys, const uint8_t *key_lens,
                            const uint8_t *digests, const uint8_t *sigs, int low_s, const uint8_t *arena,
                            const int32_t *slots, uint8_t *status) {
    scalar e[K1_GROUP], r[K1_GROUP], rs[K1_GROUP], ss[K1_GROUP];
    ge pt[K1_GROUP], dec[K1_GROUP];
    fe xs[K1_GROUP];
    int ready[K1_GROUP], odd[K1_GROUP], okd[K1_GROUP];
    const uint8_t *tab[K1_GROUP];
    size_t cidx[K1_GROUP], nc = 0, c = 0;
    const int path = k1_best_path(); /* once: the cached tables read must be the kind the path uses */
    const int ifma = path == LV_SECP256K1_PATH_IFMA8, adx = path == LV_SECP256K1_PATH_ADX;
    const uint64_t tab_kind = ifma ? K1_SLOT_TAB_V8 : K1_SLOT_TAB_SPLIT;
    /* parse everything, queueing compressed keys for one batched decompression */
    for (size_t i = 0; i < m; i++) {
        const uint8_t *key = keys + 65 * i;
        status[i] = 0;
        ready[i] = 0;
        tab[i] = NULL;
        if (!k1_sig_parse(&rs[i], &ss[i], sigs + 64 * i)) continue;
        if (low_s && scalar_is_high(&ss[i])) continue;
        if (slots && slots[i] >= 0) {
            const uint8_t *slot = arena + (size_t)slots[i] * LV_SECP256K1_KEYSLOT_BYTES;
            uint64_t tag = k1_slot_tag(slot);
            if (tag & K1_SLOT_KEY) {
                k1_slot_get_ge(&pt[i], slot + K1_SLOT_XY);
                if (tag & tab_kind) tab[i] = slot + K1_SLOT_TAB;
                ready[i] = 1;
                continue;
            }
        }
        if (key_lens[i] == 33 && (key[0] == 2 || key[0] == 3)) {
            if (!fe_set_b32(&xs[nc], key + 1)) continue; /* x >= p */
            odd[nc] = key[0] == 3;
            cidx[nc++] = i;
        } else if (key_lens[i] == 65 && key[0] == 4) {
            ready[i] = k1_pubkey_parse_var(&pt[i], key, 65);
        }
    }
    k1_decompress_many_var(dec, okd, xs, odd, nc);
    for (size_t j = 0; j < nc; j++) {
        if (!okd[j]) continue;
        pt[cidx[j]] = dec[j];
        ready[cidx[j]] = 1;
    }
    /* items with a cached table first, so that at most one IFMA block mixes cached and built tables */
    size_t ct = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < m; i++) {
            int o;
            if (!ready[i] || (tab[i] != NULL) != (pass == 0)) continue;
            g->pts[c] = pt[i];
            g->tab[c] = tab[i];
            r[c] = rs[i];
            g->a[c] = ss[i];
            scalar_set_b32(&e[c], digests + 32 * i, &o); /* e is the digest reduced mod n */
            g->idx[c] = i;
            c++;
        }
        if (pass == 0) ct = c;
    }
    if (c == 0) return;
    scalar_inv_all_var(g->ainv, g->a, c);
    for (size_t j = 0; j < c; j++) {
        scalar_mul(&g->ng[j], &e[j], &g->ainv[j]); /* u1 = e/s */
        scalar_mul(&g->na[j], &r[j], &g->ainv[j]); /* u2 = r/s */
    }
#ifdef LV_K1_IFMA
    if (c >= 4 && ifma) {
        gej R[K1_GROUP];
        k1_ecmult_lanes_ifma(g, c, R);
        for (size_t j = 0; j < c; j++) status[g->idx[j]] = (uint8_t)k1_xr_matches_var(&R[j], &r[j]);
        return;
    }
#endif
    /* with IFMA present, groups of fewer than 4 items still come here, and their cached tables are the
     * lanes' kind: only split tables are read here */
    if (tab_kind != K1_SLOT_TAB_SPLIT) ct = 0;
    if (ct) ecmult_init_split();
    if (c > ct) k1_cold_tables(g, ct, c - ct, adx);
    for (size_t j = 0; j < c; j++) {
        gej R;
        if (j < ct) k1_ecmult_cached(&R, adx, g->tab[j], &g->na[j], &g->ng[j]);
        else k1_ecmult_cold(&R, g, j, adx);
        status[g->idx[j]] = (uint8_t)k1_xr_matches_var(&R, &r[j]);
    }
}

/* Q = r^-1 (s R - e G) with R = (r + (v>>1) n, parity v&1); SEC1 4.1.6. */
static void k1_recover_group(k1_group *g, size_t m, const uint8_t *digests, const uint8_t *sigs65,
                             uint8_t *out33, uint8_t *status) {
    scalar e[K1_GROUP], s[K1_GROUP], rs[K1_GROUP], ss[K1_GROUP];
    gej res[K1_GROUP];
    ge aff[K1_GROUP], dec[K1_GROUP];
    fe xs[K1_GROUP];
    int odd[K1_GROUP], okd[K1_GROUP];
    size_t cidx[K1_GROUP], nc = 0, c = 0;
    for (size_t i = 0; i < m; i++) {
        const uint8_t *sig = sigs65 + 65 * i;
        int v = sig[64];
        status[i] = 0;
        memset(out33 + 33 * i, 0, 33);
        if (v >= 27 && v <= 30) v -= 27;
        if (v > 3) continue;
        if (!k1_sig_parse(&rs[i], &ss[i], sig)) continue;
        fe_set_b32(&xs[nc], sig); /* r < n < p */
        if (v & 2) {
            if (u256_geq(rs[i].d, SC_P_MINUS_N)) continue; /* r + n >= p: no such x */
            fe_add(&xs[nc], &FE_N);
        }
        odd[nc] = v & 1;
        cidx[nc++] = i;
    }
    k1_decompress_many_var(dec, okd, xs, odd, nc);
    for (size_t j = 0; j < nc; j++) {
        size_t i = cidx[j];
        int o;
        if (!okd[j]) continue;
        g->pts[c] = dec[j];
        g->tab[c] = NULL;
        s[c] = ss[i];
        g->a[c] = rs[i];
        scalar_set_b32(&e[c], digests + 32 * i, &o);
        g->idx[c] = i;
        c++;
    }
    if (c == 0) return;
    scalar_inv_all_var(g->ainv, g->a, c);
    for (size_t j = 0; j < c; j++) {
        scalar_mul(&g->na[j], &s[j], &g->ainv[j]);  /* s/r */
        scalar_mul(&g->ng[j], &e[j], &g->ainv[j]);
        scalar_negate(&g->ng[j], &g->ng[j]);        /* -e/r */
    }
#ifdef LV_K1_IFMA
    if (c >= 4 && k1_have_ifma()) {
        k1_ecmult_lanes_ifma(g, c, res);
    } else
#endif
    {
        const int adx = k1_best_path() == LV_SECP256K1_PATH_ADX;
        k1_cold_tables(g, 0, c, adx);
        for (size_t j = 0; j < c; j++) k1_ecmult_cold(&res[j], g, j, adx);
    }
    ge_set_all_gej_var(aff, res, c, g->zs, g->zis);
    for (size_t j = 0; j < c; j++) {
        if (aff[j].infinity) continue;
        k1_pubkey_serialize(out33 + 33 * g->idx[j], &aff[j]);
        status[g->idx[j]] = 1;
    }
}

/* Key slots for m <= K1_GROUP keys (rows as in k1_verify_group): slot i gets key i decoded and the
 * current path's table; ok[i] = 0 (slot zeroed) when the key does not decode.  The tables of a group
 * share one inversion, as in verification. */
static void k1_fill_group(k1_group *g, size_t m, const uint8_t *keys, const uint8_t *key_lens, uint8_t *const *out,
                          uint8_t *ok) {
    ge dec[K1_GROUP];
    fe xs[K1_GROUP];
    int odd[K1_GROUP], okd[K1_GROUP];
    size_t cidx[K1_GROUP], nc = 0, c = 0;
    for (size_t i = 0; i < m; i++) {
        const uint8_t *key = keys + 65 * i;
        ok[i] = 0;
        memset(out[i], 0, LV_SECP256K1_KEYSLOT_BYTES);
        if (key_lens[i] == 33 && (key[0] == 2 || key[0] == 3)) {
            if (!fe_set_b32(&xs[nc], key + 1)) continue;
            odd[nc] = key[0] == 3;
            cidx[nc++] = i;
        } else if (key_lens[i] == 65 && key[0] == 4) {
            ge p;
            if (!k1_pubkey_parse_var(&p, key, 65)) continue;
            fe_normalize(&p.x);
            fe_normalize(&p.y);
            g->pts[c] = p;
            g->idx[c++] = i;
        }
    }
    k1_decompress_many_var(dec, okd, xs, odd, nc);
    for (size_t j = 0; j < nc; j++) {
        if (!okd[j]) continue;
        g->pts[c] = dec[j];
        g->idx[c++] = cidx[j];
    }
    uint64_t kind = K1_SLOT_TAB_SPLIT;
#ifdef LV_K1_IFMA
    if (k1_have_ifma()) {
        enum { NB = (K1_GROUP + 7) / 8 };
        gej8 E[NB][V8_TQ];
        fe8 P[NB][V8_TQ];
        fe totals[NB * 8], inv[NB * 8];
        v8_tables T;
        size_t nb = (c + 7) / 8;
        kind = K1_SLOT_TAB_V8;
        for (size_t b = 0; b < nb; b++) {
            const ge *lanes[8];
            for (int l = 0; l < 8; l++) lanes[l] = &g->pts[b * 8 + (size_t)l < c ? b * 8 + (size_t)l : b * 8];
            v8_tables_stage1(E[b], P[b], totals + 8 * b, lanes);
        }
        if (nb) fe_inv_all_var(inv, totals, nb * 8);
        for (size_t b = 0; b < nb; b++) {
            v8_tables_stage2(&T, E[b], P[b], inv + 8 * b);
            for (int l = 0; l < 8 && b * 8 + (size_t)l < c; l++)
                v8_tables_store_lane(out[g->idx[b * 8 + (size_t)l]] + K1_SLOT_TAB, &T, l);
        }
    } else
#endif
    {
        /* one key per inversion: the group's scratch holds one key's KT_BASES * KT_TABLE points */
        for (size_t j = 0; j < c; j++)
            kt_build_var(out[g->idx[j]] + K1_SLOT_TAB, &g->pts[j], g->jac, g->pre, g->zs, g->zis);
    }
    for (size_t j = 0; j < c; j++) {
        uint8_t *slot = out[g->idx[j]];
        uint64_t tag = K1_SLOT_KEY | kind;
        ge p = g->pts[j];
        fe_normalize(&p.x);
        fe_normalize(&p.y);
        k1_slot_put_ge(slot + K1_SLOT_XY, &p);
        memcpy(slot, &tag, 8);
        ok[g->idx[j]] = 1;
    }
}

/* d*G in affine form; 0 when d is 0 or >= n.  Not constant time. */
static int k1_pubkey_create_var(ge *r, const uint8_t *priv) {
    scalar d;
    gej P;
    fe z, zi;
    int o;
    scalar_set_b32(&d, priv, &o);
    if (o || scalar_is_zero(&d)) return 0;
    ecmult_strauss_var(&P, NULL, NULL, NULL, &d);
    ge_set_all_gej_var(r, &P, 1, &z, &zi);
    return !r->infinity;
}

/* r = x(kG) mod n, s = (e + r d)/k; NOT side-channel hardened (variable-time multiplication and inverse):
 * for generating test data only.  0 when d or k is out of [1, n-1] or r or s comes out 0. */
static int k1_sign_var(uint8_t *sig64, const uint8_t *priv, const uint8_t *digest, const uint8_t *nonce) {
    scalar d, k, e, r, s, t;
    ge R;
    uint8_t xb[32];
    int o1, o2, o3;
    scalar_set_b32(&d, priv, &o1);
    scalar_set_b32(&k, nonce, &o2);
    if (o1 || o2 || scalar_is_zero(&d) || scalar_is_zero(&k)) return 0;
    if (!k1_pubkey_create_var(&R, nonce)) return 0;
    fe_normalize(&R.x);
    fe_get_b32(xb, &R.x);
    scalar_set_b32(&r, xb, &o3);
    if (scalar_is_zero(&r)) return 0;
    scalar_set_b32(&e, digest, &o3);
    scalar_mul(&t, &r, &d);
    scalar_add(&t, &t, &e);
    scalar_inv_var(&s, &k);
    scalar_mul(&s, &s, &t);
    if (scalar_is_zero(&s)) return 0;
    scalar_get_b32(sig64, &r);
    scalar_get_b32(sig64 + 32, &s);
    return 1;
}

#endif
