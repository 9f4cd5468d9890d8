"""Timing: each case runs ledgerval and its peers interleaved, ``repeat`` times, and keeps every run.

Interleaving (ours at each thread count, then every peer, then again) means a burst of load from a neighbour
on a shared machine hits all contenders of a row alike, so their ratio holds even when absolute numbers
wobble.  Every contender is called once untimed first: it compiles JIT kernels, fills caches, and its result
is checked, so a row can never report the speed of a wrong answer.
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Contender:
    """A peer (or ledgerval's reference path, named ``ref``) timed beside the kernel."""

    run: Callable[[], object] | None
    items: int = 0
    check: Callable[[object], bool] | None = None
    absent: str | None = None  # why it cannot run; None when it can


@dataclass
class Prepared:
    """A case's workload, ready to time.  ``ours(threads)`` does the whole batch once; ``check(result)``
    returns None or what is wrong; ``stages(result)`` gives per-stage seconds (end-to-end rows)."""

    items: int
    ours: Callable[[int], object]
    check: Callable[[object], str | None]
    peers: dict[str, Contender] = field(default_factory=dict)
    stages: Callable[[object], dict[str, float]] | None = None
    threaded: bool = True
    extra: dict = field(default_factory=dict)  # e.g. txs per block for blocks/s
    path: str = ""  # the code path ledgerval's side takes (native-avx512, native-ifma, ...): the gate keys on it
    # solo(i, t): slice i of t of ours' batch as its own single-thread call, safe beside the other slices
    # (probe.py: the machine's scaling on this work, in the same run)
    solo: Callable[[int, int], object] | None = None


@dataclass
class Case:
    name: str  # "verify/ecdsa-p256"; the gate and --compare key rows by it
    kind: str  # e2e | verify | hash | merkle
    unit: str  # what one item is: tx, sig, msg, leaf
    prepare: Callable[[dict], Prepared]
    about: str = ""


@dataclass
class Row:
    name: str
    kind: str
    unit: str
    items: int = 0
    threads: int = 1  # the thread count the peer ratios are taken at
    rates: dict[int, list[float]] = field(default_factory=dict)  # threads -> items/s of each run
    peers: dict[str, dict] = field(default_factory=dict)  # name -> {"items_per_s", "ratio"} | {"absent"}
    stages: dict[str, float] = field(default_factory=dict)  # seconds per block (median over runs)
    extra: dict = field(default_factory=dict)
    error: str | None = None
    path: str = ""
    # threads -> items/s of the row's work as independent single-thread slices in each run (probe.py)
    machine: dict[int, list[float]] = field(default_factory=dict)

    def median_rate(self, threads: int | None = None) -> float:
        runs = self.rates.get(self.threads if threads is None else threads) or []
        return statistics.median(runs) if runs else 0.0

    def spread(self, threads: int | None = None) -> float:
        """(max - min) / median of the runs, as a fraction."""
        runs = self.rates.get(self.threads if threads is None else threads) or []
        med = statistics.median(runs) if runs else 0.0
        return (max(runs) - min(runs)) / med if med else 0.0

    def scaling(self) -> float | None:
        ts = sorted(self.rates)
        if len(ts) < 2 or not self.median_rate(ts[0]):
            return None
        return self.median_rate(ts[-1]) / self.median_rate(ts[0])

    def machine_scaling(self) -> float | None:
        """The probe's scaling over the same thread counts in the same runs: what the machine gave this
        row's work, run as independent single-thread slices, while the row was measured (None without a
        probe)."""
        ts = sorted(self.rates)
        if len(ts) < 2 or not all(self.machine.get(t) for t in (ts[0], ts[-1])):
            return None
        lo = statistics.median(self.machine[ts[0]])
        return statistics.median(self.machine[ts[-1]]) / lo if lo else None

    def ratio(self, peer: str) -> float | None:
        p = self.peers.get(peer)
        return None if not p or "ratio" not in p else p["ratio"]

    def best_peer(self) -> tuple[str, float] | None:
        """The headline: the fastest peer measured on this row's work (ledgerval's own reference path
        excluded) and ledgerval's ratio to it, the smallest of the peer ratios."""
        got = [(r, name) for name in self.peers if name != "ref" and (r := self.ratio(name)) is not None]
        if not got:
            return None
        r, name = min(got)
        return name, r

    def peer_spread(self, peer: str) -> float:
        return (self.peers.get(peer) or {}).get("spread", 0.0)

    def to_dict(self) -> dict:
        d = {"name": self.name, "kind": self.kind, "unit": self.unit, "items": self.items,
             "threads": self.threads, "items_per_s": self.median_rate(), "spread": self.spread(),
             "runs": {str(t): v for t, v in self.rates.items()},
             "sweep": {str(t): self.median_rate(t) for t in sorted(self.rates)},
             "scaling": self.scaling(), "machine_scaling": self.machine_scaling(),
             "machine_runs": {str(t): v for t, v in self.machine.items()},
             "peers": self.peers, "stages": self.stages, "extra": self.extra,
             "error": self.error, "path": self.path}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Row":
        r = cls(d["name"], d.get("kind", ""), d.get("unit", ""), d.get("items", 0), d.get("threads", 1))
        r.rates = {int(t): list(v) for t, v in d.get("runs", {}).items()}
        r.machine = {int(t): list(v) for t, v in d.get("machine_runs", {}).items()}
        r.peers, r.stages, r.extra = d.get("peers", {}), d.get("stages", {}), d.get("extra", {})
        r.error, r.path = d.get("error"), d.get("path", "")
        return r


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _loops(one_call_s: float, min_run_s: float) -> int:
    """Calls per timed run so that a run lasts at least ``min_run_s``: a sub-millisecond batch timed once is
    mostly timer and scheduler noise."""
    if one_call_s <= 0:
        return 1000
    return max(1, min(1000, math.ceil(min_run_s / one_call_s)))


def _timed_loops(fn: Callable[[], object], loops: int) -> tuple[float, object]:
    """Seconds per call, averaged over ``loops`` back-to-back calls."""
    t0 = time.perf_counter()
    for _ in range(loops):
        out = fn()
    return (time.perf_counter() - t0) / loops, out


def measure(case: Case, sizes: dict, threads: list[int], repeat: int, *, slowdown: float = 1.0,
            progress: Callable[[str], None] | None = None, min_run_s: float = 0.02, probe=None) -> Row:
    """Time ``case``; ``slowdown`` > 1 makes ledgerval's side that many times slower (an injected delay after
    each call: the regression-gate tests use it to show a slower kernel fails the gate).  ``probe`` (a
    ``probe.SoloProbe``) times the case's ``solo`` slices at every thread count right after ours in each run
    of a thread sweep, so the row carries the machine's own scaling on its work (``Row.machine_scaling``)."""
    row = Row(case.name, case.kind, case.unit)
    say = progress or (lambda _msg: None)
    say(f"{case.name}: preparing workload")
    try:
        prep = case.prepare(sizes)
    except NotImplementedError as exc:
        row.error = f"not available: {exc}"
        return row
    except (ImportError, LookupError) as exc:
        row.error = f"not available: {exc}"
        return row
    row.items, row.extra, row.path = prep.items, dict(prep.extra), prep.path
    ts = sorted(set(threads)) if prep.threaded else [min(threads)]
    row.threads = ts[0]
    say(f"{case.name}: warm-up and checks")
    loops: dict[object, int] = {}
    for t in ts:
        t0 = time.perf_counter()
        first = prep.ours(t)
        if t == ts[0]:
            # Reported as "1st call": JIT compilation (or the Numba cache load), table building, cache fills.
            row.extra["first_call_s"] = time.perf_counter() - t0
        problem = prep.check(first)
        if problem:
            row.error = f"WRONG RESULT at threads={t}: {problem}"
            return row
        loops[t] = _loops(_timed(lambda: prep.ours(t))[0], min_run_s)  # the first call compiled and filled caches
    live: dict[str, Contender] = {}
    for name, c in prep.peers.items():
        if c.absent or c.run is None:
            row.peers[name] = {"absent": c.absent or "not installed"}
            continue
        try:
            dt, res = _timed(c.run)
        except Exception as exc:  # a peer's failure is a note in the table, never the bench's failure
            row.peers[name] = {"absent": f"failed: {type(exc).__name__}: {exc}"[:120]}
            continue
        if c.check is not None and not c.check(res):
            row.peers[name] = {"absent": "gave wrong results on the workload (excluded)"}
            continue
        live[name] = c
        loops[name] = _loops(dt, min_run_s)
    peer_rates: dict[str, list[float]] = {n: [] for n in live}
    stage_runs: list[dict[str, float]] = []
    for r in range(repeat):
        say(f"{case.name}: run {r + 1}/{repeat}")
        for t in ts:
            dt, out = _timed_loops(lambda: prep.ours(t), loops[t])
            if slowdown > 1.0:
                time.sleep(dt * loops[t] * (slowdown - 1.0))
                dt *= slowdown
            row.rates.setdefault(t, []).append(prep.items / dt if dt > 0 else float("inf"))
            if prep.stages is not None and t == ts[0]:
                stage_runs.append(prep.stages(out))
        if probe is not None and prep.solo is not None and len(ts) > 1:
            for t in ts:
                row.machine.setdefault(t, []).append(probe.rate(prep.solo, prep.items, t, loops[t]))
        for name, c in live.items():
            dt, _ = _timed_loops(c.run, loops[name])
            peer_rates[name].append(c.items / dt if dt > 0 else float("inf"))
    ours = row.median_rate()
    for name, rates in peer_rates.items():
        med = statistics.median(rates)
        row.peers[name] = {"items_per_s": med, "ratio": ours / med if med else None,
                           "spread": (max(rates) - min(rates)) / med if med else 0.0}
    if stage_runs:
        keys = list(dict.fromkeys(k for s in stage_runs for k in s))  # pipeline order, as the Report has it
        row.stages = {k: statistics.median(s.get(k, 0.0) for s in stage_runs) for k in keys}
    return row
