"""Key tables of the a = -3 curves (P-256 and SM2): the split path (per-key tables, native/src/
wei3_keytab_impl.h) and the plain path give the same verdicts as the reference on random valid and
corrupted signatures and on the x(R) >= n corner, on both field paths (MULX/ADX and portable); the Python
cache (native/_wei3.py KeyTableCache, a KeySlotCache) builds on a key's second sighting, stays bounded, never
tables an invalid key, and stays correct under concurrent evictions; it and the decompressed-key cache pass
keyslot_contract like every per-key cache."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest
from keyslot_contract import check_concurrent_use, check_eviction, run_in_threads

from ledgerval.native import cpu_mask, features_mask, ffi, lib, p256, sm2
from ledgerval.native._keyslots import KeySlotCache
from ledgerval.native._wei3 import KeyCache, KeyTableCache, ptr
from ledgerval.reference import ecc

pytestmark = pytest.mark.skipif(not (p256.AVAILABLE and sm2.AVAILABLE and hasattr(lib, "lv_p256_verify_tab")),
                                reason="native P-256/SM2 kernels not built")

SEED = int(os.environ.get("LV_TEST_SEED", "4096"))
SAN = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
NRAND = 10 if SAN else 60


def _above_n_point(C):
    """A curve point with x in [n, p)."""
    x = C.n
    while True:
        rhs = (x**3 - 3 * x + C.b) % C.p
        y = pow(rhs, (C.p + 1) // 4, C.p)
        if y * y % C.p == rhs:
            return x, y
        x += 1


def p256_rows(rnd, n):
    """(keys, lens, digests, sigs, expected) with random valid, corrupted and x(R) >= n signatures."""
    C, N = ecc.P256, ecc.P256.n
    rows = []
    for i in range(n):
        d, k, dig = rnd.randrange(1, N), rnd.randrange(1, N), rnd.randbytes(32)
        key = ecc.public_key(C, d, compressed=bool(i % 2))
        sig = bytearray(ecc.ecdsa_sign(C, d, dig, k))
        if i % 3 == 1:
            sig[rnd.randrange(64)] ^= 1 << rnd.randrange(8)
        elif i % 3 == 2:
            dig = bytes([dig[0] ^ 1]) + dig[1:]
        rows.append((key, dig, bytes(sig)))
    x, y = _above_n_point(C)
    r, s, e = x - N, rnd.randrange(1, N), rnd.randrange(1, N)
    sR = ecc.scalar_mult(C, s, (x, y))
    Q = ecc.scalar_mult(C, pow(r, -1, N), ecc.point_add(C, sR, ecc.point_neg(C, ecc.scalar_mult(C, e, C.g))))
    good = (ecc.encode_pubkey(C, Q), e.to_bytes(32, "big"), r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    rows += [good, good[:2] + (((r + 1) % N).to_bytes(32, "big") + good[2][32:],)]
    off = bytearray(rows[0][0] if len(rows[0][0]) == 65 else ecc.encode_pubkey(C, ecc.scalar_mult(C, 5, C.g)))
    off[40] ^= 1                                            # 65-byte key off the curve
    rows += [(bytes(off), rows[0][1], rows[0][2])] * 2
    keys = np.zeros((len(rows), 65), np.uint8)
    lens = np.zeros(len(rows), np.uint8)
    for i, (k, _, _) in enumerate(rows):
        keys[i, : len(k)] = np.frombuffer(k, np.uint8)
        lens[i] = len(k)
    dig = np.array([np.frombuffer(d, np.uint8) for _, d, _ in rows])
    sig = np.array([np.frombuffer(s, np.uint8) for _, _, s in rows])
    expect = [ecc.ecdsa_verify(C, k, d, s) for k, d, s in rows]
    return keys, lens, dig, sig, expect


def sm2_rows(rnd, n):
    """(keys65, lens, e, sigs, expected) for the raw verify_e entry, including x1 >= n."""
    C, N = ecc.SM2, ecc.SM2.n
    keys, es, sigs, expect = [], [], [], []
    for i in range(n):
        d = rnd.randrange(1, N - 1)
        Q = ecc.scalar_mult(C, d, C.g)
        e, k = rnd.randrange(N), rnd.randrange(1, N)
        x1 = ecc.scalar_mult(C, k, C.g)[0]
        r = (e + x1) % N
        s = pow(1 + d, -1, N) * (k - r * d) % N
        if i % 3 == 1:
            s = (s + 1) % N
        keys.append(ecc.encode_pubkey(C, Q, compressed=False))
        es.append(e)
        sigs.append((r, s))
        expect.append(i % 3 != 1 and r != 0 and s != 0 and (r + k) % N != 0)
    x, y = _above_n_point(C)
    e, s = rnd.randrange(N), rnd.randrange(1, N)
    r = (e + x) % N
    t = (r + s) % N
    Q = ecc.scalar_mult(C, pow(t, -1, N), ecc.point_add(C, (x, y), ecc.point_neg(C, ecc.scalar_mult(C, s, C.g))))
    for de, ok in ((0, True), (1, False)):
        keys.append(ecc.encode_pubkey(C, Q, compressed=False))
        es.append((e + de) % N)
        sigs.append((r, s))
        expect.append(ok)
    ka = np.array([np.frombuffer(k, np.uint8) for k in keys])
    ea = np.array([np.frombuffer(v.to_bytes(32, "big"), np.uint8) for v in es])
    sa = np.array([np.frombuffer(r.to_bytes(32, "big") + s.to_bytes(32, "big"), np.uint8) for r, s in sigs])
    return ka, np.full(len(keys), 65, np.uint8), ea, sa, expect


def _verify(curve, arrays, threads=1):
    keys, lens, d, s = arrays
    if curve == "p256":
        return list(p256.verify(keys, lens, d, s, threads=threads))
    return list(sm2.verify_e(keys, lens, d, s, threads=threads))


def _mod(curve):
    return p256 if curve == "p256" else sm2


@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_no_tables_where_the_lanes_run(curve, monkeypatch):
    """With the IFMA kernel active, verify neither uses nor builds key tables (and says so through
    lanes_outrun_tables); masked off, a key's second sighting builds its table."""
    from ledgerval.native._wei3 import lanes_outrun_tables
    rnd = random.Random(SEED + 21)
    *arrays, expect = (p256_rows if curve == "p256" else sm2_rows)(rnd, 6)
    mod = _mod(curve)
    cache = KeyTableCache(mod.keytabs, mod.table_cache._tb)
    monkeypatch.setattr(mod, "table_cache", cache)
    if lanes_outrun_tables():
        for _ in range(3):
            assert _verify(curve, arrays) == expect
        assert len(cache) == 0
    with cpu_mask(0xFFFFFFFF & ~lib.LV_CPU_AVX512IFMA):
        assert not lanes_outrun_tables()
        for _ in range(2):
            assert _verify(curve, arrays) == expect
        assert len(cache) > 0


@pytest.mark.parametrize("portable", [False, True])
@pytest.mark.parametrize("curve", ["p256", "sm2"])
def test_split_and_plain_paths_agree_with_reference(curve, portable, monkeypatch):
    rnd = random.Random(SEED + (curve == "sm2") + 2 * portable)
    print("seed", SEED)
    *arrays, expect = (p256_rows if curve == "p256" else sm2_rows)(rnd, NRAND)
    mod = _mod(curve)
    # Tables only serve where the 8-lane IFMA kernel does not run (it outruns them): mask it off here
    keep = 0 if portable else 0xFFFFFFFF & ~lib.LV_CPU_AVX512IFMA
    with cpu_mask(keep):
        monkeypatch.setattr(mod, "table_cache", KeyTableCache(mod.keytabs, mod.table_cache._tb, maxsize=0))
        assert _verify(curve, arrays) == expect                        # plain path only
        cache = KeyTableCache(mod.keytabs, mod.table_cache._tb)
        monkeypatch.setattr(mod, "table_cache", cache)
        assert _verify(curve, arrays) == expect                        # first sighting: plain path
        lease = cache.lookup(arrays[0], arrays[1])
        lease.release()
        valid_key = mod.decompress(arrays[0], arrays[1])[1]
        assert (lease.has == valid_key).all()                          # second sighting: tables, valid keys only
        assert _verify(curve, arrays) == expect                        # split path
        assert _verify(curve, arrays, threads=3) == expect


def test_tables_built_on_second_sighting_or_repeat_in_batch():
    rnd = random.Random(SEED + 7)
    keys, lens, _, _, _ = p256_rows(rnd, 6)
    cache = KeyTableCache(p256.keytabs, p256.table_cache._tb)
    first = cache.lookup(keys[:3], lens[:3])
    assert not first.has.any() and len(cache) == 0
    first.release()
    lease = cache.lookup(keys[:3], lens[:3])
    assert lease.has.all() and len(cache) == 3 and lease.tabs.shape[1] == lib.LV_P256_KEYTAB_BYTES
    # the table is the one lv_p256_keytab builds for that key
    assert (lease.tabs[lease.idx[1]] == p256.keytabs(keys[1:2], lens[1:2])[0][0]).all()
    lease.release()
    rep = cache.lookup(np.ascontiguousarray(keys[[5, 5, 4]]), lens[[5, 5, 4]])
    assert list(rep.has) == [True, True, False] and rep.idx[0] == rep.idx[1]
    rep.release()
    # bytes past a compressed key's 33 are not part of its identity
    assert lens[5] == 33
    junk = keys[[5]].copy()
    junk[0, 40:] = 7
    again = cache.lookup(junk, lens[[5]])
    assert again.has[0] and again.idx[0] == rep.idx[0]
    again.release()


def test_pinned_tables_are_not_evicted():
    rnd = random.Random(SEED + 10)
    keys, lens, dig, sig, expect = p256_rows(rnd, 2)
    cache = KeyTableCache(p256.keytabs, p256.table_cache._tb, maxsize=1)
    two = [0, 0]
    held = cache.lookup(keys[two], lens[two])              # key 0 built and pinned
    assert held.has.all()
    row = held.tabs[held.idx[0]].copy()
    other = cache.lookup(keys[[1, 1]], lens[[1, 1]])        # the only row is pinned: no table for key 1
    assert not other.has.any()
    other.release()
    cache.clear()                                           # clearing while pinned orphans the row
    late = cache.lookup(keys[[1, 1]], lens[[1, 1]])
    assert not late.has.any()
    late.release()
    assert (held.tabs[held.idx[0]] == row).all()
    held.release()                                          # the orphan is free again
    after = cache.lookup(keys[[1, 1]], lens[[1, 1]])
    assert after.has.all() and len(cache) == 1
    after.release()


def test_cache_bounded_and_correct_under_concurrent_evictions(monkeypatch):
    rnd = random.Random(SEED + 8)
    keys, lens, dig, sig, expect = p256_rows(rnd, 24 if not SAN else 8)
    cache = KeyTableCache(p256.keytabs, p256.table_cache._tb, maxsize=3, seen_max=4)
    monkeypatch.setattr(p256, "table_cache", cache)

    def worker(w):
        r = np.random.default_rng(SEED + w)
        for _ in range(6 if not SAN else 2):
            sel = r.choice(len(keys), size=8)
            got = list(p256.verify(keys[sel], lens[sel], dig[sel], sig[sel], threads=1))
            assert got == [expect[i] for i in sel], (SEED + w, list(sel))
            assert len(cache) <= 3, "cache exceeded its bound"

    errors = run_in_threads(worker)
    assert not errors, errors[:3]
    assert len(cache) <= 3
    cache.clear()
    assert len(cache) == 0


def test_verify_tab_index_out_of_range_is_misuse():
    rnd = random.Random(SEED + 9)
    keys, lens, dig, sig, _ = p256_rows(rnd, 1)
    tabs, ok = p256.keytabs(keys[:1], lens[:1])
    assert ok.all()
    out = np.zeros(1, np.uint8)
    for bad in (1, -1):
        idx = np.array([bad], np.int32)
        rc = lib.lv_p256_verify_tab(ptr(dig), ptr(sig), 1, 0, ptr(tabs), 1, ffi.cast("int32_t *", ffi.from_buffer(idx)),
                                    ptr(out))
        assert rc == lib.LV_EBADSLOT
    e = np.zeros((1, 32), np.uint8)
    idx = np.array([2], np.int32)
    assert lib.lv_sm2_verify_e_tab(ptr(e), ptr(sig), 1, ptr(tabs), 1, ffi.cast("int32_t *", ffi.from_buffer(idx)),
                                   ptr(out)) == lib.LV_EBADSLOT


def _contract_batches(curve, seeds):
    """Batches with different keys, each row twice (a key's second sighting in one batch fills its row), and
    their reference verdicts."""
    batches, wants = [], []
    for s in seeds:
        keys, lens, d, sg, expect = (p256_rows if curve == "p256" else sm2_rows)(random.Random(s), 6)
        two = np.repeat(np.arange(len(keys)), 2)
        batches.append(tuple(np.ascontiguousarray(a[two]) for a in (keys, lens, d, sg)))
        wants.append(np.array(expect)[two])
    return batches, wants


@pytest.mark.parametrize("curve", ["p256", "sm2"])
@pytest.mark.parametrize("check", [check_eviction, check_concurrent_use], ids=["eviction", "concurrent"])
def test_table_cache_keeps_the_keyslot_contract(curve, check, monkeypatch):
    """KeyTableCache is a KeySlotCache and passes the same contract as every per-key cache (keyslot_contract),
    on the ADX 4x64 path where the tables are used."""
    batches, wants = _contract_batches(curve, [SEED + 30, SEED + 31])
    cache = KeyTableCache(_mod(curve).keytabs, _mod(curve).table_cache._tb, maxsize=4)
    assert isinstance(cache, KeySlotCache)
    monkeypatch.setattr(_mod(curve), "table_cache", cache)
    with cpu_mask(features_mask(["BMI2", "ADX"])):
        check(lambda b, r: np.array(_verify(curve, b, threads=1 + r % 2)), batches, wants, cache)


@pytest.mark.parametrize("check", [check_eviction, check_concurrent_use], ids=["eviction", "concurrent"])
def test_decompressed_key_cache_keeps_the_keyslot_contract(check, monkeypatch):
    """p256's KeyCache (compressed key -> uncompressed form) is a KeySlotCache under the same contract; with
    no key tables every compressed key of the plain path goes through it."""
    batches, wants = _contract_batches("p256", [SEED + 32, SEED + 33])
    cache = KeyCache(p256.decompress, maxsize=3)
    assert isinstance(cache, KeySlotCache)
    monkeypatch.setattr(p256, "key_cache", cache)
    monkeypatch.setattr(p256, "table_cache", KeyTableCache(p256.keytabs, p256.table_cache._tb, maxsize=0))
    with cpu_mask(features_mask(["BMI2", "ADX"])):
        check(lambda b, r: np.array(_verify("p256", b, threads=1 + r % 2)), batches, wants, cache)
