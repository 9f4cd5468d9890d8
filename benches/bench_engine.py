"""End-to-end benchmarks: generated blocks of each suite validated by ``Validator`` (the ``e2e/*`` rows of
``ledgerval bench``, on the same workload builders).

Under the normal test command (``--benchmark-disable``) each runs once as a sanity test; for numbers run
``pytest benches/bench_engine.py --benchmark-enable``.  ``extra_info`` carries tx/s and the stage breakdown.
"""
from __future__ import annotations

import pytest

import ledgerval
from ledgerval.bench.workloads import chain_workload

TXS = 256


@pytest.mark.parametrize("suite", ledgerval.SUITES)
def test_validate_block(benchmark, suite):
    chain = chain_workload(suite, 1, TXS)
    v = ledgerval.Validator(suite, chain_id=chain.chain_id, validators=chain.validators, threshold=chain.threshold)
    block = chain.blocks[0]
    v.validate_block(block)  # compile JIT kernels and fill key caches before timing
    benchmark.group = "e2e validate_block"
    report = benchmark(v.validate_block, block)
    assert report.ok, report.codes()
    benchmark.extra_info["txs"] = TXS
    benchmark.extra_info["stages_s"] = dict(report.timings)


@pytest.mark.parametrize("threads", [1, 2])
def test_validate_block_threads(benchmark, threads):
    suite = "secp256k1-sha256"
    chain = chain_workload(suite, 1, TXS)
    v = ledgerval.Validator(suite, chain_id=chain.chain_id, validators=chain.validators,
                            threshold=chain.threshold, threads=threads)
    block = chain.blocks[0]
    v.validate_block(block)
    benchmark.group = "e2e thread sweep"
    assert benchmark(v.validate_block, block).ok
