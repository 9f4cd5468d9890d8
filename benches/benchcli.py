"""The small command line the per-kernel benchmark files share (``python benches/bench_native_X.py``).

Each file supplies its ``measure(n, reps)``, which returns ``{"per_sig": {case: {min_us, median_us, max_us,
items_per_s}}, RATIO_KEY: {case or summary name: ratio}}``; this module parses the options, prints the
configuration line, the per-case table and the summary ratios, and writes ``--json``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
from typing import Callable

import numpy as np

from ledgerval.native import cpu_features, tier


def run(argv: list[str], *, doc: str, cases: list[str], measure: Callable[[int, int], dict], peer: str,
        ratio_key: str, ratio_label: str, workload: str, summaries: list[tuple[str, str]],
        default_n: int = 256) -> int:
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--n", type=int, default=default_n, help="signatures per call")
    ap.add_argument("--reps", type=int, default=7, help="interleaved repetitions (min/median/max over them)")
    ap.add_argument("--quick", action="store_true", help="n=64, 2 reps")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--filter", default="", help="only print cases containing this")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    a = ap.parse_args(argv)
    if a.list:
        print("\n".join(cases))
        return 0
    if a.quick:
        a.n, a.reps = 64, 2
    peer_mod = importlib.import_module(peer)
    feats = " ".join(k for k, v in cpu_features().items() if v)
    print(f"python {platform.python_version()}  numpy {np.__version__}  {peer} "
          f"{getattr(peer_mod, '__version__', '?')}  cpus {os.cpu_count()}  tier {tier()}  features {feats}")
    print(f"n={a.n} reps={a.reps}  {workload}")
    r = measure(a.n, a.reps)
    ratios = r[ratio_key]
    width = max([len(k) for k in r["per_sig"]] + [16])
    print(f"{'case':{width}s} {'min us':>9s} {'median':>9s} {'max':>9s} {'sig/s':>10s} {ratio_label:>11s}")
    for k, v in r["per_sig"].items():
        if a.filter in k:
            print(f"{k:{width}s} {v['min_us']:9.2f} {v['median_us']:9.2f} {v['max_us']:9.2f} "
                  f"{v['items_per_s']:10.0f} {ratios[k]:11.2f}")
    for label, name in summaries:
        print(f"{label}: {ratios[name]:.2f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=1)
    return 0


def e2e_args(doc: str, argv: list[str], cases: list[str], reps: int = 9, extra=None):
    """The options every end-to-end bench CLI takes (--reps, --quick: 3 reps, --json, --filter, --list),
    plus those ``extra(parser)`` adds; None after printing the cases when --list was asked."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--reps", type=int, default=reps)
    ap.add_argument("--quick", action="store_true", help="3 reps")
    ap.add_argument("--json", help="write results to this file")
    ap.add_argument("--filter", default="", help="only print cases containing this")
    ap.add_argument("--list", action="store_true")
    if extra is not None:
        extra(ap)
    a = ap.parse_args(argv)
    if a.list:
        print("\n".join(cases))
        return None
    if a.quick:
        a.reps = 3
    return a


def threads_arg(ap) -> None:
    """``--threads N``: only that thread count (the end-to-end benches time 1 and 2 by default)."""
    ap.add_argument("--threads", type=int, default=None, help="only this thread count (default: 1 and 2)")


def write_json(path: str | None, data) -> None:
    """``--json FILE``: the results as the bench measured them (nothing is written without the option)."""
    if path:
        with open(path, "w") as f:
            json.dump(data, f, indent=1)


def config_line() -> str:
    """Versions, cores, load, the CPU tier and features: the first line every bench CLI prints."""
    from ledgerval.native import tier

    feats = " ".join(k for k, v in cpu_features().items() if v)
    return (f"python {platform.python_version()}  numpy {np.__version__}  cpus {os.cpu_count()}  "
            f"load {os.getloadavg()[0]:.1f}  tier {tier()}  features {feats}")


def interleaved(cases: dict[str, Callable[[], object]], n: int, reps: int) -> dict[str, dict]:
    """Time each case ``reps`` times, the cases interleaved so load from other processes hits them alike
    (after one untimed warm-up call each); per case: min/median/max microseconds per item and items/s."""
    import statistics
    import time

    for c in cases.values():
        c()
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(reps):
        for k, c in cases.items():
            t = time.perf_counter()
            c()
            times[k].append(time.perf_counter() - t)
    return {k: {"min_us": min(ts) / n * 1e6, "median_us": statistics.median(ts) / n * 1e6,
                "max_us": max(ts) / n * 1e6, "items_per_s": n / min(ts)} for k, ts in times.items()}


def ratios_to(res: dict[str, dict], base: str) -> dict[str, float]:
    """Each case's speed relative to ``base`` (best runs): > 1 means faster than the base."""
    b = res[base]["min_us"]
    return {k: b / v["min_us"] for k, v in res.items()}


def check_floors(ratios: dict[str, float], enabled: bool, floors: dict[str, tuple[float, float]],
                 scaling: float = 1.8) -> None:
    """The pytest gate of a per-kernel bench: each ratio at least its (issue floor, sanity floor), the first
    when measuring for real (``--benchmark-enable``), the second under the normal test command, where
    one-shot timings on shared cores only catch gross regressions; two threads at least ``scaling`` times
    one, checked only when measuring for real on two or more cores."""
    print(json.dumps(ratios, indent=1))
    for key, (floor, sanity) in floors.items():
        assert ratios[key] >= (floor if enabled else sanity), (key, ratios[key])
    if enabled and (os.cpu_count() or 1) >= 2:
        assert ratios["threads_2_vs_1"] >= scaling, ratios["threads_2_vs_1"]
