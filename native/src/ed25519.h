#ifndef LV_ED25519_H
#define LV_ED25519_H
#include <stddef.h>
#include <stdint.h>

/* Return codes of the entry points (lv_status.h): LV_OK, or misuse: LV_EMISUSE (bad pointers, batch size,
 * unknown test op), LV_EBADOFFSETS (offsets out of the buffer or decreasing), LV_EBADSLOT, LV_ESCRATCH
 * (scratch too small).  Bad data is never an error: it is a 0 status byte. */
#include "lv_status.h"
#define LV_ED25519_BATCH_MAX 256

/* Message i of a call is msg_buf[offsets[i] : offsets[i+1]], all offsets within [0, msg_len]. */
int lv_ed25519_verify(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                      const int64_t *offsets, size_t n, uint8_t *status);
size_t lv_ed25519_batch_scratch_bytes(size_t batch_size);
int lv_ed25519_verify_batch(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                            const int64_t *offsets, const uint8_t *rand16, size_t n, size_t batch_size,
                            uint8_t *scratch, size_t scratch_len, uint8_t *status);
/* Per-key slot cache: rows of LV_ED25519_KEYSLOT_BYTES in an arena the caller owns (layout in ed25519.c).
 * keyslots_fill: row slots[i] gets key i decoded with its table of odd multiples; ok[i] = 0 and the row
 * zeroed when the key does not decode.  The rows must be distinct and not read by any call meanwhile.
 * verify_slots / verify_batch_slots: as the calls above, with slots[i] >= 0 naming a row filled from
 * exactly key i's bytes, or -1 to decode key i here.  A slot outside [-1, arena_rows) (fill: [0,
 * arena_rows)) is LV_EBADSLOT. */
#define LV_ED25519_KEYSLOT_BYTES 5288
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

/* Test-only entry points that reach the field, scalar and group layers. */
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

/* Paths (ed25519.c's measured ED_PATH_ORDER): IFMA8 decodes points, builds tables and runs the batch
 * equation's columns eight lanes per AVX-512 IFMA vector; AVX2 is the portable code with point decoding's
 * square roots eight at a time (two sets of four AVX2 lanes); ADX is the AVX2 path with the batch equation,
 * its tables and the decoder's leftover square roots on a 4x64 MULX/ADCX/ADOX field (BMI2 and ADX);
 * PORTABLE is the 5x51 C code.  best_path: the
 * one the entry points use now (honouring lv_cpu_features' mask); path_ok: whether this CPU and build have
 * it. */
#define LV_ED25519_PATH_PORTABLE 0
#define LV_ED25519_PATH_IFMA8 1
#define LV_ED25519_PATH_AVX2 2
#define LV_ED25519_PATH_ADX 3
int lv_ed25519_best_path(void);
int lv_ed25519_path_ok(int path);

#endif
