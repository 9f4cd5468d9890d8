"""SM2 native kernel vs Tongsuo (tongsuopy) single verification, and 2 threads vs 1 —
ratios measured in the same run, cases interleaved so load from other jobs hits them alike.

Under the normal test command (``--benchmark-disable``) it runs once as a sanity test with loose gates;
``pytest benches/bench_native_sm2.py --benchmark-enable`` gates on issue 4's floors (>= 8x Tongsuo,
2 threads >= 1.8x one).  CLI: ``python benches/bench_native_sm2.py [--n N] [--reps R] [--quick] [--json F]
[--filter S] [--list]``.  Both sides hash: e = SM3(Z_A || M) over 32-byte messages (LVB1 tx hashes) with the
default ID.  Keys are distinct per signature and compressed; the ``cold`` case runs on empty decompressed-key,
key-table and Z_A caches (first sighting of every key), the others see them warm (repeat senders);
``native_1t_cold_noifma`` is the cold case with the 8-lane IFMA kernel masked off.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest
from benchcli import check_floors, interleaved, ratios_to

from ledgerval.native import cpu_mask, has, lib, sm2
from ledgerval.native._wei3 import KeyTableCache

pytestmark = pytest.mark.skipif(not sm2.AVAILABLE, reason="native SM2 kernel not built")
N_ORDER = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
CASES = ["tongsuo", "native_1t", "native_1t_cold", "native_1t_cold_noifma", "native_2t"]


def workload(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)

    def scalars():
        out = np.zeros((n, 32), np.uint8)
        for i in range(n):
            v = int.from_bytes(rng.bytes(32), "big") % (N_ORDER - 1) + 1
            out[i] = np.frombuffer(v.to_bytes(32, "big"), np.uint8)
        return out
    privs, nonces = scalars(), scalars()
    buf = rng.integers(0, 256, 32 * n, dtype=np.uint8)
    offs = np.arange(n + 1, dtype=np.int64) * 32
    keys = np.zeros((n, 65), np.uint8)
    keys[:, :33] = sm2.pubkeys(privs)
    return privs, keys, np.full(n, 33, np.uint8), buf, offs, sm2.sign(privs, buf, offs, nonces)


def tongsuo_single(privs, keys, lens, buf, offs, sigs):
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    pubs = [ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), k[:33].tobytes()) for k in keys]
    ders = [encode_dss_signature(int.from_bytes(s[:32].tobytes(), "big"), int.from_bytes(s[32:].tobytes(), "big"))
            for s in sigs]
    msgs = [buf[offs[i]:offs[i + 1]].tobytes() for i in range(len(keys))]
    alg = ec.ECDSA(hashes.SM3())

    def run():
        for p, s, m in zip(pubs, ders, msgs):
            p.verify(s, m, alg)
    return run


def measure(n: int = 256, reps: int = 5) -> dict:
    wl = workload(n)
    _, keys, lens, buf, offs, sigs = wl

    def cold():
        # fresh caches for this case only (clearing the shared ones would make the next case rebuild tables)
        saved = sm2.table_cache, sm2.za_cache, sm2.lane_table_cache
        sm2.table_cache = KeyTableCache(sm2.keytabs, saved[0]._tb, side=(sm2._za_side, 32))
        sm2.za_cache = sm2.ZaCache()
        if saved[2] is not None:
            sm2.lane_table_cache = KeyTableCache(sm2.keytabs8, saved[2]._tb, side=(sm2._za_side, 32))
        try:
            sm2.verify(keys, lens, buf, offs, sigs, threads=1)
        finally:
            sm2.table_cache, sm2.za_cache, sm2.lane_table_cache = saved
    def cold_noifma():
        with cpu_mask(0xFFFFFFFF & ~lib.LV_CPU_AVX512IFMA if has("lv_cpu_features") else 0xFFFFFFFF):
            cold()
    cases = {
        "tongsuo": tongsuo_single(*wl),
        "native_1t": lambda: sm2.verify(keys, lens, buf, offs, sigs, threads=1),
        "native_1t_cold": cold,
        # the first-sighting path without the 8-lane IFMA kernel (the 4x64 ADX one), for the ratio
        "native_1t_cold_noifma": cold_noifma,
        "native_2t": lambda: sm2.verify(keys, lens, buf, offs, sigs, threads=2),
    }
    assert sm2.verify(keys, lens, buf, offs, sigs, threads=1).all()
    res = interleaved(cases, n, reps)
    ratios = ratios_to(res, "tongsuo")
    ratios["threads_2_vs_1"] = res["native_1t"]["min_us"] / res["native_2t"]["min_us"]
    return {"n": n, "per_sig": res, "ratio_vs_tongsuo": ratios}


N = 128


@pytest.fixture(scope="module")
def wl():
    return workload(N)


@pytest.mark.parametrize("threads", [1, 2])
def test_verify(benchmark, wl, threads):
    _, keys, lens, buf, offs, sigs = wl
    benchmark.group = f"sm2 verify ({N} sigs)"
    ok = benchmark(sm2.verify, keys, lens, buf, offs, sigs, threads=threads)
    assert ok.all()


def test_tongsuo_single(benchmark, wl):
    pytest.importorskip("tongsuopy")
    pytest.importorskip("cryptography")
    benchmark.group = f"sm2 verify ({N} sigs)"
    benchmark(tongsuo_single(*wl))


def test_ratios(benchmark):
    pytest.importorskip("tongsuopy")
    pytest.importorskip("cryptography")
    enabled = not getattr(benchmark, "disabled", False)
    r = measure(N if enabled else 32, reps=7 if enabled else 2)
    check_floors(r["ratio_vs_tongsuo"], enabled, {"native_1t": (8.0, 0.5)})  # issue 4's floor


def main(argv: list[str]) -> int:
    from benchcli import run

    return run(argv, doc=__doc__, cases=CASES, measure=measure,
               peer="tongsuopy",
               ratio_key="ratio_vs_tongsuo",
               ratio_label="x tongsuo",
               workload="compressed keys, distinct per signature, 32-byte messages",
               summaries=[("2 threads vs 1", "threads_2_vs_1")])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
