"""``verify_batch`` semantics, whatever backend serves it: malformed input is False, misuse raises."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledgerval
from ledgerval import InvalidArgument, InvalidType, verify_batch
from ledgerval.reference import ecc
from ledgerval.signing import private_keys, public_keys, sign_batch

N_SECP = ecc.SECP256K1.n


def _batch(scheme, n=8, tag=b"t"):
    privs = private_keys(scheme, [tag + b"%d" % i for i in range(n)])
    pubs = [k.tobytes() for k in public_keys(scheme, privs)]
    if scheme.startswith("ecdsa"):
        msgs = [hashlib.sha256(b"m%d" % i).digest() for i in range(n)]
    else:
        msgs = [b"message %d" % i * (i + 1) for i in range(n)]
    sigs = [s.tobytes() for s in sign_batch(scheme, privs, msgs)]
    return pubs, msgs, sigs


@pytest.mark.parametrize("scheme", ledgerval.SCHEMES)
def test_valid_batch_and_single_corruptions(scheme):
    pubs, msgs, sigs = _batch(scheme)
    assert verify_batch(scheme, pubs, msgs, sigs).all()
    bad = list(sigs)
    bad[3] = bad[3][:20] + bytes([bad[3][20] ^ 4]) + bad[3][21:]
    wrong_msg = list(msgs)
    wrong_msg[5] = (b"\x01" + msgs[5][1:]) if msgs[5][0] != 1 else (b"\x02" + msgs[5][1:])
    assert verify_batch(scheme, pubs, msgs, bad).tolist() == [i != 3 for i in range(8)]
    assert verify_batch(scheme, pubs, wrong_msg, sigs).tolist() == [i != 5 for i in range(8)]
    swapped = [pubs[1], pubs[0]] + pubs[2:]
    assert verify_batch(scheme, swapped, msgs, sigs).tolist() == [False, False] + [True] * 6


@pytest.mark.parametrize("scheme", ledgerval.SCHEMES)
def test_malformed_items_are_false_never_raise(scheme):
    pubs, msgs, sigs = _batch(scheme, 1)
    pk, m, s = pubs[0], msgs[0], sigs[0]
    cases = [(b"", m, s), (pk[:-1], m, s), (pk + b"\x00", m, s), (pk, m, s[:-1]), (pk, m, s + b"\x00"),
             (pk, m, b""), (bytes(len(pk)), m, s), (b"\xff" * len(pk), m, s), (pk, m, bytes(64)),
             (pk, m, b"\xff" * 64)]
    if scheme.startswith("ecdsa"):
        cases += [(pk, m[:31], s), (pk, m + b"\x00", s), (pk, b"", s)]
    if scheme != "ed25519":
        p = ecc.P256.p if scheme == "ecdsa-p256" else ecc.SM2.p if scheme == "sm2" else ecc.SECP256K1.p
        cases += [(b"\x04" + bytes(64), m, s), (b"\x02" + p.to_bytes(32, "big"), m, s),
                  (b"\x05" + pk[1:], m, s), (b"\x04" + pk[1:] + pk[1:], m, s)]
    out = verify_batch(scheme, *map(list, zip(*cases)))
    assert out.dtype == bool and not out.any()


@pytest.mark.parametrize("scheme", ["ecdsa-secp256k1", "ecdsa-p256", "sm2"])
def test_uncompressed_keys_accepted(scheme):
    pubs, msgs, sigs = _batch(scheme, 3)
    curve = {"ecdsa-secp256k1": ecc.SECP256K1, "ecdsa-p256": ecc.P256, "sm2": ecc.SM2}[scheme]
    full = [ecc.encode_pubkey(curve, ecc.decode_pubkey(curve, k), compressed=False) for k in pubs]
    assert verify_batch(scheme, full, msgs, sigs).all()


def test_low_s_policy():
    pubs, msgs, sigs = _batch("ecdsa-secp256k1", 6)
    flipped = []
    for s in sigs:
        r, sv = s[:32], int.from_bytes(s[32:], "big")
        flipped.append(r + (N_SECP - sv).to_bytes(32, "big"))  # the other of the pair (s, n - s)
    both = sigs + flipped
    ok = verify_batch("ecdsa-secp256k1", pubs * 2, msgs * 2, both)
    assert ok.all()  # high S is accepted by default
    low = verify_batch("ecdsa-secp256k1", pubs * 2, msgs * 2, both, low_s=True)
    high = [int.from_bytes(s[32:], "big") > N_SECP // 2 for s in both]
    assert low.tolist() == [not h for h in high]


@pytest.mark.parametrize("scheme", ledgerval.SCHEMES)
def test_array_inputs_match_lists(scheme):
    pubs, msgs, sigs = _batch(scheme, 5)
    arr = lambda xs: np.frombuffer(b"".join(xs), dtype=np.uint8).reshape(len(xs), -1)
    m = arr(msgs) if scheme.startswith("ecdsa") else msgs
    assert verify_batch(scheme, arr(pubs), m, arr(sigs)).all()


def test_misuse_raises_package_errors():
    pubs, msgs, sigs = _batch("ed25519", 2)
    with pytest.raises(InvalidArgument):
        verify_batch("rsa", pubs, msgs, sigs)
    with pytest.raises(InvalidArgument):
        verify_batch("ed25519", pubs, msgs, sigs[:1])
    with pytest.raises(ValueError):
        verify_batch("ed25519", pubs[:1], msgs, sigs)
    with pytest.raises(InvalidType):
        verify_batch("ed25519", pubs, msgs, ["not bytes", sigs[1]])
    with pytest.raises(InvalidType):
        verify_batch("ed25519", b"a single bytes", msgs, sigs)
    with pytest.raises(InvalidType):
        verify_batch("ed25519", np.zeros((2, 32), dtype=np.int32), msgs, sigs)
    with pytest.raises(InvalidArgument):
        verify_batch("ed25519", pubs, msgs, sigs, threads=0)
    assert verify_batch("ed25519", [], [], []).shape == (0,)


@pytest.mark.parametrize("scheme", ledgerval.SCHEMES)
def test_auto_backend_agrees_with_reference(scheme):
    rng = np.random.default_rng(20261128)
    print("seed 20261128")
    pubs, msgs, sigs = _batch(scheme, 24, tag=b"agree")
    sigs = [bytes(s) for s in sigs]
    for i in rng.choice(24, size=8, replace=False):
        b = bytearray(sigs[i])
        b[int(rng.integers(64))] ^= 1 << int(rng.integers(8))
        sigs[i] = bytes(b)
    fast = verify_batch(scheme, pubs, msgs, sigs)
    ref = verify_batch(scheme, pubs, msgs, sigs, backend="reference")
    assert fast.tolist() == ref.tolist()
    assert (~fast).sum() == 8


@settings(max_examples=60, deadline=None)
@given(scheme=st.sampled_from(ledgerval.SCHEMES), key=st.binary(max_size=70), msg=st.binary(max_size=40),
       sig=st.binary(max_size=70))
def test_random_junk_is_false(scheme, key, msg, sig):
    assert not verify_batch(scheme, [key], [msg], [sig])[0]


def test_recover_batch_matches_reference_and_rejects_junk():
    pubs, msgs, sigs = _batch("ecdsa-secp256k1", 6, tag=b"rec")
    sig65, expect = [], []
    for pk, m, s in zip(pubs, msgs, sigs):
        found = None
        for v in range(4):
            if ecc.ecdsa_recover(m, s + bytes([v])) == pk:
                found = v
                break
        assert found is not None
        sig65.append(s + bytes([found + 27 if found < 2 else found]))
        expect.append(pk)
    junk = [(msgs[0], sigs[0] + b"\x05"), (msgs[0], sigs[0]), (msgs[0][:31], sig65[0]), (msgs[0], bytes(65))]
    d = list(msgs) + [j[0] for j in junk]
    s = sig65 + [j[1] for j in junk]
    for backend in ("auto", "reference"):
        keys, ok = ledgerval.recover_batch(d, s, backend=backend)
        assert ok.tolist() == [True] * 6 + [False] * 4
        assert [k.tobytes() for k in keys[:6]] == expect
        assert not keys[6:].any()
    with pytest.raises(InvalidArgument):
        ledgerval.recover_batch(d, s[:-1])


@pytest.mark.parametrize("scheme", ledgerval.SCHEMES)
@pytest.mark.parametrize("backend", ["auto", "reference"])
def test_start_verify_batch_matches_verify_batch(scheme, backend):
    """The background form gives verify_batch's verdicts (malformed lengths included) for every scheme and
    backend; misuse raises when it starts, not at result()."""
    from ledgerval.signatures import start_verify_batch

    n = 40 if backend == "auto" else 4
    pubs, msgs, sigs = _batch(scheme, n)
    sigs[1] = sigs[1][:-1]
    pubs[2] = pubs[2][:5]
    sigs[3] = bytes(64)
    if scheme.startswith("ecdsa"):
        msgs[0] = msgs[0][:31]
    want = verify_batch(scheme, pubs, msgs, sigs, backend=backend, threads=1)
    assert verify_batch(scheme, pubs, msgs, sigs, backend=backend, key_cache=False).tolist() == want.tolist()
    for threads in (1, 2):
        for key_cache in (True, False):
            pending = start_verify_batch(scheme, pubs, msgs, sigs, backend=backend, threads=threads,
                                         key_cache=key_cache)
            assert pending.result().tolist() == want.tolist()
    assert want[4:].all() and not want[1:4].any() and want[0] != scheme.startswith("ecdsa")
    with pytest.raises(InvalidArgument):
        start_verify_batch(scheme, pubs, msgs[:-1], sigs)
    assert start_verify_batch(scheme, [], [], []).result().shape == (0,)


@pytest.mark.parametrize("scheme", ledgerval.SCHEMES)
def test_key_cache_false_leaves_every_key_cache_untouched(scheme):
    """key_cache=False reaches every scheme's caches (decoded keys, key tables, SM2's Z_A): no row filled and
    no sighting recorded, so a key seen twice that way still counts as new; verdicts are those with caches."""
    from ledgerval.bench.cases import forget_keys
    from ledgerval.signatures import native_backend

    mod = native_backend(scheme)
    if mod is None:
        pytest.skip(f"the native {scheme} kernel is not built")
    pubs, msgs, sigs = _batch(scheme, 24)
    sigs[5] = bytes(64)
    caches = [c for n in ("key_cache", "table_cache", "lane_table_cache", "za_cache")
              if (c := getattr(mod, n, None)) is not None]
    forget_keys(scheme)
    try:
        fills = [c.fills for c in caches]
        off = [verify_batch(scheme, pubs, msgs, sigs, threads=t, key_cache=False).tolist() for t in (1, 2, 2)]
        assert [len(c) for c in caches] == [0] * len(caches) and [c.fills for c in caches] == fills
        assert all(c._seen_new.size == 0 and c._seen_old.size == 0 for c in caches)
        on = [verify_batch(scheme, pubs, msgs, sigs, threads=t).tolist() for t in (1, 2, 2)]
        assert off == on and on[0] == [i != 5 for i in range(24)]
        assert sum(c.fills for c in caches) > sum(fills)   # the second sighting with caches fills rows
    finally:
        forget_keys(scheme)
