"""The Fabric adapter on ledgers signed here (ledgerval.fabric.build): P-256 and SM2 (the GM variant),
clean and with exactly one thing damaged per case, each reported with its code at its exact index."""
from __future__ import annotations

import pytest

pytest.importorskip("google.protobuf", reason="the fabric extra (protobuf) is not installed")
pytest.importorskip("cryptography", reason="the fabric extra (cryptography) is not installed")

from ledgerval import fabric
from ledgerval.fabric import blockfile, build
from ledgerval.fabric import report as R


@pytest.fixture(autouse=True, params=["protobuf", "scan"])
def _envelope_reader(request, monkeypatch):
    """Every test twice: envelopes read by protobuf (``parse._envelope``) and by the scan kernel, which
    must give the same reports (``parse.SCAN_MIN``: blocks of that many envelopes take the kernel)."""
    from ledgerval.fabric import parse

    monkeypatch.setattr(parse, "SCAN_MIN", 10 ** 9 if request.param == "protobuf" else 0)

BLOCKS, TXS = 3, 4  # genesis + 2 blocks of 4 transactions, 2 endorsements each


@pytest.fixture(scope="module", params=["ecdsa-p256", "sm2"])
def net(request):
    return build.Network(request.param)


def _flip_last(sig: bytes) -> bytes:
    return sig[:-1] + bytes([sig[-1] ^ 1])


def _validate(tmp_path, blocks) -> list:
    p = tmp_path / "blockfile_000000"
    p.write_bytes(build.ledger_bytes(blocks))
    return list(fabric.validate_ledger(p, threads=1))


def _only(reports, number: int, code: str, tx_index):
    """Every block valid but ``number``, whose only error is ``code`` at ``tx_index``."""
    for r in reports:
        if r.number == number:
            assert [(e.code, e.tx_index) for e in r.errors] == [(code, tx_index)], r.errors
            assert not r.ok
        else:
            assert r.ok, (r.number, r.errors)


def test_clean_ledger(net, tmp_path):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS))
    assert [r.number for r in reps] == [0, 1, 2]
    assert all(r.ok and r.fully_checked for r in reps)
    # per block: 4 creators + 8 endorsements + 1 orderer signature; the genesis envelope's creator
    assert [r.signatures_checked for r in reps] == [1, 13, 13]
    assert [r.identities_checked for r in reps] == [1, 13, 13]
    assert reps[1].signatures_failed == 0 and reps[0].is_config


@pytest.mark.parametrize("key, code, number, tx", [
    (("creator", 1, 2), R.BAD_CREATOR_SIGNATURE, 1, 2),
    (("endorsement", 2, 3, 1), R.BAD_ENDORSEMENT_SIGNATURE, 2, 3),
    (("orderer", 2), R.BAD_ORDERER_SIGNATURE, 2, None),
    (("creator", 0, 0), R.BAD_CREATOR_SIGNATURE, 0, 0),
])
def test_bad_signature(net, tmp_path, key, code, number, tx):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, corrupt={key: _flip_last}))
    _only(reps, number, code, tx)
    assert reps[number].signatures_failed == 1


def test_signature_not_der(net, tmp_path):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, corrupt={("creator", 1, 1): lambda s: s + b"\0"}))
    _only(reps, 1, R.BAD_CREATOR_SIGNATURE, 1)


def test_high_s(tmp_path):
    net = build.Network("ecdsa-p256")
    for key, number, tx in ((("creator", 1, 3), 1, 3), (("endorsement", 1, 0, 0), 1, 0), (("orderer", 2), 2, None)):
        reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, corrupt={key: build.high_s}))
        _only(reps, number, R.HIGH_S, tx)


def test_malformed_envelope_duplicated_field(net, tmp_path):
    # a second signature field: protobuf keeps the last, so the envelope decodes, but not canonically
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS,
                                                  corrupt={("envelope", 2, 1): lambda e: e + b"\x12\x01\x00"}))
    _only(reps, 2, R.MALFORMED, 1)


def test_malformed_envelope_undecodable(net, tmp_path):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, corrupt={("envelope", 1, 0): lambda e: e[:-5]}))
    _only(reps, 1, R.MALFORMED, 0)


def test_malformed_envelope_unknown_field(net, tmp_path):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS,
                                                  corrupt={("envelope", 1, 3): lambda e: e + b"\x18\x01"}))
    _only(reps, 1, R.MALFORMED, 3)


def test_bad_data_hash(net, tmp_path):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, corrupt={("data_hash", 1): _flip_last}))
    _only(reps, 1, R.BAD_DATA_HASH, None)


def test_data_hash_in_the_plan_or_inline_same_reports(net, tmp_path, monkeypatch):
    # Small blocks leave data_hash to the window's hash batch, big ones hash it while parsing: the same
    # reports either way, bad_data_hash first among the block's errors.
    from ledgerval.fabric import parse

    corrupt = {("data_hash", 1): _flip_last, ("prev_hash", 1): _flip_last, ("creator", 1, 2): _flip_last,
               ("data_hash", 2): _flip_last}
    blocks = build.build_ledger(net, BLOCKS, TXS, corrupt=corrupt)
    got = {}
    for limit in (0, parse.DATA_HASH_IN_PLAN):
        monkeypatch.setattr(parse, "DATA_HASH_IN_PLAN", limit)
        got[limit] = [r.to_dict() for r in _validate(tmp_path, blocks)]
    assert got[0] == got[parse.DATA_HASH_IN_PLAN]
    codes = [[e["code"] for e in r["errors"]] for r in got[0]]
    assert codes[1][:3] == [R.BAD_DATA_HASH, R.BAD_PREV_HASH, R.BAD_CREATOR_SIGNATURE] and codes[2][0] == R.BAD_DATA_HASH


def test_bad_prev_hash(net, tmp_path):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, corrupt={("prev_hash", 2): _flip_last}))
    _only(reps, 2, R.BAD_PREV_HASH, None)


def test_block_out_of_order(net, tmp_path):
    blocks = build.build_ledger(net, BLOCKS, TXS)
    reps = _validate(tmp_path, [blocks[0], blocks[2]])
    _only(reps, 2, R.BAD_PREV_HASH, None)


def test_unknown_identity(net, tmp_path):
    # signed correctly, by a certificate whose issuer has Org2's CA name but another key
    blocks = build.build_ledger(net, BLOCKS, TXS, creator_of=lambda b, t: net.rogue if (b, t) == (2, 2) else None)
    reps = _validate(tmp_path, blocks)
    _only(reps, 2, R.UNKNOWN_IDENTITY, 2)
    assert reps[2].signatures_failed == 0


def test_unknown_identity_again_from_the_process_caches(net, tmp_path):
    # The second run finds the rogue certificate's failed signature edge, the config's Trust and the chains
    # in the process-wide caches: the same verdict, at the same index, and the clean ledger stays clean.
    blocks = build.build_ledger(net, BLOCKS, TXS, creator_of=lambda b, t: net.rogue if (b, t) == (2, 2) else None)
    first = [r.to_dict() for r in _validate(tmp_path, blocks)]
    again = [r.to_dict() for r in _validate(tmp_path, blocks)]
    assert first == again
    _only(_validate(tmp_path, blocks), 2, R.UNKNOWN_IDENTITY, 2)
    assert all(r.ok for r in _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS)))


def test_edge_cache_cleared_while_settling(net, tmp_path, monkeypatch):
    # A bounded cache that empties itself on every insert: the window's fresh verdicts still decide.
    from ledgerval.fabric.identity import SHARED

    SHARED.clear()
    monkeypatch.setattr(SHARED.edges, "_maxsize", 1)
    blocks = build.build_ledger(net, BLOCKS, TXS)
    assert all(r.ok and r.fully_checked for r in _validate(tmp_path, blocks))
    # again with the chain verdicts forgotten: the one edge still cached is known when the window starts
    # and gone once its other edges settle; the window judges from what it knew
    SHARED._trusts.clear()
    assert all(r.ok and r.fully_checked for r in _validate(tmp_path, blocks))
    SHARED.clear()


def test_config_cache_compares_the_whole_config(net):
    # The config cache is keyed by (number, length, first bytes) and compares the whole envelope: a config
    # that differs past its first bytes is another entry, never the cached Trust.
    from ledgerval.fabric.identity import Identities
    from ledgerval.fabric.parse import read_payload, split_envelope
    from ledgerval.fabric.proto import lvfabric_pb2 as pb

    data = read_payload(split_envelope(build.build_ledger(net, 1, 1)[0].envelopes[0])[0]).data
    other = data[:-1] + bytes([data[-1] ^ 1])
    ids = Identities()
    assert ids.trust(data, 0) is None
    t = ids.trust(data, 0, pb.ConfigEnvelope.FromString(data).config)
    assert ids.trust(bytes(data), 0) is t
    assert ids.trust(other, 0) is None and ids.trust(data, 1) is None
    u = ids.trust(other, 0, pb.ConfigEnvelope.FromString(data).config)
    assert u is not t and ids.trust(other, 0) is u and ids.trust(data, 0) is None


def test_unknown_msp(net, tmp_path):
    stranger = ("Org9MSP", net.clients[0][1])
    blocks = build.build_ledger(net, BLOCKS, TXS, creator_of=lambda b, t: stranger if (b, t) == (1, 1) else None)
    _only(_validate(tmp_path, blocks), 1, R.UNKNOWN_IDENTITY, 1)


def test_creator_without_a_certificate(net, tmp_path):
    # a creator whose identity carries no parsable certificate: nothing to verify against
    bad = build.Signer(net.scheme, "x")
    blocks = build.build_ledger(net, BLOCKS, TXS, creator_of=lambda b, t: ("Org1MSP", _NoCert(bad)) if (b, t) == (1, 0) else None)
    _only(_validate(tmp_path, blocks), 1, R.UNKNOWN_IDENTITY, 0)


class _NoCert:
    """A signer whose identity carries garbage instead of a certificate."""

    def __init__(self, signer):
        self._s = signer
        self.scheme, self.priv = signer.scheme, signer.priv
        self.pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"

    def identity(self, mspid):
        return build.Signer.identity(self, mspid)


@pytest.mark.parametrize("key, tx", [(("creator", 1, 2), 2), (("endorsement", 1, 1, 0), 1)])
def test_missing_signature(net, tmp_path, key, tx):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, corrupt={key: lambda s: b""}))
    _only(reps, 1, R.MISSING_SIGNATURE, tx)


def test_missing_orderer_signature(net, tmp_path):
    blocks = build.build_ledger(net, BLOCKS, TXS)
    blocks[2].metadata[0] = b""
    _only(_validate(tmp_path, blocks), 2, R.MISSING_SIGNATURE, None)


def test_no_endorsements(net, tmp_path):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, endorsers=0))
    assert [(e.code, e.tx_index) for e in reps[1].errors] == [(R.MISSING_SIGNATURE, t) for t in range(TXS)]


def test_genesis_may_be_unsigned(net, tmp_path):
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, corrupt={("creator", 0, 0): lambda s: b""}))
    assert all(r.ok for r in reps)
    assert reps[0].signatures_checked == 0


def test_without_config_identities_are_skipped(net, tmp_path):
    blocks = build.build_ledger(net, BLOCKS, TXS, corrupt={("creator", 2, 1): _flip_last})
    reps = _validate(tmp_path, blocks[1:])  # as from a snapshot: no config block precedes
    assert reps[0].ok and not reps[0].fully_checked
    assert reps[0].identities_skipped == 13 and reps[0].identities_checked == 0
    _only(reps, 2, R.BAD_CREATOR_SIGNATURE, 1)  # signatures are still verified


def test_many_errors_in_one_block(net, tmp_path):
    corrupt = {("creator", 1, 0): _flip_last, ("endorsement", 1, 2, 1): _flip_last, ("orderer", 1): _flip_last}
    reps = _validate(tmp_path, build.build_ledger(net, BLOCKS, TXS, corrupt=corrupt))
    assert sorted((e.code, e.tx_index if e.tx_index is not None else -1) for e in reps[1].errors) == sorted([
        (R.BAD_CREATOR_SIGNATURE, 0), (R.BAD_ENDORSEMENT_SIGNATURE, 2), (R.BAD_ORDERER_SIGNATURE, -1)])
    assert reps[1].signatures_failed == 3 and reps[2].ok


def test_validate_block_protobuf(net):
    blocks = build.build_ledger(net, BLOCKS, TXS)
    pbs = [blockfile.block_to_pb(b) for b in blocks]
    rep = fabric.validate_block(pbs[2], pbs[1])
    # a lone block has no config before it: its identities are skipped, its signatures verified
    assert rep.ok and rep.number == 2 and rep.signatures_checked == 13 and rep.identities_skipped == 13
    g = fabric.validate_block(pbs[0])
    assert g.ok and g.fully_checked and g.identities_checked == 1
    bad = blockfile.block_to_pb(build.build_ledger(net, BLOCKS, TXS, corrupt={("prev_hash", 2): _flip_last})[2])
    assert [e.code for e in fabric.validate_block(bad, pbs[1]).errors] == [R.BAD_PREV_HASH]


def test_windows_and_threads_agree(net, tmp_path, monkeypatch):
    from ledgerval.fabric import validate

    corrupt = {("creator", 1, 2): _flip_last, ("orderer", 2): build.high_s if net.scheme == "ecdsa-p256" else _flip_last}
    blocks = build.build_ledger(net, 4, TXS, corrupt=corrupt)
    p = tmp_path / "blockfile"
    p.write_bytes(build.ledger_bytes(blocks))
    want = [r.to_dict() for r in fabric.validate_ledger(p, threads=1)]
    monkeypatch.setattr(validate, "WINDOW_SIGS", 5)  # a window per block, verified on the helper thread
    assert [r.to_dict() for r in fabric.validate_ledger(p, threads=2)] == want


def test_misuse_raises():
    from ledgerval.errors import InvalidArgument, InvalidType

    with pytest.raises(InvalidType):
        fabric.validate_block("not bytes")
    with pytest.raises(InvalidArgument):
        fabric.validate_block(b"", previous=b"\xff\xff")


def test_config_update_removes_an_msp(net, tmp_path):
    # block 2 is a config block without Org2MSP: from block 3 on, Org2's signers are unknown
    blocks = build.build_ledger(net, 4, TXS, configs={2: net.config(drop=("Org2MSP",))})
    reps = _validate(tmp_path, blocks)
    assert reps[1].ok and reps[2].ok and reps[2].is_config
    org2 = [(e.code, e.tx_index) for e in reps[3].errors]
    # clients alternate Org1/Org2 (tx 1 and 3 by Org2); peers alternate too, so every tx has an Org2 endorser
    assert set(org2) == {(R.UNKNOWN_IDENTITY, t) for t in range(TXS)}
    assert (R.UNKNOWN_IDENTITY, 1) in org2 and reps[3].signatures_failed == 0
    assert all(e.detail.endswith("in the config of block 2") for e in reps[3].errors)


@pytest.mark.parametrize("scheme", ["ecdsa-p256", "sm2"])
def test_same_reports_at_every_tier(scheme, tmp_path):
    from ledgerval.native import tier_mask, tiers_available

    net = build.Network(scheme)
    corrupt = {("creator", 1, 2): _flip_last, ("endorsement", 2, 0, 1): _flip_last}
    if scheme == "ecdsa-p256":
        corrupt[("orderer", 2)] = build.high_s
    p = tmp_path / "blockfile"
    p.write_bytes(build.ledger_bytes(build.build_ledger(net, BLOCKS, TXS, corrupt=corrupt)))
    want = None
    for name in tiers_available():
        with tier_mask(name):
            got = [(r.number, r.codes(), [e.tx_index for e in r.errors], r.signatures_checked)
                   for r in fabric.validate_ledger(p, threads=1)]
        want = want or got
        assert got == want, name
    assert want[1][1] == [R.BAD_CREATOR_SIGNATURE] and want[2][1][0] == R.BAD_ENDORSEMENT_SIGNATURE


def test_shared_identity_cache_never_vouches_for_another_config(net, tmp_path):
    # The process-wide cache holds parsed identities; trust is decided per config.  The same signers,
    # already parsed and trusted under the first ledger's genesis, must be unknown under a genesis
    # config without their MSP.
    from ledgerval.fabric.identity import SHARED

    trusted = build.build_ledger(net, BLOCKS, TXS)
    assert all(r.ok for r in _validate(tmp_path, trusted))
    org2 = net.clients[1][1].identity(net.clients[1][0])
    parsed = SHARED.get(org2)
    untrusted = build.build_ledger(net, BLOCKS, TXS, configs={0: net.config(drop=("Org2MSP",))})
    reps = _validate(tmp_path, untrusted)
    assert SHARED.get(org2) is parsed  # the cache served the second ledger
    # every transaction has an Org2 creator or endorser (see test_config_update_removes_an_msp)
    for r in reps[1:]:
        assert {(e.code, e.tx_index) for e in r.errors} == {(R.UNKNOWN_IDENTITY, t) for t in range(TXS)}
        assert r.signatures_failed == 0
    # and trusted again under the first config, from the same cache
    assert all(r.ok for r in _validate(tmp_path, trusted))


@pytest.mark.parametrize("chunk, window", [(1, 5), (3, 5), (7, 2048), (16, 20), (10**9, 5)])
def test_chunks_cut_inside_blocks_agree(net, tmp_path, monkeypatch, chunk, window):
    # Chunks cut inside blocks and across them, verified on the helper or taken back by the main thread,
    # give the reports of one window verified at once: every code, at its index, in the same order.
    from ledgerval.fabric import parse, stream, validate

    corrupt = {("creator", 1, 2): _flip_last, ("endorsement", 2, 3, 1): _flip_last,
               ("orderer", 3): build.high_s if net.scheme == "ecdsa-p256" else _flip_last,
               ("creator", 4, 0): _flip_last}
    blocks = build.build_ledger(net, 6, TXS, corrupt=corrupt, configs={4: net.config(drop=("Org2MSP",))})
    p = tmp_path / "blockfile"
    p.write_bytes(build.ledger_bytes(blocks))
    state = validate.LedgerState(1)
    works = [state.parse(raw) for raw in blockfile.iter_blockfile(p.read_bytes())]
    want = [r.to_dict() for r in state.finish(works)]  # one window, one chunk, no stream
    codes = {e["code"] for r in want for e in r["errors"]}
    assert {R.BAD_CREATOR_SIGNATURE, R.BAD_ENDORSEMENT_SIGNATURE, R.UNKNOWN_IDENTITY} <= codes
    monkeypatch.setattr(parse, "CUT_EVERY", 1)
    monkeypatch.setattr(stream, "CHUNK_FIRST", max(1, chunk // 4))
    monkeypatch.setattr(stream, "CHUNK_SIGS", chunk)
    monkeypatch.setattr(validate, "WINDOW_SIGS", window)
    for threads in (1, 2):
        assert [r.to_dict() for r in fabric.validate_ledger(p, threads=threads)] == want


def test_stream_closed_early_and_broken_file(net, tmp_path, monkeypatch):
    # A consumer that stops after the first report leaves no helper thread behind; a file whose framing
    # breaks after verified chunks still yields the reports before the damage, then raises ValueError.
    import threading

    from ledgerval.fabric import parse, stream

    monkeypatch.setattr(parse, "CUT_EVERY", 1)
    monkeypatch.setattr(stream, "CHUNK_FIRST", 2)
    monkeypatch.setattr(stream, "CHUNK_SIGS", 4)
    data = build.ledger_bytes(build.build_ledger(net, 4, TXS))
    p = tmp_path / "blockfile"
    p.write_bytes(data)
    gen = fabric.validate_ledger(p, threads=2)
    assert next(gen).ok
    gen.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("ledgerval-fabric")]
    p.write_bytes(data + b"\x05\x01")  # a record that claims 5 bytes and has 1
    reps = []
    with pytest.raises(ValueError):
        for r in fabric.validate_ledger(p, threads=2):
            reps.append(r)
    assert [r.number for r in reps] == [0, 1, 2, 3] and all(r.ok for r in reps)
