"""SM2's per-key slot cache (native/sm2.py ZaCache over native/_keyslots.py): verdicts never depend on its
state, two encodings of one point get separate slots, keys that do not decode never get one, a tiny bound
under 4 threads, and the GM/T example's Z_A read back from its slot."""
from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest
from keyslot_contract import run_in_threads

from ledgerval.native import sm2
from ledgerval.native._wei3 import KeyTableCache
from ledgerval.reference import ecc
from conftest import vector_file

pytestmark = pytest.mark.skipif(not sm2.AVAILABLE, reason="native SM2 kernel not built")

SEED = int(os.environ.get("LV_TEST_SEED", "7741"))
SAN = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
C = ecc.SM2
N = C.n


def batch(rows, pad=0):
    """Arrays for sm2.verify; ``pad`` fills the bytes past a compressed key (they must not matter)."""
    n = len(rows)
    keys = np.full((n, 65), pad, np.uint8)
    lens = np.zeros(n, np.uint8)
    sig = np.zeros((n, 64), np.uint8)
    for i, (k, _, s) in enumerate(rows):
        if len(k) in (33, 65):
            keys[i, : len(k)] = np.frombuffer(k, np.uint8)
            lens[i] = len(k)
        sig[i] = np.frombuffer(s, np.uint8)
    msgs = [m for _, m, _ in rows]
    offs = np.zeros(n + 1, np.int64)
    np.cumsum([len(m) for m in msgs], out=offs[1:])
    buf = np.frombuffer(b"".join(msgs), np.uint8) if msgs else np.zeros(0, np.uint8)
    return keys, lens, buf, offs, sig


def run(rows, threads=1, pad=0):
    return sm2.verify(*batch(rows, pad), threads=threads)


def _no_tables(monkeypatch):
    """Table caches without rows, so every key goes through za_cache (a key with a table takes its Z_A
    from the table's row instead: test_za_from_table_rows)."""
    monkeypatch.setattr(sm2, "table_cache", KeyTableCache(sm2.keytabs, sm2.table_cache._tb, maxsize=0))
    if sm2.lane_table_cache is not None:
        monkeypatch.setattr(sm2, "lane_table_cache",
                            KeyTableCache(sm2.keytabs8, sm2.lane_table_cache._tb, maxsize=0))


@pytest.fixture
def fresh(monkeypatch):
    """A private cache for the test (the module's shared one stays as it was), and no key tables."""
    def make(maxsize=16384):
        cache = sm2.ZaCache(maxsize=maxsize)
        monkeypatch.setattr(sm2, "za_cache", cache)
        _no_tables(monkeypatch)
        return cache
    return make


def _pool(rnd, nkeys, nrows):
    """Rows over nkeys signers (each in both encodings), a quarter with a flipped signature bit and a
    quarter with a changed message, with the reference's verdicts."""
    ds = [rnd.randrange(1, N - 1) for _ in range(nkeys)]
    rows, expect = [], []
    for i in range(nrows):
        d = ds[rnd.randrange(nkeys)]
        key = ecc.public_key(C, d, compressed=rnd.random() < 0.5)
        m = rnd.randbytes(rnd.choice([0, 5, 32, 64]))
        sig = bytearray(ecc.sm2_sign(d, m, rnd.randrange(1, N)))
        if i % 4 == 1:
            sig[rnd.randrange(64)] ^= 1 << rnd.randrange(8)
        elif i % 4 == 2 and m:
            m = bytes([m[0] ^ 0x80]) + m[1:]
        rows.append((key, m, bytes(sig)))
        expect.append(ecc.sm2_verify(key, m, bytes(sig)))
    return rows, expect


def test_cached_equals_cold(fresh):
    rnd = random.Random(SEED)
    print("seed", SEED)
    rows, expect = _pool(rnd, 5, 24 if SAN else 60)
    fresh(maxsize=0)                        # no slots at all: everything decoded in bulk
    cold = run(rows)
    assert list(cold) == expect and 0 < sum(expect) < len(rows)
    cache = fresh()
    for t in (1, 2, 1):                     # first sighting, then slots filled, then read from them
        assert (run(rows, threads=t) == cold).all()
    assert 0 < len(cache) <= 10 and cache.fills == len(cache)
    perm = np.random.default_rng(SEED).permutation(len(rows))
    assert (run([rows[i] for i in perm], pad=0xA5) == cold[perm]).all()
    sm2.clear_caches()


def test_both_encodings_get_their_own_slot(fresh):
    rnd = random.Random(SEED + 1)
    d = rnd.randrange(1, N - 1)
    m = b"same point"
    sig = ecc.sm2_sign(d, m, rnd.randrange(1, N))
    rows = [(ecc.public_key(C, d, compressed=c), m, sig) for c in (True, False)]
    cache = fresh()
    for pad in (0, 0xFF, 0x11):             # bytes past the compressed key are not part of it
        assert list(run(rows + rows, pad=pad)) == [True] * 4
        assert len(cache) == 2
    assert cache.fills == 2


def test_keys_that_do_not_decode_are_never_cached(fresh):
    rnd = random.Random(SEED + 2)
    d = rnd.randrange(1, N - 1)
    m = b"msg"
    sig = ecc.sm2_sign(d, m, rnd.randrange(1, N))
    good = ecc.public_key(C, d, compressed=False)
    off_curve = good[:64] + bytes([good[64] ^ 1])
    x = 5
    while pow((x ** 3 - 3 * x + C.b) % C.p, (C.p - 1) // 2, C.p) == 1:    # an x with no point
        x += 1
    no_point = b"\x02" + x.to_bytes(32, "big")
    bad_prefix = b"\x05" + good[1:33]
    big_x = b"\x03" + C.p.to_bytes(32, "big")
    cache = fresh()
    rows = [(k, m, sig) for k in (off_curve, no_point, bad_prefix, big_x)] * 3 + [(good, m, sig)] * 2
    for t in (1, 2, 1):
        assert list(run(rows, threads=t)) == [False] * 12 + [True] * 2
    assert len(cache) == 1


def test_tiny_bound_four_threads(fresh):
    rnd = random.Random(SEED + 3)
    print("seed", SEED + 3)
    rows, expect = _pool(rnd, 7, 20)
    expect = np.array(expect)
    cache = fresh(maxsize=3)

    def work(t):
        r2 = random.Random(SEED * 10 + t)
        for it in range(8 if SAN else 25):
            pick = [r2.randrange(len(rows)) for _ in range(r2.randrange(1, 16))]
            got = run([rows[i] for i in pick], threads=r2.choice([1, 2]))
            assert (got == expect[pick]).all(), (t, it, pick)
            if it % 10 == 9:
                cache.clear()

    errors = run_in_threads(work)
    assert not errors, errors[:3]
    assert len(cache) <= 3 and (cache._pins == 0).all()


def test_gmt_example_through_the_cache(fresh):
    path = vector_file("gm", "sm2_sm3_vectors.json")
    v = json.loads(path.read_text())["sm2_verify"][0]
    key = b"\x04" + bytes.fromhex(v["public_key_x"] + v["public_key_y"])
    msg = v["msg_ascii"].encode()
    sig = bytes.fromhex(v["r"] + v["s"])
    comp = bytes([2 + (key[64] & 1)]) + key[1:33]
    bad = sig[:63] + bytes([sig[63] ^ 1])
    rows = [(key, msg, sig), (comp, msg, sig), (key, msg, bad)]
    cache = fresh()
    for _ in range(3):
        assert list(run(rows)) == [v["valid"], v["valid"], False]
    assert len(cache) == 2
    keys, lens, _, _, _ = batch(rows)
    k65, l65, zas = sm2._decoded(keys, lens)
    assert list(l65) == [65, 65, 65] and (k65 == k65[0]).all() and k65[0].tobytes() == key
    assert all(z.tobytes().hex() == v["za"] for z in zas)
    used = np.flatnonzero(cache._used)
    arena = cache._arena[used]
    assert (arena[:, sm2._ROW_OK] == 1).all()
    assert all(r[sm2._ROW_ZA:sm2._ROW_OK].tobytes().hex() == v["za"] for r in arena)


@pytest.mark.parametrize("side", [True, False], ids=["za-in-table-rows", "table-rows-without-za"])
def test_za_from_table_rows(side, monkeypatch):
    """A key with a table takes its Z_A from the table's row (the GM/T example's Z_A is there); a table cache
    without those bytes sends every key through za_cache.  Verdicts are the same both ways."""
    path = vector_file("gm", "sm2_sm3_vectors.json")
    v = json.loads(path.read_text())["sm2_verify"][0]
    key = b"\x04" + bytes.fromhex(v["public_key_x"] + v["public_key_y"])
    comp = bytes([2 + (key[64] & 1)]) + key[1:33]
    msg = v["msg_ascii"].encode()
    sig = bytes.fromhex(v["r"] + v["s"])
    bad = sig[:63] + bytes([sig[63] ^ 1])
    za = sm2.ZaCache()
    monkeypatch.setattr(sm2, "za_cache", za)
    for name in ("table_cache", "lane_table_cache"):
        old = getattr(sm2, name)
        if old is not None:
            build = sm2.keytabs if name == "table_cache" else sm2.keytabs8
            monkeypatch.setattr(sm2, name, KeyTableCache(build, old._tb, side=(sm2._za_side, 32) if side else None))
    rows = [(key, msg, sig), (comp, msg, sig), (key, msg, bad), (comp, b"other", sig)]
    for _ in range(3):
        assert list(run(rows + rows)) == [v["valid"], v["valid"], False, False] * 2
    tables = sm2._tables()[0]
    assert len(tables) == 2
    if side:
        used = np.flatnonzero(tables._used)
        assert all(tables._side[r].tobytes().hex() == v["za"] for r in used)
        assert len(za) == 0          # never consulted: both encodings have tables
    else:
        assert len(za) == 2
