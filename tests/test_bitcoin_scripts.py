"""Input types end to end, with transactions built and signed here: P2PKH, P2PK (hybrid keys), bare and P2SH
multisig with OP_CHECKMULTISIG's ordering, P2WPKH, P2WSH multisig (native and nested), every legacy hash
type including the SIGHASH_SINGLE bug, FindAndDelete, BIP66 and NULLDUMMY by height, witness commitments."""
from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.bitcoin import validate_block
from ledgerval.bitcoin.build import block, coinbase, pubkey, ser_tx, sign, witness_commitment_output
from ledgerval.bitcoin.checks import InputCheck
from ledgerval.bitcoin.script import hash160, p2pkh_script, push_script, sha256
from ledgerval.bitcoin.sighash import ONE, bip143_sighash, legacy_sighash, sha256d
from ledgerval.bitcoin.wire import parse_transaction

SEED = 20240611
KEYS = [0x1111 + 7919 * i for i in range(4)]  # test secrets
PUBS = [pubkey(k) for k in KEYS]
OUT = [(1, p2pkh_script(bytes(20)))]


def p2sh(script: bytes) -> bytes:
    return b"\xa9\x14" + hash160(script) + b"\x87"


def p2wsh(script: bytes) -> bytes:
    return b"\x00\x20" + sha256(script)


def multisig_script(m: int, pubs: list[bytes]) -> bytes:
    return bytes((0x50 + m,)) + b"".join(push_script(p) for p in pubs) + bytes((0x50 + len(pubs), 0xAE))


class Spend:
    """One transaction spending made-up outputs, and the block around it."""

    def __init__(self, prevs: list[tuple[int, bytes]], outs=OUT, seed: int = 0):
        rng = random.Random(SEED + seed)
        self.prevs = [(rng.randbytes(32), i, amount, spk) for i, (amount, spk) in enumerate(prevs)]
        self.outs = outs
        self.script_sigs = [b""] * len(prevs)
        self.witnesses = [[] for _ in prevs]
        self.unsigned = parse_transaction(self._ser())

    def _ser(self) -> bytes:
        vin = [(h, n, ss, 0xFFFFFFFF) for (h, n, _, _), ss in zip(self.prevs, self.script_sigs)]
        return ser_tx(1, vin, self.outs, 0, self.witnesses if any(self.witnesses) else None)

    def legacy(self, k, code, secret, ht=1) -> bytes:
        return sign(secret, legacy_sighash(self.unsigned, k, code, ht), ht)

    def bip143(self, k, code, secret, ht=1) -> bytes:
        return sign(secret, bip143_sighash(self.unsigned, k, code, self.prevs[k][2], ht), ht)

    def prevouts(self):
        return {(h[::-1].hex(), n): (amount, spk) for h, n, amount, spk in self.prevs}

    def block(self, height: int | None = None) -> bytes:
        raw = self._ser()
        tx = parse_transaction(raw)
        version = 1 if height is None else 4
        if tx.has_witness:
            cb = coinbase(height or 1, [(0, b"\x51"), witness_commitment_output([sha256d(raw)])],
                          reserved=bytes(32))
        else:
            cb = coinbase(height or 1)
        return block([cb, raw], version=version)

    def validate(self, height: int | None = None, prevouts=True):
        return validate_block(self.block(height), self.prevouts() if prevouts else None, check_pow=False)


def codes(rep):
    return [(e.code, e.tx_index, e.input_index) for e in rep.errors]


# --- single-signature templates ------------------------------------------------------------------------

def test_p2pkh_and_p2pk_compressed_uncompressed():
    upub = pubkey(KEYS[1], compressed=False)
    s = Spend([(10, p2pkh_script(hash160(PUBS[0]))), (20, push_script(upub) + b"\xac"),
               (30, p2pkh_script(hash160(upub)))])
    s.script_sigs[0] = push_script(s.legacy(0, p2pkh_script(hash160(PUBS[0])), KEYS[0])) + push_script(PUBS[0])
    s.script_sigs[1] = push_script(s.legacy(1, push_script(upub) + b"\xac", KEYS[1]))
    s.script_sigs[2] = push_script(s.legacy(2, p2pkh_script(hash160(upub)), KEYS[1])) + push_script(upub)
    rep = s.validate()
    assert rep.ok and rep.fully_checked and rep.inputs_checked == 3, rep.errors
    # without prevouts: P2PKH by implication, P2PK cannot be known
    rep = s.validate(prevouts=False)
    assert rep.ok and rep.implied_scripts == 2 and rep.skipped_reasons == {"no_prevout": 1}


def test_every_legacy_hash_type_and_the_single_bug():
    spk = p2pkh_script(hash160(PUBS[0]))
    hash_types = [1, 2, 3, 0x81, 0x82, 0x83, 0x03]
    s = Spend([(10, spk)] * len(hash_types), outs=OUT * 2)  # inputs 2.. with SINGLE past output 1 hit the bug
    for k, ht in enumerate(hash_types):
        s.script_sigs[k] = push_script(s.legacy(k, spk, KEYS[0], ht)) + push_script(PUBS[0])
    assert legacy_sighash(s.unsigned, 6, spk, 3) == ONE
    rep = s.validate()
    assert rep.ok and rep.inputs_checked == len(hash_types), rep.errors
    # a signature over uint256(1) is only valid where the bug applies: move it to input 0 (SINGLE, in range)
    s.script_sigs[0] = s.script_sigs[6]
    assert codes(s.validate()) == [("bad_signature", 1, 0)]


def test_high_s_and_lax_der_accepted_before_bip66_rejected_after():
    spk = p2pkh_script(hash160(PUBS[0]))
    s = Spend([(10, spk), (10, spk)])
    high = sign(KEYS[0], legacy_sighash(s.unsigned, 0, spk, 1), 1, high_s=True)
    lax = s.legacy(1, spk, KEYS[0])
    lax = lax[:-1] + b"\x00\x00" + lax[-1:]  # garbage after S
    s.script_sigs[0] = push_script(high) + push_script(PUBS[0])
    s.script_sigs[1] = push_script(lax) + push_script(PUBS[0])
    assert s.validate().ok
    assert s.validate(height=300_000).ok
    rep = s.validate(height=363_725)
    assert codes(rep) == [("bad_sig_encoding", 1, 1)]  # high-S stays valid: LOW_S is policy only


def test_hybrid_keys_follow_the_parity_rule():
    upub = pubkey(KEYS[2], compressed=False)
    good = bytes((6 | (upub[64] & 1),)) + upub[1:]
    bad = bytes((7 - (upub[64] & 1),)) + upub[1:]
    s = Spend([(10, push_script(good) + b"\xac"), (10, push_script(bad) + b"\xac")])
    s.script_sigs[0] = push_script(s.legacy(0, push_script(good) + b"\xac", KEYS[2]))
    s.script_sigs[1] = push_script(s.legacy(1, push_script(bad) + b"\xac", KEYS[2]))
    assert codes(s.validate()) == [("bad_signature", 1, 1)]


def test_script_failures_are_located():
    spk = p2pkh_script(hash160(PUBS[0]))
    s = Spend([(10, spk)] * 4)
    sig = s.legacy(0, spk, KEYS[0])
    s.script_sigs[0] = push_script(sig) + push_script(PUBS[0])
    s.script_sigs[1] = push_script(s.legacy(1, spk, KEYS[1])) + push_script(PUBS[1])  # wrong key hash
    s.script_sigs[2] = push_script(PUBS[0])  # no signature
    s.script_sigs[3] = b"\x00" + push_script(PUBS[0])  # empty signature: CHECKSIG is false
    assert codes(s.validate()) == [("bad_pubkey_hash", 1, 1), ("bad_scriptsig", 1, 2), ("bad_signature", 1, 3)]
    s.script_sigs[1] = b"\x76" + push_script(PUBS[0])  # OP_DUP: not push-only, needs an interpreter
    rep = s.validate()
    assert rep.skipped_reasons == {"nonpush_scriptsig": 1}


# --- CHECKMULTISIG -------------------------------------------------------------------------------------

@pytest.mark.parametrize("signers,ok", [
    ((0, 1), True), ((0, 2), True), ((1, 2), True),
    ((1, 0), False), ((2, 0), False), ((2, 1), False), ((0, 0), False), ((1, 1), False), ((0, 3), False),
])
def test_p2sh_multisig_ordering(signers, ok):
    redeem = multisig_script(2, PUBS[:3])
    s = Spend([(10, p2sh(redeem))])
    sigs = [s.legacy(0, redeem, KEYS[i]) for i in signers]
    s.script_sigs[0] = b"\x00" + b"".join(push_script(x) for x in sigs) + push_script(redeem)
    rep = s.validate()
    assert rep.ok is ok, rep.errors
    assert rep.inputs_checked == 1 and rep.sigs_checked == 2
    if not ok:
        assert codes(rep) == [("bad_signature", 1, 0)]
    # without prevouts the same verdict against the implied P2SH script
    rep = s.validate(prevouts=False)
    assert rep.ok is ok and rep.implied_scripts == 1


def test_bare_multisig_and_p2sh_failures():
    bare = multisig_script(1, PUBS[:2])
    redeem = multisig_script(2, PUBS[:3])
    s = Spend([(10, bare), (10, p2sh(redeem)), (10, p2sh(redeem)), (10, p2sh(redeem))])
    s.script_sigs[0] = b"\x00" + push_script(s.legacy(0, bare, KEYS[1]))
    s.script_sigs[1] = b"\x00" + push_script(s.legacy(1, redeem, KEYS[0])) + push_script(redeem)  # 1 of 2
    s.script_sigs[2] = (b"\x00" + push_script(s.legacy(2, redeem, KEYS[0])) + push_script(s.legacy(2, redeem, KEYS[1]))
                        + push_script(multisig_script(2, PUBS[1:4])))  # other redeem script
    s.script_sigs[3] = b"\x00\x76" + push_script(redeem)  # not push-only
    assert codes(s.validate()) == [("bad_scriptsig", 1, 1), ("bad_script_hash", 1, 2), ("bad_scriptsig", 1, 3)]


def test_nulldummy_only_from_segwit_height():
    redeem = multisig_script(1, PUBS[:2])
    s = Spend([(10, p2sh(redeem))])
    s.script_sigs[0] = b"\x51" + push_script(s.legacy(0, redeem, KEYS[0])) + push_script(redeem)
    assert s.validate(height=400_000).ok
    assert codes(s.validate(height=481_824)) == [("nulldummy", 1, 0)]


def test_find_and_delete_removes_the_signature_from_the_script_code():
    # a 1-of-2 whose first "key" is the signature itself: Core signs the script with that push deleted, so
    # the signature is made over the script without it (and checked against both keys, in order)
    real = b"\x51" + push_script(PUBS[1]) + b"\x52\xae"  # what is left after the deletion
    s = Spend([(10, b"")])
    sig = s.legacy(0, real, KEYS[1])
    script = b"\x51" + push_script(sig) + push_script(PUBS[1]) + b"\x52\xae"
    s.prevs[0] = s.prevs[0][:3] + (script,)
    s.script_sigs[0] = b"\x00" + push_script(sig)
    rep = s.validate()
    assert rep.ok and rep.inputs_checked == 1, rep.errors
    # the same script with a push that differs from the signature: nothing is deleted and the check fails
    other = b"\x51" + push_script(sig[:-1] + b"\x02") + push_script(PUBS[1]) + b"\x52\xae"
    s.prevs[0] = s.prevs[0][:3] + (other,)
    assert codes(s.validate()) == [("bad_signature", 1, 0)]


def test_multisig_replay_matches_brute_force():
    seed = random.randrange(2**32)
    print("seed", seed)
    rng = random.Random(seed)
    for _ in range(2000):
        n = rng.randint(1, 5)
        m = rng.randint(1, n)
        compat = {(j, i): rng.random() < 0.4 for j in range(m) for i in range(n)}
        pairs, verdict = {}, []
        for j in range(m):
            for i in range(j, j + n - m + 1):
                pairs[(j, i)] = len(verdict)
                verdict.append(compat[(j, i)])
        got = InputCheck(0, 0, "t", m, n, pairs).matched(np.array(verdict, dtype=bool)) == m
        want = any(all(compat[(j, c[j])] for j in range(m)) for c in itertools.combinations(range(n), m))
        assert got == want, (m, n, compat)


# --- witness v0 ----------------------------------------------------------------------------------------

def test_p2wpkh_and_p2wsh_multisig_native_and_nested():
    wpkh = b"\x00\x14" + hash160(PUBS[0])
    ws = multisig_script(2, PUBS[:3])
    nested_wpkh = b"\x00\x14" + hash160(PUBS[1])
    s = Spend([(1000, wpkh), (2000, p2wsh(ws)), (3000, p2sh(nested_wpkh)), (4000, p2sh(p2wsh(ws)))])
    s.witnesses[0] = [s.bip143(0, p2pkh_script(hash160(PUBS[0])), KEYS[0]), PUBS[0]]
    s.witnesses[1] = [b"", s.bip143(1, ws, KEYS[0]), s.bip143(1, ws, KEYS[2], 0x83), ws]
    s.script_sigs[2] = push_script(nested_wpkh)
    s.witnesses[2] = [s.bip143(2, p2pkh_script(hash160(PUBS[1])), KEYS[1], 2), PUBS[1]]
    s.script_sigs[3] = push_script(p2wsh(ws))
    s.witnesses[3] = [b"", s.bip143(3, ws, KEYS[1]), s.bip143(3, ws, KEYS[2]), ws]
    rep = s.validate(height=500_000)
    assert rep.ok and rep.fully_checked and rep.inputs_checked == 4 and rep.sigs_checked == 6, rep.errors
    # without prevouts witness inputs cannot be checked (BIP143 commits to the amount)
    rep = s.validate(height=500_000, prevouts=False)
    assert rep.ok and rep.inputs_checked == 0 and rep.skipped_reasons == {"no_prevout_segwit": 4}
    # a wrong amount in the prevouts fails exactly that input
    pv = s.prevouts()
    key = (s.prevs[1][0][::-1].hex(), 1)
    pv[key] = (pv[key][0] + 1, pv[key][1])
    rep = validate_block(s.block(500_000), pv, check_pow=False)
    assert codes(rep) == [("bad_signature", 1, 1)]


def test_witness_failures():
    wpkh = b"\x00\x14" + hash160(PUBS[0])
    ws = multisig_script(1, PUBS[:2])
    s = Spend([(1000, wpkh), (2000, p2wsh(ws)), (3000, p2wsh(ws)), (4000, b"\x51\x20" + bytes(32))])
    s.witnesses[0] = [s.bip143(0, p2pkh_script(hash160(PUBS[0])), KEYS[0])]  # key missing
    s.witnesses[1] = [b"", s.bip143(1, ws, KEYS[0]), b"\x52" + ws[1:]]  # other witness script
    s.witnesses[2] = [b"\x01", s.bip143(2, ws, KEYS[0]), ws]  # non-null dummy
    s.witnesses[3] = [bytes(64)]  # taproot: not supported, skipped
    rep = s.validate(height=500_000)
    assert codes(rep) == [("bad_witness", 1, 0), ("bad_script_hash", 1, 1), ("nulldummy", 1, 2)]
    assert rep.skipped_reasons == {"unsupported_witness_version": 1}


def test_witness_commitment_rules():
    wpkh = b"\x00\x14" + hash160(PUBS[0])
    s = Spend([(1000, wpkh)])
    s.witnesses[0] = [s.bip143(0, p2pkh_script(hash160(PUBS[0])), KEYS[0]), PUBS[0]]
    good = s.block(500_000)
    assert validate_block(good, s.prevouts(), check_pow=False).ok
    raw = s._ser()
    # no commitment at all
    bad = block([coinbase(500_000), raw], version=4)
    assert [e.code for e in validate_block(bad, s.prevouts(), check_pow=False).errors] == ["unexpected_witness"]
    # a commitment to other wtxids
    cb = coinbase(500_000, [(1, b"\x51"), witness_commitment_output([bytes(32)])], reserved=bytes(32))
    bad = block([cb, raw], version=4)
    assert [e.code for e in validate_block(bad, s.prevouts(), check_pow=False).errors] == ["bad_witness_commitment"]
    # the reserved value missing from the coinbase witness
    cb = coinbase(500_000, [(1, b"\x51"), witness_commitment_output([sha256d(raw)])])
    bad = block([cb, raw], version=4)
    assert [e.code for e in validate_block(bad, s.prevouts(), check_pow=False).errors] == ["bad_witness_nonce"]


def test_stack_limit_of_1000_items():
    spk = p2pkh_script(hash160(PUBS[0]))
    s = Spend([(10, spk), (10, spk)])
    for k, filler in ((0, 996), (1, 997)):  # P2PKH peaks two above the scriptSig's items
        s.script_sigs[k] = b"\x51" * filler + push_script(s.legacy(k, spk, KEYS[0])) + push_script(PUBS[0])
    assert codes(s.validate()) == [("bad_scriptsig", 1, 1)]


_SPKS = [p2pkh_script(hash160(PUBS[0])), push_script(PUBS[0]) + b"\xac", multisig_script(1, PUBS[:2]),
         p2sh(multisig_script(1, PUBS[:2])), b"\x00\x14" + hash160(PUBS[0]),
         p2wsh(multisig_script(1, PUBS[:2])), p2sh(b"\x00\x14" + hash160(PUBS[0])), b"\x51\x20" + bytes(32)]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_fuzz_inputs_never_raise(data):
    """Random scriptSigs and witnesses (random bytes, or pushes of plausible pieces) against every template
    and random scripts: a verdict or a skip, never an exception, never a pass without a check."""
    n = data.draw(st.integers(1, 3))
    pieces = st.sampled_from([b"", PUBS[0], PUBS[1], bytes(72), multisig_script(1, PUBS[:2]),
                              b"\x00\x14" + hash160(PUBS[0]), b"\x30\x06\x02\x01\x01\x02\x01\x01\x01"])
    item = st.one_of(pieces, st.binary(max_size=80))
    prevs = [(data.draw(st.integers(0, 10**8)), data.draw(st.one_of(st.sampled_from(_SPKS), st.binary(max_size=60))))
             for _ in range(n)]
    s = Spend(prevs)
    for k in range(n):
        if data.draw(st.booleans()):
            s.script_sigs[k] = data.draw(st.binary(max_size=120))
        else:
            s.script_sigs[k] = b"".join(push_script(x) for x in data.draw(st.lists(item, max_size=4)))
        s.witnesses[k] = data.draw(st.lists(item, max_size=4))
    for height in (None, 500_000):
        for pv in (True, False):
            rep = s.validate(height=height, prevouts=pv)
            assert rep.inputs_checked + rep.inputs_skipped + len({e.input_index for e in rep.errors
                                                                  if e.input_index is not None}) >= n
            assert rep.inputs_checked <= n
