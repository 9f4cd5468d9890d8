"""Shared helpers of the two "wei3" curve wrappers (native/p256.py, native/sm2.py): argument checks, chunk
pointers and the per-key caches of decompressed keys and key tables (both KeySlotCaches, native/_keyslots.py).

wei3: short Weierstrass curves with a = -3, y^2 = x^3 - 3x + b over a 256-bit prime field (NIST P-256 and
SM2's sm2p256v1), which share their C field/group/scalar-multiplication layers (native/src/wei3_*_impl.h).
"""
from __future__ import annotations

import numpy as np

from . import check_rc, ffi, lib
from ._keyslots import KeySlotCache, SlotLease
from ._pool import resolve_threads, run_chunks
from .errors import InvalidArgument, InvalidType


def lanes_outrun_tables() -> bool:
    """True when the 8-lane AVX-512 IFMA kernels are active (CPU features after any ``cpu_mask``).  The
    first-sighting lanes then beat the 4x64 key tables (measured, 256 cached keys, one core: P-256 14.2
    against 18.3 us per verification), so the wrappers never build those; a key seen again takes the lane
    key tables instead (``lane_tables``: native/src/wei3_ifma_keytab_impl.h)."""
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


# A SEC1 key's identity in the slot caches below: its length byte, then its bytes zero-padded to 65 (so the
# 33- and 65-byte forms of one point never share a slot, and bytes past a compressed key are not part of
# it), padded to 72 so the slot cache reads it as whole words without a copy.
_IDENT_BYTES = 72


def key_idents(keys: np.ndarray, key_lens: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(M, 72) identities of the keys in ``rows`` of (N, 65) keys with lengths key_lens."""
    if hasattr(lib, "lv_keyslots_sec1_idents"):   # one C pass instead of five strided numpy copies
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        keys, key_lens = np.ascontiguousarray(keys), np.ascontiguousarray(key_lens)
        ident = np.empty((rows.size, _IDENT_BYTES), dtype=np.uint8)
        check_rc(lib.lv_keyslots_sec1_idents(ptr(keys), ptr(key_lens), len(keys),
                                             ffi.cast("int64_t *", ffi.from_buffer(rows)), rows.size, ptr(ident)),
                 "lv_keyslots_sec1_idents")
        return ident
    whole = rows.size == len(keys)
    ck, cl = (keys, key_lens) if whole else (keys[rows], key_lens[rows])
    ident = np.empty((rows.size, _IDENT_BYTES), dtype=np.uint8)
    ident[:, 0] = cl
    ident[:, 1:34] = ck[:, :33]
    np.multiply(ck[:, 33:65], (cl == 65)[:, None], out=ident[:, 34:66])
    ident[:, 66:] = 0
    return ident


class KeyCache(KeySlotCache):
    """Compressed SEC1 key (33 bytes) -> its 65-byte uncompressed form, in a KeySlotCache (native/_keyslots.py:
    bounded, thread-safe, vectorised; a key gets a row on its second sighting, one that does not decode
    never, and is decompressed in C each time until then).

    Decompression costs a square root (an exponentiation, about a third of a verification); permissioned
    chains see the same keys again and again.
    """

    def __init__(self, decompress, maxsize: int = 65536):
        self._decompress = decompress      # (keys (M,65), lens (M,)) -> (out (M,65), ok (M,))
        super().__init__(self._fill_rows, 65, maxsize=maxsize)

    def _fill_rows(self, ident: np.ndarray, arena: np.ndarray, slots: np.ndarray, threads: int = 1):
        keys, lens = np.ascontiguousarray(ident[:, 1:66]), np.ascontiguousarray(ident[:, 0])
        ok = np.zeros(len(slots), dtype=bool)

        def chunk(a: int, b: int) -> None:
            out, ok[a:b] = self._decompress(keys[a:b], lens[a:b])
            arena[slots[a:b]] = out

        run_chunks(len(slots), threads, chunk, min_chunk=8)
        return ok

    def uncompressed(self, keys: np.ndarray, key_lens: np.ndarray,
                     threads: int | None = 1) -> tuple[np.ndarray, np.ndarray]:
        """(keys, lens) with the compressed rows this cache holds replaced by their uncompressed form (length
        65); the other rows as they were, so the verify kernel decompresses them itself, in its thread's
        chunk.  (Decompressing the misses here, in one call on the caller's thread, was 11% of a 1,024-key
        batch of fresh keys at the AVX2 tier and held 2-thread scaling at 1.76x.)  Results never depend on
        the cache's state: the kernels take either encoding."""
        comp = np.flatnonzero(key_lens == 33)
        if comp.size == 0:
            return keys, key_lens
        with self.lookup(key_idents(keys, key_lens, comp), comp, len(keys), resolve_threads(threads)) as lease:
            hit = comp[lease.slots[comp] >= 0]
            if hit.size == 0:
                return keys, key_lens
            keys2, lens2 = keys.copy(), key_lens.copy()
            keys2[hit] = lease.arena[lease.slots[hit]]
            lens2[hit] = 65
        return keys2, lens2


class TableLease:
    """Key tables for one batch: ``has[i]`` when item i has a table, at row ``idx[i]`` of ``tabs`` (the
    cache's arena; the rows in use are pinned until ``release()``, so no eviction can overwrite them) and of
    ``side`` (the cache's per-row extra bytes, or None)."""

    def __init__(self, lease: SlotLease | None, tabs, idx, has, side=None):
        self._lease, self.tabs, self.idx, self.has, self.side = lease, tabs, idx, has, side

    @classmethod
    def empty(cls, n: int) -> TableLease:
        return cls(None, None, np.zeros(n, dtype=np.int32), np.zeros(n, dtype=bool))

    def release(self) -> None:
        if self._lease is not None:
            self._lease.release()
            self._lease = None


class KeyTableCache(KeySlotCache):
    """SEC1 public key (as encoded: 33 or 65 bytes) -> its key table (precomputed multiples for the split
    joint multiplication in native/src/wei3_keytab_impl.h, ``table_bytes`` opaque bytes), in a
    KeySlotCache (native/_keyslots.py holds the policy: bounded, thread-safe, a row on a key's second
    sighting or at once when it appears twice in a batch, never for a key that does not decode, the least
    recently used unpinned row evicted first, rows pinned by a batch until its lease is released).

    A table (32 KiB: 16 chunks of 32 points, wei3_ecmult_impl.h) costs about four plain verifications to
    build (155 us at the AVX2 tier) and makes every later verification under that key about 3.5x faster.
    The IFMA lanes' tables (``lane_key_tables``, 10 KiB, built 8 keys at a time in the lanes) cost about
    2.5 of their first-sighting verifications (23 us) and make each later one about 1.7x faster (9.5 ->
    5.6 us), so they pay back after about 6 verifications under a key.  Tables are built over the batch's
    threads (a batch of new keys on their second sighting is otherwise serial work on the calling thread).
    Keyed by the encoding as given, so a hit also skips decompression.  1024 tables (32 MiB of address
    space, committed as rows fill) by default.  Results never depend on the cache's state (both paths
    verify the same equation; tests check they agree).

    ``side = (fill, nbytes)`` keeps ``nbytes`` more per row, filled with the table by ``fill(keys (M, 65),
    lens (M,)) -> ((M, nbytes), ok (M,))`` (SM2 keeps each key's Z_A there, so a key with a table needs no
    second lookup); a lease hands them out as ``side``.
    """

    def __init__(self, build, table_bytes: int, maxsize: int = 1024, seen_max: int = 16384, side=None):
        self._build = build            # (keys (M,65), lens (M,)) -> (tabs (M,table_bytes), ok (M,))
        self._tb = table_bytes
        self._side_fill, side_bytes = side if side is not None else (None, 0)
        self._side = np.zeros((max(0, int(maxsize)), side_bytes), dtype=np.uint8) if side is not None else None
        super().__init__(self._fill_rows, table_bytes, maxsize=maxsize, seen_max=seen_max)

    def _fill_rows(self, ident: np.ndarray, arena: np.ndarray, slots: np.ndarray, threads: int | None = 1):
        keys, lens = np.ascontiguousarray(ident[:, 1:66]), np.ascontiguousarray(ident[:, 0])
        ok = np.zeros(len(slots), dtype=bool)

        def chunk(a: int, b: int) -> None:
            tabs, okc = self._build(keys[a:b], lens[a:b])
            arena[slots[a:b]] = tabs
            if self._side is not None:
                extra, ok2 = self._side_fill(keys[a:b], lens[a:b])
                self._side[slots[a:b]] = extra
                okc = okc & ok2
            ok[a:b] = okc

        run_chunks(len(slots), threads, chunk)   # one table costs about four verifications: any chunk pays
        return ok

    def lookup(self, keys: np.ndarray, key_lens: np.ndarray, enabled: bool = True,
               threads: int | None = 1) -> TableLease:
        """Tables for the (N, 65) rows holding SEC1 keys of key_lens bytes; release the lease after use.
        ``enabled=False`` gives a lease without tables and records no sighting.  New tables are built over
        ``threads`` (None: every core)."""
        n = len(keys)
        rows = np.flatnonzero((key_lens == 33) | (key_lens == 65))
        if not enabled or rows.size == 0 or self.maxsize == 0:
            return TableLease.empty(n)
        lease = super().lookup(key_idents(keys, key_lens, rows), rows, n, threads=resolve_threads(threads))
        has = lease.slots >= 0
        return TableLease(lease, lease.arena, np.where(has, lease.slots, 0).astype(np.int32), has, self._side)


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


def lane_key_tables(curve: str):
    """(keytabs8, bytes) for ``curve``: the builder of lane key tables (as ``key_decoders``' keytabs, rows of
    LV_<CURVE>_KEYTAB8_BYTES), or None where the module lacks them."""
    fn = getattr(lib, f"lv_{curve}_keytab8", None)
    if fn is None:
        return None
    tab_bytes = int(getattr(lib, f"LV_{curve.upper()}_KEYTAB8_BYTES"))

    def keytabs8(keys, key_lens):
        keys, key_lens = u8("keys", keys, 65), u8("key_lens", key_lens, None)
        n = same_n(keys=keys, key_lens=key_lens)
        out = np.zeros((n, tab_bytes), dtype=np.uint8)
        ok = np.zeros(n, dtype=np.uint8)
        check_rc(fn(ptr(keys), ptr(key_lens), n, ptr(out), ptr(ok)), f"lv_{curve}_keytab8")
        return out, ok.view(bool)

    return keytabs8, tab_bytes


def verify_split(table_cache: "KeyTableCache", keys, key_lens, values, sigs, *, threads, min_chunk: int,
                 tab_call, plain_call, plain_keys=None) -> np.ndarray:
    """Run one verification batch over the two kernels of a curve: items whose key has a cached table take
    ``tab_call(tabs, idx_p, values, sigs, a, b, out)``, the others ``plain_call(keys, lens, values, sigs, a, b,
    out)`` (after ``plain_keys(keys, lens)`` when given), each over thread chunks [a, b) writing out[a:b].
    The caller passes the table cache and call of the active path (4x64 or lane tables); ``table_cache=None``
    sends every key to the plain path.  Same verdicts either way; returns (N,) bool."""
    n = keys.shape[0]
    lease = TableLease.empty(n) if table_cache is None else table_cache.lookup(keys, key_lens, threads=threads)
    try:
        return verify_leased(lease, keys, key_lens, values, sigs, threads=threads, min_chunk=min_chunk,
                             tab_call=tab_call, plain_call=plain_call, plain_keys=plain_keys)
    finally:
        lease.release()


def verify_leased(lease: TableLease, keys, key_lens, values, sigs, *, threads, min_chunk: int, tab_call,
                  plain_call, plain_keys=None, prepare=None) -> np.ndarray:
    """``verify_split`` with the tables already looked up (the caller releases ``lease``), in one pass over
    the threads: each chunk [a, b) of the batch runs ``prepare(a, b)`` first when given (it may fill
    values[a:b] and the keys of the chunk's plain items), then both kernels on its items."""
    n = keys.shape[0]
    out = np.zeros(n, dtype=np.uint8)
    has, idx, tabs = lease.has, lease.idx, lease.tabs
    n_tab = int(np.count_nonzero(has))
    if plain_keys is not None and n_tab < n:
        plain = np.flatnonzero(~has)
        if plain.size == n:
            keys, key_lens = plain_keys(keys, key_lens)
        else:
            keys, key_lens = keys.copy(), key_lens.copy()
            keys[plain], key_lens[plain] = plain_keys(keys[plain], key_lens[plain])
    p_idx = ffi.cast("int32_t *", ffi.from_buffer(idx))

    def chunk(a: int, b: int) -> None:
        if prepare is not None:
            prepare(a, b)
        if n_tab == n:
            tab_call(tabs, p_idx + a, values, sigs, a, b, out)
        elif n_tab == 0:
            plain_call(keys, key_lens, values, sigs, a, b, out)
        else:   # both kinds in this batch: each kernel on this chunk's items of its kind
            h = has[a:b]
            t, p = a + np.flatnonzero(h), a + np.flatnonzero(~h)
            if t.size:
                t_idx, t_out = np.ascontiguousarray(idx[t]), np.zeros(t.size, dtype=np.uint8)
                tab_call(tabs, ffi.cast("int32_t *", ffi.from_buffer(t_idx)), values[t], sigs[t], 0, t.size, t_out)
                out[t] = t_out
            if p.size:
                p_out = np.zeros(p.size, dtype=np.uint8)
                plain_call(keys[p], key_lens[p], values[p], sigs[p], 0, p.size, p_out)
                out[p] = p_out

    run_chunks(n, threads, chunk, min_chunk=min_chunk)
    return out.view(bool)
