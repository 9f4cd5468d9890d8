"""The cffi declarations (native/cdef/NAME.h, hand-written in cffi's syntax) against the real C headers
(native/src/NAME.h): every declared function has a prototype of the same signature there, every declared
constant a ``#define`` (of the same value where the cdef spells one out), and every public ``lv_`` function
of a header is declared.  Parsed with pycparser (which cffi itself uses); no compiler needed.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

pycparser = pytest.importorskip("pycparser")
from pycparser import c_ast, c_generator  # noqa: E402

NATIVE = Path(__file__).resolve().parents[1] / "native"
_TYPEDEFS = ("typedef unsigned long size_t; typedef unsigned char uint8_t; typedef int int32_t; "
             "typedef long int64_t; typedef unsigned int uint32_t; typedef unsigned long uint64_t;\n")
_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)(?:\s+(.*))?$")


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_header(text: str) -> tuple[dict[str, str], dict[str, str | None]]:
    """(function name -> signature with parameter names dropped, define name -> value text or None)."""
    text = _strip_comments(text)
    defines: dict[str, str | None] = {}
    body = []
    for line in text.splitlines():
        m = _DEFINE.match(line)
        if m:
            value = (m.group(2) or "").strip()
            defines[m.group(1)] = value or None
        elif not line.lstrip().startswith("#"):
            body.append(line)
    ast = pycparser.CParser().parse(_TYPEDEFS + "\n".join(body), filename="<header>")
    gen = c_generator.CGenerator()
    funcs = {}
    for node in ast.ext:
        if isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
            for p in (node.type.args.params if node.type.args else []):
                _drop_name(p)
            funcs[node.name] = re.sub(r"\s+", " ", gen.visit(node)).strip()
    return funcs, defines


def _drop_name(param) -> None:
    if isinstance(param, c_ast.Decl):
        param.name = None
        t = param.type
        while not isinstance(t, c_ast.TypeDecl) and hasattr(t, "type"):
            t = t.type
        if isinstance(t, c_ast.TypeDecl):
            t.declname = None


def _value(v: str | None):
    """A define's value as an int when it is a plain integer expression, else its text."""
    if v is None:
        return None
    try:
        return int(eval(re.sub(r"(?<=\d)[uUlL]+\b", "", v), {"__builtins__": {}}))  # (1u << 4) and such
    except Exception:  # noqa: BLE001 - not an integer constant: compare the text
        return v


def drift(cdef_text: str, header_text: str) -> list[str]:
    """Every way the cdef disagrees with the header."""
    cf, cd = parse_header(cdef_text)
    hf, hd = parse_header(header_text)
    out = []
    for name, sig in cf.items():
        if name not in hf:
            out.append(f"function {name} is declared but has no prototype in the header")
        elif hf[name] != sig:
            out.append(f"function {name}: cdef {sig!r} != header {hf[name]!r}")
    out += [f"function {name} is in the header but not declared" for name in hf if name.startswith("lv_")
            and name not in cf]
    for name, v in cd.items():
        if name not in hd:
            out.append(f"constant {name} is declared but not defined in the header")
        elif v != "..." and _value(v) != _value(hd[name]):
            out.append(f"constant {name}: cdef {v} != header {hd[name]}")
    return out


CDEFS = sorted((NATIVE / "cdef").glob("*.h"))


def test_every_cdef_has_its_header():
    assert CDEFS, "no native/cdef/*.h found"
    for c in CDEFS:
        assert (NATIVE / "src" / c.name).exists(), f"{c.name} has no native/src/{c.name}"


@pytest.mark.parametrize("cdef", CDEFS, ids=[c.stem for c in CDEFS])
def test_cdef_matches_the_header(cdef):
    funcs, defines = parse_header(cdef.read_text())
    assert funcs or defines, f"{cdef.name} declares nothing"  # lv_status.h: constants only
    problems = drift(cdef.read_text(), (NATIVE / "src" / cdef.name).read_text())
    assert not problems, "\n".join(problems)


_HEADER = """
#ifndef X_H
#define X_H
#include <stdint.h>
#define LV_X_OK 0
#define LV_X_BIT (1u << 3)
/* n items */
int lv_x_run(size_t n, const uint8_t *in, uint8_t *out);
int lv_x_other(int op);
#endif
"""


@pytest.mark.parametrize("cdef, want", [
    ("#define LV_X_OK ...\n#define LV_X_BIT 8\nint lv_x_run(size_t n, const uint8_t *a, uint8_t *b);\n"
     "int lv_x_other(int);", 0),                                                   # names may differ
    ("#define LV_X_OK ...\nint lv_x_run(size_t n, uint8_t *in, uint8_t *out);\nint lv_x_other(int op);", 1),
    ("#define LV_X_OK ...\nint lv_x_run(const uint8_t *in, size_t n, uint8_t *out);\nint lv_x_other(int op);", 1),
    ("#define LV_X_OK ...\nint lv_x_run(size_t n, const uint8_t *in, uint8_t *out);\n", 1),   # one left out
    ("#define LV_X_GONE ...\nint lv_x_run(size_t n, const uint8_t *in, uint8_t *out);\nint lv_x_other(int op);"
     "\nint lv_x_new(void);", 2),                                                  # a stale define, a new func
    ("#define LV_X_BIT 4\nint lv_x_run(size_t n, const uint8_t *in, uint8_t *out);\nint lv_x_other(int op);", 1),
])
def test_drift_is_caught(cdef, want):
    assert len(drift(cdef, _HEADER)) == want, drift(cdef, _HEADER)
