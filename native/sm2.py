"""SM2 signatures (GB/T 32918.2, curve sm2p256v1, default user ID) through the C kernels
(native/src/sm2.c and the shared wei3_* layers: short Weierstrass, a = -3).

The C kernel takes e = SM3(Z_A || M), Z_A being the SM3 hash of the signer's user ID, the curve parameters and
the public key (GB/T 32918.2 section 5.5); this layer computes e with the native SM3 over spans
(native/hashes.py) and keeps one bounded, thread-safe slot cache per key of its uncompressed form and Z_A (no
per-key Python: native/_keyslots.py), next to the cache of per-key tables (a key seen again verifies through
its table, whose row holds its Z_A too).  After the cache lookups a batch makes one pass over the threads:
each chunk decodes its keys no cache held, hashes its e and verifies, so almost nothing runs on the calling
thread alone (2-thread scaling is bounded by that serial share).  Where the CPU has AVX-512 IFMA the 8-lane kernels run instead (chosen at run time;
``ledgerval.native.cpu_mask`` forces the 4x64 paths): a key seen once takes native/src/wei3_ifma_impl.h (no
4x64 tables are built), a key seen again its lane key table (``lane_table_cache``,
native/src/wei3_ifma_keytab_impl.h). Signing exists for test data only: it is NOT hardened
against side channels.
"""
from __future__ import annotations

import numpy as np


from . import has, lib
from ._pool import resolve_threads, run_chunks
from .errors import InvalidArgument
from .hashes import hash_spans_threaded
from ._keyslots import KeySlotCache
from ._wei3 import (
    KeyTableCache,
    TableLease,
    check_rc,
    key_decoders,
    key_idents,
    lane_key_tables,
    lanes_outrun_tables,
    offsets_of,
    ptr,
    same_n,
    u8,
    verify_leased,
    verify_split,
)

AVAILABLE: bool = has("lv_sm2_verify_e")

DEFAULT_UID = b"1234567812345678"
_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
# Everything in Z_A's input before xA || yA.
_ZA_PREFIX = (len(DEFAULT_UID) * 8).to_bytes(2, "big") + DEFAULT_UID + b"".join(
    v.to_bytes(32, "big") for v in (_A, _B, _GX, _GY))
_MIN_CHUNK = 8


def _hash_spans(buf: np.ndarray, offsets: np.ndarray, threads: int | None = 1) -> np.ndarray:
    """(N, 32) SM3 digests of buf[offsets[i]:offsets[i+1]], on the native multi-buffer SM3."""
    return hash_spans_threaded("sm3", np.ascontiguousarray(buf), np.ascontiguousarray(offsets),
                               resolve_threads(threads))


if AVAILABLE:
    decompress, keytabs, _TAB_BYTES = key_decoders("sm2")
    _lane = lane_key_tables("sm2")
    keytabs8 = _lane[0] if _lane else None

# A slot row: the uncompressed key, Z_A, and a 'decodes' flag (1 in every published row: keys that do not
# decode never get a slot).
_ROW_ZA = 65
_ROW_OK = 97
_ROW_BYTES = 98


def za(keys65: np.ndarray) -> np.ndarray:
    """(N, 32) Z_A (default ID) of uncompressed (N, 65) keys, all in one hash_spans call; rows that are
    not valid keys are the caller's to mask."""
    n = len(keys65)
    width = len(_ZA_PREFIX) + 64
    buf = np.empty((n, width), dtype=np.uint8)
    buf[:, : len(_ZA_PREFIX)] = np.frombuffer(_ZA_PREFIX, dtype=np.uint8)
    buf[:, len(_ZA_PREFIX):] = keys65[:, 1:65]
    if n == 0:
        return np.zeros((0, 32), dtype=np.uint8)
    return _hash_spans(buf.reshape(-1), np.arange(n + 1, dtype=np.int64) * width)


def _decode_rows(keys65: np.ndarray, lens: np.ndarray, threads: int | None = 1) -> tuple[np.ndarray, np.ndarray]:
    """(rows (M, _ROW_BYTES), ok (M,)) for SEC1 keys in (M, 65) rows of ``lens`` bytes: decompression (or
    the on-curve check of a key given uncompressed) and Z_A of the keys that decode, over ``threads``
    chunks (a square root and an SM3 each: on the caller's thread alone they were 12-19% of a 1,024-key
    batch of fresh keys and held 2-thread scaling at 1.69x-1.74x)."""
    m = len(keys65)
    rows = np.zeros((m, _ROW_BYTES), dtype=np.uint8)
    ok = np.zeros(m, dtype=bool)

    def chunk(a: int, b: int) -> None:
        dec, okc = decompress(keys65[a:b], lens[a:b])
        ok[a:b] = okc
        good = np.flatnonzero(okc)
        if good.size:
            d = dec[good]
            at = a + good
            rows[at, :_ROW_ZA] = d
            rows[at, _ROW_ZA:_ROW_OK] = za(d)
            rows[at, _ROW_OK] = 1

    run_chunks(m, threads, chunk, min_chunk=_MIN_CHUNK)
    return rows, ok


def _ident_keys(ident: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys (M, 65), lens (M,)) of key identities (native/_wei3.py key_idents)."""
    return np.ascontiguousarray(ident[:, 1:66]), np.ascontiguousarray(ident[:, 0])


def _fill(ident: np.ndarray, arena: np.ndarray, slots: np.ndarray, threads: int = 1) -> np.ndarray:
    rows, ok = _decode_rows(*_ident_keys(ident), threads)
    arena[slots] = rows
    return ok


def _za_side(keys65: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The table caches' side bytes: each key's Z_A."""
    rows, ok = _decode_rows(keys65, lens)
    return rows[:, _ROW_ZA:_ROW_OK], ok


class ZaCache(KeySlotCache):
    """Key bytes as given (33 or 65) -> uncompressed key, Z_A and 'decodes' (native/_keyslots.py: bounded,
    thread-safe, vectorised; a key gets a slot on its second sighting, one that does not decode never).
    Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) depends on the key only, and permissioned
    chains see the same senders again and again."""

    def __init__(self, maxsize: int = 16384):
        super().__init__(_fill, _ROW_BYTES, maxsize=maxsize)


za_cache = ZaCache()
if AVAILABLE:
    # Each table row also holds its key's Z_A, so a batch whose keys have tables skips za_cache (its lookup
    # was a third of the serial work of a batch of keys seen again).
    table_cache = KeyTableCache(keytabs, _TAB_BYTES, maxsize=1024, side=(_za_side, 32))
    # keys seen again where the IFMA lanes run: lane key tables in their own cache (as in native/p256.py)
    lane_table_cache = KeyTableCache(keytabs8, _lane[1], maxsize=1024, side=(_za_side, 32)) if _lane else None


def clear_caches() -> None:
    """Forget every cached key (for tests); verdicts never depend on the caches."""
    za_cache.clear()
    table_cache.clear()
    if lane_table_cache is not None:
        lane_table_cache.clear()


def message_hashes(zas: np.ndarray, msg_buf: np.ndarray, offsets: np.ndarray,
                   threads: int | None = 1) -> np.ndarray:
    """(N, 32) e = SM3(Z_A || M) for the (N, 32) Z_A values."""
    n = len(zas)
    lens = np.diff(offsets)
    if n and (lens == lens[0]).all():
        # equal-length messages (transaction digests): one 2-D copy instead of per-byte index arrays
        width = 32 + int(lens[0])
        buf = np.empty((n, width), dtype=np.uint8)
        buf[:, :32] = zas
        start = int(offsets[0])
        buf[:, 32:] = msg_buf[start:start + n * (width - 32)].reshape(n, width - 32)
        return _hash_spans(buf.reshape(-1), np.arange(n + 1, dtype=np.int64) * width, threads)
    new_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens + 32, out=new_off[1:])
    buf = np.empty(int(new_off[-1]), dtype=np.uint8)
    starts = new_off[:-1]
    buf[(starts[:, None] + np.arange(32)).ravel()] = zas.ravel()
    total = int(lens.sum())
    if total:
        rel = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)   # byte index within its message
        buf[np.repeat(starts + 32, lens) + rel] = msg_buf[np.repeat(offsets[:-1], lens) + rel]
    return _hash_spans(buf, new_off, threads)


class _Decoded:
    """Per-item decodings of a batch: uncompressed keys (N, 65), their lengths (65, or 0 where the key does
    not decode) and Z_A (N, 32), in the contiguous arrays the kernels and the hashing take."""

    def __init__(self, n: int):
        self.keys = np.zeros((n, 65), dtype=np.uint8)
        self.lens = np.zeros(n, dtype=np.uint8)
        self.zas = np.zeros((n, 32), dtype=np.uint8)

    def put(self, at: np.ndarray, rows: np.ndarray) -> None:
        """Items ``at`` from slot-layout rows (_ROW_BYTES)."""
        self.keys[at] = rows[:, :_ROW_ZA]
        self.zas[at] = rows[:, _ROW_ZA:_ROW_OK]
        self.lens[at] = rows[:, _ROW_OK] * 65

    def lookup(self, keys: np.ndarray, key_lens: np.ndarray, items: np.ndarray,
               threads: int | None = 1) -> np.ndarray:
        """Take each of ``items`` whose key za_cache holds from its slot; returns the items with a 33- or
        65-byte key it does not hold (``decode`` them)."""
        kl = key_lens[items]
        cand = items[(kl == 33) | (kl == 65)]
        if cand.size == 0:
            return cand
        with za_cache.lookup(key_idents(keys, key_lens, cand), cand, len(keys), resolve_threads(threads)) as lease:
            slots = lease.slots[cand]
            hit = slots >= 0
            if hit.any():
                self.put(cand[hit], lease.arena[slots[hit]])
        return cand[~hit]

    def decode(self, keys: np.ndarray, key_lens: np.ndarray, at: np.ndarray, threads: int | None = 1) -> None:
        if at.size:
            self.put(at, _decode_rows(keys[at], key_lens[at], threads)[0])


def _decoded(keys: np.ndarray, key_lens: np.ndarray,
             threads: int | None = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys65, lens, zas): every key that decodes in uncompressed form with length 65 and its Z_A; the
    others length 0 and zeros.  Cached keys come from their slots, the rest are decoded in bulk over
    ``threads``, so the result never depends on the cache's state."""
    d = _Decoded(len(keys))
    d.decode(keys, key_lens, d.lookup(keys, key_lens, np.arange(len(keys)), threads), threads)
    return d.keys, d.lens, d.zas


def _tab_call(tabs, idx_p, ev, sig, a, b, res):
    check_rc(lib.lv_sm2_verify_e_tab(ptr(ev, a), ptr(sig, a), b - a, ptr(tabs), len(tabs), idx_p, ptr(res, a)),
             "lv_sm2_verify_e_tab")


def _tab8_call(tabs, idx_p, ev, sig, a, b, res):
    check_rc(lib.lv_sm2_verify_e_tab8(ptr(ev, a), ptr(sig, a), b - a, ptr(tabs), len(tabs), idx_p, ptr(res, a)),
             "lv_sm2_verify_e_tab8")


def _plain_call(k, lens, ev, sig, a, b, res):
    check_rc(lib.lv_sm2_verify_e(ptr(k, a), ptr(lens, a), ptr(ev, a), ptr(sig, a), b - a, ptr(res, a)),
             "lv_sm2_verify_e")


def _tables():
    """(table cache, its verify call) of the active path: lane tables where the IFMA lanes run (the order
    measured in native/p256.py holds for SM2 too), else 4x64 tables."""
    if lanes_outrun_tables():
        return lane_table_cache, _tab8_call
    return table_cache, _tab_call


def verify(keys, key_lens, msg_buf, msg_offsets, sigs, *, threads: int | None = None,
           cache: bool = True) -> np.ndarray:
    """(N,) bool: sigs[i] = r||s is a valid SM2 signature of message msg_buf[offsets[i]:offsets[i+1]]
    under the SEC1 key in the first key_lens[i] bytes of keys[i] (33 or 65; 0 = malformed), with the
    default user ID: e = SM3(Z_A || M), r, s in [1, n-1], t = r + s mod n != 0,
    (x1, y1) = s*G + t*P_A, valid iff (e + x1) mod n = r.  ``cache=False`` skips the key tables and
    za_cache (no lookup, no sighting recorded: each chunk decodes its keys; same verdicts)."""
    keys, key_lens = u8("keys", keys, 65), u8("key_lens", key_lens, None)
    msg_buf, sigs = u8("msg_buf", msg_buf, None), u8("sigs", sigs, 64)
    n = same_n(keys=keys, key_lens=key_lens, sigs=sigs)
    offsets_of(msg_buf, msg_offsets, n)
    if n == 0:
        return np.zeros(0, dtype=bool)
    # Tables first, keyed by the encoding as given: a key with a table brings its Z_A along; the others
    # come from za_cache or are decoded.  Then one pass over the threads: each chunk decodes its keys that
    # no cache held, hashes its e = SM3(Z_A || M) and verifies (one fork and join per batch: each costs
    # about 80 us of a 2-thread batch's wall time, 4% of a 1,024-item batch of keys seen again).
    tabs, call = _tables()
    lease = TableLease.empty(n) if tabs is None or not cache else tabs.lookup(keys, key_lens, threads=threads)
    try:
        d = _Decoded(n)
        if lease.side is not None and lease.has.any():
            tab = np.flatnonzero(lease.has)
            d.zas[tab] = lease.side[lease.idx[tab]]     # the kernel reads these items' tables, not their keys
            need = np.flatnonzero(~lease.has)
        else:
            need = np.arange(n)
        cold = np.zeros(n, dtype=bool)
        cold[d.lookup(keys, key_lens, need, threads) if cache else need] = True
        any_cold = bool(cold.any())
        e = np.empty((n, 32), dtype=np.uint8)

        def prepare(a: int, b: int) -> None:
            if any_cold:
                d.decode(keys, key_lens, a + np.flatnonzero(cold[a:b]))
            e[a:b] = message_hashes(d.zas[a:b], msg_buf, msg_offsets[a:b + 1])

        return verify_leased(lease, d.keys, d.lens, e, sigs, threads=threads, min_chunk=_MIN_CHUNK, tab_call=call,
                             plain_call=_plain_call, prepare=prepare)
    finally:
        lease.release()


def verify_e(keys, key_lens, e, sigs, *, threads: int | None = None) -> np.ndarray:
    """Like ``verify`` with the message hashes e (N, 32) already computed (raw primitive)."""
    keys, key_lens = u8("keys", keys, 65), u8("key_lens", key_lens, None)
    e, sigs = u8("e", e, 32), u8("sigs", sigs, 64)
    n = same_n(keys=keys, key_lens=key_lens, e=e, sigs=sigs)
    if n == 0:
        return np.zeros(0, dtype=bool)
    cache, call = _tables()
    return verify_split(cache, keys, key_lens, e, sigs, threads=threads, min_chunk=_MIN_CHUNK,
                        tab_call=call, plain_call=_plain_call)


def pubkeys(privs) -> np.ndarray:
    """(N, 33) compressed public keys of big-endian private keys in [1, n-1]."""
    privs = u8("privs", privs, 32)
    n = len(privs)
    out = np.zeros((n, 33), dtype=np.uint8)
    st = np.zeros(n, dtype=np.uint8)
    check_rc(lib.lv_sm2_pubkeys(ptr(privs), n, ptr(out), ptr(st)), "lv_sm2_pubkeys")
    bad = np.flatnonzero(st == 0)
    if bad.size:
        raise InvalidArgument(f"item {bad[0]}: private key out of [1, n-1]")
    return out


def sign(privs, msg_buf, msg_offsets, nonces) -> np.ndarray:
    """(N, 64) r||s over the messages with big-endian private keys and nonces (default user ID; test
    data only, not side-channel hardened).  Raises InvalidArgument naming the first item that cannot be
    signed (d = n-1, or a nonce that gives r = 0, r + k = n or s = 0)."""
    privs, nonces, msg_buf = u8("privs", privs, 32), u8("nonces", nonces, 32), u8("msg_buf", msg_buf, None)
    n = same_n(privs=privs, nonces=nonces)
    offsets_of(msg_buf, msg_offsets, n)
    pub = np.zeros((n, 65), dtype=np.uint8)
    pub[:, :33] = pubkeys(privs)
    _, _, zas = _decoded(pub, np.full(n, 33, dtype=np.uint8))
    e = message_hashes(zas, msg_buf, msg_offsets)
    sigs = np.zeros((n, 64), dtype=np.uint8)
    st = np.zeros(n, dtype=np.uint8)
    check_rc(lib.lv_sm2_sign_e(ptr(privs), ptr(e), ptr(nonces), n, ptr(sigs), ptr(st)), "lv_sm2_sign_e")
    bad = np.flatnonzero(st == 0)
    if bad.size:
        raise InvalidArgument(f"item {bad[0]}: private key out of [1, n-2] or nonce unusable")
    return sigs
