/* Parked helpers and shared jobs (pool.h).
 *
 * Memory ordering.  A caller writes a job's words (plain stores, in lv_pool_job_hash_* or from Python) and
 * then publishes its address in a slot with a release compare-and-swap; the helper reads the slot with an
 * acquire load, so it sees every word of the job.  Items are finished with release adds on the claim state
 * (hash.c) and the caller reads them with acquire (lv_pool_job_wait), so it sees the helper's digests.  A
 * helper's last touch of a job is its release add to LV_JOB_LEFT: after that the caller may reuse or free
 * it; a helper parks again (its slot back to 1) only after that add. */
#include "pool.h"
#include "hash.h"
#include <sched.h>
#include <string.h>
#include <time.h>

/* The argument words of a job (the layout pool.h leaves to this file). */
enum { J_ALGO = 1, J_PATH, J_BUF, J_BUF_LEN, J_IN, J_N, J_PIECE, J_OUT, J_PREFIX, J_EQUAL };
enum { SLOT_IDLE = 0, SLOT_PARKED = 1 };

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static int64_t *slot_at(int64_t *ctl, int i) { return ctl + LV_POOL_SLOT_WORDS * (1 + i); }

static void *word_ptr(int64_t w) { return (void *)(intptr_t)w; }
static int64_t ptr_word(const void *p) { return (int64_t)(intptr_t)p; }

/* The words every job kind has; the rest zeroed. */
static void job_init(int64_t *job, int kind, int algo, int path, size_t n, size_t piece, uint8_t *out) {
    memset(job, 0, LV_JOB_WORDS * sizeof *job);
    job[LV_JOB_KIND] = kind;
    job[J_ALGO] = algo;
    job[J_PATH] = path;
    job[J_N] = (int64_t)n;
    job[J_PIECE] = (int64_t)piece;
    job[J_OUT] = ptr_word(out);
}

int lv_pool_job_hash_spans(int64_t *job, int algo, int path, const uint8_t *buf, size_t buf_len,
                           const int64_t *offsets, size_t n, size_t piece, uint8_t *out) {
    if (!job) return LV_EMISUSE;
    job_init(job, LV_JOB_HASH_SPANS, algo, path, n, piece, out);
    job[J_BUF] = ptr_word(buf);
    job[J_BUF_LEN] = (int64_t)buf_len;
    job[J_IN] = ptr_word(offsets);
    return LV_OK;
}

int lv_pool_job_hash_pairs(int64_t *job, int algo, int path, const uint8_t *in, size_t n, int prefix, size_t piece,
                           uint8_t *out, uint8_t *equal) {
    if (!job) return LV_EMISUSE;
    job_init(job, LV_JOB_HASH_PAIRS, algo, path, n, piece, out);
    job[J_IN] = ptr_word(in);
    job[J_PREFIX] = prefix;
    job[J_EQUAL] = ptr_word(equal);
    return LV_OK;
}

int lv_pool_job_run(int64_t *job) {
    if (!job) return LV_EMISUSE;
    int64_t k = __atomic_fetch_add(&job[LV_JOB_JOINED], 1, __ATOMIC_RELAXED);
    if (k < LV_JOB_STAMPS) __atomic_store_n(&job[LV_JOB_T0 + k], now_ns(), __ATOMIC_RELAXED);
    int64_t *state = job + LV_JOB_STATE;
    int rc;
    switch (job[LV_JOB_KIND]) {
    case LV_JOB_HASH_SPANS:
        rc = lv_hash_spans_shared((int)job[J_ALGO], (int)job[J_PATH], word_ptr(job[J_BUF]), (size_t)job[J_BUF_LEN],
                                  word_ptr(job[J_IN]), (size_t)job[J_N], (size_t)job[J_PIECE], state,
                                  word_ptr(job[J_OUT]));
        break;
    case LV_JOB_HASH_PAIRS:
        rc = lv_hash_pairs_shared((int)job[J_ALGO], (int)job[J_PATH], word_ptr(job[J_IN]), (size_t)job[J_N],
                                  (int)job[J_PREFIX], (size_t)job[J_PIECE], state, word_ptr(job[J_OUT]),
                                  word_ptr(job[J_EQUAL]));
        break;
    default:
        rc = LV_EMISUSE;
    }
    if (rc) {
        int64_t none = 0;
        __atomic_compare_exchange_n(&job[LV_JOB_RC], &none, rc, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    }
    return rc;
}

int lv_pool_post(int64_t *ctl, int64_t *job, int want) {
    if (!ctl || !job || want < 0) return LV_EMISUSE;
    if (__atomic_load_n(&ctl[LV_POOL_CLOSED], __ATOMIC_RELAXED)) return 0;
    int got = 0;
    for (int i = 0; i < LV_POOL_SLOTS && got < want; i++) {
        int64_t *slot = slot_at(ctl, i);
        int64_t parked = SLOT_PARKED;
        /* a plain load first: a compare-and-swap on a slot that is not parked would still take its line */
        if (__atomic_load_n(slot, __ATOMIC_RELAXED) != SLOT_PARKED) continue;
        if (__atomic_compare_exchange_n(slot, &parked, ptr_word(job), 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            got++;
    }
    if (got) __atomic_fetch_add(&ctl[LV_POOL_HANDED], got, __ATOMIC_RELAXED);
    return got;
}

/* Polls between clock reads (a poll is a pause, ~40-140 cycles; a clock read ~20 ns), and between yields
 * of the core to another runnable thread (a loaded machine: the spin then costs others little). */
#define POLLS_PER_CLOCK 64
#define POLLS_PER_YIELD 1024

int lv_pool_park(int64_t *ctl, int64_t *first, int64_t spin_ns) {
    if (!ctl || spin_ns < 0) return LV_EMISUSE;
    /* a woken helper's own share first, in the same call: going back to Python in between would wait for
     * the GIL, which the caller holds as soon as it returns, and the next job would find no one parked */
    if (first) {
        lv_pool_job_run(first);
        __atomic_fetch_add(&first[LV_JOB_WOKEN_LEFT], 1, __ATOMIC_RELEASE);  /* its last touch of the job */
    }
    if (spin_ns == 0) return 0;
    int64_t *slot = NULL;
    for (int i = 0; i < LV_POOL_SLOTS && !slot; i++) {
        int64_t idle = SLOT_IDLE;
        int64_t *s = slot_at(ctl, i);
        if (__atomic_load_n(s, __ATOMIC_RELAXED) == SLOT_IDLE &&
            __atomic_compare_exchange_n(s, &idle, SLOT_PARKED, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            slot = s;
    }
    if (!slot) return 0;
    int ran = 0;
    int64_t releases = __atomic_load_n(&ctl[LV_POOL_RELEASES], __ATOMIC_RELAXED);
    int64_t deadline = now_ns() + spin_ns;
    for (unsigned i = 1;; i++) {
        int64_t v = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (v != SLOT_PARKED) {
            int64_t *job = word_ptr(v);
            lv_pool_job_run(job);
            __atomic_fetch_add(&job[LV_JOB_LEFT], 1, __ATOMIC_RELEASE);
            __atomic_store_n(slot, SLOT_PARKED, __ATOMIC_RELEASE);
            ran++;
            deadline = now_ns() + spin_ns;
            i = 0;
            continue;
        }
        if (i % POLLS_PER_CLOCK == 0) {
            if (__atomic_load_n(&ctl[LV_POOL_CLOSED], __ATOMIC_RELAXED) || now_ns() >= deadline ||
                __atomic_load_n(&ctl[LV_POOL_RELEASES], __ATOMIC_RELAXED) != releases) {
                int64_t parked = SLOT_PARKED;
                /* on failure a caller posted meanwhile: the next poll reads its job (acquire) */
                if (__atomic_compare_exchange_n(slot, &parked, SLOT_IDLE, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                    return ran;
                continue;
            }
            if (i % POLLS_PER_YIELD == 0) sched_yield();
        }
        cpu_relax();
    }
}

static int job_done(const int64_t *job) {
    return (uint64_t)__atomic_load_n(&job[LV_JOB_STATE + 1], __ATOMIC_ACQUIRE) >= (uint64_t)job[J_N];
}

int lv_pool_job_wait(const int64_t *job, int64_t posted, int64_t woken, int64_t spin_ns) {
    if (!job || posted < 0 || woken < 0 || spin_ns < 0) return LV_EMISUSE;
    const struct timespec nap = {0, 20000};
    int64_t deadline = 0;
    int spun = 0;
    for (unsigned i = 0;; i++) {
        if (job_done(job)) return 1;
        if (i % POLLS_PER_CLOCK == 0) {
            int64_t now = now_ns();
            if (i == 0) deadline = now + spin_ns;
            else if (now >= deadline) spun = 1;
        }
        if (spun) {
            /* a posted helper may still hold a piece (or be descheduled): it must leave before the
             * caller may free the buffers, so wait for it without burning the core */
            if (__atomic_load_n(&job[LV_JOB_LEFT], __ATOMIC_ACQUIRE) >= posted &&
                __atomic_load_n(&job[LV_JOB_WOKEN_LEFT], __ATOMIC_ACQUIRE) >= woken)
                return job_done(job);
            nanosleep(&nap, NULL);
        } else {
            cpu_relax();
        }
    }
}

int lv_pool_close(int64_t *ctl, int closed) {
    if (!ctl) return LV_EMISUSE;
    __atomic_store_n(&ctl[LV_POOL_CLOSED], closed ? 1 : 0, __ATOMIC_RELAXED);
    return LV_OK;
}

int lv_pool_release(int64_t *ctl) {
    if (!ctl) return LV_EMISUSE;
    __atomic_fetch_add(&ctl[LV_POOL_RELEASES], 1, __ATOMIC_RELAXED);
    return LV_OK;
}
