"""Fault drills and the shadow's comparison."""

from __future__ import annotations

import random

import pytest

from jewgo.flags.faults import Fault, Faults, FaultsError, InjectedFault
from jewgo.flags.faults import parse as parse_faults
from jewgo.gateway.verification.comparison import first_difference


def test_faults_are_read_per_domain_and_version() -> None:
    assert parse_faults("restaurants.v4:error=0.3,latency_ms=20; reviews.v3:error=0.1") == {
        ("restaurants", "v4"): Fault(0.3, 20.0),
        ("reviews", "v3"): Fault(0.1, 0.0),
    }
    assert parse_faults(None) == {}
    assert parse_faults("") == {}


@pytest.mark.parametrize(
    "text",
    ["menus.v4:error=0.1", "restaurants.v5:error=0.1", "restaurants.v4:error=2",
     "restaurants.v4:fail=0.1", "restaurants.v4:error=lots", "restaurants.v4:latency_ms=-5"],
)  # fmt: skip
def test_nonsense_faults_are_refused(text: str) -> None:
    with pytest.raises(FaultsError):
        parse_faults(text)


async def test_a_fault_fails_about_its_share_of_calls() -> None:
    faults = Faults({("restaurants", "v4"): Fault(error_rate=0.3)}, random.Random(7))
    assert faults("restaurants", "v3") is None
    failed = 0
    for _ in range(2000):
        injected = faults("restaurants", "v4")
        assert injected is not None
        try:
            await injected
        except InjectedFault:
            failed += 1
    assert 0.26 < failed / 2000 < 0.34


@pytest.mark.parametrize(
    ("expected", "actual", "path"),
    [
        ({"a": [1, 2, {"b": 3.0}]}, {"a": [1, 2, {"b": 3.0000000000001}]}, None),
        ({"a": [1, 2, {"b": 3.0}]}, {"a": [1, 2, {"b": 3.1}]}, ("a", 2, "b")),
        ({"a": [1, 2]}, {"a": [1, 2, 3]}, ("a", 2)),
        ({"a": None}, {"a": 0}, ("a",)),
        ({"x": 1, "y": "s"}, {"x": 1, "y": "t"}, ("y",)),
        ({"x": True}, {"x": 1.0}, ("x",)),
    ],
)
def test_the_first_difference_is_found(
    expected: object, actual: object, path: tuple[object, ...] | None
) -> None:
    assert first_difference(expected, actual) == path
