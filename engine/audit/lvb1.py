"""The LVB1 chain format (``.lvc`` files) for the audit: framing index, per-partition validation, links.

A partition is validated by the public ``Validator.validate_chain`` over its own blocks, so its first block
is checked without a parent.  The only checks that need the previous block are the header links (height,
prev hash, timestamp); the driver applies them at partition boundaries with ``link``, from the boundary facts
each partition returns, and puts the errors where the validator would have: after ``wrong_chain``, before
everything else of that block.  The result equals serial ``validate_chain`` over the whole chain
(tests/test_audit_equivalence.py checks it on corrupted chains at every partition size).
"""
from __future__ import annotations

import functools
import itertools
import struct
from dataclasses import dataclass

import numpy as np

from ..chainfile import read_chain
from ..errors import ChainFileError
from ..format import HEADER_SIZE, Malformed, decode_header
from ..hashing import hash_batch
from ..validator import BAD_HEIGHT, BAD_PREV_HASH, BAD_TIMESTAMP, WRONG_CHAIN, Report, Validator
from .partition import AuditError, ChainFormat, Partition, PartitionResult

_PREFIX = struct.Struct("<I")


@dataclass(frozen=True)
class ValidatorSpec:
    """The Validator's arguments, hashable and small: shipped with every task, built once per worker."""

    suite: str
    chain_id: int = 0
    validators: tuple[bytes, ...] = ()
    threshold: int | None = None
    weights: tuple[int, ...] | None = None

    def build(self, threads: int | None = 1) -> Validator:
        return Validator(self.suite, chain_id=self.chain_id, validators=self.validators,
                         threshold=self.threshold, threads=threads, weights=self.weights)

    def fingerprint(self) -> dict:
        return {"suite": self.suite, "chain_id": self.chain_id, "validators": [k.hex() for k in self.validators],
                "threshold": self.threshold, "weights": list(self.weights) if self.weights is not None else None}


def index_lvc(path: str) -> np.ndarray:
    """Record offsets of an .lvc file (``u32 length | block`` records) and its end; reads only the prefixes."""
    offsets = [0]
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        pos = 0
        while pos < size:
            if size - pos < 4:
                raise ChainFileError(f"{path}: record {len(offsets) - 1}: truncated length prefix")
            f.seek(pos)
            (length,) = _PREFIX.unpack(f.read(4))
            pos += 4 + length
            if pos > size:
                raise ChainFileError(f"{path}: record {len(offsets) - 1}: {length} bytes announced, "
                                     f"{size - (pos - length)} present")
            offsets.append(pos)
    return np.array(offsets, dtype=np.int64)


@functools.lru_cache(maxsize=8)
def _validator(spec: ValidatorSpec) -> Validator:
    # One worker is one thread (the cluster's unit of parallelism); decoding the validator keys once per
    # worker process instead of once per partition.
    return spec.build(threads=1)


_warm: set[ValidatorSpec] = set()


def warm_worker(spec: ValidatorSpec) -> None:
    """Load the kernels in this worker process (its first block would otherwise pay about a second of
    Numba cache loading inside the timing) and decode the validator keys; once per process and spec."""
    if spec in _warm:
        return
    from ..gen import generate_chain

    _validator(spec)
    chain = generate_chain(spec.suite, blocks=1, txs=2, validators=1, seed=0, senders=1)
    Validator(spec.suite, validators=chain.validators, threads=1).validate_block(chain.blocks[0])
    _warm.add(spec)


def errors_of(block: int, report: Report) -> list[AuditError]:
    """The serial report's errors for chain position ``block``, as audit errors."""
    return [AuditError(block, report.height, e.code, e.index, e.detail) for e in report.errors]


class _Blocks:
    """Yields a partition's blocks from its byte range and remembers the first and the last."""

    def __init__(self, part: Partition):
        self.part = part
        self.first: bytes | None = None
        self.last: bytes | None = None

    def __iter__(self):
        p = self.part
        with open(p.path, "rb") as f:
            f.seek(p.start)
            n = 0
            for block in itertools.islice(read_chain(f), p.blocks):
                if self.first is None:
                    self.first = block
                self.last = block
                n += 1
                yield block
            if n != p.blocks or f.tell() != p.end:
                raise ChainFileError(f"{p.path}: bytes {p.start}-{p.end} no longer hold {p.blocks} records "
                                     f"(the file changed after it was indexed)")


def validate_partition(part: Partition, spec: ValidatorSpec) -> PartitionResult:
    """Validate one partition on a worker; its first block has no parent (``link`` adds that check)."""
    v = _validator(spec)
    blocks = _Blocks(part)
    errors: list[AuditError] = []
    txs = 0
    first_report: Report | None = None
    for k, report in enumerate(v.validate_chain(blocks)):
        if first_report is None:
            first_report = report
        errors.extend(errors_of(part.first_block + k, report))
        txs += report.tx_count
    return PartitionResult(part.seq, part.first_block, part.blocks, txs, tuple(errors),
                           _head(blocks.first, first_report), _tail(v, blocks.last, report))


def _head(block: bytes, report: Report) -> dict | None:
    """The first block's link facts, or None when the validator stops before the link checks (a block that
    does not decode, or one of another suite)."""
    if report.header_hash is None:
        return None
    h = decode_header(block)
    at = 1 if report.errors and report.errors[0].code == WRONG_CHAIN else 0
    return {"height": h.height, "prev_hash": h.prev_hash.hex(), "timestamp_ms": h.timestamp_ms, "link_at": at}


def _tail(v: Validator, block: bytes, report: Report) -> dict | None:
    """The last block as a parent, or None when its header does not decode (validate_chain then checks the
    next block without a parent)."""
    try:
        h = decode_header(block)
    except Malformed:
        return None
    digest = report.header_hash if report.header_hash is not None else \
        hash_batch(v.suite.hash, [block[:HEADER_SIZE]], threads=1)[0].tobytes()
    return {"height": h.height, "hash": digest.hex(), "timestamp_ms": h.timestamp_ms}


def link(prev: PartitionResult, cur: PartitionResult) -> PartitionResult:
    """``cur`` with its first block's link errors against ``prev``'s last block, as validate_chain reports
    them (same codes, order and wording)."""
    head, tail = cur.head, prev.tail
    if head is None or tail is None:
        return cur
    found: list[tuple[str, str]] = []
    if head["height"] != tail["height"] + 1:
        found.append((BAD_HEIGHT, f"height {head['height']}, parent is {tail['height']}"))
    if head["prev_hash"] != tail["hash"]:
        found.append((BAD_PREV_HASH, (f"prev_hash {head['prev_hash']} is not the parent's header hash "
                                      f"{tail['hash']}")))
    if head["timestamp_ms"] < tail["timestamp_ms"]:
        found.append((BAD_TIMESTAMP, (f"timestamp_ms {head['timestamp_ms']} is before the parent's "
                                      f"{tail['timestamp_ms']}")))
    if not found:
        return cur
    new = [AuditError(cur.first_block, head["height"], code, None, detail) for code, detail in found]
    errs = list(cur.errors)
    at = head["link_at"]
    return cur.with_errors(errs[:at] + new + errs[at:])


LVC = ChainFormat("lvc", index_lvc, validate_partition, link, warm_worker)
