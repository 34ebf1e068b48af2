"""The one snapshot every live view renders: the dashboard widget and the web demo alike.

It joins the hub's in-memory ``stats()`` (always available) with what Redis
itself reports (``PUBSUB CHANNELS``/``NUMSUB``/``NUMPAT``), which needs the
server; when Redis is unreachable the snapshot says so instead of failing.

Plain Python only (no pandas), so ``python -m pubsub_kit.demo`` runs on a bare
install; ``tables`` is the pandas view on top of ``channel_rows``. The snapshot
is bounded: a foreign publisher with long channel names or big payloads, or a
hub with many subscriptions, cannot make one poll megabytes long.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from .hub import HubClosedError, RedisPubSubHub
from .messages import ReceivedMessage

RECENT_MESSAGES = 15
MAX_SUBSCRIBERS = 50
MAX_ROWS = 50
MAX_TARGETS = 20
MAX_TEXT = 200
PREVIEW_CHARS = 512
_KINDS = (("channels", "exact"), ("patterns", "pattern"), ("shard_channels", "sharded"))


def kind_of(sub: dict[str, Any]) -> str:
    """The one definition of a subscriber's kind: which subscribe commands it holds."""
    return " + ".join(label for key, label in _KINDS if sub.get(key)) or "none"


def channel_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Per channel: what this hub published, what Redis said it delivered, what arrived.

    ``delivered`` is the sum of PUBLISH's replies (Redis' count of client
    deliveries); ``received`` counts what this hub's subscriptions actually got
    from this hub. ``lost`` is the difference: deliveries that never arrived.
    """
    received: dict[str, int] = {}
    for sub in stats["subscriptions"]:
        for channel, row in sub["by_channel"].items():
            received[channel] = received.get(channel, 0) + row["received"] - row["foreign"]
    rows = []
    for channel in sorted(set(stats["channels"]) | set(received)):
        sent = stats["channels"].get(channel, {})
        delivered = sent.get("delivered", 0)
        rows.append({
            "channel": channel,
            "published": sent.get("published", 0),
            "delivered": delivered,
            "received": received.get(channel, 0),
            "lost": delivered - received.get(channel, 0),
        })
    return rows


def clip(text: str | None, limit: int = MAX_TEXT) -> str | None:
    """Shorten a text for display, saying that it was cut."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"… ({len(text) - limit} more characters)"


def preview(payload: Any) -> str:
    """A payload as compact JSON text (what ``JSON.stringify`` shows), cut to ``PREVIEW_CHARS``."""
    try:
        text = repr(payload) if isinstance(payload, bytes) else json.dumps(
            payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=str)
    except (ValueError, TypeError, RecursionError):
        try:
            text = repr(payload)
        except RecursionError:
            text = "(nested too deeply to show)"
    return clip(text, PREVIEW_CHARS)


def _message(message: ReceivedMessage) -> dict[str, Any]:
    return {
        "channel": clip(message.channel),
        "pattern": clip(message.pattern),
        "preview": preview(message.payload),
        "publisher": message.publisher,
        "seq": message.seq,
        "foreign": message.foreign,
        "decode_error": clip(message.decode_error),
        "size": message.size,
        "received_at_ms": message.received_at_ms,
    }


def _subscriber(hub: RedisPubSubHub, sub: dict[str, Any]) -> dict[str, Any]:
    out = {k: clip(v) if isinstance(v, str) else v for k, v in sub.items() if k != "by_channel"}
    out["kind"] = kind_of(sub)
    for key in ("targets", "channels", "patterns", "shard_channels"):
        items = [clip(t) for t in sub[key][:MAX_TARGETS]]
        if len(sub[key]) > MAX_TARGETS:
            items.append(f"… {len(sub[key]) - MAX_TARGETS} more")
        out[key] = items
    live = hub.get_subscription(sub["name"])
    out["messages"] = [_message(m) for m in (live.messages(limit=RECENT_MESSAGES) if live else [])]
    return out


def _busiest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most ``MAX_ROWS`` rows, the most active ones, still in channel order."""
    if len(rows) > MAX_ROWS:
        ranked = sorted(rows, key=lambda r: r["delivered"] + r["received"] + r["published"], reverse=True)
        keep = {r["channel"] for r in ranked[:MAX_ROWS]}
        rows = [r for r in rows if r["channel"] in keep]
    return [{**r, "channel": clip(r["channel"])} for r in rows]


def hub_view(hub: RedisPubSubHub) -> dict[str, Any]:
    """What the hub knows, bounded, without asking Redis (so it answers even when Redis is frozen)."""
    stats = hub.stats()
    rows = channel_rows(stats)
    subs = stats.pop("subscriptions")
    stats.pop("channels")
    stats["last_publish_error"] = clip(stats["last_publish_error"])
    stats["subscriptions"] = [_subscriber(hub, s) for s in subs[:MAX_SUBSCRIBERS]]
    stats["subscriptions_not_shown"] = max(0, len(subs) - MAX_SUBSCRIBERS)
    return {"hub": stats, "channel_rows": _busiest(rows), "channel_rows_not_shown": max(0, len(rows) - MAX_ROWS)}


def server_view(hub: RedisPubSubHub) -> dict[str, Any]:
    """What Redis reports: ``PUBSUB CHANNELS`` with ``NUMSUB`` (first ``MAX_ROWS``), and ``NUMPAT``."""
    try:
        channels = sorted(hub.active_channels())
        shown = channels[:MAX_ROWS]
        counts = hub.channel_subscriber_counts(shown) if shown else {}
        return {
            "ok": True,
            "channels": {clip(c): n for c, n in counts.items()},
            "channels_not_shown": len(channels) - len(shown),
            "numpat": hub.pattern_subscriber_count(),
            "error": None,
        }
    except (redis.ConnectionError, redis.TimeoutError, OSError) as err:
        return {"ok": False, "channels": {}, "channels_not_shown": 0, "numpat": None,
                "error": clip(f"Redis is unreachable: {err}")}
    except HubClosedError as err:
        return {"ok": False, "channels": {}, "channels_not_shown": 0, "numpat": None, "error": clip(str(err))}


def snapshot(hub: RedisPubSubHub) -> dict[str, Any]:
    """Hub counters, each subscriber's recent messages, the channel rows and the server's view."""
    return {**hub_view(hub), "server": server_view(hub)}
