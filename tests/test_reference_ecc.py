"""The reference ECDSA/SM2 code (ledgerval.reference.ecc) against Wycheproof, the GM/T SM2 example,
pycryptodome and coincurve, plus malformed-input and round-trip checks."""
from __future__ import annotations

import hashlib
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.reference import ecc
from ledgerval.reference.sm3 import sm3
from conftest import vector_file

CURVES = {"secp256k1": ecc.SECP256K1, "secp256r1": ecc.P256}
SEED = 20240602


def _load(name: str) -> dict:
    path = vector_file("wycheproof", name)
    return json.loads(path.read_text())


# --- a strict DER reader for the Wycheproof DER files --------------------------------------------------------

def _der_len(buf: bytes, pos: int) -> tuple[int, int] | None:
    """(length, next position) of a definite, minimally encoded DER length at buf[pos]."""
    if pos >= len(buf):
        return None
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 2 or pos + 1 + count > len(buf):
        return None  # indefinite form, or absurdly long for a signature
    value = int.from_bytes(buf[pos + 1 : pos + 1 + count], "big")
    if value < 0x80 or buf[pos + 1] == 0:
        return None  # long form where the short form would do, or padded length
    return value, pos + 1 + count


def _der_int(buf: bytes, pos: int) -> tuple[int, int] | None:
    if pos >= len(buf) or buf[pos] != 0x02:
        return None
    got = _der_len(buf, pos + 1)
    if got is None:
        return None
    n, pos = got
    body = buf[pos : pos + n]
    if n == 0 or len(body) != n:
        return None
    if body[0] & 0x80:
        return None  # negative
    if n > 1 and body[0] == 0 and not body[1] & 0x80:
        return None  # superfluous leading zero
    return int.from_bytes(body, "big"), pos + n


def der_to_p1363(sig: bytes) -> bytes | None:
    """r||s from a strictly DER-encoded ECDSA-Sig-Value, or None when it is not strict DER or a value
    does not fit 32 bytes."""
    if len(sig) < 2 or sig[0] != 0x30:
        return None
    got = _der_len(sig, 1)
    if got is None:
        return None
    n, pos = got
    if pos + n != len(sig):
        return None
    r = _der_int(sig, pos)
    if r is None:
        return None
    r, pos = r
    s = _der_int(sig, pos)
    if s is None:
        return None
    s, pos = s
    if pos != len(sig) or r >= 1 << 256 or s >= 1 << 256:
        return None
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _der(r: int, s: int) -> bytes:
    def enc(v):
        b = v.to_bytes((v.bit_length() + 8) // 8, "big")
        return b"\x02" + bytes([len(b)]) + b

    body = enc(r) + enc(s)
    return b"\x30" + bytes([len(body)]) + body


def test_der_reader():
    assert der_to_p1363(_der(1, 2)) == (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
    assert der_to_p1363(_der(1, 2) + b"\x00") is None
    assert der_to_p1363(b"\x30\x06\x02\x01\x01\x02\x02\x00\x02") is None  # leading zero
    assert der_to_p1363(b"\x30\x06\x02\x01\x01\x02\x01\x82") is None  # negative
    assert der_to_p1363(b"\x30\x81\x06\x02\x01\x01\x02\x01\x02") is None  # long-form short length


# --- Wycheproof ---------------------------------------------------------------------------------------------

def _run_wycheproof(name: str, sig_format: str, low_s: bool = False) -> int:
    data = _load(name)
    curve = CURVES[data["testGroups"][0]["publicKey"]["curve"]]
    checked = 0
    failures = []
    for group in data["testGroups"]:
        assert group["sha"] == "SHA-256"
        pub = bytes.fromhex(group["publicKey"]["uncompressed"])
        point = ecc.decode_pubkey(curve, pub)
        assert point is not None
        keys = [pub, ecc.encode_pubkey(curve, point, compressed=True)]
        for tc in group["tests"]:
            digest = hashlib.sha256(bytes.fromhex(tc["msg"])).digest()
            raw = bytes.fromhex(tc["sig"])
            sig = raw if sig_format == "p1363" else der_to_p1363(raw)
            if sig is None:
                # Not strict DER: the verifier must not accept it, so Wycheproof must not call it valid.
                if tc["result"] == "valid":
                    failures.append((tc["tcId"], "strict DER reader rejected a valid vector"))
                continue
            for key in keys:
                got = ecc.ecdsa_verify(curve, key, digest, sig, low_s=low_s)
                if tc["result"] != "acceptable" and got != (tc["result"] == "valid"):
                    failures.append((tc["tcId"], tc["comment"], tc["flags"], got, len(key)))
            checked += 1
    assert not failures, failures
    return checked


@pytest.mark.parametrize("name", ["ecdsa_secp256k1_sha256_p1363_test.json", "ecdsa_secp256r1_sha256_p1363_test.json"])
def test_wycheproof_p1363(name):
    assert _run_wycheproof(name, "p1363") > 200


@pytest.mark.parametrize("name", ["ecdsa_secp256k1_sha256_test.json", "ecdsa_secp256r1_sha256_test.json"])
def test_wycheproof_der(name):
    assert _run_wycheproof(name, "der") > 100


def test_wycheproof_bitcoin_low_s():
    assert _run_wycheproof("ecdsa_secp256k1_sha256_bitcoin_test.json", "der", low_s=True) > 100


# --- SM2: the GM/T 0003.5 example -----------------------------------------------------------------------------

def _gm() -> dict:
    path = vector_file("gm", "sm2_sm3_vectors.json")
    return json.loads(path.read_text())


def test_sm2_gmt_example():
    for v in _gm()["sm2_verify"]:
        x, y = bytes.fromhex(v["public_key_x"]), bytes.fromhex(v["public_key_y"])
        uncompressed = b"\x04" + x + y
        point = ecc.decode_pubkey(ecc.SM2, uncompressed)
        compressed = ecc.encode_pubkey(ecc.SM2, point)
        msg, uid = v["msg_ascii"].encode(), v["id_ascii"].encode()
        za = ecc.sm2_za(uncompressed, uid)
        assert za.hex() == v["za"]
        assert ecc.sm2_za(compressed, uid) == za
        assert sm3(za + msg).hex() == v["e"]
        sig = bytes.fromhex(v["r"] + v["s"])
        for key in (uncompressed, compressed):
            assert ecc.sm2_verify(key, msg, sig) is v["valid"]
            assert not ecc.sm2_verify(key, msg + b"!", sig)
            assert not ecc.sm2_verify(key, msg, sig[:-1] + bytes([sig[-1] ^ 1]))
        # A different user ID changes Z_A and so e: the same signature must fail.
        assert not ecc.sm2_verify(uncompressed, msg, sig, uid=b"ALICE123@YAHOO.COM")


def test_sm2_rejects_t_zero_and_ranges():
    d = 0x1234567
    pub = ecc.public_key(ecc.SM2, d)
    n = ecc.SM2.n
    sig = ecc.sm2_sign(d, b"m", 777)
    r = int.from_bytes(sig[:32], "big")
    bad = [
        r.to_bytes(32, "big") + (n - r).to_bytes(32, "big"),  # t = r + s = 0 mod n
        bytes(32) + sig[32:],
        sig[:32] + bytes(32),
        n.to_bytes(32, "big") + sig[32:],
        sig[:32] + n.to_bytes(32, "big"),
        sig[:63],
        sig + b"\x00",
    ]
    assert ecc.sm2_verify(pub, b"m", sig)
    for s in bad:
        assert not ecc.sm2_verify(pub, b"m", s)


# --- round trips --------------------------------------------------------------------------------------------

def _flip(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


@pytest.mark.parametrize("curve", [ecc.SECP256K1, ecc.P256, ecc.SM2], ids=lambda c: c.name)
def test_ecdsa_round_trip_and_corruption(curve):
    rng = random.Random(SEED)
    print("seed", SEED)
    for _ in range(12):
        d, k = rng.randrange(1, curve.n), rng.randrange(1, curve.n)
        digest = rng.randbytes(32)
        sig = ecc.ecdsa_sign(curve, d, digest, k)
        for compressed in (True, False):
            pub = ecc.public_key(curve, d, compressed)
            assert ecc.ecdsa_verify(curve, pub, digest, sig)
            assert not ecc.ecdsa_verify(curve, pub, _flip(digest, rng), sig)
            assert not ecc.ecdsa_verify(curve, pub, digest, _flip(sig, rng))
            assert not ecc.ecdsa_verify(curve, _flip(pub, rng), digest, sig)
        # Both halves of the s/n-s pair verify without low_s; only the low one with it.
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        other = r.to_bytes(32, "big") + (curve.n - s).to_bytes(32, "big")
        pub = ecc.public_key(curve, d)
        assert ecc.ecdsa_verify(curve, pub, digest, other)
        low, high = (sig, other) if s <= curve.n // 2 else (other, sig)
        assert ecc.ecdsa_verify(curve, pub, digest, low, low_s=True)
        assert not ecc.ecdsa_verify(curve, pub, digest, high, low_s=True)


def test_sm2_round_trip_and_corruption():
    rng = random.Random(SEED + 1)
    print("seed", SEED + 1)
    for _ in range(12):
        d, k = rng.randrange(1, ecc.SM2.n - 1), rng.randrange(1, ecc.SM2.n)
        msg = rng.randbytes(rng.randrange(0, 100))
        sig = ecc.sm2_sign(d, msg, k)
        pub = ecc.public_key(ecc.SM2, d, compressed=rng.random() < 0.5)
        assert ecc.sm2_verify(pub, msg, sig)
        assert not ecc.sm2_verify(pub, msg + b"\x00", sig)
        assert not ecc.sm2_verify(pub, msg, _flip(sig, rng))
        assert not ecc.sm2_verify(_flip(pub, rng), msg, sig)


def test_ecdsa_recover_round_trip():
    rng = random.Random(SEED + 2)
    c = ecc.SECP256K1
    for _ in range(10):
        d, k = rng.randrange(1, c.n), rng.randrange(1, c.n)
        digest = rng.randbytes(32)
        sig = ecc.ecdsa_sign(c, d, digest, k)
        pub = ecc.public_key(c, d)
        R = ecc.scalar_mult(c, k, c.g)
        recid = (R[1] & 1) | (2 if R[0] >= c.n else 0)
        assert ecc.ecdsa_recover(digest, sig + bytes([recid])) == pub
        assert ecc.ecdsa_recover(digest, sig + bytes([recid + 27])) == pub
        assert ecc.ecdsa_recover(digest, sig + bytes([recid ^ 1])) != pub
        assert ecc.ecdsa_recover(_flip(digest, rng), sig + bytes([recid])) != pub
    sig = ecc.ecdsa_sign(c, 5, bytes(32), 7)
    for v in (4, 26, 31, 255):
        assert ecc.ecdsa_recover(bytes(32), sig + bytes([v])) is None
    assert ecc.ecdsa_recover(bytes(32), sig) is None
    assert ecc.ecdsa_recover(bytes(31), sig + b"\x00") is None
    assert ecc.ecdsa_recover(bytes(32), bytes(64) + b"\x00") is None
    # recid 2/3 need x(R) = r + n < p, which no r >= p - n allows.
    big_r = (c.p - c.n).to_bytes(32, "big")
    assert ecc.ecdsa_recover(bytes(32), big_r + sig[32:] + b"\x02") is None


def test_sign_rejects_bad_inputs():
    c = ecc.P256
    for d, k in ((0, 1), (c.n, 1), (1, 0), (1, c.n), (-1, 1)):
        with pytest.raises(ValueError):
            ecc.ecdsa_sign(c, d, bytes(32), k)
    with pytest.raises(ValueError):
        ecc.ecdsa_sign(c, 1, bytes(31), 1)
    with pytest.raises(ValueError):
        ecc.sm2_sign(ecc.SM2.n - 1, b"m", 5)
    with pytest.raises(ValueError):
        ecc.public_key(c, 0)
    with pytest.raises(ValueError):
        ecc.sm2_za(b"\x02" + _non_residue_x(ecc.SM2).to_bytes(32, "big"))


def test_curve_constants():
    for c in (ecc.SECP256K1, ecc.P256, ecc.SM2):
        assert c.p % 4 == 3 and ecc.on_curve(c, c.g)
        assert ecc.scalar_mult(c, c.n, c.g) is None
        assert ecc.scalar_mult(c, c.n - 1, c.g) == ecc.point_neg(c, c.g)
        assert ecc.double_mult(c, 3, c.g, 5, c.g) == ecc.scalar_mult(c, 8, c.g)
        assert ecc.point_add(c, c.g, ecc.point_neg(c, c.g)) is None


# --- malformed input ----------------------------------------------------------------------------------------

def _non_residue_x(curve) -> int:
    x = 5
    while ecc.sqrt_mod(curve, (x**3 + curve.a * x + curve.b) % curve.p) is not None:
        x += 1
    return x


@pytest.mark.parametrize("curve", [ecc.SECP256K1, ecc.P256, ecc.SM2], ids=lambda c: c.name)
def test_malformed_keys(curve):
    d = 0xC0FFEE
    good = ecc.public_key(curve, d)
    full = ecc.public_key(curve, d, compressed=False)
    x, y = ecc.decode_pubkey(curve, full)
    p = curve.p
    bad_keys = [
        b"",
        b"\x00",
        good[:-1],
        good + b"\x00",
        full[:-1],
        full + b"\x00",
        b"\x04" + good[1:],
        b"\x05" + good[1:],
        b"\x06" + full[1:],  # hybrid encodings are refused outright
        b"\x07" + full[1:],
        b"\x00" + full[1:],
        bytes([2]) + p.to_bytes(32, "big"),  # x >= p
        bytes([3]) + (2**256 - 1).to_bytes(32, "big"),
        b"\x04" + p.to_bytes(32, "big") + y.to_bytes(32, "big"),
        b"\x04" + x.to_bytes(32, "big") + (y + p).to_bytes(33, "big")[-32:],  # y + p, or its low 256 bits when it overflows: not a curve y
        b"\x04" + x.to_bytes(32, "big") + ((y + 1) % p).to_bytes(32, "big"),  # off the curve
        b"\x02" + _non_residue_x(curve).to_bytes(32, "big"),
        b"\x04" + bytes(64),
        good.hex().encode()[:33],
    ]
    digest = hashlib.sha256(b"m").digest()
    sig = ecc.ecdsa_sign(curve, d, digest, 99)
    assert ecc.ecdsa_verify(curve, good, digest, sig)
    for key in bad_keys:
        assert ecc.decode_pubkey(curve, key) is None, key.hex()
        assert ecc.ecdsa_verify(curve, key, digest, sig) is False
    for junk in (None, 5, "02" * 33, [2] * 33, 3.5):
        assert ecc.decode_pubkey(curve, junk) is None
        assert ecc.ecdsa_verify(curve, junk, digest, sig) is False
        assert ecc.ecdsa_verify(curve, good, junk, sig) is False
        assert ecc.ecdsa_verify(curve, good, digest, junk) is False


@pytest.mark.parametrize("curve", [ecc.SECP256K1, ecc.P256], ids=lambda c: c.name)
def test_malformed_signatures_and_digests(curve):
    d = 0xBEEF
    pub = ecc.public_key(curve, d)
    digest = hashlib.sha256(b"m").digest()
    sig = ecc.ecdsa_sign(curve, d, digest, 1234)
    r, s = sig[:32], sig[32:]
    n = curve.n.to_bytes(32, "big")
    for bad in (b"", sig[:63], sig + b"\x00", bytes(32) + s, r + bytes(32), n + s, r + n, b"\xff" * 64):
        assert not ecc.ecdsa_verify(curve, pub, digest, bad)
    for bad_digest in (b"", digest[:31], digest + b"\x00"):
        assert not ecc.ecdsa_verify(curve, pub, bad_digest, sig)
    # Bytes-like inputs are accepted as bytes.
    assert ecc.ecdsa_verify(curve, bytearray(pub), memoryview(digest), bytearray(sig))


def test_digest_reduced_mod_n():
    # A digest >= n signs and verifies as e mod n (SEC1 4.1.3 step 5 then reduction).
    c = ecc.SECP256K1
    big = (c.n + 5).to_bytes(32, "big")
    small = (5).to_bytes(32, "big")
    sig = ecc.ecdsa_sign(c, 77, big, 1001)
    assert sig == ecc.ecdsa_sign(c, 77, small, 1001)
    assert ecc.ecdsa_verify(c, ecc.public_key(c, 77), small, sig)


@settings(max_examples=60, deadline=None)
@given(key=st.binary(max_size=70), digest=st.binary(min_size=30, max_size=34), sig=st.binary(min_size=62, max_size=66))
def test_fuzz_verify_never_raises(key, digest, sig):
    for curve in (ecc.SECP256K1, ecc.P256):
        assert ecc.ecdsa_verify(curve, key, digest, sig) in (True, False)
    assert ecc.sm2_verify(key, digest, sig) in (True, False)
    assert ecc.ecdsa_recover(digest, sig) is None or len(ecc.ecdsa_recover(digest, sig)) == 33


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from([0, 2, 3, 4, 6, 7]), body=st.binary(min_size=0, max_size=66))
def test_fuzz_decode_pubkey(prefix, body):
    data = bytes([prefix]) + body
    for curve in (ecc.SECP256K1, ecc.P256, ecc.SM2):
        pt = ecc.decode_pubkey(curve, data)
        if pt is not None:
            assert ecc.on_curve(curve, pt)
            assert ecc.encode_pubkey(curve, pt, compressed=len(data) == 33) == data


# --- independent implementations ---------------------------------------------------------------------------

class _Prehashed:
    """What pycryptodome's DSS needs of a hash object, carrying a digest computed elsewhere."""

    digest_size = 32
    oid = "2.16.840.1.101.3.4.2.1"

    def __init__(self, value: bytes):
        self._value = value

    def digest(self) -> bytes:
        return self._value


@pytest.mark.parametrize("curve,name", [(ecc.SECP256K1, "secp256k1"), (ecc.P256, "P-256")])
def test_pycryptodome_cross_check(curve, name):
    ECC = pytest.importorskip("Crypto.PublicKey.ECC")
    DSS = pytest.importorskip("Crypto.Signature.DSS")
    rng = random.Random(SEED + 3)
    print("seed", SEED + 3)
    for _ in range(8):
        d = rng.randrange(1, curve.n)
        key = ECC.construct(curve=name, d=d)
        pub = ecc.public_key(curve, d, compressed=False)
        assert key.public_key().export_key(format="SEC1") == pub
        digest = rng.randbytes(32)
        # Theirs verifies under ours.
        theirs = DSS.new(key, "sec1").sign(_Prehashed(digest))
        assert ecc.ecdsa_verify(curve, pub, digest, theirs)
        assert not ecc.ecdsa_verify(curve, pub, _flip(digest, rng), theirs)
        # Ours verifies under theirs.
        ours = ecc.ecdsa_sign(curve, d, digest, rng.randrange(1, curve.n))
        DSS.new(key.public_key(), "sec1").verify(_Prehashed(digest), ours)
        with pytest.raises(ValueError):
            DSS.new(key.public_key(), "sec1").verify(_Prehashed(_flip(digest, rng)), ours)


def test_coincurve_cross_check():
    coincurve = pytest.importorskip("coincurve")
    c = ecc.SECP256K1
    rng = random.Random(SEED + 4)
    print("seed", SEED + 4)
    for _ in range(8):
        d = rng.randrange(1, c.n)
        priv = coincurve.PrivateKey(d.to_bytes(32, "big"))
        assert priv.public_key.format(compressed=True) == ecc.public_key(c, d)
        digest = rng.randbytes(32)
        rec = priv.sign_recoverable(digest, hasher=None)
        assert ecc.ecdsa_verify(c, ecc.public_key(c, d), digest, rec[:64], low_s=True)
        assert ecc.ecdsa_recover(digest, rec) == ecc.public_key(c, d)
        ours = ecc.ecdsa_sign(c, d, digest, rng.randrange(1, c.n))
        r, s = int.from_bytes(ours[:32], "big"), int.from_bytes(ours[32:], "big")
        s = min(s, c.n - s)  # libsecp256k1 accepts only low S
        assert priv.public_key.verify(_der(r, s), digest, hasher=None)
        # Recovery with every id agrees with libsecp256k1 (which rejects v > 3 itself).
        for v in range(4):
            sig65 = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])
            try:
                want = coincurve.PublicKey.from_signature_and_message(sig65, digest, hasher=None).format()
            except Exception:
                want = None
            assert ecc.ecdsa_recover(digest, sig65) == want
