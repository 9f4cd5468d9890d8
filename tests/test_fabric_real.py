"""The Fabric adapter on two real ledgers written by Fabric's own peers and orderers (../shared/vectors/fabric,
see its README), and on tampered copies of them: each damage reported with its code at its index."""
from __future__ import annotations

import itertools

import pytest
from conftest import VECTORS_DIR, VECTORS_SKIP

V20 = VECTORS_DIR / "fabric" / "v20_testchannel_blockfile_000000"
PROD = VECTORS_DIR / "fabric" / "sample_prod_mychannel_blockfile_000000"
if not V20.exists() or not PROD.exists():
    pytest.skip(VECTORS_SKIP, allow_module_level=True)
pytest.importorskip("google.protobuf", reason="the fabric extra (protobuf) is not installed")
pytest.importorskip("cryptography", reason="the fabric extra (cryptography) is not installed")

from ledgerval import fabric
from ledgerval.fabric import blockfile, build, der
from ledgerval.fabric import report as R
from ledgerval.fabric.proto import lvfabric_pb2 as pb


@pytest.fixture(autouse=True, params=["protobuf", "scan"])
def _envelope_reader(request, monkeypatch):
    """Every test twice: envelopes read by protobuf (``parse._envelope``) and by the scan kernel, which
    must give the same reports (``parse.SCAN_MIN``: blocks of that many envelopes take the kernel)."""
    from ledgerval.fabric import parse

    monkeypatch.setattr(parse, "SCAN_MIN", 10 ** 9 if request.param == "protobuf" else 0)


def _blocks(path=V20) -> list:
    return list(blockfile.iter_blockfile(path.read_bytes()))


def _run(tmp_path, blocks) -> list:
    p = tmp_path / "blockfile_000000"
    p.write_bytes(b"".join(blockfile.serialize_record(b) for b in blocks))
    return list(fabric.validate_ledger(p, threads=1))


def _errors(reps) -> list:
    return [(r.number, e.code, e.tx_index) for r in reps for e in r.errors]


@pytest.mark.parametrize("path, blocks, sigs", [(V20, 20, 60), (PROD, 8, 22)])
def test_real_ledger_validates_clean(path, blocks, sigs):
    reps = list(fabric.validate_ledger(path))
    assert [r.number for r in reps] == list(range(blocks))
    assert all(r.ok and r.fully_checked for r in reps), _errors(reps)
    assert sum(r.signatures_checked for r in reps) == sigs
    assert sum(r.identities_checked for r in reps) == sigs


def test_v20_counts():
    reps = list(fabric.validate_ledger(V20))
    assert [r.is_config for r in reps] == [True] * 5 + [False] * 15
    assert sum(r.n_tx for r in reps) == 20
    from ledgerval.fabric.validate import LedgerState

    st = LedgerState(1)
    signers = {it[3] for raw in blockfile.iter_blockfile(V20.read_bytes()) for it in st.parse(raw).sigs}
    assert len({st.identities.get(c).cert.der for c in signers}) == 8  # README: 8 signing certificates


def test_blockfiles_in_pieces(tmp_path):
    # blockfile_000000 then blockfile_000001 continue each other
    blocks = _blocks()
    a, b = tmp_path / "blockfile_000000", tmp_path / "blockfile_000001"
    a.write_bytes(b"".join(blockfile.serialize_record(x) for x in blocks[:7]))
    b.write_bytes(b"".join(blockfile.serialize_record(x) for x in blocks[7:]))
    reps = list(fabric.validate_ledger([a, b]))
    assert len(reps) == 20 and all(r.ok for r in reps)


def _resign_metadata(blk, fn):
    md = pb.Metadata.FromString(blk.metadata[0])
    fn(md.signatures[0])
    blk.metadata[0] = md.SerializeToString()


def test_bad_orderer_signature(tmp_path):
    blocks = _blocks()
    _resign_metadata(blocks[9], lambda ms: setattr(ms, "signature", ms.signature[:-1] + bytes([ms.signature[-1] ^ 1])))
    assert _errors(_run(tmp_path, blocks)) == [(9, R.BAD_ORDERER_SIGNATURE, None)]


def test_high_s_orderer_signature(tmp_path):
    blocks = _blocks()
    _resign_metadata(blocks[12], lambda ms: setattr(ms, "signature", build.high_s(ms.signature)))
    assert _errors(_run(tmp_path, blocks)) == [(12, R.HIGH_S, None)]


def test_missing_orderer_signature(tmp_path):
    blocks = _blocks()
    blocks[3].metadata[0] = b""
    assert _errors(_run(tmp_path, blocks)) == [(3, R.MISSING_SIGNATURE, None)]


def _edit_envelope(blk, i, fn):
    env = pb.Envelope.FromString(blk.envelopes[i])
    fn(env)
    blk.envelopes[i] = env.SerializeToString()


def test_bad_creator_signature(tmp_path):
    # the envelope changes, so its block's data_hash no longer matches either (the header is the original)
    blocks = _blocks()
    _edit_envelope(blocks[6], 0, lambda e: setattr(e, "signature", e.signature[:-1] + bytes([e.signature[-1] ^ 1])))
    assert _errors(_run(tmp_path, blocks)) == [(6, R.BAD_DATA_HASH, None), (6, R.BAD_CREATOR_SIGNATURE, 0)]


def test_high_s_creator(tmp_path):
    blocks = _blocks()
    _edit_envelope(blocks[15], 0, lambda e: setattr(e, "signature", build.high_s(e.signature)))
    assert _errors(_run(tmp_path, blocks)) == [(15, R.BAD_DATA_HASH, None), (15, R.HIGH_S, 0)]


def _edit_endorsement(e, k, fn):
    payload = pb.Payload.FromString(e.payload)
    tx = pb.Transaction.FromString(payload.data)
    cap = pb.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    fn(cap.action.endorsements[k])
    tx.actions[0].payload = cap.SerializeToString()
    payload.data = tx.SerializeToString()
    e.payload = payload.SerializeToString()


def test_bad_endorsement_signature(tmp_path):
    # the creator signed the original payload: it fails too
    blocks = _blocks()
    _edit_envelope(blocks[8], 0, lambda e: _edit_endorsement(
        e, 2, lambda en: setattr(en, "signature", en.signature[:-1] + bytes([en.signature[-1] ^ 1]))))
    assert sorted(_errors(_run(tmp_path, blocks))) == sorted([
        (8, R.BAD_DATA_HASH, None), (8, R.BAD_CREATOR_SIGNATURE, 0), (8, R.BAD_ENDORSEMENT_SIGNATURE, 0)])


def test_missing_endorsement_signature(tmp_path):
    blocks = _blocks()
    _edit_envelope(blocks[5], 0, lambda e: _edit_endorsement(e, 0, lambda en: setattr(en, "signature", b"")))
    assert sorted(_errors(_run(tmp_path, blocks))) == sorted([
        (5, R.BAD_DATA_HASH, None), (5, R.BAD_CREATOR_SIGNATURE, 0), (5, R.MISSING_SIGNATURE, 0)])


def test_unknown_identity_when_msp_ca_replaced(tmp_path):
    # the genesis config with Org1MSP's root CA swapped for a stranger's: Org1's signers no longer chain
    blocks = _blocks()
    stranger = build.Signer("ecdsa-p256", "stranger-ca").pem

    def swap(env):
        payload = pb.Payload.FromString(env.payload)
        cenv = pb.ConfigEnvelope.FromString(payload.data)
        org1 = cenv.config.channel_group.groups["Application"].groups["org1"].values["MSP"]
        msp = pb.MSPConfig.FromString(org1.value)
        f = pb.FabricMSPConfig.FromString(msp.config)
        del f.root_certs[:]
        f.root_certs.append(stranger)
        msp.config = f.SerializeToString()
        org1.value = msp.SerializeToString()
        payload.data = cenv.SerializeToString()
        env.payload = payload.SerializeToString()
    for b in range(5):  # every config block carries the full config
        _edit_envelope(blocks[b], 0, swap)
    errs = _errors(_run(tmp_path, blocks))
    unknown = [(n, tx) for n, code, tx in errs if code == R.UNKNOWN_IDENTITY]
    # the transactions Org1's client created, each also endorsed by Org1's peer: two signers apiece
    assert unknown == [(n, 0) for n in (5, 8, 9, 12, 14, 17) for _ in range(2)]
    # the edited config blocks no longer match their hashes and signatures; nothing else fails
    assert [e for e in errs if e[1] != R.UNKNOWN_IDENTITY] == [
        (b, code, tx) for b in range(5) for code, tx in ((R.BAD_DATA_HASH, None), (R.BAD_CREATOR_SIGNATURE, 0))]


def test_bad_data_hash_and_prev_hash(tmp_path):
    blocks = _blocks()
    blocks[10].data_hash = bytes(32)
    errs = _errors(_run(tmp_path, blocks))
    # the header changed: its data_hash is wrong, the orderer signed another header, the next block's link breaks
    assert errs == [(10, R.BAD_DATA_HASH, None), (10, R.BAD_ORDERER_SIGNATURE, None), (11, R.BAD_PREV_HASH, None)]


def test_malformed_envelope(tmp_path):
    blocks = _blocks()
    blocks[14].envelopes[0] += b"\x12\x01\x00"  # a repeated signature field
    assert _errors(_run(tmp_path, blocks)) == [(14, R.BAD_DATA_HASH, None), (14, R.MALFORMED, 0)]


def test_from_a_snapshot_identities_are_skipped(tmp_path):
    reps = _run(tmp_path, _blocks()[5:])
    assert all(r.ok and not r.fully_checked for r in reps)
    assert sum(r.identities_skipped for r in reps) == 60 - 1 - 4 * 2  # genesis 1, config blocks 2 each


def test_validate_block_on_fetched_blocks():
    blocks = _blocks()
    pbs = [blockfile.block_to_pb(b) for b in blocks]
    assert fabric.validate_block(pbs[0]).fully_checked
    rep = fabric.validate_block(pbs[7], pbs[6])
    assert rep.ok and rep.signatures_checked == 3 and rep.identities_skipped == 3
    assert [e.code for e in fabric.validate_block(pbs[7], pbs[5]).errors] == [R.BAD_PREV_HASH]


def test_header_der_matches_the_chain():
    blocks = _blocks()
    import hashlib

    for a, b in itertools.pairwise(blocks):
        assert hashlib.sha256(der.header_der(a.number, a.previous_hash, a.data_hash)).digest() == b.previous_hash
