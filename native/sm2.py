"""SM2 signatures (GB/T 32918.2, curve sm2p256v1, default user ID) through the C kernels
(native/src/sm2.c and the shared wei3_* layers).

The C kernel takes e = SM3(Z_A || M); this layer computes e with the batch hash API and keeps a bounded,
thread-safe cache of Z_A per key (Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) depends on the key
only, and permissioned chains see the same senders again and again), next to the caches of decompressed
keys and of per-key tables (a key seen again verifies through its table).  Where the CPU has AVX-512 IFMA
every key takes the 8-lane kernel instead (native/src/wei3_ifma_impl.h, chosen at run time; it beats the
tables too, so none are built; ``ledgerval.native.cpu_mask`` forces the 4x64 paths).  Signing exists for test data only: it is NOT hardened
against side channels.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from ledgerval.errors import InvalidArgument

from . import ffi, has, lib
from ._pool import run_chunks
from ._wei3 import (
    KeyCache,
    KeyTableCache,
    check_rc,
    key_decoders,
    lanes_outrun_tables,
    offsets_of,
    ptr,
    same_n,
    u8,
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
    """(N, 32) SM3 digests of buf[offsets[i]:offsets[i+1]] through the package's batch hash API."""
    from ledgerval.hashing import hash_spans

    return hash_spans("sm3", buf, offsets, threads=threads)


if AVAILABLE:
    decompress, keytabs, _TAB_BYTES = key_decoders("sm2")
    key_cache = KeyCache(decompress)
    table_cache = KeyTableCache(keytabs, _TAB_BYTES, maxsize=1024)


class ZaCache:
    """Uncompressed key (64 bytes xA || yA) -> Z_A for the default ID.  Bounded, thread-safe."""

    def __init__(self, maxsize: int = 65536):
        self._max = maxsize
        self._d: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._d.clear()

    def __len__(self) -> int:
        return len(self._d)

    def za(self, xy: np.ndarray) -> np.ndarray:
        """(N, 32) Z_A for (N, 64) rows xA || yA (valid points)."""
        n = len(xy)
        out = np.zeros((n, 32), dtype=np.uint8)
        if n == 0:
            return out
        uniq, inv = np.unique(np.ascontiguousarray(xy).view(np.dtype((np.void, 64))).ravel(), return_inverse=True)
        ub = [u.tobytes() for u in uniq]
        found: list[bytes | None] = [None] * len(ub)
        miss = []
        with self._lock:
            for j, b in enumerate(ub):
                v = self._d.get(b)
                if v is None:
                    miss.append(j)
                found[j] = v
        if miss:
            pre = np.frombuffer(_ZA_PREFIX, dtype=np.uint8)
            width = len(_ZA_PREFIX) + 64
            buf = np.empty((len(miss), width), dtype=np.uint8)
            buf[:, : len(pre)] = pre
            buf[:, len(pre):] = np.frombuffer(b"".join(ub[j] for j in miss), dtype=np.uint8).reshape(-1, 64)
            digs = _hash_spans(buf.reshape(-1), np.arange(len(miss) + 1, dtype=np.int64) * width)
            with self._lock:
                for t, j in enumerate(miss):
                    found[j] = self._d[ub[j]] = digs[t].tobytes()
                while len(self._d) > self._max:
                    self._d.popitem(last=False)
        table = np.frombuffer(b"".join(found), dtype=np.uint8).reshape(-1, 32)
        return table[inv.ravel()]


za_cache = ZaCache()


def za(keys65: np.ndarray) -> np.ndarray:
    """(N, 32) Z_A (default ID) of uncompressed (N, 65) keys; rows that are not valid keys are the
    caller's to mask."""
    return za_cache.za(keys65[:, 1:65])


def message_hashes(keys65: np.ndarray, ok: np.ndarray, msg_buf: np.ndarray, offsets: np.ndarray,
                   threads: int | None = 1) -> np.ndarray:
    """(N, 32) e = SM3(Z_A || M) for uncompressed keys (rows with ok False get zeros for Z_A)."""
    n = len(keys65)
    zas = np.zeros((n, 32), dtype=np.uint8)
    idx = np.flatnonzero(ok)
    if idx.size:
        zas[idx] = za(keys65[idx])
    lens = np.diff(offsets)
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


def _uncompressed(keys, key_lens):
    given65 = np.flatnonzero(key_lens == 65)
    keys, key_lens = key_cache.uncompressed(keys, key_lens)
    # Compressed rows come back as 65 only when they decoded; rows given uncompressed may be off the
    # curve, so only those are checked here (Z_A only for decodable rows).
    ok = key_lens == 65
    if given65.size:
        _, dec = decompress(np.ascontiguousarray(keys[given65]), key_lens[given65])
        ok[given65] &= dec
    return keys, np.where(ok, key_lens, 0).astype(np.uint8), ok


def verify(keys, key_lens, msg_buf, msg_offsets, sigs, *, threads: int | None = None) -> np.ndarray:
    """(N,) bool: sigs[i] = r||s is a valid SM2 signature of message msg_buf[offsets[i]:offsets[i+1]]
    under the SEC1 key in the first key_lens[i] bytes of keys[i] (33 or 65; 0 = malformed), with the
    default user ID: e = SM3(Z_A || M), r, s in [1, n-1], t = r + s mod n != 0,
    (x1, y1) = s*G + t*P_A, valid iff (e + x1) mod n = r."""
    keys, key_lens = u8("keys", keys, 65), u8("key_lens", key_lens, None)
    msg_buf, sigs = u8("msg_buf", msg_buf, None), u8("sigs", sigs, 64)
    n = same_n(keys=keys, key_lens=key_lens, sigs=sigs)
    offsets_of(msg_buf, msg_offsets, n)
    out = np.zeros(n, dtype=np.uint8)
    if n == 0:
        return out.view(bool)
    keys, key_lens, ok = _uncompressed(keys, key_lens)
    e = message_hashes(keys, ok, msg_buf, msg_offsets, threads)
    return verify_e(keys, key_lens, e, sigs, threads=threads)


def verify_e(keys, key_lens, e, sigs, *, threads: int | None = None) -> np.ndarray:
    """Like ``verify`` with the message hashes e (N, 32) already computed (raw primitive)."""
    keys, key_lens = u8("keys", keys, 65), u8("key_lens", key_lens, None)
    e, sigs = u8("e", e, 32), u8("sigs", sigs, 64)
    n = same_n(keys=keys, key_lens=key_lens, e=e, sigs=sigs)
    out = np.zeros(n, dtype=np.uint8)
    if n == 0:
        return out.view(bool)
    # Keys with a cached table (repeat senders) take the split path, the others the plain one.
    # Where the 8-lane IFMA kernel runs, it beats the tables too: every key takes the plain path.
    lease = table_cache.lookup(keys, key_lens, enabled=not lanes_outrun_tables())
    try:
        tab_items, plain_items = np.flatnonzero(lease.has), np.flatnonzero(~lease.has)
        if tab_items.size:
            sub = tab_items.size < n
            t_idx = lease.idx[tab_items] if sub else lease.idx
            t_e, t_sig = (e[tab_items], sigs[tab_items]) if sub else (e, sigs)
            t_out = np.zeros(tab_items.size, dtype=np.uint8)
            tabs = lease.tabs

            def tchunk(a: int, b: int) -> None:
                idx_p = ffi.cast("int32_t *", ffi.from_buffer(t_idx)) + a
                check_rc(lib.lv_sm2_verify_e_tab(ptr(tabs), len(tabs), idx_p, ptr(t_e, a), ptr(t_sig, a), b - a,
                                                 ptr(t_out, a)), "lv_sm2_verify_e_tab")

            run_chunks(tab_items.size, threads, tchunk, min_chunk=_MIN_CHUNK)
            out[tab_items] = t_out
    finally:
        lease.release()
    if plain_items.size:
        sub = plain_items.size < n
        p_keys, p_lens, p_e, p_sig = ((keys[plain_items], key_lens[plain_items], e[plain_items], sigs[plain_items])
                                      if sub else (keys, key_lens, e, sigs))
        p_out = np.zeros(plain_items.size, dtype=np.uint8)

        def chunk(a: int, b: int) -> None:
            check_rc(lib.lv_sm2_verify_e(ptr(p_keys, a), ptr(p_lens, a), ptr(p_e, a), ptr(p_sig, a), b - a,
                                         ptr(p_out, a)), "lv_sm2_verify_e")

        run_chunks(plain_items.size, threads, chunk, min_chunk=_MIN_CHUNK)
        out[plain_items] = p_out
    return out.view(bool)


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
    keys, _, ok = _uncompressed(pub, np.full(n, 33, dtype=np.uint8))
    e = message_hashes(keys, ok, msg_buf, msg_offsets)
    sigs = np.zeros((n, 64), dtype=np.uint8)
    st = np.zeros(n, dtype=np.uint8)
    check_rc(lib.lv_sm2_sign_e(ptr(privs), ptr(e), ptr(nonces), n, ptr(sigs), ptr(st)), "lv_sm2_sign_e")
    bad = np.flatnonzero(st == 0)
    if bad.size:
        raise InvalidArgument(f"item {bad[0]}: private key out of [1, n-2] or nonce unusable")
    return sigs
