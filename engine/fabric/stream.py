"""Validating a ledger as a stream: the main thread parses, a helper thread verifies, and they overlap
from the first block on.

Signatures go to the helper in chunks (``CHUNK_FIRST`` growing to ``CHUNK_SIGS``), cut inside blocks too
(``parse_block`` calls back every ``CUT_EVERY`` envelopes).  Windows that ended at block boundaries left
the helper idle while the first block of 1,000 transactions was parsed, and ran the helper's plan on two
native threads beside the parsing thread.  Reports still come per window of whole blocks
(``validate.Window``), in block order, once its chunks are verified.  When parsing ends, the main thread
verifies the chunks the helper has not started, newest first, while the helper works from the oldest.
The native kernels release the GIL, so both cores work.  Measured on a loaded 2-core machine only, where
the threads never ran at once: the gain over block windows is not shown there (README, Fabric, round 3).
"""
from __future__ import annotations

import time
from collections import deque

from ..native_threads import resolve_threads
from . import validate as V
from .validate import Chunk, LedgerState, Window

# Chunks start at CHUNK_FIRST signatures, so that verification starts about 2 ms into the first block, and
# double up to CHUNK_SIGS: the P-256 kernel's cost per signature falls with the batch (a chunk's run, one
# thread, thread CPU medians of 7 on the generated ledger, loaded: 256 9.8, 512 8.2, 1,024 6.9, 2,048 6.4,
# 4,096 5.8 us a signature).
CHUNK_FIRST, CHUNK_SIGS = 512, 2048

# Windows whose reports wait on the helper: a bound on the work held in memory ahead of the reports.
MAX_INFLIGHT = 8


class _Job:
    """One chunk's (or a window's last chunk's) ``run``, queued on the helper; taken back and run on the
    calling thread when the helper has not started it.  Only the thread that made it calls its methods."""

    def __init__(self, fn, pool):
        self.fn, self.value, self.done = fn, None, False
        self.fut = pool.submit(fn, False) if pool is not None else None

    def ready(self) -> bool:
        return self.done or (self.fut is not None and self.fut.done())

    def steal(self, alone: bool) -> None:
        if not self.done and (self.fut is None or self.fut.cancel()):
            self.value, self.done = self.fn(alone), True

    def result(self):
        if not self.done:
            if self.fut is None or self.fut.cancel():
                self.value = self.fn(True)
            else:
                self.value = self.fut.result()
            self.done = True
        return self.value


class Stream:
    """Feed it blocks (``add``), then ``finish``; both yield the reports that are ready, in block order."""

    def __init__(self, state: LedgerState):
        self.state = state
        self.threads = resolve_threads(state.threads)
        # while the main thread parses, the helper's chunks leave it one core
        self.helper_threads = max(1, self.threads - 1)
        self.works: list = []   # the open window's blocks
        self.chunks: list = []  # and its chunks handed to the helper
        self.jobs: list = []
        self.loose: list = []   # signatures parsed and not yet in a chunk
        self.taken = 0          # how many of the current block's signatures are in loose or a chunk
        self.nsigs = 0
        self.chunk = min(CHUNK_FIRST, CHUNK_SIGS)  # the next chunk's size
        self.inflight: deque = deque()  # (Window, its jobs)
        self.pool = None  # made at the first chunk: a ledger of one chunk, or threads=1, never starts a thread

    def _run(self, fn):
        return lambda alone: fn(self.threads if alone else self.helper_threads)

    def _take(self, work) -> None:
        self.loose.extend(work.sigs[self.taken:])
        self.taken = len(work.sigs)

    def _cut(self, work) -> None:
        if self.pool is not None:
            # The helper needs the GIL back after each native call (hash, verify); while this thread runs
            # Python it would wait up to the interpreter's switch interval (5 ms) for it.  Offering it
            # here, every CUT_EVERY envelopes (a few hundred us of parsing), bounds that wait.
            time.sleep(0)
        if len(self.loose) + len(work.sigs) - self.taken < self.chunk:
            return
        self.chunk = min(2 * self.chunk, CHUNK_SIGS)
        self._take(work)
        if self.pool is None and self.threads > 1:   # threads=1 keeps every step on the calling thread
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(1, thread_name_prefix="ledgerval-fabric")
        ch = Chunk(self.state, self.loose)
        self.loose = []
        self.chunks.append(ch)
        self.jobs.append(_Job(self._run(ch.run), self.pool))

    def _close(self) -> None:
        if not self.works:
            return
        chunks = self.chunks + [Chunk(self.state, self.loose)]
        win = Window(self.state, self.works, chunks, before=self.jobs)
        jobs = self.jobs + [_Job(self._run(win.run), self.pool)]
        self.inflight.append((win, jobs))
        self.works, self.chunks, self.jobs, self.loose, self.nsigs = [], [], [], [], 0

    def _drain(self, wait: bool):
        while self.inflight and (wait or all(j.ready() for j in self.inflight[0][1])):
            win, jobs = self.inflight.popleft()
            yield from win.reports(jobs[-1].result())

    def add(self, raw):
        work = self.state.parse(raw, self._cut)
        self._take(work)
        self.taken = 0
        self.works.append(work)
        self.nsigs += len(work.sigs)
        if self.nsigs >= V.WINDOW_SIGS or len(self.works) >= V.WINDOW_BLOCKS:
            self._close()
        # without a helper thread nothing runs in the background: a closed window is verified here and now
        if self.inflight:  # (most blocks close no window: no generator for them)
            yield from self._drain(len(self.inflight) > MAX_INFLIGHT or self.pool is None)

    def finish(self):
        self._close()
        pending = [j for _, jobs in self.inflight for j in jobs if not j.ready()]
        for k, j in enumerate(reversed(pending)):
            # The helper runs them from the oldest.  When the oldest is still there to take, the helper
            # has nothing left (it takes them in order), so that one may use every thread.
            j.steal(alone=k == len(pending) - 1)
        yield from self._drain(True)
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
