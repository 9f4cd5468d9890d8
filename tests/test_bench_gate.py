"""The regression gates: ratio floors and change against a saved run, on synthetic rows and on real ones."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerval.bench import gate
from ledgerval.bench.cases import default_cases
from ledgerval.bench.harness import Case, Contender, Prepared, Row, measure
from ledgerval.bench.workloads import sizes
from ledgerval.cli import main

FLOORS = Path(__file__).resolve().parents[1] / "benches" / "floors.json"


def _row(name, rate, peers=None, sweep=None, error=None):
    r = Row(name, name.split("/")[0], "item", items=100)
    r.rates = {1: [rate, rate * 1.1, rate * 0.9]}
    for t, v in (sweep or {}).items():
        r.rates[t] = [v]
    r.peers = {k: ({"absent": "not installed"} if v is None else {"items_per_s": v, "ratio": rate / v})
               for k, v in (peers or {}).items()}
    r.error = error
    return r


def test_floor_pass_and_fail():
    rows = [_row("verify/x", 1000, {"coincurve": 500, "ref": 10}), _row("hash/y", 100, {"hashlib": 400})]
    checks = gate.check_floors(rows, {"verify/x": {"coincurve": 1.5}, "hash/y": {"hashlib": 0.5}})
    assert [c.status for c in checks] == ["pass", "FAIL"]
    assert checks[0].measured == pytest.approx(2.0) and checks[1].measured == pytest.approx(0.25)
    text = gate.render_checks(checks, only_failures=True)
    assert "hash/y" in text and "verify/x" not in text and "0.25x" in text and "0.50x" in text


def test_first_measured_reference_is_used():
    # the preferred peer is absent on this machine, so the gate falls back to the reference path
    rows = [_row("verify/x", 1000, {"coincurve": None, "ref": 10})]
    (c,) = gate.check_floors(rows, {"verify/x": {"coincurve": 5.0, "ref": 50.0}})
    assert (c.against, c.status, c.measured) == ("ref", "pass", pytest.approx(100.0))
    (c,) = gate.check_floors(rows, {"verify/x": {"coincurve": 5.0, "ref": 500.0}})
    assert c.status == "FAIL"


def test_no_reference_filtered_rows_errors_and_scaling():
    rows = [_row("a/x", 10, {"coincurve": None}), _row("b/y", 10, error="WRONG RESULT: 3 verdicts differ"),
            _row("c/z", 10, sweep={2: 19.0}), _row("d/w", 10, sweep={2: 11.0})]
    floors = {"a/x": {"coincurve": 1}, "b/y": {"ref": 1}, "gone/row": {"ref": 1},
              "c/z": {"scaling": 1.5}, "d/w": {"scaling": 1.5}}
    st = {c.row: c.status for c in gate.check_floors(rows, floors)}
    assert st == {"a/x": "FAIL", "b/y": "FAIL", "gone/row": "skip", "c/z": "pass", "d/w": "FAIL"}


def test_load_floors_rejects_garbage(tmp_path):
    p = tmp_path / "f.json"
    p.write_text(json.dumps({"floors": {"verify/x": {"ref": "fast"}}}))
    with pytest.raises(ValueError):
        gate.load_floors(str(p))
    p.write_text(json.dumps({"_about": "x", "floors": {"_note": {}, "verify/x": {"ref": 2, "_why": "s"}}}))
    assert gate.load_floors(str(p)) == {"verify/x": {"ref": 2.0}}


def test_checked_in_floors_name_real_rows_and_end_with_a_reference():
    floors = gate.load_floors(str(FLOORS))
    names = {c.name for c in default_cases()}
    assert floors and set(floors) <= names
    for name, refs in floors.items():
        ratio_refs = [k for k in refs if k != "scaling"]
        # "ref" is measured in every run, so a row whose peers are missing still has a ratio to gate on
        assert not ratio_refs or ratio_refs[-1] == "ref", name
        assert all(v > 0 for v in refs.values())


def test_compare_and_fail_above():
    old = [_row("verify/x", 1000), _row("hash/y", 1000), _row("only/old", 5)]
    new = [_row("verify/x", 600), _row("hash/y", 1010), _row("only/new", 5)]
    ch = {c.row: c for c in gate.compare(old, new)}
    assert set(ch) == {"verify/x", "hash/y"}
    assert ch["verify/x"].pct == pytest.approx(-40.0) and ch["hash/y"].pct == pytest.approx(1.0)
    assert [c.row for c in gate.regressions(list(ch.values()), 25)] == ["verify/x"]
    assert gate.regressions(list(ch.values()), 50) == []
    assert "SLOWER" in gate.render_changes(list(ch.values()), 25)


def test_row_json_roundtrip():
    r = _row("verify/x", 1000, {"coincurve": 500, "pynacl": None}, sweep={2: 1900.0})
    back = Row.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back.rates == r.rates and back.peers == r.peers and back.scaling() == pytest.approx(r.scaling())


def _synthetic_case(work: int) -> Case:
    """A kernel and a peer doing the same arithmetic, so their ratio is about 1 without any slowdown."""

    def prepare(_sizes):
        def job():
            return sum(i * i for i in range(work))

        want = job()
        return Prepared(work, lambda t: job(), lambda res: None if res == want else "wrong",
                        {"peer": Contender(job, items=work, check=lambda res: res == want)})

    return Case("synthetic/x", "verify", "item", prepare)


def test_injected_slowdown_fails_the_gate():
    case = _synthetic_case(20000)
    floors = {"synthetic/x": {"peer": 0.3}}
    fast = measure(case, {}, [1], 3)
    slow = measure(case, {}, [1], 3, slowdown=8.0)
    assert fast.ratio("peer") > 0.3  # same work on both sides: about 1 even on a loaded machine
    assert slow.ratio("peer") < fast.ratio("peer") / 4
    assert [c.status for c in gate.check_floors([fast], floors)] == ["pass"]
    assert [c.status for c in gate.check_floors([slow], floors)] == ["FAIL"]


def test_wrong_result_is_an_error_row():
    case = Case("synthetic/bad", "verify", "item",
                lambda _s: Prepared(1, lambda t: 1, lambda res: "1 of 1 verdicts differ", {}))
    row = measure(case, {}, [1], 1)
    assert row.error and row.error.startswith("WRONG RESULT")
    assert gate.check_floors([row], {"synthetic/bad": {"ref": 1}})[0].status == "FAIL"


# --- the real CLI on real kernels ---------------------------------------------------------------------------

GATED_FAST = "^(hash/sha256d|merkle/sha256d-bitcoin)$"


def test_cli_gate_fails_when_a_kernel_is_made_slower(monkeypatch, capsys):
    floors = gate.load_floors(str(FLOORS))
    if not any(k in floors for k in ("hash/sha256d", "merkle/sha256d-bitcoin")):
        pytest.skip("no floors for the fast rows")
    monkeypatch.setenv("LEDGERVAL_BENCH_SLOWDOWN", "^hash/sha256d$=60,^merkle/sha256d-bitcoin$=60")
    rc = main(["bench", "--quick", "--quiet", "--threads", "1", "--repeat", "1", "--filter", GATED_FAST,
               "--gate", str(FLOORS)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "FELL SHORT" in out and "hash/sha256d" in out


def test_cli_gate_passes_on_real_numbers(capsys):
    rc = main(["bench", "--quick", "--quiet", "--threads", "1", "--filter", GATED_FAST, "--gate", str(FLOORS)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "FELL SHORT" not in out


def test_cli_impossible_floor_fails(tmp_path, capsys):
    p = tmp_path / "floors.json"
    p.write_text(json.dumps({"floors": {"hash/sha256": {"hashlib": 1e9, "ref": 1e9}}}))
    rc = main(["bench", "--quick", "--quiet", "--threads", "1", "--repeat", "1", "--filter", "^hash/sha256$",
               "--gate", str(p)])
    out = capsys.readouterr().out
    assert rc == 1 and "FELL SHORT" in out and "hash/sha256" in out


@pytest.mark.slow
def test_full_quick_gate_passes_on_main(capsys):
    """What .ci/run does after the tests; slow (about a minute)."""
    rc = main(["bench", "--quick", "--quiet", "--gate", str(FLOORS)])
    assert rc == 0, capsys.readouterr().out


def test_quick_sizes_are_smaller():
    q, f = sizes(True), sizes(False)
    assert all(q[k] <= f[k] for k in q)
