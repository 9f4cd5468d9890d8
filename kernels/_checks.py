"""Argument checks of the kernel wrappers: a kernel must never read outside its buffer."""
from __future__ import annotations

import numpy as np


def check_spans(buf: np.ndarray, offsets: np.ndarray) -> None:
    if not isinstance(buf, np.ndarray) or buf.dtype != np.uint8 or buf.ndim != 1 or not buf.flags.c_contiguous:
        raise TypeError("buf must be a C-contiguous 1-D uint8 array")
    if (not isinstance(offsets, np.ndarray) or offsets.dtype != np.int64 or offsets.ndim != 1
            or not offsets.flags.c_contiguous or offsets.shape[0] < 1):
        raise TypeError("offsets must be a C-contiguous 1-D int64 array with at least one entry")
    if offsets[0] < 0 or offsets[-1] > buf.shape[0] or (offsets.shape[0] > 1 and np.any(np.diff(offsets) < 0)):
        raise ValueError("offsets must be nondecreasing and within the buffer")


def check_nodes(data: np.ndarray, width: int) -> None:
    if (not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2
            or data.shape[1] != width or not data.flags.c_contiguous):
        raise TypeError(f"data must be a C-contiguous (N, {width}) uint8 array")
