"""The wire parser: legacy and segwit transactions, CompactSize rules, txid/wtxid, and fuzzing (random bytes,
truncations, bit flips) that must only ever give a ``malformed`` verdict or an invalid block."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerval.bitcoin import validate_block
from ledgerval.bitcoin.build import ser_tx
from ledgerval.bitcoin.sighash import sha256d
from ledgerval.bitcoin.wire import Malformed, Reader, parse_block, parse_transaction
from conftest import vector_file


# BIP143's native P2WPKH example (published data): signed and unsigned forms
SIGNED = bytes.fromhex(
    "01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000049483045022100"
    "8b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b194ba3f9281a99f2b1c0a19c04"
    "89bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b9"
    "0ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac909351"
    "0d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac000247304402203609e17b84f6a7d30c80bfa6"
    "10b5b4542f32a8a0d5447a12fb1366d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02d"
    "e67eebee0121025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee635711000000")


def _small_block() -> bytes:
    path = vector_file("bitcoin", "checkblock_valid.json")
    rows = [r for r in json.loads(path.read_text()) if len(r) == 5 and r[0].startswith("Block 99960")]
    return bytes.fromhex(rows[0][4])


def test_segwit_transaction_fields_and_ids():
    tx = parse_transaction(SIGNED)
    assert tx.version == 1 and tx.has_witness and len(tx.vin) == 2 and len(tx.vout) == 2
    assert tx.vin[0].witness == [] and len(tx.vin[1].witness) == 2
    assert tx.vin[0].sequence == 0xFFFFFFEE and tx.vin[1].prev_n == 1
    # stripped = the same transaction without marker, flag and witnesses
    vin = [(i.prev_hash, i.prev_n, i.script_sig, i.sequence) for i in tx.vin]
    vout = [(o.value, o.script_pubkey) for o in tx.vout]
    assert tx.stripped == ser_tx(1, vin, vout, tx.locktime)
    assert tx.raw == SIGNED == ser_tx(1, vin, vout, tx.locktime, [i.witness for i in tx.vin])
    assert sha256d(tx.stripped) != sha256d(tx.raw)


def test_legacy_transaction_stripped_is_raw():
    raw = ser_tx(2, [(b"\x11" * 32, 3, b"\x51", 7)], [(5, b"\x52")], 9)
    tx = parse_transaction(raw)
    assert not tx.has_witness and tx.stripped is tx.raw == raw
    assert (tx.version, tx.locktime, tx.vin[0].prev_n, tx.vout[0].value) == (2, 9, 3, 5)


@pytest.mark.parametrize("name,hexdata", [
    ("superfluous witness (flag set, every stack empty)", "01000000" "0001" "01" + "11" * 32 + "00000000" "00"
     "ffffffff" "01" "0500000000000000" "0151" "00" "00000000"),
    ("unknown segwit flag", "01000000" "0002" "01" + "11" * 32 + "00000000" "00" "ffffffff" "01"
     "0500000000000000" "0151" "00000000"),
    ("non-canonical CompactSize", "01000000" "fd0100" + "11" * 32 + "00000000" "00" "ffffffff" "01"
     "0500000000000000" "0151" "00000000"),
    ("size above MAX_SIZE", "01000000" "01" + "11" * 32 + "00000000" "fe00000004" "ffffffff"),
    ("trailing bytes", "01000000" "01" + "11" * 32 + "00000000" "00" "ffffffff" "01" "0500000000000000" "0151"
     "00000000" "00"),
    ("truncated locktime", "01000000" "01" + "11" * 32 + "00000000" "00" "ffffffff" "01" "0500000000000000"
     "0151" "000000"),
])
def test_malformed_transactions(name, hexdata):
    with pytest.raises(Malformed):
        parse_transaction(bytes.fromhex(hexdata))


def test_compact_size_encodings():
    assert Reader(bytes.fromhex("fc")).compact("x") == 0xFC
    assert Reader(bytes.fromhex("fdfd00")).compact("x") == 0xFD
    assert Reader(bytes.fromhex("fe00000100")).compact("x") == 0x10000
    assert Reader(bytes.fromhex("ff0000000001000000"), 0).compact("x", limit=False) == 1 << 32
    for bad in ("fdfc00", "feffff0000", "ffffffffff00000000", "fd00"):
        with pytest.raises(Malformed):
            Reader(bytes.fromhex(bad)).compact("x", limit=False)


def test_empty_vin_without_flag_reads_as_empty_transaction():
    tx = parse_transaction(bytes.fromhex("01000000" "00" "00" "00000000"))
    assert tx.vin == [] and tx.vout == [] and not tx.has_witness


def test_block_parse_ids():
    raw = _small_block()
    block = parse_block(raw)
    assert len(block.txs) == 3 and block.txs[0].is_coinbase()
    assert sum(len(t.raw) for t in block.txs) == len(raw) - 81


# --- fuzzing -------------------------------------------------------------------------------------------

def _never_raises(raw: bytes):
    try:
        parse_block(raw)
    except Malformed:
        pass
    rep = validate_block(raw)
    assert isinstance(rep.ok, bool)
    return rep


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data):
    rep = _never_raises(data)
    assert not rep.ok


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzz_truncations_and_bit_flips(data):
    raw = _small_block()
    cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
    rep = _never_raises(raw[:cut])
    assert not rep.ok and rep.errors[0].code == "malformed"
    pos = data.draw(st.integers(0, len(raw) - 1), label="pos")
    bit = data.draw(st.integers(0, 7), label="bit")
    flipped = bytearray(raw)
    flipped[pos] ^= 1 << bit
    # every byte of a witness-free block is hashed into the header or the Merkle root: any flip is invalid
    assert not _never_raises(bytes(flipped)).ok


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_fuzz_segwit_transaction_mutations(data):
    pos = data.draw(st.integers(0, len(SIGNED) - 1))
    val = data.draw(st.integers(0, 255))
    mutated = bytearray(SIGNED)
    mutated[pos] = val
    try:
        tx = parse_transaction(bytes(mutated))
    except Malformed:
        return
    assert len(tx.raw) == len(SIGNED)


_txin = st.tuples(st.binary(min_size=32, max_size=32), st.integers(0, 2**32 - 1), st.binary(max_size=300),
                  st.integers(0, 2**32 - 1))
_txout = st.tuples(st.integers(-(2**63), 2**63 - 1), st.binary(max_size=300))


@settings(max_examples=150, deadline=None)
@given(st.integers(-(2**31), 2**31 - 1), st.lists(_txin, min_size=1, max_size=5), st.lists(_txout, max_size=5),
       st.integers(0, 2**32 - 1), st.data())
def test_fuzz_roundtrip(version, vin, vout, locktime, data):
    wit = data.draw(st.lists(st.lists(st.binary(max_size=80), max_size=3), min_size=len(vin), max_size=len(vin)))
    raw = ser_tx(version, vin, vout, locktime, wit)
    tx = parse_transaction(raw)
    assert tx.raw == raw and tx.version == version and tx.locktime == locktime
    assert [(i.prev_hash, i.prev_n, i.script_sig, i.sequence) for i in tx.vin] == vin
    assert [(o.value, o.script_pubkey) for o in tx.vout] == vout
    assert tx.has_witness == any(wit)
    assert tx.stripped == ser_tx(version, vin, vout, locktime)
    for k in range(len(raw)):
        with pytest.raises(Malformed):
            parse_transaction(raw[:k])


def _plain_parse(raw: bytes):
    """The block read in one loop, as parse_block did before it was split into pieces."""
    from types import SimpleNamespace

    from ledgerval.bitcoin.wire import parse_tx

    r = Reader(raw)
    r.read(80, "block header")
    txs = []
    for i in range(r.compact("transaction count")):
        try:
            txs.append(parse_tx(r))
        except Malformed as e:
            raise Malformed(f"transaction {i}: {e.detail}", i) from None
    if r.remaining():
        raise Malformed(f"{r.remaining()} trailing bytes after the last transaction")
    return SimpleNamespace(txs=txs)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 600), max_size=5), st.data(), st.booleans())
def test_block_parser_in_pieces_matches_parse_block(limits, data, pad):
    """BlockParser fed any byte limits, in any order, parses what one plain pass over the transactions does
    (the transactions and where each starts), and a truncated or padded block fails with its message."""
    from ledgerval.bitcoin.wire import BlockParser

    raw = _small_block()
    ends = np.cumsum([len(t.raw) for t in _plain_parse(raw).txs]) + 81  # cuts at transaction boundaries too
    cut = data.draw(st.one_of(st.integers(0, len(raw)), st.sampled_from([int(e) for e in ends])), label="cut")
    raw = raw[:cut] + (b"\x00" if pad else b"")
    try:
        want = _plain_parse(raw)
        want_err = None
    except Malformed as e:
        want, want_err = None, (e.detail, e.tx_index)
    try:
        parser = BlockParser(raw)
        for limit in [*limits, len(raw)]:
            first = parser.parse_until(limit)
            assert first <= len(parser.block.txs)
        got_err = None
    except Malformed as e:
        got_err = (e.detail, e.tx_index)
    assert got_err == want_err
    if want is not None:
        assert parser.done
        txs = parser.block.txs
        assert [t.raw for t in txs] == [t.raw for t in want.txs]
        assert all(raw[s : s + len(t.raw)] == t.raw for s, t in zip(parser.starts, txs))
