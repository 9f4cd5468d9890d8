"""secp256k1 C kernel, scheme level: Wycheproof vectors, cross-checks against coincurve (libsecp256k1),
pycryptodome and ledgerval.reference.ecc on valid and corrupted inputs, malformed inputs, recovery, signing,
thread-count independence.

Wycheproof policy: valid -> True, invalid -> False, acceptable -> either (none in these files today).  DER
signatures are parsed strictly here (BER leniency, trailing bytes, negative or padded integers -> invalid);
the Bitcoin file is verified with low_s=True.  The verifier hashes msg with SHA-256, so digest = sha256(msg).
"""
from __future__ import annotations

import hashlib
import json
import os
import random

import numpy as np
import pytest

import ledgerval
from ledgerval.native import secp256k1 as k1
from ledgerval.native import cpu_features, tier_mask, tiers_available
from conftest import vector_file

pytestmark = pytest.mark.skipif(not k1.AVAILABLE, reason="native secp256k1 kernel not built")

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
QUICK = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"


def _b(x: int) -> bytes:
    return x.to_bytes(32, "big")


def _arr(rows: list[bytes], width: int) -> np.ndarray:
    out = np.zeros((len(rows), width), dtype=np.uint8)
    for i, r in enumerate(rows):
        out[i, : len(r)] = np.frombuffer(r, dtype=np.uint8)
    return out


def verify(keys: list[bytes], digests: list[bytes], sigs: list[bytes], low_s=False, threads=1,
           cache=True) -> np.ndarray:
    """Items whose key or signature cannot be laid out (wrong length) are passed as key_len 0 / zeros."""
    lens = np.array([len(k) if len(k) in (33, 65) else 0 for k in keys], dtype=np.uint8)
    keys = [k if len(k) in (33, 65) else b"" for k in keys]
    ok_sig = np.array([len(s) == 64 for s in sigs])
    sigs = [s if len(s) == 64 else b"" for s in sigs]
    res = k1.verify(_arr(keys, 65), lens, _arr(digests, 32), _arr(sigs, 64), low_s=low_s, threads=threads,
                    cache=cache)
    return res & ok_sig


TIERS = tiers_available()


def _every_way(keys, digests, sigs, low_s=False) -> np.ndarray:
    """The verdicts at every CPU tier this machine has, without the key cache and with its tables (a fresh
    cache: the first call fills the slots of keys seen twice, the second reads them), on 1 and 2 threads;
    all of them must agree, and that one verdict array is returned."""
    first = None
    saved = k1.key_cache
    try:
        for name in TIERS:
            k1.key_cache = k1.KeySlotCache(k1._fill_slots, k1.lib.LV_SECP256K1_KEYSLOT_BYTES, maxsize=512)
            with tier_mask(name):
                runs = [verify(keys, digests, sigs, low_s=low_s, threads=1, cache=False),
                        verify(keys, digests, sigs, low_s=low_s, threads=2),
                        verify(keys, digests, sigs, low_s=low_s, threads=1)]
            assert k1.key_cache.fills > 0 or len(set(keys)) == len(keys)
            for r in runs:
                first = r if first is None else first
                assert (r == first).all(), (name, np.flatnonzero(r != first))
    finally:
        k1.key_cache = saved
    return first


# --- strict DER (X.690 DER as BIP 66 requires it) ---

def _der_len(buf: bytes, i: int):
    if i >= len(buf):
        return None
    first = buf[i]
    if first < 0x80:
        return first, i + 1
    nbytes = first & 0x7F
    if nbytes == 0 or nbytes > 2 or i + 1 + nbytes > len(buf):
        return None
    value = int.from_bytes(buf[i + 1 : i + 1 + nbytes], "big")
    if value < 0x80 or buf[i + 1] == 0:  # long form where short form fits, or padded length
        return None
    return value, i + 1 + nbytes


def _der_int(buf: bytes, i: int):
    if i >= len(buf) or buf[i] != 0x02:
        return None
    ln = _der_len(buf, i + 1)
    if ln is None:
        return None
    length, j = ln
    body = buf[j : j + length]
    if length == 0 or len(body) != length:
        return None
    if body[0] & 0x80:
        return None  # negative
    if length > 1 and body[0] == 0 and not body[1] & 0x80:
        return None  # non-minimal
    return int.from_bytes(body, "big"), j + length


def parse_der(sig: bytes) -> bytes | None:
    """r||s (64 bytes) from a strict DER ECDSA signature, or None.  r, s >= 2^256 -> None (they are >= n)."""
    if len(sig) < 2 or sig[0] != 0x30:
        return None
    ln = _der_len(sig, 1)
    if ln is None:
        return None
    length, i = ln
    if i + length != len(sig):
        return None
    r = _der_int(sig, i)
    if r is None:
        return None
    s = _der_int(sig, r[1])
    if s is None or s[1] != len(sig):
        return None
    if r[0] >= 2**256 or s[0] >= 2**256:
        return None
    return _b(r[0]) + _b(s[0])


def _wycheproof(name: str):
    path = vector_file("wycheproof", name)
    data = json.loads(path.read_text())
    rows = []
    for group in data["testGroups"]:
        key = bytes.fromhex(group["publicKey"]["uncompressed"])
        for t in group["tests"]:
            rows.append((key, hashlib.sha256(bytes.fromhex(t["msg"])).digest(), bytes.fromhex(t["sig"]),
                         t["result"], t["tcId"]))
    assert len(rows) == data["numberOfTests"]
    return rows


def _check_wycheproof(rows, der: bool, low_s: bool):
    keys, digests, sigs = [], [], []
    for key, digest, sig, _, _ in rows:
        raw = parse_der(sig) if der else sig
        keys.append(key)
        digests.append(digest)
        sigs.append(raw if raw is not None else b"")
    # verify as uncompressed keys and again as compressed ones, at every tier, cached and not
    comp = [bytes([2 | (k[64] & 1)]) + k[1:33] for k in keys]
    for ks in (keys, comp):
        got = _every_way(ks, digests, sigs, low_s=low_s)
        for (_, _, _, result, tc), g in zip(rows, got):
            if result != "acceptable":
                assert bool(g) == (result == "valid"), f"tcId {tc}: expected {result}, got {bool(g)}"


def test_wycheproof_p1363():
    _check_wycheproof(_wycheproof("ecdsa_secp256k1_sha256_p1363_test.json"), der=False, low_s=False)


def test_wycheproof_der():
    _check_wycheproof(_wycheproof("ecdsa_secp256k1_sha256_test.json"), der=True, low_s=False)


def test_wycheproof_bitcoin_low_s():
    _check_wycheproof(_wycheproof("ecdsa_secp256k1_sha256_bitcoin_test.json"), der=True, low_s=True)


# --- random cross-checks ---

def _keypairs(rnd, count):
    from ledgerval.reference import ecc

    privs = [rnd.randrange(1, N) for _ in range(count)]
    pubs = k1.pubkeys(_arr([_b(d) for d in privs], 32))
    for d, pub in list(zip(privs, pubs))[:8]:  # the native key derivation agrees with the reference
        assert bytes(pub) == ecc.public_key(ecc.SECP256K1, d)
    return privs, [bytes(p) for p in pubs]


def _uncompressed(pub33: bytes) -> bytes:
    x = int.from_bytes(pub33[1:], "big")
    y = pow((x**3 + 7) % P, (P + 1) // 4, P)
    if y & 1 != pub33[0] & 1:
        y = P - y
    return b"\x04" + _b(x) + _b(y)


def _corrupt(rnd, key, digest, sig):
    """One random corruption of a valid (key, digest, sig) triple."""
    kind = rnd.randrange(7)
    sig, digest, key = bytearray(sig), bytearray(digest), bytearray(key)
    if kind == 0:
        sig[rnd.randrange(64)] ^= 1 << rnd.randrange(8)
    elif kind == 1:
        digest[rnd.randrange(32)] ^= 1 << rnd.randrange(8)
    elif kind == 2:
        key[1 + rnd.randrange(len(key) - 1)] ^= 1 << rnd.randrange(8)
    elif kind == 3:
        key[0] ^= 1  # other parity (compressed) or a bad prefix (uncompressed)
    elif kind == 4:  # s -> n - s: still valid without low_s, so corrupt r too
        s = int.from_bytes(sig[32:], "big")
        sig[32:] = _b(N - s)
        sig[0] ^= 0x80
    elif kind == 5:
        sig[:32] = _b(rnd.choice([0, N, N + 1, 2**256 - 1]))
    else:
        sig[32:] = _b(rnd.choice([0, N, N + 5, 2**256 - 1]))
    return bytes(key), bytes(digest), bytes(sig)


def test_random_cross_check_with_reference_and_peers():
    from ledgerval.reference import ecc

    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    count = 12 if QUICK else 120
    privs, pubs = _keypairs(rnd, count)
    keys, digests, sigs = [], [], []
    for i, (d, pub) in enumerate(zip(privs, pubs)):
        digest = rnd.randbytes(32)
        sig = ecc.ecdsa_sign(ecc.SECP256K1, d, digest, rnd.randrange(1, N))
        key = pub if i % 2 else _uncompressed(pub)
        keys.append(key), digests.append(digest), sigs.append(sig)
        ck, cd, cs = _corrupt(rnd, key, digest, sig)
        keys.append(ck), digests.append(cd), sigs.append(cs)
    got = verify(keys, digests, sigs)
    got_low = verify(keys, digests, sigs, low_s=True)
    for k, dg, s, g, gl in zip(keys, digests, sigs, got, got_low):
        assert bool(g) == ecc.ecdsa_verify(ecc.SECP256K1, k, dg, s), (k.hex(), dg.hex(), s.hex())
        assert bool(gl) == ecc.ecdsa_verify(ecc.SECP256K1, k, dg, s, low_s=True)
    assert got[0::2].all() and not got[1::2].any()

    # pycryptodome's own secp256k1 verifier ('sec1' mode), fed the digest as it is
    from Crypto.PublicKey import ECC
    from Crypto.Signature import DSS

    class _Digest:  # a pre-hashed message in the shape DSS expects of a hash object
        digest_size = 32
        oid = "2.16.840.1.101.3.4.2.1"

        def __init__(self, value):
            self.value = value

        def digest(self):
            return self.value

    for k, dg, s, g in list(zip(keys, digests, sigs, got))[: 20 if QUICK else 120]:
        try:
            verifier = DSS.new(ECC.import_key(k, curve_name="secp256k1"), "sec1")
            verifier.verify(_Digest(dg), s)
            ok = True
        except ValueError:
            ok = False
        assert bool(g) == ok, (k.hex(), dg.hex(), s.hex())


def test_cross_check_with_coincurve():
    coincurve = pytest.importorskip("coincurve")
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    count = 12 if QUICK else 150
    keys, digests, sigs, expect = [], [], [], []
    for i in range(count):
        sk = coincurve.PrivateKey(_b(rnd.randrange(1, N)))
        digest = rnd.randbytes(32)
        compact = sk.sign_recoverable(digest, hasher=None)[:64]
        key = sk.public_key.format(compressed=bool(i % 2))
        for kk, dd, ss in [(key, digest, compact), _corrupt(rnd, key, digest, compact)]:
            keys.append(kk), digests.append(dd), sigs.append(ss)
            try:
                pk = coincurve.PublicKey(kk)
                r_, s_ = int.from_bytes(ss[:32], "big"), int.from_bytes(ss[32:], "big")
                if not (0 < r_ < N and 0 < s_ < N):
                    ok = False
                else:
                    # libsecp256k1 rejects high S; normalising it first gives plain ECDSA's verdict
                    s_ = min(s_, N - s_)
                    ok = pk.verify(_to_der(r_, s_), dd, hasher=None)
            except (ValueError, TypeError):
                ok = False
            expect.append(ok)
    # each key signs twice, so the cached runs read its split or IFMA table
    keys, digests, sigs, expect = keys * 2, digests * 2, sigs * 2, expect * 2
    got = _every_way(keys, digests, sigs)
    assert list(map(bool, got)) == expect


def _to_der(r: int, s: int) -> bytes:
    def enc(v):
        b = v.to_bytes((v.bit_length() + 8) // 8, "big")
        return b"\x02" + bytes([len(b)]) + b
    body = enc(r) + enc(s)
    return b"\x30" + bytes([len(body)]) + body


def test_malformed_inputs_are_false():
    rnd = random.Random(3)
    from ledgerval.reference import ecc

    d = rnd.randrange(1, N)
    digest = rnd.randbytes(32)
    sig = ecc.ecdsa_sign(ecc.SECP256K1, d, digest, rnd.randrange(1, N))
    pub = ecc.public_key(ecc.SECP256K1, d)
    unc = _uncompressed(pub)
    r, s = sig[:32], sig[32:]
    bad_keys = [
        b"\x04" + b"\x00" * 64,                      # "infinity" as coordinates (0, 0): off curve
        b"\x00" * 33,                                # 00 prefix
        b"\x00",                                     # SEC1 infinity (length 1 -> key_len 0)
        b"\x05" + pub[1:],                           # bad prefix
        b"\x06" + unc[1:], b"\x07" + unc[1:],        # hybrid keys are not accepted
        b"\x02" + _b(P), b"\x03" + _b(P + 1),        # x >= p
        b"\x02" + _b(2**256 - 1),
        b"\x04" + _b(P) + unc[33:],                  # x >= p uncompressed
        b"\x04" + unc[1:33] + _b(int.from_bytes(unc[33:], "big") + P if int.from_bytes(unc[33:], "big") + P < 2**256 else P),
        unc[:64] + bytes([unc[64] ^ 1]),             # off curve
        b"\x02" + _b(5),                             # x^3 + 7 not a square for x = 5
        pub[:32], unc + b"\x00",                     # wrong lengths
    ]
    for key in bad_keys:
        assert not verify([key], [digest], [sig])[0], key.hex()
    bad_sigs = [_b(0) + s, r + _b(0), _b(N) + s, r + _b(N), _b(N + int.from_bytes(r, "big"))[-32:] + s
                if N + int.from_bytes(r, "big") < 2**256 else _b(2**256 - 1) + s, r + _b(2**256 - 1),
                b"\x00" * 64, b"\xff" * 64, sig[:63], sig + b"\x00"]
    for sg in bad_sigs:
        assert not verify([pub], [digest], [sg])[0], sg.hex()
    assert verify([pub, unc], [digest] * 2, [sig] * 2).all()


def test_high_s_and_r_plus_n_case():
    """high S passes unless low_s; a signature whose x(R) lies in [n, p) (so r = x - n) verifies."""
    from ledgerval.reference import ecc

    rnd = random.Random(11)
    d = rnd.randrange(1, N)
    digest = rnd.randbytes(32)
    sig = ecc.ecdsa_sign(ecc.SECP256K1, d, digest, rnd.randrange(1, N))
    pub = ecc.public_key(ecc.SECP256K1, d)
    s = int.from_bytes(sig[32:], "big")
    high = sig[:32] + _b(max(s, N - s))
    low = sig[:32] + _b(min(s, N - s))
    assert list(verify([pub] * 2, [digest] * 2, [high, low])) == [True, True]
    assert list(verify([pub] * 2, [digest] * 2, [high, low], low_s=True)) == [False, True]
    # x(R) >= n: pick R with such an x, then choose Q and s so that the signature holds.
    x = N + 1
    while pow((x**3 + 7) % P, (P - 1) // 2, P) != 1:
        x += 1
    r = x - N
    y = pow((x**3 + 7) % P, (P + 1) // 4, P)
    # Q = (s R - e G) / r for a chosen s, e: then u1 G + u2 Q = R
    e, s = rnd.randrange(N), rnd.randrange(1, N)
    sR = ecc.scalar_mult(ecc.SECP256K1, s, (x, y))
    eG = ecc.scalar_mult(ecc.SECP256K1, (-e) % N, ecc.SECP256K1.g)
    Q = ecc.scalar_mult(ecc.SECP256K1, pow(r, -1, N), ecc.point_add(ecc.SECP256K1, sR, eG))
    key = ecc.encode_pubkey(ecc.SECP256K1, Q)
    good = _b(r) + _b(s)
    assert ecc.ecdsa_verify(ecc.SECP256K1, key, _b(e), good)
    assert verify([key], [_b(e)], [good])[0]
    assert not verify([key], [_b(e)], [_b(r + 1) + _b(s)])[0]
    # digests >= n are reduced mod n
    e2 = e + N if e + N < 2**256 else e
    assert verify([key], [_b(e2)], [good])[0]


def test_sign_matches_reference_and_rejects_bad_scalars():
    from ledgerval.errors import InvalidArgument
    from ledgerval.reference import ecc

    rnd = random.Random(5)
    count = 4 if QUICK else 20
    privs = [rnd.randrange(1, N) for _ in range(count)]
    nonces = [rnd.randrange(1, N) for _ in range(count)]
    digests = [rnd.randbytes(32) for _ in range(count)]
    out = k1.sign(_arr([_b(d) for d in privs], 32), _arr(digests, 32), _arr([_b(k) for k in nonces], 32))
    for d, k, dg, sg in zip(privs, nonces, digests, out):
        assert bytes(sg) == ecc.ecdsa_sign(ecc.SECP256K1, d, dg, k)
    for bad_d, bad_k in [(0, 1), (N, 1), (1, 0), (1, N), (2**256 - 1, 1)]:
        with pytest.raises(InvalidArgument):
            k1.sign(_arr([_b(bad_d)], 32), _arr([digests[0]], 32), _arr([_b(bad_k)], 32))
    with pytest.raises(InvalidArgument):
        k1.pubkeys(_arr([_b(0)], 32))
    with pytest.raises(InvalidArgument):
        k1.pubkeys(_arr([_b(N)], 32))


def test_recover_matches_coincurve_and_reference():
    from ledgerval.reference import ecc

    coincurve = pytest.importorskip("coincurve")
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    count = 8 if QUICK else 60
    digests, sigs, expect = [], [], []
    for i in range(count):
        sk = coincurve.PrivateKey(_b(rnd.randrange(1, N)))
        digest = rnd.randbytes(32)
        sig = bytearray(sk.sign_recoverable(digest, hasher=None))
        if i % 3 == 1:
            sig[64] += 27
        digests.append(digest), sigs.append(bytes(sig)), expect.append(sk.public_key.format())
        bad = bytearray(sig)
        choice = i % 4
        if choice == 0:
            bad[64] = 4 + rnd.randrange(23)       # v out of range
        elif choice == 1:
            bad[rnd.randrange(64)] ^= 0x10       # wrong key or no such R
        elif choice == 2:
            bad[:32] = _b(0)
        else:
            bad[64] ^= 2                        # r + n: almost never a valid x
        digests.append(digest), sigs.append(bytes(bad)), expect.append(ecc.ecdsa_recover(digest, bytes(bad)))
    keys, ok = ledgerval.recover_batch(digests, sigs)
    for dg, sg, e, key, good in zip(digests, sigs, expect, keys, ok):
        ref = ecc.ecdsa_recover(dg, sg)
        assert (bytes(key) if good else None) == ref
        if e is not None:
            assert bytes(key) == e
        if not good:
            assert not key.any()
    # wrong lengths are False, never an exception
    keys, ok = ledgerval.recover_batch([digests[0], digests[0][:31]], [sigs[0][:64], sigs[0]])
    assert not ok.any()


def test_recover_r_plus_n():
    """v & 2: x(R) = r + n, for an R whose x lies in [n, p)."""
    from ledgerval.reference import ecc

    rnd = random.Random(13)
    x = N + 7
    while pow((x**3 + 7) % P, (P - 1) // 2, P) != 1:
        x += 1
    r = x - N
    s, e = rnd.randrange(1, N), rnd.randrange(N)
    for parity in (0, 1):
        sig = _b(r) + _b(s) + bytes([2 | parity])
        ref = ecc.ecdsa_recover(_b(e), sig)
        keys, ok = ledgerval.recover_batch([_b(e)], [sig])
        assert ref is not None and ok[0] and bytes(keys[0]) == ref


def test_thread_count_and_batch_position_do_not_change_results():
    from ledgerval.reference import ecc

    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    count = 40 if QUICK else 200
    privs, pubs = _keypairs(rnd, 8)
    keys, digests, sigs = [], [], []
    for i in range(count):
        j = rnd.randrange(8)
        dg = rnd.randbytes(32)
        sg = ecc.ecdsa_sign(ecc.SECP256K1, privs[j], dg, rnd.randrange(1, N))
        if rnd.random() < 0.4:
            pubs_j, dg, sg = _corrupt(rnd, pubs[j], dg, sg)
        else:
            pubs_j = pubs[j]
        keys.append(pubs_j), digests.append(dg), sigs.append(sg)
    base = verify(keys, digests, sigs, threads=1)
    for t in (2, 3, 7):
        assert (verify(keys, digests, sigs, threads=t) == base).all()
    one_by_one = np.array([verify([k], [d], [s])[0] for k, d, s in zip(keys, digests, sigs)])
    assert (one_by_one == base).all()
    perm = np.random.default_rng(seed).permutation(count)
    permuted = verify([keys[i] for i in perm], [digests[i] for i in perm], [sigs[i] for i in perm], threads=2)
    assert (permuted == base[perm]).all()


def test_wrapper_misuse_raises():
    from ledgerval.errors import InvalidArgument, InvalidType

    z = np.zeros
    with pytest.raises(InvalidType):
        k1.verify(z((1, 65), np.int8), z(1, np.uint8), z((1, 32), np.uint8), z((1, 64), np.uint8))
    with pytest.raises(InvalidArgument):
        k1.verify(z((1, 65), np.uint8), z(1, np.uint8), z((2, 32), np.uint8), z((1, 64), np.uint8))
    with pytest.raises(InvalidArgument):
        ledgerval.recover_batch([b"\x00" * 32], [])
    assert k1.verify(z((0, 65), np.uint8), z(0, np.uint8), z((0, 32), np.uint8), z((0, 64), np.uint8)).shape == (0,)


def test_portable_and_vector_paths_agree():
    """Masking every CPU feature forces the portable paths; verdicts must not change."""
    from ledgerval.native import cpu_mask
    from ledgerval.reference import ecc

    rnd = random.Random(17)
    count = 24 if QUICK else 100
    privs, pubs = _keypairs(rnd, count)
    keys, digests, sigs = [], [], []
    for i, (d, pub) in enumerate(zip(privs, pubs)):
        dg = rnd.randbytes(32)
        sg = ecc.ecdsa_sign(ecc.SECP256K1, d, dg, rnd.randrange(1, N))
        if i % 3 == 0:
            pub, dg, sg = _corrupt(rnd, pub, dg, sg)
        if i % 5 == 0:  # x with no square root: a key that must not decompress
            pub = b"\x02" + _b(5)
        keys.append(pub), digests.append(dg), sigs.append(sg)
    fast = verify(keys, digests, sigs)
    with cpu_mask(0):
        slow = verify(keys, digests, sigs)
    assert (fast == slow).all()
    assert fast.any() and not fast.all()
    sig65 = [sg + bytes([i % 4]) for i, sg in enumerate(sigs)]
    fast_keys, fast_ok = ledgerval.recover_batch(digests, sig65)
    with cpu_mask(0):
        slow_keys, slow_ok = ledgerval.recover_batch(digests, sig65)
    assert (fast_ok == slow_ok).all() and (fast_keys == slow_keys).all() and fast_ok.any()
    for dg, sg, key, ok in list(zip(digests, sig65, fast_keys, fast_ok))[:12]:
        assert (bytes(key) if ok else None) == ecc.ecdsa_recover(dg, sg)


def test_many_signatures_both_paths():
    """Volume: rare lane or carry bugs show up as a valid signature rejected or a bad one accepted."""
    from ledgerval.native import cpu_mask

    seed = random.randrange(2**32)
    print("seed", seed)
    rng = np.random.default_rng(seed)
    count = 160 if QUICK else 3000

    def scalars():
        out = np.zeros((count, 32), np.uint8)
        for i in range(count):
            out[i] = np.frombuffer((int.from_bytes(rng.bytes(32), "big") % (N - 1) + 1).to_bytes(32, "big"), np.uint8)
        return out
    privs, nonces = scalars(), scalars()
    digests = rng.integers(0, 256, (count, 32), dtype=np.uint8)
    keys = np.zeros((count, 65), np.uint8)
    keys[:, :33] = k1.pubkeys(privs)
    lens = np.full(count, 33, np.uint8)
    sigs = k1.sign(privs, digests, nonces)
    bad = digests.copy()
    bad[np.arange(count), rng.integers(0, 32, count)] ^= np.uint8(1) << rng.integers(0, 8, count).astype(np.uint8)
    assert k1.verify(keys, lens, digests, sigs, threads=2).all()
    assert not k1.verify(keys, lens, bad, sigs, threads=2).any()
    with cpu_mask(0):
        sub = slice(0, count // 4)
        assert k1.verify(keys[sub], lens[sub], digests[sub], sigs[sub]).all()
        assert not k1.verify(keys[sub], lens[sub], bad[sub], sigs[sub]).any()


def test_fuzz_random_bytes_match_reference():
    """Random keys (any prefix and length), signatures and digests: never an error, same verdict as the
    reference.  Keys with prefix 02/03 and a random x decode half the time, so the curve path is reached."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    from ledgerval.reference import ecc

    prefix = st.sampled_from([0, 2, 3, 4, 5, 6, 7, 0xFF])
    key = st.one_of(
        st.tuples(prefix, st.binary(min_size=32, max_size=32)).map(lambda t: bytes([t[0]]) + t[1]),
        st.tuples(prefix, st.binary(min_size=64, max_size=64)).map(lambda t: bytes([t[0]]) + t[1]),
        st.binary(max_size=70),
    )
    scalar32 = st.one_of(st.binary(min_size=32, max_size=32),
                         st.sampled_from([0, 1, N - 1, N, N + 1, 2**256 - 1]).map(_b))

    @hypothesis.settings(max_examples=60 if QUICK else 250, deadline=None, derandomize=True)
    @hypothesis.given(st.lists(st.tuples(key, st.binary(min_size=32, max_size=32), scalar32, scalar32),
                               min_size=1, max_size=12), st.booleans())
    def check(items, low_s):
        keys = [k for k, _, _, _ in items]
        digests = [d for _, d, _, _ in items]
        sigs = [r + s for _, _, r, s in items]
        got = verify(keys, digests, sigs, low_s=low_s)
        for k, d, sg, g in zip(keys, digests, sigs, got):
            assert bool(g) == ecc.ecdsa_verify(ecc.SECP256K1, k, d, sg, low_s=low_s)
        sig65 = [sg + bytes([len(k) % 31]) for k, sg in zip(keys, sigs)]
        rec, ok = ledgerval.recover_batch(digests, sig65)
        for d, sg, key_out, good in zip(digests, sig65, rec, ok):
            assert (bytes(key_out) if good else None) == ecc.ecdsa_recover(d, sg)

    check()


# --- verify_start: the background form the Bitcoin adapter overlaps with its Python work ---------------

def _mixed_batch(seed: int, count: int):
    from ledgerval.reference import ecc

    rnd = random.Random(seed)
    privs, pubs = _keypairs(rnd, 6)
    keys, digests, sigs = [], [], []
    for _ in range(count):
        j = rnd.randrange(6)
        dg = rnd.randbytes(32)
        sg = ecc.ecdsa_sign(ecc.SECP256K1, privs[j], dg, rnd.randrange(1, N))
        key = pubs[j]
        if rnd.random() < 0.3:
            key, dg, sg = _corrupt(rnd, key, dg, sg)
        keys.append(key), digests.append(dg), sigs.append(sg)
    lens = np.array([len(k) if len(k) in (33, 65) else 0 for k in keys], dtype=np.uint8)
    ka = _arr([k if len(k) in (33, 65) else b"" for k in keys], 65)
    sa = _arr([s if len(s) == 64 else bytes(64) for s in sigs], 64)
    return ka, lens, _arr(digests, 32), sa


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("cache", [True, False])
def test_verify_start_matches_verify(threads, cache):
    """Every size around the claim unit (32 items), with repeated keys (cache slots) and corrupted items."""
    seed = random.randrange(2**32)
    print("seed", seed)
    for count in (1, 31, 32, 33, 65, 100 if QUICK else 300):
        k1.key_cache.clear()
        ka, lens, dg, sg = _mixed_batch(seed + count, count)
        want = k1.verify(ka, lens, dg, sg, threads=1, cache=False)
        pending = k1.verify_start(ka, lens, dg, sg, threads=threads, cache=cache)
        got = pending.result()
        assert (got == want).all()
        assert pending.result() is got  # joined once; later calls return the same array
    assert int(k1.key_cache._pins.sum()) == 0  # every lease released


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_verify_claims_and_fixed_halves_agree(threads, monkeypatch):
    """``verify`` claims groups from a shared counter; a build without lv_secp256k1_verify_shared splits the
    batch into fixed chunks instead.  Same verdicts either way, every lease released."""
    seed = random.randrange(2**32)
    print("seed", seed)
    for count in (1, 33, 100 if QUICK else 300):
        k1.key_cache.clear()
        ka, lens, dg, sg = _mixed_batch(seed + count, count)
        claims = [k1.verify(ka, lens, dg, sg, threads=threads) for _ in range(2)]   # the 2nd reads the slots
        with monkeypatch.context() as m:
            real = k1.has
            m.setattr(k1, "has", lambda name: name != "lv_secp256k1_verify_shared" and real(name))
            halves = [k1.verify(ka, lens, dg, sg, threads=threads, cache=c) for c in (True, False)]
        assert all((v == claims[0]).all() for v in claims + halves)
    assert int(k1.key_cache._pins.sum()) == 0


def test_verify_start_misuse_raises_at_start_and_empty_batch():
    from ledgerval.errors import InvalidArgument

    z = np.zeros
    with pytest.raises(InvalidArgument):
        k1.verify_start(z((2, 65), np.uint8), z(2, np.uint8), z((1, 32), np.uint8), z((2, 64), np.uint8))
    assert k1.verify_start(z((0, 65), np.uint8), z(0, np.uint8), z((0, 32), np.uint8),
                           z((0, 64), np.uint8)).result().shape == (0,)


def test_verify_start_overlaps_python_work():
    """The helpers make progress while the caller holds the GIL in pure Python: after a busy Python loop
    long enough for the whole batch on one other core, most items are already claimed."""
    ka, lens, dg, sg = _mixed_batch(7, 256)
    pending = k1.verify_start(ka, lens, dg, sg, threads=2, cache=False)
    import time

    end = time.perf_counter() + 0.25
    while time.perf_counter() < end:  # pure Python: the GIL is held except at the switch interval
        pass
    claimed = int(pending._next[0])
    assert (pending.result() == k1.verify(ka, lens, dg, sg, threads=1, cache=False)).all()
    from ledgerval.native._pool import cpu_count

    if cpu_count() > 1:
        assert claimed >= 128, claimed


def test_path_dispatch_follows_the_tier():
    """The IFMA lanes run exactly where the tier keeps AVX-512 IFMA, the MULX/ADX chain where it keeps BMI2
    and ADX (and the CPU has them); the scalar path is always there."""
    assert k1.lib.lv_secp256k1_path_ok(k1.lib.LV_SECP256K1_PATH_SCALAR)
    assert not k1.lib.lv_secp256k1_path_ok(99)
    feats = cpu_features()
    for name in TIERS:
        with tier_mask(name):
            ifma = k1.lib.lv_secp256k1_path_ok(k1.lib.LV_SECP256K1_PATH_IFMA8)
            assert ifma == (name == "avx512-ifma"), name
            adx = k1.lib.lv_secp256k1_path_ok(k1.lib.LV_SECP256K1_PATH_ADX)
            assert adx == (name != "portable" and feats["BMI2"] and feats["ADX"]), name
            want = (k1.lib.LV_SECP256K1_PATH_IFMA8 if ifma else k1.lib.LV_SECP256K1_PATH_ADX if adx
                    else k1.lib.LV_SECP256K1_PATH_SCALAR)
            assert k1.lib.lv_secp256k1_best_path() == want
