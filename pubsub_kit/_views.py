"""Small helpers the ipywidgets views share: escaped error text, quiet updates, clean closing, a refresher."""

from __future__ import annotations

import html
import threading
from typing import Any, Callable

import ipywidgets as widgets


def error_html(text: str) -> str:
    """A red, escaped line under a form; empty text clears it."""
    return f'<span style="color:#b00020">{html.escape(text)}</span>' if text else ""


def set_value(widget: widgets.Widget, value: Any) -> None:
    """Send a widget update only when the value really changed, so an idle view sends nothing."""
    if widget.value != value:
        widget.value = value


def close_tree(widget: widgets.Widget) -> None:
    """Close a widget, its children and its layout/style models, so none stays in the kernel."""
    for trait in widget.keys:
        value = getattr(widget, trait, None)
        for child in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(child, widgets.Widget) and child is not widget:
                close_tree(child)
    widget.close()


class Refresher:
    """Runs ``tick`` every ``every`` seconds on a thread of its own until ``stop()``.

    A failing tick is shown through ``show_error`` and the next one tries again, so a
    view's thread never dies silently and a passing blip does not end it.
    """

    def __init__(self, tick: Callable[[], None], every: float, show_error: Callable[[str], None], name: str) -> None:
        self._tick, self._every, self._show_error, self._name = tick, every, show_error, name
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"pubsub_kit:{name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._tick()
            except Exception as err:  # shown, never a silent death: the next tick tries again
                self._show_error(f"{self._name} refresh failed: {type(err).__name__}: {err}")

    def stop(self) -> None:
        """Stop and join the thread."""
        self._stop.set()
        self.thread.join(timeout=5)
