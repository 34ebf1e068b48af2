"""What the lessons share to stay safe on a shared server: names unique to one run."""

from __future__ import annotations

import secrets
from typing import Any


def lesson_prefix(hub: Any) -> str:
    """A prefix for the channel names, keys and users a lesson creates.

    Empty on the kernel's own private server, where nobody else can hear; on a shared server
    (``$REDIS_URL``) a prefix unique to this run, such as ``'k3f9a01:'``: pub/sub ignores the
    database number, so fixed names would cross-talk between notebooks and learners.
    """
    return "" if getattr(hub, "server", None) is not None else f"k{secrets.token_hex(3)}:"
