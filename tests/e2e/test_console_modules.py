"""The console's views in Chromium on data of the test's own, with no gateway: its modules
and stylesheet served from the package to a page of 1280 by 800, a view rendered from a
GraphQL answer written here. What the charts' axes say (range, units, label size), who made
a change, and what the master switch means.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route, expect

from jewgo.gateway.console.app import STATIC
from tests.browser import OfflinePage

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "build" / "console"
ORIGIN = "http://127.0.0.1:9"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>views</title>
<link rel="stylesheet" href="/console/static/console.css"></head>
<body><main id="view" tabindex="-1"></main></body></html>"""
TYPES = {".js": "text/javascript", ".css": "text/css"}
DESKTOP = {"width": 1280, "height": 800}
MINUTE = 60_000


async def _serve(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/console":
        await route.fulfill(body=PAGE, content_type="text/html")
        return
    file = STATIC / path.removeprefix("/console/static/")
    if not path.startswith("/console/static/") or file.parent != STATIC or not file.is_file():
        await route.fulfill(status=404)
        return
    await route.fulfill(body=file.read_bytes(), content_type=TYPES[file.suffix])


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A page of the console's origin with its stylesheet; nothing leaves loopback."""
    context = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    try:
        opened = await context.new_page()
        offline = OfflinePage(opened)
        await offline.watch(context)
        await opened.route(f"{ORIGIN}/**", _serve)  # the page's routes come before the context's
        await opened.goto(f"{ORIGIN}/console")
        yield opened
        assert offline.errors == [] and offline.blocked == []
    finally:
        await context.close()


RENDER_FLAG = """async ([data, minutes]) => {
  const view = await import("/console/static/flag.js");
  const range = view.RANGES.find((r) => r.minutes === minutes);
  document.getElementById("view").replaceChildren(
    ...view.render(data, data.flag.name, range, true, () => {}).flat().filter(Boolean));
}"""
RENDER_OVERVIEW = """async (data) => {
  const view = await import("/console/static/overview.js");
  document.getElementById("view").replaceChildren(
    ...view.render(data, true).flat().filter(Boolean));
}"""


def iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def figures(version: str, requests: int, errors: int = 0, p95: float | None = None) -> Any:
    return {
        "version": version, "requests": requests, "errors": errors,
        "errorRatePercent": errors / requests * 100 if requests else 0, "p95Ms": p95,
    }  # fmt: skip


def series(steps: int, step_ms: int, busy: int) -> tuple[list[Any], list[int]]:
    """`steps` whole steps to now, only the last `busy` with traffic (a server that is new)."""
    last = int(time.time() * 1000) - step_ms
    times = [last - (steps - 1 - i) * step_ms for i in range(steps)]
    points = []
    for i, at in enumerate(times):
        quiet = i < steps - busy
        points.append({
            "at": iso(at), "shadowComparisons": 0, "shadowMismatches": 0,
            "versions": [figures("V3", 0), figures("V4", 0)] if quiet else [
                figures("V3", 120, 0, 12.5), figures("V4", 60, 2 if i % 2 else 0, 20.0)],
        })  # fmt: skip
    return points, times


def flag(name: str = "api_v4_restaurants", **fields: Any) -> dict[str, Any]:
    return {
        "name": name, "description": "A flag.", "stage": "PARTIAL", "rolloutPercentage": 20.0,
        "effectivePercentage": 20.0, "version": 3, "envOverride": None,
        "updatedAt": iso(time.time() * 1000), "updatedBy": "rollout-controller",
        "updatedByUser": None, **fields,
    }  # fmt: skip


def flag_page(points: list[Any], history: list[Any] | None = None, **fields: Any) -> Any:
    no_shadow = {
        "comparisons": 0, "matches": 0, "mismatches": 0, "candidateErrors": 0, "ignored": 0,
        "mismatchesBeyondNoise": 0, "byField": [],
    }  # fmt: skip
    return {
        "flag": {
            **flag(**fields), "userOverrides": [], "shadowIgnores": [], "alerts": [],
            "history": history or [],
            "metrics": {"windowSeconds": 60, "versions": [figures("V3", 0), figures("V4", 0)],
                        "shadow": no_shadow, "series": points},
        },
        "migration": {"rollouts": []},
    }  # fmt: skip


def event(actor: str, user: dict[str, Any] | None, action: str = "SET_STAGE") -> Any:
    return {
        "id": f"FlagEvent:{actor}", "at": iso(time.time() * 1000), "actor": actor,
        "actorUser": user, "action": action, "fromStage": "DISABLED", "toStage": "TESTING",
        "fromPercentage": None, "toPercentage": None, "reason": None,
    }  # fmt: skip


AXES = """() => [...document.querySelectorAll("svg.chart")].map((svg) => ({
  id: svg.id, from: Number(svg.dataset.from), to: Number(svg.dataset.to),
  unit: svg.querySelector(".axis-unit")?.textContent ?? null,
  top: [...svg.querySelectorAll(".tick-y")].at(-1)?.textContent ?? null,
  peaks: Object.fromEntries([...svg.querySelectorAll("path.line")].map(
    (p) => [p.dataset.series, Math.round(Number(p.dataset.max) * 100) / 100])),
}))"""


async def test_a_new_servers_charts_start_at_its_first_point_in_per_second_percent_and_ms(
    page: Page,
) -> None:
    points, times = series(60, MINUTE, busy=10)
    await page.evaluate(RENDER_FLAG, [flag_page(points), 60])
    axes = {axis.pop("id"): axis for axis in await page.evaluate(AXES)}
    first, end = times[-10], times[-1] + MINUTE
    assert axes == {
        # 120 and 60 requests a minute; the odd minutes' 2 errors of 60; p95 as given.
        "chart-requests": {"from": first, "to": end, "unit": "requests/s", "top": "2",
                           "peaks": {"v3": 2, "v4": 1}},
        "chart-errors": {"from": first, "to": end, "unit": "%", "top": "5",
                         "peaks": {"v3": 0, "v4": 3.33}},
        "chart-latency": {"from": first, "to": end, "unit": "ms", "top": "20",
                          "peaks": {"v3": 12.5, "v4": 20}},
    }  # fmt: skip


async def test_the_running_steps_rate_is_over_the_part_gone_by(page: Page) -> None:
    points, _ = series(3, MINUTE, busy=3)
    now = int(time.time() * 1000)
    # The page's now, fixed: a render that comes late on a loaded machine reads the same.
    await page.clock.set_fixed_time(datetime.fromtimestamp(now / 1000, UTC))
    running = now - 30_000  # half of a minute's step has gone by
    points.append({**points[-1], "at": iso(running),
                   "versions": [figures("V3", 30), figures("V4", 0)]})  # fmt: skip
    await page.evaluate(RENDER_FLAG, [flag_page(points), 60])
    rows = page.locator("figure", has=page.locator("#chart-requests")).locator("tbody tr")
    await expect(rows.last.locator("td").first).to_have_text("1")  # 30 in 30 s, not in 60


async def test_an_event_before_the_first_request_stays_on_the_charts(page: Page) -> None:
    points, times = series(60, MINUTE, busy=10)
    started = event("user:1", None, "START_ROLLOUT")
    started["at"] = iso(times[-20] + 30_000)  # ten minutes before the traffic came
    await page.evaluate(RENDER_FLAG, [flag_page(points, [started]), 60])
    for axis in await page.evaluate(AXES):
        assert (axis["from"], axis["to"]) == (times[-20], times[-1] + MINUTE)
    await expect(page.locator("#chart-requests .marker-step")).to_have_count(1)


async def test_data_older_than_the_range_fills_it_and_no_error_is_a_percent_axis(
    page: Page,
) -> None:
    points, times = series(60, 15_000, busy=60)
    for point in points:
        point["versions"] = [figures("V3", 30, 0, 10.0), figures("V4", 0)]
    await page.evaluate(RENDER_FLAG, [flag_page(points), 15])
    for axis in await page.evaluate(AXES):
        assert (axis["from"], axis["to"]) == (times[0], times[-1] + 15_000)
    errors = page.locator("#chart-errors")
    await expect(errors.locator(".axis-unit")).to_have_text("%")
    await expect(errors.locator(".tick-y")).to_have_text(["0", "0.5", "1"])


async def test_a_lone_point_is_drawn(page: Page) -> None:
    points, _ = series(60, MINUTE, busy=1)
    await page.evaluate(RENDER_FLAG, [flag_page(points), 60])
    await expect(page.locator('#chart-requests circle[data-series="v3"]')).to_have_count(1)


# Each label's size on screen: its font size in the SVG's units times the SVG's scale.
LABELS = """async () => {
  // Drawn at their size once laid out: after the next frame's resize observations.
  for (let frame = 0; frame < 2; frame += 1) await new Promise(requestAnimationFrame);
  return [...document.querySelectorAll("svg.chart text")].map((text) => ({
  text: text.textContent,
  px: parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a,
  height: text.getBoundingClientRect().height,
}));
}"""


async def test_every_axis_label_is_at_least_11_px_at_1280_by_800(page: Page) -> None:
    points, _ = series(60, MINUTE, busy=30)
    await page.evaluate(RENDER_FLAG, [flag_page(points), 60])
    labels = await page.evaluate(LABELS)
    assert len(labels) >= 3 * (3 + 3 + 1)  # per chart: y ticks, x ticks, the unit
    small = [label for label in labels if label["px"] < 11 or label["height"] < 11]
    assert small == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.locator(".charts").screenshot(path=SHOTS / "charts.png")
    await page.set_viewport_size({"width": 900, "height": 800})  # two charts a row
    assert [label for label in await page.evaluate(LABELS) if label["px"] < 11] == []
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def overview(master: dict[str, Any]) -> Any:
    names = ["api_v4_enabled", "api_v4_restaurants", "api_v4_reviews"]
    return {"migration": {
        "enabledFeatures": 1, "totalFeatures": 8, "migrationPercentage": 5.0,
        "stages": {"disabled": 1, "testing": 0, "partial": 1, "full": 1, "complete": 0},
        "flags": [master] + [flag(name) for name in names[1:]],
        "rollouts": [], "alerts": [],
        "health": [{"name": "database", "status": "ok", "detail": None}],
        "rolloutHealth": {"isHealthy": True, "errorRatePercent": 0, "usersAffected": 0,
                          "alertsCount": 0},
    }}  # fmt: skip


ON = "ON: v4 may serve (each domain by its own flag)"
OFF = "OFF: every domain on v3"
SWITCH = [
    ({"stage": "DISABLED"}, "—", OFF),
    ({"stage": "TESTING"}, "—", "TESTING: v4 may serve ADMIN and MODERATOR callers only "
     "(each domain by its own flag)"),
    ({"stage": "PARTIAL", "rolloutPercentage": 20.0, "effectivePercentage": 20.0}, "20 %",
     "PARTIAL: v4 may serve 20 % of callers (each domain by its own flag)"),
    ({"stage": "FULL", "rolloutPercentage": 0.0, "effectivePercentage": 100.0}, "—", ON),
    ({"stage": "COMPLETE", "effectivePercentage": 100.0}, "—", ON),
    ({"stage": "FULL", "effectivePercentage": 0.0,
      "envOverride": "forced to V3 by API_V4_ENABLED"}, "—", OFF),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "percentage", "means"), SWITCH,
    ids=["disabled", "testing", "partial", "full", "complete", "forced-off"],
)  # fmt: skip
async def test_the_master_flag_says_what_its_switch_means(
    page: Page, fields: dict[str, Any], percentage: str, means: str
) -> None:
    master = flag("api_v4_enabled", **{"rolloutPercentage": 0.0, "effectivePercentage": 0.0,
                                       **fields})  # fmt: skip
    await page.evaluate(RENDER_OVERVIEW, overview(master))
    row = page.locator("tr", has=page.locator("a.flag-link", has_text="api_v4_enabled"))
    cells = row.locator("td")
    await expect(cells.nth(2)).to_have_text(percentage)
    await expect(cells.nth(3)).to_have_text(means)
    other = page.locator("tr", has=page.locator("a.flag-link", has_text="api_v4_reviews"))
    await expect(other.locator("td").nth(3)).to_have_text("20 %")  # a domain's share as before
    points, _ = series(4, MINUTE, busy=4)
    await page.evaluate(RENDER_FLAG, [flag_page(points, **master), 60])
    await expect(page.locator("#flag-meaning")).to_have_text(means)
    await expect(page.locator("#flag-percentage")).to_have_text(percentage)
    await expect(page.locator("dt", has_text="v4 share")).to_have_count(0)


async def test_the_audit_history_and_the_last_change_name_the_person(page: Page) -> None:
    avi = {"id": "1", "name": "Avi Admin", "email": "admin@example.com"}
    miriam = {"id": "2", "name": "Miriam Moderator", "email": None}  # as a moderator sees her
    history = [event("user:1", avi), event("user:2", miriam), event("cli:ops", None),
               event("rollout-controller", None, "ROLLOUT_STEP")]  # fmt: skip
    points, _ = series(4, MINUTE, busy=4)
    data = flag_page(points, history, updatedBy="user:1", updatedByUser=avi)
    await page.evaluate(RENDER_FLAG, [data, 60])
    await expect(page.locator("#flag-changed")).to_contain_text(" by Avi Admin (admin@example.com)")
    who = page.locator("section[aria-labelledby=h-history] tbody tr td:nth-child(2)")
    await expect(who).to_have_text(
        ["Avi Admin (admin@example.com)", "Miriam Moderator", "cli:ops", "rollout-controller"]
    )
