"""The command line's shape comes from the flag rules: defaults and moves are not restated."""

from __future__ import annotations

from dataclasses import fields

import click

from jewgo.flags.rollouts import DEFAULT_CONFIG
from jewgo.flags.rules import TRANSITIONS
from jewgo.gateway.cli import main
from jewgo.gateway.cli.rollout import rollout


def test_rollout_start_offers_every_config_field_with_its_default() -> None:
    start = rollout.commands["start"]
    options = {p.name: p.default for p in start.params if isinstance(p, click.Option)}
    options.pop("help", None)
    assert options == {f.name: getattr(DEFAULT_CONFIG, f.name) for f in fields(DEFAULT_CONFIG)}


def test_there_is_a_rollout_command_for_each_move_and_no_other() -> None:
    assert set(rollout.commands) == {"start", "status"} | {move.value for move in TRANSITIONS}


def test_main_has_its_command_groups() -> None:
    assert set(main.commands) == {
        "serve", "db", "seed", "token", "schema", "flags", "rollout", "operations", "alerts",
        "migration", "replay", "console-link",
    }  # fmt: skip
