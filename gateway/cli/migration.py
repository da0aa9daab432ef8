"""`jewgo migration report`: the migration status in the seed's shape — overall status
(enabled and total features, migration percentage, stage counts), each flag's stage, each
rollout's health, and whether each domain's v3 may go — as text, or JSON with `--json`.

Window figures (error rates, usersAffected) are the fleet's through Redis; without Redis
this process has served nothing, so they read zero.
"""

from __future__ import annotations

import json
from typing import Any

import click

from jewgo.flags import summary
from jewgo.flags.alerts.rollout_health import rollout_figures
from jewgo.flags.stages import FLAG_NAMES, Stage
from jewgo.gateway.cli.runtime import with_services
from jewgo.gateway.wiring.services import Services


def _moment(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


async def report(services: Services) -> dict[str, Any]:
    snapshot = await services.flags.load()
    operators = services.operators
    counts = summary.stage_counts(snapshot)
    rollouts = []
    for rollout in (await services.admin.rollouts()).values():
        health = await rollout_figures(
            rollout, metrics=services.metrics, alerts=operators.store, reach=operators.reach
        )
        rollouts.append({
            "flag": rollout.flag,
            "current_stage": snapshot.flags[rollout.flag].stage.value,
            "state": rollout.state.value,
            "current_percentage": rollout.current_percentage,
            "total_users_affected": health.users_affected,
            "signed_in_users_affected": health.signed_in_users_affected,
            "anonymous_callers_affected": health.anonymous_callers_affected,
            "is_healthy": health.is_healthy,
            "error_rate": health.error_rate_percent,
            "alerts_count": health.alerts_count,
            "reasons": list(health.reasons),
            "last_decision": rollout.last_decision,
        })  # fmt: skip
    decommission = [
        {
            "domain": each.domain,
            "flag": each.flag,
            "ready_to_decommission": each.ready,
            "complete_since": _moment(each.complete_since),
            "last_v3_call": _moment(each.last_v3_call),
            "reasons": list(each.reasons),
        }
        for each in await operators.decommission.report(snapshot)
    ]
    return {
        "overall_status": {
            "enabled_features": sum(summary.enabled(snapshot, n) for n in FLAG_NAMES),
            "total_features": len(FLAG_NAMES),
            "migration_percentage": round(summary.migration_percentage(snapshot), 2),
            "stages": {stage.value.lower(): counts[stage] for stage in Stage},
        },
        "flags": {
            name: {
                "stage": snapshot.flags[name].stage.value,
                "percentage": snapshot.flags[name].percentage,
            }
            for name in FLAG_NAMES
        },
        "rollouts": rollouts,
        "alerts_firing": len(await operators.store.firing()),
        "decommission": decommission,
    }


def as_text(found: dict[str, Any]) -> str:
    overall = found["overall_status"]
    stages = ", ".join(f"{k} {v}" for k, v in overall["stages"].items())
    lines = [
        "Overall status",
        f"  enabled features      {overall['enabled_features']} of {overall['total_features']}",
        f"  migration percentage  {overall['migration_percentage']:g}%",
        f"  stages                {stages}",
        f"  alerts firing         {found['alerts_firing']}",
        "Flags",
        *(f"  {n:<24} {f['stage']:<9} {f['percentage']:>6g}%" for n, f in found["flags"].items()),
        "Rollouts",
    ]
    for r in found["rollouts"] or []:
        health = "healthy" if r["is_healthy"] else "UNHEALTHY: " + "; ".join(r["reasons"])
        lines.append(
            f"  {r['flag']:<24} {r['state']:<11} {r['current_percentage']:>6g}%  "
            f"error rate {r['error_rate']:g}%  users {r['total_users_affected']} "
            f"({r['signed_in_users_affected']} signed in, "
            f"{r['anonymous_callers_affected']} anonymous)  "
            f"alerts {r['alerts_count']}  {health}"
        )
    if not found["rollouts"]:
        lines.append("  none")
    lines.append("Decommission")
    for d in found["decommission"]:
        verdict = "READY to decommission v3" if d["ready_to_decommission"] else "not ready: "
        lines.append(f"  {d['domain']:<12} {verdict}{'; '.join(d['reasons'])}")
    return "\n".join(lines)


@click.group()
def migration() -> None:
    """The migration as a whole."""


@migration.command("report")
@click.option("--json", "json_output", is_flag=True, help="One JSON document.")
def migration_report(json_output: bool) -> None:
    """Overall status, flags, rollout health and decommission readiness."""
    found = with_services(report)
    click.echo(json.dumps(found, indent=2) if json_output else as_text(found))
