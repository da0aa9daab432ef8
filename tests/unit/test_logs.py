"""The request log line's own door writes what structlog's JSON renderer would."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
import structlog

from jewgo.gateway.logs import _Lines, configure, info_line

FIELDS: dict[str, object] = {
    "request_id": "r-1",
    "user_id": None,
    "versions": {"restaurants": "v4"},
    "duration_ms": 0.25,
    "errors": [],
    "cache": "HIT",
}


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """These tests configure logging onto pytest's captured stream: later tests need
    theirs back."""
    config, root, stream = structlog.get_config(), logging.getLogger(), _Lines.stream
    handlers, level = list(root.handlers), root.level
    yield
    structlog.configure(**config)
    root.handlers[:], root.level = handlers, level
    _Lines.stream = stream


def test_the_line_is_structlogs_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", "json")
    structlog.get_logger("jewgo.request").info("graphql request", **FIELDS)
    assert info_line("graphql request", FIELDS)
    theirs, ours = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert list(ours) == list(theirs)
    assert {**ours, "timestamp": None} == {**theirs, "timestamp": None}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", ours["timestamp"])


@pytest.mark.parametrize(("level", "fmt"), [("WARNING", "json"), ("INFO", "console")])
def test_other_settings_leave_the_line_to_structlog(
    level: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(level, fmt)
    assert not info_line("graphql request", FIELDS)
    assert capsys.readouterr().err == ""
