"""One way to show a Redis URL: with its password replaced, so no view or error can leak it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

HIDDEN = "***"


def redact_url(url: str) -> str:
    """``redis://user:secret@host:port/0`` -> ``redis://user:***@host:port/0``; other URLs unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "a Redis URL that could not be parsed"
    netloc, query = parts.netloc, parts.query
    if parts.password is not None:
        netloc = f"{parts.username or ''}:{HIDDEN}@{netloc.rpartition('@')[2]}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key == "password" for key, _ in pairs):
        query = urlencode([(k, HIDDEN if k == "password" else v) for k, v in pairs], safe="*")
    if netloc != parts.netloc:
        url = url.replace(parts.netloc, netloc, 1)
    if query != parts.query:
        url = url.replace(parts.query, query, 1)
    return url


def redact_text(text: str, *secrets: str | None) -> str:
    """Replace every given secret in ``text``: for messages that quote a server's or a library's words."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    return text
