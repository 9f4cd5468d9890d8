"""ledgerval.pipeline: plans of signature checks, hash jobs and recoveries, their verdicts per ticket and
owner, hash-then-sign in one plan, pieces, the signature-cache hooks, and misuse."""
from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ledgerval
from ledgerval import pipeline
from ledgerval.errors import InvalidArgument, InvalidType
from ledgerval.pipeline import Plan
from ledgerval.signing import private_keys, public_keys, sign_batch

SEED = random.randrange(1 << 32)


def _signed(scheme: str, n: int, tag: bytes = b"p"):
    """keys, messages (32-byte digests for ECDSA), signatures."""
    privs = private_keys(scheme, [tag + i.to_bytes(4, "big") for i in range(n)])
    msgs = [hashlib.sha256(tag + bytes([i])).digest() for i in range(n)]
    return public_keys(scheme, privs), msgs, sign_batch(scheme, privs, msgs)


def _flip(sigs: np.ndarray, rows) -> np.ndarray:
    bad = sigs.copy()
    bad[list(rows), 5] ^= 1
    return bad


@pytest.mark.parametrize("scheme", ["ecdsa-secp256k1", "ecdsa-p256", "ed25519", "sm2"])
def test_verdicts_per_ticket_in_order_with_owners(scheme):
    keys, msgs, sigs = _signed(scheme, 12)
    plan = Plan()
    a = plan.signatures(scheme, keys[:5], msgs[:5], _flip(sigs[:5], [1]), owners=list("abcde"))
    b = plan.signatures(scheme, [bytes(k) for k in keys[5:]], msgs[5:], _flip(sigs[5:], [0, 6]))
    res = plan.execute(threads=2)
    assert res.verdicts(a).tolist() == [True, False, True, True, True]
    assert res.verdicts(b).tolist() == [False, True, True, True, True, True, False]
    assert res.failed(a) == ["b"] and res.failed(b) == [0, 6]  # default owners: positions in the ticket
    # one batch per (scheme, low_s): both tickets are slices of it
    assert a.batch == b.batch and (a.start, a.stop, b.start, b.stop) == (0, 5, 5, 12)
    assert np.array_equal(np.concatenate([res.verdicts(a), res.verdicts(b)]),
                          ledgerval.verify_batch(scheme, keys, msgs, np.concatenate([_flip(sigs[:5], [1]),
                                                                                     _flip(sigs[5:], [0, 6])])))


def test_permuting_items_permutes_verdicts():
    print("seed", SEED)
    rng = np.random.default_rng(SEED)
    keys, msgs, sigs = _signed("ecdsa-secp256k1", 40)
    sigs = _flip(sigs, rng.choice(40, 7, replace=False))
    perm = rng.permutation(40)
    p1, p2 = Plan(), Plan()
    t1 = p1.signatures("ecdsa-secp256k1", keys, msgs, sigs)
    t2 = p2.signatures("ecdsa-secp256k1", keys[perm], [msgs[i] for i in perm], sigs[perm])
    assert np.array_equal(p1.execute().verdicts(t1)[perm], p2.execute().verdicts(t2))


def test_hashes_and_spans_join_one_batch_and_match_hash_batch():
    msgs = [bytes([i]) * (i * 7) for i in range(9)]
    buf = np.frombuffer(b"".join(msgs[4:]), dtype=np.uint8)
    offs = np.zeros(6, dtype=np.int64)
    np.cumsum([len(m) for m in msgs[4:]], out=offs[1:])
    plan = Plan()
    h1 = plan.hashes("sm3", msgs[:4])
    h2 = plan.hash_spans("sm3", np.concatenate([np.zeros(3, np.uint8), buf]), offs + 3)  # spans need not start at 0
    h3 = plan.hashes("sha256d", msgs)
    run = plan.start()
    assert np.array_equal(run.digests(h1), ledgerval.hash_batch("sm3", msgs[:4]))  # ready before result()
    res = run.result()
    assert np.array_equal(res.digests(h2), ledgerval.hash_batch("sm3", msgs[4:]))
    assert np.array_equal(res.digests(h3), ledgerval.hash_batch("sha256d", msgs))


@pytest.mark.parametrize("scheme", ["ecdsa-secp256k1", "ecdsa-p256"])
def test_hash_then_sign_in_one_plan(scheme):
    """Signatures over the digests of a hash job of the same plan, all of them or picked rows, -1 taking
    the fill (Bitcoin's SIGHASH_SINGLE bug signs uint256 1)."""
    pre = [b"preimage %d" % i for i in range(6)]
    digests = [hashlib.sha256(hashlib.sha256(p).digest()).digest() for p in pre]
    one = (1).to_bytes(32, "little")
    privs = private_keys(scheme, [b"k%d" % i for i in range(8)])
    keys = public_keys(scheme, privs)
    picked = [5, -1, 0, 0, 3, -1, 2, 1]
    want_msgs = [one if r < 0 else digests[r] for r in picked]
    sigs = sign_batch(scheme, privs, want_msgs)
    sigs = _flip(sigs, [4])
    plan = Plan()
    h = plan.hashes("sha256d", pre)
    all_rows = plan.signatures(scheme, keys[:6], plan.digests_of(h), sign_batch(scheme, privs[:6], digests))
    rows = plan.signatures(scheme, keys, plan.digests_of(h, picked, fill=one), sigs, owners=range(10, 18))
    res = plan.execute()
    assert res.verdicts(all_rows).all()
    assert res.failed(rows) == [14]
    assert res.verdicts(rows).sum() == 7


def test_recoveries_match_recover_batch():
    privs = private_keys("ecdsa-secp256k1", [b"r%d" % i for i in range(6)])
    want = public_keys("ecdsa-secp256k1", privs)
    digests = [hashlib.sha256(b"m%d" % i).digest() for i in range(6)]
    rs = sign_batch("ecdsa-secp256k1", privs, digests)
    sig65 = []
    for i in range(6):  # the v that recovers the signer's key
        tries = [rs[i].tobytes() + bytes([v]) for v in range(4)]
        keys, ok = ledgerval.recover_batch([digests[i]] * 4, tries)
        sig65.append(tries[[j for j in range(4) if ok[j] and keys[j].tobytes() == want[i].tobytes()][0]])
    sig65[2] = sig65[2][:64] + b"\x09"  # a bad v
    plan = Plan()
    t = plan.recoveries(digests, sig65, owners=list("uvwxyz"))
    res = plan.execute()
    assert res.verdicts(t).tolist() == [True, True, False, True, True, True]
    assert res.failed(t) == ["w"]
    keys = res.keys(t)
    assert all(keys[i].tobytes() == want[i].tobytes() for i in (0, 1, 3, 4, 5)) and not keys[2].any()


def test_pieces_keep_their_tickets_apart():
    keys, msgs, sigs = _signed("ecdsa-secp256k1", 8)
    plan = Plan()
    t0 = plan.signatures("ecdsa-secp256k1", keys[:4], msgs[:4], _flip(sigs[:4], [3]))
    h0 = plan.hashes("sha256", [b"a"])
    run0 = plan.start(threads=2)
    t1 = plan.signatures("ecdsa-secp256k1", keys[4:], msgs[4:], _flip(sigs[4:], [0]))
    with pytest.raises(InvalidArgument):
        plan.digests_of(h0)  # a hash ticket of an earlier piece
    run1 = plan.start(threads=2)
    r0, r1 = pipeline.join([run0, run1])
    assert t0.piece == 0 and t1.piece == 1
    assert r0.failed(t0) == [3] and r1.failed(t1) == [0]
    with pytest.raises(InvalidArgument):
        r0.verdicts(t1)
    with pytest.raises(InvalidArgument):
        r1.digests(h0)


def test_join_waits_for_every_piece_then_raises_the_first_error():
    class Boom:
        def __init__(self):
            self.joined = False

        def result(self):
            self.joined = True
            raise RuntimeError("boom")

    class Fine:
        def __init__(self):
            self.joined = False

        def result(self):
            self.joined = True
            return "ok"

    a, b, c = Boom(), Fine(), Boom()
    with pytest.raises(RuntimeError, match="boom"):
        pipeline.join([a, b, c])
    assert a.joined and b.joined and c.joined


class _DictCache:
    """Stores successes only, keyed by scheme and the exact bytes."""

    def __init__(self):
        self.d: set = set()
        self.lookups = 0

    @staticmethod
    def _rows(items):
        return [bytes(x) for x in items]

    def lookup(self, scheme, keys, msgs, sigs):
        self.lookups += 1
        return np.array([(scheme, k, m, s) in self.d for k, m, s in
                         zip(self._rows(keys), self._rows(msgs), self._rows(sigs))], dtype=bool)

    def insert(self, scheme, keys, msgs, sigs, ok=None):
        ok = [True] * len(keys) if ok is None else ok
        for k, m, s, good in zip(self._rows(keys), self._rows(msgs), self._rows(sigs), ok):
            if good:
                self.d.add((scheme, k, m, s))


def test_signature_cache_serves_successes_only_and_low_s_still_applies():
    keys, msgs, sigs = _signed("ecdsa-secp256k1", 6)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    high = sigs.copy()
    for i in range(6):  # (r, n - s) verifies too, and is high S exactly when s was low
        s = int.from_bytes(high[i, 32:].tobytes(), "big")
        if s <= n // 2:
            high[i, 32:] = np.frombuffer((n - s).to_bytes(32, "big"), dtype=np.uint8)
    high = _flip(high, [5])
    cache = _DictCache()
    p = Plan()
    t = p.signatures("ecdsa-secp256k1", keys, msgs, high)
    first = p.execute(sig_cache=cache)
    assert first.failed(t) == [5] and first.cached_signatures == 0 and len(cache.d) == 5
    p = Plan()
    t = p.signatures("ecdsa-secp256k1", keys, msgs, high)
    again = p.execute(sig_cache=cache)
    assert again.failed(t) == [5] and again.cached_signatures == 5
    p = Plan()
    t = p.signatures("ecdsa-secp256k1", keys, msgs, high, low_s=True)
    strict = p.execute(sig_cache=cache)
    assert strict.failed(t) == [0, 1, 2, 3, 4, 5] and strict.cached_signatures == 0


def test_empty_tickets_and_plans():
    plan = Plan()
    t = plan.signatures("ed25519", [], [], [])
    h = plan.hash_spans("sha256", np.zeros(0, np.uint8), np.zeros(1, np.int64))
    res = plan.execute()
    assert res.verdicts(t).shape == (0,) and res.digests(h).shape == (0, 32) and res.failed(t) == []
    assert len(Plan().execute().timings) == 3


def test_misuse_raises_package_errors():
    keys, msgs, sigs = _signed("ecdsa-secp256k1", 3)
    plan = Plan()
    with pytest.raises(InvalidArgument):
        plan.signatures("rsa", keys, msgs, sigs)
    with pytest.raises(InvalidArgument):
        plan.signatures("ecdsa-secp256k1", keys, msgs[:2], sigs)
    with pytest.raises(InvalidArgument):
        plan.signatures("ecdsa-secp256k1", keys, msgs, sigs, owners=[1, 2])
    with pytest.raises(InvalidType):
        plan.signatures("ecdsa-secp256k1", keys, "abc", sigs)
    with pytest.raises(InvalidArgument):
        plan.hashes("md5", [b"x"])
    with pytest.raises(InvalidType):
        plan.hash_spans("sha256", b"abc", np.array([0, 3]))
    h = plan.hashes("sha256", [b"x", b"y"])
    t = plan.signatures("ecdsa-secp256k1", keys, msgs, sigs)
    with pytest.raises(InvalidArgument):
        plan.digests_of(t)  # not a hash ticket
    with pytest.raises(InvalidArgument):
        plan.digests_of(h, [0, 2])  # row out of range
    with pytest.raises(InvalidArgument):
        plan.digests_of(h, [-1, 0])  # -1 without a fill
    with pytest.raises(InvalidArgument):
        plan.digests_of(h, [-1], fill=b"short")
    with pytest.raises(InvalidArgument):
        plan.signatures("ecdsa-secp256k1", keys, plan.digests_of(h), sigs)  # 2 digests for 3 signatures
    res = plan.execute()
    with pytest.raises(InvalidArgument):
        res.verdicts(h)
    with pytest.raises(InvalidArgument):
        res.digests(t)
    with pytest.raises(InvalidArgument):
        res.keys(t)


_KEYS, _MSGS, _SIGS = None, None, None


def _pool():
    global _KEYS, _MSGS, _SIGS
    if _KEYS is None:  # messages are SHA-256 digests of known preimages, so they can come from a hash job
        privs = private_keys("ecdsa-secp256k1", [b"h%d" % i for i in range(24)])
        _KEYS = public_keys("ecdsa-secp256k1", privs)
        _MSGS = [hashlib.sha256(b"pre" + bytes([i])).digest() for i in range(24)]
        _SIGS = _flip(sign_batch("ecdsa-secp256k1", privs, _MSGS), [2, 7, 19])
    return _KEYS, _MSGS, _SIGS



@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.integers(0, 24), max_size=6), as_list=st.lists(st.booleans(), min_size=7, max_size=7),
       hashed=st.booleans())
def test_any_split_into_tickets_equals_one_batch(cuts, as_list, hashed):
    """However the items are split into tickets, and whatever form each ticket's columns take (arrays or
    lists of bytes), the verdicts are the whole batch's, item for item."""
    keys, msgs, sigs = _pool()
    bounds = sorted({0, 24, *cuts})
    plan = Plan()
    tickets = []
    for j, (a, b) in enumerate(zip(bounds, bounds[1:])):
        k = [bytes(x) for x in keys[a:b]] if as_list[j] else keys[a:b]
        s = [bytes(x) for x in sigs[a:b]] if as_list[-1 - j] else sigs[a:b]
        if hashed:  # messages as digests of a hash job of the same plan (SHA-256 of their SHA-256 preimage)
            m = plan.digests_of(plan.hashes("sha256", [b"pre" + bytes([i]) for i in range(a, b)]))
        else:
            m = msgs[a:b]
        tickets.append(plan.signatures("ecdsa-secp256k1", k, m, s, owners=range(a, b)))
    res = plan.execute(threads=2)
    got = np.concatenate([res.verdicts(t) for t in tickets])
    want = ledgerval.verify_batch("ecdsa-secp256k1", keys, msgs, sigs)
    assert np.flatnonzero(~want).tolist() == [2, 7, 19]
    assert np.array_equal(got, want)
    assert [o for t in tickets for o in res.failed(t)] == np.flatnonzero(~want).tolist()


def test_execution_joins_every_batch_and_keeps_its_error():
    called = []

    def boom():
        called.append("boom")
        raise RuntimeError("helper failed")

    def fine():
        called.append("fine")
        return "verdicts"

    run = pipeline.Execution(0, {}, {("sig", "a", False): boom, ("sig", "b", False): fine}, {"sig": 0.0})
    with pytest.raises(RuntimeError, match="helper failed"):
        run.result()
    assert called == ["boom", "fine"]
    with pytest.raises(RuntimeError, match="helper failed"):  # not a Results with missing verdicts
        run.result()
    assert called == ["boom", "fine"]
