"""The one call a notebook makes first: a ready hub, on your server or a private one."""

from __future__ import annotations

import getpass
import os
from typing import Any
from urllib.parse import urlsplit

from .hub import RedisPubSubHub
from .sharded import ClusterPubSubHub

NAME_ENV = "PUBSUB_KIT_NAME"


def connect(url: str | None = None, *, cluster: bool = False, room: str | None = None, name: str | None = None,
            **options: Any) -> RedisPubSubHub:
    """Return a ready hub.

    With ``url`` (or ``$REDIS_URL``: redis:// or rediss://, user, password and db
    included) the hub uses that server. Otherwise it starts a private
    ``redis-server`` on 127.0.0.1 that ``hub.close()`` stops again, so every
    notebook kernel gets its own clean server. With ``cluster=True`` the hub is a
    ``ClusterPubSubHub`` on that URL's cluster, or on a private 3-master
    ``LocalCluster``. With ``room`` (a room's join line, also accepted as
    ``$REDIS_URL``) the hub joins that class as ``name`` (or ``$PUBSUB_KIT_NAME``,
    or your login name). ``options`` go to the hub.
    """
    joining = room or _join_line(url or os.environ.get("REDIS_URL"))
    if joining:
        from .room import LearnerHub, join_room

        learner = name or os.environ.get(NAME_ENV) or getpass.getuser().lower()
        return LearnerHub(join_room(joining, learner), learner, **options)
    if cluster:
        return ClusterPubSubHub(url=url, **options)
    return RedisPubSubHub(url=url, **options)


def _join_line(url: str | None) -> str | None:
    """A room's join line (user ``lobby``) given where a server URL goes."""
    try:
        return url if url and urlsplit(url).username == "lobby" else None
    except ValueError:
        return None
