"""Hypothesis fuzzing of the LVB1 decoder and the Validator: bad bytes never raise or crash."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerval import Validator
from ledgerval.format import Malformed, decode_block
from ledgerval.gen import generate_chain

SUITES = ["secp256k1-sha256", "ed25519-sha256"]
_CHAINS = {s: generate_chain(s, blocks=2, txs=3, validators=2, seed=5) for s in SUITES}
_VALIDATORS = {s: Validator(s, validators=_CHAINS[s].validators) for s in SUITES}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(suite: str, data: bytes, parent: bytes | None = None):
    r = _VALIDATORS[suite].validate_block(data, parent)
    codes = [e.code for e in r.errors]
    if "malformed" in codes or "wrong_suite" in codes:
        assert len(codes) == 1 and r.errors[0].index is None
    assert r.ok == (not codes)
    return r


@FUZZ
@given(suite=st.sampled_from(SUITES), data=st.binary(max_size=600))
def test_random_bytes(suite, data):
    _check(suite, data)


@FUZZ
@given(suite=st.sampled_from(SUITES), cut=st.integers(min_value=0, max_value=10_000))
def test_truncations_are_malformed(suite, cut):
    block = _CHAINS[suite].blocks[1]
    cut = cut % len(block)
    r = _check(suite, block[:cut])
    assert [e.code for e in r.errors] == ["malformed"]


@FUZZ
@given(suite=st.sampled_from(SUITES), pos=st.integers(min_value=0), bit=st.integers(0, 7))
def test_bit_flips_never_pass_or_raise(suite, pos, bit):
    chain = _CHAINS[suite]
    block = bytearray(chain.blocks[1])
    block[pos % len(block)] ^= 1 << bit
    r = _check(suite, bytes(block), chain.blocks[0])
    assert not r.ok  # every bit of a block is covered by some rule


@FUZZ
@given(suite=st.sampled_from(SUITES), prefix=st.integers(0, 400), junk=st.binary(min_size=1, max_size=80))
def test_spliced_garbage(suite, prefix, junk):
    block = _CHAINS[suite].blocks[0]
    _check(suite, block[:prefix] + junk + block[prefix + len(junk):])


@FUZZ
@given(data=st.binary(max_size=300))
def test_decoder_raises_only_malformed(data):
    header = _CHAINS["secp256k1-sha256"].blocks[0][:96]
    for candidate in (data, header + data):
        try:
            decode_block(candidate)
        except Malformed:
            pass


def test_valid_blocks_still_pass():
    for s in SUITES:
        reports = list(_VALIDATORS[s].validate_chain(_CHAINS[s].blocks))
        assert all(r.ok for r in reports)


@pytest.mark.parametrize("suite", SUITES)
def test_every_single_bit_flip_of_a_small_block(suite):
    """Exhaustive over one block: no flip passes, none raises."""
    chain = _CHAINS[suite]
    block = chain.blocks[1]
    v = _VALIDATORS[suite]
    for pos in range(len(block)):
        b = bytearray(block)
        b[pos] ^= 0x10
        assert not v.validate_block(bytes(b), chain.blocks[0]).ok, pos
