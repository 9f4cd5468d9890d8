"""The 8-lane AVX-512 IFMA verification path of P-256 ECDSA and SM2 (native/src/wei3_ifma_impl.h), taken by
keys seen for the first time: the same verdict as the 4x64 ADX path, the portable path and the reference on
random valid and corrupted items, batches of every size around the lane count, and the lane fallbacks
(doubling and infinity inside the ladder, x(R) >= n, keys near p).  On a CPU without IFMA all three masks
run the scalar paths and the tests still check them against the reference.  Wycheproof's P-256 files run
through this path in test_native_p256.py (the "plain" key path, no key tables)."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest

from ledgerval.native import cpu_mask, ffi, has, lib
from ledgerval.reference import ecc

pytestmark = pytest.mark.skipif(not (has("lv_p256_verify") and has("lv_sm2_verify_e")),
                                reason="native a = -3 kernels not built")

SEED = int(os.environ.get("LV_TEST_SEED", "8052"))
SAN = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
CURVES = {"p256": ecc.P256, "sm2": ecc.SM2}


def masks():
    """(name, mask): every path, the ADX path without IFMA, the portable path."""
    if not has("lv_cpu_features"):
        return [("all", 0xFFFFFFFF)]
    return [("all", 0xFFFFFFFF), ("no_ifma", 0xFFFFFFFF & ~lib.LV_CPU_AVX512IFMA), ("portable", 0)]


def cold_verify(curve, keys, lens, dig, sigs):
    """The kernel entry for keys without tables (no Python caches in between)."""
    n = len(lens)
    out = np.zeros(n, np.uint8)
    p = ffi.from_buffer
    if curve == "p256":
        rc = lib.lv_p256_verify(p(keys), p(lens), p(dig), p(sigs), n, 0, p(out))
    else:
        rc = lib.lv_sm2_verify_e(p(keys), p(lens), p(dig), p(sigs), n, p(out))
    assert rc == 0
    return out


def all_paths(curve, keys, lens, dig, sigs):
    res = {}
    for name, m in masks():
        with cpu_mask(m):
            res[name] = cold_verify(curve, keys, lens, dig, sigs)
    ref = res["all"]
    for name, r in res.items():
        assert (r == ref).all(), (name, np.flatnonzero(r != ref)[:10])
    return ref


def ref_verify(curve, key: bytes, e: int, r: int, s: int) -> bool:
    """ECDSA (digest as the integer e) or SM2 with e given, from the reference curve arithmetic."""
    C = CURVES[curve]
    n = C.n
    Q = ecc.decode_pubkey(C, key)
    if Q is None or not (0 < r < n and 0 < s < n):
        return False
    if curve == "p256":
        w = pow(s, -1, n)
        R = ecc.double_mult(C, e * w % n, C.g, r * w % n, Q)
        return R is not None and R[0] % n == r
    t = (r + s) % n
    if t == 0:
        return False
    R = ecc.double_mult(C, s, C.g, t, Q)
    return R is not None and (e + R[0]) % n == r


def rows_to_arrays(rows):
    n = len(rows)
    keys = np.zeros((n, 65), np.uint8)
    lens = np.zeros(n, np.uint8)
    dig = np.zeros((n, 32), np.uint8)
    sig = np.zeros((n, 64), np.uint8)
    for i, (k, e, r, s) in enumerate(rows):
        keys[i, : len(k)] = np.frombuffer(k, np.uint8)
        lens[i] = len(k)
        dig[i] = np.frombuffer(e.to_bytes(32, "big"), np.uint8)
        sig[i] = np.frombuffer(r.to_bytes(32, "big") + s.to_bytes(32, "big"), np.uint8)
    return keys, lens, dig, sig


def signed_batch(curve, n, rng):
    """n random keys and valid signatures from the kernel's signer; a third with a flipped bit in the
    signature and a third in the digest."""
    pref = "lv_" + curve
    privs = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    nonces = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    dig = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    pub = np.zeros((n, 33), np.uint8)
    st = np.zeros(n, np.uint8)
    p = ffi.from_buffer
    assert getattr(lib, pref + "_pubkeys")(p(privs), n, p(pub), p(st)) == 0
    sigs = np.zeros((n, 64), np.uint8)
    st2 = np.zeros(n, np.uint8)
    sign = getattr(lib, pref + ("_sign" if curve == "p256" else "_sign_e"))
    assert sign(p(privs), p(dig), p(nonces), n, p(sigs), p(st2)) == 0
    assert st.all() and st2.all()
    keys = np.zeros((n, 65), np.uint8)
    keys[:, :33] = pub
    # half the keys uncompressed, so both encodings reach the lanes
    for i in range(0, n, 2):
        Q = ecc.decode_pubkey(CURVES[curve], bytes(pub[i]))
        keys[i] = np.frombuffer(ecc.encode_pubkey(CURVES[curve], Q, compressed=False), np.uint8)
    lens = np.where(np.arange(n) % 2 == 0, 65, 33).astype(np.uint8)
    kind = rng.integers(0, 3, n)
    for i in np.flatnonzero(kind == 1):
        sigs[i, rng.integers(0, 64)] ^= np.uint8(1 << rng.integers(0, 8))
    for i in np.flatnonzero(kind == 2):
        dig[i, rng.integers(0, 32)] ^= np.uint8(1 << rng.integers(0, 8))
    return keys, lens, dig, sigs, kind


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_random_items_all_paths_and_reference(curve):
    print("seed", SEED)
    rng = np.random.default_rng(SEED + (curve == "sm2"))
    n = 101 if SAN else 2003
    keys, lens, dig, sigs, kind = signed_batch(curve, n, rng)
    out = all_paths(curve, keys, lens, dig, sigs)
    assert out[kind == 0].all()
    assert not out[kind != 0].any()    # a flipped bit breaks a signature except with negligible chance
    for i in range(0, n, 16 if SAN else 50):
        k = bytes(keys[i, : lens[i]])
        e = int.from_bytes(dig[i].tobytes(), "big")
        r, s = int.from_bytes(sigs[i, :32].tobytes(), "big"), int.from_bytes(sigs[i, 32:].tobytes(), "big")
        assert ref_verify(curve, k, e, r, s) == bool(out[i]), i


def openssl_verdicts(keys, lens, dig, sigs) -> list[bool]:
    """OpenSSL's (cryptography's) P-256 verdict on each item, the digest taken as prehashed."""
    pytest.importorskip("cryptography")
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    out = []
    for i in range(len(lens)):
        k = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(keys[i, : lens[i]]))
        r, s = int.from_bytes(sigs[i, :32].tobytes(), "big"), int.from_bytes(sigs[i, 32:].tobytes(), "big")
        try:
            k.verify(utils.encode_dss_signature(r, s), dig[i].tobytes(), ec.ECDSA(utils.Prehashed(hashes.SHA256())))
            out.append(True)
        except InvalidSignature:
            out.append(False)
    return out


def test_random_items_against_openssl():
    pytest.importorskip("cryptography")
    rng = np.random.default_rng(SEED + 7)
    n = 67 if SAN else 403
    keys, lens, dig, sigs, _ = signed_batch("p256", n, rng)
    out = all_paths("p256", keys, lens, dig, sigs)
    assert openssl_verdicts(keys, lens, dig, sigs) == list(out.astype(bool))


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_batch_sizes_around_the_lane_count(curve):
    rng = np.random.default_rng(SEED + 11)
    keys, lens, dig, sigs, kind = signed_batch(curve, 40, rng)
    for n in list(range(1, 18)) + [23, 40]:
        out = all_paths(curve, keys[:n], lens[:n], dig[:n], sigs[:n])
        assert (out == (kind[:n] == 0)).all(), n


def _exceptional_rows(curve, rnd):
    """Items whose lanes must fall back: equal points met inside the ladder, an infinite result, plus
    x(R) >= n and keys with x near p.  Returns rows (key, e, r, s)."""
    C = CURVES[curve]
    n, G = C.n, C.g
    negG = ecc.point_neg(C, G)
    enc = lambda P: ecc.encode_pubkey(C, P, compressed=False)
    rows = []
    for u in (1, 5, 300, 512):
        if curve == "p256":
            # Q = G, u1 = u2 = u: after Q's digits the accumulator is uG and G's window-0 digit adds uG
            r = ecc.scalar_mult(C, 2 * u, G)[0] % n
            rows.append((enc(G), r, r, r * pow(u, -1, n) % n))
            # Q = -G, u1 = u2: the sum is infinity (the inverse case in the last addition)
            rows.append((enc(negG), r, r, r * pow(u, -1, n) % n))
            # the equal-points case with a wrong r: a lane that skipped its fallback would hold X = Z = 0,
            # which the projective comparison would take for a match
            r2 = rnd.randrange(1, n)
            rows.append((enc(G), r2, r2, r2 * pow(u, -1, n) % n))
        else:
            # Q = -G, s = u, t = -u: t Q = uG, then G's window-0 digit adds uG; r = t - s = n - 2u
            r = n - 2 * u
            x1 = ecc.scalar_mult(C, 2 * u, G)[0]
            rows.append((enc(negG), (r - x1) % n, r, u))
            # Q = G, s = u, t = -u: infinity
            rows.append((enc(G), rnd.randrange(n), r, u))
            rows.append((enc(negG), rnd.randrange(n), r, u))   # equal points, wrong e (see above)
    # x(R) in [n, p): R = (s R - e G) / r construction (ECDSA) or Q = (R - sG) / t (SM2)
    x = n
    while True:
        y = ecc.sqrt_mod(C, (x**3 - 3 * x + C.b) % C.p)
        if y is not None:
            break
        x += 1
    R = (x, y)
    for _ in range(2):
        s = rnd.randrange(1, n)
        if curve == "p256":
            r = x - n
            e = rnd.randrange(1, n)
            Q = ecc.scalar_mult(C, pow(r, -1, n), ecc.point_add(C, ecc.scalar_mult(C, s, R),
                                                                   ecc.point_neg(C, ecc.scalar_mult(C, e, G))))
        else:
            r = rnd.randrange(1, n)
            t = (r + s) % n
            Q = ecc.scalar_mult(C, pow(t, -1, n), ecc.point_add(C, R, ecc.point_neg(C, ecc.scalar_mult(C, s, G))))
            e = (r - x) % n
        rows.append((enc(Q), e, r, s))
        rows.append((enc(Q), (e + 1) % n, r, s))
    # keys with x near p (limbs near the top of the 52-bit form), valid signatures through R = aG + bQ
    x, found = C.p - 1, 0
    while found < 3:
        y = ecc.sqrt_mod(C, (x**3 - 3 * x + C.b) % C.p)
        if y is not None:
            found += 1
            Q = (x, y)
            a, b = rnd.randrange(1, n), rnd.randrange(1, n)
            R = ecc.double_mult(C, a, G, b, Q)
            if curve == "p256":
                r = R[0] % n
                s = r * pow(b, -1, n) % n
                e = a * s % n
            else:
                s = a
                r = (b - s) % n
                e = (r - R[0]) % n
            for k in (enc(Q), ecc.encode_pubkey(C, Q)):
                rows.append((k, e, r, s))
                rows.append((k, (e + 3) % n, r, s))
        x -= 1
    return rows


def edges_among_items(curve, edge, expect_edge, n, rnd, rng):
    """(keys, lens, digests, sigs, expect): the edge rows spread over lane positions among n ordinary items."""
    keys, lens, dig, sigs, kind = signed_batch(curve, n, rng)
    ek, el, ed, es = rows_to_arrays(edge)
    order = rnd.sample(range(len(edge) + n), len(edge) + n)
    cat = lambda a, b: np.concatenate([a, b])[order]
    return (cat(ek, keys), cat(el, lens), cat(ed, dig), cat(es, sigs),
            np.array(expect_edge + list(kind == 0))[order])


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_lane_fallbacks_and_edges(curve):
    rnd = random.Random(SEED + 3)
    edge = _exceptional_rows(curve, rnd)
    expect_edge = [ref_verify(curve, *row) for row in edge]
    # the equal-points items are valid, the infinity ones not (checks the construction itself)
    assert expect_edge[0] and not expect_edge[1]
    K, L, D, S, expect = edges_among_items(curve, edge, expect_edge, 29, rnd, np.random.default_rng(SEED + 4))
    out = all_paths(curve, K, L, D, S)
    assert (out.astype(bool) == expect).all(), np.flatnonzero(out.astype(bool) != expect)
    # each edge item alone (a batch of one: seven padding lanes)
    for row, ok in zip(edge, expect_edge):
        assert bool(all_paths(curve, *rows_to_arrays([row]))[0]) == ok


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_threads_do_not_change_results(curve, monkeypatch):
    from ledgerval.native import p256, sm2
    from ledgerval.native._wei3 import KeyTableCache
    mod = p256 if curve == "p256" else sm2
    # no key tables of either kind: every item takes the first-sighting path
    monkeypatch.setattr(mod, "table_cache", KeyTableCache(mod.keytabs, mod.table_cache._tb, maxsize=0))
    monkeypatch.setattr(mod, "lane_table_cache", KeyTableCache(mod.keytabs8, mod.lane_table_cache._tb, maxsize=0))
    rng = np.random.default_rng(SEED + 5)
    keys, lens, dig, sigs, kind = signed_batch(curve, 61 if SAN else 301, rng)
    f = (lambda t: mod.verify(keys, lens, dig, sigs, threads=t)) if curve == "p256" else \
        (lambda t: mod.verify_e(keys, lens, dig, sigs, threads=t))
    ref = f(1)
    assert (ref == (kind == 0)).all()
    for t in (2, 3):
        assert (f(t) == ref).all()



@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_decompress_all_paths(curve):
    """Compressed keys' square roots run 8 at a time in the lanes: every prefix, x >= p, x without a root,
    both parities, mixed with uncompressed and malformed rows, batch sizes around the lane count."""
    C = CURVES[curve]
    rnd = random.Random(SEED + 9)
    rows = []
    for _ in range(90 if SAN else 400):
        kind = rnd.randrange(6)
        if kind <= 2:                                  # random x: a root exists about half the time
            x = rnd.randrange(C.p) if kind < 2 else C.p - 1 - rnd.randrange(64)
            rows.append(bytes([2 + rnd.randrange(2)]) + x.to_bytes(32, "big"))
        elif kind == 3:                                # x >= p
            rows.append(bytes([2 + rnd.randrange(2)]) + (C.p + rnd.randrange(2**32 - 1)).to_bytes(32, "big"))
        elif kind == 4:                                # a real key, compressed or not
            Q = ecc.scalar_mult(C, rnd.randrange(1, C.n), C.g)
            rows.append(ecc.encode_pubkey(C, Q, compressed=rnd.random() < 0.5))
        else:                                          # bad prefix or length
            rows.append(bytes([rnd.choice([0, 1, 4, 5, 6, 7])]) + rnd.randbytes(32))
    n = len(rows)
    keys = np.zeros((n, 65), np.uint8)
    lens = np.zeros(n, np.uint8)
    for i, k in enumerate(rows):
        keys[i, : len(k)] = np.frombuffer(k, np.uint8)
        lens[i] = len(k)
    fn = getattr(lib, f"lv_{curve}_decompress")
    p = ffi.from_buffer
    for m in (n, 1, 7, 8, 9, 17):
        res = []
        for _, mask in masks():
            out = np.zeros((m, 65), np.uint8)
            st = np.zeros(m, np.uint8)
            with cpu_mask(mask):
                assert fn(p(keys[:m]), p(lens[:m]), m, p(out), p(st)) == 0
            res.append((out, st))
        for out, st in res[1:]:
            assert (st == res[0][1]).all() and (out == res[0][0]).all()
        out, st = res[0]
        for i in range(m):
            Q = ecc.decode_pubkey(C, rows[i])
            assert bool(st[i]) == (Q is not None), i
            if Q is not None:
                assert out[i].tobytes() == ecc.encode_pubkey(C, Q, compressed=False), i


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_lane_field_against_integers(curve):
    """The 8-lane field ops against Python integers, on random values and the edges (0, 1, p - 1, values
    with all-ones or all-zero 52-bit limbs)."""
    fn = getattr(lib, f"lv_{curve}_test_field8", None)
    if fn is None:
        pytest.skip("module without the lane field")
    P = CURVES[curve].p
    rnd = random.Random(SEED + 13)
    edges = [0, 1, 2, P - 1, P - 2, (1 << 52) - 1, 1 << 52, (1 << 255), P - (1 << 52), (1 << 208) - 1,
             P >> 1, (P >> 52) << 52]
    # the lanes hold x * 2^260 mod p: the same edges as lane limbs too
    rinv = pow(1 << 260, -1, P)
    vals = edges + [v * rinv % P for v in edges] + [rnd.randrange(P) for _ in range(20 if SAN else 180)]
    p = ffi.from_buffer
    sqe = (P + 1) // 4
    for op in range(8):
        for start in range(0, len(vals), 8):
            a = (vals[start:start + 8] + vals[:8])[:8]
            b = [vals[(start * 7 + 3 * j) % len(vals)] for j in range(8)]
            ab = np.frombuffer(b"".join(v.to_bytes(32, "big") for v in a), np.uint8).copy()
            bb = np.frombuffer(b"".join(v.to_bytes(32, "big") for v in b), np.uint8).copy()
            out = np.zeros(256, np.uint8)
            rc = fn(op, p(ab), p(bb), p(out))
            if rc == 0:
                pytest.skip("no AVX-512 IFMA on this CPU")
            assert rc == 1
            got = [int.from_bytes(out[32 * j: 32 * j + 32].tobytes(), "big") for j in range(8)]
            want = [[x * y, x * x, x + y, x - y, x - 8 * y, 3 * x, pow(x, P - 2, P), pow(x, sqe, P)][op] % P
                    for x, y in zip(a, b)]
            assert got == want, (op, a, b)
    bad = np.frombuffer(P.to_bytes(32, "big") * 8, np.uint8).copy()
    assert fn(0, p(bad), p(bad), p(np.zeros(256, np.uint8))) == lib.LV_EMISUSE
