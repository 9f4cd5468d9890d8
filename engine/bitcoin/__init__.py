"""Bitcoin adapter: validate real Bitcoin blocks with the engine kernels.

``validate_block(raw, prevouts=None)`` parses a serialized block, checks its header, Merkle root and
CheckBlock rules, and verifies the signatures of its standard inputs in one batch; ``load_prevouts`` reads
the outputs a block spends.  See ``BitcoinReport`` for the verdict's fields.
"""
from .prevouts import load_prevouts
from .report import BitcoinError, BitcoinReport
from .validate import validate_block

__all__ = ["validate_block", "load_prevouts", "BitcoinReport", "BitcoinError"]
