/* Key-slot cache bookkeeping (see keyslots.h). */
#include <string.h>

#include "keyslots.h"
#include "lv_status.h"

int lv_keyslots_sec1_idents(const uint8_t *keys, const uint8_t *key_lens, size_t n, const int64_t *rows,
                            size_t m, uint8_t *out72) {
    if (m && (!keys || !key_lens || !rows || !out72)) return LV_EMISUSE;
    for (size_t t = 0; t < m; t++) {
        if (rows[t] < 0 || (uint64_t)rows[t] >= n) return LV_EMISUSE;
    }
    for (size_t t = 0; t < m; t++) {
        const uint8_t *k = keys + 65 * (size_t)rows[t];
        uint8_t len = key_lens[rows[t]], *o = out72 + LV_KEYSLOTS_SEC1_IDENT_BYTES * t;
        o[0] = len;
        memcpy(o + 1, k, 33);
        if (len == 65) memcpy(o + 34, k + 33, 32); else memset(o + 34, 0, 32);
        memset(o + 66, 0, LV_KEYSLOTS_SEC1_IDENT_BYTES - 66);
    }
    return LV_OK;
}

int lv_keyslots_fingerprints(const uint64_t *words, size_t m, size_t nw, uint64_t *out) {
    if (m && (!words || !out || !nw)) return LV_EMISUSE;
    for (size_t t = 0; t < m; t++) {
        const uint64_t *w = words + nw * t;
        uint64_t acc = w[0];
        for (size_t j = 1; j < nw; j++) acc ^= w[j] * ((uint64_t)j * 0x9E3779B97F4A7C16ULL | 1);
        out[t] = acc;
    }
    return LV_OK;
}

int lv_keyslots_find(const uint64_t *qwords, const uint64_t *qfp, size_t m, size_t nw, const uint64_t *sfp,
                     const int32_t *sslot, size_t ns, const uint64_t *rwords, size_t nrows, int32_t *found) {
    if (m && (!qwords || !qfp || !found || !nw)) return LV_EMISUSE;
    if (ns && (!sfp || !sslot || !rwords)) return LV_EMISUSE;
    for (size_t k = 0; k < ns; k++) {
        if (sslot[k] < 0 || (size_t)sslot[k] >= nrows) return LV_EBADSLOT;
    }
    if (ns == 0) {
        for (size_t t = 0; t < m; t++) found[t] = -1;
        return LV_OK;
    }
    /* Two passes, found[] holding each query's search position in between.  After a batch's verifications
     * have evicted the index and the stored keys, this lookup is cache misses: with one search-and-compare
     * loop (a branching binary search, queries in key order) 1,024 keys took 59 us, each query's compare
     * waiting on its own search.  Here the searches run branch-free (Khuong and Morin's lower bound) over
     * the small fingerprint array, which warms at once, and the compares of the second pass are
     * independent loads the core overlaps, helped by a prefetch some queries ahead. */
    for (size_t t = 0; t < m; t++) {
        uint64_t fp = qfp[t];
        const uint64_t *b = sfp;
        size_t len = ns;
        while (len > 1) {
            size_t half = len / 2;
            b = b[half] < fp ? b + half : b;
            len -= half;
        }
        found[t] = (int32_t)((size_t)(b - sfp) + (*b < fp));   /* ns <= nrows, which slots (int32) index */
    }
    enum { AHEAD = 8 };
    for (size_t t = 0; t < m; t++) {
        if (t + AHEAD < m && (size_t)found[t + AHEAD] < ns)
            __builtin_prefetch(rwords + nw * (size_t)sslot[found[t + AHEAD]]);
        uint64_t fp = qfp[t];
        size_t lo = (size_t)found[t];
        found[t] = -1;
        for (size_t p = lo; p < ns && sfp[p] == fp; p++) {   /* more than one only where fingerprints collide */
            const uint64_t *r = rwords + nw * (size_t)sslot[p];
            if (memcmp(r, qwords + nw * t, nw * sizeof *r) == 0) { found[t] = sslot[p]; break; }
        }
    }
    return LV_OK;
}

int lv_keyslots_pin(const int32_t *rows, size_t m, int32_t delta, int64_t now, size_t nrows, int32_t *pins,
                    int64_t *tick) {
    if (m && (!rows || !pins || (delta > 0 && !tick))) return LV_EMISUSE;
    for (size_t t = 0; t < m; t++) {
        if (rows[t] < 0 || (size_t)rows[t] >= nrows) return LV_EBADSLOT;
    }
    for (size_t t = 0; t < m; t++) {
        pins[rows[t]] += delta;
        if (delta > 0) tick[rows[t]] = now;
    }
    return LV_OK;
}
