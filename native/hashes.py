"""Thin layer over the C batch hash kernels (native/src/hash.h): checks buffers, maps return codes, no policy.

Algorithms: ``sha256``, ``sha256d``, ``sm3``, ``keccak256``.  Paths: ``auto`` (the fastest the CPU has, as
``lv_hash_best_path`` decides), ``portable``, ``shani`` (SHA-256 only), ``avx512``, ``avx2``.  One call
covers a chunk of messages; cffi releases the GIL for its duration, so callers spread chunks over threads.
Bitcoin's HASH160 (``hash160_spans``) and RIPEMD-160 alone (``ripemd160_spans``) give 20-byte digests.
"""
from __future__ import annotations

import numpy as np

from . import AVAILABLE, check_rc, ffi, has, lib
from ._pool import run_chunks
from .errors import InvalidArgument, InvalidType

ALGOS = ("sha256", "sha256d", "sm3", "keccak256")
PATHS = ("portable", "shani", "avx512", "avx2")  # index = the C path constant


def available() -> bool:
    """True when the compiled module carries the hash kernels."""
    return AVAILABLE and has("lv_hash_spans")


def _algo_id(algo: str) -> int:
    try:
        return ALGOS.index(algo)
    except ValueError:
        raise InvalidArgument(f"unknown hash algorithm {algo!r}") from None


def _path_id(path: str) -> int:
    if path == "auto":
        return lib.LV_PATH_AUTO
    try:
        return PATHS.index(path)
    except ValueError:
        raise InvalidArgument(f"unknown native hash path {path!r}; expected auto or one of {PATHS}") from None


def path_ok(algo: str, path: str) -> bool:
    """True when ``path`` can run ``algo`` on this CPU (after any ``cpu_mask``)."""
    return bool(lib.lv_hash_path_ok(_algo_id(algo), _path_id(path)))


def best_path(algo: str) -> str:
    """The path ``auto`` resolves to for ``algo`` right now."""
    return PATHS[lib.lv_hash_best_path(_algo_id(algo))]


def _check(rc: int) -> None:
    check_rc(rc, "native hash")


def _u8(name: str, a: np.ndarray, ndim: int) -> None:
    if not isinstance(a, np.ndarray) or a.dtype != np.uint8 or a.ndim != ndim or not a.flags.c_contiguous:
        raise InvalidType(f"{name} must be a C-contiguous {ndim}-D uint8 array")


def hash_spans(algo: str, buf: np.ndarray, offsets: np.ndarray, out: np.ndarray, path: str = "auto") -> None:
    """out[i] = H(buf[offsets[i]:offsets[i+1]]) for the len(offsets)-1 messages; out is (N, 32) uint8."""
    n = _spans_args(buf, offsets, out, 32)
    rc = lib.lv_hash_spans(_algo_id(algo), _path_id(path), ffi.from_buffer(buf), buf.shape[0],
                           ffi.cast("int64_t *", ffi.from_buffer(offsets)), n,
                           ffi.from_buffer(out, require_writable=True))
    _check(rc)


# Threaded spans are split by bytes plus this much per message (its padding block and the call): a chunk is
# at least SPAN_CHUNK_BYTES, ~100 us of hashing, below which handing it to a thread costs more than it saves;
# long spans (Bitcoin sighash preimages, ~1 KB each) spread over threads long before there are many of them.
SPAN_OVERHEAD = 64
SPAN_CHUNK_BYTES = 1024 * (SPAN_OVERHEAD + 64)


def hash_spans_threaded(algo: str, buf: np.ndarray, offsets: np.ndarray, threads: int) -> np.ndarray:
    """``hash_spans`` into a new (N, 32) array, chunks of about equal bytes spread over ``threads``."""
    n = offsets.shape[0] - 1
    out = np.empty((n, 32), dtype=np.uint8)
    if n == 0:
        return out
    cost = offsets + SPAN_OVERHEAD * np.arange(n + 1, dtype=np.int64) if threads > 1 else None
    run_chunks(n, threads, lambda a, b: hash_spans(algo, buf, offsets[a:b + 1], out[a:b]),
               min_chunk=SPAN_CHUNK_BYTES, cost=cost)
    return out


def hash_64(algo: str, data: np.ndarray, out: np.ndarray, path: str = "auto") -> None:
    """out[i] = H(data[i]) for an (N, 64) uint8 array of 64-byte messages (Merkle interior nodes)."""
    _u8("data", data, 2)
    _u8("out", out, 2)
    n = data.shape[0]
    if data.shape[1] != 64 or out.shape != (n, 32):
        raise InvalidArgument("data must be (N, 64) and out (N, 32)")
    rc = lib.lv_hash_64(_algo_id(algo), _path_id(path), ffi.from_buffer(data), n,
                        ffi.from_buffer(out, require_writable=True))
    _check(rc)


def pairs_equal(data: np.ndarray) -> bool:
    """True when some row of an (N, 64) uint8 array has two equal 32-byte halves."""
    _u8("data", data, 2)
    if data.shape[1] != 64:
        raise InvalidArgument("data must be (N, 64)")
    return bool(lib.lv_hash_pairs_equal(ffi.from_buffer(data), data.shape[0]))


def _spans_args(buf: np.ndarray, offsets: np.ndarray, out: np.ndarray, width: int) -> int:
    _u8("buf", buf, 1)
    _u8("out", out, 2)
    if (not isinstance(offsets, np.ndarray) or offsets.dtype != np.int64 or offsets.ndim != 1
            or not offsets.flags.c_contiguous or offsets.shape[0] < 1):
        raise InvalidType("offsets must be a C-contiguous 1-D int64 array with at least one entry")
    n = offsets.shape[0] - 1
    if out.shape != (n, width):
        raise InvalidArgument(f"out must have shape ({n}, {width})")
    return n


def hash160_spans(buf: np.ndarray, offsets: np.ndarray, out: np.ndarray, path: str = "auto") -> None:
    """out[i] = RIPEMD-160(SHA-256(span i)), Bitcoin's HASH160; out is (N, 20) uint8.  ``path`` is the
    SHA-256 path; RIPEMD-160 runs 8 lanes with AVX2 when the CPU (under the mask) has it, else portable."""
    n = _spans_args(buf, offsets, out, 20)
    _check(lib.lv_hash160_spans(_path_id(path), ffi.from_buffer(buf), buf.shape[0],
                                ffi.cast("int64_t *", ffi.from_buffer(offsets)), n,
                                ffi.from_buffer(out, require_writable=True)))


def ripemd160_spans(buf: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    """out[i] = RIPEMD-160(span i); out is (N, 20) uint8."""
    n = _spans_args(buf, offsets, out, 20)
    _check(lib.lv_ripemd160_spans(ffi.from_buffer(buf), buf.shape[0], ffi.cast("int64_t *", ffi.from_buffer(offsets)),
                                  n, ffi.from_buffer(out, require_writable=True)))
