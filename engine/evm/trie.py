"""Roots of Ethereum's ordered tries (transactions, withdrawals), built bottom up over Keccak batches.

A block's transactions trie maps RLP(i) to transaction i.  Its shape (which node holds which keys) depends
only on the number of items, so it is computed once per count and cached; a block then only encodes the
nodes and hashes them, one ``hash_batch`` call per height for every trie of the block together (leaves,
then their parents, ...: five calls for a block of a few hundred transactions, whatever the count).

Merkle-Patricia trie rules (Ethereum yellow paper, appendix D): a leaf is rlp([hex-prefix(rest of key,
leaf), value]), an extension rlp([hex-prefix(shared nibbles), child]), a branch rlp([child0..child15,
value]).  A child is referenced by the Keccak-256 of its encoding, or by the encoding itself when that is
shorter than 32 bytes; the root is always hashed.  The empty trie's root is Keccak-256(0x80).
"""
from __future__ import annotations

from functools import lru_cache

from ..hashing import hash_batch
from .rlp import enc_bytes, enc_int, enc_list

EMPTY_ROOT = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
_EMPTY_SLOT = b"\x80"

# A shape node: ("leaf", hex-prefix bytes, item index) | ("ext", hex-prefix bytes, child id)
#             | ("branch", 16 child ids or -1, item index or -1); ids index the shape's node list.


def _nibbles(key: bytes) -> tuple[int, ...]:
    out = []
    for b in key:
        out += (b >> 4, b & 15)
    return tuple(out)


def _hex_prefix(nibs: tuple[int, ...], leaf: bool) -> bytes:
    flag = 2 if leaf else 0
    if len(nibs) & 1:
        nibs = (flag + 1,) + nibs
    else:
        nibs = (flag, 0) + nibs
    return bytes((nibs[i] << 4) | nibs[i + 1] for i in range(0, len(nibs), 2))


def _build(keys: list[tuple[int, ...]], idx: list[int], depth: int, nodes: list, heights: list) -> int:
    """Add the subtrie of the sorted ``keys`` (all sharing their first ``depth`` nibbles); return its id."""
    if len(keys) == 1:
        nodes.append(("leaf", _hex_prefix(keys[0][depth:], True), idx[0]))
        heights.append(0)
        return len(nodes) - 1
    first, last = keys[0], keys[-1]
    lcp = depth
    while lcp < len(first) and lcp < len(last) and first[lcp] == last[lcp]:
        lcp += 1
    if lcp > depth:
        child = _build(keys, idx, lcp, nodes, heights)
        nodes.append(("ext", _hex_prefix(first[depth:lcp], False), child))
        heights.append(heights[child] + 1)
        return len(nodes) - 1
    children = [-1] * 16
    value = -1
    groups: dict[int, tuple[list, list]] = {}
    for k, i in zip(keys, idx):
        if len(k) == depth:
            value = i
        else:
            g = groups.setdefault(k[depth], ([], []))
            g[0].append(k)
            g[1].append(i)
    for nib, (ks, ix) in groups.items():
        children[nib] = _build(ks, ix, depth + 1, nodes, heights)
    nodes.append(("branch", tuple(children), value))
    heights.append(1 + max(heights[c] for c in children if c >= 0))
    return len(nodes) - 1


@lru_cache(maxsize=64)
def index_shape(n: int) -> tuple[tuple, tuple[tuple[int, ...], ...]]:
    """The trie of keys RLP(0) .. RLP(n-1), n >= 1: (nodes, node ids per height); the root is the last node."""
    keys = sorted((_nibbles(enc_int(i)), i) for i in range(n))
    nodes: list = []
    heights: list[int] = []
    _build([k for k, _ in keys], [i for _, i in keys], 0, nodes, heights)
    levels = [[] for _ in range(max(heights) + 1)]
    for nid, h in enumerate(heights):
        levels[h].append(nid)
    return tuple(nodes), tuple(tuple(lv) for lv in levels)


def _encode(node, refs: list, values: list[bytes]) -> bytes:
    kind, a, b = node
    if kind == "leaf":
        return enc_list(enc_bytes(a) + enc_bytes(values[b]))
    if kind == "ext":
        return enc_list(enc_bytes(a) + refs[b])
    slots = [_EMPTY_SLOT if c < 0 else refs[c] for c in a]
    slots.append(_EMPTY_SLOT if b < 0 else enc_bytes(values[b]))
    return enc_list(b"".join(slots))


def ordered_roots(value_lists: list[list[bytes]], *, threads: int | None = None) -> list[bytes]:
    """The root of the trie mapping RLP(i) to ``values[i]``, for each list of values; the tries' nodes of
    one height are hashed together in one Keccak batch."""
    tries = []
    for values in value_lists:
        if values:
            nodes, levels = index_shape(len(values))
            tries.append((values, nodes, levels, [b""] * len(nodes)))
    top = max((len(t[2]) for t in tries), default=0)
    for h in range(top):
        todo: list[tuple[list, int, bytes]] = []
        for values, nodes, levels, refs in tries:
            if h >= len(levels):
                continue
            root = len(nodes) - 1
            for nid in levels[h]:
                enc = _encode(nodes[nid], refs, values)
                if len(enc) >= 32 or nid == root:
                    todo.append((refs, nid, enc))
                else:
                    refs[nid] = enc   # embedded in its parent
        if todo:
            digests = hash_batch("keccak256", [e for _, _, e in todo], threads=threads)
            for (refs, nid, _), d in zip(todo, digests):
                refs[nid] = b"\xa0" + d.tobytes()
    roots = iter(t[3][-1][1:] for t in tries)
    return [next(roots) if values else EMPTY_ROOT for values in value_lists]


__all__ = ["EMPTY_ROOT", "index_shape", "ordered_roots"]
