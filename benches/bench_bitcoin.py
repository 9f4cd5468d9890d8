"""Bitcoin adapter end to end: ``validate_block`` on mainnet block 277647 (213 transactions, 732 P2PKH
inputs, with its prevouts) against a straightforward Python loop over the inputs that computes each legacy
sighash and verifies it with coincurve (libsecp256k1) — the ratio is measured in the same run.

Under the normal test command (``--benchmark-disable``) each case runs once as a sanity test with a loose
gate; ``pytest benches/bench_bitcoin.py --benchmark-enable`` gates on issue 6's floor (>= 4x the loop).
CLI: ``python benches/bench_bitcoin.py [--reps N] [--threads N] [--quick] [--json FILE] [--filter S]
[--list]`` prints the configuration, then min/median/max, inputs/s and the ratio to the peer by minimums
(``x peer``) and by medians (``x med``, the one the claim rests on).
"""
from __future__ import annotations

import hashlib
import json
import statistics
import struct
import sys
import time
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors" / "bitcoin"
BLOCK = VECTORS / "block277647.raw"
PREVOUTS = VECTORS / "block277647_prevouts.jsonl"


def load():
    from ledgerval.bitcoin import load_prevouts

    return BLOCK.read_bytes(), load_prevouts(PREVOUTS)


# ---- the peer: one input at a time, the way a simple validator is written -----------------------------

def _dsha(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def _varint(buf: bytes, p: int) -> tuple[int, int]:
    n = buf[p]
    if n < 0xFD:
        return n, p + 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[n]
    return int.from_bytes(buf[p + 1 : p + 1 + size], "little"), p + 1 + size


def _enc_varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes((n,))
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    return b"\xfe" + struct.pack("<I", n)


def _peer_parse(raw: bytes):
    """Transactions as dicts (legacy serialization only: the benchmark block has no witnesses)."""
    n, p = _varint(raw, 80)
    txs = []
    for _ in range(n):
        start = p
        version = raw[p : p + 4]
        p += 4
        nin, p = _varint(raw, p)
        vin = []
        for _ in range(nin):
            prev = raw[p : p + 36]
            ln, p = _varint(raw, p + 36)
            script = raw[p : p + ln]
            p += ln
            vin.append({"prev": prev, "script": script, "seq": raw[p : p + 4]})
            p += 4
        nout, p = _varint(raw, p)
        vout = []
        for _ in range(nout):
            ln, q = _varint(raw, p + 8)
            vout.append(raw[p : q + ln])
            p = q + ln
        lock = raw[p : p + 4]
        p += 4
        txs.append({"version": version, "vin": vin, "vout": vout, "lock": lock, "txid": _dsha(raw[start:p])})
    return txs


def _peer_sighash(tx, n_in: int, script_code: bytes, hash_type: int) -> bytes:
    """SIGHASH_ALL-family legacy sighash by re-serializing the whole transaction (what the block needs)."""
    parts = [tx["version"], _enc_varint(len(tx["vin"]))]
    for i, txin in enumerate(tx["vin"]):
        s = script_code if i == n_in else b""
        parts += [txin["prev"], _enc_varint(len(s)), s, txin["seq"]]
    parts.append(_enc_varint(len(tx["vout"])))
    parts += tx["vout"]
    parts += [tx["lock"], struct.pack("<I", hash_type)]
    return _dsha(b"".join(parts))


def peer_validate(raw: bytes, prevouts) -> tuple[bool, int]:
    """(all good, inputs verified): header PoW and Merkle root, then every P2PKH input with coincurve."""
    from coincurve._libsecp256k1 import ffi, lib
    from coincurve.context import GLOBAL_CONTEXT

    ctx = GLOBAL_CONTEXT.ctx
    txs = _peer_parse(raw)
    ok = int.from_bytes(_dsha(raw[:80]), "little") <= (raw[72] | raw[73] << 8 | raw[74] << 16) << (8 * (raw[75] - 3))
    level = [t["txid"] for t in txs]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [_dsha(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    ok &= level[0] == raw[36:68]
    checked = 0
    for tx in txs[1:]:
        for i, txin in enumerate(tx["vin"]):
            _, spk = prevouts[(txin["prev"][:32][::-1].hex(), int.from_bytes(txin["prev"][32:], "little"))]
            script = txin["script"]
            sig = script[1 : 1 + script[0]]
            pub = script[2 + script[0] :]
            if hashlib.new("ripemd160", hashlib.sha256(pub).digest()).digest() != spk[3:23]:
                ok = False
                continue
            digest = _peer_sighash(tx, i, spk, sig[-1])
            sig_c = ffi.new("secp256k1_ecdsa_signature *")
            key_c = ffi.new("secp256k1_pubkey *")
            good = (lib.secp256k1_ecdsa_signature_parse_der(ctx, sig_c, sig[:-1], len(sig) - 1)
                    and lib.secp256k1_ec_pubkey_parse(ctx, key_c, pub, len(pub)))
            if good:
                lib.secp256k1_ecdsa_signature_normalize(ctx, sig_c, sig_c)  # old blocks carry high-S signatures
                good = lib.secp256k1_ecdsa_verify(ctx, sig_c, digest, key_c)
            ok &= bool(good)
            checked += 1
    return ok, checked


def ours_validate(raw: bytes, prevouts, threads=None):
    from ledgerval.bitcoin import validate_block

    return validate_block(raw, prevouts, threads=threads)


# ---- measurement ---------------------------------------------------------------------------------------

def python_classifier_validate(raw: bytes, prevouts, threads=None):
    """validate_block with the P2PKH kernel off (every input through the Python classifier)."""
    from ledgerval.bitcoin import validate as V

    V.P2PKH_KERNEL = False
    try:
        return ours_validate(raw, prevouts, threads=threads)
    finally:
        V.P2PKH_KERNEL = True


def _clear_key_cache() -> None:
    from ledgerval.native import secp256k1

    if secp256k1.AVAILABLE:
        secp256k1.key_cache.clear()


def measure(reps: int = 7, threads: int | None = None, python_classifier: bool = False) -> dict:
    raw, prevouts = load()
    threads_list = [1, 2] if threads is None else [threads]
    cases = {"peer_coincurve_loop": lambda: peer_validate(raw, prevouts)}
    for t in threads_list:
        cases[f"ledgerval_{t}t"] = lambda t=t: ours_validate(raw, prevouts, threads=t)
        if python_classifier:
            cases[f"python_classifier_{t}t"] = lambda t=t: python_classifier_validate(raw, prevouts, threads=t)
    assert peer_validate(raw, prevouts) == (True, 732)
    rep = ours_validate(raw, prevouts)
    assert rep.ok and rep.inputs_checked == 732, rep.errors
    for c in cases.values():  # warm-up: JIT kernels, tables, thread pools
        c()
    times = {k: [] for k in cases}
    for _ in range(reps):  # interleaved so load from other processes hits every case alike
        for k, c in cases.items():
            # A node validates a block once: its keys are new to the secp256k1 key cache, so every timed run
            # starts cold (warm, repeated runs of the same block measured about 0.7 ms faster at 2 threads).
            _clear_key_cache()
            t0 = time.perf_counter()
            c()
            times[k].append(time.perf_counter() - t0)
    res = {k: {"min_ms": min(v) * 1e3, "median_ms": statistics.median(v) * 1e3, "max_ms": max(v) * 1e3,
               "inputs_per_s": 732 / statistics.median(v)} for k, v in times.items()}
    base = res["peer_coincurve_loop"]["min_ms"]
    ratios = {k: base / v["min_ms"] for k, v in res.items()}
    # the claim is made from medians (a typical run against a typical run), minimums shown beside them
    base_med = res["peer_coincurve_loop"]["median_ms"]
    med_ratios = {k: base_med / v["median_ms"] for k, v in res.items()}
    return {"block": "277647", "inputs": 732, "cases": res, "ratio_vs_peer": ratios,
            "median_ratio_vs_peer": med_ratios,
            "stages_s": dict(ours_validate(raw, prevouts).timings)}


# ---- pytest-benchmark ------------------------------------------------------------------------------------

def _need():
    if not BLOCK.exists():
        pytest.skip("../shared/vectors/bitcoin is absent")
    pytest.importorskip("coincurve")


def _native() -> bool:
    from ledgerval.signatures import native_backend

    return native_backend("ecdsa-secp256k1") is not None


def test_validate_block_277647(benchmark):
    _need()
    raw, prevouts = load()
    ours_validate(raw, prevouts)
    benchmark.group = "bitcoin block 277647 (732 inputs)"
    rep = benchmark(ours_validate, raw, prevouts)
    assert rep.ok and rep.inputs_checked == 732
    benchmark.extra_info["stages_s"] = dict(rep.timings)


def test_peer_coincurve_loop(benchmark):
    _need()
    raw, prevouts = load()
    benchmark.group = "bitcoin block 277647 (732 inputs)"
    assert benchmark(peer_validate, raw, prevouts) == (True, 732)


def test_ratio(request):
    """validate_block against the per-input coincurve loop, same block, same run."""
    _need()
    if not _native():
        pytest.skip("the native secp256k1 kernel is not built: the reference fallback is not what is measured")
    cfg = request.config
    enabled = not cfg.getoption("benchmark_disable") or cfg.getoption("benchmark_enable")  # as pytest-benchmark
    r = measure(reps=7 if enabled else 2)
    print(json.dumps({"min": r["ratio_vs_peer"], "median": r["median_ratio_vs_peer"]}, indent=1))
    best = max(v for k, v in r["median_ratio_vs_peer"].items() if k.startswith("ledgerval"))
    # Issue 6's floor when measuring for real.  The sanity run only catches gross regressions (a broken
    # batch path, a per-input fallback): two shared cores make one-shot timings noisy, and the ratio rests
    # on the native kernel's speed against libsecp256k1, which verification dominates.
    assert best >= (4.0 if enabled else 0.4), r


# ---- CLI ---------------------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    from benchcli import config_line, e2e_args, threads_arg, write_json

    def extra(ap):
        threads_arg(ap)
        ap.add_argument("--python-classifier", action="store_true",
                        help="also time validate_block with the P2PKH kernel off (python_classifier_Nt)")

    a = e2e_args(__doc__, argv, ["peer_coincurve_loop", "ledgerval_1t", "ledgerval_2t", "python_classifier_1t",
                                 "python_classifier_2t"], extra=extra)
    if a is None:
        return 0
    import coincurve

    print(f"{config_line()}  coincurve {coincurve.__version__}  native secp256k1 {_native()}")
    print(f"block 277647 (732 P2PKH inputs, prevouts given)  reps={a.reps}")
    r = measure(a.reps, a.threads, a.python_classifier)
    print(f"{'case':22s} {'min ms':>9s} {'median':>9s} {'max':>9s} {'inputs/s':>10s} {'x peer':>7s} "
          f"{'x med':>7s}")
    for k, v in r["cases"].items():
        if a.filter in k:
            print(f"{k:22s} {v['min_ms']:9.2f} {v['median_ms']:9.2f} {v['max_ms']:9.2f} {v['inputs_per_s']:10.0f} "
                  f"{r['ratio_vs_peer'][k]:7.2f} {r['median_ratio_vs_peer'][k]:7.2f}")
    print("stages (s):", " ".join(f"{k}={v:.4f}" for k, v in r["stages_s"].items()))
    write_json(a.json, r)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
