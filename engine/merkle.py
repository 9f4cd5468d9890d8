"""Merkle roots and inclusion proofs over a chosen hash.

Rules (the same as ``ledgerval.reference.merkle``, which the tests compare against):
- ``rfc6962``: RFC 6962/9162 Merkle Tree Hash.  Leaves are any bytes, hashed H(0x00 || d); interior nodes
  H(0x01 || l || r); zero leaves give H(b"").  Built level by level, an odd level's last node moving up
  unchanged, which equals RFC 6962's split at the largest power of two.
- ``bitcoin``: leaves are 32-byte nodes; H(l || r); an odd level pairs its last node with itself; one leaf is
  the root; zero leaves give 32 zero bytes.  ``merkle_root_mutated`` also reports CVE-2012-2459's flag.
- ``fisco``: leaves are 32-byte nodes; H(l || r); an odd level's last node is hashed alone, H(c); one leaf
  is the root as is; zero leaves give H(b"").

Every level is one batch call (``_merkle_levels`` below, over the native or Numba pair kernels); the pairs
of a level are its rows 2p, 2p+1 side by side, i.e. consecutive 64-byte messages, the hot path of the hash kernels.
"""
from __future__ import annotations

import hashlib
import operator
from typing import Callable

import numpy as np

from ._inputs import as_items, flatten
from .errors import InvalidArgument, InvalidType
from .hashing import _backend, _native, _spans
from .native_threads import resolve_threads
from .suites import check_hash

RULES = ("rfc6962", "bitcoin", "fisco")


def check_rule(rule: str) -> str:
    if not isinstance(rule, str):
        raise InvalidType(f"rule must be a str, not {type(rule).__name__}")
    if rule not in RULES:
        raise InvalidArgument(f"unknown Merkle rule {rule!r}; expected one of: {', '.join(RULES)}")
    return rule


def _digest(algo: str, data: bytes) -> bytes:
    """One hash, for proofs (a handful per call)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    off = np.array([0, len(data)], dtype=np.int64)
    b = "native" if _native() is not None else "numba"
    return _spans(algo, buf, off, 1, b)[0].tobytes()


def _level0(algo: str, leaves, rule: str, threads: int, backend: str) -> np.ndarray:
    """The (n, 32) bottom level: leaf hashes for rfc6962, the leaves themselves otherwise."""
    items = as_items("leaves", leaves)
    if rule != "rfc6962":
        if isinstance(items, np.ndarray):
            if items.shape[1] != 32:
                raise InvalidArgument(f"{rule} Merkle leaves must be 32 bytes, got width {items.shape[1]}")
            return items
        for i, x in enumerate(items):
            if len(x) != 32:
                raise InvalidArgument(f"{rule} Merkle leaf {i} is {len(x)} bytes; expected 32")
        return np.frombuffer(b"".join(items), dtype=np.uint8).reshape(len(items), 32)
    # H(0x00 || d): one buffer with a zero byte in front of every leaf
    if isinstance(items, np.ndarray):
        n, w = items.shape
        pre = np.zeros((n, w + 1), dtype=np.uint8)
        pre[:, 1:] = items
        buf, offsets = pre.reshape(-1), np.arange(n + 1, dtype=np.int64) * (w + 1)
    else:
        buf, offsets = flatten([b"\x00" + x for x in items])
    return _spans(algo, buf, offsets, threads, backend)


def _pair_fn(algo: str, rule: str, threads: int, backend: str):
    """pairs(level, npairs, out, check): out[p] = H([0x01] || level[2p] || level[2p+1]) (0x01 for rfc6962
    only); with ``check``, returns whether some pair holds two equal nodes (bitcoin's mutated flag)."""
    prefix = 1 if rule == "rfc6962" else -1
    if backend == "numba":
        from ledgerval import kernels
        from ledgerval.kernels.merkle import any_equal_halves, pairs_into

        def pairs(level, npairs, out, check):
            kernels.set_threads(threads)
            flat = np.ascontiguousarray(level[: 2 * npairs]).reshape(-1)
            pairs_into(algo, prefix, flat, npairs, out)
            return check and any_equal_halves(flat, npairs)
        return pairs

    nh = _native()
    # A level that wakes no helper (nh.pair_helpers) gains nothing from the pool's job round trip (~6 us a
    # call): one direct call on this thread costs ~3 us.  A 2,000-leaf tree has 11 levels.
    tiny = _tiny_pairs(algo, prefix)

    def pairs(level, npairs, out, check):
        if npairs <= _TINY_PAIRS and tiny is not None:
            return tiny(level, npairs, out, check)
        data = np.ascontiguousarray(level[: 2 * npairs]).reshape(npairs, 64)
        if nh.pair_helpers(npairs, threads) == 0:
            equal = np.zeros(1, dtype=np.uint8) if check else None
            nh.hash_pairs_shared(algo, data, out, npairs, nh.shared_state(), prefix, equal)
            return bool(check and equal[0])
        return nh.hash_pairs_threaded(algo, data, out, threads, prefix, check)
    return pairs


# The top levels of a tree (at most this many pairs) go through hashlib, ~0.4 us a pair against ~3 us for
# any native call: a 2,000-leaf tree's last three levels.
_TINY_PAIRS = 4


def _tiny_pairs(algo: str, prefix: int):
    """``pairs`` for a few SHA-256 / SHA-256d pairs through hashlib (None for the other algorithms)."""
    if algo not in ("sha256", "sha256d"):
        return None
    pre = b"" if prefix < 0 else bytes([prefix])
    double = algo == "sha256d"

    def tiny(level, npairs, out, check):
        data = level[: 2 * npairs].tobytes()
        equal = False
        for p in range(npairs):
            node = data[64 * p: 64 * p + 64]
            equal = equal or (check and node[:32] == node[32:])
            d = hashlib.sha256(pre + node).digest()
            out[p] = np.frombuffer(hashlib.sha256(d).digest() if double else d, dtype=np.uint8)
        return equal
    return tiny


# (nodes (m, 32), npairs, out (npairs, 32), check) -> whether some pair (2p, 2p+1) is two equal nodes
# (asked only when ``check``; the hashing backend does it per chunk, beside the hashing).
PairFn = Callable[[np.ndarray, int, np.ndarray, bool], bool]
OneFn = Callable[[np.ndarray], np.ndarray]  # 32-byte node -> its hash (32,)


def _merkle_levels(nodes: np.ndarray, rule: str, pairs: PairFn, single: OneFn, keep: bool = False):
    """Reduce level by level to one node.  Returns (levels, mutated): levels is every level from ``nodes`` up
    to the root when ``keep``, else only [root level]; mutated is Bitcoin's CVE-2012-2459 flag (some level
    pairs two identical nodes, not counting an odd node paired with itself)."""
    level = nodes
    levels = [level] if keep else []
    mutated = False
    while level.shape[0] > 1:
        m = level.shape[0]
        npairs = m // 2
        out = np.empty(((m + 1) // 2, 32), dtype=np.uint8)
        if pairs(level, npairs, out[:npairs], rule == "bitcoin" and not mutated):
            mutated = True
        if m & 1:
            last = level[m - 1]
            if rule == "rfc6962":
                out[npairs] = last
            elif rule == "bitcoin":
                twin = np.concatenate([last, last]).reshape(2, 32)
                pairs(twin, 1, out[npairs:], False)
            else:
                out[npairs] = single(last)
        level = out
        if keep:
            levels.append(level)
    if not keep:
        levels = [level]
    return levels, mutated


def _levels(algo: str, leaves, rule: str, threads, backend: str, keep: bool):
    t = resolve_threads(threads)
    level = _level0(algo, leaves, rule, t, backend)
    if level.shape[0] == 0:
        empty = bytes(32) if rule == "bitcoin" else _digest(algo, b"")
        return [np.frombuffer(empty, dtype=np.uint8).reshape(1, 32)], False, 0

    def single(node):
        return np.frombuffer(_digest(algo, node.tobytes()), dtype=np.uint8)

    levels, mutated = _merkle_levels(level, rule, _pair_fn(algo, rule, t, backend), single, keep)
    return levels, mutated, level.shape[0]


def _reference_root(algo, leaves, rule):
    from .reference.merkle import bitcoin_root, root

    items = as_items("leaves", leaves)
    items = [bytes(x) for x in items]
    if rule == "bitcoin":
        return bitcoin_root(algo, items)
    return root(algo, items, rule), False


def merkle_root(algo: str, leaves, rule: str = "rfc6962", *, threads: int | None = None,
                backend: str = "auto") -> bytes:
    """The Merkle root of ``leaves`` under ``rule`` (see the module docstring): a sequence of bytes or an
    (N, L) uint8 array; 32-byte leaves for ``bitcoin``/``fisco``."""
    check_hash(algo)
    check_rule(rule)
    b = _backend(backend)
    if b == "reference":
        resolve_threads(threads)
        return _reference_root(algo, leaves, rule)[0]
    levels, _, _ = _levels(algo, leaves, rule, threads, b, keep=False)
    return levels[-1][0].tobytes()


def merkle_root_mutated(algo: str, leaves, *, threads: int | None = None, backend: str = "auto") -> tuple[bytes, bool]:
    """(root, mutated) under the ``bitcoin`` rule, as Bitcoin Core's ComputeMerkleRoot: ``mutated`` is True
    when some level pairs two identical nodes at positions 2i, 2i+1 (CVE-2012-2459); an odd level's last
    node paired with itself does not count."""
    check_hash(algo)
    b = _backend(backend)
    if b == "reference":
        resolve_threads(threads)
        return _reference_root(algo, leaves, "bitcoin")
    levels, mutated, _ = _levels(algo, leaves, "bitcoin", threads, b, keep=False)
    return levels[-1][0].tobytes(), mutated


def merkle_proof(algo: str, leaves, index: int, rule: str = "rfc6962", *, threads: int | None = None) -> list[bytes]:
    """The inclusion proof of leaf ``index``: sibling nodes bottom-up.  rfc6962: RFC 9162's audit path;
    bitcoin: one sibling per level, the node itself where it is its own sibling; fisco: one per level except
    where the node is a lone last node (hashed alone)."""
    check_hash(algo)
    check_rule(rule)
    levels, _, n = _levels(algo, leaves, rule, threads, _backend("auto"), keep=True)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise InvalidArgument(f"leaf index {index!r} out of range for {n} leaves")
    i = int(index)
    path = []
    for level in levels[:-1]:
        sib = i ^ 1
        if sib < level.shape[0]:
            path.append(level[sib].tobytes())
        elif rule == "bitcoin":
            path.append(level[i].tobytes())
        i >>= 1
    return path


def _as_bytes(x) -> bytes | None:
    if isinstance(x, bytes):
        return x
    if isinstance(x, (bytearray, memoryview)):
        return bytes(x)
    if isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 1:
        return x.tobytes()
    return None


def _verify(algo, leaf, index, n, proof, root, rule) -> bool:
    H = lambda data: _digest(algo, data)  # noqa: E731
    if rule == "rfc6962":
        # RFC 9162 2.1.3.2: fn walks the leaf's position, sn the last position; the path must be used up
        fn, sn = index, n - 1
        r = H(b"\x00" + leaf)
        for p in proof:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                r = H(b"\x01" + p + r)
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
            else:
                r = H(b"\x01" + r + p)
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == root
    if len(leaf) != 32:
        return False
    r, i, size, used = leaf, index, n, 0
    while size > 1:
        lone = i == size - 1 and not i & 1
        if lone and rule == "fisco":
            r = H(r)
        else:
            if used >= len(proof):
                return False
            p = proof[used]
            used += 1
            if lone and p != r:
                return False
            r = H(p + r) if i & 1 else H(r + p)
        i >>= 1
        size = (size + 1) // 2
    return used == len(proof) and r == root


def verify_merkle_proof(algo: str, leaf, index: int, n: int, proof, root, rule: str = "rfc6962") -> bool:
    """True iff ``proof`` (from ``merkle_proof``) shows ``leaf`` at ``index`` of ``n`` leaves under ``root``.
    ``leaf`` is the raw data for rfc6962 and the 32-byte leaf node otherwise.  Bad data of any kind gives
    False; only an unknown ``algo`` or ``rule`` raises."""
    check_hash(algo)
    check_rule(rule)
    leaf_b, root_b = _as_bytes(leaf), _as_bytes(root)
    if leaf_b is None or root_b is None or len(root_b) != 32:
        return False
    try:
        path = [_as_bytes(p) for p in proof]
        if isinstance(index, bool) or isinstance(n, bool):
            return False
        index, n = operator.index(index), operator.index(n)
    except TypeError:
        return False
    if any(p is None or len(p) != 32 for p in path) or not 0 <= index < n:
        return False
    return _verify(algo, leaf_b, index, n, path, root_b, rule)
