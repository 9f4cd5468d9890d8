"""The ``ledgerval bench`` row for 90%-prechecked blocks: its workload holds exactly the prechecked 90%, every
timed call sees the same state, and its check catches a report that was not served from the cache."""
from __future__ import annotations

from ledgerval.bench import cases


def test_prechecked_row_prepares_and_checks():
    case = next(c for c in cases.default_cases() if c.name == "e2e/secp256k1-sha256/prechecked90")
    prep = case.prepare({"blocks": 2, "txs": 40, "peer_blocks": 1})
    assert prep.items == 80 and not prep.threaded
    first = prep.ours(1)
    assert prep.check(first) is None
    assert [r.cached_signatures for r in first] == [36, 36]
    again = prep.ours(1)                     # the inserts were dropped: the same 90% again, not 100%
    assert [r.cached_signatures for r in again] == [36, 36]
    assert prep.peers["cold"].run() == [True, True]
    first[1].cached_signatures = 0
    assert "not 90% cached" in prep.check(first)
