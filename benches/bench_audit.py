"""Chain audit on Dask: ``audit_chain`` on an embedded cluster of 2 workers against 1 worker, and serial
``Validator.validate_chain`` on one thread, over one generated chain file (secp256k1-sha256, 2,000
transactions a block, 4 validators), the clusters started before timing and the cases interleaved.

Under the normal test command (``--benchmark-disable``) it runs once as a tiny sanity test (one worker, a
chain of 64 transactions); ``pytest benches/bench_audit.py --benchmark-enable`` measures 100,000 transactions
and gates on issue 16's floor (2 workers >= 1.6x one, by medians, on two or more cores: by the wall clock
when the load average is under the core count, else by the busiest worker's CPU time, see
``_busiest_worker_cpu``).  CLI: ``python
benches/bench_audit.py [--n TXS] [--reps R] [--quick] [--json F]``; besides the table it prints the figures of
docs/SCALING.md's model: throughput per core, bytes per block and per transaction, the cost of indexing the
framing, and the overhead per partition (measured on 1-transaction partitions against serial validation).
"""
from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time

import pytest
from benchcli import interleaved

from ledgerval import Validator
from ledgerval.chainfile import read_chain, write_chain

pytest.importorskip("distributed", reason="the audit needs dask.distributed (pip install 'ledgerval[dist]')")

from ledgerval.audit import MIN_PARTITION_BYTES, audit_chain, driver
from ledgerval.audit.lvb1 import index_lvc
from ledgerval.gen import generate_chain

SUITE = "secp256k1-sha256"
TXS_PER_BLOCK = 2000
CASES = ["serial_1t", "audit_1w", "audit_2w"]
OVERHEAD_BLOCKS = 200  # 1-transaction blocks, one partition each, for the per-partition overhead


def write_workload(directory: str, n: int, txs_per_block: int = TXS_PER_BLOCK, name: str = "chain.lvc"):
    """A valid chain of about ``n`` transactions in ``directory``; returns (path, chain)."""
    per = max(1, min(txs_per_block, n))
    chain = generate_chain(SUITE, blocks=-(-n // per), txs=per, validators=4, seed=16)
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        write_chain(f, chain.blocks)
    return path, chain


def _serial(path: str, chain):
    v = Validator(SUITE, validators=chain.validators, threads=1)

    def run():
        with open(path, "rb") as f:
            return sum(r.tx_count for r in v.validate_chain(read_chain(f)) if r.ok)
    return run


def _audit(path: str, chain, client, partition_blocks=None):
    def run():
        return audit_chain([path], SUITE, validators=chain.validators, client=client,
                           partition_blocks=partition_blocks)
    return run


def measure(n: int, reps: int, worker_counts=(1, 2), model: bool = True) -> dict:
    with tempfile.TemporaryDirectory(prefix="lv-bench-audit-") as d:
        path, chain = write_workload(d, n)
        txs = chain.tx_count
        with _clusters(worker_counts) as clients:
            cases = {"serial_1t": _serial(path, chain)}
            cases.update({f"audit_{w}w": _audit(path, chain, c) for w, c in clients.items()})
            # interleaved: other load hits every case alike; its untimed first run loads the kernels in
            # every worker process
            rows = interleaved(cases, txs, reps)
            med = {k: v["median_us"] for k, v in rows.items()}
            ratios = {k: med["serial_1t"] / v for k, v in med.items()}
            if {"audit_1w", "audit_2w"} <= set(med):
                ratios["workers_2_vs_1"] = med["audit_1w"] / med["audit_2w"]
                ratios["workers_2_vs_1_best"] = rows["audit_1w"]["min_us"] / rows["audit_2w"]["min_us"]
                busiest = {w: _busiest_worker_cpu(_audit(path, chain, clients[w]), clients[w], reps)
                           for w in (1, 2)}
                ratios["workers_2_vs_1_cpu"] = busiest[1] / busiest[2]
            out = {"per_sig": rows, "ratio_by_medians": ratios, "transactions": txs, "blocks": len(chain.blocks),
                   "reps": reps}
            if model:
                out["model"] = _model(d, path, chain, clients[min(clients)], med["serial_1t"] * txs / 1e6, reps)
    return out


def _busiest_worker_cpu(run, client, reps: int) -> float:
    """Median over runs of the busiest worker's CPU seconds: the run's length on dedicated cores.

    On this shared VM the kernel's autogroup scheduling gives each login session one fair share of the
    cores, so when other sessions are busy a second worker process adds no CPU to the audit and the wall
    clock cannot show the speed-up; the busiest worker's CPU time can.
    """
    out = []
    for _ in range(reps):
        before = client.run(time.process_time)
        run()
        after = client.run(time.process_time)
        out.append(max(after[w] - before[w] for w in after))
    return statistics.median(out)


def _model(d: str, path: str, chain, client, serial_s: float, reps: int) -> dict:
    """The figures docs/SCALING.md builds its model on."""
    size = os.path.getsize(path)
    t = time.perf_counter()
    index_lvc(path)
    index_s = time.perf_counter() - t
    small_path, small = write_workload(d, OVERHEAD_BLOCKS, txs_per_block=1, name="small.lvc")
    # per block here = per partition: microseconds of each case per 1-transaction block
    rows = interleaved({"serial": _serial(small_path, small), "audit": _audit(small_path, small, client, 1)},
                       OVERHEAD_BLOCKS, reps)
    rate, per_tx = chain.tx_count / serial_s, size / chain.tx_count
    overhead_s = (rows["audit"]["median_us"] - rows["serial"]["median_us"]) / 1e6
    # the overhead's share of a partition's time, both measured in this run (load slows both alike)
    return {"tx_per_s_per_core": rate, "bytes_per_block": size / len(chain.blocks), "bytes_per_tx": per_tx,
            "index_us_per_block": index_s / len(chain.blocks) * 1e6,
            "overhead_ms_per_partition": overhead_s * 1e3,
            "overhead_ms_per_partition_best": (rows["audit"]["min_us"] - rows["serial"]["min_us"]) / 1e3,
            "overhead_share_at_min_partition": overhead_s * rate * per_tx / MIN_PARTITION_BYTES,
            "partition_mib_for_2pct": 50 * overhead_s * rate * per_tx / 2**20}


@contextlib.contextmanager
def _clusters(counts):
    """Embedded clusters of each worker count, all started before any timing."""
    with contextlib.ExitStack() as stack:
        clients = {w: stack.enter_context(driver.cluster(None, w)) for w in counts}
        for w, c in clients.items():
            c.wait_for_workers(w, timeout=120)
        yield clients


def test_audit_scaling(benchmark):
    """For real: 100k transactions, 2 workers >= 1.6x one by medians (issue 16); sanity: 64 transactions."""
    enabled = not getattr(benchmark, "disabled", False)
    busy = os.getloadavg()[0] > (os.cpu_count() or 1)
    if enabled:
        r = benchmark.pedantic(measure, args=(100_000, 5), rounds=1, iterations=1)
    else:
        r = benchmark.pedantic(measure, args=(64, 1), kwargs={"worker_counts": (1,), "model": False}, rounds=1,
                               iterations=1)
    print(r["ratio_by_medians"])
    assert r["transactions"] >= (100_000 if enabled else 64)
    if enabled and (os.cpu_count() or 1) >= 2:
        # the wall clock when the machine is ours; with other sessions busy the kernel gives this session one
        # share of the cores however many workers it runs, and only CPU time shows the speed-up
        key = "workers_2_vs_1_cpu" if busy else "workers_2_vs_1"
        print(f"gate on {key} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        assert r["ratio_by_medians"][key] >= 1.6, r["ratio_by_medians"]


def main(argv: list[str]) -> int:
    from benchcli import run

    result = {}

    def measure_and_keep(n, reps):
        result.update(measure(n, reps))
        return result

    rc = run(argv, doc=__doc__, cases=CASES, measure=measure_and_keep, peer="distributed",
             ratio_key="ratio_by_medians", ratio_label="x serial", default_n=100_000,
             workload=f"{SUITE}, {TXS_PER_BLOCK} tx/block, 4 validators, one .lvc file, medians",
             summaries=[("2 workers vs 1 (medians)", "workers_2_vs_1"),
                        ("2 workers vs 1 (busiest worker's CPU time, medians)", "workers_2_vs_1_cpu")])
    if "model" in result:
        print(f"2 workers vs 1 (best runs): {result['ratio_by_medians']['workers_2_vs_1_best']:.2f}x")
        for k, v in result["model"].items():
            print(f"{k}: {v}")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
