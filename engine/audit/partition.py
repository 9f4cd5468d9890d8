"""The format-neutral half of a chain audit: partitions, their results, and the interface a format supplies.

A chain is one or more files of framed blocks, in order.  The driver indexes each file's framing (record
offsets only, no block is parsed), cuts the records into partitions (runs of consecutive blocks inside one
file, given as a byte range), and has the workers validate each partition as if it were a chain of its own.
A worker reads its byte range from the file itself, so blocks never travel through the scheduler; what comes
back is small: counts, errors, and the boundary facts (``head``, ``tail``) the driver needs to check the link
between one partition's last block and the next one's first.

A format (LVB1 now; Bitcoin, Fabric and EVM block files later) is a ``ChainFormat``: how to index a file's
framing, how to validate one partition on a worker, and how to link two neighbouring results on the driver.
Everything else (scheduling, retries, checkpoints, progress, merging in order) is the driver's and shared.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import InvalidArgument


@dataclass(frozen=True)
class Partition:
    """Blocks ``first_block .. first_block + blocks - 1`` of the chain: bytes ``[start, end)`` of ``path``,
    which hold exactly those records (framing included).  ``seq`` is its position in the chain's order."""

    seq: int
    path: str
    start: int
    end: int
    first_block: int
    blocks: int

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class AuditError:
    """One error of the audit: the serial validator's error for block number ``block`` (its position in
    the chain, counting from 0 over all files), with that block's ``height`` as its report gave it (None
    where the block does not decode)."""

    block: int
    height: int | None
    code: str
    index: int | None
    detail: str

    def to_dict(self) -> dict:
        return {"block": self.block, "height": self.height, "code": self.code, "index": self.index,
                "detail": self.detail}

    @classmethod
    def from_dict(cls, d: dict) -> AuditError:
        return cls(d["block"], d["height"], d["code"], d["index"], d["detail"])


@dataclass(frozen=True)
class PartitionResult:
    """What a worker returns for one partition, validated without a parent for its first block.

    ``head`` and ``tail`` are JSON-able dicts whose meaning belongs to the format: the first block's link
    facts (for LVB1: its height and prev hash, whether it reached the link checks) and the last block's
    (its hash, or None when it cannot be a parent).  ``errors`` are in chain order.
    """

    seq: int
    first_block: int
    blocks: int
    transactions: int
    errors: tuple[AuditError, ...]
    head: dict[str, Any] | None
    tail: dict[str, Any] | None

    def to_json(self) -> dict:
        return {"seq": self.seq, "first_block": self.first_block, "blocks": self.blocks,
                "transactions": self.transactions, "errors": [e.to_dict() for e in self.errors],
                "head": self.head, "tail": self.tail}

    @classmethod
    def from_json(cls, d: dict) -> PartitionResult:
        return cls(d["seq"], d["first_block"], d["blocks"], d["transactions"],
                   tuple(AuditError.from_dict(e) for e in d["errors"]), d["head"], d["tail"])

    def with_errors(self, errors: Sequence[AuditError]) -> PartitionResult:
        return replace(self, errors=tuple(errors))


@dataclass(frozen=True)
class ChainFormat:
    """What a block-file format supplies to the audit driver.

    - ``index(path)``: the byte offset of every record in the file and the file's end, as an int64 array of
      length records + 1 (record i is ``[offsets[i], offsets[i+1])``); raises ValueError (ChainFileError)
      on broken framing and OSError when the file cannot be read.  Runs on the driver.
    - ``validate(partition, spec)``: validate the partition's blocks in order, the first without a parent;
      returns a PartitionResult.  Runs on a worker, so it must be a module-level function.
    - ``link(prev, cur)``: ``cur`` with the errors that linking its first block to ``prev``'s last block
      adds, placed where the serial validator puts them.  Runs on the driver, in chain order.
    - ``warm(spec)``: run once in every worker before the partitions, so loading kernels is start-up, not
      validation time.  Module-level, like ``validate``.
    - ``name``: recorded in checkpoints, so a checkpoint of one format is never taken for another.
    """

    name: str
    index: Callable[[str], np.ndarray]
    validate: Callable[[Partition, Any], PartitionResult]
    link: Callable[[PartitionResult, PartitionResult], PartitionResult]
    warm: Callable[[Any], None]


def cut(paths: Sequence[str], offsets: Sequence[np.ndarray], blocks_per_partition: int) -> list[Partition]:
    """Partitions of at most ``blocks_per_partition`` consecutive records; a partition never spans two files
    (the link between files is checked like any other link between partitions)."""
    if blocks_per_partition < 1:
        raise InvalidArgument(f"partition_blocks must be >= 1, got {blocks_per_partition}")
    parts: list[Partition] = []
    first = 0
    for path, offs in zip(paths, offsets):
        n = len(offs) - 1
        for i in range(0, n, blocks_per_partition):
            j = min(i + blocks_per_partition, n)
            parts.append(Partition(len(parts), path, int(offs[i]), int(offs[j]), first + i, j - i))
        first += n
    return parts


def default_blocks_per_partition(offsets: Sequence[np.ndarray], workers: int, *, min_bytes: int, max_bytes: int,
                                 per_worker: int = 4) -> int:
    """Blocks per partition for a whole number of partitions per worker (so the last round keeps every
    worker busy): ``per_worker`` each where the chain is big enough, fewer rather than any under
    ``min_bytes`` (the per-partition overhead stays small), more where one would exceed ``max_bytes``
    (a retried or checkpointed partition stays cheap).  docs/SCALING.md measures the overhead."""
    blocks = sum(len(o) - 1 for o in offsets)
    size = sum(int(o[-1] - o[0]) for o in offsets)
    if blocks == 0:
        return 1
    workers = max(workers, 1)
    per = max(1, min(per_worker, size // (workers * min_bytes)))
    parts = max(workers * per, -(-size // max_bytes))
    parts = -(-parts // workers) * workers
    return max(1, -(-blocks // parts))
