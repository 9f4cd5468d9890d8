"""The same work done by other libraries, for the ratio columns.

A peer builder takes the workload and returns ``run()``: a call that does the whole batch one item at a time
the way a user of that library would (parsing each key and signature inside the timed loop, as ledgerval
does), returning per-item verdicts or digests so the harness can check it did the right work.  Conversions
a library needs but ledgerval does not (DER encoding, low-S normalisation for libsecp256k1, affine keys for
crypto_mb) happen in the builder, outside timing.  A builder raises LookupError (or ImportError) with the
reason when the peer cannot run; the table then shows it as absent.
"""
from __future__ import annotations

import hashlib
from typing import Callable

# Column order in the table; "ref" is ledgerval's own reference path measured in the same run.
PEER_COLUMNS = ("coincurve", "cryptography", "pynacl", "tongsuopy", "crypto_mb", "hashlib", "pycryptodome")

_ORDER = {
    "ecdsa-secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
    "ecdsa-p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "sm2": 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
}


def _der(sig: bytes, scheme: str, low_s: bool = False) -> bytes:
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")
    if low_s and s > _ORDER[scheme] // 2:
        s = _ORDER[scheme] - s
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    return encode_dss_signature(r, s)


# --- verify_batch peers ---------------------------------------------------------------------------------------
# Each library gives (prepare, verify): ``prepare(key, sig)`` does, once and outside timing, the conversions
# the library needs and ledgerval does not (DER, low S); ``verify(key, msg, sig)`` checks one signature the
# way that library's users call it, parsing the key every time.  The batch peers and the end-to-end loops
# (engine/bench/e2e.py) share them.

def _verdict(check, invalid):
    """verify(k, m, s) -> bool for a library whose ``check`` raises ``invalid`` on a bad signature."""

    def verify(k, m, s):
        try:
            check(k, m, s)
            return True
        except invalid:
            return False

    return verify


def _coincurve(scheme):
    import coincurve

    if scheme != "ecdsa-secp256k1":
        raise LookupError("n/a")
    PublicKey = coincurve.PublicKey

    def prepare(k, s):
        # libsecp256k1 accepts only low-S signatures; its verdict on the normalised twin is the same question.
        return bytes(k), _der(bytes(s), scheme, low_s=True)

    def verify(k, m, s):
        return PublicKey(k).verify(s, m, hasher=None)

    return prepare, verify


def _cryptography(scheme):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    if scheme == "ed25519":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        load = Ed25519PublicKey.from_public_bytes
        return (lambda k, s: (bytes(k), bytes(s))), _verdict(lambda k, m, s: load(k).verify(s, m), InvalidSignature)
    curve = {"ecdsa-secp256k1": ec.SECP256K1(), "ecdsa-p256": ec.SECP256R1()}.get(scheme)
    if curve is None:
        raise LookupError("n/a")
    algo = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
    load_ec = ec.EllipticCurvePublicKey.from_encoded_point
    return ((lambda k, s: (bytes(k), _der(bytes(s), scheme))),
            _verdict(lambda k, m, s: load_ec(curve, k).verify(s, m, algo), InvalidSignature))


def _pynacl(scheme):
    if scheme != "ed25519":
        raise LookupError("n/a")
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    return (lambda k, s: (bytes(k), bytes(s))), _verdict(lambda k, m, s: crypto_sign_open(s + m, k), BadSignatureError)


def _tongsuopy(scheme):
    if scheme != "sm2":
        raise LookupError("n/a")
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec
    from tongsuopy.crypto.exceptions import InvalidSignature

    algo = ec.ECDSA(hashes.SM3())
    load = ec.EllipticCurvePublicKey.from_encoded_point
    curve = ec.SM2()
    return ((lambda k, s: (bytes(k), _der(bytes(s), scheme))),
            _verdict(lambda k, m, s: load(curve, k).verify(s, m, algo), InvalidSignature))


def _one_by_one(library):
    """A batch peer from a library's (prepare, verify): the whole workload, one signature at a time."""

    def build(w):
        prepare, verify = library(w.scheme)
        items = [(*prepare(k, s), m) for k, m, s in zip(w.keys, w.messages, w.signatures)]

        def run():
            return [verify(k, m, s) for k, s, m in items]

        return run

    return build


# The libraries that verify one signature per call, as their Python users do.
SINGLE_VERIFIERS: dict[str, Callable] = {"coincurve": _coincurve, "cryptography": _cryptography,
                                         "pynacl": _pynacl, "tongsuopy": _tongsuopy}


def _crypto_mb_verify(w):
    from . import cryptomb

    if w.scheme == "ed25519":
        return cryptomb.ed25519_verifier(list(w.keys), w.messages, list(w.signatures))
    if w.scheme in ("ecdsa-p256", "sm2"):
        return cryptomb.ecdsa_verifier(w.scheme, list(w.keys), w.messages, list(w.signatures))
    raise LookupError("n/a")


VERIFY_PEERS: dict[str, Callable] = {name: _one_by_one(lib) for name, lib in SINGLE_VERIFIERS.items()}
VERIFY_PEERS["crypto_mb"] = _crypto_mb_verify
# Which peers apply to which scheme (the others are "n/a", an empty cell, not "absent").
VERIFY_APPLIES = {
    "ecdsa-secp256k1": ("coincurve", "cryptography"),
    "ecdsa-p256": ("cryptography", "crypto_mb"),
    "ed25519": ("pynacl", "cryptography", "crypto_mb"),
    "sm2": ("tongsuopy", "crypto_mb"),
}


# --- hash_batch peers -----------------------------------------------------------------------------------------

def _hashlib_fn(algo: str):
    if algo == "sha256":
        f = hashlib.sha256
        return lambda m: f(m).digest()
    if algo == "sha256d":
        f = hashlib.sha256
        return lambda m: f(f(m).digest()).digest()
    if algo == "sm3":
        if "sm3" not in hashlib.algorithms_available:
            raise LookupError("this OpenSSL has no SM3")
        hashlib.new("sm3", b"")
        return lambda m: hashlib.new("sm3", m).digest()
    raise LookupError("n/a")


def _pycryptodome_fn(algo: str):
    if algo == "keccak256":
        from Crypto.Hash import keccak

        new = keccak.new
        return lambda m: new(digest_bits=256, data=m).digest()
    if algo == "sha256":
        from Crypto.Hash import SHA256

        return lambda m: SHA256.new(m).digest()
    raise LookupError("n/a")


def _tongsuopy_fn(algo: str):
    if algo != "sm3":
        raise LookupError("n/a")
    from tongsuopy.crypto import hashes

    def one(m):
        h = hashes.Hash(hashes.SM3())
        h.update(m)
        return h.finalize()

    return one


def _loop(fn_factory):
    def build(algo, msgs):
        fn = fn_factory(algo)
        items = [bytes(m) for m in msgs]

        def run():
            return [fn(m) for m in items]

        return run

    return build


def _crypto_mb_hash(algo, msgs):
    if algo != "sm3":
        raise LookupError("n/a")
    from . import cryptomb

    return cryptomb.sm3_hasher([bytes(m) for m in msgs])


HASH_PEERS = {"hashlib": _loop(_hashlib_fn), "pycryptodome": _loop(_pycryptodome_fn),
              "tongsuopy": _loop(_tongsuopy_fn), "crypto_mb": _crypto_mb_hash}
HASH_APPLIES = {
    "sha256": ("hashlib", "pycryptodome"),
    "sha256d": ("hashlib",),
    "sm3": ("hashlib", "tongsuopy", "crypto_mb"),
    "keccak256": ("pycryptodome",),
}


# --- merkle_root peer: the straightforward Python loop over the best per-call hash --------------------------

def best_hash(algo: str):
    """One-message hash function for ``algo`` from the first library that has it (hashlib, pycryptodome,
    tongsuopy)."""
    for lib in (_hashlib_fn, _pycryptodome_fn):
        try:
            return lib(algo)
        except LookupError:
            pass
    return _tongsuopy_fn(algo)


def python_merkle_root(algo: str, leaves: list[bytes], rule: str, h=None) -> bytes:
    """Bottom-up levels.  For rfc6962 a lone last node moves up unchanged, which is the same tree as RFC 6962's
    split at the largest power of two; for bitcoin it is paired with itself."""
    h = h or best_hash(algo)
    if rule == "rfc6962":
        if not leaves:
            return h(b"")
        level = [h(b"\x00" + x) for x in leaves]
        while len(level) > 1:
            nxt = [h(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        return level[0]
    if rule == "bitcoin":
        if not leaves:
            return bytes(32)
        level = list(leaves)
        while len(level) > 1:
            if len(level) % 2:
                level.append(level[-1])
            level = [h(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
        return level[0]
    raise LookupError(f"no Python peer for rule {rule}")


def _merkle_peer(lib: str):
    def build(algo, rule, leaves):
        fn = _hashlib_fn(algo) if lib == "hashlib" else _pycryptodome_fn(algo)
        items = [bytes(x) for x in leaves]

        def run():
            return python_merkle_root(algo, items, rule, fn)

        return run

    return build


MERKLE_PEERS = {"hashlib": _merkle_peer("hashlib"), "pycryptodome": _merkle_peer("pycryptodome")}
MERKLE_APPLIES = {"sha256": ("hashlib",), "sha256d": ("hashlib",), "sm3": ("hashlib",),
                  "keccak256": ("pycryptodome",)}
