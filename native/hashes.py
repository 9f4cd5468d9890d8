"""Thin layer over the C batch hash kernels (native/src/hash.h): checks buffers, maps return codes, no policy.

Algorithms: ``sha256``, ``sha256d``, ``sm3``, ``keccak256``.  Paths: ``auto`` (the fastest the CPU has, as
``lv_hash_best_path`` decides), ``portable``, ``shani`` (SHA-256 only), ``avx512``, ``avx2``.  One call
covers a batch of messages and cffi releases the GIL for its duration; the ``*_shared`` entries let several
threads work on one batch at once, each claiming pieces from a counter in C (``hash_*_threaded`` run them as
a native job on the caller and ``threads - 1`` helpers: parked ones first, which take it up in C, then pool
threads; native/_pool.py ``run_job``).
Bitcoin's HASH160 (``hash160_spans``) and RIPEMD-160 alone (``ripemd160_spans``) give 20-byte digests.
"""
from __future__ import annotations

import numpy as np

from . import AVAILABLE, check_rc, ffi, has, lib
from ._pool import job_ptr, new_job, run_job
from .errors import InvalidArgument, InvalidType

ALGOS = ("sha256", "sha256d", "sm3", "keccak256")
PATHS = ("portable", "shani", "avx512", "avx2")  # index = the C path constant


def available() -> bool:
    """True when the compiled module carries the hash kernels (with the shared-claim entries that spread a
    batch over threads: a module built before them is treated as absent, not half used)."""
    return AVAILABLE and has("lv_hash_spans") and has("lv_hash_pairs_shared") and has("lv_pool_post")


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


def hash_spans_shared(algo: str, buf: np.ndarray, offsets: np.ndarray, out: np.ndarray, piece: int,
                      state: np.ndarray, path: str = "auto") -> None:
    """``hash_spans`` over shared claims (``lv_hash_spans_shared``): every thread that calls this with the
    same arguments and the same ``state`` (a zeroed (LV_HASH_SHARED_WORDS,) int64 array) hashes pieces of
    ``piece`` messages until none is left.  ``shared_done(state, n)`` says when all of them are."""
    n = _spans_args(buf, offsets, out, 32)
    _check(lib.lv_hash_spans_shared(_algo_id(algo), _path_id(path), ffi.from_buffer(buf), buf.shape[0],
                                    ffi.cast("int64_t *", ffi.from_buffer(offsets)), n, _piece(piece),
                                    _state_ptr(state), ffi.from_buffer(out, require_writable=True)))


def hash_pairs_shared(algo: str, data: np.ndarray, out: np.ndarray, piece: int, state: np.ndarray,
                      prefix: int = -1, equal: np.ndarray | None = None, path: str = "auto") -> None:
    """out[i] = H([prefix] || data[i]) for an (N, 64) uint8 array (two 32-byte nodes a row; prefix -1: none,
    else one byte, RFC 6962's 0x01) over shared claims (``lv_hash_pairs_shared``; ``state`` as in
    ``hash_spans_shared``).  ``equal``, a (1,) uint8 array, is set to 1 when some row has two equal halves."""
    n = _pairs_args(data, out, prefix)
    pe = ffi.NULL
    if equal is not None:
        _u8("equal", equal, 1)
        if equal.shape != (1,):
            raise InvalidArgument("equal must have shape (1,)")
        pe = ffi.from_buffer(equal, require_writable=True)
    _check(lib.lv_hash_pairs_shared(_algo_id(algo), _path_id(path), ffi.from_buffer(data), n, prefix,
                                    _piece(piece), _state_ptr(state), ffi.from_buffer(out, require_writable=True),
                                    pe))


def _pairs_args(data: np.ndarray, out: np.ndarray, prefix: int) -> int:
    _u8("data", data, 2)
    _u8("out", out, 2)
    n = data.shape[0]
    if data.shape[1] != 64 or out.shape != (n, 32):
        raise InvalidArgument("data must be (N, 64) and out (N, 32)")
    if isinstance(prefix, bool) or not isinstance(prefix, int) or not -1 <= prefix <= 255:
        raise InvalidArgument(f"prefix must be -1 or a byte value, got {prefix!r}")
    return n


def shared_state() -> np.ndarray:
    """A fresh claim state for one batch of the ``*_shared`` entries."""
    return np.zeros(lib.LV_HASH_SHARED_WORDS, dtype=np.int64)


def shared_done(state: np.ndarray, n: int, spin_ns: int = 0) -> bool:
    """True when all n items of the batch ``state`` belongs to are hashed (their digests then visible to
    this thread), spinning up to ``spin_ns`` for the last pieces other threads hold."""
    return lib.lv_hash_shared_wait(_state_ptr(state), n, spin_ns) == 1


def _piece(piece: int) -> int:
    if isinstance(piece, bool) or not isinstance(piece, int) or piece < 1:
        raise InvalidArgument(f"piece must be an int >= 1, got {piece!r}")
    return piece


def _state_ptr(state: np.ndarray):
    if (not isinstance(state, np.ndarray) or state.dtype != np.int64 or state.shape != (lib.LV_HASH_SHARED_WORDS,)
            or not state.flags.c_contiguous or not state.flags.writeable):
        raise InvalidType(f"state must be a writable ({lib.LV_HASH_SHARED_WORDS},) int64 array (shared_state())")
    return ffi.cast("int64_t *", ffi.from_buffer(state, require_writable=True))


# Threads share a batch through the native claim counter (a job run by _pool.run_job): each claims pieces
# of about PIECE_COST bytes plus SPAN_OVERHEAD a message (its padding block and the loop around it), 256
# 64-byte messages, ~15 us, so whichever thread starts late (a pool thread woken from Python starts 35-45 us
# after the caller; a parked one within a microsecond) claims fewer pieces and all end within one piece of
# each other.  Helpers are asked for only for work of at least SPAN_CHUNK_BYTES a thread, ~100 us of
# hashing, below which waking one costs more than it saves; long spans (Bitcoin sighash preimages, ~1 KB
# each) spread over threads long before there are many of them.
SPAN_OVERHEAD = 64
PIECE_COST = 256 * (SPAN_OVERHEAD + 64)
SPAN_CHUNK_BYTES = 1024 * (SPAN_OVERHEAD + 64)
PAIRS_PIECE = 256
PAIRS_CHUNK = 1024


def span_helpers(offsets: np.ndarray, threads: int) -> int:
    """How many helper threads ``hash_spans_threaded`` wakes for these spans (0: the caller hashes alone, and a
    direct ``hash_spans`` call saves the job's round trip)."""
    n = offsets.shape[0] - 1
    cost = int(offsets[n] - offsets[0]) + SPAN_OVERHEAD * n
    return max(0, min(threads - 1, cost // SPAN_CHUNK_BYTES - 1))


def pair_helpers(n: int, threads: int) -> int:
    """How many helper threads ``hash_pairs_threaded`` wakes for n pairs (0: as for ``span_helpers``)."""
    return max(0, min(threads - 1, n // PAIRS_CHUNK - 1))


def hash_spans_threaded(algo: str, buf: np.ndarray, offsets: np.ndarray, threads: int,
                        piece: int | None = None) -> np.ndarray:
    """``hash_spans`` into a new (N, 32) array, spread over ``threads`` by shared claims of ``piece``
    messages (None: about PIECE_COST bytes' worth, a multiple of 16 lanes, at most N / threads)."""
    n = offsets.shape[0] - 1
    out = np.empty((n, 32), dtype=np.uint8)
    if n == 0:
        return out
    cost = int(offsets[n] - offsets[0]) + SPAN_OVERHEAD * n
    if piece is None:
        # a piece of fewer than 16 messages leaves lanes idle; but a few very long spans are better split
        # evenly (as many pieces as threads) than left to one 16-message piece
        piece = min(max(16, min(4096, (PIECE_COST * n // max(1, cost)) & ~15)), -(-n // threads))
    _spans_args(buf, offsets, out, 32)
    job = new_job()
    _check(lib.lv_pool_job_hash_spans(job_ptr(job), _algo_id(algo), lib.LV_PATH_AUTO, ffi.from_buffer(buf),
                                      buf.shape[0], ffi.cast("int64_t *", ffi.from_buffer(offsets)), n,
                                      _piece(piece), ffi.from_buffer(out, require_writable=True)))
    run_job(threads, job, span_helpers(offsets, threads))
    return out


def hash_pairs_threaded(algo: str, data: np.ndarray, out: np.ndarray, threads: int, prefix: int = -1,
                        check: bool = False, piece: int = PAIRS_PIECE) -> bool:
    """``hash_pairs_shared`` of an (N, 64) array into ``out`` (N, 32), spread over ``threads`` (a Merkle
    level, or hash_batch of 64-byte rows).  Returns whether some row has two equal halves, when ``check``
    (else False)."""
    n = data.shape[0]
    if n == 0:
        return False
    _pairs_args(data, out, prefix)
    equal = np.zeros(1, dtype=np.uint8) if check else None
    job = new_job()
    _check(lib.lv_pool_job_hash_pairs(job_ptr(job), _algo_id(algo), lib.LV_PATH_AUTO, ffi.from_buffer(data), n,
                                      prefix, _piece(piece), ffi.from_buffer(out, require_writable=True),
                                      ffi.NULL if equal is None else ffi.from_buffer(equal, require_writable=True)))
    run_job(threads, job, pair_helpers(n, threads))
    return bool(equal is not None and equal[0])


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
