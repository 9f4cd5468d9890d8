"""The lane key-table path of P-256 ECDSA and SM2 (native/src/wei3_ifma_keytab_impl.h): keys seen again where
the AVX-512 IFMA kernels run.  Verdicts equal the first-sighting lanes', the 4x64 tables' and the reference's
on random valid and corrupted items, the lane fallbacks (equal and opposite points met inside the chunked
ladder, infinity, x(R) >= n, keys with x near p), batch sizes around the lane count, repeated and permuted
table rows, mixed cached and uncached keys in one batch, every tier and 1..4 threads; cross-checked against
OpenSSL (cryptography) and Tongsuo.  Without IFMA the verification entry reports LV_EBADPATH and the wrapper
tests still run their tiers."""
from __future__ import annotations

import random

import numpy as np
import pytest
from test_native_p256_ifma import (
    CURVES,
    SAN,
    SEED,
    _exceptional_rows,
    edges_among_items,
    openssl_verdicts,
    ref_verify,
    rows_to_arrays,
    signed_batch,
)

from ledgerval.native import cpu_mask, ffi, has, lib, tier_mask, tiers_available
from ledgerval.native._wei3 import KeyTableCache
from ledgerval.reference import ecc

pytestmark = pytest.mark.skipif(not (has("lv_p256_keytab8") and has("lv_sm2_keytab8")),
                                reason="native lane key tables not built")

p = ffi.from_buffer


def lanes_on() -> bool:
    return lib.lv_p256_best_path() == lib.LV_P256_PATH_IFMA8


def need_lanes():
    if not lanes_on():
        pytest.skip("no AVX-512 IFMA on this CPU (or masked off)")


def build(curve, keys, lens, lanes=True):
    """(tables, status) from lv_<curve>_keytab8 (or the 4x64 lv_<curve>_keytab)."""
    n = len(lens)
    width = getattr(lib, f"LV_{curve.upper()}_KEYTAB{'8' if lanes else ''}_BYTES")
    tabs = np.zeros((n, width), np.uint8)
    st = np.zeros(n, np.uint8)
    fn = getattr(lib, f"lv_{curve}_keytab{'8' if lanes else ''}")
    assert fn(p(keys), p(lens), n, p(tabs), p(st)) == 0
    return tabs, st


def tab_verify(curve, tabs, idx, dig, sigs, lanes=True, low_s=0):
    """(rc, verdicts) of the table entry point over rows idx of tabs."""
    n = len(idx)
    out = np.zeros(n, np.uint8)
    idx = np.ascontiguousarray(idx, dtype=np.int32)
    ip = ffi.cast("int32_t *", p(idx))
    sfx = "8" if lanes else ""
    if curve == "p256":
        rc = getattr(lib, "lv_p256_verify_tab" + sfx)(p(dig), p(sigs), n, low_s, p(tabs), len(tabs), ip, p(out))
    else:
        rc = getattr(lib, "lv_sm2_verify_e_tab" + sfx)(p(dig), p(sigs), n, p(tabs), len(tabs), ip, p(out))
    return rc, out


def cold_verify(curve, keys, lens, dig, sigs, low_s=0):
    n = len(lens)
    out = np.zeros(n, np.uint8)
    if curve == "p256":
        assert lib.lv_p256_verify(p(keys), p(lens), p(dig), p(sigs), n, low_s, p(out)) == 0
    else:
        assert lib.lv_sm2_verify_e(p(keys), p(lens), p(dig), p(sigs), n, p(out)) == 0
    return out


def three_paths(curve, keys, lens, dig, sigs, idx=None):
    """Lane tables, first-sighting lanes and 4x64 tables on the same items (item i's key at row idx[i] of
    keys); returns the common verdicts."""
    idx = np.arange(len(keys)) if idx is None else idx
    t8, _ = build(curve, keys, lens)
    t4, _ = build(curve, keys, lens, lanes=False)
    k, l_ = np.ascontiguousarray(keys[idx]), np.ascontiguousarray(lens[idx])
    rc, lane = tab_verify(curve, t8, idx, dig, sigs)
    assert rc == 0
    _, scalar4 = tab_verify(curve, t4, idx, dig, sigs, lanes=False)
    cold = cold_verify(curve, k, l_, dig, sigs)
    assert (lane == cold).all(), np.flatnonzero(lane != cold)[:10]
    assert (lane == scalar4).all(), np.flatnonzero(lane != scalar4)[:10]
    return lane


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_tables_depend_on_the_point_only(curve):
    """Rows for keys that do not decode are zero with status 0; both encodings of one point give the same
    table; a table built at any tier (in the lanes, or in 4x64 code below the IFMA tier) verifies the same."""
    C = CURVES[curve]
    Q = ecc.scalar_mult(C, 0x1234567, C.g)
    rows = [ecc.encode_pubkey(C, Q), ecc.encode_pubkey(C, Q, compressed=False), b"\x05" + bytes(32),
            b"\x02" + C.p.to_bytes(32, "big"), b""]
    keys = np.zeros((len(rows), 65), np.uint8)
    lens = np.array([len(r) for r in rows], np.uint8)
    for i, r in enumerate(rows):
        keys[i, : len(r)] = np.frombuffer(r, np.uint8)
    tabs, st = build(curve, keys, lens)
    assert list(st) == [1, 1, 0, 0, 0]
    assert (tabs[0] == tabs[1]).all() and not tabs[2:].any()
    rng = np.random.default_rng(SEED + 30)
    skeys, slens, dig, sigs, kind = signed_batch(curve, 19, rng)
    built = {}
    for tier in tiers_available():
        with tier_mask(tier):
            t, st2 = build(curve, keys, lens)
            assert (st2 == st).all() and not t[2:].any(), tier
            built[tier] = build(curve, skeys, slens)[0]
    if lanes_on():
        for tier, t in built.items():
            rc, out = tab_verify(curve, t, np.arange(19), dig, sigs)
            assert rc == 0 and (out == (kind == 0)).all(), tier


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_lane_tables_agree_with_the_other_paths(curve):
    need_lanes()
    print("seed", SEED)
    rng = np.random.default_rng(SEED + 31 + (curve == "sm2"))
    n = 67 if SAN else 403
    keys, lens, dig, sigs, kind = signed_batch(curve, n, rng)
    out = three_paths(curve, keys, lens, dig, sigs)
    assert out[kind == 0].all() and not out[kind != 0].any()
    for i in range(0, n, 16 if SAN else 40):
        k = bytes(keys[i, : lens[i]])
        e = int.from_bytes(dig[i].tobytes(), "big")
        r, s = int.from_bytes(sigs[i, :32].tobytes(), "big"), int.from_bytes(sigs[i, 32:].tobytes(), "big")
        assert ref_verify(curve, k, e, r, s) == bool(out[i]), i


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_batch_sizes_and_table_rows(curve):
    """Sizes around the lane count; items whose rows repeat, come in any order, or share one row."""
    need_lanes()
    rng = np.random.default_rng(SEED + 33)
    keys, lens, dig, sigs, kind = signed_batch(curve, 40, rng)
    t8, _ = build(curve, keys, lens)
    for n in list(range(1, 18)) + [23, 40]:
        rc, out = tab_verify(curve, t8, np.arange(n), dig[:n], sigs[:n])
        assert rc == 0 and (out == (kind[:n] == 0)).all(), n
    perm = rng.permutation(40)
    rc, out = tab_verify(curve, t8, perm, dig[perm], sigs[perm])
    assert (out == (kind[perm] == 0)).all()
    # 19 items over 3 rows: each item under its own row's key verifies, under another row's does not
    rows = rng.integers(0, 3, 19)
    rc, out = tab_verify(curve, t8[:3], rows, dig[rows], sigs[rows])
    assert (out == (kind[rows] == 0)).all()
    rc, out = tab_verify(curve, t8[:3], (rows + 1) % 3, dig[rows], sigs[rows])
    assert rc == 0 and not out.any()


def _collision_rows(curve, rnd, count):
    """Q = G or -G with u1 = u2 = u (random u, so both signs of the top-bit recoding): the lanes' first
    additions meet equal or opposite points at the same digit positions of the chunked ladder."""
    C = CURVES[curve]
    n, G = C.n, C.g
    enc = lambda P: ecc.encode_pubkey(C, P, compressed=rnd.random() < 0.5)
    rows = []
    for _ in range(count):
        u = rnd.randrange(1, n) if rnd.random() < 0.8 else rnd.choice([1, 2, 2**255 + 1, n - 1, n - 2])
        if curve == "p256":
            r = ecc.scalar_mult(C, 2 * u % n, G)[0] % n
            rows.append((enc(G), r, r, r * pow(u, -1, n) % n))         # 2uG: valid
            rows.append((enc(ecc.point_neg(C, G)), r, r, r * pow(u, -1, n) % n))   # infinity: invalid
        else:
            r = (-2 * u) % n                                          # t = r + s = -u: t(-G) + uG = 2uG
            x1 = ecc.scalar_mult(C, 2 * u % n, G)[0]
            rows.append((enc(ecc.point_neg(C, G)), (r - x1) % n, r, u))
            rows.append((enc(G), rnd.randrange(n), r, u))             # infinity
    return rows


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_lane_fallbacks_and_edges(curve):
    need_lanes()
    rnd = random.Random(SEED + 35)
    edge = _exceptional_rows(curve, rnd) + _collision_rows(curve, rnd, 4 if SAN else 12)
    expect_edge = [ref_verify(curve, *row) for row in edge]
    assert any(expect_edge) and not all(expect_edge)
    K, L, D, S, expect = edges_among_items(curve, edge, expect_edge, 21, rnd, np.random.default_rng(SEED + 36))
    out = three_paths(curve, K, L, D, S)
    assert (out.astype(bool) == expect).all(), np.flatnonzero(out.astype(bool) != expect)
    for row, ok in zip(edge, expect_edge):   # alone: seven padding lanes
        assert bool(three_paths(curve, *rows_to_arrays([row]))[0]) == ok


def test_p256_low_s_through_lane_tables():
    need_lanes()
    rng = np.random.default_rng(SEED + 37)
    keys, lens, dig, sigs, kind = signed_batch("p256", 24, rng)
    n = CURVES["p256"].n
    for i in range(0, 24, 2):   # the other s of each even item: same validity, high S exactly when s was low
        s = int.from_bytes(sigs[i, 32:].tobytes(), "big")
        sigs[i, 32:] = np.frombuffer((n - s).to_bytes(32, "big"), np.uint8)
    t8, _ = build("p256", keys, lens)
    for low_s in (0, 1):
        rc, out = tab_verify("p256", t8, np.arange(24), dig, sigs, low_s=low_s)
        assert rc == 0 and (out == cold_verify("p256", keys, lens, dig, sigs, low_s)).all(), low_s


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_misuse(curve):
    rng = np.random.default_rng(SEED + 38)
    keys, lens, dig, sigs, _ = signed_batch(curve, 4, rng)
    t8, _ = build(curve, keys, lens)
    fn = getattr(lib, f"lv_{curve}_keytab8")
    assert fn(ffi.NULL, p(lens), 4, p(t8), p(np.zeros(4, np.uint8))) == lib.LV_EMISUSE
    with cpu_mask(0xFFFFFFFF):
        if lanes_on():
            assert tab_verify(curve, t8[:3], np.array([0, 1, 3, 2]), dig, sigs)[0] == lib.LV_EBADSLOT
            assert tab_verify(curve, t8, np.array([0, -1, 1, 2]), dig, sigs)[0] == lib.LV_EBADSLOT
    with cpu_mask(0xFFFFFFFF & ~lib.LV_CPU_AVX512IFMA):   # tables only serve the lanes
        assert tab_verify(curve, t8, np.arange(4), dig, sigs)[0] == lib.LV_EBADPATH


def _wrapper_verify(curve, keys, lens, dig, sigs, threads):
    from ledgerval.native import p256, sm2
    if curve == "p256":
        return p256.verify(keys, lens, dig, sigs, threads=threads)
    return sm2.verify_e(keys, lens, dig, sigs, threads=threads)


def _fresh_caches(curve, monkeypatch):
    from ledgerval.native import p256, sm2
    mod = p256 if curve == "p256" else sm2
    lane = KeyTableCache(mod.keytabs8, mod.lane_table_cache._tb)
    four = KeyTableCache(mod.keytabs, mod.table_cache._tb)
    monkeypatch.setattr(mod, "lane_table_cache", lane)
    monkeypatch.setattr(mod, "table_cache", four)
    return lane, four


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_wrapper_every_tier_threads_and_mixed_batches(curve, monkeypatch):
    """Through the wrapper: a key's second sighting fills the cache of the active path (lane tables at the
    IFMA tier, 4x64 tables below it); batches mixing cached and first-seen keys; 1..4 threads; same verdicts."""
    rng = np.random.default_rng(SEED + 39)
    n = 48 if SAN else 160
    keys, lens, dig, sigs, kind = signed_batch(curve, n, rng)
    expect = kind == 0
    half = n // 2
    for tier in tiers_available():
        lane, four = _fresh_caches(curve, monkeypatch)
        with tier_mask(tier):
            ifma = lanes_on()
            args = lambda s: (keys[s], lens[s], dig[s], sigs[s])
            assert (_wrapper_verify(curve, *args(slice(0, half)), 1) == expect[:half]).all()
            # first half seen again (tables now), second half seen once, interleaved in one batch
            mix = np.ravel(np.column_stack([np.arange(half), np.arange(half, n)]))
            active, other = (lane, four) if ifma else (four, lane)
            for t in (1, 2, 3, 4):
                assert (_wrapper_verify(curve, *args(mix), t) == expect[mix]).all(), (tier, t)
                # the first mixed batch ran half its items on tables, half on the first-sighting path
                assert len(active) == (half if t == 1 else n) and len(other) == 0, (tier, t)


def test_p256_against_openssl_through_lane_tables(monkeypatch):
    pytest.importorskip("cryptography")
    rng = np.random.default_rng(SEED + 40)
    n = 40 if SAN else 200
    keys, lens, dig, sigs, _ = signed_batch("p256", n, rng)
    lane, _ = _fresh_caches("p256", monkeypatch)
    _wrapper_verify("p256", keys, lens, dig, sigs, 1)
    out = _wrapper_verify("p256", keys, lens, dig, sigs, 2)   # second sighting: tables where the lanes run
    assert len(lane) == n or not lanes_on()
    assert openssl_verdicts(keys, lens, dig, sigs) == list(out)


def test_sm2_against_tongsuo_through_lane_tables(monkeypatch):
    pytest.importorskip("tongsuopy")
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    from ledgerval.native import sm2

    rnd = random.Random(SEED + 41)
    N = CURVES["sm2"].n
    keys, msgs, sigs, expect = [], [], [], []
    for i in range(12 if SAN else 40):
        sk = ec.derive_private_key(rnd.randrange(1, N - 1), ec.SM2())
        nums = sk.public_key().public_numbers()
        m = rnd.randbytes(rnd.randrange(1, 60))
        r, s = decode_dss_signature(sk.sign(m, ec.ECDSA(hashes.SM3())))
        sig = bytearray(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        if i % 3 == 1:
            sig[rnd.randrange(64)] ^= 1 << rnd.randrange(8)
        keys.append(b"\x04" + nums.x.to_bytes(32, "big") + nums.y.to_bytes(32, "big"))
        msgs.append(m)
        sigs.append(bytes(sig))
        expect.append(i % 3 != 1)
    K = np.zeros((len(keys), 65), np.uint8)
    K[:] = np.array([np.frombuffer(k, np.uint8) for k in keys])
    L = np.full(len(keys), 65, np.uint8)
    buf = np.frombuffer(b"".join(msgs), np.uint8)
    offs = np.concatenate([[0], np.cumsum([len(m) for m in msgs])]).astype(np.int64)
    S = np.array([np.frombuffer(s, np.uint8) for s in sigs])
    lane, _ = _fresh_caches("sm2", monkeypatch)
    for _ in range(2):   # the second call runs on the lane tables where the lanes run
        assert list(sm2.verify(K, L, buf, offs, S, threads=2)) == expect
    assert len(lane) == len(keys) or not lanes_on()
