"""``ledgerval bitcoin-validate``: output, JSON, exit codes (0 valid, 1 framed and invalid, 2 unusable input:
bytes that do not deserialize as a block), skipped checks and --strict."""
from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from ledgerval.cli import main
from conftest import vector_file



def _need(name):
    p = vector_file("bitcoin", name)
    return p


def test_valid_block_with_prevouts_json(capsys):
    rc = main(["bitcoin-validate", str(_need("block277647.raw")), "--prevouts",
               str(_need("block277647_prevouts.jsonl")), "--json", "--threads", "2"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert doc["ok"] and doc["fully_checked"] and doc["inputs_checked"] == 732 and doc["sigs_failed"] == 0
    assert doc["errors"] == [] and doc["prevouts_used"]


def test_summary_says_implied_scripts_without_prevouts(capsys):
    rc = main(["bitcoin-validate", str(_need("block277647.raw"))])
    out = capsys.readouterr().out
    assert rc == 0 and "VALID" in out and "implies" in out


def test_invalid_block_exit_1_and_hex_input(tmp_path, capsys):
    raw = bytearray(_need("block277647.raw").read_bytes())
    raw[-5] ^= 1
    path = tmp_path / "bad.hex"
    path.write_text(bytes(raw).hex() + "\n")
    rc = main(["bitcoin-validate", str(path)])
    out = capsys.readouterr().out
    assert rc == 1 and "INVALID" in out and "bad_merkle_root" in out


def _one_line(capsys, path) -> str:
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in cap.err + cap.out, cap.err
    prefix = f"ledgerval bitcoin-validate: {path}: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix):]


def _built() -> bytes:
    """A one-transaction block as built for tests: well framed, but its header cannot meet mainnet's
    proof-of-work limit, so the CLI judges it invalid (exit 1), never unusable."""
    from ledgerval.bitcoin.build import block, coinbase

    return block([coinbase()])


@pytest.mark.parametrize("kind,reason", [
    ("empty", "empty file"), ("random", "not a Bitcoin block: "), ("short", "not a Bitcoin block: truncated block header"),
    ("truncated", "not a Bitcoin block: transaction 0: truncated"), ("trailing", "trailing bytes after the last"),
    ("odd_hex", "hex text that does not decode"), ("blank_text", "not a Bitcoin block: truncated block header"), ("directory", "is a directory"), ("missing", "no such file")])
def test_unusable_block_exit_2(tmp_path, capsys, kind, reason):
    good = _built()
    path = tmp_path / f"{kind}.raw"
    data = {"empty": b"", "random": random.Random(5).randbytes(1 << 20), "short": b"\x01\x00" * 30,
            "truncated": good[:-3], "trailing": good + b"\x00", "odd_hex": good.hex()[:-1].encode(),
            "blank_text": b" \n\n"}.get(kind)
    if data is not None:
        path.write_bytes(data)
    elif kind == "directory":
        path.mkdir()
    assert main(["bitcoin-validate", str(path)]) == 2
    assert reason in _one_line(capsys, path)
    path_ok = tmp_path / "ok.raw"
    path_ok.write_bytes(good)
    assert main(["bitcoin-validate", str(path_ok)]) == 1  # the untouched block is judged, not unusable


def test_malformed_block_json_still_printed_with_exit_2(tmp_path, capsys):
    block = tmp_path / "b.raw"
    block.write_bytes(b"\x01\x00" * 30)
    assert main(["bitcoin-validate", str(block), "--json"]) == 2
    cap = capsys.readouterr()
    doc = json.loads(cap.out)
    assert doc["errors"][0]["code"] == "malformed" and doc["exit"] == 2
    assert cap.err.startswith(f"ledgerval bitcoin-validate: {block}: not a Bitcoin block")


@pytest.mark.parametrize("content,reason", [
    ('{"txid": "zz"}\n', "line 1: not a prevout record"), ("\n\n{}\n", "line 3: not a prevout record"),
    (b"\xff\xfe\n", "not UTF-8 text")])
def test_bad_prevouts_file_named_exit_2(tmp_path, capsys, content, reason):
    block = tmp_path / "b.raw"
    block.write_bytes(_built())
    bad = tmp_path / "p.jsonl"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["bitcoin-validate", str(block), "--prevouts", str(bad)]) == 2
    assert reason in _one_line(capsys, bad)
    assert main(["bitcoin-validate", str(block), "--prevouts", str(tmp_path / "none.jsonl")]) == 2
    assert "no such file" in _one_line(capsys, tmp_path / "none.jsonl")


def test_empty_prevouts_file_is_said_with_the_skipped_count(tmp_path, capsys):
    empty = tmp_path / "p.jsonl"
    empty.write_text("")
    args = ["bitcoin-validate", str(_need("block277647.raw")), "--prevouts", str(empty)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "not checked: signatures of 670 inputs (prevout_missing; the --prevouts file is empty)" in out
    assert "block valid as far as checked" in out
    assert main(args + ["--strict", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["skipped"] == [{"check": "signatures", "count": 670, "unit": "inputs",
                               "reason": "prevout_missing; the --prevouts file is empty"}] and doc["exit"] == 1


@pytest.mark.parametrize("with_prevouts,expected", [(False, 1), (True, 0)])
def test_strict_fails_on_implied_scripts_only(capsys, with_prevouts, expected):
    args = ["bitcoin-validate", str(_need("block277647.raw")), "--strict"]
    if with_prevouts:
        args += ["--prevouts", str(_need("block277647_prevouts.jsonl"))]
    assert main(args) == expected
    out = capsys.readouterr().out
    assert ("not checked: prevout scripts of 670 inputs" in out) == (not with_prevouts)
    assert "start-up" in out and "tx/s" in out


def test_error_list_says_how_many_more(tmp_path, capsys):
    raw = bytearray(_need("block277647.raw").read_bytes())
    prevouts = _need("block277647_prevouts.jsonl").read_text().splitlines()
    # every prevout script replaced by another key's P2PKH: each input's signature check fails
    bad = tmp_path / "p.jsonl"
    bad.write_text("\n".join(json.dumps({**json.loads(ln), "script_pubkey": "76a914" + "11" * 20 + "88ac"})
                             for ln in prevouts) + "\n")
    path = tmp_path / "b.raw"
    path.write_bytes(bytes(raw))
    assert main(["bitcoin-validate", str(path), "--prevouts", str(bad), "--json"]) == 1
    n = len(json.loads(capsys.readouterr().out)["errors"])
    assert n > 30
    assert main(["bitcoin-validate", str(path), "--prevouts", str(bad), "--max-errors", "7"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert sum(ln.startswith("  error ") for ln in out) == 7
    assert f"  … and {n - 7} more (--json lists all)" in out


def test_warm_up_block_checks_a_signature():
    from ledgerval.bitcoin.cli import _warm_up

    rep = _warm_up(1)
    assert rep.ok and rep.sigs_checked == 1 and rep.inputs_skipped == 0


def test_subprocess_random_input_one_line(tmp_path):
    path = tmp_path / "r.raw"
    path.write_bytes(random.Random(9).randbytes(1 << 20))
    r = subprocess.run([sys.executable, "-m", "ledgerval", "bitcoin-validate", str(path)], check=False,
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == "" and len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith(f"ledgerval bitcoin-validate: {path}: not a Bitcoin block: ")
