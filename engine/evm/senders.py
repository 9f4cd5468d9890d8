"""Senders and authorization signers, recovered in chunks that overlap the reading of the rest of the block.

Each chunk of transactions is one small hash plan (transaction hashes, signing payloads, usable EIP-7702
authorization payloads; on the calling thread) and one recovery plan (every sender and signer of the chunk,
``Plan.recoveries``).  The recovery plan, the decompression of its keys (Numba, without the GIL) and the
Keccak batch that turns them into addresses run on a helper thread while the calling thread reads the next
chunk: all three release the GIL, so on two cores the helper's ~12 us a transaction hides behind the
reader's Python.  On one thread the whole block is one chunk, run inline.

Measured on the two mainnet blocks (649 transactions, 2-core AMD EPYC, tier avx512-ifma, CPU time, medians
of 30): with a helper, 8.2 ms on the calling thread and 7.7 ms on the helper, against ~15.5 ms for one
thread alone; the wall-clock gain needs the second core free, which this shared machine did not give while
other sessions ran (the README's EVM section has the numbers).
"""
from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

from ..hashing import hash_batch
from ..pipeline import Plan

# Transactions per chunk when a helper thread recovers: small enough that the helper starts early (the
# reader takes ~7 us a transaction), large enough that the per-chunk plans' overhead (~0.15 ms) stays small.
CHUNK = 128
# The first chunk is smaller: the helper idles until it is read.
FIRST_CHUNK = 32


def addresses(keys33: np.ndarray, ok: np.ndarray, threads: int) -> list[bytes | None]:
    """Recovered compressed keys -> 20-byte addresses (Keccak-256 of x || y, low 20 bytes); None where no key
    recovered or the key is not on the curve."""
    from ledgerval.kernels import set_threads
    from ledgerval.kernels.secp256k1_keys import decompress_batch

    set_threads(threads)
    xy, on_curve = decompress_batch(keys33)
    ok = ok & on_curve
    flat = hash_batch("keccak256", xy, threads=threads)[:, 12:].tobytes()
    return [flat[20 * k:20 * k + 20] if good else None for k, good in enumerate(ok.tolist())]


_RECOVER = "recover-secp256k1"   # the sig_cache scheme of a recovery (validate.py's doc gives the rule)


def _cached(sig_cache, stated: list, digests: np.ndarray, sigs65: list) -> np.ndarray:
    """(n,) bool: the recoveries the cache vouches for; only transactions (the first ``len(stated)`` items)
    that state their sender are looked up, under that address."""
    hit = np.zeros(len(sigs65), dtype=bool)
    ask = [k for k, a in enumerate(stated) if a is not None]
    if sig_cache is not None and ask:
        hit[ask] = sig_cache.lookup(_RECOVER, [stated[k] for k in ask], digests[ask], [sigs65[k] for k in ask])
    return hit


def _recover(plan: Plan | None, ticket, threads: int, sig_cache, stated: list, hit: np.ndarray,
             digests: np.ndarray, sigs65: list) -> list[bytes | None]:
    """Addresses of every item: the stated sender where the cache vouched for it, else recovered by
    ``plan`` (the misses, in order); the recovered successes are stored in the cache."""
    miss = np.flatnonzero(~hit).tolist()
    addrs: list[bytes | None] = [stated[k] if k < len(stated) and h else None for k, h in enumerate(hit.tolist())]
    if plan is not None:
        res = plan.execute(threads=threads)
        got = addresses(res.keys(ticket), res.verdicts(ticket), threads)
        for k, a in zip(miss, got):
            addrs[k] = a
        if sig_cache is not None:
            good = [k for k in miss if addrs[k] is not None]
            if good:
                sig_cache.insert(_RECOVER, [addrs[k] for k in good], digests[good], [sigs65[k] for k in good])
    return addrs


class _Now:
    """A finished result with a future's ``result()``."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class Part:
    """One chunk: its transactions ((index, Tx) pairs), usable authorizations ((tx index, auth index, Auth)),
    their transaction hashes, and the pending addresses (senders first, then signers)."""

    __slots__ = ("auths", "cached", "pending", "tx_hashes", "txs")

    def __init__(self, txs: list, auths: list, tx_hashes: np.ndarray, pending, cached: int):
        self.txs, self.auths, self.tx_hashes, self.pending = txs, auths, tx_hashes, pending
        self.cached = cached   # recoveries the sig_cache vouched for


class Senders:
    """Chunks of a block's transactions sent to recovery as they are read (``add``), joined by ``parts``."""

    def __init__(self, threads: int, sig_cache=None):
        self.threads, self.sig_cache = threads, sig_cache
        self._pool = _pool(threads - 1) if threads > 1 else None
        self._parts: list[Part] = []
        self.signatures = 0

    def bounds(self, n: int) -> list[tuple[int, int]]:
        """The chunks of n transactions: all of them on one thread, else FIRST_CHUNK then CHUNK at a time."""
        if self._pool is None or n == 0:
            return [(0, n)]
        cuts = [0] + list(range(min(FIRST_CHUNK, n), n, CHUNK)) + [n]
        return list(zip(cuts, cuts[1:]))

    def add(self, good: list) -> None:
        """Hash the transactions of ``good`` ((index, Tx) pairs) and start recovering their signers."""
        if not good:
            return
        usable = [(i, j, a) for i, tx in good for j, a in enumerate(tx.auths) if a.usable()]
        t = 1 if self._pool is not None else self.threads
        plan = Plan()
        th_tx = plan.hashes("keccak256", [tx.encoded for _, tx in good])
        th_sig = plan.hashes("keccak256", [tx.signing for _, tx in good])
        th_auth = plan.hashes("keccak256", [a.signing for _, _, a in usable])
        hashes = plan.execute(threads=t)
        sigs65 = [tx.sig65() for _, tx in good] + [a.sig65() for _, _, a in usable]
        digests = hashes.digests(th_sig)
        if usable:
            digests = np.concatenate([digests, hashes.digests(th_auth)])
        stated = [tx.sender for _, tx in good]
        hit = _cached(self.sig_cache, stated, digests, sigs65)
        rec = tr = None
        if not hit.all():
            miss = np.flatnonzero(~hit)
            rec = Plan()
            tr = rec.recoveries(digests[miss], [sigs65[k] for k in miss.tolist()])
        self.signatures += len(sigs65)
        args = (rec, tr, 1 if self._pool is not None else t, self.sig_cache, stated, hit, digests, sigs65)
        pending = self._pool.submit(_recover, *args) if self._pool is not None else _Now(_recover(*args))
        self._parts.append(Part(good, usable, hashes.digests(th_tx), pending, int(hit.sum())))

    def parts(self) -> list[Part]:
        """Every chunk, its addresses ready (``part.pending.result()``)."""
        for p in self._parts:
            p.pending.result()
        return self._parts


# The helper needs the GIL for a moment after each native call; a reader busy in Python hands it over only
# when the interpreter's switch interval (5 ms by default) runs out.  Measured (2-core VM, 20 native calls of
# ~0.1 ms with a little Python between, beside 50 ms of pure Python): 48 ms at 5 ms, 4.4 ms at 0.5 ms,
# against 1.9 ms alone.  So while a block is read beside its helper the interval is 0.5 ms, process-wide
# (Python has no per-thread knob), and restored when the last such read ends.
SWITCH_INTERVAL = 5e-4
_SWITCH = threading.Lock()
_switch_users = 0
_switch_saved = None


@contextmanager
def quick_gil_handoff(active: bool):
    """Shorten ``sys.setswitchinterval`` to ``SWITCH_INTERVAL`` (never lengthen it) while active."""
    global _switch_users, _switch_saved
    if not active:
        yield
        return
    with _SWITCH:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            if _switch_saved > SWITCH_INTERVAL:
                sys.setswitchinterval(SWITCH_INTERVAL)
        _switch_users += 1
    try:
        yield
    finally:
        with _SWITCH:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool(workers: int) -> ThreadPoolExecutor:
    pool = _POOLS.get(workers)
    if pool is None:
        pool = _POOLS[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ledgerval-evm")
    return pool


__all__ = ["CHUNK", "Part", "Senders", "addresses", "quick_gil_handoff"]
