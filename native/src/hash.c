/* Batch hash entry points: validate, pick a path, run.  Paths and their measured speeds: see
 * lv_hash_best_path. */
#include "hash.h"
#include "cpu.h"
#include "hash_common_impl.h"
#include "hash_sha256_impl.h"
#include "hash_sm3_impl.h"
#include "hash_keccak_impl.h"
#include "hash_ripemd160_impl.h"
#if defined(__x86_64__)
#include "hash_sha256_ni_impl.h"
#include "hash_sha256_x16_impl.h"
#endif

#define NEED_AVX512 (LV_CPU_AVX512F | LV_CPU_AVX512BW)
#define NEED_SHANI (LV_CPU_SHA | LV_CPU_SSE41)

int lv_hash_path_ok(int algo, int path) {
    if (algo < LV_HASH_SHA256 || algo > LV_HASH_KECCAK256) return 0;
    if (path == LV_PATH_PORTABLE) return 1;
#if defined(__x86_64__)
    uint32_t f = lv_cpu_features();
    if (path == LV_PATH_AVX512) return (f & NEED_AVX512) == NEED_AVX512;
    if (path == LV_PATH_SHANI)
        return (algo == LV_HASH_SHA256 || algo == LV_HASH_SHA256D) && (f & NEED_SHANI) == NEED_SHANI;
#endif
    return 0;
}

/* AUTO: the fastest path, by measurement.  One core of the AMD EPYC target (Zen 4 class), best of 5 over
 * 65536 messages of 64 bytes, ns per message, span entry / 64-byte entry:
 *   sha256   portable 468/375   SHA-NI x2 75/57    AVX-512 x16 57/56
 *   sha256d  portable 692/599   SHA-NI x2 128/111  AVX-512 x16 89/79
 *   sm3      portable 801/795                      AVX-512 x16 70/75
 *   keccak   portable 365/338                      AVX-512 x8  105/77
 * AVX-512 ties SHA-NI on single SHA-256 of 64-byte messages and wins elsewhere, so it comes first. */
static const int PATH_ORDER[4][3] = {
    /* sha256  */ {LV_PATH_AVX512, LV_PATH_SHANI, LV_PATH_PORTABLE},
    /* sha256d */ {LV_PATH_AVX512, LV_PATH_SHANI, LV_PATH_PORTABLE},
    /* sm3     */ {LV_PATH_AVX512, LV_PATH_PORTABLE, LV_PATH_PORTABLE},
    /* keccak  */ {LV_PATH_AVX512, LV_PATH_PORTABLE, LV_PATH_PORTABLE},
};

int lv_hash_best_path(int algo) {
    if (algo < LV_HASH_SHA256 || algo > LV_HASH_KECCAK256) return LV_HASH_EBADALGO;
    for (int i = 0; i < 3; i++)
        if (lv_hash_path_ok(algo, PATH_ORDER[algo][i])) return PATH_ORDER[algo][i];
    return LV_PATH_PORTABLE;
}

static int resolve(int algo, int *path) {
    if (algo < LV_HASH_SHA256 || algo > LV_HASH_KECCAK256) return LV_HASH_EBADALGO;
    if (*path == LV_PATH_AUTO) *path = lv_hash_best_path(algo);
    if (!lv_hash_path_ok(algo, *path)) return LV_HASH_EBADPATH;
    return LV_HASH_OK;
}

static int check_offsets(size_t buf_len, const int64_t *offsets, size_t n) {
    if (offsets[0] < 0) return LV_HASH_EBADOFFSETS;
    for (size_t i = 0; i < n; i++)
        if (offsets[i + 1] < offsets[i]) return LV_HASH_EBADOFFSETS;
    if ((uint64_t)offsets[n] > (uint64_t)buf_len) return LV_HASH_EBADOFFSETS;
    return LV_HASH_OK;
}

int lv_hash_spans(int algo, int path, const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n,
                  uint8_t *out) {
    int rc = resolve(algo, &path);
    if (rc) return rc;
    rc = check_offsets(buf_len, offsets, n);
    if (rc) return rc;
    if (n == 0) return LV_HASH_OK;
    int dbl = algo == LV_HASH_SHA256D;
    switch (algo) {
    case LV_HASH_SHA256:
    case LV_HASH_SHA256D:
#if defined(LV_HAVE_AVX512)
        if (path == LV_PATH_AVX512) { sha256_spans_x16(buf, offsets, n, dbl, out); return LV_HASH_OK; }
#endif
#if defined(LV_HAVE_SHANI)
        if (path == LV_PATH_SHANI) { sha256_spans_ni(buf, offsets, n, dbl, out); return LV_HASH_OK; }
#endif
        sha256_spans_portable(buf, offsets, n, dbl, out);
        return LV_HASH_OK;
    case LV_HASH_SM3:
#if defined(LV_HAVE_AVX512)
        if (path == LV_PATH_AVX512) { sm3_spans_x16(buf, offsets, n, out); return LV_HASH_OK; }
#endif
        sm3_spans_portable(buf, offsets, n, out);
        return LV_HASH_OK;
    default:
#if defined(LV_HAVE_AVX512)
        if (path == LV_PATH_AVX512) { keccak256_spans_x8(buf, offsets, n, out); return LV_HASH_OK; }
#endif
        keccak256_spans_portable(buf, offsets, n, out);
        return LV_HASH_OK;
    }
}

int lv_hash_64(int algo, int path, const uint8_t *in, size_t n, uint8_t *out) {
    int rc = resolve(algo, &path);
    if (rc) return rc;
    if (n == 0) return LV_HASH_OK;
    int dbl = algo == LV_HASH_SHA256D;
    switch (algo) {
    case LV_HASH_SHA256:
    case LV_HASH_SHA256D:
#if defined(LV_HAVE_AVX512)
        if (path == LV_PATH_AVX512) { sha256_64_x16(in, n, dbl, out); return LV_HASH_OK; }
#endif
#if defined(LV_HAVE_SHANI)
        if (path == LV_PATH_SHANI) { sha256_64_ni(in, n, dbl, out); return LV_HASH_OK; }
#endif
        sha256_64_portable(in, n, dbl, out);
        return LV_HASH_OK;
    case LV_HASH_SM3:
#if defined(LV_HAVE_AVX512)
        if (path == LV_PATH_AVX512) { sm3_64_x16(in, n, out); return LV_HASH_OK; }
#endif
        sm3_64_portable(in, n, out);
        return LV_HASH_OK;
    default:
#if defined(LV_HAVE_AVX512)
        if (path == LV_PATH_AVX512) { keccak256_64_x8(in, n, out); return LV_HASH_OK; }
#endif
        for (size_t i = 0; i < n; i++) keccak256_one(in + 64 * i, 64, out + 32 * i);
        return LV_HASH_OK;
    }
}

int lv_hash_pairs_equal(const uint8_t *in, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(in + 64 * i, in + 64 * i + 32, 32) == 0) return 1;
    return 0;
}

int lv_ripemd160_spans(const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n, uint8_t *out) {
    int rc = check_offsets(buf_len, offsets, n);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) rmd160_one(buf + offsets[i], (uint64_t)(offsets[i + 1] - offsets[i]), out + 20 * i);
    return LV_HASH_OK;
}

int lv_hash160_spans(int path, const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n,
                     uint8_t *out) {
    enum { GROUP = 64 };
    uint8_t mid[GROUP * 32];
    int rc = resolve(LV_HASH_SHA256, &path);  /* a bad path is misuse even for an empty batch */
    if (rc) return rc;
    rc = check_offsets(buf_len, offsets, n);
    if (rc) return rc;
    for (size_t base = 0; base < n; base += GROUP) {
        size_t m = n - base < GROUP ? n - base : GROUP;
        rc = lv_hash_spans(LV_HASH_SHA256, path, buf, buf_len, offsets + base, m, mid);
        if (rc) return rc;
        for (size_t i = 0; i < m; i++) rmd160_one(mid + 32 * i, 32, out + 20 * (base + i));
    }
    return LV_HASH_OK;
}
