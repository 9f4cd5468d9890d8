"""native/_pool.py: ``run_chunks`` covers every item exactly once; ``run_shared`` and ``start_shared`` run
their drain on the helpers and in the caller, re-raising what a helper raised, and ``run_shared`` does not wait
for a helper that never started once the work is finished."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.native._pool import run_chunks, run_shared, start_shared


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 300), st.integers(1, 6), st.integers(1, 200))
def test_run_chunks_covers_each_item_once(n, threads, min_chunk):
    seen = np.zeros(n, dtype=np.int64)
    chunks = []
    lock = threading.Lock()

    def fn(a, b):
        assert 0 <= a < b <= n
        with lock:
            seen[a:b] += 1
            chunks.append((a, b))

    run_chunks(n, threads, fn, min_chunk=min_chunk)
    assert (seen == 1).all()
    assert len(chunks) <= max(1, threads) and all(b - a >= min_chunk for a, b in chunks[1:] or [])


class Counter:
    """A stand-in for a native claim counter: drain() takes items until none is left."""

    def __init__(self, n, hold=None):
        self.items, self.taken, self.names, self.hold = list(range(n)), [], set(), hold
        self.lock = threading.Lock()

    def drain(self):
        if self.hold is not None and threading.current_thread() is not threading.main_thread():
            self.hold.wait(10)
        while True:
            with self.lock:
                if not self.items:
                    return
                self.taken.append(self.items.pop())
                self.names.add(threading.current_thread().name)


def test_run_shared_runs_caller_and_helpers():
    c = Counter(20000)
    run_shared(3, c.drain, helpers_wanted=2, finished=lambda: len(c.taken) == 20000)
    assert sorted(c.taken) == list(range(20000))
    c = Counter(10)
    run_shared(4, c.drain, helpers_wanted=0, finished=lambda: False)  # no helper: finished is not asked
    assert c.names == {threading.main_thread().name}


def test_run_shared_does_not_wait_for_a_late_helper():
    """A helper that has not begun when the caller has taken everything is not waited for (it would find
    nothing left); when finished() says some piece is still out, the caller waits and re-raises."""
    hold = threading.Event()
    c = Counter(100, hold)
    run_shared(2, c.drain, helpers_wanted=1, finished=lambda: True)
    assert sorted(c.taken) == list(range(100)) and c.names == {threading.main_thread().name}
    hold.set()

    def failing():
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("helper failed")

    with pytest.raises(RuntimeError, match="helper failed"):
        run_shared(2, failing, helpers_wanted=1, finished=lambda: False)


def test_run_shared_waits_for_helpers_when_the_caller_fails():
    done = []

    def drain():
        if threading.current_thread() is threading.main_thread():
            raise RuntimeError("caller failed")
        time.sleep(0.05)
        done.append(1)

    with pytest.raises(RuntimeError, match="caller failed"):
        run_shared(2, drain, helpers_wanted=1, finished=lambda: True)
    assert done == [1]


def test_start_shared_runs_helpers_and_caller():
    items = list(range(1000))
    taken = []
    lock = threading.Lock()
    names = set()

    def drain():
        while True:
            with lock:
                if not items:
                    return
                taken.append(items.pop())
                names.add(threading.current_thread().name)

    work = start_shared(3, drain, helpers_wanted=2)
    work.join()
    work.join()  # a second join is a no-op
    assert sorted(taken) == list(range(1000))
    work = start_shared(1, lambda: names.add("one thread"), helpers_wanted=4)
    assert "one thread" not in names  # nothing runs before join with one thread
    work.join()
    assert "one thread" in names


def test_start_shared_reraises_a_helper_error():
    calls = []

    def drain():
        calls.append(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("helper failed")

    work = start_shared(2, drain, helpers_wanted=1)
    with pytest.raises(RuntimeError, match="helper failed"):
        work.join()
    assert len(calls) == 2


def test_start_shared_hands_over_to_an_idle_helper(monkeypatch):
    """With no helper busy, start_shared returns only once a helper has begun its drain (so a caller going
    on with pure Python does not keep it waiting for the GIL); with one busy, it does not wait at all."""
    import time

    from ledgerval.native import _pool

    monkeypatch.setattr(_pool, "_START_WAIT_S", 5.0)  # a safety net this test must never reach
    begun = threading.Event()
    release = threading.Event()

    def slow_drain():
        if threading.current_thread() is not threading.main_thread():
            begun.set()
            release.wait(10)

    t0 = time.perf_counter()
    first = start_shared(2, slow_drain, helpers_wanted=1)
    assert begun.is_set() and time.perf_counter() - t0 < 4.0
    t0 = time.perf_counter()
    second = start_shared(2, lambda: None, helpers_wanted=1)  # its helper queues behind the busy one
    assert time.perf_counter() - t0 < 1.0
    release.set()
    first.join()
    second.join()
    assert _pool._active_helpers == 0
