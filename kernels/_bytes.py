"""``copy``: a byte copy between uint8 arrays inside Numba kernels, at memcpy-like speed.

Numba compiles a slice assignment ``dst[a:b] = src[c:d]`` to a generic element loop with an overlap check
(~1 byte per cycle), and a plain loop over signed indices keeps the negative-index wraparound test on every
access, which stops LLVM from vectorising it.  Unsigned indices have no wraparound, so the loop below
vectorises: 900 KB in 3,000 spans took ~23 us this way against ~255 us as slice assignments and ~520 us as
a signed loop (one core, thread CPU time, medians of 100).  Callers guarantee the bounds (no check here,
as with every Numba index) and that the two ranges do not overlap.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def copy(dst, d, src, s, m):
    """``dst[d:d+m] = src[s:s+m]`` for m >= 0, non-overlapping, in bounds."""
    d, s = np.uint64(d), np.uint64(s)
    for j in range(np.uint64(m)):
        dst[d + j] = src[s + j]
