"""Whole-chain audits on a Dask cluster: ``audit_chain`` (needs the ``dist`` extra: ``pip install
'ledgerval[dist]'``).

The chain's files are cut into partitions of consecutive blocks (byte ranges of the files, which the workers
read themselves); every partition is validated on a worker as a chain of its own, and the driver checks the
links between partitions.  The errors are exactly those of serial ``Validator.validate_chain`` over the
same blocks, in the same order.  ``partition`` and ``driver`` are format-neutral; ``lvb1`` is the LVB1
format.  docs/SCALING.md measures what it costs and how far it scales.
"""
from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidArgument, InvalidType
from . import driver
from .checkpoint import Checkpoint
from .lvb1 import LVC, ValidatorSpec
from .partition import AuditError, PartitionResult, cut, default_blocks_per_partition

# Default partition sizes (docs/SCALING.md has the measurements behind them): no partition under
# MIN_PARTITION_BYTES keeps the per-partition overhead under 2%; none over MAX_PARTITION_BYTES keeps a retried
# or re-run partition at about a minute of one core.
MIN_PARTITION_BYTES = 8 << 20
MAX_PARTITION_BYTES = 1 << 30

DIST_HINT = "ledgerval's chain audit needs dask.distributed: pip install 'ledgerval[dist]'"


@dataclass
class AuditReport:
    """The verdict on a whole chain.  ``ok`` is True exactly when ``errors`` is empty.

    ``seconds`` covers indexing the files, validating and linking; starting an embedded cluster and loading
    the kernels in every worker is ``startup_seconds``.  ``partitions_reused`` came from a checkpoint instead of being validated again.
    """

    blocks: int
    transactions: int
    errors: list[AuditError]
    seconds: float
    workers: int
    partitions: int
    partitions_reused: int = 0
    startup_seconds: float = 0.0
    results: list[PartitionResult] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"ok": self.ok, "blocks": self.blocks, "transactions": self.transactions,
                "errors": [e.to_dict() for e in self.errors], "workers": self.workers,
                "seconds": self.seconds, "partitions": self.partitions,
                "partitions_reused": self.partitions_reused}


def audit_chain(paths, suite: str, validators: Sequence[bytes] = (), threshold: int | None = None,
                chain_id: int = 0, client: Any = None, workers: int | None = None,
                partition_blocks: int | None = None, *, weights: Sequence[int] | None = None,
                checkpoint: str | os.PathLike | None = None,
                progress: driver.Progress | None = None) -> AuditReport:
    """Validate the chain stored in ``paths`` (one .lvc file or several, one chain in the order given).

    ``client``: a ``distributed.Client`` to run on; without one an embedded LocalCluster of ``workers``
    single-threaded processes (default: one per core) is started and closed again.  ``partition_blocks``:
    blocks per partition (default: up to four partitions per worker, as many for each worker, none under
    MIN_PARTITION_BYTES where the chain allows, none over MAX_PARTITION_BYTES).
    ``checkpoint``: a directory recording finished partitions, so a re-run redoes only the rest.
    ``progress(done_bytes, total_bytes, blocks, transactions)`` is called as partitions finish.

    Misuse raises InvalidArgument/InvalidType; a file that cannot be read raises OSError or ChainFileError;
    invalid blocks are data in the report.
    """
    paths = _check_paths(paths)
    spec = _spec(suite, validators, threshold, chain_id, weights)
    for name, value in (("workers", workers), ("partition_blocks", partition_blocks)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidType(f"{name} must be an int, not {type(value).__name__}")
        if value is not None and value < 1:
            raise InvalidArgument(f"{name} must be >= 1, got {value}")
    if client is not None and workers is not None:
        raise InvalidArgument("give either a client or a number of workers, not both")
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ImportError(DIST_HINT) from exc

    ck = Checkpoint(checkpoint, LVC.name, spec.fingerprint()) if checkpoint is not None else None
    t0 = time.perf_counter()
    offsets = [LVC.index(p) for p in paths]
    t_index = time.perf_counter() - t0
    t1 = time.perf_counter()
    with driver.cluster(client, workers) as c:
        nworkers = driver.worker_count(c)
        c.run(LVC.warm, spec)
        t2 = time.perf_counter()
        k = partition_blocks or default_blocks_per_partition(offsets, nworkers, min_bytes=MIN_PARTITION_BYTES,
                                                                max_bytes=MAX_PARTITION_BYTES)
        parts = cut(paths, offsets, k)
        results, reused = driver.run(c, LVC, parts, spec, checkpoint=ck, progress=progress)
        t3 = time.perf_counter()
    return AuditReport(blocks=sum(r.blocks for r in results), transactions=sum(r.transactions for r in results),
                       errors=[e for r in results for e in r.errors], seconds=t_index + (t3 - t2),
                       workers=nworkers, partitions=len(parts), partitions_reused=reused,
                       startup_seconds=t2 - t1, results=results)


def _check_paths(paths) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if isinstance(paths, bytes) or not isinstance(paths, Sequence):
        raise InvalidType(f"paths must be a path or a sequence of paths, not {type(paths).__name__}")
    out = []
    for i, p in enumerate(paths):
        if not isinstance(p, (str, os.PathLike)):
            raise InvalidType(f"paths[{i}] must be a path, not {type(p).__name__}")
        out.append(os.fspath(p))
    if not out:
        raise InvalidArgument("paths is empty: give at least one chain file")
    return out


def _spec(suite, validators, threshold, chain_id, weights) -> ValidatorSpec:
    """The Validator's arguments, checked here on the driver (misuse raises once, not on every worker)."""
    spec = ValidatorSpec(suite, chain_id, validators, threshold, weights)
    v = spec.build(threads=1)
    return ValidatorSpec(v.suite.name, v.chain_id, tuple(v.validators), threshold,
                         tuple(int(w) for w in weights) if weights is not None else None)


__all__ = ["DIST_HINT", "MIN_PARTITION_BYTES", "AuditError", "AuditReport", "ValidatorSpec", "audit_chain"]
