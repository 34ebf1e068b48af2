"""RESP2 as redis-cli speaks and shows it: commands to bytes, bytes to replies, replies to text.

The kit's own prompt (cli.py) uses it where no redis-cli is installed, so a learner
sees the same ``(integer) 1`` and ``1) "message"`` lines the redis.io docs show.
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["Status", "Error", "Incomplete", "encode", "parse", "show", "split_args"]


class Status(str):
    """A simple-string reply (``+OK``): redis-cli shows it without quotes."""


class Error(str):
    """An error reply (``-ERR ...``): a value to show, not an exception to raise."""


class Incomplete(Exception):
    """The buffer ends before the reply does: read more and parse again."""


class ProtocolError(ValueError):
    """The peer sent something that is not RESP2."""


_UNESCAPE = {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b", "a": b"\a"}
_SPACE = " \t\r\n"


def _hex_byte(text: str) -> int | None:
    try:
        return int(text, 16) if len(text) == 2 else None
    except ValueError:
        return None


def split_args(line: str) -> list[bytes]:
    r"""A typed line split as redis-cli splits it, so the same quoting works in both.

    In "double quotes" \n \r \t \b \a \xHH \" \\ are escapes; in 'single quotes' only \'.
    A quote must close, and be followed by a space: else ValueError, as redis-cli refuses it.
    """
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in _SPACE:
            i += 1
        if i == n:
            return args
        current, quote = bytearray(), ""
        while i < n and (quote or line[i] not in _SPACE):
            char = line[i]
            if not quote and char in "\"'":
                quote = char
            elif quote == '"' and char == "\\" and i + 1 < n:
                value = _hex_byte(line[i + 2:i + 4]) if line[i + 1] == "x" else None
                if value is not None:
                    current.append(value)
                    i += 2
                else:
                    current += _UNESCAPE.get(line[i + 1], line[i + 1].encode())
                i += 1
            elif quote == "'" and line[i:i + 2] == "\\'":
                current += b"'"
                i += 1
            elif char == quote:
                if i + 1 < n and line[i + 1] not in _SPACE:
                    raise ValueError("a closing quote must be followed by a space")
                quote = ""
            else:
                current += char.encode()
            i += 1
        if quote:
            raise ValueError("unbalanced quotes")
        args.append(bytes(current))


def encode(args: Sequence[str | bytes]) -> bytes:
    """One command as a RESP array of bulk strings, the form every server accepts."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def parse(buffer: bytes, pos: int = 0) -> tuple[Any, int]:
    """The reply starting at ``pos`` and where the next one starts; ``Incomplete`` if cut short."""
    end = buffer.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete
    kind, line, pos = buffer[pos:pos + 1], buffer[pos + 1:end], end + 2
    if kind == b"+":
        return Status(line.decode(errors="replace")), pos
    if kind == b"-":
        return Error(line.decode(errors="replace")), pos
    if kind == b":":
        return int(line), pos
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, pos
        if len(buffer) < pos + size + 2:
            raise Incomplete
        return buffer[pos:pos + size], pos + size + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            item, pos = parse(buffer, pos)
            items.append(item)
        return items, pos
    raise ProtocolError(f"unexpected reply type {kind!r}: is a Redis server listening there?")


_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
            7: "\\a", 8: "\\b"}


def _quoted(data: bytes) -> str:
    """A bulk string as redis-cli prints it: quoted, printable ASCII kept, other bytes as \\xHH."""
    return '"' + "".join(_ESCAPES.get(b) or (chr(b) if 32 <= b < 127 else f"\\x{b:02x}") for b in data) + '"'


def show(reply: Any, prefix: str = "") -> str:
    """A reply in redis-cli's terminal style; nested arrays indent under their index."""
    if isinstance(reply, Error):
        return f"(error) {reply}"
    if isinstance(reply, Status):
        return str(reply)
    if isinstance(reply, int):
        return f"(integer) {reply}"
    if reply is None:
        return "(nil)"
    if isinstance(reply, bytes):
        return _quoted(reply)
    if not reply:
        return "(empty array)"
    width = len(str(len(reply)))
    inner = prefix + " " * (width + 2)
    return "\n".join(f"{prefix if i else ''}{i + 1:>{width}}) {show(item, inner)}" for i, item in enumerate(reply))
