"""ECDSA secp256k1 native kernel vs libsecp256k1 (coincurve) single verification, and 2 threads vs 1 —
ratios measured in the same run, cases interleaved so load from other jobs hits them alike.

coincurve is timed the way a validator holding raw bytes uses it: ``PublicKey(bytes)`` (parse and
decompress) then ``verify`` of a pre-encoded DER signature over the digest (``hasher=None``); the
``coincurve_preparsed`` case reuses parsed key objects (its best case).  Keys are compressed and distinct per
signature (the LVB1 transaction form); signatures are low-S so libsecp256k1 accepts them.
Under the normal test command (``--benchmark-disable``) it runs once as a sanity test with loose gates;
``pytest benches/bench_native_secp256k1.py --benchmark-enable`` gates on issue 4's floors (>= 1.0x
coincurve, 2 threads >= 1.8x one).  ``native_1t_portable`` masks the CPU features off (no IFMA lanes).
The ``*_avx2`` cases run at the AVX2 tier (``tier_mask("avx2")``: AVX2/BMI2/ADX/SHA kept, AVX-512 masked
off, so the 4x64 MULX/ADX path with split per-key tables), issue 11's AVX2-only server: ``native_1t_avx2``
keys seen once (fresh cache), ``native_1t_repeat64_avx2`` 64 keys seen again and again; the summaries give
their ratios by medians too.  On a CPU without AVX2 they are left out.  CLI: ``python
benches/bench_native_secp256k1.py [--n N] [--reps R] [--quick] [--json F] [--filter S] [--list]``.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest
from benchcli import check_floors, interleaved, ratios_to

from ledgerval.native import cpu_mask, tier_mask, tiers_available
from ledgerval.native import secp256k1 as k1
from ledgerval.native._keyslots import KeySlotCache

pytestmark = pytest.mark.skipif(not k1.AVAILABLE, reason="native secp256k1 kernel not built")
N_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
CASES = ["coincurve", "coincurve_preparsed", "native_1t", "native_1t_portable", "native_2t", "native_recover_1t",
         "native_1t_nocache", "native_1t_repeat64", "native_1t_repeat64_nocache", "native_1t_repeat64_portable",
         "native_1t_repeat64_portable_nocache", "native_1t_avx2", "native_1t_avx2_nocache", "native_2t_avx2",
         "native_1t_repeat64_avx2"]
HAVE_AVX2 = "avx2" in tiers_available()


def workload(n: int, seed: int = 7, senders: int | None = None):
    """n low-S signatures with compressed keys, distinct per signature or ``senders`` keys signing in turn
    (a consortium chain's repeat signers)."""
    rng = np.random.default_rng(seed)

    def scalars():
        out = np.zeros((n, 32), np.uint8)
        for i in range(n):
            v = int.from_bytes(rng.bytes(32), "big") % (N_ORDER - 1) + 1
            out[i] = np.frombuffer(v.to_bytes(32, "big"), np.uint8)
        return out
    privs, nonces = scalars(), scalars()
    if senders:
        privs = np.ascontiguousarray(privs[np.arange(n) % senders])
    digests = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    keys = np.zeros((n, 65), np.uint8)
    keys[:, :33] = k1.pubkeys(privs)
    sigs = k1.sign(privs, digests, nonces)
    for s in sigs:  # low S, as libsecp256k1 requires
        v = int.from_bytes(s[32:].tobytes(), "big")
        if v > N_ORDER // 2:
            s[32:] = np.frombuffer((N_ORDER - v).to_bytes(32, "big"), np.uint8)
    return keys, np.full(n, 33, np.uint8), digests, sigs


def _der(r: int, s: int) -> bytes:
    def enc(v):
        b = v.to_bytes((v.bit_length() + 8) // 8, "big")
        return b"\x02" + bytes([len(b)]) + b
    body = enc(r) + enc(s)
    return b"\x30" + bytes([len(body)]) + body


def coincurve_cases(keys, lens, digests, sigs):
    import coincurve

    raw = [k[:33].tobytes() for k in keys]
    ders = [_der(int.from_bytes(s[:32].tobytes(), "big"), int.from_bytes(s[32:].tobytes(), "big")) for s in sigs]
    digs = [d.tobytes() for d in digests]
    parsed = [coincurve.PublicKey(k) for k in raw]
    PublicKey = coincurve.PublicKey

    def parse_and_verify():
        for k, s, d in zip(raw, ders, digs):
            if not PublicKey(k).verify(s, d, hasher=None):
                raise AssertionError("coincurve rejected a benchmark signature")

    def preparsed():
        for p, s, d in zip(parsed, ders, digs):
            p.verify(s, d, hasher=None)
    return parse_and_verify, preparsed


def _portable(fn):
    """Run with every CPU feature masked: the 5x52 scalar path without the IFMA lanes."""
    with cpu_mask(0):
        return fn()


def _avx2(fn):
    """Run at the AVX2 tier: AVX-512 masked off, as on an AVX2-only server (an AVX-512 core running the
    AVX2 tier's code stands in for one)."""
    with tier_mask("avx2"):
        return fn()


def _own_cache(fn):
    """Run with a key cache of this case's own, kept from call to call: a slot holds the table kind of the
    path that filled it, so repeat-signer cases at different tiers sharing one cache would find the other
    tier's tables (unused: only the decoded key is) and measure no per-key tables at all."""
    own = KeySlotCache(k1._fill_slots, k1.lib.LV_SECP256K1_KEYSLOT_BYTES, maxsize=k1.key_cache.maxsize)

    def run():
        saved, k1.key_cache = k1.key_cache, own
        try:
            return fn()
        finally:
            k1.key_cache = saved
    return run


def _fresh(fn):
    """Distinct-key cases start from an empty key cache every time (else the third repetition would find
    every key cached): they measure the one-off key's cost, lookup included.  The empty cache is a new one
    swapped in for the call, so the repeat-signer cases keep their filled slots (clearing the shared cache
    had them refill their tables in every repetition)."""
    def run():
        saved = k1.key_cache
        k1.key_cache = KeySlotCache(k1._fill_slots, k1.lib.LV_SECP256K1_KEYSLOT_BYTES, maxsize=saved.maxsize)
        try:
            return fn()
        finally:
            k1.key_cache = saved
    return run


# Measured (2-core EPYC, one thread, 2,048 signatures, min of 7 interleaved runs, us per signature), before
# the key cache -> with it (decoded key and per-key table cached; the key alone gave 9.8 on IFMA):
#   64 senders in turn:  IFMA 10.4 -> 9.1, portable 44.9 -> 40.6 (window table; split tables since: ~16-17)
#   distinct keys:       IFMA 10.4 -> 10.6 (lookup about 0.2 us), portable unchanged within noise
def measure(n: int = 512, reps: int = 5) -> dict:
    keys, lens, digests, sigs = workload(n)
    rk, rl, rd, rs = workload(n, seed=8, senders=64)
    cc, cc_pre = coincurve_cases(keys, lens, digests, sigs)
    sig65 = np.zeros((n, 65), np.uint8)
    sig65[:, :64] = sigs
    cases = {
        "coincurve": cc,
        "coincurve_preparsed": cc_pre,
        "native_1t": _fresh(lambda: k1.verify(keys, lens, digests, sigs, threads=1)),
        "native_1t_portable": _fresh(lambda: _portable(lambda: k1.verify(keys, lens, digests, sigs, threads=1))),
        "native_2t": _fresh(lambda: k1.verify(keys, lens, digests, sigs, threads=2)),
        # v = 0 is right for about half the items; recovery does the same work either way
        "native_recover_1t": lambda: k1.recover(digests, sig65, threads=1),
        "native_1t_nocache": lambda: k1.verify(keys, lens, digests, sigs, threads=1, cache=False),
        "native_1t_repeat64": lambda: k1.verify(rk, rl, rd, rs, threads=1),
        "native_1t_repeat64_nocache": lambda: k1.verify(rk, rl, rd, rs, threads=1, cache=False),
        # the portable path reads its own kind of cached tables: its own cache, filled in the warm-up
        "native_1t_repeat64_portable": _own_cache(lambda: _portable(lambda: k1.verify(rk, rl, rd, rs, threads=1))),
        "native_1t_repeat64_portable_nocache": lambda: _portable(lambda: k1.verify(rk, rl, rd, rs, threads=1,
                                                                                   cache=False)),
    }
    if HAVE_AVX2:
        cases.update({
            "native_1t_avx2": _fresh(lambda: _avx2(lambda: k1.verify(keys, lens, digests, sigs, threads=1))),
            "native_1t_avx2_nocache": lambda: _avx2(lambda: k1.verify(keys, lens, digests, sigs, threads=1,
                                                                      cache=False)),
            "native_2t_avx2": _fresh(lambda: _avx2(lambda: k1.verify(keys, lens, digests, sigs, threads=2))),
            # the AVX2 tier reads split tables: its own cache, filled in interleaved()'s warm-up call
            "native_1t_repeat64_avx2": _own_cache(lambda: _avx2(lambda: k1.verify(rk, rl, rd, rs, threads=1))),
        })
    assert k1.verify(keys, lens, digests, sigs, threads=1).all()
    # a repeat signer's key gets its slot on its second sighting: with n < 64 each key is seen once a call,
    # so one call here and interleaved()'s warm-up fill the tables before the timed calls
    for name, case in cases.items():
        if "repeat64" in name and "nocache" not in name:
            case()
    res = interleaved(cases, n, reps)
    ratios = ratios_to(res, "coincurve")
    if HAVE_AVX2:
        med = {k: v["median_us"] for k, v in res.items()}
        ratios["avx2_seen_once_by_medians"] = med["coincurve"] / med["native_1t_avx2"]
        ratios["avx2_seen_again_by_medians"] = med["coincurve"] / med["native_1t_repeat64_avx2"]
        ratios["avx2_threads_2_vs_1"] = res["native_1t_avx2"]["min_us"] / res["native_2t_avx2"]["min_us"]
    ratios["native_1t_vs_preparsed"] = res["coincurve_preparsed"]["min_us"] / res["native_1t"]["min_us"]
    ratios["threads_2_vs_1"] = res["native_1t"]["min_us"] / res["native_2t"]["min_us"]
    ratios["repeat64_cache_vs_nocache"] = res["native_1t_repeat64_nocache"]["min_us"] / res["native_1t_repeat64"]["min_us"]
    return {"n": n, "per_sig": res, "ratio_vs_coincurve": ratios}


N = 256


@pytest.fixture(scope="module")
def wl():
    return workload(N)


@pytest.mark.parametrize("threads", [1, 2])
def test_verify(benchmark, wl, threads):
    keys, lens, digests, sigs = wl
    benchmark.group = f"secp256k1 verify ({N} sigs)"
    ok = benchmark(k1.verify, keys, lens, digests, sigs, threads=threads)
    assert ok.all()


def test_coincurve_single(benchmark, wl):
    pytest.importorskip("coincurve")
    benchmark.group = f"secp256k1 verify ({N} sigs)"
    benchmark(coincurve_cases(*wl)[0])


def test_ratios(benchmark):
    pytest.importorskip("coincurve")
    enabled = not getattr(benchmark, "disabled", False)
    r = measure(N if enabled else 48, reps=7 if enabled else 2)
    # issue 4's floor; the key cache saves about 12% with repeat signers: only one costing more than it
    # saves fails.  At the AVX2 tier, issue 11's targets are 1.0x (keys seen once) and 2.5x (seen again);
    # measured 1.19-1.25x and 2.98-3.05x by thread CPU time (the ADX path), so the gates are the targets.
    floors = {"native_1t": (1.0, 0.2), "repeat64_cache_vs_nocache": (1.0, 0.2)}
    if HAVE_AVX2:
        floors.update({"native_1t_avx2": (1.0, 0.2), "native_1t_repeat64_avx2": (2.5, 0.3)})
    check_floors(r["ratio_vs_coincurve"], enabled, floors)


def main(argv: list[str]) -> int:
    from benchcli import run

    return run(argv, doc=__doc__, cases=CASES, measure=measure,
               peer="coincurve",
               ratio_key="ratio_vs_coincurve",
               ratio_label="x coincurve",
               workload="compressed keys, distinct per signature (repeat64: 64 keys in turn)",
               default_n=512,
               summaries=[("native 1 thread vs coincurve preparsed keys", "native_1t_vs_preparsed"), ("2 threads vs 1", "threads_2_vs_1"), ("64 repeat signers, key cache vs none", "repeat64_cache_vs_nocache")]
               + ([("AVX2 tier, keys seen once vs coincurve, by medians", "avx2_seen_once_by_medians"),
                   ("AVX2 tier, 64 keys seen again vs coincurve, by medians", "avx2_seen_again_by_medians"),
                   ("AVX2 tier, 2 threads vs 1", "avx2_threads_2_vs_1")] if HAVE_AVX2 else []))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
