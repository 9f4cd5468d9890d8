/* Entry points shared by both a = -3 curves, named through W3_API(x) (lv_p256_x, lv_sm2_x): public keys
 * for test data and test-only windows onto the field, scalar and group layers.  Misuse (NULL buffers,
 * unknown op) returns LV_EMISUSE; bad data is a status byte. */
#ifndef LV_WEI3_API_IMPL_H
#define LV_WEI3_API_IMPL_H


/* Batch size of Montgomery's trick for the per-signature scalar inversions: one exponentiation (about
 * 320 products mod n) per 64 signatures plus 3 products each, on the stack. */
#define W3_INV_BLOCK 64

/* out[i] = a[i]^-1 * R mod n (Montgomery form) for plain nonzero a[i]; pre is scratch for n scalars. */
static void scalar_inv_all_mont_var(scalar *out, const scalar *a, scalar *pre, int n) {
    scalar am, inv, t;
    for (int i = 0; i < n; i++) {
        scalar_to_mont(&am, &a[i]);
        if (i == 0) pre[0] = am; else scalar_mont_mul(&pre[i], &pre[i - 1], &am);
    }
    scalar_inv_mont(&inv, &pre[n - 1]);
    for (int i = n - 1; i > 0; i--) {
        scalar_mont_mul(&out[i], &inv, &pre[i - 1]);
        scalar_to_mont(&am, &a[i]);
        scalar_mont_mul(&t, &inv, &am);
        inv = t;
    }
    out[0] = inv;
}

/* k*G as an affine point; 0 when k = 0 mod n. */
static int w3_mul_g(ge *r, const scalar *k) {
    gej j;
    if (scalar_is_zero(k)) return 0;
    ecmult_var(&j, k, NULL, NULL);
    if (j.infinity) return 0;
    ge_set_gej(r, &j);
    return 1;
}

int W3_API(best_path)(void) { return w3_best_path(); }
int W3_API(path_ok)(int path) { return w3_path_ok(path); }

/* out33[i] = compressed d_i*G; status[i] = 0 when d_i is not in [1, n-1]. */
int W3_API(pubkeys)(const uint8_t *privs, size_t n, uint8_t *out33, uint8_t *status) {
    if (n && (!privs || !out33 || !status)) return LV_EMISUSE;
    w3_ecmult_init();
    for (size_t i = 0; i < n; i++) {
        scalar d;
        ge p;
        memset(out33 + 33 * i, 0, 33);
        status[i] = scalar_set_b32_nonzero(&d, privs + 32 * i) && w3_mul_g(&p, &d);
        if (status[i]) ge_serialize(out33 + 33 * i, &p, 1);
    }
    return LV_OK;
}

/* SEC1 keys (row stride 65, length key_lens[i]) to 65-byte uncompressed rows; status 0 when a key does
 * not decode.  Lets the caller cache decompressed keys. */
int W3_API(decompress)(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *out65,
                       uint8_t *status) {
    if (n && (!keys || !key_lens || !out65 || !status)) return LV_EMISUSE;
    w3_select_impl();
#ifdef W3V_OK
    if (w3v_available()) {   /* square roots 8 at a time in the IFMA lanes */
        for (size_t i = 0; i < n; i += W3_INV_BLOCK) {
            size_t m = n - i < W3_INV_BLOCK ? n - i : W3_INV_BLOCK;
            ge q[W3_INV_BLOCK];
            w3v_parse_keys(q, status + i, keys + 65 * i, key_lens + i, m);
            for (size_t j = 0; j < m; j++) {
                memset(out65 + 65 * (i + j), 0, 65);
                if (status[i + j]) ge_serialize(out65 + 65 * (i + j), &q[j], 0);
            }
        }
        return LV_OK;
    }
#endif
    for (size_t i = 0; i < n; i++) {
        ge p;
        memset(out65 + 65 * i, 0, 65);
        status[i] = (uint8_t)ge_parse_sec1_var(&p, keys + 65 * i, key_lens[i]);
        if (status[i]) ge_serialize(out65 + 65 * i, &p, 0);
    }
    return LV_OK;
}

/* Test only: field op on plain big-endian a, b < p (0 mul, 1 sqr, 2 add, 3 sub, 4 neg, 5 inv, 6 sqrt,
 * 7 half).
 * Returns 1 (0 for sqrt of a non-residue), LV_EMISUSE for an input >= p or an unknown op. */
int W3_API(test_field)(int op, const uint8_t *a32, const uint8_t *b32, uint8_t *out32) {
    fe a, b, r;
    int ok = 1;
    w3_select_impl();
    if (!a32 || !b32 || !out32 || !fe_set_b32(&a, a32) || !fe_set_b32(&b, b32)) return LV_EMISUSE;
    switch (op) {
    case 0: fe_mul(&r, &a, &b); break;
    case 1: fe_sqr(&r, &a); break;
    case 2: fe_add(&r, &a, &b); break;
    case 3: fe_sub(&r, &a, &b); break;
    case 4: fe_neg(&r, &a); break;
    case 5: fe_inv(&r, &a); break;
    case 6: memset(&r, 0, sizeof r); ok = fe_sqrt(&r, &a); break;
    case 7: fe_half(&r, &a); break;
    default: return LV_EMISUSE;
    }
    fe_get_b32(out32, &r);
    return ok;
}

/* Test only: scalar op on big-endian a, b reduced mod n (0 mul, 1 add, 2 sub, 3 inv, 4 reduce a,
 * 5 batch inverse of a and b through Montgomery's trick, out = a^-1 || b^-1 (64 bytes)). */
int W3_API(test_scalar)(int op, const uint8_t *a32, const uint8_t *b32, uint8_t *out) {
    scalar a, b, r;
    if (!a32 || !b32 || !out) return LV_EMISUSE;
    scalar_set_b32(&a, a32);
    scalar_set_b32(&b, b32);
    switch (op) {
    case 0: scalar_mul(&r, &a, &b); break;
    case 1: scalar_add(&r, &a, &b); break;
    case 2: scalar_sub(&r, &a, &b); break;
    case 3: scalar_inv(&r, &a); break;
    case 4: r = a; break;
    case 5: {
        scalar in[2] = {a, b}, inv[2], pre[2], one = {{1, 0, 0, 0}};
        if (scalar_is_zero(&a) || scalar_is_zero(&b)) return LV_EMISUSE;
        scalar_inv_all_mont_var(inv, in, pre, 2);
        scalar_mont_mul(&r, &inv[0], &one);
        scalar_get_b32(out, &r);
        scalar_mont_mul(&r, &inv[1], &one);
        scalar_get_b32(out + 32, &r);
        return 1;
    }
    default: return LV_EMISUSE;
    }
    scalar_get_b32(out, &r);
    return 1;
}

/* Key tables (wei3_keytab_impl.h) of SEC1 keys (row stride 65, length key_lens[i]): out row i
 * (W3_KEYTAB_BYTES) filled and status[i] = 1, or zeroed and status[i] = 0 when key i does not decode. */
int W3_API(keytab)(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *tabs, uint8_t *status) {
    if (n && (!keys || !key_lens || !tabs || !status)) return LV_EMISUSE;
    w3_ecmult_init();
    for (size_t i = 0; i < n; i++) {
        ge q;
        uint8_t *row = tabs + (size_t)W3_KEYTAB_BYTES * i;
        status[i] = (uint8_t)ge_parse_sec1_var(&q, keys + 65 * i, key_lens[i]);
        if (status[i]) keytab_build_var(row, &q); else memset(row, 0, W3_KEYTAB_BYTES);
    }
    return LV_OK;
}

/* Lane key tables (wei3_ifma_keytab_impl.h, W3K_KEYTAB_BYTES each), for W3_API(verify_tab8), as
 * W3_API(keytab): in the lanes where the IFMA path is available, else in 4x64 code (no AVX-512 needed);
 * LV_EBADPATH where the build has no IFMA path at all. */
int W3_API(keytab8)(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *tabs, uint8_t *status) {
#ifdef W3V_OK
    if (n && (!keys || !key_lens || !tabs || !status)) return LV_EMISUSE;
    w3_ecmult_init();
    pthread_once(&w3v_once, w3v_build);
    keytab8_rows(keys, key_lens, n, tabs, status);
    return LV_OK;
#else
    return LV_EBADPATH;
#endif
}

/* The misuse checks of the verify_tab entry points: LV_OK, or the code to return. */
static int w3_tab_args(const void *a, const void *b, const void *c, const uint8_t *tabs, size_t ntabs,
                       const int32_t *tab_idx, size_t n) {
    if (n && (!tabs || !tab_idx || !a || !b || !c)) return LV_EMISUSE;
    for (size_t i = 0; i < n; i++) {
        if (tab_idx[i] < 0 || (size_t)tab_idx[i] >= ntabs) return LV_EBADSLOT;
    }
    return LV_OK;
}

/* Test only: u1*G + u2*Q through the key-table path (table built here), output as test_ecmult's. */
int W3_API(test_ecmult_tab)(const uint8_t *u1_32, const uint8_t *key, unsigned key_len, const uint8_t *u2_32,
                            uint8_t *out65) {
    scalar u1, u2;
    ge q, r;
    gej j;
    uint8_t tab[W3_KEYTAB_BYTES];
    if (!u1_32 || !key || !u2_32 || !out65 || !ge_parse_sec1_var(&q, key, key_len)) return LV_EMISUSE;
    w3_ecmult_init();
    keytab_build_var(tab, &q);
    scalar_set_b32(&u1, u1_32);
    scalar_set_b32(&u2, u2_32);
    ecmult_keytab_var(&j, &u1, tab, &u2);
    memset(out65, 0, 65);
    if (j.infinity) return 0;
    ge_set_gej(&r, &j);
    ge_serialize(out65, &r, 0);
    return 1;
}

/* Test only: u1*G + u2*Q (scalars reduced mod n) as 65 uncompressed bytes.  Returns 1 for a finite
 * result, 0 for infinity, LV_EMISUSE when the key does not decode. */
int W3_API(test_ecmult)(const uint8_t *u1_32, const uint8_t *key, unsigned key_len, const uint8_t *u2_32,
                        uint8_t *out65) {
    scalar u1, u2;
    ge q, r;
    gej j;
    if (!u1_32 || !key || !u2_32 || !out65 || !ge_parse_sec1_var(&q, key, key_len)) return LV_EMISUSE;
    w3_ecmult_init();
    scalar_set_b32(&u1, u1_32);
    scalar_set_b32(&u2, u2_32);
    ecmult_var(&j, &u1, &q, &u2);
    memset(out65, 0, 65);
    if (j.infinity) return 0;
    ge_set_gej(&r, &j);
    ge_serialize(out65, &r, 0);
    return 1;
}

int W3_API(test_field8)(int op, const uint8_t *a256, const uint8_t *b256, uint8_t *out256) {
    if (!a256 || !b256 || !out256 || op < 0 || op > 7) return LV_EMISUSE;
    w3_select_impl();
    fe a[8], b[8];
    for (int i = 0; i < 8; i++)
        if (!fe_set_b32(&a[i], a256 + 32 * i) || !fe_set_b32(&b[i], b256 + 32 * i)) return LV_EMISUSE;
#ifdef W3V_OK
    if (!w3v_available()) return 0;
    fe r[8];
    w3v_test_op8(r, a, b, op);
    for (int i = 0; i < 8; i++) fe_get_b32(out256 + 32 * i, &r[i]);
    return 1;
#else
    return 0;
#endif
}

#endif
