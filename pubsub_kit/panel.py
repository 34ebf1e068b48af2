"""One subscriber's panel in the dashboard: built once, updated in place, closed when it goes.

Building widgets is what costs: each one is a model the browser keeps. So a
panel is made when its subscriber appears, ``show()`` only changes values that
differ, and ``close()`` closes every model it made.
"""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as widgets

from ._views import close_tree, error_html, set_value
from .hub import SubscriptionLimitError
from .playground import Playground

OFFLINE_S = 5
SLOW_MS = 200


class SubscriberPanel:
    """Targets, state, counters (with handled and queued), last messages, and the fault buttons."""

    def __init__(self, playground: Playground, name: str, after: Callable[[], None]) -> None:
        self.name = name
        self._after = after
        self.title = widgets.HTML(f"<b>{html.escape(name)}</b>")
        self.state = widgets.HTML()
        self.counters = widgets.HTML()
        self.messages = widgets.HTML()
        self.error = widgets.HTML()
        buttons = [
            self._button("Unsubscribe", lambda: playground.unsubscribe(name)),
            self._button(f"Offline {OFFLINE_S} s", lambda: playground.offline(name, OFFLINE_S)),
            self._button("Kill connection", lambda: playground.kill(name)),
            self._button("Slow callback", lambda: playground.slow(name, SLOW_MS)),
        ]
        self.counters.add_class("dash-counters")
        self.view = widgets.VBox(
            [self.title, self.state, self.counters, widgets.HBox(buttons), self.error, self.messages],
            layout={"border": "1px solid #ccc", "padding": "4px 8px", "width": "480px"},
        )
        self.view.add_class("pubsub-kit-panel")

    def _button(self, label: str, action: Callable[[], Any]) -> widgets.Button:
        button = widgets.Button(description=label, layout={"width": "auto"})

        def run(_: widgets.Button) -> None:
            try:
                action()
                set_value(self.error, "")
            except (ValueError, KeyError, SubscriptionLimitError) as err:
                set_value(self.error, error_html(str(err).strip("'\"")))
            self._after()

        button.on_click(run)
        return button

    def show(self, sub: dict[str, Any]) -> None:
        """Update the values from one snapshot's subscriber; unchanged values send nothing."""
        set_value(self.state, html.escape(f"{sub['kind']}: {', '.join(sub['targets'])} · {sub['state']}"))
        set_value(self.counters, html.escape(
            f"received {sub['received']} · handled {sub['handled']} · queued {sub['queued']} · gaps {sub['gaps']}"
            f" · duplicates {sub['duplicates']} · dropped {sub['dropped']} · disconnects {sub['disconnects']}"
            f" · reconnects {sub['reconnects']}"
        ))
        items = "".join(f"<li>{html.escape(m['channel'])}: {html.escape(m['preview'])}</li>" for m in sub["messages"])
        set_value(self.messages, f'<ol class="messages" style="font-family:monospace;font-size:12px">{items}</ol>')

    def close(self) -> None:
        close_tree(self.view)
