/* SM2 signatures (GB/T 32918.2) on sm2p256v1: curve constants, then the shared a = -3 layers, then the
 * SM2 entry points.  The message hash e = SM3(Z_A || M) is the caller's (native/sm2.py caches Z_A). */
#include "sm2.h"

/* Montgomery constants, R = 2^256 (R^2 mod p, b*R, G*R mod p, R^2 mod n, -n^-1 mod 2^64 from the
 * GB/T 32918.5 parameters). */
#define W3_P_0 0xffffffffffffffffULL
#define W3_P_1 0xffffffff00000000ULL
#define W3_P_2 0xffffffffffffffffULL
#define W3_P_3 0xfffffffeffffffffULL
#define W3_P {W3_P_0, W3_P_1, W3_P_2, W3_P_3}
#define W3_P_R2 {0x0000000200000003ULL, 0x00000002ffffffffULL, 0x0000000100000001ULL, 0x0000000400000002ULL}
#define W3_ONE_MONT {0x0000000000000001ULL, 0x00000000ffffffffULL, 0x0000000000000000ULL, 0x0000000100000000ULL}
#define W3_B_MONT {0x90d230632bc0dd42ULL, 0x71cf379ae9b537abULL, 0x527981505ea51c3cULL, 0x240fe188ba20e2c8ULL}
#define W3_GX_MONT {0x61328990f418029eULL, 0x3e7981eddca6c050ULL, 0xd6a1ed99ac24c3c3ULL, 0x91167a5ee1c13b05ULL}
#define W3_GY_MONT {0xc1354e593c2d0dddULL, 0xc1f5e5788d3295faULL, 0x8d4cfb066e2a48f8ULL, 0x63cd65d481d735bdULL}
#define W3_N {0x53bbf40939d54123ULL, 0x7203df6b21c6052bULL, 0xffffffffffffffffULL, 0xfffffffeffffffffULL}
#define W3_N_R2 {0x901192af7c114f20ULL, 0x3464504ade6fa2faULL, 0x620fc84c3affe0d4ULL, 0x1eb5e412a22b3d3bULL}
#define W3_KEYTAB_BYTES LV_SM2_KEYTAB_BYTES
#define W3_N_INV64 0x327f9e8872350975ULL
#define W3_API(x) lv_sm2_##x

#include "wei3_field_impl.h"
#include "wei3_scalar_impl.h"
#include "wei3_group_impl.h"
#include "wei3_ecmult_impl.h"
#include "wei3_keytab_impl.h"
#include "wei3_ifma_impl.h"
#include "wei3_ifma_keytab_impl.h"
#include "wei3_api_impl.h"

#ifdef W3V_OK
_Static_assert(W3K_KEYTAB_BYTES == LV_SM2_KEYTAB8_BYTES, "public lane key table size");
#endif
_Static_assert(LV_SM2_PATH_PORTABLE == W3_PATH_PORTABLE && LV_SM2_PATH_ADX == W3_PATH_ADX &&
               LV_SM2_PATH_IFMA8 == W3_PATH_IFMA8, "public path numbers are wei3_path_impl.h's");

/* Unlike ECDSA no inversion is needed: (x1, y1) = s*G + t*P_A with t = r + s, and (e + x1) mod n = r
 * becomes x1 = (r - e) mod n, tested projectively by gej_eq_x_mod_n_var (x1 is reduced: both x1 = c and
 * x1 = c + n < p are candidates). */
/* One item; Q given by its affine odd multiples qtab (w3_qtabs_affine_var), or qtab NULL and tab its key
 * table. */
static uint8_t sm2_verify_one(const ge *qtab, const uint8_t *tab, const uint8_t *e32, const uint8_t *sig) {
    scalar r, s, t, ee, c;
    gej x;
    if (!scalar_set_b32_nonzero(&r, sig) || !scalar_set_b32_nonzero(&s, sig + 32)) return 0;
    scalar_add(&t, &r, &s);
    if (scalar_is_zero(&t)) return 0;
    scalar_set_b32(&ee, e32);
    scalar_sub(&c, &r, &ee);
    if (tab) ecmult_keytab_var(&x, &s, tab, &t);
    else ecmult_qaff_var(&x, &s, qtab, &t);
    return (uint8_t)gej_eq_x_mod_n_var(&x, &c);
}

int lv_sm2_verify_e(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *e, const uint8_t *sigs,
                    size_t n, uint8_t *out) {
    if (n && (!keys || !key_lens || !e || !sigs || !out)) return LV_EMISUSE;
    w3_ecmult_init();
#ifdef W3V_OK
    if (w3v_available()) {   /* first-sighting keys: 8 items per vector, W3V_BATCH per table inversion */
        ge q8[W3V_BATCH];
        scalar s8[W3V_BATCH], t8[W3V_BATCH], c8[W3V_BATCH];
        size_t idx[W3V_BATCH];
        int m = 0;
        uint8_t res[W3V_BATCH];
        ge q[W3_QGROUP];
        uint8_t qok[W3_QGROUP];
        for (size_t i = 0; i < n; i++) {
            scalar r, ee;
            const uint8_t *sig = sigs + 64 * i;
            out[i] = 0;
            if (i % W3_QGROUP == 0)   /* keys W3_QGROUP at a time: their square roots go through the lanes */
                w3v_parse_keys(q, qok, keys + 65 * i, key_lens + i, n - i < W3_QGROUP ? n - i : W3_QGROUP);
            if (scalar_set_b32_nonzero(&r, sig) && scalar_set_b32_nonzero(&s8[m], sig + 32)) {
                scalar_add(&t8[m], &r, &s8[m]);
                if (!scalar_is_zero(&t8[m]) && qok[i % W3_QGROUP]) {
                    q8[m] = q[i % W3_QGROUP];
                    scalar_set_b32(&ee, e + 32 * i);
                    scalar_sub(&c8[m], &r, &ee);
                    idx[m++] = i;
                }
            }
            if (m == W3V_BATCH || (i == n - 1 && m)) {
                w3v_verify(q8, s8, t8, c8, m, res);
                for (int j = 0; j < m; j++) out[idx[j]] = res[j];
                m = 0;
            }
        }
        return LV_OK;
    }
#endif
    for (size_t g = 0; g < n; g += W3_QGROUP) {
        int m = (int)(n - g < W3_QGROUP ? n - g : W3_QGROUP), k = 0, slot[W3_QGROUP];
        ge q[W3_QGROUP], qt[W3_QGROUP * W3_QTAB];
        for (int j = 0; j < m; j++) {
            out[g + j] = 0;
            slot[j] = ge_parse_sec1_var(&q[k], keys + 65 * (g + j), key_lens[g + j]) ? k++ : -1;
        }
        if (k) w3_qtabs_affine_var(qt, q, k);
        for (int j = 0; j < m; j++) {
            if (slot[j] < 0) continue;
            out[g + j] = sm2_verify_one(&qt[slot[j] * W3_QTAB], NULL, e + 32 * (g + j), sigs + 64 * (g + j));
        }
    }
    return LV_OK;
}

int lv_sm2_verify_e_tab(const uint8_t *e, const uint8_t *sigs, size_t n, const uint8_t *tabs, size_t ntabs,
                        const int32_t *tab_idx, uint8_t *out) {
    if (n && (!tabs || !tab_idx || !e || !sigs || !out)) return LV_EMISUSE;
    for (size_t i = 0; i < n; i++) {
        if (tab_idx[i] < 0 || (size_t)tab_idx[i] >= ntabs) return LV_EBADSLOT;
    }
    w3_ecmult_init();
    for (size_t i = 0; i < n; i++) {
        out[i] = sm2_verify_one(NULL, tabs + (size_t)W3_KEYTAB_BYTES * (size_t)tab_idx[i], e + 32 * i,
                                sigs + 64 * i);
    }
    return LV_OK;
}

/* lv_sm2_verify_e_tab over lane key tables (wei3_ifma_keytab_impl.h), 8 items per vector:
 * (x1, y1) = s G + t Q as in sm2_verify_one. */
int lv_sm2_verify_e_tab8(const uint8_t *e, const uint8_t *sigs, size_t n, const uint8_t *tabs, size_t ntabs,
                         const int32_t *tab_idx, uint8_t *out) {
    int rc = w3_tab_args(e, sigs, out, tabs, ntabs, tab_idx, n);
    if (rc != LV_OK) return rc;
    w3_ecmult_init();
#ifdef W3V_OK
    scalar s8[8], t8[8], c8[8];
    int32_t rows[8];
    size_t idx[8];
    int m = 0;
    uint8_t res[8];
    if (!w3k_available()) return LV_EBADPATH;
    for (size_t i = 0; i < n; i++) {
        scalar r, ee;
        out[i] = 0;
        if (scalar_set_b32_nonzero(&r, sigs + 64 * i) && scalar_set_b32_nonzero(&s8[m], sigs + 64 * i + 32)) {
            scalar_add(&t8[m], &r, &s8[m]);
            if (!scalar_is_zero(&t8[m])) {
                scalar_set_b32(&ee, e + 32 * i);
                scalar_sub(&c8[m], &r, &ee);
                rows[m] = tab_idx[i];
                idx[m++] = i;
            }
        }
        if (m == 8 || (i == n - 1 && m)) {
            w3k_verify8(tabs, rows, s8, t8, c8, m, res);
            for (int j = 0; j < m; j++) out[idx[j]] = res[j];
            m = 0;
        }
    }
    return LV_OK;
#else
    return LV_EBADPATH;
#endif
}

int lv_sm2_sign_e(const uint8_t *privs, const uint8_t *e, const uint8_t *nonces, size_t n, uint8_t *sigs,
                  uint8_t *status) {
    if (n && (!privs || !e || !nonces || !sigs || !status)) return LV_EMISUSE;
    w3_ecmult_init();
    for (size_t i = 0; i < n; i++) {
        scalar d, k, ee, x1, r, s, t, one = {{1, 0, 0, 0}};
        ge R;
        uint8_t xb[32];
        memset(sigs + 64 * i, 0, 64);
        status[i] = 0;
        if (!scalar_set_b32_nonzero(&d, privs + 32 * i) || !scalar_set_b32_nonzero(&k, nonces + 32 * i)) continue;
        scalar_add(&t, &d, &one);
        if (scalar_is_zero(&t)) continue;                 /* d = n - 1: 1 + d has no inverse */
        if (!w3_mul_g(&R, &k)) continue;
        fe_get_b32(xb, &R.x);
        scalar_set_b32(&x1, xb);
        scalar_set_b32(&ee, e + 32 * i);
        scalar_add(&r, &ee, &x1);
        scalar_add(&s, &r, &k);
        if (scalar_is_zero(&r) || scalar_is_zero(&s)) continue;   /* r = 0 or r + k = n */
        scalar_inv(&t, &t);                               /* (1 + d)^-1 */
        scalar_mul(&s, &r, &d);
        scalar_sub(&s, &k, &s);
        scalar_mul(&s, &t, &s);
        if (scalar_is_zero(&s)) continue;
        scalar_get_b32(sigs + 64 * i, &r);
        scalar_get_b32(sigs + 64 * i + 32, &s);
        status[i] = 1;
    }
    return LV_OK;
}
