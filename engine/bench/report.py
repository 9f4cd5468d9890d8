"""Plain-text tables from measured rows: 120 columns by default, every peer under ``--wide``.

Each row has one headline ratio, ledgerval's throughput over the fastest installed peer's on the same work
(``Row.best_peer``), with that peer's name beside it.  ``--wide`` adds a column per peer and ``ref``
(ledgerval's own slow reference path, a sanity check rather than a claim), and the end-to-end stage columns.
Peers that could not run are listed once, after the tables.
"""
from __future__ import annotations

from .harness import Row
from .peers import PEER_COLUMNS

WIDTH = 120
# Above this spread ((max - min) / median of the runs), ours or the headline peer's, a row gets a mark.
NOISY = 0.20
MARK = "!"


def si(x: float | None) -> str:
    if x is None:
        return "-"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


def per_item(rate: float) -> str:
    """Time per item from items/s: 9.71 us, 64.5 ns."""
    if not rate:
        return "-"
    s = 1.0 / rate
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def ratio_cell(row: Row, peer: str) -> str:
    p = row.peers.get(peer)
    if p is None or "absent" in p:
        return ""
    return "-" if p.get("ratio") is None else f"{p['ratio']:.2f}x"


def table(header: list[str], body: list[list[str]], align_left: int = 1) -> str:
    widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]

    def fmt(r):
        return "  ".join(str(c).ljust(w) if i < align_left else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule] + [fmt(r) for r in body])


def noisy(r: Row) -> bool:
    best = r.best_peer()
    return r.spread() > NOISY or (best is not None and r.peer_spread(best[0]) > NOISY)


def spread_cell(r: Row) -> str:
    return f"{100 * r.spread():.0f}%" + (f" {MARK}" if noisy(r) else "  ")


def headline_cell(r: Row) -> str:
    best = r.best_peer()
    return "no peer installed" if best is None else f"{best[1]:.2f}x {best[0]}"


def first_call_cell(r: Row) -> str:
    """The first, untimed call: it includes JIT compilation or the Numba cache load and cache fills."""
    v = r.extra.get("first_call_s")
    return "" if v is None else f"{1e3 * v:.0f} ms"


def _peer_columns(rows: list[Row]) -> list[str]:
    """Peers measured on some row, in the fixed column order, then the end-to-end loops, then ``ref``."""
    names = {n for r in rows for n, p in r.peers.items() if "ratio" in p}
    fixed = [c for c in PEER_COLUMNS if c in names]
    loops = sorted(n for n in names if n not in PEER_COLUMNS and n != "ref")
    return fixed + loops + (["ref"] if "ref" in names else [])


def primitives_table(rows: list[Row], wide: bool = False) -> str:
    rows = [r for r in rows if r.kind != "e2e" and not r.error]
    if not rows:
        return ""
    cols = _peer_columns(rows) if wide else []
    body = []
    for r in rows:
        med = r.median_rate()
        body.append([r.name, r.path or "-", str(r.items), str(r.threads), f"{si(med)}/s", per_item(med),
                     spread_cell(r), first_call_cell(r), headline_cell(r)] + [ratio_cell(r, c) for c in cols])
    head = ["primitive", "path", "items", "thr", "items/s", "per item", "spread", "1st call", "vs best peer"]
    return table(head + cols, body, align_left=2)


def e2e_table(rows: list[Row], wide: bool = False) -> str:
    rows = [r for r in rows if r.kind == "e2e" and not r.error]
    if not rows:
        return ""
    stage_names = list(dict.fromkeys(k for r in rows for k in r.stages if k != "total")) if wide else []
    cols = _peer_columns(rows) if wide else []
    body = []
    for r in rows:
        med = r.median_rate()
        total = r.stages.get("total") or sum(v for k, v in r.stages.items() if k != "total") or 0.0
        sig = r.stages.get("signatures")
        cells = [r.name.split("/", 1)[1], r.path or "-", str(r.extra.get("blocks", "")),
                 str(r.extra.get("txs_per_block", "")), str(r.threads), f"{si(med)}/s", per_item(med),
                 spread_cell(r), first_call_cell(r), f"{100 * sig / total:.0f}%" if sig and total else "-",
                 headline_cell(r)]
        for k in stage_names:
            v = r.stages.get(k)
            cells.append("" if v is None else f"{1e3 * v:.1f} ({100 * v / total:.0f}%)" if total else f"{1e3 * v:.1f}")
        body.append(cells + [ratio_cell(r, c) for c in cols])
    head = ["end to end", "path", "blocks", "tx/blk", "thr", "tx/s", "per tx", "spread", "1st call", "sigs",
            "vs best peer"] + [f"{k} ms" for k in stage_names] + cols
    return table(head, body, align_left=2)


def sweep_table(rows: list[Row]) -> str:
    rows = [r for r in rows if not r.error and len(r.rates) > 1]
    if not rows:
        return ""
    ts = sorted({t for r in rows for t in r.rates})
    probed = any(r.machine_scaling() for r in rows)
    body = []
    for r in rows:
        mine = sorted(r.rates)
        sc = r.scaling()
        ideal = mine[-1] / mine[0]
        cells = [r.name] + [f"{si(r.median_rate(t))}/s" if t in r.rates else "" for t in ts] \
            + [f"{sc:.2f}x" if sc else "-", f"{100 * sc / ideal:.0f}%" if sc else "-"]
        if probed:
            ms = r.machine_scaling()
            cells += [f"{ms:.2f}x" if ms else "-", f"{100 * sc / ms:.0f}%" if sc and ms else "-"]
        body.append(cells)
    head = ["thread sweep"] + [f"{t} thr" for t in ts] + [f"scaling {ts[-1]}/{ts[0]}", "of ideal"]
    if probed:
        head += ["machine", "of machine"]
    return table(head, body)


def absent_notes(rows: list[Row]) -> str:
    seen: dict[str, str] = {}
    for r in rows:
        for name, p in r.peers.items():
            if "absent" in p and name not in seen:
                seen[name] = p["absent"]
    return "\n".join(f"  {k}: {v}" for k, v in seen.items())


def _notes(rows: list[Row], wide: bool) -> str:
    lines = [
        ("vs best peer: ledgerval's throughput / the fastest installed peer's on the same work "
         "(>1: ledgerval is faster);"),
        "  peers run one item at a time on one thread, as their Python users call them; loop:X = a Python loop over X"
        + ("." if wide else ";"),
    ]
    if not wide:
        lines.append("  --wide shows every peer, ref (ledgerval's own reference path) and the end-to-end stages.")
    if any(r.machine_scaling() for r in rows if not r.error):
        lines.append("machine: the row's own work as independent single-thread slices run at once (no fork, join or "
                     "serial part),")
        lines.append("  timed after each of the row's runs: the scaling the machine gave this work meanwhile; far "
                     "below ideal on a")
        lines.append("  shared VM means the host was taking capacity (rerun when it is quieter); of machine = "
                     "scaling / machine.")
    if any(noisy(r) for r in rows if not r.error):
        lines.append(f"{MARK} spread above {100 * NOISY:.0f}% (ours or the headline peer's): the machine was busy; "
                     "rerun with --repeat 9.")
    return "\n".join(lines)


def render(rows: list[Row], wide: bool = False) -> str:
    parts = []
    for title, text in (("End to end (tx/s over generated blocks; sigs: signatures' share of a block's time)",
                         e2e_table(rows, wide)),
                        ("Primitives", primitives_table(rows, wide)),
                        ("Thread sweep", sweep_table(rows))):
        if text:
            parts.append(f"{title}\n{text}")
    if any(not r.error for r in rows):
        parts.append(_notes(rows, wide))
    notes = absent_notes(rows)
    if notes:
        parts.append("Absent peers\n" + notes)
    errs = [f"  {r.name}: {r.error}" for r in rows if r.error]
    if errs:
        parts.append("Rows not measured\n" + "\n".join(errs))
    return "\n\n".join(parts)
