"""The C sources keep one shape (issue 12): no function over ~100 lines (a long one is split into static
helpers, as the Ed25519 batch scheduler was), and no family keeps its own check macro beside VERIFY_CHECK
(native/src/lv_verify.h).  Plain text scans, no compiler needed."""
from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "native" / "src"
MAX_LINES = 100
_HEAD = re.compile(r"^(?!#|typedef|struct|static const)[A-Za-z_][\w \t*,()\[\]]*\(")


def function_lengths(text: str) -> list[tuple[str, int, int]]:
    """(name, first line, lines) of each function defined at column 0: from its head to the ``}`` that
    closes it at column 0."""
    lines = text.splitlines()
    out, start = [], None
    for i, line in enumerate(lines):
        if start is None:
            if _HEAD.match(line) and not line.rstrip().endswith((";", "}")):
                j = i
                while j < len(lines) and "{" not in lines[j] and not lines[j].rstrip().endswith(";"):
                    j += 1
                if j < len(lines) and lines[j].rstrip().endswith("{"):
                    start = i
        elif line.startswith("}"):
            name = re.search(r"(\w+)\s*\(", lines[start]).group(1)
            out.append((name, start + 1, i - start + 1))
            start = None
    return out


def test_scanner_measures_functions():
    text = "static int f(int a,\n          int b) {\n    return a;\n}\nint g(void) { return 0; }\n"
    assert function_lengths(text) == [("f", 1, 4)]


def test_no_function_over_100_lines():
    long = [f"{f.name}:{line} {name} ({n} lines)" for f in sorted(SRC.glob("*.[ch]"))
            for name, line, n in function_lengths(f.read_text()) if n > MAX_LINES]
    assert not long, long


def test_one_check_macro():
    other = [f"{f.name}: {m}" for f in sorted(SRC.glob("*.[ch]")) if f.name != "lv_verify.h"
             for m in re.findall(r"#define\s+(\w*(?:CHECK|VERIFY)\w*)\s*\(", f.read_text())]
    bare = [f.name for f in sorted(SRC.glob("*.[ch]")) if re.search(r"(?<![\w])assert\s*\(", f.read_text())]
    assert not other and not bare, (other, bare)
