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
from ledgerval.native import tier as native_tier
from ledgerval.native import tier_mask, tiers_available

FLOORS = Path(__file__).resolve().parents[1] / "benches" / "floors.json"


P = "native-x"  # the code path the synthetic rows report


def _row(name, rate, peers=None, sweep=None, error=None, path=P):
    r = Row(name, name.split("/")[0], "item", items=100, path=path)
    r.rates = {1: [rate, rate * 1.1, rate * 0.9]}
    for t, v in (sweep or {}).items():
        r.rates[t] = [v]
    r.peers = {k: ({"absent": "not installed"} if v is None else {"items_per_s": v, "ratio": rate / v})
               for k, v in (peers or {}).items()}
    r.error = error
    return r


def test_floor_pass_and_fail():
    rows = [_row("verify/x", 1000, {"coincurve": 500, "ref": 10}), _row("hash/y", 100, {"hashlib": 400})]
    checks = gate.check_floors(rows, {"verify/x": {P: {"coincurve": 1.5}}, "hash/y": {P: {"hashlib": 0.5}}})
    assert [c.status for c in checks] == ["pass", "FAIL"]
    assert checks[0].measured == pytest.approx(2.0) and checks[1].measured == pytest.approx(0.25)
    text = gate.render_checks(checks, only_failures=True)
    assert "hash/y" in text and "verify/x" not in text and "0.25x" in text and "0.50x" in text


def test_first_measured_reference_is_used():
    # the preferred peer is absent on this machine, so the gate falls back to the reference path
    rows = [_row("verify/x", 1000, {"coincurve": None, "ref": 10})]
    (c,) = gate.check_floors(rows, {"verify/x": {P: {"coincurve": 5.0, "ref": 50.0}}})
    assert (c.against, c.status, c.measured) == ("ref", "pass", pytest.approx(100.0))
    (c,) = gate.check_floors(rows, {"verify/x": {P: {"coincurve": 5.0, "ref": 500.0}}})
    assert c.status == "FAIL"


def test_no_reference_filtered_rows_errors_and_scaling():
    rows = [_row("a/x", 10, {"coincurve": None}), _row("b/y", 10, error="WRONG RESULT: 3 verdicts differ"),
            _row("c/z", 10, sweep={2: 19.0}), _row("d/w", 10, sweep={2: 11.0})]
    floors = {"a/x": {P: {"coincurve": 1}}, "b/y": {P: {"ref": 1}}, "gone/row": {P: {"ref": 1}},
              "c/z": {P: {"scaling": 1.5}}, "d/w": {P: {"scaling": 1.5}}}
    st = {c.row: c.status for c in gate.check_floors(rows, floors)}
    assert st == {"a/x": "FAIL", "b/y": "FAIL", "gone/row": "skip", "c/z": "pass", "d/w": "FAIL"}


def test_floors_are_checked_for_the_path_taken():
    rows = [_row("hash/y", 100, {"hashlib": 10}, path="native-avx2")]
    floors = {"hash/y": {"native-avx512": {"hashlib": 20}, "native-avx2": {"hashlib": 8},
                         "native-portable": {"hashlib": 2}}}
    (c,) = gate.check_floors(rows, floors)
    assert (c.path, c.floor, c.status) == ("native-avx2", 8.0, "pass")
    # the same speed on the path whose floors are higher falls short
    rows[0].path = "native-avx512"
    (c,) = gate.check_floors(rows, floors)
    assert (c.path, c.floor, c.status) == ("native-avx512", 20.0, "FAIL")


@pytest.mark.parametrize("path", ["reference", "numba", "native-avx10", ""])
def test_a_path_without_floors_fails_loudly(path):
    rows = [_row("hash/y", 100, {"hashlib": 1}, path=path)]
    (c,) = gate.check_floors(rows, {"hash/y": {"native-avx512": {"hashlib": 0.1}, "native-portable": {"ref": 0.1}}})
    assert c.status == "FAIL" and "no floors for path" in c.note and "native-avx512, native-portable" in c.note
    assert "no floors for path" in gate.render_checks([c])


@pytest.mark.parametrize("bad", [{"verify/x": {P: {"ref": "fast"}}}, {"verify/x": {P: {"ref": True}}},
                                 {"verify/x": {"ref": 2}}, {"verify/x": [1]}, [1, 2]])
def test_load_floors_rejects_garbage(tmp_path, bad):
    p = tmp_path / "f.json"
    p.write_text(json.dumps({"floors": bad}))
    with pytest.raises(ValueError):
        gate.load_floors(str(p))


def test_load_floors_skips_comments(tmp_path):
    p = tmp_path / "f.json"
    p.write_text(json.dumps({"_about": "x", "floors": {"_note": {}, "verify/x": {"_why": "s", P: {"ref": 2,
                                                                                                 "_why": "t"}}}}))
    assert gate.load_floors(str(p)) == {"verify/x": {P: {"ref": 2.0}}}


def test_checked_in_floors_name_real_rows_and_end_with_a_reference():
    floors = gate.load_floors(str(FLOORS))
    names = {c.name for c in default_cases()}
    assert floors and set(floors) <= names
    for name, by_path in floors.items():
        assert by_path, name
        for path, refs in by_path.items():
            ratio_refs = [k for k in refs if k != "scaling"]
            # "ref" is measured in every run, so a row whose peers are missing still has a ratio to gate on
            assert not ratio_refs or ratio_refs[-1] == "ref", (name, path)
            assert all(v > 0 for v in refs.values()), (name, path)


def test_checked_in_floors_cover_every_path_of_every_tier_here():
    """Each gated row has floors for the path it takes at every tier this machine can run, so the file passes
    on AVX-512, AVX2 and portable machines alike (a path added to the dispatch needs its floors here)."""
    from ledgerval import hashing, signatures
    from ledgerval.native import tier_mask, tiers_available

    floors = gate.load_floors(str(FLOORS))
    for tier in tiers_available():
        with tier_mask(tier):
            paths = {**signatures.paths(), **hashing.paths()}
        for name, by_path in floors.items():
            what = name.split("/")[1]
            path = paths[what if name.startswith("verify/") else what.split("-")[0]]
            assert path in by_path, (tier, name, path)


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
    fast = measure(case, {}, [1], 3)
    slow = measure(case, {}, [1], 3, slowdown=60.0)
    assert slow.ratio("peer") < fast.ratio("peer") / 4
    # same work on both sides, so fast's ratio is about 1; on a loaded machine it wanders, so the floor sits
    # halfway down from whatever fast measured: a 60x slowdown lands far below it
    floors = {"synthetic/x": {"": {"peer": fast.ratio("peer") / 2}}}
    assert [c.status for c in gate.check_floors([fast], floors)] == ["pass"]
    assert [c.status for c in gate.check_floors([slow], floors)] == ["FAIL"]


def test_wrong_result_is_an_error_row():
    case = Case("synthetic/bad", "verify", "item",
                lambda _s: Prepared(1, lambda t: 1, lambda res: "1 of 1 verdicts differ", {}))
    row = measure(case, {}, [1], 1)
    assert row.error and row.error.startswith("WRONG RESULT")
    assert gate.check_floors([row], {"synthetic/bad": {"": {"ref": 1}}})[0].status == "FAIL"


# --- the real CLI on real kernels, at every tier this machine has -------------------------------------------

GATED_FAST = "^(hash/sha256d|merkle/sha256d-bitcoin)$"
TIERS_HERE = [t for t in ("avx512-ifma", "avx2", "portable") if t in tiers_available()]


def _gate_at(tier: str, *args: str) -> int:
    with tier_mask(tier):
        return main(["bench", "--quick", "--quiet", "--threads", "1", "--filter", GATED_FAST, "--gate", str(FLOORS),
                     *args])


@pytest.mark.parametrize("tier", TIERS_HERE)
def test_cli_gate_fails_when_a_kernel_is_made_slower(tier, monkeypatch, capsys):
    monkeypatch.setenv("LEDGERVAL_BENCH_SLOWDOWN", "^hash/sha256d$=60,^merkle/sha256d-bitcoin$=60")
    rc = _gate_at(tier, "--repeat", "1")
    out = capsys.readouterr().out
    assert rc == 1, out
    assert "FELL SHORT" in out and "hash/sha256d" in out and "merkle/sha256d-bitcoin" in out
    # a real regression falls short on every attempt
    assert "measuring again (attempt 3 of 3)" in out


def test_gate_measures_a_row_that_fell_short_again(monkeypatch, capsys):
    """A burst of load that slows one measurement is forgiven; the verdict is on the last attempt."""
    from ledgerval.bench import cli as bench_cli

    calls = []
    real = bench_cli.measure

    def slow_once(case, *args, **kw):
        calls.append(case.name)
        if len(calls) == 1:
            kw["slowdown"] = 60.0
        return real(case, *args, **kw)

    monkeypatch.setattr(bench_cli, "measure", slow_once)
    rc = main(["bench", "--quick", "--quiet", "--threads", "1", "--filter", "^hash/sha256d$", "--gate", str(FLOORS)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert calls == ["hash/sha256d", "hash/sha256d"] and "measuring again (attempt 2 of 3)" in out


@pytest.mark.parametrize("tier", TIERS_HERE)
def test_cli_gate_passes_on_real_numbers(tier, capsys):
    rc = _gate_at(tier)
    out = capsys.readouterr().out
    with tier_mask(tier):
        want = f"tier: {native_tier()} "
    assert rc == 0, out
    assert "FELL SHORT" not in out and want in out


def test_cli_gate_fails_on_a_path_without_floors(tmp_path, capsys):
    floors = json.loads(FLOORS.read_text())
    with tier_mask(TIERS_HERE[-1]):
        from ledgerval.hashing import paths

        taken = paths()["sha256d"]
        del floors["floors"]["hash/sha256d"][taken]
        p = tmp_path / "floors.json"
        p.write_text(json.dumps(floors))
        rc = main(["bench", "--quick", "--quiet", "--threads", "1", "--repeat", "1", "--filter", "^hash/sha256d$",
                   "--gate", str(p)])
    out = capsys.readouterr().out
    assert rc == 1 and "FELL SHORT" in out and f"no floors for path {taken}" in out


def test_cli_impossible_floor_fails(tmp_path, capsys):
    from ledgerval.hashing import paths

    p = tmp_path / "floors.json"
    p.write_text(json.dumps({"floors": {"hash/sha256": {paths()["sha256"]: {"hashlib": 1e9, "ref": 1e9}}}}))
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
