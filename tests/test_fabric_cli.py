"""``ledgerval fabric-validate``: exit 0 all valid, 1 some invalid, 2 unreadable or the extra missing."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ledgerval.cli import main

pytest.importorskip("google.protobuf", reason="the fabric extra (protobuf) is not installed")
pytest.importorskip("cryptography", reason="the fabric extra (cryptography) is not installed")

from ledgerval.fabric import blockfile, build


@pytest.fixture(scope="module")
def ledger():
    net = build.Network("ecdsa-p256")
    good = build.build_ledger(net, 3, 2)
    bad = build.build_ledger(net, 3, 2, corrupt={("creator", 2, 1): lambda s: s[:-1] + bytes([s[-1] ^ 1])})
    return good, bad


def test_valid_ledger_exits_0(ledger, tmp_path, capsys):
    p = tmp_path / "blockfile_000000"
    p.write_bytes(build.ledger_bytes(ledger[0]))
    assert main(["fabric-validate", str(p)]) == 0
    out = capsys.readouterr().out
    assert "3 blocks (3 valid)" in out and "signatures checked 15, failed 0" in out


def test_invalid_ledger_exits_1_with_summary(ledger, tmp_path, capsys):
    p = tmp_path / "blockfile_000000"
    p.write_bytes(build.ledger_bytes(ledger[1]))
    assert main(["fabric-validate", str(p)]) == 1
    out = capsys.readouterr().out
    assert "block 2: bad_creator_signature [tx 1]: " in out and "bad_creator_signature: 1" in out
    assert "3 blocks (2 valid)" in out


def test_json(ledger, tmp_path, capsys):
    p = tmp_path / "blockfile_000000"
    p.write_bytes(build.ledger_bytes(ledger[1]))
    assert main(["fabric-validate", str(p), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["errors_by_code"] == {"bad_creator_signature": 1}
    assert doc["blocks"][2]["errors"][0]["tx_index"] == 1 and doc["summary"]["blocks"] == 3


def test_block_protobufs(ledger, tmp_path, capsys):
    paths = []
    for b in ledger[0]:
        p = tmp_path / f"block{b.number}.pb"
        p.write_bytes(blockfile.block_to_pb(b))
        paths.append(str(p))
    # each block after the first is linked to the one before it; identities of later blocks are skipped
    assert main(["fabric-validate", *paths]) == 0
    out = capsys.readouterr().out
    assert "not checked: identity checks of" in out and "as far as checked" in out
    assert main(["fabric-validate", "--strict", *paths]) == 1   # a skipped check fails under --strict
    capsys.readouterr()
    assert main(["fabric-validate", paths[0], paths[2]]) == 1
    assert "bad_prev_hash" in capsys.readouterr().out


def test_unreadable_exits_2(ledger, tmp_path, capsys):
    p = tmp_path / "blockfile_000000"
    p.write_bytes(build.ledger_bytes(ledger[0])[:-10])
    assert main(["fabric-validate", str(p)]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err.startswith(f"ledgerval fabric-validate: {p}: not a readable Fabric block file")
    assert cap.err.count("\n") == 1
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    for path, reason in ((tmp_path / "absent", "no such file"), (empty, "empty file"),
                         (tmp_path, "is a directory")):
        assert main(["fabric-validate", str(path)]) == 2
        cap = capsys.readouterr()
        assert cap.err == f"ledgerval fabric-validate: {path}: {reason}" + cap.err.split(reason, 1)[1]
        assert cap.err.count("\n") == 1 and cap.out == ""


def test_missing_extra_names_it(tmp_path):
    code = ("import sys; sys.modules['google.protobuf'] = None; sys.modules['google'] = None\n"
            "from ledgerval.cli import main; sys.exit(main(['fabric-validate', 'x']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 2
    assert "pip install 'ledgerval[fabric]'" in r.stderr
