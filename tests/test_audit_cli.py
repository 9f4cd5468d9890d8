"""``ledgerval audit``: exit codes, --json, --checkpoint, a missing dask, and an external ``dask scheduler``
with two ``dask worker`` processes on 127.0.0.1 (bounded waits, always stopped)."""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time

import pytest
from audit_support import serial_errors, shared_client, spec_of, tampered_chain, write_files

from ledgerval.cli import main
from ledgerval.gen import generate_chain

pytest.importorskip("distributed", reason="the audit needs dask.distributed (pip install 'ledgerval[dist]')")


def _keyfile(tmp_path, chain) -> str:
    p = tmp_path / "validators.json"
    p.write_text(json.dumps({"validators": [k.hex() for k in chain.validators], "chain_id": chain.chain_id,
                             "threshold": chain.threshold}))
    return str(p)


@pytest.fixture(scope="module")
def tampered():
    return tampered_chain()


@pytest.fixture
def address(request):
    """A running LocalCluster's scheduler, for --scheduler (each embedded cluster the CLI starts costs seconds)."""
    return shared_client(request).scheduler.address


def test_invalid_chain_json_exit_1(tmp_path, tampered, capsys, address):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks, (5,))
    rc = main(["audit", *paths, "--suite", chain.suite, "--validators-file", _keyfile(tmp_path, chain),
               "--scheduler", address, "--partition-blocks", "3", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert {"blocks", "transactions", "errors", "workers", "seconds"} <= set(doc)
    assert doc["blocks"] == len(blocks) and doc["workers"] == 2
    expected = serial_errors(spec_of(chain), blocks)
    assert [(e["height"], e["code"], e["index"]) for e in doc["errors"]] == \
        [(e.height, e.code, e.index) for e in expected]


def test_valid_chain_exit_0_and_checkpoint(tmp_path, capsys, address):
    chain = generate_chain("sm2-sm3", blocks=4, txs=5, validators=3, seed=2)
    paths = write_files(tmp_path, chain.blocks)
    args = ["audit", *paths, "--suite", "sm2-sm3", "--validators-file", _keyfile(tmp_path, chain),
            "--partition-blocks", "2", "--checkpoint", str(tmp_path / "ck")]
    assert main(args + ["--workers", "1"]) == 0  # the embedded cluster, started and closed by the command
    out = capsys.readouterr().out
    assert "4 blocks, 20 transactions" in out and "on 1 workers" in out and "all blocks valid" in out
    assert main(args + ["--json", "--scheduler", address]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["partitions_reused"] == doc["partitions"] == 2 and doc["errors"] == []


def test_unusable_input_exit_2_with_one_line(tmp_path, tampered, capsys):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks)
    keys = _keyfile(tmp_path, chain)
    truncated, empty, foreign = tmp_path / "t.lvc", tmp_path / "e.lvc", tmp_path / "f.lvc"
    with open(paths[0], "rb") as f:
        truncated.write_bytes(f.read()[:-3])
    empty.write_bytes(b"")
    foreign.write_bytes(b"\x08\x00\x00\x00GIF89a..")
    cases = [([paths[0], str(tmp_path / "nope.lvc")], "nope.lvc: no such file"),
             ([str(tmp_path)], "is a directory"),
             ([paths[0], str(empty)], "e.lvc: empty file"),
             ([str(foreign)], "f.lvc: record 0 does not start with LVB1"),
             ([str(truncated)], f"t.lvc: record 13: {len(blocks[13])} bytes announced, {len(blocks[13]) - 3} present"),
             ]
    for files, why in cases:
        assert main(["audit", *files, "--suite", chain.suite, "--validators-file", keys, "--workers", "1"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("ledgerval audit: ") and why in err and err.count("\n") == 1, (why, err)
    assert main(["audit", paths[0], "--suite", chain.suite, "--validators-file", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err == f"ledgerval audit: {tmp_path / 'x'}: no such file\n"
    bad_ck = tmp_path / "file"
    bad_ck.write_text("")
    assert main(["audit", paths[0], "--suite", chain.suite, "--checkpoint", str(bad_ck / "ck"),
                 "--partition-blocks", "100", "--workers", "1"]) == 2
    assert "ledgerval audit: " in capsys.readouterr().err


def test_without_keys_the_commit_is_a_skipped_check(tmp_path, capsys, address):
    chain = generate_chain("ed25519-sha256", blocks=3, txs=4, validators=2, seed=5)
    paths = write_files(tmp_path, chain.blocks)
    args = ["audit", *paths, "--suite", chain.suite, "--scheduler", address]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "not checked: commit signatures of 3 blocks (no --validators-file)" in out
    assert main(args + ["--strict", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit"] == 1 and doc["skipped"][0]["check"] == "commit_signatures" and doc["errors"] == []


def test_max_errors_cuts_the_summary_not_the_json(tmp_path, tampered, capsys, address):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks)
    args = ["audit", *paths, "--suite", chain.suite, "--validators-file", _keyfile(tmp_path, chain),
            "--scheduler", address]
    assert main(args + ["--max-errors", "3"]) == 1
    out = capsys.readouterr().out
    total = len(serial_errors(spec_of(chain), blocks))
    assert f"… and {total - 3} more (--json lists all)" in out and "start-up" in out


def test_missing_dask_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    assert main(["audit", str(tmp_path / "c.lvc"), "--suite", "sm2-sm3"]) == 2
    assert "pip install 'ledgerval[dist]'" in capsys.readouterr().err


def test_unreachable_scheduler_exit_2(tmp_path, capsys, monkeypatch):
    from ledgerval.audit import cli

    monkeypatch.setattr(cli, "CONNECT_TIMEOUT", "2s")
    chain = generate_chain("sm2-sm3", blocks=1, txs=1, seed=2)
    paths = write_files(tmp_path, chain.blocks)
    assert main(["audit", *paths, "--suite", "sm2-sm3", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the scheduler" in capsys.readouterr().err


@contextlib.contextmanager
def _external_cluster(tmp_path, workers: int = 2, wait_s: float = 60):
    """``dask scheduler`` and ``workers`` single-threaded ``dask worker`` processes on 127.0.0.1."""
    sched_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    procs = []
    with open(tmp_path / "dask.log", "w") as logs:
        try:
            procs.append(subprocess.Popen(dask + ["scheduler", "--host", "127.0.0.1", "--port", "0",
                                                  "--dashboard-address", "127.0.0.1:0", "--scheduler-file",
                                                  str(sched_file)], stdout=logs, stderr=logs))
            deadline = time.monotonic() + wait_s
            while not sched_file.exists() or not sched_file.read_text().strip():
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.1)
            for _ in range(workers):
                procs.append(subprocess.Popen(dask + ["worker", "--scheduler-file", str(sched_file), "--nthreads", "1",
                                                      "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60"],
                                              stdout=logs, stderr=logs))
            from distributed import Client

            with Client(scheduler_file=str(sched_file), timeout="30s") as c:
                c.wait_for_workers(workers, timeout=wait_s)
            yield json.loads(sched_file.read_text())["address"]
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in reversed(procs):
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=15)


def test_external_scheduler_with_two_workers(tmp_path, tampered, capsys):
    chain, blocks = tampered
    paths = write_files(tmp_path, blocks, (6,))
    with _external_cluster(tmp_path) as address:
        assert address.startswith("tcp://127.0.0.1:")
        rc = main(["audit", *paths, "--suite", chain.suite, "--validators-file", _keyfile(tmp_path, chain),
                   "--scheduler", address, "--partition-blocks", "2", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1 and doc["workers"] == 2 and doc["partitions"] == 7
    expected = serial_errors(spec_of(chain), blocks)
    assert [(e["block"], e["code"], e["index"]) for e in doc["errors"]] == \
        [(e.block, e.code, e.index) for e in expected]
