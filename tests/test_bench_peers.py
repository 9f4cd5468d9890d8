"""The peers do the same work as ledgerval (so their ratios mean something), and absent ones are reported."""
from __future__ import annotations

import random

import numpy as np
import pytest

from ledgerval.bench import cryptomb, peers, workloads
from ledgerval.bench.cases import default_cases
from ledgerval.bench.harness import measure
from ledgerval.reference.merkle import root as ref_root

SEED = 5
N = 10


@pytest.mark.parametrize("rule", ["rfc6962", "bitcoin"])
@pytest.mark.parametrize("algo", ["sha256", "sha256d", "keccak256"])
def test_python_merkle_peer_matches_reference(algo, rule):
    rng = random.Random(SEED)
    print("seed", SEED)
    for n in list(range(0, 34)) + [rng.randrange(34, 300)]:
        leaves = [rng.randbytes(32) for _ in range(n)]
        assert peers.python_merkle_root(algo, leaves, rule) == ref_root(algo, leaves, rule), n


def _corrupted(scheme):
    w = workloads.verify_workload(scheme, N, seed=SEED)
    sigs = w.signatures.copy()
    sigs[3, 40] ^= 1  # flips a bit of s
    msgs = list(w.messages)
    msgs[7] = bytes(32)
    expect = np.ones(N, dtype=bool)
    expect[[3, 7]] = False
    return workloads.VerifyWorkload(scheme, w.keys, msgs, sigs, expect)


@pytest.mark.parametrize("scheme", ["ecdsa-secp256k1", "ecdsa-p256", "ed25519", "sm2"])
def test_verify_peers_agree_on_valid_and_bad(scheme):
    w = _corrupted(scheme)
    ran = 0
    for name in peers.VERIFY_APPLIES[scheme]:
        try:
            run = peers.VERIFY_PEERS[name](w)
        except (ImportError, LookupError) as exc:
            print(f"{name} absent: {exc}")
            continue
        assert list(run()) == list(w.expected), name
        ran += 1
    print(scheme, ran, "peers checked")


@pytest.mark.parametrize("algo", ["sha256", "sha256d", "sm3", "keccak256"])
def test_hash_peers_match_reference(algo):
    from ledgerval.reference.hashes import digest

    msgs = [bytes([i]) * i for i in range(0, 140, 7)]
    for name in peers.HASH_APPLIES[algo]:
        try:
            run = peers.HASH_PEERS[name](algo, msgs)
        except (ImportError, LookupError) as exc:
            print(f"{name} absent: {exc}")
            continue
        assert [bytes(x) for x in run()] == [digest(algo, m) for m in msgs], name


def test_crypto_mb_absent_is_a_reason_not_an_error(monkeypatch):
    monkeypatch.setattr(cryptomb, "_lib", None)
    monkeypatch.setattr(cryptomb, "_error", None)
    monkeypatch.setattr(cryptomb, "_candidates", lambda: ["/nonexistent"])
    assert cryptomb.load() is None and "not installed" in cryptomb.reason()
    w = workloads.verify_workload("ecdsa-p256", 4)
    with pytest.raises(LookupError):
        peers.VERIFY_PEERS["crypto_mb"](w)


def test_missing_peer_is_shown_absent(monkeypatch):
    def gone(_w):
        raise ImportError("no coincurve", name="coincurve")

    monkeypatch.setitem(peers.VERIFY_PEERS, "coincurve", gone)
    case = next(c for c in default_cases() if c.name == "verify/ecdsa-secp256k1")
    sizes = dict(workloads.QUICK, verify=8, peer_verify=8, ref_verify=2)
    row = measure(case, sizes, [1], 1)
    assert row.error is None
    assert "absent" in row.peers["coincurve"] and "coincurve" in row.peers["coincurve"]["absent"]
    assert row.ratio("ref") is not None


def test_workloads_are_deterministic():
    a = workloads.hash_workload(8, 64, seed=3)
    workloads.hash_workload.cache_clear()
    assert np.array_equal(a, workloads.hash_workload(8, 64, seed=3))
    assert workloads.verify_workload("ed25519", 3).expected.all()
