"""Spread a batch over threads: in contiguous chunks (``run_chunks``), or shared through a native claim
counter that every thread, the caller's included, draws pieces from: ``start_shared`` (signature batches,
the caller joining later) and ``run_job`` (hash jobs, described in native/src/pool.h: a helper parked in C
after its last job takes up the next without Python).

cffi releases the GIL for the whole native call, so a plain thread pool keeps every core busy; results never
depend on the thread count because each chunk or piece writes only its own slice.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from .errors import InvalidArgument, InvalidType, NativeMisuse

_pools: dict[int, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def resolve_threads(threads: int | None) -> int:
    if threads is None:
        return cpu_count()
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise InvalidType(f"threads must be an int or None, not {type(threads).__name__}")
    if threads < 1:
        raise InvalidArgument(f"threads must be >= 1, got {threads}")
    return threads


def _pool(n: int, background: bool = False) -> ThreadPoolExecutor:
    """The shared pool of n workers; ``start_shared`` helpers get pools of their own, so a caller that runs
    ``run_chunks`` while they work never queues behind them."""
    key = -n if background else n
    with _lock:
        p = _pools.get(key)
        if p is None:
            p = _pools[key] = ThreadPoolExecutor(max_workers=n, thread_name_prefix="ledgerval")
        return p


def run_chunks(n: int, threads: int | None, fn: Callable[[int, int], None], min_chunk: int = 1) -> None:
    """Call ``fn(start, stop)`` over ``[0, n)`` split into at most ``threads`` contiguous chunks of at
    least ``min_chunk`` items.  Runs inline when one chunk suffices.  Exceptions propagate.  (Hashing
    shares its batches through a native claim counter instead: ``run_job``.)"""
    t = resolve_threads(threads)
    if n <= 0:
        return
    chunks = max(1, min(t, n // max(1, min_chunk)))
    if chunks == 1:
        fn(0, n)
        return
    bounds = [n * i // chunks for i in range(chunks + 1)]
    # Measured 2026-12-03 (2 cores, 16,384 64-byte messages, ~1 ms a call): the pool thread starts its chunk
    # 35-45 us after the caller and the caller sees it finish 40 us late, but each half also runs ~5% slower
    # than half of one thread with both cores busy.  Guided self-scheduling (pieces of remaining / (2 t),
    # claimed under a lock, so a late thread claims less) lost to these two static chunks in an interleaved
    # A/B, medians of 200: 2-thread/1-thread 1.40x-1.69x against 1.58x-1.80x (remaining / t: 1.45x-1.78x;
    # spinning on the join instead of blocking: no gain): the per-piece Python call costs more than it saves.
    # Claims from a counter inside one GIL-free native call do not pay it: see run_job.
    release_parked()
    pool = _pool(t)
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, chunks)]
    fn(bounds[0], bounds[1])
    for f in futures:
        f.result()


# Helper tasks submitted by start_shared and not finished yet (under _lock).
_active_helpers = 0
# How long start_shared waits for an idle helper to reach its native call (a safety net: it is there within
# tens of microseconds unless the machine is overloaded).
_START_WAIT_S = 0.002


class Pending:
    """Work started by ``start_shared``: helper threads run ``drain`` while the caller does other work.
    ``join()`` makes the caller run ``drain`` too (taking whatever is still unclaimed, so nothing waits on a
    busy pool, and with one thread all of the work happens there), then waits for the helpers and re-raises
    the first exception any of them raised."""

    def __init__(self, drain: Callable[[], None], helpers: int, pool, wait_start: bool = True):
        global _active_helpers
        self._drain = drain
        self._started = threading.Event()
        with _lock:
            idle = _active_helpers == 0
            _active_helpers += helpers
        self._futures = []
        if helpers:
            release_parked()
        try:
            for _ in range(helpers):
                self._futures.append(pool.submit(self._helper))
        finally:  # (submit fails only at interpreter shutdown) the ones never submitted never finish
            with _lock:
                _active_helpers -= helpers - len(self._futures)
        if idle and helpers and wait_start:
            # A woken helper needs the GIL for the few bytecodes before its native call; a caller going on
            # with pure Python would hold it until the switch interval (5 ms) or its next native call (block
            # 277647: the helper started 1.3 ms late).  Waiting here hands the GIL over at once.
            self._started.wait(_START_WAIT_S)
        self._joined = False

    def _helper(self) -> None:
        global _active_helpers
        try:
            self._started.set()
            self._drain()
        finally:
            with _lock:
                _active_helpers -= 1

    def join(self) -> None:
        if self._joined:
            return
        self._joined = True
        try:
            self._drain()
        finally:
            for f in self._futures:
                f.result()


def start_shared(threads: int | None, drain: Callable[[], None], helpers_wanted: int,
                 wait_start: bool = True) -> Pending:
    """Start ``drain()`` on up to ``threads - 1`` helper threads (and at most ``helpers_wanted``) and return
    at once; the caller's thread joins in at ``join()``.  ``drain`` must be safe to run on several threads
    at once, each call taking work until none is left: the native ``*_shared`` entry points claim items by
    an atomic counter inside one GIL-free call, so helpers keep going while the caller runs Python (a
    Python-side queue would stall them: a helper waits for the GIL between items).  ``wait_start=False``
    when the caller joins at once (its native call hands the GIL over anyway)."""
    t = resolve_threads(threads)
    helpers = max(0, min(t - 1, helpers_wanted))
    return Pending(drain, helpers, _pool(t - 1, background=True) if helpers else None, wait_start)


# Parked helpers (native/src/pool.h).  A helper of run_job, once its job is done, stays in a GIL-free C wait
# for PARK_NS and runs the next job a caller posts to it at once; after the window it returns to Python and
# its pool thread blocks as before.  Measured 2026-12-04 (2 cores, Zen 4, 16,384 64-byte messages a call,
# `python benches/bench_kernels_hashes.py --handoff`): the helper's first claim 15-53 us after the caller's
# when woken, 0.9-4.4 us when parked; 2 threads against 1 1.58x-1.89x woken, 1.66x-2.07x parked (README,
# "Measured performance").  Back-to-back calls come 1-41 us apart (hash_batch in a loop, a Merkle tree's
# levels), so 200 us catches them with room for a loaded machine, and costs at most that much of one core
# after the last call of a burst (less when other threads want it: the wait yields, and start_shared and
# run_chunks send parked helpers back at once, release_parked).
PARK_NS = 200_000
# How long the caller spins for a helper's last piece before napping (a wake-up costs tens of us).
WAIT_NS = 100_000

_ctl: np.ndarray | None = None   # the control block: LV_POOL_WORDS words, made on first use
_posted: list = []               # (job, helpers) posted and not yet left by all of them: kept alive
_park_pools: dict[int, ThreadPoolExecutor] = {}


def job_ptr(a: np.ndarray):
    """An ``int64_t *`` to a job or control block array (writable, C-contiguous int64)."""
    from . import ffi

    return ffi.cast("int64_t *", ffi.from_buffer(a, require_writable=True))


def _control() -> np.ndarray:
    global _ctl
    with _lock:
        if _ctl is None:
            from . import lib

            _ctl = np.zeros(lib.LV_POOL_WORDS, dtype=np.int64)
        return _ctl


def _park_pool(n: int) -> ThreadPoolExecutor:
    """Pools of their own for run_job's helpers, so a parked one never holds a thread run_chunks waits for;
    n helpers at work plus as many as the slots can park, so a caller that finds every parked helper taken
    (another caller's) still gets n woken ones."""
    from . import lib

    with _lock:
        p = _park_pools.get(n)
        if p is None:
            p = _park_pools[n] = ThreadPoolExecutor(max_workers=n + lib.LV_POOL_SLOTS,
                                                    thread_name_prefix="ledgerval-park")
        return p


def release_parked() -> None:
    """Send helpers parked after a hash job back to Python now: other threads (a signature batch's) are
    about to want the cores they spin on."""
    if _ctl is not None:
        from . import lib

        lib.lv_pool_release(job_ptr(_ctl))


def _check(rc: int) -> None:
    from . import check_rc

    check_rc(rc, "native shared job")


def _helper(job: np.ndarray, park_ns: int, ctl: np.ndarray) -> None:
    """A woken helper: its share of ``job``, then parked for ``park_ns``, in one native call (misuse it
    meets is kept in the job for the caller)."""
    from . import lib

    lib.lv_pool_park(job_ptr(ctl), job_ptr(job), park_ns)


def new_job() -> np.ndarray:
    """A job array for the ``lv_pool_job_*`` fill functions."""
    from . import lib

    return np.zeros(lib.LV_JOB_WORDS, dtype=np.int64)


def run_job(threads: int | None, job: np.ndarray, helpers_wanted: int, park_ns: int = PARK_NS) -> None:
    """Run a filled native job (``new_job`` + ``lv_pool_job_*``) on the caller and up to ``threads - 1``
    helpers (at most ``helpers_wanted``), each claiming pieces until none is left, and return when every
    item is done; re-raises the misuse any thread met.  Helpers parked in C take the job first (posted, no
    Python on their side); pool threads are woken for the rest and park after their part for ``park_ns``
    (0: never).  The caller's claims done, it spins up to WAIT_NS for a helper's last piece, then naps; a
    woken helper that has not begun by then is not waited for (it would find nothing left).  Several
    threads may call this at once: a parked helper goes to one."""
    from . import lib

    t = resolve_threads(threads)
    helpers = max(0, min(t - 1, helpers_wanted))
    pj = job_ptr(job)
    if helpers == 0:
        _check(lib.lv_pool_job_run(pj))
        return
    ctl = _control()
    posted = lib.lv_pool_post(job_ptr(ctl), pj, helpers) if park_ns else 0
    if posted:
        left = lib.LV_JOB_LEFT
        with _lock:  # a posted helper may touch the job after the caller returns, until it counts itself out
            _posted[:] = [(j, k) for j, k in _posted if j[left] < k]
            _posted.append((job, posted))
    futures = []
    if helpers > posted:
        pool = _park_pool(t - 1)
        futures = [pool.submit(_helper, job, park_ns, ctl) for _ in range(helpers - posted)]
    rc, done = lib.LV_OK, False
    try:
        rc = lib.lv_pool_job_run(pj)
        done = lib.lv_pool_job_wait(pj, posted, 0, WAIT_NS) == 1
    finally:
        # one still queued would only find nothing left to claim; the others are waited for (their share,
        # not their park: a parked helper may take other callers' jobs for long) unless every item is done
        begun = sum(not f.cancel() for f in futures)
        if rc != lib.LV_OK or not done:
            lib.lv_pool_job_wait(pj, posted, begun, 0)
    _check(rc)  # (an empty job is done at once, even one no thread could run)
    if not done:
        _check(int(job[lib.LV_JOB_RC]))
        if lib.lv_pool_job_wait(pj, 0, 0, 0) != 1:
            raise NativeMisuse("native shared job: items left unfinished")


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: slots marked parked there would take jobs no one
    runs, and the pools' queues would feed no thread."""
    global _ctl, _active_helpers, _lock
    _lock = threading.Lock()  # the parent may have held it while forking
    _ctl = None
    _posted.clear()
    _park_pools.clear()
    _pools.clear()
    _active_helpers = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
