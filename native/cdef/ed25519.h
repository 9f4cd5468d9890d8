/* Ed25519 (RFC 8032): verification (single and batch), signing and keys for test data, SHA-512. */
#define LV_ED25519_BATCH_MAX ...
int lv_ed25519_verify(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                      const int64_t *offsets, size_t n, uint8_t *status);
size_t lv_ed25519_batch_scratch_bytes(size_t batch_size);
int lv_ed25519_verify_batch(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                            const int64_t *offsets, const uint8_t *rand16, size_t n, size_t batch_size,
                            uint8_t *scratch, size_t scratch_len, uint8_t *status);
#define LV_ED25519_KEYSLOT_BYTES ...
int lv_ed25519_keyslots_fill(const uint8_t *keys, size_t n, uint8_t *arena, size_t arena_rows, const int32_t *slots,
                             uint8_t *ok);
int lv_ed25519_verify_slots(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                            const int64_t *offsets, size_t n, const uint8_t *arena, size_t arena_rows,
                            const int32_t *slots, uint8_t *status);
int lv_ed25519_verify_batch_slots(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                                  const int64_t *offsets, const uint8_t *rand16, size_t n, size_t batch_size,
                                  uint8_t *scratch, size_t scratch_len, const uint8_t *arena, size_t arena_rows,
                                  const int32_t *slots, uint8_t *status);
int lv_ed25519_sign(const uint8_t *seeds, const uint8_t *msg_buf, size_t msg_len, const int64_t *offsets,
                    size_t n, uint8_t *sigs);
int lv_ed25519_pubkeys(const uint8_t *seeds, size_t n, uint8_t *keys);
int lv_ed25519_sha512(const uint8_t *msg_buf, size_t msg_len, const int64_t *offsets, size_t n, uint8_t *out);
int lv_ed25519_test_fe(int op, const uint8_t *a, const uint8_t *b, uint8_t *out);
int lv_ed25519_test_fe64(int op, const uint8_t *a, const uint8_t *b, uint8_t *out);
int lv_ed25519_test_sc(int op, const uint8_t *a, const uint8_t *b, uint8_t *out);
int lv_ed25519_test_ge(int op, const uint8_t *a, const uint8_t *b, uint8_t *out);
int lv_ed25519_test_challenges(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                               const int64_t *offsets, size_t n, uint8_t *out);
int lv_ed25519_test_decode_many(const uint8_t *encs, size_t n, uint8_t *ok, uint8_t *reenc);
int lv_ed25519_test_batch_equation(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                                   const int64_t *offsets, const uint8_t *rand16, size_t n, uint8_t *scratch,
                                   size_t scratch_len, const uint8_t *arena, size_t arena_rows,
                                   const int32_t *slots, uint8_t *status);
#define LV_ED25519_PATH_PORTABLE ...
#define LV_ED25519_PATH_IFMA8 ...
#define LV_ED25519_PATH_AVX2 ...
#define LV_ED25519_PATH_ADX ...
int lv_ed25519_best_path(void);
int lv_ed25519_path_ok(int path);
