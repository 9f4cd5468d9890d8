"""Layers only call down: engine (``ledgerval``) -> kernels (``ledgerval.kernels``) -> native
(``ledgerval.native``).  Every import of every package module is read with ``ast`` (function-level and
conditional ones too, relative ones resolved) and checked against the layer of the module that makes it.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# folder -> (import package, layer rank, third-party packages the layer may use besides the standard library)
LAYERS = {
    "native": ("ledgerval.native", 0, {"numpy", "cffi"}),
    # llvmlite is Numba's own code generator (installed with it): numba.extending.intrinsic bodies build its IR
    "kernels": ("ledgerval.kernels", 1, {"numpy", "numba", "llvmlite"}),
    "engine": ("ledgerval", 2, None),  # the engine composes everything; any installed package
}


def _rank(module: str) -> int | None:
    """The layer of a ledgerval module (None: not ours)."""
    if module == "ledgerval.native" or module.startswith("ledgerval.native."):
        return 0
    if module == "ledgerval.kernels" or module.startswith("ledgerval.kernels."):
        return 1
    if module == "ledgerval" or module.startswith("ledgerval."):
        return 2
    return None


def _module_name(package: str, rel: Path) -> tuple[str, bool]:
    parts = list(rel.with_suffix("").parts)
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts = parts[:-1]
    return ".".join([package, *parts]), is_pkg


def imports_of(source: str, module: str, is_pkg: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, relative ones resolved against
    ``module`` (a package when ``is_pkg``); ``from X import name`` yields X.name, since name may be a
    submodule (``from ledgerval import native`` reaches the bottom layer, not the engine)."""
    out = []
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = base[: len(base) - (node.level - 1)]
                target = ".".join(up + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names if a.name != "*"]
            out += [(node.lineno, f"{target}.{n}") for n in names] or [(node.lineno, target)]
    return out


def violations(source: str, module: str, is_pkg: bool, rank: int, third_party: set[str] | None) -> list[str]:
    bad = []
    for line, target in imports_of(source, module, is_pkg):
        top = target.split(".")[0]
        r = _rank(target)
        if r is not None:
            if r > rank:
                bad.append(f"{module}:{line} imports {target} (a higher layer)")
        elif third_party is not None and top not in sys.stdlib_module_names and top not in third_party:
            bad.append(f"{module}:{line} imports {target} (not allowed in this layer)")
    return bad


def _package_modules():
    for folder, (package, rank, third) in LAYERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder)
            if "reference" in rel.parts and folder != "engine":
                continue
            module, is_pkg = _module_name(package, rel)
            yield path, module, is_pkg, rank, third


def test_every_import_calls_down():
    bad, seen = [], 0
    for path, module, is_pkg, rank, third in _package_modules():
        bad += violations(path.read_text(), module, is_pkg, rank, third)
        seen += 1
    assert seen > 40, f"only {seen} modules found under {ROOT}"
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("src, module, is_pkg, rank, third, want", [
    # upward, absolute, inside a function
    ("def f():\n    from ledgerval.hashing import hash_spans\n", "ledgerval.native.sm2", False, 0, {"numpy"}, 1),
    # upward, relative: native/x.py's ``from .. import errors`` is ledgerval.errors
    ("from ..errors import InvalidArgument\n", "ledgerval.native.x", False, 0, {"numpy"}, 1),
    # sideways into the engine from kernels
    ("import ledgerval.bitcoin.script\n", "ledgerval.kernels.k", False, 1, {"numpy", "numba"}, 1),
    # native reaching up into kernels
    ("if True:\n    from ledgerval.kernels import sha256\n", "ledgerval.native.x", False, 0, {"numpy"}, 1),
    # a package a layer may not use
    ("import coincurve\n", "ledgerval.kernels.k", False, 1, {"numpy", "numba"}, 1),
    # allowed: down, within the layer, the standard library, relative from a package __init__
    ("from ledgerval import native\nfrom ledgerval.native import hashes\nfrom . import _md\nimport os\n"
     "from ._checks import check_spans\n",
     "ledgerval.kernels", True, 1, {"numpy", "numba"}, 0),
    ("from ledgerval.kernels.merkle import pairs_into\nimport coincurve\n", "ledgerval.merkle", False, 2, None, 0),
])
def test_checker_catches_upward_imports(src, module, is_pkg, rank, third, want):
    assert len(violations(src, module, is_pkg, rank, third)) == want, violations(src, module, is_pkg, rank, third)


def test_modules_stay_small():
    """Modules under ~500 lines, each named for what it holds (issue 12)."""
    big = [f"{p.relative_to(ROOT)}: {n} lines" for p, *_ in _package_modules()
           if (n := len(p.read_text().splitlines())) > 500]
    assert not big, "\n".join(big)
