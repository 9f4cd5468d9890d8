"""Input normalisation helpers: flat buffers and fixed-width rows equal a per-item copy."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval._inputs import fixed_width, flatten


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.binary(max_size=70), max_size=30), width=st.sampled_from([32, 33, 64, 65]))
def test_fixed_width_matches_per_item_copy(items, width):
    out, lens = fixed_width(items, width)
    assert lens.tolist() == [len(x) for x in items]
    for i, x in enumerate(items):
        expect = x.ljust(width, b"\x00") if len(x) <= width else bytes(width)
        assert out[i].tobytes() == expect


@settings(max_examples=100, deadline=None)
@given(items=st.lists(st.binary(max_size=50), max_size=30))
def test_flatten(items):
    buf, offs = flatten(items)
    assert [buf[offs[i]:offs[i + 1]].tobytes() for i in range(len(items))] == items
    arr = np.zeros((3, 4), dtype=np.uint8)
    b2, o2 = flatten(arr)
    assert o2.tolist() == [0, 4, 8, 12] and b2.size == 12
