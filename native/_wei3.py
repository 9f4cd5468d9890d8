"""Shared helpers of the two "wei3" curve wrappers (native/p256.py, native/sm2.py): argument checks, chunk
pointers and the bounded, thread-safe cache of decompressed public keys.

wei3: short Weierstrass curves with a = -3, y^2 = x^3 - 3x + b over a 256-bit prime field (NIST P-256 and
SM2's sm2p256v1), which share their C field/group/scalar-multiplication layers (native/src/wei3_*_impl.h).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


from . import check_rc, ffi, lib
from .errors import InvalidArgument, InvalidType


def lanes_outrun_tables() -> bool:
    """True when the 8-lane AVX-512 IFMA first-sighting kernel is active (CPU features after any
    ``cpu_mask``).  It then beats the per-key tables as well (measured, 256 cached keys, one core:
    P-256 14.2 against 18.3 us per verification), so the wrappers skip the tables and never build them."""
    if not hasattr(lib, "lv_p256_best_path"):
        return False
    return lib.lv_p256_best_path() == lib.LV_P256_PATH_IFMA8  # sm2 shares the table (wei3_path_impl.h)


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


class TableLease:
    """Key tables for one batch: ``has[i]`` when item i has a table, at row ``idx[i]`` of ``tabs`` (the
    cache's buffer; the rows in use are pinned until ``release()``, so no eviction can overwrite them)."""

    def __init__(self, cache, tabs, idx, has, slots):
        self._cache, self.tabs, self.idx, self.has, self._slots = cache, tabs, idx, has, slots

    def release(self) -> None:
        if self._slots:
            self._cache._unpin(self._slots)
            self._slots = []


class KeyTableCache:
    """SEC1 public key (as encoded: 33 or 65 bytes) -> its key table (precomputed multiples for the split
    joint multiplication in native/src/wei3_keytab_impl.h, ``table_bytes`` opaque bytes).

    A table (16 KiB) costs about two plain verifications to build and makes every later verification under
    that key about 3.5x faster, so a key gets one on its second sighting (or at once when it appears twice in
    a batch); keys seen once stay in a bounded ``seen`` set.  Keyed by the encoding as given, so a hit also
    skips decompression.  Tables live in one numpy buffer owned here (C never allocates), 1024 tables
    (16 MiB) by default; the least recently used unpinned table goes first.  Thread-safe: a lookup pins
    the rows it hands out until the lease is released (measured: handing out copies instead cost about
    1 us per signature).  Results never depend on the cache's state (both paths verify the same
    equation; tests check they agree); keys that do not decode never get a table.
    """

    def __init__(self, build, table_bytes: int, maxsize: int = 1024, seen_max: int = 16384):
        self._build = build            # (keys (M,65), lens (M,)) -> (tabs (M,table_bytes), ok (M,))
        self._tb = table_bytes
        self._max = maxsize
        self._seen_max = seen_max
        self._buf = np.zeros((0, table_bytes), dtype=np.uint8)
        self._slots: OrderedDict[bytes, int] = OrderedDict()
        self._free: list[int] = []
        self._pins: dict[int, int] = {}
        self._orphans: set[int] = set()     # slots dropped by clear() while pinned
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()
            self._seen.clear()
            self._orphans = set(self._pins)
            self._free = [s for s in range(len(self._buf)) if s not in self._pins]

    def __len__(self) -> int:
        return len(self._slots)

    def _unpin(self, slots) -> None:
        with self._lock:
            for s in slots:
                c = self._pins[s] - 1
                if c:
                    self._pins[s] = c
                else:
                    del self._pins[s]
                    if s in self._orphans:
                        self._orphans.discard(s)
                        self._free.append(s)

    def _slot(self):
        """A row for a new table (lock held): a free one, a new one up to maxsize, else the least recently
        used unpinned one; None when every row is pinned."""
        if self._free:
            return self._free.pop()
        if len(self._buf) < self._max:
            old = len(self._buf)
            grown = np.zeros((min(self._max, max(16, 2 * old)), self._tb), dtype=np.uint8)
            grown[:old] = self._buf          # leases keep the old buffer alive; pinned rows never change
            self._buf = grown
            self._free = list(range(len(grown) - 1, old, -1))
            return old
        for key, s in self._slots.items():
            if s not in self._pins:
                del self._slots[key]
                return s
        return None

    def lookup(self, keys: np.ndarray, key_lens: np.ndarray, enabled: bool = True) -> TableLease:
        """Tables for the (N, 65) rows holding SEC1 keys of key_lens bytes; release the lease after use.
        ``enabled=False`` gives a lease without tables and records no sighting."""
        n = len(keys)
        idx = np.zeros(n, dtype=np.int32)
        has = np.zeros(n, dtype=bool)
        rows = np.flatnonzero((key_lens == 33) | (key_lens == 65))
        if self._max <= 0 or rows.size == 0 or not enabled:
            return TableLease(self, self._buf, idx, has, [])
        ident = np.empty((rows.size, 66), dtype=np.uint8)
        ident[:, 0] = key_lens[rows]
        ident[:, 1:] = keys[rows]
        ident[ident[:, 0] == 33, 34:] = 0    # bytes past a compressed key are not part of it
        uniq, inv, counts = np.unique(ident.view(np.dtype((np.void, 66))).ravel(), return_inverse=True,
                                      return_counts=True)
        ub = [u.tobytes() for u in uniq]
        slot_of = np.full(len(ub), -1, dtype=np.int64)
        pinned: list[int] = []
        build = []
        with self._lock:
            for j, b in enumerate(ub):
                s = self._slots.get(b)
                if s is not None:
                    self._slots.move_to_end(b)
                    slot_of[j] = s
                    self._pins[s] = self._pins.get(s, 0) + 1
                    pinned.append(s)
                elif counts[j] > 1 or b in self._seen:
                    build.append(j)
                else:
                    self._seen[b] = None
                    while len(self._seen) > self._seen_max:
                        self._seen.popitem(last=False)
            buf = self._buf
        if build:
            bk = np.zeros((len(build), 65), dtype=np.uint8)
            bl = np.zeros(len(build), dtype=np.uint8)
            for t, j in enumerate(build):
                bl[t] = ub[j][0]
                bk[t] = np.frombuffer(ub[j][1:], dtype=np.uint8)
            built, ok = self._build(bk, bl)
            with self._lock:
                for t, j in enumerate(build):
                    self._seen.pop(ub[j], None)
                    if not ok[t]:
                        continue                 # not a valid key: the plain path rejects it
                    s = self._slots.get(ub[j])   # another thread may have built it meanwhile
                    if s is None:
                        s = self._slot()
                        if s is None:
                            continue             # every row pinned: this batch uses the plain path
                        self._buf[s] = built[t]
                        self._slots[ub[j]] = s
                    slot_of[j] = s
                    self._pins[s] = self._pins.get(s, 0) + 1
                    pinned.append(s)
                buf = self._buf                  # newest buffer: holds every pinned row
        item_slot = slot_of[inv.ravel()]
        sel = item_slot >= 0
        has[rows[sel]] = True
        idx[rows[sel]] = item_slot[sel]
        return TableLease(self, buf, idx, has, pinned)


def key_decoders(curve: str):
    """(decompress, keytabs) for ``curve`` ("p256" or "sm2"): each takes SEC1 keys in (N, 65) rows and their
    (N,) lengths and returns (rows, an (N,) bool 'decodes' mask) — uncompressed keys, or key tables of
    LV_<CURVE>_KEYTAB_BYTES bytes."""
    decompress_fn = getattr(lib, f"lv_{curve}_decompress")
    keytab_fn = getattr(lib, f"lv_{curve}_keytab")
    tab_bytes = int(getattr(lib, f"LV_{curve.upper()}_KEYTAB_BYTES"))

    def run(fn, name, width, keys, key_lens):
        keys, key_lens = u8("keys", keys, 65), u8("key_lens", key_lens, None)
        n = same_n(keys=keys, key_lens=key_lens)
        out = np.zeros((n, width), dtype=np.uint8)
        ok = np.zeros(n, dtype=np.uint8)
        check_rc(fn(ptr(keys), ptr(key_lens), n, ptr(out), ptr(ok)), name)
        return out, ok.view(bool)

    def decompress(keys, key_lens):
        return run(decompress_fn, f"lv_{curve}_decompress", 65, keys, key_lens)

    def keytabs(keys, key_lens):
        return run(keytab_fn, f"lv_{curve}_keytab", tab_bytes, keys, key_lens)

    return decompress, keytabs, tab_bytes


def verify_split(table_cache: "KeyTableCache", keys, key_lens, values, sigs, *, threads, min_chunk: int,
                 tab_call, plain_call, plain_keys=None) -> np.ndarray:
    """Run one verification batch over the two kernels of a curve: items whose key has a cached table take
    ``tab_call(tabs, idx_p, values, sigs, a, b, out)``, the others ``plain_call(keys, lens, values, sigs, a, b,
    out)`` (after ``plain_keys(keys, lens)`` when given), each over thread chunks [a, b) writing out[a:b].
    Where the 8-lane IFMA kernel runs it beats the tables too, so every key takes the plain path.  Same
    verdicts either way; returns (N,) bool."""
    from ._pool import run_chunks

    n = keys.shape[0]
    out = np.zeros(n, dtype=np.uint8)
    lease = table_cache.lookup(keys, key_lens, enabled=not lanes_outrun_tables())
    try:
        tab_items, plain_items = np.flatnonzero(lease.has), np.flatnonzero(~lease.has)
        if tab_items.size:
            sub = tab_items.size < n
            t_idx = lease.idx[tab_items] if sub else lease.idx
            t_val, t_sig = (values[tab_items], sigs[tab_items]) if sub else (values, sigs)
            t_out = np.zeros(tab_items.size, dtype=np.uint8)
            tabs = lease.tabs

            def tchunk(a: int, b: int) -> None:
                idx_p = ffi.cast("int32_t *", ffi.from_buffer(t_idx)) + a
                tab_call(tabs, idx_p, t_val, t_sig, a, b, t_out)

            run_chunks(tab_items.size, threads, tchunk, min_chunk=min_chunk)
            out[tab_items] = t_out
    finally:
        lease.release()
    if plain_items.size:
        sub = plain_items.size < n
        p_keys, p_lens, p_val, p_sig = ((keys[plain_items], key_lens[plain_items], values[plain_items],
                                         sigs[plain_items]) if sub else (keys, key_lens, values, sigs))
        if plain_keys is not None:
            p_keys, p_lens = plain_keys(p_keys, p_lens)
        p_out = np.zeros(plain_items.size, dtype=np.uint8)
        run_chunks(plain_items.size, threads, lambda a, b: plain_call(p_keys, p_lens, p_val, p_sig, a, b, p_out),
                   min_chunk=min_chunk)
        out[plain_items] = p_out
    return out.view(bool)
