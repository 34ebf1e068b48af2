"""The one call a notebook makes first: a ready hub, on your server or a private one."""

from __future__ import annotations

from typing import Any

from .hub import RedisPubSubHub
from .sharded import ClusterPubSubHub


def connect(url: str | None = None, *, cluster: bool = False, **options: Any) -> RedisPubSubHub:
    """Return a ready hub.

    With ``url`` (or ``$REDIS_URL``: redis:// or rediss://, user, password and db
    included) the hub uses that server. Otherwise it starts a private
    ``redis-server`` on 127.0.0.1 that ``hub.close()`` stops again, so every
    notebook kernel gets its own clean server. With ``cluster=True`` the hub is a
    ``ClusterPubSubHub`` on that URL's cluster, or on a private 3-master
    ``LocalCluster``. ``options`` go to the hub.
    """
    if cluster:
        return ClusterPubSubHub(url=url, **options)
    return RedisPubSubHub(url=url, **options)
