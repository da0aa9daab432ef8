"""The operator console in Debian's Chromium, against two real `jewgo serve` instances on
PostgreSQL and Redis: sign-in by one-time link, the eight flags, a rollout stepping up on
screen, a change in one browser seen in another on the other instance within 2 s, a stale
page's conflict, a MODERATOR without actions, a fault drill's alert, rollback and error
spike, keyboard and phone use, and axe-core's accessibility check.

Every page runs with the network cut off but for loopback, and fails the test on a console
error. Screenshots for review are written to build/console/.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from jewgo.db.engine import create_engine
from jewgo.gateway.cli.console import link_url
from jewgo.gateway.console.links import ConsoleLinks
from tests.browser import OfflinePage
from tests.conftest import Templates, clone
from tests.e2e.fleet import ADMIN, JEWGO, TOKENS, Traffic, admin, env_for
from tests.support import USER_ID, Database, Server, free_port, gateway_client, serving

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "console"
AXE = ROOT / "tests" / "clients" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SET_STAGE = """mutation($name: String!, $stage: MigrationStage!, $force: Boolean! = false,
  $reason: String) { setFlagStage(name: $name, stage: $stage, force: $force, reason: $reason) {
  version } }"""
FLAG = "query($name: String!) { flag(name: $name) { stage version } }"


@dataclass
class Instance:
    server: Server
    env: dict[str, str]

    def printed_link(self, email: str = "admin@example.com") -> str:
        """A one-time link, as an operator gets it: `jewgo console-link`."""
        printed = subprocess.run(
            [JEWGO, "console-link", "--email", email],
            env=self.env, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        url = printed.stdout.strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/console#link=[A-Za-z0-9_-]{43}", url), url
        return url

    @property
    def page(self) -> str:
        """The console without a link: the sign-in page."""
        return f"http://127.0.0.1:{self.env['CONSOLE_PORT']}/console"

    async def link(self, email: str = "admin@example.com") -> str:
        """The same, issued in process (a second less than starting the CLI)."""
        engine = create_engine(self.env["DATABASE_URL"])
        try:
            issued = await ConsoleLinks(engine, 10).issue(email)
        finally:
            await engine.dispose()
        return link_url("127.0.0.1", int(self.env["CONSOLE_PORT"]), issued.secret)


def instances(stack: ExitStack, env: dict[str, str], cwd: Path, count: int) -> list[Instance]:
    found = []
    for _ in range(count):
        port, console = free_port(), free_port()
        own = {**env, "PORT": str(port), "CONSOLE": "true", "CONSOLE_PORT": str(console)}
        command = [JEWGO, "serve", "--port", str(port), "--no-migrate"]
        found.append(Instance(stack.enter_context(serving(command, own, cwd, port)), own))
    return found


@pytest.fixture(scope="module")
async def database(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path_factory.mktemp("console"))
    yield database
    await database.close()


@pytest.fixture(scope="module")
def fleet(
    database: Database, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Instance]]:
    """Two instances of one fleet (one database, one Redis namespace)."""
    namespace = f"console-{time.monotonic_ns()}"
    env = env_for(database, redis_url, namespace, CONSOLE_WATCH_SECONDS="0.2")
    with ExitStack() as stack:
        yield instances(stack, env, tmp_path_factory.mktemp("fleet"), 2)


@asynccontextmanager
async def console(
    browser: Browser,
    url: str,
    viewport: dict[str, int] = DESKTOP,
    *,
    refused: int = 0,
    **options: Any,
) -> AsyncIterator[Page]:
    """A console page in a context of its own; no console error, nothing off loopback.
    `refused`: sign-ins the test expects refused (Chromium logs each 401 or 403 it gets)."""
    context = await browser.new_context(viewport=viewport, **options)  # type: ignore[arg-type]
    try:
        page = await context.new_page()
        offline = OfflinePage(page)
        await offline.watch(context)
        await page.goto(url)
        yield page
        expected = re.compile(r"console: Failed to load resource: .* (401|403) ")
        assert len([e for e in offline.errors if expected.match(e)]) == refused
        assert [e for e in offline.errors if not expected.match(e)] == []
        assert offline.blocked == []
    finally:
        await context.close()


async def signed_in(page: Page) -> None:
    await expect(page.locator("a.flag-link")).to_have_count(8)
    await expect(page.locator("#live")).to_have_text("Live")


async def api(instance: Instance, query: str, **variables: Any) -> Any:
    async with httpx.AsyncClient(base_url=instance.server.url, timeout=10) as client:
        return await admin(client, query, **variables)


async def test_a_one_time_link_signs_in_once_and_shows_the_eight_flags(
    fleet: list[Instance], browser: Browser
) -> None:
    url = fleet[0].printed_link()
    async with console(browser, url) as page:
        await signed_in(page)
        assert "link=" not in page.url  # the secret left the address bar (and history)
        await expect(page.locator("#who")).to_contain_text("(ADMIN)")
        for component in ("database", "cache", "flags", "rollouts"):
            await expect(page.locator(f'[data-component="{component}"]')).to_contain_text("ok")
        await expect(page.locator("#migration-percentage")).to_have_text(re.compile(r"\d"))
    async with console(browser, url, refused=1) as again:
        await expect(again.locator(".signin .error")).to_contain_text("expired or was used")
        await expect(again.locator("a.flag-link")).to_have_count(0)


async def test_a_rollout_started_on_screen_steps_up_without_a_reload(
    fleet: list[Instance], browser: Browser
) -> None:
    async with (
        Traffic([i.server.url for i in fleet]),
        console(browser, await fleet[0].link()) as page,
    ):
        await signed_in(page)
        await page.evaluate("window.stillTheSamePage = true")
        await page.get_by_role("button", name="Start a rollout of api_v4_restaurants").click()
        dialog = page.locator("dialog[open]")
        for label, value in [
            ("Initial percentage", "20"),
            ("Increment (percentage points)", "40"),
            ("Step every (seconds)", "2"),
            ("Monitoring window (seconds)", "2"),
            ("Minimum v4 requests to judge", "5"),
        ]:
            await dialog.get_by_label(label, exact=True).fill(value)
        await expect(dialog.locator(".effect")).to_contain_text(
            "api_v4_restaurants: DISABLED → PARTIAL 20 % (rollout, +40 every 2 s up to 100 %)"
        )
        await dialog.get_by_role("button", name="Start rollout").click()
        await expect(dialog).to_have_count(0)
        shown = page.locator('#rollouts .rollout-percentage[data-flag="api_v4_restaurants"]')
        await expect(shown).to_have_text("20 %")
        await expect(shown).to_have_text(re.compile(r"^(60|100) %$"), timeout=30_000)
        assert await page.evaluate("window.stillTheSamePage") is True
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SHOTS / "overview.png", full_page=True)


async def test_a_change_in_one_browser_shows_on_the_other_instance_within_two_seconds(
    fleet: list[Instance], browser: Browser
) -> None:
    async with (
        console(browser, await fleet[0].link()) as here,
        console(browser, await fleet[1].link("moderator@example.com")) as there,
    ):
        await signed_in(here)
        await signed_in(there)
        stage = '.stage[data-flag="api_v4_reviews"]'
        await expect(there.locator(stage)).to_contain_text("DISABLED")
        await here.get_by_role("button", name="Change api_v4_reviews").click()
        dialog = here.locator("dialog[open]")
        await dialog.get_by_label("Stage").select_option("TESTING")
        await expect(dialog.locator(".effect")).to_have_text("api_v4_reviews: DISABLED → TESTING")
        await dialog.get_by_role("button", name="Confirm").click()
        clicked = time.monotonic()
        await expect(there.locator(stage)).to_contain_text("TESTING", timeout=5_000)
        seen = time.monotonic() - clicked
        await expect(here.locator(stage)).to_contain_text("TESTING")
    assert seen <= 2.0, f"the other instance's console showed the change after {seen:.2f} s"


async def test_a_stale_page_gets_a_conflict_instead_of_overwriting(
    fleet: list[Instance], browser: Browser
) -> None:
    async with console(browser, await fleet[1].link()) as page:
        await signed_in(page)
        await page.get_by_role("button", name="Change api_v4_users").click()
        dialog = page.locator("dialog[open]")
        await dialog.get_by_label("Stage").select_option("FULL")
        # Meanwhile somebody else moves the flag (the CLI, another console, GraphQL).
        await api(fleet[0], SET_STAGE, name="api_v4_users", stage="TESTING")
        await dialog.get_by_role("button", name="Confirm").click()
        await expect(dialog.locator(".error")).to_contain_text("Conflict")
        await expect(dialog.locator(".error")).to_contain_text("try again")
        assert (await api(fleet[0], FLAG, name="api_v4_users"))["flag"]["stage"] == "TESTING"
        await dialog.get_by_role("button", name="Cancel").click()
        await expect(page.locator('.stage[data-flag="api_v4_users"]')).to_contain_text("TESTING")


FORGE = """async () => {
  const token = sessionStorage.getItem("jewgo.console.token");
  const reply = await fetch("/console/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation { rollback(reason: "forged") { name } }' }),
  });
  return (await reply.json()).errors[0].extensions.code;
}"""


async def test_a_moderator_has_no_action_and_a_forged_action_is_forbidden(
    fleet: list[Instance], browser: Browser
) -> None:
    async with console(browser, await fleet[1].link("moderator@example.com")) as page:
        await signed_in(page)
        await expect(page.locator("#who")).to_contain_text("MODERATOR, read-only")
        await expect(page.locator("main button")).to_have_count(0)
        await page.locator("a.flag-link", has_text="api_v4_statistics").click()
        await expect(page.locator("#h-flag")).to_have_text("api_v4_statistics")
        await expect(page.locator("#chart-errors")).to_be_visible()
        await expect(page.locator("main button")).to_have_count(0)
        assert await page.evaluate(FORGE) == "FORBIDDEN"


async def test_a_user_or_a_stranger_sees_the_sign_in_page_and_no_data(
    fleet: list[Instance], browser: Browser
) -> None:
    base = fleet[0].page
    async with console(browser, base, refused=1) as page:
        await expect(page.locator("#token")).to_be_focused()
        await page.locator("#token").fill(TOKENS.issue(USER_ID))
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.locator(".signin .error")).to_contain_text(
            "The console is for ADMIN and MODERATOR users"
        )
        await expect(page.locator("a.flag-link")).to_have_count(0)
        await page.locator("#token").fill(ADMIN)
        await page.get_by_role("button", name="Sign in").click()
        await signed_in(page)


async def test_it_works_by_keyboard_and_fits_a_phone(
    fleet: list[Instance], browser: Browser
) -> None:
    async with console(browser, await fleet[0].link(), viewport=PHONE) as page:
        await signed_in(page)
        fits = "document.documentElement.scrollWidth <= window.innerWidth"
        assert await page.evaluate(fits)
        reached: list[str] = []
        for _ in range(60):  # every control of the overview is a Tab away
            await page.keyboard.press("Tab")
            reached.append(await page.evaluate("document.activeElement.textContent.trim()"))
        assert "api_v4_validation" in reached and "Roll back every flag" in reached
        link = page.locator("a.flag-link", has_text="api_v4_cache")
        await link.focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("#h-flag")).to_have_text("api_v4_cache")
        await page.get_by_role("button", name="Change stage or percentage").focus()
        await page.keyboard.press("Enter")
        dialog = page.locator("dialog[open]")
        await expect(dialog).to_have_count(1)
        assert await page.evaluate(
            "document.querySelector('dialog[open]').contains(document.activeElement)"
        )
        await page.keyboard.press("Escape")
        await expect(dialog).to_have_count(0)
        assert await page.evaluate(fits)
        # The skip link moves the focus, not the page; a refresh keeps the focus in place.
        await page.locator(".skip").focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("#view")).to_be_focused()
        await expect(page.locator("#h-flag")).to_have_text("api_v4_cache")
        override = page.get_by_role("button", name="Override for a user")
        await override.focus()
        before = await page.locator("#view").get_attribute("data-loaded-at")
        await api(fleet[1], SET_STAGE, name="api_v4_cache", stage="TESTING")
        await expect(page.locator("#flag-stage")).to_have_text("TESTING")
        assert await page.locator("#view").get_attribute("data-loaded-at") != before
        await expect(override).to_be_focused()
        # An empty percentage is no change to confirm.
        await page.get_by_role("button", name="Change stage or percentage").click()
        await dialog.get_by_label("Stage").select_option("PARTIAL")
        await dialog.get_by_label("Rollout percentage (PARTIAL)").fill("")
        await expect(dialog.get_by_role("button", name="Confirm")).to_be_disabled()
        await dialog.get_by_label("Rollout percentage (PARTIAL)").fill("5")
        await expect(dialog.locator(".effect")).to_have_text("api_v4_cache: TESTING → PARTIAL 5 %")
        await dialog.get_by_role("button", name="Cancel").click()
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SHOTS / "flag-phone.png", full_page=True)


async def violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    await page.add_script_tag(path=AXE)
    found: list[dict[str, Any]] = await page.evaluate(
        "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_axe_finds_nothing_serious_or_critical(
    fleet: list[Instance], browser: Browser, viewport: dict[str, int]
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: make test installs tests/clients (npm ci)")
    # axe is injected as an inline script, which the console's policy would refuse.
    async with console(browser, await fleet[0].link(), viewport, bypass_csp=True) as page:
        await signed_in(page)
        assert await violations(page) == []
        await page.locator("a.flag-link", has_text="api_v4_restaurants").click()
        await expect(page.locator("#chart-errors")).to_be_visible()
        assert await violations(page) == []
        await page.get_by_role("button", name="Roll back").click()
        await expect(page.locator("dialog[open]")).to_have_count(1)
        assert await violations(page) == []
        await page.keyboard.press("Escape")
    async with console(browser, fleet[0].page, viewport, bypass_csp=True) as page:
        await expect(page.locator("#token")).to_be_visible()
        assert await violations(page) == []


ROLL_BACK = """mutation($name: String!) { rollback(name: $name, reason: "test") { name } }"""


async def test_a_jump_over_stages_offers_force_and_needs_it_with_a_reason(
    fleet: list[Instance], browser: Browser
) -> None:
    await api(fleet[0], ROLL_BACK, name="api_v4_reviews")
    async with console(browser, await fleet[0].link()) as page:
        await signed_in(page)
        await page.get_by_role("button", name="Change api_v4_reviews").click()
        dialog = page.locator("dialog[open]")
        force = dialog.get_by_label("Force (leave COMPLETE, or skip ahead with a reason)")
        await expect(force).to_be_hidden()
        await dialog.get_by_label("Stage").select_option("TESTING")
        await expect(force).to_be_hidden()  # one stage up
        await dialog.get_by_label("Stage").select_option("FULL")
        await expect(dialog.locator(".effect")).to_have_text(
            "api_v4_reviews: DISABLED → FULL (skips TESTING, PARTIAL: needs force and a reason)"
        )
        await expect(force).to_be_visible()
        await dialog.get_by_role("button", name="Confirm").click()
        await expect(dialog.locator(".error")).to_have_text(
            "BAD_USER_INPUT: api_v4_reviews is DISABLED: FULL skips TESTING, PARTIAL; move one "
            "stage at a time, or force the jump with force: true and a reason"
        )
        await force.check()
        await dialog.get_by_label("Reason (audit log)").fill("proven on staging")
        await dialog.get_by_role("button", name="Confirm").click()
        await expect(dialog).to_have_count(0)
        await expect(page.locator('.stage[data-flag="api_v4_reviews"]')).to_contain_text("FULL")
        await page.get_by_role("button", name="Change api_v4_reviews").click()
        await dialog.get_by_label("Stage").select_option("DISABLED")
        await expect(force).to_be_hidden()  # any move back is free
        await dialog.get_by_role("button", name="Cancel").click()
    await api(fleet[0], ROLL_BACK, name="api_v4_reviews")


STOP = """mutation($name: String!) { stopRollout(name: $name) { state } }"""
ROLLOUT_OF = """query($name: String!) { flag(name: $name) { stage rolloutPercentage } }"""


async def test_the_start_dialog_starts_where_the_flag_is_and_lowering_takes_a_tick(
    fleet: list[Instance], browser: Browser
) -> None:
    await api(fleet[0], ROLL_BACK, name="api_v4_reviews")
    # PARTIAL at 25 %, by a rollout stopped there.
    await api(fleet[0], ROLLOUT.replace("api_v4_restaurants", "api_v4_reviews"),
              config={"initialPercentage": 25, "incrementIntervalSeconds": 3600})  # fmt: skip
    await api(fleet[0], STOP, name="api_v4_reviews")
    async with console(browser, await fleet[0].link()) as page:
        await signed_in(page)
        await page.get_by_role("button", name="Start a rollout of api_v4_reviews").click()
        dialog = page.locator("dialog[open]")
        initial = dialog.get_by_label("Initial percentage", exact=True)
        await expect(initial).to_have_value("25")
        lower = dialog.get_by_role("checkbox", name=re.compile("back to v3"))
        await expect(lower).to_be_hidden()
        start = dialog.get_by_role("button", name="Start rollout")
        await expect(start).to_be_enabled()
        await initial.fill("5")
        await expect(lower).to_be_visible()
        await expect(dialog.get_by_text(
            "Lower api_v4_reviews from 25 % to 5 %: this sends 20 % of callers back to v3"
        )).to_be_visible()  # fmt: skip
        await expect(start).to_be_disabled()
        await lower.check()
        await expect(start).to_be_enabled()
        await start.click()
        await expect(dialog).to_have_count(0)
        flag = (await api(fleet[0], ROLLOUT_OF, name="api_v4_reviews"))["flag"]
        assert flag == {"stage": "PARTIAL", "rolloutPercentage": 5.0}
    await api(fleet[0], ROLL_BACK, name="api_v4_reviews")


ALL_FLAGS = "{ migration { flags { name stage } } }"


async def test_rolling_every_flag_back_takes_typing_the_word(
    fleet: list[Instance], browser: Browser
) -> None:
    for name, stage in (("api_v4_validation", "FULL"), ("api_v4_error_handling", "COMPLETE")):
        await api(fleet[0], SET_STAGE, name=name, stage=stage, force=True, reason="setup")
    async with console(browser, await fleet[1].link()) as page:
        await signed_in(page)
        await page.get_by_role("button", name="Roll back every flag").click()
        dialog = page.locator("dialog[open]")
        await expect(dialog.locator(".effect")).to_have_text(
            "every flag → DISABLED (COMPLETE flags stay)"
        )
        confirm = dialog.get_by_role("button", name="Roll back")
        typed = dialog.get_by_label("Type “rollback” to confirm")
        await expect(confirm).to_be_disabled()
        await typed.fill("roll back")
        await expect(confirm).to_be_disabled()
        await typed.fill("rollback")
        await confirm.click()
        await expect(dialog).to_have_count(0)
        stage = '.stage[data-flag="api_v4_validation"]'
        await expect(page.locator(stage)).to_contain_text("DISABLED")
    flags = {f["name"]: f["stage"] for f in (await api(fleet[0], ALL_FLAGS))["migration"]["flags"]}
    assert flags.pop("api_v4_error_handling") == "COMPLETE"
    assert set(flags.values()) == {"DISABLED"}


ROLLOUT = """mutation($config: RolloutConfigInput) { startRollout(name: "api_v4_restaurants",
  config: $config) { state } }"""
# A browser and a console beside the traffic leave it thinner than test_rollouts' (about
# 10 requests a second here on a busy machine): a longer window, fewer requests to judge.
DRILL = {
    "initialPercentage": 50, "incrementPercentage": 25, "incrementIntervalSeconds": 600,
    "monitoringPeriodSeconds": 6, "autoRollbackThresholdPercent": 5, "minRequests": 10,
}  # fmt: skip


async def test_a_fault_drill_shows_the_alert_the_rollback_and_the_error_spike(
    templates: Templates, redis_url: str, namespace: str, tmp_path: Path, browser: Browser
) -> None:
    database = await clone("postgres", templates, tmp_path)
    try:
        env = env_for(
            database, redis_url, namespace,
            FAULTS="restaurants.v4:error=0.3", CONSOLE_WATCH_SECONDS="0.2",
        )  # fmt: skip
        with ExitStack() as stack:
            (drill,) = instances(stack, env, tmp_path, 1)
            async with Traffic([drill.server.url]), console(browser, await drill.link()) as page:
                await signed_in(page)
                await page.locator("a.flag-link", has_text="api_v4_restaurants").click()
                await expect(page.locator("#h-flag")).to_have_text("api_v4_restaurants")
                await api(drill, ROLLOUT, config=DRILL)
                await expect(page.locator("#rollout-state")).to_have_text(
                    "ROLLED_BACK", timeout=60_000
                )
                rows = page.locator("#flag-alerts tbody tr")
                for rule in ("V4ErrorRateCritical", "AutoRollback"):
                    fired = rows.filter(has_text=rule).filter(has_text="FIRING")
                    await expect(fired.first).to_be_visible(timeout=30_000)
                spike = page.locator('#chart-errors path[data-series="v4"]')
                await expect(spike).not_to_have_attribute("data-max", "0", timeout=30_000)
                assert float(await spike.get_attribute("data-max") or 0) > 5
                await expect(page.locator("#chart-errors .marker-rollback")).not_to_have_count(0)
                await expect(page.locator("#flag-stage")).to_have_text("DISABLED")
                SHOTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=SHOTS / "flag.png", full_page=True)
    finally:
        await database.close()


async def test_a_rollout_is_paused_resumed_and_stopped_and_a_user_overridden_on_screen(
    fleet: list[Instance], browser: Browser
) -> None:
    await api(fleet[0], ROLLOUT.replace("api_v4_restaurants", "api_v4_statistics"), config={
        "initialPercentage": 10, "incrementIntervalSeconds": 3600, "monitoringPeriodSeconds": 60,
    })  # fmt: skip
    async with console(browser, await fleet[1].link()) as page:
        await signed_in(page)
        await page.locator("a.flag-link", has_text="api_v4_statistics").click()
        state = page.locator("#rollout-state")
        await expect(state).to_have_text("RUNNING")
        for button, effect, after in [
            ("Pause", "api_v4_statistics: rollout RUNNING → PAUSED at 10 %", "PAUSED"),
            ("Resume", "api_v4_statistics: rollout PAUSED → RUNNING from 10 %", "RUNNING"),
            ("Stop", "api_v4_statistics: rollout RUNNING → STOPPED", "STOPPED"),
        ]:
            await page.locator("#rollout").get_by_role("button", name=button).click()
            dialog = page.locator("dialog[open]")
            await expect(dialog.locator(".effect")).to_contain_text(effect)
            await dialog.get_by_role("button", name=f"{button} rollout").click()
            await expect(state).to_have_text(after)
        await page.get_by_role("button", name="Override for a user").click()
        dialog = page.locator("dialog[open]")
        await dialog.get_by_label("User id").fill(str(USER_ID))
        await expect(dialog.locator(".effect")).to_have_text(
            f"api_v4_statistics: user {USER_ID} → always v4"
        )
        await dialog.get_by_role("button", name="Confirm").click()
        overrides = page.locator("section[aria-labelledby=h-overrides] tbody tr")
        await expect(overrides).to_have_text([f"{USER_ID}v4"])
        history = page.locator("section[aria-labelledby=h-history] tbody tr").first
        await expect(history).to_contain_text("SET_OVERRIDE")
        await expect(history).to_contain_text("Avi Admin (admin@example.com)")  # user:1


async def test_a_sigterm_with_open_streams_stops_at_once_and_cleanly(
    database: Database, redis_url: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, f"console-stop-{time.monotonic_ns()}", LOG_LEVEL="INFO")
    with ExitStack() as stack:
        (instance,) = instances(stack, env, tmp_path, 1)
        headers = {"Authorization": f"Bearer {ADMIN}"}
        async with httpx.AsyncClient(timeout=10) as client, contextlib.AsyncExitStack() as open_:
            for _ in range(5):
                stream = await open_.enter_async_context(
                    client.stream("GET", f"{instance.page}/events", headers=headers)
                )
                assert (await anext(stream.aiter_lines())).startswith("retry:")
            asked = time.monotonic()
            instance.server.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(instance.server.process.wait, 15)
            took = time.monotonic() - asked
    # uvicorn shuts down gracefully, then raises the signal it caught again: -SIGTERM.
    assert instance.server.process.returncode == -signal.SIGTERM
    assert "Finished server process" in instance.server.output()  # not killed mid-way
    log = instance.server.output()
    assert "Exception in ASGI application" not in log
    assert "timeout graceful shutdown exceeded" not in log
    assert took < 1.5, f"stopped {took:.2f} s after SIGTERM"


async def test_an_undeclared_proxy_is_a_banner_on_the_overview(
    templates: Templates, tmp_path: Path, browser: Browser
) -> None:
    """Anonymous traffic from one address carrying many client ids: the overview says at
    its top that a proxy forwards it undeclared, and what to set."""
    database = await clone("sqlite", templates, tmp_path)
    port = free_port()
    try:
        async with gateway_client(
            database, tmp_path, {}, console=True, console_port=port, rate_limit_per_minute=0
        ) as gql:
            for n in range(120):
                await gql.http.post(
                    "/graphql", json={"query": "{ __typename }"}, headers={"X-Client-Id": f"d{n}"}
                )
            issued = await ConsoleLinks(gql.services.engine, 10).issue("admin@example.com")
            async with console(browser, link_url("127.0.0.1", port, issued.secret)) as page:
                await signed_in(page)
                banner = page.locator(".banner[role=alert]")
                await expect(banner).to_contain_text("callers:")
                await expect(banner).to_contain_text("set FORWARDED_ALLOW_IPS")
                await expect(page.locator('[data-component="callers"]')).to_contain_text("warning")
    finally:
        await database.close()
