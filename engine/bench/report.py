"""Plain-text tables (and the optional plot) from measured rows."""
from __future__ import annotations

from .harness import Row
from .peers import PEER_COLUMNS


def si(x: float | None) -> str:
    if x is None:
        return "-"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


def ratio_cell(row: Row, peer: str) -> str:
    p = row.peers.get(peer)
    if p is None:
        return ""
    if "absent" in p:
        return "absent"
    return "-" if p.get("ratio") is None else f"{p['ratio']:.2f}x"


def table(header: list[str], body: list[list[str]], align_left: int = 1) -> str:
    widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]

    def fmt(r):
        return "  ".join(str(c).ljust(w) if i < align_left else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule] + [fmt(r) for r in body])


def _error_rows(rows: list[Row]) -> list[str]:
    return [f"  {r.name}: {r.error}" for r in rows if r.error]


def first_call_cell(r: Row) -> str:
    """The first, untimed call: it includes JIT compilation or the Numba cache load and cache fills."""
    v = r.extra.get("first_call_s")
    return "" if v is None else f"{1e3 * v:.0f} ms"


def primitives_table(rows: list[Row]) -> str:
    rows = [r for r in rows if r.kind != "e2e" and not r.error]
    if not rows:
        return ""
    cols = [c for c in PEER_COLUMNS + ("ref",) if any(c in r.peers for r in rows)]
    body = []
    for r in rows:
        med = r.median_rate()
        body.append([r.name, str(r.items), str(r.threads), f"{si(med)}/s", f"{1e3 * r.items / med:.2f}" if med else "-",
                     f"{100 * r.spread():.0f}%", first_call_cell(r)] + [ratio_cell(r, c) for c in cols])
    head = ["primitive", "items", "thr", "items/s", "ms/run", "spread", "1st call"] + cols
    return table(head, body)


def sweep_table(rows: list[Row]) -> str:
    rows = [r for r in rows if not r.error and len(r.rates) > 1]
    if not rows:
        return ""
    ts = sorted({t for r in rows for t in r.rates})
    body = [[r.name] + [f"{si(r.median_rate(t))}/s" if t in r.rates else "" for t in ts]
            + [f"{r.scaling():.2f}x" if r.scaling() else "-"] for r in rows]
    return table(["thread sweep"] + [f"{t} thr" for t in ts] + [f"scaling {ts[-1]}/{ts[0]}"], body)


def e2e_table(rows: list[Row]) -> str:
    rows = [r for r in rows if r.kind == "e2e" and not r.error]
    if not rows:
        return ""
    stage_names = []
    for r in rows:
        for k in r.stages:
            if k != "total" and k not in stage_names:
                stage_names.append(k)
    body = []
    for r in rows:
        med = r.median_rate()
        per_block = r.extra.get("txs_per_block") or 1
        total = r.stages.get("total") or sum(v for k, v in r.stages.items() if k != "total") or 0.0
        cells = [r.name.split("/", 1)[1], str(r.extra.get("blocks", "")), str(per_block), str(r.threads),
                 f"{med / per_block:.2f}", f"{si(med)}", f"{100 * r.spread():.0f}%", first_call_cell(r)]
        for k in stage_names:
            v = r.stages.get(k)
            cells.append("" if v is None else f"{1e3 * v:.1f} ({100 * v / total:.0f}%)" if total else f"{1e3 * v:.1f}")
        body.append(cells)
    head = ["end to end", "blocks", "tx/block", "thr", "blocks/s", "tx/s", "spread", "1st call"] + \
        [f"{k} ms" for k in stage_names]
    return table(head, body)


def absent_notes(rows: list[Row]) -> str:
    seen: dict[str, str] = {}
    for r in rows:
        for name, p in r.peers.items():
            if "absent" in p and name not in seen:
                seen[name] = p["absent"]
    return "\n".join(f"  {k}: {v}" for k, v in seen.items())


def render(rows: list[Row]) -> str:
    parts = []
    for title, text in (("End to end (stage columns: ms per block, share of the block's total)", e2e_table(rows)),
                        ("Primitives (peer columns: ledgerval's throughput / the peer's, >1 means ledgerval is faster;"
                         " peers run single-threaded)", primitives_table(rows)),
                        ("Thread sweep", sweep_table(rows))):
        if text:
            parts.append(f"{title}\n{text}")
    notes = absent_notes(rows)
    if notes:
        parts.append("Absent peers\n" + notes)
    errs = _error_rows(rows)
    if errs:
        parts.append("Rows not measured\n" + "\n".join(errs))
    return "\n\n".join(parts)


def plot(rows: list[Row], path: str, title: str = "ledgerval throughput by thread count") -> str | None:
    """Throughput against threads, one line per row, one log-scale panel per kind (their units and scales
    differ by orders of magnitude).  Returns what went wrong, or None."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install 'ledgerval[plot]')"
    kinds = [k for k in ("e2e", "verify", "hash", "merkle")
             if any(r.kind == k and r.rates and not r.error for r in rows)]
    if not kinds:
        return "nothing to plot"
    cols = 2 if len(kinds) > 2 else len(kinds)
    nrows = (len(kinds) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(5.2 * cols, 3.6 * nrows), squeeze=False)
    for ax in axes.flat[len(kinds):]:
        ax.set_visible(False)
    for ax, kind in zip(axes.flat, kinds):
        for r in rows:
            if r.kind != kind or r.error or not r.rates:
                continue
            ts = sorted(r.rates)
            ax.plot(ts, [r.median_rate(t) for t in ts], marker="o", label=r.name.split("/", 1)[1])
        ax.set_title({"e2e": "end to end (tx/s)", "verify": "verify_batch (sig/s)", "hash": "hash_batch (msg/s)",
                      "merkle": "merkle_root (leaf/s)"}[kind], fontsize=10)
        ax.set_xlabel("threads")
        ax.set_yscale("log")
        ax.set_xticks(sorted({t for r in rows for t in r.rates}))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
