"""Open every report in headless Chromium: it renders without console errors, its charts are drawn,
its table sorts and filters, links open transcripts, and the injection fixtures stay inert text.

Chromium is driven over the DevTools protocol with a small stdlib WebSocket client (below). The
tests are skipped only when no Chromium is installed (``apt-get install chromium``; CI has it).
``python -m tests.test_browser docs/img`` rewrites the README's screenshots.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from convmine.reports import REPORTS, Scope, write_report
from convmine.store import open_store
from tests.data.reports import fixture

CHROMIUM = next(
    (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]
CHINA = timezone(timedelta(hours=8))
README_SCOPE = {"until": datetime(2026, 7, 1, tzinfo=CHINA)}
PNG = b"\x89PNG\r\n\x1a\n"


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: masked text frames out, frames in."""

    def __init__(self, url: str, timeout: float = 30):
        host_port, _, path = url.removeprefix("ws://").partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"WebSocket handshake refused: {head[:200]!r}")

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def _send(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, text: str) -> None:
        self._send(0x1, text.encode())

    def recv(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else b""
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            message += payload
            if first & 0x80:
                return message.decode()

    def close(self) -> None:
        self.sock.close()


class Browser:
    """A headless Chromium with one page, its console errors, dialogs and requests recorded."""

    def __init__(self, binary: str, profile: Path):
        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                raise RuntimeError("Chromium did not start its DevTools endpoint within 30 s")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = WebSocket(f"ws://127.0.0.1:{port}{path}")
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = False
    ) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            self._event(reply)

    def _event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if event.get("method") == "Page.javascriptDialogOpening":  # record it, then let the page go on
            self.ws.send(json.dumps({
                "id": 0, "method": "Page.handleJavaScriptDialog", "params": {"accept": False},
                "sessionId": self.session,
            }))  # fmt: skip

    def wait_for(self, method: str, since: int = 0, timeout: float = 30) -> dict[str, Any]:
        """The first ``method`` event from ``self.events[since:]`` on, waiting for it if need be."""
        seen = next((e for e in self.events[since:] if e.get("method") == method), None)
        deadline = time.monotonic() + timeout
        while seen is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            event = json.loads(self.ws.recv())
            self._event(event)
            seen = event if event.get("method") == method else None
        return seen

    def open(self, url: str, width: int = 1280, height: int = 1600) -> None:
        self.events.clear()
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )
        start = len(self.events)
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired", since=start)

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, dialogs opened and failed loads so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "warning",
                "assert",
            ):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
            elif method == "Page.javascriptDialogOpening":
                found.append(f"dialog: {params.get('message')}")
            elif method == "Network.loadingFailed":
                found.append(f"failed load: {params.get('errorText')}")
        return found

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def screenshot(self, height: int | None = None) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if height is not None:
            params["clip"] = {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}
        return base64.b64decode(self.call("Page.captureScreenshot", params, session=True)["data"])

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (OSError, ConnectionError, RuntimeError):
            pass  # it is going away anyway; kill() below makes sure
        self.ws.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_browser(profile: Path) -> Browser:
    assert CHROMIUM is not None
    return Browser(CHROMIUM, profile)


# --- tests ------------------------------------------------------------------------------------------

# CI installs Chromium and must run these tests: there a missing browser is a failure, not a skip.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="no Chromium installed (apt-get install chromium); CI installs it",
)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("browser")
    db = fixture.build(folder / "reports.db")
    scope = Scope(teams=fixture.teams(injection=True))
    with open_store(db) as store:
        return {name: write_report(name, store, scope, folder / f"{name}.html").html for name in REPORTS}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    opened = start_browser(tmp_path_factory.mktemp("chromium-profile"))
    yield opened
    opened.close()


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_renders_with_charts_and_no_errors(browser, reports, name, tmp_path):
    browser.open(reports[name].as_uri())
    assert browser.problems() == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in browser.requests()), browser.requests()
    charts = browser.evaluate(
        "Array.from(document.querySelectorAll('svg.chart')).map(s => "
        "[s.getBoundingClientRect().height, s.querySelectorAll('rect, polyline, circle').length])"
    )
    assert len(charts) >= 2
    assert all(height > 20 and shapes > 0 for height, shapes in charts), charts
    assert browser.evaluate("document.querySelectorAll('table.data tbody tr').length") > 0
    shot = browser.screenshot(height=1600)
    assert shot.startswith(PNG) and len(shot) > 20_000  # a blank page compresses to a few KB
    (tmp_path / f"{name}.png").write_bytes(shot)


@pytest.mark.parametrize("name", list(REPORTS))
def test_injection_fixtures_stay_inert_text(browser, reports, name):
    browser.open(reports[name].as_uri())
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.scripts.length") == 1  # the report's own
    assert browser.evaluate("document.querySelectorAll('[onmouseover], [onerror], img, iframe').length") == 0
    assert not [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
    if name != "profiles":  # the profiles report shows no quotes of that call in its work lists
        text = browser.evaluate("document.body.textContent")
        assert fixture.SCRIPT in text
        assert fixture.FORMULA in browser.evaluate("document.getElementById('transcripts').textContent")
        assert fixture.INJECTION_CALL_ID in text


def test_calls_table_sorts_and_filters(browser, reports):
    browser.open(reports["objections"].as_uri())
    rows = "Array.from(document.querySelectorAll('#calls-table tbody tr')).filter(r => !r.hidden)"
    total = browser.evaluate(f"{rows}.length")
    turns = (
        "Array.from(document.querySelectorAll('#calls-table tbody tr')).map(r => +r.cells[5].dataset.sort)"
    )
    browser.evaluate("document.querySelectorAll('#calls-table th')[5].click()")
    ascending = browser.evaluate(turns)
    assert ascending == sorted(ascending)
    browser.evaluate("document.querySelectorAll('#calls-table th')[5].click()")
    assert browser.evaluate(turns) == sorted(ascending, reverse=True)

    browser.evaluate(
        "const s = document.querySelector('select[data-name=\"agent_id\"]'); s.value = 'AG-13';"
        "s.dispatchEvent(new Event('change'))"
    )
    with open_store(reports["objections"].parent / "reports.db") as store:
        assert browser.evaluate(f"{rows}.length") == len(store.calls(agent_id="AG-13"))
    assert set(browser.evaluate(f"{rows}.map(r => r.cells[3].textContent)")) == {"AG-13"}
    browser.evaluate(
        "const i = document.querySelector('.controls input'); i.value = '没时间'; i.dispatchEvent(new Event('input'))"
    )
    filtered = browser.evaluate(f"{rows}.map(r => r.textContent)")
    assert filtered and all("没时间" in row and "AG-13" in row for row in filtered)
    assert 0 < len(filtered) < total


def test_a_quote_link_opens_the_transcript_at_its_turn(browser, reports):
    browser.open(reports["objections"].as_uri())
    href = browser.evaluate("document.querySelector('#evidence blockquote a').getAttribute('href')")
    assert href.startswith("#call-") and "-u" in href
    browser.evaluate(f"location.hash = {json.dumps(href)}")
    assert (
        browser.evaluate(f"document.getElementById({json.dumps(href[1:])}).closest('details').open") is True
    )
    assert browser.problems() == []


# --- README screenshots -----------------------------------------------------------------------------


def write_screenshots(folder: Path, height: int = 1500) -> list[Path]:
    """Render each report over the fixture calls (no injection call) and save ``report-<name>.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = fixture.build(work / "readme.db", injection=False)
        browser = start_browser(work / "profile")
        try:
            with open_store(db) as store:
                for name in REPORTS:
                    scope = Scope(teams=fixture.teams(), **README_SCOPE)
                    html = write_report(
                        name, store, scope, work / f"{name}.html", now=README_SCOPE["until"]
                    ).html
                    browser.open(html.as_uri(), height=height)
                    path = folder / f"report-{name}.png"
                    path.write_bytes(browser.screenshot(height=height))
                    written.append(path)
        finally:
            browser.close()
    return written


if __name__ == "__main__":
    if CHROMIUM is None:
        sys.exit("no Chromium installed (apt-get install chromium)")
    for shot in write_screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")):
        print(f"{shot} ({shot.stat().st_size // 1024} KB)")
