"""What travels on a channel: the hub's small JSON envelope, and what a subscriber keeps.

Every hub publish wraps the caller's message as
``{"kit": {"hub": <publisher id>, "seq": <n per channel>, "ts": <ms>}, "data": <message>}``
so each subscriber can name the exact messages it missed (gaps) or saw twice
(duplicates). Anything else on the channel (redis-cli, other apps) is *foreign*:
delivered as it came, never dropped.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

_ENVELOPE = '{"kit":{"hub":"%s","seq":%d,"ts":%.3f},"data":%s}'


def encode_data(message: Any) -> str:
    """JSON-encode a caller's message, refusing what JSON cannot carry faithfully."""
    try:
        return json.dumps(message, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    except ValueError as err:
        raise ValueError(
            f"message contains a non-finite float (NaN or infinity), which JSON cannot carry: "
            f"replace it with None or a string ({err})"
        ) from None
    except TypeError as err:
        raise TypeError(
            f"message must be JSON-serialisable (dict, list, str, int, float, bool or None); "
            f"{err}. Convert it first, e.g. list(a_set) or str(a_datetime)"
        ) from None


def wrap(data_json: str, publisher: str, seq: int, sent_at_ms: float) -> str:
    """The envelope around already-encoded data (so the message is encoded once)."""
    return _ENVELOPE % (publisher, seq, sent_at_ms, data_json)


@dataclass(frozen=True)
class Unwrapped:
    """A raw payload taken apart: the caller's message plus the evidence around it."""

    payload: Any
    publisher: str | None = None
    seq: int | None = None
    sent_at_ms: float | None = None
    decode_error: str | None = None

    @property
    def foreign(self) -> bool:
        return self.publisher is None


def unwrap(raw: bytes) -> Unwrapped:
    """Never raises: foreign text stays text, undecodable bytes stay bytes (and say why)."""
    if raw.startswith(b'{"kit":'):
        try:
            doc = json.loads(raw)
            kit = doc["kit"]
            return Unwrapped(doc["data"], str(kit["hub"]), int(kit["seq"]), float(kit["ts"]))
        except (ValueError, KeyError, TypeError):
            pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return Unwrapped(payload=raw, decode_error=f"not UTF-8: {err.reason} at byte {err.start}")
    return Unwrapped(payload=_maybe_json(text))


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One message as a subscription received it."""

    channel: str
    pattern: str | None
    payload: Any
    received_at_ms: float
    kind: str = "message"
    publisher: str | None = None
    seq: int | None = None
    sent_at_ms: float | None = None
    decode_error: str | None = None
    size: int = 0

    @property
    def foreign(self) -> bool:
        """True when it did not come from a pubsub_kit hub (e.g. redis-cli)."""
        return self.publisher is None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if isinstance(self.payload, bytes):
            out["payload"] = repr(self.payload)
        out["foreign"] = self.foreign
        return out
