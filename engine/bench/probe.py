"""The machine's own scaling on a row's work, measured beside every thread sweep.

A row's scaling (throughput at the most threads over throughput at one) had no reference in the same run,
and on a shared VM it is the figure that moves most.  Measured 2026-12-04 on the 2-core EPYC dev VM (load
average 1, nothing else of ours running): a 2-thread secp256k1 batch read 1.90x-1.97x for a while, then
1.40x-1.48x for seconds at a time, and two independent 1-thread batches run at once dipped with it in
lockstep (1.45x-1.53x), so the host was taking capacity, not ledgerval.  Work of another kind did not show
it: every thread hashing its own buffer with hashlib's SHA-256 (the SHA-NI unit, L2-resident) stayed at
1.9x-2.0x through the same seconds (correlation with the batch's scaling 0.44, against 0.75 for the
independent batches).  So the probe has to be the row's own work.

``Prepared.solo(i, t)`` runs thread i's share of the row's batch (a 1/t slice) as its own single-thread
call, with nothing shared with the other slices but read-only data: work parallel by construction, with no
fork, join, serial bookkeeping or imbalance of ledgerval's own.  ``rate(t)`` runs the t slices at once (the
caller takes slice 0) and returns items per second; ``Row.machine_scaling`` is rate(most) / rate(1), what the
machine gave this work while the row was measured, and the row's scaling over it is the share of that
ledgerval's own threading kept.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class SoloProbe:
    """Times ``solo`` slices run at once on ``t`` threads (the pools are kept between rows)."""

    def __init__(self):
        self._pools: dict[int, ThreadPoolExecutor] = {}

    def rate(self, solo: Callable[[int, int], object], items: int, threads: int, loops: int = 1) -> float:
        """Items per second over ``loops`` rounds of the ``threads`` slices of an ``items``-item batch."""
        helpers = threads - 1

        def run(i: int) -> None:
            for _ in range(loops):
                solo(i, threads)

        t0 = time.perf_counter()
        if helpers:
            pool = self._pools.get(helpers)
            if pool is None:
                pool = self._pools[helpers] = ThreadPoolExecutor(helpers, thread_name_prefix="ledgerval-probe")
            futures = [pool.submit(run, i) for i in range(1, threads)]
            run(0)
            for f in futures:
                f.result()
        else:
            run(0)
        dt = time.perf_counter() - t0
        return items * loops / dt if dt > 0 else float("inf")

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True)
        self._pools.clear()


def share(n: int, i: int, t: int) -> slice:
    """Slice i of t near-equal contiguous slices of range(n)."""
    return slice(n * i // t, n * (i + 1) // t)
