"""The one snapshot every live view renders: the dashboard widget and the web demo alike.

It joins the hub's in-memory ``stats()`` (always available) with what Redis
itself reports (``PUBSUB CHANNELS``/``NUMSUB``/``NUMPAT``), which needs the
server; when Redis is unreachable the snapshot says so instead of failing.
"""

from __future__ import annotations

from typing import Any

import redis

from . import tables
from .faults import Faults
from .hub import RedisPubSubHub

RECENT_MESSAGES = 15
DEFAULT_SUBSCRIPTIONS = (
    ("orders-listener", "exact", "orders:new"),
    ("billing-listener", "exact", "billing:invoice"),
    ("all-notifications", "pattern", "notifications:*"),
)
SUGGESTED_CHANNELS = (
    "orders:new", "billing:invoice", "notifications:email", "notifications:push",
    "cache:invalidate:products", "chat:lobby",
)


def snapshot(hub: RedisPubSubHub) -> dict[str, Any]:
    """Hub counters, each subscriber's recent messages, the server's view and the tables' rows."""
    stats = hub.stats()
    for sub_stats in stats["subscriptions"]:
        sub = hub.get_subscription(sub_stats["name"])
        recent = sub.messages(limit=RECENT_MESSAGES) if sub else []
        sub_stats["messages"] = [m.to_dict() for m in recent]
    try:
        channels = hub.active_channels()
        server = {
            "ok": True,
            "channels": hub.channel_subscriber_counts(channels) if channels else {},
            "numpat": hub.pattern_subscriber_count(),
            "error": None,
        }
    except (redis.ConnectionError, redis.TimeoutError, OSError) as err:
        server = {"ok": False, "channels": {}, "numpat": None, "error": f"Redis is unreachable: {err}"}
    rows = tables.channel_table(stats).reset_index()
    return {
        "hub": stats,
        "server": server,
        "channel_rows": rows.to_dict(orient="records"),
    }


def reset(hub: RedisPubSubHub, faults: Faults) -> None:
    """Drop every subscription, zero the counters, and re-seed the three default subscribers."""
    for sub in hub.subscriptions():
        hub.unsubscribe(sub.name)
        faults.forget(sub.name)
    hub.reset_stats()
    for name, kind, target in DEFAULT_SUBSCRIPTIONS:
        add_subscriber(hub, faults, name, kind, target)


def add_subscriber(hub: RedisPubSubHub, faults: Faults, name: str, kind: str, targets: str) -> None:
    """The forms' action: ``targets`` is comma-separated; raises ValueError on bad input."""
    items = [t.strip() for t in targets.split(",") if t.strip()]
    if not items:
        raise ValueError("targets is empty: give at least one channel or pattern, comma-separated")
    if kind == "exact":
        hub.subscribe(name, items, on_message=faults.callback(name))
    elif kind == "pattern":
        hub.psubscribe(name, items, on_message=faults.callback(name))
    else:
        raise ValueError(f"kind must be 'exact' or 'pattern', got {kind!r}")
