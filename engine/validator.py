"""Block validation: the ``Validator``, its ``Report`` and the stable error codes.

Cheap checks run first (decoding, header fields), then hashing and the Merkle root, then the signature
batch, then the commit.  Per-transaction failures are data: every error is reported, each with its index.
"""
from __future__ import annotations

import functools
import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

import numpy as np

from . import hashing
from ._inputs import as_items, flatten
from .errors import InvalidArgument, InvalidType
from .format import HEADER_SIZE, MAX_PAYLOAD, SIG_SIZE, DecodedBlock, Header, Malformed, decode_block, decode_header
from .merkle import merkle_root
from .native_threads import resolve_threads
from .pipeline import Plan, Results, Ticket
from .sigcache import check_sig_cache
from .suites import BY_ID, Suite, get_suite

# Stable error codes (never renamed; new ones may be added).
MALFORMED = "malformed"
WRONG_SUITE = "wrong_suite"
WRONG_CHAIN = "wrong_chain"
BAD_HEIGHT = "bad_height"
BAD_PREV_HASH = "bad_prev_hash"
BAD_TIMESTAMP = "bad_timestamp"
BAD_TX_ROOT = "bad_tx_root"
BAD_SIGNATURE = "bad_signature"
DUPLICATE_TX = "duplicate_tx"
REPLAYED_NONCE = "replayed_nonce"
UNKNOWN_VALIDATOR = "unknown_validator"
DUPLICATE_VALIDATOR = "duplicate_validator"
BAD_COMMIT_SIGNATURE = "bad_commit_signature"
INSUFFICIENT_QUORUM = "insufficient_quorum"
ERROR_CODES = (MALFORMED, WRONG_SUITE, WRONG_CHAIN, BAD_HEIGHT, BAD_PREV_HASH, BAD_TIMESTAMP, BAD_TX_ROOT,
               BAD_SIGNATURE, DUPLICATE_TX, REPLAYED_NONCE, UNKNOWN_VALIDATOR, DUPLICATE_VALIDATOR,
               BAD_COMMIT_SIGNATURE, INSUFFICIENT_QUORUM)


@dataclass(frozen=True)
class Error:
    code: str
    index: int | None
    detail: str

    def to_dict(self) -> dict:
        return {"code": self.code, "index": self.index, "detail": self.detail}


@dataclass
class Report:
    """The verdict on one block.  ``ok`` is True exactly when ``errors`` is empty."""

    errors: list[Error] = field(default_factory=list)
    header_hash: bytes | None = None
    height: int | None = None
    tx_count: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    cached_signatures: int = 0  # signatures the Validator's sig_cache vouched for (not verified again)

    @property
    def ok(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [e.code for e in self.errors]

    def to_dict(self) -> dict:
        return {"ok": self.ok, "height": self.height, "tx_count": self.tx_count,
                "header_hash": self.header_hash.hex() if self.header_hash is not None else None,
                "errors": [e.to_dict() for e in self.errors], "timings": dict(self.timings),
                "cached_signatures": self.cached_signatures}


def _digest(algo: str, data: bytes) -> bytes:
    if algo == "sha256":  # one header: hashlib's ~1 us against ~10 us through a batch call's checks
        return hashlib.sha256(data).digest()
    return hashing.hash_batch(algo, [data], threads=1)[0].tobytes()


# Random per process, so rows cannot be crafted offline to collide in first_seen's table.
_ROW_HASH_MULT = int.from_bytes(os.urandom(8), "little") | 1


class Validator:
    """Validates LVB1 blocks of one suite.

    ``validators`` are the public keys (bytes) of the consortium's validators, in index order; when given,
    each block's commit is checked against them.  ``threshold`` is the quorum (default floor(2n/3) + 1 of n
    validators, or of the total weight when ``weights`` are given).  ``threads=None`` uses every core.

    ``sig_cache`` (a ``ledgerval.SignatureCache``, which may be shared by several validators and threads)
    remembers verified signatures: ``precheck`` fills it with transactions seen before their block (a pool),
    and ``validate_block`` then verifies only the signatures it does not hold (transactions' and the
    commit's alike), stores the new successes, and says in ``report.cached_signatures`` how many it skipped.
    The verdicts are the same with and without it: an entry is a salted fingerprint of the scheme, key,
    message and signature, and only successes are stored (see ``ledgerval.sigcache``).
    """

    def __init__(self, suite: str, *, chain_id: int = 0, validators: Sequence[bytes] = (),
                 threshold: int | None = None, threads: int | None = None,
                 weights: Sequence[int] | None = None, sig_cache=None):
        self.suite: Suite = get_suite(suite)
        self.sig_cache = check_sig_cache(sig_cache)
        if isinstance(chain_id, bool) or not isinstance(chain_id, int):
            raise InvalidType(f"chain_id must be an int, not {type(chain_id).__name__}")
        if not 0 <= chain_id < 1 << 32:
            raise InvalidArgument(f"chain_id {chain_id} does not fit in u32")
        self.chain_id = chain_id
        self.threads = resolve_threads(threads)
        self.validators = self._check_validators(validators)
        n = len(self.validators)
        if weights is None:
            self.weights = np.ones(n, dtype=np.int64)
        else:
            w = list(weights)
            if len(w) != n or any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in w):
                raise InvalidArgument(f"weights must be {n} non-negative ints, one per validator")
            self.weights = np.array(w, dtype=np.int64)
        total = int(self.weights.sum())
        if threshold is None:
            threshold = (2 * total) // 3 + 1 if n else 0
        elif isinstance(threshold, bool) or not isinstance(threshold, int):
            raise InvalidType(f"threshold must be an int, not {type(threshold).__name__}")
        elif n and not 1 <= threshold <= total:
            raise InvalidArgument(f"threshold {threshold} must be in [1, {total}]")
        self.threshold = threshold

    def _check_validators(self, validators) -> list[bytes]:
        if isinstance(validators, (bytes, str)):
            raise InvalidType("validators must be a sequence of public keys, not a single value")
        keys = []
        for i, k in enumerate(validators):
            if not isinstance(k, (bytes, bytearray, memoryview)):
                raise InvalidType(f"validators[{i}] must be bytes, not {type(k).__name__}")
            k = bytes(k)
            if not _key_decodes(self.suite, k):
                raise InvalidArgument(f"validators[{i}] is not a valid {self.suite.scheme} public key")
            keys.append(k)
        if len(keys) > 1 << 16:
            raise InvalidArgument("at most 65536 validators (indices are u16)")
        return keys

    # -- public API ---------------------------------------------------------------------------------------

    def validate_block(self, block: bytes, parent: bytes | None = None) -> Report:
        """Validate one block; ``parent`` is the previous block's raw bytes or its 96-byte header."""
        block = _as_bytes("block", block)
        parent_header = self._parent_header(parent) if parent is not None else None
        return self._validate(block, parent_header)

    def precheck(self, transactions) -> np.ndarray:
        """Verify raw LVB1 transactions (each ``pubkey | nonce | payload_len | payload | signature``, the bytes
        as they sit in a block) in one batch; returns an (N,) bool array and caches the successes in
        ``sig_cache``, so a block that includes them later verifies only the others.

        The signed message is the transaction hash, as ``validate_block`` computes it.  A transaction that is
        not framed exactly (too short, payload_len over 1 MiB or not matching its length) is False, like one
        whose key does not decode or whose signature fails; none of them is cached.  Misuse (not a sequence
        of bytes) raises ``InvalidType``.  Without a ``sig_cache`` it only verifies.
        """
        items = as_items("transactions", transactions)
        n = len(items)
        ok = np.zeros(n, dtype=bool)
        if n == 0:
            return ok
        buf, offs = flatten(items)
        start, end = offs[:-1], offs[1:]
        k = self.suite.key_len
        fixed = k + 12  # pubkey | nonce u64 | payload_len u32
        framed = end - start >= fixed + SIG_SIZE
        plen = np.zeros(n, dtype=np.int64)
        at = start[framed] + fixed - 4
        plen[framed] = np.ascontiguousarray(buf[at[:, None] + np.arange(4)]).view("<u4").reshape(-1)
        framed &= (plen <= MAX_PAYLOAD) & (end - start == fixed + plen + SIG_SIZE)
        idx = np.flatnonzero(framed)
        if idx.size == 0:
            return ok
        from ledgerval.kernels.lvb1_scan import gather_txs  # Numba loads on first use, not at import

        bodies, offsets, keys, sigs = gather_txs(buf, start[idx], end[idx] - SIG_SIZE, k)
        plan = Plan()
        hashes = plan.hash_spans(self.suite.hash, bodies, offsets)
        tx_sigs = plan.signatures(self.suite.scheme, keys, plan.digests_of(hashes), sigs)
        ok[idx] = plan.execute(threads=self.threads, sig_cache=self.sig_cache).verdicts(tx_sigs)
        return ok

    def validate_chain(self, blocks: Iterable[bytes]) -> Iterator[Report]:
        """Validate blocks in order, each linked to the one before (the first has no parent).

        A block that does not decode cannot serve as a parent; the next block is then checked without one.
        """
        parent: Header | None = None
        parent_hash: bytes | None = None
        for block in blocks:
            block = _as_bytes("block", block)
            report = self._validate(block, (parent, parent_hash) if parent is not None else None)
            try:
                parent = decode_header(block)
                parent_hash = report.header_hash if report.header_hash is not None else \
                    _digest(self.suite.hash, block[:HEADER_SIZE])
            except Malformed:
                parent = parent_hash = None
            yield report

    # -- internals ----------------------------------------------------------------------------------------

    def _parent_header(self, parent) -> tuple[Header, bytes]:
        parent = _as_bytes("parent", parent)
        try:
            h = decode_header(parent)
        except Malformed as exc:
            raise InvalidArgument(f"parent header does not decode: {exc}") from None
        return h, _digest(self.suite.hash, parent[:HEADER_SIZE])

    def _validate(self, block: bytes, parent: tuple[Header, bytes] | None) -> Report:
        t0 = time.perf_counter()
        report = Report()
        timings = report.timings
        try:
            dec = decode_block(block)
        except Malformed as exc:
            report.errors.append(Error(MALFORMED, None, f"block does not decode: {exc}"))
            timings["decode"] = time.perf_counter() - t0
            timings["total"] = timings["decode"]
            return report
        h = dec.header
        report.height = h.height
        report.tx_count = dec.tx_count
        t1 = time.perf_counter()
        timings["decode"] = t1 - t0
        if dec.suite.id != self.suite.id:
            report.errors.append(Error(WRONG_SUITE, None, f"block is of suite {dec.suite.name}, "
                                                          f"validator expects {self.suite.name}"))
            timings["total"] = t1 - t0
            return report
        errors = report.errors
        algo = self.suite.hash
        report.header_hash = _digest(algo, dec.header_bytes)
        if h.chain_id != self.chain_id:
            errors.append(Error(WRONG_CHAIN, None, f"chain_id {h.chain_id}, expected {self.chain_id}"))
        if parent is not None:
            ph, phash = parent
            if h.height != ph.height + 1:
                errors.append(Error(BAD_HEIGHT, None, f"height {h.height}, parent is {ph.height}"))
            if h.prev_hash != phash:
                errors.append(Error(BAD_PREV_HASH, None, f"prev_hash {h.prev_hash.hex()} is not the parent's "
                                                         f"header hash {phash.hex()}"))
            if h.timestamp_ms < ph.timestamp_ms:
                errors.append(Error(BAD_TIMESTAMP, None, f"timestamp_ms {h.timestamp_ms} is before the "
                                                         f"parent's {ph.timestamp_ms}"))
        t2 = time.perf_counter()
        timings["header"] = t2 - t1

        # One plan for the block: the transactions' hashes, then their signatures over those hashes and the
        # commit's signatures over the header hash, in one batch of the suite's scheme.
        from ledgerval.kernels.lvb1_scan import gather_txs  # Numba loads on the first block, not at import

        plan = Plan()
        # the hashed bodies, keys and signatures in one kernel pass over the block (three gathers before:
        # each pass and call costs more in a warm block, which starts with caches cold)
        buf, offsets, pubkeys, sigs = gather_txs(dec.raw, dec.tx_start, dec.sig_off, self.suite.key_len)
        hashes = plan.hash_spans(algo, buf, offsets)
        tx_sigs = plan.signatures(self.suite.scheme, pubkeys, plan.digests_of(hashes), sigs)
        commit = self._commit_plan(dec, report.header_hash, plan) if self.validators else None
        run = plan.start(threads=self.threads, sig_cache=self.sig_cache)
        tx_hashes = run.digests(hashes)
        t3 = time.perf_counter()
        timings["tx_hash"] = t3 - t2 - run.timings["sig"]  # start() also started the signatures
        # the Merkle root and the transaction rules run here while secp256k1 signatures verify on helpers
        root = merkle_root(algo, tx_hashes, "rfc6962", threads=self.threads)
        if root != h.tx_root:
            errors.append(Error(BAD_TX_ROOT, None, f"tx_root {h.tx_root.hex()}, computed {root.hex()}"))
        t4 = time.perf_counter()
        timings["merkle"] = t4 - t3
        flags = _tx_flags(dec, tx_hashes)
        t5 = time.perf_counter()
        res = run.result()
        t6 = time.perf_counter()
        timings["signatures"] = res.timings["sig"]  # started in plan.start, joined just above
        report.cached_signatures = res.cached_signatures
        errors.extend(_tx_errors(flags, tx_hashes, res.verdicts(tx_sigs)))
        t7 = time.perf_counter()
        timings["tx_rules"] = t7 - t6 + t5 - t4
        if commit is not None:
            errors.extend(self._commit_errors(dec, commit, res))
        t8 = time.perf_counter()
        timings["commit"] = t8 - t7
        timings["total"] = t8 - t0
        return report

    def _commit_plan(self, dec: DecodedBlock, header_hash: bytes, plan: Plan) -> _Commit:
        """The commit's index errors now; its candidates' signatures over the header hash join ``plan``."""
        nv = len(self.validators)
        errors: list[Error] = []
        seen: set[int] = set()
        candidates: list[int] = []
        index = dec.commit_index.tolist()
        for k, vi in enumerate(index):
            if vi >= nv:
                errors.append(Error(UNKNOWN_VALIDATOR, k, f"commit entry {k}: validator index {vi} >= {nv} "
                                                          f"validators"))
            elif vi in seen:
                errors.append(Error(DUPLICATE_VALIDATOR, k, f"commit entry {k}: validator {vi} already signed"))
            else:
                candidates.append(k)
            if vi < nv:
                seen.add(vi)
        keys = [self.validators[index[k]] for k in candidates]
        ticket = plan.signatures(self.suite.scheme, keys, [header_hash] * len(candidates),
                                 dec.commit_sig[candidates], owners=candidates)
        return _Commit(errors, ticket)

    def _commit_errors(self, dec: DecodedBlock, commit: _Commit, res: Results) -> list[Error]:
        out = list(commit.errors)
        weight = 0
        for k, good in zip(commit.ticket.owners, res.verdicts(commit.ticket).tolist()):
            vi = int(dec.commit_index[k])
            if good:
                weight += int(self.weights[vi])
            else:
                out.append(Error(BAD_COMMIT_SIGNATURE, k, f"commit entry {k}: validator {vi}'s signature "
                                                          f"over the header hash does not verify"))
        out.sort(key=lambda e: e.index)
        if weight < self.threshold:
            m = dec.commit_index.shape[0]
            out.append(Error(INSUFFICIENT_QUORUM, None, f"valid distinct commit signatures weigh {weight} "
                                                        f"({m} entries), quorum threshold is {self.threshold}"))
        return out


@dataclass
class _Commit:
    errors: list[Error]  # unknown and duplicate validators, found before any signature is checked
    ticket: Ticket       # the candidates' signatures; owners are their commit entry indices


@dataclass
class _TxFlags:
    dup: np.ndarray
    replay: np.ndarray
    first_hash: np.ndarray
    first_pair: np.ndarray
    same_as_first: np.ndarray
    first_diff: np.ndarray
    group: np.ndarray
    dec: DecodedBlock  # its nonces are read only when a replay is reported


def _tx_flags(dec: DecodedBlock, tx_hashes) -> _TxFlags | None:
    """Duplicate transactions and replayed nonces: the rules that need no signature verdict."""
    n = dec.tx_count
    if n == 0:
        return None
    from ledgerval.kernels.rows import tx_flags

    # (pubkey, nonce) replay: an earlier transaction with the same pair but another tx_hash exists iff the
    # group's first member hashes differently, or some member before i already differs from the first.
    # A transaction starts with its public key and nonce: the pairs are read in place from the block.
    first_hash, first_pair, same_as_first, first_diff, dup, replay = tx_flags(
        tx_hashes, dec.raw, dec.tx_start, dec.suite.key_len + 8, _ROW_HASH_MULT)
    group = first_pair  # a pair's group is named by its first member
    return _TxFlags(dup, replay, first_hash, first_pair, same_as_first, first_diff, group, dec)


def _tx_errors(f: _TxFlags | None, tx_hashes, sig_ok) -> list[Error]:
    if f is None:
        return []
    bad = ~sig_ok | f.dup | f.replay
    out: list[Error] = []
    nonces = f.dec.nonces() if f.replay.any() else None
    for i in np.flatnonzero(bad).tolist():
        who = f"transaction {i} (tx_hash {tx_hashes[i].tobytes().hex()})"
        if not sig_ok[i]:
            out.append(Error(BAD_SIGNATURE, i, f"{who}: signature does not verify under its public key"))
        if f.dup[i]:
            out.append(Error(DUPLICATE_TX, i, f"{who}: same tx_hash as transaction {int(f.first_hash[i])}"))
        if f.replay[i]:
            j = int(f.first_pair[i]) if not f.same_as_first[i] else int(f.first_diff[f.group[i]])
            out.append(Error(REPLAYED_NONCE, i, f"{who}: nonce {int(nonces[i])} of this key was already "
                                                f"used by transaction {j}"))
    return out


def _as_bytes(name: str, data) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 1:
        return data.tobytes()
    raise InvalidType(f"{name} must be bytes, not {type(data).__name__}")


def _key_decodes(suite: Suite, key: bytes) -> bool:
    return _decodes(suite.scheme, key)


# A validator set is checked by every Validator built over it (``ledgerval bench``'s rows build one per
# chain, a CLI one per run): the reference decoding costs ~95 us a secp256k1 key, 0.38 ms for four, more
# than a tenth of a warm 2,000-transaction block.  The verdict depends on the key bytes alone.
@functools.lru_cache(maxsize=4096)
def _decodes(scheme: str, key: bytes) -> bool:
    from .reference import ecc, ed25519

    if scheme == "ed25519":
        return len(key) == 32 and ed25519.decode_point(key) is not None
    curve = {"ecdsa-secp256k1": ecc.SECP256K1, "ecdsa-p256": ecc.P256, "sm2": ecc.SM2}[scheme]
    return ecc.decode_pubkey(curve, key) is not None


__all__ = ["Validator", "Report", "Error", "ERROR_CODES", "BY_ID"]
