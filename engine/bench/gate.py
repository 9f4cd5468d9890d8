"""Regression gates: ratio floors (``--gate FLOORS.json``) and change against a saved run (``--compare``).

Floors are keyed by row, then by the code path the row took in this run (``Row.path``: ``native-avx512``,
``native-avx2``, ``native-shani``, ``native-portable`` for hashing and Merkle rows, ``native-ifma`` or
``native-portable`` for signatures)::

    {"floors": {"hash/sm3": {"native-avx512": {"hashlib": 8, "ref": 1000},
                             "native-portable": {"hashlib": 1.2, "ref": 100}},
                "verify/ecdsa-p256": {"native-ifma": {"cryptography": 2.5, "ref": 50, "scaling": 1.3}}}}

So one file serves AVX-512, AVX2 and portable machines (and ``LEDGERVAL_CPU_FEATURES`` runs): each row is
held to the floors of the path it actually took, and a kernel that slows down on its path fails.  A row
whose path has no floors in the file FAILS, loudly: a new or unexpected path (a kernel family that fell
back to ``reference`` or ``numba`` because the compiled module is missing, or a new dispatch path nobody
measured yet) must be looked at and given floors, never pass unchecked.  That the dispatcher picks the best
path the CPU allows is the dispatch tests' business (tests/test_native_hashes.py and the tier tests); the
gate trusts the path a row reports.

Within a path, the references are tried in the order written and the first one measured in this run is
checked: ledgerval's throughput divided by that reference's must be at least the floor.  ``ref`` (the
reference path) is always measured, so listing it last means a row always has a ratio, whichever peers the
machine has.  ``scaling`` (throughput at the most threads / at one thread) is checked on its own when the
row had a thread sweep; its note gives the machine's own scaling on the row's work in the same runs
(``Row.machine_scaling``, probe.py), so a failure the host caused says so.  Rows not in the file are not
gated; a row in the file that was filtered out of the run is skipped; a row that failed (wrong result,
missing API) fails the gate.  Keys starting with ``_`` are comments, at every level.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from .harness import Row
from .report import si, table

Floors = dict[str, dict[str, dict[str, float]]]  # row -> path -> reference -> minimum ratio


@dataclass
class Check:
    row: str
    path: str
    against: str
    measured: float | None
    floor: float | None
    status: str  # pass | FAIL | skip
    note: str = ""


def _entries(d: dict) -> dict:
    return {k: v for k, v in d.items() if not k.startswith("_")}


def load_floors(path: str) -> Floors:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    floors = data.get("floors", data) if isinstance(data, dict) else data
    if not isinstance(floors, dict):
        raise ValueError(f"{path}: 'floors' must map row names to {{path: {{reference: floor}}}}")
    out: Floors = {}
    for name, by_path in _entries(floors).items():
        if not isinstance(by_path, dict) or not all(isinstance(v, dict) for v in _entries(by_path).values()):
            raise ValueError(f"{path}: floors[{name!r}] must map code paths (native-avx512, native-portable, "
                             "...) to {reference: floor}")
        out[name] = {}
        for code_path, refs in _entries(by_path).items():
            refs = _entries(refs)
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in refs.values()):
                raise ValueError(f"{path}: floors[{name!r}][{code_path!r}] must map reference names to numbers")
            out[name][code_path] = {k: float(v) for k, v in refs.items()}
    return out


def check_floors(rows: list[Row], floors: Floors) -> list[Check]:
    by_name = {r.name: r for r in rows}
    checks: list[Check] = []
    for name, by_path in floors.items():
        row = by_name.get(name)
        if row is None:
            checks.append(Check(name, "-", "-", None, None, "skip", "not in this run (filtered out)"))
            continue
        if row.error:
            checks.append(Check(name, row.path or "-", "-", None, None, "FAIL", row.error))
            continue
        refs = by_path.get(row.path)
        if refs is None:
            checks.append(Check(name, row.path or "-", "-", None, None, "FAIL",
                                f"no floors for path {row.path or '(none)'}; the file has: {', '.join(by_path)}"))
            continue
        ratio_refs = [k for k in refs if k != "scaling"]
        if ratio_refs:
            chosen = next((k for k in ratio_refs if row.ratio(k) is not None), None)
            if chosen is None:
                checks.append(Check(name, row.path, "/".join(ratio_refs), None, None, "FAIL",
                                    "none of the references was measured"))
            else:
                got, floor = row.ratio(chosen), refs[chosen]
                checks.append(Check(name, row.path, chosen, got, floor, "pass" if got >= floor else "FAIL"))
        if "scaling" in refs:
            sc, floor = row.scaling(), refs["scaling"]
            if sc is None:
                checks.append(Check(name, row.path, "scaling", None, floor, "skip", "no thread sweep in this run"))
            else:
                ms = row.machine_scaling()
                note = "" if ms is None else f"the machine itself: {ms:.2f}x" + (
                    " (below the floor: the host was taking capacity; rerun when it is quieter)" if ms < floor else "")
                checks.append(Check(name, row.path, "scaling", sc, floor, "pass" if sc >= floor else "FAIL", note))
    return checks


def render_checks(checks: list[Check], only_failures: bool = False) -> str:
    shown = [c for c in checks if c.status == "FAIL"] if only_failures else checks
    body = [[c.row, c.path, c.against, "-" if c.measured is None else f"{c.measured:.2f}x",
             "-" if c.floor is None else f"{c.floor:.2f}x", c.status, c.note] for c in shown]
    return table(["row", "path", "against", "ratio", "floor", "result", "note"], body, align_left=3)


# --- --compare OLD.json ---------------------------------------------------------------------------------------

def load_rows(path: str) -> list[Row]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return [Row.from_dict(d) for d in data.get("rows", [])]


@dataclass
class Change:
    row: str
    threads: int
    old: float
    new: float

    @property
    def pct(self) -> float:
        return 100.0 * (self.new / self.old - 1.0) if self.old else 0.0


def compare(old: list[Row], new: list[Row]) -> list[Change]:
    before = {r.name: r for r in old if not r.error}
    out = []
    for r in new:
        o = before.get(r.name)
        if o is None or r.error:
            continue
        for t in sorted(r.rates):
            if t in o.rates and o.median_rate(t):
                out.append(Change(r.name, t, o.median_rate(t), r.median_rate(t)))
    return out


def render_changes(changes: list[Change], fail_above: float | None) -> str:
    body = []
    for c in changes:
        flag = "SLOWER" if fail_above is not None and c.pct < -fail_above else ""
        body.append([c.row, str(c.threads), f"{si(c.old)}/s", f"{si(c.new)}/s", f"{c.pct:+.1f}%", flag])
    return table(["row", "thr", "old", "new", "change", ""], body)


def regressions(changes: list[Change], fail_above: float) -> list[Change]:
    return [c for c in changes if c.pct < -fail_above]
