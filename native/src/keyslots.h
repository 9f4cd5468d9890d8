/* The per-batch bookkeeping of native/_keyslots.py (KeySlotCache) that numpy did item by item in some
 * fifty whole-array calls (about 100 us of a 1,024-key lookup, all of it on the calling thread before a
 * batch's threads start): SEC1 key identities, their fingerprints, and the exact-match search of the
 * published rows.  Reads and writes only the caller's buffers. */
#ifndef LV_KEYSLOTS_H
#define LV_KEYSLOTS_H
#include <stddef.h>
#include <stdint.h>

#define LV_KEYSLOTS_SEC1_IDENT_BYTES 72

/* out72 row t = the identity of SEC1 key rows[t] of (n, 65) keys with lengths key_lens: its length byte,
 * its bytes zero-padded to 65 (bytes past a 33-byte key are not part of it), zeros to 72.  Rows must be
 * < n (LV_EMISUSE otherwise). */
int lv_keyslots_sec1_idents(const uint8_t *keys, const uint8_t *key_lens, size_t n, const int64_t *rows,
                            size_t m, uint8_t *out72);

/* out[t] = XOR over j of words[t][j] * (j * 0x9E3779B97F4A7C16 | 1) (mod 2^64), for m rows of nw words. */
int lv_keyslots_fingerprints(const uint64_t *words, size_t m, size_t nw, uint64_t *out);

/* found[t] = the published row holding query t exactly, or -1: a binary search of the ns ascending
 * fingerprints sfp (row sslot[k] for sfp[k]), then a comparison of all nw words of each candidate row of
 * rwords (nrows rows) until one matches.  LV_EBADSLOT when sslot names a row outside rwords. */
int lv_keyslots_find(const uint64_t *qwords, const uint64_t *qfp, size_t m, size_t nw, const uint64_t *sfp,
                     const int32_t *sslot, size_t ns, const uint64_t *rwords, size_t nrows, int32_t *found);

/* pins[rows[t]] += delta for each of the m rows (a row listed twice counts twice), and tick[rows[t]] = now
 * where delta > 0 (tick may be NULL otherwise): pinning and unpinning a batch's rows.  LV_EBADSLOT for a row
 * outside [0, nrows). */
int lv_keyslots_pin(const int32_t *rows, size_t m, int32_t delta, int64_t now, size_t nrows, int32_t *pins,
                    int64_t *tick);

#endif
