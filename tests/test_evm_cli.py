"""``ledgerval evm-validate``: output, JSON, --chain-id, RLP files, exit codes (0 valid, 1 invalid, 2
unreadable)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerval.cli import main

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors" / "ethereum"
FILES = [VECTORS / f"mainnet_block{n}.json" for n in (24476000, 24476001)]
if not all(p.exists() for p in FILES):
    pytest.skip("../shared/vectors/ethereum is absent", allow_module_level=True)


def test_valid_blocks_summary(capsys):
    assert main(["evm-validate", *map(str, FILES)]) == 0
    out = capsys.readouterr().out
    assert out.count("VALID") == 2 and "INVALID" not in out and "authorization 0: signer 0x" in out


def test_json_and_chain_id(capsys):
    assert main(["evm-validate", str(FILES[0]), "--json", "--chain-id", "1", "--threads", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc[0]["ok"] and doc[0]["header_hash_ok"] and doc[0]["transactions"] == 273
    assert main(["evm-validate", str(FILES[0]), "--json", "--chain-id", "5"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert {e["code"] for e in doc[0]["errors"]} == {"wrong_chain_id"}


def test_invalid_block_exit_1_and_rlp_hex_file(tmp_path, capsys):
    from ledgerval.evm.header import header_from_json, withdrawal_from_json
    from ledgerval.evm.rlp import enc_bytes, enc_list
    from ledgerval.evm.tx import from_json

    b = json.loads(FILES[1].read_text())
    b["gasUsed"] = hex(int(b["gasUsed"], 16) + 1)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(b))
    assert main(["evm-validate", str(bad)]) == 1
    assert "bad_header_hash" in capsys.readouterr().out
    txs = b"".join(t.encoded if t.type == 0 else enc_bytes(t.encoded) for t in map(from_json, b["transactions"]))
    ws = b"".join(withdrawal_from_json(w) for w in b["withdrawals"])
    raw = enc_list(header_from_json(b).encoded + enc_list(txs) + enc_list(b"") + enc_list(ws))
    (tmp_path / "b.rlp").write_bytes(raw)
    (tmp_path / "b.hex").write_text("0x" + raw.hex() + "\n")
    assert main(["evm-validate", str(tmp_path / "b.rlp"), str(tmp_path / "b.hex")]) == 0
    assert capsys.readouterr().out.count("VALID") == 2


def test_unreadable_exit_2(tmp_path, capsys):
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert main(["evm-validate", str(FILES[0]), str(tmp_path / "missing.json"), str(junk)]) == 2
    assert capsys.readouterr().err.count("cannot read") == 2


def test_malformed_rlp_is_invalid(tmp_path, capsys):
    p = tmp_path / "b.rlp"
    p.write_bytes(b"\xf9\x00\x10" + b"\x00" * 16)
    assert main(["evm-validate", str(p), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["errors"][0]["code"] == "malformed"
