"""Reference Merkle trees: roots and inclusion proofs under three rules, every hash through
``hashes.digest(algo, ...)`` so one ``algo`` name fixes the hash everywhere.

Rules:
- ``rfc6962`` (RFC 6962 / RFC 9162 Merkle Tree Hash, the LVB1 ``tx_root``): MTH([]) = H(""),
  MTH([d]) = H(0x00 || d), MTH(D[0:n]) = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])) with k the largest power of
  two below n.  Leaves are any bytes.
- ``bitcoin``: leaves are 32-byte node values used as they are; each level hashes neighbours H(a || b) and
  pairs the last node of an odd level with itself; one leaf is the root.  Zero leaves give 32 zero bytes
  (Bitcoin Core's ComputeMerkleRoot returns the null uint256 for an empty list; no real block has one).
  With ``sha256d`` this is Bitcoin's root, in internal (not display) byte order.
- ``fisco`` (FISCO BCOS 3.x style binary tree): leaves are 32-byte values, no domain prefixes; each level
  hashes neighbours H(a || b) and a lone last node of an odd level is hashed alone, H(c); one leaf is the
  root as is.  Zero leaves give H(b"") (the hash of the empty string, the natural empty value).

Misuse (an unknown ``algo`` or ``rule``, leaves that are not 32 bytes for ``bitcoin``/``fisco``) raises
InvalidArgument; ``verify_proof`` never raises on bad data and answers False.
"""
from __future__ import annotations

import operator

from ..errors import InvalidArgument, InvalidType
from ._bytes import as_bytes
from .hashes import ALGORITHMS, digest

RULES = ("rfc6962", "bitcoin", "fisco")
_HASH_LEN = 32


def _check(algo: str, rule: str) -> None:
    if algo not in ALGORITHMS:
        raise InvalidArgument(f"unknown hash algorithm {algo!r}; expected one of: {', '.join(ALGORITHMS)}")
    if rule not in RULES:
        raise InvalidArgument(f"unknown Merkle rule {rule!r}; expected one of: {', '.join(RULES)}")


def _check_nodes(leaves: list[bytes], rule: str) -> list[bytes]:
    out = [as_bytes(x) for x in leaves]
    if any(x is None for x in out):
        raise InvalidType("Merkle leaves must be bytes-like objects")
    if rule != "rfc6962":
        for i, x in enumerate(out):
            if len(x) != _HASH_LEN:
                raise InvalidArgument(f"{rule} Merkle leaf {i} is {len(x)} bytes; expected {_HASH_LEN}")
    return out


# --- rfc6962 ------------------------------------------------------------------------------------------------

def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(algo: str, leaves: list[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return digest(algo, b"")
    if n == 1:
        return digest(algo, b"\x00" + leaves[lo])
    k = _split(n)
    return digest(algo, b"\x01" + _mth(algo, leaves, lo, lo + k) + _mth(algo, leaves, lo + k, hi))


def _rfc6962_path(algo: str, leaves: list[bytes], m: int, lo: int, hi: int) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[lo:hi]), siblings bottom-up."""
    n = hi - lo
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return _rfc6962_path(algo, leaves, m, lo, lo + k) + [_mth(algo, leaves, lo + k, hi)]
    return _rfc6962_path(algo, leaves, m - k, lo + k, hi) + [_mth(algo, leaves, lo, lo + k)]


def _rfc6962_verify(algo: str, leaf: bytes, index: int, n: int, proof: list[bytes], root_: bytes) -> bool:
    """RFC 9162 2.1.3.2: recompute the root from the audit path; the path must be used up exactly."""
    fn, sn = index, n - 1
    r = digest(algo, b"\x00" + leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = digest(algo, b"\x01" + p + r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = digest(algo, b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_


# --- level-by-level rules (bitcoin, fisco) ------------------------------------------------------------------

def _next_level(algo: str, level: list[bytes], rule: str) -> list[bytes]:
    out = []
    for i in range(0, len(level), 2):
        if i + 1 < len(level):
            out.append(digest(algo, level[i] + level[i + 1]))
        elif rule == "bitcoin":
            out.append(digest(algo, level[i] + level[i]))
        else:
            out.append(digest(algo, level[i]))
    return out


def _levels_root(algo: str, leaves: list[bytes], rule: str) -> bytes:
    if not leaves:
        return bytes(_HASH_LEN) if rule == "bitcoin" else digest(algo, b"")
    level = leaves
    while len(level) > 1:
        level = _next_level(algo, level, rule)
    return level[0]


def _levels_path(algo: str, leaves: list[bytes], index: int, rule: str) -> list[bytes]:
    path = []
    level, i = leaves, index
    while len(level) > 1:
        sib = i ^ 1
        if sib < len(level):
            path.append(level[sib])
        elif rule == "bitcoin":
            path.append(level[i])  # the lone last node is paired with itself
        # fisco: a lone node is hashed alone and needs no sibling
        level = _next_level(algo, level, rule)
        i >>= 1
    return path


def _levels_verify(algo, leaf, index, n, proof, root_, rule) -> bool:
    h, i, size, used = leaf, index, n, 0
    while size > 1:
        lone = i == size - 1 and not i & 1
        if lone and rule == "fisco":
            h = digest(algo, h)
        else:
            if used >= len(proof):
                return False
            p = proof[used]
            used += 1
            if lone and p != h:
                return False  # a lone bitcoin node's sibling is itself, nothing else
            h = digest(algo, p + h) if i & 1 else digest(algo, h + p)
        i >>= 1
        size = (size + 1) // 2
    return used == len(proof) and h == root_


# --- public entry points ------------------------------------------------------------------------------------

def root(algo: str, leaves: list[bytes], rule: str) -> bytes:
    """The Merkle root of ``leaves`` under ``rule`` (see the module docstring)."""
    _check(algo, rule)
    leaves = _check_nodes(leaves, rule)
    if rule == "rfc6962":
        return _mth(algo, leaves, 0, len(leaves))
    return _levels_root(algo, leaves, rule)


def bitcoin_root(algo: str, leaves: list[bytes]) -> tuple[bytes, bool]:
    """(root, mutated) as Bitcoin Core's ComputeMerkleRoot: ``mutated`` is True when some level has two
    identical nodes at positions 2i, 2i+1 (CVE-2012-2459: duplicating trailing transactions keeps the
    root).  The odd-level self-pairing does not count."""
    _check(algo, "bitcoin")
    level = _check_nodes(leaves, "bitcoin")
    if not level:
        return bytes(_HASH_LEN), False
    mutated = False
    while len(level) > 1:
        for i in range(0, len(level) - 1, 2):
            if level[i] == level[i + 1]:
                mutated = True
        level = _next_level(algo, level, "bitcoin")
    return level[0], mutated


def proof(algo: str, leaves: list[bytes], index: int, rule: str) -> list[bytes]:
    """The inclusion proof of leaf ``index``: sibling hashes bottom-up.

    rfc6962: the RFC 9162 audit path.  bitcoin: one sibling per level, the node itself where it is its
    own sibling.  fisco: one sibling per level except where the node is a lone last node (hashed alone).
    """
    _check(algo, rule)
    leaves = _check_nodes(leaves, rule)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(leaves):
        raise InvalidArgument(f"leaf index {index!r} out of range for {len(leaves)} leaves")
    if rule == "rfc6962":
        return _rfc6962_path(algo, leaves, index, 0, len(leaves))
    return _levels_path(algo, leaves, index, rule)


def verify_proof(algo: str, leaf: bytes, index: int, n: int, proof: list[bytes], root: bytes, rule: str) -> bool:
    """True iff ``proof`` shows ``leaf`` at ``index`` in a tree of ``n`` leaves with this ``root``.

    ``leaf`` is the raw leaf data for rfc6962 and the 32-byte leaf value for bitcoin/fisco.  Bad data
    (wrong lengths or types, index >= n, a proof too short or too long) is False; only an unknown
    ``algo``/``rule`` raises.
    """
    _check(algo, rule)
    leaf, root_ = as_bytes(leaf), as_bytes(root)
    try:
        path = [as_bytes(p) for p in proof]
    except TypeError:
        return False
    if leaf is None or root_ is None or any(p is None for p in path):
        return False
    if isinstance(index, bool) or isinstance(n, bool):
        return False
    try:
        index, n = operator.index(index), operator.index(n)
    except TypeError:
        return False
    if not 0 <= index < n or len(root_) != _HASH_LEN or any(len(p) != _HASH_LEN for p in path):
        return False
    if rule == "rfc6962":
        return _rfc6962_verify(algo, leaf, index, n, path, root_)
    if len(leaf) != _HASH_LEN:
        return False
    return _levels_verify(algo, leaf, index, n, path, root_, rule)
