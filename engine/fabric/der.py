"""The few ASN.1 DER structures Fabric signs or hashes: ECDSA signatures, the block header, and the parts of
an X.509 certificate the identity checks need (the subject public key).  Strict DER only: a non-minimal
length or integer, or trailing bytes, is an error (ValueError), as Go's encoding/asn1 makes it for Fabric.
"""
from __future__ import annotations

# Curve OIDs (DER contents) of the keys Fabric signs with: NIST P-256 and the Chinese SM2 curve.
OID_P256 = bytes.fromhex("2a8648ce3d030107")          # 1.2.840.10045.3.1.7
OID_SM2 = bytes.fromhex("2a811ccf5501822d")           # 1.2.156.10197.1.301
OID_EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")   # 1.2.840.10045.2.1
OID_ECDSA_SHA256 = bytes.fromhex("2a8648ce3d040302")  # 1.2.840.10045.4.3.2
OID_SM2_SM3 = bytes.fromhex("2a811ccf55018375")       # 1.2.156.10197.1.501
SCHEME_BY_CURVE = {OID_P256: "ecdsa-p256", OID_SM2: "sm2"}
DOTTED_ECDSA_SHA256, DOTTED_SM2_SM3 = "1.2.840.10045.4.3.2", "1.2.156.10197.1.501"


def read_tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the element at buf[pos]; single-byte tags only."""
    if end - pos < 2:
        raise ValueError("truncated DER element")
    tag, n = buf[pos], buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or end - pos < k or buf[pos] == 0:
            raise ValueError("bad DER length")
        n = int.from_bytes(buf[pos:pos + k], "big")
        if n < 0x80 or (k > 1 and n < 1 << (8 * (k - 1))):
            raise ValueError("non-minimal DER length")
        pos += k
    if n > end - pos:
        raise ValueError("DER element runs past its container")
    return tag, pos, pos + n


def _uint(buf: bytes, a: int, b: int) -> int:
    if a == b or buf[a] & 0x80 or (b - a > 1 and buf[a] == 0 and not buf[a + 1] & 0x80):
        raise ValueError("not a minimal positive DER INTEGER")
    return int.from_bytes(buf[a:b], "big")


def decode_ecdsa_sig(sig: bytes) -> tuple[int, int]:
    """(r, s) of a DER ``SEQUENCE { INTEGER r, INTEGER s }`` with nothing after it."""
    tag, a, b = read_tlv(sig, 0, len(sig))
    if tag != 0x30 or b != len(sig):
        raise ValueError("not a DER SEQUENCE of exactly the signature's length")
    tag, ra, rb = read_tlv(sig, a, b)
    if tag != 0x02:
        raise ValueError("r is not an INTEGER")
    tag, sa, sb = read_tlv(sig, rb, b)
    if tag != 0x02 or sb != b:
        raise ValueError("s is not an INTEGER ending the SEQUENCE")
    r, s = _uint(sig, ra, rb), _uint(sig, sa, sb)
    if r.bit_length() > 256 or s.bit_length() > 256:
        raise ValueError("r or s wider than 256 bits")
    return r, s


def encode_ecdsa_sig(r: int, s: int) -> bytes:
    return tlv(0x30, der_uint(r) + der_uint(s))


def tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes((tag, n)) + body
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(ln))) + ln + body


def der_uint(v: int) -> bytes:
    """A non-negative INTEGER (minimal two's complement)."""
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))


def header_der(number: int, previous_hash: bytes, data_hash: bytes) -> bytes:
    """Fabric's ``BlockHeaderBytes``: SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING
    data_hash }, the bytes whose SHA-256 the next block names as its previous_hash."""
    if number < 0x80 and len(previous_hash) < 0x80 and len(data_hash) < 0x80 and number >= 0:
        # the common shape (hashes of 32 bytes, a small number), built in one step: 0.3 us against 1.3
        body = bytes((2, 1, number, 4, len(previous_hash))) + previous_hash + bytes((4, len(data_hash))) + data_hash
        if len(body) < 0x80:
            return bytes((0x30, len(body))) + body
    return tlv(0x30, der_uint(number) + tlv(0x04, previous_hash) + tlv(0x04, data_hash))


def children(buf: bytes, a: int, b: int) -> list[tuple[int, int, int, int]]:
    """(tag, element start, contents start, contents end) of each element in buf[a:b]."""
    out = []
    while a < b:
        tag, ca, cb = read_tlv(buf, a, b)
        out.append((tag, a, ca, cb))
        a = cb
    return out


def tbs_fields(tbs: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """(issuer Name DER, subject Name DER, curve OID, public point) of a TBSCertificate with an EC key named
    by a curve OID; ValueError otherwise.  Names are compared as raw DER, as Go's x509 chains them."""
    tag, a, b = read_tlv(tbs, 0, len(tbs))
    if tag != 0x30 or b != len(tbs):
        raise ValueError("TBSCertificate is not one SEQUENCE")
    kids = children(tbs, a, b)
    i = 1 if kids and kids[0][0] == 0xA0 else 0  # optional [0] version
    if len(kids) < i + 6:
        raise ValueError("TBSCertificate too short")
    issuer = tbs[kids[i + 2][1]:kids[i + 2][3]]
    subject = tbs[kids[i + 4][1]:kids[i + 4][3]]
    tag, _, sa, sb = kids[i + 5]
    parts = children(tbs, sa, sb) if tag == 0x30 else []
    if len(parts) != 2 or parts[0][0] != 0x30 or parts[1][0] != 0x03:
        raise ValueError("SubjectPublicKeyInfo is not SEQUENCE { AlgorithmIdentifier, BIT STRING }")
    alg = children(tbs, parts[0][2], parts[0][3])
    if len(alg) != 2 or alg[0][0] != 0x06 or alg[1][0] != 0x06 or tbs[alg[0][2]:alg[0][3]] != OID_EC_PUBLIC_KEY:
        raise ValueError("the subject key is not an EC key on a named curve")
    bits = tbs[parts[1][2]:parts[1][3]]
    if not bits or bits[0] != 0:
        raise ValueError("public key BIT STRING has unused bits")
    return issuer, subject, tbs[alg[1][2]:alg[1][3]], bits[1:]


_P256_HALF_N_INT = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551 >> 1
_P256_HALF_N = _P256_HALF_N_INT.to_bytes(32, "big")


# Below this many signatures ``decode_ecdsa_sigs`` reads them one by one: the kernel's fixed cost (the
# call, the copy into one buffer) is about 11 us (thread CPU medians of 300, 2026-12-04: 16 signatures
# 11.6 against 12.2 us, 24 15.9 against 12.9, 60 of the real ledger 34 against 16).  The first batch
# that reaches the kernel imports Numba and loads the cached kernel once per process (about 0.5 s), as
# any block of ``parse.SCAN_MIN`` envelopes or more does for the scan kernel.
FEW_SIGS = 24


def decode_ecdsa_sigs(sigs: list[bytes]):
    """Vectorised ``decode_ecdsa_sig`` over a batch: (r||s (N, 64) uint8, ok (N,) bool, high (N,) bool).
    ``ok`` holds exactly where ``decode_ecdsa_sig`` would accept (tests compare both paths with it);
    ``high`` marks s > n/2 for P-256.  Rows that fail are zeros."""
    return decode_each(sigs) if len(sigs) < FEW_SIGS else decode_kernel(sigs)


def decode_each(sigs: list[bytes]):
    """``decode_ecdsa_sigs`` one signature at a time (for a few).  The common shape (short lengths, both
    integers minimal and at most 33 bytes) is read inline; anything else goes to ``decode_ecdsa_sig``.
    Inline, 60 signatures took about half the time of a loop over ``decode_ecdsa_sig``."""
    import numpy as np

    rows, ok, high = [], [], []
    zero = bytes(64)
    half = _P256_HALF_N
    for sig in sigs:
        n = len(sig)
        if 8 <= n <= 72 and sig[0] == 0x30 and sig[1] == n - 2 and sig[2] == 2:
            rl = sig[3]
            sl = n - 6 - rl
            if 1 <= rl <= 33 and 1 <= sl <= 33 and sig[4 + rl] == 2 and sig[5 + rl] == sl:
                r, s = sig[4:4 + rl], sig[6 + rl:]
                # positive and minimal (no high bit; a leading zero only before a byte >= 0x80), and at
                # most 256 bits (33 bytes only as a zero before them)
                if not (r[0] & 0x80 or s[0] & 0x80 or (rl > 1 and r[0] == 0 and r[1] < 0x80)
                        or (sl > 1 and s[0] == 0 and s[1] < 0x80) or (rl == 33 and r[0])
                        or (sl == 33 and s[0])):
                    s32 = s[-32:].rjust(32, b"\0")
                    rows.append(r[-32:].rjust(32, b"\0") + s32)
                    ok.append(True)
                    high.append(s32 > half)
                    continue
        try:
            r_int, s_int = decode_ecdsa_sig(sig)
        except ValueError:
            rows.append(zero)
            ok.append(False)
            high.append(False)
            continue
        rows.append(r_int.to_bytes(32, "big") + s_int.to_bytes(32, "big"))
        ok.append(True)
        high.append(s_int > _P256_HALF_N_INT)
    out = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(sigs), 64).copy()
    return out, np.array(ok, dtype=bool), np.array(high, dtype=bool)


def decode_kernel(sigs: list[bytes]):
    """``decode_ecdsa_sigs`` by the Numba kernel (``kernels.fabric_der``): 2,048 signatures took 436 us in
    the numpy columns it replaced, about 150 us here with the copy into one buffer (thread CPU medians)."""
    from .._inputs import flatten
    from ..kernels.fabric_der import decode_ecdsa_der

    return decode_ecdsa_der(*flatten(sigs))
