#ifndef LV_ED25519_H
#define LV_ED25519_H
#include <stddef.h>
#include <stdint.h>

/* Return codes of the entry points: LV_ED25519_OK, or misuse (bad pointers, offsets out of the buffer or
 * decreasing, scratch too small, unknown test op).  Bad data is never an error: it is a 0 status byte. */
#define LV_ED25519_OK 0
#define LV_ED25519_EINVAL (-1)
#define LV_ED25519_ESCRATCH (-2)
#define LV_ED25519_BATCH_MAX 256

/* Message i of a call is msg_buf[offsets[i] : offsets[i+1]], all offsets within [0, msg_len]. */
int lv_ed25519_verify(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                      const int64_t *offsets, size_t n, uint8_t *status);
size_t lv_ed25519_batch_scratch_bytes(size_t batch_size);
int lv_ed25519_verify_batch(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                            const int64_t *offsets, const uint8_t *rand16, size_t n, size_t batch_size,
                            uint8_t *scratch, size_t scratch_len, uint8_t *status);
int lv_ed25519_sign(const uint8_t *seeds, const uint8_t *msg_buf, size_t msg_len, const int64_t *offsets,
                    size_t n, uint8_t *sigs);
int lv_ed25519_pubkeys(const uint8_t *seeds, size_t n, uint8_t *keys);
int lv_ed25519_sha512(const uint8_t *msg_buf, size_t msg_len, const int64_t *offsets, size_t n, uint8_t *out);

/* Test-only entry points that reach the field, scalar and group layers. */
int lv_ed25519_test_fe(int op, const uint8_t *a, const uint8_t *b, uint8_t *out);
int lv_ed25519_test_sc(int op, const uint8_t *a, const uint8_t *b, uint8_t *out);
int lv_ed25519_test_ge(int op, const uint8_t *a, const uint8_t *b, uint8_t *out);
int lv_ed25519_test_decode_many(const uint8_t *encs, size_t n, uint8_t *ok, uint8_t *reenc);

#endif
