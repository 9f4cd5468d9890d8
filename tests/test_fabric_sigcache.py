"""``fabric.validate_ledger/validate_block(sig_cache=)`` on the real Fabric 2.0 ledger: the same reports cold
and warm, and a changed signature under a warm cache still fails at its envelope."""
from __future__ import annotations

import pytest
from conftest import VECTORS_DIR, VECTORS_SKIP

V20 = VECTORS_DIR / "fabric" / "v20_testchannel_blockfile_000000"
if not V20.exists():
    pytest.skip(VECTORS_SKIP, allow_module_level=True)
pytest.importorskip("google.protobuf", reason="the fabric extra (protobuf) is not installed")
pytest.importorskip("cryptography", reason="the fabric extra (cryptography) is not installed")

from ledgerval import SignatureCache, fabric
from ledgerval.fabric import blockfile
from ledgerval.fabric import report as R
from ledgerval.fabric.proto import lvfabric_pb2 as pb


def _dicts(reps) -> list:
    return [r.to_dict() for r in reps]


@pytest.mark.parametrize("threads", [1, 2])
def test_same_reports_cold_and_warm(threads):
    plain = _dicts(fabric.validate_ledger(V20, threads=threads))
    cache = SignatureCache(1024)
    cold = _dicts(fabric.validate_ledger(V20, threads=threads, sig_cache=cache))
    filled = len(cache)
    assert filled >= 60   # the 60 block signatures, and the certificate signatures
    warm = _dicts(fabric.validate_ledger(V20, threads=threads, sig_cache=cache))
    assert plain == cold == warm
    assert all(r["ok"] for r in warm)
    assert len(cache) == filled


def test_changed_signature_under_a_warm_cache(tmp_path):
    cache = SignatureCache(1024)
    list(fabric.validate_ledger(V20, sig_cache=cache))
    blocks = list(blockfile.iter_blockfile(V20.read_bytes()))
    env = pb.Envelope.FromString(blocks[6].envelopes[0])
    env.signature = env.signature[:-1] + bytes([env.signature[-1] ^ 1])
    blocks[6].envelopes[0] = env.SerializeToString()
    p = tmp_path / "blockfile_000000"
    p.write_bytes(b"".join(blockfile.serialize_record(b) for b in blocks))
    warm = list(fabric.validate_ledger(p, sig_cache=cache))
    errs = [(r.number, e.code, e.tx_index) for r in warm for e in r.errors]
    assert errs == [(6, R.BAD_DATA_HASH, None), (6, R.BAD_CREATOR_SIGNATURE, 0)]
    assert _dicts(warm) == _dicts(fabric.validate_ledger(p))


def test_validate_block_takes_the_cache():
    raw = list(blockfile.iter_blockfile(V20.read_bytes()))[7]
    data = blockfile.block_to_pb(raw)
    cache = SignatureCache(64)
    a = fabric.validate_block(data, sig_cache=cache)
    b = fabric.validate_block(data, sig_cache=cache)
    assert a.to_dict() == b.to_dict() == fabric.validate_block(data).to_dict()
    assert len(cache) > 0
