"""``ledgerval bitcoin-validate``: output, JSON, exit codes (0 valid, 1 invalid, 2 unreadable input)."""
from __future__ import annotations

import json


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


def test_unreadable_input_exit_2(tmp_path, capsys):
    assert main(["bitcoin-validate", str(tmp_path / "missing.raw")]) == 2
    block = tmp_path / "b.raw"
    block.write_bytes(b"\x00" * 100)
    bad_prevouts = tmp_path / "p.jsonl"
    bad_prevouts.write_text('{"txid": "zz"}\n')
    assert main(["bitcoin-validate", str(block), "--prevouts", str(bad_prevouts)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_malformed_block_is_invalid(tmp_path, capsys):
    block = tmp_path / "b.raw"
    block.write_bytes(b"\x01\x00" * 30)
    assert main(["bitcoin-validate", str(block), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["errors"][0]["code"] == "malformed"
