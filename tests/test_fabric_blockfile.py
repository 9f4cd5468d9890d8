"""The block store framing (``fabric.blockfile``): the inline fast path of ``parse_record`` against reading
every length with ``_chunk``; the block header's DER built in one step against its general encoding."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerval.fabric import blockfile, der

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])



def _record_by_chunks(buf: bytes):
    """Reference for ``blockfile.parse_record``: every length read by ``_chunk`` (no inline fast path)."""
    end, pos = len(buf), 0
    number, pos = blockfile._varint(buf, pos, end)  # no inline paths here
    data_hash, pos = blockfile._chunk(buf, pos, end, "data_hash")
    previous_hash, pos = blockfile._chunk(buf, pos, end, "previous_hash")
    n, pos = blockfile._count(buf, pos, end, "envelopes")
    envelopes = []
    for _ in range(n):
        e, pos = blockfile._chunk(buf, pos, end, "envelope")
        envelopes.append(e)
    n, pos = blockfile._count(buf, pos, end, "metadata entries")
    metadata = []
    for _ in range(n):
        m, pos = blockfile._chunk(buf, pos, end, "metadata entry")
        metadata.append(m)
    if pos != end:
        raise ValueError(f"{end - pos} bytes left over in the block record ending at byte {end}")
    return blockfile.RawBlock(number, previous_hash, data_hash, envelopes, metadata)


@FUZZ
@given(lens=st.lists(st.sampled_from([0, 1, 127, 128, 129, 300, 16383, 16384]), max_size=5),
       bump=st.integers(-1, 3), cut=st.integers(0, 40), pad=st.booleans(),
       number=st.sampled_from([0, 5, 127, 128, 300]), hlens=st.tuples(*[st.sampled_from([0, 1, 32, 127, 128, 200])] * 2),
       metas=st.lists(st.sampled_from([0, 1, 34, 127, 128, 934]), max_size=5), deep=st.integers(0, 400))
def test_record_framing_fast_path_equals_chunks(lens, bump, cut, pad, number, hlens, metas, deep):
    # envelopes of one-, two- and three-byte lengths, a length off by ``bump``, a non-minimal length,
    # the record cut short: the same block, or the same ValueError, as reading every length with _chunk
    envs = [b"e" * n for n in lens]
    # hashes and a number of one byte or more (the hashes' inline path and its fallback), metadata
    # entries of one- and two-byte lengths, and ``deep``: the record cut anywhere, into the header too
    body = [blockfile._enc_varint(number), blockfile._enc_bytes(b"d" * hlens[0]), blockfile._enc_bytes(b"p" * hlens[1]),
            blockfile._enc_varint(len(envs))]
    for k, e in enumerate(envs):
        ln = blockfile._enc_varint(max(0, len(e) + (bump if k == len(envs) - 1 else 0)))
        if pad and k == 0:
            ln = bytes([ln[0] | 0x80]) + ln[1:] + b"\x00" if len(ln) == 1 else ln
        body.append(ln + e)
    body.append(blockfile._enc_varint(len(metas)))
    body += [blockfile._enc_bytes(b"m" * n) for n in metas]
    buf = b"".join(body)
    buf = buf[:len(buf) - cut] if cut < len(buf) else buf
    buf = buf[:deep] if deep and deep < len(buf) else buf

    def outcome(f):
        try:
            b = f(buf)
            return b.number, b.data_hash, b.previous_hash, b.envelopes, b.metadata
        except ValueError as e:
            return str(e)
    assert outcome(lambda x: blockfile.parse_record(x)) == outcome(_record_by_chunks)


@FUZZ
@given(number=st.one_of(st.integers(0, 300), st.integers(0, 1 << 70)),
       prev=st.binary(max_size=200), data=st.binary(max_size=200))
def test_header_der_one_step_equals_general(number, prev, data):
    # the one-step build (small numbers, short hashes) and every other shape against the TLV composition
    want = der.tlv(0x30, der.der_uint(number) + der.tlv(0x04, prev) + der.tlv(0x04, data))
    assert der.header_der(number, prev, data) == want
