"""The console's pure parts: where it listens and what a link looks like."""

from __future__ import annotations

import pytest

from jewgo.gateway.cli.console import link_url
from jewgo.gateway.console.app import port_of


@pytest.mark.parametrize(
    ("port", "console_port", "expected"),
    [(8000, None, 8001), (9000, None, 9001), (8000, 7000, 7000), (0, None, 0), (8000, 0, 0)],
)
def test_the_console_listens_on_the_next_port_unless_told(
    port: int, console_port: int | None, expected: int
) -> None:
    assert port_of(port, console_port) == expected


def test_a_link_carries_its_secret_in_the_fragment() -> None:
    assert link_url("127.0.0.1", 8001, "s3cr3t") == "http://127.0.0.1:8001/console#link=s3cr3t"
    assert link_url("::1", 8001, "s") == "http://[::1]:8001/console#link=s"
