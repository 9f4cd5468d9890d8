"""Signature hashes: every row of Bitcoin Core's sighash.json (legacy), and the BIP143 examples."""
from __future__ import annotations

import json


from ledgerval import verify_batch
from ledgerval.bitcoin.der import parse_der_lax
from ledgerval.bitcoin.script import p2pkh_script
from ledgerval.bitcoin.sighash import ONE, bip143_preimage, bip143_sighash, legacy_preimage, legacy_sighash
from ledgerval.bitcoin.wire import parse_transaction
from conftest import vector_file



def _rows():
    path = vector_file("bitcoin", "sighash.json")
    return [r for r in json.loads(path.read_text()) if len(r) == 5]


def test_core_sighash_json_every_row():
    rows = _rows()
    assert len(rows) == 500
    wrong = []
    for i, (tx_hex, script_hex, n_in, hash_type, expected) in enumerate(rows):
        tx = parse_transaction(bytes.fromhex(tx_hex))
        got = legacy_sighash(tx, n_in, bytes.fromhex(script_hex), hash_type)
        if got[::-1].hex() != expected:
            wrong.append(i)
    assert not wrong, f"rows {wrong[:10]} differ"


def test_sighash_json_covers_every_hash_type_family():
    # the rows must exercise what the test claims: NONE, SINGLE, ANYONECANPAY (no row hits the SINGLE bug;
    # test_single_bug_and_index_past_inputs_give_one covers it)
    rows = _rows()
    kinds = set()
    for tx_hex, _, n_in, ht, _ in rows:
        tx = parse_transaction(bytes.fromhex(tx_hex))
        base = ht & 0x1F
        kinds.add(("acp" if ht & 0x80 else "") + {2: "none", 3: "single"}.get(base, "all"))
        assert n_in < len(tx.vin)
    assert {"all", "none", "single", "acpall", "acpnone", "acpsingle"} <= kinds


def test_single_bug_and_index_past_inputs_give_one():
    tx = parse_transaction(bytes.fromhex(
        "0100000002" + "11" * 32 + "00000000" + "00" + "ffffffff" + "22" * 32 + "01000000" + "00" + "ffffffff"
        + "01" + "0100000000000000" + "0151" + "00000000"))
    assert legacy_preimage(tx, 1, b"\x51", 3) is None
    assert legacy_sighash(tx, 1, b"\x51", 3) == ONE == (1).to_bytes(32, "little")
    assert legacy_sighash(tx, 1, b"\x51", 0x83) == ONE
    assert legacy_sighash(tx, 2, b"\x51", 1) == ONE
    assert legacy_sighash(tx, 0, b"\x51", 3) != ONE


def test_codeseparators_removed_and_truncated_push_cut_like_core():
    tx = parse_transaction(bytes.fromhex(
        "01000000" + "01" + "11" * 32 + "00000000" + "00" + "ffffffff" + "01" + "0100000000000000" + "0151"
        + "00000000"))
    with_sep = legacy_preimage(tx, 0, bytes.fromhex("51ab52ab"), 1)
    assert bytes.fromhex("025152") in with_sep
    # a push running past the end: Core writes the full length but stops copying at its iterator
    cut = legacy_preimage(tx, 0, bytes.fromhex("ab05aa"), 1)
    assert bytes.fromhex("02" + "05" + "ffffffff") in cut


# --- BIP143 (published example data, typed in from the BIP) ----------------------------------------------

P2WPKH_UNSIGNED = (
    "0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b8"
    "04cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a914"
    "8280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f016"
    "7faa815988ac11000000")
P2WPKH_SIGNED = (
    "01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000049483045022100"
    "8b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b194ba3f9281a99f2b1c0a19c04"
    "89bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b9"
    "0ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac909351"
    "0d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac000247304402203609e17b84f6a7d30c80bfa6"
    "10b5b4542f32a8a0d5447a12fb1366d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02d"
    "e67eebee0121025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee635711000000")
P2WPKH_PREIMAGE = (
    "0100000096b827c8483d4e9b96712b6713a7b68d6e8003a781feba36c31143470b4efd3752b0a642eea2fb7ae638c36f6252"
    "b6750293dbe574a806984b8e4d8548339a3bef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a"
    "010000001976a9141d0f172a0ecb48aee1be1f2687d2963ae33f71a188ac0046c32300000000ffffffff863ef3e1a92afbfd"
    "b97f31ad0fc7683ee943e9abcf2501590ff8f6551f47e5e51100000001000000")
P2WPKH_SIGHASH = "c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670"
P2WPKH_PUBKEY = "025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee6357"

P2SH_P2WPKH_SIGNED = (
    "01000000000101db6b1b20aa0fd7b23880be2ecbd4a98130974cf4748fb66092ac4d3ceb1a5477010000001716001479091972"
    "186c449eb1ded22b78e40d009bdf0089feffffff02b8b4eb0b000000001976a914a457b684d7f0d539a46a45bbc043f35b59d0"
    "d96388ac0008af2f000000001976a914fd270b1ee6abcaea97fea7ad0402e8bd8ad6d77c88ac02473044022047ac8e878352d3"
    "ebbde1c94ce3a10d057c24175747116f8288e5d794d12d482f0220217f36a485cae903c713331d877c1f64677e3622ad401072"
    "6870540656fe9dcb012103ad1d8e89212f0b92c74d23bb710c00662ad1470198ac48c43f7d6f93a2a2687392040000")
P2SH_P2WPKH_PREIMAGE = (
    "01000000b0287b4a252ac05af83d2dcef00ba313af78a3e9c329afa216eb3aa2a7b4613a18606b350cd8bf565266bc352f0cad"
    "dcf01e8fa789dd8a15386327cf8cabe198db6b1b20aa0fd7b23880be2ecbd4a98130974cf4748fb66092ac4d3ceb1a54770100"
    "00001976a91479091972186c449eb1ded22b78e40d009bdf008988ac00ca9a3b00000000feffffffde984f44532e2173ca0d64"
    "314fcefe6d30da6f8cf27bafa706da61df8a226c839204000001000000")
P2SH_P2WPKH_SIGHASH = "64f3b0f4dd2bb3aa1ce8566d220cc74dda9df97d8490cc81d89d735c92e59fb6"


def test_bip143_native_p2wpkh_example():
    signed = parse_transaction(bytes.fromhex(P2WPKH_SIGNED))
    unsigned = parse_transaction(bytes.fromhex(P2WPKH_UNSIGNED))
    assert signed.has_witness and not unsigned.has_witness
    assert [len(i.witness) for i in signed.vin] == [0, 2]
    assert signed.locktime == 0x11 and [o.value for o in signed.vout] == [112340000, 223450000]
    code = p2pkh_script(bytes.fromhex("1d0f172a0ecb48aee1be1f2687d2963ae33f71a1"))
    amount = 600_000_000
    assert bip143_preimage(unsigned, 1, code, amount, 1).hex() == P2WPKH_PREIMAGE
    # the witness only changes the serialization, not what is signed
    assert bip143_preimage(signed, 1, code, amount, 1).hex() == P2WPKH_PREIMAGE
    digest = bip143_sighash(signed, 1, code, amount, 1)
    assert digest.hex() == P2WPKH_SIGHASH
    sig, key = signed.vin[1].witness
    assert key.hex() == P2WPKH_PUBKEY
    ok = verify_batch("ecdsa-secp256k1", [key, key], [digest, bytes(32)], [parse_der_lax(sig[:-1])] * 2)
    assert ok.tolist() == [True, False]


def test_bip143_p2sh_p2wpkh_example():
    tx = parse_transaction(bytes.fromhex(P2SH_P2WPKH_SIGNED))
    code = p2pkh_script(bytes.fromhex("79091972186c449eb1ded22b78e40d009bdf0089"))
    assert bip143_preimage(tx, 0, code, 1_000_000_000, 1).hex() == P2SH_P2WPKH_PREIMAGE
    digest = bip143_sighash(tx, 0, code, 1_000_000_000, 1)
    assert digest.hex() == P2SH_P2WPKH_SIGHASH
    sig, key = tx.vin[0].witness
    assert verify_batch("ecdsa-secp256k1", [key], [digest], [parse_der_lax(sig[:-1])]).tolist() == [True]
    # the amount is committed: one satoshi more and the signature no longer matches
    other = bip143_sighash(tx, 0, code, 1_000_000_001, 1)
    assert verify_batch("ecdsa-secp256k1", [key], [other], [parse_der_lax(sig[:-1])]).tolist() == [False]


def test_bip143_hash_type_variants_zero_the_right_parts():
    tx = parse_transaction(bytes.fromhex(P2WPKH_UNSIGNED))
    code = b"\x51"
    zero = bytes(32)
    pre_all = bip143_preimage(tx, 1, code, 5, 1)
    pre_acp = bip143_preimage(tx, 1, code, 5, 0x81)
    pre_none = bip143_preimage(tx, 1, code, 5, 2)
    pre_single = bip143_preimage(tx, 1, code, 5, 3)
    assert pre_acp[4:68] == zero * 2 and pre_all[4:36] != zero
    assert pre_none[4:36] == pre_all[4:36] and pre_none[36:68] == zero and pre_none[-40:-8] == zero
    assert pre_single[-40:-8] not in (zero, pre_all[-40:-8])
    tx1 = parse_transaction(bytes.fromhex(
        "01000000" + "02" + ("11" * 32 + "00000000" + "00" + "ffffffff") * 2 + "01" + "0100000000000000"
        + "0151" + "00000000"))
    assert bip143_preimage(tx1, 1, code, 5, 3)[-40:-8] == zero  # SINGLE past the outputs: no bug, zeros


def test_bip143_examples_validate_end_to_end_in_a_block():
    """The published signed transactions (their own signatures, not ours) in one block with their prevouts."""
    from ledgerval.bitcoin import validate_block
    from ledgerval.bitcoin.build import block, coinbase, witness_commitment_output
    from ledgerval.bitcoin.sighash import sha256d

    txs = [bytes.fromhex(P2WPKH_SIGNED), bytes.fromhex(P2SH_P2WPKH_SIGNED)]
    parsed = [parse_transaction(t) for t in txs]
    cb = coinbase(500_000, [(0, b"\x51"), witness_commitment_output([sha256d(t) for t in txs])], reserved=bytes(32))
    raw = block([cb] + txs, version=4)
    p0, p1 = parsed[0].vin
    p2 = parsed[1].vin[0]
    prevouts = {
        (p0.prev_hash[::-1].hex(), p0.prev_n): (625_000_000, bytes.fromhex(
            "2103c9f4836b9a4f77fc0d81f7bcb01b7f1b35916864b9476c241ce9fc198bd25432ac")),
        (p1.prev_hash[::-1].hex(), p1.prev_n): (600_000_000, bytes.fromhex(
            "00141d0f172a0ecb48aee1be1f2687d2963ae33f71a1")),
        (p2.prev_hash[::-1].hex(), p2.prev_n): (1_000_000_000, bytes.fromhex(
            "a9144733f37cf4db86fbc2efed2500b4f4e49f31202387")),
    }
    rep = validate_block(raw, prevouts, check_pow=False)
    assert rep.ok and rep.fully_checked and rep.inputs_checked == 3, rep.errors
    # the P2WPKH input's amount is signed: change it and exactly that input fails
    key = (p1.prev_hash[::-1].hex(), p1.prev_n)
    prevouts[key] = (600_000_001, prevouts[key][1])
    rep = validate_block(raw, prevouts, check_pow=False)
    assert [(e.code, e.tx_index, e.input_index) for e in rep.errors] == [("bad_signature", 1, 1)]
