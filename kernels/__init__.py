"""Numba kernels (``ledgerval.kernels``): whole-batch hashing, Merkle pair hashing, LVB1 block scanning and
Bitcoin's P2PKH (pay-to-public-key-hash) fast path.  They import only numba, numpy and ``ledgerval.native``.

Importing this package picks Numba's threading layer before any parallel kernel runs.  The default
``workqueue`` layer is not safe when several Python threads launch parallel kernels at once (it aborts the
process), so we ask for a thread-safe layer: ``threadsafe`` resolves to TBB when installed, else OpenMP.
An explicit ``NUMBA_THREADING_LAYER`` in the environment wins.  ``tests/test_kernels_threads.py`` calls the
parallel kernels from several Python threads at once.
"""
from __future__ import annotations

import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "threadsafe"


def set_threads(threads: int | None) -> None:
    """Use ``threads`` Numba worker threads for parallel kernels launched from the calling thread (Numba keeps
    this per calling thread); None means all of them."""
    top = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(top if threads is None else max(1, min(int(threads), top)))


def threading_layer() -> str | None:
    """The layer Numba chose, or None before the first parallel kernel ran."""
    try:
        return numba.threading_layer()
    except ValueError:
        return None
