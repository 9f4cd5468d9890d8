"""``ledgerval evm-validate`` under the CLI contract (``ledgerval.cli_common``): output, JSON, --chain-id,
RLP files and their skipped checks, --strict, exit codes (0 valid, 1 invalid, 2 unusable with one line)."""
from __future__ import annotations

import json

import pytest

from ledgerval.cli import main
from conftest import VECTORS_DIR, VECTORS_SKIP

VECTORS = VECTORS_DIR / "ethereum"
FILES = [VECTORS / f"mainnet_block{n}.json" for n in (24476000, 24476001)]
if not all(p.exists() for p in FILES):
    pytest.skip(VECTORS_SKIP, allow_module_level=True)


def test_valid_blocks_summary(capsys):
    assert main(["evm-validate", *map(str, FILES)]) == 0
    out = capsys.readouterr().out
    assert out.count("VALID") == 2 and "INVALID" not in out and "authorization 0: signer 0x" in out
    assert out.rstrip().endswith("all blocks valid") and "start-up" in out and "tx/s" in out


def test_json_and_chain_id(capsys):
    assert main(["evm-validate", str(FILES[0]), "--json", "--chain-id", "1", "--threads", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    blk = doc["blocks"][0]
    assert blk["ok"] and blk["header_hash_ok"] and blk["transactions"] == 273
    assert doc["exit"] == 0 and doc["skipped"] == [] and doc["tx_per_s"] > 0 and "startup_seconds" in doc
    assert main(["evm-validate", str(FILES[0]), "--json", "--chain-id", "5"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert {e["code"] for e in doc["blocks"][0]["errors"]} == {"wrong_chain_id"} and doc["exit"] == 1


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
    out = capsys.readouterr().out
    assert out.count("VALID") == 2 and "as far as checked" in out
    assert "not checked: sender comparisons of 752 transactions" in out and "block hash of 2 blocks" in out
    assert main(["evm-validate", str(tmp_path / "b.rlp"), "--strict"]) == 1


def _one_line(capsys, path) -> str:
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in cap.err + cap.out, cap.err
    assert lines[0].startswith(f"ledgerval evm-validate: {path}: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("content", [None, b"", b"{not json", b"\xf9\x00\x10" + b"\x00" * 16, b"0xzz12", b"[1, 2]",
                                     b'{"transactions": []}', b"\xc3\x80\x80\x80"])
def test_unusable_input_exit_2_with_one_line(tmp_path, capsys, content):
    p = tmp_path / "b.json"
    if content is not None:
        p.write_bytes(content)
    assert main(["evm-validate", str(FILES[0]), str(p)]) == 2
    _one_line(capsys, p)


def test_a_bad_transaction_inside_a_block_is_invalid_not_unusable(tmp_path, capsys):
    b = json.loads(FILES[0].read_text())
    b["transactions"][3]["type"] = "0x9"
    p = tmp_path / "b.json"
    p.write_text(json.dumps(b))
    assert main(["evm-validate", str(p), "--max-errors", "1"]) == 1
    out = capsys.readouterr().out
    assert "malformed [tx 3]" in out and "INVALID" in out
