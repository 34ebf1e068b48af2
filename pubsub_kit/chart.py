"""A bar chart of the flow, as one small SVG: people look at it rather than read it.

Per channel: what Redis said it delivered against what arrived (a gap is a
loss). Per subscriber: what arrived against what its callback has handled (a
gap is its queue). Plain SVG text, so the dashboard shows it in an HTML widget
and the web demo serves it as an image; every label is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

MAX_BARS = 12
LABEL_W, BAR_W, NUMBER_W = 190, 300, 130
ROW_H, BAR_H, HEAD_H = 30, 11, 26
COLOURS = {"delivered": "#4c78a8", "received": "#54a24b", "handled": "#b279a2"}


def _label(text: str, limit: int = 26) -> str:
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _group(y: int, label: str, bars: list[tuple[str, int]], note: str, scale: float) -> list[str]:
    parts = [f'<text x="4" y="{y + 15}" class="label">{_label(label)}</text>']
    for i, (name, value) in enumerate(bars):
        top = y + 3 + i * (BAR_H + 2)
        width = max(1.0, value * scale) if value else 0
        parts.append(f'<rect class="bar {name}" x="{LABEL_W}" y="{top}" width="{width:.1f}" height="{BAR_H}" '
                     f'fill="{COLOURS[name]}" data-value="{value}"/>')
        parts.append(f'<text x="{LABEL_W + width + 4:.1f}" y="{top + BAR_H - 1}" class="number" font-size="11">{value}</text>')
    if note:
        parts.append(f'<text x="{LABEL_W + max(v * scale for _, v in bars) + 44:.1f}" y="{y + 15}" class="note" fill="#555">{escape(note)}</text>')
    return parts


def chart_svg(state: dict[str, Any]) -> str:
    """The chart for one snapshot (``snapshot.hub_view`` or ``snapshot.snapshot``)."""
    rows = sorted(state["channel_rows"], key=lambda r: r["delivered"], reverse=True)[:MAX_BARS]
    subs = state["hub"]["subscriptions"][:MAX_BARS]
    peak = max([1, *(max(r["delivered"], r["received"]) for r in rows), *(s["received"] for s in subs)])
    scale = (BAR_W - 40) / peak
    parts: list[str] = []
    y = 0
    for title, items in (("per channel: delivered by Redis vs received", rows),
                         ("per subscriber: received vs handled by its callback", subs)):
        parts.append(f'<text x="4" y="{y + 18}" class="title" font-weight="bold">{escape(title)}</text>')
        y += HEAD_H
        if not items:
            parts.append(f'<text x="4" y="{y + 15}" class="note" fill="#555">nothing yet</text>')
            y += ROW_H
        for item in items:
            if "channel" in item:
                lost = item["lost"]
                parts += _group(y, item["channel"], [("delivered", item["delivered"]), ("received", item["received"])],
                                f"lost {lost}" if lost else "", scale)
            else:
                queued, gaps = item["queued"], item["gaps"]
                note = " · ".join(t for t in (f"queued {queued}" if queued else "", f"gaps {gaps}" if gaps else "") if t)
                parts += _group(y, item["name"], [("received", item["received"]), ("handled", item["handled"])],
                                note, scale)
            y += ROW_H
    legend = "".join(
        f'<rect x="{4 + i * 110}" y="{y + 6}" width="10" height="10" fill="{colour}"/>'
        f'<text x="{18 + i * 110}" y="{y + 15}" class="note" fill="#555">{name}</text>'
        for i, (name, colour) in enumerate(COLOURS.items())
    )
    width, height = LABEL_W + BAR_W + NUMBER_W + 40, y + 24
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="pubsub-kit-chart" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="delivered vs received">'
            '<g font-family="sans-serif" font-size="12" fill="#222">' + "".join(parts) + legend + "</g></svg>")
