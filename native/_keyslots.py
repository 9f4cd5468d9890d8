"""A bounded, thread-safe cache of per-key decoding results in one numpy arena (C never allocates).

Used by the secp256k1 and Ed25519 wrappers (native/secp256k1.py, native/ed25519.py): a key's slot holds
what its C kernel derives from the key bytes alone (the decoded point and, for secp256k1, the per-key table
of multiples) in the kernel's own row layout.  Verification calls take an (N,) int32 slot index per item
(-1: not cached, the kernel decodes the key itself), so permissioned chains, where the same senders and
validators sign again and again, skip the square root of decompression and the table building.

Policy: keyed by the exact key bytes, so two encodings of one point never share a slot; only decoding
results are stored, never verdicts; a key that does not decode never gets a slot (the kernel decodes it
again each time and rejects it).  A key gets a slot on its second sighting (or at once when it appears
twice in a batch): one-off keys only enter a bounded ``seen`` set, so a stream of distinct keys pays no
fill.  Slots are filled by the caller's ``fill`` callback into rows that nothing else reads until the key is
published under the lock; rows in use by a batch are pinned until its lease is released, so eviction (the
least recently used unpinned slot) never overwrites a row another thread is reading.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np


class SlotLease:
    """Slots for one batch: ``slots[i]`` is item i's row of ``arena`` or -1.  Release after the native
    calls that read them (the rows stay pinned until then)."""

    def __init__(self, cache: "KeySlotCache", arena, slots: np.ndarray, pinned: list[int]):
        self._cache, self.arena, self.slots, self._pinned = cache, arena, slots, pinned

    @property
    def any(self) -> bool:
        return bool(self._pinned)

    def release(self) -> None:
        if self._pinned:
            self._cache._unpin(self._pinned)
            self._pinned = []

    def __enter__(self) -> "SlotLease":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class KeySlotCache:
    """Key identity (fixed-width bytes) -> a filled row of ``row_bytes`` in a numpy arena of ``maxsize`` rows.

    ``fill(idents (M, W) uint8, arena, slots (M,) int32) -> (M,) bool`` writes row slots[t] for identity t
    and says which keys decoded.  The arena is allocated at full size on first use (zeroed pages, committed
    only as rows are filled), so it never moves while rows are in use.
    """

    def __init__(self, fill: Callable, row_bytes: int, maxsize: int = 4096, seen_max: int = 16384):
        self._fill = fill
        self._row = row_bytes
        self._max = max(0, int(maxsize))
        self._seen_max = seen_max
        self._arena: np.ndarray | None = None
        self._slots: OrderedDict[bytes, int] = OrderedDict()
        self._free: list[int] = []
        self._pins: dict[int, int] = {}
        self._orphans: set[int] = set()     # rows to free once unpinned (dropped or duplicated while in use)
        # Fingerprints (64-bit hashes of the identities) screen a batch in bulk, so that a stream of distinct
        # keys costs set operations, not a Python loop per item (measured: the per-item loop alone cost about
        # 1 us per signature, 10% of a verification).  A colliding fingerprint only sends an item through the
        # exact path below; the map itself is keyed by the exact bytes.
        self._key_fp: dict[bytes, int] = {}    # cached key -> its fingerprint
        self._fp_cached: dict[int, int] = {}    # fingerprint -> number of cached keys with it
        self._fp_set: set[int] = set()          # the same keys, as a set for bulk intersection
        self._seen_new: set[int] = set()        # fingerprints of keys seen once (two generations, bounded)
        self._seen_old: set[int] = set()
        self._lock = threading.Lock()
        self.fills = 0                      # keys filled so far (for tests and benchmarks)

    @property
    def maxsize(self) -> int:
        return self._max

    def __len__(self) -> int:
        return len(self._slots)

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()
            self._key_fp.clear()
            self._fp_cached.clear()
            self._fp_set.clear()
            self._seen_new, self._seen_old = set(), set()
            self._orphans = set(self._pins)
            rows = len(self._arena) if self._arena is not None else 0
            self._free = [s for s in range(rows - 1, -1, -1) if s not in self._pins] if self._pins \
                else list(range(rows - 1, -1, -1))

    def _unpin(self, slots) -> None:
        with self._lock:
            for s in slots:
                c = self._pins[s] - 1
                if c:
                    self._pins[s] = c
                    continue
                del self._pins[s]
                if s in self._orphans:
                    self._orphans.discard(s)
                    self._free.append(s)

    def _pin(self, s: int) -> None:
        self._pins[s] = self._pins.get(s, 0) + 1

    def _take(self) -> int | None:
        """A row for a new key (lock held): a free one, else the least recently used unpinned one (unlisted
        from the map); None when every row is pinned."""
        if self._free:
            return self._free.pop()
        for key, s in self._slots.items():
            if s not in self._pins:
                del self._slots[key]
                self._fp_drop(key)
                return s
        return None

    def _fp_drop(self, key: bytes) -> None:
        f = self._key_fp.pop(key)
        c = self._fp_cached[f] - 1
        if c:
            self._fp_cached[f] = c
        else:
            del self._fp_cached[f]
            self._fp_set.discard(f)

    def _fp_add(self, key: bytes, f: int) -> None:
        self._key_fp[key] = f
        self._fp_cached[f] = self._fp_cached.get(f, 0) + 1
        self._fp_set.add(f)

    def _seen_add(self, fps) -> None:
        self._seen_new.update(fps)
        if len(self._seen_new) > self._seen_max // 2:
            self._seen_old, self._seen_new = self._seen_new, set()

    @staticmethod
    def _fingerprints(ident: np.ndarray) -> np.ndarray:
        m, w = ident.shape
        pad = np.zeros((m, (w + 7) // 8 * 8), dtype=np.uint8)
        pad[:, :w] = ident
        words = pad.view("<u8")
        mult = (np.arange(words.shape[1], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C16)) | np.uint64(1)
        return np.bitwise_xor.reduce(words * mult, axis=1)

    def lookup(self, ident: np.ndarray, rows: np.ndarray, n: int) -> SlotLease:
        """Slots for the n items of a batch; ``ident`` (M, W) holds the identities of items ``rows`` (the
        others get -1).  Fills the slots of keys seen for the second time."""
        slots = np.full(n, -1, dtype=np.int32)
        if self._max == 0 or rows.size == 0:
            return SlotLease(self, self._arena, slots, [])
        w = ident.shape[1]
        fps = self._fingerprints(ident)
        fl = fps.tolist()
        fset = set(fl)
        if len(fset) == len(fl):             # the common case of one-off keys costs set operations only
            with self._lock:
                if not (fset & self._fp_set or fset & self._seen_new or fset & self._seen_old):
                    self._seen_add(fset)
                    return SlotLease(self, self._arena, slots, [])
        uf, finv, fcnt = np.unique(fps, return_inverse=True, return_counts=True)
        ufl = uf.tolist()
        with self._lock:
            known = self._fp_set.intersection(ufl) | self._seen_new.intersection(ufl) | \
                self._seen_old.intersection(ufl)
            interesting = fcnt > 1
            if known:
                interesting |= np.isin(uf, np.fromiter(known, dtype=np.uint64, count=len(known)))
            self._seen_add(uf[~interesting].tolist())    # keys seen once so far: no slot yet
        if not interesting.any():
            return SlotLease(self, self._arena, slots, [])
        sel = interesting[finv.ravel()]
        if not sel.all():
            ident, rows = ident[sel], rows[sel]
        uniq, inv, counts = np.unique(np.ascontiguousarray(ident).view(np.dtype((np.void, w))).ravel(),
                                      return_inverse=True, return_counts=True)
        ub = [u.tobytes() for u in uniq]
        ufp = self._fingerprints(uniq.view(np.uint8).reshape(-1, w)).tolist()
        slot_of = np.full(len(ub), -1, dtype=np.int32)
        pinned: list[int] = []
        fill_j: list[int] = []
        fill_s: list[int] = []
        with self._lock:
            if self._arena is None:
                self._arena = np.zeros((self._max, self._row), dtype=np.uint8)
                self._free = list(range(self._max - 1, -1, -1))
            arena = self._arena
            for j, b in enumerate(ub):
                s = self._slots.get(b)
                if s is not None:
                    self._slots.move_to_end(b)
                    self._pin(s)
                    pinned.append(s)
                    slot_of[j] = s
                elif counts[j] > 1 or ufp[j] in self._seen_new or ufp[j] in self._seen_old:
                    s = self._take()
                    if s is None:
                        continue                 # every row in use: this batch decodes the key itself
                    self._pin(s)
                    pinned.append(s)
                    fill_j.append(j)
                    fill_s.append(s)
                else:
                    self._seen_add([ufp[j]])
        if fill_j:
            fs = np.asarray(fill_s, dtype=np.int32)
            try:
                ok = self._fill(np.ascontiguousarray(uniq[fill_j]).view(np.uint8).reshape(-1, w), arena, fs)
            except BaseException:
                self._unpin_new(fill_s, pinned)
                raise
            with self._lock:
                self.fills += len(fill_j)
                for t, j in enumerate(fill_j):
                    b, s = ub[j], fill_s[t]
                    if not ok[t]:
                        self._orphans.add(s)     # never published: freed at release
                        continue
                    if b in self._slots:
                        self._orphans.add(s)     # another thread published it meanwhile: ours is a duplicate
                    else:
                        self._slots[b] = s
                        self._fp_add(b, ufp[j])
                    slot_of[j] = s
        sel = slot_of[inv.ravel()]
        slots[rows] = sel
        return SlotLease(self, arena, slots, pinned)

    def _unpin_new(self, new: list[int], pinned: list[int]) -> None:
        with self._lock:
            self._orphans.update(new)
        self._unpin(pinned)
