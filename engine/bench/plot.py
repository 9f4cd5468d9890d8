"""``ledgerval bench --plot FILE.png``: each row's ratio to its best peer, and the thread scaling.

Left, one horizontal bar per row: ledgerval's throughput over the fastest installed peer's on the same work
(the table's headline), on a log axis with a line at 1x, colored by family and labeled with the peer.
Right, throughput at each thread count over throughput at the fewest threads, one line per row, beside the
ideal (linear) line.  The title names the CPU model, the tier the kernels ran at and the date, so a saved
picture says what it was measured on.
"""
from __future__ import annotations

import datetime

from .harness import Row

FAMILY_COLORS = {"e2e": "#4c72b0", "verify": "#dd8452", "hash": "#55a868", "merkle": "#8172b3"}
FAMILY_NAMES = {"e2e": "end to end", "verify": "verify_batch", "hash": "hash_batch", "merkle": "merkle_root"}


def title(cfg: dict | None) -> str:
    cfg = cfg or {}
    date = cfg.get("date") or datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    return (f"ledgerval bench: {cfg.get('cpu', 'unknown CPU')}, {cfg.get('cores', '?')} cores, "
            f"tier {cfg.get('tier', '?')}, {date}")


def _ratio_panel(ax, rows: list[Row]) -> None:
    bars = [(r, *r.best_peer()) for r in rows if r.best_peer() is not None]
    if not bars:
        ax.text(0.5, 0.5, "no peer installed: nothing to compare with", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return
    ys = list(range(len(bars)))[::-1]
    ax.barh(ys, [b[2] for b in bars], color=[FAMILY_COLORS.get(b[0].kind, "#999999") for b in bars])
    ax.set_yticks(ys, [b[0].name for b in bars], fontsize=7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=1)
    for y, (_, peer, ratio) in zip(ys, bars):
        ax.text(ratio, y, f" {ratio:.2g}x {peer}", va="center", fontsize=6)
    lo = min(b[2] for b in bars)
    hi = max(b[2] for b in bars)
    ax.set_xlim(min(0.5, lo / 1.5), hi * 8)
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}x"))
    ax.set_xlabel("ledgerval / best installed peer, same work (log; >1: ledgerval faster)")
    ax.set_title("ratio to the best peer", fontsize=10)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    kinds = [k for k in FAMILY_COLORS if any(b[0].kind == k for b in bars)]
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=FAMILY_COLORS[k], label=FAMILY_NAMES[k]) for k in kinds], fontsize=7,
              loc="lower right")


def _scaling_panel(ax, rows: list[Row]) -> None:
    swept = [r for r in rows if len(r.rates) > 1 and r.median_rate(min(r.rates))]
    if not swept:
        ax.text(0.5, 0.5, "one thread count measured:\nno scaling to show (--threads 1,2)", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    ts = sorted({t for r in swept for t in r.rates})
    ax.plot(ts, [t / ts[0] for t in ts], color="black", linestyle="--", linewidth=1.5, label="ideal")
    seen = set()
    for r in swept:
        mine = sorted(r.rates)
        base = r.median_rate(mine[0])
        label = FAMILY_NAMES.get(r.kind) if r.kind not in seen else None
        seen.add(r.kind)
        ax.plot(mine, [r.median_rate(t) / base for t in mine], marker="o", markersize=3, linewidth=1,
                alpha=0.8, color=FAMILY_COLORS.get(r.kind, "#999999"), label=label)
    ax.set_xticks(ts)
    ax.set_xlabel("threads")
    ax.set_ylabel(f"throughput / throughput at {ts[0]} thread{'s' if ts[0] > 1 else ''}")
    ax.set_title("thread scaling (one line per row)", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")


def draw(rows: list[Row], path: str, cfg: dict | None = None) -> str | None:
    """Write the two charts to ``path`` (PNG).  Returns what went wrong, or None."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install 'ledgerval[plot]')"
    rows = [r for r in rows if not r.error and r.rates]
    if not rows:
        return "nothing to plot"
    height = max(4.0, 0.28 * len(rows) + 1.5)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, height), gridspec_kw={"width_ratios": [3, 2]})
    _ratio_panel(left, rows)
    _scaling_panel(right, rows)
    fig.suptitle(title(cfg), fontsize=11)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=110)
    except OSError as exc:
        return f"cannot write {path}: {exc}"
    finally:
        plt.close(fig)
    return None
