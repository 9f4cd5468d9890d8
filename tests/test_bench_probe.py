"""The machine probe beside each thread sweep: the row's own work as independent single-thread slices run at
once (engine/bench/probe.py), recorded per run, shown in the sweep table and named in the gate's scaling
check."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from ledgerval.bench import gate, report
from ledgerval.bench.cases import default_cases
from ledgerval.bench.harness import Case, Prepared, Row, measure
from ledgerval.bench.probe import SoloProbe, share
from ledgerval.bench.workloads import sizes


def test_share_cuts_a_range_into_contiguous_near_equal_slices():
    for n in (0, 1, 7, 1024):
        for t in (1, 2, 3, 8):
            parts = [share(n, i, t) for i in range(t)]
            assert [x for p in parts for x in range(n)[p]] == list(range(n))
            assert max(len(range(n)[p]) for p in parts) - min(len(range(n)[p]) for p in parts) <= 1


def test_probe_runs_each_slice_once_per_loop_on_its_own_thread():
    seen, lock = [], threading.Lock()
    together = threading.Barrier(3, timeout=10)   # broken (an error) unless the 3 slices of a loop run at once

    def solo(i, t):
        together.wait()
        with lock:
            seen.append((i, t, threading.get_ident()))

    probe = SoloProbe()
    try:
        rate = probe.rate(solo, 100, 3, loops=4)
    finally:
        probe.close()
    assert rate > 0
    assert sorted((i, t) for i, t, _ in seen) == sorted([(i, 3) for i in range(3)] * 4)
    assert len({ident for i, _, ident in seen if i == 0}) == 1
    assert len({ident for _, _, ident in seen}) == 3          # the caller and two helpers


def _case(solo):
    def prepare(_sizes):
        return Prepared(1000, lambda t: sum(range(1000)), lambda res: None, {}, solo=solo)

    return Case("synthetic/probe", "verify", "item", prepare)


def test_measure_records_the_machine_only_for_a_sweep_with_a_solo():
    calls = []
    probe = SoloProbe()
    try:
        swept = measure(_case(lambda i, t: calls.append((i, t))), {}, [1, 2], 3, probe=probe)
        single = measure(_case(lambda i, t: calls.append((i, t))), {}, [2], 3, probe=probe)
        no_solo = measure(_case(None), {}, [1, 2], 3, probe=probe)
    finally:
        probe.close()
    assert sorted(swept.machine) == [1, 2] and all(len(v) == 3 for v in swept.machine.values())
    assert swept.machine_scaling() is not None and swept.machine_scaling() > 0
    assert {(i, t) for i, t in calls} == {(0, 1), (0, 2), (1, 2)}
    assert single.machine == {} and single.machine_scaling() is None
    assert no_solo.machine == {} and no_solo.machine_scaling() is None


def _swept(ours2, machine2):
    r = Row("verify/x", "verify", "sig", items=1024, path="native-adx")
    r.rates = {1: [100.0, 100.0, 100.0], 2: [ours2] * 3}
    r.machine = {1: [50.0, 50.0], 2: [machine2] * 2}
    r.peers = {"coincurve": {"items_per_s": 40.0, "ratio": 2.5, "spread": 0.0}}
    return r


def test_sweep_table_shows_the_machine_and_the_share_of_it():
    text = report.sweep_table([_swept(150.0, 75.0)])
    line = next(ln for ln in text.splitlines() if ln.startswith("verify/x"))
    assert line.split()[-4:] == ["1.50x", "75%", "1.50x", "100%"]
    assert "machine" in text.splitlines()[0] and "of machine" in text.splitlines()[0]
    assert "independent single-thread slices" in report.render([_swept(150.0, 75.0)])
    plain = _swept(150.0, 75.0)
    plain.machine = {}
    assert "machine" not in report.sweep_table([plain])


def test_gate_scaling_check_names_what_the_machine_gave():
    floors = {"verify/x": {"native-adx": {"scaling": 1.85}}}
    host_busy = gate.check_floors([_swept(140.0, 72.0)], floors)[0]
    assert host_busy.status == "FAIL" and "1.44x" in host_busy.note and "host" in host_busy.note
    ours_short = gate.check_floors([_swept(160.0, 99.0)], floors)[0]
    assert ours_short.status == "FAIL" and "1.98x" in ours_short.note and "host" not in ours_short.note
    assert gate.check_floors([_swept(195.0, 99.0)], floors)[0].status == "pass"


def test_machine_runs_survive_the_json_round_trip():
    r = _swept(190.0, 98.0)
    back = Row.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back.machine == r.machine and back.machine_scaling() == pytest.approx(1.96)


@pytest.mark.parametrize("name", ["verify/ecdsa-p256/once", "verify/sm2", "hash/sm3", "merkle/sha256d-bitcoin"])
def test_real_solo_slices_give_the_rows_own_results(name):
    """Each row's slices are its own work: put together, their results are the whole batch's (verdicts,
    digests) or, for a Merkle row, roots of the two halves."""
    case = next(c for c in default_cases() if c.name == name)
    prep = case.prepare(sizes(True))
    assert prep.solo is not None
    whole = prep.ours(1)
    parts = [prep.solo(i, 2) for i in range(2)]
    if case.kind == "merkle":
        assert all(isinstance(p, bytes) and len(p) == 32 for p in parts) and parts[0] != parts[1]
    else:
        assert np.array_equal(np.concatenate([np.asarray(p) for p in parts]), np.asarray(whole))
