"""The reference Merkle trees (ledgerval.reference.merkle): hand-computed small trees, RFC 6962's example
tree and audit paths, real Bitcoin blocks, CVE-2012-2459 mutation, and proofs for n = 1..40."""
from __future__ import annotations

import hashlib
import json
import random

import pytest

from ledgerval.errors import InvalidArgument
from ledgerval.reference import merkle
from ledgerval.reference.hashes import digest
from conftest import vector_file

SEED = 6962


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def dsha(data: bytes) -> bytes:
    return sha(sha(data))


def _leaves(n: int, rng: random.Random, width: int = 32) -> list[bytes]:
    return [rng.randbytes(width) for _ in range(n)]


# --- hand-computed roots -------------------------------------------------------------------------------------

def test_rfc6962_small_by_hand():
    a, b, c = b"alpha", b"", b"\x00" * 40
    la, lb, lc = sha(b"\x00" + a), sha(b"\x00" + b), sha(b"\x00" + c)
    assert merkle.root("sha256", [], "rfc6962") == sha(b"")
    assert merkle.root("sha256", [a], "rfc6962") == la
    assert merkle.root("sha256", [a, b], "rfc6962") == sha(b"\x01" + la + lb)
    assert merkle.root("sha256", [a, b, c], "rfc6962") == sha(b"\x01" + sha(b"\x01" + la + lb) + lc)


def test_rfc6962_example_tree_and_paths():
    """RFC 6962 section 2.1.3's seven-leaf tree and its four published audit paths."""
    d = [bytes([i]) * (i + 1) for i in range(7)]
    a, b, c, dd, e, f, j = (sha(b"\x00" + x) for x in d)
    node = lambda x, y: sha(b"\x01" + x + y)  # noqa: E731
    g, h, i = node(a, b), node(c, dd), node(e, f)
    k, l_ = node(g, h), node(i, j)
    top = node(k, l_)
    assert merkle.root("sha256", d, "rfc6962") == top
    assert merkle.proof("sha256", d, 0, "rfc6962") == [b, h, l_]
    assert merkle.proof("sha256", d, 3, "rfc6962") == [c, g, l_]
    assert merkle.proof("sha256", d, 4, "rfc6962") == [f, j, k]
    assert merkle.proof("sha256", d, 6, "rfc6962") == [i, k]
    for idx in range(7):
        assert merkle.verify_proof("sha256", d[idx], idx, 7, merkle.proof("sha256", d, idx, "rfc6962"), top, "rfc6962")


def test_bitcoin_small_by_hand():
    rng = random.Random(SEED)
    a, b, c = _leaves(3, rng)
    assert merkle.root("sha256d", [], "bitcoin") == bytes(32)
    assert merkle.root("sha256d", [a], "bitcoin") == a
    assert merkle.root("sha256d", [a, b], "bitcoin") == dsha(a + b)
    assert merkle.root("sha256d", [a, b, c], "bitcoin") == dsha(dsha(a + b) + dsha(c + c))
    assert merkle.root("sm3", [a, b, c], "bitcoin") == digest("sm3", digest("sm3", a + b) + digest("sm3", c + c))


def test_fisco_small_by_hand():
    rng = random.Random(SEED + 1)
    a, b, c, d, e = _leaves(5, rng)
    assert merkle.root("sm3", [], "fisco") == digest("sm3", b"")
    assert merkle.root("sm3", [a], "fisco") == a
    assert merkle.root("sha256", [a, b], "fisco") == sha(a + b)
    assert merkle.root("sha256", [a, b, c], "fisco") == sha(sha(a + b) + sha(c))
    ab, cd = sha(a + b), sha(c + d)
    assert merkle.root("sha256", [a, b, c, d, e], "fisco") == sha(sha(ab + cd) + sha(sha(e)))


def test_leaf_width_and_misuse():
    with pytest.raises(InvalidArgument):
        merkle.root("sha256d", [b"short"], "bitcoin")
    with pytest.raises(InvalidArgument):
        merkle.root("sm3", [bytes(33)], "fisco")
    with pytest.raises(InvalidArgument):
        merkle.root("sha256", [b""], "bitcoinz")
    with pytest.raises(InvalidArgument):
        merkle.root("md5", [b""], "rfc6962")
    with pytest.raises(InvalidArgument):
        merkle.proof("sha256", [b"a", b"b"], 2, "rfc6962")
    with pytest.raises((InvalidArgument, TypeError)):
        merkle.root("sha256", [5], "rfc6962")
    # rfc6962 takes leaves of any length.
    assert len(merkle.root("sha256", [b"", b"x" * 100], "rfc6962")) == 32


# --- Bitcoin: real blocks ------------------------------------------------------------------------------------

def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    first = buf[pos]
    if first < 0xFD:
        return first, pos + 1
    width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    return int.from_bytes(buf[pos + 1 : pos + 1 + width], "little"), pos + 1 + width


def _txids(block: bytes) -> list[bytes]:
    """Internal-order txids of a pre-SegWit serialized block."""
    count, pos = _varint(block, 80)
    out = []
    for _ in range(count):
        start = pos
        pos += 4
        assert block[pos] != 0, "SegWit transactions are not expected in these blocks"
        n_in, pos = _varint(block, pos)
        for _ in range(n_in):
            pos += 36
            length, pos = _varint(block, pos)
            pos += length + 4
        n_out, pos = _varint(block, pos)
        for _ in range(n_out):
            pos += 8
            length, pos = _varint(block, pos)
            pos += length
        pos += 4
        out.append(dsha(block[start:pos]))
    assert pos == len(block)
    return out


def _checkblock(name: str) -> list[tuple[str, bytes]]:
    path = vector_file("bitcoin", name)
    rows = json.loads(path.read_text())
    return [(r[0], bytes.fromhex(r[4])) for r in rows if isinstance(r, list) and len(r) == 5]


def test_bitcoin_real_blocks():
    blocks = _checkblock("checkblock_valid.json")
    blocks.append(("block 277647", vector_file("bitcoin", "block277647.raw").read_bytes()))
    full = [(name, b) for name, b in blocks if len(b) > 80]
    assert len(full) >= 3
    for name, block in full:
        txids = _txids(block)
        got, mutated = merkle.bitcoin_root("sha256d", txids)
        assert got == block[36:68], name
        assert not mutated, name
        assert merkle.root("sha256d", txids, "bitcoin") == got
        # Inclusion proofs against the header's root.
        for idx in sorted({0, len(txids) // 2, len(txids) - 1}):
            path = merkle.proof("sha256d", txids, idx, "bitcoin")
            assert merkle.verify_proof("sha256d", txids[idx], idx, len(txids), path, block[36:68], "bitcoin")
    genesis = full[0][1]
    assert _txids(genesis)[0][::-1].hex() == "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"


def test_bitcoin_checkblock_invalid_merkle_cases():
    cases = dict(_checkblock("checkblock_invalid.json"))
    dup = cases.get("Duplicate transaction")
    if dup is not None:
        # The body repeats its last transaction ([a, b, b]) under a header committing to [a, b]: equal
        # nodes at positions 1 and 2 are not a pair, so this is a plain root mismatch, not a mutation.
        txids = _txids(dup)
        got, mutated = merkle.bitcoin_root("sha256d", txids)
        assert got != dup[36:68] and not mutated
        assert merkle.root("sha256d", txids[:2], "bitcoin") == dup[36:68]
    bad = cases.get("Merkle root mismatch")
    if bad is not None:
        got, _ = merkle.bitcoin_root("sha256d", _txids(bad))
        assert got != bad[36:68]


def test_bitcoin_mutation_cve_2012_2459():
    rng = random.Random(SEED + 2)
    a, b, c, d, e = _leaves(5, rng)
    assert merkle.bitcoin_root("sha256d", [a, b, c]) == (merkle.root("sha256d", [a, b, c], "bitcoin"), False)
    root3 = merkle.root("sha256d", [a, b, c], "bitcoin")
    # Duplicating the last leaf gives the same root but is flagged.
    assert merkle.bitcoin_root("sha256d", [a, b, c, c]) == (root3, True)
    assert merkle.bitcoin_root("sha256d", [a, a]) == (dsha(a + a), True)
    assert merkle.bitcoin_root("sha256d", [a]) == (a, False)
    assert merkle.bitcoin_root("sha256d", []) == (bytes(32), False)
    # Identical nodes one level up: [a, b, a, b] pairs H(ab) with itself.
    assert merkle.bitcoin_root("sha256d", [a, b, a, b])[1] is True
    # Equal nodes that are not a pair (positions 1, 2) are not a mutation.
    assert merkle.bitcoin_root("sha256d", [a, b, b, c])[1] is False
    five = [a, b, c, d, e]
    six = five + [e]
    assert merkle.bitcoin_root("sha256d", six) == (merkle.root("sha256d", five, "bitcoin"), True)


# --- proofs ------------------------------------------------------------------------------------------------

def _flip_byte(data: bytes, i: int) -> bytes:
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


@pytest.mark.parametrize("rule", ["rfc6962", "bitcoin", "fisco"])
def test_proofs_n_1_to_40(rule):
    rng = random.Random(SEED + 3)
    print("seed", SEED + 3)
    for n in range(1, 41):
        width = rng.choice([1, 32, 45]) if rule == "rfc6962" else 32
        leaves = _leaves(n, rng, width)
        top = merkle.root("sha256", leaves, rule)
        for idx in range(n):
            path = merkle.proof("sha256", leaves, idx, rule)
            leaf = leaves[idx]
            assert merkle.verify_proof("sha256", leaf, idx, n, path, top, rule), (n, idx)
            # One random byte of each element, the leaf and the root.
            for k in range(len(path)):
                bad = list(path)
                bad[k] = _flip_byte(bad[k], rng.randrange(32))
                if bad[k] != path[k]:
                    assert not merkle.verify_proof("sha256", leaf, idx, n, bad, top, rule), (n, idx, k)
            assert not merkle.verify_proof("sha256", _flip_byte(leaf, rng.randrange(len(leaf))), idx, n, path, top, rule)
            assert not merkle.verify_proof("sha256", leaf, idx, n, path, _flip_byte(top, rng.randrange(32)), rule)
            # Truncated or extended proofs, another index, out-of-range indices.
            if path:
                assert not merkle.verify_proof("sha256", leaf, idx, n, path[:-1], top, rule)
            assert not merkle.verify_proof("sha256", leaf, idx, n, path + [top], top, rule)
            assert not merkle.verify_proof("sha256", leaf, idx, n, path, top[:31], rule)
            if n > 1 and leaves[idx] != leaves[(idx + 1) % n]:
                assert not merkle.verify_proof("sha256", leaf, (idx + 1) % n, n, path, top, rule)
            assert not merkle.verify_proof("sha256", leaf, n, n, path, top, rule)
            assert not merkle.verify_proof("sha256", leaf, -1, n, path, top, rule)


@pytest.mark.parametrize("rule", ["rfc6962", "bitcoin", "fisco"])
def test_proofs_every_byte(rule):
    """Every single byte of proof, leaf and root matters, on two shapes (odd levels included)."""
    rng = random.Random(SEED + 4)
    for n in (7, 13):
        leaves = _leaves(n, rng)
        top = merkle.root("sha256", leaves, rule)
        for idx in (0, n // 2, n - 1):
            path = merkle.proof("sha256", leaves, idx, rule)
            flat = b"".join(path)
            for i in range(len(flat)):
                bad = _flip_byte(flat, i)
                bad_path = [bad[j : j + 32] for j in range(0, len(bad), 32)]
                if bad_path != path:
                    assert not merkle.verify_proof("sha256", leaves[idx], idx, n, bad_path, top, rule)
            for i in range(32):
                assert not merkle.verify_proof("sha256", _flip_byte(leaves[idx], i), idx, n, path, top, rule)
                assert not merkle.verify_proof("sha256", leaves[idx], idx, n, path, _flip_byte(top, i), rule)


@pytest.mark.parametrize("algo", ["sm3", "keccak256", "sha256d"])
def test_proofs_other_hashes(algo):
    rng = random.Random(SEED + 5)
    for rule in merkle.RULES:
        for n in (1, 2, 5, 9):
            leaves = _leaves(n, rng)
            top = merkle.root(algo, leaves, rule)
            for idx in range(n):
                path = merkle.proof(algo, leaves, idx, rule)
                assert merkle.verify_proof(algo, leaves[idx], idx, n, path, top, rule)
                assert not merkle.verify_proof("sha256", leaves[idx], idx, n, path, top, rule) or n == 1 and rule != "rfc6962"


def test_bitcoin_lone_node_sibling_must_be_itself():
    rng = random.Random(SEED + 6)
    leaves = _leaves(3, rng)
    top = merkle.root("sha256d", leaves, "bitcoin")
    path = merkle.proof("sha256d", leaves, 2, "bitcoin")
    assert path[0] == leaves[2]
    assert merkle.verify_proof("sha256d", leaves[2], 2, 3, path, top, "bitcoin")
    assert not merkle.verify_proof("sha256d", leaves[2], 2, 3, [leaves[0]] + path[1:], top, "bitcoin")


def test_verify_proof_never_raises_on_bad_data():
    rng = random.Random(SEED + 7)
    leaves = _leaves(4, rng)
    top = merkle.root("sha256", leaves, "bitcoin")
    path = merkle.proof("sha256", leaves, 1, "bitcoin")
    good = ("sha256", leaves[1], 1, 4, path, top, "bitcoin")
    assert merkle.verify_proof(*good)
    bads = [
        (None, 1, 4, path, top),
        (32, 1, 4, path, top),
        (leaves[1][:31], 1, 4, path, top),
        (leaves[1], "1", 4, path, top),
        (leaves[1], 1.0, 4, path, top),
        (leaves[1], True, 4, path, top),
        (leaves[1], 1, None, path, top),
        (leaves[1], 1, 4, None, top),
        (leaves[1], 1, 4, 5, top),
        (leaves[1], 1, 4, b"".join(path), top),
        (leaves[1], 1, 4, [32, 32], top),
        (leaves[1], 1, 4, [p + b"\x00" for p in path], top),
        (leaves[1], 1, 4, path, None),
        (leaves[1], 1, 4, path, 32),
        (leaves[1], 1, 0, [], top),
        (leaves[1], 1, 1, [], top),
    ]
    for leaf, idx, n, p, r in bads:
        assert merkle.verify_proof("sha256", leaf, idx, n, p, r, "bitcoin") is False
        assert merkle.verify_proof("sha256", leaf, idx, n, p, r, "rfc6962") is False
    with pytest.raises(InvalidArgument):
        merkle.verify_proof("sha256", leaves[1], 1, 4, path, top, "nope")
