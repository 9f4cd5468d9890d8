"""``ledgerval bench`` options: --list, --filter, --json, --compare/--fail-above, --plot, argument errors."""
from __future__ import annotations

import json
import re

import pytest

from ledgerval.bench.cli import parse_slowdown, thread_counts
from ledgerval.cli import main

FAST = "^hash/sha256$"


def _bench(capsys, *args):
    rc = main(["bench", "--quick", "--quiet", "--threads", "1", "--repeat", "1", *args])
    return rc, capsys.readouterr()


def test_list_names_every_kind(capsys):
    assert main(["bench", "--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    from ledgerval import SUITES

    assert {f"e2e/{s}" for s in SUITES} <= set(names)
    assert {"verify/ecdsa-secp256k1", "verify/ecdsa-p256", "verify/ed25519", "verify/sm2"} <= set(names)
    assert {"hash/sha256", "hash/sha256d", "hash/sm3", "hash/keccak256"} <= set(names)
    assert any(n.startswith("merkle/") for n in names)


def test_filter_and_list(capsys):
    assert main(["bench", "--list", "--filter", "^verify/"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names and all(n.startswith("verify/") for n in names)


def test_header_table_and_json(tmp_path, capsys):
    out_json = tmp_path / "run.json"
    rc, cap = _bench(capsys, "--filter", FAST, "--json", str(out_json))
    assert rc == 0, cap.out
    lines = cap.out.splitlines()
    # configuration first: versions, CPU, features, threads; then the table
    assert lines[0].startswith("ledgerval ") and "numba" in lines[0] and "cffi" in lines[0]
    assert any(l.startswith("cpu: ") and "cores" in l for l in lines[:6])
    assert any("features" in l for l in lines[:6])
    assert "hash/sha256" in cap.out and "hashlib" in cap.out and "ref" in cap.out
    data = json.loads(out_json.read_text())
    assert data["config"]["cores"] >= 1 and data["config"]["threads"] == [1]
    (row,) = data["rows"]
    assert row["name"] == "hash/sha256" and row["items_per_s"] > 0 and row["error"] is None
    assert "ratio" in row["peers"]["hashlib"] and "ratio" in row["peers"]["ref"]


def test_compare_fail_above(tmp_path, capsys):
    saved = tmp_path / "old.json"
    rc, _ = _bench(capsys, "--filter", FAST, "--json", str(saved))
    assert rc == 0
    data = json.loads(saved.read_text())
    # pretend the saved run was 1000x faster: the new run is then about 99.9% slower than it
    for row in data["rows"]:
        row["runs"] = {t: [v * 1000 for v in runs] for t, runs in row["runs"].items()}
    saved.write_text(json.dumps(data))
    rc, cap = _bench(capsys, "--filter", FAST, "--compare", str(saved))
    changes = [float(m) for m in re.findall(r"hash/sha256\s.*?([-+]\d+\.\d)%", cap.out)]
    assert rc == 0 and changes and all(c < -90 for c in changes), cap.out
    rc, cap = _bench(capsys, "--filter", FAST, "--compare", str(saved), "--fail-above", "10")
    assert rc == 1 and "SLOWER" in cap.out


def test_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "sweep.png"
    rc = main(["bench", "--quick", "--quiet", "--threads", "1,2", "--repeat", "1", "--filter", FAST,
               "--plot", str(png)])
    assert rc == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args", [["--filter", "("], ["--threads", "0"], ["--threads", "x"],
                                  ["--fail-above", "5"], ["--repeat", "0"], ["--gate", "/nonexistent.json"]])
def test_bad_arguments_exit_2(args, capsys):
    assert main(["bench", "--quiet", *args]) == 2
    assert "ledgerval bench:" in capsys.readouterr().err


def test_progress_on_non_tty_is_one_line_per_row(capsys):
    rc = main(["bench", "--quick", "--threads", "1", "--repeat", "1", "--filter", FAST])
    err = capsys.readouterr().err
    assert rc == 0 and err.count("\n") == 1 and "hash/sha256" in err


def test_thread_counts_and_slowdown_spec():
    assert thread_counts(None, 1) == [1]
    assert thread_counts(None, 2) == [1, 2]
    assert thread_counts(None, 6) == [1, 2, 4, 6]
    assert thread_counts(None, 8) == [1, 2, 4, 8]
    assert thread_counts("4,1,4", 2) == [1, 4]
    (rx, f), = parse_slowdown("^hash/=3")
    assert rx.search("hash/sm3") and f == 3.0
    assert parse_slowdown(None) == [] and parse_slowdown("") == []
