"""native/_keyslots.py on its own, with a Python fill whose row is the key itself (so a wrong slot shows):
second-sighting admission, duplicates in a batch, keys that do not decode, fingerprint collisions (exact bytes
decide), LRU eviction order, pinned rows never reused, fill failures, and 4 threads with clears and a tiny
bound; plus the real Ed25519 kernel hammered the same way against uncached verdicts."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keyslot_contract import run_in_threads

from ledgerval.native import _keyslots as _ks
from ledgerval.native._keyslots import KeySlotCache

W = 32


class Fill:
    """Row = the key bytes; keys starting 0xFF do not decode (their row is left untouched)."""

    def __init__(self):
        self.calls = []

    def __call__(self, idents, arena, slots):
        assert idents.shape == (len(slots), W) and len(set(slots.tolist())) == len(slots)
        self.calls.append([bytes(r) for r in idents])
        ok = idents[:, 0] != 0xFF
        arena[slots[ok]] = idents[ok]
        return ok


def _keys(*names: int) -> np.ndarray:
    out = np.zeros((len(names), W), np.uint8)
    for i, k in enumerate(names):
        out[i] = np.frombuffer(k.to_bytes(W, "little"), np.uint8)
    return out


def _look(cache, keys):
    return cache.lookup(keys, np.arange(len(keys)), len(keys))


def _check(lease, keys):
    """Every slot's row holds exactly its item's key; returns the slots."""
    s = lease.slots
    for i in np.flatnonzero(s >= 0):
        assert (lease.arena[s[i]] == keys[i]).all(), (i, s[i])
    return s


def test_second_sighting_and_duplicates():
    f = Fill()
    c = KeySlotCache(f, W, maxsize=8)
    with _look(c, _keys(1, 2)) as l:
        assert (l.slots == -1).all() and not l.any
    assert len(c) == 0 and c.fills == 0
    with _look(c, _keys(1, 3, 3, 4)) as l:        # 1: second sighting; 3: twice in the batch; 4: first
        s = _check(l, _keys(1, 3, 3, 4))
        assert s[0] >= 0 and s[1] >= 0 and s[1] == s[2] and s[3] == -1 and s[0] != s[1]
    assert len(c) == 2 and c.fills == 2 and sorted(map(len, f.calls)) == [2]
    with _look(c, _keys(3, 1, 1, 3)) as l:        # hits: no fill
        s = _check(l, _keys(3, 1, 1, 3))
        assert (s >= 0).all() and s[0] == s[3] and s[1] == s[2]
    assert c.fills == 2


def test_rows_subset_and_no_identity_rows():
    c = KeySlotCache(Fill(), W, maxsize=4)
    keys = _keys(5, 5)
    with c.lookup(keys, np.array([1, 3]), 5) as l:
        assert l.slots[[0, 2, 4]].tolist() == [-1, -1, -1] and l.slots[1] == l.slots[3] >= 0
    with c.lookup(keys[:0], np.zeros(0, np.int64), 3) as l:
        assert (l.slots == -1).all()


def test_undecodable_never_cached_and_row_reused():
    f = Fill()
    c = KeySlotCache(f, W, maxsize=2)
    bad = _keys(0xFF, 0xFF)
    for _ in range(3):
        with _look(c, bad) as l:
            assert (l.slots == -1).all()
    assert len(c) == 0
    with _look(c, _keys(7, 7, 8, 8)) as l:        # the rows the bad key tried are free again
        assert (_check(l, _keys(7, 7, 8, 8)) >= 0).all()
    assert len(c) == 2


def test_fingerprint_collisions_exact_bytes_decide(monkeypatch):
    monkeypatch.setattr(KeySlotCache, "_fingerprints", staticmethod(lambda ident: np.zeros(len(ident), np.uint64)))
    rnd = random.Random(3)
    c = KeySlotCache(Fill(), W, maxsize=6)
    names = [rnd.randrange(1, 2**256) for _ in range(10)]
    for r in range(12):
        pick = [names[rnd.randrange(10)] for _ in range(rnd.randrange(1, 9))]
        keys = _keys(*pick)
        with _look(c, keys) as l:
            s = _check(l, keys)
            for i in range(len(pick)):     # one key, one slot; two keys, two slots
                for j in range(len(pick)):
                    if s[i] >= 0 and s[j] >= 0:
                        assert (s[i] == s[j]) == (pick[i] == pick[j])
        assert len(c) <= 6
    assert c.fills > 0


def test_eviction_order_lru():
    f = Fill()
    c = KeySlotCache(f, W, maxsize=3)
    for k in (1, 2, 3):
        _look(c, _keys(k, k)).release()
    slot = {}
    for k in (1, 2, 3):                                            # touches 1, 2, 3 in turn
        with _look(c, _keys(k)) as l:
            slot[k] = l.slots[0]
    _look(c, _keys(1)).release()                                   # 2 is now the least recently used
    with _look(c, _keys(4, 4)) as l:
        assert l.slots[0] == slot[2]
    fills = c.fills
    for k in (1, 3, 4):
        with _look(c, _keys(k)) as l:
            assert l.slots[0] >= 0
    assert c.fills == fills
    # evicted, and key 2 entered by appearing twice in one batch, so the bounded seen set never held it:
    # its first sighting after eviction only records it (no slot, no fill), the next one fills a slot
    with _look(c, _keys(2)) as l:
        assert l.slots[0] == -1 and c.fills == fills
    with _look(c, _keys(2)) as l:
        assert l.slots[0] >= 0 and c.fills == fills + 1


def test_pinned_rows_are_never_reused():
    c = KeySlotCache(Fill(), W, maxsize=3)
    held = _look(c, _keys(1, 1, 2, 2, 3, 3))
    assert (held.slots >= 0).all()
    other = _keys(4, 4, 5, 5)
    with _look(c, other) as l:         # every row pinned: these decode themselves
        assert (l.slots == -1).all()
    c.clear()
    with _look(c, other) as l:
        assert (l.slots == -1).all()   # cleared rows stay pinned until released
    _check(held, _keys(1, 1, 2, 2, 3, 3))
    held.release()
    held.release()
    with _look(c, other) as l:
        assert (_check(l, other) >= 0).all()


def test_fill_failure_frees_rows():
    def boom(idents, arena, slots):
        raise RuntimeError("boom")
    c = KeySlotCache(boom, W, maxsize=2)
    with pytest.raises(RuntimeError):
        _look(c, _keys(1, 1, 2, 2))
    c._fill = Fill()
    with _look(c, _keys(1, 1, 2, 2)) as l:
        assert (_check(l, _keys(1, 1, 2, 2)) >= 0).all()


def test_threads_tiny_bound_overlapping_keys():
    seed = random.randrange(2**32)
    print("seed", seed)
    c = KeySlotCache(Fill(), W, maxsize=5)
    names = list(range(1, 13)) + [0xFF, 0xFF | 1 << 8]

    def work(t):
        rnd = random.Random(seed + t)
        for r in range(300):
            pick = [names[(t * 3 + rnd.randrange(8)) % len(names)] for _ in range(rnd.randrange(1, 12))]
            keys = _keys(*pick)
            with _look(c, keys) as l:
                s = _check(l, keys)
                assert all(s[i] == -1 for i, k in enumerate(pick) if k & 0xFF == 0xFF)
                _check(l, keys)            # still intact after other threads ran
            if r % 50 == 49:
                c.clear()

    errors = run_in_threads(work)
    assert not errors, errors[:3]
    assert len(c) <= 5 and (c._pins == 0).all()


def test_ed25519_threads_tiny_bound(monkeypatch):
    ed = pytest.importorskip("ledgerval.native.ed25519")
    if not ed.AVAILABLE:
        pytest.skip("native Ed25519 kernel not built")
    from test_native_ed25519_cache import _batch
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    cache = KeySlotCache(ed._fill_slots, ed.lib.LV_ED25519_KEYSLOT_BYTES, maxsize=3)
    monkeypatch.setattr(ed, "key_cache", cache)
    base = _batch(rnd, 120, 9)
    batches = []
    for t in range(4):      # overlapping key sets: windows over one batch's senders
        idx = np.array(sorted(rnd.sample(range(120), 60)))
        keys, buf, offs, sigs = base
        sub_buf = np.concatenate([buf[offs[i]:offs[i + 1]] for i in idx]) if idx.size else buf[:0]
        sub_offs = np.zeros(idx.size + 1, np.int64)
        sub_offs[1:] = np.cumsum(offs[idx + 1] - offs[idx])
        batches.append((np.ascontiguousarray(keys[idx]), sub_buf, sub_offs, np.ascontiguousarray(sigs[idx])))
    wants = [ed.verify(*b, cache=False) for b in batches]

    def work(t):
        for r in range(8):
            k = (t + r) % 4
            assert (ed.verify(*batches[k], threads=1, method="batch" if r % 2 else "single") == wants[k]).all(), \
                (t, r)
            if r % 4 == 3:
                cache.clear()

    errors = run_in_threads(work)
    assert not errors, errors[:3]
    assert cache.fills > 0 and (cache._pins == 0).all()


@pytest.mark.skipif(not _ks._NATIVE, reason="native module without the key-slot helpers")
def test_native_and_numpy_bookkeeping_agree(monkeypatch):
    """Fingerprints, the exact-match search (with forced fingerprint collisions) and SEC1 identities in C
    (native/src/keyslots.c) equal the numpy code they replace, slot for slot, over a run of batches."""
    from ledgerval.native import _wei3

    rnd = np.random.default_rng(11)
    ident = rnd.integers(0, 256, (300, 72), dtype=np.uint8)
    fp_c = KeySlotCache._fingerprints(ident)
    monkeypatch.setattr(_ks, "_NATIVE", False)
    assert (KeySlotCache._fingerprints(ident) == fp_c).all()
    real, collide = KeySlotCache._fingerprints, [False]
    monkeypatch.setattr(KeySlotCache, "_fingerprints",
                        staticmethod(lambda i: np.zeros(len(i), np.uint64) if collide[0] else real(i)))
    for collide[0] in (False, True):     # True: every fingerprint equal, the bytes alone decide
        slots = {}
        for native in (True, False):
            monkeypatch.setattr(_ks, "_NATIVE", native)
            c = KeySlotCache(Fill(), W, maxsize=40)
            r2 = random.Random(5)
            names = [r2.randrange(1, 2**256) for _ in range(60)]
            got = []
            for r in range(30):
                pick = [names[r2.randrange(60)] for _ in range(r2.randrange(1, 20))]
                with _look(c, _keys(*pick)) as l:
                    got.append(_check(l, _keys(*pick)).tolist())
            slots[native] = got
            assert c.fills > 0 and sum(s >= 0 for g in got for s in g) > 50
        assert slots[True] == slots[False], collide[0]
    # SEC1 identities: lengths 33, 65 and others, bytes past a compressed key ignored
    keys = rnd.integers(0, 256, (50, 65), dtype=np.uint8)
    lens = rnd.choice(np.array([0, 33, 65], np.uint8), 50)
    rows = np.flatnonzero(lens > 0)
    want = np.zeros((rows.size, 72), np.uint8)
    for t, i in enumerate(rows):
        want[t, 0] = lens[i]
        want[t, 1:1 + lens[i]] = keys[i, :lens[i]]
    assert (_wei3.key_idents(keys, lens, rows) == want).all()


def test_a_batch_whose_keys_all_have_rows_pins_each_item_and_unpins_to_zero():
    """Where every key has a row, a batch pins its rows once per item (a key twice in it: twice), so two
    leases of one row hold it until both are released, and eviction never takes it meanwhile."""
    c = KeySlotCache(Fill(), W, maxsize=3)
    with _look(c, _keys(1, 1, 2, 2, 3, 3)):
        pass
    dup = _keys(3, 1, 1, 3, 3, 2)
    first = _look(c, dup)
    s = _check(first, dup)
    assert (s >= 0).all() and s[1] == s[2] and s[0] == s[3] == s[4]
    second = _look(c, _keys(1))
    per_item = _ks._NATIVE     # the numpy path pins each distinct row once per batch
    assert c._pins[s[1]] == (3 if per_item else 2) and c._pins[s[0]] == (3 if per_item else 1)
    assert c._pins[s[5]] == 1
    first.release()
    with _look(c, _keys(4, 4)) as l:   # row of key 1 still pinned by `second`: key 4 takes another
        assert l.slots[0] >= 0 and l.slots[0] != s[1]
    assert c._pins[s[1]] == 1
    second.release()
    assert (c._pins == 0).all()
    with _look(c, _keys(1, 3)) as l:
        _check(l, _keys(1, 3))
    assert (c._pins == 0).all()


@pytest.mark.skipif(not _ks._NATIVE, reason="native module without the key-slot helpers")
def test_native_helpers_report_misuse():
    """A row index outside the batch or the arena is misuse (an exception), never a read past a buffer."""
    from ledgerval.errors import LedgervalError
    from ledgerval.native import _wei3, ffi, lib

    keys, lens = np.zeros((4, 65), np.uint8), np.full(4, 33, np.uint8)
    with pytest.raises(LedgervalError):
        _wei3.key_idents(keys, lens, np.array([0, 4]))
    with pytest.raises(LedgervalError):
        _wei3.key_idents(keys, lens, np.array([-1]))
    c = KeySlotCache(Fill(), W, maxsize=2)
    with _look(c, _keys(1, 1)):
        pass
    with pytest.raises(LedgervalError):
        c._pin(np.array([2], np.int32), 1)
    p = lambda a, t: ffi.cast(t, ffi.from_buffer(a))
    words, fps = np.zeros((1, 4), np.uint64), np.zeros(1, np.uint64)
    bad_slot, found = np.array([5], np.int32), np.zeros(1, np.int32)
    assert lib.lv_keyslots_find(p(words, "uint64_t *"), p(fps, "uint64_t *"), 1, 4, p(fps, "uint64_t *"),
                                p(bad_slot, "int32_t *"), 1, p(words, "uint64_t *"), 1,
                                p(found, "int32_t *")) == lib.LV_EBADSLOT


@pytest.mark.skipif(not _ks._NATIVE, reason="native module without the key-slot helpers")
@settings(max_examples=300, deadline=None)
@given(data=st.data(), nrows=st.integers(1, 40), m=st.integers(0, 30))
def test_native_find_matches_a_plain_scan(data, nrows, m):
    """lv_keyslots_find (a branch-free search over the sorted fingerprints, then exact compares) against a
    scan of every published row: fingerprints from a tiny alphabet, so runs of equal ones, a query above or
    below all of them and a lone published row all occur."""
    from ledgerval.native import ffi, lib

    nw = 2
    rwords = np.array(data.draw(st.lists(st.lists(st.integers(0, 3), min_size=nw, max_size=nw),
                                         min_size=nrows, max_size=nrows)), dtype=np.uint64)
    published = sorted(set(data.draw(st.lists(st.integers(0, nrows - 1), max_size=nrows))))
    fp_of = {r: data.draw(st.integers(0, 4)) for r in published}
    order = sorted(published, key=lambda r: fp_of[r])
    sfp = np.array([fp_of[r] for r in order], dtype=np.uint64)
    sslot = np.array(order, dtype=np.int32)
    qrows = data.draw(st.lists(st.lists(st.integers(0, 3), min_size=nw, max_size=nw), min_size=m, max_size=m))
    qwords = np.array(qrows, dtype=np.uint64).reshape(m, nw)
    qfp = np.array(data.draw(st.lists(st.integers(0, 5), min_size=m, max_size=m)), dtype=np.uint64)
    found = np.full(m, 7, dtype=np.int32)
    p = lambda a, t: ffi.cast(t, ffi.from_buffer(a))
    assert lib.lv_keyslots_find(p(qwords, "uint64_t *"), p(qfp, "uint64_t *"), m, nw, p(sfp, "uint64_t *"),
                                p(sslot, "int32_t *"), len(order), p(rwords, "uint64_t *"), nrows,
                                p(found, "int32_t *")) == lib.LV_OK
    for t in range(m):
        same = [r for r in order if fp_of[r] == qfp[t] and (rwords[r] == qwords[t]).all()]
        assert found[t] == (same[0] if same else -1)
