"""DER signature decoding under Bitcoin's two consensus regimes.

``parse_der_lax`` accepts what Bitcoin Core's pre-BIP66 verifier accepts (the behaviour of libsecp256k1's
contrib ``ecdsa_signature_parse_der_lax``, written here from its description):
- a 0x30 tag, then a length byte whose value is ignored; in long form (high bit set) its 0..127 length
  bytes are skipped if present;
- for R then S: a 0x02 tag and a length, short form or long form (leading zero length bytes skipped, at
  most 3 significant length bytes), and that many bytes of content present in the input;
- anything after S is ignored; leading zero bytes of R and S are dropped; negative values are read as
  unsigned.  An R or S longer than 32 bytes, or >= n, still *parses* but as the signature (0, 0), which
  never verifies.
The result is 64 bytes r||s; any other layout does not parse (None), and CHECKSIG then returns false.

``is_strict_der`` is BIP66's IsValidSignatureEncoding (the whole signature including the hash-type byte),
consensus from block 363725 on.
"""
from __future__ import annotations

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_ZERO64 = bytes(64)


def _read_int(sig: bytes, pos: int, end: int) -> tuple[int, int] | None:
    """(content start, content length) of a lax INTEGER at ``pos``, and the position after it."""
    if pos >= end or sig[pos] != 0x02:
        return None
    pos += 1
    if pos >= end:
        return None
    lenbyte = sig[pos]
    pos += 1
    if lenbyte & 0x80:
        lenbyte -= 0x80
        if lenbyte > end - pos:
            return None
        while lenbyte > 0 and sig[pos] == 0:
            pos += 1
            lenbyte -= 1
        if lenbyte >= 4:
            return None
        length = int.from_bytes(sig[pos : pos + lenbyte], "big")
        pos += lenbyte
    else:
        length = lenbyte
    if length > end - pos:
        return None
    return pos, length


def parse_der_lax(sig: bytes) -> bytes | None:
    """64-byte r||s from a lax-DER signature (without the hash-type byte), or None when it does not parse.
    Overflowing values give 64 zero bytes (parses, never verifies)."""
    end = len(sig)
    if end == 0 or sig[0] != 0x30:
        return None
    if end >= 8 and sig[1] < 0x80 and sig[2] == 0x02 and sig[3] < 0x80:
        # short-form lengths throughout (every real signature): the same reading without the general walk
        rlen = sig[3]
        spos = 4 + rlen
        if spos + 2 <= end and sig[spos] == 0x02 and sig[spos + 1] < 0x80 and spos + 2 + sig[spos + 1] <= end:
            return _to_rs(sig[4:spos], sig[spos + 2 : spos + 2 + sig[spos + 1]])
    return _parse_general(sig)


def _parse_general(sig: bytes) -> bytes | None:
    """parse_der_lax without its shortcut (the tests check that the two agree)."""
    end = len(sig)
    if end == 0 or sig[0] != 0x30:
        return None
    pos = 1
    if pos >= end:
        return None
    lenbyte = sig[pos]
    pos += 1
    if lenbyte & 0x80:
        lenbyte -= 0x80
        if lenbyte > end - pos:
            return None
        pos += lenbyte
    got = _read_int(sig, pos, end)
    if got is None:
        return None
    rpos, rlen = got
    got = _read_int(sig, rpos + rlen, end)
    if got is None:
        return None
    spos, slen = got
    return _to_rs(sig[rpos : rpos + rlen], sig[spos : spos + slen])


def _to_rs(r: bytes, s: bytes) -> bytes:
    r = r.lstrip(b"\x00")
    s = s.lstrip(b"\x00")
    if len(r) > 32 or len(s) > 32:
        return _ZERO64
    if int.from_bytes(r, "big") >= N or int.from_bytes(s, "big") >= N:
        return _ZERO64
    return r.rjust(32, b"\x00") + s.rjust(32, b"\x00")


def is_strict_der(sig: bytes) -> bool:
    """BIP66 strict DER for a signature *including* its trailing hash-type byte."""
    n = len(sig)
    if n < 9 or n > 73:
        return False
    if sig[0] != 0x30 or sig[1] != n - 3:
        return False
    len_r = sig[3]
    if 5 + len_r >= n:
        return False
    len_s = sig[5 + len_r]
    if len_r + len_s + 7 != n:
        return False
    if sig[2] != 0x02 or len_r == 0 or sig[4] & 0x80:
        return False
    if len_r > 1 and sig[4] == 0 and not sig[5] & 0x80:
        return False
    if sig[len_r + 4] != 0x02 or len_s == 0 or sig[len_r + 6] & 0x80:
        return False
    if len_s > 1 and sig[len_r + 6] == 0 and not sig[len_r + 7] & 0x80:
        return False
    return True
