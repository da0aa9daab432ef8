"""Decoding request JSON (bodies, and GET's `variables` and `extensions`) so that nothing a
client sends can fail inside the server: JSON text must be UTF-8 (RFC 8259), nest at most
MAX_JSON_DEPTH levels, and hold numbers Python can convert. Anything else is a 400."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException

from jewgo.resolvers.validation import storable


class TooManyOperations(Exception):
    """A batch over MAX_BATCH_SIZE."""


def _too_deep(value: Any, limit: int) -> bool:
    """Whether `value` nests deeper than `limit` (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def decode(data: str | bytes, *, max_depth: int) -> object:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(400, "The request body is not UTF-8 text") from exc
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise HTTPException(400, "Unable to parse request body as JSON") from exc
    except RecursionError as exc:
        raise HTTPException(400, f"JSON may nest at most {max_depth} levels") from exc
    except ValueError as exc:  # an integer past Python's conversion limit (4300 digits)
        raise HTTPException(400, "The JSON holds a number too large to read") from exc
    if _too_deep(value, max_depth):
        raise HTTPException(400, f"JSON may nest at most {max_depth} levels")
    return value


def check_operation_name(name: object) -> None:
    """`operationName` is echoed in errors and logs: it must be text a database could hold."""
    if isinstance(name, str) and not storable(name):
        raise HTTPException(400, "operationName may not contain NUL or unpaired surrogates")


def checked(parsed: Any, max_batch_size: int) -> Any:
    """A parsed body (one operation or a batch) within the batch size; a lone operation's
    name checked (a batch's are checked operation by operation: gateway/execution/runs.py)."""
    if isinstance(parsed, list) and len(parsed) > max_batch_size:
        raise TooManyOperations(f"A batch may hold at most {max_batch_size} operations")
    if not isinstance(parsed, list):
        check_operation_name(parsed.operation_name)
    return parsed


class BodyTooLarge(Exception):
    """A streamed body went over the limit (raised by `BodyLimit`'s receive, through the
    app, back to `BodyLimit`, which answers 413)."""
