"""Numba's parallel kernels called from several Python threads at once.  The default ``workqueue`` layer
aborts the process here; kernels/__init__.py selects a thread-safe layer (TBB or OpenMP)."""
from __future__ import annotations

import hashlib
import threading

import numpy as np

from ledgerval import kernels
from ledgerval.kernels.sha256 import sha256_batch
from ledgerval.kernels.sm3 import sm3_batch


def test_threading_layer_is_thread_safe():
    buf = np.arange(64 * 2000, dtype=np.uint64).astype(np.uint8)
    off = np.arange(2001, dtype=np.int64) * 64
    want = sha256_batch(buf, off)  # launches the pool
    assert kernels.threading_layer() in ("tbb", "omp")
    want_sm3 = sm3_batch(buf, off)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for _ in range(5):
                if k % 2:
                    assert np.array_equal(sha256_batch(buf, off), want)
                else:
                    assert np.array_equal(sm3_batch(buf, off), want_sm3)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert want[0].tobytes() == hashlib.sha256(buf[:64].tobytes()).digest()
