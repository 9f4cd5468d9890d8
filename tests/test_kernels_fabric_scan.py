"""``kernels.fabric_scan`` against the protobuf path it stands in for (``parse._envelope``, the reference):
whenever the kernel takes an envelope it reads what Fabric reads, and a block read through the kernel gives
the signature list and the report the reference gives, for blocks mutated at every level of the envelope
(fields repeated, reordered, unknown, of another wire type, emptied; non-minimal varints; truncations;
lengths past the parent)."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

pytest.importorskip("google.protobuf", reason="the fabric extra (protobuf) is not installed")
pytest.importorskip("cryptography", reason="the fabric extra (cryptography) is not installed")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerval import fabric
from ledgerval.fabric import blockfile, build, parse
from ledgerval.fabric.validate import LedgerState
from ledgerval.kernels import fabric_scan as FS

_NET = build.Network("ecdsa-p256", orgs=2, peers=2)
_BLOCKS = build.build_ledger(_NET, 2, 4, endorsers=2)
_ENVS = _BLOCKS[1].envelopes
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Which fields hold a message (the rest are bytes or scalars), by message: how the mutator walks an envelope.
SCHEMA = {"Envelope": {1: "Payload"}, "Payload": {1: "Header", 2: "Transaction"},
          "Header": {1: "ChannelHeader", 2: "SignatureHeader"}, "Transaction": {1: "TransactionAction"},
          "TransactionAction": {2: "ChaincodeActionPayload"}, "ChaincodeActionPayload": {2: "ChaincodeEndorsedAction"},
          "ChaincodeEndorsedAction": {2: "Endorsement"}}


def _scan(envs: list[bytes]):
    offsets = np.zeros(len(envs) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in envs], out=offsets[1:])
    buf = np.frombuffer(b"".join(envs), dtype=np.uint8) if envs else np.zeros(0, dtype=np.uint8)
    return FS.scan_endorser_envelopes(buf, offsets)


def _varint(v: int, pad: int = 0) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    if pad:  # a non-minimal encoding: trailing zero groups
        out += bytes([v | 0x80]) + b"\x80" * (pad - 1)
        v = 0
    out.append(v)
    return bytes(out)


def _decode(kind: str | None, data: bytes):
    """[num, wire type, value] fields of a canonical message (value: a nested list for a message field,
    else the raw bytes or int); None when ``kind`` is not a message or it does not decode."""
    if kind is None:
        return None
    out, pos = [], 0
    try:
        while pos < len(data):
            tag, pos = blockfile._varint(data, pos, len(data))
            num, wt = tag >> 3, tag & 7
            if wt == 0:
                v, pos = blockfile._varint(data, pos, len(data))
            elif wt == 2:
                n, pos = blockfile._varint(data, pos, len(data))
                v, pos = data[pos:pos + n], pos + n
                sub = _decode(SCHEMA.get(kind, {}).get(num), v)
                v = v if sub is None else sub
            else:
                return None
            out.append([num, wt, v])
    except ValueError:
        return None
    return out


def _encode(fields) -> bytes:
    out = b""
    for f in fields:
        num, wt, v = f[:3]
        opts = f[3] if len(f) > 3 else {}
        tag = _varint(num << 3 | wt, opts.get("tag_pad", 0))
        if wt == 0:
            out += tag + _varint(v, opts.get("pad", 0))
        else:
            body = _encode(v) if isinstance(v, list) else v
            out += tag + _varint(max(0, len(body) + opts.get("len_delta", 0)), opts.get("pad", 0)) + body
    return out


OPS = ["twice", "twice", "twice_apart", "twice_apart", "swap", "unknown", "unknown_first", "wire_type", "empty", "drop", "pad_len",
       "pad_tag", "len_past", "len_short", "truncate", "bad_wire", "utf8", "nothing"]


@st.composite
def _mutated(draw):
    """An envelope of the generated ledger with one mutation somewhere in its tree."""
    env = draw(st.sampled_from(_ENVS))
    tree = _decode("Envelope", env)
    nodes, todo = [], [tree]
    while todo:  # every message of the tree, each as likely to be mutated
        node = todo.pop()
        nodes.append(node)
        todo += [f[2] for f in node if isinstance(f[2], list)]
    node = draw(st.sampled_from(nodes))
    op = draw(st.sampled_from(OPS))
    j = draw(st.integers(0, max(0, len(node) - 1)))
    if not node:
        node.append([1, 2, b""])
    f = node[j]
    if op in ("twice", "twice_apart"):
        # a second occurrence that differs from the first: a field dropped from a message, bytes halved
        v = f[2]
        if isinstance(v, list):
            v = [list(x) for x in v]
            if v:
                del v[draw(st.integers(0, len(v) - 1))]
        elif f[1] == 2:
            v = v[:len(v) // 2]
        node.insert(j + 1 if op == "twice" else len(node), [f[0], f[1], v])
    elif op == "swap" and j + 1 < len(node):
        node[j], node[j + 1] = node[j + 1], node[j]
    elif op in ("unknown", "unknown_first"):
        wt = draw(st.sampled_from([0, 1, 2, 5]))
        v = draw(st.integers(0, 300)) if wt == 0 else draw(st.binary(min_size=wt == 1 and 8 or wt == 5 and 4 or 0,
                                                                       max_size=8 if wt != 2 else 20))
        node.insert(0 if op == "unknown_first" else len(node), [draw(st.integers(3, 40)), wt, v])
    elif op == "wire_type":
        f[1] = 0 if f[1] == 2 else 2
        f[2] = 1 if f[1] == 0 else b"\x01"
    elif op == "empty":
        f[2] = [] if isinstance(f[2], list) else (0 if f[1] == 0 else b"")
    elif op == "drop":
        del node[j]
    elif op == "pad_len":
        f.append({"pad": draw(st.integers(1, 3))})
    elif op == "pad_tag":
        f.append({"tag_pad": 1})
    elif op == "len_past" and f[1] == 2:
        f.append({"len_delta": draw(st.integers(1, 3))})
    elif op == "len_short" and f[1] == 2:
        f.append({"len_delta": -draw(st.integers(1, 3))})
    elif op == "utf8" and f[1] == 2 and not isinstance(f[2], list):
        f[2] = b"\xff" + f[2]
    out = _encode(tree)
    if op == "truncate":
        out = out[:draw(st.integers(0, len(out)))]
    elif op == "bad_wire":
        out = out + bytes([draw(st.sampled_from([0x0B, 0x0C, 0x0E, 0x0F]))])
    return out


def _both(envs: list[bytes]):
    """(reference, kernel): parse_block's signature list and report for a block of ``envs``."""
    raw = blockfile.RawBlock(5, b"", hashlib.sha256(b"".join(envs)).digest(), list(envs), [])
    out = []
    for scan_min in (10 ** 9, 0):
        old, parse.SCAN_MIN = parse.SCAN_MIN, scan_min
        try:
            w = LedgerState(1).parse(raw)
            out.append((w.sigs, w.report))
        finally:
            parse.SCAN_MIN = old
    return out


def _reference_reading(env: bytes):
    """Fabric's reading, by protobuf: [(signer, message, signature, k)] of an endorser envelope."""
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    e = pb.Envelope.FromString(env)
    pl = pb.Payload.FromString(e.payload)
    creator = pb.SignatureHeader.FromString(pl.header.signature_header).creator
    rows, k = [(creator, e.payload, e.signature, -1)], 0
    for a in pb.Transaction.FromString(pl.data).actions:
        cea = pb.ChaincodeActionPayload.FromString(a.payload).action
        for en in cea.endorsements:
            rows.append((en.endorser, cea.proposal_response_payload + en.endorser, en.signature, k))
            k += 1
    return rows


def _kernel_reading(envs: list[bytes]):
    ok, row_off, rows = _scan(envs)
    j = b"".join(envs)
    out = []
    for i in range(len(envs)):
        out.append(None if not ok[i] else [
            (j[r[FS.SIGNER_A]:r[FS.SIGNER_B]], j[r[FS.MSG_A]:r[FS.MSG_B]] + j[r[FS.MSG2_A]:r[FS.MSG2_B]],
             j[r[FS.SIG_A]:r[FS.SIG_B]], int(r[FS.K])) for r in rows[row_off[i]:row_off[i + 1]]])
        assert ok[i] or row_off[i] == row_off[i + 1]
        assert all(r[FS.TX] == i for r in rows[row_off[i]:row_off[i + 1]])
    return out


def test_generated_envelopes_are_taken_and_read_as_fabric_reads_them():
    got = _kernel_reading(_ENVS)
    assert all(g is not None for g in got)
    assert got == [_reference_reading(e) for e in _ENVS]
    assert sum(len(g) for g in got) == 3 * len(_ENVS)


@pytest.mark.parametrize("distinct", [1, 5, FS.MAX_DISTINCT, FS.MAX_DISTINCT + 7])
def test_same_names_the_first_row_with_the_signers_bytes(distinct):
    # envelopes whose creators take ``distinct`` values, some of one length and different bytes
    import random

    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    rnd = random.Random(distinct)
    print("seed", distinct)
    base = pb.Envelope.FromString(_ENVS[0])
    tree = _decode("Payload", base.payload)
    creators = [b"creator-%03d" % i for i in range(distinct)]
    envs = []
    for _ in range(3 * distinct + 10):
        tree[0][2][1][2][0][2] = rnd.choice(creators)  # Header -> SignatureHeader -> creator
        envs.append(pb.Envelope(payload=_encode(tree), signature=base.signature).SerializeToString())
    ok, _, rows = _scan(envs)
    assert ok.all()
    j = b"".join(envs)
    signer = [j[r[FS.SIGNER_A]:r[FS.SIGNER_B]] for r in rows]
    first: dict[bytes, int] = {}
    for i, r in enumerate(rows):
        same = int(r[FS.SAME])
        assert same <= i and signer[same] == signer[i]
        if len(first) < FS.MAX_DISTINCT or signer[i] in first:
            assert same == first.setdefault(signer[i], i)


@FUZZ
@given(env=_mutated(), where=st.integers(0, 3))
def test_mutated_envelopes_give_the_reference_signatures_and_report(env, where):
    envs = list(_ENVS)
    envs.insert(where, env)
    ref, got = _both(envs)
    assert got == ref
    reading = _kernel_reading([env])[0]
    if reading is not None:  # taken: exactly Fabric's reading
        assert reading == _reference_reading(env)


def test_each_mutation_kind_is_declined():
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    env = _ENVS[0]
    e = pb.Envelope.FromString(env)
    bad = [
        env + b"\x12\x01s",                                                     # a field after the signature
        pb.Envelope(payload=e.payload).SerializeToString(),                     # no signature
        b"\x0a" + _varint(len(e.payload), 1) + e.payload + env[env.index(e.payload) + len(e.payload):],  # padded length
        env[:-1],                                                               # truncated
        b"\x12" + env[1:],                                                      # fields out of order
    ]
    pl = _decode("Payload", e.payload)
    ch = pl[0][2][0][2]
    for mutate in (lambda c: c.append([1, 0, 3]),            # type twice
                   lambda c: c.__setitem__(0, [1, 0, 1]),     # a config transaction
                   lambda c: c.insert(0, [9, 0, 1])):         # a field out of order
        tree = _decode("Payload", e.payload)
        mutate(tree[0][2][0][2])
        bad.append(pb.Envelope(payload=_encode(tree), signature=e.signature).SerializeToString())
    assert ch[0][:2] == [1, 0]
    ok, row_off, rows = _scan(bad + [env])
    assert ok.tolist() == [0] * len(bad) + [1] and row_off[-2] == 0 and len(rows) == 3


def test_arguments_are_checked():
    with pytest.raises(TypeError):
        FS.scan_endorser_envelopes(np.zeros(4, dtype=np.int64), np.zeros(1, dtype=np.int64))
    with pytest.raises(ValueError):
        FS.scan_endorser_envelopes(np.zeros(4, dtype=np.uint8), np.array([0, 5], dtype=np.int64))
    with pytest.raises(ValueError):
        FS.scan_endorser_envelopes(np.zeros(4, dtype=np.uint8), np.array([0, 3, 2], dtype=np.int64))
    ok, row_off, rows = _scan([])
    assert ok.shape == (0,) and row_off.tolist() == [0] and rows.shape == (0, FS.NCOLS)


def test_real_ledgers_take_the_kernel_for_every_endorser_transaction():
    from conftest import VECTORS_DIR

    paths = [VECTORS_DIR / "fabric" / n for n in ("v20_testchannel_blockfile_000000",
                                                  "sample_prod_mychannel_blockfile_000000")]
    if not all(p.exists() for p in paths):
        pytest.skip("../shared/vectors/fabric is absent")
    for p in paths:
        for raw in blockfile.iter_blockfile(p.read_bytes()):
            got = _kernel_reading(raw.envelopes)
            for env, g in zip(raw.envelopes, got):
                from ledgerval.fabric.proto import lvfabric_pb2 as pb

                chdr = pb.ChannelHeader.FromString(pb.Payload.FromString(pb.Envelope.FromString(env).payload)
                                                   .header.channel_header)
                assert (g is not None) == (chdr.type == parse.ENDORSER_TRANSACTION)
                assert g is None or g == _reference_reading(env)
            ref, ker = _both(raw.envelopes)
            assert ker == ref


def test_a_whole_ledger_reports_the_same_either_way(tmp_path, monkeypatch):
    flip = lambda b: b[:-1] + bytes([b[-1] ^ 1])
    corrupt = {("endorsement", 1, 2, 1): flip, ("creator", 1, 5): flip, ("endorsement", 2, 3, 0): build.high_s,
               ("envelope", 1, 7): lambda e: e + b"\x1a\x00", ("creator", 2, 9): lambda s: b"",
               ("envelope", 2, 11): lambda e: e[:-3]}
    p = tmp_path / "blockfile"
    p.write_bytes(build.ledger_bytes(build.build_ledger(_NET, 3, 40, endorsers=2, corrupt=corrupt)))
    reps = {}
    for scan_min in (10 ** 9, 0):
        monkeypatch.setattr(parse, "SCAN_MIN", scan_min)
        reps[scan_min] = [r.to_dict() for r in fabric.validate_ledger(p, threads=1)]
    assert reps[0] == reps[10 ** 9]
    codes = {(e["code"], e["tx_index"]) for r in reps[0] for e in r["errors"]}
    assert {("bad_endorsement_signature", 2), ("bad_creator_signature", 5), ("high_s", 3), ("malformed", 7),
            ("missing_signature", 9), ("malformed", 11)} <= codes, codes
