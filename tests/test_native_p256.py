"""ECDSA P-256 native kernel (native/p256.py): Wycheproof (raw and DER), cross-checks against OpenSSL
(cryptography), pycryptodome and the reference, malformed input, thread-count independence, signing.

Wycheproof policy: the verifier hashes, so the digest is sha256(msg); a DER signature that does not parse
strictly (minimal lengths, no trailing bytes, positive minimal INTEGERs of at most 33 bytes) is invalid
before the kernel sees it; "acceptable" may go either way (there are none in these two files today)."""
from __future__ import annotations

import hashlib
import json
import os
import random

import numpy as np
import pytest

from ledgerval.native import p256
from ledgerval.reference import ecc
from conftest import vector_file

pytestmark = pytest.mark.skipif(not p256.AVAILABLE, reason="native P-256 kernel not built")

SEED = int(os.environ.get("LV_TEST_SEED", "2561"))
SAN = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
NRAND = 12 if SAN else 120
C = ecc.P256
N = C.n


def batch(rows):
    """rows of (key bytes, digest, sig64) -> kernel arrays."""
    n = len(rows)
    keys = np.zeros((n, 65), np.uint8)
    lens = np.zeros(n, np.uint8)
    dig = np.zeros((n, 32), np.uint8)
    sig = np.zeros((n, 64), np.uint8)
    for i, (k, d, s) in enumerate(rows):
        if len(k) in (33, 65):
            keys[i, : len(k)] = np.frombuffer(k, np.uint8)
            lens[i] = len(k)
        dig[i] = np.frombuffer(d, np.uint8)
        sig[i] = np.frombuffer(s, np.uint8)
    return keys, lens, dig, sig


def run(rows, low_s=False, threads=1):
    return p256.verify(*batch(rows), low_s=low_s, threads=threads)


def der_parse_strict(b: bytes):
    """(r, s) from a strict DER SEQUENCE of two INTEGERs, else None."""
    def length(i):
        if i >= len(b):
            return None, i
        L = b[i]
        if L < 0x80:
            return L, i + 1
        if L == 0x81 and i + 1 < len(b) and b[i + 1] >= 0x80:
            return b[i + 1], i + 2
        return None, i

    def integer(i):
        if i >= len(b) or b[i] != 0x02:
            return None, i
        L, i = length(i + 1)
        if L is None or L == 0 or L > 33 or i + L > len(b):
            return None, i
        v = b[i : i + L]
        if v[0] & 0x80 or (L > 1 and v[0] == 0 and not v[1] & 0x80):
            return None, i
        return int.from_bytes(v, "big"), i + L

    if len(b) < 2 or b[0] != 0x30:
        return None
    L, i = length(1)
    if L is None or i + L != len(b):
        return None
    r, i = integer(i)
    if r is None:
        return None
    s, i = integer(i)
    if s is None or i != len(b):
        return None
    return r, s


def wycheproof_rows(name, der):
    path = vector_file("wycheproof", name)
    data = json.loads(path.read_text())
    rows, expect, ids = [], [], []
    for g in data["testGroups"]:
        key = bytes.fromhex(g["publicKey"]["uncompressed"])
        for t in g["tests"]:
            sig = bytes.fromhex(t["sig"])
            digest = hashlib.sha256(bytes.fromhex(t["msg"])).digest()
            if der:
                rs = der_parse_strict(sig)
                if rs is None or rs[0] >= 2**256 or rs[1] >= 2**256:
                    sig64 = None
                else:
                    sig64 = rs[0].to_bytes(32, "big") + rs[1].to_bytes(32, "big")
            else:
                sig64 = sig if len(sig) == 64 else None
            ids.append(t["tcId"])
            expect.append(t["result"])
            rows.append((key, digest, sig64))
    return rows, expect, ids


@pytest.mark.parametrize("keypath", ["tables", "lane_tables", "plain", "plain_noifma"])
@pytest.mark.parametrize("name,der", [("ecdsa_secp256r1_sha256_p1363_test.json", False),
                                      ("ecdsa_secp256r1_sha256_test.json", True)])
def test_wycheproof(name, der, keypath, monkeypatch):
    """Keys repeat within a file, so by default they get key tables at once; "plain" disables the table
    cache so the same vectors also run through the per-call path (the 8-lane IFMA kernel where the CPU
    has it; "plain_noifma" masks it off).  The 4x64 tables are only used without IFMA, so "tables" masks it
    off; "lane_tables" runs the IFMA lanes' own key tables."""
    from ledgerval.native import cpu_mask, lib
    from ledgerval.native._wei3 import KeyTableCache, lanes_outrun_tables

    cache = KeyTableCache(p256.keytabs, p256.table_cache._tb, maxsize=0 if keypath != "tables" else 1024)
    monkeypatch.setattr(p256, "table_cache", cache)
    if p256.lane_table_cache is not None:
        lane = KeyTableCache(p256.keytabs8, p256.lane_table_cache._tb, maxsize=1024 if keypath == "lane_tables" else 0)
        monkeypatch.setattr(p256, "lane_table_cache", lane)
    if keypath == "lane_tables" and not (p256.lane_table_cache is not None and lanes_outrun_tables()):
        pytest.skip("no AVX-512 IFMA lanes on this CPU")
    rows, expect, ids = wycheproof_rows(name, der)
    usable = [i for i, r in enumerate(rows) if r[2] is not None]
    got = np.zeros(len(rows), bool)
    with cpu_mask(0xFFFFFFFF if keypath in ("plain", "lane_tables") else 0xFFFFFFFF & ~lib.LV_CPU_AVX512IFMA):
        got[usable] = run([rows[i] for i in usable], threads=2)
    if keypath == "lane_tables":
        assert len(p256.lane_table_cache) > 0   # keys repeat within a file: tables at once
    bad = [(ids[i], expect[i]) for i in range(len(rows))
           if expect[i] != "acceptable" and got[i] != (expect[i] == "valid")]
    assert not bad, bad[:10]
    assert sum(e == "valid" for e in expect) > 0


def _crypto_key(d):
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.derive_private_key(d, ec.SECP256R1())


def test_cross_check_openssl():
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    rnd = random.Random(SEED)
    print("seed", SEED)
    alg = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
    rows, expect = [], []
    for i in range(NRAND):
        sk = _crypto_key(rnd.randrange(1, N))
        pub = sk.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
                                           if i % 2 else serialization.PublicFormat.UncompressedPoint)
        digest = rnd.randbytes(32)
        r, s = utils.decode_dss_signature(sk.sign(digest, alg))
        sig = bytearray(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        dig = bytearray(digest)
        kind = i % 4
        if kind == 1:
            sig[rnd.randrange(64)] ^= 1 << rnd.randrange(8)
        elif kind == 2:
            dig[rnd.randrange(32)] ^= 1 << rnd.randrange(8)
        elif kind == 3:   # the other S, accepted unless low_s
            sig[32:] = (N - s).to_bytes(32, "big")
        try:
            sk.public_key().verify(utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                                              int.from_bytes(sig[32:], "big")), bytes(dig), alg)
            ok = True
        except Exception:
            ok = False
        rows.append((pub, bytes(dig), bytes(sig)))
        expect.append(ok)
    assert list(run(rows)) == expect
    assert sum(expect) >= NRAND // 2


def test_native_signatures_verify_in_openssl_and_pycryptodome():
    pytest.importorskip("cryptography")
    from Crypto.Hash import SHA256
    from Crypto.PublicKey import ECC
    from Crypto.Signature import DSS
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    rnd = random.Random(SEED + 1)
    n = max(4, NRAND // 4)
    ds = [rnd.randrange(1, N) for _ in range(n)]
    ks = [rnd.randrange(1, N) for _ in range(n)]
    msgs = [rnd.randbytes(20) for _ in range(n)]
    digs = [hashlib.sha256(m).digest() for m in msgs]
    arr = lambda xs: np.frombuffer(b"".join(x.to_bytes(32, "big") for x in xs), np.uint8).reshape(-1, 32)
    sigs = p256.sign(arr(ds), np.frombuffer(b"".join(digs), np.uint8).reshape(-1, 32), arr(ks))
    pubs = p256.pubkeys(arr(ds))
    for i in range(n):
        assert pubs[i].tobytes() == ecc.public_key(C, ds[i])
        assert sigs[i].tobytes() == ecc.ecdsa_sign(C, ds[i], digs[i], ks[i])
        r, s = int.from_bytes(sigs[i, :32].tobytes(), "big"), int.from_bytes(sigs[i, 32:].tobytes(), "big")
        _crypto_key(ds[i]).public_key().verify(utils.encode_dss_signature(r, s), digs[i],
                                              ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        key = ECC.construct(curve="P-256", d=ds[i])
        DSS.new(key.public_key(), "fips-186-3").verify(SHA256.new(msgs[i]), sigs[i].tobytes())
    assert run([(pubs[i].tobytes(), digs[i], sigs[i].tobytes()) for i in range(n)]).all()


def test_pycryptodome_signatures_and_reference():
    from Crypto.Hash import SHA256
    from Crypto.PublicKey import ECC
    from Crypto.Signature import DSS

    rnd = random.Random(SEED + 2)
    rows, expect = [], []
    for i in range(max(4, NRAND // 3)):
        key = ECC.construct(curve="P-256", d=rnd.randrange(1, N))
        m = rnd.randbytes(rnd.randrange(0, 50))
        sig = bytearray(DSS.new(key, "fips-186-3").sign(SHA256.new(m)))
        if i % 3 == 1:
            sig[rnd.randrange(64)] ^= 0x40
        pub = key.public_key().export_key(format="SEC1", compress=bool(i % 2))
        dig = hashlib.sha256(m).digest()
        rows.append((pub, dig, bytes(sig)))
        expect.append(ecc.ecdsa_verify(C, pub, dig, bytes(sig)))
    assert list(run(rows)) == expect
    assert sum(expect) >= len(expect) // 2


def _good_row(rnd):
    d, k = rnd.randrange(1, N), rnd.randrange(1, N)
    dig = rnd.randbytes(32)
    return ecc.public_key(C, d, compressed=False), dig, ecc.ecdsa_sign(C, d, dig, k)


def test_malformed_inputs_are_false():
    rnd = random.Random(SEED + 3)
    key, dig, sig = _good_row(rnd)
    r, s = sig[:32], sig[32:]
    x, y = key[1:33], key[33:]
    comp = bytes([2 | (key[-1] & 1)]) + x
    nb = N.to_bytes(32, "big")
    p = C.p.to_bytes(32, "big")
    cases = {
        "good": (key, dig, sig),
        "good compressed": (comp, dig, sig),
        "r=0": (key, dig, bytes(32) + s),
        "s=0": (key, dig, r + bytes(32)),
        "r=n": (key, dig, nb + s),
        "s=n": (key, dig, r + nb),
        "r=n+r": (key, dig, ((int.from_bytes(r, "big") + N) % 2**256).to_bytes(32, "big") + s),
        "s=all ff": (key, dig, r + b"\xff" * 32),
        "bad prefix 05": (b"\x05" + key[1:], dig, sig),
        "hybrid 06": (b"\x06" + key[1:], dig, sig),
        "compressed wrong parity": (bytes([comp[0] ^ 1]) + x, dig, sig),
        "compressed prefix 04": (b"\x04" + x, dig, sig),
        "x=p": (b"\x04" + p + y, dig, sig),
        "y+p overflow": (b"\x04" + x + ((int.from_bytes(y, "big") + C.p) % 2**256).to_bytes(32, "big"), dig, sig),
        "off curve": (b"\x04" + x + ((int.from_bytes(y, "big") + 1) % C.p).to_bytes(32, "big"), dig, sig),
        "zero key": (b"\x04" + bytes(64), dig, sig),
        "compressed x=p": (b"\x02" + p, dig, sig),
        "no sqrt": None,
        "empty key": (b"", dig, sig),
        "infinity 00": (b"\x00", dig, sig),
    }
    xs = 0
    while True:   # an x with no point on the curve
        rhs = (xs**3 - 3 * xs + C.b) % C.p
        if pow(rhs, (C.p - 1) // 2, C.p) == C.p - 1:
            break
        xs += 1
    cases["no sqrt"] = (b"\x02" + xs.to_bytes(32, "big"), dig, sig)
    got = dict(zip(cases, run(list(cases.values()))))
    assert got.pop("good") and got.pop("good compressed")
    assert not any(got.values()), [k for k, v in got.items() if v]


def test_low_s_and_r_plus_n_boundary():
    rnd = random.Random(SEED + 4)
    key, dig, sig = _good_row(rnd)
    s = int.from_bytes(sig[32:], "big")
    hi = sig[:32] + max(s, N - s).to_bytes(32, "big")
    lo = sig[:32] + min(s, N - s).to_bytes(32, "big")
    assert list(run([(key, dig, hi), (key, dig, lo)])) == [True, True]
    assert list(run([(key, dig, hi), (key, dig, lo)], low_s=True)) == [False, True]
    # s = n//2 is low, n//2 + 1 is high: a boundary signature built from the reference with k chosen freely
    d = rnd.randrange(1, N)
    pub = ecc.public_key(C, d)
    for target in (N // 2, N // 2 + 1):
        k = rnd.randrange(1, N)
        R = ecc.scalar_mult(C, k, C.g)
        rr = R[0] % N
        # choose e so that s = target: s = k^-1 (e + r d) -> e = s k - r d
        e = (target * k - rr * d) % N
        sg = rr.to_bytes(32, "big") + target.to_bytes(32, "big")
        assert ecc.ecdsa_verify(C, pub, e.to_bytes(32, "big"), sg)
        assert list(run([(pub, e.to_bytes(32, "big"), sg)], low_s=True)) == [target == N // 2]


def test_x_coordinate_above_n():
    """x(R) in [n, p): the signature's r is x(R) - n, the case the verifier checks as (r + n) Z^2 = X."""
    rnd = random.Random(SEED + 5)
    # a point R with x(R) in [n, p), then the key that makes (r = x - n, s, e) verify through R
    x = N
    while True:
        rhs = (x**3 - 3 * x + C.b) % C.p
        y = pow(rhs, (C.p + 1) // 4, C.p)
        if y * y % C.p == rhs:
            break
        x += 1
    R = (x, y)
    r = x - N
    s = rnd.randrange(1, N)
    e = rnd.randrange(1, N)
    # R = u1 G + u2 Q with u1 = e/s, u2 = r/s -> Q = (s R - e G) / r
    sR = ecc.scalar_mult(C, s, R)
    eG = ecc.point_neg(C, ecc.scalar_mult(C, e, C.g))
    Q = ecc.scalar_mult(C, pow(r, -1, N), ecc.point_add(C, sR, eG))
    key = ecc.encode_pubkey(C, Q)
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    dig = e.to_bytes(32, "big")
    assert ecc.ecdsa_verify(C, key, dig, sig)
    assert list(run([(key, dig, sig)])) == [True]
    # and r = x itself (>= n) is out of range
    assert list(run([(key, dig, x.to_bytes(32, "big")[-32:] + sig[32:])])) == [False]


def test_threads_do_not_change_results():
    rnd = random.Random(SEED + 6)
    base = [_good_row(rnd) for _ in range(8)]
    rows = []
    for i in range(40 if SAN else 300):
        k, d, s = base[i % 8]
        if i % 5 == 0:
            s = s[:10] + bytes([s[10] ^ 1]) + s[11:]
        if i % 7 == 0:
            k = k[:1] + bytes([k[1] ^ 2]) + k[2:]
        rows.append((k, d, s))
    ref = run(rows, threads=1)
    for t in (2, 3, 7):
        assert (run(rows, threads=t) == ref).all()
    p256.key_cache.clear()
    assert (run(rows, threads=2) == ref).all()
    # permuting the batch permutes the verdicts
    perm = np.random.default_rng(SEED).permutation(len(rows))
    assert (run([rows[i] for i in perm], threads=2) == ref[perm]).all()


def test_misuse_raises():
    from ledgerval.errors import LedgervalError

    keys, lens, dig, sig = batch([_good_row(random.Random(1))])
    with pytest.raises(LedgervalError):
        p256.verify(keys, lens, dig[:, :31], sig)
    with pytest.raises(LedgervalError):
        p256.verify(keys, lens.astype(np.int64), dig, sig)
    with pytest.raises(LedgervalError):
        p256.verify(keys, lens, np.concatenate([dig, dig]), sig)
    with pytest.raises(LedgervalError):
        p256.sign(np.zeros((1, 32), np.uint8), dig, np.ones((1, 32), np.uint8))
    with pytest.raises(LedgervalError):
        p256.pubkeys(np.full((1, 32), 0xFF, np.uint8))
    assert p256.verify(keys[:0], lens[:0], dig[:0], sig[:0]).shape == (0,)


@pytest.mark.parametrize("ifma", [True, False])
def test_key_cache_path_matches_lanes(ifma):
    """Without IFMA the plain path takes decompressed keys from the key cache; with it, the lanes decompress.
    Both give the reference's verdicts, cold and warm."""
    from ledgerval.native import cpu_mask, lib

    rnd = random.Random(SEED + 11)
    base = [_good_row(rnd) for _ in range(6)]
    rows = []
    for i in range(30):
        k, d, s = base[i % 6]
        if i % 4 == 1:
            s = s[:40] + bytes([s[40] ^ 8]) + s[41:]
        rows.append((k, d, s))
    expect = np.array([ecc.ecdsa_verify(ecc.P256, k, d, s) for k, d, s in rows])
    mask = 0xFFFFFFFF if ifma else 0xFFFFFFFF & ~lib.LV_CPU_AVX512IFMA
    p256.key_cache.clear()
    with cpu_mask(mask):
        assert (run(rows, threads=1) == expect).all()
        assert (run(rows, threads=2) == expect).all()
