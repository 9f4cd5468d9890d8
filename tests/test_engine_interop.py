"""Blocks built and signed by other libraries (libsecp256k1, OpenSSL, libsodium, Tongsuo) are judged as the
format says.  Everything here — keys, signatures, hashes, the Merkle root — comes from those libraries and
from hashlib/pycryptodome, not from ledgerval."""
from __future__ import annotations

import hashlib
import struct

import pytest

from ledgerval import Validator


def _sha256(d):
    return hashlib.sha256(d).digest()


def _keccak(d):
    from Crypto.Hash import keccak

    return keccak.new(digest_bits=256, data=d).digest()


def _sm3(d):
    try:
        return hashlib.new("sm3", d).digest()
    except ValueError:
        tongsuo_hashes = pytest.importorskip("tongsuopy.crypto.hashes")
        h = tongsuo_hashes.Hash(tongsuo_hashes.SM3())
        h.update(d)
        return h.finalize()


def _mth(H, leaves):
    if not leaves:
        return H(b"")
    if len(leaves) == 1:
        return H(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return H(b"\x01" + _mth(H, leaves[:k]) + _mth(H, leaves[k:]))


def _der_to_raw(der: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _build(suite_id, H, signers, validators, n_txs=6, corrupt=None):
    """signers/validators: lists of (pubkey, sign(digest) -> 64 bytes)."""
    txs, hashes = [], []
    for i in range(n_txs):
        pk, sign = signers[i % len(signers)]
        body = pk + struct.pack("<QI", i, 5) + b"pay%02d" % i
        h = H(body)
        sig = sign(h)
        if corrupt == i:
            sig = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
        txs.append(body + sig)
        hashes.append(h)
    header = struct.pack("<4sBBIQQ32s32sIH", b"LVB1", suite_id, 1, 0, 1, 1000, bytes(32), _mth(H, hashes),
                         n_txs, 0)
    hh = H(header)
    commit = struct.pack("<H", len(validators)) + b"".join(
        struct.pack("<H", v) + sign(hh) for v, (_, sign) in enumerate(validators))
    return header + b"".join(txs) + commit


def _coincurve_keys(n):
    coincurve = pytest.importorskip("coincurve")
    out = []
    for i in range(n):
        k = coincurve.PrivateKey(hashlib.sha256(b"cc%d" % i).digest())
        out.append((k.public_key.format(compressed=True),
                    lambda d, k=k: _der_to_raw(k.sign(d, hasher=None))))
    return out


def _openssl_ec_keys(curve_name, n):
    ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    curve = {"secp256k1": ec.SECP256K1(), "p256": ec.SECP256R1()}[curve_name]
    out = []
    for _ in range(n):
        k = ec.generate_private_key(curve)
        pk = k.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        out.append((pk, lambda d, k=k: _der_to_raw(k.sign(d, ec.ECDSA(Prehashed(hashes.SHA256()))))))
    return out


def _openssl_ed25519_keys(n):
    ed = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    from cryptography.hazmat.primitives import serialization

    out = []
    for _ in range(n):
        k = ed.Ed25519PrivateKey.generate()
        pk = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        out.append((pk, k.sign))
    return out


def _libsodium_keys(n):
    signing = pytest.importorskip("nacl.signing")
    out = []
    for i in range(n):
        k = signing.SigningKey(hashlib.sha256(b"na%d" % i).digest())
        out.append((bytes(k.verify_key), lambda m, k=k: k.sign(m).signature))
    return out


def _tongsuo_keys(n):
    pytest.importorskip("tongsuopy")
    from tongsuopy.crypto import hashes, serialization
    from tongsuopy.crypto.asymciphers import ec

    out = []
    for _ in range(n):
        k = ec.generate_private_key(ec.SM2())
        pk = k.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        # Tongsuo's SM2 signs M with e = SM3(Z_A || M) under the default ID, as LVB1 specifies.
        out.append((pk, lambda m, k=k: _der_to_raw(k.sign(m, ec.ECDSA(hashes.SM3())))))
    return out


CASES = {
    "libsecp256k1 secp256k1-sha256": ("secp256k1-sha256", 1, _sha256, lambda n: _coincurve_keys(n)),
    "libsecp256k1 secp256k1-keccak256": ("secp256k1-keccak256", 5, _keccak, lambda n: _coincurve_keys(n)),
    "OpenSSL secp256k1-sha256": ("secp256k1-sha256", 1, _sha256, lambda n: _openssl_ec_keys("secp256k1", n)),
    "OpenSSL p256-sha256": ("p256-sha256", 2, _sha256, lambda n: _openssl_ec_keys("p256", n)),
    "OpenSSL ed25519-sha256": ("ed25519-sha256", 3, _sha256, _openssl_ed25519_keys),
    "libsodium ed25519-sha256": ("ed25519-sha256", 3, _sha256, _libsodium_keys),
    "Tongsuo sm2-sm3": ("sm2-sm3", 4, _sm3, _tongsuo_keys),
}


@pytest.mark.parametrize("case", list(CASES))
def test_foreign_block_is_valid_and_corruption_found(case):
    suite, sid, H, keys = CASES[case]
    signers, validators = keys(3), keys(4)
    v = Validator(suite, validators=[pk for pk, _ in validators])
    good = _build(sid, H, signers, validators)
    r = v.validate_block(good)
    assert r.ok, r.errors
    assert r.header_hash == H(good[:96])
    bad = _build(sid, H, signers, validators, corrupt=4)
    assert [(e.code, e.index) for e in v.validate_block(bad).errors] == [("bad_signature", 4)]
