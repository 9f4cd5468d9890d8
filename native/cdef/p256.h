/* See native/src/p256.h. */
#define LV_P256_KEYTAB_BYTES ...
int lv_p256_verify(const uint8_t *keys, const uint8_t *key_lens, const uint8_t *digests, const uint8_t *sigs,
                   size_t n, int low_s, uint8_t *out);
int lv_p256_sign(const uint8_t *privs, const uint8_t *digests, const uint8_t *nonces, size_t n, uint8_t *sigs,
                 uint8_t *status);
int lv_p256_pubkeys(const uint8_t *privs, size_t n, uint8_t *out33, uint8_t *status);
int lv_p256_decompress(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *out65, uint8_t *status);
int lv_p256_test_field(int op, const uint8_t *a32, const uint8_t *b32, uint8_t *out32);
int lv_p256_test_scalar(int op, const uint8_t *a32, const uint8_t *b32, uint8_t *out);
int lv_p256_test_ecmult(const uint8_t *u1_32, const uint8_t *key, unsigned key_len, const uint8_t *u2_32,
                        uint8_t *out65);
int lv_p256_verify_tab(const uint8_t *digests, const uint8_t *sigs, size_t n, int low_s, const uint8_t *tabs,
                       size_t ntabs, const int32_t *tab_idx, uint8_t *out);
int lv_p256_keytab(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *tabs, uint8_t *status);
int lv_p256_test_ecmult_tab(const uint8_t *u1_32, const uint8_t *key, unsigned key_len, const uint8_t *u2_32,
                        uint8_t *out65);
int lv_p256_test_field8(int op, const uint8_t *a256, const uint8_t *b256, uint8_t *out256);
#define LV_P256_PATH_PORTABLE ...
#define LV_P256_PATH_ADX ...
#define LV_P256_PATH_IFMA8 ...
int lv_p256_best_path(void);
int lv_p256_path_ok(int path);
#define LV_P256_KEYTAB8_BYTES ...
int lv_p256_keytab8(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *tabs, uint8_t *status);
int lv_p256_verify_tab8(const uint8_t *digests, const uint8_t *sigs, size_t n, int low_s, const uint8_t *tabs,
                        size_t ntabs, const int32_t *tab_idx, uint8_t *out);
