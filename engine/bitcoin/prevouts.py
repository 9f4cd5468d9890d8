"""Reading prevouts: the JSON-lines format of ../shared/vectors/bitcoin (one output per line with ``txid``
in display order, ``vout``, ``amount`` in satoshi and ``script_pubkey`` hex; other fields are ignored)."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import InvalidArgument


def load_prevouts(path) -> dict[tuple[str, int], tuple[int, bytes]]:
    """{(txid_hex, vout): (amount, script_pubkey_bytes)}; a line that is not such an object raises
    InvalidArgument naming the line."""
    out: dict[tuple[str, int], tuple[int, bytes]] = {}
    with open(Path(path), encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
                txid = obj["txid"].lower()
                if len(bytes.fromhex(txid)) != 32:
                    raise ValueError("txid is not 32 bytes")
                vout, amount = obj["vout"], obj["amount"]
                if not (isinstance(vout, int) and isinstance(amount, int)) or isinstance(vout, bool):
                    raise ValueError("vout and amount must be integers")
                spk = bytes.fromhex(obj["script_pubkey"])
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                raise InvalidArgument(f"{path}:{lineno}: not a prevout record ({e})") from None
            out[(txid, vout)] = (amount, spk)
    return out
