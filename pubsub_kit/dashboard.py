"""The live dashboard for JupyterLab: the web demo's features as ipywidgets.

It renders the same ``snapshot()`` as the web page. One refresher thread
rebuilds the snapshot every ``refresh_s`` and touches only the widgets whose
text changed, so a burst of messages costs a few widget updates, not one per
message, and nothing polls Redis per message.
"""

from __future__ import annotations

import html
import json
import threading
from typing import Any, Callable

import ipywidgets as widgets

from .faults import Faults
from .hub import RedisPubSubHub, SubscriptionLimitError
from .snapshot import SUGGESTED_CHANNELS, add_subscriber, reset, snapshot

REFRESH_S = 0.2
OFFLINE_S = 5


def _error(text: str) -> str:
    return f'<span style="color:#b00020">{html.escape(text)}</span>' if text else ""


def _set(widget: widgets.Widget, value: Any) -> None:
    """Send a widget update only when the value really changed."""
    if widget.value != value:
        widget.value = value


class _Panel:
    """One subscriber: targets, state, counters, last messages, and its controls."""

    def __init__(self, dashboard: "Dashboard", name: str) -> None:
        self.name = name
        self.title = widgets.HTML(f"<b>{html.escape(name)}</b>")
        self.state = widgets.HTML()
        self.messages = widgets.HTML()
        buttons = [
            self._button("Unsubscribe", lambda: dashboard.unsubscribe(name)),
            self._button(f"Offline {OFFLINE_S} s", lambda: dashboard.faults.offline_for(name, OFFLINE_S)),
            self._button("Kill connection", lambda: dashboard.faults.kill(name)),
            self._button("Slow callback", lambda: dashboard.faults.slow(name, 200)),
        ]
        self.error = widgets.HTML()
        self.view = widgets.VBox([self.title, self.state, widgets.HBox(buttons), self.error, self.messages],
                                 layout={"border": "1px solid #ccc", "padding": "4px 8px", "width": "480px"})
        self.view.add_class("pubsub-kit-panel")

    def _button(self, label: str, action: Callable[[], Any]) -> widgets.Button:
        button = widgets.Button(description=label, layout={"width": "auto"})

        def run(_: widgets.Button) -> None:
            try:
                action()
                _set(self.error, "")
            except (ValueError, KeyError) as err:
                _set(self.error, _error(str(err)))

        button.on_click(run)
        return button

    def show(self, sub: dict[str, Any]) -> None:
        kind = "pattern" if sub["is_pattern"] else "exact"
        _set(self.state, html.escape(
            f"{kind}: {', '.join(sub['targets'])} · {sub['state']} · received {sub['received']} · gaps {sub['gaps']}"
            f" · duplicates {sub['duplicates']} · dropped {sub['dropped']} · disconnects {sub['disconnects']}"
            f" · reconnects {sub['reconnects']}"
        ))
        items = "".join(
            f"<li>{html.escape(m['channel'])}: {html.escape(json.dumps(m['payload'], default=str))}</li>"
            for m in sub["messages"]
        )
        _set(self.messages, f'<ol class="messages" style="font-family:monospace;font-size:12px">{items}</ol>')


class Dashboard:
    """Publish, add subscribers, break them, and watch delivered vs received — live."""

    def __init__(self, hub: RedisPubSubHub, refresh_s: float = REFRESH_S, seed_defaults: bool = True) -> None:
        self.hub = hub
        self.faults = Faults(hub)
        self.refresh_s = refresh_s
        self._panels: dict[str, _Panel] = {}
        self._lock = threading.Lock()

        self.channel = widgets.Combobox(value="orders:new", options=list(SUGGESTED_CHANNELS), description="channel")
        self.message = widgets.Text(value='{"id": 1}', description="message")
        self.copies = widgets.BoundedIntText(value=1, min=1, max=20, description="copies")
        self.publish_button = widgets.Button(description="Publish", button_style="primary")
        self.publish_error = widgets.HTML()
        self.sub_name = widgets.Text(description="name", placeholder="audit")
        self.sub_kind = widgets.Dropdown(options=["exact", "pattern"], description="kind")
        self.sub_targets = widgets.Text(description="targets", placeholder="orders:new, chat:lobby")
        self.subscribe_button = widgets.Button(description="Subscribe", button_style="primary")
        self.subscribe_error = widgets.HTML()
        self.reset_button = widgets.Button(description="Reset", button_style="warning")
        self.table = widgets.HTML()
        self.server_view = widgets.HTML()
        self.panels = widgets.HBox(layout={"flex_flow": "row wrap"})
        for widget, css in [(self.channel, "dash-channel"), (self.message, "dash-message"), (self.copies, "dash-copies"),
                            (self.publish_button, "dash-publish"), (self.sub_name, "dash-sub-name"),
                            (self.sub_kind, "dash-sub-kind"), (self.sub_targets, "dash-sub-targets"),
                            (self.subscribe_button, "dash-subscribe"), (self.table, "dash-table")]:
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
            widgets.HTML("<b>Delivered vs received</b>"), self.table, self.server_view, self.panels,
        ])
        self.view.add_class("pubsub-kit-dashboard")
        if seed_defaults:
            reset(hub, self.faults)
        self.refresh()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresh_loop, name="pubsub_kit:dashboard", daemon=True)
        self._thread.start()

    # -- actions -------------------------------------------------------------------------

    def publish_from_form(self) -> None:
        """Publish the form's message ``copies`` times; bad input shows inline."""
        try:
            try:
                payload: Any = json.loads(self.message.value)
            except ValueError:
                payload = self.message.value
            if not self.message.value.strip():
                raise ValueError("message is empty: type something to publish")
            self.hub.publish_many(self.channel.value.strip(), [payload] * self.copies.value)
            _set(self.publish_error, "")
        except (ValueError, TypeError) as err:
            _set(self.publish_error, _error(str(err)))
        self.refresh()

    def subscribe_from_form(self) -> None:
        try:
            add_subscriber(self.hub, self.faults, self.sub_name.value.strip(), self.sub_kind.value, self.sub_targets.value)
            _set(self.subscribe_error, "")
            self.sub_name.value = self.sub_targets.value = ""
        except (ValueError, TypeError, SubscriptionLimitError) as err:
            _set(self.subscribe_error, _error(str(err)))
        self.refresh()

    def unsubscribe(self, name: str) -> None:
        self.hub.unsubscribe(name)
        self.faults.forget(name)
        self.refresh()

    def reset(self) -> None:
        reset(self.hub, self.faults)
        self.refresh()

    # -- rendering -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Render the current snapshot, touching only what changed."""
        state = snapshot(self.hub)
        with self._lock:
            rows = "".join(
                f'<tr style="background:{"#ffd6d6" if r["delivered"] != r["received"] else "none"}">'
                + "".join(f"<td>{html.escape(str(r[k]))}</td>" for k in ("channel", "published", "delivered", "received", "lost"))
                + "</tr>"
                for r in state["channel_rows"]
            )
            _set(self.table, "<table><tr><th>channel</th><th>published</th><th>delivered</th><th>received</th>"
                             f"<th>lost</th></tr>{rows}</table>")
            server = state["server"]
            channels = ", ".join(f"{c} ({n})" for c, n in server["channels"].items()) or "none"
            _set(self.server_view, _error(server["error"]) if not server["ok"] else html.escape(
                f"PUBSUB CHANNELS with NUMSUB: {channels} · PUBSUB NUMPAT: {server['numpat']}"))
            subs = state["hub"]["subscriptions"]
            names = [s["name"] for s in subs]
            for gone in set(self._panels) - set(names):
                del self._panels[gone]
            for sub in subs:
                self._panels.setdefault(sub["name"], _Panel(self, sub["name"])).show(sub)
            children = tuple(self._panels[name].view for name in names)
            if self.panels.children != children:
                self.panels.children = children

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self.refresh_s):
            try:
                self.refresh()
            except Exception as err:
                _set(self.server_view, _error(f"dashboard refresh failed: {err}"))

    def close(self) -> None:
        """Stop the refresher (joined) and the fault timers; the hub stays yours to shut down."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.faults.close()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
