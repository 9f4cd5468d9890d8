"""The signature cache's table: a fixed array of 128-bit fingerprints in buckets of four slots.

Layout: ``table`` is a (buckets * 4, 2) uint64 array; slot 4b + j belongs to bucket b.  An all-zero slot is
empty (callers set the top bit of every fingerprint's first word, so no fingerprint is zero).  A fingerprint
lives in bucket ``fp[1] % buckets``.  Inserting into a full bucket evicts one of its four slots, chosen by a
random word the caller supplies, so the table never holds more than its slots and never grows.

These kernels are not thread-safe on one table: the caller holds a lock around each call.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._bytes import copy

WAYS = 4


@njit(cache=True, nogil=True)
def lookup(table, fps, out):
    """out[i] = 1 when fingerprint fps[i] is in the table, else 0."""
    buckets = table.shape[0] // WAYS
    for i in range(fps.shape[0]):
        a = fps[i, 0]
        b = fps[i, 1]
        base = (b % np.uint64(buckets)) * WAYS
        hit = 0
        for j in range(WAYS):
            if table[base + j, 0] == a and table[base + j, 1] == b:
                hit = 1
                break
        out[i] = hit


@njit(cache=True, nogil=True)
def insert(table, fps, rand):
    """Insert each fingerprint of ``fps`` (already present ones are left alone); returns the change in the
    number of occupied slots.  ``rand[i]`` picks the victim when fps[i]'s bucket is full."""
    buckets = table.shape[0] // WAYS
    added = 0
    for i in range(fps.shape[0]):
        a = fps[i, 0]
        b = fps[i, 1]
        base = (b % np.uint64(buckets)) * WAYS
        free = -1
        present = False
        for j in range(WAYS):
            if table[base + j, 0] == a and table[base + j, 1] == b:
                present = True
                break
            if free < 0 and table[base + j, 0] == 0:
                free = j
        if present:
            continue
        if free < 0:
            free = rand[i] % WAYS
        else:
            added += 1
        table[base + free, 0] = a
        table[base + free, 1] = b
    return added


@njit(cache=True, nogil=True, inline="always")
def _field(o, p, buf, a, b, width, len_bytes):
    """The item's length (``len_bytes`` little-endian, saturated), then the item zero-padded to ``width``
    (all zeros when longer); returns the position after it."""
    ln = b - a
    cap = min(ln, (1 << (8 * len_bytes)) - 1)
    for j in range(len_bytes):
        o[p + j] = (cap >> (8 * j)) & 0xFF
    p += len_bytes
    if ln > width:
        ln = 0
    copy(o, p, buf, a, ln)
    for j in range(np.uint64(p + ln), np.uint64(p + width)):
        o[j] = 0
    return p + width


@njit(cache=True, nogil=True)
def records(salt, sid, kbuf, koff, sbuf, soff, mbuf, moff, out):
    """Fill ``out`` (N, 183) with the fingerprint records of engine/sigcache.py's layout::

        salt (14) | sid | len(key) | key (65) | len(sig) | sig (65) | len(msg) (u32 LE) | msg (32)

    from item i's key ``kbuf[koff[i]:koff[i+1]]`` (likewise signatures and messages): lengths saturate,
    items are zero-padded, and an item longer than its field leaves it zero (the caller marks it
    uncacheable, or puts a message's SHA-256 there).  One pass with vectorising copies (kernels/_bytes.py):
    2,000 records in ~20 us, against ~60 us of numpy column copies and ~200 us of Numba slice copies."""
    w = out.shape[1]
    o = out.reshape(-1)
    ns = salt.shape[0]
    for i in range(out.shape[0]):
        p = i * w
        copy(o, p, salt, 0, ns)
        o[p + ns] = sid
        p = _field(o, p + ns + 1, kbuf, koff[i], koff[i + 1], 65, 1)
        p = _field(o, p, sbuf, soff[i], soff[i + 1], 65, 1)
        _field(o, p, mbuf, moff[i], moff[i + 1], 32, 4)
