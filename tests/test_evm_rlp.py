"""ledgerval.evm.rlp: the encoder against the `rlp` package, the strict decoder's canonical-form rules, and
round trips under hypothesis."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.evm.rlp import RLPError, as_int, decode, enc_int, encode

items = st.recursive(st.binary(max_size=80), lambda kids: st.lists(kids, max_size=6), max_leaves=30)


@pytest.mark.parametrize("item,expected", [
    (b"", "80"), (b"\x00", "00"), (b"\x7f", "7f"), (b"\x80", "8180"), (b"dog", "83646f67"),
    ([], "c0"), ([b"cat", b"dog"], "c88363617483646f67"), (b"a" * 55, "b7" + "61" * 55),
    (b"a" * 56, "b838" + "61" * 56), ([[], [[]], [[], [[]]]], "c7c0c1c0c3c0c1c0"), (0, "80"), (1024, "820400"),
])
def test_published_examples(item, expected):
    # the examples of the Ethereum wiki's RLP page
    assert encode(item).hex() == expected
    if not isinstance(item, int):
        assert decode(bytes.fromhex(expected)) == item


@settings(max_examples=300, deadline=None)
@given(items)
def test_round_trip_and_agreement_with_the_rlp_package(item):
    rlp = pytest.importorskip("rlp")
    enc = encode(item)
    assert decode(enc) == item
    assert enc == rlp.encode(item)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, (1 << 256) - 1))
def test_integers(v):
    enc = enc_int(v)
    assert as_int(decode(enc), "v") == v


@pytest.mark.parametrize("bad,why", [
    ("", "truncated"), ("81", "truncated"), ("8100", "non-canonical"), ("817f", "non-canonical"),
    ("b800", "non-canonical"), ("b90001" + "00", "leading zero"), ("b837" + "61" * 55, "long form"),
    ("f800", "leading zero"), ("f801" + "00", "long form"), ("c2", "truncated"), ("c18181", "truncated"), ("8080", "trailing"),
    ("c383010203", "truncated"), ("bf", "truncated"), ("c0" + "00", "trailing"),
])
def test_strict_decoder_refuses(bad, why):
    with pytest.raises(RLPError, match=why):
        decode(bytes.fromhex(bad))


def test_depth_limit_and_types():
    deep = b"\xc0"
    for _ in range(40):
        deep = bytes((0xC0 + len(deep),)) + deep if len(deep) < 56 else encode([decode(deep)])
    with pytest.raises(RLPError, match="deeper"):
        decode(deep)
    with pytest.raises(TypeError):
        decode("c0")
    with pytest.raises(TypeError):
        encode(1.5)


def test_as_int_rules():
    assert as_int(b"", "x") == 0
    with pytest.raises(RLPError, match="leading zero"):
        as_int(b"\x00\x01", "x")
    with pytest.raises(RLPError, match="at most"):
        as_int(b"\x01" * 33, "x")
    with pytest.raises(RLPError, match="list"):
        as_int([], "x")


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_decoder_only_raises_rlp_error(data):
    try:
        item = decode(data)
    except RLPError:
        return
    assert encode(item) == data    # whatever decodes is canonical: it re-encodes to the same bytes
