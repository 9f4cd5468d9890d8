"""``evm.validate_block(sig_cache=)`` on real mainnet blocks: recoveries are vouched for only by the exact
(address, digest, signature) that recovered before; a changed sender, signature or payload is recovered
again and reported as without the cache."""
from __future__ import annotations

import copy
import json

import pytest
from conftest import VECTORS_DIR, VECTORS_SKIP

from ledgerval import SignatureCache, evm

FILE = VECTORS_DIR / "ethereum" / "mainnet_block24476000.json"
if not FILE.exists():
    pytest.skip(VECTORS_SKIP, allow_module_level=True)

BLOCK = json.loads(FILE.read_text())
N_TX = len(BLOCK["transactions"])


def _verdict(rep) -> dict:
    d = rep.to_json()
    del d["cached_signatures"]
    return d


def _rlp(b: dict) -> bytes:
    from test_evm_block import to_rlp

    return to_rlp(b)


@pytest.mark.parametrize("threads", [1, 2])
def test_same_report_cold_and_warm(threads):
    plain = evm.validate_block(BLOCK, threads=threads)
    cache = SignatureCache(1 << 16)
    cold = evm.validate_block(BLOCK, threads=threads, sig_cache=cache)
    warm = evm.validate_block(BLOCK, threads=threads, sig_cache=cache)
    assert plain.ok and _verdict(plain) == _verdict(cold) == _verdict(warm)
    assert (plain.cached_signatures, cold.cached_signatures) == (0, 0)
    assert warm.cached_signatures == N_TX   # authorizations state no signer: always recovered
    assert len(cache) == plain.signatures_checked


def test_rlp_fills_the_cache_for_json():
    cache = SignatureCache(1 << 16)
    rep = evm.validate_block(_rlp(BLOCK), sig_cache=cache)
    assert rep.ok and rep.cached_signatures == 0   # RLP states no sender: nothing to look up
    warm = evm.validate_block(BLOCK, sig_cache=cache)
    assert warm.cached_signatures == N_TX and _verdict(warm) == _verdict(evm.validate_block(BLOCK))


def _codes(rep) -> list:
    return sorted((e.code, e.tx_index) for e in rep.errors)


def test_a_stated_sender_that_did_not_sign_is_a_miss():
    cache = SignatureCache(1 << 16)
    assert evm.validate_block(BLOCK, sig_cache=cache).ok
    b = copy.deepcopy(BLOCK)
    other = b["transactions"][1]["from"]
    i = next(k for k, t in enumerate(b["transactions"]) if t["from"] != other)
    b["transactions"][i]["from"] = other
    for _ in range(2):   # and the failure was not stored: the second run recovers it again
        warm = evm.validate_block(b, sig_cache=cache)
        assert _codes(warm) == [("wrong_sender", i)]
        assert warm.cached_signatures == N_TX - 1
    assert _verdict(warm) == _verdict(evm.validate_block(b))


@pytest.mark.parametrize("field", ["r", "value"])
def test_changed_signature_or_payload_under_a_warm_cache(field):
    cache = SignatureCache(1 << 16)
    assert evm.validate_block(BLOCK, sig_cache=cache).ok
    b = copy.deepcopy(BLOCK)
    i = 3
    tx = b["transactions"][i]
    tx[field] = hex(int(tx[field], 16) + 1)   # the signature (r) or the signed payload (value) changes
    warm = evm.validate_block(b, sig_cache=cache)
    assert warm.cached_signatures == N_TX - 1
    codes = _codes(warm)
    assert ("bad_tx_hash", i) in codes
    assert ("wrong_sender", i) in codes or ("bad_signature", i) in codes
    assert _verdict(warm) == _verdict(evm.validate_block(b))
