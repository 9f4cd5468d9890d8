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
#include "hash_sha256_avx2_impl.h"
#include "hash_sm3_avx2_impl.h"
#include "hash_keccak_avx2_impl.h"
#include "hash_ripemd160_avx2_impl.h"
#endif

#define NEED_AVX512 (LV_CPU_AVX512F | LV_CPU_AVX512BW)
#define NEED_SHANI (LV_CPU_SHA | LV_CPU_SSE41)

int lv_hash_path_ok(int algo, int path) {
    if (algo < LV_HASH_SHA256 || algo > LV_HASH_KECCAK256) return 0;
    if (path == LV_PATH_PORTABLE) return 1;
#if defined(__x86_64__)
    uint32_t f = lv_cpu_features();
    if (path == LV_PATH_AVX512) return (f & NEED_AVX512) == NEED_AVX512;
    if (path == LV_PATH_AVX2) return (f & LV_CPU_AVX2) != 0;
    if (path == LV_PATH_SHANI)
        return (algo == LV_HASH_SHA256 || algo == LV_HASH_SHA256D) && (f & NEED_SHANI) == NEED_SHANI;
#endif
    return 0;
}

/* AUTO: the fastest path, by measurement.  One core of the AMD EPYC target (Zen 4 class), best of 5 over
 * 65536 messages of 64 bytes, ns per message, span entry / 64-byte entry (2026-11-28):
 *   sha256   portable 468/375   SHA-NI x2 75/57    AVX-512 x16 57/56
 *   sha256d  portable 692/599   SHA-NI x2 128/111  AVX-512 x16 89/79
 *   sm3      portable 801/795                      AVX-512 x16 70/75
 *   keccak   portable 365/338                      AVX-512 x8  105/77
 * AVX-512 ties SHA-NI on single SHA-256 of 64-byte messages and wins elsewhere, so it comes first.
 * With the AVX2 paths (2026-12-03, same machine, each path forced, best of 40 over 8192 messages; ns per
 * message, 64-byte entry / 65-byte spans through the lane scheduler; runs repeated 3 times under load from
 * other jobs, the vector paths within ~5% of each other, the portable ones up to 2x):
 *   sha256   portable 338/443   SHA-NI x2 59/73    AVX-512 x16 43/45  AVX2 2x8 73/97
 *   sha256d  portable 570/768   SHA-NI x2 109/124  AVX-512 x16 60/70  AVX2 2x8 116/149
 *   sm3      portable 500/795                      AVX-512 x16 60/57  AVX2 2x8 63/91
 *   keccak   portable 273/315                      AVX-512 x8  40/70  AVX2 x4  96/122
 * (64-byte spans now take the 64-byte entry, see spans_are_64.)  AVX-512 stays first everywhere.  On an AVX2
 * CPU with SHA-NI, SHA-NI x2 beats AVX2 2x8 on SHA-256 (59 vs 73) and, narrowly, on SHA-256d (109 vs 116, 124
 * vs 149 through the scheduler), so it comes before AVX2; AVX2 serves SHA-256 where SHA-NI is missing. */
#define NPATHS 4
static const int PATH_ORDER[4][NPATHS] = {
    /* sha256  */ {LV_PATH_AVX512, LV_PATH_SHANI, LV_PATH_AVX2, LV_PATH_PORTABLE},
    /* sha256d */ {LV_PATH_AVX512, LV_PATH_SHANI, LV_PATH_AVX2, LV_PATH_PORTABLE},
    /* sm3     */ {LV_PATH_AVX512, LV_PATH_AVX2, LV_PATH_PORTABLE, LV_PATH_PORTABLE},
    /* keccak  */ {LV_PATH_AVX512, LV_PATH_AVX2, LV_PATH_PORTABLE, LV_PATH_PORTABLE},
};

int lv_hash_best_path(int algo) {
    if (algo < LV_HASH_SHA256 || algo > LV_HASH_KECCAK256) return LV_EBADALGO;
    for (int i = 0; i < NPATHS; i++)
        if (lv_hash_path_ok(algo, PATH_ORDER[algo][i])) return PATH_ORDER[algo][i];
    return LV_PATH_PORTABLE;
}

static int resolve(int algo, int *path) {
    if (algo < LV_HASH_SHA256 || algo > LV_HASH_KECCAK256) return LV_EBADALGO;
    if (*path == LV_PATH_AUTO) *path = lv_hash_best_path(algo);
    if (!lv_hash_path_ok(algo, *path)) return LV_EBADPATH;
    return LV_OK;
}

static int check_offsets(size_t buf_len, const int64_t *offsets, size_t n) {
    if (offsets[0] < 0) return LV_EBADOFFSETS;
    for (size_t i = 0; i < n; i++)
        if (offsets[i + 1] < offsets[i]) return LV_EBADOFFSETS;
    if ((uint64_t)offsets[n] > (uint64_t)buf_len) return LV_EBADOFFSETS;
    return LV_OK;
}

/* One function per algorithm and entry, each a switch over the paths built into this module. */
static void spans_sha256(int path, const uint8_t *buf, const int64_t *off, size_t n, int dbl, uint8_t *out) {
    switch (path) {
#if defined(LV_HAVE_AVX512)
    case LV_PATH_AVX512: sha256_spans_x16(buf, off, n, dbl, out); return;
#endif
#if defined(LV_HAVE_AVX2)
    case LV_PATH_AVX2: sha256_spans_avx2(buf, off, n, dbl, out); return;
#endif
#if defined(LV_HAVE_SHANI)
    case LV_PATH_SHANI: sha256_spans_ni(buf, off, n, dbl, out); return;
#endif
    default: sha256_spans_portable(buf, off, n, dbl, out);
    }
}

static void spans_sm3(int path, const uint8_t *buf, const int64_t *off, size_t n, uint8_t *out) {
    switch (path) {
#if defined(LV_HAVE_AVX512)
    case LV_PATH_AVX512: sm3_spans_x16(buf, off, n, out); return;
#endif
#if defined(LV_HAVE_AVX2)
    case LV_PATH_AVX2: sm3_spans_avx2(buf, off, n, out); return;
#endif
    default: sm3_spans_portable(buf, off, n, out);
    }
}

static void spans_keccak(int path, const uint8_t *buf, const int64_t *off, size_t n, uint8_t *out) {
    switch (path) {
#if defined(LV_HAVE_AVX512)
    case LV_PATH_AVX512: keccak256_spans_x8(buf, off, n, out); return;
#endif
#if defined(LV_HAVE_AVX2)
    case LV_PATH_AVX2: keccak256_spans_avx2(buf, off, n, out); return;
#endif
    default: keccak256_spans_portable(buf, off, n, out);
    }
}

/* 1 when the spans are n messages of 64 bytes back to back (hash_batch of a list of 64-byte messages): the
 * 64-byte entry then skips the lane scheduler and uses the precomputed padding block (AVX2 SM3: 91 -> 64
 * ns a message; Keccak x8: 70 -> 39). */
static int spans_are_64(const int64_t *offsets, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (offsets[i + 1] - offsets[i] != 64) return 0;
    return 1;
}

int lv_hash_spans(int algo, int path, const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n,
                  uint8_t *out) {
    int rc = resolve(algo, &path);
    if (rc) return rc;
    rc = check_offsets(buf_len, offsets, n);
    if (rc) return rc;
    if (n == 0) return LV_OK;
    if (spans_are_64(offsets, n)) return lv_hash_64(algo, path, buf + offsets[0], n, out);
    if (algo == LV_HASH_SM3) spans_sm3(path, buf, offsets, n, out);
    else if (algo == LV_HASH_KECCAK256) spans_keccak(path, buf, offsets, n, out);
    else spans_sha256(path, buf, offsets, n, algo == LV_HASH_SHA256D, out);
    return LV_OK;
}

static void h64_sha256(int path, const uint8_t *in, size_t n, int dbl, uint8_t *out) {
    switch (path) {
#if defined(LV_HAVE_AVX512)
    case LV_PATH_AVX512: sha256_64_x16(in, n, dbl, out); return;
#endif
#if defined(LV_HAVE_AVX2)
    case LV_PATH_AVX2: sha256_64_avx2(in, n, dbl, out); return;
#endif
#if defined(LV_HAVE_SHANI)
    case LV_PATH_SHANI: sha256_64_ni(in, n, dbl, out); return;
#endif
    default: sha256_64_portable(in, n, dbl, out);
    }
}

static void h64_sm3(int path, const uint8_t *in, size_t n, uint8_t *out) {
    switch (path) {
#if defined(LV_HAVE_AVX512)
    case LV_PATH_AVX512: sm3_64_x16(in, n, out); return;
#endif
#if defined(LV_HAVE_AVX2)
    case LV_PATH_AVX2: sm3_64_avx2(in, n, out); return;
#endif
    default: sm3_64_portable(in, n, out);
    }
}

static void h64_keccak(int path, const uint8_t *in, size_t n, uint8_t *out) {
    switch (path) {
#if defined(LV_HAVE_AVX512)
    case LV_PATH_AVX512: keccak256_64_x8(in, n, out); return;
#endif
#if defined(LV_HAVE_AVX2)
    case LV_PATH_AVX2: keccak256_64_avx2(in, n, out); return;
#endif
    default:
        for (size_t i = 0; i < n; i++) keccak256_one(in + 64 * i, 64, out + 32 * i);
    }
}

int lv_hash_64(int algo, int path, const uint8_t *in, size_t n, uint8_t *out) {
    int rc = resolve(algo, &path);
    if (rc) return rc;
    if (n == 0) return LV_OK;
    if (algo == LV_HASH_SM3) h64_sm3(path, in, n, out);
    else if (algo == LV_HASH_KECCAK256) h64_keccak(path, in, n, out);
    else h64_sha256(path, in, n, algo == LV_HASH_SHA256D, out);
    return LV_OK;
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
    return LV_OK;
}

/* RIPEMD-160 of n 32-byte SHA-256 digests: AVX2 x8 where the CPU (after the mask) has it, 111 -> 25 ns a
 * digest on the AMD EPYC target; else the portable code. */
static void rmd160_32_batch(const uint8_t *in, size_t n, uint8_t *out) {
#if defined(LV_HAVE_AVX2)
    if (lv_cpu_features() & LV_CPU_AVX2) { rmd160_32_avx2(in, n, out); return; }
#endif
    for (size_t i = 0; i < n; i++) rmd160_one(in + 32 * i, 32, out + 20 * i);
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
        rmd160_32_batch(mid, m, out + 20 * base);
    }
    return LV_OK;
}
