"""`jewgo replay --flag NAME`: the registry's recorded queries through v3 and v4 before
anyone is exposed (gateway/verification/replay.py); exit status 1 when any differs or fails, so a CI
pipeline can gate a rollout on it."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import click

from jewgo.flags.admin import replays
from jewgo.flags.stages import DOMAIN_FLAGS
from jewgo.gateway.cli.runtime import actor, with_services
from jewgo.gateway.verification.replay import Replayer, ReplayReport, summary
from jewgo.gateway.wiring.services import Services


@click.command()
@click.option(
    "--flag", "flag", required=True, type=click.Choice(sorted(DOMAIN_FLAGS.values())),
    help="The domain's flag whose v4 to replay against.",
)  # fmt: skip
@click.option(
    "--operations", "count", default=50, show_default=True, type=click.IntRange(1, 10_000),
    help="The most run queries of the registry to replay.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def replay(flag: str, count: int, as_json: bool) -> None:
    """Replay recorded queries through v3 and v4 and compare them (read-only).

    The run is recorded as by `cli:<login>`, or, with JEWGO_TOKEN set to an ADMIN's bearer
    token, as that user (`user:<id>`), the token checked with JWT_SECRET.
    """

    async def run(services: Services) -> ReplayReport:
        replayer = Replayer(services.schema, services.contexts, services.registry, services.engine)
        report = await replayer.replay(flag, services.flags.snapshot, count)
        await replays.record(
            services.engine, flag, at=datetime.now(UTC), runs=len(report.operations),
            differing=report.count("differing"), failed=report.count("failed"), actor=actor(),
        )  # fmt: skip
        return report

    report = with_services(run)
    if as_json:
        click.echo(json.dumps({
            "flag": report.flag, "passed": report.passed,
            "operations": [dataclasses.asdict(op) for op in report.operations],
        }, indent=2, default=str))  # fmt: skip
    else:
        click.echo("\n".join(summary(report)))
    if not report.passed:
        raise SystemExit(1)
