"""Spread a batch over threads: in contiguous chunks (``run_chunks``), or shared through a native claim
counter that every thread, the caller's included, draws pieces from (``run_shared``, ``start_shared``).

cffi releases the GIL for the whole native call, so a plain thread pool keeps every core busy; results never
depend on the thread count because each chunk or piece writes only its own slice.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable

from .errors import InvalidArgument, InvalidType

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
    shares its batches through a native claim counter instead: ``run_shared``.)"""
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
    # Claims from a counter inside one GIL-free native call do not pay it: see run_shared.
    pool = _pool(t)
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, chunks)]
    fn(bounds[0], bounds[1])
    for f in futures:
        f.result()


def run_shared(threads: int | None, drain: Callable[[], None], helpers_wanted: int,
               finished: Callable[[], bool]) -> None:
    """Run ``drain()`` in the caller and at once on up to ``threads - 1`` pool threads (at most
    ``helpers_wanted``), each call claiming pieces of one batch from a native shared counter until none is
    left (the hash ``*_shared`` entries), and return when the batch is done.  ``finished()``, asked once the
    caller's own claims run out, says whether every piece is done (a pool thread may still be in its last
    one, or may not have started at all: then it claims nothing and is not waited for).  Otherwise this
    waits for the pool threads and re-raises the first exception one raised."""
    t = resolve_threads(threads)
    helpers = max(0, min(t - 1, helpers_wanted))
    if helpers == 0:
        drain()
        return
    pool = _pool(t)
    futures = [pool.submit(drain) for _ in range(helpers)]
    try:
        drain()
        done = finished()
    except BaseException:
        wait(futures)
        raise
    if done:
        for f in futures:
            f.cancel()  # one still queued would only find nothing left to claim
        return
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

    def __init__(self, drain: Callable[[], None], helpers: int, pool):
        global _active_helpers
        self._drain = drain
        self._started = threading.Event()
        with _lock:
            idle = _active_helpers == 0
            _active_helpers += helpers
        self._futures = []
        try:
            for _ in range(helpers):
                self._futures.append(pool.submit(self._helper))
        finally:  # (submit fails only at interpreter shutdown) the ones never submitted never finish
            with _lock:
                _active_helpers -= helpers - len(self._futures)
        if idle and helpers:
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


def start_shared(threads: int | None, drain: Callable[[], None], helpers_wanted: int) -> Pending:
    """Start ``drain()`` on up to ``threads - 1`` helper threads (and at most ``helpers_wanted``) and return
    at once; the caller's thread joins in at ``join()``.  ``drain`` must be safe to run on several threads
    at once, each call taking work until none is left: the native ``*_shared`` entry points claim items by
    an atomic counter inside one GIL-free call, so helpers keep going while the caller runs Python (a
    Python-side queue would stall them: a helper waits for the GIL between items)."""
    t = resolve_threads(threads)
    helpers = max(0, min(t - 1, helpers_wanted))
    return Pending(drain, helpers, _pool(t - 1, background=True) if helpers else None)
