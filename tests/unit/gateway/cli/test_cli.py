"""The command line's shape comes from the flag rules: defaults and moves are not restated."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import click
import pytest
from click.testing import CliRunner

from jewgo.flags.rollouts.model import DEFAULT_CONFIG
from jewgo.flags.rules import TRANSITIONS
from jewgo.gateway.cli import COMMANDS, main
from jewgo.gateway.cli.flags import flags
from jewgo.gateway.cli.rollout import rollout


def test_rollout_start_offers_every_config_field_with_its_default() -> None:
    start = rollout.commands["start"]
    options = {p.name: p.default for p in start.params if isinstance(p, click.Option)}
    options.pop("help", None)
    assert options.pop("allow_lowering") is False
    # The initial percentage's default is the flag's own (flags.rules.initial_percentage).
    assert options == {f.name: getattr(DEFAULT_CONFIG, f.name) for f in fields(DEFAULT_CONFIG)} | {
        "initial_percentage": None
    }


GROUPS = {"flags": flags, "rollout": rollout}


@pytest.mark.parametrize(
    ("group", "name"), [(g, name) for g, group in GROUPS.items() for name in group.commands]
)
def test_every_option_of_the_flag_and_rollout_commands_says_what_it_does(
    group: str, name: str
) -> None:
    options = [p for p in GROUPS[group].commands[name].params if isinstance(p, click.Option)]
    assert [o.name for o in options if not (o.help or "").strip()] == []


def test_stages_are_shown_in_upper_case_and_taken_in_any() -> None:
    shown = CliRunner().invoke(main, ["flags", "stage", "--help"]).output
    assert "{DISABLED|TESTING|PARTIAL|FULL|COMPLETE}" in shown
    wrong = CliRunner().invoke(main, ["flags", "stage", "api_v4_users", "live"])
    assert wrong.exit_code == 2
    assert "'live' is not one of 'DISABLED', 'TESTING', 'PARTIAL', 'FULL', 'COMPLETE'" in (
        wrong.output
    )
    stage = next(p for p in flags.commands["stage"].params if p.name == "stage")
    for given in ("complete", "Complete", "COMPLETE"):
        assert stage.type.convert(given, stage, None) == "COMPLETE"


def test_there_is_a_rollout_command_for_each_move_and_no_other() -> None:
    assert set(rollout.commands) == {"start", "status"} | {move.value for move in TRANSITIONS}


def test_main_has_its_command_groups() -> None:
    assert set(main.list_commands(click.Context(main))) == {
        "serve", "db", "seed", "token", "schema", "flags", "rollout", "operations", "alerts",
        "migration", "replay", "console-link",
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_summary_help_shows_is_the_commands_own(name: str) -> None:
    command = main.get_command(click.Context(main), name)
    assert command is not None and command.name == name
    assert COMMANDS[name][2] == command.get_short_help_str(limit=1_000)


def imported_by(*args: str) -> set[str]:
    """The modules of ours and of the heavy libraries that `jewgo ARGS` imports."""
    probe = (
        "import sys\n"
        "from jewgo.gateway.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('jewgo.', 'sqlalchemy', 'strawberry', 'graphql', 'starlette', 'redis')\n"
        "sys.stderr.write(' '.join(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stderr.split())


def test_help_imports_no_command_and_no_heavy_library() -> None:
    assert imported_by("--help") <= {"jewgo.gateway", "jewgo.gateway.cli"}


def test_a_command_imports_its_own_module_and_not_the_app() -> None:
    found = imported_by("flags", "--help")
    assert "jewgo.gateway.cli.flags" in found
    assert "jewgo.gateway.cli.rollout" not in found
    assert not {m for m in found if m.startswith(("strawberry", "jewgo.schema", "starlette"))}
