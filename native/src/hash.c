/* Batch hash entry points: validate, pick a path, run.  Paths and their measured speeds: see
 * lv_hash_best_path. */
#include "hash.h"
#include "cpu.h"
#include <time.h>
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
 * CPU with SHA-NI, SHA-NI x2 then beat AVX2 2x8 on SHA-256 (59 vs 73) and, narrowly, on SHA-256d (109 vs 116,
 * 124 vs 149 through the scheduler), so it comes before AVX2 (see below for the rolled rounds).
 * Keccak's AVX2 path runs a fifth state in scalar registers beside the vector four where BMI2 is kept (a
 * variant inside the path, not a path: the scalar round needs rorx/andn to pay), and the 64-byte entry peels
 * the first round and trims the last (2026-12-03, same machine, best of 40 over 8192 messages, 3 runs within
 * 2%): 64-byte entry 87-89 -> 75-76 ns (80-81 with BMI2 masked off), 65-byte spans 115-117 -> 107-109.
 * With the AVX2 SHA-256 rounds as a rolled loop (2026-12-04, same machine, SHA-NI and AVX2 forced on one
 * build, A/B interleaved, thread CPU time, best of 30-40 over 8192 messages; hash_sha256_avx2_impl.h),
 * SHA-NI x2 / AVX2 2x8, 64-byte entry / 65-byte spans:
 *   sha256   57/83  vs  56/74        sha256d  108/132  vs  89/114
 * AVX2 now wins on full groups of 16, but a batch's last group costs 16 lanes whatever it holds: 20
 * messages take two groups (~1.8 us) against 20 SHA-NI pairs (~1.1 us).  So SHA-NI stays first until the
 * AVX2 path hands its tail (n mod 16) to SHA-NI under AUTO; then SHA-256d gains ~17% on an AVX2 CPU with
 * SHA-NI (Zen 2/3, Hygon). */
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

static void h64_run(int algo, int path, const uint8_t *in, size_t n, uint8_t *out);

/* A resolved path, checked offsets, n > 0. */
static void spans_run(int algo, int path, const uint8_t *buf, const int64_t *offsets, size_t n, uint8_t *out) {
    if (spans_are_64(offsets, n)) h64_run(algo, path, buf + offsets[0], n, out);
    else if (algo == LV_HASH_SM3) spans_sm3(path, buf, offsets, n, out);
    else if (algo == LV_HASH_KECCAK256) spans_keccak(path, buf, offsets, n, out);
    else spans_sha256(path, buf, offsets, n, algo == LV_HASH_SHA256D, out);
}

/* With path AUTO, the lanes of a multi-buffer path idle behind a few long messages: a lone 200 KB SHA-256
 * message took 935 us in one of the 16 AVX-512 lanes and 2293 us in one AVX2 lane, against 175 us on SHA-NI
 * and 649 us portable; SM3 1265 (AVX-512) and 2164 (AVX2) against 1078 portable; Keccak 599 and 698 against
 * 403 (one core of the EPYC target, best of 15, 2026-12-03).  So messages of LONG_SPAN bytes or more go to
 * a one-stream path when there are too few of them to fill the lanes: SHA-NI while fewer than 12 (16 of 24
 * KB each took 121 us on AVX-512 and 161 on SHA-NI), else the portable code when the long one is alone.  A
 * SHA-256 batch of at most SMALL_BATCH messages goes to SHA-NI whole (8 of 1 KB: 5.6 against 7.1 us).
 * Forced paths are left alone: tests and benchmarks name the kernel they measure. */
#define LONG_SPAN 4096
#define SMALL_BATCH 8
#define NI_LONG_MAX 11

static int one_stream_path(int algo, int path, size_t nlong) {
    if (path != LV_PATH_AVX512 && path != LV_PATH_AVX2) return path;
    if (algo != LV_HASH_SM3 && algo != LV_HASH_KECCAK256 && lv_hash_path_ok(algo, LV_PATH_SHANI))
        return nlong <= NI_LONG_MAX ? LV_PATH_SHANI : path;
    return nlong == 1 ? LV_PATH_PORTABLE : path;
}

static void spans_auto(int algo, int path, const uint8_t *buf, const int64_t *offsets, size_t n, uint8_t *out) {
    int sha = algo == LV_HASH_SHA256 || algo == LV_HASH_SHA256D;
    if (sha && n <= SMALL_BATCH && one_stream_path(algo, path, 1) == LV_PATH_SHANI) path = LV_PATH_SHANI;
    size_t nlong = 0;
    for (size_t i = 0; i < n; i++) nlong += offsets[i + 1] - offsets[i] >= LONG_SPAN;
    int alone = one_stream_path(algo, path, nlong);
    if (nlong == 0 || alone == path) {
        spans_run(algo, path, buf, offsets, n, out);
        return;
    }
    size_t start = 0;   /* the run of short messages not yet hashed */
    for (size_t i = 0; i < n; i++) {
        if (offsets[i + 1] - offsets[i] < LONG_SPAN) continue;
        if (i > start) spans_run(algo, path, buf, offsets + start, i - start, out + 32 * start);
        spans_run(algo, alone, buf, offsets + i, 1, out + 32 * i);
        start = i + 1;
    }
    if (n > start) spans_run(algo, path, buf, offsets + start, n - start, out + 32 * start);
}

int lv_hash_spans(int algo, int path, const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n,
                  uint8_t *out) {
    int routed = path == LV_PATH_AUTO;
    int rc = resolve(algo, &path);
    if (rc) return rc;
    rc = check_offsets(buf_len, offsets, n);
    if (rc) return rc;
    if (n == 0) return LV_OK;
    (routed ? spans_auto : spans_run)(algo, path, buf, offsets, n, out);
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

static void h64_run(int algo, int path, const uint8_t *in, size_t n, uint8_t *out) {
    if (algo == LV_HASH_SM3) h64_sm3(path, in, n, out);
    else if (algo == LV_HASH_KECCAK256) h64_keccak(path, in, n, out);
    else h64_sha256(path, in, n, algo == LV_HASH_SHA256D, out);
}

int lv_hash_64(int algo, int path, const uint8_t *in, size_t n, uint8_t *out) {
    int rc = resolve(algo, &path);
    if (rc) return rc;
    if (n == 0) return LV_OK;
    h64_run(algo, path, in, n, out);
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

/* Shared claims (hash.h).  Why a counter in C and not chunks handed out in Python: a pool thread starts its
 * work 35-45 us after the caller (its wake-up, then the GIL), so two static halves of a ~1 ms batch end
 * ~40 us apart; and claiming pieces under the GIL cost more than it saved (native/_pool.py).  Here a late
 * thread claims fewer pieces and both finish within one piece of each other. */
static int shared_claim(int64_t *state, size_t n, size_t piece, size_t *base, size_t *m) {
    /* piece <= n (the callers clamp it), so the counter stays below n + threads * n: no overflow */
    int64_t c = __atomic_fetch_add(&state[0], (int64_t)piece, __ATOMIC_RELAXED);
    if (c < 0 || (uint64_t)c >= n) return 0;
    *base = (size_t)c;
    *m = n - *base < piece ? n - *base : piece;
    return 1;
}

static void shared_finish(int64_t *state, size_t m) {
    /* release: the piece's digests are visible to whoever reads the count with acquire (shared_wait) */
    __atomic_fetch_add(&state[1], (int64_t)m, __ATOMIC_RELEASE);
}

static int shared_args(int algo, int *path, size_t n, size_t *piece, const int64_t *state) {
    int rc = resolve(algo, path);
    if (rc) return rc;
    if (!state || *piece == 0) return LV_EMISUSE;
    if (*piece > n) *piece = n;
    return LV_OK;
}

int lv_hash_spans_shared(int algo, int path, const uint8_t *buf, size_t buf_len, const int64_t *offsets, size_t n,
                         size_t piece, int64_t *state, uint8_t *out) {
    size_t base, m;
    int routed = path == LV_PATH_AUTO;
    int rc = shared_args(algo, &path, n, &piece, state);
    if (rc) return rc;
    if (n == 0) return LV_OK;
    if (!offsets || !out || (!buf && buf_len)) return LV_EMISUSE;
    while (shared_claim(state, n, piece, &base, &m)) {
        rc = check_offsets(buf_len, offsets + base, m);
        if (rc) return rc;
        (routed ? spans_auto : spans_run)(algo, path, buf, offsets + base, m, out + 32 * base);
        shared_finish(state, m);
    }
    return LV_OK;
}

/* Prefixed pairs are copied this many at a time (8.3 KB of stack) into 65-byte messages. */
#define PREFIX_GROUP 128

int lv_hash_pairs_shared(int algo, int path, const uint8_t *in, size_t n, int prefix, size_t piece, int64_t *state,
                         uint8_t *out, uint8_t *equal) {
    uint8_t msg[PREFIX_GROUP * 65];
    int64_t off[PREFIX_GROUP + 1];
    size_t base, m;
    int rc = shared_args(algo, &path, n, &piece, state);
    if (rc) return rc;
    if (prefix < -1 || prefix > 255) return LV_EMISUSE;
    if (n == 0) return LV_OK;
    if (!in || !out) return LV_EMISUSE;
    for (size_t j = 0; j <= PREFIX_GROUP; j++) off[j] = 65 * (int64_t)j;
    while (shared_claim(state, n, piece, &base, &m)) {
        const uint8_t *src = in + 64 * base;
        if (prefix < 0) {
            h64_run(algo, path, src, m, out + 32 * base);
        } else {
            for (size_t g = 0; g < m; g += PREFIX_GROUP) {
                size_t k = m - g < PREFIX_GROUP ? m - g : PREFIX_GROUP;
                for (size_t j = 0; j < k; j++) {
                    msg[65 * j] = (uint8_t)prefix;
                    memcpy(msg + 65 * j + 1, src + 64 * (g + j), 64);
                }
                spans_run(algo, path, msg, off, k, out + 32 * (base + g));
            }
        }
        if (equal && lv_hash_pairs_equal(src, m)) __atomic_store_n(equal, (uint8_t)1, __ATOMIC_RELAXED);
        shared_finish(state, m);
    }
    return LV_OK;
}

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int lv_hash_shared_wait(const int64_t *state, size_t n, int64_t spin_ns) {
    if (!state) return LV_EMISUSE;
    int64_t deadline = 0;
    for (unsigned i = 0;; i++) {
        if ((uint64_t)__atomic_load_n(&state[1], __ATOMIC_ACQUIRE) >= n) return 1;
        /* the clock is read every 64 polls: a poll is a pause (~40-140 cycles), a clock read ~20 ns */
        if ((i & 63) == 0) {
            int64_t now = monotonic_ns();
            if (i == 0) deadline = now + spin_ns;
            else if (now >= deadline) return 0;
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
}
