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

Bookkeeping is whole-batch numpy, with no per-item Python (the per-item version cost about half as much as
the Ed25519 verification it served, and ran serially under the lock), and the per-item loops (fingerprints,
the search) in C, native/src/keyslots.c (a lookup runs on the calling thread before a batch's threads start,
so its cost caps 2-thread scaling): each row's key bytes, fingerprint,
publication flag, pin count and last-used tick are arrays over the rows; a batch finds its candidates by
binary search of the published fingerprints and an exact byte comparison against the stored key decides, so
a fingerprint collision costs a further probe, never a wrong slot.  A row is reusable exactly when it is
unpublished and unpinned, so rows dropped (evicted, cleared, duplicated, failed to decode) while a batch still
reads them come free when that batch releases them.
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from . import check_rc, ffi, has, lib
from .errors import InvalidArgument

_EMPTY_U64 = np.zeros(0, dtype=np.uint64)
# Fingerprints and the exact-match search in C (native/src/keyslots.c: 1,024 keys, 60 us of numpy calls ->
# about 5 us); the numpy code below serves a checkout whose module lacks them (and the tests compare both).
_NATIVE = has("lv_keyslots_find")


def _p(a: np.ndarray, ctype: str):
    return ffi.cast(ctype, ffi.from_buffer(a))


class SlotLease:
    """Slots for one batch: ``slots[i]`` is item i's row of ``arena`` or -1.  Release after the native
    calls that read them (the rows stay pinned until then)."""

    def __init__(self, cache: "KeySlotCache", arena, slots: np.ndarray, pinned: np.ndarray | None):
        self._cache, self.arena, self.slots, self._pinned = cache, arena, slots, pinned

    @property
    def any(self) -> bool:
        return self._pinned is not None and self._pinned.size > 0

    def release(self) -> None:
        if self._pinned is not None:
            pinned, self._pinned = self._pinned, None
            if pinned.size:
                self._cache._unpin(pinned)

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
        self._words: np.ndarray | None = None       # (maxsize, ceil(W / 8)) uint64: each row's key, zero-padded
        self._fp = np.zeros(self._max, dtype=np.uint64)
        self._used = np.zeros(self._max, dtype=bool)    # published: the map holds this row
        self._pins = np.zeros(self._max, dtype=np.int32)
        self._tick = np.zeros(self._max, dtype=np.int64)
        self._now = 0
        self._count = 0
        # Published rows ordered by fingerprint, rebuilt lazily after a change (steady state: never).
        self._sfp = _EMPTY_U64
        self._sslot = np.zeros(0, dtype=np.int32)
        self._dirty = False
        self._seen_new = _EMPTY_U64     # sorted fingerprints of keys seen once (two generations, bounded)
        self._seen_old = _EMPTY_U64
        self._width = 0
        self._lock = threading.Lock()
        self.fills = 0                      # keys filled so far (for tests and benchmarks)

    @property
    def maxsize(self) -> int:
        return self._max

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        with self._lock:
            self._used[:] = False
            self._count = 0
            self._dirty = True
            self._seen_new = self._seen_old = _EMPTY_U64

    def _pin(self, rows: np.ndarray, delta: int) -> None:
        """pins[r] += delta for each r in rows, once per occurrence (lock held; native only)."""
        rows = np.ascontiguousarray(rows, dtype=np.int32)
        check_rc(lib.lv_keyslots_pin(_p(rows, "int32_t *"), rows.size, delta, self._now, self._max,
                                     _p(self._pins, "int32_t *"), _p(self._tick, "int64_t *")), "lv_keyslots_pin")

    def _unpin(self, pinned: np.ndarray) -> None:
        with self._lock:
            if _NATIVE:
                self._pin(pinned, -1)   # a row pinned twice by a batch (the all-hit path) is unpinned twice
            else:
                self._pins[pinned] -= 1     # pinned holds distinct rows

    @staticmethod
    def _words_of(ident: np.ndarray) -> np.ndarray:
        """(M, W) uint8 -> (M, ceil(W / 8)) uint64, zero-padded (a view when W is a multiple of 8)."""
        m, w = ident.shape
        if w % 8 == 0 and ident.flags.c_contiguous:
            return ident.view("<u8")
        pad = np.zeros((m, (w + 7) // 8 * 8), dtype=np.uint8)
        pad[:, :w] = ident
        return pad.view("<u8")

    @staticmethod
    def _fingerprints(ident: np.ndarray) -> np.ndarray:
        words = KeySlotCache._words_of(ident)
        if _NATIVE:
            words = np.ascontiguousarray(words)
            out = np.empty(len(words), dtype=np.uint64)
            check_rc(lib.lv_keyslots_fingerprints(_p(words, "uint64_t *"), len(words), words.shape[1],
                                                  _p(out, "uint64_t *")), "lv_keyslots_fingerprints")
            return out
        # column by column: a reduction along the short rows costs three times as much
        acc = words[:, 0] * np.uint64(1)
        for j in range(1, words.shape[1]):
            acc ^= words[:, j] * np.uint64((j * 0x9E3779B97F4A7C16 | 1) & (2**64 - 1))
        return acc

    @staticmethod
    def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Row-wise equality of two (K, nw) uint64 arrays."""
        acc = a[:, 0] ^ b[:, 0]
        for j in range(1, a.shape[1]):
            acc |= a[:, j] ^ b[:, j]
        return acc == 0

    def _index(self) -> None:
        """Rebuild the fingerprint-ordered view of the published rows (lock held)."""
        if self._dirty:
            live = np.flatnonzero(self._used).astype(np.int32)
            order = np.argsort(self._fp[live], kind="stable")
            self._sslot = live[order]
            self._sfp = self._fp[self._sslot]
            self._dirty = False

    def _find(self, words: np.ndarray, fps: np.ndarray) -> np.ndarray:
        """(M,) published row holding each identity exactly, or -1 (lock held)."""
        self._index()
        found = np.full(len(fps), -1, dtype=np.int32)
        size = self._sfp.size
        if size == 0 or len(fps) == 0:
            return found
        if _NATIVE:
            words, fps = np.ascontiguousarray(words), np.ascontiguousarray(fps)
            check_rc(lib.lv_keyslots_find(_p(words, "uint64_t *"), _p(fps, "uint64_t *"), len(fps), words.shape[1],
                                          _p(self._sfp, "uint64_t *"), _p(self._sslot, "int32_t *"), size,
                                          _p(self._words, "uint64_t *"), len(self._words), _p(found, "int32_t *")),
                     "lv_keyslots_find")
            return found
        pos = np.searchsorted(self._sfp, fps)
        todo = np.arange(len(fps))
        while todo.size:            # more than one probe only where published fingerprints collide
            p = pos[todo]
            ok = p < size
            todo, p = todo[ok], p[ok]
            same = self._sfp[p] == fps[todo]
            todo, p = todo[same], p[same]
            if not todo.size:
                break
            cand = self._sslot[p]
            hit = self._same(self._words[cand], words[todo])
            found[todo[hit]] = cand[hit]
            todo = todo[~hit]
            pos[todo] += 1
        return found

    def _seen(self, fps: np.ndarray) -> np.ndarray:
        out = np.zeros(len(fps), dtype=bool)
        for s in (self._seen_new, self._seen_old):
            if s.size:
                p = np.minimum(np.searchsorted(s, fps), s.size - 1)
                out |= s[p] == fps
        return out

    def _seen_add(self, fps: np.ndarray) -> None:
        """fps: sorted, distinct, none seen yet.  Merging two sorted runs is linear under the stable
        (run-merging) sort."""
        if not fps.size:
            return
        merged = np.sort(np.concatenate((self._seen_new, fps)), kind="stable")
        if merged.size > self._seen_max // 2:
            self._seen_old, merged = merged, _EMPTY_U64
        self._seen_new = merged

    def _take(self, m: int) -> np.ndarray:
        """Up to m rows for new keys (lock held): free ones (lowest first), then the least recently used
        unpinned published ones, unpublished here.  Fewer when every other row is pinned."""
        idle = self._pins == 0
        rows = np.flatnonzero(idle & ~self._used)[:m]
        if rows.size < m:
            old = np.flatnonzero(idle & self._used)
            if old.size:
                old = old[np.argsort(self._tick[old], kind="stable")[:m - rows.size]]
                self._used[old] = False
                self._count -= old.size
                self._dirty = True
                rows = np.concatenate((rows, old))
        return rows.astype(np.int32)

    def lookup(self, ident: np.ndarray, rows: np.ndarray, n: int, threads: int | None = None) -> SlotLease:
        """Slots for the n items of a batch; ``ident`` (M, W) holds the identities of items ``rows`` (the
        others get -1).  Fills the slots of keys seen for the second time; ``threads``, when given, is passed
        on to a ``fill`` that splits its work over threads (``fill(idents, arena, slots, threads=...)``)."""
        slots = np.full(n, -1, dtype=np.int32)
        if self._max == 0 or rows.size == 0:
            return SlotLease(self, self._arena, slots, None)
        ident = np.ascontiguousarray(ident, dtype=np.uint8)
        m, w = ident.shape
        fps = self._fingerprints(ident)
        if _NATIVE and self._arena is not None and self._width == w:
            # Every key already has a row (a permissioned chain's steady state): pin each row once per item
            # and skip the grouping of equal keys that only new keys need (a third of the lookup's cost).
            words = self._words_of(ident)
            with self._lock:
                found = self._find(words, fps)
                if (found >= 0).all():
                    self._now += 1
                    self._pin(found, 1)
                    slots[rows] = found
                    return SlotLease(self, self._arena, slots, found)
        # Distinct keys in fingerprint order (binary searches with ascending queries run faster).
        order = np.argsort(fps)
        sfp = fps[order]
        step = np.empty(m, dtype=bool)
        step[0] = True
        np.not_equal(sfp[1:], sfp[:-1], out=step[1:])
        inv = np.empty(m, dtype=np.intp)
        if step.all():                  # the common case: m distinct fingerprints
            uf, first, cnt = sfp, order, np.ones(m, dtype=np.intp)
            inv[order] = np.arange(m)
        else:
            starts = np.flatnonzero(step)
            uf, first = sfp[starts], order[starts]
            cnt = np.diff(np.append(starts, m))
            inv[order] = np.cumsum(step) - 1
        uid = ident[first]
        sorted_fp = True
        if uf.size < m and not (ident == uid[inv]).all():
            # keys with one fingerprint but different bytes: group by the bytes themselves
            _, first, inv, cnt = np.unique(ident.view(np.dtype((np.void, w))).ravel(), return_index=True,
                                           return_inverse=True, return_counts=True)
            inv = inv.ravel()
            uid, uf, sorted_fp = ident[first], fps[first], False
        uwords = self._words_of(uid)
        fill_ident = fill_fp = new = None
        with self._lock:
            if self._arena is None:
                self._arena = np.zeros((self._max, self._row), dtype=np.uint8)
                self._width = w
                self._words = np.zeros((self._max, uwords.shape[1]), dtype=np.uint64)
            if self._width != w:
                raise InvalidArgument(f"key identities are {self._width} bytes wide, not {w}")
            arena = self._arena
            slot_of = self._find(uwords, uf)
            hit = slot_of >= 0
            self._now += 1
            pinned = slot_of[hit]          # distinct: one row per distinct key
            if pinned.size:
                self._pins[pinned] += 1
                self._tick[pinned] = self._now
            if not hit.all():
                miss = np.flatnonzero(~hit)
                want = (cnt[miss] > 1) | self._seen(uf[miss])
                once = uf[miss[~want]]
                self._seen_add(once if sorted_fp else np.unique(once))    # seen once so far: no slot yet
                want_j = miss[want]
                if want_j.size:
                    new = self._take(want_j.size)
                    want_j = want_j[:new.size]           # every row in use: the rest decode themselves
                    if new.size:
                        self._pins[new] += 1
                        fill_ident = uid[want_j]
                        fill_words = uwords[want_j]
                        fill_fp = uf[want_j]
        if new is None or not new.size:
            slots[rows] = slot_of[inv]
            return SlotLease(self, arena, slots, pinned)
        try:
            extra = {} if threads is None else {"threads": threads}
            ok = np.asarray(self._fill(fill_ident, arena, new, **extra), dtype=bool)
        except BaseException:
            self._unpin(np.concatenate((pinned, new)))
            raise
        with self._lock:
            self.fills += new.size
            # another thread may have published one of these keys meanwhile: its row stays, ours is a
            # duplicate that comes free at release
            pub = ok & (self._find(fill_words, fill_fp) < 0)
            ps = new[pub]
            if ps.size:
                self._words[ps] = fill_words[pub]
                self._fp[ps] = fill_fp[pub]
                self._tick[ps] = self._now
                self._used[ps] = True
                self._count += ps.size
                self._dirty = True
        slot_of[want_j[ok]] = new[ok]
        slots[rows] = slot_of[inv]
        return SlotLease(self, arena, slots, np.concatenate((pinned, new)))
