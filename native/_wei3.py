"""Shared helpers of the two a = -3 curve wrappers (native/p256.py, native/sm2.py): argument checks,
chunk pointers and the bounded, thread-safe cache of decompressed public keys."""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from ledgerval.errors import InvalidArgument, InvalidType, LedgervalError

from . import ffi


class NativeError(LedgervalError, RuntimeError):
    """A native kernel reported misuse (a bug in the wrapper, never bad data)."""


def u8(name: str, a, width: int | None) -> np.ndarray:
    """A C-contiguous uint8 array: (N, width) when width is given, else 1-D."""
    if not isinstance(a, np.ndarray):
        raise InvalidType(f"{name} must be a numpy uint8 array, not {type(a).__name__}")
    if a.dtype != np.uint8:
        raise InvalidType(f"{name} must have dtype uint8, not {a.dtype}")
    if width is None:
        if a.ndim != 1:
            raise InvalidArgument(f"{name} must be 1-D, got shape {a.shape}")
    elif a.ndim != 2 or a.shape[1] != width:
        raise InvalidArgument(f"{name} must have shape (N, {width}), got {a.shape}")
    return np.ascontiguousarray(a)


def same_n(**arrays) -> int:
    ns = {k: len(v) for k, v in arrays.items()}
    if len(set(ns.values())) > 1:
        raise InvalidArgument("batch arrays differ in length: " + ", ".join(f"{k}={v}" for k, v in ns.items()))
    return next(iter(ns.values()), 0)


def offsets_of(buf: np.ndarray, offsets, n: int) -> np.ndarray:
    if not isinstance(offsets, np.ndarray) or offsets.dtype != np.int64 or offsets.ndim != 1:
        raise InvalidType("msg_offsets must be a 1-D int64 numpy array")
    if len(offsets) != n + 1:
        raise InvalidArgument(f"msg_offsets must have N+1 = {n + 1} entries, got {len(offsets)}")
    if n and (offsets[0] < 0 or offsets[-1] > len(buf) or np.any(np.diff(offsets) < 0)):
        raise InvalidArgument("msg_offsets must be non-decreasing and within msg_buf")
    return offsets


def ptr(a: np.ndarray, row: int = 0):
    """uint8_t* to row ``row`` of a C-contiguous array (whole buffer for row 0)."""
    p = ffi.cast("uint8_t *", ffi.from_buffer(a))
    return p + row * (a.strides[0] if a.ndim > 1 else a.itemsize)


def check_rc(rc: int, what: str) -> None:
    if rc != 0:
        raise NativeError(f"{what} reported misuse (code {rc})")


class KeyCache:
    """Compressed SEC1 key (33 bytes) -> its 65-byte uncompressed form (None when it does not decode).

    Decompression costs a square root (an exponentiation, about a third of a verification); permissioned
    chains see the same keys again and again.  Bounded (least recently inserted goes first), thread-safe.
    """

    def __init__(self, decompress, maxsize: int = 65536):
        self._decompress = decompress      # (keys (M,65), lens (M,)) -> (out (M,65), ok (M,))
        self._max = maxsize
        self._d: OrderedDict[bytes, bytes | None] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._d.clear()

    def __len__(self) -> int:
        return len(self._d)

    def uncompressed(self, keys: np.ndarray, key_lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(keys65, lens): compressed rows replaced by their uncompressed form (length 65, or 0 when the
        key does not decode); other rows as they were.  Results never depend on the cache's state."""
        comp = np.flatnonzero(key_lens == 33)
        if comp.size == 0:
            return keys, key_lens
        sub = np.ascontiguousarray(keys[comp, :33])
        uniq, inv = np.unique(sub.view(np.dtype((np.void, 33))).ravel(), return_inverse=True)
        ubytes = [u.tobytes() for u in uniq]
        found: list[bytes | None] = [None] * len(ubytes)
        miss = []
        with self._lock:
            for j, b in enumerate(ubytes):
                if b in self._d:
                    found[j] = self._d[b]
                else:
                    miss.append(j)
        if miss:
            mk = np.zeros((len(miss), 65), dtype=np.uint8)
            mk[:, :33] = np.frombuffer(b"".join(ubytes[j] for j in miss), dtype=np.uint8).reshape(-1, 33)
            out, ok = self._decompress(mk, np.full(len(miss), 33, dtype=np.uint8))
            with self._lock:
                for t, j in enumerate(miss):
                    v = out[t].tobytes() if ok[t] else None
                    found[j] = v
                    self._d[ubytes[j]] = v
                while len(self._d) > self._max:
                    self._d.popitem(last=False)
        table = np.zeros((len(ubytes), 65), dtype=np.uint8)
        tlens = np.zeros(len(ubytes), dtype=np.uint8)
        for j, v in enumerate(found):
            if v is not None:
                table[j] = np.frombuffer(v, dtype=np.uint8)
                tlens[j] = 65
        keys2 = keys.copy()
        lens2 = key_lens.copy()
        keys2[comp] = table[inv.ravel()]
        lens2[comp] = tlens[inv.ravel()]
        return keys2, lens2
