"""Request JSON: UTF-8 only, bounded nesting, numbers Python can read; else a 400."""

from __future__ import annotations

import pytest
from cross_web import HTTPException

from jewgo.gateway.request.bodies import check_operation_name, decode


@pytest.mark.parametrize(
    ("text", "depth"),
    [('{"a": [[1]]}', 3), ("[]", 1), ('{"a": {"b": {}}}', 3), ("1", 0), ('"x"', 0)],
)
def test_json_within_the_depth_limit_is_read(text: str, depth: int) -> None:
    assert decode(text.encode(), max_depth=max(depth, 1)) is not None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 5 + b"]" * 5, "nest at most 4"),
        (b"[" * 100_000 + b"]" * 100_000, "nest at most 4"),  # past the recursion limit
        (b'{"n": ' + b"9" * 4301 + b"}", "too large"),
        (b'"\xff"', "not UTF-8"),
        (b'"\xc0\xaf"', "not UTF-8"),  # an overlong encoding of "/"
        ('"x"'.encode("utf-16"), "not UTF-8"),
        (b"{", "Unable to parse"),
    ],
)
def test_anything_else_is_a_400_naming_the_rule(body: bytes, message: str) -> None:
    with pytest.raises(HTTPException) as refused:
        decode(body, max_depth=4)
    assert refused.value.status_code == 400
    assert message in refused.value.reason


@pytest.mark.parametrize("name", ["\ud800", "a\x00b"])
def test_an_operation_name_must_be_storable_text(name: str) -> None:
    with pytest.raises(HTTPException):
        check_operation_name(name)
    check_operation_name("Restaurants")
    check_operation_name(None)
