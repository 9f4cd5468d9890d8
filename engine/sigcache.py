"""``SignatureCache``: a bounded, salted, thread-safe memory of verified signatures.

A node sees most transactions before the block that includes them (gossip, its pool).  Verifying them then
and remembering the successes lets block validation verify only what is new, as Bitcoin Core's signature
cache does.

Policy:
- Only successes are stored.  A failure is never cached, so a cached entry can only ever turn a would-be
  success into a skipped verification.
- An entry is a 128-bit fingerprint: the first 16 bytes of the SHA-256 of a 183-byte record, fixed-width
  fields, so that with SHA-256's 9 bytes of padding it fills exactly three 64-byte blocks::

      salt (14) | scheme (1) | len(key) (1) | key (65) | len(sig) (1) | sig (65) | len(msg) (u32 LE, 4) | m (32)

  where ``m`` is the message itself, zero-padded, when it has at most 32 bytes (a digest, as every scheme
  but Ed25519 signs) and SHA-256(message) otherwise; ``len(msg)`` tells the two apart, so an inlined
  message and a hashed one never share a record.  Keys and signatures shorter than 65 bytes are
  zero-padded and their lengths are inside too.  The salt is 14 random bytes per cache (so per process),
  so nobody can craft colliding items offline, and every field that a verdict depends on is inside: a
  changed key, message, signature or scheme is a miss.  The low-S policy is not: a lookup under
  ``low_s=True`` rejects cached high-S hits itself (see ``ledgerval.signatures``).  (The first layout, a
  16-byte salt and every message hashed apart, took four blocks plus one per message: 0.5 ms of a warm
  2,000-transaction block against ~0.3 ms now.)
- Items too long to be valid (keys over 65 bytes, signatures over 65, messages of 2^32 bytes or more)
  are never cached.
- Scheme ``recover-secp256k1`` holds secp256k1 key recoveries that succeeded, keyed by the address they
  recovered (``ledgerval.evm.validate`` says why a hit can only vouch for that exact address).
- Bounded: ``max_entries`` slots (rounded down to a multiple of 4, at least 4) in buckets of four; inserting
  into a full bucket evicts a random slot of it.  The table never grows past its bound: 16 bytes per entry
  (``bytes_per_entry``), allocated once.
- Fingerprints are computed in one batch (one Numba pass writes the records, kernels/sigcache.py; one
  SHA-256 span-hash call hashes them, plus one over the messages longer than 32 bytes if any; no Python
  loop per item), and the table is probed by a Numba kernel under one lock per batch.  ``probe`` keeps a
  batch's fingerprints, so the pipeline stores its new successes without computing them again.  The hashing runs on the
  calling thread: for a 2,000-item block it is ~0.6 ms of work, less than a thread-pool hand-off costs.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from ._inputs import as_items, flatten, same_length
from .errors import InvalidArgument, InvalidType
from .hashing import _backend, _spans, hash_batch
from .suites import SCHEMES

_KEY_W = 65
_SIG_W = 65
_MSG_W = 32
_SALT_W = 14
# record layout (module doc): salt | scheme | key_len | key | sig_len | sig | msg_len (u32 LE) | msg or SHA-256(msg)
_REC_W = _SALT_W + 1 + 1 + _KEY_W + 1 + _SIG_W + 4 + _MSG_W
assert _REC_W == 3 * 64 - 9  # three SHA-256 blocks with their padding
_SCHEME_IDS = {s: i + 1 for i, s in enumerate(SCHEMES)}
_SCHEME_IDS["recover-secp256k1"] = len(SCHEMES) + 1


class SignatureCache:
    """Bounded, thread-safe cache of verified (scheme, key, message, signature) items; see the module doc."""

    def __init__(self, max_entries: int = 1 << 20):
        if isinstance(max_entries, bool) or not isinstance(max_entries, int):
            raise InvalidType(f"max_entries must be an int, not {type(max_entries).__name__}")
        if max_entries < 4:
            raise InvalidArgument(f"max_entries must be at least 4, got {max_entries}")
        self.max_entries = (max_entries // 4) * 4
        self._table = np.zeros((self.max_entries, 2), dtype=np.uint64)
        self._salt = np.frombuffer(os.urandom(_SALT_W), dtype=np.uint8)
        self._rng = np.random.default_rng(int.from_bytes(os.urandom(8), "little"))
        self._lock = threading.Lock()
        self._count = 0

    @property
    def bytes_per_entry(self) -> float:
        return self._table.nbytes / self.max_entries

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        with self._lock:
            self._table[:] = 0
            self._count = 0

    def lookup(self, scheme: str, keys, messages, signatures) -> np.ndarray:
        """(N,) bool: True where item i was stored by an earlier ``insert``."""
        return self.probe(scheme, keys, messages, signatures).hit

    def probe(self, scheme: str, keys, messages, signatures) -> Probe:
        """``lookup`` that keeps the batch's fingerprints: ``probe(...).hit`` is ``lookup``'s array, and
        ``.insert(rows)`` stores items ``rows`` of this batch (verified successes) without fingerprinting
        them again (a warm 2,000-transaction block: its 200 new successes cost ~0.05 ms less)."""
        fps, cacheable = self._fingerprints(scheme, keys, messages, signatures)
        out = np.zeros(fps.shape[0], dtype=np.uint8)
        if fps.shape[0]:
            _table = _kernels()
            with self._lock:
                _table.lookup(self._table, fps, out)
        return Probe(self, fps, cacheable, out.view(bool) & cacheable)

    def insert(self, scheme: str, keys, messages, signatures, ok=None) -> None:
        """Store the items where ``ok`` is True (every item when ``ok`` is None): verified successes only."""
        fps, cacheable = self._fingerprints(scheme, keys, messages, signatures)
        keep = cacheable if ok is None else cacheable & _bools(ok, fps.shape[0])
        self._store(fps[keep])

    def _store(self, fps: np.ndarray) -> None:
        if not fps.shape[0]:
            return
        fps = np.ascontiguousarray(fps)
        _table = _kernels()
        with self._lock:
            rand = self._rng.integers(0, 1 << 32, size=fps.shape[0], dtype=np.uint64)
            self._count += int(_table.insert(self._table, fps, rand))

    def _fingerprints(self, scheme: str, keys, messages, signatures) -> tuple[np.ndarray, np.ndarray]:
        sid = _SCHEME_IDS.get(scheme)
        if sid is None:
            raise InvalidArgument(f"unknown scheme {scheme!r}; expected one of {', '.join(_SCHEME_IDS)}")
        k, m, s = as_items("keys", keys), as_items("messages", messages), as_items("signatures", signatures)
        n = same_length(keys=k, messages=m, signatures=s)
        if n == 0:
            return np.zeros((0, 2), dtype=np.uint64), np.zeros(0, dtype=bool)
        (kbuf, koff), (sbuf, soff), (mbuf, moff) = flatten(k), flatten(s), flatten(m)
        if isinstance(k, np.ndarray) and isinstance(s, np.ndarray) and isinstance(m, np.ndarray):
            # fixed widths (a block's columns): one verdict for every row, no per-row lengths
            cacheable = np.full(n, k.shape[1] <= _KEY_W and s.shape[1] <= _SIG_W)
            long_msg = np.arange(n) if m.shape[1] > _MSG_W else None
        else:
            m_len = np.diff(moff)
            cacheable = (np.diff(koff) <= _KEY_W) & (np.diff(soff) <= _SIG_W) & (m_len < (1 << 32))
            long_msg = np.flatnonzero(m_len > _MSG_W)
        rec = np.empty((n, _REC_W), dtype=np.uint8)
        _kernels().records(self._salt, sid, kbuf, koff, sbuf, soff, mbuf, moff, rec)
        if long_msg is not None and long_msg.size:  # the kernel left these rows zero: their SHA-256 goes there
            rec[long_msg, _REC_W - _MSG_W:] = hash_batch("sha256", m if isinstance(m, np.ndarray)
                                                         else [m[i] for i in long_msg.tolist()], threads=1)
        # straight to the span hasher (hash_batch's checks and copies cost ~10 us a block)
        digests = _spans("sha256", rec.reshape(-1), _rec_offsets(n), 1, _backend("auto"))
        fps = np.ascontiguousarray(digests.view(np.uint64)[:, :2])
        fps[:, 0] |= np.uint64(1 << 63)  # never all-zero: zero marks an empty slot
        return fps, cacheable


class Probe:
    """One batch looked up in a ``SignatureCache``: ``hit`` (N,) bool, and the batch's fingerprints kept for
    ``insert``."""

    __slots__ = ("_cache", "_cacheable", "_fps", "hit")

    def __init__(self, cache: SignatureCache, fps: np.ndarray, cacheable: np.ndarray, hit: np.ndarray):
        self._cache, self._fps, self._cacheable, self.hit = cache, fps, cacheable, hit

    def insert(self, rows) -> None:
        """Store items ``rows`` (indices into the probed batch): verified successes only."""
        rows = np.asarray(rows, dtype=np.intp).reshape(-1)
        n = self._fps.shape[0]
        if rows.size and (int(rows.min()) < 0 or int(rows.max()) >= n):
            raise InvalidArgument(f"rows must lie in [0, {n})")
        self._cache._store(self._fps[rows[self._cacheable[rows]]])


def check_sig_cache(sig_cache):
    """``sig_cache`` itself when it is None or has the ``lookup``/``insert`` pair the pipeline calls;
    otherwise misuse (InvalidType), raised where the caller passed it rather than deep in a batch."""
    if sig_cache is not None and not (callable(getattr(sig_cache, "lookup", None))
                                      and callable(getattr(sig_cache, "insert", None))):
        raise InvalidType(f"sig_cache must be a SignatureCache (lookup and insert), not {type(sig_cache).__name__}")
    return sig_cache


def _rec_offsets(n: int) -> np.ndarray:
    """(n + 1,) int64 offsets of n records back to back (read-only, shared: one per batch size)."""
    off = _OFFSETS.get(n)
    if off is None:
        if len(_OFFSETS) > 64:
            _OFFSETS.clear()
        off = np.arange(n + 1, dtype=np.int64) * _REC_W
        off.flags.writeable = False
        _OFFSETS[n] = off
    return off


_OFFSETS: dict[int, np.ndarray] = {}


def _kernels():
    # Imported on first use: the Numba import costs ~0.3 s that ``import ledgerval`` should not pay.
    from ledgerval.kernels import sigcache

    return sigcache


def _bools(ok, n: int) -> np.ndarray:
    arr = np.asarray(ok, dtype=bool)
    if arr.shape != (n,):
        raise InvalidArgument(f"ok must have {n} entries, got shape {arr.shape}")
    return arr


__all__ = ["Probe", "SignatureCache", "check_sig_cache"]
