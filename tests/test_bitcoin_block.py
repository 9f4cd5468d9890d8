"""Real blocks: mainnet block 277647 with and without its prevouts, corruptions located to the exact input,
python-bitcoinlib's CheckBlock cases, proof of work against nBits."""
from __future__ import annotations

import json

import pytest

from ledgerval import InvalidArgument, InvalidType
from ledgerval.bitcoin import load_prevouts, validate_block
from ledgerval.bitcoin.checkblock import POW_LIMIT, check_pow, decode_compact
from ledgerval.bitcoin.script import push_values
from ledgerval.bitcoin.sighash import sha256d
from ledgerval.bitcoin.wire import parse_block
from conftest import vector_file

BLOCK_HASH = "0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8"


def _need(name: str):
    return vector_file("bitcoin", name)


@pytest.fixture(scope="module")
def block_raw() -> bytes:
    return _need("block277647.raw").read_bytes()


@pytest.fixture(scope="module")
def prevouts():
    return load_prevouts(_need("block277647_prevouts.jsonl"))


def test_block_277647_with_prevouts_every_input_checked(block_raw, prevouts):
    rep = validate_block(block_raw, prevouts, threads=2)
    assert rep.errors == []
    assert rep.ok and rep.fully_checked and rep.pow_ok and rep.merkle_ok and not rep.mutated
    assert rep.block_hash == BLOCK_HASH
    assert (rep.n_tx, rep.n_inputs) == (213, 732)
    assert rep.inputs_checked == 732 and rep.sigs_checked == 732 and rep.sigs_failed == 0
    assert rep.inputs_skipped == 0 and rep.skipped_reasons == {}
    assert rep.prevouts_used and rep.implied_scripts == 0


def test_block_277647_without_prevouts_uses_implied_p2pkh(block_raw):
    rep = validate_block(block_raw)
    assert rep.ok and not rep.prevouts_used
    # every input is P2PKH; those spending outputs of earlier transactions in the block have a known script
    assert rep.inputs_checked == 732 and rep.inputs_skipped == 0
    assert 0 < rep.implied_scripts < 732
    block = parse_block(block_raw)
    ids, in_block = set(), 0
    for tx in block.txs:
        if not tx.is_coinbase():
            in_block += sum(txin.prev_hash in ids for txin in tx.vin)
        ids.add(sha256d(tx.stripped))
    assert in_block > 0 and rep.implied_scripts == 732 - in_block


def test_prevouts_cover_the_block(block_raw, prevouts):
    block = parse_block(block_raw)
    assert len(prevouts) == 732
    assert all(isinstance(a, int) and isinstance(s, bytes) for a, s in prevouts.values())
    assert sum(len(tx.vin) for tx in block.txs[1:]) == 732


def _input_location(raw: bytes, ti: int, k: int):
    """(block, offset of the scriptSig of input k of transaction ti)."""
    block = parse_block(raw)
    tx = block.txs[ti]
    start = raw.index(tx.raw)
    script = tx.vin[k].script_sig
    return block, start + tx.raw.index(tx.vin[k].outpoint + bytes((len(script),)) + script) + 37


def _one_error(rep):
    assert not rep.ok
    return [(e.code, e.tx_index, e.input_index) for e in rep.errors if e.code not in ("bad_merkle_root",)]


def test_corrupted_signature_fails_exactly_that_input(block_raw, prevouts):
    block, off = _input_location(block_raw, 11, 7)
    sig = push_values(block.txs[11].vin[7].script_sig)[0]
    # flip one bit inside s (the bytes before the hash-type byte): still DER, no longer a valid signature
    pos = off + 1 + len(sig) - 3
    bad = bytearray(block_raw)
    bad[pos] ^= 0x01
    rep = validate_block(bytes(bad), prevouts)
    assert not rep.merkle_ok
    assert _one_error(rep) == [("bad_signature", 11, 7)]
    assert rep.sigs_failed == 1 and rep.sigs_checked == 732


def test_corrupted_amount_fails_exactly_that_input_of_the_prevouts(block_raw, prevouts):
    # legacy sighash does not commit to amounts, so a wrong amount must not matter ...
    block = parse_block(block_raw)
    txin = block.txs[3].vin[0]
    key = (txin.prev_hash[::-1].hex(), txin.prev_n)
    amount, spk = prevouts[key]
    changed = dict(prevouts)
    changed[key] = (amount + 1, spk)
    assert validate_block(block_raw, changed).ok
    # ... but a wrong script does: another key hash breaks EQUALVERIFY
    changed[key] = (amount, spk[:3] + bytes(20) + spk[23:])
    rep = validate_block(block_raw, changed)
    assert _one_error(rep) == [("bad_pubkey_hash", 3, 0)]
    # and a different valid template (P2PK of the same key) needs the signature over that script
    pub = push_values(txin.script_sig)[1]
    changed[key] = (amount, bytes((len(pub),)) + pub + b"\xac")
    rep = validate_block(block_raw, changed)
    assert _one_error(rep) == [("bad_signature", 3, 0)]


def test_missing_prevout_is_a_skip_not_a_pass(block_raw, prevouts):
    block = parse_block(block_raw)
    txin = block.txs[10].vin[0]
    partial = dict(prevouts)
    del partial[(txin.prev_hash[::-1].hex(), txin.prev_n)]
    rep = validate_block(block_raw, partial)
    assert rep.ok and not rep.fully_checked
    assert rep.inputs_skipped == 1 and rep.skipped_reasons == {"prevout_missing": 1}
    assert rep.inputs_checked == 731


def test_unsupported_script_is_a_skip(block_raw, prevouts):
    block = parse_block(block_raw)
    txin = block.txs[10].vin[0]
    changed = dict(prevouts)
    changed[(txin.prev_hash[::-1].hex(), txin.prev_n)] = (1, b"\x51")  # OP_TRUE: needs no signature
    rep = validate_block(block_raw, changed)
    assert rep.skipped_reasons == {"unsupported_script": 1} and rep.inputs_checked == 731


def test_truncated_and_padded_blocks_are_malformed(block_raw):
    for cut in (0, 10, 79, 80, 81, 1000, len(block_raw) - 1):
        rep = validate_block(block_raw[:cut])
        assert not rep.ok and rep.errors[0].code == "malformed", cut
    rep = validate_block(block_raw + b"\x00")
    assert [e.code for e in rep.errors] == ["malformed"] and "trailing" in rep.errors[0].detail


def test_non_bytes_input_is_misuse():
    with pytest.raises(InvalidType):
        validate_block("00" * 80)
    with pytest.raises(InvalidType):
        validate_block(b"", prevouts=[1])
    with pytest.raises(InvalidArgument):
        validate_block(b"", threads=0)


# --- python-bitcoinlib's CheckBlock cases ----------------------------------------------------------------

def _cases(name):
    rows = json.loads(_need(name).read_text())
    return [r for r in rows if len(r) == 5]


EXPECTED_INVALID = {
    "Genesis block with time set to two hours + 1 second behind": "time_too_new",
    "Genesis with one byte changed": "high_hash",
    "Empty vtx": "bad_length",
    "One tx, but not a coinbase": "coinbase_missing",
    "More than one coinbase (different coinbases)": "coinbase_multiple",
    "Duplicate transaction": "duplicate_txid",
    "Merkle root mismatch": "bad_merkle_root",
}


def test_checkblock_valid_cases():
    cases = _cases("checkblock_valid.json")
    assert len(cases) == 4
    for comment, header_only, check_pow_, now, hexblock in cases:
        assert not header_only
        rep = validate_block(bytes.fromhex(hexblock), now=now, check_pow=check_pow_)
        assert rep.ok, (comment, rep.errors)
        assert rep.pow_ok and rep.merkle_ok


def test_checkblock_invalid_cases():
    cases = _cases("checkblock_invalid.json")
    assert {c[0] for c in cases} == set(EXPECTED_INVALID)
    for comment, header_only, check_pow_, now, hexblock in cases:
        rep = validate_block(bytes.fromhex(hexblock), now=now, check_pow=check_pow_)
        assert not rep.ok, comment
        assert EXPECTED_INVALID[comment] in {e.code for e in rep.errors}, (comment, rep.errors)


def test_real_blocks_spending_p2pk_outputs_skip_without_prevouts():
    # block 99993 spends coinbase (P2PK) outputs: their key is not in the scriptSig, so they are skipped
    case = [c for c in _cases("checkblock_valid.json") if c[0].startswith("Block 99993")][0]
    rep = validate_block(bytes.fromhex(case[4]))
    assert rep.ok and not rep.fully_checked
    assert rep.skipped_reasons.get("no_prevout", 0) == rep.inputs_skipped > 0


# --- proof of work -------------------------------------------------------------------------------------

def test_compact_target_decoding():
    assert decode_compact(0x1D00FFFF) == (0xFFFF << 208, False, False)
    assert decode_compact(0x1B0404CB)[0] == 0x0404CB << 192
    assert decode_compact(0x01003456) == (0, False, False)
    assert decode_compact(0x01123456) == (0x12, False, False)
    assert decode_compact(0x04923456) == (0x12345600, True, False)
    assert decode_compact(0x05009234) == (0x92340000, False, False)
    assert decode_compact(0x20123456) == (0x12345600 << 224, False, False)
    assert decode_compact(0xFF123456)[2]  # overflow
    assert decode_compact(0x23000001)[2] and not decode_compact(0x22000001)[2]
    assert decode_compact(0x21010000)[2] and not decode_compact(0x21000100)[2]


def test_check_pow_rejects_bad_nbits():
    easy = bytes(32)
    assert check_pow(easy, 0x1D00FFFF)[0]
    assert check_pow(easy, 0x1D00FFFF, pow_limit=POW_LIMIT)[0]
    for bits in (0x04923456, 0x1D000000, 0xFF123456, 0x1D01FFFF, 0x207FFFFF):
        ok, code, _ = check_pow(easy, bits)
        assert not ok and code == "bad_diffbits", hex(bits)
    ok, code, _ = check_pow(b"\xff" * 32, 0x1D00FFFF)
    assert not ok and code == "high_hash"
    # exactly at the target passes, one above fails
    target = 0xFFFF << 208
    assert check_pow(target.to_bytes(32, "little"), 0x1D00FFFF)[0]
    assert not check_pow((target + 1).to_bytes(32, "little"), 0x1D00FFFF)[0]


# --- values (with prevouts) ----------------------------------------------------------------------------

def test_coinbase_claims_exactly_subsidy_plus_fees(block_raw, prevouts):
    block = parse_block(block_raw)
    txin = block.txs[20].vin[0]
    key = (txin.prev_hash[::-1].hex(), txin.prev_n)
    amount, spk = prevouts[key]
    # one satoshi less in any input makes the coinbase overclaim by one; zero makes that transaction overspend
    less = dict(prevouts)
    less[key] = (amount - 1, spk)
    assert [e.code for e in validate_block(block_raw, less).errors] == ["bad_cb_amount"]
    less[key] = (0, spk)
    codes_ = [(e.code, e.tx_index) for e in validate_block(block_raw, less).errors]
    assert codes_ == [("bad_cb_amount", 0), ("in_below_out", 20)]


# --- constructed blocks: CheckBlock / CheckTransaction rules ---------------------------------------------

def _tx(vin=None, vout=None, version=1):
    from ledgerval.bitcoin.build import ser_tx

    vin = vin if vin is not None else [(b"\x11" * 32, 0, b"\x51", 0xFFFFFFFF)]
    vout = vout if vout is not None else [(1, b"\x51")]
    return ser_tx(version, vin, vout)


def _codes(txs, **kw):
    from ledgerval.bitcoin.build import block

    return [e.code for e in validate_block(block(txs), check_pow=False, **kw).errors]


def test_mutated_merkle_tree_cve_2012_2459():
    from ledgerval.bitcoin.build import block, coinbase

    a, b = _tx(), _tx(vin=[(b"\x22" * 32, 0, b"\x51", 0)])
    honest = block([coinbase(), a, b])
    assert validate_block(honest, check_pow=False).merkle_ok
    # repeating the last transaction keeps the root: the header still matches, the tree is mutated
    txs = [coinbase(), a, b, b]
    from ledgerval.bitcoin.wire import parse_transaction

    ids = [sha256d(parse_transaction(t).stripped) for t in [coinbase(), a, b]]
    forged = block(txs, txids=ids + [ids[-1]])
    assert forged[:80] == honest[:80]
    rep = validate_block(forged, check_pow=False)
    assert rep.merkle_ok and rep.mutated and not rep.ok
    assert {"mutated_merkle", "duplicate_txid"} <= {e.code for e in rep.errors}


def test_transaction_rules():
    from ledgerval.bitcoin.build import coinbase

    assert _codes([coinbase(), _tx()]) == []
    assert _codes([coinbase(), _tx(vout=[(-1, b"\x51")])]) == ["vout_negative"]
    assert _codes([coinbase(), _tx(vout=[(21_000_000 * 10**8 + 1, b"\x51")])]) == ["vout_too_large"]
    assert _codes([coinbase(), _tx(vout=[(21_000_000 * 10**8, b"\x51")] * 2)]) == ["vout_too_large"]
    dup = (b"\x11" * 32, 0, b"\x51", 0)
    assert _codes([coinbase(), _tx(vin=[dup, dup])]) == ["inputs_duplicate"]
    null = (bytes(32), 0xFFFFFFFF, b"\x51", 0)
    assert _codes([coinbase(), _tx(vin=[null, dup])]) == ["prevout_null"]
    short_cb = _tx(vin=[(bytes(32), 0xFFFFFFFF, b"\x51", 0)])
    assert _codes([short_cb]) == ["coinbase_length"]
    empty = bytes.fromhex("01000000" "00" "00" "00000000")  # no inputs and no outputs
    assert _codes([coinbase(), empty]) == ["vin_empty", "vout_empty"]


def test_sigop_limit():
    from ledgerval.bitcoin.build import coinbase

    # 1000 outputs of CHECKMULTISIG count 20 each: 20000 * 4 = 80000 is the limit, one more sigop is over
    outs = [(0, b"\xae")] * 1000
    assert _codes([coinbase(), _tx(vout=outs)]) == []
    assert _codes([coinbase(), _tx(vout=outs + [(0, b"\xac")])]) == ["too_many_sigops"]


def test_size_and_weight_limits():
    from ledgerval.bitcoin.build import coinbase

    big = _tx(vout=[(0, b"\x6a" + bytes(999_000))])
    assert _codes([coinbase(), big]) == []
    over = _tx(vout=[(0, b"\x6a" + bytes(1_000_000))])
    assert _codes([coinbase(), over]) == ["bad_length", "bad_weight", "tx_oversize"]


def test_double_spend_inside_the_block():
    from ledgerval.bitcoin.build import block, coinbase

    a = _tx()
    b = _tx(vout=[(2, b"\x51")])  # other txid, same outpoint
    rep = validate_block(block([coinbase(), a, b]), check_pow=False)
    assert [(e.code, e.tx_index, e.input_index) for e in rep.errors] == [("double_spend", 2, 0)]


def test_malformed_after_the_first_piece_reports_as_a_whole_block_parse_would(block_raw, prevouts):
    """From two threads the block is parsed in two pieces, the first verifying while the second parses: a
    second piece that does not parse gives the one-piece report (malformed alone), its work joined."""
    from ledgerval.native import secp256k1

    for cut in (len(block_raw) - 1, len(block_raw) - 300, len(block_raw) // 2):
        one = validate_block(block_raw[:cut], prevouts, threads=1)
        two = validate_block(block_raw[:cut], prevouts, threads=2)
        assert [(e.code, e.tx_index, e.detail) for e in two.errors] == \
            [(e.code, e.tx_index, e.detail) for e in one.errors]
        assert [e.code for e in two.errors] == ["malformed"]
        assert (two.inputs_checked, two.sigs_checked, two.inputs_skipped) == (0, 0, 0)
    if secp256k1.AVAILABLE:
        assert int(secp256k1.key_cache._pins.sum()) == 0
