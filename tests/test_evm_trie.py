"""ledgerval.evm.trie: ordered-trie roots against py-trie's HexaryTrie (an independent implementation),
for counts around every shape change and values short enough to be embedded in their parents."""
from __future__ import annotations

import random

import pytest

from ledgerval.evm.rlp import enc_int
from ledgerval.evm.trie import EMPTY_ROOT, index_shape, ordered_roots


def reference_root(values: list[bytes]) -> bytes:
    trie = pytest.importorskip("trie")
    t = trie.HexaryTrie({})
    for i, v in enumerate(values):
        t[enc_int(i)] = v
    return t.root_hash


@pytest.mark.parametrize("n", [1, 2, 3, 15, 16, 17, 127, 128, 129, 130, 143, 144, 256, 257, 300, 1000])
@pytest.mark.parametrize("max_len", [1, 4, 30, 200])
def test_root_matches_hexary_trie(n, max_len):
    seed = n * 1000 + max_len
    rng = random.Random(seed)
    values = [rng.randbytes(rng.randint(1, max_len)) for _ in range(n)]
    assert ordered_roots([values], threads=1)[0] == reference_root(values), f"seed {seed}"


def test_empty_and_several_tries_at_once():
    rng = random.Random(7)
    a = [rng.randbytes(rng.randint(1, 90)) for _ in range(300)]
    b = [rng.randbytes(rng.randint(1, 20)) for _ in range(16)]
    assert ordered_roots([]) == []
    assert ordered_roots([[]]) == [EMPTY_ROOT] == [reference_root([])]
    assert ordered_roots([a, [], b], threads=2) == [reference_root(a), EMPTY_ROOT, reference_root(b)]


def test_shape_is_cached_and_the_root_is_last():
    nodes, levels = index_shape(200)
    assert index_shape(200) is index_shape(200)
    assert levels[-1] == (len(nodes) - 1,)
    assert sum(1 for n in nodes if n[0] == "leaf") == 200
