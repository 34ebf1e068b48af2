"""The live dashboard for JupyterLab: the web demo's features as ipywidgets.

It renders the same ``snapshot()`` as the web page and acts through the same
``Playground``. One refresher thread rebuilds the snapshot every ``refresh_s``
and touches only the widgets whose value changed: a burst of messages costs a
few widget updates, an idle dashboard sends nothing, and a subscriber's panel
is built once and closed when the subscriber goes.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import ipywidgets as widgets

from ._views import Refresher, close_tree, error_html, set_value
from .chart import chart_svg
from .hub import RedisPubSubHub, SubscriptionLimitError
from .panel import SubscriberPanel
from .playground import KINDS, MAX_COPIES, SUGGESTED_CHANNELS, Playground
from .snapshot import snapshot

REFRESH_S = 0.2
CHART_EVERY_S = 0.5
COLUMNS = ("channel", "published", "delivered", "received", "lost")


def _table(rows: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    body = "".join(
        f'<tr style="background:{"#ffd6d6" if r["delivered"] != r["received"] else "none"}">'
        + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in COLUMNS) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _server(server: dict[str, Any]) -> str:
    if not server["ok"]:
        return error_html(server["error"])
    channels = ", ".join(f"{c} ({n})" for c, n in server["channels"].items()) or "none"
    more = f" and {server['channels_not_shown']} more" if server["channels_not_shown"] else ""
    return html.escape(f"PUBSUB CHANNELS with NUMSUB: {channels}{more} · PUBSUB NUMPAT: {server['numpat']}")


class Dashboard:
    """Publish, add subscribers, break them, and watch delivered vs received — live.

    ``seed_defaults``: ``None`` (the default) adds the three default subscribers
    only to a hub without subscriptions, so yours are never removed; ``True``
    adds those whose names are free; ``False`` adds none.
    """

    def __init__(self, hub: RedisPubSubHub, refresh_s: float = REFRESH_S, *, seed_defaults: bool | None = None) -> None:
        self.hub = hub
        self.playground = Playground(hub)
        self.refresh_s = refresh_s
        self._panels: dict[str, SubscriberPanel] = {}
        self._lock = threading.Lock()
        self._chart_at = 0.0

        self.channel = widgets.Combobox(value="orders:new", options=list(SUGGESTED_CHANNELS), description="channel")
        self.message = widgets.Text(value='{"id": 1}', description="message")
        self.copies = widgets.BoundedIntText(value=1, min=1, max=MAX_COPIES, description="copies")
        self.publish_button = widgets.Button(description="Publish", button_style="primary")
        self.publish_error = widgets.HTML()
        self.sub_name = widgets.Text(description="name", placeholder="audit")
        self.sub_kind = widgets.Dropdown(options=list(KINDS), description="kind")
        self.sub_targets = widgets.Text(description="targets", placeholder="orders:new, chat:lobby")
        self.subscribe_button = widgets.Button(description="Subscribe", button_style="primary")
        self.subscribe_error = widgets.HTML()
        self.reset_button = widgets.Button(description="Reset", button_style="warning")
        self.table = widgets.HTML()
        self.chart = widgets.HTML()
        self.server_view = widgets.HTML()
        self.panels = widgets.HBox(layout={"flex_flow": "row wrap"})
        for widget, css in [(self.channel, "dash-channel"), (self.message, "dash-message"), (self.copies, "dash-copies"),
                            (self.publish_button, "dash-publish"), (self.sub_name, "dash-sub-name"),
                            (self.sub_kind, "dash-sub-kind"), (self.sub_targets, "dash-sub-targets"),
                            (self.subscribe_button, "dash-subscribe"), (self.table, "dash-table"),
                            (self.chart, "dash-chart")]:
            widget.add_class(css)
        self.publish_button.on_click(lambda _: self.publish_from_form())
        self.subscribe_button.on_click(lambda _: self.subscribe_from_form())
        self.reset_button.on_click(lambda _: self.reset())
        publish_form = widgets.VBox([widgets.HTML("<b>Publish</b>"), self.channel, self.message, self.copies,
                                     self.publish_button, self.publish_error])
        subscribe_form = widgets.VBox([widgets.HTML("<b>Add subscriber</b>"), self.sub_name, self.sub_kind,
                                       self.sub_targets, self.subscribe_button, self.subscribe_error])
        self.view = widgets.VBox([
            widgets.HBox([publish_form, subscribe_form, self.reset_button]),
            widgets.HTML("<b>Delivered vs received</b>"), self.chart, self.table, self.server_view, self.panels,
        ])
        self.view.add_class("pubsub-kit-dashboard")
        if seed_defaults or (seed_defaults is None and not hub.subscriptions()):
            self.playground.seed_defaults()
        self.refresh()
        self._refresher = Refresher(self.refresh, refresh_s, lambda text: set_value(self.server_view, error_html(text)),
                                    "dashboard")

    # -- actions -------------------------------------------------------------------------

    def publish_from_form(self) -> None:
        """Publish the form's message ``copies`` times; bad input shows inline."""
        try:
            self.playground.publish(self.channel.value, self.message.value, self.copies.value)
            set_value(self.publish_error, "")
        except (ValueError, TypeError) as err:
            set_value(self.publish_error, error_html(str(err)))
        self.refresh()

    def subscribe_from_form(self) -> None:
        try:
            self.playground.subscribe(self.sub_name.value.strip(), self.sub_kind.value, self.sub_targets.value)
            set_value(self.subscribe_error, "")
            self.sub_name.value = self.sub_targets.value = ""
        except (ValueError, TypeError, SubscriptionLimitError) as err:
            set_value(self.subscribe_error, error_html(str(err)))
        self.refresh()

    def unsubscribe(self, name: str) -> None:
        self.playground.unsubscribe(name)
        self.refresh()

    def reset(self) -> None:
        self.playground.reset()
        self.refresh()

    # -- rendering -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Render the current snapshot, touching only what changed."""
        state = snapshot(self.hub)
        with self._lock:
            if self.view.comm is None:
                return  # closed
            set_value(self.table, _table(state["channel_rows"]))
            set_value(self.server_view, _server(state["server"]))
            now = time.monotonic()
            if now - self._chart_at >= CHART_EVERY_S:
                chart = chart_svg(state)
                if chart != self.chart.value:
                    self.chart.value = chart
                    self._chart_at = now
            self._show_panels(state["hub"]["subscriptions"])

    def _show_panels(self, subs: list[dict[str, Any]]) -> None:
        for sub in subs:
            if sub["name"] not in self._panels:
                self._panels[sub["name"]] = SubscriberPanel(self.playground, sub["name"], self.refresh)
            self._panels[sub["name"]].show(sub)
        children = tuple(self._panels[sub["name"]].view for sub in subs)
        if self.panels.children != children:
            self.panels.children = children
        for gone in set(self._panels) - {sub["name"] for sub in subs}:
            self._panels.pop(gone).close()

    def close(self) -> None:
        """Stop the refresher (joined) and the fault timers, and close every widget; the hub stays yours."""
        self._refresher.stop()
        self.playground.close()
        with self._lock:
            self._panels.clear()
            close_tree(self.view)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
