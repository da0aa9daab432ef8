"""`jewgo alerts list` names a receiver without what may be a secret in its URL."""

from __future__ import annotations

import pytest

from jewgo.gateway.cli.alerts import shown


@pytest.mark.parametrize(
    ("url", "seen"),
    [
        ("http://127.0.0.1:9/hook", "http://127.0.0.1:9/hook"),
        ("https://user:pw@hooks.example.com:8443/a/b?token=x#f", "https://hooks.example.com:8443/a/b"),
        ("http://[::1]:8080/x?y=1", "http://[::1]:8080/x"),
    ],
)  # fmt: skip
def test_receivers_are_shown_without_credentials_or_query(url: str, seen: str) -> None:
    assert shown(url) == seen
