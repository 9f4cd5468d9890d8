"""The per-key slot cache of the Ed25519 kernels (native/_keyslots.py, lv_ed25519_verify*_slots): cached and
uncached verification agree on every input (single and batch), keys that do not decode are never cached,
concurrent use and eviction under a small bound keep verdicts right."""
from __future__ import annotations

import random

import numpy as np
import pytest
from keyslot_contract import check_concurrent_use, check_eviction

from test_native_ed25519 import path_mask, tiers_by_path

from ledgerval.errors import InvalidArgument
from ledgerval.native import ed25519 as ed
from ledgerval.native._keyslots import KeySlotCache

pytestmark = pytest.mark.skipif(not ed.AVAILABLE, reason="native Ed25519 kernel not built")
P = 2**255 - 19


def _bad_keys(rnd: random.Random) -> list[bytes]:
    """Encodings that never decode: y >= p (non-canonical), y with no x, x = 0 with the sign bit set."""
    out = [P.to_bytes(32, "little"), (P + 1).to_bytes(32, "little"), (1 | 1 << 255).to_bytes(32, "little")]
    while len(out) < 6:
        b = rnd.randrange(P).to_bytes(32, "little")
        if ed._test_ge(0, b)[0] == 0:
            out.append(b)
    return out


def _batch(rnd: random.Random, n: int, senders: int, corrupt: float = 0.25):
    seeds = np.frombuffer(rnd.randbytes(32 * senders), np.uint8).reshape(senders, 32)
    who = np.array([rnd.randrange(senders) for _ in range(n)])
    lens = [rnd.randrange(0, 60) for _ in range(n)]
    offs = np.zeros(n + 1, np.int64)
    offs[1:] = np.cumsum(lens)
    buf = np.frombuffer(rnd.randbytes(int(offs[-1])), np.uint8).copy()
    sigs = ed.sign(np.ascontiguousarray(seeds[who]), buf, offs)
    keys = ed.pubkeys(np.ascontiguousarray(seeds[who]))
    for i in range(n):
        r = rnd.random()
        if r < corrupt / 3:
            sigs[i, rnd.randrange(64)] ^= 1 << rnd.randrange(8)
        elif r < 2 * corrupt / 3 and lens[i]:
            buf[offs[i] + rnd.randrange(lens[i])] ^= 1
        elif r < corrupt:
            keys[i, rnd.randrange(32)] ^= 1 << rnd.randrange(8)
    return keys, buf, offs, sigs


@pytest.fixture
def small_cache(monkeypatch):
    def make(maxsize):
        c = KeySlotCache(ed._fill_slots, ed.lib.LV_ED25519_KEYSLOT_BYTES, maxsize=maxsize)
        monkeypatch.setattr(ed, "key_cache", c)
        return c
    return make


@pytest.mark.parametrize("tier", tiers_by_path())
def test_cached_and_uncached_agree(tier, small_cache):
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    cache = small_cache(4096)
    with path_mask(tier):
        for n, senders in [(300, 12), (40, 3), (3, 1), (9, 2), (130, 60)]:
            b = _batch(rnd, n, senders)
            want = ed.verify(*b, cache=False, method="single")
            for _ in range(3):   # first sighting, fill, hits
                for method in ("single", "batch", "auto"):
                    got = ed.verify(*b, method=method, threads=2)
                    assert (got == want).all(), (n, senders, method, np.flatnonzero(got != want))
            assert n < 40 or (want.any() and not want.all())
        assert len(cache) > 0


def test_rows_filled_on_one_path_serve_every_path(small_cache):
    """A row holds a 5x51 niels table when filled on the portable or AVX2 path, a 4x64 one when filled on the ADX
    path, none when filled on the IFMA path; every path reads every row."""
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    tiers = tiers_by_path()
    for fill in tiers:
        for use in tiers:
            small_cache(256)
            b = _batch(rnd, 70, 9)
            want = ed.verify(*b, cache=False, method="single")
            with path_mask(fill):
                for _ in range(2):              # first sighting, then the fill
                    ed.verify(*b, cache=True, method="batch")
            with path_mask(use):
                for method in ("batch", "single"):
                    got = ed.verify(*b, method=method)
                    assert (got == want).all(), (fill, use, method, np.flatnonzero(got != want))


@pytest.mark.parametrize("tier", tiers_by_path())
def test_tampered_item_at_every_position_with_cached_duplicate_keys(tier, small_cache):
    """Keys cached and repeated within the batch; one bad item at each position is exactly the one reported."""
    n = 24
    small_cache(64)
    keys, buf, offs, sigs = _batch(random.Random(11), n, 5, corrupt=0)
    with path_mask(tier):
        for _ in range(2):
            assert ed.verify(keys, buf, offs, sigs, method="batch").all()
        for pos in range(n):
            bad = sigs.copy()
            bad[pos, 40] ^= 4                   # S changes: the equation fails, S stays < L
            got = ed.verify(keys, buf, offs, bad, method="batch")
            assert np.flatnonzero(~got).tolist() == [pos], (tier, pos)


def test_invalid_keys_never_cached(small_cache):
    rnd = random.Random(5)
    cache = small_cache(64)
    bad = _bad_keys(rnd)
    keys, buf, offs, sigs = _batch(rnd, 64, 4, corrupt=0)
    for i in range(0, 64, 2):
        keys[i] = np.frombuffer(bad[(i // 2) % len(bad)], np.uint8)
    for _ in range(3):
        for method in ("single", "batch"):
            got = ed.verify(keys, buf, offs, sigs, method=method)
            assert not got[::2].any()
            assert got[1::2].all()
    assert len(cache) == 4


def test_eviction_under_small_bound(small_cache):
    rnd = random.Random(7)
    cache = small_cache(3)
    batches = [_batch(rnd, 240, 20), _batch(rnd, 120, 10)]
    wants = [ed.verify(*b, cache=False) for b in batches]
    check_eviction(lambda b, r: ed.verify(*b, threads=2), batches, wants, cache)


def test_concurrent_use(small_cache):
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    cache = small_cache(8)
    batches = [_batch(rnd, 96, 6 + 3 * t) for t in range(4)]
    wants = [ed.verify(*b, cache=False) for b in batches]
    check_concurrent_use(lambda b, r: ed.verify(*b, threads=1, method="batch" if r % 2 else "single"), batches,
                         wants, cache)


def test_slot_misuse_is_an_error():
    keys, buf, offs, sigs = _batch(random.Random(3), 4, 1, corrupt=0)
    arena = np.zeros((2, ed.lib.LV_ED25519_KEYSLOT_BYTES), np.uint8)
    ffi, lib = ed.ffi, ed.lib
    st = np.zeros(4, np.uint8)
    for bad in ([0, 0, 2, -1], [0, -2, 0, 0]):
        slots = np.array(bad, np.int32)
        rc = lib.lv_ed25519_verify_slots(ffi.from_buffer(keys), ffi.from_buffer(sigs), ffi.from_buffer(buf), len(buf),
                                         ffi.from_buffer("int64_t[]", offs), 4, ffi.from_buffer(arena), 2,
                                         ffi.cast("int32_t *", ffi.from_buffer(slots)), ffi.from_buffer(st))
        assert rc == lib.LV_EBADSLOT
    with pytest.raises(InvalidArgument):
        ed._fill_slots(keys[:1], arena, np.array([2], np.int32))
    arena[1] = 7
    assert not ed._fill_slots(np.frombuffer(P.to_bytes(32, "little"), np.uint8)[None, :].copy(), arena,
                              np.array([1], np.int32))[0]
    assert not arena[1].any()


def _equation(keys, buf, offs, sigs, rand, arena=None, slots=None) -> int:
    """The raw batch equation over every item (lv_ed25519_test_batch_equation): 1 holds, 0 fails."""
    ffi, lib = ed.ffi, ed.lib
    n = len(keys)
    scratch = np.empty(lib.lv_ed25519_batch_scratch_bytes(n), np.uint8)
    st = np.zeros(n, np.uint8)
    pa = ffi.cast("uint8_t *", ffi.from_buffer(arena)) if arena is not None else ffi.NULL
    ps = ffi.cast("int32_t *", ffi.from_buffer(slots)) if slots is not None else ffi.NULL
    return lib.lv_ed25519_test_batch_equation(ffi.from_buffer(keys), ffi.from_buffer(sigs), ffi.from_buffer(buf),
                                              len(buf), ffi.from_buffer("int64_t[]", offs), ffi.from_buffer(rand),
                                              n, ffi.from_buffer(scratch), len(scratch), pa,
                                              0 if arena is None else len(arena), ps, ffi.from_buffer(st))


@pytest.mark.parametrize("tier", tiers_by_path())
def test_batch_equation_itself_with_repeated_keys(tier):
    """The equation (not the bisection behind it) holds on valid batches whose keys repeat, cached or not, and
    fails when one item is bad: grouping a key's terms must keep the sum exact."""
    rnd = random.Random(21)
    keys, buf, offs, sigs = _batch(rnd, 40, 6, corrupt=0)
    keys[5:9] = keys[30]                 # the same key with others' signatures: most of those items are bad
    good = ed.verify(keys, buf, offs, sigs, cache=False, method="single")
    assert not good.all() and good.sum() > 30
    rand = np.frombuffer(rnd.randbytes(16 * 40), np.uint8).reshape(40, 16).copy()
    idx = np.flatnonzero(good)
    k, s = np.ascontiguousarray(keys[idx]), np.ascontiguousarray(sigs[idx])
    msgs = [bytes(buf[offs[i]:offs[i + 1]]) for i in idx]
    b2 = np.frombuffer(b"".join(msgs) or b"\0", np.uint8).copy()
    o2 = np.zeros(len(idx) + 1, np.int64)
    o2[1:] = np.cumsum([len(m) for m in msgs])
    r2 = np.ascontiguousarray(rand[idx])
    arena = np.zeros((len(idx), ed.lib.LV_ED25519_KEYSLOT_BYTES), np.uint8)
    slots = np.arange(len(idx), dtype=np.int32)
    with path_mask(tier):
        assert ed._fill_slots(k, arena, slots).all()
        assert _equation(k, b2, o2, s, r2) == 1
        assert _equation(k, b2, o2, s, r2, arena, slots) == 1
        assert _equation(keys, buf, offs, sigs, rand) == 0
        for pos in (0, 5, len(idx) - 1):
            bad = s.copy()
            bad[pos, 33] ^= 1
            assert _equation(k, b2, o2, bad, r2) == 0
            assert _equation(k, b2, o2, bad, r2, arena, slots) == 0
