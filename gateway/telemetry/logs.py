"""Structured logging: JSON lines (or a console rendering for people) through structlog.

The request log line, written once per GraphQL request, has a cheaper door of its own
(`info_line`): the same JSON line structlog would render (the same keys in the same
order, then `event`, `level` and `timestamp`), without its processor chain, which cost
half of a response-cache HIT's accounting. Inside a running event loop its lines are
gathered and written together when the loop's current turn ends (one `write` for all the
requests answered in that turn instead of one each); any other line written to the same
stream first writes the gathered ones, so the order of lines is kept.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime
import json
import logging
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import structlog

_UTC = datetime.UTC


# json.dumps(..., default=repr) as structlog's JSONRenderer calls it, built once.
_ENCODER = json.JSONEncoder(default=repr)
json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii
# Gathered lines are written at the latest when this many are waiting.
MAX_GATHERED = 256


class _Lines:
    """Where `info_line` writes (stderr when the format is JSON and INFO is logged), and
    the lines gathered for the end of the event loop's turn."""

    stream: TextIO | Stderr | None = None
    lock = threading.Lock()
    gathered: list[str] = []
    scheduled = False


def write_gathered() -> None:
    """Write the gathered request lines now (at the end of a loop turn, before any other
    line, at exit). Nothing under the lock allocates an object the garbage collector
    tracks: a collection there could run a finalizer that logs, and come back here."""
    fresh: list[str] = []
    with _Lines.lock:
        _Lines.scheduled = False
        lines = _Lines.gathered
        _Lines.gathered = fresh
        stream = _Lines.stream
    if lines and stream is not None:
        stream.write("".join(lines))
        stream.flush()


atexit.register(write_gathered)


class Stderr:
    """The process's standard error as it is when a line is written (not when logging was
    configured): a stream swapped in later (a test's capture, a supervisor's) is the one
    written to, and one closed since is never written to."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


STDERR = Stderr()


class Ordered:
    """A stream that writes the gathered request lines before anything written to it:
    structlog's and the standard library's lines stay in order with them."""

    def __init__(self, stream: TextIO | Stderr) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        if _Lines.gathered:
            write_gathered()
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def info_line(event: str, fields: Mapping[str, Any]) -> bool:
    """One INFO line as structlog's JSON renderer writes it; False (nothing written) when
    logging is not configured for that, and the caller logs through structlog."""
    if _Lines.stream is None:
        return False
    stamp = datetime.datetime.now(_UTC).isoformat().replace("+00:00", "Z")
    _gather(_ENCODER.encode({**fields, "event": event, "level": "info", "timestamp": stamp}))
    return True


def info_members(event: str, members: str) -> bool:
    """`info_line` for fields already rendered as the JSON members of an object
    (`"a": 1, "b": "x"`, as json.dumps separates them)."""
    if _Lines.stream is None:
        return False
    stamp = datetime.datetime.now(_UTC).isoformat().replace("+00:00", "Z")
    tail = f', "event": {json_string(event)}, "level": "info", "timestamp": "{stamp}"}}'
    _gather("{" + members + tail)
    return True


def _gather(line: str) -> None:
    line += "\n"
    with _Lines.lock:  # no object the garbage collector tracks is made here (see above)
        _Lines.gathered.append(line)
        waiting = len(_Lines.gathered)
        scheduled = _Lines.scheduled
        _Lines.scheduled = True
    if waiting >= MAX_GATHERED:
        write_gathered()
    elif not scheduled:
        try:
            asyncio.get_running_loop().call_soon(write_gathered)
        except RuntimeError:  # no loop in this thread: now
            write_gathered()


def configure(level: str = "INFO", fmt: str = "json") -> None:
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            # Tracebacks without local variables: they may hold tokens and personal data.
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
            if fmt == "json"
            else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(Ordered(STDERR)),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    # Libraries that log through the standard library end up in the same format.
    handler = logging.StreamHandler(Ordered(STDERR))
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    number = logging.getLevelName(level)
    at_info = isinstance(number, int) and number <= logging.INFO
    write_gathered()  # what was gathered goes where it was meant to
    _Lines.stream = STDERR if fmt == "json" and at_info else None
