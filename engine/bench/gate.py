"""Regression gates: ratio floors (``--gate FLOORS.json``) and change against a saved run (``--compare``).

Floors file::

    {"floors": {"verify/ecdsa-p256": {"cryptography": 1.2, "ref": 50},
                "merkle/sha256-rfc6962": {"hashlib": 2.0, "ref": 5, "scaling": 1.2}}}

For each row the references are tried in the order written and the first one measured in this run is
checked: ledgerval's throughput divided by that reference's must be at least the floor.  ``ref`` (the
reference path) is always measured, so listing it last means a row always has a ratio, whichever peers the
machine has.  ``scaling`` (throughput at the most threads / at one thread) is checked on its own when the
row had a thread sweep.  A row in the file that was filtered out of the run is skipped; a row that failed
(wrong result, missing API) fails the gate.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from .harness import Row
from .report import si, table


@dataclass
class Check:
    row: str
    against: str
    measured: float | None
    floor: float | None
    status: str  # pass | FAIL | skip
    note: str = ""


def load_floors(path: str) -> dict[str, dict[str, float]]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    floors = data.get("floors", data)
    if not isinstance(floors, dict):
        raise ValueError(f"{path}: 'floors' must map row names to {{reference: floor}}")
    out = {}
    for name, refs in floors.items():
        if name.startswith("_"):
            continue
        if not isinstance(refs, dict) or not all(isinstance(v, (int, float)) for k, v in refs.items()
                                                 if not k.startswith("_")):
            raise ValueError(f"{path}: floors[{name!r}] must map reference names to numbers")
        out[name] = {k: float(v) for k, v in refs.items() if not k.startswith("_")}
    return out


def check_floors(rows: list[Row], floors: dict[str, dict[str, float]]) -> list[Check]:
    by_name = {r.name: r for r in rows}
    checks: list[Check] = []
    for name, refs in floors.items():
        row = by_name.get(name)
        if row is None:
            checks.append(Check(name, "-", None, None, "skip", "not in this run (filtered out)"))
            continue
        if row.error:
            checks.append(Check(name, "-", None, None, "FAIL", row.error))
            continue
        ratio_refs = [k for k in refs if k != "scaling"]
        if ratio_refs:
            chosen = next((k for k in ratio_refs if row.ratio(k) is not None), None)
            if chosen is None:
                checks.append(Check(name, "/".join(ratio_refs), None, None, "FAIL",
                                    "none of the references was measured"))
            else:
                got, floor = row.ratio(chosen), refs[chosen]
                checks.append(Check(name, chosen, got, floor, "pass" if got >= floor else "FAIL"))
        if "scaling" in refs:
            sc = row.scaling()
            if sc is None:
                checks.append(Check(name, "scaling", None, refs["scaling"], "skip", "no thread sweep in this run"))
            else:
                checks.append(Check(name, "scaling", sc, refs["scaling"], "pass" if sc >= refs["scaling"] else "FAIL"))
    return checks


def render_checks(checks: list[Check], only_failures: bool = False) -> str:
    shown = [c for c in checks if c.status == "FAIL"] if only_failures else checks
    body = [[c.row, c.against, "-" if c.measured is None else f"{c.measured:.2f}x",
             "-" if c.floor is None else f"{c.floor:.2f}x", c.status, c.note] for c in shown]
    return table(["row", "against", "ratio", "floor", "result", "note"], body)


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
