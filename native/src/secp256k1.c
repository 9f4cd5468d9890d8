/* The secp256k1 translation unit: the layers are static functions in the *_impl.h headers, included
 * here in order so the compiler inlines across them; this file holds only the batch entry points. */
#include "secp256k1.h"
#include "secp256k1_ecdsa_impl.h"

_Static_assert(LV_SECP256K1_SHARED_CHUNK <= K1_GROUP, "a claim is one verification group at most");

int lv_secp256k1_verify(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *digests, const uint8_t *sigs,
                        size_t n, int low_s, uint8_t *status) {
    k1_group g;
    if (n == 0) return LV_OK;
    if (!keys || !key_lens || !digests || !sigs || !status) return LV_EMISUSE;
    ecmult_init();
    for (size_t base = 0; base < n; base += K1_GROUP) {
        size_t m = n - base < K1_GROUP ? n - base : K1_GROUP;
        k1_verify_group(&g, m, keys + 65 * base, key_lens + base, digests + 32 * base, sigs + 64 * base,
                        low_s, NULL, NULL, status + base);
    }
    return LV_OK;
}

int lv_secp256k1_verify_slots(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *digests,
                              const uint8_t *sigs, size_t n, int low_s, const uint8_t *arena, size_t arena_rows,
                              const int32_t *slots, uint8_t *status) {
    k1_group g;
    if (n == 0) return LV_OK;
    if (!keys || !key_lens || !digests || !sigs || !status || !slots || (arena_rows && !arena))
        return LV_EMISUSE;
    for (size_t i = 0; i < n; i++)
        if (slots[i] < -1 || (slots[i] >= 0 && (size_t)slots[i] >= arena_rows)) return LV_EBADSLOT;
    ecmult_init();
    for (size_t base = 0; base < n; base += K1_GROUP) {
        size_t m = n - base < K1_GROUP ? n - base : K1_GROUP;
        k1_verify_group(&g, m, keys + 65 * base, key_lens + base, digests + 32 * base, sigs + 64 * base,
                        low_s, arena, slots + base, status + base);
    }
    return LV_OK;
}

int lv_secp256k1_verify_shared(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *digests,
                               const uint8_t *sigs, size_t n, int low_s, const uint8_t *arena, size_t arena_rows,
                               const int32_t *slots, int64_t *next, uint8_t *status) {
    k1_group g;
    if (n == 0) return LV_OK;
    if (!keys || !key_lens || !digests || !sigs || !status || !next || (slots && arena_rows && !arena))
        return LV_EMISUSE;
    ecmult_init();
    for (;;) {
        int64_t claimed = __atomic_fetch_add(next, (int64_t)LV_SECP256K1_SHARED_CHUNK, __ATOMIC_RELAXED);
        if (claimed < 0 || (uint64_t)claimed >= n) break;
        size_t base = (size_t)claimed;
        size_t m = n - base < LV_SECP256K1_SHARED_CHUNK ? n - base : LV_SECP256K1_SHARED_CHUNK;
        if (slots) {
            /* checked per claim: a bad slot stops this call, the rest of its group stays unverified (0) */
            for (size_t i = base; i < base + m; i++)
                if (slots[i] < -1 || (slots[i] >= 0 && (size_t)slots[i] >= arena_rows)) return LV_EBADSLOT;
        }
        k1_verify_group(&g, m, keys + 65 * base, key_lens + base, digests + 32 * base, sigs + 64 * base,
                        low_s, slots ? arena : NULL, slots ? slots + base : NULL, status + base);
    }
    return LV_OK;
}

int lv_secp256k1_keyslots_fill(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *arena,
                               size_t arena_rows, const int32_t *slots, uint8_t *ok) {
    k1_group g;
    uint8_t *rows[K1_GROUP];
    if (n == 0) return LV_OK;
    if (!keys || !key_lens || !arena || !slots || !ok) return LV_EMISUSE;
    for (size_t i = 0; i < n; i++)
        if (slots[i] < 0 || (size_t)slots[i] >= arena_rows) return LV_EBADSLOT;
    ecmult_init();
#ifdef LV_K1_IFMA
    if (k1_have_ifma()) v8_init();
#endif
    for (size_t base = 0; base < n; base += K1_GROUP) {
        size_t m = n - base < K1_GROUP ? n - base : K1_GROUP;
        for (size_t j = 0; j < m; j++) rows[j] = arena + (size_t)slots[base + j] * LV_SECP256K1_KEYSLOT_BYTES;
        k1_fill_group(&g, m, keys + 65 * base, key_lens + base, rows, ok + base);
    }
    return LV_OK;
}

int lv_secp256k1_best_path(void) { return k1_best_path(); }
int lv_secp256k1_path_ok(int path) { return k1_path_ok(path); }

int lv_secp256k1_recover(const uint8_t *digests, const uint8_t *sigs65, size_t n, uint8_t *out33,
                         uint8_t *status) {
    k1_group g;
    if (n == 0) return LV_OK;
    if (!digests || !sigs65 || !out33 || !status) return LV_EMISUSE;
    ecmult_init();
    for (size_t base = 0; base < n; base += K1_GROUP) {
        size_t m = n - base < K1_GROUP ? n - base : K1_GROUP;
        k1_recover_group(&g, m, digests + 32 * base, sigs65 + 65 * base, out33 + 33 * base, status + base);
    }
    return LV_OK;
}

int lv_secp256k1_sign(const uint8_t *privs, const uint8_t *digests, const uint8_t *nonces, size_t n,
                      uint8_t *sigs, uint8_t *status) {
    if (n == 0) return LV_OK;
    if (!privs || !digests || !nonces || !sigs || !status) return LV_EMISUSE;
    ecmult_init();
    for (size_t i = 0; i < n; i++) {
        status[i] = (uint8_t)k1_sign_var(sigs + 64 * i, privs + 32 * i, digests + 32 * i, nonces + 32 * i);
        if (!status[i]) memset(sigs + 64 * i, 0, 64);
    }
    return LV_OK;
}

int lv_secp256k1_pubkeys(const uint8_t *privs, size_t n, uint8_t *out33, uint8_t *status) {
    if (n == 0) return LV_OK;
    if (!privs || !out33 || !status) return LV_EMISUSE;
    ecmult_init();
    for (size_t i = 0; i < n; i++) {
        ge P;
        status[i] = (uint8_t)k1_pubkey_create_var(&P, privs + 32 * i);
        if (status[i]) k1_pubkey_serialize(out33 + 33 * i, &P);
        else memset(out33 + 33 * i, 0, 33);
    }
    return LV_OK;
}

/* ---- test-only entry points ---- */

static void fe_from_b32_mod(fe *r, const uint8_t *b) {
    fe_set_b32(r, b);
    fe_normalize(r);
}

/* The 4x64 field's operations on raw (unreduced) 256-bit inputs; -1 where the build has no such field. */
static int test_fe4(int op, const uint8_t *a, const uint8_t *b, uint8_t *out) {
#ifdef LV_K1_ADX
    fe4 x, y, z;
    fe_storage s;
    fe t;
    for (int i = 0; i < 4; i++) {
        x.n[i] = y.n[i] = 0;
        for (int j = 0; j < 8; j++) {
            x.n[i] = x.n[i] << 8 | a[(3 - i) * 8 + j];
            y.n[i] = y.n[i] << 8 | b[(3 - i) * 8 + j];
        }
    }
    if (op == LV_K1_FE4_MUL) fe4_mul(&z, &x, &y);
    else if (op == LV_K1_FE4_ADD) fe4_add(&z, &x, &y);
    else fe4_sub(&z, &x, &y);
    memcpy(s.n, z.n, 32);
    fe_from_storage(&t, &s);
    fe_normalize(&t);
    fe_get_b32(out, &t);
    return 1;
#else
    (void)op; (void)a; (void)b; (void)out;
    return -1;
#endif
}

int lv_secp256k1_test_fe(int op, const uint8_t *a, const uint8_t *b, uint8_t *out) {
    fe x, y, z, t[2], ti[2];
    int ret = 1;
    if (op == LV_K1_FE4_MUL || op == LV_K1_FE4_ADD || op == LV_K1_FE4_SUB) return test_fe4(op, a, b, out);
    fe_from_b32_mod(&x, a);
    fe_from_b32_mod(&y, b);
    switch (op) {
    case LV_K1_FE_MUL: fe_mul(&z, &x, &y); break;
    case LV_K1_FE_SQR: fe_sqr(&z, &x); break;
    case LV_K1_FE_INV: fe_inv(&z, &x); break;
    case LV_K1_FE_SQRT: ret = fe_sqrt_var(&z, &x); break;
    case LV_K1_FE_SUB: fe_negate(&z, &y, 1); fe_add(&z, &x); break;
    case LV_K1_FE_MUL_MAG: {
        fe zero, big, big2;
        fe_set_int(&zero, 0);
        fe_negate(&big, &zero, 15);  /* 0 with magnitude 16 */
        fe_negate(&big2, &zero, 14); /* 0 with magnitude 15 */
        fe_add(&x, &big);            /* magnitude 17 */
        fe_add(&y, &big);
        fe_add(&y, &big2);           /* magnitude 32, the most mul accepts: limbs just under 2^58 */
        fe_mul(&z, &x, &y);
        break;
    }
    case LV_K1_FE_INV_ALL:
        t[0] = x; t[1] = y;
        fe_inv_all_var(ti, t, 2);
        fe_normalize(&ti[0]); fe_normalize(&ti[1]);
        fe_get_b32(out, &ti[0]);
        fe_get_b32(out + 32, &ti[1]);
        return 1;
    default: return LV_EMISUSE;
    }
    fe_normalize(&z);
    fe_get_b32(out, &z);
    return ret;
}

int lv_secp256k1_test_scalar(int op, const uint8_t *a, const uint8_t *b, uint8_t *out) {
    scalar x, y, z, z2;
    int o;
    scalar_set_b32(&x, a, &o);
    scalar_set_b32(&y, b, &o);
    switch (op) {
    case LV_K1_SC_MUL: scalar_mul(&z, &x, &y); break;
    case LV_K1_SC_ADD: scalar_add(&z, &x, &y); break;
    case LV_K1_SC_NEG: scalar_negate(&z, &x); break;
    case LV_K1_SC_INV: scalar_inv_var(&z, &x); break;
    case LV_K1_SC_SPLIT:
        scalar_split_lambda(&z, &z2, &x);
        scalar_get_b32(out + 32, &z2);
        break;
    default: return LV_EMISUSE;
    }
    scalar_get_b32(out, &z);
    return 1;
}

int lv_secp256k1_test_wnaf(const uint8_t *a, int w, int32_t *digits) {
    scalar x;
    int o, tmp[WNAF_LEN], len;
    if (w < 2 || w > 16) return LV_EMISUSE;
    scalar_set_b32(&x, a, &o);
    len = scalar_wnaf_var(tmp, WNAF_LEN, &x, w);
    for (int i = 0; i < WNAF_LEN; i++) digits[i] = tmp[i];
    return len;
}

static int ge_out65(uint8_t *out65, const gej *P) {
    ge a;
    fe z, zi;
    memset(out65, 0, 65);
    if (P->infinity) return 0;
    ge_set_all_gej_var(&a, P, 1, &z, &zi);
    fe_normalize(&a.x);
    fe_normalize(&a.y);
    out65[0] = 4;
    fe_get_b32(out65 + 1, &a.x);
    fe_get_b32(out65 + 33, &a.y);
    return 1;
}

int lv_secp256k1_test_ecmult(const uint8_t *key, size_t key_len, const uint8_t *na, const uint8_t *ng,
                             uint8_t *out65) {
    scalar a, g;
    ge A, pre[ECMULT_TABLE_A], pre_lam[ECMULT_TABLE_A];
    gej jac[ECMULT_TABLE_A], R;
    fe zs[ECMULT_TABLE_A], zis[ECMULT_TABLE_A];
    int o, have = key_len != 0;
    ecmult_init();
    scalar_set_b32(&a, na, &o);
    scalar_set_b32(&g, ng, &o);
    if (have) {
        if (!k1_pubkey_parse_var(&A, key, key_len)) return -3;
        ecmult_tables_var(pre, pre_lam, &A, 1, jac, zs, zis);
    }
#ifdef LV_K1_ADX
    if (k1_best_path() == LV_SECP256K1_PATH_ADX) {
        uint8_t tab[1][2 * ECMULT_TABLE_A][64];
        gej4 jac4[ECMULT_TABLE_A];
        fe4 zs4[ECMULT_TABLE_A];
        if (have) k1_tables_adx(tab, &A, 1, jac4, zs4);
        ecmult_strauss_adx(&R, have ? tab[0] : NULL, &a, &g);
        return ge_out65(out65, &R);
    }
#endif
    ecmult_strauss_var(&R, have ? pre : NULL, have ? pre_lam : NULL, &a, &g);
    return ge_out65(out65, &R);
}

int lv_secp256k1_test_ecmult_split(const uint8_t *key, size_t key_len, const uint8_t *na, const uint8_t *ng,
                                   uint8_t *out65, int *split) {
    static uint8_t tab[KT_BYTES]; /* test-only, single-threaded use */
    static k1_group g;
    scalar a, b;
    ge A;
    gej R;
    int o;
    ecmult_init_split();
    scalar_set_b32(&a, na, &o);
    scalar_set_b32(&b, ng, &o);
    if (!k1_pubkey_parse_var(&A, key, key_len)) return -3;
    kt_build_var(tab, &A, g.jac, g.pre, g.zs, g.zis);
#ifdef LV_K1_ADX
    if (k1_best_path() == LV_SECP256K1_PATH_ADX) *split = ecmult_split_adx(&R, tab, &a, &b);
    else
#endif
    *split = ecmult_split_var(&R, tab, &a, &b);
    if (!*split) ecmult_cached_var(&R, tab, &a, &b);
    return ge_out65(out65, &R);
}

int lv_secp256k1_test_add(const uint8_t *a65, const uint8_t *b65, int mode, uint8_t *out65) {
    ge A, B;
    gej J, K;
    if (!k1_pubkey_parse_var(&A, a65, 65) || !k1_pubkey_parse_var(&B, b65, 65)) return -3;
    gej_set_ge(&J, &A);
    gej_set_ge(&K, &B);
    /* Give the Jacobian inputs a nontrivial Z, so the formulas are exercised with Z != 1. */
    gej_double_var(&J, &J); gej_add_ge_var(&J, &J, &A); gej_add_ge_var(&J, &J, &A); /* 4A - ... = 4A */
    ge_neg(&A, &A); gej_add_ge_var(&J, &J, &A); gej_add_ge_var(&J, &J, &A); gej_add_ge_var(&J, &J, &A); /* A */
    ge_neg(&A, &A);
    if (mode == 0) gej_add_ge_var(&J, &J, &B);
    else if (mode == 1) { gej_double_var(&K, &K); gej_add_ge_var(&K, &K, &B); ge_neg(&B, &B);
                          gej_add_ge_var(&K, &K, &B); gej_add_ge_var(&K, &K, &B); gej_add_var(&J, &J, &K); }
    else if (mode == 2) gej_double_var(&J, &J);
    else return LV_EMISUSE;
    return ge_out65(out65, &J);
}

int lv_secp256k1_test_sqrt8(const uint8_t *in256, uint8_t *out256) {
    fe in[8], out[8];
    int ifma = 0;
    for (int i = 0; i < 8; i++) fe_from_b32_mod(&in[i], in256 + 32 * i);
#ifdef LV_K1_IFMA
    if (k1_have_ifma()) { fe_pow_sqrt8_ifma(out, in); ifma = 1; }
#endif
#ifdef LV_K1_ADX
    if (!ifma && k1_best_path() == LV_SECP256K1_PATH_ADX) {
        for (int i = 0; i < 8; i++) fe_sqrt_adx(&out[i], &in[i]);
        ifma = 2;
    }
#endif
    if (!ifma)
        for (int i = 0; i < 8; i++) fe_sqrt_var(&out[i], &in[i]);
    for (int i = 0; i < 8; i++) { fe_normalize(&out[i]); fe_get_b32(out256 + 32 * i, &out[i]); }
    return ifma == 1;
}

int lv_secp256k1_test_ecmult8(const uint8_t *keys65, const uint8_t *na32, const uint8_t *ng32, uint8_t *out65,
                              int *redone) {
#ifdef LV_K1_IFMA
    static k1_group g; /* test-only, single-threaded use */
    gej R[8];
    int o;
    if (!k1_have_ifma()) return -1;
    ecmult_init();
    for (int i = 0; i < 8; i++) {
        if (!k1_pubkey_parse_var(&g.pts[i], keys65 + 65 * i, 65)) return -3;
        scalar_set_b32(&g.na[i], na32 + 32 * i, &o);
        scalar_set_b32(&g.ng[i], ng32 + 32 * i, &o);
    }
    *redone = k1_ecmult_lanes_ifma(&g, 8, R);
    for (int i = 0; i < 8; i++) ge_out65(out65 + 65 * i, &R[i]);
    return 1;
#else
    (void)keys65; (void)na32; (void)ng32; (void)out65; (void)redone;
    return -1;
#endif
}
