#ifndef LV_POOL_H
#define LV_POOL_H
#include <stddef.h>
#include <stdint.h>
#include "lv_status.h"

/* Parked helpers: a pool thread that has just finished a shared job waits in C, without the GIL, spinning on
 * a slot word of a control block for up to ``spin_ns`` (OpenMP's "blocktime"); a caller that posts the next
 * job into its slot has it run that job's claim loop within a fraction of a microsecond, where waking a
 * Python pool thread takes 35-45 us (native/_pool.py).  After the window the helper returns to Python and
 * blocks as before, so an idle process burns no CPU.
 *
 * A job is an array of LV_JOB_WORDS int64 words (Python owns it; lv_pool_job_hash_* fill it): its kind and
 * the arguments of one *_shared hash call, the claim state that call shares (words LV_JOB_STATE and after,
 * as hash.h describes), the first misuse code any thread met (LV_JOB_RC), how many posted helpers have left
 * it (LV_JOB_LEFT: a helper touches the job, and the job only, until it counts itself out), how many woken
 * helpers have finished their share (LV_JOB_WOKEN_LEFT, counted the same way), and probe
 * stamps: CLOCK_MONOTONIC ns at which the first LV_JOB_STAMPS threads entered its claim loop.
 *
 * The control block is LV_POOL_WORDS int64 words (Python owns it, zeroed once): LV_POOL_SLOTS slots, each
 * word 0 while no helper is parked there, 1 while one is, or the address of the job posted to it.  A
 * helper takes a free slot 0 -> 1 and leaves it 1 -> 0, both by compare-and-swap, so a caller that posts
 * (1 -> job, compare-and-swap with release: the job's words are written before) either hands the job to a
 * helper that will run it or finds no helper (and falls back to waking one).  Several callers may post at
 * once: each slot goes to one of them.  Nothing here allocates or blocks indefinitely. */
#define LV_POOL_SLOTS   8
#define LV_POOL_SLOT_WORDS 8          /* a slot a cache line: parked helpers do not share one */
#define LV_POOL_CLOSED  0             /* header word: nonzero makes parked helpers leave and posts fail */
#define LV_POOL_HANDED  1             /* header word: jobs handed to parked helpers so far (a statistic) */
#define LV_POOL_RELEASES 2            /* header word: bumped by lv_pool_release; parked helpers leave */
#define LV_POOL_WORDS   (LV_POOL_SLOT_WORDS * (1 + LV_POOL_SLOTS))

#define LV_JOB_HASH_SPANS  1          /* lv_hash_spans_shared */
#define LV_JOB_HASH_PAIRS  2          /* lv_hash_pairs_shared */

#define LV_JOB_KIND     0
#define LV_JOB_RC       11
#define LV_JOB_LEFT     12
#define LV_JOB_JOINED  13
#define LV_JOB_WOKEN_LEFT 14
#define LV_JOB_T0       16
#define LV_JOB_STAMPS   8
#define LV_JOB_STATE    24
#define LV_JOB_WORDS    32

/* Fill ``job`` (LV_JOB_WORDS words, overwritten) with one lv_hash_spans_shared / lv_hash_pairs_shared call;
 * its arguments are checked when a thread runs it, as those entries check them.  The buffers must outlive
 * the job's completion (every item counted finished) or, when it fails, the return of every posted helper. */
int lv_pool_job_hash_spans(int64_t *job, int algo, int path, const uint8_t *buf, size_t buf_len,
                           const int64_t *offsets, size_t n, size_t piece, uint8_t *out);
int lv_pool_job_hash_pairs(int64_t *job, int algo, int path, const uint8_t *in, size_t n, int prefix, size_t piece,
                           uint8_t *out, uint8_t *equal);

/* Run the job's claim loop on this thread (the caller's share, or a woken helper's): LV_OK, or the misuse
 * code its call returned (also kept in job[LV_JOB_RC] when it is the first). */
int lv_pool_job_run(int64_t *job);

/* Hand ``job`` to up to ``want`` parked helpers; returns how many took it (0 when none is parked). */
int lv_pool_post(int64_t *ctl, int64_t *job, int want);

/* Run ``first`` (when not NULL: a woken helper's share of a job, its misuse kept in the job's LV_JOB_RC),
 * then park this thread in a free slot for up to ``spin_ns``, running each job posted to it and parking
 * again (with a fresh window) after each; returns the number of posted jobs it ran when the window passes
 * with none posted, or at once when no slot is free or the block is closed. */
int lv_pool_park(int64_t *ctl, int64_t *first, int64_t spin_ns);

/* 1 when every item of ``job`` is finished (its digests visible to this thread).  Otherwise waits: spinning
 * for up to ``spin_ns``, then sleeping in short naps, while any of the ``posted`` helpers is still inside
 * the job or fewer than ``woken`` woken helpers have finished their share (lv_pool_park's ``first``);
 * returns 0 once all of them have and the window has passed. */
int lv_pool_job_wait(const int64_t *job, int64_t posted, int64_t woken, int64_t spin_ns);

/* Close (closed = 1) or reopen (0) the control block: parked helpers leave within a poll, posts find none. */
int lv_pool_close(int64_t *ctl, int closed);

/* Send the helpers parked now back to Python (within a poll) without closing the block: other work is about
 * to want the cores they spin on. */
int lv_pool_release(int64_t *ctl);

#endif
