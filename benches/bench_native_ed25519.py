"""Ed25519 native kernels: batch verification vs libsodium (PyNaCl) single verification, single vs single,
and 2 threads vs 1 — ratios measured in the same run.

Under the normal test command (``--benchmark-disable``) each runs once as a sanity test with loose gates;
``pytest benches/bench_native_ed25519.py --benchmark-enable`` gates on the issue's floors (batch >= 2x
libsodium single; 2 threads >= 1.8x one).  CLI: ``python benches/bench_native_ed25519.py [--n N] [--quick]
[--json FILE] [--filter SUBSTR] [--list]`` prints the configuration, then min/median/max and items/s.
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import pytest
from benchcli import check_floors

from ledgerval.native import ed25519 as E

pytestmark = pytest.mark.skipif(not E.AVAILABLE, reason="native ed25519 kernels not built")


def workload(n: int, seed: int = 1, senders: int | None = None):
    """n valid signatures over 32-byte messages (tx hashes in LVB1), keys and signatures as arrays; keys
    distinct per signature, or ``senders`` keys signing in turn (a consortium chain's repeat signers)."""
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 256, (senders or n, 32), dtype=np.uint8)
    if senders:
        seeds = np.ascontiguousarray(seeds[np.arange(n) % senders])
    buf = rng.integers(0, 256, 32 * n, dtype=np.uint8)
    offs = np.arange(n + 1, dtype=np.int64) * 32
    return E.pubkeys(seeds), buf, offs, E.sign(seeds, buf, offs)


def _timeit(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def nacl_single(keys, buf, offs, sigs):
    """A callable verifying every item with libsodium's crypto_sign_verify_detached, one at a time."""
    signing = pytest.importorskip("nacl.signing") if "pytest" in sys.modules else __import__("nacl.signing").signing
    vks = [signing.VerifyKey(bytes(k)) for k in keys]
    msgs = [bytes(buf[offs[i]:offs[i + 1]]) for i in range(len(keys))]
    ss = [bytes(s) for s in sigs]

    def run():
        for vk, m, s in zip(vks, msgs, ss):
            vk.verify(m, s)
    return run


def _fresh(fn):
    """Distinct-key cases start from an empty key cache every time (else the third repetition would find
    every key cached): they measure the one-off key's cost, lookup included."""
    def run():
        E.key_cache.clear()
        return fn()
    return run


# Measured (2-core EPYC, AVX-512 IFMA, one thread, 2,048 signatures, min of 7 interleaved runs, us per
# signature), before the key cache -> with it:
#   64 senders in turn:  batch 6.67 -> 6.0, portable batch 21.9 -> 18.0, single 37.3 -> 36.9
#   distinct keys:       batch 6.70 -> 6.8 (lookup about 0.2 us), single unchanged within noise
CASES = ["nacl_single", "native_single_1t", "native_batch_1t", "native_batch_2t", "native_batch_1t_nocache",
         "native_batch_1t_repeat64", "native_batch_1t_repeat64_nocache"]


def measure(n: int = 256, reps: int = 5) -> dict[str, dict]:
    """Per-signature seconds (min over reps) of each configuration, and the ratios."""
    keys, buf, offs, sigs = workload(n)
    rk, rb, ro, rs = workload(n, seed=2, senders=64)
    cases = {
        "nacl_single": nacl_single(keys, buf, offs, sigs),
        "native_single_1t": _fresh(lambda: E.verify(keys, buf, offs, sigs, threads=1, method="single")),
        "native_batch_1t": _fresh(lambda: E.verify(keys, buf, offs, sigs, threads=1, method="batch")),
        "native_batch_2t": _fresh(lambda: E.verify(keys, buf, offs, sigs, threads=2, method="batch")),
        "native_batch_1t_nocache": lambda: E.verify(keys, buf, offs, sigs, threads=1, method="batch", cache=False),
        "native_batch_1t_repeat64": lambda: E.verify(rk, rb, ro, rs, threads=1, method="batch"),
        "native_batch_1t_repeat64_nocache": lambda: E.verify(rk, rb, ro, rs, threads=1, method="batch",
                                                             cache=False),
    }
    for c in cases.values():      # warm-up: base table, pools
        c()
    res = {}
    # Interleave the cases so load from other processes hits them alike.
    times = {k: [] for k in cases}
    for _ in range(reps):
        for k, c in cases.items():
            times[k] += _timeit(c, 1)
    for k, ts in times.items():
        res[k] = {"min_us": min(ts) / n * 1e6, "median_us": statistics.median(ts) / n * 1e6,
                  "max_us": max(ts) / n * 1e6, "items_per_s": n / min(ts)}
    base = res["nacl_single"]["min_us"]
    ratios = {k: base / v["min_us"] for k, v in res.items()}
    ratios["threads_2_vs_1"] = res["native_batch_1t"]["min_us"] / res["native_batch_2t"]["min_us"]
    ratios["repeat64_cache_vs_nocache"] = (res["native_batch_1t_repeat64_nocache"]["min_us"]
                                           / res["native_batch_1t_repeat64"]["min_us"])
    return {"n": n, "per_sig": res, "ratio_vs_nacl": ratios}


# ---- pytest-benchmark ------------------------------------------------------------------------------------

N = 256


@pytest.fixture(scope="module")
def wl():
    return workload(N)


def _enabled(benchmark) -> bool:
    return not getattr(benchmark, "disabled", False)


@pytest.mark.parametrize("method,threads", [("batch", 1), ("single", 1), ("batch", 2)])
def test_verify(benchmark, wl, method, threads):
    keys, buf, offs, sigs = wl
    E.verify(keys, buf, offs, sigs, threads=threads, method=method)
    benchmark.group = "ed25519 verify (256 sigs)"
    ok = benchmark(E.verify, keys, buf, offs, sigs, threads=threads, method=method)
    assert ok.all()
    benchmark.extra_info["items"] = N


def test_nacl_single(benchmark, wl):
    pytest.importorskip("nacl.signing")
    run = nacl_single(*wl)
    benchmark.group = "ed25519 verify (256 sigs)"
    benchmark(run)


def test_ratios(benchmark):
    """Batch verification of 256 signatures on one core against libsodium single verification."""
    pytest.importorskip("nacl.signing")
    enabled = _enabled(benchmark)
    r = benchmark.pedantic(measure, args=(N,), kwargs={"reps": 7 if enabled else 2}, rounds=1, iterations=1)
    benchmark.extra_info.update(r["ratio_vs_nacl"])
    # issue 4's floors; the key cache saves about 10% with repeat signers: only one costing more than it
    # saves fails
    check_floors(r["ratio_vs_nacl"], enabled, {"native_batch_1t": (2.0, 1.2), "native_single_1t": (0.9, 0.3),
                                               "repeat64_cache_vs_nocache": (1.0, 0.2)})


# ---- CLI ---------------------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    from benchcli import run

    return run(argv, doc=__doc__, cases=CASES, measure=measure,
               peer="nacl",
               ratio_key="ratio_vs_nacl",
               ratio_label="x nacl",
               workload="messages 32 bytes; repeat64: 64 keys signing in turn (key cache warm after the first run)",
               summaries=[("2 threads vs 1 (batch)", "threads_2_vs_1"),
                          ("64 repeat signers, key cache vs none", "repeat64_cache_vs_nocache")])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
