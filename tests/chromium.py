"""Where the browser tests find Chromium, and how they start it (see ../shared/TESTING.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("PUBSUB_KIT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def require_chromium():
    """Skip the calling module, saying how to get a browser, or return Playwright's sync API."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install it (sudo apt-get install chromium) or set PUBSUB_KIT_CHROMIUM",
            allow_module_level=True,
        )
    return pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
