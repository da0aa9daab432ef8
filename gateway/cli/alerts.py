"""`jewgo alerts list`: the alert log, newest first, audit-style: each firing and
resolution with its figures, and what became of each webhook notification."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import click

from jewgo.flags.alerts.lifecycle import AlertState
from jewgo.flags.alerts.outbox import Notification, Outbox
from jewgo.flags.alerts.store import Alert
from jewgo.gateway.cli.runtime import with_services
from jewgo.gateway.wiring.services import Services


def shown(url: str) -> str:
    """A receiver's URL without what may be a secret in it (credentials, the query)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _delivery(notification: Notification) -> str:
    if notification.state == "DELIVERED" and notification.delivered_at is not None:
        when = notification.delivered_at.isoformat(timespec="seconds")
        return f"delivered {when} after {notification.attempts} attempt(s)"
    if notification.state == "FAILED":
        return f"FAILED after {notification.attempts} attempts ({notification.last_error})"
    retry = notification.next_attempt_at.isoformat(timespec="seconds")
    error = f", last {notification.last_error}" if notification.last_error else ""
    return f"pending, {notification.attempts} attempt(s){error}, next {retry}"


def describe(alert: Alert, notifications: list[Notification]) -> str:
    flag = alert.flag or "(fleet)"
    lines = [
        f"{alert.at.isoformat(timespec='seconds')}  {alert.state.value:<8} "
        f"{alert.severity:<8} {alert.rule:<22} {flag}",
        f"    {alert.summary}",
        f"    value {alert.value:g}, threshold {alert.threshold:g}; "
        f"fired {alert.starts_at.isoformat(timespec='seconds')}; fingerprint {alert.fingerprint}",
    ]
    lines += [f"    webhook {shown(n.url)}: {_delivery(n)}" for n in notifications]
    return "\n".join(lines)


def as_json(alert: Alert, notifications: list[Notification]) -> dict[str, Any]:
    return {
        "id": alert.id,
        "rule": alert.rule,
        "flag": alert.flag or None,
        "severity": alert.severity,
        "state": alert.state.value,
        "startsAt": alert.starts_at.isoformat(),
        "at": alert.at.isoformat(),
        "value": alert.value,
        "threshold": alert.threshold,
        "summary": alert.summary,
        "fingerprint": alert.fingerprint,
        "figures": dict(alert.figures),
        "notifications": [
            {
                "url": shown(n.url),
                "state": n.state,
                "attempts": n.attempts,
                "lastError": n.last_error,
            }
            for n in notifications
        ],
    }


@click.group()
def alerts() -> None:
    """Alerts the controller's leader fired and resolved, and their webhook deliveries."""


@alerts.command("list")
@click.option(
    "--state",
    type=click.Choice([state.value for state in AlertState], case_sensitive=False),
    help="FIRING: the alerts firing now; RESOLVED: resolutions. Default: every event.",
)
@click.option("--flag", "flag", default=None, help="Only this flag's alerts.")
@click.option("--first", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "json_output", is_flag=True, help="One JSON document.")
def alerts_list(state: str | None, flag: str | None, first: int, json_output: bool) -> None:
    """The alert log, newest first."""

    async def run(services: Services) -> list[tuple[Alert, list[Notification]]]:
        chosen = AlertState(state.upper()) if state else None
        found = await services.operators.store.events(first, state=chosen, flag=flag)
        deliveries = await Outbox(services.engine).of([a.id for a in found])
        return [(a, deliveries[a.id]) for a in found]

    found = with_services(run)
    if json_output:
        click.echo(json.dumps([as_json(a, n) for a, n in found], indent=2))
        return
    click.echo("\n".join(describe(a, n) for a, n in found) or "no alerts")
