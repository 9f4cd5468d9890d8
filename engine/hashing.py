"""``hash_batch`` and ``hash_spans``: one call hashes a whole batch of messages.

Backends: ``native`` (the C multi-buffer kernels: AVX-512 16 lanes, AVX2 2x8 lanes (4 for Keccak), SHA-NI,
portable C, chosen at run time by CPU detection and capped by LEDGERVAL_CPU_FEATURES; the caller and pool
threads claim pieces of one batch from a counter in C, the GIL released), ``numba`` (kernels/, prange over
messages; a structure-of-arrays kernel for 64-byte SHA-256), ``reference`` (one Python call per message; for
tests). ``auto`` is native when the compiled module is there, else numba: on one core of the AMD EPYC target,
ns per 64-byte message, native auto serves SHA-256 at ~45-55, SHA-256d ~60-80, SM3 ~55-70, Keccak-256 ~40-77
(AVX2 tier: SM3 ~64, Keccak-256 ~95, SHA-256/SHA-256d ~72/115 with SHA-NI masked) against the Numba kernels'
~140-230 (SoA SHA-256) and ~600-1300 (per-message SM3/Keccak), see native/src/hash.c and
benches/bench_kernels_hashes.py.
"""
from __future__ import annotations

import numpy as np

from ._inputs import as_items, flatten
from .errors import InvalidArgument, InvalidType
from .native_threads import resolve_threads
from .suites import HASHES, check_hash

BACKENDS = ("auto", "numba", "native", "reference")
# The native kernels share a batch between threads through a claim counter (native/hashes.py's
# hash_*_threaded, which also say when a batch is big enough to wake a thread).


def _native():
    """The native hash wrapper module, or None when the compiled module lacks it."""
    if _NATIVE:  # asked several times a block: the import statement alone costs ~1 us a call
        return _NATIVE[0]
    try:
        from ledgerval.native import hashes
    except ImportError:  # pragma: no cover - unbuilt checkout
        return None
    _NATIVE.append(hashes if hashes.available() else None)
    return _NATIVE[0]


_NATIVE: list = []  # [module or None] once asked


def _backend(backend: str) -> str:
    if not isinstance(backend, str):
        raise InvalidType(f"backend must be a str, not {type(backend).__name__}")
    if backend not in BACKENDS:
        raise InvalidArgument(f"unknown backend {backend!r}; expected one of: {', '.join(BACKENDS)}")
    if backend == "auto":
        return "native" if _native() is not None else "numba"
    if backend == "native" and _native() is None:
        raise InvalidArgument("the native backend is not built (run python native/build_native.py)")
    return backend


def paths() -> dict[str, str]:
    """Which code path serves ``backend="auto"`` for each algorithm, e.g. ``{"sha256": "native-avx512"}``."""
    nh = _native()
    if nh is None:
        return {a: "numba" for a in HASHES}
    return {a: "native-" + nh.best_path(a) for a in HASHES}


def _check_spans(buf, offsets) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(buf, np.ndarray) or not isinstance(offsets, np.ndarray):
        raise InvalidType("buf and offsets must be numpy arrays")
    if buf.dtype != np.uint8 or buf.ndim != 1:
        raise InvalidType(f"buf must be a 1-D uint8 array, got {buf.ndim}-D {buf.dtype}")
    if offsets.dtype != np.int64 or offsets.ndim != 1:
        raise InvalidType(f"offsets must be a 1-D int64 array, got {offsets.ndim}-D {offsets.dtype}")
    if offsets.shape[0] < 1:
        raise InvalidArgument("offsets must hold N+1 entries (at least one)")
    if offsets[0] < 0 or offsets[-1] > buf.shape[0] or bool(np.any(offsets[1:] < offsets[:-1])):
        raise InvalidArgument("offsets must be nondecreasing and within the buffer")
    return np.ascontiguousarray(buf), np.ascontiguousarray(offsets)


def _spans(algo: str, buf: np.ndarray, offsets: np.ndarray, threads: int, backend: str) -> np.ndarray:
    n = offsets.shape[0] - 1
    out = np.empty((n, 32), dtype=np.uint8)
    if n == 0:
        return out
    if backend == "native":
        nh = _native()
        if nh.span_helpers(offsets, threads) == 0:
            # no helper would be woken: one direct call, without the pool's job round trip (~3 us of a warm
            # block's ~3 calls)
            nh.hash_spans(algo, buf, offsets, out)
            return out
        return nh.hash_spans_threaded(algo, buf, offsets, threads)
    if backend == "numba":
        from ledgerval import kernels
        from ledgerval.kernels import keccak, sha256, sm3

        kernels.set_threads(threads)
        if algo in ("sha256", "sha256d"):
            sha256._kernel(buf, offsets, algo == "sha256d", out)
        elif algo == "sm3":
            sm3._kernel(buf, offsets, out)
        else:
            keccak._kernel(buf, offsets, out)
    else:
        from .reference.hashes import digest

        for i in range(n):
            out[i] = np.frombuffer(digest(algo, buf[offsets[i]:offsets[i + 1]].tobytes()), dtype=np.uint8)
    return out


def hash_64(algo: str, data: np.ndarray, threads: int, backend: str) -> np.ndarray:
    """(N, 32) digests of the rows of an (N, 64) uint8 C-contiguous array: the Merkle interior-node case,
    whose constant padding block has a precomputed schedule (SHA-256, SM3)."""
    n = data.shape[0]
    if backend == "reference":
        return _spans(algo, data.reshape(-1), np.arange(n + 1, dtype=np.int64) * 64, threads, backend)
    out = np.empty((n, 32), dtype=np.uint8)
    if n == 0:
        return out
    if backend == "native":
        _native().hash_pairs_threaded(algo, data, out, threads)
    else:
        from ledgerval import kernels
        from ledgerval.kernels.merkle import pairs_into

        kernels.set_threads(threads)
        pairs_into(algo, -1, data.reshape(-1), n, out)
    return out


def hash_spans(algo: str, buf: np.ndarray, offsets: np.ndarray, *, threads: int | None = None,
               backend: str = "auto") -> np.ndarray:
    """Hash ``buf[offsets[i]:offsets[i+1]]`` for each i: ``buf`` a 1-D uint8 array, ``offsets`` an (N+1,)
    int64 array, nondecreasing and within ``buf``.  Returns (N, 32) uint8.  No Python object per message:
    the block pipeline hashes every transaction of a block with one call."""
    check_hash(algo)
    t = resolve_threads(threads)
    b = _backend(backend)
    buf, offsets = _check_spans(buf, offsets)
    return _spans(algo, buf, offsets, t, b)


def hash_batch(algo: str, messages, *, threads: int | None = None, backend: str = "auto") -> np.ndarray:
    """Hash each message with ``algo`` (``sha256``, ``sha256d``, ``sm3``, ``keccak256``).

    ``messages`` is a sequence of bytes-like objects or an (N, L) uint8 array.  Returns an (N, 32) uint8
    array; row i is the digest of message i in the algorithm's own byte order (as hashlib prints it).
    ``threads`` (None: every core) and ``backend`` (auto, native, numba, reference) choose how.
    """
    check_hash(algo)
    t = resolve_threads(threads)
    b = _backend(backend)
    if type(messages) is list and all(type(m) is bytes for m in messages):
        # the common case, without as_items' per-item copies: ~130 ns per message instead of ~350
        n = len(messages)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, messages), dtype=np.int64, count=n), out=offsets[1:])
        return _spans(algo, np.frombuffer(b"".join(messages), dtype=np.uint8), offsets, t, b)
    items = as_items("messages", messages)
    if isinstance(items, np.ndarray) and items.shape[1] == 64:
        return hash_64(algo, items, t, b)
    buf, offsets = flatten(items)
    return _spans(algo, buf, offsets, t, b)
