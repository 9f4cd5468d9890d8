"""``SignatureCache``: successes only, any changed byte is a miss, bounded under threads, same verdicts."""
from __future__ import annotations

import hashlib
import threading

import numpy as np
import pytest

import ledgerval
from ledgerval import InvalidArgument, InvalidType, SignatureCache, verify_batch
from ledgerval.pipeline import Plan
from ledgerval.signatures import start_verify_batch
from ledgerval.signing import private_keys, public_keys, sign_batch

N_SECP = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _batch(scheme, n=16, tag=b"c"):
    privs = private_keys(scheme, [tag + b"%d" % i for i in range(n)])
    pubs = [k.tobytes() for k in public_keys(scheme, privs)]
    if scheme.startswith("ecdsa"):
        msgs = [hashlib.sha256(tag + b"m%d" % i).digest() for i in range(n)]
    else:
        msgs = [tag + b"message %d" % i * (i + 1) for i in range(n)]
    sigs = [s.tobytes() for s in sign_batch(scheme, privs, msgs)]
    return pubs, msgs, sigs


def _flip(b: bytes, i: int) -> bytes:
    return b[:i] + bytes([b[i] ^ 1]) + b[i + 1:]


@pytest.mark.parametrize("scheme", ledgerval.SCHEMES)
def test_hits_only_for_the_exact_bytes_that_verified(scheme):
    pubs, msgs, sigs = _batch(scheme)
    cache = SignatureCache(1024)
    assert not cache.lookup(scheme, pubs, msgs, sigs).any()
    assert verify_batch(scheme, pubs, msgs, sigs, sig_cache=cache).all()
    assert len(cache) == 16
    assert cache.lookup(scheme, pubs, msgs, sigs).all()
    # one changed byte in the signature, the message or the key is a miss
    assert not cache.lookup(scheme, pubs, msgs, [_flip(s, 40) for s in sigs]).any()
    assert not cache.lookup(scheme, pubs, [_flip(m, 0) for m in msgs], sigs).any()
    assert not cache.lookup(scheme, pubs[1:] + pubs[:1], msgs, sigs).any()
    # a longer message with the same prefix is a miss (lengths are inside the fingerprint)
    assert not cache.lookup(scheme, pubs, [m + b"\x00" for m in msgs], sigs).any()


def test_schemes_are_separated():
    pubs, msgs, sigs = _batch("ecdsa-secp256k1")
    cache = SignatureCache(1024)   # 16 items in 16 buckets of 4 would overflow one about 3% of the time
    cache.insert("ecdsa-secp256k1", pubs, msgs, sigs)
    assert cache.lookup("ecdsa-secp256k1", pubs, msgs, sigs).all()
    assert not cache.lookup("ecdsa-p256", pubs, msgs, sigs).any()
    assert not cache.lookup("sm2", pubs, msgs, sigs).any()


def test_failures_are_never_cached():
    scheme = "ecdsa-secp256k1"
    pubs, msgs, sigs = _batch(scheme)
    bad = list(sigs)
    bad[3] = _flip(bad[3], 10)
    cache = SignatureCache(1024)
    ok = verify_batch(scheme, pubs, msgs, bad, sig_cache=cache)
    assert ok.tolist() == [i != 3 for i in range(16)]
    assert len(cache) == 15
    assert cache.lookup(scheme, pubs, msgs, bad).tolist() == [i != 3 for i in range(16)]
    # asked again, the failing item is verified again (and fails again): the cache cannot vouch for it
    pend = start_verify_batch(scheme, pubs, msgs, bad, sig_cache=cache)
    assert pend.cached == 15
    assert pend.result().tolist() == [i != 3 for i in range(16)]
    assert len(cache) == 15


def test_a_failed_batch_leaves_nothing_cached():
    pubs, msgs, sigs = _batch("ed25519")
    cache = SignatureCache(1024)
    assert not verify_batch("ed25519", pubs, msgs, [_flip(s, 1) for s in sigs], sig_cache=cache).any()
    assert len(cache) == 0


@pytest.mark.parametrize("scheme", ledgerval.SCHEMES)
def test_same_verdicts_with_and_without_the_cache(scheme):
    pubs, msgs, sigs = _batch(scheme, 24, tag=b"v")
    rng = np.random.default_rng(7)
    sigs = [(_flip(s, int(rng.integers(0, 64))) if rng.random() < 0.3 else s) for s in sigs]
    pubs[5] = b"\x02" + b"\xff" * 32  # undecodable key
    sigs[6] = sigs[6][:63]            # short signature
    cache = SignatureCache(64)
    cache.insert(scheme, pubs[:8], msgs[:8], sigs[:8],
                 ok=verify_batch(scheme, pubs[:8], msgs[:8], sigs[:8]))
    want = verify_batch(scheme, pubs, msgs, sigs)
    for _ in range(2):
        assert verify_batch(scheme, pubs, msgs, sigs, sig_cache=cache).tolist() == want.tolist()


def test_low_s_policy_applies_to_cached_hits():
    scheme = "ecdsa-secp256k1"
    pubs, msgs, sigs = _batch(scheme, 4)
    r, s = sigs[0][:32], int.from_bytes(sigs[0][32:], "big")
    s_high = s if s > N_SECP // 2 else N_SECP - s
    twin = r + s_high.to_bytes(32, "big")
    cache = SignatureCache(64)
    assert verify_batch(scheme, pubs[:1], msgs[:1], [twin], sig_cache=cache).all()  # high S accepted...
    assert cache.lookup(scheme, pubs[:1], msgs[:1], [twin]).all()
    # ...but not under low_s=True, even though the cache holds it
    assert not verify_batch(scheme, pubs[:1], msgs[:1], [twin], low_s=True, sig_cache=cache).any()


def run_in_threads(work, args: list) -> None:
    """``work(a)`` for each ``a`` on its own thread, all at once; the first failure is raised here."""
    errors: list = []

    def guarded(a):
        try:
            work(a)
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised on the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(a,)) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_bounded_under_four_threads_and_evicts():
    cache = SignatureCache(101)          # rounded down to 100 slots
    assert cache.max_entries == 100
    assert cache.bytes_per_entry == 16
    scheme = "ed25519"
    batches = [_batch(scheme, 64, tag=b"t%d" % t) for t in range(4)]

    def work(b):
        for _ in range(3):
            verify_batch(scheme, *b, sig_cache=cache)
            assert len(cache) <= 100

    run_in_threads(work, batches)
    assert 0 < len(cache) <= 100
    occupied = int((cache._table[:, 0] != 0).sum())
    assert occupied == len(cache)
    hits = sum(int(cache.lookup(scheme, *b).sum()) for b in batches)
    assert hits == len(cache)   # every occupied slot is one of the inserted items
    cache.clear()
    assert len(cache) == 0 and not cache.lookup(scheme, *batches[0]).any()


def test_pipeline_uses_the_cache_and_counts_it():
    scheme = "ecdsa-secp256k1"
    pubs, msgs, sigs = _batch(scheme, 10)
    cache = SignatureCache(1024)
    cache.insert(scheme, pubs[:7], msgs[:7], sigs[:7])
    bad = list(sigs)
    bad[2] = _flip(bad[2], 50)   # cached item changed: must be re-verified, and fail
    plan = Plan()
    ticket = plan.signatures(scheme, pubs, msgs, bad, owners=[("tx", i) for i in range(10)])
    res = plan.execute(sig_cache=cache)
    assert res.cached_signatures == 6
    assert res.failed(ticket) == [("tx", 2)]


def test_misuse_raises():
    with pytest.raises(InvalidType):
        SignatureCache("10")
    with pytest.raises(InvalidArgument):
        SignatureCache(3)
    cache = SignatureCache(8)
    with pytest.raises(InvalidArgument):
        cache.lookup("rsa", [b"k"], [b"m"], [b"s"])
    with pytest.raises(InvalidArgument):
        cache.insert("ed25519", [b"k"], [b"m"], [b"s"], ok=[True, False])
    with pytest.raises(InvalidArgument):
        cache.lookup("ed25519", [b"k", b"k"], [b"m"], [b"s"])


def test_probe_insert_stores_exactly_the_rows_asked():
    scheme = "ecdsa-secp256k1"
    pubs, msgs, sigs = _batch(scheme, 12, b"p")
    pubs[5] = pubs[5] + b"\x00" * 40   # 73 bytes: never cacheable, even when asked
    cache, twin = SignatureCache(1024), SignatureCache(1024)
    probe = cache.probe(scheme, pubs, msgs, sigs)
    assert not probe.hit.any() and (probe.hit == cache.lookup(scheme, pubs, msgs, sigs)).all()
    rows = [0, 3, 5, 11]
    probe.insert(rows)
    # the probe's stored fingerprints are the ones insert() computes: a plain lookup finds exactly those rows
    assert cache.lookup(scheme, pubs, msgs, sigs).tolist() == [i in (0, 3, 11) for i in range(12)]
    twin._salt = cache._salt
    twin.insert(scheme, pubs, msgs, sigs, ok=[i in rows for i in range(12)])
    assert (np.sort(twin._table, axis=0) == np.sort(cache._table, axis=0)).all() and len(twin) == len(cache) == 3
    probe.insert([])
    with pytest.raises(InvalidArgument):
        probe.insert([12])
    with pytest.raises(InvalidArgument):
        probe.insert([-1])


def test_fixed_width_arrays_fingerprint_as_lists_do():
    scheme = "ecdsa-secp256k1"
    pubs, msgs, sigs = _batch(scheme, 6, b"w")
    cache = SignatureCache(64)
    arr = [np.frombuffer(b"".join(x), np.uint8).reshape(6, -1) for x in (pubs, msgs, sigs)]
    fa, ca = cache._fingerprints(scheme, *arr)
    fl, cl = cache._fingerprints(scheme, pubs, msgs, sigs)
    assert (fa == fl).all() and ca.all() and cl.all()
    long_msgs = [m * 3 for m in msgs]   # 96 bytes: hashed into the record, as a list or as an array
    fa, _ = cache._fingerprints(scheme, arr[0], np.frombuffer(b"".join(long_msgs), np.uint8).reshape(6, 96), arr[2])
    assert (fa == cache._fingerprints(scheme, pubs, long_msgs, sigs)[0]).all()
    wide = np.zeros((6, 66), np.uint8)   # keys over 65 bytes: never cacheable
    assert not cache._fingerprints(scheme, wide, arr[1], arr[2])[1].any()


def test_a_cache_without_probe_is_used_through_lookup_and_insert():
    """The pipeline's cache protocol is lookup + insert; ``probe`` is SignatureCache's shortcut, not a must."""
    scheme = "ecdsa-secp256k1"
    pubs, msgs, sigs = _batch(scheme, 10, b"d")

    class Plain:
        def __init__(self):
            self.inner, self.inserted = SignatureCache(1024), 0

        def lookup(self, *a):
            return self.inner.lookup(*a)

        def insert(self, scheme, keys, messages, signatures):
            self.inserted += len(keys)
            self.inner.insert(scheme, keys, messages, signatures)

    plain, real = Plain(), SignatureCache(1024)
    bad = list(sigs)
    bad[4] = _flip(bad[4], 33)
    for cache in (plain, real):
        cache_obj = cache.inner if cache is plain else cache
        cache_obj.insert(scheme, pubs[:3], msgs[:3], sigs[:3])
        assert verify_batch(scheme, pubs, msgs, bad, sig_cache=cache).tolist() == [i != 4 for i in range(10)]
        assert len(cache_obj) == 9 and cache_obj.lookup(scheme, pubs, msgs, bad).tolist() == [i != 4 for i in range(10)]
    assert plain.inserted == 6
