"""pandas views of ``hub.stats()``: the numbers the lessons argue from.

Every function here takes the one snapshot ``stats()`` returns, so a table,
a plot and a widget shown side by side always agree. The arithmetic lives in
``snapshot`` (plain Python, shared with the web demo); this module only shapes it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from .snapshot import channel_rows, kind_of

SUBSCRIBER_COLUMNS = [
    "kind", "targets", "state", "received", "duplicates", "gaps", "dropped",
    "handled", "callback_errors", "decode_errors", "foreign", "disconnects", "reconnects",
]


def subscriber_table(stats: dict[str, Any]) -> pd.DataFrame:
    """One row per subscription: what it received, and every way it lost or doubled messages."""
    rows = [
        {"name": sub["name"], **{k: sub.get(k) for k in SUBSCRIBER_COLUMNS}, "kind": kind_of(sub), "targets": ", ".join(sub["targets"])}
        for sub in stats["subscriptions"]
    ]
    return pd.DataFrame(rows, columns=["name", *SUBSCRIBER_COLUMNS]).set_index("name")


def channel_table(stats: dict[str, Any]) -> pd.DataFrame:
    """Per channel: what this hub published, what Redis said it delivered, what arrived.

    ``delivered`` is the sum of PUBLISH's replies (Redis' count of client
    deliveries); ``received`` counts what this hub's subscriptions actually got
    from this hub. They differ when a delivery was lost on the way.
    """
    rows = channel_rows(stats)
    return pd.DataFrame(rows, columns=["channel", "published", "delivered", "received", "lost"]).set_index("channel")


def totals_table(stats: dict[str, Any]) -> pd.DataFrame:
    """The hub's totals as a one-column table."""
    keys = [
        "published_total", "delivered_total", "received_total", "duplicates_total", "gaps_total",
        "dropped_total", "callback_errors_total", "decode_errors_total", "disconnects_total", "reconnects_total",
    ]
    return pd.DataFrame({"count": [stats[k] for k in keys]}, index=[k.removesuffix("_total") for k in keys])


def highlight(frame: pd.DataFrame, left: str = "delivered", right: str = "received", name: str = "table") -> Styler:
    """Shade the rows where ``left`` and ``right`` disagree (a fixed uuid keeps the HTML stable).

    Values and both indexes are HTML-escaped: pandas' Styler does not escape by
    default, and a channel name comes from whoever can publish to the server.
    """

    def shade(row: pd.Series) -> list[str]:
        differs = row[left] != row[right]
        return ["background-color: #ffd6d6" if differs else "" for _ in row]

    styler = frame.style.format(escape="html").format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    return styler.apply(shade, axis=1).set_uuid(name)
