/* See native/src/sm2.h. */
#define LV_SM2_KEYTAB_BYTES ...
int lv_sm2_verify_e(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *e, const uint8_t *sigs,
                    size_t n, uint8_t *out);
int lv_sm2_sign_e(const uint8_t *privs, const uint8_t *e, const uint8_t *nonces, size_t n, uint8_t *sigs,
                 uint8_t *status);
int lv_sm2_pubkeys(const uint8_t *privs, size_t n, uint8_t *out33, uint8_t *status);
int lv_sm2_decompress(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *out65, uint8_t *status);
int lv_sm2_test_field(int op, const uint8_t *a32, const uint8_t *b32, uint8_t *out32);
int lv_sm2_test_scalar(int op, const uint8_t *a32, const uint8_t *b32, uint8_t *out);
int lv_sm2_test_ecmult(const uint8_t *u1_32, const uint8_t *key, unsigned key_len, const uint8_t *u2_32,
                        uint8_t *out65);
int lv_sm2_verify_e_tab(const uint8_t *e, const uint8_t *sigs, size_t n, const uint8_t *tabs, size_t ntabs,
                        const int32_t *tab_idx, uint8_t *out);
int lv_sm2_keytab(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *tabs, uint8_t *status);
int lv_sm2_test_ecmult_tab(const uint8_t *u1_32, const uint8_t *key, unsigned key_len, const uint8_t *u2_32,
                        uint8_t *out65);
int lv_sm2_test_field8(int op, const uint8_t *a256, const uint8_t *b256, uint8_t *out256);
#define LV_SM2_PATH_PORTABLE ...
#define LV_SM2_PATH_ADX ...
#define LV_SM2_PATH_IFMA8 ...
int lv_sm2_best_path(void);
int lv_sm2_path_ok(int path);
#define LV_SM2_KEYTAB8_BYTES ...
int lv_sm2_keytab8(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *tabs, uint8_t *status);
int lv_sm2_verify_e_tab8(const uint8_t *e, const uint8_t *sigs, size_t n, const uint8_t *tabs, size_t ntabs,
                         const int32_t *tab_idx, uint8_t *out);
