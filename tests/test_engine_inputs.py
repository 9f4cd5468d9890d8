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
@given(data=st.data(), length=st.integers(0, 70), n=st.integers(1, 20), width=st.sampled_from([32, 33, 64, 65]))
def test_fixed_width_of_one_length_matches_per_item_copy(data, length, n, width):
    """Items of one length take a single join (the common case: digests, signatures); the rows are writable
    like the general path's."""
    items = data.draw(st.lists(st.binary(min_size=length, max_size=length), min_size=n, max_size=n))
    out, lens = fixed_width(items, width)
    assert out.shape == (n, width) and out.flags.writeable and lens.tolist() == [length] * n
    for i, x in enumerate(items):
        assert out[i].tobytes() == (x.ljust(width, b"\x00") if length <= width else bytes(width))


@settings(max_examples=100, deadline=None)
@given(items=st.lists(st.binary(max_size=50), max_size=30))
def test_flatten(items):
    buf, offs = flatten(items)
    assert [buf[offs[i]:offs[i + 1]].tobytes() for i in range(len(items))] == items
    arr = np.zeros((3, 4), dtype=np.uint8)
    b2, o2 = flatten(arr)
    assert o2.tolist() == [0, 4, 8, 12] and b2.size == 12
