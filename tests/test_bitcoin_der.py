"""Lax DER (pre-BIP66 consensus) and strict DER (BIP66) signature decoding."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.bitcoin.build import der
from ledgerval.bitcoin.der import N, _parse_general, is_strict_der, parse_der_lax

R = 0x8B9D1DC26BA6A9CB62127B02742FA9D754CD3BEBF337F7A55D114C8E5CDD30BE
S = 0x40529B194BA3F9281A99F2B1C0A19C0489BC22EDE944CCF4ECBAB4CC618EF3ED
RS = R.to_bytes(32, "big") + S.to_bytes(32, "big")


def _int(v: bytes) -> bytes:
    return b"\x02" + bytes((len(v),)) + v


def test_strict_der_parses_to_r_s():
    sig = der(R, S)
    assert is_strict_der(sig + b"\x01")
    assert parse_der_lax(sig) == RS


@pytest.mark.parametrize("name,sig", [
    ("wrong sequence length", b"\x30\x10" + _int(b"\x00" + R.to_bytes(32, "big")) + _int(S.to_bytes(32, "big"))),
    ("long-form sequence length",
     b"\x30\x81\x45" + _int(b"\x00" + R.to_bytes(32, "big")) + _int(S.to_bytes(32, "big"))),
    ("garbage after S", der(R, S) + b"\xde\xad\xbe\xef"),
    ("zero-padded R", b"\x30\x47" + _int(b"\x00\x00\x00" + R.to_bytes(32, "big")) + _int(S.to_bytes(32, "big"))),
    ("R without its sign byte", b"\x30\x44" + _int(R.to_bytes(32, "big")) + _int(S.to_bytes(32, "big"))),
    ("long-form R length", b"\x30\x46" + b"\x02\x81\x21\x00" + R.to_bytes(32, "big") + _int(S.to_bytes(32, "big"))),
    ("long-form with zero length bytes", b"\x30\x46" + b"\x02\x83\x00\x00\x21\x00" + R.to_bytes(32, "big")
     + _int(S.to_bytes(32, "big"))),
])
def test_lax_accepts_what_bip66_rejects(name, sig):
    assert parse_der_lax(sig) == RS, name
    assert not is_strict_der(sig + b"\x01"), name


@pytest.mark.parametrize("name,sig", [
    ("empty", b""),
    ("wrong tag", b"\x31" + der(R, S)[1:]),
    ("R without INTEGER tag", b"\x30\x44\x03" + der(R, S)[3:]),
    ("truncated S", der(R, S)[:-1]),
    ("only a sequence", b"\x30\x00"),
    ("length bytes past the end", b"\x30\x84\x00"),
    ("four significant length bytes", b"\x30\x46\x02\x84\x01\x00\x00\x00" + R.to_bytes(32, "big")),
])
def test_lax_rejects(name, sig):
    assert parse_der_lax(sig) is None, name


def test_overflow_parses_as_a_signature_that_never_verifies():
    assert parse_der_lax(b"\x30\x46" + _int(b"\x01" + R.to_bytes(32, "big")) + _int(S.to_bytes(32, "big"))) == bytes(64)
    assert parse_der_lax(der(N, S)) == bytes(64)
    assert parse_der_lax(der(R, N + 5)) == bytes(64)
    assert parse_der_lax(der(N - 1, S)) == (N - 1).to_bytes(32, "big") + S.to_bytes(32, "big")


def test_strict_der_rules():
    good = der(R, S) + b"\x01"
    assert is_strict_der(good)
    assert not is_strict_der(good[:-2] + b"\x01")  # length mismatch
    assert not is_strict_der(der(R, S) + b"\x00\x01")
    assert not is_strict_der(b"\x30\x06\x02\x01\x80\x02\x01\x01\x01")  # negative R
    assert not is_strict_der(b"\x30\x07\x02\x02\x00\x01\x02\x01\x01\x01")  # needless padding of R
    assert is_strict_der(b"\x30\x07\x02\x02\x00\x80\x02\x01\x01\x01")
    assert not is_strict_der(b"\x30\x06\x02\x00\x02\x02\x01\x01\x01")  # empty R


def test_lax_agrees_with_coincurve_on_strict_signatures():
    coincurve = pytest.importorskip("coincurve")
    seed = random.randrange(2**32)
    print("seed", seed)
    rng = random.Random(seed)
    for _ in range(50):
        key = coincurve.PrivateKey(rng.randbytes(32))
        sig = key.sign(rng.randbytes(32), hasher=None)
        assert is_strict_der(sig + b"\x01")
        assert parse_der_lax(sig) == _compact(sig)


def _compact(sig: bytes) -> bytes:
    from coincurve._libsecp256k1 import ffi, lib
    from coincurve.context import GLOBAL_CONTEXT

    raw = ffi.new("secp256k1_ecdsa_signature *")
    assert lib.secp256k1_ecdsa_signature_parse_der(GLOBAL_CONTEXT.ctx, raw, sig, len(sig))
    out = ffi.new("unsigned char[64]")
    lib.secp256k1_ecdsa_signature_serialize_compact(GLOBAL_CONTEXT.ctx, out, raw)
    return bytes(ffi.buffer(out, 64))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=90))
def test_fuzz_lax_never_raises(data):
    out = parse_der_lax(data)
    assert out is None or len(out) == 64
    is_strict_der(data)
    if is_strict_der(data):
        assert parse_der_lax(data[:-1]) is not None  # strict DER is a subset of lax DER


_int_field = st.tuples(st.sampled_from([b"\x02", b"\x03"]), st.binary(min_size=0, max_size=35))


@settings(max_examples=400, deadline=None)
@given(st.lists(_int_field, min_size=0, max_size=3), st.integers(0, 255), st.binary(max_size=4), st.data())
def test_fuzz_shortcut_agrees_with_the_general_walk(fields, seqlen, tail, data):
    """DER-shaped inputs (the shortcut's territory) with random lengths, tags and truncation."""
    body = b"".join(tag + bytes((data.draw(st.integers(0, 255)) if data.draw(st.booleans()) else len(v),)) + v
                    for tag, v in fields)
    sig = b"\x30" + bytes((seqlen,)) + body + tail
    cut = data.draw(st.integers(0, len(sig)))
    for x in (sig, sig[:cut]):
        assert parse_der_lax(x) == _parse_general(x)
