/* See native/src/keyslots.h. */
#define LV_KEYSLOTS_SEC1_IDENT_BYTES ...
int lv_keyslots_sec1_idents(const uint8_t *keys, const uint8_t *key_lens, size_t n, const int64_t *rows,
                            size_t m, uint8_t *out72);
int lv_keyslots_fingerprints(const uint64_t *words, size_t m, size_t nw, uint64_t *out);
int lv_keyslots_find(const uint64_t *qwords, const uint64_t *qfp, size_t m, size_t nw, const uint64_t *sfp,
                     const int32_t *sslot, size_t ns, const uint64_t *rwords, size_t nrows, int32_t *found);
int lv_keyslots_pin(const int32_t *rows, size_t m, int32_t delta, int64_t now, size_t nrows, int32_t *pins,
                    int64_t *tick);
