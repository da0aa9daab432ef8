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

A command's module is imported only when that command runs (click's lazily loaded
subcommands): `jewgo --help` imports click and nothing of the gateway, and `jewgo flags
list` only the flag store. `--help` lists each command with the summary kept here, which a
test holds equal to the command's own docstring.

The flag and rollout commands change flags through the admin (flags.admin.changes), built by the
command-line runtime (runtime.py) from the same settings as the server.
"""

from __future__ import annotations

import importlib

import click

# name → (its module in this package, its attribute there, the summary `--help` shows)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "alerts": (
        "alerts",
        "alerts",
        "Alerts the controller's leader fired and resolved, and their webhook deliveries.",
    ),
    "console-link": (
        "console",
        "console_link",
        "Print a link that signs in to the console once, within CONSOLE_LINK_MINUTES.",
    ),
    "db": ("data", "db", "Database schema."),
    "flags": (
        "flags",
        "flags",
        "Feature flags: list them, change stages and percentages, overrides, roll back.",
    ),
    "migration": ("migration", "migration", "The migration as a whole."),
    "operations": (
        "operations",
        "operations",
        "The operation registry: list it, import and export Apollo manifests.",
    ),
    "replay": (
        "replay",
        "replay",
        "Replay recorded queries through v3 and v4 and compare them (read-only).",
    ),
    "rollout": (
        "rollout",
        "rollout",
        "Gradual rollouts run by the controller: start, status, pause, resume, stop.",
    ),
    "schema": ("data", "schema", "The GraphQL schema."),
    "seed": (
        "data",
        "seed_command",
        "Replace the directory's rows with the deterministic seed data (migrates first).",
    ),
    "serve": (
        "serve",
        "serve",
        "Serve GraphQL on /graphql (GraphiQL in a browser), /health, /ready.",
    ),
    "token": (
        "data",
        "token",
        "Print a JWT for the user with this email (e.g. admin@example.com).",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when one is asked for by name."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = COMMANDS.get(cmd_name)
        if found is None:
            return None
        module, attribute, _ = found
        command = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click.Group's, from the summaries above instead of the imported commands.
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit))
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(package_name="jewgo-gateway", message="jewgo %(version)s")
def main() -> None:
    """JewGo gateway: the GraphQL API of the kosher-restaurant directory."""
