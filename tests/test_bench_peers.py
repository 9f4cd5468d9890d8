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
    monkeypatch.setattr(cryptomb, "_masked", lambda: None)  # at a tier without IFMA that reason comes first
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


def test_crypto_mb_is_absent_below_the_ifma_tier():
    from ledgerval.native import tier_mask, tiers_available

    if "avx2" not in tiers_available():
        pytest.skip("this machine has no AVX2 tier to mask down to")
    with tier_mask("avx2"):
        assert "this tier lacks" in cryptomb.reason()
        with pytest.raises(LookupError, match="this tier lacks"):
            peers.VERIFY_PEERS["crypto_mb"](workloads.verify_workload("ed25519", 4))


# --- the end-to-end loop peers -------------------------------------------------------------------------------

def _chain(suite):
    return workloads.chain_workload(suite, 2, 12)


@pytest.mark.parametrize("suite", ["secp256k1-sha256", "p256-sha256", "ed25519-sha256", "sm2-sm3",
                                   "secp256k1-keccak256"])
def test_loop_peer_accepts_a_valid_chain_and_rejects_tampered_blocks(suite):
    from ledgerval.bench import e2e
    from ledgerval.format import decode_block

    chain = _chain(suite)
    blocks, vals = list(chain.blocks), chain.validators
    ran = 0
    for lib in e2e.LOOP_LIBRARIES[chain_scheme(suite)]:
        try:
            run = e2e.loop_peer(suite, blocks, vals, lib)
        except (ImportError, LookupError) as exc:
            print(f"{lib} absent: {exc}")
            continue
        ran += 1
        assert run() == [True, True], lib
        dec = decode_block(blocks[1])
        payload = int(dec.tx_start[2]) + dec.suite.key_len + 12 + 5
        for what, pos in (("tx signature", int(dec.sig_off[3]) + 10), ("commit signature", len(blocks[1]) - 5),
                          ("tx root", 60), ("tx payload", payload)):
            bad = bytearray(blocks[1])
            bad[pos] ^= 1
            got = e2e.loop_peer(suite, [blocks[0], bytes(bad)], vals, lib)()
            assert got == [True, False], (lib, what)
        # a block whose parent is not the block before it
        assert e2e.loop_peer(suite, [blocks[1], blocks[1]], vals, lib)() == [True, False]
    print(suite, ran, "loop peers checked")


def chain_scheme(suite):
    from ledgerval.suites import get_suite

    return get_suite(suite).scheme


def test_loop_peer_refuses_a_library_without_the_scheme():
    from ledgerval.bench import e2e

    chain = _chain("sm2-sm3")
    with pytest.raises(LookupError):
        e2e.loop_peer("sm2-sm3", list(chain.blocks), chain.validators, "coincurve")


@pytest.mark.parametrize("scheme", ["ecdsa-secp256k1", "ecdsa-p256", "ed25519", "sm2"])
def test_keys_seen_once_rows_empty_the_key_caches(scheme):
    from ledgerval.bench.cases import forget_keys
    from ledgerval.native import tier_mask
    from ledgerval.signatures import native_backend, verify_batch

    mod = native_backend(scheme)
    if mod is None:
        pytest.skip("native kernel not built")
    w = workloads.verify_workload(scheme, 16, seed=SEED)
    caches = [getattr(mod, n) for n in ("key_cache", "table_cache", "lane_table_cache", "za_cache")
              if getattr(mod, n, None) is not None]
    with tier_mask("portable"):  # the IFMA lanes skip some caches; the portable paths use them all
        for _ in range(3):  # a key's second sighting fills the caches
            assert verify_batch(scheme, w.keys, w.messages, w.signatures, threads=1).all()
    for _ in range(2):  # and the lane key tables where the IFMA lanes run
        assert verify_batch(scheme, w.keys, w.messages, w.signatures, threads=1).all()
    assert any(len(c) for c in caches)
    forget_keys(scheme)
    assert all(len(c) == 0 for c in caches)
    assert verify_batch(scheme, w.keys, w.messages, w.signatures, threads=1).all()


def test_end_to_end_rows_time_the_first_installed_loop(monkeypatch):
    from ledgerval.bench import e2e

    chain = _chain("secp256k1-sha256")
    blocks = list(chain.blocks)
    name, run = e2e.first_loop_peer("secp256k1-sha256", blocks, chain.validators)
    assert name == "loop:coincurve" or pytest.importorskip("coincurve") is None

    def gone(scheme):
        raise ImportError("no coincurve", name="coincurve")

    monkeypatch.setitem(peers.SINGLE_VERIFIERS, "coincurve", gone)
    name, run = e2e.first_loop_peer("secp256k1-sha256", blocks, chain.validators)
    assert name == "loop:cryptography" and run() == [True, True]
    monkeypatch.setitem(peers.SINGLE_VERIFIERS, "cryptography", gone)
    with pytest.raises(LookupError, match="coincurve: no coincurve; cryptography: no coincurve"):
        e2e.first_loop_peer("secp256k1-sha256", blocks, chain.validators)
