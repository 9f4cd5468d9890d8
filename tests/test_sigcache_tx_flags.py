"""The cheaper pieces of a warm block: ``first_seen`` (duplicate/replay detection) against the np.unique
code it replaced, and the three-block fingerprint record of ``SignatureCache``."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval import SignatureCache
from ledgerval import sigcache as sc
from ledgerval import validator as val
from ledgerval.kernels.rows import first_seen


def _first_seen_ref(rows):
    """The former implementation: (group, first index) from np.unique over void rows."""
    view = np.ascontiguousarray(rows).view(np.dtype((np.void, rows.shape[1])))
    _, first, inverse = np.unique(view.reshape(-1), return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    return inverse, first[inverse]


def _tx_flags_ref(n, nonces, pubkeys, tx_hashes):
    idx = np.arange(n)
    _, first_hash = _first_seen_ref(tx_hashes)
    dup = first_hash != idx
    pk_nonce = np.concatenate([pubkeys, nonces.view(np.uint8).reshape(n, 8)], axis=1)
    group, first_pair = _first_seen_ref(pk_nonce)
    same_as_first = first_hash == first_hash[first_pair]
    first_diff = np.full(group.max() + 1, n, dtype=np.int64)
    np.minimum.at(first_diff, group[~same_as_first], idx[~same_as_first])
    replay = ~same_as_first | (first_diff[group] < idx)
    return dup, replay, first_hash, first_pair, same_as_first, first_diff[group]


class _Dec:
    """What ``_tx_flags`` reads of a DecodedBlock: transactions laid out as key (33) | nonce (8) | 3 more."""

    class suite:
        key_len = 33

    def __init__(self, pubkeys, nonces):
        n = len(nonces)
        rows = np.concatenate([pubkeys, nonces.astype("<u8").view(np.uint8).reshape(n, 8),
                               np.full((n, 3), 0xAB, np.uint8)], axis=1)
        self.raw = np.concatenate([np.zeros(5, np.uint8), rows.reshape(-1)])
        self.tx_start = 5 + 44 * np.arange(n, dtype=np.int64)
        self.tx_count = n
        self._nonces = nonces

    def nonces(self):
        return self._nonces


# Few distinct values per column so that duplicates, replays and hash collisions of prefixes are common.
_rows = st.integers(1, 300).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.integers(0, 5), min_size=n, max_size=n),
    st.lists(st.integers(0, 3), min_size=n, max_size=n), st.lists(st.integers(0, 3), min_size=n, max_size=n)))


def _block(n, tx_ids, key_ids, nonce_ids):
    tx_hashes = np.zeros((n, 32), np.uint8)
    tx_hashes[:, 31] = tx_ids           # equal prefixes, difference at the last byte
    pubkeys = np.zeros((n, 33), np.uint8)
    pubkeys[:, 0] = 2
    pubkeys[:, 32] = key_ids
    nonces = np.asarray(nonce_ids, dtype=np.uint64)
    return tx_hashes, pubkeys, nonces


@settings(max_examples=200, deadline=None)
@given(_rows)
def test_tx_flags_match_the_unique_based_code(case):
    n, tx_ids, key_ids, nonce_ids = case
    tx_hashes, pubkeys, nonces = _block(n, tx_ids, key_ids, nonce_ids)
    dec = _Dec(pubkeys, nonces)
    f = val._tx_flags(dec, tx_hashes)
    dup, replay, first_hash, first_pair, same, first_diff = _tx_flags_ref(n, nonces, pubkeys, tx_hashes)
    assert (f.dup == dup).all() and (f.replay == replay).all()
    assert (f.first_hash == first_hash).all() and (f.first_pair == first_pair).all()
    assert (f.same_as_first == same).all() and (f.first_diff[f.group] == first_diff).all()
    ok = np.ones(n, bool)
    ok[::7] = False
    assert val._tx_errors(f, tx_hashes, ok) == val._tx_errors(
        val._TxFlags(dup, replay, first_hash, first_pair, same, first_diff, np.arange(n), dec), tx_hashes, ok)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 400), st.integers(1, 41), st.integers(1, 4), st.integers(0, 2**64 - 1))
def test_first_seen_matches_unique(n, width, distinct, mult):
    rng = np.random.default_rng(n * 131 + width)
    rows = rng.integers(0, distinct, size=(n, width), dtype=np.uint8)
    want = _first_seen_ref(rows)[1] if n else np.zeros(0, np.int64)
    assert (first_seen(rows, mult) == want).all()


def test_first_seen_spans_checks_bounds():
    from ledgerval.kernels.rows import first_seen_spans

    buf = np.arange(10, dtype=np.uint8)
    assert first_seen_spans(buf, np.array([0, 5, 0]), 5, 3).tolist() == [0, 1, 0]
    for starts in ([6], [-1]):
        with pytest.raises(ValueError):
            first_seen_spans(buf, np.array(starts), 5, 3)


def test_first_seen_with_a_degenerate_multiplier_stays_exact():
    # mult = 1 hashes badly (every row with the same byte xor lands together): answers must not change.
    rows = np.array([[1, 2], [2, 1], [3, 0], [1, 2], [0, 3], [3, 0]], np.uint8)
    assert first_seen(rows, 1).tolist() == [0, 1, 2, 0, 4, 2]


def test_fingerprint_record_fills_three_sha256_blocks():
    assert sc._REC_W == 183 and sc._SALT_W >= 14   # 183 + 9 bytes of padding = 3 * 64


def _fp_ref(cache, scheme, key, msg, sig):
    m = msg if len(msg) <= 32 else hashlib.sha256(msg).digest()
    rec = (cache._salt.tobytes() + bytes([sc._SCHEME_IDS[scheme], len(key)]) + key.ljust(65, b"\0")
           + bytes([len(sig)]) + sig.ljust(65, b"\0") + len(msg).to_bytes(4, "little") + m.ljust(32, b"\0"))
    assert len(rec) == 183
    fp = np.frombuffer(hashlib.sha256(rec).digest()[:16], np.uint64).copy()
    fp[0] |= np.uint64(1 << 63)
    return fp


@pytest.mark.parametrize("lens", [[32, 32], [0, 5, 32, 33, 100], [64, 64]])
def test_fingerprints_match_the_documented_layout(lens):
    cache = SignatureCache(16)
    rng = np.random.default_rng(sum(lens))
    msgs = [rng.bytes(k) for k in lens]
    keys = [b"\x02" + rng.bytes(32) for _ in lens]
    sigs = [rng.bytes(64) for _ in lens]
    fps, ok = cache._fingerprints("ecdsa-secp256k1", keys, msgs, sigs)
    assert ok.all()
    for i in range(len(lens)):
        assert (fps[i] == _fp_ref(cache, "ecdsa-secp256k1", keys[i], msgs[i], sigs[i])).all()
    if len(set(lens)) == 1:  # the array form gives the same fingerprints as the list form
        arr = np.frombuffer(b"".join(msgs), np.uint8).reshape(len(lens), lens[0])
        assert (cache._fingerprints("ecdsa-secp256k1", keys, arr, sigs)[0] == fps).all()


def test_inlined_and_hashed_messages_never_share_an_entry():
    # A 32-byte message equal to SHA-256 of a longer one: same 32 bytes in the record, told apart by length.
    cache = SignatureCache(64)
    long_msg = b"x" * 40
    key, sig = b"\x02" + b"k" * 32, b"s" * 64
    cache.insert("ecdsa-secp256k1", [key], [long_msg], [sig])
    assert cache.lookup("ecdsa-secp256k1", [key], [long_msg], [sig]).tolist() == [True]
    assert cache.lookup("ecdsa-secp256k1", [key], [hashlib.sha256(long_msg).digest()], [sig]).tolist() == [False]
    assert cache.lookup("ecdsa-secp256k1", [key], [long_msg[:32]], [sig]).tolist() == [False]
    assert cache.lookup("ecdsa-secp256k1", [key], [b"x" * 41], [sig]).tolist() == [False]
    short = b"ab"
    cache.insert("ecdsa-secp256k1", [key], [short], [sig])
    assert cache.lookup("ecdsa-secp256k1", [key], [short + b"\0"], [sig]).tolist() == [False]


def test_take_rows_reads_the_spans_and_checks_bounds():
    from ledgerval.kernels.rows import take_rows

    buf = np.arange(50, dtype=np.uint8)
    starts = np.array([0, 7, 45, 7])
    assert (take_rows(buf, starts, 5) == np.stack([buf[s:s + 5] for s in starts])).all()
    assert take_rows(buf, np.zeros(0, np.int64), 5).shape == (0, 5)
    for bad in ([46], [-1]):
        with pytest.raises(ValueError):
            take_rows(buf, np.array(bad), 5)
