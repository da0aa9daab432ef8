"""The `jewgo` command line: one module per command group, all on one `main`.

serve       serve.py    the gateway (migrating first)
db, seed,   data.py     the database, its seed data, a token for a user, the schema's SDL
token, schema
flags       flags.py    list flags, change stages, percentages and overrides, roll back
rollout     rollout.py  start, watch, pause, resume and stop gradual rollouts
operations  operations.py  the operation registry; Apollo manifests in and out
replay      replay.py   recorded queries through v3 and v4, compared, before exposure
alerts      alerts.py   the alert log and its webhook deliveries
migration   migration.py  the migration report: status, rollout health, decommission
console-link console.py  a one-time sign-in link to the operator console

The flag and rollout commands are built from the server's composition root
(gateway.wiring.bootstrap) and change flags through its admin (flags.admin).
"""

from __future__ import annotations

import click

from jewgo.gateway.cli import (
    alerts,
    console,
    data,
    flags,
    migration,
    operations,
    replay,
    rollout,
    serve,
)


@click.group()
@click.version_option(package_name="jewgo-gateway", message="jewgo %(version)s")
def main() -> None:
    """JewGo gateway: the GraphQL API of the kosher-restaurant directory."""


for command in (
    serve.serve,
    data.db,
    data.seed_command,
    data.token,
    data.schema,
    flags.flags,
    rollout.rollout,
    operations.operations,
    replay.replay,
    alerts.alerts,
    migration.migration,
    console.console_link,
):
    main.add_command(command)
