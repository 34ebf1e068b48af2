"""Small ipywidgets for the lessons: each action is a real Redis call, each table real counts.

Widgets update only in response to a click (no background threads), so they
behave the same in the browser and under ``pytest --nbval``; a learner's typo
becomes a red line under the input, never a traceback.
"""

from __future__ import annotations

from typing import Iterable

import ipywidgets as widgets
import pandas as pd

from . import names, tables
from ._views import error_html
from .hub import RedisPubSubHub


class GlobExplorer:
    """Add PSUBSCRIBE subscribers by typing globs; see which channels Redis delivers to each.

    The grid is measured, not predicted: one probe message is published to every
    channel and the grid shows what each pattern subscription really received.
    """

    def __init__(self, hub: RedisPubSubHub, channels: Iterable[str]) -> None:
        self.hub = hub
        self.channels = list(channels)
        self.patterns: list[str] = []
        self.pattern = widgets.Text(placeholder="e.g. notifications:*", description="pattern")
        self.add = widgets.Button(description="Add subscriber", button_style="primary")
        self.error = widgets.HTML()
        self.grid = widgets.HTML()
        self.add.on_click(lambda _: self.add_pattern(self.pattern.value))
        self.view = widgets.VBox([widgets.HBox([self.pattern, self.add]), self.error, self.grid])
        self.view.add_class("pubsub-kit-glob-explorer")
        self._render()

    def add_pattern(self, pattern: str) -> bool:
        """Subscribe a new pattern; on bad input show why and change nothing."""
        try:
            pattern = names.check_pattern(pattern.strip())
            if pattern in self.patterns:
                raise ValueError(f"{pattern!r} is already in the grid")
            self.hub.psubscribe(f"glob {pattern}", pattern)
        except (ValueError, TypeError) as err:
            self.error.value = error_html(str(err))
            return False
        self.patterns.append(pattern)
        self.error.value = ""
        self.pattern.value = ""
        self._render()
        return True

    def matches(self) -> pd.DataFrame:
        """channel x pattern: True where Redis delivered the probe to that pattern's subscriber."""
        subs = {p: self.hub.get_subscription(f"glob {p}") for p in self.patterns}
        for sub in subs.values():
            sub.reset_received()
        for channel in self.channels:
            self.hub.publish(channel, {"probe": channel})
        self.hub.wait_until_delivered()
        got = {p: {m.channel for m in sub.messages()} for p, sub in subs.items()}
        return pd.DataFrame(
            {p: [c in got[p] for c in self.channels] for p in self.patterns},
            index=pd.Index(self.channels, name="channel"),
            dtype=bool,
        )

    def _render(self) -> None:
        if not self.patterns:
            self.grid.value = "<i>No pattern subscribers yet: type a glob and press Add.</i>"
            return
        marks = self.matches().replace({True: "✓", False: ""})
        self.grid.value = marks.to_html()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)


class OutageLab:
    """Take one subscriber offline and back while publishing, and watch the loss being counted."""

    def __init__(self, hub: RedisPubSubHub, name: str, channel: str) -> None:
        self.hub = hub
        self.name = name
        self.channel = channel
        self.sent = 0
        self.publish_button = widgets.Button(description=f"Publish 5 to {channel}")
        self.toggle = widgets.ToggleButton(description="online", value=True, icon="plug")
        self.table = widgets.HTML()
        self.publish_button.on_click(lambda _: self.publish(5))
        self.toggle.observe(lambda change: self.set_online(change["new"]), names="value")
        self.view = widgets.VBox([widgets.HBox([self.publish_button, self.toggle]), self.table])
        self.view.add_class("pubsub-kit-outage-lab")
        self._render()

    def publish(self, count: int) -> None:
        self.hub.publish_many(self.channel, [{"n": self.sent + i + 1} for i in range(count)])
        self.sent += count
        self._render()

    def set_online(self, online: bool) -> None:
        if online:
            self.hub.bring_online(self.name)
        else:
            self.hub.take_offline(self.name)
        self.toggle.description = "online" if online else "offline"
        self._render()

    def _render(self) -> None:
        self.hub.wait_until_delivered()
        stats = self.hub.stats()
        row = tables.subscriber_table(stats).loc[[self.name], ["state", "received", "gaps", "reconnects"]]
        row.insert(0, "published", self.sent)
        self.table.value = row.to_html()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
