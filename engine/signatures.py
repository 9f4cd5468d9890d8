"""``verify_batch``: one call verifies a whole batch of signatures of one scheme.

A malformed key or signature is a False entry, never an exception; only misuse (unknown scheme, wrong types,
sequences of different lengths) raises.
"""
from __future__ import annotations

import importlib

import numpy as np

from ._inputs import as_items, fixed_width, flatten, same_length
from .native_threads import resolve_threads
from .suites import check_scheme

# The wrapper module in ledgerval.native that serves each scheme when it is compiled in.
_NATIVE_MODULE = {"ecdsa-secp256k1": "secp256k1", "ecdsa-p256": "p256", "ed25519": "ed25519", "sm2": "sm2"}


def native_backend(scheme: str):
    """The native wrapper module for ``scheme``, or None when that kernel family is not built."""
    try:
        mod = importlib.import_module("ledgerval.native." + _NATIVE_MODULE[scheme])
    except ImportError:
        return None
    return mod if getattr(mod, "AVAILABLE", False) else None


# The native family behind each scheme, and the bench's names for the families' paths
_FAMILY = {"ecdsa-secp256k1": "secp256k1", "ecdsa-p256": "p256", "ed25519": "ed25519", "sm2": "sm2"}
_PATH_NAMES = {"ifma8": "ifma", "scalar": "portable"}


def paths() -> dict[str, str]:
    """Which code path serves ``backend="auto"`` for each scheme now (after LEDGERVAL_CPU_FEATURES and any
    ``cpu_mask``), as each kernel family's own dispatch table says: ``native-ifma``, ``native-adx`` (P-256,
    SM2, secp256k1 and Ed25519), ``native-avx2`` (Ed25519 on AVX2 without BMI2/ADX), ``native-portable``, or
    ``reference`` when the kernel is not built."""
    from ledgerval.native import best_path

    out = {}
    for scheme, family in _FAMILY.items():
        if native_backend(scheme) is None:
            out[scheme] = "reference"
            continue
        path = best_path(family)
        out[scheme] = "native-" + _PATH_NAMES.get(path, path)
    return out


def verify_batch(scheme: str, pubkeys, messages, signatures, *, threads: int | None = None,
                 low_s: bool = False, backend: str = "auto", key_cache: bool = True,
                 sig_cache=None) -> np.ndarray:
    """Verify signature i over message i under public key i; returns an (N,) bool array.

    ECDSA schemes take 32-byte digests as messages (signed as they are); SM2 and Ed25519 take messages.
    ECDSA/SM2 keys are 33- or 65-byte SEC1, Ed25519 keys 32 bytes; signatures are 64 bytes (r||s or R||S).
    ``low_s=True`` rejects ECDSA signatures with s > n/2.  ``backend`` is ``auto``, ``native`` or
    ``reference`` (the slow oracle the fast paths are tested against).  ``key_cache=False`` skips every
    per-key cache (decoded keys, key tables, SM2's Z_A: same verdicts; see ``start_verify_batch``).
    ``sig_cache`` (a ``ledgerval.SignatureCache``) skips the items it holds and stores the new successes.
    """
    return start_verify_batch(scheme, pubkeys, messages, signatures, threads=threads, low_s=low_s,
                              backend=backend, key_cache=key_cache, sig_cache=sig_cache,
                              _background=False).result()


def start_verify_batch(scheme: str, pubkeys, messages, signatures, *, threads: int | None = None,
                       low_s: bool = False, backend: str = "auto", key_cache: bool = True,
                       sig_cache=None, _background: bool = True) -> PendingVerdicts:
    """``verify_batch`` started in the background: returns at once with a handle whose ``result()`` gives
    the same (N,) bool array.  Until then ``threads - 1`` helper threads verify while the caller does other
    work (Python work, say, that holds the GIL), and at ``result()`` the caller's thread joins them, so the
    total is no slower than ``verify_batch``.  Misuse raises here, not at ``result()``; call ``result()``
    exactly as you would have called ``verify_batch`` (the inputs must not change until then).

    ECDSA secp256k1 on the native backend runs in the background; the other schemes and backends are
    verified here, before returning, and ``result()`` hands back the finished array.  ``key_cache=False``
    skips every per-key cache (same verdicts): their lookup runs on the calling thread before the helpers
    start, which only pays where keys come back (the Bitcoin adapter,
    whose keys mostly sign once, starts faster without it).  With ``sig_cache`` the cached items are
    looked up here, only the misses are verified, and ``result()`` stores the new successes; the handle's
    ``cached`` says how many items the cache vouched for.
    """
    if sig_cache is None:
        return _verify(scheme, pubkeys, messages, signatures, threads, low_s, backend, _background, key_cache)
    return _verify_cached(scheme, pubkeys, messages, signatures, threads, low_s, backend, _background,
                          key_cache, sig_cache)


class PendingVerdicts:
    """The handle ``start_verify_batch`` returns; ``cached`` counts the items a signature cache vouched for."""

    def __init__(self, finish, cached: int = 0):
        self._finish, self._out = finish, None
        self.cached = cached

    def result(self) -> np.ndarray:
        if self._out is None:
            self._out = self._finish()
        return self._out


def _done(out: np.ndarray) -> PendingVerdicts:
    return PendingVerdicts(lambda: out)


def _verify(scheme, pubkeys, messages, signatures, threads, low_s, backend, start: bool,
            key_cache: bool) -> PendingVerdicts:
    check_scheme(scheme)
    keys = as_items("pubkeys", pubkeys)
    msgs = as_items("messages", messages)
    sigs = as_items("signatures", signatures)
    n = same_length(pubkeys=keys, messages=msgs, signatures=sigs)
    t = resolve_threads(threads)
    if backend not in ("auto", "native", "reference"):
        from .errors import InvalidArgument

        raise InvalidArgument(f"unknown backend {backend!r}; expected auto, native or reference")
    mod = None if backend == "reference" else native_backend(scheme)
    if mod is None:
        if backend == "native":
            raise NotImplementedError(f"the native {scheme} kernel is not built into this install")
        return _done(_verify_reference(scheme, keys, msgs, sigs, low_s))
    if n == 0:
        return _done(np.zeros(0, dtype=bool))
    sig_arr, sig_lens = fixed_width(sigs, 64)
    ok = sig_lens == 64
    if scheme == "ed25519":
        key_arr, key_lens = fixed_width(keys, 32)
        ok &= key_lens == 32
        buf, offs = flatten(msgs)
        res = mod.verify(key_arr, buf, offs, sig_arr, threads=t, cache=key_cache)
    else:
        key_arr, key_lens = fixed_width(keys, 65)
        ok &= (key_lens == 33) | (key_lens == 65)
        key_lens8 = np.where(ok, key_lens, 0).astype(np.uint8)
        if scheme == "sm2":
            buf, offs = flatten(msgs)
            res = mod.verify(key_arr, key_lens8, buf, offs, sig_arr, threads=t, cache=key_cache)
        else:
            dig, dig_lens = fixed_width(msgs, 32)
            ok &= dig_lens == 32
            if start and scheme == "ecdsa-secp256k1":
                pending = mod.verify_start(key_arr, key_lens8, dig, sig_arr, low_s=low_s, threads=t,
                                           cache=key_cache)
                return PendingVerdicts(lambda: np.asarray(pending.result(), dtype=bool) & ok)
            res = mod.verify(key_arr, key_lens8, dig, sig_arr, low_s=low_s, threads=t, cache=key_cache)
    return _done(np.asarray(res, dtype=bool) & ok)


# ECDSA group orders halved: s above these is "high S".  The cache does not record the low-S policy an
# entry was verified under, so a lookup under low_s=True rejects high-S hits itself.
_HALF_N = {
    "ecdsa-secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 >> 1,
    "ecdsa-p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551 >> 1,
}


def _high_s(sigs, half: int) -> np.ndarray:
    """(n,) bool: signature i is 64 bytes whose s exceeds ``half`` (vectorised big-endian comparison)."""
    arr, lens = fixed_width(sigs, 64)
    s = arr[:, 32:]
    h = np.frombuffer(half.to_bytes(32, "big"), dtype=np.uint8)
    diff = s != h
    first = diff.argmax(axis=1)
    return (lens == 64) & diff.any(axis=1) & (s[np.arange(s.shape[0]), first] > h[first])


def _take(items, idx: np.ndarray):
    return items[idx] if isinstance(items, np.ndarray) else [items[i] for i in idx.tolist()]


def _verify_cached(scheme, pubkeys, messages, signatures, threads, low_s, backend, start, key_cache,
                   sig_cache) -> PendingVerdicts:
    """One lookup before the batch, one insert after it; only the misses reach the kernels.  A cache with
    ``probe`` (``SignatureCache``) keeps the lookup's fingerprints for the insert."""
    check_scheme(scheme)
    keys = as_items("pubkeys", pubkeys)
    msgs = as_items("messages", messages)
    sigs = as_items("signatures", signatures)
    n = same_length(pubkeys=keys, messages=msgs, signatures=sigs)
    probe = sig_cache.probe(scheme, keys, msgs, sigs) if hasattr(sig_cache, "probe") else None
    hit = np.asarray(probe.hit if probe is not None else sig_cache.lookup(scheme, keys, msgs, sigs), dtype=bool)
    if low_s and scheme in _HALF_N and hit.any():
        hit &= ~_high_s(sigs, _HALF_N[scheme])
    idx = np.flatnonzero(~hit)
    whole = idx.size == n
    pending = _verify(scheme, keys if whole else _take(keys, idx), msgs if whole else _take(msgs, idx),
                      sigs if whole else _take(sigs, idx), threads, low_s, backend, start, key_cache)

    def finish() -> np.ndarray:
        fresh = pending.result()
        ok = hit.copy()
        ok[idx] = fresh
        good = idx[fresh]
        if good.size and probe is not None:  # the lookup's fingerprints, not computed again
            probe.insert(good)
        elif good.size:
            sig_cache.insert(scheme, _take(keys, good), _take(msgs, good), _take(sigs, good))
        return ok

    return PendingVerdicts(finish, cached=int(hit.sum()))


def _verify_reference(scheme, keys, msgs, sigs, low_s) -> np.ndarray:
    from .reference import ecc, ed25519

    out = np.zeros(len(keys), dtype=bool)
    for i, (k, m, s) in enumerate(zip(keys, msgs, sigs)):
        k, m, s = bytes(k), bytes(m), bytes(s)
        if scheme == "ed25519":
            out[i] = ed25519.verify(k, m, s)
        elif scheme == "sm2":
            out[i] = ecc.sm2_verify(k, m, s)
        else:
            curve = ecc.SECP256K1 if scheme == "ecdsa-secp256k1" else ecc.P256
            out[i] = ecc.ecdsa_verify(curve, k, m, s, low_s=low_s)
    return out


def recover_batch(digests, signatures, *, threads: int | None = None,
                  backend: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """secp256k1 public-key recovery, as Ethereum-style chains and FISCO BCOS identify senders.

    ``signatures`` are 65 bytes r || s || v with v in 0..3 or 27..30 (v & 1: parity of R's y; v & 2: R's x
    was r + n).  Returns ((N, 33) compressed SEC1 keys, (N,) bool): an item of the wrong length, with r or s
    outside [1, n-1], a bad v, or no valid R is False with a zero key, never an exception.
    """
    d = as_items("digests", digests)
    s = as_items("signatures", signatures)
    n = same_length(digests=d, signatures=s)
    t = resolve_threads(threads)
    keys = np.zeros((n, 33), dtype=np.uint8)
    ok = np.zeros(n, dtype=bool)
    if n == 0:
        return keys, ok
    d_arr, d_lens = fixed_width(d, 32)
    s_arr, s_lens = fixed_width(s, 65)
    good_len = (d_lens == 32) & (s_lens == 65)
    mod = None if backend == "reference" else native_backend("ecdsa-secp256k1")
    if mod is None:
        if backend == "native":
            raise NotImplementedError("the native secp256k1 kernel is not built into this install")
        from .reference import ecc

        for i in np.flatnonzero(good_len).tolist():
            k = ecc.ecdsa_recover(d_arr[i].tobytes(), s_arr[i].tobytes())
            if k is not None:
                keys[i] = np.frombuffer(k, dtype=np.uint8)
                ok[i] = True
        return keys, ok
    keys, ok = mod.recover(d_arr, s_arr, threads=t)
    ok = ok & good_len
    keys[~ok] = 0
    return keys, ok
