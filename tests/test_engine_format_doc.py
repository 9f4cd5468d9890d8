"""docs/FORMAT.md's worked example decodes and validates exactly as the page says."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ledgerval import Validator
from ledgerval.format import decode_block

DOC = Path(__file__).resolve().parents[1] / "docs" / "FORMAT.md"


def _example():
    text = DOC.read_text()
    hexblock = re.search(r"<!-- example-block -->\s*```\s*([0-9a-f\s]+)```", text).group(1)
    values = dict(re.findall(r"- (tx_hash|tx_root|header_hash|validator 0's public key)[^`]*`([0-9a-f]{64})`",
                             text))
    return bytes.fromhex("".join(hexblock.split())), values


def test_worked_example_matches_the_code():
    block, values = _example()
    assert len(block) == 277
    dec = decode_block(block)
    h = dec.header
    assert (h.suite_id, h.version, h.chain_id, h.height, h.timestamp_ms, h.tx_count) == (3, 1, 0, 0,
                                                                                        1_700_000_000_000, 1)
    tx_hash = hashlib.sha256(block[96:145]).digest()
    assert tx_hash.hex() == values["tx_hash"]
    assert hashlib.sha256(b"\x00" + tx_hash).hexdigest() == values["tx_root"] == h.tx_root.hex()
    report = Validator("ed25519-sha256", validators=[bytes.fromhex(values["validator 0's public key"])]) \
        .validate_block(block)
    assert report.ok, report.errors
    assert report.header_hash.hex() == values["header_hash"]


def test_error_code_table_lists_every_code():
    import ledgerval

    text = DOC.read_text()
    for code in ledgerval.ERROR_CODES:
        assert f"| `{code}` |" in text, code
