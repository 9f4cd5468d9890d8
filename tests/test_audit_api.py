"""The audit's pieces without a cluster: misuse, the .lvc framing index (fuzzed), partitioning, results
through a checkpoint's JSON."""
from __future__ import annotations

import itertools
import struct

import numpy as np
import pytest
from audit_support import spec_of, tampered_chain, write_files
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval import ChainFileError, InvalidArgument, InvalidType
from ledgerval.audit import MAX_PARTITION_BYTES, MIN_PARTITION_BYTES, audit_chain
from ledgerval.audit.lvb1 import LVC, index_lvc
from ledgerval.audit.partition import PartitionResult, cut, default_blocks_per_partition


@pytest.fixture(scope="module")
def tampered():
    return tampered_chain()


@pytest.mark.parametrize("kwargs, exc", [
    ({"paths": b"x.lvc"}, InvalidType),
    ({"paths": [1]}, InvalidType),
    ({"paths": []}, InvalidArgument),
    ({"suite": "rot13"}, InvalidArgument),
    ({"suite": 3}, InvalidType),
    ({"validators": b"\x02" * 33}, InvalidType),
    ({"validators": [b"\x00" * 5]}, InvalidArgument),
    ({"chain_id": -1}, InvalidArgument),
    ({"threshold": "2"}, InvalidType),
    ({"workers": 0}, InvalidArgument),
    ({"workers": 1.5}, InvalidType),
    ({"partition_blocks": 0}, InvalidArgument),
    ({"partition_blocks": True}, InvalidType),
    ({"client": object(), "workers": 2}, InvalidArgument),
])
def test_misuse_raises_before_any_work(kwargs, exc):
    args = {"paths": ["missing.lvc"], "suite": "ed25519-sha256", **kwargs}
    with pytest.raises(exc):
        audit_chain(**args)


def test_index_finds_every_record(tmp_path, tampered):
    _, blocks = tampered
    (path,) = write_files(tmp_path, blocks)
    offs = index_lvc(path)
    lengths = [len(b) for b in blocks]
    assert offs.tolist() == np.concatenate([[0], np.cumsum(np.array(lengths) + 4)]).tolist()
    empty = tmp_path / "empty.lvc"
    empty.write_bytes(b"")
    assert index_lvc(str(empty)).tolist() == [0]


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=64))
def test_index_fuzz_never_crashes(tmp_path_factory, data):
    """Any bytes: either records that tile the file exactly, or ChainFileError."""
    p = tmp_path_factory.mktemp("fuzz") / "f.lvc"
    p.write_bytes(data)
    try:
        offs = index_lvc(str(p))
    except ChainFileError:
        return
    assert offs[0] == 0 and offs[-1] == len(data)
    for a, b in itertools.pairwise(offs):
        assert struct.unpack_from("<I", data, a)[0] == b - a - 4


def test_cut_never_spans_files_and_tiles_the_chain(tmp_path, tampered):
    _, blocks = tampered
    paths = write_files(tmp_path, blocks, (3, 10))
    offsets = [index_lvc(p) for p in paths]
    for k in (1, 2, 4, 50):
        parts = cut(paths, offsets, k)
        assert [p.seq for p in parts] == list(range(len(parts)))
        assert sum(p.blocks for p in parts) == len(blocks)
        assert [p.first_block for p in parts] == list(np.cumsum([0] + [p.blocks for p in parts])[:-1])
        for p in parts:
            offs = offsets[paths.index(p.path)]
            assert p.start in offs and p.end in offs and 1 <= p.blocks <= k
    with pytest.raises(InvalidArgument):
        cut(paths, offsets, 0)


@pytest.mark.parametrize("blocks, block_bytes, workers, expect_parts", [
    (50, 350_000, 2, 2),         # 17.5 MB: one partition a worker keeps each over 8 MiB
    (50, 350_000, 1, 2),         # two for one worker
    (500, 350_000, 2, 8),        # 175 MB: the full four a worker
    (10, 1000, 4, 4),            # tiny chain: one partition a worker, whatever their size
    (3, 1000, 8, 3),             # fewer blocks than workers
    (100_000, 2_000_000, 4, 188),  # 200 GB: none over 1 GiB, 47 for each worker
    (0, 0, 2, 0),
])
def test_default_partitioning(blocks, block_bytes, workers, expect_parts):
    offsets = [np.arange(blocks + 1, dtype=np.int64) * block_bytes]
    k = default_blocks_per_partition(offsets, workers, min_bytes=MIN_PARTITION_BYTES,
                                     max_bytes=MAX_PARTITION_BYTES)
    parts = cut(["f"], offsets, k)
    assert len(parts) == expect_parts
    if parts:
        assert len(parts) % workers == 0 or len(parts) == blocks
        assert max(p.size for p in parts) <= MAX_PARTITION_BYTES


def test_results_round_trip_through_json(tmp_path, tampered):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks)
    for p in cut(paths, [LVC.index(x) for x in paths], 3):
        r = LVC.validate(p, spec_of(chain))
        assert PartitionResult.from_json(r.to_json()) == r
