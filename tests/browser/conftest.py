"""Browser fixtures: the test app served over real HTTP, and Debian's headless Chromium on a phone.

The session `app` is configured with SERVER_NAME="heatdesk.test". Rather than change that shared
config while the server runs, the browser is told to resolve heatdesk.test to the live server
(`--host-resolver-rules`), so it asks for http://heatdesk.test/ exactly as the app expects to be
called: the Host header, cookies and any URL the app builds all agree, and no other test sees a
changed config. (Flask 3.1 would in fact also answer a request for 127.0.0.1 despite SERVER_NAME,
but external URLs and redirects it builds would then name a host the browser cannot reach.)
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveServer:
    url: str  # what the browser opens: http://<SERVER_NAME>
    host: str  # the app's SERVER_NAME
    address: str  # where the server really listens: 127.0.0.1:<port>

    @property
    def resolver_rule(self) -> str:
        """Chromium flag: send http://<SERVER_NAME>/ (port 80) to the real address."""
        return f"--host-resolver-rules=MAP {self.host}:80 {self.address}"


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    """The session app on a real socket, in a background thread, for the whole session."""
    host = app.config["SERVER_NAME"]
    assert host and ":" not in host, "the browser fixtures expect SERVER_NAME to be a bare host name"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://{host}", host=host, address=f"127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """Debian's Chromium; the tests skip where it is not installed, except on CI, which must run them."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}: browser tests must run on CI", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_executable, live_server):
    """One headless Chromium for the session (Playwright drives it; never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_executable), headless=True, args=[*CHROMIUM_ARGS, live_server.resolver_rule]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_phone(browser, live_server):
    """Factory: a fresh phone (own cookies), 360×740, touch, Chinese. Closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True,
            device_scale_factor=2, locale="zh-CN",  # locale also sets Accept-Language: zh-CN
        )
        contexts.append(context)
        return _watched_page(context)

    yield make
    for context in contexts:
        context.close()


DESKTOP = {"width": 1280, "height": 800}


def _watched_page(context):
    """A page that records console errors and uncaught exceptions (CSP violations show up here)."""
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: _is_problem(msg) and page.problems.append(f"{msg.text} {msg.location}"))
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    return page


@pytest.fixture
def desk(browser, live_server):
    """A desktop browser (own cookies), 1280×800, Chinese: the agent's or supervisor's desk."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="zh-CN")
    yield _watched_page(context)
    context.close()


def _is_problem(message) -> bool:
    # The app has no favicon yet; Chromium's automatic request for one is not the page's fault.
    return message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")


@pytest.fixture
def phone(new_phone):
    """One resident's phone browser."""
    return new_phone()
