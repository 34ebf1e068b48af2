"""Small helpers the ipywidgets views share: escaped error text, quiet updates, clean closing."""

from __future__ import annotations

import html
from typing import Any

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
