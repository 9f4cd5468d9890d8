"""The wei3 wrappers (ECDSA P-256, SM2) give identical verdicts at every tier this machine has and for 1 to 4
threads, with keys cached (tables, decoded keys, Z_A), not cached, and half of them cached (cached and fresh
keys interleaved, so every thread chunk holds both), and with malformed keys and signatures placed on both
sides of every chunk boundary the thread split draws (native/_pool.py run_chunks: contiguous chunks of at
least the wrapper's _MIN_CHUNK items).  The reference implementation gives the expected verdicts."""
from __future__ import annotations

import hashlib
import os
import random

import numpy as np
import pytest

from ledgerval.native import p256, sm2, tier_mask, tiers_available
from ledgerval.native._pool import run_chunks
from ledgerval.reference import ecc

pytestmark = pytest.mark.skipif(not (p256.AVAILABLE and sm2.AVAILABLE), reason="native wei3 kernels not built")

SEED = int(os.environ.get("LV_TEST_SEED", "9187"))
# 70 items: more than one 64-item inversion block, and 8-lane groups that do not divide it
N_ITEMS = 70
THREADS = (1, 2, 3, 4)
MODS = {"p256": p256, "sm2": sm2}
CURVES = {"p256": ecc.P256, "sm2": ecc.SM2}


def chunk_bounds(n: int, min_chunk: int) -> set[int]:
    """Every first index of a chunk other than 0 that run_chunks uses for n items at 2..4 threads."""
    seen: set[int] = set()
    for t in THREADS[1:]:
        run_chunks(n, t, lambda a, b: seen.add(a), min_chunk=min_chunk)
    seen.discard(0)
    return seen


def _no_sqrt_x(c) -> int:
    x = 0
    while pow((x**3 - 3 * x + c.b) % c.p, (c.p - 1) // 2, c.p) != c.p - 1:
        x += 1
    return x


def _bad_keys(c, key65: bytes) -> list[bytes]:
    p = c.p.to_bytes(32, "big")
    x, y = key65[1:33], key65[33:]
    return [b"", b"\x05" + key65[1:], b"\x02" + _no_sqrt_x(c).to_bytes(32, "big"),
            b"\x04" + x + ((int.from_bytes(y, "big") + 1) % c.p).to_bytes(32, "big"), b"\x02" + p,
            bytes([2 | (key65[-1] & 1) ^ 1]) + x]


def _bad_sigs(c, sig: bytes) -> list[bytes]:
    r, s, n = sig[:32], sig[32:], c.n.to_bytes(32, "big")
    flipped = sig[:40] + bytes([sig[40] ^ 4]) + sig[41:]
    out = [bytes(32) + s, r + bytes(32), n + s, r + n, flipped]
    if c is ecc.SM2:   # t = r + s = n
        out.append(r + ((c.n - int.from_bytes(r, "big")) % c.n).to_bytes(32, "big"))
    return out


@pytest.fixture(scope="module", params=["p256", "sm2"])
def workload(request):
    """(curve name, rows (key, message, signature), expected verdicts, the rows whose keys get cached)."""
    name = request.param
    mod, c = MODS[name], CURVES[name]
    rnd = random.Random(SEED + len(name))
    n = N_ITEMS
    privs = np.array([list(rnd.randrange(1, c.n - 1).to_bytes(32, "big")) for _ in range(n)], np.uint8)
    nonces = np.array([list(rnd.randrange(1, c.n).to_bytes(32, "big")) for _ in range(n)], np.uint8)
    comp = mod.pubkeys(privs)
    lens33 = np.full(n, 33, np.uint8)
    pad = np.zeros((n, 65), np.uint8)
    pad[:, :33] = comp
    full, ok = mod.decompress(pad, lens33)
    assert ok.all()
    if name == "p256":
        msgs = [hashlib.sha256(rnd.randbytes(8)).digest() for _ in range(n)]
        sigs = p256.sign(privs, np.array([list(m) for m in msgs], np.uint8), nonces)
    else:   # messages of several lengths, so e = SM3(Z_A || M) takes the general gather
        msgs = [rnd.randbytes(20 + i % 7) for i in range(n)]
        offs = np.zeros(n + 1, np.int64)
        np.cumsum([len(m) for m in msgs], out=offs[1:])
        sigs = sm2.sign(privs, np.frombuffer(b"".join(msgs), np.uint8), offs, nonces)
    # both encodings: even rows compressed, odd rows uncompressed
    rows = [(bytes(comp[i]) if i % 2 == 0 else bytes(full[i]), msgs[i], bytes(sigs[i])) for i in range(n)]
    bad_at = sorted({b + d for b in chunk_bounds(n, mod._MIN_CHUNK) for d in (-1, 0)} | {0, n - 1})
    bad_keys, bad_sigs = _bad_keys(c, bytes(full[0])), _bad_sigs(c, bytes(sigs[0]))
    for j, i in enumerate(bad_at):
        k, m, s = rows[i]
        if j % 2 == 0:
            rows[i] = (bad_keys[(j // 2) % len(bad_keys)], m, s)
        else:
            rows[i] = (k, m, _bad_sigs(c, s)[(j // 2) % len(bad_sigs)])
    if name == "p256":
        expect = np.array([ecc.ecdsa_verify(c, k, m, s) for k, m, s in rows])
    else:
        expect = np.array([ecc.sm2_verify(k, m, s) for k, m, s in rows])
    assert not expect[bad_at].any() and expect.sum() == n - len(bad_at)
    return name, rows, expect, [i for i in range(n) if i % 2 == 0 or i % 3 == 0]


def _arrays(name, rows):
    n = len(rows)
    keys = np.zeros((n, 65), np.uint8)
    lens = np.zeros(n, np.uint8)
    for i, (k, _, _) in enumerate(rows):
        keys[i, : len(k)] = np.frombuffer(k, np.uint8)
        lens[i] = len(k)
    sigs = np.array([list(s) for _, _, s in rows], np.uint8)
    if name == "p256":
        return keys, lens, np.array([list(m) for _, m, _ in rows], np.uint8), sigs
    offs = np.zeros(n + 1, np.int64)
    np.cumsum([len(m) for _, m, _ in rows], out=offs[1:])
    return keys, lens, np.frombuffer(b"".join(m for _, m, _ in rows), np.uint8), offs, sigs


def _cached_rows(mod) -> int:
    return sum(len(c) for c in (getattr(mod, a, None) for a in ("key_cache", "za_cache", "table_cache",
                                                                 "lane_table_cache")) if c is not None)


def _verify(name, rows, threads):
    return np.asarray(MODS[name].verify(*_arrays(name, rows), threads=threads))


@pytest.mark.parametrize("tier", tiers_available())
@pytest.mark.parametrize("cached", ["none", "all", "half"])
def test_verdicts_identical_for_every_tier_thread_count_and_cache_state(workload, tier, cached):
    name, rows, expect, half = workload
    mod = MODS[name]
    warm = {"none": [], "all": list(range(len(rows))), "half": half}[cached]
    with tier_mask(tier):
        for t in THREADS:
            mod.clear_caches()
            for _ in range(2):    # a key's second sighting fills its rows
                if warm:
                    _verify(name, [rows[i] for i in warm], threads=1)
            if warm:
                assert _cached_rows(mod) > 0, (tier, cached)
            got = _verify(name, rows, threads=t)
            assert (got == expect).all(), (tier, cached, t, np.flatnonzero(got != expect).tolist())
            if cached == "none":
                continue
            # the batch itself now warms the rest of the keys: a second pass mixes states again
            assert (_verify(name, rows, threads=t) == expect).all(), (tier, cached, t)
    mod.clear_caches()
