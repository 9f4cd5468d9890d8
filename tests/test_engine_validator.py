"""Every LVB1 rule: the valid case and each error code with its exact index."""
from __future__ import annotations

import struct

import pytest
from lvb1_builder import BlockBuilder, flip

import ledgerval
from ledgerval import InvalidArgument, InvalidType, Validator
from ledgerval.gen import generate_chain

SUITES = list(ledgerval.SUITES)


@pytest.fixture(scope="module", params=SUITES)
def bb(request):
    return BlockBuilder(request.param)


def _validator(bb, **kw):
    kw.setdefault("validators", bb.vals.pub)
    return Validator(bb.suite.name, **kw)


def _codes(report):
    return [(e.code, e.index) for e in report.errors]


def _txs(bb, n=5):
    return [bb.tx(i % 4, i, b"payload %d" % i) for i in range(n)]


def test_valid_block_every_suite(bb):
    block = bb.block(_txs(bb))
    r = _validator(bb).validate_block(block)
    assert r.ok, r.errors
    assert r.errors == [] and r.tx_count == 5 and r.height == 1
    assert r.header_hash == bb.header_hash(block)
    assert set(r.timings) >= {"decode", "tx_hash", "merkle", "signatures", "commit", "total"}


def test_empty_block_is_valid(bb):
    r = _validator(bb).validate_block(bb.block([]))
    assert r.ok, r.errors


def test_generated_chain_validates(bb):
    chain = generate_chain(bb.suite.name, blocks=3, txs=12, validators=4, seed=7)
    reports = list(Validator(bb.suite.name, validators=chain.validators).validate_chain(chain.blocks))
    assert [r.ok for r in reports] == [True, True, True], [r.errors for r in reports]


def test_generated_corruptions_are_found_exactly(bb):
    chain = generate_chain(bb.suite.name, blocks=2, txs=16, validators=3, bad_rate=0.2, seed=3)
    assert chain.corrupted
    reports = list(Validator(bb.suite.name, validators=chain.validators).validate_chain(chain.blocks))
    found = [(b, e.index, e.code) for b, r in enumerate(reports) for e in r.errors]
    assert sorted(found) == sorted(chain.corrupted)


# -- malformed: every way of not decoding gives the single error `malformed` -------------------------------

def _malformed_variants(block: bytes, bb) -> dict[str, bytes]:
    k = bb.suite.key_len
    first_tx = 96
    plen_off = first_tx + k + 8
    v = {
        "empty": b"",
        "short header": block[:95],
        "magic": b"LVB2" + block[4:],
        "version": block[:5] + b"\x02" + block[6:],
        "reserved": block[:94] + b"\x01\x00" + block[96:],
        "unknown suite": block[:4] + b"\x09" + block[5:],
        "suite zero": block[:4] + b"\x00" + block[5:],
        "tx_count overruns": block[:90] + struct.pack("<I", 6) + block[94:],
        "tx_count huge": block[:90] + struct.pack("<I", 0xFFFFFFFF) + block[94:],
        "payload too long": block[:plen_off] + struct.pack("<I", (1 << 20) + 1) + block[plen_off + 4:],
        "payload_len overruns": block[:plen_off] + struct.pack("<I", 10_000) + block[plen_off + 4:],
        "trailing byte": block + b"\x00",
        "commit truncated": block[:-1],
        "commit count missing": block[:-(2 + 66 * 4)],
        "commit count overruns": block[:-(2 + 66 * 4)] + struct.pack("<H", 5) + block[-(66 * 4):],
    }
    return v


def test_malformed_variants(bb):
    block = bb.block(_txs(bb))
    v = _validator(bb)
    for name, bad in _malformed_variants(block, bb).items():
        r = v.validate_block(bad)
        assert _codes(r) == [("malformed", None)], name
        assert r.header_hash is None and not r.ok


def test_payload_of_exactly_one_mib_decodes():
    bb = BlockBuilder("ed25519-sha256", validators=1)
    r = _validator(bb).validate_block(bb.block([bb.tx(0, 0, bytes(1 << 20))]))
    assert r.ok, r.errors


def test_wrong_suite_is_the_single_error():
    a, b = BlockBuilder("secp256k1-sha256"), BlockBuilder("p256-sha256")
    block = b.block(_txs(b), chain_id=5)  # also wrong chain: wrong_suite must stand alone
    r = Validator("secp256k1-sha256").validate_block(block)
    assert _codes(r) == [("wrong_suite", None)]
    # a block of another suite with a different key length still decodes under its own suite
    e = BlockBuilder("ed25519-sha256")
    assert _codes(Validator("sm2-sm3").validate_block(e.block(_txs(e)))) == [("wrong_suite", None)]
    del a


def test_wrong_chain(bb):
    r = _validator(bb, chain_id=7).validate_block(bb.block(_txs(bb), chain_id=8))
    assert _codes(r) == [("wrong_chain", None)]
    assert _validator(bb, chain_id=8).validate_block(bb.block(_txs(bb), chain_id=8)).ok


# -- parent links -------------------------------------------------------------------------------------------

def test_parent_rules(bb):
    v = _validator(bb)
    parent = bb.block(_txs(bb, 2), height=4, timestamp_ms=5000)
    ph = bb.header_hash(parent)
    good = bb.block(_txs(bb, 3), height=5, prev_hash=ph, timestamp_ms=5000)  # equal timestamp is fine
    assert v.validate_block(good, parent).ok
    assert v.validate_block(good, parent[:96]).ok  # the 96-byte header serves as well
    assert _codes(v.validate_block(bb.block(_txs(bb, 3), height=6, prev_hash=ph, timestamp_ms=6000),
                                   parent)) == [("bad_height", None)]
    assert _codes(v.validate_block(bb.block(_txs(bb, 3), height=5, prev_hash=flip(ph, 0), timestamp_ms=6000),
                                   parent)) == [("bad_prev_hash", None)]
    assert _codes(v.validate_block(bb.block(_txs(bb, 3), height=5, prev_hash=ph, timestamp_ms=4999),
                                   parent)) == [("bad_timestamp", None)]
    all_three = bb.block(_txs(bb, 3), height=9, prev_hash=bytes(32), timestamp_ms=1)
    assert _codes(v.validate_block(all_three, parent)) == [("bad_height", None), ("bad_prev_hash", None),
                                                          ("bad_timestamp", None)]


def test_validate_chain_links_blocks():
    bb = BlockBuilder("secp256k1-keccak256")
    v = _validator(bb)
    b0 = bb.block(_txs(bb, 2), height=0, timestamp_ms=10)
    b1 = bb.block(_txs(bb, 2), height=1, prev_hash=bb.header_hash(b0), timestamp_ms=20)
    b2 = bb.block(_txs(bb, 2), height=3, prev_hash=bb.header_hash(b1), timestamp_ms=30)
    assert [_codes(r) for r in v.validate_chain([b0, b1, b2])] == [[], [], [("bad_height", None)]]


def test_bad_parent_is_misuse(bb):
    with pytest.raises(InvalidArgument):
        _validator(bb).validate_block(bb.block(_txs(bb)), b"junk")


# -- transactions -------------------------------------------------------------------------------------------

def test_bad_tx_root(bb):
    r = _validator(bb).validate_block(bb.block(_txs(bb), tx_root=bytes(32)))
    assert _codes(r) == [("bad_tx_root", None)]


def test_bad_signature_exact_index(bb):
    txs = _txs(bb, 6)
    t, h = txs[4]
    txs[4] = (flip(t, len(t) - 1), h)  # the signature is not hashed: the root still matches
    r = _validator(bb).validate_block(bb.block(txs))
    assert _codes(r) == [("bad_signature", 4)]
    assert "transaction 4" in r.errors[0].detail


def test_signature_by_another_key(bb):
    txs = _txs(bb, 3)
    body_tx, h = bb.tx(1, 50, b"x")
    sig_by_0 = bb.senders.sign(0, h)
    txs.append((body_tx[:-64] + sig_by_0, h))
    assert _codes(_validator(bb).validate_block(bb.block(txs))) == [("bad_signature", 3)]


def test_undecodable_key_is_bad_signature_not_malformed(bb):
    k = bb.suite.key_len
    junk = b"\x05" + bytes(k - 1) if k == 33 else b"\xff" * 32  # bad SEC1 prefix / y >= p for Ed25519
    txs = _txs(bb, 3) + [bb.tx(0, 99, b"y", pubkey=junk, sig=bytes(64))]
    assert _codes(_validator(bb).validate_block(bb.block(txs))) == [("bad_signature", 3)]


def test_duplicate_tx(bb):
    txs = _txs(bb, 4)
    txs.insert(3, txs[1])
    assert _codes(_validator(bb).validate_block(bb.block(txs))) == [("duplicate_tx", 3)]


def test_replayed_nonce(bb):
    txs = _txs(bb, 4)  # sender 1 used nonce 1 in transaction 1
    txs.append(bb.tx(1, 1, b"another payload"))
    assert _codes(_validator(bb).validate_block(bb.block(txs))) == [("replayed_nonce", 4)]
    # same nonce under another key is not a replay
    txs[4] = bb.tx(2, 1, b"another payload")
    assert _validator(bb).validate_block(bb.block(txs)).ok


def test_duplicate_and_replay_reported_together():
    bb = BlockBuilder("p256-sha256")
    a = bb.tx(0, 7, b"a")
    b = bb.tx(0, 7, b"b")
    r = _validator(bb).validate_block(bb.block([a, b, b, a]))
    # Each rule is applied on its own: tx 2 repeats tx 1's hash and tx 0's pair with another hash;
    # tx 3 repeats tx 0's hash and tx 1's pair with another hash.
    assert _codes(r) == [("replayed_nonce", 1), ("duplicate_tx", 2), ("replayed_nonce", 2),
                         ("duplicate_tx", 3), ("replayed_nonce", 3)]


# -- commit -------------------------------------------------------------------------------------------------

def _with_commit(bb, entries):
    """A block whose commit is built from (validator index, signer or None for a zero signature, signed?)."""
    txs = _txs(bb, 2)
    tmp = bb.block(txs, commit=[])
    hh = bb.header_hash(tmp)
    commit = [(vi, bb.vals.sign(signer, hh) if signer is not None else bytes(64)) for vi, signer in entries]
    return bb.block(txs, commit=commit)


def test_commit_rules(bb):
    v = _validator(bb)  # 4 validators, threshold 3
    assert v.threshold == 3
    assert v.validate_block(_with_commit(bb, [(0, 0), (1, 1), (2, 2)])).ok
    assert _codes(v.validate_block(_with_commit(bb, [(0, 0), (1, 1), (9, 2), (3, 3)]))) == \
        [("unknown_validator", 2)]
    assert _codes(v.validate_block(_with_commit(bb, [(0, 0), (1, 1), (0, 0), (2, 2)]))) == \
        [("duplicate_validator", 2)]
    assert _codes(v.validate_block(_with_commit(bb, [(0, 0), (1, 1), (2, 3), (3, 3)]))) == \
        [("bad_commit_signature", 2)]
    assert _codes(v.validate_block(_with_commit(bb, [(0, 0), (1, 1)]))) == [("insufficient_quorum", None)]
    assert _codes(v.validate_block(_with_commit(bb, [(0, 0), (1, 1), (2, None)]))) == \
        [("bad_commit_signature", 2), ("insufficient_quorum", None)]


def test_duplicate_of_unknown_is_unknown_each_time():
    bb = BlockBuilder("ed25519-sha256")
    v = _validator(bb)
    block = _with_commit(bb, [(7, 0), (7, 0), (0, 0), (1, 1), (2, 2)])
    assert _codes(v.validate_block(block)) == [("unknown_validator", 0), ("unknown_validator", 1)]


def test_commit_not_checked_without_validators(bb):
    assert Validator(bb.suite.name).validate_block(_with_commit(bb, [(9, None)])).ok


def test_threshold_and_weights():
    bb = BlockBuilder("secp256k1-sha256")
    v = _validator(bb, threshold=1)
    assert v.validate_block(_with_commit(bb, [(3, 3)])).ok
    w = _validator(bb, weights=[10, 1, 1, 1])  # total 13, default threshold 9
    assert w.threshold == 9
    assert w.validate_block(_with_commit(bb, [(0, 0)])).ok
    assert _codes(w.validate_block(_with_commit(bb, [(1, 1), (2, 2), (3, 3)]))) == [("insufficient_quorum", None)]


def test_all_errors_reported_in_one_report():
    bb = BlockBuilder("sm2-sm3")
    txs = _txs(bb, 5)
    t, h = txs[2]
    txs[2] = (flip(t, len(t) - 5), h)
    txs.append(txs[0])
    parent = bb.block([], height=1, timestamp_ms=10)
    block = _with_commit(bb, [])  # placeholder to reuse helpers
    hh_block = bb.block(txs, height=5, chain_id=3, tx_root=bytes(32), commit=[], timestamp_ms=1)
    block = bb.block(txs, height=5, chain_id=3, tx_root=bytes(32), timestamp_ms=1,
                     commit=[(0, bb.vals.sign(0, bb.header_hash(hh_block)))])
    r = Validator("sm2-sm3", validators=bb.vals.pub).validate_block(block, parent)
    assert _codes(r) == [("wrong_chain", None), ("bad_height", None), ("bad_prev_hash", None),
                         ("bad_timestamp", None), ("bad_tx_root", None), ("bad_signature", 2),
                         ("duplicate_tx", 5), ("insufficient_quorum", None)]
    assert set(e.code for e in r.errors) <= set(ledgerval.ERROR_CODES)


# -- misuse -------------------------------------------------------------------------------------------------

def test_validator_misuse():
    with pytest.raises(InvalidArgument):
        Validator("no-such-suite")
    with pytest.raises(InvalidType):
        Validator(3)
    with pytest.raises(InvalidArgument):
        Validator("secp256k1-sha256", validators=[b"\x02" + bytes(32)])  # x = 0 is not on the curve
    with pytest.raises(InvalidType):
        Validator("secp256k1-sha256", validators=["02ab"])
    bb = BlockBuilder("secp256k1-sha256")
    with pytest.raises(InvalidArgument):
        Validator("secp256k1-sha256", validators=bb.vals.pub, threshold=5)
    with pytest.raises(InvalidArgument):
        Validator("secp256k1-sha256", validators=bb.vals.pub, weights=[1, 2])
    with pytest.raises(InvalidType):
        Validator("secp256k1-sha256").validate_block("not bytes")
    with pytest.raises(InvalidArgument):
        Validator("secp256k1-sha256", threads=0)
    assert issubclass(InvalidArgument, ledgerval.LedgervalError) and issubclass(InvalidArgument, ValueError)
    assert issubclass(InvalidType, TypeError)


def test_threads_do_not_change_the_verdict():
    chain = generate_chain("ed25519-sha256", blocks=1, txs=40, validators=4, bad_rate=0.25, seed=11)
    r1 = Validator("ed25519-sha256", validators=chain.validators, threads=1).validate_block(chain.blocks[0])
    r2 = Validator("ed25519-sha256", validators=chain.validators, threads=2).validate_block(chain.blocks[0])
    assert _codes(r1) == _codes(r2) and r1.errors


@pytest.mark.parametrize("suite", ["secp256k1-sha256", "ed25519-sha256"])
def test_validator_keys_checked_every_time(suite):
    # key checks are remembered per (scheme, key bytes): a bad key is refused by every Validator built
    # over it, a good one accepted, and one key's verdict never stands for another's
    chain = generate_chain(suite, blocks=1, txs=1, validators=2, seed=7)
    good = list(chain.validators)
    bad = bytes([good[0][0] ^ 0xFF]) + good[0][1:] if suite.startswith("secp") else b"\xff" * 31 + b"\x7f"
    for _ in range(2):
        assert Validator(suite, validators=good).validators == good
        with pytest.raises(InvalidArgument, match="not a valid"):
            Validator(suite, validators=[good[0], bad])
