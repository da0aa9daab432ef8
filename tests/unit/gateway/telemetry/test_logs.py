"""The request log line's own door writes what structlog's JSON renderer would."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Iterator

import pytest
import structlog

from jewgo.flags.telemetry.window import WindowMetrics
from jewgo.gateway.execution.accounting import Accounting, Answered, _log
from jewgo.gateway.telemetry.logs import MAX_GATHERED, _Lines, configure, info_line

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


class Stream:
    """A stream that remembers each write."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    @property
    def lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in "".join(self.writes).splitlines()]


def configured_onto(stream: Stream, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", stream)
    configure("INFO", "json")


async def test_in_a_loop_the_lines_of_one_turn_are_written_together_when_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = Stream()
    configured_onto(stream, monkeypatch)
    for n in range(3):
        assert info_line("graphql request", {**FIELDS, "request_id": f"r-{n}"})
    assert stream.writes == []  # the turn has not ended
    await asyncio.sleep(0)  # it ends
    assert len(stream.writes) == 1
    assert [line["request_id"] for line in stream.lines] == ["r-0", "r-1", "r-2"]


async def test_any_other_line_comes_after_the_gathered_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = Stream()
    configured_onto(stream, monkeypatch)
    info_line("graphql request", FIELDS)
    structlog.get_logger("jewgo.app").warning("something else")
    logging.getLogger("a.library").warning("and a library's")
    await asyncio.sleep(0)
    events = [line["event"] for line in stream.lines]
    assert events == ["graphql request", "something else", "and a library's"]


async def test_gathered_lines_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Stream()
    configured_onto(stream, monkeypatch)
    for _ in range(MAX_GATHERED):
        info_line("graphql request", FIELDS)
    assert len(stream.lines) == MAX_GATHERED  # written without waiting for the turn's end
    info_line("graphql request", FIELDS)
    await asyncio.sleep(0)
    assert len(stream.lines) == MAX_GATHERED + 1


def test_outside_a_loop_a_line_is_written_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Stream()
    configured_onto(stream, monkeypatch)
    info_line("graphql request", FIELDS)
    assert [line["request_id"] for line in stream.lines] == ["r-1"]


@pytest.mark.parametrize("operation", [None, "Page", 'Odd "name" \\ é 🍕'])
def test_a_hits_line_is_the_line_of_any_request(
    operation: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A HIT's line is rendered from members kept per operation; it says what the
    general line would, key by key and in the same order."""
    stream = Stream()
    configured_onto(stream, monkeypatch)
    accounting = Accounting(WindowMetrics(None, namespace="t"))
    versions = {"restaurants": "v4", "users": "v4"}
    for user_id in (None, 7):
        answered = Answered("r-1", user_id, operation, versions)
        accounting.hit(answered, seconds=0.001234, statements=0)
        _log(
            request_id="r-1",
            user_id=user_id,
            operation=operation,
            kind="query",
            versions=versions,
            seconds=0.001234,
            errors=[],
            status=200,
            statements=0,
            cost=None,
            cache="HIT",
        )
    lines = stream.lines
    assert len(lines) == 4
    for ours, general in (lines[0:2], lines[2:4]):
        assert list(ours) == list(general)
        assert {**ours, "timestamp": None} == {**general, "timestamp": None}
        assert ours["operation"] == operation and ours["duration_ms"] == 1.23


def test_a_line_logged_while_the_gathered_ones_are_written_does_not_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Code that runs while the gathered lines are written (a finalizer run by a garbage
    collection inside the stream's write: asyncio's "Task was destroyed", a connection
    never returned) may log too: the lines' lock is not held then."""
    logger = structlog.get_logger("jewgo.finalizer")

    class Interrupted(Stream):
        def write(self, text: str) -> int:
            if len(self.writes) == 0 and "graphql request" in text:
                self.writes.append(text)
                info_line("graphql request", {**FIELDS, "request_id": "r-later"})
                logger.warning("collected")
                return len(text)
            return super().write(text)

    stream = Interrupted()
    configured_onto(stream, monkeypatch)

    def lines() -> None:
        info_line("graphql request", FIELDS)

    worker = threading.Thread(target=lines, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the request line deadlocked"
    events = [(line["event"], line.get("request_id")) for line in stream.lines]
    assert events == [
        ("graphql request", "r-1"),
        ("graphql request", "r-later"),
        ("collected", None),
    ]


def test_lines_go_to_the_stderr_of_the_moment_not_the_one_configured_under(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A test configures logging while its output is captured; after the capture is closed
    the next test's lines (and a server's, if stderr is replaced) go to the stream that is
    stderr then: configured once, logging never writes to a stream closed under it."""
    import io
    import sys

    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    configure("INFO", "json")
    captured.close()
    later = io.StringIO()
    monkeypatch.setattr(sys, "stderr", later)
    structlog.get_logger("jewgo.test").warning("after the capture")
    logging.getLogger("jewgo.stdlib").warning("through the standard library")
    info_line("graphql request", FIELDS)
    from jewgo.gateway.telemetry.logs import write_gathered

    write_gathered()
    events = [json.loads(line)["event"] for line in later.getvalue().splitlines()]
    assert events == ["after the capture", "through the standard library", "graphql request"]
