"""The per-key slot cache of the secp256k1 kernel (native/_keyslots.py, lv_secp256k1_verify_slots): cached
and uncached verification agree on every input, keys that do not decode are never cached, concurrent use and
eviction under a small bound keep verdicts right."""
from __future__ import annotations

import random

import numpy as np
import pytest
from keyslot_contract import check_concurrent_use, check_eviction, nullcontext

from ledgerval.errors import LedgervalError
from ledgerval.native import cpu_mask
from ledgerval.native import secp256k1 as k1
from ledgerval.native._keyslots import KeySlotCache

pytestmark = pytest.mark.skipif(not k1.AVAILABLE, reason="native secp256k1 kernel not built")
N_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
P = 2**256 - 2**32 - 977


def _scalars(rnd: random.Random, n: int) -> np.ndarray:
    return np.array([np.frombuffer((rnd.randrange(1, N_ORDER)).to_bytes(32, "big"), np.uint8) for _ in range(n)])


def _batch(rnd: random.Random, n: int, senders: int, corrupt: float = 0.25):
    """n signatures by `senders` keys (compressed or uncompressed per sender), a fraction corrupted, plus
    items with keys that do not decode."""
    privs = _scalars(rnd, senders)
    comp = k1.pubkeys(privs)
    who = np.array([rnd.randrange(senders) for _ in range(n)])
    digests = np.frombuffer(rnd.randbytes(32 * n), np.uint8).reshape(n, 32).copy()
    sigs = k1.sign(privs[who], digests, _scalars(rnd, n))
    keys = np.zeros((n, 65), np.uint8)
    lens = np.zeros(n, np.uint8)
    for i in range(n):
        key = comp[who[i]].tobytes()
        if who[i] % 3 == 0:   # this sender uses the uncompressed form
            x = int.from_bytes(key[1:], "big")
            y = pow((x**3 + 7) % P, (P + 1) // 4, P)
            if y & 1 != key[0] & 1:
                y = P - y
            key = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
        keys[i, :len(key)] = np.frombuffer(key, np.uint8)
        lens[i] = len(key)
        r = rnd.random()
        if r < corrupt / 3:
            sigs[i, rnd.randrange(64)] ^= 1 << rnd.randrange(8)
        elif r < 2 * corrupt / 3:
            digests[i, rnd.randrange(32)] ^= 1
        elif r < corrupt:
            keys[i, 1 + rnd.randrange(32)] ^= 1 << rnd.randrange(8)   # another key, or none on the curve
    return keys, lens, digests, sigs


def _bad_keys(rnd: random.Random):
    """Keys that never decode: x with no y, x >= p, bad prefixes, an off-curve uncompressed point."""
    out = []
    while len(out) < 2:
        x = rnd.randrange(P)
        if pow((x**3 + 7) % P, (P - 1) // 2, P) != 1:
            out.append(b"\x02" + x.to_bytes(32, "big"))
    out.append(b"\x03" + (P + 1).to_bytes(32, "big"))
    out.append(b"\x05" + bytes(31) + b"\x01")
    out.append(b"\x04" + (1).to_bytes(32, "big") + (1).to_bytes(32, "big"))
    out.append(b"\x04" + bytes(64))
    return out


@pytest.fixture
def small_cache(monkeypatch):
    def make(maxsize):
        c = KeySlotCache(k1._fill_slots, k1.lib.LV_SECP256K1_KEYSLOT_BYTES, maxsize=maxsize)
        monkeypatch.setattr(k1, "key_cache", c)
        return c
    return make


@pytest.mark.parametrize("portable", [False, True])
def test_cached_and_uncached_agree(portable, small_cache):
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    cache = small_cache(4096)
    with cpu_mask(0) if portable else nullcontext():
        for n, senders in [(300, 12), (40, 3), (3, 1), (9, 2), (130, 60)]:
            keys, lens, digests, sigs = _batch(rnd, n, senders)
            want = k1.verify(keys, lens, digests, sigs, cache=False, threads=1)
            for _ in range(3):   # first sighting, fill, hits
                for low_s in (False, True):
                    got = k1.verify(keys, lens, digests, sigs, low_s=low_s, threads=2)
                    ref = want if not low_s else k1.verify(keys, lens, digests, sigs, low_s=True, cache=False)
                    assert (got == ref).all(), (n, senders, np.flatnonzero(got != ref))
            assert n < 40 or (want.any() and not want.all())
        assert len(cache) > 0


def test_path_switch_with_cached_tables(small_cache):
    """Slots filled on one path are read on the other (the table kinds differ; the key is still used)."""
    rnd = random.Random(11)
    small_cache(4096)
    keys, lens, digests, sigs = _batch(rnd, 200, 10)
    want = k1.verify(keys, lens, digests, sigs, cache=False)
    k1.verify(keys, lens, digests, sigs)
    with cpu_mask(0):
        assert (k1.verify(keys, lens, digests, sigs) == want).all()
        k1.key_cache.clear()
        k1.verify(keys, lens, digests, sigs)
    assert (k1.verify(keys, lens, digests, sigs) == want).all()


def test_invalid_keys_never_cached(small_cache):
    rnd = random.Random(5)
    cache = small_cache(64)
    bad = _bad_keys(rnd)
    keys, lens, digests, sigs = _batch(rnd, 64, 4, corrupt=0)
    for i in range(0, 64, 2):
        b = bad[(i // 2) % len(bad)]
        keys[i] = 0
        keys[i, :len(b)] = np.frombuffer(b, np.uint8)
        lens[i] = len(b)
    for _ in range(3):
        got = k1.verify(keys, lens, digests, sigs)
        assert not got[::2].any()
        assert got[1::2].all()
    # only the four good keys hold slots
    assert len(cache) == 4


def test_eviction_under_small_bound(small_cache):
    rnd = random.Random(7)
    cache = small_cache(3)
    batches = [_batch(rnd, 240, 20), _batch(rnd, 120, 10)]
    wants = [k1.verify(*b, cache=False) for b in batches]
    check_eviction(lambda b, r: k1.verify(*b, threads=2), batches, wants, cache)


def test_concurrent_use(small_cache):
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    cache = small_cache(8)
    batches = [_batch(rnd, 96, 6 + 3 * t) for t in range(4)]
    wants = [k1.verify(*b, cache=False) for b in batches]
    check_concurrent_use(lambda b, r: k1.verify(*b, threads=1), batches, wants, cache)


def test_slot_misuse_is_an_error():
    keys, lens, digests, sigs = _batch(random.Random(3), 4, 1, corrupt=0)
    arena = np.zeros((2, k1.lib.LV_SECP256K1_KEYSLOT_BYTES), np.uint8)
    ffi, lib = k1.ffi, k1.lib
    st = np.zeros(4, np.uint8)
    for bad in ([0, 0, 2, -1], [0, -2, 0, 0]):
        slots = np.array(bad, np.int32)
        rc = lib.lv_secp256k1_verify_slots(ffi.from_buffer(keys), ffi.from_buffer(lens), ffi.from_buffer(digests),
                                           ffi.from_buffer(sigs), 4, 0, ffi.from_buffer(arena), 2,
                                           ffi.cast("int32_t *", ffi.from_buffer(slots)), ffi.from_buffer(st))
        assert rc == lib.LV_EBADSLOT
        nxt = np.zeros(1, np.int64)
        rc = lib.lv_secp256k1_verify_shared(ffi.from_buffer(keys), ffi.from_buffer(lens), ffi.from_buffer(digests),
                                            ffi.from_buffer(sigs), 4, 0, ffi.from_buffer(arena), 2,
                                            ffi.cast("int32_t *", ffi.from_buffer(slots)),
                                            ffi.cast("int64_t *", ffi.from_buffer(nxt)), ffi.from_buffer(st))
        assert rc == lib.LV_EBADSLOT
    rc = lib.lv_secp256k1_verify_shared(ffi.from_buffer(keys), ffi.from_buffer(lens), ffi.from_buffer(digests),
                                        ffi.from_buffer(sigs), 4, 0, ffi.NULL, 0, ffi.NULL, ffi.NULL, ffi.from_buffer(st))
    assert rc == lib.LV_EMISUSE  # no claim counter
    with pytest.raises(LedgervalError):
        k1._fill_slots(np.zeros((1, 66), np.uint8), arena, np.array([2], np.int32))
    # a fill of a key that does not decode zeroes its row and reports it
    ident = np.zeros((1, 66), np.uint8)
    ident[0, 0] = 33
    ident[0, 1] = 2
    arena[1] = 7
    assert not k1._fill_slots(ident, arena, np.array([1], np.int32))[0]
    assert not arena[1].any()
