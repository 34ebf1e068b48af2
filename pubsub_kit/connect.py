"""The one call a notebook makes first: a ready hub, on your server or a private one."""

from __future__ import annotations

from typing import Any

from .hub import RedisPubSubHub


def connect(url: str | None = None, **options: Any) -> RedisPubSubHub:
    """Return a ready hub.

    With ``url`` (or ``$REDIS_URL``: redis:// or rediss://, user, password and db
    included) the hub uses that server. Otherwise it starts a private
    ``redis-server`` on 127.0.0.1 that ``hub.shutdown()`` stops again, so every
    notebook kernel gets its own clean server. ``options`` go to ``RedisPubSubHub``.
    """
    return RedisPubSubHub(url=url, **options)
