/* NIST P-256 ECDSA: curve constants, then the shared a = -3 layers (field, scalar, group, ecmult), then
 * the ECDSA entry points.  One translation unit so the compiler inlines across the layers. */
#include "p256.h"

/* Montgomery constants, R = 2^256 (derivable from the SEC 2 parameters: R^2 mod p, b*R, G*R mod p,
 * R^2 mod n, -n^-1 mod 2^64). */
#define W3_P_0 0xffffffffffffffffULL
#define W3_P_1 0x00000000ffffffffULL
#define W3_P_2 0x0000000000000000ULL
#define W3_P_3 0xffffffff00000001ULL
#define W3_P {W3_P_0, W3_P_1, W3_P_2, W3_P_3}
#define W3_P_R2 {0x0000000000000003ULL, 0xfffffffbffffffffULL, 0xfffffffffffffffeULL, 0x00000004fffffffdULL}
#define W3_ONE_MONT {0x0000000000000001ULL, 0xffffffff00000000ULL, 0xffffffffffffffffULL, 0x00000000fffffffeULL}
#define W3_B_MONT {0xd89cdf6229c4bddfULL, 0xacf005cd78843090ULL, 0xe5a220abf7212ed6ULL, 0xdc30061d04874834ULL}
#define W3_GX_MONT {0x79e730d418a9143cULL, 0x75ba95fc5fedb601ULL, 0x79fb732b77622510ULL, 0x18905f76a53755c6ULL}
#define W3_GY_MONT {0xddf25357ce95560aULL, 0x8b4ab8e4ba19e45cULL, 0xd2e88688dd21f325ULL, 0x8571ff1825885d85ULL}
#define W3_N {0xf3b9cac2fc632551ULL, 0xbce6faada7179e84ULL, 0xffffffffffffffffULL, 0xffffffff00000000ULL}
#define W3_N_R2 {0x83244c95be79eea2ULL, 0x4699799c49bd6fa6ULL, 0x2845b2392b6bec59ULL, 0x66e12d94f3d95620ULL}
#define W3_KEYTAB_BYTES LV_P256_KEYTAB_BYTES
#define W3_N_INV64 0xccd1c8aaee00bc4fULL
#define W3_API(x) lv_p256_##x

#include "wei3_field_impl.h"
#include "wei3_scalar_impl.h"
#include "wei3_group_impl.h"
#include "wei3_ecmult_impl.h"
#include "wei3_keytab_impl.h"
#include "wei3_ifma_impl.h"
#include "wei3_ifma_keytab_impl.h"
#include "wei3_api_impl.h"

#ifdef W3V_OK
_Static_assert(W3K_KEYTAB_BYTES == LV_P256_KEYTAB8_BYTES, "public lane key table size");
#endif
_Static_assert(LV_P256_PATH_PORTABLE == W3_PATH_PORTABLE && LV_P256_PATH_ADX == W3_PATH_ADX &&
               LV_P256_PATH_IFMA8 == W3_PATH_IFMA8, "public path numbers are wei3_path_impl.h's");

/* SEC1 4.1.4 over one block of at most W3_INV_BLOCK items, the s^-1 shared by Montgomery's trick.
 * Keys come either as SEC1 rows (keys, key_lens) or, when tabs != NULL, as key tables
 * tabs + W3_KEYTAB_BYTES * tab_idx[i] (indices checked by the caller). */
/* r[i] and w[i] = s^-1 (Montgomery form) of n <= W3_INV_BLOCK signatures; out[i] = 0 where r or s is out
 * of range (or s is high under low_s), else 1. */
static void p256_sig_scalars(const uint8_t *sigs, int n, int low_s, scalar *r, scalar *w, uint8_t *out) {
    scalar s[W3_INV_BLOCK], pre[W3_INV_BLOCK];
    uint64_t half[4];
    /* n/2 rounded down: s > half is high S */
    for (int j = 0; j < 4; j++) half[j] = (W3_SC_N[j] >> 1) | (j < 3 ? W3_SC_N[j + 1] << 63 : 0);
    for (int i = 0; i < n; i++) {
        out[i] = scalar_set_b32_nonzero(&r[i], sigs + 64 * i) &&
                 scalar_set_b32_nonzero(&s[i], sigs + 64 * i + 32) &&
                 !(low_s && w3_lt(half, s[i].v));
        if (!out[i]) { memset(&s[i], 0, sizeof s[i]); s[i].v[0] = 1; }  /* keeps the batch inversion defined */
    }
    scalar_inv_all_mont_var(w, s, pre, n);
}

static void p256_verify_block(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *tabs,
                              const int32_t *tab_idx, const uint8_t *digests, const uint8_t *sigs, int n,
                              int low_s, uint8_t *out) {
    scalar r[W3_INV_BLOCK], w[W3_INV_BLOCK];
    p256_sig_scalars(sigs, n, low_s, r, w, out);
#ifdef W3V_OK
    if (!tabs && w3v_available()) {   /* first-sighting keys: 8 items per vector, W3V_BATCH per table inversion */
        ge q8[W3V_BATCH], q[W3_INV_BLOCK];
        scalar a8[W3V_BATCH], b8[W3V_BATCH], c8[W3V_BATCH];
        int idx[W3V_BATCH], m = 0;
        uint8_t res[W3V_BATCH], qok[W3_INV_BLOCK];
        w3v_parse_keys(q, qok, keys, key_lens, (size_t)n);
        for (int i = 0; i < n; i++) {
            if (out[i]) {
                if (!qok[i]) {
                    out[i] = 0;
                } else {
                    q8[m] = q[i];
                    scalar e;
                    scalar_set_b32(&e, digests + 32 * i);
                    scalar_mont_mul(&a8[m], &e, &w[i]);
                    scalar_mont_mul(&b8[m], &r[i], &w[i]);
                    c8[m] = r[i];
                    idx[m++] = i;
                }
            }
            if (m == W3V_BATCH || (i == n - 1 && m)) {
                w3v_verify(q8, a8, b8, c8, m, res);
                for (int j = 0; j < m; j++) out[idx[j]] = res[j];
                m = 0;
            }
        }
        return;
    }
#endif
    for (int g = 0; g < n; g += W3_QGROUP) {
        int m = n - g < W3_QGROUP ? n - g : W3_QGROUP, k = 0, slot[W3_QGROUP];
        ge q[W3_QGROUP], qt[W3_QGROUP * W3_QTAB];
        if (!tabs) {
            for (int i = g; i < g + m; i++) {
                slot[i - g] = -1;
                if (!out[i]) continue;
                if (!ge_parse_sec1_var(&q[k], keys + 65 * i, key_lens[i])) { out[i] = 0; continue; }
                slot[i - g] = k++;
            }
            if (k) w3_qtabs_affine_var(qt, q, k);
        }
        for (int i = g; i < g + m; i++) {
            scalar e, u1, u2;
            gej x;
            if (!out[i]) continue;
            scalar_set_b32(&e, digests + 32 * i);
            scalar_mont_mul(&u1, &e, &w[i]);     /* e * s^-1 (w is s^-1 in Montgomery form) */
            scalar_mont_mul(&u2, &r[i], &w[i]);  /* r * s^-1 */
            if (tabs) ecmult_keytab_var(&x, &u1, tabs + (size_t)W3_KEYTAB_BYTES * (size_t)tab_idx[i], &u2);
            else ecmult_qaff_var(&x, &u1, &qt[slot[i - g] * W3_QTAB], &u2);
            out[i] = (uint8_t)gej_eq_x_mod_n_var(&x, &r[i]);
        }
    }
}

int lv_p256_verify(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *digests, const uint8_t *sigs,
                   size_t n, int low_s, uint8_t *out) {
    if (n && (!keys || !key_lens || !digests || !sigs || !out)) return LV_EMISUSE;
    w3_ecmult_init();
    for (size_t i = 0; i < n; i += W3_INV_BLOCK) {
        int m = (int)(n - i < W3_INV_BLOCK ? n - i : W3_INV_BLOCK);
        p256_verify_block(keys + 65 * i, key_lens + i, NULL, NULL, digests + 32 * i, sigs + 64 * i, m, low_s,
                          out + i);
    }
    return LV_OK;
}

int lv_p256_verify_tab(const uint8_t *digests, const uint8_t *sigs, size_t n, int low_s, const uint8_t *tabs,
                       size_t ntabs, const int32_t *tab_idx, uint8_t *out) {
    if (n && (!tabs || !tab_idx || !digests || !sigs || !out)) return LV_EMISUSE;
    for (size_t i = 0; i < n; i++) {
        if (tab_idx[i] < 0 || (size_t)tab_idx[i] >= ntabs) return LV_EBADSLOT;
    }
    w3_ecmult_init();
    for (size_t i = 0; i < n; i += W3_INV_BLOCK) {
        int m = (int)(n - i < W3_INV_BLOCK ? n - i : W3_INV_BLOCK);
        p256_verify_block(NULL, NULL, tabs, tab_idx + i, digests + 32 * i, sigs + 64 * i, m, low_s, out + i);
    }
    return LV_OK;
}

#ifdef W3V_OK
/* p256_verify_block for keys given by lane key tables (wei3_ifma_keytab_impl.h), 8 items per vector. */
static void p256_verify_block8(const uint8_t *tabs, const int32_t *tab_idx, const uint8_t *digests,
                               const uint8_t *sigs, int n, int low_s, uint8_t *out) {
    scalar r[W3_INV_BLOCK], w[W3_INV_BLOCK], a8[8], b8[8], c8[8];
    int32_t rows[8];
    int idx[8], m = 0;
    uint8_t res[8];
    p256_sig_scalars(sigs, n, low_s, r, w, out);
    for (int i = 0; i < n; i++) {
        if (out[i]) {
            scalar e;
            scalar_set_b32(&e, digests + 32 * i);
            scalar_mont_mul(&a8[m], &e, &w[i]);
            scalar_mont_mul(&b8[m], &r[i], &w[i]);
            c8[m] = r[i];
            rows[m] = tab_idx[i];
            idx[m++] = i;
        }
        if (m == 8 || (i == n - 1 && m)) {
            w3k_verify8(tabs, rows, a8, b8, c8, m, res);
            for (int j = 0; j < m; j++) out[idx[j]] = res[j];
            m = 0;
        }
    }
}
#endif

int lv_p256_verify_tab8(const uint8_t *digests, const uint8_t *sigs, size_t n, int low_s, const uint8_t *tabs,
                        size_t ntabs, const int32_t *tab_idx, uint8_t *out) {
    int rc = w3_tab_args(digests, sigs, out, tabs, ntabs, tab_idx, n);
    if (rc != LV_OK) return rc;
    w3_ecmult_init();
#ifdef W3V_OK
    if (!w3k_available()) return LV_EBADPATH;
    for (size_t i = 0; i < n; i += W3_INV_BLOCK) {
        int m = (int)(n - i < W3_INV_BLOCK ? n - i : W3_INV_BLOCK);
        p256_verify_block8(tabs, tab_idx + i, digests + 32 * i, sigs + 64 * i, m, low_s, out + i);
    }
    return LV_OK;
#else
    return LV_EBADPATH;
#endif
}

int lv_p256_sign(const uint8_t *privs, const uint8_t *digests, const uint8_t *nonces, size_t n, uint8_t *sigs,
                 uint8_t *status) {
    if (n && (!privs || !digests || !nonces || !sigs || !status)) return LV_EMISUSE;
    w3_ecmult_init();
    for (size_t i = 0; i < n; i++) {
        scalar d, k, e, r, s, t;
        ge R;
        uint8_t xb[32];
        memset(sigs + 64 * i, 0, 64);
        status[i] = 0;
        if (!scalar_set_b32_nonzero(&d, privs + 32 * i) || !scalar_set_b32_nonzero(&k, nonces + 32 * i)) continue;
        if (!w3_mul_g(&R, &k)) continue;
        fe_get_b32(xb, &R.x);
        scalar_set_b32(&r, xb);
        if (scalar_is_zero(&r)) continue;
        scalar_set_b32(&e, digests + 32 * i);
        scalar_mul(&t, &r, &d);
        scalar_add(&t, &t, &e);
        scalar_inv(&s, &k);
        scalar_mul(&s, &s, &t);
        if (scalar_is_zero(&s)) continue;
        scalar_get_b32(sigs + 64 * i, &r);
        scalar_get_b32(sigs + 64 * i + 32, &s);
        status[i] = 1;
    }
    return LV_OK;
}
