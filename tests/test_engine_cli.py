"""The gen and validate subcommands: files, output, exit codes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ledgerval.cli import main


def _gen(tmp_path, suite="ed25519-sha256", bad_rate=0.0, blocks=3, txs=8):
    out = tmp_path / "chain.lvc"
    rc = main(["gen", "--suite", suite, "--blocks", str(blocks), "--txs", str(txs), "--validators", "3",
               "--bad-rate", str(bad_rate), "--seed", "4", "-o", str(out)])
    assert rc == 0
    return out


def test_gen_then_validate_all_valid(tmp_path, capsys):
    out = _gen(tmp_path)
    assert (tmp_path / "chain.lvc.validators.json").exists()
    capsys.readouterr()
    rc = main(["validate", str(out), "--suite", "ed25519-sha256",
               "--validators-file", str(tmp_path / "chain.lvc.validators.json")])
    text = capsys.readouterr().out
    assert rc == 0 and "3 blocks, 24 transactions" in text and "all blocks valid" in text


def test_corrupted_chain_exit_1_and_json(tmp_path, capsys):
    out = _gen(tmp_path, suite="sm2-sm3", bad_rate=0.3)
    gen_text = capsys.readouterr().out
    assert "corrupted" in gen_text and "bad_signature" in gen_text
    rc = main(["validate", str(out), "--suite", "sm2-sm3", "--json",
               "--validators-file", str(tmp_path / "chain.lvc.validators.json")])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    expected = gen_text.count("bad_signature")
    assert doc["failures"] == {"bad_signature": expected}
    assert doc["blocks"] == 3 and doc["transactions"] == 24
    assert all(e["index"] is not None for blk in doc["invalid"] for e in blk["errors"])


def test_wrong_suite_exit_1(tmp_path, capsys):
    out = _gen(tmp_path)
    assert main(["validate", str(out), "--suite", "sm2-sm3"]) == 1
    assert "wrong_suite" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["truncate_record", "missing", "bad_keyfile"])
def test_unreadable_input_exit_2(tmp_path, capsys, damage):
    out = _gen(tmp_path)
    args = ["validate", str(out), "--suite", "ed25519-sha256"]
    if damage == "truncate_record":
        data = out.read_bytes()
        out.write_bytes(data[:-10])
    elif damage == "missing":
        args[1] = str(tmp_path / "nope.lvc")
    else:
        (tmp_path / "k.json").write_text("[1, 2]")
        args += ["--validators-file", str(tmp_path / "k.json")]
    assert main(args) == 2
    assert "ledgerval validate:" in capsys.readouterr().err


def test_console_script_runs(tmp_path):
    r = subprocess.run([sys.executable, "-m", "ledgerval", "--help"], check=False, capture_output=True, text=True)
    assert r.returncode == 0 and "validate" in r.stdout and "gen" in r.stdout


def test_gen_rejects_bad_arguments(tmp_path, capsys):
    rc = main(["gen", "--suite", "ed25519-sha256", "--blocks", "1", "--txs", "1", "--bad-rate", "2",
               "-o", str(tmp_path / "x.lvc")])
    assert rc == 2 and "bad_rate" in capsys.readouterr().err
