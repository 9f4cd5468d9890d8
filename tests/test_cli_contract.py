"""The exit-code and message contract of every subcommand (``ledgerval.cli_common``), row by row:
0 all valid, 1 framed and judged invalid (or a skipped check under --strict), 2 unusable input or output with
one line ``ledgerval CMD: PATH: reason`` on stderr and no traceback.  Needs no vector files."""
from __future__ import annotations

import json
import random
import struct
import subprocess
import sys

import pytest

from ledgerval import cli_common as C
from ledgerval.chainfile import read_chain, write_chain
from ledgerval.cli import main
from ledgerval.errors import ChainFileError

SUITE = "ed25519-sha256"
SEED = 1717
print(f"random seed {SEED}")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A valid 3-block chain of 8 transactions each and its key file."""
    d = tmp_path_factory.mktemp("chain")
    out = d / "chain.lvc"
    assert main(["gen", "--suite", SUITE, "--blocks", "3", "--txs", "8", "--validators", "3", "--seed", "4",
                 "-o", str(out)]) == 0
    return out, d / "chain.lvc.validators.json"


def _one_line(capsys, cmd: str, path) -> str:
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1, cap.err
    assert "Traceback" not in cap.err + cap.out
    prefix = f"ledgerval {cmd}: " + (f"{path}: " if path is not None else "")
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix):]


# -- validate: unusable input is exit 2 ----------------------------------------------------------------------

def _damage(kind, src, tmp_path):
    path = tmp_path / f"{kind}.lvc"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(src.read_bytes()[:-10])
    elif kind == "truncated_prefix":
        path.write_bytes(src.read_bytes() + b"\x05\x00")
    elif kind == "random":
        path.write_bytes(random.Random(SEED).randbytes(1 << 20))
    elif kind == "foreign":
        with open(path, "wb") as f:
            write_chain(f, [b"hello, not a block", b"x"])
    elif kind == "directory":
        path.mkdir()
    elif kind == "missing":
        pass
    return path


@pytest.mark.parametrize("kind,reason", [
    ("empty", "empty file"), ("truncated", "record 2: truncated"), ("truncated_prefix", "truncated length prefix"),
    ("random", "record 0: truncated"), ("foreign", "does not start with LVB1"),
    ("directory", "is a directory"), ("missing", "no such file")])
def test_validate_unusable_input_exit_2(chain, tmp_path, capsys, kind, reason):
    path = _damage(kind, chain[0], tmp_path)
    assert main(["validate", str(path), "--suite", SUITE, "--validators-file", str(chain[1])]) == 2
    assert reason in _one_line(capsys, "validate", path)


@pytest.mark.parametrize("content,reason", [
    ("{", "not a validator key file: Expecting"), ("[1, 2]", "expected an object with a 'validators' list"),
    ('{"validators": ["zz"]}', "validators[0] is not a hex string"),
    ('{"validators": [7]}', "validators[0] is not a hex string"),
    ('{"validators": ["' + "00" * 32 + '"], "threshold": 5}', "threshold 5 must be in [1, 1]"),
    ('{"validators": ["' + "ff" * 32 + '"]}', "validators[0] is not a valid ed25519 public key"),
    ("", "empty file"), (b"\xff\xfe{", "not UTF-8 text")])
def test_validate_bad_validators_file_names_it(chain, tmp_path, capsys, content, reason):
    keys = tmp_path / "keys.json"
    keys.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["validate", str(chain[0]), "--suite", SUITE, "--validators-file", str(keys)]) == 2
    assert reason in _one_line(capsys, "validate", keys)


def test_validate_bad_argument_is_not_blamed_on_the_key_file(chain, capsys):
    assert main(["validate", str(chain[0]), "--suite", SUITE, "--validators-file", str(chain[1]),
                 "--threads", "0"]) == 2
    assert _one_line(capsys, "validate", None) == "threads must be >= 1, got 0"


# -- validate: verdicts, skipped checks, --strict ------------------------------------------------------------

def test_validate_all_valid_exit_0_and_startup_apart(chain, capsys):
    assert main(["validate", str(chain[0]), "--suite", SUITE, "--validators-file", str(chain[1])]) == 0
    out = capsys.readouterr().out
    assert "3 blocks, 24 transactions validated in" in out and "tx/s" in out
    assert "start-up" in out and "kernel warm-up" in out and "not counted in the rate" in out
    assert out.rstrip().endswith("all blocks valid") and "not checked" not in out


def test_validate_without_validators_says_commit_signatures_skipped(chain, capsys):
    assert main(["validate", str(chain[0]), "--suite", SUITE]) == 0
    out = capsys.readouterr().out
    assert "not checked: commit signatures of 3 blocks (no --validators-file)" in out
    assert "all blocks valid as far as checked" in out and "\nall blocks valid\n" not in out


@pytest.mark.parametrize("with_keys,expected", [(False, 1), (True, 0)])
def test_validate_strict_fails_on_skipped_checks_only(chain, capsys, with_keys, expected):
    args = ["validate", str(chain[0]), "--suite", SUITE, "--strict", "--json"]
    if with_keys:
        args += ["--validators-file", str(chain[1])]
    assert main(args) == expected
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit"] == expected and doc["strict"] is True
    assert doc["skipped"] == ([] if with_keys else
                              [{"check": "commit_signatures", "count": 3, "unit": "blocks",
                                "reason": "no --validators-file"}])


def test_validate_json_times_validation_apart_from_startup(chain, capsys):
    assert main(["validate", str(chain[0]), "--suite", SUITE, "--json", "--validators-file", str(chain[1])]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["transactions"] == 24 and doc["tx_per_s"] == pytest.approx(24 / doc["seconds"])
    assert doc["startup_seconds"] == pytest.approx(sum(doc["startup_phases"].values()), abs=1e-5)
    assert "kernel warm-up" in doc["startup_phases"]


def test_validate_warm_up_block_is_valid():
    from ledgerval.cli_validate import _warm_up
    from ledgerval.suites import SUITES

    for suite in SUITES:
        reports = _warm_up(suite, 1)
        assert [r.ok for r in reports] == [True] and reports[0].tx_count == 2, suite


@pytest.fixture(scope="module")
def bad_chain(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    out = d / "bad.lvc"
    assert main(["gen", "--suite", SUITE, "--blocks", "3", "--txs", "8", "--validators", "3", "--seed", "4",
                 "--bad-rate", "1", "-o", str(out)]) == 0
    return out, d / "bad.lvc.validators.json"


@pytest.mark.parametrize("limit", [5, 0, 24, 100])
def test_validate_error_list_is_complete_or_says_how_many_more(bad_chain, capsys, limit):
    args = ["validate", str(bad_chain[0]), "--suite", SUITE, "--validators-file", str(bad_chain[1])]
    capsys.readouterr()
    assert main(args + ["--json"]) == 1
    every = [(b["block"], e["code"], e["index"]) for b in json.loads(capsys.readouterr().out)["invalid"]
             for e in b["errors"]]
    assert len(every) == 24
    assert main(args + ["--max-errors", str(limit)]) == 1
    out = capsys.readouterr().out
    listed = [ln for ln in out.splitlines() if ln.startswith("  block ")]
    shown = len(every) if limit in (0, 100, 24) else limit
    assert [ln[:ln.index("]: ") + 3] for ln in listed] == [f"  block {b}: {c} [{i}]: " for b, c, i in every[:shown]]
    more = [ln for ln in out.splitlines() if "more (--json lists all)" in ln]
    assert more == ([f"  … and {len(every) - shown} more (--json lists all)"] if shown < len(every) else [])
    assert "all blocks valid" not in out


# -- gen: outputs ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["missing_dir", "directory", "keyfile_directory"])
def test_gen_unwritable_output_exit_2_names_the_path(tmp_path, capsys, kind):
    out = tmp_path / "missing" / "dir" / "x.lvc" if kind == "missing_dir" else tmp_path / "x.lvc"
    blamed = out
    if kind == "directory":
        out.mkdir()
    elif kind == "keyfile_directory":
        blamed = tmp_path / "x.lvc.validators.json"
        blamed.mkdir()
    assert main(["gen", "--suite", SUITE, "--blocks", "1", "--txs", "2", "-o", str(out)]) == 2
    reason = _one_line(capsys, "gen", blamed)
    assert ("does not exist" in reason) if kind == "missing_dir" else ("is a directory" in reason)
    assert kind == "directory" or not out.exists()  # nothing written when an output cannot be


def test_gen_bad_argument_exit_2(tmp_path, capsys):
    assert main(["gen", "--suite", SUITE, "--blocks", "1", "--txs", "1", "--bad-rate", "2",
                 "-o", str(tmp_path / "x.lvc")]) == 2
    assert "bad_rate must be in [0, 1]" in _one_line(capsys, "gen", None)


# -- the helpers themselves ---------------------------------------------------------------------------------

def test_read_chain_does_not_allocate_what_a_damaged_prefix_announces(tmp_path):
    path = tmp_path / "huge.lvc"
    path.write_bytes(struct.pack("<I", 0xFFFFFFF0) + b"LVB1" + bytes(100))
    with open(path, "rb") as f, pytest.raises(ChainFileError, match="4294967280 bytes announced, 104 present"):
        list(read_chain(f))


def test_print_limited_and_verdict(capsys):
    assert C.print_limited((f"  e{i}" for i in range(7)), 3) == 4
    assert capsys.readouterr().out.splitlines() == ["  e0", "  e1", "  e2", "  … and 4 more (--json lists all)"]
    skips = [C.Skip("signatures", 2, "inputs", "why"), C.Skip("other", 0, "blocks", "never said")]
    assert C.exit_code(False, skips, strict=False) == 0 and C.exit_code(False, skips, strict=True) == 1
    assert C.exit_code(True, [], strict=False) == 1 and C.exit_code(False, skips[1:], strict=True) == 0
    C.print_verdict("ok", False, skips, strict=False)
    assert capsys.readouterr().out.splitlines() == [
        "  not checked: signatures of 2 inputs (why)", "ok as far as checked (some checks skipped; --strict makes that exit 1)"]


def test_process_age_is_plausible():
    age = C.process_age()
    assert age is None or 0 <= age < 24 * 3600


# -- real processes -------------------------------------------------------------------------------------------

def _run(*args):
    return subprocess.run([sys.executable, "-m", "ledgerval", *args], check=False, capture_output=True, text=True)


def test_subprocess_gen_to_missing_dir_and_validate_empty(tmp_path):
    r = _run("gen", "--suite", SUITE, "--blocks", "1", "--txs", "1", "-o", "/missing/dir/x.lvc")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr == "ledgerval gen: /missing/dir/x.lvc: cannot write: folder /missing/dir does not exist\n"
    empty = tmp_path / "e.lvc"
    empty.write_bytes(b"")
    r = _run("validate", str(empty), "--suite", SUITE)
    assert (r.returncode, r.stderr, r.stdout) == (2, f"ledgerval validate: {empty}: empty file\n", "")
