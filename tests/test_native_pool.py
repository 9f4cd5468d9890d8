"""native/_pool.py: ``run_chunks`` (by count and by cost) covers every item exactly once, and
``start_shared`` runs its drain on the helpers and in the caller, re-raising what a helper raised."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.native._pool import run_chunks, start_shared


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=0, max_size=60), st.integers(1, 6), st.integers(1, 20000))
def test_run_chunks_by_cost_covers_each_item_once(costs, threads, min_chunk):
    n = len(costs)
    cum = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(costs, out=cum[1:])
    seen = np.zeros(n, dtype=np.int64)
    chunks = []
    lock = threading.Lock()

    def fn(a, b):
        assert 0 <= a < b <= n
        with lock:
            seen[a:b] += 1
            chunks.append((a, b))

    run_chunks(n, threads, fn, min_chunk=min_chunk, cost=cum)
    assert (seen == 1).all()
    assert len(chunks) <= max(1, threads)


def test_run_chunks_by_cost_balances_work():
    """One long item among many short ones: the split follows the cost, not the count."""
    cost = np.array([0, 1000] + [1001 + i for i in range(1, 100)], dtype=np.int64)
    got = []
    run_chunks(100, 2, lambda a, b: got.append((a, b)), min_chunk=1, cost=cost)
    assert sorted(got) == [(0, 1), (1, 100)]


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
