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


class KeyTableCache:
    """Uncompressed public key (65 bytes) -> its key table (precomputed multiples for the split joint
    multiplication in native/src/wei3_keytab_impl.h, ``table_bytes`` opaque bytes).

    A table costs about one plain verification to build and makes every later verification under that
    key about 2.5x faster, so a key gets one on its second sighting (or at once when it appears twice in
    a batch); keys seen once stay in a bounded ``seen`` set.  Tables live in one numpy buffer owned here
    (C never allocates); least recently used tables go first.  Thread-safe: lookups copy the rows they
    return under the lock, so a concurrent eviction cannot change a table in use.  Results never depend
    on the cache's state (both paths verify the same equation; tests check they agree).
    """

    def __init__(self, build, table_bytes: int, maxsize: int = 2048, seen_max: int = 16384):
        self._build = build            # (keys (M,65), lens (M,)) -> (tabs (M,table_bytes), ok (M,))
        self._tb = table_bytes
        self._max = maxsize
        self._seen_max = seen_max
        self._buf = np.zeros((0, table_bytes), dtype=np.uint8)
        self._slots: OrderedDict[bytes, int] = OrderedDict()
        self._free: list[int] = []
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()
            self._seen.clear()
            self._free = list(range(len(self._buf)))

    def __len__(self) -> int:
        return len(self._slots)

    def _slot(self) -> int:
        """A free row of the buffer (lock held): grows the buffer up to maxsize, then evicts the LRU."""
        if self._free:
            return self._free.pop()
        if len(self._buf) < self._max:
            old = len(self._buf)
            grown = np.zeros((min(self._max, max(16, 2 * old)), self._tb), dtype=np.uint8)
            grown[:old] = self._buf
            self._buf = grown
            self._free = list(range(len(grown) - 1, old, -1))
            return old
        _, s = self._slots.popitem(last=False)
        return s

    def lookup(self, keys65: np.ndarray, key_lens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tabs, idx, has) for (N, 65) rows: has[i] when row i (length 65) has a table, then
        tabs[idx[i]] is it; tabs is a private contiguous copy."""
        n = len(keys65)
        idx = np.zeros(n, dtype=np.int32)
        has = np.zeros(n, dtype=bool)
        rows = np.flatnonzero(key_lens == 65)
        if self._max <= 0 or rows.size == 0:
            return np.zeros((0, self._tb), dtype=np.uint8), idx, has
        sub = np.ascontiguousarray(keys65[rows])
        uniq, inv, counts = np.unique(sub.view(np.dtype((np.void, 65))).ravel(), return_inverse=True,
                                      return_counts=True)
        inv = inv.ravel()
        ub = [u.tobytes() for u in uniq]
        tabs = np.zeros((len(ub), self._tb), dtype=np.uint8)
        got = np.zeros(len(ub), dtype=bool)
        build = []
        with self._lock:
            for j, b in enumerate(ub):
                s = self._slots.get(b)
                if s is not None:
                    self._slots.move_to_end(b)
                    tabs[j] = self._buf[s]
                    got[j] = True
                elif counts[j] > 1 or b in self._seen:
                    build.append(j)
                else:
                    self._seen[b] = None
                    while len(self._seen) > self._seen_max:
                        self._seen.popitem(last=False)
        if build:
            bk = np.zeros((len(build), 65), dtype=np.uint8)
            bk[:] = np.frombuffer(b"".join(ub[j] for j in build), dtype=np.uint8).reshape(-1, 65)
            built, ok = self._build(bk, np.full(len(build), 65, dtype=np.uint8))
            with self._lock:
                for t, j in enumerate(build):
                    self._seen.pop(ub[j], None)
                    if not ok[t]:
                        continue                 # not a curve point: the plain path rejects it
                    tabs[j] = built[t]
                    got[j] = True
                    if ub[j] not in self._slots and self._max > 0:
                        s = self._slot()
                        self._buf[s] = built[t]
                        self._slots[ub[j]] = s
        keep = np.flatnonzero(got)
        remap = np.full(len(ub), -1, dtype=np.int64)
        remap[keep] = np.arange(keep.size)
        item_tab = remap[inv]
        sel = item_tab >= 0
        has[rows[sel]] = True
        idx[rows[sel]] = item_tab[sel]
        return np.ascontiguousarray(tabs[keep]), idx, has
