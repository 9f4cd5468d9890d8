"""The audit's errors equal serial ``Validator.validate_chain`` over the same blocks, in order: at every
partition size (so every tampered block sits on a partition boundary for some size), over several files, in
process (the format's validate + the driver's links, no cluster) and on a LocalCluster."""
from __future__ import annotations

import pytest
from audit_support import (
    serial,
    serial_errors,
    serial_errors_of_files,
    shared_client,
    spec_of,
    tampered_chain,
    write_files,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerval.audit import audit_chain, driver
from ledgerval.audit.lvb1 import LVC
from ledgerval.audit.partition import cut

pytest.importorskip("distributed", reason="the audit needs dask.distributed (pip install 'ledgerval[dist]')")


@pytest.fixture(scope="module")
def tampered():
    return tampered_chain()


def in_process(paths, spec, k):
    """The audit without a cluster: the same partitions, validate and link functions."""
    parts = cut(paths, [LVC.index(p) for p in paths], k)
    results = driver.link_all(LVC, [LVC.validate(p, spec) for p in parts])
    return [e for r in results for e in r.errors], results


def test_the_tampering_exercises_every_link_rule(tampered):
    chain, blocks = tampered
    codes = {(e.block, e.code) for e in serial_errors(spec_of(chain), blocks)}
    for expected in [(1, "wrong_chain"), (1, "bad_prev_hash"), (2, "bad_prev_hash"), (3, "bad_timestamp"),
                     (5, "bad_height"), (6, "bad_height"), (7, "malformed"), (9, "malformed"),
                     (11, "wrong_suite"), (12, "bad_prev_hash"), (1, "bad_commit_signature"), (1, "insufficient_quorum")]:
        assert expected in codes, expected
    assert any(code == "bad_signature" for _, code in codes)
    # 8 follows a block without a header (no parent); 10 follows a truncated block whose header is a parent
    assert not any(b in (8, 10) and c in ("bad_height", "bad_prev_hash") for b, c in codes)


@pytest.mark.parametrize("k", range(1, 16))
def test_every_partition_size_equals_serial(tmp_path, tampered, k):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks)
    got, results = in_process(paths, spec_of(chain), k)
    assert got == serial_errors(spec_of(chain), blocks)
    assert sum(r.blocks for r in results) == len(blocks)


@pytest.mark.parametrize("cuts", [(1,), (2, 7), (5, 6, 10), tuple(range(1, 14))])
def test_several_files_are_one_chain(tmp_path, tampered, cuts):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks, cuts)
    expected = serial_errors(spec_of(chain), blocks)
    assert serial_errors_of_files(spec_of(chain), paths) == expected
    for k in (1, 3, 100):
        assert in_process(paths, spec_of(chain), k)[0] == expected, k


def test_link_errors_go_after_wrong_chain(tmp_path, tampered):
    chain, blocks = tampered
    got, _ = in_process(write_files(tmp_path, blocks), spec_of(chain), 1)
    first = [e.code for e in got if e.block == 1][:2]
    assert first == ["wrong_chain", "bad_prev_hash"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 13), st.integers(0, 400), st.integers(0, 7)), max_size=6),
       k=st.integers(1, 6))
def test_random_tampering_equals_serial(tmp_path_factory, tampered, flips, k):
    """Bit flips anywhere in the blocks (framing kept) never make the audit differ from serial."""
    chain, blocks = tampered
    blocks = list(blocks)
    for b, at, bit in flips:
        if at < len(blocks[b]):
            raw = bytearray(blocks[b])
            raw[at] ^= 1 << bit
            blocks[b] = bytes(raw)
    paths = write_files(tmp_path_factory.mktemp("flip"), blocks, (4,))
    print("flips", flips, "k", k)
    assert in_process(paths, spec_of(chain), k)[0] == serial_errors(spec_of(chain), blocks)


@pytest.fixture
def client(request):
    return shared_client(request)


@pytest.mark.parametrize("k", [1, 4, None])
def test_on_a_local_cluster_equals_serial(tmp_path, tampered, client, k):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks, (6,))
    report = audit_chain(paths, chain.suite, validators=chain.validators, chain_id=chain.chain_id,
                         client=client, partition_blocks=k)
    errors, txs = serial(spec_of(chain), blocks)
    assert report.errors == errors
    assert not report.ok and report.workers == 2 and report.blocks == len(blocks) and report.transactions == txs
    # by default: one partition a worker (the chain is small), cut again at the file boundary
    assert report.partitions == len(report.results) == (-(-6 // k) + -(-8 // k) if k else 3)


def test_a_valid_chain_is_ok(tmp_path, client):
    from ledgerval.gen import generate_chain

    chain = generate_chain("secp256k1-sha256", blocks=5, txs=7, validators=4, seed=1)
    paths = write_files(tmp_path, chain.blocks, (2,))
    report = audit_chain(paths, chain.suite, validators=chain.validators, client=client, partition_blocks=2)
    assert report.ok and report.errors == [] and report.blocks == 5 and report.transactions == 35
    assert report.partitions == 3 and report.partitions_reused == 0 and report.seconds > 0
