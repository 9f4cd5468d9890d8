"""One plan/execute step for a block, under every ledger format.

An adapter parses its format and adds work to a ``Plan``: signature checks (scheme, key, message or digest,
signature, owner), hash jobs and secp256k1 public-key recoveries.  ``Plan.execute`` (or ``Plan.start`` for
work that should run in the background while the adapter goes on parsing) runs every kind of work in as few
kernel calls as possible: all signature checks of one (scheme, low_s) pair in one ``verify_batch``, all hash
jobs of one algorithm in one ``hash_batch``, all recoveries in one ``recover_batch``, over the threads, with
the signature cache when one is given.  It hands the verdicts back per ticket, in the order the items were
added, with their owners; the adapter maps them to its own report codes.

A plan may be executed in pieces: build one plan, start it, build the next while the first runs.

The signature cache (``sig_cache``) is any object with ``lookup(scheme, keys, messages, signatures) ->
np.ndarray[bool]`` (True where a verified success is cached) and ``insert(scheme, keys, messages,
signatures, ok)`` (stores the items where ``ok`` is True), such as ``ledgerval.SignatureCache``: one lookup
before each signature batch, one insert after it, and only the misses reach the kernels (see
``ledgerval.signatures.start_verify_batch``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ._inputs import as_items, same_length
from .errors import InvalidArgument
from .hashing import hash_batch
from .native_threads import resolve_threads
from .signatures import recover_batch, start_verify_batch
from .suites import HASHES, check_scheme

@dataclass(frozen=True)
class Ticket:
    """A handle to work added to a plan: the kind, the batch it joined, and its slice of that batch."""

    kind: str            # "sig", "hash" or "recover"
    batch: tuple         # ("sig", scheme, low_s) / ("hash", algo) / ("recover",)
    start: int
    stop: int
    owners: tuple

    def __len__(self) -> int:
        return self.stop - self.start


class _Batch:
    """Columns of one batch, kept as the chunks the adapter added; joined once, when the plan runs."""

    def __init__(self) -> None:
        self.chunks: list[tuple] = []
        self.size = 0

    def add(self, *cols) -> tuple[int, int]:
        start = self.size
        self.chunks.append(cols)
        self.size += len(cols[0])
        return start, self.size

    def columns(self) -> list:
        return [_join([c[j] for c in self.chunks]) for j in range(len(self.chunks[0]))] if self.chunks else []


def _items_list(items) -> list[bytes]:
    if isinstance(items, np.ndarray):
        return [row.tobytes() for row in items]
    return list(items)


def _join(parts: list):
    """Arrays of one width stay one array (no per-item Python work); anything else becomes a list of bytes."""
    if len(parts) == 1:
        return parts[0]
    if all(isinstance(p, np.ndarray) for p in parts) and len({p.shape[1] for p in parts}) == 1:
        return np.concatenate(parts)
    out: list[bytes] = []
    for p in parts:
        out.extend(_items_list(p))
    return out


class Plan:
    """The work of one block (or one piece of a block), gathered before any of it runs."""

    def __init__(self) -> None:
        self._batches: dict[tuple, _Batch] = {}

    def _batch(self, key: tuple) -> _Batch:
        b = self._batches.get(key)
        if b is None:
            b = self._batches[key] = _Batch()
        return b

    def signatures(self, scheme: str, keys, messages, signatures, owners: Sequence[Any] | None = None, *,
                   low_s: bool = False) -> Ticket:
        """Signature i over message i (ECDSA: a 32-byte digest) under key i; ``owners[i]`` says whose it is
        (a transaction index, an (input, key) pair: anything the adapter maps back)."""
        check_scheme(scheme)
        k, m, s = as_items("keys", keys), as_items("messages", messages), as_items("signatures", signatures)
        n = same_length(keys=k, messages=m, signatures=s)
        owners = _owners(owners, n)
        start, stop = self._batch(("sig", scheme, bool(low_s))).add(k, m, s)
        return Ticket("sig", ("sig", scheme, bool(low_s)), start, stop, owners)

    def hashes(self, algo: str, messages, owners: Sequence[Any] | None = None) -> Ticket:
        if algo not in HASHES:
            raise InvalidArgument(f"unknown hash algorithm {algo!r}; expected one of {', '.join(HASHES)}")
        m = as_items("messages", messages)
        owners = _owners(owners, len(m))
        start, stop = self._batch(("hash", algo)).add(m)
        return Ticket("hash", ("hash", algo), start, stop, owners)

    def recoveries(self, digests, signatures65, owners: Sequence[Any] | None = None) -> Ticket:
        """secp256k1 key recovery from 65-byte r || s || v signatures over 32-byte digests."""
        d, s = as_items("digests", digests), as_items("signatures", signatures65)
        n = same_length(digests=d, signatures=s)
        owners = _owners(owners, n)
        start, stop = self._batch(("recover",)).add(d, s)
        return Ticket("recover", ("recover",), start, stop, owners)

    def __len__(self) -> int:
        return sum(b.size for b in self._batches.values())

    def start(self, *, threads: int | None = None, sig_cache=None, key_cache: bool = True) -> Execution:
        """Start the plan: secp256k1 signatures verify on helper threads in the background (see
        ``start_verify_batch``); hashes and recoveries run here.  ``Execution.result()`` finishes."""
        t = resolve_threads(threads)
        pending: dict[tuple, Any] = {}
        for key, b in self._batches.items():
            if key[0] == "sig":
                pending[key] = _start_sigs(key[1], key[2], b, t, sig_cache, key_cache)
            elif key[0] == "hash":
                pending[key] = hash_batch(key[1], b.columns()[0], threads=t)
            else:
                pending[key] = recover_batch(*b.columns(), threads=t)
        return Execution(pending)

    def execute(self, *, threads: int | None = None, sig_cache=None, key_cache: bool = True) -> Results:
        return self.start(threads=threads, sig_cache=sig_cache, key_cache=key_cache).result()


class Execution:
    def __init__(self, pending: dict[tuple, Any]):
        self._pending = pending
        self._results: Results | None = None

    def result(self) -> Results:
        if self._results is None:
            done = {k: (v() if callable(v) else v) for k, v in self._pending.items()}
            self._results = Results(done)
        return self._results


class Results:
    """Verdicts per ticket, in the order the ticket's items were added."""

    def __init__(self, done: dict[tuple, Any]):
        self._done = done
        self.cached_signatures = sum(getattr(v, "cached", 0) for v in done.values())

    def verdicts(self, ticket: Ticket) -> np.ndarray:
        """Signatures: (n,) bool.  Recoveries: (n,) bool (whether a key recovered)."""
        v = self._done[ticket.batch]
        if ticket.kind == "sig":
            return v.ok[ticket.start:ticket.stop]
        if ticket.kind == "recover":
            return v[1][ticket.start:ticket.stop]
        raise InvalidArgument("hash tickets have digests, not verdicts")

    def digests(self, ticket: Ticket) -> np.ndarray:
        if ticket.kind != "hash":
            raise InvalidArgument("only hash tickets have digests")
        return self._done[ticket.batch][ticket.start:ticket.stop]

    def keys(self, ticket: Ticket) -> np.ndarray:
        """Recoveries: (n, 33) compressed SEC1 keys (zeros where none recovered)."""
        if ticket.kind != "recover":
            raise InvalidArgument("only recovery tickets have keys")
        return self._done[ticket.batch][0][ticket.start:ticket.stop]

    def failed(self, ticket: Ticket) -> list:
        """The owners whose item failed, in order (signatures and recoveries)."""
        ok = self.verdicts(ticket)
        return [ticket.owners[i] for i in np.flatnonzero(~ok).tolist()]


@dataclass
class _SigVerdicts:
    ok: np.ndarray
    cached: int = 0


def _start_sigs(scheme: str, low_s: bool, b: _Batch, threads: int, sig_cache, key_cache: bool):
    keys, msgs, sigs = b.columns()
    pend = start_verify_batch(scheme, keys, msgs, sigs, threads=threads, low_s=low_s, key_cache=key_cache,
                              sig_cache=sig_cache)
    return lambda: _SigVerdicts(pend.result(), pend.cached)


def _owners(owners, n: int) -> tuple:
    if owners is None:
        return tuple(range(n))
    owners = tuple(owners)
    if len(owners) != n:
        raise InvalidArgument(f"{len(owners)} owners for {n} items")
    return owners


__all__ = ["Plan", "Ticket", "Execution", "Results"]
