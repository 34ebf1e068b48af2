"""pandas views of ``hub.stats()``: the numbers the lessons argue from.

Every function here takes the one snapshot ``stats()`` returns, so a table,
a plot and a widget shown side by side always agree.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

SUBSCRIBER_COLUMNS = [
    "kind", "targets", "state", "received", "duplicates", "gaps", "dropped",
    "handled", "callback_errors", "decode_errors", "foreign", "disconnects", "reconnects",
]


def _kind(sub: dict[str, Any]) -> str:
    if sub["channels"] and sub["patterns"]:
        return "exact + pattern"
    return "pattern" if sub["patterns"] else "exact"


def subscriber_table(stats: dict[str, Any]) -> pd.DataFrame:
    """One row per subscription: what it received, and every way it lost or doubled messages."""
    rows = [
        {"name": sub["name"], **{k: sub.get(k) for k in SUBSCRIBER_COLUMNS}, "kind": _kind(sub), "targets": ", ".join(sub["targets"])}
        for sub in stats["subscriptions"]
    ]
    return pd.DataFrame(rows, columns=["name", *SUBSCRIBER_COLUMNS]).set_index("name")


def channel_table(stats: dict[str, Any]) -> pd.DataFrame:
    """Per channel: what this hub published, what Redis said it delivered, what arrived.

    ``delivered`` is the sum of PUBLISH's replies (Redis' count of client
    deliveries); ``received`` counts what this hub's subscriptions actually got
    from this hub. They differ when a delivery was lost on the way.
    """
    received: dict[str, int] = {}
    for sub in stats["subscriptions"]:
        for channel, row in sub["by_channel"].items():
            received[channel] = received.get(channel, 0) + row["received"] - row["foreign"]
    channels = sorted(set(stats["channels"]) | set(received))
    rows = [
        {
            "channel": channel,
            "published": stats["channels"].get(channel, {}).get("published", 0),
            "delivered": stats["channels"].get(channel, {}).get("delivered", 0),
            "received": received.get(channel, 0),
        }
        for channel in channels
    ]
    frame = pd.DataFrame(rows, columns=["channel", "published", "delivered", "received"]).set_index("channel")
    frame["lost"] = frame["delivered"] - frame["received"]
    return frame


def totals_table(stats: dict[str, Any]) -> pd.DataFrame:
    """The hub's totals as a one-column table."""
    keys = [
        "published_total", "delivered_total", "received_total", "duplicates_total", "gaps_total",
        "dropped_total", "callback_errors_total", "decode_errors_total", "disconnects_total", "reconnects_total",
    ]
    return pd.DataFrame({"count": [stats[k] for k in keys]}, index=[k.removesuffix("_total") for k in keys])


def highlight(frame: pd.DataFrame, left: str = "delivered", right: str = "received", name: str = "table") -> Styler:
    """Shade the rows where ``left`` and ``right`` disagree (a fixed uuid keeps the HTML stable)."""

    def shade(row: pd.Series) -> list[str]:
        differs = row[left] != row[right]
        return ["background-color: #ffd6d6" if differs else "" for _ in row]

    return frame.style.apply(shade, axis=1).set_uuid(name)
