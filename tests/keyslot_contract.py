"""Checks every kernel's per-key slot cache (native/_keyslots.py) must pass, shared by the secp256k1 and
Ed25519 cache tests: verdicts stay right under eviction with a tiny bound and under concurrent use with
clears in between.  Each takes ``verify(batch, r)`` (a cached verification of one batch, ``r`` the round,
for callers that vary the method), the batches, their uncached verdicts and the cache."""
from __future__ import annotations

import os
import threading
from contextlib import nullcontext

QUICK = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
__all__ = ["QUICK", "check_concurrent_use", "check_eviction", "nullcontext", "run_in_threads"]


def run_in_threads(work, n: int = 4) -> list[BaseException]:
    """Run ``work(0)`` .. ``work(n - 1)`` on n threads at once and wait for them; what they raised (an
    assertion failing on a thread would otherwise only be printed)."""
    errors: list[BaseException] = []

    def run(t):
        try:
            work(t)
        except BaseException as e:  # noqa: BLE001 - handed to the caller, which asserts there are none
            errors.append(e)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return errors


def check_eviction(verify, batches, wants, cache) -> None:
    """Batches with different senders in turn, under a bound smaller than either's key set: a batch's own
    rows are pinned while it runs, so each evicts the other's."""
    for r in range(6):
        assert (verify(batches[r % 2], r) == wants[r % 2]).all()
        assert len(cache) <= cache.maxsize
    assert cache.fills > cache.maxsize


def check_concurrent_use(verify, batches, wants, cache) -> None:
    """Four threads verify the batches in turn, clearing the cache now and then; every verdict is right."""

    def work(t):
        for r in range(3 if QUICK else 8):
            k = (t + r) % len(batches)
            assert (verify(batches[k], r) == wants[k]).all(), (t, r)
            if r % 3 == 2:
                cache.clear()

    errors = run_in_threads(work)
    assert not errors, errors[:3]
