"""Spread a batch over threads in chunks.

cffi releases the GIL for the whole native call, so a plain thread pool over contiguous chunks keeps every
core busy; results never depend on the thread count because each chunk writes only its own slice.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

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
        from ledgerval.errors import InvalidType

        raise InvalidType(f"threads must be an int or None, not {type(threads).__name__}")
    if threads < 1:
        from ledgerval.errors import InvalidArgument

        raise InvalidArgument(f"threads must be >= 1, got {threads}")
    return threads


def _pool(n: int) -> ThreadPoolExecutor:
    with _lock:
        p = _pools.get(n)
        if p is None:
            p = _pools[n] = ThreadPoolExecutor(max_workers=n, thread_name_prefix="ledgerval")
        return p


def run_chunks(n: int, threads: int | None, fn: Callable[[int, int], None], min_chunk: int = 1) -> None:
    """Call ``fn(start, stop)`` over ``[0, n)`` split into at most ``threads`` contiguous chunks of at
    least ``min_chunk`` items.  Runs inline when one chunk suffices.  Exceptions propagate."""
    t = resolve_threads(threads)
    if n <= 0:
        return
    chunks = max(1, min(t, n // max(1, min_chunk)))
    if chunks == 1:
        fn(0, n)
        return
    bounds = [n * i // chunks for i in range(chunks + 1)]
    pool = _pool(t)
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, chunks)]
    fn(bounds[0], bounds[1])
    for f in futures:
        f.result()
