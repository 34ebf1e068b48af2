"""Checks for subscription names, channels and glob patterns, and Redis' glob matcher.

Bad input is refused before it reaches Redis, with a message that says what to fix,
because Redis itself accepts almost anything and then matches something else than meant
(an unclosed ``[`` makes the rest of the pattern a character class: ``orders:[new``
matches ``orders:n``, ``orders:e`` and ``orders:w``).
"""

from __future__ import annotations

from typing import Callable, Iterable


def check_name(name: object) -> str:
    """A subscription name: a non-empty string without surrounding spaces."""
    if not isinstance(name, str):
        raise TypeError(f"subscription name must be a str, got {type(name).__name__}")
    if not name.strip():
        raise ValueError("subscription name is empty: give it a name such as 'orders-listener'")
    if name != name.strip():
        raise ValueError(f"subscription name {name!r} has leading or trailing spaces: remove them")
    return name


def check_channel(channel: object) -> str:
    """A channel to publish to or subscribe to: a non-empty string that UTF-8 can carry."""
    if not isinstance(channel, str):
        raise TypeError(f"channel must be a str such as 'orders:new', got {type(channel).__name__}")
    if not channel:
        raise ValueError("channel is empty: name it, e.g. 'orders:new'")
    if not channel.isascii():
        _check_unicode(channel, "channel")
    return channel


def _check_unicode(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"{what} {text!r} holds {err.object[err.start:err.end]!r}, a lone surrogate that UTF-8 "
                         f"cannot carry: fix the name (e.g. decode its bytes with errors='replace')") from None


def check_pattern(pattern: object) -> str:
    """A PSUBSCRIBE glob whose brackets and escapes are complete."""
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a str such as 'orders:*', got {type(pattern).__name__}")
    if not pattern:
        raise ValueError("pattern is empty: use e.g. 'notifications:*'")
    if not pattern.isascii():
        _check_unicode(pattern, "pattern")
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 == len(pattern):
                raise ValueError(
                    f"pattern {pattern!r} ends with a lone backslash: escape it as '\\\\' or remove it"
                )
            i += 2
            continue
        if char == "[":
            close = _closing_bracket(pattern, i)
            if close < 0:
                raise ValueError(
                    f"pattern {pattern!r} has an unclosed '[' at position {i}: "
                    "close the character class with ']' or escape the bracket as '\\['"
                )
            i = close + 1
            continue
        i += 1
    return pattern


def _closing_bracket(pattern: str, start: int) -> int:
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i
        i += 1
    return -1


def as_list(targets: str | Iterable[str] | None, check: Callable[[object], str]) -> list[str]:
    """Accept one target or many; a target listed twice counts once, as Redis itself treats it."""
    if targets is None:
        return []
    items = [targets] if isinstance(targets, str) else list(targets)
    return list(dict.fromkeys(check(item) for item in items))


def glob_match(pattern: str, channel: str) -> bool:
    """True when Redis would deliver ``channel`` to ``PSUBSCRIBE pattern``.

    Re-implements Redis' ``stringmatchlen`` for well-formed patterns: ``*``, ``?``,
    ``[abc]``, ``[^abc]``, ``[a-z]`` and backslash escapes. Note ``[!abc]`` is *not*
    negation in Redis. Odd classes such as ``[a-]`` may differ: Redis reads a range up
    to the ``]``.
    """
    return _match(pattern, 0, channel, 0)


def _match(p: str, pi: int, s: str, si: int) -> bool:
    while pi < len(p):
        char = p[pi]
        if char == "*":
            while pi + 1 < len(p) and p[pi + 1] == "*":
                pi += 1
            if pi + 1 == len(p):
                return True
            return any(_match(p, pi + 1, s, k) for k in range(si, len(s) + 1))
        if si >= len(s):
            return False
        if char == "?":
            pi, si = pi + 1, si + 1
            continue
        if char == "[":
            matched, pi = _match_class(p, pi + 1, s[si])
            if not matched:
                return False
            si += 1
            continue
        if char == "\\" and pi + 1 < len(p):
            pi += 1
            char = p[pi]
        if char != s[si]:
            return False
        pi, si = pi + 1, si + 1
    return si == len(s)


def _match_class(p: str, pi: int, c: str) -> tuple[bool, int]:
    negate = pi < len(p) and p[pi] == "^"
    if negate:
        pi += 1
    matched = False
    while pi < len(p) and p[pi] != "]":
        if p[pi] == "\\" and pi + 1 < len(p):
            pi += 1
            matched |= p[pi] == c
        elif pi + 2 < len(p) and p[pi + 1] == "-" and p[pi + 2] != "]":
            low, high = sorted((p[pi], p[pi + 2]))
            matched |= low <= c <= high
            pi += 2
        else:
            matched |= p[pi] == c
        pi += 1
    return matched != negate, pi + 1
