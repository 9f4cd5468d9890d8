"""Faults: a worker killed mid-run, files that cannot be read or change under the audit, and checkpoints
that let an interrupted audit redo only what had not finished."""
from __future__ import annotations

import os
import signal

import pytest
from audit_support import serial_errors, shared_client, spec_of, tampered_chain, write_files

from ledgerval import ChainFileError
from ledgerval.audit import audit_chain
from ledgerval.audit.lvb1 import LVC
from ledgerval.audit.partition import cut
from ledgerval.gen import generate_chain

pytest.importorskip("distributed", reason="the audit needs dask.distributed (pip install 'ledgerval[dist]')")


@pytest.fixture(scope="module")
def tampered():
    return tampered_chain()


@pytest.fixture
def client(request):
    return shared_client(request)


def _audit(chain, paths, client, **kw):
    return audit_chain(paths, chain.suite, validators=chain.validators, chain_id=chain.chain_id, client=client,
                       **kw)


class _Stop(Exception):
    pass


def test_a_killed_worker_changes_nothing(tmp_path, client):
    chain = generate_chain("ed25519-sha256", blocks=12, txs=150, validators=3, bad_rate=0.004, seed=9)
    paths = write_files(tmp_path, chain.blocks)
    killed = []
    pids = client.run(os.getpid)

    def kill_a_busy_worker(done, total, blocks, txs):
        if blocks and not killed:
            busy = [w for w, keys in client.processing().items() if keys and w in pids]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
    report = _audit(chain, paths, client, partition_blocks=1, progress=kill_a_busy_worker)
    assert killed, "no worker was busy when the first partition finished"
    client.wait_for_workers(2, timeout=60)  # the nanny starts a new one (later tests share this cluster)
    assert set(client.run(os.getpid).values()) != set(pids.values())
    assert report.errors == serial_errors(spec_of(chain), chain.blocks)
    assert report.blocks == 12 and report.transactions == 12 * 150 and report.partitions == 12
    assert {e.code for e in report.errors} == {"bad_signature"}


def test_checkpoint_after_an_interruption_redoes_only_the_rest(tmp_path, tampered, client):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks, (6,))
    ck = tmp_path / "ck"
    finished = []

    def interrupt_after_three(done, total, nblocks, txs):
        if nblocks:
            finished.append(nblocks)
        if len(finished) == 3:
            raise _Stop

    with pytest.raises(_Stop):
        _audit(chain, paths, client, partition_blocks=2, checkpoint=ck, progress=interrupt_after_three)
    assert len(os.listdir(ck)) == 3
    again = _audit(chain, paths, client, partition_blocks=2, checkpoint=ck)
    assert again.partitions == 7 and again.partitions_reused == 3
    assert again.errors == serial_errors(spec_of(chain), blocks)
    third = _audit(chain, paths, client, partition_blocks=2, checkpoint=ck)
    assert third.partitions_reused == 7 and third.errors == again.errors
    assert third.transactions == again.transactions and third.blocks == again.blocks


def test_checkpoint_misses_when_anything_it_depends_on_changes(tmp_path, tampered, client):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks)
    ck = tmp_path / "ck"
    assert _audit(chain, paths, client, partition_blocks=5, checkpoint=ck).partitions_reused == 0
    assert _audit(chain, paths, client, partition_blocks=5, checkpoint=ck).partitions_reused == 3
    assert _audit(chain, paths, client, partition_blocks=4, checkpoint=ck).partitions_reused == 0
    other = audit_chain(paths, chain.suite, validators=chain.validators[:2], client=client, partition_blocks=5,
                        checkpoint=ck)
    assert other.partitions_reused == 0
    # a damaged checkpoint file is redone, not trusted
    for name in os.listdir(ck):
        (ck / name).write_text("{not json")
    redo = _audit(chain, paths, client, partition_blocks=5, checkpoint=ck)
    assert redo.partitions_reused == 0 and redo.errors == serial_errors(spec_of(chain), blocks)
    # a rewritten file (other size or time) is another file
    os.utime(paths[0], ns=(1, 1))
    assert _audit(chain, paths, client, partition_blocks=5, checkpoint=ck).partitions_reused == 0


def test_unreadable_files_raise(tmp_path, tampered, client):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks)
    with pytest.raises(FileNotFoundError):
        _audit(chain, [paths[0], str(tmp_path / "missing.lvc")], client)
    with pytest.raises(IsADirectoryError):
        _audit(chain, [str(tmp_path)], client)
    with open(paths[0], "rb") as f:
        raw = f.read()
    for cut_at, why in ((len(raw) - 2, "bytes announced"), (len(raw) - len(blocks[-1]) - 2, "length prefix")):
        bad = tmp_path / f"cut{cut_at}.lvc"
        bad.write_bytes(raw[:cut_at])
        with pytest.raises(ChainFileError, match=why):
            _audit(chain, [str(bad)], client)


def test_a_file_changed_after_indexing_is_an_error(tmp_path, tampered):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks)
    parts = cut(paths, [LVC.index(p) for p in paths], 4)
    with open(paths[0], "r+b") as f:
        f.truncate(parts[-1].start + 10)
    with pytest.raises(ChainFileError):
        LVC.validate(parts[-1], spec_of(chain))
    with open(paths[0], "r+b") as f:
        f.truncate(parts[1].start)
        f.write(b"\x10\x00\x00\x00" + b"\x00" * 16 + b"\x01\x00\x00\x00" + b"\x00")
    with pytest.raises(ChainFileError, match="changed"):
        LVC.validate(parts[1], spec_of(chain))
