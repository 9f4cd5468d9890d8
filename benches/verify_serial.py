"""The serial share of ``verify_batch`` by thread CPU time, which a busy machine barely moves (wall-clock
2-thread scaling needs an idle one).

T1 = the calling thread's CPU time for one 1-thread call of a ``ledgerval bench`` verify row; S = the calling
thread's CPU time in a 2-thread call outside the parts that run split over threads (``run_chunks`` with more
than one chunk, ``run_shared`` with helpers).  f = S / T1 bounds 2-thread scaling at 1 / (f + (1 - f) / 2)
(Amdahl; thread hand-offs and imbalance come on top).  Medians of ``--reps`` runs.

    python benches/verify_serial.py [--rows REGEX] [--reps N]
    LEDGERVAL_CPU_FEATURES=SSE41,AVX2,BMI2,ADX,SHA python benches/verify_serial.py     # the AVX2 tier
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time

from ledgerval.bench import cases as C
from ledgerval.bench import workloads as W
from ledgerval.native import _pool, _wei3, hashes, p256, secp256k1, sm2, tier

_state = {"depth": 0, "par": 0}


def _timed(split: bool, call):
    """Run ``call()``; when it splits over threads (outermost only), count the caller's CPU time as parallel."""
    if not split or _state["depth"]:
        return call()
    _state["depth"] += 1
    t0 = time.thread_time_ns()
    try:
        return call()
    finally:
        _state["par"] += time.thread_time_ns() - t0
        _state["depth"] -= 1


def _instrument() -> None:
    chunks, shared = _pool.run_chunks, _pool.run_shared

    def run_chunks(n, threads, fn, min_chunk=1):
        t = _pool.resolve_threads(threads)
        split = n > 0 and min(t, n // max(1, min_chunk)) > 1
        return _timed(split, lambda: chunks(n, threads, fn, min_chunk))

    def run_shared(threads, drain, helpers_wanted, finished):
        split = min(_pool.resolve_threads(threads) - 1, helpers_wanted) > 0
        return _timed(split, lambda: shared(threads, drain, helpers_wanted, finished))

    for mod in (_pool, _wei3, sm2, p256, hashes, secp256k1):
        if hasattr(mod, "run_chunks"):
            mod.run_chunks = run_chunks
        if hasattr(mod, "run_shared"):
            mod.run_shared = run_shared


def measure(case, reps: int) -> tuple[float, float]:
    prep = case.prepare(W.sizes(False))
    for _ in range(3):
        prep.ours(1)
        prep.ours(2)
    t1s, sers = [], []
    for _ in range(reps):
        t0 = time.thread_time_ns()
        prep.ours(1)
        t1s.append(time.thread_time_ns() - t0)
        _state["par"] = 0
        t0 = time.thread_time_ns()
        prep.ours(2)
        sers.append(time.thread_time_ns() - t0 - _state["par"])
    t1s.sort()
    sers.sort()
    return t1s[reps // 2] / 1e3, sers[reps // 2] / 1e3


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default=r"^verify/(ecdsa-p256|sm2)", help="regex over bench row names")
    ap.add_argument("--reps", type=int, default=11)
    args = ap.parse_args(argv)
    _instrument()
    print(f"tier {tier()}  LEDGERVAL_CPU_FEATURES={os.environ.get('LEDGERVAL_CPU_FEATURES', '(unset)')}  "
          f"load {os.getloadavg()[0]:.2f}")
    rx = re.compile(args.rows)
    for case in C.default_cases():
        if case.kind != "verify" or not rx.search(case.name):
            continue
        t1, s = measure(case, args.reps)
        f = s / t1
        print(f"{case.name:28s} 1-thread {t1:8.0f} us  serial {s:6.0f} us = {100 * f:4.1f}%  "
              f"bound {1 / (f + (1 - f) / 2):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
