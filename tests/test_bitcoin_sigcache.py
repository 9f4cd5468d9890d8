"""``bitcoin.validate_block(sig_cache=)`` on block 277647: the same report warm and cold, every signature
vouched for the second time, and changed bytes under cached signatures still fail at their input."""
from __future__ import annotations

import struct

import pytest
from conftest import VECTORS_DIR, VECTORS_SKIP

from ledgerval import SignatureCache
from ledgerval.bitcoin import load_prevouts, validate_block
from ledgerval.bitcoin.script import push_values
from ledgerval.bitcoin.wire import parse_block

BLOCK = VECTORS_DIR / "bitcoin" / "block277647.raw"
PREVOUTS = VECTORS_DIR / "bitcoin" / "block277647_prevouts.jsonl"
if not BLOCK.exists() or not PREVOUTS.exists():
    pytest.skip(VECTORS_SKIP, allow_module_level=True)

RAW = BLOCK.read_bytes()


@pytest.fixture(scope="module")
def prevouts():
    return load_prevouts(PREVOUTS)


def _verdict(rep) -> dict:
    d = rep.to_dict()
    del d["timings"], d["cached_signatures"]
    return d


@pytest.mark.parametrize("threads", [1, 2])
def test_same_report_cold_and_warm(prevouts, threads):
    plain = validate_block(RAW, prevouts, threads=threads)
    cache = SignatureCache(1 << 16)
    cold = validate_block(RAW, prevouts, threads=threads, sig_cache=cache)
    warm = validate_block(RAW, prevouts, threads=threads, sig_cache=cache)
    assert plain.ok and _verdict(cold) == _verdict(plain) == _verdict(warm)
    assert (plain.cached_signatures, cold.cached_signatures, warm.cached_signatures) == (0, 0, 732)
    assert len(cache) == 732
    # without prevouts the implied scripts give the same (key, sighash, signature) triples
    implied = validate_block(RAW, threads=threads, sig_cache=cache)
    assert _verdict(implied) == _verdict(validate_block(RAW, threads=threads))
    assert implied.cached_signatures == 732


def _tampered_signature() -> bytes:
    block = parse_block(RAW)
    tx = block.txs[11]
    script = tx.vin[7].script_sig
    off = RAW.index(tx.raw) + tx.raw.index(tx.vin[7].outpoint + bytes((len(script),)) + script) + 37
    sig = push_values(script)[0]
    bad = bytearray(RAW)
    bad[off + 1 + len(sig) - 3] ^= 0x01   # inside s: still DER, no longer valid
    return bytes(bad)


def _tampered_output() -> tuple[bytes, int]:
    """Transaction 11's first output amount changed: every input's signature is over the old amount."""
    tx = parse_block(RAW).txs[11]
    out = tx.vout[0]
    at = RAW.index(tx.raw) + tx.raw.index(struct.pack("<q", out.value) + bytes((len(out.script_pubkey),))
                                          + out.script_pubkey)
    bad = bytearray(RAW)
    bad[at:at + 8] = struct.pack("<q", out.value - 1)
    return bytes(bad), len(tx.vin)


def _sig_errors(rep) -> list:
    return [(e.tx_index, e.input_index) for e in rep.errors if e.code == "bad_signature"]


def test_changed_signature_in_a_cached_block(prevouts):
    cache = SignatureCache(1 << 16)
    assert validate_block(RAW, prevouts, sig_cache=cache).ok
    bad = _tampered_signature()
    warm = validate_block(bad, prevouts, sig_cache=cache)
    assert _sig_errors(warm) == [(11, 7)]
    assert warm.cached_signatures == 731
    assert _verdict(warm) == _verdict(validate_block(bad, prevouts))


def test_changed_payload_under_the_same_signatures(prevouts):
    cache = SignatureCache(1 << 16)
    assert validate_block(RAW, prevouts, sig_cache=cache).ok
    bad, n_in = _tampered_output()
    warm = validate_block(bad, prevouts, sig_cache=cache)
    assert _sig_errors(warm) == [(11, k) for k in range(n_in)]
    assert warm.cached_signatures == 732 - n_in
    assert _verdict(warm) == _verdict(validate_block(bad, prevouts))
    assert len(cache) == 732   # the failures were not stored
