"""One plan/execute step for a block, under every ledger format.

An adapter parses its format and adds work to a ``Plan``: signature checks (scheme, key, message or digest,
signature, owner), hash jobs (messages, or spans of one buffer) and secp256k1 public-key recoveries.
``Plan.execute`` (or ``Plan.start`` for work that should run in the background while the adapter goes on)
runs every kind of work in as few kernel calls as possible: all hash jobs of one algorithm in one
``hash_batch``/``hash_spans``, then all recoveries in one ``recover_batch``, then all signature checks of one
(scheme, low_s) pair in one ``verify_batch``, over the threads, with the signature cache when one is given.
It hands the verdicts back per ticket, in the order the items were added, with their owners; the adapter
maps them to its own report codes.

Hash first, sign after: a signature's messages may be the digests of a hash job of the same plan
(``Plan.digests_of``), so an adapter that signs hashes of its own data (every ledger here does) adds both in
one plan and the pipeline runs them in order.  The digests are ready as soon as ``start`` returns
(``Execution.digests``), while secp256k1 signatures still verify on helper threads.

A plan may be executed in pieces: each ``start`` runs the work added since the previous one and returns
that piece's ``Execution``; the adapter adds the next piece while the first verifies.  A ticket belongs to
its piece (asking another piece's results for it is misuse).  ``join`` waits for several pieces.

The signature cache (``sig_cache``) is any object with ``lookup(scheme, keys, messages, signatures) ->
np.ndarray[bool]`` (True where a verified success is cached) and ``insert(scheme, keys, messages,
signatures)`` (stores those items, all verified successes), such as ``ledgerval.SignatureCache``: one lookup
before each signature batch, one insert after it, and only the misses reach the kernels (see
``ledgerval.signatures.start_verify_batch``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ._inputs import as_items, flatten, same_length
from .errors import InvalidArgument, InvalidType
from .hashing import hash_batch, hash_spans
from .native_threads import resolve_threads
from .signatures import recover_batch, start_verify_batch
from .suites import HASHES, check_scheme

@dataclass(frozen=True)
class Ticket:
    """A handle to work added to a plan: the kind, the batch it joined, its slice of that batch, and the
    piece of the plan (the number of ``start`` calls before it was added)."""

    kind: str            # "sig", "hash" or "recover"
    batch: tuple         # ("sig", scheme, low_s) / ("hash", algo) / ("recover",)
    start: int
    stop: int
    owners: Sequence  # owners[i] is item i's owner (default: range(n), its position in the ticket)
    piece: int = 0

    def __len__(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class Digests:
    """Messages that are digests of a hash ticket of the same piece: row ``rows[i]`` of its digests, or the
    32 bytes ``fill`` where ``rows[i]`` is -1 (Bitcoin's SIGHASH_SINGLE bug signs uint256 1)."""

    ticket: Ticket
    rows: np.ndarray | None
    fill: np.ndarray | None

    def __len__(self) -> int:
        return len(self.ticket) if self.rows is None else int(self.rows.shape[0])

    def resolve(self, done: dict) -> np.ndarray:
        d = done[self.ticket.batch][self.ticket.start:self.ticket.stop]
        if self.rows is None:
            return d
        if self.fill is None:
            return d[self.rows]
        return np.concatenate([d, self.fill[None, :]])[self.rows]  # -1 indexes the appended row


class _Batch:
    """Columns of one batch, kept as the chunks the adapter added; joined once, when the plan runs."""

    def __init__(self) -> None:
        self.chunks: list[tuple] = []
        self.size = 0

    def add(self, n: int, *cols) -> tuple[int, int]:
        start = self.size
        self.chunks.append(cols)
        self.size += n
        return start, self.size


def _width(part) -> int | None:
    if isinstance(part, np.ndarray):
        return part.shape[1]
    lens = set(map(len, part))
    return lens.pop() if len(lens) == 1 else None


def _join(parts: list):
    """Parts of one width become one array (bytes joined once, no per-item copies); anything else becomes a
    list of bytes."""
    if len(parts) == 1:
        return parts[0]
    parts = [p for p in parts if len(p)] or parts[:1]
    if len(parts) == 1:
        return parts[0]
    widths = {_width(p) for p in parts}
    if len(widths) == 1 and None not in widths:
        w = widths.pop()
        return np.concatenate([p if isinstance(p, np.ndarray) else
                               np.frombuffer(b"".join(p), dtype=np.uint8).reshape(-1, w) for p in parts])
    out: list[bytes] = []
    for p in parts:
        out.extend([row.tobytes() for row in p] if isinstance(p, np.ndarray) else p)
    return out


def _join_spans(chunks: list) -> tuple[np.ndarray, np.ndarray]:
    """One buffer and offsets for hash chunks that are ("items", messages) or ("spans", buf, offsets)."""
    spans = [c[1:] if c[0] == "spans" else flatten(c[1]) for c in chunks]
    if len(spans) == 1:
        return spans[0]
    bufs, offs, base = [], [np.zeros(1, dtype=np.int64)], 0
    for buf, o in spans:
        lo, hi = int(o[0]), int(o[-1])
        bufs.append(buf[lo:hi])
        offs.append(o[1:] - lo + base)
        base += hi - lo
    return np.concatenate(bufs), np.concatenate(offs)


class Plan:
    """The work of one block, gathered before any of it runs (and started in pieces if the adapter wants)."""

    def __init__(self) -> None:
        self._batches: dict[tuple, _Batch] = {}
        self._piece = 0

    def _add(self, key: tuple, kind: str, n: int, owners, *cols) -> Ticket:
        owners = _owners(owners, n)
        b = self._batches.get(key)
        if b is None:
            b = self._batches[key] = _Batch()
        start, stop = b.add(n, *cols)
        return Ticket(kind, key, start, stop, owners, self._piece)

    def signatures(self, scheme: str, keys, messages, signatures, owners: Sequence[Any] | None = None, *,
                   low_s: bool = False) -> Ticket:
        """Signature i over message i (ECDSA: a 32-byte digest) under key i; ``owners[i]`` says whose it is
        (a transaction index, an (input, key) pair: anything the adapter maps back).  ``messages`` may be
        ``Plan.digests_of(hash_ticket)``."""
        check_scheme(scheme)
        k, s = as_items("keys", keys), as_items("signatures", signatures)
        m = messages if isinstance(messages, Digests) else as_items("messages", messages)
        if isinstance(m, Digests) and m.ticket.piece != self._piece:
            raise InvalidArgument("messages are digests of a hash ticket from another piece of the plan")
        n = same_length(keys=k, messages=m, signatures=s)
        return self._add(("sig", scheme, bool(low_s)), "sig", n, owners, k, m, s)

    def hashes(self, algo: str, messages, owners: Sequence[Any] | None = None) -> Ticket:
        _check_algo(algo)
        m = as_items("messages", messages)
        return self._add(("hash", algo), "hash", len(m), owners, "items", m)

    def hash_spans(self, algo: str, buf: np.ndarray, offsets: np.ndarray,
                   owners: Sequence[Any] | None = None) -> Ticket:
        """Hash job i is ``buf[offsets[i]:offsets[i+1]]`` (a 1-D uint8 buffer, (N+1,) int64 offsets): a
        block's transactions hashed where they lie, without a Python object per message."""
        _check_algo(algo)
        if not isinstance(buf, np.ndarray) or not isinstance(offsets, np.ndarray):
            raise InvalidType("buf and offsets must be numpy arrays")
        if offsets.ndim != 1 or offsets.shape[0] < 1:
            raise InvalidArgument("offsets must hold N+1 entries (at least one)")
        return self._add(("hash", algo), "hash", offsets.shape[0] - 1, owners, "spans", buf, offsets)

    def recoveries(self, digests, signatures65, owners: Sequence[Any] | None = None) -> Ticket:
        """secp256k1 key recovery from 65-byte r || s || v signatures over 32-byte digests."""
        d, s = as_items("digests", digests), as_items("signatures", signatures65)
        n = same_length(digests=d, signatures=s)
        return self._add(("recover",), "recover", n, owners, d, s)

    def digests_of(self, ticket: Ticket, rows=None, fill: bytes | None = None) -> Digests:
        """Messages for ``signatures``: the digests of hash ``ticket`` (this piece), all of them in order, or
        row ``rows[i]`` for item i; with ``fill`` (32 bytes), a row of -1 takes ``fill``."""
        if not isinstance(ticket, Ticket) or ticket.kind != "hash":
            raise InvalidArgument("digests_of takes a hash ticket")
        if ticket.piece != self._piece:
            raise InvalidArgument("the hash ticket belongs to another piece of the plan")
        f = None
        if fill is not None:
            if len(fill) != 32:
                raise InvalidArgument("fill must be 32 bytes")
            f = np.frombuffer(bytes(fill), dtype=np.uint8)
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64).reshape(-1)
            lo = -1 if f is not None else 0
            if rows.size and (rows.min() < lo or rows.max() >= len(ticket)):
                raise InvalidArgument(f"rows must lie in [{lo}, {len(ticket)})")
        return Digests(ticket, rows, f)

    def __len__(self) -> int:
        return sum(b.size for b in self._batches.values())

    def start(self, *, threads: int | None = None, sig_cache=None, key_cache: bool = True,
              hash_threads: int | None = None) -> Execution:
        """Run this piece: hashes (on ``hash_threads``, default ``threads``), then recoveries, then start the
        signatures.  secp256k1 signatures verify on helper threads in the background (see
        ``start_verify_batch``); ``Execution.digests`` is ready at once, ``Execution.result()`` finishes.
        The next work added to the plan forms its next piece."""
        return self._run(threads, sig_cache, key_cache, hash_threads, background=True)

    def execute(self, *, threads: int | None = None, sig_cache=None, key_cache: bool = True,
                hash_threads: int | None = None) -> Results:
        """``start().result()``, with every signature batch verified in the foreground (nothing to overlap)."""
        return self._run(threads, sig_cache, key_cache, hash_threads, background=False).result()

    def _run(self, threads, sig_cache, key_cache: bool, hash_threads, background: bool) -> Execution:
        t = resolve_threads(threads)
        th = t if hash_threads is None else resolve_threads(hash_threads)
        batches, piece = self._batches, self._piece
        self._batches, self._piece = {}, piece + 1
        done: dict[tuple, Any] = {}
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        for key, b in batches.items():
            if key[0] == "hash":
                done[key] = _run_hashes(key[1], b.chunks, th)
        t1 = time.perf_counter()
        for key, b in batches.items():
            if key[0] == "recover":
                done[key] = recover_batch(*_columns(b, done), threads=t)
        t2 = time.perf_counter()
        pending = {key: _start_sigs(key[1], key[2], _columns(b, done), b.size, t, sig_cache, key_cache,
                                    background)
                   for key, b in batches.items() if key[0] == "sig"}
        timings.update(hash=t1 - t0, recover=t2 - t1, sig=time.perf_counter() - t2)
        return Execution(piece, done, pending, timings)


class Execution:
    """A started piece of a plan: its digests now, its verdicts at ``result()``."""

    def __init__(self, piece: int, done: dict, pending: dict, timings: dict):
        self.piece = piece
        self._done, self._pending = done, pending
        self.timings = timings  # seconds so far per kind of work (signatures: until ``result`` returns)
        self._results: Results | None = None
        self._error: BaseException | None = None

    def digests(self, ticket: Ticket) -> np.ndarray:
        """A hash ticket's (n, 32) digests, ready as soon as ``start`` returned."""
        return _hash_rows(self._done, self.piece, ticket)

    def result(self) -> Results:
        if self._error is not None:
            raise self._error
        if self._results is None:
            t0 = time.perf_counter()
            pending, self._pending = self._pending, {}
            err = None
            for k, finish in pending.items():  # every batch is joined, even after one raised
                try:
                    self._done[k] = finish()
                except BaseException as e:  # noqa: BLE001 - re-raised once the others are joined
                    err = err or e
            if err is not None:
                self._error = err  # asked again, the same error: the verdicts are incomplete
                raise err
            self.timings["sig"] += time.perf_counter() - t0
            self._results = Results(self.piece, self._done, self.timings)
        return self._results


def join(executions: Sequence[Execution]) -> list[Results]:
    """The results of several pieces, in order; every piece is joined even if one raises (its helper
    threads then stop before the caller goes on), and the first error is raised after."""
    out, err = [], None
    for e in executions:
        try:
            out.append(e.result())
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            err = err or exc
    if err is not None:
        raise err
    return out


class Results:
    """Verdicts per ticket, in the order the ticket's items were added.  ``timings``: seconds spent on
    hashes, recoveries and signatures (start plus the wait at ``result``)."""

    def __init__(self, piece: int, done: dict[tuple, Any], timings: dict[str, float]):
        self.piece = piece
        self._done = done
        self.timings = timings
        self.cached_signatures = sum(getattr(v, "cached", 0) for v in done.values())

    def _slot(self, ticket: Ticket):
        if ticket.piece != self.piece:
            raise InvalidArgument(f"ticket of piece {ticket.piece} asked of piece {self.piece}'s results")
        return self._done[ticket.batch]

    def verdicts(self, ticket: Ticket) -> np.ndarray:
        """Signatures: (n,) bool.  Recoveries: (n,) bool (whether a key recovered)."""
        if ticket.kind == "hash":
            raise InvalidArgument("hash tickets have digests, not verdicts")
        v = self._slot(ticket)
        return (v.ok if ticket.kind == "sig" else v[1])[ticket.start:ticket.stop]

    def digests(self, ticket: Ticket) -> np.ndarray:
        return _hash_rows(self._done, self.piece, ticket)

    def keys(self, ticket: Ticket) -> np.ndarray:
        """Recoveries: (n, 33) compressed SEC1 keys (zeros where none recovered)."""
        if ticket.kind != "recover":
            raise InvalidArgument("only recovery tickets have keys")
        return self._slot(ticket)[0][ticket.start:ticket.stop]

    def failed(self, ticket: Ticket) -> list:
        """The owners whose item failed, in order (signatures and recoveries)."""
        ok = self.verdicts(ticket)
        return [ticket.owners[i] for i in np.flatnonzero(~ok).tolist()]


def _hash_rows(done: dict, piece: int, ticket: Ticket) -> np.ndarray:
    if ticket.kind != "hash":
        raise InvalidArgument("only hash tickets have digests")
    if ticket.piece != piece:
        raise InvalidArgument(f"ticket of piece {ticket.piece} asked of piece {piece}'s execution")
    return done[ticket.batch][ticket.start:ticket.stop]


def _run_hashes(algo: str, chunks: list, threads: int) -> np.ndarray:
    if all(c[0] == "items" for c in chunks):
        return hash_batch(algo, _join([c[1] for c in chunks]), threads=threads)
    buf, offsets = _join_spans(chunks)
    return hash_spans(algo, buf, offsets, threads=threads)


def _columns(b: _Batch, done: dict) -> list:
    cols = [[c[j].resolve(done) if isinstance(c[j], Digests) else c[j] for c in b.chunks]
            for j in range(len(b.chunks[0]))]
    return [_join(c) for c in cols]


@dataclass
class _SigVerdicts:
    ok: np.ndarray
    cached: int = 0


def _start_sigs(scheme: str, low_s: bool, cols: list, n: int, threads: int, sig_cache, key_cache: bool,
                background: bool):
    if n == 0:
        return lambda: _SigVerdicts(np.zeros(0, dtype=bool))
    keys, msgs, sigs = cols
    pend = start_verify_batch(scheme, keys, msgs, sigs, threads=threads, low_s=low_s, key_cache=key_cache,
                              sig_cache=sig_cache, _background=background)
    return lambda: _SigVerdicts(pend.result(), pend.cached)


def _check_algo(algo: str) -> None:
    if algo not in HASHES:
        raise InvalidArgument(f"unknown hash algorithm {algo!r}; expected one of {', '.join(HASHES)}")


def _owners(owners, n: int) -> Sequence:
    if owners is None:
        return range(n)  # positions in the ticket, without a tuple of n ints per ticket
    owners = tuple(owners)
    if len(owners) != n:
        raise InvalidArgument(f"{len(owners)} owners for {n} items")
    return owners


__all__ = ["Plan", "Ticket", "Digests", "Execution", "Results", "join"]
