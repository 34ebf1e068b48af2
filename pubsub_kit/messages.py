"""What travels on a channel: the hub's small JSON envelope, and what a subscriber keeps.

Every hub publish wraps the caller's message as
``{"kit": {"hub": <publisher id>, "seq": <n per channel>, "ts": <ms>}, "data": <message>}``
so each subscriber can name the exact messages it missed (gaps) or saw twice
(duplicates). Anything else on the channel (redis-cli, other apps) is *foreign*:
delivered as it came, never dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_ENVELOPE = b'{"kit":{"hub":"%b","seq":%d,"ts":%.3f},"data":%b}'
SHOWN_CHARS = 120
# Built once: ``json.dumps`` with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"), ensure_ascii=False, default=str)


def encode_data(message: Any) -> bytes:
    """The caller's message as UTF-8 JSON, encoded once, before any sequence number is taken.

    Like the redis.io guide, what JSON has no type for (datetime, Decimal, UUID, a set)
    is sent as its ``str()``; NaN and infinities are refused (strict JSON has no
    spelling for them), and so is text that is not Unicode (a lone surrogate).
    Every refusal names the caller's value, never a place in the kit's envelope.
    """
    try:
        text = _ENCODER.encode(message)
    except ValueError as err:
        if "Circular reference" in str(err):
            raise ValueError(f"message {shown(message)} contains itself (a circular reference), "
                             "which JSON cannot carry: publish a copy without the loop") from None
        raise ValueError(
            f"message {shown(message)} contains a non-finite float (NaN or infinity), which JSON cannot "
            f"carry: replace it with None or a string ({err})"
        ) from None
    except RecursionError:
        raise ValueError(f"message {shown(message)} is nested too deeply to encode as JSON: flatten it") from None
    except TypeError as err:
        raise TypeError(
            f"message {shown(message)} cannot be encoded as JSON: {err}. Convert such keys first, "
            "e.g. {str(k): v for k, v in d.items()}"
        ) from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = err.object[err.start:err.end]
        raise ValueError(
            f"message {shown(message)} holds {bad!r}, a lone surrogate: not Unicode text, so it cannot be sent "
            "as UTF-8 (such strings come from bytes decoded with errors='surrogateescape'). Fix the text, "
            "e.g. s.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace'), then publish again."
        ) from None


def shown(value: Any) -> str:
    """A caller's value as an error message quotes it: its repr, cut short."""
    text = reprlib_text(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def wrap(data_json: bytes, publisher: bytes, seq: int, sent_at_ms: float) -> bytes:
    """The envelope around already-encoded data (so the message is encoded once)."""
    return _ENVELOPE % (publisher, seq, sent_at_ms, data_json)


MAX_VIEW_TEXT = 2000


def _finite(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]!r} is not finite")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Built once: ``json.loads`` with hooks builds a new decoder per call (a third of a message's cost).
_STRICT = json.JSONDecoder(parse_float=_finite, parse_constant=_refuse_constant)


def strict_loads(raw: bytes | str) -> Any:
    """``json.loads`` that refuses NaN, Infinity and overflowing floats, so views stay strict JSON."""
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8")
    if raw.startswith("\ufeff"):
        raise ValueError("Unexpected UTF-8 BOM")
    return _STRICT.decode(raw)


# What a hostile or broken payload can raise while parsing: bad JSON, too deep
# (RecursionError), too many digits (ValueError), or an overflowing conversion.
_PARSE_ERRORS = (ValueError, RecursionError, OverflowError, TypeError, KeyError)


@dataclass(slots=True)
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
    """Never raises: foreign text stays text, undecodable bytes stay bytes (and say why).

    An envelope whose fields have the wrong types is not trusted: it is kept as
    foreign text with a decode error, so no sequence number is invented from it.
    """
    envelope_error = None
    if raw.startswith(b'{"kit":'):
        try:
            return _envelope(strict_loads(raw))
        except _PARSE_ERRORS as err:
            envelope_error = f"malformed pubsub_kit envelope: {_short(err)}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return Unwrapped(payload=raw, decode_error=f"not UTF-8: {err.reason} at byte {err.start}")
    try:
        return Unwrapped(payload=strict_loads(text), decode_error=envelope_error)
    except RecursionError:
        return Unwrapped(payload=text, decode_error="JSON nested too deeply to parse: kept as text")
    except _PARSE_ERRORS:
        return Unwrapped(payload=text, decode_error=envelope_error)


def _envelope(doc: Any) -> Unwrapped:
    kit = doc["kit"]
    hub, seq, ts = kit["hub"], kit["seq"], kit["ts"]
    if not isinstance(hub, str) or type(seq) is not int or seq < 1 or type(ts) not in (int, float):
        raise TypeError(f"expected hub: str, seq: int >= 1, ts: number; got {type(hub).__name__}, "
                        f"{type(seq).__name__}, {type(ts).__name__}")
    return Unwrapped(doc["data"], hub, seq, float(ts))


def _short(err: BaseException) -> str:
    return f"{type(err).__name__}: {str(err)[:200]}"


def view_safe(payload: Any) -> Any:
    """The payload if it serialises as strict JSON, else a bounded text rendering of it."""
    if isinstance(payload, bytes):
        return repr(payload)
    try:
        json.dumps(payload, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return reprlib_text(payload)
    return payload


def reprlib_text(payload: Any) -> str:
    """A short text for a payload no JSON view can carry (too deep, NaN, not JSON at all)."""
    try:
        text = repr(payload)
    except RecursionError:
        text = f"<{type(payload).__name__} nested too deeply to show>"
    return text[:MAX_VIEW_TEXT]


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One message as a subscription received it."""

    channel: str
    pattern: str | None
    payload: Any
    received_at_ms: int  # whole milliseconds since the epoch, as in the redis.io guide
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
        """Plain data that ``json.dumps(..., allow_nan=False)`` always accepts (built by hand:
        ``dataclasses.asdict`` would deep-copy, and fail on, a deeply nested payload)."""
        return {
            "channel": self.channel,
            "pattern": self.pattern,
            "payload": view_safe(self.payload),
            "received_at_ms": self.received_at_ms,
            "kind": self.kind,
            "publisher": self.publisher,
            "seq": self.seq,
            "sent_at_ms": self.sent_at_ms,
            "decode_error": self.decode_error,
            "size": self.size,
            "foreign": self.foreign,
        }
