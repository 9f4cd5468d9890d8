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
    assert any("features" in l for l in lines[:8])
    from ledgerval.hashing import paths
    from ledgerval.native import tier

    # the tier the kernels ran at, and the path the row took, in its own column
    assert f"tier: {tier()} " in cap.out
    (line,) = [l for l in lines if l.startswith("hash/sha256 ")]
    assert line.split()[1] == paths()["sha256"] and re.search(r"\dx (hashlib|pycryptodome)$", line), line
    assert max(map(len, lines)) <= 120, max(lines, key=len)
    data = json.loads(out_json.read_text())
    assert data["config"]["cores"] >= 1 and data["config"]["threads"] == [1]
    assert data["config"]["tier"] == tier() and data["config"]["paths"]["sha256"] == paths()["sha256"]
    (row,) = data["rows"]
    assert row["name"] == "hash/sha256" and row["items_per_s"] > 0 and row["error"] is None
    assert row["path"] == paths()["sha256"]
    assert "ratio" in row["peers"]["hashlib"] and "ratio" in row["peers"]["ref"]


def test_wide_shows_every_peer_and_ref(capsys):
    rc, cap = _bench(capsys, "--filter", FAST, "--wide")
    assert rc == 0
    head = next(l for l in cap.out.splitlines() if l.startswith("primitive "))
    assert head.split()[-1] == "ref" and "hashlib" in head.split()


def test_tier_from_the_environment_is_in_the_header(tmp_path):
    """LEDGERVAL_CPU_FEATURES is read at import: a fresh process at the portable tier says so."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, LEDGERVAL_CPU_FEATURES="")
    out = subprocess.run([sys.executable, "-m", "ledgerval", "bench", "--quick", "--quiet", "--threads", "1",
                          "--repeat", "1", "--filter", FAST],
                         env=env, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert "tier: portable (LEDGERVAL_CPU_FEATURES=: only those features are used)" in out.stdout
    assert re.search(r"^hash/sha256\s+native-portable\s", out.stdout, re.MULTILINE), out.stdout


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
    assert f"plot written to {png}" in capsys.readouterr().out


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
