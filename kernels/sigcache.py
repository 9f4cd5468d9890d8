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
