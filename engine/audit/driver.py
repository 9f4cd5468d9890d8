"""The format-neutral driver: the cluster's lifetime, the partitions' tasks, checkpoints, progress, links.

Dask does the scheduling.  A task is one partition (``ChainFormat.validate``); its result is small.  A worker
that dies takes its running and queued tasks with it and the scheduler gives them to another worker (up to
``distributed.scheduler.allowed-failures`` deaths per task); a task that raises is retried ``retries`` times.
Either way a partition's result does not depend on where or how often it ran, so the report is unchanged.
"""
from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .checkpoint import Checkpoint
from .partition import ChainFormat, Partition, PartitionResult

# Progress callback: (bytes of blocks done, total bytes, blocks done, transactions done).
Progress = Callable[[int, int, int, int], None]

RETRIES = 2
WAIT_FOR_WORKERS_S = 30


@contextlib.contextmanager
def cluster(client: Any, workers: int | None) -> Iterator[Any]:
    """``client`` itself, or a client of an embedded LocalCluster of ``workers`` single-threaded processes
    (default: one per core), closed again on the way out."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    n = workers or os.cpu_count() or 1
    # Random ports for the scheduler and its HTTP server (which runs even without the dashboard): several
    # audits may share one machine.
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                      scheduler_port=0, host="127.0.0.1", silence_logs=logging.ERROR) as lc, \
            Client(lc) as c:
        yield c


def worker_count(client: Any) -> int:
    n = len(client.scheduler_info()["workers"])
    if n == 0:
        client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
        n = len(client.scheduler_info()["workers"])
    return n


def run(client: Any, fmt: ChainFormat, parts: Sequence[Partition], spec: Any, *,
        checkpoint: Checkpoint | None = None, progress: Progress | None = None,
        retries: int = RETRIES) -> tuple[list[PartitionResult], int]:
    """Every partition's result, linked, in chain order, and how many came from the checkpoint."""
    from distributed import as_completed

    results: list[PartitionResult | None] = [None] * len(parts)
    todo = []
    for p in parts:
        r = checkpoint.load(p) if checkpoint is not None else None
        if r is None:
            todo.append(p)
        else:
            results[p.seq] = r
    reused = len(parts) - len(todo)
    total = sum(p.size for p in parts)
    done = [sum(p.size for p in parts if results[p.seq] is not None),
            sum(r.blocks for r in results if r is not None), sum(r.transactions for r in results if r is not None)]
    if progress is not None:
        progress(done[0], total, done[1], done[2])

    token = uuid.uuid4().hex[:12]
    futures = [client.submit(fmt.validate, p, spec, key=f"ledgerval-audit-{fmt.name}-{token}-{p.seq}",
                             retries=retries) for p in todo]
    part_of = {f.key: p for f, p in zip(futures, todo)}
    try:
        for fut in as_completed(futures):
            p = part_of[fut.key]
            r = fut.result()
            results[p.seq] = r
            if checkpoint is not None:
                checkpoint.save(p, r)
            done[0] += p.size
            done[1] += r.blocks
            done[2] += r.transactions
            if progress is not None:
                progress(done[0], total, done[1], done[2])
    except BaseException:
        client.cancel(futures)
        raise
    return link_all(fmt, results), reused


def link_all(fmt: ChainFormat, results: Sequence[PartitionResult]) -> list[PartitionResult]:
    """Each result linked to the one before it (the chain's first block has no parent)."""
    out: list[PartitionResult] = []
    for r in results:
        out.append(fmt.link(out[-1], r) if out else r)
    return out
