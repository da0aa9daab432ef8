"""Benchmark: the operator console's transferred bytes and time to first render, on loopback.

    .venv/bin/python -m bench.console [--runs 5]

One `jewgo serve` on PostgreSQL + Redis (seed scale 1) with its console on a port of its
own. Each run signs in with a fresh `jewgo console-link` in a new browser context, so with
an empty cache (Debian's headless Chromium, driven by Playwright), then reloads the page
once in that context (the warm load: the token is in sessionStorage, the cache is primed).

- First render: from navigation start to the moment the overview's 8 `a.flag-link` are in
  the DOM, taken in the page (`performance.now()` in a MutationObserver installed before
  any script runs), so no Playwright round trip counts; beside it the wall clock from
  `goto` to Playwright seeing them.
- Bytes: response headers + body as transferred (`request.sizes()`) for everything the
  load asked for until it settled (the event stream up, every call answered), split
  into static (the page, modules, CSS) and data (the session call and GraphQL); the
  /console/events stream never ends, so it is counted apart, not summed.

Targets (the console issue): cold load <= 200 KB and <= 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, Page, Request, sync_playwright

from bench.fleet import JEWGO, REDIS, gateway, seeded_database, server_env
from bench.machine import describe
from bench.results import write_section
from tests.support import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FLAGS = 8
TIMEOUT_MS = 30_000
TARGET_KB = 200.0
TARGET_SECONDS = 1.0
EVENTS = "/console/events"
# Installed before the page's own scripts. The first moment the overview's flags are all in
# the DOM, on the page's clock (0 = navigation start); and the page's fetch() calls, counted
# and those still unanswered, to tell when the load has settled.
INIT_SCRIPT = f"""
(() => {{
  const seen = () => document.querySelectorAll("a.flag-link").length >= {FLAGS};
  const observer = new MutationObserver(() => {{
    if (seen()) {{
      window.__firstRender = performance.now();
      observer.disconnect();
    }}
  }});
  observer.observe(document, {{ childList: true, subtree: true }});
  window.__fetches = 0;
  window.__unanswered = 0;
  const fetch = window.fetch;
  window.fetch = function (...args) {{
    window.__fetches += 1;
    window.__unanswered += 1;
    const answered = () => {{ window.__unanswered -= 1; }};
    const answer = fetch.apply(this, args);
    answer.then(answered, answered);
    return answer;
  }};
}})();
"""
# The stream is up ("Live") and every call the page made answered.
SETTLED = (
    "() => document.getElementById('live')?.textContent === 'Live' && window.__unanswered === 0"
)


@dataclass(frozen=True)
class Load:
    render_ms: float
    wall_ms: float
    static_bytes: int
    data_bytes: int
    requests: int
    streams: int
    failed: int

    @property
    def total_bytes(self) -> int:
        return self.static_bytes + self.data_bytes


def console_link(env: Mapping[str, str]) -> str:
    done = subprocess.run(
        [JEWGO, "console-link", "--email", "admin@example.com"],
        env=dict(env), check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[0]


def wait_for_console(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(f"{url}/console").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"no console on {url} within {timeout} s")


def this_load(requests: list[Request]) -> list[Request]:
    """From the document's own request on: a reload also reports the old page's last calls."""
    starts = [i for i, r in enumerate(requests) if r.is_navigation_request()]
    return requests[starts[-1] :] if starts else []


def load(page: Page, open_page: str | None) -> Load:
    """Open `open_page` (None: reload), wait for the first render and then for the page to
    settle; what it took and what it transferred."""
    requests: list[Request] = []

    def seen(request: Request) -> None:
        requests.append(request)

    page.on("request", seen)
    try:
        started = time.perf_counter()
        if open_page is None:
            page.reload(wait_until="commit", timeout=TIMEOUT_MS)
        else:
            page.goto(open_page, wait_until="commit", timeout=TIMEOUT_MS)
        page.wait_for_function(
            f"() => document.querySelectorAll('a.flag-link').length >= {FLAGS}", timeout=TIMEOUT_MS
        )
        wall_ms = (time.perf_counter() - started) * 1000
        render_ms = float(
            page.wait_for_function("() => window.__firstRender", timeout=TIMEOUT_MS).json_value()
        )
        page.wait_for_function(SETTLED, timeout=TIMEOUT_MS)
        # Every fetch() the page made must have reached us as a request event too.
        fetches = int(page.evaluate("() => window.__fetches"))
        while sum(r.resource_type == "fetch" for r in this_load(requests)) < fetches:
            page.wait_for_event("request", timeout=TIMEOUT_MS)
    finally:
        page.remove_listener("request", seen)
    static = data = streams = failed = 0
    loaded = this_load(requests)
    for request in loaded:
        path = urlsplit(request.url).path
        if path == EVENTS:
            streams += 1
            continue
        if request.failure is not None:
            failed += 1
            continue
        sizes = request.sizes()  # waits for the body to end
        transferred = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        if path in ("/console", "/console/") or path.startswith("/console/static/"):
            static += transferred
        else:
            data += transferred
    requests_made = len(loaded) - streams - failed
    return Load(render_ms, wall_ms, static, data, requests_made, streams, failed)


def run_once(browser: Browser, link: str) -> tuple[Load, Load]:
    """A cold load of `link` in a new context, then a warm reload in the same context."""
    context = browser.new_context()
    try:
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        return load(page, link), load(page, None)
    finally:
        context.close()


def row(name: str, loads: list[Load]) -> str:
    def median(values: list[float]) -> float:
        return statistics.median(values)

    return (
        f"| {name} | {median([x.render_ms for x in loads]):.0f} "
        f"| {max(x.render_ms for x in loads):.0f} "
        f"| {median([x.wall_ms for x in loads]):.0f} "
        f"| {median([x.static_bytes / 1024 for x in loads]):.1f} "
        f"| {median([x.data_bytes / 1024 for x in loads]):.1f} "
        f"| {median([x.total_bytes / 1024 for x in loads]):.1f} "
        f"| {median([x.requests for x in loads]):.0f} + {median([x.streams for x in loads]):.0f} |"
    )


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    cold: list[Load] = []
    warm: list[Load] = []
    with tempfile.TemporaryDirectory() as workdir, seeded_database(1) as url:
        console_port = free_port()
        env = server_env(
            url,
            REDIS_URL=REDIS,
            REDIS_NAMESPACE=f"jewgo-bench-{uuid.uuid4().hex[:8]}",
            CONSOLE="true",
            CONSOLE_PORT=str(console_port),
        )
        with gateway(env, Path(workdir)), sync_playwright() as playwright:
            wait_for_console(f"http://127.0.0.1:{console_port}")
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                for _ in range(options.runs):
                    first, again = run_once(browser, console_link(env))
                    cold.append(first)
                    warm.append(again)
            finally:
                browser.close()
    render_s = statistics.median([x.render_ms for x in cold]) / 1000
    total_kb = statistics.median([x.total_bytes / 1024 for x in cold])
    lines = [
        "## Operator console (`python -m bench.console`)",
        "",
        f"Machine and date: {describe()}",
        "",
        f"One `jewgo serve` (PostgreSQL + Redis, seed scale 1), its console on loopback, "
        f"in headless Chromium; median of {options.runs} runs. Cold: a fresh "
        f"`jewgo console-link` in a new browser context (empty cache). Warm: a reload in "
        f"the same context. First render: navigation start to the {FLAGS} `a.flag-link` "
        f"in the DOM, on the page's clock; wall: `goto` to Playwright seeing them. "
        f"KB: response headers + body as transferred, until the page settled (the event "
        f"stream up, every call answered); static = the page, "
        f"modules and CSS, data = the session call and GraphQL; the {EVENTS} stream never "
        f"ends and is left out of the sums (counted after the +).",
        "",
        "| load | first render ms | slowest ms | wall ms | static KB | data KB | total KB "
        "| requests + stream |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        row("cold (new context)", cold),
        row("warm (reload)", warm),
        "",
        f"Targets, cold load: <= {TARGET_KB:.0f} KB: {total_kb:.1f} KB, "
        f"{verdict(total_kb <= TARGET_KB)}; <= {TARGET_SECONDS:.0f} s to first render: "
        f"{render_s:.2f} s, {verdict(render_s <= TARGET_SECONDS)}.",
    ]
    failed = sum(x.failed for x in cold + warm)
    if failed:
        lines += ["", f"{failed} request(s) failed and are left out of the sums."]
    section = "\n".join(lines)
    print(section)
    write_section("console", section)


if __name__ == "__main__":
    main()
