"""``ledgerval bench``: measure, print the configuration and the table, and gate.

A row that falls below its floor is measured again, up to GATE_ATTEMPTS in all, and judged on the last.

Exit status: 0 done (and every gate passed); 1 a gate failed, a row fell below its floor or regressed
beyond ``--fail-above``, or ledgerval gave a wrong result on the workload; 2 bad arguments or unreadable
floors/compare files.

Progress goes to stderr: on a terminal one line that rewrites itself, otherwise one short line per row (so
CI logs show where time goes); ``--quiet`` turns it off.  Results go to stdout.

Testing hook: ``LEDGERVAL_BENCH_SLOWDOWN="REGEX=FACTOR[,REGEX=FACTOR]"`` makes ledgerval's side of the
matching rows FACTOR times slower (a real delay after each call), to show that the gate catches a slower
kernel.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

from . import config, gate, plot, report
from .cases import default_cases
from .harness import measure
from .probe import SoloProbe
from .workloads import sizes as default_sizes

# A row that falls short of its floor is measured again, up to this many attempts in all.
GATE_ATTEMPTS = 3


def register(sub) -> None:
    p = sub.add_parser("bench", help="benchmark the kernels and the end-to-end pipeline against peers",
                       description="Measure ledgerval on an embedded workload, side by side with installed "
                                   "peer libraries, and optionally gate on ratio floors or a saved run.")
    p.add_argument("--quick", action="store_true", help="smaller workloads and 3 runs (CI; under a minute)")
    p.add_argument("--filter", metavar="REGEX", help="only rows whose name matches (re.search)")
    p.add_argument("--list", action="store_true", help="list the rows and exit")
    p.add_argument("--threads", metavar="N[,N...]",
                   help="thread counts to measure (default: 1, 2, 4, ... up to every core, plus every core)")
    p.add_argument("--repeat", type=int, metavar="N", help="timed runs per row (default 5, 3 with --quick)")
    p.add_argument("--json", metavar="FILE", help="write configuration and every run to FILE")
    p.add_argument("--wide", action="store_true",
                   help="every peer's ratio, the reference path's and the end-to-end stages (wider than 120)")
    p.add_argument("--plot", metavar="FILE.png",
                   help="draw each row's ratio to its best peer and the thread scaling (needs matplotlib)")
    p.add_argument("--gate", metavar="FLOORS.json", help="exit 1 when a row's ratio is below its floor")
    p.add_argument("--compare", metavar="OLD.json", help="print the change per row against a saved --json run")
    p.add_argument("--fail-above", type=float, metavar="PCT",
                   help="with --compare: exit 1 when a row is more than PCT%% slower")
    p.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    p.set_defaults(func=run)


def thread_counts(spec: str | None, cores: int) -> list[int]:
    if spec:
        try:
            ts = sorted({int(x) for x in spec.split(",") if x.strip()})
        except ValueError:
            raise argparse.ArgumentTypeError(f"--threads takes integers like 1,2,4, got {spec!r}") from None
        if not ts or ts[0] < 1:
            raise argparse.ArgumentTypeError("--threads values must be >= 1")
        return ts
    ts, t = [], 1
    while t < cores:
        ts.append(t)
        t *= 2
    return ts + [cores]


def parse_slowdown(spec: str | None) -> list[tuple[re.Pattern, float]]:
    out = []
    for part in (spec or "").split(","):
        if "=" in part:
            pat, factor = part.rsplit("=", 1)
            out.append((re.compile(pat), float(factor)))
    return out


class Progress:
    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total, self.tty = enabled, total, sys.stderr.isatty()
        self.i, self.t0, self.width = 0, time.perf_counter(), 0

    def start_row(self, i: int):
        self.i = i

    def __call__(self, msg: str):
        if not self.enabled or not self.tty:
            return
        line = f"[{self.i}/{self.total} {time.perf_counter() - self.t0:5.1f}s] {msg}"
        pad = max(0, self.width - len(line))
        self.width = len(line)
        sys.stderr.write("\r" + line + " " * pad)
        sys.stderr.flush()

    def row_done(self, name: str, seconds: float, error: str | None):
        if not self.enabled:
            return
        if self.tty:
            sys.stderr.write("\r" + " " * self.width + "\r")
            self.width = 0
        else:
            status = "" if not error else f" ({error[:60]})"
            sys.stderr.write(f"bench [{self.i}/{self.total}] {name} {seconds:.1f}s{status}\n")
        sys.stderr.flush()


def run(args) -> int:
    cases = default_cases()
    if args.filter:
        try:
            rx = re.compile(args.filter)
        except re.error as exc:
            print(f"ledgerval bench: bad --filter: {exc}", file=sys.stderr)
            return 2
        cases = [c for c in cases if rx.search(c.name)]
    if args.list:
        for c in cases:
            print(f"{c.name:28s} {c.unit:5s} {c.about}")
        return 0
    if args.fail_above is not None and not args.compare:
        print("ledgerval bench: --fail-above needs --compare OLD.json", file=sys.stderr)
        return 2
    if args.repeat is not None and args.repeat < 1:
        print("ledgerval bench: --repeat must be >= 1", file=sys.stderr)
        return 2
    from ledgerval.native._pool import cpu_count

    try:
        threads = thread_counts(args.threads, cpu_count())
        floors = gate.load_floors(args.gate) if args.gate else None
        old_rows = gate.load_rows(args.compare) if args.compare else None
    except (argparse.ArgumentTypeError, OSError, ValueError, KeyError) as exc:
        print(f"ledgerval bench: {exc}", file=sys.stderr)
        return 2
    repeat = args.repeat or (3 if args.quick else 5)
    sz = default_sizes(args.quick)
    slow = parse_slowdown(os.environ.get("LEDGERVAL_BENCH_SLOWDOWN"))

    cfg = config.collect(threads)
    cfg.update(quick=bool(args.quick), repeat=repeat, sizes=sz)
    print(config.format_header(cfg))
    print(f"workload: {'quick' if args.quick else 'full'}, {repeat} runs per row, median shown; "
          f"spread = (max - min) / median of the runs")
    sys.stdout.flush()

    prog = Progress(not args.quiet, len(cases))
    probe = SoloProbe() if len(threads) > 1 else None

    def measure_row(i, case):
        prog.start_row(i)
        factor = max([f for rx, f in slow if rx.search(case.name)], default=1.0)
        t0 = time.perf_counter()
        row = measure(case, sz, threads, repeat, slowdown=factor, progress=prog, min_run_s=sz["min_run_s"],
                      probe=probe)
        prog.row_done(case.name, time.perf_counter() - t0, row.error)
        return row

    t_start = time.perf_counter()
    rows = [measure_row(i, case) for i, case in enumerate(cases, 1)]
    elapsed = time.perf_counter() - t_start
    print()
    print(report.render(rows, wide=args.wide))
    print(f"\n{len(rows)} rows in {elapsed:.1f}s")

    status = 0
    if any(r.error and r.error.startswith("WRONG") for r in rows):
        status = 1
    if floors is not None:
        checks = gate.check_floors(rows, floors)
        for attempt in range(2, GATE_ATTEMPTS + 1):
            # Noise on a shared machine only ever slows a contender down, and a burst can hit ours more than
            # the peer's; a real regression falls short on every attempt.  Judged on the last measurement.
            short = {c.row for c in checks if c.status == "FAIL" and c.measured is not None}
            if not short:
                break
            print(f"\nGate: {', '.join(sorted(short))} fell short; measuring again (attempt {attempt} of "
                  f"{GATE_ATTEMPTS})")
            rows = [measure_row(i, case) if case.name in short else row
                    for i, (case, row) in enumerate(zip(cases, rows), 1)]
            checks = gate.check_floors(rows, floors)
        failed = [c for c in checks if c.status == "FAIL"]
        print(f"\nGate {args.gate}: {len(checks) - len(failed)} of {len(checks)} checks pass"
              + (" (skipped rows count as passing)" if any(c.status == "skip" for c in checks) else ""))
        if failed:
            print("FELL SHORT:\n" + gate.render_checks(failed))
            status = 1
        else:
            print(gate.render_checks(checks))
    if old_rows is not None:
        changes = gate.compare(old_rows, rows)
        print(f"\nChange against {args.compare} (items/s, + is faster)")
        print(gate.render_changes(changes, args.fail_above) if changes else "  no rows in common")
        if args.fail_above is not None:
            worse = gate.regressions(changes, args.fail_above)
            if worse:
                print(f"{len(worse)} row(s) more than {args.fail_above:g}% slower")
                status = 1
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"config": cfg, "elapsed_s": elapsed, "rows": [r.to_dict() for r in rows]}, f, indent=1)
    if args.plot:
        err = plot.draw(rows, args.plot, cfg)
        print(f"plot: {err}" if err else f"plot written to {args.plot}", file=sys.stderr if err else sys.stdout)
    return status
