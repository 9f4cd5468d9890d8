"""Bad input to the Fabric adapter: truncated files, random bytes, absurd length prefixes, protobufs nested
past any sane depth.  Each gives a report with ``malformed`` (or another failure) or a clear ValueError from
the block file reader: never another exception, never a pass."""
from __future__ import annotations

import pytest

pytest.importorskip("google.protobuf", reason="the fabric extra (protobuf) is not installed")
pytest.importorskip("cryptography", reason="the fabric extra (cryptography) is not installed")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerval import fabric
from ledgerval.fabric import blockfile, build, der
from ledgerval.fabric import report as R

_NET = build.Network("ecdsa-p256")
_BLOCKS = build.build_ledger(_NET, 3, 2)
_FILE = build.ledger_bytes(_BLOCKS)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ledger(data: bytes, tmp_path) -> list:
    """Reports for ``data`` as a block file; the reader's ValueError is an accepted outcome."""
    p = tmp_path / "blockfile"
    p.write_bytes(data)
    out = []
    try:
        out.extend(fabric.validate_ledger(p, threads=1))  # keeps the reports made before an error
    except ValueError:
        out.append(None)
    return out


def test_truncated_file_every_cut(tmp_path):
    step = max(1, len(_FILE) // 300)
    for cut in range(1, len(_FILE), step):
        reps = _ledger(_FILE[:cut], tmp_path)
        assert reps[-1] is None  # the damaged record is refused, the blocks before it reported
        assert all(r.ok for r in reps[:-1])


def test_absurd_length_prefixes():
    for prefix in (b"\xff\xff\xff\xff\x0f", b"\xff" * 11, b"\x80" * 10 + b"\x01", b"\x00"):
        with pytest.raises(ValueError):
            list(blockfile.iter_blockfile(prefix + _FILE))
    # a record whose envelope count is absurd
    rec = blockfile._enc_varint(0) + blockfile._enc_bytes(b"") + blockfile._enc_bytes(b"") + b"\xff\xff\xff\xff\x0f"
    with pytest.raises(ValueError, match="cannot fit"):
        list(blockfile.iter_blockfile(blockfile._enc_varint(len(rec)) + rec))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_as_block_file(data):
    try:
        blocks = list(blockfile.iter_blockfile(data))
    except ValueError:
        return
    for b in blocks:  # framing that happens to parse: whatever is inside must not pass
        rep = fabric.validate_block(blockfile.block_to_pb(b))
        assert not rep.ok


def _signed_spans() -> list[tuple[int, int]]:
    """Where the file's envelopes and orderer signatures (SIGNATURES metadata) lie: every byte there is
    covered by a hash or a signature.  The other metadata entries (LAST_CONFIG, TRANSACTIONS_FILTER, ...)
    are not, in Fabric either."""
    spans, pos = [], 0
    for b in _BLOCKS:
        for part in b.envelopes + b.metadata[:1]:
            if part:
                pos = _FILE.index(part, pos)
                spans.append((pos, pos + len(part)))
                pos += len(part)
    return spans


_SPANS = _signed_spans()


@FUZZ
@given(st.data())
def test_mutated_block_file_never_passes(tmp_path_factory, data):
    raw = bytearray(_FILE)
    for _ in range(data.draw(st.integers(1, 4))):
        a, z = _SPANS[data.draw(st.integers(0, len(_SPANS) - 1))]
        raw[data.draw(st.integers(a, z - 1))] ^= data.draw(st.integers(1, 255))
    if raw == _FILE:
        return
    reps = _ledger(bytes(raw), tmp_path_factory.mktemp("fz"))
    assert not all(r is not None and r.ok for r in reps)


@FUZZ
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=4))
def test_random_envelopes_are_malformed_or_fail(envs):
    import hashlib

    blk = blockfile.RawBlock(1, b"", hashlib.sha256(b"".join(envs)).digest(), envs, [])
    rep = fabric.validate_block(blockfile.block_to_pb(blk))
    assert not rep.ok
    assert set(rep.codes()) <= set(R.CODES)


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_as_block_protobuf(data):
    rep = fabric.validate_block(data)
    assert not rep.ok


def _nest(depth: int, leaf: bytes) -> bytes:
    """ConfigGroup.groups[""] nested ``depth`` deep (field 2, a map entry whose value is field 2)."""
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    msg = leaf
    for _ in range(depth):
        entry = b"\x12" + blockfile._enc_bytes(msg)  # map entry: value = 2
        msg = b"\x12" + blockfile._enc_bytes(entry)   # ConfigGroup.groups = 2
    return pb.ConfigEnvelope(config=pb.Config()).SerializeToString()[:0] + msg


@pytest.mark.parametrize("depth", [50, 200, 5000])
def test_deeply_nested_config_is_malformed(depth):
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    group = _nest(depth, b"")
    config = b"\x12" + blockfile._enc_bytes(group)           # Config.channel_group = 2
    cenv = b"\x0a" + blockfile._enc_bytes(config)            # ConfigEnvelope.config = 1
    ident = _NET.orderer[1].identity("OrdererMSP")
    payload = build._payload(_NET, 1, ident, cenv, "deep")
    sig = _NET.orderer[1].sign_many([payload])[0]
    env = pb.Envelope(payload=payload, signature=sig).SerializeToString()
    import hashlib

    blk = blockfile.RawBlock(0, b"", hashlib.sha256(env).digest(), [env], [])
    rep = fabric.validate_block(blockfile.block_to_pb(blk))
    assert not rep.ok and rep.codes()[0] == R.MALFORMED, rep.errors


def test_deeply_nested_block_protobuf():
    # Block.header (field 1) nested inside itself: not a block
    msg = b""
    for _ in range(10000):
        msg = b"\x0a" + blockfile._enc_bytes(msg)
    rep = fabric.validate_block(msg)
    assert not rep.ok


# both batch paths: decode_ecdsa_sigs picks the loop below der.FEW_SIGS signatures, the kernel above
_DER_BATCH = pytest.mark.parametrize("decode", [der.decode_each, der.decode_kernel, der.decode_ecdsa_sigs])


@_DER_BATCH
@FUZZ
@given(sig=st.binary(max_size=80))
def test_der_batch_equals_scalar(decode, sig):
    rs, ok, high = decode([sig])
    try:
        r, s = der.decode_ecdsa_sig(sig)
    except ValueError:
        assert not ok[0] and not rs.any() and not high[0]
        return
    assert ok[0] and rs[0].tobytes() == r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert high[0] == (s > 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551 >> 1)


@_DER_BATCH
@FUZZ
@given(pairs=st.lists(st.tuples(st.integers(0, 2**256 - 1), st.integers(0, 2**256 - 1)), min_size=1, max_size=20),
       rnd=st.randoms(use_true_random=False))
def test_der_batch_on_valid_encodings(decode, pairs, rnd):
    sigs = [der.encode_ecdsa_sig(r, s) for r, s in pairs]
    sigs = [s if rnd.random() < 0.7 else s[: rnd.randrange(len(s))] for s in sigs]
    rs, ok, high = decode(sigs)
    assert rs.shape == (len(sigs), 64) and rs.flags.writeable
    for i, s in enumerate(sigs):
        try:
            r, t = der.decode_ecdsa_sig(s)
            assert ok[i] and rs[i].tobytes() == r.to_bytes(32, "big") + t.to_bytes(32, "big")
            assert high[i] == (t > 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551 >> 1)
        except ValueError:
            assert not ok[i] and not high[i] and not rs[i].any()


@_DER_BATCH
def test_der_batch_edges_of_the_integer_range(decode):
    # 33-byte integers: a zero then 256 bits is fine, anything else is wider than 256 bits
    wide, top, zero = der.der_uint(2**256 + 5), der.der_uint(2**256 - 1), der.der_uint(0)
    sigs = [der.tlv(0x30, a + b) for a, b in ((wide, top), (top, wide), (top, top), (zero, zero), (top, zero))]
    sigs.append(der.tlv(0x30, top + bytes([2, 2, 0, 1])))  # s = 1 with a needless leading zero
    rs, ok, high = decode(sigs)
    assert ok.tolist() == [False, False, True, True, True, False]
    assert high.tolist() == [False, False, True, False, False, False]
    assert rs[2].tobytes() == b"\xff" * 64 and not rs[3].any() and not rs[0].any()


def test_der_batch_paths_agree_on_a_large_batch():
    # decode_ecdsa_sigs switches paths at der.FEW_SIGS: one batch either side gives the same columns
    import random

    rnd = random.Random(13)
    print("seed 13")
    sigs = [der.encode_ecdsa_sig(rnd.getrandbits(rnd.choice((8, 248, 255, 256))), rnd.getrandbits(256))
            for _ in range(3 * der.FEW_SIGS)]
    sigs = [s if rnd.random() < 0.8 else s[:-1] + b"\x00" for s in sigs]
    a, b = der.decode_each(sigs), der.decode_kernel(sigs)
    assert all((x == y).all() for x, y in zip(a, b))
    assert a[1].sum() > 2 * der.FEW_SIGS and a[2].any() and not a[2].all()


def _block_of(envs: list[bytes], number: int = 1) -> bytes:
    import hashlib

    return blockfile.block_to_pb(blockfile.RawBlock(number, b"", hashlib.sha256(b"".join(envs)).digest(), envs, []))


@FUZZ
@given(st.binary(max_size=400))
def test_random_payload_in_a_canonical_envelope(payload):
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    sig = _NET.clients[0][1].sign_many([payload])[0]
    env = pb.Envelope(payload=payload, signature=sig).SerializeToString()
    rep = fabric.validate_block(_block_of([env]))
    assert not rep.ok and set(rep.codes()) <= set(R.CODES)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([0, 1, 3, 4]))
def test_random_transaction_data_signed_by_its_creator(data, htype):
    # a well-formed, correctly signed envelope whose data is junk for its type: a config or endorser
    # transaction must be reported (malformed, or missing endorsements), never raise
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    mspid, client = _NET.clients[0]
    payload = build._payload(_NET, htype, client.identity(mspid), data, "fuzz")
    env = pb.Envelope(payload=payload, signature=client.sign_many([payload])[0]).SerializeToString()
    rep = fabric.validate_block(_block_of([env]))
    assert not rep.ok  # no orderer signature at least
    assert set(rep.codes()) <= set(R.CODES)
    if htype == 3:
        assert {R.MALFORMED, R.MISSING_SIGNATURE, R.BAD_ENDORSEMENT_SIGNATURE, R.UNKNOWN_IDENTITY} & set(rep.codes())


def _split_by_protobuf(env: bytes):
    """The reference for ``parse.split_envelope``: (payload, signature) when protobuf decodes ``env`` and
    re-encodes it to exactly its bytes with a payload, else None."""
    from google.protobuf.message import DecodeError

    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    try:
        e = pb.Envelope.FromString(env)
    except (DecodeError, RecursionError):
        return None
    e.DiscardUnknownFields()
    if e.SerializeToString() != env or not e.payload:
        return None
    return e.payload, e.signature


def _envelope_shapes():
    """Envelope-like bytes near the canonical form: real envelopes, truncated, extended, with a field
    repeated or reordered, non-minimal lengths, random bytes."""
    from ledgerval.fabric import parse  # noqa: F401 - imported here so collection needs no protobuf

    real = st.sampled_from([e for b in _BLOCKS for e in b.envelopes])
    field = st.tuples(st.sampled_from([0x0A, 0x12, 0x1A, 0x08]), st.binary(max_size=200))
    built = st.lists(field, max_size=3).map(
        lambda fs: b"".join(bytes([t]) + blockfile._enc_bytes(v) if t != 0x08 else b"\x08\x01" for t, v in fs))
    padded = st.tuples(st.binary(max_size=140), st.binary(max_size=4)).map(
        lambda pv: b"\x0a" + bytes([0x80 | len(pv[0]) & 0x7F, len(pv[0]) >> 7]) + pv[0] + pv[1])
    cut = st.tuples(real, st.integers(0, 2000)).map(lambda ec: ec[0][:ec[1]])
    grown = st.tuples(real, st.binary(min_size=1, max_size=8)).map(lambda eb: eb[0] + eb[1])
    return st.one_of(real, built, padded, cut, grown, st.binary(max_size=300))


@FUZZ
@given(_envelope_shapes())
def test_fast_envelope_split_equals_protobuf(env):
    from ledgerval.fabric.parse import split_envelope

    got = split_envelope(env)
    # the fast path may decline what protobuf accepts (the caller then decodes with protobuf), never
    # accept what protobuf refuses or read it differently
    if got is not None:
        assert got == _split_by_protobuf(env)


def test_fast_envelope_split_takes_the_common_envelopes():
    from ledgerval.fabric.parse import split_envelope

    for b in _BLOCKS:
        for e in b.envelopes:
            assert split_envelope(e) == _split_by_protobuf(e) is not None
    sig = b"\x30" + bytes(70)
    for n in (1, 127, 128, 300, 20000):  # one-, two- and three-byte payload lengths
        env = b"\x0a" + blockfile._enc_bytes(b"p" * n) + b"\x12" + blockfile._enc_bytes(sig)
        assert split_envelope(env) == (b"p" * n, sig) == _split_by_protobuf(env)
    assert split_envelope(b"\x0a\x01p") == (b"p", b"") == _split_by_protobuf(b"\x0a\x01p")
    for bad in (b"\x0a\x81\x00p", b"\x0a\x00", b"\x12\x01s", b"\x0a\x01p\x12\x00", b"\x0a\x01p\x12\x01s\x00",
                b"\x0a\x01p\x0a\x01p", b"\x0a\x02p"):
        assert split_envelope(bad) is None  # non-minimal, empty, unordered, trailing, repeated, short


# ---- fields Fabric declares as bytes, read through view messages -----------------------------------------

def _ld(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + blockfile._enc_bytes(body)


def _fabric_payload(p: bytes):
    """Reference: (type, creator, data) of a payload read as Fabric does (header parts are bytes: the last
    occurrence wins), or None when it does not decode."""
    from google.protobuf.message import DecodeError

    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    try:
        pl = pb.Payload.FromString(p)
        ch = pb.ChannelHeader.FromString(pl.header.channel_header)
        sh = pb.SignatureHeader.FromString(pl.header.signature_header)
    except (DecodeError, RecursionError):
        return None
    return ch.type, sh.creator, pl.data, pl.HasField("header")


def _fabric_actions(d: bytes):
    """Reference: [(proposal_response_payload, [(endorser, signature)...])] as Fabric reads a transaction
    (TransactionAction.payload is bytes: the last occurrence wins), or None when it does not decode."""
    from google.protobuf.message import DecodeError

    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    try:
        out = []
        for a in pb.Transaction.FromString(d).actions:
            cea = pb.ChaincodeActionPayload.FromString(a.payload).action
            out.append((cea.proposal_response_payload, [(e.endorser, e.signature) for e in cea.endorsements]))
        return out
    except (DecodeError, RecursionError):
        return None


def _signed_block(payload: bytes):
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    sig = _NET.clients[0][1].sign_many([payload])[0]
    return fabric.validate_block(_block_of([pb.Envelope(payload=payload, signature=sig).SerializeToString()]))


def _header_parts():
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    creator = _NET.clients[0][1].identity(_NET.clients[0][0])
    ch = pb.ChannelHeader(type=3, channel_id="c", tx_id="t").SerializeToString()
    return ch, pb.SignatureHeader(creator=creator, nonce=b"n").SerializeToString()


def test_signature_header_twice_reads_the_last_as_fabric_does():
    # Fabric reads the second signature_header, which names no creator: the payload is refused, although
    # the creator of the first signed it (a merged view would take the first creator and pass it)
    from ledgerval.fabric import parse
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    ch, sh = _header_parts()
    payload = _ld(0x0A, _ld(0x0A, ch) + _ld(0x12, sh) + _ld(0x12, pb.SignatureHeader(nonce=b"m").SerializeToString()))
    assert not parse.read_payload(payload).header.signature_header.creator
    rep = _signed_block(payload)
    assert (R.MALFORMED, 0) in [(e.code, e.tx_index) for e in rep.errors] and not rep.ok
    # one signature_header: the same creator signs validly, and the payload is read on the fast path
    good = _ld(0x0A, _ld(0x0A, ch) + _ld(0x12, sh))
    assert parse.read_payload(good).ByteSize() == len(good)
    assert R.MALFORMED not in _signed_block(good).codes()


def test_action_payload_twice_reads_the_last_as_fabric_does():
    # Fabric reads the second ChaincodeActionPayload, which has no endorsements: missing_signature, not the
    # first one's endorsements (which a merged view would verify and pass)
    from ledgerval.fabric import parse
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    ch, sh = _header_parts()
    endorser = _NET.peers[0][1].identity(_NET.peers[0][0])
    prp = b"response"
    esig = _NET.peers[0][1].sign_many([prp + endorser])[0]
    first = pb.ChaincodeActionPayload(action=pb.ChaincodeEndorsedAction(
        proposal_response_payload=prp, endorsements=[pb.Endorsement(endorser=endorser, signature=esig)]))
    second = pb.ChaincodeActionPayload(action=pb.ChaincodeEndorsedAction(proposal_response_payload=prp))
    tx = _ld(0x0A, _ld(0x12, first.SerializeToString()) + _ld(0x12, second.SerializeToString()))
    assert [(p, list(e)) for p, e in _fabric_actions(tx)] == [(prp, [])]
    assert not parse.read_actions(tx)[0].payload.action.endorsements
    rep = _signed_block(_ld(0x0A, _ld(0x0A, ch) + _ld(0x12, sh)) + _ld(0x12, tx))
    assert (R.MISSING_SIGNATURE, 0) in [(e.code, e.tx_index) for e in rep.errors] and not rep.ok
    once = _ld(0x0A, _ld(0x12, first.SerializeToString()))
    assert R.MISSING_SIGNATURE not in [e.code for e in _signed_block(
        _ld(0x0A, _ld(0x0A, ch) + _ld(0x12, sh)) + _ld(0x12, once)).errors if e.tx_index == 0]


def _fields_near(parts: list[tuple[int, bytes]]):
    """Messages built from ``parts`` (tag, body): each part kept, doubled, dropped or swapped with the
    next, so fields repeat and reorder."""
    ops = st.lists(st.sampled_from(["keep", "twice", "drop", "swap"]), min_size=len(parts), max_size=len(parts))

    def build(choice):
        out = []
        for (tag, body), op in zip(parts, choice):
            if op == "keep":
                out.append(_ld(tag, body))
            elif op == "twice":
                out += [_ld(tag, body), _ld(tag, body[: len(body) // 2])]
            elif op == "swap":
                out.insert(max(0, len(out) - 1), _ld(tag, body))
        return b"".join(out)
    return ops.map(build)


@FUZZ
@given(data=st.data())
def test_payload_views_read_what_fabric_reads(data):
    from google.protobuf.message import DecodeError

    from ledgerval.fabric import parse
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    ch, sh = _header_parts()
    other = pb.SignatureHeader(nonce=b"x").SerializeToString()
    header = data.draw(_fields_near([(0x0A, ch), (0x12, sh), (0x12, other), (0x0A, b"\x08\x01")]))
    payload = data.draw(_fields_near([(0x0A, header), (0x12, b"data"), (0x0A, b"")]))
    want = _fabric_payload(payload)
    try:
        v = parse.read_payload(payload)
    except (DecodeError, RecursionError):
        assert want is None
        return
    assert want == (v.header.channel_header.type, v.header.signature_header.creator, v.data, v.HasField("header"))


@FUZZ
@given(data=st.data())
def test_transaction_views_read_what_fabric_reads(data):
    from google.protobuf.message import DecodeError

    from ledgerval.fabric import parse
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    e1 = pb.Endorsement(endorser=b"peer1", signature=b"s1").SerializeToString()
    e2 = pb.Endorsement(endorser=b"peer2", signature=b"s2").SerializeToString()
    cea = data.draw(_fields_near([(0x0A, b"prp"), (0x12, e1), (0x12, e2), (0x0A, b"prp2")]))
    cap = data.draw(_fields_near([(0x0A, b"proposal"), (0x12, cea), (0x12, cea[:3])]))
    action = data.draw(_fields_near([(0x0A, b"hdr"), (0x12, cap), (0x12, b"")]))
    tx = data.draw(_fields_near([(0x0A, action), (0x0A, action[1:])]))
    want = _fabric_actions(tx)
    try:
        got = [(a.payload.action.proposal_response_payload,
                [(e.endorser, e.signature) for e in a.payload.action.endorsements]) for a in parse.read_actions(tx)]
    except (DecodeError, RecursionError):
        assert want is None
        return
    assert got == want


def _fields_mixed(parts: list[tuple[int, bytes]], extra: list[tuple[int, bytes]] = ()):
    """Messages of ``parts`` (tag, body), each mostly kept once, sometimes twice, with each of ``extra``
    mostly left out: most messages decode, and fields that occur twice are frequent."""
    ops = st.tuples(st.lists(st.sampled_from([1, 1, 1, 2]), min_size=len(parts), max_size=len(parts)),
                    st.lists(st.sampled_from([0, 0, 0, 1]), min_size=len(extra), max_size=len(extra)))
    return ops.map(lambda c: b"".join(_ld(t, b) * k for (t, b), k in zip(list(parts) + list(extra), c[0] + c[1])))


@FUZZ
@given(data=st.data())
def test_endorser_view_reads_what_fabric_reads(data):
    # parse._endorser_view reads a payload and its transaction in one decode; whenever it answers, it must
    # answer what Fabric reads from the payload and then from its data, and it declines the rest
    from ledgerval.fabric import parse
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    ch, sh = _header_parts()
    config_ch = pb.ChannelHeader(type=1, channel_id="c").SerializeToString()
    other = pb.SignatureHeader(nonce=b"x").SerializeToString()  # no creator: merged, the first one's stays
    header = data.draw(_fields_mixed([(0x0A, ch), (0x12, sh)], [(0x12, other), (0x0A, config_ch)]))

    def tx_of(endorser: bytes) -> bytes:
        e = pb.Endorsement(endorser=endorser, signature=b"s").SerializeToString()
        cea = data.draw(_fields_mixed([(0x0A, b"prp"), (0x12, e)], [(0x0A, b"prp2")]))
        cap = data.draw(_fields_mixed([(0x0A, b"proposal"), (0x12, cea)]))
        return data.draw(_fields_mixed([(0x0A, data.draw(_fields_mixed([(0x0A, b"hdr"), (0x12, cap)])))]))

    payload = data.draw(_fields_mixed([(0x0A, header), (0x12, tx_of(b"peer1"))],
                                      [(0x12, tx_of(b"peer2")), (0x0A, pb.HeaderView().SerializeToString())]))
    v = parse._endorser_view(payload)
    want = _fabric_payload(payload)
    if v is None:
        return
    assert want is not None and want[0] == parse.ENDORSER_TRANSACTION and want[3]
    assert want[1] == v.header.signature_header.creator != b""
    assert _fabric_actions(want[2]) == [(a.payload.action.proposal_response_payload,
                                         [(e.endorser, e.signature) for e in a.payload.action.endorsements])
                                        for a in v.data.actions]
