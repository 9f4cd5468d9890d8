"""``Validator(sig_cache=)``: precheck fills the cache, validate_block verifies only what it does not hold, and
the verdicts never change: changed bytes under a cached signature are still ``bad_signature`` at their index."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lvb1_builder import BlockBuilder
from test_engine_sigcache import run_in_threads

import ledgerval
from ledgerval import InvalidType, SignatureCache, Validator
from ledgerval.format import decode_block
from ledgerval.gen import generate_chain


def _txs(block: bytes) -> list[bytes]:
    """The raw transactions of a block, as a pool would have received them."""
    dec = decode_block(block)
    return [block[a:b + 64] for a, b in zip(dec.tx_start.tolist(), dec.sig_off.tolist())]


def _same(a, b) -> None:
    """Two reports with the same verdict in every field but the cache count and timings."""
    assert [e.to_dict() for e in a.errors] == [e.to_dict() for e in b.errors]
    assert (a.header_hash, a.height, a.tx_count, a.ok) == (b.header_hash, b.height, b.tx_count, b.ok)


def _chain(suite: str, txs: int = 40, bad_rate: float = 0.1, seed: int = 5):
    return generate_chain(suite, blocks=1, txs=txs, validators=4, bad_rate=bad_rate, seed=seed)


@pytest.mark.parametrize("suite", ledgerval.SUITES)
def test_reports_identical_with_and_without_the_cache(suite):
    chain = _chain(suite)
    block = chain.blocks[0]
    bad = {i for _, i, _ in chain.corrupted}
    assert bad, "the seed should corrupt some transactions"
    plain = Validator(suite, validators=chain.validators, threads=1).validate_block(block)
    assert {e.index for e in plain.errors if e.code == "bad_signature"} == bad
    cache = SignatureCache(4096)
    v = Validator(suite, validators=chain.validators, threads=1, sig_cache=cache)
    pre = v.precheck(_txs(block))
    assert pre.tolist() == [i not in bad for i in range(40)]
    assert len(cache) == 40 - len(bad)
    warm = v.validate_block(block)
    _same(plain, warm)
    assert warm.cached_signatures == 40 - len(bad)
    assert warm.to_dict()["cached_signatures"] == warm.cached_signatures
    again = v.validate_block(block)   # the commit's signatures were stored by the first validation
    _same(plain, again)
    assert again.cached_signatures == 40 - len(bad) + 4
    assert plain.cached_signatures == 0


@pytest.mark.parametrize("suite", ["secp256k1-sha256", "ed25519-sha256", "sm2-sm3"])
def test_changed_signature_in_a_cached_block_is_still_bad(suite):
    block = _chain(suite, txs=12, bad_rate=0.0).blocks[0]
    cache = SignatureCache(4096)
    v = Validator(suite, threads=1, sig_cache=cache)
    assert v.precheck(_txs(block)).all()
    dec = decode_block(block)
    i = 7
    at = int(dec.sig_off[i]) + 40    # a signature byte: not hashed, so the tx_root still matches
    tampered = block[:at] + bytes([block[at] ^ 0x10]) + block[at + 1:]
    rep = v.validate_block(tampered)
    assert [(e.code, e.index) for e in rep.errors] == [("bad_signature", i)]
    assert rep.cached_signatures == 11


@pytest.mark.parametrize("suite", ["secp256k1-sha256", "p256-sha256", "ed25519-sha256"])
def test_changed_payload_under_the_same_signature_is_still_bad(suite):
    b = BlockBuilder(suite, validators=0)
    txs = [b.tx(i % 4, i // 4, b"payload %d" % i) for i in range(8)]
    cache = SignatureCache(4096)
    v = Validator(suite, threads=1, sig_cache=cache)
    assert v.precheck([t for t, _ in txs]).all()
    i = 5
    sig = txs[i][0][-64:]
    txs[i] = b.tx(i % 4, i // 4, b"payload %d!" % i, sig=sig)   # new payload, the old (cached) signature
    rep = v.validate_block(b.block(txs, commit=[]))
    assert [(e.code, e.index) for e in rep.errors] == [("bad_signature", i)]
    assert rep.cached_signatures == 7


def test_a_failed_precheck_leaves_nothing_cached():
    suite = "secp256k1-sha256"
    good = _txs(_chain(suite, txs=6, bad_rate=0.0).blocks[0])
    flipped = [t[:-10] + bytes([t[-10] ^ 1]) + t[-9:] for t in good]
    k = 33
    body = good[0][:-64]
    malformed = [
        b"",                                               # empty
        good[0][:k + 11],                                  # shorter than the fixed fields
        good[0][:-1],                                      # one byte short of its signature
        good[0] + b"\x00",                                 # one byte too many
        body[:k + 8] + struct.pack("<I", (1 << 20) + 1) + body[k + 12:] + good[0][-64:],  # payload_len > 1 MiB
        body[:k + 8] + struct.pack("<I", 0xFFFFFFFF) + body[k + 12:] + good[0][-64:],
        b"\x02" + b"\xff" * 32 + good[0][k:],              # a key that does not decode
    ]
    cache = SignatureCache(64)
    v = Validator(suite, threads=1, sig_cache=cache)
    assert not v.precheck(flipped + malformed).any()
    assert len(cache) == 0
    # mixed: only the good ones are stored, and the verdicts keep their positions
    mixed = [good[0], malformed[3], flipped[1], good[2]]
    assert v.precheck(mixed).tolist() == [True, False, False, True]
    assert len(cache) == 2
    assert v.precheck([]).shape == (0,)


def test_precheck_of_another_suites_transactions_is_false():
    ed = _txs(_chain("ed25519-sha256", txs=4, bad_rate=0.0).blocks[0])   # 32-byte keys: misframed for K=33
    cache = SignatureCache(64)
    assert not Validator("secp256k1-sha256", threads=1, sig_cache=cache).precheck(ed).any()
    assert len(cache) == 0


def test_bounded_cache_under_four_threads_prechecking():
    suite = "ed25519-sha256"
    pools = [_txs(_chain(suite, txs=60, bad_rate=0.0, seed=s).blocks[0]) for s in range(4)]
    cache = SignatureCache(64)
    seen: list[int] = []

    def work(txs):
        v = Validator(suite, threads=1, sig_cache=cache)
        for _ in range(3):
            assert v.precheck(txs).all()
            seen.append(len(cache))

    run_in_threads(work, pools)
    assert max(seen) <= 64 and 0 < len(cache) <= 64
    assert int((cache._table[:, 0] != 0).sum()) == len(cache)


def test_misuse_raises():
    with pytest.raises(InvalidType):
        Validator("ed25519-sha256", sig_cache=object())
    v = Validator("ed25519-sha256", sig_cache=SignatureCache(8))
    with pytest.raises(InvalidType):
        v.precheck(b"one transaction, not a list")
    with pytest.raises(InvalidType):
        v.precheck([b"ok", 3])


def test_precheck_without_a_cache_only_verifies():
    suite = "p256-sha256"
    chain = _chain(suite, txs=10, bad_rate=0.3, seed=2)
    bad = {i for _, i, _ in chain.corrupted}
    ok = Validator(suite, threads=1).precheck(_txs(chain.blocks[0]))
    assert ok.tolist() == [i not in bad for i in range(10)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_precheck_never_raises_on_bytes(items):
    cache = SignatureCache(16)
    ok = Validator("secp256k1-sha256", threads=1, sig_cache=cache).precheck(items)
    assert ok.shape == (len(items),) and ok.dtype == bool
    assert not ok.any() and len(cache) == 0


def test_adapters_reject_a_sig_cache_that_is_not_one():
    from ledgerval import bitcoin, evm, fabric

    with pytest.raises(InvalidType):
        bitcoin.validate_block(b"\x00" * 81, sig_cache={})
    with pytest.raises(InvalidType):
        evm.validate_block({}, sig_cache=[])
    with pytest.raises(InvalidType):
        fabric.validate_ledger("nowhere", sig_cache="cache")
