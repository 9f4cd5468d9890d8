"""The speed shortcuts against the general code they bypass: the P2PKH kernel (kernels/bitcoin_p2pkh.py) and
the P2PKH one-pass classifier (inlined DER read, SIGHASH_ALL preimages from memoryview slices) against the
general script path, the in-place input/output
reads against Reader's field-by-field reads, and the sigop pre-scan against a plain opcode walk."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.bitcoin import inputs as I
from ledgerval.bitcoin import validate as V
from ledgerval.bitcoin import validate_block
from ledgerval.bitcoin import wire as W
from ledgerval.bitcoin.build import block, coinbase, der, pubkey, ser_tx, sign
from ledgerval.bitcoin.der import N
from ledgerval.bitcoin.script import OP_CHECKMULTISIG, get_op, hash160, legacy_sigop_count, p2pkh_script, push_script
from ledgerval.bitcoin.sighash import legacy_sighash
from ledgerval.bitcoin.wire import parse_transaction
from conftest import vector_file

SEED = 20240612


def _report_tuple(rep):
    return (rep.ok, rep.merkle_ok, rep.inputs_checked, rep.sigs_checked, rep.sigs_failed, rep.inputs_skipped,
            dict(rep.skipped_reasons), rep.implied_scripts,
            [(e.code, e.tx_index, e.input_index, e.detail) for e in rep.errors])


def _both(monkeypatch, raw, prevouts, **kw):
    """(report with the fast paths, report with every input through the general path); the report with the
    Python fast path alone must equal both."""
    fast = validate_block(raw, prevouts, **kw)
    with monkeypatch.context() as m:
        m.setattr(V, "P2PKH_KERNEL", False)
        py_fast = validate_block(raw, prevouts, **kw)
        m.setattr(I.Classifier, "_p2pkh_fast", lambda self, *a: False)
        slow = validate_block(raw, prevouts, **kw)
    assert _report_tuple(py_fast) == _report_tuple(slow)
    return _report_tuple(fast), _report_tuple(slow)


# --- the P2PKH fast path ------------------------------------------------------------------------------------

def _reencode(sig: bytes, rng: random.Random) -> bytes:
    """The same (r, s) in another lax-DER shape: padded with zero bytes, long-form lengths, or a value at or
    above n; or a hash-type change."""
    body, ht = sig[:-1], sig[-1]
    rl = body[3]
    r, s = body[4 : 4 + rl], body[6 + rl : 6 + rl + body[5 + rl]]
    kind = rng.randrange(6)
    if kind == 0:
        r = b"\x00" + r  # 33 or 34 bytes with leading zeros
    elif kind == 1:
        s = b"\x00\x00" + s
    elif kind == 2:
        r = N.to_bytes(32, "big")  # out of range: parses as (0, 0), never verifies
    elif kind == 3:
        s = (N - 1).to_bytes(32, "big")
    elif kind == 4:
        ht = rng.choice([0, 2, 3, 0x81, 0x83, 0x41])
    else:
        return body + b"\x00" + bytes((ht,))  # trailing garbage, ignored by the lax reader
    inner = b"\x02" + bytes((len(r),)) + r + b"\x02" + bytes((len(s),)) + s
    return b"\x30" + bytes((len(inner),)) + inner + bytes((ht,))


def test_fast_path_agrees_with_general_path_on_block_277647(monkeypatch):
    """Re-encoded and corrupted signatures in the real block: both paths give the same report, detail for
    detail (the scriptSigs change, so the Merkle root fails the same way in both)."""
    path = vector_file("bitcoin", "block277647.raw")
    from ledgerval.bitcoin import load_prevouts

    raw = path.read_bytes()
    prevouts = load_prevouts(vector_file("bitcoin", "block277647_prevouts.jsonl"))
    fast, slow = _both(monkeypatch, raw, prevouts)
    assert fast == slow and fast[0] and fast[2] == 732
    rng = random.Random(SEED)
    print("seed", SEED)
    blk = W.parse_block(raw)
    txs = [tx.raw for tx in blk.txs]
    for ti in rng.sample(range(1, len(txs)), 40):
        tx = blk.txs[ti]
        k = rng.randrange(len(tx.vin))
        ss = tx.vin[k].script_sig
        sig, key = ss[1 : 1 + ss[0]], ss[2 + ss[0] :]
        sig = _reencode(sig, rng)
        vin = [(t.prev_hash, t.prev_n, t.script_sig, t.sequence) for t in tx.vin]
        vin[k] = vin[k][:2] + (push_script(sig) + push_script(key),) + vin[k][3:]
        txs[ti] = ser_tx(tx.version, vin, [(o.value, o.script_pubkey) for o in tx.vout], tx.locktime)
    bad = raw[:80] + W.compact_size(len(txs)) + b"".join(txs)
    fast, slow = _both(monkeypatch, bad, prevouts)
    assert fast == slow
    assert fast[4] > 0  # some re-encodings (out-of-range values, hash-type changes) do fail
    # The kernel's candidates verify in slices on helper threads while the block checks run (from two
    # threads on): the report is the same, error for error and in the same order, at every thread count.
    from ledgerval.native import secp256k1

    for threads in (1, 2, 3):
        assert _report_tuple(validate_block(bad, prevouts, threads=threads)) == slow
    if secp256k1.AVAILABLE:
        assert int(secp256k1.key_cache._pins.sum()) == 0  # every batch released its key slots


_SECRET = 0x5EC1
_KEYS = [pubkey(_SECRET), pubkey(_SECRET, compressed=False)]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_fast_path_agrees_with_general_path_on_made_up_spends(data):
    """P2PKH spends with every hash type, lax and strict DER, hybrid and malformed keys, key/hash mismatches,
    scriptSigs of other shapes, with and without prevouts and before/after BIP66."""
    pytest.MonkeyPatch  # (the fixture cannot be used with @given)
    n = data.draw(st.integers(1, 4))
    keys = [data.draw(st.sampled_from(_KEYS + [b"\x06" + _KEYS[1][1:], b"\x07" + _KEYS[1][1:], _KEYS[0][:-1]]))
            for _ in range(n)]
    spks = [p2pkh_script(hash160(kk if data.draw(st.integers(0, 9)) else _KEYS[0])) for kk in keys]
    prev = [(bytes([i + 1]) * 32, i) for i in range(n)]
    outs = [(1, p2pkh_script(bytes(20)))] * data.draw(st.integers(1, 3))
    unsigned = parse_transaction(ser_tx(1, [(h, i, b"", 0xFFFFFFFF - i) for h, i in prev], outs))
    sigs = []
    for k in range(n):
        ht = data.draw(st.sampled_from([1, 1, 1, 2, 3, 0x81, 0x82, 0x83, 0]))
        sig = sign(_SECRET, legacy_sighash(unsigned, k, spks[k], ht), ht, high_s=data.draw(st.booleans()))
        if data.draw(st.integers(0, 4)) == 0:
            body = sig[:-1]
            r = int.from_bytes(body[4 : 4 + body[3]], "big")
            s = int.from_bytes(body[6 + body[3] : -0] or body[6 + body[3] :], "big")
            sig = der(r, s)[:2] + der(r, s)[2:] + bytes((ht,))
            if data.draw(st.booleans()):
                sig = b"\x30" + bytes((sig[1],)) + b"\x02\x21\x00" + sig[5:]  # a padded r: lax only
        if data.draw(st.integers(0, 9)) == 0:
            sig = data.draw(st.binary(min_size=1, max_size=75))
        ss = push_script(sig) + push_script(keys[k])
        if data.draw(st.integers(0, 9)) == 0:
            ss = data.draw(st.sampled_from([ss + b"\x51", b"\x00" + ss, push_script(sig), ss[:-1]]))
        sigs.append(ss)
    raw = ser_tx(1, [(h, i, ss, 0xFFFFFFFF - i) for (h, i), ss in zip(prev, sigs)], outs)
    height = data.draw(st.sampled_from([None, 400_000]))
    blk = block([coinbase(height or 1), raw], version=1 if height is None else 4)
    prevouts = {(h[::-1].hex(), i): (10, spk) for (h, i), spk in zip(prev, spks)}
    for pv in (prevouts, None):
        with pytest.MonkeyPatch.context() as m:
            fast = _report_tuple(validate_block(blk, pv, check_pow=False))
            m.setattr(V, "P2PKH_KERNEL", False)
            py_fast = _report_tuple(validate_block(blk, pv, check_pow=False))
            m.setattr(I.Classifier, "_p2pkh_fast", lambda self, *a: False)
            slow = _report_tuple(validate_block(blk, pv, check_pow=False))
        assert fast == slow == py_fast, (fast, py_fast, slow)


# --- the parser's in-place reads ---------------------------------------------------------------------------

def _parse_slow(raw: bytes):
    """parse_transaction with the in-place fast reads turned off (every field through Reader)."""

    def vin(r):
        return [W.TxIn(r.read(36, "outpoint"), r.var_bytes("scriptSig"), r.u32("sequence"))
                for _ in range(r.compact("input count"))]

    def vout(r):
        out = []
        for _ in range(r.compact("output count")):
            start = r.pos
            value = r.i64("output value")
            script = r.var_bytes("scriptPubKey")
            out.append(W.TxOut(value, script, r.data[start : r.pos]))
        return out

    with pytest.MonkeyPatch.context() as m:
        m.setattr(W, "_parse_vin", vin)
        m.setattr(W, "_parse_vout", vout)
        return W.parse_transaction(raw)


def _fields(tx):
    return (tx.version, tx.locktime, tx.raw, tx.stripped,
            [(t.outpoint, t.prev_hash, t.prev_n, t.script_sig, t.sequence, t.witness) for t in tx.vin],
            [(o.value, o.script_pubkey, o.raw) for o in tx.vout])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=3), st.lists(st.binary(max_size=300), max_size=3),
       st.integers(0, 40), st.binary(max_size=3))
def test_in_place_reads_match_reader(scripts, spks, cut, junk):
    """Scripts around the one-byte length boundary (252/253), truncations and trailing bytes: the same
    transaction or the same Malformed message either way."""
    raw = ser_tx(2, [(bytes(32), i, s, 7) for i, s in enumerate(scripts)], [(5, s) for s in spks], 9)
    for data in (raw, raw[: max(0, len(raw) - cut)], raw + junk):
        try:
            want = _fields(_parse_slow(data))
        except W.Malformed as e:
            want = e.detail
        try:
            got = _fields(W.parse_transaction(data))
        except W.Malformed as e:
            got = e.detail
        assert got == want


# --- the sigop pre-scan -------------------------------------------------------------------------------------

def _sigops_walk(script: bytes) -> int:
    n, pc = 0, 0
    while True:
        ok, op, pc, _ = get_op(script, pc)
        if not ok:
            return n
        n += 1 if op in (0xAC, 0xAD) else 20 if op in (OP_CHECKMULTISIG, 0xAF) else 0


_OPS = st.one_of(st.binary(min_size=1, max_size=1), st.sampled_from([b"\xac", b"\xae", b"\x4c\x02\xac\xac",
                 push_script(b"\xac" * 30), b"\x76\xa9\x14" + bytes(20) + b"\x88\xac"]),
                 st.binary(max_size=40).map(lambda b: bytes((len(b),)) + b))


@settings(max_examples=400, deadline=None)
@given(st.lists(_OPS, max_size=8), st.integers(0, 5))
def test_sigop_prescan_matches_opcode_walk(pieces, cut):
    script = b"".join(pieces)
    for s in (script, script[: max(0, len(script) - cut)]):
        assert legacy_sigop_count(s) == _sigops_walk(s)


def test_failure_during_overlap_still_joins_the_background_verification(monkeypatch):
    """A bug raising in the block checks (which run while signatures verify in the background) propagates,
    after the background work is joined and its key slots released."""
    path = vector_file("bitcoin", "block277647.raw")
    from ledgerval.bitcoin import load_prevouts
    from ledgerval.native import secp256k1

    raw = path.read_bytes()
    prevouts = load_prevouts(vector_file("bitcoin", "block277647_prevouts.jsonl"))

    def boom(*a):
        raise RuntimeError("check failed")

    monkeypatch.setattr(V, "check_structure", boom)
    with pytest.raises(RuntimeError, match="check failed"):
        validate_block(raw, prevouts, threads=2)
    if secp256k1.AVAILABLE:
        assert int(secp256k1.key_cache._pins.sum()) == 0
